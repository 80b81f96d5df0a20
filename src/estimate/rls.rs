//! Recursive least squares in square-root information form (QR-RLS), with exponential forgetting,
//! a ridge prior that does not fade, and predictive intervals.
//!
//! The model is `y = x . theta + noise`. [`Rls`] keeps the upper-triangular factor `R` of the
//! regularised, exponentially weighted information matrix
//!
//! ```text
//! R^T R = sum_i lambda^(n-i) x_i x_i^T + Lambda_n
//! ```
//!
//! and the rotated right-hand side `z` (`R^T z = sum_i lambda^(n-i) x_i y_i`). An update scales
//! `R` and `z` by `sqrt(lambda)` and annihilates the new row `[x | y]` with `d` Givens rotations:
//! no inverse and no covariance matrix is ever formed, so nothing can lose positive definiteness
//! (the classic failure of the covariance-form `P` update under forgetting). The rotated-out
//! residual `e'` gives the exact penalised residual sum of squares,
//! `RSS_n = lambda RSS_(n-1) + e'^2`, which equals
//! `min_theta sum_i lambda^(n-i) (y_i - x_i . theta)^2 + theta^T Lambda_n theta`.
//!
//! # The ridge prior under forgetting (cyclic regularisation)
//! The prior starts as `Lambda_0 = ridge * I` (`R = sqrt(ridge) I`). With `lambda < 1` it would
//! decay as `lambda^n`, and a long run on collinear features would become singular. So each
//! update also rotates in one pseudo-observation `sqrt((1 - lambda) ridge d) e_k` with target 0,
//! for `k = n mod d` (`n` = samples before the update). Forgetting removes
//! `(1 - lambda) ridge` from each diagonal entry per update; over every `d` updates each
//! coordinate gets back `(1 - lambda) ridge d` once, so the prior stays at `ridge * I` on average
//! (exactly `Lambda_n = lambda^n ridge I + sum_t lambda^(n-t) (1 - lambda) ridge d e_k(t) e_k(t)^T`).
//! With `lambda = 1` nothing decays and no row is added, so the fit is exactly batch ridge
//! regression.
//!
//! # Intervals
//! `sigma^2 = RSS / (n_eff - d)` with `n_eff = sum_i lambda^(n-i)`; the predictive standard
//! deviation at `x` is `sigma sqrt(1 + |R^-T x|^2)` and the predictive distribution is Student t
//! with `n_eff - d` degrees of freedom (fractional under forgetting).
//!
//! References: S. Haykin, *Adaptive Filter Theory*, 4th ed., ch. 13 (QR-decomposition-based RLS);
//! A. H. Sayed, *Fundamentals of Adaptive Filtering* (2003), ch. 12 (array/square-root forms).

use super::stats::{normal_quantile, t_quantile};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

/// A diagonal entry of `R` below this fraction of the largest one makes the system singular.
const SINGULAR_RATIO: f64 = 1e-12;

/// Configuration of a recursive least-squares model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RlsConfig {
    /// Number of features `d` (at least 1). Include a constant 1 feature for an intercept.
    pub features: usize,
    /// Forgetting factor `lambda` in `(0, 1]`; 1 means no forgetting. The effective memory is
    /// about `1 / (1 - lambda)` samples.
    pub forgetting: f64,
    /// Ridge penalty (>= 0, finite) on every coefficient; kept constant under forgetting.
    pub ridge: f64,
}

impl RlsConfig {
    /// `features` features, no forgetting, ridge `1e-6`.
    pub fn new(features: usize) -> Self {
        Self {
            features,
            forgetting: 1.0,
            ridge: 1e-6,
        }
    }

    /// Checks the ranges.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for 0 features or more than 4096 (the `d^2` state must stay
    /// reasonable), or forgetting outside `(0, 1]`; [`Error::NotFinite`] for NaN or infinite
    /// forgetting or ridge; [`Error::Negative`] for a negative ridge.
    pub fn validate(&self) -> Result<()> {
        if self.features == 0 {
            return Err(Error::InvalidConfig {
                field: "features",
                reason: "at least one feature is needed",
            });
        }
        if self.features > 4096 {
            return Err(Error::InvalidConfig {
                field: "features",
                reason: "at most 4096 features are supported",
            });
        }
        if !self.forgetting.is_finite() {
            return Err(Error::NotFinite {
                field: "forgetting",
                value: self.forgetting,
            });
        }
        if !(self.forgetting > 0.0 && self.forgetting <= 1.0) {
            return Err(Error::InvalidConfig {
                field: "forgetting",
                reason: "the forgetting factor must be in (0, 1]",
            });
        }
        if !self.ridge.is_finite() {
            return Err(Error::NotFinite {
                field: "ridge",
                value: self.ridge,
            });
        }
        if self.ridge < 0.0 {
            return Err(Error::Negative {
                field: "ridge",
                value: self.ridge,
            });
        }
        Ok(())
    }
}

/// Where a prediction comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Source {
    /// The class's regression model.
    Regression,
    /// The class's exponentially weighted mean (too few samples, or singular features).
    ClassMean,
    /// The exponentially weighted mean over all classes (the class is unknown).
    GlobalMean,
}

/// A predictive distribution: `mean + std_error * T` with `T` Student t with `dof` degrees of
/// freedom (`dof = f64::INFINITY`: normal).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// The point prediction.
    pub mean: f64,
    /// The predictive standard deviation, including the noise of a new observation.
    pub std_error: f64,
    /// Degrees of freedom of the t distribution (`f64::INFINITY` for a normal).
    pub dof: f64,
    /// Which model produced it.
    pub source: Source,
}

impl Prediction {
    /// The `p` quantile of the predictive distribution.
    ///
    /// # Errors
    /// [`Error::NotFinite`] or [`Error::InvalidConfig`] for `p` outside `(0, 1)`;
    /// [`Error::NotFinite`] when the quantile is beyond the range of `f64` (a Student t with a
    /// tiny fractional `dof`, which forgetting can produce, has quantiles near `1e300` and
    /// beyond) or the prediction is invalid (a non-finite mean or standard error, or a NaN
    /// `dof`); [`Error::Negative`] for a negative standard error and [`Error::NotPositive`] for
    /// a `dof` that is not positive (`-inf` included).
    pub fn quantile(&self, p: f64) -> Result<f64> {
        let q = self.mean + self.std_error * self.factor(p)?;
        finite_value("prediction quantile", q)
    }

    /// The central interval holding probability `level`: `(quantile((1-level)/2),
    /// quantile((1+level)/2))`.
    ///
    /// # Errors
    /// [`Error::NotFinite`] or [`Error::InvalidConfig`] for `level` outside `(0, 1)`; as
    /// [`Prediction::quantile`] when a bound is beyond the range of `f64` or the prediction is
    /// invalid.
    pub fn interval(&self, level: f64) -> Result<(f64, f64)> {
        let q = self.factor(check_level(level)?)?;
        Ok((
            finite_value("prediction interval", self.mean - self.std_error * q)?,
            finite_value("prediction interval", self.mean + self.std_error * q)?,
        ))
    }

    /// The standardised quantile for the upper probability `p`. Checks the prediction itself
    /// too, since its fields are public: a `dof` of `-inf` must not pass for a normal.
    pub(crate) fn factor(&self, p: f64) -> Result<f64> {
        finite_value("prediction.mean", self.mean)?;
        finite_value("prediction.std_error", self.std_error)?;
        if self.std_error < 0.0 {
            return Err(Error::Negative {
                field: "prediction.std_error",
                value: self.std_error,
            });
        }
        if self.dof.is_nan() {
            return Err(Error::NotFinite {
                field: "prediction.dof",
                value: self.dof,
            });
        }
        if self.dof <= 0.0 {
            return Err(Error::NotPositive {
                field: "prediction.dof",
                value: self.dof,
            });
        }
        if self.dof.is_infinite() {
            normal_quantile(p)
        } else {
            t_quantile(p, self.dof)
        }
    }
}

fn finite_value(field: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(Error::NotFinite { field, value })
    }
}

/// Checks an interval level and returns the upper probability `(1 + level) / 2`.
pub(crate) fn check_level(level: f64) -> Result<f64> {
    if !level.is_finite() {
        return Err(Error::NotFinite {
            field: "level",
            value: level,
        });
    }
    if !(level > 0.0 && level < 1.0) {
        return Err(Error::InvalidConfig {
            field: "level",
            reason: "an interval level must be in (0, 1)",
        });
    }
    Ok(0.5 + 0.5 * level)
}

/// Work space for an update; never part of the model's value.
#[derive(Debug, Clone, Default)]
struct Scratch {
    r: Vec<f64>,
    z: Vec<f64>,
    row: Vec<f64>,
}

impl PartialEq for Scratch {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// An online linear regression by recursive least squares (square-root information form).
///
/// # Complexity
/// [`update`](Rls::update): O(d^2) time, no allocation (after the first update of a deserialised
/// model). [`predict`](Rls::predict): O(d^2) (one triangular solve), no allocation for `d <= 32`.
/// [`coefficients`](Rls::coefficients): O(d^2). Space: `3 d^2 + O(d)` floats.
///
/// # Example: fit a line
/// ```
/// use agentsched::estimate::{Rls, RlsConfig};
/// let mut rls = Rls::new(RlsConfig::new(2)).unwrap();
/// for (x, y) in [(0.0, 1.0), (1.0, 3.1), (2.0, 4.9), (3.0, 7.0)] {
///     rls.update(&[1.0, x], y).unwrap(); // a constant feature for the intercept
/// }
/// let theta = rls.coefficients().unwrap();
/// assert!((theta[0] - 1.0).abs() < 0.1 && (theta[1] - 2.0).abs() < 0.1);
/// let p = rls.predict(&[1.0, 4.0]).unwrap();
/// let (lo, hi) = p.interval(0.95).unwrap();
/// assert!(lo < p.mean && p.mean < hi);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rls {
    cfg: RlsConfig,
    /// `R`, row-major `d x d`, zero below the diagonal, non-negative diagonal.
    r: Vec<f64>,
    /// The rotated right-hand side.
    z: Vec<f64>,
    /// Penalised weighted residual sum of squares.
    rss: f64,
    /// Observations taken.
    samples: u64,
    /// `sum_i lambda^(n-i)`.
    n_eff: f64,
    #[serde(skip)]
    scratch: Scratch,
}

/// Rotates the row `(row[start..], y)` into `(r, z)` with Givens rotations; returns the
/// rotated-out residual and a poison value that is 0 when every new entry is finite (NaN
/// otherwise: `v * 0` is 0 exactly for finite `v`, so checking costs no extra pass).
/// `row` has length `d`; entries before `start` must be zero.
#[inline]
fn annihilate(
    r: &mut [f64],
    z: &mut [f64],
    row: &mut [f64],
    mut y: f64,
    start: usize,
) -> (f64, f64) {
    let d = z.len();
    let mut poison = 0.0;
    for k in start..d {
        let b = row[k];
        if b == 0.0 {
            continue;
        }
        let rk = &mut r[k * d..(k + 1) * d];
        let a = rk[k];
        let h = givens_radius(a, b);
        let (c, s) = cos_sin(a, b, h);
        rk[k] = h;
        poison += h * 0.0;
        for (rkj, xj) in rk[k + 1..].iter_mut().zip(&mut row[k + 1..]) {
            let (u, v) = (*rkj, *xj);
            let n = c * u + s * v;
            *rkj = n;
            *xj = c * v - s * u;
            poison += n * 0.0;
        }
        let (u, v) = (z[k], y);
        z[k] = c * u + s * v;
        y = c * v - s * u;
        poison += z[k] * 0.0;
    }
    (y, poison)
}

/// [`annihilate`] fused with the copy and the forgetting: rotates `(row, y)` into
/// `(sq * src_r, sq * src_z)` and writes the result to `(dst_r, dst_z)`, reading each entry of the
/// old factor once. `dst_r`'s lower triangle must already be zero.
#[inline]
#[allow(clippy::too_many_arguments)] // two factor/rhs pairs, the row and the scale: all needed
fn annihilate_into(
    src_r: &[f64],
    src_z: &[f64],
    sq: f64,
    dst_r: &mut [f64],
    dst_z: &mut [f64],
    row: &mut [f64],
    mut y: f64,
) -> (f64, f64) {
    let d = src_z.len();
    let mut poison = 0.0;
    for k in 0..d {
        let src = &src_r[k * d + k..(k + 1) * d];
        let dst = &mut dst_r[k * d + k..(k + 1) * d];
        let b = row[k];
        if b == 0.0 {
            for (o, &i) in dst.iter_mut().zip(src) {
                *o = sq * i;
            }
            dst_z[k] = sq * src_z[k];
            continue;
        }
        let a = sq * src[0];
        let h = givens_radius(a, b);
        let (c, s) = cos_sin(a, b, h);
        // The old entries are scaled by sq on the fly.
        let cs = c * sq;
        let ss = s * sq;
        dst[0] = h;
        poison += h * 0.0;
        for ((o, &u), xj) in dst[1..].iter_mut().zip(&src[1..]).zip(&mut row[k + 1..]) {
            let v = *xj;
            let n = cs * u + s * v;
            *o = n;
            *xj = c * v - ss * u;
            poison += n * 0.0;
        }
        let u = src_z[k];
        let n = cs * u + s * y;
        dst_z[k] = n;
        y = c * y - ss * u;
        poison += n * 0.0;
    }
    (y, poison)
}

/// `sqrt(a² + b²)` for a Givens rotation: the plain formula in the hot loop, `hypot` only when
/// the squares underflow or overflow (tiny features with no ridge, or magnitudes near 1e154),
/// which would otherwise turn a valid observation into 0/0 or inf.
#[inline]
fn givens_radius(a: f64, b: f64) -> f64 {
    let sq = a * a + b * b;
    if sq > 1e-290 && sq < 1e290 {
        sq.sqrt()
    } else {
        a.hypot(b)
    }
}

/// The rotation's cosine and sine, `(a / h, b / h)`. One reciprocal and two products are
/// cheaper than two divisions, but the reciprocal of a subnormal radius overflows to infinity
/// (and `0 * inf` is NaN), so that case divides.
#[inline]
fn cos_sin(a: f64, b: f64, h: f64) -> (f64, f64) {
    if h >= f64::MIN_POSITIVE {
        let inv = 1.0 / h;
        (a * inv, b * inv)
    } else {
        (a / h, b / h)
    }
}

impl Rls {
    /// A model with no data: `R = sqrt(ridge) I`, `z = 0`.
    ///
    /// # Errors
    /// Those of [`RlsConfig::validate`].
    pub fn new(cfg: RlsConfig) -> Result<Self> {
        cfg.validate()?;
        let d = cfg.features;
        let mut r = vec![0.0; d * d];
        let s = cfg.ridge.sqrt();
        for k in 0..d {
            r[k * d + k] = s;
        }
        Ok(Self {
            cfg,
            r,
            z: vec![0.0; d],
            rss: 0.0,
            samples: 0,
            n_eff: 0.0,
            scratch: Scratch::default(),
        })
    }

    fn check_x(&self, x: &[f64]) -> Result<()> {
        // A deserialised model that skipped `validate` must not make the solves index out of
        // bounds.
        let d = self.cfg.features;
        if self.r.len() != d.saturating_mul(d) || self.z.len() != d {
            return Err(Error::DimensionMismatch {
                field: "rls state",
                expected: d,
                got: self.z.len(),
            });
        }
        if x.len() != self.cfg.features {
            return Err(Error::DimensionMismatch {
                field: "features",
                expected: self.cfg.features,
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

    /// Adds the observation `(x, y)`.
    ///
    /// # Arguments
    /// `x`: `d` finite features; `y`: the finite target.
    ///
    /// # Complexity
    /// O(d^2) time (`d` Givens rotations on rows of `R`, plus one for the ridge row when
    /// `lambda < 1`); allocation-free.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] for a wrong length; [`Error::NotFinite`] for a NaN or
    /// infinite input, or when the update would overflow (huge values): then nothing changes.
    pub fn update(&mut self, x: &[f64], y: f64) -> Result<()> {
        self.check_x(x)?;
        if !y.is_finite() {
            return Err(Error::NotFinite {
                field: "target",
                value: y,
            });
        }
        let d = self.cfg.features;
        let lambda = self.cfg.forgetting;
        let sc = &mut self.scratch;
        if sc.r.len() != d * d {
            sc.r.resize(d * d, 0.0);
            sc.z.resize(d, 0.0);
            sc.row.resize(d, 0.0);
        }
        sc.row.copy_from_slice(x);
        let (e, mut poison) = annihilate_into(
            &self.r,
            &self.z,
            lambda.sqrt(),
            &mut sc.r,
            &mut sc.z,
            &mut sc.row,
            y,
        );
        let mut rss = lambda * self.rss + e * e;
        if lambda < 1.0 && self.cfg.ridge > 0.0 {
            let k = (self.samples % d as u64) as usize;
            sc.row.fill(0.0);
            sc.row[k] = ((1.0 - lambda) * self.cfg.ridge * d as f64).sqrt();
            let (e, p) = annihilate(&mut sc.r, &mut sc.z, &mut sc.row, 0.0, k);
            rss += e * e;
            poison += p;
        }
        let n_eff = lambda * self.n_eff + 1.0;
        // Entries the rotations did not touch are scaled copies of finite ones (lambda <= 1).
        if !rss.is_finite() || poison != 0.0 {
            return Err(Error::NotFinite {
                field: "rls update",
                value: rss,
            });
        }
        std::mem::swap(&mut self.r, &mut sc.r);
        std::mem::swap(&mut self.z, &mut sc.z);
        self.rss = rss;
        self.n_eff = n_eff;
        self.samples = self.samples.saturating_add(1);
        Ok(())
    }

    /// Fails when a diagonal entry of `R` is zero or tiny relative to the largest.
    fn check_singular(&self) -> Result<()> {
        let d = self.cfg.features;
        let diag = (0..d).map(|k| self.r[k * d + k].abs());
        let max = diag.clone().fold(0.0, f64::max);
        if max == 0.0 || diag.into_iter().any(|v| v <= SINGULAR_RATIO * max) {
            return Err(Error::Singular {
                field: "rls",
                reason: "features are linearly dependent; add ridge or data",
            });
        }
        Ok(())
    }

    /// The coefficients `theta` solving `R theta = z` (the ridge / weighted least-squares fit).
    ///
    /// # Complexity
    /// O(d^2) (back substitution).
    ///
    /// # Errors
    /// [`Error::Singular`] when the features seen so far do not determine the coefficients
    /// (too few samples without ridge, or linearly dependent features).
    pub fn coefficients(&self) -> Result<Vec<f64>> {
        self.check_singular()?;
        let d = self.cfg.features;
        let mut theta = vec![0.0; d];
        for k in (0..d).rev() {
            let row = &self.r[k * d..(k + 1) * d];
            let s: f64 = row[k + 1..]
                .iter()
                .zip(&theta[k + 1..])
                .map(|(a, b)| a * b)
                .sum();
            theta[k] = (self.z[k] - s) / row[k];
        }
        if let Some(&v) = theta.iter().find(|v| !v.is_finite()) {
            return Err(Error::NotFinite {
                field: "coefficients",
                value: v,
            });
        }
        Ok(theta)
    }

    /// The predictive distribution of a new observation at `x`: mean `x . theta`, standard
    /// deviation `sigma sqrt(1 + |R^-T x|^2)`, Student t with `n_eff - d` degrees of freedom.
    ///
    /// # Complexity
    /// O(d^2) (one forward substitution gives both the mean, `u . z` with `u = R^-T x`, and the
    /// variance); no allocation for `d <= 32`.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`]/[`Error::NotFinite`] for a bad `x`; [`Error::Singular`] as for
    /// [`coefficients`](Rls::coefficients); [`Error::TooFewValues`] while `n_eff <= d` (no
    /// degrees of freedom for the noise); [`Error::NotFinite`] if the result overflows.
    pub fn predict(&self, x: &[f64]) -> Result<Prediction> {
        self.check_x(x)?;
        self.check_singular()?;
        let d = self.cfg.features;
        let dof = self.n_eff - d as f64;
        if dof.is_nan() || dof <= 0.0 {
            return Err(Error::TooFewValues {
                field: "rls",
                needed: d + 1,
                got: usize::try_from(self.samples).unwrap_or(usize::MAX),
            });
        }
        // Row-oriented forward substitution (R^T u = x): after u[k] is known, its contribution
        // is removed from the remaining right-hand side along row k of R (contiguous).
        let mut u: SmallVec<[f64; 32]> = SmallVec::from_slice(x);
        for k in 0..d {
            let row = &self.r[k * d + k..(k + 1) * d];
            let uk = u[k] / row[0];
            u[k] = uk;
            for (uj, &rkj) in u[k + 1..].iter_mut().zip(&row[1..]) {
                *uj -= rkj * uk;
            }
        }
        let mean: f64 = u.iter().zip(&self.z).map(|(a, b)| a * b).sum();
        let lev: f64 = u.iter().map(|v| v * v).sum();
        let sigma2 = self.rss / dof;
        let std_error = (sigma2 * (1.0 + lev)).sqrt();
        if !mean.is_finite() || !std_error.is_finite() {
            return Err(Error::NotFinite {
                field: "prediction",
                value: if mean.is_finite() { std_error } else { mean },
            });
        }
        Ok(Prediction {
            mean,
            std_error,
            dof,
            source: Source::Regression,
        })
    }

    /// Observations taken.
    pub fn samples(&self) -> u64 {
        self.samples
    }

    /// The effective sample count `sum_i lambda^(n-i)` (equals `samples` without forgetting).
    pub fn effective_samples(&self) -> f64 {
        self.n_eff
    }

    /// The penalised weighted residual sum of squares (see the module docs).
    pub fn residual_sum_of_squares(&self) -> f64 {
        self.rss
    }

    /// `rss + |z|^2`: the weighted sum of squared targets seen (ridge rows have target 0), which
    /// orthogonal rotations preserve, so it bounds every later residual. `+inf` when it
    /// overflows.
    pub(crate) fn target_energy(&self) -> f64 {
        self.rss + self.z.iter().map(|v| v * v).sum::<f64>()
    }

    /// The configuration.
    pub fn config(&self) -> &RlsConfig {
        &self.cfg
    }

    /// Checks a model that did not come from [`Rls::new`] and updates (for example, deserialised
    /// from an untrusted snapshot): a valid config, `R` of length `d^2`, upper triangular with a
    /// non-negative diagonal, `z` of length `d`, every entry finite, a finite non-negative RSS
    /// and `0 <= n_eff <= min(samples, 1 / (1 - forgetting))`.
    ///
    /// # Errors
    /// Those of [`RlsConfig::validate`]; [`Error::DimensionMismatch`] for wrong lengths;
    /// [`Error::NotFinite`], [`Error::Negative`] or [`Error::InvalidConfig`] for bad entries.
    pub fn validate(&self) -> Result<()> {
        self.cfg.validate()?;
        let d = self.cfg.features;
        if self.r.len() != d * d {
            return Err(Error::DimensionMismatch {
                field: "rls.r",
                expected: d * d,
                got: self.r.len(),
            });
        }
        if self.z.len() != d {
            return Err(Error::DimensionMismatch {
                field: "rls.z",
                expected: d,
                got: self.z.len(),
            });
        }
        if let Some(&v) = self.r.iter().chain(&self.z).find(|v| !v.is_finite()) {
            return Err(Error::NotFinite {
                field: "rls state",
                value: v,
            });
        }
        for i in 0..d {
            if self.r[i * d + i] < 0.0 {
                return Err(Error::Negative {
                    field: "rls.r diagonal",
                    value: self.r[i * d + i],
                });
            }
            if self.r[i * d..i * d + i].iter().any(|&v| v != 0.0) {
                return Err(Error::InvalidConfig {
                    field: "rls.r",
                    reason: "R must be upper triangular",
                });
            }
        }
        for (field, v) in [("rls.rss", self.rss), ("rls.n_eff", self.n_eff)] {
            if !v.is_finite() {
                return Err(Error::NotFinite { field, value: v });
            }
            if v < 0.0 {
                return Err(Error::Negative { field, value: v });
            }
        }
        if self.n_eff > self.samples as f64 * (1.0 + 1e-12) {
            return Err(Error::InvalidConfig {
                field: "rls.n_eff",
                reason: "the effective sample count exceeds the sample count",
            });
        }
        // sum_{i<n} lambda^i = (1 - lambda^n) / (1 - lambda) < 1 / (1 - lambda): a larger count
        // would overstate the degrees of freedom and narrow every interval.
        let lambda = self.cfg.forgetting;
        if lambda < 1.0 && self.n_eff > (1.0 + 1e-9) / (1.0 - lambda) {
            return Err(Error::InvalidConfig {
                field: "rls.n_eff",
                reason: "the effective sample count exceeds 1 / (1 - forgetting)",
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SplitMix64;

    #[test]
    fn cyclic_ridge_keeps_collinear_features_solvable_under_forgetting() {
        let mut rls = Rls::new(RlsConfig {
            features: 3,
            forgetting: 0.99,
            ridge: 1e-3,
        })
        .unwrap();
        let mut rng = SplitMix64(7);
        for _ in 0..100_000 {
            let x = rng.unit() * 10.0;
            // The second and third features are exact copies of the first.
            rls.update(&[x, x, 2.0 * x], 3.0 * x + rng.unit()).unwrap();
        }
        let p = rls.predict(&[1.0, 1.0, 2.0]).unwrap();
        assert!(p.mean.is_finite() && p.std_error.is_finite());
        assert!((p.mean - 3.5).abs() < 1.0, "{p:?}");
        let theta = rls.coefficients().unwrap();
        assert!(theta.iter().all(|t| t.is_finite()));
        rls.validate().unwrap();
    }

    #[test]
    fn without_ridge_the_first_samples_are_singular() {
        let mut rls = Rls::new(RlsConfig {
            features: 2,
            forgetting: 1.0,
            ridge: 0.0,
        })
        .unwrap();
        assert!(matches!(rls.coefficients(), Err(Error::Singular { .. })));
        rls.update(&[1.0, 1.0], 2.0).unwrap();
        assert!(matches!(rls.coefficients(), Err(Error::Singular { .. })));
        rls.update(&[1.0, 2.0], 3.0).unwrap();
        let t = rls.coefficients().unwrap();
        assert!((t[0] - 1.0).abs() < 1e-12 && (t[1] - 1.0).abs() < 1e-12);
        // Two points, two coefficients: no degrees of freedom for the noise.
        assert!(matches!(
            rls.predict(&[1.0, 0.0]),
            Err(Error::TooFewValues { .. })
        ));
    }

    #[test]
    fn overflow_leaves_the_model_unchanged() {
        let mut rls = Rls::new(RlsConfig::new(2)).unwrap();
        rls.update(&[1.0, 2.0], 3.0).unwrap();
        let before = rls.clone();
        // A residual whose square overflows.
        assert!(matches!(
            rls.update(&[1.0, 1.0], 1e300),
            Err(Error::NotFinite { .. })
        ));
        assert_eq!(rls, before);
        assert_eq!(rls.r, before.r);
    }

    #[test]
    fn validate_rejects_a_lower_triangle() {
        let mut rls = Rls::new(RlsConfig::new(2)).unwrap();
        rls.r[2] = 1.0;
        assert!(rls.validate().is_err());
    }
}
