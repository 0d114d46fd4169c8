//! # layca-checks — device-generic checks, run as tests and by `xtask selftest`
//!
//! Owns the checks that must hold on every device the project trains on, each a plain
//! function of a `&Device` ([`CHECKS`]):
//! fast-vs-stock layers and networks (and the same numbers as on the CPU), finite
//! differences through the networks' train-mode forward (f64), optimizer conformance (every
//! base × control decreases a quadratic, Layca keeps the norm, same trajectory as on the CPU,
//! f64 rotation reductions on the device), and a short engine run that stores, is
//! interrupted, resumes to identical results and records its device in `run.json`.
//!
//! [`test_device!`] turns a check into a `_cpu` and a `_cuda` test (in the style of candle's
//! `test_device!`); the `_cuda` variant runs where this crate is built with the `cuda`
//! feature and a CUDA device opens, and otherwise PRINTS that it skipped and why (to the real
//! stderr, so it shows in `cargo test` output). `xtask selftest --device cpu|cuda` runs the
//! same bodies from the one binary, so a GPU machine needs only that binary.
//!
//! Must not depend on: `xtask`, `layca-plot`. Results it writes are temporary directories.
#![warn(missing_docs)]

use candle_core::{DType, Device, Tensor};

mod engine;
mod nets;
mod optim;
mod pool;

pub use candle_core::Device as CheckDevice;

/// Why a check failed.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// A number or a file differs from what the check expects.
    #[error("{0}")]
    Mismatch(String),
    /// A candle operation failed.
    #[error("candle: {0}")]
    Candle(#[from] candle_core::Error),
    /// A network failed to build or run.
    #[error("model: {0}")]
    Model(#[from] layca_models::ModelError),
    /// The optimizer failed.
    #[error("optimizer: {0}")]
    Optim(#[from] layca_optim::OptimError),
    /// The rotation math failed.
    #[error("rotation: {0}")]
    Core(#[from] layca_core::CoreError),
    /// The engine failed.
    #[error("engine: {0}")]
    Train(#[from] layca_train::TrainError),
    /// The data failed to load.
    #[error("data: {0}")]
    Data(#[from] layca_data::DataError),
    /// A temporary directory or file failed.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

/// Result of a check.
pub type Result<T> = std::result::Result<T, CheckError>;

/// One named check.
#[derive(Clone, Copy)]
pub struct Check {
    /// Name (as `xtask selftest` prints it).
    pub name: &'static str,
    /// The check's body on a device.
    pub run: fn(&Device) -> Result<()>,
}

/// Every device-generic check, in the order `xtask selftest` runs them.
pub const CHECKS: &[Check] = &[
    Check {
        name: "max_pool_first_max",
        run: pool::max_pool_first_max,
    },
    Check {
        name: "c10_cnn1_fast_vs_stock",
        run: nets::c10_cnn1_fast_vs_stock,
    },
    Check {
        name: "resnet32_fast_vs_stock",
        run: nets::resnet32_fast_vs_stock,
    },
    Check {
        name: "finite_differences",
        run: nets::finite_differences,
    },
    Check {
        name: "optimizer_conformance",
        run: optim::optimizer_conformance,
    },
    Check {
        name: "rotation_reductions_f64",
        run: optim::rotation_reductions_f64,
    },
    Check {
        name: "engine_store_resume",
        run: engine::engine_store_resume,
    },
];

/// The first CUDA device, or why there is none (not built with `cuda`, no driver, no GPU).
pub fn cuda_device() -> std::result::Result<Device, String> {
    if !cfg!(feature = "cuda") {
        return Err("built without the `cuda` feature (scripts/cuda-build.sh builds it)".into());
    }
    Device::new_cuda(0).map_err(|e| format!("no usable CUDA device: {e}"))
}

/// Writes a line to the process's stderr, past the test harness's output capture.
pub fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// Runs a check on a device, panicking with its message on failure (for `#[test]`s).
pub fn run_or_panic(check: fn(&Device) -> Result<()>, device: &Device, name: &str) {
    if let Err(e) = check(device) {
        panic!("{name} on {}: {e}", layca_train::device_label(device));
    }
}

/// Runs a check on the CUDA device, or prints why it skipped (never passes silently).
pub fn run_on_cuda_or_skip(check: fn(&Device) -> Result<()>, name: &str) {
    match cuda_device() {
        Ok(dev) => run_or_panic(check, &dev, name),
        Err(why) => say(&format!("SKIPPED {name}: {why}")),
    }
}

/// Generates `#[test] fn $cpu()` and `#[test] fn $cuda()` running `$check` on the CPU and on
/// the first CUDA device; the CUDA variant prints `SKIPPED <name>: <why>` where it cannot run.
///
/// ```ignore
/// layca_checks::test_device!(layca_checks::checks::max_pool_first_max, pool_cpu, pool_cuda);
/// ```
#[macro_export]
macro_rules! test_device {
    ($check:path, $cpu:ident, $cuda:ident) => {
        #[test]
        fn $cpu() {
            $crate::run_or_panic($check, &$crate::CheckDevice::Cpu, stringify!($cpu));
        }
        #[test]
        fn $cuda() {
            $crate::run_on_cuda_or_skip($check, stringify!($cuda));
        }
    };
}

/// The check bodies, by name (for [`test_device!`]).
pub mod checks {
    pub use crate::engine::engine_store_resume;
    pub use crate::nets::{c10_cnn1_fast_vs_stock, finite_differences, resnet32_fast_vs_stock};
    pub use crate::optim::{optimizer_conformance, rotation_reductions_f64};
    pub use crate::pool::max_pool_first_max;
}

/// Seeded standard-normal tensor of `shape` in `dtype` on `device` (drawn in f64 on the host,
/// so every device sees the same numbers).
pub(crate) fn randn(shape: &[usize], seed: u64, dtype: DType, device: &Device) -> Result<Tensor> {
    use rand::SeedableRng;
    use rand_distr::Distribution;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let n: usize = shape.iter().product();
    let v: Vec<f64> = (0..n)
        .map(|_| rand_distr::StandardNormal.sample(&mut rng))
        .collect();
    Ok(Tensor::from_vec(v, shape, &Device::Cpu)?
        .to_dtype(dtype)?
        .to_device(device)?)
}

/// Flattened f64 values of a tensor (copied to the host).
pub(crate) fn host(t: &Tensor) -> Result<Vec<f64>> {
    Ok(t.to_device(&Device::Cpu)?
        .flatten_all()?
        .to_dtype(DType::F64)?
        .to_vec1::<f64>()?)
}

/// max |a − b| / max(max |b|, 1e-12), on the host in f64.
pub(crate) fn rel_err(a: &Tensor, b: &Tensor) -> Result<f64> {
    let (a, b) = (host(a)?, host(b)?);
    if a.len() != b.len() {
        return Err(CheckError::Mismatch(format!(
            "lengths {} and {}",
            a.len(),
            b.len()
        )));
    }
    let scale = b.iter().fold(1e-12f64, |m, x| m.max(x.abs()));
    let diff = a
        .iter()
        .zip(&b)
        .fold(0f64, |m, (x, y)| m.max((x - y).abs()));
    Ok(if diff.is_nan() {
        f64::INFINITY
    } else {
        diff / scale
    })
}

/// Fails with `what` unless `err <= tol`.
pub(crate) fn within(what: &str, err: f64, tol: f64) -> Result<()> {
    if err <= tol {
        Ok(())
    } else {
        Err(CheckError::Mismatch(format!(
            "{what}: relative error {err:e} > {tol:e}"
        )))
    }
}
