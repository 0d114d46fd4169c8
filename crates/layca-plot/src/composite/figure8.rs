//! Figure 8 (MNIST MLP): (a) hidden-layer rotation curves, (b) hidden-neuron features.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use crate::color::{cycle_color, Rgb};
use crate::draw::text::{draw_rich, Align};
use crate::draw::{draw_caption, draw_image_grid, draw_panel, DrawResult};
use crate::error::{PlotError, Result};
use crate::layout::images::ImageLayout;
use crate::layout::margins::panel_margins;
use crate::layout::text::ensure_font;
use crate::layout::{validate_caption, CaptionLayout, Margins, Rect, Sizes};
use crate::model::{format_percent, Axis, Image, ImageGrid, ImageRow, Legend, Panel, Series};
use crate::output::{output_paths, write_both, Scene};

/// Renders Figure 8 to `<out_stem>.png` and `<out_stem>.svg`: (a) hidden-layer cosine distance
/// of each run (record k at x = k, colours C0, C1, …, labels along the curves), (b) the hidden
/// neurons' weights at initialisation and after training, one row per run with its train/test
/// accuracy.
///
/// With a caption, the image grows by the caption's height (the panels keep their size).
///
/// Errors if there are no runs, a curve is empty, the runs do not all have as many feature
/// images as `init_features`, images are not squares of one common size, an accuracy is not
/// a fraction in [0, 1], or the caption is empty.
pub fn figure8(data: &Figure8Data, out_stem: &Path) -> Result<()> {
    // The layout measures text: register the font first.
    ensure_font()?;
    let (png, _) = output_paths(out_stem);
    let panel = data.rotation_panel().map_err(|e| e.at(&png))?;
    let images = data.feature_grid().map_err(|e| e.at(&png))?;
    let scene = Fig8Scene::new(panel, images, data.caption.as_deref());
    write_both(&scene, out_stem)
}

/// One learning rate of the MNIST experiment (Figure 8).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Figure8Run {
    /// Curve label, e.g. `"lr = 3^-2"` (`^` exponent typeset as a superscript).
    pub label: String,
    /// Cosine distance of the hidden layer (dense0) per record; record k is drawn at x = k.
    pub rotation_curve: Vec<f64>,
    /// Final weights of the shown hidden neurons (5 in the paper), each a square image
    /// (28 × 28 = 784 values for MNIST).
    pub features: Vec<Vec<f32>>,
    /// Final training accuracy as a fraction in [0, 1].
    pub train_acc: f64,
    /// Final test accuracy as a fraction in [0, 1].
    pub test_acc: f64,
}

/// Data of Figure 8: (a) hidden-layer rotation curves, (b) hidden-neuron features.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Figure8Data {
    /// Runs, in the order of the rows of panel (b) and of the colours C0, C1, … of panel (a).
    pub runs: Vec<Figure8Run>,
    /// The same neurons at initialisation (shared by all runs).
    pub init_features: Vec<Vec<f32>>,
    /// Caption drawn centred at the bottom of the figure, below both panels (e.g. the scale and
    /// data set that produced it), smaller than the tick labels; split on `'\n'`, wrapped at
    /// spaces to the figure's width, rich-text markup allowed. The image grows by its height.
    /// `None`: no caption (the image is unchanged); an empty or whitespace-only caption is an
    /// error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
}

impl Figure8Data {
    /// Panel (a): one curve per run in colours C0, C1, …, labelled along the curves,
    /// record k at x = k, x-axis from 0 to the last record index rounded up to tens, y in [0, 1].
    pub fn rotation_panel(&self) -> Result<Panel> {
        self.validate()?;
        let n = self
            .runs
            .iter()
            .map(|r| r.rotation_curve.len())
            .max()
            .unwrap_or(1);
        // Last record index, rounded up to tens (100 records → x in [0, 100] like the paper).
        let last = n.saturating_sub(1);
        let x_max = if last >= 10 {
            (last.div_ceil(10) * 10) as f64
        } else {
            last.max(1) as f64
        };
        let mut panel = Panel::new(
            Axis::new(0.0, x_max).with_label("Epoch"),
            Axis::new(0.0, 1.0).with_label("Cosine distance"),
        )
        .with_legend(Legend::OnCurves);
        for (i, run) in self.runs.iter().enumerate() {
            let mut s = Series::from_y(
                Some(run.label.clone()),
                cycle_color(i),
                run.rotation_curve.clone(),
            );
            s.width = 1.3;
            panel.push(s);
        }
        Ok(panel)
    }

    /// Panel (b): first row the initial features ("Initialisation"), then one row per run with
    /// its label at the left and "Train: x % / Test: y %" at the right.
    pub fn feature_grid(&self) -> Result<ImageGrid> {
        self.validate()?;
        let images = |f: &[Vec<f32>]| -> Result<Vec<Image>> {
            f.iter().map(|v| Image::square(v.clone())).collect()
        };
        let mut rows = vec![ImageRow {
            title: Some("Initialisation".into()),
            title_color: None,
            label: Vec::new(),
            images: images(&self.init_features)?,
        }];
        for (i, run) in self.runs.iter().enumerate() {
            rows.push(ImageRow {
                title: Some(run.label.clone()),
                title_color: Some(cycle_color(i)),
                label: vec![
                    format!("Train: {}", format_percent(run.train_acc)),
                    format!("Test: {}", format_percent(run.test_acc)),
                ],
                images: images(&run.features)?,
            });
        }
        Ok(ImageGrid::new(rows))
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if self.runs.is_empty() {
            return Err(PlotError::Data("figure 8: no runs".into()));
        }
        let n_feat = self.init_features.len();
        if n_feat == 0 {
            return Err(PlotError::Data("figure 8: no initial features".into()));
        }
        for (i, run) in self.runs.iter().enumerate() {
            run.validate(i, n_feat)?;
        }
        validate_caption(self.caption.as_deref(), "figure 8")?;
        self.validate_image_sizes()
    }

    /// Every feature image has as many values as the first, a perfect square.
    fn validate_image_sizes(&self) -> Result<()> {
        let len0 = self.init_features[0].len();
        let all = self
            .init_features
            .iter()
            .chain(self.runs.iter().flat_map(|r| r.features.iter()));
        for (k, f) in all.enumerate() {
            if f.len() != len0 {
                return Err(PlotError::Data(format!(
                    "figure 8: feature image {k} has {} values but the first has {len0}",
                    f.len()
                )));
            }
        }
        Image::square(self.init_features[0].clone())?;
        Ok(())
    }
}

impl Figure8Run {
    /// Run `i`: a non-empty curve, `n_feat` features, accuracies that are fractions.
    fn validate(&self, i: usize, n_feat: usize) -> Result<()> {
        if self.rotation_curve.is_empty() {
            return Err(PlotError::Data(format!(
                "figure 8: run {i} ({}) has an empty rotation curve",
                self.label
            )));
        }
        if self.features.len() != n_feat {
            return Err(PlotError::Data(format!(
                "figure 8: run {i} ({}) has {} features but init_features has {n_feat}",
                self.label,
                self.features.len()
            )));
        }
        for (name, v) in [("train_acc", self.train_acc), ("test_acc", self.test_acc)] {
            if !(0.0..=1.0).contains(&v) {
                return Err(PlotError::Data(format!(
                    "figure 8: run {i} ({}) {name} = {v} is not a fraction in [0, 1]",
                    self.label
                )));
            }
        }
        Ok(())
    }
}

/// Figure 8: rotation panel (a) at the left, feature grid (b) at the right, optional caption
/// below both.
struct Fig8Scene {
    panel: Panel,
    images: ImageGrid,
    s: Sizes,
    m: Margins,
    layout: ImageLayout,
    left_w: f64,
    top: f64,
    width: f64,
    /// Height of the two panels (the caption's top).
    height: f64,
    caption: Option<CaptionLayout>,
}

impl Fig8Scene {
    fn new(panel: Panel, images: ImageGrid, caption: Option<&str>) -> Self {
        let f = 34.0;
        let s = Sizes::new(f);
        let m = panel_margins(&panel, &s);
        let height = 1000.0;
        let top = 2.2 * f;
        let bottom = 0.6 * f;
        let rows = images.rows.len() as f64;
        // rows·cell + (rows − 1)·0.14·cell = available height
        let cell = (height - top - bottom) / (rows + 0.14 * (rows - 1.0));
        let layout = ImageLayout::new(&images, cell, 0.85 * f);
        let left_w = 1350.0;
        let width = left_w + f + layout.width() + 0.6 * f;
        let caption = caption.map(|c| CaptionLayout::new(c, s.caption, width - 2.0 * s.caption));
        Fig8Scene {
            panel,
            images,
            s,
            m,
            layout,
            left_w,
            top,
            width,
            height,
            caption,
        }
    }
}

impl Scene for Fig8Scene {
    fn size(&self) -> (u32, u32) {
        let caption_h = self.caption.as_ref().map_or(0.0, |c| c.height);
        (
            self.width.ceil() as u32,
            (self.height + caption_h).ceil() as u32,
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let s = &self.s;
        let f = s.tick;
        let plot = Rect {
            x0: self.m.left + 0.4 * f,
            y0: self.top + self.m.top,
            x1: self.left_w - self.m.right - f,
            y1: self.height - self.m.bottom,
        };
        draw_rich(
            root,
            "(a)",
            0.4 * f,
            1.4 * f,
            s.header,
            Rgb::BLACK,
            Align::Left,
        )?;
        draw_panel(root, &self.panel, plot, self.m, s)?;
        let ox = self.left_w + f;
        draw_rich(root, "(b)", ox, 1.4 * f, s.header, Rgb::BLACK, Align::Left)?;
        draw_image_grid(root, &self.images, &self.layout, (ox, self.top), s.frame)?;
        if let Some(c) = &self.caption {
            draw_caption(root, c, self.width.ceil() / 2.0, self.height)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figure8_panel_axes() {
        let run = |len: usize| Figure8Run {
            label: "lr = 3^-2".into(),
            rotation_curve: vec![0.5; len],
            features: vec![vec![0.0; 4]],
            train_acc: 1.0,
            test_acc: 0.9,
        };
        let data = |len| Figure8Data {
            runs: vec![run(len), run(3)],
            init_features: vec![vec![0.0; 4]],
            caption: None,
        };
        // 100 epochs recorded at x = 0..99 → axis [0, 100], like the paper's figure.
        let p = data(100).rotation_panel().unwrap();
        assert_eq!((p.x.min, p.x.max), (0.0, 100.0));
        assert_eq!(p.x.ticks, vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
        assert_eq!(p.series[0].x[99], 99.0);
        assert_eq!(p.series[1].color.hex(), "#ff7f0e");
        assert_eq!(data(101).rotation_panel().unwrap().x.max, 100.0);
        assert_eq!(data(4).rotation_panel().unwrap().x.max, 3.0);
        let g = data(5).feature_grid().unwrap();
        assert_eq!(g.rows.len(), 3);
        assert_eq!(g.rows[1].label, vec!["Train: 100.0 %", "Test: 90.0 %"]);
    }
}
