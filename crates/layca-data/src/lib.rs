//! # layca-data — the paper's data sets
//!
//! CONTRACT SKELETON (to be implemented; signatures are the API other crates build against).
//!
//! Owns: loading (embedded MNIST subset, MNIST IDX, CIFAR-10/100 binary, Tiny ImageNet, HF
//! parquet), the paper's preprocessing (scalar mean/std, 10 % validation split, seeded shuffled
//! batches, augmentation). Must not depend on: models, optimizers, the engine, plotting.

use candle_core::{Device, Tensor};
use std::path::PathBuf;

/// Errors of `layca-data`; every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("{path}: {reason}")]
    Format { path: PathBuf, reason: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid data config `{field}`: {reason}")]
    Config { field: String, reason: String },
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}

/// Result alias.
pub type Result<T> = std::result::Result<T, DataError>;

/// Images as raw u8 pixels, NCHW, with labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// N·C·H·W bytes, NCHW order.
    pub pixels: Vec<u8>,
    pub labels: Vec<u32>,
    pub channels: usize,
    pub height: usize,
    pub width: usize,
    pub num_classes: usize,
}

impl Dataset {
    pub fn len(&self) -> usize {
        self.labels.len()
    }
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

/// The embedded 10,000-digit MNIST subset (assets/mnist-10k).
pub fn embedded_mnist() -> Result<Dataset> {
    todo!()
}

/// Seeded, class-balanced, disjoint split of the embedded subset: `per_class` train images per
/// class, the rest test. Returns (train, test).
pub fn embedded_mnist_split(per_class: usize, seed: u64) -> Result<(Dataset, Dataset)> {
    let _ = (per_class, seed);
    todo!()
}

/// Scalar mean/std over all training pixels (spec §2).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Normalizer {
    pub mean: f32,
    pub std: f32,
}

impl Normalizer {
    pub fn fit(train: &Dataset) -> Self {
        let _ = train;
        todo!()
    }
}

/// A normalised data set held as tensors on a device.
#[derive(Debug, Clone)]
pub struct TensorDataset {
    /// (N, C, H, W) f32, normalised.
    pub images: Tensor,
    /// (N,) u32.
    pub labels: Tensor,
    pub num_classes: usize,
}

impl TensorDataset {
    pub fn new(ds: &Dataset, norm: Normalizer, device: &Device) -> Result<Self> {
        let _ = (ds, norm, device);
        todo!()
    }
    pub fn len(&self) -> usize {
        todo!()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Gathers a batch by indices; with `augment`, applies shift ±4 px (reflect) + flip using `rng`.
    pub fn batch(
        &self,
        indices: &[usize],
        augment: Option<&mut rand_chacha::ChaCha8Rng>,
    ) -> Result<(Tensor, Tensor)> {
        let _ = (indices, augment);
        todo!()
    }
}

/// Shuffled batches of one epoch (seeded; partial last batch kept).
pub fn epoch_batches(n: usize, batch_size: usize, seed: u64, epoch: usize) -> Vec<Vec<usize>> {
    let _ = (n, batch_size, seed, epoch);
    todo!()
}
