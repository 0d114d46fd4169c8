//! Figure 10: the first epoch of plain SGD with ρ = 3^0 (Nesterov 0.9 on C100-WRN), 2 rows × 5
//! tasks (spec §6 Fig 10): rotation after every step (row 1) and the mini-batch training
//! accuracy of every step (row 2).
use super::plan::{plain, task_label, task_sgd, FIVE_TASKS};
use super::results::RunResult;
use super::{FigRun, FigureSpec, RenderCtx, Results};
use anyhow::Result;
use layca_core::Schedule;
use layca_plot::{Axis, Grid, Panel, RotationPanel, Series, XConvention, TAB10};
use layca_train::TaskId;
use std::path::Path;

pub struct Fig10;

fn first_epoch(task: TaskId) -> FigRun {
    let mut r = plain(
        task,
        task_sgd(task),
        1.0,
        format!("{}/sgd/rho=3^0/first-epoch", task.name()),
    );
    r.cfg.epochs = Some(1);
    r.cfg.schedule = Some(Schedule::Constant { base: 1.0 });
    r.cfg.stopping = false;
    r.cfg.record_steps = true;
    r.cfg.record_steps_first_epoch_only = true;
    r
}

fn panels(r: &RunResult) -> Result<(Panel, Panel)> {
    let n = r.steps.len().max(1) as f64;
    let ticks = vec![0.0, n];
    let rotation = if r.steps.is_empty() {
        Panel::new(
            Axis::new(0.0, n).with_ticks(ticks.clone()),
            Axis::new(0.0, 1.0),
        )
    } else {
        // Record k = the state after step k + 1; a 0 is drawn at iteration 0.
        let records: Vec<Vec<f64>> = r.steps.iter().map(|s| s.rotation.clone()).collect();
        let curves = layca_plot::layers_from_records(&records)?;
        let mut p = RotationPanel::new(task_label(r.cfg.task), curves, XConvention::PrependZero)
            .with_x((0.0, n), ticks.clone());
        p.show_tick_labels = true;
        p.y_label = Some("Cosine distance".into());
        p.to_panel()?
    };
    let acc: Vec<f64> = r.steps.iter().map(|s| s.batch_acc).collect();
    let top = acc.iter().copied().fold(0.4f64, f64::max);
    let mut accuracy = Panel::new(
        Axis::new(0.0, n).with_ticks(ticks).with_label("Iteration"),
        Axis::new(0.0, top).with_label("Training acc"),
    );
    if !acc.is_empty() {
        let x = (1..=acc.len()).map(|i| i as f64).collect();
        accuracy.push(Series::new(None, TAB10[0], x, acc));
    }
    Ok((rotation, accuracy))
}

impl FigureSpec for Fig10 {
    fn number(&self) -> u32 {
        10
    }
    fn title(&self) -> &'static str {
        "First epoch of SGD with ρ = 3^0: per-step rotation and batch accuracy (2 × 5 tasks)"
    }
    fn runs(&self) -> Vec<FigRun> {
        FIVE_TASKS.iter().map(|&t| first_epoch(t)).collect()
    }
    fn render(&self, results: &Results, ctx: &RenderCtx, stem: &Path) -> Result<serde_json::Value> {
        let (mut top, mut bottom, mut json) = (vec![], vec![], vec![]);
        for &task in &FIVE_TASKS {
            let r = results.get(&first_epoch(task).key)?;
            let (rot, acc) = panels(r)?;
            top.push(rot);
            bottom.push(acc);
            json.push(serde_json::json!({
                "task": task.name(), "status": r.status_text(), "steps": r.steps.len(),
                "rotation": r.steps.iter().map(|s| &s.rotation).collect::<Vec<_>>(),
                "batch_acc": r.steps.iter().map(|s| s.batch_acc).collect::<Vec<_>>(),
            }));
        }
        let mut grid = Grid::new(vec![top, bottom]);
        grid.cell_width = 320;
        grid.cell_height = 300;
        grid.font_px = 18.0;
        ctx.render(grid, stem)?;
        Ok(serde_json::Value::Array(json))
    }
}
