//! Dense layer `x (N, I) · W (I, O) (+ b)` with a Keras-layout kernel, on packed GEMM.
//! The backward pass skips the input gradient when the input is data (candle's matmul
//! backward always computes it: a third of the MLP's GEMM work).

use candle_core::{bail, Result, Shape, Tensor};

use crate::gemm::{matmul, solo, Mat};
use crate::kernel::{Cpu, Kernel1, Kernel2, Kernel3};
use crate::util::{chunk_len, contiguous, Real};

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
        None => x.apply_op2(&w, Cpu(Linear(d))),
        Some(b) => {
            if b.dims() != [o] || b.dtype() != x.dtype() {
                bail!(
                    "layca-ops linear: bias must be ({o},) {:?}, got {:?} {:?}",
                    x.dtype(),
                    b.dims(),
                    b.dtype()
                );
            }
            x.apply_op3(&w, &contiguous(b)?, Cpu(Linear(d)))
        }
    }
}

fn forward<T: Real>(x: &[T], w: &[T], b: Option<&[T]>, d: Dims) -> Vec<T> {
    // With a bias, the GEMM accumulates onto rows of it (no zeroed buffer to overwrite).
    // `matmul` takes initialised memory, so the bias-free output is still zeroed.
    let mut y = match b {
        Some(b) => b.repeat(d.n),
        None => vec![T::zero(); d.n * d.o],
    };
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
    /// Gradients wrt `x` (`dY · Wᵀ`, only when `x` is not data) and `W` (`Xᵀ · dY`), and the
    /// contiguous `dY`.
    fn bwd_xw(
        &self,
        x: &Tensor,
        w: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Tensor)> {
        let d = self.0;
        let grad = contiguous(grad)?;
        let dx = if x.track_op() {
            let p = Product {
                m: d.n,
                n: d.i,
                k: d.o,
                lhs_t: false,
                rhs_t: true,
            };
            Some(grad.apply_op2_no_bwd(w, &Cpu(p))?)
        } else {
            None
        };
        let dw = if w.track_op() {
            let p = Product {
                m: d.i,
                n: d.o,
                k: d.n,
                lhs_t: true,
                rhs_t: false,
            };
            Some(x.apply_op2_no_bwd(&grad, &Cpu(p))?)
        } else {
            None
        };
        Ok((dx, dw, grad))
    }
}

impl Kernel2 for Linear {
    const NAME: &'static str = "layca-linear";
    fn shape(&self, _first: &Shape) -> Shape {
        Shape::from((self.0.n, self.0.o))
    }
    fn run<T: Real>(&self, x: &[T], w: &[T]) -> Vec<T> {
        forward(x, w, None, self.0)
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

impl Kernel3 for Linear {
    const NAME: &'static str = "layca-linear-bias";
    fn shape(&self, _first: &Shape) -> Shape {
        Shape::from((self.0.n, self.0.o))
    }
    fn run<T: Real>(&self, x: &[T], w: &[T], b: &[T]) -> Vec<T> {
        forward(x, w, Some(b), self.0)
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
            Some(grad.apply_op1_no_bwd(&Cpu(ColumnSum(self.0)))?)
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

impl Kernel1 for ColumnSum {
    const NAME: &'static str = "layca-linear-bias-grad";
    fn shape(&self, _input: &Shape) -> Shape {
        Shape::from(self.0.o)
    }
    fn run<T: Real>(&self, dy: &[T]) -> Vec<T> {
        use rayon::prelude::*;
        let d = self.0;
        let parts: Vec<Vec<T>> = dy
            .par_chunks(chunk_len(d.n) * d.o)
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
        total
    }
}

/// `op(A) · op(B)` for row-major `A`, `B`, where `op` transposes when the flag is set:
/// the two backward products of the dense layer (`dY · Wᵀ`, `Xᵀ · dY`).
struct Product {
    m: usize,
    n: usize,
    k: usize,
    lhs_t: bool,
    rhs_t: bool,
}

impl Kernel2 for Product {
    const NAME: &'static str = "layca-linear-bwd";
    fn shape(&self, _first: &Shape) -> Shape {
        Shape::from((self.m, self.n))
    }
    fn run<T: Real>(&self, a: &[T], b: &[T]) -> Vec<T> {
        let (m, n, k) = (self.m, self.n, self.k);
        let lhs = if self.lhs_t {
            Mat::rows_t(a, m)
        } else {
            Mat::rows(a, k)
        };
        let rhs = if self.rhs_t {
            Mat::rows_t(b, k)
        } else {
            Mat::rows(b, n)
        };
        let mut out = vec![T::zero(); m * n];
        matmul(&mut out, n, false, lhs, rhs, m, n, k, solo());
        out
    }
}
