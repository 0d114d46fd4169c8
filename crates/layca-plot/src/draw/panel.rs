//! Drawing one panel: title, series, axes, annotations and legend.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::axes::draw_axes;
use super::legend::{draw_curve_labels, draw_inside_legend, LegendItem};
use super::series::draw_series;
use super::text::{draw_rich, Align};
use super::DrawResult;
use crate::color::Rgb;
use crate::layout::text::ascent;
use crate::layout::{Mapper, Margins, Rect, Sizes};
use crate::model::{Legend, Panel};

/// Title lines, the last one just above the frame.
fn draw_title<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    p: &Panel,
    plot: Rect,
    s: &Sizes,
) -> DrawResult {
    let n = p.title.len();
    for (i, line) in p.title.iter().enumerate() {
        let baseline = plot.y0 - 0.45 * s.title - (n - 1 - i) as f64 * 1.3 * s.title;
        let x = plot.center_x();
        draw_rich(root, line, x, baseline, s.title, Rgb::BLACK, Align::Center)?;
    }
    Ok(())
}

/// Annotations centred on their axis-fraction positions, lines split at `\n`.
fn draw_annotations<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    p: &Panel,
    plot: Rect,
    s: &Sizes,
) -> DrawResult {
    for a in &p.annotations {
        let size = s.title * a.size;
        let lines: Vec<&str> = a.text.split('\n').collect();
        let line_h = 1.3 * size;
        let cx = plot.x0 + a.x * plot.w();
        let cy = plot.y1 - a.y * plot.h();
        let first = cy - (lines.len() - 1) as f64 * line_h / 2.0 + 0.5 * ascent(size);
        for (k, line) in lines.iter().enumerate() {
            let baseline = first + k as f64 * line_h;
            draw_rich(root, line, cx, baseline, size, a.color, Align::Center)?;
        }
    }
    Ok(())
}

fn draw_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    p: &Panel,
    map: &Mapper,
    s: &Sizes,
) -> DrawResult {
    match p.legend {
        Legend::None => Ok(()),
        Legend::Inside(corner) => {
            let items: Vec<LegendItem> =
                p.series.iter().filter_map(LegendItem::of_series).collect();
            draw_inside_legend(root, &items, map.plot, corner, s)
        }
        Legend::OnCurves => draw_curve_labels(root, p, map, s),
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
    let map = Mapper::new(plot, &p.x, &p.y);
    draw_title(root, p, plot, s)?;
    for ser in &p.series {
        draw_series(root, ser, &map, s)?;
    }
    draw_axes(root, p, &map, m, s)?;
    draw_annotations(root, p, plot, s)?;
    draw_legend(root, p, &map, s)
}
