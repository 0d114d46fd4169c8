//! The run store: one directory per run, plus the shared initialisations.
//!
//! ```text
//! <runs>/inits/<task>[_w<divisor>]_seed<s>.safetensors   shared initialisation per task
//! <runs>/<run-id>_d<data>/             run id (RunConfig::run_id) + data fingerprint (8 hex)
//!   run.json               RunRecord: id, config, data identity, layers, status, final metrics
//!   history.jsonl          one EpochRecord per finished epoch (epochs 0..n, contiguous)
//!   steps.jsonl            one StepRecord per step (when per-step records are on)
//!   checkpoint.json        commit point: {dir, state} (next epoch, steps done, best val)
//!   checkpoint-<NNNNN>/    weights.safetensors + optim.safetensors after epoch NNNNN − 1
//!   best.safetensors       best-validation weights (tasks that test with them)
//!   final.safetensors      final weights
//! ```
//! Every file is written atomically ([`layca_io::write_atomic`]), so a kill at any point leaves
//! either the old or the new version, never a torn file. A checkpoint writes the records
//! first, then a fresh `checkpoint-<NNNNN>/`, then `checkpoint.json`, then removes the previous
//! directory; records beyond the checkpoint are truncated on resume, records short of it are
//! refused. Numbers in `run.json` are always finite: a non-finite loss is stored as a string.
use crate::config::RunConfig;
use crate::data::DataIdentity;
use crate::task::StopReason;
use crate::{Result, TrainError};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` atomically ([`layca_io::write_atomic`]: unique temp sibling,
/// fsync, rename, fsync of the directory).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    layca_io::write_atomic(path, bytes).map_err(|source| TrainError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// A fresh temp-file name for an atomic write of `path` (same directory).
pub fn tmp_path(path: &Path) -> PathBuf {
    layca_io::tmp_path(path)
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
    /// Batch-size-weighted running mean of the training loss over the epoch (train mode, Keras'
    /// clipped cross-entropy plus the L2 penalty λ·Σw² of the kernels with L2).
    pub train_loss: f64,
    /// Running training accuracy over the epoch (train mode), as Keras reports it.
    pub train_acc: f64,
    /// Validation loss (eval mode, Keras' clipped cross-entropy plus the L2 penalty).
    pub val_loss: f64,
    /// Validation accuracy.
    pub val_acc: f64,
    /// Test loss (eval mode, current weights, plus the L2 penalty).
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

impl EpochRecord {
    /// The first non-finite number of the record (field name, value), if any.
    pub fn non_finite(&self) -> Option<(&'static str, f64)> {
        let fields = [
            ("lr", self.lr),
            ("train_loss", self.train_loss),
            ("train_acc", self.train_acc),
            ("val_loss", self.val_loss),
            ("val_acc", self.val_acc),
            ("test_loss", self.test_loss),
            ("test_acc", self.test_acc),
        ];
        let rotation = self.rotation.iter().map(|&r| ("rotation", r));
        let moments = self
            .moments
            .iter()
            .flatten()
            .flatten()
            .map(|&m| ("moments", m));
        fields
            .into_iter()
            .chain(rotation)
            .chain(moments)
            .find(|(_, v)| !v.is_finite())
    }
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

/// Run status. Equality treats every NaN loss of a diverged run as equal (a run read back from
/// `run.json` equals the record returned when it ended).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "state")]
pub enum RunStatus {
    /// Started, not finished (or killed): resumable from its checkpoint.
    Running,
    /// Finished; `reason` tells why it stopped.
    Finished {
        /// Why the run stopped.
        reason: StopReason,
    },
    /// The loss (training or evaluation) became NaN or infinite: the run ended there; the
    /// records of the epochs before `epoch` (and steps before `step`) are kept. Final, like
    /// `Finished`: reused, not rerun.
    Diverged {
        /// 0-based epoch in which the non-finite value appeared.
        epoch: usize,
        /// Global steps done when it appeared.
        step: u64,
        /// The value (stored as `"NaN"`, `"inf"` or `"-inf"` when not finite).
        #[serde(with = "nonfinite")]
        loss: f64,
    },
    /// Failed with an error; results up to the failure are kept, and the next call resumes.
    Failed {
        /// The error message.
        error: String,
    },
}

impl PartialEq for RunStatus {
    fn eq(&self, other: &Self) -> bool {
        use RunStatus::*;
        match (self, other) {
            (Running, Running) => true,
            (Finished { reason: a }, Finished { reason: b }) => a == b,
            (Failed { error: a }, Failed { error: b }) => a == b,
            (
                Diverged { epoch, step, loss },
                Diverged {
                    epoch: e2,
                    step: s2,
                    loss: l2,
                },
            ) => epoch == e2 && step == s2 && (loss == l2 || (loss.is_nan() && l2.is_nan())),
            _ => false,
        }
    }
}

impl RunStatus {
    /// Finished or diverged: the run is over and is reused as it is.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            RunStatus::Finished { .. } | RunStatus::Diverged { .. }
        )
    }
}

/// Serde for an `f64` that may be NaN/∞: finite values as JSON numbers, the others as strings
/// (JSON has no NaN; serde_json would write `null` and fail to read it back).
mod nonfinite {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
        if x.is_finite() {
            s.serialize_f64(*x)
        } else {
            s.serialize_str(&x.to_string())
        }
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NumOrText {
        Num(f64),
        Text(String),
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        match NumOrText::deserialize(d)? {
            NumOrText::Num(x) => Ok(x),
            NumOrText::Text(t) => t
                .parse::<f64>()
                .map_err(|_| serde::de::Error::custom(format!("not a number: `{t}`"))),
        }
    }
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

impl FinalMetrics {
    /// The first non-finite number (field name, value), if any.
    pub fn non_finite(&self) -> Option<(&'static str, f64)> {
        [
            ("test_acc", self.test_acc),
            ("test_loss", self.test_loss),
            ("train_acc", self.train_acc),
            ("train_loss", self.train_loss),
            ("best_val_acc", self.best_val_acc),
        ]
        .into_iter()
        .chain(self.end_rotation.iter().map(|&r| ("end_rotation", r)))
        .find(|(_, v)| !v.is_finite())
    }
}

/// `run.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The run identifier (directory name).
    pub id: String,
    /// The configuration (canonical: every default made explicit).
    pub config: RunConfig,
    /// The data the run trained on.
    pub data: DataIdentity,
    /// Kernel layer names, forward order (the order of every per-layer list).
    pub layers: Vec<String>,
    /// Steps per epoch.
    pub steps_per_epoch: usize,
    /// Status.
    pub status: RunStatus,
    /// Final metrics once finished.
    pub metrics: Option<FinalMetrics>,
    /// Device of the session that last wrote this record (`cpu`, `cuda:0`; [`crate::device_label`]).
    /// Not part of the run's identity: a run stores and resumes the same on every device.
    #[serde(default)]
    pub device: Option<String>,
    /// CPU GEMM kernels of that session ([`layca_ops::cpu_gemm`]: the own AVX-512 tiles, the
    /// fallbacks, or MKL with the `mkl` feature); `None` on other devices and in older
    /// records. Not part of the run's identity, but the back ends round differently: a run
    /// resumed under another one continues with other last bits.
    #[serde(default)]
    pub cpu_gemm: Option<String>,
}

/// Commit point of a checkpoint (`checkpoint.json`): the state plus the directory holding the
/// matching weights and optimizer state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointPointer {
    /// The checkpoint directory (`checkpoint-<NNNNN>`), relative to the run directory.
    pub dir: String,
    /// The progress it holds.
    pub state: CheckpointState,
}

/// The resumable part of a run's progress (in `checkpoint.json`).
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
    /// `checkpoint.json` (the commit point of the last checkpoint).
    pub fn checkpoint_json(&self) -> PathBuf {
        self.root.join("checkpoint.json")
    }
    /// A checkpoint directory `checkpoint-<NNNNN>/` (named in `checkpoint.json`).
    pub fn checkpoint_dir(&self, name: &str) -> PathBuf {
        self.root.join(name)
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
    fn a_diverged_status_round_trips_through_json() {
        for loss in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e39] {
            let st = RunStatus::Diverged {
                epoch: 3,
                step: 17,
                loss,
            };
            let text = serde_json::to_string(&st).unwrap();
            assert!(!text.contains("null"), "{text}");
            let back: RunStatus = serde_json::from_str(&text).unwrap();
            match back {
                RunStatus::Diverged {
                    epoch,
                    step,
                    loss: l,
                } => {
                    assert_eq!((epoch, step), (3, 17));
                    assert!(
                        l.total_cmp(&loss).is_eq() || (l.is_nan() && loss.is_nan()),
                        "{text}"
                    );
                }
                other => panic!("{other:?}"),
            }
            assert!(back_is_final(&text));
        }
    }

    fn back_is_final(text: &str) -> bool {
        serde_json::from_str::<RunStatus>(text).unwrap().is_final()
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
