//! Font registration, text measurement and a tiny "rich text" syntax.
//!
//! Labels may contain `^{…}` or `^` followed by a number (`3^-2.5`) for a superscript,
//! `_{…}` for a subscript and `**…**` for bold; a `-` inside super/subscripts is typeset as a
//! real minus sign (U+2212), like matplotlib's mathtext. Everything else is drawn verbatim.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;

use plotters::prelude::*;

use crate::error::{PlotError, Result};

/// DejaVu Sans and DejaVu Sans Bold (see `assets/fonts/LICENSE-DejaVu.txt`), embedded so that
/// rendering works on machines without fontconfig or system fonts.
static FONT_BYTES: &[u8] = include_bytes!("../../../../assets/fonts/DejaVuSans.ttf");
static BOLD_BYTES: &[u8] = include_bytes!("../../../../assets/fonts/DejaVuSans-Bold.ttf");
static FONT_ONCE: Once = Once::new();
static FONT_OK: AtomicBool = AtomicBool::new(false);

/// Registers the embedded fonts as plotters' `sans-serif` family (once per process).
pub(crate) fn ensure_font() -> Result<()> {
    FONT_ONCE.call_once(|| {
        let reg = |style, bytes| plotters::style::register_font("sans-serif", style, bytes);
        let ok =
            reg(FontStyle::Normal, FONT_BYTES).is_ok() && reg(FontStyle::Bold, BOLD_BYTES).is_ok();
        FONT_OK.store(ok, Ordering::SeqCst);
    });
    if FONT_OK.load(Ordering::SeqCst) {
        Ok(())
    } else {
        Err(PlotError::Font)
    }
}

/// The embedded font at `size`, bold or regular.
pub(crate) fn font(size: f64, bold: bool) -> FontDesc<'static> {
    let style = if bold {
        FontStyle::Bold
    } else {
        FontStyle::Normal
    };
    FontDesc::new(FontFamily::SansSerif, size, style)
}

/// Width in pixels of plain `text` at font size `size` (plotters' size convention).
pub(crate) fn plain_width(text: &str, size: f64) -> f64 {
    styled_width(text, size, false)
}

fn styled_width(text: &str, size: f64, bold: bool) -> f64 {
    match font(size, bold).box_size(text) {
        Ok((w, _)) => w as f64,
        // Only reachable if the font is missing, which `ensure_font` rules out before drawing.
        Err(_) => 0.6 * size * text.chars().count() as f64,
    }
}

/// Vertical placement of a run of rich text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Script {
    Normal,
    Sup,
    Sub,
}

/// One run of a rich label: text, placement, weight.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Seg {
    pub text: String,
    pub script: Script,
    pub bold: bool,
}

impl Seg {
    #[cfg(test)]
    fn new(text: &str, script: Script, bold: bool) -> Self {
        Seg {
            text: text.into(),
            script,
            bold,
        }
    }

    /// Font size and baseline shift of this run for a base size `size`.
    pub fn metrics(&self, size: f64) -> (f64, f64) {
        match self.script {
            Script::Normal => (size, 0.0),
            Script::Sup => (size * SCRIPT_SCALE, -0.38 * size),
            Script::Sub => (size * SCRIPT_SCALE, 0.15 * size),
        }
    }

    /// Width of this run for a base size `size`.
    pub fn width(&self, size: f64) -> f64 {
        styled_width(&self.text, self.metrics(size).0, self.bold)
    }
}

fn mathify(s: &str) -> String {
    s.replace('-', "\u{2212}")
}

/// Splits on `**` pairs: `(text, bold)` pieces; an unmatched `**` stays literal.
fn split_bold(text: &str) -> Vec<(&str, bool)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("**") {
        let after = &rest[open + 2..];
        let Some(close) = after.find("**") else {
            break;
        };
        if open > 0 {
            out.push((&rest[..open], false));
        }
        if close > 0 {
            out.push((&after[..close], true));
        }
        rest = &after[close + 2..];
    }
    if !rest.is_empty() {
        out.push((rest, false));
    }
    out
}

/// A super/subscript starting at `chars[i]` (`^` or `_`): its inner text and the index after it.
fn script_at(chars: &[char], i: usize) -> Option<(String, usize)> {
    let c = chars[i];
    if matches!(c, '^' | '_') && chars.get(i + 1) == Some(&'{') {
        let end = chars[i + 2..].iter().position(|&ch| ch == '}')?;
        let inner: String = chars[i + 2..i + 2 + end].iter().collect();
        return Some((inner, i + 3 + end));
    }
    if c != '^' {
        return None;
    }
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

/// Splits a piece of uniform weight into normal / superscript / subscript runs.
fn parse_scripts(text: &str, bold: bool, out: &mut Vec<Seg>) {
    let chars: Vec<char> = text.chars().collect();
    let mut cur = String::new();
    let mut i = 0;
    let seg = |text: String, script| Seg { text, script, bold };
    while i < chars.len() {
        match script_at(&chars, i) {
            Some((inner, next)) => {
                if !cur.is_empty() {
                    out.push(seg(std::mem::take(&mut cur), Script::Normal));
                }
                let script = if chars[i] == '^' {
                    Script::Sup
                } else {
                    Script::Sub
                };
                out.push(seg(mathify(&inner), script));
                i = next;
            }
            None => {
                cur.push(chars[i]);
                i += 1;
            }
        }
    }
    if !cur.is_empty() {
        out.push(seg(cur, Script::Normal));
    }
}

/// Splits a label into runs of text (normal / superscript / subscript, regular / bold).
pub(crate) fn parse_rich(text: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    for (piece, bold) in split_bold(text) {
        parse_scripts(piece, bold, &mut out);
    }
    out
}

/// Plain-text rendering of a rich label (markup removed), e.g. for rotated text.
pub(crate) fn plain(text: &str) -> String {
    parse_rich(text).into_iter().map(|s| s.text).collect()
}

const SCRIPT_SCALE: f64 = 0.7;

/// Width in pixels of a rich label at font size `size`.
pub(crate) fn rich_width(text: &str, size: f64) -> f64 {
    parse_rich(text).iter().map(|s| s.width(size)).sum()
}

/// Vertical extent of text of size `s` above its baseline (approximate, DejaVu Sans).
pub(crate) fn ascent(s: f64) -> f64 {
    0.62 * s
}

/// Depth below the baseline.
pub(crate) fn descent(s: f64) -> f64 {
    0.2 * s
}

#[cfg(test)]
mod tests {
    use super::*;
    use Script::{Normal, Sub, Sup};

    #[test]
    fn rich_parsing() {
        assert_eq!(
            parse_rich("lr = 3^-2.5"),
            vec![
                Seg::new("lr = 3", Normal, false),
                Seg::new("\u{2212}2.5", Sup, false)
            ]
        );
        assert_eq!(
            parse_rich("ρ (0)=3^{-5} x"),
            vec![
                Seg::new("ρ (0)=3", Normal, false),
                Seg::new("\u{2212}5", Sup, false),
                Seg::new(" x", Normal, false)
            ]
        );
        assert_eq!(
            parse_rich("SGD + L_{2}"),
            vec![
                Seg::new("SGD + L", Normal, false),
                Seg::new("2", Sub, false)
            ]
        );
        // Not markup: underscores without braces, a caret without digits.
        assert_eq!(
            parse_rich("SGD_layca a^b"),
            vec![Seg::new("SGD_layca a^b", Normal, false)]
        );
        assert_eq!(plain("lr = 3^-2"), "lr = 3\u{2212}2");
    }

    #[test]
    fn bold_markup() {
        assert_eq!(
            parse_rich("Δη = **−8.77 %**"),
            vec![
                Seg::new("Δη = ", Normal, false),
                Seg::new("−8.77 %", Normal, true)
            ]
        );
        assert_eq!(
            parse_rich("**lr = 3^-1**"),
            vec![
                Seg::new("lr = 3", Normal, true),
                Seg::new("\u{2212}1", Sup, true)
            ]
        );
        // An unmatched ** is literal text.
        assert_eq!(
            parse_rich("a ** b"),
            vec![Seg::new("a ** b", Normal, false)]
        );
        assert_eq!(plain("x **y**"), "x y");
    }

    #[test]
    fn bold_text_is_wider() {
        ensure_font().unwrap();
        assert!(rich_width("**Training fails**", 20.0) > rich_width("Training fails", 20.0));
    }
}
