//! `relu(a + b)` in one pass (the residual join of a ResNet block), with its backward.

use candle_core::{bail, CpuStorage, CustomOp2, Layout, Result, Shape, Tensor};
use rayon::prelude::*;

use crate::util::{contiguous, cpu_slice, dispatch, relu, Real};

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
    contiguous(a)?.apply_op2(&contiguous(b)?, AddRelu)
}

struct AddRelu;

impl CustomOp2 for AddRelu {
    fn name(&self) -> &'static str {
        "layca-add-relu"
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
        ) -> Result<CpuStorage> {
            let a = cpu_slice::<T>(s1, l1, "add_relu")?;
            let b = cpu_slice::<T>(s2, l2, "add_relu")?;
            let mut y = vec![T::zero(); a.len()];
            y.par_chunks_mut(GRAIN)
                .zip(a.par_chunks(GRAIN).zip(b.par_chunks(GRAIN)))
                .for_each(|(y, (a, b))| {
                    for ((o, &u), &v) in y.iter_mut().zip(a).zip(b) {
                        *o = relu(u + v);
                    }
                });
            Ok(T::to_cpu_storage_owned(y))
        }
        let out = dispatch!(s1, "add_relu", run(s1, l1, s2, l2))?;
        Ok((out, l1.shape().clone()))
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
        let g = res.apply_op2_no_bwd(&contiguous(grad)?, &ReluMask)?;
        Ok((a.track_op().then(|| g.clone()), b.track_op().then_some(g)))
    }
}

/// `(y, dY) → dY · [y > 0]`.
struct ReluMask;

impl CustomOp2 for ReluMask {
    fn name(&self) -> &'static str {
        "layca-relu-mask"
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
        ) -> Result<CpuStorage> {
            let y = cpu_slice::<T>(s1, l1, "add_relu")?;
            let dy = cpu_slice::<T>(s2, l2, "add_relu")?;
            let mut dx = vec![T::zero(); y.len()];
            dx.par_chunks_mut(GRAIN)
                .zip(y.par_chunks(GRAIN).zip(dy.par_chunks(GRAIN)))
                .for_each(|(d, (y, g))| {
                    for ((o, &u), &v) in d.iter_mut().zip(y).zip(g) {
                        *o = if u > T::zero() { v } else { T::zero() };
                    }
                });
            Ok(T::to_cpu_storage_owned(dx))
        }
        let out = dispatch!(s1, "add_relu", run(s1, l1, s2, l2))?;
        Ok((out, l1.shape().clone()))
    }
}
