//! Trains a list of runs `--jobs` at a time. A run that diverges or fails does not stop the
//! others: every job gets an outcome.
use crate::progress::RunsBar;
use layca_train::{Engine, RunConfig, RunRecord, TaskData};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// One run to train.
#[derive(Debug, Clone)]
pub struct Job {
    /// Unique id of the job (its run directory).
    pub id: String,
    /// What the progress output calls it.
    pub label: String,
    /// The configuration.
    pub cfg: RunConfig,
    /// Its data.
    pub data: Arc<TaskData>,
}

/// How a job ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The run's record: finished, or diverged (its status says which).
    Done(Box<RunRecord>),
    /// The engine returned an error.
    Failed(String),
    /// Not started (a worker thread panicked).
    Skipped(String),
}

/// Runs `jobs` with up to `n_jobs` at a time; returns every job with its outcome, in order.
pub fn run_all(
    engine: &Engine,
    jobs: Vec<Job>,
    n_jobs: usize,
    bar: &RunsBar,
) -> Vec<(Job, Outcome)> {
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<Outcome>>> = jobs.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..n_jobs.clamp(1, jobs.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(job) = jobs.get(i) else { break };
                bar.start(&job.label);
                let outcome = match engine.run(&job.cfg, &job.data) {
                    Ok(rec) => Outcome::Done(Box::new(rec)),
                    Err(e) => {
                        tracing::error!(run = %job.label, "run failed: {e}");
                        Outcome::Failed(e.to_string())
                    }
                };
                bar.finish_one();
                *slots[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(outcome);
            });
        }
    });
    jobs.into_iter()
        .zip(slots)
        .map(|(job, slot)| {
            let o = slot
                .into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .unwrap_or_else(|| Outcome::Skipped("the worker stopped before it".into()));
            (job, o)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use layca_train::data::{load_task_data, DataSource};
    use layca_train::{ControlKind, RunStatus, TaskId};

    #[test]
    fn a_diverging_run_does_not_stop_the_others() {
        let tmp = tempfile::tempdir().unwrap();
        let mut engine = Engine::new(tmp.path(), candle_core::Device::Cpu);
        engine.progress = false;
        let data = Arc::new(
            load_task_data(
                TaskId::Mnist,
                &DataSource::Embedded,
                Some(1000),
                &candle_core::Device::Cpu,
            )
            .unwrap(),
        );
        let mut good = RunConfig::layca(TaskId::Mnist, 3f64.powi(-3));
        good.epochs = Some(1);
        good.train_limit = Some(1000);
        // Plain SGD at ρ = 1e30 overflows at once.
        let mut bad = good.clone();
        bad.control = ControlKind::None;
        bad.other_params = None;
        bad.rho0 = 1e30;
        let mut invalid = good.clone();
        invalid.train_limit = Some(7); // not the data's subset: refused by the engine
        let jobs: Vec<Job> = [bad, good, invalid]
            .into_iter()
            .enumerate()
            .map(|(i, cfg)| Job {
                id: i.to_string(),
                label: format!("job {i}"),
                cfg,
                data: data.clone(),
            })
            .collect();
        let bar = RunsBar::new(jobs.len(), true);
        let out = run_all(&engine, jobs, 2, &bar);
        assert!(
            matches!(&out[0].1, Outcome::Done(r) if matches!(r.status, RunStatus::Diverged { .. })),
            "{:?}",
            out[0].1
        );
        assert!(
            matches!(&out[1].1, Outcome::Done(r) if matches!(r.status, RunStatus::Finished { .. })),
            "{:?}",
            out[1].1
        );
        assert!(
            matches!(&out[2].1, Outcome::Failed(e) if e.contains("train_limit")),
            "{:?}",
            out[2].1
        );
    }
}
