//! Drawing rich labels (super/subscripts, bold) and vertical labels.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::DrawResult;
use crate::color::Rgb;
use crate::layout::text::{font, parse_rich, plain, rich_width, Script};

/// Horizontal alignment of a label relative to its anchor x.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Center,
    Right,
}

/// One run of text: content, size, weight, colour.
struct Run<'a> {
    text: &'a str,
    size: f64,
    bold: bool,
    color: Rgb,
}

/// Draws plain text with its baseline at `baseline`.
fn draw_plain<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    run: Run<'_>,
    x: f64,
    baseline: f64,
    h: HPos,
) -> DrawResult {
    // plotters' top anchor puts the baseline about half a font size below the anchor
    // (ab_glyph backend: exactly size/2; SVG: 0.61·size).
    let top = baseline - 0.53 * run.size;
    let style = font(run.size, run.bold)
        .color(&run.color.to_plotters())
        .pos(Pos::new(h, VPos::Top));
    root.draw(&Text::new(
        run.text.to_string(),
        (x.round() as i32, top.round() as i32),
        style,
    ))
    .map_err(|e| e.to_string())
}

/// Draws a rich label with its baseline at `baseline`, horizontally aligned on `x`.
pub(crate) fn draw_rich<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    text: &str,
    x: f64,
    baseline: f64,
    size: f64,
    color: Rgb,
    align: Align,
) -> DrawResult {
    let segs = parse_rich(text);
    if let [seg] = segs.as_slice() {
        if seg.script == Script::Normal {
            // A single run: let the backend align it (SVG viewers then align with their font).
            let h = match align {
                Align::Left => HPos::Left,
                Align::Center => HPos::Center,
                Align::Right => HPos::Right,
            };
            let run = Run {
                text: &seg.text,
                size,
                bold: seg.bold,
                color,
            };
            return draw_plain(root, run, x, baseline, h);
        }
    }
    let width = rich_width(text, size);
    let mut cx = match align {
        Align::Left => x,
        Align::Center => x - width / 2.0,
        Align::Right => x - width,
    };
    for seg in &segs {
        let (s, dy) = seg.metrics(size);
        let run = Run {
            text: &seg.text,
            size: s,
            bold: seg.bold,
            color,
        };
        draw_plain(root, run, cx, baseline + dy, HPos::Left)?;
        cx += seg.width(size);
    }
    Ok(())
}

/// Draws `text` (markup removed) rotated by 90° counter-clockwise (reading bottom to top),
/// centred vertically on `y_center`, with the glyph tops at `left` (the text's top faces left).
pub(crate) fn draw_vertical<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    text: &str,
    left: f64,
    y_center: f64,
    size: f64,
    color: Rgb,
) -> DrawResult {
    let text = plain(text);
    let style = font(size, false)
        .transform(FontTransform::Rotate270)
        .color(&color.to_plotters())
        .pos(Pos::new(HPos::Center, VPos::Top));
    // Glyph tops lie ~0.1·size before the anchor line (see `draw_plain`).
    root.draw(&Text::new(
        text,
        ((left - 0.1 * size).round() as i32, y_center.round() as i32),
        style,
    ))
    .map_err(|e| e.to_string())
}
