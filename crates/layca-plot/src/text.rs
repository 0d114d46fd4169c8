//! Font registration, text measurement and a tiny "rich text" syntax (super/subscripts).
//!
//! Labels may contain `^{…}` or `^` followed by a number (`3^-2.5`) for a superscript and
//! `_{…}` for a subscript; a `-` inside them is typeset as a real minus sign (U+2212), like
//! matplotlib's mathtext. Everything else is drawn verbatim.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::color::Rgb;
use crate::error::{PlotError, Result};

/// DejaVu Sans (see `assets/fonts/LICENSE-DejaVu.txt`), embedded so that rendering works on
/// machines without fontconfig or system fonts.
static FONT_BYTES: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
static FONT_ONCE: Once = Once::new();
static FONT_OK: AtomicBool = AtomicBool::new(false);

/// Registers the embedded font as plotters' `sans-serif` family (once per process).
pub(crate) fn ensure_font() -> Result<()> {
    FONT_ONCE.call_once(|| {
        let ok =
            plotters::style::register_font("sans-serif", FontStyle::Normal, FONT_BYTES).is_ok();
        FONT_OK.store(ok, Ordering::SeqCst);
    });
    if FONT_OK.load(Ordering::SeqCst) {
        Ok(())
    } else {
        Err(PlotError::Font)
    }
}

fn font(size: f64) -> FontDesc<'static> {
    FontDesc::new(FontFamily::SansSerif, size, FontStyle::Normal)
}

/// Width in pixels of plain `text` at font size `size` (plotters' size convention).
pub(crate) fn plain_width(text: &str, size: f64) -> f64 {
    match font(size).box_size(text) {
        Ok((w, _)) => w as f64,
        // Only reachable if the font is missing, which `ensure_font` rules out before drawing.
        Err(_) => 0.6 * size * text.chars().count() as f64,
    }
}

/// Part of a rich label.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Seg {
    Normal(String),
    Sup(String),
    Sub(String),
}

fn mathify(s: &str) -> String {
    s.replace('-', "\u{2212}")
}

/// Splits a label into normal / superscript / subscript runs.
pub(crate) fn parse_rich(text: &str) -> Vec<Seg> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let script = match c {
            '^' | '_' if chars.get(i + 1) == Some(&'{') => {
                let end = chars[i + 2..].iter().position(|&ch| ch == '}');
                end.map(|e| {
                    let inner: String = chars[i + 2..i + 2 + e].iter().collect();
                    (inner, i + 3 + e)
                })
            }
            '^' => {
                let mut j = i + 1;
                if matches!(chars.get(j), Some('-' | '+' | '\u{2212}')) {
                    j += 1;
                }
                while j < chars.len() && (chars[j].is_ascii_digit() || chars[j] == '.') {
                    j += 1;
                }
                // Do not swallow a trailing '.' (end of sentence).
                while j > i + 1 && chars[j - 1] == '.' {
                    j -= 1;
                }
                let inner: String = chars[i + 1..j].iter().collect();
                inner
                    .chars()
                    .any(|ch| ch.is_ascii_digit())
                    .then_some((inner, j))
            }
            _ => None,
        };
        match script {
            Some((inner, next)) => {
                if !cur.is_empty() {
                    out.push(Seg::Normal(std::mem::take(&mut cur)));
                }
                out.push(if c == '^' {
                    Seg::Sup(mathify(&inner))
                } else {
                    Seg::Sub(mathify(&inner))
                });
                i = next;
            }
            None => {
                cur.push(c);
                i += 1;
            }
        }
    }
    if !cur.is_empty() {
        out.push(Seg::Normal(cur));
    }
    out
}

/// Plain-text rendering of a rich label (markup removed), e.g. for rotated text.
pub(crate) fn plain(text: &str) -> String {
    parse_rich(text)
        .into_iter()
        .map(|s| match s {
            Seg::Normal(t) | Seg::Sup(t) | Seg::Sub(t) => t,
        })
        .collect()
}

const SCRIPT_SCALE: f64 = 0.7;

/// Width in pixels of a rich label at font size `size`.
pub(crate) fn rich_width(text: &str, size: f64) -> f64 {
    parse_rich(text)
        .iter()
        .map(|s| match s {
            Seg::Normal(t) => plain_width(t, size),
            Seg::Sup(t) | Seg::Sub(t) => plain_width(t, size * SCRIPT_SCALE),
        })
        .sum()
}

/// Horizontal alignment of a label relative to its anchor x.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Center,
    Right,
}

/// Vertical extent of text of size `s` relative to its baseline (approximate, DejaVu Sans).
pub(crate) fn ascent(s: f64) -> f64 {
    0.62 * s
}
/// Depth below the baseline.
pub(crate) fn descent(s: f64) -> f64 {
    0.2 * s
}

type DrawResult = std::result::Result<(), String>;

/// Draws plain `text` with its baseline at `y`.
fn draw_plain<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    text: &str,
    x: f64,
    baseline: f64,
    size: f64,
    color: Rgb,
    h: HPos,
) -> DrawResult {
    // plotters' top anchor puts the baseline about half a font size below the anchor
    // (ab_glyph backend: exactly size/2; SVG: 0.61·size).
    let top = baseline - 0.53 * size;
    let style = font(size)
        .color(&color.to_plotters())
        .pos(Pos::new(h, VPos::Top));
    root.draw(&Text::new(
        text.to_string(),
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
    if let [Seg::Normal(t)] = segs.as_slice() {
        // A single run: let the backend align it (SVG viewers then align with their own font).
        let h = match align {
            Align::Left => HPos::Left,
            Align::Center => HPos::Center,
            Align::Right => HPos::Right,
        };
        return draw_plain(root, t, x, baseline, size, color, h);
    }
    let width = rich_width(text, size);
    let mut cx = match align {
        Align::Left => x,
        Align::Center => x - width / 2.0,
        Align::Right => x - width,
    };
    for seg in segs {
        let (t, s, dy) = match &seg {
            Seg::Normal(t) => (t, size, 0.0),
            Seg::Sup(t) => (t, size * SCRIPT_SCALE, -0.38 * size),
            Seg::Sub(t) => (t, size * SCRIPT_SCALE, 0.15 * size),
        };
        draw_plain(root, t, cx, baseline + dy, s, color, HPos::Left)?;
        cx += plain_width(t, s);
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
    let style = font(size)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rich_parsing() {
        assert_eq!(
            parse_rich("lr = 3^-2.5"),
            vec![Seg::Normal("lr = 3".into()), Seg::Sup("\u{2212}2.5".into())]
        );
        assert_eq!(
            parse_rich("ρ (0)=3^{-5} x"),
            vec![
                Seg::Normal("ρ (0)=3".into()),
                Seg::Sup("\u{2212}5".into()),
                Seg::Normal(" x".into())
            ]
        );
        assert_eq!(
            parse_rich("SGD + L_{2}"),
            vec![Seg::Normal("SGD + L".into()), Seg::Sub("2".into())]
        );
        // Not markup: underscores without braces, a caret without digits.
        assert_eq!(
            parse_rich("SGD_layca a^b"),
            vec![Seg::Normal("SGD_layca a^b".into())]
        );
        assert_eq!(plain("lr = 3^-2"), "lr = 3\u{2212}2");
    }
}
