//! Clipping of polylines and polygons to a plotting area.

use super::geom::{px, Rect};

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

/// Sutherland–Hodgman clipping of a polygon to `r` (empty if nothing remains).
pub(crate) fn clip_polygon(pts: &[(f64, f64)], r: Rect) -> Vec<(f64, f64)> {
    type Inside = fn(&(f64, f64), &Rect) -> bool;
    type Cross = fn((f64, f64), (f64, f64), &Rect) -> (f64, f64);
    let edges: [(Inside, Cross); 4] = [
        (|p, r| p.0 >= r.x0, |a, b, r| cross_x(a, b, r.x0)),
        (|p, r| p.0 <= r.x1, |a, b, r| cross_x(a, b, r.x1)),
        (|p, r| p.1 >= r.y0, |a, b, r| cross_y(a, b, r.y0)),
        (|p, r| p.1 <= r.y1, |a, b, r| cross_y(a, b, r.y1)),
    ];
    let mut poly: Vec<(f64, f64)> = pts.to_vec();
    for (inside, cross) in edges {
        if poly.is_empty() {
            break;
        }
        let input = std::mem::take(&mut poly);
        for (i, &cur) in input.iter().enumerate() {
            let prev = input[(i + input.len() - 1) % input.len()];
            match (inside(&prev, &r), inside(&cur, &r)) {
                (true, true) => poly.push(cur),
                (true, false) => poly.push(cross(prev, cur, &r)),
                (false, true) => {
                    poly.push(cross(prev, cur, &r));
                    poly.push(cur);
                }
                (false, false) => {}
            }
        }
    }
    poly
}

fn cross_x(a: (f64, f64), b: (f64, f64), x: f64) -> (f64, f64) {
    (x, a.1 + (b.1 - a.1) * (x - a.0) / (b.0 - a.0))
}

fn cross_y(a: (f64, f64), b: (f64, f64), y: f64) -> (f64, f64) {
    (a.0 + (b.0 - a.0) * (y - a.1) / (b.1 - a.1), y)
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn polygon_clipping() {
        let r = Rect {
            x0: 0.0,
            y0: 0.0,
            x1: 10.0,
            y1: 10.0,
        };
        // A square sticking out at the right is cut at x = 10.
        let sq = [(5.0, 2.0), (15.0, 2.0), (15.0, 8.0), (5.0, 8.0)];
        let c = clip_polygon(&sq, r);
        assert!(c.iter().all(|p| p.0 <= 10.0 && p.0 >= 5.0), "{c:?}");
        assert!(
            c.contains(&(10.0, 2.0)) && c.contains(&(10.0, 8.0)),
            "{c:?}"
        );
        assert!(clip_polygon(&[(20.0, 1.0), (30.0, 1.0), (25.0, 5.0)], r).is_empty());
    }
}
