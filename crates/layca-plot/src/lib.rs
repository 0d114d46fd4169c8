//! # layca-plot — figures of the layer-rotation paper from plain run records
//!
//! This crate owns the generic building blocks of every figure of the rebuild and the
//! composite Figure 8: layer-rotation curve panels and grids (Figs 1, 2, 3, 4, 6, 10, 12), line
//! charts of training curves (Figs 4, 7, 11), log-scale charts with bands or error bars
//! (Fig 5), marker charts with gaps (Fig 9), image grids of hidden-neuron features (Fig 8b).
//! Each figure is rendered with `plotters` to **both** `<stem>.png` and `<stem>.svg`; every file
//! is written to a temporary sibling and renamed into place. Figure-specific assembly from run
//! records lives with each figure in `xtask`.
//!
//! **Code map** (split by concern):
//! - `model/` — the serde data model, no drawing: [`Axis`] (linear or [`AxisScale::Log10`],
//!   major/minor ticks, custom tick labels), [`Series`] (line, [`Band`], [`ErrorBars`],
//!   [`Marker`]), [`Panel`] (title lines, [`Legend`], [`Annotation`]s), [`Grid`] (row labels,
//!   column headers, [`ColorBar`], shared legend, caption), [`RotationPanel`], [`ImageGrid`],
//!   titles.
//! - `layout/` — sizes, text measurement and rich-text parsing, tick choice, margins, clipping,
//!   the data → pixel [`Axis::fraction`] mapping, the placement of grid and image cells and the
//!   wrapping of captions.
//!   Nothing there draws.
//! - `draw/` — the plotters back end: primitives, text, series, axes, legends, panels, grids,
//!   image grids, at the pixel positions chosen by the layout (so PNG and SVG agree).
//! - `composite/` — figures whose layout is more than a grid ([`figure8`]).
//! - `output.rs` — atomic writing of both files; `figure.rs` — the [`Figure`] enum.
//!
//! **Invariants.** Inputs are plain Rust data (`Vec<f64>`, serde structs): this crate knows
//! nothing of candle, of training, or of the file layout of runs (the engine and `xtask` own
//! those). Text uses the DejaVu Sans fonts (regular and bold) embedded in the binary, so
//! rendering needs no fontconfig or system fonts. Bad input gives a [`PlotError`] naming the
//! output file, never a panic; values an axis cannot show (NaN, ±∞, ≤ 0 on a log axis) are gaps
//! in lines, bands and error bars and draw no marker.
//!
//! Conventions follow §5.1 and §6 of the reference specification: layer `i` of `L` is coloured
//! [`viridis`]`(i/(L−1))` (matplotlib's table, `#440154` … `#fde725`), runs use matplotlib's
//! default cycle [`TAB10`], y is the cosine distance clipped to `[0, 1]`, and the x position of
//! rotation record `k` is chosen by [`XConvention`].
//!
//! [`Grid::caption`] and [`Figure8Data::caption`] add a caption below a figure (e.g. the scale
//! and data set that produced it): smaller than the tick labels, centred, split on `'\n'` and
//! wrapped to the figure's width; the image grows by its height and is unchanged without one.
//! An empty caption is an error (use `None`).
//!
//! Labels accept a tiny markup: `3^-2` or `3^{-5}` for superscripts, `L_{2}` for subscripts and
//! `**…**` for bold (see [`bold`]); log-axis ticks are labelled `10^{k}`.
//!
//! ```no_run
//! use layca_plot::{figure8, Figure8Data, Figure8Run};
//! # fn main() -> Result<(), layca_plot::PlotError> {
//! let img = vec![0.0f32; 28 * 28];
//! let data = Figure8Data {
//!     runs: vec![Figure8Run {
//!         label: "lr = 3^-2".into(),
//!         rotation_curve: vec![0.0, 0.3, 0.5],
//!         features: vec![img.clone(); 5],
//!         train_acc: 1.0,
//!         test_acc: 0.9675,
//!     }],
//!     init_features: vec![img; 5],
//!     caption: Some("scale cpu · data: MNIST".into()),
//! };
//! figure8(&data, std::path::Path::new("figures/fig08"))?; // fig08.png + fig08.svg
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

mod color;
mod composite;
mod draw;
mod error;
mod figure;
mod layout;
mod model;
mod output;

use std::path::Path;

pub use color::{cycle_color, layer_color, viridis, Rgb, TAB10};
pub use composite::{figure8, Figure8Data, Figure8Run};
pub use error::{PlotError, Result};
pub use figure::Figure;
pub use model::{
    bold, delta_eta_title, eta_title, format_percent, layers_from_records, log_minor_ticks,
    log_ticks, nice_ticks, Annotation, Axis, AxisScale, Band, ColorBar, ColorMap, Corner,
    ErrorBars, Grid, Image, ImageGrid, ImageRow, Legend, LegendEntry, Marker, Panel, RotationPanel,
    Series, XConvention,
};
pub use output::output_paths;

use draw::{GridScene, ImageScene};
use layout::text::ensure_font;
use output::write_both;

/// Renders a grid of panels (rows × columns, row labels, column headers, optional colour bar,
/// shared legend and caption) to `<out_stem>.png` and `<out_stem>.svg`.
///
/// The image is `row labels + columns·cell_width + colour bar` wide and
/// `headers + rows·cell_height + legend + caption` high.
pub fn render_grid(grid: &Grid, out_stem: &Path) -> Result<()> {
    // The layout measures text: register the font first (else the first figure of a process
    // would be laid out with estimated text widths).
    ensure_font()?;
    let (png, _) = output_paths(out_stem);
    grid.validate().map_err(|e| e.at(&png))?;
    let scene = GridScene::new(grid).map_err(|reason| PlotError::InvalidData {
        path: png.clone(),
        reason,
    })?;
    write_both(&scene, out_stem)
}

/// Renders one line chart of exactly `width × height` pixels; the panel must have at least one
/// curve.
pub fn render_line_chart(panel: &Panel, width: u32, height: u32, out_stem: &Path) -> Result<()> {
    render_grid(&Grid::single(panel.clone(), width, height), out_stem)
}

/// Renders one layer-rotation panel as a `width × height` chart.
pub fn render_rotation_panel(
    panel: &RotationPanel,
    width: u32,
    height: u32,
    out_stem: &Path,
) -> Result<()> {
    let (png, _) = output_paths(out_stem);
    let p = panel.to_panel().map_err(|e| e.at(&png))?;
    render_line_chart(&p, width, height, out_stem)
}

/// Renders rows of images (per-image auto scaling, nearest-neighbour pixel blocks) with row
/// titles at the left and text at the right.
pub fn render_image_grid(grid: &ImageGrid, out_stem: &Path) -> Result<()> {
    ensure_font()?;
    let (png, _) = output_paths(out_stem);
    grid.validate().map_err(|e| e.at(&png))?;
    write_both(&ImageScene::new(grid), out_stem)
}
