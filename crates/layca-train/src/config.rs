//! A paper run = (task, optimizer config, control mode, ρ(0), α, L2, warmup, seed, ...).
//!
//! [`RunConfig::run_id`] names a run by every field that affects its results (and nothing
//! else): a readable part plus a short content hash of the canonical configuration, so that
//! values beyond the printed precision (ρ(0) = 0.11111111 vs 0.11111112) never collide.
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
    /// Non-kernel parameter policy; `None` = the default of the control mode
    /// ([`RunConfig::resolved_other_params`]).
    #[serde(default)]
    pub other_params: Option<OtherParams>,
    /// Decoupled weight decay on kernels (0 = none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub weight_decay: f64,
    /// Every layer's width divided by this (1 = the paper's networks).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub width_divisor: usize,
    /// Training images kept (`None` = all); must match the loaded data's identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train_limit: Option<usize>,
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}
fn one() -> usize {
    1
}
fn is_one(x: &usize) -> bool {
    *x == 1
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
            other_params: None,
            weight_decay: 0.0,
            width_divisor: 1,
            train_limit: None,
        }
    }

    /// The non-kernel parameter policy, decided here and only here when not set: plain
    /// optimizers train every parameter with the base step; Layca, LARS and AdaptCopy freeze
    /// the others, as the authors' code (spec §4.1, §7.1).
    pub fn resolved_other_params(&self) -> OtherParams {
        self.other_params.unwrap_or(match self.control {
            ControlKind::None => OtherParams::BaseOptimizer,
            ControlKind::Layca | ControlKind::Lars | ControlKind::AdaptCopy { .. } => {
                OtherParams::Frozen
            }
        })
    }

    /// The configuration with every default made explicit (the other-params policy): what the
    /// run id hashes and what `run.json` stores.
    pub fn canonical(&self) -> RunConfig {
        RunConfig {
            other_params: Some(self.resolved_other_params()),
            ..self.clone()
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
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return Err(TrainError::config(
                "weight_decay",
                format!("must be finite and >= 0, got {}", self.weight_decay),
            ));
        }
        if self.width_divisor == 0 {
            return Err(TrainError::config("width_divisor", "must be >= 1"));
        }
        if self.train_limit == Some(0) {
            return Err(TrainError::config("train_limit", "must be >= 1"));
        }
        if self.warmup_epochs > self.num_epochs() {
            return Err(TrainError::config(
                "warmup_epochs",
                format!(
                    "{} warmup epochs is longer than the run ({} epochs)",
                    self.warmup_epochs,
                    self.num_epochs()
                ),
            ));
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
            weight_decay: self.weight_decay,
            other_params: self.resolved_other_params(),
        }
    }

    /// Checks the batch size against a training set of `n_train` images: a last batch of a
    /// single image cannot be batch-normalised (train-mode BN needs two values per channel),
    /// and a task that uses full batches only needs at least one.
    pub fn validate_batches(
        &self,
        n_train: usize,
        batch_size: usize,
        full_only: bool,
    ) -> Result<()> {
        if n_train == 0 {
            return Err(TrainError::config(
                "data.train",
                "the training set is empty",
            ));
        }
        if full_only && n_train < batch_size {
            return Err(TrainError::config(
                "batch_size",
                format!(
                    "{batch_size} is larger than the {n_train} training images, and task `{}` \
                     trains on full batches only",
                    self.task.name()
                ),
            ));
        }
        if !full_only && n_train % batch_size == 1 {
            return Err(TrainError::config(
                "batch_size",
                format!(
                    "{batch_size} leaves a last batch of 1 image out of {n_train} training \
                     images; batch normalisation needs at least 2: use another batch size"
                ),
            ));
        }
        Ok(())
    }

    /// A stable, readable run identifier (with the data's short fingerprint, the run directory
    /// name): every result-affecting field, readable where short, and `_c<hash>` of the
    /// canonical configuration so that nothing (full-precision ρ(0), α, λ, the schedule, the
    /// recorders) can collide.
    pub fn run_id(&self) -> String {
        let c = self.canonical();
        let mut id = format!(
            "{}_{}_{}_rho{}_a{}",
            c.task.name(),
            c.optimizer_name(),
            c.control_name(),
            fmt_num(c.rho0),
            fmt_num(c.alpha)
        );
        for tag in c.tags() {
            id.push('_');
            id.push_str(&tag);
        }
        id.push_str(&format!("_seed{}_c{:08x}", c.seed, c.content_hash() as u32));
        id
    }

    fn optimizer_name(&self) -> String {
        serde_json::to_value(self.optimizer)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }

    fn control_name(&self) -> String {
        match &self.control {
            ControlKind::None => "plain".to_string(),
            ControlKind::Layca => "layca".to_string(),
            ControlKind::Lars => "lars".to_string(),
            ControlKind::AdaptCopy { source } => format!("adaptcopy-{}", source_name(source)),
        }
    }

    /// Readable tags of the fields that differ from their defaults.
    fn tags(&self) -> Vec<String> {
        let mut t = Vec::new();
        let mut push = |cond: bool, tag: String| {
            if cond {
                t.push(tag)
            }
        };
        push(self.l2 > 0.0, format!("l2{}", fmt_num(self.l2)));
        push(
            self.weight_decay > 0.0,
            format!("wd{}", fmt_num(self.weight_decay)),
        );
        push(self.warmup_epochs > 0, format!("wu{}", self.warmup_epochs));
        push(
            self.epochs.is_some(),
            format!("ep{}", self.epochs.unwrap_or(0)),
        );
        push(
            self.batch_size.is_some(),
            format!("bs{}", self.batch_size.unwrap_or(0)),
        );
        if let Some(s) = &self.schedule {
            let text = serde_json::to_string(s).unwrap_or_default();
            push(true, format!("s{:08x}", fnv1a(text.as_bytes()) as u32));
        }
        push(self.width_divisor != 1, format!("w{}", self.width_divisor));
        push(
            self.train_limit.is_some(),
            format!("n{}", self.train_limit.unwrap_or(0)),
        );
        let default_other = RunConfig {
            other_params: None,
            ..self.clone()
        }
        .resolved_other_params();
        push(
            self.resolved_other_params() != default_other,
            match self.resolved_other_params() {
                OtherParams::Frozen => "ofrozen".to_string(),
                OtherParams::BaseOptimizer => "otrain".to_string(),
            },
        );
        push(
            self.record_steps,
            if self.record_steps_first_epoch_only {
                "rsteps1"
            } else {
                "rsteps"
            }
            .to_string(),
        );
        push(self.record_moments, "rmom".to_string());
        push(!self.stopping, "nostop".to_string());
        t
    }

    /// FNV-1a of the canonical JSON (an AdaptCopy source counted by its directory name, so the
    /// id does not depend on where the run store lies).
    fn content_hash(&self) -> u64 {
        let mut c = self.canonical();
        if let ControlKind::AdaptCopy { source } = &c.control {
            c.control = ControlKind::AdaptCopy {
                source: PathBuf::from(source_name(source)),
            };
        }
        fnv1a(serde_json::to_string(&c).unwrap_or_default().as_bytes())
    }

    /// The fields (dotted JSON paths, e.g. `rho0`, `schedule`) in which the canonical forms of
    /// `self` and `other` differ; empty when they describe the same run.
    pub fn differing_fields(&self, other: &RunConfig) -> Vec<String> {
        let a = serde_json::to_value(self.canonical()).unwrap_or_default();
        let b = serde_json::to_value(other.canonical()).unwrap_or_default();
        let mut out = Vec::new();
        json_diff("", &a, &b, &mut out);
        out
    }
}

/// Parses a command-line schedule starting at `base` (= ρ(0)):
/// `constant`, `step:<factor>@<m1>,<m2>,...` (×factor at each 0-based milestone epoch),
/// `every:<factor>/<k>` (×factor every k epochs). Errors name the `schedule` field.
pub fn parse_schedule(text: &str, base: f64) -> Result<Schedule> {
    let bad = |why: &str| {
        TrainError::config(
            "schedule",
            format!("`{text}`: {why} (expected constant, step:FACTOR@M1,M2,... or every:FACTOR/K)"),
        )
    };
    let factor = |f: &str| f.trim().parse::<f64>().map_err(|_| bad("bad factor"));
    let schedule = match text.trim().split_once(':') {
        None if text.trim() == "constant" => Schedule::Constant { base },
        Some(("step", rest)) => {
            let (f, ms) = rest
                .split_once('@')
                .ok_or_else(|| bad("missing @milestones"))?;
            let milestones = ms
                .split(',')
                .map(|m| m.trim().parse::<usize>().map_err(|_| bad("bad milestone")))
                .collect::<Result<Vec<usize>>>()?;
            Schedule::StepDecay {
                base,
                factor: factor(f)?,
                milestones,
            }
        }
        Some(("every", rest)) => {
            let (f, k) = rest.split_once('/').ok_or_else(|| bad("missing /period"))?;
            Schedule::Periodic {
                base,
                factor: factor(f)?,
                every: k.trim().parse::<usize>().map_err(|_| bad("bad period"))?,
            }
        }
        _ => return Err(bad("unknown schedule")),
    };
    schedule
        .validate()
        .map_err(|e| TrainError::config("schedule", format!("`{text}`: {e}")))?;
    Ok(schedule)
}

fn source_name(source: &std::path::Path) -> String {
    source
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Appends to `out` the dotted paths (under `prefix`) where `a` and `b` differ.
pub(crate) fn json_diff(
    prefix: &str,
    a: &serde_json::Value,
    b: &serde_json::Value,
    out: &mut Vec<String>,
) {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                let null = Value::Null;
                json_diff(
                    &path,
                    x.get(k).unwrap_or(&null),
                    y.get(k).unwrap_or(&null),
                    out,
                );
            }
        }
        _ if a != b => out.push(if prefix.is_empty() {
            "(root)".into()
        } else {
            prefix.into()
        }),
        _ => {}
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

    #[test]
    fn run_ids_cover_every_result_affecting_field() {
        let base = RunConfig::layca(TaskId::Mnist, 0.11111111);
        type Change = Box<dyn Fn(&mut RunConfig)>;
        let variants: Vec<(&str, Change)> = vec![
            ("rho0 beyond 7 digits", Box::new(|c| c.rho0 = 0.11111112)),
            ("alpha beyond 7 digits", Box::new(|c| c.alpha = 0.123456781)),
            (
                "l2 beyond 7 digits",
                Box::new(|c| {
                    c.l2 = 1.0000001e-3;
                }),
            ),
            ("record_steps", Box::new(|c| c.record_steps = true)),
            (
                "record_steps_first_epoch_only",
                Box::new(|c| {
                    c.record_steps = true;
                    c.record_steps_first_epoch_only = true;
                }),
            ),
            ("record_moments", Box::new(|c| c.record_moments = true)),
            ("stopping", Box::new(|c| c.stopping = false)),
            (
                "other_params",
                Box::new(|c| c.other_params = Some(OtherParams::BaseOptimizer)),
            ),
            ("weight_decay", Box::new(|c| c.weight_decay = 1e-4)),
            ("width_divisor", Box::new(|c| c.width_divisor = 4)),
            ("train_limit", Box::new(|c| c.train_limit = Some(100))),
            ("warmup", Box::new(|c| c.warmup_epochs = 2)),
            ("seed", Box::new(|c| c.seed = 2)),
            (
                "schedule",
                Box::new(|c| c.schedule = Some(Schedule::periodic(0.11111111, 0.5, 25))),
            ),
        ];
        let mut ids = std::collections::HashSet::new();
        ids.insert(base.run_id());
        for (what, change) in &variants {
            let mut c = base.clone();
            change(&mut c);
            assert!(
                ids.insert(c.run_id()),
                "{what} does not change the id {}",
                c.run_id()
            );
            assert!(!c.differing_fields(&base).is_empty(), "{what}");
        }
        // The default other-params policy, explicit or not, is the same run.
        let mut explicit = base.clone();
        explicit.other_params = Some(OtherParams::Frozen);
        assert_eq!(explicit.run_id(), base.run_id());
        assert!(explicit.differing_fields(&base).is_empty());
        let mut plain = base.clone();
        plain.control = ControlKind::None;
        assert_eq!(plain.resolved_other_params(), OtherParams::BaseOptimizer);
        assert_eq!(
            RunConfig {
                control: ControlKind::Lars,
                ..base.clone()
            }
            .resolved_other_params(),
            OtherParams::Frozen
        );
        // The differing field is named.
        let mut other = base.clone();
        other.rho0 = 0.11111112;
        assert_eq!(other.differing_fields(&base), vec!["rho0".to_string()]);
        // Readable: the task, optimizer, control and seed are spelled out.
        let id = base.run_id();
        assert!(
            id.starts_with("mnist_sgd_layca_rho1.111111e-1_a0.000000e0_seed1_c"),
            "{id}"
        );
    }

    #[test]
    fn new_fields_are_omitted_at_their_defaults() {
        let c = RunConfig::layca(TaskId::Mnist, 0.1);
        let json = serde_json::to_string(&c).unwrap();
        for f in ["width_divisor", "train_limit", "weight_decay"] {
            assert!(!json.contains(f), "{f} in {json}");
        }
        let back: RunConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back, c);
        let mut d = c.clone();
        d.width_divisor = 2;
        d.train_limit = Some(10);
        let back: RunConfig = serde_json::from_str(&serde_json::to_string(&d).unwrap()).unwrap();
        assert_eq!(back, d);
    }

    #[test]
    fn schedules_parse_from_the_command_line() {
        assert_eq!(
            parse_schedule("constant", 0.1).unwrap(),
            Schedule::constant(0.1)
        );
        assert_eq!(
            parse_schedule("step:0.2@80,90,97", 0.1).unwrap(),
            Schedule::step_decay(0.1, 0.2, vec![80, 90, 97])
        );
        assert_eq!(
            parse_schedule("every:0.5/25", 0.1).unwrap(),
            Schedule::periodic(0.1, 0.5, 25)
        );
        for bad in [
            "step:0.2",
            "step:x@1",
            "step:0.2@3,2",
            "every:0.5",
            "every:2/5",
            "cosine",
        ] {
            let err = parse_schedule(bad, 0.1).unwrap_err().to_string();
            assert!(
                err.contains("schedule") && err.contains(bad),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn warmup_longer_than_the_run_is_rejected() {
        let mut c = RunConfig::layca(TaskId::Mnist, 0.1);
        c.epochs = Some(3);
        c.warmup_epochs = 4;
        assert!(c
            .validate()
            .unwrap_err()
            .to_string()
            .contains("warmup_epochs"));
        c.warmup_epochs = 3;
        assert!(c.validate().is_ok());
    }

    #[test]
    fn batches_of_one_image_are_rejected() {
        let c = RunConfig::layca(TaskId::Mnist, 0.1);
        assert!(c.validate_batches(1001, 1000, false).is_err());
        assert!(c.validate_batches(1, 1000, false).is_err());
        assert!(c.validate_batches(1002, 1000, false).is_ok());
        assert!(c.validate_batches(999, 1000, true).is_err());
        assert!(c.validate_batches(1001, 1000, true).is_ok());
        assert!(c.validate_batches(0, 10, false).is_err());
    }
}
