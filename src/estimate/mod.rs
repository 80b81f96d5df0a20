//! Estimation: learned task runtimes and demand forecasts that feed scheduling decisions.
//!
//! - [`stats`]: normal and Student-t distribution functions for prediction intervals.
//! - [`rls`]: recursive least squares (square-root information form) with forgetting, ridge and
//!   predictive intervals.
//! - [`runtime`]: per-task-class runtime estimation with a robust fallback to EW means; the
//!   dispatcher uses it for learned runtimes ([`crate::online::EstimationConfig`]).
//! - [`holt_winters`], [`ar`]: demand forecasts (Holt–Winters, AR(p)) with prediction intervals;
//!   [`evaluate`]: accuracy metrics and rolling-origin backtests; [`capacity`]: the burst
//!   capacity a forecast calls for.
pub mod ar;
pub mod capacity;
pub mod evaluate;
pub mod holt_winters;
pub mod rls;
pub mod runtime;
pub mod stats;

pub use ar::{ArModel, Criterion};
pub use capacity::{CapacityPlan, Guarantee, burst_for};
pub use evaluate::{Backtest, Forecast, backtest, holdout, mae, mape, mse};
pub use holt_winters::{HoltWinters, HwConfig, HwModel, HwParams, HwState, PHI_RANGE, Seasonality};
pub use rls::{Prediction, Rls, RlsConfig, Source};
pub use runtime::{EstimatorConfig, RuntimeEstimator};
