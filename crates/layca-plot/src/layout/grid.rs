//! Placement of the cells, headers, row labels, colour bar, legend and caption of a [`Grid`].

use super::caption::CaptionLayout;
use super::geom::{Rect, Sizes};
use super::margins::{panel_margins, Margins};
use super::text::plain_width;
use crate::model::Grid;

/// Height of one extra row of the legend below a grid, in legend font sizes.
pub(crate) const LEGEND_ROW: f64 = 1.4;

/// Precomputed layout of a validated [`Grid`].
pub(crate) struct GridLayout {
    pub s: Sizes,
    /// Per row: top and bottom margins (max over the row), so plots of a row align.
    pub row_m: Vec<(f64, f64)>,
    /// Per column: left and right margins (max over the column).
    pub col_m: Vec<(f64, f64)>,
    pub header_h: f64,
    pub row_label_w: f64,
    pub colorbar_w: f64,
    pub legend_h: f64,
    /// Caption below everything else, if any.
    pub caption: Option<CaptionLayout>,
    /// Height of everything above the caption (rounded up to whole pixels): the caption's top.
    pub body_h: f64,
    pub cell_w: f64,
    pub cell_h: f64,
    pub width: u32,
    pub height: u32,
}

/// Per row (top, bottom) or per column (left, right) margins.
type SharedMargins = Vec<(f64, f64)>;

/// Row and column margins: the maximum over each row / column.
fn shared_margins(grid: &Grid, s: &Sizes) -> (SharedMargins, SharedMargins) {
    let (rows, cols) = grid.shape();
    let mut row_m = vec![(0.0f64, 0.0f64); rows];
    let mut col_m = vec![(0.0f64, 0.0f64); cols];
    for (r, row) in grid.panels.iter().enumerate() {
        for (c, p) in row.iter().enumerate() {
            let m = panel_margins(p, s);
            row_m[r] = (row_m[r].0.max(m.top), row_m[r].1.max(m.bottom));
            col_m[c] = (col_m[c].0.max(m.left), col_m[c].1.max(m.right));
        }
    }
    (row_m, col_m)
}

fn colorbar_width(grid: &Grid, s: &Sizes) -> f64 {
    grid.colorbar.as_ref().map_or(0.0, |cb| {
        plain_width(&cb.low_label, s.tick)
            .max(plain_width(&cb.high_label, s.tick))
            .max(2.0 * s.tick)
            + 1.5 * s.tick
    })
}

/// Number of rows of the legend below the grid.
pub(crate) fn legend_rows(grid: &Grid) -> usize {
    let per_row = grid.legend_columns.unwrap_or(grid.legend.len()).max(1);
    grid.legend.len().div_ceil(per_row)
}

fn legend_height(grid: &Grid, s: &Sizes) -> f64 {
    match legend_rows(grid) {
        0 => 0.0,
        n => 2.4 * s.legend + (n - 1) as f64 * LEGEND_ROW * s.legend,
    }
}

impl GridLayout {
    /// Lays out a validated grid; errors if the cells are too small for their labels.
    pub fn new(grid: &Grid) -> Result<Self, String> {
        let s = Sizes::new(grid.font_px);
        let (rows, cols) = grid.shape();
        let (row_m, col_m) = shared_margins(grid, &s);
        let header_h = if grid.col_headers.is_empty() {
            0.0
        } else {
            1.6 * s.header
        };
        let row_label_w = if grid.row_labels.is_empty() {
            0.0
        } else {
            1.5 * s.header
        };
        let colorbar_w = colorbar_width(grid, &s);
        let legend_h = legend_height(grid, &s);
        let (cell_w, cell_h) = (grid.cell_width as f64, grid.cell_height as f64);
        let width = row_label_w + cols as f64 * cell_w + colorbar_w;
        let body_h = (header_h + rows as f64 * cell_h + legend_h).ceil();
        let caption = grid
            .caption
            .as_deref()
            .map(|c| CaptionLayout::new(c, s.caption, width - 2.0 * s.caption));
        let height = body_h + caption.as_ref().map_or(0.0, |c| c.height);
        let layout = GridLayout {
            s,
            row_m,
            col_m,
            header_h,
            row_label_w,
            colorbar_w,
            legend_h,
            caption,
            body_h,
            cell_w,
            cell_h,
            width: width.ceil() as u32,
            height: height.ceil() as u32,
        };
        layout.check_room(grid)?;
        Ok(layout)
    }

    fn check_room(&self, grid: &Grid) -> Result<(), String> {
        let plot_w = self
            .col_m
            .iter()
            .map(|(l, r)| self.cell_w - l - r)
            .fold(f64::INFINITY, f64::min);
        let plot_h = self
            .row_m
            .iter()
            .map(|(t, b)| self.cell_h - t - b)
            .fold(f64::INFINITY, f64::min);
        if plot_w < 10.0 || plot_h < 10.0 {
            return Err(format!(
                "cells of {}x{} px leave no room for the plotting area with {} px fonts",
                grid.cell_width, grid.cell_height, grid.font_px
            ));
        }
        Ok(())
    }

    /// Plotting area of panel `(r, c)`.
    pub fn plot_rect(&self, r: usize, c: usize) -> Rect {
        let x = self.row_label_w + c as f64 * self.cell_w;
        let y = self.header_h + r as f64 * self.cell_h;
        Rect {
            x0: x + self.col_m[c].0,
            y0: y + self.row_m[r].0,
            x1: x + self.cell_w - self.col_m[c].1,
            y1: y + self.cell_h - self.row_m[r].1,
        }
    }

    /// Margins reserved around panel `(r, c)`.
    pub fn margins(&self, r: usize, c: usize) -> Margins {
        Margins {
            top: self.row_m[r].0,
            left: self.col_m[c].0,
            bottom: self.row_m[r].1,
            right: self.col_m[c].1,
        }
    }
}
