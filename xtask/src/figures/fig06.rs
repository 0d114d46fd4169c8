//! Figure 6: adaptive methods without (row 1) and with Layca (row 2), 2 × 5 tasks (spec §6
//! Fig 6). Row 1 shows each task's tuned adaptive run; for the first three tasks the ρ grid
//! 3^-7 … 3^2 it was selected from is part of the figure's runs (best by validation in JSON).
use super::panels::{eta_or_delta, measured_reference, panel_json, rotation_grid, rotation_panel};
use super::plan::{
    adaptive, adaptive_layca, plain, pow3_label, reference_run, task_label, FIVE_TASKS,
    SGD_RHO_EXPONENTS, THREE_TASKS,
};
use super::{FigRun, FigureSpec, RenderCtx, Results};
use anyhow::Result;
use layca_train::TaskId;
use std::path::Path;

pub struct Fig06;

fn grid_run(task: TaskId, e: f64) -> FigRun {
    let opt = adaptive(task).cfg.optimizer;
    plain(
        task,
        opt,
        3f64.powf(e),
        format!("{}/adaptive-grid/rho={}", task.name(), pow3_label(e)),
    )
}

fn best_of_grid(results: &Results, task: TaskId) -> Result<Option<String>> {
    let mut best: Option<(f64, f64)> = None;
    for &e in &SGD_RHO_EXPONENTS {
        let r = results.get(&grid_run(task, e).key)?;
        if let (false, Some(v)) = (r.failed(), r.best_val_acc()) {
            if best.is_none_or(|(_, b)| v > b) {
                best = Some((e, v));
            }
        }
    }
    Ok(best.map(|b| pow3_label(b.0)))
}

impl FigureSpec for Fig06 {
    fn number(&self) -> u32 {
        6
    }
    fn title(&self) -> &'static str {
        "Adaptive methods without and with Layca (2 rows × 5 tasks)"
    }
    fn runs(&self) -> Vec<FigRun> {
        let mut runs: Vec<FigRun> = FIVE_TASKS.iter().map(|&t| adaptive(t)).collect();
        runs.extend(FIVE_TASKS.iter().map(|&t| adaptive_layca(t)));
        for &t in &THREE_TASKS {
            runs.extend(SGD_RHO_EXPONENTS.iter().map(|&e| grid_run(t, e)));
        }
        runs.extend(FIVE_TASKS.iter().map(|&t| reference_run(t)));
        runs
    }
    fn render(&self, results: &Results, ctx: &RenderCtx, stem: &Path) -> Result<serde_json::Value> {
        let (mut top, mut bottom, mut json) = (vec![], vec![], vec![]);
        for &task in &FIVE_TASKS {
            let eta_ref = measured_reference(results, task)?;
            let a = results.get(&adaptive(task).key)?;
            let l = results.get(&adaptive_layca(task).key)?;
            let (ta, tl) = (
                eta_or_delta(a, eta_ref, false),
                eta_or_delta(l, eta_ref, false),
            );
            top.push(rotation_panel(a, ta.clone(), 80.0)?);
            bottom.push(rotation_panel(l, tl.clone(), 80.0)?);
            let best = if THREE_TASKS.contains(&task) {
                best_of_grid(results, task)?
            } else {
                None
            };
            json.push(serde_json::json!({
                "task": task.name(),
                "adaptive": panel_json(a, &ta, eta_ref),
                "adaptive_layca": panel_json(l, &tl, eta_ref),
                "grid_best_rho_by_validation": best,
            }));
        }
        let grid = rotation_grid(
            vec![top, bottom],
            vec!["Adaptive".into(), "Adapt.+Layca".into()],
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
