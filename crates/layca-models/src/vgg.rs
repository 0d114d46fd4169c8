//! VGG-style networks: C10-CNN1 / tiny-CNN (spec §3.1, §3.3: Conv → ReLU → BN) and
//! C10-CNN2 (spec §3.4, torch-blog VGG: Conv → BN → ReLU, dropout removed).

use candle_core::{DType, Device, Tensor};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::init::Init;
use crate::layers::{
    global_avg_pool, max_pool_with, BatchNorm, BnActivation, BnConfig, Conv2d, Dense, Ops, Padding,
};
use crate::{scaled_width, ModelError, NamedVar, Network, Result};

/// Where BN sits relative to the ReLU in a conv unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    /// Conv → ReLU → BN (C10-CNN1, tiny-CNN).
    ReluThenBn,
    /// Conv → BN → ReLU (C10-CNN2).
    BnThenRelu,
}

#[derive(Debug)]
struct Unit {
    conv: Conv2d,
    bn: BatchNorm,
}

/// A VGG-style network: stages of 3×3 "same" convs (no bias), 2×2 max-pools, then a head.
///
/// Kernel names: `conv{stage}_{i}` (0-based), then `dense` (C10-CNN1, tiny-CNN) or
/// `dense0`, `densef` (C10-CNN2). BN layers are named `<conv>_bn` / `dense0_bn`.
#[derive(Debug)]
pub struct Vgg {
    order: Order,
    in_channels: usize,
    stages: Vec<Vec<Unit>>,
    /// Stages followed by a 2×2 max-pool.
    pool_after: Vec<bool>,
    /// C10-CNN2's hidden dense + BN (flatten head); `None` = GAP head.
    hidden: Option<(Dense, BatchNorm)>,
    out: Dense,
    ops: Ops,
}

/// The nominal widths narrowed by `divisor`.
fn scaled(widths: &[usize], divisor: usize) -> Vec<usize> {
    widths.iter().map(|&w| scaled_width(w, divisor)).collect()
}

#[allow(clippy::too_many_arguments)]
fn stages(
    widths: &[usize],
    convs: &[usize],
    in_channels: usize,
    init: Init,
    bn: BnConfig,
    rng: &mut ChaCha8Rng,
    dtype: DType,
    device: &Device,
) -> Result<Vec<Vec<Unit>>> {
    let mut c_in = in_channels;
    let mut out = Vec::new();
    for (s, (&w, &n)) in widths.iter().zip(convs).enumerate() {
        let mut units = Vec::new();
        for i in 0..n {
            let name = format!("conv{s}_{i}");
            let conv = Conv2d::new(
                &name,
                c_in,
                w,
                3,
                1,
                Padding::Same,
                init,
                rng,
                dtype,
                device,
            )?;
            let bn = BatchNorm::new(format!("{name}_bn"), w, bn, dtype, device)?;
            units.push(Unit { conv, bn });
            c_in = w;
        }
        out.push(units);
    }
    Ok(out)
}

impl Vgg {
    /// C10-CNN1 (§3.1): 4 stages × 6 convs, widths 32–256, Conv → ReLU → BN (momentum 0.99),
    /// max-pool after stages 0–2, GAP → Dense(10); `he_uniform`. L = 25.
    pub fn c10_cnn1(seed: u64, dtype: DType, device: &Device) -> Result<Self> {
        Self::c10_cnn1_scaled(1, seed, dtype, device)
    }

    /// C10-CNN1 with every conv width divided by `divisor` ([`crate::scaled_width`]).
    pub fn c10_cnn1_scaled(
        divisor: usize,
        seed: u64,
        dtype: DType,
        device: &Device,
    ) -> Result<Self> {
        let widths = scaled(&[32, 64, 128, 256], divisor);
        Self::keras_vgg(&widths, 6, 10, 0.99, seed, dtype, device)
    }

    /// tiny-CNN (§3.3): 5 stages × 2 convs, widths 32–512, BN momentum 0.9, max-pool after
    /// stages 0–3, GAP → Dense(200); `he_uniform`. L = 11.
    pub fn tiny_cnn(seed: u64, dtype: DType, device: &Device) -> Result<Self> {
        Self::tiny_cnn_scaled(1, seed, dtype, device)
    }

    /// tiny-CNN with every conv width divided by `divisor` ([`crate::scaled_width`]).
    pub fn tiny_cnn_scaled(
        divisor: usize,
        seed: u64,
        dtype: DType,
        device: &Device,
    ) -> Result<Self> {
        let widths = scaled(&[32, 64, 128, 256, 512], divisor);
        Self::keras_vgg(&widths, 2, 200, 0.9, seed, dtype, device)
    }

    /// The Keras VGG builder of C10-CNN1 / tiny-CNN with free widths (`per_stage` convs per
    /// stage, max-pool after every stage but the last, GAP head). Used with small widths by
    /// the gradient checks.
    pub fn keras_vgg(
        widths: &[usize],
        per_stage: usize,
        classes: usize,
        momentum: f64,
        seed: u64,
        dtype: DType,
        device: &Device,
    ) -> Result<Self> {
        if widths.is_empty() || per_stage == 0 {
            return Err(ModelError::Input(
                "keras_vgg needs at least one stage and one conv per stage".into(),
            ));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let init = Init::HeUniform;
        let convs = vec![per_stage; widths.len()];
        let bn = BnConfig::plain(momentum);
        let stages = stages(widths, &convs, 3, init, bn, &mut rng, dtype, device)?;
        let last = widths[widths.len() - 1];
        let out = Dense::new("dense", last, classes, false, init, &mut rng, dtype, device)?;
        let mut pool_after = vec![true; widths.len()];
        pool_after[widths.len() - 1] = false;
        Ok(Self {
            order: Order::ReluThenBn,
            in_channels: 3,
            stages,
            pool_after,
            hidden: None,
            out,
            ops: Ops::default(),
        })
    }

    /// C10-CNN2 (§3.4): stages [2, 2, 3, 3, 3] × widths [64, 128, 256, 512, 512],
    /// Conv → BN → ReLU, max-pool after every stage, flatten → Dense(512) → BN → ReLU →
    /// Dense(10); `he_normal`, BN momentum 0.99, no dropout. L = 15.
    pub fn c10_cnn2(seed: u64, dtype: DType, device: &Device) -> Result<Self> {
        Self::c10_cnn2_scaled(1, seed, dtype, device)
    }

    /// C10-CNN2 with every conv width and the 512 hidden units of `dense0` divided by
    /// `divisor` ([`crate::scaled_width`]).
    pub fn c10_cnn2_scaled(
        divisor: usize,
        seed: u64,
        dtype: DType,
        device: &Device,
    ) -> Result<Self> {
        let widths = scaled(&[64, 128, 256, 512, 512], divisor);
        let hidden = scaled_width(512, divisor);
        Self::torch_blog_vgg(&widths, &[2, 2, 3, 3, 3], hidden, 10, seed, dtype, device)
    }

    /// The torch-blog VGG builder of C10-CNN2 with free widths; the input must be reduced to
    /// 1×1 by the max-pools (32×32 for 5 stages) so that flatten gives `widths.last()`
    /// features. Used with small widths by the gradient checks.
    pub fn torch_blog_vgg(
        widths: &[usize],
        convs: &[usize],
        hidden: usize,
        classes: usize,
        seed: u64,
        dtype: DType,
        device: &Device,
    ) -> Result<Self> {
        if widths.is_empty() || widths.len() != convs.len() {
            return Err(ModelError::Input(format!(
                "torch_blog_vgg: {} widths for {} stages",
                widths.len(),
                convs.len()
            )));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let init = Init::HeNormal;
        let bn = BnConfig::plain(0.99);
        let stages = stages(widths, convs, 3, init, bn, &mut rng, dtype, device)?;
        let last = widths[widths.len() - 1];
        let d0 = Dense::new("dense0", last, hidden, false, init, &mut rng, dtype, device)?;
        let bn0 = BatchNorm::new("dense0_bn", hidden, bn, dtype, device)?;
        let out = Dense::new(
            "densef", hidden, classes, false, init, &mut rng, dtype, device,
        )?;
        Ok(Self {
            order: Order::BnThenRelu,
            in_channels: 3,
            stages,
            pool_after: vec![true; widths.len()],
            hidden: Some((d0, bn0)),
            out,
            ops: Ops::default(),
        })
    }
}

impl Network for Vgg {
    fn forward_t(&self, xs: &Tensor, train: bool) -> Result<Tensor> {
        match xs.dims() {
            [_, c, _, _] if *c == self.in_channels => {}
            d => {
                return Err(ModelError::Input(format!(
                    "expected NCHW input with {} channels, got {d:?}",
                    self.in_channels
                )))
            }
        }
        let ops = self.ops;
        let act = match self.order {
            Order::ReluThenBn => BnActivation::ReluBefore,
            Order::BnThenRelu => BnActivation::ReluAfter,
        };
        let mut h = xs.clone();
        for (units, &pool) in self.stages.iter().zip(&self.pool_after) {
            for u in units {
                h = u.conv.forward_with(&h, ops)?;
                h = u.bn.forward_act(&h, train, act, ops)?;
            }
            if pool {
                h = max_pool_with(&h, 2, ops)?;
            }
        }
        match &self.hidden {
            None => self.out.forward_with(&global_avg_pool(&h)?, ops),
            Some((d0, bn0)) => {
                let h = h.flatten_from(1)?;
                if h.dim(1)? != d0.kernel.dim(0)? {
                    return Err(ModelError::Input(format!(
                        "C10-CNN2 needs 32×32 input (flatten gives {} features, expected {})",
                        h.dim(1)?,
                        d0.kernel.dim(0)?
                    )));
                }
                let h = bn0.forward_act(
                    &d0.forward_with(&h, ops)?,
                    train,
                    BnActivation::ReluAfter,
                    ops,
                )?;
                self.out.forward_with(&h, ops)
            }
        }
    }

    fn kernels(&self) -> Vec<NamedVar> {
        let mut v: Vec<NamedVar> = self
            .stages
            .iter()
            .flatten()
            .map(|u| u.conv.named())
            .collect();
        if let Some((d0, _)) = &self.hidden {
            v.push(d0.named());
        }
        v.push(self.out.named());
        v
    }

    fn others(&self) -> Vec<NamedVar> {
        Vec::new()
    }

    fn buffers(&self) -> Vec<NamedVar> {
        let mut v: Vec<NamedVar> = self
            .stages
            .iter()
            .flatten()
            .flat_map(|u| u.bn.buffers())
            .collect();
        if let Some((_, bn0)) = &self.hidden {
            v.extend(bn0.buffers());
        }
        v
    }

    fn l2_exempt(&self) -> Vec<String> {
        Vec::new()
    }

    fn set_dropout_seed(&self, _seed: u64) {}

    fn set_ops(&mut self, ops: Ops) {
        self.ops = ops;
    }

    fn ops(&self) -> Ops {
        self.ops
    }
}
