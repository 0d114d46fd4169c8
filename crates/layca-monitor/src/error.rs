//! Errors of `layca-monitor`.
use std::path::PathBuf;

/// Errors raised by the monitor and its sinks.
#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    /// The selection watches no tensor at all.
    #[error("the selection watches no tensor ({considered} considered): relax --min-rank or the name rules")]
    NothingWatched {
        /// How many tensors were considered.
        considered: usize,
    },
    /// A watched tensor has zero norm at the start: its rotation is undefined.
    #[error("tensor `{name}` has zero norm: its rotation is undefined (exclude it by name)")]
    ZeroNorm {
        /// Tensor name.
        name: String,
    },
    /// A measured value is NaN or infinite.
    #[error("non-finite {what} for tensor `{name}`")]
    NonFinite {
        /// Tensor name.
        name: String,
        /// What was measured.
        what: &'static str,
    },
    /// An invalid setting.
    #[error("invalid {field}: {reason}")]
    InvalidConfig {
        /// The offending field.
        field: String,
        /// Why it is invalid.
        reason: String,
    },
    /// A file could not be written or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A record could not be serialised.
    #[error("serialising a record: {0}")]
    Json(#[from] serde_json::Error),
    /// An error from the rotation math.
    #[error(transparent)]
    Core(#[from] layca_core::CoreError),
    /// An error from candle.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}

impl MonitorError {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}

/// Result alias.
pub type Result<T> = std::result::Result<T, MonitorError>;
