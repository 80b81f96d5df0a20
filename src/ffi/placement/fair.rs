//! Fair sharing through the C ABI: a pool's capacity and its tenants as flat arrays in an
//! `agentsched_fair_problem`, results written into caller buffers. No handles: every function is
//! a pure computation. No logic lives here: only conversion.

use crate::ffi::{agentsched_status, ffi_boundary, non_null, slice};
use crate::placement::fair::{Stop, Tenant, drf, drf_discrete, max_min_fair, max_tasks};

/// DRF stop: the tenant reached its `max_tasks`.
pub const AGENTSCHED_DRF_STOP_CAP: u32 = 0;
/// DRF stop: a resource it demands is saturated (`stop_resource` names the lowest such one).
pub const AGENTSCHED_DRF_STOP_RESOURCE: u32 = 1;

/// A fair-sharing problem: a pool's capacity and its tenants, as flat arrays read during the
/// call only.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct agentsched_fair_problem {
    /// Capacity per dimension (at least one dimension; zeros allowed: a tenant demanding a
    /// zero-capacity dimension gets no task).
    pub capacity: *const u64,
    /// Number of dimensions: values at `capacity`.
    pub dims: usize,
    /// Number of tenants.
    pub tenants: usize,
    /// One task's demand per tenant, row-major: `demands[t * dims + r]`; `tenants * dims`
    /// values.
    pub demands: *const u64,
    /// Number of values at `demands`.
    pub demands_len: usize,
    /// One weight per tenant (finite, `> 0`); NULL (with `weights_len` 0) for all 1.
    pub weights: *const f64,
    /// Number of values at `weights`: 0 or `tenants`.
    pub weights_len: usize,
    /// One task limit per tenant (`UINT64_MAX`: no limit); NULL (with `max_tasks_len` 0) for
    /// no limits.
    pub max_tasks: *const u64,
    /// Number of values at `max_tasks`: 0 or `tenants`.
    pub max_tasks_len: usize,
}

/// One tenant's share in a continuous DRF allocation.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct agentsched_drf_share {
    /// Tasks (fractional).
    pub tasks: f64,
    /// Dominant share: `tasks * max_r demand[r] / capacity[r]`.
    pub dominant_share: f64,
    /// Why it stopped: one of `AGENTSCHED_DRF_STOP_*`.
    pub stop: u32,
    /// With `AGENTSCHED_DRF_STOP_RESOURCE`: the saturated dimension; 0 otherwise.
    pub stop_resource: u32,
}

/// The capacity and tenants of a problem, checked for shape.
///
/// # Safety
/// `p` non-null, its arrays valid for their lengths when non-null.
unsafe fn problem_from_c(
    p: *const agentsched_fair_problem,
) -> Result<(Vec<u64>, Vec<Tenant>), agentsched_status> {
    // SAFETY: non-null, points to a problem (contract).
    let p = unsafe { &*p };
    // SAFETY (the four slices): valid for their lengths when non-null (contract).
    let capacity = unsafe { slice(p.capacity, p.dims) }?;
    let demands = unsafe { slice(p.demands, p.demands_len) }?;
    let weights = unsafe { slice(p.weights, p.weights_len) }?;
    let limits = unsafe { slice(p.max_tasks, p.max_tasks_len) }?;
    if p.tenants.checked_mul(p.dims) != Some(demands.len()) {
        return Err(agentsched_status::DimensionMismatch);
    }
    if !(weights.is_empty() || weights.len() == p.tenants)
        || !(limits.is_empty() || limits.len() == p.tenants)
    {
        return Err(agentsched_status::DimensionMismatch);
    }
    let tenants = (0..p.tenants)
        .map(|t| Tenant {
            demand: demands
                .get(t * p.dims..(t + 1) * p.dims)
                .unwrap_or(&[])
                .to_vec(),
            weight: weights.get(t).copied().unwrap_or(1.0),
            max_tasks: limits.get(t).copied().filter(|&m| m != u64::MAX),
        })
        .collect();
    Ok((capacity.to_vec(), tenants))
}

/// Checks an output buffer of `n` values: sets `*out_len` to `n`; BUFFER_TOO_SMALL when it
/// cannot hold them.
///
/// # Safety
/// `out_len` non-null and writable.
unsafe fn room<T>(buf: *mut T, cap: usize, n: usize, out_len: *mut usize) -> agentsched_status {
    // SAFETY: checked non-null by the caller.
    unsafe { *out_len = n };
    if n > cap || (buf.is_null() && n > 0) {
        agentsched_status::BufferTooSmall
    } else {
        agentsched_status::Ok
    }
}

/// Copies `src` to `dst` (valid for `src.len()` values) when `dst` is non-null.
///
/// # Safety
/// `dst` NULL or valid for `src.len()` values.
unsafe fn copy_opt<T: Copy>(src: &[T], dst: *mut T) {
    if !dst.is_null() && !src.is_empty() {
        // SAFETY: valid for `src.len()` values (contract).
        unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), dst, src.len()) };
    }
}

/// Weighted Dominant Resource Fairness, continuous (fractional tasks), by exact progressive
/// filling (Ghodsi et al., NSDI 2011): every tenant's weighted dominant share grows at the same
/// rate until it reaches its task limit or a resource it demands saturates.
///
/// Writes one `agentsched_drf_share` per tenant into `out` (capacity `cap`; `*out_len` receives
/// the tenant count, also on BUFFER_TOO_SMALL) and, when `used` is not NULL, the total use of
/// each dimension into `used` (`dims` values). Nothing is written unless the call returns OK
/// (except `*out_len`). Deterministic; ties by the lowest tenant index.
///
/// Statuses: OK, NULL_POINTER (`problem`, `out_len`, or an array NULL with a non-zero length),
/// DIMENSION_MISMATCH (`demands_len != tenants * dims`, or `weights_len`/`max_tasks_len` neither
/// 0 nor `tenants`), INVALID_CONFIG (zero dimensions), INVALID_ARGUMENT (a weight NaN, infinite,
/// `<= 0` or more than 1e15 times smaller than the largest; an all-zero demand without a task
/// limit; a length too large for memory), BUFFER_TOO_SMALL, PANIC. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_drf(
    problem: *const agentsched_fair_problem,
    out: *mut agentsched_drf_share,
    cap: usize,
    out_len: *mut usize,
    used: *mut f64,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(problem, out_len);
        // SAFETY: checked non-null; forwarded contract.
        let (capacity, tenants) = match unsafe { problem_from_c(problem) } {
            Ok(x) => x,
            Err(s) => return s,
        };
        let a = match drf(&capacity, &tenants) {
            Ok(a) => a,
            Err(e) => return agentsched_status::from(&e),
        };
        let shares: Vec<agentsched_drf_share> = (0..tenants.len())
            .map(|i| {
                let (stop, res) = match a.stops[i] {
                    Stop::Cap => (AGENTSCHED_DRF_STOP_CAP, 0),
                    Stop::Resource(r) => (
                        AGENTSCHED_DRF_STOP_RESOURCE,
                        u32::try_from(r).unwrap_or(u32::MAX),
                    ),
                };
                agentsched_drf_share {
                    tasks: a.tasks[i],
                    dominant_share: a.dominant_shares[i],
                    stop,
                    stop_resource: res,
                }
            })
            .collect();
        // SAFETY: `out_len` checked; `out` valid for `cap` values (contract).
        let s = unsafe { room(out, cap, shares.len(), out_len) };
        if s != agentsched_status::Ok {
            return s;
        }
        // SAFETY: `out` holds `cap >= shares.len()` values; `used` NULL or `dims` values.
        unsafe {
            copy_opt(&shares, out);
            copy_opt(&a.used, used);
        }
        agentsched_status::Ok
    })
}

/// Weighted DRF one whole task at a time (the paper's Algorithm 1): repeatedly one task to the
/// tenant with the lowest weighted dominant share whose task still fits (ties by the lowest
/// index).
///
/// Writes the whole tasks per tenant into `tasks` (capacity `cap`; `*out_len` receives the
/// tenant count, also on BUFFER_TOO_SMALL) and, when `used` is not NULL, the total use of each
/// dimension (`dims` values, never above capacity) into `used`. Nothing is written unless the
/// call returns OK (except `*out_len`).
///
/// Statuses: as `agentsched_drf`. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_drf_discrete(
    problem: *const agentsched_fair_problem,
    tasks: *mut u64,
    cap: usize,
    out_len: *mut usize,
    used: *mut u64,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(problem, out_len);
        // SAFETY: checked non-null; forwarded contract.
        let (capacity, tenants) = match unsafe { problem_from_c(problem) } {
            Ok(x) => x,
            Err(s) => return s,
        };
        let a = match drf_discrete(&capacity, &tenants) {
            Ok(a) => a,
            Err(e) => return agentsched_status::from(&e),
        };
        // SAFETY: `out_len` checked; `tasks` valid for `cap` values (contract).
        let s = unsafe { room(tasks, cap, a.tasks.len(), out_len) };
        if s != agentsched_status::Ok {
            return s;
        }
        // SAFETY: `tasks` holds `cap >= n` values; `used` NULL or `dims` values.
        unsafe {
            copy_opt(&a.tasks, tasks);
            copy_opt(&a.used, used);
        }
        agentsched_status::Ok
    })
}

/// The allocation maximising `sum_i weight[i] * tasks[i]` within capacity (fractional; an exact
/// linear program, solved by the bounded simplex method): efficient, not fair.
///
/// Writes the tasks per tenant into `tasks` (capacity `cap`; `*out_len` receives the tenant
/// count, also on BUFFER_TOO_SMALL); when not NULL, the dual price of each dimension into
/// `prices` (`dims` values; an optimality certificate) and the maximum into `*objective`.
/// Nothing is written unless the call returns OK (except `*out_len`).
///
/// Statuses: as `agentsched_drf`; also INVALID_CONFIG if the objective overflows or the simplex
/// method exceeds its pivot budget. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_max_tasks(
    problem: *const agentsched_fair_problem,
    tasks: *mut f64,
    cap: usize,
    out_len: *mut usize,
    prices: *mut f64,
    objective: *mut f64,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(problem, out_len);
        // SAFETY: checked non-null; forwarded contract.
        let (capacity, tenants) = match unsafe { problem_from_c(problem) } {
            Ok(x) => x,
            Err(s) => return s,
        };
        let m = match max_tasks(&capacity, &tenants) {
            Ok(m) => m,
            Err(e) => return agentsched_status::from(&e),
        };
        // SAFETY: `out_len` checked; `tasks` valid for `cap` values (contract).
        let s = unsafe { room(tasks, cap, m.tasks.len(), out_len) };
        if s != agentsched_status::Ok {
            return s;
        }
        // SAFETY: `tasks` holds `cap >= n` values; `prices` NULL or `dims` values; `objective`
        // NULL or writable.
        unsafe {
            copy_opt(&m.tasks, tasks);
            copy_opt(&m.prices, prices);
            if !objective.is_null() {
                *objective = m.objective;
            }
        }
        agentsched_status::Ok
    })
}

/// Weighted max-min fairness on one resource (water-filling): tenant `i` gets
/// `min(demands[i], weights[i] * level)`, the level using up the capacity unless every demand is
/// met.
///
/// `demands`: `n` values, each `>= 0` (`INFINITY` for unbounded), not NaN. `weights`: `n` values
/// (finite, `> 0`), or NULL with `weights_len` 0 for all 1. Writes the amounts into `out`
/// (capacity `cap`; `*out_len` receives `n`, also on BUFFER_TOO_SMALL) and, when `level` is not
/// NULL, the water level into `*level` (`INFINITY` when every demand is met). Nothing is written
/// unless the call returns OK (except `*out_len`).
///
/// Statuses: OK, NULL_POINTER (`out_len`, or an array NULL with a non-zero length),
/// INVALID_NUMBER (`capacity` NaN, infinite or negative), DIMENSION_MISMATCH (`weights_len`
/// neither 0 nor `n`), INVALID_ARGUMENT (a demand NaN or negative; a weight NaN, infinite,
/// `<= 0` or more than 1e15 times smaller than the largest; a length too large for memory),
/// BUFFER_TOO_SMALL, PANIC. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_max_min_fair(
    capacity: f64,
    demands: *const f64,
    n: usize,
    weights: *const f64,
    weights_len: usize,
    out: *mut f64,
    cap: usize,
    out_len: *mut usize,
    level: *mut f64,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(out_len);
        // SAFETY: valid for their lengths when non-null (contract).
        let (demands, weights) = match unsafe { (slice(demands, n), slice(weights, weights_len)) } {
            (Ok(d), Ok(w)) => (d, w),
            (Err(s), _) | (_, Err(s)) => return s,
        };
        let ones;
        let weights = if weights.is_empty() {
            ones = vec![1.0; demands.len()];
            &ones[..]
        } else {
            weights
        };
        let w = match max_min_fair(capacity, demands, weights) {
            Ok(w) => w,
            Err(e) => return agentsched_status::from(&e),
        };
        // SAFETY: `out_len` checked; `out` valid for `cap` values (contract).
        let s = unsafe { room(out, cap, w.allocation.len(), out_len) };
        if s != agentsched_status::Ok {
            return s;
        }
        // SAFETY: `out` holds `cap >= n` values; `level` NULL or writable.
        unsafe {
            copy_opt(&w.allocation, out);
            if !level.is_null() {
                *level = w.level;
            }
        }
        agentsched_status::Ok
    })
}
