//! ResNet v1 of the Keras `cifar10_resnet` example (spec §3.2 ResNet-32, §3.6 ResNet-110).

use candle_core::{DType, Device, Tensor};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::init::Init;
use crate::layers::{
    add_relu, avg_pool, BatchNorm, BnActivation, BnConfig, Conv2d, Dense, Ops, Padding,
};
use crate::{scaled_width, ModelError, NamedVar, Network, Result};

/// Basic block: conv_a → BN → ReLU → conv_b → BN, plus identity or a 1×1 stride-2
/// projection conv (no BN) on the block input; add; ReLU.
#[derive(Debug)]
pub(crate) struct BasicBlock {
    conv_a: Conv2d,
    bn_a: BatchNorm,
    conv_b: Conv2d,
    bn_b: BatchNorm,
    shortcut: Option<Conv2d>,
}

impl BasicBlock {
    pub(crate) fn forward_t(&self, xs: &Tensor, train: bool, ops: Ops) -> Result<Tensor> {
        let y = self.bn_a.forward_act(
            &self.conv_a.forward_with(xs, ops)?,
            train,
            BnActivation::ReluAfter,
            ops,
        )?;
        let y = self.bn_b.forward_act(
            &self.conv_b.forward_with(&y, ops)?,
            train,
            BnActivation::None,
            ops,
        )?;
        let s = match &self.shortcut {
            Some(c) => c.forward_with(xs, ops)?,
            None => xs.clone(),
        };
        add_relu(&s, &y, ops)
    }
}

/// ResNet v1 (depth 6n+2): input conv → BN → ReLU, 3 stages (16, 32, 64 filters) of n basic
/// blocks, 8×8 average pooling → Dense(classes). `he_normal` everywhere, no biases, BN without
/// affine (momentum 0.99, ε 1e-3), TF "same" padding (asymmetric for the stride-2 3×3 convs).
///
/// Kernel names: `conv_in`; per block `s{stage}b{block}_a`, `s{stage}b{block}_b`, then
/// `s{stage}b{block}_short` for the projection blocks (first block of stages 1 and 2,
/// 0-based); `dense` last (exempt from L2).
#[derive(Debug)]
pub struct Resnet {
    conv_in: Conv2d,
    bn_in: BatchNorm,
    blocks: Vec<BasicBlock>,
    dense: Dense,
    ops: Ops,
}

impl Resnet {
    /// ResNet of depth `6n + 2` with `classes` outputs.
    pub fn new(
        depth: usize,
        classes: usize,
        seed: u64,
        dtype: DType,
        device: &Device,
    ) -> Result<Self> {
        Self::new_scaled(depth, classes, 1, seed, dtype, device)
    }

    /// ResNet of depth `6n + 2` with the stage widths 16, 32, 64 (and the input conv's 16
    /// filters) divided by `divisor` ([`crate::scaled_width`]); the projection shortcuts stay
    /// where the stride is 2.
    pub fn new_scaled(
        depth: usize,
        classes: usize,
        divisor: usize,
        seed: u64,
        dtype: DType,
        device: &Device,
    ) -> Result<Self> {
        if depth < 8 || !(depth - 2).is_multiple_of(6) {
            return Err(ModelError::Input(format!(
                "ResNet depth must be 6n+2, got {depth}"
            )));
        }
        let n = (depth - 2) / 6;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let init = Init::HeNormal;
        let bn = BnConfig::plain(0.99);
        let widths = [16usize, 32, 64].map(|w| scaled_width(w, divisor));
        let conv_in = Conv2d::new(
            "conv_in",
            3,
            widths[0],
            3,
            1,
            Padding::Same,
            init,
            &mut rng,
            dtype,
            device,
        )?;
        let bn_in = BatchNorm::new("conv_in_bn", widths[0], bn, dtype, device)?;
        let mut blocks = Vec::with_capacity(3 * n);
        let mut c_in = widths[0];
        for (stage, width) in widths.into_iter().enumerate() {
            for b in 0..n {
                let stride = if stage > 0 && b == 0 { 2 } else { 1 };
                let p = format!("s{stage}b{b}");
                let conv_a = Conv2d::new(
                    format!("{p}_a"),
                    c_in,
                    width,
                    3,
                    stride,
                    Padding::Same,
                    init,
                    &mut rng,
                    dtype,
                    device,
                )?;
                let bn_a = BatchNorm::new(format!("{p}_a_bn"), width, bn, dtype, device)?;
                let conv_b = Conv2d::new(
                    format!("{p}_b"),
                    width,
                    width,
                    3,
                    1,
                    Padding::Same,
                    init,
                    &mut rng,
                    dtype,
                    device,
                )?;
                let bn_b = BatchNorm::new(format!("{p}_b_bn"), width, bn, dtype, device)?;
                let shortcut = if stride == 2 {
                    Some(Conv2d::new(
                        format!("{p}_short"),
                        c_in,
                        width,
                        1,
                        2,
                        Padding::Same,
                        init,
                        &mut rng,
                        dtype,
                        device,
                    )?)
                } else {
                    None
                };
                blocks.push(BasicBlock {
                    conv_a,
                    bn_a,
                    conv_b,
                    bn_b,
                    shortcut,
                });
                c_in = width;
            }
        }
        let dense = Dense::new("dense", c_in, classes, false, init, &mut rng, dtype, device)?;
        Ok(Self {
            conv_in,
            bn_in,
            blocks,
            dense,
            ops: Ops::default(),
        })
    }
}

impl Network for Resnet {
    fn forward_t(&self, xs: &Tensor, train: bool) -> Result<Tensor> {
        match xs.dims() {
            [_, 3, h, w] if *h >= 32 && *w >= 32 => {}
            d => {
                return Err(ModelError::Input(format!(
                    "ResNet expects (N, 3, H, W) with H, W ≥ 32 (8×8 average pooling at the end), got {d:?}"
                )))
            }
        }
        let ops = self.ops;
        let mut h = self.bn_in.forward_act(
            &self.conv_in.forward_with(xs, ops)?,
            train,
            BnActivation::ReluAfter,
            ops,
        )?;
        for b in &self.blocks {
            h = b.forward_t(&h, train, ops)?;
        }
        let h = avg_pool(&h, 8)?.flatten_from(1)?;
        self.dense.forward_with(&h, ops)
    }

    fn kernels(&self) -> Vec<NamedVar> {
        let mut v = vec![self.conv_in.named()];
        for b in &self.blocks {
            v.push(b.conv_a.named());
            v.push(b.conv_b.named());
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
        let mut v = self.bn_in.buffers();
        for b in &self.blocks {
            v.extend(b.bn_a.buffers());
            v.extend(b.bn_b.buffers());
        }
        v
    }

    fn l2_exempt(&self) -> Vec<String> {
        vec![self.dense.name.clone()]
    }

    fn set_dropout_seed(&self, _seed: u64) {}

    fn set_ops(&mut self, ops: Ops) {
        self.ops = ops;
    }

    fn ops(&self) -> Ops {
        self.ops
    }
}
