//! Errors of the training engine.
use std::path::PathBuf;

/// Everything that can stop a run. Every variant names the offending field, file or step.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// An invalid run configuration field.
    #[error("invalid run config `{field}`: {reason}")]
    InvalidConfig {
        /// The offending field.
        field: String,
        /// Why it is invalid.
        reason: String,
    },
    /// The task name is not in the registry.
    #[error("unknown task `{0}` (known: {known})", known = crate::task::TaskId::names().join(", "))]
    UnknownTask(String),
    /// Run-store file error.
    #[error("{path}: {reason}")]
    Store {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// I/O on a run-store file.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The run was interrupted on purpose (tests simulate a kill with this).
    #[error("run interrupted after {steps} steps")]
    Interrupted {
        /// Steps done in this process before the interruption.
        steps: u64,
    },
    /// Data set error.
    #[error(transparent)]
    Data(#[from] layca_data::DataError),
    /// Model error.
    #[error(transparent)]
    Model(#[from] layca_models::ModelError),
    /// Optimizer error.
    #[error(transparent)]
    Optim(#[from] layca_optim::OptimError),
    /// Rotation-math error.
    #[error(transparent)]
    Core(#[from] layca_core::CoreError),
    /// candle error.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}

/// Result alias.
pub type Result<T> = std::result::Result<T, TrainError>;

impl TrainError {
    pub(crate) fn config(field: &str, reason: impl Into<String>) -> Self {
        TrainError::InvalidConfig {
            field: field.to_string(),
            reason: reason.into(),
        }
    }
}
