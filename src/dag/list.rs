//! The machinery shared by the list schedulers ([`super::heft()`], [`super::cpop()`],
//! [`super::search`]): execution-time tables, mean costs, upward and downward ranks, per-agent
//! timelines with insertion, and earliest-finish-time placement.
//!
//! Everything here works by topological *position* (the `Dag`'s CSR order); only the public
//! functions translate to task indices.
//!
//! # Mean costs (Topcuoglu, Hariri and Wu 2002, section 4.1)
//! - Mean execution time of a task: the mean over the agents of its execution time (for related
//!   agents, the mean of `duration / speed`).
//! - Mean communication time of an edge carrying `data`: the paper's `c_bar = L_bar + data /
//!   B_bar` with no start-up cost (`L_bar = 0`) and `B_bar` the mean transfer rate, i.e. the mean
//!   over the ordered pairs of distinct agents `p != q` of `links[p][q]`. With unit links it is
//!   `data`; with one agent there is no pair and it is 0, as nothing ever moves.
//!
//! # Finite costs
//! [`prepare`] refuses an instance on which some schedule could take longer than `f64::MAX / 4`
//! (the sum over tasks of the slowest execution time plus the sum over edges of `data` over the
//! weakest link), so every time, rank, priority and tolerance computed here is finite.
//!
//! # Tolerance
//! Ranks and finish times are sums in floating point, so mathematically equal values may differ
//! in the last bits (the paper's own example has two tasks of upward rank exactly 80 whose sums
//! round differently). Values closer than `tol = 1e-9 x` the largest upward rank count as equal
//! and fall to the tie-breaking rule. The timelines compare exactly: a task fits a gap when its
//! computed finish does not pass the next start, so placements never overlap.

use super::graph::{Csr, Dag};
use super::platform::{Exec, Platform, Schedule, Slot};
use crate::model::{check_non_negative, check_positive};
use crate::{Error, Result};
use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// "No task" / "no agent" in the `u32` arrays.
pub(crate) const NONE: u32 = u32::MAX;

/// Relative tolerance of rank and finish-time comparisons (see the module docs).
pub(crate) const REL_TOL: f64 = 1e-9;

/// Execution times, link strengths and mean costs of a `(Dag, Platform)` pair, by position.
pub(crate) struct Costs<'a> {
    pub m: usize,
    pub n: usize,
    /// Row-major `n x m` execution times by position.
    pub w: Cow<'a, [f64]>,
    /// Row-major `m x m` link strengths.
    pub links: &'a [f64],
    /// Mean execution time by position.
    pub mean_w: Vec<f64>,
    /// `B_bar = link_scale x link_rel`, the mean over ordered pairs `p != q` of `links[p][q]`,
    /// kept in two factors so that neither overflows nor underflows: `link_scale` is the
    /// strongest link and `link_rel` in `[1 / (m (m - 1)), 1]` (unused for one agent).
    link_scale: f64,
    link_rel: f64,
}

impl<'a> Costs<'a> {
    /// Builds the tables. `platform.check(dag)` must have passed.
    pub fn new(dag: &'a Dag, platform: &'a Platform) -> Costs<'a> {
        let c = dag.csr();
        let m = platform.agents();
        let n = dag.task_count();
        let w: Cow<'a, [f64]> = match platform.exec() {
            Exec::Related { speeds } => {
                let mut w = Vec::with_capacity(n * m);
                for &d in c.duration {
                    // The same expression as `Platform::exec_time`, so finishes agree bit for bit
                    // with the validator's.
                    w.extend(speeds.iter().map(|&s| d / s));
                }
                Cow::Owned(w)
            }
            Exec::Matrix { times } if c.identity => Cow::Borrowed(&times[..n * m]),
            Exec::Matrix { times } => {
                let mut w = Vec::with_capacity(n * m);
                for &i in c.order {
                    let i = i as usize;
                    w.extend_from_slice(&times[i * m..(i + 1) * m]);
                }
                Cow::Owned(w)
            }
        };
        let mean_w = w.chunks_exact(m).map(mean).collect();
        let links = platform.links();
        let pairs = || {
            (0..m)
                .flat_map(move |p| (0..m).map(move |q| (p, q)))
                .filter(|&(p, q)| p != q)
                .map(|(p, q)| links[p * m + q])
        };
        let link_scale = pairs().fold(0.0, f64::max);
        let link_rel = if m > 1 {
            // Each term is in (0, 1] and the largest is 1: the sum neither overflows nor is 0.
            pairs().map(|l| l / link_scale).sum::<f64>() / (m * (m - 1)) as f64
        } else {
            1.0
        };
        Costs {
            m,
            n,
            w,
            links,
            mean_w,
            link_scale,
            link_rel,
        }
    }

    /// The mean communication time of an edge carrying `data`: `data / B_bar` (0 for one agent,
    /// or no data).
    #[inline]
    pub fn mean_comm(&self, data: f64) -> f64 {
        if self.m < 2 || data == 0.0 {
            0.0
        } else {
            data / self.link_scale / self.link_rel
        }
    }

    /// Execution time of the task at position `v` on agent `p`.
    #[inline]
    pub fn exec(&self, v: usize, p: usize) -> f64 {
        self.w[v * self.m + p]
    }

    /// The execution times of the task at position `v`, one per agent.
    #[inline]
    pub fn row(&self, v: usize) -> &[f64] {
        &self.w[v * self.m..(v + 1) * self.m]
    }

    /// Upward ranks by position: `rank_u(v) = mean_w(v) + max over successors s of
    /// (mean comm(v, s) + rank_u(s))`, `mean_w` for an exit task.
    pub fn rank_up(&self, c: &Csr<'_>) -> Vec<f64> {
        let mut r = vec![0.0f64; self.n];
        for v in (0..self.n).rev() {
            let range = c.succ_off[v] as usize..c.succ_off[v + 1] as usize;
            let mut best = 0.0f64;
            for (&s, &d) in c.succ[range.clone()].iter().zip(&c.succ_data[range]) {
                let x = self.mean_comm(d) + r[s as usize];
                if x > best {
                    best = x;
                }
            }
            r[v] = self.mean_w[v] + best;
        }
        r
    }

    /// Downward ranks by position: `rank_d(v) = max over predecessors u of (rank_d(u) +
    /// mean_w(u) + mean comm(u, v))`, 0 for an entry task.
    pub fn rank_down(&self, c: &Csr<'_>) -> Vec<f64> {
        let mut r = vec![0.0f64; self.n];
        for v in 0..self.n {
            let range = c.pred_off[v] as usize..c.pred_off[v + 1] as usize;
            let mut best = 0.0f64;
            for (&u, &d) in c.pred[range.clone()].iter().zip(&c.pred_data[range]) {
                let u = u as usize;
                let x = r[u] + self.mean_w[u] + self.mean_comm(d);
                if x > best {
                    best = x;
                }
            }
            r[v] = best;
        }
        r
    }
}

/// The mean of `row`, as `sum / len` (exact for the usual small integers) unless the sum
/// overflows, then as the sum of `x / len` (every term finite, so is the sum).
fn mean(row: &[f64]) -> f64 {
    let k = row.len() as f64;
    let s: f64 = row.iter().sum();
    if s.is_finite() {
        s / k
    } else {
        row.iter().map(|x| x / k).sum()
    }
}

/// The absolute tolerance for values on the scale of `values` (the largest of them).
pub(crate) fn tolerance(values: &[f64]) -> f64 {
    REL_TOL * values.iter().copied().fold(0.0, f64::max)
}

/// Groups of equal priority: `group[v] = g` where groups are numbered from the highest priority
/// down. Sorted by decreasing priority, a new group starts wherever two neighbours differ by
/// more than `tol`, so "equal" is transitive by construction.
pub(crate) fn priority_groups(priority: &[f64], tol: f64) -> Vec<u32> {
    let mut by: Vec<u32> = (0..priority.len() as u32).collect();
    by.sort_by(|&a, &b| {
        priority[b as usize]
            .total_cmp(&priority[a as usize])
            .then(a.cmp(&b))
    });
    let mut group = vec![0u32; priority.len()];
    let mut g = 0u32;
    for k in 1..by.len() {
        if priority[by[k - 1] as usize] - priority[by[k] as usize] > tol {
            g += 1;
        }
        group[by[k] as usize] = g;
    }
    group
}

/// The list order: among the tasks whose predecessors are all listed, the lowest `(group, task
/// index)` first. When the order by `(group, index)` is already topological (always so with
/// positive costs) this *is* that order; otherwise precedence wins over a tie.
pub(crate) fn list_order(c: &Csr<'_>, group: &[u32]) -> Vec<u32> {
    let n = group.len();
    let mut missing: Vec<u32> = (0..n).map(|v| c.pred_off[v + 1] - c.pred_off[v]).collect();
    let mut ready: BinaryHeap<Reverse<(u32, u32, u32)>> = (0..n)
        .filter(|&v| missing[v] == 0)
        .map(|v| Reverse((group[v], c.order[v], v as u32)))
        .collect();
    let mut out = Vec::with_capacity(n);
    while let Some(Reverse((_, _, v))) = ready.pop() {
        out.push(v);
        let v = v as usize;
        for &s in &c.succ[c.succ_off[v] as usize..c.succ_off[v + 1] as usize] {
            let s = s as usize;
            missing[s] -= 1;
            if missing[s] == 0 {
                ready.push(Reverse((group[s], c.order[s], s as u32)));
            }
        }
    }
    out
}

/// Intervals per block of a [`Timeline`]; blocks split at twice this.
const BLOCK: usize = 64;

/// One block of a timeline: busy intervals `(start, finish, task position)` sorted by start.
#[derive(Debug, Clone)]
struct Block {
    items: Vec<(f64, f64, u32)>,
    /// The largest idle gap between two consecutive items of this block (`-inf` for fewer than
    /// two items); the gap before the first item is computed from the previous block when needed.
    inner: f64,
}

impl Block {
    fn recompute(&mut self) {
        self.inner = self
            .items
            .windows(2)
            .map(|p| p[1].0 - p[0].1)
            .fold(f64::NEG_INFINITY, f64::max);
    }
}

/// Where a task would go on a timeline: its start and the insertion point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Spot {
    pub start: f64,
    block: usize,
    pos: usize,
    /// The task just before the spot on this agent (`NONE` for the first).
    pub prev: u32,
}

/// The busy intervals of one agent, sorted, disjoint, in blocks of `BLOCK..=2 * BLOCK` (the
/// last may be shorter) with each block's largest inner gap and, per block, the largest gap
/// from it to the end. The search for the first gap that fits binary-searches the ready time,
/// looks at that block's gaps only if one may fit, then walks to the first later block holding
/// a gap long enough (all of whose gaps start after the ready time, so the first that is long
/// enough fits), or stops at once when no later gap is long enough: O(log n + B + n / B) per
/// query at worst, O(log n) when the task goes after the last interval (the common case).
/// Insertion costs O(B + n / B).
#[derive(Debug, Clone, Default)]
pub(crate) struct Timeline {
    blocks: Vec<Block>,
    /// `suffix[b]`: the largest gap before any item of blocks `b..` (including the gap between a
    /// block and the previous one).
    suffix: Vec<f64>,
}

impl Timeline {
    /// Empties the timeline.
    pub fn clear(&mut self) {
        self.blocks.clear();
        self.suffix.clear();
    }

    /// The finish of the last interval (0 when idle).
    pub fn last_finish(&self) -> f64 {
        self.blocks
            .last()
            .and_then(|b| b.items.last())
            .map_or(0.0, |it| it.1)
    }

    /// Makes this timeline the intervals of `from` whose task passes `keep`, in blocks of
    /// `BLOCK` (room to grow before a split), reusing this timeline's memory.
    pub fn rebuild_from(&mut self, from: &Timeline, keep: impl Fn(u32) -> bool) {
        let mut used = 0usize;
        for it in from.blocks.iter().flat_map(|b| b.items.iter()) {
            if !keep(it.2) {
                continue;
            }
            if used == 0 || self.blocks[used - 1].items.len() >= BLOCK {
                if used == self.blocks.len() {
                    self.blocks.push(Block {
                        items: Vec::with_capacity(2 * BLOCK + 1),
                        inner: f64::NEG_INFINITY,
                    });
                }
                let b = &mut self.blocks[used];
                b.items.clear();
                b.inner = f64::NEG_INFINITY;
                used += 1;
            }
            let b = &mut self.blocks[used - 1];
            if let Some(last) = b.items.last() {
                b.inner = b.inner.max(it.0 - last.1);
            }
            b.items.push(*it);
        }
        self.blocks.truncate(used);
        self.suffix.clear();
        self.suffix.resize(used, f64::NEG_INFINITY);
        for k in (0..used).rev() {
            let after = self.suffix.get(k + 1).copied().unwrap_or(f64::NEG_INFINITY);
            self.suffix[k] = self.block_gap(k).max(after);
        }
    }

    /// The largest gap before an item of block `b`, including the one after block `b - 1`.
    fn block_gap(&self, b: usize) -> f64 {
        let blk = &self.blocks[b];
        let pf = if b > 0 {
            self.blocks[b - 1].items.last().map_or(0.0, |it| it.1)
        } else {
            0.0
        };
        blk.items
            .first()
            .map_or(f64::NEG_INFINITY, |it| it.0 - pf)
            .max(blk.inner)
    }

    /// Brings `suffix` up to date after a change to blocks `lo..=hi` (their own gaps, and the
    /// lead gap of the block after each): recomputes `suffix[hi..=lo]`, then below `lo` only
    /// while the value changes. Below `lo` every block's own gaps are as before, so once
    /// `suffix[k]` comes out unchanged so does everything under it; stopping there keeps an
    /// append O(1) amortised instead of O(n / B) (a chain on one agent was superlinear).
    fn refresh(&mut self, lo: usize, hi: usize) {
        let nb = self.blocks.len();
        self.suffix.resize(nb, f64::NEG_INFINITY);
        if nb == 0 {
            return;
        }
        let hi = hi.min(nb - 1);
        let lo = lo.min(hi);
        let after = |t: &Self, k: usize| t.suffix.get(k + 1).copied().unwrap_or(f64::NEG_INFINITY);
        for k in (lo..=hi).rev() {
            work::count(1);
            self.suffix[k] = self.block_gap(k).max(after(self, k));
        }
        for k in (0..lo).rev() {
            work::count(1);
            let v = self.block_gap(k).max(after(self, k));
            if v == self.suffix[k] {
                break;
            }
            self.suffix[k] = v;
        }
    }

    /// The earliest start `s >= ready` such that `[s, s + w)` is idle (insertion policy of the
    /// paper: the first idle gap that fits, else after the last interval). `w > 0`.
    pub fn earliest(&self, ready: f64, w: f64) -> Spot {
        let nb = self.blocks.len();
        let end = self.last_finish();
        let last_task = self
            .blocks
            .last()
            .and_then(|b| b.items.last())
            .map_or(NONE, |it| it.2);
        let append = Spot {
            start: ready.max(end),
            block: nb.saturating_sub(1),
            pos: self.blocks.last().map_or(0, |b| b.items.len()),
            prev: last_task,
        };
        // Gaps are skipped only when they cannot hold `w`; the slack covers the rounding between
        // `start - finish >= w` and `finish + w <= start`.
        let slack = 1e-12 * end.abs();
        let may_fit = |gap: f64| gap + slack >= w;
        // The first block holding an item that starts after `ready`: gaps before items that
        // start at or before `ready` end too early for a task of positive length.
        let b0 = self.blocks.partition_point(|b| match b.items.last() {
            Some(it) => it.0 <= ready,
            None => true,
        });
        if b0 == nb || !may_fit(self.suffix[b0]) {
            return append;
        }
        let blk = &self.blocks[b0];
        let k0 = blk.items.partition_point(|it| it.0 <= ready);
        let (mut pf, mut prev) = if k0 > 0 {
            (blk.items[k0 - 1].1, blk.items[k0 - 1].2)
        } else if b0 > 0 {
            self.blocks[b0 - 1]
                .items
                .last()
                .map_or((0.0, NONE), |it| (it.1, it.2))
        } else {
            (0.0, NONE)
        };
        // The gap before item k0 (clipped by `ready`), then the inner gaps if one may fit.
        let scan_to = if may_fit(blk.inner) {
            blk.items.len()
        } else {
            k0 + 1
        };
        for (k, it) in blk.items.iter().enumerate().take(scan_to).skip(k0) {
            let s = ready.max(pf);
            if s + w <= it.0 {
                return Spot {
                    start: s,
                    block: b0,
                    pos: k,
                    prev,
                };
            }
            pf = it.1;
            prev = it.2;
        }
        // Later blocks: every gap there starts after `ready`, so only its length matters.
        let mut b = b0 + 1;
        while b < nb && may_fit(self.suffix[b]) {
            if may_fit(self.block_gap(b)) {
                let mut pf = self.blocks[b - 1].items.last().map_or(0.0, |it| it.1);
                let mut prev = self.blocks[b - 1].items.last().map_or(NONE, |it| it.2);
                for (k, it) in self.blocks[b].items.iter().enumerate() {
                    let s = ready.max(pf);
                    if s + w <= it.0 {
                        return Spot {
                            start: s,
                            block: b,
                            pos: k,
                            prev,
                        };
                    }
                    pf = it.1;
                    prev = it.2;
                }
            }
            b += 1;
        }
        append
    }

    /// Inserts `[start, finish)` of task `v` at `spot` (from [`Timeline::earliest`] on this very
    /// state).
    pub fn insert(&mut self, spot: Spot, finish: f64, v: u32) {
        let item = (spot.start, finish, v);
        if self.blocks.is_empty() {
            self.blocks.push(Block {
                items: vec![item],
                inner: f64::NEG_INFINITY,
            });
            self.refresh(0, 0);
            return;
        }
        let b = spot.block.min(self.blocks.len() - 1);
        let blk = &mut self.blocks[b];
        let k = spot.pos.min(blk.items.len());
        if k == blk.items.len() {
            if let Some(last) = blk.items.last() {
                blk.inner = blk.inner.max(item.0 - last.1);
            }
            blk.items.push(item);
        } else {
            // The gap being split may have been the largest one.
            blk.items.insert(k, item);
            blk.recompute();
        }
        if blk.items.len() > 2 * BLOCK {
            let tail = blk.items.split_off(BLOCK);
            blk.recompute();
            let mut next = Block {
                items: tail,
                inner: 0.0,
            };
            next.recompute();
            self.blocks.insert(b + 1, next);
            self.suffix.insert(b + 1, f64::NEG_INFINITY);
            self.refresh(b, b + 2);
        } else {
            self.refresh(b, b + 1);
        }
    }

    /// Removes the interval of task `v` starting at `start` (no-op if absent).
    pub fn remove(&mut self, start: f64, v: u32) {
        let b = self.blocks.partition_point(|b| match b.items.last() {
            Some(it) => it.0 < start,
            None => true,
        });
        let Some(blk) = self.blocks.get_mut(b) else {
            return;
        };
        let k = blk.items.partition_point(|it| it.0 < start);
        if blk.items.get(k).is_some_and(|it| it.2 == v) {
            blk.items.remove(k);
            if blk.items.is_empty() {
                self.blocks.remove(b);
                self.suffix.remove(b);
                self.refresh(b.saturating_sub(1), b);
            } else {
                blk.recompute();
                self.refresh(b, b + 1);
            }
        }
    }
}

/// A partial schedule by position: the placements so far and the agents' timelines.
pub(crate) struct State {
    pub agent: Vec<u32>,
    pub start: Vec<f64>,
    pub finish: Vec<f64>,
    pub lines: Vec<Timeline>,
    /// Per agent, scratch: ready time and spot of the task being placed.
    ready: Vec<f64>,
    spots: Vec<Spot>,
}

impl State {
    pub fn new(n: usize, m: usize) -> State {
        State {
            agent: vec![NONE; n],
            start: vec![0.0; n],
            finish: vec![0.0; n],
            lines: vec![Timeline::default(); m],
            ready: vec![0.0; m],
            spots: Vec::with_capacity(m),
        }
    }

    /// The time the data of every *placed* predecessor of `v` is on agent `q`, for every `q`
    /// (into `self.ready`).
    fn ready_times(&mut self, costs: &Costs<'_>, c: &Csr<'_>, v: usize) {
        self.ready.iter_mut().for_each(|r| *r = 0.0);
        let range = c.pred_off[v] as usize..c.pred_off[v + 1] as usize;
        for (&u, &d) in c.pred[range.clone()].iter().zip(&c.pred_data[range]) {
            let u = u as usize;
            if self.agent[u] != NONE {
                self.add_ready(costs, u, d);
            }
        }
    }

    /// The ready times of the next [`State::best_eft_ready`], to fill in.
    pub fn ready_mut(&mut self) -> &mut [f64] {
        &mut self.ready
    }

    /// Raises `self.ready` to the arrival of the data `d` of the placed task `u` on every agent.
    #[inline]
    pub fn add_ready(&mut self, costs: &Costs<'_>, u: usize, d: f64) {
        work::count(1);
        arrival(
            costs,
            self.agent[u] as usize,
            self.finish[u],
            d,
            &mut self.ready,
        );
    }

    /// The spot of `v` on agent `q` given `ready`.
    pub fn spot(&self, q: usize, ready: f64, w: f64) -> Spot {
        if w > 0.0 {
            self.lines[q].earliest(ready, w)
        } else {
            // A task of length zero occupies no time: it runs as soon as its data is there.
            Spot {
                start: ready,
                block: 0,
                pos: 0,
                prev: NONE,
            }
        }
    }

    /// Computes the spot of `v` on every agent (into `self.spots`) and returns the agent of the
    /// earliest finish: the lowest agent index among those within `tol` of the minimum.
    pub fn best_eft(&mut self, costs: &Costs<'_>, c: &Csr<'_>, v: usize, tol: f64) -> usize {
        self.ready_times(costs, c, v);
        self.best_eft_ready(costs, v, tol)
    }

    /// [`State::best_eft`] with the ready times already in `self.ready`.
    pub fn best_eft_ready(&mut self, costs: &Costs<'_>, v: usize, tol: f64) -> usize {
        self.spots.clear();
        let row = costs.row(v);
        let mut min = f64::INFINITY;
        for (q, &w) in row.iter().enumerate() {
            let s = self.spot(q, self.ready[q], w);
            let f = s.start + w;
            if f < min {
                min = f;
            }
            self.spots.push(s);
        }
        (0..costs.m)
            .find(|&q| self.spots[q].start + row[q] <= min + tol)
            .unwrap_or(0)
    }

    /// The spot of `v` on agent `q` alone (ready times over placed predecessors).
    pub fn spot_on(&mut self, costs: &Costs<'_>, c: &Csr<'_>, v: usize, q: usize) -> Spot {
        self.ready_times(costs, c, v);
        self.spot(q, self.ready[q], costs.exec(v, q))
    }

    /// The spot computed for agent `q` by the last [`State::best_eft`].
    pub fn last_spot(&self, q: usize) -> Spot {
        self.spots[q]
    }

    /// Places `v` on agent `q` at `spot`.
    pub fn place(&mut self, costs: &Costs<'_>, v: usize, q: usize, spot: Spot) {
        let w = costs.exec(v, q);
        let f = spot.start + w;
        self.agent[v] = q as u32;
        self.start[v] = spot.start;
        self.finish[v] = f;
        if w > 0.0 {
            self.lines[q].insert(spot, f, v as u32);
        }
    }

    /// Undoes [`State::place`] of `v`.
    pub fn unplace(&mut self, v: usize) {
        let q = self.agent[v];
        if q != NONE {
            self.lines[q as usize].remove(self.start[v], v as u32);
            self.agent[v] = NONE;
        }
    }

    /// The finished schedule, by task index. Every task must be placed.
    pub fn schedule(&self, c: &Csr<'_>) -> Schedule {
        let n = self.agent.len();
        let mut slots = vec![
            Slot {
                agent: 0,
                start: 0.0,
                finish: 0.0
            };
            n
        ];
        let mut makespan = 0.0f64;
        for v in 0..n {
            slots[c.order[v] as usize] = Slot {
                agent: self.agent[v] as usize,
                start: self.start[v],
                finish: self.finish[v],
            };
            makespan = makespan.max(self.finish[v]);
        }
        Schedule { slots, makespan }
    }
}

/// Raises `ready[q]`, for every agent `q`, to the time the data `d` of a task that finished at
/// `f` on agent `p` is on `q`: the validator's expression `f + d / links[p][q]`, `f` on `p`.
#[inline]
pub(crate) fn arrival(costs: &Costs<'_>, p: usize, f: f64, d: f64, ready: &mut [f64]) {
    let m = costs.m;
    let row = &costs.links[p * m..(p + 1) * m];
    for (q, (r, &l)) in ready.iter_mut().zip(row).enumerate() {
        let t = if q == p { f } else { f + d / l };
        if t > *r {
            *r = t;
        }
    }
}

/// A count of elementary steps (predecessor entries read, timeline summaries recomputed), per
/// thread, in test builds only (for tests that the work grows linearly); nothing otherwise.
pub(crate) mod work {
    #[cfg(test)]
    thread_local! {
        static SEEN: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    }

    /// Adds `k` entries.
    #[inline]
    pub fn count(k: u64) {
        #[cfg(test)]
        SEEN.with(|s| s.set(s.get() + k));
        #[cfg(not(test))]
        let _ = k;
    }

    /// The entries counted on this thread so far.
    #[cfg(test)]
    pub fn seen() -> u64 {
        SEEN.with(|s| s.get())
    }
}

/// Upward ranks of every task (by task index): the priority of HEFT.
///
/// Mean costs (Topcuoglu, Hariri and Wu 2002, section 4.1):
/// - a task's mean execution time is the mean over the agents of its execution time (for related
///   agents, the mean of `duration / speed`);
/// - an edge carrying `data` has the mean communication time `c_bar = data / B_bar`, where
///   `B_bar` is the mean over the ordered pairs of distinct agents `p != q` of `links[p][q]`
///   (the paper's `L_bar + data / B_bar` with no start-up latency, `L_bar = 0`): `data` itself
///   with unit links, and 0 with one agent, where nothing ever moves.
///
/// # Arguments
/// - `dag`: the task graph.
/// - `platform`: the agents; only the mean execution and communication times matter.
///
/// # Returns
/// `rank_u(i) = mean_w(i) + max over successors j of (mean_c(i, j) + rank_u(j))`, and
/// `mean_w(i)` for an exit task (Topcuoglu, Hariri and Wu, "Performance-effective and
/// low-complexity task scheduling for heterogeneous computing", IEEE TPDS 13(3), 2002, eq. 5).
///
/// # Complexity
/// O(V m + E) time, O(V m) extra space.
///
/// # Errors
/// From [`Platform::check`]; [`Error::NotFinite`] (`"execution times"` or `"communication
/// times"`) when the sum over tasks of the slowest execution time plus the sum over edges of
/// `data` over the weakest link is above `f64::MAX / 4`, so that some schedule, rank or
/// priority could overflow.
///
/// # Example: two tasks on two agents
/// ```
/// use agentsched::dag::{Platform, TaskGraph, upward_ranks};
/// use agentsched::TaskId;
/// // Two tasks, 2 agents: mean times 3 and 2, mean communication 4 (unit links).
/// let g = TaskGraph::from_parts([(TaskId(0), 0.0), (TaskId(1), 0.0)], [(TaskId(0), TaskId(1), 4.0)])?;
/// let dag = g.freeze()?;
/// let p = Platform::matrix(2, 2, vec![2.0, 4.0, 1.0, 3.0], Platform::unit_links(2))?;
/// assert_eq!(upward_ranks(&dag, &p)?, vec![9.0, 2.0]);
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn upward_ranks(dag: &Dag, platform: &Platform) -> Result<Vec<f64>> {
    prepare(dag, platform)?;
    let costs = Costs::new(dag, platform);
    let c = dag.csr();
    Ok(by_index(&c, &costs.rank_up(&c)))
}

/// Downward ranks of every task (by task index) with the same mean costs as [`upward_ranks`];
/// CPoP's priority is their sum.
///
/// # Arguments
/// - `dag`: the task graph.
/// - `platform`: the agents; only the mean execution and communication times matter.
///
/// # Returns
/// `rank_d(i) = max over predecessors j of (rank_d(j) + mean_w(j) + mean_c(j, i))`, 0 for an
/// entry task (Topcuoglu, Hariri and Wu 2002, eq. 6).
///
/// # Complexity
/// O(V m + E) time, O(V m) extra space.
///
/// # Errors
/// As [`upward_ranks`].
///
/// # Example
/// ```
/// use agentsched::dag::{Platform, TaskGraph, downward_ranks};
/// use agentsched::TaskId;
/// let g = TaskGraph::from_parts([(TaskId(0), 0.0), (TaskId(1), 0.0)], [(TaskId(0), TaskId(1), 4.0)])?;
/// let dag = g.freeze()?;
/// let p = Platform::matrix(2, 2, vec![2.0, 4.0, 1.0, 3.0], Platform::unit_links(2))?;
/// assert_eq!(downward_ranks(&dag, &p)?, vec![0.0, 7.0]);
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn downward_ranks(dag: &Dag, platform: &Platform) -> Result<Vec<f64>> {
    prepare(dag, platform)?;
    let costs = Costs::new(dag, platform);
    let c = dag.csr();
    Ok(by_index(&c, &costs.rank_down(&c)))
}

/// Reorders a by-position vector by task index.
pub(crate) fn by_index<T: Copy + Default>(c: &Csr<'_>, by_pos: &[T]) -> Vec<T> {
    if c.identity {
        return by_pos.to_vec();
    }
    let mut out = vec![T::default(); by_pos.len()];
    for (p, &i) in c.order.iter().enumerate() {
        out[i as usize] = by_pos[p];
    }
    out
}

/// Checks the platform and that the graph has a task (an empty graph has the empty schedule),
/// and that no schedule can be too long to compute with (see [`length_bound`]).
pub(crate) fn prepare(dag: &Dag, platform: &Platform) -> Result<Option<Schedule>> {
    platform.check(dag)?;
    // The constructors guarantee these; a deserialized platform might not.
    let m = platform.agents();
    if m == 0 {
        return Err(Error::InvalidConfig {
            field: "agents",
            reason: "at least one agent is needed",
        });
    }
    let mismatch = |field, expected, got| Error::DimensionMismatch {
        field,
        expected,
        got,
    };
    if platform.links().len() != m.saturating_mul(m) {
        return Err(mismatch(
            "links",
            m.saturating_mul(m),
            platform.links().len(),
        ));
    }
    for p in 0..m {
        for q in (0..m).filter(|&q| q != p) {
            check_positive("links", platform.links()[p * m + q])?;
        }
    }
    match platform.exec() {
        Exec::Related { speeds } => {
            if speeds.len() != m {
                return Err(mismatch("speeds", m, speeds.len()));
            }
            for &s in speeds {
                check_positive("speeds", s)?;
            }
        }
        Exec::Matrix { times } => {
            for &t in times {
                check_non_negative("times", t)?;
            }
        }
    }
    if dag.task_count() == 0 {
        return Ok(Some(Schedule {
            slots: Vec::new(),
            makespan: 0.0,
        }));
    }
    if dag.task_count() >= NONE as usize {
        return Err(Error::Overflow {
            field: "tasks",
            dimension: 0,
        });
    }
    length_bound(dag, platform)?;
    Ok(None)
}

/// Headroom of [`length_bound`]: CPoP's priorities add two ranks, and sums round up a little.
const HEADROOM: f64 = 4.0;

/// An upper bound on the length of every list schedule (no task waits for anything but its
/// data and the tasks before it on its agent): the sum over tasks of their slowest execution
/// time plus the sum over edges of `data / (weakest link)`. Every finish time, rank (a mean is
/// at most the largest value) and priority is at most twice it, up to rounding.
///
/// # Errors
/// [`Error::NotFinite`] (`"execution times"`, then `"communication times"`) with the offending
/// sum when it, or the whole bound, is above `f64::MAX / 4`.
fn length_bound(dag: &Dag, platform: &Platform) -> Result<f64> {
    let m = platform.agents();
    let n = dag.task_count();
    let exec: f64 = match platform.exec() {
        Exec::Related { speeds } => {
            let slowest = speeds.iter().copied().fold(f64::INFINITY, f64::min);
            // The validator's expression `duration / speed`, per task.
            dag.durations().iter().map(|&d| d / slowest).sum()
        }
        Exec::Matrix { times } => times
            .chunks_exact(m)
            .take(n)
            .map(|row| row.iter().copied().fold(0.0, f64::max))
            .sum(),
    };
    let fits = |x: f64| (x * HEADROOM).is_finite();
    if !fits(exec) {
        return Err(Error::NotFinite {
            field: "execution times",
            value: exec,
        });
    }
    let links = platform.links();
    let weakest = (0..m)
        .flat_map(|p| (0..m).map(move |q| (p, q)))
        .filter(|&(p, q)| p != q)
        .map(|(p, q)| links[p * m + q])
        .fold(f64::INFINITY, f64::min);
    let comm: f64 = if m > 1 {
        dag.csr().succ_data.iter().map(|&d| d / weakest).sum()
    } else {
        0.0
    };
    if !fits(comm) || !fits(exec + comm) {
        return Err(Error::NotFinite {
            field: "communication times",
            value: comm,
        });
    }
    Ok(exec + comm)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(items: &[(f64, f64)]) -> Timeline {
        let mut t = Timeline::default();
        for (k, &(s, f)) in items.iter().enumerate() {
            let spot = t.earliest(s, f - s);
            assert_eq!(spot.start, s);
            t.insert(spot, f, k as u32);
        }
        t
    }

    /// The reference: scan every gap.
    fn naive(items: &[(f64, f64)], ready: f64, w: f64) -> f64 {
        let mut sorted = items.to_vec();
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut pf = 0.0f64;
        for &(s, f) in &sorted {
            let st = ready.max(pf);
            if st + w <= s {
                return st;
            }
            pf = pf.max(f);
        }
        ready.max(pf)
    }

    #[test]
    fn insertion_takes_the_first_gap_that_fits() {
        // Busy [2,4), [5,9), [12,13): gaps [0,2), [4,5), [9,12), [13, inf).
        let t = line(&[(2.0, 4.0), (5.0, 9.0), (12.0, 13.0)]);
        assert_eq!(t.earliest(0.0, 2.0).start, 0.0);
        assert_eq!(t.earliest(0.0, 2.5).start, 9.0);
        assert_eq!(t.earliest(3.0, 1.0).start, 4.0);
        assert_eq!(t.earliest(10.0, 2.0).start, 10.0);
        assert_eq!(t.earliest(10.0, 2.5).start, 13.0);
        assert_eq!(t.earliest(20.0, 1.0).start, 20.0);
        assert_eq!(t.last_finish(), 13.0);
    }

    #[test]
    fn blocks_agree_with_a_scan_of_every_gap() {
        let mut rng = crate::model::SplitMix64(7);
        // (start, finish, id) of what is on the timeline.
        let mut items: Vec<(f64, f64, u32)> = Vec::new();
        let mut t = Timeline::default();
        for k in 0..1500u32 {
            let ready = rng.below(4000) as f64 * 0.5;
            let w = 0.25 + rng.below(8) as f64 * 0.5;
            let flat: Vec<(f64, f64)> = items.iter().map(|it| (it.0, it.1)).collect();
            let spot = t.earliest(ready, w);
            assert_eq!(spot.start, naive(&flat, ready, w), "step {k}");
            t.insert(spot, spot.start + w, k);
            items.push((spot.start, spot.start + w, k));
            if k % 5 == 3 {
                let j = rng.below(items.len());
                let (s, _, id) = items.swap_remove(j);
                t.remove(s, id);
            }
            if k % 50 == 0 {
                assert_eq!(t.suffix, full_suffix(&t), "step {k}");
            }
        }
        let mut got: Vec<(f64, f64, u32)> = t
            .blocks
            .iter()
            .flat_map(|b| b.items.iter().copied())
            .collect();
        items.sort_by(|a, b| a.0.total_cmp(&b.0));
        assert_eq!(got, items);
        got.dedup();
        assert!(got.windows(2).all(|p| p[0].1 <= p[1].0));
        assert!(t.blocks.len() > 1);
        for b in &t.blocks {
            let mut c = b.clone();
            c.recompute();
            assert_eq!(c.inner, b.inner);
        }
        assert_eq!(t.suffix, full_suffix(&t));
        // A rebuild keeping every other task answers like a timeline of those tasks alone.
        let mut half = Timeline::default();
        half.rebuild_from(&t, |v| v % 2 == 0);
        let kept: Vec<(f64, f64)> = items
            .iter()
            .filter(|it| it.2 % 2 == 0)
            .map(|it| (it.0, it.1))
            .collect();
        for _ in 0..200 {
            let ready = rng.below(4000) as f64 * 0.5;
            let w = 0.25 + rng.below(8) as f64 * 0.5;
            assert_eq!(half.earliest(ready, w).start, naive(&kept, ready, w));
        }
        let spot = half.earliest(1.0, 0.5);
        half.insert(spot, spot.start + 0.5, 99_999);
        // Take everything off again, in random order, still agreeing with the scan.
        while !items.is_empty() {
            let j = rng.below(items.len());
            let (s, _, id) = items.swap_remove(j);
            t.remove(s, id);
            let flat: Vec<(f64, f64)> = items.iter().map(|it| (it.0, it.1)).collect();
            let ready = rng.below(4000) as f64 * 0.5;
            assert_eq!(t.earliest(ready, 1.5).start, naive(&flat, ready, 1.5));
        }
        assert!(t.blocks.is_empty() && t.suffix.is_empty());
        assert_eq!(t.earliest(3.0, 1.0).start, 3.0);
    }

    /// `suffix` recomputed from scratch.
    fn full_suffix(t: &Timeline) -> Vec<f64> {
        let mut out = vec![f64::NEG_INFINITY; t.blocks.len()];
        for k in (0..t.blocks.len()).rev() {
            let after = out.get(k + 1).copied().unwrap_or(f64::NEG_INFINITY);
            out[k] = t.block_gap(k).max(after);
        }
        out
    }

    #[test]
    fn appending_refreshes_few_summaries() {
        // 20,000 intervals appended one after the other (gaps 0, 1, 2, 0, 1, 2, ...): each
        // insertion used to recompute the summary of every block before it (about 2e6 in all).
        let mut t = Timeline::default();
        let before = work::seen();
        let mut end = 0.0;
        for k in 0..20_000u32 {
            let spot = t.earliest(end + f64::from(k % 3), 1.0);
            end = spot.start + 1.0;
            t.insert(spot, end, k);
        }
        let seen = work::seen() - before;
        assert!(seen <= 4 * 20_000, "{seen} summaries recomputed");
        assert_eq!(t.suffix, full_suffix(&t));
        assert_eq!(t.earliest(0.0, 2.0).start, 3.0);
    }

    #[test]
    fn remove_restores_the_gaps() {
        let mut t = line(&[(0.0, 1.0), (3.0, 4.0)]);
        let spot = t.earliest(0.0, 2.0);
        assert_eq!(spot.start, 1.0);
        t.insert(spot, 3.0, 9);
        assert_eq!(t.earliest(0.0, 1.0).start, 4.0);
        t.remove(1.0, 9);
        assert_eq!(t.earliest(0.0, 2.0).start, 1.0);
    }

    #[test]
    fn groups_are_transitive() {
        let g = priority_groups(&[1.0, 1.0 + 1e-12, 0.5, 1.0 - 1e-12, 2.0], 1e-9);
        assert_eq!(g, vec![1, 1, 2, 1, 0]);
    }
}
