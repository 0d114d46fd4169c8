//! Layer-rotation panels: one line per kernel layer, coloured viridis(i/(L−1)).

use serde::{Deserialize, Serialize};

use super::{nice_ticks, Axis, Panel, Series};
use crate::color::layer_color;
use crate::error::{PlotError, Result};

/// How records of a rotation curve map to the x-axis (spec §5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum XConvention {
    /// Curve-figure convention: a 0 is prepended at x = 0 and record k is drawn at x = k + 1.
    PrependZero,
    /// Figure 8 / Figure 10 convention: record k at x = k, nothing prepended.
    RecordIndex,
}

/// Layer-rotation curves of one run: one line per kernel layer, coloured viridis(i/(L−1)).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RotationPanel {
    /// Title lines (e.g. `"Δη = −5.34 %"`).
    pub title: Vec<String>,
    /// Cosine distances indexed `[layer][record]` (layers in forward order); see
    /// [`layers_from_records`] for the `[record][layer]` layout stored by the monitor.
    pub curves: Vec<Vec<f64>>,
    /// Where record k is drawn.
    pub convention: XConvention,
    /// x-axis limits (the rotation grids use `[0, 80]`).
    pub x_range: (f64, f64),
    /// x tick positions (the rotation grids use 0/40/80).
    pub x_ticks: Vec<f64>,
    /// y-axis limits (`[0, 1]`: the cosine distance is clipped there).
    pub y_range: (f64, f64),
    /// Whether tick labels are drawn (hidden in Figs 1, 2, 3, 6, 12).
    pub show_tick_labels: bool,
    /// x-axis label.
    pub x_label: Option<String>,
    /// y-axis label.
    pub y_label: Option<String>,
}

impl RotationPanel {
    /// A panel with the §6 grid conventions: x in [0, 80] with ticks 0/40/80, y in [0, 1] with
    /// ticks every 0.25, tick labels hidden, no axis labels.
    pub fn new(title: impl Into<String>, curves: Vec<Vec<f64>>, convention: XConvention) -> Self {
        RotationPanel {
            title: vec![title.into()],
            curves,
            convention,
            x_range: (0.0, 80.0),
            x_ticks: vec![0.0, 40.0, 80.0],
            y_range: (0.0, 1.0),
            show_tick_labels: false,
            x_label: None,
            y_label: None,
        }
    }

    /// Sets the x-axis limits and tick positions.
    pub fn with_x(mut self, range: (f64, f64), ticks: Vec<f64>) -> Self {
        self.x_range = range;
        self.x_ticks = ticks;
        self
    }

    /// Builds the generic [`Panel`]; errors on no layers, an empty layer or layers of different
    /// lengths.
    pub fn to_panel(&self) -> Result<Panel> {
        let n_layers = self.curves.len();
        if n_layers == 0 {
            return Err(PlotError::Data("rotation panel has no layers".into()));
        }
        let n_records = self.curves[0].len();
        for (l, c) in self.curves.iter().enumerate() {
            if c.is_empty() {
                return Err(PlotError::Data(format!(
                    "rotation panel: layer {l} has no records"
                )));
            }
            if c.len() != n_records {
                return Err(PlotError::Data(format!(
                    "rotation panel: layer {l} has {} records but layer 0 has {n_records}",
                    c.len()
                )));
            }
        }
        let y_ticks = nice_ticks(self.y_range.0, self.y_range.1, 5);
        let mut x = Axis::new(self.x_range.0, self.x_range.1).with_ticks(self.x_ticks.clone());
        let mut y = Axis::new(self.y_range.0, self.y_range.1).with_ticks(y_ticks);
        x.show_tick_labels = self.show_tick_labels;
        y.show_tick_labels = self.show_tick_labels;
        x.label = self.x_label.clone();
        y.label = self.y_label.clone();
        let mut panel = Panel::new(x, y);
        panel.title = self.title.clone();
        for (l, c) in self.curves.iter().enumerate() {
            let (xs, ys): (Vec<f64>, Vec<f64>) = match self.convention {
                XConvention::PrependZero => std::iter::once((0.0, 0.0))
                    .chain(c.iter().enumerate().map(|(k, &d)| ((k + 1) as f64, d)))
                    .unzip(),
                XConvention::RecordIndex => {
                    c.iter().enumerate().map(|(k, &d)| (k as f64, d)).unzip()
                }
            };
            panel.push(Series::new(None, layer_color(l, n_layers), xs, ys));
        }
        panel.validate("rotation panel")?;
        Ok(panel)
    }
}

/// Transposes monitor records `[record][layer]` into curves `[layer][record]`; errors on no
/// records or records of different lengths.
pub fn layers_from_records(records: &[Vec<f64>]) -> Result<Vec<Vec<f64>>> {
    let first = records
        .first()
        .ok_or_else(|| PlotError::Data("no rotation records".into()))?;
    let n_layers = first.len();
    if n_layers == 0 {
        return Err(PlotError::Data("rotation record 0 has no layers".into()));
    }
    let mut out = vec![Vec::with_capacity(records.len()); n_layers];
    for (k, r) in records.iter().enumerate() {
        if r.len() != n_layers {
            return Err(PlotError::Data(format!(
                "rotation record {k} has {} layers but record 0 has {n_layers}",
                r.len()
            )));
        }
        for (l, &d) in r.iter().enumerate() {
            out[l].push(d);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_panel_conventions() {
        let curves = vec![vec![0.1, 0.2], vec![0.3, 0.4], vec![0.5, 0.6]];
        let p = RotationPanel::new("t", curves.clone(), XConvention::PrependZero)
            .to_panel()
            .unwrap();
        assert_eq!(p.series.len(), 3);
        assert_eq!(p.series[1].x, vec![0.0, 1.0, 2.0]);
        assert_eq!(p.series[1].y, vec![0.0, 0.3, 0.4]);
        assert_eq!(p.series[0].color.hex(), "#440154");
        assert_eq!(p.series[2].color.hex(), "#fde725");
        let p = RotationPanel::new("t", curves, XConvention::RecordIndex)
            .to_panel()
            .unwrap();
        assert_eq!(p.series[1].x, vec![0.0, 1.0]);
        assert_eq!(p.series[1].y, vec![0.3, 0.4]);
    }

    #[test]
    fn records_transpose_and_errors() {
        let t = layers_from_records(&[vec![1.0, 2.0], vec![3.0, 4.0], vec![5.0, 6.0]]).unwrap();
        assert_eq!(t, vec![vec![1.0, 3.0, 5.0], vec![2.0, 4.0, 6.0]]);
        assert!(layers_from_records(&[]).is_err());
        let e = layers_from_records(&[vec![1.0, 2.0], vec![3.0]]).unwrap_err();
        assert!(e.to_string().contains("record 1 has 1 layers"), "{e}");
        let e = RotationPanel::new(
            "t",
            vec![vec![0.1, 0.2], vec![0.3]],
            XConvention::RecordIndex,
        )
        .to_panel()
        .unwrap_err();
        assert!(e.to_string().contains("layer 1 has 1 records"), "{e}");
        assert!(RotationPanel::new("t", vec![], XConvention::RecordIndex)
            .to_panel()
            .is_err());
    }
}
