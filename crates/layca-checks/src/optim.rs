//! Optimizers on a device: every base × control on a quadratic (loss decreases, Layca keeps
//! the kernel norm, same trajectory as on the CPU), and the f64 rotation reductions.

use candle_core::{DType, Device, Tensor, Var};
use layca_optim::{BaseOptimizer, Control, LaycaOptimizer, NamedParam, OptimConfig};

use crate::{host, randn, rel_err, within, CheckError, Result};

const STEPS: usize = 60;

fn bases() -> Vec<(&'static str, BaseOptimizer)> {
    vec![
        ("sgd", BaseOptimizer::sgd()),
        ("sgd_momentum", BaseOptimizer::sgd_momentum(0.9, false)),
        ("sgd_nesterov", BaseOptimizer::sgd_momentum(0.9, true)),
        ("sgd_amom", BaseOptimizer::sgd_amom()),
        ("adam", BaseOptimizer::adam()),
        ("rmsprop", BaseOptimizer::rmsprop()),
        ("adagrad", BaseOptimizer::adagrad()),
    ]
}

fn controls() -> Vec<(&'static str, Control, f64)> {
    vec![
        ("none", Control::None, 0.02),
        ("layca", Control::Layca, 0.05),
        ("lars", Control::LarsLike { growth_cap: 1e-2 }, 0.05),
    ]
}

/// ½ Σ a (w − c)² on a 16×24 kernel.
struct Quadratic {
    a: Tensor,
    c: Tensor,
}

impl Quadratic {
    fn new(device: &Device) -> Result<Self> {
        let a = (randn(&[16, 24], 21, DType::F32, device)?.abs()? + 0.5)?;
        let c = randn(&[16, 24], 22, DType::F32, device)?;
        Ok(Self { a, c })
    }
    fn loss(&self, w: &Tensor) -> Result<Tensor> {
        Ok((((w - &self.c)?.sqr()? * &self.a)?.sum_all()? * 0.5)?)
    }
}

/// (initial loss, final loss, final kernel) of one optimizer run on `device`.
fn run(
    base: &BaseOptimizer,
    control: Control,
    lr: f64,
    device: &Device,
) -> Result<(f32, f32, Tensor)> {
    let q = Quadratic::new(device)?;
    let w = Var::from_tensor(&randn(&[16, 24], 20, DType::F32, device)?)?;
    let mut opt = LaycaOptimizer::new(
        vec![NamedParam::new("w", w.clone())],
        vec![],
        OptimConfig::new(base.clone(), control, lr),
    )?;
    let f0 = q.loss(w.as_tensor())?.to_scalar::<f32>()?;
    for _ in 0..STEPS {
        opt.step(&q.loss(w.as_tensor())?.backward()?)?;
    }
    let f1 = q.loss(w.as_tensor())?.to_scalar::<f32>()?;
    Ok((f0, f1, w.as_tensor().copy()?))
}

fn norm(t: &Tensor) -> Result<f64> {
    Ok(host(t)?.iter().map(|v| v * v).sum::<f64>().sqrt())
}

/// Every base optimizer × control mode: the loss decreases (final < 0.9 × initial, finite),
/// Layca keeps ‖w‖ (1e-5), and off the CPU the final kernel equals the CPU run's (1e-4).
pub fn optimizer_conformance(device: &Device) -> Result<()> {
    let w0 = randn(&[16, 24], 20, DType::F32, &Device::Cpu)?;
    let n0 = norm(&w0)?;
    for (bname, base) in bases() {
        for (cname, control, lr) in controls() {
            let what = format!("{bname}/{cname}");
            let (f0, f1, w) = run(&base, control.clone(), lr, device)?;
            if !f1.is_finite() || f1 >= 0.9 * f0 {
                return Err(CheckError::Mismatch(format!("{what}: loss {f0} -> {f1}")));
            }
            if cname == "layca" {
                within(
                    &format!("{what}: kernel norm"),
                    (norm(&w)? / n0 - 1.0).abs(),
                    1e-5,
                )?;
            }
            if !device.is_cpu() {
                let (_, _, w_cpu) = run(&base, control.clone(), lr, &Device::Cpu)?;
                within(
                    &format!("{what}: final kernel vs cpu"),
                    rel_err(&w, &w_cpu)?,
                    1e-4,
                )?;
            }
        }
    }
    Ok(())
}

/// Cosine distance of two f32 vectors of 2^20 values that differ by ~1e-4 relative (a
/// distance near 5e-9, far below f32 resolution of a dot product): on the device it must
/// match the host's f64 value within 1e-3 relative (the monitor accumulates in f64).
pub fn rotation_reductions_f64(device: &Device) -> Result<()> {
    let n = 1 << 20;
    let a = randn(&[n], 30, DType::F32, device)?;
    let b = (&a + (randn(&[n], 31, DType::F32, device)? * 1e-4)?)?;
    let d = layca_core::cosine_distance(&a, &b)?;
    let (ha, hb) = (host(&a)?, host(&b)?);
    let dot: f64 = ha.iter().zip(&hb).map(|(x, y)| x * y).sum();
    let na: f64 = ha.iter().map(|x| x * x).sum::<f64>().sqrt();
    let nb: f64 = hb.iter().map(|x| x * x).sum::<f64>().sqrt();
    let want = 1.0 - dot / (na * nb);
    within(
        &format!("cosine distance {d:e} vs f64 {want:e}"),
        (d - want).abs() / want.abs(),
        1e-3,
    )?;
    let monitor = layca_core::RotationMonitor::new(&[("k".into(), a.clone())])?;
    let m = monitor.cosine_distances(&[b])?[0];
    within(
        &format!("monitor {m:e} vs f64 {want:e}"),
        (m - want).abs() / want.abs(),
        1e-3,
    )
}
