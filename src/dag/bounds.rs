//! A lower bound on the makespan of any schedule of a task graph on a platform.

use super::graph::Dag;
use super::platform::{Exec, Platform};
use super::times::{Delays, times_with};
use crate::Result;

/// A lower bound on the makespan of every schedule of `dag` on `platform`, for judging a
/// schedule's quality.
///
/// The largest of:
/// - the *critical path* with every task at its fastest agent's time and no communication (a
///   chain runs its tasks one after the other, each at best on its fastest agent);
/// - the *work bound*: with related agents, `sum of durations / sum of speeds` (in time `C`
///   agent `p` does at most `C x speed_p` units of work); with a time matrix,
///   `sum over tasks of the fastest time / agents` (each agent works at most `C`, and a task
///   takes at least its fastest time wherever it runs).
///
/// Communication only adds to both, and so does idle time; neither bound is tight in general
/// (the ratio of a schedule to it is an upper bound on the schedule's distance from optimal).
///
/// # Arguments
/// - `dag`: the task graph.
/// - `platform`: the agents.
///
/// # Returns
/// The bound (0 for an empty graph).
///
/// # Complexity
/// O(V m + E) time, O(V) extra space.
///
/// # Errors
/// From [`Platform::check`], and a platform whose arrays do not match its agent count (possible
/// only through deserialization) as [`crate::Error::DimensionMismatch`];
/// [`crate::Error::NotFinite`] for costs so large that a schedule could overflow (see
/// [`super::upward_ranks`]).
///
/// # Example: two independent tasks, one fast agent and one slow
/// ```
/// use agentsched::dag::{lower_bound, Platform, TaskGraph};
/// use agentsched::TaskId;
/// let g = TaskGraph::from_parts([(TaskId(0), 6.0), (TaskId(1), 6.0)], [])?;
/// let p = Platform::related(vec![2.0, 1.0], Platform::unit_links(2))?;
/// // Critical path 6 / 2 = 3; work 12 / (2 + 1) = 4.
/// assert_eq!(lower_bound(&g.freeze()?, &p)?, 4.0);
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn lower_bound(dag: &Dag, platform: &Platform) -> Result<f64> {
    if super::list::prepare(dag, platform)?.is_some() {
        return Ok(0.0);
    }
    let n = dag.task_count();
    let m = platform.agents();
    let (fastest, work): (Vec<f64>, f64) = match platform.exec() {
        Exec::Related { speeds } => {
            let top = speeds.iter().copied().fold(0.0, f64::max);
            let total: f64 = speeds.iter().sum();
            let d = dag.durations();
            (
                d.iter().map(|&x| x / top).collect(),
                d.iter().sum::<f64>() / total,
            )
        }
        Exec::Matrix { times } => {
            let fastest: Vec<f64> = times
                .chunks_exact(m)
                .take(n)
                .map(|row| row.iter().copied().fold(f64::INFINITY, f64::min))
                .collect();
            let work = fastest.iter().sum::<f64>() / m as f64;
            (fastest, work)
        }
    };
    let path = times_with(dag, &fastest, Delays::None)?.makespan;
    Ok(path.max(work))
}
