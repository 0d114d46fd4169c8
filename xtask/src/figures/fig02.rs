//! Figure 2: vanilla SGD learning rates, 5 tasks × 5 columns, from the grid ρ = 3^-7 … 3^2
//! (spec §6 Fig 2). The validation-selected ρ of each task is titled in bold.
use super::panels::{
    eta_or_delta, measured_reference, panel_json, rotation_grid, rotation_panel, set_bold,
};
use super::plan::{pow3_label, reference_run, sgd_grid, task_label, FIVE_TASKS, SGD_RHO_EXPONENTS};
use super::{FigRun, FigureSpec, RenderCtx, Results};
use anyhow::Result;
use std::path::Path;

/// The grid exponents shown as columns.
pub const SHOWN: [f64; 5] = [-4.0, -3.0, -2.0, -1.0, 0.0];

pub struct Fig02;

/// The exponent with the best validation accuracy among the runs that did not fail.
pub fn best_by_validation(results: &Results, task: layca_train::TaskId) -> Result<Option<f64>> {
    let mut best: Option<(f64, f64)> = None;
    for &e in &SGD_RHO_EXPONENTS {
        let r = results.get(&sgd_grid(task, e).key)?;
        if let (false, Some(v)) = (r.failed(), r.best_val_acc()) {
            if best.is_none_or(|(_, b)| v > b) {
                best = Some((e, v));
            }
        }
    }
    Ok(best.map(|b| b.0))
}

impl FigureSpec for Fig02 {
    fn number(&self) -> u32 {
        2
    }
    fn title(&self) -> &'static str {
        "Layer rotation under vanilla SGD for five learning rates (5 tasks × 5 columns)"
    }
    fn runs(&self) -> Vec<FigRun> {
        let mut runs: Vec<FigRun> = FIVE_TASKS
            .iter()
            .flat_map(|&t| SGD_RHO_EXPONENTS.iter().map(move |&e| sgd_grid(t, e)))
            .collect();
        runs.extend(FIVE_TASKS.iter().map(|&t| reference_run(t)));
        runs
    }
    fn render(&self, results: &Results, ctx: &RenderCtx, stem: &Path) -> Result<serde_json::Value> {
        let mut rows = Vec::new();
        let mut json = Vec::new();
        for &task in &FIVE_TASKS {
            let eta_ref = measured_reference(results, task)?;
            let best = best_by_validation(results, task)?;
            let mut row = Vec::new();
            for &e in &SHOWN {
                let r = results.get(&sgd_grid(task, e).key)?;
                let title = eta_or_delta(r, eta_ref, false);
                let mut panel = rotation_panel(r, title.clone(), 80.0)?;
                if best == Some(e) {
                    set_bold(&mut panel);
                }
                row.push(panel);
            }
            let grid_json: Vec<_> = SGD_RHO_EXPONENTS
                .iter()
                .map(|&e| {
                    let r = results.get(&sgd_grid(task, e).key)?;
                    let t = eta_or_delta(r, eta_ref, false);
                    Ok(serde_json::json!({"rho": pow3_label(e), "panel": panel_json(r, &t, eta_ref)}))
                })
                .collect::<Result<_>>()?;
            json.push(serde_json::json!({
                "task": task.name(),
                "best_rho_by_validation": best.map(pow3_label),
                "grid": grid_json,
            }));
            rows.push(row);
        }
        let grid = rotation_grid(
            rows,
            FIVE_TASKS
                .iter()
                .map(|&t| task_label(t).to_string())
                .collect(),
            SHOWN
                .iter()
                .map(|&e| format!("ρ={}", pow3_label(e)))
                .collect(),
            false,
        );
        ctx.render(grid, stem)?;
        Ok(serde_json::Value::Array(json))
    }
}
