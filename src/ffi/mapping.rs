//! Batch mapping through the C ABI: ETC matrices and their heuristics, local search and lower
//! bounds; load balancing with resource vectors; migration plans.
//!
//! Shapes: an `agentsched_etc` handle holds a validated matrix (and the message of its latest
//! failure); every computation on it returns an immutable `agentsched_mapping` result handle.
//! Balancing and migration take plain arrays of `#[repr(C)]` structs and return immutable result
//! handles (`agentsched_balance_result`, `agentsched_migration_result`) read by getters with the
//! usual buffer protocol, like `agentsched_explanation`. No logic lives here: only conversion.

use super::dispatcher::handle;
use super::{
    agentsched_status, cstr, ffi_boundary, free_boxed, non_null, slice, write_items, write_str,
};
use crate::mapping::balance::{Balance, BalanceAgent, BalanceOptions, BalanceTask, Unplaced};
use crate::mapping::bounds::lower_bound;
use crate::mapping::heuristics;
use crate::mapping::instance::MAX_MACHINES;
use crate::mapping::migrate::{
    Migration, MigrationBudget, MigrationStop, MigrationTask, Target, plan_migration,
};
use crate::mapping::search::{SearchOptions, best, improve};
use crate::mapping::{AgentLoad, EtcMatrix, Mapping, balance};
use crate::{AgentId, Error, TaskId};
use std::ffi::c_char;
use std::time::Duration;

/// Unplaced reason: the task fits no agent even alone (next to that agent's pinned tasks);
/// `agentsched_balance_result_shortfalls` names, per agent, the first dimension short.
pub const AGENTSCHED_UNPLACED_TOO_LARGE: u32 = 0;
/// Unplaced reason: the task is pinned to an agent that is not in the problem (`agent` names it).
pub const AGENTSCHED_UNPLACED_PINNED_TO_UNKNOWN_AGENT: u32 = 1;
/// Unplaced reason: the task fits some agent alone, but no agent had room left for it.
pub const AGENTSCHED_UNPLACED_NO_ROOM_LEFT: u32 = 2;

/// Migration target: as balanced as single moves can make it.
pub const AGENTSCHED_TARGET_BALANCED: u32 = 0;
/// Migration target: stop once the maximum load is at most `max_load`.
pub const AGENTSCHED_TARGET_MAX_LOAD: u32 = 1;

/// Migration stop: the `AGENTSCHED_TARGET_MAX_LOAD` target is met.
pub const AGENTSCHED_MIGRATION_STOP_TARGET_MET: u32 = 0;
/// Migration stop: the plan has `max_moves` moves.
pub const AGENTSCHED_MIGRATION_STOP_MOVE_BUDGET: u32 = 1;
/// Migration stop: every improving move would exceed the demand budget.
pub const AGENTSCHED_MIGRATION_STOP_DEMAND_BUDGET: u32 = 2;
/// Migration stop: no move within capacities improves the state (for
/// `AGENTSCHED_TARGET_BALANCED` this is the target).
pub const AGENTSCHED_MIGRATION_STOP_NO_IMPROVING_MOVE: u32 = 3;

// ---- the ETC handle ------------------------------------------------------------------------

/// An expected-time-to-compute matrix (opaque): `tasks x machines` finite positive times and one
/// ready time per machine, validated once by `agentsched_etc_new`.
///
/// Owned by the host from `agentsched_etc_new` until `agentsched_etc_free`. The matrix never
/// changes; the handle keeps only the message of its latest failure
/// (`agentsched_etc_last_error`), so, as with a dispatcher, calls on one handle must not overlap
/// (it may be moved between threads; distinct handles are independent). After a call returns
/// `AGENTSCHED_STATUS_PANIC` the handle is poisoned: every later call returns
/// `AGENTSCHED_STATUS_POISONED` except `agentsched_etc_last_error` and `agentsched_etc_free`.
/// Results (`agentsched_mapping`) do not borrow the handle: they may outlive it.
pub struct agentsched_etc {
    etc: EtcMatrix,
    last_error: String,
    /// Bumped whenever `last_error` is set (see `ffi_boundary!`).
    error_gen: u64,
    poisoned: bool,
}

/// A mapping of every task of an ETC matrix to a machine (opaque): the assignment, per-machine
/// completion times and the makespan. Owned by the host until `agentsched_mapping_free`.
/// Immutable: it may be read from several threads at once, and moved between threads.
pub struct agentsched_mapping {
    m: Mapping,
}

// The thread-safety claims of the two handles rest on these.
const _: () = {
    const fn assert_send<T: Send>() {}
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send::<agentsched_etc>();
    assert_send_sync::<agentsched_mapping>();
};

impl agentsched_etc {
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

/// Search options from the C arguments: `time_limit_ms == 0` means no wall-clock limit.
fn search_options(max_iterations: u64, time_limit_ms: u64, seed: u64) -> SearchOptions {
    SearchOptions {
        max_iterations,
        time_limit: (time_limit_ms > 0).then(|| Duration::from_millis(time_limit_ms)),
        seed,
    }
}

/// Hands a mapping to the host.
///
/// # Safety
/// `out` must be non-null and writable.
unsafe fn give_mapping(m: Mapping, out: *mut *mut agentsched_mapping) -> agentsched_status {
    let b = Box::new(agentsched_mapping { m });
    // SAFETY: checked non-null by the caller; writable (contract).
    unsafe { *out = Box::into_raw(b) };
    agentsched_status::Ok
}

/// Creates an ETC matrix: `etc` holds `tasks * machines` times in row-major order
/// (`etc[t * machines + p]` is the expected time of task `t` on machine `p`; each is finite and
/// positive); `ready` holds one ready time per machine (finite, >= 0), or is NULL (then
/// `ready_len` must be 0) for all machines ready at 0. Both arrays are copied during the call. On OK `*out`
/// receives a handle the host must free with `agentsched_etc_free`; on any other status `*out`
/// is untouched.
///
/// There is no handle to hold a message when this call fails: the status is the whole answer.
/// INVALID_CONFIG: `machines` is 0 or more than 16777216 (2^24, the limit of instance files).
/// OVERFLOW: `tasks * machines` overflows. DIMENSION_MISMATCH: `etc_len != tasks * machines`, or
/// `ready_len != machines` with a non-NULL `ready`. INVALID_NUMBER: a time is NaN, infinite,
/// negative, or (in `etc`) zero. NULL_POINTER: `out` is NULL, or an array is NULL with a non-zero
/// length. INVALID_ARGUMENT: a length too large for memory.
///
/// Statuses: OK, NULL_POINTER, INVALID_ARGUMENT, INVALID_CONFIG, OVERFLOW, DIMENSION_MISMATCH,
/// INVALID_NUMBER, PANIC. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_etc_new(
    tasks: usize,
    machines: usize,
    etc: *const f64,
    etc_len: usize,
    ready: *const f64,
    ready_len: usize,
    out: *mut *mut agentsched_etc,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(out);
        // Ready times all 0 are made here, so the machine count is bounded before allocating.
        if u64::try_from(machines).map_or(true, |m| m > MAX_MACHINES) {
            return agentsched_status::InvalidConfig;
        }
        // SAFETY: valid for `etc_len` values when non-null (documented contract).
        let times = match unsafe { slice(etc, etc_len) } {
            Ok(t) => t.to_vec(),
            Err(s) => return s,
        };
        let ready = if ready.is_null() {
            if ready_len != 0 {
                return agentsched_status::NullPointer;
            }
            vec![0.0; machines]
        } else {
            // SAFETY: non-null, valid for `ready_len` values (documented contract).
            match unsafe { slice(ready, ready_len) } {
                Ok(r) => r.to_vec(),
                Err(s) => return s,
            }
        };
        let etc = match EtcMatrix::with_ready(tasks, machines, times, ready) {
            Ok(e) => e,
            Err(e) => return agentsched_status::from(&e),
        };
        let h = Box::new(agentsched_etc {
            etc,
            last_error: String::new(),
            error_gen: 0,
            poisoned: false,
        });
        // SAFETY: checked non-null; writable (documented contract).
        unsafe { *out = Box::into_raw(h) };
        agentsched_status::Ok
    })
}

/// Frees an ETC matrix. NULL does nothing. The handle must not be used afterwards; mappings made
/// from it stay valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_etc_free(h: *mut agentsched_etc) {
    // SAFETY: made by Box::into_raw in agentsched_etc_new, freed once (contract).
    unsafe { free_boxed(h) }
}

/// Copies the message of the last failed call on this handle (NUL-terminated) into `buf`; empty
/// before any failure. `*out_len` receives its length without the NUL, also on BUFFER_TOO_SMALL
/// (then `cap` must be at least `*out_len + 1`). Works on a poisoned handle.
///
/// Statuses: OK, NULL_POINTER, BUFFER_TOO_SMALL, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_etc_last_error(
    h: *const agentsched_etc,
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

/// The matrix's size: `*out_tasks` tasks and `*out_machines` machines.
///
/// Statuses: OK, NULL_POINTER, POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_etc_shape(
    h: *mut agentsched_etc,
    out_tasks: *mut usize,
    out_machines: *mut usize,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        non_null!(out_tasks, out_machines);
        // SAFETY: checked non-null, writable (contract).
        unsafe {
            *out_tasks = h.etc.tasks();
            *out_machines = h.etc.machines();
        }
        agentsched_status::Ok
    })
}

/// Maps every task with a constructive heuristic named in kebab-case (NUL-terminated, read during
/// the call only): `"olb"`, `"met"`, `"mct"`, `"min-min"`, `"max-min"`, `"duplex"`,
/// `"sufferage"` or `"lpt"` (Braun et al., JPDC 2001; ties break by the lowest task, then the
/// lowest machine). On OK `*out` receives a mapping to free with `agentsched_mapping_free`.
/// Deterministic.
///
/// Statuses: OK, NULL_POINTER, INVALID_ARGUMENT (unknown name or not UTF-8; the message lists the
/// names), POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_map_heuristic(
    h: *mut agentsched_etc,
    name: *const c_char,
    out: *mut *mut agentsched_mapping,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        non_null!(name, out);
        // SAFETY: non-null, NUL-terminated (contract).
        let Some(name) = (unsafe { cstr(name) }) else {
            return h.invalid("heuristic name: not UTF-8");
        };
        let Some(f) = heuristics::by_name(name) else {
            let known: Vec<&str> = heuristics::ALL.iter().map(|(n, _)| *n).collect();
            return h.invalid(&format!(
                "unknown heuristic `{name}` (known: {})",
                known.join(", ")
            ));
        };
        // SAFETY: `out` checked non-null.
        unsafe { give_mapping(f(&h.etc), out) }
    })
}

/// Improves a mapping by local search (moves and swaps off the critical machine, iterated with
/// seeded perturbations); the result's makespan is never above the start's. `start` holds the
/// machine of each task (`start_len` must equal the number of tasks; read during the call
/// only). The search stops after `max_iterations` steps or, when `time_limit_ms > 0`, after that
/// many milliseconds; with `time_limit_ms == 0` the result is deterministic for a given `seed`.
/// On OK `*out` receives a mapping to free with `agentsched_mapping_free`.
///
/// Statuses: OK, NULL_POINTER, INVALID_ARGUMENT (a length too large for memory),
/// DIMENSION_MISMATCH (`start_len` is not the number of tasks), INVALID_CONFIG (a machine out of
/// range in `start`), POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_map_improve(
    h: *mut agentsched_etc,
    start: *const usize,
    start_len: usize,
    max_iterations: u64,
    time_limit_ms: u64,
    seed: u64,
    out: *mut *mut agentsched_mapping,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        non_null!(out);
        // SAFETY: valid for `start_len` values when non-null (contract).
        let start = match unsafe { slice(start, start_len) } {
            Ok(s) => s.to_vec(),
            Err(agentsched_status::InvalidArgument) => {
                return h.invalid("start: length too large for memory");
            }
            Err(s) => return s,
        };
        let start = match Mapping::from_assignment(&h.etc, start) {
            Ok(m) => m,
            Err(e) => return h.fail(e),
        };
        let opts = search_options(max_iterations, time_limit_ms, seed);
        match improve(&h.etc, &start, &opts) {
            // SAFETY: `out` checked non-null.
            Ok(m) => unsafe { give_mapping(m, out) },
            Err(e) => h.fail(e),
        }
    })
}

/// The library's strongest method: every heuristic, then local search from the best of them
/// (ties: the first in the order of `agentsched_map_heuristic`'s list) for what remains of the
/// budget (`max_iterations`, and `time_limit_ms` when > 0, as in `agentsched_map_improve`). The
/// makespan is never above any heuristic's. On OK `*out` receives a mapping to free with
/// `agentsched_mapping_free`.
///
/// Statuses: OK, NULL_POINTER, POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_map_best(
    h: *mut agentsched_etc,
    max_iterations: u64,
    time_limit_ms: u64,
    seed: u64,
    out: *mut *mut agentsched_mapping,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        non_null!(out);
        let m = best(&h.etc, &search_options(max_iterations, time_limit_ms, seed));
        // SAFETY: `out` checked non-null.
        unsafe { give_mapping(m, out) }
    })
}

/// Lower bounds on the optimal makespan of an ETC matrix.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct agentsched_bounds {
    /// `max(max_p ready_p, max_t min_p (ready_p + etc[t][p]))`.
    pub longest_task: f64,
    /// The Lagrangian dual of the assignment LP relaxation.
    pub lagrangian: f64,
    /// The larger of the two: no mapping's makespan is below it.
    pub best: f64,
}

/// Fills `*out` with lower bounds on the optimal makespan: the longest task's best completion and
/// the Lagrangian dual of the LP relaxation of R||Cmax, maximised for `iterations` ascent steps
/// (each O(tasks x machines); 0 evaluates uniform weights; every step count gives a valid bound).
///
/// Statuses: OK, NULL_POINTER, POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_map_lower_bound(
    h: *mut agentsched_etc,
    iterations: usize,
    out: *mut agentsched_bounds,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        non_null!(out);
        let b = lower_bound(&h.etc, iterations);
        // SAFETY: checked non-null, writable (contract).
        unsafe {
            *out = agentsched_bounds {
                longest_task: b.longest_task,
                lagrangian: b.lagrangian,
                best: b.best,
            }
        };
        agentsched_status::Ok
    })
}

/// Frees a mapping. NULL does nothing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_mapping_free(m: *mut agentsched_mapping) {
    // SAFETY: made by Box::into_raw in this module, freed once (contract).
    unsafe { free_boxed(m) }
}

/// The mapping's makespan (the largest completion time) in `*out`. It equals the largest
/// completion recomputed from the assignment, summing each machine's tasks in task order from its
/// ready time.
///
/// Statuses: OK, NULL_POINTER, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_mapping_makespan(
    m: *const agentsched_mapping,
    out: *mut f64,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(m, out);
        // SAFETY: non-null mapping made by this library; `out` writable (contract).
        unsafe { *out = (*m).m.makespan };
        agentsched_status::Ok
    })
}

/// Copies the machine of each task (one value per task, in task order) into `buf`.
///
/// Statuses: OK, NULL_POINTER, BUFFER_TOO_SMALL (`*out_len` = number of tasks), PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_mapping_assignment(
    m: *const agentsched_mapping,
    buf: *mut usize,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(m, out_len);
        // SAFETY: non-null mapping (contract); `buf` valid for `cap` values.
        unsafe { write_items(&(*m).m.assignment, buf, cap, out_len) }
    })
}

/// Copies each machine's completion time (its ready time plus the times of its tasks) into `buf`.
///
/// Statuses: OK, NULL_POINTER, BUFFER_TOO_SMALL (`*out_len` = number of machines), PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_mapping_completion(
    m: *const agentsched_mapping,
    buf: *mut f64,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(m, out_len);
        // SAFETY: non-null mapping (contract); `buf` valid for `cap` values.
        unsafe { write_items(&(*m).m.completion, buf, cap, out_len) }
    })
}

// ---- load balancing ------------------------------------------------------------------------

/// An agent of a balancing or migration problem. `capacity` is read during the call only.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct agentsched_balance_agent {
    /// The agent's id, unique among the agents.
    pub id: u32,
    /// Capacity per dimension, in the host's units (0 accepts only demand 0 there).
    pub capacity: *const u64,
    /// Number of values at `capacity`: the same for every agent and task.
    pub capacity_len: usize,
}

/// A task of a balancing problem. `demand` is read during the call only.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct agentsched_balance_task {
    /// The task's id, unique among the tasks.
    pub id: u32,
    /// Demand per dimension, in the capacities' units.
    pub demand: *const u64,
    /// Number of values at `demand`.
    pub demand_len: usize,
    /// Whether the task is pinned: it stays on `pinned_to` and never moves.
    pub has_pinned_to: bool,
    /// The agent it is pinned to (with `has_pinned_to`). An agent that is not in the problem is
    /// not an error: the task is reported unplaced (PINNED_TO_UNKNOWN_AGENT).
    pub pinned_to: u32,
}

/// Options of `agentsched_balance`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct agentsched_balance_options {
    /// Most improvement steps after the greedy phase (0 keeps the greedy result). The default
    /// (options NULL) is 10000.
    pub max_iterations: u64,
}

/// The headline figures of a balance.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct agentsched_balance_summary {
    /// The largest load (0 without agents). An agent's load is the sum over the dimensions with
    /// capacity > 0 of used / capacity.
    pub max_load: f64,
    /// The largest load after the greedy phase, before the improvement.
    pub greedy_max_load: f64,
    /// A lower bound on the maximum load of every capacity-respecting assignment of the placed
    /// tasks (never above `max_load`).
    pub lower_bound: f64,
    /// Improvement steps performed.
    pub iterations: u64,
    /// Tasks placed (pinned ones included): entries of `agentsched_balance_result_assignment`.
    pub placed: usize,
    /// Tasks left out: entries of `agentsched_balance_result_unplaced`.
    pub unplaced: usize,
    /// Agents: entries of `agentsched_balance_result_loads`.
    pub agents: usize,
}

/// A task and the agent it is placed on.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct agentsched_placement {
    /// The task.
    pub task: u32,
    /// The agent.
    pub agent: u32,
}

/// An agent's load.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct agentsched_agent_load {
    /// The agent.
    pub agent: u32,
    /// Sum over the dimensions with capacity > 0 of used / capacity.
    pub load: f64,
}

/// A task left out of a balance, and why.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct agentsched_unplaced {
    /// The task.
    pub task: u32,
    /// One of `AGENTSCHED_UNPLACED_*`.
    pub reason: u32,
    /// With PINNED_TO_UNKNOWN_AGENT: the unknown agent (0 otherwise).
    pub agent: u32,
    /// With TOO_LARGE: the number of shortfalls (one per agent; 0 otherwise).
    pub shortfalls: usize,
}

/// Where a too-large task fails an agent: the first dimension whose room (capacity minus the
/// pinned tasks' demand) is below the task's demand.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct agentsched_shortfall {
    /// The agent.
    pub agent: u32,
    /// The dimension index.
    pub dimension: usize,
}

/// The result of `agentsched_balance` (opaque), owned by the host until
/// `agentsched_balance_result_free`. Immutable: it may be read from several threads at once,
/// and moved between threads.
pub struct agentsched_balance_result {
    b: Balance,
    assignment: Vec<agentsched_placement>,
    loads: Vec<agentsched_agent_load>,
    unplaced: Vec<agentsched_unplaced>,
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<agentsched_balance_result>();
    assert_send_sync::<agentsched_migration_result>();
};

fn loads_to_c(loads: &[AgentLoad]) -> Vec<agentsched_agent_load> {
    loads
        .iter()
        .map(|l| agentsched_agent_load {
            agent: l.agent.0,
            load: l.load,
        })
        .collect()
}

/// Agents from C.
///
/// # Safety
/// `p` valid for `n` agents when non-null, each `capacity` valid for `capacity_len` values.
unsafe fn agents_from_c(
    p: *const agentsched_balance_agent,
    n: usize,
) -> Result<Vec<BalanceAgent>, agentsched_status> {
    // SAFETY: forwarded contract.
    let agents = unsafe { slice(p, n) }?;
    agents
        .iter()
        .map(|a| {
            // SAFETY: forwarded contract.
            let cap = unsafe { slice(a.capacity, a.capacity_len) }?;
            Ok(BalanceAgent {
                id: AgentId(a.id),
                capacity: cap.to_vec(),
            })
        })
        .collect()
}

/// Balances tasks with demand vectors over agents with capacity vectors: capacities hold, pinned
/// tasks stay on their agents, and the maximum load is as small as the greedy placement plus
/// the improvement (moves and swaps off the most loaded agent) finds. Every array and vector is
/// read during the call only. `options` may be NULL (10000 improvement steps). On OK `*out`
/// receives a result to free with `agentsched_balance_result_free`. Deterministic.
///
/// The dimension count is the first agent's `capacity_len` (the first task's without agents);
/// every vector must have it. Validation is complete before anything is computed; there is no
/// handle to hold a message, so the status is the whole answer. A task that cannot be placed is
/// not an error: it is reported by `agentsched_balance_result_unplaced`.
///
/// Statuses: OK, NULL_POINTER (`out`, or an array NULL with a non-zero length),
/// INVALID_ARGUMENT (a length too large for memory), DIMENSION_MISMATCH (a capacity or demand of
/// the wrong length), DUPLICATE_AGENT, DUPLICATE_TASK, AGENT_STATE (the tasks pinned to an agent
/// exceed its capacity), PANIC. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_balance(
    agents: *const agentsched_balance_agent,
    agents_len: usize,
    tasks: *const agentsched_balance_task,
    tasks_len: usize,
    options: *const agentsched_balance_options,
    out: *mut *mut agentsched_balance_result,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(out);
        // SAFETY: forwarded contract.
        let agents = match unsafe { agents_from_c(agents, agents_len) } {
            Ok(a) => a,
            Err(s) => return s,
        };
        // SAFETY: valid for `tasks_len` tasks when non-null (contract).
        let ctasks = match unsafe { slice(tasks, tasks_len) } {
            Ok(t) => t,
            Err(s) => return s,
        };
        let mut tasks = Vec::with_capacity(ctasks.len());
        for t in ctasks {
            // SAFETY: valid for `demand_len` values when non-null (contract).
            let demand = match unsafe { slice(t.demand, t.demand_len) } {
                Ok(d) => d.to_vec(),
                Err(s) => return s,
            };
            tasks.push(BalanceTask {
                id: TaskId(t.id),
                demand,
                pinned_to: t.has_pinned_to.then_some(AgentId(t.pinned_to)),
            });
        }
        let opts = if options.is_null() {
            BalanceOptions::default()
        } else {
            // SAFETY: non-null, points to options (contract).
            BalanceOptions {
                max_iterations: unsafe { (*options).max_iterations },
            }
        };
        let b = match balance(&agents, &tasks, &opts) {
            Ok(b) => b,
            Err(e) => return agentsched_status::from(&e),
        };
        let assignment = b
            .assignment
            .iter()
            .map(|(t, a)| agentsched_placement {
                task: t.0,
                agent: a.0,
            })
            .collect();
        let unplaced = b
            .unplaced
            .iter()
            .map(|(t, why)| {
                let (reason, agent, shortfalls) = match why {
                    Unplaced::TooLarge { shortfalls } => {
                        (AGENTSCHED_UNPLACED_TOO_LARGE, 0, shortfalls.len())
                    }
                    Unplaced::PinnedToUnknownAgent(a) => {
                        (AGENTSCHED_UNPLACED_PINNED_TO_UNKNOWN_AGENT, a.0, 0)
                    }
                    Unplaced::NoRoomLeft => (AGENTSCHED_UNPLACED_NO_ROOM_LEFT, 0, 0),
                };
                agentsched_unplaced {
                    task: t.0,
                    reason,
                    agent,
                    shortfalls,
                }
            })
            .collect();
        let r = Box::new(agentsched_balance_result {
            loads: loads_to_c(&b.loads),
            assignment,
            unplaced,
            b,
        });
        // SAFETY: checked non-null; writable (contract).
        unsafe { *out = Box::into_raw(r) };
        agentsched_status::Ok
    })
}

/// Frees a balance result. NULL does nothing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_balance_result_free(r: *mut agentsched_balance_result) {
    // SAFETY: made by Box::into_raw in agentsched_balance, freed once (contract).
    unsafe { free_boxed(r) }
}

/// Fills `*out` with the balance's headline figures.
///
/// Statuses: OK, NULL_POINTER, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_balance_result_get_summary(
    r: *const agentsched_balance_result,
    out: *mut agentsched_balance_summary,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(r, out);
        // SAFETY: non-null result made by this library (contract).
        let r = unsafe { &*r };
        let s = agentsched_balance_summary {
            max_load: r.b.max_load,
            greedy_max_load: r.b.greedy_max_load,
            lower_bound: r.b.lower_bound,
            iterations: r.b.iterations,
            placed: r.assignment.len(),
            unplaced: r.unplaced.len(),
            agents: r.loads.len(),
        };
        // SAFETY: checked non-null, writable (contract).
        unsafe { *out = s };
        agentsched_status::Ok
    })
}

/// Copies the placed tasks (pinned ones included) with their agents, by increasing task id, into
/// `buf`.
///
/// Statuses: OK, NULL_POINTER, BUFFER_TOO_SMALL (`*out_len` = count needed), PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_balance_result_assignment(
    r: *const agentsched_balance_result,
    buf: *mut agentsched_placement,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(r, out_len);
        // SAFETY: non-null result (contract); `buf` valid for `cap` values.
        unsafe { write_items(&(*r).assignment, buf, cap, out_len) }
    })
}

/// Copies every agent's load, by increasing agent id, into `buf`.
///
/// Statuses: OK, NULL_POINTER, BUFFER_TOO_SMALL (`*out_len` = count needed), PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_balance_result_loads(
    r: *const agentsched_balance_result,
    buf: *mut agentsched_agent_load,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(r, out_len);
        // SAFETY: non-null result (contract); `buf` valid for `cap` values.
        unsafe { write_items(&(*r).loads, buf, cap, out_len) }
    })
}

/// Copies the used quantity per dimension (the sum of its tasks' demands) of agent number
/// `index` in the order of `agentsched_balance_result_loads` into `buf`.
///
/// Statuses: OK, NULL_POINTER, INVALID_ARGUMENT (index out of range), BUFFER_TOO_SMALL
/// (`*out_len` = dimensions), PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_balance_result_used(
    r: *const agentsched_balance_result,
    index: usize,
    buf: *mut u64,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(r, out_len);
        // SAFETY: non-null result (contract).
        let r = unsafe { &*r };
        match r.b.loads.get(index) {
            // SAFETY: `buf` valid for `cap` values; `out_len` checked.
            Some(l) => unsafe { write_items(&l.used, buf, cap, out_len) },
            None => agentsched_status::InvalidArgument,
        }
    })
}

/// Copies the tasks left out, with the reason, by increasing task id, into `buf`.
///
/// Statuses: OK, NULL_POINTER, BUFFER_TOO_SMALL (`*out_len` = count needed), PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_balance_result_unplaced(
    r: *const agentsched_balance_result,
    buf: *mut agentsched_unplaced,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(r, out_len);
        // SAFETY: non-null result (contract); `buf` valid for `cap` values.
        unsafe { write_items(&(*r).unplaced, buf, cap, out_len) }
    })
}

/// Copies, for unplaced entry `index` (in the order of `agentsched_balance_result_unplaced`),
/// its shortfalls by increasing agent id into `buf`: for a TOO_LARGE task, one per agent; for
/// the other reasons none (OK with `*out_len` = 0).
///
/// Statuses: OK, NULL_POINTER, INVALID_ARGUMENT (index out of range), BUFFER_TOO_SMALL
/// (`*out_len` = count needed), PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_balance_result_shortfalls(
    r: *const agentsched_balance_result,
    index: usize,
    buf: *mut agentsched_shortfall,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(r, out_len);
        // SAFETY: non-null result (contract).
        let r = unsafe { &*r };
        let items: Vec<agentsched_shortfall> = match r.b.unplaced.get(index) {
            Some((_, Unplaced::TooLarge { shortfalls })) => shortfalls
                .iter()
                .map(|&(a, dimension)| agentsched_shortfall {
                    agent: a.0,
                    dimension,
                })
                .collect(),
            Some(_) => Vec::new(),
            None => return agentsched_status::InvalidArgument,
        };
        // SAFETY: `buf` valid for `cap` values; `out_len` checked.
        unsafe { write_items(&items, buf, cap, out_len) }
    })
}

// ---- migration -----------------------------------------------------------------------------

/// A running task of a migration problem. `demand` is read during the call only.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct agentsched_migration_task {
    /// The task's id, unique among the tasks.
    pub id: u32,
    /// Demand per dimension, in the capacities' units.
    pub demand: *const u64,
    /// Number of values at `demand`.
    pub demand_len: usize,
    /// The agent it runs on now (must be one of the agents).
    pub agent: u32,
    /// A pinned task never moves.
    pub pinned: bool,
}

/// Target and budget of `agentsched_plan_migration`. All zero (or NULL options) means: as
/// balanced as single moves can make it, no budget.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct agentsched_migration_options {
    /// One of `AGENTSCHED_TARGET_*`.
    pub target: u32,
    /// With `AGENTSCHED_TARGET_MAX_LOAD`: the maximum load to reach (finite, >= 0).
    pub max_load: f64,
    /// Whether `max_moves` limits the plan.
    pub has_max_moves: bool,
    /// Most moves in the plan (with `has_max_moves`).
    pub max_moves: usize,
    /// Most total migrated demand per dimension (the sum of the moved tasks' demands, each move
    /// counted), one value per dimension; NULL for no limit (then `max_demand_len` must be 0).
    /// Read during the call only.
    pub max_demand: *const u64,
    /// Number of values at `max_demand`.
    pub max_demand_len: usize,
}

/// The headline figures of a migration plan.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct agentsched_migration_summary {
    /// Moves in the plan: entries of `agentsched_migration_result_moves`.
    pub moves: usize,
    /// Largest load before the moves.
    pub max_load_before: f64,
    /// Largest load after all the moves.
    pub max_load_after: f64,
    /// MAX_LOAD: the final maximum load is at most the target. BALANCED: no single move improves
    /// the final state.
    pub target_met: bool,
    /// Why the planner stopped: one of `AGENTSCHED_MIGRATION_STOP_*`.
    pub stop: u32,
    /// Agents: entries of `agentsched_migration_result_loads`.
    pub agents: usize,
}

/// One migration: `task` goes from agent `from` to agent `to`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct agentsched_move {
    /// The task that moves.
    pub task: u32,
    /// The agent it leaves.
    pub from: u32,
    /// The agent it goes to.
    pub to: u32,
}

/// The result of `agentsched_plan_migration` (opaque), owned by the host until
/// `agentsched_migration_result_free`. Immutable: it may be read from several threads at once,
/// and moved between threads.
pub struct agentsched_migration_result {
    m: Migration,
    moves: Vec<agentsched_move>,
    before: Vec<agentsched_agent_load>,
    after: Vec<agentsched_agent_load>,
}

/// Plans an ordered list of moves that brings the maximum load down to the target, or as close
/// as the budget allows: every state after each move keeps capacities, and pinned tasks never
/// move (greedy, off the most loaded agent; Wood et al., NSDI 2007). Agents use
/// `agentsched_balance_agent`. Every array and vector is read during the call only. `options`
/// may be NULL (balanced, no budget). On OK `*out` receives a result to free with
/// `agentsched_migration_result_free`. Deterministic.
///
/// The dimension count is the first agent's `capacity_len` (the first task's without agents).
/// Validation is complete before anything is planned; there is no handle to hold a message, so
/// the status is the whole answer.
///
/// Statuses: OK, NULL_POINTER (`out`, or an array NULL with a non-zero length),
/// INVALID_ARGUMENT (unknown `target`, a length too large for memory), DIMENSION_MISMATCH (a
/// capacity, demand or `max_demand` of the wrong length), DUPLICATE_AGENT, DUPLICATE_TASK,
/// UNKNOWN_AGENT (a task on an agent not given), AGENT_STATE (the current placement exceeds an
/// agent's capacity), INVALID_NUMBER (`max_load` NaN, infinite or negative), PANIC. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_plan_migration(
    agents: *const agentsched_balance_agent,
    agents_len: usize,
    tasks: *const agentsched_migration_task,
    tasks_len: usize,
    options: *const agentsched_migration_options,
    out: *mut *mut agentsched_migration_result,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(out);
        // SAFETY: forwarded contract.
        let agents = match unsafe { agents_from_c(agents, agents_len) } {
            Ok(a) => a,
            Err(s) => return s,
        };
        // SAFETY: valid for `tasks_len` tasks when non-null (contract).
        let ctasks = match unsafe { slice(tasks, tasks_len) } {
            Ok(t) => t,
            Err(s) => return s,
        };
        let mut tasks = Vec::with_capacity(ctasks.len());
        for t in ctasks {
            // SAFETY: valid for `demand_len` values when non-null (contract).
            let demand = match unsafe { slice(t.demand, t.demand_len) } {
                Ok(d) => d.to_vec(),
                Err(s) => return s,
            };
            tasks.push(MigrationTask {
                id: TaskId(t.id),
                demand,
                agent: AgentId(t.agent),
                pinned: t.pinned,
            });
        }
        let (target, budget) = if options.is_null() {
            (Target::Balanced, MigrationBudget::default())
        } else {
            // SAFETY: non-null, points to options (contract).
            let o = unsafe { &*options };
            let target = match o.target {
                AGENTSCHED_TARGET_BALANCED => Target::Balanced,
                AGENTSCHED_TARGET_MAX_LOAD => Target::MaxLoad(o.max_load),
                _ => return agentsched_status::InvalidArgument,
            };
            let max_demand = if o.max_demand.is_null() {
                if o.max_demand_len != 0 {
                    return agentsched_status::NullPointer;
                }
                None
            } else {
                // SAFETY: non-null, valid for `max_demand_len` values (contract).
                match unsafe { slice(o.max_demand, o.max_demand_len) } {
                    Ok(d) => Some(d.to_vec()),
                    Err(s) => return s,
                }
            };
            let budget = MigrationBudget {
                max_moves: o.has_max_moves.then_some(o.max_moves),
                max_demand,
            };
            (target, budget)
        };
        let m = match plan_migration(&agents, &tasks, target, &budget) {
            Ok(m) => m,
            Err(e) => return agentsched_status::from(&e),
        };
        let moves = m
            .moves
            .iter()
            .map(|mv| agentsched_move {
                task: mv.task.0,
                from: mv.from.0,
                to: mv.to.0,
            })
            .collect();
        let r = Box::new(agentsched_migration_result {
            before: loads_to_c(&m.before),
            after: loads_to_c(&m.after),
            moves,
            m,
        });
        // SAFETY: checked non-null; writable (contract).
        unsafe { *out = Box::into_raw(r) };
        agentsched_status::Ok
    })
}

/// Frees a migration result. NULL does nothing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_migration_result_free(r: *mut agentsched_migration_result) {
    // SAFETY: made by Box::into_raw in agentsched_plan_migration, freed once (contract).
    unsafe { free_boxed(r) }
}

/// Fills `*out` with the plan's headline figures.
///
/// Statuses: OK, NULL_POINTER, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_migration_result_get_summary(
    r: *const agentsched_migration_result,
    out: *mut agentsched_migration_summary,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(r, out);
        // SAFETY: non-null result made by this library (contract).
        let r = unsafe { &*r };
        let s = agentsched_migration_summary {
            moves: r.moves.len(),
            max_load_before: r.m.max_load_before,
            max_load_after: r.m.max_load_after,
            target_met: r.m.target_met,
            stop: match r.m.stop {
                MigrationStop::TargetMet => AGENTSCHED_MIGRATION_STOP_TARGET_MET,
                MigrationStop::MoveBudget => AGENTSCHED_MIGRATION_STOP_MOVE_BUDGET,
                MigrationStop::DemandBudget => AGENTSCHED_MIGRATION_STOP_DEMAND_BUDGET,
                MigrationStop::NoImprovingMove => AGENTSCHED_MIGRATION_STOP_NO_IMPROVING_MOVE,
            },
            agents: r.before.len(),
        };
        // SAFETY: checked non-null, writable (contract).
        unsafe { *out = s };
        agentsched_status::Ok
    })
}

/// Copies the moves, in the order to apply them, into `buf`.
///
/// Statuses: OK, NULL_POINTER, BUFFER_TOO_SMALL (`*out_len` = count needed), PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_migration_result_moves(
    r: *const agentsched_migration_result,
    buf: *mut agentsched_move,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(r, out_len);
        // SAFETY: non-null result (contract); `buf` valid for `cap` values.
        unsafe { write_items(&(*r).moves, buf, cap, out_len) }
    })
}

/// Copies every agent's load before the moves (`after` false) or after all of them (`after`
/// true), by increasing agent id, into `buf`.
///
/// Statuses: OK, NULL_POINTER, BUFFER_TOO_SMALL (`*out_len` = count needed), PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_migration_result_loads(
    r: *const agentsched_migration_result,
    after: bool,
    buf: *mut agentsched_agent_load,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(r, out_len);
        // SAFETY: non-null result (contract).
        let r = unsafe { &*r };
        let items = if after { &r.after } else { &r.before };
        // SAFETY: `buf` valid for `cap` values; `out_len` checked.
        unsafe { write_items(items, buf, cap, out_len) }
    })
}

/// Copies the used quantity per dimension of agent number `index` (in the order of
/// `agentsched_migration_result_loads`) before the moves (`after` false) or after them (`after`
/// true) into `buf`.
///
/// Statuses: OK, NULL_POINTER, INVALID_ARGUMENT (index out of range), BUFFER_TOO_SMALL
/// (`*out_len` = dimensions), PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_migration_result_used(
    r: *const agentsched_migration_result,
    after: bool,
    index: usize,
    buf: *mut u64,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(r, out_len);
        // SAFETY: non-null result (contract).
        let r = unsafe { &*r };
        let loads = if after { &r.m.after } else { &r.m.before };
        match loads.get(index) {
            // SAFETY: `buf` valid for `cap` values; `out_len` checked.
            Some(l) => unsafe { write_items(&l.used, buf, cap, out_len) },
            None => agentsched_status::InvalidArgument,
        }
    })
}

/// Copies the total migrated demand per dimension (each move counted) into `buf`.
///
/// Statuses: OK, NULL_POINTER, BUFFER_TOO_SMALL (`*out_len` = dimensions), PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_migration_result_migrated_demand(
    r: *const agentsched_migration_result,
    buf: *mut u64,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(r, out_len);
        // SAFETY: non-null result (contract); `buf` valid for `cap` values.
        unsafe { write_items(&(*r).m.migrated_demand, buf, cap, out_len) }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;
    use std::ptr::{null, null_mut};

    fn new_etc(tasks: usize, machines: usize, etc: &[f64]) -> *mut agentsched_etc {
        let mut h = null_mut();
        // SAFETY: valid arrays and out pointer.
        let s = unsafe {
            agentsched_etc_new(tasks, machines, etc.as_ptr(), etc.len(), null(), 0, &mut h)
        };
        assert_eq!(s, agentsched_status::Ok);
        h
    }

    fn last_error(h: *const agentsched_etc) -> String {
        let mut buf = [0 as c_char; 256];
        let mut len = 0;
        // SAFETY: valid handle and buffer.
        unsafe {
            assert_eq!(
                agentsched_etc_last_error(h, buf.as_mut_ptr(), buf.len(), &mut len),
                agentsched_status::Ok
            );
            CStr::from_ptr(buf.as_ptr()).to_str().unwrap().to_string()
        }
    }

    fn makespan(m: *const agentsched_mapping) -> f64 {
        let mut ms = f64::NAN;
        // SAFETY: valid mapping.
        assert_eq!(
            unsafe { agentsched_mapping_makespan(m, &mut ms) },
            agentsched_status::Ok
        );
        ms
    }

    /// Every heuristic by name, through the ABI, gives the library's own result, on a matrix
    /// with tasks and on one without.
    #[test]
    fn heuristics_by_name_match_the_library() {
        for (tasks, etc) in [(3, vec![4.0, 6.0, 4.0, 6.0, 5.0, 2.0]), (0, Vec::new())] {
            let h = new_etc(tasks, 2, &etc);
            let lib = EtcMatrix::new(tasks, 2, etc.clone()).unwrap();
            for (name, f) in heuristics::ALL {
                let cname = std::ffi::CString::new(name).unwrap();
                let mut m = null_mut();
                // SAFETY: valid handle, name and out pointer.
                let s = unsafe { agentsched_map_heuristic(h, cname.as_ptr(), &mut m) };
                assert_eq!(s, agentsched_status::Ok, "{name}");
                let want = f(&lib);
                assert_eq!(makespan(m), want.makespan, "{name}");
                let mut got = vec![usize::MAX; tasks];
                let mut len = 0;
                // SAFETY: buffer valid for `tasks` values.
                let s = unsafe {
                    agentsched_mapping_assignment(m, got.as_mut_ptr(), got.len(), &mut len)
                };
                assert_eq!(s, agentsched_status::Ok);
                assert_eq!((len, got), (tasks, want.assignment));
                // SAFETY: made above, freed once.
                unsafe { agentsched_mapping_free(m) };
            }
            // SAFETY: made above, freed once.
            unsafe { agentsched_etc_free(h) };
        }
    }

    #[test]
    fn failures_leave_a_message_and_no_output() {
        let h = new_etc(2, 2, &[1.0, 2.0, 2.0, 1.0]);
        let mut m = null_mut();
        // SAFETY: valid handle and out pointer; the name is a static C string.
        unsafe {
            assert_eq!(
                agentsched_map_heuristic(h, c"min_min".as_ptr(), &mut m),
                agentsched_status::InvalidArgument
            );
            assert!(m.is_null());
            let msg = last_error(h);
            assert!(msg.contains("min_min") && msg.contains("min-min"), "{msg}");
            let bad = [0usize, 2];
            assert_eq!(
                agentsched_map_improve(h, bad.as_ptr(), 2, 10, 0, 1, &mut m),
                agentsched_status::InvalidConfig
            );
            assert!(last_error(h).contains("assignment"));
            assert_eq!(
                agentsched_map_improve(h, bad.as_ptr(), 1, 10, 0, 1, &mut m),
                agentsched_status::DimensionMismatch
            );
            assert_eq!(
                agentsched_map_best(h, 10, 0, 1, null_mut()),
                agentsched_status::NullPointer
            );
            assert_eq!(last_error(h), "null pointer");
            assert!(m.is_null());
            agentsched_etc_free(h);
        }
    }

    #[test]
    fn balance_and_migration_convert_faithfully() {
        let caps = [[10u64], [10u64]];
        let agents: Vec<agentsched_balance_agent> = caps
            .iter()
            .enumerate()
            .map(|(i, c)| agentsched_balance_agent {
                id: i as u32,
                capacity: c.as_ptr(),
                capacity_len: 1,
            })
            .collect();
        let demands = [[5u64], [3], [2]];
        let tasks: Vec<agentsched_migration_task> = demands
            .iter()
            .enumerate()
            .map(|(i, d)| agentsched_migration_task {
                id: i as u32,
                demand: d.as_ptr(),
                demand_len: 1,
                agent: 0,
                pinned: i == 0,
            })
            .collect();
        let mut r = null_mut();
        // SAFETY: valid arrays; options NULL; out pointer valid.
        unsafe {
            assert_eq!(
                agentsched_plan_migration(agents.as_ptr(), 2, tasks.as_ptr(), 3, null(), &mut r),
                agentsched_status::Ok
            );
            let mut s = agentsched_migration_summary::default();
            assert_eq!(
                agentsched_migration_result_get_summary(r, &mut s),
                agentsched_status::Ok
            );
            assert_eq!(s.max_load_after, 0.5);
            assert!(s.target_met);
            assert_eq!(s.stop, AGENTSCHED_MIGRATION_STOP_NO_IMPROVING_MOVE);
            let mut moves = [agentsched_move::default(); 4];
            let mut n = 0;
            assert_eq!(
                agentsched_migration_result_moves(r, moves.as_mut_ptr(), 4, &mut n),
                agentsched_status::Ok
            );
            assert!(moves[..n].iter().all(|mv| mv.task != 0));
            agentsched_migration_result_free(r);
        }
    }
}
