//! Which ticks of an axis are visible, and their label text.

use crate::model::{Axis, AxisScale};

/// Tick label text: the fewest decimals (≤ 4) that represent every tick exactly, a real minus
/// sign for negative values (matplotlib style).
pub(crate) fn tick_labels(ticks: &[f64]) -> Vec<String> {
    let decimals = (0..=4)
        .find(|&d| {
            let m = 10f64.powi(d);
            ticks.iter().all(|t| ((t * m).round() - t * m).abs() < 1e-6)
        })
        .unwrap_or(4) as usize;
    ticks
        .iter()
        .map(|t| {
            let s = format!("{:.*}", decimals, t.abs());
            if *t < 0.0 && s.chars().any(|c| c != '0' && c != '.') {
                format!("\u{2212}{s}")
            } else {
                s
            }
        })
        .collect()
}

/// `10^{k}` for an exact power of ten, `None` otherwise.
fn decade_label(t: f64) -> Option<String> {
    if t <= 0.0 || !t.is_finite() {
        return None;
    }
    let k = t.log10().round();
    let rel = (t / 10f64.powf(k) - 1.0).abs();
    (rel < 1e-9).then(|| format!("10^{{{}}}", k as i64))
}

/// Labels of a log axis: `10^{k}` (rich text) for powers of ten, numbers otherwise.
fn log_tick_labels(ticks: &[f64]) -> Vec<String> {
    ticks
        .iter()
        .map(|&t| decade_label(t).unwrap_or_else(|| tick_labels(&[t]).remove(0)))
        .collect()
}

/// Whether the axis can show `t` inside its limits (with a tiny tolerance).
fn inside(a: &Axis, t: f64) -> bool {
    let f = a.fraction(t);
    f.is_finite() && (-1e-9..=1.0 + 1e-9).contains(&f)
}

/// Visible major ticks of `a` with their label text (rich text).
pub(crate) fn visible_ticks(a: &Axis) -> Vec<(f64, String)> {
    let labels = match (&a.tick_labels, a.scale) {
        (Some(l), _) => l.clone(),
        (None, AxisScale::Linear) => {
            let shown: Vec<f64> = a.ticks.iter().copied().filter(|t| inside(a, *t)).collect();
            let mut texts = tick_labels(&shown).into_iter();
            // Labels computed from the visible ticks only (as before custom labels existed).
            a.ticks
                .iter()
                .map(|t| {
                    if inside(a, *t) {
                        texts.next().unwrap_or_default()
                    } else {
                        String::new()
                    }
                })
                .collect()
        }
        (None, AxisScale::Log10) => log_tick_labels(&a.ticks),
    };
    a.ticks
        .iter()
        .zip(labels)
        .filter(|(t, _)| inside(a, **t))
        .map(|(t, l)| (*t, l))
        .collect()
}

/// Visible minor tick positions of `a`.
pub(crate) fn visible_minor_ticks(a: &Axis) -> Vec<f64> {
    a.minor_ticks
        .iter()
        .copied()
        .filter(|t| inside(a, *t))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_label_decimals() {
        assert_eq!(tick_labels(&[0.0, 0.2, 1.0]), vec!["0.0", "0.2", "1.0"]);
        assert_eq!(tick_labels(&[0.0, 40.0, 80.0]), vec!["0", "40", "80"]);
        assert_eq!(tick_labels(&[0.25, 0.5]), vec!["0.25", "0.50"]);
        assert_eq!(tick_labels(&[-1.0, 0.0]), vec!["\u{2212}1", "0"]);
    }

    #[test]
    fn visible_ticks_and_labels() {
        let a = Axis::new(0.0, 1.0).with_ticks(vec![-0.5, 0.0, 0.5, 1.0, 2.0]);
        let v = visible_ticks(&a);
        assert_eq!(
            v,
            vec![
                (0.0, "0.0".into()),
                (0.5, "0.5".into()),
                (1.0, "1.0".into())
            ]
        );
        let l = Axis::log10(1e-4, 1.0).with_ticks(vec![1e-3, 0.5, 2.0]);
        let v = visible_ticks(&l);
        assert_eq!(v, vec![(1e-3, "10^{-3}".into()), (0.5, "0.5".into())]);
        let c = Axis::new(0.0, 2.0)
            .with_ticks(vec![0.0, 2.0])
            .with_tick_labels(vec!["a".into(), "b".into()]);
        assert_eq!(visible_ticks(&c)[1].1, "b");
        let m = Axis::log10(1.0, 100.0).with_log_minor_ticks();
        assert_eq!(visible_minor_ticks(&m).len(), 16);
    }
}
