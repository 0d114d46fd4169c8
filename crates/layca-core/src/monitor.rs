//! Rotation monitor (spec §5.1) and per-step rotation rates (spec §5.2).
use crate::Result;
use candle_core::Tensor;

/// Keeps a copy of each selected layer's initial kernel.
#[derive(Debug, Clone)]
pub struct RotationMonitor {
    names: Vec<String>,
    initial: Vec<Tensor>,
}

impl RotationMonitor {
    /// Captures copies of the initial kernels (forward order). Errors on zero-norm kernels.
    pub fn new(kernels: &[(String, Tensor)]) -> Result<Self> {
        let _ = kernels;
        todo!()
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
    pub fn cosine_distances(&self, current: &[Tensor]) -> Result<Vec<f64>> {
        let _ = current;
        todo!()
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
        let _ = kernels;
        todo!()
    }
    /// tan θ per layer between the snapshot and `kernels` (after the step).
    pub fn after(&self, kernels: &[Tensor]) -> Result<Vec<f64>> {
        let _ = kernels;
        todo!()
    }
}
