//! The in-memory data set ([`Dataset`]), subsets, the 10 % validation split and the scalar
//! normaliser of spec §2.

use crate::error::{config_err, Result};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Images as raw u8 pixels, NCHW, with labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// N·C·H·W bytes, NCHW order.
    pub pixels: Vec<u8>,
    /// N labels, each `< num_classes`.
    pub labels: Vec<u32>,
    /// Channels per image (1 for MNIST, 3 for CIFAR / Tiny ImageNet).
    pub channels: usize,
    /// Image height in pixels.
    pub height: usize,
    /// Image width in pixels.
    pub width: usize,
    /// Number of classes (labels lie in `0..num_classes`).
    pub num_classes: usize,
}

impl Dataset {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the data set holds no image.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Bytes per image, `C·H·W`.
    pub fn image_len(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// The pixels of image `i` (C·H·W bytes, CHW order). Panics if `i >= len()`.
    pub fn image(&self, i: usize) -> &[u8] {
        let l = self.image_len();
        &self.pixels[i * l..(i + 1) * l]
    }

    /// Number of images per class, indexed by label.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0usize; self.num_classes];
        for &l in &self.labels {
            if let Some(c) = counts.get_mut(l as usize) {
                *c += 1;
            }
        }
        counts
    }

    /// The images at `indices`, in that order (indices may repeat).
    ///
    /// Errors with [`crate::DataError::Config`] if an index is out of range.
    pub fn subset(&self, indices: &[usize]) -> Result<Dataset> {
        let l = self.image_len();
        let mut pixels = Vec::with_capacity(indices.len() * l);
        let mut labels = Vec::with_capacity(indices.len());
        for &i in indices {
            if i >= self.len() {
                return Err(config_err(
                    "indices",
                    format!("index {i} out of range for a data set of {}", self.len()),
                ));
            }
            pixels.extend_from_slice(self.image(i));
            labels.push(self.labels[i]);
        }
        Ok(Dataset {
            pixels,
            labels,
            channels: self.channels,
            height: self.height,
            width: self.width,
            num_classes: self.num_classes,
        })
    }

    /// The seeded validation split of spec §1.2: a random permutation of the images, the first
    /// `round(fraction · N)` of it form the validation set, the rest the training set (both in
    /// permutation order). The paper uses `fraction = 0.1` (CIFAR 45,000 / 5,000; Tiny
    /// ImageNet 90,000 / 10,000). Returns `(train, validation)`.
    ///
    /// Per spec §2, fit the [`Normalizer`] on the full training set *before* splitting.
    pub fn split_validation(&self, fraction: f64, seed: u64) -> Result<(Dataset, Dataset)> {
        if !(0.0..=1.0).contains(&fraction) {
            return Err(config_err(
                "fraction",
                format!("validation fraction {fraction} is not in [0, 1]"),
            ));
        }
        let n = self.len();
        let n_val = ((n as f64) * fraction).round() as usize;
        let mut perm: Vec<usize> = (0..n).collect();
        perm.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
        let val = self.subset(&perm[..n_val])?;
        let train = self.subset(&perm[n_val..])?;
        Ok((train, val))
    }

    /// A seeded, class-balanced subset of `n` images: the classes take turns (in label order)
    /// giving their next image of a seeded per-class shuffle, so every class gets `n / C` or
    /// one more, and a class that runs out leaves its turn to the others. The subset keeps the
    /// original order. `n >= len()` returns the whole set.
    ///
    /// Errors with [`crate::DataError::Config`] (field `train_limit`) if `n` is smaller than
    /// the number of classes present, which would leave a class without an image.
    pub fn balanced_subset(&self, n: usize, seed: u64) -> Result<Dataset> {
        if n >= self.len() {
            return Ok(self.clone());
        }
        let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); self.num_classes];
        for (i, &l) in self.labels.iter().enumerate() {
            by_class[l as usize].push(i);
        }
        let present = by_class.iter().filter(|c| !c.is_empty()).count();
        if n < present {
            return Err(config_err(
                "train_limit",
                format!(
                    "{n} training images cannot cover the {present} classes of the data set                      (a class-balanced subset needs at least one image per class)"
                ),
            ));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        for c in &mut by_class {
            c.shuffle(&mut rng);
        }
        let mut keep = Vec::with_capacity(n);
        for round in 0.. {
            for c in &by_class {
                if keep.len() < n {
                    keep.extend(c.get(round).copied());
                }
            }
            if keep.len() == n {
                break;
            }
        }
        keep.sort_unstable();
        self.subset(&keep)
    }

    /// Checks the internal consistency (buffer size, label range); loaders call it before
    /// returning, so a `Dataset` obtained from this crate always passes.
    pub fn check(&self) -> Result<()> {
        let expected = self.len().checked_mul(self.image_len());
        if expected != Some(self.pixels.len()) {
            return Err(config_err(
                "pixels",
                format!(
                    "{} bytes for {} images of {}x{}x{}",
                    self.pixels.len(),
                    self.len(),
                    self.channels,
                    self.height,
                    self.width
                ),
            ));
        }
        if let Some((i, l)) = self
            .labels
            .iter()
            .enumerate()
            .find(|(_, &l)| l as usize >= self.num_classes)
        {
            return Err(config_err(
                "labels",
                format!("label {l} of image {i} is not < {}", self.num_classes),
            ));
        }
        Ok(())
    }
}

/// Scalar mean/std over all training pixels (spec §2): one mean and one (population) standard
/// deviation over every pixel of every channel of every training image, in the [0, 255] scale.
/// Applied to train, validation and test data as `x ← (x − mean) / std`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Normalizer {
    /// Mean pixel value, in [0, 255].
    pub mean: f32,
    /// Population standard deviation of the pixel values (numpy `std`, ddof = 0).
    pub std: f32,
}

impl Normalizer {
    /// Fits the scalar mean and standard deviation on `train` (computed exactly from a
    /// 256-bin histogram in f64). An empty data set gives mean 0 and std 1; a constant one
    /// gives std 0, which [`crate::TensorDataset::new`] rejects.
    pub fn fit(train: &Dataset) -> Self {
        let mut hist = [0u64; 256];
        for &p in &train.pixels {
            hist[p as usize] += 1;
        }
        let n: u64 = hist.iter().sum();
        if n == 0 {
            return Normalizer {
                mean: 0.0,
                std: 1.0,
            };
        }
        let nf = n as f64;
        let mean = hist
            .iter()
            .enumerate()
            .map(|(v, &c)| v as f64 * c as f64)
            .sum::<f64>()
            / nf;
        let var = hist
            .iter()
            .enumerate()
            .map(|(v, &c)| {
                let d = v as f64 - mean;
                d * d * c as f64
            })
            .sum::<f64>()
            / nf;
        Normalizer {
            mean: mean as f32,
            std: var.sqrt() as f32,
        }
    }

    /// The identity normaliser (mean 0, std 1): keeps pixels in [0, 255].
    pub fn identity() -> Self {
        Normalizer {
            mean: 0.0,
            std: 1.0,
        }
    }

    /// Applies the normalisation to one pixel value.
    #[inline]
    pub fn apply(&self, p: u8) -> f32 {
        (p as f32 - self.mean) / self.std
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labelled(labels: &[u32], classes: usize) -> Dataset {
        Dataset {
            pixels: (0..labels.len()).map(|i| i as u8).collect(),
            labels: labels.to_vec(),
            channels: 1,
            height: 1,
            width: 1,
            num_classes: classes,
        }
    }

    #[test]
    fn balanced_subset_is_balanced_seeded_and_ordered() {
        let labels: Vec<u32> = (0..100).map(|i| i % 4).collect();
        let ds = labelled(&labels, 4);
        let s = ds.balanced_subset(10, 1).unwrap();
        assert_eq!(s.len(), 10);
        assert_eq!(s.class_counts(), vec![3, 3, 2, 2]);
        assert!(
            s.pixels.windows(2).all(|w| w[0] < w[1]),
            "original order kept"
        );
        assert_eq!(s, ds.balanced_subset(10, 1).unwrap());
        assert_ne!(s, ds.balanced_subset(10, 2).unwrap());
        assert_eq!(ds.balanced_subset(100, 1).unwrap(), ds);
        assert!(ds.balanced_subset(3, 1).is_err());
    }

    #[test]
    fn balanced_subset_gives_a_short_class_turn_to_the_others() {
        // Class 0 has 2 images, classes 1 and 2 have 10 each.
        let mut labels = vec![0, 0];
        labels.extend((0..20).map(|i| 1 + i % 2));
        let ds = labelled(&labels, 3);
        let s = ds.balanced_subset(12, 9).unwrap();
        assert_eq!(s.class_counts(), vec![2, 5, 5]);
    }
}
