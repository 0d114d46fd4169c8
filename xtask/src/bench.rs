//! `cargo xtask bench`: images/s of one full training step (forward in train mode,
//! cross-entropy, backward, SGD update) for ResNet-32, C10-CNN1, C10-CNN2 and the MNIST MLP,
//! with stock candle ops and with `layca-ops`, and with PyTorch eager on the same number of
//! threads: required when an interpreter is named (`--python PATH` or `LAYCA_PYTHON`, an
//! error if it cannot run or cannot import torch), else when `python3 -c "import torch"`
//! works (skipped with a message otherwise).
//!
//! `--device cuda` runs the same step on the GPU (stock candle vs the CUDA kernels of
//! `layca-ops`) and PyTorch eager on CUDA (`bench_torch.py --device cuda`).
//!
//! Every configuration runs in its own child process (this binary, `bench --one`), so that
//! its peak resident memory (`VmHWM`) is its own and no allocator state is shared.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use candle_core::{DType, Device, Tensor};
use layca_models::{build, Arch, Ops};
use layca_optim::{BaseOptimizer, Control, LaycaOptimizer, NamedParam, OptimConfig};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// A benchmarked network.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BenchModel {
    /// ResNet-32 (CIFAR-100 head), batch 128.
    Resnet32,
    /// C10-CNN1 (25-layer VGG, Conv → ReLU → BN), batch 128.
    C10Cnn1,
    /// C10-CNN2 (torch-blog VGG, Conv → BN → ReLU), batch 128.
    C10Cnn2,
    /// MNIST MLP 784-784(BN, ReLU)-10, batch 2048.
    Mlp,
}

impl BenchModel {
    fn arch(self) -> Arch {
        match self {
            BenchModel::Resnet32 => Arch::Resnet32,
            BenchModel::C10Cnn1 => Arch::C10Cnn1,
            BenchModel::C10Cnn2 => Arch::C10Cnn2,
            BenchModel::Mlp => Arch::MnistMlp,
        }
    }
    fn default_batch(self) -> usize {
        match self {
            BenchModel::Mlp => 2048,
            _ => 128,
        }
    }
    fn default_steps(self) -> usize {
        match self {
            BenchModel::Mlp => 10,
            _ => 3,
        }
    }
    fn key(self) -> &'static str {
        match self {
            BenchModel::Resnet32 => "resnet32",
            BenchModel::C10Cnn1 => "c10-cnn1",
            BenchModel::C10Cnn2 => "c10-cnn2",
            BenchModel::Mlp => "mlp",
        }
    }
}

/// Arguments of `cargo xtask bench`.
#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Networks to benchmark.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [BenchModel::Resnet32, BenchModel::C10Cnn1, BenchModel::C10Cnn2, BenchModel::Mlp])]
    models: Vec<BenchModel>,
    /// Timed steps per configuration (after one untimed warm-up step); the median is reported.
    /// Default: 3 for the CNNs, 10 for the MLP.
    #[arg(long)]
    steps: Option<usize>,
    /// Batch size for every network (default: 128 for the CNNs, 2048 for the MLP).
    #[arg(long)]
    batch: Option<usize>,
    /// Python interpreter for the PyTorch comparison. Naming one (here or through
    /// `LAYCA_PYTHON`) requires the comparison: an interpreter that cannot run or cannot
    /// import torch is an error. Without it, `python3` is tried and the comparison skipped
    /// (with a message) if that fails.
    #[arg(long, env = "LAYCA_PYTHON")]
    python: Option<String>,
    /// Skip the PyTorch comparison even when torch is importable.
    #[arg(long)]
    no_torch: bool,
    /// Device: cpu, cuda or cuda:N (PyTorch then runs on CUDA too).
    #[arg(long, default_value = "cpu")]
    device: String,
    /// The PyTorch script (default: `xtask/scripts/bench_torch.py` of the source tree this
    /// binary was built from; name it when the binary runs elsewhere).
    #[arg(long, env = "LAYCA_TORCH_SCRIPT")]
    torch_script: Option<PathBuf>,
    /// Where to write the results (JSON).
    #[arg(long, default_value = "bench/train-step.json")]
    out: PathBuf,
    /// Internal: run one configuration `<model>:<stock|fast>` and print one JSON line.
    #[arg(long, hide = true)]
    one: Option<String>,
}

/// One measured configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Measurement {
    /// Network key.
    pub model: String,
    /// `stock`, `fast` or `torch`.
    pub impl_: String,
    /// Batch size.
    pub batch: usize,
    /// Worker threads.
    pub threads: usize,
    /// Seconds of each timed step.
    pub step_s: Vec<f64>,
    /// Median step time.
    pub median_s: f64,
    /// `batch / median_s`.
    pub images_per_s: f64,
    /// Peak resident memory of the process, MiB.
    pub peak_rss_mib: f64,
    /// Device (`cpu`, `cuda:0`; older results: empty).
    #[serde(default)]
    pub device: String,
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    if s.is_empty() {
        return f64::NAN;
    }
    let m = s.len() / 2;
    if s.len() % 2 == 1 {
        s[m]
    } else {
        0.5 * (s[m - 1] + s[m])
    }
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

fn threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&n: &usize| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Runs one configuration in this process.
fn run_one(
    model: BenchModel,
    ops: Ops,
    batch: usize,
    steps: usize,
    dev: &Device,
) -> Result<Measurement> {
    let arch = model.arch();
    let mut net = build(arch, 0, dev)?;
    net.set_ops(ops);
    let [c, h, w] = arch.input_shape();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let xs: Vec<f32> = (0..batch * c * h * w)
        .map(|_| rng.gen_range(-1.0..1.0))
        .collect();
    let xs = Tensor::from_vec(xs, (batch, c, h, w), dev)?;
    let ys: Vec<u32> = (0..batch)
        .map(|_| rng.gen_range(0..arch.num_classes() as u32))
        .collect();
    let ys = Tensor::from_vec(ys, batch, dev)?;
    let named = |v: Vec<layca_models::NamedVar>| {
        v.into_iter()
            .map(|nv| NamedParam::new(nv.name, nv.var))
            .collect::<Vec<_>>()
    };
    let cfg = OptimConfig::new(
        BaseOptimizer::Sgd {
            momentum: 0.0,
            nesterov: false,
        },
        Control::None,
        0.01,
    );
    let mut opt = LaycaOptimizer::new(named(net.kernels()), named(net.others()), cfg)?;
    let mut times = Vec::with_capacity(steps);
    for i in 0..=steps {
        let t0 = Instant::now();
        let logits = net.forward_t(&xs, true)?;
        let loss = candle_nn::loss::cross_entropy(&logits, &ys)?;
        let t1 = Instant::now();
        let grads = loss.backward()?;
        let t2 = Instant::now();
        opt.step(&grads)?;
        tracing::debug!(
            "step {i}: forward {:.1} ms, backward {:.1} ms, update {:.1} ms",
            (t1 - t0).as_secs_f64() * 1e3,
            (t2 - t1).as_secs_f64() * 1e3,
            t2.elapsed().as_secs_f64() * 1e3
        );
        let l = loss.to_dtype(DType::F64)?.to_scalar::<f64>()?;
        if !l.is_finite() {
            bail!("{}: non-finite loss {l} at step {i}", model.key());
        }
        if i > 0 {
            times.push(t0.elapsed().as_secs_f64());
        }
    }
    let m = median(&times);
    Ok(Measurement {
        model: model.key().into(),
        impl_: match ops {
            Ops::Fast => "fast".into(),
            Ops::Stock => "stock".into(),
        },
        batch,
        threads: threads(),
        step_s: times,
        median_s: m,
        images_per_s: batch as f64 / m,
        peak_rss_mib: peak_rss_mib(),
        device: layca_train::device_label(dev),
    })
}

fn child(
    model: BenchModel,
    ops: &str,
    batch: usize,
    steps: usize,
    device: &str,
) -> Result<Measurement> {
    let exe = std::env::current_exe().context("locating the xtask binary")?;
    let out = Command::new(exe)
        .args([
            "bench",
            "--one",
            &format!("{}:{ops}", model.key()),
            "--batch",
            &batch.to_string(),
            "--steps",
            &steps.to_string(),
            "--device",
            device,
        ])
        .output()
        .context("starting a benchmark child process")?;
    if !out.status.success() {
        bail!(
            "benchmark of {} ({ops}) failed: {}",
            model.key(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .context("benchmark child printed no result")?;
    Ok(serde_json::from_str(line)?)
}

/// Interpreter tried when none is named.
const DEFAULT_PYTHON: &str = "python3";

/// Checks that `python -c "import torch"` runs and succeeds; the error says why not.
fn check_torch(python: &str) -> Result<()> {
    let out = Command::new(python)
        .args(["-c", "import torch"])
        .output()
        .with_context(|| format!("cannot run the Python interpreter `{python}`"))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let last = stderr.lines().rev().find(|l| !l.trim().is_empty());
        bail!(
            "`{python} -c \"import torch\"` failed ({}){}",
            out.status,
            last.map(|l| format!(": {l}")).unwrap_or_default()
        );
    }
    Ok(())
}

/// The interpreter of the PyTorch comparison, or `None` to skip it: a named interpreter
/// (`--python` / `LAYCA_PYTHON`) must work (else an error); the default one is only tried.
fn torch_interpreter(named: Option<&str>, no_torch: bool) -> Result<Option<String>> {
    if no_torch {
        return Ok(None);
    }
    match named {
        Some(python) => {
            check_torch(python).with_context(|| {
                format!(
                    "the PyTorch comparison was requested with --python / LAYCA_PYTHON = \
                     `{python}` but cannot run (pass --no-torch to skip it)"
                )
            })?;
            Ok(Some(python.to_string()))
        }
        None => match check_torch(DEFAULT_PYTHON) {
            Ok(()) => Ok(Some(DEFAULT_PYTHON.to_string())),
            Err(e) => {
                tracing::info!(
                    "PyTorch comparison skipped: {e:#} (name an interpreter with --python PATH \
                     or LAYCA_PYTHON to require it)"
                );
                Ok(None)
            }
        },
    }
}

fn run_torch(python: &str, args: &BenchArgs, device: &Device) -> Result<Vec<Measurement>> {
    let (models, batch, steps) = (&args.models, args.batch, args.steps);
    let script = match &args.torch_script {
        Some(p) => p.clone(),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/bench_torch.py"),
    };
    if !script.is_file() {
        bail!(
            "PyTorch script {} not found (name it with --torch-script)",
            script.display()
        );
    }
    let torch_device = if device.is_cuda() { "cuda" } else { "cpu" };
    let mut all = Vec::new();
    for &m in models {
        let b = batch.unwrap_or(m.default_batch());
        let out = Command::new(python)
            .arg(&script)
            .args([
                "--model",
                m.key(),
                "--batch",
                &b.to_string(),
                "--steps",
                &steps.unwrap_or(m.default_steps()).to_string(),
                "--threads",
                &threads().to_string(),
                "--device",
                torch_device,
            ])
            .output()
            .with_context(|| format!("running {}", script.display()))?;
        if !out.status.success() {
            bail!(
                "PyTorch benchmark of {} failed: {}",
                m.key(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line = stdout
            .lines()
            .rev()
            .find(|l| l.starts_with('{'))
            .context("PyTorch benchmark printed no result")?;
        let mut m: Measurement = serde_json::from_str(line)?;
        m.device = layca_train::device_label(device);
        all.push(m);
    }
    Ok(all)
}

/// Entry point of `cargo xtask bench`.
pub fn run(args: &BenchArgs) -> Result<()> {
    if args.steps == Some(0) {
        bail!("--steps must be at least 1");
    }
    if let Some(one) = &args.one {
        let (m, ops) = one
            .split_once(':')
            .with_context(|| format!("--one expects <model>:<stock|fast>, got {one}"))?;
        let model = <BenchModel as clap::ValueEnum>::from_str(m, true)
            .map_err(|e| anyhow::anyhow!("--one: {e}"))?;
        let ops = match ops {
            "stock" => Ops::Stock,
            "fast" => Ops::Fast,
            o => bail!("--one: implementation must be stock or fast, got {o}"),
        };
        let batch = args.batch.unwrap_or(model.default_batch());
        let steps = args.steps.unwrap_or(model.default_steps());
        let dev = layca_train::parse_device(&args.device)?;
        let r = run_one(model, ops, batch, steps, &dev)?;
        println!("{}", serde_json::to_string(&r)?);
        return Ok(());
    }
    let device = layca_train::parse_device(&args.device)
        .with_context(|| format!("bench --device {}", args.device))?;
    let python = torch_interpreter(args.python.as_deref(), args.no_torch)?;
    let torch = python.is_some();
    let pb = indicatif::ProgressBar::new((args.models.len() * if torch { 3 } else { 2 }) as u64);
    pb.set_style(
        indicatif::ProgressStyle::with_template("bench {pos}/{len} [{elapsed_precise}] {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut results: Vec<Measurement> = Vec::new();
    for &m in &args.models {
        let batch = args.batch.unwrap_or(m.default_batch());
        for ops in ["stock", "fast"] {
            pb.set_message(format!("{} {ops}", m.key()));
            let steps = args.steps.unwrap_or(m.default_steps());
            let r = child(m, ops, batch, steps, &args.device)?;
            tracing::info!(
                "{} {ops}: {:.3} s/step, {:.1} images/s, peak {:.0} MiB",
                r.model,
                r.median_s,
                r.images_per_s,
                r.peak_rss_mib
            );
            results.push(r);
            pb.inc(1);
        }
    }
    if let Some(python) = &python {
        pb.set_message("PyTorch");
        let t = run_torch(python, args, &device)?;
        pb.inc(args.models.len() as u64);
        results.extend(t);
    } else if args.no_torch {
        tracing::info!("PyTorch comparison skipped (--no-torch)");
    }
    pb.finish_and_clear();
    print_table(&results, torch);
    layca_train::store::write_json_atomic(&args.out, &results)
        .with_context(|| format!("writing {}", args.out.display()))?;
    println!("results: {}", args.out.display());
    Ok(())
}

fn print_table(results: &[Measurement], torch: bool) {
    let find = |m: &str, i: &str| results.iter().find(|r| r.model == m && r.impl_ == i);
    println!(
        "one training step (forward + backward + SGD) on {}, {} threads; images/s (median step)",
        results.first().map_or("cpu", |r| r.device.as_str()),
        results.first().map_or(0, |r| r.threads)
    );
    print!(
        "{:<10} {:>6} {:>12} {:>12} {:>9} {:>11} {:>11}",
        "model", "batch", "stock", "layca-ops", "speedup", "stock MiB", "ops MiB"
    );
    if torch {
        print!(" {:>12} {:>12}", "PyTorch", "ops/PyTorch");
    }
    println!();
    let mut models: Vec<&str> = Vec::new();
    for r in results {
        if !models.contains(&r.model.as_str()) {
            models.push(r.model.as_str());
        }
    }
    for m in models {
        let (Some(s), Some(f)) = (find(m, "stock"), find(m, "fast")) else {
            continue;
        };
        print!(
            "{:<10} {:>6} {:>12.1} {:>12.1} {:>8.2}x {:>11.0} {:>11.0}",
            m,
            f.batch,
            s.images_per_s,
            f.images_per_s,
            f.images_per_s / s.images_per_s,
            s.peak_rss_mib,
            f.peak_rss_mib
        );
        if let Some(t) = find(m, "torch") {
            print!(
                " {:>12.1} {:>11.2}x",
                t.images_per_s,
                f.images_per_s / t.images_per_s
            );
        }
        println!();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(&[]).is_nan());
    }

    /// The harness runs one real step per implementation and reports consistent fields (no
    /// timing is asserted).
    #[test]
    fn one_step_per_implementation_is_measured() {
        for (ops, name) in [(Ops::Fast, "fast"), (Ops::Stock, "stock")] {
            let m = run_one(BenchModel::Mlp, ops, 32, 2, &Device::Cpu).unwrap();
            assert_eq!(
                (m.model.as_str(), m.impl_.as_str(), m.batch),
                ("mlp", name, 32)
            );
            assert_eq!(m.step_s.len(), 2);
            assert!(m.step_s.iter().all(|t| t.is_finite() && *t > 0.0));
            assert!((m.images_per_s - 32.0 / m.median_s).abs() < 1e-9);
            assert!(m.peak_rss_mib > 0.0);
            assert_eq!(m.device, "cpu");
        }
    }

    /// A named interpreter that cannot run, or runs but cannot import torch, is an error
    /// naming it, before any benchmark runs; auto-detection and `--no-torch` never fail.
    #[test]
    fn a_requested_python_that_cannot_be_used_is_an_error() {
        let missing = "/nonexistent/layca/python3";
        let e = format!("{:#}", torch_interpreter(Some(missing), false).unwrap_err());
        assert!(e.contains(missing), "{e}");
        assert!(e.contains("--python"), "{e}");
        // `false` runs and exits 1 whatever its arguments: an interpreter without torch.
        let e = format!("{:#}", torch_interpreter(Some("false"), false).unwrap_err());
        assert!(e.contains("import torch"), "{e}");
        assert_eq!(torch_interpreter(Some(missing), true).unwrap(), None);
        assert!(torch_interpreter(None, false).is_ok());
        let args = BenchArgs {
            models: vec![BenchModel::Mlp],
            steps: Some(1),
            batch: Some(2),
            python: Some(missing.into()),
            no_torch: false,
            device: "cpu".into(),
            torch_script: None,
            out: "unused.json".into(),
            one: None,
        };
        let e = format!("{:#}", run(&args).unwrap_err());
        assert!(e.contains(missing), "{e}");
    }

    #[test]
    fn bad_arguments_are_errors() {
        let mut args = BenchArgs {
            models: vec![BenchModel::Mlp],
            steps: Some(0),
            batch: None,
            python: None,
            no_torch: true,
            device: "cpu".into(),
            torch_script: None,
            out: "unused.json".into(),
            one: None,
        };
        assert!(run(&args).unwrap_err().to_string().contains("--steps"));
        args.steps = Some(1);
        args.one = Some("mlp".into());
        assert!(run(&args)
            .unwrap_err()
            .to_string()
            .contains("<model>:<stock|fast>"));
        args.one = Some("mlp:turbo".into());
        assert!(run(&args)
            .unwrap_err()
            .to_string()
            .contains("stock or fast"));
    }
}
