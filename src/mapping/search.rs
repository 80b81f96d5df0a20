//! Local search that improves any mapping's makespan: moves and swaps off the critical machine,
//! iterated with seeded perturbations (iterated local search).

use super::{EtcMatrix, Mapping};
use crate::Result;
use std::time::{Duration, Instant};

/// Budget and seed of [`improve`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SearchOptions {
    /// Improvement steps and perturbations at most (the deterministic budget).
    pub max_iterations: u64,
    /// Wall-clock limit; `None` for none. With a limit the result depends on the machine's
    /// speed; with only `max_iterations` it is deterministic for a given seed.
    pub time_limit: Option<Duration>,
    /// Seed of the perturbations.
    pub seed: u64,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            max_iterations: 100_000,
            time_limit: Some(Duration::from_millis(100)),
            seed: 0,
        }
    }
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

struct State<'a> {
    etc: &'a EtcMatrix,
    assign: Vec<usize>,
    load: Vec<f64>,
    on: Vec<Vec<usize>>,
}

impl<'a> State<'a> {
    fn new(etc: &'a EtcMatrix, m: &Mapping) -> Self {
        let mut on = vec![Vec::new(); etc.machines()];
        for (t, &p) in m.assignment.iter().enumerate() {
            on[p].push(t);
        }
        State {
            etc,
            assign: m.assignment.clone(),
            load: m.completion.clone(),
            on,
        }
    }

    fn critical(&self) -> usize {
        let mut c = 0;
        for (p, &l) in self.load.iter().enumerate() {
            if l > self.load[c] {
                c = p;
            }
        }
        c
    }

    fn makespan(&self) -> f64 {
        self.load.iter().copied().fold(0.0, f64::max)
    }

    fn relocate(&mut self, t: usize, to: usize) {
        let from = self.assign[t];
        if let Some(i) = self.on[from].iter().position(|&x| x == t) {
            self.on[from].swap_remove(i);
        }
        self.load[from] -= self.etc.time(t, from);
        self.load[to] += self.etc.time(t, to);
        self.on[to].push(t);
        self.assign[t] = to;
    }

    /// One improving move or swap off the critical machine; false at a local optimum.
    fn step(&mut self) -> bool {
        let c = self.critical();
        let lc = self.load[c];
        let m = self.etc.machines();
        // Best move: the pair's new maximum as small as possible.
        let mut best: Option<(f64, usize, usize)> = None;
        for &t in &self.on[c] {
            let nc = lc - self.etc.time(t, c);
            for q in 0..m {
                if q == c {
                    continue;
                }
                let v = nc.max(self.load[q] + self.etc.time(t, q));
                if v < lc && best.is_none_or(|b| v < b.0) {
                    best = Some((v, t, q));
                }
            }
        }
        if let Some((_, t, q)) = best {
            self.relocate(t, q);
            return true;
        }
        // First improving swap.
        for i in 0..self.on[c].len() {
            let t = self.on[c][i];
            for q in 0..m {
                if q == c {
                    continue;
                }
                for j in 0..self.on[q].len() {
                    let u = self.on[q][j];
                    let nc = lc - self.etc.time(t, c) + self.etc.time(u, c);
                    let nq = self.load[q] - self.etc.time(u, q) + self.etc.time(t, q);
                    if nc.max(nq) < lc {
                        self.relocate(t, q);
                        self.relocate(u, c);
                        return true;
                    }
                }
            }
        }
        false
    }
}

/// Improves a mapping's makespan by local search; the result is never worse than `start`.
///
/// Descent: while possible, move a task off the critical machine (lowest index among equals)
/// to the machine where the pair's larger completion is smallest, or else swap it with a task of
/// another machine, accepting only changes that leave both machines below the critical
/// completion time (so the sorted completion vector strictly decreases and descent ends). At a
/// local optimum, the best mapping so far is perturbed by 1 to 3 seeded random moves off its
/// critical machine and descent starts again (iterated local search, Lourenço et al. 2003).
///
/// # Arguments
/// * `etc` - the instance.
/// * `start` - any mapping of it (its completion times are recomputed, not trusted).
/// * `options` - iteration budget, optional time limit, seed.
///
/// # Returns
/// The best mapping found, with completion times and makespan recomputed from scratch.
///
/// # Complexity
/// Each step is `O(k m)` for a move and `O(k n)` for a swap, `k` tasks on the critical machine.
///
/// # Errors
/// As [`Mapping::from_assignment`] for a `start` that does not fit `etc`.
///
/// # Example
/// ```
/// use agentsched::mapping::{EtcMatrix, Mapping, search::{improve, SearchOptions}};
/// let etc = EtcMatrix::new(4, 2, vec![3.0, 3.0, 3.0, 3.0, 2.0, 2.0, 2.0, 2.0]).unwrap();
/// let all_on_0 = Mapping::from_assignment(&etc, vec![0, 0, 0, 0]).unwrap();
/// let opts = SearchOptions { max_iterations: 1_000, time_limit: None, seed: 7 };
/// let better = improve(&etc, &all_on_0, &opts).unwrap();
/// assert_eq!(better.makespan, 5.0);
/// ```
pub fn improve(etc: &EtcMatrix, start: &Mapping, options: &SearchOptions) -> Result<Mapping> {
    let start = Mapping::from_assignment(etc, start.assignment.clone())?;
    if etc.tasks() == 0 || etc.machines() < 2 {
        return Ok(start);
    }
    let began = Instant::now();
    let out_of_time = || options.time_limit.is_some_and(|l| began.elapsed() >= l);
    let mut rng = Rng(options.seed ^ 0x5eed);
    let mut best = start.assignment.clone();
    let mut best_ms = start.makespan;
    let mut s = State::new(etc, &start);
    let mut iterations = 0u64;
    'outer: while iterations < options.max_iterations {
        while s.step() {
            iterations += 1;
            if iterations >= options.max_iterations || (iterations % 64 == 0 && out_of_time()) {
                break 'outer;
            }
        }
        let ms = s.makespan();
        if ms < best_ms {
            best_ms = ms;
            best.clone_from(&s.assign);
        }
        if out_of_time() {
            break;
        }
        // Perturb the best mapping so far.
        let from_best = Mapping::from_assignment(etc, best.clone())?;
        s = State::new(etc, &from_best);
        for _ in 0..1 + rng.below(3) {
            let c = s.critical();
            if s.on[c].is_empty() {
                break;
            }
            let t = s.on[c][rng.below(s.on[c].len())];
            let mut q = rng.below(etc.machines() - 1);
            if q >= c {
                q += 1;
            }
            s.relocate(t, q);
        }
        iterations += 1;
    }
    if s.makespan() < best_ms {
        best.clone_from(&s.assign);
    }
    let result = Mapping::from_assignment(etc, best)?;
    // Incremental sums may drift by an ulp; recomputed, the start is the floor.
    Ok(if result.makespan <= start.makespan {
        result
    } else {
        start
    })
}

/// The library's strongest method for an ETC instance: every heuristic of
/// [`super::heuristics::ALL`], the one with the smallest makespan (ties: the first in that list)
/// improved by [`improve`] for what remains of `options.time_limit`.
///
/// # Complexity
/// The heuristics' cost (`O(n^2 m)` at worst) plus the search budget.
///
/// # Example
/// ```
/// use agentsched::mapping::{EtcMatrix, search::{best, SearchOptions}};
/// let etc = EtcMatrix::new(3, 2, vec![4.0, 6.0, 4.0, 6.0, 5.0, 2.0]).unwrap();
/// let m = best(&etc, &SearchOptions { max_iterations: 1_000, time_limit: None, seed: 1 });
/// assert_eq!(m.makespan, 8.0);
/// ```
pub fn best(etc: &EtcMatrix, options: &SearchOptions) -> Mapping {
    let began = Instant::now();
    let mut best: Option<Mapping> = None;
    for (_, h) in super::heuristics::ALL {
        let m = h(etc);
        if best.as_ref().is_none_or(|b| m.makespan < b.makespan) {
            best = Some(m);
        }
    }
    let start = best.unwrap_or_else(|| super::heuristics::mct(etc));
    let rest = SearchOptions {
        time_limit: options
            .time_limit
            .map(|l| l.saturating_sub(began.elapsed())),
        ..*options
    };
    // Cannot fail: `start` is a mapping of `etc`.
    improve(etc, &start, &rest).unwrap_or(start)
}
