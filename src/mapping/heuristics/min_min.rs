//! Min-Min.

use super::finish;
use crate::mapping::{EtcMatrix, Mapping};

/// Min-Min: among all unmapped tasks, take the one whose earliest completion time is smallest,
/// map it to the machine giving that time, and repeat.
///
/// Reference: Ibarra and Kim, "Heuristic algorithms for scheduling independent tasks on
/// nonidentical processors", JACM 24(2), 1977; Braun et al., JPDC 61(6), 2001, section 2.
///
/// The result is identical to the textbook O(n^2 m) loop (scan every unmapped task and machine,
/// ties: lowest task, then lowest machine). Faster, by columns: the chosen pair minimizes
/// `ready[p] + etc[t][p]` over all unmapped tasks and machines, and for a fixed machine the order
/// of the tasks by `etc[t][p]` never changes. So each column is sorted once by (time, task), and
/// each machine keeps a cursor on its shortest unmapped task and the key (completion, lowest task
/// reaching it) of that cursor. A step takes the smallest key over the machines and refreshes
/// only the machines it touched: the chosen one (its ready time moved) and those whose cursor or
/// key named the mapped task. As `ready[p] + x` is monotone in `x`, the tasks of a column that
/// reach the same (rounded) completion time are contiguous after the cursor, so the lowest task
/// among them is found by a short scan.
///
/// The column sorts are the cost that matters, so they are distribution sorts: a counting sort
/// on equal-width buckets of each column's range, then the few entries sharing a bucket are
/// sorted in place. Columns hold 32-bit task indices (wider only past 2^32 tasks), which keeps the
/// working set small enough to stay in cache and out of fresh pages.
///
/// # Arguments
/// `etc`: the ETC matrix with machine ready times.
///
/// # Returns
/// The [`Mapping`].
///
/// # Complexity
/// O(n m) time for the sorts when the buckets are small (O(n m log n) at worst), plus O(n m) for
/// all cursor moves and O(m) per step; O(n m) extra space.
///
/// # Errors
/// None.
///
/// # Example: short tasks first
/// ```
/// use agentsched::mapping::{EtcMatrix, heuristics::min_min};
/// // Task 1 (1 on either machine) is mapped first, to machine 0; task 0 then prefers machine 1.
/// let etc = EtcMatrix::new(2, 2, vec![2.0, 2.5, 1.0, 1.0]).unwrap();
/// let m = min_min(&etc);
/// assert_eq!(m.assignment, vec![1, 0]);
/// assert_eq!(m.makespan, 2.5);
/// ```
pub fn min_min(etc: &EtcMatrix) -> Mapping {
    if u32::try_from(etc.tasks()).is_ok() {
        run::<u32>(etc)
    } else {
        run::<usize>(etc)
    }
}

/// A task index as stored in the sorted columns.
trait Ix: Copy + Default + Ord {
    fn new(i: usize) -> Self;
    fn get(self) -> usize;
}

impl Ix for u32 {
    #[inline]
    fn new(i: usize) -> Self {
        // `run::<u32>` is only called when every index fits.
        i as u32
    }
    #[inline]
    fn get(self) -> usize {
        self as usize
    }
}

impl Ix for usize {
    #[inline]
    fn new(i: usize) -> Self {
        i
    }
    #[inline]
    fn get(self) -> usize {
        self
    }
}

fn run<I: Ix>(etc: &EtcMatrix) -> Mapping {
    let n = etc.tasks();
    let m = etc.machines();
    if n == 0 {
        return finish(etc, Vec::new());
    }
    let cols = sorted_columns::<I>(etc);
    let mut s = Steps {
        etc,
        n,
        cols: &cols,
        ready: etc.ready().to_vec(),
        mapped: vec![false; n],
        cursor: vec![0; m],
        head: vec![usize::MAX; m],
        key: vec![(f64::INFINITY, usize::MAX); m],
    };
    for q in 0..m {
        s.refresh(q);
    }
    let mut assignment = vec![0usize; n];
    for _ in 0..n {
        let mut p = 0;
        for q in 1..m {
            let (a, b) = (s.key[q], s.key[p]);
            if a.0 < b.0 || (a.0 == b.0 && a.1 < b.1) {
                p = q;
            }
        }
        let (c, t) = s.key[p];
        if t >= n {
            // Unreachable while a task is unmapped (its key's task index is below the
            // sentinel's); kept so that nothing can index out of bounds.
            break;
        }
        s.mapped[t] = true;
        assignment[t] = p;
        s.ready[p] = c;
        for q in 0..m {
            if q == p || s.head[q] == t || s.key[q].1 == t {
                s.refresh(q);
            }
        }
    }
    finish(etc, assignment)
}

/// The step state of [`min_min`].
struct Steps<'a, I> {
    etc: &'a EtcMatrix,
    n: usize,
    /// Column `p`: the tasks sorted by (etc[t][p], t), at `cols[p * n..(p + 1) * n]`.
    cols: &'a [I],
    ready: Vec<f64>,
    mapped: Vec<bool>,
    /// Per machine: the position of its first unmapped entry.
    cursor: Vec<usize>,
    /// Per machine: the task at its cursor.
    head: Vec<usize>,
    /// Per machine: (earliest completion over unmapped tasks, lowest task reaching it).
    key: Vec<(f64, usize)>,
}

impl<I: Ix> Steps<'_, I> {
    fn refresh(&mut self, q: usize) {
        let col = &self.cols[q * self.n..(q + 1) * self.n];
        let mut i = self.cursor[q];
        while i < col.len() && self.mapped[col[i].get()] {
            i += 1;
        }
        self.cursor[q] = i;
        let Some(first) = col.get(i).map(|x| x.get()) else {
            self.head[q] = usize::MAX;
            self.key[q] = (f64::INFINITY, usize::MAX);
            return;
        };
        let r = self.ready[q];
        let c = r + self.etc.time(first, q);
        let mut t = first;
        for e in &col[i + 1..] {
            let u = e.get();
            if r + self.etc.time(u, q) != c {
                break;
            }
            if !self.mapped[u] && u < t {
                t = u;
            }
        }
        self.head[q] = first;
        self.key[q] = (c, t);
    }
}

/// Every column of `etc` as task indices sorted by (time, task): a counting sort on buckets of
/// equal width over the column's range, then an insertion sort inside each bucket (a comparison
/// sort for a crowded one). The passes over the matrix go row by row, the order it is stored in.
fn sorted_columns<I: Ix>(etc: &EtcMatrix) -> Vec<I> {
    let n = etc.tasks();
    let m = etc.machines();
    let (mut lo, mut hi) = (vec![f64::INFINITY; m], vec![0.0f64; m]);
    for t in 0..n {
        for ((l, h), &x) in lo.iter_mut().zip(hi.iter_mut()).zip(etc.row(t)) {
            *l = l.min(x);
            *h = h.max(x);
        }
    }
    // About one entry per bucket on uniform data. `bucket` is monotone in `x` (rounding is), so
    // the buckets are ordered; a constant column gets one bucket.
    let buckets = n;
    let scale: Vec<f64> = lo
        .iter()
        .zip(&hi)
        .map(|(&l, &h)| if h > l { buckets as f64 / (h - l) } else { 0.0 })
        .collect();
    let bucket = |p: usize, x: f64| (((x - lo[p]) * scale[p]) as usize).min(buckets - 1);
    // Counting sort. `ends[p * stride + b + 1]` first counts bucket b, then (prefix sums) holds
    // its start, and after the scatter its end; `ends[p * stride]` stays 0.
    let stride = buckets + 1;
    let mut ends = vec![I::default(); m * stride];
    for t in 0..n {
        for (p, &x) in etc.row(t).iter().enumerate() {
            let c = &mut ends[p * stride + bucket(p, x) + 1];
            *c = I::new(c.get() + 1);
        }
    }
    for col in ends.chunks_exact_mut(stride) {
        let mut sum = 0;
        for c in &mut col[1..] {
            let k = c.get();
            *c = I::new(sum);
            sum += k;
        }
    }
    let mut out = vec![I::default(); n * m];
    for t in 0..n {
        for (p, &x) in etc.row(t).iter().enumerate() {
            let slot = &mut ends[p * stride + bucket(p, x) + 1];
            out[p * n + slot.get()] = I::new(t);
            *slot = I::new(slot.get() + 1);
        }
    }
    for (p, (dst, ends)) in out
        .chunks_exact_mut(n)
        .zip(ends.chunks_exact(stride))
        .enumerate()
    {
        let time = |i: I| etc.time(i.get(), p);
        for b in 0..buckets {
            let run = &mut dst[ends[b].get()..ends[b + 1].get()];
            if run.len() > 16 {
                run.sort_unstable_by(|&a, &b| time(a).total_cmp(&time(b)).then(a.cmp(&b)));
            } else if run.len() > 1 {
                // Stable, and the scatter wrote each bucket in task order: ties keep it.
                for i in 1..run.len() {
                    let e = run[i];
                    let x = time(e);
                    let mut j = i;
                    while j > 0 && time(run[j - 1]) > x {
                        run[j] = run[j - 1];
                        j -= 1;
                    }
                    run[j] = e;
                }
            }
        }
    }
    out
}
