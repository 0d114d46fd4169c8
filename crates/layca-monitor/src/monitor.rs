//! [`LayerMonitor`]: per-layer cosine distance to the initial weights, per-step tan θ, optional
//! weight norm and update/weight ratio, every `interval` steps.
//!
//! Cost: the initial weights are copied once (on their device, native dtype). Before a recorded
//! step the watched weights are copied (on device) once more; after it, every reduction (five per
//! layer, in f64 on the device: w·w0, w·w, w·p, p·p, and ‖w−p‖² for the update ratio) is stacked
//! into one tensor and moved to the host in **one** transfer of 8·5·L bytes. Steps between
//! records cost nothing. Per record and watched tensor of n values: one on-device copy (n), three
//! f64 conversions (3n) and four or five dot products (≈ 2n flops each).
use crate::select::{Reason, Selection, WatchReport};
use crate::{MonitorError, Result};
use candle_core::{DType, Tensor, Var};
use candle_nn::VarMap;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What to record, and how often.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitorConfig {
    /// Record every `interval` optimizer steps (1 = every step).
    pub interval: u64,
    /// Also record ‖w‖ per layer.
    pub weight_norm: bool,
    /// Also record ‖w_t − w_{t−1}‖ / ‖w_{t−1}‖ per layer.
    pub update_ratio: bool,
}

impl Default for MonitorConfig {
    fn default() -> Self {
        Self {
            interval: 1,
            weight_norm: false,
            update_ratio: false,
        }
    }
}

/// One layer's measurements at a recorded step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerRecord {
    /// Tensor name.
    pub name: String,
    /// Cosine distance to the initial weights (f64, scipy's formula).
    pub cosine_distance: f64,
    /// tan θ of the angle between the weights before and after this step.
    pub tan_theta: f64,
    /// ‖w‖ (when enabled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight_norm: Option<f64>,
    /// ‖Δw‖ / ‖w before the step‖ (when enabled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_ratio: Option<f64>,
}

/// Everything recorded at one step (one JSONL line).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    /// Optimizer steps completed (1 after the first step).
    pub step: u64,
    /// Per-layer measurements, watched order.
    pub layers: Vec<LayerRecord>,
    /// User scalars (loss, learning rate, ...) attached with [`StepRecord::with_scalar`].
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub scalars: BTreeMap<String, f64>,
}

impl StepRecord {
    /// Attaches a scalar (e.g. `"loss"`) to this record.
    pub fn with_scalar(mut self, tag: &str, value: f64) -> Self {
        self.scalars.insert(tag.to_string(), value);
        self
    }
    /// The record as (tag, value) pairs: `rotation/<layer>`, `tan_theta/<layer>`,
    /// `weight_norm/<layer>`, `update_ratio/<layer>`, then the user scalars. Every sink writes
    /// these tags.
    pub fn scalars(&self) -> Vec<(String, f64)> {
        let mut out = vec![];
        for l in &self.layers {
            out.push((format!("rotation/{}", l.name), l.cosine_distance));
            out.push((format!("tan_theta/{}", l.name), l.tan_theta));
            if let Some(v) = l.weight_norm {
                out.push((format!("weight_norm/{}", l.name), v));
            }
            if let Some(v) = l.update_ratio {
                out.push((format!("update_ratio/{}", l.name), v));
            }
        }
        out.extend(self.scalars.iter().map(|(k, v)| (k.clone(), *v)));
        out
    }
}

struct Watched {
    name: String,
    var: Var,
    initial: Tensor,
    initial_sq: f64,
}

/// Layer-rotation telemetry around any candle training loop.
///
/// Call [`before_step`](Self::before_step) before `opt.step(&grads)` and
/// [`after_step`](Self::after_step) after it; `after_step` returns a record every `interval` steps.
pub struct LayerMonitor {
    layers: Vec<Watched>,
    previous: Option<Vec<Tensor>>,
    report: WatchReport,
    config: MonitorConfig,
    step: u64,
}

fn f64_flat(t: &Tensor) -> Result<Tensor> {
    Ok(t.flatten_all()?.to_dtype(DType::F64)?)
}

fn dot(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    Ok((a * b)?.sum_all()?)
}

impl LayerMonitor {
    /// Watches the `Var`s of a `VarMap` (sorted by name: a `VarMap` has no order) chosen by
    /// `selection`.
    pub fn from_varmap(
        varmap: &VarMap,
        selection: &Selection,
        config: MonitorConfig,
    ) -> Result<Self> {
        let mut named: Vec<(String, Var)> = varmap
            .data()
            .lock()
            .map_err(|_| MonitorError::InvalidConfig {
                field: "varmap".into(),
                reason: "its lock is poisoned".into(),
            })?
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        named.sort_by(|a, b| a.0.cmp(&b.0));
        Self::from_named(named, selection, config)
    }

    /// Watches named `Var`s (kept in the given order, e.g. forward order) chosen by `selection`.
    pub fn from_named(
        named: Vec<(String, Var)>,
        selection: &Selection,
        config: MonitorConfig,
    ) -> Result<Self> {
        if config.interval == 0 {
            return Err(MonitorError::InvalidConfig {
                field: "interval".into(),
                reason: "must be at least 1".into(),
            });
        }
        let considered = named.len();
        let (watched, mut report) = selection.apply(named);
        let mut layers = Vec::with_capacity(watched.len());
        let mut zero = vec![];
        for (name, var) in watched {
            match Self::capture(name, var) {
                Ok(l) => layers.push(l),
                Err(MonitorError::ZeroNorm { name }) => zero.push(name),
                Err(e) => return Err(e),
            }
        }
        report.ignore(&zero, Reason::ZeroNormAtStart);
        if layers.is_empty() {
            return Err(MonitorError::NothingWatched { considered });
        }
        Ok(Self {
            layers,
            previous: None,
            report,
            config,
            step: 0,
        })
    }

    fn capture(name: String, var: Var) -> Result<Watched> {
        let initial = var.as_tensor().detach().copy()?;
        let w = f64_flat(&initial)?;
        let initial_sq = dot(&w, &w)?.to_scalar::<f64>()?;
        if !initial_sq.is_finite() {
            return Err(MonitorError::NonFinite {
                name,
                what: "initial norm",
            });
        }
        if initial_sq == 0.0 {
            return Err(MonitorError::ZeroNorm { name });
        }
        Ok(Watched {
            name,
            var,
            initial,
            initial_sq,
        })
    }

    /// Which tensors are watched or ignored, and why.
    pub fn report(&self) -> &WatchReport {
        &self.report
    }

    /// Prints the report to stderr and returns it (call before training).
    pub fn print_report(&self) -> &WatchReport {
        eprint!("{}", self.report);
        &self.report
    }

    /// Names of the watched tensors.
    pub fn names(&self) -> Vec<&str> {
        self.layers.iter().map(|l| l.name.as_str()).collect()
    }

    /// The watched `Var`s with their names (e.g. the kernels to give `LaycaOptimizer`).
    pub fn vars(&self) -> Vec<(String, Var)> {
        self.layers
            .iter()
            .map(|l| (l.name.clone(), l.var.clone()))
            .collect()
    }

    /// Optimizer steps seen so far.
    pub fn step(&self) -> u64 {
        self.step
    }

    /// Drops watched `Var`s that got no gradient (BN buffers under unusual names, frozen layers);
    /// call once after the first `backward`. Returns the names dropped.
    pub fn exclude_without_grad(
        &mut self,
        grads: &candle_core::backprop::GradStore,
    ) -> Vec<String> {
        let (keep, drop): (Vec<_>, Vec<_>) = std::mem::take(&mut self.layers)
            .into_iter()
            .partition(|l| grads.get(l.var.as_tensor()).is_some());
        self.layers = keep;
        let dropped: Vec<String> = drop.into_iter().map(|l| l.name).collect();
        self.report.ignore(&dropped, Reason::NoGradient);
        dropped
    }

    fn records_next(&self) -> bool {
        (self.step + 1).is_multiple_of(self.config.interval)
    }

    /// Snapshots the watched weights when the coming step is recorded (on device, no transfer).
    pub fn before_step(&mut self) -> Result<()> {
        self.previous = if self.records_next() {
            let snap = self
                .layers
                .iter()
                .map(|l| l.var.as_tensor().detach().copy());
            Some(snap.collect::<candle_core::Result<Vec<_>>>()?)
        } else {
            None
        };
        Ok(())
    }

    /// Counts a step; every `interval` steps returns its record (needs `before_step` first).
    pub fn after_step(&mut self) -> Result<Option<StepRecord>> {
        let recorded = self.records_next();
        self.step += 1;
        if !recorded {
            return Ok(None);
        }
        let previous = self.previous.take().ok_or(MonitorError::InvalidConfig {
            field: "call order".into(),
            reason: "after_step on a recorded step needs before_step first".into(),
        })?;
        self.measure(&previous).map(Some)
    }

    /// Values per layer read by [`Self::reductions`].
    fn per_layer(&self) -> usize {
        if self.config.update_ratio {
            5
        } else {
            4
        }
    }

    /// Stacks [w·w0, w·w, w·p, p·p (, ‖w−p‖²)] of every layer and reads them in one transfer.
    fn reductions(&self, previous: &[Tensor]) -> Result<Vec<f64>> {
        let mut parts = Vec::with_capacity(self.per_layer() * self.layers.len());
        for (l, p) in self.layers.iter().zip(previous) {
            let w = f64_flat(l.var.as_tensor())?;
            let w0 = f64_flat(&l.initial)?;
            let p = f64_flat(p)?;
            parts.extend([dot(&w, &w0)?, dot(&w, &w)?, dot(&w, &p)?, dot(&p, &p)?]);
            if self.config.update_ratio {
                let diff = (&w - &p)?;
                parts.push(dot(&diff, &diff)?);
            }
        }
        Ok(Tensor::stack(&parts, 0)?.to_vec1::<f64>()?)
    }

    fn measure(&self, previous: &[Tensor]) -> Result<StepRecord> {
        let v = self.reductions(previous)?;
        let layers = self
            .layers
            .iter()
            .zip(v.chunks_exact(self.per_layer()))
            .map(|(l, r)| self.layer_record(l, r))
            .collect::<Result<Vec<_>>>()?;
        Ok(StepRecord {
            step: self.step,
            layers,
            scalars: BTreeMap::new(),
        })
    }

    fn layer_record(&self, l: &Watched, r: &[f64]) -> Result<LayerRecord> {
        let (w_w0, ww, wp, pp) = (r[0], r[1], r[2], r[3]);
        let dd = r.get(4).copied().unwrap_or(0.0);
        if r.iter().any(|x| !x.is_finite()) {
            return Err(MonitorError::NonFinite {
                name: l.name.clone(),
                what: "weights",
            });
        }
        if ww == 0.0 || pp == 0.0 {
            return Err(MonitorError::ZeroNorm {
                name: l.name.clone(),
            });
        }
        let cosine_distance = 1.0 - w_w0 / (ww * l.initial_sq).sqrt();
        let tan_theta = layca_core::tan_from_cosine_distance(1.0 - wp / (ww * pp).sqrt());
        Ok(LayerRecord {
            name: l.name.clone(),
            cosine_distance,
            tan_theta,
            weight_norm: self.config.weight_norm.then(|| ww.sqrt()),
            update_ratio: self.config.update_ratio.then(|| (dd / pp).sqrt()),
        })
    }

    /// Host copies of the watched weights as f64 (for histograms; costs a full transfer).
    pub fn weights_f64(&self) -> Result<Vec<(String, Vec<f64>)>> {
        self.layers
            .iter()
            .map(|l| {
                Ok((
                    l.name.clone(),
                    f64_flat(l.var.as_tensor())?.to_vec1::<f64>()?,
                ))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    fn var(v: &[f32], shape: &[usize]) -> Var {
        Var::from_tensor(
            &Tensor::new(v, &Device::Cpu)
                .unwrap()
                .reshape(shape)
                .unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn records_match_layca_core_and_interval() -> Result<()> {
        let w = var(&[1., 0., 0., 0.], &[2, 2]);
        let b = var(&[0.5, 0.5], &[2]);
        let cfg = MonitorConfig {
            interval: 2,
            weight_norm: true,
            update_ratio: true,
        };
        let named = vec![("w".to_string(), w.clone()), ("b".to_string(), b)];
        let mut m = LayerMonitor::from_named(named, &Selection::default(), cfg)?;
        assert_eq!(m.names(), vec!["w"]);
        assert_eq!(m.report().ignored(), vec!["b"]);
        let w0 = w.as_tensor().copy()?;
        m.before_step()?;
        w.set(&Tensor::new(&[[1f32, 0.1], [0., 0.]], &Device::Cpu)?)?;
        assert!(
            m.after_step()?.is_none(),
            "step 1 is not recorded at interval 2"
        );
        let w1 = w.as_tensor().copy()?;
        m.before_step()?;
        w.set(&Tensor::new(&[[1f32, 0.3], [0., 0.]], &Device::Cpu)?)?;
        let rec = m.after_step()?.expect("step 2 is recorded");
        assert_eq!(rec.step, 2);
        let l = &rec.layers[0];
        let d = layca_core::cosine_distance(w.as_tensor(), &w0)?;
        assert!((l.cosine_distance - d).abs() < 1e-15, "{l:?} vs {d}");
        let t =
            layca_core::tan_from_cosine_distance(layca_core::cosine_distance(w.as_tensor(), &w1)?);
        assert!((l.tan_theta - t).abs() < 1e-12, "{l:?} vs {t}");
        let ratio = 0.2f32 as f64 / (1.0 + 0.1f32 as f64 * 0.1f32 as f64).sqrt();
        assert!((l.update_ratio.unwrap() - ratio).abs() < 1e-6);
        assert!((l.weight_norm.unwrap() - (1.0f64 + 0.09).sqrt()).abs() < 1e-6);
        Ok(())
    }

    #[test]
    fn candle_batch_norm_stats_are_ignored_and_gradless_vars_dropped() -> Result<()> {
        use candle_nn::{ModuleT, VarBuilder};
        let dev = Device::Cpu;
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &dev);
        let bn = candle_nn::batch_norm(4, 1e-5, vb.pp("block.bn"))?;
        let w =
            vb.pp("block")
                .get_with_hints((4, 4), "w", candle_nn::init::DEFAULT_KAIMING_NORMAL)?;
        // a rank-2 Var that takes no part in the loss (a frozen or unused layer)
        let _unused =
            vb.get_with_hints((3, 3), "unused", candle_nn::init::DEFAULT_KAIMING_NORMAL)?;
        let sel = Selection {
            min_rank: 1,
            ..Selection::default()
        };
        let mut m = LayerMonitor::from_varmap(&varmap, &sel, MonitorConfig::default())?;
        let ignored = m.report().ignored();
        // BN β starts at zero: ignored with its reason instead of an error
        assert_eq!(
            ignored,
            vec![
                "block.bn.bias",
                "block.bn.running_mean",
                "block.bn.running_var"
            ]
        );
        let x = Tensor::randn(0f32, 1., (8, 4), &dev)?;
        let loss = bn.forward_t(&x.matmul(&w)?, true)?.sqr()?.sum_all()?;
        let dropped = m.exclude_without_grad(&loss.backward()?);
        assert_eq!(dropped, vec!["unused".to_string()]);
        assert_eq!(m.names(), vec!["block.bn.weight", "block.w"]);
        let unused = m.report().choices.iter().find(|c| c.name == "unused");
        assert_eq!(unused.map(|c| &c.reason), Some(&Reason::NoGradient));
        assert!(!unused.is_some_and(|c| c.watched));
        Ok(())
    }

    #[test]
    fn bad_setups_are_errors() {
        let b = var(&[0.5, 0.5], &[2]);
        let named = vec![("b".to_string(), b)];
        let err = LayerMonitor::from_named(named, &Selection::default(), MonitorConfig::default());
        assert!(matches!(
            err,
            Err(MonitorError::NothingWatched { considered: 1 })
        ));
        let z = var(&[0., 0., 0., 0.], &[2, 2]);
        let err = LayerMonitor::from_named(
            vec![("z".to_string(), z)],
            &Selection::default(),
            MonitorConfig::default(),
        );
        assert!(matches!(err, Err(MonitorError::NothingWatched { .. })));
    }
}
