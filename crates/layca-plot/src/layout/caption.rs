//! A caption below a figure: its font size, its lines (split on `'\n'`, then wrapped at word
//! boundaries to the figure's width) and the height it adds.

use super::text::{ascent, descent, ensure_font, rich_width};
use crate::error::{PlotError, Result};

/// Line height of a caption, in caption font sizes.
const LINE: f64 = 1.3;
/// Space above the first line and below the last one, in caption font sizes.
const PAD: f64 = 0.5;

/// Errors if a caption is present but empty or only whitespace (`None` means no caption).
pub(crate) fn validate_caption(caption: Option<&str>, what: &str) -> Result<()> {
    match caption {
        Some(c) if c.trim().is_empty() => Err(PlotError::Data(format!(
            "{what}: the caption is empty (use None for no caption)"
        ))),
        _ => Ok(()),
    }
}

/// The lines of a caption and the strip they need below a figure.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct CaptionLayout {
    /// Lines of rich text, each with balanced `**` markup.
    pub lines: Vec<String>,
    /// Font size in pixels.
    pub size: f64,
    /// Height of the strip in pixels (padding included).
    pub height: f64,
}

impl CaptionLayout {
    /// Lays out `text` at font size `size` in lines at most `max_width` pixels wide (a single
    /// word wider than that keeps its own line).
    pub fn new(text: &str, size: f64, max_width: f64) -> Self {
        // Measuring needs the embedded font; if it cannot be registered, writing fails anyway.
        let _ = ensure_font();
        let lines = wrap(text.trim(), size, max_width);
        let n = lines.len().max(1) as f64;
        let height = 2.0 * PAD * size + ascent(size) + descent(size) + (n - 1.0) * LINE * size;
        CaptionLayout {
            lines,
            size,
            height,
        }
    }

    /// Baseline of line `i` when the strip starts at `top`.
    pub fn baseline(&self, top: f64, i: usize) -> f64 {
        top + PAD * self.size + ascent(self.size) + i as f64 * LINE * self.size
    }
}

/// Words of a paragraph; a `{…}` group (super/subscript) containing spaces stays one word.
fn words(paragraph: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut depth = 0i32;
    for w in paragraph.split_whitespace() {
        match out.last_mut() {
            Some(last) if depth > 0 => {
                last.push(' ');
                last.push_str(w);
            }
            _ => out.push(w.to_string()),
        }
        depth += w.matches('{').count() as i32 - w.matches('}').count() as i32;
        depth = depth.max(0);
    }
    out
}

/// `line` with a `**` prepended if bold is open at its start and appended if it is still open
/// at its end; also returns whether bold continues on the next line.
fn balanced(line: &str, bold_open: bool) -> (String, bool) {
    let mut s = if bold_open {
        format!("**{line}")
    } else {
        line.to_string()
    };
    let open = s.matches("**").count() % 2 == 1;
    if open {
        s.push_str("**");
    }
    (s, open)
}

/// Splits `text` on `'\n'` and wraps each paragraph greedily at word boundaries so that every
/// line's rich-text width is at most `max_width`. Blank paragraphs give blank lines.
pub(crate) fn wrap(text: &str, size: f64, max_width: f64) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let words = words(paragraph);
        if words.is_empty() {
            lines.push(String::new());
            continue;
        }
        // Bold markup is balanced per paragraph.
        let mut bold_open = false;
        let mut cur: Option<String> = None;
        for w in words {
            let candidate = match &cur {
                Some(c) => format!("{c} {w}"),
                None => w.clone(),
            };
            let fits = rich_width(&balanced(&candidate, bold_open).0, size) <= max_width;
            match cur {
                Some(c) if !fits => {
                    let (line, open) = balanced(&c, bold_open);
                    lines.push(line);
                    bold_open = open;
                    cur = Some(w);
                }
                _ => cur = Some(candidate),
            }
        }
        if let Some(c) = cur {
            lines.push(balanced(&c, bold_open).0);
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_on_newlines_and_width() {
        ensure_font().unwrap();
        let size = 16.0;
        assert_eq!(wrap("one line", size, 1e6), vec!["one line"]);
        assert_eq!(wrap("a\nb c", size, 1e6), vec!["a", "b c"]);
        assert_eq!(wrap("a\n\nb", size, 1e6), vec!["a", "", "b"]);
        let text = "scale cpu · data: standin-mnist-3x32x32 (a stand-in for CIFAR-10 made from \
                    MNIST digits) · width ÷8, 2,000 training images";
        let max = 300.0;
        let lines = wrap(text, size, max);
        assert!(lines.len() > 2, "{lines:?}");
        for l in &lines {
            assert!(rich_width(l, size) <= max, "{l:?} too wide");
        }
        assert_eq!(lines.join(" "), text);
        // A word wider than the line keeps its own line.
        assert_eq!(wrap("x abcdefghijklmnop y", size, 20.0).len(), 3);
    }

    #[test]
    fn markup_survives_wrapping() {
        ensure_font().unwrap();
        let lines = wrap("**bold words here** and ρ (0)=3^{-5 x} end", 16.0, 60.0);
        assert!(
            lines[0].starts_with("**") && lines[0].ends_with("**"),
            "{lines:?}"
        );
        assert!(lines[1].starts_with("**"), "{lines:?}");
        for l in &lines {
            assert_eq!(l.matches("**").count() % 2, 0, "{l:?}");
        }
        assert!(lines.iter().any(|l| l.contains("3^{-5 x}")), "{lines:?}");
    }

    #[test]
    fn height_grows_with_lines() {
        let one = CaptionLayout::new("a", 20.0, 1000.0);
        let two = CaptionLayout::new("a\nb", 20.0, 1000.0);
        assert_eq!(two.lines.len(), 2);
        assert!((two.height - one.height - LINE * 20.0).abs() < 1e-9);
        assert!(one.baseline(100.0, 0) > 100.0 && one.baseline(100.0, 0) < 100.0 + one.height);
    }

    #[test]
    fn empty_captions_are_rejected() {
        assert!(validate_caption(None, "grid").is_ok());
        assert!(validate_caption(Some("x"), "grid").is_ok());
        for bad in ["", "  ", "\n"] {
            let e = validate_caption(Some(bad), "grid").unwrap_err();
            assert!(e.to_string().contains("caption is empty"), "{e}");
        }
    }
}
