//! A bounds-checked wrapper over the `gemm` crate (the packed GEMM that candle itself uses).

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
                dst[i * dst_rs..i * dst_rs + n].fill(T::zero());
            }
        }
        return;
    }
    if k > m && k > n {
        // SAFETY: all views were checked to lie inside their slices; dst is a distinct &mut.
        unsafe {
            gemm::gemm(
                m,
                n,
                k,
                dst.as_mut_ptr(),
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
    let run = |dst: &mut [T], row0: usize, rows: usize| {
        // SAFETY: rows row0..row0+rows of lhs and dst were checked above to be in bounds.
        unsafe {
            T::mm(
                rows,
                k,
                n,
                lhs.data.as_ptr().add(row0 * lhs.rs),
                lhs.rs as isize,
                lhs.cs as isize,
                rhs.data.as_ptr(),
                rhs.rs as isize,
                rhs.cs as isize,
                beta,
                dst.as_mut_ptr(),
                dst_rs as isize,
                1,
            )
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

/// Parallelism for one GEMM that runs alone (not inside a parallel loop).
pub(crate) fn solo() -> Parallelism {
    let t = crate::util::threads();
    if t > 1 {
        Parallelism::Rayon(t)
    } else {
        Parallelism::None
    }
}
