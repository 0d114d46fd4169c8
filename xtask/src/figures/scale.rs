//! Scales: a transformation of a figure's run list, never a separate code path.
//!
//! - `paper`: the runs exactly as spec §6 declares them.
//! - `cpu`: the same grids (every α, ρ(0), optimizer, L2, warmup and schedule shape), with the
//!   width divided, the training set cut to a class-balanced subset and the epochs reduced per
//!   task; decays and warmups move to the same fractions of training. Depth is kept, so L and
//!   the α multipliers are the paper's.
//! - `smoke`: the same grids on tiny generated data, two epochs, narrowest widths: seconds.
use super::FigRun;
use layca_core::Schedule;
use layca_train::{RunConfig, TaskId};
use serde::Serialize;

/// How big the runs are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scale {
    /// Spec §6 exactly (the data sets on disk; a GPU in practice).
    Paper,
    /// Reduced width, data and epochs: each figure in at most 30 minutes on 2 cores.
    Cpu,
    /// Tiny generated data, two epochs: every figure in seconds (the tests).
    Smoke,
}

/// Validation and test images of every `cpu`-scale run (evaluating 5,000–10,000 images each
/// epoch would cost more than training on 1,000–2,000).
pub const CPU_EVAL_LIMIT: usize = 1000;

/// The mini-batch of the `smoke` scale.
pub const SMOKE_BATCH: usize = 32;

/// The reduction applied to one task's runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TaskScale {
    /// Every hidden width divided by this.
    pub width_divisor: usize,
    /// Training images kept (class-balanced subset); `None` = all.
    pub train_limit: Option<usize>,
    /// Validation and test images kept (class-balanced subsets); `None` = all.
    pub eval_limit: Option<usize>,
    /// Epochs (and decay milestones, warmup lengths) multiplied by this.
    pub epoch_factor: f64,
    /// Epochs of every run when set (smoke), instead of the factor.
    pub fixed_epochs: Option<usize>,
    /// Mini-batch size when set (smoke: the generated sets are smaller than one batch of 128).
    pub batch_size: Option<usize>,
}

impl TaskScale {
    /// No reduction.
    pub const IDENTITY: TaskScale = TaskScale {
        width_divisor: 1,
        train_limit: None,
        eval_limit: None,
        epoch_factor: 1.0,
        fixed_epochs: None,
        batch_size: None,
    };
}

impl Scale {
    /// The name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Scale::Paper => "paper",
            Scale::Cpu => "cpu",
            Scale::Smoke => "smoke",
        }
    }

    /// The reduction of `task`'s runs at this scale.
    pub fn task(self, task: TaskId) -> TaskScale {
        let cpu = |width_divisor, train_limit, epoch_factor| TaskScale {
            width_divisor,
            train_limit: Some(train_limit),
            eval_limit: Some(CPU_EVAL_LIMIT),
            epoch_factor,
            fixed_epochs: None,
            batch_size: None,
        };
        match (self, task) {
            (Scale::Paper, _) | (Scale::Cpu, TaskId::Mnist) => TaskScale::IDENTITY,
            // About 10 epochs of 2,000 images for the grid tasks (16 steps of 128 each), so that
            // the largest grids (Figs 2, 9: 50-60 runs) fit in 30 minutes on 2 cores.
            (Scale::Cpu, TaskId::C10Cnn1) => cpu(8, 2000, 0.1),
            (Scale::Cpu, TaskId::C100Resnet) => cpu(4, 2000, 0.1),
            (Scale::Cpu, TaskId::TinyCnn) => cpu(8, 2000, 0.125),
            (Scale::Cpu, TaskId::C10Cnn2) => cpu(8, 2000, 0.04),
            (Scale::Cpu, TaskId::C100Wrn) => cpu(16, 1000, 0.04),
            // 40 of 200 epochs keep Fig 4's warmups of 5, 10, 15 epochs distinct (1, 2, 3).
            (Scale::Cpu, TaskId::C10Resnet110) => cpu(8, 1000, 0.2),
            (Scale::Smoke, _) => TaskScale {
                width_divisor: 16,
                train_limit: None,
                eval_limit: None,
                epoch_factor: 1.0,
                fixed_epochs: Some(2),
                batch_size: Some(SMOKE_BATCH),
            },
        }
    }
}

/// Epoch count `e` of a run after the reduction (at least 1).
pub fn scale_epochs(e: usize, s: &TaskScale) -> usize {
    match s.fixed_epochs {
        Some(n) => n.min(e),
        None => ((e as f64 * s.epoch_factor).round() as usize).max(1),
    }
}

/// Moves milestone epochs to the same fraction of `to` epochs out of `from`: strictly
/// increasing, each inside `1..to` (a milestone that no longer fits is dropped).
pub fn scale_milestones(milestones: &[usize], from: usize, to: usize) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::with_capacity(milestones.len());
    for &m in milestones {
        let mut v = ((m as f64 * to as f64 / from as f64).round() as usize).max(1);
        if let Some(&last) = out.last() {
            v = v.max(last + 1);
        }
        if v < to {
            out.push(v);
        }
    }
    out
}

fn scale_schedule(s: Schedule, from: usize, to: usize) -> Schedule {
    match s {
        Schedule::StepDecay {
            base,
            factor,
            milestones,
        } => Schedule::StepDecay {
            base,
            factor,
            milestones: scale_milestones(&milestones, from, to),
        },
        Schedule::Warmup {
            inner,
            warmup_epochs,
        } => Schedule::Warmup {
            inner: Box::new(scale_schedule(*inner, from, to)),
            warmup_epochs: scale_warmup(warmup_epochs, from, to),
        },
        other => other,
    }
}

fn scale_warmup(w: usize, from: usize, to: usize) -> usize {
    if w == 0 {
        0
    } else {
        ((w as f64 * to as f64 / from as f64).round() as usize).clamp(1, to)
    }
}

/// Applies a task reduction to one configuration.
pub fn scale_config(cfg: &RunConfig, s: &TaskScale) -> RunConfig {
    let mut out = cfg.clone();
    let from = cfg.num_epochs();
    let to = scale_epochs(from, s);
    if to != from {
        let schedule = cfg
            .schedule
            .clone()
            .unwrap_or_else(|| cfg.task.spec().default_schedule(cfg.rho0));
        out.schedule = Some(scale_schedule(schedule, from, to));
        out.epochs = Some(to);
        out.warmup_epochs = scale_warmup(cfg.warmup_epochs, from, to);
    }
    out.width_divisor = s.width_divisor;
    out.train_limit = s.train_limit;
    if s.batch_size.is_some() {
        out.batch_size = s.batch_size;
    }
    out
}

/// The run list of a figure at `scale` (`epochs` overrides every run's epoch count, milestones
/// moved to the same fractions). MNIST on the embedded digits uses the task's batch (1,000 of
/// 5,000 images = the paper's 5 steps per epoch) instead of the paper's 2,048 of 10,000.
pub fn apply(
    scale: Scale,
    runs: &[FigRun],
    epochs: Option<usize>,
    embedded_mnist: bool,
) -> Vec<FigRun> {
    runs.iter()
        .map(|r| {
            let mut s = scale.task(r.cfg.task);
            if let Some(e) = epochs {
                s.fixed_epochs = None;
                s.epoch_factor = e as f64 / r.cfg.num_epochs() as f64;
            }
            let mut cfg = scale_config(&r.cfg, &s);
            if r.cfg.task == TaskId::Mnist && embedded_mnist && s.batch_size.is_none() {
                cfg.batch_size = None;
            }
            FigRun { cfg, ..r.clone() }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milestones_keep_their_fractions_and_order() {
        assert_eq!(scale_milestones(&[80, 90, 97], 100, 20), vec![16, 18, 19]);
        assert_eq!(scale_milestones(&[80, 90, 97], 100, 10), vec![8, 9]);
        assert!(scale_milestones(&[70], 80, 2).is_empty());
        assert_eq!(
            scale_milestones(&[25, 50, 75, 100, 125, 150, 175, 200, 225], 250, 25),
            vec![3, 5, 8, 10, 13, 15, 18, 20, 23]
        );
    }

    #[test]
    fn cpu_scale_changes_width_data_and_epochs_only() {
        let cfg = RunConfig::layca(TaskId::C10Cnn1, 3f64.powi(-3));
        let s = Scale::Cpu.task(TaskId::C10Cnn1);
        let out = scale_config(&cfg, &s);
        assert_eq!(out.num_epochs(), 10);
        assert_eq!(out.width_divisor, 8);
        assert_eq!(out.train_limit, Some(2000));
        let sched = out.full_schedule();
        // ×0.2 at epochs 8 and 9 of 10 (80, 90 of 100; 97 → 9.7 rounds to 10 and drops out).
        assert!((sched.rate(7, 0, 1) - cfg.rho0).abs() < 1e-15);
        assert!((sched.rate(8, 0, 1) - cfg.rho0 * 0.2).abs() < 1e-15);
        assert!((sched.rate(9, 0, 1) - cfg.rho0 * 0.04).abs() < 1e-15);
        assert_eq!(
            (out.rho0, out.alpha, out.optimizer),
            (cfg.rho0, cfg.alpha, cfg.optimizer)
        );
        assert_eq!(scale_config(&cfg, &Scale::Paper.task(TaskId::C10Cnn1)), cfg);
    }

    #[test]
    fn warmup_moves_with_the_epochs() {
        let mut cfg = RunConfig::layca(TaskId::C10Resnet110, 3f64.powi(-1));
        cfg.warmup_epochs = 5;
        let out = scale_config(&cfg, &Scale::Cpu.task(TaskId::C10Resnet110));
        // 200 → 40 epochs: warmups of 5, 10, 15 epochs stay distinct (1, 2, 3).
        assert_eq!(out.num_epochs(), 40);
        assert_eq!(out.warmup_epochs, 1);
        cfg.warmup_epochs = 10;
        assert_eq!(
            scale_config(&cfg, &Scale::Cpu.task(cfg.task)).warmup_epochs,
            2
        );
        cfg.warmup_epochs = 15;
        assert_eq!(
            scale_config(&cfg, &Scale::Cpu.task(cfg.task)).warmup_epochs,
            3
        );
    }
}
