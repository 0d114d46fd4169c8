//! The Layca transform of one tensor (spec §4.1, Algorithm 2 of the paper) and the LARS-like
//! sub-version (spec §4.5), every stage a named, separately testable function.
//!
//! Conventions (the authors' Keras code): the Layca step `s` points along the **positive**
//! gradient direction and the update is p' = p − ρ·s; the LARS-like `delta` is the plain SGD
//! velocity (negative gradient direction) and the update is p' = p + ρ·s.
//!
//! Precision: element-wise arithmetic stays in the tensors' dtype (f32 in the paper) on their
//! device; every norm and dot product is accumulated in f64 (see [`crate::rotation`]), and the
//! resulting scalars are applied with `affine`. This keeps tan θ = ρ to ~1e-7 rad and the norm to
//! ~1e-7 relative error for f32 kernels of any size, and makes tiny (1e-30) or large weights safe.
use crate::rotation::{check_same_shape, dot_f64, sq_norm_f64};
use crate::{CoreError, Result};
use candle_core::Tensor;

/// Zero-step threshold (Keras `K.epsilon()`).
pub const ZERO_STEP_EPS: f64 = 1e-7;

fn non_finite(name: &str) -> CoreError {
    CoreError::NonFinite {
        name: name.to_string(),
    }
}

/// Largest scalar applied in one `affine` (well inside the f32 normal range).
const SAFE_SCALE: f64 = 1e30;

/// t·(num/den). One `affine` when num/den is safely representable in f32; otherwise
/// (t/den)·num, where `den` is the norm of `t` (or of the tensor `t` is aligned with), so t/den
/// is of unit scale: no overflow and no subnormal scale factors for tiny or huge weights.
fn scale_by(t: &Tensor, num: f64, den: f64) -> Result<Tensor> {
    let k = num / den;
    if k == 0.0 || (k.abs() < SAFE_SCALE && k.abs() > 1.0 / SAFE_SCALE) {
        Ok(t.affine(k, 0.0)?)
    } else {
        Ok(t.affine(1.0 / den, 0.0)?.affine(num, 0.0)?)
    }
}

/// ‖p‖ (f64-accumulated), checked: `ZeroNorm` if 0, `NonFinite` if NaN/∞.
pub fn checked_norm(name: &str, p: &Tensor) -> Result<f64> {
    let sq = sq_norm_f64(p)?;
    if !sq.is_finite() {
        return Err(non_finite(name));
    }
    if sq == 0.0 {
        return Err(CoreError::ZeroNorm {
            name: name.to_string(),
        });
    }
    Ok(sq.sqrt())
}

/// Operation 1 — projection on the tangent space of the sphere at `p`:
/// s ← s − (⟨s, p⟩ / n²)·p, with `p_norm` = n = ‖p‖ (> 0). No epsilon in the division.
pub fn project_tangent(name: &str, p: &Tensor, s: &Tensor, p_norm: f64) -> Result<Tensor> {
    check_same_shape(name, p, s)?;
    if !(p_norm.is_finite() && p_norm > 0.0) {
        return Err(CoreError::ZeroNorm {
            name: name.to_string(),
        });
    }
    // c·p with c = ⟨s,p⟩/n², evaluated as (⟨s,p⟩/n)·(p/n) when c is extreme (tiny weights).
    let sp_n = dot_f64(s, p)? / p_norm;
    if !sp_n.is_finite() {
        return Err(non_finite(name));
    }
    if sp_n == 0.0 {
        return Ok(s.clone());
    }
    Ok((s - scale_by(p, sp_n, p_norm)?)?)
}

/// Operation 2 — rotation-based normalisation: s ← s·n/‖s‖, or `None` (a zero step) when
/// ‖s‖ ≤ `zero_eps` (Layca: [`ZERO_STEP_EPS`]; LARS-like: 0, i.e. only the 0/0 case).
pub fn normalise_to_norm(
    name: &str,
    s: &Tensor,
    target_norm: f64,
    zero_eps: f64,
) -> Result<Option<Tensor>> {
    let ns = sq_norm_f64(s)?.sqrt();
    if !ns.is_finite() || !target_norm.is_finite() {
        return Err(non_finite(name));
    }
    if ns <= zero_eps || ns == 0.0 {
        return Ok(None);
    }
    Ok(Some(scale_by(s, target_norm, ns)?))
}

/// Operation 3 — perform the update: p' = p − ρ·s (Layca sign convention).
pub fn apply_rate(p: &Tensor, s: &Tensor, rho: f64) -> Result<Tensor> {
    Ok((p - s.affine(rho, 0.0)?)?)
}

/// Operation 4 — project back on the sphere: p' ← p'·n/‖p'‖ (n = the norm before the update).
pub fn restore_norm(name: &str, p_new: &Tensor, target_norm: f64) -> Result<Tensor> {
    let m = checked_norm(name, p_new)?;
    scale_by(p_new, target_norm, m)
}

/// LARS-like norm-growth limiter (spec §4.5): if ‖p'‖ − n > cap·n₀, rescale p' to the norm
/// n + cap·n₀; otherwise return p' unchanged.
pub fn cap_norm_growth(
    name: &str,
    p_new: &Tensor,
    n: f64,
    n0: f64,
    growth_cap: f64,
) -> Result<Tensor> {
    let m = sq_norm_f64(p_new)?.sqrt();
    if !m.is_finite() {
        return Err(non_finite(name));
    }
    let limit = n + growth_cap * n0;
    if m - n > growth_cap * n0 {
        Ok(p_new.affine(limit / m, 0.0)?)
    } else {
        Ok(p_new.clone())
    }
}

fn check_rate(rho: f64) -> Result<()> {
    if !(rho.is_finite() && rho >= 0.0) {
        return Err(CoreError::InvalidConfig {
            field: "rho".into(),
            reason: format!("layer rate must be finite and >= 0, got {rho}"),
        });
    }
    Ok(())
}

/// Full Layca update: returns p' given current weights `p`, step `s` (positive-gradient direction)
/// and rate `rho`. Zero-norm `p` → `CoreError::ZeroNorm`.
///
/// Composition of [`project_tangent`], [`normalise_to_norm`] (threshold [`ZERO_STEP_EPS`]),
/// [`apply_rate`] and [`restore_norm`] with n = ‖p‖ measured now. For a non-zero projected step
/// the angle between p and p' is atan(ρ) and ‖p'‖ = ‖p‖. A zero step returns `p` itself (a
/// clone of the same tensor, same storage and id: callers can skip writing it back).
///
/// ```
/// # use candle_core::{Tensor, Device};
/// let p = Tensor::new(&[3f32, 4.], &Device::Cpu)?;
/// let s = Tensor::new(&[0f32, 1.], &Device::Cpu)?;
/// let p2 = layca_core::layca::layca_update("w", &p, &s, 0.5)?;
/// let th = layca_core::angle(&p, &p2)?;
/// assert!((th - 0.5f64.atan()).abs() < 1e-6);
/// # Ok::<(), layca_core::CoreError>(())
/// ```
pub fn layca_update(name: &str, p: &Tensor, s: &Tensor, rho: f64) -> Result<Tensor> {
    check_rate(rho)?;
    check_same_shape(name, p, s)?;
    let n = checked_norm(name, p)?;
    let s = project_tangent(name, p, s, n)?;
    let Some(s) = normalise_to_norm(name, &s, n, ZERO_STEP_EPS)? else {
        return Ok(p.clone());
    };
    let p_new = apply_rate(p, &s, rho)?;
    restore_norm(name, &p_new, n)
}

/// LARS-like update (spec §4.5): `delta` = −ρ·g (the plain SGD velocity), `n0` the norm at start.
///
/// s = Δ·n/‖Δ‖ (0 if Δ = 0), p' = p + ρ·s, then [`cap_norm_growth`] with `growth_cap`·n₀.
/// Zero-norm `p` → `CoreError::ZeroNorm`; a zero `delta` returns `p` itself.
pub fn lars_update(
    name: &str,
    p: &Tensor,
    delta: &Tensor,
    rho: f64,
    n0: f64,
    growth_cap: f64,
) -> Result<Tensor> {
    check_rate(rho)?;
    check_same_shape(name, p, delta)?;
    if !(growth_cap.is_finite() && growth_cap >= 0.0 && n0.is_finite() && n0 >= 0.0) {
        return Err(CoreError::InvalidConfig {
            field: "growth_cap".into(),
            reason: format!("growth cap and n0 must be finite and >= 0, got {growth_cap}, {n0}"),
        });
    }
    let n = checked_norm(name, p)?;
    let Some(s) = normalise_to_norm(name, delta, n, 0.0)? else {
        return Ok(p.clone());
    };
    // p + ρ·s, i.e. operation 3 with the opposite sign convention.
    let p_new = apply_rate(p, &s, -rho)?;
    cap_norm_growth(name, &p_new, n, n0, growth_cap)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::angle;
    use candle_core::{DType, Device};

    fn t(v: &[f32]) -> Tensor {
        Tensor::new(v, &Device::Cpu).unwrap()
    }

    #[test]
    fn stages_by_hand() -> Result<()> {
        // p = (3, 4), n = 5; s = (1, 1): ⟨s,p⟩/n² = 7/25 → s⊥ = (1 − 21/25, 1 − 28/25) = (0.16, −0.12)
        let p = t(&[3., 4.]);
        let s = t(&[1., 1.]);
        let sp = project_tangent("w", &p, &s, 5.0)?.to_vec1::<f32>()?;
        assert!((sp[0] - 0.16).abs() < 1e-6 && (sp[1] + 0.12).abs() < 1e-6);
        // ‖s⊥‖ = 0.2 → × 5/0.2 = 25 → (4, −3)
        let sn = normalise_to_norm("w", &t(&sp), 5.0, ZERO_STEP_EPS)?.unwrap();
        let sn = sn.to_vec1::<f32>()?;
        assert!((sn[0] - 4.0).abs() < 1e-5 && (sn[1] + 3.0).abs() < 1e-5);
        // p − 0.5·(4, −3) = (1, 5.5)
        let p1 = apply_rate(&p, &t(&[4., -3.]), 0.5)?.to_vec1::<f32>()?;
        assert_eq!(p1, vec![1.0, 5.5]);
        // restore to norm 5: (1, 5.5)·5/√31.25
        let r = restore_norm("w", &t(&p1), 5.0)?.to_vec1::<f32>()?;
        let k = 5.0 / 31.25f32.sqrt();
        assert!((r[0] - k).abs() < 1e-6 && (r[1] - 5.5 * k).abs() < 1e-6);
        // the composition equals the stages
        let full = layca_update("w", &p, &s, 0.5)?.to_vec1::<f32>()?;
        assert!((full[0] - r[0]).abs() < 1e-6 && (full[1] - r[1]).abs() < 1e-6);
        Ok(())
    }

    #[test]
    fn zero_step_rule() -> Result<()> {
        let p = t(&[3., 4.]);
        // below threshold after projection: unchanged, same tensor
        let s = t(&[4e-8, -3e-8]);
        let out = layca_update("w", &p, &s, 0.3)?;
        assert_eq!(out.id(), p.id());
        // purely radial step: projected to exactly 0
        let out = layca_update("w", &p, &(&p * 7.0)?, 0.3)?;
        assert_eq!(out.to_vec1::<f32>()?, vec![3., 4.]);
        // just above threshold: a full atan(ρ) rotation
        let s = t(&[4e-7, -3e-7]);
        let out = layca_update("w", &p, &s, 0.3)?;
        assert!((angle(&p, &out)? - 0.3f64.atan()).abs() < 1e-6);
        Ok(())
    }

    #[test]
    fn errors_not_nan() {
        let z = Tensor::zeros(4, DType::F32, &Device::Cpu).unwrap();
        let s = t(&[1., 2., 3., 4.]);
        let e = layca_update("conv_7", &z, &s, 0.1).unwrap_err();
        assert!(matches!(e, CoreError::ZeroNorm { ref name } if name == "conv_7"));
        assert!(e.to_string().contains("conv_7"));
        assert!(matches!(
            lars_update("d", &z, &s, 0.1, 1.0, 1e-4),
            Err(CoreError::ZeroNorm { .. })
        ));
        let nan = t(&[1., f32::NAN, 0., 0.]);
        assert!(matches!(
            layca_update("w", &s, &nan, 0.1),
            Err(CoreError::NonFinite { .. })
        ));
        assert!(matches!(
            layca_update("w", &s, &s, -1.0),
            Err(CoreError::InvalidConfig { .. })
        ));
        assert!(matches!(
            layca_update("w", &s, &t(&[1., 2.]), 0.1),
            Err(CoreError::ShapeMismatch { .. })
        ));
    }

    #[test]
    fn lars_by_hand() -> Result<()> {
        // p = (3, 4), n = 5, Δ = (0, −2): s = (0, −5); p' = p + 0.1·s = (3, 3.5), shrinks: no cap.
        let p = t(&[3., 4.]);
        let out = lars_update("w", &p, &t(&[0., -2.]), 0.1, 5.0, 1e-4)?;
        let v = out.to_vec1::<f32>()?;
        assert!((v[0] - 3.0).abs() < 1e-6 && (v[1] - 3.5).abs() < 1e-6);
        // Δ = (2, 0): s = (5, 0), p' = (3.5, 4), ‖p'‖ = 5.3151 > 5 + 1e-4·5 → norm 5.0005
        let out = lars_update("w", &p, &t(&[2., 0.]), 0.1, 5.0, 1e-4)?;
        let v = out.to_vec1::<f32>()?;
        let m = ((v[0] as f64).powi(2) + (v[1] as f64).powi(2)).sqrt();
        assert!((m - 5.0005).abs() < 1e-5, "{m}");
        assert!((v[0] as f64 / v[1] as f64 - 3.5 / 4.0).abs() < 1e-6);
        // zero Δ: unchanged
        let out = lars_update("w", &p, &t(&[0., 0.]), 0.1, 5.0, 1e-4)?;
        assert_eq!(out.id(), p.id());
        Ok(())
    }
}
