//! Estimation through the C ABI: one file per part under `estimate/`.

mod forecast;
mod runtime;

pub use forecast::*;
pub use runtime::*;
