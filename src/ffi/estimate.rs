//! Estimation through the C ABI: one file per part under `estimate/`.

mod forecast;

pub use forecast::*;
