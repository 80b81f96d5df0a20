//! Estimation: learned task runtimes and demand forecasts that feed scheduling decisions.
//!
//! - [`stats`]: normal and Student-t distribution functions for prediction intervals.
//! - [`rls`]: recursive least squares (square-root information form) with forgetting, ridge and
//!   predictive intervals.
pub mod rls;
pub mod stats;
pub use rls::{Prediction, Rls, RlsConfig, Source};
