//! Placement through the C ABI: one file per capability under `placement/`.

mod consolidate;
mod fair;
pub use consolidate::*;
pub use fair::*;
