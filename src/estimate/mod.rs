//! Estimation: learned task runtimes and demand forecasts that feed scheduling decisions.
//!
//! - [`stats`]: normal and Student-t distribution functions for prediction intervals.
//! - [`rls`]: recursive least squares (square-root information form) with forgetting, ridge and
//!   predictive intervals.
//! - [`runtime`]: per-task-class runtime estimation with a robust fallback to EW means.
pub mod rls;
pub mod stats;
pub use rls::{Prediction, Rls, RlsConfig, Source};
pub mod runtime;
pub use runtime::{EstimatorConfig, RuntimeEstimator};
