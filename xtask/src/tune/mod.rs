//! `cargo xtask tune`: predict each layer's final rotation from a short probe, suggest ρ(0).
//!
//! A probe is the first fraction of a run: trained here (`--task ...`, with `steps.jsonl`), or read
//! from an existing run (`--from-run DIR`). [`model`] fits each layer's rotation curve on the
//! probe and extrapolates it over the full schedule; [`suggest`] scales ρ(0) (η(0) under plain
//! SGD, assuming the probe's angle per unit learning rate carries over) until every layer's
//! predicted final cosine distance reaches the target (the paper's rule of thumb: close to 1).
//! `--validate STORE` replays the probe on every finished run of a task in a run store and
//! compares with the recorded final rotation ([`validate`]).
pub mod model;
pub mod validate;

use crate::Common;
use anyhow::{bail, Context, Result};
use layca_train::store::{EpochRecord, RunDir, RunRecord, StepRecord};
use layca_train::{ControlKind, OptimizerKind, RunConfig, RunStatus, TaskId};
use model::{Fit, Point, Prediction, Sums};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct TuneArgs {
    /// Read the probe from this run directory instead of training one.
    #[arg(long, conflicts_with = "validate")]
    pub from_run: Option<PathBuf>,
    /// Validate on every finished run of --task in this run store (read only).
    #[arg(long)]
    pub validate: Option<PathBuf>,
    /// Probe length as fractions of the schedule (several with --validate: 0.05,0.1,0.2).
    #[arg(long, value_delimiter = ',', default_value = "0.1")]
    pub probe: Vec<f64>,
    /// Target final cosine distance of every layer.
    #[arg(long, default_value_t = 0.9)]
    pub target: f64,
    /// Largest ρ(0) to suggest (default 3^-2 under Layca, 27·ρ(0) of the probe otherwise).
    #[arg(long)]
    pub max_rho: Option<f64>,
    /// Write the result (or the validation table) as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Task of the probe run (or of --validate).
    #[arg(long)]
    pub task: Option<String>,
    /// ρ(0) (η(0) under --control none) of the probe run.
    #[arg(long)]
    pub rho0: Option<f64>,
    /// Base optimizer of the probe run.
    #[arg(long, default_value = "sgd")]
    pub optimizer: String,
    /// Control of the probe run: layca or none.
    #[arg(long, default_value = "layca")]
    pub control: String,
    /// α of the probe run.
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    pub alpha: f64,
    /// Schedule of the full run (as `train --schedule`; default: the task's).
    #[arg(long)]
    pub schedule: Option<String>,
    /// Epochs of the full run (default: the task's).
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Width divisor of the network.
    #[arg(long, default_value_t = 1)]
    pub width_divisor: usize,
    /// Training images kept.
    #[arg(long)]
    pub train_limit: Option<usize>,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[command(flatten)]
    pub common: Common,
}

/// A run's records as the tuner sees them.
pub struct RunView {
    pub dir: PathBuf,
    pub record: RunRecord,
    pub history: Vec<EpochRecord>,
    pub steps: Vec<StepRecord>,
}

impl RunView {
    pub fn read(dir: &Path) -> Result<Self> {
        let record = layca_train::engine::read_run(dir)
            .with_context(|| format!("reading the run in {}", dir.display()))?;
        let rd = RunDir::at(dir);
        let history = rd.read_history()?;
        let steps = if rd.steps().exists() {
            rd.read_steps()?
        } else {
            vec![]
        };
        Ok(Self {
            dir: dir.to_path_buf(),
            record,
            history,
            steps,
        })
    }
    fn spe(&self) -> usize {
        self.record.steps_per_epoch.max(1)
    }
    /// Steps of the full schedule.
    pub fn planned_steps(&self) -> usize {
        self.record.config.num_epochs() * self.spe()
    }
    /// Steps done and the final rotation, for a finished run.
    pub fn actual_end(&self) -> Option<(usize, Vec<f64>)> {
        let m = self.record.metrics.as_ref()?;
        matches!(self.record.status, RunStatus::Finished { .. })
            .then(|| (m.epochs_run * self.spe(), m.end_rotation.clone()))
    }
    /// Measured (steps done, rotation per layer) with at most `upto` steps (+1: the record after
    /// the first step of the epoch that starts at the boundary).
    pub fn points(&self, upto: usize) -> BTreeMap<usize, Vec<f64>> {
        let mut pts = BTreeMap::new();
        for e in &self.history {
            pts.insert(e.epoch * self.spe() + 1, e.rotation.clone());
        }
        for s in self.steps.iter().filter(|s| !s.rotation.is_empty()) {
            pts.insert(s.step as usize + 1, s.rotation.clone());
        }
        pts.retain(|&n, r| n <= upto + 1 && r.len() == self.record.layers.len());
        pts
    }
}

/// Whether the control fixes each step's angle (Layca) or not (plain optimizers).
fn rotation_controlled(cfg: &RunConfig) -> Result<bool> {
    match cfg.control {
        ControlKind::Layca => Ok(true),
        ControlKind::None => Ok(false),
        ref other => bail!("tune models --control layca and none, not {other:?}"),
    }
}

/// Per-layer prefix sums of the step units of `cfg`'s schedule scaled to ρ(0) = `rho`.
pub fn layer_sums(
    cfg: &RunConfig,
    rho: f64,
    layers: usize,
    spe: usize,
    total: usize,
) -> Result<Vec<Sums>> {
    let layca = rotation_controlled(cfg)?;
    let sched = cfg.full_schedule();
    let mult = layca_core::alpha_multipliers(cfg.alpha, layers)?;
    let scale = rho / cfg.rho0;
    let rates: Vec<f64> = (0..total)
        .map(|i| sched.rate(i / spe, i % spe, spe) * scale)
        .collect();
    Ok(mult
        .iter()
        .map(|m| {
            let unit = |r: &f64| if layca { (r * m).atan() } else { r * m };
            Sums::new(rates.iter().map(unit))
        })
        .collect())
}

/// One layer's fit and prediction.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LayerPrediction {
    pub name: String,
    pub probe_last: f64,
    pub fit: Fit,
    pub predicted: Prediction,
    #[serde(skip)]
    pub ensemble: Vec<Fit>,
}

/// The fits of every layer on a probe of `frac` of `view`, predicted at `at_steps`.
pub fn predict_run(view: &RunView, frac: f64, at_steps: usize) -> Result<Vec<LayerPrediction>> {
    let cfg = &view.record.config;
    let spe = view.spe();
    let upto = (frac * view.planned_steps() as f64).round() as usize;
    let pts = view.points(upto);
    if pts.is_empty() {
        bail!(
            "{}: no rotation record within the first {upto} steps",
            view.dir.display()
        );
    }
    let layers = &view.record.layers;
    let sums = layer_sums(cfg, cfg.rho0, layers.len(), spe, at_steps.max(upto + 1))?;
    let out = layers.iter().enumerate().map(|(l, name)| {
        let p: Vec<Point> = pts.iter().map(|(&n, r)| (n, r[l])).collect();
        let fit = model::fit(&p, &sums[l]);
        let ensemble = model::ensemble(&p, &sums[l], l as u64);
        LayerPrediction {
            name: name.clone(),
            probe_last: p.last().map_or(0.0, |x| x.1),
            fit,
            predicted: model::predict(&fit, &ensemble, &sums[l], at_steps),
            ensemble,
        }
    });
    Ok(out.collect())
}

/// The suggested ρ(0) and what the model predicts for it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Suggestion {
    pub rho0: f64,
    pub alpha: f64,
    pub reached: bool,
    pub predicted: Vec<Prediction>,
}

fn max_rho(cfg: &RunConfig, arg: Option<f64>) -> Result<f64> {
    Ok(arg.unwrap_or(if rotation_controlled(cfg)? {
        3f64.powi(-2)
    } else {
        27.0 * cfg.rho0
    }))
}

/// Smallest ρ(0) on a 3^(k/8) grid (k from −64) whose predicted final rotation reaches `target`
/// in every layer, else the largest allowed. α stays the probe's: the multipliers are ≤ 1, so
/// under the model any α ≠ 0 only lowers some layers' rotation at a given ρ(0).
pub fn suggest(
    cfg: &RunConfig,
    preds: &[LayerPrediction],
    spe: usize,
    total: usize,
    target: f64,
    max_rho: f64,
) -> Result<Suggestion> {
    let mut best = None;
    for k in -64..=16 {
        let rho = 3f64.powf(k as f64 / 8.0);
        if rho > max_rho * (1.0 + 1e-12) {
            break;
        }
        let sums = layer_sums(cfg, rho, preds.len(), spe, total)?;
        let predicted: Vec<Prediction> = preds
            .iter()
            .zip(&sums)
            .map(|(p, s)| model::predict(&p.fit, &p.ensemble, s, total))
            .collect();
        let reached = predicted.iter().all(|p| p.value >= target);
        best = Some(Suggestion {
            rho0: rho,
            alpha: cfg.alpha,
            reached,
            predicted,
        });
        if reached {
            break;
        }
    }
    best.context("--max-rho is below every candidate ρ(0) (3^-8 and up)")
}

/// `--schedule` text of a schedule (relative factors: it applies to any ρ(0)).
fn schedule_arg(s: &layca_core::Schedule) -> Option<String> {
    use layca_core::Schedule::*;
    match s {
        Constant { .. } => Some("constant".into()),
        StepDecay {
            factor, milestones, ..
        } => {
            let m: Vec<String> = milestones.iter().map(|m| m.to_string()).collect();
            Some(format!("step:{factor}@{}", m.join(",")))
        }
        Periodic { factor, every, .. } => Some(format!("every:{factor}/{every}")),
        Warmup { inner, .. } => schedule_arg(inner),
    }
}

/// The exact `cargo xtask train` command of `cfg` at ρ(0) = `rho`, α = `alpha`.
pub fn train_command(cfg: &RunConfig, rho: f64, alpha: f64) -> String {
    let opt = serde_json::to_value(cfg.optimizer)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_else(|| "sgd".into());
    let control = if matches!(cfg.control, ControlKind::Layca) {
        "layca"
    } else {
        "none"
    };
    let mut c = format!(
        "cargo xtask train --task {} --optimizer {opt} --control {control} --rho0 {rho:.6e} --alpha {alpha}",
        cfg.task.name()
    );
    let mut push = |s: String| {
        c.push(' ');
        c.push_str(&s);
    };
    if let Some(s) = cfg.schedule.as_ref().and_then(schedule_arg) {
        push(format!("--schedule {s}"));
    }
    if let Some(e) = cfg.epochs {
        push(format!("--epochs {e}"));
    }
    if cfg.warmup_epochs > 0 {
        push(format!("--warmup {}", cfg.warmup_epochs));
    }
    if cfg.l2 > 0.0 {
        push(format!("--l2 {}", cfg.l2));
    }
    if cfg.weight_decay > 0.0 {
        push(format!("--weight-decay {}", cfg.weight_decay));
    }
    if cfg.width_divisor > 1 {
        push(format!("--width-divisor {}", cfg.width_divisor));
    }
    if let Some(n) = cfg.train_limit {
        push(format!("--train-limit {n}"));
    }
    if cfg.seed != 1 {
        push(format!("--seed {}", cfg.seed));
    }
    if !cfg.stopping {
        push("--no-stopping".into());
    }
    c
}

/// The full run's configuration from the command line.
fn full_config(a: &TuneArgs) -> Result<RunConfig> {
    let task = TaskId::parse(
        a.task
            .as_deref()
            .context("--task is needed without --from-run")?,
    )?;
    let rho0 = a.rho0.context("--rho0 is needed for a probe run")?;
    let mut cfg = RunConfig::layca(task, rho0);
    cfg.optimizer = crate::train::parse_enum::<OptimizerKind>("optimizer", &a.optimizer)?;
    cfg.control = match a.control.as_str() {
        "layca" => ControlKind::Layca,
        "none" => ControlKind::None,
        other => bail!("invalid --control `{other}` (tune models layca and none)"),
    };
    cfg.alpha = a.alpha;
    cfg.schedule = a
        .schedule
        .as_deref()
        .map(|s| layca_train::config::parse_schedule(s, rho0))
        .transpose()?;
    cfg.epochs = a.epochs;
    cfg.width_divisor = a.width_divisor;
    cfg.train_limit = a.train_limit;
    cfg.seed = a.seed;
    cfg.validate()?;
    Ok(cfg)
}

/// Trains the probe: the full run's first `frac` of epochs (same schedule), with steps.jsonl.
fn train_probe(a: &TuneArgs, full: &RunConfig, frac: f64) -> Result<RunView> {
    let mut probe = full.clone();
    let epochs = ((frac * full.num_epochs() as f64).ceil() as usize).max(1);
    probe.schedule = Some(match full.full_schedule() {
        layca_core::Schedule::Warmup { inner, .. } => *inner,
        s => s,
    });
    probe.epochs = Some(epochs);
    probe.stopping = false;
    probe.record_steps = true;
    let (_, dir) = crate::train::train_config(&a.common, &probe)?;
    let mut view = RunView::read(&dir)?;
    view.record.config = full.clone();
    Ok(view)
}

#[derive(serde::Serialize)]
struct TuneReport<'a> {
    run: String,
    probe_fraction: f64,
    probe_steps: usize,
    full_steps: usize,
    layers: &'a [LayerPrediction],
    actual_final: Option<Vec<f64>>,
    suggestion: &'a Suggestion,
    command: String,
}

fn print_report(r: &TuneReport) {
    println!(
        "probe: {} ({} of {} steps, {:.0} %)",
        r.run,
        r.probe_steps,
        r.full_steps,
        100.0 * r.probe_fraction
    );
    println!(
        "{:<14} {:>10} {:>22} {:>9} {:>9}",
        "layer", "probe end", "predicted final ± unc", "actual", "at ρ*"
    );
    for (i, l) in r.layers.iter().enumerate() {
        let actual = r
            .actual_final
            .as_ref()
            .map_or("-".into(), |a| format!("{:.4}", a[i]));
        let p = &l.predicted;
        println!(
            "{:<14} {:>10.4} {:>13.4} ± {:<6.4} {:>9} {:>9.4}",
            l.name,
            l.probe_last,
            p.value,
            p.half_width(),
            actual,
            r.suggestion.predicted[i].value
        );
    }
    let s = r.suggestion;
    let verdict = if s.reached {
        "every layer reaches the target"
    } else {
        "target NOT reached within --max-rho; the largest allowed"
    };
    println!(
        "suggested ρ(0) = {:.4e} = 3^{:.3}, α = {} ({verdict})",
        s.rho0,
        s.rho0.ln() / 3f64.ln(),
        s.alpha
    );
    println!("{}", r.command);
}

pub fn run(a: &TuneArgs) -> Result<()> {
    if let Some(store) = &a.validate {
        return validate::run(a, store);
    }
    let frac = *a.probe.first().context("--probe needs a fraction")?;
    if !(frac > 0.0 && frac <= 1.0) {
        bail!("--probe {frac}: a fraction in (0, 1]");
    }
    let view = match &a.from_run {
        Some(dir) => RunView::read(dir)?,
        None => {
            let full = full_config(a)?;
            train_probe(a, &full, frac)?
        }
    };
    let cfg = view.record.config.clone();
    let actual = a.from_run.as_ref().and_then(|_| view.actual_end());
    let full_steps = actual.as_ref().map_or(view.planned_steps(), |a| a.0);
    let preds = predict_run(&view, frac, full_steps)?;
    let sugg = suggest(
        &cfg,
        &preds,
        view.spe(),
        view.planned_steps(),
        a.target,
        max_rho(&cfg, a.max_rho)?,
    )?;
    let report = TuneReport {
        run: view.dir.display().to_string(),
        probe_fraction: frac,
        probe_steps: (frac * view.planned_steps() as f64).round() as usize,
        full_steps,
        layers: &preds,
        actual_final: actual.map(|a| a.1),
        command: train_command(&cfg, sugg.rho0, sugg.alpha),
        suggestion: &sugg,
    };
    print_report(&report);
    if let Some(path) = &a.json {
        crate::write_json(path, &report)?;
    }
    Ok(())
}
