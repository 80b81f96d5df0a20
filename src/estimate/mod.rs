//! Estimation: learned task runtimes and demand forecasts that feed scheduling decisions.
//!
//! - [`stats`]: normal and Student-t distribution functions for prediction intervals.
pub mod stats;
