//! `k×k` max pooling with stride `k` ("valid"), gradient to the **first** maximum of each
//! window in row-major order (TensorFlow's `MaxPoolGrad`), never split or duplicated on ties.

use candle_core::{bail, CpuStorage, CustomOp1, CustomOp2, Layout, Result, Shape, Tensor};
use rayon::prelude::*;

use crate::util::{contiguous, cpu_slice, dispatch, Real};

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
    contiguous(x)?.apply_op1(MaxPool(Geom { n, c, h, w, k }))
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
    let mut y = vec![T::zero(); g.n * g.c * ho * wo];
    y.par_chunks_mut(ho * wo)
        .zip(x.par_chunks(g.h * g.w))
        .for_each(|(yp, xp)| {
            for oy in 0..ho {
                for ox in 0..wo {
                    yp[oy * wo + ox] = xp[argmax_window(xp, g, oy, ox)];
                }
            }
        });
    y
}

fn backward<T: Real>(x: &[T], dy: &[T], g: &Geom) -> Vec<T> {
    let (ho, wo) = (g.ho(), g.wo());
    let mut dx = vec![T::zero(); x.len()];
    dx.par_chunks_mut(g.h * g.w)
        .zip(x.par_chunks(g.h * g.w))
        .zip(dy.par_chunks(ho * wo))
        .for_each(|((dxp, xp), dyp)| {
            for oy in 0..ho {
                for ox in 0..wo {
                    dxp[argmax_window(xp, g, oy, ox)] = dyp[oy * wo + ox];
                }
            }
        });
    dx
}

struct MaxPool(Geom);

impl CustomOp1 for MaxPool {
    fn name(&self) -> &'static str {
        "layca-max-pool2d"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        fn run<T: Real>(s: &CpuStorage, l: &Layout, g: &Geom) -> Result<CpuStorage> {
            Ok(T::to_cpu_storage_owned(forward::<T>(
                cpu_slice(s, l, "max_pool2d")?,
                g,
            )))
        }
        let g = &self.0;
        let out = dispatch!(s, "max_pool2d", run(s, l, g))?;
        Ok((out, Shape::from((g.n, g.c, g.ho(), g.wo()))))
    }

    fn bwd(&self, x: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        if !x.track_op() {
            return Ok(None);
        }
        Ok(Some(x.apply_op2_no_bwd(
            &contiguous(grad)?,
            &MaxPoolBwd(self.0),
        )?))
    }
}

/// `(x, dY) → dX`.
struct MaxPoolBwd(Geom);

impl CustomOp2 for MaxPoolBwd {
    fn name(&self) -> &'static str {
        "layca-max-pool2d-bwd"
    }
    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        fn run<T: Real>(
            s1: &CpuStorage,
            l1: &Layout,
            s2: &CpuStorage,
            l2: &Layout,
            g: &Geom,
        ) -> Result<CpuStorage> {
            Ok(T::to_cpu_storage_owned(backward::<T>(
                cpu_slice(s1, l1, "max_pool2d")?,
                cpu_slice(s2, l2, "max_pool2d")?,
                g,
            )))
        }
        let g = &self.0;
        let out = dispatch!(s1, "max_pool2d", run(s1, l1, s2, l2, g))?;
        Ok((out, l1.shape().clone()))
    }
}
