//! Figure 12: the LARS-like sub-version, 1 × 3 tasks (spec §4.5, §6 Fig 12): α = 0,
//! ρ(0) = 3^-3, initial kernels ×1/4, no stopping rules; Δη against the Layca references.
use super::panels::{eta_or_delta, measured_reference, panel_json, rotation_grid, rotation_panel};
use super::plan::{reference_run, task_label, THREE_TASKS};
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
        let (mut row, mut json) = (vec![], vec![]);
        for &task in &THREE_TASKS {
            let r = results.get(&lars(task).key)?;
            let eta_ref = measured_reference(results, task)?;
            let title = eta_or_delta(r, eta_ref, false);
            json.push(
                serde_json::json!({"task": task.name(), "panel": panel_json(r, &title, eta_ref)}),
            );
            row.push(rotation_panel(r, title, 80.0)?);
        }
        let grid = rotation_grid(
            vec![row],
            vec!["LARS".into()],
            THREE_TASKS
                .iter()
                .map(|&t| task_label(t).to_string())
                .collect(),
            false,
        );
        ctx.render(grid, stem)?;
        Ok(serde_json::Value::Array(json))
    }
}
