//! Duplex.

use super::{max_min, min_min};
use crate::mapping::{EtcMatrix, Mapping};

/// Duplex: runs Min-Min and Max-Min and returns the mapping with the smaller makespan (ties:
/// Min-Min's).
///
/// Reference: Braun et al., JPDC 61(6), 2001, section 2 (Duplex); Armstrong et al., HCW 1998.
///
/// # Arguments
/// `etc`: the ETC matrix with machine ready times.
///
/// # Returns
/// The better [`Mapping`] of [`min_min`] and [`max_min`].
///
/// # Complexity
/// The sum of both.
///
/// # Errors
/// None.
///
/// # Example
/// ```
/// use agentsched::mapping::{EtcMatrix, heuristics::{duplex, max_min, min_min}};
/// let etc = EtcMatrix::new(3, 2, vec![1.0, 1.0, 1.0, 1.0, 2.0, 2.0]).unwrap();
/// let d = duplex(&etc);
/// assert_eq!(d.makespan, min_min(&etc).makespan.min(max_min(&etc).makespan));
/// ```
pub fn duplex(etc: &EtcMatrix) -> Mapping {
    let a = min_min(etc);
    let b = max_min(etc);
    if b.makespan < a.makespan { b } else { a }
}
