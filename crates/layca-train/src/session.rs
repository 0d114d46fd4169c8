//! One run in progress, in named pieces: [`Session::start`] (network, optimizer, resume),
//! [`Session::run`] over epochs of [`Session::train_step`]s, [`Session::end_of_epoch`]
//! (evaluation, records, best-validation weights, stopping, checkpoint), [`Session::checkpoint`],
//! and the two ends, [`Session::finish`] and [`Session::diverge`]. The recorders (per-step
//! rates, first-step rotation and moments) are [`Session::record_step`] and
//! [`Session::first_step_records`].
use crate::config::{fnv1a, ControlKind, RunConfig};
use crate::engine::{count_correct, evaluate, keras_cross_entropy, kernel_tensors, percentiles};
use crate::engine::{Engine, TaskData};
use crate::store::{
    read_json, write_json_atomic, write_jsonl_atomic, CheckpointPointer, CheckpointState,
    EpochRecord, FinalMetrics, RunDir, RunRecord, RunStatus, StepRecord,
};
use crate::task::{StopReason, TaskSpec};
use crate::{Result, TrainError};
use candle_core::Tensor;
use layca_core::{RotationMonitor, StepRateTracker};
use layca_models::Network;
use layca_optim::{LaycaOptimizer, NamedParam};
use rand::SeedableRng;

fn seed_mix(seed: u64, epoch: usize, stream: u64) -> u64 {
    let mut bytes = Vec::with_capacity(24);
    bytes.extend_from_slice(&seed.to_le_bytes());
    bytes.extend_from_slice(&(epoch as u64).to_le_bytes());
    bytes.extend_from_slice(&stream.to_le_bytes());
    fnv1a(&bytes)
}

fn named(vars: Vec<layca_models::NamedVar>) -> Vec<NamedParam> {
    vars.into_iter()
        .map(|v| NamedParam {
            name: v.name,
            var: v.var,
        })
        .collect()
}

/// A non-finite value met while training: the run ends [`RunStatus::Diverged`].
struct Divergence {
    epoch: usize,
    step: u64,
    loss: f64,
}

/// Sums over the steps of one epoch (running training loss and accuracy, as Keras reports).
#[derive(Default)]
struct EpochSums {
    loss: f64,
    correct: f64,
    seen: usize,
    rotation: Vec<f64>,
    moments: Option<Vec<[f64; 3]>>,
}

/// The run in progress.
pub(crate) struct Session<'a> {
    engine: &'a Engine,
    cfg: &'a RunConfig,
    data: &'a TaskData,
    dir: &'a RunDir,
    spec: TaskSpec,
    net: Box<dyn Network>,
    kernels: Vec<NamedParam>,
    l2_exempt: Vec<String>,
    monitor: RotationMonitor,
    opt: LaycaOptimizer,
    batch_size: usize,
    steps_per_epoch: usize,
    epochs: usize,
    schedule: layca_core::Schedule,
    replay: Option<Vec<Vec<f64>>>,
    state: CheckpointState,
    history: Vec<EpochRecord>,
    steps_log: Vec<StepRecord>,
    train_losses: Vec<f64>,
    record: RunRecord,
    bar: indicatif::ProgressBar,
    tracker: StepRateTracker,
    steps_this_process: u64,
    last_checkpoint: std::time::Instant,
}

impl<'a> Session<'a> {
    /// Builds the network and optimizer, resumes from the checkpoint if there is one, and
    /// writes `run.json` with status `running`.
    pub(crate) fn start(
        engine: &'a Engine,
        cfg: &'a RunConfig,
        data: &'a TaskData,
        dir: &'a RunDir,
    ) -> Result<Self> {
        let spec = cfg.task.spec();
        let batch_size = cfg.batch_size.unwrap_or(spec.batch_size);
        let n_train = data.train.len();
        cfg.validate_batches(n_train, batch_size, spec.full_batches_only)?;
        let net = engine.build_initialised(cfg)?;
        let kernels = named(net.kernels());
        let others = named(net.others());
        if matches!(cfg.control, ControlKind::Lars) {
            // Spec §4.5: LARS runs start from the shared initialisation scaled by 1/4.
            for k in &kernels {
                k.var.set(&(k.var.as_tensor() * 0.25)?)?;
            }
        }
        let initial: Vec<(String, Tensor)> = kernels
            .iter()
            .map(|k| (k.name.clone(), k.var.as_tensor().clone()))
            .collect();
        let monitor = RotationMonitor::new(&initial)?;
        let l2_exempt = net.l2_exempt();
        let opt =
            LaycaOptimizer::new(kernels.clone(), others, cfg.optim_config(l2_exempt.clone()))?;
        let steps_per_epoch = if spec.full_batches_only {
            (n_train / batch_size).max(1)
        } else {
            n_train.div_ceil(batch_size)
        };
        let record = RunRecord {
            id: Engine::run_name(cfg, &data.identity),
            config: cfg.canonical(),
            data: data.identity.clone(),
            layers: kernels.iter().map(|k| k.name.clone()).collect(),
            steps_per_epoch,
            status: RunStatus::Running,
            metrics: None,
            device: Some(crate::device_label(&engine.device)),
            cpu_gemm: engine.device.is_cpu().then(layca_ops::cpu_gemm),
        };
        let mut s = Session {
            engine,
            cfg,
            data,
            dir,
            net,
            kernels,
            l2_exempt,
            monitor,
            opt,
            batch_size,
            steps_per_epoch,
            epochs: cfg.num_epochs(),
            schedule: cfg.full_schedule(),
            replay: replay_rates(cfg)?,
            state: CheckpointState {
                next_epoch: 0,
                steps_done: 0,
                best_val_acc: -1.0,
                best_val_epoch: 0,
            },
            history: Vec::new(),
            steps_log: Vec::new(),
            train_losses: Vec::new(),
            record,
            bar: indicatif::ProgressBar::hidden(),
            tracker: StepRateTracker::default(),
            steps_this_process: 0,
            last_checkpoint: std::time::Instant::now(),
            spec,
        };
        s.check_replay()?;
        s.resume_or_create()?;
        write_json_atomic(&s.dir.run_json(), &s.record)?;
        s.bar = s.progress_bar();
        Ok(s)
    }

    /// AdaptCopy: the source must have recorded one rate per kernel for every step of this run
    /// (checked up front, not at the first missing step).
    fn check_replay(&self) -> Result<()> {
        let Some(rep) = &self.replay else {
            return Ok(());
        };
        let needed = self.epochs * self.steps_per_epoch;
        let bad = |why: String| TrainError::config("control.adapt-copy.source", why);
        if rep.len() < needed {
            return Err(bad(format!(
                "the recorded run has {} steps; this run needs {needed} ({} epochs × {})",
                rep.len(),
                self.epochs,
                self.steps_per_epoch
            )));
        }
        if let Some(r) = rep.iter().find(|r| r.len() != self.kernels.len()) {
            return Err(bad(format!(
                "recorded steps hold {} rates; the network has {} kernels",
                r.len(),
                self.kernels.len()
            )));
        }
        Ok(())
    }

    /// Loads the last checkpoint (weights, optimizer state, records truncated to it, checked
    /// to reach it), or creates the run directory.
    fn resume_or_create(&mut self) -> Result<()> {
        let pointer_path = self.dir.checkpoint_json();
        if !pointer_path.exists() {
            return std::fs::create_dir_all(self.dir.root()).map_err(|source| TrainError::Io {
                path: self.dir.root().to_path_buf(),
                source,
            });
        }
        let ptr: CheckpointPointer = read_json(&pointer_path)?;
        let ck = self.dir.checkpoint_dir(&ptr.dir);
        layca_models::load_weights(self.net.as_ref(), ck.join("weights.safetensors"))?;
        self.opt.load_state(&ck.join("optim.safetensors"))?;
        self.state = ptr.state;
        let mut history = self.dir.read_history()?;
        history.truncate(self.state.next_epoch);
        let mut steps = self.dir.read_steps()?;
        steps.retain(|s| s.step < self.state.steps_done);
        crate::validate::resume_records(
            self.cfg,
            &self.state,
            self.steps_per_epoch,
            &history,
            &steps,
            self.dir,
        )?;
        self.train_losses = history.iter().map(|h| h.train_loss).collect();
        self.history = history;
        self.steps_log = steps;
        tracing::info!(run = %self.dir.root().display(), epoch = self.state.next_epoch, "resuming from checkpoint");
        Ok(())
    }

    fn progress_bar(&self) -> indicatif::ProgressBar {
        if !self.engine.progress {
            return indicatif::ProgressBar::hidden();
        }
        let b = indicatif::ProgressBar::new((self.epochs * self.steps_per_epoch) as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{prefix} [{elapsed_precise}] {bar:30} {pos}/{len} steps {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b.set_prefix(self.record.id.clone());
        b.set_position(self.state.steps_done);
        match &self.engine.multi {
            Some(m) => m.add(b),
            None => b,
        }
    }

    /// Trains the remaining epochs, then finishes (or records the divergence).
    pub(crate) fn run(mut self) -> Result<RunRecord> {
        let mut stop_reason = StopReason::Completed;
        for epoch in self.state.next_epoch..self.epochs {
            match self.epoch(epoch)? {
                Ok(Some(reason)) => {
                    stop_reason = reason;
                    break;
                }
                Ok(None) => {}
                Err(d) => return self.diverge(d),
            }
        }
        self.bar.finish_and_clear();
        self.finish(stop_reason)
    }

    /// One epoch: its steps, then the end of epoch. The inner result is the stopping rule that
    /// fired, or the divergence.
    fn epoch(
        &mut self,
        epoch: usize,
    ) -> Result<std::result::Result<Option<StopReason>, Divergence>> {
        let t_epoch = std::time::Instant::now();
        let mut batches =
            layca_data::epoch_batches(self.data.train.len(), self.batch_size, self.cfg.seed, epoch);
        if self.spec.full_batches_only {
            batches.retain(|b| b.len() == self.batch_size);
            batches.truncate(self.steps_per_epoch);
        }
        let mut aug_rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed_mix(self.cfg.seed, epoch, 1));
        self.net.set_dropout_seed(seed_mix(self.cfg.seed, epoch, 2));
        let mut sums = EpochSums::default();
        for (b, idx) in batches.iter().enumerate() {
            match self.train_step(epoch, b, idx, &mut aug_rng, &mut sums) {
                Ok(Ok(())) => {}
                Ok(Err(d)) => return Ok(Err(d)),
                Err(e) if is_non_finite(&e) => {
                    // The weights overflowed in the step (the optimizer or the monitor met a
                    // non-finite kernel): a divergence at this step, with an unknown loss.
                    tracing::warn!(epoch, error = %e, "non-finite weights");
                    return Ok(Err(Divergence {
                        epoch,
                        step: self.state.steps_done,
                        loss: f64::NAN,
                    }));
                }
                Err(e) => return Err(e),
            }
        }
        self.end_of_epoch(epoch, sums, t_epoch)
    }

    /// One optimisation step on the mini-batch `idx` (step `b` of `epoch`).
    fn train_step(
        &mut self,
        epoch: usize,
        b: usize,
        idx: &[usize],
        aug_rng: &mut rand_chacha::ChaCha8Rng,
        sums: &mut EpochSums,
    ) -> Result<std::result::Result<(), Divergence>> {
        let lr = self.schedule.rate(epoch, b, self.steps_per_epoch);
        self.opt.set_learning_rate(lr);
        self.set_replayed_rates()?;
        let aug = if self.spec.augmentation {
            Some(aug_rng)
        } else {
            None
        };
        let (x, y) = self.data.train.batch(idx, aug)?;
        let logits = self.net.forward_t(&x, true)?;
        let loss = keras_cross_entropy(&logits, &y)?;
        let total = loss.to_scalar::<f32>()? as f64 + self.l2_penalty()?;
        if !total.is_finite() {
            return Ok(Err(Divergence {
                epoch,
                step: self.state.steps_done,
                loss: total,
            }));
        }
        let record_step =
            self.cfg.record_steps && (!self.cfg.record_steps_first_epoch_only || epoch == 0);
        if record_step {
            self.tracker.before(&kernel_tensors(&self.kernels))?;
        }
        let grads = loss.backward()?;
        self.opt.step(&grads)?;
        let n = idx.len();
        let batch_correct = count_correct(&logits, &y)?;
        sums.loss += total * n as f64;
        sums.correct += batch_correct;
        sums.seen += n;
        if b == 0 {
            self.first_step_records(sums)?;
        }
        if record_step {
            self.record_step(epoch, b, lr, batch_correct / n as f64)?;
        }
        self.state.steps_done += 1;
        self.steps_this_process += 1;
        self.bar.inc(1);
        if self.engine.interrupt_after_steps == Some(self.steps_this_process) {
            self.bar.abandon();
            return Err(TrainError::Interrupted {
                steps: self.steps_this_process,
            });
        }
        self.check_stop()?;
        Ok(Ok(()))
    }

    /// The cooperative stop ([`Engine::stop`]): the run ends here with `Interrupted`; what the
    /// last checkpoint holds is what a resume continues from.
    fn check_stop(&self) -> Result<()> {
        if !self.engine.stop_requested() {
            return Ok(());
        }
        self.bar.abandon();
        tracing::info!(run = %self.record.id, step = self.state.steps_done, "stop requested: leaving at the last checkpoint");
        Err(TrainError::Interrupted {
            steps: self.steps_this_process,
        })
    }

    /// AdaptCopy: the recorded per-layer rates of this global step.
    fn set_replayed_rates(&mut self) -> Result<()> {
        let Some(rep) = &self.replay else {
            return Ok(());
        };
        let rates = rep.get(self.state.steps_done as usize).ok_or_else(|| {
            TrainError::config(
                "control.adapt-copy.source",
                format!(
                    "the recorded run has {} steps; step {} is missing",
                    rep.len(),
                    self.state.steps_done
                ),
            )
        })?;
        self.opt.set_layer_rates(Some(rates.clone()))?;
        Ok(())
    }

    /// λ·Σw² over the kernels with L2 (Keras adds the regularisers' penalty to the loss it
    /// reports; kernels exempt from L2, e.g. the ResNet dense head, add nothing).
    fn l2_penalty(&self) -> Result<f64> {
        if self.cfg.l2 <= 0.0 {
            return Ok(0.0);
        }
        let mut penalty = 0.0;
        for k in self
            .kernels
            .iter()
            .filter(|k| !self.l2_exempt.contains(&k.name))
        {
            penalty += k.var.as_tensor().sqr()?.sum_all()?.to_scalar::<f32>()? as f64;
        }
        Ok(penalty * self.cfg.l2)
    }

    /// Loss and accuracy on `ds` in eval mode; the loss includes the L2 penalty, as Keras'
    /// `evaluate` (and its validation loss) adds the regularisers to the reported loss.
    fn evaluate(&self, ds: &layca_data::TensorDataset) -> Result<(f64, f64)> {
        let (loss, acc) = evaluate(self.net.as_ref(), ds, self.engine.eval_batch)?;
        Ok((loss + self.l2_penalty()?, acc))
    }

    /// Recorder: rotation to init (and second-moment percentiles) after the epoch's first step.
    fn first_step_records(&self, sums: &mut EpochSums) -> Result<()> {
        sums.rotation = self
            .monitor
            .cosine_distances(&kernel_tensors(&self.kernels))?;
        if self.cfg.record_moments {
            let mut m = Vec::with_capacity(self.kernels.len());
            for i in 0..self.kernels.len() {
                match self.opt.second_moment(i) {
                    Some(t) => m.push(percentiles(t)?),
                    None => break,
                }
            }
            sums.moments = (m.len() == self.kernels.len()).then_some(m);
        }
        Ok(())
    }

    /// Recorder: one line of `steps.jsonl` (per-layer tan θ of the step, rotation to init).
    fn record_step(&mut self, epoch: usize, b: usize, lr: f64, batch_acc: f64) -> Result<()> {
        let now = kernel_tensors(&self.kernels);
        self.steps_log.push(StepRecord {
            step: self.state.steps_done,
            epoch,
            batch: b,
            lr,
            batch_acc,
            rates: self.tracker.after(&now)?,
            rotation: self.monitor.cosine_distances(&now)?,
        });
        Ok(())
    }

    /// Evaluation, the epoch's record, best-validation weights, stopping rules and checkpoint.
    fn end_of_epoch(
        &mut self,
        epoch: usize,
        sums: EpochSums,
        t_epoch: std::time::Instant,
    ) -> Result<std::result::Result<Option<StopReason>, Divergence>> {
        let t_train = t_epoch.elapsed();
        let rec = self.epoch_record(epoch, sums)?;
        if let Some((field, value)) = rec.non_finite() {
            tracing::warn!(
                epoch,
                field,
                value,
                "non-finite end-of-epoch value: the run diverged"
            );
            return Ok(Err(Divergence {
                epoch,
                step: self.state.steps_done,
                loss: value,
            }));
        }
        let (val_acc, train_acc) = (rec.val_acc, rec.train_acc);
        self.train_losses.push(rec.train_loss);
        self.history.push(rec);
        self.track_best_validation(epoch, val_acc)?;
        self.state.next_epoch = epoch + 1;
        let stop = if self.cfg.stopping {
            self.spec
                .stopping
                .check(epoch, &self.train_losses, train_acc)
        } else {
            None
        };
        let t_eval = t_epoch.elapsed();
        self.store_epoch(epoch, stop.is_some())?;
        tracing::debug!(
            epoch,
            train_s = t_train.as_secs_f64(),
            eval_s = (t_eval - t_train).as_secs_f64(),
            store_s = (t_epoch.elapsed() - t_eval).as_secs_f64(),
            "epoch timing"
        );
        if let Some(reason) = stop {
            tracing::info!(epoch, ?reason, "stopping criterion fired");
        }
        Ok(Ok(stop))
    }

    /// The epoch's record: running training metrics, evaluation on the test (and validation)
    /// set, the recorders' first-step values.
    fn epoch_record(&self, epoch: usize, sums: EpochSums) -> Result<EpochRecord> {
        let train_loss = sums.loss / sums.seen as f64;
        let train_acc = sums.correct / sums.seen as f64;
        let (test_loss, test_acc) = self.evaluate(&self.data.test)?;
        let (val_loss, val_acc) = match &self.data.val {
            Some(v) => self.evaluate(v)?,
            None => (test_loss, test_acc),
        };
        self.bar.set_message(format!(
            "epoch {epoch} loss {train_loss:.4} acc {train_acc:.4} val {val_acc:.4}"
        ));
        tracing::debug!(
            epoch,
            train_loss,
            train_acc,
            val_acc,
            test_acc,
            "epoch done"
        );
        Ok(EpochRecord {
            epoch,
            lr: self.schedule.rate(epoch, 0, self.steps_per_epoch),
            train_loss,
            train_acc,
            val_loss,
            val_acc,
            test_loss,
            test_acc,
            rotation: sums.rotation,
            moments: sums.moments,
        })
    }

    /// Best validation accuracy so far (and its weights, for tasks that test with them).
    fn track_best_validation(&mut self, epoch: usize, val_acc: f64) -> Result<()> {
        if val_acc > self.state.best_val_acc {
            self.state.best_val_acc = val_acc;
            self.state.best_val_epoch = epoch;
            if self.spec.best_val_checkpoint {
                layca_models::save_weights(self.net.as_ref(), self.dir.best_weights())?;
            }
        }
        Ok(())
    }

    /// A checkpoint when due (interval elapsed, a stopping rule fired, last epoch), else the
    /// history only (a resume truncates it back to the last checkpoint).
    fn store_epoch(&mut self, epoch: usize, stopping: bool) -> Result<()> {
        let due = self.last_checkpoint.elapsed() >= self.engine.checkpoint_interval;
        if due || stopping || epoch + 1 == self.epochs {
            self.checkpoint()?;
            self.last_checkpoint = std::time::Instant::now();
            Ok(())
        } else {
            write_jsonl_atomic(&self.dir.history(), &self.history)
        }
    }

    /// Records first, then the checkpoint files in a fresh directory, then the pointer (the
    /// commit point), then the old directory is removed. A kill anywhere leaves a consistent
    /// (pointer, directory) pair; records beyond it are truncated on resume.
    fn checkpoint(&self) -> Result<()> {
        self.write_records()?;
        let name = format!("checkpoint-{:05}", self.state.next_epoch);
        let ck = self.dir.checkpoint_dir(&name);
        std::fs::create_dir_all(&ck).map_err(|source| TrainError::Io {
            path: ck.clone(),
            source,
        })?;
        layca_models::save_weights(self.net.as_ref(), ck.join("weights.safetensors"))?;
        self.opt.save_state(&ck.join("optim.safetensors"))?;
        let pointer_path = self.dir.checkpoint_json();
        let old: Option<CheckpointPointer> = if pointer_path.exists() {
            read_json(&pointer_path).ok()
        } else {
            None
        };
        write_json_atomic(
            &pointer_path,
            &CheckpointPointer {
                dir: name.clone(),
                state: self.state.clone(),
            },
        )?;
        if let Some(old) = old.filter(|o| o.dir != name) {
            let _ = std::fs::remove_dir_all(self.dir.checkpoint_dir(&old.dir));
        }
        Ok(())
    }

    fn write_records(&self) -> Result<()> {
        write_jsonl_atomic(&self.dir.history(), &self.history)?;
        if self.cfg.record_steps {
            write_jsonl_atomic(&self.dir.steps(), &self.steps_log)?;
        }
        Ok(())
    }

    /// Final weights, final metrics (test metrics from the best-validation weights for the
    /// tasks that use them), `run.json` with status `finished`.
    fn finish(mut self, reason: StopReason) -> Result<RunRecord> {
        layca_models::save_weights(self.net.as_ref(), self.dir.final_weights())?;
        let end_rotation = self
            .monitor
            .cosine_distances(&kernel_tensors(&self.kernels))?;
        let last = self
            .history
            .last()
            .ok_or_else(|| TrainError::config("epochs", "no epoch was run"))?
            .clone();
        let best = self.dir.best_weights();
        let (test_loss, test_acc) = if self.spec.best_val_checkpoint && best.exists() {
            layca_models::load_weights(self.net.as_ref(), &best)?;
            self.evaluate(&self.data.test)?
        } else {
            (last.test_loss, last.test_acc)
        };
        let metrics = FinalMetrics {
            epochs_run: self.history.len(),
            test_acc,
            test_loss,
            train_acc: last.train_acc,
            train_loss: last.train_loss,
            best_val_acc: self.state.best_val_acc,
            best_val_epoch: self.state.best_val_epoch,
            end_rotation,
        };
        if let Some((_, loss)) = metrics.non_finite() {
            // The best-validation weights evaluate to a non-finite test loss.
            let d = Divergence {
                epoch: self.history.len(),
                step: self.state.steps_done,
                loss,
            };
            return self.diverge(d);
        }
        self.record.metrics = Some(metrics);
        self.record.status = RunStatus::Finished { reason };
        write_json_atomic(&self.dir.run_json(), &self.record)?;
        tracing::info!(run = %self.record.id, "run finished");
        Ok(self.record)
    }

    /// The run ends `diverged`: the records before the divergence are written, `run.json`
    /// says where and what it was.
    fn diverge(mut self, d: Divergence) -> Result<RunRecord> {
        self.bar.abandon();
        self.history.truncate(d.epoch);
        self.steps_log.retain(|s| s.step < d.step);
        self.write_records()?;
        self.record.metrics = None;
        self.record.status = RunStatus::Diverged {
            epoch: d.epoch,
            step: d.step,
            loss: d.loss,
        };
        write_json_atomic(&self.dir.run_json(), &self.record)?;
        tracing::warn!(run = %self.record.id, epoch = d.epoch, step = d.step, loss = d.loss, "run diverged");
        Ok(self.record)
    }
}

/// The per-step rates an AdaptCopy run replays (from the source run's `steps.jsonl`).
fn replay_rates(cfg: &RunConfig) -> Result<Option<Vec<Vec<f64>>>> {
    match &cfg.control {
        ControlKind::AdaptCopy { source } => {
            let steps = RunDir::at(source).read_steps()?;
            Ok(Some(steps.into_iter().map(|s| s.rates).collect()))
        }
        _ => Ok(None),
    }
}

/// A non-finite kernel met by the optimizer or the rotation monitor (weights overflowed).
fn is_non_finite(e: &TrainError) -> bool {
    use layca_core::CoreError::NonFinite;
    matches!(
        e,
        TrainError::Core(NonFinite { .. })
            | TrainError::Optim(layca_optim::OptimError::Core(NonFinite { .. }))
    )
}
