//! Intel MKL's `cblas_sgemm` for the large f32 products (feature `mkl`), loaded at run time.
//!
//! Measured on this project's AVX-512 Xeon (1 thread, GFLOP/s, MKL 2025.2 sequential vs
//! `layca-ops`' register tiles, m×n×k): MLP 2048×784×784 205 vs 136; conv forward 16×1024×144
//! 155 vs 116, 64×512×576 180 vs 138, 512×512×4608 181 vs 147; conv kernel gradient (Bᵀ)
//! 64×576×512 184 vs 151, 512×4608×512 200 vs 149; conv input gradient 576×512×64 213 vs 197;
//! narrow 8×512×72 118 vs 94, but 4×1024×36 77 vs 113. So [`suits`] takes every BLAS-shaped
//! f32 product with at least 8 rows and 64 columns and reduction steps.
//!
//! The library is opened with `dlopen` (no link-time dependency: a build with the feature
//! runs unchanged where MKL is absent, on the kernels of `avx512.rs`), from
//! [`MKL_LIB_ENV`] or else `~/.cache/layca/mkl-2025.2.0/lib/libmkl_rt.so.2` (what
//! `scripts/mkl-fetch.sh` installs from the PyPI wheel). It runs on MKL's sequential
//! threading layer (the callers already split rows over rayon threads) with conditional
//! numerical reproducibility `AUTO | STRICT`: the same product gives the same bits on every
//! call, whatever the alignment of the operands, so training stays deterministic.

use std::ffi::{c_char, c_int};
use std::sync::OnceLock;

/// Environment variable naming the `libmkl_rt` to load (a path).
pub const MKL_LIB_ENV: &str = "LAYCA_MKL_LIB";

const ROW_MAJOR: c_int = 101;
const NO_TRANS: c_int = 111;
const TRANS: c_int = 112;
const THREADING_SEQUENTIAL: c_int = 1;
const CBWR_AUTO_STRICT: c_int = 2 | 0x10000;
const CBWR_SUCCESS: c_int = 0;

type Sgemm = unsafe extern "C" fn(
    c_int,
    c_int,
    c_int,
    c_int,
    c_int,
    c_int,
    f32,
    *const f32,
    c_int,
    *const f32,
    c_int,
    f32,
    *mut f32,
    c_int,
);

/// The loaded library and its `cblas_sgemm`.
pub(crate) struct Mkl {
    _lib: libloading::Library,
    sgemm: Sgemm,
    version: String,
}

/// The outcome of loading MKL, once per process.
fn state() -> &'static Result<Mkl, String> {
    static STATE: OnceLock<Result<Mkl, String>> = OnceLock::new();
    STATE.get_or_init(load)
}

fn default_path() -> Option<std::path::PathBuf> {
    let home = std::env::var_os("HOME")?;
    Some(std::path::Path::new(&home).join(".cache/layca/mkl-2025.2.0/lib/libmkl_rt.so.2"))
}

fn load() -> Result<Mkl, String> {
    let path = match std::env::var_os(MKL_LIB_ENV) {
        Some(p) => std::path::PathBuf::from(p),
        None => default_path().ok_or("HOME is not set and LAYCA_MKL_LIB names no library")?,
    };
    // SAFETY: loading runs the library's initialisers; libmkl_rt is a plain C library.
    let lib = unsafe { libloading::Library::new(&path) }.map_err(|e| {
        format!(
            "cannot load {}: {e} (run scripts/mkl-fetch.sh or set {MKL_LIB_ENV})",
            path.display()
        )
    })?;
    // SAFETY: the symbols are looked up with their C signatures from mkl_cblas.h / mkl_service.h.
    unsafe {
        let sgemm: Sgemm = *lib
            .get::<Sgemm>(b"cblas_sgemm\0")
            .map_err(|e| format!("{}: no cblas_sgemm: {e}", path.display()))?;
        let layer = lib
            .get::<unsafe extern "C" fn(c_int) -> c_int>(b"MKL_Set_Threading_Layer\0")
            .map_err(|e| format!("{}: no MKL_Set_Threading_Layer: {e}", path.display()))?;
        if layer(THREADING_SEQUENTIAL) != THREADING_SEQUENTIAL {
            return Err(format!(
                "{}: the sequential threading layer is unavailable",
                path.display()
            ));
        }
        let cbwr = lib
            .get::<unsafe extern "C" fn(c_int) -> c_int>(b"MKL_CBWR_Set\0")
            .map_err(|e| format!("{}: no MKL_CBWR_Set: {e}", path.display()))?;
        let code = cbwr(CBWR_AUTO_STRICT);
        if code != CBWR_SUCCESS {
            return Err(format!(
                "{}: MKL_CBWR_Set(AUTO|STRICT) failed ({code})",
                path.display()
            ));
        }
        let version = lib
            .get::<unsafe extern "C" fn(*mut c_char, c_int)>(b"MKL_Get_Version_String\0")
            .map(|f| {
                let mut buf = [0 as c_char; 256];
                f(buf.as_mut_ptr(), buf.len() as c_int);
                std::ffi::CStr::from_ptr(buf.as_ptr())
                    .to_string_lossy()
                    .trim()
                    .to_string()
            })
            .unwrap_or_else(|_| "unknown version".into());
        Ok(Mkl {
            _lib: lib,
            sgemm,
            version,
        })
    }
}

/// The library, if it loaded.
pub(crate) fn get() -> Option<&'static Mkl> {
    state().as_ref().ok()
}

/// What the `mkl` feature does in this process: the library's version string, or why it
/// could not be loaded (the register-tile kernels then run every product).
pub fn status() -> Result<&'static str, &'static str> {
    match state() {
        Ok(m) => Ok(&m.version),
        Err(e) => Err(e),
    }
}

/// An operand `rows × cols` (element `(i, j)` at `i·rs + j·cs`) as a BLAS row-major operand:
/// its transpose flag and leading dimension.
fn blas_view(rs: usize, cs: usize, rows: usize, cols: usize) -> Option<(c_int, c_int)> {
    let ld = |v: usize| c_int::try_from(v).ok();
    if cs == 1 && rs >= cols.max(1) {
        Some((NO_TRANS, ld(rs)?))
    } else if rs == 1 && cs >= rows.max(1) {
        Some((TRANS, ld(cs)?))
    } else {
        None
    }
}

/// Whether MKL runs `C (m × n) = A (m × k) · B (k × n)` with these operand strides: the
/// library loaded, at least 8 rows and 64 columns and reduction steps, both operands BLAS
/// views.
pub(crate) fn suits(a: (usize, usize), b: (usize, usize), m: usize, n: usize, k: usize) -> bool {
    m >= 8
        && n >= 64
        && k >= 64
        && blas_view(a.0, a.1, m, k).is_some()
        && blas_view(b.0, b.1, k, n).is_some()
        && get().is_some()
}

impl Mkl {
    /// `C (+)= A·B` on `rows` rows; the views were accepted by [`suits`] (for all `m` rows,
    /// so also for a subset of them).
    ///
    /// # Safety
    /// The views and `c` (row stride `ldc`) must lie in their allocations.
    #[allow(clippy::too_many_arguments)]
    pub(crate) unsafe fn sgemm(
        &self,
        rows: usize,
        n: usize,
        k: usize,
        a: (*const f32, usize, usize),
        b: (*const f32, usize, usize),
        c: *mut f32,
        ldc: usize,
        accumulate: bool,
    ) {
        let (ta, lda) = blas_view(a.1, a.2, rows, k).expect("checked by suits");
        let (tb, ldb) = blas_view(b.1, b.2, k, n).expect("checked by suits");
        let beta = if accumulate { 1.0 } else { 0.0 };
        (self.sgemm)(
            ROW_MAJOR,
            ta,
            tb,
            rows as c_int,
            n as c_int,
            k as c_int,
            1.0,
            a.0,
            lda,
            b.0,
            ldb,
            beta,
            c,
            ldc as c_int,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blas_views_follow_the_strides() {
        assert_eq!(blas_view(200, 1, 128, 150), Some((NO_TRANS, 200)));
        assert_eq!(blas_view(1, 300, 256, 128), Some((TRANS, 300)));
        // Overlapping rows (a channels-last conv view) and 2-D strides are not BLAS operands.
        assert_eq!(blas_view(16, 1, 512, 48), None);
        assert_eq!(blas_view(2, 3, 128, 128), None);
    }

    fn vals(len: usize, seed: u32) -> Vec<f32> {
        (0..len)
            .map(|i| {
                ((i as u32).wrapping_mul(2654435761).wrapping_add(seed) >> 20) as f32 / 4096.0 - 0.5
            })
            .collect()
    }

    /// Where MKL loads: `matmul` picks it for large products, its result matches an f64
    /// reference, and a repeated product on differently aligned copies gives the same bits
    /// (the reproducibility mode the training determinism relies on).
    #[test]
    fn mkl_products_are_right_and_reproducible() {
        if let Err(e) = status() {
            println!("SKIPPED mkl_products_are_right_and_reproducible: {e}");
            return;
        }
        let (m, n, k) = (200, 130, 300);
        let (a, b) = (vals(m * k, 1), vals(k * n, 2));
        for a_t in [false, true] {
            // A row-major, or stored transposed (k × m) and read through strides.
            let (a_store, lhs) = if a_t {
                let mut t = vec![0f32; m * k];
                for i in 0..m {
                    for p in 0..k {
                        t[p * m + i] = a[i * k + p];
                    }
                }
                (t, (1, m))
            } else {
                (a.clone(), (k, 1))
            };
            assert!(suits(lhs, (n, 1), m, n, k));
            let run = |a_store: &[f32], b: &[f32]| {
                let mut c = vec![0f32; m * n];
                let lhs_mat = crate::gemm::Mat {
                    data: a_store,
                    rs: lhs.0,
                    cs: lhs.1,
                };
                crate::gemm::matmul(
                    &mut c,
                    n,
                    false,
                    lhs_mat,
                    crate::gemm::Mat::rows(b, n),
                    m,
                    n,
                    k,
                    gemm::Parallelism::None,
                );
                c
            };
            let c = run(&a_store, &b);
            for i in 0..m {
                for j in 0..n {
                    let r: f64 = (0..k)
                        .map(|p| a[i * k + p] as f64 * b[p * n + j] as f64)
                        .sum();
                    assert!(
                        (c[i * n + j] as f64 - r).abs() < 1e-4,
                        "({i},{j}) {} vs {r}",
                        c[i * n + j]
                    );
                }
            }
            // Shift both operands by one float: other alignment, same values.
            let (mut a2, mut b2) = (vec![0f32], vec![0f32]);
            a2.extend_from_slice(&a_store);
            b2.extend_from_slice(&b);
            assert_eq!(run(&a2[1..], &b2[1..]), c, "a_t={a_t}");
        }
    }
}
