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

/// The process allocator: mimalloc, told to keep freed memory ([`keep_freed_memory`]).
/// glibc malloc hands every freed multi-megabyte tensor back to the kernel and faults in
/// fresh zeroed pages for the next one, on every step: the MLP step took 1.6× as long
/// (docs/bench/profile.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay`: index 15 of mimalloc v3's `mi_option_e` (the version
/// libmimalloc-sys 0.1.49 builds; it names no constant for this option).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Training frees and reallocates the same tensor sizes every step: with mimalloc's default
/// (purge freed pages after 10 ms) the kernel still zeroes fresh huge pages for them
/// (`clear_page_erms` was 22 % of a ResNet-32 step under `perf`). Never purging keeps the
/// pages; the resident set stays the step's peak. `MIMALLOC_PURGE_DELAY` in the environment
/// still wins.
fn keep_freed_memory() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets a process-wide allocator option; no allocation state is touched.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    }
}

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

#[cfg(test)]
impl Common {
    /// The tests' settings: a run store under `root`, CPU, no progress bars, `jobs` at once.
    pub(crate) fn for_tests(root: &std::path::Path, jobs: usize) -> Self {
        Self {
            runs: root.join("runs"),
            device: "cpu".into(),
            data_dir: None,
            quiet: true,
            jobs,
        }
    }
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
    keep_freed_memory();
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

#[cfg(test)]
mod allocator_tests {
    /// [`super::keep_freed_memory`] sets option 15 to -1. That index is `purge_delay`:
    /// `MIMALLOC_VERBOSE=1` lists the options in enum order, and the 16th is 'purge_delay'
    /// (checked for libmimalloc-sys 0.1.49; re-check when upgrading).
    #[test]
    fn purge_delay_is_set_to_never() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            println!("SKIPPED purge_delay_is_set_to_never: MIMALLOC_PURGE_DELAY is set");
            return;
        }
        super::keep_freed_memory();
        // SAFETY: reads an allocator option.
        let v = unsafe { libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY) };
        assert_eq!(v, -1);
    }
}
