//! Figure 5: percentiles of Adam's second-moment accumulator per layer on C10-CNN1, after about
//! 1, 10 and 50 epochs (spec §5.4, §6 Fig 5): median as markers, 10th–90th percentile band, log
//! y-axis shared by the three panels.
use super::plan::plain;
use super::{FigRun, FigureSpec, RenderCtx, Results};
use anyhow::{Context, Result};
use layca_plot::{Axis, Band, Grid, Marker, Panel, Series, TAB10};
use layca_train::{OptimizerKind, TaskId};
use std::path::Path;

/// The epochs shown at paper scale (records 1, 10, 50 of 100).
pub const EPOCHS: [usize; 3] = [1, 10, 50];

pub struct Fig05;

fn adam_run() -> FigRun {
    let mut r = plain(
        TaskId::C10Cnn1,
        OptimizerKind::Adam,
        3f64.powi(-5),
        "c10-cnn1/adam/moments",
    );
    r.cfg.record_moments = true;
    r
}

/// The record index shown for paper epoch `e` at this run's scale (distinct, in range).
fn record_index(e: usize, paper_epochs: usize, n_records: usize) -> usize {
    let k = (e as f64 * n_records as f64 / paper_epochs as f64).round() as usize;
    k.min(n_records.saturating_sub(1))
}

/// The y range covering every band, in whole decades.
fn decade_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f64::INFINITY, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
    if lo.is_finite() && hi > 0.0 {
        (
            10f64.powf(lo.log10().floor()),
            10f64.powf(hi.log10().ceil().max(lo.log10().floor() + 1.0)),
        )
    } else {
        (1e-10, 1.0)
    }
}

impl FigureSpec for Fig05 {
    fn number(&self) -> u32 {
        5
    }
    fn title(&self) -> &'static str {
        "Adam second-moment percentiles per layer on C10-CNN1 (epochs 1, 10, 50)"
    }
    fn runs(&self) -> Vec<FigRun> {
        vec![adam_run()]
    }
    fn render(&self, results: &Results, ctx: &RenderCtx, stem: &Path) -> Result<serde_json::Value> {
        let r = results.get(&adam_run().key)?;
        let n = r.history.len();
        let mut shown = Vec::new();
        for &e in &EPOCHS {
            let k = record_index(e, r.paper_epochs, n);
            let m = r
                .history
                .get(k)
                .and_then(|h| h.moments.clone())
                .with_context(|| {
                    format!("run {} has no second-moment record at epoch {k}", r.key)
                })?;
            shown.push((e, k, m));
        }
        let (lo, hi) = decade_range(
            shown
                .iter()
                .flat_map(|s| s.2.iter().flat_map(|p| p.iter().copied())),
        );
        let mut panels = Vec::new();
        for (e, k, m) in &shown {
            let layers = m.len() as f64;
            let x: Vec<f64> = (0..m.len()).map(|i| i as f64).collect();
            let mut s = Series::new(None, TAB10[0], x, m.iter().map(|p| p[1]).collect());
            s.band = Some(Band::new(
                m.iter().map(|p| p[0]).collect(),
                m.iter().map(|p| p[2]).collect(),
            ));
            s.marker = Some(Marker::Circle);
            let mut p = Panel::new(
                Axis::new(-0.5, layers - 0.5).with_label("Layer index"),
                Axis::log10(lo, hi).with_label("2nd raw moment"),
            )
            .with_title(format!("Epoch {k} (paper: {e})"));
            p.push(s);
            panels.push(p);
        }
        let mut grid = Grid::new(vec![panels]);
        grid.cell_width = 420;
        grid.cell_height = 360;
        grid.font_px = 18.0;
        ctx.render(grid, stem)?;
        Ok(serde_json::json!(shown
            .iter()
            .map(|(e, k, m)| serde_json::json!({"paper_epoch": e, "record": k, "percentiles_10_50_90": m}))
            .collect::<Vec<_>>()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_records_follow_the_scale() {
        assert_eq!(record_index(1, 100, 100), 1);
        assert_eq!(record_index(50, 100, 100), 50);
        assert_eq!(record_index(10, 100, 20), 2);
        assert_eq!(record_index(50, 100, 2), 1);
        assert_eq!(decade_range([2e-7, 3e-3].into_iter()), (1e-7, 1e-2));
    }
}
