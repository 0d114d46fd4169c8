//! Learning-rate schedules (spec §1.4, Fig 4 warmup): constant, step decay, linear warmup, composed.
//!
//! Step decay is per epoch (set at the start of each epoch, epochs 0-based); the warmup is per
//! step (continuous). A schedule composes by wrapping: `Warmup { inner: StepDecay {..} }`.
use crate::{CoreError, Result};
use serde::{Deserialize, Serialize};

/// A learning-rate schedule. Epochs are 0-based; `step` is the step index inside the epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Schedule {
    /// ρ(t) = base.
    Constant {
        /// The constant rate.
        base: f64,
    },
    /// ρ(epoch) = base · factor^(#milestones m with epoch ≥ m).
    StepDecay {
        /// ρ(0).
        base: f64,
        /// Multiplicative factor applied at each milestone, in (0, 1].
        factor: f64,
        /// Strictly increasing epoch indices at which the factor is applied.
        milestones: Vec<usize>,
    },
    /// ρ(epoch) = base · factor^⌊epoch / every⌋: the factor applied every `every` epochs
    /// (e.g. ×0.5 every 25 epochs), without a fixed list of milestones.
    Periodic {
        /// ρ(0).
        base: f64,
        /// Multiplicative factor applied every `every` epochs, in (0, 1].
        factor: f64,
        /// Period in epochs (≥ 1).
        every: usize,
    },
    /// Linear warmup from inner/10 to inner over `warmup_epochs` (per step, spec Fig 4), then `inner`.
    ///
    /// During epoch e < W, at step b: f = (e·B + b)/(W·B), ρ = ρ_inner·f + (ρ_inner/10)·(1 − f)
    /// with B = steps per epoch and ρ_inner the inner schedule's rate at the same point.
    Warmup {
        /// The schedule that applies (and is scaled) during and after the warmup.
        inner: Box<Schedule>,
        /// W, number of warmup epochs (0 = no warmup).
        warmup_epochs: usize,
    },
}

fn invalid(field: &str, reason: String) -> CoreError {
    CoreError::InvalidConfig {
        field: field.to_string(),
        reason,
    }
}

impl Schedule {
    /// A constant schedule.
    pub fn constant(base: f64) -> Self {
        Schedule::Constant { base }
    }

    /// A step-decay schedule (spec §1.4).
    pub fn step_decay(base: f64, factor: f64, milestones: Vec<usize>) -> Self {
        Schedule::StepDecay {
            base,
            factor,
            milestones,
        }
    }

    /// ×`factor` every `every` epochs from `base`.
    pub fn periodic(base: f64, factor: f64, every: usize) -> Self {
        Schedule::Periodic {
            base,
            factor,
            every,
        }
    }

    /// Wraps `self` in a linear warmup of `warmup_epochs` epochs.
    pub fn with_warmup(self, warmup_epochs: usize) -> Self {
        Schedule::Warmup {
            inner: Box::new(self),
            warmup_epochs,
        }
    }

    /// Rate at (epoch, step-in-epoch) with `steps_per_epoch` steps per epoch.
    ///
    /// `steps_per_epoch = 0` is treated as 1 (the warmup then advances per epoch).
    pub fn rate(&self, epoch: usize, step: usize, steps_per_epoch: usize) -> f64 {
        match self {
            Schedule::Constant { base } => *base,
            Schedule::StepDecay {
                base,
                factor,
                milestones,
            } => {
                let k = milestones.iter().filter(|&&m| epoch >= m).count();
                base * factor.powi(k as i32)
            }
            Schedule::Periodic {
                base,
                factor,
                every,
            } => base * factor.powi((epoch / (*every).max(1)) as i32),
            Schedule::Warmup {
                inner,
                warmup_epochs,
            } => {
                let rho = inner.rate(epoch, step, steps_per_epoch);
                if epoch >= *warmup_epochs {
                    return rho;
                }
                let b = steps_per_epoch.max(1) as f64;
                let f = (epoch as f64 * b + step as f64) / (*warmup_epochs as f64 * b);
                rho * f + (rho / 10.0) * (1.0 - f)
            }
        }
    }

    /// Rate of a per-epoch schedule at the start of `epoch` (step 0).
    pub fn epoch_rate(&self, epoch: usize, steps_per_epoch: usize) -> f64 {
        self.rate(epoch, 0, steps_per_epoch)
    }

    /// Validates (base > 0 and finite, factor in (0, 1], milestones increasing).
    pub fn validate(&self) -> crate::Result<()> {
        match self {
            Schedule::Constant { base } => check_base(*base),
            Schedule::StepDecay {
                base,
                factor,
                milestones,
            } => {
                check_base(*base)?;
                check_factor(*factor)?;
                if milestones.windows(2).any(|w| w[1] <= w[0]) {
                    return Err(invalid(
                        "schedule.milestones",
                        format!("must be strictly increasing, got {milestones:?}"),
                    ));
                }
                Ok(())
            }
            Schedule::Periodic {
                base,
                factor,
                every,
            } => {
                check_base(*base)?;
                check_factor(*factor)?;
                if *every == 0 {
                    return Err(invalid("schedule.every", "must be >= 1 epoch".into()));
                }
                Ok(())
            }
            Schedule::Warmup { inner, .. } => inner.validate(),
        }
    }
}

fn check_factor(factor: f64) -> Result<()> {
    if !(factor.is_finite() && factor > 0.0 && factor <= 1.0) {
        return Err(invalid(
            "schedule.factor",
            format!("must lie in (0, 1], got {factor}"),
        ));
    }
    Ok(())
}

fn check_base(base: f64) -> Result<()> {
    if !(base.is_finite() && base > 0.0) {
        return Err(invalid(
            "schedule.base",
            format!("must be finite and > 0, got {base}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_decay_c10_cnn1() {
        // C10-CNN1: ρ(0)=3^-3, ×0.2 at 80, 90, 97.
        let r0 = 3f64.powi(-3);
        let s = Schedule::step_decay(r0, 0.2, vec![80, 90, 97]);
        s.validate().unwrap();
        assert_eq!(s.rate(0, 0, 352), r0);
        assert_eq!(s.rate(79, 351, 352), r0);
        assert_eq!(s.rate(80, 0, 352), r0 * 0.2);
        assert_eq!(s.rate(90, 5, 352), r0 * 0.2f64.powi(2));
        assert_eq!(s.rate(99, 0, 352), r0 * 0.2f64.powi(3));
    }

    #[test]
    fn warmup_fig4() {
        // ρ = 3^-1, W = 5, B = 351: starts at ρ/10, linear in the global step, ρ from epoch 5.
        let rho = 1.0 / 3.0;
        let s = Schedule::step_decay(rho, 0.2, vec![60, 120, 160]).with_warmup(5);
        s.validate().unwrap();
        assert!((s.rate(0, 0, 351) - rho / 10.0).abs() < 1e-15);
        let f = (2.0 * 351.0 + 100.0) / (5.0 * 351.0);
        assert!((s.rate(2, 100, 351) - (rho * f + rho / 10.0 * (1.0 - f))).abs() < 1e-15);
        assert!(s.rate(4, 350, 351) < rho);
        assert_eq!(s.rate(5, 0, 351), rho);
        assert_eq!(s.rate(60, 0, 351), rho * 0.2);
        // no warmup
        let s0 = Schedule::constant(0.1).with_warmup(0);
        assert_eq!(s0.rate(0, 0, 10), 0.1);
    }

    #[test]
    fn periodic_decay_every_k_epochs() {
        // ×0.5 every 25 epochs from 0.1.
        let s = Schedule::periodic(0.1, 0.5, 25);
        s.validate().unwrap();
        assert_eq!(s.rate(0, 0, 10), 0.1);
        assert_eq!(s.rate(24, 9, 10), 0.1);
        assert_eq!(s.rate(25, 0, 10), 0.05);
        assert_eq!(s.rate(74, 0, 10), 0.025);
        assert_eq!(s.rate(75, 3, 10), 0.0125);
        // Same as the step decay with the milestones spelled out.
        let d = Schedule::step_decay(0.1, 0.5, vec![25, 50, 75]);
        for e in 0..100 {
            assert_eq!(s.rate(e, 0, 1), d.rate(e, 0, 1), "epoch {e}");
        }
        assert!(Schedule::periodic(0.1, 0.5, 0).validate().is_err());
        assert!(Schedule::periodic(0.1, 1.5, 5).validate().is_err());
        assert!(Schedule::periodic(-0.1, 0.5, 5).validate().is_err());
        // Serialises with its own tag (part of run ids).
        let json = serde_json::to_string(&s).unwrap();
        assert!(json.contains("Periodic"), "{json}");
        assert_eq!(serde_json::from_str::<Schedule>(&json).unwrap(), s);
    }

    #[test]
    fn validation_errors() {
        assert!(Schedule::constant(0.0).validate().is_err());
        assert!(Schedule::constant(f64::INFINITY).validate().is_err());
        assert!(Schedule::step_decay(0.1, 1.5, vec![]).validate().is_err());
        assert!(Schedule::step_decay(0.1, 0.0, vec![]).validate().is_err());
        assert!(Schedule::step_decay(0.1, 0.5, vec![10, 10])
            .validate()
            .is_err());
        assert!(Schedule::step_decay(0.1, 0.5, vec![20, 10])
            .with_warmup(3)
            .validate()
            .is_err());
        assert!(Schedule::step_decay(0.1, 1.0, vec![1, 2])
            .validate()
            .is_ok());
    }
}
