//! Shared test helpers.

use candle_core::{DType, Device, Tensor};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::Network;

/// Deterministic uniform(-1, 1) input of `shape`.
pub fn input(shape: &[usize], seed: u64, dtype: DType) -> Tensor {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n: usize = shape.iter().product();
    let v: Vec<f64> = (0..n).map(|_| rng.gen_range(-1.0..1.0)).collect();
    Tensor::from_vec(v, shape, &Device::Cpu)
        .unwrap()
        .to_dtype(dtype)
        .unwrap()
}

/// Deterministic labels in `0..classes`.
pub fn labels(n: usize, classes: usize, seed: u64) -> Tensor {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let v: Vec<u32> = (0..n).map(|_| rng.gen_range(0..classes as u32)).collect();
    Tensor::from_vec(v, n, &Device::Cpu).unwrap()
}

/// Mean cross-entropy of `net` on `(xs, ys)`.
pub fn loss(net: &dyn Network, xs: &Tensor, ys: &Tensor, train: bool) -> Tensor {
    let logits = net.forward_t(xs, train).unwrap();
    candle_nn::loss::cross_entropy(&logits, ys).unwrap()
}

/// One plain SGD step (kernels and others) at rate `min(lr, 0.1 / ‖g‖²)`, i.e. a first-order
/// predicted decrease of at most 0.1 (C10-CNN1 at batch 2 has ‖g‖² ≈ 4·10⁵: BN after ReLU on
/// 32 values per channel amplifies gradients, so a fixed rate overshoots). Returns the loss
/// before the step.
pub fn sgd_step(net: &dyn Network, xs: &Tensor, ys: &Tensor, lr: f64) -> f64 {
    let l = loss(net, xs, ys, true);
    let grads = l.backward().unwrap();
    let params: Vec<_> = net.kernels().into_iter().chain(net.others()).collect();
    let gs: Vec<Tensor> = params
        .iter()
        .map(|nv| {
            grads
                .get(nv.var.as_tensor())
                .unwrap_or_else(|| panic!("no gradient for {}", nv.name))
                .clone()
        })
        .collect();
    let g2: f64 = gs
        .iter()
        .map(|g| scalar(&g.sqr().unwrap().sum_all().unwrap()))
        .sum();
    assert!(g2.is_finite() && g2 > 0.0, "gradient norm² {g2}");
    let lr = lr.min(0.1 / g2);
    for (nv, g) in params.iter().zip(&gs) {
        nv.var
            .set(&(nv.var.as_tensor() - (g * lr).unwrap()).unwrap())
            .unwrap();
    }
    scalar(&l)
}

/// Scalar value of a 0-d tensor as f64.
pub fn scalar(t: &Tensor) -> f64 {
    t.to_dtype(DType::F64).unwrap().to_scalar::<f64>().unwrap()
}
