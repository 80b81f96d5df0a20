//! CPoP (Critical Path on a Processor).

use super::graph::Dag;
use super::list::{Costs, NONE, State, prepare, priority_groups, tolerance};
use super::platform::{Platform, Schedule};
use crate::Result;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// CPoP: the tasks of a critical path all on the one agent that runs them fastest, every other
/// task on its earliest-finish agent, in order of `rank_u + rank_d` among the ready tasks.
///
/// Exactly as Topcuoglu, Hariri and Wu, "Performance-effective and low-complexity task
/// scheduling for heterogeneous computing", IEEE TPDS 13(3), 2002, section 4.2 (Fig. 5):
/// 1. mean costs, upward and downward ranks (see [`super::upward_ranks`],
///    [`super::downward_ranks`]); `priority = rank_u + rank_d`;
/// 2. `|CP|` is the entry task's priority; the critical path starts at the entry task and goes,
///    from each task, to a successor of priority `|CP|`, down to an exit task;
/// 3. the critical-path agent is the one that minimises the sum of the execution times of the
///    critical-path tasks;
/// 4. a priority queue holds the ready tasks; the highest-priority one is taken, placed on the
///    critical-path agent if it is on the critical path, otherwise on the agent of its earliest
///    finish time; both with the insertion-based policy of [`super::heft()`].
///
/// For a graph with several entry (exit) tasks, the paper adds a zero-cost pseudo entry (exit)
/// task; that changes no rank, so here the path starts at the entry task of the highest priority
/// and ends at the first exit task it reaches. Along the path, the next task is the successor of
/// the highest priority (in exact arithmetic those on the path have priority `|CP|`, the others
/// less), which is robust to rounding.
///
/// Ties (DESIGN.md): priorities within `1e-9 x` the largest are equal and go by the lowest task
/// index (for the entry, each successor step and the queue); agents by the lowest index among
/// those within the tolerance (for the critical-path agent's sum and for finish times).
///
/// # Arguments
/// - `dag`: the task graph.
/// - `platform`: the agents and links.
///
/// # Returns
/// A [`Schedule`] that [`super::validate`] accepts.
///
/// # Complexity
/// O(V log V + E m + V m (log V + B + V_p / B)) time as [`super::heft()`]; O(V m) extra space.
///
/// # Errors
/// As [`super::heft()`].
///
/// # Example: the paper's example (Fig. 2), schedule length 86
/// ```
/// use agentsched::dag::{cpop, validate, Platform, TaskGraph};
/// use agentsched::TaskId;
///
/// let w = [[14., 16., 9.], [13., 19., 18.], [11., 13., 19.], [13., 8., 17.], [12., 13., 10.],
///          [13., 16., 9.], [7., 15., 11.], [5., 11., 14.], [18., 12., 20.], [21., 7., 16.]];
/// let edges = [(1, 2, 18.), (1, 3, 12.), (1, 4, 9.), (1, 5, 11.), (1, 6, 14.), (2, 8, 19.),
///              (2, 9, 16.), (3, 7, 23.), (4, 8, 27.), (4, 9, 23.), (5, 9, 13.), (6, 8, 15.),
///              (7, 10, 17.), (8, 10, 11.), (9, 10, 13.)];
/// let g = TaskGraph::from_parts(
///     (1..=10).map(|i| (TaskId(i), 0.0)),
///     edges.iter().map(|&(u, v, c)| (TaskId(u), TaskId(v), c)),
/// )?;
/// let dag = g.freeze()?;
/// let p = Platform::matrix(10, 3, w.concat(), Platform::unit_links(3))?;
/// let s = cpop(&dag, &p)?;
/// assert_eq!(s.makespan, 86.0);
/// assert_eq!(validate(&dag, &p, &s)?, 86.0);
/// // The critical path 1-2-9-10 runs on the second agent (16 + 19 + 12 + 7 = 54).
/// for t in [0, 1, 8, 9] {
///     assert_eq!(s.slots[t].agent, 1);
/// }
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn cpop(dag: &Dag, platform: &Platform) -> Result<Schedule> {
    if let Some(s) = prepare(dag, platform)? {
        return Ok(s);
    }
    let c = dag.csr();
    let costs = Costs::new(dag, platform);
    let up = costs.rank_up(&c);
    let down = costs.rank_down(&c);
    let priority: Vec<f64> = up.iter().zip(&down).map(|(u, d)| u + d).collect();
    let tol = tolerance(&priority);
    let group = priority_groups(&priority, tol);
    let n = costs.n;
    let m = costs.m;

    let on_cp = critical_path(&c, &group);
    let mut sums = vec![0.0f64; m];
    for v in (0..n).filter(|&v| on_cp[v]) {
        for (s, &w) in sums.iter_mut().zip(costs.row(v)) {
            *s += w;
        }
    }
    let min = sums.iter().copied().fold(f64::INFINITY, f64::min);
    let time_tol = tolerance(&up);
    let p_cp = (0..m)
        .find(|&q| sums[q] <= min + REL_SUM * min.abs())
        .unwrap_or(0);

    let mut st = State::new(n, m);
    let mut missing: Vec<u32> = (0..n).map(|v| c.pred_off[v + 1] - c.pred_off[v]).collect();
    let mut ready: BinaryHeap<Reverse<(u32, u32, u32)>> = (0..n)
        .filter(|&v| missing[v] == 0)
        .map(|v| Reverse((group[v], c.order[v], v as u32)))
        .collect();
    while let Some(Reverse((_, _, v))) = ready.pop() {
        let v = v as usize;
        if on_cp[v] {
            let spot = st.spot_on(&costs, &c, v, p_cp);
            st.place(&costs, v, p_cp, spot);
        } else {
            let q = st.best_eft(&costs, &c, v, time_tol);
            let spot = st.last_spot(q);
            st.place(&costs, v, q, spot);
        }
        for &s in &c.succ[c.succ_off[v] as usize..c.succ_off[v + 1] as usize] {
            let s = s as usize;
            missing[s] -= 1;
            if missing[s] == 0 {
                ready.push(Reverse((group[s], c.order[s], s as u32)));
            }
        }
    }
    debug_assert!(st.agent.iter().all(|&a| a != NONE));
    Ok(st.schedule(&c))
}

/// Relative tolerance of the critical-path agent's sums.
const REL_SUM: f64 = super::list::REL_TOL;

/// The critical path by position: from the entry task of the highest priority, the successor of
/// the highest priority, until an exit task (ties: the lowest task index).
fn critical_path(c: &super::graph::Csr<'_>, group: &[u32]) -> Vec<bool> {
    let n = group.len();
    let key = |v: usize| (group[v], c.order[v]);
    let mut on = vec![false; n];
    let entry = (0..n)
        .filter(|&v| c.pred_off[v] == c.pred_off[v + 1])
        .min_by_key(|&v| key(v));
    let Some(mut v) = entry else {
        return on;
    };
    loop {
        on[v] = true;
        let next = c.succ[c.succ_off[v] as usize..c.succ_off[v + 1] as usize]
            .iter()
            .map(|&s| s as usize)
            .min_by_key(|&s| key(s));
        match next {
            Some(s) => v = s,
            None => return on,
        }
    }
}
