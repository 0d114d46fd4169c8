//! Figure 11: training-loss curves under Layca, 3 tasks × 3 columns (spec §6 Fig 11): α ≤ 0 and
//! α ≥ 0 at ρ(0) = 3^-3, and ρ(0) from 3^-3 to 3^-4 (the fractional exponents are extra runs).
use super::panels::{curve_panel, history_series, scaled_epoch};
use super::plan::{layca, pow3_label, task_label, trim, THREE_TASKS};
use super::{FigRun, FigureSpec, RenderCtx, Results};
use anyhow::Result;
use layca_plot::{cycle_color, Axis, Corner, Grid, Legend};
use layca_train::TaskId;
use std::path::Path;

/// α values of column 1 (negative side) and column 2 (positive side), at ρ(0) = 3^-3.
pub const NEGATIVE: [f64; 6] = [0.0, -0.1, -0.2, -0.3, -0.4, -0.6];
/// See [`NEGATIVE`].
pub const POSITIVE: [f64; 6] = [0.0, 0.1, 0.2, 0.3, 0.4, 0.6];
/// ρ(0) exponents of column 3, at α = 0.
pub const RHOS: [f64; 6] = [-3.0, -3.2, -3.4, -3.6, -3.8, -4.0];

pub struct Fig11;

/// (key, legend label) of each column's runs.
fn columns(task: TaskId) -> [Vec<(String, String)>; 3] {
    let alpha = |v: &[f64]| {
        v.iter()
            .map(|&a| (layca(task, -3.0, a).key, format!("α={}", trim(a))))
            .collect()
    };
    let rho = RHOS
        .iter()
        .map(|&e| (layca(task, e, 0.0).key, format!("ρ(0)={}", pow3_label(e))))
        .collect();
    [alpha(&NEGATIVE), alpha(&POSITIVE), rho]
}

impl FigureSpec for Fig11 {
    fn number(&self) -> u32 {
        11
    }
    fn title(&self) -> &'static str {
        "Training loss under Layca for α and ρ(0) (3 tasks × 3 columns)"
    }
    fn runs(&self) -> Vec<FigRun> {
        let mut runs = Vec::new();
        for &t in &THREE_TASKS {
            runs.extend(NEGATIVE.iter().map(|&a| layca(t, -3.0, a)));
            runs.extend(POSITIVE.iter().skip(1).map(|&a| layca(t, -3.0, a)));
            runs.extend(RHOS.iter().skip(1).map(|&e| layca(t, e, 0.0)));
        }
        runs
    }
    fn render(&self, results: &Results, ctx: &RenderCtx, stem: &Path) -> Result<serde_json::Value> {
        let (mut rows, mut json) = (vec![], vec![]);
        for (ti, &task) in THREE_TASKS.iter().enumerate() {
            let mut row = Vec::new();
            let mut y_max = 0.0f64;
            for col in columns(task) {
                let mut series = Vec::new();
                let mut x_max = 1.0f64;
                for (i, (key, label)) in col.iter().enumerate() {
                    let r = results.get(key)?;
                    x_max = x_max.max(scaled_epoch(r, 100.0));
                    y_max = y_max.max(r.history.iter().map(|h| h.train_loss).fold(0.0, f64::max));
                    if !r.history.is_empty() {
                        series.push(history_series(
                            r,
                            Some(label.clone()),
                            cycle_color(i),
                            |h| h.train_loss,
                        ));
                    }
                    json.push(serde_json::json!({
                        "task": task.name(), "key": key, "label": label,
                        "train_loss": r.history.iter().map(|h| h.train_loss).collect::<Vec<_>>(),
                    }));
                }
                row.push((x_max, series));
            }
            let y_max = if y_max.is_finite() && y_max > 0.0 {
                y_max * 1.05
            } else {
                1.0
            };
            let panels = row
                .into_iter()
                .map(|(x_max, s)| {
                    let mut p = curve_panel(x_max, Axis::new(0.0, y_max), s);
                    if ti == 0 {
                        p.legend = Legend::Inside(Corner::UpperRight);
                    }
                    p
                })
                .collect();
            rows.push(panels);
        }
        let mut grid = Grid::new(rows);
        grid.row_labels = THREE_TASKS
            .iter()
            .map(|&t| task_label(t).to_string())
            .collect();
        grid.col_headers = vec!["α ≤ 0".into(), "α ≥ 0".into(), "ρ(0)".into()];
        grid.cell_width = 380;
        grid.cell_height = 300;
        grid.font_px = 18.0;
        ctx.render(grid, stem)?;
        Ok(serde_json::Value::Array(json))
    }
}
