//! Fused batch normalisation in train mode (batch statistics), optionally fused with a ReLU
//! before or after it, with its own backward. Works on `(N, C)` and `(N, C, H, W)`.
//!
//! Forward: two passes for the statistics (mean, then the centred sum of squares, both
//! accumulated in f64) and one for the output. Backward: one pass for the per-channel sums
//! `Σ dz` and `Σ dz·(x − μ)`, one for `dx`. Work is split over examples, with per-thread
//! partial sums.

use std::mem::MaybeUninit;
use std::sync::{Arc, Mutex};

use candle_core::{bail, DType, Result, Shape, Tensor};
use rayon::prelude::*;

use crate::kernel::{Cpu, Kernel3};
use crate::util::{chunk_len, contiguous, relu, tensor_slice, uninit_output, Real};

/// Where a ReLU is fused with the normalisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BnActivation {
    /// Plain batch norm.
    None,
    /// `relu(bn(x))` (Conv → BN → ReLU).
    ReluAfter,
    /// `bn(relu(x))` (Conv → ReLU → BN, as in C10-CNN1 and tiny-CNN).
    ReluBefore,
}

/// The batch statistics a train-mode forward used, per channel, shape `(C,)`, in the input's
/// dtype: the mean and the **biased** variance (divided by the count `m = N·H·W`).
#[derive(Debug, Clone)]
pub struct BatchStats {
    /// Per-channel mean.
    pub mean: Tensor,
    /// Per-channel biased variance.
    pub var: Tensor,
    /// Values per channel (`N·H·W`).
    pub count: usize,
}

#[derive(Debug, Clone)]
struct Saved {
    mean: Vec<f64>,
    var: Vec<f64>,
    invstd: Vec<f64>,
}

#[derive(Debug, Clone, Copy)]
struct Dims {
    n: usize,
    c: usize,
    s: usize,
}

struct BnOp {
    dims: Dims,
    eps: f64,
    act: BnActivation,
    saved: Arc<Mutex<Option<Saved>>>,
}

/// Train-mode batch normalisation over axis 1 of `x` (`(N, C)` or `(N, C, H, W)`):
/// `act(γ·(x − μ)/√(σ² + ε) + β)` with the batch mean `μ` and biased variance `σ²`; the
/// gradient flows through `μ` and `σ²` as in the stock composition. `gamma`/`beta` (shape
/// `(C,)`) are optional (1 and 0 when absent). Returns the output and the statistics used,
/// for the caller's moving averages.
pub fn batch_norm_train(
    x: &Tensor,
    gamma: Option<&Tensor>,
    beta: Option<&Tensor>,
    eps: f64,
    act: BnActivation,
) -> Result<(Tensor, BatchStats)> {
    let dims = match *x.dims() {
        [n, c] => Dims { n, c, s: 1 },
        [n, c, h, w] => Dims { n, c, s: h * w },
        ref d => bail!("layca-ops batch_norm: expected (N, C) or (N, C, H, W), got {d:?}"),
    };
    if dims.n * dims.s < 2 {
        bail!(
            "layca-ops batch_norm: batch statistics need at least 2 values per channel, got {}",
            dims.n * dims.s
        );
    }
    if !(eps >= 0.0 && eps.is_finite()) {
        bail!("layca-ops batch_norm: epsilon must be finite and ≥ 0, got {eps}");
    }
    let param = |t: Option<&Tensor>, fill: f64, what: &str| -> Result<Tensor> {
        match t {
            Some(t) => {
                if t.dims() != [dims.c] || t.dtype() != x.dtype() {
                    bail!(
                        "layca-ops batch_norm: {what} must be ({},) {:?}, got {:?} {:?}",
                        dims.c,
                        x.dtype(),
                        t.dims(),
                        t.dtype()
                    );
                }
                contiguous(t)
            }
            None => Tensor::full(fill, dims.c, x.device())?.to_dtype(x.dtype()),
        }
    };
    let g = param(gamma, 1.0, "gamma")?;
    let b = param(beta, 0.0, "beta")?;
    let saved = Arc::new(Mutex::new(None));
    let op = Cpu(BnOp {
        dims,
        eps,
        act,
        saved: saved.clone(),
    });
    let y = contiguous(x)?.apply_op3(&g, &b, op)?;
    let s = saved
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
        .ok_or_else(|| candle_core::Error::Msg("layca-ops batch_norm: no statistics".into()))?;
    let stat = |v: Vec<f64>| Tensor::from_vec(v, dims.c, x.device())?.to_dtype(x.dtype());
    Ok((
        y,
        BatchStats {
            mean: stat(s.mean)?,
            var: stat(s.var)?,
            count: dims.n * dims.s,
        },
    ))
}

/// Per-channel sums over all examples, split over examples with per-thread partials.
///
/// With spatial positions (`S > 1`), `run(c, o)` returns the sum over the `S` contiguous
/// values of (example, channel `c`) starting at offset `o`. For `(N, C)` inputs (`S = 1`),
/// `row(n, acc)` adds example `n`'s `C` values to `acc` in one loop over channels (per-element
/// calls of `run` would not vectorise).
fn channel_sums<F, R>(d: Dims, run: F, row: R) -> Vec<f64>
where
    F: Fn(usize, usize) -> f64 + Sync,
    R: Fn(usize, &mut [f64]) + Sync,
{
    let per = chunk_len(d.n);
    let parts: Vec<Vec<f64>> = (0..d.n.div_ceil(per))
        .into_par_iter()
        .map(|ci| {
            let mut acc = vec![0.0f64; d.c];
            for n in ci * per..((ci + 1) * per).min(d.n) {
                if d.s == 1 {
                    row(n, &mut acc);
                } else {
                    for (c, a) in acc.iter_mut().enumerate() {
                        *a += run(c, (n * d.c + c) * d.s);
                    }
                }
            }
            acc
        })
        .collect();
    let mut total = vec![0.0f64; d.c];
    for p in parts {
        for (t, v) in total.iter_mut().zip(p) {
            *t += v;
        }
    }
    total
}

/// [`channel_sums`] of two quantities at once (one pass over the data): `run(c, o)` returns
/// both sums of a run, `row(n, acc1, acc2)` adds example `n`'s values to both accumulators.
fn channel_sums2<F, R>(d: Dims, run: F, row: R) -> (Vec<f64>, Vec<f64>)
where
    F: Fn(usize, usize) -> (f64, f64) + Sync,
    R: Fn(usize, &mut [f64], &mut [f64]) + Sync,
{
    let per = chunk_len(d.n);
    let parts: Vec<(Vec<f64>, Vec<f64>)> = (0..d.n.div_ceil(per))
        .into_par_iter()
        .map(|ci| {
            let (mut a1, mut a2) = (vec![0.0f64; d.c], vec![0.0f64; d.c]);
            for n in ci * per..((ci + 1) * per).min(d.n) {
                if d.s == 1 {
                    row(n, &mut a1, &mut a2);
                } else {
                    for c in 0..d.c {
                        let (v1, v2) = run(c, (n * d.c + c) * d.s);
                        a1[c] += v1;
                        a2[c] += v2;
                    }
                }
            }
            (a1, a2)
        })
        .collect();
    let (mut t1, mut t2) = (vec![0.0f64; d.c], vec![0.0f64; d.c]);
    for (p1, p2) in parts {
        for (t, v) in t1.iter_mut().zip(p1) {
            *t += v;
        }
        for (t, v) in t2.iter_mut().zip(p2) {
            *t += v;
        }
    }
    (t1, t2)
}

/// Activation codes for the const-generic kernels (so that every inner loop is specialised
/// and branch-free).
const NONE: u8 = 0;
const RELU_AFTER: u8 = 1;
const RELU_BEFORE: u8 = 2;

fn code(act: BnActivation) -> u8 {
    match act {
        BnActivation::None => NONE,
        BnActivation::ReluAfter => RELU_AFTER,
        BnActivation::ReluBefore => RELU_BEFORE,
    }
}

/// The normalised layer's input: `relu(x)` when the ReLU comes before the BN.
#[inline(always)]
fn pre<T: Real, const A: u8>(v: T) -> T {
    if A == RELU_BEFORE {
        relu(v)
    } else {
        v
    }
}

/// Lanes of the explicit vector accumulators (float sums are not reassociated by the
/// compiler, so a plain `.sum()` would run one element per cycle).
const LANES: usize = 16;

/// `Σ_i f(i)` for `i < len`, accumulated in `LANES` independent lanes of `T`, then in f64.
#[inline(always)]
fn lane_sum<T: Real>(len: usize, f: impl Fn(usize) -> T) -> f64 {
    let mut acc = [T::zero(); LANES];
    let full = len / LANES * LANES;
    let mut i = 0;
    while i < full {
        for (l, a) in acc.iter_mut().enumerate() {
            *a += f(i + l);
        }
        i += LANES;
    }
    let mut total: f64 = acc.iter().map(|v| v.f()).sum();
    for j in full..len {
        total += f(j).f();
    }
    total
}

/// [`lane_sum`] of two quantities in one loop; each is accumulated exactly as alone.
#[inline(always)]
fn lane_sum2<T: Real>(len: usize, f: impl Fn(usize) -> (T, T)) -> (f64, f64) {
    let (mut a1, mut a2) = ([T::zero(); LANES], [T::zero(); LANES]);
    let full = len / LANES * LANES;
    let mut i = 0;
    while i < full {
        for l in 0..LANES {
            let (v1, v2) = f(i + l);
            a1[l] += v1;
            a2[l] += v2;
        }
        i += LANES;
    }
    let mut t1: f64 = a1.iter().map(|v| v.f()).sum();
    let mut t2: f64 = a2.iter().map(|v| v.f()).sum();
    for j in full..len {
        let (v1, v2) = f(j);
        t1 += v1.f();
        t2 += v2.f();
    }
    (t1, t2)
}

/// `T`'s slice as `f32` when `T` is `f32` and the AVX-512 lane kernels can run.
fn f32_lanes<T: Real>(v: &[T]) -> Option<&[f32]> {
    crate::util::f32s(v).filter(|_| cfg!(target_arch = "x86_64") && crate::avx512::available())
}

/// The f64 sum of 16 lanes, in lane order, exactly as [`lane_sum`] forms it (the tail
/// elements are added after it).
fn lanes_f64(lanes: [f32; LANES]) -> f64 {
    lanes.iter().map(|&v| v as f64).sum()
}

/// [`lane_sum`] of `pre(x)` (what = `Pre`) or `(pre(x) − μ)²` (`Sq(μ)`) over `run`: the
/// AVX-512 lanes for f32 (bit-identical), the generic lanes otherwise.
#[cfg_attr(not(target_arch = "x86_64"), allow(unused_variables))]
fn run_sum<T: Real, const A: u8>(run: &[T], mu: Option<T>) -> f64 {
    let f = |v: T| match mu {
        None => pre::<T, A>(v),
        Some(mu) => {
            let t = pre::<T, A>(v) - mu;
            t * t
        }
    };
    #[cfg(target_arch = "x86_64")]
    if let Some(xs) = f32_lanes(run) {
        let full = run.len() / LANES * LANES;
        let what = match mu {
            None => crate::avx512::BnLanes::Pre,
            Some(mu) => crate::avx512::BnLanes::Sq(mu.f() as f32),
        };
        // SAFETY: AVX-512 checked by `f32_lanes`.
        let lanes = unsafe { crate::avx512::bn_lanes(&xs[..full], A == RELU_BEFORE, what) };
        let mut total = lanes_f64(lanes);
        for &v in &run[full..] {
            total += f(v).f();
        }
        return total;
    }
    lane_sum(run.len(), |i| f(run[i]))
}

fn forward<T: Real>(
    x: &[T],
    gamma: &[T],
    beta: &[T],
    d: Dims,
    eps: f64,
    act: BnActivation,
) -> (Vec<T>, Saved) {
    match code(act) {
        NONE => forward_k::<T, NONE>(x, gamma, beta, d, eps),
        RELU_AFTER => forward_k::<T, RELU_AFTER>(x, gamma, beta, d, eps),
        _ => forward_k::<T, RELU_BEFORE>(x, gamma, beta, d, eps),
    }
}

fn forward_k<T: Real, const A: u8>(
    x: &[T],
    gamma: &[T],
    beta: &[T],
    d: Dims,
    eps: f64,
) -> (Vec<T>, Saved) {
    let m = (d.n * d.s) as f64;
    let s = d.s;
    let c_ = d.c;
    let sums = channel_sums(
        d,
        |_, o| run_sum::<T, A>(&x[o..o + s], None),
        |n, acc| {
            for (a, &v) in acc.iter_mut().zip(&x[n * c_..(n + 1) * c_]) {
                *a += pre::<T, A>(v).f();
            }
        },
    );
    let mean: Vec<f64> = sums.iter().map(|v| v / m).collect();
    let sq = channel_sums(
        d,
        |c, o| run_sum::<T, A>(&x[o..o + s], Some(T::of(mean[c]))),
        |n, acc| {
            let r = &x[n * c_..(n + 1) * c_];
            for ((a, &v), &mu) in acc.iter_mut().zip(r).zip(&mean) {
                let t = pre::<T, A>(v).f() - mu;
                *a += t * t;
            }
        },
    );
    let var: Vec<f64> = sq.iter().map(|v| v / m).collect();
    let invstd: Vec<f64> = var.iter().map(|v| 1.0 / (v + eps).sqrt()).collect();
    let scale: Vec<T> = (0..d.c).map(|c| T::of(gamma[c].f() * invstd[c])).collect();
    let shift: Vec<T> = (0..d.c)
        .map(|c| T::of(beta[c].f() - mean[c] * gamma[c].f() * invstd[c]))
        .collect();
    let y = affine_out::<T, A>(x, &scale, &shift, d);
    (y, Saved { mean, var, invstd })
}

/// The forward output `act(scale[c]·x' + shift[c])`, split over examples like the sums.
fn affine_out<T: Real, const A: u8>(x: &[T], scale: &[T], shift: &[T], d: Dims) -> Vec<T> {
    let (s, per) = (d.s, chunk_len(d.n));
    assert_eq!(x.len(), d.n * d.c * s, "layca-ops batch_norm: input length");
    let out = |v: T, a: T, b: T| {
        let z = pre::<T, A>(v) * a + b;
        if A == RELU_AFTER {
            relu(z)
        } else {
            z
        }
    };
    let fill = |y: &mut [MaybeUninit<T>]| {
        y.par_chunks_mut(per * d.c * s)
            .enumerate()
            .for_each(|(ci, ych)| {
                let xch = &x[ci * per * d.c * s..][..ych.len()];
                if s == 1 {
                    for (yrow, xrow) in ych.chunks_mut(d.c).zip(xch.chunks(d.c)) {
                        for (((o, &v), &a), &b) in yrow.iter_mut().zip(xrow).zip(scale).zip(shift) {
                            o.write(out(v, a, b));
                        }
                    }
                    return;
                }
                for (r, (yrun, xrun)) in ych.chunks_mut(s).zip(xch.chunks(s)).enumerate() {
                    let (a, b) = (scale[r % d.c], shift[r % d.c]);
                    for (o, &v) in yrun.iter_mut().zip(xrun) {
                        o.write(out(v, a, b));
                    }
                }
            });
    };
    // SAFETY: each output chunk is paired with the input chunk of the same length (`x` is as
    // long as the output), split into rows of `C` (runs of `S`) that pair up element by
    // element with the input and, for rows, with the `C` scales and shifts.
    unsafe { uninit_output(x.len(), fill) }
}

#[allow(clippy::type_complexity)]
fn backward<T: Real>(
    x: &[T],
    gamma: &[T],
    y: &[T],
    dy: &[T],
    d: Dims,
    act: BnActivation,
    sv: &Saved,
) -> (Vec<T>, Vec<T>, Vec<T>) {
    match code(act) {
        NONE => backward_k::<T, NONE>(x, gamma, y, dy, d, sv),
        RELU_AFTER => backward_k::<T, RELU_AFTER>(x, gamma, y, dy, d, sv),
        _ => backward_k::<T, RELU_BEFORE>(x, gamma, y, dy, d, sv),
    }
}

/// The gradient reaching the affine output: `dy`, masked by `y > 0` after a fused ReLU.
#[inline(always)]
fn dz<T: Real, const A: u8>(y: T, dy: T) -> T {
    if A == RELU_AFTER && y <= T::zero() {
        T::zero()
    } else {
        dy
    }
}

/// [`lane_sum2`] of `Σ dz` and `Σ dz·(pre(x) − μ)` over one run: the AVX-512 lanes for f32
/// (bit-identical), the generic lanes otherwise.
fn run_sum2<T: Real, const A: u8>(xr: &[T], yr: &[T], gr: &[T], mu: T) -> (f64, f64) {
    let f = |i: usize| {
        let g = dz::<T, A>(yr[i], gr[i]);
        (g, g * (pre::<T, A>(xr[i]) - mu))
    };
    #[cfg(target_arch = "x86_64")]
    if let (Some(xs), Some(ys), Some(gs)) = (f32_lanes(xr), f32_lanes(yr), f32_lanes(gr)) {
        let full = xr.len() / LANES * LANES;
        // SAFETY: AVX-512 checked by `f32_lanes`; the three runs are equally long.
        let (l1, l2) = unsafe {
            crate::avx512::bn_lanes2(
                &xs[..full],
                &ys[..full],
                &gs[..full],
                A == RELU_BEFORE,
                A == RELU_AFTER,
                mu.f() as f32,
            )
        };
        let (mut t1, mut t2) = (lanes_f64(l1), lanes_f64(l2));
        for i in full..xr.len() {
            let (v1, v2) = f(i);
            t1 += v1.f();
            t2 += v2.f();
        }
        return (t1, t2);
    }
    lane_sum2(xr.len(), f)
}

#[allow(clippy::type_complexity)]
fn backward_k<T: Real, const A: u8>(
    x: &[T],
    gamma: &[T],
    y: &[T],
    dy: &[T],
    d: Dims,
    sv: &Saved,
) -> (Vec<T>, Vec<T>, Vec<T>) {
    let m = (d.n * d.s) as f64;
    let s = d.s;
    let c_ = d.c;
    // Σdz and Σdz·(x' − μ) in one pass over (x, y, dy): each sum accumulates exactly as it
    // would alone (same lanes, same order), so the results are those of two passes.
    let (sdy, sdx) = channel_sums2(
        d,
        |c, o| run_sum2::<T, A>(&x[o..o + s], &y[o..o + s], &dy[o..o + s], T::of(sv.mean[c])),
        |n, acc_dy, acc_dx| {
            let r = n * c_..(n + 1) * c_;
            let it = acc_dy
                .iter_mut()
                .zip(acc_dx.iter_mut())
                .zip(&x[r.clone()])
                .zip(&y[r.clone()])
                .zip(&dy[r])
                .zip(&sv.mean);
            for (((((ady, adx), &xv), &yv), &g), &mu) in it {
                let gz = dz::<T, A>(yv, g).f();
                *ady += gz;
                *adx += gz * (pre::<T, A>(xv).f() - mu);
            }
        },
    );
    // dx' = a·dz − u·x' + w, with a = γ/σ, u = a·Σdz(x'−μ)/(σ²m), w = u·μ − a·Σdz/m.
    let a: Vec<f64> = (0..d.c).map(|c| gamma[c].f() * sv.invstd[c]).collect();
    let u: Vec<f64> = (0..d.c)
        .map(|c| a[c] * sv.invstd[c] * sv.invstd[c] * sdx[c] / m)
        .collect();
    let w: Vec<f64> = (0..d.c)
        .map(|c| u[c] * sv.mean[c] - a[c] * sdy[c] / m)
        .collect();
    let pass = DxPass {
        x,
        y,
        dy,
        coef: [&a, &u, &w],
    };
    let dx = pass.run::<A>(d);
    let dgamma = (0..d.c).map(|c| T::of(sdx[c] * sv.invstd[c])).collect();
    let dbeta = sdy.iter().map(|&v| T::of(v)).collect();
    (dx, dgamma, dbeta)
}

/// The operands of the `dx` pass: `x`, `y`, `dy` and the per-channel coefficients of
/// `dx = a·dz − u·x' + w` (0 where a ReLU before the BN was off).
struct DxPass<'a, T> {
    x: &'a [T],
    y: &'a [T],
    dy: &'a [T],
    coef: [&'a [f64]; 3],
}

impl<T: Real> DxPass<'_, T> {
    #[inline(always)]
    fn value<const A: u8>(xv: T, yv: T, g: T, [ac, uc, wc]: [T; 3]) -> T {
        if A == RELU_BEFORE && xv <= T::zero() {
            T::zero()
        } else {
            ac * dz::<T, A>(yv, g) - uc * pre::<T, A>(xv) + wc
        }
    }

    /// `(N, C)` inputs: rows of `C` starting at element `base`.
    fn rows<const A: u8>(&self, out: &mut [MaybeUninit<T>], base: usize, c: usize) {
        let [at, ut, wt] = self
            .coef
            .map(|v| v.iter().map(|&v| T::of(v)).collect::<Vec<T>>());
        for (k, row) in out.chunks_mut(c).enumerate() {
            let o = base + k * c;
            let (xr, yr, gr) = (&self.x[o..o + c], &self.y[o..o + c], &self.dy[o..o + c]);
            let it = row
                .iter_mut()
                .zip(xr)
                .zip(yr)
                .zip(gr)
                .zip(&at)
                .zip(&ut)
                .zip(&wt);
            for ((((((out, &xv), &yv), &g), &ac), &uc), &wc) in it {
                out.write(Self::value::<A>(xv, yv, g, [ac, uc, wc]));
            }
        }
    }

    /// `(N, C, H, W)` inputs: runs of `S` (one example and channel) starting at `base`.
    fn runs<const A: u8>(&self, out: &mut [MaybeUninit<T>], base: usize, d: Dims) {
        let s = d.s;
        for (r, run) in out.chunks_mut(s).enumerate() {
            let c = r % d.c;
            let o = base + r * s;
            let (xr, yr, gr) = (&self.x[o..o + s], &self.y[o..o + s], &self.dy[o..o + s]);
            let k = self.coef.map(|v| T::of(v[c]));
            let mut done = 0;
            #[cfg(target_arch = "x86_64")]
            if let (Some(xs), Some(ys), Some(gs)) = (f32_lanes(xr), f32_lanes(yr), f32_lanes(gr)) {
                done = s / LANES * LANES;
                let kf = k.map(|v| v.f() as f32);
                // SAFETY: AVX-512 checked by `f32_lanes`; T is f32, so `run` (s ≥ done
                // elements, MaybeUninit<f32>) takes `done` floats.
                unsafe {
                    crate::avx512::bn_dx(
                        &xs[..done],
                        &ys[..done],
                        &gs[..done],
                        run.as_mut_ptr() as *mut f32,
                        kf,
                        A == RELU_BEFORE,
                        A == RELU_AFTER,
                    )
                };
            }
            for (i, out) in run.iter_mut().enumerate().skip(done) {
                out.write(Self::value::<A>(xr[i], yr[i], gr[i], k));
            }
        }
    }

    /// The whole `dx`, split over examples like the sums.
    fn run<const A: u8>(&self, d: Dims) -> Vec<T> {
        let len = d.n * d.c * d.s;
        assert!(
            [self.x.len(), self.y.len(), self.dy.len()] == [len; 3],
            "layca-ops batch_norm: operand lengths"
        );
        let per = chunk_len(d.n) * d.c * d.s;
        let fill = |dx: &mut [MaybeUninit<T>]| {
            dx.par_chunks_mut(per).enumerate().for_each(|(ci, ch)| {
                if d.s == 1 {
                    self.rows::<A>(ch, ci * per, d.c)
                } else {
                    self.runs::<A>(ch, ci * per, d)
                }
            });
        };
        // SAFETY: the output chunks hold whole rows of `C` (runs of `S`), and `rows`/`runs`
        // write every element of each (the operand slices and coefficients they zip with
        // are as long as a row; run elements are indexed and bounds-checked).
        unsafe { uninit_output(len, fill) }
    }
}

impl BnOp {
    /// `(dx, dγ, dβ)` from the statistics saved by the forward pass.
    fn grads<T: Real>(
        &self,
        x: &Tensor,
        gamma: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Tensor, Tensor, Tensor)> {
        let saved = self
            .saved
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or_else(|| {
                candle_core::Error::Msg("layca-ops batch_norm: backward before forward".into())
            })?;
        let grad = contiguous(grad)?;
        let (xg, xl) = x.storage_and_layout();
        let (gg, gl) = gamma.storage_and_layout();
        let (yg, yl) = res.storage_and_layout();
        let (dg, dl) = grad.storage_and_layout();
        let (dx, dgamma, dbeta) = backward::<T>(
            tensor_slice(&xg, xl, "batch_norm")?,
            tensor_slice(&gg, gl, "batch_norm")?,
            tensor_slice(&yg, yl, "batch_norm")?,
            tensor_slice(&dg, dl, "batch_norm")?,
            self.dims,
            self.act,
            &saved,
        );
        let (dev, c) = (x.device(), self.dims.c);
        Ok((
            Tensor::from_vec(dx, x.shape(), dev)?,
            Tensor::from_vec(dgamma, c, dev)?,
            Tensor::from_vec(dbeta, c, dev)?,
        ))
    }
}

impl Kernel3 for BnOp {
    const NAME: &'static str = "layca-batch-norm";

    fn shape(&self, first: &Shape) -> Shape {
        first.clone()
    }

    fn run<T: Real>(&self, x: &[T], gamma: &[T], beta: &[T]) -> Vec<T> {
        let (y, saved) = forward(x, gamma, beta, self.dims, self.eps, self.act);
        *self.saved.lock().unwrap_or_else(|e| e.into_inner()) = Some(saved);
        y
    }

    fn bwd(
        &self,
        x: &Tensor,
        gamma: &Tensor,
        beta: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let (dx, dg, db) = match x.dtype() {
            DType::F32 => self.grads::<f32>(x, gamma, res, grad)?,
            DType::F64 => self.grads::<f64>(x, gamma, res, grad)?,
            dt => bail!("layca-ops batch_norm: unsupported dtype {dt:?}"),
        };
        Ok((
            x.track_op().then_some(dx),
            gamma.track_op().then_some(dg),
            beta.track_op().then_some(db),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vals(len: usize, seed: u32) -> Vec<f32> {
        (0..len)
            .map(|i| {
                let u = (i as u32).wrapping_mul(2654435761).wrapping_add(seed) >> 8;
                (u as f32 / (1u32 << 24) as f32 - 0.45) * 3.0
            })
            .collect()
    }

    fn check<const A: u8>() {
        for len in [0, 5, 16, 37, 64, 1024 + 7] {
            let (x, y, g) = (vals(len, 1), vals(len, 2), vals(len, 3));
            let mu = 0.125f32;
            let want = lane_sum(len, |i| pre::<f32, A>(x[i]));
            assert_eq!(
                run_sum::<f32, A>(&x, None).to_bits(),
                want.to_bits(),
                "sum {len}"
            );
            let want = lane_sum(len, |i| {
                let t = pre::<f32, A>(x[i]) - mu;
                t * t
            });
            let got = run_sum::<f32, A>(&x, Some(mu));
            assert_eq!(got.to_bits(), want.to_bits(), "squares {len}");
            let want = lane_sum2(len, |i| {
                let d = dz::<f32, A>(y[i], g[i]);
                (d, d * (pre::<f32, A>(x[i]) - mu))
            });
            let got = run_sum2::<f32, A>(&x, &y, &g, mu);
            assert_eq!(
                (got.0.to_bits(), got.1.to_bits()),
                (want.0.to_bits(), want.1.to_bits())
            );
        }
    }

    fn check_dx<const A: u8>() {
        for (c, sp) in [(3, 37), (2, 16), (4, 5), (1, 1024)] {
            let d = Dims { n: 2, c, s: sp };
            let len = d.n * c * sp;
            let (x, y, g) = (vals(len, 4), vals(len, 5), vals(len, 6));
            let coef: Vec<Vec<f64>> = (0..3)
                .map(|k| {
                    (0..c)
                        .map(|ch| 0.3 * k as f64 - 0.2 * ch as f64 + 0.7)
                        .collect()
                })
                .collect();
            let pass = DxPass {
                x: &x,
                y: &y,
                dy: &g,
                coef: [&coef[0], &coef[1], &coef[2]],
            };
            let mut out = vec![MaybeUninit::new(f32::NAN); len];
            pass.runs::<A>(&mut out, 0, d);
            for (i, o) in out.iter().enumerate() {
                // SAFETY: initialised above (and overwritten by `runs`).
                let got = unsafe { o.assume_init() };
                let k = [0, 1, 2].map(|j| coef[j][(i / sp) % c] as f32);
                let want = DxPass::<f32>::value::<A>(x[i], y[i], g[i], k);
                assert_eq!(got.to_bits(), want.to_bits(), "dx {c}x{sp} at {i}");
            }
        }
    }

    /// The AVX-512 input-gradient pass (f32) writes the generic values bit for bit.
    #[test]
    fn vector_dx_pass_is_bit_identical_to_generic() {
        check_dx::<NONE>();
        check_dx::<RELU_AFTER>();
        check_dx::<RELU_BEFORE>();
    }

    /// The AVX-512 lane kernels (f32) give the generic lanes' sums bit for bit, for every
    /// fused activation and with tails (on a CPU without AVX-512 both are the generic path).
    #[test]
    fn vector_lane_sums_are_bit_identical_to_generic() {
        check::<NONE>();
        check::<RELU_AFTER>();
        check::<RELU_BEFORE>();
    }
}
