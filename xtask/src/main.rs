//! `cargo xtask` — orchestrates paper runs and renders figures.
//!
//! ```text
//! cargo xtask figure 8 [--out figures/] [--runs runs/] [--device cpu]
//! cargo xtask models
//! cargo xtask train --task mnist --rho0 0.037 [--control layca] ...
//! ```
use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use std::path::PathBuf;

mod bench;
mod figures;
mod models;
mod progress;
mod train;

#[derive(Parser)]
#[command(name = "xtask", about = "layca: reproduce the layer-rotation paper")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

/// Options shared by every command that trains.
#[derive(clap::Args, Clone, Debug)]
pub struct Common {
    /// Directory of the run store (one sub-directory per run).
    #[arg(long, default_value = "runs")]
    pub runs: PathBuf,
    /// Device: cpu, cuda or cuda:N.
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// Directory holding the data set in its publisher's format, or `hf` for the Hugging Face
    /// cache (MNIST is embedded and needs neither).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Hide progress bars.
    #[arg(long)]
    pub quiet: bool,
    /// Runs trained concurrently (default: 2, or 1 on a single core).
    #[arg(long, default_value_t = default_jobs())]
    pub jobs: usize,
}

fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(2))
}

/// Trains `cfgs` with up to `jobs` runs at a time; returns the records in `cfgs` order.
/// Finished runs are reused by the engine; the first error stops the remaining runs.
pub fn run_all(
    engine: &layca_train::Engine,
    cfgs: &[layca_train::RunConfig],
    labels: &[String],
    data: &layca_train::TaskData,
    jobs: usize,
    bar: &progress::RunsBar,
) -> Result<Vec<layca_train::RunRecord>> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let results: Vec<std::sync::Mutex<Option<layca_train::Result<layca_train::RunRecord>>>> =
        cfgs.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..jobs.clamp(1, cfgs.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= cfgs.len() || failed.load(Ordering::SeqCst) {
                    break;
                }
                bar.start(&labels[i]);
                let r = engine.run(&cfgs[i], data);
                if r.is_err() {
                    failed.store(true, Ordering::SeqCst);
                }
                bar.finish_one();
                *results[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
            });
        }
    });
    let mut out = Vec::with_capacity(cfgs.len());
    for (i, slot) in results.into_iter().enumerate() {
        match slot.into_inner().unwrap_or_else(|e| e.into_inner()) {
            Some(r) => out.push(r.with_context(|| format!("run {}", labels[i]))?),
            None => bail!(
                "run {} was not started because an earlier run failed",
                labels[i]
            ),
        }
    }
    Ok(out)
}

#[derive(Subcommand)]
enum Cmd {
    /// Regenerate a figure of the paper (PNG + SVG + JSON).
    Figure {
        /// Figure number (1-13).
        number: u32,
        /// Output directory.
        #[arg(long, default_value = "figures")]
        out: PathBuf,
        /// Override the number of epochs of every run (smaller scale; default: the paper's).
        #[arg(long)]
        epochs: Option<usize>,
        #[command(flatten)]
        common: Common,
    },
    /// Print, per task, the number of kernel layers, parameter count and ordered kernel names.
    Models,
    /// Train one run and print its record.
    Train(Box<train::TrainArgs>),
    /// Images/s of a full training step: stock candle vs layca-ops (vs PyTorch if installed).
    Bench(bench::BenchArgs),
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Figure {
            number,
            out,
            epochs,
            common,
        } => match number {
            8 => figures::fig08::run(&common, &out, epochs),
            1..=13 => bail!(
                "figure {number} is not implemented yet (it needs the CIFAR-10/100 or Tiny ImageNet \
                 runs of spec §6); available now: figure 8"
            ),
            _ => bail!("the paper has figures 1 to 13; got {number}"),
        },
        Cmd::Models => models::run(),
        Cmd::Train(args) => train::run(&args),
        Cmd::Bench(args) => bench::run(&args),
    }
}

/// Writes pretty JSON atomically (temp file + rename) beside a figure.
pub fn write_json<T: serde::Serialize>(path: &std::path::Path, value: &T) -> Result<()> {
    layca_train::store::write_json_atomic(path, value)?;
    Ok(())
}
