//! `cargo xtask bench`: images/s of one full training step (forward in train mode,
//! cross-entropy, backward, SGD update) for the paper's networks (ResNet-32, C10-CNN1,
//! C10-CNN2, the MNIST MLP) and for the narrow variants that the `cpu` scale of the figures
//! trains (widths and batch sizes from `figures::scale`), with stock candle ops and with
//! `layca-ops`, and with PyTorch eager on the same number of threads in both memory layouts
//! (default and `channels_last`; the MLP has no layout). PyTorch is required when an
//! interpreter is named (`--python PATH` or `LAYCA_PYTHON`, an error if it cannot run or
//! cannot import torch), else run when `python3 -c "import torch"` works (skipped with a
//! message otherwise).
//!
//! `--device cuda` runs the same step on the GPU (stock candle vs the CUDA kernels of
//! `layca-ops`) and PyTorch eager on CUDA (`bench_torch.py --device cuda`).
//!
//! Every configuration runs `--repeats R` times, each in its own child process (this binary,
//! `bench --one`, or the PyTorch script), so that its peak resident memory (`VmHWM`) is its
//! own and no allocator state is shared. Each process reports the median of its timed steps;
//! a configuration's figure is the median of those process medians. The repeats are
//! interleaved (every implementation of a network once, then again), so that a slow phase of
//! a shared machine hits all of them alike.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use candle_core::{DType, Device, Tensor};
use layca_models::{build_scaled, Arch, Ops};
use layca_optim::{BaseOptimizer, Control, LaycaOptimizer, NamedParam, OptimConfig};
use layca_train::TaskId;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::figures::scale::Scale;

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
    /// C10-CNN1 at the `cpu` figure scale (widths / 8).
    #[value(name = "c10-cnn1-cpu")]
    #[serde(rename = "c10-cnn1-cpu")]
    C10Cnn1Cpu,
    /// C10-CNN2 at the `cpu` figure scale (widths / 8).
    #[value(name = "c10-cnn2-cpu")]
    #[serde(rename = "c10-cnn2-cpu")]
    C10Cnn2Cpu,
    /// ResNet-32 (C100-resnet) at the `cpu` figure scale (widths / 4).
    #[value(name = "resnet32-cpu")]
    #[serde(rename = "resnet32-cpu")]
    Resnet32Cpu,
    /// ResNet-110 (C10-resnet) at the `cpu` figure scale (widths / 8).
    #[value(name = "resnet110-cpu")]
    #[serde(rename = "resnet110-cpu")]
    Resnet110Cpu,
    /// WRN-28-10 (C100-WRN) at the `cpu` figure scale (widths / 16).
    #[value(name = "wrn-cpu")]
    #[serde(rename = "wrn-cpu")]
    WrnCpu,
    /// tiny-CNN at the `cpu` figure scale (widths / 8, 64×64 inputs).
    #[value(name = "tiny-cnn-cpu")]
    #[serde(rename = "tiny-cnn-cpu")]
    TinyCnnCpu,
}

/// The networks benchmarked by default: the paper's four, then the `cpu`-scale variants.
const ALL_MODELS: [BenchModel; 10] = [
    BenchModel::Resnet32,
    BenchModel::C10Cnn1,
    BenchModel::C10Cnn2,
    BenchModel::Mlp,
    BenchModel::Resnet32Cpu,
    BenchModel::C10Cnn1Cpu,
    BenchModel::C10Cnn2Cpu,
    BenchModel::Resnet110Cpu,
    BenchModel::WrnCpu,
    BenchModel::TinyCnnCpu,
];

/// PyTorch memory layouts.
const LAYOUTS: [(&str, &str); 2] = [("torch", "default"), ("torch-cl", "channels_last")];

impl BenchModel {
    /// The figure task whose `cpu`-scale runs this row measures (`None`: a paper-width row).
    fn cpu_task(self) -> Option<TaskId> {
        match self {
            BenchModel::C10Cnn1Cpu => Some(TaskId::C10Cnn1),
            BenchModel::C10Cnn2Cpu => Some(TaskId::C10Cnn2),
            BenchModel::Resnet32Cpu => Some(TaskId::C100Resnet),
            BenchModel::Resnet110Cpu => Some(TaskId::C10Resnet110),
            BenchModel::WrnCpu => Some(TaskId::C100Wrn),
            BenchModel::TinyCnnCpu => Some(TaskId::TinyCnn),
            _ => None,
        }
    }
    fn arch(self) -> Arch {
        match (self, self.cpu_task()) {
            (_, Some(t)) => t.spec().arch,
            (BenchModel::Resnet32, _) => Arch::Resnet32,
            (BenchModel::C10Cnn1, _) => Arch::C10Cnn1,
            (BenchModel::C10Cnn2, _) => Arch::C10Cnn2,
            _ => Arch::MnistMlp,
        }
    }
    /// Hidden widths divided by this (`figures::scale`'s `cpu` divisor for the task).
    fn width_divisor(self) -> usize {
        self.cpu_task()
            .map_or(1, |t| Scale::Cpu.task(t).width_divisor)
    }
    fn default_batch(self) -> usize {
        match (self, self.cpu_task()) {
            (_, Some(t)) => Scale::Cpu.task(t).batch_size.unwrap_or(t.spec().batch_size),
            (BenchModel::Mlp, _) => 2048,
            _ => 128,
        }
    }
    fn default_steps(self) -> usize {
        match self {
            BenchModel::Resnet32 | BenchModel::C10Cnn1 | BenchModel::C10Cnn2 => 3,
            _ => 10,
        }
    }
    fn key(self) -> &'static str {
        match self {
            BenchModel::Resnet32 => "resnet32",
            BenchModel::C10Cnn1 => "c10-cnn1",
            BenchModel::C10Cnn2 => "c10-cnn2",
            BenchModel::Mlp => "mlp",
            BenchModel::C10Cnn1Cpu => "c10-cnn1-cpu",
            BenchModel::C10Cnn2Cpu => "c10-cnn2-cpu",
            BenchModel::Resnet32Cpu => "resnet32-cpu",
            BenchModel::Resnet110Cpu => "resnet110-cpu",
            BenchModel::WrnCpu => "wrn-cpu",
            BenchModel::TinyCnnCpu => "tiny-cnn-cpu",
        }
    }
    /// The network name the PyTorch script builds (`--model`), at `--divisor`.
    fn torch_arch(self) -> &'static str {
        match self.arch() {
            Arch::Resnet32 => "resnet32",
            Arch::Resnet110 => "resnet110",
            Arch::C10Cnn1 => "c10-cnn1",
            Arch::C10Cnn2 => "c10-cnn2",
            Arch::Wrn28_10 => "wrn28-10",
            Arch::TinyCnn => "tiny-cnn",
            Arch::MnistMlp => "mlp",
        }
    }
    /// PyTorch layouts measured: both for the convolutional networks, the default for the MLP.
    fn torch_layouts(self) -> &'static [(&'static str, &'static str)] {
        if self.arch() == Arch::MnistMlp {
            &LAYOUTS[..1]
        } else {
            &LAYOUTS
        }
    }
    /// Row label of the table.
    fn label(self) -> String {
        let name = match self.arch() {
            Arch::Resnet32 => "ResNet-32",
            Arch::Resnet110 => "ResNet-110",
            Arch::C10Cnn1 => "C10-CNN1",
            Arch::C10Cnn2 => "C10-CNN2",
            Arch::Wrn28_10 => "WRN-28-10",
            Arch::TinyCnn => "tiny-CNN",
            Arch::MnistMlp => "MNIST MLP",
        };
        match self.width_divisor() {
            1 => name.to_string(),
            d => format!("{name} /{d}"),
        }
    }
}

/// Arguments of `cargo xtask bench`.
#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Networks to benchmark (default: all: the paper's four, then the `cpu`-scale variants).
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = ALL_MODELS)]
    models: Vec<BenchModel>,
    /// Timed steps per process (after one untimed warm-up step); the process reports their
    /// median. Default: 3 for the paper-width CNNs, 10 for the MLP and the `cpu` variants.
    #[arg(long)]
    steps: Option<usize>,
    /// Processes per configuration; the figure reported is the median of their medians.
    #[arg(long, default_value_t = 3)]
    repeats: usize,
    /// Batch size for every network (default: 128 for the CNNs and the `cpu`-scale variants
    /// (their tasks' batch), 2048 for the MLP).
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
    /// Skip stock candle (the slowest configuration; the speed-up column is then empty).
    #[arg(long)]
    no_stock: bool,
    /// Device: cpu, cuda or cuda:N (PyTorch then runs on CUDA too).
    #[arg(long, default_value = "cpu")]
    device: String,
    /// The PyTorch script (default: `xtask/scripts/bench_torch.py` of the source tree this
    /// binary was built from; name it when the binary runs elsewhere).
    #[arg(long, env = "LAYCA_TORCH_SCRIPT")]
    torch_script: Option<PathBuf>,
    /// Where to write the results (JSON: the rows of the table and every process's run).
    #[arg(long, default_value = "bench/train-step.json")]
    out: PathBuf,
    /// Internal: run one configuration `<model>:<stock|fast>` and print one JSON line.
    #[arg(long, hide = true)]
    one: Option<String>,
}

/// One measured process.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Measurement {
    /// Network key.
    pub model: String,
    /// `stock`, `fast`, `torch` (PyTorch, default layout) or `torch-cl` (`channels_last`).
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

/// One configuration over its repeated processes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Row {
    /// Network key.
    pub model: String,
    /// Hidden widths divided by this (1: the paper's network).
    pub width_divisor: usize,
    /// As in [`Measurement::impl_`].
    pub impl_: String,
    /// Batch size.
    pub batch: usize,
    /// Worker threads.
    pub threads: usize,
    /// Median step time of each process.
    pub process_median_s: Vec<f64>,
    /// Median of `process_median_s`.
    pub median_s: f64,
    /// `batch / median_s`.
    pub images_per_s: f64,
    /// Largest peak resident memory of the processes, MiB.
    pub peak_rss_mib: f64,
}

/// What `cargo xtask bench` writes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// Worker threads of every configuration.
    pub threads: usize,
    /// Processes per configuration.
    pub repeats: usize,
    /// One row per (network, implementation): the median of the process medians.
    pub rows: Vec<Row>,
    /// Every process, in the order run.
    pub runs: Vec<Measurement>,
    /// The CPU GEMM kernels of the `layca-ops` processes ([`layca_ops::cpu_gemm`]; older
    /// results: empty).
    #[serde(default)]
    pub cpu_gemm: String,
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

/// Combines the processes of one configuration (all of one model and implementation).
fn aggregate(model: BenchModel, runs: &[Measurement]) -> Option<Row> {
    let first = runs.first()?;
    let process_median_s: Vec<f64> = runs.iter().map(|r| r.median_s).collect();
    let median_s = median(&process_median_s);
    Some(Row {
        model: first.model.clone(),
        width_divisor: model.width_divisor(),
        impl_: first.impl_.clone(),
        batch: first.batch,
        threads: first.threads,
        process_median_s,
        median_s,
        images_per_s: first.batch as f64 / median_s,
        peak_rss_mib: runs.iter().map(|r| r.peak_rss_mib).fold(f64::NAN, f64::max),
    })
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
    let mut net = build_scaled(arch, model.width_divisor(), 0, dev)?;
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
    last_json_line(&out.stdout, "benchmark child")
}

/// The measurement a child process printed: its last line that is a JSON object.
fn last_json_line(stdout: &[u8], who: &str) -> Result<Measurement> {
    let stdout = String::from_utf8_lossy(stdout);
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .with_context(|| format!("{who} printed no result"))?;
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

/// One PyTorch process: `model` in `layout` (`default` or `channels_last`), reported as
/// implementation `impl_`.
fn run_torch(
    python: &str,
    args: &BenchArgs,
    model: BenchModel,
    (impl_, layout): (&str, &str),
    device: &Device,
) -> Result<Measurement> {
    let batch = args.batch.unwrap_or(model.default_batch());
    let steps = args.steps.unwrap_or(model.default_steps());
    let script = torch_script(args)?;
    let torch_device = if device.is_cuda() { "cuda" } else { "cpu" };
    let out = Command::new(python)
        .arg(&script)
        .args([
            "--model",
            model.torch_arch(),
            "--divisor",
            &model.width_divisor().to_string(),
            "--layout",
            layout,
            "--batch",
            &batch.to_string(),
            "--steps",
            &steps.to_string(),
            "--threads",
            &threads().to_string(),
            "--device",
            torch_device,
        ])
        .output()
        .with_context(|| format!("running {}", script.display()))?;
    if !out.status.success() {
        bail!(
            "PyTorch benchmark of {} ({layout}) failed: {}",
            model.key(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut m = last_json_line(&out.stdout, "PyTorch benchmark")?;
    m.model = model.key().into();
    m.impl_ = impl_.into();
    m.device = layca_train::device_label(device);
    Ok(m)
}

/// The PyTorch script: `--torch-script`, else the one of the source tree this binary was
/// built from.
fn torch_script(args: &BenchArgs) -> Result<PathBuf> {
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
    Ok(script)
}

/// Runs `--one <model>:<stock|fast>` in this process and prints its JSON line.
fn run_child_mode(args: &BenchArgs, one: &str) -> Result<()> {
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
    Ok(())
}

/// The implementations measured for `model`, in run order: `(impl_, torch layout)`.
fn impls(model: BenchModel, stock: bool, torch: bool) -> Vec<(&'static str, Option<&'static str>)> {
    let mut v = Vec::new();
    if stock {
        v.push(("stock", None));
    }
    v.push(("fast", None));
    if torch {
        v.extend(model.torch_layouts().iter().map(|&(i, l)| (i, Some(l))));
    }
    v
}

/// Entry point of `cargo xtask bench`.
pub fn run(args: &BenchArgs) -> Result<()> {
    if args.steps == Some(0) {
        bail!("--steps must be at least 1");
    }
    if args.repeats == 0 {
        bail!("--repeats must be at least 1");
    }
    if let Some(one) = &args.one {
        return run_child_mode(args, one);
    }
    let device = layca_train::parse_device(&args.device)
        .with_context(|| format!("bench --device {}", args.device))?;
    let python = torch_interpreter(args.python.as_deref(), args.no_torch)?;
    let torch = python.is_some();
    let plan: Vec<(BenchModel, Vec<_>)> = args
        .models
        .iter()
        .map(|&m| (m, impls(m, !args.no_stock, torch)))
        .collect();
    let total: usize = plan.iter().map(|(_, v)| v.len() * args.repeats).sum();
    let pb = indicatif::ProgressBar::new(total as u64);
    pb.set_style(
        indicatif::ProgressStyle::with_template("bench {pos}/{len} [{elapsed_precise}] {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut runs: Vec<Measurement> = Vec::new();
    let mut rows: Vec<Row> = Vec::new();
    for (m, impls) in &plan {
        let batch = args.batch.unwrap_or(m.default_batch());
        let steps = args.steps.unwrap_or(m.default_steps());
        let mut per_impl: Vec<Vec<Measurement>> = vec![Vec::new(); impls.len()];
        for rep in 0..args.repeats {
            for (k, &(impl_, layout)) in impls.iter().enumerate() {
                pb.set_message(format!(
                    "{} {impl_} ({}/{})",
                    m.key(),
                    rep + 1,
                    args.repeats
                ));
                let r = match (layout, &python) {
                    (Some(l), Some(py)) => run_torch(py, args, *m, (impl_, l), &device)?,
                    _ => child(*m, impl_, batch, steps, &args.device)?,
                };
                tracing::info!(
                    "{} {impl_}: {:.3} s/step, {:.1} images/s, peak {:.0} MiB",
                    r.model,
                    r.median_s,
                    r.images_per_s,
                    r.peak_rss_mib
                );
                per_impl[k].push(r.clone());
                runs.push(r);
                pb.inc(1);
            }
        }
        rows.extend(per_impl.iter().filter_map(|v| aggregate(*m, v)));
    }
    if args.no_torch {
        tracing::info!("PyTorch comparison skipped (--no-torch)");
    }
    pb.finish_and_clear();
    let report = Report {
        threads: threads(),
        repeats: args.repeats,
        rows,
        runs,
        cpu_gemm: layca_ops::cpu_gemm(),
    };
    tracing::info!("layca-ops GEMMs: {}", report.cpu_gemm);
    print_table(&report, &args.models, torch);
    layca_train::store::write_json_atomic(&args.out, &report)
        .with_context(|| format!("writing {}", args.out.display()))?;
    println!("results: {}", args.out.display());
    Ok(())
}

/// The faster PyTorch layout among a network's rows.
fn best_torch<'a>(rows: &[&'a Row]) -> Option<&'a Row> {
    rows.iter()
        .filter(|r| r.impl_.starts_with("torch"))
        .max_by(|a, b| a.images_per_s.total_cmp(&b.images_per_s))
        .copied()
}

fn print_table(report: &Report, models: &[BenchModel], torch: bool) {
    println!(
        "one training step (forward + backward + SGD) on {}, {} threads; images/s: median over \
         {} processes of each process's median step",
        report.runs.first().map_or("cpu", |r| r.device.as_str()),
        report.threads,
        report.repeats
    );
    print!(
        "{:<18} {:>6} {:>10} {:>10} {:>8} {:>9} {:>9}",
        "network", "batch", "stock", "layca-ops", "speedup", "stock MiB", "ops MiB"
    );
    if torch {
        print!(
            " {:>10} {:>10} {:>13}",
            "PyTorch", "PyTorch-CL", "ops/best-PT"
        );
    }
    println!();
    let cell = |r: Option<&Row>| r.map_or("-".to_string(), |r| format!("{:.1}", r.images_per_s));
    let mib = |r: Option<&Row>| r.map_or("-".to_string(), |r| format!("{:.0}", r.peak_rss_mib));
    for &m in models {
        let rows: Vec<&Row> = report.rows.iter().filter(|r| r.model == m.key()).collect();
        let find = |i: &str| rows.iter().find(|r| r.impl_ == i).copied();
        let (s, f) = (find("stock"), find("fast"));
        let Some(f) = f else { continue };
        let speedup = s.map_or("-".to_string(), |s| {
            format!("{:.2}x", f.images_per_s / s.images_per_s)
        });
        print!(
            "{:<18} {:>6} {:>10} {:>10.1} {:>8} {:>9} {:>9.0}",
            m.label(),
            f.batch,
            cell(s),
            f.images_per_s,
            speedup,
            mib(s),
            f.peak_rss_mib
        );
        if torch {
            let ratio = best_torch(&rows).map_or("-".to_string(), |t| {
                format!("{:.2}x", f.images_per_s / t.images_per_s)
            });
            print!(
                " {:>10} {:>10} {:>13}",
                cell(find("torch")),
                cell(find("torch-cl")),
                ratio
            );
        }
        println!();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(models: Vec<BenchModel>) -> BenchArgs {
        BenchArgs {
            models,
            steps: Some(1),
            repeats: 1,
            batch: Some(2),
            python: None,
            no_torch: true,
            no_stock: false,
            device: "cpu".into(),
            torch_script: None,
            out: "unused.json".into(),
            one: None,
        }
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(&[]).is_nan());
    }

    fn measured(impl_: &str, median_s: f64, rss: f64) -> Measurement {
        Measurement {
            model: "resnet32-cpu".into(),
            impl_: impl_.into(),
            batch: 128,
            threads: 2,
            step_s: vec![median_s],
            median_s,
            images_per_s: 128.0 / median_s,
            peak_rss_mib: rss,
            device: "cpu".into(),
        }
    }

    /// A row is the median of the process medians (not of all steps pooled), its peak memory
    /// the largest process's; the best PyTorch layout is the faster one.
    #[test]
    fn rows_are_medians_of_process_medians() {
        let runs = [
            measured("fast", 2.0, 10.0),
            measured("fast", 1.0, 30.0),
            measured("fast", 4.0, 20.0),
        ];
        let r = aggregate(BenchModel::Resnet32Cpu, &runs).unwrap();
        assert_eq!(r.process_median_s, vec![2.0, 1.0, 4.0]);
        assert_eq!(r.median_s, 2.0);
        assert_eq!(r.images_per_s, 64.0);
        assert_eq!(r.peak_rss_mib, 30.0);
        assert_eq!(r.width_divisor, 4);
        assert!(aggregate(BenchModel::Mlp, &[]).is_none());
        let pt = aggregate(BenchModel::Resnet32Cpu, &[measured("torch", 2.0, 1.0)]).unwrap();
        let cl = aggregate(BenchModel::Resnet32Cpu, &[measured("torch-cl", 1.5, 1.0)]).unwrap();
        assert_eq!(best_torch(&[&r, &pt, &cl]).unwrap().impl_, "torch-cl");
        assert_eq!(best_torch(&[&r]).map(|r| r.impl_.clone()), None);
    }

    /// The `cpu` rows train exactly what the figures train: the task's network, the width
    /// divisor and batch of `figures::scale`; PyTorch runs both layouts except on the MLP.
    #[test]
    fn cpu_rows_follow_the_figure_scale() {
        for m in ALL_MODELS {
            match m.cpu_task() {
                Some(t) => {
                    assert_eq!(m.arch(), t.spec().arch, "{m:?}");
                    assert_eq!(m.width_divisor(), Scale::Cpu.task(t).width_divisor);
                    assert!(m.width_divisor() > 1, "{m:?}");
                    assert_eq!(m.default_batch(), t.spec().batch_size);
                }
                None => assert_eq!(m.width_divisor(), 1),
            }
            let key = <BenchModel as clap::ValueEnum>::from_str(m.key(), true).unwrap();
            assert_eq!(key, m);
            let layouts = m.torch_layouts().len();
            assert_eq!(layouts, if m == BenchModel::Mlp { 1 } else { 2 }, "{m:?}");
        }
        assert_eq!(BenchModel::Resnet32Cpu.label(), "ResNet-32 /4");
        assert_eq!(BenchModel::WrnCpu.width_divisor(), 16);
        assert_eq!(
            impls(BenchModel::C10Cnn1, false, true),
            vec![
                ("fast", None),
                ("torch", Some("default")),
                ("torch-cl", Some("channels_last"))
            ]
        );
    }

    /// The harness runs one real step per implementation and reports consistent fields (no
    /// timing is asserted); a narrow network builds and trains at its divisor.
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
        let m = run_one(BenchModel::Resnet110Cpu, Ops::Fast, 4, 1, &Device::Cpu).unwrap();
        assert_eq!((m.model.as_str(), m.step_s.len()), ("resnet110-cpu", 1));
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
        let mut a = args(vec![BenchModel::Mlp]);
        a.python = Some(missing.into());
        a.no_torch = false;
        let e = format!("{:#}", run(&a).unwrap_err());
        assert!(e.contains(missing), "{e}");
    }

    #[test]
    fn bad_arguments_are_errors() {
        let mut a = args(vec![BenchModel::Mlp]);
        a.steps = Some(0);
        assert!(run(&a).unwrap_err().to_string().contains("--steps"));
        a.steps = Some(1);
        a.repeats = 0;
        assert!(run(&a).unwrap_err().to_string().contains("--repeats"));
        a.repeats = 1;
        a.one = Some("mlp".into());
        assert!(run(&a)
            .unwrap_err()
            .to_string()
            .contains("<model>:<stock|fast>"));
        a.one = Some("mlp:turbo".into());
        assert!(run(&a).unwrap_err().to_string().contains("stock or fast"));
    }
}
