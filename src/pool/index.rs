//! The fit index: a segment tree over agent slots that finds the best agents for a demand
//! without scanning the pool.
//!
//! Every node keeps, over the ready agents below it: the per-dimension maximum free quantity,
//! the tiers present, the OR of label signatures, the best static key `(score, lowest id)` and,
//! when the score depends on the demand, per-dimension intervals of free fraction and capacity.
//! A query is a branch-and-bound descent: a subtree is skipped when no agent in it can fit
//! (some dimension's maximum free is short, a needed tier or label is absent) or when its score
//! bound cannot beat the k-th best found so far. The child with the better bound goes first, so
//! on a pool with room the search walks one root-to-leaf path: `O(log n)`.
//!
//! Updates (allocation, release, state change) rewrite one leaf and its `log2 n` ancestors.

use super::score::{DimBounds, Weights, eval};
use std::cmp::Ordering;

/// What the index knows of one ready agent.
pub(crate) struct Leaf<'a> {
    pub id: u32,
    pub static_score: f64,
    pub tier_bit: u8,
    pub label_sig: u64,
    pub free: &'a [u64],
    pub capacity: &'a [u64],
}

/// The demand side of a query.
pub(crate) struct Query<'a> {
    pub demand: &'a [u64],
    pub tier_mask: u8,
    pub label_sig: u64,
}

/// A scored candidate; `better` orders by score desc, then id asc.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Scored {
    pub score: f64,
    pub id: u32,
    pub slot: u32,
}

#[inline]
pub(crate) fn cmp_key(a_score: f64, a_id: u32, b_score: f64, b_id: u32) -> Ordering {
    // Greater = better. Scores are never NaN; equal scores (including 0.0 and -0.0) tie.
    match a_score.partial_cmp(&b_score).unwrap_or(Ordering::Equal) {
        Ordering::Equal => b_id.cmp(&a_id),
        o => o,
    }
}

/// The k best candidates so far, best first.
pub(crate) struct TopK {
    k: usize,
    pub items: smallvec::SmallVec<[Scored; 4]>,
    /// Tree nodes the search visited (a measure of its cost).
    pub visited: u64,
}

impl TopK {
    pub fn new(k: usize) -> Self {
        TopK {
            k,
            items: smallvec::SmallVec::new(),
            visited: 0,
        }
    }

    /// Whether a candidate with key `(score, id)` (or a subtree bounded by it) could enter.
    #[inline]
    pub fn admits(&self, score: f64, id: u32) -> bool {
        if self.k == 0 {
            return false;
        }
        match self.items.get(self.k - 1) {
            None => true,
            Some(w) => cmp_key(score, id, w.score, w.id) == Ordering::Greater,
        }
    }

    pub fn offer(&mut self, c: Scored) {
        if !self.admits(c.score, c.id) {
            return;
        }
        let pos = self
            .items
            .iter()
            .position(|x| cmp_key(c.score, c.id, x.score, x.id) == Ordering::Greater)
            .unwrap_or(self.items.len());
        self.items.insert(pos, c);
        self.items.truncate(self.k);
    }
}

const NO_ID: u32 = u32::MAX;

// Node layout: one run of `4 + d` words per node, so that a node is one cache line for d <= 4
// and two siblings are adjacent.
const W_SCORE: usize = 0; // best static score in the subtree, as f64 bits
const W_IDS: usize = 1; // (id of that best key) << 32 | lowest id in the subtree
const W_SIG: usize = 2; // OR of label signatures
const W_TIERS: usize = 3; // OR of tier bits (0 = no ready agent below)
const W_FREE: usize = 4; // per-dimension maximum free quantity

#[derive(Clone)]
pub(crate) struct FitIndex {
    dims: usize,
    /// Words per node.
    stride: usize,
    /// Number of leaves, a power of two.
    size: usize,
    bnb: bool,
    nodes: Vec<u64>,
    /// Only when the score depends on the demand: per node and dimension, free fraction
    /// `[fmin, fmax]` and positive capacity `[capmin, capmax]`.
    fmin: Vec<f64>,
    fmax: Vec<f64>,
    capmin: Vec<u64>,
    capmax: Vec<u64>,
}

impl FitIndex {
    pub fn new(dims: usize, bnb: bool) -> Self {
        let mut ix = FitIndex {
            dims,
            stride: W_FREE + dims,
            size: 0,
            bnb,
            nodes: Vec::new(),
            fmin: Vec::new(),
            fmax: Vec::new(),
            capmin: Vec::new(),
            capmax: Vec::new(),
        };
        ix.resize(1);
        ix
    }

    /// Grows to at least `slots` leaves, emptied; the caller re-inserts every leaf.
    pub fn resize(&mut self, slots: usize) {
        let size = slots.max(1).next_power_of_two();
        let nodes = 2 * size;
        let d = self.dims;
        self.size = size;
        self.nodes = vec![0; nodes * self.stride];
        for n in 0..nodes {
            self.clear_node(n);
        }
        if self.bnb {
            self.fmin = vec![f64::INFINITY; nodes * d];
            self.fmax = vec![f64::NEG_INFINITY; nodes * d];
            self.capmin = vec![u64::MAX; nodes * d];
            self.capmax = vec![0; nodes * d];
        }
    }

    fn clear_node(&mut self, n: usize) {
        let w = &mut self.nodes[n * self.stride..(n + 1) * self.stride];
        w.fill(0);
        w[W_SCORE] = f64::NEG_INFINITY.to_bits();
        w[W_IDS] = ((NO_ID as u64) << 32) | NO_ID as u64;
    }

    #[inline]
    fn node(&self, n: usize) -> &[u64] {
        &self.nodes[n * self.stride..(n + 1) * self.stride]
    }

    #[inline]
    fn key(&self, n: usize) -> (f64, u32) {
        let w = self.node(n);
        (f64::from_bits(w[W_SCORE]), (w[W_IDS] >> 32) as u32)
    }

    /// Writes leaf `slot` (`None` = no ready agent there) without fixing ancestors; call
    /// [`FitIndex::rebuild`] after a batch of these.
    pub fn write_leaf(&mut self, slot: usize, leaf: Option<&Leaf<'_>>) {
        let n = self.size + slot;
        let d = self.dims;
        match leaf {
            None => {
                self.clear_node(n);
                if self.bnb {
                    self.fmin[n * d..(n + 1) * d].fill(f64::INFINITY);
                    self.fmax[n * d..(n + 1) * d].fill(f64::NEG_INFINITY);
                    self.capmin[n * d..(n + 1) * d].fill(u64::MAX);
                    self.capmax[n * d..(n + 1) * d].fill(0);
                }
            }
            Some(l) => {
                let st = self.stride;
                let w = &mut self.nodes[n * st..(n + 1) * st];
                w[W_SCORE] = l.static_score.to_bits();
                w[W_IDS] = ((l.id as u64) << 32) | l.id as u64;
                w[W_SIG] = l.label_sig;
                w[W_TIERS] = l.tier_bit as u64;
                w[W_FREE..].copy_from_slice(l.free);
                if self.bnb {
                    for j in 0..d {
                        let c = l.capacity[j];
                        let f = super::free_fraction(l.free[j], c);
                        self.fmin[n * d + j] = f;
                        self.fmax[n * d + j] = f;
                        self.capmin[n * d + j] = if c == 0 { u64::MAX } else { c };
                        self.capmax[n * d + j] = c;
                    }
                }
            }
        }
    }

    /// Recomputes node `n` from its children; returns whether it changed.
    #[inline]
    fn pull(&mut self, n: usize) -> bool {
        let st = self.stride;
        let (head, tail) = self.nodes.split_at_mut(2 * n * st);
        let node = &mut head[n * st..(n + 1) * st];
        let (a, b) = tail[..2 * st].split_at(st);
        let mut changed = false;
        let (sa, ia) = (f64::from_bits(a[W_SCORE]), (a[W_IDS] >> 32) as u32);
        let (sb, ib) = (f64::from_bits(b[W_SCORE]), (b[W_IDS] >> 32) as u32);
        let best = if cmp_key(sa, ia, sb, ib) != Ordering::Less {
            a
        } else {
            b
        };
        let ids = (best[W_IDS] & !0xffff_ffff) | (a[W_IDS] as u32).min(b[W_IDS] as u32) as u64;
        let mut set = |i: usize, v: u64| {
            changed |= node[i] != v;
            node[i] = v;
        };
        set(W_SCORE, best[W_SCORE]);
        set(W_IDS, ids);
        set(W_SIG, a[W_SIG] | b[W_SIG]);
        set(W_TIERS, a[W_TIERS] | b[W_TIERS]);
        for j in W_FREE..st {
            set(j, a[j].max(b[j]));
        }
        if self.bnb {
            let d = self.dims;
            let (l, r) = (2 * n, 2 * n + 1);
            for j in 0..d {
                let v = self.fmin[l * d + j].min(self.fmin[r * d + j]);
                changed |= self.fmin[n * d + j].to_bits() != v.to_bits();
                self.fmin[n * d + j] = v;
                let v = self.fmax[l * d + j].max(self.fmax[r * d + j]);
                changed |= self.fmax[n * d + j].to_bits() != v.to_bits();
                self.fmax[n * d + j] = v;
                let v = self.capmin[l * d + j].min(self.capmin[r * d + j]);
                changed |= self.capmin[n * d + j] != v;
                self.capmin[n * d + j] = v;
                let v = self.capmax[l * d + j].max(self.capmax[r * d + j]);
                changed |= self.capmax[n * d + j] != v;
                self.capmax[n * d + j] = v;
            }
        }
        changed
    }

    /// Sets leaf `slot` and fixes its ancestors, stopping as soon as one is unchanged:
    /// `O(d log n)` at worst, a few levels typically.
    pub fn update(&mut self, slot: usize, leaf: Option<&Leaf<'_>>) {
        debug_assert!(slot < self.size);
        self.write_leaf(slot, leaf);
        let mut n = (self.size + slot) / 2;
        while n >= 1 && self.pull(n) {
            n /= 2;
        }
    }

    /// Recomputes every internal node from the leaves: `O(d n)`.
    pub fn rebuild(&mut self) {
        for n in (1..self.size).rev() {
            self.pull(n);
        }
    }

    #[inline]
    pub(crate) fn may_fit(&self, n: usize, q: &Query<'_>) -> bool {
        let w = self.node(n);
        if (w[W_TIERS] as u8) & q.tier_mask == 0 || w[W_SIG] & q.label_sig != q.label_sig {
            return false;
        }
        w[W_FREE..].iter().zip(q.demand).all(|(f, x)| f >= x)
    }

    /// Upper bound `(score, id)` for node `n`.
    #[inline]
    pub(crate) fn bound(&self, n: usize, w: &Weights, q: &Query<'_>) -> (f64, u32) {
        if !self.bnb {
            return self.key(n);
        }
        let d = self.dims;
        let s = eval(w, f64::from_bits(self.node(n)[W_SCORE]), q.demand, |j| {
            DimBounds {
                fmin: self.fmin[n * d + j],
                fmax: self.fmax[n * d + j],
                capmin: self.capmin[n * d + j],
                capmax: self.capmax[n * d + j],
            }
        });
        (s, self.node(n)[W_IDS] as u32)
    }

    /// Branch-and-bound descent from node `n` with bound `b`. `leaf_ok(slot)` does the exact
    /// checks (fit, labels, exclusion) and returns the exact score, or `None`.
    pub(crate) fn descend(
        &self,
        n: usize,
        b: (f64, u32),
        w: &Weights,
        q: &Query<'_>,
        top: &mut TopK,
        leaf_ok: &mut impl FnMut(usize) -> Option<(f64, u32)>,
    ) {
        top.visited += 1;
        if !top.admits(b.0, b.1) {
            return;
        }
        if n >= self.size {
            let slot = n - self.size;
            if let Some((score, id)) = leaf_ok(slot) {
                top.offer(Scored {
                    score,
                    id,
                    slot: slot as u32,
                });
            }
            return;
        }
        let (l, r) = (2 * n, 2 * n + 1);
        let lb = self.may_fit(l, q).then(|| self.bound(l, w, q));
        let rb = self.may_fit(r, q).then(|| self.bound(r, w, q));
        match (lb, rb) {
            (Some(x), Some(y)) => {
                if cmp_key(x.0, x.1, y.0, y.1) != Ordering::Less {
                    self.descend(l, x, w, q, top, leaf_ok);
                    self.descend(r, y, w, q, top, leaf_ok);
                } else {
                    self.descend(r, y, w, q, top, leaf_ok);
                    self.descend(l, x, w, q, top, leaf_ok);
                }
            }
            (Some(x), None) => self.descend(l, x, w, q, top, leaf_ok),
            (None, Some(y)) => self.descend(r, y, w, q, top, leaf_ok),
            (None, None) => {}
        }
    }
}

/// The most class trees; agents of further classes share one catch-all tree.
const MAX_CLASSES: usize = 8;

/// One tree per agent class (tier, and which dimensions have capacity at all).
///
/// A tree's bound knows only aggregates, so an agent that scores best but can never match the
/// task (a public agent for confidential data, an agent without GPUs for a GPU task) would be
/// visited first and rejected, again and again. Splitting the pool by these static properties
/// makes them exact at the tree level: a query searches only compatible classes.
#[derive(Clone)]
pub(crate) struct ClassedIndex {
    dims: usize,
    bnb: bool,
    classes: Vec<Class>,
    slot_class: Vec<u8>,
}

#[derive(Clone)]
struct Class {
    tier_bit: u8,
    cap_mask: u64,
    catch_all: bool,
    ix: FitIndex,
}

const NO_CLASS: u8 = u8::MAX;

/// Bit `j` set when dimension `j` is non-zero.
#[inline]
pub(crate) fn nonzero_mask(v: &[u64]) -> u64 {
    v.iter().enumerate().fold(
        0,
        |m, (j, &x)| if x > 0 { m | (1u64 << (j % 64)) } else { m },
    )
}

impl ClassedIndex {
    pub fn new(dims: usize, bnb: bool) -> Self {
        ClassedIndex {
            dims,
            bnb,
            classes: Vec::new(),
            slot_class: Vec::new(),
        }
    }

    pub fn slots(&self) -> usize {
        self.slot_class.len()
    }

    /// Grows to at least `slots` leaves, emptied; the caller re-writes every leaf.
    pub fn resize(&mut self, slots: usize) {
        let size = slots.max(1).next_power_of_two();
        self.slot_class = vec![NO_CLASS; size];
        for c in &mut self.classes {
            c.ix.resize(size);
        }
    }

    fn class_of(&mut self, tier_bit: u8, cap_mask: u64) -> usize {
        if let Some(i) = self
            .classes
            .iter()
            .position(|c| !c.catch_all && c.tier_bit == tier_bit && c.cap_mask == cap_mask)
        {
            return i;
        }
        if self.classes.len() < MAX_CLASSES - 1 {
            let mut ix = FitIndex::new(self.dims, self.bnb);
            ix.resize(self.slot_class.len());
            self.classes.push(Class {
                tier_bit,
                cap_mask,
                catch_all: false,
                ix,
            });
            return self.classes.len() - 1;
        }
        if let Some(i) = self.classes.iter().position(|c| c.catch_all) {
            return i;
        }
        let mut ix = FitIndex::new(self.dims, self.bnb);
        ix.resize(self.slot_class.len());
        self.classes.push(Class {
            tier_bit: 0,
            cap_mask: 0,
            catch_all: true,
            ix,
        });
        self.classes.len() - 1
    }

    fn place(&mut self, slot: usize, leaf: Option<&Leaf<'_>>, fix: bool) {
        let old = self.slot_class.get(slot).copied().unwrap_or(NO_CLASS);
        let new = leaf.map(|l| self.class_of(l.tier_bit, nonzero_mask(l.capacity)));
        if old != NO_CLASS && Some(old as usize) != new {
            let ix = &mut self.classes[old as usize].ix;
            if fix {
                ix.update(slot, None);
            } else {
                ix.write_leaf(slot, None);
            }
        }
        if let Some(c) = new {
            let ix = &mut self.classes[c].ix;
            if fix {
                ix.update(slot, leaf);
            } else {
                ix.write_leaf(slot, leaf);
            }
        }
        if let Some(s) = self.slot_class.get_mut(slot) {
            *s = new.map_or(NO_CLASS, |c| c as u8);
        }
    }

    /// Sets a leaf and fixes its ancestors: `O(d log n)`.
    pub fn update(&mut self, slot: usize, leaf: Option<&Leaf<'_>>) {
        self.place(slot, leaf, true);
    }

    /// Sets a leaf without fixing ancestors; call [`ClassedIndex::rebuild`] after a batch.
    pub fn write_leaf(&mut self, slot: usize, leaf: Option<&Leaf<'_>>) {
        self.place(slot, leaf, false);
    }

    pub fn rebuild(&mut self) {
        for c in &mut self.classes {
            c.ix.rebuild();
        }
    }

    /// Searches the compatible classes, the most promising first, sharing one top-k.
    pub fn search(
        &self,
        w: &Weights,
        q: &Query<'_>,
        top: &mut TopK,
        leaf_ok: &mut impl FnMut(usize) -> Option<(f64, u32)>,
    ) {
        let need = nonzero_mask(q.demand);
        let mut order: SmallVecClasses = SmallVecClasses::new();
        for c in &self.classes {
            let compatible =
                c.catch_all || (c.tier_bit & q.tier_mask != 0 && need & !c.cap_mask == 0);
            if compatible && c.ix.may_fit(1, q) {
                order.push((c.ix.bound(1, w, q), &c.ix));
            }
        }
        order.sort_by(|a, b| cmp_key(b.0.0, b.0.1, a.0.0, a.0.1));
        for (b, ix) in order {
            ix.descend(1, b, w, q, top, leaf_ok);
        }
    }
}

type SmallVecClasses<'a> = smallvec::SmallVec<[((f64, u32), &'a FitIndex); MAX_CLASSES]>;
