//! AVX-512 f32 GEMM kernels for the conv and dense shapes, where a general packed GEMM spends
//! much of its time packing (measured, 1 thread, AVX-512 Xeon @ 2.5 GHz: conv forward
//! 16×1024×144 at 47 GFLOP/s vs 34 for `matrixmultiply` and 18 for `gemm`; kernel gradient
//! 16×144×1024 at 38 vs 23).
//!
//! * [`nn`]: `C (+)= A·B` with `B` row-major (contiguous along `n`): register tiles of 6 rows
//!   × 64 columns (24 accumulators), `A` entries broadcast, `B` rows streamed; masked loads
//!   and stores for the column tail. B is copied into 64-column panels (KC deep) when more
//!   than one row tile reads it; a transposed A (strided along the reduction) is copied once
//!   per KC block into 6-row panels, so that every tile reads A as one contiguous stream.
//! * [`nt`]: `C (+)= A·Bᵀ` with `A` and `B` row-major (contiguous along `k`): 4×4 tiles of
//!   16-lane dot products, reduced at the end.
//!
//! Selected at run time (`is_x86_feature_detected!("avx512f")`, unless
//! `LAYCA_OPS_NO_AVX512` is set); the packed GEMMs remain the path on other CPUs and for f64.
#![allow(clippy::too_many_arguments)]

use std::arch::x86_64::*;

/// Whether the kernels can run on this CPU (and are not turned off by
/// [`crate::NO_AVX512_ENV`], read once per process).
pub(crate) fn available() -> bool {
    static AVAILABLE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        let off = std::env::var(crate::NO_AVX512_ENV).is_ok_and(|v| !v.is_empty() && v != "0");
        std::is_x86_feature_detected!("avx512f") && !off
    })
}

/// `C (m × n, row stride ldc) (+)= A (m × k; element (i, p) at a[i·ars + p·acs]) · B (k × n,
/// row stride ldb)`, in 64-column panels and 256-deep blocks of the reduction.
///
/// With more than one row tile, each 64-column panel of B (KC rows at a time) is copied to a
/// contiguous buffer first: B's row stride is often a multiple of 4 KiB (1024 conv outputs),
/// which maps every row of the panel to the same L1 sets. When A is strided along the
/// reduction (`acs ≠ 1`: a transposed operand such as `Xᵀ` of a dense kernel gradient), each
/// KC-deep block of A is also packed, once, into 6-row panels (element `(r, p)` of a panel at
/// `p·6 + r`): the tiles then read A as one contiguous stream instead of touching a new
/// cache line (and often a new page) for every reduction step.
///
/// # Safety
/// `avx512f` must be available ([`available`]) and every view must lie in its allocation.
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn nn(
    m: usize,
    n: usize,
    k: usize,
    a: *const f32,
    ars: usize,
    acs: usize,
    b: *const f32,
    ldb: usize,
    c: *mut f32,
    ldc: usize,
    accumulate: bool,
) {
    nn_packing(
        m,
        n,
        k,
        a,
        ars,
        acs,
        b,
        BRows::Strided(ldb),
        c,
        ldc,
        accumulate,
        pack_a_wanted(m, acs),
    )
}

/// Where the rows of B start: `p·ldb`, or an offset table (an implicit im2col: row `p` of
/// the patch matrix is the input plane at `offsets[p]`).
#[derive(Clone, Copy)]
pub(crate) enum BRows<'a> {
    /// Row `p` at `b + p·ldb`.
    Strided(usize),
    /// Row `p` at `b + offsets[p]` (`k` entries).
    Gathered(&'a [usize]),
}

/// [`nn`] with B's rows gathered from an offset table (packed into panels, or read in place
/// by the tiles when at most [`GATHER_DIRECT_ROWS`] rows of C use them): `C (m × n) = A · B`
/// with row `p` of B at `b + offsets[p]`.
///
/// # Safety
/// As [`nn`]; `offsets` has `k` entries and every `b + offsets[p] + n` lies in B's allocation.
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn nn_gathered(
    m: usize,
    n: usize,
    a: *const f32,
    ars: usize,
    b: *const f32,
    offsets: &[usize],
    c: *mut f32,
    ldc: usize,
) {
    nn_packing(
        m,
        n,
        offsets.len(),
        a,
        ars,
        1,
        b,
        BRows::Gathered(offsets),
        c,
        ldc,
        false,
        false,
    )
}

/// [`nn`] with the choice of packing A made by the caller (the tests run both).
///
/// # Safety
/// As [`nn`].
#[target_feature(enable = "avx512f")]
unsafe fn nn_packing(
    m: usize,
    n: usize,
    k: usize,
    a: *const f32,
    ars: usize,
    acs: usize,
    b: *const f32,
    rows: BRows<'_>,
    c: *mut f32,
    ldc: usize,
    accumulate: bool,
    pack_a: bool,
) {
    // Rows at most a panel apart (a channels-last view with row stride c ≤ 64) are already
    // compact: the block spans no more memory than its packed copy. Gathered rows are packed
    // unless few row tiles read them (`GATHER_DIRECT_ROWS`).
    let (pack_b, ldb) = match rows {
        BRows::Strided(ldb) => (m > MR && ldb > NR, ldb),
        BRows::Gathered(_) => (m > GATHER_DIRECT_ROWS, 0),
    };
    let offsets = match rows {
        BRows::Gathered(offsets) if !pack_b => Some(offsets),
        _ => None,
    };
    let row_at = |p: usize| match rows {
        BRows::Strided(ldb) => b.add(p * ldb),
        BRows::Gathered(offsets) => b.add(offsets[p]),
    };
    PACK.with(|bufs| {
        let (bvec, avec) = &mut *bufs.borrow_mut();
        let kc_max = kc_block();
        let a_len = m.div_ceil(MR) * MR * kc_max;
        // Panels on cache-line boundaries (`util::ALIGN`).
        let b_len = if pack_b { kc_max * NR } else { 0 };
        let boff = crate::util::aligned_start(bvec, b_len);
        let bbuf = &mut bvec[boff..boff + b_len];
        let a_len = if pack_a { a_len } else { 0 };
        let aoff = crate::util::aligned_start(avec, a_len);
        let abuf = &mut avec[aoff..aoff + a_len];
        let mut k0 = 0;
        while k0 < k {
            let kc = (k - k0).min(kc_max);
            if pack_a {
                pack_a_block(m, kc, a.add(k0 * acs), ars, acs, abuf.as_mut_ptr());
            }
            let mut j = 0;
            while j < n {
                let nw = (n - j).min(NR);
                let (bp, bld) = if pack_b {
                    for p in 0..kc {
                        copy_row(row_at(k0 + p).add(j), bbuf.as_mut_ptr().add(p * NR), nw);
                    }
                    (bbuf.as_ptr(), NR)
                } else if offsets.is_some() {
                    (b.add(j), 0)
                } else {
                    (b.add(k0 * ldb + j), ldb)
                };
                let boffs = offsets.map_or(std::ptr::null(), |o| o[k0..].as_ptr());
                let mut i = 0;
                while i < m {
                    let mr = (m - i).min(MR);
                    let (ap, tars, tacs) = if pack_a {
                        (abuf.as_ptr().add(i * kc), 1, MR)
                    } else {
                        (a.add(i * ars + k0 * acs), ars, acs)
                    };
                    let t = Tile {
                        i,
                        j,
                        nw,
                        k: kc,
                        a: ap,
                        ars: tars,
                        acs: tacs,
                        b: bp,
                        ldb: bld,
                        boffs,
                        c,
                        ldc,
                        accumulate: accumulate || k0 > 0,
                    };
                    dispatch_tile(mr, &t);
                    i += mr;
                }
                j += NR;
            }
            k0 += kc;
        }
    });
}

/// Products with at most this many rows (3 row tiles: the implicit forward of 16-channel
/// convs, `conv_s1`) read gathered B rows in place instead of packing them: with so few tiles
/// per panel the copy cost more than the unaligned loads (16 → 16 at 32×32, 2 threads:
/// forward 2.83 → 2.39 ms, input gradient 2.62 → 2.42; ResNet-32 steps 303.2 → 294.9 ms).
const GATHER_DIRECT_ROWS: usize = 3 * MR;

/// Rows of a register tile of [`nn`].
const MR: usize = 6;
/// Columns of a register tile of [`nn`] (4 vectors).
const NR: usize = 64;
/// Depth of a reduction block of [`nn`] (B panel `KC × 64`: 64 KiB).
const KC: usize = 256;

/// Environment variable overriding [`KC`] (16 to 4096), read once per process: a knob for
/// timing the block depth on a quiet machine (`LAYCA_OPS_GEMM_KC=128 cargo xtask bench`: a
/// 32 KiB B panel stays in a 48 KiB L1). Another depth changes where partial sums are added
/// into C, so results differ in the last bits from the default.
pub(crate) const KC_ENV: &str = "LAYCA_OPS_GEMM_KC";

/// The reduction block depth of [`nn`]: [`KC`] unless [`KC_ENV`] names another.
fn kc_block() -> usize {
    static KC_BLOCK: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *KC_BLOCK.get_or_init(|| {
        std::env::var(KC_ENV)
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .map_or(KC, |v| v.clamp(16, 4096))
    })
}

/// Whether [`nn`] packs A: strided along the reduction, with more than one row tile (a
/// single tile reads each A element once anyway).
fn pack_a_wanted(m: usize, acs: usize) -> bool {
    acs != 1 && m > MR
}

/// Copies rows `0..m`, reduction steps `0..kc` of A (element `(i, p)` at `a[i·ars + p·acs]`)
/// into `m.div_ceil(6)` panels of `6 × kc` (panel `t`, element `(r, p)` at
/// `dst[t·6·kc + p·6 + r]`, rows past `m` zero).
///
/// # Safety
/// The view and `dst` (at least `m.div_ceil(6)·6·kc` elements) must lie in their allocations.
unsafe fn pack_a_block(m: usize, kc: usize, a: *const f32, ars: usize, acs: usize, dst: *mut f32) {
    for t in 0..m.div_ceil(MR) {
        let panel = dst.add(t * MR * kc);
        let rows = (m - t * MR).min(MR);
        let src = a.add(t * MR * ars);
        for p in 0..kc {
            let (s, d) = (src.add(p * acs), panel.add(p * MR));
            for r in 0..rows {
                *d.add(r) = *s.add(r * ars);
            }
            for r in rows..MR {
                *d.add(r) = 0.0;
            }
        }
    }
}

/// Copies `nw` floats (a row of a B panel, of a padded plane) with inline vector moves: a
/// `memcpy` call per row of 32–64 floats cost more than the copy itself (`perf`: the row
/// copies were most of the step's `memmove` time).
///
/// # Safety
/// `avx512f` must be available; `src[..nw]` readable, `dst[..nw]` writable, no overlap.
#[inline]
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn copy_row(src: *const f32, dst: *mut f32, nw: usize) {
    let mut v = 0;
    while v + 16 <= nw {
        _mm512_storeu_ps(dst.add(v), _mm512_loadu_ps(src.add(v)));
        v += 16;
    }
    if v < nw {
        let m = lane_mask(nw - v, 0);
        _mm512_mask_storeu_ps(dst.add(v), m, _mm512_maskz_loadu_ps(m, src.add(v)));
    }
}

/// `dst[j·ds + i] = src[i·ss + j]` for `i < rows`, `j < cols`: a strided transposition in
/// 16×16 register blocks (masked at the edges), for the channels-last copies of the conv
/// paths (`conv_s1`), which a scalar strided loop ran at about one element per cycle.
///
/// # Safety
/// `avx512f` must be available; every `src[i·ss + j]` readable and `dst[j·ds + i]` writable.
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn transpose_into(
    src: *const f32,
    ss: usize,
    rows: usize,
    cols: usize,
    dst: *mut f32,
    ds: usize,
) {
    let mut i0 = 0;
    while i0 < rows {
        let ri = (rows - i0).min(16);
        let store = lane_mask(ri, 0);
        let mut j0 = 0;
        while j0 < cols {
            let cj = (cols - j0).min(16);
            let load = lane_mask(cj, 0);
            // Full blocks without masks: masked loads and stores cost more even when every
            // lane is set (the kernel-gradient tiles ran 13 % faster unmasked).
            let mut r = [_mm512_setzero_ps(); 16];
            if cj == 16 {
                for (i, v) in r.iter_mut().enumerate().take(ri) {
                    *v = _mm512_loadu_ps(src.add((i0 + i) * ss + j0));
                }
            } else {
                for (i, v) in r.iter_mut().enumerate().take(ri) {
                    *v = _mm512_maskz_loadu_ps(load, src.add((i0 + i) * ss + j0));
                }
            }
            let t = transpose16(r);
            if ri == 16 {
                for (j, v) in t.iter().enumerate().take(cj) {
                    _mm512_storeu_ps(dst.add((j0 + j) * ds + i0), *v);
                }
            } else {
                for (j, v) in t.iter().enumerate().take(cj) {
                    _mm512_mask_storeu_ps(dst.add((j0 + j) * ds + i0), store, *v);
                }
            }
            j0 += 16;
        }
        i0 += 16;
    }
}

/// [`copy_row`] for `rows` rows of `len` floats, at row pitches `sp` (source) and `dp`
/// (destination): one call per plane instead of one per row of 8–32 floats.
///
/// # Safety
/// `avx512f` must be available; `src[r·sp..r·sp + len]` readable and `dst[r·dp..r·dp + len]`
/// writable for `r < rows`, no overlap.
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn copy_rows(
    src: *const f32,
    sp: usize,
    dst: *mut f32,
    dp: usize,
    rows: usize,
    len: usize,
) {
    for r in 0..rows {
        copy_row(src.add(r * sp), dst.add(r * dp), len);
    }
}

/// The transpose of a 16×16 block held as 16 row vectors: `out[j][i] = r[i][j]`.
///
/// # Safety
/// `avx512f` must be available.
#[inline]
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn transpose16(r: [__m512; 16]) -> [__m512; 16] {
    // 32-bit interleaves of row pairs, then 64-bit interleaves: u[4g + q], 128-bit lane L,
    // holds rows 4g..4g+4 of column 4L + q.
    let mut t = [_mm512_setzero_ps(); 16];
    for i in 0..8 {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    let mut u = [_mm512_setzero_ps(); 16];
    for g in 0..4 {
        let (a0, a1) = (_mm512_castps_pd(t[4 * g]), _mm512_castps_pd(t[4 * g + 2]));
        let (b0, b1) = (
            _mm512_castps_pd(t[4 * g + 1]),
            _mm512_castps_pd(t[4 * g + 3]),
        );
        u[4 * g] = _mm512_castpd_ps(_mm512_unpacklo_pd(a0, a1));
        u[4 * g + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a0, a1));
        u[4 * g + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b0, b1));
        u[4 * g + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b0, b1));
    }
    // 128-bit lane shuffles gather the four row groups of each column.
    let mut out = [_mm512_setzero_ps(); 16];
    for q in 0..4 {
        let v = _mm512_shuffle_f32x4::<0x88>(u[q], u[4 + q]);
        let w = _mm512_shuffle_f32x4::<0xdd>(u[q], u[4 + q]);
        let v2 = _mm512_shuffle_f32x4::<0x88>(u[8 + q], u[12 + q]);
        let w2 = _mm512_shuffle_f32x4::<0xdd>(u[8 + q], u[12 + q]);
        out[q] = _mm512_shuffle_f32x4::<0x88>(v, v2);
        out[8 + q] = _mm512_shuffle_f32x4::<0xdd>(v, v2);
        out[4 + q] = _mm512_shuffle_f32x4::<0x88>(w, w2);
        out[12 + q] = _mm512_shuffle_f32x4::<0xdd>(w, w2);
    }
    out
}

thread_local! {
    /// Per-thread panel buffers of [`nn`]: B (`KC × NR`) and A (`m × KC`, 6-row panels).
    static PACK: std::cell::RefCell<(Vec<f32>, Vec<f32>)> =
        const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
}

/// One register tile of [`nn`]: `a` points at the tile's first row (at its block's first
/// reduction step), `c` at C's origin.
struct Tile {
    i: usize,
    j: usize,
    nw: usize,
    k: usize,
    a: *const f32,
    ars: usize,
    acs: usize,
    b: *const f32,
    ldb: usize,
    /// Null, or B's rows gathered: row `p` at `b + boffs[p]` (`ldb` unused).
    boffs: *const usize,
    c: *mut f32,
    ldc: usize,
    accumulate: bool,
}

/// Lane mask of vector `v` (16 lanes) of a row segment `nw` wide.
#[inline(always)]
fn lane_mask(nw: usize, v: usize) -> __mmask16 {
    let lo = v * 16;
    if nw >= lo + 16 {
        0xffff
    } else if nw <= lo {
        0
    } else {
        ((1u32 << (nw - lo)) - 1) as __mmask16
    }
}

/// Runs the register tile of `mr` rows (1 to 6) and as many 16-lane vectors as the tile's
/// columns need: a narrow panel (the 48 columns of a 16-channel kernel-gradient row, the tail
/// of a 784-wide dense layer) does not spend FMAs on lanes that are all masked off.
///
/// # Safety
/// As [`tile`].
#[target_feature(enable = "avx512f")]
unsafe fn dispatch_tile(mr: usize, t: &Tile) {
    macro_rules! rows {
        ($nv:literal, $g:literal) => {
            match mr {
                6 => tile::<6, $nv, $g>(t),
                5 => tile::<5, $nv, $g>(t),
                4 => tile::<4, $nv, $g>(t),
                3 => tile::<3, $nv, $g>(t),
                2 => tile::<2, $nv, $g>(t),
                _ => tile::<1, $nv, $g>(t),
            }
        };
    }
    match (t.nw.div_ceil(16), t.boffs.is_null()) {
        (4, true) => rows!(4, false),
        (3, true) => rows!(3, false),
        (2, true) => rows!(2, false),
        (_, true) => rows!(1, false),
        (4, false) => rows!(4, true),
        (3, false) => rows!(3, true),
        (2, false) => rows!(2, true),
        (_, false) => rows!(1, true),
    }
}

/// `MR` rows × `NV` vectors (`NV·16 ≥ nw`) of C from one reduction block.
///
/// # Safety
/// `avx512f` must be available and the tile's views must lie in their allocations.
#[target_feature(enable = "avx512f")]
unsafe fn tile<const MR: usize, const NV: usize, const GATHER: bool>(t: &Tile) {
    let masks = lane_masks::<NV>(t.nw);
    let mut acc = [[_mm512_setzero_ps(); NV]; MR];
    let row_of = |p: usize| {
        if GATHER {
            t.b.add(*t.boffs.add(p))
        } else {
            t.b.add(p * t.ldb)
        }
    };
    let a_at = |p: usize, r: usize| *t.a.add(p * t.acs + r * t.ars);
    if t.nw == NV * 16 {
        for p in 0..t.k {
            rank1(&mut acc, &load_full(row_of(p)), |r| a_at(p, r));
        }
    } else {
        for p in 0..t.k {
            rank1(&mut acc, &load_masked(row_of(p), &masks), |r| a_at(p, r));
        }
    }
    store_tile(
        &acc,
        t.c.add(t.i * t.ldc + t.j),
        t.ldc,
        &masks,
        t.accumulate,
    );
}

/// The lane masks of a row segment `nw` wide over `NV` vectors ([`lane_mask`]).
#[inline(always)]
fn lane_masks<const NV: usize>(nw: usize) -> [__mmask16; NV] {
    let mut masks = [0 as __mmask16; NV];
    for (v, m) in masks.iter_mut().enumerate() {
        *m = lane_mask(nw, v);
    }
    masks
}

/// `NV` vectors from `p` (all lanes: masked loads cost more even with every lane set).
///
/// # Safety
/// `avx512f` must be available; `p[..16·NV]` readable.
#[inline(always)]
unsafe fn load_full<const NV: usize>(p: *const f32) -> [__m512; NV] {
    let mut bv = [_mm512_setzero_ps(); NV];
    for (v, x) in bv.iter_mut().enumerate() {
        *x = _mm512_loadu_ps(p.add(16 * v));
    }
    bv
}

/// `NV` vectors from `p`, lanes outside `masks` zero (and not read).
///
/// # Safety
/// `avx512f` must be available; the masked lanes of `p` readable.
#[inline(always)]
unsafe fn load_masked<const NV: usize>(p: *const f32, masks: &[__mmask16; NV]) -> [__m512; NV] {
    let mut bv = [_mm512_setzero_ps(); NV];
    for (v, x) in bv.iter_mut().enumerate() {
        *x = _mm512_maskz_loadu_ps(masks[v], p.add(16 * v));
    }
    bv
}

/// One reduction step of a register tile: `acc[r][v] += a(r) · b[v]`.
///
/// # Safety
/// `avx512f` must be available. These helpers are `inline(always)` without a
/// `target_feature` of their own: inlined into the tiles, which have it, they compile to
/// the same loop as code written in place (a `target_feature` helper taking the
/// accumulators by reference was not inlined and kept them in memory: forward tiles at a
/// third of their speed).
#[inline(always)]
unsafe fn rank1<const MR: usize, const NV: usize>(
    acc: &mut [[__m512; NV]; MR],
    b: &[__m512; NV],
    a: impl Fn(usize) -> f32,
) {
    for (r, accr) in acc.iter_mut().enumerate() {
        let av = _mm512_set1_ps(a(r));
        for v in 0..NV {
            accr[v] = _mm512_fmadd_ps(av, b[v], accr[v]);
        }
    }
}

/// Stores a register tile: `c[r·ldc + 16·v ..]` (`+=` with `accumulate`) in the lanes of
/// `masks[v]`; vectors with no lane set are skipped.
///
/// # Safety
/// `avx512f` must be available; those lanes of `c` writable (and readable with `accumulate`).
#[inline(always)]
unsafe fn store_tile<const MR: usize, const NV: usize>(
    acc: &[[__m512; NV]; MR],
    c: *mut f32,
    ldc: usize,
    masks: &[__mmask16; NV],
    accumulate: bool,
) {
    for (r, accr) in acc.iter().enumerate() {
        for (v, &x) in accr.iter().enumerate() {
            if masks[v] == 0 {
                continue;
            }
            let dst = c.add(r * ldc + 16 * v);
            let mut x = x;
            if accumulate {
                x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(masks[v], dst));
            }
            _mm512_mask_storeu_ps(dst, masks[v], x);
        }
    }
}

/// Calls `f::<MR, NV> args` for the channels-last tiles' shapes: `nv` 1 to 4 vectors, `mr`
/// up to 24 accumulators (16 for one vector: the row pointers must fit the registers).
macro_rules! by_tile_shape {
    ($what:literal, $mr:expr, $nv:expr, $f:ident $args:tt) => {
        by_tile_shape!(@arms $what, $mr, $nv, $f $args;
            1 => [1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16],
            2 => [1 2 3 4 5 6 7 8 9 10 11 12],
            3 => [1 2 3 4 5 6 7 8],
            4 => [1 2 3 4 5 6])
    };
    (@arms $what:literal, $mr:expr, $nv:expr, $f:ident $args:tt;
        $($v:literal => [$($m:literal)*]),*) => {
        match ($nv, $mr) {
            $($(($v, $m) => $f::<$m, $v> $args,)*)*
            (nv, mr) => unreachable!("{}: {mr} rows × {nv} vectors", $what),
        }
    };
}

/// One register tile of the channels-last implicit convolution (`conv_nhwc`): `mr` output
/// pixels × `nv` vectors of output channels over one block of input channels,
/// `out[r·ldo + v] (+)= Σ_t Σ_{q < cw} a[r][taps[t] + q] · panel[(t·cw + q)·16·nv + v]` for
/// `v < nw` (`a[r]` at the block's first channel). The panel is zero-padded to `16·nv`
/// columns, so only the stores are masked.
///
/// # Safety
/// `avx512f` must be available; `mr ≤ 24 / nv` (`nv` 2, 3 or 4); for `r < mr`,
/// `a[r][taps[t] + q]` readable for every tap and `q < cw`;
/// `panel[..taps.len()·cw·16·nv]` readable; rows `r < mr` of `out` (stride `ldo`) readable
/// and writable for `nw ≤ 16·nv` floats.
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn implicit_tile(
    mr: usize,
    nv: usize,
    a: &[*const f32],
    taps: &[usize],
    cw: usize,
    panel: *const f32,
    out: *mut f32,
    ldo: usize,
    nw: usize,
    accumulate: bool,
) {
    by_tile_shape!(
        "implicit_tile",
        mr,
        nv,
        implicit(a, taps, cw, panel, out, ldo, nw, accumulate)
    )
}

#[target_feature(enable = "avx512f")]
unsafe fn implicit<const MR: usize, const NV: usize>(
    a: &[*const f32],
    taps: &[usize],
    cw: usize,
    panel: *const f32,
    out: *mut f32,
    ldo: usize,
    nw: usize,
    accumulate: bool,
) {
    let mut acc = [[_mm512_setzero_ps(); NV]; MR];
    let mut b = panel;
    for &toff in taps {
        let mut ar = [std::ptr::null::<f32>(); MR];
        for (r, p) in ar.iter_mut().enumerate() {
            *p = a[r].add(toff);
        }
        for q in 0..cw {
            rank1(&mut acc, &load_full(b), |r| *ar[r].add(q));
            b = b.add(16 * NV);
        }
    }
    store_tile(&acc, out, ldo, &lane_masks::<NV>(nw), accumulate);
}

/// One register tile of the channels-last kernel gradient (`conv_nhwc`): `c[r·ldc + v] (+)=
/// Σ_g a[g·lda + r] · b[rows[g] + v]` (`+=` with `accumulate`) for `r < mr`, `v < nw ≤ 16·nv` (`a`: channels-last
/// `dY` at the tile's first output channel; `b`: the padded input at the tap and first input
/// channel; `rows`: the pixels' offsets).
///
/// # Safety
/// `avx512f` must be available; `mr ≤ 24 / nv` (`nv` 2, 3 or 4); `a[g·lda + r]` for `r < mr`
/// and `b[rows[g]..rows[g] + nw]`
/// readable for every `g`; rows `r < mr` of `c` (stride `ldc`) writable (and readable with
/// `accumulate`) for `nw` floats.
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn pixel_tile(
    mr: usize,
    nv: usize,
    a: *const f32,
    lda: usize,
    b: *const f32,
    rows: &[usize],
    c: *mut f32,
    ldc: usize,
    nw: usize,
    accumulate: bool,
) {
    by_tile_shape!(
        "pixel_tile",
        mr,
        nv,
        pixels(a, lda, b, rows, c, ldc, nw, accumulate)
    )
}

#[target_feature(enable = "avx512f")]
unsafe fn pixels<const MR: usize, const NV: usize>(
    a: *const f32,
    lda: usize,
    b: *const f32,
    rows: &[usize],
    c: *mut f32,
    ldc: usize,
    nw: usize,
    accumulate: bool,
) {
    let masks = lane_masks::<NV>(nw);
    let mut acc = [[_mm512_setzero_ps(); NV]; MR];
    // Pixel g's dY entries at a + g·lda.
    if nw == 16 * NV {
        for (g, &off) in rows.iter().enumerate() {
            rank1(&mut acc, &load_full(b.add(off)), |r| *a.add(g * lda + r));
        }
    } else {
        for (g, &off) in rows.iter().enumerate() {
            rank1(&mut acc, &load_masked(b.add(off), &masks), |r| {
                *a.add(g * lda + r)
            });
        }
    }
    store_tile(&acc, c, ldc, &masks, accumulate);
}

/// `relu` on 16 lanes, NaN kept as the scalar `relu` keeps it: `vmaxps(0, v)` returns `v`
/// unless `0 > v`.
#[inline]
#[target_feature(enable = "avx512f")]
fn relu16(v: __m512) -> __m512 {
    _mm512_max_ps(_mm512_setzero_ps(), v)
}

/// `v`, with 0 in the lanes where `key ≤ 0` (a NaN key keeps `v`).
#[inline]
#[target_feature(enable = "avx512f")]
fn zero_where_le0(v: __m512, key: __m512) -> __m512 {
    let zero = _mm512_setzero_ps();
    _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask::<_CMP_LE_OQ>(key, zero), zero)
}

/// The 16 lanes of a register, in order.
#[inline]
#[target_feature(enable = "avx512f")]
fn lanes16(v: __m512) -> [f32; 16] {
    let mut out = [0f32; 16];
    // SAFETY: `out` holds 16 floats.
    unsafe { _mm512_storeu_ps(out.as_mut_ptr(), v) };
    out
}

/// The 16 lane sums of the batch-norm reductions (`bn::lane_sum`): lane `l` accumulates
/// `f(v[l]), f(v[l + 16]), …` in that order, in one register, so every lane, and the f64
/// total the caller forms from the lanes, is bit-identical to the 16 scalar accumulators of
/// the generic code (which the compiler leaves scalar when a ReLU is fused in). `run` must
/// be a whole number of 16-float chunks; the caller adds the tail.
///
/// * [`BnLanes::Pre`]: `Σ pre(x)`, with `pre = relu` when `relu_before`, else identity;
/// * [`BnLanes::Sq`]: `Σ (pre(x) − μ)²` (a product and an add: no fused multiply-add).
#[derive(Clone, Copy)]
pub(crate) enum BnLanes {
    Pre,
    Sq(f32),
}

/// See [`BnLanes`].
///
/// # Safety
/// `avx512f` must be available.
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn bn_lanes(run: &[f32], relu_before: bool, what: BnLanes) -> [f32; 16] {
    let zero = _mm512_setzero_ps();
    let mut acc = zero;
    let (chunks, _) = run.as_chunks::<16>();
    for ch in chunks {
        let mut v = _mm512_loadu_ps(ch.as_ptr());
        if relu_before {
            v = relu16(v);
        }
        acc = match what {
            BnLanes::Pre => _mm512_add_ps(acc, v),
            BnLanes::Sq(mu) => {
                let t = _mm512_sub_ps(v, _mm512_set1_ps(mu));
                _mm512_add_ps(acc, _mm512_mul_ps(t, t))
            }
        };
    }
    lanes16(acc)
}

/// The two lane sums of the batch-norm backward (`bn::lane_sum2`): `Σ g` and
/// `Σ g·(pre(x) − μ)` with `g = dy`, or 0 where `y ≤ 0` when `relu_after`; bit-identical to
/// the generic lanes like [`bn_lanes`]. `x`, `y` and `dy` are equally long, whole 16-float
/// chunks.
///
/// # Safety
/// `avx512f` must be available.
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn bn_lanes2(
    x: &[f32],
    y: &[f32],
    dy: &[f32],
    relu_before: bool,
    relu_after: bool,
    mu: f32,
) -> ([f32; 16], [f32; 16]) {
    let zero = _mm512_setzero_ps();
    let muv = _mm512_set1_ps(mu);
    let (mut a1, mut a2) = (zero, zero);
    let (xc, _) = x.as_chunks::<16>();
    let (yc, _) = y.as_chunks::<16>();
    let (gc, _) = dy.as_chunks::<16>();
    for ((xv, yv), gv) in xc.iter().zip(yc).zip(gc) {
        let mut g = _mm512_loadu_ps(gv.as_ptr());
        if relu_after {
            g = zero_where_le0(g, _mm512_loadu_ps(yv.as_ptr()));
        }
        let mut v = _mm512_loadu_ps(xv.as_ptr());
        if relu_before {
            v = relu16(v);
        }
        a1 = _mm512_add_ps(a1, g);
        a2 = _mm512_add_ps(a2, _mm512_mul_ps(g, _mm512_sub_ps(v, muv)));
    }
    (lanes16(a1), lanes16(a2))
}

/// The batch-norm input gradient over whole 16-float chunks of one run (`bn::DxPass`):
/// `dx = 0` where `relu_before` and `x ≤ 0`, else `(a·g − u·pre(x)) + w` with `g = dy`, or 0
/// where `y ≤ 0` when `relu_after` (products and sums rounded one by one, as the generic
/// code: bit-identical). Writes `out[..x.len()]`; `x`, `y`, `dy` are equally long.
///
/// # Safety
/// `avx512f` must be available; `out` has room for `x.len()` floats.
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn bn_dx(
    x: &[f32],
    y: &[f32],
    dy: &[f32],
    out: *mut f32,
    [a, u, w]: [f32; 3],
    relu_before: bool,
    relu_after: bool,
) {
    let (av, uv, wv) = (_mm512_set1_ps(a), _mm512_set1_ps(u), _mm512_set1_ps(w));
    let (xc, _) = x.as_chunks::<16>();
    let (yc, _) = y.as_chunks::<16>();
    let (gc, _) = dy.as_chunks::<16>();
    for (i, ((xv, yv), gv)) in xc.iter().zip(yc).zip(gc).enumerate() {
        let mut g = _mm512_loadu_ps(gv.as_ptr());
        if relu_after {
            g = zero_where_le0(g, _mm512_loadu_ps(yv.as_ptr()));
        }
        let xr = _mm512_loadu_ps(xv.as_ptr());
        let v = if relu_before { relu16(xr) } else { xr };
        let mut r = _mm512_add_ps(
            _mm512_sub_ps(_mm512_mul_ps(av, g), _mm512_mul_ps(uv, v)),
            wv,
        );
        if relu_before {
            r = zero_where_le0(r, xr);
        }
        _mm512_storeu_ps(out.add(16 * i), r);
    }
}

/// `C (m × n, row stride ldc) (+)= A (m × k, row stride lda) · Bᵀ` with `B` (n × k, row
/// stride ldb).
///
/// # Safety
/// `avx512f` must be available ([`available`]) and every view must lie in its allocation.
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn nt(
    m: usize,
    n: usize,
    k: usize,
    a: *const f32,
    lda: usize,
    b: *const f32,
    ldb: usize,
    c: *mut f32,
    ldc: usize,
    accumulate: bool,
) {
    let mut i = 0;
    while i < m {
        let mr = (m - i).min(4);
        let mut j = 0;
        while j < n {
            let nr = (n - j).min(4);
            if mr == 4 && nr == 4 {
                dots::<4, 4>(i, j, k, a, lda, b, ldb, c, ldc, accumulate);
            } else {
                for r in 0..mr {
                    for s in 0..nr {
                        dots::<1, 1>(i + r, j + s, k, a, lda, b, ldb, c, ldc, accumulate);
                    }
                }
            }
            j += nr;
        }
        i += mr;
    }
}

#[target_feature(enable = "avx512f")]
unsafe fn dots<const MR: usize, const NR: usize>(
    i: usize,
    j: usize,
    k: usize,
    a: *const f32,
    lda: usize,
    b: *const f32,
    ldb: usize,
    c: *mut f32,
    ldc: usize,
    accumulate: bool,
) {
    let mut acc = [[_mm512_setzero_ps(); NR]; MR];
    let full = k / 16 * 16;
    let mut p = 0;
    while p < full {
        let mut bv = [_mm512_setzero_ps(); NR];
        for (s, v) in bv.iter_mut().enumerate() {
            *v = _mm512_loadu_ps(b.add((j + s) * ldb + p));
        }
        for (r, accr) in acc.iter_mut().enumerate() {
            let av = _mm512_loadu_ps(a.add((i + r) * lda + p));
            for s in 0..NR {
                accr[s] = _mm512_fmadd_ps(av, bv[s], accr[s]);
            }
        }
        p += 16;
    }
    if full < k {
        let mk = ((1u32 << (k - full)) - 1) as __mmask16;
        let mut bv = [_mm512_setzero_ps(); NR];
        for (s, v) in bv.iter_mut().enumerate() {
            *v = _mm512_maskz_loadu_ps(mk, b.add((j + s) * ldb + full));
        }
        for (r, accr) in acc.iter_mut().enumerate() {
            let av = _mm512_maskz_loadu_ps(mk, a.add((i + r) * lda + full));
            for s in 0..NR {
                accr[s] = _mm512_fmadd_ps(av, bv[s], accr[s]);
            }
        }
    }
    for (r, accr) in acc.iter().enumerate() {
        for (s, v) in accr.iter().enumerate() {
            let x = _mm512_reduce_add_ps(*v);
            let dst = c.add((i + r) * ldc + j + s);
            *dst = if accumulate { *dst + x } else { x };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `len` deterministic values in [−0.5, 0.5), exact in f32 (multiples of 1/4096).
    fn vals(len: usize, s: u32) -> Vec<f32> {
        (0..len)
            .map(|i| {
                ((i as u32).wrapping_mul(2654435761).wrapping_add(s) >> 20) as f32 / 4096.0 - 0.5
            })
            .collect()
    }

    #[test]
    fn transpose16_transposes() {
        if !available() {
            println!(
                "skipped: no AVX-512 on this CPU (or {} set)",
                crate::NO_AVX512_ENV
            );
            return;
        }
        let m: Vec<f32> = (0..256).map(|i| i as f32).collect();
        // SAFETY: AVX-512 checked above; every load and store is inside its 256-float buffer.
        let out = unsafe {
            let mut r = [_mm512_setzero_ps(); 16];
            for (i, v) in r.iter_mut().enumerate() {
                *v = _mm512_loadu_ps(m.as_ptr().add(16 * i));
            }
            let t = transpose16(r);
            let mut out = vec![0f32; 256];
            for (j, v) in t.iter().enumerate() {
                _mm512_storeu_ps(out.as_mut_ptr().add(16 * j), *v);
            }
            out
        };
        for i in 0..16 {
            for j in 0..16 {
                assert_eq!(out[16 * j + i], m[16 * i + j], "({i}, {j})");
            }
        }
    }

    #[test]
    fn transpose_into_matches_scalar_with_edges() {
        if !available() {
            println!(
                "skipped: no AVX-512 on this CPU (or {} set)",
                crate::NO_AVX512_ENV
            );
            return;
        }
        for &(rows, cols) in &[(16, 16), (3, 5), (17, 33), (64, 32), (40, 7), (1, 1)] {
            let (ss, ds) = (cols + 2, rows + 3);
            let src: Vec<f32> = (0..rows * ss).map(|i| i as f32 + 0.5).collect();
            let mut dst = vec![-1f32; cols * ds];
            // SAFETY: AVX-512 checked above; the strides keep every access in its vector.
            unsafe { transpose_into(src.as_ptr(), ss, rows, cols, dst.as_mut_ptr(), ds) };
            for j in 0..cols {
                for i in 0..ds {
                    let want = if i < rows { src[i * ss + j] } else { -1.0 };
                    assert_eq!(dst[j * ds + i], want, "{rows}x{cols} at ({i}, {j})");
                }
            }
        }
    }

    /// Gathered B rows (an implicit im2col) read in place (at most `GATHER_DIRECT_ROWS` rows)
    /// and packed (more): the same bits as the same product on the gathered rows copied out
    /// into a row-major B, with column tails and several reduction blocks.
    #[test]
    fn gathered_rows_match_the_copied_product() {
        if !available() {
            println!(
                "skipped: no AVX-512 on this CPU (or {} set)",
                crate::NO_AVX512_ENV
            );
            return;
        }
        let (n, k) = (70, 300);
        let src = vals(2000, 3);
        // Overlapping, unaligned rows, in no particular order.
        let offsets: Vec<usize> = (0..k).map(|p| (p * 37 + p / 7) % (2000 - n)).collect();
        let mut bmat = vec![0f32; k * n];
        for (p, &o) in offsets.iter().enumerate() {
            bmat[p * n..(p + 1) * n].copy_from_slice(&src[o..o + n]);
        }
        for m in [4, GATHER_DIRECT_ROWS, GATHER_DIRECT_ROWS + 1, 31] {
            let a = vals(m * k, 1);
            let mut got = vec![0f32; m * n];
            let mut want = vec![0f32; m * n];
            // SAFETY: AVX-512 checked above; every offset + n lies in `src`, all other views
            // inside their vectors.
            unsafe {
                nn_gathered(
                    m,
                    n,
                    a.as_ptr(),
                    k,
                    src.as_ptr(),
                    &offsets,
                    got.as_mut_ptr(),
                    n,
                );
                nn_packing(
                    m,
                    n,
                    k,
                    a.as_ptr(),
                    k,
                    1,
                    bmat.as_ptr(),
                    BRows::Strided(n),
                    want.as_mut_ptr(),
                    n,
                    false,
                    false,
                );
            }
            assert!(
                got.iter()
                    .zip(&want)
                    .all(|(x, y)| x.to_bits() == y.to_bits()),
                "m = {m}"
            );
        }
    }

    /// Packing A changes where the tiles read A from, never the order of the products: both
    /// paths give bit-identical results, on transposed and row-major A, with row and column
    /// tails, several reduction blocks and accumulation.
    #[test]
    fn packed_a_is_bit_identical_to_unpacked() {
        if !available() {
            println!(
                "skipped: no AVX-512 on this CPU (or {} set)",
                crate::NO_AVX512_ENV
            );
            return;
        }
        for &(m, n, k) in &[(7, 70, 33), (13, 64, 600), (20, 130, 257), (6, 16, 5)] {
            let a = vals(m * k, 1);
            let b = vals(k * n, 2);
            for (ars, acs) in [(1, m), (k, 1)] {
                for accumulate in [false, true] {
                    let mut c = [vec![0.25f32; m * n], vec![0.25f32; m * n]];
                    for (pack, c) in [true, false].into_iter().zip(c.iter_mut()) {
                        // SAFETY: AVX-512 checked above; all views are inside their vectors.
                        unsafe {
                            nn_packing(
                                m,
                                n,
                                k,
                                a.as_ptr(),
                                ars,
                                acs,
                                b.as_ptr(),
                                BRows::Strided(n),
                                c.as_mut_ptr(),
                                n,
                                accumulate,
                                pack,
                            )
                        };
                    }
                    assert_eq!(c[0], c[1], "{m}x{n}x{k} ars={ars} acc={accumulate}");
                    assert!(c[0].iter().any(|&v| v != 0.25));
                }
            }
        }
    }
}
