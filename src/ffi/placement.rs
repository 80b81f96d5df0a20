//! Placement through the C ABI: one file per problem under `placement/`.

mod cover;
pub use cover::*;
