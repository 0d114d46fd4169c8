//! Engine guarantees on a small real task (the MNIST MLP on part of the embedded digits):
//! resume after a kill gives the same results as an uninterrupted run, finished runs are reused,
//! bad input stops with a clear message and keeps earlier results.
use candle_core::Device;
use layca_train::data::{load_task_data, DataSource};
use layca_train::{ControlKind, OptimizerKind, RunConfig, RunStatus, TaskId, TrainError};

mod common;
use common::{cfg, engine, read, small_data};

#[test]
fn killed_run_resumes_to_identical_results() {
    let cfg = cfg(4); // 4 epochs × 2 steps
    let full = tempfile::tempdir().unwrap();
    let rec_full = engine(full.path()).run(&cfg, small_data()).unwrap();
    let dir_full = engine(full.path()).run_dir(&cfg, &small_data().identity);

    // Kill points: mid-epoch before any checkpoint, mid-epoch after checkpoints, and twice.
    for kills in [vec![1u64], vec![5], vec![3, 2]] {
        let tmp = tempfile::tempdir().unwrap();
        for &k in &kills {
            let mut e = engine(tmp.path());
            e.interrupt_after_steps = Some(k);
            let err = e.run(&cfg, small_data()).unwrap_err();
            assert!(
                matches!(err, TrainError::Interrupted { steps } if steps == k),
                "{err}"
            );
        }
        let rec = engine(tmp.path()).run(&cfg, small_data()).unwrap();
        let dir = engine(tmp.path()).run_dir(&cfg, &small_data().identity);
        assert_eq!(rec.metrics, rec_full.metrics, "kills {kills:?}");
        assert_eq!(
            read(&dir.history()),
            read(&dir_full.history()),
            "history, kills {kills:?}"
        );
        assert_eq!(
            read(&dir.steps()),
            read(&dir_full.steps()),
            "steps, kills {kills:?}"
        );
        assert_eq!(
            read(&dir.final_weights()),
            read(&dir_full.final_weights()),
            "final weights, kills {kills:?}"
        );
    }
    // With a long checkpoint interval nothing is checkpointed before the kill (only the history
    // is written): the rerun starts over, discards the stale records and still matches.
    let tmp = tempfile::tempdir().unwrap();
    let mut e = engine(tmp.path());
    e.checkpoint_interval = std::time::Duration::from_secs(3600);
    e.interrupt_after_steps = Some(5);
    assert!(e.run(&cfg, small_data()).is_err());
    assert_eq!(
        engine(tmp.path())
            .run_dir(&cfg, &small_data().identity)
            .read_history()
            .unwrap()
            .len(),
        2
    );
    engine(tmp.path()).run(&cfg, small_data()).unwrap();
    let dir = engine(tmp.path()).run_dir(&cfg, &small_data().identity);
    assert_eq!(read(&dir.history()), read(&dir_full.history()));
    assert_eq!(read(&dir.final_weights()), read(&dir_full.final_weights()));

    let history = dir_full.read_history().unwrap();
    assert_eq!(history.len(), 4);
    assert_eq!(dir_full.read_steps().unwrap().len(), 8);
    // Learning rate follows the schedule, and Layca rotates the kernels.
    assert!(
        (history[1].lr - cfg.rho0).abs() < 1e-12 && (history[2].lr - 0.2 * cfg.rho0).abs() < 1e-12
    );
    assert!(history[3].rotation.iter().all(|&d| d > 0.0 && d < 1.0));
}

#[test]
fn per_step_rates_equal_the_layca_rate() {
    // Under SGD + Layca each step rotates every kernel by exactly atan(ρ): steps.jsonl must say so.
    let cfg = cfg(1);
    let tmp = tempfile::tempdir().unwrap();
    engine(tmp.path()).run(&cfg, small_data()).unwrap();
    let steps = engine(tmp.path())
        .run_dir(&cfg, &small_data().identity)
        .read_steps()
        .unwrap();
    assert_eq!(steps.len(), 2);
    for s in &steps {
        for &r in &s.rates {
            assert!(
                (r - cfg.rho0).abs() / cfg.rho0 < 1e-3,
                "rate {r} vs rho {}",
                cfg.rho0
            );
        }
    }
}

#[test]
fn finished_run_is_reused_not_rerun() {
    let cfg = cfg(1);
    let tmp = tempfile::tempdir().unwrap();
    let first = engine(tmp.path()).run(&cfg, small_data()).unwrap();
    let history = read(
        &engine(tmp.path())
            .run_dir(&cfg, &small_data().identity)
            .history(),
    );
    // A rerun would stop after one step with `Interrupted`; a reuse returns the stored record.
    let mut e = engine(tmp.path());
    e.interrupt_after_steps = Some(1);
    let again = e.run(&cfg, small_data()).unwrap();
    assert_eq!(first, again);
    // The record names the session's device and CPU GEMM kernels (not part of the identity).
    assert_eq!(first.device.as_deref(), Some("cpu"));
    assert_eq!(first.cpu_gemm, Some(layca_ops::cpu_gemm()));
    assert_eq!(
        history,
        read(
            &engine(tmp.path())
                .run_dir(&cfg, &small_data().identity)
                .history()
        )
    );
}

#[test]
fn nan_loss_ends_the_run_diverged_and_keeps_earlier_results() {
    let tmp = tempfile::tempdir().unwrap();
    let good = cfg(1);
    engine(tmp.path()).run(&good, small_data()).unwrap();
    let good_dir = engine(tmp.path()).run_dir(&good, &small_data().identity);
    let before = read(&good_dir.run_json());

    // Plain SGD with an absurd learning rate: the f32 weights overflow and the loss (or the
    // evaluation) is not finite. The run ends `diverged`, as an `Ok` record (sweeps go on).
    let mut bad = RunConfig::layca(TaskId::Mnist, 1e300);
    bad.control = ControlKind::None;
    bad.optimizer = OptimizerKind::Sgd;
    bad.epochs = Some(3);
    let rec = engine(tmp.path()).run(&bad, small_data()).unwrap();
    let RunStatus::Diverged { epoch, step, .. } = rec.status else {
        panic!("expected diverged, got {:?}", rec.status);
    };
    assert!(epoch < 3 && step <= 6, "epoch {epoch} step {step}");
    assert!(rec.metrics.is_none());
    let dir = engine(tmp.path()).run_dir(&bad, &small_data().identity);
    // run.json is readable and holds no null; the history stops before the divergence.
    let text = String::from_utf8(read(&dir.run_json())).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(
        v["status"]["loss"].is_number() || v["status"]["loss"].is_string(),
        "{text}"
    );
    assert_eq!(dir.record().unwrap().unwrap(), rec);
    assert_eq!(dir.read_history().unwrap().len(), epoch);
    // Final: the next call reuses it (an interrupt hook would fire on any rerun).
    let mut e = engine(tmp.path());
    e.interrupt_after_steps = Some(1);
    assert_eq!(e.run(&bad, small_data()).unwrap(), rec);
    assert_eq!(
        before,
        read(&good_dir.run_json()),
        "an earlier run was touched"
    );
}

#[test]
fn invalid_configs_and_missing_data_are_reported_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    let mut c = cfg(1);
    c.alpha = -1.5;
    let err = engine(tmp.path())
        .run(&c, small_data())
        .unwrap_err()
        .to_string();
    assert!(err.contains("alpha"), "{err}");
    let mut c = cfg(1);
    c.rho0 = -0.1;
    let err = engine(tmp.path())
        .run(&c, small_data())
        .unwrap_err()
        .to_string();
    assert!(err.contains("rho0"), "{err}");
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "nothing may be written"
    );

    let err = TaskId::parse("imagenet-1k").unwrap_err().to_string();
    assert!(err.contains("imagenet-1k"), "{err}");

    let missing = tmp.path().join("no-such-mnist");
    let err = load_task_data(
        TaskId::Mnist,
        &DataSource::Dir(missing.clone()),
        None,
        &Device::Cpu,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("no-such-mnist"), "{err}");
}
