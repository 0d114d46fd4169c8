//! Drawing one series: its band (beneath), its line, then its markers.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::primitives::{draw_marker, fill_polygon, polyline};
use super::DrawResult;
use crate::layout::clip::{clip_polygon, clipped_paths};
use crate::layout::{Mapper, Sizes};
use crate::model::{Band, ErrorBars, Series};

fn finite(p: (f64, f64)) -> bool {
    p.0.is_finite() && p.1.is_finite()
}

/// Clipping tolerance in pixels: a curve lying exactly on an axis limit (e.g. a constant 1.0 on
/// [0, 1]) must not vanish through rounding of the data → pixel mapping.
const CLIP_TOLERANCE: f64 = 1e-6;

/// Pixel polygons of a band: one per run of points whose bounds can be shown.
fn band_polygons(ser: &Series, band: &Band, map: &Mapper) -> Vec<Vec<(f64, f64)>> {
    let mut out = Vec::new();
    let mut upper: Vec<(f64, f64)> = Vec::new();
    let mut lower: Vec<(f64, f64)> = Vec::new();
    let mut flush = |upper: &mut Vec<(f64, f64)>, lower: &mut Vec<(f64, f64)>| {
        if upper.len() >= 2 {
            let mut poly = std::mem::take(upper);
            poly.extend(lower.drain(..).rev());
            out.push(poly);
        }
        upper.clear();
        lower.clear();
    };
    for ((&x, &lo), &hi) in ser.x.iter().zip(&band.lower).zip(&band.upper) {
        let (a, b) = (map.point(x, hi), map.point(x, lo));
        if finite(a) && finite(b) {
            upper.push(a);
            lower.push(b);
        } else {
            flush(&mut upper, &mut lower);
        }
    }
    flush(&mut upper, &mut lower);
    out
}

fn draw_band<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    ser: &Series,
    band: &Band,
    map: &Mapper,
) -> DrawResult {
    for poly in band_polygons(ser, band, map) {
        let clipped = clip_polygon(&poly, map.plot.grown(CLIP_TOLERANCE));
        fill_polygon(root, &clipped, ser.color, band.alpha)?;
    }
    Ok(())
}

fn draw_line<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    ser: &Series,
    map: &Mapper,
    s: &Sizes,
) -> DrawResult {
    let pts: Vec<(f64, f64)> = ser
        .x
        .iter()
        .zip(&ser.y)
        .map(|(&x, &y)| map.point(x, y))
        .collect();
    for path in clipped_paths(&pts, map.plot.grown(CLIP_TOLERANCE)) {
        polyline(root, path, ser.color, s.line * ser.width)?;
    }
    Ok(())
}

/// One vertical bar per point from `lower` to `upper`, clipped to the plot, with optional caps.
fn draw_error_bars<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    ser: &Series,
    bars: &ErrorBars,
    map: &Mapper,
    s: &Sizes,
) -> DrawResult {
    let width = s.line * ser.width;
    let cap = 0.5 * s.marker * ser.marker_size;
    let clip = map.plot.grown(CLIP_TOLERANCE);
    for ((&x, &lo), &hi) in ser.x.iter().zip(&bars.lower).zip(&bars.upper) {
        let (a, b) = (map.point(x, lo), map.point(x, hi));
        for path in clipped_paths(&[a, b], clip) {
            polyline(root, path, ser.color, width)?;
        }
        if bars.caps {
            for end in [a, b] {
                let seg = [(end.0 - cap, end.1), (end.0 + cap, end.1)];
                for path in clipped_paths(&seg, clip) {
                    polyline(root, path, ser.color, width)?;
                }
            }
        }
    }
    Ok(())
}

/// Markers at the points inside the plotting area (others, and gaps, are skipped).
fn draw_markers<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    ser: &Series,
    map: &Mapper,
    s: &Sizes,
) -> DrawResult {
    let Some(marker) = ser.marker else {
        return Ok(());
    };
    let r = s.marker * ser.marker_size;
    let tol = 0.5;
    let plot = map.plot;
    for (&x, &y) in ser.x.iter().zip(&ser.y) {
        let p = map.point(x, y);
        let inside = finite(p)
            && p.0 >= plot.x0 - tol
            && p.0 <= plot.x1 + tol
            && p.1 >= plot.y0 - tol
            && p.1 <= plot.y1 + tol;
        if inside {
            draw_marker(root, marker, p, r, ser.color, s.line * ser.width)?;
        }
    }
    Ok(())
}

/// Draws a series: band beneath, then the line, the error bars and the markers.
pub(crate) fn draw_series<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    ser: &Series,
    map: &Mapper,
    s: &Sizes,
) -> DrawResult {
    if let Some(band) = &ser.band {
        draw_band(root, ser, band, map)?;
    }
    if ser.line {
        draw_line(root, ser, map, s)?;
    }
    if let Some(bars) = &ser.error_bars {
        draw_error_bars(root, ser, bars, map, s)?;
    }
    draw_markers(root, ser, map, s)
}
