//! Fault tolerance: expected task times when attempts can fail and backups take over, the
//! expected critical path, the probability of finishing without any backup, and the true
//! expected makespan (exact, or a seeded Monte Carlo estimate).
//!
//! # The model
//! Every task has a chain of *attempts*, tried in order: the primary attempt (its time is the
//! task's duration in the [`Dag`], or [`FaultSpec::time`] when given, and its failure
//! probability is [`FaultSpec::failure`]) and then zero or more [`Backup`]s, each with its own
//! time and failure probability (e.g. backup agents). Attempt `k` is tried only when attempts
//! `0..k` have all failed. Attempts fail independently of each other and of other tasks'.
//!
//! Writing `f_k` and `p_k` for attempt `k`'s failure probability and time, attempt `k` is the one
//! that completes the task with probability `P_k = f_0 f_1 ... f_{k-1} (1 - f_k)`. What the task
//! then costs depends on the [`FailureModel`]:
//!
//! - [`FailureModel::Replacement`] (the default, the issue's model): a failure is known at once
//!   (the agent is down when the task reaches it), so a failed attempt costs nothing and the task
//!   takes the time of the attempt that succeeds, `T = p_k`.
//! - [`FailureModel::SequentialRetry`]: a failure is found only at the end of an attempt, so the
//!   task takes the time of every attempt made, `T = p_0 + p_1 + ... + p_k`.
//!
//! With one backup that never fails this is the formula of the issue,
//! `p_hat = (1 - f) * p + f * p_b`, and [`expected_durations`] computes it with exactly those
//! floating-point operations. For an *unordered* set of backups where the fastest one is used
//! (`min over backups of p_b`), order them with [`FaultSpec::fastest_first`].
//!
//! ## When every attempt fails
//! With probability `q = f_0 f_1 ... f_K` every attempt of a task fails and the task, hence the
//! graph, never completes; a makespan does not exist then. This module does not pretend
//! otherwise (for instance by treating the last attempt as certain, which would silently drop a
//! probability the caller gave): [`completion_probability`] reports the probability that every
//! task completes, `prod_i (1 - q_i)`, and every expectation is **conditional on the graph
//! completing**. Because tasks fail independently, that condition is the product of each task's
//! own completion, so the conditioned task times are still independent and each is distributed
//! as `P(T = t_k) = P_k / (1 - q)`. When the last attempt never fails, `q = 0` and nothing is
//! divided: the expectations are exactly the unconditional ones (and the issue's formula). A
//! caller who wants a certain last resort says so with a last backup whose failure is 0. A task
//! whose every attempt fails with probability 1 has no conditional expectation: the functions
//! that need one return [`Error::InvalidFaultSpec`] naming it.
//!
//! ## Expected times, and why the expected makespan is another number
//! [`expected_times`] runs the critical path method ([`times_with`]) on the expected durations:
//! the PERT-style "expected" earliest start and finish and critical path. The makespan is a
//! maximum of sums of task times, a convex and non-decreasing function of them, so by Jensen's
//! inequality the makespan of the expected durations is only a **lower bound** on the expected
//! makespan (`E[max] >= max E`), and so is every earliest finish. [`expected_makespan`] computes
//! the true expectation: exactly, by enumerating every combination of outcomes when their number
//! is at most [`MakespanOptions::max_scenarios`], and otherwise by a Monte Carlo simulation
//! seeded by the caller, with its standard error and a 95% interval. Both also report the
//! Jensen lower bound and the makespan with every task at its longest possible time (an upper
//! bound).
//!
//! [`no_backup_probability`] is the (unconditional) probability that every primary attempt
//! succeeds, `prod_i (1 - f_i)`: the graph completes without using any backup.
//!
//! All results are deterministic: sums run in task-index order, the enumeration in a fixed
//! order, and the simulation draws from a SplitMix64 generator seeded by the caller.
//!
//! # References
//! - D. R. Fulkerson, "Expected critical path lengths in PERT networks", *Operations Research*
//!   10(6), 1962: the critical path of expected durations underestimates the expected length.
//! - R. M. Van Slyke, "Monte Carlo methods and the PERT problem", *Operations Research* 11(5),
//!   1963: estimating the expected project length by simulation.

use super::graph::{Csr, Dag};
use super::times::{Delays, Times, times_with};
use crate::model::SplitMix64;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// One backup attempt of a task: tried when every earlier attempt has failed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Backup {
    /// How long the attempt takes; finite and non-negative.
    pub time: f64,
    /// Probability that the attempt fails; in `[0, 1]`.
    pub failure: f64,
}

/// How a task may fail and what takes over: the primary attempt's failure probability and an
/// ordered chain of backups (see the [module docs](self) for the model).
///
/// The default is a task that never fails and has no backup.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FaultSpec {
    /// The primary attempt's time; `None` takes the task's duration in the [`Dag`].
    pub time: Option<f64>,
    /// Probability that the primary attempt fails; in `[0, 1]`.
    pub failure: f64,
    /// Backup attempts, in the order they are tried.
    pub backups: Vec<Backup>,
}

impl FaultSpec {
    /// A task that never fails (no backup; the primary attempt takes the [`Dag`]'s duration).
    pub fn reliable() -> Self {
        Self::default()
    }

    /// A task whose primary attempt fails with probability `failure` (no backup yet).
    pub fn new(failure: f64) -> Self {
        FaultSpec {
            failure,
            ..Self::default()
        }
    }

    /// Sets the primary attempt's time instead of the [`Dag`]'s duration.
    pub fn with_time(mut self, time: f64) -> Self {
        self.time = Some(time);
        self
    }

    /// Appends a backup attempt to the chain.
    pub fn with_backup(mut self, time: f64, failure: f64) -> Self {
        self.backups.push(Backup { time, failure });
        self
    }

    /// Orders the backups fastest first (ties: the lower failure probability first, then the
    /// given order), for an unordered set of backups of which the fastest available is used: the
    /// issue's `min over backups of p_b`. Never panics (NaN sorts by [`f64::total_cmp`] and is
    /// rejected later by the functions that take the spec).
    pub fn fastest_first(mut self) -> Self {
        self.backups.sort_by(|a, b| {
            a.time
                .total_cmp(&b.time)
                .then(a.failure.total_cmp(&b.failure))
        });
        self
    }
}

/// What a failed attempt costs; see the [module docs](self).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum FailureModel {
    /// A failure is known at once; the task takes the time of the attempt that succeeds. The
    /// issue's model.
    #[default]
    Replacement,
    /// A failure is found at the end of the attempt; the task takes the sum of the times of the
    /// attempts made, the successful one included.
    SequentialRetry,
}

/// How [`expected_makespan`] computes the expectation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MakespanOptions {
    /// Enumerate every scenario when there are at most this many (the product over tasks of the
    /// number of outcomes each can have); simulate otherwise. 0 always simulates. Default
    /// `2^16`.
    pub max_scenarios: u64,
    /// Monte Carlo samples (at least 2 when the simulation runs). Default 10,000.
    pub samples: u64,
    /// Seed of the simulation's random numbers. Default 0.
    pub seed: u64,
}

impl Default for MakespanOptions {
    fn default() -> Self {
        MakespanOptions {
            max_scenarios: 1 << 16,
            samples: 10_000,
            seed: 0,
        }
    }
}

/// How an expected makespan was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MakespanMethod {
    /// Every scenario enumerated and weighted by its probability.
    Exact {
        /// Number of scenarios.
        scenarios: u64,
    },
    /// A Monte Carlo simulation.
    MonteCarlo {
        /// Number of samples.
        samples: u64,
        /// The seed used.
        seed: u64,
    },
}

/// The expected makespan under the fault model, conditional on the graph completing.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MakespanEstimate {
    /// The expected makespan (exact, or the sample mean).
    pub mean: f64,
    /// Standard deviation of the makespan itself (exact, or the sample standard deviation).
    pub std_dev: f64,
    /// Standard error of `mean`: 0 when exact, `std_dev / sqrt(samples)` when simulated.
    pub std_error: f64,
    /// Lower end of the 95% interval, `mean - 1.96 std_error` (normal approximation).
    pub low: f64,
    /// Upper end of the 95% interval, `mean + 1.96 std_error`.
    pub high: f64,
    /// How `mean` was computed.
    pub method: MakespanMethod,
    /// The makespan of the expected durations: a lower bound on the exact expectation (Jensen).
    /// A simulated `mean` may fall below it by sampling error.
    pub lower_bound: f64,
    /// The makespan with every task at its longest possible time: an upper bound on every
    /// scenario's makespan.
    pub upper_bound: f64,
    /// Probability that every task completes (the condition of `mean`).
    pub completion_probability: f64,
}

/// The normal quantile of a two-sided 95% interval.
const Z95: f64 = 1.959_963_984_540_054;

/// Each task's expected duration under the fault model, conditional on the task completing.
///
/// # Arguments
/// - `dag`: the graph; its durations are the primary attempts' times unless a spec sets one.
/// - `specs`: one [`FaultSpec`] per task, by task index.
/// - `model`: what a failed attempt costs.
///
/// # Returns
/// By task index, `sum_k P_k t_k`, divided by `sum_k P_k` when some attempt may be the last to
/// fail (see the [module docs](self)). It lies between the shortest and the longest time the
/// task can take, up to rounding; with `failure = 0` it is the primary attempt's time exactly.
/// (Infinite only if a sequential-retry sum exceeds `f64::MAX`; [`expected_times`] then reports
/// [`Error::NotFinite`].)
///
/// # Complexity
/// O(V + total attempts) time, no extra space beyond the result.
///
/// # Errors
/// [`Error::DimensionMismatch`] (`specs`) unless there is one spec per task;
/// [`Error::InvalidFaultSpec`] naming the lowest task index with a probability outside
/// `[0, 1]`, a time that is negative or not finite, or every attempt certain to fail.
///
/// # Example: a task with a backup agent
/// ```
/// use agentsched::dag::{FailureModel, FaultSpec, TaskGraph, expected_durations};
/// use agentsched::TaskId;
///
/// // One task of 10 s whose agent fails one time in five; a backup agent takes 15 s.
/// let dag = TaskGraph::from_parts([(TaskId(1), 10.0)], [])?.freeze()?;
/// let spec = FaultSpec::new(0.2).with_backup(15.0, 0.0);
/// let d = expected_durations(&dag, &[spec.clone()], FailureModel::Replacement)?;
/// assert_eq!(d, vec![(1.0 - 0.2) * 10.0 + 0.2 * 15.0]); // the issue's formula: 11 s
/// // If the failure is found only after the 10 s are spent, the backup comes on top.
/// let d = expected_durations(&dag, &[spec], FailureModel::SequentialRetry)?;
/// assert!((d[0] - 13.0).abs() < 1e-12);
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn expected_durations(dag: &Dag, specs: &[FaultSpec], model: FailureModel) -> Result<Vec<f64>> {
    check_len(dag, specs)?;
    let mut out = Vec::with_capacity(specs.len());
    // One pass that checks and computes: the specs' backups live on the heap, and a second
    // pass over them costs as much as the first (cache misses).
    for (i, (s, &p)) in specs.iter().zip(dag.durations()).enumerate() {
        check_one(dag, i, s)?;
        out.push(expected_one(p, s, model).ok_or_else(|| never_completes(dag, i))?);
    }
    Ok(out)
}

/// Earliest and latest times and the critical path on the expected durations (the PERT-style
/// expected schedule).
///
/// # Arguments
/// As [`expected_durations`], and `delays` as in [`times_with`].
///
/// # Returns
/// [`times_with`] on [`expected_durations`]. Each earliest start and finish, and the makespan,
/// is a lower bound on the expectation of the corresponding random time (Jensen's inequality);
/// [`expected_makespan`] gives the true expected makespan.
///
/// # Complexity
/// O(V + E + total attempts) time, O(V) extra space.
///
/// # Errors
/// As [`expected_durations`].
///
/// # Example: a backup agent moves the critical path
/// ```
/// use agentsched::dag::{Delays, FailureModel, FaultSpec, TaskGraph, expected_times};
/// use agentsched::TaskId;
///
/// // Two branches from 0 to 3: 0 -> 1 -> 3 and 0 -> 2 -> 3. Task 2 is shorter but unreliable.
/// let dag = TaskGraph::from_parts(
///     [(0, 1.0), (1, 5.0), (2, 4.0), (3, 1.0)].map(|(i, d)| (TaskId(i), d)),
///     [(0, 1), (0, 2), (1, 3), (2, 3)].map(|(u, v)| (TaskId(u), TaskId(v), 0.0)),
/// )?
/// .freeze()?;
/// let mut specs = vec![FaultSpec::reliable(); 4];
/// specs[2] = FaultSpec::new(0.5).with_backup(8.0, 0.0); // expected 0.5 * 4 + 0.5 * 8 = 6
/// let t = expected_times(&dag, &specs, FailureModel::Replacement, Delays::None)?;
/// assert_eq!(t.makespan, 8.0);
/// assert_eq!(t.critical_path, vec![0, 2, 3]);
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn expected_times(
    dag: &Dag,
    specs: &[FaultSpec],
    model: FailureModel,
    delays: Delays,
) -> Result<Times> {
    let d = expected_durations(dag, specs, model)?;
    times_with(dag, &d, delays)
}

/// Probability that the whole graph completes without using any backup: every primary attempt
/// succeeds, `prod_i (1 - f_i)`.
///
/// # Arguments
/// `dag` and one [`FaultSpec`] per task, by task index.
///
/// # Returns
/// A probability in `[0, 1]` (unconditional; it may underflow to 0 on huge graphs).
///
/// # Complexity
/// O(V + total attempts) time (the specs are validated), no extra space.
///
/// # Errors
/// [`Error::DimensionMismatch`] (`specs`); [`Error::InvalidFaultSpec`] for a bad number.
///
/// # Example: three tasks that each fail one time in ten
/// ```
/// use agentsched::dag::{FaultSpec, TaskGraph, no_backup_probability};
/// use agentsched::TaskId;
///
/// let dag = TaskGraph::from_parts((0..3).map(|i| (TaskId(i), 1.0)), [])?.freeze()?;
/// let specs = vec![FaultSpec::new(0.1).with_backup(2.0, 0.0); 3];
/// assert!((no_backup_probability(&dag, &specs)? - 0.729).abs() < 1e-15);
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn no_backup_probability(dag: &Dag, specs: &[FaultSpec]) -> Result<f64> {
    check_len(dag, specs)?;
    let mut p = 1.0f64;
    for (i, s) in specs.iter().enumerate() {
        check_one(dag, i, s)?;
        p *= 1.0 - s.failure;
    }
    Ok(p)
}

/// Probability that every task completes: `prod_i (1 - q_i)`, `q_i` being the probability that
/// every attempt of task `i` fails.
///
/// # Arguments
/// `dag` and one [`FaultSpec`] per task, by task index.
///
/// # Returns
/// A probability in `[0, 1]`: 1 when every task's last attempt never fails, 0 when some task's
/// attempts all fail with probability 1 (not an error here).
///
/// # Complexity
/// O(V + total attempts) time, no extra space.
///
/// # Errors
/// [`Error::DimensionMismatch`] (`specs`); [`Error::InvalidFaultSpec`] for a bad number.
///
/// # Example: a backup that may fail too
/// ```
/// use agentsched::dag::{FaultSpec, TaskGraph, completion_probability};
/// use agentsched::TaskId;
///
/// let dag = TaskGraph::from_parts([(TaskId(0), 1.0)], [])?.freeze()?;
/// let specs = [FaultSpec::new(0.5).with_backup(2.0, 0.5)];
/// assert_eq!(completion_probability(&dag, &specs)?, 0.75);
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn completion_probability(dag: &Dag, specs: &[FaultSpec]) -> Result<f64> {
    check_len(dag, specs)?;
    let mut p = 1.0f64;
    for (i, s) in specs.iter().enumerate() {
        check_one(dag, i, s)?;
        let q: f64 = s.failure * s.backups.iter().map(|b| b.failure).product::<f64>();
        p *= 1.0 - q;
    }
    Ok(p)
}

/// The expected makespan under the fault model, conditional on the graph completing: exact by
/// enumeration when the scenarios are few, otherwise a seeded Monte Carlo estimate.
///
/// # Arguments
/// - `dag`, `specs`, `model`: as [`expected_durations`].
/// - `delays`: whether edge data counts as a delay (as in [`times_with`]).
/// - `options`: the enumeration limit, and the samples and seed of the simulation.
///
/// # Returns
/// A [`MakespanEstimate`]. A *scenario* fixes which attempt completes each task; its probability
/// is the product of the tasks' conditional probabilities and its makespan the longest path with
/// those times. When the number of scenarios (the product over tasks of their possible
/// outcomes; tasks with one outcome do not count) is at most `options.max_scenarios`, every one
/// is evaluated and the result is exact (`std_error = 0`). Otherwise `options.samples` scenarios
/// are drawn independently (one uniform number per uncertain task, by task index, inverse of the
/// task's distribution) and the result is their mean with its standard error; same seed, same
/// result.
///
/// # Complexity
/// O(V + E + total attempts) time per scenario or sample (one longest-path pass over the Dag's
/// compact arrays, plus drawing or weighting the outcomes), and O(V + total attempts) to prepare;
/// O(V + total attempts) extra space, allocated once (nothing is allocated per scenario or
/// sample).
///
/// # Errors
/// As [`expected_durations`]; [`Error::InvalidConfig`] (`samples`) when the simulation runs with
/// fewer than 2 samples; [`Error::NotFinite`] (`worst-case makespan`, `makespan standard
/// deviation`) when the times are so large that the makespan or its spread overflows `f64`.
///
/// # Example: two unreliable tasks in parallel
/// ```
/// use agentsched::dag::{
///     Delays, FailureModel, FaultSpec, MakespanMethod, MakespanOptions, TaskGraph,
///     expected_makespan,
/// };
/// use agentsched::TaskId;
///
/// // Tasks 0 and 1 take 1 s, or 3 s on their backup (half the time); task 2 waits for both.
/// let dag = TaskGraph::from_parts(
///     [(0, 1.0), (1, 1.0), (2, 0.0)].map(|(i, d)| (TaskId(i), d)),
///     [(0, 2), (1, 2)].map(|(u, v)| (TaskId(u), TaskId(v), 0.0)),
/// )?
/// .freeze()?;
/// let specs = [
///     FaultSpec::new(0.5).with_backup(3.0, 0.0),
///     FaultSpec::new(0.5).with_backup(3.0, 0.0),
///     FaultSpec::reliable(),
/// ];
/// let m = expected_makespan(
///     &dag,
///     &specs,
///     FailureModel::Replacement,
///     Delays::None,
///     &MakespanOptions::default(),
/// )?;
/// // The makespan is 1 only when both primaries succeed: 1/4 * 1 + 3/4 * 3 = 2.5, more than
/// // the makespan of the expected durations, 2.
/// assert_eq!(m.method, MakespanMethod::Exact { scenarios: 4 });
/// assert_eq!((m.mean, m.lower_bound, m.upper_bound), (2.5, 2.0, 3.0));
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn expected_makespan(
    dag: &Dag,
    specs: &[FaultSpec],
    model: FailureModel,
    delays: Delays,
    options: &MakespanOptions,
) -> Result<MakespanEstimate> {
    check_len(dag, specs)?;
    let table = Table::new(dag, specs, model)?;
    let scenarios = table.scenarios();
    let exact = scenarios <= options.max_scenarios;
    if !exact && options.samples < 2 {
        return Err(Error::InvalidConfig {
            field: "samples",
            reason: "the Monte Carlo estimate needs at least 2 samples",
        });
    }
    let c = dag.csr();
    let mut eft = vec![0.0f64; dag.task_count()];
    let lower_bound = longest(&c, &table.expected, &mut eft, delays);
    let upper_bound = longest(&c, &table.worst, &mut eft, delays);
    // Every scenario's makespan is at most the worst case: finite here, finite everywhere.
    if !upper_bound.is_finite() {
        return Err(Error::NotFinite {
            field: "worst-case makespan",
            value: upper_bound,
        });
    }
    let (mean, std_dev, std_error, method) = if exact {
        let (mean, sd) = table.enumerate(&c, &mut eft, delays);
        (mean, sd, 0.0, MakespanMethod::Exact { scenarios })
    } else {
        let (mean, sd) = table.simulate(&c, &mut eft, delays, options.samples, options.seed);
        let se = sd / (options.samples as f64).sqrt();
        let method = MakespanMethod::MonteCarlo {
            samples: options.samples,
            seed: options.seed,
        };
        (mean, sd, se, method)
    };
    // The spread squares deviations: near f64::MAX they overflow though every makespan is finite.
    if !(std_dev.is_finite() && std_error.is_finite() && mean.is_finite()) {
        return Err(Error::NotFinite {
            field: "makespan standard deviation",
            value: std_dev,
        });
    }
    Ok(MakespanEstimate {
        mean,
        std_dev,
        std_error,
        low: mean - Z95 * std_error,
        high: mean + Z95 * std_error,
        method,
        lower_bound,
        upper_bound,
        completion_probability: table.completion,
    })
}

/// One spec per task.
fn check_len(dag: &Dag, specs: &[FaultSpec]) -> Result<()> {
    let n = dag.task_count();
    if specs.len() != n {
        return Err(Error::DimensionMismatch {
            field: "specs",
            expected: n,
            got: specs.len(),
        });
    }
    Ok(())
}

/// Task `i`'s spec: probabilities in `[0, 1]`, times finite and non-negative. The callers check
/// the tasks in index order, so the first error is at the lowest task index.
#[inline]
fn check_one(dag: &Dag, i: usize, s: &FaultSpec) -> Result<()> {
    let time = |t: f64| t.is_finite() && t >= 0.0;
    let probability = |f: f64| (0.0..=1.0).contains(&f);
    if s.time.is_none_or(time)
        && probability(s.failure)
        && s.backups
            .iter()
            .all(|b| time(b.time) && probability(b.failure))
    {
        Ok(())
    } else {
        Err(spec_error(dag, i, s))
    }
}

/// The error of a spec that [`check_one`] rejects: the first bad field, in declaration order.
#[cold]
fn spec_error(dag: &Dag, i: usize, s: &FaultSpec) -> Error {
    let fields = s
        .time
        .map(|t| ("time".to_string(), check_time(t)))
        .into_iter()
        .chain([("failure".to_string(), check_probability(s.failure))])
        .chain(s.backups.iter().enumerate().flat_map(|(k, b)| {
            [
                (format!("backups[{k}].time"), check_time(b.time)),
                (
                    format!("backups[{k}].failure"),
                    check_probability(b.failure),
                ),
            ]
        }));
    let (field, reason) = fields
        .filter_map(|(f, r)| r.err().map(|r| (f, r)))
        .next()
        .unwrap_or_else(|| (String::new(), "invalid".to_string()));
    Error::InvalidFaultSpec {
        task: dag.ids()[i],
        field,
        reason,
    }
}

fn check_time(t: f64) -> std::result::Result<(), String> {
    if !t.is_finite() {
        Err(format!("must be finite, got {t:?}"))
    } else if t < 0.0 {
        Err(format!("must be non-negative, got {t:?}"))
    } else {
        Ok(())
    }
}

fn check_probability(f: f64) -> std::result::Result<(), String> {
    if (0.0..=1.0).contains(&f) {
        Ok(())
    } else {
        Err(format!("must be a probability in [0, 1], got {f}"))
    }
}

fn never_completes(dag: &Dag, i: usize) -> Error {
    Error::InvalidFaultSpec {
        task: dag.ids()[i],
        field: "failure".into(),
        reason: "every attempt fails with probability 1: the task can never complete".into(),
    }
}

/// Calls `out(time, probability)` for each attempt that completes the task with a positive
/// probability, in attempt order, and returns the probability that every attempt fails.
/// Probabilities are unconditional; `primary` is the Dag's duration.
fn outcomes(
    primary: f64,
    spec: &FaultSpec,
    model: FailureModel,
    mut out: impl FnMut(f64, f64),
) -> f64 {
    let first = (spec.time.unwrap_or(primary), spec.failure);
    let rest = spec.backups.iter().map(|b| (b.time, b.failure));
    let mut reach = 1.0f64;
    let mut elapsed = 0.0f64;
    for (t, f) in std::iter::once(first).chain(rest) {
        // `+ 0.0` turns a `-0.0` time into `0.0`.
        let t = match model {
            FailureModel::Replacement => t + 0.0,
            FailureModel::SequentialRetry => {
                elapsed += t;
                elapsed + 0.0
            }
        };
        let p = reach * (1.0 - f);
        if p > 0.0 {
            out(t, p);
        }
        reach *= f;
        if reach == 0.0 {
            break;
        }
    }
    reach
}

/// The conditional expected duration, `None` when the task can never complete.
fn expected_one(primary: f64, spec: &FaultSpec, model: FailureModel) -> Option<f64> {
    let (mut mass, mut sum) = (0.0f64, 0.0f64);
    let q = outcomes(primary, spec, model, |t, p| {
        mass += p;
        sum += p * t;
    });
    if mass == 0.0 {
        None
    } else if q == 0.0 {
        // Not divided, so that one certain backup gives the issue's formula bit for bit.
        Some(sum)
    } else {
        Some(sum / mass)
    }
}

/// Every task's conditional outcome distribution, laid out for the scenario passes.
struct Table {
    /// By position: the fixed time of a task with one outcome, the first outcome's otherwise.
    base: Vec<f64>,
    /// Expected durations by position.
    expected: Vec<f64>,
    /// Longest possible times by position.
    worst: Vec<f64>,
    /// Positions of the tasks with two or more outcomes, by ascending task index.
    uncertain: Vec<usize>,
    /// `time[off[j]..off[j + 1]]` and `cum[...]`: outcomes of `uncertain[j]` in attempt order,
    /// with conditional probabilities (`prob`) and their running sums (`cum`).
    off: Vec<usize>,
    time: Vec<f64>,
    prob: Vec<f64>,
    cum: Vec<f64>,
    /// Probability that every task completes.
    completion: f64,
}

impl Table {
    /// Checks the specs (one per task already checked) and builds the table. Errors name the
    /// lowest task index with a bad spec or that can never complete.
    fn new(dag: &Dag, specs: &[FaultSpec], model: FailureModel) -> Result<Table> {
        let c = dag.csr();
        let n = dag.task_count();
        let mut t = Table {
            base: vec![0.0; n],
            expected: vec![0.0; n],
            worst: vec![0.0; n],
            uncertain: Vec::new(),
            off: vec![0],
            time: Vec::new(),
            prob: Vec::new(),
            cum: Vec::new(),
            completion: 1.0,
        };
        let mut one: Vec<(f64, f64)> = Vec::new();
        for (i, (s, &p)) in specs.iter().zip(dag.durations()).enumerate() {
            check_one(dag, i, s)?;
            one.clear();
            let q = outcomes(p, s, model, |t, p| one.push((t, p)));
            let pos = c.position[i] as usize;
            let mass: f64 = one.iter().map(|o| o.1).sum();
            if mass == 0.0 {
                return Err(never_completes(dag, i));
            }
            // As `expected_one`, on the outcomes at hand.
            let sum = one.iter().fold(0.0, |a, o| a + o.1 * o.0);
            t.expected[pos] = if q == 0.0 { sum } else { sum / mass };
            t.completion *= 1.0 - q;
            let (mut first, mut worst) = (0.0, 0.0f64);
            if let Some(&(t0, _)) = one.first() {
                first = t0;
            }
            for &(time, _) in &one {
                worst = worst.max(time);
            }
            t.base[pos] = first;
            t.worst[pos] = worst;
            if one.len() > 1 {
                t.uncertain.push(pos);
                let mut acc = 0.0;
                for &(time, p) in &one {
                    let p = if q == 0.0 { p } else { p / mass };
                    acc += p;
                    t.time.push(time);
                    t.prob.push(p);
                    t.cum.push(acc);
                }
                t.off.push(t.time.len());
            }
        }
        Ok(t)
    }

    /// Number of scenarios, saturating at `u64::MAX`.
    fn scenarios(&self) -> u64 {
        self.off
            .windows(2)
            .fold(1u64, |a, w| a.saturating_mul((w[1] - w[0]) as u64))
    }

    /// Exact mean and standard deviation of the makespan over every scenario (an odometer over
    /// the uncertain tasks, the first one turning fastest).
    fn enumerate(&self, c: &Csr, eft: &mut [f64], delays: Delays) -> (f64, f64) {
        let k = self.uncertain.len();
        let mut digit = vec![0usize; k];
        let mut d = self.base.clone();
        let mut acc = Weighted::default();
        loop {
            let mut w = 1.0f64;
            for (j, &x) in digit.iter().enumerate() {
                w *= self.prob[self.off[j] + x];
            }
            acc.push(longest(c, &d, eft, delays), w);
            let mut j = 0;
            loop {
                if j == k {
                    return acc.finish();
                }
                let len = self.off[j + 1] - self.off[j];
                digit[j] += 1;
                if digit[j] < len {
                    d[self.uncertain[j]] = self.time[self.off[j] + digit[j]];
                    break;
                }
                digit[j] = 0;
                d[self.uncertain[j]] = self.time[self.off[j]];
                j += 1;
            }
        }
    }

    /// Sample mean and standard deviation of the makespan over `samples` drawn scenarios.
    fn simulate(
        &self,
        c: &Csr,
        eft: &mut [f64],
        delays: Delays,
        samples: u64,
        seed: u64,
    ) -> (f64, f64) {
        let mut rng = SplitMix64(seed);
        let mut d = self.base.clone();
        // Welford's running mean and sum of squared deviations.
        let (mut mean, mut m2) = (0.0f64, 0.0f64);
        for s in 0..samples {
            for (j, &pos) in self.uncertain.iter().enumerate() {
                let u = rng.unit();
                let (a, b) = (self.off[j], self.off[j + 1]);
                // The last outcome takes what rounding leaves of the last running sum below 1.
                let pick = self.cum[a..b - 1]
                    .iter()
                    .position(|&cu| u < cu)
                    .map_or(b - 1, |x| a + x);
                d[pos] = self.time[pick];
            }
            let m = longest(c, &d, eft, delays);
            let delta = m - mean;
            mean += delta / (s + 1) as f64;
            m2 += delta * (m - mean);
        }
        let var = m2 / (samples.saturating_sub(1).max(1)) as f64;
        (mean, var.max(0.0).sqrt())
    }
}

/// West's weighted running mean and variance (numerically stable).
#[derive(Default)]
struct Weighted {
    weight: f64,
    mean: f64,
    s: f64,
}

impl Weighted {
    fn push(&mut self, x: f64, w: f64) {
        if w <= 0.0 {
            return;
        }
        let total = self.weight + w;
        let delta = x - self.mean;
        let r = delta * w / total;
        self.mean += r;
        self.s += self.weight * delta * r;
        self.weight = total;
    }

    fn finish(&self) -> (f64, f64) {
        let var = if self.weight > 0.0 {
            self.s / self.weight
        } else {
            0.0
        };
        (self.mean, var.max(0.0).sqrt())
    }
}

/// The longest path (makespan) with durations `d` by position; `eft` is scratch.
fn longest(c: &Csr, d: &[f64], eft: &mut [f64], delays: Delays) -> f64 {
    let mut makespan = 0.0f64;
    // Separate loops so that the common case reads no edge data.
    match delays {
        Delays::None => {
            for v in 0..d.len() {
                let mut s = 0.0f64;
                for &u in &c.pred[c.pred_off[v] as usize..c.pred_off[v + 1] as usize] {
                    let f = eft[u as usize];
                    // Not `f64::max`: its NaN handling costs a third of the pass, and no NaN
                    // gets here.
                    if f > s {
                        s = f;
                    }
                }
                let f = s + d[v];
                eft[v] = f;
                if f > makespan {
                    makespan = f;
                }
            }
        }
        Delays::Data => {
            for v in 0..d.len() {
                let r = c.pred_off[v] as usize..c.pred_off[v + 1] as usize;
                let mut s = 0.0f64;
                for (&u, &w) in c.pred[r.clone()].iter().zip(&c.pred_data[r]) {
                    let f = eft[u as usize] + w;
                    if f > s {
                        s = f;
                    }
                }
                let f = s + d[v];
                eft[v] = f;
                if f > makespan {
                    makespan = f;
                }
            }
        }
    }
    makespan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TaskId;
    use crate::dag::{TaskGraph, times};

    fn single(duration: f64) -> Dag {
        TaskGraph::from_parts([(TaskId(7), duration)], [])
            .unwrap()
            .freeze()
            .unwrap()
    }

    #[test]
    fn overflowing_makespans_are_errors_not_inf_or_nan() {
        use crate::TaskId;
        use crate::dag::TaskGraph;
        let g = TaskGraph::from_parts(
            [(TaskId(0), 1e307), (TaskId(1), 1e307)],
            [(TaskId(0), TaskId(1), 0.0)],
        )
        .unwrap();
        let dag = g.freeze().unwrap();
        let specs = vec![FaultSpec::new(0.5).with_backup(1e308, 0.0); 2];
        for max_scenarios in [1 << 16, 0] {
            let opts = MakespanOptions {
                max_scenarios,
                ..MakespanOptions::default()
            };
            let r = expected_makespan(&dag, &specs, FailureModel::Replacement, Delays::None, &opts);
            assert!(matches!(r, Err(Error::NotFinite { .. })), "{r:?}");
        }
        // Large but representable: a finite estimate.
        let g = TaskGraph::from_parts(
            [(TaskId(0), 1.0), (TaskId(1), 1.0)],
            [(TaskId(0), TaskId(1), 0.0)],
        )
        .unwrap();
        let dag = g.freeze().unwrap();
        let specs = vec![FaultSpec::new(0.5).with_backup(1e100, 0.0); 2];
        let r = expected_makespan(
            &dag,
            &specs,
            FailureModel::Replacement,
            Delays::None,
            &MakespanOptions::default(),
        )
        .unwrap();
        assert!(r.mean.is_finite() && r.std_dev.is_finite());
    }

    #[test]
    fn the_issue_formula_bit_for_bit() {
        let dag = single(10.0);
        for (f, pb) in [
            (0.2, 15.0),
            (0.37, 3.5),
            (1.0, 9.0),
            (0.0, 99.0),
            (0.1, 0.3),
        ] {
            let s = FaultSpec::new(f).with_backup(pb, 0.0);
            let d = expected_durations(&dag, &[s], FailureModel::Replacement).unwrap();
            assert_eq!(d[0], (1.0 - f) * 10.0 + f * pb, "f = {f}");
        }
        // An unordered set: the fastest backup is the one used.
        let s = FaultSpec::new(0.3)
            .with_backup(20.0, 0.0)
            .with_backup(12.0, 0.0)
            .with_backup(30.0, 0.0)
            .fastest_first();
        let d = expected_durations(&dag, &[s], FailureModel::Replacement).unwrap();
        assert_eq!(d[0], (1.0 - 0.3) * 10.0 + 0.3 * 12.0);
    }

    #[test]
    fn chains_by_hand() {
        let dag = single(10.0);
        // Attempts 10 (f 1/2), 20 (f 1/2), 40 (certain): P = 1/2, 1/4, 1/4.
        let s = FaultSpec::new(0.5)
            .with_backup(20.0, 0.5)
            .with_backup(40.0, 0.0);
        let r =
            expected_durations(&dag, std::slice::from_ref(&s), FailureModel::Replacement).unwrap();
        assert_eq!(r[0], 5.0 + 5.0 + 10.0);
        let q = expected_durations(&dag, &[s], FailureModel::SequentialRetry).unwrap();
        assert_eq!(q[0], 0.5 * 10.0 + 0.25 * 30.0 + 0.25 * 70.0);
        // The last backup may fail: conditional on completion (probability 3/4).
        let s = FaultSpec::new(0.5).with_backup(20.0, 0.5);
        let r =
            expected_durations(&dag, std::slice::from_ref(&s), FailureModel::Replacement).unwrap();
        assert!((r[0] - (5.0 + 5.0) / 0.75).abs() < 1e-12);
        assert_eq!(completion_probability(&dag, &[s]).unwrap(), 0.75);
    }

    #[test]
    fn a_task_that_never_completes_is_named() {
        let dag = single(1.0);
        let s = FaultSpec::new(1.0).with_backup(2.0, 1.0);
        let e = expected_durations(&dag, std::slice::from_ref(&s), FailureModel::Replacement)
            .unwrap_err();
        assert!(matches!(
            e,
            Error::InvalidFaultSpec {
                task: TaskId(7),
                ..
            }
        ));
        assert_eq!(
            completion_probability(&dag, std::slice::from_ref(&s)).unwrap(),
            0.0
        );
        assert_eq!(no_backup_probability(&dag, &[s]).unwrap(), 0.0);
    }

    #[test]
    fn enumeration_and_simulation_agree_on_a_diamond() {
        let dag = TaskGraph::from_parts(
            [(0, 1.0), (1, 2.0), (2, 3.0), (3, 1.0)].map(|(i, d)| (TaskId(i), d)),
            [(0, 1), (0, 2), (1, 3), (2, 3)].map(|(u, v)| (TaskId(u), TaskId(v), 1.0)),
        )
        .unwrap()
        .freeze()
        .unwrap();
        let specs = vec![
            FaultSpec::new(0.2)
                .with_backup(2.0, 0.1)
                .with_backup(4.0, 0.0),
            FaultSpec::new(0.5).with_backup(5.0, 0.0),
            FaultSpec::new(0.3).with_backup(1.0, 0.5),
            FaultSpec::reliable(),
        ];
        for delays in [Delays::None, Delays::Data] {
            let exact = expected_makespan(
                &dag,
                &specs,
                FailureModel::SequentialRetry,
                delays,
                &MakespanOptions::default(),
            )
            .unwrap();
            assert_eq!(exact.method, MakespanMethod::Exact { scenarios: 12 });
            let mc = expected_makespan(
                &dag,
                &specs,
                FailureModel::SequentialRetry,
                delays,
                &MakespanOptions {
                    max_scenarios: 0,
                    samples: 20_000,
                    seed: 42,
                },
            )
            .unwrap();
            assert!((mc.mean - exact.mean).abs() < 5.0 * mc.std_error);
            assert!((mc.std_dev - exact.std_dev).abs() < 0.05 * exact.std_dev);
            assert!(exact.lower_bound <= exact.mean && exact.mean <= exact.upper_bound);
        }
    }

    #[test]
    fn reliable_tasks_give_the_plain_times() {
        let dag = TaskGraph::from_parts(
            [(0, 1.5), (1, 2.0), (2, 3.25)].map(|(i, d)| (TaskId(i), d)),
            [(0, 2), (1, 2)].map(|(u, v)| (TaskId(u), TaskId(v), 2.0)),
        )
        .unwrap()
        .freeze()
        .unwrap();
        let specs = vec![FaultSpec::reliable(); 3];
        let t = expected_times(&dag, &specs, FailureModel::Replacement, Delays::Data).unwrap();
        assert_eq!(t, times(&dag, Delays::Data));
        let m = expected_makespan(
            &dag,
            &specs,
            FailureModel::Replacement,
            Delays::Data,
            &MakespanOptions::default(),
        )
        .unwrap();
        assert_eq!(m.mean, t.makespan);
        assert_eq!(m.method, MakespanMethod::Exact { scenarios: 1 });
    }
}
