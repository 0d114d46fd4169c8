//! The sweep path without Slurm: the manifest (the driver's run list, hashed), the batch
//! scripts' text, `--launcher local` against `cargo xtask figure`, resubmission, and a stopped
//! index resuming to identical records. The same three behaviours against a real Slurm are in
//! `scripts/slurm/test.sh`.
use super::manifest::Manifest;
use super::sbatch::SlurmOpts;
use super::*;
use crate::figures::driver::{data_source, wave_jobs_of, FigureRequest};
use crate::figures::scale::Scale;
use std::collections::BTreeMap;

fn common(root: &Path) -> Common {
    Common::for_tests(root, 1)
}

fn sweep(root: &Path, number: &str, launcher: Launcher) -> FigureSweep {
    FigureSweep {
        number: number.into(),
        scale: Scale::Smoke,
        epochs: None,
        launcher,
        out: root.join("sweep"),
        submit: false,
        slurm: SlurmOpts {
            partition: Some("gpu".into()),
            time: Some("02:00:00".into()),
            gpus: Some("1".into()),
            account: Some("lab".into()),
            max_parallel: 3,
        },
        common: common(root),
    }
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn the_manifest_is_the_drivers_run_list_hashed() {
    let tmp = tempfile::tempdir().unwrap();
    let f = sweep(tmp.path(), "7", Launcher::Slurm);
    let w = figure(&f).unwrap();
    let m = Manifest::read(&w.manifest).unwrap();
    assert_eq!(m, w.m);
    // Exactly the driver's jobs, in its order, with their configurations.
    let c = m.body.common();
    let req = FigureRequest {
        figures: crate::select_figures("7").unwrap(),
        scale: Scale::Smoke,
        out: m.body.out.clone(),
        epochs: None,
        dry_run: false,
    };
    let jobs = wave_jobs_of(&c, &req, &data_source(&c, Scale::Smoke).unwrap()).unwrap();
    assert_eq!(m.body.entries.len(), jobs.len());
    assert!(jobs.len() >= 10, "{}", jobs.len());
    for (i, (e, j)) in m.body.entries.iter().zip(&jobs).enumerate() {
        assert_eq!(e.index, i);
        assert_eq!(
            (e.wave, &e.label, &e.config),
            (j.wave, &j.job.label, &j.job.cfg)
        );
        assert_eq!(e.data_fingerprint, j.job.data.identity.fingerprint);
        assert!(j.job.id.ends_with(&e.run), "{} vs {}", j.job.id, e.run);
    }
    // Figure 7's AdaptCopy runs form wave 1, each after the wave-0 run it replays.
    let wave1: Vec<_> = m.body.entries.iter().filter(|e| e.wave == 1).collect();
    assert!(!wave1.is_empty());
    for e in &wave1 {
        let src = e.replays.expect("an AdaptCopy entry names its source");
        assert_eq!(m.body.entries[src].wave, 0);
        let layca_train::ControlKind::AdaptCopy { source } = &e.config.control else {
            panic!("{}: not AdaptCopy", e.label)
        };
        assert_eq!(source, &m.body.runs.join(&m.body.entries[src].run));
    }
    assert!(m.body.runs.is_absolute() && m.body.out.is_absolute());
    assert!(
        m.body.data.how.contains("smoke-data"),
        "{}",
        m.body.data.how
    );
    assert!(m.hash.starts_with("sha256:") && m.hash.len() == 7 + 64);
    // Writing it again gives the same manifest; an edited one is refused by name.
    assert_eq!(figure(&f).unwrap().m.hash, m.hash);
    let text = String::from_utf8(read(&w.manifest)).unwrap();
    let edited = text.replacen("\"seed\": 1", "\"seed\": 2", 1);
    assert_ne!(edited, text);
    std::fs::write(&w.manifest, edited).unwrap();
    let err = format!("{:#}", Manifest::read(&w.manifest).unwrap_err());
    assert!(
        err.contains("`hash`") && err.contains("manifest.json"),
        "{err}"
    );
    let stop = Arc::new(AtomicBool::new(false));
    assert!(run_index(&w.manifest, 0, &stop).is_err());
    // A manifest whose data fingerprint is not the data's (re-hashed): refused before training.
    let mut other = m.clone();
    other.body.entries[0].data_fingerprint = "0123".into();
    other.hash = other.body.hash().unwrap();
    other.write(&w.manifest).unwrap();
    let err = format!("{:#}", run_index(&w.manifest, 0, &stop).unwrap_err());
    assert!(err.contains("fingerprint") && err.contains("0123"), "{err}");
    assert!(!m.body.runs.join(&m.body.entries[0].run).exists());
}

#[test]
fn the_batch_scripts_hold_the_array_signal_requeue_and_dependencies() {
    let tmp = tempfile::tempdir().unwrap();
    let w = figure(&sweep(tmp.path(), "7", Launcher::Slurm)).unwrap();
    let (lo1, hi1) = w.m.body.wave_range(1).unwrap();
    let (_, hi0) = w.m.body.wave_range(0).unwrap();
    assert_eq!((lo1, hi1), (hi0 + 1, w.m.body.entries.len() - 1));
    let [(0, p0, a0), (1, p1, a1)] = &w.scripts.arrays[..] else {
        panic!("two arrays expected: {:?}", w.scripts.arrays)
    };
    assert_eq!(&String::from_utf8(read(p0)).unwrap(), a0);
    assert!(p1.is_file());
    for want in [
        format!("#SBATCH --array=0-{hi0}%3\n"),
        "%A_%a.out".into(),
        "#SBATCH --signal=B:USR1@120\n".into(),
        "#SBATCH --requeue\n".into(),
        "#SBATCH --partition=gpu\n".into(),
        "#SBATCH --time=02:00:00\n".into(),
        "#SBATCH --gpus=1\n".into(),
        "#SBATCH --account=lab\n".into(),
        "trap requeue USR1".into(),
        "kill -USR1 \"$child\"".into(),
        "scontrol requeue \"$SLURM_JOB_ID\"".into(),
        "--index \"$SLURM_ARRAY_TASK_ID\"".into(),
        format!("-eq {}", sbatch::EXIT_REQUEUE),
        w.m.hash.clone(),
    ] {
        assert!(a0.contains(&want), "wave 0 script lacks {want:?}:\n{a0}");
    }
    assert!(
        a1.contains(&format!("#SBATCH --array={lo1}-{hi1}%3\n")),
        "{a1}"
    );
    let collect = &w.scripts.collect.1;
    assert!(collect.contains("sweep collect --manifest") && !collect.contains("--array"));
    assert!(!collect.contains("--gpus"), "{collect}");
    let submit = &w.scripts.submit;
    assert!(submit.contains("A0=$(sbatch --parsable '"), "{submit}");
    assert!(
        submit.contains("A1=$(sbatch --parsable --dependency=afterok:$A0 '"),
        "{submit}"
    );
    assert!(
        submit.contains("sbatch --parsable --dependency=afterok:$A0:$A1 '"),
        "{submit}"
    );
    assert!(read(&tmp.path().join("sweep/submit.sh")).ends_with(submit.as_bytes()));
}

/// Size and modification time of every file under the run store.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, (u64, std::time::SystemTime)> {
    let mut out = BTreeMap::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let md = e.metadata().unwrap();
            if md.is_dir() {
                todo.push(e.path());
            } else {
                out.insert(e.path(), (md.len(), md.modified().unwrap()));
            }
        }
    }
    out
}

#[test]
fn local_launcher_draws_the_figure_commands_figure_and_resubmitting_trains_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let f = sweep(tmp.path(), "8", Launcher::Local);
    let w = figure(&f).unwrap();
    let stem = w.m.body.out.join("fig08");
    let (json, png) = (
        read(&stem.with_extension("json")),
        read(&stem.with_extension("png")),
    );
    // Resubmitting: the same manifest, every index already finished, no run file touched.
    let runs = w.m.body.runs.clone();
    let before = snapshot(&runs);
    let again = figure(&sweep(tmp.path(), "8", Launcher::Slurm)).unwrap();
    assert_eq!(again.m.hash, w.m.hash);
    let stop = Arc::new(AtomicBool::new(false));
    for e in &again.m.body.entries {
        let got = run_index(&again.manifest, e.index, &stop).unwrap();
        assert!(
            matches!(got, IndexOutcome::AlreadyFinished),
            "index {}: {got:?}",
            e.index
        );
    }
    collect(&again.manifest).unwrap();
    assert_eq!(
        snapshot(&runs),
        before,
        "a resubmission changed the run store"
    );
    assert_eq!(read(&stem.with_extension("json")), json);
    // The figure command, on a fresh run store at the same path, draws the same figure.
    std::fs::remove_dir_all(&runs).unwrap();
    let req = FigureRequest {
        figures: crate::select_figures("8").unwrap(),
        scale: Scale::Smoke,
        out: tmp.path().join("figure"),
        epochs: None,
        dry_run: false,
    };
    let mut c = common(tmp.path());
    c.runs = runs;
    let tally = driver::run(&c, &req).unwrap();
    assert_eq!(tally.finished, w.m.body.entries.len());
    let stem2 = req.out.join("fig08");
    assert_eq!(
        read(&stem2.with_extension("json")),
        json,
        "figure JSON differs"
    );
    assert_eq!(
        read(&stem2.with_extension("png")),
        png,
        "figure PNG differs"
    );
}

#[test]
fn a_stopped_index_resumes_to_the_records_of_an_uninterrupted_one() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let go = Arc::new(AtomicBool::new(false));
    let wa = figure(&sweep(&a, "5", Launcher::Slurm)).unwrap();
    assert!(matches!(
        run_index(&wa.manifest, 0, &go).unwrap(),
        IndexOutcome::Trained(RunStatus::Finished { .. })
    ));
    let wb = figure(&sweep(&b, "5", Launcher::Slurm)).unwrap();
    let raised = Arc::new(AtomicBool::new(true));
    let got = run_index(&wb.manifest, 0, &raised).unwrap();
    assert!(matches!(got, IndexOutcome::Stopped), "{got:?}");
    let dir_b = RunDir::new(&wb.m.body.runs, &wb.m.body.entries[0].run);
    assert!(!dir_b.final_weights().exists());
    assert!(matches!(
        run_index(&wb.manifest, 0, &go).unwrap(),
        IndexOutcome::Trained(RunStatus::Finished { .. })
    ));
    let dir_a = RunDir::new(&wa.m.body.runs, &wa.m.body.entries[0].run);
    for (x, y) in [
        (dir_a.history(), dir_b.history()),
        (dir_a.final_weights(), dir_b.final_weights()),
    ] {
        assert_eq!(read(&x), read(&y), "{}", y.display());
    }
}
