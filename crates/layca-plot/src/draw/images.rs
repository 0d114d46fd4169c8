//! Drawing an [`ImageGrid`]: row titles, nearest-neighbour pixel blocks, row texts.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::primitives::{fill_rect, stroke_rect};
use super::text::{draw_rich, Align};
use super::DrawResult;
use crate::color::{viridis, Rgb};
use crate::layout::images::ImageLayout;
use crate::layout::text::ascent;
use crate::layout::{Rect, Sizes};
use crate::model::{ColorMap, Image, ImageGrid, ImageRow};
use crate::output::Scene;

/// Minimum and maximum of the finite values of an image.
fn finite_range(im: &Image) -> (f32, f32) {
    im.data
        .iter()
        .filter(|v| v.is_finite())
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        })
}

/// Colour of value `v` of an image whose finite values span `[lo, hi]`.
fn value_color(v: f32, (lo, hi): (f32, f32), map: ColorMap) -> Rgb {
    if !v.is_finite() {
        return Rgb::WHITE;
    }
    let t = if hi > lo {
        ((v - lo) / (hi - lo)) as f64
    } else {
        0.0
    };
    match map {
        ColorMap::Viridis => viridis(t),
        ColorMap::Gray => {
            let k = (t * 255.0).round() as u8;
            Rgb(k, k, k)
        }
    }
}

/// One image scaled into the square cell with top-left corner `(x0, y0)`.
fn draw_image<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    im: &Image,
    map: ColorMap,
    (x0, y0): (f64, f64),
    cell: f64,
    frame: f64,
) -> DrawResult {
    let scale = cell / im.height.max(im.width) as f64;
    let ix0 = x0 + (cell - scale * im.width as f64) / 2.0;
    let iy0 = y0 + (cell - scale * im.height as f64) / 2.0;
    let range = finite_range(im);
    for yy in 0..im.height {
        for xx in 0..im.width {
            let c = value_color(im.data[yy * im.width + xx], range, map);
            // Pixel blocks with shared, rounded edges (nearest-neighbour look).
            let bx = Rect {
                x0: (ix0 + xx as f64 * scale).round(),
                y0: (iy0 + yy as f64 * scale).round(),
                x1: (ix0 + (xx + 1) as f64 * scale).round(),
                y1: (iy0 + (yy + 1) as f64 * scale).round(),
            };
            fill_rect(root, bx, c)?;
        }
    }
    let outline = Rect {
        x0: ix0.round(),
        y0: iy0.round(),
        x1: (ix0 + scale * im.width as f64).round(),
        y1: (iy0 + scale * im.height as f64).round(),
    };
    stroke_rect(root, outline, Rgb::BLACK, frame)
}

/// The text lines at the right of a row, centred vertically on `cy`.
fn draw_row_label<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    row: &ImageRow,
    x: f64,
    cy: f64,
    f: f64,
) -> DrawResult {
    let line_h = 1.3 * f;
    let n = row.label.len() as f64;
    let first = cy - (n - 1.0) * line_h / 2.0 + 0.5 * ascent(f);
    for (k, t) in row.label.iter().enumerate() {
        let baseline = first + k as f64 * line_h;
        draw_rich(root, t, x, baseline, f, Rgb::BLACK, Align::Left)?;
    }
    Ok(())
}

/// Draws an image grid with its top-left corner at `(ox, oy)`.
pub(crate) fn draw_image_grid<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    g: &ImageGrid,
    l: &ImageLayout,
    (ox, oy): (f64, f64),
    frame: f64,
) -> DrawResult {
    let f = l.font;
    for (r, row) in g.rows.iter().enumerate() {
        let y0 = oy + r as f64 * (l.cell + l.gap);
        let cy = y0 + l.cell / 2.0;
        if let Some(t) = &row.title {
            let color = row.title_color.unwrap_or(Rgb::BLACK);
            let x = ox + l.title_w - 0.8 * f;
            draw_rich(root, t, x, cy + 0.5 * ascent(f), f, color, Align::Right)?;
        }
        for (i, im) in row.images.iter().enumerate() {
            let x0 = ox + l.title_w + i as f64 * (l.cell + l.gap);
            draw_image(root, im, g.colormap, (x0, y0), l.cell, frame)?;
        }
        if !row.label.is_empty() {
            let x = ox + l.title_w + l.cols as f64 * (l.cell + l.gap);
            draw_row_label(root, row, x, cy, f)?;
        }
    }
    Ok(())
}

/// A standalone image grid.
pub(crate) struct ImageScene<'a> {
    pub grid: &'a ImageGrid,
    pub layout: ImageLayout,
    pub pad: f64,
}

impl<'a> ImageScene<'a> {
    pub fn new(grid: &'a ImageGrid) -> Self {
        let layout = ImageLayout::new(grid, grid.cell_px as f64, grid.font_px);
        ImageScene {
            grid,
            layout,
            pad: 0.6 * grid.font_px,
        }
    }
}

impl Scene for ImageScene<'_> {
    fn size(&self) -> (u32, u32) {
        (
            (self.layout.width() + 2.0 * self.pad).ceil() as u32,
            (self.layout.height(self.grid.rows.len()) + 2.0 * self.pad).ceil() as u32,
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let frame = Sizes::new(self.grid.font_px).frame;
        let origin = (self.pad, self.pad);
        draw_image_grid(root, self.grid, &self.layout, origin, frame)
    }
}
