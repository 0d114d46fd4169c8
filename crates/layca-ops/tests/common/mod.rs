//! Shared helpers: random tensors, the stock candle reference compositions, comparisons.
#![allow(dead_code)]

use candle_core::{DType, Device, Result, Tensor, Var, D};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

pub fn randn(shape: &[usize], dtype: DType, seed: u64) -> Tensor {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n: usize = shape.iter().product();
    let v: Vec<f64> = (0..n).map(|_| StandardNormal.sample(&mut rng)).collect();
    Tensor::from_vec(v, shape, &Device::Cpu)
        .unwrap()
        .to_dtype(dtype)
        .unwrap()
}

pub fn var(shape: &[usize], dtype: DType, seed: u64) -> Var {
    Var::from_tensor(&randn(shape, dtype, seed)).unwrap()
}

/// max |a − b| / max(max |b|, 1e-12).
pub fn rel_err(a: &Tensor, b: &Tensor) -> f64 {
    assert_eq!(a.dims(), b.dims(), "shapes differ");
    let a = a.to_dtype(DType::F64).unwrap().flatten_all().unwrap();
    let b = b.to_dtype(DType::F64).unwrap().flatten_all().unwrap();
    let diff = (&a - &b)
        .unwrap()
        .abs()
        .unwrap()
        .max(0)
        .unwrap()
        .to_scalar::<f64>()
        .unwrap();
    let scale = b.abs().unwrap().max(0).unwrap().to_scalar::<f64>().unwrap();
    diff / scale.max(1e-12)
}

/// Stock: TF-"same"-style asymmetric zero padding, then candle's conv2d.
pub fn stock_conv(x: &Tensor, w: &Tensor, stride: usize, pads: [usize; 4]) -> Result<Tensor> {
    let [t, b, l, r] = pads;
    x.pad_with_zeros(2, t, b)?
        .pad_with_zeros(3, l, r)?
        .conv2d(w, 0, stride, 1, 1)
}

/// Stock train-mode batch norm (the composition of layca-models' BatchNorm).
pub fn stock_bn(
    x: &Tensor,
    gamma: Option<&Tensor>,
    beta: Option<&Tensor>,
    eps: f64,
    relu_before: bool,
    relu_after: bool,
) -> Result<Tensor> {
    let x = if relu_before { x.relu()? } else { x.clone() };
    let (red, shape): (Vec<usize>, Vec<usize>) = if x.rank() == 2 {
        (vec![0], vec![1, x.dim(1)?])
    } else {
        (vec![0, 2, 3], vec![1, x.dim(1)?, 1, 1])
    };
    let mean = x.mean_keepdim(red.as_slice())?;
    let centered = x.broadcast_sub(&mean)?;
    let var = centered.sqr()?.mean_keepdim(red.as_slice())?;
    let inv_std = (var + eps)?.sqrt()?.recip()?;
    let mut y = centered.broadcast_mul(&inv_std)?;
    if let Some(g) = gamma {
        y = y.broadcast_mul(&g.reshape(shape.as_slice())?)?;
    }
    if let Some(b) = beta {
        y = y.broadcast_add(&b.reshape(shape.as_slice())?)?;
    }
    if relu_after {
        y = y.relu()?;
    }
    Ok(y)
}

/// Stock first-maximum max-pool (the composition of layca-models' `max_pool`).
pub fn stock_max_pool(xs: &Tensor, k: usize) -> Result<Tensor> {
    let (n, c, h, w) = xs.dims4()?;
    let (ho, wo) = (h / k, w / k);
    let xs = xs.narrow(2, 0, ho * k)?.narrow(3, 0, wo * k)?;
    let windows = xs
        .reshape((n, c, ho, k, wo, k))?
        .permute((0, 1, 2, 4, 3, 5))?
        .reshape((n, c, ho, wo, k * k))?;
    let first_max = windows.detach().argmax_keepdim(D::Minus1)?;
    let positions =
        Tensor::arange(0u32, (k * k) as u32, xs.device())?.reshape((1, 1, 1, 1, k * k))?;
    let mask = first_max.broadcast_eq(&positions)?.to_dtype(xs.dtype())?;
    windows.mul(&mask)?.sum(4)
}

/// `Σ out · r` for a fixed random `r`: a scalar loss whose gradient wrt `out` is `r`.
pub fn probe_loss(out: &Tensor, seed: u64) -> Result<Tensor> {
    let r = randn(out.dims(), out.dtype(), seed);
    (out * r)?.sum_all()
}

/// Central finite-difference gradient of `f` wrt `x` (f64).
pub fn fd_grad(x: &Tensor, h: f64, f: impl Fn(&Tensor) -> f64) -> Vec<f64> {
    let base: Vec<f64> = x.flatten_all().unwrap().to_vec1().unwrap();
    (0..base.len())
        .map(|i| {
            let mut p = base.clone();
            p[i] += h;
            let up = f(&Tensor::from_vec(p.clone(), x.shape(), x.device()).unwrap());
            p[i] -= 2.0 * h;
            let down = f(&Tensor::from_vec(p, x.shape(), x.device()).unwrap());
            (up - down) / (2.0 * h)
        })
        .collect()
}

pub fn vec_rel_err(a: &[f64], b: &[f64]) -> f64 {
    let d = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max);
    let s = b.iter().map(|y| y.abs()).fold(0.0, f64::max);
    d / s.max(1e-12)
}
