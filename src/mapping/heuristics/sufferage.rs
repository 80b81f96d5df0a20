//! Sufferage.

use super::finish;
use crate::mapping::{EtcMatrix, Mapping};

/// Sufferage: in rounds, each machine goes to the task that would suffer most if it did not get
/// it, the sufferage being the gap between a task's second-earliest and earliest completion times.
///
/// Reference: Maheswaran, Ali, Siegel, Hensgen and Freund, "Dynamic matching and scheduling of a
/// class of independent tasks onto heterogeneous computing systems", HCW 1999 (Sufferage);
/// Braun et al., JPDC 61(6), 2001.
///
/// Each round starts with every machine free of tentative tasks and the completion times of the
/// previous rounds. The unmapped tasks are visited in index order; a task computes its earliest
/// machine p (ties: lowest machine) and its sufferage (0 with a single machine). If p holds no
/// tentative task the task takes it; if p's holder has a strictly smaller sufferage the task
/// takes p and the holder goes back to the unmapped tasks for the next round; otherwise the task
/// waits for the next round (so equal sufferages favour the lower task index). At the end of the
/// round every tentative assignment becomes final and the completion times are updated. Every
/// round maps at least one task.
///
/// # Arguments
/// `etc`: the ETC matrix with machine ready times.
///
/// # Returns
/// The [`Mapping`].
///
/// # Complexity
/// O(r n m) time for r rounds (at least n / m, at most n), O(n + m) extra space.
///
/// # Errors
/// None.
///
/// # Example: the task with no good alternative wins the contested machine
/// ```
/// use agentsched::mapping::{EtcMatrix, heuristics::sufferage};
/// // Both prefer machine 0; task 1 suffers 9 without it, task 0 only 0.5.
/// let etc = EtcMatrix::new(2, 2, vec![2.0, 2.5, 1.0, 10.0]).unwrap();
/// let m = sufferage(&etc);
/// assert_eq!(m.assignment, vec![1, 0]);
/// assert_eq!(m.makespan, 2.5);
/// ```
pub fn sufferage(etc: &EtcMatrix) -> Mapping {
    let n = etc.tasks();
    let m = etc.machines();
    let mut ready = etc.ready().to_vec();
    let mut assignment = vec![0usize; n];
    let mut unmapped: Vec<usize> = (0..n).collect();
    // Per machine, this round's tentative task and its sufferage.
    let mut holder: Vec<Option<(usize, f64)>> = vec![None; m];
    let mut mapped = vec![false; n];
    while !unmapped.is_empty() {
        holder.iter_mut().for_each(|h| *h = None);
        for &t in &unmapped {
            let (p, s) = best_two(&ready, etc.row(t));
            match holder[p] {
                None => holder[p] = Some((t, s)),
                Some((_, hs)) if hs < s => holder[p] = Some((t, s)),
                Some(_) => {}
            }
        }
        for (p, h) in holder.iter().enumerate() {
            if let Some((t, _)) = *h {
                assignment[t] = p;
                ready[p] += etc.time(t, p);
                mapped[t] = true;
            }
        }
        unmapped.retain(|&t| !mapped[t]);
    }
    finish(etc, assignment)
}

/// The earliest machine (lowest index among ties) and the sufferage: second-earliest completion
/// minus earliest (0 for a single machine).
fn best_two(ready: &[f64], row: &[f64]) -> (usize, f64) {
    let mut best = (0, ready[0] + row[0]);
    let mut second = f64::INFINITY;
    for p in 1..row.len() {
        let c = ready[p] + row[p];
        if c < best.1 {
            second = best.1;
            best = (p, c);
        } else if c < second {
            second = c;
        }
    }
    let s = if second.is_finite() {
        second - best.1
    } else {
        0.0
    };
    (best.0, s)
}
