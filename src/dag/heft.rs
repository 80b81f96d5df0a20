//! HEFT (Heterogeneous Earliest Finish Time) and its one-step lookahead variant.

use super::graph::Csr;
use super::graph::Dag;
use super::list::{
    Costs, NONE, State, arrival, list_order, prepare, priority_groups, tolerance, work,
};
use super::platform::{Platform, Schedule};
use crate::{Error, Result};
use std::time::Instant;

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
/// time ignores; it costs about `m x (1 + E / V)` times HEFT.
///
/// # Arguments
/// As [`heft()`].
///
/// # Returns
/// A [`Schedule`] that [`super::validate`] accepts.
///
/// # Complexity
/// Per task, `m x (1 + out-degree)` tentative placements, each `m` timeline queries plus O(m)
/// for the data of the predecessors placed for good (kept per task and agent, O(E m) to update
/// in all) plus the data of the children placed tentatively before it (O(min(k log d, d) x m) for
/// the `k`-th child, `d` of whose predecessors are not yet placed for good; 0 when no child
/// feeds another), and as many removals; O(E log E) to sort the predecessors by list index.
/// About `m x (1 + E / V)` times HEFT, linear in the graph's size on a fan-in or a fan-out;
/// O(V m + E) extra space.
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
    match lookahead_until(dag, platform, None)? {
        Some(s) => Ok(s),
        // Without a deadline it always finishes.
        None => Err(Error::InvalidConfig {
            field: "deadline",
            reason: "the lookahead ran out of time",
        }),
    }
}

/// Tasks between two looks at the clock in [`lookahead_until`].
const CLOCK_EVERY: usize = 64;

/// [`heft_lookahead`], giving up (`Ok(None)`) once `deadline` has passed.
///
/// Per task and agent, the tentative placements of the children would rescan all their
/// predecessors (quadratic on a fan-in); instead `dr[s * m + q]` keeps, for every task `s`, when
/// the data of its predecessors placed *for good* is on agent `q` (updated as each task is
/// placed, O(E m) in all), and only the tentatively placed ones (the task and the children
/// before `s`) are added: from `s`'s not-yet-placed predecessors (sorted by list index, after
/// those placed for good) or by looking each earlier child up among them, whichever is
/// shorter. The ready times are the same maxima, so the schedule is the same.
pub(crate) fn lookahead_until(
    dag: &Dag,
    platform: &Platform,
    deadline: Option<Instant>,
) -> Result<Option<Schedule>> {
    if let Some(s) = prepare(dag, platform)? {
        return Ok(Some(s));
    }
    let c = dag.csr();
    let costs = Costs::new(dag, platform);
    let (n, m) = (costs.n, costs.m);
    let rank = costs.rank_up(&c);
    let tol = tolerance(&rank);
    let group = priority_groups(&rank, tol);
    let order = list_order(&c, &group);
    let mut at = vec![0u32; n];
    for (k, &v) in order.iter().enumerate() {
        at[v as usize] = k as u32;
    }
    // Each task's predecessors with the data, by list index: those placed for good are a prefix
    // (`done[v]` of them), as tasks are placed for good in list order.
    let mut preds: Vec<(u32, f64)> = c
        .pred
        .iter()
        .copied()
        .zip(c.pred_data.iter().copied())
        .collect();
    for v in 0..n {
        preds[c.pred_off[v] as usize..c.pred_off[v + 1] as usize]
            .sort_unstable_by_key(|&(u, _)| at[u as usize]);
    }
    let mut done = vec![0u32; n];
    let mut dr = vec![0.0f64; n * m];
    let mut st = State::new(n, m);
    let mut children: Vec<(u32, f64)> = Vec::new();
    for (k, &v) in order.iter().enumerate() {
        if k % CLOCK_EVERY == CLOCK_EVERY - 1 && deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(None);
        }
        let v = v as usize;
        let range = c.succ_off[v] as usize..c.succ_off[v + 1] as usize;
        children.clear();
        children.extend(
            c.succ[range.clone()]
                .iter()
                .copied()
                .zip(c.succ_data[range.clone()].iter().copied()),
        );
        children.sort_unstable_by_key(|&(s, _)| at[s as usize]);
        let mut best: Option<(f64, f64, usize)> = None; // (score, own finish, agent)
        for q in 0..m {
            // Every predecessor of `v` is placed for good: its ready times are `dr`'s.
            let spot = st.spot(q, dr[v * m + q], costs.exec(v, q));
            st.place(&costs, v, q, spot);
            let own = st.finish[v];
            let mut score = own;
            if !children.is_empty() {
                score = f64::NEG_INFINITY;
                for (j, &(ch, d)) in children.iter().enumerate() {
                    let ch = ch as usize;
                    st.ready_mut().copy_from_slice(&dr[ch * m..(ch + 1) * m]);
                    st.add_ready(&costs, v, d);
                    debug_assert_eq!(
                        preds[(c.pred_off[ch] + done[ch]) as usize].0 as usize,
                        v,
                        "the current task is the first predecessor not placed for good"
                    );
                    if j > 0 {
                        tentative_preds(
                            &mut st,
                            &costs,
                            &preds,
                            &c,
                            &at,
                            &done,
                            ch,
                            &children[..j],
                        );
                    }
                    let r = st.best_eft_ready(&costs, ch, tol);
                    let spot = st.last_spot(r);
                    st.place(&costs, ch, r, spot);
                    score = score.max(st.finish[ch]);
                }
                for &(ch, _) in children.iter().rev() {
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
        let spot = st.spot(q, dr[v * m + q], costs.exec(v, q));
        st.place(&costs, v, q, spot);
        for &(s, d) in &children {
            let s = s as usize;
            arrival(&costs, q, st.finish[v], d, &mut dr[s * m..(s + 1) * m]);
            done[s] += 1;
        }
        work::count(children.len() as u64);
    }
    Ok(Some(st.schedule(&c)))
}

/// Adds to the ready times of child `ch` the data of its tentatively placed predecessors other
/// than the current task: some of `earlier` (the children placed before it). Either scans
/// `ch`'s predecessors not placed for good (after the current task, which comes first) for
/// placed ones, or looks each of `earlier` up among them by binary search, whichever is cheaper.
#[allow(clippy::too_many_arguments)]
fn tentative_preds(
    st: &mut State,
    costs: &Costs<'_>,
    preds: &[(u32, f64)],
    c: &Csr<'_>,
    at: &[u32],
    done: &[u32],
    ch: usize,
    earlier: &[(u32, f64)],
) {
    let rest = &preds[(c.pred_off[ch] + done[ch] + 1) as usize..c.pred_off[ch + 1] as usize];
    if rest.is_empty() {
        return;
    }
    let lookups = earlier.len() * (rest.len().ilog2() as usize + 1);
    if rest.len() <= lookups {
        work::count(rest.len() as u64);
        for &(u, d) in rest {
            if st.agent[u as usize] != NONE {
                st.add_ready(costs, u as usize, d);
            }
        }
    } else {
        work::count(lookups as u64);
        for &(a, _) in earlier {
            let key = at[a as usize];
            if let Ok(i) = rest.binary_search_by_key(&key, |&(u, _)| at[u as usize]) {
                st.add_ready(costs, a as usize, rest[i].1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TaskId;
    use crate::dag::TaskGraph;
    use crate::model::SplitMix64;

    /// The lookahead as first written: every tentative placement rescans all the predecessors.
    fn reference(dag: &Dag, platform: &Platform) -> Schedule {
        prepare(dag, platform).unwrap();
        let c = dag.csr();
        let costs = Costs::new(dag, platform);
        let rank = costs.rank_up(&c);
        let tol = tolerance(&rank);
        let order = list_order(&c, &priority_groups(&rank, tol));
        let mut at = vec![0u32; costs.n];
        for (k, &v) in order.iter().enumerate() {
            at[v as usize] = k as u32;
        }
        let mut st = State::new(costs.n, costs.m);
        for &v in &order {
            let v = v as usize;
            let mut children = c.succ[c.succ_off[v] as usize..c.succ_off[v + 1] as usize].to_vec();
            children.sort_unstable_by_key(|&s| at[s as usize]);
            let mut best: Option<(f64, f64, usize)> = None;
            for q in 0..costs.m {
                let spot = st.spot_on(&costs, &c, v, q);
                st.place(&costs, v, q, spot);
                let own = st.finish[v];
                let mut score = own;
                if !children.is_empty() {
                    score = f64::NEG_INFINITY;
                    for &ch in &children {
                        let r = st.best_eft(&costs, &c, ch as usize, tol);
                        let spot = st.last_spot(r);
                        st.place(&costs, ch as usize, r, spot);
                        score = score.max(st.finish[ch as usize]);
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
        st.schedule(&c)
    }

    /// A random graph (edges from earlier to later indices, so children often feed each other)
    /// on `m` agents with random links, related or a matrix with some zero times.
    fn instance(n: usize, m: usize, seed: u64) -> (Dag, Platform) {
        let mut rng = SplitMix64(seed);
        let mut g = TaskGraph::new();
        for i in 0..n {
            g.add_task(TaskId(i as u32), rng.below(12) as f64).unwrap();
        }
        for v in 1..n {
            for _ in 0..rng.below(5) {
                let u = rng.below(v);
                let _ = g.add_edge(TaskId(u as u32), TaskId(v as u32), rng.below(8) as f64);
            }
        }
        let links = (0..m * m)
            .map(|k| {
                if k % (m + 1) == 0 {
                    0.0
                } else {
                    0.5 + rng.unit()
                }
            })
            .collect();
        let p = if seed % 2 == 0 {
            Platform::related((0..m).map(|_| 0.5 + rng.unit() * 3.0).collect(), links)
        } else {
            let times = (0..n * m)
                .map(|_| {
                    if rng.below(6) == 0 {
                        0.0
                    } else {
                        rng.below(20) as f64
                    }
                })
                .collect();
            Platform::matrix(n, m, times, links)
        };
        (g.freeze().unwrap(), p.unwrap())
    }

    #[test]
    fn lookahead_equals_the_rescanning_reference() {
        for seed in 0..60 {
            let (dag, p) = instance(2 + (seed as usize * 7) % 90, 1 + seed as usize % 5, seed);
            assert_eq!(
                heft_lookahead(&dag, &p).unwrap(),
                reference(&dag, &p),
                "seed {seed}"
            );
        }
    }

    #[test]
    fn lookahead_work_is_linear_on_a_fan_in() {
        // 3000 sources into one sink on 4 agents: each source's tentative placement of the sink
        // used to rescan its 3000 predecessors, 4 x 4 times (1.4e8 entries in all).
        let k = 3000u32;
        let g = TaskGraph::from_parts(
            (0..=k).map(|i| (TaskId(i), 1.0 + (i % 7) as f64)),
            (0..k).map(|i| (TaskId(i), TaskId(k), 1.0)),
        )
        .unwrap();
        let dag = g.freeze().unwrap();
        let p = Platform::related(vec![1.0, 2.0, 3.0, 4.0], Platform::unit_links(4)).unwrap();
        let before = work::seen();
        let s = heft_lookahead(&dag, &p).unwrap();
        let seen = work::seen() - before;
        assert_eq!(crate::dag::validate(&dag, &p, &s), Ok(s.makespan));
        let (v, e, m) = (u64::from(k) + 1, u64::from(k), 4u64);
        assert!(
            seen <= 4 * m * m * (v + e),
            "{seen} entries for V + E = {}",
            v + e
        );
    }

    #[test]
    fn a_passed_deadline_gives_up() {
        let (dag, p) = instance(200, 3, 4);
        assert_eq!(
            lookahead_until(&dag, &p, Some(Instant::now())).unwrap(),
            None
        );
        assert_eq!(
            lookahead_until(&dag, &p, None).unwrap(),
            Some(heft_lookahead(&dag, &p).unwrap())
        );
    }
}
