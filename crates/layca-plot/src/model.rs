//! Serde-serialisable description of figures: plain Rust data, no tensors.

use serde::{Deserialize, Serialize};

use crate::color::{cycle_color, layer_color, Rgb};
use crate::error::{PlotError, Result};

fn default_width() -> f64 {
    1.0
}

/// One curve of a line chart.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// Legend text (rich-text markup allowed, e.g. `lr = 3^-2`); `None` keeps it out of legends.
    pub label: Option<String>,
    /// Line colour.
    pub color: Rgb,
    /// Abscissae, same length as `y`.
    pub x: Vec<f64>,
    /// Ordinates; non-finite values break the line.
    pub y: Vec<f64>,
    /// Line width relative to the figure's base line width.
    #[serde(default = "default_width")]
    pub width: f64,
}

impl Series {
    /// A curve through the points `(x[i], y[i])`.
    pub fn new(label: Option<String>, color: Rgb, x: Vec<f64>, y: Vec<f64>) -> Self {
        Series {
            label,
            color,
            x,
            y,
            width: 1.0,
        }
    }

    /// A curve with `x = 0, 1, …, y.len() − 1` (e.g. per-epoch history, x = 0-based epoch).
    pub fn from_y(label: Option<String>, color: Rgb, y: Vec<f64>) -> Self {
        let x = (0..y.len()).map(|i| i as f64).collect();
        Series::new(label, color, x, y)
    }

    pub(crate) fn validate(&self, what: &str) -> Result<()> {
        if self.y.is_empty() {
            return Err(PlotError::Data(format!("{what}: series has no points")));
        }
        if self.x.len() != self.y.len() {
            return Err(PlotError::Data(format!(
                "{what}: series has {} x values but {} y values",
                self.x.len(),
                self.y.len()
            )));
        }
        if !(self.width.is_finite() && self.width > 0.0) {
            return Err(PlotError::Data(format!(
                "{what}: line width {} is not positive",
                self.width
            )));
        }
        Ok(())
    }
}

/// One axis of a panel: limits, tick positions, optional label.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Axis {
    /// Lower limit.
    pub min: f64,
    /// Upper limit (> `min`).
    pub max: f64,
    /// Tick positions (those outside `[min, max]` are ignored).
    pub ticks: Vec<f64>,
    /// Whether tick labels are drawn (the rotation grids hide them).
    pub show_tick_labels: bool,
    /// Axis label (rich-text markup allowed on the x-axis; the y label is drawn vertically,
    /// markup removed).
    pub label: Option<String>,
}

impl Axis {
    /// Axis over `[min, max]` with about five "nice" ticks, labels shown, no axis label.
    pub fn new(min: f64, max: f64) -> Self {
        Axis {
            min,
            max,
            ticks: nice_ticks(min, max, 6),
            show_tick_labels: true,
            label: None,
        }
    }

    /// Replaces the tick positions.
    pub fn with_ticks(mut self, ticks: Vec<f64>) -> Self {
        self.ticks = ticks;
        self
    }

    /// Sets the axis label.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Hides the tick labels (tick marks stay).
    pub fn without_tick_labels(mut self) -> Self {
        self.show_tick_labels = false;
        self
    }

    pub(crate) fn validate(&self, what: &str) -> Result<()> {
        if !(self.min.is_finite() && self.max.is_finite() && self.min < self.max) {
            return Err(PlotError::Data(format!(
                "{what}: axis limits [{}, {}] are not finite and increasing",
                self.min, self.max
            )));
        }
        Ok(())
    }
}

/// About `max_count` round tick positions (steps 1, 2, 2.5, 5 × 10^k) covering `[min, max]`.
/// Returns an empty list for empty or non-finite ranges.
pub fn nice_ticks(min: f64, max: f64, max_count: usize) -> Vec<f64> {
    if !(min.is_finite() && max.is_finite() && min < max) || max_count < 2 {
        return Vec::new();
    }
    let raw = (max - min) / (max_count - 1) as f64;
    let e = raw.log10().floor() as i32;
    let mag = 10f64.powi(e);
    let mult = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .find(|m| m * mag >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0);
    let step = mult * mag;
    // k·mult is exact; dividing by an exact power of ten gives the closest double (0.6, not
    // 0.6000000000000001).
    let value = |k: i64| {
        if e < 0 {
            k as f64 * mult / 10f64.powi(-e)
        } else {
            k as f64 * mult * mag
        }
    };
    let first = (min / step - 1e-9).ceil() as i64;
    let last = (max / step + 1e-9).floor() as i64;
    (first..=last).map(value).collect()
}

/// Corner of the plotting area for an inside legend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Corner {
    /// Top left.
    UpperLeft,
    /// Top right.
    UpperRight,
    /// Bottom left.
    LowerLeft,
    /// Bottom right.
    LowerRight,
}

/// Where the labels of a panel's series are shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Legend {
    /// No legend.
    None,
    /// A boxed legend inside the plotting area.
    Inside(Corner),
    /// Each label written along its curve, in the curve's colour (Figure 8a style).
    OnCurves,
}

/// One chart: title lines, two axes, curves, legend.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Panel {
    /// Title lines above the plotting area (rich text), e.g. `["η = 88.45 %"]`.
    pub title: Vec<String>,
    /// Horizontal axis.
    pub x: Axis,
    /// Vertical axis.
    pub y: Axis,
    /// Curves, drawn in order (later on top).
    pub series: Vec<Series>,
    /// Legend placement.
    pub legend: Legend,
}

impl Panel {
    /// A panel with the given axes and no curves, title or legend.
    pub fn new(x: Axis, y: Axis) -> Self {
        Panel {
            title: Vec::new(),
            x,
            y,
            series: Vec::new(),
            legend: Legend::None,
        }
    }

    /// Adds a title line.
    pub fn with_title(mut self, line: impl Into<String>) -> Self {
        self.title.push(line.into());
        self
    }

    /// Sets the legend placement.
    pub fn with_legend(mut self, legend: Legend) -> Self {
        self.legend = legend;
        self
    }

    /// Adds a curve.
    pub fn push(&mut self, series: Series) {
        self.series.push(series);
    }

    pub(crate) fn validate(&self, what: &str) -> Result<()> {
        self.x.validate(&format!("{what}, x axis"))?;
        self.y.validate(&format!("{what}, y axis"))?;
        for (i, s) in self.series.iter().enumerate() {
            s.validate(&format!("{what}, series {i}"))?;
        }
        Ok(())
    }
}

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

/// Colour bar beside a grid: viridis from `low_label` (bottom) to `high_label` (top).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ColorBar {
    /// Text under the bar.
    pub low_label: String,
    /// Text above the bar.
    pub high_label: String,
}

impl Default for ColorBar {
    /// "First layer" at the bottom, "Last layer" at the top (Figure 1).
    fn default() -> Self {
        ColorBar {
            low_label: "First layer".into(),
            high_label: "Last layer".into(),
        }
    }
}

/// An entry of a figure-level legend.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LegendEntry {
    /// Text (rich-text markup allowed).
    pub label: String,
    /// Line colour.
    pub color: Rgb,
}

/// Rows × columns of panels with row labels, column headers, optional colour bar and optional
/// shared legend below (layout of Figs 1, 2, 3, 4, 6, 7, 10, 11). A single line chart is a 1 × 1
/// grid (see [`Grid::single`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    /// `panels[row][column]`; every row must have the same number of panels.
    pub panels: Vec<Vec<Panel>>,
    /// One label per row drawn vertically at the left (empty: none).
    pub row_labels: Vec<String>,
    /// One header per column drawn above the first row (empty: none).
    pub col_headers: Vec<String>,
    /// Optional viridis colour bar at the right.
    pub colorbar: Option<ColorBar>,
    /// Entries of a horizontal legend below the grid (empty: none).
    pub legend: Vec<LegendEntry>,
    /// Width in pixels of one cell (panel with its title, ticks and axis labels).
    pub cell_width: u32,
    /// Height in pixels of one cell.
    pub cell_height: u32,
    /// Base font size in pixels (tick labels); titles and headers are scaled from it.
    pub font_px: f64,
}

impl Grid {
    /// A grid with 460 × 460 px cells, 22 px base font, no labels, headers, colour bar or legend.
    pub fn new(panels: Vec<Vec<Panel>>) -> Self {
        Grid {
            panels,
            row_labels: Vec::new(),
            col_headers: Vec::new(),
            colorbar: None,
            legend: Vec::new(),
            cell_width: 460,
            cell_height: 460,
            font_px: 22.0,
        }
    }

    /// A single line chart of `width × height` pixels.
    pub fn single(panel: Panel, width: u32, height: u32) -> Self {
        let mut g = Grid::new(vec![vec![panel]]);
        g.cell_width = width;
        g.cell_height = height;
        g
    }

    /// Number of rows and columns.
    pub fn shape(&self) -> (usize, usize) {
        (
            self.panels.len(),
            self.panels.first().map_or(0, |r| r.len()),
        )
    }

    pub(crate) fn validate(&self) -> Result<()> {
        let (rows, cols) = self.shape();
        if rows == 0 || cols == 0 {
            return Err(PlotError::Data("grid has no panels".into()));
        }
        for (r, row) in self.panels.iter().enumerate() {
            if row.len() != cols {
                return Err(PlotError::Data(format!(
                    "grid row {r} has {} panels but row 0 has {cols}",
                    row.len()
                )));
            }
            for (c, p) in row.iter().enumerate() {
                p.validate(&format!("panel ({r}, {c})"))?;
            }
        }
        if self.panels.iter().flatten().all(|p| p.series.is_empty()) {
            return Err(PlotError::Data("grid has no curves at all".into()));
        }
        if !self.row_labels.is_empty() && self.row_labels.len() != rows {
            return Err(PlotError::Data(format!(
                "{} row labels for {rows} rows",
                self.row_labels.len()
            )));
        }
        if !self.col_headers.is_empty() && self.col_headers.len() != cols {
            return Err(PlotError::Data(format!(
                "{} column headers for {cols} columns",
                self.col_headers.len()
            )));
        }
        if self.cell_width < 50
            || self.cell_height < 50
            || self.cell_width > 8000
            || self.cell_height > 8000
        {
            return Err(PlotError::Data(format!(
                "cell size {}x{} px outside 50..8000",
                self.cell_width, self.cell_height
            )));
        }
        if !(self.font_px.is_finite() && self.font_px >= 4.0 && self.font_px <= 200.0) {
            return Err(PlotError::Data(format!(
                "font size {} px outside 4..200",
                self.font_px
            )));
        }
        Ok(())
    }
}

/// Colour map of an [`ImageGrid`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ColorMap {
    /// matplotlib's default `imshow` colour map.
    Viridis,
    /// Black (minimum) to white (maximum).
    Gray,
}

/// A small image: `height × width` values, row-major.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Image {
    /// Number of pixel rows.
    pub height: usize,
    /// Number of pixel columns.
    pub width: usize,
    /// Row-major values; each image is scaled from its own min to its own max (matplotlib
    /// `imshow` auto scaling); non-finite values are drawn white.
    pub data: Vec<f32>,
}

impl Image {
    /// A square image from `side²` values; errors if the length is not a non-zero perfect square.
    pub fn square(data: Vec<f32>) -> Result<Self> {
        let side = (data.len() as f64).sqrt().round() as usize;
        if side == 0 || side * side != data.len() {
            return Err(PlotError::Data(format!(
                "image of {} values is not a non-empty square",
                data.len()
            )));
        }
        Ok(Image {
            height: side,
            width: side,
            data,
        })
    }

    pub(crate) fn validate(&self, what: &str) -> Result<()> {
        if self.height == 0 || self.width == 0 {
            return Err(PlotError::Data(format!("{what}: image has zero size")));
        }
        if self.data.len() != self.height * self.width {
            return Err(PlotError::Data(format!(
                "{what}: image of {}x{} has {} values",
                self.height,
                self.width,
                self.data.len()
            )));
        }
        Ok(())
    }
}

/// A row of an [`ImageGrid`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImageRow {
    /// Title at the left of the row (rich text), e.g. `"lr = 3^-2"`.
    pub title: Option<String>,
    /// Colour of the title (black if `None`).
    pub title_color: Option<Rgb>,
    /// Text lines at the right of the row, e.g. `["Train: 100.0 %", "Test: 96.75 %"]`.
    pub label: Vec<String>,
    /// Images, left to right.
    pub images: Vec<Image>,
}

/// Rows of small images with a title at the left and text at the right of each row
/// (Figure 8b layout).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImageGrid {
    /// Rows, top to bottom.
    pub rows: Vec<ImageRow>,
    /// Colour map.
    pub colormap: ColorMap,
    /// Side in pixels of the square cell holding one image.
    pub cell_px: u32,
    /// Base font size in pixels.
    pub font_px: f64,
}

impl ImageGrid {
    /// A viridis grid with 180 px cells and a 24 px font.
    pub fn new(rows: Vec<ImageRow>) -> Self {
        ImageGrid {
            rows,
            colormap: ColorMap::Viridis,
            cell_px: 180,
            font_px: 24.0,
        }
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if self.rows.is_empty() {
            return Err(PlotError::Data("image grid has no rows".into()));
        }
        for (r, row) in self.rows.iter().enumerate() {
            if row.images.is_empty() {
                return Err(PlotError::Data(format!("image row {r} has no images")));
            }
            for (i, im) in row.images.iter().enumerate() {
                im.validate(&format!("image row {r}, image {i}"))?;
            }
        }
        if !(8..=4000).contains(&self.cell_px) {
            return Err(PlotError::Data(format!(
                "image cell size {} px outside 8..4000",
                self.cell_px
            )));
        }
        if !(self.font_px.is_finite() && self.font_px >= 4.0 && self.font_px <= 200.0) {
            return Err(PlotError::Data(format!(
                "font size {} px outside 4..200",
                self.font_px
            )));
        }
        Ok(())
    }
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
            if run.rotation_curve.is_empty() {
                return Err(PlotError::Data(format!(
                    "figure 8: run {i} ({}) has an empty rotation curve",
                    run.label
                )));
            }
            if run.features.len() != n_feat {
                return Err(PlotError::Data(format!(
                    "figure 8: run {i} ({}) has {} features but init_features has {n_feat}",
                    run.label,
                    run.features.len()
                )));
            }
            for (name, v) in [("train_acc", run.train_acc), ("test_acc", run.test_acc)] {
                if !(0.0..=1.0).contains(&v) {
                    return Err(PlotError::Data(format!(
                        "figure 8: run {i} ({}) {name} = {v} is not a fraction in [0, 1]",
                        run.label
                    )));
                }
            }
        }
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

/// `round(100·frac, 2)` printed like Python's float repr (at least one decimal) plus `" %"`:
/// `1.0 → "100.0 %"`, `0.9675 → "96.75 %"`, `0.966 → "96.6 %"`; negative values use a real
/// minus sign.
pub fn format_percent(frac: f64) -> String {
    let v = (frac * 10000.0).round() / 100.0;
    let mut s = format!("{:.2}", v.abs());
    if s.ends_with('0') {
        s.pop();
    }
    let sign = if v < 0.0 { "\u{2212}" } else { "" };
    format!("{sign}{s} %")
}

/// Title of a reference panel: `"η = 88.45 %"` for `eta = 0.8845`.
pub fn eta_title(eta: f64) -> String {
    format!("η = {}", format_percent(eta))
}

/// Title of a compared panel: `"Δη = −5.34 %"` with Δη = round((η_run − η_ref)·100, 2) (spec §6).
pub fn delta_eta_title(eta_run: f64, eta_ref: f64) -> String {
    format!("Δη = {}", format_percent(eta_run - eta_ref))
}

/// Any figure of the crate, for writing a JSON description beside the rendered files.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Figure {
    /// Panels in a grid (includes single line charts).
    Grid(Grid),
    /// Rows of images.
    Images(ImageGrid),
    /// The composite Figure 8.
    Figure8(Figure8Data),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round() {
        assert_eq!(nice_ticks(0.0, 1.0, 6), vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        assert_eq!(
            nice_ticks(0.0, 100.0, 6),
            vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
        );
        assert_eq!(nice_ticks(0.0, 1.0, 5), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
        assert!(nice_ticks(1.0, 1.0, 5).is_empty());
    }

    #[test]
    fn percent_format_matches_python_round() {
        assert_eq!(format_percent(1.0), "100.0 %");
        assert_eq!(format_percent(0.9675), "96.75 %");
        assert_eq!(format_percent(0.966), "96.6 %");
        assert_eq!(eta_title(0.8845), "η = 88.45 %");
        // (0.8311 − 0.8845)·100 = −5.34
        assert_eq!(delta_eta_title(0.8311, 0.8845), "Δη = \u{2212}5.34 %");
    }

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
