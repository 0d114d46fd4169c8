//! Unit tests (one test binary for the whole crate).

mod counts;
mod gradcheck;
mod layers;
mod mlp;
mod ops;
mod scaled;
mod training;
pub(crate) mod util;
