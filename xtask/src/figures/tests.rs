//! End-to-end: every figure through the one driver, at `smoke` scale (tiny generated data in
//! the real formats), with its JSON checked against the run records; Figure 8 at a small `cpu`
//! scale on the embedded digits; the `paper` run lists against spec §6.
use super::driver::{run, FigureRequest};
use super::scale::Scale;
use super::{figure, REGISTRY};
use crate::Common;
use layca_train::RunDir;
use std::path::Path;

fn common(root: &Path) -> Common {
    Common::for_tests(root, 2)
}

fn read_json(p: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap()
}

/// Each run listed in a figure's JSON matches its `run.json` and `history.jsonl`.
fn check_against_records(json: &serde_json::Value) {
    let runs = json["runs"].as_array().expect("runs array");
    for r in runs {
        let dir = RunDir::at(r["run_dir"].as_str().unwrap());
        let rec = dir.record().unwrap().expect("run.json");
        let history = dir.read_history().unwrap();
        assert_eq!(r["run_id"], serde_json::json!(rec.id));
        assert_eq!(r["epochs_run"].as_u64().unwrap() as usize, history.len());
        let acc = rec.metrics.as_ref().map(|m| m.test_acc);
        assert_eq!(r["test_acc"].as_f64(), acc, "{}", r["key"]);
        let last = history.last().map(|h| h.rotation.clone());
        assert_eq!(r["final_rotation"], serde_json::json!(last), "{}", r["key"]);
    }
}

#[test]
fn every_figure_renders_at_smoke_scale_and_its_json_matches_the_records() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("figures");
    let req = FigureRequest {
        figures: REGISTRY.to_vec(),
        scale: Scale::Smoke,
        out: out.clone(),
        epochs: None,
        dry_run: false,
    };
    let tally = run(&common(tmp.path()), &req).unwrap();
    assert_eq!(tally.failed, 0);
    assert!(tally.finished > 100, "{tally:?}");
    for f in REGISTRY {
        let stem = out.join(format!("fig{:02}", f.number()));
        for ext in ["png", "svg", "json"] {
            let p = stem.with_extension(ext);
            assert!(
                std::fs::metadata(&p)
                    .map(|m| m.len() > 100)
                    .unwrap_or(false),
                "{}",
                p.display()
            );
        }
        let json = read_json(&stem.with_extension("json"));
        assert_eq!(json["figure"], f.number());
        assert_eq!(json["scale"], "smoke");
        assert_eq!(
            json["runs"].as_array().unwrap().len(),
            f.runs().len(),
            "figure {}",
            f.number()
        );
        check_against_records(&json);
    }
    // Everything is reused the second time: no run trains, the JSON is the same.
    let before = std::fs::read(out.join("fig01.json")).unwrap();
    let req1 = FigureRequest {
        figures: vec![figure(1).unwrap()],
        ..req
    };
    run(&common(tmp.path()), &req1).unwrap();
    assert_eq!(before, std::fs::read(out.join("fig01.json")).unwrap());
}

#[test]
fn figure_8_at_small_cpu_scale_on_the_embedded_digits() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("figures");
    let req = FigureRequest {
        figures: vec![figure(8).unwrap()],
        scale: Scale::Cpu,
        out: out.clone(),
        epochs: Some(2),
        dry_run: false,
    };
    run(&common(tmp.path()), &req).unwrap();
    let json = read_json(&out.join("fig08.json"));
    assert_eq!(json["data"]["mnist"]["source"], "embedded-mnist");
    let runs = json["panels"].as_array().unwrap();
    assert_eq!(runs.len(), 4);
    let mut last = f64::INFINITY;
    for r in runs {
        let acc = r["test_acc"].as_f64().unwrap();
        assert!(acc > 0.3 && acc <= 1.0, "test acc {acc}");
        let d = r["final_rotation"]["dense0"].as_f64().unwrap();
        assert_eq!(r["rotation_curve"]["dense0"].as_array().unwrap().len(), 2);
        // Larger ρ(0) rotates more: the runs are listed from the largest ρ(0) down.
        assert!(d > 0.0 && d < last, "rotation {d} after {last}");
        last = d;
    }
    check_against_records(&json);
    let before = std::fs::read(out.join("fig08.json")).unwrap();
    run(&common(tmp.path()), &req).unwrap();
    assert_eq!(before, std::fs::read(out.join("fig08.json")).unwrap());
}

#[test]
fn paper_run_lists_are_the_spec_grids() {
    // spec §6: run counts per figure at paper scale.
    let expect = [25, 55, 10, 5, 1, 45, 15, 4, 60, 5, 48, 6, 0];
    for (f, n) in REGISTRY.iter().zip(expect) {
        assert_eq!(f.runs().len(), n, "figure {}", f.number());
    }
    let mut ids: Vec<String> = REGISTRY
        .iter()
        .flat_map(|f| f.runs())
        .map(|r| r.cfg.run_id())
        .collect();
    ids.sort();
    ids.dedup();
    // Shared between figures: Fig 1 ⊂ Fig 9 for three tasks, Fig 11 ⊃ most of Fig 9's α grid,
    // Fig 3 = Fig 7's SGD + L2, Fig 6's tuned runs are grid points.
    assert!(ids.len() < 268, "{} unique runs", ids.len());
    let fig4 = figure(4).unwrap().runs();
    let warmups: Vec<usize> = fig4.iter().map(|r| r.cfg.warmup_epochs).collect();
    assert_eq!(warmups, vec![0, 5, 10, 15, 0]);
    assert!(fig4.iter().all(|r| r.cfg.num_epochs() == 200));
}

#[test]
fn paper_scale_without_the_data_names_the_files_and_where_to_get_them() {
    let tmp = tempfile::tempdir().unwrap();
    let req = FigureRequest {
        figures: vec![figure(1).unwrap()],
        scale: Scale::Paper,
        out: tmp.path().join("figures"),
        epochs: None,
        dry_run: false,
    };
    let err = format!("{:#}", run(&common(tmp.path()), &req).unwrap_err());
    assert!(
        err.contains("cifar-10-batches-bin") && err.contains("test_batch.bin"),
        "{err}"
    );
    assert!(err.contains("https://www.cs.toronto.edu/"), "{err}");
    assert!(!tmp.path().join("figures").exists(), "nothing is written");
}
