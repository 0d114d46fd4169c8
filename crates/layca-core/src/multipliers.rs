//! Layer-wise learning-rate multipliers (α parametrisation, Eq. 1, spec §4.4).
use crate::{CoreError, Result};

/// μ_l for l = 0..num_layers. α ∈ [-1, 1]; L = 1 gives [1.0]. Errors on invalid α or L = 0.
///
/// * α > 0: μ_l = (1−α)^(5·(L−1−l)/(L−1)) — last layer 1, first layer (1−α)^5;
/// * α ≤ 0: μ_l = (1+α)^(5·l/(L−1)) — first layer 1, last layer (1+α)^5.
///
/// ```
/// let m = layca_core::alpha_multipliers(-0.6, 25)?;
/// assert_eq!(m[0], 1.0);
/// assert!((m[24] - 0.4f64.powi(5)).abs() < 1e-15); // 0.01024
/// # Ok::<(), layca_core::CoreError>(())
/// ```
pub fn alpha_multipliers(alpha: f64, num_layers: usize) -> Result<Vec<f64>> {
    if !alpha.is_finite() || !(-1.0..=1.0).contains(&alpha) {
        return Err(CoreError::InvalidConfig {
            field: "alpha".into(),
            reason: format!("must lie in [-1, 1], got {alpha}"),
        });
    }
    if num_layers == 0 {
        return Err(CoreError::InvalidConfig {
            field: "num_layers".into(),
            reason: "must be at least 1".into(),
        });
    }
    if num_layers == 1 {
        return Ok(vec![1.0]);
    }
    let last = (num_layers - 1) as f64;
    Ok((0..num_layers)
        .map(|l| {
            let l = l as f64;
            if alpha > 0.0 {
                (1.0 - alpha).powf(5.0 * (last - l) / last)
            } else {
                (1.0 + alpha).powf(5.0 * l / last)
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_monotonicity() {
        let neg = alpha_multipliers(-0.6, 34).unwrap();
        assert_eq!(neg[0], 1.0);
        assert!((neg[33] - 0.01024).abs() < 1e-15);
        assert!(neg.windows(2).all(|w| w[1] < w[0]));
        let pos = alpha_multipliers(0.6, 34).unwrap();
        assert!((pos[0] - 0.01024).abs() < 1e-15);
        assert_eq!(pos[33], 1.0);
        assert!(pos.windows(2).all(|w| w[1] > w[0]));
        // mirror symmetry: μ_l(α) = μ_{L−1−l}(−α)
        for l in 0..34 {
            assert!((neg[l] - pos[33 - l]).abs() < 1e-15);
        }
        assert!(alpha_multipliers(0.0, 7).unwrap().iter().all(|&m| m == 1.0));
        // middle layer of L = 3 with α = -0.6: 0.4^2.5
        let m3 = alpha_multipliers(-0.6, 3).unwrap();
        assert!((m3[1] - 0.4f64.powf(2.5)).abs() < 1e-15);
    }

    #[test]
    fn single_layer_and_errors() {
        assert_eq!(alpha_multipliers(0.9, 1).unwrap(), vec![1.0]);
        assert_eq!(alpha_multipliers(-0.9, 1).unwrap(), vec![1.0]);
        assert!(alpha_multipliers(1.5, 3).is_err());
        assert!(alpha_multipliers(f64::NAN, 3).is_err());
        assert!(alpha_multipliers(0.2, 0).is_err());
    }
}
