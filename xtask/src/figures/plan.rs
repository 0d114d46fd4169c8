//! Building blocks of the figures' run lists (spec §6), at paper scale.
use super::FigRun;
use layca_core::Schedule;
use layca_train::{ControlKind, OptimizerKind, RunConfig, TaskId};

/// The five rotation-grid tasks of Figs 1, 2, 3, 6, in the paper's row order.
pub const FIVE_TASKS: [TaskId; 5] = [
    TaskId::C10Cnn1,
    TaskId::C100Resnet,
    TaskId::TinyCnn,
    TaskId::C10Cnn2,
    TaskId::C100Wrn,
];

/// The three tasks with the full α / ρ(0) exploration (Figs 9, 11, 12).
pub const THREE_TASKS: [TaskId; 3] = [TaskId::C10Cnn1, TaskId::C100Resnet, TaskId::TinyCnn];

/// The α grid of the exploration at ρ(0) = 3^-3 (spec §6 Fig 1).
pub const ALPHA_GRID: [f64; 13] = [
    -0.8, -0.6, -0.4, -0.3, -0.2, -0.1, 0.0, 0.1, 0.2, 0.3, 0.4, 0.6, 0.8,
];

/// Exponents of 3 of the ρ(0) grid of the Layca exploration at α = 0 (3^-7 … 3^0).
pub const LAYCA_RHO_EXPONENTS: [f64; 8] = [-7.0, -6.0, -5.0, -4.0, -3.0, -2.0, -1.0, 0.0];

/// Exponents of 3 of the plain-optimizer grids (3^-7 … 3^2, Figs 2 and 6).
pub const SGD_RHO_EXPONENTS: [f64; 10] = [-7.0, -6.0, -5.0, -4.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0];

/// The paper's hard-coded η references of Figs 2, 3, 6, 12 (spec §6), per task: the η of its
/// best Layca run (α = 0, ρ(0) = 3^-3) at paper scale. The figures measure that run at their own
/// scale and title Δη against it; these values go into the JSON beside it.
pub fn paper_eta_reference(task: TaskId) -> Option<f64> {
    match task {
        TaskId::C10Cnn1 => Some(0.8845),
        TaskId::C100Resnet => Some(0.5981),
        TaskId::TinyCnn => Some(0.5089),
        TaskId::C10Cnn2 => Some(0.934),
        TaskId::C100Wrn => Some(0.8069),
        _ => None,
    }
}

/// Row label of a task in the figures.
pub fn task_label(task: TaskId) -> &'static str {
    match task {
        TaskId::C10Cnn1 => "C10-CNN1",
        TaskId::C100Resnet => "C100-resnet",
        TaskId::TinyCnn => "tiny-CNN",
        TaskId::C10Cnn2 => "C10-CNN2",
        TaskId::C100Wrn => "C100-WRN",
        TaskId::C10Resnet110 => "C10-resnet",
        TaskId::Mnist => "MNIST",
    }
}

/// `3^-3`, `3^-2.5`, ... for labels and keys.
pub fn pow3_label(exp: f64) -> String {
    format!("3^{}", trim(exp))
}

/// A number without trailing zeros (`-0.6`, `3`, `0.0005`).
pub fn trim(x: f64) -> String {
    let s = format!("{x}");
    if s == "-0" {
        "0".into()
    } else {
        s
    }
}

/// SGD + Layca (no momentum, λ = 0) with the task's default schedule and stopping rules.
pub fn layca(task: TaskId, rho_exp: f64, alpha: f64) -> FigRun {
    let mut cfg = RunConfig::layca(task, 3f64.powf(rho_exp));
    cfg.alpha = alpha;
    FigRun::new(
        format!(
            "{}/layca/rho={}/alpha={}",
            task.name(),
            pow3_label(rho_exp),
            trim(alpha)
        ),
        cfg,
    )
}

/// The reference run of a task's Δη titles: SGD + Layca, α = 0, ρ(0) = 3^-3 (shared with the
/// Layca exploration of Figs 1, 9, 11).
pub fn reference_run(task: TaskId) -> FigRun {
    layca(task, -3.0, 0.0)
}

/// The paper's "SGD" of a task: no momentum, except C100-WRN (Nesterov 0.9) (spec §6 Fig 2).
pub fn task_sgd(task: TaskId) -> OptimizerKind {
    if task == TaskId::C100Wrn {
        OptimizerKind::SgdNesterov
    } else {
        OptimizerKind::Sgd
    }
}

/// A plain optimizer run (control none) at ρ, with the task's default schedule and stopping.
pub fn plain(task: TaskId, optimizer: OptimizerKind, rho: f64, key: impl Into<String>) -> FigRun {
    let mut cfg = RunConfig::layca(task, rho);
    cfg.optimizer = optimizer;
    cfg.control = ControlKind::None;
    cfg.other_params = None;
    FigRun::new(key, cfg)
}

/// The plain-SGD grid point of Fig 2 (ρ = 3^exp).
pub fn sgd_grid(task: TaskId, exp: f64) -> FigRun {
    plain(
        task,
        task_sgd(task),
        3f64.powf(exp),
        format!("{}/sgd/rho={}", task.name(), pow3_label(exp)),
    )
}

/// A step-decay schedule.
pub fn step(base: f64, factor: f64, milestones: &[usize]) -> Schedule {
    Schedule::StepDecay {
        base,
        factor,
        milestones: milestones.to_vec(),
    }
}

/// C10-CNN2's original schedule: ×0.5 every 25 epochs over 250 epochs.
pub fn every_25(base: f64) -> Schedule {
    step(base, 0.5, &(1..10).map(|k| 25 * k).collect::<Vec<_>>())
}

/// The SGD + L2 run of each task (spec §6 Fig 3; also the "SGD + L2" curves of Fig 7).
pub fn sgd_l2(task: TaskId) -> FigRun {
    let mut run = match task {
        TaskId::C10Cnn2 => {
            let mut r = plain(task, OptimizerKind::Sgd, 0.5, "");
            r.cfg.schedule = Some(every_25(0.5));
            r.cfg.epochs = Some(250);
            r
        }
        TaskId::C100Wrn => {
            let mut r = plain(task, OptimizerKind::SgdNesterov, 0.1, "");
            r.cfg.schedule = Some(step(0.1, 0.2, &[60, 120, 160]));
            r.cfg.epochs = Some(200);
            r
        }
        TaskId::TinyCnn => {
            let rho = 3f64.powi(-1);
            let mut r = plain(task, OptimizerKind::Sgd, rho, "");
            r.cfg.schedule = Some(step(rho, 0.2, &[70, 90, 97]));
            r.cfg.epochs = Some(100);
            r
        }
        _ => plain(task, OptimizerKind::Sgd, 3f64.powi(-1), ""),
    };
    run.cfg.l2 = task.spec().l2;
    run.key = format!("{}/sgd-l2", task.name());
    run
}

/// The tuned adaptive run of each task (spec §6 Fig 6 row 1).
pub fn adaptive(task: TaskId) -> FigRun {
    let key = format!("{}/adaptive", task.name());
    match task {
        TaskId::C10Cnn1 => plain(task, OptimizerKind::RmsProp, 3f64.powi(-6), key),
        TaskId::C100Resnet => plain(task, OptimizerKind::Adam, 3f64.powi(-5), key),
        TaskId::TinyCnn => plain(task, OptimizerKind::Adagrad, 3f64.powi(-4), key),
        TaskId::C10Cnn2 => {
            let mut r = plain(task, OptimizerKind::RmsProp, 3e-4, key);
            r.cfg.l2 = 5e-4;
            r.cfg.schedule = Some(every_25(3e-4));
            r.cfg.epochs = Some(250);
            r
        }
        _ => {
            let mut r = plain(task, OptimizerKind::Adam, 3e-4, key);
            r.cfg.l2 = 5e-4;
            r.cfg.schedule = Some(step(3e-4, 0.2, &[60, 120, 160]));
            r.cfg.epochs = Some(200);
            r
        }
    }
}

/// The adaptive optimizer of a task (Fig 6), and the ρ(0) of its Layca version (row 2).
pub fn adaptive_layca(task: TaskId) -> FigRun {
    let (optimizer, exp) = match task {
        TaskId::C10Cnn1 | TaskId::C10Cnn2 => (OptimizerKind::RmsProp, -3.0),
        TaskId::TinyCnn => (OptimizerKind::Adagrad, -3.0),
        _ => (OptimizerKind::Adam, -5.0),
    };
    let mut cfg = RunConfig::layca(task, 3f64.powf(exp));
    cfg.optimizer = optimizer;
    FigRun::new(format!("{}/adaptive-layca", task.name()), cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_schedules_follow_the_spec() {
        assert_eq!(pow3_label(-2.5), "3^-2.5");
        assert_eq!(trim(-0.0), "0");
        let s = every_25(0.5);
        assert!((s.rate(24, 0, 1) - 0.5).abs() < 1e-15);
        assert!((s.rate(25, 0, 1) - 0.25).abs() < 1e-15);
        assert!((s.rate(249, 0, 1) - 0.5 * 0.5f64.powi(9)).abs() < 1e-15);
        let l2 = sgd_l2(TaskId::TinyCnn);
        assert_eq!(l2.cfg.num_epochs(), 100);
        assert_eq!(l2.cfg.l2, 1e-3);
        assert_eq!(
            sgd_l2(TaskId::C100Wrn).cfg.optimizer,
            OptimizerKind::SgdNesterov
        );
        assert_eq!(task_sgd(TaskId::C10Cnn2), OptimizerKind::Sgd);
    }
}
