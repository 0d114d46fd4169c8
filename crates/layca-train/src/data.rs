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
pub fn load_task_data(task: TaskId, source: &DataSource, device: &Device) -> Result<TaskData> {
    let kind = task.spec().dataset;
    let (train, test): (Dataset, Dataset) = match (kind, source) {
        (DatasetKind::Mnist, DataSource::Embedded) => {
            let (train, test) =
                layca_data::embedded_mnist_split(EMBEDDED_MNIST_PER_CLASS, DATA_SEED)?;
            let norm = Normalizer::fit(&train);
            return Ok(TaskData {
                train: TensorDataset::new(&train, norm, device)?,
                val: None,
                test: TensorDataset::new(&test, norm, device)?,
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
    };
    let norm = Normalizer::fit(&train);
    if kind == DatasetKind::Mnist {
        let (subset, _) = layca_data::balanced_split(&train, PAPER_MNIST_PER_CLASS, DATA_SEED)?;
        return Ok(TaskData {
            train: TensorDataset::new(&subset, norm, device)?,
            val: None,
            test: TensorDataset::new(&test, norm, device)?,
        });
    }
    let (train, val) = train.split_validation(VALIDATION_FRACTION, DATA_SEED)?;
    Ok(TaskData {
        train: TensorDataset::new(&train, norm, device)?,
        val: Some(TensorDataset::new(&val, norm, device)?),
        test: TensorDataset::new(&test, norm, device)?,
    })
}
