//! The training engine: reuse, resume or start a run; data → model → optimizer → monitoring →
//! run store.
//!
//! [`Engine::run`] decides between reusing a final run (validated by `validate`), resuming it
//! from its checkpoint, or starting it; the run itself is a `session::Session` (set-up, train
//! step, end of epoch, checkpoint, finish or divergence, recorders).
use crate::config::RunConfig;
use crate::data::DataIdentity;
use crate::session::Session;
use crate::store::{read_json, write_json_atomic, RunDir, RunRecord, RunStatus};
use crate::{Result, TrainError};
use candle_core::{DType, Device, Tensor, D};
use layca_data::TensorDataset;
use layca_models::Network;
use std::path::{Path, PathBuf};

/// Train / validation / test data of a task, as tensors on the training device.
#[derive(Debug, Clone)]
pub struct TaskData {
    /// Training set (normalised).
    pub train: TensorDataset,
    /// Validation set; `None` means the test set doubles as validation (MNIST, spec §1.2).
    pub val: Option<TensorDataset>,
    /// Test set.
    pub test: TensorDataset,
    /// What the data is (source, subset, preprocessing, content fingerprint): part of a run's
    /// identity, so that runs on different data never share a directory.
    pub identity: crate::data::DataIdentity,
}

/// Engine settings that are not part of a run's identity.
#[derive(Debug, Clone)]
pub struct Engine {
    /// Directory holding one sub-directory per run, plus `inits/`.
    pub runs_root: PathBuf,
    /// Training device.
    pub device: Device,
    /// Seed of the shared per-task initialisation.
    pub init_seed: u64,
    /// Show indicatif progress bars.
    pub progress: bool,
    /// Draw the per-run bar inside this multi-bar (e.g. under a "runs" bar of the caller).
    pub multi: Option<indicatif::MultiProgress>,
    /// Batch size used for evaluation passes.
    pub eval_batch: usize,
    /// Minimum wall time between two checkpoints (weights + optimizer state). The history is
    /// written every epoch; a checkpoint is also taken at the last epoch and when a stopping
    /// rule fires. `Duration::ZERO` checkpoints every epoch.
    pub checkpoint_interval: std::time::Duration,
    /// Test hook: stop with [`TrainError::Interrupted`] after this many steps in this process,
    /// without checkpointing (simulates a kill).
    pub interrupt_after_steps: Option<u64>,
    /// Cooperative stop (e.g. set by a SIGUSR1/SIGTERM handler): checked after each training
    /// step; when set, the run stops with [`TrainError::Interrupted`] without writing anything
    /// more. It resumes from its last epoch checkpoint (bit-identical records): set
    /// `checkpoint_interval` to zero to lose at most the epoch in progress.
    pub stop: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

/// Keras' `epsilon()`: categorical cross-entropy clips probabilities to [ε, 1 − ε].
pub const KERAS_EPSILON: f64 = 1e-7;

/// Mean categorical cross-entropy as Keras 2.1.2 computes it: the probability of the true class
/// clipped to [1e-7, 1 − 1e-7] before the log. The gradient is that of the clipped loss: the
/// plain cross-entropy gradient where the probability lies inside the range (bit-identical to
/// `candle_nn::loss::cross_entropy` there), zero for saturated samples.
pub fn keras_cross_entropy(logits: &Tensor, labels: &Tensor) -> Result<Tensor> {
    let n = labels.dim(0)?;
    let log_p = candle_nn::ops::log_softmax(logits, D::Minus1)?;
    let log_py = log_p.gather(&labels.unsqueeze(1)?, 1)?;
    let (lo, hi) = (KERAS_EPSILON.ln(), (1.0 - KERAS_EPSILON).ln());
    // Masks of the saturated samples; a NaN is in neither and propagates (never clipped away).
    let (below, above) = (log_py.lt(lo)?, log_py.gt(hi)?);
    let constant = |v: f64| log_py.ones_like()?.affine(v, 0.0);
    let picked = above.where_cond(&constant(hi)?, &log_py)?;
    let picked = below.where_cond(&constant(lo)?, &picked)?;
    Ok(picked.sum_all()?.affine(-1.0 / n as f64, 0.0)?)
}

/// Loss and accuracy of `net` on `ds` in eval mode.
pub fn evaluate(net: &dyn Network, ds: &TensorDataset, batch: usize) -> Result<(f64, f64)> {
    let n = ds.len();
    let mut loss_sum = 0.0;
    let mut correct = 0.0;
    let mut start = 0;
    while start < n {
        let len = batch.min(n - start);
        let x = ds.images.narrow(0, start, len)?;
        let y = ds.labels.narrow(0, start, len)?;
        let logits = net.forward_t(&x, false)?;
        let loss = keras_cross_entropy(&logits, &y)?.to_scalar::<f32>()? as f64;
        loss_sum += loss * len as f64;
        correct += count_correct(&logits, &y)?;
        start += len;
    }
    Ok((loss_sum / n as f64, correct / n as f64))
}

pub(crate) fn count_correct(logits: &Tensor, labels: &Tensor) -> Result<f64> {
    let pred = logits.argmax(D::Minus1)?;
    let eq = pred.eq(labels)?.to_dtype(DType::F32)?.sum_all()?;
    Ok(eq.to_scalar::<f32>()? as f64)
}

pub(crate) fn kernel_tensors(kernels: &[layca_optim::NamedParam]) -> Vec<Tensor> {
    kernels.iter().map(|k| k.var.as_tensor().clone()).collect()
}

pub(crate) fn percentiles(t: &Tensor) -> Result<[f64; 3]> {
    let mut v = t.flatten_all()?.to_dtype(DType::F64)?.to_vec1::<f64>()?;
    v.sort_by(f64::total_cmp);
    let q = |p: f64| {
        // Linear interpolation between closest ranks (numpy's default).
        let pos = p * (v.len() - 1) as f64;
        let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
        v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
    };
    Ok([q(0.1), q(0.5), q(0.9)])
}

impl Engine {
    /// An engine writing under `runs_root` on `device`, with the defaults (init seed 1, progress on).
    pub fn new(runs_root: impl Into<PathBuf>, device: Device) -> Self {
        Engine {
            runs_root: runs_root.into(),
            device,
            init_seed: 1,
            progress: true,
            multi: None,
            eval_batch: 1000,
            checkpoint_interval: std::time::Duration::from_secs(30),
            interrupt_after_steps: None,
            stop: None,
        }
    }

    /// The name of the run directory of `cfg` on `data`: `<cfg.run_id()>_d<fingerprint>`.
    pub fn run_name(cfg: &RunConfig, data: &DataIdentity) -> String {
        format!("{}_d{}", cfg.run_id(), data.short())
    }

    /// Whether [`Engine::stop`] has been raised.
    pub fn stop_requested(&self) -> bool {
        self.stop
            .as_ref()
            .is_some_and(|f| f.load(std::sync::atomic::Ordering::SeqCst))
    }

    /// The run directory a config on the given data maps to.
    pub fn run_dir(&self, cfg: &RunConfig, data: &DataIdentity) -> RunDir {
        RunDir::new(&self.runs_root, &Self::run_name(cfg, data))
    }

    /// Path of the shared initialisation of a task (per width divisor when it is not 1).
    pub fn init_path(&self, cfg: &RunConfig) -> PathBuf {
        let width = if cfg.width_divisor == 1 {
            String::new()
        } else {
            format!("_w{}", cfg.width_divisor)
        };
        self.runs_root.join("inits").join(format!(
            "{}{width}_seed{}.safetensors",
            cfg.task.name(),
            self.init_seed
        ))
    }

    /// Builds the task's network (at `cfg.width_divisor`) with the shared initialisation
    /// (created on first use).
    pub fn build_initialised(&self, cfg: &RunConfig) -> Result<Box<dyn Network>> {
        let arch = cfg.task.spec().arch;
        let net =
            layca_models::build_scaled(arch, cfg.width_divisor, self.init_seed, &self.device)?;
        let init = self.init_path(cfg);
        // Concurrent runs of one task (threads of this process) must not create it twice.
        static INIT_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _guard = INIT_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        if init.exists() {
            layca_models::load_weights(net.as_ref(), &init)?;
        } else {
            if let Some(parent) = init.parent() {
                std::fs::create_dir_all(parent).map_err(|source| TrainError::Io {
                    path: parent.to_path_buf(),
                    source,
                })?;
            }
            layca_models::save_weights(net.as_ref(), &init)?;
        }
        Ok(net)
    }

    /// Runs `cfg` on `data` to its end (or resumes it). A final run (finished or diverged) is
    /// validated and returned without rerunning. A diverged run (NaN/Inf loss or evaluation)
    /// is `Ok` with [`RunStatus::Diverged`], so that sweeps continue.
    pub fn run(&self, cfg: &RunConfig, data: &TaskData) -> Result<RunRecord> {
        cfg.validate()?;
        check_train_limit(cfg, &data.identity)?;
        let dir = self.run_dir(cfg, &data.identity);
        if let Some(rec) = self.reusable(cfg, &data.identity, &dir)? {
            tracing::info!(run = %rec.id, "final run found: reusing it");
            return Ok(rec);
        }
        let result = Session::start(self, cfg, data, &dir).and_then(Session::run);
        if let Err(e) = &result {
            if !matches!(e, TrainError::Interrupted { .. }) {
                // Keep everything written so far; mark the run as failed with the reason.
                if let Ok(Some(mut rec)) = dir.record() {
                    rec.status = RunStatus::Failed {
                        error: e.to_string(),
                    };
                    let _ = write_json_atomic(&dir.run_json(), &rec);
                }
            }
        }
        result
    }

    /// The stored record when `dir` holds this very run in a final state (validated); `None`
    /// when there is nothing to reuse (absent, running, failed). A directory holding another
    /// configuration or other data is an error naming the differing fields.
    fn reusable(
        &self,
        cfg: &RunConfig,
        data: &DataIdentity,
        dir: &RunDir,
    ) -> Result<Option<RunRecord>> {
        let Some(rec) = dir.record()? else {
            return Ok(None);
        };
        crate::validate::same_run(&rec, cfg, data, &dir.run_json())?;
        if !rec.status.is_final() {
            return Ok(None);
        }
        crate::validate::final_records(&rec, dir)?;
        Ok(Some(rec))
    }
}

fn check_train_limit(cfg: &RunConfig, data: &DataIdentity) -> Result<()> {
    if cfg.train_limit != data.train_limit {
        return Err(TrainError::config(
            "train_limit",
            format!(
                "the run asks for {:?} training images but the data was loaded with {:?} \
                 (load the data with the same limit)",
                cfg.train_limit, data.train_limit
            ),
        ));
    }
    Ok(())
}

/// Convenience for callers that only have a path: reads `run.json` of a run directory.
pub fn read_run(dir: &Path) -> Result<RunRecord> {
    read_json(&dir.join("run.json"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Var;

    fn grad_of(
        f: impl Fn(&Tensor) -> Result<Tensor>,
        logits: &[f32],
        labels: &[u32],
    ) -> (f64, Vec<f32>) {
        let x = Var::from_slice(
            logits,
            (labels.len(), logits.len() / labels.len()),
            &Device::Cpu,
        )
        .unwrap();
        let y = Tensor::new(labels, &Device::Cpu).unwrap();
        let _ = &y;
        let loss = f(x.as_tensor()).unwrap();
        let g = loss.backward().unwrap();
        let gx = g
            .get(x.as_tensor())
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        (loss.to_scalar::<f32>().unwrap() as f64, gx)
    }

    #[test]
    fn keras_loss_is_clipped_and_its_gradient_matches() {
        let labels = [0u32, 1];
        let y = Tensor::new(&labels, &Device::Cpu).unwrap();
        // Unsaturated: value and gradient equal candle's cross-entropy, bit for bit.
        let soft = [0.3f32, -0.2, 0.1, 0.5, 0.4, -1.0];
        let ours = grad_of(|x| keras_cross_entropy(x, &y), &soft, &labels);
        let plain = grad_of(
            |x| Ok(candle_nn::loss::cross_entropy(x, &y)?),
            &soft,
            &labels,
        );
        assert_eq!(ours.1, plain.1);
        assert!((ours.0 - plain.0).abs() < 1e-6);
        // Saturated: sample 0 is confidently right (p ≈ 1), sample 1 confidently wrong (p ≈ 0):
        // -log clips to -ln(1 − 1e-7) and -ln(1e-7), and neither sample has a gradient.
        let hard = [40.0f32, 0.0, 0.0, 40.0, -40.0, 0.0];
        let (loss, g) = grad_of(|x| keras_cross_entropy(x, &y), &hard, &labels);
        let want = (-(1.0 - KERAS_EPSILON).ln() - KERAS_EPSILON.ln()) / 2.0;
        assert!((loss - want).abs() < 1e-5, "{loss} vs {want}");
        assert!(g.iter().all(|&v| v == 0.0), "{g:?}");
        let plain = grad_of(
            |x| Ok(candle_nn::loss::cross_entropy(x, &y)?),
            &hard,
            &labels,
        );
        assert!(plain.0 > 30.0 && plain.1.iter().any(|&v| v != 0.0));
        // A NaN logit is never clipped away.
        let nan = [f32::NAN, 0.0, 0.0, 0.0, 1.0, 0.0];
        assert!(grad_of(|x| keras_cross_entropy(x, &y), &nan, &labels)
            .0
            .is_nan());
    }
}
