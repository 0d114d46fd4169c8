//! Serde-serialisable description of figures: plain Rust data, no tensors, no drawing.
//!
//! [`Axis`] and [`Series`] make up a [`Panel`]; panels make up a [`Grid`]; [`RotationPanel`]
//! builds the panel of one run's layer-rotation curves; [`ImageGrid`] holds rows of images.

mod axis;
mod grid;
mod images;
mod panel;
mod rotation;
mod series;
mod titles;

pub use axis::{log_minor_ticks, log_ticks, nice_ticks, Axis, AxisScale};
pub use grid::{ColorBar, Grid, LegendEntry};
pub use images::{ColorMap, Image, ImageGrid, ImageRow};
pub use panel::{Annotation, Corner, Legend, Panel};
pub use rotation::{layers_from_records, RotationPanel, XConvention};
pub use series::{Band, ErrorBars, Marker, Series};
pub use titles::{bold, delta_eta_title, eta_title, format_percent};
