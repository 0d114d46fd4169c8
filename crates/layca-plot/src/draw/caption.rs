//! Drawing a caption below a figure: its lines centred, in black.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::text::{draw_rich, Align};
use super::DrawResult;
use crate::color::Rgb;
use crate::layout::caption::CaptionLayout;

/// Draws the caption's lines centred on `cx`, in the strip starting at `top`.
pub(crate) fn draw_caption<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    caption: &CaptionLayout,
    cx: f64,
    top: f64,
) -> DrawResult {
    for (i, line) in caption.lines.iter().enumerate() {
        if line.is_empty() {
            continue;
        }
        let baseline = caption.baseline(top, i);
        draw_rich(
            root,
            line,
            cx,
            baseline,
            caption.size,
            Rgb::BLACK,
            Align::Center,
        )?;
    }
    Ok(())
}
