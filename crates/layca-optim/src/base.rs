//! The base steps (spec §4.2–4.3): each returns the plain additive update Δ (p ← p + Δ) and the
//! new accumulators; nothing is committed here.
use crate::{BaseOptimizer, OptimError, Result};
use candle_core::{Tensor, Var};

/// Accumulators of one parameter: `m` first moment / velocity, `v` second moment / RMSprop or
/// Adagrad accumulator. Absent when the base does not use them.
#[derive(Debug, Clone, Default)]
pub(crate) struct Moments {
    pub m: Option<Tensor>,
    pub v: Option<Tensor>,
}

/// Which accumulators a base keeps.
pub(crate) fn uses(base: &BaseOptimizer) -> (bool, bool) {
    match base {
        BaseOptimizer::Sgd { momentum, .. } => (*momentum != 0.0, false),
        BaseOptimizer::SgdAMom { .. } => (true, false),
        BaseOptimizer::Adam { .. } => (true, true),
        BaseOptimizer::RmsProp { .. } | BaseOptimizer::Adagrad { .. } => (false, true),
    }
}

impl Moments {
    pub fn zeros_for(base: &BaseOptimizer, var: &Var) -> Result<Self> {
        let (m, v) = uses(base);
        let z = || var.as_tensor().zeros_like();
        Ok(Self {
            m: if m { Some(z()?) } else { None },
            v: if v { Some(z()?) } else { None },
        })
    }
}

fn unit(field: &str, x: f64) -> Result<()> {
    if !(x.is_finite() && (0.0..1.0).contains(&x)) {
        return Err(OptimError::InvalidConfig {
            field: field.into(),
            reason: format!("must lie in [0, 1), got {x}"),
        });
    }
    Ok(())
}

fn eps(x: f64) -> Result<()> {
    if !(x.is_finite() && x >= 0.0) {
        return Err(OptimError::InvalidConfig {
            field: "base.eps".into(),
            reason: format!("must be finite and >= 0, got {x}"),
        });
    }
    Ok(())
}

pub(crate) fn validate(base: &BaseOptimizer) -> Result<()> {
    match base {
        BaseOptimizer::Sgd { momentum, .. } => unit("base.momentum", *momentum),
        BaseOptimizer::SgdAMom { beta } => unit("base.beta", *beta),
        BaseOptimizer::Adam {
            beta1,
            beta2,
            eps: e,
        } => {
            unit("base.beta1", *beta1)?;
            unit("base.beta2", *beta2)?;
            eps(*e)
        }
        BaseOptimizer::RmsProp { decay, eps: e } => {
            unit("base.decay", *decay)?;
            eps(*e)
        }
        BaseOptimizer::Adagrad { eps: e } => eps(*e),
    }
}

fn need<'a>(t: &'a Option<Tensor>, what: &str) -> Result<&'a Tensor> {
    t.as_ref().ok_or_else(|| OptimError::InvalidConfig {
        field: "state".into(),
        reason: format!("missing accumulator `{what}`"),
    })
}

/// One base step for gradient `g` at layer rate `rate`; `t` = 1-based global step (Adam).
/// Returns (Δ, new moments).
pub(crate) fn base_delta(
    base: &BaseOptimizer,
    g: &Tensor,
    st: &Moments,
    rate: f64,
    t: u64,
) -> Result<(Tensor, Moments)> {
    Ok(match base {
        BaseOptimizer::Sgd { momentum, nesterov } => {
            if *momentum == 0.0 {
                (g.affine(-rate, 0.0)?, Moments::default())
            } else {
                let lr_g = g.affine(rate, 0.0)?;
                let m = (need(&st.m, "m")?.affine(*momentum, 0.0)? - &lr_g)?;
                let delta = if *nesterov {
                    (m.affine(*momentum, 0.0)? - &lr_g)?
                } else {
                    m.clone()
                };
                (
                    delta,
                    Moments {
                        m: Some(m),
                        v: None,
                    },
                )
            }
        }
        BaseOptimizer::SgdAMom { beta } => {
            let m = (need(&st.m, "m")?.affine(*beta, 0.0)? - g.affine(1.0 - beta, 0.0)?)?;
            (
                m.affine(rate, 0.0)?,
                Moments {
                    m: Some(m),
                    v: None,
                },
            )
        }
        BaseOptimizer::Adam { beta1, beta2, eps } => {
            let tf = t as f64;
            let lr_t = rate * (1.0 - beta2.powf(tf)).sqrt() / (1.0 - beta1.powf(tf));
            let m = (need(&st.m, "m")?.affine(*beta1, 0.0)? + g.affine(1.0 - beta1, 0.0)?)?;
            let v =
                (need(&st.v, "v")?.affine(*beta2, 0.0)? + g.sqr()?.affine(1.0 - beta2, 0.0)?)?;
            let denom = v.sqrt()?.affine(1.0, *eps)?;
            let delta = (m.affine(-lr_t, 0.0)? / denom)?;
            (
                delta,
                Moments {
                    m: Some(m),
                    v: Some(v),
                },
            )
        }
        BaseOptimizer::RmsProp { decay, eps } => {
            let a =
                (need(&st.v, "v")?.affine(*decay, 0.0)? + g.sqr()?.affine(1.0 - decay, 0.0)?)?;
            let denom = a.sqrt()?.affine(1.0, *eps)?;
            let delta = (g.affine(-rate, 0.0)? / denom)?;
            (
                delta,
                Moments {
                    m: None,
                    v: Some(a),
                },
            )
        }
        BaseOptimizer::Adagrad { eps } => {
            let a = (need(&st.v, "v")? + g.sqr()?)?;
            let denom = a.sqrt()?.affine(1.0, *eps)?;
            let delta = (g.affine(-rate, 0.0)? / denom)?;
            (
                delta,
                Moments {
                    m: None,
                    v: Some(a),
                },
            )
        }
    })
}
