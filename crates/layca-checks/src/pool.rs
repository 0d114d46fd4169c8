//! Max pooling with ties: the gradient goes to the first maximum of each window, exactly as
//! the CPU kernel of `layca-ops`, on every device.

use candle_core::{DType, Device, Tensor, Var};
use layca_models::layers::max_pool_with;
use layca_models::Ops;

use crate::{host, randn, rel_err, CheckError, Result};

/// Inputs rounded to halves (so windows hold ties), `(shape, window)` of the paper's pools and
/// a trimmed odd size, in f32 and f64: forward and gradient equal the CPU kernel's exactly.
pub fn max_pool_first_max(device: &Device) -> Result<()> {
    for dtype in [DType::F32, DType::F64] {
        for (shape, k) in [([2, 3, 9, 9], 2), ([2, 4, 8, 8], 4), ([1, 2, 4, 4], 2)] {
            case(device, &shape, k, dtype)?;
        }
    }
    Ok(())
}

fn tied_input(shape: &[usize], dtype: DType, device: &Device) -> Result<Tensor> {
    let x = randn(shape, 7, DType::F64, &Device::Cpu)?;
    let x = ((x * 2.0)?.floor()? * 0.5)?.clamp(-1.0, 1.0)?;
    Ok(x.to_dtype(dtype)?.to_device(device)?)
}

/// (y, dL/dx) of Σ max_pool(x)·r through the fast path on `device`.
fn pool_and_grad(x: &Tensor, k: usize, r: &Tensor) -> Result<(Tensor, Tensor)> {
    let v = Var::from_tensor(x)?;
    let y = max_pool_with(v.as_tensor(), k, Ops::Fast)?;
    let g = (&y * r)?.sum_all()?.backward()?;
    let dx = g
        .get(v.as_tensor())
        .ok_or_else(|| CheckError::Mismatch("max_pool: no input gradient".into()))?
        .clone();
    Ok((y, dx))
}

fn case(device: &Device, shape: &[usize], k: usize, dtype: DType) -> Result<()> {
    let what = format!("max_pool {shape:?} k={k} {dtype:?}");
    let x = tied_input(shape, dtype, device)?;
    let (n, c) = (shape[0], shape[1]);
    let (ho, wo) = (shape[2] / k, shape[3] / k);
    let r = (randn(&[n, c, ho, wo], 11, dtype, device)?.abs()? + 0.5)?;
    let (y, dx) = pool_and_grad(&x, k, &r)?;
    let (x_cpu, r_cpu) = (x.to_device(&Device::Cpu)?, r.to_device(&Device::Cpu)?);
    let v = Var::from_tensor(&x_cpu)?;
    let y_ref = layca_ops::max_pool2d(v.as_tensor(), k)?;
    let g = (&y_ref * &r_cpu)?.sum_all()?.backward()?;
    let dx_ref = g.get(v.as_tensor()).expect("cpu grad").clone();
    if rel_err(&y, &y_ref)? != 0.0 {
        return Err(CheckError::Mismatch(format!(
            "{what}: forward differs from the CPU kernel"
        )));
    }
    if rel_err(&dx, &dx_ref)? != 0.0 {
        return Err(CheckError::Mismatch(format!(
            "{what}: gradient not routed to the first maximum"
        )));
    }
    // One nonzero per window: the gradient was neither split nor duplicated on the ties.
    let nonzero = host(&dx)?.iter().filter(|v| **v != 0.0).count();
    if nonzero != n * c * ho * wo {
        return Err(CheckError::Mismatch(format!(
            "{what}: {nonzero} gradient entries for {} windows",
            n * c * ho * wo
        )));
    }
    Ok(())
}
