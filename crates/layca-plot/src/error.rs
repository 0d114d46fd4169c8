//! Error type of the crate.

use std::path::PathBuf;

/// Everything that can go wrong while building or rendering a figure.
///
/// Variants produced while writing a figure name the output file concerned.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The figure data is unusable (empty, mismatched lengths, non-finite limits, ...),
    /// detected before any output file was known (e.g. in [`crate::RotationPanel::to_panel`]).
    #[error("invalid figure data: {0}")]
    Data(String),
    /// The figure data is unusable; `path` is the output file that was to be written.
    #[error("{}: invalid figure data: {reason}", path.display())]
    InvalidData {
        /// Output file (PNG or SVG) that was to be written.
        path: PathBuf,
        /// What is wrong with the data.
        reason: String,
    },
    /// plotters failed while drawing or encoding `path`.
    #[error("{}: rendering failed: {reason}", path.display())]
    Render {
        /// Output file being rendered.
        path: PathBuf,
        /// Message of the drawing backend.
        reason: String,
    },
    /// Creating, writing or renaming `path` failed.
    #[error("{}: I/O error: {source}", path.display())]
    Io {
        /// File or directory concerned.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The embedded DejaVu Sans font could not be registered with plotters.
    #[error("the embedded DejaVu Sans font could not be registered with plotters")]
    Font,
}

impl PlotError {
    /// Attaches an output path to a [`PlotError::Data`] error (other variants are returned as is).
    pub(crate) fn at(self, path: &std::path::Path) -> Self {
        match self {
            PlotError::Data(reason) => PlotError::InvalidData {
                path: path.to_path_buf(),
                reason,
            },
            other => other,
        }
    }
}

/// Result alias of the crate.
pub type Result<T, E = PlotError> = std::result::Result<T, E>;
