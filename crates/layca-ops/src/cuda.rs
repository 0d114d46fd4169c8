//! CUDA implementations of this crate's ops (feature `cuda`): the kernels of
//! `cuda_kernels.cu`, compiled to PTX at build time by `build.rs` with the pinned nvcc and
//! loaded once per device through candle's custom-module cache.
//!
//! Today: `max_pool2d` (forward and the first-maximum backward in one kernel each; candle's
//! own `max_pool2d` backward scales by 1/(k·k), and the reference composition of
//! `layca-models` (window gather, `argmax`, one-hot mask) is first-index on CUDA too, as
//! candle's `fast_argmax` keeps the lower index on ties, but costs several kernels and copies). Other layers keep candle's CUDA ops (cuBLAS GEMMs, cuDNN convolutions with the
//! `cudnn` feature, BN from generic ops with the same semantics as the CPU kernels).

use candle_core::backend::BackendStorage;
use candle_core::cuda_backend::cudarc::driver::{
    CudaSlice, DeviceRepr, LaunchConfig, PushKernelArg,
};
use candle_core::cuda_backend::WrapErr;
use candle_core::{
    bail, CpuStorage, CudaDevice, CudaStorage, CustomOp1, CustomOp2, DType, Layout, Result, Shape,
    Tensor,
};

const PTX: &str = include_str!(concat!(env!("OUT_DIR"), "/layca_kernels.ptx"));
const MODULE: &str = "layca_ops_kernels";

/// Whether the CUDA kernels run on `t` (a CUDA tensor in f32 or f64).
pub fn supports(t: &Tensor) -> bool {
    t.device().is_cuda() && matches!(t.dtype(), DType::F32 | DType::F64)
}

/// Pool geometry of an NCHW input, window `k`, stride `k`.
#[derive(Debug, Clone, Copy)]
struct Pool {
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    k: usize,
}

impl Pool {
    fn out_shape(&self) -> Shape {
        Shape::from((self.n, self.c, self.h / self.k, self.w / self.k))
    }
    fn n_out(&self) -> usize {
        self.out_shape().elem_count()
    }
}

/// `k×k` max pooling with stride `k` on a CUDA tensor (`crate::max_pool2d` dispatches here).
pub(crate) fn max_pool2d(
    x: &Tensor,
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    k: usize,
) -> Result<Tensor> {
    x.contiguous()?.apply_op1(MaxPool(Pool { n, c, h, w, k }))
}

/// The contiguous part of `s` a layout covers.
fn view<'a, T: candle_core::cuda_backend::CudaDType>(
    s: &'a CudaStorage,
    l: &Layout,
    op: &str,
) -> Result<candle_core::cuda_backend::cudarc::driver::CudaView<'a, T>> {
    match l.contiguous_offsets() {
        Some((a, b)) => Ok(s.as_cuda_slice::<T>()?.slice(a..b)),
        None => bail!("layca-ops {op}: input must be contiguous"),
    }
}

/// Kernel name for an element type.
fn kernel(base: &str, dtype: DType) -> Result<String> {
    match dtype {
        DType::F32 => Ok(format!("{base}_f32")),
        DType::F64 => Ok(format!("{base}_f64")),
        d => bail!("layca-ops {base}: unsupported dtype {d:?} on CUDA (F32 or F64)"),
    }
}

fn launch_cfg(n: usize) -> LaunchConfig {
    let threads = 256u32;
    let blocks = n.div_ceil(threads as usize).clamp(1, 65_535) as u32;
    LaunchConfig {
        grid_dim: (blocks, 1, 1),
        block_dim: (threads, 1, 1),
        shared_mem_bytes: 0,
    }
}

fn pool_fwd<T: candle_core::cuda_backend::CudaDType + DeviceRepr>(
    dev: &CudaDevice,
    g: &Pool,
    s: &CudaStorage,
    l: &Layout,
) -> Result<CudaSlice<T>> {
    let x = view::<T>(s, l, "max_pool2d")?;
    let func =
        dev.get_or_load_custom_func(&kernel("layca_max_pool_fwd", s.dtype())?, MODULE, PTX)?;
    let n_out = g.n_out();
    // SAFETY: every element is written by the kernel.
    let y = unsafe { dev.alloc::<T>(n_out)? };
    let (h, w, k) = (g.h as i32, g.w as i32, g.k as i32);
    let mut b = func.builder();
    b.arg(&x);
    b.arg(&y);
    b.arg(&n_out);
    b.arg(&h);
    b.arg(&w);
    b.arg(&k);
    // SAFETY: argument types and order match the kernel's signature.
    unsafe { b.launch(launch_cfg(n_out)) }.w()?;
    Ok(y)
}

fn pool_bwd<
    T: candle_core::cuda_backend::CudaDType
        + DeviceRepr
        + candle_core::cuda_backend::cudarc::driver::ValidAsZeroBits,
>(
    dev: &CudaDevice,
    g: &Pool,
    (s1, l1): (&CudaStorage, &Layout),
    (s2, l2): (&CudaStorage, &Layout),
) -> Result<CudaSlice<T>> {
    let x = view::<T>(s1, l1, "max_pool2d backward")?;
    let dy = view::<T>(s2, l2, "max_pool2d backward")?;
    let func =
        dev.get_or_load_custom_func(&kernel("layca_max_pool_bwd", s1.dtype())?, MODULE, PTX)?;
    let n_out = g.n_out();
    let dx = dev.alloc_zeros::<T>(g.n * g.c * g.h * g.w)?;
    let (h, w, k) = (g.h as i32, g.w as i32, g.k as i32);
    let mut b = func.builder();
    b.arg(&x);
    b.arg(&dy);
    b.arg(&dx);
    b.arg(&n_out);
    b.arg(&h);
    b.arg(&w);
    b.arg(&k);
    // SAFETY: argument types and order match the kernel's signature.
    unsafe { b.launch(launch_cfg(n_out)) }.w()?;
    Ok(dx)
}

struct MaxPool(Pool);

impl CustomOp1 for MaxPool {
    fn name(&self) -> &'static str {
        "layca-max-pool2d-cuda"
    }
    fn cpu_fwd(&self, _s: &CpuStorage, _l: &Layout) -> Result<(CpuStorage, Shape)> {
        bail!("layca-ops max_pool2d: the CUDA op got a CPU tensor")
    }
    fn cuda_fwd(&self, s: &CudaStorage, l: &Layout) -> Result<(CudaStorage, Shape)> {
        let dev = s.device().clone();
        let out = match s.dtype() {
            DType::F32 => CudaStorage::wrap_cuda_slice(pool_fwd::<f32>(&dev, &self.0, s, l)?, dev),
            DType::F64 => CudaStorage::wrap_cuda_slice(pool_fwd::<f64>(&dev, &self.0, s, l)?, dev),
            d => bail!("layca-ops max_pool2d: unsupported dtype {d:?} on CUDA (F32 or F64)"),
        };
        Ok((out, self.0.out_shape()))
    }
    fn bwd(&self, x: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        if !x.track_op() {
            return Ok(None);
        }
        Ok(Some(x.apply_op2_no_bwd(
            &grad.contiguous()?,
            &MaxPoolBwd(self.0),
        )?))
    }
}

/// `(x, dY) → dX`, the gradient to the first maximum of each window.
struct MaxPoolBwd(Pool);

impl CustomOp2 for MaxPoolBwd {
    fn name(&self) -> &'static str {
        "layca-max-pool2d-bwd-cuda"
    }
    fn cpu_fwd(
        &self,
        _s1: &CpuStorage,
        _l1: &Layout,
        _s2: &CpuStorage,
        _l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        bail!("layca-ops max_pool2d backward: the CUDA op got a CPU tensor")
    }
    fn cuda_fwd(
        &self,
        s1: &CudaStorage,
        l1: &Layout,
        s2: &CudaStorage,
        l2: &Layout,
    ) -> Result<(CudaStorage, Shape)> {
        let dev = s1.device().clone();
        let (a, b) = ((s1, l1), (s2, l2));
        let out = match s1.dtype() {
            DType::F32 => CudaStorage::wrap_cuda_slice(pool_bwd::<f32>(&dev, &self.0, a, b)?, dev),
            DType::F64 => CudaStorage::wrap_cuda_slice(pool_bwd::<f64>(&dev, &self.0, a, b)?, dev),
            d => bail!("layca-ops max_pool2d backward: unsupported dtype {d:?} on CUDA"),
        };
        Ok((out, l1.shape().clone()))
    }
}
