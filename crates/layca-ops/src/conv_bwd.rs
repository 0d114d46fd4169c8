//! The two stride-1 backward passes of [`crate::conv2d`] that avoid the im2col / col2im
//! matrices (the general paths in `conv.rs` remain for strided convolutions):
//!
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

use crate::conv::{forward, inner_par, Geom};
use crate::gemm::{matmul, Mat};
use crate::util::{chunk_len, with_scratch, Real};

/// The geometry of the forward convolution that computes the input gradient of `g`: stride
/// 1, `c ↔ o`, output `h × w`, padding `k − 1 − pad` on each side; `None` unless `g` has
/// stride 1, every padding below the kernel size, and fewer than 16 output channels.
///
/// The channel bound is measured (1 thread, batch 128, 3×3 same, input gradient): with 4
/// channels at 32×32 the transposed forward takes 0.79 ms against 1.35 for GEMM + col2im (the
/// old GEMM reduces over 4 channels only); at 8 channels both take 0.71 ms; at 16 to 64
/// channels GEMM + col2im is 5–15 % faster (6.62 vs 7.00, 5.05 vs 5.89, 4.65 vs 4.84 ms).
pub(crate) fn transposed(g: &Geom) -> Option<Geom> {
    if g.stride != 1 || g.o >= 16 {
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
/// 0.78. With MKL loaded (feature `mkl`), inputs of 64 channels or more take im2col + MKL
/// instead (64 at 8×8: its product runs at 184 GFLOP/s against the tiles' 130).
pub(crate) fn shifted_wins(g: &Geom) -> bool {
    crate::conv::flat_shift(g) && g.kw * g.c >= 32 && (g.c < 64 || !crate::gemm::mkl_loaded())
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
    let mut it = partials.into_iter();
    let mut dwk = it.next().unwrap_or_else(|| vec![T::zero(); g.o * g.k()]);
    for part in it {
        for (a, b) in dwk.iter_mut().zip(part) {
            *a += b;
        }
    }
    to_oihw(&dwk, g)
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
