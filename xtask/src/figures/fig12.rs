//! Figure 12: the LARS-like sub-version, 1 × 3 tasks (spec §4.5, §6 Fig 12): α = 0,
//! ρ(0) = 3^-3, initial kernels ×1/4, no stopping rules; Δη against the Layca references.
use super::panels::reference_row;
use super::plan::{reference_run, THREE_TASKS};
use super::{FigRun, FigureSpec, RenderCtx, Results};
use anyhow::Result;
use layca_train::{ControlKind, RunConfig, TaskId};
use std::path::Path;

pub struct Fig12;

fn lars(task: TaskId) -> FigRun {
    let mut cfg = RunConfig::layca(task, 3f64.powi(-3));
    cfg.control = ControlKind::Lars;
    cfg.stopping = false;
    FigRun::new(format!("{}/lars/rho=3^-3", task.name()), cfg)
}

impl FigureSpec for Fig12 {
    fn number(&self) -> u32 {
        12
    }
    fn title(&self) -> &'static str {
        "Layer rotation under the LARS-like sub-version (1 × 3 tasks)"
    }
    fn runs(&self) -> Vec<FigRun> {
        let mut runs: Vec<FigRun> = THREE_TASKS.iter().map(|&t| lars(t)).collect();
        runs.extend(THREE_TASKS.iter().map(|&t| reference_run(t)));
        runs
    }
    fn render(&self, results: &Results, ctx: &RenderCtx, stem: &Path) -> Result<serde_json::Value> {
        reference_row(results, ctx, stem, "LARS", &THREE_TASKS, |t| lars(t).key)
    }
}
