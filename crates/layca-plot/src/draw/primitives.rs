//! Drawing primitives on a plotters area: rectangles, polylines, translucent polygons, markers.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::DrawResult;
use crate::color::Rgb;
use crate::layout::{px, Rect};
use crate::model::Marker;

pub(crate) fn fill_rect<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    r: Rect,
    c: Rgb,
) -> DrawResult {
    root.draw(&Rectangle::new(
        [(px(r.x0), px(r.y0)), (px(r.x1), px(r.y1))],
        c.to_plotters().filled(),
    ))
    .map_err(|e| e.to_string())
}

pub(crate) fn stroke_rect<DB: DrawingBackend>(
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

pub(crate) fn polyline<DB: DrawingBackend>(
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

/// Fills the polygon `pts` with `c` at opacity `alpha`.
pub(crate) fn fill_polygon<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    pts: &[(f64, f64)],
    c: Rgb,
    alpha: f64,
) -> DrawResult {
    if pts.len() < 3 {
        return Ok(());
    }
    let color = c.to_plotters().mix(alpha);
    let pts: Vec<(i32, i32)> = pts.iter().map(|p| (px(p.0), px(p.1))).collect();
    root.draw(&Polygon::new(pts, color.filled()))
        .map_err(|e| e.to_string())
}

/// Draws `marker` of radius `r` centred on `(x, y)`; `line` is the stroke width of crosses.
pub(crate) fn draw_marker<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    marker: Marker,
    (x, y): (f64, f64),
    r: f64,
    c: Rgb,
    line: f64,
) -> DrawResult {
    let style = c.to_plotters().filled();
    let at = |dx: f64, dy: f64| (px(x + dx), px(y + dy));
    let res = match marker {
        Marker::Circle => root.draw(&Circle::new(at(0.0, 0.0), px(r).max(1), style)),
        Marker::Square => {
            let h = 0.85 * r;
            root.draw(&Rectangle::new([at(-h, -h), at(h, h)], style))
        }
        Marker::Triangle => {
            let pts = vec![at(0.0, -1.15 * r), at(r, 0.7 * r), at(-r, 0.7 * r)];
            root.draw(&Polygon::new(pts, style))
        }
        Marker::Diamond => {
            let pts = vec![at(0.0, -r), at(0.8 * r, 0.0), at(0.0, r), at(-0.8 * r, 0.0)];
            root.draw(&Polygon::new(pts, style))
        }
        Marker::Cross | Marker::Plus => return draw_cross(root, marker, (x, y), r, c, line),
    };
    res.map_err(|e| e.to_string())
}

/// The two strokes of a `Cross` (×) or `Plus` (+) marker.
fn draw_cross<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    marker: Marker,
    (x, y): (f64, f64),
    r: f64,
    c: Rgb,
    line: f64,
) -> DrawResult {
    let at = |dx: f64, dy: f64| (px(x + dx), px(y + dy));
    let d = if marker == Marker::Cross { 0.8 * r } else { r };
    let strokes = if marker == Marker::Cross {
        [[at(-d, -d), at(d, d)], [at(-d, d), at(d, -d)]]
    } else {
        [[at(-d, 0.0), at(d, 0.0)], [at(0.0, -d), at(0.0, d)]]
    };
    for s in strokes {
        polyline(root, s.to_vec(), c, line)?;
    }
    Ok(())
}
