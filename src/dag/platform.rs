//! The agents a task graph is scheduled on, and schedules with their validator.

use super::graph::Dag;
use crate::model::{check_non_negative, check_positive};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// How long a task runs on an agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Exec {
    /// Related machines: task `t` runs `duration(t) / speeds[p]` on agent `p`.
    Related {
        /// One finite positive speed per agent.
        speeds: Vec<f64>,
    },
    /// A general per-task x per-agent matrix, row-major by task index: `times[t * agents + p]`.
    Matrix {
        /// Finite non-negative times.
        times: Vec<f64>,
    },
}

/// The agents of a schedule: how long tasks run on each ([`Exec`]) and how fast data moves
/// between two of them (`links`: `data / links[p][q]` time units from `p` to `q != p`; nothing
/// to move on the same agent).
///
/// # Example: two agents, one twice as fast
/// ```
/// use agentsched::dag::Platform;
/// let p = Platform::related(vec![1.0, 2.0], vec![0.0, 4.0, 4.0, 0.0])?;
/// assert_eq!(p.agents(), 2);
/// assert_eq!(p.comm_time(8.0, 0, 1), 2.0);
/// assert_eq!(p.comm_time(8.0, 1, 1), 0.0);
/// # Ok::<(), agentsched::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "PlatformRepr")]
pub struct Platform {
    agents: usize,
    exec: Exec,
    /// Row-major `agents x agents` link strengths; the diagonal is not used.
    links: Vec<f64>,
}

/// The serialized form of a [`Platform`], checked by the constructors on the way in (a
/// deserialized platform obeys the same rules as a constructed one).
#[derive(Deserialize)]
struct PlatformRepr {
    agents: usize,
    exec: Exec,
    links: Vec<f64>,
}

impl TryFrom<PlatformRepr> for Platform {
    type Error = Error;

    fn try_from(r: PlatformRepr) -> Result<Self> {
        match r.exec {
            Exec::Related { speeds } => {
                if speeds.len() != r.agents {
                    return Err(Error::DimensionMismatch {
                        field: "speeds",
                        expected: r.agents,
                        got: speeds.len(),
                    });
                }
                Platform::related(speeds, r.links)
            }
            Exec::Matrix { times } => {
                if r.agents == 0 || times.len() % r.agents != 0 {
                    return Err(Error::DimensionMismatch {
                        field: "times",
                        expected: r.agents,
                        got: times.len(),
                    });
                }
                Platform::matrix(times.len() / r.agents, r.agents, times, r.links)
            }
        }
    }
}

impl Platform {
    /// Related agents with `speeds` and row-major `links` (`agents x agents`).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] (`agents`) for no agent; [`Error::NotFinite`]/[`Error::Negative`]/
    /// [`Error::NotPositive`] (`speeds`, `links`); [`Error::DimensionMismatch`] (`links`).
    pub fn related(speeds: Vec<f64>, links: Vec<f64>) -> Result<Self> {
        for &s in &speeds {
            check_positive("speeds", s)?;
        }
        Self::build(speeds.len(), Exec::Related { speeds }, links)
    }

    /// Agents with a general `tasks x agents` time matrix (row-major by task index) and
    /// row-major `links`.
    ///
    /// # Errors
    /// As [`Platform::related`]; [`Error::DimensionMismatch`] (`times`) unless
    /// `times.len() == tasks * agents`; [`Error::NotFinite`]/[`Error::Negative`] (`times`).
    pub fn matrix(tasks: usize, agents: usize, times: Vec<f64>, links: Vec<f64>) -> Result<Self> {
        let cells = tasks.checked_mul(agents).ok_or(Error::Overflow {
            field: "times",
            dimension: 0,
        })?;
        if times.len() != cells {
            return Err(Error::DimensionMismatch {
                field: "times",
                expected: cells,
                got: times.len(),
            });
        }
        for &t in &times {
            check_non_negative("times", t)?;
        }
        Self::build(agents, Exec::Matrix { times }, links)
    }

    /// Links of strength 1 between every two of `agents` agents (data size = transfer time), in
    /// the row-major form the constructors take. Empty when `agents * agents` cells cannot be
    /// allocated, which the constructors then reject as a [`Error::DimensionMismatch`].
    pub fn unit_links(agents: usize) -> Vec<f64> {
        let mut l = Vec::new();
        match agents.checked_mul(agents) {
            Some(cells) if l.try_reserve_exact(cells).is_ok() => l.resize(cells, 1.0),
            _ => return l,
        }
        for p in 0..agents {
            l[p * agents + p] = 0.0;
        }
        l
    }

    fn build(agents: usize, exec: Exec, links: Vec<f64>) -> Result<Self> {
        if agents == 0 {
            return Err(Error::InvalidConfig {
                field: "agents",
                reason: "at least one agent is needed",
            });
        }
        let cells = agents.checked_mul(agents).ok_or(Error::Overflow {
            field: "links",
            dimension: 0,
        })?;
        if links.len() != cells {
            return Err(Error::DimensionMismatch {
                field: "links",
                expected: cells,
                got: links.len(),
            });
        }
        for p in 0..agents {
            for q in 0..agents {
                let l = links[p * agents + q];
                if p == q {
                    check_non_negative("links", l)?;
                } else {
                    check_positive("links", l)?;
                }
            }
        }
        Ok(Platform {
            agents,
            exec,
            links,
        })
    }

    /// Number of agents.
    pub fn agents(&self) -> usize {
        self.agents
    }

    /// The execution model.
    pub fn exec(&self) -> &Exec {
        &self.exec
    }

    /// Link strengths, row-major.
    pub fn links(&self) -> &[f64] {
        &self.links
    }

    /// Checks that this platform can run `dag`: a matrix needs one row per task.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] (`times`).
    pub fn check(&self, dag: &Dag) -> Result<()> {
        if let Exec::Matrix { times } = &self.exec {
            let want = dag.task_count() * self.agents;
            if times.len() != want {
                return Err(Error::DimensionMismatch {
                    field: "times",
                    expected: want,
                    got: times.len(),
                });
            }
        }
        Ok(())
    }

    /// Execution time of task `t` (by index) on agent `p`. Callers pass indices valid for a
    /// `dag` accepted by [`Platform::check`].
    pub fn exec_time(&self, dag: &Dag, t: usize, p: usize) -> f64 {
        match &self.exec {
            Exec::Related { speeds } => dag.durations()[t] / speeds[p],
            Exec::Matrix { times } => times[t * self.agents + p],
        }
    }

    /// Time to move `data` from agent `p` to agent `q` (0 when `p == q`).
    pub fn comm_time(&self, data: f64, p: usize, q: usize) -> f64 {
        if p == q {
            0.0
        } else {
            data / self.links[p * self.agents + q]
        }
    }
}

/// Where and when one task runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Slot {
    /// The agent's index.
    pub agent: usize,
    /// Start time.
    pub start: f64,
    /// Finish time: `start` + the task's execution time on `agent`.
    pub finish: f64,
}

/// A schedule of a task graph: a [`Slot`] per task (by task index) and the makespan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schedule {
    /// By task index.
    pub slots: Vec<Slot>,
    /// The largest finish time (0 for no task).
    pub makespan: f64,
}

/// Checks `schedule` against `dag` on `platform` from first principles and returns the makespan
/// it recomputes.
///
/// Rules: one slot per task, on an existing agent; finite non-negative start; a finish no
/// earlier than the start and equal to start plus the execution time; every task starts no earlier than each predecessor's finish
/// plus the communication time between their agents; no two tasks of positive length overlap on
/// an agent; the reported makespan equals the largest finish. Times are compared with an absolute
/// tolerance of `1e-9 * max(1, makespan)`.
///
/// # Complexity
/// O(V log V + E).
///
/// # Errors
/// [`Error::DimensionMismatch`] (`slots`) for a wrong slot count (or from
/// [`Platform::check`]); [`Error::InvalidSchedule`] naming a task that breaks a rule, the rule
/// and the numbers. Rules are checked one after the other (agents and numbers, then execution
/// times and arrivals, then overlaps, then the makespan), each in task-index order, so the task
/// named is the lowest-index one breaking the first rule broken.
pub fn validate(dag: &Dag, platform: &Platform, schedule: &Schedule) -> Result<f64> {
    platform.check(dag)?;
    let n = dag.task_count();
    if schedule.slots.len() != n {
        return Err(Error::DimensionMismatch {
            field: "slots",
            expected: n,
            got: schedule.slots.len(),
        });
    }
    let bad = |t: usize, reason: String| Error::InvalidSchedule {
        task: dag.id(t),
        reason,
    };
    let mut makespan = 0.0f64;
    for (t, s) in schedule.slots.iter().enumerate() {
        if s.agent >= platform.agents() {
            return Err(bad(t, format!("agent {} does not exist", s.agent)));
        }
        // `start + execution time` never falls below `start` in floating point, so a finish before
        // the start is an error, not rounding.
        if !s.start.is_finite() || s.start < 0.0 || !s.finish.is_finite() || s.finish < s.start {
            return Err(bad(
                t,
                format!(
                    "times {}..{} are not finite, non-negative and in order",
                    s.start, s.finish
                ),
            ));
        }
        makespan = makespan.max(s.finish);
    }
    let tol = 1e-9 * makespan.max(1.0);
    for (t, s) in schedule.slots.iter().enumerate() {
        let want = s.start + platform.exec_time(dag, t, s.agent);
        if (s.finish - want).abs() > tol {
            return Err(bad(
                t,
                format!(
                    "finish {} should be start + execution time = {}",
                    s.finish, want
                ),
            ));
        }
        for (u, data) in dag.predecessors(t) {
            let p = &schedule.slots[u];
            let ready = p.finish + platform.comm_time(data, p.agent, s.agent);
            if s.start < ready - tol {
                return Err(bad(
                    t,
                    format!(
                        "starts at {} but the data of task {} arrives at {}",
                        s.start,
                        dag.id(u),
                        ready
                    ),
                ));
            }
        }
    }
    let mut by_agent: Vec<usize> = (0..n).collect();
    by_agent.sort_by(|&a, &b| {
        let (x, y) = (&schedule.slots[a], &schedule.slots[b]);
        x.agent
            .cmp(&y.agent)
            .then(x.start.total_cmp(&y.start))
            .then(x.finish.total_cmp(&y.finish))
            .then(a.cmp(&b))
    });
    // Per agent, the latest finish so far must not pass the next start (zero-length tasks may sit
    // anywhere, even inside another's interval).
    let mut last: Option<(usize, usize, f64)> = None; // (agent, task, finish)
    for &t in &by_agent {
        let s = &schedule.slots[t];
        if s.finish - s.start <= tol {
            continue;
        }
        if let Some((a, u, f)) = last {
            if a == s.agent && s.start < f - tol {
                let (lo, hi) = if u < t { (u, t) } else { (t, u) };
                return Err(bad(
                    lo,
                    format!("overlaps task {} on agent {}", dag.id(hi), s.agent),
                ));
            }
        }
        last = Some((s.agent, t, s.finish));
    }
    // A NaN makespan fails every comparison: test for it, or it would pass.
    let off = (schedule.makespan - makespan).abs();
    if off.is_nan() || off > tol {
        let last = (0..n)
            .max_by(|&a, &b| {
                schedule.slots[a]
                    .finish
                    .total_cmp(&schedule.slots[b].finish)
                    .then(b.cmp(&a))
            })
            .unwrap_or(0);
        if n > 0 {
            return Err(bad(
                last,
                format!("makespan {} should be {}", schedule.makespan, makespan),
            ));
        }
    }
    Ok(makespan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TaskId;
    use crate::dag::TaskGraph;

    fn chain() -> (Dag, Platform) {
        let g = TaskGraph::from_parts(
            [(TaskId(0), 4.0), (TaskId(1), 2.0)],
            [(TaskId(0), TaskId(1), 6.0)],
        )
        .unwrap();
        let p = Platform::related(vec![1.0, 2.0], vec![0.0, 3.0, 3.0, 0.0]).unwrap();
        (g.freeze().unwrap(), p)
    }

    fn slot(agent: usize, start: f64, finish: f64) -> Slot {
        Slot {
            agent,
            start,
            finish,
        }
    }

    #[test]
    fn validator_recomputes_and_rejects() {
        let (dag, p) = chain();
        // 0 on agent 1 (2 units), data 6 / 3 = 2 to agent 0, then 1 runs 2 units: 2 + 2 + 2.
        let ok = Schedule {
            slots: vec![slot(1, 0.0, 2.0), slot(0, 4.0, 6.0)],
            makespan: 6.0,
        };
        assert_eq!(validate(&dag, &p, &ok), Ok(6.0));
        let early = Schedule {
            slots: vec![slot(1, 0.0, 2.0), slot(0, 3.0, 5.0)],
            makespan: 5.0,
        };
        assert!(matches!(
            validate(&dag, &p, &early),
            Err(Error::InvalidSchedule {
                task: TaskId(1),
                ..
            })
        ));
        let same_agent = Schedule {
            slots: vec![slot(1, 0.0, 2.0), slot(1, 2.0, 3.0)],
            makespan: 3.0,
        };
        assert_eq!(validate(&dag, &p, &same_agent), Ok(3.0));
        let wrong_len = Schedule {
            slots: vec![slot(1, 0.0, 3.0), slot(1, 3.0, 4.0)],
            makespan: 4.0,
        };
        assert!(validate(&dag, &p, &wrong_len).is_err());
        let wrong_makespan = Schedule {
            makespan: 7.0,
            ..ok.clone()
        };
        assert!(validate(&dag, &p, &wrong_makespan).is_err());
        // A finish a hair before a zero-length task's start is within the tolerance of the
        // execution time, but a task cannot end before it begins (found by fuzzing).
        let g = TaskGraph::from_parts([(TaskId(0), 0.0)], []).unwrap();
        let zero = g.freeze().unwrap();
        let backwards = Schedule {
            slots: vec![slot(0, 0.0, -1e-280)],
            makespan: 0.0,
        };
        assert!(matches!(
            validate(&zero, &p, &backwards),
            Err(Error::InvalidSchedule { .. })
        ));
        let nan_makespan = Schedule {
            makespan: f64::NAN,
            ..ok.clone()
        };
        assert!(validate(&dag, &p, &nan_makespan).is_err());
        assert!(
            validate(
                &dag,
                &p,
                &Schedule {
                    slots: vec![],
                    makespan: 0.0
                }
            )
            .is_err()
        );
    }

    #[test]
    fn validator_finds_overlap() {
        let g = TaskGraph::from_parts([(TaskId(5), 2.0), (TaskId(3), 2.0)], []).unwrap();
        let dag = g.freeze().unwrap();
        let p = Platform::related(vec![1.0], vec![0.0]).unwrap();
        let s = Schedule {
            slots: vec![slot(0, 0.0, 2.0), slot(0, 1.0, 3.0)],
            makespan: 3.0,
        };
        assert!(matches!(
            validate(&dag, &p, &s),
            Err(Error::InvalidSchedule {
                task: TaskId(5),
                ..
            })
        ));
    }

    #[test]
    fn deserializing_checks_like_the_constructors() {
        let p = Platform::related(vec![1.0, 2.0], vec![0.0, 3.0, 3.0, 0.0]).unwrap();
        let text = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<Platform>(&text).unwrap(), p);
        for bad in [
            r#"{"agents":2,"exec":{"Related":{"speeds":[1.0,1.0]}},"links":[]}"#,
            r#"{"agents":2,"exec":{"Related":{"speeds":[1.0]}},"links":[0,1,1,0]}"#,
            r#"{"agents":1,"exec":{"Related":{"speeds":[-1.0]}},"links":[0]}"#,
            r#"{"agents":2,"exec":{"Related":{"speeds":[1.0,1.0]}},"links":[0,0,0,0]}"#,
            r#"{"agents":0,"exec":{"Matrix":{"times":[]}},"links":[]}"#,
            r#"{"agents":2,"exec":{"Matrix":{"times":[1.0,2.0,3.0]}},"links":[0,1,1,0]}"#,
        ] {
            assert!(serde_json::from_str::<Platform>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn platform_rejects_bad_numbers() {
        assert!(Platform::related(vec![], vec![]).is_err());
        assert!(Platform::related(vec![0.0], vec![0.0]).is_err());
        assert!(Platform::related(vec![1.0, 1.0], vec![0.0, 0.0, 1.0, 0.0]).is_err());
        assert!(Platform::related(vec![1.0], vec![0.0, 1.0]).is_err());
        assert!(Platform::matrix(2, 1, vec![1.0], vec![0.0]).is_err());
        assert!(Platform::matrix(1, 1, vec![f64::NAN], vec![0.0]).is_err());
        assert_eq!(Platform::unit_links(2), vec![0.0, 1.0, 1.0, 0.0]);
        assert!(Platform::unit_links(1 << 33).is_empty());
    }
}
