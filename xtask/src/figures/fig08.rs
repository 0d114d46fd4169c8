//! Figure 8: MNIST 1-hidden-layer MLP under Layca (spec §3.7, §6 Fig 8).
//!
//! Four SGD + Layca runs from one shared initialisation on the embedded MNIST split
//! (5,000 train / 5,000 test, batch 1,000 = the paper's 5 steps per epoch):
//! ρ(0) = 3^-2 (÷5 from epoch 90), 3^-2.5 and 3^-3 (÷5 from epoch 95), 3^-4 (constant),
//! 100 epochs each. Writes `fig08.png`, `fig08.svg` and `fig08.json` under `--out`.
use super::{FigRun, FigureSpec, RenderCtx, Results, RunResult};
use anyhow::{Context, Result};
use candle_core::Tensor;
use layca_core::Schedule;
use layca_plot::{Figure8Data, Figure8Run};
use layca_train::{RunConfig, TaskId};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The hidden neurons shown in panel (b) (spec: neurons 5, 6, 7, 8, 9).
const NEURONS: [usize; 5] = [5, 6, 7, 8, 9];
/// The monitored hidden layer.
const HIDDEN: &str = "dense0";

/// (ρ(0) exponent of 3, label, epoch of the ÷5 drop).
const RUNS: [(f64, &str, Option<usize>); 4] = [
    (-2.0, "3^-2", Some(90)),
    (-2.5, "3^-2.5", Some(95)),
    (-3.0, "3^-3", Some(95)),
    (-4.0, "3^-4", None),
];

#[derive(Serialize)]
struct JsonRun {
    rho0: f64,
    label: String,
    test_acc: f64,
    train_acc: f64,
    final_rotation: BTreeMap<String, f64>,
    end_of_training_rotation: BTreeMap<String, f64>,
    rotation_curve: BTreeMap<String, Vec<f64>>,
    run_dir: String,
}

/// The paper's four runs (spec §3.7): 100 epochs, batch 2,048 of the 10,000-digit subset, one
/// shared initialisation, the ÷5 drops of each ρ(0).
pub fn paper_runs() -> Vec<FigRun> {
    RUNS.iter()
        .map(|&(exp, label, drop)| {
            let rho0 = 3f64.powf(exp);
            let mut cfg = RunConfig::layca(TaskId::Mnist, rho0);
            cfg.schedule = Some(match drop {
                Some(m) => Schedule::StepDecay {
                    base: rho0,
                    factor: 0.2,
                    milestones: vec![m],
                },
                None => Schedule::Constant { base: rho0 },
            });
            cfg.epochs = Some(100);
            cfg.stopping = false;
            cfg.batch_size = Some(2048);
            FigRun::new(format!("mnist/layca/rho={label}"), cfg)
        })
        .collect()
}

fn features(kernel: &Tensor) -> Result<Vec<Vec<f32>>> {
    NEURONS
        .iter()
        .map(|&j| -> Result<Vec<f32>> {
            Ok(layca_models::hidden_features(kernel, j)?
                .flatten_all()?
                .to_vec1::<f32>()?)
        })
        .collect()
}

fn hidden_kernel(net: &dyn layca_models::Network) -> Result<Tensor> {
    let k = net
        .kernels()
        .into_iter()
        .find(|k| k.name == HIDDEN)
        .with_context(|| format!("the MNIST MLP has no kernel named {HIDDEN}"))?;
    Ok(k.var.as_tensor().clone())
}

/// One run's curve, features and numbers.
fn one_run(r: &RunResult, label: &str, ctx: &RenderCtx, fig: &mut Figure8Data) -> Result<JsonRun> {
    let metrics = r
        .record
        .metrics
        .clone()
        .with_context(|| format!("run {} has no final metrics ({})", r.key, r.status_text()))?;
    let hidden_idx = r
        .record
        .layers
        .iter()
        .position(|l| l == HIDDEN)
        .with_context(|| format!("run {} has no layer {HIDDEN}", r.record.id))?;
    let mut curves = BTreeMap::new();
    let mut finals = BTreeMap::new();
    let mut ends = BTreeMap::new();
    for (i, name) in r.record.layers.iter().enumerate() {
        let curve: Vec<f64> = r.history.iter().map(|h| h.rotation[i]).collect();
        finals.insert(name.clone(), *curve.last().unwrap_or(&0.0));
        ends.insert(name.clone(), metrics.end_rotation[i]);
        curves.insert(name.clone(), curve);
    }
    // Final weights of the run, and the shared initialisation.
    let net = ctx.engine.build_initialised(&r.cfg)?;
    if fig.init_features.is_empty() {
        fig.init_features = features(&hidden_kernel(net.as_ref())?)?;
    }
    layca_models::load_weights(net.as_ref(), r.dir.final_weights())?;
    fig.runs.push(Figure8Run {
        label: format!("lr = {label}"),
        rotation_curve: r.history.iter().map(|h| h.rotation[hidden_idx]).collect(),
        features: features(&hidden_kernel(net.as_ref())?)?,
        train_acc: metrics.train_acc,
        test_acc: metrics.test_acc,
    });
    tracing::info!(
        rho0 = label,
        test_acc = metrics.test_acc,
        train_acc = metrics.train_acc,
        dense0 = finals[HIDDEN],
        "figure 8 run done"
    );
    Ok(JsonRun {
        rho0: r.cfg.rho0,
        label: label.to_string(),
        test_acc: metrics.test_acc,
        train_acc: metrics.train_acc,
        final_rotation: finals,
        end_of_training_rotation: ends,
        rotation_curve: curves,
        run_dir: r.dir.root().display().to_string(),
    })
}

pub struct Fig08;

impl FigureSpec for Fig08 {
    fn number(&self) -> u32 {
        8
    }
    fn title(&self) -> &'static str {
        "MNIST 1-hidden-layer MLP under Layca: hidden-layer rotation and features"
    }
    fn runs(&self) -> Vec<FigRun> {
        paper_runs()
    }
    fn render(&self, results: &Results, ctx: &RenderCtx, stem: &Path) -> Result<serde_json::Value> {
        let mut fig = Figure8Data {
            runs: Vec::new(),
            init_features: Vec::new(),
            caption: Some(ctx.caption.clone()),
        };
        let mut json_runs = Vec::new();
        for (run, &(_, label, _)) in paper_runs().iter().zip(RUNS.iter()) {
            json_runs.push(one_run(results.get(&run.key)?, label, ctx, &mut fig)?);
        }
        layca_plot::figure8(&fig, stem).context("rendering figure 8")?;
        for r in &json_runs {
            println!(
                "  ρ(0) = {:<7} test {:.2} %  train {:.2} %  final dense0 rotation {:.3}",
                r.label,
                100.0 * r.test_acc,
                100.0 * r.train_acc,
                r.final_rotation[HIDDEN]
            );
        }
        Ok(serde_json::to_value(json_runs)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::scale::{apply, Scale};

    #[test]
    fn paper_schedules_are_encoded() {
        let cfgs: Vec<RunConfig> = paper_runs().into_iter().map(|r| r.cfg).collect();
        let rates: Vec<(f64, f64, f64)> = cfgs
            .iter()
            .map(|c| {
                let s = c.full_schedule();
                (s.rate(0, 0, 5), s.rate(92, 0, 5), s.rate(99, 4, 5))
            })
            .collect();
        let r = |e: f64| 3f64.powf(e);
        // 3^-2: ÷5 from epoch 90; 3^-2.5 and 3^-3: ÷5 from 95; 3^-4 constant.
        let expect = [
            (r(-2.0), r(-2.0) / 5.0, r(-2.0) / 5.0),
            (r(-2.5), r(-2.5), r(-2.5) / 5.0),
            (r(-3.0), r(-3.0), r(-3.0) / 5.0),
            (r(-4.0), r(-4.0), r(-4.0)),
        ];
        for (got, want) in rates.iter().zip(expect) {
            assert!(
                (got.0 - want.0).abs() < 1e-12
                    && (got.1 - want.1).abs() < 1e-12
                    && (got.2 - want.2).abs() < 1e-12
            );
        }
        assert!(cfgs
            .iter()
            .all(|c| c.num_epochs() == 100 && c.batch_size == Some(2048)));
        // On the embedded digits (5,000 training images) the task's batch of 1,000 keeps the
        // paper's 5 steps per epoch; the cpu scale changes nothing else for MNIST.
        let cpu = apply(Scale::Cpu, &paper_runs(), None, true);
        for (c, p) in cpu.iter().zip(&cfgs) {
            assert_eq!(c.cfg.batch_size, None);
            assert_eq!((c.cfg.num_epochs(), c.cfg.width_divisor), (100, 1));
            assert_eq!(c.cfg.schedule, p.schedule);
        }
        assert!(apply(Scale::Cpu, &paper_runs(), None, false)
            .iter()
            .all(|c| c.cfg.batch_size == Some(2048)));
    }
}
