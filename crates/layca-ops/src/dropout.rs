//! Inverted dropout with a caller-drawn keep mask, in one pass each way: `y = x · (keep ? s : 0)`
//! and `dx = dy · (keep ? s : 0)`, bit-identical to the stock composition `x · affine(mask, s,
//! 0)` (a `u8` mask converted to the dtype, scaled, multiplied) that costs four passes and two
//! graph nodes more.

use std::sync::Arc;

use candle_core::{bail, Result, Shape, Tensor};
use rayon::prelude::*;

use crate::kernel::{Cpu, Kernel1};
use crate::util::{contiguous, Real};

/// Elements per parallel task.
const GRAIN: usize = 1 << 15;

/// `x · (keep[i] ≠ 0 ? scale : 0)` elementwise (`keep` in `x`'s logical order), with the same
/// product as its gradient. `scale` is rounded to `x`'s dtype first, as candle's `affine` does.
pub fn dropout_masked(x: &Tensor, keep: Arc<Vec<u8>>, scale: f64) -> Result<Tensor> {
    if keep.len() != x.elem_count() {
        bail!(
            "layca-ops dropout: mask has {} entries for a tensor of {} ({:?})",
            keep.len(),
            x.elem_count(),
            x.dims()
        );
    }
    if !scale.is_finite() {
        bail!("layca-ops dropout: scale must be finite, got {scale}");
    }
    contiguous(x)?.apply_op1(Cpu(Masked { keep, scale }))
}

#[derive(Clone)]
struct Masked {
    keep: Arc<Vec<u8>>,
    scale: f64,
}

impl Kernel1 for Masked {
    const NAME: &'static str = "layca-dropout";
    fn shape(&self, input: &Shape) -> Shape {
        input.clone()
    }
    fn run<T: Real>(&self, x: &[T]) -> Vec<T> {
        let s = T::of(self.scale);
        x.par_iter()
            .with_min_len(GRAIN)
            .zip(self.keep.par_iter().with_min_len(GRAIN))
            .map(|(&v, &k)| v * if k != 0 { s } else { T::zero() })
            .collect()
    }
    fn bwd(&self, _x: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(
            contiguous(grad)?.apply_op1_no_bwd(&Cpu(self.clone()))?,
        ))
    }
}
