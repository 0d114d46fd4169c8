//! Learning-rate schedules (spec §1.4, Fig 4 warmup): constant, step decay, linear warmup, composed.
use serde::{Deserialize, Serialize};

/// A learning-rate schedule. Epochs are 0-based; `step` is the step index inside the epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Schedule {
    /// ρ(t) = base.
    Constant { base: f64 },
    /// ρ(epoch) = base · factor^(#milestones m with epoch ≥ m).
    StepDecay {
        base: f64,
        factor: f64,
        milestones: Vec<usize>,
    },
    /// Linear warmup from inner/10 to inner over `warmup_epochs` (per step, spec Fig 4), then `inner`.
    Warmup {
        inner: Box<Schedule>,
        warmup_epochs: usize,
    },
}

impl Schedule {
    /// Rate at (epoch, step-in-epoch) with `steps_per_epoch` steps per epoch.
    pub fn rate(&self, epoch: usize, step: usize, steps_per_epoch: usize) -> f64 {
        let _ = (epoch, step, steps_per_epoch);
        todo!()
    }
    /// Validates (base > 0 and finite, factor in (0, 1], milestones increasing).
    pub fn validate(&self) -> crate::Result<()> {
        todo!()
    }
}
