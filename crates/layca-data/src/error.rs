//! The crate's error type.

use std::path::PathBuf;

/// Errors of `layca-data`; every variant that concerns a file names it.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The file exists but its content is not what the format requires (wrong magic number,
    /// truncated or oversized, label out of range, undecodable image, ...). `reason` says
    /// where (byte offset, record or entry) when that is known.
    #[error("{path}: {reason}")]
    Format {
        /// The offending file (or, for embedded data, a pseudo-path such as `embedded:...`).
        path: PathBuf,
        /// What is wrong, with the offset / record / entry when known.
        reason: String,
    },
    /// The file could not be read (missing, permission, I/O error).
    #[error("{path}: {source}")]
    Io {
        /// The file that could not be read.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// Files a data set directory must hold are absent: names every missing one, the
    /// directory looked in, the expected layout and where to obtain the data.
    #[error("{dir}: missing {}\n{expected}", .missing.join(", "))]
    Missing {
        /// The directory looked in (after resolving a `--data-dir` root).
        dir: PathBuf,
        /// The missing entries, relative to `dir`.
        missing: Vec<String>,
        /// The expected layout and download address ([`crate::layout::expected_layout`]).
        expected: String,
    },
    /// A parameter passed by the caller is invalid (e.g. more training images per class than
    /// the data set holds).
    #[error("invalid data config `{field}`: {reason}")]
    Config {
        /// The parameter's name.
        field: String,
        /// Why it is invalid.
        reason: String,
    },
    /// An error from candle while building tensors.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}

/// Result alias.
pub type Result<T> = std::result::Result<T, DataError>;

/// Shorthand for a [`DataError::Format`].
pub(crate) fn format_err(path: impl Into<PathBuf>, reason: impl Into<String>) -> DataError {
    DataError::Format {
        path: path.into(),
        reason: reason.into(),
    }
}

/// Shorthand for a [`DataError::Config`].
pub(crate) fn config_err(field: &str, reason: impl Into<String>) -> DataError {
    DataError::Config {
        field: field.to_string(),
        reason: reason.into(),
    }
}

/// Reads a whole file, mapping the error to [`DataError::Io`] naming the file.
pub(crate) fn read_file(path: &std::path::Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })
}
