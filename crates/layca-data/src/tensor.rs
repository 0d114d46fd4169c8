//! Normalised data sets as candle tensors, batch gathering (with optional augmentation) and
//! the seeded per-epoch batch order.

use crate::augment::{push_gather_indices, Transform};
use crate::dataset::{Dataset, Normalizer};
use crate::error::{config_err, Result};
use candle_core::{DType, Device, Tensor};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// A normalised data set held as tensors on a device.
#[derive(Debug, Clone)]
pub struct TensorDataset {
    /// (N, C, H, W) f32, normalised.
    pub images: Tensor,
    /// (N,) u32.
    pub labels: Tensor,
    /// Number of classes.
    pub num_classes: usize,
}

impl TensorDataset {
    /// Normalises `ds` with `norm` (`(x − mean) / std`) and uploads it to `device`.
    ///
    /// Errors with [`crate::DataError::Config`] if `norm.std` is not a positive finite
    /// number or `ds` is inconsistent.
    pub fn new(ds: &Dataset, norm: Normalizer, device: &Device) -> Result<Self> {
        if !(norm.std.is_finite() && norm.std > 0.0 && norm.mean.is_finite()) {
            return Err(config_err(
                "normalizer",
                format!(
                    "mean {} / std {} cannot normalise (std must be > 0)",
                    norm.mean, norm.std
                ),
            ));
        }
        ds.check()?;
        let lut: Vec<f32> = (0..=255u8).map(|p| norm.apply(p)).collect();
        let data: Vec<f32> = ds.pixels.iter().map(|&p| lut[p as usize]).collect();
        let images = Tensor::from_vec(data, (ds.len(), ds.channels, ds.height, ds.width), device)?;
        let labels = Tensor::from_vec(ds.labels.clone(), ds.len(), device)?;
        Ok(TensorDataset {
            images,
            labels,
            num_classes: ds.num_classes,
        })
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.dims().first().copied().unwrap_or(0)
    }

    /// Whether the data set holds no image.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The device the tensors live on.
    pub fn device(&self) -> &Device {
        self.images.device()
    }

    /// Gathers a batch by indices; with `augment`, applies shift ±4 px (reflect) + flip using `rng`.
    ///
    /// Returns `(images (B, C, H, W) f32, labels (B,) u32)`. The transforms are drawn in batch
    /// order, one [`Transform::draw`] per image. Out-of-range indices are a
    /// [`crate::DataError::Config`].
    pub fn batch(
        &self,
        indices: &[usize],
        augment: Option<&mut rand_chacha::ChaCha8Rng>,
    ) -> Result<(Tensor, Tensor)> {
        let n = self.len();
        if let Some(&bad) = indices.iter().find(|&&i| i >= n) {
            return Err(config_err(
                "indices",
                format!("index {bad} out of range for a data set of {n}"),
            ));
        }
        let dev = self.images.device();
        let (_, c, h, w) = self.images.dims4()?;
        if n.saturating_mul(c * h * w) > u32::MAX as usize {
            return Err(config_err(
                "images",
                "data set too large for u32 gather indices",
            ));
        }
        let idx: Vec<u32> = indices.iter().map(|&i| i as u32).collect();
        let idx = Tensor::from_vec(idx, indices.len(), dev)?;
        let labels = self.labels.index_select(&idx, 0)?;
        let images = match augment {
            None => self.images.index_select(&idx, 0)?,
            Some(rng) => {
                let mut gather = Vec::with_capacity(indices.len() * c * h * w);
                for &i in indices {
                    push_gather_indices(&mut gather, i, c, h, w, Transform::draw(rng));
                }
                let gather = Tensor::from_vec(gather, indices.len() * c * h * w, dev)?;
                self.images
                    .flatten_all()?
                    .index_select(&gather, 0)?
                    .reshape((indices.len(), c, h, w))?
            }
        };
        debug_assert_eq!(images.dtype(), DType::F32);
        Ok((images, labels))
    }

    /// The whole data set as one batch (no augmentation): `(images, labels)`, shallow clones.
    pub fn all(&self) -> (Tensor, Tensor) {
        (self.images.clone(), self.labels.clone())
    }
}

fn epoch_permutation(n: usize, seed: u64, epoch: usize) -> Vec<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(epoch as u64);
    let mut perm: Vec<usize> = (0..n).collect();
    perm.shuffle(&mut rng);
    perm
}

/// Shuffled batches of one epoch (seeded; partial last batch kept).
///
/// The permutation depends on `(seed, epoch)` only (ChaCha8 seeded by `seed`, stream
/// `epoch`), so a run resumed at any epoch sees the same batches. This is Keras `fit` with
/// `shuffle=True` (spec §1.2): `ceil(n / batch_size)` batches, e.g. 45,000 → 351 × 128 + 1 × 72.
///
/// Panics if `batch_size == 0`.
pub fn epoch_batches(n: usize, batch_size: usize, seed: u64, epoch: usize) -> Vec<Vec<usize>> {
    assert!(batch_size > 0, "epoch_batches: batch_size must be > 0");
    epoch_permutation(n, seed, epoch)
        .chunks(batch_size)
        .map(<[usize]>::to_vec)
        .collect()
}

/// Like [`epoch_batches`] but only the `n / batch_size` full batches (the partial one is
/// dropped): the augmented tasks' `steps_per_epoch = 45000 // 128 = 351` (spec §1.2).
///
/// Panics if `batch_size == 0`.
pub fn epoch_batches_full(n: usize, batch_size: usize, seed: u64, epoch: usize) -> Vec<Vec<usize>> {
    assert!(batch_size > 0, "epoch_batches_full: batch_size must be > 0");
    epoch_permutation(n, seed, epoch)
        .chunks_exact(batch_size)
        .map(<[usize]>::to_vec)
        .collect()
}
