//! Runtime estimation through the C ABI: an `agentsched_runtime_estimator` handle (per-class
//! regression with mean fallbacks) and a raw `agentsched_rls` handle (one recursive
//! least-squares model). Predictions come back in a plain `#[repr(C)]` struct. No logic lives
//! here: only conversion.

use crate::Error;
use crate::estimate::{EstimatorConfig, Prediction, Rls, RlsConfig, RuntimeEstimator, Source};
use crate::ffi::dispatcher::handle;
use crate::ffi::{
    agentsched_status, ffi_boundary, free_boxed, non_null, slice, write_items, write_str,
};
use std::ffi::c_char;

/// Prediction source: the class's regression model.
pub const AGENTSCHED_PREDICTION_SOURCE_REGRESSION: u32 = 0;
/// Prediction source: the class's exponentially weighted mean (too few samples, or singular
/// features).
pub const AGENTSCHED_PREDICTION_SOURCE_CLASS_MEAN: u32 = 1;
/// Prediction source: the exponentially weighted mean over all classes (unknown class).
pub const AGENTSCHED_PREDICTION_SOURCE_GLOBAL_MEAN: u32 = 2;

/// A predictive distribution `mean + std_error * T`, `T` Student t with `dof` degrees of freedom
/// (`dof` infinite: normal), and its central interval `[lo, hi]` at the level asked for.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct agentsched_runtime_prediction {
    /// The point prediction (a runtime: never negative from an estimator).
    pub mean: f64,
    /// The predictive standard deviation, including the noise of a new observation.
    pub std_error: f64,
    /// Degrees of freedom (`INFINITY` for a normal).
    pub dof: f64,
    /// The lower end of the central interval.
    pub lo: f64,
    /// The upper end of the central interval.
    pub hi: f64,
    /// One of `AGENTSCHED_PREDICTION_SOURCE_*`.
    pub source: u32,
    /// False when nothing has been observed yet (then the other fields are 0).
    pub has_value: bool,
}

fn source_code(s: Source) -> u32 {
    match s {
        Source::Regression => AGENTSCHED_PREDICTION_SOURCE_REGRESSION,
        Source::ClassMean => AGENTSCHED_PREDICTION_SOURCE_CLASS_MEAN,
        Source::GlobalMean => AGENTSCHED_PREDICTION_SOURCE_GLOBAL_MEAN,
    }
}

fn to_c(p: &Prediction, (lo, hi): (f64, f64)) -> agentsched_runtime_prediction {
    agentsched_runtime_prediction {
        mean: p.mean,
        std_error: p.std_error,
        dof: p.dof,
        lo,
        hi,
        source: source_code(p.source),
        has_value: true,
    }
}

/// A per-task-class runtime estimator (opaque): a regression of runtime on numeric features per
/// class, falling back to the class's, then the global, robust exponentially weighted mean.
///
/// Owned by the host from `agentsched_runtime_estimator_new` until
/// `agentsched_runtime_estimator_free`. Calls on one handle must not overlap (it may be moved
/// between threads; distinct handles are independent). After a call returns
/// `AGENTSCHED_STATUS_PANIC` the handle is poisoned: every later call returns
/// `AGENTSCHED_STATUS_POISONED` except `_last_error` and `_free`.
pub struct agentsched_runtime_estimator {
    est: RuntimeEstimator,
    last_error: String,
    /// Bumped whenever `last_error` is set (see `ffi_boundary!`).
    error_gen: u64,
    poisoned: bool,
}

/// One recursive least-squares model (opaque), square-root information form, with forgetting,
/// ridge and predictive intervals. Ownership, threading and poisoning as for
/// `agentsched_runtime_estimator`.
pub struct agentsched_rls {
    rls: Rls,
    last_error: String,
    /// Bumped whenever `last_error` is set (see `ffi_boundary!`).
    error_gen: u64,
    poisoned: bool,
}

const _: () = {
    const fn assert_send<T: Send>() {}
    assert_send::<agentsched_runtime_estimator>();
    assert_send::<agentsched_rls>();
};

macro_rules! error_methods {
    ($t:ty) => {
        impl $t {
            fn set_error(&mut self, msg: &str) {
                self.last_error.clear();
                self.last_error.push_str(msg);
                self.error_gen = self.error_gen.wrapping_add(1);
            }

            fn fail(&mut self, e: Error) -> agentsched_status {
                self.set_error(&e.to_string());
                agentsched_status::from(&e)
            }
        }
    };
}
error_methods!(agentsched_runtime_estimator);
error_methods!(agentsched_rls);

/// Creates a runtime estimator for `features` features per task (include a constant 1 feature
/// for an intercept). `forgetting` in (0, 1] (1: none), `ridge` >= 0 (1e-6 is a good default),
/// `min_samples`: regression is used once a class has this many samples (0: the default
/// `2 * features + 2`), `mean_weight` in (0, 1] (the EW mean's weight, e.g. 0.1), `log_target`:
/// model the logarithm of runtimes. On OK `*out` receives a handle to free with
/// `agentsched_runtime_estimator_free`; otherwise `*out` is untouched (there is no handle to hold
/// a message: the status is the whole answer).
///
/// Statuses: OK, NULL_POINTER, INVALID_CONFIG (0 or more than 4096 features, forgetting or
/// mean_weight out of range), INVALID_NUMBER (NaN/infinite values, negative ridge), PANIC.
/// Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_runtime_estimator_new(
    features: usize,
    forgetting: f64,
    ridge: f64,
    min_samples: u64,
    mean_weight: f64,
    log_target: bool,
    out: *mut *mut agentsched_runtime_estimator,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(out);
        let mut cfg = EstimatorConfig::new(features);
        cfg.rls.forgetting = forgetting;
        cfg.rls.ridge = ridge;
        if min_samples > 0 {
            cfg.min_samples = min_samples;
        }
        cfg.mean_weight = mean_weight;
        cfg.log_target = log_target;
        let est = match RuntimeEstimator::new(cfg) {
            Ok(e) => e,
            Err(e) => return agentsched_status::from(&e),
        };
        let h = Box::new(agentsched_runtime_estimator {
            est,
            last_error: String::new(),
            error_gen: 0,
            poisoned: false,
        });
        // SAFETY: checked non-null; writable (documented contract).
        unsafe { *out = Box::into_raw(h) };
        agentsched_status::Ok
    })
}

/// Frees a runtime estimator. NULL does nothing. The handle must not be used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_runtime_estimator_free(h: *mut agentsched_runtime_estimator) {
    // SAFETY: made by Box::into_raw in agentsched_runtime_estimator_new, freed once (contract).
    unsafe { free_boxed(h) }
}

/// Copies the message of the last failed call on this handle (NUL-terminated) into `buf`; empty
/// before any failure. `*out_len` receives its length without the NUL, also on BUFFER_TOO_SMALL.
/// Works on a poisoned handle.
///
/// Statuses: OK, NULL_POINTER, BUFFER_TOO_SMALL, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_runtime_estimator_last_error(
    h: *const agentsched_runtime_estimator,
    buf: *mut c_char,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(h, out_len);
        // SAFETY: non-null handle (contract).
        let h = unsafe { &*h };
        // SAFETY: `buf` valid for `cap` bytes, `out_len` checked.
        unsafe { write_str(&h.last_error, buf, cap, out_len) }
    })
}

/// Learns that a task of `class` with `features` (`n_features` values, read during the call
/// only) ran for `runtime` (finite, >= 0, and at most 1e140 without `log_target`: larger
/// targets could make the model's sums of squares overflow later). All or nothing: on failure
/// the estimator is unchanged.
///
/// Statuses: OK, NULL_POINTER, INVALID_ARGUMENT (a length too large for memory),
/// DIMENSION_MISMATCH (`n_features` differs from the estimator's), INVALID_NUMBER (a NaN or
/// infinite feature, a negative or non-finite runtime, a runtime beyond 1e140 without
/// `log_target`, or features so large the update would overflow), POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_runtime_estimator_observe(
    h: *mut agentsched_runtime_estimator,
    class: u32,
    features: *const f64,
    n_features: usize,
    runtime: f64,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        // SAFETY: valid for `n_features` values when non-null (contract).
        let x = match unsafe { slice(features, n_features) } {
            Ok(x) => x,
            Err(s) => return s,
        };
        match h.est.observe(class, x, runtime) {
            Ok(()) => agentsched_status::Ok,
            Err(e) => h.fail(e),
        }
    })
}

/// Predicts the runtime of a task of `class` with `features` and its central interval at
/// `level` (in (0, 1), e.g. 0.95; with a log target the interval is the exact back-transform,
/// asymmetric). On OK `*out` is filled; `has_value` is false (and every other field 0) when
/// nothing was observed yet. On any other status `*out` is untouched.
///
/// Statuses: OK, NULL_POINTER, INVALID_ARGUMENT, DIMENSION_MISMATCH, INVALID_NUMBER (a NaN or
/// infinite feature, `level` NaN, or a prediction that overflows), INVALID_CONFIG (`level`
/// outside (0, 1)), POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_runtime_estimator_predict(
    h: *mut agentsched_runtime_estimator,
    class: u32,
    features: *const f64,
    n_features: usize,
    level: f64,
    out: *mut agentsched_runtime_prediction,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        non_null!(out);
        // SAFETY: valid for `n_features` values when non-null (contract).
        let x = match unsafe { slice(features, n_features) } {
            Ok(x) => x,
            Err(s) => return s,
        };
        let r = h.est.predict(class, x).and_then(|p| {
            Ok(match (p, h.est.interval(class, x, level)?) {
                (Some(p), Some(iv)) => to_c(&p, iv),
                _ => agentsched_runtime_prediction::default(),
            })
        });
        match r {
            Ok(p) => {
                // SAFETY: checked non-null, writable (contract).
                unsafe { *out = p };
                agentsched_status::Ok
            }
            Err(e) => h.fail(e),
        }
    })
}

/// Samples observed for `class` (0 for an unknown class) into `*out`, and the number of classes
/// into `*out_classes` when it is not NULL.
///
/// Statuses: OK, NULL_POINTER, POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_runtime_estimator_samples(
    h: *mut agentsched_runtime_estimator,
    class: u32,
    out: *mut u64,
    out_classes: *mut usize,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        non_null!(out);
        // SAFETY: checked non-null / NULL-checked, writable (contract).
        unsafe {
            *out = h.est.samples(class);
            if !out_classes.is_null() {
                *out_classes = h.est.classes();
            }
        }
        agentsched_status::Ok
    })
}

/// The `p` quantile (p in (0, 1)) of a prediction's distribution, `mean + std_error * t_p(dof)`,
/// into `*out` (untouched on failure). For an estimator with `log_target` this is the
/// delta-method approximation around the median; the exact (asymmetric) bounds are the `lo`
/// and `hi` that `agentsched_runtime_estimator_predict` computes at its `level`.
///
/// Statuses: OK, NULL_POINTER, INVALID_NUMBER (NaN `p`; a non-finite `mean` or `std_error`, a
/// negative `std_error`, a `dof` that is not > 0 (+INFINITY is allowed: a normal); or a
/// quantile that is not finite), INVALID_CONFIG (`p` outside (0, 1), or a prediction without a
/// value), PANIC. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_prediction_quantile(
    prediction: *const agentsched_runtime_prediction,
    p: f64,
    out: *mut f64,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(prediction, out);
        // SAFETY: non-null, points to a prediction (contract).
        let c = unsafe { *prediction };
        if !c.has_value {
            return agentsched_status::InvalidConfig;
        }
        // `dof` is positive or +INFINITY (a normal); NaN, 0 and -INFINITY are refused. Checked
        // here because `Prediction::factor` takes any infinite dof for a normal.
        if !c.mean.is_finite()
            || !c.std_error.is_finite()
            || c.std_error < 0.0
            || c.dof.is_nan()
            || c.dof <= 0.0
        {
            return agentsched_status::InvalidNumber;
        }
        let pr = Prediction {
            mean: c.mean,
            std_error: c.std_error,
            dof: c.dof,
            source: Source::Regression,
        };
        match pr.quantile(p) {
            // Huge means and spreads (or a t tail with a tiny dof) overflow.
            Ok(q) if !q.is_finite() => agentsched_status::InvalidNumber,
            Ok(q) => {
                // SAFETY: checked non-null, writable (contract).
                unsafe { *out = q };
                agentsched_status::Ok
            }
            Err(e) => agentsched_status::from(&e),
        }
    })
}

// ---- the raw RLS handle ---------------------------------------------------------------------

/// Creates a recursive least-squares model with `features` features, forgetting factor
/// `forgetting` in (0, 1] and ridge `ridge` >= 0. On OK `*out` receives a handle to free with
/// `agentsched_rls_free`; otherwise `*out` is untouched.
///
/// Statuses: OK, NULL_POINTER, INVALID_CONFIG, INVALID_NUMBER, PANIC. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_rls_new(
    features: usize,
    forgetting: f64,
    ridge: f64,
    out: *mut *mut agentsched_rls,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(out);
        let rls = match Rls::new(RlsConfig {
            features,
            forgetting,
            ridge,
        }) {
            Ok(r) => r,
            Err(e) => return agentsched_status::from(&e),
        };
        let h = Box::new(agentsched_rls {
            rls,
            last_error: String::new(),
            error_gen: 0,
            poisoned: false,
        });
        // SAFETY: checked non-null; writable (documented contract).
        unsafe { *out = Box::into_raw(h) };
        agentsched_status::Ok
    })
}

/// Frees an RLS model. NULL does nothing. The handle must not be used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_rls_free(h: *mut agentsched_rls) {
    // SAFETY: made by Box::into_raw in agentsched_rls_new, freed once (contract).
    unsafe { free_boxed(h) }
}

/// Copies the message of the last failed call on this handle, as
/// `agentsched_runtime_estimator_last_error`.
///
/// Statuses: OK, NULL_POINTER, BUFFER_TOO_SMALL, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_rls_last_error(
    h: *const agentsched_rls,
    buf: *mut c_char,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(h, out_len);
        // SAFETY: non-null handle (contract).
        let h = unsafe { &*h };
        // SAFETY: `buf` valid for `cap` bytes, `out_len` checked.
        unsafe { write_str(&h.last_error, buf, cap, out_len) }
    })
}

/// Adds the observation `(x, y)` (`n` values at `x`, read during the call only). O(d^2). All or
/// nothing: on failure the model is unchanged.
///
/// Statuses: OK, NULL_POINTER, INVALID_ARGUMENT, DIMENSION_MISMATCH, INVALID_NUMBER (NaN or
/// infinite values, or an update that would overflow), POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_rls_update(
    h: *mut agentsched_rls,
    x: *const f64,
    n: usize,
    y: f64,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        // SAFETY: valid for `n` values when non-null (contract).
        let x = match unsafe { slice(x, n) } {
            Ok(x) => x,
            Err(s) => return s,
        };
        match h.rls.update(x, y) {
            Ok(()) => agentsched_status::Ok,
            Err(e) => h.fail(e),
        }
    })
}

/// The predictive distribution at `x` and its central interval at `level` in (0, 1) into
/// `*out` (`source` is REGRESSION, `has_value` true); untouched on failure.
///
/// Statuses: OK, NULL_POINTER, INVALID_ARGUMENT, DIMENSION_MISMATCH, INVALID_NUMBER,
/// INVALID_CONFIG (`level` outside (0, 1)), SINGULAR (the features seen do not determine the
/// coefficients), TOO_FEW_VALUES (no degrees of freedom left for the noise), POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_rls_predict(
    h: *mut agentsched_rls,
    x: *const f64,
    n: usize,
    level: f64,
    out: *mut agentsched_runtime_prediction,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        non_null!(out);
        // SAFETY: valid for `n` values when non-null (contract).
        let x = match unsafe { slice(x, n) } {
            Ok(x) => x,
            Err(s) => return s,
        };
        let r = h
            .rls
            .predict(x)
            .and_then(|p| Ok(to_c(&p, p.interval(level)?)));
        match r {
            Ok(p) => {
                // SAFETY: checked non-null, writable (contract).
                unsafe { *out = p };
                agentsched_status::Ok
            }
            Err(e) => h.fail(e),
        }
    })
}

/// Copies the coefficients (`features` values) into `buf` (capacity `cap`); `*out_len` receives
/// the count, also on BUFFER_TOO_SMALL. Nothing else is written unless the call returns OK.
///
/// Statuses: OK, NULL_POINTER, BUFFER_TOO_SMALL, SINGULAR, INVALID_NUMBER, POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_rls_coefficients(
    h: *mut agentsched_rls,
    buf: *mut f64,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        non_null!(out_len);
        match h.rls.coefficients() {
            // SAFETY: `buf` valid for `cap` values when non-null, `out_len` checked.
            Ok(t) => unsafe { write_items(&t, buf, cap, out_len) },
            Err(e) => h.fail(e),
        }
    })
}
