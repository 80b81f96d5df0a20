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
/// of the tasks by `etc[t][p]` never changes. So each column is sorted once by (time, task), each
/// machine keeps a cursor on its shortest unmapped task, and a step compares the m cursors. As
/// `ready[p] + x` is monotone in x, the tasks of column p reaching the same (rounded) completion
/// time are contiguous after the cursor; they are scanned so that ties still go to the lowest
/// task index.
///
/// # Arguments
/// `etc`: the ETC matrix with machine ready times.
///
/// # Returns
/// The [`Mapping`].
///
/// # Complexity
/// O(n m log n) time (the column sorts) plus O(n m) for the steps and cursors, O(n m) extra
/// space.
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
    let n = etc.tasks();
    let m = etc.machines();
    let mut ready = etc.ready().to_vec();
    // Column p, sorted: `cols[p * n..(p + 1) * n]` = bits of etc[t][p] (high half), t (low
    // half). Positive finite doubles order like their bit patterns.
    let mut cols: Vec<u128> = Vec::with_capacity(n * m);
    for p in 0..m {
        cols.extend((0..n).map(|t| (u128::from(etc.time(t, p).to_bits()) << 64) | t as u128));
        cols[p * n..].sort_unstable();
    }
    let time = |x: u128| f64::from_bits((x >> 64) as u64);
    let task = |x: u128| x as u64 as usize;
    let mut cursor = vec![0usize; m];
    let mut mapped = vec![false; n];
    let mut assignment = vec![0usize; n];
    for _ in 0..n {
        // (completion, task, machine) of the best pair so far.
        let mut best = (f64::INFINITY, usize::MAX, usize::MAX);
        for p in 0..m {
            let col = &cols[p * n..(p + 1) * n];
            let mut i = cursor[p];
            while mapped[task(col[i])] {
                i += 1;
            }
            cursor[p] = i;
            let c = ready[p] + time(col[i]);
            if c > best.0 {
                continue;
            }
            // The lowest task among those reaching the same completion time on p.
            let mut t = task(col[i]);
            for &x in &col[i + 1..] {
                if ready[p] + time(x) != c {
                    break;
                }
                let u = task(x);
                if !mapped[u] && u < t {
                    t = u;
                }
            }
            if c < best.0 || t < best.1 {
                best = (c, t, p);
            }
        }
        let (c, t, p) = best;
        mapped[t] = true;
        assignment[t] = p;
        ready[p] = c;
    }
    finish(etc, assignment)
}
