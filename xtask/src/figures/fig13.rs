//! Figure 13: the α layer multipliers of Eq. 1 (spec §6 Fig 13), a pure function: "Negative α"
//! plots (1+α)^(5·x), "Positive α" plots (1−α)^(5·(1−x)), x = l/L at 10 points of [0, 1].
use super::plan::trim;
use super::{FigRun, FigureSpec, RenderCtx, Results};
use anyhow::Result;
use layca_plot::{cycle_color, Axis, Grid, LegendEntry, Panel, Series};
use std::path::Path;

/// |α| values, one colour each in both panels.
pub const MAGNITUDES: [f64; 7] = [0.0, 0.1, 0.2, 0.3, 0.4, 0.6, 0.8];
const POINTS: usize = 10;

pub struct Fig13;

fn panel(title: &str, sign: f64) -> Result<(Panel, Vec<serde_json::Value>)> {
    let x: Vec<f64> = (0..POINTS)
        .map(|i| i as f64 / (POINTS - 1) as f64)
        .collect();
    let mut p = Panel::new(
        Axis::new(0.0, 1.0).with_label("l/L"),
        Axis::new(0.0, 1.05)
            .with_ticks(vec![0.0, 0.25, 0.5, 0.75, 1.0])
            .with_label("Multiplier"),
    )
    .with_title(title);
    let mut json = Vec::new();
    for (i, &m) in MAGNITUDES.iter().enumerate() {
        let y = layca_core::alpha_multipliers(sign * m, POINTS)?;
        json.push(serde_json::json!({"alpha": trim(sign * m), "multipliers": y}));
        p.push(Series::new(None, cycle_color(i), x.clone(), y));
    }
    Ok((p, json))
}

impl FigureSpec for Fig13 {
    fn number(&self) -> u32 {
        13
    }
    fn title(&self) -> &'static str {
        "The α layer multipliers (Eq. 1)"
    }
    fn runs(&self) -> Vec<FigRun> {
        Vec::new()
    }
    fn render(
        &self,
        _results: &Results,
        ctx: &RenderCtx,
        stem: &Path,
    ) -> Result<serde_json::Value> {
        let (neg, jn) = panel("Negative α", -1.0)?;
        let (pos, jp) = panel("Positive α", 1.0)?;
        let mut grid = Grid::new(vec![vec![neg, pos]]);
        grid.legend = MAGNITUDES
            .iter()
            .enumerate()
            .map(|(i, &m)| LegendEntry {
                label: format!("|α| = {}", trim(m)),
                color: cycle_color(i),
            })
            .collect();
        grid.legend_columns = Some(4);
        grid.cell_width = 420;
        grid.cell_height = 360;
        grid.font_px = 18.0;
        ctx.render(grid, stem)?;
        Ok(serde_json::json!({"negative": jn, "positive": jp}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipliers_are_the_papers_formula() {
        let (_, neg) = panel("n", -1.0).unwrap();
        let (_, pos) = panel("p", 1.0).unwrap();
        // α = -0.6 at x = 1: 0.4^5; α = +0.6 at x = 0: 0.4^5, at x = 1: 1.
        let n = neg[5]["multipliers"].as_array().unwrap();
        assert!((n[9].as_f64().unwrap() - 0.4f64.powi(5)).abs() < 1e-12);
        assert!((n[0].as_f64().unwrap() - 1.0).abs() < 1e-12);
        let p = pos[5]["multipliers"].as_array().unwrap();
        assert!((p[0].as_f64().unwrap() - 0.4f64.powi(5)).abs() < 1e-12);
        assert!((p[9].as_f64().unwrap() - 1.0).abs() < 1e-12);
        // x = 1/3 (the 4th point) for α = -0.2: 0.8^(5/3).
        let a02 = neg[2]["multipliers"].as_array().unwrap();
        assert!((a02[3].as_f64().unwrap() - 0.8f64.powf(5.0 / 3.0)).abs() < 1e-12);
    }
}
