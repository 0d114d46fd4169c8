//! Panels shared by several figures: layer-rotation panels with η / Δη titles (spec §6
//! conventions), training-curve panels, and the "Training fails" panel.
use super::results::RunResult;
use anyhow::Result;
use layca_plot::{Axis, ColorBar, Grid, Panel, RotationPanel, Series, XConvention};
use serde_json::json;

/// The x position at this scale of epoch `paper_x` of the paper's axes: the figures keep the
/// paper's fraction of training on screen (e.g. the first 80 of 100 epochs).
pub fn scaled_epoch(r: &RunResult, paper_x: f64) -> f64 {
    (paper_x * r.cfg.num_epochs() as f64 / r.paper_epochs as f64).max(1.0)
}

/// Round ticks 0 / middle / end for a scaled epoch axis.
pub fn epoch_ticks(max: f64) -> Vec<f64> {
    vec![0.0, (max / 2.0).round(), max]
}

/// Marks a panel as a run whose training failed (diverged, or "not working").
pub fn mark_failed(panel: &mut Panel) {
    panel
        .annotations
        .push(layca_plot::Annotation::centered("Training fails"));
}

/// The rotation panel of one run, titled `title`, with x over the first `paper_x_max` epochs of
/// the paper's schedule (scaled). A run with no record (diverged at once) gives an empty panel.
pub fn rotation_panel(r: &RunResult, title: String, paper_x_max: f64) -> Result<Panel> {
    let x_max = scaled_epoch(r, paper_x_max);
    let records = r.rotation_records();
    let mut panel = if records.is_empty() {
        let mut p = Panel::new(
            Axis::new(0.0, x_max).without_tick_labels(),
            Axis::new(0.0, 1.0).without_tick_labels(),
        );
        p.title.push(title);
        p
    } else {
        let curves = layca_plot::layers_from_records(&records)?;
        RotationPanel::new(title, curves, XConvention::PrependZero)
            .with_x((0.0, x_max), epoch_ticks(x_max))
            .to_panel()?
    };
    if r.failed() {
        mark_failed(&mut panel);
    }
    Ok(panel)
}

/// `η = x %` for the reference run, `Δη = x %` for the others, `Training fails` when it failed.
pub fn eta_or_delta(r: &RunResult, eta_ref: Option<f64>, is_reference: bool) -> String {
    match (r.test_acc(), eta_ref) {
        _ if r.failed() => "Training fails".into(),
        (Some(eta), Some(e_ref)) if !is_reference => layca_plot::delta_eta_title(eta, e_ref),
        (Some(eta), _) => layca_plot::eta_title(eta),
        (None, _) => "Training fails".into(),
    }
}

/// The measured η of the task's reference run (α = 0, ρ(0) = 3^-3 under Layca) at this scale.
pub fn measured_reference(
    results: &super::Results,
    task: layca_train::TaskId,
) -> Result<Option<f64>> {
    let r = results.get(&super::plan::reference_run(task).key)?;
    Ok(if r.failed() { None } else { r.test_acc() })
}

/// The numbers of a rotation panel for the figure's JSON.
pub fn panel_json(r: &RunResult, title: &str, eta_ref: Option<f64>) -> serde_json::Value {
    let rot = r.history.last().map(|h| h.rotation.clone());
    let mean = rot
        .as_ref()
        .filter(|v| !v.is_empty())
        .map(|v| v.iter().sum::<f64>() / v.len() as f64);
    json!({
        "key": r.key,
        "title": title,
        "eta": r.test_acc(),
        "eta_ref": eta_ref,
        "delta_eta": r.test_acc().zip(eta_ref).map(|(a, b)| ((a - b) * 10000.0).round() / 100.0),
        "paper_eta_ref": super::plan::paper_eta_reference(r.cfg.task),
        "failed": r.failed(),
        "epochs_run": r.history.len(),
        "final_rotation": rot,
        "mean_final_rotation": mean,
    })
}

/// A grid of rotation panels with the §6 layout (row labels, column headers, colour bar).
pub fn rotation_grid(
    panels: Vec<Vec<Panel>>,
    row_labels: Vec<String>,
    col_headers: Vec<String>,
    colorbar: bool,
) -> Grid {
    let mut g = Grid::new(panels);
    g.row_labels = row_labels;
    g.col_headers = col_headers;
    g.colorbar = colorbar.then(ColorBar::default);
    g.cell_width = 300;
    g.cell_height = 300;
    g.font_px = 18.0;
    g
}

/// A training-curve panel (accuracy or loss per epoch) with the given curves.
pub fn curve_panel(x_max: f64, y: Axis, series: Vec<Series>) -> Panel {
    let mut p = Panel::new(Axis::new(0.0, x_max).with_ticks(epoch_ticks(x_max)), y);
    for s in series {
        p.push(s);
    }
    p
}

/// Per-epoch values of a run's history as a series at x = 0-based epoch.
pub fn history_series(
    r: &RunResult,
    label: Option<String>,
    color: layca_plot::Rgb,
    value: impl Fn(&layca_train::EpochRecord) -> f64,
) -> Series {
    Series::from_y(label, color, r.history.iter().map(value).collect())
}

/// Draws the panel's title in bold (Figure 2's validation-selected learning rate).
pub fn set_bold(panel: &mut Panel) {
    for line in &mut panel.title {
        *line = format!("**{line}**");
    }
}

/// One row of rotation panels, one run per task (`key` names it), titled Δη against each task's
/// measured reference run, rendered with the task names as column headers (Figs 3 and 12).
/// Returns the per-panel JSON.
pub fn reference_row(
    results: &super::Results,
    ctx: &super::RenderCtx,
    stem: &std::path::Path,
    row_label: &str,
    tasks: &[layca_train::TaskId],
    key: impl Fn(layca_train::TaskId) -> String,
) -> Result<serde_json::Value> {
    let (mut row, mut out) = (Vec::new(), Vec::new());
    for &task in tasks {
        let r = results.get(&key(task))?;
        let eta_ref = measured_reference(results, task)?;
        let title = eta_or_delta(r, eta_ref, false);
        out.push(json!({"task": task.name(), "panel": panel_json(r, &title, eta_ref)}));
        row.push(rotation_panel(r, title, 80.0)?);
    }
    let headers = tasks
        .iter()
        .map(|&t| super::plan::task_label(t).to_string())
        .collect();
    ctx.render(
        rotation_grid(vec![row], vec![row_label.into()], headers, false),
        stem,
    )?;
    Ok(serde_json::Value::Array(out))
}
