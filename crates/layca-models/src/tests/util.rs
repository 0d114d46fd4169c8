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

/// One plain SGD step (kernels and others) at rate `lr`; returns the loss before the step.
pub fn sgd_step(net: &dyn Network, xs: &Tensor, ys: &Tensor, lr: f64) -> f64 {
    let l = loss(net, xs, ys, true);
    let grads = l.backward().unwrap();
    for nv in net.kernels().into_iter().chain(net.others()) {
        let g = grads
            .get(nv.var.as_tensor())
            .unwrap_or_else(|| panic!("no gradient for {}", nv.name));
        nv.var
            .set(&(nv.var.as_tensor() - (g * lr).unwrap()).unwrap())
            .unwrap();
    }
    l.to_dtype(DType::F64).unwrap().to_scalar::<f64>().unwrap()
}

/// Scalar value of a 0-d tensor as f64.
pub fn scalar(t: &Tensor) -> f64 {
    t.to_dtype(DType::F64).unwrap().to_scalar::<f64>().unwrap()
}
