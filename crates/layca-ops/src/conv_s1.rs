//! The stride-1 paths of [`crate::conv2d`] that avoid the im2col / col2im matrices where that
//! was measured faster (each `*_wins` / [`transposed`] says where; the general paths in
//! `conv.rs` remain for the rest and for strided convolutions):
//!
//! * **implicit-im2col forward** ([`forward_implicit`]): the GEMM packs its B panels straight
//!   from a zero-padded copy of the input through a row-offset table, so the 9×-the-input
//!   patch matrix is never written;
//! * **input gradient as a forward convolution**: with stride 1 and every padding below the
//!   kernel size, `dx` is the forward convolution of `dY` with the kernel flipped in space and
//!   transposed in channels, padded by `k − 1 − pad` ([`transposed`]). One im2col (a copy) and
//!   a GEMM whose reduction is `o·kh·kw` long replace a GEMM with an `o`-long reduction (16 at
//!   ResNet widths: each register tile stores after 16 steps) and a scatter-add col2im.
//! * **kernel gradient from shifted views** ([`kernel_grad_shifted`]): under the flat-shift
//!   geometry (stride 1, output as wide as the input), with the input stored channels-last and
//!   zero-padded to `hp × wp` (`x̂[(iy + pt)·wp + ix + pl][c]`) and `dY` spread to the same row
//!   pitch (`dŷ[o][oy·wp + ox]`, zero for `ox ≥ wo`), kernel row `ki` of `dW` is one product
//!   `dW[:, ki, :, :] (o × kw·c) = dŷ (o × hp·wp) · X̂_ki` where `X̂_ki[r][kj·c + ch] =
//!   x̂[r + ki·wp][kj·c + ch]`: a view of `x̂` with row stride `c` (rows overlap). Both operands
//!   are contiguous along their rows, so the reduction-long product runs on the register-tile
//!   kernel instead of dot products, and no patch matrix is built. Entries of the view that
//!   wrap around a row end meet zeros of `dŷ` (its pad columns and rows).

use gemm::Parallelism;
use rayon::prelude::*;

use crate::conv::{forward, inner_par, sum_partials, Geom};
use crate::gemm::{matmul, Mat};
use crate::util::{chunk_len, f32s, from_f32, with_scratch, Real};

/// The geometry of the forward convolution that computes the input gradient of `g`: stride
/// 1, `c ↔ o`, output `h × w`, padding `k − 1 − pad` on each side; `None` unless `g` has
/// stride 1, every padding below the kernel size, and at most 32 output channels.
///
/// The channel bound is measured. Single ops (1 thread, batch 128, 3×3 same, input
/// gradient): with 4 channels at 32×32 the transposed forward took 0.79 ms against 1.35 for
/// GEMM + col2im (the old GEMM reduces over 4 channels only), at 8 channels both 0.71 ms.
/// At 16 to 32 channels single ops favoured GEMM + col2im (6.62 vs 7.00, 5.05 vs 5.89 ms)
/// until the implicit forward wrote uninitialised outputs and copied rows inline; whole
/// steps then favour the transposed forward (A/B, 4 processes each: ResNet-32 331.6 →
/// 319.5 ms, C10-CNN1 677.8 → 670.8 ms). At 64 channels (im2col forward) it is not taken.
pub(crate) fn transposed(g: &Geom) -> Option<Geom> {
    if g.o > 32 {
        return None;
    }
    transpose_geom(g)
}

/// The geometry of [`transposed`] without its channel bound: `None` unless `g` has stride 1
/// and every padding below the kernel size.
pub(crate) fn transpose_geom(g: &Geom) -> Option<Geom> {
    if g.stride != 1 {
        return None;
    }
    // Stride 1: ho = h + pt + pb − kh + 1, so the bottom / right paddings follow.
    let pb = (g.ho + g.kh - 1).checked_sub(g.h + g.pt)?;
    let pr = (g.wo + g.kw - 1).checked_sub(g.w + g.pl)?;
    if g.pt >= g.kh || g.pl >= g.kw || pb >= g.kh || pr >= g.kw {
        return None;
    }
    Some(Geom {
        n: g.n,
        c: g.o,
        h: g.ho,
        w: g.wo,
        o: g.c,
        kh: g.kh,
        kw: g.kw,
        stride: 1,
        pt: g.kh - 1 - g.pt,
        pl: g.kw - 1 - g.pl,
        ho: g.h,
        wo: g.w,
    })
}

/// `W'[c][o][ki][kj] = W[o][c][kh − 1 − ki][kw − 1 − kj]`.
fn flip_transpose<T: Real>(w: &[T], g: &Geom) -> Vec<T> {
    let taps = g.kh * g.kw;
    let mut out = Vec::with_capacity(w.len());
    for c in 0..g.c {
        for o in 0..g.o {
            let src = &w[(o * g.c + c) * taps..][..taps];
            out.extend(src.iter().rev());
        }
    }
    out
}

/// `dx` of a convolution with [`transposed`] geometry `gt`: the forward convolution of `dy`
/// with the flipped, transposed kernel.
pub(crate) fn input_grad_transposed<T: Real>(dy: &[T], w: &[T], g: &Geom, gt: &Geom) -> Vec<T> {
    forward(dy, &flip_transpose(w, g), gt)
}

/// Whether [`kernel_grad_shifted`] computes the kernel gradient of `g`: the flat-shift
/// geometry, with product rows (`kw·c`) at least 32 wide. Measured (1 thread, batch 128, 3×3
/// same): 16 channels at 32×32 6.46 ms vs 7.51 for im2col + GEMM, 32 at 16×16 4.64 vs 9.18,
/// 64 at 8×8 5.31 vs 5.40, 8 at 16×16 0.56 vs 0.58; with 4 channels (12-wide rows) 1.18 vs
/// 0.78. The padded plane must be mostly output: its pad rows and columns are multiplied
/// too (by zeros of `dŷ`), so at 8×8 (64 outputs of 100 positions), 4×4 (16 of 36) and 2×2
/// (4 of 16: the VGGs' 512-channel stages) the product wastes a third to three quarters of its
/// FLOPs. At least 3/4 must be outputs (16×16 and up for 3×3): C10-CNN2's step went from
/// 1.27–1.32 to 1.09 s with this bound. Up to 64 input channels 8×8 (64 of 100) still pays:
/// ResNet-32's last stage, whole steps A/B 311.8 → 305.9 ms, where C10-CNN1's 128-channel
/// 8×8 convs lost (663.3 → 669.8 ms with them). With MKL loaded (feature `mkl`), inputs of
/// 64 channels or more take im2col + MKL instead (64 at 8×8: its product runs at 184
/// GFLOP/s against the tiles' 130).
pub(crate) fn shifted_wins(g: &Geom) -> bool {
    let padded = (g.ho + g.kh - 1) * (g.wo + g.kw - 1);
    crate::conv::flat_shift(g)
        && g.kw * g.c >= 32
        && (4 * g.ho * g.wo >= 3 * padded || (g.c <= 64 && 100 * g.ho * g.wo >= 60 * padded))
        && (g.c < 64 || !crate::gemm::mkl_loaded())
}

/// Zero-padded channels-last planes of [`kernel_grad_shifted`]: `hp × wp` positions per
/// example, `nb` examples stacked, `tail` extra rows read by the last views.
#[derive(Clone, Copy)]
struct Planes {
    wp: usize,
    plane: usize,
    /// Examples per product.
    nb: usize,
    rows: usize,
}

impl Planes {
    fn new(g: &Geom, per: usize) -> Self {
        // Stride 1 and wo = w: hp = ho + kh − 1, wp = w + kw − 1.
        let (hp, wp) = (g.ho + g.kh - 1, g.w + g.kw - 1);
        let plane = hp * wp;
        let nb = 512usize.div_ceil(plane).clamp(1, per.max(1));
        Self {
            wp,
            plane,
            nb,
            rows: nb * plane + (g.kh - 1) * wp + g.kw,
        }
    }
    /// Row stride of `dŷ`.
    fn ld(&self) -> usize {
        self.nb * self.plane
    }
}

/// Writes example `xn` (`c × h × w`) into its padded channels-last plane `xp`
/// (`x̂[(iy + pt)·wp + ix + pl][ch]`); the border is left as it is (zero).
fn pad_channels_last<T: Real>(xn: &[T], g: &Geom, pl: &Planes, xp: &mut [T]) {
    #[cfg(target_arch = "x86_64")]
    if let (true, Some(xs), Some(xd)) = (
        crate::avx512::available(),
        crate::util::f32s(xn),
        crate::util::f32s_mut(&mut *xp),
    ) {
        let plane = g.h * g.w;
        if plane == 0 || g.c == 0 {
            return;
        }
        assert!(g.c * plane <= xs.len(), "pad_channels_last: input");
        let last = ((g.h - 1 + g.pt) * pl.wp + g.pl + g.w) * g.c;
        assert!(last <= xd.len(), "pad_channels_last: planes");
        for iy in 0..g.h {
            let dst = ((iy + g.pt) * pl.wp + g.pl) * g.c;
            // SAFETY: AVX-512 checked; rows ch < c of the source row iy and positions ix < w
            // of the destination row lie in the slices (asserted above).
            unsafe {
                crate::avx512::transpose_into(
                    xs.as_ptr().add(iy * g.w),
                    plane,
                    g.c,
                    g.w,
                    xd.as_mut_ptr().add(dst),
                    g.c,
                )
            };
        }
        return;
    }
    for ch in 0..g.c {
        for iy in 0..g.h {
            let src = &xn[(ch * g.h + iy) * g.w..][..g.w];
            let base = ((iy + g.pt) * pl.wp + g.pl) * g.c + ch;
            for (ix, &v) in src.iter().enumerate() {
                xp[base + ix * g.c] = v;
            }
        }
    }
}

/// Writes example `dyn_` (`o × ho × wo`) into columns `off..` of `dyp` (`o` rows of stride
/// `ld`) at row pitch `wp`; the pad columns and rows are left as they are (zero).
fn spread_rows<T: Real>(dyn_: &[T], g: &Geom, pl: &Planes, dyp: &mut [T], off: usize) {
    let ld = pl.ld();
    for o in 0..g.o {
        for oy in 0..g.ho {
            let src = &dyn_[(o * g.ho + oy) * g.wo..][..g.wo];
            dyp[o * ld + off + oy * pl.wp..][..g.wo].copy_from_slice(src);
        }
    }
}

/// `dW` (`o × c × kh × kw`) under the flat-shift geometry (stride 1, `wo = w`), from shifted
/// views of the padded channels-last input (module doc). Examples are split over the
/// threads, each accumulating its own `(o, ki, kj, c)`-ordered partial.
pub(crate) fn kernel_grad_shifted<T: Real>(x: &[T], dy: &[T], g: &Geom) -> Vec<T> {
    let per = chunk_len(g.n);
    let par = inner_par(g.n);
    let pl = Planes::new(g, per);
    let partials: Vec<Vec<T>> = (0..g.n.div_ceil(per))
        .into_par_iter()
        .map(|ci| {
            let end = ((ci + 1) * per).min(g.n);
            kernel_grad_chunk(x, dy, g, &pl, ci * per..end, par)
        })
        .collect();
    to_oihw(&sum_partials(partials, g.o * g.k()), g)
}

/// The `(o, ki, kj, c)`-ordered kernel gradient of examples `range`.
fn kernel_grad_chunk<T: Real>(
    x: &[T],
    dy: &[T],
    g: &Geom,
    pl: &Planes,
    range: std::ops::Range<usize>,
    par: Parallelism,
) -> Vec<T> {
    let k = g.k();
    let row_len = g.kw * g.c;
    let (in_len, out_len) = (g.in_len(), g.o * g.p());
    let mut dwk = vec![T::zero(); g.o * k];
    with_scratch::<T, _>(pl.rows * g.c, g.o * pl.ld(), |xp, dyp| {
        xp.fill(T::zero());
        dyp.fill(T::zero());
        let mut n0 = range.start;
        while n0 < range.end {
            let nb = pl.nb.min(range.end - n0);
            for s in 0..nb {
                let n = n0 + s;
                pad_channels_last(
                    &x[n * in_len..][..in_len],
                    g,
                    pl,
                    &mut xp[s * pl.plane * g.c..],
                );
                spread_rows(&dy[n * out_len..][..out_len], g, pl, dyp, s * pl.plane);
            }
            for ki in 0..g.kh {
                let view = Mat {
                    data: &xp[ki * pl.wp * g.c..],
                    rs: g.c,
                    cs: 1,
                };
                let accumulate = n0 > range.start;
                matmul(
                    &mut dwk[ki * row_len..],
                    k,
                    accumulate,
                    Mat::rows(dyp, pl.ld()),
                    view,
                    g.o,
                    row_len,
                    nb * pl.plane,
                    par,
                );
            }
            n0 += nb;
        }
    });
    dwk
}

/// `(o, ki, kj, c)` order → the kernel's `(o, c, ki, kj)`.
fn to_oihw<T: Real>(dwk: &[T], g: &Geom) -> Vec<T> {
    let taps = g.kh * g.kw;
    let mut dw = vec![T::zero(); dwk.len()];
    for o in 0..g.o {
        for t in 0..taps {
            for ch in 0..g.c {
                dw[(o * g.c + ch) * taps + t] = dwk[(o * taps + t) * g.c + ch];
            }
        }
    }
    dw
}

/// Whether [`forward_implicit`] computes the forward pass of `g`: stride 1, f32 on the
/// AVX-512 tiles, at least one example per thread, and 8 to 32 input channels (8 to 16 when
/// MKL takes the im2col GEMM). Measured (2 threads, batch 128, 3×3 same, ms, im2col vs
/// implicit): 8 ch 16×16 0.45 vs 0.37, 16 ch 32×32 3.63 vs 3.21, 16 ch 8×8 0.35 vs 0.29, 32 ch
/// 32×32 14.1 vs 12.6; 64 ch 8×8 2.76 vs 3.14 and 3 → 16 ch 1.11 vs 1.20 (im2col wins). With
/// MKL the im2col product is faster: 16 ch ties (3.58 vs 3.60), 32 ch 16×16 2.84 vs 3.47.
pub(crate) fn implicit_wins<T: Real>(g: &Geom) -> bool {
    let c_max = if crate::gemm::mkl_loaded() { 16 } else { 32 };
    g.stride == 1
        && std::any::TypeId::of::<T>() == std::any::TypeId::of::<f32>()
        && crate::avx512::available()
        && g.n >= crate::util::threads()
        && (8..=c_max).contains(&g.c)
}

/// Forward convolution without a patch matrix ([`implicit_wins`] geometries): each example is
/// copied once into a zero-padded plane (`hp × wp` per channel, `kw − 1` floats of slack),
/// and the GEMM packs its B panels straight from that plane through a row-offset table
/// (row `(c, ki, kj)` of the patch matrix is the padded plane at `c·hp·wp + ki·wp + kj`). The
/// output is computed at row pitch `wp` (its `wp − wo` extra columns per row read across the
/// border and are dropped) and copied out.
pub(crate) fn forward_implicit<T: Real>(x: &[T], w: &[T], g: &Geom) -> Vec<T> {
    let f32_only = "forward_implicit: implicit_wins admits f32 only";
    let (x, w) = (f32s(x).expect(f32_only), f32s(w).expect(f32_only));
    let (hp, wp) = (g.ho + g.kh - 1, g.wo + g.kw - 1);
    let plane = hp * wp;
    let offsets: Vec<usize> = (0..g.c)
        .flat_map(|c| {
            (0..g.kh).flat_map(move |ki| (0..g.kw).map(move |kj| c * plane + ki * wp + kj))
        })
        .collect();
    let (p, np) = (g.p(), g.ho * wp);
    let per = chunk_len(g.n);
    let fill = |y: &mut [std::mem::MaybeUninit<f32>]| {
        y.par_chunks_mut(per * g.o * p)
            .enumerate()
            .for_each(|(ci, ychunk)| {
                with_scratch::<f32, _>(g.c * plane + g.kw, g.o * np, |xp, yp| {
                    xp.fill(0.0);
                    for (s, yn) in ychunk.chunks_mut(g.o * p).enumerate() {
                        let n = ci * per + s;
                        pad_planes(&x[n * g.in_len()..][..g.in_len()], g, wp, plane, xp);
                        // SAFETY: AVX-512 checked by `implicit_wins`; every offset plus the
                        // row's np columns stays within the c·plane + kw − 1 floats of xp.
                        unsafe {
                            crate::avx512::nn_gathered(
                                g.o,
                                np,
                                w.as_ptr(),
                                g.k(),
                                xp.as_ptr(),
                                &offsets,
                                yp.as_mut_ptr(),
                                np,
                            )
                        };
                        // Every output element: o < g.o, oy < ho, wo columns each.
                        for (o, yo) in yn.chunks_mut(p).enumerate() {
                            let src = &yp[o * np..][..(g.ho - 1) * wp + g.wo];
                            // SAFETY: AVX-512 checked; ho rows of wo floats at pitch wp lie
                            // in `src`, at pitch wo in `yo` (p = ho·wo MaybeUninit<f32>,
                            // f32's layout); distinct buffers.
                            unsafe {
                                crate::avx512::copy_rows(
                                    src.as_ptr(),
                                    wp,
                                    yo.as_mut_ptr() as *mut f32,
                                    g.wo,
                                    g.ho,
                                    g.wo,
                                )
                            };
                        }
                    }
                });
            });
    };
    // SAFETY: `fill` writes every element (the copy-out loop covers each example, channel,
    // output row and column).
    let y = unsafe { crate::util::uninit_output(g.n * g.o * p, fill) };
    // SAFETY: T is f32 (checked by `implicit_wins`); same layout.
    unsafe { from_f32(y) }
}

/// Example `xn` (`c × h × w`) into zero-bordered planes `hp × wp` (channel `c` at
/// `c·plane`, pixel `(iy, ix)` at `(iy + pt)·wp + ix + pl`); borders are left as they are.
fn pad_planes(xn: &[f32], g: &Geom, wp: usize, plane: usize, xp: &mut [f32]) {
    if g.h == 0 || g.w == 0 {
        return;
    }
    for c in 0..g.c {
        let dst = &mut xp[c * plane + g.pt * wp + g.pl..][..(g.h - 1) * wp + g.w];
        let src = &xn[c * g.h * g.w..][..g.h * g.w];
        // SAFETY: AVX-512 checked by `implicit_wins` (the only caller); h rows of w floats
        // at pitch w lie in `src`, at pitch wp in `dst`.
        unsafe { crate::avx512::copy_rows(src.as_ptr(), g.w, dst.as_mut_ptr(), wp, g.h, g.w) };
    }
}
