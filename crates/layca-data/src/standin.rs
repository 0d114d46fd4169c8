//! A real stand-in for the CIFAR and Tiny ImageNet inputs made from MNIST digits: each
//! 28×28 digit is upsampled by the largest integer factor that fits (nearest neighbour),
//! centred on a zero border and replicated to the target's channels. 28×28 → 3×32×32 is a
//! 2-pixel border; 28×28 → 3×64×64 is a 2× upsample to 56×56 and a 4-pixel border.
//!
//! Labels stay the digits 0–9 (`num_classes = 10`), whatever the task's output width.

use crate::dataset::Dataset;
use crate::error::{config_err, Result};

/// How one image is mapped onto the target: `factor`× nearest upsampling, then `top`/`left`
/// zero rows/columns before the content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Nearest-neighbour upsampling factor (≥ 1).
    pub factor: usize,
    /// Zero rows above the content.
    pub top: usize,
    /// Zero columns left of the content.
    pub left: usize,
}

/// The plan that fits an `h × w` image into `th × tw`: the largest integer factor `k` with
/// `k·h ≤ th` and `k·w ≤ tw`, content centred (extra border row/column at the bottom/right).
/// Errors if the image is larger than the target or empty.
pub fn plan(h: usize, w: usize, th: usize, tw: usize) -> Result<Plan> {
    if h == 0 || w == 0 || h > th || w > tw {
        return Err(config_err(
            "shape",
            format!("a {h}x{w} image cannot be fitted into {th}x{tw}"),
        ));
    }
    let factor = (th / h).min(tw / w);
    Ok(Plan {
        factor,
        top: (th - factor * h) / 2,
        left: (tw - factor * w) / 2,
    })
}

/// The stand-in of `ds` (single-channel images) shaped `[C, H, W]`: see the module doc.
/// Errors if `ds` has more than one channel or does not fit.
pub fn fit_to_shape(ds: &Dataset, shape: [usize; 3]) -> Result<Dataset> {
    let [c, th, tw] = shape;
    if ds.channels != 1 || c == 0 {
        return Err(config_err(
            "shape",
            format!(
                "the stand-in maps 1-channel images to C channels; got {} -> {c}",
                ds.channels
            ),
        ));
    }
    let p = plan(ds.height, ds.width, th, tw)?;
    let plane = plane_map(ds.height, ds.width, th, tw, p);
    let mut pixels = Vec::with_capacity(ds.len() * c * th * tw);
    for i in 0..ds.len() {
        let src = ds.image(i);
        let out: Vec<u8> = plane
            .iter()
            .map(|s| s.map_or(0, |k| src[k as usize]))
            .collect();
        for _ in 0..c {
            pixels.extend_from_slice(&out);
        }
    }
    Ok(Dataset {
        pixels,
        labels: ds.labels.clone(),
        channels: c,
        height: th,
        width: tw,
        num_classes: ds.num_classes,
    })
}

/// For each output pixel of a `th × tw` plane, its source pixel (or `None` on the border).
fn plane_map(h: usize, w: usize, th: usize, tw: usize, p: Plan) -> Vec<Option<u32>> {
    let source = |o: usize, off: usize, n: usize| {
        o.checked_sub(off).map(|v| v / p.factor).filter(|&v| v < n)
    };
    let mut map = Vec::with_capacity(th * tw);
    for y in 0..th {
        for x in 0..tw {
            map.push(match (source(y, p.top, h), source(x, p.left, w)) {
                (Some(sy), Some(sx)) => Some((sy * w + sx) as u32),
                _ => None,
            });
        }
    }
    map
}

/// The stand-in's name for an image shape, e.g. `standin-mnist-3x32x32`.
pub fn standin_name(shape: [usize; 3]) -> String {
    format!("standin-mnist-{}x{}x{}", shape[0], shape[1], shape[2])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digits(n: usize, h: usize, w: usize) -> Dataset {
        let pixels = (0..n * h * w).map(|i| (i % 251 + 1) as u8).collect();
        Dataset {
            pixels,
            labels: (0..n as u32).map(|i| i % 10).collect(),
            channels: 1,
            height: h,
            width: w,
            num_classes: 10,
        }
    }

    #[test]
    fn plans_of_the_tasks() {
        assert_eq!(
            plan(28, 28, 32, 32).unwrap(),
            Plan {
                factor: 1,
                top: 2,
                left: 2
            }
        );
        assert_eq!(
            plan(28, 28, 64, 64).unwrap(),
            Plan {
                factor: 2,
                top: 4,
                left: 4
            }
        );
        assert!(plan(28, 28, 16, 16).is_err());
        assert!(plan(0, 28, 32, 32).is_err());
    }

    #[test]
    fn cifar_shape_is_a_zero_border_and_three_equal_channels() {
        let ds = digits(3, 28, 28);
        let out = fit_to_shape(&ds, [3, 32, 32]).unwrap();
        out.check().unwrap();
        assert_eq!(
            (out.len(), out.channels, out.height, out.width),
            (3, 3, 32, 32)
        );
        assert_eq!(out.labels, ds.labels);
        for i in 0..3 {
            let img = out.image(i);
            let (r, g, b) = (&img[..1024], &img[1024..2048], &img[2048..]);
            assert_eq!(r, g);
            assert_eq!(r, b);
            for y in 0..32 {
                for x in 0..32 {
                    let inside = (2..30).contains(&y) && (2..30).contains(&x);
                    let want = if inside {
                        ds.image(i)[(y - 2) * 28 + (x - 2)]
                    } else {
                        0
                    };
                    assert_eq!(r[y * 32 + x], want, "image {i} at ({y}, {x})");
                }
            }
        }
    }

    #[test]
    fn tiny_shape_is_a_2x_nearest_upsample_in_a_4_pixel_border() {
        let ds = digits(2, 28, 28);
        let out = fit_to_shape(&ds, [3, 64, 64]).unwrap();
        assert_eq!((out.channels, out.height, out.width), (3, 64, 64));
        let img = &out.image(1)[..4096];
        for y in 0..64 {
            for x in 0..64 {
                let inside = (4..60).contains(&y) && (4..60).contains(&x);
                let want = if inside {
                    ds.image(1)[(y - 4) / 2 * 28 + (x - 4) / 2]
                } else {
                    0
                };
                assert_eq!(img[y * 64 + x], want, "({y}, {x})");
            }
        }
        assert_eq!(&out.image(1)[4096..8192], img);
    }

    #[test]
    fn same_shape_is_identity_and_bad_inputs_are_errors() {
        let ds = digits(2, 28, 28);
        assert_eq!(fit_to_shape(&ds, [1, 28, 28]).unwrap(), ds);
        let rgb = fit_to_shape(&ds, [3, 32, 32]).unwrap();
        assert!(fit_to_shape(&rgb, [3, 64, 64]).is_err());
        assert!(fit_to_shape(&ds, [0, 32, 32]).is_err());
        assert_eq!(standin_name([3, 64, 64]), "standin-mnist-3x64x64");
    }
}
