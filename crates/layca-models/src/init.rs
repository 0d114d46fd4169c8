//! Seeded Keras 2.1.2 initialisers (spec §1.1), drawn on the host from a ChaCha8 stream.
//!
//! Values are drawn in `f64` and then stored in the model's dtype, so an `f64` build and an
//! `f32` build from the same seed hold the same numbers up to rounding.

use candle_core::{DType, Device, Tensor, Var};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal, Uniform};

use crate::Result;

/// Kernel initialisers of the paper's networks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Init {
    /// `U(-√(6/fan_in), +√(6/fan_in))`.
    HeUniform,
    /// Normal with σ = √(2/fan_in), redrawn outside ±2σ, **without** the 1/0.8796 std
    /// correction (Keras 2.1.2).
    HeNormal,
    /// `U(-√(6/(fan_in+fan_out)), +)` (Keras default).
    GlorotUniform,
}

impl Init {
    /// Draws `n` values for a kernel with the given fans.
    pub fn sample(self, rng: &mut ChaCha8Rng, n: usize, fan_in: usize, fan_out: usize) -> Vec<f64> {
        match self {
            Init::HeUniform => uniform(rng, n, (6.0 / fan_in as f64).sqrt()),
            Init::GlorotUniform => uniform(rng, n, (6.0 / (fan_in + fan_out) as f64).sqrt()),
            Init::HeNormal => {
                let std = (2.0 / fan_in as f64).sqrt();
                (0..n)
                    .map(|_| loop {
                        let z: f64 = StandardNormal.sample(rng);
                        if z.abs() <= 2.0 {
                            break z * std;
                        }
                    })
                    .collect()
            }
        }
    }
}

fn uniform(rng: &mut ChaCha8Rng, n: usize, limit: f64) -> Vec<f64> {
    let d = Uniform::new(-limit, limit);
    (0..n).map(|_| d.sample(rng)).collect()
}

/// Creates a `Var` of `shape` from `f64` host values, stored as `dtype` on `device`.
pub(crate) fn var_from_f64(
    values: Vec<f64>,
    shape: &[usize],
    dtype: DType,
    device: &Device,
) -> Result<Var> {
    let t = Tensor::from_vec(values, shape, &Device::Cpu)?.to_dtype(dtype)?;
    Ok(Var::from_tensor(&t.to_device(device)?)?)
}

/// A `Var` filled with `value`.
pub(crate) fn var_full(value: f64, shape: &[usize], dtype: DType, device: &Device) -> Result<Var> {
    let t = Tensor::full(value, shape, device)?.to_dtype(dtype)?;
    Ok(Var::from_tensor(&t)?)
}

/// Draws a `u64` sub-seed (used to give dropout its own stream).
pub(crate) fn sub_seed(rng: &mut ChaCha8Rng) -> u64 {
    rng.gen()
}
