//! Unpacked AVX-512 f32 GEMM kernels for the conv shapes, where a general packed GEMM spends
//! much of its time packing (measured, 1 thread, AVX-512 Xeon @ 2.5 GHz: conv forward
//! 16×1024×144 at 47 GFLOP/s vs 34 for `matrixmultiply` and 18 for `gemm`; kernel gradient
//! 16×144×1024 at 38 vs 23).
//!
//! * [`nn`]: `C (+)= A·B` with `B` row-major (contiguous along `n`): register tiles of 6 rows
//!   × 64 columns (24 accumulators), `A` entries broadcast, `B` rows streamed; masked loads
//!   and stores for the column tail.
//! * [`nt`]: `C (+)= A·Bᵀ` with `A` and `B` row-major (contiguous along `k`): 4×4 tiles of
//!   16-lane dot products, reduced at the end.
//!
//! Selected at run time (`is_x86_feature_detected!("avx512f")`); the packed GEMMs remain the
//! path on other CPUs and for f64.
#![allow(clippy::too_many_arguments)]

use std::arch::x86_64::*;

/// Whether the kernels can run on this CPU.
pub(crate) fn available() -> bool {
    std::is_x86_feature_detected!("avx512f")
}

/// `C (m × n, row stride ldc) (+)= A (m × k; element (i, p) at a[i·ars + p·acs]) · B (k × n,
/// row stride ldb)`, in 64-column panels and 256-deep blocks of the reduction.
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
    const NR: usize = 64;
    const KC: usize = 256;
    // With more than one row tile, each 64-column panel of B (KC rows at a time) is copied to
    // a contiguous buffer first: B's row stride is often a multiple of 4 KiB (1024 conv
    // outputs), which maps every row of the panel to the same L1 sets.
    let pack = m > 6;
    PACK.with(|buf| {
        let mut buf = buf.borrow_mut();
        if pack && buf.len() < KC * NR {
            buf.resize(KC * NR, 0.0);
        }
        let mut j = 0;
        while j < n {
            let nw = (n - j).min(NR);
            let mut k0 = 0;
            while k0 < k {
                let kc = (k - k0).min(KC);
                let (bp, bld) = if pack {
                    for p in 0..kc {
                        std::ptr::copy_nonoverlapping(
                            b.add((k0 + p) * ldb + j),
                            buf.as_mut_ptr().add(p * NR),
                            nw,
                        );
                    }
                    (buf.as_ptr(), NR)
                } else {
                    (b.add(k0 * ldb + j), ldb)
                };
                let mut i = 0;
                while i < m {
                    let mr = (m - i).min(6);
                    let t = Tile {
                        i,
                        j,
                        nw,
                        k: kc,
                        a: a.add(k0 * acs),
                        ars,
                        acs,
                        b: bp,
                        ldb: bld,
                        c,
                        ldc,
                        accumulate: accumulate || k0 > 0,
                    };
                    match mr {
                        6 => tile::<6>(&t),
                        5 => tile::<5>(&t),
                        4 => tile::<4>(&t),
                        3 => tile::<3>(&t),
                        2 => tile::<2>(&t),
                        _ => tile::<1>(&t),
                    }
                    i += mr;
                }
                k0 += kc;
            }
            j += NR;
        }
    });
}

thread_local! {
    /// Per-thread panel buffer of [`nn`].
    static PACK: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
}

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

#[target_feature(enable = "avx512f")]
unsafe fn tile<const MR: usize>(t: &Tile) {
    let masks = [
        lane_mask(t.nw, 0),
        lane_mask(t.nw, 1),
        lane_mask(t.nw, 2),
        lane_mask(t.nw, 3),
    ];
    let mut acc = [[_mm512_setzero_ps(); 4]; MR];
    let bp = t.b;
    let ap = t.a.add(t.i * t.ars);
    if t.nw == 64 {
        for p in 0..t.k {
            let row = bp.add(p * t.ldb);
            let bv = [
                _mm512_loadu_ps(row),
                _mm512_loadu_ps(row.add(16)),
                _mm512_loadu_ps(row.add(32)),
                _mm512_loadu_ps(row.add(48)),
            ];
            let ak = ap.add(p * t.acs);
            for (r, accr) in acc.iter_mut().enumerate() {
                let av = _mm512_set1_ps(*ak.add(r * t.ars));
                for v in 0..4 {
                    accr[v] = _mm512_fmadd_ps(av, bv[v], accr[v]);
                }
            }
        }
    } else {
        for p in 0..t.k {
            let row = bp.add(p * t.ldb);
            let bv = [
                _mm512_maskz_loadu_ps(masks[0], row),
                _mm512_maskz_loadu_ps(masks[1], row.add(16)),
                _mm512_maskz_loadu_ps(masks[2], row.add(32)),
                _mm512_maskz_loadu_ps(masks[3], row.add(48)),
            ];
            let ak = ap.add(p * t.acs);
            for (r, accr) in acc.iter_mut().enumerate() {
                let av = _mm512_set1_ps(*ak.add(r * t.ars));
                for v in 0..4 {
                    accr[v] = _mm512_fmadd_ps(av, bv[v], accr[v]);
                }
            }
        }
    }
    for (r, accr) in acc.iter().enumerate() {
        let crow = t.c.add((t.i + r) * t.ldc + t.j);
        for v in 0..4 {
            if masks[v] == 0 {
                continue;
            }
            let dst = crow.add(16 * v);
            let mut x = accr[v];
            if t.accumulate {
                x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(masks[v], dst));
            }
            _mm512_mask_storeu_ps(dst, masks[v], x);
        }
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
