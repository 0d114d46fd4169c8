//! # layca-optim — optimizers that control layer rotation
//!
//! CONTRACT SKELETON (to be implemented; signatures are the API other crates build against).
//!
//! Owns: the base steps (SGD plain/momentum/Nesterov, SGD_AMom, Adam, RMSprop, Adagrad), L2
//! (coupled) and decoupled weight decay, the control modes (none, Layca, LARS-like, AdaptCopy
//! replay), per-layer multipliers, and optimizer-state (de)serialisation to safetensors.
//! Must not depend on: models, data sets, the training engine, plotting.

use candle_core::{Tensor, Var};
use serde::{Deserialize, Serialize};

pub use layca_core;

/// Errors of `layca-optim`.
#[derive(Debug, thiserror::Error)]
pub enum OptimError {
    /// Invalid configuration field.
    #[error("invalid optimizer config `{field}`: {reason}")]
    InvalidConfig { field: String, reason: String },
    /// Rotation math error (zero-norm kernel, ...).
    #[error(transparent)]
    Core(#[from] layca_core::CoreError),
    /// Saved state does not fit this optimizer.
    #[error("optimizer state {path}: {reason}")]
    State { path: String, reason: String },
    /// I/O error on a state file.
    #[error("optimizer state {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    /// candle error.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}

/// Result alias.
pub type Result<T> = std::result::Result<T, OptimError>;

/// A named trainable tensor.
#[derive(Debug, Clone)]
pub struct NamedParam {
    pub name: String,
    pub var: Var,
}

/// The base optimizer (spec §4.2–4.3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum BaseOptimizer {
    /// Keras SGD: m ← β·m − ρ_l·g; Δ = m (Nesterov: β·m − ρ_l·g). β = 0 is plain SGD.
    Sgd { momentum: f64, nesterov: bool },
    /// SGD_AMom: m ← β·m − (1−β)·g; Δ = ρ_l·m.
    SgdAMom { beta: f64 },
    /// Adam (Keras 2.1.2), ε outside the sqrt.
    Adam { beta1: f64, beta2: f64, eps: f64 },
    /// RMSprop (Keras 2.1.2).
    RmsProp { decay: f64, eps: f64 },
    /// Adagrad (Keras 2.1.2).
    Adagrad { eps: f64 },
}

/// How the base step is applied to kernels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Control {
    /// Plain base-optimizer update.
    None,
    /// Layca (spec §4.1).
    Layca,
    /// LARS-like sub-version (spec §4.5) with growth cap (1e-4 in the paper) × initial norm.
    LarsLike { growth_cap: f64 },
}

/// Per-layer learning-rate multipliers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Multipliers {
    /// All 1.
    Uniform,
    /// Eq. 1 with this α.
    Alpha(f64),
    /// Explicit, one per kernel.
    Explicit(Vec<f64>),
}

/// What happens to non-kernel parameters (biases, BN γ/β).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OtherParams {
    /// Never updated (the authors' Layca code).
    Frozen,
    /// Updated by the plain base optimizer (no control, multiplier 1).
    BaseOptimizer,
}

/// Full optimizer configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptimConfig {
    pub base: BaseOptimizer,
    pub control: Control,
    /// Global learning rate ρ (set each step by the engine from its schedule).
    pub lr: f64,
    pub multipliers: Multipliers,
    /// Coupled L2 coefficient λ (gradient += 2λw) on kernels not in `l2_exclude`.
    pub l2: f64,
    /// Kernel names exempt from L2 (e.g. ResNet dense head).
    pub l2_exclude: Vec<String>,
    /// Decoupled weight decay (w ← w − lr·wd·w), 0 to disable.
    pub weight_decay: f64,
    pub other_params: OtherParams,
}

/// Layca-family optimizer over explicitly ordered kernels.
pub struct LaycaOptimizer {
    _private: (),
}

impl LaycaOptimizer {
    /// `kernels` in forward order (α index order); `others` = biases / BN γ/β.
    pub fn new(
        kernels: Vec<NamedParam>,
        others: Vec<NamedParam>,
        config: OptimConfig,
    ) -> Result<Self> {
        let _ = (kernels, others, config);
        todo!()
    }
    /// One step from the gradients of the loss.
    pub fn step(&mut self, grads: &candle_core::backprop::GradStore) -> Result<()> {
        let _ = grads;
        todo!()
    }
    /// Current global learning rate.
    pub fn learning_rate(&self) -> f64 {
        todo!()
    }
    /// Sets the global learning rate for the next steps.
    pub fn set_learning_rate(&mut self, lr: f64) {
        let _ = lr;
        todo!()
    }
    /// AdaptCopy: effective per-kernel rates for the next step (overrides lr × multiplier);
    /// `None` returns to lr × multipliers.
    pub fn set_layer_rates(&mut self, rates: Option<Vec<f64>>) -> Result<()> {
        let _ = rates;
        todo!()
    }
    /// Per-kernel multipliers in force.
    pub fn multipliers(&self) -> &[f64] {
        todo!()
    }
    /// Adam/RMSprop/Adagrad second-moment accumulator of kernel `i`, if the base has one.
    pub fn second_moment(&self, i: usize) -> Option<&Tensor> {
        let _ = i;
        todo!()
    }
    /// Number of steps taken.
    pub fn step_count(&self) -> u64 {
        todo!()
    }
    /// Saves state (moments, counters, initial norms) to a safetensors file, atomically.
    pub fn save_state(&self, path: &std::path::Path) -> Result<()> {
        let _ = path;
        todo!()
    }
    /// Loads state saved by `save_state` (validates names and shapes).
    pub fn load_state(&mut self, path: &std::path::Path) -> Result<()> {
        let _ = path;
        todo!()
    }
}
