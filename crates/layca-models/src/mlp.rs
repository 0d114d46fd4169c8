//! MNIST 1-hidden-layer MLP (spec §3.7, Figure 8).

use candle_core::{DType, Device, Tensor};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::init::Init;
use crate::layers::{BatchNorm, BnActivation, BnConfig, Dense, Ops};
use crate::{scaled_width, ModelError, NamedVar, Network, Result};

/// `784 → Dense(784, bias) → BN(γ, β) → ReLU → Dense(10, bias) → logits`.
///
/// Kernels: `dense0` `(784, 784)` and `densef` `(784, 10)`, both Keras layout `(in, out)`:
/// column `j` of `dense0` is hidden neuron `j`'s 784 input weights (see
/// [`crate::hidden_features`]). Others: `dense0.bias`, `bn0.gamma`, `bn0.beta`, `densef.bias`.
/// [`MnistMlp::new_scaled`] narrows the 784 hidden units.
#[derive(Debug)]
pub struct MnistMlp {
    dense0: Dense,
    bn0: BatchNorm,
    densef: Dense,
    ops: Ops,
}

impl MnistMlp {
    /// Builds the MLP; kernels are drawn from `ChaCha8Rng::seed_from_u64(seed)` in forward order.
    pub fn new(seed: u64, dtype: DType, device: &Device) -> Result<Self> {
        Self::new_scaled(1, seed, dtype, device)
    }

    /// The MLP with `784 / divisor` hidden units ([`crate::scaled_width`]): `dense0` is
    /// `(784, h)`, `bn0` has `h` channels, `densef` is `(h, 10)`.
    pub fn new_scaled(divisor: usize, seed: u64, dtype: DType, device: &Device) -> Result<Self> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let g = Init::GlorotUniform;
        let h = scaled_width(784, divisor);
        let dense0 = Dense::new("dense0", 784, h, true, g, &mut rng, dtype, device)?;
        let bn_cfg = BnConfig {
            affine: true,
            ..BnConfig::plain(0.99)
        };
        let bn0 = BatchNorm::new("bn0", h, bn_cfg, dtype, device)?;
        let densef = Dense::new("densef", h, 10, true, g, &mut rng, dtype, device)?;
        Ok(Self {
            dense0,
            bn0,
            densef,
            ops: Ops::default(),
        })
    }
}

impl Network for MnistMlp {
    fn forward_t(&self, xs: &Tensor, train: bool) -> Result<Tensor> {
        if xs.rank() < 2 || xs.dims()[1..].iter().product::<usize>() != 784 {
            return Err(ModelError::Input(format!(
                "MNIST MLP expects (N, 1, 28, 28) or (N, 784), got {:?}",
                xs.dims()
            )));
        }
        let xs = xs.flatten_from(1)?;
        let h = self.dense0.forward_with(&xs, self.ops)?;
        let h = self
            .bn0
            .forward_act(&h, train, BnActivation::ReluAfter, self.ops)?;
        self.densef.forward_with(&h, self.ops)
    }

    fn kernels(&self) -> Vec<NamedVar> {
        vec![self.dense0.named(), self.densef.named()]
    }

    fn others(&self) -> Vec<NamedVar> {
        let mut v: Vec<NamedVar> = self.dense0.named_bias().into_iter().collect();
        v.extend(self.bn0.others());
        v.extend(self.densef.named_bias());
        v
    }

    fn buffers(&self) -> Vec<NamedVar> {
        self.bn0.buffers()
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
