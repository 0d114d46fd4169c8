//! The frame of a plotting area, its ticks, tick labels and axis labels.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::primitives::{fill_rect, stroke_rect};
use super::text::{draw_rich, draw_vertical, Align};
use super::DrawResult;
use crate::color::Rgb;
use crate::layout::margins::{x_tick_label_extra, y_tick_label_width};
use crate::layout::text::ascent;
use crate::layout::ticks::{visible_minor_ticks, visible_ticks};
use crate::layout::{Mapper, Margins, Rect, Sizes};
use crate::model::Panel;

/// A tick mark below the frame at pixel `x`, `len` long.
fn x_tick<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    x: f64,
    plot: Rect,
    len: f64,
    s: &Sizes,
) -> DrawResult {
    let tw = s.frame / 2.0;
    let r = Rect {
        x0: x - tw,
        y0: plot.y1,
        x1: x + tw,
        y1: plot.y1 + len,
    };
    fill_rect(root, r, Rgb::BLACK)
}

/// A tick mark left of the frame at pixel `y`, `len` long.
fn y_tick<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    y: f64,
    plot: Rect,
    len: f64,
    s: &Sizes,
) -> DrawResult {
    let tw = s.frame / 2.0;
    let r = Rect {
        x0: plot.x0 - len,
        y0: y - tw,
        x1: plot.x0,
        y1: y + tw,
    };
    fill_rect(root, r, Rgb::BLACK)
}

fn draw_x_ticks<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    p: &Panel,
    map: &Mapper,
    s: &Sizes,
) -> DrawResult {
    let plot = map.plot;
    for t in visible_minor_ticks(&p.x) {
        x_tick(root, map.px(t), plot, 0.55 * s.tick_len, s)?;
    }
    let baseline = plot.y1 + s.tick_len + 0.25 * s.tick + ascent(s.tick) + x_tick_label_extra(p, s);
    for (t, l) in visible_ticks(&p.x) {
        let x = map.px(t);
        x_tick(root, x, plot, s.tick_len, s)?;
        if p.x.show_tick_labels {
            draw_rich(root, &l, x, baseline, s.tick, Rgb::BLACK, Align::Center)?;
        }
    }
    Ok(())
}

fn draw_y_ticks<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    p: &Panel,
    map: &Mapper,
    s: &Sizes,
) -> DrawResult {
    let plot = map.plot;
    for t in visible_minor_ticks(&p.y) {
        y_tick(root, map.py(t), plot, 0.55 * s.tick_len, s)?;
    }
    let x = plot.x0 - s.tick_len - 0.3 * s.tick;
    for (t, l) in visible_ticks(&p.y) {
        let y = map.py(t);
        y_tick(root, y, plot, s.tick_len, s)?;
        if p.y.show_tick_labels {
            let baseline = y + 0.5 * ascent(s.tick);
            draw_rich(root, &l, x, baseline, s.tick, Rgb::BLACK, Align::Right)?;
        }
    }
    Ok(())
}

fn draw_x_label<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    p: &Panel,
    plot: Rect,
    s: &Sizes,
) -> DrawResult {
    let Some(label) = &p.x.label else {
        return Ok(());
    };
    let mut baseline = plot.y1 + s.tick_len + 0.3 * s.label + ascent(s.label);
    if p.x.show_tick_labels {
        baseline += 1.15 * s.tick + x_tick_label_extra(p, s);
    }
    let x = plot.center_x();
    draw_rich(root, label, x, baseline, s.label, Rgb::BLACK, Align::Center)
}

fn draw_y_label<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    p: &Panel,
    plot: Rect,
    m: Margins,
    s: &Sizes,
) -> DrawResult {
    let Some(label) = &p.y.label else {
        return Ok(());
    };
    let ytw = y_tick_label_width(p, s);
    let ticks_w = if ytw > 0.0 { ytw + 0.3 * s.tick } else { 0.0 };
    let right = plot.x0 - s.tick_len - ticks_w - 0.3 * s.label;
    let left = (right - 0.85 * s.label).max(plot.x0 - m.left);
    draw_vertical(root, label, left, plot.center_y(), s.label, Rgb::BLACK)
}

/// Frame, ticks, tick labels and axis labels of panel `p` drawn at `map.plot`.
pub(crate) fn draw_axes<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    p: &Panel,
    map: &Mapper,
    m: Margins,
    s: &Sizes,
) -> DrawResult {
    stroke_rect(root, map.plot, Rgb::BLACK, s.frame)?;
    draw_x_ticks(root, p, map, s)?;
    draw_y_ticks(root, p, map, s)?;
    draw_x_label(root, p, map.plot, s)?;
    draw_y_label(root, p, map.plot, m, s)
}
