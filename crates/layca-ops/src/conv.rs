//! 2-D convolution (NCHW, kernel `(out, in, kh, kw)`, no dilation, no groups). Each pass
//! goes to the first path that takes its geometry: the channels-last tiles of `conv_nhwc.rs`
//! (f32 on AVX-512, ≥ 16 channels on both sides and ≥ 32 on one), the stride-1 paths of
//! `conv_s1.rs`, else the packed-GEMM im2col here: per example `y = W · im2col(x)`,
//! `dW += dY · im2col(x)ᵀ`, `dx = col2im(Wᵀ · dY)`.
//! Examples are split over the worker threads; each thread owns one im2col buffer, so the
//! extra memory is `threads × (c·kh·kw) × (ho·wo)` elements, not a whole-batch im2col.

use std::mem::MaybeUninit;

use candle_core::{bail, Result, Shape, Tensor};
use gemm::Parallelism;
use rayon::prelude::*;

use crate::gemm::{matmul, matmul_uninit, solo, Mat};
use crate::kernel::{Cpu, Kernel2};
use crate::util::{chunk_len, contiguous, threads, uninit_output, with_scratch, Real};

/// Stride and (possibly asymmetric, TF "same"-style) zero padding of a convolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conv2dParams {
    /// Stride along both spatial axes (≥ 1).
    pub stride: usize,
    /// Zero rows added above the input.
    pub pad_top: usize,
    /// Zero rows added below the input.
    pub pad_bottom: usize,
    /// Zero columns added left of the input.
    pub pad_left: usize,
    /// Zero columns added right of the input.
    pub pad_right: usize,
}

impl Conv2dParams {
    /// Symmetric padding `pad` on every side.
    pub const fn new(stride: usize, pad: usize) -> Self {
        Self {
            stride,
            pad_top: pad,
            pad_bottom: pad,
            pad_left: pad,
            pad_right: pad,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Geom {
    pub(crate) n: usize,
    pub(crate) c: usize,
    pub(crate) h: usize,
    pub(crate) w: usize,
    pub(crate) o: usize,
    pub(crate) kh: usize,
    pub(crate) kw: usize,
    pub(crate) stride: usize,
    pub(crate) pt: usize,
    pub(crate) pl: usize,
    pub(crate) ho: usize,
    pub(crate) wo: usize,
}

impl Geom {
    pub(crate) fn k(&self) -> usize {
        self.c * self.kh * self.kw
    }
    pub(crate) fn p(&self) -> usize {
        self.ho * self.wo
    }
    pub(crate) fn in_len(&self) -> usize {
        self.c * self.h * self.w
    }
    /// 1×1, stride 1, no padding: im2col is the identity.
    fn pointwise(&self) -> bool {
        self.kh == 1 && self.kw == 1 && self.stride == 1 && self.ho == self.h && self.wo == self.w
    }
}

/// `conv2d(x (N, C, H, W), w (O, C, KH, KW))` → `(N, O, HO, WO)` with
/// `HO = (H + pad_top + pad_bottom − KH) / stride + 1` (likewise `WO`).
///
/// Same result as candle's `Tensor::conv2d` on the zero-padded input, with a backward pass
/// that computes only the gradients the graph needs (no input gradient for data).
/// CPU, `f32`/`f64` only; see [`crate::supports`].
pub fn conv2d(x: &Tensor, w: &Tensor, p: Conv2dParams) -> Result<Tensor> {
    let (n, c, h, wd) = x.dims4()?;
    let (o, ci, kh, kw) = w.dims4()?;
    if ci != c {
        bail!("layca-ops conv2d: input has {c} channels, kernel expects {ci}");
    }
    if x.dtype() != w.dtype() {
        bail!(
            "layca-ops conv2d: input dtype {:?} != kernel dtype {:?}",
            x.dtype(),
            w.dtype()
        );
    }
    if p.stride == 0 {
        bail!("layca-ops conv2d: stride must be ≥ 1");
    }
    let (hp, wp) = (h + p.pad_top + p.pad_bottom, wd + p.pad_left + p.pad_right);
    if hp < kh || wp < kw {
        bail!("layca-ops conv2d: padded input {hp}x{wp} is smaller than the kernel {kh}x{kw}");
    }
    let g = Geom {
        n,
        c,
        h,
        w: wd,
        o,
        kh,
        kw,
        stride: p.stride,
        pt: p.pad_top,
        pl: p.pad_left,
        ho: (hp - kh) / p.stride + 1,
        wo: (wp - kw) / p.stride + 1,
    };
    contiguous(x)?.apply_op2(&contiguous(w)?, Cpu(ConvOp(g)))
}

/// Stride 1 with an output as wide as the input (TF "same", or WRN's pad-1 valid conv):
/// every im2col row is the input plane shifted by one flat offset, so it is built with one
/// contiguous copy plus zeroed borders instead of one copy per output row.
pub(crate) fn flat_shift(g: &Geom) -> bool {
    g.stride == 1 && g.wo == g.w
}

/// The valid output rows `[oy0, oy1)` and flat shift `delta` of kernel tap `(ki, kj)` under
/// [`flat_shift`], and the clamped flat range `[p0, p1)` whose sources lie in the plane.
fn tap_range(g: &Geom, ki: usize, kj: usize) -> (usize, usize, isize, usize, usize) {
    let (h, w) = (g.h as isize, g.w as isize);
    let oy_off = ki as isize - g.pt as isize;
    let ox_off = kj as isize - g.pl as isize;
    let oy0 = (-oy_off).clamp(0, g.ho as isize) as usize;
    let oy1 = (h - oy_off).clamp(oy0 as isize, g.ho as isize) as usize;
    let delta = oy_off * w + ox_off;
    // Both bounds stay inside the valid output rows [oy0·w, oy1·w) ⊆ [0, p).
    let hi_flat = (oy1 * g.w) as isize;
    let p0 = ((oy0 * g.w) as isize).max(-delta).min(hi_flat) as usize;
    let p1 = hi_flat.min(h * w - delta).max(p0 as isize) as usize;
    (oy0, oy1, delta, p0, p1)
}

/// Output columns `[0, lo)` and `[hi, wo)` of tap column `kj` read outside the plane.
fn bad_columns(g: &Geom, kj: usize) -> (usize, usize) {
    let ox_off = kj as isize - g.pl as isize;
    let lo = (-ox_off).clamp(0, g.wo as isize) as usize;
    let hi = (g.w as isize - ox_off).clamp(lo as isize, g.wo as isize) as usize;
    (lo, hi)
}

fn im2col_shift<T: Real>(xn: &[T], g: &Geom, col: &mut [T], ld: usize, off: usize) {
    let p = g.p();
    let plane = g.h * g.w;
    for c in 0..g.c {
        let xc = &xn[c * plane..(c + 1) * plane];
        for ki in 0..g.kh {
            for kj in 0..g.kw {
                let row = &mut col[((c * g.kh + ki) * g.kw + kj) * ld + off..][..p];
                let (_, _, delta, p0, p1) = tap_range(g, ki, kj);
                row[..p0].fill(T::zero());
                row[p1..].fill(T::zero());
                if p1 > p0 {
                    let s0 = (p0 as isize + delta) as usize;
                    row[p0..p1].copy_from_slice(&xc[s0..s0 + (p1 - p0)]);
                }
                let (lo, hi) = bad_columns(g, kj);
                zero_bad_columns(row, g.wo, lo, hi);
            }
        }
    }
}

/// Zeroes columns `[0, lo)` and `[hi, wo)` of every `wo`-wide row of `row`: the entries of a
/// flat-shifted tap that wrapped around a row end. One column on a side (3×3 kernels with
/// padding 1) is one store per row, not a `fill` (a `memset` call) per row and side: the
/// per-row fills were most of im2col's instructions at ResNet-32 shapes (callgrind).
fn zero_bad_columns<T: Real>(row: &mut [T], wo: usize, lo: usize, hi: usize) {
    let right = wo - hi;
    if lo == 0 && right == 0 {
        return;
    }
    if lo <= 1 && right <= 1 {
        for r in row.chunks_exact_mut(wo) {
            if lo == 1 {
                r[0] = T::zero();
            }
            if right == 1 {
                r[wo - 1] = T::zero();
            }
        }
        return;
    }
    for r in row.chunks_exact_mut(wo) {
        r[..lo].fill(T::zero());
        r[hi..].fill(T::zero());
    }
}

/// [`col2im`] under [`flat_shift`]; zeroes the out-of-plane entries of the scratch `col`
/// first, then adds each row with one contiguous loop.
fn col2im_shift<T: Real>(col: &mut [T], g: &Geom, dxn: &mut [T], ld: usize, off: usize) {
    let p = g.p();
    let plane = g.h * g.w;
    for c in 0..g.c {
        let dxc = &mut dxn[c * plane..(c + 1) * plane];
        for ki in 0..g.kh {
            for kj in 0..g.kw {
                let row = &mut col[((c * g.kh + ki) * g.kw + kj) * ld + off..][..p];
                let (lo, hi) = bad_columns(g, kj);
                zero_bad_columns(row, g.wo, lo, hi);
                let (_, _, delta, p0, p1) = tap_range(g, ki, kj);
                if p1 > p0 {
                    let s0 = (p0 as isize + delta) as usize;
                    for (d, &v) in dxc[s0..s0 + (p1 - p0)].iter_mut().zip(&row[p0..p1]) {
                        *d += v;
                    }
                }
            }
        }
    }
}

/// Writes the patches of one example `xn` (`c × h × w`) into columns `off..off + p` of `col`
/// (`k` rows, row stride `ld`).
fn im2col<T: Real>(xn: &[T], g: &Geom, col: &mut [T], ld: usize, off: usize) {
    if flat_shift(g) {
        return im2col_shift(xn, g, col, ld, off);
    }
    let p = g.p();
    let (h, w) = (g.h as isize, g.w as isize);
    for c in 0..g.c {
        let xc = &xn[c * g.h * g.w..(c + 1) * g.h * g.w];
        for ki in 0..g.kh {
            for kj in 0..g.kw {
                let row = &mut col[((c * g.kh + ki) * g.kw + kj) * ld + off..][..p];
                // Columns of this kernel tap: ix = ox·s + kj − pl.
                let off = kj as isize - g.pl as isize;
                for oy in 0..g.ho {
                    let iy = (oy * g.stride + ki) as isize - g.pt as isize;
                    let out = &mut row[oy * g.wo..(oy + 1) * g.wo];
                    if iy < 0 || iy >= h {
                        out.fill(T::zero());
                        continue;
                    }
                    let xrow = &xc[iy as usize * g.w..(iy as usize + 1) * g.w];
                    if g.stride == 1 {
                        let lo = (-off).clamp(0, g.wo as isize) as usize;
                        let hi = (w - off).clamp(lo as isize, g.wo as isize) as usize;
                        out[..lo].fill(T::zero());
                        out[hi..].fill(T::zero());
                        let s = (lo as isize + off) as usize;
                        out[lo..hi].copy_from_slice(&xrow[s..s + (hi - lo)]);
                    } else {
                        for (ox, v) in out.iter_mut().enumerate() {
                            let ix = (ox * g.stride) as isize + off;
                            *v = if ix >= 0 && ix < w {
                                xrow[ix as usize]
                            } else {
                                T::zero()
                            };
                        }
                    }
                }
            }
        }
    }
}

/// Adds the patches in columns `off..off + p` of `col` (`k` rows, row stride `ld`) back onto
/// one example's input gradient `dxn` (`col` is scratch: the flat-shift path zeroes its
/// out-of-plane entries).
fn col2im<T: Real>(col: &mut [T], g: &Geom, dxn: &mut [T], ld: usize, off: usize) {
    if flat_shift(g) {
        return col2im_shift(col, g, dxn, ld, off);
    }
    let p = g.p();
    let (h, w) = (g.h as isize, g.w as isize);
    for c in 0..g.c {
        let dxc = &mut dxn[c * g.h * g.w..(c + 1) * g.h * g.w];
        for ki in 0..g.kh {
            for kj in 0..g.kw {
                let row = &col[((c * g.kh + ki) * g.kw + kj) * ld + off..][..p];
                let off = kj as isize - g.pl as isize;
                for oy in 0..g.ho {
                    let iy = (oy * g.stride + ki) as isize - g.pt as isize;
                    if iy < 0 || iy >= h {
                        continue;
                    }
                    let src = &row[oy * g.wo..(oy + 1) * g.wo];
                    let drow = &mut dxc[iy as usize * g.w..(iy as usize + 1) * g.w];
                    if g.stride == 1 {
                        let lo = (-off).clamp(0, g.wo as isize) as usize;
                        let hi = (w - off).clamp(lo as isize, g.wo as isize) as usize;
                        let s = (lo as isize + off) as usize;
                        for (d, &v) in drow[s..s + (hi - lo)].iter_mut().zip(&src[lo..hi]) {
                            *d += v;
                        }
                    } else {
                        for (ox, &v) in src.iter().enumerate() {
                            let ix = (ox * g.stride) as isize + off;
                            if ix >= 0 && ix < w {
                                drow[ix as usize] += v;
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Parallelism of the per-group GEMMs: threads work on different examples unless the batch
/// is smaller than the thread count.
pub(crate) fn inner_par(n: usize) -> Parallelism {
    if n < threads() {
        solo()
    } else {
        Parallelism::None
    }
}

/// Examples per GEMM: enough that a GEMM has at least ~512 columns (the last stages of the
/// VGGs have 2×2 to 8×8 outputs: one example per GEMM would give 4 to 64 columns), at most
/// the examples of one thread's chunk.
fn group_len(g: &Geom, per: usize) -> usize {
    512usize.div_ceil(g.p()).clamp(1, per.max(1))
}

/// Whether examples go straight to the GEMM (1×1 stride-1 conv, one example per group), and
/// the scratch lengths: im2col buffer (`k × nb·p`) and group buffer (`o × nb·p`).
fn scratch_plan(g: &Geom, nb_max: usize) -> (bool, usize, usize) {
    let direct = nb_max == 1 && g.pointwise();
    let col_len = if direct { 0 } else { g.k() * g.p() * nb_max };
    let grp_len = if nb_max > 1 { g.o * g.p() * nb_max } else { 0 };
    (direct, col_len, grp_len)
}

/// Example `s` of `out` (`(·, o, p)` layout) ← columns `s·p..(s+1)·p` of the group matrix
/// `grp` (`o` rows, row stride `nb·p`).
fn scatter<T: Real>(grp: &[T], out: &mut [MaybeUninit<T>], o: usize, p: usize, nb: usize) {
    let ld = nb * p;
    for s in 0..nb {
        for r in 0..o {
            let dst = &mut out[(s * o + r) * p..(s * o + r + 1) * p];
            for (d, &v) in dst
                .iter_mut()
                .zip(&grp[r * ld + s * p..r * ld + (s + 1) * p])
            {
                d.write(v);
            }
        }
    }
}

/// The inverse of [`scatter`]: the examples of `src` side by side in `grp`.
fn gather<T: Real>(src: &[T], grp: &mut [T], o: usize, p: usize, nb: usize) {
    let ld = nb * p;
    for s in 0..nb {
        for r in 0..o {
            grp[r * ld + s * p..r * ld + (s + 1) * p]
                .copy_from_slice(&src[(s * o + r) * p..(s * o + r + 1) * p]);
        }
    }
}

pub(crate) fn forward<T: Real>(x: &[T], w: &[T], g: &Geom) -> Vec<T> {
    #[cfg(target_arch = "x86_64")]
    if crate::conv_nhwc::forward_wins::<T>(g) {
        return crate::conv_nhwc::forward(x, w, g);
    }
    if crate::conv_s1::implicit_wins::<T>(g) {
        return crate::conv_s1::forward_implicit(x, w, g);
    }
    let (k, p) = (g.k(), g.p());
    let per = chunk_len(g.n);
    let par = inner_par(g.n);
    let nb_max = group_len(g, per);
    let fill = |y: &mut [MaybeUninit<T>]| {
        y.par_chunks_mut(per * g.o * p)
            .enumerate()
            .for_each(|(ci, ychunk)| {
                let (direct, col_len, grp_len) = scratch_plan(g, nb_max);
                with_scratch::<T, _>(col_len, grp_len, |col, grp| {
                    let n_here = ychunk.len() / (g.o * p);
                    let mut s0 = 0;
                    while s0 < n_here {
                        let nb = nb_max.min(n_here - s0);
                        let ld = nb * p;
                        let n0 = ci * per + s0;
                        let yg = &mut ychunk[s0 * g.o * p..(s0 + nb) * g.o * p];
                        let wm = Mat::rows(w, k);
                        if direct {
                            let xn = Mat::rows(&x[n0 * g.in_len()..(n0 + 1) * g.in_len()], p);
                            matmul_uninit(yg, p, wm, xn, g.o, p, k, par);
                        } else {
                            for s in 0..nb {
                                let xn = &x[(n0 + s) * g.in_len()..(n0 + s + 1) * g.in_len()];
                                im2col(xn, g, col, ld, s * p);
                            }
                            let src = Mat::rows(&col[..k * ld], ld);
                            if nb == 1 {
                                matmul_uninit(yg, p, wm, src, g.o, p, k, par);
                            } else {
                                matmul(grp, ld, false, wm, src, g.o, ld, k, par);
                                scatter(grp, yg, g.o, p, nb);
                            }
                        }
                        s0 += nb;
                    }
                });
            });
    };
    // SAFETY: `fill` writes every element: each thread's chunk is covered by its groups of
    // nb examples, each written whole by `matmul_uninit` (o × p) or `scatter`.
    unsafe { uninit_output(g.n * g.o * p, fill) }
}

pub(crate) fn backward_input<T: Real>(dy: &[T], w: &[T], g: &Geom) -> Vec<T> {
    #[cfg(target_arch = "x86_64")]
    if let Some(gt) = crate::conv_s1::transpose_geom(g) {
        if crate::conv_nhwc::forward_wins::<T>(&gt) {
            return crate::conv_nhwc::input_grad(dy, w, g, &gt);
        }
    }
    if let Some(gt) = crate::conv_s1::transposed(g) {
        return crate::conv_s1::input_grad_transposed(dy, w, g, &gt);
    }
    let (k, p) = (g.k(), g.p());
    let mut dx = vec![T::zero(); g.n * g.in_len()];
    let per = chunk_len(g.n);
    let par = inner_par(g.n);
    let nb_max = group_len(g, per);
    dx.par_chunks_mut(per * g.in_len())
        .enumerate()
        .for_each(|(ci, dxchunk)| {
            let (direct, col_len, grp_len) = scratch_plan(g, nb_max);
            with_scratch::<T, _>(col_len, grp_len, |col, grp| {
                let n_here = dxchunk.len() / g.in_len();
                let mut s0 = 0;
                while s0 < n_here {
                    let nb = nb_max.min(n_here - s0);
                    let ld = nb * p;
                    let n0 = ci * per + s0;
                    let dyg = &dy[n0 * g.o * p..(n0 + nb) * g.o * p];
                    let dxg = &mut dxchunk[s0 * g.in_len()..(s0 + nb) * g.in_len()];
                    // dcol (k × ld) = Wᵀ (k × o) · dY (o × ld)
                    if direct {
                        matmul(
                            dxg,
                            p,
                            false,
                            Mat::rows_t(w, k),
                            Mat::rows(dyg, p),
                            k,
                            p,
                            g.o,
                            par,
                        );
                    } else {
                        let rhs = if nb == 1 {
                            dyg
                        } else {
                            gather(dyg, grp, g.o, p, nb);
                            &grp[..g.o * ld]
                        };
                        matmul(
                            &mut col[..k * ld],
                            ld,
                            false,
                            Mat::rows_t(w, k),
                            Mat::rows(rhs, ld),
                            k,
                            ld,
                            g.o,
                            par,
                        );
                        for (s, dxn) in dxg.chunks_mut(g.in_len()).enumerate() {
                            col2im(col, g, dxn, ld, s * p);
                        }
                    }
                    s0 += nb;
                }
            });
        });
    dx
}

pub(crate) fn backward_kernel<T: Real>(x: &[T], dy: &[T], g: &Geom) -> Vec<T> {
    #[cfg(target_arch = "x86_64")]
    if crate::conv_nhwc::kernel_grad_wins::<T>(g) {
        return crate::conv_nhwc::kernel_grad(x, dy, g);
    }
    if crate::conv_s1::shifted_wins(g) {
        return crate::conv_s1::kernel_grad_shifted(x, dy, g);
    }
    let (k, p) = (g.k(), g.p());
    let per = chunk_len(g.n);
    let par = inner_par(g.n);
    let nb_max = group_len(g, per);
    let partials: Vec<Vec<T>> = (0..g.n.div_ceil(per))
        .into_par_iter()
        .map(|ci| {
            let mut dw = vec![T::zero(); g.o * k];
            let (direct, col_len, grp_len) = scratch_plan(g, nb_max);
            with_scratch::<T, _>(col_len, grp_len, |col, grp| {
                let end = ((ci + 1) * per).min(g.n);
                let mut n0 = ci * per;
                let mut first = true;
                while n0 < end {
                    let nb = nb_max.min(end - n0);
                    let ld = nb * p;
                    let src: &[T] = if direct {
                        &x[n0 * g.in_len()..(n0 + 1) * g.in_len()]
                    } else {
                        for s in 0..nb {
                            let xn = &x[(n0 + s) * g.in_len()..(n0 + s + 1) * g.in_len()];
                            im2col(xn, g, col, ld, s * p);
                        }
                        &col[..k * ld]
                    };
                    let dyg = &dy[n0 * g.o * p..(n0 + nb) * g.o * p];
                    let lhs: &[T] = if nb == 1 {
                        dyg
                    } else {
                        gather(dyg, grp, g.o, p, nb);
                        &grp[..g.o * ld]
                    };
                    // dW (o × k) += dY (o × ld) · colᵀ (ld × k)
                    matmul(
                        &mut dw,
                        k,
                        !first,
                        Mat::rows(lhs, ld),
                        Mat::rows_t(src, ld),
                        g.o,
                        k,
                        ld,
                        par,
                    );
                    first = false;
                    n0 += nb;
                }
            });
            dw
        })
        .collect();
    sum_partials(partials, g.o * k)
}

/// The element-wise sum of per-thread partial kernel gradients (in thread order, so the
/// result depends only on the thread count), or zeros of `len` when there are none.
pub(crate) fn sum_partials<T: Real>(partials: Vec<Vec<T>>, len: usize) -> Vec<T> {
    let mut it = partials.into_iter();
    let mut total = it.next().unwrap_or_else(|| vec![T::zero(); len]);
    let rest: Vec<Vec<T>> = it.collect();
    if rest.is_empty() {
        return total;
    }
    // In parallel over blocks of elements (each element still summed in thread order): the
    // 2.4M-element kernel gradients of 512-channel convs took milliseconds on one thread.
    const BLOCK: usize = 1 << 15;
    total
        .par_chunks_mut(BLOCK)
        .enumerate()
        .for_each(|(i, block)| {
            for part in &rest {
                for (a, &b) in block.iter_mut().zip(&part[i * BLOCK..]) {
                    *a += b;
                }
            }
        });
    total
}

struct ConvOp(Geom);

impl Kernel2 for ConvOp {
    const NAME: &'static str = "layca-conv2d";
    fn shape(&self, _first: &Shape) -> Shape {
        let g = &self.0;
        Shape::from((g.n, g.o, g.ho, g.wo))
    }
    fn run<T: Real>(&self, x: &[T], w: &[T]) -> Vec<T> {
        forward(x, w, &self.0)
    }
    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let grad = contiguous(grad)?;
        let g = self.0;
        let dx = if x.track_op() {
            Some(grad.apply_op2_no_bwd(w, &Cpu(ConvBwdInput(g)))?)
        } else {
            None
        };
        let dw = if w.track_op() {
            Some(x.apply_op2_no_bwd(&grad, &Cpu(ConvBwdKernel(g)))?)
        } else {
            None
        };
        Ok((dx, dw))
    }
}

/// `(dY, W) → dX`.
struct ConvBwdInput(Geom);

impl Kernel2 for ConvBwdInput {
    const NAME: &'static str = "layca-conv2d-bwd-input";
    fn shape(&self, _first: &Shape) -> Shape {
        let g = &self.0;
        Shape::from((g.n, g.c, g.h, g.w))
    }
    fn run<T: Real>(&self, dy: &[T], w: &[T]) -> Vec<T> {
        backward_input(dy, w, &self.0)
    }
}

/// `(X, dY) → dW`.
struct ConvBwdKernel(Geom);

impl Kernel2 for ConvBwdKernel {
    const NAME: &'static str = "layca-conv2d-bwd-kernel";
    fn shape(&self, _first: &Shape) -> Shape {
        let g = &self.0;
        Shape::from((g.o, g.c, g.kh, g.kw))
    }
    fn run<T: Real>(&self, x: &[T], dy: &[T]) -> Vec<T> {
        backward_kernel(x, dy, &self.0)
    }
}
