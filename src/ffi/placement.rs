//! Placement through the C ABI: one file per problem under `placement/`.

mod hybrid;

pub use hybrid::*;
