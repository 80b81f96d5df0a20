//! Renting nodes (covering) through the C ABI: which offered nodes to rent so that their total
//! capacity meets a demand vector at minimum cost, exactly (branch and bound) or by the
//! heuristic for large instances.
//!
//! Shapes: the problem is a `#[repr(C)]` struct of flat arrays read during the call only; the
//! result is written into caller memory (the chosen offer indices with the usual buffer protocol,
//! and a summary struct). No handle, no logic here: only conversion.

use crate::ffi::{agentsched_status, ffi_boundary, non_null, slice, write_items};
use crate::placement::cover::{Cover, CoverInstance, CoverOptions, branch_and_bound, heuristic};
use std::time::Duration;

/// A covering problem as flat arrays (read during the call only; the library keeps no pointer).
///
/// The number of offers `n` is `costs_len`. Offer `i` has capacity
/// `capacities[i * dims + k]` in dimension `k` (`capacities_len == n * dims`), cost `costs[i]`
/// (finite, `>= 0`), id `ids[i]` (unique; `ids` may be NULL with `ids_len == 0`: the ids are
/// then `0..n`) and `counts[i]` identical copies (`counts` may be NULL with `counts_len == 0`:
/// one copy each). `demand` has `dims` entries.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct agentsched_cover_problem {
    /// Number of dimensions.
    pub dims: usize,
    /// Offer ids, or NULL.
    pub ids: *const u32,
    /// Entries of `ids` (`n`, or 0 with NULL).
    pub ids_len: usize,
    /// Row-major capacities.
    pub capacities: *const u64,
    /// Entries of `capacities` (`n * dims`).
    pub capacities_len: usize,
    /// Cost of one copy of each offer.
    pub costs: *const f64,
    /// Entries of `costs`: the number of offers `n`.
    pub costs_len: usize,
    /// Copies per offer, or NULL.
    pub counts: *const u32,
    /// Entries of `counts` (`n`, or 0 with NULL).
    pub counts_len: usize,
    /// The demand vector.
    pub demand: *const u64,
    /// Entries of `demand` (`dims`).
    pub demand_len: usize,
}

/// What a covering solver found, besides the chosen offers.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct agentsched_cover_summary {
    /// Total cost of the chosen copies.
    pub cost: f64,
    /// A lower bound on the optimal cost (`<= cost`; equal when proven optimal).
    pub lower_bound: f64,
    /// `(cost - lower_bound) / cost`, 0 when the cost is 0.
    pub gap: f64,
    /// Branch-and-bound nodes explored (0 for the heuristic).
    pub nodes: u64,
    /// Entries written to `chosen`.
    pub chosen_len: usize,
    /// Whether `cost` is proven optimal (within a relative 1e-9).
    pub proven_optimal: bool,
}

/// The instance from the C struct.
///
/// # Safety
/// Each array valid for its length when non-null.
unsafe fn instance(p: &agentsched_cover_problem) -> Result<CoverInstance, agentsched_status> {
    // SAFETY (all five): forwarded contract; NULL only with length 0.
    let ids = unsafe { slice(p.ids, p.ids_len) }?;
    let caps = unsafe { slice(p.capacities, p.capacities_len) }?;
    let costs = unsafe { slice(p.costs, p.costs_len) }?;
    let counts = unsafe { slice(p.counts, p.counts_len) }?;
    let demand = unsafe { slice(p.demand, p.demand_len) }?;
    let ids = (!p.ids.is_null()).then_some(ids);
    let counts = (!p.counts.is_null()).then_some(counts);
    CoverInstance::from_flat(p.dims, ids, caps, costs, counts, demand)
        .map_err(|e| agentsched_status::from(&e))
}

/// Writes a cover: the indices (buffer protocol), then the summary.
///
/// # Safety
/// `chosen` valid for `cap` entries when non-null; `chosen_len` and `summary` valid.
unsafe fn give(
    c: &Cover,
    chosen: *mut usize,
    cap: usize,
    chosen_len: *mut usize,
    summary: *mut agentsched_cover_summary,
) -> agentsched_status {
    // SAFETY: forwarded contract.
    let s = unsafe { write_items(&c.chosen, chosen, cap, chosen_len) };
    if s != agentsched_status::Ok {
        return s;
    }
    // SAFETY: checked non-null by the caller; writable (contract).
    unsafe {
        *summary = agentsched_cover_summary {
            cost: c.cost,
            lower_bound: c.lower_bound,
            gap: c.gap(),
            nodes: c.nodes,
            chosen_len: c.chosen.len(),
            proven_optimal: c.proven_optimal,
        }
    };
    agentsched_status::Ok
}

fn time_limit(ms: u64) -> Option<Duration> {
    (ms > 0).then(|| Duration::from_millis(ms))
}

/// Chooses which offered nodes to rent so that their total capacity covers `problem->demand` in
/// every dimension at minimum total cost, by branch and bound (exact for tens of offers).
///
/// `node_budget` bounds the nodes explored and `time_limit_ms` the wall-clock time (0: no limit
/// for either); when a limit stops the search the best cover found is returned with
/// `proven_optimal` false and a valid `lower_bound`. Without a time limit the result depends on
/// the input alone (ties by the lowest id).
///
/// Output: `chosen` receives the indices (into the offer arrays) of the rented copies in
/// increasing order, an index repeated once per copy, with the buffer protocol: `*chosen_len`
/// is set to the number of entries; when `chosen_cap` is smaller, BUFFER_TOO_SMALL is returned
/// and nothing else is written (`chosen` may be NULL with `chosen_cap == 0` to ask for the
/// size; the search then runs again on the second call, and with a time limit it may find a
/// different cover: a buffer of the total number of copies offered, `n` without `counts`,
/// always suffices). On OK `*summary` receives the cost, bound, gap, nodes and proven flag. On
/// any other status nothing is written.
///
/// Statuses: OK; NULL_POINTER (`problem`, `chosen_len`, `summary`, or an array NULL with a
/// non-zero length); INVALID_ARGUMENT (a cost NaN, infinite or negative, a duplicate id, a total
/// cost that is not finite, a length too large for memory); DIMENSION_MISMATCH (`demand_len !=
/// dims`, `capacities_len != n * dims`, `ids_len` or `counts_len` not `n` with a non-NULL
/// array); OVERFLOW (the capacities of all copies sum past 2^64 - 1 in a dimension);
/// UNCOVERABLE (even all offers together cannot cover the demand); BUFFER_TOO_SMALL; PANIC.
/// Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_cover_exact(
    problem: *const agentsched_cover_problem,
    node_budget: u64,
    time_limit_ms: u64,
    chosen: *mut usize,
    chosen_cap: usize,
    chosen_len: *mut usize,
    summary: *mut agentsched_cover_summary,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(problem, chosen_len, summary);
        // SAFETY: non-null; points to a problem whose arrays are valid (contract).
        let inst = match unsafe { instance(&*problem) } {
            Ok(i) => i,
            Err(s) => return s,
        };
        let opts = CoverOptions {
            node_budget: (node_budget > 0).then_some(node_budget),
            time_limit: time_limit(time_limit_ms),
        };
        match branch_and_bound(&inst, &opts) {
            // SAFETY: buffers valid per contract; pointers checked.
            Ok(c) => unsafe { give(&c, chosen, chosen_cap, chosen_len, summary) },
            Err(e) => agentsched_status::from(&e),
        }
    })
}

/// Chooses which offered nodes to rent so that their total capacity covers `problem->demand`,
/// by the heuristic for large instances (thousands of offers): greedy by cost per unit of
/// uncovered demand, dropping redundant nodes, swap local search; the summary carries a lower
/// bound (surrogate fractional relaxations) and the gap, and `proven_optimal` when the cost
/// meets the bound. `time_limit_ms` bounds the local search (0: no limit; without one the
/// result depends on the input alone).
///
/// Output, statuses and thread-safety as `agentsched_cover_exact` (`nodes` is 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_cover_heuristic(
    problem: *const agentsched_cover_problem,
    time_limit_ms: u64,
    chosen: *mut usize,
    chosen_cap: usize,
    chosen_len: *mut usize,
    summary: *mut agentsched_cover_summary,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(problem, chosen_len, summary);
        // SAFETY: non-null; points to a problem whose arrays are valid (contract).
        let inst = match unsafe { instance(&*problem) } {
            Ok(i) => i,
            Err(s) => return s,
        };
        let opts = CoverOptions {
            node_budget: None,
            time_limit: time_limit(time_limit_ms),
        };
        match heuristic(&inst, &opts) {
            // SAFETY: buffers valid per contract; pointers checked.
            Ok(c) => unsafe { give(&c, chosen, chosen_cap, chosen_len, summary) },
            Err(e) => agentsched_status::from(&e),
        }
    })
}
