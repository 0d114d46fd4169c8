//! `xtask selftest`: the device-generic checks of `layca-checks` from this one binary (so a
//! GPU machine needs only the stripped binary), and `--epoch-timing`: one paper-scale epoch
//! of each CIFAR task on generated data of CIFAR's size, through the real engine.
//!
//! ```text
//! xtask selftest --device cuda                 # every check, PASS/FAIL per line
//! xtask selftest --device cpu --only max_pool_first_max,finite_differences
//! xtask selftest --device cuda --epoch-timing [--tasks c100-resnet] [--max-steps 50]
//! ```

use std::time::Instant;

use anyhow::{bail, Context, Result};
use candle_core::Device;
use layca_data::{Dataset, Normalizer, TensorDataset};
use layca_train::{Engine, RunConfig, TaskData, TaskId, TrainError};
use rand::{Rng, SeedableRng};

/// Arguments of `xtask selftest`.
#[derive(clap::Args, Debug)]
pub struct SelftestArgs {
    /// Device: cpu, cuda or cuda:N.
    #[arg(long, default_value = "cpu")]
    device: String,
    /// Run only these checks (comma-separated names; default: all).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Instead of the checks: time one paper-scale epoch of each CIFAR task on generated data.
    #[arg(long)]
    epoch_timing: bool,
    /// Tasks of `--epoch-timing` (default: the five CIFAR tasks).
    #[arg(long, value_delimiter = ',')]
    tasks: Vec<String>,
    /// `--epoch-timing`: stop each task after this many steps and extrapolate the epoch time
    /// (0: the whole epoch, with its evaluation).
    #[arg(long, default_value_t = 0)]
    max_steps: u64,
    /// `--epoch-timing`: training images (CIFAR: 50,000; test images: a fifth of it).
    #[arg(long, default_value_t = 50_000)]
    images: usize,
}

/// Entry point of `xtask selftest`.
pub fn run(args: &SelftestArgs) -> Result<()> {
    let device = layca_train::parse_device(&args.device)
        .with_context(|| format!("selftest --device {}", args.device))?;
    if args.epoch_timing {
        epoch_timing(args, &device)
    } else {
        checks(args, &device)
    }
}

fn selected(only: &[String]) -> Result<Vec<layca_checks::Check>> {
    let all = layca_checks::CHECKS;
    if let Some(bad) = only
        .iter()
        .find(|n| !all.iter().any(|c| c.name == n.as_str()))
    {
        let names: Vec<&str> = all.iter().map(|c| c.name).collect();
        bail!(
            "--only: unknown check `{bad}` (checks: {})",
            names.join(", ")
        );
    }
    Ok(all
        .iter()
        .filter(|c| only.is_empty() || only.iter().any(|n| n == c.name))
        .copied()
        .collect())
}

fn checks(args: &SelftestArgs, device: &Device) -> Result<()> {
    let label = layca_train::device_label(device);
    let mut failed = Vec::new();
    let checks = selected(&args.only)?;
    for c in &checks {
        let t0 = Instant::now();
        let r = (c.run)(device);
        let s = t0.elapsed().as_secs_f64();
        match r {
            Ok(()) => println!("PASS {:<26} {label} {s:7.2} s", c.name),
            Err(e) => {
                println!("FAIL {:<26} {label} {s:7.2} s: {e}", c.name);
                failed.push(c.name);
            }
        }
    }
    println!(
        "selftest on {label}: {} passed, {} failed",
        checks.len() - failed.len(),
        failed.len()
    );
    if !failed.is_empty() {
        bail!("selftest on {label}: failed checks: {}", failed.join(", "));
    }
    Ok(())
}

const CIFAR_TASKS: [TaskId; 5] = [
    TaskId::C10Cnn1,
    TaskId::C100Resnet,
    TaskId::C10Cnn2,
    TaskId::C100Wrn,
    TaskId::C10Resnet110,
];

/// `n` random 32×32 RGB images in `classes` classes (CIFAR's size; the content is noise).
fn generated(n: usize, classes: usize, seed: u64) -> Dataset {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut pixels = vec![0u8; n * 3 * 32 * 32];
    rng.fill(pixels.as_mut_slice());
    Dataset {
        pixels,
        labels: (0..n).map(|i| (i % classes) as u32).collect(),
        channels: 3,
        height: 32,
        width: 32,
        num_classes: classes,
    }
}

fn task_data(task: TaskId, images: usize, device: &Device) -> Result<TaskData> {
    let classes = task.spec().arch.num_classes();
    let (train, test) = (
        generated(images, classes, 1),
        generated((images / 5).max(1), classes, 2),
    );
    let norm = Normalizer::fit(&train);
    let identity =
        layca_train::data::identity("generated-cifar-size", "scalar", &train, None, &test);
    Ok(TaskData {
        train: TensorDataset::new(&train, norm, device)?,
        val: None,
        test: TensorDataset::new(&test, norm, device)?,
        identity,
    })
}

/// One task: the engine trains one epoch (Layca, the task's batch, augmentation and L2), or
/// `max_steps` of it; returns (seconds, steps trained, steps per epoch).
fn time_epoch(task: TaskId, args: &SelftestArgs, device: &Device) -> Result<(f64, u64, u64)> {
    let data = task_data(task, args.images, device)?;
    let mut cfg = RunConfig::layca(task, 3f64.powf(-3.0));
    cfg.epochs = Some(1);
    let spec = task.spec();
    let per_epoch = if spec.full_batches_only {
        (args.images / spec.batch_size).max(1)
    } else {
        args.images.div_ceil(spec.batch_size)
    } as u64;
    let tmp = tempfile::tempdir()?;
    let mut engine = Engine::new(tmp.path(), device.clone());
    engine.progress = false;
    engine.checkpoint_interval = std::time::Duration::from_secs(3600);
    let steps = if args.max_steps > 0 && args.max_steps < per_epoch {
        engine.interrupt_after_steps = Some(args.max_steps);
        args.max_steps
    } else {
        per_epoch
    };
    // Initial weights are built and saved before the clock starts.
    engine.build_initialised(&cfg)?;
    let t0 = Instant::now();
    match engine.run(&cfg, &data) {
        Ok(_) => {}
        Err(TrainError::Interrupted { .. }) if steps < per_epoch => {}
        Err(e) => return Err(e).with_context(|| format!("epoch timing of {}", task.name())),
    }
    Ok((t0.elapsed().as_secs_f64(), steps, per_epoch))
}

fn epoch_timing(args: &SelftestArgs, device: &Device) -> Result<()> {
    let tasks: Vec<TaskId> = if args.tasks.is_empty() {
        CIFAR_TASKS.to_vec()
    } else {
        args.tasks
            .iter()
            .map(|t| TaskId::parse(t))
            .collect::<Result<_, _>>()?
    };
    let label = layca_train::device_label(device);
    println!(
        "one epoch per task on {label}: {} generated 32x32 images, Layca, the task's batch",
        args.images
    );
    println!(
        "{:<14} {:>7} {:>11} {:>10} {:>10}",
        "task", "steps", "measured s", "images/s", "epoch s"
    );
    for task in tasks {
        let (s, steps, per_epoch) = time_epoch(task, args, device)?;
        let batch = task.spec().batch_size as f64;
        let epoch_s = if steps < per_epoch {
            s / steps as f64 * per_epoch as f64
        } else {
            s
        };
        let note = if steps < per_epoch {
            " (extrapolated, no evaluation)"
        } else {
            " (incl. evaluation)"
        };
        println!(
            "{:<14} {:>7} {:>11.1} {:>10.0} {:>10.1}{note}",
            task.name(),
            format!("{steps}/{per_epoch}"),
            s,
            steps as f64 * batch / s,
            epoch_s
        );
    }
    Ok(())
}
