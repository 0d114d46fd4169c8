//! Legends: boxed inside a plotting area, written along the curves, or in rows below a grid.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::primitives::{draw_marker, fill_polygon, fill_rect, polyline, stroke_rect};
use super::text::{draw_rich, Align};
use super::DrawResult;
use crate::color::Rgb;
use crate::layout::text::{ascent, descent, rich_width};
use crate::layout::{px, Mapper, Rect, Sizes};
use crate::model::{Corner, LegendEntry, Marker, Panel, Series};

/// What a legend shows for one series or entry.
pub(crate) struct LegendItem {
    pub label: String,
    pub color: Rgb,
    pub line: bool,
    pub marker: Option<Marker>,
    /// Opacity of the band sample (`None`: no band).
    pub band: Option<f64>,
    /// Whether the sample shows a vertical error bar.
    pub error_bar: bool,
}

impl LegendItem {
    /// The legend item of a labelled series (`None` for unlabelled ones).
    pub fn of_series(ser: &Series) -> Option<Self> {
        ser.label.as_ref().map(|l| LegendItem {
            label: l.clone(),
            color: ser.color,
            line: ser.line,
            marker: ser.marker,
            band: ser.band.as_ref().map(|b| b.alpha),
            error_bar: ser.error_bars.is_some(),
        })
    }

    /// A line-only item of a figure-level legend.
    pub fn of_entry(e: &LegendEntry) -> Self {
        LegendItem {
            label: e.label.clone(),
            color: e.color,
            line: true,
            marker: None,
            band: None,
            error_bar: false,
        }
    }
}

const GREY: Rgb = Rgb(0xcc, 0xcc, 0xcc);

/// Width of the line sample, in legend font sizes.
const SAMPLE: f64 = 1.8;

/// Draws the sample (band, line, marker) of `item` from `x` to `x + sample` at height `cy`.
fn draw_sample<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    item: &LegendItem,
    x: f64,
    cy: f64,
    s: &Sizes,
) -> DrawResult {
    let w = SAMPLE * s.legend;
    if let Some(alpha) = item.band {
        let h = 0.35 * s.legend;
        let pts = [(x, cy - h), (x + w, cy - h), (x + w, cy + h), (x, cy + h)];
        fill_polygon(root, &pts, item.color, alpha)?;
    }
    if item.line {
        let pts = vec![(px(x), px(cy)), (px(x + w), px(cy))];
        polyline(root, pts, item.color, s.line)?;
    }
    if item.error_bar {
        let (xm, h) = (px(x + w / 2.0), 0.45 * s.legend);
        let pts = vec![(xm, px(cy - h)), (xm, px(cy + h))];
        polyline(root, pts, item.color, s.line)?;
    }
    if let Some(m) = item.marker {
        draw_marker(root, m, (x + w / 2.0, cy), s.marker, item.color, s.line)?;
    }
    Ok(())
}

/// Top-left corner of a `w × h` legend box in `corner` of `plot`.
fn corner_origin(plot: Rect, corner: Corner, w: f64, h: f64, inset: f64) -> (f64, f64) {
    let x0 = match corner {
        Corner::UpperLeft | Corner::LowerLeft => plot.x0 + inset,
        Corner::UpperRight | Corner::LowerRight => plot.x1 - inset - w,
    };
    let y0 = match corner {
        Corner::UpperLeft | Corner::UpperRight => plot.y0 + inset,
        Corner::LowerLeft | Corner::LowerRight => plot.y1 - inset - h,
    };
    (x0, y0)
}

/// A boxed legend of `items` (one per row) inside `plot` at `corner`.
pub(crate) fn draw_inside_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    items: &[LegendItem],
    plot: Rect,
    corner: Corner,
    s: &Sizes,
) -> DrawResult {
    if items.is_empty() {
        return Ok(());
    }
    let f = s.legend;
    let row_h = 1.35 * f;
    let text_w = items
        .iter()
        .map(|e| rich_width(&e.label, f))
        .fold(0.0, f64::max);
    let w = 0.5 * f + SAMPLE * f + 0.5 * f + text_w + 0.5 * f;
    let h = items.len() as f64 * row_h + 0.4 * f;
    let (x0, y0) = corner_origin(plot, corner, w, h, 0.4 * f);
    let bx = Rect {
        x0,
        y0,
        x1: x0 + w,
        y1: y0 + h,
    };
    fill_rect(root, bx, Rgb::WHITE)?;
    stroke_rect(root, bx, GREY, s.frame)?;
    for (i, e) in items.iter().enumerate() {
        let cy = y0 + 0.2 * f + (i as f64 + 0.5) * row_h;
        let sx = x0 + 0.5 * f;
        draw_sample(root, e, sx, cy, s)?;
        let tx = sx + SAMPLE * f + 0.5 * f;
        draw_rich(
            root,
            &e.label,
            tx,
            cy + 0.5 * ascent(f),
            f,
            Rgb::BLACK,
            Align::Left,
        )?;
    }
    Ok(())
}

/// Width of one item of a legend row: sample, gap, text.
fn item_width(e: &LegendItem, f: f64) -> f64 {
    SAMPLE * f + 0.5 * f + rich_width(&e.label, f)
}

/// Column widths of a legend laid out in rows of `per_row` items (max over each column).
fn column_widths(items: &[LegendItem], per_row: usize, f: f64) -> Vec<f64> {
    let mut w = vec![0.0f64; per_row.min(items.len())];
    for (i, e) in items.iter().enumerate() {
        let c = i % per_row;
        w[c] = w[c].max(item_width(e, f));
    }
    w
}

/// A boxed legend below a grid: rows of `per_row` items in aligned columns (a single row is
/// packed), centred on `cx`, the first row's centre line at `cy`; `row_h` is the distance
/// between rows.
pub(crate) fn draw_legend_rows<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    items: &[LegendItem],
    per_row: usize,
    (cx, cy): (f64, f64),
    row_h: f64,
    s: &Sizes,
) -> DrawResult {
    let f = s.legend;
    let per_row = per_row.max(1);
    let n_rows = items.len().div_ceil(per_row);
    let widths = column_widths(items, per_row, f);
    let total = widths.iter().sum::<f64>() + 1.5 * f * (widths.len().max(1) - 1) as f64 + f;
    let bx = Rect {
        x0: cx - total / 2.0,
        y0: cy - 0.8 * f,
        x1: cx + total / 2.0,
        y1: cy + 0.8 * f + n_rows.saturating_sub(1) as f64 * row_h,
    };
    stroke_rect(root, bx, GREY, s.frame)?;
    for (i, e) in items.iter().enumerate() {
        let (row, col) = (i / per_row, i % per_row);
        let y = cy + row as f64 * row_h;
        let x = bx.x0 + 0.5 * f + widths[..col].iter().map(|w| w + 1.5 * f).sum::<f64>();
        draw_sample(root, e, x, y, s)?;
        let tx = x + SAMPLE * f + 0.5 * f;
        draw_rich(
            root,
            &e.label,
            tx,
            y + 0.5 * ascent(f),
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

/// Highest and lowest pixel y of a series over the pixel span `[xa, xb]` (clamped to the
/// axis), or `None` if the series has no visible point there.
fn curve_span(ser: &Series, map: &Mapper, (xa, xb): (f64, f64)) -> Option<(f64, f64)> {
    let xmin = ser.x.iter().copied().fold(f64::INFINITY, f64::min);
    let xmax = ser.x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut top = f64::INFINITY;
    let mut bottom = f64::NEG_INFINITY;
    let mut add = |py: f64| {
        top = top.min(py);
        bottom = bottom.max(py);
    };
    for px_x in [xa, (xa + xb) / 2.0, xb] {
        let xv = map.data_x(px_x);
        if let Some(yv) = interp(&ser.x, &ser.y, xv.clamp(xmin, xmax)) {
            add(map.py_clamped(yv));
        }
    }
    for (&xv, &yv) in ser.x.iter().zip(&ser.y) {
        let pxv = map.px(xv);
        if pxv >= xa && pxv <= xb && yv.is_finite() {
            add(map.py_clamped(yv));
        }
    }
    top.is_finite().then_some((top, bottom))
}

/// Writes the label of the `i`-th labelled series just above its curve (below it if there is
/// no room), in the curve's colour.
fn draw_curve_label<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    ser: &Series,
    label: &str,
    i: usize,
    map: &Mapper,
    s: &Sizes,
) -> DrawResult {
    let f = s.label;
    let (p_x, plot) = (map.x, map.plot);
    let w = rich_width(label, f);
    let frac = 0.45 + 0.06 * i as f64;
    let xmin = ser.x.iter().copied().fold(f64::INFINITY, f64::min);
    let xmax = ser.x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let xd = p_x.value_at(frac).clamp(xmin, xmax);
    let Some(yd) = interp(&ser.x, &ser.y, xd) else {
        return Ok(());
    };
    let mut x = map.px(xd);
    if x + w > plot.x1 - 0.2 * f {
        x = plot.x1 - 0.2 * f - w;
    }
    x = x.max(plot.x0 + 0.2 * f);
    let (top, bottom) = curve_span(ser, map, (x, x + w)).unwrap_or_else(|| {
        let y = map.py_clamped(yd);
        (y, y)
    });
    let mut baseline = top - 0.3 * f - descent(f);
    if baseline - ascent(f) - 0.4 * f < plot.y0 {
        // No room above the curve: write it below.
        baseline = bottom + 0.3 * f + ascent(f) + 0.3 * f;
    }
    baseline = baseline.min(plot.y1 - descent(f));
    draw_rich(root, label, x, baseline, f, ser.color, Align::Left)
}

/// Writes each series' label along its curve at staggered x positions (Figure 8a style).
pub(crate) fn draw_curve_labels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    p: &Panel,
    map: &Mapper,
    s: &Sizes,
) -> DrawResult {
    let labelled = p
        .series
        .iter()
        .filter_map(|x| x.label.as_deref().map(|l| (x, l)));
    for (i, (ser, label)) in labelled.enumerate() {
        draw_curve_label(root, ser, label, i, map, s)?;
    }
    Ok(())
}
