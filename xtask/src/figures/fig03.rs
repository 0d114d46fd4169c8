//! Figure 3: SGD + L2 with each task's best validation setting, 1 × 5 (spec §6 Fig 3).
use super::panels::reference_row;
use super::plan::{reference_run, sgd_l2, FIVE_TASKS};
use super::{FigRun, FigureSpec, RenderCtx, Results};
use anyhow::Result;
use std::path::Path;

pub struct Fig03;

impl FigureSpec for Fig03 {
    fn number(&self) -> u32 {
        3
    }
    fn title(&self) -> &'static str {
        "Layer rotation under SGD + L2 (1 × 5 tasks)"
    }
    fn runs(&self) -> Vec<FigRun> {
        let mut runs: Vec<FigRun> = FIVE_TASKS.iter().map(|&t| sgd_l2(t)).collect();
        runs.extend(FIVE_TASKS.iter().map(|&t| reference_run(t)));
        runs
    }
    fn render(&self, results: &Results, ctx: &RenderCtx, stem: &Path) -> Result<serde_json::Value> {
        reference_row(results, ctx, stem, "SGD + L2", &FIVE_TASKS, |t| {
            sgd_l2(t).key
        })
    }
}
