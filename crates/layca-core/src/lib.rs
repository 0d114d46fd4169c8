//! # layca-core — the pure math of layer rotation
//!
//! Owns: cosine distance / angle between tensors (accumulated in f64), the α layer-wise
//! multipliers of Eq. 1, learning-rate schedules, the Layca transform stages and the LARS-like
//! sub-version, and the rotation monitor. Must not depend on: any I/O, file system, optimizer
//! state, models or data. Depends only on `candle-core` (tensors), `thiserror`, `serde`.
//!
//! * [`rotation`] — [`cosine_distance`], [`angle`], [`tan_from_cosine_distance`]: every
//!   reduction converted to f64 on the tensors' device (the authors used scipy in float64).
//! * [`multipliers`] — [`alpha_multipliers`] (Eq. 1): α = ±0.6 spans 1 … 0.4⁵ = 0.01024.
//! * [`schedule`] — [`Schedule`]: constant, step decay (per epoch), linear warmup (per step).
//! * [`layca`] — the four Layca operations ([`layca::project_tangent`],
//!   [`layca::normalise_to_norm`], [`layca::apply_rate`], [`layca::restore_norm`]) composed by
//!   [`layca::layca_update`], and the LARS-like [`layca::lars_update`] with
//!   [`layca::cap_norm_growth`].
//! * [`monitor`] — [`RotationMonitor`] (cosine distance to the initial kernels, spec §5.1) and
//!   [`StepRateTracker`] (per-step tan θ, spec §5.2).
//!
//! The optimizers that use these live in `layca-optim`.
//!
//! ```
//! use candle_core::{Device, Tensor};
//! use layca_core::{layca::layca_update, RotationMonitor};
//! let w0 = Tensor::new(&[[0.6f32, 0.8], [0.0, 0.0]], &Device::Cpu)?;
//! let monitor = RotationMonitor::new(&[("dense".to_string(), w0.clone())])?;
//! let grad = Tensor::new(&[[1f32, 0.0], [0.0, 1.0]], &Device::Cpu)?;
//! let w1 = layca_update("dense", &w0, &grad, 0.1)?; // rotates by exactly atan(0.1)
//! let d = monitor.cosine_distances(&[w1])?[0];
//! assert!((layca_core::tan_from_cosine_distance(d) - 0.1).abs() < 1e-5);
//! # Ok::<(), layca_core::CoreError>(())
//! ```
#![warn(missing_docs)]

pub mod error;
pub mod layca;
pub mod monitor;
pub mod multipliers;
pub mod rotation;
pub mod schedule;

pub use error::{CoreError, Result};
pub use monitor::{RotationMonitor, StepRateTracker};
pub use multipliers::alpha_multipliers;
pub use rotation::{angle, cosine_distance, dot_f64, sq_norm_f64, tan_from_cosine_distance};
pub use schedule::Schedule;
