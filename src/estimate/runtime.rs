//! Per-task-class runtime estimation: a regression model per class, with a robust fallback to
//! the class's (then the global) exponentially weighted mean while data is scarce.
//!
//! Each class (a `u32` chosen by the host: a task kind, a model name's id...) has its own
//! [`Rls`] model of runtime on the task's numeric features, and an exponentially weighted (EW)
//! mean and variance of its runtimes; one more EW mean and variance covers all classes.
//! [`RuntimeEstimator::predict`] walks down a ladder:
//!
//! 1. [`Source::Regression`]: the class has at least `min_samples` samples, its regression has
//!    at least one degree of freedom left (`n_eff >= d + 1`: under forgetting `n_eff - d` may
//!    be a tiny fraction, whose t quantiles overflow) and its features are not linearly
//!    dependent;
//! 2. [`Source::ClassMean`]: the class has a sample: its EW mean; the spread is its EW standard
//!    deviation, or, with a single sample, the global one;
//! 3. [`Source::GlobalMean`]: the class is unknown but something was observed;
//! 4. `None`: nothing observed at all.
//!
//! The predicted mean is clamped at 0 (a runtime is never negative; the interval of a
//! [`Prediction`] is not clamped). No intercept is added: pass a constant 1 feature for one.
//!
//! # Robust EW mean (Huber-style clipping)
//! An observation updates an EW mean `m` and variance `v` with weight `a = max(mean_weight,
//! 1/(k+1))` for the `k`-th sample of that series (so the first samples give their plain
//! average instead of remembering the first value for ever). From the fourth sample on, the
//! observation is first clipped to `m +- 4 max(sqrt(v), 1e-9 (1 + |m|))`: one outlier moves the
//! mean by at most `4 a` standard deviations, while a genuine level shift still gets through,
//! because each clipped step widens `v` by a factor of about `1 + 15 a` until the new level is
//! within reach. `v` follows West's EW recurrence `v <- (1 - a)(v + a (y - m)^2)`. Regression
//! always sees the raw observation.
//!
//! # Bounded targets
//! A model-scale target (the runtime, or its logarithm with `log_target`) must satisfy
//! `|y| <= MAX_TARGET` (`1e140`); [`RuntimeEstimator::observe`] refuses a larger runtime with
//! [`Error::TooLarge`] (`runtime`) before anything changes. The bound keeps every later update
//! finite, whatever came before: an EW mean is a convex combination of targets, so `|m| <= B`
//! (`B = MAX_TARGET`), and `v <= 4 B^2` by induction (`(1 - a)(4 B^2 + a 4 B^2) <= 4 B^2`); a
//! regression's rotations preserve the norm of the target column, so its residual sum of
//! squares never exceeds `sum y^2 <= n B^2`, below `f64::MAX` for any `n < 2^64`. Without the
//! bound one early runtime of `1e156` made `(y - m)^2` overflow in the global mean, and every
//! later observation of every class was refused. With `log_target` the bound is never reached
//! (`ln(f64::MAX) < 710`).
//!
//! # Log target
//! With `log_target`, every model (regression and means) works on `ln(runtime + 1e-9)`; a
//! prediction is mapped back by the delta method: `mean = exp(mu)` (the median of the
//! log-normal, minus the offset, clamped at 0) and `std_error = exp(mu) s`. The exact transformed
//! interval `exp(mu +- t s)` comes from [`RuntimeEstimator::interval`].
//!
//! # Example: learn the runtime of summarisation tasks from their input length
//! ```
//! use agentsched::estimate::{EstimatorConfig, RuntimeEstimator, Source};
//! // Features: [1 (intercept), input length in thousands of tokens].
//! let mut est = RuntimeEstimator::new(EstimatorConfig::new(2)).unwrap();
//! assert!(est.predict(7, &[1.0, 1.0]).unwrap().is_none());
//! for i in 0..40 {
//!     let kt = (i % 10) as f64;
//!     let noise = if i % 2 == 0 { 0.05 } else { -0.05 };
//!     est.observe(7, &[1.0, kt], 0.5 + 1.5 * kt + noise).unwrap();
//! }
//! let p = est.predict(7, &[1.0, 4.0]).unwrap().unwrap();
//! assert_eq!(p.source, Source::Regression);
//! assert!((p.mean - 6.5).abs() < 0.1);
//! let (lo, hi) = p.interval(0.9).unwrap();
//! assert!(lo < 6.5 && 6.5 < hi);
//! // Another class falls back to the global mean until it has data of its own.
//! assert_eq!(est.predict(8, &[1.0, 4.0]).unwrap().unwrap().source, Source::GlobalMean);
//! ```
//!
//! # Complexity
//! `observe` and `predict`: O(log C + d^2) for C classes; space O(C d^2).

use super::rls::{Prediction, Rls, RlsConfig, Source, check_level};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The offset inside the logarithm of a log target (runtimes may be 0).
pub const LOG_OFFSET: f64 = 1e-9;
/// The largest model-scale target `|y|` the estimator accepts (see the module docs): small
/// enough that `2^64` squared targets still sum below `f64::MAX`.
pub const MAX_TARGET: f64 = 1e140;
/// `2^64 MAX_TARGET^2`: no residual sum of squares of bounded targets exceeds it.
const RSS_BOUND: f64 = 18_446_744_073_709_551_616.0 * MAX_TARGET * MAX_TARGET;
/// The fewest degrees of freedom a regression answer needs; with fewer the class mean answers.
const MIN_REGRESSION_DOF: f64 = 1.0;
/// Clipping starts once a series has this many samples.
const CLIP_AFTER: u64 = 3;
/// The clipping half-width in standard deviations.
const CLIP_SDS: f64 = 4.0;

/// Configuration of a [`RuntimeEstimator`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EstimatorConfig {
    /// The regression model of each class (`rls.features` is the feature count).
    pub rls: RlsConfig,
    /// Regression is used once a class has at least this many samples (and degrees of freedom
    /// left); default `2 * features + 2`.
    pub min_samples: u64,
    /// The EW smoothing weight in `(0, 1]` (default 0.1: a memory of about 20 samples).
    pub mean_weight: f64,
    /// Model `ln(runtime + LOG_OFFSET)` instead of the runtime (see the module docs).
    pub log_target: bool,
}

impl EstimatorConfig {
    /// Defaults for `features` features: [`RlsConfig::new`], `min_samples = 2 d + 2`,
    /// `mean_weight = 0.1`, no log target.
    pub fn new(features: usize) -> Self {
        Self {
            rls: RlsConfig::new(features),
            min_samples: (features as u64).saturating_mul(2).saturating_add(2),
            mean_weight: 0.1,
            log_target: false,
        }
    }

    /// Checks the ranges.
    ///
    /// # Errors
    /// Those of [`RlsConfig::validate`]; [`Error::NotFinite`] or [`Error::InvalidConfig`] for a
    /// `mean_weight` outside `(0, 1]`.
    pub fn validate(&self) -> Result<()> {
        self.rls.validate()?;
        if !self.mean_weight.is_finite() {
            return Err(Error::NotFinite {
                field: "mean_weight",
                value: self.mean_weight,
            });
        }
        if !(self.mean_weight > 0.0 && self.mean_weight <= 1.0) {
            return Err(Error::InvalidConfig {
                field: "mean_weight",
                reason: "the EW weight must be in (0, 1]",
            });
        }
        Ok(())
    }
}

/// A robust exponentially weighted mean and variance (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct EwStats {
    n: u64,
    mean: f64,
    var: f64,
}

impl EwStats {
    const EMPTY: Self = Self {
        n: 0,
        mean: 0.0,
        var: 0.0,
    };

    /// The state after observing `y`, or `NotFinite` if it would overflow.
    fn updated(&self, y: f64, w: f64) -> Result<Self> {
        if self.n == 0 {
            return Ok(Self {
                n: 1,
                mean: y,
                var: 0.0,
            });
        }
        let a = w.max(1.0 / (self.n as f64 + 1.0));
        let y = if self.n >= CLIP_AFTER {
            let half = CLIP_SDS * self.var.sqrt().max(1e-9 * (1.0 + self.mean.abs()));
            y.clamp(self.mean - half, self.mean + half)
        } else {
            y
        };
        let diff = y - self.mean;
        let mean = self.mean + a * diff;
        let var = (1.0 - a) * (self.var + a * diff * diff);
        if !mean.is_finite() || !var.is_finite() {
            return Err(Error::NotFinite {
                field: "runtime",
                value: y,
            });
        }
        Ok(Self {
            n: self.n.saturating_add(1),
            mean,
            var,
        })
    }

    /// Degrees of freedom of the spread: `min(n, (2 - w) / w) - 1` (the effective size of an EW
    /// average with weight `w` is `(2 - w) / w`), or infinity when there is no spread yet.
    fn dof(&self, w: f64) -> f64 {
        let d = (self.n as f64).min((2.0 - w) / w) - 1.0;
        if d > 0.0 { d } else { f64::INFINITY }
    }

    fn validate(&self) -> Result<()> {
        for (field, v) in [("ew.mean", self.mean), ("ew.var", self.var)] {
            if !v.is_finite() {
                return Err(Error::NotFinite { field, value: v });
            }
        }
        if self.var < 0.0 {
            return Err(Error::Negative {
                field: "ew.var",
                value: self.var,
            });
        }
        // Beyond what observe can produce (module docs, with a factor 2 for rounding): a later
        // update could overflow. Within it, (y - m)^2 <= 9 B^2 and v + a (y - m)^2 <= 17 B^2.
        if self.mean.abs() > 2.0 * MAX_TARGET || self.var > 8.0 * MAX_TARGET * MAX_TARGET {
            return Err(Error::InvalidConfig {
                field: "ew",
                reason: "a mean beyond 2 MAX_TARGET or a variance beyond 8 MAX_TARGET^2",
            });
        }
        Ok(())
    }
}

/// The model of one task class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ClassModel {
    rls: Rls,
    ew: EwStats,
}

/// Per-class runtime models with a robust fallback (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuntimeEstimator {
    cfg: EstimatorConfig,
    classes: BTreeMap<u32, ClassModel>,
    global: EwStats,
}

impl RuntimeEstimator {
    /// An estimator with no data.
    ///
    /// # Errors
    /// Those of [`EstimatorConfig::validate`].
    pub fn new(cfg: EstimatorConfig) -> Result<Self> {
        cfg.validate()?;
        Ok(Self {
            cfg,
            classes: BTreeMap::new(),
            global: EwStats::EMPTY,
        })
    }

    fn check_features(&self, x: &[f64]) -> Result<()> {
        if x.len() != self.cfg.rls.features {
            return Err(Error::DimensionMismatch {
                field: "features",
                expected: self.cfg.rls.features,
                got: x.len(),
            });
        }
        if let Some(&v) = x.iter().find(|v| !v.is_finite()) {
            return Err(Error::NotFinite {
                field: "features",
                value: v,
            });
        }
        Ok(())
    }

    /// Learns that a task of `class` with `features` ran for `runtime`.
    ///
    /// # Arguments
    /// `class`: any id; `features`: `d` finite values; `runtime`: finite, >= 0, at most
    /// [`MAX_TARGET`] without `log_target`.
    ///
    /// # Complexity
    /// O(log C + d^2); allocates only for a new class.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] or [`Error::NotFinite`] for the features;
    /// [`Error::NotFinite`]/[`Error::Negative`] for the runtime, [`Error::TooLarge`] for a
    /// model-scale target beyond [`MAX_TARGET`]; [`Error::NotFinite`] when an update would
    /// overflow (huge features). All or nothing: on error neither the class model, its mean nor
    /// the global mean change.
    pub fn observe(&mut self, class: u32, features: &[f64], runtime: f64) -> Result<()> {
        self.check_features(features)?;
        if !runtime.is_finite() {
            return Err(Error::NotFinite {
                field: "runtime",
                value: runtime,
            });
        }
        if runtime < 0.0 {
            return Err(Error::Negative {
                field: "runtime",
                value: runtime,
            });
        }
        let y = if self.cfg.log_target {
            (runtime + LOG_OFFSET).ln()
        } else {
            runtime
        };
        // A target this large would make the squares of later updates overflow.
        if y.abs() > MAX_TARGET {
            return Err(Error::TooLarge {
                field: "runtime",
                value: runtime,
                max: MAX_TARGET,
            });
        }
        let w = self.cfg.mean_weight;
        let global = self.global.updated(y, w)?;
        match self.classes.get_mut(&class) {
            Some(m) => {
                let ew = m.ew.updated(y, w)?;
                m.rls.update(features, y)?;
                m.ew = ew;
            }
            None => {
                let ew = EwStats::EMPTY.updated(y, w)?;
                let mut rls = Rls::new(self.cfg.rls)?;
                rls.update(features, y)?;
                self.classes.insert(class, ClassModel { rls, ew });
            }
        }
        self.global = global;
        Ok(())
    }

    /// The model-scale (log scale with `log_target`) prediction, before mapping back.
    fn predict_raw(&self, class: u32, features: &[f64]) -> Result<Option<Prediction>> {
        self.check_features(features)?;
        let w = self.cfg.mean_weight;
        let spread = |s: &EwStats, source| Prediction {
            mean: s.mean,
            std_error: (s.var * (1.0 + 1.0 / s.n as f64)).sqrt(),
            dof: s.dof(w),
            source,
        };
        if let Some(m) = self.classes.get(&class) {
            if m.rls.samples() >= self.cfg.min_samples {
                match m.rls.predict(features) {
                    Ok(p) if p.dof >= MIN_REGRESSION_DOF => return Ok(Some(p)),
                    Ok(_) | Err(Error::Singular { .. } | Error::TooFewValues { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
            let mut p = spread(&m.ew, Source::ClassMean);
            if m.ew.n < 2 {
                let g = spread(&self.global, Source::ClassMean);
                p.std_error = g.std_error;
                p.dof = g.dof;
            }
            return Ok(Some(p));
        }
        if self.global.n == 0 {
            return Ok(None);
        }
        Ok(Some(spread(&self.global, Source::GlobalMean)))
    }

    /// The predicted runtime of a task of `class` with `features`, down the ladder of the module
    /// docs: regression, class mean, global mean, or `None` when nothing was observed.
    ///
    /// # Returns
    /// A [`Prediction`] on the runtime scale with its mean clamped at 0 (with `log_target`, the
    /// delta-method mapping of the module docs).
    ///
    /// # Complexity
    /// O(log C + d^2).
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] or [`Error::NotFinite`] for the features (checked even when
    /// a mean answers); [`Error::NotFinite`] if the regression overflows at these features.
    pub fn predict(&self, class: u32, features: &[f64]) -> Result<Option<Prediction>> {
        let Some(p) = self.predict_raw(class, features)? else {
            return Ok(None);
        };
        let p = if self.cfg.log_target {
            let m = p.mean.exp();
            Prediction {
                mean: m - LOG_OFFSET,
                std_error: m * p.std_error,
                ..p
            }
        } else {
            p
        };
        if !p.mean.is_finite() || !p.std_error.is_finite() {
            return Err(Error::NotFinite {
                field: "prediction",
                value: p.mean,
            });
        }
        Ok(Some(Prediction {
            mean: p.mean.max(0.0),
            ..p
        }))
    }

    /// The central predictive interval of probability `level` for a task of `class`; with
    /// `log_target` it is the exact back-transform `exp(mu +- t s) - LOG_OFFSET` of the log-scale
    /// interval (asymmetric), otherwise that of [`predict`](Self::predict)'s distribution
    /// (the mean is not clamped here). Bounds are clamped at 0.
    ///
    /// # Errors
    /// Those of [`predict`](Self::predict); [`Error::NotFinite`]/[`Error::InvalidConfig`] for a
    /// `level` outside `(0, 1)`.
    pub fn interval(&self, class: u32, features: &[f64], level: f64) -> Result<Option<(f64, f64)>> {
        let p_up = check_level(level)?;
        let Some(p) = self.predict_raw(class, features)? else {
            return Ok(None);
        };
        let q = p.factor(p_up)?;
        let (lo, hi) = (p.mean - q * p.std_error, p.mean + q * p.std_error);
        let (lo, hi) = if self.cfg.log_target {
            (lo.exp() - LOG_OFFSET, hi.exp() - LOG_OFFSET)
        } else {
            (lo, hi)
        };
        if !lo.is_finite() || !hi.is_finite() {
            return Err(Error::NotFinite {
                field: "interval",
                value: hi,
            });
        }
        Ok(Some((lo.max(0.0), hi.max(0.0))))
    }

    /// The `p` quantile of the predicted runtime of a task of `class`: with `log_target` the
    /// exact back-transform `exp(mu + t_p s) - LOG_OFFSET` of the log-scale quantile (which the
    /// delta-method [`Prediction::quantile`] of [`predict`](Self::predict) only approximates),
    /// otherwise that of `predict`'s distribution. Clamped at 0. The dispatcher's backfill
    /// guard uses it.
    ///
    /// # Errors
    /// Those of [`predict`](Self::predict); [`Error::NotFinite`]/[`Error::InvalidConfig`] for a
    /// `p` outside `(0, 1)`; [`Error::NotFinite`] (`quantile`) when the quantile is not
    /// representable: a high `p` with few degrees of freedom (a class mean of 2 samples has
    /// one: a Cauchy tail) and a log target easily exceeds `f64::MAX`.
    pub fn quantile(&self, class: u32, features: &[f64], p: f64) -> Result<Option<f64>> {
        let Some(raw) = self.predict_raw(class, features)? else {
            return Ok(None);
        };
        let q = raw.mean + raw.std_error * raw.factor(p)?;
        let q = if self.cfg.log_target {
            q.exp() - LOG_OFFSET
        } else {
            q
        };
        if !q.is_finite() {
            return Err(Error::NotFinite {
                field: "quantile",
                value: q,
            });
        }
        Ok(Some(q.max(0.0)))
    }

    /// The configuration.
    pub fn config(&self) -> &EstimatorConfig {
        &self.cfg
    }

    /// The number of classes observed.
    pub fn classes(&self) -> usize {
        self.classes.len()
    }

    /// Samples observed for `class` (0 when unknown).
    pub fn samples(&self, class: u32) -> u64 {
        self.classes.get(&class).map_or(0, |m| m.ew.n)
    }

    /// Checks an estimator that did not come from [`RuntimeEstimator::new`] and `observe` (for
    /// example deserialised from an untrusted snapshot): the config, every class's regression
    /// ([`Rls::validate`], same config as the estimator's, as many samples as its mean), and
    /// finite means and variances, within twice the bounds that [`observe`](Self::observe)
    /// keeps (module docs: `|mean| <= 2 MAX_TARGET`, `var <= 8 MAX_TARGET^2`, room for
    /// rounding), and for each regression `rss + |z|^2` (the weighted sum of squared targets,
    /// which rotations preserve) at most `2^64 MAX_TARGET^2`, so that no later update of a
    /// restored estimator overflows in the EW means, a residual or the RSS.
    ///
    /// # Errors
    /// Those of [`EstimatorConfig::validate`] and [`Rls::validate`]; [`Error::InvalidConfig`]
    /// for a class whose model disagrees with the estimator, or a mean, variance or RSS
    /// beyond those bounds; [`Error::NotFinite`] or [`Error::Negative`] for a bad mean or
    /// variance.
    pub fn validate(&self) -> Result<()> {
        self.cfg.validate()?;
        self.global.validate()?;
        let mut total = 0u64;
        for m in self.classes.values() {
            m.rls.validate()?;
            m.ew.validate()?;
            // The RSS alone is not enough: a later residual can be as large as |z|, so a
            // forged z of 1e300 would make every update of the class overflow.
            if m.rls.target_energy() > RSS_BOUND {
                return Err(Error::InvalidConfig {
                    field: "classes.rls",
                    reason: "a residual sum of squares plus |z|^2 beyond what bounded targets \
                             can produce",
                });
            }
            if *m.rls.config() != self.cfg.rls {
                return Err(Error::InvalidConfig {
                    field: "classes.rls",
                    reason: "a class model's configuration differs from the estimator's",
                });
            }
            if m.rls.samples() != m.ew.n || m.ew.n == 0 {
                return Err(Error::InvalidConfig {
                    field: "classes.samples",
                    reason: "a class's regression and mean disagree on its sample count",
                });
            }
            total = total.saturating_add(m.ew.n);
        }
        if total != self.global.n {
            return Err(Error::InvalidConfig {
                field: "global.samples",
                reason: "the global sample count is not the sum of the classes'",
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_outlier_moves_the_class_mean_little() {
        let mut est = RuntimeEstimator::new(EstimatorConfig::new(1)).unwrap();
        for i in 0..50 {
            est.observe(1, &[1.0], 10.0 + if i % 2 == 0 { 0.5 } else { -0.5 })
                .unwrap();
        }
        est.observe(1, &[1.0], 1e6).unwrap();
        let p = est.predict(2, &[1.0]).unwrap().unwrap();
        assert_eq!(p.source, Source::GlobalMean);
        assert!((p.mean - 10.0).abs() < 1.0, "{p:?}");
    }

    #[test]
    fn a_level_shift_gets_through_the_clipping() {
        let mut est = RuntimeEstimator::new(EstimatorConfig::new(1)).unwrap();
        for _ in 0..20 {
            est.observe(1, &[1.0], 5.0).unwrap();
        }
        for _ in 0..100 {
            est.observe(1, &[1.0], 50.0).unwrap();
        }
        let p = est.predict(9, &[1.0]).unwrap().unwrap();
        assert!((p.mean - 50.0).abs() < 1.0, "{p:?}");
    }
}
