//! The training loop: data → model → optimizer → monitoring → run store.
use crate::config::fnv1a;
use crate::config::{ControlKind, RunConfig};
use crate::store::{
    read_json, write_json_atomic, write_jsonl_atomic, CheckpointState, EpochRecord, FinalMetrics,
    RunDir, RunRecord, RunStatus, StepRecord,
};
use crate::task::StopReason;
use crate::{Result, TrainError};
use candle_core::{DType, Device, Tensor, D};
use layca_core::{RotationMonitor, StepRateTracker};
use layca_data::TensorDataset;
use layca_models::Network;
use layca_optim::{LaycaOptimizer, NamedParam};
use rand::SeedableRng;
use serde::{Deserialize, Serialize};
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
}

/// Commit point of a checkpoint (`checkpoint.json`): the state plus the directory holding the
/// matching weights and optimizer state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct CheckpointPointer {
    dir: String,
    state: CheckpointState,
}

fn seed_mix(seed: u64, epoch: usize, stream: u64) -> u64 {
    let mut bytes = Vec::with_capacity(24);
    bytes.extend_from_slice(&seed.to_le_bytes());
    bytes.extend_from_slice(&(epoch as u64).to_le_bytes());
    bytes.extend_from_slice(&stream.to_le_bytes());
    fnv1a(&bytes)
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
        let loss = candle_nn::loss::cross_entropy(&logits, &y)?.to_scalar::<f32>()? as f64;
        loss_sum += loss * len as f64;
        correct += count_correct(&logits, &y)?;
        start += len;
    }
    Ok((loss_sum / n as f64, correct / n as f64))
}

fn count_correct(logits: &Tensor, labels: &Tensor) -> Result<f64> {
    let pred = logits.argmax(D::Minus1)?;
    let eq = pred.eq(labels)?.to_dtype(DType::F32)?.sum_all()?;
    Ok(eq.to_scalar::<f32>()? as f64)
}

fn kernel_tensors(kernels: &[NamedParam]) -> Vec<Tensor> {
    kernels.iter().map(|k| k.var.as_tensor().clone()).collect()
}

fn percentiles(t: &Tensor) -> Result<[f64; 3]> {
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
        }
    }

    /// The run directory a config maps to.
    pub fn run_dir(&self, cfg: &RunConfig) -> RunDir {
        RunDir::new(&self.runs_root, &cfg.run_id())
    }

    /// Path of the shared initialisation of a task.
    pub fn init_path(&self, cfg: &RunConfig) -> PathBuf {
        self.runs_root.join("inits").join(format!(
            "{}_seed{}.safetensors",
            cfg.task.name(),
            self.init_seed
        ))
    }

    /// Builds the task's network with the shared initialisation (created on first use).
    pub fn build_initialised(&self, cfg: &RunConfig) -> Result<Box<dyn Network>> {
        let arch = cfg.task.spec().arch;
        let net = layca_models::build(arch, self.init_seed, &self.device)?;
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

    /// Runs `cfg` to completion (or resumes it). A finished run is returned without rerunning.
    pub fn run(&self, cfg: &RunConfig, data: &TaskData) -> Result<RunRecord> {
        cfg.validate()?;
        let dir = self.run_dir(cfg);
        if let Some(rec) = dir.record()? {
            if rec.config != *cfg {
                return Err(TrainError::Store {
                    path: dir.run_json(),
                    reason: "holds a different configuration under the same run id".into(),
                });
            }
            if matches!(rec.status, RunStatus::Finished { .. }) {
                tracing::info!(run = %rec.id, "finished run found: reusing it");
                return Ok(rec);
            }
        }
        let result = self.run_inner(cfg, data, &dir);
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

    fn run_inner(&self, cfg: &RunConfig, data: &TaskData, dir: &RunDir) -> Result<RunRecord> {
        let spec = cfg.task.spec();
        let net = self.build_initialised(cfg)?;
        let kernels: Vec<NamedParam> = net
            .kernels()
            .into_iter()
            .map(|v| NamedParam {
                name: v.name,
                var: v.var,
            })
            .collect();
        let others: Vec<NamedParam> = net
            .others()
            .into_iter()
            .map(|v| NamedParam {
                name: v.name,
                var: v.var,
            })
            .collect();
        if matches!(cfg.control, ControlKind::Lars) {
            // Spec §4.5: LARS runs start from the shared initialisation scaled by 1/4.
            for k in &kernels {
                k.var.set(&(k.var.as_tensor() * 0.25)?)?;
            }
        }
        let layer_names: Vec<String> = kernels.iter().map(|k| k.name.clone()).collect();
        let named: Vec<(String, Tensor)> = kernels
            .iter()
            .map(|k| (k.name.clone(), k.var.as_tensor().clone()))
            .collect();
        let monitor = RotationMonitor::new(&named)?;
        let mut opt =
            LaycaOptimizer::new(kernels.clone(), others, cfg.optim_config(net.l2_exempt()))?;

        let n_train = data.train.len();
        if n_train == 0 {
            return Err(TrainError::config(
                "data.train",
                "the training set is empty",
            ));
        }
        let bs = cfg.batch_size.unwrap_or(spec.batch_size);
        let steps_per_epoch = if spec.full_batches_only {
            (n_train / bs).max(1)
        } else {
            n_train.div_ceil(bs)
        };
        let schedule = cfg.full_schedule();
        let epochs = cfg.num_epochs();

        let replay: Option<Vec<Vec<f64>>> = match &cfg.control {
            ControlKind::AdaptCopy { source } => {
                let steps = RunDir::at(source).read_steps()?;
                Some(steps.into_iter().map(|s| s.rates).collect())
            }
            _ => None,
        };

        // Resume state.
        let pointer_path = dir.root().join("checkpoint.json");
        let mut state = CheckpointState {
            next_epoch: 0,
            steps_done: 0,
            best_val_acc: -1.0,
            best_val_epoch: 0,
        };
        let mut history: Vec<EpochRecord> = Vec::new();
        let mut steps_log: Vec<StepRecord> = Vec::new();
        if pointer_path.exists() {
            let ptr: CheckpointPointer = read_json(&pointer_path)?;
            let ck = dir.root().join(&ptr.dir);
            layca_models::load_weights(net.as_ref(), ck.join("weights.safetensors"))?;
            opt.load_state(&ck.join("optim.safetensors"))?;
            state = ptr.state;
            history = dir.read_history()?;
            history.truncate(state.next_epoch);
            steps_log = dir.read_steps()?;
            steps_log.retain(|s| s.step < state.steps_done);
            tracing::info!(run = %dir.root().display(), epoch = state.next_epoch, "resuming from checkpoint");
        } else {
            std::fs::create_dir_all(dir.root()).map_err(|source| TrainError::Io {
                path: dir.root().to_path_buf(),
                source,
            })?;
        }
        let mut record = RunRecord {
            id: cfg.run_id(),
            config: cfg.clone(),
            layers: layer_names.clone(),
            steps_per_epoch,
            status: RunStatus::Running,
            metrics: None,
        };
        write_json_atomic(&dir.run_json(), &record)?;

        let bar = if self.progress {
            let b = indicatif::ProgressBar::new((epochs * steps_per_epoch) as u64);
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{prefix} [{elapsed_precise}] {bar:30} {pos}/{len} steps {msg}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            b.set_prefix(record.id.clone());
            b.set_position(state.steps_done);
            match &self.multi {
                Some(m) => m.add(b),
                None => b,
            }
        } else {
            indicatif::ProgressBar::hidden()
        };

        let mut tracker = StepRateTracker::default();
        let mut steps_this_process = 0u64;
        let mut stop_reason = StopReason::Completed;
        let mut train_losses: Vec<f64> = history.iter().map(|h| h.train_loss).collect();
        let l2_exempt = net.l2_exempt();

        let mut last_checkpoint = std::time::Instant::now();
        for epoch in state.next_epoch..epochs {
            let t_epoch = std::time::Instant::now();
            let mut batches = layca_data::epoch_batches(n_train, bs, cfg.seed, epoch);
            if spec.full_batches_only {
                batches.retain(|b| b.len() == bs);
                batches.truncate(steps_per_epoch);
            }
            let mut aug_rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed_mix(cfg.seed, epoch, 1));
            net.set_dropout_seed(seed_mix(cfg.seed, epoch, 2));
            let lr_epoch = schedule.rate(epoch, 0, steps_per_epoch);
            let (mut loss_sum, mut correct, mut seen) = (0.0, 0.0, 0usize);
            let mut rotation = Vec::new();
            let mut moments = None;
            for (b, idx) in batches.iter().enumerate() {
                let lr = schedule.rate(epoch, b, steps_per_epoch);
                opt.set_learning_rate(lr);
                if let Some(rep) = &replay {
                    let rates = rep.get(state.steps_done as usize).ok_or_else(|| {
                        TrainError::config(
                            "control.adapt-copy.source",
                            format!(
                                "the recorded run has {} steps; step {} is missing",
                                rep.len(),
                                state.steps_done
                            ),
                        )
                    })?;
                    opt.set_layer_rates(Some(rates.clone()))?;
                }
                let aug = if spec.augmentation {
                    Some(&mut aug_rng)
                } else {
                    None
                };
                let (x, y) = data.train.batch(idx, aug)?;
                let logits = net.forward_t(&x, true)?;
                let loss = candle_nn::loss::cross_entropy(&logits, &y)?;
                let loss_v = loss.to_scalar::<f32>()? as f64;
                let mut penalty = 0.0;
                if cfg.l2 > 0.0 {
                    for k in kernels.iter().filter(|k| !l2_exempt.contains(&k.name)) {
                        penalty += k.var.as_tensor().sqr()?.sum_all()?.to_scalar::<f32>()? as f64;
                    }
                    penalty *= cfg.l2;
                }
                let total = loss_v + penalty;
                if !total.is_finite() {
                    return Err(TrainError::NonFiniteLoss {
                        epoch,
                        step: state.steps_done,
                        loss: total,
                    });
                }
                let record_step =
                    cfg.record_steps && (!cfg.record_steps_first_epoch_only || epoch == 0);
                if record_step {
                    tracker.before(&kernel_tensors(&kernels))?;
                }
                let grads = loss.backward()?;
                opt.step(&grads)?;
                let n = idx.len();
                let batch_correct = count_correct(&logits, &y)?;
                loss_sum += total * n as f64;
                correct += batch_correct;
                seen += n;
                if b == 0 {
                    rotation = monitor.cosine_distances(&kernel_tensors(&kernels))?;
                    if cfg.record_moments {
                        let mut m = Vec::with_capacity(kernels.len());
                        for i in 0..kernels.len() {
                            match opt.second_moment(i) {
                                Some(t) => m.push(percentiles(t)?),
                                None => break,
                            }
                        }
                        moments = (m.len() == kernels.len()).then_some(m);
                    }
                }
                if record_step {
                    let now = kernel_tensors(&kernels);
                    steps_log.push(StepRecord {
                        step: state.steps_done,
                        epoch,
                        batch: b,
                        lr,
                        batch_acc: batch_correct / n as f64,
                        rates: tracker.after(&now)?,
                        rotation: monitor.cosine_distances(&now)?,
                    });
                }
                state.steps_done += 1;
                steps_this_process += 1;
                bar.inc(1);
                if self.interrupt_after_steps == Some(steps_this_process) {
                    bar.abandon();
                    return Err(TrainError::Interrupted {
                        steps: steps_this_process,
                    });
                }
            }
            let train_loss = loss_sum / seen as f64;
            let train_acc = correct / seen as f64;
            let t_train = t_epoch.elapsed();
            let (test_loss, test_acc) = evaluate(net.as_ref(), &data.test, self.eval_batch)?;
            let (val_loss, val_acc) = match &data.val {
                Some(v) => evaluate(net.as_ref(), v, self.eval_batch)?,
                None => (test_loss, test_acc),
            };
            bar.set_message(format!(
                "epoch {epoch} loss {train_loss:.4} acc {train_acc:.4} val {val_acc:.4}"
            ));
            tracing::debug!(
                epoch,
                lr_epoch,
                train_loss,
                train_acc,
                val_acc,
                test_acc,
                "epoch done"
            );
            history.push(EpochRecord {
                epoch,
                lr: lr_epoch,
                train_loss,
                train_acc,
                val_loss,
                val_acc,
                test_loss,
                test_acc,
                rotation,
                moments,
            });
            train_losses.push(train_loss);
            if val_acc > state.best_val_acc {
                state.best_val_acc = val_acc;
                state.best_val_epoch = epoch;
                if spec.best_val_checkpoint {
                    layca_models::save_weights(net.as_ref(), dir.best_weights())?;
                }
            }
            state.next_epoch = epoch + 1;
            let stop = if cfg.stopping {
                spec.stopping.check(epoch, &train_losses, train_acc)
            } else {
                None
            };
            let t_eval = t_epoch.elapsed();
            let due = last_checkpoint.elapsed() >= self.checkpoint_interval;
            if due || stop.is_some() || epoch + 1 == epochs {
                self.checkpoint(
                    dir,
                    net.as_ref(),
                    &opt,
                    &state,
                    &history,
                    &steps_log,
                    cfg.record_steps,
                )?;
                last_checkpoint = std::time::Instant::now();
            } else {
                // Records only; a resume truncates them back to the last checkpoint.
                write_jsonl_atomic(&dir.history(), &history)?;
            }
            tracing::debug!(
                epoch,
                train_s = t_train.as_secs_f64(),
                eval_s = (t_eval - t_train).as_secs_f64(),
                store_s = (t_epoch.elapsed() - t_eval).as_secs_f64(),
                "epoch timing"
            );
            if let Some(reason) = stop {
                tracing::info!(epoch, ?reason, "stopping criterion fired");
                stop_reason = reason;
                break;
            }
        }
        bar.finish_and_clear();

        // Final evaluation.
        layca_models::save_weights(net.as_ref(), dir.final_weights())?;
        let end_rotation = monitor.cosine_distances(&kernel_tensors(&kernels))?;
        let last = history
            .last()
            .ok_or_else(|| TrainError::config("epochs", "no epoch was run"))?;
        let (test_loss, test_acc) = if spec.best_val_checkpoint && dir.best_weights().exists() {
            layca_models::load_weights(net.as_ref(), dir.best_weights())?;
            evaluate(net.as_ref(), &data.test, self.eval_batch)?
        } else {
            (last.test_loss, last.test_acc)
        };
        record.metrics = Some(FinalMetrics {
            epochs_run: history.len(),
            test_acc,
            test_loss,
            train_acc: last.train_acc,
            train_loss: last.train_loss,
            best_val_acc: state.best_val_acc,
            best_val_epoch: state.best_val_epoch,
            end_rotation,
        });
        record.status = RunStatus::Finished {
            reason: stop_reason,
        };
        write_json_atomic(&dir.run_json(), &record)?;
        tracing::info!(run = %record.id, test_acc, "run finished");
        Ok(record)
    }

    #[allow(clippy::too_many_arguments)]
    fn checkpoint(
        &self,
        dir: &RunDir,
        net: &dyn Network,
        opt: &LaycaOptimizer,
        state: &CheckpointState,
        history: &[EpochRecord],
        steps: &[StepRecord],
        record_steps: bool,
    ) -> Result<()> {
        // Records first, then the checkpoint files in a fresh directory, then the pointer
        // (the commit point), then the old directory is removed. A kill anywhere leaves a
        // consistent (pointer, directory) pair; records beyond it are truncated on resume.
        write_jsonl_atomic(&dir.history(), history)?;
        if record_steps {
            write_jsonl_atomic(&dir.steps(), steps)?;
        }
        let name = format!("checkpoint-{:05}", state.next_epoch);
        let ck = dir.root().join(&name);
        std::fs::create_dir_all(&ck).map_err(|source| TrainError::Io {
            path: ck.clone(),
            source,
        })?;
        layca_models::save_weights(net, ck.join("weights.safetensors"))?;
        opt.save_state(&ck.join("optim.safetensors"))?;
        let pointer_path = dir.root().join("checkpoint.json");
        let old: Option<CheckpointPointer> = if pointer_path.exists() {
            read_json(&pointer_path).ok()
        } else {
            None
        };
        write_json_atomic(
            &pointer_path,
            &CheckpointPointer {
                dir: name.clone(),
                state: state.clone(),
            },
        )?;
        if let Some(old) = old.filter(|o| o.dir != name) {
            let _ = std::fs::remove_dir_all(dir.root().join(old.dir));
        }
        Ok(())
    }
}

/// Convenience for callers that only have a path: reads `run.json` of a run directory.
pub fn read_run(dir: &Path) -> Result<RunRecord> {
    read_json(&dir.join("run.json"))
}
