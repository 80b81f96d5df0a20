//! Autoregressive models AR(p) with an intercept, fitted by conditional least squares, and their
//! h-step forecasts with prediction intervals.
//!
//! The model is `y[t] = c + phi_1 y[t-1] + ... + phi_p y[t-p] + e[t]`. The fit regresses
//! `y[p..]` on `[1, y[t-1], ..., y[t-p]]` (the first `p` values only serve as lags), which is
//! statsmodels' `AutoReg(y, lags=p, trend="c")`, solved by Householder QR so that nearly
//! collinear designs lose no more accuracy than their conditioning demands. The forecast
//! variance `h` steps ahead is `sigma^2 (psi_0^2 + ... + psi_{h-1}^2)` with the psi-weights of
//! the MA(infinity) form (Box & Jenkins, *Time Series Analysis: Forecasting and Control*, 1970,
//! chapter 5), and `sigma^2 = RSS / (n - 2p - 1)` (residuals `n - p`, parameters `p + 1`).
//!
//! # Example: recover an AR(1)
//! ```
//! use agentsched::estimate::ArModel;
//! // y[t] = 2 + 0.5 y[t-1] exactly, from y[0] = 0: the fit is exact.
//! let mut y = vec![0.0];
//! for _ in 0..20 { let last = *y.last().unwrap(); y.push(2.0 + 0.5 * last + 0.001 * (y.len() % 3) as f64); }
//! let model = ArModel::fit(&y, 1)?;
//! assert!((model.coefficients()[0] - 0.5).abs() < 0.01);
//! let f = model.forecast(3, 0.95)?;
//! assert!((f.mean[2] - 4.0).abs() < 0.1);
//! # Ok::<(), agentsched::Error>(())
//! ```
use crate::estimate::evaluate::{Forecast, MAX_HORIZON, check_horizon, finite, level_quantile};
use crate::{Error, Result};

/// An information criterion for [`ArModel::select`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Criterion {
    /// Akaike: `n ln(RSS / n) + 2 (p + 1)`.
    Aic,
    /// Schwarz: `n ln(RSS / n) + ln(n) (p + 1)`.
    Bic,
}

/// A fitted AR(p) model.
#[derive(Debug, Clone, PartialEq)]
pub struct ArModel {
    intercept: f64,
    phi: Vec<f64>,
    rss: f64,
    /// `sqrt(RSS / (n_eff - p - 1))`, computed in scaled units so it stays finite where `rss`
    /// overflows.
    sigma: f64,
    n_eff: usize,
    /// The last `p` observations, oldest first.
    tail: Vec<f64>,
}

/// The largest AR order accepted by [`ArModel::fit`] and [`ArModel::select`]: the fit costs
/// O(n p^2) time and O(n p) memory, so an order beyond a few hundred is a caller mistake (demand
/// series have seasonal lags of at most a week of hours or a day of minutes, which
/// Holt–Winters covers better anyway).
pub const MAX_AR_ORDER: usize = 256;

/// A Householder QR of a design whose columns and target were each divided by their largest
/// absolute value, so that squared norms can neither overflow (values near 1e160) nor underflow
/// (values near 1e-170).
struct Qr {
    /// `R` above the diagonal (column-major, `rows x cols`), overwritten design.
    x: Vec<f64>,
    /// The diagonal of `R`.
    diag: Vec<f64>,
    /// `Q^T y` (scaled).
    qty: Vec<f64>,
    /// How many leading columns are linearly independent; the factorisation stops at the first
    /// dependent one.
    rank: usize,
    /// Each column's scale.
    col_scale: Vec<f64>,
    /// The target's scale.
    y_scale: f64,
    rows: usize,
}

fn max_abs(v: &[f64]) -> f64 {
    let m = v.iter().fold(0.0f64, |a, &b| a.max(b.abs()));
    // An all-zero vector keeps scale 1: there is nothing to rescale.
    if m > 0.0 { m } else { 1.0 }
}

/// Householder QR of `x` (column-major `rows x cols`) applied to `y` as well.
fn householder(mut x: Vec<f64>, mut y: Vec<f64>, rows: usize, cols: usize) -> Qr {
    let mut col_scale = Vec::with_capacity(cols);
    for j in 0..cols {
        let col = &mut x[j * rows..(j + 1) * rows];
        let s = max_abs(col);
        col.iter_mut().for_each(|v| *v /= s);
        col_scale.push(s);
    }
    let y_scale = max_abs(&y);
    y.iter_mut().for_each(|v| *v /= y_scale);
    let scale: Vec<f64> = (0..cols)
        .map(|j| {
            x[j * rows..(j + 1) * rows]
                .iter()
                .map(|v| v * v)
                .sum::<f64>()
                .sqrt()
        })
        .collect();
    let mut diag = vec![0.0; cols];
    let mut rank = cols;
    for k in 0..cols {
        let col = &mut x[k * rows..(k + 1) * rows];
        let norm = col[k..].iter().map(|v| v * v).sum::<f64>().sqrt();
        // A column whose part orthogonal to the previous ones is negligible next to its own size
        // is a linear combination of them: the design is rank-deficient from here on.
        if norm.is_nan() || norm <= 1e-10 * scale[k].max(f64::MIN_POSITIVE) {
            rank = k;
            break;
        }
        let alpha = if col[k] > 0.0 { -norm } else { norm };
        let mut v: Vec<f64> = col[k..].to_vec();
        v[0] -= alpha;
        let vnorm2: f64 = v.iter().map(|a| a * a).sum();
        diag[k] = alpha;
        let apply = |target: &mut [f64]| {
            let dot: f64 = v.iter().zip(&target[k..]).map(|(a, b)| a * b).sum();
            let f = 2.0 * dot / vnorm2;
            for (t, a) in target[k..].iter_mut().zip(&v) {
                *t -= f * a;
            }
        };
        for j in k + 1..cols {
            apply(&mut x[j * rows..(j + 1) * rows]);
        }
        apply(&mut y);
    }
    Qr {
        x,
        diag,
        qty: y,
        rank,
        col_scale,
        y_scale,
        rows,
    }
}

const SINGULAR: Error = Error::Singular {
    field: "series",
    reason: "the lagged values are collinear with each other or the intercept (e.g. a constant series)",
};

/// The result of a least-squares solve: coefficients in the caller's units, and the residual
/// sum of squares as `rss_scaled * y_scale^2` kept apart so that it cannot overflow.
struct Solution {
    beta: Vec<f64>,
    rss_scaled: f64,
    y_scale: f64,
}

/// Least squares by Householder QR. `x` is column-major `rows x cols`.
fn least_squares(x: Vec<f64>, y: Vec<f64>, rows: usize, cols: usize) -> Result<Solution> {
    let qr = householder(x, y, rows, cols);
    if qr.rank < cols {
        return Err(SINGULAR);
    }
    let mut beta = vec![0.0; cols];
    for k in (0..cols).rev() {
        let s = (k + 1..cols).fold(qr.qty[k], |s, j| s - qr.x[j * qr.rows + k] * beta[j]);
        beta[k] = s / qr.diag[k];
    }
    let rss_scaled: f64 = qr.qty[cols..].iter().map(|v| v * v).sum();
    for (b, &cs) in beta.iter_mut().zip(&qr.col_scale) {
        *b *= qr.y_scale / cs;
        // Extreme mixes of scales can still overflow; report rather than return garbage.
        finite("coefficients", *b)?;
    }
    finite("rss", rss_scaled)?;
    Ok(Solution {
        beta,
        rss_scaled,
        y_scale: qr.y_scale,
    })
}

/// The design of targets `y[start..]` with lags `1..=p` (`start >= p`), column-major.
fn design(y: &[f64], p: usize, start: usize) -> (Vec<f64>, usize) {
    let rows = y.len() - start;
    let cols = p + 1;
    let mut x = vec![1.0; rows * cols];
    for lag in 1..=p {
        for r in 0..rows {
            x[lag * rows + r] = y[start + r - lag];
        }
    }
    (x, rows)
}

fn check_series(series: &[f64], p: usize) -> Result<()> {
    if p > MAX_AR_ORDER {
        return Err(Error::InvalidConfig {
            field: "p",
            reason: "the order exceeds MAX_AR_ORDER (256)",
        });
    }
    for &v in series {
        finite("series", v)?;
    }
    // n - p residuals must leave at least one degree of freedom after p + 1 parameters.
    let needed = 2 * p + 2;
    if series.len() < needed {
        return Err(Error::TooFewValues {
            field: "series",
            needed,
            got: series.len(),
        });
    }
    Ok(())
}

impl ArModel {
    /// Fits AR(`p`) with an intercept by conditional least squares.
    ///
    /// # Arguments
    /// - `series`: the observations, oldest first.
    /// - `p`: the order (0 fits the mean only).
    ///
    /// # Returns
    /// The intercept, the coefficients `phi_1..phi_p` and the residual variance.
    ///
    /// Columns and targets are scaled by their largest absolute value before the QR, so series
    /// anywhere between about 1e-300 and 1e300 in magnitude fit alike.
    ///
    /// # Complexity
    /// O(n p^2) time, O(n p) space.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] (field `p`) for `p` above [`MAX_AR_ORDER`];
    /// [`Error::NotFinite`] for a NaN or infinite value; [`Error::TooFewValues`] for fewer than
    /// `2 p + 2` values; [`Error::Singular`] when the design is rank-deficient (a constant
    /// series, an exactly periodic one with period `<= p`).
    pub fn fit(series: &[f64], p: usize) -> Result<ArModel> {
        check_series(series, p)?;
        let (x, rows) = design(series, p, p);
        let sol = least_squares(x, series[p..].to_vec(), rows, p + 1)?;
        let df = (rows - p - 1) as f64;
        let sigma = (sol.rss_scaled / df).sqrt() * sol.y_scale;
        finite("sigma", sigma)?;
        Ok(ArModel {
            intercept: sol.beta[0],
            phi: sol.beta[1..].to_vec(),
            rss: sol.rss_scaled * sol.y_scale * sol.y_scale,
            sigma,
            n_eff: rows,
            tail: series[series.len() - p..].to_vec(),
        })
    }

    /// Chooses the order in `0..=max_p` minimising `criterion`, all orders compared on the same
    /// targets `series[max_p..]` (as statsmodels' `ar_select_order`), then refits the chosen
    /// order on the whole series. Ties keep the lowest order; orders whose design is singular
    /// are skipped.
    ///
    /// Nested orders share one sample (the convention of statsmodels' `ar_select_order`): order
    /// `p`'s criterion is computed on the targets `series[max_p..]` with the first `max_p`
    /// values as lags only, so it equals `ArModel::fit(&series[max_p - p..], p)`'s RSS; the
    /// returned model is then `ArModel::fit(series, p)`.
    ///
    /// # Complexity
    /// O(n max_p^2) time (one QR of the `max_p` design), O(n max_p) space.
    ///
    /// # Errors
    /// As [`ArModel::fit`] for `max_p` (including [`Error::InvalidConfig`] for `max_p` above
    /// [`MAX_AR_ORDER`]); [`Error::Singular`] when even order 0 fails.
    pub fn select(series: &[f64], max_p: usize, criterion: Criterion) -> Result<ArModel> {
        check_series(series, max_p)?;
        // One QR of the largest design: its first p + 1 columns are order p's design on the
        // same targets, so order p's RSS is the squared norm of (Q^T y)[p + 1..].
        let (x, rows) = design(series, max_p, max_p);
        let qr = householder(x, series[max_p..].to_vec(), rows, max_p + 1);
        // tail[i] = sum of squares of qty[i..].
        let mut tail = vec![0.0; rows + 1];
        for i in (0..rows).rev() {
            tail[i] = tail[i + 1] + qr.qty[i] * qr.qty[i];
        }
        let n = rows as f64;
        let mut best: Option<(usize, f64)> = None;
        // Orders at or beyond the first dependent column are singular (they contain it).
        for p in 0..qr.rank {
            // Scaled RSS: the common factor y_scale^2 shifts every criterion by the same
            // n ln(y_scale^2) and cannot change the choice.
            let rss = tail[p + 1];
            let k = (p + 1) as f64;
            let penalty = match criterion {
                Criterion::Aic => 2.0 * k,
                Criterion::Bic => n.ln() * k,
            };
            let ic = n * (rss / n).ln() + penalty;
            if best.is_none_or(|(_, b)| ic < b) {
                best = Some((p, ic));
            }
        }
        let (p, _) = best.ok_or(Error::Singular {
            field: "series",
            reason: "no order up to max_p has a full-rank design",
        })?;
        ArModel::fit(series, p)
    }

    /// The order `p`.
    pub fn order(&self) -> usize {
        self.phi.len()
    }

    /// The intercept `c`.
    pub fn intercept(&self) -> f64 {
        self.intercept
    }

    /// `phi_1..phi_p`.
    pub fn coefficients(&self) -> &[f64] {
        &self.phi
    }

    /// The residual sum of squares (`+inf` when it overflows for a series near 1e154 or
    /// larger; [`ArModel::forecast`] uses the residual standard deviation, which does not).
    pub fn rss(&self) -> f64 {
        self.rss
    }

    /// The number of residuals, `n - p`.
    pub fn n_eff(&self) -> usize {
        self.n_eff
    }

    /// `RSS / (n_eff - p - 1)`, the unbiased residual variance (may overflow as [`ArModel::rss`]).
    pub fn sigma2(&self) -> f64 {
        self.sigma * self.sigma
    }

    /// The psi-weights `psi_0 = 1, psi_j = sum_{i=1}^{min(j,p)} phi_i psi_{j-i}`, `h` of them
    /// (the moving-average form behind the forecast variance). They grow without bound, and may
    /// overflow to infinity, for an explosive model.
    ///
    /// # Complexity
    /// O(h p) time, O(h) space.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for `h` above 2^24 (the forecast horizon limit), checked before
    /// anything is allocated.
    pub fn psi_weights(&self, h: usize) -> Result<Vec<f64>> {
        if h > MAX_HORIZON {
            return Err(Error::InvalidConfig {
                field: "h",
                reason: "at most 2^24 steps can be forecast",
            });
        }
        let mut psi = Vec::with_capacity(h);
        for j in 0..h {
            let v = if j == 0 {
                1.0
            } else {
                self.phi
                    .iter()
                    .take(j)
                    .enumerate()
                    .map(|(i, phi)| phi * psi[j - 1 - i])
                    .sum()
            };
            psi.push(v);
        }
        Ok(psi)
    }

    /// Point forecasts and normal `level` prediction intervals for steps `1..=h`.
    ///
    /// # Complexity
    /// O(h p).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for `h == 0` or above 2^24, or `level` outside `(0, 1)`;
    /// [`Error::NotFinite`] when an explosive model overflows.
    pub fn forecast(&self, h: usize, level: f64) -> Result<Forecast> {
        check_horizon("h", h)?;
        let z = level_quantile(level)?;
        let mut hist = self.tail.clone();
        let mut mean = Vec::with_capacity(h);
        for _ in 0..h {
            let n = hist.len();
            let v = self.intercept
                + self
                    .phi
                    .iter()
                    .enumerate()
                    .map(|(i, phi)| phi * hist[n - 1 - i])
                    .sum::<f64>();
            finite("forecast", v)?;
            mean.push(v);
            hist.push(v);
        }
        let sigma = self.sigma;
        let mut acc = 0.0;
        let sd: Vec<f64> = self
            .psi_weights(h)?
            .iter()
            .map(|w| {
                acc += w * w;
                sigma * acc.sqrt()
            })
            .collect();
        for &s in &sd {
            finite("forecast sd", s)?;
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qr_matches_a_hand_regression() {
        let rows = 5;
        let mut x = vec![1.0; rows * 2];
        for r in 0..rows {
            x[rows + r] = r as f64;
        }
        let y: Vec<f64> = (0..rows)
            .map(|r| 1.0 + 2.0 * r as f64 + if r == 2 { 1.0 } else { 0.0 })
            .collect();
        let sol = least_squares(x, y, rows, 2).unwrap();
        let (b, rss) = (sol.beta, sol.rss_scaled * sol.y_scale * sol.y_scale);
        // Normal equations by hand: sum x = 10, sum x^2 = 30, sum y = 26, sum xy = 72.
        // [5 10; 10 30] b = [26; 72], det = 50.
        let b0 = (30.0 * 26.0 - 10.0 * 72.0) / 50.0;
        let b1 = (5.0 * 72.0 - 10.0 * 26.0) / 50.0;
        assert!((b[0] - b0).abs() < 1e-12 && (b[1] - b1).abs() < 1e-12);
        let want: f64 = (0..rows)
            .map(|r| {
                let yr = 1.0 + 2.0 * r as f64 + if r == 2 { 1.0 } else { 0.0 };
                let e = yr - b0 - b1 * r as f64;
                e * e
            })
            .sum();
        assert!((rss - want).abs() < 1e-12);
    }

    #[test]
    fn psi_weights_of_ar1_are_powers() {
        let m = ArModel {
            intercept: 0.0,
            phi: vec![0.5],
            rss: 1.0,
            sigma: 1.0 / 8f64.sqrt(),
            n_eff: 10,
            tail: vec![1.0],
        };
        let psi = m.psi_weights(4).unwrap();
        assert_eq!(psi, vec![1.0, 0.5, 0.25, 0.125]);
        assert!(m.psi_weights(0).unwrap().is_empty());
        // An absurd count is refused before the allocation (it used to abort the process).
        assert!(matches!(
            m.psi_weights(usize::MAX),
            Err(Error::InvalidConfig { field: "h", .. })
        ));
        assert!(m.psi_weights((1 << 24) + 1).is_err());
    }
}
