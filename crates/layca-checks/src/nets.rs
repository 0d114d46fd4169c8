//! Whole networks on a device: the fast path against the stock composition and against the
//! CPU (logits, every gradient, BN moving statistics), and finite differences in f64.

use candle_core::{DType, Device, Tensor, Var};
use layca_models::{build_scaled_with_dtype, Arch, Network, Ops};

use crate::{randn, rel_err, within, CheckError, Result};

/// Relative tolerance between two f64 paths (summation order differs; through 25 layers of
/// batch-4 BN, f32 rounding alone reaches 1e-2 in the first kernel's gradient, so the networks
/// are compared in f64, where only a difference in semantics shows).
const TOL: f64 = 1e-6;

/// What one train-mode step of a network produces.
struct Step {
    logits: Tensor,
    grads: Vec<Tensor>,
    buffers: Vec<Tensor>,
}

/// One train-mode forward of Σ logits·r and its gradients (kernels, then other params).
fn step(net: &dyn Network, x: &Tensor, r: &Tensor) -> Result<Step> {
    let logits = net.forward_t(x, true)?;
    let g = (&logits * r)?.sum_all()?.backward()?;
    let mut grads = Vec::new();
    for p in net.kernels().into_iter().chain(net.others()) {
        let t = g
            .get(p.var.as_tensor())
            .ok_or_else(|| CheckError::Mismatch(format!("no gradient for {}", p.name)))?;
        grads.push(t.clone());
    }
    let buffers = net
        .buffers()
        .iter()
        .map(|b| b.var.as_tensor().clone())
        .collect();
    Ok(Step {
        logits,
        grads,
        buffers,
    })
}

fn run(arch: Arch, divisor: usize, ops: Ops, device: &Device) -> Result<Step> {
    let mut net = build_scaled_with_dtype(arch, divisor, 3, DType::F64, device)?;
    net.set_ops(ops);
    let x = randn(&[4, 3, 32, 32], 5, DType::F64, device)?;
    let classes = net.forward_t(&x, false)?.dim(1)?;
    let r = randn(&[4, classes], 6, DType::F64, device)?;
    step(net.as_ref(), &x, &r)
}

fn compare(what: &str, a: &Step, b: &Step, tol: f64) -> Result<()> {
    within(
        &format!("{what}: logits"),
        rel_err(&a.logits, &b.logits)?,
        tol,
    )?;
    for (i, (ga, gb)) in a.grads.iter().zip(&b.grads).enumerate() {
        within(&format!("{what}: gradient {i}"), rel_err(ga, gb)?, tol)?;
    }
    for (i, (ba, bb)) in a.buffers.iter().zip(&b.buffers).enumerate() {
        within(&format!("{what}: BN buffer {i}"), rel_err(ba, bb)?, tol)?;
    }
    Ok(())
}

/// Fast vs stock on `device`, and fast on `device` vs fast on the CPU (f64).
fn fast_vs_stock(arch: Arch, divisor: usize, device: &Device) -> Result<()> {
    let fast = run(arch, divisor, Ops::Fast, device)?;
    let stock = run(arch, divisor, Ops::Stock, device)?;
    compare(&format!("{arch:?} fast vs stock"), &fast, &stock, TOL)?;
    if !device.is_cpu() {
        let cpu = run(arch, divisor, Ops::Fast, &Device::Cpu)?;
        compare(&format!("{arch:?} device vs cpu"), &fast, &cpu, TOL)?;
    }
    Ok(())
}

/// C10-CNN1 (BN after ReLU, five max-pools: systematic ties) at width ÷16.
pub fn c10_cnn1_fast_vs_stock(device: &Device) -> Result<()> {
    fast_vs_stock(Arch::C10Cnn1, 16, device)
}

/// ResNet-32 (BN + ReLU fused, residual joins) at width ÷8.
pub fn resnet32_fast_vs_stock(device: &Device) -> Result<()> {
    fast_vs_stock(Arch::Resnet32, 8, device)
}

/// Σ logits·r of a train-mode forward in f64.
fn loss(net: &dyn Network, x: &Tensor, r: &Tensor) -> Result<f64> {
    Ok((net.forward_t(x, true)? * r)?
        .sum_all()?
        .to_dtype(DType::F64)?
        .to_scalar::<f64>()?)
}

/// Central differences (f64, h = 1e-7: small enough that no ReLU or max-pool kink is crossed) of Σ logits·r of C10-CNN1 ÷32 in train mode against
/// the autograd gradient, at input pixels and first-kernel weights. C10-CNN1's BN after ReLU
/// makes max-pool ties systematic: a gradient split or duplicated on ties fails this check.
pub fn finite_differences(device: &Device) -> Result<()> {
    let net = build_scaled_with_dtype(Arch::C10Cnn1, 32, 4, DType::F64, device)?;
    let x = Var::from_tensor(&randn(&[2, 3, 32, 32], 8, DType::F64, device)?)?;
    let r = randn(&[2, 10], 9, DType::F64, device)?;
    let g = (net.forward_t(x.as_tensor(), true)? * &r)?
        .sum_all()?
        .backward()?;
    let k0 = net.kernels().remove(0);
    let gx = crate::host(g.get(x.as_tensor()).expect("input grad"))?;
    let gk = crate::host(g.get(k0.var.as_tensor()).expect("kernel grad"))?;
    for (var, grad, name) in [(&x, &gx, "input"), (&k0.var, &gk, "kernel 0")] {
        for idx in [0usize, 37, 500, 1021, 2047, 3000] {
            let idx = idx % grad.len();
            let fd = central_difference(net.as_ref(), x.as_tensor(), &r, var, idx)?;
            let err = (fd - grad[idx]).abs() / fd.abs().max(grad[idx].abs()).max(1e-3);
            within(
                &format!(
                    "finite differences, {name}[{idx}] ({fd:e} vs {:e})",
                    grad[idx]
                ),
                err,
                1e-4,
            )?;
        }
    }
    Ok(())
}

/// (L(v + h e_i) − L(v − h e_i)) / 2h, restoring `v`.
fn central_difference(
    net: &dyn Network,
    x: &Tensor,
    r: &Tensor,
    v: &Var,
    idx: usize,
) -> Result<f64> {
    const H: f64 = 1e-7;
    let orig = v.as_tensor().copy()?;
    let shape = orig.shape().clone();
    let at = |delta: f64| -> Result<f64> {
        let mut e = vec![0f64; shape.elem_count()];
        e[idx] = delta;
        let e = Tensor::from_vec(e, &shape, &Device::Cpu)?.to_device(orig.device())?;
        v.set(&(&orig + e)?)?;
        loss(net, x, r)
    };
    let (up, down) = (at(H)?, at(-H)?);
    v.set(&orig)?;
    Ok((up - down) / (2.0 * H))
}
