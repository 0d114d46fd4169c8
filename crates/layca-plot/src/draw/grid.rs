//! Drawing a [`Grid`]: panels, column headers, row labels, colour bar, shared legend, caption.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::caption::draw_caption;
use super::legend::{draw_legend_rows, LegendItem};
use super::panel::draw_panel;
use super::primitives::{fill_rect, stroke_rect};
use super::text::{draw_rich, draw_vertical, Align};
use super::DrawResult;
use crate::color::{viridis, Rgb};
use crate::layout::grid::{GridLayout, LEGEND_ROW};
use crate::layout::text::ascent;
use crate::layout::Rect;
use crate::model::{ColorBar, Grid};
use crate::output::Scene;

/// A grid with its layout, ready to draw.
pub(crate) struct GridScene<'a> {
    grid: &'a Grid,
    l: GridLayout,
}

impl<'a> GridScene<'a> {
    /// Lays out a validated grid; errors if the cells are too small for their labels.
    pub fn new(grid: &'a Grid) -> Result<Self, String> {
        Ok(GridScene {
            grid,
            l: GridLayout::new(grid)?,
        })
    }

    fn draw_panels<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        for (r, row) in self.grid.panels.iter().enumerate() {
            for (c, p) in row.iter().enumerate() {
                let plot = self.l.plot_rect(r, c);
                draw_panel(root, p, plot, self.l.margins(r, c), &self.l.s)?;
            }
        }
        Ok(())
    }

    fn draw_headers<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let s = &self.l.s;
        for (c, h) in self.grid.col_headers.iter().enumerate() {
            let x = self.l.plot_rect(0, c).center_x();
            let baseline = self.l.header_h - 0.45 * s.header;
            draw_rich(root, h, x, baseline, s.header, Rgb::BLACK, Align::Center)?;
        }
        for (r, label) in self.grid.row_labels.iter().enumerate() {
            let y = self.l.plot_rect(r, 0).center_y();
            draw_vertical(root, label, 0.3 * s.header, y, s.header, Rgb::BLACK)?;
        }
        Ok(())
    }

    /// The colour bar's rectangle: beside the last column, inset from the panels' span.
    fn colorbar_rect(&self) -> Rect {
        let (rows, cols) = self.grid.shape();
        let s = &self.l.s;
        let span_top = self.l.plot_rect(0, cols - 1).y0;
        let span_bottom = self.l.plot_rect(rows - 1, cols - 1).y1;
        let inset = (0.15 * (span_bottom - span_top)).max(1.2 * s.tick);
        let (top, bottom) = (span_top + inset, span_bottom - inset);
        let cx = self.l.width as f64 - self.l.colorbar_w / 2.0;
        let bw = 0.9 * s.tick;
        Rect {
            x0: cx - bw / 2.0,
            y0: top,
            x1: cx + bw / 2.0,
            y1: bottom.max(top + 10.0),
        }
    }

    fn draw_colorbar<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        cb: &ColorBar,
    ) -> DrawResult {
        let s = &self.l.s;
        let bar = self.colorbar_rect();
        let n = (bar.h().round() as usize).clamp(2, 256);
        for k in 0..n {
            let t = (k as f64 + 0.5) / n as f64;
            let y1 = bar.y1 - k as f64 * bar.h() / n as f64;
            let y0 = bar.y1 - (k + 1) as f64 * bar.h() / n as f64;
            fill_rect(root, Rect { y0, y1, ..bar }, viridis(t))?;
        }
        stroke_rect(root, bar, Rgb::BLACK, s.frame)?;
        let (cx, f) = (bar.center_x(), s.tick);
        let top = bar.y0 - 0.4 * f;
        draw_rich(root, &cb.high_label, cx, top, f, Rgb::BLACK, Align::Center)?;
        let bottom = bar.y1 + 0.4 * f + ascent(f);
        draw_rich(
            root,
            &cb.low_label,
            cx,
            bottom,
            f,
            Rgb::BLACK,
            Align::Center,
        )
    }

    fn draw_legend<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let g = self.grid;
        let cols = g.shape().1;
        let s = &self.l.s;
        let items: Vec<LegendItem> = g.legend.iter().map(LegendItem::of_entry).collect();
        let per_row = g.legend_columns.unwrap_or(items.len());
        let (first, last) = g.legend_column.map_or((0, cols - 1), |c| (c, c));
        let left = self.l.plot_rect(0, first).x0;
        let right = self.l.plot_rect(0, last).x1;
        let cx = (left + right) / 2.0;
        let cy = self.l.body_h - self.l.legend_h + 1.2 * s.legend;
        let row_h = LEGEND_ROW * s.legend;
        draw_legend_rows(root, &items, per_row, (cx, cy), row_h, s)
    }
}

impl Scene for GridScene<'_> {
    fn size(&self) -> (u32, u32) {
        (self.l.width, self.l.height)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        self.draw_panels(root)?;
        self.draw_headers(root)?;
        if let Some(cb) = &self.grid.colorbar {
            self.draw_colorbar(root, cb)?;
        }
        if !self.grid.legend.is_empty() {
            self.draw_legend(root)?;
        }
        if let Some(c) = &self.l.caption {
            draw_caption(root, c, self.l.width as f64 / 2.0, self.l.body_h)?;
        }
        Ok(())
    }
}
