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

#[cfg(test)]
mod tests {
    use crate::train::{run, TrainArgs};
    use clap::Parser;
    use layca_monitor::tensorboard::{read_events, EventWhat, ValueKind};
    use layca_train::store::RunDir;
    use std::collections::BTreeMap;
    use std::path::Path;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        train: TrainArgs,
    }

    /// Every (tag, step) → value of the event files under `dir` (not recursing).
    fn scalars(dir: &Path) -> BTreeMap<(String, i64), f32> {
        let mut out = BTreeMap::new();
        for f in std::fs::read_dir(dir).unwrap() {
            let p = f.unwrap().path();
            if !p.is_file() {
                continue;
            }
            for e in read_events(&std::fs::read(&p).unwrap()).unwrap() {
                if let Some(EventWhat::Summary(s)) = e.what {
                    for v in s.value {
                        if let Some(ValueKind::SimpleValue(x)) = v.value {
                            out.insert((v.tag, e.step), x);
                        }
                    }
                }
            }
        }
        out
    }

    /// `train --tensorboard` writes, per epoch, the losses, accuracies, learning rate and every
    /// layer's rotation equal (as float32) to the run's `history.jsonl`, and per step the
    /// `steps.jsonl` values.
    #[test]
    fn train_tensorboard_scalars_equal_the_records() {
        let tmp = tempfile::tempdir().unwrap();
        let (runs, tb) = (tmp.path().join("runs"), tmp.path().join("tb"));
        let args = [
            "train",
            "--task",
            "mnist",
            "--rho0",
            "0.037",
            "--epochs",
            "2",
            "--train-limit",
            "1000",
            "--record-steps",
            "--quiet",
            "--runs",
            runs.to_str().unwrap(),
            "--tensorboard",
            tb.to_str().unwrap(),
        ];
        run(&Cli::try_parse_from(args).unwrap().train).unwrap();
        let run_dir = std::fs::read_dir(&runs)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.join("run.json").is_file())
            .unwrap();
        let rec = layca_train::engine::read_run(&run_dir).unwrap();
        let rd = RunDir::at(&run_dir);
        let epochs = scalars(&tb.join(&rec.id));
        let history = rd.read_history().unwrap();
        assert_eq!(history.len(), 2);
        for e in &history {
            let s = e.epoch as i64;
            let want = [
                ("loss/train", e.train_loss),
                ("accuracy/val", e.val_acc),
                ("accuracy/test", e.test_acc),
                ("learning_rate", e.lr),
            ];
            for (tag, v) in want {
                assert_eq!(epochs[&(tag.to_string(), s)], v as f32, "{tag} epoch {s}");
            }
            for (name, d) in rec.layers.iter().zip(&e.rotation) {
                assert_eq!(epochs[&(format!("rotation/{name}"), s)], *d as f32);
            }
        }
        let steps = rd.read_steps().unwrap();
        let per_step = scalars(&tb.join(&rec.id).join("steps"));
        assert!(!steps.is_empty());
        for s in &steps {
            let n = s.step as i64 + 1;
            for (name, t) in rec.layers.iter().zip(&s.rates) {
                assert_eq!(per_step[&(format!("tan_theta/{name}"), n)], *t as f32);
            }
        }
    }
}
