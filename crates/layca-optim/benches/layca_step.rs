//! Layca step vs plain SGD step on the ResNet-32 kernel set (spec §3.2: 34 kernels, 470,192
//! parameters), CPU.
//!
//! `cargo bench -p layca-optim -- --warm-up-time 1 --measurement-time 3`
use candle_core::{DType, Device, Tensor, Var};
use criterion::{criterion_group, criterion_main, Criterion};
use layca_optim::{BaseOptimizer, Control, LaycaOptimizer, NamedParam, OptimConfig};

/// ResNet-32 kernels in forward order, candle layout (out, in, kh, kw) / (out, in).
fn resnet32_shapes() -> Vec<Vec<usize>> {
    let mut s = vec![vec![16, 3, 3, 3]];
    for _ in 0..10 {
        s.push(vec![16, 16, 3, 3]);
    }
    for (cin, c) in [(16, 32), (32, 64)] {
        s.push(vec![c, cin, 3, 3]);
        s.push(vec![c, c, 3, 3]);
        s.push(vec![c, cin, 1, 1]);
        for _ in 0..8 {
            s.push(vec![c, c, 3, 3]);
        }
    }
    s.push(vec![100, 64]);
    s
}

fn setup(control: Control) -> (LaycaOptimizer, candle_core::backprop::GradStore) {
    let dev = Device::Cpu;
    let shapes = resnet32_shapes();
    assert_eq!(shapes.len(), 34);
    let total: usize = shapes.iter().map(|s| s.iter().product::<usize>()).sum();
    assert_eq!(total, 470_192);
    let kernels: Vec<NamedParam> = shapes
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let t = Tensor::randn(0f32, 0.1, s.as_slice(), &dev).unwrap();
            NamedParam::new(format!("k{i}"), Var::from_tensor(&t).unwrap())
        })
        .collect();
    let mut loss = Tensor::zeros((), DType::F32, &dev).unwrap();
    for k in &kernels {
        loss = (loss + k.var.as_tensor().sum_all().unwrap()).unwrap();
    }
    let mut grads = loss.backward().unwrap();
    for k in &kernels {
        let g = Tensor::randn(0f32, 1e-2, k.var.shape(), &dev).unwrap();
        grads.insert(k.var.as_tensor(), g);
    }
    let cfg = OptimConfig::new(BaseOptimizer::sgd(), control, 3f64.powi(-3));
    (LaycaOptimizer::new(kernels, vec![], cfg).unwrap(), grads)
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("resnet32_kernels");
    for (name, control) in [
        ("sgd_step", Control::None),
        ("layca_step", Control::Layca),
        ("lars_step", Control::LarsLike { growth_cap: 1e-4 }),
    ] {
        let (mut opt, grads) = setup(control);
        group.bench_function(name, |b| b.iter(|| opt.step(&grads).unwrap()));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
