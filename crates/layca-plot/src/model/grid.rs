//! Grids of panels with row labels, column headers, colour bar and shared legend.

use serde::{Deserialize, Serialize};

use super::Panel;
use crate::color::Rgb;
use crate::error::{PlotError, Result};
use crate::layout::validate_caption;

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

/// Rows × columns of panels with row labels, column headers, optional colour bar, optional
/// shared legend below and an optional caption at the very bottom (layout of Figs 1, 2, 3, 4, 6,
/// 7, 10, 11). A single line chart is a 1 × 1 grid (see [`Grid::single`]).
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
    /// Entries of a horizontal legend below the grid, centred under the plotting areas (under
    /// the middle panel for an odd number of columns); empty: none.
    pub legend: Vec<LegendEntry>,
    /// Entries per row of the legend below the grid (`None`: all in one row).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legend_columns: Option<usize>,
    /// Centre the legend below the plotting area of this column (e.g. the middle panel of
    /// Figure 7) instead of below all of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legend_column: Option<usize>,
    /// Width in pixels of one cell (panel with its title, ticks and axis labels).
    pub cell_width: u32,
    /// Height in pixels of one cell.
    pub cell_height: u32,
    /// Base font size in pixels (tick labels); titles and headers are scaled from it.
    pub font_px: f64,
    /// Caption drawn centred below everything else (below the shared legend), e.g. the scale
    /// and data set that produced the figure, at 0.8 × `font_px`. Split into lines on `'\n'` and
    /// wrapped at spaces to the image width; rich-text markup allowed. The image grows by the
    /// caption's height. `None`: no caption (the image is unchanged); an empty or
    /// whitespace-only caption is an error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
}

impl Grid {
    /// A grid with 460 × 460 px cells, 22 px base font, no labels, headers, colour bar, legend or
    /// caption.
    pub fn new(panels: Vec<Vec<Panel>>) -> Self {
        Grid {
            panels,
            row_labels: Vec::new(),
            col_headers: Vec::new(),
            colorbar: None,
            legend: Vec::new(),
            legend_columns: None,
            legend_column: None,
            cell_width: 460,
            cell_height: 460,
            font_px: 22.0,
            caption: None,
        }
    }

    /// The grid with `caption` drawn below it (see [`Grid::caption`]).
    pub fn with_caption(mut self, caption: impl Into<String>) -> Self {
        self.caption = Some(caption.into());
        self
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
        self.validate_panels()?;
        self.validate_labels()?;
        self.validate_sizes()
    }

    fn validate_panels(&self) -> Result<()> {
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
        Ok(())
    }

    fn validate_labels(&self) -> Result<()> {
        let (rows, cols) = self.shape();
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
        if self.legend_columns == Some(0) {
            return Err(PlotError::Data("legend_columns is 0".into()));
        }
        if let Some(c) = self.legend_column.filter(|&c| c >= cols) {
            return Err(PlotError::Data(format!(
                "legend_column {c} is not one of the {cols} columns"
            )));
        }
        validate_caption(self.caption.as_deref(), "grid")
    }

    fn validate_sizes(&self) -> Result<()> {
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
