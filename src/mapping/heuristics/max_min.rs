//! Max-Min.

use super::{earliest, finish};
use crate::mapping::{EtcMatrix, Mapping};

/// Max-Min: among all unmapped tasks, take the one whose earliest completion time is largest,
/// map it to the machine giving that time, and repeat.
///
/// Reference: Ibarra and Kim, JACM 24(2), 1977; Braun et al., JPDC 61(6), 2001, section 2.
///
/// Identical to the textbook O(n^2 m) loop (ties: lowest task, then lowest machine). Each task
/// keeps its best machine and time; after a mapping to machine p only the tasks whose best machine
/// was p are recomputed (completion times only grow, so the others' choice cannot change).
///
/// # Arguments
/// `etc`: the ETC matrix with machine ready times.
///
/// # Returns
/// The [`Mapping`].
///
/// # Complexity
/// O(n^2 + s m) time for s recomputations (at most n^2), O(n) extra space.
///
/// # Errors
/// None.
///
/// # Example: long tasks first
/// ```
/// use agentsched::mapping::{EtcMatrix, heuristics::max_min};
/// let etc = EtcMatrix::new(3, 2, vec![1.0, 1.0, 1.0, 1.0, 2.0, 2.0]).unwrap();
/// let m = max_min(&etc);
/// assert_eq!(m.assignment, vec![1, 1, 0]);
/// assert_eq!(m.makespan, 2.0);
/// ```
pub fn max_min(etc: &EtcMatrix) -> Mapping {
    let n = etc.tasks();
    let mut ready = etc.ready().to_vec();
    // Unmapped tasks in increasing index order, with their best machine and completion time.
    let mut tasks: Vec<usize> = (0..n).collect();
    let mut best: Vec<(usize, f64)> = (0..n).map(|t| earliest(&ready, etc.row(t))).collect();
    let mut assignment = vec![0usize; n];
    while !tasks.is_empty() {
        let mut pick = 0;
        for i in 1..tasks.len() {
            if best[i].1 > best[pick].1 {
                pick = i;
            }
        }
        let (p, c) = best[pick];
        assignment[tasks[pick]] = p;
        ready[p] = c;
        tasks.remove(pick);
        best.remove(pick);
        for (i, &t) in tasks.iter().enumerate() {
            if best[i].0 == p {
                best[i] = earliest(&ready, etc.row(t));
            }
        }
    }
    finish(etc, assignment)
}
