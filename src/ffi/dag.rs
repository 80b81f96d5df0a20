//! Task graphs through the C ABI: building and freezing a graph, CPM times and the critical path,
//! platforms, and checking a schedule; fault-tolerant expectations in the child module `fault`,
//! list schedules (HEFT, CPoP, ...) in the child module `schedule`.
//!
//! Shapes: an `agentsched_task_graph` is a mutable builder (each insertion checked, a failed one
//! changes nothing); `agentsched_dag_new` freezes it into an `agentsched_dag`, which never
//! changes afterwards and keeps only the message of its latest failure, like an `agentsched_etc`.
//! Every computation on a dag returns a new immutable result handle (`agentsched_times`) or
//! writes into caller buffers. An `agentsched_platform` (the agents: speeds or a time matrix,
//! and link strengths) is immutable and holds no message at all, so one platform may serve many
//! dags at once. Schedules cross the boundary as arrays of the plain struct `agentsched_slot`,
//! one per task by task index. Tasks are named by the host's `uint32_t` ids on the way in and by
//! *task index* (insertion position, `0..tasks`) in every result. No logic lives here.

use super::dispatcher::handle;
use super::{agentsched_status, ffi_boundary, free_boxed, non_null, slice, write_items, write_str};
use crate::dag::{Dag, Delays, Platform, Schedule, Slot, TaskGraph, Times, times, times_with};
use crate::{Error, TaskId};
use std::ffi::c_char;

// Child modules, so that they read the dag handle's fields without widening their visibility.
mod fault;
mod schedule;
pub use fault::*;
pub use schedule::*;

/// Edge delays on the fixed-duration model: edges are pure precedence (a task may start the
/// instant its last predecessor finishes).
pub const AGENTSCHED_DELAYS_NONE: u32 = 0;
/// Edge delays on the fixed-duration model: an edge's data size is a delay in time units, as if
/// every edge crossed agents over a link of strength 1.
pub const AGENTSCHED_DELAYS_DATA: u32 = 1;

/// Per-task times (`agentsched_times_values`): earliest start.
pub const AGENTSCHED_TIMES_EST: u32 = 0;
/// Per-task times: earliest finish (`est + duration`).
pub const AGENTSCHED_TIMES_EFT: u32 = 1;
/// Per-task times: latest start that keeps the makespan.
pub const AGENTSCHED_TIMES_LST: u32 = 2;
/// Per-task times: latest finish that keeps the makespan.
pub const AGENTSCHED_TIMES_LFT: u32 = 3;
/// Per-task times: slack, `lst - est` (how long the task may be delayed without delaying the
/// makespan).
pub const AGENTSCHED_TIMES_SLACK: u32 = 4;

// ---- handles -------------------------------------------------------------------------------

/// A task graph under construction (opaque): tasks with durations, edges with data sizes.
///
/// Owned by the host from `agentsched_task_graph_new` until `agentsched_task_graph_free`. Each
/// insertion is checked on its own (ids, self-loops, duplicate edges, numbers) and a failed one
/// changes nothing; acyclicity is checked by `agentsched_dag_new`, which copies the graph and
/// leaves it usable. Calls on one graph must not overlap (it may be moved between threads;
/// distinct graphs are independent). After a call returns `AGENTSCHED_STATUS_PANIC` the handle
/// is poisoned: every later call returns `AGENTSCHED_STATUS_POISONED` except
/// `agentsched_task_graph_last_error` and `agentsched_task_graph_free`.
pub struct agentsched_task_graph {
    g: TaskGraph,
    last_error: String,
    /// Bumped whenever `last_error` is set (see `ffi_boundary!`).
    error_gen: u64,
    poisoned: bool,
}

/// A frozen, acyclic task graph (opaque): the input of every computation on graphs.
///
/// Owned by the host from `agentsched_dag_new` until `agentsched_dag_free`; it does not borrow
/// the graph it was frozen from (either may be freed first). The graph never changes; the handle
/// keeps only the message of its latest failure (`agentsched_dag_last_error`), so, as with an
/// `agentsched_etc`, calls on one dag must not overlap (it may be moved between threads; to
/// compute on one graph from several threads at once, freeze it once per thread). After a call
/// returns `AGENTSCHED_STATUS_PANIC` the handle is poisoned: every later call returns
/// `AGENTSCHED_STATUS_POISONED` except `agentsched_dag_last_error` and `agentsched_dag_free`.
/// Results (`agentsched_times`) do not borrow the dag: they may outlive it.
pub struct agentsched_dag {
    dag: Dag,
    last_error: String,
    /// Bumped whenever `last_error` is set (see `ffi_boundary!`).
    error_gen: u64,
    poisoned: bool,
}

/// Earliest and latest times, slack and a critical path of every task of a dag (opaque), by task
/// index. Owned by the host until `agentsched_times_free`. Immutable: it may be read from
/// several threads at once, and moved between threads.
pub struct agentsched_times {
    t: Times,
}

/// The agents a task graph runs on (opaque): how long each task runs on each agent (related
/// speeds or a per-task time matrix) and the link strengths between agents.
///
/// Owned by the host from `agentsched_platform_related` or `agentsched_platform_matrix` until
/// `agentsched_platform_free`. Immutable and without a message store: it may be used by several
/// calls at once, from several threads, and with several dags; calls read it and never keep it.
pub struct agentsched_platform {
    p: Platform,
}

// The thread-safety claims above rest on these.
const _: () = {
    const fn assert_send<T: Send>() {}
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send::<agentsched_task_graph>();
    assert_send::<agentsched_dag>();
    assert_send_sync::<agentsched_times>();
    assert_send_sync::<agentsched_platform>();
};

impl agentsched_task_graph {
    fn set_error(&mut self, msg: &str) {
        self.last_error.clear();
        self.last_error.push_str(msg);
        self.error_gen = self.error_gen.wrapping_add(1);
    }

    fn done(&mut self, r: crate::Result<()>) -> agentsched_status {
        match r {
            Ok(()) => agentsched_status::Ok,
            Err(e) => {
                self.set_error(&e.to_string());
                agentsched_status::from(&e)
            }
        }
    }
}

impl agentsched_dag {
    fn set_error(&mut self, msg: &str) {
        self.last_error.clear();
        self.last_error.push_str(msg);
        self.error_gen = self.error_gen.wrapping_add(1);
    }

    fn fail(&mut self, e: Error) -> agentsched_status {
        self.set_error(&e.to_string());
        agentsched_status::from(&e)
    }

    fn invalid(&mut self, msg: &str) -> agentsched_status {
        self.set_error(msg);
        agentsched_status::InvalidArgument
    }
}

/// A `Delays` from its C value, or the message for an unknown one.
fn delays_from_c(v: u32) -> Result<Delays, String> {
    match v {
        AGENTSCHED_DELAYS_NONE => Ok(Delays::None),
        AGENTSCHED_DELAYS_DATA => Ok(Delays::Data),
        _ => Err(format!(
            "delays: unknown value {v} (AGENTSCHED_DELAYS_NONE = 0, AGENTSCHED_DELAYS_DATA = 1)"
        )),
    }
}

/// Hands times to the host.
///
/// # Safety
/// `out` must be non-null and writable.
unsafe fn give_times(t: Times, out: *mut *mut agentsched_times) -> agentsched_status {
    let b = Box::new(agentsched_times { t });
    // SAFETY: checked non-null by the caller; writable (contract).
    unsafe { *out = Box::into_raw(b) };
    agentsched_status::Ok
}

/// Hands a platform to the host, or returns the status of the constructor's error.
///
/// # Safety
/// `out` must be non-null and writable.
unsafe fn give_platform(
    p: crate::Result<Platform>,
    out: *mut *mut agentsched_platform,
) -> agentsched_status {
    match p {
        Ok(p) => {
            // SAFETY: checked non-null by the caller; writable (contract).
            unsafe { *out = Box::into_raw(Box::new(agentsched_platform { p })) };
            agentsched_status::Ok
        }
        Err(e) => agentsched_status::from(&e),
    }
}

// ---- building --------------------------------------------------------------------------------

/// Creates an empty task graph. On OK `*out` receives a handle the host must free with
/// `agentsched_task_graph_free`; on any other status `*out` is untouched.
///
/// Statuses: OK, NULL_POINTER, PANIC. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_task_graph_new(
    out: *mut *mut agentsched_task_graph,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(out);
        let h = Box::new(agentsched_task_graph {
            g: TaskGraph::new(),
            last_error: String::new(),
            error_gen: 0,
            poisoned: false,
        });
        // SAFETY: checked non-null; writable (documented contract).
        unsafe { *out = Box::into_raw(h) };
        agentsched_status::Ok
    })
}

/// Frees a task graph. NULL does nothing. The handle must not be used afterwards; dags frozen
/// from it stay valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_task_graph_free(h: *mut agentsched_task_graph) {
    // SAFETY: made by Box::into_raw in agentsched_task_graph_new, freed once (contract).
    unsafe { free_boxed(h) }
}

/// Copies the message of the last failed call on this graph (NUL-terminated) into `buf`; empty
/// before any failure. `*out_len` receives its length without the NUL, also on BUFFER_TOO_SMALL
/// (then `cap` must be at least `*out_len + 1`). Works on a poisoned handle.
///
/// Statuses: OK, NULL_POINTER, BUFFER_TOO_SMALL, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_task_graph_last_error(
    h: *const agentsched_task_graph,
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

/// Adds task `id` with `duration` (finite, >= 0: its time on the fixed-duration model, and its
/// cost on related agents, where it runs `duration / speed`). Its task index is the number of
/// tasks added before it.
///
/// Statuses: OK, NULL_POINTER, DUPLICATE_TASK, INVALID_NUMBER (`duration` NaN, infinite or
/// negative), OVERFLOW (more than 2^32 - 2 tasks), POISONED, PANIC. On failure the message names
/// the task or the number and the graph is unchanged.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_task_graph_add_task(
    h: *mut agentsched_task_graph,
    id: u32,
    duration: f64,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        let r = h.g.add_task(TaskId(id), duration).map(|_| ());
        h.done(r)
    })
}

/// Adds the precedence edge `from -> to`: `to` may start only after `from` has finished and
/// `data` units (finite, >= 0) have travelled from `from`'s agent to `to`'s (nothing travels
/// between tasks on the same agent). Both tasks must have been added.
///
/// Statuses: OK, NULL_POINTER, UNKNOWN_TASK (either end; the message names it), INVALID_GRAPH (a
/// self-loop, or an edge `from -> to` already there), INVALID_NUMBER (`data` NaN, infinite or
/// negative), OVERFLOW (more than 2^32 - 2 edges), POISONED, PANIC. On failure the graph is
/// unchanged. A cycle is not detected here but by `agentsched_dag_new`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_task_graph_add_edge(
    h: *mut agentsched_task_graph,
    from: u32,
    to: u32,
    data: f64,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        let r = h.g.add_edge(TaskId(from), TaskId(to), data);
        h.done(r)
    })
}

/// The graph's size: `*out_tasks` tasks and `*out_edges` edges.
///
/// Statuses: OK, NULL_POINTER, POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_task_graph_counts(
    h: *mut agentsched_task_graph,
    out_tasks: *mut usize,
    out_edges: *mut usize,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        non_null!(out_tasks, out_edges);
        // SAFETY: checked non-null, writable (contract).
        unsafe {
            *out_tasks = h.g.task_count();
            *out_edges = h.g.edge_count();
        }
        agentsched_status::Ok
    })
}

// ---- the frozen graph ------------------------------------------------------------------------

/// Freezes `graph` into a dag: checks that it has no cycle, fixes a topological order and copies
/// the graph into compact arrays. The graph is not changed and stays usable (add to it and
/// freeze again, or free it: the dag does not borrow it). On OK `*out` receives a dag to free
/// with `agentsched_dag_free`; on any other status `*out` is untouched.
///
/// O(V + E) when every edge goes from a lower task index to a higher one, O(V log V + E)
/// otherwise.
///
/// Statuses: OK, NULL_POINTER, CYCLE (the graph's message names the lowest task id on a cycle,
/// e.g. "the task graph has a cycle through task task#3"), INVALID_NUMBER (the durations and
/// data add up past the largest double), POISONED (the graph), PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_dag_new(
    graph: *mut agentsched_task_graph,
    out: *mut *mut agentsched_dag,
) -> agentsched_status {
    ffi_boundary!(poison graph, {
        let g = handle!(graph);
        non_null!(out);
        let dag = match g.g.freeze() {
            Ok(d) => d,
            Err(e) => {
                g.set_error(&e.to_string());
                return agentsched_status::from(&e);
            }
        };
        let h = Box::new(agentsched_dag {
            dag,
            last_error: String::new(),
            error_gen: 0,
            poisoned: false,
        });
        // SAFETY: checked non-null; writable (documented contract).
        unsafe { *out = Box::into_raw(h) };
        agentsched_status::Ok
    })
}

/// Frees a dag. NULL does nothing. The handle must not be used afterwards; times computed from it
/// stay valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_dag_free(h: *mut agentsched_dag) {
    // SAFETY: made by Box::into_raw in agentsched_dag_new, freed once (contract).
    unsafe { free_boxed(h) }
}

/// Copies the message of the last failed call on this dag (NUL-terminated) into `buf`; empty
/// before any failure. `*out_len` receives its length without the NUL, also on BUFFER_TOO_SMALL
/// (then `cap` must be at least `*out_len + 1`). Works on a poisoned handle.
///
/// Statuses: OK, NULL_POINTER, BUFFER_TOO_SMALL, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_dag_last_error(
    h: *const agentsched_dag,
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

/// The dag's size: `*out_tasks` tasks and `*out_edges` edges.
///
/// Statuses: OK, NULL_POINTER, POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_dag_counts(
    h: *mut agentsched_dag,
    out_tasks: *mut usize,
    out_edges: *mut usize,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        non_null!(out_tasks, out_edges);
        // SAFETY: checked non-null, writable (contract).
        unsafe {
            *out_tasks = h.dag.task_count();
            *out_edges = h.dag.edge_count();
        }
        agentsched_status::Ok
    })
}

/// The task index of task `id` in `*out_index`: its insertion position, the index of every
/// per-task result.
///
/// Statuses: OK, NULL_POINTER, UNKNOWN_TASK (the message names it), POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_dag_index_of(
    h: *mut agentsched_dag,
    id: u32,
    out_index: *mut usize,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        non_null!(out_index);
        match h.dag.index_of(TaskId(id)) {
            Some(i) => {
                // SAFETY: checked non-null, writable (contract).
                unsafe { *out_index = i };
                agentsched_status::Ok
            }
            None => h.fail(Error::UnknownTask(TaskId(id))),
        }
    })
}

/// Copies the task ids by task index (the ids in insertion order) into `buf`.
///
/// Statuses: OK, NULL_POINTER, BUFFER_TOO_SMALL (`*out_len` = number of tasks), POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_dag_ids(
    h: *mut agentsched_dag,
    buf: *mut u32,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        non_null!(out_len);
        // `TaskId` is a plain `u32` wrapper, but copying through `u32` keeps the layout out of it.
        let ids: Vec<u32> = h.dag.ids().iter().map(|t| t.0).collect();
        // SAFETY: `buf` valid for `cap` values; `out_len` checked.
        unsafe { write_items(&ids, buf, cap, out_len) }
    })
}

/// Copies the task indices in topological order into `buf`: among the tasks whose predecessors
/// are all listed, the lowest index comes first (so an insertion order that is already
/// topological is kept as it is). Deterministic.
///
/// Statuses: OK, NULL_POINTER, BUFFER_TOO_SMALL (`*out_len` = number of tasks), POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_dag_topological_order(
    h: *mut agentsched_dag,
    buf: *mut usize,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        non_null!(out_len);
        let order: Vec<usize> = h.dag.topological_order().collect();
        // SAFETY: `buf` valid for `cap` values; `out_len` checked.
        unsafe { write_items(&order, buf, cap, out_len) }
    })
}

// ---- times -----------------------------------------------------------------------------------

/// Computes earliest and latest start and finish, slack and a critical path of every task with
/// its own duration (the critical path method). `delays` is `AGENTSCHED_DELAYS_NONE` or
/// `AGENTSCHED_DELAYS_DATA`. On OK `*out` receives times to free with `agentsched_times_free`.
///
/// The critical path is found by walking back from the exit task with the largest earliest finish
/// through, at each step, the predecessor that set the earliest start; ties break by the lowest
/// task index. Deterministic. O(V + E) time.
///
/// Statuses: OK, NULL_POINTER, INVALID_ARGUMENT (unknown `delays`), POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_dag_times(
    h: *mut agentsched_dag,
    delays: u32,
    out: *mut *mut agentsched_times,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        non_null!(out);
        let delays = match delays_from_c(delays) {
            Ok(d) => d,
            Err(msg) => return h.invalid(&msg),
        };
        let t = times(&h.dag, delays);
        // SAFETY: `out` checked non-null.
        unsafe { give_times(t, out) }
    })
}

/// As `agentsched_dag_times`, with other durations: `durations[i]` (finite, >= 0) for task index
/// `i`, `durations_len` equal to the number of tasks (read during the call only), e.g. expected
/// times or one agent's times.
///
/// Statuses: OK, NULL_POINTER (also `durations` NULL with a non-zero length), INVALID_ARGUMENT
/// (unknown `delays`, a length too large for memory), DIMENSION_MISMATCH (`durations_len`),
/// INVALID_NUMBER (a duration NaN, infinite or negative), POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_dag_times_with(
    h: *mut agentsched_dag,
    durations: *const f64,
    durations_len: usize,
    delays: u32,
    out: *mut *mut agentsched_times,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        non_null!(out);
        // SAFETY: valid for `durations_len` values when non-null (contract).
        let durations = match unsafe { slice(durations, durations_len) } {
            Ok(d) => d,
            Err(agentsched_status::InvalidArgument) => {
                return h.invalid("durations: length too large for memory");
            }
            Err(s) => return s,
        };
        let delays = match delays_from_c(delays) {
            Ok(d) => d,
            Err(msg) => return h.invalid(&msg),
        };
        match times_with(&h.dag, durations, delays) {
            // SAFETY: `out` checked non-null.
            Ok(t) => unsafe { give_times(t, out) },
            Err(e) => h.fail(e),
        }
    })
}

/// Frees times. NULL does nothing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_times_free(t: *mut agentsched_times) {
    // SAFETY: made by Box::into_raw in this module, freed once (contract).
    unsafe { free_boxed(t) }
}

/// The makespan, the largest earliest finish (0 for a graph without tasks), in `*out`.
///
/// Statuses: OK, NULL_POINTER, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_times_makespan(
    t: *const agentsched_times,
    out: *mut f64,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(t, out);
        // SAFETY: non-null times made by this library; `out` writable (contract).
        unsafe { *out = (*t).t.makespan };
        agentsched_status::Ok
    })
}

/// Copies one time of every task, by task index, into `buf`: `which` is one of
/// `AGENTSCHED_TIMES_EST`, `_EFT`, `_LST`, `_LFT` or `_SLACK`.
///
/// Statuses: OK, NULL_POINTER, INVALID_ARGUMENT (unknown `which`), BUFFER_TOO_SMALL (`*out_len` =
/// number of tasks), PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_times_values(
    t: *const agentsched_times,
    which: u32,
    buf: *mut f64,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(t, out_len);
        // SAFETY: non-null times (contract).
        let t = unsafe { &(*t).t };
        let slack: Vec<f64>;
        let values: &[f64] = match which {
            AGENTSCHED_TIMES_EST => &t.est,
            AGENTSCHED_TIMES_EFT => &t.eft,
            AGENTSCHED_TIMES_LST => &t.lst,
            AGENTSCHED_TIMES_LFT => &t.lft,
            AGENTSCHED_TIMES_SLACK => {
                slack = (0..t.est.len()).map(|i| t.slack(i)).collect();
                &slack
            }
            _ => return agentsched_status::InvalidArgument,
        };
        // SAFETY: `buf` valid for `cap` values; `out_len` checked.
        unsafe { write_items(values, buf, cap, out_len) }
    })
}

/// Copies one critical path, entry task to exit task, as task indices into `buf` (empty for a
/// graph without tasks). Consecutive tasks are joined by an edge that is tight: each task's
/// earliest start equals its predecessor's earliest finish (plus the edge's data with
/// `AGENTSCHED_DELAYS_DATA`), the first starts at 0 and the last finishes at the makespan.
///
/// Statuses: OK, NULL_POINTER, BUFFER_TOO_SMALL (`*out_len` = the path's length), PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_times_critical_path(
    t: *const agentsched_times,
    buf: *mut usize,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(t, out_len);
        // SAFETY: non-null times (contract); `buf` valid for `cap` values.
        unsafe { write_items(&(*t).t.critical_path, buf, cap, out_len) }
    })
}

/// Copies every critical task (slack zero up to `1e-9 * max(1, makespan)`: the sums are in
/// floating point) as ascending task indices into `buf`: the union of all critical paths.
///
/// Statuses: OK, NULL_POINTER, BUFFER_TOO_SMALL (`*out_len` = number of critical tasks), PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_times_critical_tasks(
    t: *const agentsched_times,
    buf: *mut usize,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(t, out_len);
        // SAFETY: non-null times (contract).
        let tasks = unsafe { (*t).t.critical_tasks() };
        // SAFETY: `buf` valid for `cap` values; `out_len` checked.
        unsafe { write_items(&tasks, buf, cap, out_len) }
    })
}

// ---- platforms -------------------------------------------------------------------------------

/// Creates a platform of related agents: task `t` runs `duration(t) / speeds[p]` on agent `p`.
/// `speeds` holds one finite positive speed per agent (`agents` of them, at least one); `links`
/// holds `agents * agents` link strengths in row-major order (`links[p * agents + q]`: moving
/// `data` from agent `p` to agent `q != p` takes `data / links[p * agents + q]`; off the diagonal
/// finite and positive, on it finite and >= 0 and unused). Both arrays are copied during the
/// call. On OK `*out` receives a platform to free with `agentsched_platform_free`; on any other
/// status `*out` is untouched.
///
/// There is no handle to hold a message when this call fails: the status is the whole answer.
///
/// Statuses: OK, NULL_POINTER (`out`, or an array NULL with a non-zero length), INVALID_ARGUMENT
/// (a length too large for memory), INVALID_CONFIG (no agent), DIMENSION_MISMATCH (`links_len`
/// is not `agents * agents`), OVERFLOW (`agents * agents` overflows), INVALID_NUMBER (a speed or
/// link NaN, infinite, negative, or zero where it must be positive), PANIC. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_platform_related(
    speeds: *const f64,
    agents: usize,
    links: *const f64,
    links_len: usize,
    out: *mut *mut agentsched_platform,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(out);
        // SAFETY: valid for `agents` values when non-null (contract).
        let speeds = match unsafe { slice(speeds, agents) } {
            Ok(s) => s.to_vec(),
            Err(s) => return s,
        };
        // SAFETY: valid for `links_len` values when non-null (contract).
        let links = match unsafe { slice(links, links_len) } {
            Ok(l) => l.to_vec(),
            Err(s) => return s,
        };
        // SAFETY: `out` checked non-null.
        unsafe { give_platform(Platform::related(speeds, links), out) }
    })
}

/// Creates a platform with a general time matrix: `times` holds `tasks * agents` finite,
/// non-negative execution times in row-major order by task index (`times[t * agents + p]` is
/// task `t` on agent `p`), `links` as in `agentsched_platform_related`. Both arrays are copied
/// during the call. The platform fits only dags with exactly `tasks` tasks. On OK `*out`
/// receives a platform to free with `agentsched_platform_free`; on any other status `*out` is
/// untouched.
///
/// There is no handle to hold a message when this call fails: the status is the whole answer.
///
/// Statuses: OK, NULL_POINTER, INVALID_ARGUMENT (a length too large for memory), INVALID_CONFIG
/// (no agent), DIMENSION_MISMATCH (`times_len` is not `tasks * agents`, or `links_len` not
/// `agents * agents`), OVERFLOW (a product overflows), INVALID_NUMBER (a time NaN, infinite or
/// negative; a link as in `agentsched_platform_related`), PANIC. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_platform_matrix(
    tasks: usize,
    agents: usize,
    times: *const f64,
    times_len: usize,
    links: *const f64,
    links_len: usize,
    out: *mut *mut agentsched_platform,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(out);
        // SAFETY: valid for `times_len` values when non-null (contract).
        let times = match unsafe { slice(times, times_len) } {
            Ok(t) => t.to_vec(),
            Err(s) => return s,
        };
        // SAFETY: valid for `links_len` values when non-null (contract).
        let links = match unsafe { slice(links, links_len) } {
            Ok(l) => l.to_vec(),
            Err(s) => return s,
        };
        // SAFETY: `out` checked non-null.
        unsafe { give_platform(Platform::matrix(tasks, agents, times, links), out) }
    })
}

/// Frees a platform. NULL does nothing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_platform_free(p: *mut agentsched_platform) {
    // SAFETY: made by Box::into_raw in this module, freed once (contract).
    unsafe { free_boxed(p) }
}

/// The number of agents in `*out`.
///
/// Statuses: OK, NULL_POINTER, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_platform_agents(
    p: *const agentsched_platform,
    out: *mut usize,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(p, out);
        // SAFETY: non-null platform made by this library; `out` writable (contract).
        unsafe { *out = (*p).p.agents() };
        agentsched_status::Ok
    })
}

// ---- schedules -------------------------------------------------------------------------------

/// Where and when one task runs: an entry of a schedule, which is an array of slots by task
/// index.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct agentsched_slot {
    /// The agent's index on the platform (`0..agents`).
    pub agent: u32,
    /// Start time.
    pub start: f64,
    /// Finish time: `start` + the task's execution time on `agent`.
    pub finish: f64,
}

/// Checks a schedule of `dag` on `platform` from first principles and puts the makespan it
/// recomputes in `*out_makespan`. `slots[i]` is task index `i`'s slot (`slots_len` must be the
/// number of tasks; read during the call only); `makespan` is the schedule's reported makespan.
///
/// Rules: every slot on an existing agent; finite, non-negative start; finish equal to start
/// plus the execution time; every task starts no earlier than each predecessor's finish plus
/// the communication time between their agents (none on the same agent); no two tasks of
/// positive length overlap on an agent; the reported makespan equals the largest finish. Times
/// are compared with an absolute tolerance of `1e-9 * max(1, makespan)`. O(V log V + E).
///
/// Statuses: OK, NULL_POINTER (also `slots` NULL with a non-zero length), INVALID_ARGUMENT (a
/// length too large for memory), DIMENSION_MISMATCH (`slots_len` is not the number of tasks, or a
/// matrix platform made for another number of tasks), INVALID_SCHEDULE (the dag's message names
/// a task that breaks a rule, the rule and the numbers: rules are checked in the order above,
/// tasks by index), POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_dag_validate(
    h: *mut agentsched_dag,
    platform: *const agentsched_platform,
    slots: *const agentsched_slot,
    slots_len: usize,
    makespan: f64,
    out_makespan: *mut f64,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        non_null!(platform, out_makespan);
        // SAFETY: non-null platform made by this library (contract).
        let platform = unsafe { &(*platform).p };
        // SAFETY: valid for `slots_len` slots when non-null (contract).
        let slots = match unsafe { slice(slots, slots_len) } {
            Ok(s) => s,
            Err(agentsched_status::InvalidArgument) => {
                return h.invalid("slots: length too large for memory");
            }
            Err(s) => return s,
        };
        let schedule = Schedule {
            slots: slots
                .iter()
                .map(|s| Slot {
                    agent: s.agent as usize,
                    start: s.start,
                    finish: s.finish,
                })
                .collect(),
            makespan,
        };
        match crate::dag::validate(&h.dag, platform, &schedule) {
            Ok(m) => {
                // SAFETY: checked non-null, writable (contract).
                unsafe { *out_makespan = m };
                agentsched_status::Ok
            }
            Err(e) => h.fail(e),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;
    use std::ptr::{null, null_mut};

    fn graph(tasks: &[(u32, f64)], edges: &[(u32, u32, f64)]) -> *mut agentsched_task_graph {
        let mut g = null_mut();
        // SAFETY: valid out pointer, then a live handle.
        unsafe {
            assert_eq!(agentsched_task_graph_new(&mut g), agentsched_status::Ok);
            for &(id, d) in tasks {
                assert_eq!(
                    agentsched_task_graph_add_task(g, id, d),
                    agentsched_status::Ok
                );
            }
            for &(u, v, d) in edges {
                assert_eq!(
                    agentsched_task_graph_add_edge(g, u, v, d),
                    agentsched_status::Ok
                );
            }
        }
        g
    }

    fn message(read: impl Fn(*mut c_char, usize, *mut usize) -> agentsched_status) -> String {
        let mut buf = [0 as c_char; 256];
        let mut len = 0;
        assert_eq!(
            read(buf.as_mut_ptr(), buf.len(), &mut len),
            agentsched_status::Ok
        );
        // SAFETY: NUL-terminated by the call.
        unsafe { CStr::from_ptr(buf.as_ptr()) }
            .to_str()
            .unwrap()
            .to_string()
    }

    /// Times through the ABI are the library's own, bit for bit, and the cycle message names the
    /// task the library names.
    #[test]
    fn times_and_cycles_convert_faithfully() {
        let tasks = [(5, 1.0), (4, 3.0), (3, 5.0), (2, 2.0), (1, 4.0), (0, 3.0)];
        let edges = [
            (0, 1, 1.0),
            (0, 2, 0.0),
            (1, 3, 2.0),
            (2, 3, 0.0),
            (2, 4, 0.5),
            (3, 5, 0.0),
            (4, 5, 0.0),
        ];
        let g = graph(&tasks, &edges);
        let lib = TaskGraph::from_parts(
            tasks.map(|(i, d)| (TaskId(i), d)),
            edges.map(|(u, v, d)| (TaskId(u), TaskId(v), d)),
        )
        .unwrap()
        .freeze()
        .unwrap();
        // SAFETY: live handles, valid buffers.
        unsafe {
            let mut d = null_mut();
            assert_eq!(agentsched_dag_new(g, &mut d), agentsched_status::Ok);
            let mut t = null_mut();
            assert_eq!(
                agentsched_dag_times(d, AGENTSCHED_DELAYS_DATA, &mut t),
                agentsched_status::Ok
            );
            let want = times(&lib, Delays::Data);
            for (which, w) in [
                (AGENTSCHED_TIMES_EST, &want.est),
                (AGENTSCHED_TIMES_LFT, &want.lft),
            ] {
                let mut got = [f64::NAN; 6];
                let mut len = 0;
                assert_eq!(
                    agentsched_times_values(t, which, got.as_mut_ptr(), 6, &mut len),
                    agentsched_status::Ok
                );
                assert_eq!((len, &got[..]), (6, &w[..]));
            }
            let mut path = [usize::MAX; 6];
            let mut len = 0;
            assert_eq!(
                agentsched_times_critical_path(t, path.as_mut_ptr(), 6, &mut len),
                agentsched_status::Ok
            );
            assert_eq!(&path[..len], &want.critical_path[..]);
            agentsched_times_free(t);
            agentsched_dag_free(d);

            // Close a cycle 3 -> 2 (2 -> 3 exists): freezing fails, the graph stays usable.
            assert_eq!(
                agentsched_task_graph_add_edge(g, 3, 2, 0.0),
                agentsched_status::Ok
            );
            let mut d = null_mut();
            assert_eq!(agentsched_dag_new(g, &mut d), agentsched_status::Cycle);
            assert!(d.is_null());
            let msg = message(|b, c, l| agentsched_task_graph_last_error(g, b, c, l));
            assert_eq!(msg, "the task graph has a cycle through task task#2");
            let (mut n, mut m) = (0, 0);
            assert_eq!(
                agentsched_task_graph_counts(g, &mut n, &mut m),
                agentsched_status::Ok
            );
            assert_eq!((n, m), (6, 8));
            agentsched_task_graph_free(g);
        }
    }

    #[test]
    fn validation_failures_name_the_task_on_the_dag() {
        let g = graph(&[(7, 4.0), (9, 2.0)], &[(7, 9, 6.0)]);
        // SAFETY: live handles, valid arrays.
        unsafe {
            let mut d = null_mut();
            assert_eq!(agentsched_dag_new(g, &mut d), agentsched_status::Ok);
            agentsched_task_graph_free(g);
            let mut p = null_mut();
            let links = [0.0, 3.0, 3.0, 0.0];
            assert_eq!(
                agentsched_platform_related([1.0, 2.0].as_ptr(), 2, links.as_ptr(), 4, &mut p),
                agentsched_status::Ok
            );
            // 7 on agent 1 (2 units), data 6 / 3 = 2 to agent 0, then 9 runs 2 units.
            let mut slots = [
                agentsched_slot {
                    agent: 1,
                    start: 0.0,
                    finish: 2.0,
                },
                agentsched_slot {
                    agent: 0,
                    start: 4.0,
                    finish: 6.0,
                },
            ];
            let mut ms = f64::NAN;
            assert_eq!(
                agentsched_dag_validate(d, p, slots.as_ptr(), 2, 6.0, &mut ms),
                agentsched_status::Ok
            );
            assert_eq!(ms, 6.0);
            slots[1].start = 3.0;
            slots[1].finish = 5.0;
            let mut ms = f64::NAN;
            assert_eq!(
                agentsched_dag_validate(d, p, slots.as_ptr(), 2, 5.0, &mut ms),
                agentsched_status::InvalidSchedule
            );
            assert!(ms.is_nan());
            let msg = message(|b, c, l| agentsched_dag_last_error(d, b, c, l));
            assert!(msg.contains("task#9") && msg.contains("task#7"), "{msg}");
            assert_eq!(
                agentsched_dag_validate(d, null(), slots.as_ptr(), 2, 5.0, &mut ms),
                agentsched_status::NullPointer
            );
            assert_eq!(
                message(|b, c, l| agentsched_dag_last_error(d, b, c, l)),
                "null pointer"
            );
            agentsched_platform_free(p);
            agentsched_dag_free(d);
        }
    }
}
