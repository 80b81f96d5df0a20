//! Demand forecasting through the C ABI: Holt–Winters and AR(p) forecasts, accuracy metrics and
//! the burst-capacity helper. No handles: every function is a pure computation on caller arrays,
//! read during the call only, with results written into caller buffers. Thread-safe. No logic
//! lives here: only conversion.

use crate::estimate::evaluate::check_horizon;
use crate::estimate::holt_winters::check_simulation;
use crate::estimate::{
    ArModel, Forecast, Guarantee, HoltWinters, HwConfig, HwParams, Seasonality, burst_for, mae,
    mape, mse,
};
use crate::ffi::{agentsched_status, ffi_boundary, non_null, slice};

/// Holt–Winters without a seasonal component (Holt's linear method, or simple exponential
/// smoothing without trend).
pub const AGENTSCHED_SEASONALITY_NONE: u32 = 0;
/// Holt–Winters with additive seasonality.
pub const AGENTSCHED_SEASONALITY_ADDITIVE: u32 = 1;
/// Holt–Winters with multiplicative seasonality (strictly positive data).
pub const AGENTSCHED_SEASONALITY_MULTIPLICATIVE: u32 = 2;
/// Holt–Winters without a trend.
pub const AGENTSCHED_TREND_NONE: u32 = 0;
/// Holt–Winters with an additive trend.
pub const AGENTSCHED_TREND_ADDITIVE: u32 = 1;
/// Holt–Winters with a damped additive trend (forecasts level off; `phi` fitted in
/// [0.8, 0.98] or taken from the fixed parameters).
pub const AGENTSCHED_TREND_DAMPED: u32 = 2;
/// Capacity service level applies to each step separately.
pub const AGENTSCHED_GUARANTEE_PER_STEP: u32 = 0;
/// Capacity service level applies to the whole window (union bound).
pub const AGENTSCHED_GUARANTEE_WINDOW: u32 = 1;

/// Holt–Winters smoothing parameters, each in `[0, 1]` (also when ignored).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct agentsched_hw_params {
    /// Level smoothing.
    pub alpha: f64,
    /// Trend smoothing (ignored without trend; 0 in the output then).
    pub beta: f64,
    /// Seasonal smoothing (ignored without seasonality; 0 in the output then).
    pub gamma: f64,
    /// Trend damping (ignored unless the trend is `AGENTSCHED_TREND_DAMPED`; 1 in the output
    /// then).
    pub phi: f64,
}

/// Checks the output buffers for `h` values before any work is done: BUFFER_TOO_SMALL with
/// `*out_len = h` when `cap < h`; otherwise `*out_len` is left alone (set on success only).
///
/// # Safety
/// `out_len` non-null.
unsafe fn room(cap: usize, h: usize, out_len: *mut usize) -> agentsched_status {
    if h > cap {
        // SAFETY: checked non-null by the caller.
        unsafe { *out_len = h };
        agentsched_status::BufferTooSmall
    } else {
        agentsched_status::Ok
    }
}

/// Copies a forecast into the caller's buffers (`lower`/`upper` may be NULL).
///
/// # Safety
/// `mean` valid for `f.len()` values; `lower`, `upper` NULL or valid for as many.
unsafe fn write_forecast(f: &Forecast, mean: *mut f64, lower: *mut f64, upper: *mut f64) {
    for (src, dst) in [(&f.mean, mean), (&f.lower, lower), (&f.upper, upper)] {
        if !dst.is_null() && !src.is_empty() {
            // SAFETY: valid for `src.len()` values (contract, checked by `room`).
            unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), dst, src.len()) };
        }
    }
}

/// Fits Holt–Winters on `series` (or evaluates fixed parameters) and forecasts `h` steps with
/// central `level` prediction intervals.
///
/// - `series`, `len`: the observations, oldest first; read during the call only.
/// - `period`: the season length `m` (at least 2 when seasonal; ignored without seasonality).
/// - `seasonality`: one of `AGENTSCHED_SEASONALITY_*`; `trend`: one of `AGENTSCHED_TREND_*`
///   (0 none, 1 additive, 2 damped additive).
/// - `fixed`: NULL to fit `alpha`, `beta`, `gamma` (and `phi` in [0.8, 0.98] when damped) by
///   least squares (grid then Nelder–Mead, deterministic), or parameters to use as given.
/// - `params_out`, `sse_out`: NULL, or receive the parameters used and the sum of squared
///   one-step errors.
/// - `mean` (required), `lower`, `upper` (NULL to skip): `cap` values each; `*out_len` receives
///   `h` on OK and on BUFFER_TOO_SMALL. The buffer size (and the horizon's limits) are checked
///   before the fit: a too-small buffer costs nothing.
///
/// Initial states (FPP's "simple"): level = mean of the first season, trend =
/// `(mean of season 2 - mean of season 1) / m`, seasonal indices = first season minus / divided
/// by the level; without seasonality level = `series[0]`, trend = `series[1] - series[0]`. Intervals: analytic
/// (Hyndman et al. 2008, class 1) for additive/none; 2,000 simulated paths with seed `0x5eed`
/// for multiplicative, so a multiplicative forecast simulates `2000 h` values and `h` is limited
/// to 2,097 (2^22 simulated values; INVALID_CONFIG above). Nothing is written unless the call
/// returns OK (except `*out_len` on BUFFER_TOO_SMALL).
///
/// Statuses: OK, NULL_POINTER (`mean`, `out_len`, or `series` NULL with `len > 0`),
/// INVALID_ARGUMENT (unknown `seasonality` or `trend`, a value `<= 0` with multiplicative
/// seasonality), INVALID_NUMBER (NaN or infinite values), INVALID_CONFIG (`h == 0` or above 2^24,
/// `h` above 2,097 with multiplicative seasonality, `level` outside (0, 1), period < 2, fixed
/// parameters, `phi` included, outside [0, 1]), TOO_FEW_VALUES (fewer than
/// `2 * period` values, or 2 without seasonality), BUFFER_TOO_SMALL, PANIC. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_holt_winters_forecast(
    series: *const f64,
    len: usize,
    period: usize,
    seasonality: u32,
    trend: u32,
    fixed: *const agentsched_hw_params,
    h: usize,
    level: f64,
    params_out: *mut agentsched_hw_params,
    sse_out: *mut f64,
    mean: *mut f64,
    lower: *mut f64,
    upper: *mut f64,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(mean, out_len);
        // SAFETY: valid for `len` values when non-null (contract).
        let y = match unsafe { slice(series, len) } {
            Ok(y) => y,
            Err(s) => return s,
        };
        let mut cfg = match seasonality {
            AGENTSCHED_SEASONALITY_NONE => HwConfig::holt(),
            AGENTSCHED_SEASONALITY_ADDITIVE => HwConfig::additive(period),
            AGENTSCHED_SEASONALITY_MULTIPLICATIVE => HwConfig::multiplicative(period),
            _ => return agentsched_status::InvalidArgument,
        };
        debug_assert!(matches!(
            cfg.seasonality,
            Seasonality::None | Seasonality::Additive | Seasonality::Multiplicative
        ));
        cfg = match trend {
            AGENTSCHED_TREND_NONE => cfg.with_trend(false),
            AGENTSCHED_TREND_ADDITIVE => cfg.with_trend(true),
            AGENTSCHED_TREND_DAMPED => cfg.with_trend(true).with_damped(true),
            _ => return agentsched_status::InvalidArgument,
        };
        if !fixed.is_null() {
            // SAFETY: non-null, points to parameters (contract).
            let p = unsafe { *fixed };
            cfg = cfg.with_params(HwParams {
                alpha: p.alpha,
                beta: p.beta,
                gamma: p.gamma,
                phi: p.phi,
            });
        }
        // The horizon's limits and the buffer are checked before the fit, so an invalid or
        // too-large request costs nothing.
        if let Err(e) = check_horizon("h", h) {
            return agentsched_status::from(&e);
        }
        if cfg.seasonality == Seasonality::Multiplicative
            && let Err(e) = check_simulation(cfg.paths, h)
        {
            return agentsched_status::from(&e);
        }
        // SAFETY: `out_len` checked.
        let s = unsafe { room(cap, h, out_len) };
        if s != agentsched_status::Ok {
            return s;
        }
        let model = match HoltWinters::fit(y, &cfg) {
            Ok(m) => m,
            Err(e) => return agentsched_status::from(&e),
        };
        let f = match model.forecast(h, level) {
            Ok(f) => f,
            Err(e) => return agentsched_status::from(&e),
        };
        let p = model.params();
        // SAFETY: buffers valid for `cap >= h` values; the out pointers NULL or valid (contract).
        unsafe {
            *out_len = h;
            write_forecast(&f, mean, lower, upper);
            if !params_out.is_null() {
                *params_out = agentsched_hw_params {
                    alpha: p.alpha,
                    beta: p.beta,
                    gamma: p.gamma,
                    phi: p.phi,
                };
            }
            if !sse_out.is_null() {
                *sse_out = model.sse();
            }
        }
        agentsched_status::Ok
    })
}

/// Fits AR(`p`) with an intercept by conditional least squares (statsmodels'
/// `AutoReg(trend="c")`) and forecasts `h` steps with normal `level` prediction intervals from
/// the psi-weights.
///
/// - `series`, `len`: the observations, oldest first; read during the call only.
/// - `coef_out`: NULL, or `p + 1` values receiving the intercept then `phi_1..phi_p`.
/// - `sigma2_out`: NULL, or receives `RSS / (len - 2p - 1)`.
/// - `mean` (required), `lower`, `upper` (NULL to skip): `cap` values each; `*out_len` receives
///   `h` on OK and on BUFFER_TOO_SMALL; the buffer size is checked before the fit.
///
/// Nothing is written unless the call returns OK (except `*out_len` on BUFFER_TOO_SMALL).
///
/// Statuses: OK, NULL_POINTER, INVALID_NUMBER (NaN or infinite values), INVALID_CONFIG
/// (`h == 0` or above 2^24, `level` outside (0, 1), `p` above 256), TOO_FEW_VALUES (fewer than `2p + 2` values), SINGULAR
/// (the lagged design is rank-deficient, e.g. a constant series), BUFFER_TOO_SMALL, PANIC.
/// Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_ar_forecast(
    series: *const f64,
    len: usize,
    p: usize,
    h: usize,
    level: f64,
    coef_out: *mut f64,
    sigma2_out: *mut f64,
    mean: *mut f64,
    lower: *mut f64,
    upper: *mut f64,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(mean, out_len);
        // SAFETY: valid for `len` values when non-null (contract).
        let y = match unsafe { slice(series, len) } {
            Ok(y) => y,
            Err(s) => return s,
        };
        if let Err(e) = check_horizon("h", h) {
            return agentsched_status::from(&e);
        }
        // SAFETY: `out_len` checked.
        let s = unsafe { room(cap, h, out_len) };
        if s != agentsched_status::Ok {
            return s;
        }
        let model = match ArModel::fit(y, p) {
            Ok(m) => m,
            Err(e) => return agentsched_status::from(&e),
        };
        let f = match model.forecast(h, level) {
            Ok(f) => f,
            Err(e) => return agentsched_status::from(&e),
        };
        // SAFETY: buffers valid for `cap >= h` values; `coef_out` NULL or `p + 1` values.
        unsafe {
            *out_len = h;
            write_forecast(&f, mean, lower, upper);
            if !coef_out.is_null() {
                *coef_out = model.intercept();
                let phi = model.coefficients();
                std::ptr::copy_nonoverlapping(phi.as_ptr(), coef_out.add(1), phi.len());
            }
            if !sigma2_out.is_null() {
                *sigma2_out = model.sigma2();
            }
        }
        agentsched_status::Ok
    })
}

/// Forecast accuracy of `predicted` against `actual` (`len` values each): mean squared error,
/// mean absolute error and MAPE in percent (over the non-zero actual values; zero actuals are
/// skipped). Any of `mse_out`, `mae_out`, `mape_out` may be NULL to skip it.
///
/// Nothing is written unless the call returns OK.
///
/// Statuses: OK, NULL_POINTER (an array NULL with `len > 0`), TOO_FEW_VALUES (`len == 0`),
/// INVALID_NUMBER (NaN or infinite values, or a metric that overflows), INVALID_CONFIG
/// (`mape_out` given and every actual value zero), PANIC. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_forecast_metrics(
    actual: *const f64,
    predicted: *const f64,
    len: usize,
    mse_out: *mut f64,
    mae_out: *mut f64,
    mape_out: *mut f64,
) -> agentsched_status {
    ffi_boundary!({
        // SAFETY (both): valid for `len` values when non-null (contract).
        let a = match unsafe { slice(actual, len) } {
            Ok(a) => a,
            Err(s) => return s,
        };
        let p = match unsafe { slice(predicted, len) } {
            Ok(p) => p,
            Err(s) => return s,
        };
        let m1 = match mse(a, p) {
            Ok(v) => v,
            Err(e) => return agentsched_status::from(&e),
        };
        let m2 = match mae(a, p) {
            Ok(v) => v,
            Err(e) => return agentsched_status::from(&e),
        };
        let m3 = if mape_out.is_null() {
            0.0
        } else {
            match mape(a, p) {
                Ok(v) => v,
                Err(e) => return agentsched_status::from(&e),
            }
        };
        // SAFETY: each NULL or valid for one value (contract).
        unsafe {
            for (dst, v) in [(mse_out, m1), (mae_out, m2), (mape_out, m3)] {
                if !dst.is_null() {
                    *dst = v;
                }
            }
        }
        agentsched_status::Ok
    })
}

/// The public burst capacity for a demand forecast (normal with `mean[j]`, `sd[j]`): per step
/// `max(0, mean + z sd - private_capacity)` with `z = -Phi^-1(1 - service_level)`
/// (`AGENTSCHED_GUARANTEE_PER_STEP`) or `-Phi^-1((1 - service_level) / len)`
/// (`AGENTSCHED_GUARANTEE_WINDOW`, the union bound over the window; computed from the tail, so
/// service levels within 1e-16 of 1 still work), rounded up to multiples of
/// `unit` when `unit > 0` (0: no rounding).
///
/// `per_step` receives `len` values (capacity `cap`; `*out_len` receives `len` on OK and on
/// BUFFER_TOO_SMALL, checked before any work); `window_out` (NULL to skip) the largest of them.
/// Nothing is written unless the call returns OK (except `*out_len` on BUFFER_TOO_SMALL).
///
/// Statuses: OK, NULL_POINTER, INVALID_ARGUMENT (unknown `guarantee`), TOO_FEW_VALUES
/// (`len == 0`), INVALID_NUMBER (NaN/infinite values, a negative `sd` or `private_capacity`, a
/// negative `unit`), INVALID_CONFIG (`service_level` outside (0, 1)), BUFFER_TOO_SMALL, PANIC.
/// Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_capacity_burst(
    mean: *const f64,
    sd: *const f64,
    len: usize,
    private_capacity: f64,
    service_level: f64,
    guarantee: u32,
    unit: f64,
    per_step: *mut f64,
    cap: usize,
    out_len: *mut usize,
    window_out: *mut f64,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(per_step, out_len);
        // SAFETY (both): valid for `len` values when non-null (contract).
        let m = match unsafe { slice(mean, len) } {
            Ok(m) => m,
            Err(s) => return s,
        };
        let s = match unsafe { slice(sd, len) } {
            Ok(s) => s,
            Err(s) => return s,
        };
        let g = match guarantee {
            AGENTSCHED_GUARANTEE_PER_STEP => Guarantee::PerStep,
            AGENTSCHED_GUARANTEE_WINDOW => Guarantee::Window,
            _ => return agentsched_status::InvalidArgument,
        };
        let unit = if unit == 0.0 { None } else { Some(unit) };
        if len > 0 {
            // SAFETY: `out_len` checked.
            let st = unsafe { room(cap, len, out_len) };
            if st != agentsched_status::Ok {
                return st;
            }
        }
        // The interval level is irrelevant to the burst; any valid one builds the forecast.
        let f = Forecast {
            mean: m.to_vec(),
            lower: m.to_vec(),
            upper: m.to_vec(),
            sd: s.to_vec(),
            level: 0.5,
        };
        let plan = match burst_for(&f, private_capacity, service_level, g, unit) {
            Ok(p) => p,
            Err(e) => return agentsched_status::from(&e),
        };
        // SAFETY: `per_step` valid for `cap >= len` values; `window_out` NULL or one value.
        unsafe {
            *out_len = len;
            std::ptr::copy_nonoverlapping(plan.per_step.as_ptr(), per_step, len);
            if !window_out.is_null() {
                *window_out = plan.window;
            }
        }
        agentsched_status::Ok
    })
}
