//! Hybrid-cloud cost-aware placement: tasks onto private and public agents at minimum total cost,
//! within capacities and the data-sensitivity rule; also consolidation onto heterogeneous hosts
//! with costs ([`pack_heterogeneous`]), the same problem with fixed costs only.
//!
//! Model. An agent ([`HybridAgent`]) has a [`Tier`], a capacity vector, a cost per unit of each
//! resource it serves (`unit_cost`, e.g. per millicore-hour) and a fixed cost paid once if it
//! serves any task at all (`fixed_cost`, e.g. the agent-hour of a rented node). A task
//! ([`HybridTask`]) has a demand vector and a [`Sensitivity`]. Placing task `i` on agent `j` costs
//! `c_ij = sum_k unit_cost_jk * demand_ik`; the total cost of a placement is
//! `sum c_ij + sum over used agents f_j`. Task `i` may go to agent `j` only if
//! [`Sensitivity::allowed_on`] allows it (confidential never on public agents; internal on public
//! ones only with [`HybridOptions::allow_internal_on_public`]) and its demand fits.
//!
//! Algorithm ([`place_hybrid`]): a regret greedy (tasks whose eligible agents are all of one tier
//! go first — a confidential task has nowhere to go but the private pool, which the cheaper
//! public tasks would otherwise fill; then the task whose best and second-best feasible
//! marginal costs differ most, then the larger task, then the lower id; Martello and
//! Toth's regret rule for the generalised assignment problem, "An algorithm for the generalized
//! assignment problem", 1981), run twice — with the fixed cost of a closed agent charged in full
//! to the task that opens it, and amortised by the share of the agent the task fills — each
//! followed by local search (move one task; swap two tasks; close an agent by moving all its
//! tasks elsewhere when that saves its fixed cost). The cheaper result wins (more placed tasks
//! first). Private agents are usually cheaper, so the result typically fills them first and bursts
//! to public ones; nothing in the code prefers a tier beyond the costs.
//!
//! Tasks that cannot be placed are left out and reported with a reason ([`HybridUnplaced`]); the
//! others are placed. The result carries a lower bound on the cost of every capacity- and
//! sensitivity-respecting placement of the placed tasks: the LP relaxation ([`BoundKind::Lp`],
//! solved by the dense simplex of [`lp`](super::lp)) when it is small enough, otherwise the
//! Lagrangian bound of the same LP ([`BoundKind::Lagrangian`]).
//!
//! Determinism: agents and tasks are handled by increasing id whatever the input order; every
//! tie goes to the lowest id. With `time_limit` set the result depends on the machine's speed.

use super::lp::{self, Constraint, LinearProgram, LpOutcome, Relation};
use crate::{AgentId, Error, Result, Sensitivity, TaskId, Tier};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

/// An agent of a hybrid pool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HybridAgent {
    /// The agent's id, unique in the pool.
    pub id: AgentId,
    /// Private or public.
    pub tier: Tier,
    /// Capacity per dimension, in the host's units (0 accepts only demand 0 there).
    pub capacity: Vec<u64>,
    /// Cost per unit of each dimension used (finite, `>= 0`), e.g. per millicore-hour.
    pub unit_cost: Vec<f64>,
    /// Cost paid once when the agent serves at least one task (finite, `>= 0`), e.g. its
    /// agent-hour price.
    pub fixed_cost: f64,
}

/// A task to place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HybridTask {
    /// The task's id, unique among the tasks.
    pub id: TaskId,
    /// Demand per dimension, in the capacities' units.
    pub demand: Vec<u64>,
    /// The sensitivity of the data it touches.
    pub sensitivity: Sensitivity,
}

/// Options of [`place_hybrid`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HybridOptions {
    /// The pool's policy for [`Sensitivity::Internal`] tasks on public agents.
    pub allow_internal_on_public: bool,
    /// Most improving local-search steps per greedy variant (0 keeps the greedy result).
    pub max_iterations: u64,
    /// Wall-clock limit of each local search (`None`: only `max_iterations`). Makes the result
    /// depend on the machine's speed.
    pub time_limit: Option<Duration>,
    /// The LP relaxation is solved only if it has at most this many structural columns
    /// (assignment variables plus agent variables) ...
    pub lp_max_columns: usize,
    /// ... and its dense tableau at most this many cells (8 bytes each).
    pub lp_max_cells: usize,
    /// Pivot budget of the LP; beyond it the Lagrangian bound is used.
    pub lp_max_pivots: u64,
    /// Subgradient steps of the Lagrangian bound (0: the per-task bound it starts from).
    pub lagrangian_iterations: u64,
}

impl Default for HybridOptions {
    /// Internal tasks stay private, 100,000 improving steps, no time limit, an LP of at most
    /// 20,000 columns and 4,000,000 tableau cells (32 MB) solved within 100,000 pivots, else 50
    /// subgradient steps of the Lagrangian bound.
    fn default() -> Self {
        HybridOptions {
            allow_internal_on_public: false,
            max_iterations: 100_000,
            time_limit: None,
            lp_max_columns: 20_000,
            lp_max_cells: 4_000_000,
            lp_max_pivots: 100_000,
            lagrangian_iterations: 50,
        }
    }
}

/// Why a task was left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum HybridUnplaced {
    /// No agent of the pool may process the task's data (e.g. a confidential task and only public
    /// agents).
    NoAllowedAgent,
    /// Every agent allowed by the sensitivity rule is too small for the task even when empty.
    /// Each entry names an allowed agent and the first dimension where the demand exceeds its
    /// capacity, by increasing agent id.
    TooLarge {
        /// `(agent, dimension)` for every allowed agent.
        shortfalls: Vec<(AgentId, usize)>,
    },
    /// The task fits some allowed agent alone, but no room was left there after the other tasks
    /// (vector packing is NP-hard; the heuristic may fragment).
    NoRoomLeft {
        /// The agents the task is allowed on and fits alone, by increasing id.
        considered: Vec<AgentId>,
    },
}

/// Which lower bound a [`HybridPlacement`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BoundKind {
    /// The optimum of the LP relaxation (see [`place_hybrid`]), less a margin of
    /// `1e-7 * max(1, |z|)` for rounding.
    Lp,
    /// The Lagrangian bound (see [`place_hybrid`]): the LP was too large, or did not finish
    /// within its pivot budget.
    Lagrangian,
}

/// The result of [`place_hybrid`] and [`pack_heterogeneous`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HybridPlacement {
    /// `(task, agent)` for every placed task, by increasing task id.
    pub assignment: Vec<(TaskId, AgentId)>,
    /// The agents serving at least one task, by increasing id.
    pub agents_used: Vec<AgentId>,
    /// `sum c_ij` over the assignment.
    pub variable_cost: f64,
    /// `sum f_j` over the agents used.
    pub fixed_cost: f64,
    /// `variable_cost + fixed_cost`, recomputed from the assignment.
    pub total_cost: f64,
    /// The total cost after the greedy phase of the winning variant, before local search
    /// (`>= total_cost` unless local search made room for more tasks).
    pub greedy_cost: f64,
    /// A lower bound on the total cost of every capacity- and sensitivity-respecting placement
    /// of the tasks in `assignment`.
    pub lower_bound: f64,
    /// Which bound `lower_bound` is.
    pub bound: BoundKind,
    /// `(total_cost - lower_bound) / total_cost` (0 when the cost is 0).
    pub gap: f64,
    /// Improving local-search steps performed (both variants).
    pub iterations: u64,
    /// Simplex pivots spent on the LP bound (0 without it).
    pub lp_pivots: u64,
    /// The tasks left out and why, by increasing task id.
    pub unplaced: Vec<(TaskId, HybridUnplaced)>,
}

/// A host of [`pack_heterogeneous`]: a capacity vector and the cost of using it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostHost {
    /// The host's id, unique among the hosts.
    pub id: AgentId,
    /// Capacity per dimension.
    pub capacity: Vec<u64>,
    /// The cost of using the host (finite, `>= 0`).
    pub cost: f64,
}

/// The validated problem, agents and tasks sorted by id.
struct Problem {
    n: usize,
    m: usize,
    dims: usize,
    agent_ids: Vec<AgentId>,
    task_ids: Vec<TaskId>,
    cap: Vec<u64>,
    demand: Vec<u64>,
    fixed: Vec<f64>,
    /// `n x m`: `c_ij` (0 where not eligible).
    cost: Vec<f64>,
    /// `n x m`: allowed and fits alone.
    eligible: Vec<bool>,
    /// Per task: the sum over dimensions of demand / the largest capacity there.
    size: Vec<f64>,
    /// Per (task, agent): the largest share of the agent's capacity the task takes.
    share: Vec<f64>,
    /// Per task: how many tiers its eligible agents span (0 to 2).
    tiers: Vec<u8>,
    unplaceable: Vec<Option<HybridUnplaced>>,
}

impl Problem {
    fn d(&self, i: usize) -> &[u64] {
        &self.demand[i * self.dims..(i + 1) * self.dims]
    }
    fn c(&self, j: usize) -> &[u64] {
        &self.cap[j * self.dims..(j + 1) * self.dims]
    }

    fn new(agents: &[HybridAgent], tasks: &[HybridTask], allow_internal: bool) -> Result<Self> {
        let dims = agents
            .first()
            .map(|a| a.capacity.len())
            .or_else(|| tasks.first().map(|t| t.demand.len()))
            .unwrap_or(0);
        for a in agents {
            if a.capacity.len() != dims {
                return Err(Error::DimensionMismatch {
                    field: "agent capacity",
                    expected: dims,
                    got: a.capacity.len(),
                });
            }
            if a.unit_cost.len() != dims {
                return Err(Error::DimensionMismatch {
                    field: "agent unit_cost",
                    expected: dims,
                    got: a.unit_cost.len(),
                });
            }
            for (k, &u) in a.unit_cost.iter().enumerate() {
                if !u.is_finite() || u < 0.0 {
                    return Err(Error::InvalidCost {
                        agent: a.id,
                        field: format!("unit_cost[{k}]"),
                        value: u,
                    });
                }
            }
            if !a.fixed_cost.is_finite() || a.fixed_cost < 0.0 {
                return Err(Error::InvalidCost {
                    agent: a.id,
                    field: "fixed_cost".into(),
                    value: a.fixed_cost,
                });
            }
        }
        for t in tasks {
            if t.demand.len() != dims {
                return Err(Error::DimensionMismatch {
                    field: "task demand",
                    expected: dims,
                    got: t.demand.len(),
                });
            }
        }
        let mut ao: Vec<usize> = (0..agents.len()).collect();
        ao.sort_by_key(|&j| agents[j].id);
        if let Some(w) = ao.windows(2).find(|w| agents[w[0]].id == agents[w[1]].id) {
            return Err(Error::DuplicateAgent(agents[w[0]].id));
        }
        let mut to: Vec<usize> = (0..tasks.len()).collect();
        to.sort_by_key(|&i| tasks[i].id);
        if let Some(w) = to.windows(2).find(|w| tasks[w[0]].id == tasks[w[1]].id) {
            return Err(Error::DuplicateTask(tasks[w[0]].id));
        }
        let (n, m) = (tasks.len(), agents.len());
        let cells = n.checked_mul(m).ok_or(Error::Overflow {
            field: "tasks x agents",
            dimension: 0,
        })?;
        let agents: Vec<&HybridAgent> = ao.iter().map(|&j| &agents[j]).collect();
        let tasks: Vec<&HybridTask> = to.iter().map(|&i| &tasks[i]).collect();
        let mut maxcap = vec![0u64; dims];
        for a in &agents {
            for (mc, &c) in maxcap.iter_mut().zip(&a.capacity) {
                *mc = (*mc).max(c);
            }
        }
        let mut cost = vec![0.0; cells];
        let mut eligible = vec![false; cells];
        let mut share = vec![0.0; cells];
        let mut unplaceable = vec![None; n];
        let mut tiers = vec![0u8; n];
        let mut worst_total = agents.iter().map(|a| a.fixed_cost).sum::<f64>();
        for (i, t) in tasks.iter().enumerate() {
            let mut any_allowed = false;
            let mut any_fits = false;
            let mut shortfalls = Vec::new();
            let mut worst = 0.0f64;
            for (j, a) in agents.iter().enumerate() {
                if !t.sensitivity.allowed_on(a.tier, allow_internal) {
                    continue;
                }
                any_allowed = true;
                if let Some(k) = (0..dims).find(|&k| t.demand[k] > a.capacity[k]) {
                    shortfalls.push((a.id, k));
                    continue;
                }
                any_fits = true;
                tiers[i] |= match a.tier {
                    Tier::Private => 1,
                    Tier::Public => 2,
                };
                let c: f64 = (0..dims).map(|k| a.unit_cost[k] * t.demand[k] as f64).sum();
                if !c.is_finite() {
                    return Err(Error::Overflow {
                        field: "task cost",
                        dimension: 0,
                    });
                }
                worst = worst.max(c);
                cost[i * m + j] = c;
                eligible[i * m + j] = true;
                share[i * m + j] = (0..dims)
                    .filter(|&k| a.capacity[k] > 0)
                    .map(|k| t.demand[k] as f64 / a.capacity[k] as f64)
                    .fold(0.0, f64::max);
            }
            worst_total += worst;
            if !any_allowed {
                unplaceable[i] = Some(HybridUnplaced::NoAllowedAgent);
            } else if !any_fits {
                unplaceable[i] = Some(HybridUnplaced::TooLarge { shortfalls });
            }
        }
        if !worst_total.is_finite() {
            return Err(Error::Overflow {
                field: "total cost",
                dimension: 0,
            });
        }
        let size = tasks
            .iter()
            .map(|t| {
                (0..dims)
                    .filter(|&k| maxcap[k] > 0)
                    .map(|k| t.demand[k] as f64 / maxcap[k] as f64)
                    .sum()
            })
            .collect();
        Ok(Problem {
            n,
            m,
            dims,
            agent_ids: agents.iter().map(|a| a.id).collect(),
            task_ids: tasks.iter().map(|t| t.id).collect(),
            cap: agents
                .iter()
                .flat_map(|a| a.capacity.iter().copied())
                .collect(),
            demand: tasks
                .iter()
                .flat_map(|t| t.demand.iter().copied())
                .collect(),
            fixed: agents.iter().map(|a| a.fixed_cost).collect(),
            cost,
            eligible,
            size,
            share,
            tiers: tiers.iter().map(|t| t.count_ones() as u8).collect(),
            unplaceable,
        })
    }
}

/// A placement under construction.
#[derive(Clone)]
struct State {
    assign: Vec<Option<usize>>,
    load: Vec<u64>,
    count: Vec<usize>,
}

impl State {
    fn new(p: &Problem) -> Self {
        State {
            assign: vec![None; p.n],
            load: vec![0; p.m * p.dims],
            count: vec![0; p.m],
        }
    }

    fn fits(&self, p: &Problem, i: usize, j: usize) -> bool {
        p.eligible[i * p.m + j] && {
            let l = &self.load[j * p.dims..(j + 1) * p.dims];
            p.d(i)
                .iter()
                .zip(p.c(j))
                .zip(l)
                .all(|((&d, &c), &l)| d <= c - l)
        }
    }

    /// Whether `i` fits on `j` once `out` (a task on `j`) has left.
    fn fits_swapping(&self, p: &Problem, i: usize, j: usize, out: usize) -> bool {
        p.eligible[i * p.m + j] && {
            let l = &self.load[j * p.dims..(j + 1) * p.dims];
            (0..p.dims).all(|k| p.d(i)[k] <= p.c(j)[k] - (l[k] - p.d(out)[k]))
        }
    }

    fn add(&mut self, p: &Problem, i: usize, j: usize) {
        for (l, &d) in self.load[j * p.dims..(j + 1) * p.dims]
            .iter_mut()
            .zip(p.d(i))
        {
            *l += d;
        }
        self.count[j] += 1;
        self.assign[i] = Some(j);
    }

    fn remove(&mut self, p: &Problem, i: usize) {
        if let Some(j) = self.assign[i].take() {
            for (l, &d) in self.load[j * p.dims..(j + 1) * p.dims]
                .iter_mut()
                .zip(p.d(i))
            {
                *l -= d;
            }
            self.count[j] -= 1;
        }
    }

    fn cost(&self, p: &Problem) -> f64 {
        let var: f64 = (0..p.n)
            .filter_map(|i| self.assign[i].map(|j| p.cost[i * p.m + j]))
            .sum();
        let fixed: f64 = (0..p.m)
            .filter(|&j| self.count[j] > 0)
            .map(|j| p.fixed[j])
            .sum();
        var + fixed
    }

    fn placed(&self) -> usize {
        self.assign.iter().filter(|a| a.is_some()).count()
    }
}

/// How a greedy variant charges the fixed cost of a closed agent to the task that opens it.
#[derive(Clone, Copy)]
enum Charge {
    Full,
    Share,
}

fn marginal(p: &Problem, s: &State, i: usize, j: usize, charge: Charge) -> f64 {
    let opening = if s.count[j] == 0 {
        match charge {
            Charge::Full => p.fixed[j],
            Charge::Share => p.fixed[j] * p.share[i * p.m + j],
        }
    } else {
        0.0
    };
    p.cost[i * p.m + j] + opening
}

/// The best feasible agent and the regret (second best minus best; infinite with one option).
fn best_two(p: &Problem, s: &State, i: usize, charge: Charge) -> Option<(usize, f64)> {
    let mut best: Option<(usize, f64)> = None;
    let mut second = f64::INFINITY;
    for j in 0..p.m {
        if !s.fits(p, i, j) {
            continue;
        }
        let c = marginal(p, s, i, j, charge);
        match best {
            Some((_, b)) if c >= b => second = second.min(c),
            Some((_, b)) => {
                second = b;
                best = Some((j, c));
            }
            None => best = Some((j, c)),
        }
    }
    best.map(|(j, b)| (j, second - b))
}

struct Entry {
    /// Tiers the task may use (1 or 2): fewer goes first.
    tiers: u8,
    regret: f64,
    size: f64,
    task: usize,
    version: u64,
}

impl Entry {
    fn key_cmp(&self, o: &Self) -> Ordering {
        o.tiers
            .cmp(&self.tiers)
            .then(self.regret.total_cmp(&o.regret))
            .then(self.size.total_cmp(&o.size))
            .then(o.task.cmp(&self.task))
    }
}
impl PartialEq for Entry {
    fn eq(&self, o: &Self) -> bool {
        self.key_cmp(o) == Ordering::Equal
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Entry {
    fn cmp(&self, o: &Self) -> Ordering {
        self.key_cmp(o)
    }
}

/// The regret greedy, lazily re-evaluated: a popped task whose key is stale is re-priced and
/// placed if it still beats the next key in the heap, else pushed back.
fn greedy(p: &Problem, charge: Charge) -> State {
    let mut s = State::new(p);
    let mut version = 0u64;
    let mut heap = BinaryHeap::new();
    for i in 0..p.n {
        if p.unplaceable[i].is_none()
            && let Some((_, regret)) = best_two(p, &s, i, charge)
        {
            heap.push(Entry {
                tiers: p.tiers[i],
                regret,
                size: p.size[i],
                task: i,
                version,
            });
        }
    }
    while let Some(mut e) = heap.pop() {
        if e.version != version {
            match best_two(p, &s, e.task, charge) {
                None => continue,
                Some((_, regret)) => {
                    e.regret = regret;
                    e.version = version;
                    if heap
                        .peek()
                        .is_some_and(|top| top.key_cmp(&e) == Ordering::Greater)
                    {
                        heap.push(e);
                        continue;
                    }
                }
            }
        }
        if let Some((j, _)) = best_two(p, &s, e.task, charge) {
            s.add(p, e.task, j);
            version += 1;
        }
    }
    s
}

struct Search {
    iterations: u64,
    max_iterations: u64,
    deadline: Option<Instant>,
}

impl Search {
    fn out_of_budget(&self) -> bool {
        self.iterations >= self.max_iterations || self.deadline.is_some_and(|d| Instant::now() >= d)
    }
}

fn eps(s: &State, p: &Problem) -> f64 {
    1e-9 * (1.0 + s.cost(p).abs())
}

/// Moves each task to its cheapest feasible agent when that lowers the total (best move per
/// task, ties by the lowest agent id). Returns whether anything moved.
fn move_pass(p: &Problem, s: &mut State, sr: &mut Search) -> bool {
    let tol = eps(s, p);
    let mut improved = false;
    for i in 0..p.n {
        let Some(a) = s.assign[i] else { continue };
        if sr.out_of_budget() {
            break;
        }
        let close = if s.count[a] == 1 { p.fixed[a] } else { 0.0 };
        let leave = p.cost[i * p.m + a] + close;
        let mut best: Option<(usize, f64)> = None;
        for j in 0..p.m {
            if j == a || !s.fits(p, i, j) {
                continue;
            }
            let open = if s.count[j] == 0 { p.fixed[j] } else { 0.0 };
            let delta = p.cost[i * p.m + j] + open - leave;
            if delta < -tol && best.is_none_or(|(_, b)| delta < b) {
                best = Some((j, delta));
            }
        }
        if let Some((j, _)) = best {
            s.remove(p, i);
            s.add(p, i, j);
            sr.iterations += 1;
            improved = true;
        }
    }
    improved
}

/// Swaps two tasks on different agents when that lowers the variable cost (first improvement,
/// pairs by increasing index).
fn swap_pass(p: &Problem, s: &mut State, sr: &mut Search) -> bool {
    let tol = eps(s, p);
    let mut improved = false;
    for i1 in 0..p.n {
        if sr.out_of_budget() {
            break;
        }
        for i2 in i1 + 1..p.n {
            let (Some(a), Some(b)) = (s.assign[i1], s.assign[i2]) else {
                continue;
            };
            if a == b || !p.eligible[i1 * p.m + b] || !p.eligible[i2 * p.m + a] {
                continue;
            }
            let delta = p.cost[i1 * p.m + b] + p.cost[i2 * p.m + a]
                - p.cost[i1 * p.m + a]
                - p.cost[i2 * p.m + b];
            if delta < -tol && s.fits_swapping(p, i1, b, i2) && s.fits_swapping(p, i2, a, i1) {
                s.remove(p, i1);
                s.remove(p, i2);
                s.add(p, i1, b);
                s.add(p, i2, a);
                sr.iterations += 1;
                improved = true;
            }
        }
    }
    improved
}

/// Tries to close each used agent (the most expensive fixed cost first, ties by the lowest id)
/// by moving its tasks, largest first, to their cheapest feasible other agents; keeps the result
/// when the total drops.
fn close_pass(p: &Problem, s: &mut State, sr: &mut Search) -> bool {
    let mut order: Vec<usize> = (0..p.m).filter(|&j| s.count[j] > 0).collect();
    order.sort_by(|&x, &y| p.fixed[y].total_cmp(&p.fixed[x]).then(x.cmp(&y)));
    let mut improved = false;
    for a in order {
        if s.count[a] == 0 || sr.out_of_budget() {
            continue;
        }
        let before = s.cost(p);
        let mut trial = s.clone();
        let mut tasks: Vec<usize> = (0..p.n).filter(|&i| s.assign[i] == Some(a)).collect();
        tasks.sort_by(|&x, &y| p.size[y].total_cmp(&p.size[x]).then(x.cmp(&y)));
        for &i in &tasks {
            trial.remove(p, i);
        }
        let mut ok = true;
        for &i in &tasks {
            let best = (0..p.m)
                .filter(|&j| j != a && trial.fits(p, i, j))
                .map(|j| (j, marginal(p, &trial, i, j, Charge::Full)))
                .min_by(|x, y| x.1.total_cmp(&y.1).then(x.0.cmp(&y.0)));
            match best {
                Some((j, _)) => trial.add(p, i, j),
                None => {
                    ok = false;
                    break;
                }
            }
        }
        if ok && trial.cost(p) < before - eps(s, p) {
            *s = trial;
            sr.iterations += 1;
            improved = true;
        }
    }
    improved
}

fn local_search(p: &Problem, s: &mut State, sr: &mut Search) {
    loop {
        let mut improved = move_pass(p, s, sr);
        improved |= swap_pass(p, s, sr);
        improved |= close_pass(p, s, sr);
        if !improved || sr.out_of_budget() {
            break;
        }
    }
}

/// Places the tasks the greedy left out where local search has since made room.
fn retry(p: &Problem, s: &mut State) -> bool {
    let mut any = false;
    let mut left: Vec<usize> = (0..p.n)
        .filter(|&i| s.assign[i].is_none() && p.unplaceable[i].is_none())
        .collect();
    left.sort_by(|&x, &y| p.size[y].total_cmp(&p.size[x]).then(x.cmp(&y)));
    for i in left {
        if let Some((j, _)) = best_two(p, s, i, Charge::Full) {
            s.add(p, i, j);
            any = true;
        }
    }
    any
}

/// The Lagrangian bound: the capacity rows of the LP relaxation (scaled,
/// `sum_i (d_ik / C_jk) x_ij - y_j <= 0`) are priced by `mu_jk >= 0`, leaving
/// `L(mu) = sum_i min_j (c_ij + sum_k mu_jk d_ik / C_jk) + sum_j min(0, f_j - sum_k mu_jk)`,
/// a lower bound on the LP optimum for every `mu >= 0` (weak duality). The start is the
/// per-task bound, `mu_jk = f_j w_k` for weights `w` on the simplex (then every `f_j - sum mu`
/// is `>= 0`), the best of the uniform weights and each single dimension; then up to
/// `iterations` subgradient steps (Polyak's step towards `upper`, the heuristic's cost, halved
/// after 5 steps without progress; Held, Wolfe and Crowder, Math. Programming 6, 1974). Every
/// iterate is a valid bound; the best, less `1e-9 * max(1, |L|)` for rounding, is returned.
fn lagrangian_bound(p: &Problem, placed: &[usize], upper: f64, iterations: u64) -> f64 {
    let dims = p.dims;
    // Rows exist where the capacity is positive: eligible tasks have demand 0 elsewhere, so a
    // share of 0 there prices nothing; `has_row` masks the `f_j - sum mu` term.
    let has_row: Vec<bool> = (0..p.m * dims)
        .map(|x| p.c(x / dims)[x % dims] > 0)
        .collect();
    // The eligible pairs of the placed tasks, flattened once: `(j, c_ij)` and the shares
    // `d_ik / C_jk`, so that each evaluation is one pass of multiply-adds.
    let mut starts = Vec::with_capacity(placed.len() + 1);
    let mut pairs: Vec<(usize, f64)> = Vec::new();
    let mut shares: Vec<f64> = Vec::new();
    starts.push(0);
    for &i in placed {
        for j in (0..p.m).filter(|&j| p.eligible[i * p.m + j]) {
            pairs.push((j, p.cost[i * p.m + j]));
            shares.extend((0..dims).map(|k| {
                let c = p.c(j)[k];
                if c > 0 {
                    p.d(i)[k] as f64 / c as f64
                } else {
                    0.0
                }
            }));
        }
        starts.push(pairs.len());
    }
    let mut g = vec![0.0; p.m * dims];
    // Rounding: a capacity row that the tasks fill exactly has a subgradient of rounding
    // noise, the Polyak step then blows its multiplier up, and `mu * (shares - 1)` turns that
    // noise into a large positive "bound". So each evaluation also returns the magnitude of
    // what it summed, and an iterate only counts as a bound after subtracting the worst-case
    // summation error, `terms * eps * magnitude` (Higham, Accuracy and Stability, 4.2).
    let terms = (pairs.len() + p.m) * (dims + 1) + 1;
    let rounding = terms as f64 * f64::EPSILON;
    let eval = |mu: &[f64], g: &mut [f64]| -> (f64, f64) {
        g.iter_mut().for_each(|v| *v = 0.0);
        let mut l = 0.0;
        let mut mag = 0.0;
        for j in 0..p.m {
            let priced = (0..dims)
                .filter(|&k| has_row[j * dims + k])
                .map(|k| mu[j * dims + k])
                .sum::<f64>();
            let r = p.fixed[j] - priced;
            mag += p.fixed[j].abs() + priced;
            if r < 0.0 {
                l += r;
                for k in (0..dims).filter(|&k| has_row[j * dims + k]) {
                    g[j * dims + k] -= 1.0;
                }
            }
        }
        for w in starts.windows(2) {
            let mut best: Option<(usize, f64)> = None;
            for x in w[0]..w[1] {
                let (j, c) = pairs[x];
                let sh = &shares[x * dims..(x + 1) * dims];
                let v = c + sh
                    .iter()
                    .zip(&mu[j * dims..(j + 1) * dims])
                    .map(|(a, b)| a * b)
                    .sum::<f64>();
                if best.is_none_or(|(_, b)| v < b) {
                    best = Some((x, v));
                }
            }
            if let Some((x, v)) = best {
                l += v;
                mag += pairs[x].1.abs()
                    + shares[x * dims..(x + 1) * dims]
                        .iter()
                        .zip(&mu[pairs[x].0 * dims..(pairs[x].0 + 1) * dims])
                        .map(|(a, b)| a * b)
                        .sum::<f64>();
                let j = pairs[x].0;
                for (gv, sh) in g[j * dims..(j + 1) * dims]
                    .iter_mut()
                    .zip(&shares[x * dims..(x + 1) * dims])
                {
                    *gv += sh;
                }
            }
        }
        (l, l - rounding * mag)
    };
    let mut weightings: Vec<Vec<f64>> = vec![vec![1.0 / dims.max(1) as f64; dims]];
    if dims > 1 {
        for k in 0..dims {
            let mut w = vec![0.0; dims];
            w[k] = 1.0;
            weightings.push(w);
        }
    }
    let mut best = f64::NEG_INFINITY;
    let mut mu = vec![0.0; p.m * dims];
    for w in &weightings {
        let cand: Vec<f64> = (0..p.m * dims)
            .map(|x| p.fixed[x / dims] * w[x % dims])
            .collect();
        let (_, safe) = eval(&cand, &mut g);
        if safe > best {
            best = safe;
            mu = cand;
        }
    }
    let mut theta = 2.0;
    let mut stall = 0;
    let (mut l, _) = eval(&mu, &mut g);
    for _ in 0..iterations {
        let norm: f64 = g.iter().map(|v| v * v).sum();
        if norm <= 0.0 || upper <= l {
            break;
        }
        let step = theta * (upper - l) / norm;
        for (m, gv) in mu.iter_mut().zip(&g) {
            *m = (*m + step * gv).max(0.0);
        }
        let safe;
        (l, safe) = eval(&mu, &mut g);
        if safe > best + 1e-12 * best.abs().max(1.0) {
            best = safe;
            stall = 0;
        } else {
            stall += 1;
            if stall >= 5 {
                theta /= 2.0;
                stall = 0;
            }
        }
    }
    if !best.is_finite() {
        return 0.0;
    }
    (best - 1e-9 * best.abs().max(1.0)).max(0.0)
}

/// The LP relaxation over the placed tasks, or `None` when too large or unsolved.
fn lp_bound(p: &Problem, placed: &[usize], opts: &HybridOptions) -> Option<(f64, u64)> {
    // Columns: x_ij for eligible pairs of placed tasks, then y_j for agents with such a pair.
    let mut xcol: Vec<(usize, usize)> = Vec::new();
    for &i in placed {
        for j in 0..p.m {
            if p.eligible[i * p.m + j] {
                xcol.push((i, j));
            }
        }
    }
    let mut has_x = vec![false; p.m];
    for &(_, j) in &xcol {
        has_x[j] = true;
    }
    // y columns by increasing agent index, as the objective below lists them.
    let mut ycol = vec![usize::MAX; p.m];
    let mut ny = 0;
    for j in 0..p.m {
        if has_x[j] {
            ycol[j] = xcol.len() + ny;
            ny += 1;
        }
    }
    let ncols = xcol.len().checked_add(ny)?;
    if ncols > opts.lp_max_columns {
        return None;
    }
    let mut objective: Vec<f64> = xcol.iter().map(|&(i, j)| p.cost[i * p.m + j]).collect();
    objective.extend(
        (0..p.m)
            .filter(|&j| ycol[j] != usize::MAX)
            .map(|j| p.fixed[j]),
    );
    let mut constraints = Vec::new();
    let mut rows_of_task: Vec<Vec<(usize, f64)>> = vec![Vec::new(); p.n];
    // Capacity rows scaled by 1 / C_jk: sum_i (d_ik / C_jk) x_ij - y_j <= 0.
    let mut cap_rows: Vec<Vec<(usize, f64)>> = vec![Vec::new(); p.m * p.dims];
    for (col, &(i, j)) in xcol.iter().enumerate() {
        rows_of_task[i].push((col, 1.0));
        for k in 0..p.dims {
            let d = p.d(i)[k];
            if d > 0 {
                cap_rows[j * p.dims + k].push((col, d as f64 / p.c(j)[k] as f64));
            }
        }
    }
    for &i in placed {
        constraints.push(Constraint {
            coeffs: std::mem::take(&mut rows_of_task[i]),
            relation: Relation::Eq,
            rhs: 1.0,
        });
    }
    for (r, mut coeffs) in cap_rows.into_iter().enumerate() {
        if !coeffs.is_empty() {
            coeffs.push((ycol[r / p.dims.max(1)], -1.0));
            constraints.push(Constraint {
                coeffs,
                relation: Relation::Le,
                rhs: 0.0,
            });
        }
    }
    for &yc in ycol.iter().filter(|&&c| c != usize::MAX) {
        constraints.push(Constraint {
            coeffs: vec![(yc, 1.0)],
            relation: Relation::Le,
            rhs: 1.0,
        });
    }
    let rows = constraints.len();
    let slacks = rows - placed.len();
    let width = ncols + slacks + placed.len() + 1;
    if rows.checked_mul(width)? > opts.lp_max_cells {
        return None;
    }
    let lp = LinearProgram {
        objective,
        constraints,
    };
    match lp::solve(&lp, opts.lp_max_pivots) {
        Ok(LpOutcome::Optimal {
            objective, pivots, ..
        }) => Some((
            (objective - 1e-7 * objective.abs().max(1.0)).max(0.0),
            pivots,
        )),
        _ => None,
    }
}

/// Checks agents and tasks exactly as [`place_hybrid`] does, without placing anything.
///
/// # Arguments
/// - `agents`, `tasks`: as for [`place_hybrid`].
///
/// # Returns
/// `Ok(())` when [`place_hybrid`] would accept them (with any options).
///
/// # Complexity
/// `O(n m K + (n + m) log(n + m))` time, `O(n m)` extra space.
///
/// # Errors
/// As [`place_hybrid`].
///
/// # Example
/// ```
/// use agentsched::placement::hybrid::{validate, HybridAgent};
/// use agentsched::{AgentId, Tier};
/// let a = HybridAgent {
///     id: AgentId(4), tier: Tier::Public, capacity: vec![8], unit_cost: vec![-1.0], fixed_cost: 0.0,
/// };
/// let e = validate(&[a], &[]).unwrap_err();
/// assert!(e.to_string().contains("agent#4") && e.to_string().contains("unit_cost[0]"));
/// ```
pub fn validate(agents: &[HybridAgent], tasks: &[HybridTask]) -> Result<()> {
    Problem::new(agents, tasks, false).map(|_| ())
}

/// Places tasks on a hybrid pool at minimum total cost within capacities and the sensitivity
/// rule; tasks that cannot be placed are left out and reported, the others are placed.
///
/// # Arguments
/// - `agents`: the pool (any order; ids unique).
/// - `tasks`: the tasks (any order; ids unique); every vector has the dimension count of the
///   first agent's capacity (of the first task's demand without agents).
/// - `opts`: the sensitivity policy, the local-search budget and the LP limits.
///
/// # Returns
/// A [`HybridPlacement`]: the assignment, its cost recomputed from scratch, the cost after the
/// greedy phase, a lower bound and the gap, and the unplaced tasks with reasons. The lower
/// bound is over the placed tasks: the LP relaxation
/// `min sum c_ij x_ij + sum f_j y_j` subject to `sum_j x_ij = 1` (placed task `i`),
/// `sum_i d_ik x_ij <= C_jk y_j` (agent `j`, dimension `k`), `0 <= y_j <= 1`, `x_ij >= 0` over
/// the pairs allowed by sensitivity where the task fits alone, solved exactly when it has at most
/// `lp_max_columns` structural columns and `lp_max_cells` tableau cells ([`BoundKind::Lp`]);
/// otherwise the Lagrangian bound ([`BoundKind::Lagrangian`]): the capacity rows priced by
/// `mu >= 0`, starting from the per-task bound (each task's cheapest
/// `c_ij + f_j * sum_k w_k d_ik / C_jk`, the best of the uniform weights `w` and each single
/// dimension) and improved by `lagrangian_iterations` subgradient steps.
///
/// # Complexity
/// Greedy: `O(n m K)` per placement in the worst case (lazy re-pricing), typically
/// `O(n m K log n)` in all. Local search: each round `O(n m K)` for moves and closings and
/// `O(n^2 K)` for swaps, bounded by `max_iterations` and `time_limit`. Bound: `O(n m K)` per
/// Lagrangian step; the LP costs `O(rows * columns)` per pivot. Extra space `O(n m)` plus the LP
/// tableau (at most `lp_max_cells` values).
///
/// # Errors
/// Nothing is computed before validation. [`Error::DimensionMismatch`] (`agent capacity`,
/// `agent unit_cost`, `task demand`); [`Error::InvalidCost`] naming the agent and `unit_cost[k]`
/// or `fixed_cost` for a NaN, infinite or negative cost; [`Error::DuplicateAgent`],
/// [`Error::DuplicateTask`]; [`Error::Overflow`] (`task cost`, `total cost`, `tasks x agents`)
/// when costs add up past `f64::MAX` or the instance is too large to index.
///
/// # Example: the private pool is full, the rest bursts to public
/// ```
/// use agentsched::placement::hybrid::*;
/// use agentsched::{AgentId, Sensitivity, TaskId, Tier};
/// let agent = |id, tier, unit| HybridAgent {
///     id: AgentId(id), tier, capacity: vec![4], unit_cost: vec![unit], fixed_cost: 0.0,
/// };
/// let agents = [agent(0, Tier::Private, 1.0), agent(1, Tier::Public, 3.0)];
/// let task = |id, s| HybridTask { id: TaskId(id), demand: vec![2], sensitivity: s };
/// let tasks = [
///     task(0, Sensitivity::Public),
///     task(1, Sensitivity::Public),
///     task(2, Sensitivity::Public),
///     task(3, Sensitivity::Confidential),
/// ];
/// let r = place_hybrid(&agents, &tasks, &HybridOptions::default())?;
/// // The private agent holds two tasks, the confidential one among them; two burst to public.
/// assert_eq!(r.assignment.iter().filter(|(_, a)| *a == AgentId(1)).count(), 2);
/// assert!(r.assignment.contains(&(TaskId(3), AgentId(0))));
/// assert_eq!(r.total_cost, 2.0 * 2.0 + 2.0 * 2.0 * 3.0);
/// assert!(r.lower_bound <= r.total_cost && r.unplaced.is_empty());
/// # Ok::<(), agentsched::Error>(())
/// ```
///
/// Regret greedy after Martello and Toth, "An algorithm for the generalized assignment problem",
/// Operational Research '81, 1981; the LP relaxation is the textbook one of capacitated facility
/// location (Cornuéjols, Nemhauser and Wolsey, "The uncapacitated facility location problem",
/// 1990, for the model; Sridharan, EJOR 87(2), 1995, for the capacitated survey).
pub fn place_hybrid(
    agents: &[HybridAgent],
    tasks: &[HybridTask],
    opts: &HybridOptions,
) -> Result<HybridPlacement> {
    let p = Problem::new(agents, tasks, opts.allow_internal_on_public)?;
    let mut iterations = 0;
    let mut best: Option<(State, f64)> = None;
    // Charging the full fixed cost keeps tasks on agents already open; charging a share lets a
    // large agent that is cheap per unit open early. Neither dominates, so both run.
    for charge in [Charge::Full, Charge::Share] {
        let mut s = greedy(&p, charge);
        let greedy_cost = s.cost(&p);
        let mut sr = Search {
            iterations: 0,
            max_iterations: opts.max_iterations,
            deadline: opts.time_limit.map(|t| Instant::now() + t),
        };
        local_search(&p, &mut s, &mut sr);
        if retry(&p, &mut s) {
            local_search(&p, &mut s, &mut sr);
        }
        iterations += sr.iterations;
        let better = match &best {
            None => true,
            Some((b, _)) => {
                let (sp, bp) = (s.placed(), b.placed());
                sp > bp || (sp == bp && s.cost(&p) < b.cost(&p) - eps(b, &p))
            }
        };
        if better {
            best = Some((s, greedy_cost));
        }
    }
    let (s, greedy_cost) = best.unwrap_or_else(|| (State::new(&p), 0.0));
    Ok(finish(&p, &s, greedy_cost, iterations, opts))
}

fn finish(
    p: &Problem,
    s: &State,
    greedy_cost: f64,
    iterations: u64,
    opts: &HybridOptions,
) -> HybridPlacement {
    let placed: Vec<usize> = (0..p.n).filter(|&i| s.assign[i].is_some()).collect();
    let assignment = placed
        .iter()
        .filter_map(|&i| s.assign[i].map(|j| (p.task_ids[i], p.agent_ids[j])))
        .collect();
    let variable_cost: f64 = placed
        .iter()
        .filter_map(|&i| s.assign[i].map(|j| p.cost[i * p.m + j]))
        .sum();
    let used: Vec<usize> = (0..p.m).filter(|&j| s.count[j] > 0).collect();
    let fixed_cost: f64 = used.iter().map(|&j| p.fixed[j]).sum();
    let total_cost = variable_cost + fixed_cost;
    let (lower_bound, bound, lp_pivots) = match lp_bound(p, &placed, opts) {
        Some((lb, piv)) => (lb, BoundKind::Lp, piv),
        None => (
            lagrangian_bound(p, &placed, total_cost, opts.lagrangian_iterations),
            BoundKind::Lagrangian,
            0,
        ),
    };
    let gap = if total_cost > 0.0 {
        ((total_cost - lower_bound) / total_cost).max(0.0)
    } else {
        0.0
    };
    let unplaced = (0..p.n)
        .filter(|&i| s.assign[i].is_none())
        .map(|i| {
            let why = p.unplaceable[i]
                .clone()
                .unwrap_or_else(|| HybridUnplaced::NoRoomLeft {
                    considered: (0..p.m)
                        .filter(|&j| p.eligible[i * p.m + j])
                        .map(|j| p.agent_ids[j])
                        .collect(),
                });
            (p.task_ids[i], why)
        })
        .collect();
    HybridPlacement {
        assignment,
        agents_used: used.iter().map(|&j| p.agent_ids[j]).collect(),
        variable_cost,
        fixed_cost,
        total_cost,
        greedy_cost,
        lower_bound,
        bound,
        gap,
        iterations,
        lp_pivots,
        unplaced,
    }
}

/// Consolidation onto heterogeneous hosts with costs: places every item at minimum total cost
/// of the hosts used (the hybrid problem with fixed costs only, every host private and every
/// item public); items that fit no host are left out and reported.
///
/// # Arguments
/// - `hosts`: capacity vectors and costs (ids unique).
/// - `items`: demand vectors; item `i` is reported as `TaskId(i)`.
/// - `opts`: as for [`place_hybrid`] (`allow_internal_on_public` is irrelevant).
///
/// # Returns
/// A [`HybridPlacement`] whose `total_cost` is the sum of the costs of the hosts used.
///
/// # Complexity
/// As [`place_hybrid`].
///
/// # Errors
/// As [`place_hybrid`]: a cost that is NaN, infinite or negative is [`Error::InvalidCost`]
/// (`fixed_cost`); an item count beyond `u32` is [`Error::Overflow`] (`items`).
///
/// # Example: one large host is cheaper than two small ones
/// ```
/// use agentsched::placement::hybrid::{pack_heterogeneous, CostHost, HybridOptions};
/// use agentsched::AgentId;
/// let hosts = [
///     CostHost { id: AgentId(0), capacity: vec![4, 4], cost: 3.0 },
///     CostHost { id: AgentId(1), capacity: vec![4, 4], cost: 3.0 },
///     CostHost { id: AgentId(2), capacity: vec![8, 8], cost: 5.0 },
/// ];
/// let items = vec![vec![2, 2]; 4];
/// let r = pack_heterogeneous(&hosts, &items, &HybridOptions::default())?;
/// assert_eq!(r.total_cost, 5.0);
/// assert_eq!(r.agents_used, vec![AgentId(2)]);
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn pack_heterogeneous(
    hosts: &[CostHost],
    items: &[Vec<u64>],
    opts: &HybridOptions,
) -> Result<HybridPlacement> {
    if u32::try_from(items.len()).is_err() {
        return Err(Error::Overflow {
            field: "items",
            dimension: 0,
        });
    }
    let agents: Vec<HybridAgent> = hosts
        .iter()
        .map(|h| HybridAgent {
            id: h.id,
            tier: Tier::Private,
            capacity: h.capacity.clone(),
            unit_cost: vec![0.0; h.capacity.len()],
            fixed_cost: h.cost,
        })
        .collect();
    let tasks: Vec<HybridTask> = items
        .iter()
        .enumerate()
        .map(|(i, d)| HybridTask {
            id: TaskId(i as u32),
            demand: d.clone(),
            sensitivity: Sensitivity::Public,
        })
        .collect();
    place_hybrid(&agents, &tasks, opts)
}
