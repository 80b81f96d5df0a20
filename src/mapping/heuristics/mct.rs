//! MCT, Minimum Completion Time.

use super::{earliest, finish};
use crate::mapping::{EtcMatrix, Mapping};

/// MCT: each task in index order goes to the machine where it would complete earliest, given the
/// tasks already mapped.
///
/// Reference: Braun et al., JPDC 61(6), 2001, section 2 (MCT); Armstrong et al., HCW 1998.
///
/// # Arguments
/// `etc`: the ETC matrix with machine ready times.
///
/// # Returns
/// The [`Mapping`]. Ties: the lowest machine index among the earliest completions.
///
/// # Complexity
/// O(n m) time in one pass over the matrix, O(m) extra space.
///
/// # Errors
/// None.
///
/// # Example: the second task waits for no one
/// ```
/// use agentsched::mapping::{EtcMatrix, heuristics::mct};
/// let etc = EtcMatrix::new(2, 2, vec![1.0, 3.0, 1.0, 3.0]).unwrap();
/// let m = mct(&etc);
/// assert_eq!(m.assignment, vec![0, 0]); // 1 + 1 = 2 < 3
/// assert_eq!(m.makespan, 2.0);
/// ```
pub fn mct(etc: &EtcMatrix) -> Mapping {
    let mut ready = etc.ready().to_vec();
    let mut assignment = Vec::with_capacity(etc.tasks());
    for t in 0..etc.tasks() {
        let (p, c) = earliest(&ready, etc.row(t));
        ready[p] = c;
        assignment.push(p);
    }
    finish(etc, assignment)
}
