//! Estimation through the C ABI: one file per model under `estimate/`.

mod runtime;

pub use runtime::*;
