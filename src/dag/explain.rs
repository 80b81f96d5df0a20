//! Why a schedule is as long as it is: its critical path (the chain of constraints that ends at
//! the makespan) and its communication waits.
//!
//! A task of a schedule starts when the last of its constraints lets it: the data of each
//! predecessor (its finish plus the transfer between the two agents) and its agent (free once
//! the task before it there finishes). Walking back from the task that finishes last through the
//! constraint that was *binding* at each start gives a chain whose lengths add up to the
//! makespan: shorten anything on it and the schedule can get shorter, shorten anything else and
//! it cannot.
//!
//! # Example: why a schedule takes 7 units
//! ```
//! use agentsched::dag::explain::{Binding, communication_waits, schedule_critical_path};
//! use agentsched::dag::{Platform, Schedule, Slot, TaskGraph};
//! use agentsched::TaskId;
//!
//! // 0 -> 1 with 3 units of data over a link of strength 1; 2 is independent.
//! let g = TaskGraph::from_parts(
//!     [(TaskId(0), 2.0), (TaskId(1), 2.0), (TaskId(2), 2.0)],
//!     [(TaskId(0), TaskId(1), 3.0)],
//! )?;
//! let dag = g.freeze()?;
//! let p = Platform::related(vec![1.0, 1.0], Platform::unit_links(2))?;
//! let slot = |agent, start, finish| Slot { agent, start, finish };
//! // 0 on agent 0, 2 on agent 1, then 1 on agent 1 when 0's data arrives at 2 + 3 = 5.
//! let s = Schedule { slots: vec![slot(0, 0.0, 2.0), slot(1, 5.0, 7.0), slot(1, 0.0, 2.0)], makespan: 7.0 };
//! let path = schedule_critical_path(&dag, &p, &s)?;
//! assert_eq!(path.iter().map(|s| s.task).collect::<Vec<_>>(), vec![0, 1]);
//! assert_eq!(path[1].binding, Binding::Data { from: 0, arrival: 5.0, comm: 3.0 });
//! // Agent 1 was free from 2 and task 0 done at 2: 1 waited 2..5 for the transfer.
//! let w = communication_waits(&dag, &p, &s)?;
//! assert_eq!((w[0].task, w[0].start, w[0].end), (1, 2.0, 5.0));
//! # Ok::<(), agentsched::Error>(())
//! ```

use super::graph::Dag;
use super::platform::{Platform, Schedule, validate};
use crate::Result;
use serde::{Deserialize, Serialize};

/// What fixed the start of a task on a [`schedule_critical_path`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Binding {
    /// The task starts at time 0: the chain begins here.
    Start,
    /// The task starts later than every constraint allows (the scheduler left its agent idle):
    /// the chain begins here too, after `start - ready` units in which nothing held the task
    /// back.
    Unbound {
        /// The time the task could have started: its latest data arrival or its agent's previous
        /// finish, whichever is later (0 without either).
        ready: f64,
    },
    /// The data of predecessor `from` arrives exactly when the task starts.
    Data {
        /// The predecessor's task index.
        from: usize,
        /// When its data arrives on the task's agent: its finish plus `comm`.
        arrival: f64,
        /// The transfer time between the two agents (0 on the same agent, positive across
        /// agents when the edge carries data): a communication wait when positive.
        comm: f64,
    },
    /// The task starts exactly when the task before it on the same agent finishes.
    Agent {
        /// The previous task's index.
        previous: usize,
    },
}

/// One task on a schedule's critical path, with the reason it starts when it does.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CriticalStep {
    /// The task index.
    pub task: usize,
    /// Its agent.
    pub agent: usize,
    /// Its start.
    pub start: f64,
    /// Its finish.
    pub finish: f64,
    /// What fixed its start; for the first step [`Binding::Start`] or [`Binding::Unbound`], for
    /// every later one the previous step's task.
    pub binding: Binding,
}

/// A stretch of time in which a task's agent was free and every predecessor had finished, but
/// the task waited for data still in transit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CommWait {
    /// The waiting task's index.
    pub task: usize,
    /// Its agent.
    pub agent: usize,
    /// The predecessor whose data arrives last (lowest index on ties).
    pub from: usize,
    /// Start of the wait: the later of the agent becoming free and the last predecessor
    /// finishing (the start the task would have with instant transfers).
    pub start: f64,
    /// End of the wait: the last data arrival, capped at the task's start.
    pub end: f64,
}

/// The absolute tolerance the validator compares times with.
pub(crate) fn tolerance(makespan: f64) -> f64 {
    1e-9 * makespan.max(1.0)
}

/// For each task, the finish of the task before it on its agent with the latest finish (the
/// agent's free time), as `(finish, task)`; tasks ordered per agent by (start, finish, index) as
/// the validator orders them. `None` for the first task of an agent, and for a zero-length task
/// that the validator lets sit inside another task's interval (that task finishes after it
/// starts, so it did not hold it back).
fn agent_previous(schedule: &Schedule, agents: usize, tol: f64) -> Vec<Option<(f64, usize)>> {
    let n = schedule.slots.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&schedule.slots[a], &schedule.slots[b]);
        x.agent
            .cmp(&y.agent)
            .then(x.start.total_cmp(&y.start))
            .then(x.finish.total_cmp(&y.finish))
            .then(a.cmp(&b))
    });
    let mut prev = vec![None; n];
    let mut best: Vec<Option<(f64, usize)>> = vec![None; agents];
    for &t in &order {
        let s = &schedule.slots[t];
        prev[t] = best[s.agent].filter(|&(f, _)| f <= s.start + tol);
        // Latest finish so far; among equal finishes the lowest index.
        best[s.agent] = match best[s.agent] {
            Some((f, u)) if f > s.finish || (f == s.finish && u < t) => Some((f, u)),
            _ => Some((s.finish, t)),
        };
    }
    prev
}

/// The critical path of a schedule: the chain of binding constraints that ends at the task
/// finishing last, entry first.
///
/// Starting from the task that finishes last (lowest index among ties), each step looks at what
/// fixed its start, within the validator's tolerance `1e-9 * max(1, makespan)`:
/// 1. a predecessor whose data arrives exactly at the start ([`Binding::Data`]; among several,
///    the lowest index), else
/// 2. the task before it on its agent (the one with the latest finish among those ordered before
///    it by start) finishing exactly at the start ([`Binding::Agent`]).
///
/// Data comes first because an edge is a property of the graph and explains more than the
/// order the scheduler chose. The walk stops at a task that starts at 0 ([`Binding::Start`]) or
/// whose start nothing binds ([`Binding::Unbound`]); a task never appears twice.
///
/// When the chain begins with [`Binding::Start`], the makespan equals the sum of the execution
/// times along it plus the `comm` of its data steps: the schedule has no slack on it.
///
/// # Arguments
/// - `dag`, `platform`: the problem; `schedule`: any schedule of it (validated first).
///
/// # Returns
/// The steps in time order: the first is where the chain begins, the last finishes at the
/// makespan. Empty for a graph without tasks.
///
/// # Complexity
/// O(V log V + E) time (the validation and a sort of the tasks by agent and start), O(V) space.
///
/// # Errors
/// Those of [`validate`].
///
/// # Example: a transfer on the critical path
/// ```
/// use agentsched::dag::explain::{Binding, schedule_critical_path};
/// use agentsched::dag::{Platform, Schedule, Slot, TaskGraph};
/// use agentsched::TaskId;
///
/// // a -> c (data 4), b -> c (data 0); two agents joined by a link of strength 2.
/// let g = TaskGraph::from_parts(
///     [(TaskId(0), 2.0), (TaskId(1), 1.0), (TaskId(2), 3.0)],
///     [(TaskId(0), TaskId(2), 4.0), (TaskId(1), TaskId(2), 0.0)],
/// )?;
/// let dag = g.freeze()?;
/// let p = Platform::related(vec![1.0, 1.0], vec![0.0, 2.0, 2.0, 0.0])?;
/// let slot = |agent, start, finish| Slot { agent, start, finish };
/// // a on agent 0 (0..2), b then c on agent 1: c waits for a's data until 2 + 4/2 = 4.
/// let s = Schedule { slots: vec![slot(0, 0.0, 2.0), slot(1, 0.0, 1.0), slot(1, 4.0, 7.0)], makespan: 7.0 };
/// let path = schedule_critical_path(&dag, &p, &s)?;
/// assert_eq!(path.iter().map(|s| s.task).collect::<Vec<_>>(), vec![0, 2]);
/// assert_eq!(path[0].binding, Binding::Start);
/// assert_eq!(path[1].binding, Binding::Data { from: 0, arrival: 4.0, comm: 2.0 });
/// # Ok::<(), agentsched::Error>(())
/// ```
///
/// Reference: the critical path of a schedule as in the analysis of list scheduling (Graham,
/// "Bounds on multiprocessing timing anomalies", SIAM J. Appl. Math. 1969), with communication
/// edges as in Topcuoglu, Hariri and Wu, IEEE TPDS 2002.
pub fn schedule_critical_path(
    dag: &Dag,
    platform: &Platform,
    schedule: &Schedule,
) -> Result<Vec<CriticalStep>> {
    let makespan = validate(dag, platform, schedule)?;
    Ok(critical_path_of(dag, platform, schedule, makespan))
}

/// [`schedule_critical_path`] on a schedule already validated, with its recomputed makespan.
pub(crate) fn critical_path_of(
    dag: &Dag,
    platform: &Platform,
    schedule: &Schedule,
    makespan: f64,
) -> Vec<CriticalStep> {
    let slots = &schedule.slots;
    let n = slots.len();
    if n == 0 {
        return Vec::new();
    }
    let tol = tolerance(makespan);
    let prev = agent_previous(schedule, platform.agents(), tol);
    let mut last = 0;
    for t in 1..n {
        if slots[t].finish > slots[last].finish {
            last = t;
        }
    }
    let mut seen = vec![false; n];
    let mut path = Vec::new();
    let mut t = last;
    loop {
        seen[t] = true;
        let s = slots[t];
        let mut ready = 0.0f64;
        let mut data: Option<(usize, f64, f64)> = None;
        for (u, d) in dag.predecessors(t) {
            let comm = platform.comm_time(d, slots[u].agent, s.agent);
            let arrival = slots[u].finish + comm;
            ready = ready.max(arrival);
            if !seen[u]
                && (arrival - s.start).abs() <= tol
                && data.is_none_or(|(best, _, _)| u < best)
            {
                data = Some((u, arrival, comm));
            }
        }
        let agent = prev[t].filter(|&(f, u)| !seen[u] && (f - s.start).abs() <= tol);
        if let Some((f, _)) = prev[t] {
            ready = ready.max(f);
        }
        let (binding, next) = if s.start <= tol {
            (Binding::Start, None)
        } else if let Some((from, arrival, comm)) = data {
            (
                Binding::Data {
                    from,
                    arrival,
                    comm,
                },
                Some(from),
            )
        } else if let Some((_, previous)) = agent {
            (Binding::Agent { previous }, Some(previous))
        } else {
            (Binding::Unbound { ready }, None)
        };
        path.push(CriticalStep {
            task: t,
            agent: s.agent,
            start: s.start,
            finish: s.finish,
            binding,
        });
        match next {
            Some(u) => t = u,
            None => break,
        }
    }
    path.reverse();
    path
}

/// The communication waits of a schedule: for each task whose agent was free and whose
/// predecessors had all finished before its last data arrived, the stretch in between.
///
/// A wait runs from `max(agent free, last predecessor finish)` to `min(last data arrival,
/// start)`; waits shorter than the validator's tolerance are left out. On the task's row of a
/// Gantt chart it sits between the previous task on the agent and the task itself, so it never
/// covers another task of positive length.
///
/// # Returns
/// The waits by ascending task index.
///
/// # Complexity
/// O(V log V + E) time, O(V) space.
///
/// # Errors
/// Those of [`validate`].
///
/// # Example: a task waits for data
/// ```
/// use agentsched::dag::explain::communication_waits;
/// use agentsched::dag::{Platform, Schedule, Slot, TaskGraph};
/// use agentsched::TaskId;
/// let g = TaskGraph::from_parts([(TaskId(0), 2.0), (TaskId(1), 1.0)], [(TaskId(0), TaskId(1), 6.0)])?;
/// let p = Platform::related(vec![1.0, 1.0], vec![0.0, 3.0, 3.0, 0.0])?;
/// let slot = |agent, start, finish| Slot { agent, start, finish };
/// let s = Schedule { slots: vec![slot(0, 0.0, 2.0), slot(1, 4.0, 5.0)], makespan: 5.0 };
/// let w = communication_waits(&g.freeze()?, &p, &s)?;
/// assert_eq!((w[0].task, w[0].from, w[0].start, w[0].end), (1, 0, 2.0, 4.0));
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn communication_waits(
    dag: &Dag,
    platform: &Platform,
    schedule: &Schedule,
) -> Result<Vec<CommWait>> {
    let makespan = validate(dag, platform, schedule)?;
    Ok(waits_of(dag, platform, schedule, makespan))
}

/// [`communication_waits`] on a schedule already validated, with its recomputed makespan.
pub(crate) fn waits_of(
    dag: &Dag,
    platform: &Platform,
    schedule: &Schedule,
    makespan: f64,
) -> Vec<CommWait> {
    let tol = tolerance(makespan);
    let slots = &schedule.slots;
    let prev = agent_previous(schedule, platform.agents(), tol);
    let mut waits = Vec::new();
    for (t, s) in slots.iter().enumerate() {
        let mut local = prev[t].map_or(0.0, |(f, _)| f);
        let mut last: Option<(f64, usize)> = None;
        for (u, d) in dag.predecessors(t) {
            let p = &slots[u];
            local = local.max(p.finish);
            let arrival = p.finish + platform.comm_time(d, p.agent, s.agent);
            if last.is_none_or(|(a, v)| arrival > a || (arrival == a && u < v)) {
                last = Some((arrival, u));
            }
        }
        if let Some((arrival, from)) = last {
            let end = arrival.min(s.start);
            if end - local > tol {
                waits.push(CommWait {
                    task: t,
                    agent: s.agent,
                    from,
                    start: local,
                    end,
                });
            }
        }
    }
    waits
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TaskId;
    use crate::dag::{Slot, TaskGraph};

    fn slot(agent: usize, start: f64, finish: f64) -> Slot {
        Slot {
            agent,
            start,
            finish,
        }
    }

    fn schedule(slots: Vec<Slot>) -> Schedule {
        let makespan = slots.iter().map(|s| s.finish).fold(0.0, f64::max);
        Schedule { slots, makespan }
    }

    fn dag(durations: &[f64], edges: &[(u32, u32, f64)]) -> Dag {
        TaskGraph::from_parts(
            durations
                .iter()
                .enumerate()
                .map(|(i, &d)| (TaskId(i as u32), d)),
            edges.iter().map(|&(u, v, d)| (TaskId(u), TaskId(v), d)),
        )
        .unwrap()
        .freeze()
        .unwrap()
    }

    fn tasks(path: &[CriticalStep]) -> Vec<usize> {
        path.iter().map(|s| s.task).collect()
    }

    #[test]
    fn agent_order_binds_when_no_data_does() {
        // Three independent tasks on one agent, back to back: the chain is the agent's order.
        let d = dag(&[1.0, 2.0, 3.0], &[]);
        let p = Platform::related(vec![1.0], vec![0.0]).unwrap();
        let s = schedule(vec![
            slot(0, 5.0, 6.0),
            slot(0, 0.0, 2.0),
            slot(0, 2.0, 5.0),
        ]);
        let path = schedule_critical_path(&d, &p, &s).unwrap();
        assert_eq!(tasks(&path), vec![1, 2, 0]);
        assert_eq!(path[0].binding, Binding::Start);
        assert_eq!(path[1].binding, Binding::Agent { previous: 1 });
        assert_eq!(path[2].binding, Binding::Agent { previous: 2 });
    }

    #[test]
    fn data_beats_agent_and_ties_go_to_the_lowest_index() {
        // 0 and 1 feed 3; 2 runs before 3 on 3's agent. All three end at 2 (data on one agent
        // or instant), so each binds 3's start at 2: the data edges win, the lower index first.
        let d = dag(&[2.0, 2.0, 2.0, 1.0], &[(0, 3, 0.0), (1, 3, 0.0)]);
        let p = Platform::related(vec![1.0, 1.0, 1.0], Platform::unit_links(3)).unwrap();
        let s = schedule(vec![
            slot(0, 0.0, 2.0),
            slot(1, 0.0, 2.0),
            slot(2, 0.0, 2.0),
            slot(2, 2.0, 3.0),
        ]);
        let path = schedule_critical_path(&d, &p, &s).unwrap();
        assert_eq!(tasks(&path), vec![0, 3]);
        assert_eq!(
            path[1].binding,
            Binding::Data {
                from: 0,
                arrival: 2.0,
                comm: 0.0
            }
        );
    }

    #[test]
    fn a_zero_length_task_inside_another_is_not_held_back_by_it() {
        // Found by the dag_graph fuzz target: task 0 (zero length, at 33.25) sits inside task 2
        // (31.25..57.125) on agent 0, which the validator allows; its data goes to task 1 on
        // agent 1. Task 2 finishes after task 0 starts, so it cannot be what task 0 waited for.
        let g = TaskGraph::from_parts(
            [(TaskId(0), 0.0), (TaskId(1), 0.0), (TaskId(2), 25.875)],
            [(TaskId(0), TaskId(1), 16.375)],
        )
        .unwrap();
        let dag = g.freeze().unwrap();
        let p = Platform::related(vec![1.0, 1.0], vec![0.0, 0.001, 0.001, 0.0]).unwrap();
        let slot = |agent, start, finish| Slot {
            agent,
            start,
            finish,
        };
        let s = Schedule {
            slots: vec![
                slot(0, 33.25, 33.25),
                slot(1, 16408.25, 16408.25),
                slot(0, 31.25, 57.125),
            ],
            makespan: 16408.25,
        };
        validate(&dag, &p, &s).unwrap();
        let path = schedule_critical_path(&dag, &p, &s).unwrap();
        assert_eq!(path.len(), 2);
        assert_eq!(path[0].task, 0);
        match path[0].binding {
            Binding::Unbound { ready } => assert!(ready <= path[0].start, "{ready}"),
            b => panic!("{b:?}"),
        }
        for w in communication_waits(&dag, &p, &s).unwrap() {
            assert!(w.start <= w.end, "{w:?}");
        }
    }

    #[test]
    fn an_idle_gap_ends_the_chain() {
        // 1 could start at 2 (its data arrives then) but starts at 3.
        let d = dag(&[2.0, 1.0], &[(0, 1, 0.0)]);
        let p = Platform::related(vec![1.0], vec![0.0]).unwrap();
        let s = schedule(vec![slot(0, 0.0, 2.0), slot(0, 3.0, 4.0)]);
        let path = schedule_critical_path(&d, &p, &s).unwrap();
        assert_eq!(tasks(&path), vec![1]);
        assert_eq!(path[0].binding, Binding::Unbound { ready: 2.0 });
        assert!(communication_waits(&d, &p, &s).unwrap().is_empty());
    }

    #[test]
    fn a_mixed_chain_adds_up_to_the_makespan() {
        // 0 -> 1 across agents (data 6 over strength 2 = 3), then 2 after 1 on agent 1, and 3
        // after 2 fed by 2's data (same agent, comm 0).
        let d = dag(&[2.0, 1.0, 4.0, 1.0, 1.0], &[(0, 1, 6.0), (2, 3, 5.0)]);
        let p = Platform::related(vec![1.0, 2.0], vec![0.0, 2.0, 2.0, 0.0]).unwrap();
        let s = schedule(vec![
            slot(0, 0.0, 2.0), // 0
            slot(1, 5.0, 5.5), // 1: data arrives at 2 + 3
            slot(1, 5.5, 7.5), // 2: after 1 on agent 1
            slot(1, 7.5, 8.0), // 3: data of 2, same agent
            slot(0, 2.0, 3.0), // 4: off the path
        ]);
        let path = schedule_critical_path(&d, &p, &s).unwrap();
        assert_eq!(tasks(&path), vec![0, 1, 2, 3]);
        assert_eq!(
            path.iter().map(|s| s.binding).collect::<Vec<_>>(),
            vec![
                Binding::Start,
                Binding::Data {
                    from: 0,
                    arrival: 5.0,
                    comm: 3.0
                },
                Binding::Agent { previous: 1 },
                Binding::Data {
                    from: 2,
                    arrival: 7.5,
                    comm: 0.0
                },
            ]
        );
        let total: f64 = path
            .iter()
            .map(|s| {
                s.finish - s.start
                    + match s.binding {
                        Binding::Data { comm, .. } => comm,
                        _ => 0.0,
                    }
            })
            .sum();
        assert_eq!(total, 8.0);
        let w = communication_waits(&d, &p, &s).unwrap();
        assert_eq!(
            w,
            vec![CommWait {
                task: 1,
                agent: 1,
                from: 0,
                start: 2.0,
                end: 5.0
            }]
        );
    }

    #[test]
    fn the_last_finisher_is_the_lowest_index_among_ties_and_invalid_schedules_are_errors() {
        let d = dag(&[1.0, 1.0], &[]);
        let p = Platform::related(vec![1.0, 1.0], Platform::unit_links(2)).unwrap();
        let s = schedule(vec![slot(1, 0.0, 1.0), slot(0, 0.0, 1.0)]);
        let path = schedule_critical_path(&d, &p, &s).unwrap();
        assert_eq!(tasks(&path), vec![0]);
        let bad = schedule(vec![slot(0, 0.0, 1.0), slot(0, 0.5, 1.5)]);
        assert!(schedule_critical_path(&d, &p, &bad).is_err());
        assert!(communication_waits(&d, &p, &bad).is_err());
        let empty = dag(&[], &[]);
        assert!(
            schedule_critical_path(&empty, &p, &schedule(vec![]))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn zero_length_tasks_at_one_instant_do_not_loop() {
        // Two zero-length tasks at time 3 on one agent, after a task ending at 3: each is the
        // other's agent predecessor in some sense, but the walk never revisits a task.
        let d = dag(&[0.0, 0.0, 3.0], &[]);
        let p = Platform::related(vec![1.0], vec![0.0]).unwrap();
        let s = schedule(vec![
            slot(0, 3.0, 3.0),
            slot(0, 3.0, 3.0),
            slot(0, 0.0, 3.0),
        ]);
        let path = schedule_critical_path(&d, &p, &s).unwrap();
        assert_eq!(tasks(&path), vec![2, 0]);
        assert_eq!(path[1].binding, Binding::Agent { previous: 2 });
    }
}
