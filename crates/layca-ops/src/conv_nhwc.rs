//! Channels-last implicit-GEMM convolution for f32 on AVX-512 (the 32–512-channel convs of
//! the VGGs and WRN), where the im2col paths of `conv.rs` / `conv_s1.rs` spend a third of
//! their time building and packing patch matrices and their register tiles re-read C once
//! per 256-deep reduction block.
//!
//! Each example is copied once, by 16×16 register transposes, into a zero-padded
//! channels-last plane `x̂[(iy + pt)·wp + ix + pl][c]`. Then:
//!
//! * **forward** ([`forward`]): a register tile is 6 output pixels × 64 output channels;
//!   its reduction runs over the kernel taps and the input channels, the 6 pixels'
//!   inputs broadcast from `x̂` (one pointer per pixel, so tiles cross row and example
//!   ends freely) and the weights streamed from a panel packed once per call
//!   (`[tap][c][64 outputs]`). The whole reduction stays in the accumulators: C is written
//!   once, channels-last, then transposed back to NCHW.
//! * **input gradient** ([`input_grad`]): the forward above on `dY` with the kernel flipped in
//!   space and transposed in channels (stride 1: [`crate::conv_s1::transposed`]).
//! * **kernel gradient** ([`kernel_grad`]): for each tap, a tile of 6 output channels × 64
//!   input channels reduced over the pixels of a group of examples (`dY` channels-last,
//!   broadcast; `x̂` at the pixel shifted by the tap, streamed), added into the
//!   `(o, ki, kj, c)`-ordered partial of the thread.
//!
//! Examples are split over the worker threads as in `conv.rs` (per-thread partial kernel
//! gradients summed in thread order): results depend only on the thread count.

use std::mem::MaybeUninit;

use rayon::prelude::*;

use crate::conv::{sum_partials, Geom};
use crate::util::{chunk_len, f32s, uninit_output, with_scratch, Real};

/// Floats of slack after the padded planes.
const SLACK: usize = 64;

/// The register tile for `cols` columns (output channels of the forward, input channels of
/// the kernel gradient): 6 rows × 4 vectors, or 12 rows × 2 vectors for at most 32 columns
/// (24 accumulators either way).
fn tile_shape(cols: usize) -> (usize, usize) {
    if cols <= 32 {
        (12, 2)
    } else {
        (6, 4)
    }
}

/// Whether the forward (and, with its [`crate::conv_s1::transposed`] geometry, the input
/// gradient) of `g` runs here: f32 on AVX-512, stride 1, at least 32 input and 32 output
/// channels.
pub(crate) fn forward_wins<T: Real>(g: &Geom) -> bool {
    usable::<T>() && g.stride == 1 && g.c >= 32 && g.o >= 32
}

/// Whether the kernel gradient of `g` runs here (as [`forward_wins`]).
pub(crate) fn kernel_grad_wins<T: Real>(g: &Geom) -> bool {
    usable::<T>() && g.stride == 1 && g.c >= 32 && g.o >= 32
}

fn usable<T: Real>() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::any::TypeId::of::<T>() == std::any::TypeId::of::<f32>() && crate::avx512::available()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The zero-padded channels-last planes of a group of examples.
#[derive(Clone, Copy)]
struct Padded {
    hp: usize,
    wp: usize,
    /// `hp · wp` positions per example.
    plane: usize,
    /// Examples per group.
    nb: usize,
}

impl Padded {
    fn new(g: &Geom, per: usize) -> Self {
        let (hp, wp) = ((g.ho - 1) * g.stride + g.kh, (g.wo - 1) * g.stride + g.kw);
        // Groups of at least 256 output pixels (the 4×4 planes of the last VGG stages).
        let nb = 256usize.div_ceil(g.p()).clamp(1, per.max(1));
        Self {
            hp,
            wp,
            plane: hp * wp,
            nb,
        }
    }
    /// Floats of the group's planes (`c` channels).
    fn len(&self, c: usize) -> usize {
        self.nb * self.plane * c
    }
}

/// Offsets (in floats, channel 0) into the group's planes of the top-left input of every
/// output pixel of the group, in order (example, oy, ox).
fn pixel_offsets(g: &Geom, pd: &Padded) -> Vec<usize> {
    let mut off = Vec::with_capacity(pd.nb * g.p());
    for s in 0..pd.nb {
        for oy in 0..g.ho {
            for ox in 0..g.wo {
                off.push((s * pd.plane + oy * g.stride * pd.wp + ox * g.stride) * g.c);
            }
        }
    }
    off
}

/// Offsets (in floats) of the kernel taps `(ki, kj)` from a pixel's top-left input.
fn tap_offsets(g: &Geom, pd: &Padded) -> Vec<usize> {
    (0..g.kh)
        .flat_map(|ki| (0..g.kw).map(move |kj| (ki * pd.wp + kj) * g.c))
        .collect()
}

/// Copies example `xn` (`c × h × w`) into its padded plane `xp` (interior only: the border
/// keeps its zeros); input rows and columns past the padded extent (never read) are skipped.
fn pad_example(xn: &[f32], g: &Geom, pd: &Padded, xp: &mut [f32]) {
    let rows = g.h.min(pd.hp.saturating_sub(g.pt));
    let cols = g.w.min(pd.wp.saturating_sub(g.pl));
    if rows == 0 || cols == 0 || g.c == 0 {
        return;
    }
    let plane = g.h * g.w;
    assert!(g.c * plane <= xn.len(), "conv_nhwc: example");
    assert!(
        ((rows - 1 + g.pt) * pd.wp + g.pl + cols) * g.c <= xp.len(),
        "conv_nhwc: planes"
    );
    for iy in 0..rows {
        // SAFETY: AVX-512 checked by the `*_wins` gates; channel rows ch < c, columns
        // ix < cols of source row iy, and positions ix < cols of destination row iy + pt lie
        // in the slices (asserted above).
        unsafe {
            crate::avx512::transpose_into(
                xn.as_ptr().add(iy * g.w),
                plane,
                g.c,
                cols,
                xp.as_mut_ptr().add(((iy + g.pt) * pd.wp + g.pl) * g.c),
                g.c,
            )
        };
    }
}

/// The forward weights packed for the tiles, `nr` outputs per panel and the input channels
/// in blocks of [`CB`]: panel `jb`, channel block `cb` (channels `c0..c0 + cw`) is the
/// contiguous `taps × cw × nr` slice at `jb·taps·c·nr + taps·c0·nr`, element `(tap, q, v)`
/// = `W[nr·jb + v][c0 + q][ki][kj]`, zero past `o`.
fn pack_weights(w: &[f32], g: &Geom, nr: usize) -> Vec<f32> {
    let taps = g.kh * g.kw;
    let blocks = g.o.div_ceil(nr);
    let mut out = vec![0f32; blocks * taps * g.c * nr];
    for o in 0..g.o {
        let (jb, v) = (o / nr, o % nr);
        for ch in 0..g.c {
            let (c0, q) = (ch / CB * CB, ch % CB);
            let cw = (g.c - c0).min(CB);
            let base = jb * taps * g.c * nr + taps * c0 * nr;
            for t in 0..taps {
                out[base + (t * cw + q) * nr + v] = w[(o * g.c + ch) * taps + t];
            }
        }
    }
    out
}

/// Input channels per reduction block of the forward tiles: the block's weights
/// (`9 × 16 × 64` floats, 36 KiB for 3×3) stay in L1 while every pixel tile of the group
/// reads them.
const CB: usize = 16;

/// `y = conv(x, w)` ([`forward_wins`] geometries), NCHW in and out.
pub(crate) fn forward<T: Real>(x: &[T], w: &[T], g: &Geom) -> Vec<T> {
    let f32_only = "conv_nhwc: the gates admit f32 only";
    let (x, w) = (f32s(x).expect(f32_only), f32s(w).expect(f32_only));
    let p = g.p();
    let per = chunk_len(g.n);
    let pd = Padded::new(g, per);
    let offsets = pixel_offsets(g, &pd);
    let taps = tap_offsets(g, &pd);
    let panels = pack_weights(w, g, tile_shape(g.o).1 * 16);
    let fill = |y: &mut [MaybeUninit<f32>]| {
        y.par_chunks_mut(per * g.o * p)
            .enumerate()
            .for_each(|(ci, ychunk)| {
                with_scratch::<f32, _>(pd.len(g.c) + SLACK, pd.nb * p * g.o, |xp, yg| {
                    xp.fill(0.0);
                    let n_here = ychunk.len() / (g.o * p);
                    let mut s0 = 0;
                    while s0 < n_here {
                        let nb = pd.nb.min(n_here - s0);
                        for s in 0..nb {
                            let n = ci * per + s0 + s;
                            let xn = &x[n * g.in_len()..][..g.in_len()];
                            pad_example(xn, g, &pd, &mut xp[s * pd.plane * g.c..]);
                        }
                        let rows = &offsets[..nb * p];
                        forward_group(xp, rows, &taps, &panels, g, yg);
                        let yc = &mut ychunk[s0 * g.o * p..(s0 + nb) * g.o * p];
                        for (s, yn) in yc.chunks_mut(g.o * p).enumerate() {
                            to_nchw(&yg[s * p * g.o..][..p * g.o], p, g.o, yn);
                        }
                        s0 += nb;
                    }
                });
            });
    };
    // SAFETY: `fill` writes every element: each thread's chunk is covered by its groups,
    // every example of a group written whole by `to_nchw`.
    let y = unsafe { uninit_output(g.n * g.o * p, fill) };
    // SAFETY: T is f32 (checked above).
    unsafe { from_f32(y) }
}

/// Channels-last outputs `yg[pixel][o]` of the group's pixels (`rows`: their offsets in
/// `xp`), every output channel.
fn forward_group(
    xp: &[f32],
    rows: &[usize],
    taps: &[usize],
    panels: &[f32],
    g: &Geom,
    yg: &mut [f32],
) {
    let depth = taps.len() * g.c;
    let (mr_max, nv) = tile_shape(g.o);
    let nr = nv * 16;
    let last = rows.iter().max().copied().unwrap_or(0) + taps.iter().max().copied().unwrap_or(0);
    assert!(last + g.c <= xp.len(), "conv_nhwc: pixel offsets");
    assert!(yg.len() >= rows.len() * g.o, "conv_nhwc: output");
    assert!(
        panels.len() >= g.o.div_ceil(nr) * depth * nr,
        "conv_nhwc: panels"
    );
    for jb in 0..g.o.div_ceil(nr) {
        let nw = (g.o - jb * nr).min(nr);
        let panel = &panels[jb * depth * nr..][..depth * nr];
        let mut c0 = 0;
        while c0 < g.c {
            let cw = (g.c - c0).min(CB);
            let block = &panel[taps.len() * c0 * nr..][..taps.len() * cw * nr];
            let mut i = 0;
            while i < rows.len() {
                let mr = (rows.len() - i).min(mr_max);
                let mut a = [std::ptr::null::<f32>(); 12];
                for (r, ar) in a.iter_mut().enumerate().take(mr) {
                    *ar = xp[rows[i + r] + c0..].as_ptr();
                }
                let out = yg[i * g.o + jb * nr..].as_mut_ptr();
                // SAFETY: AVX-512 checked by the gates; every pixel offset plus every tap
                // offset plus c lies in xp, the block holds taps·cw·nr floats, and rows
                // i..i + mr of the output (row stride o, nw ≤ nr columns from nr·jb) lie in
                // yg (asserted above).
                unsafe {
                    crate::avx512::implicit_tile(
                        mr,
                        nv,
                        &a[..mr],
                        taps,
                        cw,
                        block.as_ptr(),
                        out,
                        g.o,
                        nw,
                        c0 > 0,
                    )
                };
                i += mr;
            }
            c0 += cw;
        }
    }
}

/// `yn[o][p] = yg[p][o]` for one example.
fn to_nchw(yg: &[f32], p: usize, o: usize, yn: &mut [MaybeUninit<f32>]) {
    assert!(yg.len() >= p * o && yn.len() >= p * o, "conv_nhwc: to_nchw");
    // SAFETY: AVX-512 checked by the gates; p rows of o floats in yg, o rows of p
    // (MaybeUninit<f32>, f32's layout) in yn; every element of yn[..p·o] is written.
    unsafe { crate::avx512::transpose_into(yg.as_ptr(), o, p, o, yn.as_mut_ptr() as *mut f32, p) };
}

/// `dx` of a stride-1 convolution whose [`crate::conv_s1::transposed`] geometry is `gt`: the
/// forward of `dy` with the flipped, transposed kernel `wt`.
pub(crate) fn input_grad<T: Real>(dy: &[T], wt: &[T], gt: &Geom) -> Vec<T> {
    forward(dy, wt, gt)
}

/// `dW` (`o × c × kh × kw`) of [`kernel_grad_wins`] geometries.
pub(crate) fn kernel_grad<T: Real>(x: &[T], dy: &[T], g: &Geom) -> Vec<T> {
    let f32_only = "conv_nhwc: the gates admit f32 only";
    let (x, dy) = (f32s(x).expect(f32_only), f32s(dy).expect(f32_only));
    let per = chunk_len(g.n);
    let pd = Padded::new(g, per);
    let offsets = pixel_offsets(g, &pd);
    let taps = tap_offsets(g, &pd);
    let partials: Vec<Vec<f32>> = (0..g.n.div_ceil(per))
        .into_par_iter()
        .map(|ci| {
            let end = ((ci + 1) * per).min(g.n);
            kernel_grad_chunk(x, dy, g, &pd, &offsets, &taps, ci * per..end)
        })
        .collect();
    let dwk = sum_partials(partials, g.o * g.k());
    let dw = crate::conv_s1::to_oihw(&dwk, g);
    // SAFETY: T is f32 (checked above).
    unsafe { from_f32(dw) }
}

/// The `(o, ki, kj, c)`-ordered kernel gradient of examples `range`.
fn kernel_grad_chunk(
    x: &[f32],
    dy: &[f32],
    g: &Geom,
    pd: &Padded,
    offsets: &[usize],
    taps: &[usize],
    range: std::ops::Range<usize>,
) -> Vec<f32> {
    let p = g.p();
    let mut dwk = vec![0f32; g.o * g.k()];
    with_scratch::<f32, _>(pd.len(g.c) + SLACK, pd.nb * p * g.o, |xp, dyg| {
        xp.fill(0.0);
        let mut n0 = range.start;
        while n0 < range.end {
            let nb = pd.nb.min(range.end - n0);
            for s in 0..nb {
                let n = n0 + s;
                pad_example(
                    &x[n * g.in_len()..][..g.in_len()],
                    g,
                    pd,
                    &mut xp[s * pd.plane * g.c..],
                );
                let dyn_ = &dy[n * g.o * p..][..g.o * p];
                assert!(dyg.len() >= (s + 1) * p * g.o, "conv_nhwc: dY group");
                // SAFETY: AVX-512 checked by the gates; o rows of p floats in dyn_, p rows of
                // o floats from s·p·o in dyg (asserted).
                unsafe {
                    crate::avx512::transpose_into(
                        dyn_.as_ptr(),
                        p,
                        g.o,
                        p,
                        dyg.as_mut_ptr().add(s * p * g.o),
                        g.o,
                    )
                };
            }
            kernel_grad_group(
                xp,
                &dyg[..nb * p * g.o],
                &offsets[..nb * p],
                taps,
                g,
                &mut dwk,
            );
            n0 += nb;
        }
    });
    dwk
}

/// Adds one group's kernel gradient into `dwk` (`(o, tap, c)` order).
fn kernel_grad_group(
    xp: &[f32],
    dyg: &[f32],
    rows: &[usize],
    taps: &[usize],
    g: &Geom,
    dwk: &mut [f32],
) {
    let ntaps = taps.len();
    let (mr_max, nv) = tile_shape(g.c);
    let nr = nv * 16;
    let last = rows.iter().max().copied().unwrap_or(0) + taps.iter().max().copied().unwrap_or(0);
    assert!(last + g.c <= xp.len(), "conv_nhwc: pixel offsets");
    assert!(dyg.len() >= rows.len() * g.o, "conv_nhwc: dY group");
    assert!(dwk.len() >= g.o * ntaps * g.c, "conv_nhwc: kernel gradient");
    for (t, &toff) in taps.iter().enumerate() {
        let mut o0 = 0;
        while o0 < g.o {
            let mr = (g.o - o0).min(mr_max);
            let mut c0 = 0;
            while c0 < g.c {
                let nw = (g.c - c0).min(nr);
                // SAFETY: AVX-512 checked by the gates; for every pixel, o0 + mr ≤ o entries
                // of its dY row and nw floats of xp from its offset + tap + c0 lie in the
                // slices, and rows o0..o0 + mr (stride ntaps·c) of dwk hold nw floats from
                // t·c + c0 (asserted above).
                unsafe {
                    crate::avx512::pixel_tile(
                        mr,
                        nv,
                        dyg.as_ptr().add(o0),
                        g.o,
                        xp.as_ptr().add(toff + c0),
                        rows,
                        dwk.as_mut_ptr().add((o0 * ntaps + t) * g.c + c0),
                        ntaps * g.c,
                        nw,
                    )
                };
                c0 += nr;
            }
            o0 += mr;
        }
    }
}

/// # Safety
/// `T` must be `f32`.
unsafe fn from_f32<T: Real>(v: Vec<f32>) -> Vec<T> {
    let mut v = std::mem::ManuallyDrop::new(v);
    Vec::from_raw_parts(v.as_mut_ptr() as *mut T, v.len(), v.capacity())
}
