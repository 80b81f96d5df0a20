//! Improving a schedule by moving critical tasks between agents, the named algorithms, and the
//! best of them within a time limit.

use super::bounds::lower_bound;
use super::cpop::cpop;
use super::graph::{Csr, Dag};
use super::heft::{heft, heft_lookahead, lookahead_until};
use super::list::{Costs, NONE, REL_TOL, Timeline, prepare};
use super::platform::{Platform, Schedule, Slot, validate};
use crate::Result;
use crate::model::SplitMix64;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

/// Budget of [`improve`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImproveOptions {
    /// Schedules evaluated at most (each one a re-timing of the whole graph, O(V log V + E)).
    pub max_evaluations: u64,
    /// Wall-clock limit; `None` for none. With a limit the result may depend on the machine's
    /// speed; with only `max_evaluations` it is deterministic.
    pub time_limit: Option<Duration>,
    /// Seed of the perturbations.
    pub seed: u64,
}

impl Default for ImproveOptions {
    fn default() -> Self {
        ImproveOptions {
            max_evaluations: 1_000,
            time_limit: None,
            seed: 0,
        }
    }
}

/// A schedule decoded from an assignment and an order, by position, with the agents' timelines.
#[derive(Clone)]
struct Decoded {
    start: Vec<f64>,
    finish: Vec<f64>,
    /// What set each task's start: the predecessor whose data came last, or the task before it
    /// on its agent (`NONE` when it starts at its ready time 0).
    why: Vec<u32>,
    /// `cum[k]`: the largest and the sum of the finish times of the first `k` tasks of the order.
    cum: Vec<(f64, f64)>,
    lines: Vec<Timeline>,
    makespan: f64,
    /// Sum of the finish times: the secondary objective across plateaus of the makespan.
    total: f64,
}

impl Decoded {
    fn new(n: usize, m: usize) -> Decoded {
        Decoded {
            start: vec![0.0; n],
            finish: vec![0.0; n],
            why: vec![NONE; n],
            cum: vec![(0.0, 0.0); n + 1],
            lines: vec![Timeline::default(); m],
            makespan: 0.0,
            total: 0.0,
        }
    }
}

/// The fixed inputs of a decoding.
struct Decoder<'a> {
    costs: &'a Costs<'a>,
    c: &'a Csr<'a>,
}

impl Decoder<'_> {
    /// Re-times the tasks in `order` on the agents of `assign` (both by position), each at its
    /// earliest insertion spot, as HEFT does once the agents are chosen; into `out`.
    ///
    /// Taken in the order of a schedule's start times, no task starts later than in that
    /// schedule: its predecessors finish no later, and the tasks placed before it on its agent
    /// finish no later than they did, i.e. before its old start, so its old slot is still free.
    ///
    /// With `from = Some((k, base, at))`, `base` is the decoding of the same order with an
    /// assignment that differs only on tasks at order index `k` or later (`at[v]` is `v`'s
    /// index), so the first `k` tasks are taken from it: their timelines are filtered from
    /// `base`'s, already sorted, and only the rest is decoded.
    fn decode(
        &self,
        assign: &[u32],
        order: &[u32],
        from: Option<(usize, &Decoded, &[u32])>,
        out: &mut Decoded,
    ) {
        let (costs, c) = (self.costs, self.c);
        let m = costs.m;
        let k = match from {
            Some((k, base, at)) if k > 0 => {
                for (line, b) in out.lines.iter_mut().zip(&base.lines) {
                    line.rebuild_from(b, |v| (at[v as usize] as usize) < k);
                }
                out.start.copy_from_slice(&base.start);
                out.finish.copy_from_slice(&base.finish);
                out.why.copy_from_slice(&base.why);
                out.cum[..=k].copy_from_slice(&base.cum[..=k]);
                k
            }
            _ => {
                out.lines.iter_mut().for_each(Timeline::clear);
                0
            }
        };
        let (mut makespan, mut total) = out.cum[k];
        for (idx, &v) in order.iter().enumerate().skip(k) {
            let v = v as usize;
            let q = assign[v] as usize;
            let mut ready = 0.0f64;
            let mut arg = NONE;
            let range = c.pred_off[v] as usize..c.pred_off[v + 1] as usize;
            for (&u, &d) in c.pred[range.clone()].iter().zip(&c.pred_data[range]) {
                let p = assign[u as usize] as usize;
                let f = out.finish[u as usize];
                let t = if p == q {
                    f
                } else {
                    f + d / costs.links[p * m + q]
                };
                if t > ready {
                    ready = t;
                    arg = u;
                }
            }
            let w = costs.exec(v, q);
            let (start, why) = if w > 0.0 {
                let spot = out.lines[q].earliest(ready, w);
                out.lines[q].insert(spot, spot.start + w, v as u32);
                (spot.start, if spot.start > ready { spot.prev } else { arg })
            } else {
                (ready, arg)
            };
            let f = start + w;
            out.start[v] = start;
            out.finish[v] = f;
            out.why[v] = why;
            makespan = makespan.max(f);
            total += f;
            out.cum[idx + 1] = (makespan, total);
        }
        out.makespan = makespan;
        out.total = total;
    }
}

/// The tasks (positions) of the chain that sets the makespan, from the last one back: each is
/// held up by the next (data or agent).
fn critical_chain(c: &Csr<'_>, d: &Decoded, out: &mut Vec<u32>) {
    out.clear();
    let n = d.finish.len();
    let Some(mut v) = (0..n).max_by(|&a, &b| {
        d.finish[a]
            .total_cmp(&d.finish[b])
            .then(c.order[b].cmp(&c.order[a]))
    }) else {
        return;
    };
    loop {
        out.push(v as u32);
        let w = d.why[v];
        if w == NONE || out.len() > n {
            return;
        }
        v = w as usize;
    }
}

/// Improves a schedule's makespan by moving the tasks of its critical chain to other agents,
/// re-timing the whole graph after each move, with perturbations when stuck (iterated local
/// search).
///
/// The schedule is first re-timed: its tasks in order of start time (then topological order),
/// never a task before one of its predecessors (a start the validator accepts within its
/// tolerance may be a hair early), each on its agent at the earliest spot (insertion), which
/// never starts a task later. The result is checked with [`validate`].
/// - *Descent*: the chain of tasks that sets the makespan is traced back (each task held up by
///   the data of a predecessor or by the task before it on its agent); for its tasks from the
///   last back, and each other agent in index order, the task is moved there and the graph
///   re-timed in the current order. The first move that lowers the makespan by more than the
///   tolerance (`1e-9 x` makespan), or keeps it and lowers the sum of finish times by more than
///   `n x` tolerance, is kept, and the order becomes the new schedule's start order; until no
///   move of the chain is kept.
/// - *Perturbation*: from the best state so far, one to three tasks (each from the critical
///   chain or the whole graph, even odds) move to random other agents (from `options.seed`);
///   then descent again.
///
/// It stops at the budget or when the makespan reaches [`super::lower_bound`]. Deterministic
/// under an evaluation budget alone (the clock may only stop it early); the result is never
/// worse than `schedule`.
///
/// Moving the tasks that set the schedule length is the neighbourhood of Wu, Shu and Gu,
/// "Efficient local search for DAG scheduling", IEEE TPDS 12(6), 2001; here on top of HEFT's
/// insertion-based timing.
///
/// # Arguments
/// - `dag`, `platform`: the instance.
/// - `schedule`: a valid schedule of it (e.g. from [`super::heft()`]).
/// - `options`: evaluations and time.
///
/// # Returns
/// A valid schedule of makespan at most `schedule`'s.
///
/// # Complexity
/// O(V log V + E) per evaluation; at most `max_evaluations` evaluations; O(V m) extra space.
///
/// # Errors
/// As [`heft()`]; from [`validate`] when `schedule` is not a valid schedule of `dag` on
/// `platform`.
///
/// # Example: a fork whose children HEFT spreads over slow links
/// ```
/// use agentsched::dag::{heft, improve, validate, ImproveOptions, Platform, TaskGraph};
/// use agentsched::TaskId;
/// let g = TaskGraph::from_parts(
///     (0..4).map(|i| (TaskId(i), 2.0)),
///     [(0, 1, 5.0), (0, 2, 5.0), (0, 3, 5.0)].map(|(u, v, d)| (TaskId(u), TaskId(v), d)),
/// )?;
/// let dag = g.freeze()?;
/// let p = Platform::related(vec![1.0, 1.0, 1.0], Platform::unit_links(3))?;
/// let start = heft(&dag, &p)?;
/// let better = improve(&dag, &p, &start, &ImproveOptions::default())?;
/// assert!(better.makespan <= start.makespan);
/// assert_eq!(validate(&dag, &p, &better)?, better.makespan);
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn improve(
    dag: &Dag,
    platform: &Platform,
    schedule: &Schedule,
    options: &ImproveOptions,
) -> Result<Schedule> {
    let empty = prepare(dag, platform)?;
    validate(dag, platform, schedule)?;
    if let Some(s) = empty {
        return Ok(s);
    }
    let began = Instant::now();
    let c = dag.csr();
    let costs = Costs::new(dag, platform);
    let dec = Decoder {
        costs: &costs,
        c: &c,
    };
    let (n, m) = (costs.n, costs.m);
    let mut assign: Vec<u32> = (0..n)
        .map(|v| schedule.slots[c.order[v] as usize].agent as u32)
        .collect();
    let start_of: Vec<f64> = (0..n)
        .map(|v| schedule.slots[c.order[v] as usize].start)
        .collect();
    let mut order = start_order(&c, &start_of);
    let mut at = index_in(&order);
    let mut cur = Decoded::new(n, m);
    let mut trial = Decoded::new(n, m);
    dec.decode(&assign, &order, None, &mut cur);
    let mut evaluations = 1u64;
    let tol = REL_TOL * schedule.makespan.max(cur.makespan);
    let out_of_budget = |evaluations: u64| {
        evaluations >= options.max_evaluations
            || options.time_limit.is_some_and(|l| began.elapsed() >= l)
    };
    let floor = lower_bound(dag, platform)? * (1.0 + REL_TOL);
    let mut chain = Vec::new();
    let mut rng = SplitMix64(options.seed);
    // The best schedule so far and its agents.
    let mut best = (cur.clone(), assign.clone());
    'search: while m > 1 && best.0.makespan > floor {
        // Descent: first improving move of a critical task.
        loop {
            critical_chain(&c, &cur, &mut chain);
            let mut kept = false;
            'moves: for &v in &chain {
                let v = v as usize;
                let home = assign[v];
                for q in 0..m as u32 {
                    if q == home {
                        continue;
                    }
                    if out_of_budget(evaluations) {
                        break 'search;
                    }
                    assign[v] = q;
                    // Tasks before `v` in the order do not depend on where `v` runs.
                    dec.decode(
                        &assign,
                        &order,
                        Some((at[v] as usize, &cur, &at)),
                        &mut trial,
                    );
                    evaluations += 1;
                    let better = trial.makespan < cur.makespan - tol
                        || (trial.makespan <= cur.makespan
                            && trial.total < cur.total - tol * n as f64);
                    if better {
                        std::mem::swap(&mut cur, &mut trial);
                        kept = true;
                        break 'moves;
                    }
                    assign[v] = home;
                }
            }
            if !kept {
                break;
            }
            // Re-time in the new start order (never later), so that the order stays that of
            // the current schedule.
            let new_order = start_order(&c, &cur.start);
            dec.decode(&assign, &new_order, None, &mut trial);
            evaluations += 1;
            // (Only rounding could make it later; then the old order, which `cur` decodes, stays.)
            if trial.makespan <= cur.makespan {
                std::mem::swap(&mut cur, &mut trial);
                at = index_in(&new_order);
                order = new_order;
            }
            if cur.makespan < best.0.makespan - tol {
                best = (cur.clone(), assign.clone());
            }
        }
        if out_of_budget(evaluations) || best.0.makespan <= floor {
            break;
        }
        // Perturbation (iterated local search): from the best state, move one to three tasks,
        // each of the critical chain or of the whole graph with even odds, to a random agent.
        assign.clone_from(&best.1);
        critical_chain(&c, &best.0, &mut chain);
        for _ in 0..1 + rng.below(3) {
            let v = if rng.below(2) == 0 && !chain.is_empty() {
                chain[rng.below(chain.len())] as usize
            } else {
                rng.below(n)
            };
            let q = (assign[v] as usize + 1 + rng.below(m - 1)) % m;
            assign[v] = q as u32;
        }
        order = start_order(&c, &best.0.start);
        at = index_in(&order);
        dec.decode(&assign, &order, None, &mut cur);
        evaluations += 1;
    }
    if best.0.makespan < cur.makespan - tol
        || (best.0.makespan <= cur.makespan && best.0.total < cur.total)
    {
        (cur, assign) = (best.0, best.1);
    }
    if cur.makespan > schedule.makespan {
        return Ok(schedule.clone());
    }
    let mut slots = vec![
        Slot {
            agent: 0,
            start: 0.0,
            finish: 0.0
        };
        n
    ];
    for v in 0..n {
        slots[c.order[v] as usize] = Slot {
            agent: assign[v] as usize,
            start: cur.start[v],
            finish: cur.finish[v],
        };
    }
    let out = Schedule {
        slots,
        makespan: cur.makespan,
    };
    // The decoding is exact, so this holds; the check keeps the promise of a valid result even
    // against a start the validator accepts only within its tolerance.
    if validate(dag, platform, &out).is_err() {
        return Ok(schedule.clone());
    }
    Ok(out)
}

/// `at[v]`: the index of position `v` in `order`.
fn index_in(order: &[u32]) -> Vec<u32> {
    let mut at = vec![0u32; order.len()];
    for (k, &v) in order.iter().enumerate() {
        at[v as usize] = k as u32;
    }
    at
}

/// The tasks (positions) in order of start time, then position, among those whose predecessors
/// are all listed (Kahn's algorithm): a topological order that follows the start times. Sorting
/// by start time alone is not one: [`validate`] allows a successor to start up to its tolerance
/// before a zero-length predecessor finishes, and decoding needs every predecessor's finish.
fn start_order(c: &Csr<'_>, start: &[f64]) -> Vec<u32> {
    let n = start.len();
    let mut by: Vec<u32> = (0..n as u32).collect();
    by.sort_by(|&a, &b| {
        start[a as usize]
            .total_cmp(&start[b as usize])
            .then(a.cmp(&b))
    });
    let rank = index_in(&by);
    let mut missing: Vec<u32> = (0..n).map(|v| c.pred_off[v + 1] - c.pred_off[v]).collect();
    let mut ready: BinaryHeap<Reverse<u32>> = (0..n)
        .filter(|&v| missing[v] == 0)
        .map(|v| Reverse(rank[v]))
        .collect();
    let mut order = Vec::with_capacity(n);
    while let Some(Reverse(r)) = ready.pop() {
        let v = by[r as usize] as usize;
        order.push(v as u32);
        for &s in &c.succ[c.succ_off[v] as usize..c.succ_off[v + 1] as usize] {
            let s = s as usize;
            missing[s] -= 1;
            if missing[s] == 0 {
                ready.push(Reverse(rank[s]));
            }
        }
    }
    order
}

/// The signature of every algorithm of [`ALGORITHMS`].
pub type Algorithm = fn(&Dag, &Platform) -> Result<Schedule>;

/// HEFT followed by [`improve`] with an evaluation budget that depends only on the graph's size,
/// so that the result is deterministic: `clamp(2e7 / (V + E), 20, 3000)` evaluations, seed 0.
///
/// # Arguments
/// - `dag`, `platform`: the instance.
///
/// # Returns
/// A valid schedule of makespan at most [`heft()`]'s.
///
/// # Complexity
/// HEFT's, plus O(V log V + E) per evaluation: about `max(2e7, 20 (V + E))` elementary steps
/// at most (the floor of 20 evaluations wins once `V + E > 1e6`).
///
/// # Errors
/// As [`heft()`].
///
/// # Example
/// ```
/// use agentsched::dag::{heft, heft_ls, Platform, TaskGraph};
/// use agentsched::TaskId;
/// let g = TaskGraph::from_parts((0..3).map(|i| (TaskId(i), 1.0)), [])?;
/// let dag = g.freeze()?;
/// let p = Platform::related(vec![1.0, 2.0], Platform::unit_links(2))?;
/// assert!(heft_ls(&dag, &p)?.makespan <= heft(&dag, &p)?.makespan);
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn heft_ls(dag: &Dag, platform: &Platform) -> Result<Schedule> {
    let s = heft(dag, platform)?;
    improve(
        dag,
        platform,
        &s,
        &ImproveOptions {
            max_evaluations: size_budget(dag),
            time_limit: None,
            seed: 0,
        },
    )
}

fn size_budget(dag: &Dag) -> u64 {
    let size = (dag.task_count() + dag.edge_count()).max(1) as u64;
    (20_000_000 / size).clamp(20, 3_000)
}

/// Every algorithm by name, in a fixed order: the plain ones from the paper, then the
/// improvements.
pub const ALGORITHMS: [(&str, Algorithm); 4] = [
    ("heft", heft),
    ("cpop", cpop),
    ("heft-lookahead", heft_lookahead),
    ("heft-ls", heft_ls),
];

/// Looks an algorithm of [`ALGORITHMS`] up by name (`"heft"`, `"cpop"`, `"heft-lookahead"`,
/// `"heft-ls"`), for the `solve` example's `--algorithm`.
///
/// # Arguments
/// - `name`: exact, lower case.
///
/// # Returns
/// The algorithm, or `None` for an unknown name (`"all"` and `"best"` are the caller's: iterate
/// [`ALGORITHMS`], or call [`best`]).
///
/// # Complexity
/// O(1).
///
/// # Example
/// ```
/// use agentsched::dag::{by_name, Platform, TaskGraph};
/// use agentsched::TaskId;
/// let dag = TaskGraph::from_parts([(TaskId(0), 2.0)], [])?.freeze()?;
/// let p = Platform::related(vec![1.0, 4.0], Platform::unit_links(2))?;
/// let heft = by_name("heft").unwrap();
/// assert_eq!(heft(&dag, &p)?.makespan, 0.5);
/// assert!(by_name("HEFT").is_none());
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn by_name(name: &str) -> Option<Algorithm> {
    ALGORITHMS.iter().find(|(n, _)| *n == name).map(|&(_, f)| f)
}

/// The best schedule [`best`] found and the algorithm that found it.
#[derive(Debug, Clone, PartialEq)]
pub struct BestSchedule {
    /// A name of [`ALGORITHMS`], or one of them followed by `+ls` when [`improve`] then
    /// lowered its makespan.
    pub algorithm: &'static str,
    /// The schedule, checked by [`validate`].
    pub schedule: Schedule,
}

/// The strongest methods within a time limit: HEFT, CPoP and (when it fits) lookahead HEFT, then
/// [`improve`] on the best of them for the rest of the time.
///
/// Lookahead runs when HEFT's measured time times `m x (1 + E / V)` fits in half the time left,
/// and is dropped if it has not finished by the limit.
/// Without a time limit everything runs and the search has HEFT-LS's deterministic budget. Ties
/// between the constructive methods go to the first in [`ALGORITHMS`]. Every candidate is
/// checked with [`validate`]; the result is the valid one of the smallest makespan.
///
/// # Arguments
/// - `dag`, `platform`: the instance.
/// - `time_limit`: wall-clock budget (`None`: no limit). HEFT and CPoP always run, so a tiny
///   limit is exceeded by their time.
///
/// # Returns
/// The [`BestSchedule`].
///
/// # Complexity
/// That of the methods run; O(V m) extra space.
///
/// # Errors
/// As [`heft()`].
///
/// # Example: on the paper's example the best is at most HEFT's 80
/// ```
/// use agentsched::dag::{best, Platform, TaskGraph};
/// use agentsched::TaskId;
/// use std::time::Duration;
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
/// let b = best(&dag, &p, Some(Duration::from_millis(50)))?;
/// assert!(b.schedule.makespan <= 80.0);
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn best(dag: &Dag, platform: &Platform, time_limit: Option<Duration>) -> Result<BestSchedule> {
    let began = Instant::now();
    let left = |limit: Duration| limit.saturating_sub(began.elapsed());
    let first = heft(dag, platform)?;
    let heft_time = began.elapsed();
    // HEFT's schedules are valid (`prepare` keeps every time finite); were one not, this is an
    // error rather than an unchecked result.
    validate(dag, platform, &first)?;
    let mut found = (0usize, first);
    let mut consider = |k: usize, s: Schedule| {
        if s.makespan < found.1.makespan && validate(dag, platform, &s).is_ok() {
            found = (k, s);
        }
    };
    consider(1, cpop(dag, platform)?);
    let n = dag.task_count().max(1) as f64;
    let factor = platform.agents() as f64 * (1.0 + dag.edge_count() as f64 / n);
    let lookahead_fits =
        time_limit.is_none_or(|l| heft_time.as_secs_f64() * factor <= left(l).as_secs_f64() / 2.0);
    if lookahead_fits {
        // The estimate may be off (the machine, the shape): the lookahead also stops at the limit.
        let deadline = time_limit.map(|l| Instant::now() + left(l));
        if let Some(s) = lookahead_until(dag, platform, deadline)? {
            consider(2, s);
        }
    }
    let (k, start) = found;
    let options = ImproveOptions {
        max_evaluations: if time_limit.is_some() {
            u64::MAX
        } else {
            size_budget(dag)
        },
        time_limit: time_limit.map(left),
        seed: 0,
    };
    let improved = improve(dag, platform, &start, &options)?;
    if improved.makespan < start.makespan && validate(dag, platform, &improved).is_ok() {
        let algorithm = ["heft+ls", "cpop+ls", "heft-lookahead+ls"][k.min(2)];
        return Ok(BestSchedule {
            algorithm,
            schedule: improved,
        });
    }
    Ok(BestSchedule {
        algorithm: ALGORITHMS[k].0,
        schedule: start,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TaskId;
    use crate::dag::TaskGraph;

    /// A random layered graph on 3 related agents with random links.
    fn instance(n: usize, seed: u64) -> (Dag, Platform) {
        let mut rng = SplitMix64(seed);
        let mut g = TaskGraph::new();
        for i in 0..n {
            g.add_task(TaskId(i as u32), 1.0 + rng.below(20) as f64)
                .unwrap();
        }
        for v in 1..n {
            for _ in 0..1 + rng.below(3) {
                let u = rng.below(v);
                let _ = g.add_edge(TaskId(u as u32), TaskId(v as u32), rng.below(10) as f64);
            }
        }
        let links = (0..9)
            .map(|k| if k % 4 == 0 { 0.0 } else { 0.5 + rng.unit() })
            .collect();
        let p = Platform::related(vec![1.0, 1.5, 3.0], links).unwrap();
        (g.freeze().unwrap(), p)
    }

    #[test]
    fn decoding_from_a_prefix_equals_decoding_everything() {
        for seed in 0..20 {
            let (dag, p) = instance(300, seed);
            let c = dag.csr();
            let costs = Costs::new(&dag, &p);
            let dec = Decoder {
                costs: &costs,
                c: &c,
            };
            let mut rng = SplitMix64(seed ^ 99);
            let n = dag.task_count();
            let mut assign: Vec<u32> = (0..n).map(|_| rng.below(3) as u32).collect();
            let order: Vec<u32> = (0..n as u32).collect();
            let at = index_in(&order);
            let mut base = Decoded::new(n, 3);
            dec.decode(&assign, &order, None, &mut base);
            let (mut part, mut full) = (Decoded::new(n, 3), Decoded::new(n, 3));
            for _ in 0..20 {
                let v = rng.below(n);
                assign[v] = rng.below(3) as u32;
                dec.decode(
                    &assign,
                    &order,
                    Some((at[v] as usize, &base, &at)),
                    &mut part,
                );
                dec.decode(&assign, &order, None, &mut full);
                assert_eq!(part.start, full.start);
                assert_eq!(part.finish, full.finish);
                assert_eq!(part.why, full.why);
                assert_eq!((part.makespan, part.total), (full.makespan, full.total));
                std::mem::swap(&mut base, &mut part);
            }
        }
    }
}
