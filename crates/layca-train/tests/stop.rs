//! The cooperative stop flag (`Engine::stop`, raised by a signal handler in `xtask sweep run`):
//! a run stopped mid-epoch resumes from its last epoch checkpoint to records byte-identical to
//! an uninterrupted run's.
use layca_train::{RunStatus, TrainError};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

mod common;
use common::{cfg, engine, read, small_data};

#[test]
fn a_stopped_run_resumes_to_byte_identical_records() {
    let cfg = cfg(3); // 3 epochs × 2 steps
    let full = tempfile::tempdir().unwrap();
    engine(full.path()).run(&cfg, small_data()).unwrap();
    let dir_full = engine(full.path()).run_dir(&cfg, &small_data().identity);

    let tmp = tempfile::tempdir().unwrap();
    let mut e = engine(tmp.path());
    let dir = e.run_dir(&cfg, &small_data().identity);
    let flag = Arc::new(AtomicBool::new(false));
    e.stop = Some(flag.clone());
    // Raise the flag as a signal would: from another thread, once the first epoch checkpoint
    // exists (the run is then in its second epoch or later, mid-way).
    let pointer = dir.checkpoint_json();
    let raiser = std::thread::spawn(move || {
        while !pointer.exists() {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        flag.store(true, Ordering::SeqCst);
    });
    let err = e.run(&cfg, small_data()).unwrap_err();
    raiser.join().unwrap();
    assert!(matches!(err, TrainError::Interrupted { .. }), "{err}");
    let rec = dir.record().unwrap().unwrap();
    assert!(matches!(rec.status, RunStatus::Running), "{:?}", rec.status);
    assert!(!dir.final_weights().exists());
    assert!(dir.read_history().unwrap().len() < 3);

    // A fresh engine (no flag) resumes from the checkpoint and finishes.
    engine(tmp.path()).run(&cfg, small_data()).unwrap();
    for (what, a, b) in [
        ("run.json", dir.run_json(), dir_full.run_json()),
        ("history", dir.history(), dir_full.history()),
        ("steps", dir.steps(), dir_full.steps()),
        (
            "final weights",
            dir.final_weights(),
            dir_full.final_weights(),
        ),
    ] {
        assert_eq!(read(&a), read(&b), "{what} differs after stop + resume");
    }
}
