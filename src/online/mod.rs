//! The event-driven online dispatcher: tasks arrive, finish and fail; agents join, drain, leave
//! and fail; [`Dispatcher::dispatch`] decides, and every decision can be explained.
//!
//! # Example: an agent fails mid-run
//! ```
//! use agentsched::online::{Dispatcher, DispatcherConfig, TaskSpec, TaskState};
//! use agentsched::pool::AgentSpec;
//! use agentsched::resources::Schema;
//! use agentsched::{AgentId, TaskId};
//!
//! let schema = Schema::new(["cpu", "memory"]).unwrap();
//! let mut d = Dispatcher::new(schema, DispatcherConfig::default()).unwrap();
//! d.join_agent(AgentSpec::new(AgentId(1), vec![4000, 8192])).unwrap();
//! d.join_agent(AgentSpec::new(AgentId(2), vec![4000, 8192])).unwrap();
//! d.submit(TaskSpec::new(TaskId(10), vec![3000, 1024]).priority(2)).unwrap();
//! d.submit(TaskSpec::new(TaskId(11), vec![3000, 1024])).unwrap();
//! let placed = d.dispatch();
//! assert_eq!(placed.len(), 2);
//!
//! // Agent 1 fails: its task goes back to the queue, and is reported.
//! let victim = placed.iter().find(|a| a.agent == AgentId(1)).unwrap().task;
//! let requeue = d.fail_agent(AgentId(1)).unwrap();
//! assert_eq!(requeue.requeued, vec![victim]);
//! assert_eq!(d.task_state(victim), Some(TaskState::Queued));
//! // Agent 2 has no room for it yet; the explanation says why.
//! assert!(d.dispatch().is_empty());
//! let why = d.explain(victim).unwrap();
//! assert_eq!(why.feasible, 0);
//! assert!(why.could_ever_fit);
//! ```

mod estimation;
mod explain;
mod snapshot;
mod task;

pub use estimation::{EstimationConfig, RuntimeEstimate, UNBOUNDED_GUARD};
pub use explain::{Explanation, GangProgress, ReasonCount, Shortfall};
pub use snapshot::{AgentSnapshot, FinishedTask, Snapshot, TaskSnapshot};
pub use task::{Assignment, Gang, Requeue, TaskSpec, TaskState};

use crate::estimate::RuntimeEstimator;
use crate::model::{AgentId, GangId, IdMap, TaskId, check_non_negative};
use crate::pool::{AgentSpec, AgentState, Candidate, LabelSet, Mismatch, Pool, Scoring};
use crate::queue::{Discipline, QueueItem, TaskQueue};
use crate::resources::{ResourceVec, Schema};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;
use std::collections::{BTreeMap, BTreeSet};

/// How the dispatcher finds agents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Search {
    /// Through the pool's fit index (the default).
    #[default]
    Indexed,
    /// By scoring every agent: the reference the index is tested and benchmarked against.
    FullScan,
}

/// A dispatcher's policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DispatcherConfig {
    /// How agents are ranked.
    pub scoring: Scoring,
    /// Queue order.
    pub discipline: Discipline,
    /// Whether [`crate::Sensitivity::Internal`] tasks may run on public agents.
    pub allow_internal_on_public: bool,
    /// Whether tasks behind a blocked task may be placed (backfill). Without it, dispatch stops
    /// at the first task that does not fit.
    pub backfill: bool,
    /// Whether the first blocked task holds a reservation (EASY backfill): tasks behind it may
    /// use its reserved agent only if they are expected to end before it frees up enough.
    pub reservation: bool,
    /// Whether a task no agent could ever hold is rejected at submit ([`Error::NeverFits`])
    /// instead of waiting.
    pub reject_never_fit: bool,
    /// Indexed or full-scan search.
    pub search: Search,
    /// Learned runtimes for tasks that name a class ([`EstimationConfig`]); `None` (the
    /// default) schedules every task by its declared duration.
    #[serde(default)]
    pub estimation: Option<EstimationConfig>,
}

impl Default for DispatcherConfig {
    fn default() -> Self {
        DispatcherConfig {
            scoring: Scoring::LeastAllocated,
            discipline: Discipline::PriorityFifo,
            allow_internal_on_public: false,
            backfill: true,
            reservation: true,
            reject_never_fit: true,
            search: Search::Indexed,
            estimation: None,
        }
    }
}

/// The backfill reservation held by the first blocked task.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Reservation {
    /// The task holding it.
    pub task: TaskId,
    /// The agent held for it.
    pub agent: AgentId,
    /// When, by the running tasks' expected ends, the agent will have room for it.
    pub shadow: f64,
}

/// Running totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Stats {
    /// Tasks accepted by [`Dispatcher::submit`].
    pub submitted: u64,
    /// Placement decisions made.
    pub placed: u64,
    /// Of those, placed past a blocked task.
    pub backfilled: u64,
    /// Tasks completed.
    pub completed: u64,
    /// Tasks cancelled.
    pub cancelled: u64,
    /// Tasks sent back to the queue by agent failure or departure.
    pub requeued: u64,
    /// Completions the runtime estimator learned from.
    #[serde(default)]
    pub learned: u64,
    /// Completions the runtime estimator refused (features that no longer fit a replaced
    /// model, or an update that would overflow it); the completion itself still happened.
    #[serde(default)]
    pub learn_rejected: u64,
}

#[derive(Debug, Clone)]
struct TaskRec {
    spec: TaskSpec,
    demand: ResourceVec,
    labels: LabelSet,
    tier_mask: u8,
    seq: u64,
    arrival: f64,
    state: TaskState,
    /// The runtime it is scheduled with.
    estimate: RuntimeEstimate,
    /// Speed-1 work done in the runs it yielded (so that learning sees the whole runtime).
    work: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Live(u32),
    Done,
    Cancelled,
}

#[derive(Debug, Clone)]
struct GangRec {
    size: u32,
    /// Live (queued or running) members.
    members: BTreeSet<TaskId>,
    /// Members that completed or were cancelled after the gang started: the survivors of a
    /// failure restart without them.
    finished: u32,
}

impl GangRec {
    /// Members submitted so far, live or finished.
    fn seen(&self) -> usize {
        self.members.len() + self.finished as usize
    }
}

/// The online dispatcher.
///
/// Deterministic: the same sequence of calls gives the same decisions; ties between agents go
/// to the lowest id, ties in the queue to the earliest submission. Every call that returns an
/// error leaves the dispatcher exactly as it was.
///
/// # Thread safety
/// `Send` and `Sync`; mutation needs `&mut`, so share it behind a lock.
#[derive(Debug, Clone)]
pub struct Dispatcher {
    config: DispatcherConfig,
    pool: Pool,
    queue: TaskQueue,
    tasks: Vec<Option<TaskRec>>,
    free_task_slots: Vec<u32>,
    ids: IdMap<TaskId, Place>,
    gangs: BTreeMap<GangId, GangRec>,
    running_on: IdMap<AgentId, SmallVec<[u32; 4]>>,
    reservation: Option<Reservation>,
    now: f64,
    next_seq: u64,
    stats: Stats,
    estimator: Option<RuntimeEstimator>,
}

impl Dispatcher {
    /// A dispatcher with an empty pool over `schema`.
    ///
    /// # Errors
    /// An invalid schema, scoring weights or queue discipline.
    pub fn new(schema: Schema, config: DispatcherConfig) -> Result<Self> {
        let pool = Pool::new(schema, config.scoring, config.allow_internal_on_public)?;
        let queue = TaskQueue::new(config.discipline.clone())?;
        let estimator = match &config.estimation {
            Some(e) => {
                e.validate()?;
                Some(RuntimeEstimator::new(e.estimator.clone())?)
            }
            None => None,
        };
        Ok(Dispatcher {
            config,
            pool,
            queue,
            tasks: Vec::new(),
            free_task_slots: Vec::new(),
            ids: IdMap::default(),
            gangs: BTreeMap::new(),
            running_on: IdMap::default(),
            reservation: None,
            now: 0.0,
            next_seq: 0,
            stats: Stats::default(),
            estimator,
        })
    }

    /// The policy.
    pub fn config(&self) -> &DispatcherConfig {
        &self.config
    }

    /// The pool (read-only: change agents through the dispatcher's events).
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// The schema.
    pub fn schema(&self) -> &Schema {
        self.pool.schema()
    }

    /// The dispatcher's clock.
    pub fn now(&self) -> f64 {
        self.now
    }

    /// Running totals.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The current backfill reservation.
    pub fn reservation(&self) -> Option<Reservation> {
        self.reservation
    }

    /// Number of queued tasks.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Number of running tasks.
    pub fn running(&self) -> usize {
        self.running_on.values().map(|v| v.len()).sum()
    }

    /// Where a task is; `None` for an unknown (or forgotten) id.
    pub fn task_state(&self, id: TaskId) -> Option<TaskState> {
        match self.ids.get(&id)? {
            Place::Live(s) => self.rec(*s).map(|r| r.state),
            Place::Done => Some(TaskState::Done),
            Place::Cancelled => Some(TaskState::Cancelled),
        }
    }

    /// A live (queued or running) task's spec.
    pub fn task(&self, id: TaskId) -> Option<&TaskSpec> {
        match self.ids.get(&id)? {
            Place::Live(s) => self.rec(*s).map(|r| &r.spec),
            _ => None,
        }
    }

    /// Queued task ids in the order dispatch would consider them.
    pub fn queue_order(&self) -> Vec<TaskId> {
        self.queue
            .ordered_ids()
            .into_iter()
            .filter_map(|s| self.rec(s).map(|r| r.spec.id))
            .collect()
    }

    /// Tasks running on an agent, ascending by id.
    pub fn tasks_on(&self, agent: AgentId) -> Vec<TaskId> {
        let mut v: Vec<TaskId> = self
            .running_on
            .get(&agent)
            .map(|s| {
                s.iter()
                    .filter_map(|&t| self.rec(t))
                    .map(|r| r.spec.id)
                    .collect()
            })
            .unwrap_or_default();
        v.sort_unstable();
        v
    }

    fn rec(&self, slot: u32) -> Option<&TaskRec> {
        self.tasks.get(slot as usize).and_then(Option::as_ref)
    }

    fn rec_mut(&mut self, slot: u32) -> Option<&mut TaskRec> {
        self.tasks.get_mut(slot as usize).and_then(Option::as_mut)
    }

    fn live_slot(&self, id: TaskId) -> Result<u32> {
        match self.ids.get(&id) {
            Some(Place::Live(s)) => Ok(*s),
            Some(p) => Err(Error::TaskState {
                task: id,
                state: if *p == Place::Done {
                    "done"
                } else {
                    "cancelled"
                },
                expected: "queued or running",
            }),
            None => Err(Error::UnknownTask(id)),
        }
    }

    /// Moves the clock forward. Time is the host's (seconds, say); it drives aging, MLFQ boosts,
    /// the `start`/`expected_end` of assignments and reservations.
    ///
    /// # Errors
    /// [`Error::NotFinite`], [`Error::TimeWentBackwards`]; nothing changes on error.
    pub fn advance_to(&mut self, now: f64) -> Result<()> {
        let now = check_non_negative("now", now)?;
        if now < self.now {
            return Err(Error::TimeWentBackwards {
                now: self.now,
                got: now,
            });
        }
        // An MLFQ boost resets consumed time inside the queue, which owns it.
        self.queue.advance(now)?;
        self.now = now;
        Ok(())
    }

    // ---- agents -------------------------------------------------------------------------

    /// An agent joins, ready.
    ///
    /// # Errors
    /// As [`Pool::join`]; nothing changes on error.
    pub fn join_agent(&mut self, spec: AgentSpec) -> Result<()> {
        self.pool.join(spec)?;
        // New labels may make tasks with unknown labels placeable.
        for r in self.tasks.iter_mut().flatten() {
            if r.labels.unknown {
                r.labels = self.pool.label_set(&r.spec.labels);
            }
        }
        Ok(())
    }

    /// An agent drains: it finishes what it runs and takes nothing new.
    ///
    /// # Errors
    /// [`Error::UnknownAgent`]; [`Error::AgentState`] unless it is ready.
    pub fn drain_agent(&mut self, id: AgentId) -> Result<()> {
        self.expect_agent(id, &[AgentState::Ready], "ready")?;
        self.pool.set_state(id, AgentState::Draining)?;
        self.drop_reservation_on(id);
        Ok(())
    }

    /// A draining or down agent is ready again.
    ///
    /// # Errors
    /// [`Error::UnknownAgent`]; [`Error::AgentState`] if it is already ready.
    pub fn recover_agent(&mut self, id: AgentId) -> Result<()> {
        self.expect_agent(
            id,
            &[AgentState::Draining, AgentState::Down],
            "draining or down",
        )?;
        self.pool.set_state(id, AgentState::Ready)
    }

    /// An agent fails: it goes down and every task it ran goes back to the queue with its
    /// original arrival order (a gang member takes its whole gang back with it).
    ///
    /// # Errors
    /// [`Error::UnknownAgent`]; [`Error::AgentState`] if it is already down.
    pub fn fail_agent(&mut self, id: AgentId) -> Result<Requeue> {
        self.expect_agent(
            id,
            &[AgentState::Ready, AgentState::Draining],
            "ready or draining",
        )?;
        let requeued = self.requeue_agent_tasks(id);
        self.pool.set_state(id, AgentState::Down)?;
        self.drop_reservation_on(id);
        Ok(Requeue {
            agent: id,
            requeued,
        })
    }

    /// An agent leaves the pool; tasks it ran are requeued as for [`Dispatcher::fail_agent`].
    ///
    /// # Errors
    /// [`Error::UnknownAgent`].
    pub fn leave_agent(&mut self, id: AgentId) -> Result<Requeue> {
        self.pool.state(id).ok_or(Error::UnknownAgent(id))?;
        let requeued = self.requeue_agent_tasks(id);
        self.pool.leave(id)?;
        self.running_on.remove(&id);
        self.drop_reservation_on(id);
        Ok(Requeue {
            agent: id,
            requeued,
        })
    }

    fn expect_agent(&self, id: AgentId, ok: &[AgentState], expected: &'static str) -> Result<()> {
        let st = self.pool.state(id).ok_or(Error::UnknownAgent(id))?;
        if !ok.contains(&st) {
            return Err(Error::AgentState {
                agent: id,
                state: st.as_str(),
                expected,
            });
        }
        Ok(())
    }

    fn drop_reservation_on(&mut self, agent: AgentId) {
        if self.reservation.is_some_and(|r| r.agent == agent) {
            self.reservation = None;
        }
    }

    /// Sends the agent's tasks (and their gang mates) back to the queue, in arrival order.
    fn requeue_agent_tasks(&mut self, agent: AgentId) -> Vec<TaskId> {
        let mut slots: BTreeSet<(u64, u32)> = BTreeSet::new();
        let direct: Vec<u32> = self
            .running_on
            .get(&agent)
            .map(|v| v.to_vec())
            .unwrap_or_default();
        for s in direct {
            let Some(r) = self.rec(s) else { continue };
            slots.insert((r.seq, s));
            if let Some(g) = r.spec.gang.and_then(|g| self.gangs.get(&g.id)) {
                for m in &g.members {
                    if let Some(Place::Live(ms)) = self.ids.get(m)
                        && let Some(mr) = self.rec(*ms)
                        && matches!(mr.state, TaskState::Running { .. })
                    {
                        slots.insert((mr.seq, *ms));
                    }
                }
            }
        }
        let mut out = Vec::with_capacity(slots.len());
        for (_, s) in slots {
            // A run lost with its agent starts over: its yielded work is gone too.
            if let Some(r) = self.rec_mut(s) {
                r.work = 0.0;
            }
            if let Some(id) = self.unplace(s) {
                self.requeue_slot(s);
                self.stats.requeued = self.stats.requeued.saturating_add(1);
                out.push(id);
            }
        }
        out
    }

    /// Releases a running task's resources and marks it queued (not yet in the queue).
    fn unplace(&mut self, slot: u32) -> Option<TaskId> {
        let r = self.rec(slot)?;
        let TaskState::Running { agent, .. } = r.state else {
            return None;
        };
        let (id, demand) = (r.spec.id, r.demand.clone());
        // Cannot fail: the allocation was made by this dispatcher and is tracked exactly.
        let _ = self.pool.release(agent, &demand);
        if let Some(v) = self.running_on.get_mut(&agent)
            && let Some(i) = v.iter().position(|x| *x == slot)
        {
            // Empty lists stay (no map churn); they go when the agent leaves.
            v.swap_remove(i);
        }
        if let Some(r) = self.rec_mut(slot) {
            r.state = TaskState::Queued;
        }
        Some(id)
    }

    /// Puts a task that was running back in the queue: the queue kept its item (arrival, seq)
    /// and consumed time while it ran.
    fn requeue_slot(&mut self, slot: u32) {
        // Cannot fail: a running task is known to the queue and not queued.
        let _ = self.queue.requeue(slot);
    }

    // ---- tasks --------------------------------------------------------------------------

    fn check_spec(&self, spec: &TaskSpec) -> Result<(ResourceVec, f64)> {
        self.pool
            .schema()
            .check_len("task.demand", spec.demand.len())?;
        let duration = check_non_negative("task.duration", spec.duration)?;
        // Checked even with estimation off: the task may be learned from later, and a
        // non-finite value would not survive a snapshot (JSON has no NaN).
        if let Some(&value) = spec.features.iter().find(|v| !v.is_finite()) {
            return Err(Error::NotFinite {
                field: "task.features",
                value,
            });
        }
        Ok((ResourceVec::from_slice(&spec.demand), duration))
    }

    /// A task arrives and is queued (placed at the next [`Dispatcher::dispatch`]).
    ///
    /// # Errors
    /// [`Error::DuplicateTask`] (an id is never reused, even after the task finished, until
    /// [`Dispatcher::forget_finished`]); [`Error::DimensionMismatch`]; [`Error::NotFinite`] or
    /// [`Error::Negative`] for the duration; [`Error::NotFinite`] (`task.features`) for a NaN
    /// or infinite feature, with estimation on or off, and with estimation on
    /// [`Error::DimensionMismatch`] (`task.features`) for a classed task whose feature count
    /// is not the model's; [`Error::GangSize`]/[`Error::GangFull`]/[`Error::InvalidConfig`]
    /// for gang membership; [`Error::NeverFits`] when no agent in the
    /// pool could ever hold it (with `reject_never_fit`); [`Error::Overflow`] (`next_seq`) when
    /// the submission counter, as restored from a snapshot, is exhausted. Nothing changes on
    /// error.
    pub fn submit(&mut self, spec: TaskSpec) -> Result<()> {
        if self.ids.contains_key(&spec.id) {
            return Err(Error::DuplicateTask(spec.id));
        }
        let (demand, duration) = self.check_spec(&spec)?;
        let estimate = self.estimate_spec(&spec, duration)?;
        if let Some(g) = spec.gang {
            if g.size == 0 {
                return Err(Error::InvalidConfig {
                    field: "task.gang.size",
                    reason: "a gang has at least one member",
                });
            }
            if let Some(rec) = self.gangs.get(&g.id) {
                if rec.size != g.size {
                    return Err(Error::GangSize {
                        task: spec.id,
                        gang: g.id,
                        expected: rec.size,
                        got: g.size,
                    });
                }
                if rec.seen() >= rec.size as usize {
                    return Err(Error::GangFull {
                        task: spec.id,
                        gang: g.id,
                        size: rec.size,
                    });
                }
            }
        }
        if self.config.reject_never_fit
            && !self
                .pool
                .could_ever_fit(&demand, spec.sensitivity, &spec.labels)
        {
            let explanation = self.explain_spec(&spec, &demand, estimate.guard, None);
            return Err(Error::NeverFits {
                task: spec.id,
                explanation: Box::new(explanation),
            });
        }
        let seq = self.next_seq;
        // A restored snapshot may carry any `next_seq`: refuse rather than wrap.
        let next_seq = seq.checked_add(1).ok_or(Error::Overflow {
            field: "next_seq",
            dimension: 0,
        })?;
        let slot = match self.free_task_slots.last() {
            Some(&s) => s,
            None => self.tasks.len() as u32,
        };
        let item = QueueItem {
            priority: spec.priority,
            duration: estimate.duration,
            arrival: self.now,
            seq,
        };
        self.queue.insert(slot, item)?;
        // Committed from here on.
        if self.free_task_slots.pop().is_none() {
            self.tasks.push(None);
        }
        let labels = self.pool.label_set(&spec.labels);
        let tier_mask = self.pool.tier_mask(spec.sensitivity);
        if let Some(g) = spec.gang {
            self.gangs
                .entry(g.id)
                .or_insert_with(|| GangRec {
                    size: g.size,
                    members: BTreeSet::new(),
                    finished: 0,
                })
                .members
                .insert(spec.id);
        }
        let mut spec = spec;
        spec.duration = duration;
        self.ids.insert(spec.id, Place::Live(slot));
        self.tasks[slot as usize] = Some(TaskRec {
            spec,
            demand,
            labels,
            tier_mask,
            seq,
            arrival: self.now,
            state: TaskState::Queued,
            estimate,
            work: 0.0,
        });
        self.next_seq = next_seq;
        self.stats.submitted = self.stats.submitted.saturating_add(1);
        Ok(())
    }

    /// A running task completed; its resources are released. With learning enabled
    /// ([`EstimationConfig::learn`]) a classed task's runtime by the dispatcher's clock teaches
    /// the estimator ([`Dispatcher::complete_with_runtime`] gives it the host's measurement).
    ///
    /// # Errors
    /// [`Error::UnknownTask`]; [`Error::TaskState`] unless it is running.
    pub fn complete(&mut self, id: TaskId) -> Result<()> {
        self.complete_inner(id, None)
    }

    fn complete_inner(&mut self, id: TaskId, runtime: Option<f64>) -> Result<()> {
        let slot = self.live_slot(id)?;
        self.expect_running(id, slot)?;
        // Committed from here on: learning never fails the completion.
        if let Some((elapsed, speed)) = self.elapsed(slot) {
            self.learn(slot, runtime.unwrap_or(elapsed), speed);
        }
        self.unplace(slot);
        let _ = self.queue.remove(slot);
        self.finish(slot, Place::Done, true);
        self.stats.completed = self.stats.completed.saturating_add(1);
        Ok(())
    }

    /// A queued or running task is cancelled; a running one's resources are released.
    ///
    /// # Errors
    /// [`Error::UnknownTask`]; [`Error::TaskState`] if it already finished.
    pub fn cancel(&mut self, id: TaskId) -> Result<()> {
        let slot = self.live_slot(id)?;
        let was_running = self
            .rec(slot)
            .is_some_and(|r| matches!(r.state, TaskState::Running { .. }));
        self.unplace(slot);
        self.queue.remove(slot)?;
        self.finish(slot, Place::Cancelled, was_running);
        self.stats.cancelled = self.stats.cancelled.saturating_add(1);
        Ok(())
    }

    /// A running task gives its agent back and returns to the queue, having run for `used`
    /// (an agent step finished with more to do). Under [`Discipline::Mlfq`] the time consumed
    /// demotes it. Gang members cannot yield alone.
    ///
    /// # Errors
    /// [`Error::UnknownTask`]; [`Error::TaskState`] unless it is running and not in a gang;
    /// [`Error::NotFinite`]/[`Error::Negative`] for `used`.
    pub fn yield_task(&mut self, id: TaskId, used: f64) -> Result<()> {
        let used = check_non_negative("used", used)?;
        let slot = self.live_slot(id)?;
        self.expect_running(id, slot)?;
        if self.rec(slot).is_some_and(|r| r.spec.gang.is_some()) {
            return Err(Error::TaskState {
                task: id,
                state: "a gang member",
                expected: "not in a gang",
            });
        }
        self.queue.charge(slot, used)?;
        let speed = self.elapsed(slot).map_or(1.0, |(_, sp)| sp);
        if let Some(r) = self.rec_mut(slot) {
            // Saturates rather than reaching infinity: the work only feeds learning.
            r.work = (r.work + used * speed).min(f64::MAX);
        }
        self.unplace(slot);
        self.requeue_slot(slot);
        Ok(())
    }

    /// Changes a live task's priority (queued: it moves in the queue; running: it applies if
    /// the task is requeued).
    ///
    /// # Errors
    /// [`Error::UnknownTask`]; [`Error::TaskState`] if it finished.
    pub fn change_priority(&mut self, id: TaskId, priority: i32) -> Result<()> {
        let slot = self.live_slot(id)?;
        // A running task stays known to the queue: its item must carry the new priority too,
        // or a requeue (agent failure, yield) would put it back with the old one.
        self.queue.change_priority(slot, priority)?;
        if let Some(r) = self.rec_mut(slot) {
            r.spec.priority = priority;
        }
        Ok(())
    }

    /// Drops the records of finished (done or cancelled) tasks, so that their ids may be reused
    /// and their memory is returned. Returns how many were dropped.
    pub fn forget_finished(&mut self) -> usize {
        let before = self.ids.len();
        self.ids.retain(|_, p| matches!(p, Place::Live(_)));
        before - self.ids.len()
    }

    fn expect_running(&self, id: TaskId, slot: u32) -> Result<()> {
        let st = self
            .rec(slot)
            .map(|r| r.state)
            .ok_or(Error::UnknownTask(id))?;
        if !matches!(st, TaskState::Running { .. }) {
            return Err(Error::TaskState {
                task: id,
                state: st.as_str(),
                expected: "running",
            });
        }
        Ok(())
    }

    /// Drops a finished task's record. `ran`: it was placed at some point, so its gang (if any)
    /// has started and its survivors restart without it; a member cancelled before its gang
    /// started leaves a place a new member may take.
    fn finish(&mut self, slot: u32, place: Place, ran: bool) {
        let Some(r) = self.tasks.get_mut(slot as usize).and_then(Option::take) else {
            return;
        };
        self.free_task_slots.push(slot);
        self.ids.insert(r.spec.id, place);
        if self.reservation.is_some_and(|x| x.task == r.spec.id) {
            self.reservation = None;
        }
        if let Some(g) = r.spec.gang
            && let Some(rec) = self.gangs.get_mut(&g.id)
        {
            rec.members.remove(&r.spec.id);
            let started = rec.finished > 0
                || rec.members.iter().any(|m| {
                    matches!(self.ids.get(m), Some(Place::Live(s))
                        if self.tasks.get(*s as usize).and_then(Option::as_ref)
                            .is_some_and(|t| matches!(t.state, TaskState::Running { .. })))
                });
            if ran || started {
                rec.finished += 1;
            }
            if rec.members.is_empty() {
                self.gangs.remove(&g.id);
            }
        }
    }

    // ---- decisions ----------------------------------------------------------------------

    fn labels_of(&self, r: &TaskRec) -> LabelSet {
        if r.labels.unknown {
            self.pool.label_set(&r.spec.labels)
        } else {
            r.labels.clone()
        }
    }

    /// The best `k` agents for a task now, honouring a reservation held by another task.
    // The arguments are the task's parts, passed apart so dry runs need no task record.
    #[allow(clippy::too_many_arguments)]
    fn best_for(
        &self,
        id: TaskId,
        demand: &ResourceVec,
        duration: f64,
        tier_mask: u8,
        labels: &LabelSet,
        resv: Option<&Reservation>,
        k: usize,
    ) -> Vec<Candidate> {
        let exclude = resv.filter(|r| r.task != id).map(|r| r.agent);
        let mut c = match self.config.search {
            Search::Indexed => self.pool.search(demand, tier_mask, labels, exclude, k),
            Search::FullScan => self.pool.scan(demand, tier_mask, labels, exclude, k),
        };
        if let (Some(r), Some(agent)) = (resv, exclude)
            && self.ends_before(agent, duration, r.shadow)
            && let Some(score) = self.pool.eligible_score(agent, demand, tier_mask, labels)
        {
            let cand = Candidate { agent, score };
            let pos = c.iter().position(|x| cand.beats(x)).unwrap_or(c.len());
            c.insert(pos, cand);
            c.truncate(k);
        }
        c
    }

    /// The best agent for a queued task now.
    fn best_for_task(&self, slot: u32, resv: Option<&Reservation>) -> Option<Candidate> {
        let r = self.rec(slot)?;
        let labels = self.labels_of(r);
        let best = self.best_for(
            r.spec.id,
            &r.demand,
            r.estimate.guard,
            r.tier_mask,
            &labels,
            resv,
            1,
        );
        best.first().copied()
    }

    /// Whether a task of runtime `duration` (a guard) started now on `agent` ends by `shadow`.
    /// An [`UNBOUNDED_GUARD`] never does, and neither does an end that overflows (a huge
    /// duration on a slow agent), whatever the shadow time.
    fn ends_before(&self, agent: AgentId, duration: f64, shadow: f64) -> bool {
        duration < UNBOUNDED_GUARD
            && self.pool.speed(agent).is_some_and(|sp| {
                let end = self.now + duration / sp;
                end.is_finite() && end <= shadow
            })
    }

    /// Places what can be placed now, in queue order, and returns the decisions.
    ///
    /// Tasks are taken in the queue discipline's order. A task that does not fit is skipped and
    /// the ones behind it are tried (backfill); the first skipped task that could fit once
    /// agents free up holds a reservation on the agent expected to have room for it soonest,
    /// and tasks behind it may use that agent only if they are expected to end before then. A
    /// gang is placed whole or not at all.
    ///
    /// # Complexity
    /// `O(q log q + p d log n)` for `q` queued tasks, `p` placements, `n` agents, when the index
    /// bounds are tight; a reservation that changes hands costs one `O(n)` pass.
    pub fn dispatch(&mut self) -> Vec<Assignment> {
        let mut out = Vec::new();
        let mut blocked: Vec<u32> = Vec::new();
        let mut failed_gangs: SmallVec<[GangId; 4]> = SmallVec::new();
        let mut active: Option<Reservation> = None;
        let previous = self.reservation.take();
        while let Some(slot) = self.queue.pop() {
            let backfilled = !blocked.is_empty();
            if backfilled && !self.config.backfill {
                blocked.push(slot);
                break;
            }
            let Some(r) = self.rec(slot) else { continue };
            let placed = match r.spec.gang {
                Some(g) if failed_gangs.contains(&g.id) => false,
                Some(g) => {
                    let ok = self.place_gang(g.id, backfilled, active.as_ref(), &mut out);
                    if !ok {
                        failed_gangs.push(g.id);
                    }
                    ok
                }
                None => self.place_one(slot, backfilled, active.as_ref(), &mut out),
            };
            if !placed {
                if active.is_none() && self.config.reservation {
                    active = self.reserve(slot, previous.as_ref());
                }
                blocked.push(slot);
            }
        }
        for s in blocked {
            // Cannot fail: each was popped above and is known to the queue.
            let _ = self.queue.requeue(s);
        }
        self.reservation = active;
        out
    }

    fn place_one(
        &mut self,
        slot: u32,
        backfilled: bool,
        resv: Option<&Reservation>,
        out: &mut Vec<Assignment>,
    ) -> bool {
        let Some(c) = self.best_for_task(slot, resv) else {
            return false;
        };
        // The popped task stays known to the queue (arrival, consumed time) while it runs.
        self.commit_placement(slot, c, backfilled, out)
    }

    fn commit_placement(
        &mut self,
        slot: u32,
        c: Candidate,
        backfilled: bool,
        out: &mut Vec<Assignment>,
    ) -> bool {
        let Some(r) = self.rec(slot) else {
            return false;
        };
        let (id, duration, demand) = (r.spec.id, r.estimate.duration, r.demand.clone());
        if self.pool.allocate(c.agent, &demand).is_err() {
            return false;
        }
        let now = self.now;
        let speed = self.pool.speed(c.agent).unwrap_or(1.0);
        if let Some(r) = self.rec_mut(slot) {
            r.state = TaskState::Running {
                agent: c.agent,
                since: now,
            };
        }
        self.running_on.entry(c.agent).or_default().push(slot);
        self.stats.placed = self.stats.placed.saturating_add(1);
        if backfilled {
            self.stats.backfilled = self.stats.backfilled.saturating_add(1);
        }
        out.push(Assignment {
            task: id,
            agent: c.agent,
            score: c.score,
            start: now,
            expected_end: now + duration / speed,
            backfilled,
        });
        true
    }

    /// Places every member of a gang, or none.
    fn place_gang(
        &mut self,
        gang: GangId,
        backfilled: bool,
        resv: Option<&Reservation>,
        out: &mut Vec<Assignment>,
    ) -> bool {
        let Some(g) = self.gangs.get(&gang) else {
            return false;
        };
        if g.seen() < g.size as usize {
            return false;
        }
        let mut slots = Vec::with_capacity(g.members.len());
        for m in &g.members {
            match self.ids.get(m) {
                Some(Place::Live(s))
                    if self.rec(*s).is_some_and(|r| r.state == TaskState::Queued) =>
                {
                    slots.push(*s)
                }
                _ => return false,
            }
        }
        // Tentative allocations, undone exactly if any member has no agent.
        let mut chosen: Vec<(u32, Candidate)> = Vec::with_capacity(slots.len());
        let mut ok = true;
        for &s in &slots {
            let (Some(c), Some(demand)) = (
                self.best_for_task(s, resv),
                self.rec(s).map(|r| r.demand.clone()),
            ) else {
                ok = false;
                break;
            };
            if self.pool.allocate(c.agent, &demand).is_err() {
                ok = false;
                break;
            }
            chosen.push((s, c));
        }
        for (s, c) in &chosen {
            if let Some(demand) = self.rec(*s).map(|r| r.demand.clone()) {
                let _ = self.pool.release(c.agent, &demand);
            }
        }
        if !ok {
            return false;
        }
        for (s, c) in chosen {
            if self.commit_placement(s, c, backfilled, out) && self.queue.contains(s) {
                // Members not yet popped leave the order but stay known while they run.
                let _ = self.queue.take(s);
            }
        }
        true
    }

    /// Picks the reservation for a blocked task: the agent (ready, able to hold it) expected to
    /// have room soonest, keeping the previous agent when the same task still holds it.
    fn reserve(&self, slot: u32, previous: Option<&Reservation>) -> Option<Reservation> {
        let r = self.rec(slot)?;
        if r.spec.gang.is_some() {
            return None;
        }
        let can_hold = |a: AgentId| {
            self.pool
                .could_hold(a, &r.demand, r.spec.sensitivity, &r.spec.labels)
        };
        if let Some(p) = previous.filter(|p| p.task == r.spec.id && can_hold(p.agent))
            && let Some(shadow) = self.shadow_time(p.agent, &r.demand)
        {
            return Some(Reservation { shadow, ..*p });
        }
        let mut best: Option<Reservation> = None;
        for a in self.pool.ids() {
            if !can_hold(a) {
                continue;
            }
            let Some(shadow) = self.shadow_time(a, &r.demand) else {
                continue;
            };
            if best.is_none_or(|b| shadow < b.shadow) {
                best = Some(Reservation {
                    task: r.spec.id,
                    agent: a,
                    shadow,
                });
            }
        }
        best
    }

    /// When, by expected ends, enough will be free on `agent` for `demand`.
    fn shadow_time(&self, agent: AgentId, demand: &ResourceVec) -> Option<f64> {
        let mut free = self.pool.free(agent)?.clone();
        if demand.fits(&free) {
            return Some(self.now);
        }
        let speed = self.pool.speed(agent)?;
        let mut ends: Vec<(f64, TaskId, u32)> = self
            .running_on
            .get(&agent)?
            .iter()
            .filter_map(|&s| {
                let r = self.rec(s)?;
                let TaskState::Running { since, .. } = r.state else {
                    return None;
                };
                Some((
                    (since + r.estimate.duration / speed).max(self.now),
                    r.spec.id,
                    s,
                ))
            })
            .collect();
        ends.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for (end, _, s) in ends {
            let r = self.rec(s)?;
            free = free.checked_add(&r.demand, "free").ok()?;
            if demand.fits(&free) {
                // An expected end beyond every finite time (`duration / speed` overflowed) is
                // never: no reservation can wait for it, and a snapshot could not hold it.
                return end.is_finite().then_some(end);
            }
        }
        None
    }

    // ---- explanations -------------------------------------------------------------------

    /// Why a live task is (or is not) placeable now, agent by agent.
    ///
    /// # Errors
    /// [`Error::UnknownTask`]; [`Error::TaskState`] if it finished.
    pub fn explain(&self, id: TaskId) -> Result<Explanation> {
        let slot = self.live_slot(id)?;
        let r = self.rec(slot).ok_or(Error::UnknownTask(id))?;
        let gang = r.spec.gang.map(|g| GangProgress {
            gang: g.id,
            members: self.gangs.get(&g.id).map_or(0, |x| x.seen() as u32),
            size: g.size,
        });
        Ok(self.explain_spec(&r.spec, &r.demand, r.estimate.guard, gang))
    }

    /// Where a task would go if it were dispatched now (ahead of the queue), and why, without
    /// changing anything. The spec's id need not be new.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`], [`Error::NotFinite`], [`Error::Negative`], as
    /// [`Dispatcher::submit`] checks the spec.
    pub fn dry_run(&self, spec: &TaskSpec) -> Result<Explanation> {
        let (demand, duration) = self.check_spec(spec)?;
        let estimate = self.estimate_spec(spec, duration)?;
        Ok(self.explain_spec(spec, &demand, estimate.guard, None))
    }

    fn explain_spec(
        &self,
        spec: &TaskSpec,
        demand: &ResourceVec,
        duration: f64,
        gang: Option<GangProgress>,
    ) -> Explanation {
        let labels = self.pool.label_set(&spec.labels);
        let tier_mask = self.pool.tier_mask(spec.sensitivity);
        let resv = self.reservation.filter(|r| r.task != spec.id);
        let mut best = self.best_for(
            spec.id,
            demand,
            duration,
            tier_mask,
            &labels,
            resv.as_ref(),
            3,
        );
        let mut counts: BTreeMap<Mismatch, usize> = BTreeMap::new();
        let mut short = vec![0usize; demand.len()];
        let mut closest: Vec<(f64, Shortfall)> = Vec::new();
        let mut feasible = 0;
        for a in self.pool.ids() {
            let mut m = self
                .pool
                .mismatch(a, demand, spec.sensitivity, &spec.labels);
            if m.is_none()
                && resv.is_some_and(|r| r.agent == a && !self.ends_before(a, duration, r.shadow))
            {
                m = Some(Mismatch::Reserved);
            }
            match m {
                None => feasible += 1,
                Some(m) => {
                    if let Mismatch::Short { .. } = m
                        && let (Some(missing), Some(cap)) =
                            (self.pool.shortfall(a, demand), self.pool.capacity(a))
                    {
                        let mut rel = 0.0;
                        for (j, (&x, &c)) in missing.iter().zip(cap.as_slice()).enumerate() {
                            if x > 0 {
                                if let Some(n) = short.get_mut(j) {
                                    *n += 1;
                                }
                                rel += crate::resources::ratio(x, c);
                            }
                        }
                        closest.push((rel, Shortfall { agent: a, missing }));
                    }
                    *counts.entry(m).or_default() += 1;
                }
            }
        }
        closest.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.agent.cmp(&b.1.agent)));
        closest.truncate(3);
        let mut reasons: Vec<ReasonCount> = counts
            .into_iter()
            .map(|(reason, agents)| ReasonCount { reason, agents })
            .collect();
        reasons.sort_by(|a, b| b.agents.cmp(&a.agents).then(a.reason.cmp(&b.reason)));
        let first = if best.is_empty() {
            None
        } else {
            Some(best.remove(0))
        };
        Explanation {
            task: spec.id,
            agents: self.pool.len(),
            feasible,
            best: first,
            runners_up: best,
            reasons,
            short_by_dimension: short,
            closest: closest.into_iter().map(|(_, s)| s).collect(),
            could_ever_fit: self
                .pool
                .could_ever_fit(demand, spec.sensitivity, &spec.labels),
            gang,
            reservation: self.reservation.map(|r| (r.task, r.agent)),
            dimensions: self.pool.schema().names().to_vec(),
            sensitivity: spec.sensitivity,
        }
    }
}
