//! # layca-data — the paper's data sets
//!
//! Loads the data sets of "Layer rotation: a surprisingly powerful indicator of
//! generalization in deep networks?" from their real distribution formats and applies the
//! paper's preprocessing (spec §1.2, §2):
//!
//! * sources: the embedded 10,000-digit MNIST subset ([`embedded_mnist`],
//!   [`embedded_mnist_split`], no network or setup), MNIST IDX files ([`load_mnist_dir`]),
//!   CIFAR-10/100 binary distributions ([`load_cifar10`], [`load_cifar100`]), the official
//!   Tiny ImageNet tree ([`load_tiny_imagenet`]) and the parquet versions on the Hugging Face
//!   hub, read from the standard HF cache ([`load_hf`]; downloading needs the `hub` feature);
//! * preprocessing: one scalar mean/std over all training pixels ([`Normalizer`]), the seeded
//!   10 % validation split ([`Dataset::split_validation`]), seeded shuffled batches per epoch
//!   with the partial last batch ([`epoch_batches`]), augmentation for the tasks that use it
//!   (random ±4 px shift with reflect padding and nearest resampling, horizontal flip with
//!   p = 0.5; [`augment`], [`TensorDataset::batch`]);
//! * directory layouts ([`layout`]): a `--data-dir` root is the data set directory or
//!   contains the standard names (`mnist/`, `cifar-10-batches-bin/`, `cifar-100-binary/`,
//!   `tiny-imagenet-200/`); missing files are listed with the expected layout and the
//!   official download address ([`expected_layout`]); image geometry and constant-pixel
//!   training sets are checked at load time;
//! * seeded class-balanced subsets ([`Dataset::balanced_subset`]) for reduced-size runs;
//! * a stand-in for the CIFAR / Tiny ImageNet inputs made from MNIST digits ([`standin`]) and
//!   small class-structured synthetic data sets written in the real formats ([`synth`]);
//! * data as candle tensors (NCHW f32, labels u32) on the requested device ([`TensorDataset`]).
//!
//! Bad input (truncated or oversized files, wrong magic numbers, labels out of range, missing
//! files, wrong geometry, constant pixels, ...) gives a [`DataError`] naming the file and, where known, the offset or entry —
//! never a panic and never a partial load.
//!
//! Depends only on candle-core and small format crates; it must not depend on the models
//! (`layca-models`), the optimisers (`layca-optim`), the training engine (`layca-train`) or
//! plotting (`layca-plot`).

#![warn(missing_docs)]

pub mod augment;
pub mod cifar;
mod dataset;
mod error;
pub mod hub;
pub mod idx;
pub mod layout;
pub mod standin;
pub mod synth;
mod tensor;
pub mod tiny;

pub use cifar::Cifar100Labels;
pub use dataset::{Dataset, Normalizer};
pub use error::{DataError, Result};
pub use hub::{
    load_hf, load_hf_in, load_hf_parquet, HfSpec, HF_CIFAR10, HF_CIFAR100, HF_MNIST,
    HF_TINY_IMAGENET,
};
pub use idx::{balanced_split, embedded_mnist, embedded_mnist_split};
pub use layout::{
    expected_layout, load_cifar10, load_cifar100, load_cifar100_labels, load_dir, load_mnist_dir,
    load_tiny_imagenet, DirData, Format,
};
pub use tensor::{epoch_batches, epoch_batches_full, TensorDataset};

/// Default number of training images per class in the embedded MNIST split.
pub const EMBEDDED_MNIST_PER_CLASS: usize = 500;
