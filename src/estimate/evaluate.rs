//! Forecast accuracy: point metrics (MSE, MAE, MAPE), a holdout split and the rolling-origin
//! backtest.
//!
//! The backtest is the rolling-origin evaluation of Tashman (2000, "Out-of-sample tests of
//! forecasting accuracy", International Journal of Forecasting 16) and of `tsCV` in Hyndman's R
//! package *forecast*: the model is refit on `series[..origin]` for each origin `initial,
//! initial + step, ...` and its `1..=horizon`-step forecasts are scored against what followed.
//!
//! # Example: score a naive forecaster
//! ```
//! use agentsched::estimate::{backtest, Forecast};
//! let series = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
//! // Repeat the last value, with a +-1 interval.
//! let naive = |train: &[f64]| {
//!     let last = *train.last().unwrap();
//!     Ok(Forecast::from_normal(vec![last; 2], vec![1.0; 2], 0.9)?)
//! };
//! let bt = backtest(&series, 3, 2, 1, naive)?;
//! assert_eq!(bt.origins, vec![3, 4, 5]);
//! // One step ahead the naive forecast is always off by exactly 1.
//! assert_eq!(bt.mae[0], 1.0);
//! # Ok::<(), agentsched::Error>(())
//! ```
use crate::estimate::stats::normal_quantile;
use crate::{Error, Result};

/// Point forecasts with prediction intervals, steps `1..=h` ahead.
///
/// `sd[j]` is the forecast standard deviation of step `j + 1` (what [`crate::estimate::burst_for`]
/// uses); `lower`/`upper` bound the central `level` prediction interval (normal for the additive
/// and AR models, simulated quantiles for multiplicative Holt–Winters).
#[derive(Debug, Clone, PartialEq)]
pub struct Forecast {
    /// Point forecasts.
    pub mean: Vec<f64>,
    /// Lower interval bounds.
    pub lower: Vec<f64>,
    /// Upper interval bounds.
    pub upper: Vec<f64>,
    /// Forecast standard deviations.
    pub sd: Vec<f64>,
    /// Nominal coverage of the intervals, in `(0, 1)`.
    pub level: f64,
}

impl Forecast {
    /// A forecast with normal intervals `mean +- z sd`, `z` the `(1 + level) / 2` quantile.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] when `sd` and `mean` differ in length; [`Error::NotFinite`]
    /// or [`Error::Negative`] for a bad value; [`Error::InvalidConfig`] for `level` outside
    /// `(0, 1)`.
    pub fn from_normal(mean: Vec<f64>, sd: Vec<f64>, level: f64) -> Result<Forecast> {
        if sd.len() != mean.len() {
            return Err(Error::DimensionMismatch {
                field: "sd",
                expected: mean.len(),
                got: sd.len(),
            });
        }
        let z = level_quantile(level)?;
        for (&m, &s) in mean.iter().zip(&sd) {
            finite("mean", m)?;
            finite("sd", s)?;
            if s < 0.0 {
                return Err(Error::Negative {
                    field: "sd",
                    value: s,
                });
            }
        }
        let lower = mean.iter().zip(&sd).map(|(m, s)| m - z * s).collect();
        let upper = mean.iter().zip(&sd).map(|(m, s)| m + z * s).collect();
        Ok(Forecast {
            mean,
            lower,
            upper,
            sd,
            level,
        })
    }

    /// The number of steps forecast.
    pub fn len(&self) -> usize {
        self.mean.len()
    }

    /// Whether no step is forecast.
    pub fn is_empty(&self) -> bool {
        self.mean.is_empty()
    }
}

/// The longest forecast horizon accepted: a larger `h` is a caller error, refused before any
/// allocation of that size.
pub(crate) const MAX_HORIZON: usize = 1 << 24;

/// Checks a forecast horizon: at least 1 and at most [`MAX_HORIZON`].
pub(crate) fn check_horizon(field: &'static str, h: usize) -> Result<()> {
    if h == 0 {
        return Err(Error::InvalidConfig {
            field,
            reason: "forecast at least one step",
        });
    }
    if h > MAX_HORIZON {
        return Err(Error::InvalidConfig {
            field,
            reason: "at most 2^24 steps can be forecast",
        });
    }
    Ok(())
}

/// The standard normal quantile `(1 + level) / 2` of a central interval of coverage `level`,
/// computed as `-Phi^-1((1 - level) / 2)`.
pub(crate) fn level_quantile(level: f64) -> Result<f64> {
    finite("level", level)?;
    if level <= 0.0 || level >= 1.0 {
        return Err(Error::InvalidConfig {
            field: "level",
            reason: "an interval level strictly between 0 and 1 is needed",
        });
    }
    // From the lower tail: `0.5 + level / 2` rounds to 1 for a level within 2^-53 of 1 (and
    // loses digits well before), while `(1 - level) / 2` is exact for level >= 0.5.
    normal_quantile((1.0 - level) / 2.0)
        .map(|q| -q)
        .map_err(|_| Error::InvalidConfig {
            field: "level",
            reason: "an interval level strictly between 0 and 1 is needed",
        })
}

/// Checks a caller-supplied forecast: `lower`, `upper` and `sd` as long as `mean`, `mean`
/// finite, bounds not NaN (infinite bounds are allowed) with `lower <= upper`, `sd` finite and
/// `>= 0`, `level` in `(0, 1)`. Errors name the field (`forecast.lower`, ...).
pub(crate) fn check_forecast(f: &Forecast) -> Result<()> {
    let n = f.mean.len();
    for (field, len) in [
        ("forecast.lower", f.lower.len()),
        ("forecast.upper", f.upper.len()),
        ("forecast.sd", f.sd.len()),
    ] {
        if len != n {
            return Err(Error::DimensionMismatch {
                field,
                expected: n,
                got: len,
            });
        }
    }
    finite("forecast.level", f.level)?;
    if f.level <= 0.0 || f.level >= 1.0 {
        return Err(Error::InvalidConfig {
            field: "forecast.level",
            reason: "an interval level strictly between 0 and 1 is needed",
        });
    }
    for j in 0..n {
        let (m, lo, hi, s) = (f.mean[j], f.lower[j], f.upper[j], f.sd[j]);
        finite("forecast.mean", m)?;
        for (field, v) in [("forecast.lower", lo), ("forecast.upper", hi)] {
            if v.is_nan() {
                return Err(Error::NotFinite { field, value: v });
            }
        }
        if lo > hi {
            return Err(Error::InvalidInstance {
                field: format!("forecast.lower[{j}]"),
                reason: format!("the lower bound {lo} is above the upper bound {hi}"),
            });
        }
        finite("forecast.sd", s)?;
        if s < 0.0 {
            return Err(Error::Negative {
                field: "forecast.sd",
                value: s,
            });
        }
    }
    Ok(())
}

pub(crate) fn finite(field: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(Error::NotFinite { field, value })
    }
}

fn pairs<'a>(actual: &'a [f64], predicted: &'a [f64]) -> Result<()> {
    if actual.is_empty() {
        return Err(Error::TooFewValues {
            field: "actual",
            needed: 1,
            got: 0,
        });
    }
    if predicted.len() != actual.len() {
        return Err(Error::DimensionMismatch {
            field: "predicted",
            expected: actual.len(),
            got: predicted.len(),
        });
    }
    for &a in actual {
        finite("actual", a)?;
    }
    for &p in predicted {
        finite("predicted", p)?;
    }
    Ok(())
}

/// Mean squared error `sum (a - p)^2 / n`.
///
/// # Complexity
/// O(n).
///
/// # Errors
/// [`Error::TooFewValues`] when empty, [`Error::DimensionMismatch`] for different lengths,
/// [`Error::NotFinite`] for NaN or infinite values, or when the result overflows (errors near
/// `1e154` and beyond for the MSE, near `f64::MAX` for the others).
pub fn mse(actual: &[f64], predicted: &[f64]) -> Result<f64> {
    pairs(actual, predicted)?;
    let s: f64 = actual
        .iter()
        .zip(predicted)
        .map(|(a, p)| (a - p) * (a - p))
        .sum();
    finite("mse", s / actual.len() as f64)
}

/// Mean absolute error `sum |a - p| / n`.
///
/// # Complexity
/// O(n).
///
/// # Errors
/// As [`mse`].
pub fn mae(actual: &[f64], predicted: &[f64]) -> Result<f64> {
    pairs(actual, predicted)?;
    let s: f64 = actual
        .iter()
        .zip(predicted)
        .map(|(a, p)| (a - p).abs())
        .sum();
    finite("mae", s / actual.len() as f64)
}

/// Mean absolute percentage error, in percent: `100 / k * sum |a - p| / |a|` over the `k`
/// pairs whose actual value is non-zero (a zero actual has no percentage error; those pairs are
/// skipped).
///
/// # Complexity
/// O(n).
///
/// # Errors
/// As [`mse`], and [`Error::InvalidConfig`] (field `actual`) when every actual value is zero.
pub fn mape(actual: &[f64], predicted: &[f64]) -> Result<f64> {
    pairs(actual, predicted)?;
    let v = mape_unchecked(actual, predicted).ok_or(Error::InvalidConfig {
        field: "actual",
        reason: "every actual value is zero, so no percentage error is defined",
    })?;
    finite("mape", v)
}

fn mape_unchecked(actual: &[f64], predicted: &[f64]) -> Option<f64> {
    let (mut s, mut k) = (0.0, 0usize);
    for (a, p) in actual.iter().zip(predicted) {
        if *a != 0.0 {
            s += ((a - p) / a).abs();
            k += 1;
        }
    }
    (k > 0).then(|| 100.0 * s / k as f64)
}

/// Splits a series into a training part and the last `test_len` values.
///
/// # Errors
/// [`Error::TooFewValues`] unless `1 <= test_len < series.len()`.
pub fn holdout(series: &[f64], test_len: usize) -> Result<(&[f64], &[f64])> {
    if test_len == 0 || test_len >= series.len() {
        return Err(Error::TooFewValues {
            field: "series",
            needed: test_len.saturating_add(1).max(2),
            got: series.len(),
        });
    }
    Ok(series.split_at(series.len() - test_len))
}

/// The scores of a rolling-origin backtest, per forecast horizon (index `j` is `j + 1` steps
/// ahead).
#[derive(Debug, Clone, PartialEq)]
pub struct Backtest {
    /// The training lengths used as forecast origins, increasing.
    pub origins: Vec<usize>,
    /// How many forecasts of each horizon were scored (origins with an actual value that far
    /// ahead).
    pub count: Vec<usize>,
    /// Mean squared error per horizon (NaN for a horizon never scored, which the check
    /// `horizon <= series.len() - initial` rules out: the first origin scores every horizon).
    pub mse: Vec<f64>,
    /// Mean absolute error per horizon (NaN when never scored, as `mse`).
    pub mae: Vec<f64>,
    /// MAPE (percent) per horizon; `None` when every scored actual was zero.
    pub mape: Vec<Option<f64>>,
    /// The fraction of actual values inside the forecast's interval, per horizon (NaN when never
    /// scored, as `mse`).
    pub coverage: Vec<f64>,
}

/// Rolling-origin backtest: for each origin `o = initial, initial + step, ...` below
/// `series.len()`, calls `model(&series[..o])` and scores its first `horizon` steps against the
/// actual values that exist.
///
/// # Arguments
/// - `series`: the full history.
/// - `initial`: the first training length, at least 1.
/// - `horizon`: steps scored per origin, from 1 to `series.len() - initial`.
/// - `step`: distance between origins, at least 1.
/// - `model`: fits on a training prefix and forecasts at least `horizon` steps.
///
/// # Returns
/// Per-horizon MSE, MAE, MAPE and interval coverage over the origins (Tashman 2000).
///
/// # Complexity
/// `ceil((n - initial) / step)` calls of `model`, plus O(origins x horizon).
///
/// # Errors
/// [`Error::InvalidConfig`] for a zero `initial`, `horizon` or `step`, or a `horizon` above
/// `series.len() - initial` (or 2^24); [`Error::TooFewValues`] when `initial >= series.len()`;
/// [`Error::NotFinite`] for a non-finite value in `series`, a non-finite forecast mean or `sd`,
/// a NaN bound, or an error average that overflows; [`Error::DimensionMismatch`] when a forecast is shorter than `horizon` or its
/// `lower`/`upper`/`sd` differ in length from its `mean`; [`Error::InvalidInstance`]
/// (`forecast.lower[j]`) for a lower bound above the upper one; [`Error::Negative`] for a
/// negative `sd`; [`Error::InvalidConfig`] (`forecast.level`) for a level outside `(0, 1)`; any
/// error of `model`.
pub fn backtest<F>(
    series: &[f64],
    initial: usize,
    horizon: usize,
    step: usize,
    mut model: F,
) -> Result<Backtest>
where
    F: FnMut(&[f64]) -> Result<Forecast>,
{
    check_horizon("horizon", horizon)?;
    for (field, v) in [("initial", initial), ("step", step)] {
        if v == 0 {
            return Err(Error::InvalidConfig {
                field,
                reason: "must be at least 1",
            });
        }
    }
    if initial >= series.len() {
        return Err(Error::TooFewValues {
            field: "series",
            needed: initial.saturating_add(1),
            got: series.len(),
        });
    }
    // Every scored horizon must have an actual value after the first origin; this also bounds
    // the per-horizon vectors by the series length rather than by the caller's `horizon`.
    if horizon > series.len() - initial {
        return Err(Error::InvalidConfig {
            field: "horizon",
            reason: "the horizon exceeds the values after the first origin (series.len() - initial)",
        });
    }
    for &v in series {
        finite("series", v)?;
    }
    let mut origins = Vec::new();
    let mut count = vec![0usize; horizon];
    let mut se = vec![0.0; horizon];
    let mut ae = vec![0.0; horizon];
    let mut ape = vec![0.0; horizon];
    let mut ape_n = vec![0usize; horizon];
    let mut covered = vec![0usize; horizon];
    let mut o = initial;
    while o < series.len() {
        let f = model(&series[..o])?;
        if f.mean.len() < horizon {
            return Err(Error::DimensionMismatch {
                field: "forecast",
                expected: horizon,
                got: f.mean.len(),
            });
        }
        check_forecast(&f)?;
        for (j, &actual) in series[o..].iter().take(horizon).enumerate() {
            let (m, lo, hi) = (f.mean[j], f.lower[j], f.upper[j]);
            let e = actual - m;
            count[j] += 1;
            se[j] += e * e;
            ae[j] += e.abs();
            if actual != 0.0 {
                ape[j] += (e / actual).abs();
                ape_n[j] += 1;
            }
            if lo <= actual && actual <= hi {
                covered[j] += 1;
            }
        }
        origins.push(o);
        o = match o.checked_add(step) {
            Some(next) => next,
            None => break,
        };
    }
    let per = |sum: &[f64]| -> Vec<f64> {
        sum.iter()
            .zip(&count)
            .map(|(s, &c)| if c == 0 { f64::NAN } else { s / c as f64 })
            .collect()
    };
    let (mse, mae) = (per(&se), per(&ae));
    let mape: Vec<Option<f64>> = ape
        .iter()
        .zip(&ape_n)
        .map(|(s, &k)| (k > 0).then(|| 100.0 * s / k as f64))
        .collect();
    // Every horizon is scored (checked above), so a non-finite average is an overflow.
    for (field, v) in [("backtest.mse", &mse), ("backtest.mae", &mae)] {
        for &x in v {
            finite(field, x)?;
        }
    }
    for &x in mape.iter().flatten() {
        finite("backtest.mape", x)?;
    }
    Ok(Backtest {
        mse,
        mae,
        mape,
        coverage: covered
            .iter()
            .zip(&count)
            .map(|(&c, &k)| {
                if k == 0 {
                    f64::NAN
                } else {
                    c as f64 / k as f64
                }
            })
            .collect(),
        origins,
        count,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_by_hand() {
        let a = [1.0, 2.0, 0.0, 4.0];
        let p = [2.0, 2.0, 1.0, 2.0];
        assert_eq!(mse(&a, &p).unwrap(), (1.0 + 0.0 + 1.0 + 4.0) / 4.0);
        assert_eq!(mae(&a, &p).unwrap(), (1.0 + 0.0 + 1.0 + 2.0) / 4.0);
        // The zero actual is skipped: (100% + 0% + 50%) / 3.
        assert!((mape(&a, &p).unwrap() - 50.0).abs() < 1e-12);
        assert!(mape(&[0.0], &[1.0]).is_err());
        assert!(mse(&[], &[]).is_err());
        assert!(mse(&[1.0], &[1.0, 2.0]).is_err());
        assert!(mae(&[f64::NAN], &[1.0]).is_err());
    }

    #[test]
    fn holdout_splits() {
        let s = [1.0, 2.0, 3.0];
        assert_eq!(holdout(&s, 1).unwrap(), (&s[..2], &s[2..]));
        assert!(holdout(&s, 0).is_err());
        assert!(holdout(&s, 3).is_err());
    }
}
