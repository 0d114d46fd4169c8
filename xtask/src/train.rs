//! `cargo xtask train`: one run from the command line.
use crate::Common;
use anyhow::{Context, Result};
use layca_train::data::{load_task_data, DataSource};
use layca_train::{ControlKind, Engine, OptimizerKind, RunConfig, TaskId};
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
    /// Linear warmup epochs.
    #[arg(long, default_value_t = 0)]
    pub warmup: usize,
    /// Epochs (default: the task's).
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Mini-batch size (default: the task's).
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Seed of data order / augmentation / dropout.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Record per-step rotation rates (steps.jsonl).
    #[arg(long)]
    pub record_steps: bool,
    /// Record second-moment percentiles per layer (Fig 5).
    #[arg(long)]
    pub record_moments: bool,
    /// Disable the task's stopping criteria.
    #[arg(long)]
    pub no_stopping: bool,
    #[command(flatten)]
    pub common: Common,
}

fn parse_enum<T: serde::de::DeserializeOwned>(field: &str, s: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(s.to_string()))
        .with_context(|| format!("invalid --{field} `{s}`"))
}

pub fn run(a: &TrainArgs) -> Result<()> {
    let task = TaskId::parse(&a.task)?;
    let optimizer: OptimizerKind = parse_enum("optimizer", &a.optimizer)?;
    let control = match a.control.as_str() {
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
    };
    let mut cfg = RunConfig::layca(task, a.rho0);
    cfg.optimizer = optimizer;
    cfg.control = control;
    cfg.alpha = a.alpha;
    cfg.l2 = a.l2;
    cfg.warmup_epochs = a.warmup;
    cfg.epochs = a.epochs;
    cfg.batch_size = a.batch_size;
    cfg.seed = a.seed;
    cfg.record_steps = a.record_steps;
    cfg.record_moments = a.record_moments;
    cfg.stopping = !a.no_stopping;
    cfg.validate()?;
    let device = layca_train::parse_device(&a.common.device)?;
    let source = DataSource::from_arg(a.common.data_dir.as_deref());
    let data = load_task_data(task, &source, None, &device)?;
    let mut engine = Engine::new(&a.common.runs, device);
    engine.progress = !a.common.quiet;
    let rec = engine.run(&cfg, &data)?;
    println!("{}", serde_json::to_string_pretty(&rec)?);
    Ok(())
}
