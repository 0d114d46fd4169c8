//! `cargo xtask train`: one run from the command line.
use crate::Common;
use anyhow::{Context, Result};
use layca_optim::OtherParams;
use layca_train::config::parse_schedule;
use layca_train::data::{load_task_data, DataSource};
use layca_train::store::RunRecord;
use layca_train::{ControlKind, Engine, OptimizerKind, RunConfig, RunStatus, TaskId};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct TrainArgs {
    /// Task name (c10-cnn1, c100-resnet, tiny-cnn, c10-cnn2, c100-wrn, c10-resnet110, mnist).
    #[arg(long)]
    pub task: String,
    /// Base optimizer: sgd, sgd-nesterov, sgd-momentum, sgd-a-mom, adam, rms-prop, adagrad.
    #[arg(long, default_value = "sgd")]
    pub optimizer: String,
    /// Control: none, layca, lars, adapt-copy (needs --adapt-copy-from).
    #[arg(long, default_value = "layca")]
    pub control: String,
    /// Run directory whose steps.jsonl is replayed by adapt-copy.
    #[arg(long)]
    pub adapt_copy_from: Option<PathBuf>,
    /// Initial learning rate ρ(0).
    #[arg(long)]
    pub rho0: f64,
    /// Layer-prioritisation α in [-1, 1].
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    pub alpha: f64,
    /// Coupled L2 λ.
    #[arg(long, default_value_t = 0.0)]
    pub l2: f64,
    /// Decoupled weight decay on kernels (w ← (1 − ρ_l·wd)·w each step).
    #[arg(long, default_value_t = 0.0)]
    pub weight_decay: f64,
    /// Learning-rate schedule from ρ(0): constant, step:0.2@80,90,97 (×0.2 at those epochs),
    /// every:0.5/25 (×0.5 every 25 epochs). Default: the task's.
    #[arg(long)]
    pub schedule: Option<String>,
    /// Linear warmup epochs.
    #[arg(long, default_value_t = 0)]
    pub warmup: usize,
    /// Epochs (default: the task's).
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Mini-batch size (default: the task's).
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Divide every layer's width by this (1 = the paper's networks).
    #[arg(long, default_value_t = 1)]
    pub width_divisor: usize,
    /// Keep this many training images (a seeded class-balanced subset).
    #[arg(long)]
    pub train_limit: Option<usize>,
    /// Seed of data order / augmentation / dropout.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Non-kernel parameters (biases, BN γ/β): frozen or train (default: train under
    /// --control none, frozen under layca, lars and adapt-copy).
    #[arg(long)]
    pub other_params: Option<String>,
    /// Record per-step rotation rates (steps.jsonl).
    #[arg(long)]
    pub record_steps: bool,
    /// Record second-moment percentiles per layer (Fig 5).
    #[arg(long)]
    pub record_moments: bool,
    /// Disable the task's stopping criteria.
    #[arg(long)]
    pub no_stopping: bool,
    /// Also write the run's records as TensorBoard event files under DIR/<run id>/.
    #[arg(long, value_name = "DIR")]
    pub tensorboard: Option<PathBuf>,
    #[command(flatten)]
    pub common: Common,
}

pub(crate) fn parse_enum<T: serde::de::DeserializeOwned>(field: &str, s: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(s.to_string()))
        .with_context(|| format!("invalid --{field} `{s}`"))
}

fn control(a: &TrainArgs) -> Result<ControlKind> {
    if a.adapt_copy_from.is_some() && a.control != "adapt-copy" {
        anyhow::bail!(
            "--adapt-copy-from is only used with --control adapt-copy (got --control {})",
            a.control
        );
    }
    Ok(match a.control.as_str() {
        "none" => ControlKind::None,
        "layca" => ControlKind::Layca,
        "lars" => ControlKind::Lars,
        "adapt-copy" => ControlKind::AdaptCopy {
            source: a
                .adapt_copy_from
                .clone()
                .context("--control adapt-copy needs --adapt-copy-from RUN_DIR")?,
        },
        other => anyhow::bail!("invalid --control `{other}` (none, layca, lars, adapt-copy)"),
    })
}

fn other_params(arg: Option<&str>) -> Result<Option<OtherParams>> {
    match arg {
        None => Ok(None),
        Some("frozen") => Ok(Some(OtherParams::Frozen)),
        Some("train") => Ok(Some(OtherParams::BaseOptimizer)),
        Some(other) => anyhow::bail!("invalid --other-params `{other}` (frozen, train)"),
    }
}

/// The run configuration of the command line (validated).
pub fn config(a: &TrainArgs) -> Result<RunConfig> {
    let task = TaskId::parse(&a.task)?;
    let mut cfg = RunConfig::layca(task, a.rho0);
    cfg.optimizer = parse_enum::<OptimizerKind>("optimizer", &a.optimizer)?;
    cfg.control = control(a)?;
    cfg.alpha = a.alpha;
    cfg.l2 = a.l2;
    cfg.weight_decay = a.weight_decay;
    cfg.schedule = a
        .schedule
        .as_deref()
        .map(|s| parse_schedule(s, a.rho0))
        .transpose()?;
    cfg.warmup_epochs = a.warmup;
    cfg.epochs = a.epochs;
    cfg.batch_size = a.batch_size;
    cfg.seed = a.seed;
    cfg.width_divisor = a.width_divisor;
    cfg.train_limit = a.train_limit;
    cfg.other_params = other_params(a.other_params.as_deref())?;
    cfg.record_steps = a.record_steps;
    cfg.record_moments = a.record_moments;
    cfg.stopping = !a.no_stopping;
    cfg.validate()?;
    Ok(cfg)
}

/// Loads `cfg`'s data as `common` says and trains (or reuses, or resumes) the run in
/// `common.runs`; returns its record and its run directory.
pub fn train_config(common: &Common, cfg: &RunConfig) -> Result<(RunRecord, PathBuf)> {
    let device = layca_train::parse_device(&common.device)?;
    let source = DataSource::from_arg(common.data_dir.as_deref());
    let data = load_task_data(cfg.task, &source, cfg.train_limit, &device)?;
    let mut engine = Engine::new(&common.runs, device);
    engine.progress = !common.quiet;
    let rec = engine.run(cfg, &data)?;
    let dir = engine.run_dir(cfg, &data.identity).root().to_path_buf();
    Ok((rec, dir))
}

pub fn run(a: &TrainArgs) -> Result<()> {
    let cfg = config(a)?;
    let (rec, run_dir) = train_config(&a.common, &cfg)?;
    println!("{}", serde_json::to_string_pretty(&rec)?);
    if let Some(dir) = &a.tensorboard {
        for f in crate::tensorboard::write_run(&run_dir, dir)? {
            eprintln!("tensorboard: wrote {}", f.display());
        }
    }
    if let RunStatus::Diverged { epoch, step, loss } = rec.status {
        eprintln!("the run diverged at epoch {epoch}, step {step} (loss {loss})");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        train: TrainArgs,
    }

    fn parse(args: &[&str]) -> Result<RunConfig> {
        let mut v = vec!["train", "--task", "mnist", "--rho0", "0.1"];
        v.extend_from_slice(args);
        config(&Cli::try_parse_from(v)?.train)
    }

    #[test]
    fn schedule_weight_decay_and_other_params_reach_the_config() {
        let c = parse(&["--schedule", "every:0.5/25", "--weight-decay", "0.01"]).unwrap();
        assert_eq!(c.full_schedule().rate(25, 0, 5), 0.05);
        assert_eq!(c.weight_decay, 0.01);
        let plain = parse(&["--control", "none"]).unwrap();
        assert_eq!(plain.resolved_other_params(), OtherParams::BaseOptimizer);
        let frozen = parse(&["--control", "none", "--other-params", "frozen"]).unwrap();
        assert_eq!(frozen.resolved_other_params(), OtherParams::Frozen);
        assert_ne!(plain.run_id(), frozen.run_id());
        let c = parse(&["--schedule", "step:0.2@80,90,97"]).unwrap();
        assert_ne!(
            c.run_id(),
            parse(&["--schedule", "constant"]).unwrap().run_id()
        );
    }

    #[test]
    fn contradictory_flags_are_rejected() {
        let err = parse(&["--adapt-copy-from", "/tmp/x"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("--adapt-copy-from"), "{err}");
        let err = parse(&["--warmup", "200", "--epochs", "10"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("warmup"), "{err}");
        let err = parse(&["--other-params", "some"]).unwrap_err().to_string();
        assert!(err.contains("--other-params"), "{err}");
        let err = parse(&["--schedule", "step:0.2"]).unwrap_err().to_string();
        assert!(err.contains("schedule"), "{err}");
    }
}
