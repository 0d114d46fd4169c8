//! A short engine run on a device: stores, is interrupted twice, resumes to the same results
//! as an uninterrupted run (history, steps, final weights, metrics), and records its device.

use candle_core::Device;
use layca_core::Schedule;
use layca_data::{Dataset, Normalizer, TensorDataset};
use layca_train::{Engine, RunConfig, TaskData, TaskId, TrainError};

use crate::{CheckError, Result};

/// `n` images of `ds` from the start.
fn head(ds: &Dataset, n: usize) -> Dataset {
    let per = ds.channels * ds.height * ds.width;
    Dataset {
        pixels: ds.pixels[..n * per].to_vec(),
        labels: ds.labels[..n].to_vec(),
        ..ds.clone()
    }
}

/// 2,000 embedded MNIST training digits and 500 test digits, on `device`.
fn data(device: &Device) -> Result<TaskData> {
    let (train, test) = layca_data::embedded_mnist_split(500, 1)?;
    let (train, test) = (head(&train, 2000), head(&test, 500));
    let norm = Normalizer::fit(&train);
    let identity = layca_train::data::identity("check-subset", "scalar", &train, None, &test);
    Ok(TaskData {
        train: TensorDataset::new(&train, norm, device)?,
        val: None,
        test: TensorDataset::new(&test, norm, device)?,
        identity,
    })
}

/// MNIST MLP under Layca, 3 epochs (2 steps each), ÷5 at epoch 2, per-step records.
fn config() -> RunConfig {
    let mut c = RunConfig::layca(TaskId::Mnist, 3f64.powf(-2.5));
    c.epochs = Some(3);
    c.schedule = Some(Schedule::StepDecay {
        base: c.rho0,
        factor: 0.2,
        milestones: vec![2],
    });
    c.record_steps = true;
    c
}

fn engine(root: &std::path::Path, device: &Device) -> Engine {
    let mut e = Engine::new(root, device.clone());
    e.progress = false;
    e.checkpoint_interval = std::time::Duration::ZERO;
    e
}

fn same_file(what: &str, a: &std::path::Path, b: &std::path::Path) -> Result<()> {
    if std::fs::read(a)? == std::fs::read(b)? {
        Ok(())
    } else {
        Err(CheckError::Mismatch(format!(
            "resumed {what} differs: {} vs {}",
            a.display(),
            b.display()
        )))
    }
}

/// Uninterrupted run vs a run interrupted after steps 1 and 3 and resumed, on `device`.
pub fn engine_store_resume(device: &Device) -> Result<()> {
    let (data, cfg) = (data(device)?, config());
    let full = tempfile::tempdir()?;
    let rec_full = engine(full.path(), device).run(&cfg, &data)?;
    let part = tempfile::tempdir()?;
    for k in [1u64, 2] {
        let mut e = engine(part.path(), device);
        e.interrupt_after_steps = Some(k);
        match e.run(&cfg, &data) {
            Err(TrainError::Interrupted { steps }) if steps == k => {}
            other => {
                return Err(CheckError::Mismatch(format!(
                    "interrupt after {k} steps: expected Interrupted, got {other:?}"
                )))
            }
        }
    }
    let rec = engine(part.path(), device).run(&cfg, &data)?;
    if rec.metrics != rec_full.metrics {
        return Err(CheckError::Mismatch(format!(
            "resumed metrics {:?} vs uninterrupted {:?}",
            rec.metrics, rec_full.metrics
        )));
    }
    let (a, b) = (
        engine(part.path(), device).run_dir(&cfg, &data.identity),
        engine(full.path(), device).run_dir(&cfg, &data.identity),
    );
    same_file("history", &a.history(), &b.history())?;
    same_file("steps", &a.steps(), &b.steps())?;
    same_file("final weights", &a.final_weights(), &b.final_weights())?;
    let want = layca_train::device_label(device);
    match a.record()? {
        Some(r) if r.device.as_deref() == Some(want.as_str()) => Ok(()),
        Some(r) => Err(CheckError::Mismatch(format!(
            "run.json device {:?}, expected {want}",
            r.device
        ))),
        None => Err(CheckError::Mismatch("no run.json after the run".into())),
    }
}
