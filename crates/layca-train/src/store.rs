//! The run store: one directory per run.
//!
//! ```text
//! <runs>/<run-id>/
//!   run.json          config, status, final metrics (rewritten atomically)
//!   history.jsonl     one EpochRecord per line
//!   steps.jsonl       one StepRecord per line (when per-step records are on)
//!   checkpoint/       weights.safetensors, optim.safetensors, state.json (last finished epoch)
//!   best.safetensors  best-validation weights (tasks that test with them)
//!   final.safetensors final weights
//! ```
//! Every file is written atomically (temp file in the same directory + rename), so a kill at any
//! point leaves either the old or the new version, never a torn file.
use crate::config::RunConfig;
use crate::task::StopReason;
use crate::{Result, TrainError};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` atomically: temp file in the same directory, fsync, rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(dir).map_err(|source| TrainError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let tmp = tmp_path(path);
    let io = |source| TrainError::Io {
        path: tmp.clone(),
        source,
    };
    let mut f = std::fs::File::create(&tmp).map_err(io)?;
    f.write_all(bytes).map_err(io)?;
    f.sync_all().map_err(io)?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(|source| TrainError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// A fresh temp-file name for an atomic write of `path` (same directory).
pub fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    // Unique per process and per call, so concurrent writers never share a temp file.
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    name.push(format!(".{}-{n}.tmp", std::process::id()));
    path.with_file_name(name)
}

/// Serialises `value` as pretty JSON to `path`, atomically.
pub fn write_json_atomic<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let mut text = serde_json::to_string_pretty(value).map_err(|e| TrainError::Store {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    text.push('\n');
    write_atomic(path, text.as_bytes())
}

/// Reads JSON from `path`, naming the file on error.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|source| TrainError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| TrainError::Store {
        path: path.to_path_buf(),
        reason: format!("invalid JSON: {e}"),
    })
}

/// Reads a JSONL file (one value per line); errors name the file and line.
pub fn read_jsonl<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>> {
    let text = std::fs::read_to_string(path).map_err(|source| TrainError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| TrainError::Store {
                path: path.to_path_buf(),
                reason: format!("line {}: {e}", i + 1),
            })
        })
        .collect()
}

/// Writes a whole JSONL file atomically.
pub fn write_jsonl_atomic<T: Serialize>(path: &Path, values: &[T]) -> Result<()> {
    let mut text = String::new();
    for v in values {
        text.push_str(&serde_json::to_string(v).map_err(|e| TrainError::Store {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?);
        text.push('\n');
    }
    write_atomic(path, text.as_bytes())
}

/// One epoch of a run (one line of `history.jsonl`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// 0-based epoch.
    pub epoch: usize,
    /// Global learning rate at the start of the epoch.
    pub lr: f64,
    /// Batch-size-weighted running mean of the training loss over the epoch (train mode, incl. L2).
    pub train_loss: f64,
    /// Running training accuracy over the epoch (train mode), as Keras reports it.
    pub train_acc: f64,
    /// Validation loss (eval mode).
    pub val_loss: f64,
    /// Validation accuracy.
    pub val_acc: f64,
    /// Test loss (eval mode, current weights).
    pub test_loss: f64,
    /// Test accuracy (current weights).
    pub test_acc: f64,
    /// Cosine distance of each kernel to its initial value, after the first step of the epoch.
    pub rotation: Vec<f64>,
    /// Per-layer 10th/50th/90th percentiles of the second-moment accumulator after the first
    /// step of the epoch (Fig 5), when requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moments: Option<Vec<[f64; 3]>>,
}

/// One training step (one line of `steps.jsonl`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    /// Global 0-based step index.
    pub step: u64,
    /// Epoch of the step.
    pub epoch: usize,
    /// Index of the step inside its epoch.
    pub batch: usize,
    /// Global learning rate of the step.
    pub lr: f64,
    /// Accuracy of this mini-batch in the training forward pass.
    pub batch_acc: f64,
    /// Per-layer tan θ between the kernels before and after the step.
    pub rates: Vec<f64>,
    /// Per-layer cosine distance to the initial kernels after the step.
    pub rotation: Vec<f64>,
}

/// Run status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "state")]
pub enum RunStatus {
    /// Started, not finished (or killed): resumable from its checkpoint.
    Running,
    /// Finished; `reason` tells why it stopped.
    Finished {
        /// Why the run stopped.
        reason: StopReason,
    },
    /// Failed with an error (e.g. NaN loss); results up to the failure are kept.
    Failed {
        /// The error message.
        error: String,
    },
}

/// Final metrics of a finished run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinalMetrics {
    /// Epochs run.
    pub epochs_run: usize,
    /// Test accuracy η (final weights, or best-validation weights for tasks that use them).
    pub test_acc: f64,
    /// Test loss matching `test_acc`.
    pub test_loss: f64,
    /// Last-epoch running training accuracy (as the paper's tables).
    pub train_acc: f64,
    /// Last-epoch training loss.
    pub train_loss: f64,
    /// Highest validation accuracy over epochs.
    pub best_val_acc: f64,
    /// Epoch of `best_val_acc`.
    pub best_val_epoch: usize,
    /// Cosine distance to init of each kernel with the final weights.
    pub end_rotation: Vec<f64>,
}

/// `run.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The run identifier (directory name).
    pub id: String,
    /// The configuration.
    pub config: RunConfig,
    /// Kernel layer names, forward order (the order of every per-layer list).
    pub layers: Vec<String>,
    /// Steps per epoch.
    pub steps_per_epoch: usize,
    /// Status.
    pub status: RunStatus,
    /// Final metrics once finished.
    pub metrics: Option<FinalMetrics>,
}

/// The resumable part of a run's progress (`checkpoint/state.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointState {
    /// Next epoch to run.
    pub next_epoch: usize,
    /// Global steps done.
    pub steps_done: u64,
    /// Best validation accuracy so far (−1 before any epoch).
    pub best_val_acc: f64,
    /// Its epoch.
    pub best_val_epoch: usize,
}

/// Paths of one run directory.
#[derive(Debug, Clone)]
pub struct RunDir {
    root: PathBuf,
}

impl RunDir {
    /// The run directory `<runs>/<id>`.
    pub fn new(runs_root: &Path, id: &str) -> Self {
        RunDir {
            root: runs_root.join(id),
        }
    }
    /// Wraps an existing run directory.
    pub fn at(root: impl Into<PathBuf>) -> Self {
        RunDir { root: root.into() }
    }
    /// The directory.
    pub fn root(&self) -> &Path {
        &self.root
    }
    /// `run.json`.
    pub fn run_json(&self) -> PathBuf {
        self.root.join("run.json")
    }
    /// `history.jsonl`.
    pub fn history(&self) -> PathBuf {
        self.root.join("history.jsonl")
    }
    /// `steps.jsonl`.
    pub fn steps(&self) -> PathBuf {
        self.root.join("steps.jsonl")
    }
    /// `checkpoint/`.
    pub fn checkpoint_dir(&self) -> PathBuf {
        self.root.join("checkpoint")
    }
    /// `final.safetensors`.
    pub fn final_weights(&self) -> PathBuf {
        self.root.join("final.safetensors")
    }
    /// `best.safetensors`.
    pub fn best_weights(&self) -> PathBuf {
        self.root.join("best.safetensors")
    }
    /// Reads `run.json` if present.
    pub fn record(&self) -> Result<Option<RunRecord>> {
        let p = self.run_json();
        if p.exists() {
            read_json(&p).map(Some)
        } else {
            Ok(None)
        }
    }
    /// Reads `history.jsonl` (empty if absent).
    pub fn read_history(&self) -> Result<Vec<EpochRecord>> {
        let p = self.history();
        if p.exists() {
            read_jsonl(&p)
        } else {
            Ok(Vec::new())
        }
    }
    /// Reads `steps.jsonl` (empty if absent).
    pub fn read_steps(&self) -> Result<Vec<StepRecord>> {
        let p = self.steps();
        if p.exists() {
            read_jsonl(&p)
        } else {
            Ok(Vec::new())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_whole_file_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub").join("a.json");
        write_atomic(&p, b"first version").unwrap();
        write_atomic(&p, b"second").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"second");
        let names: Vec<_> = std::fs::read_dir(p.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn a_crash_before_rename_keeps_the_old_file() {
        // Simulate a kill after the temp file was written but before the rename.
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("run.json");
        write_atomic(&p, b"{\"ok\": 1}").unwrap();
        std::fs::write(tmp_path(&p), b"{\"torn").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"{\"ok\": 1}");
    }

    #[test]
    fn jsonl_errors_name_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("history.jsonl");
        std::fs::write(&p, "{\"a\":1}\nnot json\n").unwrap();
        let err = read_jsonl::<serde_json::Value>(&p).unwrap_err().to_string();
        assert!(
            err.contains("history.jsonl") && err.contains("line 2"),
            "{err}"
        );
    }
}
