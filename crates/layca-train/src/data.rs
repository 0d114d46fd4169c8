//! Loading a task's data: train / validation / test tensors with the paper's preprocessing.
use crate::engine::TaskData;
use crate::task::{DatasetKind, TaskId};
use crate::{Result, TrainError};
use candle_core::Device;
use layca_data::{Normalizer, TensorDataset};
use std::path::PathBuf;

/// Where a task's data comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataSource {
    /// The data set embedded in the binary (MNIST only: the 10k-digit subset).
    Embedded,
    /// A local directory in the publisher's format.
    Dir(PathBuf),
}

/// Images per class in the embedded MNIST training split (the rest is the test set).
pub const EMBEDDED_MNIST_PER_CLASS: usize = 500;
/// Seed of the embedded split and of the validation splits (spec §1.2: `numpy.random.seed(1)`).
pub const DATA_SEED: u64 = 1;

/// Loads the task's data with the paper's preprocessing (scalar mean/std of the training
/// pixels; 10 % validation split for the CIFAR / Tiny ImageNet tasks; MNIST validates on test).
pub fn load_task_data(task: TaskId, source: &DataSource, device: &Device) -> Result<TaskData> {
    let kind = task.spec().dataset;
    match (kind, source) {
        (DatasetKind::Mnist, DataSource::Embedded) => {
            let (train, test) =
                layca_data::embedded_mnist_split(EMBEDDED_MNIST_PER_CLASS, DATA_SEED)?;
            let norm = Normalizer::fit(&train);
            Ok(TaskData {
                train: TensorDataset::new(&train, norm, device)?,
                val: None,
                test: TensorDataset::new(&test, norm, device)?,
            })
        }
        (_, DataSource::Embedded) => Err(TrainError::config(
            "data",
            format!(
                "task `{}` needs {:?} on disk: pass --data-dir DIR (only MNIST is embedded)",
                task.name(),
                kind
            ),
        )),
        (_, DataSource::Dir(dir)) => Err(TrainError::config(
            "data",
            format!("loading {:?} from {} is not wired yet", kind, dir.display()),
        )),
    }
}
