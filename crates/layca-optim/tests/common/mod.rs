//! Shared helpers for the integration tests (included with `mod common;`).
#![allow(dead_code)]
use candle_core::{DType, Device, Tensor, Var};
use layca_optim::{BaseOptimizer, Control, NamedParam};

/// Every base optimizer under test (Keras defaults, plus momentum/Nesterov variants).
pub fn bases() -> Vec<(&'static str, BaseOptimizer)> {
    vec![
        ("sgd", BaseOptimizer::sgd()),
        ("sgd_momentum", BaseOptimizer::sgd_momentum(0.9, false)),
        ("sgd_nesterov", BaseOptimizer::sgd_momentum(0.9, true)),
        ("sgd_amom", BaseOptimizer::sgd_amom()),
        ("adam", BaseOptimizer::adam()),
        ("rmsprop", BaseOptimizer::rmsprop()),
        ("adagrad", BaseOptimizer::adagrad()),
    ]
}

/// Every control mode under test.
pub fn controls() -> Vec<(&'static str, Control)> {
    vec![
        ("none", Control::None),
        ("layca", Control::Layca),
        ("lars", Control::LarsLike { growth_cap: 1e-2 }),
    ]
}

/// A named f32 variable from row-major values.
pub fn var(name: &str, vals: &[f32], shape: &[usize]) -> NamedParam {
    let t = Tensor::from_slice(vals, shape, &Device::Cpu).unwrap();
    NamedParam::new(name, Var::from_tensor(&t).unwrap())
}

/// f64 values of a tensor, flattened.
pub fn vals(t: &Tensor) -> Vec<f64> {
    t.flatten_all()
        .unwrap()
        .to_dtype(DType::F64)
        .unwrap()
        .to_vec1::<f64>()
        .unwrap()
}

/// f32 bit patterns of a tensor, flattened.
pub fn bits(t: &Tensor) -> Vec<u32> {
    t.flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap()
        .iter()
        .map(|x| x.to_bits())
        .collect()
}
