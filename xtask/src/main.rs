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
    Train(train::TrainArgs),
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
        Cmd::Train(args) => train::run(&args).context("train"),
    }
}

/// Writes pretty JSON atomically (temp file + rename) beside a figure.
pub fn write_json<T: serde::Serialize>(path: &std::path::Path, value: &T) -> Result<()> {
    layca_train::store::write_json_atomic(path, value)?;
    Ok(())
}
