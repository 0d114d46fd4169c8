//! Event files written by the monitor's sinks, read back by Python's `tensorboard`
//! (`EventAccumulator`): every scalar equals the JSONL value (as float32, TensorBoard's type).
//!
//! Interpreter: `LAYCA_PYTHON` if set (then failing to import tensorboard is an error), else
//! `python3` (then the test prints that it skipped and why).
use candle_core::{DType, Device, Tensor, D};
use candle_nn::{linear, loss, Module, Optimizer, VarBuilder, VarMap};
use layca_monitor::{
    JsonlSink, LayerMonitor, MonitorConfig, Selection, Sink, StepRecord, TensorBoardSink,
};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/scripts/read_events.py");

fn python() -> Option<String> {
    let (py, named) = match std::env::var("LAYCA_PYTHON") {
        Ok(p) => (p, true),
        Err(_) => ("python3".to_string(), false),
    };
    let ok = Command::new(&py)
        .args(["-c", "import tensorboard"])
        .output()
        .is_ok_and(|o| o.status.success());
    match (ok, named) {
        (true, _) => Some(py),
        (false, true) => panic!("LAYCA_PYTHON={py} cannot import tensorboard"),
        (false, false) => None,
    }
}

/// Trains a small candle MLP with plain SGD for 6 steps; monitor every 2 steps into both sinks.
fn write_logs(dir: &Path) -> anyhow::Result<()> {
    let dev = Device::Cpu;
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &dev);
    let (l1, l2) = (linear(6, 12, vb.pp("fc1"))?, linear(12, 3, vb.pp("fc2"))?);
    let cfg = MonitorConfig {
        interval: 2,
        weight_norm: true,
        update_ratio: true,
    };
    let mut mon = LayerMonitor::from_varmap(&varmap, &Selection::default(), cfg)?;
    let mut opt = candle_nn::SGD::new(varmap.all_vars(), 0.5)?;
    let mut jsonl = JsonlSink::create(dir.join("rotation.jsonl"))?;
    let mut tb = TensorBoardSink::create(dir.join("tb"))?;
    let x = Tensor::randn(0f32, 1., (16, 6), &dev)?;
    let y = x.narrow(1, 0, 3)?.argmax(D::Minus1)?;
    for _ in 0..6 {
        let loss = loss::cross_entropy(&l2.forward(&l1.forward(&x)?.relu()?)?, &y)?;
        let grads = loss.backward()?;
        mon.before_step()?;
        opt.step(&grads)?;
        if let Some(rec) = mon.after_step()? {
            let rec = rec.with_scalar("loss", loss.to_scalar::<f32>()? as f64);
            jsonl.write(&rec)?;
            tb.write(&rec)?;
            tb.histograms(rec.step, &mon.weights_f64()?, 10)?;
        }
    }
    jsonl.flush()?;
    tb.flush()?;
    Ok(())
}

type Scalars = BTreeMap<String, BTreeMap<i64, f64>>;

fn expected(dir: &Path) -> anyhow::Result<Scalars> {
    let mut out = Scalars::new();
    for line in std::fs::read_to_string(dir.join("rotation.jsonl"))?.lines() {
        let rec: StepRecord = serde_json::from_str(line)?;
        for (tag, v) in rec.scalars() {
            out.entry(tag)
                .or_default()
                .insert(rec.step as i64, v as f32 as f64);
        }
    }
    Ok(out)
}

#[test]
fn tensorboard_reads_back_every_jsonl_scalar() -> anyhow::Result<()> {
    let Some(py) = python() else {
        println!("SKIPPED tensorboard_reads_back_every_jsonl_scalar: `python3 -c \"import tensorboard\"` failed (pip install tensorboard, or set LAYCA_PYTHON)");
        return Ok(());
    };
    let dir = tempfile::tempdir()?;
    write_logs(dir.path())?;
    let out = Command::new(&py)
        .arg(SCRIPT)
        .arg(dir.path().join("tb"))
        .output()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    // EventAccumulator parses `file_version: "brain.Event:2"` into the number 2.0
    assert_eq!(
        read["file_version"].as_f64(),
        Some(2.0),
        "{}",
        read["file_version"]
    );
    let mut got = Scalars::new();
    for (tag, events) in read["scalars"].as_object().expect("scalars") {
        for e in events.as_array().expect("events") {
            let step = e[0].as_i64().expect("step");
            got.entry(tag.clone())
                .or_default()
                .insert(step, e[1].as_f64().expect("value"));
        }
    }
    let want = expected(dir.path())?;
    assert_eq!(got, want, "EventAccumulator scalars differ from the JSONL");
    let n: usize = want.values().map(|s| s.len()).sum();
    let tags: Vec<&String> = want.keys().collect();
    println!(
        "EventAccumulator read {n} scalars ({} tags: {tags:?}), all equal to the JSONL values",
        want.len()
    );
    let histos = read["histograms"].as_object().expect("histograms");
    assert_eq!(histos.len(), 2, "{histos:?}");
    for (tag, h) in histos {
        assert_eq!(h.as_array().map(|a| a.len()), Some(3), "{tag}: {h}");
    }
    println!("and {} histogram tags with 3 steps each", histos.len());
    Ok(())
}
