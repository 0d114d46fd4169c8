//! The Layca transform of one tensor (spec §4.1) and the LARS-like sub-version (spec §4.5),
//! every stage a named function.
use crate::Result;
use candle_core::Tensor;

/// Zero-step threshold (Keras `K.epsilon()`).
pub const ZERO_STEP_EPS: f64 = 1e-7;

/// Full Layca update: returns p' given current weights `p`, step `s` (positive-gradient direction)
/// and rate `rho`. Zero-norm `p` → `CoreError::ZeroNorm`.
pub fn layca_update(name: &str, p: &Tensor, s: &Tensor, rho: f64) -> Result<Tensor> {
    let _ = (name, p, s, rho);
    todo!()
}

/// LARS-like update (spec §4.5): `delta` = −ρ_l·g (the plain SGD velocity), `n0` the norm at start.
pub fn lars_update(
    name: &str,
    p: &Tensor,
    delta: &Tensor,
    rho: f64,
    n0: f64,
    growth_cap: f64,
) -> Result<Tensor> {
    let _ = (name, p, delta, rho, n0, growth_cap);
    todo!()
}
