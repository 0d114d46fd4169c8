//! Figure 4: learning-rate warmup on ResNet-110 / CIFAR-10, 2 rows × 5 columns (spec §6 Fig 4):
//! SGD + L2 (no momentum, λ = 1e-3, ρ(0) = 3^-1) with 0, 5, 10, 15 warmup epochs, and Layca
//! (ρ(0) = 3^-3, no warmup). Row 1: rotation; row 2: training accuracy; x over the first 25
//! of 200 epochs (the same fraction at other scales).
use super::panels::{curve_panel, history_series, mark_failed, rotation_panel, scaled_epoch};
use super::plan::{layca, plain};
use super::{FigRun, FigureSpec, RenderCtx, Results};
use anyhow::Result;
use layca_plot::{Axis, Grid, TAB10};
use layca_train::{OptimizerKind, TaskId};
use std::path::Path;

const TASK: TaskId = TaskId::C10Resnet110;
/// Warmup epochs of the four SGD + L2 columns.
pub const WARMUPS: [usize; 4] = [0, 5, 10, 15];

pub struct Fig04;

fn sgd_warmup(w: usize) -> FigRun {
    let mut r = plain(
        TASK,
        OptimizerKind::Sgd,
        3f64.powi(-1),
        format!("{}/sgd-l2/warmup={w}", TASK.name()),
    );
    r.cfg.l2 = TASK.spec().l2;
    r.cfg.warmup_epochs = w;
    r
}

fn keys() -> Vec<String> {
    let mut k: Vec<String> = WARMUPS.iter().map(|&w| sgd_warmup(w).key).collect();
    k.push(layca(TASK, -3.0, 0.0).key);
    k
}

impl FigureSpec for Fig04 {
    fn number(&self) -> u32 {
        4
    }
    fn title(&self) -> &'static str {
        "Learning-rate warmup on ResNet-110 / CIFAR-10: rotation and training accuracy"
    }
    fn runs(&self) -> Vec<FigRun> {
        let mut runs: Vec<FigRun> = WARMUPS.iter().map(|&w| sgd_warmup(w)).collect();
        runs.push(layca(TASK, -3.0, 0.0));
        runs
    }
    fn render(&self, results: &Results, ctx: &RenderCtx, stem: &Path) -> Result<serde_json::Value> {
        let (mut top, mut bottom, mut headers, mut json) = (vec![], vec![], vec![], vec![]);
        for (i, key) in keys().iter().enumerate() {
            let r = results.get(key)?;
            let title = match r.test_acc() {
                Some(eta) if !r.failed() => layca_plot::eta_title(eta),
                _ => "Training fails".into(),
            };
            headers.push(match (i, r.cfg.warmup_epochs) {
                (4, _) => "Layca".to_string(),
                (_, 0) => "SGD + L2, no warmup".to_string(),
                (_, w) => format!("SGD + L2, {w} epoch{}", if w == 1 { "" } else { "s" }),
            });
            let x_max = scaled_epoch(r, 25.0);
            top.push(rotation_panel(r, title.clone(), 25.0)?);
            let mut acc = curve_panel(x_max, Axis::new(0.0, 1.0), vec![]);
            if !r.history.is_empty() {
                acc.push(history_series(r, None, TAB10[0], |h| h.train_acc));
            }
            if r.failed() {
                mark_failed(&mut acc);
            }
            bottom.push(acc);
            json.push(serde_json::json!({
                "key": key, "title": title, "warmup_epochs": r.cfg.warmup_epochs,
                "eta": r.test_acc(), "train_acc": r.history.iter().map(|h| h.train_acc).collect::<Vec<_>>(),
                "final_rotation": r.history.last().map(|h| h.rotation.clone()),
            }));
        }
        let mut grid = Grid::new(vec![top, bottom]);
        grid.row_labels = vec!["Cosine distance".into(), "Training accuracy".into()];
        grid.col_headers = headers;
        grid.cell_width = 300;
        grid.cell_height = 300;
        grid.font_px = 18.0;
        ctx.render(grid, stem)?;
        Ok(serde_json::Value::Array(json))
    }
}
