//! Training-time augmentation of spec §1.2: random translation of up to ±4 px (continuous
//! offset, nearest-neighbour resampling, scipy "reflect" fill) and a horizontal flip with
//! probability 0.5. Applied to already-normalised images, training data only.

use rand::Rng;

/// Largest shift, in pixels (Keras `width/height_shift_range = 0.125` × 32 px).
pub const MAX_SHIFT: f64 = 4.0;

/// The random transform of one image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Transform {
    /// Vertical shift in pixels: content moves down by `dy` (up if negative).
    pub dy: i32,
    /// Horizontal shift in pixels: content moves right by `dx` (left if negative).
    pub dx: i32,
    /// Horizontal flip (applied after the shift, as Keras does).
    pub flip: bool,
}

impl Transform {
    /// Draws a transform: the vertical then the horizontal offset uniform in [−4, +4]
    /// (continuous, as Keras draws them), rounded to the nearest pixel (order-0
    /// resampling of an integer grid shifted by t picks `round(t)`, so |shift| = 4 only
    /// when |t| ≥ 3.5), then a flip with probability 0.5.
    pub fn draw<R: Rng + ?Sized>(rng: &mut R) -> Self {
        let dy = rng.gen_range(-MAX_SHIFT..=MAX_SHIFT).round() as i32;
        let dx = rng.gen_range(-MAX_SHIFT..=MAX_SHIFT).round() as i32;
        let flip = rng.gen_bool(0.5);
        Transform { dy, dx, flip }
    }

    /// The source pixel `(row, col)` that lands at output `(y, x)` of an `h × w` image.
    #[inline]
    pub fn source(&self, y: usize, x: usize, h: usize, w: usize) -> (usize, usize) {
        let x = if self.flip { w - 1 - x } else { x };
        let sy = reflect_index(y as i64 - self.dy as i64, h);
        let sx = reflect_index(x as i64 - self.dx as i64, w);
        (sy, sx)
    }
}

/// scipy `mode="reflect"` (half-sample symmetric, `d c b a | a b c d | d c b a`): maps any
/// integer coordinate onto `0..n`. Panics if `n == 0`.
#[inline]
pub fn reflect_index(i: i64, n: usize) -> usize {
    assert!(n > 0, "reflect_index on an empty axis");
    let period = 2 * n as i64;
    let m = i.rem_euclid(period);
    if m < n as i64 {
        m as usize
    } else {
        (period - 1 - m) as usize
    }
}

/// Applies `t` to one CHW image (`c·h·w` values), returning the transformed image.
pub fn apply<T: Copy>(src: &[T], c: usize, h: usize, w: usize, t: Transform) -> Vec<T> {
    assert_eq!(src.len(), c * h * w, "image buffer size");
    let mut out = Vec::with_capacity(src.len());
    for ch in 0..c {
        let plane = &src[ch * h * w..(ch + 1) * h * w];
        for y in 0..h {
            for x in 0..w {
                let (sy, sx) = t.source(y, x, h, w);
                out.push(plane[sy * w + sx]);
            }
        }
    }
    out
}

/// Appends to `out` the flat source indices (into an `N·C·H·W` buffer) that build the
/// transformed image `image` — the gather table used by [`crate::TensorDataset::batch`].
pub(crate) fn push_gather_indices(
    out: &mut Vec<u32>,
    image: usize,
    c: usize,
    h: usize,
    w: usize,
    t: Transform,
) {
    let base = image * c * h * w;
    for ch in 0..c {
        let plane = base + ch * h * w;
        for y in 0..h {
            for x in 0..w {
                let (sy, sx) = t.source(y, x, h, w);
                out.push((plane + sy * w + sx) as u32);
            }
        }
    }
}
