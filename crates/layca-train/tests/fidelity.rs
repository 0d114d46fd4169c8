//! Engine-level fidelity on tiny data (issue 10, points 9 and 10): the stopping rules firing,
//! AdaptCopy replay, LARS' 1/4 initial scaling, moment percentiles, warmup per step,
//! best-validation testing, augmentation on a CIFAR-format task.
mod common;
use candle_core::{Device, Tensor, D};
use common::{engine, images, small_data as digits};
use layca_train::task::StopReason;
use layca_train::{ControlKind, Engine, OptimizerKind, RunConfig, RunStatus, TaskData, TaskId};
use std::path::Path;

fn norm(t: &Tensor) -> f64 {
    t.sqr()
        .unwrap()
        .sum_all()
        .unwrap()
        .to_scalar::<f32>()
        .unwrap()
        .sqrt() as f64
}

fn kernel(path: &Path, name: &str) -> Tensor {
    candle_core::safetensors::load(path, &Device::Cpu).unwrap()[name].clone()
}

fn plain(optimizer: OptimizerKind, rho0: f64, epochs: usize) -> RunConfig {
    let mut c = RunConfig::layca(TaskId::Mnist, rho0);
    c.optimizer = optimizer;
    c.control = ControlKind::None;
    c.epochs = Some(epochs);
    c
}

/// AdaptCopy replays the source run's recorded per-layer rates: the copy's own per-step
/// tan θ equals the source's.
#[test]
fn adapt_copy_replays_the_recorded_rates() {
    let tmp = tempfile::tempdir().unwrap();
    let e = engine(tmp.path());
    let mut source = plain(OptimizerKind::Adam, 1e-3, 2);
    source.record_steps = true;
    e.run(&source, digits()).unwrap();
    let src_dir = e.run_dir(&source, &digits().identity);
    let mut copy = RunConfig::layca(TaskId::Mnist, 1e-3);
    copy.control = ControlKind::AdaptCopy {
        source: src_dir.root().to_path_buf(),
    };
    copy.epochs = Some(2);
    copy.record_steps = true;
    let rec = e.run(&copy, digits()).unwrap();
    assert!(matches!(rec.status, RunStatus::Finished { .. }));
    let want = src_dir.read_steps().unwrap();
    let got = e.run_dir(&copy, &digits().identity).read_steps().unwrap();
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        for (a, b) in g.rates.iter().zip(&w.rates) {
            assert!(
                (a - b).abs() <= 1e-3 * b.abs() + 1e-7,
                "step {}: {a} vs {b}",
                g.step
            );
        }
    }
    // Adam's rates vary by layer and step: the replay is not a constant rate.
    assert!(want.iter().any(|s| (s.rates[0] - s.rates[1]).abs() > 1e-6));
    // A copy longer than its source is refused before training.
    let mut longer = copy.clone();
    longer.epochs = Some(3);
    let err = e.run(&longer, digits()).unwrap_err().to_string();
    assert!(
        err.contains("adapt-copy") && err.contains("has 4 steps"),
        "{err}"
    );
}

/// LARS starts from the shared initialisation scaled by 1/4 (spec §4.5) and keeps the norms
/// there (growth capped), while rotating the kernels.
#[test]
fn lars_starts_from_a_quarter_of_the_initialisation() {
    let tmp = tempfile::tempdir().unwrap();
    let e = engine(tmp.path());
    let mut c = RunConfig::layca(TaskId::Mnist, 0.02);
    c.control = ControlKind::Lars;
    c.epochs = Some(2);
    let rec = e.run(&c, digits()).unwrap();
    let init = e.init_path(&c);
    let fin = e.run_dir(&c, &digits().identity).final_weights();
    for name in ["dense0", "densef"] {
        let ratio = norm(&kernel(&fin, name)) / norm(&kernel(&init, name));
        assert!(
            (ratio - 0.25).abs() < 0.25 * 0.01,
            "{name}: norm ratio {ratio}"
        );
    }
    let m = rec.metrics.unwrap();
    assert!(
        m.end_rotation.iter().all(|&d| d > 1e-4),
        "{:?}",
        m.end_rotation
    );
}

/// Adam with `record_moments` records the 10/50/90th percentiles of each layer's second
/// moment each epoch; SGD has none to record.
#[test]
fn adam_records_second_moment_percentiles() {
    let tmp = tempfile::tempdir().unwrap();
    let e = engine(tmp.path());
    let mut c = plain(OptimizerKind::Adam, 1e-3, 2);
    c.record_moments = true;
    e.run(&c, digits()).unwrap();
    let history = e.run_dir(&c, &digits().identity).read_history().unwrap();
    for h in &history {
        let m = h.moments.as_ref().expect("moments recorded");
        assert_eq!(m.len(), 2);
        for [p10, p50, p90] in m {
            assert!(
                0.0 <= *p10 && p10 <= p50 && p50 <= p90 && *p90 > 0.0,
                "{m:?}"
            );
        }
    }
    assert_ne!(history[0].moments, history[1].moments);
    let mut sgd = plain(OptimizerKind::Sgd, 0.1, 1);
    sgd.record_moments = true;
    e.run(&sgd, digits()).unwrap();
    let h = e.run_dir(&sgd, &digits().identity).read_history().unwrap();
    assert!(h[0].moments.is_none());
}

/// A linear warmup sets the rate per step: from ρ/10 at the first step to ρ after W epochs.
#[test]
fn warmup_sets_the_rate_per_step() {
    let tmp = tempfile::tempdir().unwrap();
    let e = engine(tmp.path());
    let mut c = RunConfig::layca(TaskId::Mnist, 0.03);
    c.epochs = Some(3);
    c.warmup_epochs = 2;
    c.record_steps = true;
    e.run(&c, digits()).unwrap();
    let steps = e.run_dir(&c, &digits().identity).read_steps().unwrap();
    assert_eq!(steps.len(), 6);
    let rho = c.rho0;
    for s in &steps {
        let f = ((s.epoch * 2 + s.batch) as f64 / 4.0).min(1.0);
        let want = rho * f + rho / 10.0 * (1.0 - f);
        assert!(
            (s.lr - want).abs() < 1e-15,
            "step {}: {} vs {want}",
            s.step,
            s.lr
        );
        // Layca rotates each kernel by the step's rate.
        assert!(s.rates.iter().all(|r| (r - s.lr).abs() < 1e-3 * s.lr));
    }
    assert!(steps.windows(2).take(4).all(|w| w[1].lr > w[0].lr));
}

/// Tiny CIFAR-100-shaped data (32×32, 100 classes).
fn cifar100(n_train: usize, n_val: usize, n_test: usize) -> TaskData {
    images(n_train, n_val, n_test, 32, 100, 7)
}

/// C100-resnet tests with the best-validation weights: the final test metrics are those of the
/// epoch with the best validation accuracy.
#[test]
fn test_metrics_come_from_the_best_validation_epoch() {
    let tmp = tempfile::tempdir().unwrap();
    let e = engine(tmp.path());
    let data = cifar100(16, 16, 16);
    let mut c = RunConfig::layca(TaskId::C100Resnet, 0.3);
    c.epochs = Some(3);
    c.batch_size = Some(8);
    c.stopping = false;
    let rec = e.run(&c, &data).unwrap();
    let m = rec.metrics.unwrap();
    let history = e.run_dir(&c, &data.identity).read_history().unwrap();
    let best = history
        .iter()
        .fold(None::<&layca_train::EpochRecord>, |b, h| match b {
            Some(b) if b.val_acc >= h.val_acc => Some(b),
            _ => Some(h),
        })
        .unwrap();
    assert_eq!(m.best_val_epoch, best.epoch);
    assert_eq!(m.best_val_acc, best.val_acc);
    assert_eq!((m.test_acc, m.test_loss), (best.test_acc, best.test_loss));
    assert!(e.run_dir(&c, &data.identity).best_weights().is_file());
}

/// C10-resnet110 trains with random shifts and flips on CIFAR-10-format data: it runs full
/// batches only, deterministically per seed, and the seed changes the augmentation.
#[test]
fn augmentation_on_a_cifar_task_is_seeded() {
    let data = images(20, 4, 4, 32, 10, 3);
    let mut c = RunConfig::layca(TaskId::C10Resnet110, 0.1);
    c.epochs = Some(1);
    c.batch_size = Some(8); // 20 images: 2 full batches, the last 4 images are not used
    c.record_steps = true;
    let run = |c: &RunConfig| {
        let tmp = tempfile::tempdir().unwrap();
        let e = engine(tmp.path());
        let rec = e.run(c, &data).unwrap();
        let steps = e.run_dir(c, &data.identity).read_steps().unwrap();
        (rec, steps)
    };
    let (a, steps_a) = run(&c);
    assert_eq!(a.steps_per_epoch, 2);
    assert_eq!(steps_a.len(), 2);
    let (b, _) = run(&c);
    assert_eq!(a.metrics, b.metrics);
    let mut other = c.clone();
    other.seed = 2;
    let (o, _) = run(&other);
    assert_ne!(a.metrics.unwrap().train_loss, o.metrics.unwrap().train_loss);
}

/// Writes a shared initialisation whose last kernel is scaled so that every prediction is
/// saturated, and returns the train-mode logits of `images` under it.
fn saturated_init(e: &Engine, c: &RunConfig, images: &Tensor) -> Tensor {
    let net = layca_models::build(c.task.spec().arch, e.init_seed, &Device::Cpu).unwrap();
    let last = net.kernels().pop().unwrap();
    last.var
        .set(&(last.var.as_tensor() * 1e5).unwrap())
        .unwrap();
    let path = e.init_path(c);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    layca_models::save_weights(net.as_ref(), &path).unwrap();
    net.forward_t(images, true).unwrap()
}

/// The data with labels picked from the logits: the arg-max (every sample confidently right)
/// or the arg-min (confidently wrong).
fn relabel(data: &TaskData, logits: &Tensor, right: bool, tag: &str) -> TaskData {
    let labels = if right {
        logits.argmax(D::Minus1).unwrap()
    } else {
        logits.argmin(D::Minus1).unwrap()
    };
    let mut d = data.clone();
    d.train.labels = labels.to_dtype(candle_core::DType::U32).unwrap();
    d.identity.fingerprint = format!("{tag:0<16}");
    d
}

/// Spec §1.5 "finished" (train loss ≤ 1e-3 for C100-resnet) and "converged" (3 epochs of
/// identical loss) fire in the engine. With Keras' clipped loss a saturated prediction has
/// loss −ln(1 − 1e-7) (right) or −ln(1e-7) (wrong) and no gradient, so plain SGD stands still.
#[test]
fn finished_and_converged_stopping_rules_fire() {
    let data = cifar100(8, 4, 4);
    for (right, reason, epochs_run) in [
        (true, StopReason::Finished, 1),
        (false, StopReason::Converged, 3),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let e = engine(tmp.path());
        let mut c = RunConfig::layca(TaskId::C100Resnet, 0.1);
        c.control = ControlKind::None;
        c.epochs = Some(6);
        c.batch_size = Some(8);
        let logits = saturated_init(&e, &c, &data.train.images);
        let d = relabel(&data, &logits, right, if right { "aaaa" } else { "bbbb" });
        let rec = e.run(&c, &d).unwrap();
        assert_eq!(
            rec.status,
            RunStatus::Finished { reason },
            "right = {right}"
        );
        let m = rec.metrics.unwrap();
        assert_eq!(m.epochs_run, epochs_run);
        let history = e.run_dir(&c, &d.identity).read_history().unwrap();
        let clipped = if right {
            -(1.0f64 - 1e-7).ln()
        } else {
            -(1e-7f64).ln()
        };
        for h in &history {
            assert!(
                (h.train_loss - clipped).abs() < 1e-4 * clipped.max(1e-3),
                "{}",
                h.train_loss
            );
        }
    }
}

/// The reported training loss includes λ·Σw² over the kernels with L2, as Keras reports it;
/// the ResNet dense head is exempt (spec: no regulariser on it) and adds nothing.
#[test]
fn the_reported_loss_includes_the_l2_penalty_without_the_exempt_head() {
    let data = cifar100(8, 4, 4);
    let run = |l2: f64| {
        let tmp = tempfile::tempdir().unwrap();
        let e = engine(tmp.path());
        let mut c = RunConfig::layca(TaskId::C100Resnet, 0.1);
        c.control = ControlKind::None;
        c.epochs = Some(1);
        c.batch_size = Some(8); // one step: its loss is computed at the initial weights
        c.l2 = l2;
        c.stopping = false;
        let rec = e.run(&c, &data).unwrap();
        let net = e.build_initialised(&c).unwrap();
        let exempt = net.l2_exempt();
        assert_eq!(exempt, vec!["dense".to_string()]);
        let penalty: f64 = net
            .kernels()
            .iter()
            .filter(|k| !exempt.contains(&k.name))
            .map(|k| norm(k.var.as_tensor()).powi(2))
            .sum();
        (rec.metrics.unwrap().train_loss, l2 * penalty)
    };
    let (plain, _) = run(0.0);
    let (with_l2, penalty) = run(1e-3);
    assert!(penalty > 0.0);
    let diff = with_l2 - plain;
    assert!(
        (diff - penalty).abs() < 1e-4 * penalty,
        "{diff} vs {penalty}"
    );
}
