//! The rotation-curve model of `cargo xtask tune`.
//!
//! Each step `i` moves a layer by an angle proportional to `u_i`: for Layca `u_i = atan(ρ_i·m_l)`
//! (the angle Layca imposes), for plain optimizers `u_i = η_i·m_l` (the angle per unit learning
//! rate is unknown and absorbed by the fit). With `S1(n) = Σ u_i` and `S2(n) = Σ u_i²`, the angle
//! φ to the initial weights combines a random walk (steps in independent directions: φ² grows
//! like S2) and a drift (aligned steps: φ grows like S1); on a high-dimensional sphere the
//! expected cosine then decays as `cos φ ≈ exp(−q/2)` with
//!
//! ```text
//!     q(n) = D·S2(n) + V·S1(n)²,   d(n) = 1 − exp(−q(n)/2),   D, V ≥ 0 fitted per layer.
//! ```
//!
//! The fit is a non-negative least squares on `y = −2 ln(1 − d)`, relative residuals (the probe's
//! points span orders of magnitude). The uncertainty is the 16–84 % range of the predictions of a
//! bootstrap over the probe's points, widened to the pure random-walk and pure drift fits when the
//! probe has fewer than three points (they cannot be told apart then).
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Prefix sums of u and u² over the steps of a schedule (index n = after n steps).
#[derive(Debug, Clone)]
pub struct Sums {
    pub s1: Vec<f64>,
    pub s2: Vec<f64>,
}

impl Sums {
    pub fn new(units: impl Iterator<Item = f64>) -> Self {
        let (mut s1, mut s2) = (vec![0.0], vec![0.0]);
        for u in units {
            s1.push(s1.last().unwrap_or(&0.0) + u);
            s2.push(s2.last().unwrap_or(&0.0) + u * u);
        }
        Self { s1, s2 }
    }
    fn at(&self, n: usize) -> (f64, f64) {
        let n = n.min(self.s1.len() - 1);
        (self.s2[n], self.s1[n] * self.s1[n])
    }
}

/// Fitted coefficients of one layer.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Fit {
    /// Random-walk coefficient.
    pub d: f64,
    /// Drift coefficient.
    pub v: f64,
}

impl Fit {
    pub fn q(&self, sums: &Sums, n: usize) -> f64 {
        let (a, b) = sums.at(n);
        self.d * a + self.v * b
    }
    pub fn distance(&self, sums: &Sums, n: usize) -> f64 {
        1.0 - (-self.q(sums, n) / 2.0).exp()
    }
}

/// y = −2 ln(1 − d), d clipped below 1.
pub fn y_of(d: f64) -> f64 {
    -2.0 * (1.0 - d.clamp(0.0, 1.0 - 1e-9)).ln()
}

/// One probe observation: steps done and measured cosine distance.
pub type Point = (usize, f64);

fn loss(fit: &Fit, pts: &[Point], sums: &Sums) -> f64 {
    pts.iter()
        .filter(|p| y_of(p.1) > 0.0)
        .map(|&(n, d)| {
            let y = y_of(d);
            ((fit.q(sums, n) - y) / y).powi(2)
        })
        .sum()
}

/// Weighted least squares of y ≈ D·a + V·b (weights 1/y²), each coefficient ≥ 0.
fn design(pts: &[Point], sums: &Sums) -> Vec<(f64, f64, f64)> {
    pts.iter()
        .filter(|p| y_of(p.1) > 0.0)
        .map(|&(n, d)| {
            let (a, b) = sums.at(n);
            let y = y_of(d);
            (a / y, b / y, 1.0)
        })
        .collect()
}

/// D only (pure random walk).
pub fn fit_walk(pts: &[Point], sums: &Sums) -> Fit {
    let rows = design(pts, sums);
    let (aa, ay) = rows
        .iter()
        .fold((0.0, 0.0), |(s, t), r| (s + r.0 * r.0, t + r.0));
    Fit {
        d: if aa > 0.0 { (ay / aa).max(0.0) } else { 0.0 },
        v: 0.0,
    }
}

/// V only (pure drift).
pub fn fit_drift(pts: &[Point], sums: &Sums) -> Fit {
    let rows = design(pts, sums);
    let (bb, by) = rows
        .iter()
        .fold((0.0, 0.0), |(s, t), r| (s + r.1 * r.1, t + r.1));
    Fit {
        d: 0.0,
        v: if bb > 0.0 { (by / bb).max(0.0) } else { 0.0 },
    }
}

/// Both coefficients, non-negative (the best of the unconstrained fit and the two single ones).
pub fn fit(pts: &[Point], sums: &Sums) -> Fit {
    let rows = design(pts, sums);
    let (mut aa, mut ab, mut bb, mut ay, mut by) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for &(a, b, y) in &rows {
        aa += a * a;
        ab += a * b;
        bb += b * b;
        ay += a * y;
        by += b * y;
    }
    let det = aa * bb - ab * ab;
    let mut best = [fit_walk(pts, sums), fit_drift(pts, sums)]
        .into_iter()
        .min_by(|x, y| loss(x, pts, sums).total_cmp(&loss(y, pts, sums)))
        .unwrap_or(Fit { d: 0.0, v: 0.0 });
    if det.abs() > 1e-12 * (aa * bb).max(f64::MIN_POSITIVE) {
        let full = Fit {
            d: (ay * bb - by * ab) / det,
            v: (by * aa - ay * ab) / det,
        };
        if full.d >= 0.0 && full.v >= 0.0 && loss(&full, pts, sums) <= loss(&best, pts, sums) {
            best = full;
        }
    }
    best
}

/// A prediction at `n` steps with its 16–84 % range.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Prediction {
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

impl Prediction {
    pub fn half_width(&self) -> f64 {
        (self.high - self.low) / 2.0
    }
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i]
}

/// The bootstrap / model-ambiguity fits of a probe (the point fit excluded).
pub fn ensemble(pts: &[Point], sums: &Sums, seed: u64) -> Vec<Fit> {
    let mut fits = vec![];
    let distinct = pts.iter().filter(|p| y_of(p.1) > 0.0).count();
    if distinct < 3 {
        fits.push(fit_walk(pts, sums));
        fits.push(fit_drift(pts, sums));
    }
    if distinct >= 2 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        for _ in 0..200 {
            let sample: Vec<Point> = (0..pts.len())
                .map(|_| pts[rng.gen_range(0..pts.len())])
                .collect();
            fits.push(fit(&sample, sums));
        }
    }
    fits
}

/// Prediction of `best` at `n` steps of `sums`, range from the `fits` ensemble.
pub fn predict(best: &Fit, fits: &[Fit], sums: &Sums, n: usize) -> Prediction {
    let value = best.distance(sums, n);
    let mut all: Vec<f64> = fits.iter().map(|f| f.distance(sums, n)).collect();
    all.push(value);
    all.sort_by(f64::total_cmp);
    Prediction {
        value,
        low: quantile(&all, 0.16).min(value),
        high: quantile(&all, 0.84).max(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_a_known_curve() {
        let sums = Sums::new(std::iter::repeat_n(0.01, 1000));
        let truth = Fit { d: 0.8, v: 0.05 };
        let pts: Vec<Point> = [10, 50, 100, 150, 200]
            .iter()
            .map(|&n| (n, truth.distance(&sums, n)))
            .collect();
        let f = fit(&pts, &sums);
        assert!(
            (f.d - 0.8).abs() < 1e-6 && (f.v - 0.05).abs() < 1e-6,
            "{f:?}"
        );
        let p = predict(&f, &ensemble(&pts, &sums, 1), &sums, 1000);
        assert!((p.value - truth.distance(&sums, 1000)).abs() < 1e-9);
        assert!(p.low <= p.value && p.value <= p.high);
    }

    #[test]
    fn one_point_gives_the_walk_drift_range() {
        let sums = Sums::new(std::iter::repeat_n(0.01, 100));
        let pts = vec![(1, 1.0 - (0.01f64).atan().cos())];
        let fits = ensemble(&pts, &sums, 1);
        let f = fit(&pts, &sums);
        let p = predict(&f, &fits, &sums, 100);
        // walk: q = 100·1e-4 = 0.01 → d ≈ 0.005; drift: q = 1 → d ≈ 0.39
        assert!(p.low < 0.01 && p.high > 0.3, "{p:?}");
    }
}
