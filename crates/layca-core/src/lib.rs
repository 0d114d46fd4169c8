//! # layca-core — the pure math of layer rotation
//!
//! CONTRACT SKELETON (to be implemented; signatures are the API other crates build against).
//!
//! Owns: cosine distance / angle between tensors (accumulated in f64), the α layer-wise
//! multipliers of Eq. 1, learning-rate schedules, the Layca transform stages and the LARS-like
//! sub-version, and the rotation monitor. Must not depend on: any I/O, file system, optimizer
//! state, models or data. Depends only on `candle-core` (tensors), `thiserror`, `serde`.

pub mod error;
pub mod layca;
pub mod monitor;
pub mod multipliers;
pub mod rotation;
pub mod schedule;

pub use error::{CoreError, Result};
pub use monitor::{RotationMonitor, StepRateTracker};
pub use multipliers::alpha_multipliers;
pub use rotation::{angle, cosine_distance, tan_from_cosine_distance};
pub use schedule::Schedule;
