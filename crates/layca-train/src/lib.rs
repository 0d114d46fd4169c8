//! # layca-train — training engine and run store
