//! Cosine distance and angle between two tensors (flattened), accumulated in f64.
use crate::Result;
use candle_core::Tensor;

/// d = 1 − ⟨a, b⟩ / (‖a‖‖b‖), computed in f64 (like scipy's `cosine`). Errors on zero norm.
pub fn cosine_distance(a: &Tensor, b: &Tensor) -> Result<f64> {
    let _ = (a, b);
    todo!()
}

/// Angle in radians between a and b, in f64 (numerically stable for tiny angles).
pub fn angle(a: &Tensor, b: &Tensor) -> Result<f64> {
    let _ = (a, b);
    todo!()
}

/// tan θ = sqrt(max(1/(1−d)² − 1, 0)) (spec §5.2).
pub fn tan_from_cosine_distance(d: f64) -> f64 {
    let _ = d;
    todo!()
}
