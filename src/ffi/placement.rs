//! Placement through the C ABI: one file per problem under `placement/`.

mod consolidate;
mod cover;
mod fair;
mod hybrid;
mod vbp;

pub use consolidate::*;
pub use cover::*;
pub use fair::*;
pub use hybrid::*;
pub use vbp::*;
