//! Shared helpers: the float trait, contiguous CPU slices, work splitting, output buffers.

use std::mem::MaybeUninit;

use candle_core::{bail, CpuStorage, Layout, Result, Storage, Tensor, WithDType};

/// The element types the kernels are written for (`f32` for training, `f64` for checks).
pub(crate) trait Real:
    WithDType + num_traits::Float + std::iter::Sum + Send + Sync + 'static
{
    /// Widening conversion.
    fn f(self) -> f64;
    /// Narrowing conversion.
    fn of(v: f64) -> Self;
    /// `matrixmultiply`'s `sgemm`/`dgemm`: `c ← a·b + beta·c` with element strides.
    ///
    /// # Safety
    /// The strided views must lie inside the allocations behind the pointers.
    #[allow(clippy::too_many_arguments)]
    unsafe fn mm(
        m: usize,
        k: usize,
        n: usize,
        a: *const Self,
        rsa: isize,
        csa: isize,
        b: *const Self,
        rsb: isize,
        csb: isize,
        beta: Self,
        c: *mut Self,
        rsc: isize,
        csc: isize,
    );
}
impl Real for f32 {
    #[inline(always)]
    fn f(self) -> f64 {
        self as f64
    }
    #[inline(always)]
    fn of(v: f64) -> Self {
        v as f32
    }
    unsafe fn mm(
        m: usize,
        k: usize,
        n: usize,
        a: *const Self,
        rsa: isize,
        csa: isize,
        b: *const Self,
        rsb: isize,
        csb: isize,
        beta: Self,
        c: *mut Self,
        rsc: isize,
        csc: isize,
    ) {
        matrixmultiply::sgemm(m, k, n, 1.0, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc)
    }
}
impl Real for f64 {
    #[inline(always)]
    fn f(self) -> f64 {
        self
    }
    #[inline(always)]
    fn of(v: f64) -> Self {
        v
    }
    unsafe fn mm(
        m: usize,
        k: usize,
        n: usize,
        a: *const Self,
        rsa: isize,
        csa: isize,
        b: *const Self,
        rsb: isize,
        csb: isize,
        beta: Self,
        c: *mut Self,
        rsc: isize,
        csc: isize,
    ) {
        matrixmultiply::dgemm(m, k, n, 1.0, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc)
    }
}

/// `v` as `f32` when `T` is `f32` (the f32-only SIMD paths of generic kernels), else `None`.
pub(crate) fn f32s<T: Real>(v: &[T]) -> Option<&[f32]> {
    (std::any::TypeId::of::<T>() == std::any::TypeId::of::<f32>())
        // SAFETY: T is f32 (checked): same layout and length.
        .then(|| unsafe { std::slice::from_raw_parts(v.as_ptr() as *const f32, v.len()) })
}

/// [`f32s`] for a mutable slice.
pub(crate) fn f32s_mut<T: Real>(v: &mut [T]) -> Option<&mut [f32]> {
    (std::any::TypeId::of::<T>() == std::any::TypeId::of::<f32>())
        // SAFETY: T is f32 (checked): same layout and length; the borrow is moved.
        .then(|| unsafe { std::slice::from_raw_parts_mut(v.as_mut_ptr() as *mut f32, v.len()) })
}

/// `max(v, 0)` (0 for NaN is never produced: NaN stays NaN as in `relu`).
#[inline(always)]
pub(crate) fn relu<T: Real>(v: T) -> T {
    if v < T::zero() {
        T::zero()
    } else {
        v
    }
}

/// The contiguous data of a CPU storage.
pub(crate) fn cpu_slice<'a, T: WithDType>(
    s: &'a CpuStorage,
    l: &Layout,
    op: &str,
) -> Result<&'a [T]> {
    let data = T::cpu_storage_as_slice(s)?;
    match l.contiguous_offsets() {
        Some((a, b)) => Ok(&data[a..b]),
        None => bail!("layca-ops {op}: operand is not contiguous"),
    }
}

/// The contiguous CPU data behind a tensor's storage guard (`Tensor::storage_and_layout`).
pub(crate) fn tensor_slice<'a, T: WithDType>(
    storage: &'a Storage,
    layout: &Layout,
    op: &str,
) -> Result<&'a [T]> {
    match storage {
        Storage::Cpu(c) => cpu_slice(c, layout, op),
        _ => bail!("layca-ops {op}: tensor is not on the CPU"),
    }
}

/// A contiguous copy of `t` only when it is not contiguous already.
pub(crate) fn contiguous(t: &Tensor) -> Result<Tensor> {
    if t.is_contiguous() {
        Ok(t.clone())
    } else {
        t.contiguous()
    }
}

/// A vector of `len` elements written by `fill`, without zeroing them first: a kernel output
/// that is fully overwritten would otherwise pay a `vec![0; len]` memset (serial, on the
/// calling thread) or fresh zeroed pages.
///
/// # Safety
/// `fill` must write every element of the slice it is given (`MaybeUninit::write`, `fill`,
/// ...). If it panics instead, the vector is freed without its elements being read.
pub(crate) unsafe fn uninit_output<T: Copy>(
    len: usize,
    fill: impl FnOnce(&mut [MaybeUninit<T>]),
) -> Vec<T> {
    let mut v = Vec::with_capacity(len);
    fill(&mut v.spare_capacity_mut()[..len]);
    // SAFETY: `len` ≤ capacity, and the caller guarantees that `fill` initialised every
    // element of `v[..len]`.
    unsafe { v.set_len(len) };
    v
}

/// A `Vec<f32>` as the `Vec<T>` it is (the f32-only kernels' outputs returned through
/// generic callers).
///
/// # Safety
/// `T` must be `f32`.
pub(crate) unsafe fn from_f32<T: Real>(v: Vec<f32>) -> Vec<T> {
    let mut v = std::mem::ManuallyDrop::new(v);
    Vec::from_raw_parts(v.as_mut_ptr() as *mut T, v.len(), v.capacity())
}

/// Cache-line alignment of the buffers the AVX-512 tiles stream: a 64-float panel row that
/// starts off a 64-byte boundary splits every vector load over two lines (measured, channels-
/// last conv tiles on hot data: 204 → 228 GFLOP/s forward, 173 → 194 kernel gradient).
pub(crate) const ALIGN: usize = 64;

/// Grows `v` (zero-filled) so that `len` elements fit from the first `ALIGN`-byte boundary
/// of its storage, and returns that element offset.
pub(crate) fn aligned_start<E: Copy + Default>(v: &mut Vec<E>, len: usize) -> usize {
    let size = std::mem::size_of::<E>().max(1);
    let pad = ALIGN / size;
    if v.len() < len + pad {
        v.resize(len + pad, E::default());
    }
    let misalign = v.as_ptr() as usize % ALIGN;
    if misalign == 0 {
        0
    } else {
        (ALIGN - misalign) / size
    }
}

/// Number of worker threads (rayon's global pool, which candle also uses).
pub(crate) fn threads() -> usize {
    rayon::current_num_threads().max(1)
}

/// Items per chunk when splitting `n` items over the worker threads.
pub(crate) fn chunk_len(n: usize) -> usize {
    n.div_ceil(threads()).max(1)
}

thread_local! {
    /// Per-thread scratch storage reused across calls (im2col and group buffers): fresh
    /// multi-megabyte allocations per call cost page faults that serialise the threads.
    static SCRATCH: std::cell::RefCell<[Vec<f64>; 2]> = const {
        std::cell::RefCell::new([Vec::new(), Vec::new()])
    };
}

/// Runs `f` with two scratch slices of `len_a` and `len_b` elements of `T`, reused per thread
/// (contents are arbitrary: callers overwrite before reading). Falls back to fresh buffers if
/// the thread's scratch is already in use (a re-entrant rayon task).
pub(crate) fn with_scratch<T: Real, R>(
    len_a: usize,
    len_b: usize,
    f: impl FnOnce(&mut [T], &mut [T]) -> R,
) -> R {
    fn view<T: Real>(v: &mut Vec<f64>, len: usize) -> &mut [T] {
        let words = (len * std::mem::size_of::<T>()).div_ceil(8);
        let off = aligned_start(v, words);
        // SAFETY: T is f32 or f64 (plain floats: every bit pattern is valid, alignment ≤ 8);
        // the buffer holds at least len·size_of::<T>() bytes from `off` and is exclusively
        // borrowed.
        unsafe { std::slice::from_raw_parts_mut(v.as_mut_ptr().add(off) as *mut T, len) }
    }
    let mut f = Some(f);
    let r = SCRATCH.with(|cell| {
        cell.try_borrow_mut().ok().map(|mut bufs| {
            let [a, b] = &mut *bufs;
            (f.take().expect("called once"))(view::<T>(a, len_a), view::<T>(b, len_b))
        })
    });
    match r {
        Some(r) => r,
        None => {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            (f.take().expect("called once"))(view::<T>(&mut a, len_a), view::<T>(&mut b, len_b))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_buffers_start_on_a_cache_line() {
        for len in [0usize, 1, 17, 1000, 4097] {
            let mut v: Vec<f64> = vec![1.0; 3];
            let off = aligned_start(&mut v, len);
            assert!(v.len() >= off + len);
            assert_eq!(v[off..].as_ptr() as usize % ALIGN, 0);
        }
        with_scratch::<f32, _>(100, 37, |a, b| {
            assert_eq!((a.len(), b.len()), (100, 37));
            assert_eq!(a.as_ptr() as usize % ALIGN, 0);
            assert_eq!(b.as_ptr() as usize % ALIGN, 0);
        });
    }

    #[test]
    fn uninit_output_keeps_what_fill_wrote() {
        // SAFETY: the loop writes every element.
        let v: Vec<f32> = unsafe {
            uninit_output(1000, |out| {
                for (i, o) in out.iter_mut().enumerate() {
                    o.write(i as f32 * 0.5);
                }
            })
        };
        assert_eq!(v.len(), 1000);
        assert!(v.iter().enumerate().all(|(i, &x)| x == i as f32 * 0.5));
        let empty: Vec<f64> = unsafe { uninit_output(0, |_| {}) };
        assert!(empty.is_empty());
    }
}
