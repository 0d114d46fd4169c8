//! Composite figures that are more than a grid of panels (Figure 8: curves beside images).
//!
//! Figure-specific assembly from run records lives with each figure in `xtask`; only figures
//! whose *layout* is special live here.

mod figure8;

pub use figure8::{figure8, Figure8Data, Figure8Run};
