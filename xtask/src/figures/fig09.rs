//! Figure 9: test accuracy against α (ρ(0) = 3^-3) and against ρ(0) (α = 0) under Layca, on
//! C10-CNN1, C100-resnet and tiny-CNN (spec §6 Fig 9). Left: points whose last-epoch training
//! accuracy is ≤ 0.9 are omitted, as in the paper; right: every run, failures at their accuracy.
//! The JSON also holds the paper's rule of thumb measured on these runs: the Spearman
//! correlation between mean final layer rotation and test accuracy.
use super::plan::{layca, task_label, trim, ALPHA_GRID, LAYCA_RHO_EXPONENTS, THREE_TASKS};
use super::results::RunResult;
use super::{FigRun, FigureSpec, RenderCtx, Results};
use anyhow::Result;
use layca_plot::{cycle_color, Axis, Grid, LegendEntry, Marker, Panel, Series};
use std::path::Path;

pub struct Fig09;

/// The α grid at 3^-3, then the ρ(0) grid at α = 0, without the shared run twice.
pub fn exploration(task: layca_train::TaskId) -> Vec<FigRun> {
    let mut runs: Vec<FigRun> = ALPHA_GRID.iter().map(|&a| layca(task, -3.0, a)).collect();
    runs.extend(
        LAYCA_RHO_EXPONENTS
            .iter()
            .filter(|&&e| e != -3.0)
            .map(|&e| layca(task, e, 0.0)),
    );
    runs
}

fn mean_final_rotation(r: &RunResult) -> Option<f64> {
    let rot = &r.history.last()?.rotation;
    (!rot.is_empty()).then(|| rot.iter().sum::<f64>() / rot.len() as f64)
}

/// Spearman's rank correlation (average ranks for ties); `None` for fewer than 3 points or a
/// constant variable.
pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    fn ranks(v: &[f64]) -> Vec<f64> {
        let mut idx: Vec<usize> = (0..v.len()).collect();
        idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
        let mut r = vec![0.0; v.len()];
        let mut i = 0;
        while i < idx.len() {
            let mut j = i;
            while j + 1 < idx.len() && v[idx[j + 1]] == v[idx[i]] {
                j += 1;
            }
            for &k in &idx[i..=j] {
                r[k] = (i + j) as f64 / 2.0 + 1.0;
            }
            i = j + 1;
        }
        r
    }
    if x.len() != y.len() || x.len() < 3 {
        return None;
    }
    let (rx, ry) = (ranks(x), ranks(y));
    let n = x.len() as f64;
    let (mx, my) = (rx.iter().sum::<f64>() / n, ry.iter().sum::<f64>() / n);
    let cov: f64 = rx.iter().zip(&ry).map(|(a, b)| (a - mx) * (b - my)).sum();
    let vx: f64 = rx.iter().map(|a| (a - mx).powi(2)).sum();
    let vy: f64 = ry.iter().map(|b| (b - my).powi(2)).sum();
    (vx > 0.0 && vy > 0.0).then(|| cov / (vx * vy).sqrt())
}

/// The rule of thumb on a set of runs: Spearman(mean final rotation, test accuracy), and
/// whether α = 0, ρ(0) = 3^-3 is the best configuration of its task or within 0.5 % of it.
pub fn rule_of_thumb<'a>(runs: impl Iterator<Item = &'a RunResult>) -> serde_json::Value {
    let points: Vec<(f64, f64)> = runs
        .filter_map(|r| Some((mean_final_rotation(r)?, r.test_acc()?)))
        .collect();
    let (x, y): (Vec<f64>, Vec<f64>) = points.iter().copied().unzip();
    serde_json::json!({"n": points.len(), "spearman_rotation_vs_test_acc": spearman(&x, &y)})
}

fn best_check(results: &Results, task: layca_train::TaskId) -> Result<serde_json::Value> {
    let runs = exploration(task);
    let reference = results.get(&layca(task, -3.0, 0.0).key)?.test_acc();
    let mut best: Option<(String, f64)> = None;
    for r in &runs {
        if let Some(a) = results.get(&r.key)?.test_acc() {
            if best.as_ref().is_none_or(|b| a > b.1) {
                best = Some((r.key.clone(), a));
            }
        }
    }
    let within = reference.zip(best.as_ref()).map(|(a, b)| b.1 - a <= 0.005);
    Ok(serde_json::json!({
        "task": task.name(),
        "reference_alpha0_rho3^-3": reference,
        "best": best.as_ref().map(|b| &b.0),
        "best_test_acc": best.as_ref().map(|b| b.1),
        "reference_is_best_or_within_0.5pct": within,
        "per_task": rule_of_thumb(runs.iter().filter_map(|r| results.get(&r.key).ok())),
    }))
}

fn point(r: &RunResult, filter: bool) -> f64 {
    match (r.test_acc(), r.train_acc()) {
        (Some(a), Some(t)) if !filter || t > 0.9 => a,
        _ => f64::NAN,
    }
}

fn series(results: &Results, i: usize, task: layca_train::TaskId, alpha: bool) -> Result<Series> {
    let (x, keys): (Vec<f64>, Vec<String>) = if alpha {
        ALPHA_GRID
            .iter()
            .map(|&a| (a, layca(task, -3.0, a).key))
            .unzip()
    } else {
        LAYCA_RHO_EXPONENTS
            .iter()
            .map(|&e| (e, layca(task, e, 0.0).key))
            .unzip()
    };
    let y = keys
        .iter()
        .map(|k| Ok(point(results.get(k)?, alpha)))
        .collect::<Result<Vec<_>>>()?;
    let mut s = Series::new(Some(task_label(task).into()), cycle_color(i), x, y);
    s.marker = Some(Marker::Circle);
    Ok(s)
}

impl FigureSpec for Fig09 {
    fn number(&self) -> u32 {
        9
    }
    fn title(&self) -> &'static str {
        "Test accuracy against α and against ρ(0) under Layca (3 tasks)"
    }
    fn runs(&self) -> Vec<FigRun> {
        THREE_TASKS.iter().flat_map(|&t| exploration(t)).collect()
    }
    fn render(&self, results: &Results, ctx: &RenderCtx, stem: &Path) -> Result<serde_json::Value> {
        let mut left = Panel::new(
            Axis::new(-0.85, 0.85).with_label("α"),
            Axis::new(0.0, 1.0).with_label("Test accuracy"),
        );
        let mut right = Panel::new(
            Axis::new(-7.3, 0.3)
                .with_ticks((-7..=0).map(f64::from).collect())
                .with_label("log3 ρ(0)"),
            Axis::new(0.0, 1.0),
        );
        let mut per_task = Vec::new();
        for (i, &t) in THREE_TASKS.iter().enumerate() {
            left.push(series(results, i, t, true)?);
            right.push(series(results, i, t, false)?);
            per_task.push(best_check(results, t)?);
        }
        let mut grid = Grid::new(vec![vec![left, right]]);
        grid.legend = THREE_TASKS
            .iter()
            .enumerate()
            .map(|(i, &t)| LegendEntry {
                label: task_label(t).into(),
                color: cycle_color(i),
            })
            .collect();
        grid.cell_width = 480;
        grid.cell_height = 380;
        grid.font_px = 18.0;
        ctx.render(grid, stem)?;
        let points: Vec<_> = results
            .iter()
            .map(|r| {
                serde_json::json!({
                    "key": r.key, "alpha": trim(r.cfg.alpha), "rho0": r.cfg.rho0,
                    "test_acc": r.test_acc(), "train_acc": r.train_acc(),
                    "mean_final_rotation": mean_final_rotation(r), "failed": r.failed(),
                })
            })
            .collect();
        Ok(serde_json::json!({
            "points": points,
            "rule_of_thumb": rule_of_thumb(results.iter()),
            "per_task": per_task,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spearman_matches_hand_computed_values() {
        assert_eq!(spearman(&[1.0, 2.0, 3.0], &[10.0, 20.0, 30.0]), Some(1.0));
        assert_eq!(spearman(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]), Some(-1.0));
        // Ranks x: 1 2 3 4, y: 2 1 4 3 → d² = 1+1+1+1 = 4 → 1 − 6·4/(4·15) = 0.6.
        let r = spearman(&[1.0, 2.0, 3.0, 4.0], &[2.0, 1.0, 4.0, 3.0]).unwrap();
        assert!((r - 0.6).abs() < 1e-12);
        assert_eq!(spearman(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]), None);
        assert_eq!(spearman(&[1.0, 2.0], &[1.0, 2.0]), None);
    }

    #[test]
    fn the_grid_has_twenty_runs_per_task() {
        let runs = exploration(layca_train::TaskId::C10Cnn1);
        assert_eq!(runs.len(), 13 + 8 - 1);
    }
}
