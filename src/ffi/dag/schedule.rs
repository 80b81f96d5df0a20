//! List schedules of task graphs through the C ABI: HEFT, CPoP and their improvements by name, the
//! best of them within a time limit, local search from any valid schedule, the lower bound, and
//! the upward and downward ranks.
//!
//! Every call takes an `agentsched_dag` (whose message store holds the reason of a failure) and
//! an `agentsched_platform` (read only: one platform may serve several calls at once), and writes
//! into caller buffers: a schedule is an array of `agentsched_slot`, one per task by task index,
//! exactly what `agentsched_dag_validate` takes. The buffer's capacity is checked against the
//! task count before anything is computed, so a size probe (`slots` NULL, `cap` 0) costs nothing.
//! No logic lives here: only conversion.

use super::{agentsched_dag, agentsched_platform, agentsched_slot};
use crate::Error;
use crate::dag::{
    ALGORITHMS, Exec, ImproveOptions, Platform, Schedule, Slot, best, by_name, downward_ranks,
    improve, lower_bound, upward_ranks,
};
use crate::ffi::dispatcher::handle;
use crate::ffi::{agentsched_status, cstr, ffi_boundary, non_null, slice, write_items};
use std::ffi::{CStr, c_char};
use std::time::Duration;

/// Every name `agentsched_dag_schedule_best` can report, as static C strings: the names of
/// `ALGORITHMS`, alone and followed by `+ls` (a unit test keeps the table complete).
const ALGORITHM_NAMES: [(&str, &CStr); 8] = [
    ("heft", c"heft"),
    ("cpop", c"cpop"),
    ("heft-lookahead", c"heft-lookahead"),
    ("heft-ls", c"heft-ls"),
    ("heft+ls", c"heft+ls"),
    ("cpop+ls", c"cpop+ls"),
    ("heft-lookahead+ls", c"heft-lookahead+ls"),
    ("heft-ls+ls", c"heft-ls+ls"),
];

/// The static C string of an algorithm's name.
fn static_name(name: &str) -> &'static CStr {
    ALGORITHM_NAMES
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(c"unknown", |&(_, c)| c)
}

/// Checks that `platform` fits the dag (a time matrix has one row per task), with a message on
/// the dag when it does not.
fn fit(h: &mut agentsched_dag, platform: &Platform) -> Result<(), agentsched_status> {
    match platform.check(&h.dag) {
        Ok(()) => Ok(()),
        Err(e @ Error::DimensionMismatch { .. }) => {
            let rows = match platform.exec() {
                Exec::Matrix { times } => times.len() / platform.agents().max(1),
                Exec::Related { .. } => h.dag.task_count(),
            };
            h.set_error(&format!(
                "platform: its time matrix has {rows} rows (one per task), the dag has {} tasks",
                h.dag.task_count()
            ));
            Err(agentsched_status::from(&e))
        }
        Err(e) => Err(h.fail(e)),
    }
}

/// Checks that a caller array `(buf, cap)` holds `n` items; if not, reports `n` in `*out_len`.
///
/// # Safety
/// `out_len` must be non-null and writable.
unsafe fn room<T>(
    n: usize,
    buf: *mut T,
    cap: usize,
    out_len: *mut usize,
) -> Result<(), agentsched_status> {
    if n > cap || (buf.is_null() && n > 0) {
        // SAFETY: non-null, writable (caller contract).
        unsafe { *out_len = n };
        return Err(agentsched_status::BufferTooSmall);
    }
    Ok(())
}

/// A schedule as C slots, or an error when an agent index does not fit a `uint32_t` (not
/// possible with a platform made through the ABI: its `agents * agents` links would not fit in
/// memory).
fn slots_to_c(s: &Schedule) -> crate::Result<Vec<agentsched_slot>> {
    s.slots
        .iter()
        .map(|s| {
            let agent = u32::try_from(s.agent).map_err(|_| Error::Overflow {
                field: "agent",
                dimension: 0,
            })?;
            Ok(agentsched_slot {
                agent,
                start: s.start,
                finish: s.finish,
            })
        })
        .collect()
}

/// Writes a schedule into `(slots, cap, out_len)` and its makespan into `*out_makespan`, all or
/// nothing.
///
/// # Safety
/// `slots` valid for `cap` slots (checked by [`room`] to hold the schedule); `out_len` and
/// `out_makespan` non-null and writable.
unsafe fn give_schedule(
    h: &mut agentsched_dag,
    s: &Schedule,
    slots: *mut agentsched_slot,
    cap: usize,
    out_len: *mut usize,
    out_makespan: *mut f64,
) -> agentsched_status {
    let c = match slots_to_c(s) {
        Ok(c) => c,
        Err(e) => return h.fail(e),
    };
    // SAFETY: forwarded contract.
    let st = unsafe { write_items(&c, slots, cap, out_len) };
    if st == agentsched_status::Ok {
        // SAFETY: checked non-null by the caller, writable (contract).
        unsafe { *out_makespan = s.makespan };
    }
    st
}

/// `time_limit_ms == 0` means no wall-clock limit.
fn time_limit(ms: u64) -> Option<Duration> {
    (ms > 0).then(|| Duration::from_millis(ms))
}

/// Schedules every task of `dag` on `platform` with the list-scheduling algorithm named
/// `algorithm` (NUL-terminated, exact and lower case; read during the call only):
/// - `"heft"`: Heterogeneous Earliest Finish Time (Topcuoglu, Hariri and Wu, IEEE TPDS 13(3),
///   2002): tasks by decreasing upward rank, each at its earliest finish with insertion.
/// - `"cpop"`: Critical Path on a Processor (same paper): the critical path on the one agent
///   that runs it fastest, the other tasks at their earliest finish.
/// - `"heft-lookahead"`: HEFT choosing each agent by the children's earliest finish (Bittencourt,
///   Sakellariou and Madeira, PDP 2010).
/// - `"heft-ls"`: HEFT improved by the local search of `agentsched_dag_improve` with a budget that
///   depends only on the graph's size.
///
/// On OK, `slots[i]` (i < `*out_len` = the number of tasks) is task index `i`'s agent, start and
/// finish, and `*out_makespan` the largest finish: an array `agentsched_dag_validate` accepts with
/// that makespan. Ties break by the lowest task index, then the lowest agent; deterministic (the
/// same bytes on every call). The capacity is checked before anything is computed: a graph
/// without tasks needs none (`slots` may be NULL; makespan 0).
///
/// Statuses: OK, NULL_POINTER (`dag`, `platform`, `algorithm`, `out_len`, `out_makespan`),
/// INVALID_ARGUMENT (an unknown name, or one that is not UTF-8: the dag's message lists the
/// names), DIMENSION_MISMATCH (a matrix platform made for another number of tasks: the message
/// gives both), BUFFER_TOO_SMALL (`cap` below the number of tasks, or `slots` NULL with tasks:
/// `*out_len` = number of tasks, nothing else written), POISONED, PANIC. On failure nothing but
/// that `*out_len` is written.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_dag_schedule(
    dag: *mut agentsched_dag,
    platform: *const agentsched_platform,
    algorithm: *const c_char,
    slots: *mut agentsched_slot,
    cap: usize,
    out_len: *mut usize,
    out_makespan: *mut f64,
) -> agentsched_status {
    ffi_boundary!(poison dag, {
        let h = handle!(dag);
        non_null!(platform, algorithm, out_len, out_makespan);
        // SAFETY: non-null platform made by this library (contract).
        let platform = unsafe { &(*platform).p };
        // SAFETY: non-null, NUL-terminated (contract).
        let Some(name) = (unsafe { cstr(algorithm) }) else {
            return h.invalid("algorithm name: not UTF-8");
        };
        let Some(f) = by_name(name) else {
            let known: Vec<&str> = ALGORITHMS.iter().map(|(n, _)| *n).collect();
            return h.invalid(&format!(
                "unknown algorithm `{name}` (known: {}; the best of them: \
                 agentsched_dag_schedule_best)",
                known.join(", ")
            ));
        };
        if let Err(s) = fit(h, platform) {
            return s;
        }
        // SAFETY: `out_len` checked non-null.
        if let Err(s) = unsafe { room(h.dag.task_count(), slots, cap, out_len) } {
            return s;
        }
        match f(&h.dag, platform) {
            // SAFETY: `slots` holds the schedule (checked above); outputs checked non-null.
            Ok(s) => unsafe { give_schedule(h, &s, slots, cap, out_len, out_makespan) },
            Err(e) => h.fail(e),
        }
    })
}

/// The library's strongest schedule within a time limit: HEFT, CPoP and (when it fits in half
/// the time left) lookahead HEFT, then the local search of `agentsched_dag_improve` on the best
/// of them for the rest of the time. Ties between the first three go to the earlier in that list.
/// The makespan is never above HEFT's or CPoP's.
///
/// `time_limit_ms == 0` means no limit: everything runs, the search has `"heft-ls"`'s budget
/// (which depends only on the graph's size), and the result is deterministic. With a limit the
/// search runs until the limit (or until the makespan reaches `agentsched_dag_lower_bound`), so
/// the result may depend on the machine's speed; HEFT and CPoP always run, so a tiny limit is
/// exceeded by their time.
///
/// On OK the schedule is written as by `agentsched_dag_schedule`, and `*out_algorithm` receives
/// the name of the method that found it: `"heft"`, `"cpop"` or `"heft-lookahead"`, followed by
/// `"+ls"` when the search then lowered its makespan (e.g. `"cpop+ls"`). The name is a static
/// NUL-terminated string: never free it.
///
/// Statuses: OK, NULL_POINTER (`dag`, `platform`, `out_len`, `out_makespan`, `out_algorithm`),
/// DIMENSION_MISMATCH (a matrix platform made for another number of tasks), BUFFER_TOO_SMALL
/// (`*out_len` = number of tasks, checked before anything is computed), POISONED, PANIC. On
/// failure nothing but that `*out_len` is written.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_dag_schedule_best(
    dag: *mut agentsched_dag,
    platform: *const agentsched_platform,
    time_limit_ms: u64,
    slots: *mut agentsched_slot,
    cap: usize,
    out_len: *mut usize,
    out_makespan: *mut f64,
    out_algorithm: *mut *const c_char,
) -> agentsched_status {
    ffi_boundary!(poison dag, {
        let h = handle!(dag);
        non_null!(platform, out_len, out_makespan, out_algorithm);
        // SAFETY: non-null platform made by this library (contract).
        let platform = unsafe { &(*platform).p };
        if let Err(s) = fit(h, platform) {
            return s;
        }
        // SAFETY: `out_len` checked non-null.
        if let Err(s) = unsafe { room(h.dag.task_count(), slots, cap, out_len) } {
            return s;
        }
        let b = match best(&h.dag, platform, time_limit(time_limit_ms)) {
            Ok(b) => b,
            Err(e) => return h.fail(e),
        };
        // SAFETY: `slots` holds the schedule (checked above); outputs checked non-null.
        let s = unsafe { give_schedule(h, &b.schedule, slots, cap, out_len, out_makespan) };
        if s == agentsched_status::Ok {
            // SAFETY: checked non-null, writable (contract).
            unsafe { *out_algorithm = static_name(b.algorithm).as_ptr() };
        }
        s
    })
}

/// Improves a valid schedule by iterated local search: the tasks of the chain that sets the
/// makespan move to other agents, the whole graph re-timed after each move (insertion-based, as
/// HEFT), with seeded perturbations when no move helps (the neighbourhood of Wu, Shu and Gu,
/// IEEE TPDS 12(6), 2001). The result's makespan is never above the start's.
///
/// `start[i]` is task index `i`'s slot (`start_len` must be the number of tasks; read during the
/// call only; the start's makespan is its largest finish), e.g. from `agentsched_dag_schedule`.
/// The search stops after `max_evaluations` re-timings, when `time_limit_ms > 0` after that many
/// milliseconds, or at `agentsched_dag_lower_bound`; with `time_limit_ms == 0` the result is
/// deterministic for a given `seed`. On OK the schedule is written as by
/// `agentsched_dag_schedule`; `slots` may be the `start` array itself (it is read in full before
/// anything is written).
///
/// Statuses: OK, NULL_POINTER (`dag`, `platform`, `out_len`, `out_makespan`, or `start` NULL with
/// a non-zero length), INVALID_ARGUMENT (a length too large for memory), DIMENSION_MISMATCH
/// (`start_len` is not the number of tasks, or a matrix platform made for another number of
/// tasks), INVALID_SCHEDULE (`start` is not a valid schedule: the dag's message names the task
/// and the rule, as `agentsched_dag_validate`'s), BUFFER_TOO_SMALL (`*out_len` = number of tasks,
/// checked before the search), POISONED, PANIC. On failure nothing but that `*out_len` is
/// written.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_dag_improve(
    dag: *mut agentsched_dag,
    platform: *const agentsched_platform,
    start: *const agentsched_slot,
    start_len: usize,
    max_evaluations: u64,
    time_limit_ms: u64,
    seed: u64,
    slots: *mut agentsched_slot,
    cap: usize,
    out_len: *mut usize,
    out_makespan: *mut f64,
) -> agentsched_status {
    ffi_boundary!(poison dag, {
        let h = handle!(dag);
        non_null!(platform, out_len, out_makespan);
        // SAFETY: non-null platform made by this library (contract).
        let platform = unsafe { &(*platform).p };
        // Copied out at once: `slots` may alias `start`, and no reference into it outlives this.
        // SAFETY: valid for `start_len` slots when non-null (contract).
        let given: Vec<Slot> = match unsafe { slice(start, start_len) } {
            Ok(s) => s
                .iter()
                .map(|s| Slot {
                    agent: s.agent as usize,
                    start: s.start,
                    finish: s.finish,
                })
                .collect(),
            Err(agentsched_status::InvalidArgument) => {
                return h.invalid("start: length too large for memory");
            }
            Err(s) => return s,
        };
        if let Err(s) = fit(h, platform) {
            return s;
        }
        let n = h.dag.task_count();
        if given.len() != n {
            return h.fail(Error::DimensionMismatch {
                field: "start",
                expected: n,
                got: given.len(),
            });
        }
        // SAFETY: `out_len` checked non-null.
        if let Err(s) = unsafe { room(n, slots, cap, out_len) } {
            return s;
        }
        let schedule = Schedule {
            makespan: given.iter().map(|s| s.finish).fold(0.0, f64::max),
            slots: given,
        };
        let options = ImproveOptions {
            max_evaluations,
            time_limit: time_limit(time_limit_ms),
            seed,
        };
        match improve(&h.dag, platform, &schedule, &options) {
            // SAFETY: `slots` holds the schedule (checked above); outputs checked non-null.
            Ok(s) => unsafe { give_schedule(h, &s, slots, cap, out_len, out_makespan) },
            Err(e) => h.fail(e),
        }
    })
}

/// A lower bound on the makespan of every schedule of `dag` on `platform`, in `*out`: the larger
/// of the critical path with every task at its fastest agent and no communication, and the work
/// bound (related agents: total duration / total speed; a time matrix: the sum of the fastest
/// times / agents). 0 for a graph without tasks. O(V m + E).
///
/// Statuses: OK, NULL_POINTER, DIMENSION_MISMATCH (a matrix platform made for another number of
/// tasks), POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_dag_lower_bound(
    dag: *mut agentsched_dag,
    platform: *const agentsched_platform,
    out: *mut f64,
) -> agentsched_status {
    ffi_boundary!(poison dag, {
        let h = handle!(dag);
        non_null!(platform, out);
        // SAFETY: non-null platform made by this library (contract).
        let platform = unsafe { &(*platform).p };
        if let Err(s) = fit(h, platform) {
            return s;
        }
        match lower_bound(&h.dag, platform) {
            Ok(b) => {
                // SAFETY: checked non-null, writable (contract).
                unsafe { *out = b };
                agentsched_status::Ok
            }
            Err(e) => h.fail(e),
        }
    })
}

/// Which ranks `ranks` computes.
enum Ranks {
    Upward,
    Downward,
}

/// The body of `agentsched_dag_upward_ranks` and `_downward_ranks` (run inside their boundary).
///
/// # Safety
/// As theirs.
unsafe fn ranks(
    dag: *mut agentsched_dag,
    platform: *const agentsched_platform,
    which: Ranks,
    buf: *mut f64,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    let h = handle!(dag);
    non_null!(platform, out_len);
    // SAFETY: non-null platform made by this library (contract).
    let platform = unsafe { &(*platform).p };
    if let Err(s) = fit(h, platform) {
        return s;
    }
    // SAFETY: `out_len` checked non-null.
    if let Err(s) = unsafe { room(h.dag.task_count(), buf, cap, out_len) } {
        return s;
    }
    let r = match which {
        Ranks::Upward => upward_ranks(&h.dag, platform),
        Ranks::Downward => downward_ranks(&h.dag, platform),
    };
    match r {
        // SAFETY: `buf` valid for `cap` values; `out_len` checked.
        Ok(r) => unsafe { write_items(&r, buf, cap, out_len) },
        Err(e) => h.fail(e),
    }
}

/// Copies the upward rank of every task, by task index, into `buf`: HEFT's priority,
/// `rank_u(i) = mean_w(i) + max over successors j of (mean_c(i, j) + rank_u(j))` (`mean_w(i)`
/// for an exit task; Topcuoglu, Hariri and Wu 2002, eq. 5), where `mean_w` is a task's mean
/// execution time over the agents and `mean_c` an edge's data times the mean of `1 / link` over
/// the ordered pairs of distinct agents (0 with one agent). O(V m + E).
///
/// Statuses: OK, NULL_POINTER, DIMENSION_MISMATCH (a matrix platform made for another number of
/// tasks), BUFFER_TOO_SMALL (`*out_len` = number of tasks), POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_dag_upward_ranks(
    dag: *mut agentsched_dag,
    platform: *const agentsched_platform,
    buf: *mut f64,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    ffi_boundary!(poison dag, {
        // SAFETY: forwarded contract.
        unsafe { ranks(dag, platform, Ranks::Upward, buf, cap, out_len) }
    })
}

/// Copies the downward rank of every task, by task index, into `buf`, with the mean costs of
/// `agentsched_dag_upward_ranks`:
/// `rank_d(i) = max over predecessors j of (rank_d(j) + mean_w(j) + mean_c(j, i))`, 0 for an
/// entry task (eq. 6). CPoP's priority is `rank_u + rank_d`. O(V m + E).
///
/// Statuses: OK, NULL_POINTER, DIMENSION_MISMATCH (a matrix platform made for another number of
/// tasks), BUFFER_TOO_SMALL (`*out_len` = number of tasks), POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_dag_downward_ranks(
    dag: *mut agentsched_dag,
    platform: *const agentsched_platform,
    buf: *mut f64,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    ffi_boundary!(poison dag, {
        // SAFETY: forwarded contract.
        unsafe { ranks(dag, platform, Ranks::Downward, buf, cap, out_len) }
    })
}

#[cfg(test)]
mod tests {
    use super::super::{
        agentsched_dag_free, agentsched_dag_last_error, agentsched_dag_new,
        agentsched_dag_validate, agentsched_platform_free, agentsched_platform_matrix,
        agentsched_task_graph_add_edge, agentsched_task_graph_add_task, agentsched_task_graph_free,
        agentsched_task_graph_new,
    };
    use super::*;
    use crate::TaskId;
    use crate::dag::TaskGraph;
    use std::ptr::{null, null_mut};

    /// Every name `best` can give (an algorithm, maybe followed by `+ls`) has its static string.
    #[test]
    fn every_algorithm_name_has_a_static_string() {
        for (name, _) in ALGORITHMS {
            for n in [name.to_string(), format!("{name}+ls")] {
                assert_eq!(static_name(&n).to_str().unwrap(), n);
            }
        }
        assert_eq!(ALGORITHM_NAMES.len(), 2 * ALGORITHMS.len());
    }

    fn message(d: *const agentsched_dag) -> String {
        let mut buf = [0 as c_char; 256];
        let mut len = 0;
        // SAFETY: a live dag, a valid buffer; NUL-terminated on OK.
        unsafe {
            assert_eq!(
                agentsched_dag_last_error(d, buf.as_mut_ptr(), buf.len(), &mut len),
                agentsched_status::Ok
            );
            CStr::from_ptr(buf.as_ptr()).to_str().unwrap().to_string()
        }
    }

    /// Each algorithm through the ABI gives the library's own schedule, bit for bit; failures
    /// write nothing and leave a message.
    #[test]
    fn schedules_convert_faithfully() {
        let (tasks, edges) = ([(1, 0.0), (2, 0.0), (3, 0.0)], [(1, 2, 4.0), (1, 3, 1.0)]);
        let times = [2.0, 3.0, 4.0, 1.0, 2.0, 5.0];
        let links = [0.0, 1.0, 1.0, 0.0];
        let lib_dag = TaskGraph::from_parts(
            tasks.map(|(i, d)| (TaskId(i), d)),
            edges.map(|(u, v, d)| (TaskId(u), TaskId(v), d)),
        )
        .unwrap()
        .freeze()
        .unwrap();
        let lib_p = Platform::matrix(3, 2, times.to_vec(), links.to_vec()).unwrap();
        // SAFETY: valid out pointers, live handles and buffers throughout.
        unsafe {
            let mut g = null_mut();
            assert_eq!(agentsched_task_graph_new(&mut g), agentsched_status::Ok);
            for (id, d) in tasks {
                agentsched_task_graph_add_task(g, id, d);
            }
            for (u, v, d) in edges {
                agentsched_task_graph_add_edge(g, u, v, d);
            }
            let mut d = null_mut();
            assert_eq!(agentsched_dag_new(g, &mut d), agentsched_status::Ok);
            agentsched_task_graph_free(g);
            let mut p = null_mut();
            assert_eq!(
                agentsched_platform_matrix(3, 2, times.as_ptr(), 6, links.as_ptr(), 4, &mut p),
                agentsched_status::Ok
            );
            for (name, f) in ALGORITHMS {
                let want = f(&lib_dag, &lib_p).unwrap();
                let cname = std::ffi::CString::new(name).unwrap();
                let mut out = [agentsched_slot::default(); 3];
                let (mut len, mut ms) = (0, f64::NAN);
                assert_eq!(
                    agentsched_dag_schedule(
                        d,
                        p,
                        cname.as_ptr(),
                        out.as_mut_ptr(),
                        3,
                        &mut len,
                        &mut ms
                    ),
                    agentsched_status::Ok
                );
                assert_eq!((len, ms), (3, want.makespan), "{name}");
                for (o, w) in out.iter().zip(&want.slots) {
                    assert_eq!(
                        (o.agent as usize, o.start, o.finish),
                        (w.agent, w.start, w.finish)
                    );
                }
                let mut check = f64::NAN;
                assert_eq!(
                    agentsched_dag_validate(d, p, out.as_ptr(), 3, ms, &mut check),
                    agentsched_status::Ok
                );
                assert_eq!(check, ms);
            }
            let mut out = [agentsched_slot::default(); 3];
            let (mut len, mut ms) = (usize::MAX, f64::NAN);
            assert_eq!(
                agentsched_dag_schedule(
                    d,
                    p,
                    c"HEFT".as_ptr(),
                    out.as_mut_ptr(),
                    3,
                    &mut len,
                    &mut ms
                ),
                agentsched_status::InvalidArgument
            );
            let msg = message(d);
            assert!(
                msg.contains("`HEFT`") && msg.contains("heft-lookahead"),
                "{msg}"
            );
            assert_eq!(
                agentsched_dag_schedule(
                    d,
                    p,
                    c"heft".as_ptr(),
                    out.as_mut_ptr(),
                    2,
                    &mut len,
                    &mut ms
                ),
                agentsched_status::BufferTooSmall
            );
            assert_eq!(len, 3);
            assert!(ms.is_nan() && out == [agentsched_slot::default(); 3]);
            let mut name = null();
            assert_eq!(
                agentsched_dag_schedule_best(d, p, 0, null_mut(), 0, &mut len, &mut ms, &mut name),
                agentsched_status::BufferTooSmall
            );
            assert!(name.is_null() && ms.is_nan());
            agentsched_platform_free(p);
            agentsched_dag_free(d);
        }
    }
}
