//! Run-store integrity (issue 10, points 1-7): the data and every result-affecting field are
//! part of a run's identity, stored records are validated before they are resumed or reused,
//! non-finite values end a run `diverged`, and plain optimizers train every parameter.
mod common;
use common::{cfg, engine, keep_lines, mnist};
use layca_train::{ControlKind, OptimizerKind, RunConfig, RunStatus, TaskData, TaskId};
use std::sync::OnceLock;

use common::small_data as data_a;

fn data_b() -> &'static TaskData {
    static D: OnceLock<TaskData> = OnceLock::new();
    D.get_or_init(|| mnist(2000, 1000))
}

/// Point 1: the same configuration on other data is another run (never "reused" with A's
/// numbers), and a directory holding other data under the same name is refused by field.
#[test]
fn runs_on_different_data_never_share_a_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let c = cfg(1);
    let a = engine(tmp.path()).run(&c, data_a()).unwrap();
    // A rerun on B must train (the interrupt hook fires), not reuse A.
    let mut e = engine(tmp.path());
    e.interrupt_after_steps = Some(1);
    assert!(e.run(&c, data_b()).is_err(), "B reused A's run");
    let b = engine(tmp.path()).run(&c, data_b()).unwrap();
    assert_ne!(a.id, b.id);
    assert_eq!(a.data, data_a().identity);
    assert_eq!(b.data, data_b().identity);
    assert_ne!(a.metrics, b.metrics);

    // A's directory placed under B's name: refused, naming the field.
    let dir_a = engine(tmp.path()).run_dir(&c, &data_a().identity);
    let dir_b = engine(tmp.path()).run_dir(&c, &data_b().identity);
    std::fs::remove_dir_all(dir_b.root()).unwrap();
    std::fs::rename(dir_a.root(), dir_b.root()).unwrap();
    let err = engine(tmp.path())
        .run(&c, data_b())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("data.fingerprint") && err.contains("run.json"),
        "{err}"
    );
}

/// Point 7: a directory holding another configuration names the differing field.
#[test]
fn a_directory_with_another_config_names_the_field() {
    let tmp = tempfile::tempdir().unwrap();
    let c = cfg(1);
    engine(tmp.path()).run(&c, data_a()).unwrap();
    let dir = engine(tmp.path()).run_dir(&c, &data_a().identity);
    let mut other = c.clone();
    other.rho0 = 0.5;
    let mut rec = dir.record().unwrap().unwrap();
    rec.config = other.canonical();
    layca_train::store::write_json_atomic(&dir.run_json(), &rec).unwrap();
    let err = engine(tmp.path())
        .run(&c, data_a())
        .unwrap_err()
        .to_string();
    assert!(err.contains("rho0") && !err.contains("alpha"), "{err}");
}

/// Point 2: a history shorter than the checkpoint is refused on resume, naming the file
/// (it used to finish with a gap in the history).
#[test]
fn resume_refuses_records_short_of_the_checkpoint() {
    let c = cfg(4);
    for file in ["history.jsonl", "steps.jsonl"] {
        let tmp = tempfile::tempdir().unwrap();
        let mut e = engine(tmp.path());
        e.interrupt_after_steps = Some(5); // checkpoint after epochs 0 and 1, killed in epoch 2
        assert!(e.run(&c, data_a()).is_err());
        let dir = engine(tmp.path()).run_dir(&c, &data_a().identity);
        keep_lines(&dir.root().join(file), 1);
        let err = engine(tmp.path())
            .run(&c, data_a())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(file) && err.contains("incomplete"),
            "{file}: {err}"
        );
    }
}

/// Point 3: a finished run is validated before it is reused: cut or reordered records are an
/// error naming the file (it used to be reused, plotting a short curve).
#[test]
fn a_finished_run_with_bad_records_is_not_reused() {
    let c = cfg(3);
    let tmp = tempfile::tempdir().unwrap();
    engine(tmp.path()).run(&c, data_a()).unwrap();
    let dir = engine(tmp.path()).run_dir(&c, &data_a().identity);
    let history = std::fs::read_to_string(dir.history()).unwrap();
    let steps = std::fs::read_to_string(dir.steps()).unwrap();

    keep_lines(&dir.history(), 2);
    let err = engine(tmp.path())
        .run(&c, data_a())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("history.jsonl") && err.contains("holds 2 epochs"),
        "{err}"
    );

    let mut lines: Vec<&str> = history.lines().collect();
    lines.swap(0, 1);
    std::fs::write(dir.history(), lines.join("\n") + "\n").unwrap();
    let err = engine(tmp.path())
        .run(&c, data_a())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("history.jsonl") && err.contains("contiguous"),
        "{err}"
    );

    std::fs::write(dir.history(), &history).unwrap();
    keep_lines(&dir.steps(), 4);
    let err = engine(tmp.path())
        .run(&c, data_a())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("steps.jsonl") && err.contains("expected 6"),
        "{err}"
    );

    std::fs::write(dir.steps(), &steps).unwrap();
    assert!(engine(tmp.path()).run(&c, data_a()).is_ok());
}

/// Point 4: a non-finite evaluation (training finite) ends the run `diverged`, and `run.json`
/// stays readable without nulls (it used to end "finished" with `"test_loss": null`).
#[test]
fn non_finite_evaluation_ends_the_run_diverged() {
    let good = data_a();
    let bad_test = layca_data::TensorDataset {
        // Finite pixels whose hidden activations overflow f32: NaN logits.
        images: (&good.test.images * 1e38).unwrap(),
        ..good.test.clone()
    };
    let data = TaskData {
        test: bad_test,
        ..good.clone()
    };
    let tmp = tempfile::tempdir().unwrap();
    let c = cfg(2);
    let rec = engine(tmp.path()).run(&c, &data).unwrap();
    assert!(
        matches!(rec.status, RunStatus::Diverged { epoch: 0, step: 2, ref loss } if !loss.is_finite()),
        "{:?}",
        rec.status
    );
    let dir = engine(tmp.path()).run_dir(&c, &data.identity);
    let text = std::fs::read_to_string(dir.run_json()).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(
        v["status"]["loss"].is_number() || v["status"]["loss"].is_string(),
        "{text}"
    );
    assert_eq!(dir.record().unwrap().unwrap(), rec);
    assert!(dir.read_history().unwrap().is_empty());
    // Reused (validated) on the next call.
    assert_eq!(engine(tmp.path()).run(&c, &data).unwrap(), rec);
}

fn tensor_of(path: &std::path::Path, name: &str) -> Vec<f32> {
    let map = candle_core::safetensors::load(path, &candle_core::Device::Cpu).unwrap();
    map[name].flatten_all().unwrap().to_vec1::<f32>().unwrap()
}

/// Point 6: plain optimizers train the non-kernel parameters (they used to stay frozen);
/// Layca freezes them; `other_params` overrides.
#[test]
fn plain_adam_trains_biases_and_bn_parameters() {
    let tmp = tempfile::tempdir().unwrap();
    let mut c = RunConfig::layca(TaskId::Mnist, 1e-3);
    c.optimizer = OptimizerKind::Adam;
    c.control = ControlKind::None;
    c.epochs = Some(2);
    let e = engine(tmp.path());
    e.run(&c, data_a()).unwrap();
    let init = e.init_path(&c);
    let fin = e.run_dir(&c, &data_a().identity).final_weights();
    for name in ["dense0.bias", "bn0.gamma", "bn0.beta"] {
        assert_ne!(
            tensor_of(&init, name),
            tensor_of(&fin, name),
            "{name} unchanged"
        );
    }
    let mut frozen = c.clone();
    frozen.other_params = Some(layca_optim::OtherParams::Frozen);
    e.run(&frozen, data_a()).unwrap();
    let fin = e.run_dir(&frozen, &data_a().identity).final_weights();
    for name in ["dense0.bias", "bn0.gamma", "bn0.beta"] {
        assert_eq!(
            tensor_of(&init, name),
            tensor_of(&fin, name),
            "{name} changed"
        );
    }
    assert_ne!(tensor_of(&init, "dense0"), tensor_of(&fin, "dense0"));
}

/// Point 7: the run's `train_limit` must be the data's.
#[test]
fn a_train_limit_other_than_the_data_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let mut c = cfg(1);
    c.train_limit = Some(1000);
    let err = engine(tmp.path())
        .run(&c, data_a())
        .unwrap_err()
        .to_string();
    assert!(err.contains("train_limit"), "{err}");
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

/// Clear errors: a batch size leaving a last batch of one image is refused up front.
#[test]
fn a_last_batch_of_one_image_is_refused_up_front() {
    let tmp = tempfile::tempdir().unwrap();
    let mut c = cfg(1);
    c.batch_size = Some(1999);
    let err = engine(tmp.path())
        .run(&c, data_a())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("batch_size") && err.contains("last batch of 1"),
        "{err}"
    );
}
