//! # layca-monitor — layer-rotation telemetry for any candle training loop
//!
//! Owns: choosing which tensors of a plain `candle_nn` model (a `VarMap`, or named `Var`s) to
//! watch, and saying why ([`select`]); measuring, per watched layer and every `interval` steps,
//! the cosine distance to the initial weights, the step's tan θ and optionally ‖w‖ and
//! ‖Δw‖/‖w‖ ([`monitor`]); and writing the records as JSONL, CSV or TensorBoard event files
//! ([`sink`], [`tensorboard`], the latter usable alone). Must not depend on: layca's models, data,
//! optimizers or run store (`layca-models`, `layca-data`, `layca-optim`, `layca-train`); it uses
//! only `layca-core` (rotation formulas), `layca-io` (atomic writes), candle, serde, `prost`
//! (protobuf derive, no `protoc`) and `crc32c`.
//!
//! A plain candle MLP trained with `LaycaOptimizer`, watched by the monitor (the full program,
//! with TensorBoard output, is `examples/plain_candle.rs`):
//!
//! ```
//! use candle_core::{DType, Device, Tensor, D};
//! use candle_nn::{linear, loss, Module, Optimizer, VarBuilder, VarMap};
//! use layca_monitor::{JsonlSink, LayerMonitor, MonitorConfig, Selection, Sink};
//! use layca_optim::{BaseOptimizer, Control, LaycaOptimizer, Multipliers, NamedParam, OptimConfig, OtherParams};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dev = Device::Cpu;
//! let varmap = VarMap::new();
//! let vb = VarBuilder::from_varmap(&varmap, DType::F32, &dev);
//! let (l1, l2) = (linear(8, 16, vb.pp("fc1"))?, linear(16, 3, vb.pp("fc2"))?);
//! // the monitor: rank >= 2 (fc1.weight, fc2.weight); biases listed as ignored, with the reason
//! let mut monitor = LayerMonitor::from_varmap(&varmap, &Selection::default(), MonitorConfig::default())?;
//! monitor.print_report();
//! let dir = tempfile::tempdir()?;
//! let mut sink = JsonlSink::create(dir.path().join("rotation.jsonl"))?;
//! // Layca on the watched kernels, biases frozen (as the authors' code)
//! let kernels: Vec<NamedParam> = monitor.vars().into_iter().map(|(n, v)| NamedParam::new(n, v)).collect();
//! let mut opt = LaycaOptimizer::new(kernels, vec![], OptimConfig {
//!     base: BaseOptimizer::Sgd { momentum: 0.0, nesterov: false },
//!     control: Control::Layca, lr: 0.05, multipliers: Multipliers::Alpha(0.0),
//!     l2: 0.0, l2_exclude: vec![], weight_decay: 0.0, other_params: OtherParams::Frozen,
//! })?;
//! let x = Tensor::randn(0f32, 1., (32, 8), &dev)?;
//! let y = x.narrow(1, 0, 3)?.argmax(D::Minus1)?; // a learnable labelling
//! for _ in 0..5 {
//!     let loss = loss::cross_entropy(&l2.forward(&l1.forward(&x)?.relu()?)?, &y)?;
//!     let grads = loss.backward()?;
//!     monitor.before_step()?;
//!     opt.step(&grads)?;
//!     if let Some(rec) = monitor.after_step()? {
//!         sink.write(&rec.with_scalar("loss", loss.to_scalar::<f32>()? as f64))?;
//!     }
//! }
//! sink.flush()?;
//! // Layca rotates each kernel by exactly atan(0.05) per step
//! let text = std::fs::read_to_string(dir.path().join("rotation.jsonl"))?;
//! let last: layca_monitor::StepRecord = serde_json::from_str(text.lines().last().unwrap())?;
//! assert_eq!(last.step, 5);
//! assert!((last.layers[0].tan_theta - 0.05).abs() < 1e-4, "{:?}", last.layers[0]);
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

pub mod error;
pub mod monitor;
pub mod select;
pub mod sink;
pub mod tensorboard;

pub use error::{MonitorError, Result};
pub use monitor::{LayerMonitor, LayerRecord, MonitorConfig, StepRecord};
pub use select::{Reason, Selection, WatchReport};
pub use sink::{CsvSink, JsonlSink, Sink, TensorBoardSink};
