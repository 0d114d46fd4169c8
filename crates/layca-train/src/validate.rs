//! Checks of stored runs before they are trusted: the directory holds this run (config and
//! data), a final run's records are complete and finite, a checkpoint's records reach it.
//!
//! Every error names the file and what is wrong; nothing is ever reused silently.
use crate::config::{json_diff, RunConfig};
use crate::data::DataIdentity;
use crate::store::{CheckpointState, EpochRecord, RunDir, RunRecord, RunStatus, StepRecord};
use crate::{Result, TrainError};
use std::path::Path;

fn store_err(path: &Path, reason: impl Into<String>) -> TrainError {
    TrainError::Store {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// `rec` (read from `path`) must describe the run of `cfg` on `data`; otherwise the error lists
/// the differing fields (`rho0`, `data.fingerprint`, ...).
pub(crate) fn same_run(
    rec: &RunRecord,
    cfg: &RunConfig,
    data: &DataIdentity,
    path: &Path,
) -> Result<()> {
    let mut fields = rec.config.differing_fields(cfg);
    let stored = serde_json::to_value(&rec.data).unwrap_or_default();
    let wanted = serde_json::to_value(data).unwrap_or_default();
    json_diff("data", &stored, &wanted, &mut fields);
    if fields.is_empty() {
        return Ok(());
    }
    Err(store_err(
        path,
        format!(
            "holds a different run under the same directory name (differing fields: {}); \
             move the directory away to train this one",
            fields.join(", ")
        ),
    ))
}

/// Step records expected after `steps_done` steps.
pub(crate) fn expected_steps(cfg: &RunConfig, steps_done: u64, steps_per_epoch: usize) -> u64 {
    match (cfg.record_steps, cfg.record_steps_first_epoch_only) {
        (false, _) => 0,
        (true, true) => steps_done.min(steps_per_epoch as u64),
        (true, false) => steps_done,
    }
}

/// Epochs 0..n in order, every number finite.
fn check_history(history: &[EpochRecord], path: &Path) -> Result<()> {
    for (i, h) in history.iter().enumerate() {
        if h.epoch != i {
            return Err(store_err(
                path,
                format!(
                    "line {} holds epoch {}, expected epoch {i} (records are not contiguous)",
                    i + 1,
                    h.epoch
                ),
            ));
        }
        if let Some((field, v)) = h.non_finite() {
            return Err(store_err(path, format!("line {}: `{field}` is {v}", i + 1)));
        }
    }
    Ok(())
}

/// Steps 0..n in order, exactly `expected` of them.
fn check_steps(steps: &[StepRecord], expected: u64, path: &Path) -> Result<()> {
    if let Some((i, s)) = steps.iter().enumerate().find(|(i, s)| s.step != *i as u64) {
        return Err(store_err(
            path,
            format!(
                "line {} holds step {}, expected step {i} (records are not contiguous)",
                i + 1,
                s.step
            ),
        ));
    }
    if steps.len() as u64 != expected {
        return Err(store_err(
            path,
            format!("holds {} step records, expected {expected}", steps.len()),
        ));
    }
    Ok(())
}

/// A final (finished or diverged) run's records are complete, contiguous and finite.
pub(crate) fn final_records(rec: &RunRecord, dir: &RunDir) -> Result<()> {
    let history = dir.read_history()?;
    check_history(&history, &dir.history())?;
    let (epochs, steps_done) = match &rec.status {
        RunStatus::Finished { .. } => {
            let m = rec
                .metrics
                .as_ref()
                .ok_or_else(|| store_err(&dir.run_json(), "a finished run without metrics"))?;
            if let Some((field, v)) = m.non_finite() {
                return Err(store_err(
                    &dir.run_json(),
                    format!("metrics.{field} is {v}"),
                ));
            }
            if m.epochs_run == 0 || m.epochs_run > rec.config.num_epochs() {
                return Err(store_err(
                    &dir.run_json(),
                    format!("metrics.epochs_run = {} is out of range", m.epochs_run),
                ));
            }
            (m.epochs_run, (m.epochs_run * rec.steps_per_epoch) as u64)
        }
        RunStatus::Diverged { epoch, step, .. } => (*epoch, *step),
        RunStatus::Running | RunStatus::Failed { .. } => return Ok(()),
    };
    if history.len() != epochs {
        return Err(store_err(
            &dir.history(),
            format!(
                "holds {} epochs but run.json says the run ran {epochs}",
                history.len()
            ),
        ));
    }
    let expected = expected_steps(&rec.config, steps_done, rec.steps_per_epoch);
    if rec.config.record_steps {
        check_steps(&dir.read_steps()?, expected, &dir.steps())?;
    }
    Ok(())
}

/// On resume: the (truncated) records reach the checkpoint exactly. A shorter history (or step
/// log) than the checkpoint is refused: the run would end with a gap.
pub(crate) fn resume_records(
    cfg: &RunConfig,
    state: &CheckpointState,
    steps_per_epoch: usize,
    history: &[EpochRecord],
    steps: &[StepRecord],
    dir: &RunDir,
) -> Result<()> {
    check_history(history, &dir.history())?;
    if history.len() != state.next_epoch {
        return Err(store_err(
            &dir.history(),
            format!(
                "holds {} epochs but the checkpoint ({}) is at epoch {}: the records are \
                 incomplete; delete the run directory to retrain the run",
                history.len(),
                dir.checkpoint_json().display(),
                state.next_epoch
            ),
        ));
    }
    let expected = expected_steps(cfg, state.steps_done, steps_per_epoch);
    if cfg.record_steps {
        check_steps(steps, expected, &dir.steps()).map_err(|e| match e {
            TrainError::Store { path, reason } => TrainError::Store {
                path,
                reason: format!(
                    "{reason} at the checkpoint ({} steps done): the records are incomplete; \
                     delete the run directory to retrain the run",
                    state.steps_done
                ),
            },
            other => other,
        })?;
    }
    Ok(())
}
