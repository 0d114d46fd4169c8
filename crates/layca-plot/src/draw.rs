//! Layout and drawing of panels, grids, image grids and the Figure 8 composite.
//!
//! Everything is laid out in absolute pixels on the root drawing area, with our own data →
//! pixel mapping and line clipping, so that the PNG and the SVG are the same picture.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::color::{viridis, Rgb};
use crate::model::{Axis, ColorMap, Corner, Grid, ImageGrid, Legend, LegendEntry, Panel};
use crate::output::Scene;
use crate::text::{ascent, descent, draw_rich, draw_vertical, plain_width, rich_width, Align};

type DrawResult = Result<(), String>;

/// Pixel rectangle `[x0, x1] × [y0, y1]` (y grows downwards).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Rect {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl Rect {
    fn w(&self) -> f64 {
        self.x1 - self.x0
    }
    fn h(&self) -> f64 {
        self.y1 - self.y0
    }
}

/// Font sizes and line widths derived from a base font size `f` (pixels).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sizes {
    pub tick: f64,
    pub label: f64,
    pub title: f64,
    pub header: f64,
    pub legend: f64,
    pub line: f64,
    pub frame: f64,
    pub tick_len: f64,
    pub pad: f64,
}

impl Sizes {
    pub fn new(f: f64) -> Self {
        Sizes {
            tick: f,
            label: 1.15 * f,
            title: 1.0 * f,
            header: 1.35 * f,
            legend: 0.95 * f,
            line: (f / 9.0).max(1.0),
            frame: (f / 18.0).max(1.0),
            tick_len: 0.3 * f,
            pad: 0.4 * f,
        }
    }
}

fn px(v: f64) -> i32 {
    v.round() as i32
}

fn fill_rect<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, r: Rect, c: Rgb) -> DrawResult {
    root.draw(&Rectangle::new(
        [(px(r.x0), px(r.y0)), (px(r.x1), px(r.y1))],
        c.to_plotters().filled(),
    ))
    .map_err(|e| e.to_string())
}

fn stroke_rect<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    r: Rect,
    c: Rgb,
    width: f64,
) -> DrawResult {
    root.draw(&Rectangle::new(
        [(px(r.x0), px(r.y0)), (px(r.x1), px(r.y1))],
        c.to_plotters().stroke_width(px(width).max(1) as u32),
    ))
    .map_err(|e| e.to_string())
}

fn polyline<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    pts: Vec<(i32, i32)>,
    c: Rgb,
    width: f64,
) -> DrawResult {
    root.draw(&PathElement::new(
        pts,
        c.to_plotters().stroke_width(px(width).max(1) as u32),
    ))
    .map_err(|e| e.to_string())
}

/// Tick label text: the fewest decimals (≤ 4) that represent every tick exactly, a real minus
/// sign for negative values (matplotlib style).
pub(crate) fn tick_labels(ticks: &[f64]) -> Vec<String> {
    let decimals = (0..=4)
        .find(|&d| {
            let m = 10f64.powi(d);
            ticks.iter().all(|t| ((t * m).round() - t * m).abs() < 1e-6)
        })
        .unwrap_or(4) as usize;
    ticks
        .iter()
        .map(|t| {
            let s = format!("{:.*}", decimals, t.abs());
            if *t < 0.0 && s.chars().any(|c| c != '0' && c != '.') {
                format!("\u{2212}{s}")
            } else {
                s
            }
        })
        .collect()
}

fn visible_ticks(a: &Axis) -> Vec<f64> {
    let eps = 1e-9 * (a.max - a.min);
    a.ticks
        .iter()
        .copied()
        .filter(|t| t.is_finite() && *t >= a.min - eps && *t <= a.max + eps)
        .collect()
}

/// Space needed around a panel's plotting area.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Margins {
    pub top: f64,
    pub left: f64,
    pub bottom: f64,
    pub right: f64,
}

fn y_tick_label_width(p: &Panel, s: &Sizes) -> f64 {
    if !p.y.show_tick_labels {
        return 0.0;
    }
    tick_labels(&visible_ticks(&p.y))
        .iter()
        .map(|t| plain_width(t, s.tick))
        .fold(0.0, f64::max)
}

pub(crate) fn panel_margins(p: &Panel, s: &Sizes) -> Margins {
    let n_title = p.title.len() as f64;
    let top = if n_title > 0.0 {
        n_title * 1.3 * s.title + 0.3 * s.title
    } else {
        s.pad
    };
    let ytw = y_tick_label_width(p, s);
    let mut left = s.tick_len + s.pad;
    if ytw > 0.0 {
        left += ytw + 0.3 * s.tick;
    }
    if p.y.label.is_some() {
        left += 1.35 * s.label;
    }
    let mut bottom = s.tick_len + s.pad;
    if p.x.show_tick_labels {
        bottom += 1.15 * s.tick;
    }
    if p.x.label.is_some() {
        bottom += 1.35 * s.label;
    }
    let mut right = s.pad;
    if p.x.show_tick_labels {
        if let Some(last) = tick_labels(&visible_ticks(&p.x)).last() {
            right = right.max(0.5 * plain_width(last, s.tick) + 0.2 * s.tick);
        }
    }
    Margins {
        top,
        left,
        bottom,
        right,
    }
}

/// Clipped end points of a segment and the parameters `t0`, `t1` of the kept part.
type ClippedSegment = ((f64, f64), (f64, f64), f64, f64);

/// Liang–Barsky clipping of segment `a → b` to `r`; returns the clipped end points and the
/// parameters `t0`, `t1` of the kept part.
fn clip_segment(a: (f64, f64), b: (f64, f64), r: Rect) -> Option<ClippedSegment> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-dx, a.0 - r.x0),
        (dx, r.x1 - a.0),
        (-dy, a.1 - r.y0),
        (dy, r.y1 - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                if t > t1 {
                    return None;
                }
                t0 = t0.max(t);
            } else {
                if t < t0 {
                    return None;
                }
                t1 = t1.min(t);
            }
        }
    }
    Some((
        (a.0 + t0 * dx, a.1 + t0 * dy),
        (a.0 + t1 * dx, a.1 + t1 * dy),
        t0,
        t1,
    ))
}

/// Splits a pixel polyline into the pieces visible inside `r` (non-finite points break it).
pub(crate) fn clipped_paths(pts: &[(f64, f64)], r: Rect) -> Vec<Vec<(i32, i32)>> {
    let mut out: Vec<Vec<(i32, i32)>> = Vec::new();
    let mut cur: Vec<(i32, i32)> = Vec::new();
    let flush = |cur: &mut Vec<(i32, i32)>, out: &mut Vec<Vec<(i32, i32)>>| {
        if cur.len() >= 2 {
            out.push(std::mem::take(cur));
        } else {
            cur.clear();
        }
    };
    let push = |cur: &mut Vec<(i32, i32)>, p: (f64, f64)| {
        let q = (px(p.0), px(p.1));
        if cur.last() != Some(&q) {
            cur.push(q);
        }
    };
    for w in pts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let finite = |p: (f64, f64)| p.0.is_finite() && p.1.is_finite();
        if !finite(a) || !finite(b) {
            flush(&mut cur, &mut out);
            continue;
        }
        match clip_segment(a, b, r) {
            None => flush(&mut cur, &mut out),
            Some((ca, cb, t0, t1)) => {
                if t0 > 0.0 || cur.is_empty() {
                    flush(&mut cur, &mut out);
                    push(&mut cur, ca);
                }
                push(&mut cur, cb);
                if t1 < 1.0 {
                    flush(&mut cur, &mut out);
                }
            }
        }
    }
    flush(&mut cur, &mut out);
    out
}

struct Mapper {
    plot: Rect,
    x: (f64, f64),
    y: (f64, f64),
}

impl Mapper {
    fn px(&self, x: f64) -> f64 {
        self.plot.x0 + (x - self.x.0) / (self.x.1 - self.x.0) * self.plot.w()
    }
    fn py(&self, y: f64) -> f64 {
        self.plot.y1 - (y - self.y.0) / (self.y.1 - self.y.0) * self.plot.h()
    }
}

/// Draws `p` with its plotting area at `plot`; `m` are the margins reserved around it (the
/// y label goes at the left edge of the margin).
pub(crate) fn draw_panel<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    p: &Panel,
    plot: Rect,
    m: Margins,
    s: &Sizes,
) -> DrawResult {
    let map = Mapper {
        plot,
        x: (p.x.min, p.x.max),
        y: (p.y.min, p.y.max),
    };
    // Title lines, the last one just above the frame.
    let n = p.title.len();
    for (i, line) in p.title.iter().enumerate() {
        let baseline = plot.y0 - 0.45 * s.title - (n - 1 - i) as f64 * 1.3 * s.title;
        draw_rich(
            root,
            line,
            (plot.x0 + plot.x1) / 2.0,
            baseline,
            s.title,
            Rgb::BLACK,
            Align::Center,
        )?;
    }
    // Curves.
    for ser in &p.series {
        let pts: Vec<(f64, f64)> = ser
            .x
            .iter()
            .zip(&ser.y)
            .map(|(&x, &y)| (map.px(x), map.py(y)))
            .collect();
        for path in clipped_paths(&pts, plot) {
            polyline(root, path, ser.color, s.line * ser.width)?;
        }
    }
    // Frame and ticks.
    stroke_rect(root, plot, Rgb::BLACK, s.frame)?;
    let tw = s.frame / 2.0;
    let xt = visible_ticks(&p.x);
    let xl = tick_labels(&xt);
    for (t, l) in xt.iter().zip(&xl) {
        let x = map.px(*t);
        fill_rect(
            root,
            Rect {
                x0: x - tw,
                y0: plot.y1,
                x1: x + tw,
                y1: plot.y1 + s.tick_len,
            },
            Rgb::BLACK,
        )?;
        if p.x.show_tick_labels {
            let baseline = plot.y1 + s.tick_len + 0.25 * s.tick + ascent(s.tick);
            draw_rich(root, l, x, baseline, s.tick, Rgb::BLACK, Align::Center)?;
        }
    }
    let yt = visible_ticks(&p.y);
    let yl = tick_labels(&yt);
    for (t, l) in yt.iter().zip(&yl) {
        let y = map.py(*t);
        fill_rect(
            root,
            Rect {
                x0: plot.x0 - s.tick_len,
                y0: y - tw,
                x1: plot.x0,
                y1: y + tw,
            },
            Rgb::BLACK,
        )?;
        if p.y.show_tick_labels {
            let x = plot.x0 - s.tick_len - 0.3 * s.tick;
            draw_rich(
                root,
                l,
                x,
                y + 0.5 * ascent(s.tick),
                s.tick,
                Rgb::BLACK,
                Align::Right,
            )?;
        }
    }
    // Axis labels.
    if let Some(label) = &p.x.label {
        let mut baseline = plot.y1 + s.tick_len + 0.3 * s.label + ascent(s.label);
        if p.x.show_tick_labels {
            baseline += 1.15 * s.tick;
        }
        draw_rich(
            root,
            label,
            (plot.x0 + plot.x1) / 2.0,
            baseline,
            s.label,
            Rgb::BLACK,
            Align::Center,
        )?;
    }
    if let Some(label) = &p.y.label {
        let ytw = y_tick_label_width(p, s);
        let right =
            plot.x0 - s.tick_len - if ytw > 0.0 { ytw + 0.3 * s.tick } else { 0.0 } - 0.3 * s.label;
        let left = (right - 0.85 * s.label).max(plot.x0 - m.left);
        draw_vertical(
            root,
            label,
            left,
            (plot.y0 + plot.y1) / 2.0,
            s.label,
            Rgb::BLACK,
        )?;
    }
    match p.legend {
        Legend::None => Ok(()),
        Legend::Inside(corner) => {
            let entries: Vec<LegendEntry> = p
                .series
                .iter()
                .filter_map(|ser| {
                    ser.label.as_ref().map(|l| LegendEntry {
                        label: l.clone(),
                        color: ser.color,
                    })
                })
                .collect();
            draw_inside_legend(root, &entries, plot, corner, s)
        }
        Legend::OnCurves => draw_curve_labels(root, p, &map, s),
    }
}

fn draw_inside_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
    plot: Rect,
    corner: Corner,
    s: &Sizes,
) -> DrawResult {
    if entries.is_empty() {
        return Ok(());
    }
    let f = s.legend;
    let sample = 1.8 * f;
    let row_h = 1.35 * f;
    let text_w = entries
        .iter()
        .map(|e| rich_width(&e.label, f))
        .fold(0.0, f64::max);
    let w = 0.5 * f + sample + 0.5 * f + text_w + 0.5 * f;
    let h = entries.len() as f64 * row_h + 0.4 * f;
    let inset = 0.4 * f;
    let x0 = match corner {
        Corner::UpperLeft | Corner::LowerLeft => plot.x0 + inset,
        Corner::UpperRight | Corner::LowerRight => plot.x1 - inset - w,
    };
    let y0 = match corner {
        Corner::UpperLeft | Corner::UpperRight => plot.y0 + inset,
        Corner::LowerLeft | Corner::LowerRight => plot.y1 - inset - h,
    };
    let bx = Rect {
        x0,
        y0,
        x1: x0 + w,
        y1: y0 + h,
    };
    fill_rect(root, bx, Rgb::WHITE)?;
    stroke_rect(root, bx, Rgb(0xcc, 0xcc, 0xcc), s.frame)?;
    for (i, e) in entries.iter().enumerate() {
        let cy = y0 + 0.2 * f + (i as f64 + 0.5) * row_h;
        let sx = x0 + 0.5 * f;
        polyline(
            root,
            vec![(px(sx), px(cy)), (px(sx + sample), px(cy))],
            e.color,
            s.line,
        )?;
        draw_rich(
            root,
            &e.label,
            sx + sample + 0.5 * f,
            cy + 0.5 * ascent(f),
            f,
            Rgb::BLACK,
            Align::Left,
        )?;
    }
    Ok(())
}

/// Linear interpolation of the series at `x` (None outside its range or at non-finite points).
fn interp(xs: &[f64], ys: &[f64], x: f64) -> Option<f64> {
    for (w, v) in xs.windows(2).zip(ys.windows(2)) {
        let (a, b) = (w[0].min(w[1]), w[0].max(w[1]));
        if x >= a && x <= b {
            if w[1] == w[0] {
                return Some(v[0]).filter(|y| y.is_finite());
            }
            let t = (x - w[0]) / (w[1] - w[0]);
            return Some(v[0] + t * (v[1] - v[0])).filter(|y| y.is_finite());
        }
    }
    if xs.len() == 1 && xs[0] == x {
        return Some(ys[0]).filter(|y| y.is_finite());
    }
    None
}

/// Writes each series' label just above its curve, in the curve's colour, at staggered x
/// positions (Figure 8a style).
fn draw_curve_labels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    p: &Panel,
    map: &Mapper,
    s: &Sizes,
) -> DrawResult {
    let f = s.label;
    let labelled: Vec<_> = p.series.iter().filter(|x| x.label.is_some()).collect();
    for (i, ser) in labelled.iter().enumerate() {
        let label = ser.label.as_deref().unwrap_or_default();
        let w = rich_width(label, f);
        let frac = 0.45 + 0.06 * i as f64;
        let xmin = ser.x.iter().copied().fold(f64::INFINITY, f64::min);
        let xmax = ser.x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let xd = (p.x.min + frac * (p.x.max - p.x.min)).clamp(xmin, xmax);
        let Some(yd) = interp(&ser.x, &ser.y, xd) else {
            continue;
        };
        let mut x = map.px(xd);
        if x + w > map.plot.x1 - 0.2 * f {
            x = map.plot.x1 - 0.2 * f - w;
        }
        x = x.max(map.plot.x0 + 0.2 * f);
        // Highest point (smallest pixel y) of the curve under the label's horizontal span.
        let (xa, xb) = (x, x + w);
        let mut top = f64::INFINITY;
        let mut bottom = f64::NEG_INFINITY;
        for px_x in [xa, (xa + xb) / 2.0, xb] {
            let xv = p.x.min + (px_x - map.plot.x0) / map.plot.w() * (p.x.max - p.x.min);
            if let Some(yv) = interp(&ser.x, &ser.y, xv.clamp(xmin, xmax)) {
                let py = map.py(yv.clamp(p.y.min, p.y.max));
                top = top.min(py);
                bottom = bottom.max(py);
            }
        }
        for (&xv, &yv) in ser.x.iter().zip(&ser.y) {
            let pxv = map.px(xv);
            if pxv >= xa && pxv <= xb && yv.is_finite() {
                let py = map.py(yv.clamp(p.y.min, p.y.max));
                top = top.min(py);
                bottom = bottom.max(py);
            }
        }
        if !top.is_finite() {
            top = map.py(yd.clamp(p.y.min, p.y.max));
            bottom = top;
        }
        let mut baseline = top - 0.3 * f - descent(f);
        if baseline - ascent(f) - 0.4 * f < map.plot.y0 {
            // No room above the curve: write it below.
            baseline = bottom + 0.3 * f + ascent(f) + 0.3 * f;
        }
        baseline = baseline.min(map.plot.y1 - descent(f));
        draw_rich(root, label, x, baseline, f, ser.color, Align::Left)?;
    }
    Ok(())
}

/// Precomputed layout of a [`Grid`].
pub(crate) struct GridScene<'a> {
    grid: &'a Grid,
    s: Sizes,
    /// Per row: top and bottom margins (max over the row), so plots of a row align.
    row_m: Vec<(f64, f64)>,
    /// Per column: left and right margins (max over the column).
    col_m: Vec<(f64, f64)>,
    header_h: f64,
    row_label_w: f64,
    colorbar_w: f64,
    legend_h: f64,
    width: u32,
    height: u32,
}

impl<'a> GridScene<'a> {
    /// Lays out a validated grid; errors if the cells are too small for their labels.
    pub fn new(grid: &'a Grid) -> Result<Self, String> {
        let s = Sizes::new(grid.font_px);
        let (rows, cols) = grid.shape();
        let mut row_m = vec![(0.0f64, 0.0f64); rows];
        let mut col_m = vec![(0.0f64, 0.0f64); cols];
        for (r, row) in grid.panels.iter().enumerate() {
            for (c, p) in row.iter().enumerate() {
                let m = panel_margins(p, &s);
                row_m[r] = (row_m[r].0.max(m.top), row_m[r].1.max(m.bottom));
                col_m[c] = (col_m[c].0.max(m.left), col_m[c].1.max(m.right));
            }
        }
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
        let colorbar_w = grid.colorbar.as_ref().map_or(0.0, |cb| {
            plain_width(&cb.low_label, s.tick)
                .max(plain_width(&cb.high_label, s.tick))
                .max(2.0 * s.tick)
                + 1.5 * s.tick
        });
        let legend_h = if grid.legend.is_empty() {
            0.0
        } else {
            2.4 * s.legend
        };
        let width = row_label_w + cols as f64 * grid.cell_width as f64 + colorbar_w;
        let height = header_h + rows as f64 * grid.cell_height as f64 + legend_h;
        let plot_w = col_m
            .iter()
            .map(|(l, r)| grid.cell_width as f64 - l - r)
            .fold(f64::INFINITY, f64::min);
        let plot_h = row_m
            .iter()
            .map(|(t, b)| grid.cell_height as f64 - t - b)
            .fold(f64::INFINITY, f64::min);
        if plot_w < 10.0 || plot_h < 10.0 {
            return Err(format!(
                "cells of {}x{} px leave no room for the plotting area with {} px fonts",
                grid.cell_width, grid.cell_height, grid.font_px
            ));
        }
        Ok(GridScene {
            grid,
            s,
            row_m,
            col_m,
            header_h,
            row_label_w,
            colorbar_w,
            legend_h,
            width: width.ceil() as u32,
            height: height.ceil() as u32,
        })
    }

    fn plot_rect(&self, r: usize, c: usize) -> Rect {
        let x = self.row_label_w + c as f64 * self.grid.cell_width as f64;
        let y = self.header_h + r as f64 * self.grid.cell_height as f64;
        Rect {
            x0: x + self.col_m[c].0,
            y0: y + self.row_m[r].0,
            x1: x + self.grid.cell_width as f64 - self.col_m[c].1,
            y1: y + self.grid.cell_height as f64 - self.row_m[r].1,
        }
    }
}

impl Scene for GridScene<'_> {
    fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let g = self.grid;
        let s = &self.s;
        let (rows, cols) = g.shape();
        for (r, row) in g.panels.iter().enumerate() {
            for (c, p) in row.iter().enumerate() {
                let m = Margins {
                    top: self.row_m[r].0,
                    left: self.col_m[c].0,
                    bottom: self.row_m[r].1,
                    right: self.col_m[c].1,
                };
                draw_panel(root, p, self.plot_rect(r, c), m, s)?;
            }
        }
        for (c, h) in g.col_headers.iter().enumerate() {
            let pr = self.plot_rect(0, c);
            draw_rich(
                root,
                h,
                (pr.x0 + pr.x1) / 2.0,
                self.header_h - 0.45 * s.header,
                s.header,
                Rgb::BLACK,
                Align::Center,
            )?;
        }
        for (r, l) in g.row_labels.iter().enumerate() {
            let pr = self.plot_rect(r, 0);
            draw_vertical(
                root,
                l,
                0.3 * s.header,
                (pr.y0 + pr.y1) / 2.0,
                s.header,
                Rgb::BLACK,
            )?;
        }
        if let Some(cb) = &g.colorbar {
            let span_top = self.plot_rect(0, cols - 1).y0;
            let span_bottom = self.plot_rect(rows - 1, cols - 1).y1;
            let inset = (0.15 * (span_bottom - span_top)).max(1.2 * s.tick);
            let (top, bottom) = (span_top + inset, span_bottom - inset);
            let cx = self.width as f64 - self.colorbar_w / 2.0;
            let bw = 0.9 * s.tick;
            let bar = Rect {
                x0: cx - bw / 2.0,
                y0: top,
                x1: cx + bw / 2.0,
                y1: bottom.max(top + 10.0),
            };
            let n = (bar.h().round() as usize).clamp(2, 256);
            for k in 0..n {
                let t = (k as f64 + 0.5) / n as f64;
                let y1 = bar.y1 - k as f64 * bar.h() / n as f64;
                let y0 = bar.y1 - (k + 1) as f64 * bar.h() / n as f64;
                fill_rect(root, Rect { y0, y1, ..bar }, viridis(t))?;
            }
            stroke_rect(root, bar, Rgb::BLACK, s.frame)?;
            draw_rich(
                root,
                &cb.high_label,
                cx,
                bar.y0 - 0.4 * s.tick,
                s.tick,
                Rgb::BLACK,
                Align::Center,
            )?;
            draw_rich(
                root,
                &cb.low_label,
                cx,
                bar.y1 + 0.4 * s.tick + ascent(s.tick),
                s.tick,
                Rgb::BLACK,
                Align::Center,
            )?;
        }
        if !g.legend.is_empty() {
            let f = s.legend;
            let sample = 1.8 * f;
            let item_w: Vec<f64> = g
                .legend
                .iter()
                .map(|e| sample + 0.5 * f + rich_width(&e.label, f))
                .collect();
            let total: f64 = item_w.iter().sum::<f64>() + 1.5 * f * (item_w.len() - 1) as f64 + f;
            let left_plot = self.plot_rect(0, 0).x0;
            let right_plot = self.plot_rect(0, cols - 1).x1;
            let cx = (left_plot + right_plot) / 2.0;
            let cy = self.height as f64 - self.legend_h / 2.0;
            let bx = Rect {
                x0: cx - total / 2.0,
                y0: cy - 0.8 * f,
                x1: cx + total / 2.0,
                y1: cy + 0.8 * f,
            };
            stroke_rect(root, bx, Rgb(0xcc, 0xcc, 0xcc), s.frame)?;
            let mut x = bx.x0 + 0.5 * f;
            for (e, w) in g.legend.iter().zip(&item_w) {
                polyline(
                    root,
                    vec![(px(x), px(cy)), (px(x + sample), px(cy))],
                    e.color,
                    s.line,
                )?;
                draw_rich(
                    root,
                    &e.label,
                    x + sample + 0.5 * f,
                    cy + 0.5 * ascent(f),
                    f,
                    Rgb::BLACK,
                    Align::Left,
                )?;
                x += w + 1.5 * f;
            }
        }
        Ok(())
    }
}

/// Layout of an [`ImageGrid`] at a given cell size.
pub(crate) struct ImageLayout {
    pub cell: f64,
    pub gap: f64,
    pub title_w: f64,
    pub label_w: f64,
    pub font: f64,
    pub cols: usize,
}

impl ImageLayout {
    pub fn new(g: &ImageGrid, cell: f64, font: f64) -> Self {
        let title_w = g
            .rows
            .iter()
            .filter_map(|r| r.title.as_deref())
            .map(|t| rich_width(t, font) + 0.8 * font)
            .fold(0.0, f64::max);
        let label_w = g
            .rows
            .iter()
            .flat_map(|r| r.label.iter())
            .map(|t| rich_width(t, font) + 0.6 * font)
            .fold(0.0, f64::max);
        ImageLayout {
            cell,
            gap: 0.14 * cell,
            title_w,
            label_w,
            font,
            cols: g.rows.iter().map(|r| r.images.len()).max().unwrap_or(0),
        }
    }

    pub fn width(&self) -> f64 {
        self.title_w + self.cols as f64 * (self.cell + self.gap) + self.label_w
    }

    pub fn height(&self, rows: usize) -> f64 {
        rows as f64 * self.cell + rows.saturating_sub(1) as f64 * self.gap
    }
}

/// Draws an image grid with its top-left corner at `(ox, oy)`.
pub(crate) fn draw_image_grid<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    g: &ImageGrid,
    l: &ImageLayout,
    ox: f64,
    oy: f64,
    frame: f64,
) -> DrawResult {
    let f = l.font;
    for (r, row) in g.rows.iter().enumerate() {
        let y0 = oy + r as f64 * (l.cell + l.gap);
        let cy = y0 + l.cell / 2.0;
        if let Some(t) = &row.title {
            draw_rich(
                root,
                t,
                ox + l.title_w - 0.8 * f,
                cy + 0.5 * ascent(f),
                f,
                row.title_color.unwrap_or(Rgb::BLACK),
                Align::Right,
            )?;
        }
        for (i, im) in row.images.iter().enumerate() {
            let x0 = ox + l.title_w + i as f64 * (l.cell + l.gap);
            let scale = l.cell / im.height.max(im.width) as f64;
            let ix0 = x0 + (l.cell - scale * im.width as f64) / 2.0;
            let iy0 = y0 + (l.cell - scale * im.height as f64) / 2.0;
            let (lo, hi) = im
                .data
                .iter()
                .filter(|v| v.is_finite())
                .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &v| {
                    (a.min(v), b.max(v))
                });
            for yy in 0..im.height {
                for xx in 0..im.width {
                    let v = im.data[yy * im.width + xx];
                    let c = if !v.is_finite() {
                        Rgb::WHITE
                    } else {
                        let t = if hi > lo {
                            ((v - lo) / (hi - lo)) as f64
                        } else {
                            0.0
                        };
                        match g.colormap {
                            ColorMap::Viridis => viridis(t),
                            ColorMap::Gray => {
                                let k = (t * 255.0).round() as u8;
                                Rgb(k, k, k)
                            }
                        }
                    };
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
            stroke_rect(
                root,
                Rect {
                    x0: ix0.round(),
                    y0: iy0.round(),
                    x1: (ix0 + scale * im.width as f64).round(),
                    y1: (iy0 + scale * im.height as f64).round(),
                },
                Rgb::BLACK,
                frame,
            )?;
        }
        if !row.label.is_empty() {
            let x = ox + l.title_w + l.cols as f64 * (l.cell + l.gap);
            let line_h = 1.3 * f;
            let n = row.label.len() as f64;
            let first = cy - (n - 1.0) * line_h / 2.0 + 0.5 * ascent(f);
            for (k, t) in row.label.iter().enumerate() {
                draw_rich(
                    root,
                    t,
                    x,
                    first + k as f64 * line_h,
                    f,
                    Rgb::BLACK,
                    Align::Left,
                )?;
            }
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
        draw_image_grid(root, self.grid, &self.layout, self.pad, self.pad, frame)
    }
}

/// Figure 8: rotation panel (a) at the left, feature grid (b) at the right.
pub(crate) struct Fig8Scene {
    pub panel: Panel,
    pub images: ImageGrid,
    pub s: Sizes,
    pub m: Margins,
    pub layout: ImageLayout,
    pub left_w: f64,
    pub top: f64,
    pub width: f64,
    pub height: f64,
}

impl Fig8Scene {
    pub fn new(panel: Panel, images: ImageGrid) -> Self {
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
        }
    }
}

impl Scene for Fig8Scene {
    fn size(&self) -> (u32, u32) {
        (self.width.ceil() as u32, self.height.ceil() as u32)
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
        draw_image_grid(root, &self.images, &self.layout, ox, self.top, s.frame)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_label_decimals() {
        assert_eq!(tick_labels(&[0.0, 0.2, 1.0]), vec!["0.0", "0.2", "1.0"]);
        assert_eq!(tick_labels(&[0.0, 40.0, 80.0]), vec!["0", "40", "80"]);
        assert_eq!(tick_labels(&[0.25, 0.5]), vec!["0.25", "0.50"]);
        assert_eq!(tick_labels(&[-1.0, 0.0]), vec!["\u{2212}1", "0"]);
    }

    #[test]
    fn clipping_splits_and_cuts() {
        let r = Rect {
            x0: 0.0,
            y0: 0.0,
            x1: 10.0,
            y1: 10.0,
        };
        // Inside, leaves through the top (y < 0), comes back: two pieces.
        let pts = [(1.0, 5.0), (3.0, 5.0), (5.0, -5.0), (7.0, 5.0), (9.0, 5.0)];
        let paths = clipped_paths(&pts, r);
        assert_eq!(paths.len(), 2, "{paths:?}");
        assert_eq!(paths[0], vec![(1, 5), (3, 5), (4, 0)]);
        assert_eq!(paths[1], vec![(6, 0), (7, 5), (9, 5)]);
        // NaN breaks the line; a segment fully outside vanishes.
        let pts = [
            (1.0, 1.0),
            (2.0, 2.0),
            (f64::NAN, 1.0),
            (3.0, 3.0),
            (4.0, 4.0),
        ];
        assert_eq!(clipped_paths(&pts, r).len(), 2);
        assert!(clipped_paths(&[(-5.0, -5.0), (-1.0, -1.0)], r).is_empty());
    }
}
