//! Data → pixel mapping of one panel (linear or logarithmic per axis).

use super::geom::Rect;
use crate::model::Axis;

/// Maps data coordinates of a panel to pixels of its plotting area.
pub(crate) struct Mapper<'a> {
    pub plot: Rect,
    pub x: &'a Axis,
    pub y: &'a Axis,
}

impl<'a> Mapper<'a> {
    pub fn new(plot: Rect, x: &'a Axis, y: &'a Axis) -> Self {
        Mapper { plot, x, y }
    }

    /// Pixel x of data `x` (NaN where the axis cannot show it).
    pub fn px(&self, x: f64) -> f64 {
        self.plot.x0 + self.x.fraction(x) * self.plot.w()
    }

    /// Pixel y of data `y` (NaN where the axis cannot show it).
    pub fn py(&self, y: f64) -> f64 {
        self.plot.y1 - self.y.fraction(y) * self.plot.h()
    }

    /// Pixel position of a data point.
    pub fn point(&self, x: f64, y: f64) -> (f64, f64) {
        (self.px(x), self.py(y))
    }

    /// Data x at pixel `px`.
    pub fn data_x(&self, px: f64) -> f64 {
        self.x.value_at((px - self.plot.x0) / self.plot.w())
    }

    /// Pixel y of data `y` clamped to the axis limits.
    pub fn py_clamped(&self, y: f64) -> f64 {
        self.py(y.clamp(self.y.min, self.y.max))
    }
}
