//! A paper run = (task, optimizer config, control mode, ρ(0), α, L2, warmup, seed).
use crate::task::TaskId;
use crate::{Result, TrainError};
use layca_core::Schedule;
use layca_optim::{BaseOptimizer, Control, Multipliers, OptimConfig, OtherParams};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Named base optimizers of the paper (spec §4.2, §4.3) with their Keras defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OptimizerKind {
    /// SGD without momentum (the paper's "SGD").
    Sgd,
    /// SGD with Nesterov momentum 0.9 (C100-WRN "SGD").
    SgdNesterov,
    /// SGD with (heavy-ball) momentum 0.9.
    SgdMomentum,
    /// Adam-like momentum 0.9 (SGD_AMom).
    SgdAMom,
    /// Adam (β1 0.9, β2 0.999, ε 1e-7).
    Adam,
    /// RMSprop (decay 0.9, ε 1e-7).
    RmsProp,
    /// Adagrad (ε 1e-7).
    Adagrad,
}

impl OptimizerKind {
    /// The `layca-optim` base optimizer with the paper's constants.
    pub fn base(self) -> BaseOptimizer {
        match self {
            OptimizerKind::Sgd => BaseOptimizer::Sgd {
                momentum: 0.0,
                nesterov: false,
            },
            OptimizerKind::SgdNesterov => BaseOptimizer::Sgd {
                momentum: 0.9,
                nesterov: true,
            },
            OptimizerKind::SgdMomentum => BaseOptimizer::Sgd {
                momentum: 0.9,
                nesterov: false,
            },
            OptimizerKind::SgdAMom => BaseOptimizer::SgdAMom { beta: 0.9 },
            OptimizerKind::Adam => BaseOptimizer::Adam {
                beta1: 0.9,
                beta2: 0.999,
                eps: 1e-7,
            },
            OptimizerKind::RmsProp => BaseOptimizer::RmsProp {
                decay: 0.9,
                eps: 1e-7,
            },
            OptimizerKind::Adagrad => BaseOptimizer::Adagrad { eps: 1e-7 },
        }
    }
}

/// Control mode of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ControlKind {
    /// Plain base optimizer.
    None,
    /// Layca.
    Layca,
    /// LARS-like sub-version (spec §4.5; initial kernels scaled by 1/4).
    Lars,
    /// Layca replaying per-layer, per-step rates recorded in another run's `steps.jsonl`.
    AdaptCopy {
        /// The run directory whose `steps.jsonl` is replayed.
        source: PathBuf,
    },
}

/// Everything that defines one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    /// The task.
    pub task: TaskId,
    /// Base optimizer.
    pub optimizer: OptimizerKind,
    /// Control mode.
    pub control: ControlKind,
    /// Initial learning rate ρ(0).
    pub rho0: f64,
    /// Layer-prioritisation α ∈ [−1, 1] (0 = uniform).
    pub alpha: f64,
    /// Coupled L2 λ (0 = none).
    pub l2: f64,
    /// Linear warmup epochs (0 = none).
    pub warmup_epochs: usize,
    /// Schedule; `None` = the task's default step decay from `rho0`.
    pub schedule: Option<Schedule>,
    /// Epochs; `None` = the task default.
    pub epochs: Option<usize>,
    /// Mini-batch size; `None` = the task default.
    #[serde(default)]
    pub batch_size: Option<usize>,
    /// Seed of data order, augmentation and dropout (the initialisation is shared per task).
    pub seed: u64,
    /// Apply the task's stopping criteria.
    pub stopping: bool,
    /// Record per-step rotation rates (`steps.jsonl`), needed by AdaptCopy and Fig 10.
    pub record_steps: bool,
    /// Record per-step rates only during the first epoch (Fig 10) instead of the whole run.
    pub record_steps_first_epoch_only: bool,
    /// Record percentiles of the second-moment accumulator per layer each epoch (Fig 5).
    pub record_moments: bool,
    /// Non-kernel parameter policy.
    pub other_params: OtherParams,
}

impl RunConfig {
    /// A Layca run with the task defaults (SGD, α = 0, no L2, no warmup, seed 1).
    pub fn layca(task: TaskId, rho0: f64) -> Self {
        RunConfig {
            task,
            optimizer: OptimizerKind::Sgd,
            control: ControlKind::Layca,
            rho0,
            alpha: 0.0,
            l2: 0.0,
            warmup_epochs: 0,
            schedule: None,
            epochs: None,
            batch_size: None,
            seed: 1,
            stopping: true,
            record_steps: false,
            record_steps_first_epoch_only: false,
            record_moments: false,
            other_params: OtherParams::Frozen,
        }
    }

    /// Checks every field; errors name the field.
    pub fn validate(&self) -> Result<()> {
        if !(self.rho0.is_finite() && self.rho0 > 0.0) {
            return Err(TrainError::config(
                "rho0",
                format!("must be finite and > 0, got {}", self.rho0),
            ));
        }
        if !(self.alpha.is_finite() && (-1.0..=1.0).contains(&self.alpha)) {
            return Err(TrainError::config(
                "alpha",
                format!("must lie in [-1, 1], got {}", self.alpha),
            ));
        }
        if !(self.l2.is_finite() && self.l2 >= 0.0) {
            return Err(TrainError::config(
                "l2",
                format!("must be finite and >= 0, got {}", self.l2),
            ));
        }
        if self.batch_size == Some(0) {
            return Err(TrainError::config("batch_size", "must be >= 1"));
        }
        if self.epochs == Some(0) {
            return Err(TrainError::config("epochs", "must be >= 1"));
        }
        if let Some(s) = &self.schedule {
            s.validate()
                .map_err(|e| TrainError::config("schedule", e.to_string()))?;
        }
        if let ControlKind::AdaptCopy { source } = &self.control {
            if !source.join("steps.jsonl").is_file() {
                return Err(TrainError::config(
                    "control.adapt-copy.source",
                    format!(
                        "{} has no steps.jsonl (record the adaptive run with record_steps)",
                        source.display()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Number of epochs of this run.
    pub fn num_epochs(&self) -> usize {
        self.epochs.unwrap_or_else(|| self.task.spec().epochs)
    }

    /// The full schedule (task default or explicit), with warmup if requested.
    pub fn full_schedule(&self) -> Schedule {
        let inner = self
            .schedule
            .clone()
            .unwrap_or_else(|| self.task.spec().default_schedule(self.rho0));
        if self.warmup_epochs > 0 {
            Schedule::Warmup {
                inner: Box::new(inner),
                warmup_epochs: self.warmup_epochs,
            }
        } else {
            inner
        }
    }

    /// The optimizer configuration (learning rate set per step by the engine).
    pub fn optim_config(&self, l2_exclude: Vec<String>) -> OptimConfig {
        let control = match self.control {
            ControlKind::None => Control::None,
            ControlKind::Layca | ControlKind::AdaptCopy { .. } => Control::Layca,
            ControlKind::Lars => Control::LarsLike { growth_cap: 1e-4 },
        };
        OptimConfig {
            base: self.optimizer.base(),
            control,
            lr: self.rho0,
            multipliers: if self.alpha == 0.0 {
                Multipliers::Uniform
            } else {
                Multipliers::Alpha(self.alpha)
            },
            l2: self.l2,
            l2_exclude,
            weight_decay: 0.0,
            other_params: self.other_params,
        }
    }

    /// A stable, readable run identifier (used as the run directory name).
    pub fn run_id(&self) -> String {
        let control = match &self.control {
            ControlKind::None => "plain".to_string(),
            ControlKind::Layca => "layca".to_string(),
            ControlKind::Lars => "lars".to_string(),
            ControlKind::AdaptCopy { source } => format!(
                "adaptcopy-{}",
                source
                    .file_name()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default()
            ),
        };
        let opt = serde_json::to_value(self.optimizer)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let mut id = format!(
            "{}_{}_{}_rho{}_a{}",
            self.task.name(),
            opt,
            control,
            fmt_num(self.rho0),
            fmt_num(self.alpha)
        );
        if self.l2 > 0.0 {
            id.push_str(&format!("_l2{}", fmt_num(self.l2)));
        }
        if self.warmup_epochs > 0 {
            id.push_str(&format!("_wu{}", self.warmup_epochs));
        }
        if let Some(e) = self.epochs {
            id.push_str(&format!("_ep{e}"));
        }
        if let Some(b) = self.batch_size {
            id.push_str(&format!("_bs{b}"));
        }
        if self.schedule.is_some() {
            // Distinguish custom schedules by a short content hash.
            let text = serde_json::to_string(&self.schedule).unwrap_or_default();
            id.push_str(&format!("_s{:08x}", fnv1a(text.as_bytes()) as u32));
        }
        id.push_str(&format!("_seed{}", self.seed));
        id
    }
}

fn fmt_num(x: f64) -> String {
    format!("{x:.6e}").replace('+', "")
}

/// FNV-1a 64-bit hash (stable across platforms and releases, unlike `DefaultHasher`).
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_fields_are_named() {
        let mut c = RunConfig::layca(TaskId::Mnist, 0.1);
        c.alpha = 1.5;
        assert!(c.validate().unwrap_err().to_string().contains("alpha"));
        let mut c = RunConfig::layca(TaskId::Mnist, 0.0);
        assert!(c.validate().unwrap_err().to_string().contains("rho0"));
        c.rho0 = f64::NAN;
        assert!(c.validate().unwrap_err().to_string().contains("rho0"));
        let mut c = RunConfig::layca(TaskId::Mnist, 0.1);
        c.l2 = -1.0;
        assert!(c.validate().unwrap_err().to_string().contains("l2"));
        let mut c = RunConfig::layca(TaskId::Mnist, 0.1);
        c.control = ControlKind::AdaptCopy {
            source: "/nonexistent/run".into(),
        };
        assert!(c
            .validate()
            .unwrap_err()
            .to_string()
            .contains("steps.jsonl"));
        assert!(RunConfig::layca(TaskId::Mnist, 0.1).validate().is_ok());
    }

    #[test]
    fn run_ids_distinguish_configs() {
        let a = RunConfig::layca(TaskId::Mnist, 3f64.powf(-2.0));
        let mut b = a.clone();
        b.rho0 = 3f64.powf(-2.5);
        let mut c = a.clone();
        c.schedule = Some(Schedule::Constant { base: 0.1 });
        assert_ne!(a.run_id(), b.run_id());
        assert_ne!(a.run_id(), c.run_id());
        assert_eq!(a.run_id(), a.clone().run_id());
    }
}
