//! Channels-last implicit-GEMM convolution for f32 on AVX-512: the 16–640-channel convs of
//! the VGGs, the ResNets' wider stages and WRN ([`forward_wins`]). The im2col paths of
//! `conv.rs` / `conv_s1.rs` write a 9×-the-input patch matrix, copy it again into B panels
//! and keep the pixels on the vector lanes, which fits narrow convs but leaves small planes
//! (8×8 to 2×2) with short, ragged rows. Here the channels are on the lanes and no patch
//! matrix exists.
//!
//! Each example is copied once, by 16×16 register transposes, into a zero-padded
//! channels-last plane `x̂[(iy + pt)·wp + ix + pl][c]` (groups of examples up to 256 output
//! pixels or 512 KiB). Then:
//!
//! * **forward** ([`forward`]): a register tile is 6–12 output pixels × 16–64 output
//!   channels (24 accumulators; [`tile_shape`]). Its reduction runs over the kernel taps and
//!   the input channels: the pixels' inputs broadcast from `x̂` through one pointer per pixel
//!   (so tiles cross row and example ends freely, and any stride works), the weights
//!   streamed from panels packed once per call (`[tap][c][outputs]`, in blocks of 16 input
//!   channels that stay in L1 while every pixel tile reads them). The outputs are written
//!   channels-last, then transposed back to NCHW.
//! * **input gradient** ([`input_grad`], stride 1): the forward above on `dY` with the kernel
//!   flipped in space and transposed in channels ([`crate::conv_s1::transpose_geom`]), its
//!   panels packed straight from `W`.
//! * **kernel gradient** ([`kernel_grad`]): for each tap, a tile of 6–12 output channels ×
//!   16–64 input channels reduced over the pixels of a group (`dY` packed into contiguous
//!   output-channel tiles and broadcast; `x̂` at the pixel shifted by the tap, streamed),
//!   written by the thread's first group and accumulated by the others into its
//!   `(o, ki, kj, c)`-ordered partial.
//!
//! Measured (2 threads, batch 128, 3×3 same, forward + both gradients, `convshapes`
//! example, one pass of each of C10-CNN1's eight shapes): 153.1 ms on the im2col paths, 115.3
//! here, 103.7 for PyTorch 2.15 `channels_last` (oneDNN); whole steps in
//! docs/bench/profile.md.
//!
//! Examples are split over the worker threads as in `conv.rs` (per-thread partial kernel
//! gradients summed in thread order): results depend only on the thread count.

use std::mem::MaybeUninit;

use rayon::prelude::*;

use crate::conv::{sum_partials, Geom};
use crate::util::{chunk_len, f32s, from_f32, uninit_output, with_scratch, Real};

/// Floats of slack after the padded planes.
const SLACK: usize = 64;

/// The register tile `(rows, vectors)` for `cols` columns (output channels of the forward,
/// input channels of the kernel gradient): 24 accumulators as 12 × 2, 8 × 3 or 6 × 4 vectors,
/// or 12 × 1 for 16 columns (12 row pointers are what the registers hold), the panel width
/// (16 to 64) that pads `cols` least (the widest on ties).
fn tile_shape(cols: usize) -> (usize, usize) {
    let waste = |nv: usize| cols.div_ceil(16 * nv) * 16 * nv - cols;
    let nv = [4, 3, 2, 1]
        .into_iter()
        .min_by_key(|&nv| waste(nv))
        .unwrap_or(4);
    (if nv == 1 { 12 } else { 24 / nv }, nv)
}

/// Whether the forward of `g` runs here (and the input gradient, as the forward of its
/// [`crate::conv_s1::transpose_geom`]): f32 on AVX-512, any stride, at least 16 input and
/// 16 output channels and 32 of one of them. Measured against the other paths (2 threads,
/// batch 128, 3×3, ms, `convshapes` example): 32 → 32 at 32×32 forward 7.3 vs 11.1, at 8×8
/// 0.54 vs 0.93; 16 → 32 at 16×16 forward 1.00 vs 1.24, input gradient 1.13 vs 1.47; but
/// 16 → 16 at 32×32 2.73 vs 2.53 (there the pixels-as-lanes paths of `conv_s1` keep all
/// 16 lanes of their vectors busy as well and copy less). At least one example per worker
/// thread: examples are the only thing split over the threads here, where the GEMM paths
/// also split one example's product (batch-1 inference).
pub(crate) fn forward_wins<T: Real>(g: &Geom) -> bool {
    usable::<T>() && wide_enough(g) && g.n >= crate::util::threads()
}

/// Whether the kernel gradient of `g` runs here (as [`forward_wins`]; 32 → 16 at 16×16:
/// 1.13 vs 1.22 ms, 16 → 32 a tie).
pub(crate) fn kernel_grad_wins<T: Real>(g: &Geom) -> bool {
    usable::<T>() && wide_enough(g) && g.n >= crate::util::threads()
}

fn wide_enough(g: &Geom) -> bool {
    g.c >= 16 && g.o >= 16 && g.c.max(g.o) >= 32
}

/// f32 on a CPU with AVX-512 (the module exists on x86-64 only).
fn usable<T: Real>() -> bool {
    std::any::TypeId::of::<T>() == std::any::TypeId::of::<f32>() && crate::avx512::available()
}

/// The most bytes of padded input per group (when one example is smaller).
const GROUP_BYTES: usize = 1 << 19;

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
        // Groups of at least 256 output pixels (the 4×4 planes of the last VGG stages), but
        // no more padded input than half an L2 (512-channel planes).
        let fits = (GROUP_BYTES / (hp * wp * g.c * 4).max(1)).max(1);
        let nb = 256usize.div_ceil(g.p()).min(fits).clamp(1, per.max(1));
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

/// Weights packed for the forward tiles, `nr` GEMM outputs per panel and the GEMM's input
/// channels in blocks of [`CB`]: panel `jb`, channel block `cb` (channels `c0..c0 + cw`) is
/// the contiguous `taps × cw × nr` slice at `jb·taps·c·nr + taps·c0·nr`, element
/// `(tap, q, v)` = `row(jb, c0 + q, tap)[v]`, zero past `o`. `row(jb, ch, tap)` is the
/// contiguous run of the weights of panel `jb`'s outputs (`min(nr, o − nr·jb)`) for input
/// channel `ch` at `tap`.
fn pack_panels<'a>(
    o: usize,
    c: usize,
    taps: usize,
    nr: usize,
    row: impl Fn(usize, usize, usize) -> &'a [f32],
    out: &mut [f32],
) {
    let blocks = o.div_ceil(nr);
    assert!(
        out.len() >= panels_len(o, c, taps, nr),
        "conv_nhwc: panel buffer"
    );
    for jb in 0..blocks {
        let nw = (o - jb * nr).min(nr);
        let mut c0 = 0;
        while c0 < c {
            let cw = (c - c0).min(CB);
            let base = jb * taps * c * nr + taps * c0 * nr;
            for t in 0..taps {
                for q in 0..cw {
                    let src = &row(jb, c0 + q, t)[..nw];
                    let dst = &mut out[base + (t * cw + q) * nr..][..nr];
                    // SAFETY: AVX-512 checked by the gates; both slices hold nw floats.
                    unsafe { crate::avx512::copy_row(src.as_ptr(), dst.as_mut_ptr(), nw) };
                    dst[nw..].fill(0.0);
                }
            }
            c0 += cw;
        }
    }
}

/// Floats of [`pack_panels`]' output.
fn panels_len(o: usize, c: usize, taps: usize, nr: usize) -> usize {
    o.div_ceil(nr) * taps * c * nr
}

thread_local! {
    /// Per-thread buffer of the packed weights (reused: a fresh zeroed buffer per call cost
    /// a memset, and fresh pages, of up to 9 MiB for 512 channels).
    static PANELS: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `f` with a cache-line-aligned buffer of `len` floats (arbitrary contents), the
/// thread's [`PANELS`] unless that is in use.
fn with_panels<R>(len: usize, f: impl FnOnce(&mut [f32]) -> R) -> R {
    let mut f = Some(f);
    let mut run = |v: &mut Vec<f32>| {
        let off = crate::util::aligned_start(v, len);
        (f.take().expect("called once"))(&mut v[off..off + len])
    };
    PANELS
        .with(|cell| cell.try_borrow_mut().ok().map(|mut v| run(&mut v)))
        .unwrap_or_else(|| run(&mut Vec::new()))
}

/// The forward panels of `W` (`o × c × kh × kw`): the transpose `[c·taps][nr]` of each
/// panel's `nr` rows of `W` gives the rows (one strided transpose of all of `W` ran at a
/// fraction of this speed for 512 channels: every row a different page).
fn pack_forward(w: &[f32], g: &Geom, out: &mut [f32]) {
    let taps = g.kh * g.kw;
    let depth = g.c * taps;
    assert!(w.len() >= g.o * depth, "conv_nhwc: kernel");
    let nr = tile_shape(g.o).1 * 16;
    let blocks = g.o.div_ceil(nr);
    with_scratch::<f32, _>(blocks * depth * nr, 0, |wt, _| {
        for jb in 0..blocks {
            let nw = (g.o - jb * nr).min(nr);
            // SAFETY: AVX-512 checked by the gates; nw rows of depth floats from row nr·jb of w,
            // depth rows of nr floats from jb·depth·nr in wt.
            unsafe {
                crate::avx512::transpose_into(
                    w.as_ptr().add(jb * nr * depth),
                    depth,
                    nw,
                    depth,
                    wt.as_mut_ptr().add(jb * depth * nr),
                    nr,
                )
            };
        }
        pack_panels(
            g.o,
            g.c,
            taps,
            nr,
            |jb, ch, t| &wt[(jb * depth + ch * taps + t) * nr..][..nr],
            out,
        )
    })
}

/// The panels of the input gradient's forward (GEMM inputs: the `o` output channels of `g`,
/// outputs: its `c` input channels, taps flipped), straight from `W`: per output channel the
/// transpose `[taps][c]` of its `c × taps` block gives the rows.
fn pack_input_grad(w: &[f32], g: &Geom, out: &mut [f32]) {
    let taps = g.kh * g.kw;
    assert!(w.len() >= g.o * g.c * taps, "conv_nhwc: kernel");
    with_scratch::<f32, _>(g.o * g.c * taps, 0, |wt, _| {
        for o in 0..g.o {
            let block = o * g.c * taps;
            // SAFETY: AVX-512 checked by the gates; c rows of taps floats from `block` in w,
            // taps rows of c floats from `block` in wt.
            unsafe {
                crate::avx512::transpose_into(
                    w.as_ptr().add(block),
                    taps,
                    g.c,
                    taps,
                    wt.as_mut_ptr().add(block),
                    g.c,
                )
            };
        }
        let nr = tile_shape(g.c).1 * 16;
        pack_panels(
            g.c,
            g.o,
            taps,
            nr,
            |jb, o, t| &wt[(o * taps + taps - 1 - t) * g.c + jb * nr..(o * taps + taps - t) * g.c],
            out,
        )
    })
}

/// Input channels per reduction block of the forward tiles: the block's weights
/// (`9 × 16 × 64` floats, 36 KiB for 3×3) stay in L1 while every pixel tile of the group
/// reads them.
const CB: usize = 16;

/// `y = conv(x, w)` ([`forward_wins`] geometries), NCHW in and out.
pub(crate) fn forward<T: Real>(x: &[T], w: &[T], g: &Geom) -> Vec<T> {
    let w = f32s(w).expect("conv_nhwc: the gates admit f32 only");
    let nr = tile_shape(g.o).1 * 16;
    with_panels(panels_len(g.o, g.c, g.kh * g.kw, nr), |panels| {
        pack_forward(w, g, panels);
        forward_packed(x, panels, g)
    })
}

/// `dx` of a stride-1 convolution `g` whose [`crate::conv_s1::transpose_geom`] is `gt`: the
/// forward of `dy` with the kernel flipped in space and transposed in channels.
pub(crate) fn input_grad<T: Real>(dy: &[T], w: &[T], g: &Geom, gt: &Geom) -> Vec<T> {
    let w = f32s(w).expect("conv_nhwc: the gates admit f32 only");
    let nr = tile_shape(g.c).1 * 16;
    with_panels(panels_len(g.c, g.o, g.kh * g.kw, nr), |panels| {
        pack_input_grad(w, g, panels);
        forward_packed(dy, panels, gt)
    })
}

/// The forward of `g` with the weights already packed ([`pack_panels`]).
fn forward_packed<T: Real>(x: &[T], panels: &[f32], g: &Geom) -> Vec<T> {
    let x = f32s(x).expect("conv_nhwc: the gates admit f32 only");
    let p = g.p();
    let per = chunk_len(g.n);
    let pd = Padded::new(g, per);
    let offsets = pixel_offsets(g, &pd);
    let taps = tap_offsets(g, &pd);
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
                        forward_group(xp, rows, &taps, panels, g, yg);
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
    let dw = to_oihw(&dwk, g);
    // SAFETY: T is f32 (checked above).
    unsafe { from_f32(dw) }
}

/// `(o, ki, kj, c)` order → the kernel's `(o, c, ki, kj)`: per output channel, the transpose
/// of its `taps × c` block.
fn to_oihw(dwk: &[f32], g: &Geom) -> Vec<f32> {
    let block = g.kh * g.kw * g.c;
    assert!(dwk.len() >= g.o * block, "conv_nhwc: kernel gradient");
    let fill = |dw: &mut [MaybeUninit<f32>]| {
        for o in 0..g.o {
            // SAFETY: AVX-512 checked by the gates; taps rows of c floats from o·block in
            // dwk, c rows of taps floats from o·block in dw (MaybeUninit<f32>, f32's layout).
            unsafe {
                crate::avx512::transpose_into(
                    dwk.as_ptr().add(o * block),
                    g.c,
                    g.kh * g.kw,
                    g.c,
                    (dw.as_mut_ptr() as *mut f32).add(o * block),
                    g.kh * g.kw,
                )
            };
        }
    };
    // SAFETY: the transposes write every element (c·taps per output channel).
    unsafe { uninit_output(g.o * block, fill) }
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
    let mr = tile_shape(g.c).0;
    let tiles = g.o.div_ceil(mr);
    let fill = |dwk: &mut [MaybeUninit<f32>]| {
        with_scratch::<f32, _>(pd.len(g.c) + SLACK, tiles * mr * pd.nb * p, |xp, dyg| {
            xp.fill(0.0);
            // Rows past o in the last tile stay zero.
            dyg.fill(0.0);
            let mut n0 = range.start;
            while n0 < range.end {
                let nb = pd.nb.min(range.end - n0);
                for s in 0..nb {
                    let n = n0 + s;
                    let xn = &x[n * g.in_len()..][..g.in_len()];
                    pad_example(xn, g, pd, &mut xp[s * pd.plane * g.c..]);
                    pack_dy(&dy[n * g.o * p..][..g.o * p], g, mr, nb * p, s * p, dyg);
                }
                let rows = &offsets[..nb * p];
                let first = n0 == range.start;
                kernel_grad_group(xp, &dyg[..tiles * mr * nb * p], rows, taps, g, dwk, first);
                n0 += nb;
            }
        })
    };
    assert!(!range.is_empty(), "conv_nhwc: empty chunk");
    // SAFETY: the first group writes every element (`kernel_grad_group` with `first`: every
    // tap, output-channel tile and input-channel panel); the range is not empty.
    unsafe { uninit_output(g.o * g.k(), fill) }
}

/// Example `dyn_` (`o × p`) into the group's output-channel tiles: tile `ot` holds the
/// group's `gp` pixels × `mr` channels (`dyg[(ot·gp + g)·mr + r] = dY[ot·mr + r][pixel g]`),
/// the example's pixels from `g0`. The tiles then read `dY` as one contiguous stream.
fn pack_dy(dyn_: &[f32], g: &Geom, mr: usize, gp: usize, g0: usize, dyg: &mut [f32]) {
    let p = g.p();
    assert!(dyn_.len() >= g.o * p, "conv_nhwc: dY example");
    assert!(
        dyg.len() >= g.o.div_ceil(mr) * gp * mr && g0 + p <= gp,
        "conv_nhwc: dY tiles"
    );
    for ot in 0..g.o.div_ceil(mr) {
        let rows = (g.o - ot * mr).min(mr);
        // SAFETY: AVX-512 checked by the gates; `rows` rows of p floats from row ot·mr of
        // dyn_, p rows of mr floats (rows written) from (ot·gp + g0)·mr in dyg (asserted).
        unsafe {
            crate::avx512::transpose_into(
                dyn_.as_ptr().add(ot * mr * p),
                p,
                rows,
                p,
                dyg.as_mut_ptr().add((ot * gp + g0) * mr),
                mr,
            )
        };
    }
}

/// Adds one group's kernel gradient into `dwk` (`(o, tap, c)` order), or writes it there
/// (every element) for the `first` group; `dyg` holds the group's [`pack_dy`] tiles.
fn kernel_grad_group(
    xp: &[f32],
    dyg: &[f32],
    rows: &[usize],
    taps: &[usize],
    g: &Geom,
    dwk: &mut [MaybeUninit<f32>],
    first: bool,
) {
    let ntaps = taps.len();
    let (mr_max, nv) = tile_shape(g.c);
    let nr = nv * 16;
    let gp = rows.len();
    let last = rows.iter().max().copied().unwrap_or(0) + taps.iter().max().copied().unwrap_or(0);
    assert!(last + g.c <= xp.len(), "conv_nhwc: pixel offsets");
    assert!(
        dyg.len() >= g.o.div_ceil(mr_max) * mr_max * gp,
        "conv_nhwc: dY group"
    );
    assert!(dwk.len() >= g.o * ntaps * g.c, "conv_nhwc: kernel gradient");
    for (t, &toff) in taps.iter().enumerate() {
        for (ot, o0) in (0..g.o).step_by(mr_max).enumerate() {
            let mr = (g.o - o0).min(mr_max);
            let tile = &dyg[ot * gp * mr_max..][..gp * mr_max];
            let mut c0 = 0;
            while c0 < g.c {
                let nw = (g.c - c0).min(nr);
                // SAFETY: AVX-512 checked by the gates; the tile holds gp pixels × mr_max
                // channels, nw floats of xp from every pixel offset + tap + c0 lie in xp, and
                // rows o0..o0 + mr (stride ntaps·c) of dwk hold nw floats from t·c + c0
                // (asserted above).
                unsafe {
                    crate::avx512::pixel_tile(
                        mr,
                        nv,
                        tile.as_ptr(),
                        mr_max,
                        xp.as_ptr().add(toff + c0),
                        rows,
                        (dwk.as_mut_ptr() as *mut f32).add((o0 * ntaps + t) * g.c + c0),
                        ntaps * g.c,
                        nw,
                        !first,
                    )
                };
                c0 += nr;
            }
        }
    }
}
