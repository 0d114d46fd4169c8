//! Layer-wise learning-rate multipliers (α parametrisation, Eq. 1, spec §4.4).
use crate::Result;

/// μ_l for l = 0..num_layers. α ∈ [-1, 1]; L = 1 gives [1.0]. Errors on invalid α or L = 0.
pub fn alpha_multipliers(alpha: f64, num_layers: usize) -> Result<Vec<f64>> {
    let _ = (alpha, num_layers);
    todo!()
}
