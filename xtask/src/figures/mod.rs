//! One module per figure of the paper.
pub mod fig08;
