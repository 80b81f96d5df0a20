//! The online dispatcher: invariants under random event sequences checked from first principles,
//! the indexed search against the full scan, determinism and snapshots, every error the
//! dispatcher returns, and scenarios with hand-computed expectations.
//!
//! The random tests keep their own bookkeeping (a `Model`) of what the dispatcher told them:
//! which task runs where since when, which agent is in which state, the clock, consumed MLFQ
//! time. Every check recomputes its expectation from that bookkeeping (capacity sums, queue
//! order by the discipline's definition, scores by the scoring formulas, explanation counts,
//! shadow times), never from the dispatcher's own counters.

use agentsched::online::{
    Assignment, Dispatcher, DispatcherConfig, Explanation, GangProgress, ReasonCount, Reservation,
    Search, Shortfall, Snapshot, Stats, TaskSpec, TaskState,
};
use agentsched::pool::{AgentSpec, AgentState, Candidate, Mismatch, Scoring, Weights};
use agentsched::queue::{AgingConfig, Discipline, MlfqConfig};
use agentsched::resources::Schema;
use agentsched::{AgentId, Error, GangId, Label, Sensitivity, TaskId, Tier};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use std::collections::{BTreeMap, BTreeSet};

// ---- shared vocabulary --------------------------------------------------------------------

/// Dimensions of the random tests' schema.
const D: usize = 3;
/// An id no random test ever submits.
const UNKNOWN_TASK: TaskId = TaskId(1_000_000);
const DURATIONS: [f64; 9] = [0.0, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 40.0, 2.5];
/// Powers of two: every time the tests produce (`now + duration / speed`) then has a short exact
/// decimal form. serde_json, without its `float_roundtrip` feature, parses some 17-digit
/// decimals one unit in the last place off (`1.6666666666666665`, from `2.5 / 1.5`, comes back
/// as `1.6666666666666667`), which would break the bit-exact JSON snapshot round trip for
/// reasons that are serde_json's, not the dispatcher's.
const SPEEDS: [f64; 6] = [1.0, 1.0, 2.0, 0.5, 0.25, 4.0];
const SENSITIVITIES: [Sensitivity; 3] = [
    Sensitivity::Public,
    Sensitivity::Internal,
    Sensitivity::Confidential,
];
/// Scores are recomputed here with the formulas, not the library's code, so they may differ in
/// the last bits.
const TOL: f64 = 1e-9;

fn schema() -> Schema {
    Schema::new(["cpu", "mem", "gpu"]).unwrap()
}

fn zone(z: u8) -> Label {
    Label::new("zone", format!("z{z}"))
}

fn fits(demand: &[u64], free: &[u64]) -> bool {
    demand.len() == free.len() && demand.iter().zip(free).all(|(d, f)| d <= f)
}

/// The weights of a scoring policy, by its documented meaning.
fn weights_of(s: Scoring) -> Weights {
    let mut w = Weights::default();
    match s {
        Scoring::LeastAllocated => w.least_allocated = 1.0,
        Scoring::MostAllocated => w.most_allocated = 1.0,
        Scoring::Balanced => w.balanced = 1.0,
        Scoring::DotProduct => w.dot_product = 1.0,
        Scoring::LowestCost => w.lowest_cost = 1.0,
        Scoring::Weighted(x) => w = x,
    }
    w
}

/// Errors compare exactly, except for reasons given as prose and explanations (checked apart).
fn same_error(got: &Error, want: &Error) -> bool {
    match (got, want) {
        (Error::InvalidConfig { field: a, .. }, Error::InvalidConfig { field: b, .. }) => a == b,
        (Error::InvalidSnapshot { .. }, Error::InvalidSnapshot { .. }) => true,
        (Error::NeverFits { task: a, .. }, Error::NeverFits { task: b, .. }) => a == b,
        (Error::NotFinite { field: a, value: x }, Error::NotFinite { field: b, value: y }) => {
            a == b && (x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
        }
        _ => got == want,
    }
}

fn fail<T>(msg: String) -> Result<T, TestCaseError> {
    Err(TestCaseError::fail(msg))
}

// ---- the test's own bookkeeping -------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq)]
enum MState {
    Queued,
    Running {
        agent: AgentId,
        since: f64,
        end: f64,
        /// Which dispatch call placed it.
        call: u64,
    },
    Done,
    Cancelled,
}

#[derive(Debug, Clone)]
struct MTask {
    spec: TaskSpec,
    seq: u64,
    arrival: f64,
    used: f64,
    state: MState,
}

impl MTask {
    fn live(&self) -> bool {
        matches!(self.state, MState::Queued | MState::Running { .. })
    }
}

#[derive(Debug, Clone)]
struct MAgent {
    spec: AgentSpec,
    state: AgentState,
}

#[derive(Debug, Clone)]
struct Model {
    cfg: DispatcherConfig,
    now: f64,
    last_boost: f64,
    next_seq: u64,
    calls: u64,
    tasks: BTreeMap<TaskId, MTask>,
    agents: BTreeMap<AgentId, MAgent>,
    stats: Stats,
    /// Per gang: members finished after the gang started (its survivors restart without them).
    gang_finished: BTreeMap<GangId, u32>,
}

impl Model {
    fn new(cfg: DispatcherConfig) -> Self {
        Model {
            cfg,
            now: 0.0,
            last_boost: 0.0,
            next_seq: 0,
            calls: 0,
            tasks: BTreeMap::new(),
            agents: BTreeMap::new(),
            stats: Stats::default(),
            gang_finished: BTreeMap::new(),
        }
    }

    fn running_on(&self, a: AgentId) -> Vec<TaskId> {
        self.tasks
            .iter()
            .filter(|(_, t)| matches!(t.state, MState::Running { agent, .. } if agent == a))
            .map(|(id, _)| *id)
            .collect()
    }

    fn used_on(&self, a: AgentId) -> [u64; D] {
        let mut u = [0u64; D];
        for id in self.running_on(a) {
            for (x, d) in u.iter_mut().zip(&self.tasks[&id].spec.demand) {
                *x += d;
            }
        }
        u
    }

    fn free_with(&self, a: AgentId, used: &[u64; D]) -> [u64; D] {
        let cap = &self.agents[&a].spec.capacity;
        std::array::from_fn(|j| cap[j] - used[j])
    }

    fn free(&self, a: AgentId) -> [u64; D] {
        self.free_with(a, &self.used_on(a))
    }

    fn tier_ok(&self, s: Sensitivity, tier: Tier) -> bool {
        match (s, tier) {
            (_, Tier::Private) | (Sensitivity::Public, Tier::Public) => true,
            (Sensitivity::Internal, Tier::Public) => self.cfg.allow_internal_on_public,
            (Sensitivity::Confidential, Tier::Public) => false,
        }
    }

    /// Tier, labels and capacity: whether the agent could ever hold the task.
    fn static_ok(&self, spec: &TaskSpec, a: AgentId) -> bool {
        let ag = &self.agents[&a].spec;
        self.tier_ok(spec.sensitivity, ag.tier)
            && spec.labels.iter().all(|l| ag.labels.contains(l))
            && fits(&spec.demand, &ag.capacity)
    }

    fn could_hold(&self, spec: &TaskSpec, a: AgentId) -> bool {
        self.agents[&a].state == AgentState::Ready && self.static_ok(spec, a)
    }

    /// Whether some agent, in any state (a down agent may recover), could hold the task idle.
    fn could_ever_fit(&self, spec: &TaskSpec) -> bool {
        self.agents.keys().any(|&a| self.static_ok(spec, a))
    }

    /// The first reason an agent cannot take the task now (reservations aside), checked in the
    /// documented order: state, tier, labels, capacity, free quantity.
    fn mismatch(&self, a: AgentId, spec: &TaskSpec) -> Option<Mismatch> {
        let ag = &self.agents[&a];
        match ag.state {
            AgentState::Down => return Some(Mismatch::Down),
            AgentState::Draining => return Some(Mismatch::Draining),
            AgentState::Ready => {}
        }
        if !self.tier_ok(spec.sensitivity, ag.spec.tier) {
            return Some(Mismatch::TierNotAllowed);
        }
        if let Some(l) = spec.labels.iter().find(|l| !ag.spec.labels.contains(l)) {
            return Some(Mismatch::MissingLabel(l.clone()));
        }
        if let Some(j) = (0..D).find(|&j| spec.demand[j] > ag.spec.capacity[j]) {
            return Some(Mismatch::CapacityTooSmall { dimension: j });
        }
        let free = self.free(a);
        if let Some(j) = (0..D).find(|&j| spec.demand[j] > free[j]) {
            return Some(Mismatch::Short { dimension: j });
        }
        None
    }

    fn fits_now(&self, spec: &TaskSpec, a: AgentId) -> bool {
        self.mismatch(a, spec).is_none()
    }

    fn speed(&self, a: AgentId) -> f64 {
        self.agents[&a].spec.speed
    }

    /// Members submitted so far: live ones and those finished after the gang started.
    fn gang_seen(&self, g: GangId) -> usize {
        self.live_members(g).len() + self.gang_finished.get(&g).copied().unwrap_or(0) as usize
    }

    /// Bookkeeping when a task finishes: `ran` = it was running.
    fn gang_member_finished(&mut self, id: TaskId, ran: bool) {
        let Some(g) = self.tasks[&id].spec.gang else {
            return;
        };
        let live = self.live_members(g.id);
        let started = self.gang_finished.get(&g.id).copied().unwrap_or(0) > 0
            || live
                .iter()
                .any(|m| *m != id && matches!(self.tasks[m].state, MState::Running { .. }));
        if ran || started {
            *self.gang_finished.entry(g.id).or_default() += 1;
        }
        if live.iter().all(|m| *m == id) {
            self.gang_finished.remove(&g.id);
        }
    }

    fn live_members(&self, g: GangId) -> Vec<TaskId> {
        self.tasks
            .iter()
            .filter(|(_, t)| t.live() && t.spec.gang.is_some_and(|x| x.id == g))
            .map(|(id, _)| *id)
            .collect()
    }

    /// An agent's score for a demand with `used` allocated, by the scoring formulas.
    fn score_with(&self, a: AgentId, used: &[u64; D], demand: &[u64]) -> f64 {
        let ag = &self.agents[&a].spec;
        let cap = &ag.capacity;
        let w = weights_of(self.cfg.scoring);
        let load: f64 = (0..D)
            .filter(|&j| cap[j] > 0)
            .map(|j| used[j] as f64 / cap[j] as f64)
            .sum();
        let mut s =
            w.most_allocated * load - w.least_allocated * load - w.lowest_cost * ag.cost_per_time;
        let asked: Vec<usize> = (0..D).filter(|&j| demand[j] > 0 && cap[j] > 0).collect();
        let share = |j: usize| demand[j] as f64 / cap[j] as f64;
        let freef = |j: usize| (cap[j] - used[j]) as f64 / cap[j] as f64;
        s += w.dot_product * asked.iter().map(|&j| share(j) * freef(j)).sum::<f64>();
        if w.balanced > 0.0 {
            let u: Vec<f64> = asked.iter().map(|&j| 1.0 - (freef(j) - share(j))).collect();
            let spread = if u.len() <= 1 {
                0.0
            } else {
                let hi = u.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let lo = u.iter().copied().fold(f64::INFINITY, f64::min);
                hi - lo
            };
            s += w.balanced * (1.0 - spread);
        }
        s
    }

    fn score(&self, a: AgentId, demand: &[u64]) -> f64 {
        self.score_with(a, &self.used_on(a), demand)
    }

    /// The queued tasks in the order the discipline defines.
    fn expected_queue(&self) -> Vec<TaskId> {
        let mut q: Vec<(&TaskId, &MTask)> = self
            .tasks
            .iter()
            .filter(|(_, t)| t.state == MState::Queued)
            .collect();
        let prio = |t: &MTask| std::cmp::Reverse(t.spec.priority);
        match &self.cfg.discipline {
            Discipline::PriorityFifo => q.sort_by(|(_, a), (_, b)| {
                prio(a)
                    .cmp(&prio(b))
                    .then(a.spec.duration.total_cmp(&b.spec.duration))
                    .then(a.seq.cmp(&b.seq))
            }),
            Discipline::ShortestJobFirst => q.sort_by(|(_, a), (_, b)| {
                a.spec
                    .duration
                    .total_cmp(&b.spec.duration)
                    .then(prio(a).cmp(&prio(b)))
                    .then(a.seq.cmp(&b.seq))
            }),
            Discipline::Mlfq(c) => {
                let mut thresholds = Vec::new();
                let mut sum = 0.0;
                for q in &c.quanta {
                    sum += q;
                    thresholds.push(sum);
                }
                let level = |t: &MTask| thresholds.iter().filter(|&&x| x <= t.used).count();
                q.sort_by(|(_, a), (_, b)| {
                    level(a)
                        .cmp(&level(b))
                        .then(prio(a).cmp(&prio(b)))
                        .then(a.seq.cmp(&b.seq))
                })
            }
            Discipline::Aging(c) => {
                let aged = |t: &MTask| c.rate * t.arrival - f64::from(t.spec.priority) + 0.0;
                q.sort_by(|(_, a), (_, b)| {
                    aged(a)
                        .total_cmp(&aged(b))
                        .then(a.spec.duration.total_cmp(&b.spec.duration))
                        .then(a.seq.cmp(&b.seq))
                })
            }
        }
        q.into_iter().map(|(id, _)| *id).collect()
    }

    /// When, by the running tasks' expected ends, the agent has room for `demand`.
    fn shadow(&self, a: AgentId, demand: &[u64]) -> Option<f64> {
        let mut free = self.free(a);
        if fits(demand, &free) {
            return Some(self.now);
        }
        let mut ends: Vec<(f64, TaskId)> = self
            .tasks
            .iter()
            .filter_map(|(id, t)| match t.state {
                MState::Running { agent, end, .. } if agent == a => Some((end.max(self.now), *id)),
                _ => None,
            })
            .collect();
        ends.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
        for (end, id) in ends {
            for (f, d) in free.iter_mut().zip(&self.tasks[&id].spec.demand) {
                *f += d;
            }
            if fits(demand, &free) {
                // An infinite expected end (`duration / speed` overflowed) is never.
                return end.is_finite().then_some(end);
            }
        }
        None
    }

    /// Tasks the failure or departure of `a` sends back: its own and their running gang
    /// mates, in submission order.
    fn requeue_of(&self, a: AgentId) -> Vec<TaskId> {
        let direct = self.running_on(a);
        let gangs: BTreeSet<GangId> = direct
            .iter()
            .filter_map(|id| self.tasks[id].spec.gang.map(|g| g.id))
            .collect();
        let mut out: Vec<(u64, TaskId)> = self
            .tasks
            .iter()
            .filter(|(id, t)| {
                matches!(t.state, MState::Running { .. })
                    && (direct.contains(id) || t.spec.gang.is_some_and(|g| gangs.contains(&g.id)))
            })
            .map(|(id, t)| (t.seq, *id))
            .collect();
        out.sort();
        out.into_iter().map(|(_, id)| id).collect()
    }

    fn advance(&mut self, to: f64) {
        self.now = to;
        if let Discipline::Mlfq(c) = &self.cfg.discipline
            && to >= self.last_boost + c.boost_interval
        {
            let periods = ((to - self.last_boost) / c.boost_interval).floor();
            self.last_boost += periods * c.boost_interval;
            for t in self.tasks.values_mut().filter(|t| t.live()) {
                t.used = 0.0;
            }
        }
    }

    /// The error a task event must return, if any: unknown, or already finished.
    fn live_error(&self, id: TaskId) -> Option<Error> {
        let state = match self.tasks.get(&id)?.state {
            MState::Done => "done",
            MState::Cancelled => "cancelled",
            _ => return None,
        };
        Some(Error::TaskState {
            task: id,
            state,
            expected: "queued or running",
        })
    }

    fn known_live_error(&self, id: TaskId) -> Option<Error> {
        if !self.tasks.contains_key(&id) {
            return Some(Error::UnknownTask(id));
        }
        self.live_error(id)
    }

    fn running_error(&self, id: TaskId) -> Option<Error> {
        self.known_live_error(id).or_else(|| {
            (self.tasks[&id].state == MState::Queued).then_some(Error::TaskState {
                task: id,
                state: "queued",
                expected: "running",
            })
        })
    }

    fn agent_error(&self, a: AgentId, ok: &[AgentState], expected: &'static str) -> Option<Error> {
        let Some(ag) = self.agents.get(&a) else {
            return Some(Error::UnknownAgent(a));
        };
        (!ok.contains(&ag.state)).then_some(Error::AgentState {
            agent: a,
            state: match ag.state {
                AgentState::Ready => "ready",
                AgentState::Draining => "draining",
                AgentState::Down => "down",
            },
            expected,
        })
    }

    fn spec_error(&self, spec: &TaskSpec) -> Option<Error> {
        if spec.demand.len() != D {
            return Some(Error::DimensionMismatch {
                field: "task.demand",
                expected: D,
                got: spec.demand.len(),
            });
        }
        if !spec.duration.is_finite() {
            return Some(Error::NotFinite {
                field: "task.duration",
                value: spec.duration,
            });
        }
        (spec.duration < 0.0).then_some(Error::Negative {
            field: "task.duration",
            value: spec.duration,
        })
    }

    fn submit_error(&self, spec: &TaskSpec) -> Option<Error> {
        if self.tasks.contains_key(&spec.id) {
            return Some(Error::DuplicateTask(spec.id));
        }
        if let Some(e) = self.spec_error(spec) {
            return Some(e);
        }
        if let Some(g) = spec.gang {
            if g.size == 0 {
                return Some(Error::InvalidConfig {
                    field: "task.gang.size",
                    reason: "",
                });
            }
            let members = self.live_members(g.id);
            if let Some(first) = members.first() {
                let size = self.tasks[first].spec.gang.map_or(0, |x| x.size);
                if size != g.size {
                    return Some(Error::GangSize {
                        task: spec.id,
                        gang: g.id,
                        expected: size,
                        got: g.size,
                    });
                }
                if self.gang_seen(g.id) >= size as usize {
                    return Some(Error::GangFull {
                        task: spec.id,
                        gang: g.id,
                        size,
                    });
                }
            }
        }
        (self.cfg.reject_never_fit && !self.could_ever_fit(spec)).then(|| Error::NeverFits {
            task: spec.id,
            explanation: Box::new(empty_explanation()),
        })
    }
}

fn empty_explanation() -> Explanation {
    Explanation {
        task: UNKNOWN_TASK,
        agents: 0,
        feasible: 0,
        best: None,
        runners_up: Vec::new(),
        reasons: Vec::new(),
        short_by_dimension: Vec::new(),
        closest: Vec::new(),
        could_ever_fit: false,
        gang: None,
        reservation: None,
        dimensions: Vec::new(),
        sensitivity: Sensitivity::Public,
    }
}

// ---- random events ------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Sub {
    /// Reuse a submitted id (duplicates, or ids freed by `forget_finished`).
    reuse: Option<u16>,
    demand: [u64; D],
    priority: i8,
    duration: usize,
    sensitivity: usize,
    zone: Option<u8>,
    /// Gang id and, rarely, a size other than the gang's usual one.
    gang: Option<(u8, Option<u32>)>,
    /// 0: wrong dimensions, 1: infinite duration, 2: negative duration, 3: gang size 0.
    bad: u8,
}

#[derive(Debug, Clone)]
enum Ev {
    Join {
        id: u8,
        cap: [u64; D],
        public: bool,
        speed: usize,
        cost: u8,
        zone: Option<u8>,
        /// 0: wrong dimensions, 1: speed 0, 2: negative cost.
        bad: u8,
    },
    Submit(Sub),
    Dispatch,
    Complete(u16),
    Cancel(u16),
    Yield(u16, u8),
    Priority(u16, i8),
    Advance(u8),
    Backwards,
    Drain(u8),
    Recover(u8),
    Fail(u8),
    Leave(u8),
    Explain(u16),
    DryRun(Sub),
    Forget,
}

fn sub_strategy(dense: bool) -> impl Strategy<Value = Sub> {
    let dim = move || {
        if dense {
            (1u64..=3).boxed()
        } else {
            prop_oneof![10 => 0u64..=3, 6 => 0u64..=8, 1 => Just(40u64)].boxed()
        }
    };
    (
        prop::option::weighted(0.05, any::<u16>()),
        prop::array::uniform3(dim()),
        -3i8..=3,
        0..DURATIONS.len(),
        0..SENSITIVITIES.len(),
        prop::option::weighted(0.2, 0u8..3),
        prop::option::weighted(0.35, (0u8..3, prop::option::weighted(0.08, 0u32..=3))),
        0u8..50,
    )
        .prop_map(
            |(reuse, demand, priority, duration, sensitivity, zone, gang, bad)| Sub {
                reuse,
                demand,
                priority,
                duration,
                sensitivity,
                zone,
                gang,
                bad,
            },
        )
}

/// The shape of a random pool.
#[derive(Debug, Clone, Copy)]
struct Mix {
    /// Weight of agent arrivals against the other events (about 45 in total).
    joins: u32,
    /// Agent ids are below this.
    agents: u8,
    /// Whether capacities may be zero in a dimension (which splits the fit index into more
    /// agent classes).
    zero_caps: bool,
    /// How many agents join before the other events.
    initial: (usize, usize),
    /// Whether every task asks for every dimension (what the demand-dependent scores and the
    /// index's bounds on them are about).
    dense: bool,
}

/// Small pools of varied agents.
const SMALL: Mix = Mix {
    joins: 4,
    agents: 12,
    zero_caps: true,
    initial: (1, 9),
    dense: false,
};

/// Many agent classes, enough to fill the fit index's class trees and its catch-all tree.
const CLASSES: Mix = Mix { joins: 12, ..SMALL };

/// Large pools of mostly one class: deep index trees.
const LARGE: Mix = Mix {
    joins: 6,
    agents: 48,
    zero_caps: false,
    initial: (16, 48),
    dense: true,
};

fn join_strategy(mix: Mix, bad: impl Strategy<Value = u8>) -> impl Strategy<Value = Ev> {
    let cap = if mix.zero_caps {
        prop_oneof![1 => Just(0u64), 2 => 1u64..=10].boxed()
    } else {
        (1u64..=10).boxed()
    };
    (
        0..mix.agents,
        prop::array::uniform3(cap),
        prop::bool::weighted(0.4),
        0..SPEEDS.len(),
        0u8..4,
        prop::option::weighted(0.6, 0u8..3),
        bad,
    )
        .prop_map(|(id, cap, public, speed, cost, zone, bad)| Ev::Join {
            id,
            cap,
            public,
            speed,
            cost,
            zone,
            bad,
        })
}

fn event(mix: Mix) -> impl Strategy<Value = Ev> {
    let agent = || 0..mix.agents + 2;
    prop_oneof![
        mix.joins => join_strategy(mix, 0u8..40),
        10 => sub_strategy(mix.dense).prop_map(Ev::Submit),
        6 => Just(Ev::Dispatch),
        4 => any::<u16>().prop_map(Ev::Complete),
        1 => any::<u16>().prop_map(Ev::Cancel),
        2 => (any::<u16>(), 0u8..5).prop_map(|(t, u)| Ev::Yield(t, u)),
        1 => (any::<u16>(), -3i8..=3).prop_map(|(t, p)| Ev::Priority(t, p)),
        3 => (0u8..8).prop_map(Ev::Advance),
        1 => Just(Ev::Backwards),
        1 => agent().prop_map(Ev::Drain),
        1 => agent().prop_map(Ev::Recover),
        2 => agent().prop_map(Ev::Fail),
        2 => agent().prop_map(Ev::Leave),
        2 => any::<u16>().prop_map(Ev::Explain),
        1 => sub_strategy(mix.dense).prop_map(Ev::DryRun),
        1 => Just(Ev::Forget),
    ]
}

fn events(max: usize, mix: Mix) -> impl Strategy<Value = Vec<Ev>> {
    (
        prop::collection::vec(join_strategy(mix, Just(9u8)), mix.initial.0..mix.initial.1),
        prop::collection::vec(event(mix), 1..max),
    )
        .prop_map(|(mut joins, rest)| {
            joins.extend(rest);
            joins
        })
}

fn scoring_strategy() -> impl Strategy<Value = Scoring> {
    prop_oneof![
        Just(Scoring::LeastAllocated),
        Just(Scoring::MostAllocated),
        Just(Scoring::Balanced),
        Just(Scoring::DotProduct),
        Just(Scoring::LowestCost),
        (0u8..3, 0u8..3, 0u8..3, 0u8..3, 1u8..3).prop_map(|(a, b, c, d, e)| {
            Scoring::Weighted(Weights {
                least_allocated: f64::from(a) * 0.5,
                most_allocated: f64::from(b) * 0.25,
                balanced: f64::from(c),
                dot_product: f64::from(d) * 0.75,
                lowest_cost: f64::from(e) * 0.1,
            })
        }),
    ]
}

fn discipline_strategy() -> impl Strategy<Value = Discipline> {
    prop_oneof![
        Just(Discipline::PriorityFifo),
        Just(Discipline::ShortestJobFirst),
        Just(Discipline::Mlfq(MlfqConfig {
            quanta: vec![2.0, 4.0],
            boost_interval: 25.0,
        })),
        Just(Discipline::Mlfq(MlfqConfig {
            quanta: vec![1.0],
            boost_interval: 7.0,
        })),
        Just(Discipline::Aging(AgingConfig { rate: 0.5 })),
        Just(Discipline::Aging(AgingConfig { rate: 0.0 })),
    ]
}

/// Scorings that depend on the demand (the index bounds them by intervals).
fn demand_scoring_strategy() -> impl Strategy<Value = Scoring> {
    prop_oneof![
        Just(Scoring::Balanced),
        Just(Scoring::DotProduct),
        (1u8..3, 0u8..3, 0u8..3).prop_map(|(b, d, l)| {
            Scoring::Weighted(Weights {
                balanced: f64::from(b),
                dot_product: f64::from(d) * 0.75,
                least_allocated: f64::from(l) * 0.5,
                ..Weights::default()
            })
        }),
    ]
}

fn config_strategy() -> impl Strategy<Value = DispatcherConfig> {
    config_with(scoring_strategy().boxed())
}

fn config_with(scoring: BoxedStrategy<Scoring>) -> impl Strategy<Value = DispatcherConfig> {
    (
        scoring,
        discipline_strategy(),
        any::<bool>(),
        prop::bool::weighted(0.7),
        any::<bool>(),
        prop::bool::weighted(0.8),
        prop_oneof![Just(Search::Indexed), Just(Search::FullScan)],
    )
        .prop_map(
            |(scoring, discipline, allow, backfill, reservation, reject, search)| {
                DispatcherConfig {
                    scoring,
                    discipline,
                    allow_internal_on_public: allow,
                    backfill,
                    reservation,
                    reject_never_fit: reject,
                    search,
                    estimation: None,
                }
            },
        )
}

// ---- the harness --------------------------------------------------------------------------

/// What a call returned, for comparing two dispatchers fed the same events.
#[derive(Debug, Clone, PartialEq)]
enum Out {
    Unit(Result<(), Error>),
    Placed(Vec<Assignment>),
    Requeued(Result<agentsched::online::Requeue, Error>),
    Explained(Result<Explanation, Error>),
    Forgot(usize),
}

#[derive(Debug, Clone)]
struct Run {
    d: Dispatcher,
    m: Model,
    /// Every id ever submitted successfully, in order.
    ever: Vec<TaskId>,
    next_id: u32,
    checks: bool,
}

impl Run {
    fn new(cfg: DispatcherConfig) -> Self {
        Run {
            d: Dispatcher::new(schema(), cfg.clone()).expect("valid config"),
            m: Model::new(cfg),
            ever: Vec::new(),
            next_id: 1,
            checks: true,
        }
    }

    /// A task id: with an even `k` preferably one of `preferred`, otherwise any id ever
    /// submitted, or one never submitted.
    fn pick_task(&self, k: u16, preferred: impl Fn(&MTask) -> bool) -> TaskId {
        let k = k as usize;
        let pref: Vec<TaskId> = self
            .m
            .tasks
            .iter()
            .filter(|(_, t)| preferred(t))
            .map(|(id, _)| *id)
            .collect();
        if k % 2 == 0 && !pref.is_empty() {
            return pref[(k / 2) % pref.len()];
        }
        let i = (k / 2) % (self.ever.len() + 1);
        self.ever.get(i).copied().unwrap_or(UNKNOWN_TASK)
    }

    fn pick_agent(k: u8) -> AgentId {
        AgentId(u32::from(k))
    }

    fn make_spec(&mut self, s: &Sub, fresh: bool) -> TaskSpec {
        let id = match s.reuse {
            Some(k) if !self.ever.is_empty() => self.ever[k as usize % self.ever.len()],
            _ if fresh => {
                self.next_id += 1;
                TaskId(self.next_id - 1)
            }
            _ => UNKNOWN_TASK,
        };
        let mut demand = s.demand.to_vec();
        if s.gang.is_some() {
            // Small members, so that whole gangs fit often enough to be placed.
            for x in &mut demand {
                *x = (*x).min(3);
            }
        }
        if s.bad == 0 {
            demand.push(1);
        }
        let duration = match s.bad {
            1 => f64::INFINITY,
            2 => -1.0,
            _ => DURATIONS[s.duration],
        };
        let mut t = TaskSpec::new(id, demand)
            .priority(i32::from(s.priority))
            .duration(duration)
            .sensitivity(SENSITIVITIES[s.sensitivity]);
        if let Some(z) = s.zone {
            t = t.label(zone(z));
        }
        if let Some((g, size)) = s.gang {
            let size = if s.bad == 3 {
                0
            } else {
                size.unwrap_or(u32::from(g) + 1)
            };
            t = t.gang(GangId(u32::from(g)), size);
        }
        t
    }

    /// Checks a failed call: the error and that nothing changed.
    fn expect_error<T: std::fmt::Debug>(
        &self,
        before: &Snapshot,
        got: &Result<T, Error>,
        want: &Error,
    ) -> Result<(), TestCaseError> {
        match got {
            Ok(v) => return fail(format!("expected {want:?}, got Ok({v:?})")),
            Err(e) => prop_assert!(same_error(e, want), "expected {:?}, got {:?}", want, e),
        }
        prop_assert_eq!(
            &self.d.snapshot(),
            before,
            "a failed call changed the state"
        );
        Ok(())
    }

    fn step(&mut self, ev: &Ev) -> Result<Out, TestCaseError> {
        let out = self.apply(ev)?;
        if self.checks {
            self.check()?;
        }
        Ok(out)
    }

    fn apply(&mut self, ev: &Ev) -> Result<Out, TestCaseError> {
        Ok(match ev {
            Ev::Join {
                id,
                cap,
                public,
                speed,
                cost,
                zone: z,
                bad,
            } => {
                let id = AgentId(u32::from(*id));
                let mut capacity = cap.to_vec();
                if *bad == 0 {
                    capacity.push(1);
                }
                let mut spec = AgentSpec::new(id, capacity)
                    .tier(if *public { Tier::Public } else { Tier::Private })
                    .speed(if *bad == 1 { 0.0 } else { SPEEDS[*speed] })
                    .cost_per_time(if *bad == 2 {
                        -1.0
                    } else {
                        f64::from(*cost) * 0.5
                    });
                if let Some(z) = z {
                    spec = spec.label(zone(*z));
                }
                let want = if self.m.agents.contains_key(&id) {
                    Some(Error::DuplicateAgent(id))
                } else {
                    match bad {
                        0 => Some(Error::DimensionMismatch {
                            field: "agent.capacity",
                            expected: D,
                            got: D + 1,
                        }),
                        1 => Some(Error::NotPositive {
                            field: "agent.speed",
                            value: 0.0,
                        }),
                        2 => Some(Error::Negative {
                            field: "agent.cost_per_time",
                            value: -1.0,
                        }),
                        _ => None,
                    }
                };
                let before = want.as_ref().map(|_| self.d.snapshot());
                let r = self.d.join_agent(spec.clone());
                match (want, before) {
                    (Some(w), Some(b)) => self.expect_error(&b, &r, &w)?,
                    _ => {
                        prop_assert!(r.is_ok(), "join {:?}: {:?}", spec, r);
                        self.m.agents.insert(
                            id,
                            MAgent {
                                spec,
                                state: AgentState::Ready,
                            },
                        );
                    }
                }
                Out::Unit(r)
            }
            Ev::Submit(s) => {
                let spec = self.make_spec(s, true);
                let want = self.m.submit_error(&spec);
                let before = want.as_ref().map(|_| self.d.snapshot());
                let r = self.d.submit(spec.clone());
                match (&want, before) {
                    (Some(w @ Error::NeverFits { .. }), Some(b)) => {
                        let Err(Error::NeverFits { task, explanation }) = &r else {
                            return fail(format!("expected NeverFits for {spec:?}, got {r:?}"));
                        };
                        prop_assert_eq!(*task, spec.id);
                        prop_assert!(!explanation.could_ever_fit);
                        self.check_explanation(explanation, &spec, None)?;
                        self.expect_error(&b, &r, w)?;
                    }
                    (Some(w), Some(b)) => self.expect_error(&b, &r, w)?,
                    _ => {
                        prop_assert!(r.is_ok(), "submit {:?}: {:?}", spec, r);
                        if !self.ever.contains(&spec.id) {
                            self.ever.push(spec.id);
                        }
                        self.m.tasks.insert(
                            spec.id,
                            MTask {
                                spec,
                                seq: self.m.next_seq,
                                arrival: self.m.now,
                                used: 0.0,
                                state: MState::Queued,
                            },
                        );
                        self.m.next_seq += 1;
                        self.m.stats.submitted += 1;
                    }
                }
                Out::Unit(r)
            }
            Ev::Dispatch => {
                let order = self.d.queue_order();
                let previous = self.d.reservation();
                let placed = self.d.dispatch();
                self.check_dispatch(&order, previous, &placed)?;
                if self.checks {
                    // Why is each task still waiting? Every explanation, from first principles.
                    for id in self.d.queue_order() {
                        let e = self.d.explain(id);
                        let Ok(e) = e else {
                            return fail(format!("explain {id}: {e:?}"));
                        };
                        let spec = self.m.tasks[&id].spec.clone();
                        let gang = spec.gang.map(|g| GangProgress {
                            gang: g.id,
                            members: self.m.gang_seen(g.id) as u32,
                            size: g.size,
                        });
                        self.check_explanation(&e, &spec, gang)?;
                    }
                }
                Out::Placed(placed)
            }
            Ev::Complete(k) => {
                let id = self.pick_task(*k, |t| matches!(t.state, MState::Running { .. }));
                let want = self.m.running_error(id);
                let before = want.as_ref().map(|_| self.d.snapshot());
                let r = self.d.complete(id);
                match (want, before) {
                    (Some(w), Some(b)) => self.expect_error(&b, &r, &w)?,
                    _ => {
                        prop_assert!(r.is_ok(), "complete {}: {:?}", id, r);
                        self.m.gang_member_finished(id, true);
                        self.m.tasks.get_mut(&id).unwrap().state = MState::Done;
                        self.m.stats.completed += 1;
                    }
                }
                Out::Unit(r)
            }
            Ev::Cancel(k) => {
                let id = self.pick_task(*k, MTask::live);
                let want = self.m.known_live_error(id);
                let before = want.as_ref().map(|_| self.d.snapshot());
                let r = self.d.cancel(id);
                match (want, before) {
                    (Some(w), Some(b)) => self.expect_error(&b, &r, &w)?,
                    _ => {
                        prop_assert!(r.is_ok(), "cancel {}: {:?}", id, r);
                        let ran = matches!(self.m.tasks[&id].state, MState::Running { .. });
                        self.m.gang_member_finished(id, ran);
                        self.m.tasks.get_mut(&id).unwrap().state = MState::Cancelled;
                        self.m.stats.cancelled += 1;
                    }
                }
                Out::Unit(r)
            }
            Ev::Yield(k, used) => {
                let id = self.pick_task(*k, |t| matches!(t.state, MState::Running { .. }));
                let used = f64::from(*used);
                let want = self.m.running_error(id).or_else(|| {
                    self.m.tasks[&id]
                        .spec
                        .gang
                        .is_some()
                        .then_some(Error::TaskState {
                            task: id,
                            state: "a gang member",
                            expected: "not in a gang",
                        })
                });
                let before = want.as_ref().map(|_| self.d.snapshot());
                let r = self.d.yield_task(id, used);
                match (want, before) {
                    (Some(w), Some(b)) => self.expect_error(&b, &r, &w)?,
                    _ => {
                        prop_assert!(r.is_ok(), "yield {}: {:?}", id, r);
                        let t = self.m.tasks.get_mut(&id).unwrap();
                        t.used += used;
                        t.state = MState::Queued;
                    }
                }
                Out::Unit(r)
            }
            Ev::Priority(k, p) => {
                let id = self.pick_task(*k, MTask::live);
                let want = self.m.known_live_error(id);
                let before = want.as_ref().map(|_| self.d.snapshot());
                let r = self.d.change_priority(id, i32::from(*p));
                match (want, before) {
                    (Some(w), Some(b)) => self.expect_error(&b, &r, &w)?,
                    _ => {
                        prop_assert!(r.is_ok(), "change_priority {}: {:?}", id, r);
                        self.m.tasks.get_mut(&id).unwrap().spec.priority = i32::from(*p);
                    }
                }
                Out::Unit(r)
            }
            Ev::Advance(dt) => {
                let to = self.m.now + f64::from(*dt);
                let r = self.d.advance_to(to);
                prop_assert!(r.is_ok(), "advance_to {}: {:?}", to, r);
                self.m.advance(to);
                Out::Unit(r)
            }
            Ev::Backwards => {
                let (to, want) = if self.m.now >= 1.0 {
                    let to = self.m.now - 1.0;
                    (
                        to,
                        Error::TimeWentBackwards {
                            now: self.m.now,
                            got: to,
                        },
                    )
                } else {
                    (
                        -1.0,
                        Error::Negative {
                            field: "now",
                            value: -1.0,
                        },
                    )
                };
                let before = self.d.snapshot();
                let r = self.d.advance_to(to);
                self.expect_error(&before, &r, &want)?;
                Out::Unit(r)
            }
            Ev::Drain(k) => {
                let a = Self::pick_agent(*k);
                let want = self.m.agent_error(a, &[AgentState::Ready], "ready");
                let before = want.as_ref().map(|_| self.d.snapshot());
                let r = self.d.drain_agent(a);
                match (want, before) {
                    (Some(w), Some(b)) => self.expect_error(&b, &r, &w)?,
                    _ => {
                        prop_assert!(r.is_ok(), "drain {}: {:?}", a, r);
                        self.m.agents.get_mut(&a).unwrap().state = AgentState::Draining;
                    }
                }
                Out::Unit(r)
            }
            Ev::Recover(k) => {
                let a = Self::pick_agent(*k);
                let want = self.m.agent_error(
                    a,
                    &[AgentState::Draining, AgentState::Down],
                    "draining or down",
                );
                let before = want.as_ref().map(|_| self.d.snapshot());
                let r = self.d.recover_agent(a);
                match (want, before) {
                    (Some(w), Some(b)) => self.expect_error(&b, &r, &w)?,
                    _ => {
                        prop_assert!(r.is_ok(), "recover {}: {:?}", a, r);
                        self.m.agents.get_mut(&a).unwrap().state = AgentState::Ready;
                    }
                }
                Out::Unit(r)
            }
            Ev::Fail(k) | Ev::Leave(k) => {
                let a = Self::pick_agent(*k);
                let leave = matches!(ev, Ev::Leave(_));
                let want = if leave {
                    self.m.agent_error(
                        a,
                        &[AgentState::Ready, AgentState::Draining, AgentState::Down],
                        "",
                    )
                } else {
                    self.m.agent_error(
                        a,
                        &[AgentState::Ready, AgentState::Draining],
                        "ready or draining",
                    )
                };
                let before = want.as_ref().map(|_| self.d.snapshot());
                let r = if leave {
                    self.d.leave_agent(a)
                } else {
                    self.d.fail_agent(a)
                };
                match (want, before) {
                    (Some(w), Some(b)) => self.expect_error(&b, &r, &w)?,
                    _ => {
                        let expected = self.m.requeue_of(a);
                        let Ok(rq) = &r else {
                            return fail(format!("fail/leave {a}: {r:?}"));
                        };
                        prop_assert_eq!(rq.agent, a);
                        prop_assert_eq!(&rq.requeued, &expected, "requeued of {}", a);
                        for id in &expected {
                            self.m.tasks.get_mut(id).unwrap().state = MState::Queued;
                        }
                        self.m.stats.requeued += expected.len() as u64;
                        if leave {
                            self.m.agents.remove(&a);
                        } else {
                            self.m.agents.get_mut(&a).unwrap().state = AgentState::Down;
                        }
                    }
                }
                Out::Requeued(r)
            }
            Ev::Explain(k) => {
                let id = self.pick_task(*k, |t| t.state == MState::Queued);
                let want = self.m.known_live_error(id);
                let r = self.d.explain(id);
                match (&want, &r) {
                    (Some(w), Err(e)) => prop_assert!(same_error(e, w), "{:?} vs {:?}", e, w),
                    (None, Ok(e)) => {
                        let spec = self.m.tasks[&id].spec.clone();
                        let gang = spec.gang.map(|g| GangProgress {
                            gang: g.id,
                            members: self.m.gang_seen(g.id) as u32,
                            size: g.size,
                        });
                        self.check_explanation(e, &spec, gang)?;
                    }
                    _ => return fail(format!("explain {id}: expected {want:?}, got {r:?}")),
                }
                Out::Explained(r)
            }
            Ev::DryRun(s) => {
                let spec = self.make_spec(s, false);
                let want = self.m.spec_error(&spec);
                let r = self.d.dry_run(&spec);
                match (&want, &r) {
                    (Some(w), Err(e)) => prop_assert!(same_error(e, w), "{:?} vs {:?}", e, w),
                    (None, Ok(e)) => self.check_explanation(e, &spec, None)?,
                    _ => return fail(format!("dry_run {spec:?}: expected {want:?}, got {r:?}")),
                }
                Out::Explained(r)
            }
            Ev::Forget => {
                let n = self.d.forget_finished();
                let finished: Vec<TaskId> = self
                    .m
                    .tasks
                    .iter()
                    .filter(|(_, t)| !t.live())
                    .map(|(id, _)| *id)
                    .collect();
                prop_assert_eq!(n, finished.len());
                for id in finished {
                    self.m.tasks.remove(&id);
                }
                Out::Forgot(n)
            }
        })
    }

    /// Checks one dispatch call's decisions against the state before it, then records them.
    fn check_dispatch(
        &mut self,
        order: &[TaskId],
        previous: Option<Reservation>,
        placed: &[Assignment],
    ) -> Result<(), TestCaseError> {
        let m = &self.m;
        let cfg = &m.cfg;
        let now = m.now;
        let resv = self.d.reservation();
        let pos: BTreeMap<TaskId, usize> = order.iter().enumerate().map(|(i, t)| (*t, i)).collect();
        let assigned: BTreeSet<TaskId> = placed.iter().map(|a| a.task).collect();
        prop_assert_eq!(
            assigned.len(),
            placed.len(),
            "a task placed twice: {:?}",
            placed
        );

        // Replay the decisions in order on the test's own allocation table.
        let mut used: BTreeMap<AgentId, [u64; D]> =
            m.agents.keys().map(|&a| (a, m.used_on(a))).collect();
        for a in placed {
            let Some(t) = m.tasks.get(&a.task) else {
                return fail(format!("placed unknown {}", a.task));
            };
            prop_assert_eq!(t.state, MState::Queued, "placed {} not queued", a.task);
            let Some(ag) = m.agents.get(&a.agent) else {
                return fail(format!("placed {} on unknown {}", a.task, a.agent));
            };
            prop_assert_eq!(ag.state, AgentState::Ready, "{} placed on {:?}", a.task, ag);
            prop_assert!(
                m.tier_ok(t.spec.sensitivity, ag.spec.tier),
                "{:?} data on a {:?} agent",
                t.spec.sensitivity,
                ag.spec.tier
            );
            for l in &t.spec.labels {
                prop_assert!(ag.spec.labels.contains(l), "{} lacks {}", a.agent, l);
            }
            let u = used[&a.agent];
            let free = m.free_with(a.agent, &u);
            prop_assert!(
                fits(&t.spec.demand, &free),
                "{} does not fit {}",
                a.task,
                a.agent
            );
            prop_assert_eq!(a.start, now);
            prop_assert_eq!(a.expected_end, now + t.spec.duration / ag.spec.speed);
            // The agent is the best by the scoring formulas (the reserved agent aside: it may
            // be withheld from tasks behind the reservation holder).
            let mine = m.score_with(a.agent, &u, &t.spec.demand);
            prop_assert!(
                (a.score - mine).abs() <= TOL,
                "score {} vs {}",
                a.score,
                mine
            );
            for (&b, ub) in &used {
                let withheld = resv.is_some_and(|r| r.agent == b && r.task != a.task);
                if b == a.agent || withheld || !m.could_hold(&t.spec, b) {
                    continue;
                }
                if fits(&t.spec.demand, &m.free_with(b, ub)) {
                    let other = m.score_with(b, ub, &t.spec.demand);
                    prop_assert!(
                        other <= a.score + TOL,
                        "{} scores {} on {} but went to {} scoring {}",
                        a.task,
                        other,
                        b,
                        a.agent,
                        a.score
                    );
                }
            }
            for (x, d) in used
                .get_mut(&a.agent)
                .unwrap()
                .iter_mut()
                .zip(&t.spec.demand)
            {
                *x += d;
            }
        }

        // Gangs: every member in this call, or none.
        for a in placed {
            if let Some(g) = m.tasks[&a.task].spec.gang {
                let members = m.live_members(g.id);
                prop_assert_eq!(
                    m.gang_seen(g.id),
                    g.size as usize,
                    "gang {} incomplete",
                    g.id
                );
                for x in &members {
                    prop_assert!(assigned.contains(x), "gang {} split: {:?}", g.id, placed);
                }
            }
        }

        // Which queued task triggered each placement, and the backfilled flags.
        let trigger = |id: TaskId| -> usize {
            match m.tasks[&id].spec.gang {
                Some(g) => m
                    .live_members(g.id)
                    .iter()
                    .filter_map(|x| pos.get(x))
                    .copied()
                    .min()
                    .unwrap_or(usize::MAX),
                None => pos.get(&id).copied().unwrap_or(usize::MAX),
            }
        };
        let first_blocked = order.iter().position(|t| !assigned.contains(t));
        for a in placed {
            let tr = trigger(a.task);
            prop_assert!(tr < order.len(), "{} was not in the queue", a.task);
            let behind_blocked = order[..tr].iter().any(|t| !assigned.contains(t));
            prop_assert_eq!(
                a.backfilled,
                behind_blocked,
                "backfilled flag of {}",
                a.task
            );
            if !cfg.backfill
                && let Some(k) = first_blocked
            {
                prop_assert!(tr < k, "{} passed a blocked task without backfill", a.task);
            }
        }

        // Record the decisions.
        self.m.calls += 1;
        let call = self.m.calls;
        for a in placed {
            let t = self.m.tasks.get_mut(&a.task).unwrap();
            t.state = MState::Running {
                agent: a.agent,
                since: a.start,
                end: a.expected_end,
                call,
            };
            self.m.stats.placed += 1;
            if a.backfilled {
                self.m.stats.backfilled += 1;
            }
        }

        // What stayed queued could not be placed: resources only shrink during a dispatch, so a
        // task that fits now would have fitted when it was considered.
        let m = &self.m;
        let cfg = &m.cfg;
        let remaining: Vec<TaskId> = order
            .iter()
            .filter(|t| !assigned.contains(t))
            .copied()
            .collect();
        let solo = |id: &TaskId| m.tasks[id].spec.gang.is_none();
        if let Some(&first) = remaining.first()
            && solo(&first)
        {
            for &a in m.agents.keys() {
                prop_assert!(
                    !m.fits_now(&m.tasks[&first].spec, a),
                    "first blocked {} fits {}",
                    first,
                    a
                );
            }
        }
        if cfg.backfill {
            for t in remaining.iter().filter(|t| solo(t)) {
                let spec = &m.tasks[t].spec;
                for &a in m.agents.keys() {
                    if !m.fits_now(spec, a) {
                        continue;
                    }
                    let Some(r) = resv else {
                        return fail(format!("{t} stayed queued but fits {a}"));
                    };
                    prop_assert!(
                        r.agent == a
                            && r.task != *t
                            && pos[t] > pos[&r.task]
                            && now + spec.duration / m.speed(a) > r.shadow,
                        "{} stayed queued but fits {} (reservation {:?})",
                        t,
                        a,
                        r
                    );
                }
            }
        }

        // The reservation: the first blocked task that some ready agent could hold, on the
        // agent with the earliest shadow time (or the one it held before).
        let holds_somewhere = |id: &TaskId| {
            let spec = &m.tasks[id].spec;
            m.agents
                .keys()
                .any(|&a| m.could_hold(spec, a) && m.shadow(a, &spec.demand).is_some())
        };
        let expected_holder = if !cfg.reservation {
            None
        } else if cfg.backfill {
            remaining
                .iter()
                .find(|t| solo(t) && holds_somewhere(t))
                .copied()
        } else {
            remaining
                .first()
                .filter(|t| solo(t) && holds_somewhere(t))
                .copied()
        };
        prop_assert_eq!(resv.map(|r| r.task), expected_holder, "reservation holder");
        if let Some(r) = resv {
            let spec = &m.tasks[&r.task].spec;
            prop_assert!(
                m.could_hold(spec, r.agent),
                "reserved {} cannot hold it",
                r.agent
            );
            prop_assert_eq!(Some(r.shadow), m.shadow(r.agent, &spec.demand), "shadow");
            match previous.filter(|p| p.task == r.task && m.could_hold(spec, p.agent)) {
                Some(p) => prop_assert_eq!(r.agent, p.agent, "reservation moved"),
                None => {
                    for &a in m.agents.keys() {
                        if a == r.agent || !m.could_hold(spec, a) {
                            continue;
                        }
                        let s = m.shadow(a, &spec.demand).unwrap_or(f64::INFINITY);
                        prop_assert!(
                            s > r.shadow || (s == r.shadow && a > r.agent),
                            "{} frees up at {} before reserved {} at {}",
                            a,
                            s,
                            r.agent,
                            r.shadow
                        );
                    }
                }
            }
        }
        Ok(())
    }

    /// Checks an explanation against the test's own evaluation of every agent.
    fn check_explanation(
        &self,
        e: &Explanation,
        spec: &TaskSpec,
        gang: Option<GangProgress>,
    ) -> Result<(), TestCaseError> {
        let m = &self.m;
        let resv = self.d.reservation();
        let other_resv = resv.filter(|r| r.task != spec.id);
        let mut feasible = Vec::new();
        let mut counts: BTreeMap<Mismatch, usize> = BTreeMap::new();
        let mut short = vec![0usize; D];
        let mut closest: Vec<(f64, Shortfall)> = Vec::new();
        for (&a, ag) in &m.agents {
            let mut why = m.mismatch(a, spec);
            if why.is_none()
                && other_resv.is_some_and(|r| {
                    r.agent == a && m.now + spec.duration / ag.spec.speed > r.shadow
                })
            {
                why = Some(Mismatch::Reserved);
            }
            match why {
                None => feasible.push(a),
                Some(w) => {
                    if let Mismatch::Short { .. } = w {
                        let free = m.free(a);
                        let missing: Vec<u64> = (0..D)
                            .map(|j| spec.demand[j].saturating_sub(free[j]))
                            .collect();
                        let mut rel = 0.0;
                        for j in 0..D {
                            if missing[j] > 0 {
                                short[j] += 1;
                                rel += missing[j] as f64 / ag.spec.capacity[j] as f64;
                            }
                        }
                        closest.push((rel, Shortfall { agent: a, missing }));
                    }
                    *counts.entry(w).or_default() += 1;
                }
            }
        }
        closest.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.agent.cmp(&y.1.agent)));
        let closest: Vec<Shortfall> = closest.into_iter().take(3).map(|(_, s)| s).collect();
        let mut reasons: Vec<ReasonCount> = counts
            .into_iter()
            .map(|(reason, agents)| ReasonCount { reason, agents })
            .collect();
        reasons.sort_by(|a, b| b.agents.cmp(&a.agents).then(a.reason.cmp(&b.reason)));

        prop_assert_eq!(e.task, spec.id);
        prop_assert_eq!(e.agents, m.agents.len());
        prop_assert_eq!(e.feasible, feasible.len(), "feasible of {:?}: {}", spec, e);
        prop_assert_eq!(&e.reasons, &reasons, "reasons of {:?}", spec);
        prop_assert_eq!(
            e.reasons.iter().map(|r| r.agents).sum::<usize>(),
            e.agents - e.feasible
        );
        prop_assert_eq!(&e.short_by_dimension, &short);
        prop_assert_eq!(&e.closest, &closest);
        prop_assert_eq!(e.could_ever_fit, m.could_ever_fit(spec));
        prop_assert_eq!(e.gang, gang);
        prop_assert_eq!(e.reservation, resv.map(|r| (r.task, r.agent)));
        let names = schema();
        prop_assert_eq!(&e.dimensions[..], names.names());
        prop_assert_eq!(e.sensitivity, spec.sensitivity);

        let cands: Vec<Candidate> = e.best.iter().chain(&e.runners_up).copied().collect();
        prop_assert_eq!(cands.len(), feasible.len().min(3), "candidates {:?}", cands);
        for w in cands.windows(2) {
            prop_assert!(
                w[0].score > w[1].score || (w[0].score == w[1].score && w[0].agent < w[1].agent),
                "candidates out of order: {:?}",
                cands
            );
        }
        for c in &cands {
            prop_assert!(feasible.contains(&c.agent), "{} is not feasible", c.agent);
            let mine = m.score(c.agent, &spec.demand);
            prop_assert!(
                (c.score - mine).abs() <= TOL,
                "score {} vs {}",
                c.score,
                mine
            );
        }
        if let Some(last) = cands.last() {
            for &a in feasible
                .iter()
                .filter(|a| cands.iter().all(|c| c.agent != **a))
            {
                prop_assert!(
                    m.score(a, &spec.demand) <= last.score + TOL,
                    "{} left out",
                    a
                );
            }
        }
        Ok(())
    }

    /// Everything the dispatcher reports agrees with the test's bookkeeping.
    fn check(&self) -> Result<(), TestCaseError> {
        let d = &self.d;
        let m = &self.m;
        prop_assert_eq!(d.now(), m.now);
        prop_assert_eq!(d.stats(), m.stats);
        let ids: Vec<AgentId> = d.pool().ids().collect();
        prop_assert_eq!(ids, m.agents.keys().copied().collect::<Vec<_>>());

        // Capacity: what the test believes runs on each agent is what the pool has allocated,
        // and within capacity.
        let mut seen: BTreeMap<TaskId, usize> = BTreeMap::new();
        for (&a, ag) in &m.agents {
            let info = d.pool().agent(a).unwrap();
            prop_assert_eq!(info.state, ag.state, "state of {}", a);
            let used = m.used_on(a);
            prop_assert_eq!(info.used.as_slice(), &used[..], "allocation on {}", a);
            prop_assert!(fits(&used, &ag.spec.capacity), "{} over capacity", a);
            let on = d.tasks_on(a);
            prop_assert_eq!(&on, &m.running_on(a), "tasks on {}", a);
            if ag.state == AgentState::Down {
                prop_assert!(on.is_empty(), "down {} runs {:?}", a, on);
            }
            for t in on {
                *seen.entry(t).or_default() += 1;
            }
        }

        // Queue order, by the discipline's definition.
        let order = d.queue_order();
        prop_assert_eq!(&order, &m.expected_queue(), "queue order");
        let queued: BTreeSet<TaskId> = order.iter().copied().collect();
        for t in &order {
            *seen.entry(*t).or_default() += 1;
        }

        // Every task in exactly one place.
        let mut live = 0;
        let mut running = 0;
        for (id, t) in &m.tasks {
            let n = seen.get(id).copied().unwrap_or(0);
            let st = d.task_state(*id);
            match t.state {
                MState::Queued => {
                    prop_assert!(n == 1 && queued.contains(id), "{} seen {} times", id, n);
                    prop_assert_eq!(st, Some(TaskState::Queued));
                }
                MState::Running { agent, since, .. } => {
                    prop_assert!(n == 1 && !queued.contains(id), "{} seen {} times", id, n);
                    prop_assert_eq!(st, Some(TaskState::Running { agent, since }));
                    running += 1;
                }
                MState::Done => {
                    prop_assert_eq!(n, 0);
                    prop_assert_eq!(st, Some(TaskState::Done));
                }
                MState::Cancelled => {
                    prop_assert_eq!(n, 0);
                    prop_assert_eq!(st, Some(TaskState::Cancelled));
                }
            }
            if t.live() {
                live += 1;
                prop_assert_eq!(d.task(*id), Some(&t.spec));
            } else {
                prop_assert_eq!(d.task(*id), None);
            }
        }
        prop_assert!(
            seen.keys().all(|id| m.tasks.contains_key(id)),
            "the dispatcher holds tasks the test never saw"
        );
        for id in self.ever.iter().filter(|id| !m.tasks.contains_key(id)) {
            prop_assert_eq!(d.task_state(*id), None, "forgotten {}", id);
        }
        prop_assert_eq!(d.queued(), live - running);
        prop_assert_eq!(d.running(), running);

        // The reservation is held by a queued solo task on a ready agent.
        if let Some(r) = d.reservation() {
            prop_assert!(m.cfg.reservation, "a reservation with reservations off");
            let t = &m.tasks[&r.task];
            prop_assert_eq!(t.state, MState::Queued);
            prop_assert!(t.spec.gang.is_none());
            prop_assert_eq!(
                m.agents.get(&r.agent).map(|a| a.state),
                Some(AgentState::Ready)
            );
        }

        // A gang's running members were all placed by the same dispatch call.
        let mut calls: BTreeMap<GangId, u64> = BTreeMap::new();
        for t in m.tasks.values() {
            if let (Some(g), MState::Running { call, .. }) = (t.spec.gang, t.state) {
                let first = *calls.entry(g.id).or_insert(call);
                prop_assert_eq!(first, call, "gang {} placed in two calls", g.id);
            }
        }

        // The snapshot says the same.
        let s = d.snapshot();
        prop_assert_eq!(s.now, m.now);
        prop_assert_eq!(s.next_seq, m.next_seq);
        prop_assert_eq!(s.stats, m.stats);
        prop_assert_eq!(&s.config, &m.cfg);
        prop_assert_eq!(s.reservation, d.reservation());
        if matches!(m.cfg.discipline, Discipline::Mlfq(_)) {
            prop_assert_eq!(s.last_boost, m.last_boost);
        }
        let agents: Vec<(AgentSpec, AgentState)> =
            s.agents.iter().map(|a| (a.spec.clone(), a.state)).collect();
        let mine: Vec<(AgentSpec, AgentState)> = m
            .agents
            .values()
            .map(|a| (a.spec.clone(), a.state))
            .collect();
        prop_assert_eq!(agents, mine);
        let live_tasks: Vec<&MTask> = m.tasks.values().filter(|t| t.live()).collect();
        prop_assert_eq!(s.tasks.len(), live_tasks.len());
        for (st, t) in s.tasks.iter().zip(live_tasks) {
            prop_assert_eq!(&st.spec, &t.spec);
            prop_assert_eq!(st.seq, t.seq);
            prop_assert_eq!(st.arrival, t.arrival);
            prop_assert_eq!(st.used, t.used, "consumed time of {}", t.spec.id);
            let state = match t.state {
                MState::Running { agent, since, .. } => TaskState::Running { agent, since },
                _ => TaskState::Queued,
            };
            prop_assert_eq!(st.state, state);
        }
        let finished: Vec<(TaskId, TaskState)> =
            s.finished.iter().map(|f| (f.id, f.state)).collect();
        let mine: Vec<(TaskId, TaskState)> = m
            .tasks
            .iter()
            .filter_map(|(id, t)| match t.state {
                MState::Done => Some((*id, TaskState::Done)),
                MState::Cancelled => Some((*id, TaskState::Cancelled)),
                _ => None,
            })
            .collect();
        prop_assert_eq!(finished, mine);
        Ok(())
    }

    /// Explains every live task (the model test compares these between two dispatchers).
    fn explain_all(&self) -> Vec<Out> {
        self.m
            .tasks
            .keys()
            .map(|id| Out::Explained(self.d.explain(*id)))
            .collect()
    }
}

fn roundtrip(s: &Snapshot) -> Snapshot {
    let json = serde_json::to_string(s).expect("a snapshot serializes");
    serde_json::from_str(&json).expect("a snapshot deserializes")
}

/// Feeds the same events to an indexed and a full-scan dispatcher: every output must agree.
fn indexed_agrees_with_full_scan(cfg: DispatcherConfig, evs: &[Ev]) -> Result<(), TestCaseError> {
    let mut a = Run::new(DispatcherConfig {
        search: Search::Indexed,
        ..cfg.clone()
    });
    let mut b = Run::new(DispatcherConfig {
        search: Search::FullScan,
        ..cfg
    });
    for ev in evs {
        let x = a.step(ev)?;
        let y = b.step(ev)?;
        prop_assert_eq!(&x, &y, "after {:?}", ev);
        if matches!(ev, Ev::Dispatch) {
            prop_assert_eq!(a.explain_all(), b.explain_all());
        }
    }
    prop_assert_eq!(a.explain_all(), b.explain_all());
    let (mut sa, sb) = (a.d.snapshot(), b.d.snapshot());
    sa.config.search = Search::FullScan;
    prop_assert_eq!(sa, sb);
    Ok(())
}

// ---- property tests -----------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Capacity, exactly-one-place, requeues, constraints, gangs, queue order, backfill and
    /// reservation rules, explanations and expected ends, after every event, for every policy.
    #[test]
    fn invariants_hold_under_random_events(cfg in config_strategy(), evs in events(150, SMALL)) {
        let mut run = Run::new(cfg);
        for ev in &evs {
            run.step(ev)?;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The fit index makes exactly the full scan's decisions: placements, scores, requeues,
    /// explanations, dry runs, errors; in pools of many agent classes...
    #[test]
    fn indexed_search_agrees_with_full_scan(cfg in config_strategy(), evs in events(150, CLASSES)) {
        indexed_agrees_with_full_scan(cfg, &evs)?;
    }

    /// The same events give the same decisions; a snapshot restored (through JSON) at any
    /// point continues with exactly the original's decisions.
    #[test]
    fn snapshots_restore_and_continue_identically(
        cfg in config_strategy(),
        evs in events(150, SMALL),
        cuts in prop::collection::btree_set(any::<u16>(), 1..4),
    ) {
        let mut a = Run::new(cfg.clone());
        let mut twin = Run::new(cfg);
        twin.checks = false;
        let mut restored: Option<Run> = None;
        for (i, ev) in evs.iter().enumerate() {
            if cuts.iter().any(|c| *c as usize % evs.len() == i) {
                let snap = a.d.snapshot();
                let back = roundtrip(&snap);
                prop_assert_eq!(&back, &snap, "JSON round trip");
                let d = match Dispatcher::restore(back) {
                    Ok(d) => d,
                    Err(e) => return fail(format!("restore: {e}")),
                };
                prop_assert_eq!(d.snapshot(), snap.clone());
                let mut b = a.clone();
                b.d = d;
                b.check()?;
                restored = Some(b);
            }
            let x = a.step(ev)?;
            let y = twin.step(ev)?;
            prop_assert_eq!(&x, &y, "same events, different decision at {:?}", ev);
            if let Some(b) = restored.as_mut() {
                let z = b.step(ev)?;
                prop_assert_eq!(&x, &z, "restored dispatcher differs at {:?}", ev);
            }
        }
        prop_assert_eq!(a.d.snapshot(), twin.d.snapshot());
        if let Some(b) = &restored {
            prop_assert_eq!(a.d.snapshot(), b.d.snapshot());
            prop_assert_eq!(a.explain_all(), b.explain_all());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// ... and in large pools of few classes (deep trees, where stale bounds would show).
    #[test]
    fn indexed_search_agrees_with_full_scan_in_large_pools(
        cfg in config_with(demand_scoring_strategy().boxed()),
        evs in events(150, LARGE),
    ) {
        indexed_agrees_with_full_scan(cfg, &evs)?;
    }
}

// ---- corrupted snapshots ------------------------------------------------------------------

/// Invariants any dispatcher must satisfy, checked without a model (for restored snapshots).
fn self_consistent(d: &Dispatcher) -> Result<(), TestCaseError> {
    let dims = d.schema().len();
    let mut seen = BTreeSet::new();
    for a in d.pool().ids() {
        let info = d.pool().agent(a).unwrap();
        let mut sum = vec![0u64; dims];
        for t in d.tasks_on(a) {
            prop_assert!(seen.insert(t), "{} in two places", t);
            let spec = d.task(t).unwrap();
            for (s, x) in sum.iter_mut().zip(&spec.demand) {
                *s += x;
            }
            let on_a =
                matches!(d.task_state(t), Some(TaskState::Running { agent, .. }) if agent == a);
            prop_assert!(on_a, "{} is not running on {}", t, a);
        }
        prop_assert_eq!(info.used.as_slice(), &sum[..]);
        prop_assert!(fits(&sum, &info.spec.capacity), "{} over capacity", a);
        if info.state == AgentState::Down {
            prop_assert!(sum.iter().all(|x| *x == 0));
        }
    }
    for t in d.queue_order() {
        prop_assert!(seen.insert(t), "{} in two places", t);
        prop_assert_eq!(d.task_state(t), Some(TaskState::Queued));
    }
    prop_assert_eq!(seen.len(), d.snapshot().tasks.len());
    Ok(())
}

/// Drives a restored dispatcher through every kind of event; nothing may panic and the
/// invariants must hold throughout.
fn exercise(mut d: Dispatcher) -> Result<(), TestCaseError> {
    self_consistent(&d)?;
    let again = Dispatcher::restore(d.snapshot());
    prop_assert!(
        again.is_ok(),
        "a restored dispatcher's snapshot is rejected: {:?}",
        again.err()
    );
    let dims = d.schema().len();
    let fresh = d
        .snapshot()
        .tasks
        .iter()
        .map(|t| t.spec.id.0)
        .chain(d.snapshot().finished.iter().map(|f| f.id.0))
        .max()
        .map_or(0, |x| x.saturating_add(1));
    let _ = d.dispatch();
    self_consistent(&d)?;
    let _ = d.submit(TaskSpec::new(TaskId(fresh), vec![1; dims]).duration(1.0));
    let _ = d.advance_to(d.now() + 1.0);
    let _ = d.dispatch();
    self_consistent(&d)?;
    for t in d.snapshot().tasks {
        let _ = d.explain(t.spec.id);
        let _ = d.change_priority(t.spec.id, 1);
        if matches!(t.state, TaskState::Running { .. }) {
            let _ = d.yield_task(t.spec.id, 1.0);
        }
    }
    let agents: Vec<AgentId> = d.pool().ids().collect();
    for a in &agents {
        let _ = d.fail_agent(*a);
        let _ = d.recover_agent(*a);
    }
    let _ = d.dispatch();
    for t in d.snapshot().tasks {
        let _ = d.complete(t.spec.id);
    }
    if let Some(a) = agents.first() {
        let _ = d.leave_agent(*a);
    }
    let _ = d.dispatch();
    self_consistent(&d)?;
    let _ = d.forget_finished();
    prop_assert!(Dispatcher::restore(d.snapshot()).is_ok());
    Ok(())
}

fn json_paths(
    v: &serde_json::Value,
    path: String,
    leaves: &mut Vec<String>,
    arrays: &mut Vec<String>,
) {
    match v {
        serde_json::Value::Object(o) => {
            for (k, x) in o {
                json_paths(x, format!("{path}/{k}"), leaves, arrays);
            }
        }
        serde_json::Value::Array(a) => {
            if !a.is_empty() {
                arrays.push(path.clone());
            }
            for (i, x) in a.iter().enumerate() {
                json_paths(x, format!("{path}/{i}"), leaves, arrays);
            }
        }
        _ => leaves.push(path),
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Set(u16, serde_json::Value),
    Duplicate(u16, u16),
    Remove(u16, u16),
}

fn mutation_strategy() -> impl Strategy<Value = Mutation> {
    use serde_json::json;
    let value = prop_oneof![
        Just(json!(-1)),
        Just(json!(0)),
        Just(json!(1)),
        Just(json!(2)),
        Just(json!(u64::MAX)),
        Just(json!(u32::MAX)),
        Just(json!(1e300)),
        Just(json!(-0.5)),
        Just(json!(0.5)),
        Just(json!(null)),
        Just(json!("down")),
        Just(json!("x")),
        Just(json!(true)),
        Just(json!([])),
        (0u64..12).prop_map(|n| json!(n)),
    ];
    prop_oneof![
        6 => (any::<u16>(), value).prop_map(|(p, v)| Mutation::Set(p, v)),
        1 => (any::<u16>(), any::<u16>()).prop_map(|(p, i)| Mutation::Duplicate(p, i)),
        1 => (any::<u16>(), any::<u16>()).prop_map(|(p, i)| Mutation::Remove(p, i)),
    ]
}

fn mutate(v: &mut serde_json::Value, m: &Mutation) {
    let (mut leaves, mut arrays) = (Vec::new(), Vec::new());
    json_paths(v, String::new(), &mut leaves, &mut arrays);
    match m {
        Mutation::Set(p, x) => {
            if let Some(slot) = leaves
                .get(*p as usize % leaves.len().max(1))
                .and_then(|path| v.pointer_mut(path))
            {
                *slot = x.clone();
            }
        }
        Mutation::Duplicate(p, i) | Mutation::Remove(p, i) => {
            if let Some(serde_json::Value::Array(a)) = arrays
                .get(*p as usize % arrays.len().max(1))
                .and_then(|path| v.pointer_mut(path))
            {
                let i = *i as usize % a.len();
                if matches!(m, Mutation::Duplicate(..)) {
                    let x = a[i].clone();
                    a.push(x);
                } else {
                    a.remove(i);
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// A corrupted snapshot is rejected with an error or, if accepted, gives a dispatcher that
    /// is consistent and never panics afterwards.
    #[test]
    fn corrupted_snapshots_never_panic(
        cfg in config_strategy(),
        evs in events(60, SMALL),
        mutations in prop::collection::vec(mutation_strategy(), 1..4),
    ) {
        let mut run = Run::new(cfg);
        run.checks = false;
        for ev in &evs {
            run.step(ev)?;
        }
        let mut v = serde_json::to_value(run.d.snapshot()).unwrap();
        for m in &mutations {
            mutate(&mut v, m);
        }
        if let Ok(s) = serde_json::from_value::<Snapshot>(v)
            && let Ok(d) = Dispatcher::restore(s)
        {
            exercise(d)?;
        }
    }
}

// ---- errors: each names the offender and changes nothing -----------------------------------
//
// Every variant the dispatcher can return is provoked here or in the property tests. Two cannot
// be: `Underflow` (the dispatcher releases exactly what it allocated, and `restore` reports an
// over-capacity snapshot as `InvalidSnapshot`) and `QueueEntry` (the dispatcher owns the queue's
// slot numbers and submission numbers).

fn one_dim(cfg: DispatcherConfig) -> Dispatcher {
    Dispatcher::new(Schema::new(["cpu"]).unwrap(), cfg).unwrap()
}

fn two_dim(cfg: DispatcherConfig) -> Dispatcher {
    Dispatcher::new(Schema::new(["cpu", "mem"]).unwrap(), cfg).unwrap()
}

fn agent(id: u32, cap: &[u64]) -> AgentSpec {
    AgentSpec::new(AgentId(id), cap.to_vec())
}

fn task(id: u32, demand: &[u64]) -> TaskSpec {
    TaskSpec::new(TaskId(id), demand.to_vec())
}

/// Runs a call that must fail: checks the error and that the dispatcher is unchanged.
#[track_caller]
fn rejects<T: std::fmt::Debug>(
    d: &mut Dispatcher,
    want: impl Fn(&Error) -> bool,
    op: impl FnOnce(&mut Dispatcher) -> agentsched::Result<T>,
) {
    let before = d.snapshot();
    let got = op(d);
    match &got {
        Err(e) => assert!(want(e), "unexpected error {e:?}"),
        Ok(v) => panic!("expected an error, got Ok({v:?})"),
    }
    assert_eq!(d.snapshot(), before, "a failed call changed the state");
}

/// Agents 1 (private, 8/8), 2 (public, 4/4, zone=a), 3 (draining); task 1 running, 2 queued,
/// 3 done, 4 cancelled, gang 7 (size 2) of tasks 5 and 6 running, clock at 5.
fn busy_dispatcher() -> Dispatcher {
    let mut d = two_dim(DispatcherConfig::default());
    d.join_agent(agent(1, &[8, 8])).unwrap();
    d.join_agent(
        agent(2, &[4, 4])
            .tier(Tier::Public)
            .label(Label::new("zone", "a")),
    )
    .unwrap();
    d.join_agent(agent(3, &[8, 8])).unwrap();
    d.submit(task(1, &[2, 2]).duration(10.0).priority(5))
        .unwrap();
    d.submit(task(3, &[1, 1]).priority(5)).unwrap();
    d.submit(task(4, &[1, 1]).priority(5)).unwrap();
    d.submit(task(5, &[1, 1]).gang(GangId(7), 2).priority(5))
        .unwrap();
    d.submit(task(6, &[1, 1]).gang(GangId(7), 2).priority(5))
        .unwrap();
    assert_eq!(d.dispatch().len(), 5);
    d.complete(TaskId(3)).unwrap();
    d.cancel(TaskId(4)).unwrap();
    d.submit(task(2, &[8, 8]).sensitivity(Sensitivity::Confidential))
        .unwrap();
    d.advance_to(5.0).unwrap();
    d.drain_agent(AgentId(3)).unwrap();
    assert!(d.dispatch().is_empty());
    assert_eq!(d.task_state(TaskId(2)), Some(TaskState::Queued));
    d
}

#[test]
fn task_errors_name_the_task_and_change_nothing() {
    let mut d = busy_dispatcher();
    let t = |i| TaskId(i);
    let state = |task: TaskId, state: &'static str, expected: &'static str| {
        move |e: &Error| {
            *e == Error::TaskState {
                task,
                state,
                expected,
            }
        }
    };
    // Submissions.
    for id in [2, 3, 4] {
        rejects(
            &mut d,
            |e| *e == Error::DuplicateTask(t(id)),
            |d| d.submit(task(id, &[1, 1])),
        );
    }
    rejects(
        &mut d,
        |e| {
            *e == Error::DimensionMismatch {
                field: "task.demand",
                expected: 2,
                got: 3,
            }
        },
        |d| d.submit(task(9, &[1, 1, 1])),
    );
    rejects(
        &mut d,
        |e| matches!(e, Error::NotFinite { field: "task.duration", value } if value.is_nan()),
        |d| d.submit(task(9, &[1, 1]).duration(f64::NAN)),
    );
    rejects(
        &mut d,
        |e| {
            *e == Error::NotFinite {
                field: "task.duration",
                value: f64::INFINITY,
            }
        },
        |d| d.submit(task(9, &[1, 1]).duration(f64::INFINITY)),
    );
    rejects(
        &mut d,
        |e| {
            *e == Error::Negative {
                field: "task.duration",
                value: -2.0,
            }
        },
        |d| d.submit(task(9, &[1, 1]).duration(-2.0)),
    );
    rejects(
        &mut d,
        |e| {
            matches!(
                e,
                Error::InvalidConfig {
                    field: "task.gang.size",
                    ..
                }
            )
        },
        |d| d.submit(task(9, &[1, 1]).gang(GangId(8), 0)),
    );
    rejects(
        &mut d,
        |e| {
            *e == Error::GangSize {
                task: t(9),
                gang: GangId(7),
                expected: 2,
                got: 3,
            }
        },
        |d| d.submit(task(9, &[1, 1]).gang(GangId(7), 3)),
    );
    rejects(
        &mut d,
        |e| {
            *e == Error::GangFull {
                task: t(9),
                gang: GangId(7),
                size: 2,
            }
        },
        |d| d.submit(task(9, &[1, 1]).gang(GangId(7), 2)),
    );

    // Events on tasks.
    rejects(
        &mut d,
        |e| *e == Error::UnknownTask(t(99)),
        |d| d.complete(t(99)),
    );
    rejects(&mut d, state(t(2), "queued", "running"), |d| {
        d.complete(t(2))
    });
    rejects(&mut d, state(t(3), "done", "queued or running"), |d| {
        d.complete(t(3))
    });
    rejects(
        &mut d,
        |e| *e == Error::UnknownTask(t(99)),
        |d| d.cancel(t(99)),
    );
    rejects(&mut d, state(t(4), "cancelled", "queued or running"), |d| {
        d.cancel(t(4))
    });
    rejects(&mut d, state(t(3), "done", "queued or running"), |d| {
        d.cancel(t(3))
    });
    rejects(
        &mut d,
        |e| *e == Error::UnknownTask(t(99)),
        |d| d.yield_task(t(99), 1.0),
    );
    rejects(&mut d, state(t(2), "queued", "running"), |d| {
        d.yield_task(t(2), 1.0)
    });
    rejects(&mut d, state(t(4), "cancelled", "queued or running"), |d| {
        d.yield_task(t(4), 1.0)
    });
    rejects(&mut d, state(t(5), "a gang member", "not in a gang"), |d| {
        d.yield_task(t(5), 1.0)
    });
    rejects(
        &mut d,
        |e| matches!(e, Error::NotFinite { field: "used", value } if value.is_nan()),
        |d| d.yield_task(t(1), f64::NAN),
    );
    rejects(
        &mut d,
        |e| {
            *e == Error::Negative {
                field: "used",
                value: -1.0,
            }
        },
        |d| d.yield_task(t(1), -1.0),
    );
    rejects(
        &mut d,
        |e| *e == Error::UnknownTask(t(99)),
        |d| d.change_priority(t(99), 1),
    );
    rejects(&mut d, state(t(3), "done", "queued or running"), |d| {
        d.change_priority(t(3), 1)
    });

    // Queries fail the same way (and, taking `&self`, cannot change anything).
    rejects(
        &mut d,
        |e| *e == Error::UnknownTask(t(99)),
        |d| d.explain(t(99)),
    );
    rejects(&mut d, state(t(4), "cancelled", "queued or running"), |d| {
        d.explain(t(4))
    });
    rejects(
        &mut d,
        |e| {
            *e == Error::DimensionMismatch {
                field: "task.demand",
                expected: 2,
                got: 1,
            }
        },
        |d| d.dry_run(&task(9, &[1])),
    );
    rejects(
        &mut d,
        |e| {
            *e == Error::Negative {
                field: "task.duration",
                value: -1.0,
            }
        },
        |d| d.dry_run(&task(9, &[1, 1]).duration(-1.0)),
    );
}

#[test]
fn consumed_time_that_would_overflow_is_rejected() {
    let mut d = one_dim(DispatcherConfig::default());
    d.join_agent(agent(1, &[1])).unwrap();
    d.submit(task(1, &[1])).unwrap();
    d.dispatch();
    d.yield_task(TaskId(1), f64::MAX).unwrap();
    assert_eq!(d.dispatch().len(), 1);
    rejects(
        &mut d,
        |e| {
            *e == Error::NotFinite {
                field: "used",
                value: f64::INFINITY,
            }
        },
        |d| d.yield_task(TaskId(1), f64::MAX),
    );
}

#[test]
fn never_fits_changes_nothing_but_the_rejection_count() {
    let mut d = busy_dispatcher();
    let before = d.snapshot();
    let got = d.submit(task(9, &[9, 1]));
    let Err(Error::NeverFits {
        task: id,
        explanation,
    }) = got
    else {
        panic!("expected NeverFits, got {got:?}");
    };
    assert_eq!(id, TaskId(9));
    assert!(!explanation.could_ever_fit);
    assert_eq!(d.snapshot(), before);
    assert_eq!(d.task_state(TaskId(9)), None);
}

#[test]
fn clock_errors_change_nothing() {
    let mut d = busy_dispatcher();
    rejects(
        &mut d,
        |e| *e == Error::TimeWentBackwards { now: 5.0, got: 4.0 },
        |d| d.advance_to(4.0),
    );
    rejects(
        &mut d,
        |e| matches!(e, Error::NotFinite { field: "now", value } if value.is_nan()),
        |d| d.advance_to(f64::NAN),
    );
    rejects(
        &mut d,
        |e| {
            *e == Error::NotFinite {
                field: "now",
                value: f64::INFINITY,
            }
        },
        |d| d.advance_to(f64::INFINITY),
    );
    rejects(
        &mut d,
        |e| {
            *e == Error::Negative {
                field: "now",
                value: -1.0,
            }
        },
        |d| d.advance_to(-1.0),
    );
    // Standing still is not going backwards.
    d.advance_to(5.0).unwrap();
}

#[test]
fn agent_errors_name_the_agent_and_change_nothing() {
    let mut d = busy_dispatcher();
    let a = AgentId;
    let state = |agent: AgentId, state: &'static str, expected: &'static str| {
        move |e: &Error| {
            *e == Error::AgentState {
                agent,
                state,
                expected,
            }
        }
    };
    rejects(
        &mut d,
        |e| *e == Error::DuplicateAgent(a(2)),
        |d| d.join_agent(agent(2, &[1, 1])),
    );
    rejects(
        &mut d,
        |e| {
            *e == Error::DimensionMismatch {
                field: "agent.capacity",
                expected: 2,
                got: 1,
            }
        },
        |d| d.join_agent(agent(9, &[1])),
    );
    rejects(
        &mut d,
        |e| {
            *e == Error::NotPositive {
                field: "agent.speed",
                value: 0.0,
            }
        },
        |d| d.join_agent(agent(9, &[1, 1]).speed(0.0)),
    );
    rejects(
        &mut d,
        |e| {
            *e == Error::Negative {
                field: "agent.speed",
                value: -1.0,
            }
        },
        |d| d.join_agent(agent(9, &[1, 1]).speed(-1.0)),
    );
    rejects(
        &mut d,
        |e| {
            *e == Error::NotFinite {
                field: "agent.cost_per_time",
                value: f64::INFINITY,
            }
        },
        |d| d.join_agent(agent(9, &[1, 1]).cost_per_time(f64::INFINITY)),
    );
    rejects(
        &mut d,
        |e| {
            *e == Error::Negative {
                field: "agent.cost_per_time",
                value: -0.5,
            }
        },
        |d| d.join_agent(agent(9, &[1, 1]).cost_per_time(-0.5)),
    );
    for op in [
        Dispatcher::drain_agent as fn(&mut Dispatcher, AgentId) -> agentsched::Result<()>,
        Dispatcher::recover_agent,
    ] {
        rejects(&mut d, |e| *e == Error::UnknownAgent(a(9)), |d| op(d, a(9)));
    }
    rejects(
        &mut d,
        |e| *e == Error::UnknownAgent(a(9)),
        |d| d.fail_agent(a(9)),
    );
    rejects(
        &mut d,
        |e| *e == Error::UnknownAgent(a(9)),
        |d| d.leave_agent(a(9)),
    );
    rejects(&mut d, state(a(3), "draining", "ready"), |d| {
        d.drain_agent(a(3))
    });
    rejects(&mut d, state(a(1), "ready", "draining or down"), |d| {
        d.recover_agent(a(1))
    });
    d.fail_agent(a(2)).unwrap();
    rejects(&mut d, state(a(2), "down", "ready"), |d| {
        d.drain_agent(a(2))
    });
    rejects(&mut d, state(a(2), "down", "ready or draining"), |d| {
        d.fail_agent(a(2))
    });
}

#[test]
fn an_exhausted_submission_counter_is_an_overflow_not_a_panic() {
    let d = busy_dispatcher();
    let mut s = d.snapshot();
    s.next_seq = u64::MAX;
    let mut d = Dispatcher::restore(s).unwrap();
    rejects(
        &mut d,
        |e| {
            *e == Error::Overflow {
                field: "next_seq",
                dimension: 0,
            }
        },
        |d| d.submit(task(9, &[1, 1])),
    );
    // Counters restored at their limit saturate instead of wrapping or panicking.
    let mut s = d.snapshot();
    s.next_seq -= 1;
    s.stats = Stats {
        submitted: u64::MAX,
        placed: u64::MAX,
        backfilled: u64::MAX,
        completed: u64::MAX,
        cancelled: u64::MAX,
        requeued: u64::MAX,
        learned: u64::MAX,
        learn_rejected: u64::MAX,
    };
    let mut d = Dispatcher::restore(s).unwrap();
    d.submit(task(9, &[1, 1])).unwrap();
    d.submit(task(10, &[1, 1])).unwrap_err();
    d.dispatch();
    d.complete(TaskId(1)).unwrap();
    d.cancel(TaskId(9)).unwrap();
    d.fail_agent(AgentId(1)).unwrap();
    assert_eq!(d.stats().completed, u64::MAX);
}

#[test]
fn bad_policies_are_rejected_by_name() {
    let new = |cfg: DispatcherConfig| Dispatcher::new(schema(), cfg).map(|_| ());
    let with_scoring = |w: Weights| DispatcherConfig {
        scoring: Scoring::Weighted(w),
        ..DispatcherConfig::default()
    };
    let with_discipline = |discipline: Discipline| DispatcherConfig {
        discipline,
        ..DispatcherConfig::default()
    };
    assert!(matches!(
        new(with_scoring(Weights::default())),
        Err(Error::InvalidConfig {
            field: "scoring",
            ..
        })
    ));
    assert!(matches!(
        new(with_scoring(Weights {
            balanced: f64::NAN,
            ..Weights::default()
        })),
        Err(Error::NotFinite {
            field: "weights.balanced",
            ..
        })
    ));
    assert_eq!(
        new(with_scoring(Weights {
            least_allocated: 1.0,
            lowest_cost: -1.0,
            ..Weights::default()
        })),
        Err(Error::Negative {
            field: "weights.lowest_cost",
            value: -1.0
        })
    );
    let mlfq = |quanta: Vec<f64>, boost_interval: f64| {
        with_discipline(Discipline::Mlfq(MlfqConfig {
            quanta,
            boost_interval,
        }))
    };
    assert!(matches!(
        new(mlfq(vec![], 1.0)),
        Err(Error::InvalidConfig {
            field: "mlfq.quanta",
            ..
        })
    ));
    assert!(matches!(
        new(mlfq(vec![1.0; 17], 1.0)),
        Err(Error::InvalidConfig {
            field: "mlfq.quanta",
            ..
        })
    ));
    assert_eq!(
        new(mlfq(vec![1.0, 0.0], 1.0)),
        Err(Error::NotPositive {
            field: "mlfq.quanta",
            value: 0.0
        })
    );
    assert_eq!(
        new(mlfq(vec![1.0], f64::INFINITY)),
        Err(Error::NotFinite {
            field: "mlfq.boost_interval",
            value: f64::INFINITY
        })
    );
    assert_eq!(
        new(with_discipline(Discipline::Aging(AgingConfig {
            rate: -1.0
        }))),
        Err(Error::Negative {
            field: "aging.rate",
            value: -1.0
        })
    );
    // Schemas only reach the dispatcher invalid through serde.
    let bad_schema = |names: serde_json::Value| -> Schema {
        serde_json::from_value(serde_json::json!({ "names": names })).unwrap()
    };
    let cfg = DispatcherConfig::default;
    assert_eq!(
        Dispatcher::new(bad_schema(serde_json::json!([])), cfg()).map(|_| ()),
        Err(Error::EmptySchema)
    );
    assert_eq!(
        Dispatcher::new(bad_schema(serde_json::json!(["cpu", "cpu"])), cfg()).map(|_| ()),
        Err(Error::InvalidDimension { name: "cpu".into() })
    );
    let many: Vec<String> = (0..33).map(|i| format!("d{i}")).collect();
    assert_eq!(
        Dispatcher::new(bad_schema(serde_json::json!(many)), cfg()).map(|_| ()),
        Err(Error::TooManyDimensions { got: 33, max: 32 })
    );
}

// ---- snapshots ----------------------------------------------------------------------------

#[test]
fn corrupted_snapshots_are_rejected() {
    let d = busy_dispatcher();
    let good = d.snapshot();
    assert_eq!(Dispatcher::restore(good.clone()).unwrap().snapshot(), good);
    let running = |s: &Snapshot, id: u32| {
        s.tasks
            .iter()
            .position(|t| t.spec.id == TaskId(id))
            .unwrap()
    };
    let agent_of = |s: &Snapshot, i: usize| match s.tasks[i].state {
        TaskState::Running { agent, .. } => agent,
        _ => panic!("not running"),
    };
    let invalid = |e: &Error| matches!(e, Error::InvalidSnapshot { .. });
    type Case = (
        &'static str,
        Box<dyn Fn(&mut Snapshot)>,
        Box<dyn Fn(&Error) -> bool>,
    );
    let cases: Vec<Case> = vec![
        (
            "wrong format",
            Box::new(|s| s.format = "agentsched-dispatcher/0".into()),
            Box::new(invalid),
        ),
        (
            "running on an unknown agent",
            Box::new(move |s| {
                let i = running(s, 1);
                s.tasks[i].state = TaskState::Running {
                    agent: AgentId(77),
                    since: 0.0,
                };
            }),
            Box::new(|e| *e == Error::UnknownAgent(AgentId(77))),
        ),
        (
            "running on a down agent",
            Box::new(move |s| {
                let a = agent_of(s, running(s, 1));
                s.agents.iter_mut().find(|x| x.spec.id == a).unwrap().state = AgentState::Down;
            }),
            Box::new(invalid),
        ),
        (
            "allocations beyond capacity",
            Box::new(move |s| {
                let i = running(s, 1);
                s.tasks[i].spec.demand = vec![9, 1];
            }),
            Box::new(invalid),
        ),
        (
            "confidential data running on a public agent",
            Box::new(move |s| {
                let i = running(s, 5);
                s.tasks[i].spec.sensitivity = Sensitivity::Confidential;
                s.tasks[i].state = TaskState::Running {
                    agent: AgentId(2),
                    since: 0.0,
                };
            }),
            Box::new(invalid),
        ),
        (
            "running without a required label",
            Box::new(move |s| {
                let i = running(s, 1);
                s.tasks[i].spec.labels.push(Label::new("zone", "b"));
            }),
            Box::new(invalid),
        ),
        (
            "duplicate live ids",
            Box::new(|s| {
                let mut t = s.tasks[0].clone();
                t.seq = s.next_seq;
                t.state = TaskState::Queued;
                s.next_seq += 1;
                s.tasks.push(t);
            }),
            Box::new(|e| matches!(e, Error::DuplicateTask(_))),
        ),
        (
            "a finished id that is also live",
            Box::new(|s| {
                let id = s.tasks[0].spec.id;
                s.finished.push(agentsched::online::FinishedTask {
                    id,
                    state: TaskState::Done,
                });
            }),
            Box::new(|e| matches!(e, Error::DuplicateTask(_))),
        ),
        (
            "duplicate finished ids",
            Box::new(|s| s.finished.push(s.finished[0])),
            Box::new(|e| *e == Error::DuplicateTask(TaskId(3))),
        ),
        (
            "duplicate agents",
            Box::new(|s| s.agents.push(s.agents[0].clone())),
            Box::new(|e| *e == Error::DuplicateAgent(AgentId(1))),
        ),
        (
            "NaN clock",
            Box::new(|s| s.now = f64::NAN),
            Box::new(|e| {
                matches!(
                    e,
                    Error::NotFinite {
                        field: "snapshot.now",
                        ..
                    }
                )
            }),
        ),
        (
            "negative clock",
            Box::new(|s| s.now = -1.0),
            Box::new(|e| {
                matches!(
                    e,
                    Error::Negative {
                        field: "snapshot.now",
                        ..
                    }
                )
            }),
        ),
        (
            "NaN arrival",
            Box::new(|s| s.tasks[0].arrival = f64::NAN),
            Box::new(|e| {
                matches!(
                    e,
                    Error::NotFinite {
                        field: "task.arrival",
                        ..
                    }
                )
            }),
        ),
        (
            "arrival after the clock",
            Box::new(|s| s.tasks[0].arrival = 6.0),
            Box::new(invalid),
        ),
        (
            "NaN start",
            Box::new(move |s| {
                let i = running(s, 1);
                let agent = agent_of(s, i);
                s.tasks[i].state = TaskState::Running {
                    agent,
                    since: f64::NAN,
                };
            }),
            Box::new(|e| {
                matches!(
                    e,
                    Error::NotFinite {
                        field: "task.since",
                        ..
                    }
                )
            }),
        ),
        (
            "started after the clock",
            Box::new(move |s| {
                let i = running(s, 1);
                let agent = agent_of(s, i);
                s.tasks[i].state = TaskState::Running { agent, since: 6.0 };
            }),
            Box::new(invalid),
        ),
        (
            "NaN consumed time",
            Box::new(|s| s.tasks[0].used = f64::NAN),
            Box::new(|e| {
                matches!(
                    e,
                    Error::NotFinite {
                        field: "task.used",
                        ..
                    }
                )
            }),
        ),
        (
            "negative consumed time",
            Box::new(|s| s.tasks[0].used = -1.0),
            Box::new(|e| {
                matches!(
                    e,
                    Error::Negative {
                        field: "task.used",
                        ..
                    }
                )
            }),
        ),
        (
            "NaN last boost",
            Box::new(|s| s.last_boost = f64::NAN),
            Box::new(|e| {
                matches!(
                    e,
                    Error::NotFinite {
                        field: "snapshot.last_boost",
                        ..
                    }
                )
            }),
        ),
        (
            "last boost after the clock",
            Box::new(|s| s.last_boost = 6.0),
            Box::new(invalid),
        ),
        (
            "reservation for a finished task",
            Box::new(|s| s.reservation.as_mut().unwrap().task = TaskId(3)),
            Box::new(invalid),
        ),
        (
            "reservation for a running task",
            Box::new(|s| s.reservation.as_mut().unwrap().task = TaskId(1)),
            Box::new(invalid),
        ),
        (
            "reservation for an unknown task",
            Box::new(|s| s.reservation.as_mut().unwrap().task = TaskId(99)),
            Box::new(invalid),
        ),
        (
            "reservation on an unknown agent",
            Box::new(|s| s.reservation.as_mut().unwrap().agent = AgentId(99)),
            Box::new(invalid),
        ),
        (
            "NaN shadow time",
            Box::new(|s| s.reservation.as_mut().unwrap().shadow = f64::NAN),
            Box::new(invalid),
        ),
        (
            "seq beyond the counter",
            Box::new(|s| s.tasks[0].seq = s.next_seq),
            Box::new(invalid),
        ),
        (
            "duplicate seq",
            Box::new(|s| s.tasks[1].seq = s.tasks[0].seq),
            Box::new(invalid),
        ),
        (
            "gang members disagree on the size",
            Box::new(move |s| {
                let i = running(s, 6);
                s.tasks[i].spec.gang.as_mut().unwrap().size = 3;
            }),
            Box::new(invalid),
        ),
        (
            "more gang members than its size",
            Box::new(move |s| {
                for id in [5, 6] {
                    let i = running(s, id);
                    s.tasks[i].spec.gang.as_mut().unwrap().size = 1;
                }
            }),
            Box::new(invalid),
        ),
        (
            "a gang of size zero",
            Box::new(move |s| {
                for id in [5, 6] {
                    let i = running(s, id);
                    s.tasks[i].spec.gang.as_mut().unwrap().size = 0;
                }
            }),
            Box::new(invalid),
        ),
        (
            "a finished task among the live",
            Box::new(|s| s.tasks[0].state = TaskState::Done),
            Box::new(invalid),
        ),
        (
            "a live task among the finished",
            Box::new(|s| s.finished[0].state = TaskState::Queued),
            Box::new(invalid),
        ),
        (
            "demand of the wrong length",
            Box::new(|s| s.tasks[0].spec.demand = vec![1]),
            Box::new(|e| {
                matches!(
                    e,
                    Error::DimensionMismatch {
                        field: "task.demand",
                        ..
                    }
                )
            }),
        ),
        (
            "NaN duration",
            Box::new(|s| s.tasks[0].spec.duration = f64::NAN),
            Box::new(|e| {
                matches!(
                    e,
                    Error::NotFinite {
                        field: "task.duration",
                        ..
                    }
                )
            }),
        ),
        (
            "an agent of speed 0",
            Box::new(|s| s.agents[0].spec.speed = 0.0),
            Box::new(|e| {
                matches!(
                    e,
                    Error::NotPositive {
                        field: "agent.speed",
                        ..
                    }
                )
            }),
        ),
        (
            "capacity of the wrong length",
            Box::new(|s| s.agents[0].spec.capacity = vec![8]),
            Box::new(|e| {
                matches!(
                    e,
                    Error::DimensionMismatch {
                        field: "agent.capacity",
                        ..
                    }
                )
            }),
        ),
        (
            "all-zero scoring weights",
            Box::new(|s| s.config.scoring = Scoring::Weighted(Weights::default())),
            Box::new(|e| {
                matches!(
                    e,
                    Error::InvalidConfig {
                        field: "scoring",
                        ..
                    }
                )
            }),
        ),
        (
            "an MLFQ without quanta",
            Box::new(|s| {
                s.config.discipline = Discipline::Mlfq(MlfqConfig {
                    quanta: vec![],
                    boost_interval: 1.0,
                })
            }),
            Box::new(|e| {
                matches!(
                    e,
                    Error::InvalidConfig {
                        field: "mlfq.quanta",
                        ..
                    }
                )
            }),
        ),
    ];
    for (what, corrupt, expected) in &cases {
        let mut s = good.clone();
        corrupt(&mut s);
        assert_ne!(s, good, "{what}: the corruption changed nothing");
        match Dispatcher::restore(s) {
            Ok(_) => panic!("{what}: accepted"),
            Err(e) => assert!(expected(&e), "{what}: unexpected {e:?}"),
        }
    }

    // A schema can only be corrupted through serde.
    let mut v = serde_json::to_value(&good).unwrap();
    v["schema"]["names"] = serde_json::json!([]);
    let s: Snapshot = serde_json::from_value(v).unwrap();
    assert_eq!(Dispatcher::restore(s).map(|_| ()), Err(Error::EmptySchema));
    let mut v = serde_json::to_value(&good).unwrap();
    v["schema"]["names"] = serde_json::json!(["cpu", "cpu"]);
    let s: Snapshot = serde_json::from_value(v).unwrap();
    assert!(matches!(
        Dispatcher::restore(s),
        Err(Error::InvalidDimension { .. })
    ));

    // A legitimate state restores: tasks running on a draining agent.
    let a3 = good
        .agents
        .iter()
        .find(|a| a.spec.id == AgentId(3))
        .unwrap();
    assert_eq!(a3.state, AgentState::Draining);
    assert!(
        good.tasks
            .iter()
            .any(|t| matches!(t.state, TaskState::Running { agent, .. } if agent == AgentId(3)))
    );
}

// ---- scenarios, expectations computed by hand ----------------------------------------------

fn no_reservation() -> DispatcherConfig {
    DispatcherConfig {
        reservation: false,
        ..DispatcherConfig::default()
    }
}

#[test]
fn backfill_lets_a_small_task_pass_a_blocked_big_one() {
    // One agent of 4; a running task holds 3 until t=10. Big (4, higher priority) cannot start;
    // Small (1) fits the remaining 1.
    let setup = |cfg: DispatcherConfig| {
        let mut d = one_dim(cfg);
        d.join_agent(agent(1, &[4])).unwrap();
        d.submit(task(1, &[3]).priority(9).duration(10.0)).unwrap();
        assert_eq!(d.dispatch().len(), 1);
        d.submit(task(2, &[4]).priority(5)).unwrap();
        d.submit(task(3, &[1]).duration(100.0)).unwrap();
        d
    };

    let mut d = setup(no_reservation());
    assert_eq!(
        d.dispatch(),
        vec![Assignment {
            task: TaskId(3),
            agent: AgentId(1),
            score: -0.75,
            start: 0.0,
            expected_end: 100.0,
            backfilled: true,
        }]
    );
    assert_eq!(d.queue_order(), vec![TaskId(2)]);
    assert_eq!(d.stats().backfilled, 1);
    assert_eq!(d.reservation(), None);

    // Without backfill the queue stops at Big.
    let mut d = setup(DispatcherConfig {
        backfill: false,
        ..no_reservation()
    });
    assert!(d.dispatch().is_empty());
    assert_eq!(d.queue_order(), vec![TaskId(2), TaskId(3)]);

    // With the EASY reservation, Big holds the agent from t=10 and Small (ending at 100) may
    // not delay it.
    let mut d = setup(DispatcherConfig::default());
    assert!(d.dispatch().is_empty());
    assert_eq!(
        d.reservation(),
        Some(Reservation {
            task: TaskId(2),
            agent: AgentId(1),
            shadow: 10.0,
        })
    );
}

#[test]
fn easy_reservation_admits_only_tasks_that_end_before_the_shadow_time() {
    // Agents 1 (5) and 2 (4). R1 (3, ends 10) goes to agent 1 (tie, lowest id); R2 (4, ends 20)
    // only fits agent 2.
    let mut d = one_dim(DispatcherConfig::default());
    d.join_agent(agent(1, &[5])).unwrap();
    d.join_agent(agent(2, &[4])).unwrap();
    d.submit(task(1, &[3]).priority(9).duration(10.0)).unwrap();
    d.submit(task(2, &[4]).priority(9).duration(20.0)).unwrap();
    let placed: Vec<(TaskId, AgentId)> = d.dispatch().iter().map(|a| (a.task, a.agent)).collect();
    assert_eq!(
        placed,
        vec![(TaskId(1), AgentId(1)), (TaskId(2), AgentId(2))]
    );

    // Big (4) is blocked; agent 1 has room for it at t=10, agent 2 at t=20: it reserves agent
    // 1 until 10. Long (1, 50 units) would fit agent 1 but end at 50; Short (1, 5 units) ends
    // at 5 and may use it.
    d.submit(task(10, &[4]).priority(5).duration(1.0)).unwrap();
    d.submit(task(11, &[1]).priority(3).duration(50.0)).unwrap();
    d.submit(task(12, &[1]).priority(1).duration(5.0)).unwrap();
    assert_eq!(
        d.dispatch(),
        vec![Assignment {
            task: TaskId(12),
            agent: AgentId(1),
            score: -0.6,
            start: 0.0,
            expected_end: 5.0,
            backfilled: true,
        }]
    );
    let resv = Reservation {
        task: TaskId(10),
        agent: AgentId(1),
        shadow: 10.0,
    };
    assert_eq!(d.reservation(), Some(resv));

    // Why Long waits: agent 1 is reserved, agent 2 is full.
    let why = d.explain(TaskId(11)).unwrap();
    assert_eq!(why.feasible, 0);
    assert_eq!(
        why.reasons,
        vec![
            ReasonCount {
                reason: Mismatch::Short { dimension: 0 },
                agents: 1
            },
            ReasonCount {
                reason: Mismatch::Reserved,
                agents: 1
            },
        ]
    );
    assert_eq!(why.reservation, Some((TaskId(10), AgentId(1))));
    assert_eq!(
        why.to_string(),
        "0/2 agents: 1 short of cpu, 1 reserved for a task ahead"
    );
    // A task ending exactly at the shadow time may use the reserved agent; a little longer not.
    let fits_until = |duration: f64| d.dry_run(&task(20, &[1]).duration(duration)).unwrap();
    assert_eq!(fits_until(10.0).best.map(|c| c.agent), Some(AgentId(1)));
    assert_eq!(fits_until(10.5).best, None);
    assert_eq!(fits_until(10.5).reasons[1].reason, Mismatch::Reserved);
    // The holder itself is not kept off its own agent.
    let holder = d.dry_run(&task(10, &[1]).duration(50.0)).unwrap();
    assert_eq!(holder.best.map(|c| c.agent), Some(AgentId(1)));
    // Big's own explanation: agent 1 lacks 3 of 5 (0.6), agent 2 lacks 4 of 4 (1.0).
    let big = d.explain(TaskId(10)).unwrap();
    assert_eq!(
        big.closest,
        vec![
            Shortfall {
                agent: AgentId(1),
                missing: vec![3]
            },
            Shortfall {
                agent: AgentId(2),
                missing: vec![4]
            },
        ]
    );

    // Short finishes; the reservation stays with Big, Long still may not start.
    d.advance_to(5.0).unwrap();
    d.complete(TaskId(12)).unwrap();
    assert!(d.dispatch().is_empty());
    assert_eq!(d.reservation(), Some(resv));

    // At t=10 R1 completes: Big starts on agent 1, then Long fits its last unit.
    d.advance_to(10.0).unwrap();
    d.complete(TaskId(1)).unwrap();
    let placed: Vec<(TaskId, AgentId, f64, bool)> = d
        .dispatch()
        .iter()
        .map(|a| (a.task, a.agent, a.expected_end, a.backfilled))
        .collect();
    assert_eq!(
        placed,
        vec![
            (TaskId(10), AgentId(1), 11.0, false),
            (TaskId(11), AgentId(1), 60.0, false),
        ]
    );
    assert_eq!(d.reservation(), None);
}

#[test]
fn the_shadow_time_accounts_for_agent_speed() {
    // Agent 1 runs twice as fast: R1 (20 units) ends at 10 there.
    let mut d = one_dim(DispatcherConfig::default());
    d.join_agent(agent(1, &[5]).speed(2.0)).unwrap();
    d.join_agent(agent(2, &[4])).unwrap();
    d.submit(task(1, &[3]).priority(9).duration(20.0)).unwrap();
    d.submit(task(2, &[4]).priority(9).duration(20.0)).unwrap();
    let ends: Vec<f64> = d.dispatch().iter().map(|a| a.expected_end).collect();
    assert_eq!(ends, vec![10.0, 20.0]);
    d.submit(task(10, &[4]).priority(5)).unwrap();
    // 21 units take 10.5 on agent 1: too long. 20 units take exactly 10: allowed.
    d.submit(task(11, &[1]).priority(2).duration(21.0)).unwrap();
    d.submit(task(12, &[1]).priority(1).duration(20.0)).unwrap();
    let placed: Vec<(TaskId, AgentId, f64)> = d
        .dispatch()
        .iter()
        .map(|a| (a.task, a.agent, a.expected_end))
        .collect();
    assert_eq!(placed, vec![(TaskId(12), AgentId(1), 10.0)]);
    assert_eq!(d.reservation().map(|r| r.shadow), Some(10.0));
}

#[test]
fn expected_end_is_start_plus_duration_over_speed() {
    let mut d = one_dim(DispatcherConfig::default());
    d.join_agent(agent(1, &[4]).speed(4.0)).unwrap();
    d.advance_to(3.0).unwrap();
    d.submit(task(1, &[1]).duration(10.0)).unwrap();
    let a = d.dispatch()[0];
    assert_eq!((a.start, a.expected_end), (3.0, 5.5));
    assert_eq!(
        d.task_state(TaskId(1)),
        Some(TaskState::Running {
            agent: AgentId(1),
            since: 3.0
        })
    );
}

/// Tasks (id, priority, duration): 1 (0, 5), 2 (2, 9), 3 (2, 3), 4 (0, 5).
fn four_tasks(discipline: Discipline) -> Vec<TaskId> {
    let mut d = one_dim(DispatcherConfig {
        discipline,
        ..DispatcherConfig::default()
    });
    d.join_agent(agent(1, &[1])).unwrap();
    for (id, p, dur) in [(1, 0, 5.0), (2, 2, 9.0), (3, 2, 3.0), (4, 0, 5.0)] {
        d.submit(task(id, &[1]).priority(p).duration(dur)).unwrap();
    }
    let order = d.queue_order();
    // Dispatch takes the head of that order.
    assert_eq!(d.dispatch()[0].task, order[0]);
    order
}

#[test]
fn priority_and_shortest_job_orders() {
    let ids = |v: &[u32]| v.iter().map(|&i| TaskId(i)).collect::<Vec<_>>();
    // Priority, then shorter, then arrival.
    assert_eq!(four_tasks(Discipline::PriorityFifo), ids(&[3, 2, 1, 4]));
    // Shorter, then priority, then arrival.
    assert_eq!(four_tasks(Discipline::ShortestJobFirst), ids(&[3, 1, 4, 2]));
}

#[test]
fn aging_lets_old_tasks_overtake_newer_higher_priority_ones() {
    let order = |rate: f64| {
        let mut d = one_dim(DispatcherConfig {
            discipline: Discipline::Aging(AgingConfig { rate }),
            ..DispatcherConfig::default()
        });
        d.join_agent(agent(1, &[1])).unwrap();
        d.submit(task(1, &[1])).unwrap(); // t=0, priority 0: key 0*rate - 0
        d.advance_to(2.0).unwrap();
        d.submit(task(4, &[1]).priority(3)).unwrap(); // key 2*rate - 3
        d.advance_to(10.0).unwrap();
        d.submit(task(2, &[1]).priority(5)).unwrap(); // key 10*rate - 5
        d.submit(task(3, &[1]).priority(20)).unwrap(); // key 10*rate - 20
        let o = d.queue_order();
        assert_eq!(d.dispatch()[0].task, o[0]);
        o
    };
    let ids = |v: &[u32]| v.iter().map(|&i| TaskId(i)).collect::<Vec<_>>();
    // rate 1: keys 0, -1, 5, -10.
    assert_eq!(order(1.0), ids(&[3, 4, 1, 2]));
    // rate 0: plain priority.
    assert_eq!(order(0.0), ids(&[3, 2, 4, 1]));

    // No starvation: waiting 11 units at rate 1 outweighs 10 priority levels, 9 do not.
    let mut d = one_dim(DispatcherConfig {
        discipline: Discipline::Aging(AgingConfig { rate: 1.0 }),
        ..DispatcherConfig::default()
    });
    d.join_agent(agent(1, &[1])).unwrap();
    d.submit(task(1, &[1])).unwrap();
    d.advance_to(9.0).unwrap();
    d.submit(task(2, &[1]).priority(10)).unwrap();
    d.advance_to(11.0).unwrap();
    d.submit(task(3, &[1]).priority(10)).unwrap();
    assert_eq!(d.queue_order(), vec![TaskId(2), TaskId(1), TaskId(3)]);
}

#[test]
fn mlfq_demotes_tasks_that_yield_after_using_their_quantum() {
    let mut d = one_dim(DispatcherConfig {
        discipline: Discipline::Mlfq(MlfqConfig {
            quanta: vec![2.0, 4.0],
            boost_interval: 100.0,
        }),
        ..DispatcherConfig::default()
    });
    d.join_agent(agent(1, &[1])).unwrap();
    d.submit(task(1, &[1]).duration(1.0)).unwrap();
    d.submit(task(2, &[1]).duration(1.0)).unwrap();
    let t = |v: &[u32]| v.iter().map(|&i| TaskId(i)).collect::<Vec<_>>();
    let run_head = |d: &mut Dispatcher| d.dispatch()[0].task;

    assert_eq!(run_head(&mut d), TaskId(1));
    d.yield_task(TaskId(1), 2.0).unwrap(); // used 2 >= 2: level 1
    assert_eq!(d.queue_order(), t(&[2, 1]));
    assert_eq!(run_head(&mut d), TaskId(2));
    d.yield_task(TaskId(2), 1.0).unwrap(); // used 1: still level 0
    assert_eq!(d.queue_order(), t(&[2, 1]));
    assert_eq!(run_head(&mut d), TaskId(2));
    d.yield_task(TaskId(2), 1.5).unwrap(); // used 2.5: level 1, behind task 1 (earlier)
    assert_eq!(d.queue_order(), t(&[1, 2]));
    assert_eq!(run_head(&mut d), TaskId(1));
    d.yield_task(TaskId(1), 4.0).unwrap(); // used 6 >= 2 + 4: level 2
    assert_eq!(d.queue_order(), t(&[2, 1]));
    let used: Vec<(TaskId, f64)> = d
        .snapshot()
        .tasks
        .iter()
        .map(|x| (x.spec.id, x.used))
        .collect();
    assert_eq!(used, vec![(TaskId(1), 6.0), (TaskId(2), 2.5)]);
    // Within a level, priority counts.
    d.change_priority(TaskId(1), 1).unwrap();
    assert_eq!(d.queue_order(), t(&[2, 1]));
    // The boost at t=100 (not before) puts everyone back on level 0.
    d.advance_to(99.0).unwrap();
    assert_eq!(d.queue_order(), t(&[2, 1]));
    d.advance_to(100.0).unwrap();
    assert_eq!(d.queue_order(), t(&[1, 2]));

    // Under plain priority order the consumed time does not reorder anything.
    let mut d = one_dim(DispatcherConfig::default());
    d.join_agent(agent(1, &[1])).unwrap();
    d.submit(task(1, &[1])).unwrap();
    d.submit(task(2, &[1])).unwrap();
    d.dispatch();
    d.yield_task(TaskId(1), 10.0).unwrap();
    assert_eq!(d.queue_order(), t(&[1, 2]));
}

#[test]
fn a_priority_change_while_running_applies_when_the_task_is_requeued() {
    // Regression: the change used to reach only the task's spec, not the queue, so a task
    // requeued by an agent failure came back with its old priority (and a restored snapshot
    // ordered it differently from the original).
    let mut d = one_dim(DispatcherConfig::default());
    d.join_agent(agent(1, &[1])).unwrap();
    d.submit(task(1, &[1])).unwrap();
    d.dispatch();
    d.submit(task(2, &[1]).priority(5)).unwrap();
    d.change_priority(TaskId(1), 9).unwrap();
    let restored = Dispatcher::restore(d.snapshot()).unwrap();
    for mut x in [d, restored] {
        x.fail_agent(AgentId(1)).unwrap();
        assert_eq!(x.queue_order(), vec![TaskId(1), TaskId(2)]);
    }
}

#[test]
fn a_task_larger_than_every_agent_is_rejected_with_an_explanation() {
    let mut d = two_dim(DispatcherConfig::default());
    d.join_agent(agent(1, &[4, 4])).unwrap();
    d.join_agent(agent(2, &[8, 2])).unwrap();
    let got = d.submit(task(1, &[6, 6]));
    let Err(Error::NeverFits {
        task: id,
        explanation,
    }) = got
    else {
        panic!("expected NeverFits, got {got:?}");
    };
    assert_eq!(id, TaskId(1));
    assert!(!explanation.could_ever_fit);
    assert_eq!((explanation.agents, explanation.feasible), (2, 0));
    assert_eq!(
        explanation.reasons,
        vec![
            ReasonCount {
                reason: Mismatch::CapacityTooSmall { dimension: 0 },
                agents: 1
            },
            ReasonCount {
                reason: Mismatch::CapacityTooSmall { dimension: 1 },
                agents: 1
            },
        ]
    );
    assert_eq!(
        explanation.to_string(),
        "0/2 agents: 1 capacity too small in cpu, 1 capacity too small in mem; can never fit in this pool"
    );
    assert_eq!(d.task_state(TaskId(1)), None);
    // The id was not consumed.
    d.submit(task(1, &[4, 2])).unwrap();

    // Only a public agent is big enough: public data fits, confidential never does.
    d.join_agent(agent(3, &[8, 8]).tier(Tier::Public)).unwrap();
    d.submit(task(2, &[6, 6])).unwrap();
    let got = d.submit(task(3, &[6, 6]).sensitivity(Sensitivity::Confidential));
    assert!(
        matches!(
            got,
            Err(Error::NeverFits {
                task: TaskId(3),
                ..
            })
        ),
        "{got:?}"
    );
    // A label nobody carries.
    let got = d.submit(task(4, &[1, 1]).label(Label::new("gpu", "h100")));
    let Err(Error::NeverFits { explanation, .. }) = got else {
        panic!("expected NeverFits, got {got:?}");
    };
    assert_eq!(
        explanation.reasons,
        vec![ReasonCount {
            reason: Mismatch::MissingLabel(Label::new("gpu", "h100")),
            agents: 3
        }]
    );
    // Down and draining agents still count as places a task could go (they may recover), but
    // one that left does not.
    d.fail_agent(AgentId(3)).unwrap();
    d.submit(task(5, &[6, 6])).unwrap();
    d.recover_agent(AgentId(3)).unwrap();
    d.drain_agent(AgentId(3)).unwrap();
    d.submit(task(6, &[6, 6])).unwrap();
    d.cancel(TaskId(2)).unwrap();
    d.cancel(TaskId(5)).unwrap();
    d.cancel(TaskId(6)).unwrap();
    d.leave_agent(AgentId(3)).unwrap();
    assert!(matches!(
        d.submit(task(7, &[6, 6])),
        Err(Error::NeverFits { .. })
    ));

    // Without `reject_never_fit` the task waits, and its explanation says why.
    let mut d = two_dim(DispatcherConfig {
        reject_never_fit: false,
        ..DispatcherConfig::default()
    });
    d.join_agent(agent(1, &[4, 4])).unwrap();
    d.submit(task(1, &[6, 6])).unwrap();
    assert!(d.dispatch().is_empty());
    assert!(!d.explain(TaskId(1)).unwrap().could_ever_fit);
}

#[test]
fn a_label_that_arrives_with_a_new_agent_makes_a_waiting_task_placeable() {
    let mut d = one_dim(DispatcherConfig {
        reject_never_fit: false,
        ..DispatcherConfig::default()
    });
    d.join_agent(agent(1, &[4])).unwrap();
    d.submit(task(1, &[1]).label(Label::new("gpu", "a100")))
        .unwrap();
    assert!(d.dispatch().is_empty());
    d.join_agent(agent(2, &[4]).label(Label::new("gpu", "a100")))
        .unwrap();
    let placed: Vec<(TaskId, AgentId)> = d.dispatch().iter().map(|a| (a.task, a.agent)).collect();
    assert_eq!(placed, vec![(TaskId(1), AgentId(2))]);
}

#[test]
fn explanation_counts_every_agent_under_its_first_reason() {
    let za = || Label::new("zone", "a");
    let mut d = one_dim(DispatcherConfig::default());
    // Agent 6 first, so the filler (6 of 8) lands there.
    d.join_agent(agent(6, &[8]).label(za())).unwrap();
    d.submit(task(1, &[6])).unwrap();
    assert_eq!(d.dispatch()[0].agent, AgentId(6));
    d.join_agent(agent(1, &[8]).label(za())).unwrap();
    d.join_agent(agent(2, &[8]).label(za())).unwrap();
    d.join_agent(agent(3, &[8]).label(za()).tier(Tier::Public))
        .unwrap();
    d.join_agent(agent(4, &[8]).label(Label::new("zone", "b")))
        .unwrap();
    d.join_agent(agent(5, &[2]).label(za())).unwrap();
    d.join_agent(agent(7, &[8]).label(za())).unwrap();
    d.join_agent(agent(8, &[4]).label(za())).unwrap();
    d.fail_agent(AgentId(1)).unwrap();
    d.drain_agent(AgentId(2)).unwrap();

    let t = task(100, &[4])
        .sensitivity(Sensitivity::Confidential)
        .label(za());
    let e = d.dry_run(&t).unwrap();
    let one = |reason| ReasonCount { reason, agents: 1 };
    assert_eq!(e.agents, 8);
    assert_eq!(e.feasible, 2);
    assert_eq!(
        e.reasons,
        vec![
            one(Mismatch::Down),
            one(Mismatch::Draining),
            one(Mismatch::TierNotAllowed),
            one(Mismatch::MissingLabel(za())),
            one(Mismatch::CapacityTooSmall { dimension: 0 }),
            one(Mismatch::Short { dimension: 0 }),
        ]
    );
    assert_eq!(
        e.reasons.iter().map(|r| r.agents).sum::<usize>(),
        e.agents - e.feasible
    );
    // Two idle feasible agents tie on score: the lower id first.
    assert_eq!(e.best.map(|c| c.agent), Some(AgentId(7)));
    assert_eq!(
        e.runners_up.iter().map(|c| c.agent).collect::<Vec<_>>(),
        vec![AgentId(8)]
    );
    assert_eq!(e.short_by_dimension, vec![1]);
    assert_eq!(
        e.closest,
        vec![Shortfall {
            agent: AgentId(6),
            missing: vec![2]
        }]
    );
    assert!(e.could_ever_fit);
    assert_eq!(
        e.to_string(),
        "2/8 agents: 1 down, 1 draining, 1 public tier not allowed for confidential data, \
         1 missing label zone=a, 1 capacity too small in cpu, 1 short of cpu"
    );
}

#[test]
fn the_closest_agents_are_those_with_the_smallest_relative_shortfall() {
    let mut d = two_dim(DispatcherConfig::default());
    // Each filler only fits the agent that just joined.
    for (a, cap, fill) in [
        (1, [10, 10], [8, 2]),
        (2, [10, 10], [5, 9]),
        (3, [20, 20], [19, 0]),
        (4, [40, 40], [38, 0]),
    ] {
        d.join_agent(agent(a, &cap)).unwrap();
        d.submit(task(a, &fill)).unwrap();
        assert_eq!(d.dispatch()[0].agent, AgentId(a));
    }
    // Demand (4, 4). Free: 1 (2, 8), 2 (5, 1), 3 (1, 20), 4 (2, 40). Missing, relative to
    // capacity: 1 (2, 0) = 0.2, 2 (0, 3) = 0.3, 3 (3, 0) = 0.15, 4 (2, 0) = 0.05.
    let e = d.dry_run(&task(100, &[4, 4])).unwrap();
    let s = |a, missing: [u64; 2]| Shortfall {
        agent: AgentId(a),
        missing: missing.to_vec(),
    };
    assert_eq!(e.closest, vec![s(4, [2, 0]), s(3, [3, 0]), s(1, [2, 0])]);
    assert_eq!(e.short_by_dimension, vec![3, 1]);
    assert_eq!(
        e.reasons,
        vec![
            ReasonCount {
                reason: Mismatch::Short { dimension: 0 },
                agents: 3
            },
            ReasonCount {
                reason: Mismatch::Short { dimension: 1 },
                agents: 1
            },
        ]
    );
    assert_eq!(e.feasible, 0);
    assert!(e.could_ever_fit);
}

#[test]
fn a_gang_that_does_not_fit_is_not_partly_placed_nor_blocks_a_smaller_gang() {
    let mut d = one_dim(DispatcherConfig::default());
    d.join_agent(agent(1, &[4])).unwrap();
    d.join_agent(agent(2, &[4])).unwrap();
    // Gang 1: three members of 3, first in the queue; it needs three agents.
    for id in 1..=3 {
        d.submit(task(id, &[3]).priority(10).gang(GangId(1), 3))
            .unwrap();
    }
    // Gang 2: two members of 2.
    for id in 4..=5 {
        d.submit(task(id, &[2]).gang(GangId(2), 2)).unwrap();
    }
    let placed: Vec<(TaskId, AgentId, bool)> = d
        .dispatch()
        .iter()
        .map(|a| (a.task, a.agent, a.backfilled))
        .collect();
    assert_eq!(
        placed,
        vec![(TaskId(4), AgentId(1), true), (TaskId(5), AgentId(2), true)]
    );
    for a in [1, 2] {
        assert_eq!(d.pool().used(AgentId(a)).unwrap().as_slice(), &[2]);
    }
    for id in 1..=3 {
        assert_eq!(d.task_state(TaskId(id)), Some(TaskState::Queued));
    }
    let e = d.explain(TaskId(1)).unwrap();
    assert_eq!(
        e.gang,
        Some(GangProgress {
            gang: GangId(1),
            members: 3,
            size: 3
        })
    );
    // A third agent is not enough while gang 2 runs: nothing is placed on it.
    d.join_agent(agent(3, &[4])).unwrap();
    assert!(d.dispatch().is_empty());
    assert_eq!(d.pool().used(AgentId(3)).unwrap().as_slice(), &[0]);
    // Once gang 2 is done, gang 1 starts whole, in one call.
    d.complete(TaskId(4)).unwrap();
    d.complete(TaskId(5)).unwrap();
    let placed: Vec<(TaskId, AgentId)> = d.dispatch().iter().map(|a| (a.task, a.agent)).collect();
    assert_eq!(
        placed,
        vec![
            (TaskId(1), AgentId(1)),
            (TaskId(2), AgentId(2)),
            (TaskId(3), AgentId(3))
        ]
    );
    // One member's agent fails: the whole gang goes back, in arrival order.
    let r = d.fail_agent(AgentId(2)).unwrap();
    assert_eq!(r.requeued, vec![TaskId(1), TaskId(2), TaskId(3)]);
    for a in [1, 2, 3] {
        assert_eq!(d.pool().used(AgentId(a)).unwrap().as_slice(), &[0]);
    }
    assert_eq!(d.queued(), 3);
}

#[test]
fn an_incomplete_gang_waits_without_blocking_the_queue() {
    let mut d = one_dim(DispatcherConfig::default());
    d.join_agent(agent(1, &[4])).unwrap();
    d.submit(task(1, &[1]).priority(20).gang(GangId(3), 2))
        .unwrap();
    d.submit(task(2, &[1])).unwrap();
    let placed: Vec<(TaskId, bool)> = d
        .dispatch()
        .iter()
        .map(|a| (a.task, a.backfilled))
        .collect();
    assert_eq!(placed, vec![(TaskId(2), true)]);
    let e = d.explain(TaskId(1)).unwrap();
    assert_eq!(
        e.gang,
        Some(GangProgress {
            gang: GangId(3),
            members: 1,
            size: 2
        })
    );
    assert!(
        e.to_string().contains("; gang gang#3 has 1/2 members"),
        "{e}"
    );
    d.submit(task(3, &[1]).gang(GangId(3), 2)).unwrap();
    let placed: Vec<TaskId> = d.dispatch().iter().map(|a| a.task).collect();
    assert_eq!(placed, vec![TaskId(1), TaskId(3)]);
}

#[test]
fn a_failed_agent_requeues_its_tasks_in_arrival_order() {
    let mut d = one_dim(DispatcherConfig::default());
    d.join_agent(agent(1, &[4])).unwrap();
    d.join_agent(agent(2, &[4])).unwrap();
    d.drain_agent(AgentId(2)).unwrap();
    d.submit(task(10, &[1])).unwrap();
    d.submit(task(11, &[1]).priority(5)).unwrap();
    d.submit(task(12, &[1]).priority(3)).unwrap();
    // Placed by priority: 11, 12, 10.
    let placed: Vec<TaskId> = d.dispatch().iter().map(|a| a.task).collect();
    assert_eq!(placed, vec![TaskId(11), TaskId(12), TaskId(10)]);
    let r = d.fail_agent(AgentId(1)).unwrap();
    assert_eq!(r.agent, AgentId(1));
    assert_eq!(r.requeued, vec![TaskId(10), TaskId(11), TaskId(12)]);
    assert_eq!(d.stats().requeued, 3);
    assert_eq!(d.pool().state(AgentId(1)), Some(AgentState::Down));
    // Leaving works the same way, from a draining agent too.
    d.recover_agent(AgentId(2)).unwrap();
    assert_eq!(d.dispatch().len(), 3);
    d.drain_agent(AgentId(2)).unwrap();
    let r = d.leave_agent(AgentId(2)).unwrap();
    assert_eq!(r.requeued, vec![TaskId(10), TaskId(11), TaskId(12)]);
    assert!(!d.pool().contains(AgentId(2)));
    assert!(d.tasks_on(AgentId(2)).is_empty());
}

#[test]
fn drained_agents_take_no_new_work_but_finish_theirs() {
    let mut d = one_dim(DispatcherConfig::default());
    d.join_agent(agent(1, &[4])).unwrap();
    d.submit(task(1, &[2])).unwrap();
    d.dispatch();
    d.drain_agent(AgentId(1)).unwrap();
    d.submit(task(2, &[1])).unwrap();
    assert!(d.dispatch().is_empty());
    assert_eq!(
        d.explain(TaskId(2)).unwrap().reasons,
        vec![ReasonCount {
            reason: Mismatch::Draining,
            agents: 1
        }]
    );
    assert_eq!(d.tasks_on(AgentId(1)), vec![TaskId(1)]);
    d.complete(TaskId(1)).unwrap();
    assert!(d.dispatch().is_empty());
    d.recover_agent(AgentId(1)).unwrap();
    assert_eq!(d.dispatch()[0].task, TaskId(2));
}

#[test]
fn sensitive_data_stays_on_allowed_tiers() {
    let run = |allow: bool| {
        let mut d = one_dim(DispatcherConfig {
            allow_internal_on_public: allow,
            ..DispatcherConfig::default()
        });
        d.join_agent(agent(1, &[8]).tier(Tier::Public)).unwrap();
        d.join_agent(agent(2, &[2])).unwrap();
        // The private agent is full.
        d.submit(task(1, &[2]).sensitivity(Sensitivity::Confidential))
            .unwrap();
        assert_eq!(d.dispatch()[0].agent, AgentId(2));
        d.submit(task(2, &[2]).sensitivity(Sensitivity::Confidential))
            .unwrap();
        d.submit(task(3, &[2]).sensitivity(Sensitivity::Internal))
            .unwrap();
        d.submit(task(4, &[2])).unwrap();
        let placed: Vec<(TaskId, AgentId)> =
            d.dispatch().iter().map(|a| (a.task, a.agent)).collect();
        let why = d.explain(TaskId(2)).unwrap();
        assert_eq!(
            why.reasons,
            vec![
                ReasonCount {
                    reason: Mismatch::TierNotAllowed,
                    agents: 1
                },
                ReasonCount {
                    reason: Mismatch::Short { dimension: 0 },
                    agents: 1
                },
            ]
        );
        placed
    };
    assert_eq!(run(false), vec![(TaskId(4), AgentId(1))]);
    assert_eq!(
        run(true),
        vec![(TaskId(3), AgentId(1)), (TaskId(4), AgentId(1))]
    );
}

#[test]
fn forgotten_ids_may_be_reused() {
    let mut d = one_dim(DispatcherConfig::default());
    d.join_agent(agent(1, &[4])).unwrap();
    d.submit(task(1, &[1])).unwrap();
    d.submit(task(2, &[1])).unwrap();
    d.dispatch();
    d.complete(TaskId(1)).unwrap();
    d.cancel(TaskId(2)).unwrap();
    assert_eq!(
        d.submit(task(1, &[1])),
        Err(Error::DuplicateTask(TaskId(1)))
    );
    assert_eq!(d.forget_finished(), 2);
    assert_eq!(d.task_state(TaskId(1)), None);
    d.submit(task(1, &[1])).unwrap();
    assert_eq!(d.task_state(TaskId(1)), Some(TaskState::Queued));
}

#[test]
fn an_endless_running_task_leaves_the_snapshot_restorable() {
    // Regression: `duration / speed` overflows to infinity; the blocked task's reservation
    // took that infinite shadow time, which `restore` rejects and JSON cannot carry, so the
    // snapshot of a valid dispatcher could not be restored.
    let mut d = one_dim(DispatcherConfig::default());
    d.join_agent(agent(1, &[4]).speed(1e-300)).unwrap();
    d.submit(task(1, &[3]).duration(1e10)).unwrap();
    assert_eq!(d.dispatch()[0].expected_end, f64::INFINITY);
    d.submit(task(2, &[4])).unwrap();
    assert!(d.dispatch().is_empty());
    // Agent 1 never frees up by expectations: nothing to reserve.
    assert_eq!(d.reservation(), None);
    let back = roundtrip(&d.snapshot());
    assert_eq!(back, d.snapshot());
    let restored = Dispatcher::restore(back).unwrap();
    assert_eq!(restored.snapshot(), d.snapshot());
}

/// A gang member completes, then another member's agent fails: the survivor restarts alone
/// (the finished member is not waited for), a new member cannot join the started gang, and the
/// state survives a snapshot round trip.
#[test]
fn a_gang_survivor_restarts_without_its_finished_mates() {
    let mut d = two_dim(DispatcherConfig::default());
    d.join_agent(agent(1, &[4, 4])).unwrap();
    d.join_agent(agent(2, &[4, 4])).unwrap();
    d.submit(task(1, &[3, 3]).gang(GangId(7), 2)).unwrap();
    d.submit(task(2, &[3, 3]).gang(GangId(7), 2)).unwrap();
    let placed = d.dispatch();
    assert_eq!(placed.len(), 2);
    d.complete(TaskId(1)).unwrap();
    let survivor_agent = placed.iter().find(|a| a.task == TaskId(2)).unwrap().agent;
    let r = d.fail_agent(survivor_agent).unwrap();
    assert_eq!(r.requeued, vec![TaskId(2)]);
    // The gang has seen both members: a third cannot join.
    let err = d.submit(task(3, &[1, 1]).gang(GangId(7), 2)).unwrap_err();
    assert_eq!(
        err,
        Error::GangFull {
            task: TaskId(3),
            gang: GangId(7),
            size: 2
        }
    );
    let json = serde_json::to_string(&d.snapshot()).unwrap();
    let mut e = Dispatcher::restore(serde_json::from_str(&json).unwrap()).unwrap();
    for x in [&mut d, &mut e] {
        let again = x.dispatch();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].task, TaskId(2));
        assert_ne!(again[0].agent, survivor_agent);
    }
}

/// A member cancelled before its gang started leaves a place that a new member can take.
#[test]
fn a_gang_member_cancelled_before_the_start_can_be_replaced() {
    let mut d = two_dim(DispatcherConfig::default());
    d.join_agent(agent(1, &[8, 8])).unwrap();
    d.submit(task(1, &[1, 1]).gang(GangId(3), 2)).unwrap();
    d.cancel(TaskId(1)).unwrap();
    d.submit(task(2, &[1, 1]).gang(GangId(3), 2)).unwrap();
    assert!(d.dispatch().is_empty(), "one member of two: the gang waits");
    d.submit(task(3, &[1, 1]).gang(GangId(3), 2)).unwrap();
    let placed: Vec<TaskId> = d.dispatch().iter().map(|a| a.task).collect();
    assert_eq!(placed, vec![TaskId(2), TaskId(3)]);
}

/// Regression: the clock passing a reservation's shadow time before the next dispatch must not
/// make the snapshot unrestorable (found by the Go host's tests).
#[test]
fn a_snapshot_taken_after_the_clock_passed_the_shadow_time_restores() {
    let mut d = two_dim(DispatcherConfig::default());
    d.join_agent(agent(1, &[8, 8])).unwrap();
    d.submit(task(1, &[6, 6]).duration(2.0)).unwrap();
    d.submit(task(2, &[8, 8]).duration(2.0)).unwrap();
    assert_eq!(d.dispatch().len(), 1);
    assert_eq!(
        d.reservation().map(|r| (r.task, r.shadow)),
        Some((TaskId(2), 2.0))
    );
    d.advance_to(5.0).unwrap();
    let s = d.snapshot();
    let r = Dispatcher::restore(s.clone()).unwrap();
    assert_eq!(r.snapshot(), s);
}
