//! Hybrid-cloud cost-aware placement and consolidation onto heterogeneous hosts with costs
//! through the C ABI.
//!
//! Shapes: `agentsched_hybrid_problem_new` copies and validates a pool and its tasks given as
//! flat arrays (struct-of-arrays descriptors); `agentsched_hybrid_solve` returns an immutable
//! `agentsched_hybrid_result` read by getters with the usual buffer protocol.
//! `agentsched_pack_heterogeneous` goes straight from flat arrays to a result. No logic lives
//! here: only conversion.

use crate::ffi::dispatcher::{
    AGENTSCHED_SENSITIVITY_CONFIDENTIAL, AGENTSCHED_SENSITIVITY_INTERNAL,
    AGENTSCHED_SENSITIVITY_PUBLIC, AGENTSCHED_TIER_PRIVATE, AGENTSCHED_TIER_PUBLIC,
};
use crate::ffi::mapping::{agentsched_placement, agentsched_shortfall};
use crate::ffi::{agentsched_status, ffi_boundary, free_boxed, non_null, slice, write_items};
use crate::placement::hybrid::{
    BoundKind, CostHost, HybridAgent, HybridOptions, HybridPlacement, HybridTask, HybridUnplaced,
    pack_heterogeneous, place_hybrid, validate,
};
use crate::{AgentId, Sensitivity, TaskId, Tier};
use std::time::Duration;

/// Hybrid unplaced reason: no agent of the pool may process the task's data (e.g. a confidential
/// task and only public agents).
pub const AGENTSCHED_HYBRID_UNPLACED_NO_ALLOWED_AGENT: u32 = 0;
/// Hybrid unplaced reason: every allowed agent is too small even when empty;
/// `agentsched_hybrid_result_shortfalls` names, per allowed agent, the first dimension short.
pub const AGENTSCHED_HYBRID_UNPLACED_TOO_LARGE: u32 = 1;
/// Hybrid unplaced reason: the task fits some allowed agent alone but no room was left after the
/// others; `agentsched_hybrid_result_considered` names those agents.
pub const AGENTSCHED_HYBRID_UNPLACED_NO_ROOM_LEFT: u32 = 2;

/// Lower bound kind: the LP relaxation, solved exactly by the dense simplex.
pub const AGENTSCHED_BOUND_LP: u32 = 0;
/// Lower bound kind: the Lagrangian bound of the same LP (the LP was too large or ran out of
/// pivots).
pub const AGENTSCHED_BOUND_LAGRANGIAN: u32 = 1;

/// The agents of a hybrid pool as flat arrays. Every pointer may be NULL only when its length
/// is 0. Read during the call only.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct agentsched_hybrid_agents {
    /// `len` agent ids, unique.
    pub ids: *const u32,
    /// `len` tiers, each one of `AGENTSCHED_TIER_*`.
    pub tiers: *const u32,
    /// `len * dims` capacities, row-major (`capacity[j * dims + k]`).
    pub capacity: *const u64,
    /// Entries at `capacity`: must be `len * dims`.
    pub capacity_len: usize,
    /// `len * dims` costs per unit used (finite, >= 0), row-major.
    pub unit_cost: *const f64,
    /// Entries at `unit_cost`: must be `len * dims`.
    pub unit_cost_len: usize,
    /// `len` fixed costs, paid when the agent serves any task (finite, >= 0).
    pub fixed_cost: *const f64,
    /// Number of agents.
    pub len: usize,
}

/// The tasks of a hybrid problem as flat arrays. Every pointer may be NULL only when its length
/// is 0. Read during the call only.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct agentsched_hybrid_tasks {
    /// `len` task ids, unique.
    pub ids: *const u32,
    /// `len` sensitivities, each one of `AGENTSCHED_SENSITIVITY_*`.
    pub sensitivity: *const u32,
    /// `len * dims` demands, row-major (`demand[i * dims + k]`).
    pub demand: *const u64,
    /// Entries at `demand`: must be `len * dims`.
    pub demand_len: usize,
    /// Number of tasks.
    pub len: usize,
}

/// Options of `agentsched_hybrid_solve` and `agentsched_pack_heterogeneous`; fill with
/// `agentsched_hybrid_options_default` and change what you need.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct agentsched_hybrid_options {
    /// Whether internal-sensitivity tasks may run on public agents (the pool's policy).
    pub allow_internal_on_public: bool,
    /// Most improving local-search steps per greedy variant (0 keeps the greedy result).
    pub max_iterations: u64,
    /// Wall-clock limit of each local search in milliseconds; 0 means none (the result then
    /// does not depend on the machine's speed).
    pub time_limit_ms: u64,
    /// The LP bound is computed only with at most this many structural columns ...
    pub lp_max_columns: usize,
    /// ... and at most this many dense tableau cells (8 bytes each).
    pub lp_max_cells: usize,
    /// Pivot budget of the LP.
    pub lp_max_pivots: u64,
    /// Subgradient steps of the Lagrangian bound used beyond the LP's limits.
    pub lagrangian_iterations: u64,
}

/// The headline figures of a hybrid placement.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct agentsched_hybrid_summary {
    /// Variable plus fixed cost of the placement, recomputed from it.
    pub total_cost: f64,
    /// Sum over placed tasks of `sum_k unit_cost * demand` on their agents.
    pub variable_cost: f64,
    /// Sum of the fixed costs of the agents used.
    pub fixed_cost: f64,
    /// The cost after the greedy phase, before local search.
    pub greedy_cost: f64,
    /// A lower bound on the cost of every valid placement of the placed tasks.
    pub lower_bound: f64,
    /// `(total_cost - lower_bound) / total_cost` (0 when the cost is 0).
    pub gap: f64,
    /// One of `AGENTSCHED_BOUND_*`.
    pub bound: u32,
    /// Improving local-search steps performed.
    pub iterations: u64,
    /// Simplex pivots spent on the LP bound.
    pub lp_pivots: u64,
    /// Entries of `agentsched_hybrid_result_assignment`.
    pub placed: usize,
    /// Entries of `agentsched_hybrid_result_unplaced`.
    pub unplaced: usize,
    /// Entries of `agentsched_hybrid_result_agents_used`.
    pub agents_used: usize,
}

/// A task left out of a hybrid placement, and why.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct agentsched_hybrid_unplaced {
    /// The task.
    pub task: u32,
    /// One of `AGENTSCHED_HYBRID_UNPLACED_*`.
    pub reason: u32,
    /// With TOO_LARGE: the number of shortfalls; with NO_ROOM_LEFT: the number of agents
    /// considered; 0 otherwise.
    pub agents: usize,
}

/// A validated hybrid placement problem (opaque): a pool and its tasks, copied by
/// `agentsched_hybrid_problem_new`. Owned by the host until `agentsched_hybrid_problem_free`.
/// Immutable: it may be used from several threads at once (each `agentsched_hybrid_solve` reads
/// it only), and moved between threads. Results do not borrow it.
pub struct agentsched_hybrid_problem {
    agents: Vec<HybridAgent>,
    tasks: Vec<HybridTask>,
}

/// The result of `agentsched_hybrid_solve` or `agentsched_pack_heterogeneous` (opaque), owned
/// by the host until `agentsched_hybrid_result_free`. Immutable: it may be read from several
/// threads at once, and moved between threads.
pub struct agentsched_hybrid_result {
    r: HybridPlacement,
    assignment: Vec<agentsched_placement>,
    agents_used: Vec<u32>,
    unplaced: Vec<agentsched_hybrid_unplaced>,
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<agentsched_hybrid_problem>();
    assert_send_sync::<agentsched_hybrid_result>();
};

/// `count * dims`, or OVERFLOW.
fn flat_len(count: usize, dims: usize) -> Result<usize, agentsched_status> {
    count.checked_mul(dims).ok_or(agentsched_status::Overflow)
}

/// A flat array of exactly `want` entries.
///
/// # Safety
/// `p` valid for `len` values when non-null.
unsafe fn flat<'a, T>(p: *const T, len: usize, want: usize) -> Result<&'a [T], agentsched_status> {
    if len != want {
        return Err(agentsched_status::DimensionMismatch);
    }
    // SAFETY: forwarded contract.
    unsafe { slice(p, len) }
}

/// Pool and tasks from C; validation of values (costs, duplicates) is left to the library.
///
/// # Safety
/// The descriptors' pointers are valid for their stated lengths.
unsafe fn problem_from_c(
    dims: usize,
    a: &agentsched_hybrid_agents,
    t: &agentsched_hybrid_tasks,
) -> Result<agentsched_hybrid_problem, agentsched_status> {
    let cells = flat_len(a.len, dims)?;
    // SAFETY (all slices): forwarded contract.
    let ids = unsafe { slice(a.ids, a.len) }?;
    let tiers = unsafe { slice(a.tiers, a.len) }?;
    let fixed = unsafe { slice(a.fixed_cost, a.len) }?;
    let cap = unsafe { flat(a.capacity, a.capacity_len, cells) }?;
    let unit = unsafe { flat(a.unit_cost, a.unit_cost_len, cells) }?;
    let mut agents = Vec::with_capacity(a.len);
    for j in 0..a.len {
        let tier = match tiers[j] {
            AGENTSCHED_TIER_PRIVATE => Tier::Private,
            AGENTSCHED_TIER_PUBLIC => Tier::Public,
            _ => return Err(agentsched_status::InvalidArgument),
        };
        agents.push(HybridAgent {
            id: AgentId(ids[j]),
            tier,
            capacity: cap[j * dims..(j + 1) * dims].to_vec(),
            unit_cost: unit[j * dims..(j + 1) * dims].to_vec(),
            fixed_cost: fixed[j],
        });
    }
    let cells = flat_len(t.len, dims)?;
    let tids = unsafe { slice(t.ids, t.len) }?;
    let sens = unsafe { slice(t.sensitivity, t.len) }?;
    let demand = unsafe { flat(t.demand, t.demand_len, cells) }?;
    let mut tasks = Vec::with_capacity(t.len);
    for i in 0..t.len {
        let sensitivity = match sens[i] {
            AGENTSCHED_SENSITIVITY_PUBLIC => Sensitivity::Public,
            AGENTSCHED_SENSITIVITY_INTERNAL => Sensitivity::Internal,
            AGENTSCHED_SENSITIVITY_CONFIDENTIAL => Sensitivity::Confidential,
            _ => return Err(agentsched_status::InvalidArgument),
        };
        tasks.push(HybridTask {
            id: TaskId(tids[i]),
            demand: demand[i * dims..(i + 1) * dims].to_vec(),
            sensitivity,
        });
    }
    Ok(agentsched_hybrid_problem { agents, tasks })
}

/// Options from C (NULL: the defaults).
///
/// # Safety
/// `o` is NULL or points to options.
unsafe fn options_from_c(o: *const agentsched_hybrid_options) -> HybridOptions {
    if o.is_null() {
        return HybridOptions::default();
    }
    // SAFETY: non-null, points to options (contract).
    let o = unsafe { &*o };
    HybridOptions {
        allow_internal_on_public: o.allow_internal_on_public,
        max_iterations: o.max_iterations,
        time_limit: (o.time_limit_ms > 0).then(|| Duration::from_millis(o.time_limit_ms)),
        lp_max_columns: o.lp_max_columns,
        lp_max_cells: o.lp_max_cells,
        lp_max_pivots: o.lp_max_pivots,
        lagrangian_iterations: o.lagrangian_iterations,
    }
}

/// Hands a result to the host.
///
/// # Safety
/// `out` non-null and writable.
unsafe fn give_result(
    r: HybridPlacement,
    out: *mut *mut agentsched_hybrid_result,
) -> agentsched_status {
    let assignment = r
        .assignment
        .iter()
        .map(|(t, a)| agentsched_placement {
            task: t.0,
            agent: a.0,
        })
        .collect();
    let unplaced = r
        .unplaced
        .iter()
        .map(|(t, why)| {
            let (reason, agents) = match why {
                HybridUnplaced::NoAllowedAgent => (AGENTSCHED_HYBRID_UNPLACED_NO_ALLOWED_AGENT, 0),
                HybridUnplaced::TooLarge { shortfalls } => {
                    (AGENTSCHED_HYBRID_UNPLACED_TOO_LARGE, shortfalls.len())
                }
                HybridUnplaced::NoRoomLeft { considered } => {
                    (AGENTSCHED_HYBRID_UNPLACED_NO_ROOM_LEFT, considered.len())
                }
            };
            agentsched_hybrid_unplaced {
                task: t.0,
                reason,
                agents,
            }
        })
        .collect();
    let b = Box::new(agentsched_hybrid_result {
        agents_used: r.agents_used.iter().map(|a| a.0).collect(),
        assignment,
        unplaced,
        r,
    });
    // SAFETY: checked non-null by the caller; writable (contract).
    unsafe { *out = Box::into_raw(b) };
    agentsched_status::Ok
}

/// Fills `*out` with the default options: internal tasks stay private, 100000 improving
/// steps, no time limit, an LP bound of at most 20000 columns and 4000000 tableau cells within
/// 100000 pivots, else 50 subgradient steps of the Lagrangian bound.
///
/// Statuses: OK, NULL_POINTER, PANIC. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_hybrid_options_default(
    out: *mut agentsched_hybrid_options,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(out);
        let d = HybridOptions::default();
        let o = agentsched_hybrid_options {
            allow_internal_on_public: d.allow_internal_on_public,
            max_iterations: d.max_iterations,
            time_limit_ms: 0,
            lp_max_columns: d.lp_max_columns,
            lp_max_cells: d.lp_max_cells,
            lp_max_pivots: d.lp_max_pivots,
            lagrangian_iterations: d.lagrangian_iterations,
        };
        // SAFETY: checked non-null, writable (contract).
        unsafe { *out = o };
        agentsched_status::Ok
    })
}

/// Creates a hybrid placement problem from a pool and tasks in `dims` dimensions (flat arrays,
/// copied during the call). On OK `*out` receives a problem to free with
/// `agentsched_hybrid_problem_free`; on any other status `*out` is untouched. Validation is
/// complete here: `agentsched_hybrid_solve` on the problem cannot fail but by a panic. There is
/// no handle to hold a message, so the status is the whole answer.
///
/// Statuses: OK; NULL_POINTER (`agents`, `tasks` or `out`, or an array NULL with a non-zero
/// length); INVALID_ARGUMENT (a tier or sensitivity value that is not one of the constants, a
/// length too large for memory); DIMENSION_MISMATCH (`capacity_len`, `unit_cost_len` or
/// `demand_len` is not the count times `dims`); OVERFLOW (the count times `dims` overflows, or
/// the costs add up past the largest double); INVALID_NUMBER (a unit or fixed cost NaN, infinite
/// or negative); DUPLICATE_AGENT; DUPLICATE_TASK; PANIC. Zero capacities are allowed (a task
/// with demand there is reported TOO_LARGE). Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_hybrid_problem_new(
    dims: usize,
    agents: *const agentsched_hybrid_agents,
    tasks: *const agentsched_hybrid_tasks,
    out: *mut *mut agentsched_hybrid_problem,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(agents, tasks, out);
        // SAFETY: non-null descriptors whose arrays are valid for their lengths (contract).
        let p = match unsafe { problem_from_c(dims, &*agents, &*tasks) } {
            Ok(p) => p,
            Err(s) => return s,
        };
        if let Err(e) = validate(&p.agents, &p.tasks) {
            return agentsched_status::from(&e);
        }
        // SAFETY: checked non-null; writable (contract).
        unsafe { *out = Box::into_raw(Box::new(p)) };
        agentsched_status::Ok
    })
}

/// Frees a hybrid problem. NULL does nothing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_hybrid_problem_free(p: *mut agentsched_hybrid_problem) {
    // SAFETY: made by Box::into_raw in agentsched_hybrid_problem_new, freed once (contract).
    unsafe { free_boxed(p) }
}

/// Places every task of the problem at minimum total cost within capacities and the sensitivity
/// rule (regret greedy and local search; see the Rust docs of `placement::hybrid`); tasks that
/// cannot be placed are left out and reported by `agentsched_hybrid_result_unplaced`, the others
/// are placed. `options` may be NULL (the defaults). On OK `*out` receives a result to free with
/// `agentsched_hybrid_result_free`. Deterministic unless `time_limit_ms` is set.
///
/// Statuses: OK, NULL_POINTER (`problem` or `out`), PANIC. May be called on one problem from
/// several threads at once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_hybrid_solve(
    problem: *const agentsched_hybrid_problem,
    options: *const agentsched_hybrid_options,
    out: *mut *mut agentsched_hybrid_result,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(problem, out);
        // SAFETY: non-null problem made by this library (contract); options NULL or valid.
        let (p, o) = unsafe { (&*problem, options_from_c(options)) };
        match place_hybrid(&p.agents, &p.tasks, &o) {
            // SAFETY: `out` checked non-null.
            Ok(r) => unsafe { give_result(r, out) },
            Err(e) => agentsched_status::from(&e),
        }
    })
}

/// Consolidation onto heterogeneous hosts with costs: places `items_len` items (demands
/// `demand[i * dims + k]`) on hosts (`host_ids[j]`, capacities `capacity[j * dims + k]`, cost
/// `cost[j]` paid when the host is used) at minimum total cost of the hosts used. Item `i` is
/// reported as task `i`. Every array is read during the call only; `options` may be NULL. On OK
/// `*out` receives a result to free with `agentsched_hybrid_result_free`.
///
/// Statuses: OK; NULL_POINTER (`out`, or an array NULL with a non-zero length);
/// INVALID_ARGUMENT (a length too large for memory); DIMENSION_MISMATCH (`capacity_len !=
/// hosts_len * dims` or `demand_len != items_len * dims`); OVERFLOW (a count times `dims`
/// overflows, more than 2^32 items, or costs past the largest double); INVALID_NUMBER (a cost
/// NaN, infinite or negative); DUPLICATE_AGENT (a repeated host id); PANIC. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_pack_heterogeneous(
    dims: usize,
    host_ids: *const u32,
    capacity: *const u64,
    capacity_len: usize,
    cost: *const f64,
    hosts_len: usize,
    demand: *const u64,
    demand_len: usize,
    items_len: usize,
    options: *const agentsched_hybrid_options,
    out: *mut *mut agentsched_hybrid_result,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(out);
        let (hcells, icells) = match (flat_len(hosts_len, dims), flat_len(items_len, dims)) {
            (Ok(h), Ok(i)) => (h, i),
            _ => return agentsched_status::Overflow,
        };
        // SAFETY (all slices): valid for their lengths when non-null (contract).
        let arrays = unsafe {
            (
                slice(host_ids, hosts_len),
                slice(cost, hosts_len),
                flat(capacity, capacity_len, hcells),
                flat(demand, demand_len, icells),
            )
        };
        let (ids, costs, cap, dem) = match arrays {
            (Ok(a), Ok(b), Ok(c), Ok(d)) => (a, b, c, d),
            (Err(s), ..) | (_, Err(s), ..) | (_, _, Err(s), _) | (.., Err(s)) => return s,
        };
        let hosts: Vec<CostHost> = (0..hosts_len)
            .map(|j| CostHost {
                id: AgentId(ids[j]),
                capacity: cap[j * dims..(j + 1) * dims].to_vec(),
                cost: costs[j],
            })
            .collect();
        let items: Vec<Vec<u64>> = (0..items_len)
            .map(|i| dem[i * dims..(i + 1) * dims].to_vec())
            .collect();
        // SAFETY: options NULL or valid (contract).
        let o = unsafe { options_from_c(options) };
        match pack_heterogeneous(&hosts, &items, &o) {
            // SAFETY: `out` checked non-null.
            Ok(r) => unsafe { give_result(r, out) },
            Err(e) => agentsched_status::from(&e),
        }
    })
}

/// Frees a hybrid result. NULL does nothing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_hybrid_result_free(r: *mut agentsched_hybrid_result) {
    // SAFETY: made by Box::into_raw in this file, freed once (contract).
    unsafe { free_boxed(r) }
}

/// Fills `*out` with the result's headline figures.
///
/// Statuses: OK, NULL_POINTER, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_hybrid_result_get_summary(
    r: *const agentsched_hybrid_result,
    out: *mut agentsched_hybrid_summary,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(r, out);
        // SAFETY: non-null result made by this library (contract).
        let r = unsafe { &*r };
        let s = agentsched_hybrid_summary {
            total_cost: r.r.total_cost,
            variable_cost: r.r.variable_cost,
            fixed_cost: r.r.fixed_cost,
            greedy_cost: r.r.greedy_cost,
            lower_bound: r.r.lower_bound,
            gap: r.r.gap,
            bound: match r.r.bound {
                BoundKind::Lp => AGENTSCHED_BOUND_LP,
                BoundKind::Lagrangian => AGENTSCHED_BOUND_LAGRANGIAN,
            },
            iterations: r.r.iterations,
            lp_pivots: r.r.lp_pivots,
            placed: r.assignment.len(),
            unplaced: r.unplaced.len(),
            agents_used: r.agents_used.len(),
        };
        // SAFETY: checked non-null, writable (contract).
        unsafe { *out = s };
        agentsched_status::Ok
    })
}

/// Copies the placed tasks with their agents, by increasing task id, into `buf`.
///
/// Statuses: OK, NULL_POINTER, BUFFER_TOO_SMALL (`*out_len` = count needed), PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_hybrid_result_assignment(
    r: *const agentsched_hybrid_result,
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

/// Copies the ids of the agents serving at least one task, increasing, into `buf`.
///
/// Statuses: OK, NULL_POINTER, BUFFER_TOO_SMALL (`*out_len` = count needed), PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_hybrid_result_agents_used(
    r: *const agentsched_hybrid_result,
    buf: *mut u32,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(r, out_len);
        // SAFETY: non-null result (contract); `buf` valid for `cap` values.
        unsafe { write_items(&(*r).agents_used, buf, cap, out_len) }
    })
}

/// Copies the tasks left out, with the reason, by increasing task id, into `buf`.
///
/// Statuses: OK, NULL_POINTER, BUFFER_TOO_SMALL (`*out_len` = count needed), PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_hybrid_result_unplaced(
    r: *const agentsched_hybrid_result,
    buf: *mut agentsched_hybrid_unplaced,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(r, out_len);
        // SAFETY: non-null result (contract); `buf` valid for `cap` values.
        unsafe { write_items(&(*r).unplaced, buf, cap, out_len) }
    })
}

/// Copies, for unplaced entry `index` (in the order of `agentsched_hybrid_result_unplaced`), its
/// shortfalls by increasing agent id into `buf`: for a TOO_LARGE task, one per allowed agent
/// (the first dimension where the demand exceeds its capacity); for the other reasons none (OK
/// with `*out_len` = 0).
///
/// Statuses: OK, NULL_POINTER, INVALID_ARGUMENT (index out of range), BUFFER_TOO_SMALL
/// (`*out_len` = count needed), PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_hybrid_result_shortfalls(
    r: *const agentsched_hybrid_result,
    index: usize,
    buf: *mut agentsched_shortfall,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(r, out_len);
        // SAFETY: non-null result (contract).
        let r = unsafe { &*r };
        let items: Vec<agentsched_shortfall> = match r.r.unplaced.get(index) {
            Some((_, HybridUnplaced::TooLarge { shortfalls })) => shortfalls
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

/// Copies, for unplaced entry `index`, the agents considered by increasing id into `buf`: for a
/// NO_ROOM_LEFT task, the agents it is allowed on and fits alone; for the other reasons none (OK
/// with `*out_len` = 0).
///
/// Statuses: OK, NULL_POINTER, INVALID_ARGUMENT (index out of range), BUFFER_TOO_SMALL
/// (`*out_len` = count needed), PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_hybrid_result_considered(
    r: *const agentsched_hybrid_result,
    index: usize,
    buf: *mut u32,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(r, out_len);
        // SAFETY: non-null result (contract).
        let r = unsafe { &*r };
        let items: Vec<u32> = match r.r.unplaced.get(index) {
            Some((_, HybridUnplaced::NoRoomLeft { considered })) => {
                considered.iter().map(|a| a.0).collect()
            }
            Some(_) => Vec::new(),
            None => return agentsched_status::InvalidArgument,
        };
        // SAFETY: `buf` valid for `cap` values; `out_len` checked.
        unsafe { write_items(&items, buf, cap, out_len) }
    })
}
