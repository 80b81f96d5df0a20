//! Placement through the C ABI: one file per problem under `placement/`.

mod consolidate;
mod fair;
mod hybrid;

pub use consolidate::*;
pub use fair::*;
pub use hybrid::*;
