//! # layca-train — the training engine and the run store
//!
//! Owns: the task registry ([`task`]), run configurations and run ids ([`config`]), data loading
//! with the data identity ([`data`]), the engine ([`engine`]: reuse / resume / start, Keras'
//! clipped loss) running one run as a session in named pieces (set-up, train step, end of
//! epoch, checkpoint, finish or divergence, recorders), the checks of stored runs before they
//! are trusted (`validate`), and the on-disk run store ([`store`]: `run.json`, `history.jsonl`,
//! `steps.jsonl`, checkpoints, written through `layca-io`'s atomic write and resumable).
//!
//! Must not depend on: plotting (`layca-plot`) or the command line (`xtask`). It is the only
//! library crate that touches the file-system layout of runs.
#![warn(missing_docs)]

pub mod config;
pub mod data;
pub mod engine;
mod error;
mod session;
pub mod store;
pub mod task;
mod validate;

pub use config::{ControlKind, OptimizerKind, RunConfig};
pub use engine::{evaluate, keras_cross_entropy, Engine, TaskData};
pub use error::{Result, TrainError};
pub use store::{EpochRecord, RunDir, RunRecord, RunStatus, StepRecord};
pub use task::{DatasetKind, TaskId, TaskSpec};

/// The device as [`parse_device`] spells it (`cpu`, `cuda:N`, `metal:N`), as run records
/// store it.
pub fn device_label(device: &candle_core::Device) -> String {
    match device.location() {
        candle_core::DeviceLocation::Cpu => "cpu".into(),
        candle_core::DeviceLocation::Cuda { gpu_id } => format!("cuda:{gpu_id}"),
        candle_core::DeviceLocation::Metal { gpu_id } => format!("metal:{gpu_id}"),
    }
}

/// Parses `cpu`, `cuda` or `cuda:N` into a candle device.
pub fn parse_device(s: &str) -> Result<candle_core::Device> {
    match s {
        "cpu" => Ok(candle_core::Device::Cpu),
        _ if s == "cuda" || s.starts_with("cuda:") => {
            let ordinal = match s.strip_prefix("cuda:") {
                Some(n) => n.parse::<usize>().map_err(|_| {
                    TrainError::config("device", format!("bad CUDA ordinal in `{s}`"))
                })?,
                None => 0,
            };
            candle_core::Device::new_cuda(ordinal).map_err(|e| {
                TrainError::config(
                    "device",
                    format!("`{s}` is unavailable ({e}); build with `--features cuda` on a CUDA machine"),
                )
            })
        }
        _ => Err(TrainError::config(
            "device",
            format!("`{s}`: expected cpu, cuda or cuda:N"),
        )),
    }
}
