//! # layca-optim — optimizers that control layer rotation
//!
//! Owns: the base steps (SGD plain/momentum/Nesterov, SGD_AMom, Adam, RMSprop, Adagrad), L2
//! (coupled) and decoupled weight decay, the control modes (none, Layca, LARS-like, AdaptCopy
//! replay), per-layer multipliers, and optimizer-state (de)serialisation to safetensors.
//! Must not depend on: models, data sets, the training engine, plotting. The rotation maths
//! (the Layca stages, α multipliers, schedules, monitors) live in [`layca_core`].
//!
//! ## Semantics (spec §4, the authors' Keras 2.1.2 code)
//!
//! * **Layers** are the kernels, given explicitly in forward order (that order indexes the α
//!   multipliers). Everything else (biases, BN γ/β) is an "other" parameter, handled by
//!   [`OtherParams`]: `Frozen` (the authors' Layca code) or updated by the plain base optimizer
//!   at the global rate, without L2, decay or control. BN running statistics are never
//!   parameters: do not pass them.
//! * **Rates**: the engine sets only the global rate ρ(t) ([`LaycaOptimizer::set_learning_rate`]);
//!   kernel l uses ρ_l = ρ(t)·μ_l with μ from [`Multipliers`], unless AdaptCopy rates were set
//!   with [`LaycaOptimizer::set_layer_rates`], which replace ρ_l wherever it appears (Keras
//!   velocity, Layca rate) and stay in force until replaced or cleared. The paper applies multipliers
//!   to the SGD family only; this API applies them to every base (keep
//!   [`Multipliers::Uniform`] for the paper's adaptive runs).
//! * **Base step** → a plain additive update Δ (p ← p + Δ):
//!   SGD m ← β·m − ρ_l·g, Δ = m (Nesterov β·m − ρ_l·g; β = 0 keeps no state);
//!   SGD_AMom m ← β·m − (1−β)·g, Δ = ρ_l·m;
//!   Adam Δ = −ρ_l·√(1−β₂ᵗ)/(1−β₁ᵗ)·m/(√v + ε); RMSprop Δ = −ρ_l·g/(√a + ε) with
//!   a ← d·a + (1−d)·g²; Adagrad Δ = −ρ_l·g/(√a + ε) with a ← a + g².
//! * **Control**: `None` p ← p + Δ; `Layca` p ← layca(p, s = −Δ, ρ_l) (so Adam+Layca uses the
//!   *uncorrected* ρ_l, spec pitfall 8); `LarsLike` p ← lars(p, Δ, ρ_l, n₀, cap) with n₀ the
//!   kernel norms captured at the first step.
//! * **L2** (coupled, Keras `l2(λ)`): g ← g + 2λ·w for kernels not in `l2_exclude` (the engine
//!   adds λΣw² to the reported loss). **Decoupled weight decay**: w ← (1 − ρ_l·wd)·w applied to
//!   the kernels before the control step (same as w − ρ_l·wd·w + Δ in `None` mode; under Layca
//!   the norm then shrinks by exactly that factor and the angle is still atan ρ_l).
//! * A parameter without a gradient in the `GradStore` is skipped (state untouched); Adam's t
//!   is the optimizer's global step count + 1.
//!
//! ## Example
//!
//! ```
//! use candle_core::{DType, Device, Tensor};
//! use candle_nn::{linear_no_bias, Module, VarBuilder, VarMap};
//! use layca_optim::{BaseOptimizer, Control, LaycaOptimizer, NamedParam, OptimConfig};
//!
//! let dev = Device::Cpu;
//! let varmap = VarMap::new();
//! let vb = VarBuilder::from_varmap(&varmap, DType::F32, &dev);
//! let l1 = linear_no_bias(4, 8, vb.pp("l1"))?;
//! let l2 = linear_no_bias(8, 3, vb.pp("l2"))?;
//! // kernels in forward order
//! let data = varmap.data().lock().unwrap();
//! let kernels: Vec<NamedParam> = ["l1.weight", "l2.weight"]
//!     .iter()
//!     .map(|n| NamedParam { name: n.to_string(), var: data[*n].clone() })
//!     .collect();
//! drop(data);
//! let rho = 3f64.powi(-3);
//! let cfg = OptimConfig::new(BaseOptimizer::sgd(), Control::Layca, rho);
//! let mut opt = LaycaOptimizer::new(kernels.clone(), vec![], cfg)?;
//! let monitor = layca_core::RotationMonitor::new(
//!     &kernels.iter().map(|k| (k.name.clone(), k.var.as_tensor().clone())).collect::<Vec<_>>(),
//! )?;
//!
//! let x = Tensor::randn(0f32, 1., (16, 4), &dev)?;
//! let y = Tensor::zeros((16, 3), DType::F32, &dev)?;
//! let norm0 = kernels[0].var.as_tensor().sqr()?.sum_all()?.to_scalar::<f32>()?;
//! for _ in 0..5 {
//!     let loss = (l2.forward(&l1.forward(&x)?.relu()?)? - &y)?.sqr()?.mean_all()?;
//!     let grads = loss.backward()?;
//!     opt.step(&grads)?;
//! }
//! // Layca keeps each kernel's norm and rotates it by atan(ρ) per step, so after 5 steps the
//! // cosine distance to the initial kernel is at most 1 − cos(5·atan ρ).
//! let norm5 = kernels[0].var.as_tensor().sqr()?.sum_all()?.to_scalar::<f32>()?;
//! assert!((norm5 / norm0 - 1.0).abs() < 1e-5);
//! let d = monitor.cosine_distances(
//!     &kernels.iter().map(|k| k.var.as_tensor().clone()).collect::<Vec<_>>(),
//! )?;
//! let max_d = 1.0 - (5.0 * rho.atan()).cos();
//! assert!(d.iter().all(|&d| d > 0.0 && d <= max_d + 1e-6));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

use candle_core::Var;
use serde::{Deserialize, Serialize};

pub use layca_core;

mod base;
mod optimizer;
mod state;

pub use optimizer::LaycaOptimizer;

/// Errors of `layca-optim`.
#[derive(Debug, thiserror::Error)]
pub enum OptimError {
    /// Invalid configuration field.
    #[error("invalid optimizer config `{field}`: {reason}")]
    InvalidConfig {
        /// The offending field.
        field: String,
        /// Why it is invalid.
        reason: String,
    },
    /// Rotation math error (zero-norm kernel, ...).
    #[error(transparent)]
    Core(#[from] layca_core::CoreError),
    /// Saved state does not fit this optimizer.
    #[error("optimizer state {path}: {reason}")]
    State {
        /// The state file.
        path: String,
        /// What does not fit.
        reason: String,
    },
    /// I/O error on a state file.
    #[error("optimizer state {path}: {source}")]
    Io {
        /// The state file.
        path: String,
        /// The I/O error.
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
    /// Unique name (used in errors, `l2_exclude` and the state file).
    pub name: String,
    /// The variable.
    pub var: Var,
}

impl NamedParam {
    /// Convenience constructor.
    pub fn new(name: impl Into<String>, var: Var) -> Self {
        Self {
            name: name.into(),
            var,
        }
    }
}

/// The base optimizer (spec §4.2–4.3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum BaseOptimizer {
    /// Keras SGD: m ← β·m − ρ_l·g; Δ = m (Nesterov: β·m − ρ_l·g). β = 0 is plain SGD.
    Sgd {
        /// β ∈ [0, 1).
        momentum: f64,
        /// Nesterov momentum.
        nesterov: bool,
    },
    /// SGD_AMom: m ← β·m − (1−β)·g; Δ = ρ_l·m.
    SgdAMom {
        /// β ∈ [0, 1) (0.9 in the paper).
        beta: f64,
    },
    /// Adam (Keras 2.1.2), ε outside the sqrt.
    Adam {
        /// β₁ ∈ [0, 1).
        beta1: f64,
        /// β₂ ∈ [0, 1).
        beta2: f64,
        /// ε ≥ 0 (1e-7).
        eps: f64,
    },
    /// RMSprop (Keras 2.1.2).
    RmsProp {
        /// Accumulator decay ∈ [0, 1) (0.9).
        decay: f64,
        /// ε ≥ 0 (1e-7).
        eps: f64,
    },
    /// Adagrad (Keras 2.1.2).
    Adagrad {
        /// ε ≥ 0 (1e-7).
        eps: f64,
    },
}

impl BaseOptimizer {
    /// Plain SGD, no momentum (the paper's "SGD").
    pub fn sgd() -> Self {
        BaseOptimizer::Sgd {
            momentum: 0.0,
            nesterov: false,
        }
    }
    /// SGD with Keras momentum β (optionally Nesterov).
    pub fn sgd_momentum(momentum: f64, nesterov: bool) -> Self {
        BaseOptimizer::Sgd { momentum, nesterov }
    }
    /// SGD_AMom with β = 0.9 (supplement B.4).
    pub fn sgd_amom() -> Self {
        BaseOptimizer::SgdAMom { beta: 0.9 }
    }
    /// Adam with the Keras defaults β₁ = 0.9, β₂ = 0.999, ε = 1e-7.
    pub fn adam() -> Self {
        BaseOptimizer::Adam {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-7,
        }
    }
    /// RMSprop with the Keras defaults (decay 0.9, ε = 1e-7).
    pub fn rmsprop() -> Self {
        BaseOptimizer::RmsProp {
            decay: 0.9,
            eps: 1e-7,
        }
    }
    /// Adagrad with ε = 1e-7.
    pub fn adagrad() -> Self {
        BaseOptimizer::Adagrad { eps: 1e-7 }
    }
    /// Short name (used in state files and logs).
    pub fn name(&self) -> &'static str {
        match self {
            BaseOptimizer::Sgd { .. } => "sgd",
            BaseOptimizer::SgdAMom { .. } => "sgd_amom",
            BaseOptimizer::Adam { .. } => "adam",
            BaseOptimizer::RmsProp { .. } => "rmsprop",
            BaseOptimizer::Adagrad { .. } => "adagrad",
        }
    }
}

/// How the base step is applied to kernels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Control {
    /// Plain base-optimizer update.
    None,
    /// Layca (spec §4.1).
    Layca,
    /// LARS-like sub-version (spec §4.5) with growth cap (1e-4 in the paper) × initial norm.
    ///
    /// The initial norms n₀ are measured at the optimizer's first step (so a 1/4 rescaling of
    /// the initial kernels done after construction is taken into account) and saved with the
    /// state.
    LarsLike {
        /// Maximum norm growth per step, as a fraction of the kernel's initial norm.
        growth_cap: f64,
    },
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
    /// The base optimizer.
    pub base: BaseOptimizer,
    /// The control mode applied to kernels.
    pub control: Control,
    /// Global learning rate ρ (set each step by the engine from its schedule).
    pub lr: f64,
    /// Per-kernel multipliers μ_l (ρ_l = lr·μ_l).
    pub multipliers: Multipliers,
    /// Coupled L2 coefficient λ (gradient += 2λw) on kernels not in `l2_exclude`.
    pub l2: f64,
    /// Kernel names exempt from L2 (e.g. ResNet dense head).
    pub l2_exclude: Vec<String>,
    /// Decoupled weight decay on kernels: w ← (1 − ρ_l·wd)·w before the control step, 0 to disable.
    pub weight_decay: f64,
    /// Policy for non-kernel parameters.
    pub other_params: OtherParams,
}

impl OptimConfig {
    /// A configuration with uniform multipliers, no L2, no weight decay, and other parameters
    /// `Frozen` under Layca (the authors' code) or updated by the base optimizer otherwise.
    pub fn new(base: BaseOptimizer, control: Control, lr: f64) -> Self {
        let other_params = if control == Control::Layca {
            OtherParams::Frozen
        } else {
            OtherParams::BaseOptimizer
        };
        Self {
            base,
            control,
            lr,
            multipliers: Multipliers::Uniform,
            l2: 0.0,
            l2_exclude: Vec::new(),
            weight_decay: 0.0,
            other_params,
        }
    }
    /// The paper's `SGD_layca` (no momentum, Layca, others frozen).
    pub fn sgd_layca(lr: f64) -> Self {
        Self::new(BaseOptimizer::sgd(), Control::Layca, lr)
    }
    /// Sets the multipliers.
    pub fn with_multipliers(mut self, multipliers: Multipliers) -> Self {
        self.multipliers = multipliers;
        self
    }
    /// Sets the coupled L2 coefficient and the kernels exempt from it.
    pub fn with_l2(mut self, l2: f64, exclude: Vec<String>) -> Self {
        self.l2 = l2;
        self.l2_exclude = exclude;
        self
    }
    /// Sets the decoupled weight decay.
    pub fn with_weight_decay(mut self, weight_decay: f64) -> Self {
        self.weight_decay = weight_decay;
        self
    }
    /// Sets the policy for non-kernel parameters.
    pub fn with_other_params(mut self, other_params: OtherParams) -> Self {
        self.other_params = other_params;
        self
    }
}
