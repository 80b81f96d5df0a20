//! Bin completion: a bounded exact search for vector bin packing with a given number of bins.
//!
//! Given a target of `k` bins, every dimension `j` can waste at most
//! `W_j = k * capacity_j - sum_i demand_ij` in total over the bins. The search opens one bin at
//! a time with the largest remaining item and branches on the bin's feasible *completions* (the
//! other items it holds), fullest first, keeping only completions whose waste still fits in what
//! is left of `W`. The bin's first item is the largest remaining one, unless some remaining item
//! has fewer than two completions (fail first: none is a dead end, one a forced move). Korf's
//! dominance prunes the completions: only maximal ones (no other remaining
//! item fits), and none in which one item could be exchanged for a larger remaining item that
//! still fits. In one dimension the Martello–Toth bound L2 of the remaining items must not exceed
//! the bins left. Starting from a heuristic packing of `h` bins, the search tries `k = h - 1`,
//! then lower, until it reaches the lower bound, proves `k` infeasible (then `k + 1` bins are
//! optimal and become the reported bound), or runs out of its half of the [`Budget`] (spent in
//! restarts of doubling size, each after the first breaking ties between completions of equal
//! fill at random). The rest
//! of the budget goes to a large neighbourhood search that repacks a few bins at a time with the
//! same exact search (the least-filled ones and a few random others), into one bin fewer, or
//! into as many when that concentrates the waste.
//!
//! In one dimension the search runs on a histogram of the distinct sizes (counts per size): a
//! bin's completions are multisets over distinct sizes, so equal items never give duplicate
//! branches; the fail-first counts share one suffix-sum table per node; when at most one more
//! item fits, only the largest one that fits is tried (a smaller one is dominated by it).
//!
//! R. E. Korf, "A new algorithm for optimal bin packing", AAAI 2002, and "An improved algorithm
//! for optimal bin packing", IJCAI 2003 (bin completion, dominance); the waste budget as in
//! K. Fleszar and C. Charalambous, "Average-weight-controlled bin-oriented heuristics for the
//! one-dimensional bin-packing problem", EJOR 210(2), 2011.
//!
//! Determinism: items are ordered by decreasing sum of normalised demands, ties by the demand
//! vector (larger first) and then the lowest index; completions by decreasing fill, ties by the
//! items in that order. The restarts and the neighbourhood search draw from a generator seeded by
//! [`Budget::seed`]. The result depends only on the instance and the budget, unless the time
//! limit (if any) stops the search first.

use crate::model::SplitMix64;
use crate::placement::vbp::{self, Packing, SizeMeasure, VbpInstance};
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// How much work [`bin_completion`] may do.
///
/// `nodes` counts units of search work (a step of the enumeration of a bin's completions, a bin
/// opened, and one unit per 32 items scanned); it bounds the running time deterministically,
/// at roughly `nodes x d x 32` elementary steps (the default 1,000,000 nodes: up to about
/// 1 s in release builds on a few hundred items). `time_limit`, if any, stops the search earlier
/// (the result then depends on timing). `seed` drives the restarts and the neighbourhood
/// search's choice of bins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Budget {
    /// Search nodes allowed over the whole run.
    pub nodes: u64,
    /// Wall-clock limit for the whole run, if any.
    pub time_limit: Option<Duration>,
    /// Seed of the neighbourhood search.
    pub seed: u64,
}

/// The default node budget of [`Budget`]: 1,000,000 nodes.
pub const DEFAULT_NODES: u64 = 1_000_000;

impl Budget {
    /// A budget of `nodes` search nodes, no time limit, seed 0: fully deterministic.
    pub fn nodes(nodes: u64) -> Self {
        Self {
            nodes,
            time_limit: None,
            seed: 0,
        }
    }
}

impl Default for Budget {
    /// [`DEFAULT_NODES`] nodes, no time limit, seed 0: deterministic.
    fn default() -> Self {
        Self::nodes(DEFAULT_NODES)
    }
}

/// A completion: the positions (in the search's item order) of one bin's items, the first being
/// the largest remaining item, and its fill.
struct Completion {
    pos: Vec<usize>,
    fill: f64,
}

enum Outcome {
    /// A packing into at most the target number of bins (positions per bin).
    Found(Vec<Vec<usize>>),
    /// The whole tree was searched without truncation: the target is infeasible.
    Infeasible,
    /// Out of budget, or a truncated tree was exhausted: nothing proven.
    Unknown,
}

/// Items per bin the enumeration goes to (its recursion depth).
const MAX_BIN_ITEMS: usize = 256;
/// Completions kept per node; a node with more is truncated (and a failure proves nothing).
const MAX_COMPLETIONS: usize = 256;

/// The search state for one target bin count.
struct Search<'a> {
    d: usize,
    cap: &'a [u64],
    /// Demands by position, row-major.
    dem: Vec<u64>,
    /// Sum of normalised demands by position.
    fill: Vec<f64>,
    used: Vec<bool>,
    remaining: usize,
    waste_left: Vec<u128>,
    bins_left: usize,
    nodes: u64,
    deadline: Option<Instant>,
    ticks: u64,
    stopped: bool,
    truncated: bool,
    fail_first: bool,
    /// Restarts' tie-breaking among completions of equal fill.
    rng: Option<SplitMix64>,
}

/// The items in the search's order: decreasing sum of normalised demands, then decreasing
/// demand vector (so that equal items are adjacent), then the lowest index.
fn search_order(inst: &VbpInstance) -> (Vec<usize>, Vec<f64>) {
    let cap: Vec<f64> = inst.capacity().iter().map(|&c| c as f64).collect();
    let fill: Vec<f64> = (0..inst.len())
        .map(|i| {
            inst.demand(i)
                .iter()
                .zip(&cap)
                .map(|(&x, c)| x as f64 / c)
                .sum()
        })
        .collect();
    let mut order: Vec<usize> = (0..inst.len()).collect();
    order.sort_by(|&a, &b| {
        fill[b]
            .total_cmp(&fill[a])
            .then_with(|| inst.demand(b).cmp(inst.demand(a)))
            .then(a.cmp(&b))
    });
    let fill = order.iter().map(|&i| fill[i]).collect();
    (order, fill)
}

impl<'a> Search<'a> {
    fn new(
        inst: &'a VbpInstance,
        order: &[usize],
        fill: &[f64],
        k: usize,
        nodes: u64,
        deadline: Option<Instant>,
        rng: Option<SplitMix64>,
    ) -> Self {
        let d = inst.dims();
        let mut dem = Vec::with_capacity(order.len() * d);
        let mut sum = vec![0u128; d];
        for &i in order {
            dem.extend_from_slice(inst.demand(i));
            for (s, &x) in sum.iter_mut().zip(inst.demand(i)) {
                *s += u128::from(x);
            }
        }
        let waste_left = inst
            .capacity()
            .iter()
            .zip(&sum)
            .map(|(&c, &s)| (k as u128 * u128::from(c)).saturating_sub(s))
            .collect();
        Self {
            d,
            cap: inst.capacity(),
            dem,
            fill: fill.to_vec(),
            used: vec![false; order.len()],
            remaining: order.len(),
            waste_left,
            bins_left: k,
            nodes,
            deadline,
            ticks: 0,
            stopped: false,
            truncated: false,
            fail_first: true,
            rng,
        }
    }

    fn dem(&self, p: usize) -> &[u64] {
        &self.dem[p * self.d..(p + 1) * self.d]
    }

    /// Counts a node; false once the budget or the time is spent.
    fn tick(&mut self) -> bool {
        self.charge(1)
    }

    /// Counts `units` nodes of work.
    fn charge(&mut self, units: u64) -> bool {
        if self.stopped {
            return false;
        }
        if self.nodes < units {
            self.nodes = 0;
            self.stopped = true;
            return false;
        }
        self.nodes -= units;
        let before = self.ticks;
        self.ticks += units;
        if self.ticks / 1024 != before / 1024 && self.deadline.is_some_and(|t| Instant::now() >= t)
        {
            self.stopped = true;
            return false;
        }
        true
    }

    fn waste_ok(&self, r: &[u64]) -> bool {
        r.iter()
            .zip(&self.waste_left)
            .all(|(&x, &w)| u128::from(x) <= w)
    }

    /// Lower bound on the bins the remaining items need (L2 in one dimension).
    fn remaining_bound(&self) -> usize {
        if self.d != 1 {
            return 0; // the waste budget already enforces the volume bound
        }
        let sizes: Vec<u64> = (0..self.used.len())
            .filter(|&p| !self.used[p])
            .map(|p| self.dem[p])
            .collect();
        vbp::lower_bound_l2(&sizes, self.cap[0]).unwrap_or(0)
    }

    fn apply(&mut self, pos: &[usize]) {
        let mut r = self.cap.to_vec();
        for &p in pos {
            self.used[p] = true;
            for (x, &v) in r.iter_mut().zip(&self.dem[p * self.d..(p + 1) * self.d]) {
                *x -= v;
            }
        }
        for (w, &x) in self.waste_left.iter_mut().zip(&r) {
            *w -= u128::from(x);
        }
        self.remaining -= pos.len();
        self.bins_left -= 1;
    }

    fn undo(&mut self, pos: &[usize]) {
        let mut r = self.cap.to_vec();
        for &p in pos {
            self.used[p] = false;
            for (x, &v) in r.iter_mut().zip(&self.dem[p * self.d..(p + 1) * self.d]) {
                *x -= v;
            }
        }
        for (w, &x) in self.waste_left.iter_mut().zip(&r) {
            *w += u128::from(x);
        }
        self.remaining += pos.len();
        self.bins_left += 1;
    }

    /// The completions of a bin opened with the largest remaining item, fullest first.
    /// The completions of a bin holding the item at position `pivot`, at most `limit` of them.
    fn enumerate(&mut self, pivot: usize, limit: usize) -> (Vec<usize>, Vec<Vec<usize>>) {
        let d = self.d;
        let mut r: Vec<u64> = self
            .cap
            .iter()
            .zip(self.dem(pivot))
            .map(|(c, x)| c - x)
            .collect();
        // building the candidates scans every item: charge it so that the budget bounds the time
        self.charge(1 + self.used.len() as u64 / 32);
        let cands: Vec<usize> = (0..self.used.len())
            .filter(|&p| p != pivot && !self.used[p] && fits(&r, self.dem(p)))
            .collect();
        // suffix sums and minima per dimension over the candidates
        let m = cands.len();
        let mut sufsum = vec![0u128; (m + 1) * d];
        let mut sufmin = vec![u64::MAX; (m + 1) * d];
        for i in (0..m).rev() {
            for k in 0..d {
                let x = self.dem[cands[i] * d + k];
                sufsum[i * d + k] = sufsum[(i + 1) * d + k] + u128::from(x);
                sufmin[i * d + k] = sufmin[(i + 1) * d + k].min(x);
            }
        }
        let mut e = Enumerate {
            s: self,
            cands: &cands,
            sufsum: &sufsum,
            sufmin: &sufmin,
            chosen: Vec::new(),
            out: Vec::new(),
            limit,
        };
        e.go(0, &mut r, u64::MAX);
        let out = e.out;
        (cands, out)
    }

    /// The bin to open next and its completions, fullest first. The bin holds the remaining
    /// item with the fewest completions when one has fewer than two (fail first: none means a
    /// dead end, one a forced move), else the largest remaining item.
    fn completions(&mut self) -> Vec<Completion> {
        let Some(largest) = self.used.iter().position(|&u| !u) else {
            return Vec::new();
        };
        let mut first = largest;
        if self.fail_first {
            let mut fewest = usize::MAX;
            let mut last: Option<usize> = None;
            for p in largest..self.used.len() {
                if self.used[p] || last.is_some_and(|l| self.dem(l) == self.dem(p)) {
                    continue;
                }
                last = Some(p);
                let count = self.enumerate(p, 2).1.len();
                if self.stopped {
                    return Vec::new();
                }
                if count < fewest && count < 2 {
                    fewest = count;
                    first = p;
                    if count == 0 {
                        return Vec::new();
                    }
                }
            }
        }
        let (cands, found) = self.enumerate(first, usize::MAX);
        let out: Vec<Completion> = found
            .into_iter()
            .map(|chosen| {
                let mut pos = Vec::with_capacity(chosen.len() + 1);
                pos.push(first);
                pos.extend(chosen.iter().map(|&c| cands[c]));
                let fill = pos.iter().map(|&p| self.fill[p]).sum();
                Completion { pos, fill }
            })
            .collect();
        // fullest first (fills equal to 1e-9 tie); among equal fills the restart's random key
        // (none on the first run), then the larger items
        let mut keyed: Vec<(i64, u64, Completion)> = out
            .into_iter()
            .map(|c| {
                let key = self.rng.as_mut().map_or(0, SplitMix64::next);
                ((c.fill * 1e9).round() as i64, key, c)
            })
            .collect();
        keyed.sort_by(|a, b| {
            b.0.cmp(&a.0)
                .then(a.1.cmp(&b.1))
                .then_with(|| a.2.pos.cmp(&b.2.pos))
        });
        let mut out: Vec<Completion> = keyed.into_iter().map(|k| k.2).collect();
        if out.len() > MAX_COMPLETIONS {
            out.truncate(MAX_COMPLETIONS);
            self.truncated = true;
        }
        out
    }

    fn run(&mut self) -> Outcome {
        if self.remaining == 0 {
            return Outcome::Found(Vec::new());
        }
        let mut stack: Vec<(Vec<Completion>, usize)> = Vec::new();
        let mut applied: Vec<Vec<usize>> = Vec::new();
        let root = self.completions();
        if self.stopped {
            return Outcome::Unknown;
        }
        stack.push((root, 0));
        loop {
            if applied.len() == stack.len() {
                if let Some(pos) = applied.pop() {
                    self.undo(&pos);
                }
            }
            let Some((comps, next)) = stack.last_mut() else {
                return if self.truncated {
                    Outcome::Unknown
                } else {
                    Outcome::Infeasible
                };
            };
            let Some(c) = comps.get(*next) else {
                stack.pop();
                continue;
            };
            *next += 1;
            let pos = c.pos.clone();
            self.apply(&pos);
            applied.push(pos);
            if self.remaining == 0 {
                return Outcome::Found(applied);
            }
            if !self.tick() {
                return Outcome::Unknown;
            }
            if self.bins_left == 0 || self.remaining_bound() > self.bins_left {
                continue;
            }
            let comps = self.completions();
            if self.stopped {
                return Outcome::Unknown;
            }
            stack.push((comps, 0));
        }
    }
}

fn fits(r: &[u64], x: &[u64]) -> bool {
    r.iter().zip(x).all(|(r, x)| r >= x)
}

/// The depth-first enumeration of one bin's completions.
struct Enumerate<'s, 'a, 'c> {
    s: &'s mut Search<'a>,
    cands: &'c [usize],
    sufsum: &'c [u128],
    sufmin: &'c [u64],
    /// Indices into `cands`, increasing.
    chosen: Vec<usize>,
    out: Vec<Vec<usize>>,
    /// Stop after this many completions.
    limit: usize,
}

impl Enumerate<'_, '_, '_> {
    fn dem(&self, c: usize) -> &[u64] {
        self.s.dem(self.cands[c])
    }

    /// No unchosen candidate fits the residual `r`.
    fn maximal(&self, r: &[u64], with: Option<usize>) -> bool {
        let chosen = |c: usize| with == Some(c) || self.chosen.binary_search(&c).is_ok();
        if self.s.d == 1 {
            // one dimension, decreasing order: the smallest unchosen candidate decides
            return (0..self.cands.len())
                .rev()
                .find(|&c| !chosen(c))
                .is_none_or(|c| self.dem(c)[0] > r[0]);
        }
        (0..self.cands.len()).all(|c| chosen(c) || !fits(r, self.dem(c)))
    }

    /// No chosen item can be exchanged for a larger (componentwise, different) unchosen one
    /// that still fits: Korf's dominance restricted to one-for-one exchanges.
    fn undominated(&self, r: &[u64], with: Option<usize>) -> bool {
        let chosen = |c: usize| with == Some(c) || self.chosen.binary_search(&c).is_ok();
        let mut all: Vec<usize> = self.chosen.clone();
        all.extend(with);
        for &y in &all {
            let yv = self.dem(y);
            if self.s.d == 1 {
                // larger candidates come before y; stop once past y + r
                for z in (0..y).rev() {
                    let zv = self.dem(z)[0];
                    if zv > yv[0] + r[0] {
                        break;
                    }
                    if zv > yv[0] && !chosen(z) {
                        return false;
                    }
                }
            } else {
                for z in 0..self.cands.len() {
                    let zv = self.dem(z);
                    if !chosen(z)
                        && zv != yv
                        && zv
                            .iter()
                            .zip(yv)
                            .zip(r)
                            .all(|((&a, &b), &f)| a >= b && a - b <= f)
                    {
                        return false;
                    }
                }
            }
        }
        true
    }

    fn record(&mut self, r: &[u64], with: Option<usize>) {
        if self.s.waste_ok(r) && self.maximal(r, with) && self.undominated(r, with) {
            let mut set = self.chosen.clone();
            set.extend(with);
            self.out.push(set);
        }
    }

    /// Extends the chosen set with candidates from `i` on; `below` (one dimension) is the
    /// smallest candidate skipped so far that fit: the final residual must be smaller.
    fn go(&mut self, i: usize, r: &mut [u64], below: u64) {
        if self.out.len() >= self.limit || !self.s.tick() {
            return;
        }
        if self.chosen.len() >= MAX_BIN_ITEMS {
            // keeps the recursion shallow; such bins are left to the heuristics
            self.s.truncated = true;
            return;
        }
        let d = self.s.d;
        self.record(r, None);
        // enough left to reach the waste budget in every dimension?
        for (k, (&rk, &w)) in r.iter().zip(&self.s.waste_left).enumerate() {
            if self.sufsum[i * d + k] < u128::from(rk).saturating_sub(w) {
                return;
            }
        }
        if d == 1 && u128::from(r[0]) >= u128::from(below) + self.sufsum[i] {
            return;
        }
        // at most one more item fits: scan instead of recursing
        let one_more = (0..d).any(|k| u128::from(r[k]) < 2 * u128::from(self.sufmin[i * d + k]));
        let mut last: Option<usize> = None;
        let mut below = below;
        let start = if d == 1 {
            i + self.cands[i..].partition_point(|&p| self.s.dem[p] > r[0])
        } else {
            i
        };
        for c in start..self.cands.len() {
            if !fits(r, self.dem(c)) {
                continue;
            }
            if last.is_some_and(|l| self.dem(l) == self.dem(c)) {
                continue;
            }
            if d == 1 {
                let x = self.dem(c)[0];
                // the rest are no larger: can they still bring the residual below `below`?
                if u128::from(r[0]) >= u128::from(below) + self.sufsum[c] {
                    break;
                }
                if one_more && u128::from(r[0] - x) > self.s.waste_left[0] {
                    // too small to meet the waste budget alone, and so are all the rest
                    break;
                }
            }
            last = Some(c);
            if one_more {
                if !self.s.tick() {
                    return;
                }
                let after: Vec<u64> = r.iter().zip(self.dem(c)).map(|(a, b)| a - b).collect();
                if d != 1 || after[0] < below {
                    self.record(&after, Some(c));
                }
                if self.out.len() >= self.limit {
                    return;
                }
            } else {
                let p = self.cands[c];
                for (rk, &x) in r.iter_mut().zip(&self.s.dem[p * d..(p + 1) * d]) {
                    *rk -= x;
                }
                self.chosen.push(c);
                self.go(c + 1, r, below);
                self.chosen.pop();
                for (rk, &x) in r.iter_mut().zip(&self.s.dem[p * d..(p + 1) * d]) {
                    *rk += x;
                }
                if self.s.stopped || self.out.len() >= self.limit {
                    return;
                }
            }
            if d == 1 {
                below = below.min(self.dem(c)[0]);
            }
        }
    }
}

/// A 1-D completion: `(size index, multiplicity)` pairs by increasing index (decreasing size),
/// the pivot's size included, and the bin's residual.
struct Completion1 {
    parts: Vec<(usize, u64)>,
    residual: u64,
}

/// The one-dimensional search, on a histogram of the distinct positive sizes: a bin's
/// completions are multisets over the distinct sizes (no duplicate combinations of equal
/// items), and the counts, the maximality and dominance tests and the bounds cost O(distinct
/// sizes) rather than O(items). Zero sizes are left out and join the first bin at the end.
struct Search1 {
    cap: u64,
    /// Distinct positive sizes, decreasing.
    size: Vec<u64>,
    /// Remaining items per size.
    cnt: Vec<u64>,
    /// Search positions per size (popped when a solution is rebuilt).
    pos: Vec<Vec<usize>>,
    zeros: Vec<usize>,
    remaining: u64,
    waste_left: u128,
    bins_left: usize,
    nodes: u64,
    deadline: Option<Instant>,
    ticks: u64,
    stopped: bool,
    truncated: bool,
    rng: Option<SplitMix64>,
}

impl Search1 {
    fn new(
        inst: &VbpInstance,
        order: &[usize],
        k: usize,
        nodes: u64,
        deadline: Option<Instant>,
        rng: Option<SplitMix64>,
    ) -> Self {
        let cap = inst.capacity()[0];
        let (mut size, mut cnt, mut pos, mut zeros) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut sum = 0u128;
        // `order` is by decreasing size in one dimension, so equal sizes are adjacent
        for (p, &i) in order.iter().enumerate() {
            let x = inst.demand(i)[0];
            sum += u128::from(x);
            if x == 0 {
                zeros.push(p);
            } else if size.last() == Some(&x) {
                if let (Some(c), Some(l)) = (cnt.last_mut(), pos.last_mut()) {
                    *c += 1;
                    Vec::push(l, p);
                }
            } else {
                size.push(x);
                cnt.push(1);
                pos.push(vec![p]);
            }
        }
        let remaining = cnt.iter().sum();
        Self {
            cap,
            size,
            cnt,
            pos,
            zeros,
            remaining,
            waste_left: (k as u128 * u128::from(cap)).saturating_sub(sum),
            bins_left: k,
            nodes,
            deadline,
            ticks: 0,
            stopped: false,
            truncated: false,
            rng,
        }
    }

    /// Counts `units` nodes of work; false once the budget or the time is spent.
    fn charge(&mut self, units: u64) -> bool {
        if self.stopped {
            return false;
        }
        if self.nodes < units {
            self.nodes = 0;
            self.stopped = true;
            return false;
        }
        self.nodes -= units;
        let before = self.ticks;
        self.ticks += units;
        if self.ticks / 1024 != before / 1024 && self.deadline.is_some_and(|t| Instant::now() >= t)
        {
            self.stopped = true;
            return false;
        }
        true
    }

    /// Martello–Toth L2 of the remaining items, from the histogram.
    fn remaining_bound(&mut self) -> usize {
        let sizes: Vec<u64> = self
            .size
            .iter()
            .zip(&self.cnt)
            .flat_map(|(&s, &c)| std::iter::repeat_n(s, c as usize))
            .collect();
        self.charge(1 + sizes.len() as u64 / 32);
        vbp::lower_bound_l2(&sizes, self.cap).unwrap_or(0)
    }

    fn apply(&mut self, c: &Completion1) {
        for &(j, t) in &c.parts {
            self.cnt[j] -= t;
            self.remaining -= t;
        }
        self.waste_left -= u128::from(c.residual);
        self.bins_left -= 1;
    }

    fn undo(&mut self, c: &Completion1) {
        for &(j, t) in &c.parts {
            self.cnt[j] += t;
            self.remaining += t;
        }
        self.waste_left += u128::from(c.residual);
        self.bins_left += 1;
    }

    /// The completions of a bin holding one item of size index `p`, at most `limit` of them
    /// (the residual and the parts after the pivot).
    fn enumerate(&mut self, p: usize, limit: usize, suf: &[u128]) -> Vec<(Vec<(usize, u64)>, u64)> {
        self.cnt[p] -= 1;
        let mut e = Enum1 {
            s: self,
            suf,
            pivot: p,
            chosen: Vec::new(),
            out: Vec::new(),
            limit,
        };
        let r = e.s.cap - e.s.size[p];
        e.go(0, r, u64::MAX);
        let out = e.out;
        self.cnt[p] += 1;
        out
    }

    /// The bin to open next and its completions, fullest first: fail first (the size with
    /// fewer than two completions, none being a dead end), else the largest remaining size.
    fn completions(&mut self) -> Vec<Completion1> {
        let Some(largest) = self.cnt.iter().position(|&c| c > 0) else {
            return Vec::new();
        };
        let m = self.size.len();
        // suffix sums of the remaining sizes, shared by every pivot's enumeration
        let mut suf = vec![0u128; m + 1];
        for j in (0..m).rev() {
            suf[j] = suf[j + 1] + u128::from(self.size[j]) * u128::from(self.cnt[j]);
        }
        self.charge(1 + m as u64 / 32);
        let mut first = largest;
        let mut fewest = usize::MAX;
        for p in largest..m {
            if self.cnt[p] == 0 {
                continue;
            }
            let count = self.enumerate(p, FAIL_FIRST_LIMIT, &suf).len();
            if self.stopped {
                return Vec::new();
            }
            if count < fewest && count < FAIL_FIRST_LIMIT {
                fewest = count;
                first = p;
                if count == 0 {
                    return Vec::new();
                }
            }
        }
        let found = self.enumerate(first, usize::MAX, &suf);
        let mut keyed: Vec<(u64, u64, Completion1)> = found
            .into_iter()
            .map(|(rest, residual)| {
                let key = self.rng.as_mut().map_or(0, SplitMix64::next);
                let mut parts = Vec::with_capacity(rest.len() + 1);
                parts.push((first, 1));
                parts.extend(rest);
                (residual, key, Completion1 { parts, residual })
            })
            .collect();
        // fullest first; among equal fills the restart's random key (none on the first run),
        // then the larger items
        keyed.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then(a.1.cmp(&b.1))
                .then_with(|| a.2.parts.cmp(&b.2.parts))
        });
        let mut out: Vec<Completion1> = keyed.into_iter().map(|k| k.2).collect();
        if out.len() > MAX_COMPLETIONS {
            out.truncate(MAX_COMPLETIONS);
            self.truncated = true;
        }
        out
    }

    /// Bins as search positions.
    fn rebuild(&mut self, applied: &[Completion1]) -> Vec<Vec<usize>> {
        let mut bins: Vec<Vec<usize>> = applied
            .iter()
            .map(|c| {
                let mut bin = Vec::new();
                for &(j, t) in &c.parts {
                    for _ in 0..t {
                        bin.extend(self.pos[j].pop());
                    }
                }
                bin
            })
            .collect();
        if !self.zeros.is_empty() {
            match bins.first_mut() {
                Some(b) => b.append(&mut self.zeros),
                None => bins.push(std::mem::take(&mut self.zeros)),
            }
        }
        bins
    }

    fn run(&mut self) -> Outcome {
        if self.remaining == 0 {
            return Outcome::Found(self.rebuild(&[]));
        }
        let mut stack: Vec<(Vec<Completion1>, usize)> = Vec::new();
        let mut applied: Vec<Completion1> = Vec::new();
        if self.remaining_bound() > self.bins_left {
            return Outcome::Infeasible;
        }
        let root = self.completions();
        if self.stopped {
            return Outcome::Unknown;
        }
        stack.push((root, 0));
        loop {
            if applied.len() == stack.len() {
                if let Some(c) = applied.pop() {
                    self.undo(&c);
                }
            }
            let Some((comps, next)) = stack.last_mut() else {
                return if self.truncated {
                    Outcome::Unknown
                } else {
                    Outcome::Infeasible
                };
            };
            let Some(c) = comps.get(*next) else {
                stack.pop();
                continue;
            };
            *next += 1;
            let c = Completion1 {
                parts: c.parts.clone(),
                residual: c.residual,
            };
            self.apply(&c);
            applied.push(c);
            if self.remaining == 0 {
                return Outcome::Found(self.rebuild(&applied));
            }
            if !self.charge(1) {
                return Outcome::Unknown;
            }
            if self.bins_left == 0 || self.remaining_bound() > self.bins_left {
                continue;
            }
            let comps = self.completions();
            if self.stopped {
                return Outcome::Unknown;
            }
            stack.push((comps, 0));
        }
    }
}

/// Completions counted per size by the fail-first rule: fewer is a forced move or a dead end.
const FAIL_FIRST_LIMIT: usize = 2;

/// The depth-first enumeration of one bin's completions over the histogram.
struct Enum1<'s, 'c> {
    s: &'s mut Search1,
    /// `suf[j]` = total size of the remaining items of size index `j` and beyond, the pivot
    /// included (see [`Enum1::suf`]).
    suf: &'c [u128],
    pivot: usize,
    chosen: Vec<(usize, u64)>,
    out: Vec<(Vec<(usize, u64)>, u64)>,
    limit: usize,
}

impl Enum1<'_, '_> {
    /// Total size of the remaining items of size index `j` and beyond, the pivot excluded.
    fn suf(&self, j: usize) -> u128 {
        let pivot = if j <= self.pivot {
            u128::from(self.s.size[self.pivot])
        } else {
            0
        };
        self.suf[j] - pivot
    }

    /// Copies of size index `j` not in the bin.
    fn spare(&self, j: usize) -> u64 {
        let used = self
            .chosen
            .iter()
            .find(|&&(c, _)| c == j)
            .map_or(0, |&(_, t)| t);
        self.s.cnt[j] - used
    }

    /// No chosen size can be exchanged for a larger spare one that still fits (Korf's
    /// dominance, one for one).
    fn undominated(&self, r: u64) -> bool {
        for &(j, _) in &self.chosen {
            let y = self.s.size[j];
            for z in (0..j).rev() {
                if self.s.size[z] - y > r {
                    break;
                }
                if self.spare(z) > 0 {
                    return false;
                }
            }
        }
        true
    }

    /// Extends the bin with sizes from index `i` on, residual `r`; `below` is the smallest size
    /// before `i` with a spare copy: a maximal bin's final residual is smaller.
    fn go(&mut self, i: usize, r: u64, below: u64) {
        if self.out.len() >= self.limit || !self.s.charge(1) {
            return;
        }
        if self.chosen.len() >= MAX_BIN_ITEMS {
            self.s.truncated = true;
            return;
        }
        let m = self.s.size.len();
        let w = self.s.waste_left;
        // the smallest remaining size at `i` or beyond
        let smallest = (i..m)
            .rev()
            .find(|&j| self.s.cnt[j] > 0)
            .map_or(u64::MAX, |j| self.s.size[j]);
        if u128::from(r) <= w && r < below && r < smallest && self.undominated(r) {
            self.out.push((self.chosen.clone(), r));
            if self.out.len() >= self.limit {
                return;
            }
        }
        let start = i + self.s.size[i.min(m)..].partition_point(|&x| x > r);
        // at most one more item fits
        let one_more = u128::from(r) < 2 * u128::from(smallest);
        let mut below = below;
        for j in start..m {
            let c = self.s.cnt[j];
            if c == 0 {
                continue;
            }
            let rr = u128::from(r);
            // the rest together cannot bring the residual below `below`, or within the waste
            if rr >= u128::from(below) + self.suf(j) || rr > w + self.suf(j) {
                return;
            }
            let x = self.s.size[j];
            let most = c.min(r / x);
            for t in (1..=most).rev() {
                let after = r - t * x;
                if u128::from(after) > w + self.suf(j + 1) {
                    break; // fewer copies leave even more
                }
                self.chosen.push((j, t));
                self.go(j + 1, after, if t < c { x } else { below });
                self.chosen.pop();
                if self.s.stopped || self.out.len() >= self.limit {
                    return;
                }
            }
            if one_more {
                // a smaller last item would be dominated by this one (it fits instead)
                return;
            }
            below = x;
        }
    }
}

/// One exact search for `k` bins: the histogram search in one dimension, the general one
/// otherwise. Returns the outcome (bins as positions in `order`) and the nodes left.
fn search(
    inst: &VbpInstance,
    order: &[usize],
    fill: &[f64],
    k: usize,
    nodes: u64,
    deadline: Option<Instant>,
    rng: Option<SplitMix64>,
) -> (Outcome, u64) {
    if inst.dims() == 1 {
        let mut s = Search1::new(inst, order, k, nodes, deadline, rng);
        let outcome = s.run();
        (outcome, s.nodes)
    } else {
        let mut s = Search::new(inst, order, fill, k, nodes, deadline, rng);
        let outcome = s.run();
        (outcome, s.nodes)
    }
}

fn to_packing(inst: &VbpInstance, bins: Vec<Vec<usize>>, lower_bound: usize) -> Packing {
    let mut assignment = vec![0; inst.len()];
    for (b, items) in bins.iter().enumerate() {
        for &i in items {
            assignment[i] = b;
        }
    }
    let gap = if lower_bound == 0 {
        0.0
    } else {
        (bins.len() as f64 - lower_bound as f64) / lower_bound as f64
    };
    Packing {
        bins,
        assignment,
        lower_bound,
        gap,
    }
}

/// Bin completion from the better of first-fit decreasing and minimum bin slack.
///
/// Runs [`vbp::first_fit_decreasing`] (sum of normalised demands) and [`vbp::min_bin_slack`],
/// then [`bin_completion_from`] on the one with fewer bins.
///
/// # Arguments
/// `inst`: the instance; `budget`: nodes, time limit and seed of the search.
///
/// # Returns
/// A valid packing. Its `lower_bound` is the instance's [`vbp::lower_bound`], raised to the
/// optimum when the search proved a smaller count infeasible: `gap == 0` means proven optimal.
///
/// # Complexity
/// The heuristics' time plus O(`budget.nodes` x 32 d) for the search (see [`Budget`]), bounded
/// further by `budget.time_limit`. O(n d + depth x completions) extra
/// space.
///
/// # Example: triplets that first fit cannot find
/// ```
/// use agentsched::placement::completion::{self, Budget};
/// use agentsched::placement::vbp::{self, SizeMeasure, VbpInstance};
/// // Four bins of 100 filled exactly by {45, 30, 25}, {44, 31, 25}, {42, 29, 29}, {40, 34, 26}.
/// let sizes = [45, 30, 25, 44, 31, 25, 42, 29, 29, 40, 34, 26];
/// let items: Vec<Vec<u64>> = sizes.iter().map(|&s| vec![s]).collect();
/// let inst = VbpInstance::new(vec![100], &items)?;
/// assert_eq!(vbp::first_fit_decreasing(&inst, SizeMeasure::Sum).hosts(), 5);
/// let p = completion::bin_completion(&inst, &Budget::nodes(10_000));
/// assert_eq!(vbp::validate(&inst, &p)?, 4);
/// assert_eq!(p.gap, 0.0); // proven optimal
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn bin_completion(inst: &VbpInstance, budget: &Budget) -> Packing {
    let ffd = vbp::first_fit_decreasing(inst, SizeMeasure::Sum);
    let mbs = vbp::min_bin_slack(inst, vbp::MBS_NODES_PER_BIN);
    let start = if mbs.hosts() < ffd.hosts() { mbs } else { ffd };
    complete(inst, start, budget)
}

/// Bin completion from a given packing: tries to pack into fewer bins than `start`, down to the
/// lower bound, within `budget`.
///
/// Half the node budget goes to the exact search on the whole instance (targets
/// `start.hosts() - 1` and down, in runs of 20,000 nodes doubling at every restart, the restarts
/// ordering completions of equal fill at random); the rest to a large neighbourhood search: release the 8
/// least-filled bins and 1 to 4 others drawn by a generator seeded with `budget.seed`, repack
/// their items exactly (a sub-search of at most 20,000 nodes) into one bin fewer, or else into as
/// many bins when that concentrates the waste (larger sum of squared loads).
///
/// # Arguments
/// `inst`: the instance; `start`: a valid packing of it; `budget`: as in [`bin_completion`].
///
/// # Returns
/// A packing with at most `start.hosts()` bins; `lower_bound` as in [`bin_completion`].
///
/// # Complexity
/// O(`budget.nodes` x 32 d) time (see [`Budget`]), O(n d + depth x completions) extra space.
///
/// # Errors
/// [`crate::Error::InvalidInstance`] when `start` is not a valid packing of `inst` (see
/// [`vbp::validate`]).
///
/// # Example
/// ```
/// use agentsched::placement::completion::{self, Budget};
/// use agentsched::placement::vbp::{self, SizeMeasure, VbpInstance};
/// let inst = VbpInstance::new(vec![10], &[vec![5], vec![4], vec![4], vec![3], vec![2], vec![2]])?;
/// let ffd = vbp::first_fit_decreasing(&inst, SizeMeasure::Sum);
/// let p = completion::bin_completion_from(&inst, &ffd, &Budget::nodes(1_000))?;
/// assert_eq!((ffd.hosts(), p.hosts()), (3, 2));
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn bin_completion_from(
    inst: &VbpInstance,
    start: &Packing,
    budget: &Budget,
) -> crate::Result<Packing> {
    vbp::validate(inst, start)?;
    Ok(complete(inst, start.clone(), budget))
}

fn complete(inst: &VbpInstance, start: Packing, budget: &Budget) -> Packing {
    let deadline = budget.time_limit.map(|t| Instant::now() + t);
    let timed_out = || deadline.is_some_and(|t| Instant::now() >= t);
    let (order, fill) = search_order(inst);
    let mut lb = vbp::lower_bound(inst);
    let mut best = start.bins;
    // phase 1: the exact search on the whole instance, with a share of the budget (it proves
    // small instances optimal, and finds exact fills when the tree is easy), in runs of doubling
    // size: every run after the first breaks ties between equal fills at random, a restart
    // that escapes an early wrong choice the depth-first search would never revisit
    let mut nodes = budget.nodes / EXACT_SHARE;
    let mut rest = budget.nodes - nodes;
    let mut rng = SplitMix64(budget.seed);
    let mut run = 0u32;
    while best.len() > lb && nodes > 0 && !timed_out() {
        let k = best.len() - 1;
        let give = FIRST_RUN_NODES.saturating_mul(1 << run.min(30)).min(nodes);
        let perturb = (run > 0).then(|| SplitMix64(rng.next()));
        let (outcome, left) = search(inst, &order, &fill, k, give, deadline, perturb);
        nodes -= give - left;
        match outcome {
            Outcome::Found(bins) => {
                best = bins
                    .into_iter()
                    .map(|b| b.into_iter().map(|p| order[p]).collect())
                    .collect();
                run = 0;
            }
            Outcome::Infeasible => lb = k + 1,
            Outcome::Unknown => run += 1,
        }
    }
    rest += nodes;
    // phase 2: large neighbourhood search, each step solving a few bins exactly
    if best.len() > lb && !timed_out() {
        let mut rng = SplitMix64(budget.seed);
        lns(inst, &mut best, lb, &mut rest, deadline, &mut rng);
    }
    to_packing(inst, best, lb)
}

/// One over the share of the node budget given to the exact search on the whole instance.
const EXACT_SHARE: u64 = 2;
/// Node budget of the exact search's first run (doubling at every restart).
const FIRST_RUN_NODES: u64 = 20_000;
/// Least-filled bins released at every step of the large neighbourhood search.
const LNS_WORST: usize = 8;
/// Up to this many other bins, drawn at random, are released with them.
const LNS_EXTRA: usize = 4;
/// Node budget of each sub-search.
const LNS_NODES: u64 = 20_000;

/// Large neighbourhood search: releases the least-filled bins and a few random others, and
/// repacks their items exactly into one bin fewer; failing that, into as many bins, kept when
/// the sum of squared loads grows (waste concentrates in fewer bins, which later steps can
/// empty). Stops at the bound, or when the budget or the time is spent.
fn lns(
    inst: &VbpInstance,
    best: &mut Vec<Vec<usize>>,
    lb: usize,
    nodes: &mut u64,
    deadline: Option<Instant>,
    rng: &mut SplitMix64,
) {
    let cap: Vec<f64> = inst.capacity().iter().map(|&c| c as f64).collect();
    let d = inst.dims();
    let loads = |bin: &[usize]| -> Vec<f64> {
        let mut l = vec![0.0; d];
        for &i in bin {
            for ((x, &v), c) in l.iter_mut().zip(inst.demand(i)).zip(&cap) {
                *x += v as f64 / c;
            }
        }
        l
    };
    let squares = |bin: &[usize]| -> f64 { loads(bin).iter().map(|x| x * x).sum() };
    let fill = |bin: &[usize]| -> f64 { loads(bin).iter().sum() };
    while best.len() > lb && *nodes > 0 && deadline.is_none_or(|t| Instant::now() < t) {
        let m = best.len();
        // the step's own bookkeeping is O(n d): charge it so that the budget bounds the time
        *nodes = nodes.saturating_sub(1 + (m as u64) / 16);
        let fills: Vec<f64> = best.iter().map(|b| fill(b)).collect();
        let mut by_fill: Vec<usize> = (0..m).collect();
        by_fill.sort_by(|&a, &b| fills[a].total_cmp(&fills[b]).then(a.cmp(&b)));
        let q = LNS_WORST.min(m);
        let mut pick: Vec<usize> = by_fill[..q].to_vec();
        let mut others: Vec<usize> = by_fill[q..].to_vec();
        let extra = (1 + rng.below(LNS_EXTRA)).min(others.len());
        for _ in 0..extra {
            let j = rng.below(others.len());
            pick.push(others.swap_remove(j));
        }
        pick.sort_unstable();
        let items: Vec<usize> = pick.iter().flat_map(|&b| best[b].iter().copied()).collect();
        let demand: Vec<u64> = items
            .iter()
            .flat_map(|&i| inst.demand(i).iter().copied())
            .collect();
        // a subset of a valid instance is valid
        let Ok(sub) = VbpInstance::from_flat(inst.capacity().to_vec(), demand) else {
            return;
        };
        let (order, sub_fill) = search_order(&sub);
        let old: f64 = pick.iter().map(|&b| squares(&best[b])).sum();
        let mut replace: Option<Vec<Vec<usize>>> = None;
        for target in [pick.len() - 1, pick.len()] {
            if vbp::lower_bound_l1(&sub) > target {
                continue;
            }
            let give = LNS_NODES.min(*nodes);
            let (outcome, left) = search(&sub, &order, &sub_fill, target, give, deadline, None);
            *nodes -= give - left;
            if let Outcome::Found(bins) = outcome {
                let new: Vec<Vec<usize>> = bins
                    .into_iter()
                    .map(|b| b.into_iter().map(|p| items[order[p]]).collect())
                    .collect();
                let sq: f64 = new.iter().map(|b| squares(b)).sum();
                if new.len() < pick.len() || sq > old + 1e-9 {
                    replace = Some(new);
                }
                break;
            }
        }
        if let Some(new) = replace {
            for &b in pick.iter().rev() {
                best.remove(b);
            }
            best.extend(new);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_fill_instance_is_solved_and_proven() {
        let sizes = [45, 30, 25, 44, 31, 25, 42, 29, 29, 40, 34, 26];
        let items: Vec<Vec<u64>> = sizes.iter().map(|&s| vec![s]).collect();
        let inst = VbpInstance::new(vec![100], &items).unwrap();
        let p = bin_completion(&inst, &Budget::nodes(10_000));
        assert_eq!(vbp::validate(&inst, &p).unwrap(), 4);
        assert_eq!(p.lower_bound, 4);
    }

    #[test]
    fn infeasible_target_raises_the_bound() {
        let items: Vec<Vec<u64>> = [4, 4, 4, 4, 4].iter().map(|&s| vec![s]).collect();
        let inst = VbpInstance::new(vec![10], &items).unwrap();
        // sum 20 -> L1 = 2, but bins hold at most two 4s: 3 bins
        assert_eq!(vbp::lower_bound(&inst), 2);
        let p = bin_completion(&inst, &Budget::nodes(10_000));
        assert_eq!(p.hosts(), 3);
        assert_eq!(p.lower_bound, 3);
    }
}
