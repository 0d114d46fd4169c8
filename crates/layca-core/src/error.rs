//! Errors of `layca-core`.

/// Errors raised by the rotation math.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// A kernel (or initial kernel) has zero L2 norm: rotation is undefined.
    #[error("tensor `{name}` has zero norm: its rotation is undefined")]
    ZeroNorm {
        /// Layer / tensor name.
        name: String,
    },
    /// Two tensors that must match in shape do not.
    #[error("shape mismatch for `{name}`: {left:?} vs {right:?}")]
    ShapeMismatch {
        /// Layer / tensor name.
        name: String,
        /// Shape of the first tensor.
        left: Vec<usize>,
        /// Shape of the second tensor.
        right: Vec<usize>,
    },
    /// An invalid hyper-parameter (α outside [-1, 1], ρ ≤ 0, bad milestones, ...).
    #[error("invalid {field}: {reason}")]
    InvalidConfig {
        /// The offending field.
        field: String,
        /// Why it is invalid.
        reason: String,
    },
    /// A value became NaN or infinite.
    #[error("non-finite value in `{name}`")]
    NonFinite {
        /// Layer / tensor name.
        name: String,
    },
    /// An error from candle.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}

/// Result alias.
pub type Result<T> = std::result::Result<T, CoreError>;
