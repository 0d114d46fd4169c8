//! `relu(a + b)` in one pass (the residual join of a ResNet block), with its backward.

use std::mem::MaybeUninit;

use candle_core::{bail, Result, Shape, Tensor};
use rayon::prelude::*;

use crate::kernel::{Cpu, Kernel2};
use crate::util::{contiguous, relu, uninit_output, Real};

/// Elements per parallel task.
const GRAIN: usize = 1 << 15;

/// `relu(a + b)` for two tensors of the same shape and dtype.
pub fn add_relu(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    if a.shape() != b.shape() || a.dtype() != b.dtype() {
        bail!(
            "layca-ops add_relu: operands differ: {:?} {:?} vs {:?} {:?}",
            a.dims(),
            a.dtype(),
            b.dims(),
            b.dtype()
        );
    }
    contiguous(a)?.apply_op2(&contiguous(b)?, Cpu(AddRelu))
}

struct AddRelu;

impl Kernel2 for AddRelu {
    const NAME: &'static str = "layca-add-relu";
    fn shape(&self, first: &Shape) -> Shape {
        first.clone()
    }
    fn run<T: Real>(&self, a: &[T], b: &[T]) -> Vec<T> {
        zip_map(a, b, |u, v| relu(u + v))
    }
    fn bwd(
        &self,
        a: &Tensor,
        b: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        if !a.track_op() && !b.track_op() {
            return Ok((None, None));
        }
        let g = res.apply_op2_no_bwd(&contiguous(grad)?, &Cpu(ReluMask))?;
        Ok((a.track_op().then(|| g.clone()), b.track_op().then_some(g)))
    }
}

/// `(y, dY) → dY · [y > 0]`.
struct ReluMask;

impl Kernel2 for ReluMask {
    const NAME: &'static str = "layca-relu-mask";
    fn shape(&self, first: &Shape) -> Shape {
        first.clone()
    }
    fn run<T: Real>(&self, y: &[T], dy: &[T]) -> Vec<T> {
        zip_map(y, dy, |u, v| if u > T::zero() { v } else { T::zero() })
    }
}

/// `f(a[i], b[i])` for every element, in parallel chunks of [`GRAIN`].
fn zip_map<T: Real>(a: &[T], b: &[T], f: impl Fn(T, T) -> T + Sync) -> Vec<T> {
    assert_eq!(
        a.len(),
        b.len(),
        "layca-ops zip_map: operand lengths differ"
    );
    let fill = |out: &mut [MaybeUninit<T>]| {
        out.par_chunks_mut(GRAIN)
            .zip(a.par_chunks(GRAIN).zip(b.par_chunks(GRAIN)))
            .for_each(|(o, (a, b))| {
                for ((o, &u), &v) in o.iter_mut().zip(a).zip(b) {
                    o.write(f(u, v));
                }
            });
    };
    // SAFETY: `a`, `b` and the output have the same length, so their chunks pair up with
    // equal lengths and every output element is written.
    unsafe { uninit_output(a.len(), fill) }
}
