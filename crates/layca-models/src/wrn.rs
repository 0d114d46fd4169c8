//! Wide ResNet 28-10 (spec §3.5), pre-activation blocks, dropout 0.3.

use candle_core::{DType, Device, Tensor};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::init::{sub_seed, Init};
use crate::layers::{
    global_avg_pool, BatchNorm, BnActivation, BnConfig, Conv2d, Dense, Dropout, Ops, Padding,
};
use crate::{scaled_width, ModelError, NamedVar, Network, Result};

/// Zero-pad 1 then a "valid" 3×3 conv (PyTorch-style padding = 1).
fn conv_pad1(conv: &Conv2d, xs: &Tensor, ops: Ops) -> Result<Tensor> {
    conv.forward_extra_pad(xs, 1, ops)
}

/// Pre-activation block: BN → ReLU → pad → conv1 (stride) → BN → ReLU → dropout → pad →
/// conv2; shortcut = identity, or a 1×1 conv (stride) on the **raw** block input when the
/// stride or the width changes; add (no activation after the add).
#[derive(Debug)]
pub(crate) struct PreActBlock {
    bn1: BatchNorm,
    conv1: Conv2d,
    bn2: BatchNorm,
    conv2: Conv2d,
    shortcut: Option<Conv2d>,
}

impl PreActBlock {
    pub(crate) fn forward_t(
        &self,
        xs: &Tensor,
        dropout: &Dropout,
        train: bool,
        ops: Ops,
    ) -> Result<Tensor> {
        let y = self
            .bn1
            .forward_act(xs, train, BnActivation::ReluAfter, ops)?;
        let y = conv_pad1(&self.conv1, &y, ops)?;
        let y = self
            .bn2
            .forward_act(&y, train, BnActivation::ReluAfter, ops)?;
        let y = dropout.forward_t(&y, train, ops)?;
        let y = conv_pad1(&self.conv2, &y, ops)?;
        let s = match &self.shortcut {
            Some(c) => c.forward_with(xs, ops)?,
            None => xs.clone(),
        };
        Ok((s + y)?)
    }
}

/// WRN-(6N+4)-k: zero-pad 1 → conv 3×3 (16), 3 stages of N pre-activation blocks (widths
/// 16k, 32k, 64k; strides 1, 2, 2), BN → ReLU → GAP → Dense(classes). `glorot_uniform`,
/// no biases, BN without affine (momentum 0.99). Dropout (rate 0.3) before each block's
/// second conv, drawn from one seeded stream shared by all blocks in forward order.
///
/// Kernel names: `conv_in`; per block `s{stage}b{block}_conv1`, `_conv2`, then `_short` for
/// the first block of each stage; `dense` last.
#[derive(Debug)]
pub struct Wrn {
    conv_in: Conv2d,
    blocks: Vec<PreActBlock>,
    bn_out: BatchNorm,
    dense: Dense,
    dropout: Dropout,
    ops: Ops,
}

impl Wrn {
    /// WRN of depth `6N + 4`, widening factor `k`, `classes` outputs, dropout `rate`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        depth: usize,
        k: usize,
        classes: usize,
        rate: f64,
        seed: u64,
        dtype: DType,
        device: &Device,
    ) -> Result<Self> {
        Self::new_scaled(depth, k, classes, rate, 1, seed, dtype, device)
    }

    /// WRN-(6N+4)-k with the input conv's 16 filters and the stage widths 16k, 32k, 64k
    /// divided by `divisor` ([`crate::scaled_width`]). Which blocks have a projection
    /// shortcut is decided on the nominal widths, so the kernel list is the full network's
    /// even where two narrowed widths coincide.
    #[allow(clippy::too_many_arguments)]
    pub fn new_scaled(
        depth: usize,
        k: usize,
        classes: usize,
        rate: f64,
        divisor: usize,
        seed: u64,
        dtype: DType,
        device: &Device,
    ) -> Result<Self> {
        if depth < 10 || !(depth - 4).is_multiple_of(6) || k == 0 {
            return Err(ModelError::Input(format!(
                "WRN depth must be 6N+4 (got {depth}) and k ≥ 1 (got {k})"
            )));
        }
        let n = (depth - 4) / 6;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let init = Init::GlorotUniform;
        let bn = BnConfig::plain(0.99);
        let v = Padding::Valid;
        let w = |nominal: usize| scaled_width(nominal, divisor);
        let conv_in = Conv2d::new("conv_in", 3, w(16), 3, 1, v, init, &mut rng, dtype, device)?;
        let mut blocks = Vec::with_capacity(3 * n);
        let mut nominal_in = 16;
        for (stage, (nominal, stride)) in [(16 * k, 1), (32 * k, 2), (64 * k, 2)]
            .into_iter()
            .enumerate()
        {
            let width = w(nominal);
            for b in 0..n {
                let s = if b == 0 { stride } else { 1 };
                let c_in = w(nominal_in);
                let p = format!("s{stage}b{b}");
                let bn1 = BatchNorm::new(format!("{p}_bn1"), c_in, bn, dtype, device)?;
                let conv1 = Conv2d::new(
                    format!("{p}_conv1"),
                    c_in,
                    width,
                    3,
                    s,
                    v,
                    init,
                    &mut rng,
                    dtype,
                    device,
                )?;
                let bn2 = BatchNorm::new(format!("{p}_bn2"), width, bn, dtype, device)?;
                let conv2 = Conv2d::new(
                    format!("{p}_conv2"),
                    width,
                    width,
                    3,
                    1,
                    v,
                    init,
                    &mut rng,
                    dtype,
                    device,
                )?;
                let shortcut = if s != 1 || nominal_in != nominal {
                    Some(Conv2d::new(
                        format!("{p}_short"),
                        c_in,
                        width,
                        1,
                        s,
                        v,
                        init,
                        &mut rng,
                        dtype,
                        device,
                    )?)
                } else {
                    None
                };
                blocks.push(PreActBlock {
                    bn1,
                    conv1,
                    bn2,
                    conv2,
                    shortcut,
                });
                nominal_in = nominal;
            }
        }
        let c_in = w(nominal_in);
        let bn_out = BatchNorm::new("bn_out", c_in, bn, dtype, device)?;
        let dense = Dense::new("dense", c_in, classes, false, init, &mut rng, dtype, device)?;
        let dropout = Dropout::new(rate, sub_seed(&mut rng), device);
        Ok(Self {
            conv_in,
            blocks,
            bn_out,
            dense,
            dropout,
            ops: Ops::default(),
        })
    }
}

impl Network for Wrn {
    fn forward_t(&self, xs: &Tensor, train: bool) -> Result<Tensor> {
        match xs.dims() {
            [_, 3, _, _] => {}
            d => {
                return Err(ModelError::Input(format!(
                    "WRN expects (N, 3, H, W), got {d:?}"
                )))
            }
        }
        let ops = self.ops;
        let mut h = conv_pad1(&self.conv_in, xs, ops)?;
        for b in &self.blocks {
            h = b.forward_t(&h, &self.dropout, train, ops)?;
        }
        let h = self
            .bn_out
            .forward_act(&h, train, BnActivation::ReluAfter, ops)?;
        self.dense.forward_with(&global_avg_pool(&h)?, ops)
    }

    fn kernels(&self) -> Vec<NamedVar> {
        let mut v = vec![self.conv_in.named()];
        for b in &self.blocks {
            v.push(b.conv1.named());
            v.push(b.conv2.named());
            if let Some(s) = &b.shortcut {
                v.push(s.named());
            }
        }
        v.push(self.dense.named());
        v
    }

    fn others(&self) -> Vec<NamedVar> {
        Vec::new()
    }

    fn buffers(&self) -> Vec<NamedVar> {
        let mut v = Vec::new();
        for b in &self.blocks {
            v.extend(b.bn1.buffers());
            v.extend(b.bn2.buffers());
        }
        v.extend(self.bn_out.buffers());
        v
    }

    fn l2_exempt(&self) -> Vec<String> {
        Vec::new()
    }

    fn set_ops(&mut self, ops: Ops) {
        self.ops = ops;
    }

    fn ops(&self) -> Ops {
        self.ops
    }

    fn set_dropout_seed(&self, seed: u64) {
        self.dropout.set_seed(seed);
    }
}
