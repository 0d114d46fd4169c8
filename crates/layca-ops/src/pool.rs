//! `k×k` max pooling with stride `k` ("valid"), gradient to the **first** maximum of each
//! window in row-major order (TensorFlow's `MaxPoolGrad`), never split or duplicated on ties.

use std::mem::MaybeUninit;

use candle_core::{bail, Result, Shape, Tensor};
use rayon::prelude::*;

use crate::kernel::{Cpu, Kernel1, Kernel2};
use crate::util::{contiguous, uninit_output, Real};

#[derive(Debug, Clone, Copy)]
struct Geom {
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    k: usize,
}

impl Geom {
    fn ho(&self) -> usize {
        self.h / self.k
    }
    fn wo(&self) -> usize {
        self.w / self.k
    }
}

/// `k×k` max pooling with stride `k` of an NCHW tensor; trailing rows/columns that do not
/// fill a window are dropped (Keras "valid").
pub fn max_pool2d(x: &Tensor, k: usize) -> Result<Tensor> {
    let (n, c, h, w) = x.dims4()?;
    if k == 0 || h < k || w < k {
        bail!("layca-ops max_pool2d: window {k}x{k} does not fit the input {h}x{w}");
    }
    #[cfg(feature = "cuda")]
    if crate::cuda::supports(x) {
        return crate::cuda::max_pool2d(x, n, c, h, w, k);
    }
    contiguous(x)?.apply_op1(Cpu(MaxPool(Geom { n, c, h, w, k })))
}

/// Index (into the channel plane) of the first maximum of window `(oy, ox)`.
#[inline(always)]
fn argmax_window<T: Real>(plane: &[T], g: &Geom, oy: usize, ox: usize) -> usize {
    let mut best = oy * g.k * g.w + ox * g.k;
    let mut bv = plane[best];
    for i in 0..g.k {
        let row = (oy * g.k + i) * g.w + ox * g.k;
        for j in 0..g.k {
            let v = plane[row + j];
            // Strict `>` keeps the first maximum.
            if v > bv {
                bv = v;
                best = row + j;
            }
        }
    }
    best
}

fn forward<T: Real>(x: &[T], g: &Geom) -> Vec<T> {
    let (ho, wo) = (g.ho(), g.wo());
    assert_eq!(
        x.len(),
        g.n * g.c * g.h * g.w,
        "layca-ops max_pool2d: input length"
    );
    let fill = |y: &mut [MaybeUninit<T>]| {
        y.par_chunks_mut(ho * wo)
            .zip(x.par_chunks(g.h * g.w))
            .for_each(|(yp, xp)| {
                for oy in 0..ho {
                    for ox in 0..wo {
                        yp[oy * wo + ox].write(xp[argmax_window(xp, g, oy, ox)]);
                    }
                }
            });
    };
    // SAFETY: `x` holds `n·c` planes of `h·w`, so each of the `n·c` output planes is paired
    // with one and written at every `(oy, ox)`.
    unsafe { uninit_output(g.n * g.c * ho * wo, fill) }
}

/// Each plane of `dX` is zeroed (in its own task, while it is in cache) and then receives
/// every window's gradient at the window's first maximum.
fn backward<T: Real>(x: &[T], dy: &[T], g: &Geom) -> Vec<T> {
    let (ho, wo) = (g.ho(), g.wo());
    assert_eq!(
        x.len(),
        g.n * g.c * g.h * g.w,
        "layca-ops max_pool2d: input length"
    );
    assert_eq!(
        dy.len(),
        g.n * g.c * ho * wo,
        "layca-ops max_pool2d: gradient length"
    );
    let fill = |dx: &mut [MaybeUninit<T>]| {
        dx.par_chunks_mut(g.h * g.w)
            .zip(x.par_chunks(g.h * g.w))
            .zip(dy.par_chunks(ho * wo))
            .for_each(|((dxp, xp), dyp)| {
                dxp.fill(MaybeUninit::new(T::zero()));
                for oy in 0..ho {
                    for ox in 0..wo {
                        dxp[argmax_window(xp, g, oy, ox)].write(dyp[oy * wo + ox]);
                    }
                }
            });
    };
    // SAFETY: every plane of the output (as long as `x`) is filled with zeros first.
    unsafe { uninit_output(x.len(), fill) }
}

struct MaxPool(Geom);

impl Kernel1 for MaxPool {
    const NAME: &'static str = "layca-max-pool2d";
    fn shape(&self, _input: &Shape) -> Shape {
        let g = &self.0;
        Shape::from((g.n, g.c, g.ho(), g.wo()))
    }
    fn run<T: Real>(&self, x: &[T]) -> Vec<T> {
        forward(x, &self.0)
    }
    fn bwd(&self, x: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        if !x.track_op() {
            return Ok(None);
        }
        Ok(Some(x.apply_op2_no_bwd(
            &contiguous(grad)?,
            &Cpu(MaxPoolBwd(self.0)),
        )?))
    }
}

/// `(x, dY) → dX`.
struct MaxPoolBwd(Geom);

impl Kernel2 for MaxPoolBwd {
    const NAME: &'static str = "layca-max-pool2d-bwd";
    fn shape(&self, first: &Shape) -> Shape {
        first.clone()
    }
    fn run<T: Real>(&self, x: &[T], dy: &[T]) -> Vec<T> {
        backward(x, dy, &self.0)
    }
}
