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
    Assignment, Dispatcher, DispatcherConfig, Explanation, GangProgress, ReasonCount,
    Reservation, Search, Shortfall, Snapshot, Stats, TaskSpec, TaskState,
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
const D: usize = 2;
/// An id no random test ever submits.
const UNKNOWN_TASK: TaskId = TaskId(1_000_000);
const DURATIONS: [f64; 9] = [0.0, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 40.0, 2.5];
const SPEEDS: [f64; 6] = [1.0, 1.0, 2.0, 0.5, 1.5, 4.0];
const SENSITIVITIES: [Sensitivity; 3] = [
    Sensitivity::Public,
    Sensitivity::Internal,
    Sensitivity::Confidential,
];
/// Scores are recomputed here with the formulas, not the library's code, so they may differ in
/// the last bits.
const TOL: f64 = 1e-9;

fn schema() -> Schema {
    Schema::new(["cpu", "mem"]).unwrap()
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
        (
            Error::NotFinite {
                field: a,
                value: x,
            },
            Error::NotFinite {
                field: b,
                value: y,
            },
        ) => a == b && (x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())),
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

    fn could_ever_fit(&self, spec: &TaskSpec) -> bool {
        self.agents
            .iter()
            .any(|(&a, ag)| ag.state != AgentState::Down && self.static_ok(spec, a))
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
        let mut s = w.most_allocated * load - w.least_allocated * load
            - w.lowest_cost * ag.cost_per_time;
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
                MState::Running { agent, end, .. } if agent == a => {
                    Some((end.max(self.now), *id))
                }
                _ => None,
            })
            .collect();
        ends.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
        for (end, id) in ends {
            for (f, d) in free.iter_mut().zip(&self.tasks[&id].spec.demand) {
                *f += d;
            }
            if fits(demand, &free) {
                return Some(end);
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
                if members.len() >= size as usize {
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

fn sub_strategy() -> impl Strategy<Value = Sub> {
    let dim = || prop_oneof![10 => 0u64..=3, 6 => 0u64..=8, 1 => Just(40u64)];
    (
        prop::option::weighted(0.05, any::<u16>()),
        prop::array::uniform2(dim()),
        -3i8..=3,
        0..DURATIONS.len(),
        0..SENSITIVITIES.len(),
        prop::option::weighted(0.2, 0u8..3),
        prop::option::weighted(
            0.35,
            (0u8..3, prop::option::weighted(0.08, 0u32..=3)),
        ),
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

fn join_strategy(bad: impl Strategy<Value = u8>) -> impl Strategy<Value = Ev> {
    (
        0u8..8,
        prop::array::uniform2(prop_oneof![1 => Just(0u64), 8 => 1u64..=10]),
        prop::bool::weighted(0.3),
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

fn event() -> impl Strategy<Value = Ev> {
    prop_oneof![
        2 => join_strategy(0u8..40),
        10 => sub_strategy().prop_map(Ev::Submit),
        6 => Just(Ev::Dispatch),
        4 => any::<u16>().prop_map(Ev::Complete),
        1 => any::<u16>().prop_map(Ev::Cancel),
        2 => (any::<u16>(), 0u8..5).prop_map(|(t, u)| Ev::Yield(t, u)),
        1 => (any::<u16>(), -3i8..=3).prop_map(|(t, p)| Ev::Priority(t, p)),
        3 => (0u8..8).prop_map(Ev::Advance),
        1 => Just(Ev::Backwards),
        1 => (0u8..10).prop_map(Ev::Drain),
        1 => (0u8..10).prop_map(Ev::Recover),
        2 => (0u8..10).prop_map(Ev::Fail),
        1 => (0u8..10).prop_map(Ev::Leave),
        2 => any::<u16>().prop_map(Ev::Explain),
        1 => sub_strategy().prop_map(Ev::DryRun),
        1 => Just(Ev::Forget),
    ]
}

fn events(max: usize) -> impl Strategy<Value = Vec<Ev>> {
    (
        prop::collection::vec(join_strategy(Just(9u8)), 1..5),
        prop::collection::vec(event(), 1..max),
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

fn config_strategy() -> impl Strategy<Value = DispatcherConfig> {
    (
        scoring_strategy(),
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
        AgentId(u32::from(k % 10))
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
        prop_assert_eq!(&self.d.snapshot(), before, "a failed call changed the state");
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
                    (Some(w @ Error::NeverFits { .. }), Some(mut b)) => {
                        let Err(Error::NeverFits { task, explanation }) = &r else {
                            return fail(format!("expected NeverFits for {spec:?}, got {r:?}"));
                        };
                        prop_assert_eq!(*task, spec.id);
                        prop_assert!(!explanation.could_ever_fit);
                        self.check_explanation(explanation, &spec, None)?;
                        // The one thing a rejection changes: the count of rejections.
                        b.stats.rejected += 1;
                        self.m.stats.rejected += 1;
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
                            members: self.m.live_members(g.id).len() as u32,
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
                            members: self.m.live_members(g.id).len() as u32,
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
        prop_assert_eq!(assigned.len(), placed.len(), "a task placed twice: {:?}", placed);

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
            for (x, d) in used.get_mut(&a.agent).unwrap().iter_mut().zip(&t.spec.demand) {
                *x += d;
            }
        }

        // Gangs: every member in this call, or none.
        for a in placed {
            if let Some(g) = m.tasks[&a.task].spec.gang {
                let members = m.live_members(g.id);
                prop_assert_eq!(members.len(), g.size as usize, "gang {} incomplete", g.id);
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
            prop_assert_eq!(a.backfilled, behind_blocked, "backfilled flag of {}", a.task);
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
        let holds_somewhere =
            |id: &TaskId| m.agents.keys().any(|&a| m.could_hold(&m.tasks[id].spec, a));
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
            prop_assert!(m.could_hold(spec, r.agent), "reserved {} cannot hold it", r.agent);
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
        prop_assert_eq!(&e.dimensions, &vec!["cpu".to_string(), "mem".to_string()]);
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
            prop_assert!((c.score - mine).abs() <= TOL, "score {} vs {}", c.score, mine);
        }
        if let Some(last) = cands.last() {
            for &a in feasible.iter().filter(|a| cands.iter().all(|c| c.agent != **a)) {
                prop_assert!(m.score(a, &spec.demand) <= last.score + TOL, "{} left out", a);
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
            prop_assert_eq!(m.agents.get(&r.agent).map(|a| a.state), Some(AgentState::Ready));
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
        let agents: Vec<(AgentSpec, AgentState)> = s
            .agents
            .iter()
            .map(|a| (a.spec.clone(), a.state))
            .collect();
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
        let finished: Vec<(TaskId, TaskState)> = s.finished.iter().map(|f| (f.id, f.state)).collect();
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

// ---- property tests -----------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Capacity, exactly-one-place, requeues, constraints, gangs, queue order, backfill and
    /// reservation rules, explanations and expected ends, after every event, for every policy.
    #[test]
    fn invariants_hold_under_random_events(cfg in config_strategy(), evs in events(150)) {
        let mut run = Run::new(cfg);
        for ev in &evs {
            run.step(ev)?;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The fit index makes exactly the full scan's decisions: placements, scores, requeues,
    /// explanations, dry runs, errors.
    #[test]
    fn indexed_search_agrees_with_full_scan(cfg in config_strategy(), evs in events(150)) {
        let mut a = Run::new(DispatcherConfig { search: Search::Indexed, ..cfg.clone() });
        let mut b = Run::new(DispatcherConfig { search: Search::FullScan, ..cfg });
        for ev in &evs {
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
    }

    /// The same events give the same decisions; a snapshot restored (through JSON) at any
    /// point continues with exactly the original's decisions.
    #[test]
    fn snapshots_restore_and_continue_identically(
        cfg in config_strategy(),
        evs in events(150),
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
    prop_assert!(again.is_ok(), "a restored dispatcher's snapshot is rejected: {:?}", again.err());
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

fn json_paths(v: &serde_json::Value, path: String, leaves: &mut Vec<String>, arrays: &mut Vec<String>) {
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
        evs in events(60),
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
