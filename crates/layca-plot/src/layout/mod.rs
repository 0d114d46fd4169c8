//! Layout: sizes, text measurement, tick choice and the placement of every part of a figure in
//! absolute pixels. Nothing here draws.

pub(crate) mod caption;
pub(crate) mod clip;
pub(crate) mod geom;
pub(crate) mod grid;
pub(crate) mod images;
pub(crate) mod mapper;
pub(crate) mod margins;
pub(crate) mod text;
pub(crate) mod ticks;

pub(crate) use caption::{validate_caption, CaptionLayout};
pub(crate) use geom::{px, Rect, Sizes};
pub(crate) use mapper::Mapper;
pub(crate) use margins::Margins;
