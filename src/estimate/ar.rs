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
use crate::estimate::evaluate::{Forecast, check_horizon, finite, level_quantile};
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
    n_eff: usize,
    /// The last `p` observations, oldest first.
    tail: Vec<f64>,
}

/// Least squares by Householder QR. `x` is column-major `rows x cols`; returns the coefficients
/// and the residual sum of squares.
fn least_squares(
    mut x: Vec<f64>,
    mut y: Vec<f64>,
    rows: usize,
    cols: usize,
) -> Result<(Vec<f64>, f64)> {
    let mut diag = vec![0.0; cols];
    let scale: Vec<f64> = (0..cols)
        .map(|j| {
            x[j * rows..(j + 1) * rows]
                .iter()
                .map(|v| v * v)
                .sum::<f64>()
                .sqrt()
        })
        .collect();
    for k in 0..cols {
        let col = &mut x[k * rows..(k + 1) * rows];
        let norm = col[k..].iter().map(|v| v * v).sum::<f64>().sqrt();
        // A column whose part orthogonal to the previous ones is negligible next to its own size
        // is a linear combination of them: the design is rank-deficient.
        if norm.is_nan() || norm <= 1e-10 * scale[k].max(f64::MIN_POSITIVE) {
            return Err(Error::Singular {
                field: "series",
                reason: "the lagged values are collinear with each other or the intercept (e.g. a constant series)",
            });
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
    let mut beta = vec![0.0; cols];
    for k in (0..cols).rev() {
        let mut s = y[k];
        for j in k + 1..cols {
            s -= x[j * rows + k] * beta[j];
        }
        beta[k] = s / diag[k];
    }
    let rss: f64 = y[cols..].iter().map(|v| v * v).sum();
    // Values near f64::MAX overflow the squared norms; report rather than return garbage.
    for &b in &beta {
        finite("coefficients", b)?;
    }
    finite("rss", rss)?;
    Ok((beta, rss))
}

/// Fits on targets `y[start..]` with lags `1..=p` (`start >= p`).
fn fit_from(y: &[f64], p: usize, start: usize) -> Result<(Vec<f64>, f64, usize)> {
    let rows = y.len() - start;
    let cols = p + 1;
    let mut x = vec![1.0; rows * cols];
    for lag in 1..=p {
        for r in 0..rows {
            x[lag * rows + r] = y[start + r - lag];
        }
    }
    let (beta, rss) = least_squares(x, y[start..].to_vec(), rows, cols)?;
    Ok((beta, rss, rows))
}

fn check_series(series: &[f64], p: usize) -> Result<()> {
    for &v in series {
        finite("series", v)?;
    }
    // n - p residuals must leave at least one degree of freedom after p + 1 parameters.
    let needed = p
        .checked_mul(2)
        .and_then(|v| v.checked_add(2))
        .ok_or(Error::InvalidConfig {
            field: "p",
            reason: "the order is too large",
        })?;
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
    /// # Complexity
    /// O(n p^2) time, O(n p) space.
    ///
    /// # Errors
    /// [`Error::NotFinite`] for a NaN or infinite value; [`Error::TooFewValues`] for fewer than
    /// `2 p + 2` values; [`Error::Singular`] when the design is rank-deficient (a constant
    /// series, an exactly periodic one with period `<= p`).
    pub fn fit(series: &[f64], p: usize) -> Result<ArModel> {
        check_series(series, p)?;
        let (beta, rss, n_eff) = fit_from(series, p, p)?;
        Ok(ArModel {
            intercept: beta[0],
            phi: beta[1..].to_vec(),
            rss,
            n_eff,
            tail: series[series.len() - p..].to_vec(),
        })
    }

    /// Chooses the order in `0..=max_p` minimising `criterion`, all orders compared on the same
    /// targets `series[max_p..]` (as statsmodels' `ar_select_order`), then refits the chosen
    /// order on the whole series. Ties keep the lowest order; orders whose design is singular
    /// are skipped.
    ///
    /// # Complexity
    /// O(n max_p^3).
    ///
    /// # Errors
    /// As [`ArModel::fit`] for `max_p`; [`Error::Singular`] when even order 0 fails.
    pub fn select(series: &[f64], max_p: usize, criterion: Criterion) -> Result<ArModel> {
        check_series(series, max_p)?;
        let mut best: Option<(usize, f64)> = None;
        for p in 0..=max_p {
            let Ok((_, rss, n)) = fit_from(series, p, max_p) else {
                continue;
            };
            let n = n as f64;
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

    /// The residual sum of squares.
    pub fn rss(&self) -> f64 {
        self.rss
    }

    /// The number of residuals, `n - p`.
    pub fn n_eff(&self) -> usize {
        self.n_eff
    }

    /// `RSS / (n_eff - p - 1)`, the unbiased residual variance.
    pub fn sigma2(&self) -> f64 {
        self.rss / (self.n_eff - self.phi.len() - 1) as f64
    }

    /// The psi-weights `psi_0 = 1, psi_j = sum_{i=1}^{min(j,p)} phi_i psi_{j-i}`, `h` of them.
    pub fn psi_weights(&self, h: usize) -> Vec<f64> {
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
        psi
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
        let sigma = self.sigma2().sqrt();
        let mut acc = 0.0;
        let sd: Vec<f64> = self
            .psi_weights(h)
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
        let (b, rss) = least_squares(x, y, rows, 2).unwrap();
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
            n_eff: 10,
            tail: vec![1.0],
        };
        let psi = m.psi_weights(4);
        assert_eq!(psi, vec![1.0, 0.5, 0.25, 0.125]);
    }
}
