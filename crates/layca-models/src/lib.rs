//! # layca-models — the paper's architectures
//!
//! CONTRACT SKELETON (to be implemented; signatures are the API other crates build against).
//!
//! Owns: the seven networks of spec §3, their seeded initialisers, train/eval behaviour, and the
//! forward-order list of kernel layers. Must not depend on: optimizers, data sets, the engine.

use candle_core::{Device, Tensor, Var};
use serde::{Deserialize, Serialize};

/// Errors of `layca-models`.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("invalid model input: {0}")]
    Input(String),
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}

/// Result alias.
pub type Result<T> = std::result::Result<T, ModelError>;

/// A named tensor owned by a model.
#[derive(Debug, Clone)]
pub struct NamedVar {
    pub name: String,
    pub var: Var,
}

/// The architectures of the paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Arch {
    C10Cnn1,
    Resnet32,
    TinyCnn,
    C10Cnn2,
    Wrn28_10,
    Resnet110,
    MnistMlp,
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
}

/// Builds `arch` with seeded initialisation on `device`.
pub fn build(arch: Arch, seed: u64, device: &Device) -> Result<Box<dyn Network>> {
    let _ = (arch, seed, device);
    todo!()
}
