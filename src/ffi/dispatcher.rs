//! The dispatcher handle and its events.

use super::{
    agentsched_status, cstr, ffi_boundary, free_boxed, non_null, slice, write_bytes, write_items,
    write_str,
};
use crate::online::{Dispatcher, DispatcherConfig, Search, TaskSpec, TaskState};
use crate::pool::{AgentSpec, Scoring, Weights};
use crate::queue::{AgingConfig, Discipline, MlfqConfig};
use crate::resources::Schema;
use crate::{AgentId, Error, GangId, Label, Sensitivity, TaskId, Tier};
use std::ffi::c_char;

/// Scoring: least allocated first (spread).
pub const AGENTSCHED_SCORING_LEAST_ALLOCATED: u32 = 0;
/// Scoring: most allocated first (bin-pack).
pub const AGENTSCHED_SCORING_MOST_ALLOCATED: u32 = 1;
/// Scoring: balanced allocation across dimensions.
pub const AGENTSCHED_SCORING_BALANCED: u32 = 2;
/// Scoring: dot-product alignment of demand and free capacity (Tetris).
pub const AGENTSCHED_SCORING_DOT_PRODUCT: u32 = 3;
/// Scoring: lowest cost first.
pub const AGENTSCHED_SCORING_LOWEST_COST: u32 = 4;
/// Scoring: the weighted mix given by the config's `weight_*` fields.
pub const AGENTSCHED_SCORING_WEIGHTED: u32 = 5;

/// Queue: priority desc, then estimated duration asc, then arrival.
pub const AGENTSCHED_DISCIPLINE_PRIORITY_FIFO: u32 = 0;
/// Queue: shortest job first.
pub const AGENTSCHED_DISCIPLINE_SJF: u32 = 1;
/// Queue: multi-level feedback (`mlfq_quanta`, `mlfq_boost_interval`).
pub const AGENTSCHED_DISCIPLINE_MLFQ: u32 = 2;
/// Queue: aging (`aging_rate` priority levels per unit of waiting time).
pub const AGENTSCHED_DISCIPLINE_AGING: u32 = 3;

/// Search: through the fit index.
pub const AGENTSCHED_SEARCH_INDEXED: u32 = 0;
/// Search: full scan (the reference).
pub const AGENTSCHED_SEARCH_FULL_SCAN: u32 = 1;

/// Tier: private cloud.
pub const AGENTSCHED_TIER_PRIVATE: u32 = 0;
/// Tier: public cloud.
pub const AGENTSCHED_TIER_PUBLIC: u32 = 1;

/// Sensitivity: public data.
pub const AGENTSCHED_SENSITIVITY_PUBLIC: u32 = 0;
/// Sensitivity: internal data.
pub const AGENTSCHED_SENSITIVITY_INTERNAL: u32 = 1;
/// Sensitivity: confidential data (never on a public agent).
pub const AGENTSCHED_SENSITIVITY_CONFIDENTIAL: u32 = 2;

/// Task state: queued.
pub const AGENTSCHED_TASK_QUEUED: u32 = 0;
/// Task state: running (on the agent reported alongside).
pub const AGENTSCHED_TASK_RUNNING: u32 = 1;
/// Task state: done.
pub const AGENTSCHED_TASK_DONE: u32 = 2;
/// Task state: cancelled.
pub const AGENTSCHED_TASK_CANCELLED: u32 = 3;

/// Major version, as in Cargo.toml.
pub const AGENTSCHED_VERSION_MAJOR: u32 = 0;
/// Minor version, as in Cargo.toml.
pub const AGENTSCHED_VERSION_MINOR: u32 = 1;
/// Patch version, as in Cargo.toml.
pub const AGENTSCHED_VERSION_PATCH: u32 = 0;

/// A dispatcher's policy, filled by `agentsched_config_default` and then by the host.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct agentsched_config {
    /// One of `AGENTSCHED_SCORING_*`.
    pub scoring: u32,
    /// With `AGENTSCHED_SCORING_WEIGHTED`: weight of least-allocated (finite, >= 0).
    pub weight_least_allocated: f64,
    /// With `AGENTSCHED_SCORING_WEIGHTED`: weight of most-allocated.
    pub weight_most_allocated: f64,
    /// With `AGENTSCHED_SCORING_WEIGHTED`: weight of balanced allocation.
    pub weight_balanced: f64,
    /// With `AGENTSCHED_SCORING_WEIGHTED`: weight of dot-product alignment.
    pub weight_dot_product: f64,
    /// With `AGENTSCHED_SCORING_WEIGHTED`: weight of lowest cost.
    pub weight_lowest_cost: f64,
    /// One of `AGENTSCHED_DISCIPLINE_*`.
    pub discipline: u32,
    /// With MLFQ: time a task may consume at each level before demotion (1 to 16 values, each
    /// finite and > 0). Read during `agentsched_dispatcher_new` only; may be NULL when the
    /// length is 0.
    pub mlfq_quanta: *const f64,
    /// Number of values at `mlfq_quanta`.
    pub mlfq_quanta_len: usize,
    /// With MLFQ: every so much time all tasks return to the top level (finite, > 0).
    pub mlfq_boost_interval: f64,
    /// With aging: priority levels gained per unit of waiting time (finite, >= 0).
    pub aging_rate: f64,
    /// Whether internal data may run on public agents.
    pub allow_internal_on_public: bool,
    /// Whether tasks behind a blocked task may be placed.
    pub backfill: bool,
    /// Whether the first blocked task holds a reservation (EASY backfill).
    pub reservation: bool,
    /// Whether a task no agent could ever hold is rejected at submit.
    pub reject_never_fit: bool,
    /// One of `AGENTSCHED_SEARCH_*`.
    pub search: u32,
}

/// A `key=value` label. Both strings are NUL-terminated UTF-8, read during the call only.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct agentsched_label {
    /// The key.
    pub key: *const c_char,
    /// The value.
    pub value: *const c_char,
}

/// An agent joining the pool. Arrays are read during the call only.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct agentsched_agent_spec {
    /// The agent's id.
    pub id: u32,
    /// Capacity, one value per schema dimension.
    pub capacity: *const u64,
    /// Number of values at `capacity`.
    pub capacity_len: usize,
    /// One of `AGENTSCHED_TIER_*`.
    pub tier: u32,
    /// Cost per unit time (finite, >= 0).
    pub cost_per_time: f64,
    /// Relative speed (finite, > 0).
    pub speed: f64,
    /// Labels; may be NULL when `labels_len` is 0.
    pub labels: *const agentsched_label,
    /// Number of labels.
    pub labels_len: usize,
}

/// A task. Arrays are read during the call only.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct agentsched_task_spec {
    /// The task's id.
    pub id: u32,
    /// Demand, one value per schema dimension.
    pub demand: *const u64,
    /// Number of values at `demand`.
    pub demand_len: usize,
    /// Higher runs first.
    pub priority: i32,
    /// Estimated duration on a speed-1 agent (finite, >= 0).
    pub duration: f64,
    /// One of `AGENTSCHED_SENSITIVITY_*`.
    pub sensitivity: u32,
    /// Required labels; may be NULL when `labels_len` is 0.
    pub labels: *const agentsched_label,
    /// Number of labels.
    pub labels_len: usize,
    /// Whether the task belongs to a gang.
    pub has_gang: bool,
    /// The gang's id (with `has_gang`).
    pub gang_id: u32,
    /// The gang's size, >= 1 (with `has_gang`).
    pub gang_size: u32,
}

/// One placement decision.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct agentsched_assignment {
    /// The task.
    pub task: u32,
    /// The agent.
    pub agent: u32,
    /// The agent's score for the task.
    pub score: f64,
    /// The dispatcher's time at placement.
    pub start: f64,
    /// `start + duration / speed`.
    pub expected_end: f64,
    /// Whether it was placed past a blocked task.
    pub backfilled: bool,
}

/// Counters of a dispatcher.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct agentsched_counts {
    /// Agents in the pool.
    pub agents: u64,
    /// Queued tasks.
    pub queued: u64,
    /// Running tasks.
    pub running: u64,
    /// Tasks accepted by submit.
    pub submitted: u64,
    /// Placement decisions.
    pub placed: u64,
    /// Of those, placed past a blocked task.
    pub backfilled: u64,
    /// Tasks completed.
    pub completed: u64,
    /// Tasks cancelled.
    pub cancelled: u64,
    /// Tasks requeued by agent failure or departure.
    pub requeued: u64,
    /// Completions the runtime estimator learned from.
    pub learned: u64,
    /// Completions the runtime estimator refused (the completion still happened).
    pub learn_rejected: u64,
}

/// An online dispatcher (opaque).
///
/// Owned by the host from `agentsched_dispatcher_new` until `agentsched_dispatcher_free`. It may
/// be moved between threads but not used from two threads at once (no call is thread-safe on
/// the same handle; different handles are independent). After a call returns
/// `AGENTSCHED_STATUS_PANIC` the handle is poisoned: every later call returns
/// `AGENTSCHED_STATUS_POISONED` except `agentsched_dispatcher_free`.
pub struct agentsched_dispatcher {
    pub(crate) d: Dispatcher,
    pub(crate) last_error: String,
    /// Bumped whenever `last_error` is set, so the boundary can tell whether a failed call
    /// wrote its own message.
    pub(crate) error_gen: u64,
    assignments: Vec<agentsched_assignment>,
    requeued: Vec<u32>,
    pub(crate) poisoned: bool,
}

// The handle's thread-safety claim ("may be moved between threads") rests on this.
const _: () = {
    const fn assert_send<T: Send>() {}
    assert_send::<agentsched_dispatcher>();
};

impl agentsched_dispatcher {
    pub(crate) fn fail(&mut self, e: Error) -> agentsched_status {
        let s = agentsched_status::from(&e);
        self.set_error(&e.to_string());
        s
    }

    /// The status of a call that returns nothing, recording its error.
    pub(crate) fn done(&mut self, r: crate::Result<()>) -> agentsched_status {
        match r {
            Ok(()) => agentsched_status::Ok,
            Err(e) => self.fail(e),
        }
    }

    pub(crate) fn invalid(&mut self, msg: &str) -> agentsched_status {
        self.set_error(msg);
        agentsched_status::InvalidArgument
    }

    /// The task a submit or dry run from C describes (`class` and `features` for the classed
    /// calls), or the status to return with the error recorded.
    ///
    /// # Safety
    /// `spec` valid; its arrays and `features` valid for their lengths when non-null.
    pub(crate) unsafe fn spec_from_c(
        &mut self,
        spec: &agentsched_task_spec,
        classed: Option<(u32, *const f64, usize)>,
    ) -> Result<TaskSpec, agentsched_status> {
        // SAFETY: the caller's contract.
        let task = match unsafe { task_from_c(spec) } {
            Ok(s) => s,
            Err(agentsched_status::InvalidArgument) => {
                return Err(self.invalid("task: bad sensitivity, label or length"));
            }
            Err(st) => return Err(st),
        };
        let Some((class, features, len)) = classed else {
            return Ok(task);
        };
        // SAFETY: valid for `len` values when non-null (the caller's contract).
        match unsafe { slice(features, len) } {
            Ok(f) => Ok(task.runtime_class(class, f.to_vec())),
            Err(agentsched_status::InvalidArgument) => {
                Err(self.invalid("features: length too large"))
            }
            Err(st) => Err(st),
        }
    }

    /// Keeps a fail/leave result for `agentsched_dispatcher_requeued` and reports its size.
    ///
    /// # Safety
    /// `out_requeued` must be NULL or writable.
    unsafe fn keep_requeue(
        &mut self,
        r: crate::Result<crate::online::Requeue>,
        out_requeued: *mut usize,
    ) -> agentsched_status {
        match r {
            Ok(r) => {
                self.requeued = r.requeued.iter().map(|t| t.0).collect();
                if !out_requeued.is_null() {
                    // SAFETY: checked non-null, writable (caller contract).
                    unsafe { *out_requeued = self.requeued.len() };
                }
                agentsched_status::Ok
            }
            Err(e) => self.fail(e),
        }
    }

    pub(crate) fn set_error(&mut self, msg: &str) {
        self.last_error.clear();
        self.last_error.push_str(msg);
        self.error_gen = self.error_gen.wrapping_add(1);
    }
}

/// Resolves a handle pointer, or returns the status for NULL / poisoned.
macro_rules! handle {
    ($h:expr) => {{
        if $h.is_null() {
            return agentsched_status::NullPointer;
        }
        // SAFETY: non-null; the caller passes a handle made by this library's `_new` (e.g.
        // agentsched_dispatcher_new) and not freed, used by one thread at a time (documented
        // contract).
        let h = unsafe { &mut *$h };
        if h.poisoned {
            return agentsched_status::Poisoned;
        }
        h
    }};
}
pub(crate) use handle;

/// Fills `*out` with the default policy: least-allocated scoring, priority-FIFO queue, backfill
/// and reservation on, never-fit tasks rejected, internal data kept private, indexed search.
///
/// Statuses: OK, NULL_POINTER. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_config_default(
    out: *mut agentsched_config,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(out);
        let c = DispatcherConfig::default();
        // SAFETY: checked non-null; the caller passes a writable agentsched_config.
        unsafe {
            *out = agentsched_config {
                scoring: AGENTSCHED_SCORING_LEAST_ALLOCATED,
                weight_least_allocated: 0.0,
                weight_most_allocated: 0.0,
                weight_balanced: 0.0,
                weight_dot_product: 0.0,
                weight_lowest_cost: 0.0,
                discipline: AGENTSCHED_DISCIPLINE_PRIORITY_FIFO,
                mlfq_quanta: std::ptr::null(),
                mlfq_quanta_len: 0,
                mlfq_boost_interval: 0.0,
                aging_rate: 0.0,
                allow_internal_on_public: c.allow_internal_on_public,
                backfill: c.backfill,
                reservation: c.reservation,
                reject_never_fit: c.reject_never_fit,
                search: AGENTSCHED_SEARCH_INDEXED,
            }
        };
        agentsched_status::Ok
    })
}

/// Converts a C config; `Err` carries the status and a message.
unsafe fn config_from_c(
    c: &agentsched_config,
) -> Result<DispatcherConfig, (agentsched_status, String)> {
    let bad = |m: &str| (agentsched_status::InvalidArgument, m.to_string());
    let scoring = match c.scoring {
        AGENTSCHED_SCORING_LEAST_ALLOCATED => Scoring::LeastAllocated,
        AGENTSCHED_SCORING_MOST_ALLOCATED => Scoring::MostAllocated,
        AGENTSCHED_SCORING_BALANCED => Scoring::Balanced,
        AGENTSCHED_SCORING_DOT_PRODUCT => Scoring::DotProduct,
        AGENTSCHED_SCORING_LOWEST_COST => Scoring::LowestCost,
        AGENTSCHED_SCORING_WEIGHTED => Scoring::Weighted(Weights {
            least_allocated: c.weight_least_allocated,
            most_allocated: c.weight_most_allocated,
            balanced: c.weight_balanced,
            dot_product: c.weight_dot_product,
            lowest_cost: c.weight_lowest_cost,
        }),
        _ => return Err(bad("config.scoring: unknown value")),
    };
    let discipline = match c.discipline {
        AGENTSCHED_DISCIPLINE_PRIORITY_FIFO => Discipline::PriorityFifo,
        AGENTSCHED_DISCIPLINE_SJF => Discipline::ShortestJobFirst,
        AGENTSCHED_DISCIPLINE_MLFQ => {
            // SAFETY: valid for `mlfq_quanta_len` values when non-null (documented contract).
            let q = unsafe { slice(c.mlfq_quanta, c.mlfq_quanta_len) }
                .map_err(|s| (s, "config.mlfq_quanta: NULL or too long".to_string()))?;
            Discipline::Mlfq(MlfqConfig {
                quanta: q.to_vec(),
                boost_interval: c.mlfq_boost_interval,
            })
        }
        AGENTSCHED_DISCIPLINE_AGING => Discipline::Aging(AgingConfig { rate: c.aging_rate }),
        _ => return Err(bad("config.discipline: unknown value")),
    };
    let search = match c.search {
        AGENTSCHED_SEARCH_INDEXED => Search::Indexed,
        AGENTSCHED_SEARCH_FULL_SCAN => Search::FullScan,
        _ => return Err(bad("config.search: unknown value")),
    };
    Ok(DispatcherConfig {
        scoring,
        discipline,
        allow_internal_on_public: c.allow_internal_on_public,
        backfill: c.backfill,
        reservation: c.reservation,
        reject_never_fit: c.reject_never_fit,
        search,
        estimation: None,
    })
}

/// Creates a dispatcher over the dimensions named by `dims` (`dims_len` NUL-terminated UTF-8
/// strings, read during the call only) with the policy `config` (NULL = the default policy).
/// On OK, `*out` receives a handle the host must free with `agentsched_dispatcher_free`; on any
/// other status `*out` is untouched.
///
/// Statuses: OK, NULL_POINTER, INVALID_ARGUMENT, INVALID_SCHEMA, INVALID_NUMBER,
/// INVALID_CONFIG, PANIC. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_dispatcher_new(
    dims: *const *const c_char,
    dims_len: usize,
    config: *const agentsched_config,
    out: *mut *mut agentsched_dispatcher,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(out);
        // SAFETY: valid for `dims_len` pointers when non-null (documented contract).
        let ptrs = match unsafe { slice(dims, dims_len) } {
            Ok(p) => p,
            Err(s) => return s,
        };
        let mut names = Vec::with_capacity(ptrs.len());
        for &p in ptrs {
            if p.is_null() {
                return agentsched_status::NullPointer;
            }
            // SAFETY: non-null, NUL-terminated (documented contract).
            match unsafe { cstr(p) } {
                Some(s) => names.push(s.to_string()),
                None => return agentsched_status::InvalidArgument,
            }
        }
        let cfg = if config.is_null() {
            DispatcherConfig::default()
        } else {
            // SAFETY: non-null, points to an agentsched_config (documented contract).
            match unsafe { config_from_c(&*config) } {
                Ok(c) => c,
                Err((s, _)) => return s,
            }
        };
        let d = match Schema::new(names).and_then(|s| Dispatcher::new(s, cfg)) {
            Ok(d) => d,
            Err(e) => return agentsched_status::from(&e),
        };
        let h = Box::new(agentsched_dispatcher {
            d,
            last_error: String::new(),
            error_gen: 0,
            assignments: Vec::new(),
            requeued: Vec::new(),
            poisoned: false,
        });
        // SAFETY: checked non-null; writable (documented contract).
        unsafe { *out = Box::into_raw(h) };
        agentsched_status::Ok
    })
}

/// Frees a dispatcher. NULL does nothing. The handle must not be used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_dispatcher_free(h: *mut agentsched_dispatcher) {
    // SAFETY: made by Box::into_raw in agentsched_dispatcher_new, freed once (contract).
    unsafe { free_boxed(h) }
}

/// Copies the message of the last failed call on this handle (NUL-terminated) into `buf`.
/// `*out_len` receives its length without the NUL, also on BUFFER_TOO_SMALL (then `cap` must be
/// at least `*out_len + 1`). Works on a poisoned handle.
///
/// Statuses: OK, NULL_POINTER, BUFFER_TOO_SMALL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_dispatcher_last_error(
    h: *const agentsched_dispatcher,
    buf: *mut c_char,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(h, out_len);
        // SAFETY: non-null handle (contract).
        let h = unsafe { &*h };
        let msg = &h.last_error;
        // SAFETY: `buf` valid for `cap` bytes, `out_len` checked.
        unsafe { write_str(msg, buf, cap, out_len) }
    })
}

unsafe fn labels_from_c(
    p: *const agentsched_label,
    n: usize,
) -> Result<Vec<Label>, agentsched_status> {
    // SAFETY: valid for `n` labels when non-null (contract).
    let ls = unsafe { slice(p, n) }?;
    ls.iter()
        .map(|l| {
            if l.key.is_null() || l.value.is_null() {
                return Err(agentsched_status::NullPointer);
            }
            // SAFETY: non-null NUL-terminated strings (contract).
            let (k, v) = unsafe { (cstr(l.key), cstr(l.value)) };
            match (k, v) {
                (Some(k), Some(v)) => Ok(Label::new(k, v)),
                _ => Err(agentsched_status::InvalidArgument),
            }
        })
        .collect()
}

unsafe fn task_from_c(t: &agentsched_task_spec) -> Result<TaskSpec, agentsched_status> {
    // SAFETY: valid for `demand_len` values when non-null (contract).
    let demand = unsafe { slice(t.demand, t.demand_len) }?;
    let sensitivity = match t.sensitivity {
        AGENTSCHED_SENSITIVITY_PUBLIC => Sensitivity::Public,
        AGENTSCHED_SENSITIVITY_INTERNAL => Sensitivity::Internal,
        AGENTSCHED_SENSITIVITY_CONFIDENTIAL => Sensitivity::Confidential,
        _ => return Err(agentsched_status::InvalidArgument),
    };
    let mut spec = TaskSpec::new(TaskId(t.id), demand.to_vec())
        .priority(t.priority)
        .duration(t.duration)
        .sensitivity(sensitivity);
    // SAFETY: forwarded contract.
    spec.labels = unsafe { labels_from_c(t.labels, t.labels_len) }?;
    if t.has_gang {
        spec = spec.gang(GangId(t.gang_id), t.gang_size);
    }
    Ok(spec)
}

/// An agent joins the pool, ready.
///
/// Statuses: OK, NULL_POINTER, INVALID_ARGUMENT (tier, UTF-8), DUPLICATE_AGENT,
/// DIMENSION_MISMATCH, INVALID_NUMBER, POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_agent_join(
    h: *mut agentsched_dispatcher,
    spec: *const agentsched_agent_spec,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        non_null!(spec);
        // SAFETY: non-null (contract).
        let s = unsafe { &*spec };
        // SAFETY: valid for `capacity_len` values when non-null (contract).
        let cap = match unsafe { slice(s.capacity, s.capacity_len) } {
            Ok(c) => c,
            Err(st) => return st,
        };
        let tier = match s.tier {
            AGENTSCHED_TIER_PRIVATE => Tier::Private,
            AGENTSCHED_TIER_PUBLIC => Tier::Public,
            _ => return h.invalid("agent.tier: unknown value"),
        };
        // SAFETY: forwarded contract.
        let labels = match unsafe { labels_from_c(s.labels, s.labels_len) } {
            Ok(l) => l,
            Err(st) => return st,
        };
        let mut a = AgentSpec::new(AgentId(s.id), cap.to_vec())
            .tier(tier)
            .cost_per_time(s.cost_per_time)
            .speed(s.speed);
        a.labels = labels;
        let r = h.d.join_agent(a);
        h.done(r)
    })
}

/// An agent drains: it finishes what it runs and takes nothing new.
///
/// Statuses: OK, NULL_POINTER, UNKNOWN_AGENT, AGENT_STATE, POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_agent_drain(
    h: *mut agentsched_dispatcher,
    agent: u32,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        let r = h.d.drain_agent(AgentId(agent));
        h.done(r)
    })
}

/// A draining or down agent is ready again.
///
/// Statuses: OK, NULL_POINTER, UNKNOWN_AGENT, AGENT_STATE, POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_agent_recover(
    h: *mut agentsched_dispatcher,
    agent: u32,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        let r = h.d.recover_agent(AgentId(agent));
        h.done(r)
    })
}

/// An agent fails: it goes down and its tasks return to the queue. `*out_requeued` (may be
/// NULL) receives how many; read them with `agentsched_dispatcher_requeued`.
///
/// Statuses: OK, NULL_POINTER, UNKNOWN_AGENT, AGENT_STATE, POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_agent_fail(
    h: *mut agentsched_dispatcher,
    agent: u32,
    out_requeued: *mut usize,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        let r = h.d.fail_agent(AgentId(agent));
        // SAFETY: `out_requeued` is NULL or writable (contract).
        unsafe { h.keep_requeue(r, out_requeued) }
    })
}

/// An agent leaves the pool; its tasks return to the queue. `*out_requeued` (may be NULL)
/// receives how many; read them with `agentsched_dispatcher_requeued`.
///
/// Statuses: OK, NULL_POINTER, UNKNOWN_AGENT, POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_agent_leave(
    h: *mut agentsched_dispatcher,
    agent: u32,
    out_requeued: *mut usize,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        let r = h.d.leave_agent(AgentId(agent));
        // SAFETY: `out_requeued` is NULL or writable (contract).
        unsafe { h.keep_requeue(r, out_requeued) }
    })
}

/// Copies the task ids requeued by the last successful `agentsched_agent_fail` or
/// `agentsched_agent_leave` (in arrival order) into `buf`.
///
/// Statuses: OK, NULL_POINTER, BUFFER_TOO_SMALL (`*out_len` = count needed), POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_dispatcher_requeued(
    h: *mut agentsched_dispatcher,
    buf: *mut u32,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        non_null!(out_len);
        // SAFETY: `buf` valid for `cap` values; `out_len` checked.
        unsafe { write_items(&h.requeued, buf, cap, out_len) }
    })
}

/// Submits a task (queued until the next `agentsched_dispatch`).
///
/// Statuses: OK, NULL_POINTER, INVALID_ARGUMENT (sensitivity, UTF-8), DUPLICATE_TASK,
/// DIMENSION_MISMATCH, INVALID_NUMBER, INVALID_CONFIG (gang size 0), GANG, NEVER_FITS,
/// POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_task_submit(
    h: *mut agentsched_dispatcher,
    spec: *const agentsched_task_spec,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        non_null!(spec);
        // SAFETY: non-null (contract); arrays read under the same contract.
        let spec = match unsafe { h.spec_from_c(&*spec, None) } {
            Ok(s) => s,
            Err(st) => return st,
        };
        let r = h.d.submit(spec);
        h.done(r)
    })
}

/// A running task completed; its resources are released.
///
/// Statuses: OK, NULL_POINTER, UNKNOWN_TASK, TASK_STATE, POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_task_complete(
    h: *mut agentsched_dispatcher,
    task: u32,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        let r = h.d.complete(TaskId(task));
        h.done(r)
    })
}

/// A queued or running task is cancelled.
///
/// Statuses: OK, NULL_POINTER, UNKNOWN_TASK, TASK_STATE, POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_task_cancel(
    h: *mut agentsched_dispatcher,
    task: u32,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        let r = h.d.cancel(TaskId(task));
        h.done(r)
    })
}

/// A running task returns to the queue having run for `used` (MLFQ demotes by it).
///
/// Statuses: OK, NULL_POINTER, UNKNOWN_TASK, TASK_STATE, INVALID_NUMBER, POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_task_yield(
    h: *mut agentsched_dispatcher,
    task: u32,
    used: f64,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        let r = h.d.yield_task(TaskId(task), used);
        h.done(r)
    })
}

/// Changes a live task's priority.
///
/// Statuses: OK, NULL_POINTER, UNKNOWN_TASK, TASK_STATE, POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_task_set_priority(
    h: *mut agentsched_dispatcher,
    task: u32,
    priority: i32,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        let r = h.d.change_priority(TaskId(task), priority);
        h.done(r)
    })
}

/// Where a task is: `*out_state` receives one of `AGENTSCHED_TASK_*`, and `*out_agent` (may be
/// NULL) the agent when running (0 otherwise).
///
/// Statuses: OK, NULL_POINTER, UNKNOWN_TASK, POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_task_state(
    h: *mut agentsched_dispatcher,
    task: u32,
    out_state: *mut u32,
    out_agent: *mut u32,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        non_null!(out_state);
        let Some(st) = h.d.task_state(TaskId(task)) else {
            return h.fail(Error::UnknownTask(TaskId(task)));
        };
        let (s, a) = match st {
            TaskState::Queued => (AGENTSCHED_TASK_QUEUED, 0),
            TaskState::Running { agent, .. } => (AGENTSCHED_TASK_RUNNING, agent.0),
            TaskState::Done => (AGENTSCHED_TASK_DONE, 0),
            TaskState::Cancelled => (AGENTSCHED_TASK_CANCELLED, 0),
        };
        // SAFETY: checked non-null, writable (contract).
        unsafe {
            *out_state = s;
            if !out_agent.is_null() {
                *out_agent = a;
            }
        }
        agentsched_status::Ok
    })
}

/// Moves the dispatcher's clock to `now` (non-decreasing).
///
/// Statuses: OK, NULL_POINTER, INVALID_NUMBER, TIME_WENT_BACKWARDS, POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_dispatcher_advance(
    h: *mut agentsched_dispatcher,
    now: f64,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        let r = h.d.advance_to(now);
        h.done(r)
    })
}

/// Places what can be placed now. `*out_count` (may be NULL) receives the number of
/// assignments; read them with `agentsched_dispatcher_assignments`.
///
/// Statuses: OK, NULL_POINTER, POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_dispatch(
    h: *mut agentsched_dispatcher,
    out_count: *mut usize,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        let placed = h.d.dispatch();
        h.assignments.clear();
        h.assignments.extend(placed.iter().map(|a| agentsched_assignment {
            task: a.task.0,
            agent: a.agent.0,
            score: a.score,
            start: a.start,
            expected_end: a.expected_end,
            backfilled: a.backfilled,
        }));
        if !out_count.is_null() {
            // SAFETY: checked non-null, writable (contract).
            unsafe { *out_count = h.assignments.len() };
        }
        agentsched_status::Ok
    })
}

/// Copies the assignments of the last `agentsched_dispatch` into `buf`.
///
/// Statuses: OK, NULL_POINTER, BUFFER_TOO_SMALL (`*out_len` = count needed), POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_dispatcher_assignments(
    h: *mut agentsched_dispatcher,
    buf: *mut agentsched_assignment,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        non_null!(out_len);
        // SAFETY: `buf` valid for `cap` values; `out_len` checked.
        unsafe { write_items(&h.assignments, buf, cap, out_len) }
    })
}

/// Fills `*out` with the dispatcher's counters.
///
/// Statuses: OK, NULL_POINTER, POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_dispatcher_counts(
    h: *mut agentsched_dispatcher,
    out: *mut agentsched_counts,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        non_null!(out);
        let s = h.d.stats();
        let c = agentsched_counts {
            agents: h.d.pool().len() as u64,
            queued: h.d.queued() as u64,
            running: h.d.running() as u64,
            submitted: s.submitted,
            placed: s.placed,
            backfilled: s.backfilled,
            completed: s.completed,
            cancelled: s.cancelled,
            requeued: s.requeued,
            learned: s.learned,
            learn_rejected: s.learn_rejected,
        };
        // SAFETY: checked non-null, writable (contract).
        unsafe { *out = c };
        agentsched_status::Ok
    })
}

/// Serialises the dispatcher's whole state as JSON into `buf` (not NUL-terminated).
///
/// Statuses: OK, NULL_POINTER, BUFFER_TOO_SMALL (`*out_len` = bytes needed), POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_dispatcher_snapshot(
    h: *mut agentsched_dispatcher,
    buf: *mut u8,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        non_null!(out_len);
        let json = match serde_json::to_vec(&h.d.snapshot()) {
            Ok(j) => j,
            Err(e) => {
                h.set_error(&e.to_string());
                return agentsched_status::InvalidSnapshot;
            }
        };
        // SAFETY: `buf` valid for `cap` bytes; `out_len` checked.
        unsafe { write_bytes(&json, buf, cap, out_len) }
    })
}

/// Replaces the dispatcher's state with a JSON snapshot (`len` bytes at `bytes`, read during
/// the call only). On failure the handle is unchanged and the message says what is wrong.
///
/// Statuses: OK, NULL_POINTER, INVALID_SNAPSHOT (or the specific validation status),
/// POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_dispatcher_restore(
    h: *mut agentsched_dispatcher,
    bytes: *const u8,
    len: usize,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        // SAFETY: valid for `len` bytes when non-null (contract).
        let b = match unsafe { slice(bytes, len) } {
            Ok(b) => b,
            Err(s) => return s,
        };
        let snap = match serde_json::from_slice(b) {
            Ok(s) => s,
            Err(e) => {
                h.set_error(&format!("invalid snapshot: {e}"));
                return agentsched_status::InvalidSnapshot;
            }
        };
        match Dispatcher::restore(snap) {
            Ok(d) => {
                h.d = d;
                h.assignments.clear();
                h.requeued.clear();
                agentsched_status::Ok
            }
            Err(e) => h.fail(e),
        }
    })
}

// ---- learned runtimes ----------------------------------------------------------------------

/// Runtime estimation for a dispatcher (`agentsched_dispatcher_set_estimation`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct agentsched_estimation_config {
    /// Numeric features per classed task (the model's dimension; include a constant 1.0
    /// feature for an intercept).
    pub features: usize,
    /// Forgetting factor in (0, 1]; 1 = none.
    pub forgetting: f64,
    /// Ridge regularisation, finite and >= 0.
    pub ridge: f64,
    /// Samples a class needs before its regression is used (its mean before that).
    pub min_samples: u64,
    /// Smoothing weight of the per-class exponentially weighted mean, in (0, 1].
    pub mean_weight: f64,
    /// Whether the model regresses the logarithm of the runtime.
    pub log_target: bool,
    /// Whether completions teach the model.
    pub learn: bool,
    /// Whether backfill checks a quantile of the prediction (`backfill_quantile`) rather than
    /// its mean.
    pub has_backfill_quantile: bool,
    /// With `has_backfill_quantile`: the quantile, in [0.5, 1).
    pub backfill_quantile: f64,
}

/// The runtime a dispatcher schedules a live task with (`agentsched_task_estimate`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct agentsched_task_runtime {
    /// Point estimate on a speed-1 agent: queue order, expected ends and shadow times.
    pub duration: f64,
    /// What backfill checks against a reservation (>= `duration`); `DBL_MAX` when the backfill
    /// quantile or the prediction could not be computed (huge features, an unrepresentable
    /// quantile): such a task is never backfilled onto a reserved agent.
    pub guard: f64,
    /// One of `AGENTSCHED_PREDICTION_SOURCE_*` (`_DECLARED` included): where it came from.
    pub source: u32,
}

/// In `agentsched_task_runtime` only: the task's declared duration (no class, estimation off,
/// nothing learned yet for its class, or a prediction that failed numerically). The other
/// sources are `AGENTSCHED_PREDICTION_SOURCE_*`.
pub const AGENTSCHED_PREDICTION_SOURCE_DECLARED: u32 = 3;

fn runtime_source(s: Option<crate::estimate::Source>) -> u32 {
    use crate::estimate::Source;
    match s {
        None => AGENTSCHED_PREDICTION_SOURCE_DECLARED,
        Some(Source::Regression) => super::estimate::AGENTSCHED_PREDICTION_SOURCE_REGRESSION,
        Some(Source::ClassMean) => super::estimate::AGENTSCHED_PREDICTION_SOURCE_CLASS_MEAN,
        Some(Source::GlobalMean) => super::estimate::AGENTSCHED_PREDICTION_SOURCE_GLOBAL_MEAN,
    }
}

/// Fills `*out` with the default estimation policy for `features` features per task (no
/// forgetting, a tiny ridge, learning on, point estimates for backfill).
///
/// Statuses: OK, NULL_POINTER, PANIC. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_estimation_config_default(
    features: usize,
    out: *mut agentsched_estimation_config,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(out);
        let e = crate::online::EstimationConfig::new(features);
        let c = agentsched_estimation_config {
            features,
            forgetting: e.estimator.rls.forgetting,
            ridge: e.estimator.rls.ridge,
            min_samples: e.estimator.min_samples,
            mean_weight: e.estimator.mean_weight,
            log_target: e.estimator.log_target,
            learn: e.learn,
            has_backfill_quantile: e.backfill_quantile.is_some(),
            backfill_quantile: e.backfill_quantile.unwrap_or(0.9),
        };
        // SAFETY: checked non-null, writable (contract).
        unsafe { *out = c };
        agentsched_status::Ok
    })
}

/// Enables runtime estimation with a fresh model (`cfg` non-NULL, read during the call only),
/// or disables it (`cfg` NULL). Live tasks keep their estimates until
/// `agentsched_dispatcher_refresh_estimates`.
///
/// Statuses: OK, NULL_POINTER (handle), INVALID_NUMBER, INVALID_CONFIG, POISONED, PANIC.
/// Nothing changes on error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_dispatcher_set_estimation(
    h: *mut agentsched_dispatcher,
    cfg: *const agentsched_estimation_config,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        let e = if cfg.is_null() {
            None
        } else {
            // SAFETY: non-null, readable (contract).
            let c = unsafe { &*cfg };
            let mut e = crate::online::EstimationConfig::new(c.features);
            e.estimator.rls.forgetting = c.forgetting;
            e.estimator.rls.ridge = c.ridge;
            e.estimator.min_samples = c.min_samples;
            e.estimator.mean_weight = c.mean_weight;
            e.estimator.log_target = c.log_target;
            e.learn = c.learn;
            e.backfill_quantile = c.has_backfill_quantile.then_some(c.backfill_quantile);
            Some(e)
        };
        let r = h.d.set_estimation(e);
        h.done(r)
    })
}

/// Changes whether completions teach the runtime model (`learn`) and the backfill quantile
/// (`backfill_quantile` in [0.5, 1) when `has_backfill_quantile`, else the point estimate),
/// keeping the learned model: `agentsched_dispatcher_set_estimation` would start a fresh one.
/// Live tasks keep their guards until `agentsched_dispatcher_refresh_estimates`.
///
/// Statuses: OK, NULL_POINTER, INVALID_CONFIG (estimation is off, or a quantile outside
/// [0.5, 1)), INVALID_NUMBER (a NaN or infinite quantile), POISONED, PANIC. Nothing changes on
/// error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_dispatcher_set_estimation_policy(
    h: *mut agentsched_dispatcher,
    learn: bool,
    has_backfill_quantile: bool,
    backfill_quantile: f64,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        let r = h
            .d
            .set_estimation_policy(learn, has_backfill_quantile.then_some(backfill_quantile));
        h.done(r)
    })
}

/// Submits a task of runtime class `class` with `features_len` features (read during the call
/// only; NULL allowed when `features_len` is 0). With estimation enabled, the task is
/// scheduled by the class's predicted runtime and teaches the model when it completes.
///
/// Statuses: as `agentsched_task_submit`; DIMENSION_MISMATCH or INVALID_NUMBER for features
/// that do not match the model. Nothing changes on error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_task_submit_classed(
    h: *mut agentsched_dispatcher,
    spec: *const agentsched_task_spec,
    class: u32,
    features: *const f64,
    features_len: usize,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        non_null!(spec);
        // SAFETY: non-null (contract); arrays read under the same contract.
        let spec = match unsafe { h.spec_from_c(&*spec, Some((class, features, features_len))) } {
            Ok(s) => s,
            Err(st) => return st,
        };
        let r = h.d.submit(spec);
        h.done(r)
    })
}

/// A running task completed after `runtime` (wall time on its agent, as the host measured it);
/// the model learns that instead of the dispatcher's clock.
///
/// Statuses: OK, NULL_POINTER, UNKNOWN_TASK, TASK_STATE, INVALID_NUMBER, POISONED, PANIC.
/// Nothing changes on error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_task_complete_measured(
    h: *mut agentsched_dispatcher,
    task: u32,
    runtime: f64,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        let r = h.d.complete_with_runtime(TaskId(task), runtime);
        h.done(r)
    })
}

/// Fills `*out` with the runtime a live task is scheduled with.
///
/// Statuses: OK, NULL_POINTER, UNKNOWN_TASK (unknown or finished), POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_task_estimate(
    h: *mut agentsched_dispatcher,
    task: u32,
    out: *mut agentsched_task_runtime,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        non_null!(out);
        let Some(e) = h.d.runtime_estimate(TaskId(task)) else {
            return h.done(Err(crate::Error::UnknownTask(TaskId(task))));
        };
        let c = agentsched_task_runtime {
            duration: e.duration,
            guard: e.guard,
            source: runtime_source(e.source),
        };
        // SAFETY: checked non-null, writable (contract).
        unsafe { *out = c };
        agentsched_status::Ok
    })
}

/// Re-predicts every live classed task from the model as it is now and reorders the queue;
/// `*out_changed` (may be NULL) receives how many estimates changed.
///
/// Statuses: OK, NULL_POINTER, POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_dispatcher_refresh_estimates(
    h: *mut agentsched_dispatcher,
    out_changed: *mut u64,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        let n = h.d.refresh_estimates() as u64;
        if !out_changed.is_null() {
            // SAFETY: non-null, writable (contract).
            unsafe { *out_changed = n };
        }
        agentsched_status::Ok
    })
}
