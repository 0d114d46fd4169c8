//! The monitor's per-step overhead on ResNet-32 and the MNIST MLP (layca-models networks, full
//! width, CPU, f32), next to a full training step (forward in train mode, cross-entropy,
//! backward, SGD update) with and without the monitor.
//!
//! `cargo bench -p layca-monitor --bench monitor_overhead -- --warm-up-time 1 --measurement-time 5`
//!
//! * `record/<net>`: `before_step` + `after_step` of a recorded step (interval 1), no update: the
//!   whole cost of one record (snapshot + 4 reductions per kernel + one transfer).
//! * `skipped/<net>`: the same calls on a step that is not recorded (interval 1000).
//! * `train_step/<net>/{plain,monitored}`: a training step, batch 32 (ResNet-32) / 256 (MLP),
//!   without and with the monitor at interval 1: the difference is the overhead per step.
use candle_core::{DType, Device, Tensor};
use candle_nn::Optimizer;
use criterion::{criterion_group, criterion_main, Criterion};
use layca_models::{Arch, Network};
use layca_monitor::{LayerMonitor, MonitorConfig, Selection};

fn monitor(net: &dyn Network, interval: u64) -> LayerMonitor {
    let named = net.kernels().into_iter().map(|k| (k.name, k.var)).collect();
    let cfg = MonitorConfig {
        interval,
        ..MonitorConfig::default()
    };
    LayerMonitor::from_named(named, &Selection::default(), cfg).unwrap()
}

fn batch(arch: Arch, n: usize, dev: &Device) -> (Tensor, Tensor) {
    let [c, h, w] = arch.input_shape();
    let x = Tensor::randn(0f32, 1., (n, c, h, w), dev).unwrap();
    let k = arch.num_classes() as u32;
    let labels: Vec<u32> = (0..n as u32).map(|i| i % k).collect();
    let y = Tensor::new(labels.as_slice(), dev).unwrap();
    (x, y)
}

fn train_step(
    net: &dyn Network,
    opt: &mut candle_nn::SGD,
    x: &Tensor,
    y: &Tensor,
    mon: Option<&mut LayerMonitor>,
) {
    let logits = net.forward_t(x, true).unwrap();
    let loss = candle_nn::loss::cross_entropy(&logits, y).unwrap();
    let grads = loss.backward().unwrap();
    match mon {
        Some(m) => {
            m.before_step().unwrap();
            opt.step(&grads).unwrap();
            assert!(m.after_step().unwrap().is_some());
        }
        None => opt.step(&grads).unwrap(),
    }
}

fn bench_net(c: &mut Criterion, arch: Arch, name: &str, n: usize) {
    let dev = Device::Cpu;
    let net = layca_models::build_with_dtype(arch, 1, DType::F32, &dev).unwrap();
    let mut rec = monitor(net.as_ref(), 1);
    c.bench_function(&format!("record/{name}"), |b| {
        b.iter(|| {
            rec.before_step().unwrap();
            rec.after_step().unwrap().unwrap()
        })
    });
    let mut skip = monitor(net.as_ref(), 1000);
    c.bench_function(&format!("skipped/{name}"), |b| {
        b.iter(|| {
            skip.before_step().unwrap();
            skip.after_step().unwrap()
        })
    });
    let (x, y) = batch(arch, n, &dev);
    let vars: Vec<_> = net.kernels().into_iter().map(|k| k.var).collect();
    let mut opt = candle_nn::SGD::new(vars, 1e-3).unwrap();
    let mut g = c.benchmark_group(format!("train_step/{name}"));
    g.sample_size(10);
    g.bench_function("plain", |b| {
        b.iter(|| train_step(net.as_ref(), &mut opt, &x, &y, None))
    });
    let mut mon = monitor(net.as_ref(), 1);
    g.bench_function("monitored", |b| {
        b.iter(|| train_step(net.as_ref(), &mut opt, &x, &y, Some(&mut mon)))
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    bench_net(c, Arch::MnistMlp, "mlp", 256);
    bench_net(c, Arch::Resnet32, "resnet32", 32);
}

criterion_group!(benches_group, benches);
criterion_main!(benches_group);
