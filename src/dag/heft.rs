//! HEFT (Heterogeneous Earliest Finish Time) and its one-step lookahead variant.

use super::graph::Dag;
use super::list::{Costs, State, list_order, prepare, priority_groups, tolerance};
use super::platform::{Platform, Schedule};
use crate::Result;

/// HEFT: tasks by decreasing upward rank, each on the agent where it finishes earliest, inserted
/// into the first idle gap that fits.
///
/// Exactly as Topcuoglu, Hariri and Wu, "Performance-effective and low-complexity task
/// scheduling for heterogeneous computing", IEEE TPDS 13(3), 2002, section 4.1:
/// 1. mean execution and communication times (see [`super::upward_ranks`]);
/// 2. the upward rank of every task; the list is the tasks by non-increasing rank;
/// 3. each task in turn goes to the agent that minimises its earliest finish time, where its
///    earliest start on an agent is the first moment at or after its data is there (each
///    predecessor's finish plus the communication time between their agents, none on the same
///    agent) when the agent has an idle gap as long as the task (insertion-based policy).
///
/// Ties (documented in DESIGN.md): ranks within `1e-9 x` the largest rank are equal and go by
/// the lowest task index (a task never precedes its predecessor: among equal ranks the list
/// takes the lowest index whose predecessors are listed); finish times within the same tolerance
/// are equal and go to the lowest agent index; the gap is the earliest one that fits. A task of
/// length zero runs as soon as its data is there and occupies no time.
///
/// # Arguments
/// - `dag`: the task graph (durations are the related model's costs).
/// - `platform`: the agents ([`super::Exec::Related`] or [`super::Exec::Matrix`]) and links.
///
/// # Returns
/// A [`Schedule`] (a slot per task index) that [`super::validate`] accepts.
///
/// # Complexity
/// O(V log V + E m + V m (log V + B + V_p / B)) time with `V_p` tasks per agent and timeline
/// blocks of `B = 64..128` intervals; O(V m) extra space.
///
/// # Errors
/// From [`Platform::check`] (a matrix with the wrong number of rows);
/// [`crate::Error::NotFinite`] for costs so large that a schedule could overflow (see
/// [`super::upward_ranks`]).
///
/// # Example: the paper's example (Fig. 2), schedule length 80
/// ```
/// use agentsched::dag::{heft, validate, Platform, TaskGraph};
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
/// let s = heft(&dag, &p)?;
/// assert_eq!(s.makespan, 80.0);
/// assert_eq!(validate(&dag, &p, &s)?, 80.0);
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn heft(dag: &Dag, platform: &Platform) -> Result<Schedule> {
    if let Some(s) = prepare(dag, platform)? {
        return Ok(s);
    }
    let c = dag.csr();
    let costs = Costs::new(dag, platform);
    let rank = costs.rank_up(&c);
    let tol = tolerance(&rank);
    let order = list_order(&c, &priority_groups(&rank, tol));
    let mut st = State::new(costs.n, costs.m);
    for &v in &order {
        let v = v as usize;
        let q = st.best_eft(&costs, &c, v, tol);
        let spot = st.last_spot(q);
        st.place(&costs, v, q, spot);
    }
    Ok(st.schedule(&c))
}

/// HEFT with a one-step lookahead: each task goes to the agent that minimises the largest
/// earliest finish time of its children when they are then placed by HEFT's rule.
///
/// The basic lookahead of Bittencourt, Sakellariou and Madeira, "DAG scheduling using a
/// lookahead variant of the Heterogeneous Earliest Finish Time algorithm", PDP 2010: same list
/// as [`heft()`]; for the current task and each agent in turn, the task is placed there
/// (insertion), then its children, in list order, each on its earliest-finish agent considering
/// only the predecessors already placed; the score of the agent is the largest of the children's
/// finish times (the task's own for an exit task). The task goes to the agent of the lowest
/// score (ties within the tolerance: the lower own finish time, then the lowest agent index) and
/// the children are taken off again. Ties and tolerance as in [`heft()`].
///
/// It sees the communication a placement causes downstream, which plain HEFT's greedy finish
/// time ignores; it costs about `1 + m x (mean out-degree)` times HEFT.
///
/// # Arguments
/// As [`heft()`].
///
/// # Returns
/// A [`Schedule`] that [`super::validate`] accepts.
///
/// # Complexity
/// Per task, `m x (1 + out-degree)` tentative placements of HEFT's cost (each O(in-degree x m)
/// plus `m` timeline queries) and as many removals: about `1 + m x E / V` times HEFT; O(V m)
/// extra space.
///
/// # Errors
/// As [`heft()`].
///
/// # Example: a fork on two agents
/// ```
/// use agentsched::dag::{heft, heft_lookahead, Platform, TaskGraph};
/// use agentsched::TaskId;
/// let g = TaskGraph::from_parts(
///     (0..3).map(|i| (TaskId(i), 4.0)),
///     [(0, 1, 3.0), (0, 2, 3.0)].map(|(u, v, d)| (TaskId(u), TaskId(v), d)),
/// )?;
/// let dag = g.freeze()?;
/// let p = Platform::related(vec![1.0, 1.0], Platform::unit_links(2))?;
/// assert!(heft_lookahead(&dag, &p)?.makespan <= heft(&dag, &p)?.makespan);
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn heft_lookahead(dag: &Dag, platform: &Platform) -> Result<Schedule> {
    if let Some(s) = prepare(dag, platform)? {
        return Ok(s);
    }
    let c = dag.csr();
    let costs = Costs::new(dag, platform);
    let rank = costs.rank_up(&c);
    let tol = tolerance(&rank);
    let group = priority_groups(&rank, tol);
    let order = list_order(&c, &group);
    let mut at = vec![0u32; costs.n];
    for (k, &v) in order.iter().enumerate() {
        at[v as usize] = k as u32;
    }
    let mut st = State::new(costs.n, costs.m);
    let mut children: Vec<u32> = Vec::new();
    for &v in &order {
        let v = v as usize;
        children.clear();
        children.extend_from_slice(&c.succ[c.succ_off[v] as usize..c.succ_off[v + 1] as usize]);
        children.sort_unstable_by_key(|&s| at[s as usize]);
        let mut best: Option<(f64, f64, usize)> = None; // (score, own finish, agent)
        for q in 0..costs.m {
            let spot = st.spot_on(&costs, &c, v, q);
            st.place(&costs, v, q, spot);
            let own = st.finish[v];
            let mut score = own;
            if !children.is_empty() {
                score = f64::NEG_INFINITY;
                for &ch in &children {
                    let ch = ch as usize;
                    let r = st.best_eft(&costs, &c, ch, tol);
                    let spot = st.last_spot(r);
                    st.place(&costs, ch, r, spot);
                    score = score.max(st.finish[ch]);
                }
                for &ch in children.iter().rev() {
                    st.unplace(ch as usize);
                }
            }
            st.unplace(v);
            let better = match best {
                None => true,
                Some((bs, bo, _)) => score < bs - tol || (score <= bs + tol && own < bo - tol),
            };
            if better {
                best = Some((score, own, q));
            }
        }
        let q = best.map_or(0, |b| b.2);
        let spot = st.spot_on(&costs, &c, v, q);
        st.place(&costs, v, q, spot);
    }
    Ok(st.schedule(&c))
}
