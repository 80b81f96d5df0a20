//! Placement through the C ABI.

mod vbp;

pub use vbp::*;
