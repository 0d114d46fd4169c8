//! Unit tests (one test binary for the whole crate).

mod mlp;
pub(crate) mod util;
