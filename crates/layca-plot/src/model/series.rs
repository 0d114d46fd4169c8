//! One curve of a line chart: points, colour, width, optional band and markers.

use serde::{Deserialize, Serialize};

use crate::color::Rgb;
use crate::error::{PlotError, Result};

fn default_width() -> f64 {
    1.0
}

fn default_true() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

fn is_one(v: &f64) -> bool {
    *v == 1.0
}

fn default_band_alpha() -> f64 {
    0.25
}

/// Shape of the markers drawn at a series' points.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Marker {
    /// Filled circle (matplotlib `o`).
    Circle,
    /// Filled square (`s`).
    Square,
    /// Filled upward triangle (`^`).
    Triangle,
    /// Filled diamond (`D`).
    Diamond,
    /// Diagonal cross (`x`).
    Cross,
    /// Upright cross (`+`).
    Plus,
}

/// A filled area between `lower[i]` and `upper[i]` at `x[i]` (e.g. 10th–90th percentiles),
/// drawn translucent in the series colour beneath the line. Non-finite bounds (and
/// non-positive ones on a log axis) break the area.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Band {
    /// Lower bound per point, same length as the series' `y`.
    pub lower: Vec<f64>,
    /// Upper bound per point, same length as the series' `y`.
    pub upper: Vec<f64>,
    /// Opacity of the fill in (0, 1].
    #[serde(default = "default_band_alpha")]
    pub alpha: f64,
}

impl Band {
    /// A band with the default opacity 0.25.
    pub fn new(lower: Vec<f64>, upper: Vec<f64>) -> Self {
        Band {
            lower,
            upper,
            alpha: default_band_alpha(),
        }
    }

    fn validate(&self, what: &str, n: usize) -> Result<()> {
        for (name, v) in [("lower", &self.lower), ("upper", &self.upper)] {
            if v.len() != n {
                return Err(PlotError::Data(format!(
                    "{what}: band {name} has {} values but the series has {n} points",
                    v.len()
                )));
            }
        }
        if !(self.alpha > 0.0 && self.alpha <= 1.0) {
            return Err(PlotError::Data(format!(
                "{what}: band opacity {} is not in (0, 1]",
                self.alpha
            )));
        }
        Ok(())
    }
}

/// Vertical error bars from `lower[i]` to `upper[i]` at `x[i]` in the series colour (Figure 5:
/// median marker, bar from the 10th to the 90th percentile). Points with a bound the axis cannot
/// show have no bar.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorBars {
    /// Lower end per point, same length as the series' `y`.
    pub lower: Vec<f64>,
    /// Upper end per point, same length as the series' `y`.
    pub upper: Vec<f64>,
    /// Whether short horizontal caps end each bar (matplotlib's default has none).
    #[serde(default)]
    pub caps: bool,
}

impl ErrorBars {
    /// Bars without caps.
    pub fn new(lower: Vec<f64>, upper: Vec<f64>) -> Self {
        ErrorBars {
            lower,
            upper,
            caps: false,
        }
    }

    fn validate(&self, what: &str, n: usize) -> Result<()> {
        for (name, v) in [("lower", &self.lower), ("upper", &self.upper)] {
            if v.len() != n {
                return Err(PlotError::Data(format!(
                    "{what}: error bar {name} has {} values but the series has {n} points",
                    v.len()
                )));
            }
        }
        Ok(())
    }
}

/// One curve of a line chart.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// Legend text (rich-text markup allowed, e.g. `lr = 3^-2`); `None` keeps it out of legends.
    pub label: Option<String>,
    /// Line colour.
    pub color: Rgb,
    /// Abscissae, same length as `y`.
    pub x: Vec<f64>,
    /// Ordinates; non-finite values break the line.
    pub y: Vec<f64>,
    /// Line width relative to the figure's base line width.
    #[serde(default = "default_width")]
    pub width: f64,
    /// Optional filled band beneath the line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub band: Option<Band>,
    /// Optional vertical error bars.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_bars: Option<ErrorBars>,
    /// Optional marker at every point (points with a non-finite value are skipped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marker: Option<Marker>,
    /// Marker size relative to the base marker size.
    #[serde(default = "default_width", skip_serializing_if = "is_one")]
    pub marker_size: f64,
    /// Whether the line through the points is drawn (`false`: markers only).
    #[serde(default = "default_true", skip_serializing_if = "is_true")]
    pub line: bool,
}

impl Series {
    /// A curve through the points `(x[i], y[i])`.
    pub fn new(label: Option<String>, color: Rgb, x: Vec<f64>, y: Vec<f64>) -> Self {
        Series {
            label,
            color,
            x,
            y,
            width: 1.0,
            band: None,
            error_bars: None,
            marker: None,
            marker_size: 1.0,
            line: true,
        }
    }

    /// A curve with `x = 0, 1, …, y.len() − 1` (e.g. per-epoch history, x = 0-based epoch).
    pub fn from_y(label: Option<String>, color: Rgb, y: Vec<f64>) -> Self {
        let x = (0..y.len()).map(|i| i as f64).collect();
        Series::new(label, color, x, y)
    }

    /// Sets the line width (relative to the base line width).
    pub fn with_width(mut self, width: f64) -> Self {
        self.width = width;
        self
    }

    /// Adds a translucent band between `lower` and `upper` (default opacity 0.25).
    pub fn with_band(mut self, lower: Vec<f64>, upper: Vec<f64>) -> Self {
        self.band = Some(Band::new(lower, upper));
        self
    }

    /// Adds vertical error bars from `lower` to `upper` (no caps).
    pub fn with_error_bars(mut self, lower: Vec<f64>, upper: Vec<f64>) -> Self {
        self.error_bars = Some(ErrorBars::new(lower, upper));
        self
    }

    /// Draws `marker` at every point (the line stays unless [`Series::without_line`]).
    pub fn with_marker(mut self, marker: Marker) -> Self {
        self.marker = Some(marker);
        self
    }

    /// Sets the marker size relative to the base marker size.
    pub fn with_marker_size(mut self, size: f64) -> Self {
        self.marker_size = size;
        self
    }

    /// Draws the markers only, no line.
    pub fn without_line(mut self) -> Self {
        self.line = false;
        self
    }

    pub(crate) fn validate(&self, what: &str) -> Result<()> {
        if self.y.is_empty() {
            return Err(PlotError::Data(format!("{what}: series has no points")));
        }
        if self.x.len() != self.y.len() {
            return Err(PlotError::Data(format!(
                "{what}: series has {} x values but {} y values",
                self.x.len(),
                self.y.len()
            )));
        }
        if !(self.width.is_finite() && self.width > 0.0) {
            return Err(PlotError::Data(format!(
                "{what}: line width {} is not positive",
                self.width
            )));
        }
        if !(self.marker_size.is_finite() && self.marker_size > 0.0 && self.marker_size <= 20.0) {
            return Err(PlotError::Data(format!(
                "{what}: marker size {} is not in (0, 20]",
                self.marker_size
            )));
        }
        let visible =
            self.line || self.marker.is_some() || self.band.is_some() || self.error_bars.is_some();
        if !visible {
            return Err(PlotError::Data(format!(
                "{what}: series has neither line, marker, band nor error bars"
            )));
        }
        if let Some(b) = &self.band {
            b.validate(what, self.y.len())?;
        }
        if let Some(e) = &self.error_bars {
            e.validate(what, self.y.len())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_json_gets_defaults_and_new_fields_are_omitted() {
        let old = r#"{"label":null,"color":[1,2,3],"x":[0.0],"y":[1.0],"width":1.0}"#;
        let s: Series = serde_json::from_str(old).unwrap();
        assert!(s.line && s.marker.is_none() && s.band.is_none());
        assert_eq!(serde_json::to_string(&s).unwrap(), old);
        let s = s.with_marker(Marker::Circle).without_line();
        let json = serde_json::to_string(&s).unwrap();
        assert!(json.contains(r#""marker":"circle""#) && json.contains(r#""line":false"#));
    }

    #[test]
    fn band_and_marker_validation() {
        let s = Series::from_y(None, Rgb::BLACK, vec![1.0, 2.0]);
        assert!(s
            .clone()
            .with_band(vec![0.0], vec![1.0, 2.0])
            .validate("s")
            .is_err());
        assert!(s
            .clone()
            .with_band(vec![0.0; 2], vec![1.0; 2])
            .validate("s")
            .is_ok());
        let e = s.clone().without_line().validate("s").unwrap_err();
        assert!(e.to_string().contains("neither line"), "{e}");
        assert!(s.clone().with_marker_size(0.0).validate("s").is_err());
        let e = s.with_error_bars(vec![0.0; 3], vec![1.0; 2]).validate("s");
        assert!(e
            .unwrap_err()
            .to_string()
            .contains("error bar lower has 3 values"));
    }
}
