//! [`LaycaOptimizer`]: base step → (coupled L2, decoupled decay) → control, per kernel.
use crate::base::{self, Moments};
use crate::{Control, Multipliers, NamedParam, OptimConfig, OptimError, OtherParams, Result};
use candle_core::backprop::GradStore;
use candle_core::{Tensor, Var};
use layca_core::layca::{checked_norm, lars_update, layca_update};

/// Layca-family optimizer over explicitly ordered kernels.
///
/// See the [crate docs](crate) for the exact update rules.
pub struct LaycaOptimizer {
    pub(crate) kernels: Vec<NamedParam>,
    pub(crate) others: Vec<NamedParam>,
    pub(crate) config: OptimConfig,
    pub(crate) multipliers: Vec<f64>,
    pub(crate) layer_rates: Option<Vec<f64>>,
    pub(crate) kernel_state: Vec<Moments>,
    pub(crate) other_state: Vec<Moments>,
    pub(crate) l2_mask: Vec<bool>,
    /// Kernel norms n₀ captured at the first step (LARS-like growth cap).
    pub(crate) initial_norms: Option<Vec<f64>>,
    pub(crate) step: u64,
}

fn invalid(field: &str, reason: String) -> OptimError {
    OptimError::InvalidConfig {
        field: field.to_string(),
        reason,
    }
}

fn check_nonneg(field: &str, x: f64) -> Result<()> {
    if !(x.is_finite() && x >= 0.0) {
        return Err(invalid(field, format!("must be finite and >= 0, got {x}")));
    }
    Ok(())
}

impl std::fmt::Debug for LaycaOptimizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LaycaOptimizer")
            .field("config", &self.config)
            .field("kernels", &self.kernel_names())
            .field("others", &self.others.len())
            .field("step", &self.step)
            .finish()
    }
}

impl LaycaOptimizer {
    /// `kernels` in forward order (α index order); `others` = biases / BN γ/β.
    ///
    /// Validates the configuration (rates ≥ 0, β ∈ [0, 1), one explicit multiplier per kernel,
    /// `l2_exclude` naming existing kernels, unique names, float parameters) and allocates zero
    /// accumulators on each parameter's device and dtype.
    pub fn new(
        kernels: Vec<NamedParam>,
        others: Vec<NamedParam>,
        config: OptimConfig,
    ) -> Result<Self> {
        base::validate(&config.base)?;
        check_nonneg("lr", config.lr)?;
        check_nonneg("l2", config.l2)?;
        check_nonneg("weight_decay", config.weight_decay)?;
        if let Control::LarsLike { growth_cap } = config.control {
            check_nonneg("control.growth_cap", growth_cap)?;
        }
        let mut seen = std::collections::HashSet::new();
        for p in kernels.iter().chain(&others) {
            if !seen.insert(p.name.as_str()) {
                return Err(invalid(
                    "params",
                    format!("duplicate parameter name `{}`", p.name),
                ));
            }
            if !p.var.dtype().is_float() {
                return Err(invalid(
                    "params",
                    format!(
                        "parameter `{}` has non-float dtype {:?}",
                        p.name,
                        p.var.dtype()
                    ),
                ));
            }
        }
        let n = kernels.len();
        let multipliers = match &config.multipliers {
            Multipliers::Uniform => vec![1.0; n],
            Multipliers::Alpha(a) => {
                if n == 0 {
                    vec![]
                } else {
                    layca_core::alpha_multipliers(*a, n)?
                }
            }
            Multipliers::Explicit(v) => {
                if v.len() != n {
                    return Err(invalid(
                        "multipliers",
                        format!("{} explicit multipliers for {n} kernels", v.len()),
                    ));
                }
                for &m in v {
                    check_nonneg("multipliers", m)?;
                }
                v.clone()
            }
        };
        for ex in &config.l2_exclude {
            if !kernels.iter().any(|k| &k.name == ex) {
                return Err(invalid(
                    "l2_exclude",
                    format!("`{ex}` is not one of the kernels"),
                ));
            }
        }
        let l2_mask = kernels
            .iter()
            .map(|k| config.l2 > 0.0 && !config.l2_exclude.contains(&k.name))
            .collect();
        let kernel_state = kernels
            .iter()
            .map(|k| Moments::zeros_for(&config.base, &k.var))
            .collect::<Result<Vec<_>>>()?;
        let other_state = match config.other_params {
            OtherParams::Frozen => vec![Moments::default(); others.len()],
            OtherParams::BaseOptimizer => others
                .iter()
                .map(|k| Moments::zeros_for(&config.base, &k.var))
                .collect::<Result<Vec<_>>>()?,
        };
        Ok(Self {
            kernels,
            others,
            config,
            multipliers,
            layer_rates: None,
            kernel_state,
            other_state,
            l2_mask,
            initial_norms: None,
            step: 0,
        })
    }

    /// Splits named parameters in forward order: rank ≥ 2 tensors are kernels (same order),
    /// the others (biases, BN γ/β) follow `config.other_params`.
    pub fn from_named(params: Vec<NamedParam>, config: OptimConfig) -> Result<Self> {
        let (kernels, others): (Vec<_>, Vec<_>) =
            params.into_iter().partition(|p| p.var.rank() >= 2);
        Self::new(kernels, others, config)
    }

    /// One step from the gradients of the loss.
    ///
    /// All new values are computed first and committed only if every parameter succeeded, so
    /// an error (e.g. `ZeroNorm` naming the layer) leaves weights and state untouched.
    pub fn step(&mut self, grads: &GradStore) -> Result<()> {
        check_nonneg("lr", self.config.lr)?;
        let t = self.step + 1;
        if matches!(self.config.control, Control::LarsLike { .. }) && self.initial_norms.is_none() {
            let norms = self
                .kernels
                .iter()
                .map(|k| checked_norm(&k.name, k.var.as_tensor()))
                .collect::<layca_core::Result<Vec<_>>>()?;
            self.initial_norms = Some(norms);
        }
        let mut pending: Vec<(&Var, Option<Tensor>, Moments, bool, usize)> = Vec::new();
        for (i, k) in self.kernels.iter().enumerate() {
            let Some(g) = grads.get(k.var.as_tensor()) else {
                continue;
            };
            let p = k.var.as_tensor().detach();
            let mut g = g.detach();
            if self.l2_mask[i] {
                g = (g + p.affine(2.0 * self.config.l2, 0.0)?)?;
            }
            let rate = self.kernel_rate(i);
            let (delta, moments) =
                base::base_delta(&self.config.base, &g, &self.kernel_state[i], rate, t)?;
            let p_in = if self.config.weight_decay > 0.0 {
                p.affine(1.0 - rate * self.config.weight_decay, 0.0)?
            } else {
                p.clone()
            };
            let new_p = match &self.config.control {
                Control::None => (&p_in + &delta)?,
                Control::Layca => layca_update(&k.name, &p_in, &delta.neg()?, rate)?,
                Control::LarsLike { growth_cap } => {
                    let n0 = self.initial_norms.as_ref().map(|v| v[i]).unwrap_or(0.0);
                    lars_update(&k.name, &p_in, &delta, rate, n0, *growth_cap)?
                }
            };
            let unchanged = new_p.id() == p.id();
            pending.push((&k.var, (!unchanged).then_some(new_p), moments, true, i));
        }
        if self.config.other_params == OtherParams::BaseOptimizer {
            for (i, o) in self.others.iter().enumerate() {
                let Some(g) = grads.get(o.var.as_tensor()) else {
                    continue;
                };
                let p = o.var.as_tensor().detach();
                let (delta, moments) = base::base_delta(
                    &self.config.base,
                    &g.detach(),
                    &self.other_state[i],
                    self.config.lr,
                    t,
                )?;
                pending.push((&o.var, Some((&p + &delta)?), moments, false, i));
            }
        }
        let mut commits = Vec::with_capacity(pending.len());
        for (var, new_p, moments, is_kernel, i) in pending {
            if let Some(new_p) = new_p {
                var.set(&new_p)?;
            }
            commits.push((is_kernel, i, moments));
        }
        for (is_kernel, i, moments) in commits {
            if is_kernel {
                self.kernel_state[i] = moments;
            } else {
                self.other_state[i] = moments;
            }
        }
        self.step += 1;
        Ok(())
    }

    /// Effective rate ρ_l of kernel `i` for the next step.
    pub fn kernel_rate(&self, i: usize) -> f64 {
        match &self.layer_rates {
            Some(r) => r[i],
            None => self.config.lr * self.multipliers[i],
        }
    }

    /// Effective rates ρ_l of all kernels for the next step.
    pub fn kernel_rates(&self) -> Vec<f64> {
        (0..self.kernels.len())
            .map(|i| self.kernel_rate(i))
            .collect()
    }

    /// Current global learning rate.
    pub fn learning_rate(&self) -> f64 {
        self.config.lr
    }
    /// Sets the global learning rate for the next steps (validated at the next `step`).
    pub fn set_learning_rate(&mut self, lr: f64) {
        self.config.lr = lr;
    }
    /// AdaptCopy: effective per-kernel rates for the next step (overrides lr × multiplier);
    /// `None` returns to lr × multipliers. The rates stay in force until replaced.
    pub fn set_layer_rates(&mut self, rates: Option<Vec<f64>>) -> Result<()> {
        if let Some(r) = &rates {
            if r.len() != self.kernels.len() {
                return Err(invalid(
                    "layer_rates",
                    format!("{} rates for {} kernels", r.len(), self.kernels.len()),
                ));
            }
            for &x in r {
                check_nonneg("layer_rates", x)?;
            }
        }
        self.layer_rates = rates;
        Ok(())
    }
    /// The AdaptCopy rates in force, if any.
    pub fn layer_rates(&self) -> Option<&[f64]> {
        self.layer_rates.as_deref()
    }
    /// Per-kernel multipliers in force.
    pub fn multipliers(&self) -> &[f64] {
        &self.multipliers
    }
    /// Adam/RMSprop/Adagrad second-moment accumulator of kernel `i`, if the base has one.
    pub fn second_moment(&self, i: usize) -> Option<&Tensor> {
        self.kernel_state.get(i).and_then(|s| s.v.as_ref())
    }
    /// First moment / velocity of kernel `i`, if the base keeps one.
    pub fn first_moment(&self, i: usize) -> Option<&Tensor> {
        self.kernel_state.get(i).and_then(|s| s.m.as_ref())
    }
    /// Number of steps taken.
    pub fn step_count(&self) -> u64 {
        self.step
    }
    /// The configuration (with the current global rate).
    pub fn config(&self) -> &OptimConfig {
        &self.config
    }
    /// The kernels, forward order.
    pub fn kernels(&self) -> &[NamedParam] {
        &self.kernels
    }
    /// Kernel names, forward order.
    pub fn kernel_names(&self) -> Vec<&str> {
        self.kernels.iter().map(|k| k.name.as_str()).collect()
    }
    /// The non-kernel parameters.
    pub fn others(&self) -> &[NamedParam] {
        &self.others
    }
    /// Kernel norms captured at the first step (LARS-like only).
    pub fn initial_norms(&self) -> Option<&[f64]> {
        self.initial_norms.as_deref()
    }
}

/// `candle_nn::Optimizer` adapter. `new(vars, config)` treats rank ≥ 2 variables as kernels in
/// the given order (named `kernel{i}`) and the others as `other{i}`, handled per
/// `config.other_params`; non-float variables are ignored. Note that `VarMap::all_vars()`
/// returns variables in hash order: with α multipliers, use [`LaycaOptimizer::new`] or
/// [`LaycaOptimizer::from_named`] with the model's forward order instead.
impl candle_nn::Optimizer for LaycaOptimizer {
    type Config = OptimConfig;

    fn new(vars: Vec<Var>, config: OptimConfig) -> candle_core::Result<Self> {
        let mut kernels = Vec::new();
        let mut others = Vec::new();
        for v in vars.into_iter().filter(|v| v.dtype().is_float()) {
            if v.rank() >= 2 {
                kernels.push(NamedParam::new(format!("kernel{}", kernels.len()), v));
            } else {
                others.push(NamedParam::new(format!("other{}", others.len()), v));
            }
        }
        LaycaOptimizer::new(kernels, others, config).map_err(candle_core::Error::wrap)
    }

    fn step(&mut self, grads: &GradStore) -> candle_core::Result<()> {
        LaycaOptimizer::step(self, grads).map_err(candle_core::Error::wrap)
    }

    fn learning_rate(&self) -> f64 {
        self.config.lr
    }

    fn set_learning_rate(&mut self, lr: f64) {
        self.config.lr = lr;
    }
}
