//! Fault tolerance on task graphs through the C ABI: expected durations and times, the
//! probabilities of finishing without a backup and of finishing at all, and the expected
//! makespan (exact or Monte Carlo).
//!
//! Shapes: every call takes a frozen `agentsched_dag` and one `agentsched_fault_spec` per task,
//! by task index: the primary attempt's failure probability, optionally its own time (else the
//! dag's duration), and a `(pointer, length)` chain of `agentsched_backup { time, failure }`
//! tried in order. A zero-initialised spec is a task that never fails. The specs and their
//! backups are read during the call only. Results are plain numbers, a caller buffer of
//! durations, an `agentsched_times` handle (the expected times) or the plain struct
//! `agentsched_makespan_estimate`. Failures leave their message on the dag, naming the task by
//! id and the field (`failure`, `time`, `backups[k].failure`, `backups[k].time`, `backups`).
//! The model itself is documented in `agentsched::dag::fault`. No logic lives here.

use super::{agentsched_dag, agentsched_times, delays_from_c, give_times};
use crate::Error;
use crate::dag::{
    Backup, FailureModel, FaultSpec, MakespanMethod, MakespanOptions, completion_probability,
    expected_durations, expected_makespan, expected_times, no_backup_probability,
};
use crate::ffi::dispatcher::handle;
use crate::ffi::{agentsched_status, ffi_boundary, non_null, slice, write_items};

/// Failure model: a failure is known at once (the agent is down when the task reaches it), so a
/// failed attempt costs nothing and the task takes the time of the attempt that succeeds. The
/// issue's model: with one backup that never fails, `(1 - f) * p + f * p_b`.
pub const AGENTSCHED_FAILURE_MODEL_REPLACEMENT: u32 = 0;
/// Failure model: a failure is found only at the end of an attempt, so the task takes the sum of
/// the times of every attempt made, the successful one included.
pub const AGENTSCHED_FAILURE_MODEL_SEQUENTIAL_RETRY: u32 = 1;

/// How an expected makespan was computed (`agentsched_makespan_estimate.method`): every
/// scenario enumerated and weighted by its probability.
pub const AGENTSCHED_MAKESPAN_EXACT: u32 = 0;
/// How an expected makespan was computed: a seeded Monte Carlo simulation.
pub const AGENTSCHED_MAKESPAN_MONTE_CARLO: u32 = 1;

/// One backup attempt of a task, tried when every earlier attempt has failed.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct agentsched_backup {
    /// How long the attempt takes: finite, >= 0.
    pub time: f64,
    /// Probability that the attempt fails: in [0, 1].
    pub failure: f64,
}

/// How one task may fail and what takes over. All zeros (`{0}`) is a task that never fails, runs
/// the dag's duration and has no backup.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct agentsched_fault_spec {
    /// Probability that the primary attempt fails: in [0, 1].
    pub failure: f64,
    /// Whether the primary attempt takes `time` instead of the task's duration in the dag.
    pub has_time: bool,
    /// The primary attempt's time (finite, >= 0) when `has_time`; ignored otherwise (any value,
    /// NaN included).
    pub time: f64,
    /// The backups, in the order they are tried; may be NULL when `backups_len` is 0. Read
    /// during the call only.
    pub backups: *const agentsched_backup,
    /// Number of backups at `backups`.
    pub backups_len: usize,
}

/// Options of `agentsched_dag_expected_makespan` (`agentsched_makespan_options_default` fills
/// the defaults).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct agentsched_makespan_options {
    /// Enumerate every scenario when there are at most this many (the product over tasks of the
    /// number of outcomes each can have); simulate otherwise. 0 always simulates. Default 65536.
    pub max_scenarios: u64,
    /// Monte Carlo samples, at least 2 when the simulation runs. Default 10000.
    pub samples: u64,
    /// Seed of the simulation's random numbers: same seed, same estimate. Default 0.
    pub seed: u64,
}

/// The expected makespan under the fault model, conditional on the graph completing.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct agentsched_makespan_estimate {
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
    /// `AGENTSCHED_MAKESPAN_EXACT` or `AGENTSCHED_MAKESPAN_MONTE_CARLO`.
    pub method: u32,
    /// Scenarios enumerated (exact) or samples drawn (Monte Carlo).
    pub evaluated: u64,
    /// The simulation's seed (Monte Carlo); 0 when exact.
    pub seed: u64,
    /// The makespan of the expected durations: a lower bound on the exact expectation (Jensen's
    /// inequality). A simulated `mean` may fall below it by sampling error.
    pub lower_bound: f64,
    /// The makespan with every task at its longest possible time: an upper bound on every
    /// scenario's makespan.
    pub upper_bound: f64,
    /// Probability that every task completes (the condition of `mean`).
    pub completion_probability: f64,
}

/// A `FailureModel` from its C value, or the message for an unknown one.
fn model_from_c(v: u32) -> Result<FailureModel, String> {
    match v {
        AGENTSCHED_FAILURE_MODEL_REPLACEMENT => Ok(FailureModel::Replacement),
        AGENTSCHED_FAILURE_MODEL_SEQUENTIAL_RETRY => Ok(FailureModel::SequentialRetry),
        _ => Err(format!(
            "model: unknown value {v} (AGENTSCHED_FAILURE_MODEL_REPLACEMENT = 0, \
             AGENTSCHED_FAILURE_MODEL_SEQUENTIAL_RETRY = 1)"
        )),
    }
}

/// Copies the C specs into library specs, one per task of `h`'s dag. On failure the dag's message
/// is set (naming the task and field where there is one) and the status returned.
///
/// The count is checked before any spec is read, so that every later message can name a task.
///
/// # Safety
/// `specs` valid for `len` specs when non-null, each spec's `backups` valid for `backups_len`
/// backups when non-null (the caller's contract).
unsafe fn specs_from_c(
    h: &mut agentsched_dag,
    specs: *const agentsched_fault_spec,
    len: usize,
) -> Result<Vec<FaultSpec>, agentsched_status> {
    // SAFETY: forwarded contract.
    let cspecs = match unsafe { slice(specs, len) } {
        Ok(s) => s,
        Err(agentsched_status::InvalidArgument) => {
            return Err(h.invalid("specs: length too large for memory"));
        }
        Err(s) => return Err(s),
    };
    let n = h.dag.task_count();
    if cspecs.len() != n {
        return Err(h.fail(Error::DimensionMismatch {
            field: "specs",
            expected: n,
            got: cspecs.len(),
        }));
    }
    let mut out = Vec::with_capacity(n);
    for (s, &id) in cspecs.iter().zip(h.dag.ids()) {
        // SAFETY: forwarded contract.
        let backups = match unsafe { slice(s.backups, s.backups_len) } {
            Ok(b) => b,
            Err(status) => {
                let reason = if status == agentsched_status::NullPointer {
                    format!("NULL with backups_len {}", s.backups_len)
                } else {
                    "length too large for memory".to_string()
                };
                let e = Error::InvalidFaultSpec {
                    task: id,
                    field: "backups".into(),
                    reason,
                };
                h.set_error(&e.to_string());
                return Err(status);
            }
        };
        out.push(FaultSpec {
            time: s.has_time.then_some(s.time),
            failure: s.failure,
            backups: backups
                .iter()
                .map(|b| Backup {
                    time: b.time,
                    failure: b.failure,
                })
                .collect(),
        });
    }
    Ok(out)
}

/// Fills `*out` with the default options of `agentsched_dag_expected_makespan`: enumerate up to
/// 65536 scenarios, otherwise simulate 10000 samples with seed 0.
///
/// Statuses: OK, NULL_POINTER, PANIC. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_makespan_options_default(
    out: *mut agentsched_makespan_options,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(out);
        let d = MakespanOptions::default();
        // SAFETY: checked non-null, writable (contract).
        unsafe {
            *out = agentsched_makespan_options {
                max_scenarios: d.max_scenarios,
                samples: d.samples,
                seed: d.seed,
            }
        };
        agentsched_status::Ok
    })
}

/// Copies each task's expected duration under the fault model, by task index, into `buf`:
/// `sum_k P_k t_k` over the attempts `k` (`P_k` = the probability that attempt `k` is the one
/// that succeeds, `t_k` its time under `model`), conditional on the task completing (divided by
/// `sum_k P_k` when every attempt may fail). With one backup that never fails and
/// `AGENTSCHED_FAILURE_MODEL_REPLACEMENT` this is `(1 - f) * p + f * p_b`, with exactly those
/// floating-point operations.
///
/// `specs` holds one spec per task by task index (`specs_len` = the number of tasks; read during
/// the call only); `model` is `AGENTSCHED_FAILURE_MODEL_REPLACEMENT` or `_SEQUENTIAL_RETRY`.
/// Each value lies between the task's shortest and longest possible time, up to rounding (so it
/// is infinite only if a sequential-retry sum exceeds `DBL_MAX`). O(V + total backups).
///
/// Statuses: OK, NULL_POINTER (also `specs` NULL with a non-zero length; a spec's `backups`
/// NULL with a non-zero length: the message names the task and `backups`), INVALID_ARGUMENT
/// (unknown `model`, a length too large for memory), DIMENSION_MISMATCH (`specs_len`),
/// INVALID_NUMBER (the message names the lowest task index with a probability outside [0, 1] or
/// a time negative or not finite, and the field, e.g. "task task#3: fault spec
/// `backups[0].failure`: must be a probability in [0, 1], got 1.5"; or a task whose every attempt
/// fails with probability 1), BUFFER_TOO_SMALL (`*out_len` = number of tasks), POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_dag_expected_durations(
    h: *mut agentsched_dag,
    specs: *const agentsched_fault_spec,
    specs_len: usize,
    model: u32,
    buf: *mut f64,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        non_null!(out_len);
        let model = match model_from_c(model) {
            Ok(m) => m,
            Err(msg) => return h.invalid(&msg),
        };
        // SAFETY: forwarded contract.
        let specs = match unsafe { specs_from_c(h, specs, specs_len) } {
            Ok(s) => s,
            Err(s) => return s,
        };
        match expected_durations(&h.dag, &specs, model) {
            // SAFETY: `buf` valid for `cap` values; `out_len` checked.
            Ok(d) => unsafe { write_items(&d, buf, cap, out_len) },
            Err(e) => h.fail(e),
        }
    })
}

/// Computes the expected schedule: earliest and latest start and finish, slack and a critical
/// path (as `agentsched_dag_times_with`) on the expected durations of
/// `agentsched_dag_expected_durations`. On OK `*out` receives times to free with
/// `agentsched_times_free`; their makespan and every earliest time are lower bounds on the
/// expectation of the random ones (Jensen's inequality; `agentsched_dag_expected_makespan` gives
/// the true expected makespan). `delays` is `AGENTSCHED_DELAYS_NONE` or `AGENTSCHED_DELAYS_DATA`.
/// O(V + E + total backups).
///
/// Statuses: as `agentsched_dag_expected_durations` (INVALID_ARGUMENT also for an unknown
/// `delays`; INVALID_NUMBER also when a sequential-retry sum overflows to infinity), without
/// BUFFER_TOO_SMALL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_dag_expected_times(
    h: *mut agentsched_dag,
    specs: *const agentsched_fault_spec,
    specs_len: usize,
    model: u32,
    delays: u32,
    out: *mut *mut agentsched_times,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        non_null!(out);
        let model = match model_from_c(model) {
            Ok(m) => m,
            Err(msg) => return h.invalid(&msg),
        };
        let delays = match delays_from_c(delays) {
            Ok(d) => d,
            Err(msg) => return h.invalid(&msg),
        };
        // SAFETY: forwarded contract.
        let specs = match unsafe { specs_from_c(h, specs, specs_len) } {
            Ok(s) => s,
            Err(s) => return s,
        };
        match expected_times(&h.dag, &specs, model, delays) {
            // SAFETY: `out` checked non-null.
            Ok(t) => unsafe { give_times(t, out) },
            Err(e) => h.fail(e),
        }
    })
}

/// The probability that the whole graph completes without using any backup, every primary
/// attempt succeeding: `prod_i (1 - failure_i)`, multiplied in task-index order from 1, in
/// `*out` (unconditional; it may underflow to 0 on huge graphs). The specs are validated as in
/// `agentsched_dag_expected_durations`, but a task whose attempts all fail is not an error here.
/// O(V + total backups).
///
/// Statuses: OK, NULL_POINTER, INVALID_ARGUMENT (a length too large for memory),
/// DIMENSION_MISMATCH (`specs_len`), INVALID_NUMBER (the message names the task and the field),
/// POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_dag_no_backup_probability(
    h: *mut agentsched_dag,
    specs: *const agentsched_fault_spec,
    specs_len: usize,
    out: *mut f64,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        non_null!(out);
        // SAFETY: forwarded contract.
        let specs = match unsafe { specs_from_c(h, specs, specs_len) } {
            Ok(s) => s,
            Err(s) => return s,
        };
        match no_backup_probability(&h.dag, &specs) {
            Ok(p) => {
                // SAFETY: checked non-null, writable (contract).
                unsafe { *out = p };
                agentsched_status::Ok
            }
            Err(e) => h.fail(e),
        }
    })
}

/// The probability that every task completes, `prod_i (1 - q_i)` with `q_i` the probability that
/// every attempt of task `i` fails, in `*out`: 1 when every task's last attempt never fails, 0
/// when some task's attempts all fail with probability 1 (not an error here). Every expectation
/// of this module is conditional on this event. O(V + total backups).
///
/// Statuses: as `agentsched_dag_no_backup_probability`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_dag_completion_probability(
    h: *mut agentsched_dag,
    specs: *const agentsched_fault_spec,
    specs_len: usize,
    out: *mut f64,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        non_null!(out);
        // SAFETY: forwarded contract.
        let specs = match unsafe { specs_from_c(h, specs, specs_len) } {
            Ok(s) => s,
            Err(s) => return s,
        };
        match completion_probability(&h.dag, &specs) {
            Ok(p) => {
                // SAFETY: checked non-null, writable (contract).
                unsafe { *out = p };
                agentsched_status::Ok
            }
            Err(e) => h.fail(e),
        }
    })
}

/// The expected makespan under the fault model, conditional on the graph completing, in `*out`.
///
/// A scenario fixes which attempt completes each task; its makespan is the longest path with
/// those times (and the edges' data with `AGENTSCHED_DELAYS_DATA`). When the scenarios (the
/// product over tasks of the outcomes each can have) number at most `options->max_scenarios`,
/// every one is evaluated and the result is exact (`std_error` 0); otherwise `options->samples`
/// scenarios are drawn with `options->seed` and the result is their mean, with its standard
/// error and a 95% interval (same seed, same result). `options` may be NULL (the defaults of
/// `agentsched_makespan_options_default`). Both report the makespan of the expected durations
/// (a lower bound) and of the longest times (an upper bound). Deterministic. O(V + E + total
/// backups) per scenario or sample.
///
/// Statuses: as `agentsched_dag_expected_times`, and INVALID_CONFIG (the simulation runs with
/// `samples` < 2; the message names `samples`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_dag_expected_makespan(
    h: *mut agentsched_dag,
    specs: *const agentsched_fault_spec,
    specs_len: usize,
    model: u32,
    delays: u32,
    options: *const agentsched_makespan_options,
    out: *mut agentsched_makespan_estimate,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        non_null!(out);
        let model = match model_from_c(model) {
            Ok(m) => m,
            Err(msg) => return h.invalid(&msg),
        };
        let delays = match delays_from_c(delays) {
            Ok(d) => d,
            Err(msg) => return h.invalid(&msg),
        };
        let opts = if options.is_null() {
            MakespanOptions::default()
        } else {
            // SAFETY: non-null, points to options (contract).
            let o = unsafe { *options };
            MakespanOptions {
                max_scenarios: o.max_scenarios,
                samples: o.samples,
                seed: o.seed,
            }
        };
        // SAFETY: forwarded contract.
        let specs = match unsafe { specs_from_c(h, specs, specs_len) } {
            Ok(s) => s,
            Err(s) => return s,
        };
        let m = match expected_makespan(&h.dag, &specs, model, delays, &opts) {
            Ok(m) => m,
            Err(e) => return h.fail(e),
        };
        let (method, evaluated, seed) = match m.method {
            MakespanMethod::Exact { scenarios } => (AGENTSCHED_MAKESPAN_EXACT, scenarios, 0),
            MakespanMethod::MonteCarlo { samples, seed } => {
                (AGENTSCHED_MAKESPAN_MONTE_CARLO, samples, seed)
            }
        };
        // SAFETY: checked non-null, writable (contract).
        unsafe {
            *out = agentsched_makespan_estimate {
                mean: m.mean,
                std_dev: m.std_dev,
                std_error: m.std_error,
                low: m.low,
                high: m.high,
                method,
                evaluated,
                seed,
                lower_bound: m.lower_bound,
                upper_bound: m.upper_bound,
                completion_probability: m.completion_probability,
            }
        };
        agentsched_status::Ok
    })
}

#[cfg(test)]
mod tests {
    use super::super::{
        agentsched_dag_free, agentsched_dag_last_error, agentsched_dag_new,
        agentsched_task_graph_add_edge, agentsched_task_graph_add_task, agentsched_task_graph_free,
        agentsched_task_graph_new, agentsched_times_free,
    };
    use super::*;
    use crate::TaskId;
    use crate::dag::{Delays, TaskGraph};
    use std::ffi::{CStr, c_char};
    use std::ptr::{null, null_mut};

    /// Tasks 5, 4, 3 (durations 2, 3, 1; inserted in that order), edges 5 -> 4 (data 1) and
    /// 5 -> 3, as a dag handle and as a library `Dag`.
    fn dags() -> (*mut agentsched_dag, crate::dag::Dag) {
        let tasks = [(5, 2.0), (4, 3.0), (3, 1.0)];
        let edges = [(5, 4, 1.0), (5, 3, 0.0)];
        let mut g = null_mut();
        let mut d = null_mut();
        // SAFETY: valid out pointers, then live handles.
        unsafe {
            assert_eq!(agentsched_task_graph_new(&mut g), agentsched_status::Ok);
            for (id, p) in tasks {
                assert_eq!(
                    agentsched_task_graph_add_task(g, id, p),
                    agentsched_status::Ok
                );
            }
            for (u, v, data) in edges {
                assert_eq!(
                    agentsched_task_graph_add_edge(g, u, v, data),
                    agentsched_status::Ok
                );
            }
            assert_eq!(agentsched_dag_new(g, &mut d), agentsched_status::Ok);
            agentsched_task_graph_free(g);
        }
        let lib = TaskGraph::from_parts(
            tasks.map(|(i, p)| (TaskId(i), p)),
            edges.map(|(u, v, data)| (TaskId(u), TaskId(v), data)),
        )
        .unwrap()
        .freeze()
        .unwrap();
        (d, lib)
    }

    fn message(d: *const agentsched_dag) -> String {
        let mut buf = [0 as c_char; 256];
        let mut len = 0;
        // SAFETY: a live dag, a buffer of 256 bytes.
        unsafe {
            assert_eq!(
                agentsched_dag_last_error(d, buf.as_mut_ptr(), buf.len(), &mut len),
                agentsched_status::Ok
            );
            CStr::from_ptr(buf.as_ptr()).to_str().unwrap().to_string()
        }
    }

    /// The C structs carry every field to the library: the results are the library's own, bit for
    /// bit, for both models, with and without a primary time of its own.
    #[test]
    fn results_are_the_librarys_bit_for_bit() {
        let (d, lib) = dags();
        let b0 = [agentsched_backup {
            time: 7.0,
            failure: 0.25,
        }];
        let b2 = [
            agentsched_backup {
                time: 4.0,
                failure: 0.5,
            },
            agentsched_backup {
                time: 9.0,
                failure: 0.0,
            },
        ];
        let cspecs = [
            agentsched_fault_spec {
                failure: 0.1,
                has_time: false,
                time: f64::NAN,
                backups: b0.as_ptr(),
                backups_len: 1,
            },
            agentsched_fault_spec {
                failure: 0.0,
                has_time: true,
                time: 2.5,
                backups: null(),
                backups_len: 0,
            },
            agentsched_fault_spec {
                failure: 0.3,
                has_time: false,
                time: 0.0,
                backups: b2.as_ptr(),
                backups_len: 2,
            },
        ];
        let specs = [
            FaultSpec::new(0.1).with_backup(7.0, 0.25),
            FaultSpec::reliable().with_time(2.5),
            FaultSpec::new(0.3)
                .with_backup(4.0, 0.5)
                .with_backup(9.0, 0.0),
        ];
        // SAFETY: a live dag, valid arrays and out pointers.
        unsafe {
            for (cm, m) in [
                (
                    AGENTSCHED_FAILURE_MODEL_REPLACEMENT,
                    FailureModel::Replacement,
                ),
                (
                    AGENTSCHED_FAILURE_MODEL_SEQUENTIAL_RETRY,
                    FailureModel::SequentialRetry,
                ),
            ] {
                let mut got = [f64::NAN; 3];
                let mut len = 0;
                assert_eq!(
                    agentsched_dag_expected_durations(
                        d,
                        cspecs.as_ptr(),
                        3,
                        cm,
                        got.as_mut_ptr(),
                        3,
                        &mut len
                    ),
                    agentsched_status::Ok
                );
                let want = expected_durations(&lib, &specs, m).unwrap();
                assert_eq!((len, &got[..]), (3, &want[..]));

                let mut t = null_mut();
                assert_eq!(
                    agentsched_dag_expected_times(d, cspecs.as_ptr(), 3, cm, 1, &mut t),
                    agentsched_status::Ok
                );
                let want = expected_times(&lib, &specs, m, Delays::Data).unwrap();
                assert_eq!((*t).t, want);
                agentsched_times_free(t);

                let opts = agentsched_makespan_options {
                    max_scenarios: 0,
                    samples: 500,
                    seed: 9,
                };
                let mut e = agentsched_makespan_estimate::default();
                assert_eq!(
                    agentsched_dag_expected_makespan(d, cspecs.as_ptr(), 3, cm, 1, &opts, &mut e),
                    agentsched_status::Ok
                );
                let lib_opts = MakespanOptions {
                    max_scenarios: 0,
                    samples: 500,
                    seed: 9,
                };
                let want = expected_makespan(&lib, &specs, m, Delays::Data, &lib_opts).unwrap();
                assert_eq!(
                    (e.mean, e.std_dev, e.std_error, e.low, e.high),
                    (want.mean, want.std_dev, want.std_error, want.low, want.high)
                );
                assert_eq!(
                    (e.method, e.evaluated, e.seed),
                    (AGENTSCHED_MAKESPAN_MONTE_CARLO, 500, 9)
                );
                assert_eq!(
                    (e.lower_bound, e.upper_bound, e.completion_probability),
                    (
                        want.lower_bound,
                        want.upper_bound,
                        want.completion_probability
                    )
                );
            }
            let (mut p, mut q) = (f64::NAN, f64::NAN);
            assert_eq!(
                agentsched_dag_no_backup_probability(d, cspecs.as_ptr(), 3, &mut p),
                agentsched_status::Ok
            );
            assert_eq!(
                agentsched_dag_completion_probability(d, cspecs.as_ptr(), 3, &mut q),
                agentsched_status::Ok
            );
            assert_eq!(p, no_backup_probability(&lib, &specs).unwrap());
            assert_eq!(q, completion_probability(&lib, &specs).unwrap());
            agentsched_dag_free(d);
        }
    }

    /// Messages name the task by id and the field, for the library's checks and the ABI's own.
    #[test]
    fn failures_name_the_task_and_the_field() {
        let (d, _) = dags();
        let bad = [agentsched_backup {
            time: 1.0,
            failure: 1.5,
        }];
        let mut specs = [agentsched_fault_spec {
            failure: 0.0,
            has_time: false,
            time: 0.0,
            backups: null(),
            backups_len: 0,
        }; 3];
        let mut p = -1.0;
        // SAFETY: a live dag; `specs` valid for 3 specs, their backups as described.
        unsafe {
            specs[2].backups = bad.as_ptr();
            specs[2].backups_len = 1;
            assert_eq!(
                agentsched_dag_no_backup_probability(d, specs.as_ptr(), 3, &mut p),
                agentsched_status::InvalidNumber
            );
            assert_eq!(
                message(d),
                "task task#3: fault spec `backups[0].failure`: must be a probability in [0, 1], \
                 got 1.5"
            );
            specs[1].backups_len = 2;
            assert_eq!(
                agentsched_dag_no_backup_probability(d, specs.as_ptr(), 3, &mut p),
                agentsched_status::NullPointer
            );
            assert_eq!(
                message(d),
                "task task#4: fault spec `backups`: NULL with backups_len 2"
            );
            assert_eq!(
                agentsched_dag_no_backup_probability(d, specs.as_ptr(), 2, &mut p),
                agentsched_status::DimensionMismatch
            );
            assert_eq!(message(d), "specs: expected 3 dimensions, got 2");
            let mut e = agentsched_makespan_estimate::default();
            assert_eq!(
                agentsched_dag_expected_makespan(d, specs.as_ptr(), 3, 2, 0, null(), &mut e),
                agentsched_status::InvalidArgument
            );
            assert!(message(d).starts_with("model: unknown value 2"));
            assert_eq!(p, -1.0);
            agentsched_dag_free(d);
        }
    }
}
