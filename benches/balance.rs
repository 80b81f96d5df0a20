//! Benchmarks for `agentsched::mapping::{balance, migrate}` (the `L_i` model).
//!
//! - `balance/greedy/{n}x{m}` (no improvement steps) against `balance/improved/{n}x{m}` (1,000
//!   steps), same instance: the price of the improvement phase, as a ratio. The quality of both
//!   (max load over the lower bound) is printed once on stderr.
//! - `migrate/{n}x{m}`: a plan of at most 100 moves from a skewed placement (every task on the
//!   first quarter of the agents) towards `Target::Balanced`, against `migrate/loads/{n}x{m}`, one
//!   recomputation of every agent's load from the placement (the floor of any planner).
//!
//! Instances are deterministic (SplitMix64): 4 dimensions, agents of 4 sizes, task demands up to
//! an eighth of the smallest agent.
//!
//! Run with `cargo bench --bench balance -- --warm-up-time 1 --measurement-time 3`.

use agentsched::mapping::balance::{BalanceAgent, BalanceOptions, BalanceTask, balance};
use agentsched::mapping::migrate::{MigrationBudget, MigrationTask, Target, plan_migration};
use agentsched::{AgentId, TaskId};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

const DIMS: usize = 4;

fn agents(m: usize, rng: &mut SplitMix64) -> Vec<BalanceAgent> {
    (0..m)
        .map(|i| {
            let size = 1 << rng.below(4);
            BalanceAgent {
                id: AgentId(i as u32),
                capacity: (0..DIMS).map(|j| size * 8_000 * (j as u64 + 1)).collect(),
            }
        })
        .collect()
}

fn demands(n: usize, rng: &mut SplitMix64) -> Vec<Vec<u64>> {
    (0..n)
        .map(|_| {
            (0..DIMS)
                .map(|j| 1 + rng.below(1_000 * (j as u64 + 1)))
                .collect()
        })
        .collect()
}

fn bench_balance(c: &mut Criterion) {
    let mut g = c.benchmark_group("balance");
    for (n, m) in [(1_000, 100), (10_000, 1_000)] {
        let mut rng = SplitMix64(7);
        let agents = agents(m, &mut rng);
        let tasks: Vec<BalanceTask> = demands(n, &mut rng)
            .into_iter()
            .enumerate()
            .map(|(k, demand)| BalanceTask {
                id: TaskId(k as u32),
                demand,
                pinned_to: None,
            })
            .collect();
        let greedy = BalanceOptions { max_iterations: 0 };
        let improved = BalanceOptions {
            max_iterations: 1_000,
        };
        for (name, o) in [("greedy", greedy), ("improved", improved)] {
            let b = balance(&agents, &tasks, &o).unwrap();
            eprintln!(
                "balance/{name}/{n}x{m}: max load {:.4}, lower bound {:.4}, ratio {:.4}, {} steps, {} unplaced",
                b.max_load,
                b.lower_bound,
                b.max_load / b.lower_bound,
                b.iterations,
                b.unplaced.len()
            );
            g.bench_function(format!("{name}/{n}x{m}"), |bch| {
                bch.iter(|| balance(black_box(&agents), black_box(&tasks), &o))
            });
        }
    }
    g.finish();
}

fn bench_migrate(c: &mut Criterion) {
    let mut g = c.benchmark_group("migrate");
    for (n, m) in [(1_000, 100), (10_000, 1_000)] {
        let mut rng = SplitMix64(11);
        let agents = agents(m, &mut rng);
        // Skewed: round-robin over the first quarter of the agents, where each task fits.
        let hot = (m / 4).max(1);
        let mut used = vec![vec![0u64; DIMS]; m];
        let mut tasks = Vec::with_capacity(n);
        for (k, demand) in demands(n, &mut rng).into_iter().enumerate() {
            let a = (0..m)
                .map(|i| (k + i) % hot + if i >= hot { i } else { 0 })
                .find(|&a| {
                    demand
                        .iter()
                        .zip(&used[a])
                        .zip(&agents[a].capacity)
                        .all(|((d, u), c)| d + u <= *c)
                })
                .unwrap();
            for (u, d) in used[a].iter_mut().zip(&demand) {
                *u += d;
            }
            tasks.push(MigrationTask {
                id: TaskId(k as u32),
                demand,
                agent: AgentId(a as u32),
                pinned: k % 10 == 0,
            });
        }
        let budget = MigrationBudget {
            max_moves: Some(100),
            max_demand: None,
        };
        let plan = plan_migration(&agents, &tasks, Target::Balanced, &budget).unwrap();
        eprintln!(
            "migrate/{n}x{m}: {} moves, max load {:.4} -> {:.4}, stop {:?}",
            plan.moves.len(),
            plan.max_load_before,
            plan.max_load_after,
            plan.stop
        );
        g.bench_function(format!("plan/{n}x{m}"), |b| {
            b.iter(|| {
                plan_migration(
                    black_box(&agents),
                    black_box(&tasks),
                    Target::Balanced,
                    &budget,
                )
            })
        });
        g.bench_function(format!("loads/{n}x{m}"), |b| {
            b.iter(|| {
                let mut used = vec![[0u64; DIMS]; m];
                for t in black_box(&tasks) {
                    for (u, d) in used[t.agent.0 as usize].iter_mut().zip(&t.demand) {
                        *u += d;
                    }
                }
                used.iter()
                    .zip(&agents)
                    .map(|(u, a)| {
                        u.iter()
                            .zip(&a.capacity)
                            .map(|(&u, &c)| u as f64 / c as f64)
                            .sum::<f64>()
                    })
                    .fold(0.0, f64::max)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench_balance, bench_migrate);
criterion_main!(benches);
