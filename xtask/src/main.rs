//! `cargo xtask` — orchestrates paper runs and renders figures.
//!
//! ```text
//! cargo xtask figure N|all [--scale smoke|cpu|paper] [--dry-run] [--out figures/] [--runs runs/]
//! cargo xtask sweep figure N --launcher slurm|local --out DIR [--submit]
//! cargo xtask models
//! cargo xtask train --task mnist --rho0 0.037 [--control layca] [--tensorboard DIR] ...
//! cargo xtask tune --task mnist --rho0 0.012 --probe 0.1 | --from-run DIR | --validate STORE
//! cargo xtask bench [--device cuda]
//! cargo xtask selftest [--device cuda] [--epoch-timing]
//! ```
use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// The process allocator: mimalloc. glibc malloc returns freed multi-megabyte tensors to the
/// kernel and zeroes fresh pages on every step (page faults), which made the MLP training
/// step 1.6× slower (see docs/bench/profile.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod bench;
mod figures;
mod models;
mod progress;
mod runner;
mod selftest;
mod sweep;
mod tensorboard;
mod train;
mod tune;

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

#[derive(Subcommand)]
enum Cmd {
    /// Regenerate a figure of the paper (PNG + SVG + JSON): `figure N` (1-13) or `figure all`.
    Figure {
        /// Figure number (1-13), or `all`.
        number: String,
        /// How big the runs are: paper (spec §6 exactly), cpu (reduced width, data and epochs;
        /// fits 2 cores) or smoke (tiny generated data, seconds).
        #[arg(long, value_enum, default_value = "cpu")]
        scale: figures::scale::Scale,
        /// List the runs (settings, whether they are done, estimated cost); train nothing.
        #[arg(long)]
        dry_run: bool,
        /// Output directory.
        #[arg(long, default_value = "figures")]
        out: PathBuf,
        /// Override the number of epochs of every run (milestones keep their fractions).
        #[arg(long)]
        epochs: Option<usize>,
        #[command(flatten)]
        common: Common,
    },
    /// Print, per task, the number of kernel layers, parameter count and ordered kernel names.
    Models,
    /// Train one run and print its record.
    Train(Box<train::TrainArgs>),
    /// A figure's runs as Slurm job arrays (or locally): `sweep figure N`, `sweep run`,
    /// `sweep collect`.
    Sweep(sweep::SweepArgs),
    /// Images/s of a full training step: stock candle vs layca-ops (vs PyTorch if installed).
    Bench(bench::BenchArgs),
    /// Predict each layer's final rotation from a short probe and suggest ρ(0).
    Tune(Box<tune::TuneArgs>),
    /// Device-generic checks (PASS/FAIL per check) or `--epoch-timing` of the CIFAR tasks.
    Selftest(selftest::SelftestArgs),
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
            scale,
            dry_run,
            out,
            epochs,
            common,
        } => {
            let req = figures::driver::FigureRequest {
                figures: select_figures(&number)?,
                scale,
                out,
                epochs,
                dry_run,
            };
            figures::driver::run(&common, &req).map(|_| ())
        }
        Cmd::Models => models::run(),
        Cmd::Train(args) => train::run(&args),
        Cmd::Bench(args) => bench::run(&args),
        Cmd::Sweep(args) => match sweep::run(&args)? {
            0 => Ok(()),
            code => std::process::exit(code),
        },
        Cmd::Tune(args) => tune::run(&args),
        Cmd::Selftest(args) => selftest::run(&args),
    }
}

/// The figures named on the command line: a number 1–13 or `all`.
fn select_figures(arg: &str) -> Result<Vec<&'static dyn figures::FigureSpec>> {
    if arg == "all" {
        return Ok(figures::REGISTRY.to_vec());
    }
    let n: u32 = arg
        .parse()
        .with_context(|| format!("figure `{arg}`: expected a number from 1 to 13, or `all`"))?;
    match figures::figure(n) {
        Some(f) => Ok(vec![f]),
        None => bail!("the paper has figures 1 to 13; got {n}"),
    }
}

/// Writes bytes atomically (temp file + rename).
pub fn write_bytes(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    layca_train::store::write_atomic(path, bytes)?;
    Ok(())
}

/// Writes pretty JSON atomically (temp file + rename) beside a figure.
pub fn write_json<T: serde::Serialize>(path: &std::path::Path, value: &T) -> Result<()> {
    layca_train::store::write_json_atomic(path, value)?;
    Ok(())
}
