//! # layca-ops — fast CPU training kernels for the paper's layers
//!
//! Owns candle custom ops, each with its own backward pass, for the layers the paper's
//! networks train through: [`conv2d`] (forward and both gradients),
//! [`batch_norm_train`] (fused train-mode batch norm, optionally fused with a ReLU before or
//! after it, returning the batch statistics for the moving averages), [`linear`] (dense layer
//! that skips the input gradient for data), [`max_pool2d`] (gradient to the first maximum
//! only), [`add_relu`] (residual join) and [`dropout_masked`] (inverted dropout with a given
//! mask).
//!
//! Why: stock candle 0.11.1 runs conv2d at 10–22 GFLOP/s on CPU, computes the conv input
//! gradient with a naive transposed convolution, and builds batch norm and ReLU from
//! single-threaded element-wise ops. Here convolutions with 32 or more channels run
//! channels-last on implicit-GEMM register tiles (`conv_nhwc.rs`: no patch matrix, each
//! example transposed once into a padded NHWC plane); the others are im2col + GEMM over
//! groups of examples (at least 512 output columns per GEMM), with stride-1 paths that skip
//! the patch matrices where that is faster (`conv_s1.rs`); the GEMMs run on AVX-512
//! register tiles where the CPU has them (runtime detection; [`NO_AVX512_ENV`] turns them
//! off), on `matrixmultiply` / `gemm` (chosen by shape, see `gemm.rs`), or with the `mkl`
//! feature on Intel MKL loaded at run time ([`cpu_gemm`] says which); batch norm, dropout
//! and the element-wise joins are single fused passes, and work is split over examples on
//! rayon's global pool with per-thread scratch buffers.
//! `cargo xtask bench` measures the whole training step against stock candle (and PyTorch).
//!
//! Scope: CPU tensors in `f32` or `f64` ([`supports`]); with the `cuda` feature, `max_pool2d`
//! also runs on CUDA tensors (`cuda` module, [`supports_max_pool`]). Callers keep the stock candle
//! composition as the reference path on other devices and dtypes ([`Ops`]); the tests check
//! every op's forward and gradients against that composition and against finite differences.
//! Errors are `candle_core::Error`s (these are candle ops), with messages naming the op.
//!
//! Must not depend on: anything else of layca (models, optimizers, data, engine).
#![warn(missing_docs)]

use candle_core::{DType, Tensor};
use serde::{Deserialize, Serialize};

#[cfg(target_arch = "x86_64")]
mod avx512;
mod bn;
mod conv;
#[cfg(target_arch = "x86_64")]
mod conv_nhwc;
mod conv_s1;
#[cfg(feature = "cuda")]
pub mod cuda;
mod dropout;
mod eltwise;
mod gemm;
mod kernel;
mod linear;
#[cfg(feature = "mkl")]
mod mkl;
mod pool;
mod util;

pub use bn::{batch_norm_train, BatchStats, BnActivation};
pub use conv::{conv2d, Conv2dParams};
pub use dropout::dropout_masked;
pub use eltwise::add_relu;
pub use linear::linear;
pub use pool::max_pool2d;

/// Environment variable that, set to anything but `0` or empty, turns the AVX-512 kernels
/// off: the GEMMs then run on the packed back ends that CPUs without AVX-512 use
/// (`matrixmultiply`, `gemm`). Read once per process, at the first GEMM; the `no_avx512`
/// test runs the equivalence checks with it set.
pub const NO_AVX512_ENV: &str = "LAYCA_OPS_NO_AVX512";

/// Whether the GEMMs run on this crate's AVX-512 kernels (the CPU has AVX-512 and
/// [`NO_AVX512_ENV`] is not set), else on the packed fallbacks.
pub fn avx512_in_use() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        avx512::available()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The CPU GEMM kernels of this process, in words (for logs and benchmark records): the
/// register-tile AVX-512 kernels or the packed fallbacks, and with the `mkl` feature MKL's
/// version (or why it could not be loaded).
pub fn cpu_gemm() -> String {
    let own = if avx512_in_use() {
        "layca-ops AVX-512 tiles"
    } else {
        "matrixmultiply/gemm (no AVX-512)"
    };
    #[cfg(feature = "mkl")]
    {
        match mkl::status() {
            Ok(v) => format!("MKL sgemm (sequential) for f32 products ≥ 8×64×64 [{v}], else {own}"),
            Err(e) => format!("{own} (feature mkl: {e})"),
        }
    }
    #[cfg(not(feature = "mkl"))]
    {
        own.to_string()
    }
}

#[cfg(feature = "mkl")]
pub use mkl::MKL_LIB_ENV;

/// Which implementation a model's layers use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Ops {
    /// These kernels where [`supports`] holds (CPU, f32/f64), stock candle elsewhere.
    #[default]
    Fast,
    /// Stock candle compositions everywhere (the reference path).
    Stock,
}

impl Ops {
    /// Whether the fast kernels apply to `t` under this setting.
    pub fn fast_for(self, t: &Tensor) -> bool {
        self == Ops::Fast && supports(t)
    }

    /// Whether [`max_pool2d`] applies to `t` under this setting ([`supports_max_pool`]).
    pub fn fast_max_pool_for(self, t: &Tensor) -> bool {
        self == Ops::Fast && supports_max_pool(t)
    }
}

/// Whether the kernels of this crate can run on `t` (a CPU tensor in `f32` or `f64`).
pub fn supports(t: &Tensor) -> bool {
    t.device().is_cpu() && matches!(t.dtype(), DType::F32 | DType::F64)
}

/// Whether [`max_pool2d`] runs on `t`: as [`supports`], plus CUDA tensors in `f32`/`f64` when
/// built with the `cuda` feature (the kernel in `cuda_kernels.cu`).
pub fn supports_max_pool(t: &Tensor) -> bool {
    #[cfg(feature = "cuda")]
    if cuda::supports(t) {
        return true;
    }
    supports(t)
}

/// Direct entry points to the convolution kernels on slices, for the `convshapes` example
/// (per-pass timings without a candle graph around them). Not a stable API.
#[doc(hidden)]
pub mod bench {
    use crate::conv::Geom;

    /// A stride-1, pad-1 3×3 convolution of `n × c × hw × hw` inputs to `o` channels.
    #[derive(Debug, Clone, Copy)]
    pub struct Same3x3(pub(crate) Geom);

    impl Same3x3 {
        /// The geometry.
        pub fn new(n: usize, c: usize, o: usize, hw: usize) -> Self {
            Self(Geom {
                n,
                c,
                h: hw,
                w: hw,
                o,
                kh: 3,
                kw: 3,
                stride: 1,
                pt: 1,
                pl: 1,
                ho: hw,
                wo: hw,
            })
        }
        /// `y = conv(x, w)`.
        pub fn forward(&self, x: &[f32], w: &[f32]) -> Vec<f32> {
            crate::conv::forward(x, w, &self.0)
        }
        /// `dx` from `dy`.
        pub fn input_grad(&self, dy: &[f32], w: &[f32]) -> Vec<f32> {
            crate::conv::backward_input(dy, w, &self.0)
        }
        /// `dW` from `x` and `dy`.
        pub fn kernel_grad(&self, x: &[f32], dy: &[f32]) -> Vec<f32> {
            crate::conv::backward_kernel(x, dy, &self.0)
        }
    }
}
