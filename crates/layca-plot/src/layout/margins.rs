//! Space a panel needs around its plotting area (title, ticks, tick labels, axis labels).

use super::geom::Sizes;
use super::text::{plain_width, rich_width};
use super::ticks::visible_ticks;
use crate::model::Panel;

/// Space needed around a panel's plotting area.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Margins {
    pub top: f64,
    pub left: f64,
    pub bottom: f64,
    pub right: f64,
}

/// Width of a tick label (plain numbers measured as before; rich labels such as `10^{-3}` with
/// their superscripts).
fn label_width(text: &str, size: f64) -> f64 {
    if text.contains(['^', '_', '*']) {
        rich_width(text, size)
    } else {
        plain_width(text, size)
    }
}

/// Width of the widest y tick label (0 when they are hidden).
pub(crate) fn y_tick_label_width(p: &Panel, s: &Sizes) -> f64 {
    if !p.y.show_tick_labels {
        return 0.0;
    }
    visible_ticks(&p.y)
        .iter()
        .map(|(_, t)| label_width(t, s.tick))
        .fold(0.0, f64::max)
}

/// Extra height of x tick labels with superscripts (`10^{k}`) above plain numbers.
pub(crate) fn x_tick_label_extra(p: &Panel, s: &Sizes) -> f64 {
    let rich = visible_ticks(&p.x).iter().any(|(_, t)| t.contains('^'));
    if p.x.show_tick_labels && rich {
        0.35 * s.tick
    } else {
        0.0
    }
}

fn top_margin(p: &Panel, s: &Sizes) -> f64 {
    let n_title = p.title.len() as f64;
    if n_title > 0.0 {
        n_title * 1.3 * s.title + 0.3 * s.title
    } else {
        s.pad
    }
}

fn left_margin(p: &Panel, s: &Sizes) -> f64 {
    let ytw = y_tick_label_width(p, s);
    let mut left = s.tick_len + s.pad;
    if ytw > 0.0 {
        left += ytw + 0.3 * s.tick;
    }
    if p.y.label.is_some() {
        left += 1.35 * s.label;
    }
    left
}

fn bottom_margin(p: &Panel, s: &Sizes) -> f64 {
    let mut bottom = s.tick_len + s.pad;
    if p.x.show_tick_labels {
        bottom += 1.15 * s.tick + x_tick_label_extra(p, s);
    }
    if p.x.label.is_some() {
        bottom += 1.35 * s.label;
    }
    bottom
}

fn right_margin(p: &Panel, s: &Sizes) -> f64 {
    let mut right = s.pad;
    if p.x.show_tick_labels {
        if let Some((_, last)) = visible_ticks(&p.x).last() {
            right = right.max(0.5 * label_width(last, s.tick) + 0.2 * s.tick);
        }
    }
    right
}

/// Margins of one panel at sizes `s`.
pub(crate) fn panel_margins(p: &Panel, s: &Sizes) -> Margins {
    Margins {
        top: top_margin(p, s),
        left: left_margin(p, s),
        bottom: bottom_margin(p, s),
        right: right_margin(p, s),
    }
}
