//! `cargo xtask tune --validate STORE --task T --probe 0.05,0.1,0.2`: the tuner against finished
//! runs of a run store (read only).
//!
//! For each (optimizer, control) group of the task's finished runs and each probe fraction:
//! every run's probe predicts its own final rotation (at the steps it actually ran), compared
//! with `metrics.end_rotation`; the group's reference run (α = 0, ρ(0) nearest 3^-3 under Layca,
//! the median η(0) otherwise) gives the suggestion, and the grid point nearest to it (in log ρ,
//! α = 0) is compared with the best test accuracy of the group.
use super::{max_rho, predict_run, suggest, RunView, TuneArgs};
use anyhow::{bail, Context, Result};
use layca_train::{ControlKind, TaskId};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Clone, serde::Serialize)]
struct LayerRow {
    run: String,
    rho0: f64,
    alpha: f64,
    layer: String,
    predicted: f64,
    low: f64,
    high: f64,
    actual: f64,
}

#[derive(Debug, Clone, serde::Serialize)]
struct Summary {
    group: String,
    probe: f64,
    runs: usize,
    layers: usize,
    median_abs_error: f64,
    max_abs_error: f64,
    /// Fraction of layers whose actual final rotation lies in the predicted 16–84 % range.
    coverage: f64,
    reference_run: String,
    suggested_rho0: f64,
    target_reached: bool,
    nearest_grid_rho0: f64,
    nearest_grid_test_acc: f64,
    nearest_grid_min_rotation: f64,
    best_grid_rho0: f64,
    best_grid_alpha: f64,
    best_grid_test_acc: f64,
}

#[derive(serde::Serialize)]
struct Validation {
    store: String,
    task: String,
    target: f64,
    summaries: Vec<Summary>,
    /// Per "group@probe": one row per layer of each run, the columns of [`ROW_COLUMNS`].
    row_columns: [&'static str; 8],
    runs: Vec<String>,
    rows: BTreeMap<String, Vec<CompactRow>>,
}

/// Column names of a [`CompactRow`].
const ROW_COLUMNS: [&str; 8] = [
    "run (index into runs)",
    "rho0",
    "alpha",
    "layer",
    "predicted",
    "low (16 %)",
    "high (84 %)",
    "actual",
];

/// A [`LayerRow`] as an array (run as an index), values to 6 significant digits.
type CompactRow = (usize, f64, f64, String, f64, f64, f64, f64);

fn sig6(x: f64) -> f64 {
    format!("{x:.5e}").parse().unwrap_or(x)
}

fn compact(runs: &mut Vec<String>, r: &LayerRow) -> CompactRow {
    let i = runs.iter().position(|x| *x == r.run).unwrap_or_else(|| {
        runs.push(r.run.clone());
        runs.len() - 1
    });
    let v = |x: f64| sig6(x);
    (
        i,
        r.rho0,
        r.alpha,
        r.layer.clone(),
        v(r.predicted),
        v(r.low),
        v(r.high),
        v(r.actual),
    )
}

fn group_name(v: &RunView) -> String {
    let c = &v.record.config;
    let opt = serde_json::to_value(c.optimizer)
        .ok()
        .and_then(|x| x.as_str().map(String::from))
        .unwrap_or_default();
    let ctl = if matches!(c.control, ControlKind::Layca) {
        "layca"
    } else {
        "plain"
    };
    let l2 = if c.l2 > 0.0 { "+l2" } else { "" };
    format!("{opt}-{ctl}{l2}")
}

/// The finished Layca / plain runs of `task` in `store`, grouped.
fn load_groups(store: &Path, task: TaskId) -> Result<BTreeMap<String, Vec<RunView>>> {
    let mut groups: BTreeMap<String, Vec<RunView>> = BTreeMap::new();
    let entries =
        std::fs::read_dir(store).with_context(|| format!("reading {}", store.display()))?;
    for e in entries.flatten() {
        let Ok(v) = RunView::read(&e.path()) else {
            continue;
        };
        let c = &v.record.config;
        let modelled = matches!(c.control, ControlKind::Layca | ControlKind::None);
        let plain_schedule = c.warmup_epochs == 0 && !c.record_steps_first_epoch_only;
        if c.task == task && modelled && plain_schedule && v.actual_end().is_some() {
            groups.entry(group_name(&v)).or_default().push(v);
        }
    }
    for g in groups.values_mut() {
        g.sort_by(|a, b| a.record.config.rho0.total_cmp(&b.record.config.rho0));
    }
    Ok(groups)
}

fn reference(runs: &[RunView]) -> Option<&RunView> {
    let uniform: Vec<&RunView> = runs
        .iter()
        .filter(|r| r.record.config.alpha == 0.0)
        .collect();
    let layca = matches!(runs.first()?.record.config.control, ControlKind::Layca);
    if layca {
        let target = 3f64.powi(-3).ln();
        uniform.into_iter().min_by(|a, b| {
            let da = (a.record.config.rho0.ln() - target).abs();
            let db = (b.record.config.rho0.ln() - target).abs();
            da.total_cmp(&db)
        })
    } else {
        uniform.get(uniform.len().saturating_sub(1) / 2).copied()
    }
}

fn test_acc(v: &RunView) -> f64 {
    v.record.metrics.as_ref().map_or(f64::NAN, |m| m.test_acc)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn errors(runs: &[RunView], frac: f64) -> Result<Vec<LayerRow>> {
    let mut rows = vec![];
    for v in runs {
        let (steps, actual) = v.actual_end().context("finished")?;
        let Ok(preds) = predict_run(v, frac, steps) else {
            continue;
        };
        for (p, a) in preds.iter().zip(&actual) {
            rows.push(LayerRow {
                run: v.record.id.clone(),
                rho0: v.record.config.rho0,
                alpha: v.record.config.alpha,
                layer: p.name.clone(),
                predicted: p.predicted.value,
                low: p.predicted.low,
                high: p.predicted.high,
                actual: *a,
            });
        }
    }
    Ok(rows)
}

fn summarise(
    a: &TuneArgs,
    group: &str,
    runs: &[RunView],
    frac: f64,
) -> Result<(Summary, Vec<LayerRow>)> {
    let rows = errors(runs, frac)?;
    let abs: Vec<f64> = rows
        .iter()
        .map(|r| (r.predicted - r.actual).abs())
        .collect();
    let covered = rows
        .iter()
        .filter(|r| r.low <= r.actual && r.actual <= r.high)
        .count();
    let refr = reference(runs).context("no α = 0 run in the group")?;
    let cfg = &refr.record.config;
    let preds = predict_run(refr, frac, refr.planned_steps())?;
    let s = suggest(
        cfg,
        &preds,
        refr.spe(),
        refr.planned_steps(),
        a.target,
        max_rho(cfg, a.max_rho)?,
    )?;
    let uniform = runs.iter().filter(|r| r.record.config.alpha == 0.0);
    let nearest = uniform
        .min_by(|x, y| {
            let dx = (x.record.config.rho0 / s.rho0).ln().abs();
            let dy = (y.record.config.rho0 / s.rho0).ln().abs();
            dx.total_cmp(&dy)
        })
        .context("no α = 0 run")?;
    let best = runs
        .iter()
        .max_by(|x, y| test_acc(x).total_cmp(&test_acc(y)))
        .context("empty group")?;
    let min_rot = nearest.actual_end().map_or(f64::NAN, |e| {
        e.1.iter().copied().fold(f64::INFINITY, f64::min)
    });
    let summary = Summary {
        group: group.to_string(),
        probe: frac,
        runs: runs.len(),
        layers: rows.len(),
        median_abs_error: median(abs.clone()),
        max_abs_error: abs.iter().copied().fold(0.0, f64::max),
        coverage: covered as f64 / rows.len().max(1) as f64,
        reference_run: refr.record.id.clone(),
        suggested_rho0: s.rho0,
        target_reached: s.reached,
        nearest_grid_rho0: nearest.record.config.rho0,
        nearest_grid_test_acc: test_acc(nearest),
        nearest_grid_min_rotation: min_rot,
        best_grid_rho0: best.record.config.rho0,
        best_grid_alpha: best.record.config.alpha,
        best_grid_test_acc: test_acc(best),
    };
    Ok((summary, rows))
}

fn log3(x: f64) -> f64 {
    x.ln() / 3f64.ln()
}

fn print_table(v: &Validation) {
    println!("task {} (target {}):", v.task, v.target);
    println!("| group | probe | runs | layers | median abs err | max abs err | in 16–84 % | suggested ρ(0) | nearest grid ρ(0): test acc | best of grid: test acc |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for s in &v.summaries {
        let reached = if s.target_reached { "" } else { " (cap)" };
        println!(
            "| {} | {:.0} % | {} | {} | {:.3} | {:.3} | {:.0} % | 3^{:.2}{reached} | 3^{:.2}: {:.2} % | 3^{:.2}, α {}: {:.2} % |",
            s.group,
            100.0 * s.probe,
            s.runs,
            s.layers,
            s.median_abs_error,
            s.max_abs_error,
            100.0 * s.coverage,
            log3(s.suggested_rho0),
            log3(s.nearest_grid_rho0),
            100.0 * s.nearest_grid_test_acc,
            log3(s.best_grid_rho0),
            s.best_grid_alpha,
            100.0 * s.best_grid_test_acc
        );
    }
}

pub fn run(a: &TuneArgs, store: &Path) -> Result<()> {
    let task = TaskId::parse(a.task.as_deref().context("--validate needs --task")?)?;
    let groups = load_groups(store, task)?;
    if groups.is_empty() {
        bail!(
            "{}: no finished Layca or plain run of {}",
            store.display(),
            task.name()
        );
    }
    let mut v = Validation {
        store: store.display().to_string(),
        task: task.name().to_string(),
        target: a.target,
        summaries: vec![],
        row_columns: ROW_COLUMNS,
        runs: vec![],
        rows: BTreeMap::new(),
    };
    for (name, runs) in &groups {
        for &frac in &a.probe {
            match summarise(a, name, runs, frac) {
                Ok((s, rows)) => {
                    let rows = rows.iter().map(|r| compact(&mut v.runs, r)).collect();
                    v.rows.insert(format!("{name}@{frac}"), rows);
                    v.summaries.push(s);
                }
                Err(e) => eprintln!("{name} probe {frac}: skipped ({e:#})"),
            }
        }
    }
    print_table(&v);
    if let Some(path) = &a.json {
        // compact: thousands of per-layer rows
        crate::write_bytes(path, &serde_json::to_vec(&v)?)?;
    }
    Ok(())
}
