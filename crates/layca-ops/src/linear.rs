//! Dense layer `x (N, I) · W (I, O) (+ b)` with a Keras-layout kernel, on packed GEMM.
//! The backward pass skips the input gradient when the input is data (candle's matmul
//! backward always computes it: a third of the MLP's GEMM work).

use std::sync::Arc;

use candle_core::{bail, CpuStorage, CustomOp2, CustomOp3, Layout, Result, Shape, Tensor};

use crate::gemm::{matmul, solo, Mat};
use crate::util::{contiguous, cpu_slice, dispatch, Real};

#[derive(Debug, Clone, Copy)]
struct Dims {
    n: usize,
    i: usize,
    o: usize,
}

/// `x (N, I) · w (I, O) + bias (O,)`: a dense layer with a Keras-layout `(in, out)` kernel.
pub fn linear(x: &Tensor, w: &Tensor, bias: Option<&Tensor>) -> Result<Tensor> {
    let (n, i) = x.dims2()?;
    let (wi, o) = w.dims2()?;
    if wi != i {
        bail!("layca-ops linear: input has {i} features, kernel expects {wi}");
    }
    if x.dtype() != w.dtype() {
        bail!(
            "layca-ops linear: input dtype {:?} != kernel dtype {:?}",
            x.dtype(),
            w.dtype()
        );
    }
    let d = Dims { n, i, o };
    let (x, w) = (contiguous(x)?, contiguous(w)?);
    match bias {
        None => {
            let op: Arc<Box<dyn CustomOp2 + Send + Sync>> = Arc::new(Box::new(Linear(d)));
            x.apply_op2_arc(&w, op)
        }
        Some(b) => {
            if b.dims() != [o] || b.dtype() != x.dtype() {
                bail!(
                    "layca-ops linear: bias must be ({o},) {:?}, got {:?} {:?}",
                    x.dtype(),
                    b.dims(),
                    b.dtype()
                );
            }
            let op: Arc<Box<dyn CustomOp3 + Send + Sync>> = Arc::new(Box::new(Linear(d)));
            x.apply_op3_arc(&w, &contiguous(b)?, op)
        }
    }
}

fn forward<T: Real>(x: &[T], w: &[T], b: Option<&[T]>, d: Dims) -> Vec<T> {
    let mut y = vec![T::zero(); d.n * d.o];
    if let Some(b) = b {
        for row in y.chunks_mut(d.o) {
            row.copy_from_slice(b);
        }
    }
    matmul(
        &mut y,
        d.o,
        b.is_some(),
        Mat::rows(x, d.i),
        Mat::rows(w, d.o),
        d.n,
        d.o,
        d.i,
        solo(),
    );
    y
}

struct Linear(Dims);

impl Linear {
    fn bwd_xw(
        &self,
        x: &Tensor,
        w: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Tensor)> {
        let grad = contiguous(grad)?;
        let dx = if x.track_op() {
            Some(grad.apply_op2_no_bwd(w, &BwdInput(self.0))?)
        } else {
            None
        };
        let dw = if w.track_op() {
            Some(x.apply_op2_no_bwd(&grad, &BwdKernel(self.0))?)
        } else {
            None
        };
        Ok((dx, dw, grad))
    }
}

impl CustomOp2 for Linear {
    fn name(&self) -> &'static str {
        "layca-linear"
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
            d: Dims,
        ) -> Result<CpuStorage> {
            Ok(T::to_cpu_storage_owned(forward::<T>(
                cpu_slice(s1, l1, "linear")?,
                cpu_slice(s2, l2, "linear")?,
                None,
                d,
            )))
        }
        let d = self.0;
        let out = dispatch!(s1, "linear", run(s1, l1, s2, l2, d))?;
        Ok((out, Shape::from((d.n, d.o))))
    }
    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let (dx, dw, _) = self.bwd_xw(x, w, grad)?;
        Ok((dx, dw))
    }
}

impl CustomOp3 for Linear {
    fn name(&self) -> &'static str {
        "layca-linear-bias"
    }
    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        #[allow(clippy::too_many_arguments)]
        fn run<T: Real>(
            s1: &CpuStorage,
            l1: &Layout,
            s2: &CpuStorage,
            l2: &Layout,
            s3: &CpuStorage,
            l3: &Layout,
            d: Dims,
        ) -> Result<CpuStorage> {
            Ok(T::to_cpu_storage_owned(forward::<T>(
                cpu_slice(s1, l1, "linear")?,
                cpu_slice(s2, l2, "linear")?,
                Some(cpu_slice(s3, l3, "linear")?),
                d,
            )))
        }
        let d = self.0;
        let out = dispatch!(s1, "linear", run(s1, l1, s2, l2, s3, l3, d))?;
        Ok((out, Shape::from((d.n, d.o))))
    }
    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        b: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let (dx, dw, grad) = self.bwd_xw(x, w, grad)?;
        let db = if b.track_op() {
            Some(grad.apply_op1_no_bwd(&ColumnSum(self.0))?)
        } else {
            None
        };
        Ok((dx, dw, db))
    }
}

/// `dY (N, O) → Σ_n dY[n, :]` (the bias gradient), rows split over threads, each thread
/// adding whole rows into its own accumulator (candle's `sum(0)` is a single-threaded
/// strided reduction).
struct ColumnSum(Dims);

impl candle_core::CustomOp1 for ColumnSum {
    fn name(&self) -> &'static str {
        "layca-linear-bias-grad"
    }
    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        fn run<T: Real>(s: &CpuStorage, l: &Layout, d: Dims) -> Result<CpuStorage> {
            use rayon::prelude::*;
            let dy = cpu_slice::<T>(s, l, "linear")?;
            let per = crate::util::chunk_len(d.n);
            let parts: Vec<Vec<T>> = dy
                .par_chunks(per * d.o)
                .map(|rows| {
                    let mut acc = vec![T::zero(); d.o];
                    for row in rows.chunks(d.o) {
                        for (a, &v) in acc.iter_mut().zip(row) {
                            *a += v;
                        }
                    }
                    acc
                })
                .collect();
            let mut total = vec![T::zero(); d.o];
            for p in parts {
                for (t, v) in total.iter_mut().zip(p) {
                    *t += v;
                }
            }
            Ok(T::to_cpu_storage_owned(total))
        }
        let d = self.0;
        let out = dispatch!(s, "linear", run(s, l, d))?;
        Ok((out, Shape::from(d.o)))
    }
}

/// `(dY, W) → dX = dY · Wᵀ`.
struct BwdInput(Dims);

impl CustomOp2 for BwdInput {
    fn name(&self) -> &'static str {
        "layca-linear-bwd-input"
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
            d: Dims,
        ) -> Result<CpuStorage> {
            let dy = cpu_slice::<T>(s1, l1, "linear")?;
            let w = cpu_slice::<T>(s2, l2, "linear")?;
            let mut dx = vec![T::zero(); d.n * d.i];
            matmul(
                &mut dx,
                d.i,
                false,
                Mat::rows(dy, d.o),
                Mat::rows_t(w, d.o),
                d.n,
                d.i,
                d.o,
                solo(),
            );
            Ok(T::to_cpu_storage_owned(dx))
        }
        let d = self.0;
        let out = dispatch!(s1, "linear", run(s1, l1, s2, l2, d))?;
        Ok((out, Shape::from((d.n, d.i))))
    }
}

/// `(X, dY) → dW = Xᵀ · dY`.
struct BwdKernel(Dims);

impl CustomOp2 for BwdKernel {
    fn name(&self) -> &'static str {
        "layca-linear-bwd-kernel"
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
            d: Dims,
        ) -> Result<CpuStorage> {
            let x = cpu_slice::<T>(s1, l1, "linear")?;
            let dy = cpu_slice::<T>(s2, l2, "linear")?;
            let mut dw = vec![T::zero(); d.i * d.o];
            matmul(
                &mut dw,
                d.o,
                false,
                Mat::rows_t(x, d.i),
                Mat::rows(dy, d.o),
                d.i,
                d.o,
                d.n,
                solo(),
            );
            Ok(T::to_cpu_storage_owned(dw))
        }
        let d = self.0;
        let out = dispatch!(s1, "linear", run(s1, l1, s2, l2, d))?;
        Ok((out, Shape::from((d.i, d.o))))
    }
}
