//! Rotation monitor (spec §5.1) and per-step rotation rates (spec §5.2).
//!
//! Both keep **deep copies** (`Tensor::copy`) of the kernels: candle's `Var::set` overwrites a
//! variable's storage in place, so a plain `Tensor` handle on a variable would change with it.
use crate::rotation::{cosine_distance_named, tan_from_cosine_distance};
use crate::{CoreError, Result};
use candle_core::Tensor;

fn check_len(what: &str, expected: usize, got: usize) -> Result<()> {
    if expected != got {
        return Err(CoreError::InvalidConfig {
            field: what.to_string(),
            reason: format!("expected {expected} kernels, got {got}"),
        });
    }
    Ok(())
}

/// Keeps a copy of each selected layer's initial kernel.
#[derive(Debug, Clone)]
pub struct RotationMonitor {
    names: Vec<String>,
    initial: Vec<Tensor>,
}

impl RotationMonitor {
    /// Captures copies of the initial kernels (forward order). Errors on zero-norm kernels.
    pub fn new(kernels: &[(String, Tensor)]) -> Result<Self> {
        let mut names = Vec::with_capacity(kernels.len());
        let mut initial = Vec::with_capacity(kernels.len());
        for (name, t) in kernels {
            crate::layca::checked_norm(name, t)?;
            names.push(name.clone());
            initial.push(t.detach().copy()?);
        }
        Ok(Self { names, initial })
    }
    /// Layer names, forward order.
    pub fn names(&self) -> &[String] {
        &self.names
    }
    /// The captured initial kernels.
    pub fn initial(&self) -> &[Tensor] {
        &self.initial
    }
    /// Cosine distance of each current kernel to its initial value (f64).
    ///
    /// `current` must hold one tensor per monitored layer, same order and shapes.
    pub fn cosine_distances(&self, current: &[Tensor]) -> Result<Vec<f64>> {
        check_len("current kernels", self.initial.len(), current.len())?;
        self.names
            .iter()
            .zip(&self.initial)
            .zip(current)
            .map(|((name, w0), w)| cosine_distance_named(name, w, w0))
            .collect()
    }
}

/// Per-step rotation rate tan θ between consecutive weights of each layer.
#[derive(Debug, Clone, Default)]
pub struct StepRateTracker {
    previous: Vec<Tensor>,
}

impl StepRateTracker {
    /// Snapshot before a step.
    pub fn before(&mut self, kernels: &[Tensor]) -> Result<()> {
        self.previous.clear();
        for k in kernels {
            self.previous.push(k.detach().copy()?);
        }
        Ok(())
    }
    /// tan θ per layer between the snapshot and `kernels` (after the step).
    ///
    /// d = scipy-style cosine distance in f64, then tan θ = √max(1/(1−d)² − 1, 0) (spec §5.2).
    /// Zero-norm kernels give `ZeroNorm` naming `kernel #i`.
    pub fn after(&self, kernels: &[Tensor]) -> Result<Vec<f64>> {
        check_len("kernels after step", self.previous.len(), kernels.len())?;
        self.previous
            .iter()
            .zip(kernels)
            .enumerate()
            .map(|(i, (a, b))| {
                cosine_distance_named(&format!("kernel #{i}"), a, b).map(tan_from_cosine_distance)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device, Var};

    #[test]
    fn monitor_copies_and_measures() -> Result<()> {
        let dev = Device::Cpu;
        let w = Var::new(&[[1f32, 0.], [0., 0.]], &dev)?;
        let mon = RotationMonitor::new(&[("k0".to_string(), w.as_tensor().clone())])?;
        assert_eq!(mon.cosine_distances(&[w.as_tensor().clone()])?, vec![0.0]);
        // in-place update of the Var must not affect the captured copy
        w.set(&Tensor::new(&[[1f32, 1.], [0., 0.]], &dev)?)?;
        let d = mon.cosine_distances(&[w.as_tensor().clone()])?;
        assert!((d[0] - (1.0 - 1.0 / 2f64.sqrt())).abs() < 1e-15);
        assert_eq!(mon.names(), &["k0".to_string()]);
        assert!(mon.cosine_distances(&[]).is_err());
        let z = Tensor::zeros(3, DType::F32, &dev)?;
        assert!(matches!(
            RotationMonitor::new(&[("zero".to_string(), z)]),
            Err(CoreError::ZeroNorm { .. })
        ));
        Ok(())
    }

    #[test]
    fn tracker_rates() -> Result<()> {
        let dev = Device::Cpu;
        let w = Var::new(&[1f32, 0., 0.], &dev)?;
        let mut tr = StepRateTracker::default();
        tr.before(&[w.as_tensor().clone()])?;
        // rotate by atan(0.01)
        w.set(&Tensor::new(&[1f32, 0.01, 0.], &dev)?)?;
        let r = tr.after(&[w.as_tensor().clone()])?;
        let expect = 0.01f32 as f64;
        assert!((r[0] - expect).abs() < 1e-9, "{r:?}");
        Ok(())
    }
}
