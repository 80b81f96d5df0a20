//! Capacity decisions from a demand forecast: how much public (burst) capacity to rent on top
//! of a fixed private capacity so that demand is met with a target probability.
//!
//! Demand at step `j` is taken as normal with the forecast's mean and standard deviation. For a
//! per-step guarantee the quantile used is `z = Phi^{-1}(s)`: each step separately has
//! `P(demand <= private + burst) >= s`. For a window guarantee the Bonferroni (union) bound splits
//! the risk over the `h` steps, `z = -Phi^{-1}((1 - s) / h)` (computed from the tail, so it stays
//! exact for `s` near 1 and long windows), so that all steps are covered
//! together with probability at least `s` whatever their correlation. The burst is
//! `max(0, mean + z sd - private)`, rounded up to whole units when a unit is given.
//!
//! # Example: rent for a 99% per-step service level
//! ```
//! use agentsched::estimate::{burst_for, Forecast, Guarantee};
//! let f = Forecast::from_normal(vec![80.0, 100.0], vec![10.0, 10.0], 0.95)?;
//! let plan = burst_for(&f, 100.0, 0.99, Guarantee::PerStep, Some(1.0))?;
//! // 99% quantile = mean + 2.326 sd: 103.3 and 123.3; private covers 100.
//! assert_eq!(plan.per_step, vec![4.0, 24.0]);
//! assert_eq!(plan.window, 24.0);
//! # Ok::<(), agentsched::Error>(())
//! ```
use crate::estimate::evaluate::{Forecast, check_forecast, finite};
use crate::estimate::stats::normal_quantile;
use crate::{Error, Result};

/// Which event the service level applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guarantee {
    /// Each step separately.
    PerStep,
    /// All steps of the window together (union bound).
    Window,
}

/// Public capacity to rent.
#[derive(Debug, Clone, PartialEq)]
pub struct CapacityPlan {
    /// Burst capacity per step, `>= 0`, in whole units when a unit was given; never below
    /// `quantile_used - private` (rounding goes up).
    pub per_step: Vec<f64>,
    /// The largest per-step burst: a constant rental that covers the whole window.
    pub window: f64,
    /// The demand quantile used per step, `mean + z sd`.
    pub quantile_used: Vec<f64>,
    /// The standard normal quantile `z`.
    pub z: f64,
}

/// The public burst capacity per step and for the window; see the [module docs](self).
///
/// # Arguments
/// - `forecast`: demand forecast (its `mean` and `sd` are used).
/// - `private`: private capacity, finite and `>= 0`.
/// - `service_level`: target probability in `(0, 1)`.
/// - `guarantee`: per step, or the whole window with the union bound.
/// - `unit`: round bursts up to multiples of this positive size.
///
/// # Complexity
/// O(h).
///
/// # Errors
/// [`Error::TooFewValues`] for an empty forecast; [`Error::DimensionMismatch`] when `lower`,
/// `upper` or `sd` differ in length from `mean` (field `forecast.sd` etc.);
/// [`Error::NotFinite`], [`Error::Negative`] or [`Error::NotPositive`] for bad numbers (a
/// non-finite mean or `sd`, a NaN bound, a negative `sd`); [`Error::InvalidInstance`]
/// (`forecast.lower[j]`) for a lower bound above the upper one; [`Error::InvalidConfig`] for a
/// service level or a `forecast.level` outside `(0, 1)` (and, field `unit`, should rounding
/// fail to cover the quantile within 64 steps, which no finite input is known to cause).
pub fn burst_for(
    forecast: &Forecast,
    private: f64,
    service_level: f64,
    guarantee: Guarantee,
    unit: Option<f64>,
) -> Result<CapacityPlan> {
    let h = forecast.mean.len();
    if h == 0 {
        return Err(Error::TooFewValues {
            field: "forecast",
            needed: 1,
            got: 0,
        });
    }
    check_forecast(forecast)?;
    finite("private", private)?;
    if private < 0.0 {
        return Err(Error::Negative {
            field: "private",
            value: private,
        });
    }
    finite("service_level", service_level)?;
    if service_level <= 0.0 || service_level >= 1.0 {
        return Err(Error::InvalidConfig {
            field: "service_level",
            reason: "a service level strictly between 0 and 1 is needed",
        });
    }
    if let Some(u) = unit {
        finite("unit", u)?;
        if u <= 0.0 {
            return Err(Error::NotPositive {
                field: "unit",
                value: u,
            });
        }
    }
    // The risk tail `1 - s` (per step) or `(1 - s) / h` (window), never `1 - tail`: that
    // rounds to 1 for a service level near 1 or a long window and loses the quantile.
    let tail = match guarantee {
        Guarantee::PerStep => 1.0 - service_level,
        Guarantee::Window => (1.0 - service_level) / h as f64,
    };
    let z = -normal_quantile(tail).map_err(|_| Error::InvalidConfig {
        field: "service_level",
        reason: "the risk 1 - service_level (split over the window) is not a usable probability",
    })?;
    let quantile_used: Vec<f64> = forecast
        .mean
        .iter()
        .zip(&forecast.sd)
        .map(|(m, s)| m + z * s)
        .collect();
    let mut per_step = Vec::with_capacity(h);
    for &q in &quantile_used {
        finite("quantile", q)?;
        let raw = (q - private).max(0.0);
        // Rounding (of `q - private`, `raw / u`, `k u` and `private + b`) can leave the burst a
        // hair short of what the quantile needs; the plan must cover it, so the burst steps up
        // (by a unit, or by one double where a unit is below the spacing of doubles) until it
        // does. Each step gains at least an ulp of `b`, so a few steps always suffice; the cap
        // only bounds the loop.
        let covers = |b: f64| b >= raw && private + b >= q;
        let mut b = match unit {
            Some(u) => (raw / u).ceil() * u,
            None => raw,
        };
        let mut steps = 0;
        while !covers(b) && b.is_finite() {
            steps += 1;
            if steps > 64 {
                return Err(Error::InvalidConfig {
                    field: "unit",
                    reason: "the burst cannot be rounded up to cover the quantile",
                });
            }
            let up = unit.map_or(b, |u| b + u);
            b = if up > b { up } else { next_up(b) };
        }
        finite("burst", b)?;
        per_step.push(b);
    }
    let window = per_step.iter().copied().fold(0.0, f64::max);
    Ok(CapacityPlan {
        per_step,
        window,
        quantile_used,
        z,
    })
}

/// The next double above a finite `x >= 0` (`+0.0` and `-0.0` go to the smallest subnormal,
/// `f64::MAX` to infinity). `f64::next_up` is newer than the crate's MSRV.
fn next_up(x: f64) -> f64 {
    if x == 0.0 {
        f64::from_bits(1)
    } else {
        f64::from_bits(x.to_bits() + 1)
    }
}
