//! Learned runtimes in the dispatcher: tasks that name a class are ordered (shortest job first)
//! and backfilled by their predicted runtime, and completions teach the model.

use super::task::{TaskSpec, TaskState};
use super::{Dispatcher, Place};
use crate::estimate::{EstimatorConfig, RuntimeEstimator, Source};
use crate::model::TaskId;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// How the dispatcher estimates runtimes (see [`Dispatcher::set_estimation`]).
///
/// With it, a task that names a [`TaskSpec::class`] (and gives its
/// [`TaskSpec::features`]) is given the estimator's predicted runtime instead of its declared
/// `duration` wherever the dispatcher uses a duration: the queue order (shortest job first and
/// the tie-break of priority order), the expected ends of assignments, the shadow time of a
/// backfill reservation, and the check that a backfilled task ends before that shadow time.
/// Tasks without a class keep their declared duration. Until the estimator has seen any
/// completion, predictions fall back to the declared duration too.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EstimationConfig {
    /// The runtime model: features per task, forgetting, ridge, fallback.
    pub estimator: EstimatorConfig,
    /// Whether completions of classed tasks teach the model (their runtime on the agent, scaled
    /// to a speed-1 agent).
    pub learn: bool,
    /// The quantile of a task's predicted runtime that must end before a reservation's shadow
    /// time for the task to be backfilled onto the reserved agent, in `[0.5, 1)`. `None` uses
    /// the point estimate. A high quantile protects the reserved task from optimistic
    /// predictions, at the price of fewer backfills.
    pub backfill_quantile: Option<f64>,
}

impl EstimationConfig {
    /// Learning on, point estimates for backfill, `features` numeric features per task.
    pub fn new(features: usize) -> Self {
        EstimationConfig {
            estimator: EstimatorConfig::new(features),
            learn: true,
            backfill_quantile: None,
        }
    }

    /// Checks the estimator's configuration and the backfill quantile.
    ///
    /// # Errors
    /// The estimator's errors; [`Error::NotFinite`] or [`Error::InvalidConfig`]
    /// (`estimation.backfill_quantile`) for a quantile outside `[0.5, 1)`.
    pub fn validate(&self) -> Result<()> {
        self.estimator.validate()?;
        if let Some(q) = self.backfill_quantile {
            if !q.is_finite() {
                return Err(Error::NotFinite {
                    field: "estimation.backfill_quantile",
                    value: q,
                });
            }
            if !(0.5..1.0).contains(&q) {
                return Err(Error::InvalidConfig {
                    field: "estimation.backfill_quantile",
                    reason: "must be in [0.5, 1)",
                });
            }
        }
        Ok(())
    }
}

/// The [`RuntimeEstimate::guard`] of a task whose backfill quantile is not representable
/// (`f64::MAX`, so that snapshots stay finite): no reservation's shadow time is ever late
/// enough for it.
pub const UNBOUNDED_GUARD: f64 = f64::MAX;

/// The runtime the dispatcher works with for a task, fixed when it was submitted (or last
/// refreshed by [`Dispatcher::refresh_estimates`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RuntimeEstimate {
    /// Point estimate on a speed-1 agent: the queue order, expected ends and shadow times use
    /// it.
    pub duration: f64,
    /// What backfill checks against a reservation's shadow time: the configured quantile of
    /// the prediction (never below `duration`), or `duration`; [`UNBOUNDED_GUARD`] when that
    /// quantile is beyond `f64::MAX` or the prediction has no spread yet (fewer than two
    /// runtimes observed), and then the task is never backfilled onto a reserved agent.
    pub guard: f64,
    /// Where the estimate came from; `None` is the task's declared duration.
    pub source: Option<Source>,
}

impl RuntimeEstimate {
    pub(super) fn declared(duration: f64) -> Self {
        RuntimeEstimate {
            duration,
            guard: duration,
            source: None,
        }
    }

    /// Checks a restored estimate: finite, non-negative, `guard >= duration`.
    pub(super) fn validate(&self, task: TaskId) -> Result<()> {
        let ok = self.duration.is_finite()
            && self.guard.is_finite()
            && self.duration >= 0.0
            && self.guard >= self.duration;
        if ok {
            Ok(())
        } else {
            Err(Error::InvalidSnapshot {
                reason: format!(
                    "{task}: runtime estimate must be finite, non-negative, guard >= duration"
                ),
            })
        }
    }
}

/// Checks a task's class and features against the estimation policy; `Ok(None)` when the
/// task takes no part in estimation.
fn classed<'a>(cfg: &EstimationConfig, spec: &'a TaskSpec) -> Result<Option<(u32, &'a [f64])>> {
    let Some(class) = spec.class else {
        return Ok(None);
    };
    let want = cfg.estimator.rls.features;
    if spec.features.len() != want {
        return Err(Error::DimensionMismatch {
            field: "task.features",
            expected: want,
            got: spec.features.len(),
        });
    }
    if let Some(&value) = spec.features.iter().find(|v| !v.is_finite()) {
        return Err(Error::NotFinite {
            field: "task.features",
            value,
        });
    }
    Ok(Some((class, &spec.features)))
}

impl Dispatcher {
    /// The runtime estimator, when estimation is enabled.
    pub fn estimator(&self) -> Option<&RuntimeEstimator> {
        self.estimator.as_ref()
    }

    /// The runtime estimate a live task is scheduled with; `None` for unknown or finished
    /// tasks.
    pub fn runtime_estimate(&self, id: TaskId) -> Option<RuntimeEstimate> {
        match self.ids.get(&id)? {
            Place::Live(s) => self.rec(*s).map(|r| r.estimate),
            _ => None,
        }
    }

    /// Enables (with a fresh model), replaces, or (with `None`) disables runtime estimation.
    ///
    /// Live tasks keep the estimates they have until [`Dispatcher::refresh_estimates`]; a
    /// replaced model starts with no observations (to change only `learn` or
    /// `backfill_quantile` and keep the model, use [`Dispatcher::set_estimation_policy`]).
    ///
    /// # Errors
    /// [`EstimationConfig::validate`]'s errors; nothing changes on error.
    pub fn set_estimation(&mut self, estimation: Option<EstimationConfig>) -> Result<()> {
        let estimator = match &estimation {
            Some(cfg) => {
                cfg.validate()?;
                Some(RuntimeEstimator::new(cfg.estimator.clone())?)
            }
            None => None,
        };
        self.config.estimation = estimation;
        self.estimator = estimator;
        Ok(())
    }

    /// Changes whether completions teach the model and the backfill quantile, keeping the
    /// learned model (unlike [`Dispatcher::set_estimation`], which starts a fresh one).
    ///
    /// Live tasks keep the guards they have until [`Dispatcher::refresh_estimates`].
    ///
    /// # Arguments
    /// `learn`: as [`EstimationConfig::learn`]; `backfill_quantile`: as
    /// [`EstimationConfig::backfill_quantile`], in `[0.5, 1)` or `None`.
    ///
    /// # Complexity
    /// O(1).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] (`estimation`) when estimation is off;
    /// [`EstimationConfig::validate`]'s errors for the quantile. Nothing changes on error.
    ///
    /// # Example
    /// ```
    /// use agentsched::online::{Dispatcher, DispatcherConfig, EstimationConfig};
    /// use agentsched::resources::Schema;
    /// let mut d = Dispatcher::new(Schema::new(["cpu"]).unwrap(), DispatcherConfig::default())
    ///     .unwrap();
    /// assert!(d.set_estimation_policy(false, None).is_err()); // estimation is off
    /// d.set_estimation(Some(EstimationConfig::new(1))).unwrap();
    /// d.set_estimation_policy(false, Some(0.9)).unwrap();
    /// let e = d.config().estimation.as_ref().unwrap();
    /// assert_eq!((e.learn, e.backfill_quantile), (false, Some(0.9)));
    /// ```
    pub fn set_estimation_policy(
        &mut self,
        learn: bool,
        backfill_quantile: Option<f64>,
    ) -> Result<()> {
        let Some(cfg) = &self.config.estimation else {
            return Err(Error::InvalidConfig {
                field: "estimation",
                reason: "estimation is off: enable it with set_estimation",
            });
        };
        let next = EstimationConfig {
            learn,
            backfill_quantile,
            ..cfg.clone()
        };
        next.validate()?;
        self.config.estimation = Some(next);
        Ok(())
    }

    /// The estimate a task would be scheduled with now, from its spec and declared duration.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`]/[`Error::NotFinite`] (`task.features`) for a classed task
    /// whose features do not match the model; the estimator's prediction errors.
    pub(super) fn estimate_spec(&self, spec: &TaskSpec, declared: f64) -> Result<RuntimeEstimate> {
        let (Some(cfg), Some(est)) = (&self.config.estimation, &self.estimator) else {
            return Ok(RuntimeEstimate::declared(declared));
        };
        let Some((class, features)) = classed(cfg, spec)? else {
            return Ok(RuntimeEstimate::declared(declared));
        };
        // The features were checked above, so a failed prediction is numerical (leverage
        // overflowing at huge features, or a mean beyond f64): the task is ordered by its
        // declared duration, but, as with an unrepresentable quantile, backfill fails closed,
        // since the model had data and that data may say the task is long. A class never seen
        // keeps its declared duration as is: other classes' mean says nothing about it.
        let failed = RuntimeEstimate {
            guard: UNBOUNDED_GUARD,
            ..RuntimeEstimate::declared(declared)
        };
        let p = match est.predict(class, features) {
            Ok(Some(p)) => p,
            Ok(None) => return Ok(RuntimeEstimate::declared(declared)),
            Err(_) => return Ok(failed),
        };
        if p.source == Source::GlobalMean {
            return Ok(RuntimeEstimate::declared(declared));
        }
        let duration = p.mean.max(0.0);
        if !duration.is_finite() {
            return Ok(failed);
        }
        let guard = match cfg.backfill_quantile {
            // The estimator's quantile is exact on the runtime scale, log target included. One
            // beyond f64::MAX (few degrees of freedom, a high quantile, a log target) fails
            // closed: the point estimate still orders the queue, but the task is never
            // backfilled onto a reserved agent (falling back to the declared duration would
            // let a task predicted to run for hours jump a reservation because it claimed 1 s).
            //
            // A prediction with no spread at all (zero standard error and infinite degrees of
            // freedom: fewer than two runtimes seen in the whole estimator) says nothing about
            // its upper tail; its "quantile" would be the single runtime seen, so it fails
            // closed too, until a second observation gives a spread.
            Some(_) if p.std_error == 0.0 && p.dof.is_infinite() => UNBOUNDED_GUARD,
            Some(q) => match est.quantile(class, features, q) {
                Ok(Some(g)) if g.is_finite() => g,
                _ => UNBOUNDED_GUARD,
            },
            None => duration,
        };
        let guard = guard.max(duration);
        Ok(RuntimeEstimate {
            duration,
            guard,
            source: Some(p.source),
        })
    }

    /// Re-predicts the runtime of every live classed task from the model as it is now, and
    /// reorders the queue accordingly. Returns how many estimates changed.
    ///
    /// Estimates are otherwise fixed at submission, so that the queue order does not shift
    /// under the host's feet at every completion; call this when the model has learned enough
    /// to matter (every few hundred completions, say).
    ///
    /// # Complexity
    /// O(t (d² + log t)) for `t` live tasks and `d` features.
    pub fn refresh_estimates(&mut self) -> usize {
        let mut changed = 0;
        for slot in 0..self.tasks.len() as u32 {
            let Some(r) = self.rec(slot) else { continue };
            if r.spec.class.is_none() {
                continue;
            }
            // A task whose features no longer fit the model (the estimation was replaced by
            // one with another feature count) goes back to its declared duration.
            let e = self
                .estimate_spec(&r.spec, r.spec.duration)
                .unwrap_or(RuntimeEstimate::declared(r.spec.duration));
            if e == r.estimate {
                continue;
            }
            // Cannot fail: the slot is a live task known to the queue, the duration finite.
            if self.queue.change_duration(slot, e.duration).is_ok()
                && let Some(r) = self.rec_mut(slot)
            {
                r.estimate = e;
                changed += 1;
            }
        }
        changed
    }

    /// Teaches the model a completed task's runtime: its final run, `elapsed` on an agent of
    /// speed `speed`, plus the work of the runs it yielded. A rejected observation (features
    /// that no longer fit a replaced model, or an update that would overflow) never fails the
    /// completion; it is counted in [`super::Stats::learn_rejected`].
    pub(super) fn learn(&mut self, slot: u32, elapsed: f64, speed: f64) {
        let learn = self.config.estimation.as_ref().is_some_and(|c| c.learn);
        let (Some(est), Some(Some(r))) = (self.estimator.as_mut(), self.tasks.get(slot as usize))
        else {
            return;
        };
        let Some(class) = r.spec.class.filter(|_| learn) else {
            return;
        };
        let runtime = (r.work + elapsed * speed).min(f64::MAX);
        match est.observe(class, &r.spec.features, runtime) {
            Ok(()) => self.stats.learned = self.stats.learned.saturating_add(1),
            Err(_) => self.stats.learn_rejected = self.stats.learn_rejected.saturating_add(1),
        }
    }

    /// A running task completed after running for `runtime` since it was last placed (wall time
    /// on its current agent, as the host measured it); the model learns from it instead of from
    /// the dispatcher's clock. Runs the task yielded before count by the `used` given to
    /// [`Dispatcher::yield_task`].
    ///
    /// # Errors
    /// [`Error::NotFinite`]/[`Error::Negative`] (`runtime`), then as
    /// [`Dispatcher::complete`]; nothing changes on error.
    pub fn complete_with_runtime(&mut self, id: TaskId, runtime: f64) -> Result<()> {
        let runtime = crate::model::check_non_negative("runtime", runtime)?;
        self.complete_inner(id, Some(runtime))
    }

    /// How long a running task has run on its agent by the dispatcher's clock, and that agent's
    /// speed.
    pub(super) fn elapsed(&self, slot: u32) -> Option<(f64, f64)> {
        let r = self.rec(slot)?;
        let TaskState::Running { agent, since } = r.state else {
            return None;
        };
        Some(((self.now - since).max(0.0), self.pool.speed(agent)?))
    }
}
