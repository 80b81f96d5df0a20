//! MET, Minimum Execution Time.

use super::finish;
use crate::mapping::{EtcMatrix, Mapping};

/// MET: each task goes to the machine with its smallest execution time, regardless of load.
///
/// Reference: Braun et al., JPDC 61(6), 2001, section 2 (MET, called Limited Best Assignment by
/// Armstrong et al., HCW 1998).
///
/// # Arguments
/// `etc`: the ETC matrix with machine ready times (they only enter the completion times).
///
/// # Returns
/// The [`Mapping`]. Ties: the lowest machine index among a task's fastest machines.
///
/// # Complexity
/// O(n m) time, O(m) extra space.
///
/// # Errors
/// None.
///
/// # Example: a consistent matrix puts every task on the fastest machine
/// ```
/// use agentsched::mapping::{EtcMatrix, heuristics::met};
/// let etc = EtcMatrix::new(3, 2, vec![1.0, 2.0, 1.0, 2.0, 1.0, 2.0]).unwrap();
/// let m = met(&etc);
/// assert_eq!(m.assignment, vec![0, 0, 0]);
/// assert_eq!(m.makespan, 3.0);
/// ```
pub fn met(etc: &EtcMatrix) -> Mapping {
    let assignment = (0..etc.tasks())
        .map(|t| super::argmin(etc.row(t)))
        .collect();
    finish(etc, assignment)
}
