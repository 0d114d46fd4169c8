//! Axes: limits, scale, ticks and labels.

use serde::{Deserialize, Serialize};

use crate::error::{PlotError, Result};

/// How values map to positions along an axis.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AxisScale {
    /// Positions proportional to the value.
    #[default]
    Linear,
    /// Positions proportional to `log10(value)`; the limits must be positive and non-positive
    /// data values are gaps.
    Log10,
}

fn is_linear(s: &AxisScale) -> bool {
    *s == AxisScale::Linear
}

/// One axis of a panel: limits, scale, tick positions, optional label.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Axis {
    /// Lower limit.
    pub min: f64,
    /// Upper limit (> `min`).
    pub max: f64,
    /// Tick positions (those outside `[min, max]` are ignored).
    pub ticks: Vec<f64>,
    /// Whether tick labels are drawn (the rotation grids hide them).
    pub show_tick_labels: bool,
    /// Axis label (rich-text markup allowed on the x-axis; the y label is drawn vertically,
    /// markup removed).
    pub label: Option<String>,
    /// Linear (default) or logarithmic.
    #[serde(default, skip_serializing_if = "is_linear")]
    pub scale: AxisScale,
    /// Positions of short unlabelled ticks (e.g. 2…9 × 10^k on a log axis; empty: none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub minor_ticks: Vec<f64>,
    /// Labels of `ticks`, one per tick (rich-text markup allowed); `None`: numbers (powers of
    /// ten as `10^k` on a log axis).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tick_labels: Option<Vec<String>>,
}

impl Axis {
    /// Axis over `[min, max]` with about five "nice" ticks, labels shown, no axis label.
    pub fn new(min: f64, max: f64) -> Self {
        Axis {
            min,
            max,
            ticks: nice_ticks(min, max, 6),
            show_tick_labels: true,
            label: None,
            scale: AxisScale::Linear,
            minor_ticks: Vec::new(),
            tick_labels: None,
        }
    }

    /// Logarithmic axis over `[min, max]` (both > 0) with ticks at the powers of ten inside
    /// (labelled `10^k`, at most about eight of them) and no minor ticks.
    pub fn log10(min: f64, max: f64) -> Self {
        Axis {
            ticks: log_ticks(min, max),
            scale: AxisScale::Log10,
            ..Axis::new(min, max)
        }
    }

    /// Replaces the tick positions.
    pub fn with_ticks(mut self, ticks: Vec<f64>) -> Self {
        self.ticks = ticks;
        self
    }

    /// Replaces the tick labels (one per tick; rich text).
    pub fn with_tick_labels(mut self, labels: Vec<String>) -> Self {
        self.tick_labels = Some(labels);
        self
    }

    /// Replaces the minor (unlabelled) tick positions.
    pub fn with_minor_ticks(mut self, ticks: Vec<f64>) -> Self {
        self.minor_ticks = ticks;
        self
    }

    /// Minor ticks at 2…9 × 10^k inside the limits (for a log axis), plus the powers of ten
    /// that are not major ticks (when [`log_ticks`] thinned them out).
    pub fn with_log_minor_ticks(self) -> Self {
        let mut minor = log_minor_ticks(self.min, self.max);
        let skipped = log_ticks_every(self.min, self.max, 1)
            .into_iter()
            .filter(|d| !self.ticks.iter().any(|t| (t / d - 1.0).abs() < 1e-9));
        minor.extend(skipped);
        self.with_minor_ticks(minor)
    }

    /// Sets the axis label.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Hides the tick labels (tick marks stay).
    pub fn without_tick_labels(mut self) -> Self {
        self.show_tick_labels = false;
        self
    }

    /// Position of `v` along the axis as a fraction (0 at `min`, 1 at `max`; outside for values
    /// beyond the limits); NaN for values the scale cannot show (non-finite, or ≤ 0 on a log
    /// axis).
    pub fn fraction(&self, v: f64) -> f64 {
        match self.scale {
            AxisScale::Linear if v.is_finite() => (v - self.min) / (self.max - self.min),
            AxisScale::Log10 if v.is_finite() && v > 0.0 && self.min > 0.0 => {
                let (lo, hi) = (self.min.log10(), self.max.log10());
                (v.log10() - lo) / (hi - lo)
            }
            _ => f64::NAN,
        }
    }

    /// The value at fraction `t` of the axis (inverse of [`Axis::fraction`]).
    pub fn value_at(&self, t: f64) -> f64 {
        match self.scale {
            AxisScale::Linear => self.min + t * (self.max - self.min),
            AxisScale::Log10 => {
                let (lo, hi) = (self.min.log10(), self.max.log10());
                10f64.powf(lo + t * (hi - lo))
            }
        }
    }

    pub(crate) fn validate(&self, what: &str) -> Result<()> {
        if !(self.min.is_finite() && self.max.is_finite() && self.min < self.max) {
            return Err(PlotError::Data(format!(
                "{what}: axis limits [{}, {}] are not finite and increasing",
                self.min, self.max
            )));
        }
        if self.scale == AxisScale::Log10 && self.min <= 0.0 {
            return Err(PlotError::Data(format!(
                "{what}: log axis limits [{}, {}] must be positive",
                self.min, self.max
            )));
        }
        if let Some(labels) = &self.tick_labels {
            if labels.len() != self.ticks.len() {
                return Err(PlotError::Data(format!(
                    "{what}: {} tick labels for {} ticks",
                    labels.len(),
                    self.ticks.len()
                )));
            }
        }
        Ok(())
    }
}

/// Powers of ten inside `[min, max]` (every `k`-th decade so that at most about eight remain);
/// empty for non-positive or non-finite limits.
pub fn log_ticks(min: f64, max: f64) -> Vec<f64> {
    if !(min > 0.0 && max > min && max.is_finite()) {
        return Vec::new();
    }
    let (lo, hi) = decade_range(min, max);
    let step = ((hi - lo).max(0) / 8 + 1) as usize;
    log_ticks_every(min, max, step)
}

/// Exponents of the first and last power of ten inside `[min, max]` (`lo > hi` if none).
fn decade_range(min: f64, max: f64) -> (i32, i32) {
    let lo = (min.log10() - 1e-9).ceil() as i32;
    let hi = (max.log10() + 1e-9).floor() as i32;
    (lo, hi)
}

/// Every `step`-th power of ten inside `[min, max]` (positive limits).
fn log_ticks_every(min: f64, max: f64, step: usize) -> Vec<f64> {
    if !(min > 0.0 && max > min && max.is_finite()) {
        return Vec::new();
    }
    let (lo, hi) = decade_range(min, max);
    if hi < lo {
        return Vec::new();
    }
    (lo..=hi).step_by(step.max(1)).map(pow10).collect()
}

/// `d × 10^k` for d = 2…9 inside `[min, max]`; empty for non-positive or non-finite limits.
pub fn log_minor_ticks(min: f64, max: f64) -> Vec<f64> {
    if !(min > 0.0 && max > min && max.is_finite()) {
        return Vec::new();
    }
    let lo = min.log10().floor() as i32;
    let hi = max.log10().ceil() as i32;
    (lo..=hi)
        .flat_map(|k| (2..=9).map(move |d| d as f64 * pow10(k)))
        .filter(|v| *v >= min * (1.0 - 1e-9) && *v <= max * (1.0 + 1e-9))
        .collect()
}

/// `10^k` as the closest double (`1e-3`, not `0.0010000000000000002`).
pub(crate) fn pow10(k: i32) -> f64 {
    format!("1e{k}").parse().unwrap_or(f64::NAN)
}

/// About `max_count` round tick positions (steps 1, 2, 2.5, 5 × 10^k) covering `[min, max]`.
/// Returns an empty list for empty or non-finite ranges.
pub fn nice_ticks(min: f64, max: f64, max_count: usize) -> Vec<f64> {
    if !(min.is_finite() && max.is_finite() && min < max) || max_count < 2 {
        return Vec::new();
    }
    let raw = (max - min) / (max_count - 1) as f64;
    let e = raw.log10().floor() as i32;
    let mag = 10f64.powi(e);
    let mult = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .find(|m| m * mag >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0);
    let step = mult * mag;
    // k·mult is exact; dividing by an exact power of ten gives the closest double (0.6, not
    // 0.6000000000000001).
    let value = |k: i64| {
        if e < 0 {
            k as f64 * mult / 10f64.powi(-e)
        } else {
            k as f64 * mult * mag
        }
    };
    let first = (min / step - 1e-9).ceil() as i64;
    let last = (max / step + 1e-9).floor() as i64;
    (first..=last).map(value).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round() {
        assert_eq!(nice_ticks(0.0, 1.0, 6), vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        assert_eq!(
            nice_ticks(0.0, 100.0, 6),
            vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
        );
        assert_eq!(nice_ticks(0.0, 1.0, 5), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
        assert!(nice_ticks(1.0, 1.0, 5).is_empty());
    }

    #[test]
    fn log_axis_ticks_and_fractions() {
        assert_eq!(log_ticks(1e-4, 1.0), vec![1e-4, 1e-3, 1e-2, 1e-1, 1.0]);
        assert_eq!(log_ticks(2e-4, 5e-2), vec![1e-3, 1e-2]);
        assert!(log_ticks(0.0, 1.0).is_empty());
        // 20 decades: thinned to at most ~8 ticks.
        let t = log_ticks(1e-20, 1.0);
        assert!(t.len() <= 9 && t.len() >= 5, "{t:?}");
        assert_eq!(log_minor_ticks(1.0, 100.0).len(), 16);
        // Thinned decades become minor ticks.
        let thin = Axis::log10(1e-10, 1e-2).with_log_minor_ticks();
        assert_eq!(thin.ticks.len(), 5);
        assert!(thin
            .minor_ticks
            .iter()
            .any(|t| (t / 1e-9 - 1.0).abs() < 1e-9));
        let a = Axis::log10(1e-4, 1.0);
        assert!((a.fraction(1e-2) - 0.5).abs() < 1e-12);
        assert!(a.fraction(0.0).is_nan() && a.fraction(-1.0).is_nan());
        assert!((a.value_at(0.25) - 1e-3).abs() < 1e-15);
        assert!(Axis::log10(0.0, 1.0).validate("y").is_err());
        let lin = Axis::new(0.0, 10.0);
        assert_eq!(lin.fraction(2.5), 0.25);
        assert!(lin.fraction(f64::NAN).is_nan());
        let bad = Axis::new(0.0, 1.0).with_tick_labels(vec!["a".into()]);
        assert!(bad
            .validate("x")
            .unwrap_err()
            .to_string()
            .contains("1 tick labels"));
    }
}
