//! Earliest and latest times, slack and the critical path on a fixed-duration model (CPM).

use super::graph::Dag;
use crate::model::check_non_negative;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// What an edge costs on the fixed-duration model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Delays {
    /// Edges are pure precedence: a task may start the instant its last predecessor finishes.
    #[default]
    None,
    /// An edge's data size is a delay in time units, as if every edge crossed agents over a link
    /// of strength 1 (the pessimistic view of a schedule not yet mapped).
    Data,
}

/// Earliest and latest start and finish of every task, by task index, and the makespan.
///
/// `slack(i) = lst[i] - est[i]`; a task is *critical* when its slack is zero up to
/// [`Times::tolerance`] (`1e-9 * max(1, makespan)`: the sums are in floating point).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Times {
    /// Earliest start.
    pub est: Vec<f64>,
    /// Earliest finish: `est + duration`.
    pub eft: Vec<f64>,
    /// Latest start that keeps the makespan.
    pub lst: Vec<f64>,
    /// Latest finish that keeps the makespan.
    pub lft: Vec<f64>,
    /// The largest earliest finish (0 for an empty graph).
    pub makespan: f64,
    /// One longest path, entry to exit, by task index (see [`times`]).
    pub critical_path: Vec<usize>,
}

impl Times {
    /// Slack of task `i`: how long it may be delayed without delaying the makespan.
    ///
    /// # Panics
    /// When `i` is not a task index of the graph, like slice indexing.
    pub fn slack(&self, i: usize) -> f64 {
        self.lst[i] - self.est[i]
    }

    /// The absolute tolerance under which a slack counts as zero.
    pub fn tolerance(&self) -> f64 {
        1e-9 * self.makespan.max(1.0)
    }

    /// Whether task `i` is critical (zero slack up to [`Times::tolerance`]).
    pub fn is_critical(&self, i: usize) -> bool {
        self.slack(i) <= self.tolerance()
    }

    /// Every critical task, by index: the union of all critical paths.
    pub fn critical_tasks(&self) -> Vec<usize> {
        (0..self.est.len())
            .filter(|&i| self.is_critical(i))
            .collect()
    }
}

/// Earliest/latest start and finish, slack and a critical path of `dag` with its own durations.
///
/// # Arguments
/// - `dag`: the frozen graph.
/// - `delays`: whether edge data counts as a delay.
///
/// # Returns
/// [`Times`] by task index. The critical path is found by walking back from the exit task with
/// the largest earliest finish through, at each step, the predecessor that set the earliest start
/// (lowest index among ties), so it is an exact longest path, free of any tolerance.
///
/// # Complexity
/// O(V + E) time: one forward pass gathering over predecessor lists, one backward pass gathering
/// over successor lists, both streaming their arrays in order; O(V) extra space.
///
/// # Example: the critical path of a diamond
/// ```
/// use agentsched::dag::{Delays, TaskGraph, times};
/// use agentsched::TaskId;
///
/// let g = TaskGraph::from_parts(
///     [(1, 2.0), (2, 3.0), (3, 1.0), (4, 2.0)].map(|(i, d)| (TaskId(i), d)),
///     [(1, 2), (1, 3), (2, 4), (3, 4)].map(|(u, v)| (TaskId(u), TaskId(v), 1.0)),
/// )?;
/// let dag = g.freeze()?;
/// let t = times(&dag, Delays::None);
/// assert_eq!(t.makespan, 7.0);
/// assert_eq!(t.critical_path, vec![0, 1, 3]); // tasks 1, 2, 4
/// assert_eq!(t.slack(2), 2.0); // task 3 may slip by 2
/// assert_eq!(times(&dag, Delays::Data).makespan, 9.0);
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn times(dag: &Dag, delays: Delays) -> Times {
    let c = dag.csr();
    compute(dag, c.duration, delays)
}

/// As [`times`], with other durations (by task index), e.g. the expected durations of the
/// fault-tolerance model.
///
/// # Errors
/// [`Error::DimensionMismatch`] (`durations`) unless there is one per task;
/// [`Error::NotFinite`]/[`Error::Negative`] (`durations`); [`Error::NotFinite`] (`sum of
/// durations and data`) when that sum overflows, as [`TaskGraph::freeze`] checks for the
/// graph's own durations.
///
/// [`TaskGraph::freeze`]: super::TaskGraph::freeze
pub fn times_with(dag: &Dag, durations: &[f64], delays: Delays) -> Result<Times> {
    let n = dag.task_count();
    if durations.len() != n {
        return Err(Error::DimensionMismatch {
            field: "durations",
            expected: n,
            got: durations.len(),
        });
    }
    for &d in durations {
        check_non_negative("durations", d)?;
    }
    let total = durations.iter().sum::<f64>() + dag.data_sum();
    if !total.is_finite() {
        return Err(Error::NotFinite {
            field: "sum of durations and data",
            value: total,
        });
    }
    let c = dag.csr();
    if c.identity {
        Ok(compute(dag, durations, delays))
    } else {
        let by_pos: Vec<f64> = c.order.iter().map(|&i| durations[i as usize]).collect();
        Ok(compute(dag, &by_pos, delays))
    }
}

/// The two passes, by position; `d` is by position.
fn compute(dag: &Dag, d: &[f64], delays: Delays) -> Times {
    let c = dag.csr();
    let n = d.len();
    // Both passes gather (read the neighbours' values, write one value per task): a gather needs
    // no initialisation and touches each task's result once, where a scatter would read-modify-
    // write a neighbour per edge. Results are pushed in order, so no vector is written twice.
    let mut est = Vec::with_capacity(n);
    let mut eft: Vec<f64> = Vec::with_capacity(n);
    let mut makespan = 0.0f64;
    // The delay-free and the delayed loops are separate so the common case reads no edge data.
    for (v, &dv) in d.iter().enumerate() {
        let r = c.pred_off[v] as usize..c.pred_off[v + 1] as usize;
        let mut s = 0.0f64;
        match delays {
            Delays::None => {
                for &u in &c.pred[r] {
                    let f = eft[u as usize];
                    if f > s {
                        s = f;
                    }
                }
            }
            Delays::Data => {
                for (&u, &w) in c.pred[r.clone()].iter().zip(&c.pred_data[r]) {
                    let f = eft[u as usize] + w;
                    if f > s {
                        s = f;
                    }
                }
            }
        }
        est.push(s);
        let f = s + dv;
        eft.push(f);
        if f > makespan {
            makespan = f;
        }
    }
    // Backward over successor lists. `vec![0.0; n]` comes from the allocator already zeroed
    // (fresh pages), so writing from the end costs no extra pass.
    let mut lst = vec![0.0f64; n];
    let mut lft = vec![0.0f64; n];
    for v in (0..n).rev() {
        let r = c.succ_off[v] as usize..c.succ_off[v + 1] as usize;
        let mut l = makespan;
        match delays {
            Delays::None => {
                for &w in &c.succ[r] {
                    let x = lst[w as usize];
                    if x < l {
                        l = x;
                    }
                }
            }
            Delays::Data => {
                for (&w, &lag) in c.succ[r.clone()].iter().zip(&c.succ_data[r]) {
                    let x = lst[w as usize] - lag;
                    if x < l {
                        l = x;
                    }
                }
            }
        }
        lft[v] = l;
        lst[v] = l - d[v];
    }
    let path = critical_path(dag, &eft, delays);
    let (est, eft, lst, lft) = if c.identity {
        (est, eft, lst, lft)
    } else {
        let un = |a: Vec<f64>| {
            let mut out = vec![0.0; n];
            for (p, &i) in c.order.iter().enumerate() {
                out[i as usize] = a[p];
            }
            out
        };
        (un(est), un(eft), un(lst), un(lft))
    };
    Times {
        est,
        eft,
        lst,
        lft,
        makespan,
        critical_path: path,
    }
}

/// Walks back from the exit task with the largest earliest finish (lowest index among ties) through
/// the predecessor that set each earliest start; `eft` is by position. Returns task indices.
fn critical_path(dag: &Dag, eft: &[f64], delays: Delays) -> Vec<usize> {
    let c = dag.csr();
    let n = eft.len();
    if n == 0 {
        return Vec::new();
    }
    let by_index = |p: u32| c.order[p as usize];
    // Only exit tasks: with zero durations and delays an inner task can tie with the makespan,
    // and the path must end where the graph ends.
    let exits = (0..n as u32).filter(|&p| c.succ_off[p as usize] == c.succ_off[p as usize + 1]);
    let mut v = u32::MAX;
    for p in exits {
        if v == u32::MAX {
            v = p;
            continue;
        }
        let (a, b) = (eft[p as usize], eft[v as usize]);
        if a > b || (a == b && by_index(p) < by_index(v)) {
            v = p;
        }
    }
    let mut path = vec![by_index(v) as usize];
    loop {
        let r = c.pred_off[v as usize] as usize..c.pred_off[v as usize + 1] as usize;
        let mut best: Option<(f64, u32)> = None;
        for k in r {
            let u = c.pred[k];
            let w = match delays {
                Delays::None => 0.0,
                Delays::Data => c.pred_data[k],
            };
            let f = eft[u as usize] + w;
            best = match best {
                Some((bf, bu)) if bf > f || (bf == f && by_index(bu) < by_index(u)) => {
                    Some((bf, bu))
                }
                _ => Some((f, u)),
            };
        }
        match best {
            Some((_, u)) => {
                v = u;
                path.push(by_index(v) as usize);
            }
            None => break,
        }
    }
    path.reverse();
    path
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TaskId;
    use crate::dag::TaskGraph;

    #[test]
    fn textbook_cpm_network() {
        // A classic activity-on-node example: A(3) -> B(4), A -> C(2), B -> D(5), C -> D,
        // C -> E(3), D -> F(1), E -> F. Longest path A-B-D-F = 13; C has slack 2, E has 4.
        let g = TaskGraph::from_parts(
            [(0, 3.0), (1, 4.0), (2, 2.0), (3, 5.0), (4, 3.0), (5, 1.0)]
                .map(|(i, d)| (TaskId(i), d)),
            [(0, 1), (0, 2), (1, 3), (2, 3), (2, 4), (3, 5), (4, 5)]
                .map(|(u, v)| (TaskId(u), TaskId(v), 0.0)),
        )
        .unwrap();
        let t = times(&g.freeze().unwrap(), Delays::None);
        assert_eq!(t.makespan, 13.0);
        assert_eq!(t.est, vec![0.0, 3.0, 3.0, 7.0, 5.0, 12.0]);
        assert_eq!(t.lst, vec![0.0, 3.0, 5.0, 7.0, 9.0, 12.0]);
        assert_eq!(t.critical_path, vec![0, 1, 3, 5]);
        assert_eq!(t.critical_tasks(), vec![0, 1, 3, 5]);
        assert_eq!((t.slack(2), t.slack(4)), (2.0, 4.0));
    }

    #[test]
    fn a_non_topological_index_order_gives_the_same_times() {
        // The network above with its tasks inserted in reverse.
        let g = TaskGraph::from_parts(
            [(5, 1.0), (4, 3.0), (3, 5.0), (2, 2.0), (1, 4.0), (0, 3.0)]
                .map(|(i, d)| (TaskId(i), d)),
            [(0, 1), (0, 2), (1, 3), (2, 3), (2, 4), (3, 5), (4, 5)]
                .map(|(u, v)| (TaskId(u), TaskId(v), 0.0)),
        )
        .unwrap();
        let dag = g.freeze().unwrap();
        let t = times(&dag, Delays::None);
        let by_id = |a: &[f64], id: u32| a[dag.index_of(TaskId(id)).unwrap()];
        assert_eq!(t.makespan, 13.0);
        assert_eq!(by_id(&t.est, 4), 5.0);
        assert_eq!(by_id(&t.lst, 4), 9.0);
        let path: Vec<TaskId> = t.critical_path.iter().map(|&i| dag.id(i)).collect();
        assert_eq!(path, [0, 1, 3, 5].map(TaskId));
    }

    #[test]
    fn times_with_checks_its_durations() {
        let g = TaskGraph::from_parts([(TaskId(0), 1.0)], []).unwrap();
        let dag = g.freeze().unwrap();
        assert!(matches!(
            times_with(&dag, &[], Delays::None),
            Err(Error::DimensionMismatch { .. })
        ));
        assert!(matches!(
            times_with(&dag, &[f64::NAN], Delays::None),
            Err(Error::NotFinite { .. })
        ));
        assert_eq!(
            times_with(&dag, &[4.0], Delays::None).unwrap().makespan,
            4.0
        );
        let empty = TaskGraph::new().freeze().unwrap();
        let t = times(&empty, Delays::Data);
        assert_eq!((t.makespan, t.critical_path.len()), (0.0, 0));
    }
}
