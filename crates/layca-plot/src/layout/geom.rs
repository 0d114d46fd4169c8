//! Pixel geometry: rectangles, rounding, and the font sizes and line widths of a figure.

/// Pixel rectangle `[x0, x1] × [y0, y1]` (y grows downwards).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Rect {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl Rect {
    pub fn w(&self) -> f64 {
        self.x1 - self.x0
    }

    pub fn h(&self) -> f64 {
        self.y1 - self.y0
    }

    pub fn center_x(&self) -> f64 {
        (self.x0 + self.x1) / 2.0
    }

    pub fn center_y(&self) -> f64 {
        (self.y0 + self.y1) / 2.0
    }

    /// The rectangle grown by `d` pixels on every side.
    pub fn grown(&self, d: f64) -> Rect {
        Rect {
            x0: self.x0 - d,
            y0: self.y0 - d,
            x1: self.x1 + d,
            y1: self.y1 + d,
        }
    }
}

/// Font sizes and line widths derived from a base font size `f` (pixels).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sizes {
    pub tick: f64,
    pub label: f64,
    pub title: f64,
    pub header: f64,
    pub legend: f64,
    /// Caption below a figure (smaller than the tick labels).
    pub caption: f64,
    pub line: f64,
    pub frame: f64,
    pub tick_len: f64,
    pub pad: f64,
    /// Marker radius (matplotlib's default 6 pt marker at the default font size).
    pub marker: f64,
}

impl Sizes {
    pub fn new(f: f64) -> Self {
        Sizes {
            tick: f,
            label: 1.15 * f,
            title: 1.0 * f,
            header: 1.35 * f,
            legend: 0.95 * f,
            caption: 0.8 * f,
            line: (f / 9.0).max(1.0),
            frame: (f / 18.0).max(1.0),
            tick_len: 0.3 * f,
            pad: 0.4 * f,
            marker: (0.28 * f).max(2.0),
        }
    }
}

/// Nearest pixel coordinate.
pub(crate) fn px(v: f64) -> i32 {
    v.round() as i32
}
