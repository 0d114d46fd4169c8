//! Building blocks: conv (TF "same"/"valid" padding), dense, Keras batch normalisation,
//! pooling with correct gradients, dropout with its own seeded stream.
//!
//! Tensor layouts:
//! * activations are NCHW (candle's convention);
//! * conv kernels are `(out, in, kh, kw)` (candle's layout; Keras stores `(kh, kw, in, out)` —
//!   the layout does not matter for any rotation measure, which only uses the flattened tensor);
//! * dense kernels are **`(in, out)`, as in Keras**: column `j` (`kernel.i((.., j))`) holds the
//!   input weights of output unit `j`.

use std::sync::Mutex;

use candle_core::{DType, Device, Tensor, Var, D};
pub use layca_ops::{BnActivation, Ops};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::init::{var_from_f64, var_full, Init};
use crate::{ModelError, NamedVar, Result};

/// Padding mode of a convolution (TensorFlow semantics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Padding {
    /// TF "same": output = ceil(input / stride); the total padding
    /// `max((out−1)·stride + k − in, 0)` is split with the smaller half **before**
    /// (so a 3×3 stride-2 conv on 32×32 pads 0 before and 1 after).
    Same,
    /// No padding.
    Valid,
}

/// TF "same" padding amounts `(before, after)` for one spatial axis.
pub fn same_padding(input: usize, kernel: usize, stride: usize) -> (usize, usize) {
    let out = input.div_ceil(stride);
    let total = ((out - 1) * stride + kernel).saturating_sub(input);
    (total / 2, total - total / 2)
}

/// A bias-free (or biased) 2-D convolution.
#[derive(Debug)]
pub struct Conv2d {
    pub(crate) name: String,
    pub(crate) kernel: Var,
    stride: usize,
    padding: Padding,
}

impl Conv2d {
    /// Creates a `k×k` conv `c_in → c_out` with kernel initialiser `init` (no bias).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        name: impl Into<String>,
        c_in: usize,
        c_out: usize,
        k: usize,
        stride: usize,
        padding: Padding,
        init: Init,
        rng: &mut ChaCha8Rng,
        dtype: DType,
        device: &Device,
    ) -> Result<Self> {
        let n = c_out * c_in * k * k;
        let vals = init.sample(rng, n, k * k * c_in, k * k * c_out);
        Ok(Self {
            name: name.into(),
            kernel: var_from_f64(vals, &[c_out, c_in, k, k], dtype, device)?,
            stride,
            padding,
        })
    }

    /// Applies the convolution to an NCHW tensor with the [`Ops`] implementation `ops`.
    pub fn forward_with(&self, xs: &Tensor, ops: Ops) -> Result<Tensor> {
        self.forward_extra_pad(xs, 0, ops)
    }

    /// The convolution of `xs` zero-padded by `extra` on every side first (WRN's
    /// "pad 1, then a valid conv"), without materialising the padded input on the fast path.
    pub fn forward_extra_pad(&self, xs: &Tensor, extra: usize, ops: Ops) -> Result<Tensor> {
        if !ops.fast_for(xs) {
            let xs = if extra > 0 {
                xs.pad_with_zeros(2, extra, extra)?
                    .pad_with_zeros(3, extra, extra)?
            } else {
                xs.clone()
            };
            return self.forward(&xs);
        }
        let (_, _, h, w) = xs.dims4()?;
        let k = self.kernel.dim(2)?;
        let ((hb, ha), (wb, wa)) = match self.padding {
            Padding::Valid => ((0, 0), (0, 0)),
            Padding::Same => (
                same_padding(h + 2 * extra, k, self.stride),
                same_padding(w + 2 * extra, k, self.stride),
            ),
        };
        let p = layca_ops::Conv2dParams {
            stride: self.stride,
            pad_top: hb + extra,
            pad_bottom: ha + extra,
            pad_left: wb + extra,
            pad_right: wa + extra,
        };
        Ok(layca_ops::conv2d(xs, self.kernel.as_tensor(), p)?)
    }

    /// Applies the convolution to an NCHW tensor with stock candle ops (the reference path).
    pub fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        let (_, _, h, w) = xs.dims4()?;
        let k = self.kernel.dim(2)?;
        match self.padding {
            Padding::Valid => Ok(xs.conv2d(&self.kernel, 0, self.stride, 1, 1)?),
            Padding::Same => {
                let (hb, ha) = same_padding(h, k, self.stride);
                let (wb, wa) = same_padding(w, k, self.stride);
                if hb == ha && wb == wa && hb == wb {
                    Ok(xs.conv2d(&self.kernel, hb, self.stride, 1, 1)?)
                } else {
                    let xs = xs.pad_with_zeros(2, hb, ha)?.pad_with_zeros(3, wb, wa)?;
                    Ok(xs.conv2d(&self.kernel, 0, self.stride, 1, 1)?)
                }
            }
        }
    }

    /// The kernel as a named var.
    pub(crate) fn named(&self) -> NamedVar {
        NamedVar {
            name: self.name.clone(),
            var: self.kernel.clone(),
        }
    }
}

/// A dense layer with a Keras-layout `(in, out)` kernel and an optional bias.
#[derive(Debug)]
pub struct Dense {
    pub(crate) name: String,
    pub(crate) kernel: Var,
    pub(crate) bias: Option<Var>,
}

impl Dense {
    /// Creates a dense layer `d_in → d_out`; the bias (if any) starts at 0.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        name: impl Into<String>,
        d_in: usize,
        d_out: usize,
        bias: bool,
        init: Init,
        rng: &mut ChaCha8Rng,
        dtype: DType,
        device: &Device,
    ) -> Result<Self> {
        let vals = init.sample(rng, d_in * d_out, d_in, d_out);
        let kernel = var_from_f64(vals, &[d_in, d_out], dtype, device)?;
        let bias = if bias {
            Some(var_full(0.0, &[d_out], dtype, device)?)
        } else {
            None
        };
        Ok(Self {
            name: name.into(),
            kernel,
            bias,
        })
    }

    /// `xs (N, in) → (N, out)` with stock candle ops (the reference path).
    pub fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        self.forward_with(xs, Ops::Stock)
    }

    /// `xs (N, in) → (N, out)` with the [`Ops`] implementation `ops`.
    pub fn forward_with(&self, xs: &Tensor, ops: Ops) -> Result<Tensor> {
        let d_in = self.kernel.dim(0)?;
        if xs.rank() != 2 || xs.dim(1)? != d_in {
            return Err(ModelError::Input(format!(
                "{}: expected input (N, {d_in}), got {:?}",
                self.name,
                xs.dims()
            )));
        }
        if ops.fast_for(xs) {
            let b = self.bias.as_ref().map(|b| b.as_tensor());
            return Ok(layca_ops::linear(xs, self.kernel.as_tensor(), b)?);
        }
        let y = xs.matmul(&self.kernel)?;
        match &self.bias {
            Some(b) => Ok(y.broadcast_add(b)?),
            None => Ok(y),
        }
    }

    /// The kernel as a named var.
    pub(crate) fn named(&self) -> NamedVar {
        NamedVar {
            name: self.name.clone(),
            var: self.kernel.clone(),
        }
    }

    /// The bias as a named var (`<name>.bias`), if any.
    pub(crate) fn named_bias(&self) -> Option<NamedVar> {
        self.bias.as_ref().map(|b| NamedVar {
            name: format!("{}.bias", self.name),
            var: b.clone(),
        })
    }
}

/// Batch-normalisation settings (Keras 2.1.2 semantics).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BnConfig {
    /// Moving-average momentum (0.99 Keras default; 0.9 in tiny-CNN).
    pub momentum: f64,
    /// Variance epsilon (1e-3).
    pub epsilon: f64,
    /// With γ and β (`center=True, scale=True`); the paper's networks use `false` except the MLP.
    pub affine: bool,
    /// TF1 `assign_moving_average(..., zero_debias=True)` as used by Keras 2.1.2's
    /// `K.moving_average_update`: the moving statistic is `biased / (1 − momentum^t)` where
    /// `biased` is an EMA started at 0 and `t` the number of updates, so the initial moving
    /// mean/variance (0/1) are never used after the first training step.
    pub zero_debias: bool,
}

impl BnConfig {
    /// Keras defaults without affine parameters (momentum 0.99, epsilon 1e-3, zero-debias).
    pub const fn plain(momentum: f64) -> Self {
        Self {
            momentum,
            epsilon: 1e-3,
            affine: false,
            zero_debias: true,
        }
    }
}

/// Keras `BatchNormalization` over the channel axis (axis 1 of NCHW or of `(N, C)`).
///
/// Train mode normalises with the batch mean and **biased** batch variance (the gradient flows
/// through both) and updates the moving statistics with the batch mean and the variance
/// corrected by `n / (n − 1 − ε)` (Keras 2.1.2). Eval mode uses the moving statistics.
#[derive(Debug)]
pub struct BatchNorm {
    pub(crate) name: String,
    cfg: BnConfig,
    gamma: Option<Var>,
    beta: Option<Var>,
    moving_mean: Var,
    moving_var: Var,
    biased_mean: Var,
    biased_var: Var,
    local_step: Var,
}

impl BatchNorm {
    /// Creates a BN layer over `channels` (γ = 1, β = 0, moving mean 0 / variance 1).
    pub(crate) fn new(
        name: impl Into<String>,
        channels: usize,
        cfg: BnConfig,
        dtype: DType,
        device: &Device,
    ) -> Result<Self> {
        let (gamma, beta) = if cfg.affine {
            (
                Some(var_full(1.0, &[channels], dtype, device)?),
                Some(var_full(0.0, &[channels], dtype, device)?),
            )
        } else {
            (None, None)
        };
        Ok(Self {
            name: name.into(),
            cfg,
            gamma,
            beta,
            moving_mean: var_full(0.0, &[channels], dtype, device)?,
            moving_var: var_full(1.0, &[channels], dtype, device)?,
            biased_mean: var_full(0.0, &[channels], dtype, device)?,
            biased_var: var_full(0.0, &[channels], dtype, device)?,
            local_step: var_full(0.0, &[], dtype, device)?,
        })
    }

    /// `act`-fused normalisation of `xs` with the [`Ops`] implementation `ops`: in train mode
    /// on the fast path one fused kernel ([`layca_ops::batch_norm_train`]) computes the output
    /// and the batch statistics, which update the moving averages exactly as the stock path.
    pub fn forward_act(
        &self,
        xs: &Tensor,
        train: bool,
        act: BnActivation,
        ops: Ops,
    ) -> Result<Tensor> {
        let c = self.moving_mean.dim(0)?;
        if train && ops.fast_for(xs) && xs.rank() >= 2 && xs.dim(1)? == c {
            let g = self.gamma.as_ref().map(|g| g.as_tensor());
            let b = self.beta.as_ref().map(|b| b.as_tensor());
            let (y, stats) = layca_ops::batch_norm_train(xs, g, b, self.cfg.epsilon, act)
                .map_err(|e| ModelError::Input(format!("{}: {e}", self.name)))?;
            let nf = stats.count as f64;
            let unbiased = (stats.var * (nf / (nf - 1.0 - self.cfg.epsilon)))?;
            self.update_moving(&stats.mean, &unbiased)?;
            return Ok(y);
        }
        let xs = if act == BnActivation::ReluBefore {
            xs.relu()?
        } else {
            xs.clone()
        };
        let y = self.forward_t(&xs, train)?;
        Ok(if act == BnActivation::ReluAfter {
            y.relu()?
        } else {
            y
        })
    }

    /// Normalises `xs` (`(N, C)` or `(N, C, H, W)`) with stock candle ops (reference path).
    pub fn forward_t(&self, xs: &Tensor, train: bool) -> Result<Tensor> {
        let c = self.moving_mean.dim(0)?;
        let (stat_shape, n): (Vec<usize>, usize) = match xs.dims() {
            [n, ch] if *ch == c => (vec![1, c], *n),
            [n, ch, h, w] if *ch == c => (vec![1, c, 1, 1], n * h * w),
            d => {
                return Err(ModelError::Input(format!(
                    "{}: expected (N, {c}) or (N, {c}, H, W), got {d:?}",
                    self.name
                )))
            }
        };
        let (centered, inv_std) = if train {
            if n < 2 {
                return Err(ModelError::Input(format!(
                    "{}: batch statistics need at least 2 values per channel, got {n}",
                    self.name
                )));
            }
            let red: Vec<usize> = if xs.rank() == 2 {
                vec![0]
            } else {
                vec![0, 2, 3]
            };
            let mean = xs.mean_keepdim(red.as_slice())?;
            let centered = xs.broadcast_sub(&mean)?;
            let var = centered.sqr()?.mean_keepdim(red.as_slice())?;
            let inv_std = (var.clone() + self.cfg.epsilon)?.sqrt()?.recip()?;
            let nf = n as f64;
            let unbiased = (var.detach().flatten_all()? * (nf / (nf - 1.0 - self.cfg.epsilon)))?;
            self.update_moving(&mean.detach().flatten_all()?, &unbiased)?;
            (centered, inv_std)
        } else {
            let mean = self
                .moving_mean
                .as_tensor()
                .reshape(stat_shape.as_slice())?;
            let var = self.moving_var.as_tensor().reshape(stat_shape.as_slice())?;
            let inv_std = (var + self.cfg.epsilon)?.sqrt()?.recip()?;
            (xs.broadcast_sub(&mean)?, inv_std)
        };
        let mut y = centered.broadcast_mul(&inv_std)?;
        if let Some(g) = &self.gamma {
            y = y.broadcast_mul(&g.as_tensor().reshape(stat_shape.as_slice())?)?;
        }
        if let Some(b) = &self.beta {
            y = y.broadcast_add(&b.as_tensor().reshape(stat_shape.as_slice())?)?;
        }
        Ok(y)
    }

    fn update_moving(&self, mean: &Tensor, var: &Tensor) -> Result<()> {
        let m = self.cfg.momentum;
        if self.cfg.zero_debias {
            // biased ← biased − (biased − value)(1 − m); t ← t + 1; moving ← biased / (1 − m^t)
            let bm = (self.biased_mean.as_tensor() * m)?.add(&(mean * (1.0 - m))?)?;
            let bv = (self.biased_var.as_tensor() * m)?.add(&(var * (1.0 - m))?)?;
            let t = (self.local_step.as_tensor() + 1.0)?;
            // 1 − m^t = 1 − exp(t·ln m), computed on the device (no host sync).
            let denom = (t.affine(m.ln(), 0.0)?.exp()?.affine(-1.0, 1.0))?;
            self.moving_mean.set(&bm.broadcast_div(&denom)?)?;
            self.moving_var.set(&bv.broadcast_div(&denom)?)?;
            self.biased_mean.set(&bm)?;
            self.biased_var.set(&bv)?;
            self.local_step.set(&t)?;
        } else {
            let mm = (self.moving_mean.as_tensor() * m)?.add(&(mean * (1.0 - m))?)?;
            let mv = (self.moving_var.as_tensor() * m)?.add(&(var * (1.0 - m))?)?;
            self.moving_mean.set(&mm)?;
            self.moving_var.set(&mv)?;
        }
        Ok(())
    }

    /// γ and β (`<name>.gamma`, `<name>.beta`), if affine.
    pub(crate) fn others(&self) -> Vec<NamedVar> {
        let mut v = Vec::new();
        if let Some(g) = &self.gamma {
            v.push(NamedVar {
                name: format!("{}.gamma", self.name),
                var: g.clone(),
            });
        }
        if let Some(b) = &self.beta {
            v.push(NamedVar {
                name: format!("{}.beta", self.name),
                var: b.clone(),
            });
        }
        v
    }

    /// Moving statistics (and the zero-debias accumulators when enabled).
    pub(crate) fn buffers(&self) -> Vec<NamedVar> {
        let mut v = vec![
            NamedVar {
                name: format!("{}.moving_mean", self.name),
                var: self.moving_mean.clone(),
            },
            NamedVar {
                name: format!("{}.moving_variance", self.name),
                var: self.moving_var.clone(),
            },
        ];
        if self.cfg.zero_debias {
            for (suffix, var) in [
                ("biased_mean", &self.biased_mean),
                ("biased_variance", &self.biased_var),
                ("local_step", &self.local_step),
            ] {
                v.push(NamedVar {
                    name: format!("{}.{suffix}", self.name),
                    var: var.clone(),
                });
            }
        }
        v
    }
}

/// `k×k` max pooling with stride `k` ("valid": trailing rows/columns that do not fill a window
/// are dropped, like Keras).
///
/// The gradient goes to **one** element per window, the first maximum in row-major window
/// order (as TensorFlow's `MaxPoolGrad`). This matters: candle 0.11.1's `max_pool2d` backward
/// scales the gradient by 1/(k·k), and a plain `max` reduction sends it to *every* tied
/// element — and ties are systematic in C10-CNN1 / tiny-CNN, where BN follows the ReLU and maps
/// all of a channel's ReLU zeros to the same value, so a duplicated gradient leaks through the
/// BN statistics into other positions. Implemented as windows gathered on a last axis,
/// `argmax` (no gradient) → one-hot mask → masked sum.
pub fn max_pool(xs: &Tensor, k: usize) -> Result<Tensor> {
    let (n, c, h, w) = xs.dims4()?;
    let (ho, wo) = (h / k, w / k);
    if ho == 0 || wo == 0 {
        return Err(ModelError::Input(format!(
            "max_pool {k}x{k}: input {h}x{w} is smaller than the window"
        )));
    }
    let xs = if ho * k != h || wo * k != w {
        xs.narrow(2, 0, ho * k)?.narrow(3, 0, wo * k)?
    } else {
        xs.clone()
    };
    let windows = xs
        .reshape((n, c, ho, k, wo, k))?
        .permute((0, 1, 2, 4, 3, 5))?
        .reshape((n, c, ho, wo, k * k))?;
    let first_max = windows.detach().argmax_keepdim(4)?;
    let positions =
        Tensor::arange(0u32, (k * k) as u32, xs.device())?.reshape((1, 1, 1, 1, k * k))?;
    let mask = first_max.broadcast_eq(&positions)?.to_dtype(xs.dtype())?;
    Ok(windows.mul(&mask)?.sum(4)?)
}

/// [`max_pool`] with the [`Ops`] implementation `ops` (same semantics, including the
/// first-maximum gradient).
pub fn max_pool_with(xs: &Tensor, k: usize, ops: Ops) -> Result<Tensor> {
    if ops.fast_max_pool_for(xs) {
        Ok(layca_ops::max_pool2d(xs, k)?)
    } else {
        max_pool(xs, k)
    }
}

/// `relu(a + b)` (a residual join) with the [`Ops`] implementation `ops`.
pub fn add_relu(a: &Tensor, b: &Tensor, ops: Ops) -> Result<Tensor> {
    if ops.fast_for(a) {
        Ok(layca_ops::add_relu(a, b)?)
    } else {
        Ok((a + b)?.relu()?)
    }
}

/// `k×k` average pooling with stride `k` ("valid").
pub fn avg_pool(xs: &Tensor, k: usize) -> Result<Tensor> {
    let (n, c, h, w) = xs.dims4()?;
    let (ho, wo) = (h / k, w / k);
    if ho == 0 || wo == 0 {
        return Err(ModelError::Input(format!(
            "avg_pool {k}x{k}: input {h}x{w} is smaller than the window"
        )));
    }
    let xs = if ho * k != h || wo * k != w {
        xs.narrow(2, 0, ho * k)?.narrow(3, 0, wo * k)?
    } else {
        xs.clone()
    };
    Ok(xs.reshape((n, c, ho, k, wo, k))?.mean(5)?.mean(3)?)
}

/// Global average pooling `(N, C, H, W) → (N, C)`.
pub fn global_avg_pool(xs: &Tensor) -> Result<Tensor> {
    Ok(xs.mean(D::Minus1)?.mean(D::Minus1)?)
}

/// Inverted dropout (Keras/TF: kept units are scaled by `1/(1−rate)`), with its own seeded
/// mask stream so that a resumed run reproduces its masks.
///
/// * CPU tensors: masks come from a ChaCha8 stream owned by the layer, 16 bits per element:
///   an element is kept when its `u16` is below `round((1 − rate)·2¹⁶)` (keep probability
///   exact to 2⁻¹⁷, e.g. 0.699997 for rate 0.3).
/// * Accelerator tensors: drawing ~10⁸ mask values per WRN step on the host would dominate the
///   step time, so masks are drawn on the device (`Tensor::rand`, kept when `u ≥ rate`) and
///   [`Dropout::set_seed`] also re-seeds the device generator (`Device::set_seed`, which on
///   CUDA recreates the curand generator). Masks therefore differ between CPU and GPU runs but
///   are reproducible on a given device from a given seed.
#[derive(Debug)]
pub struct Dropout {
    rate: f64,
    rng: Mutex<ChaCha8Rng>,
    device: Device,
}

impl Dropout {
    /// Dropout with drop probability `rate` for tensors on `device`.
    pub(crate) fn new(rate: f64, seed: u64, device: &Device) -> Self {
        let d = Self {
            rate,
            rng: Mutex::new(ChaCha8Rng::seed_from_u64(seed)),
            device: device.clone(),
        };
        d.set_seed(seed);
        d
    }

    /// Re-seeds the mask stream (and the device generator on an accelerator).
    pub fn set_seed(&self, seed: u64) {
        *self.rng.lock().unwrap_or_else(|e| e.into_inner()) = ChaCha8Rng::seed_from_u64(seed);
        if !self.device.is_cpu() {
            if let Err(e) = self.device.set_seed(seed) {
                // Cannot happen on CUDA/Metal; masks would stay random but valid.
                eprintln!("layca-models: could not seed the dropout generator: {e}");
            }
        }
    }

    /// Applies dropout in train mode, identity otherwise. On the fast path (CPU, f32/f64) the
    /// mask is applied by one fused op ([`layca_ops::dropout_masked`]), bit-identical to the
    /// stock composition (same mask stream, same products).
    pub fn forward_t(&self, xs: &Tensor, train: bool, ops: Ops) -> Result<Tensor> {
        if !train || self.rate == 0.0 {
            return Ok(xs.clone());
        }
        let keep = 1.0 - self.rate;
        if !xs.device().is_cpu() {
            let u = Tensor::rand(0f32, 1f32, xs.shape(), xs.device())?;
            let mask = u
                .ge(self.rate as f32)?
                .to_dtype(xs.dtype())?
                .affine(1.0 / keep, 0.0)?;
            return Ok(xs.mul(&mask)?);
        }
        let threshold = (keep * 65536.0).round() as u32;
        let n = xs.elem_count();
        let mut bytes = vec![0u8; 2 * n];
        self.rng
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .fill_bytes(&mut bytes);
        let mask: Vec<u8> = bytes
            .chunks_exact(2)
            .map(|c| u8::from(u32::from(u16::from_le_bytes([c[0], c[1]])) < threshold))
            .collect();
        if ops.fast_for(xs) {
            return Ok(layca_ops::dropout_masked(
                xs,
                std::sync::Arc::new(mask),
                1.0 / keep,
            )?);
        }
        let mask = Tensor::from_vec(mask, xs.shape(), xs.device())?
            .to_dtype(xs.dtype())?
            .affine(1.0 / keep, 0.0)?;
        Ok(xs.mul(&mask)?)
    }
}
