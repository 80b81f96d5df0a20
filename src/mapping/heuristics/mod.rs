//! Constructive makespan heuristics on an [`EtcMatrix`], one file each.
//!
//! All of them follow the definitions compared by Braun et al., "A comparison of eleven static
//! heuristics for mapping a class of independent tasks onto heterogeneous distributed computing
//! systems", JPDC 61(6), 2001, and share the conventions of this module:
//!
//! - machines start at their ready times ([`EtcMatrix::ready`]);
//! - ties break by the lowest task index, then the lowest machine index;
//! - decisions use completion times accumulated in the order the heuristic assigns tasks; the
//!   returned [`Mapping`] is then rebuilt from the assignment alone (sums in task order), exactly
//!   as [`Mapping::from_assignment`] does, so a checker recomputing the makespan from the
//!   assignment always gets the reported value bit for bit.
//!
//! | function | rule | time |
//! |---|---|---|
//! | [`olb`] | task order, machine that is free first | O(n m) |
//! | [`met`] | task order, machine with the least execution time | O(n m) |
//! | [`mct`] | task order, machine with the earliest completion | O(n m) |
//! | [`min_min`] | unmapped task with the smallest earliest completion first | O(n m) typical, O(n m log n) worst |
//! | [`max_min`] | unmapped task with the largest earliest completion first | O(n^2 + n m) typical |
//! | [`duplex`] | the better of Min-Min and Max-Min | both |
//! | [`sufferage`] | rounds; a machine goes to the task that would suffer most without it | O(r n m) |
//! | [`lpt`] | identical machines: longest task first, least-loaded machine | O(n log n + n m) |

mod duplex;
mod lpt;
mod max_min;
mod mct;
mod met;
mod min_min;
mod olb;
mod sufferage;

pub use duplex::duplex;
pub use lpt::lpt;
pub use max_min::max_min;
pub use mct::mct;
pub use met::met;
pub use min_min::min_min;
pub use olb::olb;
pub use sufferage::sufferage;

use super::{EtcMatrix, Mapping};

/// The signature shared by every heuristic of this module.
pub type Heuristic = fn(&EtcMatrix) -> Mapping;

/// Every heuristic of this module by its kebab-case name, in a fixed order (for portfolios and the
/// `solve` example).
pub const ALL: [(&str, Heuristic); 8] = [
    ("olb", olb),
    ("met", met),
    ("mct", mct),
    ("min-min", min_min),
    ("max-min", max_min),
    ("duplex", duplex),
    ("sufferage", sufferage),
    ("lpt", lpt),
];

/// Looks a heuristic up by its kebab-case name (`"min-min"`, `"sufferage"`, ...).
///
/// # Example
/// ```
/// use agentsched::mapping::{EtcMatrix, heuristics};
/// let etc = EtcMatrix::new(2, 2, vec![1.0, 2.0, 2.0, 1.0]).unwrap();
/// let f = heuristics::by_name("min-min").unwrap();
/// assert_eq!(f(&etc).assignment, vec![0, 1]);
/// assert!(heuristics::by_name("min_min").is_none());
/// ```
pub fn by_name(name: &str) -> Option<Heuristic> {
    ALL.iter().find(|(n, _)| *n == name).map(|&(_, f)| f)
}

/// Builds the mapping from a complete, in-range assignment (the invariant of every heuristic).
pub(crate) fn finish(etc: &EtcMatrix, assignment: Vec<usize>) -> Mapping {
    let mut completion = etc.ready().to_vec();
    for (t, &p) in assignment.iter().enumerate() {
        completion[p] += etc.time(t, p);
    }
    let makespan = completion.iter().copied().fold(0.0, f64::max);
    Mapping {
        assignment,
        completion,
        makespan,
    }
}

/// The lowest index of the smallest value of `values[p]` (`values` non-empty, finite).
#[inline]
pub(crate) fn argmin(values: &[f64]) -> usize {
    let mut best = 0;
    for (p, &v) in values.iter().enumerate().skip(1) {
        if v < values[best] {
            best = p;
        }
    }
    best
}

/// The earliest completion of a task with row `row` given machine completions `ready`: the
/// lowest machine index among the minima of `ready[p] + row[p]`, and that time.
///
/// Branch-light: the minimum value is found with independent lanes (the minimum is exact in any
/// order on finite values), then the first machine reaching it.
#[inline]
pub(crate) fn earliest(ready: &[f64], row: &[f64]) -> (usize, f64) {
    debug_assert_eq!(ready.len(), row.len());
    const L: usize = 8;
    let mut lanes = [f64::INFINITY; L];
    let chunks = ready.len() / L * L;
    let (rh, rt) = ready.split_at(chunks);
    let (eh, et) = row.split_at(chunks);
    for (r, e) in rh.chunks_exact(L).zip(eh.chunks_exact(L)) {
        for i in 0..L {
            let v = r[i] + e[i];
            lanes[i] = if v < lanes[i] { v } else { lanes[i] };
        }
    }
    let mut best = lanes.iter().copied().fold(f64::INFINITY, f64::min);
    for (r, e) in rt.iter().zip(et) {
        let v = r + e;
        if v < best {
            best = v;
        }
    }
    let p = ready
        .iter()
        .zip(row)
        .position(|(r, e)| r + e == best)
        .unwrap_or(0);
    (p, best)
}
