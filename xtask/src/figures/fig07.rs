//! Figure 7: training accuracy of the adaptive run, of SGD-Layca replaying its per-layer
//! per-step rotation rates (AdaptCopy), and of SGD + L2, 1 × 5 tasks (spec §5.3, §6 Fig 7).
use super::panels::curve_panel;
use super::plan::{adaptive, sgd_l2, task_label, FIVE_TASKS};
use super::{FigRun, FigureSpec, RenderCtx, Results};
use anyhow::Result;
use layca_plot::{Axis, Grid, LegendEntry, Rgb, Series};
use layca_train::{ControlKind, OptimizerKind, RunConfig, TaskId};
use std::path::Path;

const ADAPTIVE: Rgb = Rgb(139, 0, 0); // dark red
const COPY: Rgb = Rgb(0, 191, 255); // deep sky blue
const SGD_L2: Rgb = Rgb(0, 0, 255); // blue

pub struct Fig07;

/// The adaptive run of Fig 6 row 1, recording its per-step rates, without stopping rules.
fn recorded_adaptive(task: TaskId) -> FigRun {
    let mut r = adaptive(task);
    r.key = format!("{}/adaptive-recorded", task.name());
    r.cfg.record_steps = true;
    r.cfg.stopping = false;
    r
}

/// SGD + Layca (SGD_AMom + Layca when the adaptive method is Adam) replaying the recorded run:
/// same ρ(0), schedule and epochs, λ = 0, no stopping rules.
fn adapt_copy(task: TaskId) -> FigRun {
    let src = recorded_adaptive(task);
    let mut cfg = RunConfig::layca(task, src.cfg.rho0);
    cfg.optimizer = if src.cfg.optimizer == OptimizerKind::Adam {
        OptimizerKind::SgdAMom
    } else {
        OptimizerKind::Sgd
    };
    // The driver replaces the source by the recorded run's directory.
    cfg.control = ControlKind::AdaptCopy {
        source: src.key.clone().into(),
    };
    cfg.schedule = src.cfg.schedule.clone();
    cfg.epochs = Some(src.cfg.num_epochs());
    cfg.stopping = false;
    FigRun {
        key: format!("{}/adapt-copy", task.name()),
        cfg,
        replays: Some(src.key),
        eval_limit: None,
    }
}

impl FigureSpec for Fig07 {
    fn number(&self) -> u32 {
        7
    }
    fn title(&self) -> &'static str {
        "Training accuracy: adaptive vs SGD-Layca-AdaptCopy vs SGD + L2 (1 × 5 tasks)"
    }
    fn runs(&self) -> Vec<FigRun> {
        FIVE_TASKS
            .iter()
            .flat_map(|&t| [recorded_adaptive(t), adapt_copy(t), sgd_l2(t)])
            .collect()
    }
    fn render(&self, results: &Results, ctx: &RenderCtx, stem: &Path) -> Result<serde_json::Value> {
        let (mut panels, mut json) = (vec![], vec![]);
        for &task in &FIVE_TASKS {
            let keys = [
                recorded_adaptive(task).key,
                adapt_copy(task).key,
                sgd_l2(task).key,
            ];
            let runs = keys
                .iter()
                .map(|k| results.get(k))
                .collect::<Result<Vec<_>>>()?;
            let x_max = ((runs[2].cfg.num_epochs() as f64) / 10.0).round().max(1.0) * 10.0;
            let x_max = if runs[2].cfg.num_epochs() < 20 {
                runs[2].cfg.num_epochs() as f64
            } else {
                x_max
            };
            let series: Vec<Series> = runs
                .iter()
                .zip([ADAPTIVE, COPY, SGD_L2])
                .filter(|(r, _)| !r.history.is_empty())
                .map(|(r, c)| {
                    Series::from_y(None, c, r.history.iter().map(|h| h.train_acc).collect())
                })
                .collect();
            let y = Axis::new(0.4, 1.01).with_ticks(vec![0.5, 1.0]);
            panels.push(curve_panel(x_max, y, series).with_title(task_label(task)));
            json.push(serde_json::json!({
                "task": task.name(),
                "curves": runs.iter().map(|r| serde_json::json!({
                    "key": r.key, "train_acc": r.history.iter().map(|h| h.train_acc).collect::<Vec<_>>(),
                    "test_acc": r.test_acc(),
                })).collect::<Vec<_>>(),
            }));
        }
        let mut grid = Grid::new(vec![panels]);
        grid.legend = vec![
            LegendEntry {
                label: "Adaptive".into(),
                color: ADAPTIVE,
            },
            LegendEntry {
                label: "SGD-Layca".into(),
                color: COPY,
            },
            LegendEntry {
                label: "SGD + L2".into(),
                color: SGD_L2,
            },
        ];
        grid.cell_width = 320;
        grid.cell_height = 300;
        grid.font_px = 18.0;
        ctx.render(grid, stem)?;
        Ok(serde_json::Value::Array(json))
    }
}
