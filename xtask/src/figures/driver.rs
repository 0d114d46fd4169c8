//! The one driver every figure goes through: scale the run list, list it (`--dry-run`), load
//! the data, train or reuse the runs (diverged runs do not stop the others), render, and write
//! `figNN.{png,svg,json}`.
use super::results::{RenderCtx, Results, RunResult};
use super::scale::{self, Scale};
use super::{FigRun, FigureSpec};
use crate::progress::RunsBar;
use crate::runner::{self, Job, Outcome};
use crate::Common;
use anyhow::{bail, Context, Result};
use layca_train::data::{load_task_data_limited, DataSource};
use layca_train::{ControlKind, DatasetKind, Engine, RunConfig, RunStatus, TaskData, TaskId};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What `cargo xtask figure` was asked to do.
#[derive(Debug, Clone)]
pub struct FigureRequest {
    /// The figures, in order.
    pub figures: Vec<&'static dyn FigureSpec>,
    /// The scale.
    pub scale: Scale,
    /// Output directory.
    pub out: PathBuf,
    /// Override of every run's epoch count (milestones moved to the same fractions).
    pub epochs: Option<usize>,
    /// List the runs, train nothing.
    pub dry_run: bool,
}

impl std::fmt::Debug for dyn FigureSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Figure {}", self.number())
    }
}

/// Counts of the runs of one command, by outcome.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    /// Finished (trained now or reused).
    pub finished: usize,
    /// Ended with a non-finite loss (kept; shown as "training fails").
    pub diverged: usize,
    /// Stopped by an error.
    pub failed: usize,
}

/// A figure's scaled runs.
pub(crate) struct Planned {
    figure: &'static dyn FigureSpec,
    runs: Vec<FigRun>,
    /// Epochs of each run at paper scale, by key.
    paper_epochs: BTreeMap<String, usize>,
}

/// Runs the request; returns the tally. Errors when a run or a rendering failed (after
/// everything else was done).
pub fn run(common: &Common, req: &FigureRequest) -> Result<Tally> {
    let plans = plan_all(common, req);
    if req.dry_run {
        print_dry_run(common, req, &plans);
        return Ok(Tally::default());
    }
    let device = layca_train::parse_device(&common.device)?;
    let mut engine = Engine::new(&common.runs, device.clone());
    engine.progress = !common.quiet;
    let source = data_source(common, req.scale)?;
    let data = load_all_data(&plans, &source, &device)?;
    let (results, tally) = train_all(&engine, common, &plans, &data)?;
    let mut render_errors = Vec::new();
    for plan in &plans {
        if let Err(e) = render_one(&engine, req, plan, &results, &data) {
            render_errors.push(format!("figure {}: {e:#}", plan.figure.number()));
        }
    }
    println!(
        "runs: {} finished, {} diverged, {} failed",
        tally.finished, tally.diverged, tally.failed
    );
    if tally.failed > 0 || !render_errors.is_empty() {
        bail!(
            "{} run(s) failed{}{}",
            tally.failed,
            if render_errors.is_empty() { "" } else { "; " },
            render_errors.join("; ")
        );
    }
    Ok(tally)
}

/// Every figure's scaled run list.
fn plan_all(common: &Common, req: &FigureRequest) -> Vec<Planned> {
    let embedded_mnist = common.data_dir.is_none();
    req.figures
        .iter()
        .map(|&figure| {
            let paper = figure.runs();
            Planned {
                figure,
                runs: scale::apply(req.scale, &paper, req.epochs, embedded_mnist),
                paper_epochs: paper
                    .iter()
                    .map(|r| (r.key.clone(), r.cfg.num_epochs()))
                    .collect(),
            }
        })
        .collect()
}

/// One job of the driver's run list, with its wave (0: depends on nothing; 1: AdaptCopy runs,
/// after the runs they replay) and the evaluation subset its data is loaded with.
pub struct WaveJob {
    /// 0 or 1.
    pub wave: usize,
    /// The job exactly as [`run`] trains it (AdaptCopy sources resolved).
    pub job: Job,
    /// Validation and test images kept.
    pub eval_limit: Option<usize>,
}

/// The jobs [`run`] would train for `req`, in its order (unique runs, wave 0 then wave 1), with
/// the data loaded on the CPU from `source` (as [`data_source`] gives it).
pub fn wave_jobs_of(
    common: &Common,
    req: &FigureRequest,
    source: &DataSource,
) -> Result<Vec<WaveJob>> {
    let plans = plan_all(common, req);
    let data = load_all_data(&plans, source, &candle_core::Device::Cpu)?;
    let engine = Engine::new(&common.runs, candle_core::Device::Cpu);
    let mut out = Vec::new();
    for wave in 0..2 {
        let done: Vec<String> = out.iter().map(|w: &WaveJob| w.job.id.clone()).collect();
        for (job, eval_limit) in wave_jobs(&engine, &plans, &data, None, wave)? {
            if !done.contains(&job.id) {
                out.push(WaveJob {
                    wave,
                    job,
                    eval_limit,
                });
            }
        }
    }
    Ok(out)
}

/// Where the data comes from at each scale: `--data-dir` when given; otherwise the embedded
/// MNIST and its stand-ins (`cpu`), generated files in the real formats (`smoke`), or nothing
/// (`paper`: MNIST only, the other data sets must be on disk).
pub fn data_source(common: &Common, scale: Scale) -> Result<DataSource> {
    Ok(match (&common.data_dir, scale) {
        (Some(d), _) => DataSource::from_arg(Some(d)),
        (None, Scale::Smoke) => DataSource::Dir(smoke_data(&common.runs)?),
        (None, Scale::Cpu) => DataSource::StandIn,
        (None, Scale::Paper) => DataSource::Embedded,
    })
}

/// Tiny CIFAR-10, CIFAR-100, Tiny ImageNet and MNIST sets in their publishers' formats, written
/// once under `<runs>/smoke-data/`.
pub fn smoke_data(runs: &Path) -> Result<PathBuf> {
    let root = runs.join("smoke-data");
    let done = root.join("COMPLETE");
    if !done.is_file() {
        let sizes = layca_data::synth::TreeSizes {
            n_train: 60,
            n_test: 30,
            tiny_train_per_class: 1,
            tiny_val_per_class: 1,
        };
        layca_data::synth::write_standard_tree(&root, sizes, 1).with_context(|| {
            format!("writing the smoke-scale data sets under {}", root.display())
        })?;
        crate::write_bytes(&done, b"generated by cargo xtask figure --scale smoke\n")?;
    }
    Ok(root)
}

/// Data sets are loaded once per (data set, training subset, evaluation subset).
type DataKey = (String, Option<usize>, Option<usize>);

fn data_key(run: &FigRun) -> DataKey {
    let kind: DatasetKind = run.cfg.task.spec().dataset;
    (format!("{kind:?}"), run.cfg.train_limit, run.eval_limit)
}

/// Loads each (data set, training subset) the runs need, once.
fn load_all_data(
    plans: &[Planned],
    source: &DataSource,
    device: &candle_core::Device,
) -> Result<BTreeMap<DataKey, Arc<TaskData>>> {
    let mut out = BTreeMap::new();
    for run in plans.iter().flat_map(|p| &p.runs) {
        let key = data_key(run);
        if out.contains_key(&key) {
            continue;
        }
        let task = run.cfg.task;
        let data =
            load_task_data_limited(task, source, run.cfg.train_limit, run.eval_limit, device)
                .with_context(|| format!("loading the data of task {}", task.name()))?;
        tracing::info!(task = task.name(), data = %data.identity.source, n_train = data.identity.n_train, "data loaded");
        out.insert(key, Arc::new(data));
    }
    Ok(out)
}

/// Trains (or reuses) every run of every plan: first the runs that depend on nothing, then the
/// AdaptCopy runs with their sources filled in. A run shared by several figures runs once.
fn train_all(
    engine: &Engine,
    common: &Common,
    plans: &[Planned],
    data: &BTreeMap<DataKey, Arc<TaskData>>,
) -> Result<(BTreeMap<String, Outcome>, Tally)> {
    let mut outcomes: BTreeMap<String, Outcome> = BTreeMap::new();
    let all: Vec<&FigRun> = plans.iter().flat_map(|p| &p.runs).collect();
    let total = unique(all.iter().map(|r| &r.cfg)).len();
    let bar = RunsBar::new(total, common.quiet);
    let mut engine = engine.clone();
    engine.multi = Some(bar.multi());
    for wave in 0..2 {
        let jobs = wave_jobs(&engine, plans, data, Some(&outcomes), wave)?
            .into_iter()
            .map(|(job, _)| job)
            .collect();
        for (job, outcome) in runner::run_all(&engine, jobs, common.jobs, &bar) {
            outcomes.insert(job.id, outcome);
        }
    }
    let mut tally = Tally::default();
    for o in outcomes.values() {
        match o {
            Outcome::Done(rec) if matches!(rec.status, RunStatus::Diverged { .. }) => {
                tally.diverged += 1
            }
            Outcome::Done(_) => tally.finished += 1,
            Outcome::Failed(_) | Outcome::Skipped(_) => tally.failed += 1,
        }
    }
    Ok((outcomes, tally))
}

/// The jobs of one wave (0: runs that depend on nothing, 1: AdaptCopy runs), each unique run
/// once and none already in `outcomes`, with the evaluation subset of its data.
fn wave_jobs(
    engine: &Engine,
    plans: &[Planned],
    data: &BTreeMap<DataKey, Arc<TaskData>>,
    outcomes: Option<&BTreeMap<String, Outcome>>,
    wave: usize,
) -> Result<Vec<(Job, Option<usize>)>> {
    let mut jobs: Vec<(Job, Option<usize>)> = Vec::new();
    for plan in plans {
        for run in plan
            .runs
            .iter()
            .filter(|r| r.replays.is_some() == (wave == 1))
        {
            let cfg = resolve_replay(engine, plan, run, data, outcomes)?;
            let d = data[&data_key(run)].clone();
            let id = engine
                .run_dir(&cfg, &d.identity)
                .root()
                .display()
                .to_string();
            if outcomes.is_some_and(|o| o.contains_key(&id)) || jobs.iter().any(|j| j.0.id == id) {
                continue;
            }
            let job = Job {
                id,
                label: format!("fig {} {}", plan.figure.number(), run.key),
                cfg,
                data: d,
            };
            jobs.push((job, run.eval_limit));
        }
    }
    Ok(jobs)
}

/// An AdaptCopy run's configuration with the directory of the run it replays (a warning when
/// `outcomes` is given and holds no record of it).
fn resolve_replay(
    engine: &Engine,
    plan: &Planned,
    run: &FigRun,
    data: &BTreeMap<DataKey, Arc<TaskData>>,
    outcomes: Option<&BTreeMap<String, Outcome>>,
) -> Result<RunConfig> {
    let Some(src_key) = &run.replays else {
        return Ok(run.cfg.clone());
    };
    let src = plan
        .runs
        .iter()
        .find(|r| &r.key == src_key)
        .with_context(|| format!("{} replays unknown run {src_key}", run.key))?;
    let dir = engine.run_dir(&src.cfg, &data[&data_key(src)].identity);
    let id = dir.root().display().to_string();
    if outcomes.is_some_and(|o| !matches!(o.get(&id), Some(Outcome::Done(_)))) {
        tracing::warn!(run = %run.key, source = %src_key, "the replayed run has no records");
    }
    let mut cfg = run.cfg.clone();
    cfg.control = ControlKind::AdaptCopy {
        source: dir.root().to_path_buf(),
    };
    Ok(cfg)
}

fn unique<'a>(cfgs: impl Iterator<Item = &'a RunConfig>) -> Vec<String> {
    let mut ids: Vec<String> = cfgs.map(RunConfig::run_id).collect();
    ids.sort();
    ids.dedup();
    ids
}

/// Renders one figure from its runs' records and writes its JSON.
fn render_one(
    engine: &Engine,
    req: &FigureRequest,
    plan: &Planned,
    outcomes: &BTreeMap<String, Outcome>,
    data: &BTreeMap<DataKey, Arc<TaskData>>,
) -> Result<()> {
    let n = plan.figure.number();
    let mut results = Results::default();
    for run in &plan.runs {
        let cfg = resolve_replay(engine, plan, run, data, Some(outcomes))?;
        let identity = &data[&data_key(run)].identity;
        let dir = engine.run_dir(&cfg, identity);
        let rec = match outcomes.get(&dir.root().display().to_string()) {
            Some(Outcome::Done(rec)) => (**rec).clone(),
            Some(Outcome::Failed(e)) | Some(Outcome::Skipped(e)) => {
                bail!("run {} has no result: {e}", run.key)
            }
            None => bail!("run {} was not trained", run.key),
        };
        let paper_epochs = plan.paper_epochs[&run.key];
        results.insert(RunResult::read(&run.key, &cfg, paper_epochs, rec, dir)?);
    }
    std::fs::create_dir_all(&req.out).with_context(|| format!("creating {}", req.out.display()))?;
    let stem = req.out.join(format!("fig{n:02}"));
    let ctx = RenderCtx {
        engine,
        caption: caption(req, plan, data),
    };
    let payload = plan
        .figure
        .render(&results, &ctx, &stem)
        .with_context(|| format!("rendering figure {n}"))?;
    let json = figure_json(req, plan, &results, data, payload);
    crate::write_json(&stem.with_extension("json"), &json)?;
    println!("wrote {0}.png, {0}.svg, {0}.json", stem.display());
    Ok(())
}

/// `scale cpu · data: … · c10-cnn1: width ÷8, 2000 training images, 10 epochs; …`.
fn caption(req: &FigureRequest, plan: &Planned, data: &BTreeMap<DataKey, Arc<TaskData>>) -> String {
    let mut sources: Vec<String> = plan
        .runs
        .iter()
        .map(|r| data[&data_key(r)].identity.source.clone())
        .collect();
    sources.sort();
    sources.dedup();
    if sources.is_empty() {
        return "a pure function of α: no training".into();
    }
    let standin = sources.iter().any(|s| s.starts_with("standin"));
    let mut tasks: Vec<String> = Vec::new();
    for r in &plan.runs {
        let c = &r.cfg;
        let d = &data[&data_key(r)].identity;
        let mut t = format!("{}: {} training images", c.task.name(), d.n_train);
        if c.width_divisor != 1 {
            t = format!(
                "{}: width ÷{}, {} training images",
                c.task.name(),
                c.width_divisor,
                d.n_train
            );
        }
        let e = plan_epochs(plan, c.task);
        t.push_str(&format!(", {e} epoch{}", if e == 1 { "" } else { "s" }));
        if !tasks.contains(&t) {
            tasks.push(t);
        }
    }
    let mut text = format!("scale {} · data: {}", req.scale.name(), sources.join(", "));
    if standin {
        text.push_str(" (stand-ins made from the embedded MNIST digits)");
    }
    if !tasks.is_empty() {
        text.push_str(" · ");
        text.push_str(&tasks.join("; "));
    }
    text
}

/// The longest run of `task` in the plan (its epochs as scaled).
fn plan_epochs(plan: &Planned, task: TaskId) -> usize {
    plan.runs
        .iter()
        .filter(|r| r.cfg.task == task)
        .map(|r| r.cfg.num_epochs())
        .max()
        .unwrap_or(0)
}

fn figure_json(
    req: &FigureRequest,
    plan: &Planned,
    results: &Results,
    data: &BTreeMap<DataKey, Arc<TaskData>>,
    payload: serde_json::Value,
) -> serde_json::Value {
    let mut tasks: Vec<TaskId> = plan.runs.iter().map(|r| r.cfg.task).collect();
    tasks.sort_by_key(|t| t.name());
    tasks.dedup();
    let factors: BTreeMap<&str, serde_json::Value> = tasks
        .iter()
        .map(|&t| {
            let mut s = req.scale.task(t);
            if let Some(e) = req.epochs {
                s.fixed_epochs = Some(e);
            }
            (t.name(), serde_json::json!(s))
        })
        .collect();
    let identities: BTreeMap<&str, serde_json::Value> = plan
        .runs
        .iter()
        .map(|r| {
            let id = &data[&data_key(r)].identity;
            (r.cfg.task.name(), serde_json::json!(id))
        })
        .collect();
    serde_json::json!({
        "figure": plan.figure.number(),
        "title": plan.figure.title(),
        "scale": req.scale.name(),
        "scale_factors": factors,
        "data": identities,
        "runs": results.iter().map(RunResult::summary).collect::<Vec<_>>(),
        "panels": payload,
    })
}

/// Prints the runs of each figure with their settings, whether they are already done, and an
/// estimate of their cost.
fn print_dry_run(common: &Common, req: &FigureRequest, plans: &[Planned]) {
    let mut seen = std::collections::BTreeSet::new();
    let mut total_cost = 0.0;
    for plan in plans {
        println!(
            "figure {} — {} ({} runs, scale {})",
            plan.figure.number(),
            plan.figure.title(),
            plan.runs.len(),
            req.scale.name()
        );
        if plan.runs.is_empty() {
            println!("  (no training: a pure function)");
        }
        for run in &plan.runs {
            let c = &run.cfg;
            let cost = match req.scale {
                Scale::Paper => super::cost::gpu_seconds(c),
                _ => super::cost::cpu_seconds(c),
            };
            if seen.insert(c.run_id()) {
                total_cost += cost;
            }
            println!(
                "  {:<40} {}  [{}]  ~{}",
                run.key,
                describe(c, run.replays.as_deref()),
                store_status(&common.runs, c),
                cost_text(req.scale, cost)
            );
        }
    }
    let basis = match req.scale {
        Scale::Paper => "on the authors' GPU (spec §6 timings, scaled by epochs, data and width²)",
        _ => "on 2 CPU cores, one run at a time (measured per-epoch times of the cpu scale)",
    };
    println!(
        "{} unique runs, about {} {basis}",
        seen.len(),
        cost_text(req.scale, total_cost)
    );
}

fn cost_text(scale: Scale, seconds: f64) -> String {
    match scale {
        Scale::Paper => format!("{:.2} GPU-h", seconds / 3600.0),
        _ => format!("{:.1} CPU-min", seconds / 60.0),
    }
}

/// The settings of a run in one line: task, optimizer, control, ρ(0), α, L2, warmup, epochs,
/// schedule, width and data reductions.
pub fn describe(c: &RunConfig, replays: Option<&str>) -> String {
    let control = match (&c.control, replays) {
        (_, Some(src)) => format!("adapt-copy<{src}>"),
        (ControlKind::None, _) => "none".into(),
        (ControlKind::Layca, _) => "layca".into(),
        (ControlKind::Lars, _) => "lars".into(),
        (ControlKind::AdaptCopy { source }, _) => format!("adapt-copy<{}>", source.display()),
    };
    let opt = serde_json::to_value(c.optimizer)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let mut s = format!(
        "task={} opt={} control={} rho0={:.4e} alpha={} l2={} warmup={} epochs={} schedule={}",
        c.task.name(),
        opt,
        control,
        c.rho0,
        c.alpha,
        c.l2,
        c.warmup_epochs,
        c.num_epochs(),
        schedule_text(&c.full_schedule()),
    );
    if c.width_divisor != 1 {
        s.push_str(&format!(" width=1/{}", c.width_divisor));
    }
    if let Some(n) = c.train_limit {
        s.push_str(&format!(" train={n}"));
    }
    if !c.stopping {
        s.push_str(" no-stopping");
    }
    s
}

fn schedule_text(s: &layca_core::Schedule) -> String {
    use layca_core::Schedule;
    match s {
        Schedule::Constant { .. } => "constant".into(),
        Schedule::StepDecay {
            factor, milestones, ..
        } => format!(
            "x{factor}@{}",
            milestones
                .iter()
                .map(|m| m.to_string())
                .collect::<Vec<_>>()
                .join(",")
        ),
        Schedule::Warmup {
            inner,
            warmup_epochs,
        } => format!("warmup{warmup_epochs}+{}", schedule_text(inner)),
        #[allow(unreachable_patterns)]
        other => format!("{other:?}"),
    }
}

/// `finished`, `diverged`, `partial` or `new`, from the run directories of this config (on any
/// data set: the dry run loads no data).
fn store_status(runs: &Path, c: &RunConfig) -> &'static str {
    let prefix = format!("{}_d", c.run_id());
    let Ok(entries) = std::fs::read_dir(runs) else {
        return "new";
    };
    let mut best = "new";
    for e in entries.flatten() {
        if !e.file_name().to_string_lossy().starts_with(&prefix) {
            continue;
        }
        let status = layca_train::RunDir::at(e.path())
            .record()
            .ok()
            .flatten()
            .map(|r| r.status);
        best = match status {
            Some(RunStatus::Finished { .. }) => return "finished",
            Some(RunStatus::Diverged { .. }) => "diverged",
            _ if best == "new" => "partial",
            _ => best,
        };
    }
    best
}
