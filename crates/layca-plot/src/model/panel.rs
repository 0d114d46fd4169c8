//! One chart: title, axes, curves, legend and annotations.

use serde::{Deserialize, Serialize};

use super::{Axis, Series};
use crate::color::Rgb;
use crate::error::{PlotError, Result};

fn default_size() -> f64 {
    1.0
}

fn black() -> Rgb {
    Rgb::BLACK
}

/// Text placed inside a panel's plotting area, centred on a point given in axis fractions
/// (`(0, 0)` bottom left, `(1, 1)` top right), e.g. "Training fails". Lines are separated by
/// `\n`; rich-text markup (including `**bold**`) is allowed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Annotation {
    /// Text (rich text, `\n` separates lines).
    pub text: String,
    /// Horizontal position of the centre as a fraction of the plotting area's width.
    pub x: f64,
    /// Vertical position of the centre as a fraction of the plotting area's height (from the
    /// bottom).
    pub y: f64,
    /// Font size relative to the panel title's size.
    #[serde(default = "default_size")]
    pub size: f64,
    /// Text colour.
    #[serde(default = "black")]
    pub color: Rgb,
}

impl Annotation {
    /// Black text of the title's size centred at `(x, y)` in axis fractions.
    pub fn new(text: impl Into<String>, x: f64, y: f64) -> Self {
        Annotation {
            text: text.into(),
            x,
            y,
            size: 1.0,
            color: Rgb::BLACK,
        }
    }

    /// Centred in the plotting area.
    pub fn centered(text: impl Into<String>) -> Self {
        Annotation::new(text, 0.5, 0.5)
    }

    /// Sets the relative font size.
    pub fn with_size(mut self, size: f64) -> Self {
        self.size = size;
        self
    }

    /// Sets the colour.
    pub fn with_color(mut self, color: Rgb) -> Self {
        self.color = color;
        self
    }

    fn validate(&self, what: &str) -> Result<()> {
        if !(self.x.is_finite() && self.y.is_finite()) {
            return Err(PlotError::Data(format!(
                "{what}: annotation {:?} position ({}, {}) is not finite",
                self.text, self.x, self.y
            )));
        }
        if !(self.size > 0.0 && self.size <= 10.0) {
            return Err(PlotError::Data(format!(
                "{what}: annotation {:?} size {} is not in (0, 10]",
                self.text, self.size
            )));
        }
        Ok(())
    }
}

/// Corner of the plotting area for an inside legend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Corner {
    /// Top left.
    UpperLeft,
    /// Top right.
    UpperRight,
    /// Bottom left.
    LowerLeft,
    /// Bottom right.
    LowerRight,
}

/// Where the labels of a panel's series are shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Legend {
    /// No legend.
    None,
    /// A boxed legend inside the plotting area.
    Inside(Corner),
    /// Each label written along its curve, in the curve's colour (Figure 8a style).
    OnCurves,
}

/// One chart: title lines, two axes, curves, legend.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Panel {
    /// Title lines above the plotting area (rich text), e.g. `["η = 88.45 %"]`.
    pub title: Vec<String>,
    /// Horizontal axis.
    pub x: Axis,
    /// Vertical axis.
    pub y: Axis,
    /// Curves, drawn in order (later on top).
    pub series: Vec<Series>,
    /// Legend placement.
    pub legend: Legend,
    /// Text inside the plotting area (e.g. "Training fails").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub annotations: Vec<Annotation>,
}

impl Panel {
    /// A panel with the given axes and no curves, title or legend.
    pub fn new(x: Axis, y: Axis) -> Self {
        Panel {
            title: Vec::new(),
            x,
            y,
            series: Vec::new(),
            legend: Legend::None,
            annotations: Vec::new(),
        }
    }

    /// Adds a title line.
    pub fn with_title(mut self, line: impl Into<String>) -> Self {
        self.title.push(line.into());
        self
    }

    /// Sets the legend placement.
    pub fn with_legend(mut self, legend: Legend) -> Self {
        self.legend = legend;
        self
    }

    /// Adds a text annotation.
    pub fn with_annotation(mut self, annotation: Annotation) -> Self {
        self.annotations.push(annotation);
        self
    }

    /// Adds a curve (builder form of [`Panel::push`]).
    pub fn with_series(mut self, series: Series) -> Self {
        self.series.push(series);
        self
    }

    /// Adds a curve.
    pub fn push(&mut self, series: Series) {
        self.series.push(series);
    }

    pub(crate) fn validate(&self, what: &str) -> Result<()> {
        self.x.validate(&format!("{what}, x axis"))?;
        self.y.validate(&format!("{what}, y axis"))?;
        for (i, s) in self.series.iter().enumerate() {
            s.validate(&format!("{what}, series {i}"))?;
        }
        for a in &self.annotations {
            a.validate(what)?;
        }
        Ok(())
    }
}
