//! Holt–Winters exponential smoothing: level, optional additive trend and additive or
//! multiplicative seasonality, with smoothing parameters fitted by least squares and h-step
//! forecasts with prediction intervals.
//!
//! # Model
//! With `lp = l[t-1] + phi b[t-1]` (the trend term is absent without a trend; `phi = 1` unless
//! the trend is damped, [`HwConfig::damped`]) and `s` the seasonal
//! index of the same phase one season back, the one-step forecast is `lp + s` (additive) or
//! `lp * s` (multiplicative), and the states update as in Hyndman & Athanasopoulos, *Forecasting:
//! Principles and Practice* (FPP, section 8.3), which is also statsmodels' `ExponentialSmoothing`:
//!
//! ```text
//! additive:        l = alpha (y - s) + (1 - alpha) lp     s' = gamma (y - lp) + (1 - gamma) s
//! multiplicative:  l = alpha (y / s) + (1 - alpha) lp     s' = gamma (y / lp) + (1 - gamma) s
//! trend:           b = beta (l - l[t-1]) + (1 - beta) phi b[t-1]
//! ```
//!
//! The `h`-step forecast is `l + phi_h b` plus (or times) the season's index, with
//! `phi_h = phi + phi^2 + ... + phi^h` (`= h` undamped). A damped trend (Gardner & McKenzie
//! 1985) makes long-range forecasts level off at `l + phi b / (1 - phi)` instead of growing
//! without bound, which is what makes it the safer default for capacity planning: an undamped
//! trend fitted to a burst of growth extrapolates that growth forever.
//!
//! # Initial states
//! FPP's "simple" initialisation (statsmodels' `initialization_method="simple"`): the level is
//! the mean of the first season, the trend is `(mean of season 2 - mean of season 1) / m` and
//! the seasonal indices are the first season's values minus (additive) or divided by
//! (multiplicative) that level. Without seasonality the level starts at `y[0]` and the trend at
//! `y[1] - y[0]`. The states are not refined by the fit, so the fit is a search over at most three
//! numbers and a forecast is reproducible from [`HwModel::initial_state`] and the parameters.
//!
//! # Fitting
//! `alpha`, `beta`, `gamma` in `[0, 1]` (and `phi` in [`PHI_RANGE`], `[0.8, 0.98]`, for a
//! damped trend) minimise the sum of squared one-step errors. The search starts from the best
//! point of a fixed coarse grid (5 x 3 x 3 points, x 3 values of `phi` when damped; ties keep
//! the first in grid order) and continues with Nelder–Mead (Nelder & Mead 1965), points projected onto the
//! box, until the simplex collapses or the evaluation budget ([`HwConfig::max_evals`]) is spent.
//! It is deterministic. Each evaluation is one O(n) pass.
//!
//! # Intervals
//! Additive or no seasonality: the analytic variance of Hyndman, Koehler, Ord & Snyder
//! (*Forecasting with Exponential Smoothing*, 2008, class 1):
//! `var_h = sigma^2 (1 + sum_{j=1}^{h-1} c_j^2)`,
//! `c_j = alpha (1 + phi_j beta) + gamma [j mod m = 0]` (`phi_j = j` undamped; Table 6.1, with
//! the state-space `beta = alpha beta*`).
//! Multiplicative seasonality: [`HwConfig::paths`] sample paths simulated from the fitted
//! recursions with normal one-step errors from a [`HwConfig::seed`]ed generator; the interval is
//! the empirical quantiles, widened where needed to contain the point forecast (which stays the
//! analytic one, not the paths' median, so few paths or a narrow level could otherwise exclude
//! it), and `sd` the paths' standard deviation. `sigma^2 = SSE / n`, the maximum-likelihood estimate from the one-step errors.
//!
//! # References
//! C. C. Holt (1957), Forecasting seasonals and trends by exponentially weighted moving averages,
//! ONR memorandum 52; P. R. Winters (1960), Forecasting sales by exponentially weighted moving
//! averages, Management Science 6(3); E. S. Gardner and E. McKenzie (1985), Forecasting trends
//! in time series, Management Science 31(10); R. J. Hyndman, A. B. Koehler, J. K. Ord and R. D. Snyder
//! (2008), *Forecasting with Exponential Smoothing: The State Space Approach*, Springer.
//!
//! # Example: a seasonal series with trend
//! ```
//! use agentsched::estimate::{HoltWinters, HwConfig};
//! let series: Vec<f64> = (0..96)
//!     .map(|t| 100.0 + 0.5 * t as f64 + [5.0, -3.0, 1.0, -3.0][t % 4])
//!     .collect();
//! let model = HoltWinters::fit(&series, &HwConfig::additive(4))?;
//! let f = model.forecast(4, 0.95)?;
//! for (h, m) in f.mean.iter().enumerate() {
//!     let t = 96 + h;
//!     let truth = 100.0 + 0.5 * t as f64 + [5.0, -3.0, 1.0, -3.0][t % 4];
//!     assert!((m - truth).abs() < 1e-6);
//! }
//! assert!(f.lower[0] <= f.mean[0] && f.mean[0] <= f.upper[0]);
//! # Ok::<(), agentsched::Error>(())
//! ```
use crate::estimate::evaluate::{Forecast, check_horizon, finite, level_quantile};
use crate::model::SplitMix64;
use crate::{Error, Result};

/// How the seasonal component enters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seasonality {
    /// No seasonal component (Holt's linear method with a trend, simple exponential smoothing
    /// without).
    None,
    /// `y = level + trend + season`.
    Additive,
    /// `y = (level + trend) * season`; the data must be positive.
    Multiplicative,
}

/// Smoothing parameters, each in `[0, 1]`; `beta` is ignored without a trend, `gamma`
/// without seasonality and `phi` without a damped trend.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HwParams {
    /// Level smoothing.
    pub alpha: f64,
    /// Trend smoothing (FPP's `beta*`).
    pub beta: f64,
    /// Seasonal smoothing.
    pub gamma: f64,
    /// Trend damping (FPP's `phi`): each step carries `phi` times the previous trend, so the
    /// forecast flattens out. 1 means undamped (and is what a model without a damped trend
    /// reports).
    pub phi: f64,
}

impl HwParams {
    /// Undamped parameters (`phi = 1`).
    pub fn new(alpha: f64, beta: f64, gamma: f64) -> HwParams {
        HwParams {
            alpha,
            beta,
            gamma,
            phi: 1.0,
        }
    }

    /// The same parameters with trend damping `phi`.
    pub fn with_phi(mut self, phi: f64) -> HwParams {
        self.phi = phi;
        self
    }
}

/// The range the fit searches for a damped trend's `phi`, as in Hyndman & Athanasopoulos (FPP,
/// section 8.2): below 0.8 damping is so strong that the trend hardly matters, and above 0.98 a
/// damped model cannot be told apart from an undamped one. Fixed parameters may use any `phi`
/// in `[0, 1]`.
pub const PHI_RANGE: (f64, f64) = (0.8, 0.98);

/// What to fit.
#[derive(Debug, Clone, PartialEq)]
pub struct HwConfig {
    /// Season length `m`, at least 2 when seasonal (ignored otherwise).
    pub period: usize,
    /// The seasonal form.
    pub seasonality: Seasonality,
    /// Whether the model has an additive trend.
    pub trend: bool,
    /// Whether the trend is damped (needs `trend`; Gardner & McKenzie 1985): the `h`-step
    /// forecast adds `(phi + phi^2 + ... + phi^h) b` instead of `h b`.
    pub damped: bool,
    /// Fixed parameters: skip the fit.
    pub params: Option<HwParams>,
    /// SSE evaluations allowed to Nelder–Mead after the grid (default 300).
    pub max_evals: usize,
    /// Simulated paths for multiplicative intervals (default 2,000, at least 2, at most 2^22 with
    /// `paths x h <= 2^22`). Intervals always contain the point forecast; with fewer than a few
    /// hundred paths their coverage is rough.
    pub paths: usize,
    /// Seed of the simulation.
    pub seed: u64,
}

impl HwConfig {
    fn new(period: usize, seasonality: Seasonality) -> HwConfig {
        HwConfig {
            period,
            seasonality,
            trend: true,
            damped: false,
            params: None,
            max_evals: 300,
            paths: 2_000,
            seed: 0x5eed,
        }
    }

    /// Additive seasonality of period `period`, with trend.
    pub fn additive(period: usize) -> HwConfig {
        HwConfig::new(period, Seasonality::Additive)
    }

    /// Multiplicative seasonality of period `period`, with trend.
    pub fn multiplicative(period: usize) -> HwConfig {
        HwConfig::new(period, Seasonality::Multiplicative)
    }

    /// Holt's linear method: level and trend, no season.
    pub fn holt() -> HwConfig {
        HwConfig::new(1, Seasonality::None)
    }

    /// The same configuration with or without a trend.
    pub fn with_trend(mut self, trend: bool) -> HwConfig {
        self.trend = trend;
        self
    }

    /// The same configuration with or without trend damping (a damped trend needs a trend).
    pub fn with_damped(mut self, damped: bool) -> HwConfig {
        self.damped = damped;
        self
    }

    /// The same configuration with fixed parameters (no fit).
    pub fn with_params(mut self, params: HwParams) -> HwConfig {
        self.params = Some(params);
        self
    }

    fn m(&self) -> usize {
        match self.seasonality {
            Seasonality::None => 1,
            _ => self.period,
        }
    }
}

/// Level, trend and seasonal indices at one time. `season[k]` is the index applied to the
/// `k`-th next observation (for `k < m`).
#[derive(Debug, Clone, PartialEq)]
pub struct HwState {
    /// The level.
    pub level: f64,
    /// The trend (0 without trend).
    pub trend: f64,
    /// The seasonal indices, next phase first (empty without seasonality).
    pub season: Vec<f64>,
}

/// Entry point of the fit; see the [module documentation](self).
#[derive(Debug, Clone, Copy)]
pub struct HoltWinters;

/// A fitted Holt–Winters model.
#[derive(Debug, Clone, PartialEq)]
pub struct HwModel {
    cfg: HwConfig,
    params: HwParams,
    initial: HwState,
    last: HwState,
    fitted: Vec<f64>,
    /// SSE and start SSE of the series divided by `scale` (see [`pow2_scale`]).
    sse: f64,
    start_sse: f64,
    evals: usize,
    /// The power of two the series was divided by for the fit.
    scale: f64,
}

/// The power of two nearest below the largest absolute value of `y` (1 for an all-zero series).
/// The fit runs on `y / scale`, whose values lie within `[-2, 2]`, so that squared errors of
/// series near 1e300 cannot overflow (nor those near 1e-300 underflow). Dividing by a power of
/// two is exact, so every intermediate result is the unscaled one times an exact power of two,
/// and the fitted parameters do not depend on the scale.
fn pow2_scale(y: &[f64]) -> f64 {
    let m = y.iter().fold(0.0f64, |a, &b| a.max(b.abs()));
    if m == 0.0 {
        return 1.0;
    }
    let exp = ((m.to_bits() >> 52) & 0x7ff) as i64;
    // Subnormal maxima take the smallest normal power, 2^-1022.
    let exp = exp.max(1);
    f64::from_bits((exp as u64) << 52)
}

/// Scratch for SSE passes: the seasonal ring.
struct Pass<'a> {
    y: &'a [f64],
    kind: Seasonality,
    trend: bool,
    damped: bool,
    init: &'a HwState,
    ring: Vec<f64>,
}

impl Pass<'_> {
    /// Runs the recursions; returns the SSE and leaves the final seasonal ring in `self.ring`
    /// (ring[t % m] holds the index for time t), plus the final level and trend.
    fn run(&mut self, p: HwParams, mut fitted: Option<&mut Vec<f64>>) -> (f64, f64, f64) {
        let m = self.init.season.len();
        self.ring.clear();
        self.ring.extend_from_slice(&self.init.season);
        let (mut l, mut b) = (self.init.level, self.init.trend);
        let beta = if self.trend { p.beta } else { 0.0 };
        let phi = if self.damped { p.phi } else { 1.0 };
        let mut sse = 0.0;
        for (t, &y) in self.y.iter().enumerate() {
            let lp = l + phi * b;
            let (yhat, new_l, new_s) = match self.kind {
                Seasonality::None => (lp, p.alpha * y + (1.0 - p.alpha) * lp, 0.0),
                Seasonality::Additive => {
                    let s = self.ring[t % m];
                    (
                        lp + s,
                        p.alpha * (y - s) + (1.0 - p.alpha) * lp,
                        p.gamma * (y - lp) + (1.0 - p.gamma) * s,
                    )
                }
                Seasonality::Multiplicative => {
                    let s = self.ring[t % m];
                    (
                        lp * s,
                        p.alpha * (y / s) + (1.0 - p.alpha) * lp,
                        p.gamma * (y / lp) + (1.0 - p.gamma) * s,
                    )
                }
            };
            if m > 0 {
                self.ring[t % m] = new_s;
            }
            let e = y - yhat;
            sse += e * e;
            if let Some(f) = fitted.as_deref_mut() {
                f.push(yhat);
            }
            b = if self.trend {
                beta * (new_l - l) + (1.0 - beta) * phi * b
            } else {
                0.0
            };
            l = new_l;
        }
        (sse, l, b)
    }

    fn sse(&mut self, p: HwParams) -> f64 {
        let s = self.run(p, None).0;
        if s.is_nan() { f64::INFINITY } else { s }
    }
}

fn check_params(p: HwParams) -> Result<()> {
    for (field, v) in [
        ("params.alpha", p.alpha),
        ("params.beta", p.beta),
        ("params.gamma", p.gamma),
        ("params.phi", p.phi),
    ] {
        finite(field, v)?;
        if !(0.0..=1.0).contains(&v) {
            return Err(Error::InvalidConfig {
                field,
                reason: "a smoothing parameter must lie in [0, 1]",
            });
        }
    }
    Ok(())
}

/// Checks the series against the configuration and returns the initial states.
fn validate(series: &[f64], cfg: &HwConfig) -> Result<HwState> {
    if let Some(p) = cfg.params {
        check_params(p)?;
    }
    for &v in series {
        finite("series", v)?;
    }
    if cfg.damped && !cfg.trend {
        return Err(Error::InvalidConfig {
            field: "damped",
            reason: "a damped trend needs a trend",
        });
    }
    let m = cfg.m();
    if cfg.seasonality != Seasonality::None && m < 2 {
        return Err(Error::InvalidConfig {
            field: "period",
            reason: "a seasonal model needs a period of at least 2",
        });
    }
    let needed = m.checked_mul(2).ok_or(Error::InvalidConfig {
        field: "period",
        reason: "the period is too large",
    })?;
    if series.len() < needed {
        return Err(Error::TooFewValues {
            field: "series",
            needed,
            got: series.len(),
        });
    }
    if cfg.seasonality == Seasonality::Multiplicative
        && let Some(i) = series.iter().position(|&v| v <= 0.0)
    {
        return Err(Error::InvalidInstance {
            field: format!("series[{i}]"),
            reason: "multiplicative seasonality needs strictly positive values".into(),
        });
    }
    Ok(initial_state(series, cfg))
}

fn initial_state(y: &[f64], cfg: &HwConfig) -> HwState {
    if cfg.seasonality == Seasonality::None {
        return HwState {
            level: y[0],
            trend: if cfg.trend { y[1] - y[0] } else { 0.0 },
            season: Vec::new(),
        };
    }
    let m = cfg.period;
    let mean1 = y[..m].iter().sum::<f64>() / m as f64;
    let mean2 = y[m..2 * m].iter().sum::<f64>() / m as f64;
    let season = y[..m]
        .iter()
        .map(|&v| {
            if cfg.seasonality == Seasonality::Additive {
                v - mean1
            } else {
                v / mean1
            }
        })
        .collect();
    HwState {
        level: mean1,
        trend: if cfg.trend {
            (mean2 - mean1) / m as f64
        } else {
            0.0
        },
        season,
    }
}

/// Nelder–Mead over the free parameters, projected onto `[0, 1]^k`.
fn nelder_mead(
    f: &mut dyn FnMut(&[f64]) -> f64,
    start: &[f64],
    f_start: f64,
    budget: usize,
) -> (Vec<f64>, f64, usize) {
    let k = start.len();
    let proj = |x: &mut [f64]| x.iter_mut().for_each(|v| *v = v.clamp(0.0, 1.0));
    let mut simplex: Vec<(Vec<f64>, f64)> = vec![(start.to_vec(), f_start)];
    let mut evals = 0usize;
    for i in 0..k {
        if evals >= budget {
            break;
        }
        let mut x = start.to_vec();
        // Step towards the interior so the vertex differs from the start after projection.
        x[i] += if x[i] > 0.5 { -0.1 } else { 0.1 };
        proj(&mut x);
        let fx = f(&x);
        evals += 1;
        simplex.push((x, fx));
    }
    if simplex.len() < k + 1 {
        return (start.to_vec(), f_start, evals);
    }
    while evals < budget {
        // Stable sort: equal values keep their order, so ties are deterministic.
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (best, worst) = (simplex[0].1, simplex[k].1);
        let size = simplex[1..]
            .iter()
            .flat_map(|(x, _)| x.iter().zip(&simplex[0].0).map(|(a, b)| (a - b).abs()))
            .fold(0.0, f64::max);
        if size < 1e-9 || (worst - best).abs() <= 1e-14 * (1.0 + best.abs()) {
            break;
        }
        let mut c = vec![0.0; k];
        for (x, _) in &simplex[..k] {
            for (ci, xi) in c.iter_mut().zip(x) {
                *ci += xi / k as f64;
            }
        }
        let towards = |t: f64, w: &[f64]| -> Vec<f64> {
            let mut x: Vec<f64> = c.iter().zip(w).map(|(ci, wi)| ci + t * (wi - ci)).collect();
            x.iter_mut().for_each(|v| *v = v.clamp(0.0, 1.0));
            x
        };
        let w = simplex[k].0.clone();
        let xr = towards(-1.0, &w);
        let fr = f(&xr);
        evals += 1;
        // Every further evaluation of this step checks the budget first, so that `max_evals` is
        // a hard cap (a spent budget keeps the reflected point when it improves on the worst).
        if fr < simplex[0].1 {
            simplex[k] = if evals < budget {
                let xe = towards(-2.0, &w);
                let fe = f(&xe);
                evals += 1;
                if fe < fr { (xe, fe) } else { (xr, fr) }
            } else {
                (xr, fr)
            };
        } else if fr < simplex[k - 1].1 {
            simplex[k] = (xr, fr);
        } else if evals >= budget {
            if fr < worst {
                simplex[k] = (xr, fr);
            }
        } else {
            let (xc, fc) = if fr < worst {
                let x = towards(-0.5, &w);
                let fx = f(&x);
                (x, fx)
            } else {
                let x = towards(0.5, &w);
                let fx = f(&x);
                (x, fx)
            };
            evals += 1;
            if fc < worst.min(fr) {
                simplex[k] = (xc, fc);
            } else {
                // Shrink towards the best vertex.
                let b = simplex[0].0.clone();
                for v in simplex.iter_mut().skip(1) {
                    if evals >= budget {
                        break;
                    }
                    let x: Vec<f64> = b
                        .iter()
                        .zip(&v.0)
                        .map(|(bi, vi)| bi + 0.5 * (vi - bi))
                        .collect();
                    v.1 = f(&x);
                    v.0 = x;
                    evals += 1;
                }
            }
        }
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    let (x, fx) = simplex.swap_remove(0);
    (x, fx, evals)
}

impl HoltWinters {
    /// Fits a Holt–Winters model (or evaluates fixed parameters) on `series`.
    ///
    /// # Arguments
    /// - `series`: the observations, oldest first.
    /// - `cfg`: the model form, fixed parameters or the fit budget.
    ///
    /// # Returns
    /// The fitted model: parameters, one-step fitted values, SSE, final states.
    ///
    /// # Complexity
    /// O(n) per SSE evaluation, at most 45 (135 damped) + `max_evals` evaluations; O(n + m)
    /// space.
    ///
    /// # Errors
    /// [`Error::NotFinite`] for a NaN or infinite value; [`Error::InvalidConfig`] for a period
    /// below 2 with seasonality, parameters outside `[0, 1]` or a damped trend without a trend
    /// (field `damped`); [`Error::TooFewValues`] for fewer
    /// than `2 m` values (2 without seasonality); [`Error::InvalidInstance`] naming the first
    /// value `<= 0` for multiplicative seasonality.
    pub fn fit(series: &[f64], cfg: &HwConfig) -> Result<HwModel> {
        validate(series, cfg)?;
        let scale = pow2_scale(series);
        let scaled: Vec<f64> = series.iter().map(|v| v / scale).collect();
        let series = &scaled[..];
        let init = initial_state(series, cfg);
        let mut pass = Pass {
            y: series,
            kind: cfg.seasonality,
            trend: cfg.trend,
            damped: cfg.damped,
            init: &init,
            ring: Vec::with_capacity(init.season.len()),
        };
        let seasonal = cfg.seasonality != Seasonality::None;
        let (params, start_sse, evals) = match cfg.params {
            Some(p) => (p, pass.sse(p), 1),
            None => {
                // The search runs on the unit box; `phi`'s coordinate maps onto `PHI_RANGE`.
                let (phi_lo, phi_hi) = PHI_RANGE;
                let to_params = |x: &[f64]| {
                    let mut it = x.iter().copied();
                    let alpha = it.next().unwrap_or(0.0);
                    let beta = if cfg.trend {
                        it.next().unwrap_or(0.0)
                    } else {
                        0.0
                    };
                    let gamma = if seasonal {
                        it.next().unwrap_or(0.0)
                    } else {
                        0.0
                    };
                    let phi = if cfg.damped {
                        phi_lo + (phi_hi - phi_lo) * it.next().unwrap_or(1.0)
                    } else {
                        1.0
                    };
                    HwParams {
                        alpha,
                        beta,
                        gamma,
                        phi,
                    }
                };
                let alphas = [0.1, 0.3, 0.5, 0.7, 0.9];
                let betas: &[f64] = if cfg.trend { &[0.01, 0.1, 0.3] } else { &[0.0] };
                let gammas: &[f64] = if seasonal { &[0.05, 0.2, 0.5] } else { &[0.0] };
                // phi = 0.8, 0.89, 0.98.
                let phis: &[f64] = if cfg.damped { &[0.0, 0.5, 1.0] } else { &[0.0] };
                let mut best: Option<(Vec<f64>, f64)> = None;
                let mut evals = 0;
                for &a in &alphas {
                    for &b in betas {
                        for &g in gammas {
                            for &u in phis {
                                let mut x = vec![a];
                                if cfg.trend {
                                    x.push(b);
                                }
                                if seasonal {
                                    x.push(g);
                                }
                                if cfg.damped {
                                    x.push(u);
                                }
                                let s = pass.sse(to_params(&x));
                                evals += 1;
                                if best.as_ref().is_none_or(|(_, bs)| s < *bs) {
                                    best = Some((x, s));
                                }
                            }
                        }
                    }
                }
                let (x0, s0) = best.unwrap_or((vec![0.5], f64::INFINITY));
                let mut f = |x: &[f64]| pass.sse(to_params(x));
                let (x, fx, e) = nelder_mead(&mut f, &x0, s0, cfg.max_evals);
                let x = if fx <= s0 { x } else { x0 };
                (to_params(&x), s0, evals + e)
            }
        };
        let params = HwParams {
            beta: if cfg.trend { params.beta } else { 0.0 },
            gamma: if seasonal { params.gamma } else { 0.0 },
            phi: if cfg.damped { params.phi } else { 1.0 },
            ..params
        };
        let mut fitted = Vec::with_capacity(series.len());
        let (sse, level, trend) = pass.run(params, Some(&mut fitted));
        finite("sse", sse)?;
        let m = init.season.len();
        let n = series.len();
        let season: Vec<f64> = (0..m).map(|k| pass.ring[(n + k) % m]).collect();
        // Back to the caller's units: levels, trends and additive seasonal terms scale with the
        // data; multiplicative indices are ratios and do not.
        let unscale = |st: HwState| HwState {
            level: st.level * scale,
            trend: st.trend * scale,
            season: if cfg.seasonality == Seasonality::Multiplicative {
                st.season
            } else {
                st.season.iter().map(|v| v * scale).collect()
            },
        };
        for f in &mut fitted {
            *f *= scale;
        }
        Ok(HwModel {
            cfg: cfg.clone(),
            params,
            last: unscale(HwState {
                level,
                trend,
                season,
            }),
            initial: unscale(init),
            fitted,
            sse,
            start_sse,
            evals,
            scale,
        })
    }

    /// The sum of squared one-step errors of `params` on `series` (one pass, the fit's
    /// objective), with the same initial states as [`HoltWinters::fit`].
    ///
    /// # Returns
    /// The SSE; `+inf` when it overflows (series near 1e154 or larger) or the recursions break
    /// down (a multiplicative level reaching 0), which is how the fit ranks such parameters.
    ///
    /// # Errors
    /// As [`HoltWinters::fit`].
    pub fn sse(series: &[f64], cfg: &HwConfig, params: HwParams) -> Result<f64> {
        check_params(params)?;
        validate(series, cfg)?;
        // The same power-of-two scaling as the fit, so that the initial states of a series near
        // f64::MAX do not overflow (the unscaled mean of 1.7e308 values is inf).
        let scale = pow2_scale(series);
        let scaled: Vec<f64> = series.iter().map(|v| v / scale).collect();
        let series = &scaled[..];
        let init = initial_state(series, cfg);
        let mut pass = Pass {
            y: series,
            kind: cfg.seasonality,
            trend: cfg.trend,
            damped: cfg.damped,
            init: &init,
            ring: Vec::new(),
        };
        Ok(pass.sse(params) * scale * scale)
    }
}

impl HwModel {
    /// The smoothing parameters (fitted or fixed).
    pub fn params(&self) -> HwParams {
        self.params
    }

    /// The sum of squared one-step errors (`+inf` when it overflows for a series near 1e154 or
    /// larger; the fit and the intervals work on the scaled series and are not affected).
    pub fn sse(&self) -> f64 {
        self.sse * self.scale * self.scale
    }

    /// The SSE at the optimiser's start (the best grid point; the fixed parameters' SSE when
    /// fixed). Never below [`HwModel::sse`].
    pub fn start_sse(&self) -> f64 {
        self.start_sse * self.scale * self.scale
    }

    /// SSE evaluations spent.
    pub fn evaluations(&self) -> usize {
        self.evals
    }

    /// `sigma^2 = SSE / n`, the variance of the one-step errors (may overflow as
    /// [`HwModel::sse`]).
    pub fn sigma2(&self) -> f64 {
        self.sigma() * self.sigma()
    }

    /// `sqrt(SSE / n)`, computed on the scaled series so that it stays finite.
    fn sigma(&self) -> f64 {
        (self.sse / self.fitted.len() as f64).sqrt() * self.scale
    }

    /// One-step-ahead fitted values, one per observation.
    pub fn fitted(&self) -> &[f64] {
        &self.fitted
    }

    /// The initial states the recursions started from.
    pub fn initial_state(&self) -> &HwState {
        &self.initial
    }

    /// The states after the last observation.
    pub fn final_state(&self) -> &HwState {
        &self.last
    }

    /// The configuration fitted.
    pub fn config(&self) -> &HwConfig {
        &self.cfg
    }

    /// The trend multipliers `phi_j = phi + phi^2 + ... + phi^j` for `j = 1..=h` (`j` itself
    /// without damping, exactly).
    fn damping_sums(&self, h: usize) -> Vec<f64> {
        let phi = self.params.phi;
        let mut acc = 0.0;
        let mut pow = 1.0;
        (1..=h)
            .map(|j| {
                if self.cfg.damped {
                    pow *= phi;
                    acc += pow;
                    acc
                } else {
                    j as f64
                }
            })
            .collect()
    }

    /// Point forecasts for steps `1..=phi_sums.len()`, given [`Self::damping_sums`].
    fn point(&self, phi_sums: &[f64]) -> Vec<f64> {
        let st = &self.last;
        let m = st.season.len();
        phi_sums
            .iter()
            .enumerate()
            .map(|(i, &phi_j)| {
                let j = i + 1;
                let lp = st.level + phi_j * st.trend;
                match self.cfg.seasonality {
                    Seasonality::None => lp,
                    Seasonality::Additive => lp + st.season[(j - 1) % m],
                    Seasonality::Multiplicative => lp * st.season[(j - 1) % m],
                }
            })
            .collect()
    }

    /// Point forecasts and `level` prediction intervals for steps `1..=h`.
    ///
    /// # Complexity
    /// O(h) for additive or no seasonality; O(paths x h log paths) for multiplicative.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for `h == 0` or above 2^24, a `level` outside `(0, 1)`, fewer than 2
    /// simulated paths or more than 2^22 of them (field `paths`), or `paths x h` above 2^22
    /// simulated values (field `h`; with the default 2,000 paths, `h <= 2097`);
    /// [`Error::NotFinite`] when a point forecast, its sd or a bound overflows (data near
    /// `f64::MAX`).
    pub fn forecast(&self, h: usize, level: f64) -> Result<Forecast> {
        check_horizon("h", h)?;
        let z = level_quantile(level)?;
        if self.cfg.seasonality == Seasonality::Multiplicative {
            check_simulation(self.cfg.paths, h)?;
        }
        let phi_sums = self.damping_sums(h);
        let mean = self.point(&phi_sums);
        for &v in &mean {
            finite("forecast", v)?;
        }
        let sigma = self.sigma();
        if self.cfg.seasonality != Seasonality::Multiplicative {
            let m = self.last.season.len();
            let p = self.params;
            let mut acc = 1.0;
            let mut sd = Vec::with_capacity(h);
            for j in 0..h {
                if j > 0 {
                    let beta = if self.cfg.trend { p.beta } else { 0.0 };
                    let seasonal = m > 0 && j % m == 0;
                    // phi_j = j without damping.
                    let c = p.alpha * (1.0 + phi_sums[j - 1] * beta)
                        + if seasonal { p.gamma } else { 0.0 };
                    acc += c * c;
                }
                sd.push(sigma * acc.sqrt());
            }
            let lower: Vec<f64> = mean.iter().zip(&sd).map(|(m, s)| m - z * s).collect();
            let upper: Vec<f64> = mean.iter().zip(&sd).map(|(m, s)| m + z * s).collect();
            check_bands(&sd, &lower, &upper)?;
            return Ok(Forecast {
                mean,
                lower,
                upper,
                sd,
                level,
            });
        }
        self.simulate(mean, h, level)
    }

    fn simulate(&self, mean: Vec<f64>, h: usize, level: f64) -> Result<Forecast> {
        // Simulated on the fit's scale (an exact power of two) so that the paths' squared
        // deviations cannot overflow for data near 1e300; results are scaled back at the end.
        let scale = self.scale;
        let sigma = (self.sse / self.fitted.len() as f64).sqrt();
        let paths = self.cfg.paths;
        let total = check_simulation(paths, h)?;
        let mut rng = SplitMix64(self.cfg.seed);
        let p = self.params;
        let phi = if self.cfg.damped { p.phi } else { 1.0 };
        let m = self.last.season.len();
        // Column-major: step j of path i at j * paths + i, so each step's sample is contiguous.
        let mut sims = vec![0.0; total];
        let mut ring = vec![0.0; m];
        // Box–Muller gives two independent normals per pair of uniforms; both are used.
        let mut spare: Option<f64> = None;
        let mut normal = move || match spare.take() {
            Some(z) => z,
            None => {
                let r = (-2.0 * (1.0 - rng.unit()).ln()).sqrt();
                let (sin, cos) = (std::f64::consts::TAU * rng.unit()).sin_cos();
                spare = Some(r * sin);
                r * cos
            }
        };
        for i in 0..paths {
            ring.copy_from_slice(&self.last.season);
            let (mut l, mut b) = (self.last.level / scale, self.last.trend / scale);
            for j in 0..h {
                let lp = l + phi * b;
                let s = ring[j % m];
                let e = sigma * normal();
                let y = lp * s + e;
                let nl = p.alpha * (y / s) + (1.0 - p.alpha) * lp;
                ring[j % m] = p.gamma * (y / lp) + (1.0 - p.gamma) * s;
                if self.cfg.trend {
                    b = p.beta * (nl - l) + (1.0 - p.beta) * phi * b;
                }
                l = nl;
                sims[j * paths + i] = y;
            }
        }
        let (mut lower, mut upper, mut sd) = (
            Vec::with_capacity(h),
            Vec::with_capacity(h),
            Vec::with_capacity(h),
        );
        let lo_p = (1.0 - level) / 2.0;
        for col in sims.chunks_mut(paths) {
            for &v in col.iter() {
                finite("forecast", v)?;
            }
            let mu = col.iter().sum::<f64>() / paths as f64;
            let var = col.iter().map(|v| (v - mu) * (v - mu)).sum::<f64>() / (paths - 1) as f64;
            sd.push(var.sqrt() * scale);
            lower.push(quantile_select(col, lo_p) * scale);
            upper.push(quantile_select(col, 1.0 - lo_p) * scale);
        }
        // The point forecast is the analytic one, not the paths' median: with few paths or a
        // narrow level the empirical interval can miss it. Widen it to contain the point
        // forecast so that `lower <= mean <= upper` always holds.
        for ((lo, hi), &m) in lower.iter_mut().zip(&mut upper).zip(&mean) {
            *lo = f64::min(*lo, m);
            *hi = f64::max(*hi, m);
        }
        // Scaling back can overflow for data near f64::MAX.
        check_bands(&sd, &lower, &upper)?;
        Ok(Forecast {
            mean,
            lower,
            upper,
            sd,
            level,
        })
    }
}

/// Refuses a forecast whose spread or bounds overflowed (data near `f64::MAX`): a `Forecast`
/// with an infinite `sd` would be refused by every consumer anyway, so it is refused here, where
/// the cause is known.
fn check_bands(sd: &[f64], lower: &[f64], upper: &[f64]) -> Result<()> {
    for (field, v) in [
        ("forecast.sd", sd),
        ("forecast.lower", lower),
        ("forecast.upper", upper),
    ] {
        for &x in v {
            finite(field, x)?;
        }
    }
    Ok(())
}

/// The most values a multiplicative forecast simulates, `paths x h` (2^22 values, 32 MiB): with
/// the default 2,000 paths, horizons up to 2,097 steps.
pub(crate) const MAX_SIMULATED_VALUES: usize = 1 << 22;

/// Checks the simulation size of a multiplicative forecast and returns `paths x h`; the error
/// names the field that makes it too large on its own (`paths`) or else `h`.
pub(crate) fn check_simulation(paths: usize, h: usize) -> Result<usize> {
    if paths < 2 {
        return Err(Error::InvalidConfig {
            field: "paths",
            reason: "simulated intervals need at least 2 paths",
        });
    }
    if paths > MAX_SIMULATED_VALUES {
        return Err(Error::InvalidConfig {
            field: "paths",
            reason: "more than 2^22 paths: paths x h would exceed 2^22 simulated values",
        });
    }
    paths
        .checked_mul(h)
        .filter(|&t| t <= MAX_SIMULATED_VALUES)
        .ok_or(Error::InvalidConfig {
            field: "h",
            reason: "paths x h exceeds 2^22 simulated values",
        })
}

/// Hyndman & Fan (1996) type 7 quantile of a non-empty sample of finite values, by selection
/// (O(n), reorders `x`) instead of a sort.
fn quantile_select(x: &mut [f64], p: f64) -> f64 {
    let pos = p * (x.len() - 1) as f64;
    let i = (pos.floor() as usize).min(x.len() - 1);
    let (_, &mut lo, right) = x.select_nth_unstable_by(i, f64::total_cmp);
    let hi = right.iter().copied().fold(f64::INFINITY, f64::min);
    if hi.is_finite() {
        lo + (pos - i as f64) * (hi - lo)
    } else {
        lo
    }
}

/// Hyndman & Fan (1996) type 7 quantile of a sorted, non-empty sample.
#[cfg(test)]
fn quantile_sorted(x: &[f64], p: f64) -> f64 {
    let pos = p * (x.len() - 1) as f64;
    let i = (pos.floor() as usize).min(x.len() - 1);
    let j = (i + 1).min(x.len() - 1);
    x[i] + (pos - i as f64) * (x[j] - x[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_params_reproduce_the_recursion() {
        let y = [10.0, 12.0, 14.0, 11.0, 13.0, 15.0, 12.0, 14.0];
        let p = HwParams::new(0.3, 0.1, 0.2);
        let model = HoltWinters::fit(&y, &HwConfig::additive(3).with_params(p)).unwrap();
        // Hand-rolled recursion with the documented initial states.
        let l0 = 12.0;
        let b0 = (13.0 - 12.0) / 3.0;
        let mut s = [-2.0, 0.0, 2.0];
        let (mut l, mut b, mut sse) = (l0, b0, 0.0);
        for (t, &v) in y.iter().enumerate() {
            let yhat = l + b + s[t % 3];
            assert!((model.fitted()[t] - yhat).abs() < 1e-12);
            sse += (v - yhat) * (v - yhat);
            let nl = 0.3 * (v - s[t % 3]) + 0.7 * (l + b);
            s[t % 3] = 0.2 * (v - l - b) + 0.8 * s[t % 3];
            b = 0.1 * (nl - l) + 0.9 * b;
            l = nl;
        }
        assert!((model.sse() - sse).abs() < 1e-12);
        let f = model.forecast(4, 0.9).unwrap();
        for h in 1..=4 {
            let want = l + h as f64 * b + s[(y.len() + h - 1) % 3];
            assert!((f.mean[h - 1] - want).abs() < 1e-12);
        }
    }

    #[test]
    fn quantile_type7() {
        let x = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile_sorted(&x, 0.0), 1.0);
        assert_eq!(quantile_sorted(&x, 1.0), 4.0);
        assert!((quantile_sorted(&x, 0.5) - 2.5).abs() < 1e-15);
        for p in [0.0, 0.05, 0.33, 0.5, 0.95, 1.0] {
            let mut y = [4.0, 1.0, 3.0, 2.0];
            assert_eq!(quantile_select(&mut y, p), quantile_sorted(&x, p));
        }
    }
}
