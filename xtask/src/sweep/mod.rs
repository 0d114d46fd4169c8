//! `cargo xtask sweep`: a figure's runs as Slurm job arrays, one index per run.
//!
//! - `sweep figure N --launcher slurm|local --out DIR` writes `DIR/manifest.json` (the figure
//!   driver's scaled run list, one fully-resolved configuration per index, the data's source and
//!   fingerprint, hashed: [`manifest`]) and the batch scripts ([`sbatch`]): one array per wave
//!   (AdaptCopy runs in a second array, `afterok` on the first) and a collect job `afterok` on
//!   the arrays. `--submit` calls `sbatch`; by default the commands are printed. `--launcher
//!   local` runs every index here, one after another, through the same [`run_index`], then the
//!   same collect step.
//! - `sweep run --manifest M --index I` trains index I with the figure driver's engine: a
//!   finished run is skipped, a checkpointed one resumes, SIGUSR1/SIGTERM stop it at its last
//!   epoch checkpoint with exit status [`sbatch::EXIT_REQUEUE`].
//! - `sweep collect --manifest M` renders through the figure driver once every index is final
//!   (render only: every run is reused).
//!
//! No scheduling happens here: Slurm (or the local loop) decides what runs when.
use crate::figures::driver::{self, FigureRequest};
use crate::Common;
use anyhow::{bail, Context, Result};
use layca_train::data::load_task_data_limited;
use layca_train::{Engine, RunDir, RunStatus, TrainError};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub mod manifest;
pub mod sbatch;

#[cfg(test)]
mod tests;

use manifest::{Entry, Manifest};

/// `cargo xtask sweep …`.
#[derive(clap::Args, Debug)]
pub struct SweepArgs {
    #[command(subcommand)]
    pub cmd: SweepCmd,
}

/// Where the indices run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Launcher {
    /// Slurm job arrays (`sbatch`).
    Slurm,
    /// This machine, one index after another, through the same `sweep run` path.
    Local,
}

/// The sweep sub-commands.
#[derive(clap::Subcommand, Debug)]
pub enum SweepCmd {
    /// Write the manifest and batch scripts of a figure's runs (and submit or run them).
    Figure(Box<FigureSweep>),
    /// Train one index of a manifest (what each array task runs).
    Run {
        /// The manifest written by `sweep figure`.
        #[arg(long)]
        manifest: PathBuf,
        /// The index (`$SLURM_ARRAY_TASK_ID`).
        #[arg(long)]
        index: usize,
    },
    /// Render the figure once every index of the manifest has finished.
    Collect {
        /// The manifest written by `sweep figure`.
        #[arg(long)]
        manifest: PathBuf,
    },
}

/// `sweep figure N …`.
#[derive(clap::Args, Debug)]
pub struct FigureSweep {
    /// Figure number (1-13), or `all`.
    pub number: String,
    /// The scale (as `cargo xtask figure`).
    #[arg(long, value_enum, default_value = "cpu")]
    pub scale: crate::figures::scale::Scale,
    /// Override the number of epochs of every run.
    #[arg(long)]
    pub epochs: Option<usize>,
    /// slurm: write (and with `--submit`, submit) the scripts; local: run them here.
    #[arg(long, value_enum)]
    pub launcher: Launcher,
    /// The sweep directory: manifest, scripts, logs/ and the figure.
    #[arg(long)]
    pub out: PathBuf,
    /// Call `sbatch` (default: print the commands).
    #[arg(long)]
    pub submit: bool,
    #[command(flatten)]
    pub slurm: sbatch::SlurmOpts,
    #[command(flatten)]
    pub common: Common,
}

/// Runs a sweep sub-command; the process exit status (0, or [`sbatch::EXIT_REQUEUE`]).
pub fn run(args: &SweepArgs) -> Result<i32> {
    match &args.cmd {
        SweepCmd::Figure(f) => figure(f).map(|_| 0),
        SweepCmd::Run { manifest, index } => {
            let stop = stop_on_signals()?;
            match run_index(manifest, *index, &stop)? {
                IndexOutcome::Stopped => Ok(sbatch::EXIT_REQUEUE),
                IndexOutcome::Trained(status) => {
                    tracing::info!(index, status = status_text(&status), "sweep run done");
                    Ok(0)
                }
                IndexOutcome::AlreadyFinished => Ok(0),
            }
        }
        SweepCmd::Collect { manifest } => collect(manifest),
    }
}

/// The files `sweep figure` wrote.
#[derive(Debug)]
pub struct Written {
    /// `DIR/manifest.json`.
    pub manifest: PathBuf,
    /// Its content.
    pub m: Manifest,
    /// The scripts.
    pub scripts: sbatch::Scripts,
}

/// `sweep figure`: manifest + scripts; then submit, print, or run locally.
pub fn figure(f: &FigureSweep) -> Result<Written> {
    let w = write_sweep(f)?;
    println!(
        "sweep: {} indices ({} in wave 0), manifest {} ({})",
        w.m.body.entries.len(),
        w.m.body.wave_range(0).map_or(0, |(lo, hi)| hi - lo + 1),
        w.manifest.display(),
        w.m.hash
    );
    match (f.launcher, f.submit) {
        (Launcher::Local, _) => run_local(&w)?,
        (Launcher::Slurm, true) => submit(&w.scripts)?,
        (Launcher::Slurm, false) => print!("submit with:\n{}", w.scripts.submit),
    }
    Ok(w)
}

fn absolute(p: &Path) -> Result<PathBuf> {
    std::path::absolute(p).with_context(|| format!("resolving {}", p.display()))
}

/// Writes `manifest.json`, the array scripts, `collect.sbatch` and `submit.sh` under `--out`.
fn write_sweep(f: &FigureSweep) -> Result<Written> {
    let out = absolute(&f.out)?;
    std::fs::create_dir_all(out.join("logs"))
        .with_context(|| format!("creating {}/logs", out.display()))?;
    let mut common = f.common.clone();
    common.runs = absolute(&common.runs)?;
    if let Some(d) = &common.data_dir {
        if d.as_os_str() != "hf" && d.as_os_str() != "hub" {
            common.data_dir = Some(absolute(d)?);
        }
    }
    let figures = crate::select_figures(&f.number)?;
    let req = FigureRequest {
        figures: figures.clone(),
        scale: f.scale,
        out: out.clone(),
        epochs: f.epochs,
        dry_run: false,
    };
    // Generates the smoke data once, here, before any index runs.
    let source = driver::data_source(&common, f.scale)?;
    let jobs = driver::wave_jobs_of(&common, &req, &source)?;
    let numbers = figures.iter().map(|f| f.number()).collect();
    let m = manifest::build(&common, numbers, f.scale, f.epochs, &out, &jobs)?;
    let path = out.join("manifest.json");
    m.write(&path)?;
    let xtask = std::env::current_exe().context("locating the xtask binary")?;
    let scripts = sbatch::scripts(&m.body, &path, &m.hash, &xtask, &f.slurm);
    for (_, p, text) in &scripts.arrays {
        crate::write_bytes(p, text.as_bytes())?;
    }
    crate::write_bytes(&scripts.collect.0, scripts.collect.1.as_bytes())?;
    let submit = format!("#!/bin/bash\nset -eu\n{}", scripts.submit);
    crate::write_bytes(&out.join("submit.sh"), submit.as_bytes())?;
    Ok(Written {
        manifest: path,
        m,
        scripts,
    })
}

/// `--launcher local`: every index in order through [`run_index`], then [`collect`].
fn run_local(w: &Written) -> Result<()> {
    let stop = stop_on_signals()?;
    for e in &w.m.body.entries {
        if let IndexOutcome::Stopped = run_index(&w.manifest, e.index, &stop)? {
            bail!(
                "stopped by a signal at index {} (run the same command again to resume)",
                e.index
            );
        }
    }
    collect(&w.manifest).map(|_| ())
}

/// `sbatch` each array (the second `afterok` on the first), then the collect job `afterok` on
/// every array.
fn submit(s: &sbatch::Scripts) -> Result<()> {
    let mut ids: Vec<String> = Vec::new();
    for (wave, path, _) in &s.arrays {
        let id = sbatch_parsable(path, &ids)?;
        println!("wave {wave}: array job {id}");
        ids.push(id);
    }
    let id = sbatch_parsable(&s.collect.0, &ids)?;
    println!("collect: job {id} (afterok:{})", ids.join(":"));
    Ok(())
}

fn sbatch_parsable(script: &Path, after: &[String]) -> Result<String> {
    let mut cmd = std::process::Command::new("sbatch");
    cmd.arg("--parsable");
    if !after.is_empty() {
        cmd.arg(format!("--dependency=afterok:{}", after.join(":")));
    }
    let out = cmd
        .arg(script)
        .output()
        .context("running sbatch (is Slurm installed?)")?;
    if !out.status.success() {
        bail!(
            "sbatch {}: {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let id = text
        .trim()
        .split(';')
        .next()
        .unwrap_or_default()
        .to_string();
    if id.is_empty() {
        bail!("sbatch {}: printed no job id", script.display());
    }
    Ok(id)
}

/// A flag raised by SIGUSR1 or SIGTERM (a second SIGTERM exits at once).
fn stop_on_signals() -> Result<Arc<AtomicBool>> {
    use signal_hook::consts::{SIGTERM, SIGUSR1};
    let stop = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register_conditional_shutdown(SIGTERM, 1, stop.clone())?;
    signal_hook::flag::register(SIGTERM, stop.clone())?;
    signal_hook::flag::register(SIGUSR1, stop.clone())?;
    Ok(stop)
}

/// What `sweep run` did with an index.
#[derive(Debug, Clone)]
pub enum IndexOutcome {
    /// The run was final already: nothing trained.
    AlreadyFinished,
    /// Trained (or resumed) to its end: finished or diverged.
    Trained(RunStatus),
    /// Stopped by the flag; it resumes from its last checkpoint.
    Stopped,
}

/// Trains index `index` of the manifest with the figure driver's engine; `stop` is the
/// cooperative stop flag (raised by a signal).
pub fn run_index(manifest: &Path, index: usize, stop: &Arc<AtomicBool>) -> Result<IndexOutcome> {
    let m = Manifest::read(manifest)?;
    let e = m.body.entries.get(index).with_context(|| {
        format!(
            "{}: no index {index} (the sweep has {})",
            manifest.display(),
            m.body.entries.len()
        )
    })?;
    let common = m.body.common();
    let device = layca_train::parse_device(&common.device)?;
    let data = load_entry_data(&m, e, &device)?;
    check_replayed(&m, e)?;
    let mut engine = Engine::new(&common.runs, device);
    engine.progress = false;
    engine.checkpoint_interval = std::time::Duration::ZERO;
    engine.stop = Some(stop.clone());
    let dir = engine.run_dir(&e.config, &data.identity);
    if dir
        .root()
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        != Some(e.run.clone())
    {
        bail!(
            "index {index}: the run directory would be {} but the manifest says {}",
            dir.root().display(),
            e.run
        );
    }
    let was_final = dir.record()?.is_some_and(|r| r.status.is_final());
    tracing::info!(index, run = %e.label, dir = %dir.root().display(), "sweep run");
    match engine.run(&e.config, &data) {
        Ok(_) if was_final => {
            println!(
                "index {index}: {}: finished already, nothing trained",
                e.label
            );
            Ok(IndexOutcome::AlreadyFinished)
        }
        Ok(rec) => {
            println!("index {index}: {}: {}", e.label, status_text(&rec.status));
            Ok(IndexOutcome::Trained(rec.status))
        }
        Err(TrainError::Interrupted { steps }) if stop.load(Ordering::SeqCst) => {
            println!(
                "index {index}: {}: stopped by a signal after {steps} steps; resumes from its last epoch checkpoint",
                e.label
            );
            Ok(IndexOutcome::Stopped)
        }
        Err(err) => Err(err).with_context(|| format!("index {index}: {}", e.label)),
    }
}

fn status_text(s: &RunStatus) -> &'static str {
    match s {
        RunStatus::Finished { .. } => "finished",
        RunStatus::Diverged { .. } => "diverged",
        _ => "ended",
    }
}

/// The index's data, loaded as the driver loads it, with the fingerprint the manifest recorded.
fn load_entry_data(
    m: &Manifest,
    e: &Entry,
    device: &candle_core::Device,
) -> Result<layca_train::TaskData> {
    let source = driver::data_source(&m.body.common(), m.body.scale)?;
    let cfg = &e.config;
    let data = load_task_data_limited(cfg.task, &source, cfg.train_limit, e.eval_limit, device)
        .with_context(|| format!("index {}: loading the data of {}", e.index, cfg.task.name()))?;
    if data.identity.fingerprint != e.data_fingerprint {
        bail!(
            "index {}: the data ({}) has fingerprint {} but the manifest recorded {} ({}): \
             every index must train on the same data",
            e.index,
            data.identity.source,
            data.identity.fingerprint,
            e.data_fingerprint,
            e.data_source
        );
    }
    Ok(data)
}

/// An AdaptCopy index needs the run it replays to be final (the second array runs `afterok`
/// on the first).
fn check_replayed(m: &Manifest, e: &Entry) -> Result<()> {
    let Some(src) = e.replays else {
        return Ok(());
    };
    let dir = RunDir::new(&m.body.runs, &m.body.entries[src].run);
    let done = dir.record()?.is_some_and(|r| r.status.is_final());
    if !done {
        bail!(
            "index {}: it replays index {src} ({}), which has not finished",
            e.index,
            dir.root().display()
        );
    }
    Ok(())
}

/// `sweep collect`: every index must be final; the figure driver then renders (reusing every
/// run, training nothing).
pub fn collect(manifest: &Path) -> Result<i32> {
    let m = Manifest::read(manifest)?;
    let missing: Vec<usize> = m
        .body
        .entries
        .iter()
        .filter(|e| {
            !RunDir::new(&m.body.runs, &e.run)
                .record()
                .ok()
                .flatten()
                .is_some_and(|r| r.status.is_final())
        })
        .map(|e| e.index)
        .collect();
    if !missing.is_empty() {
        bail!(
            "{}: indices {missing:?} have not finished (run them first)",
            manifest.display()
        );
    }
    let figures = m
        .body
        .figures
        .iter()
        .map(|&n| crate::figures::figure(n).with_context(|| format!("no figure {n}")))
        .collect::<Result<Vec<_>>>()?;
    let req = FigureRequest {
        figures,
        scale: m.body.scale,
        out: m.body.out.clone(),
        epochs: m.body.epochs,
        dry_run: false,
    };
    driver::run(&m.body.common(), &req)?;
    Ok(0)
}
