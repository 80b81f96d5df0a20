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
    pub items: Vec<Scored>,
}

impl TopK {
    pub fn new(k: usize) -> Self {
        TopK {
            k,
            items: Vec::with_capacity(k.min(64)),
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

#[derive(Clone)]
pub(crate) struct FitIndex {
    dims: usize,
    /// Number of leaves, a power of two.
    size: usize,
    bnb: bool,
    key_score: Vec<f64>,
    key_id: Vec<u32>,
    min_id: Vec<u32>,
    tiers: Vec<u8>,
    sig: Vec<u64>,
    max_free: Vec<u64>,
    fmin: Vec<f64>,
    fmax: Vec<f64>,
    capmin: Vec<u64>,
    capmax: Vec<u64>,
}

impl FitIndex {
    pub fn new(dims: usize, bnb: bool) -> Self {
        let mut ix = FitIndex {
            dims,
            size: 0,
            bnb,
            key_score: Vec::new(),
            key_id: Vec::new(),
            min_id: Vec::new(),
            tiers: Vec::new(),
            sig: Vec::new(),
            max_free: Vec::new(),
            fmin: Vec::new(),
            fmax: Vec::new(),
            capmin: Vec::new(),
            capmax: Vec::new(),
        };
        ix.resize(1);
        ix
    }

    /// Number of leaf slots.
    pub fn slots(&self) -> usize {
        self.size
    }

    /// Grows to at least `slots` leaves, emptied; the caller re-inserts every leaf.
    pub fn resize(&mut self, slots: usize) {
        let size = slots.max(1).next_power_of_two();
        let nodes = 2 * size;
        let d = self.dims;
        self.size = size;
        self.key_score = vec![f64::NEG_INFINITY; nodes];
        self.key_id = vec![NO_ID; nodes];
        self.min_id = vec![NO_ID; nodes];
        self.tiers = vec![0; nodes];
        self.sig = vec![0; nodes];
        self.max_free = vec![0; nodes * d];
        if self.bnb {
            self.fmin = vec![f64::INFINITY; nodes * d];
            self.fmax = vec![f64::NEG_INFINITY; nodes * d];
            self.capmin = vec![u64::MAX; nodes * d];
            self.capmax = vec![0; nodes * d];
        } else {
            self.fmin = Vec::new();
            self.fmax = Vec::new();
            self.capmin = Vec::new();
            self.capmax = Vec::new();
        }
    }

    /// Writes leaf `slot` (`None` = no ready agent there) without fixing ancestors; call
    /// [`FitIndex::rebuild`] after a batch of these.
    pub fn write_leaf(&mut self, slot: usize, leaf: Option<&Leaf<'_>>) {
        let n = self.size + slot;
        let d = self.dims;
        match leaf {
            None => {
                self.key_score[n] = f64::NEG_INFINITY;
                self.key_id[n] = NO_ID;
                self.min_id[n] = NO_ID;
                self.tiers[n] = 0;
                self.sig[n] = 0;
                self.max_free[n * d..(n + 1) * d].fill(0);
                if self.bnb {
                    self.fmin[n * d..(n + 1) * d].fill(f64::INFINITY);
                    self.fmax[n * d..(n + 1) * d].fill(f64::NEG_INFINITY);
                    self.capmin[n * d..(n + 1) * d].fill(u64::MAX);
                    self.capmax[n * d..(n + 1) * d].fill(0);
                }
            }
            Some(l) => {
                self.key_score[n] = l.static_score;
                self.key_id[n] = l.id;
                self.min_id[n] = l.id;
                self.tiers[n] = l.tier_bit;
                self.sig[n] = l.label_sig;
                self.max_free[n * d..(n + 1) * d].copy_from_slice(l.free);
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

    fn pull(&mut self, n: usize) {
        let (a, b) = (2 * n, 2 * n + 1);
        let d = self.dims;
        if cmp_key(
            self.key_score[a],
            self.key_id[a],
            self.key_score[b],
            self.key_id[b],
        ) != Ordering::Less
        {
            self.key_score[n] = self.key_score[a];
            self.key_id[n] = self.key_id[a];
        } else {
            self.key_score[n] = self.key_score[b];
            self.key_id[n] = self.key_id[b];
        }
        self.min_id[n] = self.min_id[a].min(self.min_id[b]);
        self.tiers[n] = self.tiers[a] | self.tiers[b];
        self.sig[n] = self.sig[a] | self.sig[b];
        for j in 0..d {
            self.max_free[n * d + j] = self.max_free[a * d + j].max(self.max_free[b * d + j]);
        }
        if self.bnb {
            for j in 0..d {
                self.fmin[n * d + j] = self.fmin[a * d + j].min(self.fmin[b * d + j]);
                self.fmax[n * d + j] = self.fmax[a * d + j].max(self.fmax[b * d + j]);
                self.capmin[n * d + j] = self.capmin[a * d + j].min(self.capmin[b * d + j]);
                self.capmax[n * d + j] = self.capmax[a * d + j].max(self.capmax[b * d + j]);
            }
        }
    }

    /// Sets leaf `slot` and fixes its ancestors: `O(d log n)`.
    pub fn update(&mut self, slot: usize, leaf: Option<&Leaf<'_>>) {
        debug_assert!(slot < self.size);
        self.write_leaf(slot, leaf);
        let mut n = (self.size + slot) / 2;
        while n >= 1 {
            self.pull(n);
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
    fn may_fit(&self, n: usize, q: &Query<'_>) -> bool {
        if self.tiers[n] & q.tier_mask == 0 || self.sig[n] & q.label_sig != q.label_sig {
            return false;
        }
        let d = self.dims;
        self.max_free[n * d..(n + 1) * d]
            .iter()
            .zip(q.demand)
            .all(|(f, x)| f >= x)
    }

    /// Upper bound `(score, id)` for node `n`.
    #[inline]
    fn bound(&self, n: usize, w: &Weights, q: &Query<'_>) -> (f64, u32) {
        if !self.bnb {
            return (self.key_score[n], self.key_id[n]);
        }
        let d = self.dims;
        let s = eval(w, self.key_score[n], q.demand, |j| DimBounds {
            fmin: self.fmin[n * d + j],
            fmax: self.fmax[n * d + j],
            capmin: self.capmin[n * d + j],
            capmax: self.capmax[n * d + j],
        });
        (s, self.min_id[n])
    }

    /// Branch-and-bound search. `leaf_ok(slot)` does the exact checks (fit, labels, exclusion)
    /// and returns the exact score, or `None`.
    pub fn search(
        &self,
        w: &Weights,
        q: &Query<'_>,
        top: &mut TopK,
        leaf_ok: &mut impl FnMut(usize) -> Option<(f64, u32)>,
    ) {
        if !self.may_fit(1, q) {
            return;
        }
        let b = self.bound(1, w, q);
        self.descend(1, b, w, q, top, leaf_ok);
    }

    fn descend(
        &self,
        n: usize,
        b: (f64, u32),
        w: &Weights,
        q: &Query<'_>,
        top: &mut TopK,
        leaf_ok: &mut impl FnMut(usize) -> Option<(f64, u32)>,
    ) {
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
