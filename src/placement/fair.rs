//! Fair sharing of a pool's capacity among tenants.
//!
//! A tenant runs identical tasks, each needing a demand vector (`u64` quantities, one per
//! dimension of the pool's capacity), has a weight (its entitlement relative to the others) and
//! optionally a maximum number of tasks (what it actually wants). Four allocations:
//!
//! - [`drf`]: weighted Dominant Resource Fairness by progressive filling, continuous (fractional
//!   task counts), exact: it jumps from event to event (a tenant reaching its task limit, a
//!   resource saturating) instead of stepping.
//! - [`drf_discrete`]: the paper's per-task version (Algorithm 1): repeatedly give one whole task
//!   to the tenant with the lowest weighted dominant share whose task still fits.
//! - [`max_min_fair`]: weighted max-min fairness on one resource (water-filling).
//! - [`max_tasks`]: the efficient but unfair allocation maximising the weighted number of tasks
//!   within capacity, solved exactly as a linear program, with its dual prices as a certificate.
//!
//! Conventions shared by all of them:
//! - A tenant's *dominant share* per task is `s_i = max_r demand[r] / capacity[r]`; its weighted
//!   dominant share with `x` tasks is `x * s_i / weight_i`. DRF equalises the weighted dominant
//!   shares of the tenants that are not stopped.
//! - A tenant demanding a dimension whose capacity is zero gets 0 tasks (it is stopped by that
//!   resource, [`Stop::Resource`]); dimensions a tenant does not demand never constrain it.
//! - A tenant whose demand is zero in every dimension consumes nothing: it receives its
//!   `max_tasks`; without a limit it is refused ([`Error::InvalidTenant`]), as its fair share
//!   would be infinite.
//! - Quantities are converted to `f64` (exact below 2^53). The continuous results are exact up to
//!   floating-point rounding (relative error about `1e-12` on capacities), never approximations.
//! - Weights matter only relative to each other: they are divided by the largest one inside, and
//!   the largest may be at most [`MAX_WEIGHT_RATIO`] times the smallest, which keeps every
//!   intermediate quantity finite whatever the capacities and demands.
//! - Ties break by the lowest tenant index. Inputs are validated before anything is computed; no
//!   input makes these functions panic.
//!
//! Reference: A. Ghodsi, M. Zaharia, B. Hindman, A. Konwinski, S. Shenker, I. Stoica, *Dominant
//! Resource Fairness: Fair Allocation of Multiple Resource Types*, NSDI 2011.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

/// A tenant: the demand vector of one of its tasks, its weight and an optional task limit.
///
/// # Example
/// ```
/// use agentsched::placement::fair::Tenant;
///
/// let t = Tenant::new(vec![1, 4]).weight(2.0).max_tasks(10);
/// assert_eq!((t.weight, t.max_tasks), (2.0, Some(10)));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tenant {
    /// What one task needs, one quantity per dimension of the capacity.
    pub demand: Vec<u64>,
    /// The tenant's weight: finite and `> 0` (1 by default).
    pub weight: f64,
    /// At most this many tasks (`None`: unbounded).
    pub max_tasks: Option<u64>,
}

impl Tenant {
    /// A tenant of weight 1 without a task limit.
    pub fn new(demand: Vec<u64>) -> Self {
        Tenant {
            demand,
            weight: 1.0,
            max_tasks: None,
        }
    }

    /// Sets the weight.
    pub fn weight(mut self, weight: f64) -> Self {
        self.weight = weight;
        self
    }

    /// Sets the task limit.
    pub fn max_tasks(mut self, max_tasks: u64) -> Self {
        self.max_tasks = Some(max_tasks);
        self
    }
}

/// Why a tenant's allocation stopped growing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stop {
    /// It reached its `max_tasks`.
    Cap,
    /// This resource (a dimension it demands) is saturated: the lowest such dimension.
    Resource(usize),
}

/// A continuous DRF allocation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrfAllocation {
    /// Tasks per tenant (fractional).
    pub tasks: Vec<f64>,
    /// Dominant share per tenant: `tasks[i] * max_r demand[r] / capacity[r]` (0 for zero demand).
    pub dominant_shares: Vec<f64>,
    /// Why each tenant stopped.
    pub stops: Vec<Stop>,
    /// Total use of each dimension.
    pub used: Vec<f64>,
}

/// A per-task DRF allocation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiscreteAllocation {
    /// Whole tasks per tenant.
    pub tasks: Vec<u64>,
    /// Dominant share per tenant.
    pub dominant_shares: Vec<f64>,
    /// Total use of each dimension.
    pub used: Vec<u64>,
}

/// A weighted max-min fair division of one resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaterFill {
    /// Amount per tenant: `min(demand[i], weight[i] * level)`.
    pub allocation: Vec<f64>,
    /// The water level: allocation per unit of weight of every tenant below its demand
    /// (`f64::INFINITY` when every demand is met, or there are no tenants; it can also overflow
    /// to infinity when capacity / weight exceeds `f64::MAX`, the allocations staying finite).
    pub level: f64,
}

/// The allocation maximising the weighted number of tasks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MaxTasks {
    /// Tasks per tenant (fractional; at most one per dimension strictly between 0 and its bound,
    /// as at any vertex of the polytope).
    pub tasks: Vec<f64>,
    /// `sum_i weight[i] * tasks[i]`, the maximum.
    pub objective: f64,
    /// Dual price of each dimension (value of one more unit of capacity; `>= 0`, 0 where the
    /// dimension is not saturated). `sum_r capacity[r] * prices[r] + sum_i max_tasks[i] *
    /// max(0, weight[i] - demand[i] . prices)` equals `objective`, which proves optimality.
    pub prices: Vec<f64>,
    /// Used capacity of each dimension.
    pub used: Vec<f64>,
}

/// The largest allowed ratio between two tenants' weights (`1e15`).
pub const MAX_WEIGHT_RATIO: f64 = 1e15;

/// Checks weights (finite, `> 0`, within [`MAX_WEIGHT_RATIO`] of each other) and divides them by
/// the largest, so that they lie in `[1e-15, 1]`.
fn normalise_weights(weights: impl Iterator<Item = f64> + Clone) -> Result<Vec<f64>> {
    for (i, w) in weights.clone().enumerate() {
        if !w.is_finite() || w <= 0.0 {
            return Err(Error::InvalidTenant {
                tenant: i,
                field: "weight",
                reason: format!("must be finite and > 0, got {w}"),
            });
        }
    }
    let max = weights.clone().fold(0.0, f64::max);
    for (i, w) in weights.clone().enumerate() {
        if w * MAX_WEIGHT_RATIO < max {
            return Err(Error::InvalidTenant {
                tenant: i,
                field: "weight",
                reason: format!(
                    "{w} is more than MAX_WEIGHT_RATIO (1e15) times smaller than the largest, {max}"
                ),
            });
        }
    }
    Ok(weights.map(|w| w / max).collect())
}

/// Per-tenant quantities shared by the algorithms.
struct Prepared {
    /// Weights divided by the largest.
    weight: Vec<f64>,
    /// Capacity as `f64`.
    cap: Vec<f64>,
    /// Dominant share of one task (`INFINITY` if it demands a zero-capacity dimension).
    share: Vec<f64>,
    /// The zero-capacity dimension blocking a tenant, if any.
    blocked: Vec<Option<usize>>,
}

fn validate(capacity: &[u64], tenants: &[Tenant]) -> Result<Prepared> {
    if capacity.is_empty() {
        return Err(Error::InvalidConfig {
            field: "capacity",
            reason: "needs at least one dimension",
        });
    }
    let d = capacity.len();
    let cap: Vec<f64> = capacity.iter().map(|&c| c as f64).collect();
    let mut share = Vec::with_capacity(tenants.len());
    let mut blocked = Vec::with_capacity(tenants.len());
    for (i, t) in tenants.iter().enumerate() {
        if t.demand.len() != d {
            return Err(Error::InvalidTenant {
                tenant: i,
                field: "demand",
                reason: format!("expected {d} dimensions, got {}", t.demand.len()),
            });
        }
        if t.demand.iter().all(|&q| q == 0) && t.max_tasks.is_none() {
            return Err(Error::InvalidTenant {
                tenant: i,
                field: "max_tasks",
                reason: "the demand is zero in every dimension, so the tenant needs a task limit"
                    .into(),
            });
        }
        let mut s = 0.0f64;
        let mut b = None;
        for (r, (&q, &c)) in t.demand.iter().zip(&cap).enumerate() {
            if q == 0 {
                continue;
            }
            if c == 0.0 {
                b.get_or_insert(r);
                s = f64::INFINITY;
            } else {
                s = s.max(q as f64 / c);
            }
        }
        share.push(s);
        blocked.push(b);
    }
    let weight = normalise_weights(tenants.iter().map(|t| t.weight))?;
    Ok(Prepared {
        weight,
        cap,
        share,
        blocked,
    })
}

fn usage(tenants: &[Tenant], tasks: &[f64], d: usize) -> Vec<f64> {
    let mut used = vec![0.0; d];
    for (t, &x) in tenants.iter().zip(tasks) {
        for (u, &q) in used.iter_mut().zip(&t.demand) {
            *u += q as f64 * x;
        }
    }
    used
}

/// Weighted Dominant Resource Fairness, continuous, by exact progressive filling.
///
/// All tenants' weighted dominant shares `tasks[i] * s_i / weight_i` grow at the same rate from
/// 0; a tenant stops when it reaches `max_tasks` ([`Stop::Cap`]) or when a dimension it demands is
/// saturated ([`Stop::Resource`]); the others go on until every tenant is stopped. The filling
/// jumps from event to event: the level at which tenant `i` hits its limit is fixed in advance
/// (`max_tasks * s_i / weight_i`), and the level at which resource `r` saturates follows from the
/// capacity left and the rate at which the running tenants consume it.
///
/// The result is sharing-incentive (an unlimited tenant gets at least the tasks it would run on
/// `weight_i / sum weight` of every resource), envy-free (weighted), Pareto-efficient (each tenant
/// is capped or uses a saturated resource) and strategy-proof (Ghodsi et al., Section 4).
///
/// # Arguments
/// - `capacity`: the pool's capacity, one quantity per dimension (at least one dimension).
/// - `tenants`: demand vectors of `capacity.len()` quantities, weights, task limits.
///
/// # Returns
/// A [`DrfAllocation`]: fractional task counts, dominant shares, why each tenant stopped, and
/// the total use of each dimension (within capacity up to rounding).
///
/// # Complexity
/// `O(n log n + (n + d) d)` time for `n` tenants and `d` dimensions, `O(n + d)` extra space.
///
/// # Errors
/// [`Error::InvalidConfig`] if `capacity` is empty; [`Error::InvalidTenant`] for a demand of the
/// wrong length, a weight that is not finite and positive (or more than [`MAX_WEIGHT_RATIO`]
/// times smaller than the largest), or an all-zero demand without a task
/// limit. Nothing is computed before every input is checked.
///
/// # Example: the paper's example (9 CPUs, 18 GB)
/// ```
/// use agentsched::placement::fair::{Tenant, drf};
///
/// // A: <1 CPU, 4 GB> per task, B: <3 CPUs, 1 GB> per task.
/// let a = drf(&[9, 18], &[Tenant::new(vec![1, 4]), Tenant::new(vec![3, 1])])?;
/// assert!((a.tasks[0] - 3.0).abs() < 1e-9 && (a.tasks[1] - 2.0).abs() < 1e-9);
/// assert!((a.dominant_shares[0] - 2.0 / 3.0).abs() < 1e-9);
/// assert!((a.dominant_shares[1] - 2.0 / 3.0).abs() < 1e-9);
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn drf(capacity: &[u64], tenants: &[Tenant]) -> Result<DrfAllocation> {
    let p = validate(capacity, tenants)?;
    let n = tenants.len();
    let d = capacity.len();
    let mut tasks = vec![0.0; n];
    let mut stops = vec![Stop::Cap; n];
    // Tasks per unit of level for each running tenant: weight / s_i.
    let mut speed = vec![0.0; n];
    let mut running = vec![false; n];
    let mut rate = vec![0.0; d];
    let mut users = vec![0usize; d];
    // Use by stopped tenants, accumulated.
    let mut frozen = vec![0.0; d];
    let mut cap_events: Vec<(f64, usize)> = Vec::new();
    for (i, t) in tenants.iter().enumerate() {
        if let Some(r) = p.blocked[i] {
            stops[i] = Stop::Resource(r);
            continue;
        }
        if p.share[i] == 0.0 {
            // Zero demand: validated to have a limit; it consumes nothing.
            tasks[i] = t.max_tasks.unwrap_or(0) as f64;
            continue;
        }
        if t.max_tasks == Some(0) {
            continue;
        }
        speed[i] = p.weight[i] / p.share[i];
        running[i] = true;
        for (r, &q) in t.demand.iter().enumerate() {
            if q > 0 {
                rate[r] += q as f64 * speed[i];
                users[r] += 1;
            }
        }
        if let Some(m) = t.max_tasks {
            cap_events.push((m as f64 / speed[i], i));
        }
    }
    cap_events.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut saturated = vec![false; d];
    let mut next_cap = 0;
    let mut left = running.iter().filter(|&&r| r).count();
    let mut level = 0.0f64;

    let stop = |i: usize,
                at: f64,
                why: Stop,
                tasks: &mut [f64],
                stops: &mut [Stop],
                running: &mut [bool],
                rate: &mut [f64],
                users: &mut [usize],
                frozen: &mut [f64]| {
        running[i] = false;
        stops[i] = why;
        let x = match (why, tenants[i].max_tasks) {
            (Stop::Cap, Some(m)) => m as f64,
            _ => at * speed[i],
        };
        tasks[i] = x;
        for (r, &q) in tenants[i].demand.iter().enumerate() {
            if q > 0 {
                frozen[r] += q as f64 * x;
                users[r] -= 1;
                // Recomputing would cost O(n); subtracting drifts, but exactly 0 is restored
                // when the last user leaves so that an unused resource never saturates.
                rate[r] = if users[r] == 0 {
                    0.0
                } else {
                    (rate[r] - q as f64 * speed[i]).max(0.0)
                };
            }
        }
    };

    while left > 0 {
        while next_cap < cap_events.len() && !running[cap_events[next_cap].1] {
            next_cap += 1;
        }
        let cap_level = cap_events.get(next_cap).map_or(f64::INFINITY, |e| e.0);
        let mut sat_level = f64::INFINITY;
        let mut sat_r = None;
        for r in 0..d {
            if saturated[r] || users[r] == 0 || rate[r] <= 0.0 {
                continue;
            }
            let l = ((p.cap[r] - frozen[r]) / rate[r]).max(level);
            if l < sat_level {
                sat_level = l;
                sat_r = Some(r);
            }
        }
        if cap_level.is_finite() && cap_level <= sat_level {
            level = cap_level.max(level);
            let i = cap_events[next_cap].1;
            next_cap += 1;
            stop(
                i,
                level,
                Stop::Cap,
                &mut tasks,
                &mut stops,
                &mut running,
                &mut rate,
                &mut users,
                &mut frozen,
            );
            left -= 1;
        } else if let Some(r) = sat_r {
            level = sat_level;
            saturated[r] = true;
            for i in 0..n {
                if running[i] && tenants[i].demand[r] > 0 {
                    // The lowest saturated dimension it demands names the stop.
                    let first = (0..d)
                        .find(|&k| saturated[k] && tenants[i].demand[k] > 0)
                        .unwrap_or(r);
                    stop(
                        i,
                        level,
                        Stop::Resource(first),
                        &mut tasks,
                        &mut stops,
                        &mut running,
                        &mut rate,
                        &mut users,
                        &mut frozen,
                    );
                    left -= 1;
                }
            }
        } else {
            // Unreachable: every running tenant demands a dimension with a positive capacity,
            // at a positive rate. Stop rather than loop.
            break;
        }
    }
    let dominant_shares = tasks
        .iter()
        .zip(&p.share)
        .map(|(&x, &s)| if x == 0.0 { 0.0 } else { x * s })
        .collect();
    let used = usage(tenants, &tasks, d);
    Ok(DrfAllocation {
        tasks,
        dominant_shares,
        stops,
        used,
    })
}

/// Weighted Dominant Resource Fairness, one whole task at a time (the paper's Algorithm 1).
///
/// Repeatedly picks the tenant with the lowest weighted dominant share (ties: lowest index) among
/// those still active; gives it one task if the task fits in the capacity left, otherwise retires
/// it (capacity only shrinks, so it would never fit later). A tenant also retires at its
/// `max_tasks`. Shares are compared as `tasks * s_i / weight_i` computed in `f64`.
///
/// Long stretches without a retirement are granted at once: a bisection finds the largest share
/// level such that every task whose share lies below it fits together, which are exactly the
/// tasks the one-at-a-time loop would grant next (a unit test checks equality with that loop).
/// So the run time does not grow with the number of tasks: a pool of 2^40 units and tasks of 1
/// take microseconds.
///
/// # Arguments
/// - `capacity`, `tenants`: as for [`drf`].
///
/// # Returns
/// A [`DiscreteAllocation`]: whole tasks per tenant, dominant shares, the use of each dimension
/// (never above capacity, exactly, in `u64`).
///
/// # Complexity
/// A bisection (`O(64 n d log T)`) is tried after every `64 n` single steps (`O(log n + d)`
/// each), and after one at most `n` steps precede a retirement: at most `O(64 n^2)` single steps
/// and `O(n)` bisections in all, whatever the number of tasks `T`. `O(n + d)` extra space.
///
/// # Errors
/// As [`drf`].
///
/// # Example: the paper's example, task by task
/// ```
/// use agentsched::placement::fair::{Tenant, drf_discrete};
///
/// let a = drf_discrete(&[9, 18], &[Tenant::new(vec![1, 4]), Tenant::new(vec![3, 1])])?;
/// assert_eq!(a.tasks, vec![3, 2]);
/// assert_eq!(a.used, vec![9, 14]);
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn drf_discrete(capacity: &[u64], tenants: &[Tenant]) -> Result<DiscreteAllocation> {
    let p = validate(capacity, tenants)?;
    let n = tenants.len();
    let mut left: Vec<u64> = capacity.to_vec();
    let mut tasks = vec![0u64; n];
    // Key: weighted dominant share as (tasks * s_i / w_i), then index.
    #[derive(PartialEq)]
    struct Key(f64, usize);
    impl Eq for Key {}
    impl PartialOrd for Key {
        fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
            Some(self.cmp(o))
        }
    }
    impl Ord for Key {
        fn cmp(&self, o: &Self) -> Ordering {
            self.0.total_cmp(&o.0).then(self.1.cmp(&o.1))
        }
    }
    let mut heap = BinaryHeap::with_capacity(n);
    for (i, t) in tenants.iter().enumerate() {
        if p.share[i] == 0.0 {
            // Zero demand (validated to have a limit): it takes nothing, so its whole limit.
            tasks[i] = t.max_tasks.unwrap_or(0);
        } else if p.blocked[i].is_none() && t.max_tasks != Some(0) {
            heap.push(Reverse(Key(0.0, i)));
        }
    }
    let key = |i: usize, k: u64| k as f64 * p.share[i] / p.weight[i];
    // A bisection costs about 64 passes over the tenants, so one is tried only after as many
    // single steps (amortised: at most doubling the work of the plain loop) — always jumping at
    // each retirement made 1,000 tenants with ~50 tasks each 6x slower. Single steps between two
    // tries are thus bounded, whatever the number of tasks.
    let mut steps = 0usize;
    while !heap.is_empty() {
        steps += 1;
        if steps >= 64 * heap.len() {
            steps = 0;
            let active: Vec<usize> = heap.iter().map(|Reverse(Key(_, i))| *i).collect();
            if jump(tenants, &active, &mut tasks, &mut left, &key) {
                heap = active
                    .iter()
                    .filter(|&&i| tenants[i].max_tasks != Some(tasks[i]))
                    .map(|&i| Reverse(Key(key(i, tasks[i]), i)))
                    .collect();
                continue;
            }
        }
        let Some(Reverse(Key(_, i))) = heap.pop() else {
            break;
        };
        let t = &tenants[i];
        if t.demand.iter().zip(&left).any(|(&q, &l)| q > l) {
            continue;
        }
        for (l, &q) in left.iter_mut().zip(&t.demand) {
            *l -= q;
        }
        tasks[i] += 1;
        if t.max_tasks.is_some_and(|m| tasks[i] >= m) {
            continue;
        }
        heap.push(Reverse(Key(key(i, tasks[i]), i)));
    }
    let dominant_shares = tasks
        .iter()
        .zip(&p.share)
        .map(|(&x, &s)| if x == 0 { 0.0 } else { x as f64 * s })
        .collect();
    let used = capacity.iter().zip(&left).map(|(&c, &l)| c - l).collect();
    Ok(DiscreteAllocation {
        tasks,
        dominant_shares,
        used,
    })
}

/// Tasks of tenant `i` (holding `have`) whose key is below `level`, within its limit; `None` if
/// more than `fit` (which cannot all fit anyway).
fn below(
    i: usize,
    have: u64,
    level: f64,
    fit: u64,
    limit: Option<u64>,
    key: &impl Fn(usize, u64) -> f64,
) -> Option<u64> {
    let top = limit.unwrap_or(u64::MAX);
    // First k >= have with key(i, k) >= level: a binary search on k, as keys rise with k.
    let (mut lo, mut hi) = (have, have.saturating_add(fit).saturating_add(1).min(top));
    if key(i, hi) < level {
        return if hi == top { Some(top - have) } else { None };
    }
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if key(i, mid) < level {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    Some(lo - have)
}

/// Grants at once every task Algorithm 1 would grant next before any tenant retires: all tasks
/// with a key below the largest level `L` at which they fit together. The sequential run grants
/// exactly these (keys pop in order, every prefix of a fitting set fits), so the result is the
/// same; only the number of heap steps changes. Returns whether anything was granted.
fn jump(
    tenants: &[Tenant],
    active: &[usize],
    tasks: &mut [u64],
    left: &mut [u64],
    key: &impl Fn(usize, u64) -> f64,
) -> bool {
    let fit = |i: usize| {
        tenants[i]
            .demand
            .iter()
            .zip(left.iter())
            .filter(|&(&q, _)| q > 0)
            .map(|(&q, &l)| l / q)
            .min()
            .unwrap_or(0)
    };
    let fits: Vec<u64> = active.iter().map(|&i| fit(i)).collect();
    let pending: u64 = fits.iter().fold(0u64, |a, &f| a.saturating_add(f));
    if pending <= 4 * active.len() as u64 {
        return false;
    }
    let grant = |level: f64| -> Option<Vec<u64>> {
        let mut use_ = vec![0u128; left.len()];
        let mut counts = Vec::with_capacity(active.len());
        for (&i, &f) in active.iter().zip(&fits) {
            let c = below(i, tasks[i], level, f, tenants[i].max_tasks, key)?;
            for (u, &q) in use_.iter_mut().zip(&tenants[i].demand) {
                *u += u128::from(q) * u128::from(c);
            }
            counts.push(c);
        }
        use_.iter()
            .zip(left.iter())
            .all(|(&u, &l)| u <= u128::from(l))
            .then_some(counts)
    };
    // The largest feasible level, by bisection on the bits of non-negative floats (ordered
    // like the floats themselves).
    let (mut lo, mut hi) = (0u64, f64::INFINITY.to_bits());
    if grant(f64::INFINITY).is_some() {
        lo = hi;
    }
    while lo + 1 < hi {
        let mid = lo + (hi - lo) / 2;
        if grant(f64::from_bits(mid)).is_some() {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let Some(counts) = grant(f64::from_bits(lo)) else {
        return false;
    };
    let mut any = false;
    for (&i, &c) in active.iter().zip(&counts) {
        if c > 0 {
            any = true;
            tasks[i] += c;
            for (l, &q) in left.iter_mut().zip(&tenants[i].demand) {
                *l -= q * c;
            }
        }
    }
    any
}

/// Weighted max-min fairness on one resource (water-filling).
///
/// Finds the level `L` such that giving each tenant `min(demand[i], weight[i] * L)` uses exactly
/// the capacity (or every demand is met). Tenants are visited by increasing `demand / weight`;
/// those whose demand lies below the level are satisfied, and the rest share what is left in
/// proportion to their weights.
///
/// # Arguments
/// - `capacity`: finite, `>= 0`.
/// - `demands`: per tenant, `>= 0`, `f64::INFINITY` for an unbounded demand; not NaN.
/// - `weights`: per tenant, finite, `> 0`, as many as `demands`.
///
/// # Returns
/// A [`WaterFill`]: amounts and the level.
///
/// # Complexity
/// `O(n log n)` time, `O(n)` extra space.
///
/// # Errors
/// [`Error::NotFinite`]/[`Error::Negative`] (`capacity`) for a bad capacity;
/// [`Error::DimensionMismatch`] (`weights`) if the lengths differ; [`Error::InvalidTenant`] for a
/// NaN or negative demand or a weight that is not finite and positive (or more than
/// [`MAX_WEIGHT_RATIO`] times smaller than the largest).
///
/// # Example: three tenants share 10 units
/// ```
/// use agentsched::placement::fair::max_min_fair;
///
/// let w = max_min_fair(10.0, &[2.0, 8.0, f64::INFINITY], &[1.0, 1.0, 2.0])?;
/// // Tenant 0 is satisfied with 2; the others split 8 as 1:2 (level 8/3).
/// assert!((w.allocation[0] - 2.0).abs() < 1e-12);
/// assert!((w.allocation[1] - 8.0 / 3.0).abs() < 1e-12);
/// assert!((w.allocation[2] - 16.0 / 3.0).abs() < 1e-12);
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn max_min_fair(capacity: f64, demands: &[f64], weights: &[f64]) -> Result<WaterFill> {
    if !capacity.is_finite() {
        return Err(Error::NotFinite {
            field: "capacity",
            value: capacity,
        });
    }
    if capacity < 0.0 {
        return Err(Error::Negative {
            field: "capacity",
            value: capacity,
        });
    }
    if weights.len() != demands.len() {
        return Err(Error::DimensionMismatch {
            field: "weights",
            expected: demands.len(),
            got: weights.len(),
        });
    }
    for (i, &dm) in demands.iter().enumerate() {
        if dm.is_nan() || dm < 0.0 {
            return Err(Error::InvalidTenant {
                tenant: i,
                field: "demand",
                reason: format!("must be >= 0 (infinity allowed), got {dm}"),
            });
        }
    }
    let scale = weights.iter().copied().fold(0.0, f64::max);
    let weights = &normalise_weights(weights.iter().copied())?[..];
    // Working in units of the capacity keeps every intermediate finite: the amount left is at
    // most 1 and the level at most 1 / (smallest normalised weight) <= 1e15.
    let unit = if capacity > 0.0 { capacity } else { 1.0 };
    let n = demands.len();
    let demand: Vec<f64> = demands.iter().map(|&dm| dm / unit).collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| {
        (demand[a] / weights[a])
            .total_cmp(&(demand[b] / weights[b]))
            .then(a.cmp(&b))
    });
    // Suffix sums of the weights in that order: subtracting instead would lose the small weights
    // left after a large one is removed.
    let mut suffix = vec![0.0; n + 1];
    for k in (0..n).rev() {
        suffix[k] = suffix[k + 1] + weights[order[k]];
    }
    let mut allocation = vec![0.0; n];
    let mut left = capacity / unit;
    for (k, &i) in order.iter().enumerate() {
        let level = left / suffix[k];
        if demand[i] / weights[i] <= level {
            allocation[i] = demands[i];
            left = (left - demand[i]).max(0.0);
        } else {
            for &j in &order[k..] {
                allocation[j] = weights[j] * level * unit;
            }
            return Ok(WaterFill {
                allocation,
                level: level * unit / scale,
            });
        }
    }
    Ok(WaterFill {
        allocation,
        level: f64::INFINITY,
    })
}

/// The allocation maximising `sum_i weight[i] * tasks[i]` within capacity (fractional).
///
/// Solves the linear program `max sum_i w_i x_i` subject to `sum_i demand[i][r] x_i <=
/// capacity[r]` for every dimension `r` and `0 <= x_i <= max_tasks[i]`, exactly (up to
/// floating-point rounding), by the bounded-variable primal simplex method on the `d` capacity
/// rows with Bland's rule (no cycling). Each tenant's column is scaled by its dominant share and
/// each row by its capacity, so every coefficient lies in `[0, 1]`. This is the efficient
/// allocation DRF is compared with: it ignores fairness (with equal weights it favours the
/// tenants with the smallest tasks).
///
/// # Arguments
/// - `capacity`, `tenants`: as for [`drf`]; the weights are the values of one task.
///
/// # Returns
/// A [`MaxTasks`]: tasks per tenant, the objective, the dual prices (an optimality certificate)
/// and the use of each dimension.
///
/// # Complexity
/// Each pivot costs `O(d (n + d))`; the number of pivots is small in practice (typically
/// `O(n + d)`), exponential in the worst case as for any simplex method. `O(d (n + d))` space.
///
/// # Errors
/// As [`drf`]; also [`Error::InvalidConfig`] (`weight`) if the objective overflows `f64` (weights
/// near `f64::MAX`), and (`tenants`) if the simplex method fails to converge within its pivot
/// budget, which no test instance has reached.
///
/// # Example: small tasks first
/// ```
/// use agentsched::placement::fair::{Tenant, max_tasks};
///
/// let m = max_tasks(&[9, 18], &[Tenant::new(vec![1, 4]), Tenant::new(vec![3, 1])])?;
/// // 9 CPU and 18 GB: x_A + 3 x_B <= 9, 4 x_A + x_B <= 18 -> x_A = 45/11, x_B = 18/11.
/// assert!((m.tasks[0] - 45.0 / 11.0).abs() < 1e-9);
/// assert!((m.tasks[1] - 18.0 / 11.0).abs() < 1e-9);
/// assert!((m.objective - 63.0 / 11.0).abs() < 1e-9);
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn max_tasks(capacity: &[u64], tenants: &[Tenant]) -> Result<MaxTasks> {
    let p = validate(capacity, tenants)?;
    let n = tenants.len();
    let d = capacity.len();
    let mut tasks = vec![0.0; n];
    // Columns: tenants with positive dominant share and not blocked; zero-demand tenants take
    // their limit outright, blocked ones 0.
    let mut cols: Vec<usize> = Vec::new();
    for (i, t) in tenants.iter().enumerate() {
        if p.blocked[i].is_some() {
            continue;
        }
        if p.share[i] == 0.0 {
            tasks[i] = t.max_tasks.unwrap_or(0) as f64;
        } else {
            cols.push(i);
        }
    }
    let rows: Vec<usize> = (0..d).filter(|&r| p.cap[r] > 0.0).collect();
    let k = cols.len();
    let m = rows.len();
    let width = k + m;
    // Variable j < k: z_j = s_i x_i (dominant share), bound s_i * max_tasks, and also 1 (a
    // dominant share never exceeds 1 within capacity). Slack k + r: bound infinity.
    let mut upper = vec![f64::INFINITY; width];
    let mut cost = vec![0.0; width];
    let mut tab = vec![0.0; m * width];
    for (j, &i) in cols.iter().enumerate() {
        let s = p.share[i];
        upper[j] = tenants[i]
            .max_tasks
            .map_or(1.0, |mt| (mt as f64 * s).min(1.0));
        cost[j] = p.weight[i] / s;
        for (ri, &r) in rows.iter().enumerate() {
            tab[ri * width + j] = tenants[i].demand[r] as f64 / p.cap[r] / s;
        }
    }
    for ri in 0..m {
        tab[ri * width + k + ri] = 1.0;
    }
    let mut basis: Vec<usize> = (k..width).collect();
    let mut value = vec![1.0f64; m]; // values of the basic variables (slacks start at 1)
    let mut at_upper = vec![false; width];
    let mut is_basic = vec![false; width];
    for &b in &basis {
        is_basic[b] = true;
    }
    // Reduced costs c_j - c_B B^-1 a_j; the basis starts with the slacks (cost 0).
    let mut reduced = cost.clone();
    const EPS: f64 = 1e-12;
    let max_iter = 100 * (width + 10);
    let mut iter = 0;
    loop {
        iter += 1;
        if iter > max_iter {
            return Err(Error::InvalidConfig {
                field: "tenants",
                reason: "the simplex method did not converge (numerically degenerate instance)",
            });
        }
        // Bland: the lowest-index improving variable enters.
        let Some(e) = (0..width).find(|&j| {
            !is_basic[j]
                && ((!at_upper[j] && reduced[j] > EPS) || (at_upper[j] && reduced[j] < -EPS))
        }) else {
            break;
        };
        let dir = if at_upper[e] { -1.0 } else { 1.0 };
        // Ratio test; ties by the lowest variable index (Bland).
        let mut theta = upper[e];
        let mut leave: Option<usize> = None;
        for ri in 0..m {
            let a = dir * tab[ri * width + e];
            let t = if a > EPS {
                value[ri].max(0.0) / a
            } else if a < -EPS && upper[basis[ri]].is_finite() {
                (upper[basis[ri]] - value[ri]).max(0.0) / -a
            } else {
                continue;
            };
            let better = match leave {
                _ if t < theta => true,
                Some(l) => t == theta && basis[ri] < basis[l],
                None => false,
            };
            if better {
                theta = t;
                leave = Some(ri);
            }
        }
        if !theta.is_finite() {
            return Err(Error::InvalidConfig {
                field: "tenants",
                reason: "unbounded program (a tenant needs a task limit)",
            });
        }
        for ri in 0..m {
            value[ri] -= dir * theta * tab[ri * width + e];
        }
        let Some(lr) = leave else {
            // The entering variable moves from one bound to the other.
            at_upper[e] = !at_upper[e];
            continue;
        };
        let out = basis[lr];
        let a = dir * tab[lr * width + e];
        at_upper[out] = a < 0.0;
        let entered = if dir > 0.0 { theta } else { upper[e] - theta };
        let piv = tab[lr * width + e];
        for j in 0..width {
            tab[lr * width + j] /= piv;
        }
        for ri in 0..m {
            if ri == lr {
                continue;
            }
            let f = tab[ri * width + e];
            if f != 0.0 {
                for j in 0..width {
                    tab[ri * width + j] -= f * tab[lr * width + j];
                }
            }
        }
        let f = reduced[e];
        for j in 0..width {
            reduced[j] -= f * tab[lr * width + j];
        }
        reduced[e] = 0.0;
        is_basic[out] = false;
        is_basic[e] = true;
        basis[lr] = e;
        value[lr] = entered;
        at_upper[e] = false;
    }
    let mut z = vec![0.0; width];
    for j in 0..width {
        if !is_basic[j] && at_upper[j] {
            z[j] = upper[j];
        }
    }
    for (ri, &b) in basis.iter().enumerate() {
        z[b] = value[ri].clamp(0.0, upper[b]);
    }
    for (j, &i) in cols.iter().enumerate() {
        tasks[i] = match tenants[i].max_tasks {
            Some(mt) if at_upper[j] && !is_basic[j] && upper[j] == mt as f64 * p.share[i] => {
                mt as f64
            }
            _ => z[j] / p.share[i],
        };
    }
    // Dual price of row r in scaled units is -reduced[slack]; one unit of capacity is 1 / cap,
    // and the costs were divided by the largest weight.
    let wmax = tenants.iter().map(|t| t.weight).fold(0.0, f64::max);
    let mut prices = vec![0.0; d];
    for (ri, &r) in rows.iter().enumerate() {
        prices[r] = (-reduced[k + ri]).max(0.0) / p.cap[r] * wmax;
    }
    let objective: f64 = tenants.iter().zip(&tasks).map(|(t, &x)| t.weight * x).sum();
    if !objective.is_finite() {
        return Err(Error::InvalidConfig {
            field: "weight",
            reason: "the weighted number of tasks overflows f64; scale the weights down",
        });
    }
    let used = usage(tenants, &tasks, d);
    Ok(MaxTasks {
        tasks,
        objective,
        prices,
        used,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paper_example_continuous_and_discrete() {
        let t = [Tenant::new(vec![1, 4]), Tenant::new(vec![3, 1])];
        let a = drf(&[9, 18], &t).unwrap();
        assert!((a.tasks[0] - 3.0).abs() < 1e-9);
        assert!((a.tasks[1] - 2.0).abs() < 1e-9);
        assert_eq!(a.stops, vec![Stop::Resource(0), Stop::Resource(0)]);
        let b = drf_discrete(&[9, 18], &t).unwrap();
        assert_eq!(b.tasks, vec![3, 2]);
    }

    #[test]
    fn zero_capacity_blocks_only_its_users() {
        let t = [Tenant::new(vec![1, 1]), Tenant::new(vec![1, 0])];
        let a = drf(&[10, 0], &t).unwrap();
        assert_eq!(a.tasks[0], 0.0);
        assert_eq!(a.stops[0], Stop::Resource(1));
        assert!((a.tasks[1] - 10.0).abs() < 1e-9);
        let m = max_tasks(&[10, 0], &t).unwrap();
        assert_eq!(m.tasks[0], 0.0);
        assert!((m.tasks[1] - 10.0).abs() < 1e-9);
    }

    #[test]
    fn zero_demand_takes_its_limit_or_is_refused() {
        let t = [
            Tenant::new(vec![0, 0]).max_tasks(7),
            Tenant::new(vec![1, 1]),
        ];
        let a = drf(&[4, 4], &t).unwrap();
        assert_eq!(a.tasks[0], 7.0);
        assert_eq!(drf_discrete(&[4, 4], &t).unwrap().tasks, vec![7, 4]);
        let bad = [Tenant::new(vec![0, 0])];
        assert!(matches!(
            drf(&[4, 4], &bad),
            Err(Error::InvalidTenant {
                tenant: 0,
                field: "max_tasks",
                ..
            })
        ));
    }

    #[test]
    fn bad_inputs_are_refused() {
        let ok = Tenant::new(vec![1, 1]);
        assert!(drf(&[], &[]).is_err());
        assert!(drf(&[1, 1], &[]).unwrap().tasks.is_empty());
        for w in [f64::NAN, f64::INFINITY, -1.0, 0.0] {
            let t = [ok.clone(), ok.clone().weight(w)];
            assert!(matches!(
                drf(&[1, 1], &t),
                Err(Error::InvalidTenant {
                    tenant: 1,
                    field: "weight",
                    ..
                })
            ));
            assert!(max_tasks(&[1, 1], &t).is_err());
            assert!(drf_discrete(&[1, 1], &t).is_err());
        }
        assert!(matches!(
            drf(&[1, 1], &[Tenant::new(vec![1])]),
            Err(Error::InvalidTenant {
                tenant: 0,
                field: "demand",
                ..
            })
        ));
        assert!(max_min_fair(f64::NAN, &[], &[]).is_err());
        assert!(max_min_fair(-1.0, &[], &[]).is_err());
        assert!(max_min_fair(1.0, &[1.0], &[]).is_err());
        assert!(max_min_fair(1.0, &[f64::NAN], &[1.0]).is_err());
        assert!(max_min_fair(1.0, &[-1.0], &[1.0]).is_err());
        assert!(max_min_fair(1.0, &[1.0], &[0.0]).is_err());
        assert_eq!(
            drf_discrete(&[u64::MAX], &[Tenant::new(vec![1])])
                .unwrap()
                .tasks,
            vec![u64::MAX]
        );
        let spread = [ok.clone().weight(1e300), ok.clone().weight(1e-300)];
        assert!(matches!(
            drf(&[1, 1], &spread),
            Err(Error::InvalidTenant {
                tenant: 1,
                field: "weight",
                ..
            })
        ));
        assert!(max_min_fair(1.0, &[1.0, 1.0], &[1e300, 1e-300]).is_err());
    }

    #[test]
    fn water_filling_keeps_small_weights_exact() {
        // After the weight-1 tenant is satisfied, the 1e-15 one takes all the rest.
        let w = max_min_fair(10.0, &[1.0, f64::INFINITY], &[1.0, 1e-15]).unwrap();
        assert_eq!(w.allocation[0], 1.0);
        assert!((w.allocation[1] - 9.0).abs() < 1e-12);
        let big = max_min_fair(f64::MAX, &[f64::INFINITY], &[1.0]).unwrap();
        assert_eq!(big.allocation[0], f64::MAX);
    }

    /// Algorithm 1 as written: one task per heap step, no jumps.
    fn discrete_plain(capacity: &[u64], tenants: &[Tenant]) -> Vec<u64> {
        let p = validate(capacity, tenants).unwrap();
        let mut left = capacity.to_vec();
        let mut tasks = vec![0u64; tenants.len()];
        let mut heap = BinaryHeap::new();
        for (i, t) in tenants.iter().enumerate() {
            if p.share[i] == 0.0 {
                tasks[i] = t.max_tasks.unwrap_or(0);
            } else if p.blocked[i].is_none() && t.max_tasks != Some(0) {
                heap.push(Reverse((0.0f64.to_bits(), i)));
            }
        }
        while let Some(Reverse((_, i))) = heap.pop() {
            let t = &tenants[i];
            if t.demand.iter().zip(&left).any(|(&q, &l)| q > l) {
                continue;
            }
            for (l, &q) in left.iter_mut().zip(&t.demand) {
                *l -= q;
            }
            tasks[i] += 1;
            if t.max_tasks.is_some_and(|m| tasks[i] >= m) {
                continue;
            }
            let key = tasks[i] as f64 * p.share[i] / p.weight[i];
            heap.push(Reverse((key.to_bits(), i)));
        }
        tasks
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]
        #[test]
        fn jumps_change_nothing(
            cap in proptest::collection::vec(0u64..200_000, 1..4),
            ts in proptest::collection::vec(
                (proptest::collection::vec(0u64..40, 3), 1u32..5, proptest::option::of(0u64..300)),
                0..7,
            ),
        ) {
            let d = cap.len();
            let tenants: Vec<Tenant> = ts
                .iter()
                .map(|(dm, w, m)| Tenant {
                    demand: dm[..d].to_vec(),
                    weight: f64::from(*w),
                    max_tasks: if dm[..d].iter().all(|&q| q == 0) { Some(m.unwrap_or(3)) } else { *m },
                })
                .collect();
            let a = drf_discrete(&cap, &tenants).unwrap();
            proptest::prop_assert_eq!(a.tasks, discrete_plain(&cap, &tenants));
        }
    }

    #[test]
    fn discrete_handles_huge_capacities() {
        let t = [Tenant::new(vec![1, 2]), Tenant::new(vec![3, 1]).weight(2.0)];
        let a = drf_discrete(&[1 << 40, 1 << 41], &t).unwrap();
        let c = drf(&[1 << 40, 1 << 41], &t).unwrap();
        for i in 0..2 {
            assert!(
                (a.tasks[i] as f64 - c.tasks[i]).abs() <= 2.0,
                "{:?} {:?}",
                a.tasks,
                c.tasks
            );
        }
    }

    #[test]
    fn discrete_task_counts_stop_at_limits() {
        let t = [Tenant::new(vec![1]).max_tasks(2), Tenant::new(vec![1])];
        assert_eq!(drf_discrete(&[10], &t).unwrap().tasks, vec![2, 8]);
        let a = drf(&[10], &t).unwrap();
        assert_eq!(a.tasks[0], 2.0);
        assert_eq!(a.stops, vec![Stop::Cap, Stop::Resource(0)]);
    }
}
