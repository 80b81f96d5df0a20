//! An indexed 4-ary min-heap over dense `u32` ids.

use crate::{Error, Result};
use std::cmp::Ordering;
use std::fmt;

/// Children per node. Four halves the depth of a binary heap, and the four children of a node are
/// adjacent (64 bytes, at most two cache lines, when an entry is 16 bytes).
const ARITY: usize = 4;

/// Marks an id that is not in the heap in the position array.
const ABSENT: u32 = u32::MAX;

/// A min-heap of `(id, key)` entries that can find, re-key and remove any entry by its id.
///
/// Ids are small dense integers chosen by the caller (task or agent indices): the heap keeps a
/// position array indexed by id, so finding an entry costs one array read and no hashing. The heap
/// itself is 4-ary (four children per node: half the levels of a binary heap, so fewer cache misses
/// per operation) and stores `(key, id)` pairs contiguously. Sifting moves a hole and writes the
/// moving entry once; [`pop`](Self::pop) descends to the bottom along the smaller children before
/// sifting up (Floyd's trick, as `std`'s `BinaryHeap` does), which saves comparisons because the
/// entry moved to the root usually belongs near the bottom.
///
/// Entries are ordered by key, then by id: equal keys pop lowest id first, so the order is total
/// and deterministic.
///
/// # Memory
///
/// `size_of::<(K, u32)>()` bytes per entry plus four bytes per id up to the largest id ever pushed
/// (ids are dense by contract). Any `u32` is accepted as an id, but an id near `u32::MAX` makes the
/// position array about 16 GiB; if the allocation fails the call returns an error instead of
/// aborting, but on systems that overcommit memory the allocation may succeed and exhaust memory
/// later. Keep ids dense.
///
/// # Example: dispatch the most urgent job, then re-prioritise another
///
/// ```
/// use agentsched::queue::IndexedHeap;
///
/// let mut heap = IndexedHeap::new();
/// heap.push(7, 30u64)?; // job 7, deadline 30
/// heap.push(2, 10)?;
/// heap.push(5, 20)?;
/// assert_eq!(heap.pop(), Some((2, 10)));
///
/// // Job 7's deadline moves forward: it is now the most urgent.
/// assert_eq!(heap.change_key(7, 5)?, 30);
/// assert_eq!(heap.peek(), Some((7, 5)));
/// assert_eq!(heap.remove(5)?, 20);
/// assert_eq!(heap.len(), 1);
/// # Ok::<(), agentsched::Error>(())
/// ```
#[derive(Clone)]
pub struct IndexedHeap<K> {
    /// The heap array: `data[0]` is the minimum; the children of `i` are `4i+1 ..= 4i+4`.
    data: Vec<(K, u32)>,
    /// `pos[id]` is the index of `id` in `data`, or [`ABSENT`].
    pos: Vec<u32>,
}

impl<K: Ord + Copy> Default for IndexedHeap<K> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Ord + Copy + fmt::Debug> fmt::Debug for IndexedHeap<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.data.iter().map(|&(k, id)| (id, k)))
            .finish()
    }
}

/// `a` comes before `b`: smaller key, then smaller id.
#[inline(always)]
fn less<K: Ord>(a: &(K, u32), b: &(K, u32)) -> bool {
    match a.0.cmp(&b.0) {
        Ordering::Less => true,
        Ordering::Greater => false,
        Ordering::Equal => a.1 < b.1,
    }
}

impl<K: Ord + Copy> IndexedHeap<K> {
    /// An empty heap.
    ///
    /// # Complexity
    /// O(1); allocates nothing.
    pub fn new() -> Self {
        IndexedHeap {
            data: Vec::new(),
            pos: Vec::new(),
        }
    }

    /// An empty heap with room for `n` entries with ids below `n`.
    ///
    /// The capacity is a hint: if the memory cannot be allocated the heap starts empty and grows
    /// on demand.
    ///
    /// # Complexity
    /// O(n) time and space.
    pub fn with_capacity(n: usize) -> Self {
        let mut heap = Self::new();
        if heap.data.try_reserve_exact(n).is_ok() && heap.pos.try_reserve_exact(n).is_ok() {
            heap.pos.resize(n, ABSENT);
        }
        heap
    }

    /// The number of entries.
    ///
    /// # Complexity
    /// O(1).
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether the heap has no entries.
    ///
    /// # Complexity
    /// O(1).
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The index of `id` in the heap array, if present.
    #[inline(always)]
    fn index_of(&self, id: u32) -> Option<usize> {
        match self.pos.get(id as usize) {
            Some(&p) if p != ABSENT => Some(p as usize),
            _ => None,
        }
    }

    /// Whether `id` is in the heap.
    ///
    /// # Complexity
    /// O(1).
    pub fn contains(&self, id: u32) -> bool {
        self.index_of(id).is_some()
    }

    /// The key of `id`, or `None` if it is not in the heap.
    ///
    /// # Complexity
    /// O(1).
    pub fn key(&self, id: u32) -> Option<K> {
        let i = self.index_of(id)?;
        self.data.get(i).map(|e| e.0)
    }

    /// Adds `id` with `key`.
    ///
    /// # Complexity
    /// O(log n) time (amortised: the arrays grow by doubling); the position array grows to
    /// `id + 1` slots if it is shorter.
    ///
    /// # Errors
    /// [`Error::QueueEntry`] with reason `"duplicate"` if `id` is already in the heap, or
    /// `"capacity"` if the arrays cannot grow (allocation failure; or the heap already holds
    /// `u32::MAX` entries). The heap is unchanged on error.
    pub fn push(&mut self, id: u32, key: K) -> Result<()> {
        if self.contains(id) {
            return Err(Error::QueueEntry {
                id,
                reason: "duplicate",
            });
        }
        let capacity = Error::QueueEntry {
            id,
            reason: "capacity",
        };
        // Positions are stored as u32 with u32::MAX reserved for ABSENT.
        if self.data.len() >= ABSENT as usize {
            return Err(capacity);
        }
        let needed = (id as usize).checked_add(1).ok_or(capacity.clone())?;
        if needed > self.pos.len() {
            self.pos
                .try_reserve(needed - self.pos.len())
                .map_err(|_| capacity.clone())?;
            self.pos.resize(needed, ABSENT);
        }
        self.data.try_reserve(1).map_err(|_| capacity)?;
        let hole = self.data.len();
        self.data.push((key, id));
        self.sift_up(hole, (key, id));
        Ok(())
    }

    /// The entry with the smallest key (lowest id among equal keys), without removing it.
    ///
    /// # Complexity
    /// O(1).
    pub fn peek(&self) -> Option<(u32, K)> {
        self.data.first().map(|&(k, id)| (id, k))
    }

    /// Removes and returns the entry with the smallest key (lowest id among equal keys).
    ///
    /// # Complexity
    /// O(log n).
    pub fn pop(&mut self) -> Option<(u32, K)> {
        let last = self.data.pop()?;
        self.set_absent(last.1);
        if self.data.is_empty() {
            return Some((last.1, last.0));
        }
        let top = self.data[0];
        self.set_absent(top.1);
        let hole = self.sift_down_to_bottom(0);
        self.sift_up(hole, last);
        Some((top.1, top.0))
    }

    /// Replaces the key of `id` and returns the old one.
    ///
    /// # Complexity
    /// O(log n).
    ///
    /// # Errors
    /// [`Error::QueueEntry`] with reason `"unknown"` if `id` is not in the heap (which is then
    /// unchanged).
    pub fn change_key(&mut self, id: u32, key: K) -> Result<K> {
        let i = self.index_of(id).ok_or(Error::QueueEntry {
            id,
            reason: "unknown",
        })?;
        let old = self.data[i].0;
        let entry = (key, id);
        // Decide the direction against the parent rather than the old key: both reads depend only
        // on `i`, so they overlap in memory. If `entry` is smaller than the parent it is smaller
        // than the old key too, so the subtree below stays ordered.
        if i > 0 && less(&entry, &self.data[(i - 1) / ARITY]) {
            self.sift_up(i, entry);
        } else {
            self.sift_down(i, entry);
        }
        Ok(old)
    }

    /// Removes `id` and returns its key.
    ///
    /// # Complexity
    /// O(log n).
    ///
    /// # Errors
    /// [`Error::QueueEntry`] with reason `"unknown"` if `id` is not in the heap (which is then
    /// unchanged).
    pub fn remove(&mut self, id: u32) -> Result<K> {
        let i = self.index_of(id).ok_or(Error::QueueEntry {
            id,
            reason: "unknown",
        })?;
        let removed = self.data[i];
        self.set_absent(id);
        // `data` is non-empty: it holds `id`.
        let last = self.data.pop().unwrap_or(removed);
        if i < self.data.len() {
            if less(&last, &removed) {
                self.sift_up(i, last);
            } else {
                self.sift_down(i, last);
            }
        }
        Ok(removed.0)
    }

    /// Removes every entry, keeping the allocated memory.
    ///
    /// # Complexity
    /// O(n).
    pub fn clear(&mut self) {
        for i in 0..self.data.len() {
            let id = self.data[i].1;
            self.set_absent(id);
        }
        self.data.clear();
    }

    /// The entries as `(id, key)`, in no particular order.
    ///
    /// # Complexity
    /// O(1) to create, O(n) to exhaust.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (u32, K)> + '_ {
        self.data.iter().map(|&(k, id)| (id, k))
    }

    /// Recomputes every key as `f(id, old_key)` and restores the heap order.
    ///
    /// Cheaper than calling [`change_key`](Self::change_key) for each entry when most keys change
    /// (a discipline switch, a priority boost).
    ///
    /// # Complexity
    /// O(n) calls to `f` plus O(n) to rebuild the heap (Floyd's bottom-up construction).
    ///
    /// # Example: every key doubles
    /// ```
    /// use agentsched::queue::IndexedHeap;
    ///
    /// let mut heap = IndexedHeap::new();
    /// heap.push(0, 3u64)?;
    /// heap.push(1, 1)?;
    /// heap.rekey_all(|id, k| if id == 1 { k + 10 } else { k * 2 });
    /// assert_eq!(heap.pop(), Some((0, 6)));
    /// assert_eq!(heap.pop(), Some((1, 11)));
    /// # Ok::<(), agentsched::Error>(())
    /// ```
    pub fn rekey_all<F: FnMut(u32, K) -> K>(&mut self, mut f: F) {
        for e in &mut self.data {
            e.0 = f(e.1, e.0);
        }
        let len = self.data.len();
        if len > 1 {
            for i in (0..=(len - 2) / ARITY).rev() {
                let e = self.data[i];
                self.sift_down(i, e);
            }
        }
    }

    /// Releases unused memory: the heap array to its length, and the position array to the largest
    /// id present plus one.
    ///
    /// # Complexity
    /// O(n + number of position slots).
    pub fn shrink_to_fit(&mut self) {
        let needed = self
            .data
            .iter()
            .map(|&(_, id)| id as usize + 1)
            .max()
            .unwrap_or(0);
        self.pos.truncate(needed);
        self.pos.shrink_to_fit();
        self.data.shrink_to_fit();
    }

    /// Checks the internal invariants: heap order (no child before its parent) and that the
    /// position array and the heap array agree. A debugging and testing aid.
    ///
    /// # Complexity
    /// O(n + number of position slots).
    pub fn is_consistent(&self) -> bool {
        let heap_order =
            (1..self.data.len()).all(|i| !less(&self.data[i], &self.data[(i - 1) / ARITY]));
        let positions = self
            .data
            .iter()
            .enumerate()
            .all(|(i, &(_, id))| self.index_of(id) == Some(i));
        let absent = self.pos.iter().filter(|&&p| p != ABSENT).count() == self.data.len();
        heap_order && positions && absent
    }

    #[inline(always)]
    fn set_absent(&mut self, id: u32) {
        if let Some(p) = self.pos.get_mut(id as usize) {
            *p = ABSENT;
        }
    }

    /// Writes `entry` at index `i` and records its position.
    #[inline(always)]
    fn place(&mut self, i: usize, entry: (K, u32)) {
        self.data[i] = entry;
        // `entry.1` is in the heap, so its position slot exists.
        if let Some(p) = self.pos.get_mut(entry.1 as usize) {
            *p = i as u32;
        }
    }

    /// Moves the hole at `hole` up until `entry` fits, then writes `entry` there.
    #[inline]
    fn sift_up(&mut self, mut hole: usize, entry: (K, u32)) {
        while hole > 0 {
            let parent = (hole - 1) / ARITY;
            let p = self.data[parent];
            if !less(&entry, &p) {
                break;
            }
            self.place(hole, p);
            hole = parent;
        }
        self.place(hole, entry);
    }

    /// The index of the smallest of the children starting at `first` (at least one exists).
    #[inline(always)]
    fn min_child(&self, first: usize) -> usize {
        if let Some(c) = self.data.get(first..first + ARITY) {
            // All four children exist: a two-round tournament, three comparisons.
            let a = if less(&c[1], &c[0]) { 1 } else { 0 };
            let b = if less(&c[3], &c[2]) { 3 } else { 2 };
            first + if less(&c[b], &c[a]) { b } else { a }
        } else {
            let mut best = first;
            for c in first + 1..self.data.len() {
                if less(&self.data[c], &self.data[best]) {
                    best = c;
                }
            }
            best
        }
    }

    /// Moves the hole at `hole` down until `entry` fits, then writes `entry` there.
    #[inline]
    fn sift_down(&mut self, mut hole: usize, entry: (K, u32)) {
        let len = self.data.len();
        // No overflow: len < u32::MAX, so 4 * hole + 1 < 2^34 fits a 64-bit usize, and on a 32-bit
        // target the array cannot hold 2^30 entries of at least 8 bytes.
        loop {
            let first = hole * ARITY + 1;
            if first >= len {
                break;
            }
            let child = self.min_child(first);
            let c = self.data[child];
            if !less(&c, &entry) {
                break;
            }
            self.place(hole, c);
            hole = child;
        }
        self.place(hole, entry);
    }

    /// Moves the hole at `hole` down along the smallest children to a leaf, without comparing with
    /// the entry that will fill it; returns the leaf index.
    #[inline]
    fn sift_down_to_bottom(&mut self, mut hole: usize) -> usize {
        let len = self.data.len();
        loop {
            let first = hole * ARITY + 1;
            if first >= len {
                return hole;
            }
            let child = self.min_child(first);
            let c = self.data[child];
            self.place(hole, c);
            hole = child;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_key_then_id_order() {
        let mut h = IndexedHeap::new();
        for (id, k) in [(5u32, 3u64), (1, 3), (9, 1), (0, 7), (3, 2), (2, 3)] {
            h.push(id, k).unwrap();
            assert!(h.is_consistent());
        }
        let mut out = Vec::new();
        while let Some(e) = h.pop() {
            assert!(h.is_consistent());
            out.push(e);
        }
        assert_eq!(out, vec![(9, 1), (3, 2), (1, 3), (2, 3), (5, 3), (0, 7)]);
    }

    #[test]
    fn errors_leave_heap_unchanged() {
        let mut h = IndexedHeap::new();
        h.push(1, 10u32).unwrap();
        assert_eq!(
            h.push(1, 5),
            Err(Error::QueueEntry {
                id: 1,
                reason: "duplicate"
            })
        );
        assert_eq!(
            h.change_key(2, 5),
            Err(Error::QueueEntry {
                id: 2,
                reason: "unknown"
            })
        );
        assert_eq!(
            h.remove(400),
            Err(Error::QueueEntry {
                id: 400,
                reason: "unknown"
            })
        );
        assert_eq!(h.len(), 1);
        assert_eq!(h.key(1), Some(10));
        assert!(h.is_consistent());
    }

    #[test]
    fn change_key_remove_clear() {
        let mut h = IndexedHeap::with_capacity(100);
        for id in 0..100u32 {
            h.push(id, (id * 37) % 101).unwrap();
        }
        for id in (0..100u32).step_by(3) {
            let old = h.change_key(id, (id * 53) % 97).unwrap();
            assert_eq!(old, (id * 37) % 101);
            assert!(h.is_consistent());
        }
        for id in (0..100u32).step_by(7) {
            h.remove(id).unwrap();
            assert!(!h.contains(id));
            assert!(h.is_consistent());
        }
        let mut prev = None;
        while let Some((id, k)) = h.pop() {
            if let Some(p) = prev {
                assert!(p <= (k, id));
            }
            prev = Some((k, id));
        }
        h.push(3, 1).unwrap();
        h.clear();
        assert!(h.is_empty() && !h.contains(3) && h.is_consistent());
        h.push(3, 1).unwrap();
        h.shrink_to_fit();
        assert!(h.is_consistent());
        assert_eq!(h.pop(), Some((3, 1)));
    }

    #[test]
    fn rekey_all_restores_order() {
        let mut h = IndexedHeap::new();
        for id in 0..50u32 {
            h.push(id, id).unwrap();
        }
        h.rekey_all(|_, k| 100 - k);
        assert!(h.is_consistent());
        assert_eq!(h.pop(), Some((49, 51)));
    }

    #[test]
    fn large_sparse_id_is_accepted() {
        let mut h = IndexedHeap::new();
        h.push(1_000_000, 1u8).unwrap();
        assert!(h.contains(1_000_000));
        assert!(!h.contains(u32::MAX));
        assert_eq!(h.key(u32::MAX), None);
        assert_eq!(h.pop(), Some((1_000_000, 1)));
    }
}
