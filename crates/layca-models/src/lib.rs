//! # layca-models — the paper's architectures
//!
//! Owns the seven networks of spec §3 (C10-CNN1, ResNet-32, tiny-CNN, C10-CNN2, WRN-28-10,
//! ResNet-110, MNIST MLP), their seeded Keras-2.1.2 initialisers, train/eval behaviour
//! (Keras batch normalisation, dropout), the forward-order list of kernel layers with stable
//! names, and saving/loading a model's full state as safetensors.
//!
//! Must not depend on: optimizers (`layca-optim`), data sets (`layca-data`), the engine
//! (`layca-train`), plotting.
//!
//! ## Conventions
//! * Input is NCHW; output is logits `(N, classes)` (no softmax: use
//!   `candle_nn::loss::cross_entropy` / `log_softmax`, never `softmax_last_dim`, which has no
//!   backward in candle 0.11.1).
//! * [`Network::kernels`] lists every Conv2D/Dense kernel in Keras `model.layers` order
//!   (input conv first; inside a residual block its main-path convs, then its projection
//!   shortcut; dense layer(s) last). Parameters are plain `Var`s created from a seeded
//!   ChaCha8 stream — never a `VarMap`, whose iteration order is a `HashMap`'s.
//! * Conv kernels are `(out, in, kh, kw)`; dense kernels are `(in, out)` (Keras layout):
//!   column `j` holds output unit `j`'s input weights ([`dense_unit_weights`],
//!   [`hidden_features`]).
//! * Every network can be built in `f32` (training) or `f64` (finite-difference checks) with
//!   [`build_with_dtype`]. Initial values are drawn in `f64` from
//!   `ChaCha8Rng::seed_from_u64(seed)`, kernel by kernel in forward order.
//!
//! ## Narrow networks (the `cpu` scale of the figures)
//! [`build_scaled`] / [`build_scaled_with_dtype`] divide every hidden width by a
//! `width_divisor` ([`scaled_width`]: rounded to nearest, at least [`MIN_SCALED_WIDTH`] = 2)
//! and keep everything else: depth, kernel names and order, kernel sizes, strides, which blocks
//! have projection shortcuts, input channels, class count, BN/dropout settings, initialisers
//! (Keras fan rules on the narrow shapes) and the seeded draw order. So L, the α indices and the
//! plot colours are the paper's; divisor 1 is [`build`]. Narrowed: VGG conv widths, C10-CNN2's
//! 512 `dense0` units, ResNet stage widths 16/32/64 (the input conv has the stage-0 width),
//! WRN's 16-filter input conv and stage widths 16k/32k/64k, the MLP's 784 hidden units. All
//! of these are multiples of 16 (784 = 16 · 49), so at divisors 2, 4, 8 every width is exact
//! and each conv after the first has exactly 1/d² of the weights. BN normalises each channel
//! over the batch (and the spatial positions), so it needs no minimum channel count; the
//! floor of 2 only avoids one-channel layers that a single dead ReLU would cut.
//! [`summary_scaled`] gives the shapes and parameter counts.
//!
//! ## Names (also the safetensors keys of [`save_weights`] / [`load_weights`])
//! | network | kernels (forward order) |
//! |---|---|
//! | C10-CNN1, tiny-CNN | `conv{stage}_{i}` …, `dense` |
//! | C10-CNN2 | `conv{stage}_{i}` …, `dense0`, `densef` |
//! | ResNet-32/110 | `conv_in`, `s{stage}b{block}_a`, `_b`, (`_short` in projection blocks) …, `dense` (L2-exempt) |
//! | WRN-28-10 | `conv_in`, `s{stage}b{block}_conv1`, `_conv2`, (`_short` in projection blocks) …, `dense` |
//! | MNIST MLP | `dense0`, `densef` |
//!
//! Others (MLP only): `dense0.bias`, `bn0.gamma`, `bn0.beta`, `densef.bias`. Buffers of a BN
//! layer `<bn>`: `<bn>.moving_mean`, `<bn>.moving_variance` and, because Keras 2.1.2 / TF 1.4
//! update them with a zero-debiased moving average, `<bn>.biased_mean`,
//! `<bn>.biased_variance`, `<bn>.local_step` (see [`layers::BnConfig::zero_debias`]).
//!
//! ## Fast CPU path
//! Layers train through the `layca-ops` kernels on CPU in f32/f64 ([`Ops::Fast`], the
//! default) and through stock candle compositions otherwise or with
//! `Network::set_ops(Ops::Stock)`; both paths give the same logits, gradients and BN buffers
//! (tests in `tests/ops.rs`: 1e-9 relative in f64, 1e-4 in f32).
//!
//! ## candle 0.11.1 traps handled here
//! * `max_pool2d`'s backward is wrong, and a `max` reduction duplicates the gradient on ties:
//!   [`layers::max_pool`] routes it to the first maximum only (ties are systematic when BN
//!   follows a ReLU, as in C10-CNN1).
//! * BN running statistics are buffers ([`Network::buffers`]), never parameters.
#![warn(missing_docs)]

use std::path::PathBuf;

use candle_core::{DType, Device, Tensor, Var};
use serde::{Deserialize, Serialize};

pub mod init;
mod io;
pub mod layers;
mod mlp;
mod resnet;
mod summary;
mod vgg;
mod wrn;

pub use io::{load_weights, save_weights, state};
pub use layca_ops::Ops;
pub use mlp::MnistMlp;
pub use resnet::Resnet;
pub use summary::{summary, summary_scaled, ArchSummary};
pub use vgg::Vgg;
pub use wrn::Wrn;

/// Errors of `layca-models`.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The input tensor (or an argument) does not fit the model.
    #[error("invalid model input: {0}")]
    Input(String),
    /// A weight file could not be written, read or matched to the model.
    #[error("weights file {}: {msg}", path.display())]
    Weights {
        /// The file.
        path: PathBuf,
        /// What went wrong (names the tensor where one is involved).
        msg: String,
    },
    /// A candle error.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}

/// Result alias.
pub type Result<T> = std::result::Result<T, ModelError>;

/// A named tensor owned by a model.
#[derive(Debug, Clone)]
pub struct NamedVar {
    /// Stable name (also the safetensors key).
    pub name: String,
    /// The variable (shared with the model: `set` on it changes the model).
    pub var: Var,
}

/// The architectures of the paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Arch {
    /// §3.1 VGG-style, 25 kernel layers, CIFAR-10.
    C10Cnn1,
    /// §3.2 ResNet-32 (Keras cifar10_resnet v1), CIFAR-100.
    Resnet32,
    /// §3.3 VGG-style, 11 kernel layers, Tiny ImageNet (200 classes).
    TinyCnn,
    /// §3.4 torch-blog VGG without dropout, CIFAR-10.
    C10Cnn2,
    /// §3.5 Wide ResNet 28-10, dropout 0.3, CIFAR-100.
    Wrn28_10,
    /// §3.6 ResNet-110, CIFAR-10.
    Resnet110,
    /// §3.7 MNIST 1-hidden-layer MLP with biases and affine BN.
    MnistMlp,
}

impl Arch {
    /// All architectures, in the spec's order.
    pub const ALL: [Arch; 7] = [
        Arch::C10Cnn1,
        Arch::Resnet32,
        Arch::TinyCnn,
        Arch::C10Cnn2,
        Arch::Wrn28_10,
        Arch::Resnet110,
        Arch::MnistMlp,
    ];

    /// Display name used in the paper / spec.
    pub fn name(self) -> &'static str {
        match self {
            Arch::C10Cnn1 => "C10-CNN1",
            Arch::Resnet32 => "C100-resnet (ResNet-32)",
            Arch::TinyCnn => "tiny-CNN",
            Arch::C10Cnn2 => "C10-CNN2",
            Arch::Wrn28_10 => "C100-WRN (WRN-28-10)",
            Arch::Resnet110 => "ResNet-110",
            Arch::MnistMlp => "MNIST MLP",
        }
    }

    /// Nominal input shape `(C, H, W)` of one example.
    pub fn input_shape(self) -> [usize; 3] {
        match self {
            Arch::TinyCnn => [3, 64, 64],
            Arch::MnistMlp => [1, 28, 28],
            _ => [3, 32, 32],
        }
    }

    /// Number of classes (width of the logits).
    pub fn num_classes(self) -> usize {
        match self {
            Arch::Resnet32 | Arch::Wrn28_10 => 100,
            Arch::TinyCnn => 200,
            _ => 10,
        }
    }
}

/// A network: logits from NCHW input (the MLP flattens internally).
pub trait Network: Send {
    /// Logits (N, classes). `train` = batch statistics + running-stat update + dropout.
    fn forward_t(&self, xs: &Tensor, train: bool) -> Result<Tensor>;
    /// Kernel layers (conv + dense kernels), forward (Keras topological) order, stable names.
    fn kernels(&self) -> Vec<NamedVar>;
    /// Other trainable parameters (biases, BN γ/β), stable order.
    fn others(&self) -> Vec<NamedVar>;
    /// Non-trainable state (BN running mean/var), stable order.
    fn buffers(&self) -> Vec<NamedVar>;
    /// Kernel names exempt from the task's L2 (spec §3).
    fn l2_exempt(&self) -> Vec<String>;
    /// Seeds the dropout mask RNG (for reproducible resume). No-op without dropout.
    fn set_dropout_seed(&self, seed: u64);
    /// Chooses the layer implementations: [`Ops::Fast`] (default: the `layca-ops` CPU
    /// kernels where they apply, stock candle elsewhere) or [`Ops::Stock`] (reference).
    fn set_ops(&mut self, ops: Ops);
    /// The layer implementations in use.
    fn ops(&self) -> Ops;
}

/// Builds `arch` with seeded initialisation on `device` (float32, as in the paper).
pub fn build(arch: Arch, seed: u64, device: &Device) -> Result<Box<dyn Network>> {
    build_with_dtype(arch, seed, DType::F32, device)
}

/// Builds `arch` in `dtype` (`F32` for training, `F64` for gradient checks). The same seed
/// gives the same initial values (drawn in f64) whatever the dtype or device.
pub fn build_with_dtype(
    arch: Arch,
    seed: u64,
    dtype: DType,
    device: &Device,
) -> Result<Box<dyn Network>> {
    build_scaled_with_dtype(arch, 1, seed, dtype, device)
}

/// Smallest width (channels or units) of a narrowed layer: a 1-channel layer would be a
/// bottleneck that a single dead ReLU closes, so [`scaled_width`] never goes below 2.
pub const MIN_SCALED_WIDTH: usize = 2;

/// The width of a hidden layer of nominal width `width` in a network narrowed by `divisor`:
/// `width / divisor` rounded to the nearest integer (halves up), at least
/// [`MIN_SCALED_WIDTH`] (and never more than `width`). `divisor` 0 or 1 keeps `width`.
pub fn scaled_width(width: usize, divisor: usize) -> usize {
    if divisor <= 1 {
        return width;
    }
    ((width + divisor / 2) / divisor)
        .max(MIN_SCALED_WIDTH)
        .min(width)
}

/// Builds `arch` (float32) with every hidden width divided by `width_divisor`: the `cpu`
/// scale of the figures. `width_divisor = 1` is [`build`]. See [`build_scaled_with_dtype`].
pub fn build_scaled(
    arch: Arch,
    width_divisor: usize,
    seed: u64,
    device: &Device,
) -> Result<Box<dyn Network>> {
    build_scaled_with_dtype(arch, width_divisor, seed, DType::F32, device)
}

/// Builds `arch` in `dtype` with every hidden width — conv filters, ResNet / WRN stage widths
/// (and WRN's 16-filter input conv), dense hidden units (C10-CNN2's `dense0`, the MLP's
/// 784 hidden units) — replaced by [`scaled_width`]`(width, width_divisor)`. Unchanged: the
/// input channels, the class count, the depth, the kernel list (names, order, kernel sizes,
/// strides, which blocks have projection shortcuts), BN and dropout settings, the
/// initialisers (Keras fan rules applied to the narrow shapes) and the seeded draw order, so
/// L, the α indices and the plot colours are the paper's. `width_divisor = 1` gives exactly
/// [`build_with_dtype`]'s network; 0 is an error.
pub fn build_scaled_with_dtype(
    arch: Arch,
    width_divisor: usize,
    seed: u64,
    dtype: DType,
    device: &Device,
) -> Result<Box<dyn Network>> {
    if !matches!(dtype, DType::F32 | DType::F64) {
        return Err(ModelError::Input(format!(
            "unsupported model dtype {dtype:?} (use F32 or F64)"
        )));
    }
    if width_divisor == 0 {
        return Err(ModelError::Input(format!(
            "width divisor for {} must be >= 1, got 0",
            arch.name()
        )));
    }
    let d = width_divisor;
    Ok(match arch {
        Arch::C10Cnn1 => Box::new(Vgg::c10_cnn1_scaled(d, seed, dtype, device)?),
        Arch::Resnet32 => Box::new(Resnet::new_scaled(32, 100, d, seed, dtype, device)?),
        Arch::TinyCnn => Box::new(Vgg::tiny_cnn_scaled(d, seed, dtype, device)?),
        Arch::C10Cnn2 => Box::new(Vgg::c10_cnn2_scaled(d, seed, dtype, device)?),
        Arch::Wrn28_10 => Box::new(Wrn::new_scaled(28, 10, 100, 0.3, d, seed, dtype, device)?),
        Arch::Resnet110 => Box::new(Resnet::new_scaled(110, 10, d, seed, dtype, device)?),
        Arch::MnistMlp => Box::new(MnistMlp::new_scaled(d, seed, dtype, device)?),
    })
}

/// Input weights of output unit `unit` of a Keras-layout dense kernel `(in, out)`: a tensor of
/// shape `(in,)` (column `unit`).
pub fn dense_unit_weights(kernel: &Tensor, unit: usize) -> Result<Tensor> {
    let (_, d_out) = kernel.dims2()?;
    if unit >= d_out {
        return Err(ModelError::Input(format!(
            "unit {unit} out of range for a dense kernel with {d_out} outputs"
        )));
    }
    Ok(kernel.narrow(1, unit, 1)?.squeeze(1)?)
}

/// Figure 8(b): hidden neuron `unit`'s 784 input weights of the MNIST MLP's `dense0` kernel
/// `(784, H)` (H = 784, or fewer in a narrow MLP), reshaped to a `(28, 28)` image (row-major, same pixel order as the input).
pub fn hidden_features(kernel: &Tensor, unit: usize) -> Result<Tensor> {
    let (d_in, _) = kernel.dims2()?;
    if d_in != 784 {
        return Err(ModelError::Input(format!(
            "hidden_features expects a (784, H) dense0 kernel, got {:?}",
            kernel.dims()
        )));
    }
    Ok(dense_unit_weights(kernel, unit)?.reshape((28, 28))?)
}

#[cfg(test)]
mod tests;
