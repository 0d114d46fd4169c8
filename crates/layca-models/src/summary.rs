//! Static description of an architecture (for `cargo xtask models`).

use candle_core::{DType, Device};
use serde::{Deserialize, Serialize};

use crate::{build_scaled_with_dtype, Arch, Result};

/// Kernel layers, parameter counts and shapes of one architecture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchSummary {
    /// The architecture.
    pub arch: Arch,
    /// Number of kernel layers L.
    pub num_kernels: usize,
    /// Total number of kernel weights.
    pub kernel_params: usize,
    /// Number of other trainable parameters (biases, BN γ/β).
    pub other_params: usize,
    /// Kernel names in forward order.
    pub kernel_names: Vec<String>,
    /// Kernel shapes in forward order (conv `(out, in, kh, kw)`, dense `(in, out)`).
    pub kernel_shapes: Vec<Vec<usize>>,
    /// Kernels exempt from the task's L2.
    pub l2_exempt: Vec<String>,
    /// Nominal input shape of one example `(C, H, W)`.
    pub input_shape: Vec<usize>,
    /// Output shape of one example (`[classes]`).
    pub output_shape: Vec<usize>,
}

/// Builds `arch` on the CPU (seed 0) and describes it.
pub fn summary(arch: Arch) -> Result<ArchSummary> {
    summary_scaled(arch, 1)
}

/// Describes `arch` narrowed by `width_divisor` ([`crate::build_scaled`]), built on the CPU
/// (seed 0).
pub fn summary_scaled(arch: Arch, width_divisor: usize) -> Result<ArchSummary> {
    let net = build_scaled_with_dtype(arch, width_divisor, 0, DType::F32, &Device::Cpu)?;
    let kernels = net.kernels();
    Ok(ArchSummary {
        arch,
        num_kernels: kernels.len(),
        kernel_params: kernels.iter().map(|k| k.var.elem_count()).sum(),
        other_params: net.others().iter().map(|k| k.var.elem_count()).sum(),
        kernel_names: kernels.iter().map(|k| k.name.clone()).collect(),
        kernel_shapes: kernels.iter().map(|k| k.var.dims().to_vec()).collect(),
        l2_exempt: net.l2_exempt(),
        input_shape: arch.input_shape().to_vec(),
        output_shape: vec![arch.num_classes()],
    })
}
