//! What a figure renders from: the records of its runs, by key.
use anyhow::{Context, Result};
use layca_train::{Engine, EpochRecord, RunConfig, RunDir, RunRecord, RunStatus, StepRecord};
use std::collections::BTreeMap;

/// One run's records.
#[derive(Debug, Clone)]
pub struct RunResult {
    /// The figure's key of the run.
    pub key: String,
    /// The (scaled) configuration that was run.
    pub cfg: RunConfig,
    /// Epochs of the same run at paper scale (figures keep the paper's fractions on screen).
    pub paper_epochs: usize,
    /// `run.json`.
    pub record: RunRecord,
    /// `history.jsonl`.
    pub history: Vec<EpochRecord>,
    /// `steps.jsonl` (empty unless the run records steps).
    pub steps: Vec<StepRecord>,
    /// The run directory.
    pub dir: RunDir,
}

impl RunResult {
    /// Reads the records of a finished or diverged run.
    pub fn read(
        key: &str,
        cfg: &RunConfig,
        paper_epochs: usize,
        record: RunRecord,
        dir: RunDir,
    ) -> Result<Self> {
        let history = dir.read_history()?;
        let steps = if cfg.record_steps {
            dir.read_steps()?
        } else {
            Vec::new()
        };
        Ok(RunResult {
            key: key.to_string(),
            cfg: cfg.clone(),
            paper_epochs,
            record,
            history,
            steps,
            dir,
        })
    }

    /// Whether training failed: the loss diverged, or a "not working" stopping rule fired.
    pub fn failed(&self) -> bool {
        matches!(self.record.status, RunStatus::Diverged { .. })
            || matches!(
                self.record.status,
                RunStatus::Finished {
                    reason: layca_train::task::StopReason::NotWorking
                }
            )
    }

    /// Final test accuracy η (`None` when the run diverged).
    pub fn test_acc(&self) -> Option<f64> {
        self.record.metrics.as_ref().map(|m| m.test_acc)
    }

    /// Last-epoch training accuracy.
    pub fn train_acc(&self) -> Option<f64> {
        self.record.metrics.as_ref().map(|m| m.train_acc)
    }

    /// Best validation accuracy over epochs (`None` when the run diverged before one).
    pub fn best_val_acc(&self) -> Option<f64> {
        match &self.record.metrics {
            Some(m) => Some(m.best_val_acc),
            None => self
                .history
                .iter()
                .map(|h| h.val_acc)
                .fold(None, |a: Option<f64>, v| Some(a.map_or(v, |a| a.max(v)))),
        }
    }

    /// Rotation records `[epoch][layer]` (after the first step of each epoch).
    pub fn rotation_records(&self) -> Vec<Vec<f64>> {
        self.history.iter().map(|h| h.rotation.clone()).collect()
    }

    /// A one-line status for JSON and summaries.
    pub fn status_text(&self) -> String {
        match &self.record.status {
            RunStatus::Finished { reason } => format!("finished ({reason:?})").to_lowercase(),
            RunStatus::Diverged { epoch, step, .. } => {
                format!("diverged at epoch {epoch}, step {step}")
            }
            other => format!("{other:?}").to_lowercase(),
        }
    }

    /// The summary of this run written into every figure's JSON.
    pub fn summary(&self) -> serde_json::Value {
        serde_json::json!({
            "key": self.key,
            "run_id": self.record.id,
            "run_dir": self.dir.root().display().to_string(),
            "status": self.status_text(),
            "failed": self.failed(),
            "epochs_run": self.history.len(),
            "test_acc": self.test_acc(),
            "train_acc": self.train_acc(),
            "best_val_acc": self.best_val_acc(),
            "final_rotation": self.history.last().map(|h| h.rotation.clone()),
        })
    }
}

/// The records of a figure's runs, by key.
#[derive(Debug, Default)]
pub struct Results {
    by_key: BTreeMap<String, RunResult>,
}

impl Results {
    /// Adds a run's records.
    pub fn insert(&mut self, r: RunResult) {
        self.by_key.insert(r.key.clone(), r);
    }

    /// The run with `key`; an error naming it otherwise.
    pub fn get(&self, key: &str) -> Result<&RunResult> {
        self.by_key
            .get(key)
            .with_context(|| format!("the figure needs run `{key}`, which has no records"))
    }

    /// Every run, by key.
    pub fn iter(&self) -> impl Iterator<Item = &RunResult> {
        self.by_key.values()
    }
}

/// What a figure may know of how it was run, beside its records.
pub struct RenderCtx<'a> {
    /// The engine (for figures that read weights, e.g. Figure 8).
    pub engine: &'a Engine,
    /// The line under every figure: scale, data sets (a stand-in is named) and reductions.
    pub caption: String,
}

impl RenderCtx<'_> {
    /// Renders a grid figure with the caption under it.
    pub fn render(&self, grid: layca_plot::Grid, stem: &std::path::Path) -> Result<()> {
        layca_plot::render_grid(&grid.with_caption(self.caption.clone()), stem)?;
        Ok(())
    }
}
