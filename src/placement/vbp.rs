//! Vector bin packing: items with integer demand vectors onto the fewest identical hosts.
//!
//! The input is a validated [`VbpInstance`] (a capacity vector, one demand vector per item);
//! every algorithm returns a [`Packing`]: the bins, the item -> bin assignment, a lower bound and
//! the gap to it. Heuristics:
//! - first-fit decreasing ([`first_fit_decreasing`]) with the sizes [`SizeMeasure::Sum`],
//!   [`SizeMeasure::Max`], [`SizeMeasure::L2`] of the demands normalised by the capacity, on an
//!   index over the bins' free space (a segment tree); [`first_fit_decreasing_scan`] is the
//!   textbook scan, kept as the baseline and the oracle;
//! - best-fit decreasing ([`best_fit_decreasing`]);
//! - the bin-centric dot-product and L2-norm-gap heuristics of Panigrahy, Talwar, Uyeda and
//!   Wieder, "Heuristics for vector bin packing", Microsoft Research TR, 2011
//!   ([`dot_product`], [`l2_norm_gap`]);
//! - minimum bin slack ([`min_bin_slack`]; Gupta and Ho, "A new heuristic algorithm for the
//!   one-dimensional bin-packing problem", Production Planning & Control 10(6), 1999), bin
//!   centric with a bounded subset search;
//! - an improvement phase ([`improve`]) that empties the least-filled hosts by reinsertion and
//!   swaps (after Levine and Ducatelle, "Ant colony optimization and local search for bin packing
//!   and cutting stock problems", JORS 55(7), 2004), never worse than its input;
//! - [`best`] / [`best_with`]: every heuristic, the fewest bins, then [`improve`], then the
//!   bounded exact search of [`completion::bin_completion_from`] (bin completion, Korf 2003,
//!   with a large neighbourhood search).
//!
//! Lower bounds: [`lower_bound_l1`] (per dimension `ceil(sum / capacity)`) and, in one dimension,
//! the Martello–Toth bound [`lower_bound_l2`]; [`lower_bound`] is the largest that applies.
//!
//! Determinism: items are taken by decreasing size, ties by the lowest item index; a bin-centric
//! heuristic takes the best-scoring item, ties by the lowest index; the first (lowest-index) bin
//! wins among equal bins.

use crate::placement::completion::{self, Budget};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

fn bad(field: impl Into<String>, reason: impl Into<String>) -> Error {
    Error::InvalidInstance {
        field: field.into(),
        reason: reason.into(),
    }
}

/// A validated vector bin packing instance: a capacity vector (every entry `> 0`) and one demand
/// vector per item, each of the capacity's length and within it in every dimension; the sum of
/// the demands fits in `u64` in every dimension.
///
/// # Example
/// ```
/// use agentsched::placement::vbp::VbpInstance;
/// let inst = VbpInstance::new(vec![4_000, 8_192], &[vec![1_000, 2_048], vec![3_000, 512]])?;
/// assert_eq!((inst.len(), inst.dims()), (2, 2));
/// assert_eq!(inst.demand(1), &[3_000, 512]);
/// // An item larger than a host: the error names the item and the dimension.
/// let err = VbpInstance::new(vec![4_000, 8_192], &[vec![1_000, 9_000]]).unwrap_err();
/// assert!(err.to_string().contains("items[0][1]"));
/// # Ok::<(), agentsched::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VbpInstance {
    capacity: Vec<u64>,
    /// Row-major: `demand[i * dims + k]`.
    demand: Vec<u64>,
    len: usize,
}

impl VbpInstance {
    /// An instance from a capacity vector and one demand vector per item.
    ///
    /// # Errors
    /// [`Error::InvalidInstance`] naming the field: `capacity` when empty, `capacity[k]` when
    /// zero, `items[i]` for a demand of the wrong length, `items[i][k]` for a demand larger than
    /// the capacity; [`Error::Overflow`] (`items`, dimension `k`) when the demands of dimension
    /// `k` sum past `u64::MAX`.
    pub fn new(capacity: Vec<u64>, items: &[Vec<u64>]) -> Result<Self> {
        let d = capacity.len();
        let mut demand = Vec::with_capacity(items.len().saturating_mul(d));
        for (i, item) in items.iter().enumerate() {
            if item.len() != d {
                return Err(bad(
                    format!("items[{i}]"),
                    format!("expected {d} dimensions, got {}", item.len()),
                ));
            }
            demand.extend_from_slice(item);
        }
        Self::from_flat(capacity, demand)
    }

    /// An instance from a capacity vector and the demands in one row-major slice
    /// (`demand[i * dims + k]`).
    ///
    /// # Errors
    /// As [`VbpInstance::new`]; `items` when `demand.len()` is not a multiple of the dimension
    /// count.
    pub fn from_flat(capacity: Vec<u64>, demand: Vec<u64>) -> Result<Self> {
        let d = capacity.len();
        if d == 0 {
            return Err(bad("capacity", "needs at least one dimension"));
        }
        if let Some(k) = capacity.iter().position(|&c| c == 0) {
            return Err(bad(format!("capacity[{k}]"), "must be positive"));
        }
        if demand.len() % d != 0 {
            return Err(bad(
                "items",
                format!(
                    "{} demands is not a multiple of {d} dimensions",
                    demand.len()
                ),
            ));
        }
        let len = demand.len() / d;
        let mut sum = vec![0u64; d];
        for (i, row) in demand.chunks_exact(d).enumerate() {
            for (k, (&x, &c)) in row.iter().zip(&capacity).enumerate() {
                if x > c {
                    return Err(bad(
                        format!("items[{i}][{k}]"),
                        format!("demand {x} exceeds the capacity {c} of dimension {k}"),
                    ));
                }
                sum[k] = sum[k].checked_add(x).ok_or(Error::Overflow {
                    field: "items",
                    dimension: k,
                })?;
            }
        }
        Ok(Self {
            capacity,
            demand,
            len,
        })
    }

    /// The number of items.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no items.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The number of dimensions.
    pub fn dims(&self) -> usize {
        self.capacity.len()
    }

    /// The host capacity vector.
    pub fn capacity(&self) -> &[u64] {
        &self.capacity
    }

    /// Item `i`'s demand vector.
    ///
    /// # Panics
    /// If `i >= self.len()`.
    pub fn demand(&self, i: usize) -> &[u64] {
        let d = self.dims();
        &self.demand[i * d..(i + 1) * d]
    }

    /// Demands divided by the capacity, row-major.
    fn normalised(&self) -> Vec<f64> {
        let d = self.dims();
        self.demand
            .iter()
            .enumerate()
            .map(|(j, &x)| x as f64 / self.capacity[j % d] as f64)
            .collect()
    }
}

/// A packing: which items share a host.
///
/// `bins[b]` lists the items on bin `b` in the order they were placed; `assignment[i]` is item
/// `i`'s bin. `lower_bound` is [`lower_bound`] of the instance and `gap` is
/// `(bins - lower_bound) / lower_bound` (0 when the bound is 0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Packing {
    /// The items of each bin.
    pub bins: Vec<Vec<usize>>,
    /// The bin of each item.
    pub assignment: Vec<usize>,
    /// A lower bound on the optimal number of bins.
    pub lower_bound: usize,
    /// Relative gap of the bin count to the lower bound.
    pub gap: f64,
}

impl Packing {
    /// The number of bins (hosts) used.
    pub fn hosts(&self) -> usize {
        self.bins.len()
    }

    fn from_bins(inst: &VbpInstance, bins: Vec<Vec<usize>>) -> Self {
        Self::with_bound(inst, bins, lower_bound(inst))
    }

    fn with_bound(inst: &VbpInstance, bins: Vec<Vec<usize>>, lb: usize) -> Self {
        let mut assignment = vec![0; inst.len()];
        for (b, items) in bins.iter().enumerate() {
            for &i in items {
                assignment[i] = b;
            }
        }
        let gap = if lb == 0 {
            0.0
        } else {
            (bins.len() as f64 - lb as f64) / lb as f64
        };
        Self {
            bins,
            assignment,
            lower_bound: lb,
            gap,
        }
    }
}

/// Checks a packing against its instance and returns its number of bins.
///
/// Recomputes every bin's load from the demands; the packing's `assignment` must agree with its
/// `bins`.
///
/// # Errors
/// [`Error::InvalidInstance`] naming the first problem: an item out of range or placed twice
/// (`bins[b]`), an item not placed or an assignment disagreeing with the bins (`assignment[i]`),
/// an empty bin or a load over the capacity (`bins[b][k]`).
///
/// # Example
/// ```
/// use agentsched::placement::vbp::{self, SizeMeasure, VbpInstance};
/// let inst = VbpInstance::new(vec![10], &[vec![6], vec![5], vec![4]])?;
/// let p = vbp::first_fit_decreasing(&inst, SizeMeasure::Sum);
/// assert_eq!(vbp::validate(&inst, &p)?, 2);
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn validate(inst: &VbpInstance, p: &Packing) -> Result<usize> {
    let d = inst.dims();
    let mut seen = vec![usize::MAX; inst.len()];
    for (b, items) in p.bins.iter().enumerate() {
        if items.is_empty() {
            return Err(bad(format!("bins[{b}]"), "empty bin"));
        }
        let mut load = vec![0u64; d];
        for &i in items {
            if i >= inst.len() || seen[i] != usize::MAX {
                return Err(bad(
                    format!("bins[{b}]"),
                    format!("item {i} unknown or repeated"),
                ));
            }
            seen[i] = b;
            for (l, &x) in load.iter_mut().zip(inst.demand(i)) {
                *l += x; // cannot overflow: the instance's column sums fit in u64
            }
        }
        for (k, (&l, &c)) in load.iter().zip(inst.capacity()).enumerate() {
            if l > c {
                return Err(bad(
                    format!("bins[{b}][{k}]"),
                    format!("load {l} > capacity {c}"),
                ));
            }
        }
    }
    if p.assignment.len() != inst.len() {
        return Err(bad("assignment", "length differs from the item count"));
    }
    for (i, (&s, &a)) in seen.iter().zip(&p.assignment).enumerate() {
        if s == usize::MAX || s != a {
            return Err(bad(
                format!("assignment[{i}]"),
                "not placed, or not in that bin",
            ));
        }
    }
    Ok(p.bins.len())
}

// ---------------------------------------------------------------------------------------------
// Lower bounds
// ---------------------------------------------------------------------------------------------

/// The per-dimension volume bound: `max_k ceil(sum_i demand[i][k] / capacity[k])`, and 1 when
/// there is at least one item.
///
/// # Complexity
/// O(n d) time, O(d) extra space.
///
/// # Example
/// ```
/// use agentsched::placement::vbp::{self, VbpInstance};
/// let inst = VbpInstance::new(vec![10, 10], &[vec![6, 1], vec![6, 1], vec![6, 1]])?;
/// assert_eq!(vbp::lower_bound_l1(&inst), 2); // 18 / 10 in dimension 0
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn lower_bound_l1(inst: &VbpInstance) -> usize {
    let d = inst.dims();
    let mut best = usize::from(!inst.is_empty());
    for k in 0..d {
        let sum: u64 = inst.demand.iter().skip(k).step_by(d).sum();
        best = best.max(sum.div_ceil(inst.capacity[k]) as usize);
    }
    best
}

/// The Martello–Toth lower bound L2 for one-dimensional bin packing.
///
/// For every integer `a` in `[0, c/2]`: `J1` = items larger than `c - a`, `J2` = items in
/// `(c/2, c - a]`, `J3` = items in `[a, c/2]`;
/// `L(a) = |J1| + |J2| + max(0, ceil((sum(J3) - (|J2| c - sum(J2))) / c))`; the bound is the
/// largest `L(a)`. Only the distinct sizes `<= c/2` (and 0) can change `L(a)`, so only those are
/// tried. It is at least the volume bound `ceil(sum / c)` (take `a = 0`).
///
/// S. Martello and P. Toth, *Knapsack Problems: Algorithms and Computer Implementations*,
/// Wiley, 1990, section 8.3.1; "Lower bounds and reduction procedures for the bin packing
/// problem", Discrete Applied Mathematics 28(1), 1990.
///
/// # Arguments
/// `sizes`: item sizes, each `<= capacity`; `capacity > 0`.
///
/// # Returns
/// The bound (0 for no items).
///
/// # Complexity
/// O(n log n) time, O(n) extra space.
///
/// # Errors
/// [`Error::InvalidInstance`] for a zero capacity (`capacity`) or a size over it (`sizes[i]`).
///
/// # Example
/// ```
/// use agentsched::placement::vbp;
/// // Three items of 6 cannot share bins of 10: the volume bound says 2, L2 says 3.
/// assert_eq!(vbp::lower_bound_l2(&[6, 6, 6], 10)?, 3);
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn lower_bound_l2(sizes: &[u64], capacity: u64) -> Result<usize> {
    if capacity == 0 {
        return Err(bad("capacity", "must be positive"));
    }
    if let Some(i) = sizes.iter().position(|&s| s > capacity) {
        return Err(bad(format!("sizes[{i}]"), "larger than the capacity"));
    }
    if sizes.is_empty() {
        return Ok(0);
    }
    let mut w: Vec<u64> = sizes.to_vec();
    w.sort_unstable();
    Ok(l2_of_sorted(&w, capacity))
}

/// [`lower_bound_l2`] of sizes already in increasing order, each `<= capacity`, `capacity > 0`,
/// at least one size.
fn l2_of_sorted(w: &[u64], capacity: u64) -> usize {
    let c = u128::from(capacity);
    // prefix[j] = sum of the j smallest sizes (u128: no overflow whatever the sizes)
    let mut prefix = Vec::with_capacity(w.len() + 1);
    prefix.push(0u128);
    for &x in w {
        let last = prefix[prefix.len() - 1];
        prefix.push(last + u128::from(x));
    }
    // index of the first size > t
    let above = |t: u128| w.partition_point(|&x| u128::from(x) <= t);
    // index of the first size >= t
    let at_least = |t: u128| w.partition_point(|&x| u128::from(x) < t);
    let n = w.len();
    let half = c / 2; // sizes <= c/2 are "small"; > c/2 is J1 or J2
    let mut alphas: Vec<u128> = vec![0];
    alphas.extend(w.iter().map(|&x| u128::from(x)).filter(|&x| x <= half));
    alphas.dedup();
    let mut best = 0u128;
    for a in alphas {
        let j1_start = above(c - a); // sizes > c - a
        let j2_start = above(half); // sizes > c/2
        let j3_start = at_least(a); // sizes >= a
        let n1 = (n - j1_start) as u128;
        let n2 = (j1_start.saturating_sub(j2_start)) as u128;
        let s2 = prefix[j1_start] - prefix[j2_start.min(j1_start)];
        let s3 = prefix[j2_start] - prefix[j3_start.min(j2_start)];
        let free = n2 * c - s2;
        let extra = if s3 > free {
            (s3 - free).div_ceil(c)
        } else {
            0
        };
        best = best.max(n1 + n2 + extra);
    }
    best as usize
}

/// The best lower bound that applies: [`lower_bound_l1`], and in one dimension also
/// [`lower_bound_l2`].
///
/// # Complexity
/// O(n d) time, plus O(n log n) in one dimension.
///
/// # Example
/// ```
/// use agentsched::placement::vbp::{self, VbpInstance};
/// let inst = VbpInstance::new(vec![10], &[vec![6], vec![6], vec![6]])?;
/// assert_eq!(vbp::lower_bound(&inst), 3);
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn lower_bound(inst: &VbpInstance) -> usize {
    let l1 = lower_bound_l1(inst);
    if inst.dims() == 1 {
        // validated instance: sizes within a positive capacity, so this cannot fail
        l1.max(lower_bound_l2(&inst.demand, inst.capacity[0]).unwrap_or(0))
    } else {
        l1
    }
}

// ---------------------------------------------------------------------------------------------
// Item-centric heuristics
// ---------------------------------------------------------------------------------------------

/// How a demand vector, normalised by the capacity, becomes one size for sorting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SizeMeasure {
    /// The sum of the normalised demands.
    Sum,
    /// The largest normalised demand.
    Max,
    /// The Euclidean norm of the normalised demands.
    L2,
}

impl SizeMeasure {
    fn of(self, v: &[f64]) -> f64 {
        match self {
            Self::Sum => v.iter().sum(),
            Self::Max => v.iter().copied().fold(0.0, f64::max),
            Self::L2 => v.iter().map(|x| x * x).sum::<f64>().sqrt(),
        }
    }
}

/// Items by decreasing size, ties by the lowest index.
fn decreasing(inst: &VbpInstance, norm: &[f64], m: SizeMeasure) -> Vec<usize> {
    let d = inst.dims();
    let size: Vec<f64> = norm.chunks_exact(d).map(|v| m.of(v)).collect();
    let mut order: Vec<usize> = (0..inst.len()).collect();
    order.sort_by(|&a, &b| size[b].total_cmp(&size[a]).then(a.cmp(&b)));
    order
}

fn fits(residual: &[u64], demand: &[u64]) -> bool {
    residual.iter().zip(demand).all(|(r, x)| r >= x)
}

fn take(residual: &mut [u64], demand: &[u64]) {
    for (r, x) in residual.iter_mut().zip(demand) {
        *r -= x;
    }
}

/// Bins per leaf of the FFD index. A leaf's bins are scanned linearly: 16 residuals per dimension
/// are a few cache lines, cheaper to compare than the four tree levels they replace.
const LEAF_BINS: usize = 16;

/// Items in first-fit-decreasing order, exactly [`decreasing`]'s (by decreasing `measure` of the
/// normalised demand, ties by the lowest index), without the normalised copy of the instance and
/// sorted by a radix sort on `f64::total_cmp`'s order as a `u64`.
fn ffd_order(inst: &VbpInstance, measure: SizeMeasure) -> Vec<usize> {
    let d = inst.dims();
    let mut row = vec![0.0; d];
    let mut keys: Vec<u64> = Vec::with_capacity(inst.len());
    for x in inst.demand.chunks_exact(d) {
        for ((r, &v), &c) in row.iter_mut().zip(x).zip(&inst.capacity) {
            *r = v as f64 / c as f64;
        }
        let bits = measure.of(&row).to_bits();
        // the bit trick of f64::total_cmp, made unsigned: negative values flip entirely
        let key = if bits >> 63 == 1 {
            !bits
        } else {
            bits | 1 << 63
        };
        // decreasing size first: the complement of the key
        keys.push(!key);
    }
    radix_order(&keys)
}

/// The indices of `keys` in increasing key order, ties by the lowest index: a least-significant
/// digit radix sort (stable, so the ties stay in index order), 8 bits a pass, skipping the
/// passes where every key has the same digit. O(n) time for 8 passes, O(n) extra space.
fn radix_order(keys: &[u64]) -> Vec<usize> {
    let n = keys.len();
    let mut count = [[0usize; 256]; 8];
    for &k in keys {
        for (p, c) in count.iter_mut().enumerate() {
            c[((k >> (8 * p)) & 0xFF) as usize] += 1;
        }
    }
    let mut idx: Vec<usize> = (0..n).collect();
    let mut cur: Vec<u64> = keys.to_vec();
    let mut tmp_idx = vec![0usize; n];
    let mut tmp_key = vec![0u64; n];
    for (p, c) in count.iter().enumerate() {
        if c.contains(&n) {
            continue;
        }
        let mut start = [0usize; 256];
        let mut acc = 0;
        for (s, &x) in start.iter_mut().zip(c) {
            *s = acc;
            acc += x;
        }
        for (&k, &i) in cur.iter().zip(&idx) {
            let digit = ((k >> (8 * p)) & 0xFF) as usize;
            tmp_key[start[digit]] = k;
            tmp_idx[start[digit]] = i;
            start[digit] += 1;
        }
        std::mem::swap(&mut cur, &mut tmp_key);
        std::mem::swap(&mut idx, &mut tmp_idx);
    }
    idx
}

/// The bins' free space as FFD needs it: the lowest open bin that fits a demand, opening a bin,
/// and taking a demand out of a bin.
trait FitIndex {
    /// The lowest open bin whose residual covers `x` in every dimension.
    fn find(&self, x: &[u64]) -> Option<usize>;
    /// Opens the next bin with the full capacity; returns its number.
    fn open(&mut self) -> usize;
    /// Takes `x` out of bin `b` (which covers it).
    fn take(&mut self, b: usize, x: &[u64]);
}

/// The one-dimensional index: a max segment tree over blocks of [`LEAF_BINS`] bins, covering the
/// opened bins only (grown by doubling). The leftmost leaf whose maximum covers a size holds the
/// first-fit bin, so the descent never backtracks: O(log b + LEAF_BINS) per item.
struct MaxTree {
    /// A power of two.
    leaves: usize,
    /// `node[v]`: the largest residual below node `v` (root 1, leaves at `leaves..2 leaves`).
    node: Vec<u64>,
    /// Residual per bin, `leaves * LEAF_BINS` long; unopened bins hold 0.
    res: Vec<u64>,
    opened: usize,
    cap: u64,
}

impl MaxTree {
    fn new(cap: u64) -> Self {
        Self {
            leaves: 1,
            node: vec![0; 2],
            res: vec![0; LEAF_BINS],
            opened: 0,
            cap,
        }
    }

    fn leaf_max(&self, leaf: usize) -> u64 {
        let block = &self.res[leaf * LEAF_BINS..(leaf + 1) * LEAF_BINS];
        block.iter().copied().max().unwrap_or(0)
    }

    fn grow(&mut self) {
        self.leaves *= 2;
        self.res.resize(self.leaves * LEAF_BINS, 0);
        self.node = vec![0; 2 * self.leaves];
        for leaf in 0..self.leaves {
            self.node[self.leaves + leaf] = self.leaf_max(leaf);
        }
        for v in (1..self.leaves).rev() {
            self.node[v] = self.node[2 * v].max(self.node[2 * v + 1]);
        }
    }
}

impl FitIndex for MaxTree {
    fn find(&self, x: &[u64]) -> Option<usize> {
        let x = x[0];
        if self.node[1] < x {
            return None;
        }
        let mut v = 1;
        while v < self.leaves {
            v *= 2;
            v += usize::from(self.node[v] < x);
        }
        let base = (v - self.leaves) * LEAF_BINS;
        // only a zero size with no bin open reaches a leaf without a fitting bin
        (base..self.opened.min(base + LEAF_BINS)).find(|&b| self.res[b] >= x)
    }

    fn open(&mut self) -> usize {
        if self.opened == self.res.len() {
            self.grow();
        }
        let b = self.opened;
        self.opened += 1;
        self.res[b] = self.cap;
        let mut v = self.leaves + b / LEAF_BINS;
        while v >= 1 && self.node[v] < self.cap {
            self.node[v] = self.cap;
            v /= 2;
        }
        b
    }

    fn take(&mut self, b: usize, x: &[u64]) {
        let old = self.res[b];
        self.res[b] -= x[0];
        let mut v = self.leaves + b / LEAF_BINS;
        // a bin below its leaf's maximum cannot lower it: skip the 16-bin rescan
        if old < self.node[v] || x[0] == 0 {
            return;
        }
        let m = self.leaf_max(b / LEAF_BINS);
        if self.node[v] == m {
            return;
        }
        self.node[v] = m;
        while v > 1 {
            v /= 2;
            let m = self.node[2 * v].max(self.node[2 * v + 1]);
            if self.node[v] == m {
                return;
            }
            self.node[v] = m;
        }
    }
}

/// The index in `d >= 2` dimensions (`D` fixed at compile time for 2 and 3, or 0 for any `d`):
/// a segment tree over blocks of [`LEAF_BINS`] opened bins (grown by doubling) keeping per node,
/// in one flat array with stride `d + 1`, the per-dimension maxima of the residuals below it and
/// the largest residual sum (saturating) of a single bin below it. Both are necessary conditions
/// for a bin below to fit; neither is sufficient, since the maxima may come from different bins,
/// so the leftmost descent backtracks when a leaf scan or both children fail.
///
/// A normalised sum (`sum_k trunc(r_k 2^32 / c_k)`, monotone) and skewed and pairwise sums were
/// tried: they cut the nodes visited per item by 3% only (the bins' residuals are L-shaped, one
/// dimension full, which no convex bound captures) and cost more than they saved (2-D 6.3x the
/// scan's speed against this 8.2x; 3-D 3.6x against 5.0x).
struct VecTree<const D: usize> {
    d: usize,
    leaves: usize,
    node: Vec<u64>,
    /// Bin-major residuals, `leaves * LEAF_BINS * d`; unopened bins hold 0.
    res: Vec<u64>,
    opened: usize,
    cap: Vec<u64>,
}

impl<const D: usize> VecTree<D> {
    fn new(cap: &[u64]) -> Self {
        let d = if D == 0 { cap.len() } else { D };
        Self {
            d,
            leaves: 1,
            node: vec![0; 2 * (d + 1)],
            res: vec![0; LEAF_BINS * d],
            opened: 0,
            cap: cap.to_vec(),
        }
    }

    #[inline(always)]
    fn dims(&self) -> usize {
        if D == 0 { self.d } else { D }
    }

    #[inline(always)]
    fn passes(&self, v: usize, x: &[u64], need: u64) -> bool {
        let d = self.dims();
        let n = &self.node[v * (d + 1)..(v + 1) * (d + 1)];
        n[d] >= need && (0..d).all(|k| n[k] >= x[k])
    }

    /// Recomputes leaf `leaf`'s entry from its bins.
    fn set_leaf(&mut self, leaf: usize) {
        let d = self.dims();
        let s = d + 1;
        let v = self.leaves + leaf;
        let (nodes, res) = (&mut self.node, &self.res);
        let entry = &mut nodes[v * s..(v + 1) * s];
        entry.fill(0);
        for r in res[leaf * LEAF_BINS * d..(leaf + 1) * LEAF_BINS * d].chunks_exact(d) {
            let mut sum = 0u64;
            for k in 0..d {
                entry[k] = entry[k].max(r[k]);
                sum = sum.saturating_add(r[k]);
            }
            entry[d] = entry[d].max(sum);
        }
    }

    /// Recomputes internal node `v` from its children; returns whether it changed.
    fn set_internal(&mut self, v: usize) -> bool {
        let s = self.dims() + 1;
        let mut changed = false;
        for k in 0..s {
            let m = self.node[2 * v * s + k].max(self.node[(2 * v + 1) * s + k]);
            changed |= self.node[v * s + k] != m;
            self.node[v * s + k] = m;
        }
        changed
    }

    fn grow(&mut self) {
        let d = self.dims();
        self.leaves *= 2;
        self.res.resize(self.leaves * LEAF_BINS * d, 0);
        self.node = vec![0; 2 * self.leaves * (d + 1)];
        for leaf in 0..self.leaves {
            self.set_leaf(leaf);
        }
        for v in (1..self.leaves).rev() {
            self.set_internal(v);
        }
    }

    fn update(&mut self, b: usize) {
        let leaf = b / LEAF_BINS;
        self.set_leaf(leaf);
        let mut v = self.leaves + leaf;
        while v > 1 {
            v /= 2;
            if !self.set_internal(v) {
                return;
            }
        }
    }
}

impl<const D: usize> FitIndex for VecTree<D> {
    fn find(&self, x: &[u64]) -> Option<usize> {
        let d = self.dims();
        let x = &x[..d];
        let need = x.iter().fold(0u64, |a, &v| a.saturating_add(v));
        if !self.passes(1, x, need) {
            return None;
        }
        let mut v = 1;
        loop {
            if v >= self.leaves {
                let base = (v - self.leaves) * LEAF_BINS;
                let end = self.opened.min(base + LEAF_BINS);
                let res = &self.res;
                if let Some(b) = (base..end).find(|&b| (0..d).all(|k| res[b * d + k] >= x[k])) {
                    return Some(b);
                }
            } else if self.passes(2 * v, x, need) {
                v *= 2;
                continue;
            } else if self.passes(2 * v + 1, x, need) {
                v = 2 * v + 1;
                continue;
            }
            // backtrack: up to the nearest left child whose right sibling passes
            loop {
                if v == 1 {
                    return None;
                }
                if v % 2 == 0 && self.passes(v + 1, x, need) {
                    v += 1;
                    break;
                }
                v /= 2;
            }
        }
    }

    fn open(&mut self) -> usize {
        let d = self.dims();
        if self.opened * d == self.res.len() {
            self.grow();
        }
        let b = self.opened;
        self.opened += 1;
        self.res[b * d..(b + 1) * d].copy_from_slice(&self.cap);
        self.update(b);
        b
    }

    fn take(&mut self, b: usize, x: &[u64]) {
        let d = self.dims();
        let s = d + 1;
        let v = self.leaves + b / LEAF_BINS;
        let r = &mut self.res[b * d..(b + 1) * d];
        let entry = &self.node[v * s..(v + 1) * s];
        // the leaf's keys only change when this bin held one of them (residuals only shrink)
        let mut held = r.iter().fold(0u64, |a, &y| a.saturating_add(y)) == entry[d];
        for k in 0..d {
            held |= r[k] == entry[k] && x[k] != 0;
        }
        take(r, &x[..d]);
        if held {
            self.update(b);
        }
    }
}

/// First fit over `order` on an index; the bins list their items in placement order.
fn first_fit_with(
    inst: &VbpInstance,
    order: &[usize],
    mut index: impl FitIndex,
) -> Vec<Vec<usize>> {
    let mut bin_of = vec![0usize; inst.len()];
    let mut count: Vec<usize> = Vec::new();
    for &i in order {
        let x = inst.demand(i);
        let b = match index.find(x) {
            Some(b) => b,
            None => {
                count.push(0);
                index.open()
            }
        };
        index.take(b, x);
        count[b] += 1;
        bin_of[i] = b;
    }
    let mut bins: Vec<Vec<usize>> = count.iter().map(|&c| Vec::with_capacity(c)).collect();
    for &i in order {
        bins[bin_of[i]].push(i);
    }
    bins
}

/// First-fit decreasing on an index over the bins' free space.
///
/// Items are sorted by decreasing `measure` of their normalised demand (ties by the lowest
/// index); each goes to the lowest-numbered bin where it fits in every dimension, or opens a new
/// bin.
///
/// The index is a segment tree over the opened bins (grown by doubling), whose leaves are blocks
/// of 16 bins scanned linearly. In one dimension a node keeps the largest residual below it, and
/// the leftmost leaf whose maximum covers the size holds the first-fit bin: no backtracking. In
/// several dimensions a node keeps the per-dimension maxima and the largest single-bin residual
/// sum, both necessary conditions; the descent backtracks when they pass but no bin below fits.
///
/// # Arguments
/// `inst`: the instance; `measure`: the size used for sorting.
///
/// # Returns
/// The packing (identical to [`first_fit_decreasing_scan`]'s).
///
/// # Complexity
/// O(n log n) for the sort, plus per item O(log b + 16) in one dimension and O(d (log b + 16))
/// in several when the maxima guide the descent; the backtracking makes the worst case O(b d)
/// per item, the scan's. O(n + b d) extra space for `b` bins.
///
/// # Example: consolidating four agents' jobs
/// ```
/// use agentsched::placement::vbp::{self, SizeMeasure, VbpInstance};
/// let inst = VbpInstance::new(
///     vec![8, 16], // cores, GiB per host
///     &[vec![4, 4], vec![4, 12], vec![2, 8], vec![2, 2]],
/// )?;
/// let p = vbp::first_fit_decreasing(&inst, SizeMeasure::Sum);
/// assert_eq!(p.hosts(), 2);
/// assert_eq!(p.lower_bound, 2); // memory: 26 / 16
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn first_fit_decreasing(inst: &VbpInstance, measure: SizeMeasure) -> Packing {
    let order = ffd_order(inst, measure);
    match inst.dims() {
        1 => {
            let bins = first_fit_with(inst, &order, MaxTree::new(inst.capacity[0]));
            if inst.is_empty() {
                return Packing::with_bound(inst, bins, 0);
            }
            // The FFD order is by decreasing size (up to float ties), so the bound's sort is
            // mostly done: reverse it, and sort only if a float tie broke the order.
            let mut w: Vec<u64> = order.iter().rev().map(|&i| inst.demand[i]).collect();
            if !w.is_sorted() {
                w.sort_unstable();
            }
            let lb = lower_bound_l1(inst).max(l2_of_sorted(&w, inst.capacity[0]));
            Packing::with_bound(inst, bins, lb)
        }
        2 => Packing::from_bins(
            inst,
            first_fit_with(inst, &order, VecTree::<2>::new(&inst.capacity)),
        ),
        3 => Packing::from_bins(
            inst,
            first_fit_with(inst, &order, VecTree::<3>::new(&inst.capacity)),
        ),
        _ => Packing::from_bins(
            inst,
            first_fit_with(inst, &order, VecTree::<0>::new(&inst.capacity)),
        ),
    }
}

#[cfg(test)]
mod ffd_index_tests {
    use super::*;
    use proptest::prelude::*;

    /// Many bins (several leaves, several doublings), zero demands included, 1 to 5 dimensions
    /// (the 1-D, 2-D, 3-D and any-`d` indexes).
    fn many_bins() -> impl Strategy<Value = VbpInstance> {
        (1usize..6, 1u64..25, 0usize..700, any::<u64>()).prop_map(|(d, cap, n, seed)| {
            let mut s = seed;
            let mut next = move || {
                s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = s;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                z ^ (z >> 31)
            };
            let capacity: Vec<u64> = (0..d).map(|k| cap + k as u64).collect();
            let demand: Vec<u64> = (0..n * d)
                .map(|j| {
                    let c = capacity[j % d];
                    // a skew towards small and zero demands, so bins take many items
                    (next() % (c + 1)) * (next() % 2)
                })
                .collect();
            VbpInstance::from_flat(capacity, demand).unwrap()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn index_ffd_equals_scan_ffd_on_many_bins(inst in many_bins()) {
            for m in [SizeMeasure::Sum, SizeMeasure::Max, SizeMeasure::L2] {
                prop_assert_eq!(ffd_order(&inst, m), decreasing(&inst, &inst.normalised(), m));
                prop_assert_eq!(
                    first_fit_decreasing(&inst, m),
                    first_fit_decreasing_scan(&inst, m)
                );
            }
        }
    }

    #[test]
    fn order_matches_the_float_sort() {
        let inst = VbpInstance::new(
            vec![7, 3],
            &[vec![0, 0], vec![7, 0], vec![0, 3], vec![1, 2]],
        )
        .unwrap();
        for m in [SizeMeasure::Sum, SizeMeasure::Max, SizeMeasure::L2] {
            assert_eq!(
                ffd_order(&inst, m),
                decreasing(&inst, &inst.normalised(), m)
            );
        }
    }

    #[test]
    fn zero_items_share_the_first_bin() {
        let inst = VbpInstance::new(vec![4], &[vec![0], vec![0], vec![4], vec![0]]).unwrap();
        let p = first_fit_decreasing(&inst, SizeMeasure::Sum);
        assert_eq!(p.bins, vec![vec![2, 0, 1, 3]]);
        let inst = VbpInstance::new(vec![4, 4], &[vec![0, 0], vec![0, 0]]).unwrap();
        let p = first_fit_decreasing(&inst, SizeMeasure::Sum);
        assert_eq!(p.bins, vec![vec![0, 1]]);
    }
}

/// First-fit decreasing by scanning every open bin for each item: the textbook version, the
/// baseline of the benchmark and the oracle of [`first_fit_decreasing`].
///
/// # Complexity
/// O(n log n + n b d) time for `b` bins, O(b d) extra space.
///
/// # Example
/// ```
/// use agentsched::placement::vbp::{self, SizeMeasure, VbpInstance};
/// let inst = VbpInstance::new(vec![10], &[vec![3], vec![7], vec![5], vec![5]])?;
/// assert_eq!(
///     vbp::first_fit_decreasing_scan(&inst, SizeMeasure::Sum),
///     vbp::first_fit_decreasing(&inst, SizeMeasure::Sum),
/// );
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn first_fit_decreasing_scan(inst: &VbpInstance, measure: SizeMeasure) -> Packing {
    let d = inst.dims();
    let norm = inst.normalised();
    let order = decreasing(inst, &norm, measure);
    let mut residual: Vec<u64> = Vec::new();
    let mut bins: Vec<Vec<usize>> = Vec::new();
    for &i in &order {
        let x = inst.demand(i);
        let b = (0..bins.len())
            .find(|&b| fits(&residual[b * d..(b + 1) * d], x))
            .unwrap_or(bins.len());
        if b == bins.len() {
            bins.push(Vec::new());
            residual.extend_from_slice(&inst.capacity);
        }
        take(&mut residual[b * d..(b + 1) * d], x);
        bins[b].push(i);
    }
    Packing::from_bins(inst, bins)
}

/// Names of the heuristics, for command lines and the C ABI (kebab-case, as `solve` prints
/// them).
impl Heuristic {
    /// Every heuristic with its name, in the order of [`Heuristic::ALL`].
    pub const NAMES: [(&'static str, Heuristic); 10] = [
        ("ffd", Heuristic::FirstFitDecreasing(SizeMeasure::Sum)),
        ("ffd-max", Heuristic::FirstFitDecreasing(SizeMeasure::Max)),
        ("ffd-l2", Heuristic::FirstFitDecreasing(SizeMeasure::L2)),
        ("bfd", Heuristic::BestFitDecreasing(SizeMeasure::Sum)),
        ("bfd-max", Heuristic::BestFitDecreasing(SizeMeasure::Max)),
        ("bfd-l2", Heuristic::BestFitDecreasing(SizeMeasure::L2)),
        ("dot-product", Heuristic::DotProduct),
        ("l2", Heuristic::L2NormGap),
        ("mbs", Heuristic::MinBinSlack),
        ("bin-completion", Heuristic::BinCompletion),
    ];

    /// The heuristic's name: `ffd`, `ffd-max`, `ffd-l2`, `bfd`, `bfd-max`, `bfd-l2`,
    /// `dot-product`, `l2` (the L2-norm gap), `mbs`, `bin-completion`.
    ///
    /// # Example
    /// ```
    /// use agentsched::placement::vbp::Heuristic;
    /// for h in Heuristic::ALL {
    ///     assert_eq!(Heuristic::by_name(h.name()), Some(h));
    /// }
    /// ```
    pub fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|&&(_, h)| h == self)
            .map_or("?", |&(n, _)| n)
    }

    /// The heuristic of a name of [`Heuristic::name`], or `None`.
    pub fn by_name(name: &str) -> Option<Heuristic> {
        Self::NAMES
            .iter()
            .find(|&&(n, _)| n == name)
            .map(|&(_, h)| h)
    }
}

/// [`best`] under a time limit: [`best_with`] with the default node budget and `limit` as its
/// time limit. `None` is [`best`] itself (deterministic).
///
/// The limit is checked between steps and inside the search: a constructive heuristic or the
/// improvement phase that has started runs to its end, so the call may overrun the limit by one
/// such step (on 10,000 items, FFD takes milliseconds but the bin-centric heuristics and
/// [`improve`] take up to seconds). A result found under a time limit depends on the machine's
/// speed.
///
/// # Example
/// ```
/// use agentsched::placement::vbp::{self, VbpInstance};
/// use std::time::Duration;
/// let inst = VbpInstance::new(vec![10], &[vec![6], vec![4], vec![5], vec![5]])?;
/// let p = vbp::best_within(&inst, Some(Duration::from_millis(50)));
/// assert_eq!(vbp::validate(&inst, &p)?, 2);
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn best_within(inst: &VbpInstance, limit: Option<std::time::Duration>) -> Packing {
    best_with(
        inst,
        &Budget {
            time_limit: limit,
            ..Budget::default()
        },
    )
}

/// Best-fit decreasing: items by decreasing `measure`; each goes to the open bin that it leaves
/// with the smallest `measure` of normalised residual capacity (ties by the lowest bin), or
/// opens a new bin.
///
/// # Complexity
/// O(n log n + n b d) time for `b` bins, O(b d) extra space.
///
/// # Example
/// ```
/// use agentsched::placement::vbp::{self, SizeMeasure, VbpInstance};
/// // FFD puts 2 with 5 and strands 4 and 3; best fit puts 2 with 6.
/// let inst = VbpInstance::new(vec![8], &[vec![5], vec![6], vec![2], vec![3]])?;
/// assert_eq!(vbp::best_fit_decreasing(&inst, SizeMeasure::Sum).hosts(), 2);
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn best_fit_decreasing(inst: &VbpInstance, measure: SizeMeasure) -> Packing {
    let d = inst.dims();
    let norm = inst.normalised();
    let order = decreasing(inst, &norm, measure);
    let cap: Vec<f64> = inst.capacity.iter().map(|&c| c as f64).collect();
    let mut residual: Vec<u64> = Vec::new();
    let mut bins: Vec<Vec<usize>> = Vec::new();
    let mut after = vec![0.0; d];
    for &i in &order {
        let x = inst.demand(i);
        let mut best: Option<(f64, usize)> = None;
        for b in 0..bins.len() {
            let r = &residual[b * d..(b + 1) * d];
            if !fits(r, x) {
                continue;
            }
            for k in 0..d {
                after[k] = (r[k] - x[k]) as f64 / cap[k];
            }
            let s = measure.of(&after);
            if best.is_none_or(|(bs, _)| s < bs) {
                best = Some((s, b));
            }
        }
        let b = match best {
            Some((_, b)) => b,
            None => {
                bins.push(Vec::new());
                residual.extend_from_slice(&inst.capacity);
                bins.len() - 1
            }
        };
        take(&mut residual[b * d..(b + 1) * d], x);
        bins[b].push(i);
    }
    Packing::from_bins(inst, bins)
}

// ---------------------------------------------------------------------------------------------
// Bin-centric heuristics
// ---------------------------------------------------------------------------------------------

/// The dimension weights of Panigrahy et al.: the average normalised demand of each dimension,
/// so that scarce dimensions count more.
fn average_weights(inst: &VbpInstance, norm: &[f64]) -> Vec<f64> {
    let d = inst.dims();
    let mut w = vec![0.0; d];
    for row in norm.chunks_exact(d) {
        for (a, v) in w.iter_mut().zip(row) {
            *a += v;
        }
    }
    let n = inst.len().max(1) as f64;
    w.iter_mut().for_each(|a| *a /= n);
    w
}

/// Bin-centric packing: open a bin, repeatedly put in the fitting unplaced item with the lowest
/// `score(item, normalised residual)` (ties by the lowest index), close the bin when nothing
/// fits.
fn bin_centric(inst: &VbpInstance, score: impl Fn(&[f64], &[f64]) -> f64) -> Packing {
    let d = inst.dims();
    let norm = inst.normalised();
    let cap: Vec<f64> = inst.capacity.iter().map(|&c| c as f64).collect();
    let mut remaining: Vec<usize> = (0..inst.len()).collect();
    let mut bins = Vec::new();
    let mut rnorm = vec![0.0; d];
    while !remaining.is_empty() {
        let mut residual = inst.capacity.clone();
        let mut bin = Vec::new();
        loop {
            for k in 0..d {
                rnorm[k] = residual[k] as f64 / cap[k];
            }
            let mut best: Option<(f64, usize)> = None;
            for (pos, &i) in remaining.iter().enumerate() {
                if !fits(&residual, inst.demand(i)) {
                    continue;
                }
                let s = score(&norm[i * d..(i + 1) * d], &rnorm);
                if best.is_none_or(|(bs, _)| s < bs) {
                    best = Some((s, pos));
                }
            }
            let Some((_, pos)) = best else { break };
            let i = remaining.remove(pos);
            take(&mut residual, inst.demand(i));
            bin.push(i);
        }
        bins.push(bin);
    }
    Packing::from_bins(inst, bins)
}

/// The dot-product heuristic (Panigrahy et al. 2011), bin-centric: fill one bin at a time,
/// each time with the fitting item maximising `sum_k a_k v_k r_k`, where `v` is the item's
/// demand and `r` the bin's residual capacity, both normalised by the capacity, and `a_k` the
/// average normalised demand of dimension `k` over all items.
///
/// R. Panigrahy, K. Talwar, L. Uyeda, U. Wieder, "Heuristics for vector bin packing",
/// Microsoft Research technical report, 2011.
///
/// # Complexity
/// O(n^2 d) time, O(n d) extra space.
///
/// # Example
/// ```
/// use agentsched::placement::vbp::{self, VbpInstance};
/// // CPU-heavy and memory-heavy jobs pair up.
/// let inst = VbpInstance::new(vec![10, 10], &[vec![7, 2], vec![7, 2], vec![2, 7], vec![2, 7]])?;
/// assert_eq!(vbp::dot_product(&inst).hosts(), 2);
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn dot_product(inst: &VbpInstance) -> Packing {
    let a = average_weights(inst, &inst.normalised());
    bin_centric(inst, |v, r| {
        -v.iter()
            .zip(r)
            .zip(&a)
            .map(|((v, r), a)| a * v * r)
            .sum::<f64>()
    })
}

/// The norm-based greedy heuristic with the L2 norm (Panigrahy et al. 2011), bin-centric: fill
/// one bin at a time, each time with the fitting item minimising `sum_k a_k (r_k - v_k)^2`, the
/// weighted squared L2 norm of the residual left after placing it (weights as in
/// [`dot_product`]).
///
/// # Complexity
/// O(n^2 d) time, O(n d) extra space.
///
/// # Example
/// ```
/// use agentsched::placement::vbp::{self, VbpInstance};
/// let inst = VbpInstance::new(vec![10, 10], &[vec![7, 2], vec![7, 2], vec![2, 7], vec![2, 7]])?;
/// assert_eq!(vbp::l2_norm_gap(&inst).hosts(), 2);
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn l2_norm_gap(inst: &VbpInstance) -> Packing {
    let a = average_weights(inst, &inst.normalised());
    bin_centric(inst, |v, r| {
        v.iter()
            .zip(r)
            .zip(&a)
            .map(|((v, r), a)| a * (r - v) * (r - v))
            .sum::<f64>()
    })
}

/// Search nodes per bin for [`min_bin_slack`] in [`best`].
pub const MBS_NODES_PER_BIN: usize = 20_000;

/// Minimum bin slack (Gupta and Ho 1999, the MBS' variant of Fleszar and Hindi 2002),
/// bin-centric: each bin gets the largest unplaced item (by the sum of normalised demands), then
/// the subset of the other unplaced items that fits and leaves the least slack (sum of
/// normalised residual capacity), found by a depth-first search over the items in decreasing
/// order, stopping at zero slack, after `nodes_per_bin` search nodes, or after examining
/// `nodes_per_bin + n` candidates (fitting or not) for the bin (then the best subset found so
/// far).
///
/// J. N. D. Gupta and J. C. Ho, "A new heuristic algorithm for the one-dimensional bin-packing
/// problem", Production Planning & Control 10(6), 1999; K. Fleszar and K. S. Hindi, "New
/// heuristics for one-dimensional bin-packing", Computers & Operations Research 29(7), 2002.
///
/// # Complexity
/// O(n log n + b (n + nodes_per_bin) d) time for `b` bins, O(n d) extra space.
///
/// # Example
/// ```
/// use agentsched::placement::vbp::{self, SizeMeasure, VbpInstance};
/// // Two bins filled exactly: {5, 3, 2}, {4, 4, 2}; FFD needs three.
/// let inst = VbpInstance::new(vec![10], &[vec![5], vec![4], vec![4], vec![3], vec![2], vec![2]])?;
/// assert_eq!(vbp::first_fit_decreasing(&inst, SizeMeasure::Sum).hosts(), 3);
/// assert_eq!(vbp::min_bin_slack(&inst, 1_000).hosts(), 2);
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn min_bin_slack(inst: &VbpInstance, nodes_per_bin: usize) -> Packing {
    let d = inst.dims();
    let norm = inst.normalised();
    let order = decreasing(inst, &norm, SizeMeasure::Sum);
    let size: Vec<f64> = norm.chunks_exact(d).map(|v| v.iter().sum()).collect();
    let mut remaining = order; // decreasing size
    let mut bins = Vec::new();
    while let Some(&first) = remaining.first() {
        let mut residual = inst.capacity.clone();
        take(&mut residual, inst.demand(first));
        let cands: Vec<usize> = remaining[1..].to_vec();
        let mut s = Slack {
            inst,
            size: &size,
            cands: &cands,
            chosen: Vec::new(),
            best: Vec::new(),
            best_slack: d as f64 - size[first],
            nodes: nodes_per_bin,
            // skipped candidates (too large, or repeats) cost a scan step each: without this a
            // node can cost O(n) and one bin O(n * nodes_per_bin)
            scans: nodes_per_bin.saturating_add(cands.len()),
        };
        let start = s.best_slack;
        s.search(0, &mut residual, start);
        let mut bin = vec![first];
        let mut used = vec![false; inst.len()];
        used[first] = true;
        let mut residual = inst.capacity.clone();
        take(&mut residual, inst.demand(first));
        for &c in &s.best {
            bin.push(cands[c]);
            used[cands[c]] = true;
            take(&mut residual, inst.demand(cands[c]));
        }
        // a search stopped early (by the budget, or at zero slack before zero-size items) may
        // leave items that still fit
        for &i in &cands {
            if !used[i] && fits(&residual, inst.demand(i)) {
                take(&mut residual, inst.demand(i));
                bin.push(i);
                used[i] = true;
            }
        }
        remaining.retain(|&i| !used[i]);
        bins.push(bin);
    }
    Packing::from_bins(inst, bins)
}

struct Slack<'a> {
    inst: &'a VbpInstance,
    size: &'a [f64],
    cands: &'a [usize],
    chosen: Vec<usize>,
    best: Vec<usize>,
    best_slack: f64,
    nodes: usize,
    /// Candidates the search may still examine (fitting or not).
    scans: usize,
}

impl Slack<'_> {
    const EXACT: f64 = 1e-12;

    fn search(&mut self, from: usize, residual: &mut [u64], slack: f64) {
        let mut last: Option<&[u64]> = None;
        for c in from..self.cands.len() {
            if self.nodes == 0 || self.scans == 0 || self.best_slack <= Self::EXACT {
                return;
            }
            self.scans -= 1;
            let x = self.inst.demand(self.cands[c]);
            // an item equal to the last one tried here would repeat its subtree
            if !fits(residual, x) || last == Some(x) {
                continue;
            }
            last = Some(x);
            self.nodes -= 1;
            take(residual, x);
            self.chosen.push(c);
            let s = slack - self.size[self.cands[c]];
            // at equal slack, more items (zero-size ones) are better: they need no other bin
            if s < self.best_slack - Self::EXACT
                || (s <= self.best_slack + Self::EXACT && self.chosen.len() > self.best.len())
            {
                self.best_slack = s;
                self.best.clone_from(&self.chosen);
            }
            self.search(c + 1, residual, s);
            self.chosen.pop();
            for (r, v) in residual.iter_mut().zip(x) {
                *r += v;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Improvement and the portfolio
// ---------------------------------------------------------------------------------------------

/// The heuristics of this module, for portfolios and command lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Heuristic {
    /// [`first_fit_decreasing`] with a size measure.
    FirstFitDecreasing(SizeMeasure),
    /// [`best_fit_decreasing`] with a size measure.
    BestFitDecreasing(SizeMeasure),
    /// [`dot_product`].
    DotProduct,
    /// [`l2_norm_gap`].
    L2NormGap,
    /// [`min_bin_slack`] with [`MBS_NODES_PER_BIN`].
    MinBinSlack,
    /// [`completion::bin_completion`] with the default [`Budget`] (deterministic).
    BinCompletion,
}

impl Heuristic {
    /// The constructive heuristics, in the order [`best`] tries them.
    pub const CONSTRUCTIVE: [Heuristic; 9] = [
        Heuristic::FirstFitDecreasing(SizeMeasure::Sum),
        Heuristic::FirstFitDecreasing(SizeMeasure::Max),
        Heuristic::FirstFitDecreasing(SizeMeasure::L2),
        Heuristic::BestFitDecreasing(SizeMeasure::Sum),
        Heuristic::BestFitDecreasing(SizeMeasure::Max),
        Heuristic::BestFitDecreasing(SizeMeasure::L2),
        Heuristic::DotProduct,
        Heuristic::L2NormGap,
        Heuristic::MinBinSlack,
    ];

    /// Every algorithm: [`Heuristic::CONSTRUCTIVE`], then [`Heuristic::BinCompletion`].
    pub const ALL: [Heuristic; 10] = [
        Heuristic::FirstFitDecreasing(SizeMeasure::Sum),
        Heuristic::FirstFitDecreasing(SizeMeasure::Max),
        Heuristic::FirstFitDecreasing(SizeMeasure::L2),
        Heuristic::BestFitDecreasing(SizeMeasure::Sum),
        Heuristic::BestFitDecreasing(SizeMeasure::Max),
        Heuristic::BestFitDecreasing(SizeMeasure::L2),
        Heuristic::DotProduct,
        Heuristic::L2NormGap,
        Heuristic::MinBinSlack,
        Heuristic::BinCompletion,
    ];

    /// Runs the heuristic.
    ///
    /// # Example
    /// ```
    /// use agentsched::placement::vbp::{Heuristic, VbpInstance};
    /// let inst = VbpInstance::new(vec![10], &[vec![6], vec![4], vec![5], vec![5]])?;
    /// for h in Heuristic::ALL {
    ///     assert_eq!(h.run(&inst).hosts(), 2, "{h:?}");
    /// }
    /// # Ok::<(), agentsched::Error>(())
    /// ```
    pub fn run(self, inst: &VbpInstance) -> Packing {
        match self {
            Self::FirstFitDecreasing(m) => first_fit_decreasing(inst, m),
            Self::BestFitDecreasing(m) => best_fit_decreasing(inst, m),
            Self::DotProduct => dot_product(inst),
            Self::L2NormGap => l2_norm_gap(inst),
            Self::MinBinSlack => min_bin_slack(inst, MBS_NODES_PER_BIN),
            Self::BinCompletion => completion::bin_completion(inst, &Budget::default()),
        }
    }
}

/// Bins with their loads, for the improvement phase.
#[derive(Clone)]
struct Bins<'a> {
    inst: &'a VbpInstance,
    cap: Vec<f64>,
    items: Vec<Vec<usize>>,
    /// Row-major residual capacity.
    residual: Vec<u64>,
}

impl<'a> Bins<'a> {
    fn new(inst: &'a VbpInstance, items: Vec<Vec<usize>>) -> Self {
        let d = inst.dims();
        let mut residual = Vec::with_capacity(items.len() * d);
        for bin in &items {
            let mut r = inst.capacity.clone();
            for &i in bin {
                take(&mut r, inst.demand(i));
            }
            residual.extend(r);
        }
        Self {
            inst,
            cap: inst.capacity.iter().map(|&c| c as f64).collect(),
            items,
            residual,
        }
    }

    fn size(&self, i: usize) -> f64 {
        self.inst
            .demand(i)
            .iter()
            .zip(&self.cap)
            .map(|(&x, c)| x as f64 / c)
            .sum()
    }

    fn fill(&self, b: usize) -> f64 {
        self.items[b].iter().map(|&i| self.size(i)).sum()
    }

    fn res(&self, b: usize) -> &[u64] {
        let d = self.inst.dims();
        &self.residual[b * d..(b + 1) * d]
    }

    /// Whether bin `b` can take `add` after giving up `drop`.
    fn fits_after(&self, b: usize, drop: &[usize], add: &[usize]) -> bool {
        let r = self.res(b);
        (0..self.inst.dims()).all(|k| {
            let freed: u64 = drop.iter().map(|&i| self.inst.demand(i)[k]).sum();
            let need: u64 = add.iter().map(|&i| self.inst.demand(i)[k]).sum();
            r[k] + freed >= need
        })
    }

    fn swap(&mut self, b: usize, drop: &[usize], add: &[usize]) {
        let d = self.inst.dims();
        for &i in drop {
            for (r, x) in self.residual[b * d..(b + 1) * d]
                .iter_mut()
                .zip(self.inst.demand(i))
            {
                *r += x;
            }
        }
        for &i in add {
            take(&mut self.residual[b * d..(b + 1) * d], self.inst.demand(i));
        }
        self.items[b].retain(|i| !drop.contains(i));
        self.items[b].extend_from_slice(add);
    }

    /// Whether `items` fit together in one empty bin.
    fn fits_after_empty(&self, items: &[usize]) -> bool {
        (0..self.inst.dims()).all(|k| {
            items.iter().map(|&i| self.inst.demand(i)[k]).sum::<u64>() <= self.inst.capacity[k]
        })
    }

    fn push_bin(&mut self, items: Vec<usize>) {
        let mut r = self.inst.capacity.clone();
        for &i in &items {
            take(&mut r, self.inst.demand(i));
        }
        self.residual.extend(r);
        self.items.push(items);
    }

    fn remove_bin(&mut self, b: usize) -> Vec<usize> {
        let d = self.inst.dims();
        self.residual.drain(b * d..(b + 1) * d);
        self.items.remove(b)
    }
}

/// Strict improvement threshold on normalised fills, so that the search cannot cycle on
/// rounding noise.
const GAIN: f64 = 1e-9;

/// Tries to move every item of the pool into the other bins, by direct insertion and by swaps
/// that raise a bin's fill (1 bin item for 1 pool item, 2 for 1, 1 for 2, 2 for 2), handing the
/// smaller items back to the pool. Returns whether the pool emptied.
fn empty_pool(
    bins: &mut Bins<'_>,
    pool: &mut Vec<usize>,
    max_passes: usize,
    work: &mut u64,
) -> bool {
    for _ in 0..max_passes {
        let mut changed = false;
        for b in 0..bins.items.len() {
            if *work == 0 {
                return pool.is_empty();
            }
            changed |= improve_bin(bins, b, pool, work);
            if pool.is_empty() {
                return true;
            }
        }
        if !changed {
            break;
        }
    }
    pool.is_empty()
}

/// One bin's swaps and insertions against the pool; true when anything moved.
fn improve_bin(bins: &mut Bins<'_>, b: usize, pool: &mut Vec<usize>, work: &mut u64) -> bool {
    let mut changed = false;
    *work = work.saturating_sub(pool.len() as u64 + 1);
    // insertions, largest pool items first
    pool.sort_by(|&x, &y| bins.size(y).total_cmp(&bins.size(x)).then(x.cmp(&y)));
    let mut k = 0;
    while k < pool.len() {
        let p = pool[k];
        if bins.fits_after(b, &[], &[p]) {
            bins.swap(b, &[], &[p]);
            pool.remove(k);
            changed = true;
        } else {
            k += 1;
        }
    }
    // swaps: the first that raises the bin's fill, smallest shapes first
    loop {
        let Some((drop, add)) = find_swap(bins, b, pool, work) else {
            return changed;
        };
        bins.swap(b, &drop, &add);
        pool.retain(|i| !add.contains(i));
        pool.extend_from_slice(&drop);
        changed = true;
    }
}

fn find_swap(
    bins: &Bins<'_>,
    b: usize,
    pool: &[usize],
    work: &mut u64,
) -> Option<(Vec<usize>, Vec<usize>)> {
    let items = &bins.items[b];
    let sz = |s: &[usize]| s.iter().map(|&i| bins.size(i)).sum::<f64>();
    let subsets = |v: &[usize]| {
        let mut out: Vec<Vec<usize>> = v.iter().map(|&i| vec![i]).collect();
        for (x, &i) in v.iter().enumerate() {
            for &j in &v[x + 1..] {
                out.push(vec![i, j]);
            }
        }
        out
    };
    let drops = subsets(items);
    let adds = subsets(pool);
    for drop in &drops {
        let freed = sz(drop);
        if *work == 0 {
            return None;
        }
        *work = work.saturating_sub(adds.len() as u64 + 1);
        for add in &adds {
            if sz(add) > freed + GAIN && bins.fits_after(b, drop, add) {
                return Some((drop.clone(), add.clone()));
            }
        }
    }
    None
}

/// Bins tried per round of [`improve`].
pub const IMPROVE_TARGETS: usize = 16;
/// Attempts (bins tried) per bin of the input in [`improve`]; bounds its running time since
/// neutral moves may go on.
pub const IMPROVE_ATTEMPTS_PER_BIN: usize = 20;
/// Work budget of [`improve`]: candidate moves examined (each a fit test of one swap or
/// insertion), plus the number of items per attempt for copying the bins. Deterministic; about
/// 0.1 s in release builds.
pub const IMPROVE_WORK: u64 = 5_000_000;
/// Passes over the bins per attempt in [`improve`].
pub const IMPROVE_PASSES: usize = 32;

/// The improvement phase: tries to empty the least-filled bins one at a time.
///
/// For each of the [`IMPROVE_TARGETS`] least-filled bins (fill = sum of normalised demands, ties
/// by the lowest bin), its items form a pool; the other bins take pool items directly, or swap
/// one or two of their items for one or two pool items of larger total size that still fit
/// (the first such swap, bin by bin, up to [`IMPROVE_PASSES`] passes; a swap strictly raises a
/// bin's fill, so the search cannot cycle). If the pool empties, the bin is gone and a new round
/// starts; otherwise, if the swaps changed the pool and it still fits one bin, that state is
/// kept (a neutral move: same bin count, fuller other bins), else the attempt is undone. Stops
/// at the lower bound, when no target moves, after [`IMPROVE_ATTEMPTS_PER_BIN`] x bins
/// attempts, or once [`IMPROVE_WORK`] candidate moves have been examined (whichever first).
/// The result never has more bins than the input, and is deterministic.
///
/// After the local search of Levine and Ducatelle, "Ant colony optimization and local search for
/// bin packing and cutting stock problems", JORS 55(7), 2004 (which swaps against a pool of
/// free items in the same way).
///
/// # Arguments
/// `inst`: the instance; `p`: a valid packing of it (e.g. from a heuristic).
///
/// # Returns
/// A packing with at most `p.hosts()` bins.
///
/// # Complexity
/// Per attempt O(passes x sum over bins of (s^2 q^2) d) for bins of `s` items and a pool of `q`
/// items; at most `IMPROVE_TARGETS` attempts per removed bin; in all at most O(IMPROVE_WORK x
/// (s + q) d) whatever the input.
///
/// # Errors
/// [`Error::InvalidInstance`] when `p` is not a valid packing of `inst` (see [`validate`]).
///
/// # Example
/// ```
/// use agentsched::placement::vbp::{self, SizeMeasure, VbpInstance};
/// // FFD: {5, 4}, {4, 3, 2}, {2}; the improvement phase empties the least-filled bin.
/// let inst = VbpInstance::new(vec![10], &[vec![5], vec![4], vec![4], vec![3], vec![2], vec![2]])?;
/// let ffd = vbp::first_fit_decreasing(&inst, SizeMeasure::Sum);
/// assert_eq!(ffd.hosts(), 3);
/// let better = vbp::improve(&inst, &ffd)?;
/// assert_eq!(better.hosts(), 2);
/// assert_eq!(vbp::validate(&inst, &better)?, 2);
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn improve(inst: &VbpInstance, p: &Packing) -> Result<Packing> {
    validate(inst, p)?;
    let lb = lower_bound(inst);
    let mut bins = Bins::new(inst, p.bins.clone());
    let mut attempts = IMPROVE_ATTEMPTS_PER_BIN.saturating_mul(bins.items.len());
    let mut work = IMPROVE_WORK;
    'rounds: while bins.items.len() > lb && work > 0 {
        let mut order: Vec<(f64, usize)> =
            (0..bins.items.len()).map(|b| (bins.fill(b), b)).collect();
        order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for &(_, target) in order.iter().take(IMPROVE_TARGETS) {
            if attempts == 0 {
                break 'rounds;
            }
            attempts -= 1;
            work = work.saturating_sub(inst.len() as u64);
            let mut trial = bins.clone();
            let mut pool = trial.remove_bin(target);
            let mut before = pool.clone();
            if empty_pool(&mut trial, &mut pool, IMPROVE_PASSES, &mut work) {
                bins = trial;
                continue 'rounds;
            }
            // A neutral move: the swaps filled other bins and the smaller leftovers still make
            // one bin, which becomes the next, easier target. The bin count is unchanged.
            before.sort_unstable();
            pool.sort_unstable();
            if pool != before && trial.fits_after_empty(&pool) {
                trial.push_bin(pool);
                bins = trial;
                continue 'rounds;
            }
        }
        break;
    }
    Ok(Packing::with_bound(inst, bins.items, lb))
}

/// The portfolio with the default [`Budget`]: [`best_with`]`(inst, &Budget::default())`.
///
/// Bounded and deterministic: the heuristics, [`improve`] (at most [`IMPROVE_WORK`]) and
/// [`DEFAULT_NODES`](crate::placement::completion::DEFAULT_NODES) nodes of bin completion.
///
/// # Complexity
/// As [`best_with`].
///
/// # Example: consolidating onto the fewest hosts
/// ```
/// use agentsched::placement::vbp::{self, VbpInstance};
/// let inst = VbpInstance::new(
///     vec![16, 64],
///     &[vec![8, 16], vec![4, 40], vec![8, 8], vec![4, 24], vec![2, 30], vec![6, 10]],
/// )?;
/// let p = vbp::best(&inst);
/// assert_eq!(vbp::validate(&inst, &p)?, p.hosts());
/// assert!(p.lower_bound <= p.hosts());
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn best(inst: &VbpInstance) -> Packing {
    best_with(inst, &Budget::default())
}

/// The portfolio: every heuristic of [`Heuristic::CONSTRUCTIVE`], the fewest bins (ties by that
/// order), then [`improve`], then [`completion::bin_completion_from`] within `budget` (skipped
/// when a heuristic already meets the lower bound).
///
/// # Arguments
/// `inst`: the instance; `budget`: the bin completion's nodes, time limit and seed.
///
/// # Returns
/// The packing; `lower_bound` is raised to the optimum when the search proved it, so `gap == 0`
/// means proven optimal.
///
/// # Complexity
/// The heuristics' O(n^2 d) (the bin-centric ones), plus [`improve`]'s bounded work, plus
/// O(`budget.nodes` x d) for the search; `budget.time_limit` caps the whole call's wall time
/// (checked between the steps and inside the search; at least FFD runs).
///
/// # Example: a time limit
/// ```
/// use agentsched::placement::completion::Budget;
/// use agentsched::placement::vbp::{self, VbpInstance};
/// use std::time::Duration;
/// let inst = VbpInstance::new(vec![10], &[vec![5], vec![4], vec![4], vec![3], vec![2], vec![2]])?;
/// let budget = Budget { time_limit: Some(Duration::from_millis(50)), ..Budget::default() };
/// let p = vbp::best_with(&inst, &budget);
/// assert_eq!((p.hosts(), p.gap), (2, 0.0));
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn best_with(inst: &VbpInstance, budget: &Budget) -> Packing {
    let start = std::time::Instant::now();
    let out_of_time = || budget.time_limit.is_some_and(|l| start.elapsed() >= l);
    let mut winner: Option<Packing> = None;
    for h in Heuristic::CONSTRUCTIVE {
        // At least one heuristic (FFD) runs whatever the limit.
        if winner.is_some() && out_of_time() {
            break;
        }
        let p = h.run(inst);
        if winner.as_ref().is_none_or(|w| p.hosts() < w.hosts()) {
            winner = Some(p);
        }
        if winner.as_ref().is_some_and(|w| w.hosts() <= w.lower_bound) {
            break;
        }
    }
    let winner = winner.unwrap_or_else(|| Packing::from_bins(inst, Vec::new()));
    if winner.hosts() <= winner.lower_bound || out_of_time() {
        return winner;
    }
    // the winner comes from a heuristic, so it is valid; keep it if somehow not
    let improved = improve(inst, &winner).unwrap_or(winner);
    if out_of_time() {
        return improved;
    }
    let rest = Budget {
        time_limit: budget.time_limit.map(|l| l.saturating_sub(start.elapsed())),
        ..*budget
    };
    let packed = completion::bin_completion_from(inst, &improved, &rest).unwrap_or(improved);
    repair_one_dimension(inst, packed, budget, start)
}

/// In one dimension, the pairwise repartition search ([`super::repartition`]) for one bin
/// fewer at a time, down to the lower bound, while the budget lasts (a 64th of
/// `budget.nodes` steps per target, the time limit if any). Bin completion misses optima that
/// leave no waste at all (Falkenauer's triplets); this search finds them.
fn repair_one_dimension(
    inst: &VbpInstance,
    mut packed: Packing,
    budget: &Budget,
    start: std::time::Instant,
) -> Packing {
    if inst.dims() != 1 || packed.hosts() <= packed.lower_bound {
        return packed;
    }
    let sizes: Vec<u64> = (0..inst.len()).map(|i| inst.demand(i)[0]).collect();
    let capacity = inst.capacity()[0];
    let deadline = budget.time_limit.and_then(|l| start.checked_add(l));
    let steps = (budget.nodes / 64).max(1_000);
    while packed.hosts() > packed.lower_bound {
        let target = packed.hosts() - 1;
        match super::repartition::pack_into(
            &sizes,
            capacity,
            &packed.bins,
            target,
            steps,
            budget.seed,
            deadline,
        ) {
            Some(bins) => packed = Packing::with_bound(inst, bins, packed.lower_bound),
            None => break,
        }
    }
    packed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_matches_scan_on_a_small_case() {
        let inst = VbpInstance::new(
            vec![10, 10],
            &[
                vec![9, 1],
                vec![1, 9],
                vec![5, 5],
                vec![5, 5],
                vec![2, 8],
                vec![8, 2],
            ],
        )
        .unwrap();
        for m in [SizeMeasure::Sum, SizeMeasure::Max, SizeMeasure::L2] {
            assert_eq!(
                first_fit_decreasing(&inst, m),
                first_fit_decreasing_scan(&inst, m)
            );
        }
    }

    #[test]
    fn errors_name_the_field() {
        let e = VbpInstance::new(vec![10, 0], &[]).unwrap_err();
        assert!(e.to_string().contains("capacity[1]"));
        let e = VbpInstance::new(vec![10, 10], &[vec![1, 1], vec![1]]).unwrap_err();
        assert!(e.to_string().contains("items[1]"));
        let e = VbpInstance::new(vec![u64::MAX], &[vec![u64::MAX], vec![1]]).unwrap_err();
        assert_eq!(
            e,
            Error::Overflow {
                field: "items",
                dimension: 0
            }
        );
        assert!(VbpInstance::new(vec![], &[]).is_err());
    }

    #[test]
    fn l2_textbook_case() {
        // Martello-Toth: L2 beats L1 when large items cannot pair.
        assert_eq!(lower_bound_l2(&[60, 60, 60, 30, 30], 100).unwrap(), 3);
        assert_eq!(lower_bound_l2(&[], 100).unwrap(), 0);
        assert!(lower_bound_l2(&[101], 100).is_err());
    }
}
