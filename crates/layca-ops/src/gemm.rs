//! A bounds-checked wrapper over the `gemm` crate (the packed GEMM that candle itself uses).

use std::mem::MaybeUninit;

use gemm::Parallelism;

use crate::util::Real;

/// A strided matrix view: element `(i, j)` is `data[i * rs + j * cs]`.
#[derive(Clone, Copy)]
pub(crate) struct Mat<'a, T> {
    pub data: &'a [T],
    pub rs: usize,
    pub cs: usize,
}

impl<'a, T> Mat<'a, T> {
    /// Row-major `rows × cols` view.
    pub fn rows(data: &'a [T], cols: usize) -> Self {
        Self {
            data,
            rs: cols,
            cs: 1,
        }
    }
    /// The transpose of a row-major `rows × cols` matrix, as a `cols × rows` view.
    pub fn rows_t(data: &'a [T], cols: usize) -> Self {
        Self {
            data,
            rs: 1,
            cs: cols,
        }
    }
    fn fits(&self, m: usize, n: usize) -> bool {
        m == 0 || n == 0 || (m - 1) * self.rs + (n - 1) * self.cs < self.data.len()
    }
}

/// `dst (m × n, row-major with row stride dst_rs) (+)= lhs (m × k) · rhs (k × n)`.
///
/// Two packed-GEMM back ends, chosen by shape (measured on AVX-512 Xeon cores, 1 thread):
/// `matrixmultiply` where the output is large relative to the reduction (conv forward
/// 16×1024×144: 34 vs 18 GFLOP/s; input gradient 144×1024×16: 41 vs 22; MLP 2048×784×784:
/// 48 vs 35), the `gemm` crate for reduction-dominated products (kernel gradient
/// 16×144×1024: 18 vs 13). `par` splits the rows of `dst` over rayon tasks
/// (`Parallelism::Rayon`) or runs on the calling thread (`Parallelism::None`).
///
/// Panics (a bug, never bad user input: the callers check shapes) if a view is out of bounds.
#[allow(clippy::too_many_arguments)]
pub(crate) fn matmul<T: Real>(
    dst: &mut [T],
    dst_rs: usize,
    accumulate: bool,
    lhs: Mat<'_, T>,
    rhs: Mat<'_, T>,
    m: usize,
    n: usize,
    k: usize,
    par: Parallelism,
) {
    // SAFETY: MaybeUninit<T> has T's layout, and `matmul_into` only ever stores initialised
    // values, so `dst` stays initialised.
    let dst = unsafe { &mut *(dst as *mut [T] as *mut [MaybeUninit<T>]) };
    matmul_into(dst, dst_rs, accumulate, lhs, rhs, m, n, k, par)
}

/// [`matmul`] with `accumulate` false into a destination that need not be initialised
/// (a kernel output about to be overwritten: no `vec![0; len]` memset first). Every element
/// of the `m × n` view is written and none is read: the back ends do not read C without
/// accumulation (`gemm`'s `read_dst`, β = 0 for `matrixmultiply` and MKL, the AVX-512 tiles'
/// first reduction block).
#[allow(clippy::too_many_arguments)]
pub(crate) fn matmul_uninit<T: Real>(
    dst: &mut [MaybeUninit<T>],
    dst_rs: usize,
    lhs: Mat<'_, T>,
    rhs: Mat<'_, T>,
    m: usize,
    n: usize,
    k: usize,
    par: Parallelism,
) {
    matmul_into(dst, dst_rs, false, lhs, rhs, m, n, k, par)
}

#[allow(clippy::too_many_arguments)]
fn matmul_into<T: Real>(
    dst: &mut [MaybeUninit<T>],
    dst_rs: usize,
    accumulate: bool,
    lhs: Mat<'_, T>,
    rhs: Mat<'_, T>,
    m: usize,
    n: usize,
    k: usize,
    par: Parallelism,
) {
    assert!(
        lhs.fits(m, k) && rhs.fits(k, n),
        "layca-ops gemm: operand view out of bounds"
    );
    assert!(
        m == 0 || n == 0 || (m - 1) * dst_rs + n <= dst.len(),
        "layca-ops gemm: destination out of bounds"
    );
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            for i in 0..m {
                dst[i * dst_rs..i * dst_rs + n].fill(MaybeUninit::new(T::zero()));
            }
        }
        return;
    }
    let backend = choose(lhs, rhs, m, n, k);
    if backend == Backend::Gemm {
        // SAFETY: all views were checked to lie inside their slices; dst is a distinct &mut.
        unsafe {
            gemm::gemm(
                m,
                n,
                k,
                dst.as_mut_ptr() as *mut T,
                1,
                dst_rs as isize,
                accumulate,
                lhs.data.as_ptr(),
                lhs.cs as isize,
                lhs.rs as isize,
                rhs.data.as_ptr(),
                rhs.cs as isize,
                rhs.rs as isize,
                T::one(),
                T::one(),
                false,
                false,
                false,
                par,
            )
        }
        return;
    }
    let beta = if accumulate { T::one() } else { T::zero() };
    let run = |dst: &mut [MaybeUninit<T>], row0: usize, rows: usize| {
        let a = lhs.data[row0 * lhs.rs..].as_ptr();
        // SAFETY: rows row0..row0+rows of lhs and dst were checked above to be in bounds;
        // the SIMD back ends are only chosen for f32 on CPUs with AVX-512.
        unsafe {
            match backend {
                #[cfg(target_arch = "x86_64")]
                Backend::SimdNn => crate::avx512::nn(
                    rows,
                    n,
                    k,
                    a as *const f32,
                    lhs.rs,
                    lhs.cs,
                    rhs.data.as_ptr() as *const f32,
                    rhs.rs,
                    dst.as_mut_ptr() as *mut f32,
                    dst_rs,
                    accumulate,
                ),
                #[cfg(target_arch = "x86_64")]
                Backend::SimdNt => crate::avx512::nt(
                    rows,
                    n,
                    k,
                    a as *const f32,
                    lhs.rs,
                    rhs.data.as_ptr() as *const f32,
                    rhs.cs,
                    dst.as_mut_ptr() as *mut f32,
                    dst_rs,
                    accumulate,
                ),
                #[cfg(feature = "mkl")]
                Backend::Mkl => crate::mkl::get().expect("chosen only when loaded").sgemm(
                    rows,
                    n,
                    k,
                    (a as *const f32, lhs.rs, lhs.cs),
                    (rhs.data.as_ptr() as *const f32, rhs.rs, rhs.cs),
                    dst.as_mut_ptr() as *mut f32,
                    dst_rs,
                    accumulate,
                ),
                _ => T::mm(
                    rows,
                    k,
                    n,
                    a,
                    lhs.rs as isize,
                    lhs.cs as isize,
                    rhs.data.as_ptr(),
                    rhs.rs as isize,
                    rhs.cs as isize,
                    beta,
                    dst.as_mut_ptr() as *mut T,
                    dst_rs as isize,
                    1,
                ),
            }
        }
    };
    match par {
        Parallelism::Rayon(t) if t > 1 && m >= 2 * t => {
            use rayon::prelude::*;
            let per = m.div_ceil(t);
            // Chunks of whole rows: the last chunk may be shorter than per·dst_rs.
            dst[..(m - 1) * dst_rs + n]
                .par_chunks_mut(per * dst_rs)
                .enumerate()
                .for_each(|(i, chunk)| {
                    let row0 = i * per;
                    run(chunk, row0, per.min(m - row0));
                });
        }
        _ => run(dst, 0, m),
    }
}

/// Whether MKL's sgemm is loaded and takes the f32 products it suits (feature `mkl`).
pub(crate) fn mkl_loaded() -> bool {
    #[cfg(feature = "mkl")]
    {
        crate::mkl::get().is_some()
    }
    #[cfg(not(feature = "mkl"))]
    {
        false
    }
}

/// GEMM back ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    /// [`crate::avx512::nn`].
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    SimdNn,
    /// [`crate::avx512::nt`].
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    SimdNt,
    /// `matrixmultiply`.
    Mm,
    /// The `gemm` crate.
    Gemm,
    /// MKL's `cblas_sgemm` (feature `mkl`, large f32 products).
    #[cfg(feature = "mkl")]
    Mkl,
}

/// Picks the back end by operand layout and shape (measurements, 1 thread, AVX-512 Xeon at
/// 2.5 GHz, GFLOP/s):
///
/// | product (m×n×k) | AVX-512 here | matrixmultiply | gemm |
/// |---|---|---|---|
/// | conv forward 16×1024×144 | 47 | 34 | 18 |
/// | conv forward 64×64×576 | 71 | 40 | 47 |
/// | conv input gradient 144×1024×16 | 44 | 41 | 22 |
/// | MLP forward 2048×784×784 | 51–61 | 45 | 35 |
/// | conv kernel gradient 16×144×1024 (Bᵀ) | 38 | 14 | 23 |
/// | conv kernel gradient 64×576×64 (Bᵀ) | 22 | 40 | 48 |
/// | MLP kernel gradient 784×784×2048 (Aᵀ) | 24 | 50 | 34 |
fn choose<T: Real>(lhs: Mat<'_, T>, rhs: Mat<'_, T>, m: usize, n: usize, k: usize) -> Backend {
    let reduction_heavy = k > m && k > n;
    #[cfg(feature = "mkl")]
    if std::any::TypeId::of::<T>() == std::any::TypeId::of::<f32>()
        && crate::mkl::suits((lhs.rs, lhs.cs), (rhs.rs, rhs.cs), m, n, k)
    {
        return Backend::Mkl;
    }
    #[cfg(target_arch = "x86_64")]
    {
        use std::any::TypeId;
        if TypeId::of::<T>() == TypeId::of::<f32>() && crate::avx512::available() {
            // B contiguous along n, A read along rows (broadcasts), moderate reduction.
            if rhs.cs == 1 && lhs.cs == 1 && k <= 4096 && !reduction_heavy {
                return Backend::SimdNn;
            }
            // Both contiguous along a long reduction (the stride-1 conv kernel gradient from
            // shifted channels-last views, `conv_s1`): the tiles store C once per block.
            if rhs.cs == 1 && lhs.cs == 1 && reduction_heavy && n >= 16 {
                return Backend::SimdNn;
            }
            // Transposed A (conv input gradient Wᵀ·dY): still fine when A is small.
            if rhs.cs == 1 && k <= 4096 && !reduction_heavy && m * k <= 1 << 20 {
                return Backend::SimdNn;
            }
            // Transposed A of any depth (dense kernel gradient Xᵀ·dY, 784×784×2048 for the
            // MLP): `nn` packs A into contiguous 6-row panels, so the reduction can be long.
            if rhs.cs == 1 && lhs.cs != 1 && m > 6 && n >= 16 {
                return Backend::SimdNn;
            }
            // Both operands contiguous along a long reduction with few output rows.
            if lhs.cs == 1 && rhs.rs == 1 && k >= 512 && m <= 16 {
                return Backend::SimdNt;
            }
        }
    }
    if reduction_heavy && m * n < 1 << 16 {
        Backend::Gemm
    } else {
        Backend::Mm
    }
}

/// Parallelism for one GEMM that runs alone (not inside a parallel loop).
pub(crate) fn solo() -> Parallelism {
    let t = crate::util::threads();
    if t > 1 {
        Parallelism::Rayon(t)
    } else {
        Parallelism::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::too_many_arguments)]
    fn naive(
        a: &[f32],
        ars: usize,
        acs: usize,
        b: &[f32],
        brs: usize,
        bcs: usize,
        m: usize,
        n: usize,
        k: usize,
    ) -> Vec<f32> {
        let mut c = vec![0f32; m * n];
        for i in 0..m {
            for j in 0..n {
                let mut s = 0f64;
                for p in 0..k {
                    s += a[i * ars + p * acs] as f64 * b[p * brs + j * bcs] as f64;
                }
                c[i * n + j] = s as f32;
            }
        }
        c
    }

    /// Every back end (AVX-512 NN / NT where available, matrixmultiply, gemm, with and
    /// without accumulation) against a naive f64-accumulated product, on shapes with tails.
    #[test]
    fn all_gemm_paths_match_a_naive_product() {
        let vals = |len: usize, s: u32| -> Vec<f32> {
            (0..len)
                .map(|i| {
                    (((i as u32).wrapping_mul(2654435761).wrapping_add(s) >> 16) % 97) as f32 / 48.0
                        - 1.0
                })
                .collect()
        };
        for &(m, n, k) in &[
            (1, 1, 1),
            (7, 70, 33),
            (16, 130, 600),
            (13, 64, 17),
            (6, 65, 1000),
            (3, 5, 700),
        ] {
            // A row-major or transposed, B row-major (NN) or transposed (NT)
            for (a_t, b_t) in [(false, false), (true, false), (false, true)] {
                let a = vals(m * k, 1);
                let b = vals(k * n, 2);
                let (ars, acs) = if a_t { (1, m) } else { (k, 1) };
                let (brs, bcs) = if b_t { (1, k) } else { (n, 1) };
                let want = naive(&a, ars, acs, &b, brs, bcs, m, n, k);
                for accumulate in [false, true] {
                    for par in [Parallelism::None, Parallelism::Rayon(2)] {
                        let mut c = vec![0.5f32; m * n];
                        matmul(
                            &mut c,
                            n,
                            accumulate,
                            Mat {
                                data: &a,
                                rs: ars,
                                cs: acs,
                            },
                            Mat {
                                data: &b,
                                rs: brs,
                                cs: bcs,
                            },
                            m,
                            n,
                            k,
                            par,
                        );
                        for (i, (&got, &w)) in c.iter().zip(&want).enumerate() {
                            let w = if accumulate { w + 0.5 } else { w };
                            assert!((got - w).abs() <= 1e-4 * (1.0 + w.abs()) * (k as f32).sqrt(), "{m}x{n}x{k} a_t={a_t} b_t={b_t} acc={accumulate} [{i}]: {got} vs {w}");
                        }
                    }
                }
            }
        }
    }
}
