//! A plain candle model (conv → batch norm → ReLU → max-pool → dense, built with `candle_nn` and a
//! `VarMap`, nothing from layca-models) trained on the embedded MNIST digits with `LaycaOptimizer`,
//! watched by the layer-rotation monitor: JSONL + CSV + TensorBoard.
//!
//! ```sh
//! cargo run --release -p layca-monitor --example plain_candle -- /tmp/plain-candle
//! tensorboard --logdir /tmp/plain-candle
//! ```
use candle_core::{DType, Device, ModuleT, Tensor, D};
use candle_nn::{batch_norm, conv2d, linear, loss, Module, VarBuilder, VarMap};
use layca_monitor::{
    CsvSink, JsonlSink, LayerMonitor, MonitorConfig, Selection, Sink, TensorBoardSink,
};
use layca_optim::{
    BaseOptimizer, Control, LaycaOptimizer, Multipliers, NamedParam, OptimConfig, OtherParams,
};
use std::path::PathBuf;

struct Net {
    conv: candle_nn::Conv2d,
    bn: candle_nn::BatchNorm,
    fc: candle_nn::Linear,
}

impl Net {
    fn new(vb: VarBuilder) -> candle_core::Result<Self> {
        Ok(Self {
            conv: conv2d(1, 8, 3, Default::default(), vb.pp("conv"))?,
            bn: batch_norm(8, 1e-5, vb.pp("bn"))?,
            fc: linear(8 * 13 * 13, 10, vb.pp("fc"))?,
        })
    }
    fn forward(&self, x: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        let h = self.bn.forward_t(&self.conv.forward(x)?, train)?.relu()?;
        self.fc.forward(&h.max_pool2d(2)?.flatten_from(1)?)
    }
}

/// The first `n` embedded digits as (N,1,28,28) f32 in [0, 1] and u32 labels.
fn digits(n: usize, dev: &Device) -> anyhow::Result<(Tensor, Tensor)> {
    let ds = layca_data::idx::embedded_mnist()?;
    let px: Vec<f32> = ds.pixels[..n * 784]
        .iter()
        .map(|&p| p as f32 / 255.0)
        .collect();
    let x = Tensor::from_vec(px, (n, 1, 28, 28), dev)?;
    let y = Tensor::from_vec(ds.labels[..n].to_vec(), n, dev)?;
    Ok((x, y))
}

fn main() -> anyhow::Result<()> {
    let out = std::env::args()
        .nth(1)
        .map_or_else(|| PathBuf::from("plain-candle"), PathBuf::from);
    let dev = Device::Cpu;
    let varmap = VarMap::new();
    let net = Net::new(VarBuilder::from_varmap(&varmap, DType::F32, &dev))?;
    let config = MonitorConfig {
        interval: 2,
        weight_norm: true,
        update_ratio: true,
    };
    // watches conv.weight and fc.weight; lists the biases, BN γ/β and running statistics as ignored
    let mut monitor = LayerMonitor::from_varmap(&varmap, &Selection::default(), config)?;
    monitor.print_report();
    let kernels = monitor
        .vars()
        .into_iter()
        .map(|(n, v)| NamedParam::new(n, v));
    let mut opt = LaycaOptimizer::new(
        kernels.collect(),
        vec![],
        OptimConfig {
            base: BaseOptimizer::Sgd {
                momentum: 0.0,
                nesterov: false,
            },
            control: Control::Layca,
            lr: 3f64.powi(-3),
            multipliers: Multipliers::Alpha(0.0),
            l2: 0.0,
            l2_exclude: vec![],
            weight_decay: 0.0,
            other_params: OtherParams::Frozen,
        },
    )?;
    let mut sinks: Vec<Box<dyn Sink>> = vec![
        Box::new(JsonlSink::create(out.join("rotation.jsonl"))?),
        Box::new(CsvSink::create(out.join("rotation.csv"))?),
        Box::new(TensorBoardSink::create(&out)?),
    ];
    let (x, y) = digits(2000, &dev)?;
    let batch = 100;
    for epoch in 0..3 {
        for b in 0..(2000 / batch) {
            let (xb, yb) = (
                x.narrow(0, b * batch, batch)?,
                y.narrow(0, b * batch, batch)?,
            );
            let logits = net.forward(&xb, true)?;
            let loss = loss::cross_entropy(&logits, &yb)?;
            let grads = loss.backward()?;
            monitor.before_step()?;
            opt.step(&grads)?;
            if let Some(rec) = monitor.after_step()? {
                let acc = logits.argmax(D::Minus1)?.eq(&yb)?.to_dtype(DType::F64)?;
                let rec = rec
                    .with_scalar("loss", loss.to_scalar::<f32>()? as f64)
                    .with_scalar("batch_accuracy", acc.mean_all()?.to_scalar::<f64>()?)
                    .with_scalar("learning_rate", opt.learning_rate());
                for s in sinks.iter_mut() {
                    s.write(&rec)?;
                }
            }
        }
        let last = monitor.step();
        eprintln!("epoch {epoch}: {last} steps");
    }
    for s in sinks.iter_mut() {
        s.flush()?;
    }
    eprintln!("wrote {}", out.display());
    Ok(())
}
