//! Figure 3: SGD + L2 with each task's best validation setting, 1 × 5 (spec §6 Fig 3).
use super::panels::{eta_or_delta, measured_reference, panel_json, rotation_grid, rotation_panel};
use super::plan::{reference_run, sgd_l2, task_label, FIVE_TASKS};
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
        let mut row = Vec::new();
        let mut json = Vec::new();
        for &task in &FIVE_TASKS {
            let r = results.get(&sgd_l2(task).key)?;
            let eta_ref = measured_reference(results, task)?;
            let title = eta_or_delta(r, eta_ref, false);
            json.push(
                serde_json::json!({"task": task.name(), "panel": panel_json(r, &title, eta_ref)}),
            );
            row.push(rotation_panel(r, title, 80.0)?);
        }
        let grid = rotation_grid(
            vec![row],
            vec!["SGD + L2".into()],
            FIVE_TASKS
                .iter()
                .map(|&t| task_label(t).to_string())
                .collect(),
            false,
        );
        ctx.render(grid, stem)?;
        Ok(serde_json::Value::Array(json))
    }
}
