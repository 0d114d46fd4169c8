//! Cosine distance and angle between two tensors (flattened), accumulated in f64.
//!
//! The authors measured rotations with `scipy.spatial.distance.cosine` on float32 weights, which
//! promotes to float64 before any arithmetic. Every reduction here therefore converts its inputs
//! to `f64` *on their device* first, then multiplies and sums: no precision is lost to f32
//! accumulation, and tiny or huge weights neither underflow nor overflow when squared.
use crate::{CoreError, Result};
use candle_core::{DType, Tensor};

/// Flattens `t` and converts it to `f64` on its own device.
pub(crate) fn flat_f64(t: &Tensor) -> Result<Tensor> {
    Ok(t.flatten_all()?.to_dtype(DType::F64)?)
}

/// Σ xᵢ² of a tensor, accumulated in f64.
pub fn sq_norm_f64(t: &Tensor) -> Result<f64> {
    let t = flat_f64(t)?;
    Ok(t.sqr()?.sum_all()?.to_scalar::<f64>()?)
}

/// ⟨a, b⟩ of two same-shaped tensors (flattened), accumulated in f64.
pub fn dot_f64(a: &Tensor, b: &Tensor) -> Result<f64> {
    check_same_shape("dot", a, b)?;
    let a = flat_f64(a)?;
    let b = flat_f64(b)?;
    Ok((a * b)?.sum_all()?.to_scalar::<f64>()?)
}

pub(crate) fn check_same_shape(name: &str, a: &Tensor, b: &Tensor) -> Result<()> {
    if a.dims() != b.dims() {
        return Err(CoreError::ShapeMismatch {
            name: name.to_string(),
            left: a.dims().to_vec(),
            right: b.dims().to_vec(),
        });
    }
    Ok(())
}

/// (⟨a,b⟩, ‖a‖², ‖b‖²) in f64 with a single device → host transfer.
pub(crate) fn dot_and_sq_norms(name: &str, a: &Tensor, b: &Tensor) -> Result<(f64, f64, f64)> {
    check_same_shape(name, a, b)?;
    let a = flat_f64(a)?;
    let b = flat_f64(b)?;
    let ab = (&a * &b)?.sum_all()?;
    let aa = a.sqr()?.sum_all()?;
    let bb = b.sqr()?.sum_all()?;
    let v = Tensor::stack(&[ab, aa, bb], 0)?.to_vec1::<f64>()?;
    Ok((v[0], v[1], v[2]))
}

/// Cosine distance with a layer name for error messages.
pub fn cosine_distance_named(name: &str, a: &Tensor, b: &Tensor) -> Result<f64> {
    let (ab, aa, bb) = dot_and_sq_norms(name, a, b)?;
    if !(ab.is_finite() && aa.is_finite() && bb.is_finite()) {
        return Err(CoreError::NonFinite {
            name: name.to_string(),
        });
    }
    if aa == 0.0 || bb == 0.0 {
        return Err(CoreError::ZeroNorm {
            name: name.to_string(),
        });
    }
    // Same expression as scipy: 1 - uv / sqrt(uu * vv).
    Ok(1.0 - ab / (aa * bb).sqrt())
}

/// d = 1 − ⟨a, b⟩ / (‖a‖‖b‖), computed in f64 (like scipy's `cosine`). Errors on zero norm.
///
/// ```
/// # use candle_core::{Tensor, Device};
/// let a = Tensor::new(&[1f32, 0.], &Device::Cpu)?;
/// let b = Tensor::new(&[0f32, 2.], &Device::Cpu)?;
/// assert!((layca_core::cosine_distance(&a, &b)? - 1.0).abs() < 1e-15);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn cosine_distance(a: &Tensor, b: &Tensor) -> Result<f64> {
    cosine_distance_named("tensor", a, b)
}

/// Angle in radians between a and b, in f64 (numerically stable for tiny angles).
///
/// Uses θ = 2·atan2(‖â − b̂‖, ‖â + b̂‖) on the unit vectors â, b̂ (Kahan), which keeps full
/// relative precision for angles near 0 and near π, unlike `acos` of the cosine.
pub fn angle(a: &Tensor, b: &Tensor) -> Result<f64> {
    angle_named("tensor", a, b)
}

/// [`angle`] with a layer name for error messages.
pub fn angle_named(name: &str, a: &Tensor, b: &Tensor) -> Result<f64> {
    check_same_shape(name, a, b)?;
    let a = flat_f64(a)?;
    let b = flat_f64(b)?;
    let na = a.sqr()?.sum_all()?.to_scalar::<f64>()?.sqrt();
    let nb = b.sqr()?.sum_all()?.to_scalar::<f64>()?.sqrt();
    if !(na.is_finite() && nb.is_finite()) {
        return Err(CoreError::NonFinite {
            name: name.to_string(),
        });
    }
    if na == 0.0 || nb == 0.0 {
        return Err(CoreError::ZeroNorm {
            name: name.to_string(),
        });
    }
    let ua = a.affine(1.0 / na, 0.0)?;
    let ub = b.affine(1.0 / nb, 0.0)?;
    let diff = (&ua - &ub)?.sqr()?.sum_all()?;
    let sum = (&ua + &ub)?.sqr()?.sum_all()?;
    let v = Tensor::stack(&[diff, sum], 0)?.to_vec1::<f64>()?;
    Ok(2.0 * v[0].sqrt().atan2(v[1].sqrt()))
}

/// tan θ = sqrt(max(1/(1−d)² − 1, 0)) (spec §5.2).
///
/// Exactly the authors' formula: the clip guards against small negative values from
/// round-off. It assumes θ < 90° (d < 1); d = 1 gives +∞ and NaN input gives NaN.
pub fn tan_from_cosine_distance(d: f64) -> f64 {
    let c = 1.0 - d;
    (1.0 / (c * c) - 1.0).max(0.0).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn orthogonal_and_parallel() -> Result<()> {
        let dev = Device::Cpu;
        let a = Tensor::new(&[[1f32, 0.], [0., 0.]], &dev)?;
        let b = Tensor::new(&[[0f32, 3.], [0., 0.]], &dev)?;
        assert!((cosine_distance(&a, &b)? - 1.0).abs() < 1e-15);
        assert!((angle(&a, &b)? - std::f64::consts::FRAC_PI_2).abs() < 1e-15);
        assert!(cosine_distance(&a, &(&a * 2.0)?)?.abs() < 1e-15);
        assert_eq!(angle(&a, &(&a * 5.0)?)?, 0.0);
        // antiparallel: d = 2, θ = π
        assert!((cosine_distance(&a, &a.neg()?)? - 2.0).abs() < 1e-15);
        assert!((angle(&a, &a.neg()?)? - std::f64::consts::PI).abs() < 1e-15);
        Ok(())
    }

    #[test]
    fn small_angle_is_precise() -> Result<()> {
        // a = (1, 0), b = (1, 1e-6): θ = atan(1e-6), d ≈ θ²/2 = 5e-13 (f32 would give 0).
        let dev = Device::Cpu;
        let a = Tensor::new(&[1f32, 0.], &dev)?;
        let b = Tensor::new(&[1f32, 1e-6], &dev)?;
        let b1 = b.to_vec1::<f32>()?[1] as f64;
        let th = angle(&a, &b)?;
        assert!((th - b1.atan()).abs() < 1e-18, "{th}");
        let d = cosine_distance(&a, &b)?;
        assert!((d - (1.0 - 1.0 / (1.0 + b1 * b1).sqrt())).abs() < 1e-16);
        let t = tan_from_cosine_distance(d);
        assert!((t - b1).abs() / b1 < 1e-3, "{t}");
        Ok(())
    }

    #[test]
    fn tan_formula() {
        // d = 1 − cos θ ; θ = 45° → tan = 1.
        let d = 1.0 - std::f64::consts::FRAC_PI_4.cos();
        assert!((tan_from_cosine_distance(d) - 1.0).abs() < 1e-12);
        assert_eq!(tan_from_cosine_distance(0.0), 0.0);
        assert_eq!(tan_from_cosine_distance(-1e-17), 0.0);
    }

    #[test]
    fn zero_norm_and_shape_errors() -> Result<()> {
        let dev = Device::Cpu;
        let a = Tensor::zeros(3, DType::F32, &dev)?;
        let b = Tensor::ones(3, DType::F32, &dev)?;
        assert!(matches!(
            cosine_distance(&a, &b),
            Err(CoreError::ZeroNorm { .. })
        ));
        assert!(matches!(angle(&b, &a), Err(CoreError::ZeroNorm { .. })));
        let c = Tensor::ones(4, DType::F32, &dev)?;
        assert!(matches!(
            cosine_distance(&c, &b),
            Err(CoreError::ShapeMismatch { .. })
        ));
        Ok(())
    }
}
