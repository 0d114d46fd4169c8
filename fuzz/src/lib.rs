//! The binary parsers of `layca-data` (IDX and CIFAR), compiled from their real source files
//! so that fuzzing builds in seconds without candle, parquet or image. Only the error module
//! is a local stand-in: the same API as `layca-data`'s `error.rs` minus the candle variant.

#[path = "../../crates/layca-data/src/cifar.rs"]
pub mod cifar;
#[path = "../../crates/layca-data/src/dataset.rs"]
pub mod dataset;
#[path = "../../crates/layca-data/src/idx.rs"]
pub mod idx;

/// Stand-in for `layca-data/src/error.rs` (same items, no candle variant).
pub mod error {
    use std::path::PathBuf;

    /// Errors; same variants as layca-data's `DataError` minus `Candle`.
    #[derive(Debug, thiserror::Error)]
    pub enum DataError {
        /// Format error.
        #[error("{path}: {reason}")]
        Format { path: PathBuf, reason: String },
        /// I/O error.
        #[error("{path}: {source}")]
        Io { path: PathBuf, source: std::io::Error },
        /// Config error.
        #[error("invalid data config `{field}`: {reason}")]
        Config { field: String, reason: String },
    }

    /// Result alias.
    pub type Result<T> = std::result::Result<T, DataError>;

    pub(crate) fn format_err(path: impl Into<PathBuf>, reason: impl Into<String>) -> DataError {
        DataError::Format { path: path.into(), reason: reason.into() }
    }

    pub(crate) fn config_err(field: &str, reason: impl Into<String>) -> DataError {
        DataError::Config { field: field.to_string(), reason: reason.into() }
    }

    #[allow(dead_code)]
    pub(crate) fn read_file(path: &std::path::Path) -> Result<Vec<u8>> {
        std::fs::read(path).map_err(|source| DataError::Io { path: path.to_path_buf(), source })
    }
}
