//! Renting nodes: choose which offered nodes to rent so that their total capacity meets a demand
//! vector in every dimension, at minimum total cost (the covering form of hybrid-cloud placement).
//!
//! This is the multi-dimensional covering knapsack problem with bounded integer variables:
//! offer `i` has a capacity vector `a_i`, a cost `c_i >= 0` and `u_i` identical copies; choose
//! `x_i in 0..=u_i` minimising `sum c_i x_i` subject to `sum a_ik x_i >= b_k` for every dimension
//! `k`. It is NP-hard already with one dimension (it contains the knapsack problem).
//!
//! - [`branch_and_bound`]: exact on small instances (tens of offers), within a node budget and a
//!   time limit; returns the proven optimum, or the best cover found with a valid lower bound.
//! - [`heuristic`]: large instances (thousands of offers): lazy greedy by cost per unit of
//!   normalised uncovered demand, then dropping redundant nodes, then a swap local search.
//! - [`lower_bound`]: the largest of several one-row fractional relaxations (see below).
//!
//! Lower bounds. Capacities are first capped at the demand (`min(a_ik, b_k)`: capacity beyond the
//! demand never helps). Any non-negative multipliers `w` combine the rows into one surrogate row
//! `sum (w . a_i) x_i >= w . b`, whose fractional relaxation is solved exactly by the greedy by
//! cost per unit of coefficient (Dantzig's bound for one row); every such value is a lower bound.
//! The rows used are each dimension alone (`w = e_k`), the demand-normalised sum (`w_k = 1/b_k`),
//! and multipliers improved by a few multiplicative-weight steps that raise the weight of the
//! dimensions the surrogate's fractional solution leaves uncovered (surrogate duality: the best
//! multipliers give the LP bound; Glover, "Surrogate constraints", Operations Research 16(4),
//! 1968). Inside the branch and bound the rows are recomputed at each node on the residual demand.
//!
//! Branch and bound: depth first over the offers in order of cost per unit of normalised
//! capacity (ties by the lowest id), children (how many copies of the offer to rent) by
//! increasing bound; an offer no better than an earlier one in every dimension and in cost
//! (dominance) is rented only once the earlier one is fully rented; a node is pruned when its
//! bound reaches the incumbent within a relative 1e-9. The incumbent starts from [`heuristic`].
//! When the node budget or the time limit stops the search, the reported bound is the smallest
//! bound of the subtrees not yet explored.
//!
//! Determinism: without a time limit every result is a function of the input alone; ties break
//! by the lowest offer id (greedy choice, branching order), and redundant nodes are dropped most
//! expensive first, ties by the highest id (so that lower ids are kept). With a time limit, the
//! amount of work done (not its order) depends on the machine.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

fn bad(field: impl Into<String>, reason: impl Into<String>) -> Error {
    Error::InvalidInstance {
        field: field.into(),
        reason: reason.into(),
    }
}

/// A node offered for rent: an id, a capacity vector, a cost and how many identical copies are
/// available.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Offer {
    /// The caller's id (unique within an instance); ties break by the lowest id.
    pub id: u32,
    /// Capacity per dimension, in the dimension's integer units.
    pub capacity: Vec<u64>,
    /// Cost of renting one copy (finite, `>= 0`).
    pub cost: f64,
    /// Identical copies available (0 makes the offer unavailable).
    pub count: u32,
}

impl Offer {
    /// One copy of a node.
    pub fn new(id: u32, capacity: Vec<u64>, cost: f64) -> Self {
        Self {
            id,
            capacity,
            cost,
            count: 1,
        }
    }

    /// The same offer with `count` identical copies.
    pub fn with_count(mut self, count: u32) -> Self {
        self.count = count;
        self
    }
}

/// A validated covering instance: offers with unique ids, capacity vectors of the demand's
/// length, finite non-negative costs, and per-dimension capacity totals (over all copies) that
/// fit in `u64`; the total cost of all copies is finite.
///
/// The demand may be larger than all offers together: the solvers then return
/// [`Error::Uncoverable`].
///
/// # Example
/// ```
/// use agentsched::placement::cover::{CoverInstance, Offer};
/// let offers = vec![Offer::new(1, vec![4, 16], 1.0), Offer::new(2, vec![8, 32], 1.5)];
/// let inst = CoverInstance::new(offers, vec![8, 32])?;
/// assert_eq!((inst.len(), inst.dims()), (2, 2));
/// // A negative cost: the error names the offer and the field.
/// let err = CoverInstance::new(vec![Offer::new(7, vec![1, 1], -1.0)], vec![1, 1]).unwrap_err();
/// assert!(err.to_string().contains("offers[0] (id 7).cost"));
/// # Ok::<(), agentsched::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoverInstance {
    offers: Vec<Offer>,
    demand: Vec<u64>,
    /// Per dimension, the capacity of all copies of all offers together.
    total: Vec<u64>,
}

impl CoverInstance {
    /// An instance from the offers and the demand vector.
    ///
    /// # Errors
    /// [`Error::InvalidInstance`] naming the offer and field (`offers[i] (id x).capacity` for a
    /// wrong length, `.cost` for a NaN, infinite or negative cost, `.id` for a duplicate id;
    /// `offers` when the total cost of all copies is not finite); [`Error::Overflow`] (`offers`,
    /// dimension `k`) when the capacities of all copies sum past `u64::MAX` in dimension `k`.
    pub fn new(offers: Vec<Offer>, demand: Vec<u64>) -> Result<Self> {
        let d = demand.len();
        let mut total = vec![0u64; d];
        let mut cost_sum = 0.0f64;
        let mut ids: Vec<(u32, usize)> = Vec::with_capacity(offers.len());
        for (i, o) in offers.iter().enumerate() {
            let name = |f: &str| format!("offers[{i}] (id {}).{f}", o.id);
            if o.capacity.len() != d {
                return Err(bad(
                    name("capacity"),
                    format!("expected {d} dimensions, got {}", o.capacity.len()),
                ));
            }
            if !o.cost.is_finite() || o.cost < 0.0 {
                return Err(bad(
                    name("cost"),
                    format!("must be finite and >= 0, got {:?}", o.cost),
                ));
            }
            cost_sum += o.cost * f64::from(o.count);
            for (k, &a) in o.capacity.iter().enumerate() {
                let all = a
                    .checked_mul(u64::from(o.count))
                    .and_then(|x| total[k].checked_add(x))
                    .ok_or(Error::Overflow {
                        field: "offers",
                        dimension: k,
                    })?;
                total[k] = all;
            }
            ids.push((o.id, i));
        }
        if !cost_sum.is_finite() {
            return Err(bad("offers", "the total cost of all copies is not finite"));
        }
        ids.sort_unstable();
        if let Some(w) = ids.windows(2).find(|w| w[0].0 == w[1].0) {
            let (first, again) = (w[0].1.min(w[1].1), w[0].1.max(w[1].1));
            return Err(bad(
                format!("offers[{again}] (id {}).id", w[0].0),
                format!("duplicate id (also offers[{first}])"),
            ));
        }
        Ok(Self {
            offers,
            demand,
            total,
        })
    }

    /// An instance from flat arrays: `capacities[i * dims + k]` is offer `i`'s capacity in
    /// dimension `k`; `ids` (or `0..n` when `None`), `costs` and `counts` (or 1 each when `None`)
    /// have one entry per offer; `demand` has `dims` entries.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] when `demand` does not have `dims` entries (`demand`), when
    /// `capacities` does not have `n * dims` (`capacities`), or `ids`/`counts` not `n`; then as
    /// [`CoverInstance::new`].
    pub fn from_flat(
        dims: usize,
        ids: Option<&[u32]>,
        capacities: &[u64],
        costs: &[f64],
        counts: Option<&[u32]>,
        demand: &[u64],
    ) -> Result<Self> {
        let n = costs.len();
        let mismatch = |field, expected, got| Error::DimensionMismatch {
            field,
            expected,
            got,
        };
        if demand.len() != dims {
            return Err(mismatch("demand", dims, demand.len()));
        }
        let need = n.checked_mul(dims).ok_or(Error::Overflow {
            field: "capacities",
            dimension: 0,
        })?;
        if capacities.len() != need {
            return Err(mismatch("capacities", need, capacities.len()));
        }
        if let Some(ids) = ids
            && ids.len() != n
        {
            return Err(mismatch("ids", n, ids.len()));
        }
        if let Some(c) = counts
            && c.len() != n
        {
            return Err(mismatch("counts", n, c.len()));
        }
        let mut offers = Vec::with_capacity(n);
        for (i, &cost) in costs.iter().enumerate() {
            let id = match ids {
                Some(ids) => ids[i],
                None => u32::try_from(i).map_err(|_| bad("ids", "more than 2^32 offers"))?,
            };
            let capacity = if dims == 0 {
                Vec::new()
            } else {
                capacities[i * dims..(i + 1) * dims].to_vec()
            };
            offers.push(Offer {
                id,
                capacity,
                cost,
                count: counts.map_or(1, |c| c[i]),
            });
        }
        Self::new(offers, demand.to_vec())
    }

    /// The offers, in input order (results index into this slice).
    pub fn offers(&self) -> &[Offer] {
        &self.offers
    }

    /// The demand vector.
    pub fn demand(&self) -> &[u64] {
        &self.demand
    }

    /// Number of offers.
    pub fn len(&self) -> usize {
        self.offers.len()
    }

    /// Whether there are no offers.
    pub fn is_empty(&self) -> bool {
        self.offers.is_empty()
    }

    /// Number of dimensions.
    pub fn dims(&self) -> usize {
        self.demand.len()
    }

    /// [`Error::Uncoverable`] for the first dimension that all offers together cannot cover.
    fn check_coverable(&self) -> Result<()> {
        for (k, (&b, &t)) in self.demand.iter().zip(&self.total).enumerate() {
            if t < b {
                return Err(Error::Uncoverable {
                    dimension: k,
                    demand: b,
                    available: t,
                });
            }
        }
        Ok(())
    }

    /// Whether renting `counts[i]` copies of offer `i` covers the demand (`false` for a wrong
    /// length or more copies than offered).
    pub fn covers(&self, counts: &[u32]) -> bool {
        if counts.len() != self.offers.len() {
            return false;
        }
        let mut got = vec![0u128; self.dims()];
        for (o, &x) in self.offers.iter().zip(counts) {
            if x > o.count {
                return false;
            }
            for (g, &a) in got.iter_mut().zip(&o.capacity) {
                *g += u128::from(a) * u128::from(x);
            }
        }
        got.iter()
            .zip(&self.demand)
            .all(|(&g, &b)| g >= u128::from(b))
    }

    /// The cost of renting `counts[i]` copies of offer `i` (summed in offer order).
    pub fn cost_of(&self, counts: &[u32]) -> f64 {
        self.offers
            .iter()
            .zip(counts)
            .map(|(o, &x)| o.cost * f64::from(x))
            .sum()
    }
}

/// The nodes to rent: copies per offer, their cost, a lower bound on the optimum and whether
/// the cover is proven optimal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cover {
    /// Copies rented per offer, indexed like [`CoverInstance::offers`].
    pub counts: Vec<u32>,
    /// The rented offers' indices in increasing order, an index repeated once per copy.
    pub chosen: Vec<usize>,
    /// Total cost ([`CoverInstance::cost_of`] of `counts`).
    pub cost: f64,
    /// A lower bound on the optimal cost (`<= cost`; equal to it when proven optimal).
    pub lower_bound: f64,
    /// Whether `cost` is proven optimal (within a relative 1e-9).
    pub proven_optimal: bool,
    /// Branch-and-bound nodes explored (0 for the heuristic).
    pub nodes: u64,
}

impl Cover {
    /// `(cost - lower_bound) / cost`, 0 when the cost is 0.
    pub fn gap(&self) -> f64 {
        if self.cost > 0.0 {
            ((self.cost - self.lower_bound) / self.cost).max(0.0)
        } else {
            0.0
        }
    }
}

/// Limits of a search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoverOptions {
    /// Branch-and-bound nodes at most (`None`: no limit). Default 1,000,000.
    pub node_budget: Option<u64>,
    /// Wall-clock limit of the search (`None`: no limit; then the result depends on the input
    /// alone). Default none.
    pub time_limit: Option<Duration>,
}

impl Default for CoverOptions {
    fn default() -> Self {
        Self {
            node_budget: Some(1_000_000),
            time_limit: None,
        }
    }
}

/// Relative tolerance of cost comparisons (pruning, improvement).
const REL_TOL: f64 = 1e-9;
/// Multiplicative-weight steps that improve the surrogate multipliers at the root.
const SURROGATE_STEPS: usize = 40;
/// Dominators remembered per offer in the branch and bound.
const MAX_DOMINATORS: usize = 8;
/// Above this many (useful) offers the branch and bound skips the quadratic dominance test.
const DOMINANCE_MAX_OFFERS: usize = 4_000;
/// Most useful copies in all that [`heuristic`] accepts (2^24).
pub const MAX_HEURISTIC_COPIES: u64 = 1 << 24;

/// Most useful copies in all that [`branch_and_bound`] accepts (2^16): it lists one child per
/// count of an offer.
pub const MAX_EXACT_COPIES: u64 = 1 << 16;

/// Capacity comparisons allowed to the 2-for-1 swaps of the local search.
const SWAP2_WORK: u64 = 1_000_000;

/// The useful part of an instance: offers with copies and some capacity, capacities capped at
/// the demand and copies capped at what could ever help.
struct Prepared {
    /// Original offer index of each useful offer.
    orig: Vec<usize>,
    id: Vec<u32>,
    cost: Vec<f64>,
    /// Copies usable.
    count: Vec<u32>,
    /// Row-major capped capacities.
    cap: Vec<u64>,
    demand: Vec<u64>,
    d: usize,
}

impl Prepared {
    fn new(inst: &CoverInstance) -> Self {
        let d = inst.dims();
        let demand = inst.demand.clone();
        let mut p = Prepared {
            orig: Vec::new(),
            id: Vec::new(),
            cost: Vec::new(),
            count: Vec::new(),
            cap: Vec::new(),
            demand,
            d,
        };
        for (i, o) in inst.offers.iter().enumerate() {
            let capped: Vec<u64> = o
                .capacity
                .iter()
                .zip(&inst.demand)
                .map(|(&a, &b)| a.min(b))
                .collect();
            let useful = max_useful(&capped, &inst.demand);
            let count = o.count.min(useful);
            if count == 0 {
                continue;
            }
            p.orig.push(i);
            p.id.push(o.id);
            p.cost.push(o.cost);
            p.count.push(count);
            p.cap.extend_from_slice(&capped);
        }
        p
    }

    fn len(&self) -> usize {
        self.orig.len()
    }

    /// Refuses instances whose useful copies (each offer's count capped at what could ever
    /// help) exceed `limit` in all: the searches take a step per copy (the greedy one per rented
    /// copy, branch and bound one child per count), so without this a single cheap offer of
    /// capacity 1 and `u32::MAX` copies against a demand of `u32::MAX` runs for hours.
    fn check_copies(&self, limit: u64) -> Result<()> {
        let total: u64 = self.count.iter().map(|&c| u64::from(c)).sum();
        if total > limit {
            return Err(bad(
                "offers",
                format!(
                    "{total} useful copies in all (counts capped at what the demand could use); \
                     at most {limit} are searched"
                ),
            ));
        }
        Ok(())
    }

    fn a(&self, i: usize) -> &[u64] {
        &self.cap[i * self.d..(i + 1) * self.d]
    }
}

/// Copies of a node with capacity `a` that can help cover `r`: `max_k ceil(r_k / a_k)` over
/// `a_k > 0` (0 when it has no capacity where `r` needs it), saturated to `u32`.
fn max_useful(a: &[u64], r: &[u64]) -> u32 {
    let mut m = 0u64;
    for (&a, &r) in a.iter().zip(r) {
        if a > 0 && r > 0 {
            m = m.max(r.div_ceil(a));
        }
    }
    u32::try_from(m).unwrap_or(u32::MAX)
}

/// Scratch space for one-row fractional bounds.
#[derive(Default)]
struct RowScratch {
    items: Vec<(f64, usize, f64, f64)>,
}

impl RowScratch {
    /// The fractional optimum of `sum coef_i x_i >= need`, `0 <= x_i <= avail_i`, minimising
    /// `sum cost_i x_i`: the greedy by cost per unit of coefficient, exact for one row. When the
    /// items cannot meet `need`, returns the cost of taking them all (still a lower bound on the
    /// row's value, which is then infinite).
    fn bound(&mut self, need: f64, it: impl Iterator<Item = (usize, f64, f64, f64)>) -> f64 {
        if need <= 0.0 {
            return 0.0;
        }
        self.items.clear();
        for (pos, cost, coef, avail) in it {
            if coef > 0.0 && avail > 0.0 {
                self.items.push((cost / coef, pos, coef, avail));
            }
        }
        self.items
            .sort_unstable_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
        let mut left = need;
        let mut total = 0.0;
        for &(ratio, _, coef, avail) in &self.items {
            let full = coef * avail;
            if full >= left {
                total += ratio * left;
                return total;
            }
            total += ratio * full;
            left -= full;
        }
        total
    }
}

/// The surrogate bound with multipliers `w` over offers `from..` of `p` in order `order`, with
/// residual demand `r` and `avail(pos)` copies: coefficients `sum_k w_k min(a_ik, r_k)`.
fn surrogate(
    p: &Prepared,
    order: &[usize],
    from: usize,
    r: &[u64],
    w: &[f64],
    s: &mut RowScratch,
) -> f64 {
    let need: f64 = w.iter().zip(r).map(|(&w, &r)| w * r as f64).sum();
    s.bound(
        need,
        order.iter().enumerate().skip(from).map(|(pos, &i)| {
            let coef: f64 = p
                .a(i)
                .iter()
                .zip(r)
                .zip(w)
                .map(|((&a, &r), &w)| w * a.min(r) as f64)
                .sum();
            (pos, p.cost[i], coef, f64::from(p.count[i]))
        }),
    )
}

/// The bound of the residual problem: the largest of the per-dimension rows, the rows with
/// multipliers `1 / r_k` and each of `extra`.
// The scratch buffers are separate arguments so that the search reuses them across nodes.
#[allow(clippy::too_many_arguments)]
fn node_bound(
    p: &Prepared,
    order: &[usize],
    from: usize,
    r: &[u64],
    extra: &[Vec<f64>],
    cutoff: f64,
    w: &mut Vec<f64>,
    s: &mut RowScratch,
) -> f64 {
    // The rows most likely to be strongest first; once one reaches `cutoff` the node is pruned
    // whatever the others give, so they are skipped.
    let d = p.d;
    let mut best = 0.0f64;
    for e in extra {
        best = best.max(surrogate(p, order, from, r, e, s));
        if best >= cutoff {
            return best;
        }
    }
    w.clear();
    w.extend(r.iter().map(|&r| if r > 0 { 1.0 / r as f64 } else { 0.0 }));
    best = best.max(surrogate(p, order, from, r, w, s));
    for k in 0..d {
        if best >= cutoff {
            return best;
        }
        if r[k] == 0 {
            continue;
        }
        w.clear();
        w.resize(d, 0.0);
        w[k] = 1.0;
        best = best.max(surrogate(p, order, from, r, w, s));
    }
    best
}

/// Multipliers improved by multiplicative-weight steps from `1 / b_k`, with the best bound seen.
fn improved_multipliers(p: &Prepared, order: &[usize], s: &mut RowScratch) -> (Vec<f64>, f64) {
    let d = p.d;
    let b = &p.demand;
    let mut w: Vec<f64> = b
        .iter()
        .map(|&b| if b > 0 { 1.0 / b as f64 } else { 0.0 })
        .collect();
    let mut best_w = w.clone();
    let mut best = surrogate(p, order, 0, b, &w, s);
    let mut cover = vec![0.0f64; d];
    for step in 0..SURROGATE_STEPS {
        // The fractional solution of the surrogate row: recompute it to see which dimensions it
        // leaves short.
        let val = surrogate(p, order, 0, b, &w, s);
        if val > best {
            best = val;
            best_w.clone_from(&w);
        }
        let need: f64 = w.iter().zip(b).map(|(&w, &b)| w * b as f64).sum();
        cover.iter_mut().for_each(|c| *c = 0.0);
        let mut left = need;
        for &(_, pos, coef, avail) in &s.items {
            if left <= 0.0 {
                break;
            }
            let x = (left / coef).min(avail);
            left -= coef * x;
            for (c, &a) in cover.iter_mut().zip(p.a(order[pos])) {
                *c += a as f64 * x;
            }
        }
        let eta = 1.0 / (1.0 + step as f64).sqrt();
        let mut any = false;
        for k in 0..d {
            if b[k] == 0 {
                continue;
            }
            let ratio = cover[k] / b[k] as f64;
            // Short dimensions gain weight, over-covered ones lose it.
            let f = (eta * (1.0 - ratio).clamp(-1.0, 1.0)).exp();
            if (f - 1.0).abs() > 1e-12 {
                any = true;
            }
            w[k] *= f;
        }
        if !any {
            break;
        }
    }
    (best_w, best)
}

/// A lower bound on the optimal cost: the largest of the per-dimension fractional bounds, the
/// demand-normalised surrogate bound and the surrogate bound with improved multipliers (see the
/// module documentation).
///
/// # Arguments
/// * `inst` - the instance.
///
/// # Returns
/// A value `<=` the optimal cost (0 for a zero demand).
///
/// # Complexity
/// `O((d + 40) n log n + n d)` time, `O(n d)` extra space, for `n` offers in `d` dimensions.
///
/// # Errors
/// [`Error::Uncoverable`] when all offers together cannot cover the demand.
///
/// # Example: two dimensions, each cheapest with a different offer
/// ```
/// use agentsched::placement::cover::{lower_bound, CoverInstance, Offer};
/// let inst = CoverInstance::new(
///     vec![Offer::new(0, vec![10, 0], 1.0), Offer::new(1, vec![0, 10], 1.0)],
///     vec![10, 10],
/// )?;
/// // Each dimension alone gives 1; the normalised sum sees both: 2, the optimum.
/// assert!((lower_bound(&inst)? - 2.0).abs() < 1e-9);
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn lower_bound(inst: &CoverInstance) -> Result<f64> {
    inst.check_coverable()?;
    let p = Prepared::new(inst);
    let order = branching_order(&p);
    let mut s = RowScratch::default();
    Ok(root_bound(&p, &order, &mut s).0)
}

/// The root bound and the improved multipliers.
fn root_bound(p: &Prepared, order: &[usize], s: &mut RowScratch) -> (f64, Vec<f64>) {
    if p.demand.iter().all(|&b| b == 0) {
        return (0.0, vec![0.0; p.d]);
    }
    let (w, wb) = improved_multipliers(p, order, s);
    let mut scratch_w = Vec::new();
    let nb = node_bound(
        p,
        order,
        0,
        &p.demand,
        &[],
        f64::INFINITY,
        &mut scratch_w,
        s,
    );
    (nb.max(wb), w)
}

/// Offers in order of cost per unit of demand-normalised capacity, ties by the lowest id.
fn branching_order(p: &Prepared) -> Vec<usize> {
    let unit: Vec<f64> = (0..p.len())
        .map(|i| {
            let c: f64 = p
                .a(i)
                .iter()
                .zip(&p.demand)
                .filter(|(_, b)| **b > 0)
                .map(|(&a, &b)| a as f64 / b as f64)
                .sum();
            if c > 0.0 {
                p.cost[i] / c
            } else {
                f64::INFINITY
            }
        })
        .collect();
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&x, &y| unit[x].total_cmp(&unit[y]).then(p.id[x].cmp(&p.id[y])));
    order
}

/// Builds a [`Cover`] from copies per useful offer.
fn make_cover(inst: &CoverInstance, p: &Prepared, x: &[u32], bound: f64, proven: bool) -> Cover {
    let mut counts = vec![0u32; inst.len()];
    for (i, &xi) in x.iter().enumerate() {
        counts[p.orig[i]] = xi;
    }
    let mut chosen = Vec::new();
    for (i, &c) in counts.iter().enumerate() {
        chosen.extend(std::iter::repeat_n(i, c as usize));
    }
    let cost = inst.cost_of(&counts);
    let lower_bound = if proven { cost } else { bound.min(cost) };
    Cover {
        counts,
        chosen,
        cost,
        lower_bound,
        proven_optimal: proven,
        nodes: 0,
    }
}

fn empty_cover(inst: &CoverInstance) -> Cover {
    Cover {
        counts: vec![0; inst.len()],
        chosen: Vec::new(),
        cost: 0.0,
        lower_bound: 0.0,
        proven_optimal: true,
        nodes: 0,
    }
}

/// The cost of copies `x` of the useful offers.
fn cost(p: &Prepared, x: &[u32]) -> f64 {
    x.iter().zip(&p.cost).map(|(&x, &c)| c * f64::from(x)).sum()
}

/// Capped coverage of copies `x`, saturating.
fn coverage(p: &Prepared, x: &[u32]) -> Vec<u64> {
    let mut t = vec![0u64; p.d];
    for (i, &xi) in x.iter().enumerate() {
        if xi > 0 {
            for (t, &a) in t.iter_mut().zip(p.a(i)) {
                *t = t.saturating_add(a.saturating_mul(u64::from(xi)));
            }
        }
    }
    t
}

/// A max-heap key: efficiency, then the lowest id.
#[derive(PartialEq)]
struct Key(f64, u32, usize);
impl Eq for Key {}
impl PartialOrd for Key {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Key {
    fn cmp(&self, o: &Self) -> Ordering {
        self.0.total_cmp(&o.0).then(o.1.cmp(&self.1))
    }
}

/// Lazy greedy: repeatedly rent a copy of the offer with the most weighted uncovered demand
/// (`sum_k w_k min(a_ik, r_k)`) per unit of cost. The gain only shrinks as the residual does
/// (it is submodular), so a stale heap key is an upper bound and a popped offer whose fresh key
/// still beats the next stale one is the true best.
fn greedy(p: &Prepared, w: &[f64]) -> Vec<u32> {
    let mut x = vec![0u32; p.len()];
    let mut r = p.demand.clone();
    let gain = |i: usize, r: &[u64]| -> f64 {
        p.a(i)
            .iter()
            .zip(r)
            .zip(w)
            .map(|((&a, &r), &w)| w * a.min(r) as f64)
            .sum()
    };
    let eff = |g: f64, c: f64| if c > 0.0 { g / c } else { f64::INFINITY };
    let mut heap: BinaryHeap<Key> = (0..p.len())
        .map(|i| Key(eff(gain(i, &r), p.cost[i]), p.id[i], i))
        .filter(|k| k.0 > 0.0)
        .collect();
    while r.iter().any(|&r| r > 0) {
        let Some(Key(_, id, i)) = heap.pop() else {
            break;
        };
        let g = gain(i, &r);
        if g <= 0.0 {
            continue;
        }
        let fresh = Key(eff(g, p.cost[i]), id, i);
        if heap.peek().is_some_and(|top| *top > fresh) {
            heap.push(fresh);
            continue;
        }
        x[i] += 1;
        for (r, &a) in r.iter_mut().zip(p.a(i)) {
            *r = r.saturating_sub(a);
        }
        if x[i] < p.count[i] {
            let g = gain(i, &r);
            if g > 0.0 {
                heap.push(Key(eff(g, p.cost[i]), id, i));
            }
        }
    }
    // Weights of zero on a dimension with demand can leave it short: finish by the cheapest
    // copy per unit of that dimension.
    for k in 0..p.d {
        while r[k] > 0 {
            let best = (0..p.len())
                .filter(|&i| x[i] < p.count[i] && p.a(i)[k] > 0)
                .min_by(|&i, &j| {
                    (p.cost[i] / p.a(i)[k] as f64)
                        .total_cmp(&(p.cost[j] / p.a(j)[k] as f64))
                        .then(p.id[i].cmp(&p.id[j]))
                });
            let Some(i) = best else { break };
            x[i] += 1;
            for (r, &a) in r.iter_mut().zip(p.a(i)) {
                *r = r.saturating_sub(a);
            }
        }
    }
    x
}

/// Drops copies while the rest still covers: most expensive first, ties by the highest id.
fn drop_redundant(p: &Prepared, x: &mut [u32], by_cost_desc: &[usize]) {
    let mut t = coverage(p, x);
    for &i in by_cost_desc {
        while x[i] > 0 {
            let ok = t
                .iter()
                .zip(p.a(i))
                .zip(&p.demand)
                .all(|((&t, &a), &b)| t - a >= b);
            if !ok {
                break;
            }
            x[i] -= 1;
            for (t, &a) in t.iter_mut().zip(p.a(i)) {
                *t -= a;
            }
        }
    }
}

/// Swap local search: replace one rented copy by a cheaper copy, or two by one cheaper than
/// both, while the cover holds; redundant copies are dropped after each improvement.
fn local_search(p: &Prepared, x: &mut [u32], deadline: Option<Instant>) {
    let n = p.len();
    let mut by_cost_asc: Vec<usize> = (0..n).collect();
    by_cost_asc.sort_by(|&i, &j| p.cost[i].total_cmp(&p.cost[j]).then(p.id[i].cmp(&p.id[j])));
    let mut by_cost_desc: Vec<usize> = (0..n).collect();
    by_cost_desc.sort_by(|&i, &j| p.cost[j].total_cmp(&p.cost[i]).then(p.id[j].cmp(&p.id[i])));
    drop_redundant(p, x, &by_cost_desc);
    let d = p.d;
    let mut need = vec![0u64; d];
    let mut work: u64 = 0;
    let timed_out = || deadline.is_some_and(|t| Instant::now() >= t);
    // The cheapest offer with a spare copy whose capacity meets `need`, cheaper than `limit`
    // (minus the tolerance), scanning by increasing cost.
    let find = |x: &[u32], need: &[u64], limit: f64, work: &mut u64| -> Option<usize> {
        for &j in &by_cost_asc {
            if p.cost[j] >= limit - REL_TOL * limit.abs() {
                return None;
            }
            *work += 1;
            if x[j] < p.count[j] && p.a(j).iter().zip(need).all(|(a, n)| a >= n) {
                return Some(j);
            }
        }
        None
    };
    // Passes until one changes nothing; each swap lowers the cost by more than the tolerance.
    loop {
        if timed_out() {
            return;
        }
        // A pass costs O(n d) before any swap is tried: counted, so that many passes with one
        // cheap swap each still end.
        work += (n * d.max(1)) as u64;
        let mut t = coverage(p, x);
        let rented: Vec<usize> = by_cost_desc.iter().copied().filter(|&i| x[i] > 0).collect();
        let mut changed = false;
        // 1-for-1.
        for &i in &rented {
            while x[i] > 0 {
                if work > 4 * SWAP2_WORK || timed_out() {
                    return;
                }
                for k in 0..d {
                    need[k] = p.demand[k].saturating_sub(t[k] - p.a(i)[k]);
                }
                x[i] -= 1;
                let Some(j) = find(x, &need, p.cost[i], &mut work) else {
                    x[i] += 1;
                    break;
                };
                x[j] += 1;
                for ((t, &ai), &aj) in t.iter_mut().zip(p.a(i)).zip(p.a(j)) {
                    *t = *t - ai + aj;
                }
                changed = true;
            }
        }
        if changed {
            drop_redundant(p, x, &by_cost_desc);
            continue;
        }
        // 2-for-1, within a work budget.
        for (a_pos, &i1) in rented.iter().enumerate() {
            for &i2 in &rented[a_pos..] {
                let have = if i1 == i2 { 2 } else { 1 };
                if x[i1] < have || x[i2] < 1 {
                    continue;
                }
                if work > SWAP2_WORK || timed_out() {
                    if changed {
                        drop_redundant(p, x, &by_cost_desc);
                    }
                    return;
                }
                for k in 0..d {
                    need[k] = p.demand[k].saturating_sub(t[k] - p.a(i1)[k] - p.a(i2)[k]);
                }
                x[i1] -= 1;
                x[i2] -= 1;
                match find(x, &need, p.cost[i1] + p.cost[i2], &mut work) {
                    Some(j) => {
                        x[j] += 1;
                        let pairs = p.a(i1).iter().zip(p.a(i2));
                        for ((t, (&a1, &a2)), &aj) in t.iter_mut().zip(pairs).zip(p.a(j)) {
                            *t = *t - a1 - a2 + aj;
                        }
                        changed = true;
                    }
                    None => {
                        x[i1] += 1;
                        x[i2] += 1;
                    }
                }
            }
        }
        if !changed {
            return;
        }
        drop_redundant(p, x, &by_cost_desc);
    }
}

/// Greedy covers with two sets of weights (demand-normalised, and the improved surrogate
/// multipliers), each improved by dropping and swaps; the cheaper one (the first on a tie).
fn heuristic_counts(p: &Prepared, w_star: &[f64], deadline: Option<Instant>) -> Vec<u32> {
    let norm: Vec<f64> = p
        .demand
        .iter()
        .map(|&b| if b > 0 { 1.0 / b as f64 } else { 0.0 })
        .collect();
    let mut best: Option<(f64, Vec<u32>)> = None;
    for w in [&norm[..], w_star] {
        let mut x = greedy(p, w);
        local_search(p, &mut x, deadline);
        let c = cost(p, &x);
        if best.as_ref().is_none_or(|(bc, _)| c < *bc) {
            best = Some((c, x));
        }
    }
    best.map(|b| b.1).unwrap_or_else(|| vec![0; p.len()])
}

/// A cover by the heuristic for large instances, with a lower bound and the gap to it.
///
/// Lazy greedy by cost per unit of uncovered demand (normalised by the demand, then weighted by
/// the improved surrogate multipliers: two runs), then dropping redundant nodes (most expensive
/// first) and a swap local search (one rented node for a cheaper one, two for one cheaper than
/// both); the cheaper of the two runs. The greedy is Chvátal's for set covering ("A greedy
/// heuristic for the set-covering problem", Mathematics of Operations Research 4(3), 1979),
/// applied to capacities as in Dobson's analysis for integer covering ("Worst-case analysis of
/// greedy heuristics for integer programming with nonnegative data", Mathematics of Operations
/// Research 7(4), 1982).
///
/// # Arguments
/// * `inst` - the instance.
/// * `opts` - `time_limit` bounds the local search; `node_budget` is not used.
///
/// # Returns
/// A [`Cover`] with `lower_bound` from [`lower_bound`]; `proven_optimal` when the cost meets
/// the bound (within a relative 1e-9).
///
/// # Complexity
/// Greedy `O(n d + m log n)` heap operations for `m` rented copies (lazy re-evaluation adds a
/// factor in the worst case); the local search is bounded by 4*10^6 capacity comparisons (10^6
/// for the 2-for-1 swaps), each pass counting `n d`; the bound `O(40 n log n)`. Extra space
/// `O(n d)`.
///
/// # Errors
/// [`Error::Uncoverable`] naming the first dimension that all offers together cannot cover;
/// [`Error::InvalidInstance`] (`offers`) when the useful copies (each count capped at what the
/// demand could use) exceed [`MAX_HEURISTIC_COPIES`] in all.
///
/// # Example: one large node beats two small ones
/// ```
/// use agentsched::placement::cover::{heuristic, CoverInstance, CoverOptions, Offer};
/// let inst = CoverInstance::new(
///     vec![
///         Offer::new(0, vec![4, 8], 1.0).with_count(4),
///         Offer::new(1, vec![16, 32], 3.0),
///     ],
///     vec![16, 32],
/// )?;
/// let c = heuristic(&inst, &CoverOptions::default())?;
/// assert!(inst.covers(&c.counts));
/// assert_eq!(c.chosen, vec![1]);
/// assert!(c.lower_bound <= c.cost);
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn heuristic(inst: &CoverInstance, opts: &CoverOptions) -> Result<Cover> {
    inst.check_coverable()?;
    if inst.demand.iter().all(|&b| b == 0) {
        return Ok(empty_cover(inst));
    }
    let deadline = opts.time_limit.and_then(|t| Instant::now().checked_add(t));
    let p = Prepared::new(inst);
    p.check_copies(MAX_HEURISTIC_COPIES)?;
    let order = branching_order(&p);
    let mut s = RowScratch::default();
    let (bound, w_star) = root_bound(&p, &order, &mut s);
    let x = heuristic_counts(&p, &w_star, deadline);
    let mut c = make_cover(inst, &p, &x, bound, false);
    if c.lower_bound >= c.cost - REL_TOL * c.cost {
        c.proven_optimal = true;
        c.lower_bound = c.cost;
    }
    Ok(c)
}

/// A frame of the depth-first search: the residual demand and cost after fixing the offers
/// before `level`, and the children left to visit.
struct Frame {
    level: usize,
    resid: Vec<u64>,
    cost: f64,
    /// `(copies, bound)`, visited in order.
    children: Vec<(u32, f64)>,
    next: usize,
    /// The copy cap of this level's offer (a dominated offer may be rented only when each of
    /// its dominators is at its cap).
    cap: u32,
}

/// The exact minimum-cost cover by branch and bound, within a node budget and a time limit.
///
/// # Arguments
/// * `inst` - the instance.
/// * `opts` - the node budget and the time limit; when either stops the search the best cover
///   found is returned with the smallest bound of the unexplored subtrees.
///
/// # Returns
/// A [`Cover`]: `proven_optimal` with `lower_bound == cost` when the search finished; otherwise
/// the best cover found (never worse than [`heuristic`]'s), the bound and `nodes` explored.
///
/// # Complexity
/// Exponential in the number of offers in the worst case; each node costs
/// `O((d + 2) n log n)` for the bounds. The dominance test is `O(n^2 d)` once (skipped above
/// 4,000 useful offers). Extra space `O(n d)` for the search path.
///
/// # Errors
/// [`Error::Uncoverable`] naming the first dimension that all offers together cannot cover;
/// [`Error::InvalidInstance`] (`offers`) when the useful copies (each count capped at what the
/// demand could use) exceed [`MAX_EXACT_COPIES`] in all (use [`heuristic`]).
///
/// # Example: the textbook case where the greedy pays more
/// ```
/// use agentsched::placement::cover::{branch_and_bound, CoverInstance, CoverOptions, Offer};
/// // Demand 10: the most efficient node (9 for 9.0) then needs a second one; two nodes of 5
/// // for 5.5 each cover exactly for 11.0, one of 10 costs 10.5.
/// let inst = CoverInstance::new(
///     vec![
///         Offer::new(0, vec![9], 9.0),
///         Offer::new(1, vec![5], 5.5),
///         Offer::new(2, vec![5], 5.5),
///         Offer::new(3, vec![10], 10.5),
///         Offer::new(4, vec![1], 2.0),
///     ],
///     vec![10],
/// )?;
/// let c = branch_and_bound(&inst, &CoverOptions::default())?;
/// assert!(c.proven_optimal);
/// assert_eq!(c.chosen, vec![3]);
/// assert_eq!(c.cost, 10.5);
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn branch_and_bound(inst: &CoverInstance, opts: &CoverOptions) -> Result<Cover> {
    inst.check_coverable()?;
    if inst.demand.iter().all(|&b| b == 0) {
        return Ok(empty_cover(inst));
    }
    let start = Instant::now();
    let deadline = opts.time_limit.and_then(|t| start.checked_add(t));
    let p = Prepared::new(inst);
    p.check_copies(MAX_EXACT_COPIES)?;
    let n = p.len();
    let d = p.d;
    let order = branching_order(&p);
    let mut s = RowScratch::default();
    let (root, w_star) = root_bound(&p, &order, &mut s);
    let extra = [w_star.clone()];

    // Incumbent in offer-index space.
    let mut best_x = heuristic_counts(&p, &w_star, deadline);
    let mut best = cost(&p, &best_x);
    let prune = |lb: f64, inc: f64| lb >= inc - REL_TOL * inc;

    // Dominators by position: earlier offers no worse in cost and every capped capacity.
    let mut dominators: Vec<Vec<usize>> = vec![Vec::new(); n];
    if n <= DOMINANCE_MAX_OFFERS {
        for pj in 0..n {
            let j = order[pj];
            for (pi, &i) in order.iter().enumerate().take(pj) {
                if dominators[pj].len() >= MAX_DOMINATORS {
                    break;
                }
                if p.cost[i] <= p.cost[j] && p.a(i).iter().zip(p.a(j)).all(|(ai, aj)| ai >= aj) {
                    dominators[pj].push(pi);
                }
            }
        }
    }
    // suffix[pos * d + k]: capped capacity of all copies of offers at positions >= pos.
    let mut suffix = vec![0u64; (n + 1) * d];
    for pos in (0..n).rev() {
        let i = order[pos];
        for k in 0..d {
            suffix[pos * d + k] = suffix[(pos + 1) * d + k]
                .saturating_add(p.a(i)[k].saturating_mul(u64::from(p.count[i])));
        }
    }

    let mut cur = vec![0u32; n]; // copies by position on the current path
    let mut at_cap = vec![false; n];
    let mut wbuf = Vec::new();
    let mut nodes: u64 = 0;
    let mut aborted = false;

    // Children of the node at `level` with residual `r` and cost `c`.
    let expand = |level: usize,
                  r: &[u64],
                  c: f64,
                  at_cap: &[bool],
                  best: f64,
                  s: &mut RowScratch,
                  wbuf: &mut Vec<f64>|
     -> (Vec<(u32, f64)>, u32) {
        let i = order[level];
        let cap = p.count[i].min(max_useful(p.a(i), r));
        let allowed = dominators[level].iter().all(|&q| at_cap[q]);
        let top = if allowed { cap } else { 0 };
        let mut kids = Vec::new();
        let mut r2 = vec![0u64; d];
        for xv in (0..=top).rev() {
            for k in 0..d {
                r2[k] = r[k].saturating_sub(p.a(i)[k].saturating_mul(u64::from(xv)));
            }
            let c2 = c + p.cost[i] * f64::from(xv);
            let lb = if r2.iter().all(|&v| v == 0) {
                c2
            } else if (0..d).any(|k| suffix[(level + 1) * d + k] < r2[k]) {
                continue;
            } else {
                {
                    let cutoff = best - REL_TOL * best - c2;
                    c2 + node_bound(&p, &order, level + 1, &r2, &extra, cutoff, wbuf, s)
                }
            };
            if !prune(lb, best) {
                kids.push((xv, lb));
            }
        }
        kids.sort_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
        (kids, cap)
    };

    let mut stack: Vec<Frame> = Vec::new();
    if n > 0 && !prune(root, best) {
        let (children, cap) = expand(0, &p.demand, 0.0, &at_cap, best, &mut s, &mut wbuf);
        stack.push(Frame {
            level: 0,
            resid: p.demand.clone(),
            cost: 0.0,
            children,
            next: 0,
            cap,
        });
    }
    let mut r2 = vec![0u64; d];
    while let Some(top) = stack.last_mut() {
        let Some(&(xv, lb)) = top.children.get(top.next) else {
            stack.pop();
            continue;
        };
        if prune(lb, best) {
            top.next += 1;
            continue;
        }
        if opts.node_budget.is_some_and(|b| nodes >= b)
            || (nodes % 256 == 0 && deadline.is_some_and(|t| Instant::now() >= t))
        {
            aborted = true;
            break;
        }
        top.next += 1;
        nodes += 1;
        let level = top.level;
        let i = order[level];
        cur[level] = xv;
        at_cap[level] = xv == top.cap;
        for ((r, &old), &a) in r2.iter_mut().zip(&top.resid).zip(p.a(i)) {
            *r = old.saturating_sub(a.saturating_mul(u64::from(xv)));
        }
        let c2 = top.cost + p.cost[i] * f64::from(xv);
        if r2.iter().all(|&v| v == 0) {
            if c2 < best {
                best = c2;
                best_x.iter_mut().for_each(|v| *v = 0);
                for pos in 0..=level {
                    best_x[order[pos]] = cur[pos];
                }
            }
            continue;
        }
        if level + 1 >= n {
            continue;
        }
        let (children, cap) = expand(level + 1, &r2, c2, &at_cap, best, &mut s, &mut wbuf);
        if !children.is_empty() {
            stack.push(Frame {
                level: level + 1,
                resid: r2.clone(),
                cost: c2,
                children,
                next: 0,
                cap,
            });
        }
    }

    let mut by_cost_desc: Vec<usize> = (0..n).collect();
    by_cost_desc.sort_by(|&i, &j| p.cost[j].total_cmp(&p.cost[i]).then(p.id[j].cmp(&p.id[i])));
    drop_redundant(&p, &mut best_x, &by_cost_desc);
    let inc = cost(&p, &best_x);
    let mut cover = if aborted {
        let open = stack
            .iter()
            .flat_map(|f| f.children[f.next..].iter().map(|c| c.1))
            .fold(f64::INFINITY, f64::min);
        let bound = open.min(inc).max(root);
        let proven = prune(bound, inc);
        make_cover(inst, &p, &best_x, bound, proven)
    } else {
        make_cover(inst, &p, &best_x, inc, true)
    };
    cover.nodes = nodes;
    Ok(cover)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inst(offers: &[(&[u64], f64)], demand: &[u64]) -> CoverInstance {
        let offers = offers
            .iter()
            .enumerate()
            .map(|(i, (a, c))| Offer::new(i as u32, a.to_vec(), *c))
            .collect();
        CoverInstance::new(offers, demand.to_vec()).unwrap()
    }

    #[test]
    fn one_row_bound_is_dantzigs() {
        // Demand 10; ratios 1.0 (cap 9), 1.05 (cap 10), 1.1 (cap 5): 9 * 1 + 1 * 1.05.
        let i = inst(&[(&[9], 9.0), (&[5], 5.5), (&[10], 10.5)], &[10]);
        assert!((lower_bound(&i).unwrap() - 10.05).abs() < 1e-9);
    }

    #[test]
    fn counts_are_capped_at_what_helps() {
        let i = CoverInstance::new(
            vec![Offer::new(3, vec![2, 0], 1.0).with_count(1000)],
            vec![5, 0],
        )
        .unwrap();
        let p = Prepared::new(&i);
        assert_eq!(p.count, vec![3]);
        let c = branch_and_bound(&i, &CoverOptions::default()).unwrap();
        assert_eq!(c.counts, vec![3]);
        assert_eq!(c.chosen, vec![0, 0, 0]);
    }

    #[test]
    fn identical_offers_rent_the_lowest_ids() {
        let i = inst(&[(&[1], 1.0), (&[1], 1.0), (&[1], 1.0)], &[2]);
        for c in [
            branch_and_bound(&i, &CoverOptions::default()).unwrap(),
            heuristic(&i, &CoverOptions::default()).unwrap(),
        ] {
            assert_eq!(c.chosen, vec![0, 1]);
        }
    }
}
