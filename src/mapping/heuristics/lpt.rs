//! LPT, Longest Processing Time first.

use super::finish;
use crate::mapping::{EtcMatrix, Mapping};

/// LPT for identical machines: tasks by decreasing length, each to the least-loaded machine.
///
/// Meant for identical machines (P||Cmax), where every row of the matrix is constant: the length
/// of task t is taken from column 0, `etc.time(t, 0)`. Tasks are sorted by that length, longest
/// first (ties: lowest task index); each goes to the machine with the smallest current completion
/// time (starting from the ready times; ties: lowest machine), which then grows by the task's
/// time on that machine. On unrelated machines it still returns a valid mapping, but one that
/// ignores every column but the first when ordering tasks.
///
/// Reference: Graham, "Bounds on multiprocessing timing anomalies", SIAM J. Appl. Math. 17(2),
/// 1969 (makespan within 4/3 - 1/(3m) of the optimum on identical machines).
///
/// # Arguments
/// `etc`: the ETC matrix with machine ready times.
///
/// # Returns
/// The [`Mapping`].
///
/// # Complexity
/// O(n log n + n m) time, O(n + m) extra space.
///
/// # Errors
/// None.
///
/// # Example: Graham's worst case shape
/// ```
/// use agentsched::mapping::{EtcMatrix, heuristics::lpt};
/// let lengths = [3.0, 3.0, 2.0, 2.0, 2.0];
/// let etc = EtcMatrix::new(5, 2, lengths.iter().flat_map(|&l| [l, l]).collect()).unwrap();
/// assert_eq!(lpt(&etc).makespan, 7.0); // the optimum is 6
/// ```
pub fn lpt(etc: &EtcMatrix) -> Mapping {
    let n = etc.tasks();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| etc.time(b, 0).total_cmp(&etc.time(a, 0)).then(a.cmp(&b)));
    let mut ready = etc.ready().to_vec();
    let mut assignment = vec![0usize; n];
    for t in order {
        let p = super::argmin(&ready);
        ready[p] += etc.time(t, p);
        assignment[t] = p;
    }
    finish(etc, assignment)
}
