//! Figure 1: Layca α / ρ(0) configurations, 5 tasks × 5 columns (spec §6 Fig 1).
use super::panels::{eta_or_delta, panel_json, rotation_grid, rotation_panel};
use super::plan::{layca, task_label, FIVE_TASKS};
use super::{FigRun, FigureSpec, RenderCtx, Results};
use anyhow::Result;
use std::path::Path;

/// (α, exponent of ρ(0), column header); the last column is the reference ("Best").
pub const COLUMNS: [(f64, f64, &str); 5] = [
    (-0.6, -3.0, "α=-0.6"),
    (0.6, -3.0, "α=0.6"),
    (0.0, -5.0, "ρ (0)=3^-5"),
    (0.0, -4.0, "ρ (0)=3^-4"),
    (0.0, -3.0, "Best"),
];

pub struct Fig01;

impl FigureSpec for Fig01 {
    fn number(&self) -> u32 {
        1
    }
    fn title(&self) -> &'static str {
        "Layer rotation under Layca for α and ρ(0) configurations (5 tasks × 5 columns)"
    }
    fn runs(&self) -> Vec<FigRun> {
        FIVE_TASKS
            .iter()
            .flat_map(|&t| COLUMNS.iter().map(move |&(a, e, _)| layca(t, e, a)))
            .collect()
    }
    fn render(&self, results: &Results, ctx: &RenderCtx, stem: &Path) -> Result<serde_json::Value> {
        let mut rows = Vec::new();
        let mut json = Vec::new();
        for &task in &FIVE_TASKS {
            let reference = results.get(&layca(task, -3.0, 0.0).key)?;
            let eta_ref = reference.test_acc();
            let mut row = Vec::new();
            for (i, &(a, e, header)) in COLUMNS.iter().enumerate() {
                let r = results.get(&layca(task, e, a).key)?;
                let title = eta_or_delta(r, eta_ref, i == COLUMNS.len() - 1);
                json.push(serde_json::json!({
                    "task": task.name(), "column": header,
                    "panel": panel_json(r, &title, eta_ref),
                }));
                row.push(rotation_panel(r, title, 80.0)?);
            }
            rows.push(row);
        }
        let grid = rotation_grid(
            rows,
            FIVE_TASKS
                .iter()
                .map(|&t| task_label(t).to_string())
                .collect(),
            COLUMNS.iter().map(|c| c.2.to_string()).collect(),
            true,
        );
        ctx.render(grid, stem)?;
        Ok(serde_json::Value::Array(json))
    }
}
