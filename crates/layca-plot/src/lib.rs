//! # layca-plot — figures from plain run records
//!
//! CONTRACT SKELETON (to be implemented). Must not depend on candle.
