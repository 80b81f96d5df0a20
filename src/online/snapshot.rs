//! Snapshots: a dispatcher's whole state as plain data (serde), restored with every invariant
//! checked, continuing with exactly the decisions the original would have made.

use super::task::{TaskSpec, TaskState};
use super::{
    Dispatcher, DispatcherConfig, GangRec, Place, Reservation, RuntimeEstimate, Stats, TaskRec,
};
use crate::estimate::RuntimeEstimator;
use crate::model::TaskId;
use crate::pool::{AgentSpec, AgentState};
use crate::queue::{QueueEntryState, QueueItem, QueueState, TaskQueue};
use crate::resources::Schema;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The format tag of [`Snapshot`].
pub const SNAPSHOT_FORMAT: &str = "agentsched-dispatcher/1";

/// An agent in a snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentSnapshot {
    /// As it joined.
    pub spec: AgentSpec,
    /// Its state.
    pub state: AgentState,
}

/// A live task in a snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskSnapshot {
    /// As submitted (priority as last changed).
    pub spec: TaskSpec,
    /// Submission number (queue tie-break).
    pub seq: u64,
    /// Submission time.
    pub arrival: f64,
    /// Time consumed so far (MLFQ).
    pub used: f64,
    /// Queued or running.
    pub state: TaskState,
    /// The runtime it is scheduled with; absent means its declared duration.
    #[serde(default)]
    pub estimate: Option<RuntimeEstimate>,
    /// Speed-1 work done in runs it yielded (what learning adds to its final run).
    #[serde(default)]
    pub work: f64,
}

/// A finished task in a snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FinishedTask {
    /// The task.
    pub id: TaskId,
    /// Done or cancelled.
    pub state: TaskState,
}

/// A gang that has started and lost members since (completed or cancelled), so that its
/// survivors restart without them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GangSnapshot {
    /// The gang.
    pub id: crate::GangId,
    /// Members finished after the gang started.
    pub finished: u32,
}

/// A dispatcher's whole state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Always `"agentsched-dispatcher/1"` (the crate-internal `SNAPSHOT_FORMAT`).
    pub format: String,
    /// The schema.
    pub schema: Schema,
    /// The policy.
    pub config: DispatcherConfig,
    /// The clock.
    pub now: f64,
    /// The next submission number.
    pub next_seq: u64,
    /// The last MLFQ boost.
    pub last_boost: f64,
    /// Agents, ascending by id.
    pub agents: Vec<AgentSnapshot>,
    /// Queued and running tasks, ascending by id.
    pub tasks: Vec<TaskSnapshot>,
    /// Done and cancelled tasks not forgotten, ascending by id.
    pub finished: Vec<FinishedTask>,
    /// The backfill reservation.
    pub reservation: Option<Reservation>,
    /// Running totals.
    pub stats: Stats,
    /// Gangs with finished members, ascending by id.
    #[serde(default)]
    pub gangs: Vec<GangSnapshot>,
    /// The runtime estimator's learned state, when estimation is enabled.
    #[serde(default)]
    pub estimator: Option<RuntimeEstimator>,
}

fn bad(reason: impl Into<String>) -> Error {
    Error::InvalidSnapshot {
        reason: reason.into(),
    }
}

impl Dispatcher {
    /// The dispatcher's whole state as plain data.
    ///
    /// # Example: save, restore, continue identically
    /// ```
    /// use agentsched::online::{Dispatcher, DispatcherConfig, TaskSpec};
    /// use agentsched::pool::AgentSpec;
    /// use agentsched::resources::Schema;
    /// use agentsched::{AgentId, TaskId};
    ///
    /// let mut a = Dispatcher::new(Schema::new(["cpu"]).unwrap(), DispatcherConfig::default()).unwrap();
    /// a.join_agent(AgentSpec::new(AgentId(1), vec![4])).unwrap();
    /// a.join_agent(AgentSpec::new(AgentId(2), vec![4])).unwrap();
    /// a.submit(TaskSpec::new(TaskId(1), vec![3])).unwrap();
    /// a.dispatch();
    /// let json = serde_json::to_string(&a.snapshot()).unwrap();
    /// let mut b = Dispatcher::restore(serde_json::from_str(&json).unwrap()).unwrap();
    /// for d in [&mut a, &mut b] {
    ///     d.submit(TaskSpec::new(TaskId(2), vec![2])).unwrap();
    /// }
    /// assert_eq!(a.dispatch(), b.dispatch());
    /// ```
    pub fn snapshot(&self) -> Snapshot {
        let agents = self
            .pool
            .ids()
            .filter_map(|id| {
                let info = self.pool.agent(id)?;
                Some(AgentSnapshot {
                    spec: info.spec,
                    state: info.state,
                })
            })
            .collect();
        let mut tasks: Vec<TaskSnapshot> = self
            .tasks
            .iter()
            .enumerate()
            .filter_map(|(slot, r)| Some((slot as u32, r.as_ref()?)))
            .map(|(slot, r)| TaskSnapshot {
                spec: r.spec.clone(),
                seq: r.seq,
                arrival: r.arrival,
                used: self.queue.used(slot).unwrap_or(0.0),
                state: r.state,
                estimate: Some(r.estimate),
                work: r.work,
            })
            .collect();
        tasks.sort_by_key(|t| t.spec.id);
        let mut finished: Vec<FinishedTask> = self
            .ids
            .iter()
            .filter_map(|(id, p)| match p {
                Place::Done => Some(FinishedTask {
                    id: *id,
                    state: TaskState::Done,
                }),
                Place::Cancelled => Some(FinishedTask {
                    id: *id,
                    state: TaskState::Cancelled,
                }),
                Place::Live(_) => None,
            })
            .collect();
        finished.sort_by_key(|f| f.id);
        Snapshot {
            format: SNAPSHOT_FORMAT.to_string(),
            schema: self.pool.schema().clone(),
            config: self.config.clone(),
            now: self.now,
            next_seq: self.next_seq,
            last_boost: self.queue.state().last_boost,
            agents,
            tasks,
            finished,
            reservation: self.reservation,
            stats: self.stats,
            gangs: self
                .gangs
                .iter()
                .filter(|(_, g)| g.finished > 0)
                .map(|(id, g)| GangSnapshot {
                    id: *id,
                    finished: g.finished,
                })
                .collect(),
            estimator: self.estimator.clone(),
        }
    }

    /// Rebuilds a dispatcher from a snapshot, checking every invariant.
    ///
    /// # Errors
    /// [`Error::InvalidSnapshot`] (or the specific validation error) for anything inconsistent:
    /// wrong format, bad schema or policy, duplicate ids, tasks running on unknown or down agents,
    /// allocations beyond capacity, bad times, gang members beyond the gang's size, a
    /// reservation for a task that is not queued.
    pub fn restore(s: Snapshot) -> Result<Self> {
        if s.format != SNAPSHOT_FORMAT {
            return Err(bad(format!("format `{}`", s.format)));
        }
        let now = crate::model::check_non_negative("snapshot.now", s.now)?;
        let mut d = Dispatcher::new(s.schema, s.config)?;
        if let Some(e) = s.estimator {
            let same = d
                .config
                .estimation
                .as_ref()
                .is_some_and(|c| &c.estimator == e.config());
            if !same {
                return Err(bad(
                    "estimator state without estimation, or with another configuration",
                ));
            }
            e.validate()?;
            d.estimator = Some(e);
        }
        d.now = now;
        d.next_seq = s.next_seq;
        d.stats = s.stats;
        for a in s.agents {
            let id = a.spec.id;
            d.pool.join(a.spec)?;
            d.pool.set_state(id, a.state)?;
        }
        let mut entries = Vec::new();
        let mut gangs: BTreeMap<crate::GangId, GangRec> = BTreeMap::new();
        for (slot, t) in s.tasks.into_iter().enumerate() {
            let slot = slot as u32;
            let id = t.spec.id;
            if d.ids.contains_key(&id) {
                return Err(Error::DuplicateTask(id));
            }
            let (demand, duration) = d.check_spec(&t.spec)?;
            let estimate = t.estimate.unwrap_or(RuntimeEstimate::declared(duration));
            estimate.validate(id)?;
            let work = crate::model::check_non_negative("task.work", t.work)?;
            let arrival = crate::model::check_non_negative("task.arrival", t.arrival)?;
            let used = crate::model::check_non_negative("task.used", t.used)?;
            if arrival > now || t.seq >= s.next_seq {
                return Err(bad(format!("{id}: arrival or seq beyond the clock")));
            }
            if let Some(g) = t.spec.gang {
                let rec = gangs.entry(g.id).or_insert_with(|| GangRec {
                    size: g.size,
                    members: BTreeSet::new(),
                    finished: 0,
                });
                if rec.size != g.size || g.size == 0 || rec.members.len() >= g.size as usize {
                    return Err(bad(format!("{id}: inconsistent gang {}", g.id)));
                }
                rec.members.insert(id);
            }
            entries.push(QueueEntryState {
                id: slot,
                item: QueueItem {
                    priority: t.spec.priority,
                    duration: estimate.duration,
                    arrival,
                    seq: t.seq,
                },
                used,
                queued: t.state == TaskState::Queued,
            });
            match t.state {
                TaskState::Queued => {}
                TaskState::Running { agent, since } => {
                    let since = crate::model::check_non_negative("task.since", since)?;
                    if since > now {
                        return Err(bad(format!("{id}: started after the clock")));
                    }
                    let st = d.pool.state(agent).ok_or(Error::UnknownAgent(agent))?;
                    if st == AgentState::Down {
                        return Err(bad(format!("{id}: running on down {agent}")));
                    }
                    d.pool.set_state(agent, AgentState::Ready)?;
                    // The hard constraints hold for running tasks too (tier, labels, capacity).
                    let allowed =
                        d.pool
                            .could_hold(agent, &demand, t.spec.sensitivity, &t.spec.labels);
                    let r = d.pool.allocate(agent, &demand);
                    d.pool.set_state(agent, st)?;
                    r.map_err(|e| bad(format!("{id} on {agent}: {e}")))?;
                    if !allowed {
                        return Err(bad(format!(
                            "{id} on {agent}: tier or labels do not allow it"
                        )));
                    }
                    d.running_on.entry(agent).or_default().push(slot);
                }
                TaskState::Done | TaskState::Cancelled => {
                    return Err(bad(format!("{id}: finished task among live tasks")));
                }
            }
            let labels = d.pool.label_set(&t.spec.labels);
            let tier_mask = d.pool.tier_mask(t.spec.sensitivity);
            d.ids.insert(id, Place::Live(slot));
            d.tasks.push(Some(TaskRec {
                spec: t.spec,
                demand,
                labels,
                tier_mask,
                seq: t.seq,
                arrival,
                state: t.state,
                estimate,
                work,
            }));
        }
        for f in s.finished {
            let place = match f.state {
                TaskState::Done => Place::Done,
                TaskState::Cancelled => Place::Cancelled,
                _ => return Err(bad(format!("{}: live task among finished", f.id))),
            };
            if d.ids.insert(f.id, place).is_some() {
                return Err(Error::DuplicateTask(f.id));
            }
        }
        for g in s.gangs {
            let rec = gangs.get_mut(&g.id).ok_or_else(|| {
                bad(format!(
                    "{}: finished members of a gang with none live",
                    g.id
                ))
            })?;
            if g.finished == 0
                || rec.finished != 0
                || rec.seen() + g.finished as usize > rec.size as usize
            {
                return Err(bad(format!("{}: inconsistent finished count", g.id)));
            }
            rec.finished = g.finished;
        }
        d.gangs = gangs;
        let last_boost = crate::model::check_non_negative("snapshot.last_boost", s.last_boost)?;
        if last_boost > now {
            return Err(bad("last boost after the clock"));
        }
        d.queue = TaskQueue::from_state(QueueState {
            discipline: d.config.discipline.clone(),
            last_boost,
            now,
            last_seq: s.next_seq.checked_sub(1),
            entries,
        })?;
        if let Some(r) = s.reservation {
            // Only what `dispatch` could have made: a queued task outside any gang, holding a
            // ready agent until a finite time (the clock may have passed it since).
            let holder = match d.ids.get(&r.task) {
                Some(Place::Live(sl)) if d.queue.contains(*sl) => d.rec(*sl),
                _ => None,
            };
            let ok = holder.is_some_and(|t| t.spec.gang.is_none())
                && d.pool.state(r.agent) == Some(AgentState::Ready)
                && r.shadow.is_finite();
            if !ok {
                return Err(bad(
                    "reservation must be held by a queued task outside a gang, on a ready agent, until a finite time",
                ));
            }
        }
        d.reservation = s.reservation;
        Ok(d)
    }
}
