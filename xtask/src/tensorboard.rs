//! `cargo xtask train --tensorboard DIR`: a run's records as TensorBoard event files.
//!
//! Reads the run store's records after training (no engine change): `DIR/<run id>/` gets one
//! event file with, per epoch (TensorBoard step = epoch), `loss/{train,val,test}`,
//! `accuracy/{train,val,test}`, `learning_rate` and `rotation/<layer>` (cosine distance to the
//! initial kernel after the epoch's first step; the final rotation at step = epochs run). With
//! `--record-steps`, `DIR/<run id>/steps/` holds the per-step `learning_rate`,
//! `batch_accuracy`, `tan_theta/<layer>` and `rotation/<layer>` (step = steps done).
use anyhow::Result;
use layca_monitor::tensorboard::EventBuffer;
use layca_train::store::{EpochRecord, RunDir, RunRecord, StepRecord};
use std::path::{Path, PathBuf};

fn epoch_events(rec: &RunRecord, history: &[EpochRecord]) -> EventBuffer {
    let mut b = EventBuffer::new();
    for e in history {
        let s = e.epoch as i64;
        for (tag, v) in [
            ("loss/train", e.train_loss),
            ("loss/val", e.val_loss),
            ("loss/test", e.test_loss),
            ("accuracy/train", e.train_acc),
            ("accuracy/val", e.val_acc),
            ("accuracy/test", e.test_acc),
            ("learning_rate", e.lr),
        ] {
            b.scalar(tag, v, s);
        }
        for (name, d) in rec.layers.iter().zip(&e.rotation) {
            b.scalar(&format!("rotation/{name}"), *d, s);
        }
    }
    if let Some(m) = &rec.metrics {
        for (name, d) in rec.layers.iter().zip(&m.end_rotation) {
            b.scalar(&format!("rotation/{name}"), *d, m.epochs_run as i64);
        }
    }
    b
}

fn step_events(rec: &RunRecord, steps: &[StepRecord]) -> EventBuffer {
    let mut b = EventBuffer::new();
    for s in steps {
        let n = s.step as i64 + 1;
        b.scalar("learning_rate", s.lr, n);
        b.scalar("batch_accuracy", s.batch_acc, n);
        for (name, t) in rec.layers.iter().zip(&s.rates) {
            b.scalar(&format!("tan_theta/{name}"), *t, n);
        }
        for (name, d) in rec.layers.iter().zip(&s.rotation) {
            b.scalar(&format!("rotation/{name}"), *d, n);
        }
    }
    b
}

/// Writes the event files of the run in `run_dir` under `out/<run id>/`; returns their paths.
pub fn write_run(run_dir: &Path, out: &Path) -> Result<Vec<PathBuf>> {
    let rec = layca_train::engine::read_run(run_dir)?;
    let rd = RunDir::at(run_dir);
    let dir = out.join(&rec.id);
    let mut files = vec![epoch_events(&rec, &rd.read_history()?).write_to(&dir)?];
    if rd.steps().exists() {
        let steps = rd.read_steps()?;
        files.push(step_events(&rec, &steps).write_to(&dir.join("steps"))?);
    }
    Ok(files)
}
