//! Drawing with plotters: every part of a figure at the absolute pixel positions chosen by
//! [`crate::layout`], with our own data → pixel mapping and clipping, so that the PNG and the
//! SVG are the same picture.

pub(crate) mod axes;
pub(crate) mod caption;
pub(crate) mod grid;
pub(crate) mod images;
pub(crate) mod legend;
pub(crate) mod panel;
pub(crate) mod primitives;
pub(crate) mod series;
pub(crate) mod text;

/// Result of a drawing step: plotters' error as text.
pub(crate) type DrawResult = Result<(), String>;

pub(crate) use caption::draw_caption;
pub(crate) use grid::GridScene;
pub(crate) use images::{draw_image_grid, ImageScene};
pub(crate) use panel::draw_panel;
