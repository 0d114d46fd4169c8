//! Loading a task's data: train / validation / test tensors with the paper's preprocessing.
use crate::engine::TaskData;
use crate::task::{DatasetKind, TaskId};
use crate::{Result, TrainError};
use candle_core::Device;
use layca_data::{Dataset, HfSpec, Normalizer, TensorDataset};
use std::path::PathBuf;

/// Where a task's data comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataSource {
    /// The data set embedded in the binary (MNIST only: the 10k-digit subset).
    Embedded,
    /// A local directory in the publisher's format (MNIST IDX files, CIFAR binary batches,
    /// the `tiny-imagenet-200/` tree).
    Dir(PathBuf),
    /// The parquet files of the Hugging Face hub, from the HF cache (downloaded when online).
    Hub,
    /// A real stand-in for a task's data set made from the embedded MNIST digits, shaped as the
    /// task's input (e.g. padded to 32×32 and replicated to 3 channels); for `cpu`-scale figures
    /// without `--data-dir`.
    StandIn,
}

impl DataSource {
    /// `--data-dir` if given, else the embedded data (MNIST); `hf` or `hub` selects the hub.
    pub fn from_arg(arg: Option<&std::path::Path>) -> Self {
        match arg {
            Some(p) if p.as_os_str() == "hf" || p.as_os_str() == "hub" => DataSource::Hub,
            Some(p) => DataSource::Dir(p.to_path_buf()),
            None => DataSource::Embedded,
        }
    }
}

/// What a task's data is: recorded in `run.json` and folded into the run directory name.
///
/// Two loads give equal identities exactly when they give the same tensors: the fingerprint is
/// a content hash of the raw training, validation and test images and labels.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DataIdentity {
    /// Human-readable source: `embedded-mnist`, `dir:<canonical path>`, `hub:<repo>`,
    /// `standin-mnist-<H>x<W>x<C>`, ...
    pub source: String,
    /// Training images kept (`None` = all the task uses).
    pub train_limit: Option<usize>,
    /// Images in the training / validation / test splits.
    pub n_train: usize,
    /// Validation images (0 when the test set doubles as validation).
    pub n_val: usize,
    /// Test images.
    pub n_test: usize,
    /// Image shape (C, H, W).
    pub shape: [usize; 3],
    /// Preprocessing, e.g. `scalar-mean-std(fit=official-train); val=0.1 seed 1`.
    pub preprocessing: String,
    /// Hex content hash of every split's pixels and labels.
    pub fingerprint: String,
}

impl DataIdentity {
    /// Eight hex digits of the fingerprint, for directory names.
    pub fn short(&self) -> &str {
        &self.fingerprint[..self.fingerprint.len().min(8)]
    }
}

/// Images per class in the embedded MNIST training split (the rest is the test set).
pub const EMBEDDED_MNIST_PER_CLASS: usize = layca_data::EMBEDDED_MNIST_PER_CLASS;
/// Images per class of the paper's MNIST training subset (spec §2), drawn from the 60k set.
pub const PAPER_MNIST_PER_CLASS: usize = 1000;
/// Seed of the embedded split and of the validation splits (spec §1.2: `numpy.random.seed(1)`).
pub const DATA_SEED: u64 = 1;
/// Fraction of the official training set held out for validation (spec §1.2).
pub const VALIDATION_FRACTION: f64 = 0.1;

fn hub_spec(kind: DatasetKind) -> HfSpec {
    match kind {
        DatasetKind::Mnist => layca_data::HF_MNIST,
        DatasetKind::Cifar10 => layca_data::HF_CIFAR10,
        DatasetKind::Cifar100 => layca_data::HF_CIFAR100,
        DatasetKind::TinyImagenet => layca_data::HF_TINY_IMAGENET,
    }
}

/// Loads the task's data with the paper's preprocessing: one scalar mean/std over all pixels
/// of the official training set (before any split), applied to every split; for CIFAR and
/// Tiny ImageNet a seeded 10 % validation split; for MNIST the paper's class-balanced training
/// subset, validated on the test set (spec §1.2, §2).
///
/// `train_limit` keeps that many training images (a seeded class-balanced subset) and is
/// recorded in the data identity.
pub fn load_task_data(
    task: TaskId,
    source: &DataSource,
    train_limit: Option<usize>,
    device: &Device,
) -> Result<TaskData> {
    if train_limit.is_some() {
        return Err(TrainError::config("train_limit", "not supported yet"));
    }
    let kind = task.spec().dataset;
    let (train, test): (Dataset, Dataset) = match (kind, source) {
        (DatasetKind::Mnist, DataSource::Embedded) => {
            let (train, test) =
                layca_data::embedded_mnist_split(EMBEDDED_MNIST_PER_CLASS, DATA_SEED)?;
            let norm = Normalizer::fit(&train);
            let identity = identity(
                "embedded-mnist",
                "scalar-mean-std(fit=train)",
                &train,
                None,
                &test,
            );
            return Ok(TaskData {
                train: TensorDataset::new(&train, norm, device)?,
                val: None,
                test: TensorDataset::new(&test, norm, device)?,
                identity,
            });
        }
        (_, DataSource::Embedded) => {
            return Err(TrainError::config(
                "data",
                format!(
                    "task `{}` needs {:?} on disk: pass --data-dir DIR (or --data-dir hf for the \
                     Hugging Face cache); only MNIST is embedded",
                    task.name(),
                    kind
                ),
            ))
        }
        (DatasetKind::Mnist, DataSource::Dir(dir)) => layca_data::load_mnist_dir(dir)?,
        (DatasetKind::Cifar10, DataSource::Dir(dir)) => layca_data::load_cifar10(dir)?,
        (DatasetKind::Cifar100, DataSource::Dir(dir)) => layca_data::load_cifar100(dir)?,
        (DatasetKind::TinyImagenet, DataSource::Dir(dir)) => layca_data::load_tiny_imagenet(dir)?,
        (_, DataSource::Hub) => layca_data::load_hf(&hub_spec(kind))?,
        (_, DataSource::StandIn) => {
            return Err(TrainError::config(
                "data",
                "the MNIST stand-in is not available yet",
            ))
        }
    };
    let norm = Normalizer::fit(&train);
    if kind == DatasetKind::Mnist {
        let (subset, _) = layca_data::balanced_split(&train, PAPER_MNIST_PER_CLASS, DATA_SEED)?;
        let identity = identity(
            &source_name(source),
            "scalar-mean-std(fit=official-train); balanced 1000/class subset seed 1",
            &subset,
            None,
            &test,
        );
        return Ok(TaskData {
            train: TensorDataset::new(&subset, norm, device)?,
            val: None,
            test: TensorDataset::new(&test, norm, device)?,
            identity,
        });
    }
    let (train, val) = train.split_validation(VALIDATION_FRACTION, DATA_SEED)?;
    let identity = identity(
        &source_name(source),
        "scalar-mean-std(fit=official-train); validation 0.1 seed 1",
        &train,
        Some(&val),
        &test,
    );
    Ok(TaskData {
        train: TensorDataset::new(&train, norm, device)?,
        val: Some(TensorDataset::new(&val, norm, device)?),
        test: TensorDataset::new(&test, norm, device)?,
        identity,
    })
}

fn source_name(source: &DataSource) -> String {
    match source {
        DataSource::Embedded => "embedded-mnist".into(),
        DataSource::Dir(d) => format!(
            "dir:{}",
            std::fs::canonicalize(d)
                .unwrap_or_else(|_| d.clone())
                .display()
        ),
        DataSource::Hub => "hub".into(),
        DataSource::StandIn => "standin-mnist".into(),
    }
}

/// FNV-1a 64 over every split's shape, pixels and labels.
fn fingerprint(splits: &[&Dataset]) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x100000001b3);
        }
    };
    for ds in splits {
        for d in [ds.len(), ds.channels, ds.height, ds.width] {
            eat(&(d as u64).to_le_bytes());
        }
        eat(&ds.pixels);
        for l in &ds.labels {
            eat(&l.to_le_bytes());
        }
    }
    format!("{h:016x}")
}

/// The identity of loaded splits.
pub fn identity(
    source: &str,
    preprocessing: &str,
    train: &Dataset,
    val: Option<&Dataset>,
    test: &Dataset,
) -> DataIdentity {
    let mut splits = vec![train];
    splits.extend(val);
    splits.push(test);
    DataIdentity {
        source: source.to_string(),
        train_limit: None,
        n_train: train.len(),
        n_val: val.map_or(0, Dataset::len),
        n_test: test.len(),
        shape: [train.channels, train.height, train.width],
        preprocessing: preprocessing.to_string(),
        fingerprint: fingerprint(&splits),
    }
}
