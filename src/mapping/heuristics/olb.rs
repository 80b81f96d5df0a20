//! OLB, Opportunistic Load Balancing.

use super::finish;
use crate::mapping::{EtcMatrix, Mapping};

/// OLB: each task in index order goes to the machine that becomes free first, regardless of the
/// task's execution time there.
///
/// Reference: Braun et al., JPDC 61(6), 2001, section 2 (OLB); Freund et al., HCW 1998.
///
/// # Arguments
/// `etc`: the ETC matrix with machine ready times.
///
/// # Returns
/// The [`Mapping`]. Ties: the lowest machine index among the machines free first.
///
/// # Complexity
/// O(n m) time, O(m) extra space, for n tasks and m machines.
///
/// # Errors
/// None: a validated [`EtcMatrix`] always has a mapping.
///
/// # Example: the second task ignores that it is slow on machine 1
/// ```
/// use agentsched::mapping::{EtcMatrix, heuristics::olb};
/// let etc = EtcMatrix::new(2, 2, vec![1.0, 1.0, 1.0, 100.0]).unwrap();
/// assert_eq!(olb(&etc).assignment, vec![0, 1]);
/// ```
pub fn olb(etc: &EtcMatrix) -> Mapping {
    let mut ready = etc.ready().to_vec();
    let mut assignment = Vec::with_capacity(etc.tasks());
    for t in 0..etc.tasks() {
        let p = super::argmin(&ready);
        ready[p] += etc.time(t, p);
        assignment.push(p);
    }
    finish(etc, assignment)
}
