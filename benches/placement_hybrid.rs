//! Benchmarks for `agentsched::placement::hybrid`.
//!
//! - `hybrid/greedy/1000x100`: the two regret-greedy variants only (`max_iterations = 0`), the
//!   baseline, against `hybrid/full/1000x100`: greedy plus local search (the LP is too large at
//!   this size, so both use the Lagrangian bound).
//! - `hybrid/lagrangian_bound/{n}x{m}` against `hybrid/lp_bound/{n}x{m}` on mid-size instances:
//!   the same placement; the bound is the Lagrangian one (50 subgradient steps) or the LP
//!   relaxation by the dense simplex.
//! - `heterogeneous/1000x100`: `pack_heterogeneous` (fixed costs only).
//!
//! Instances are deterministic (SplitMix64): 2 dimensions (millicores, MiB); a third of the
//! agents private (cheap per unit, no fixed cost), the rest public (dearer per unit, a fixed
//! cost); tasks 30% confidential, 30% internal, 40% public; total capacity about 1.5 times the
//! total demand. The headline figures (cost, bound, gap) are printed once per instance.
//!
//! Run with `cargo bench --bench placement_hybrid -- --warm-up-time 1 --measurement-time 3`.

use agentsched::placement::hybrid::{
    CostHost, HybridAgent, HybridOptions, HybridTask, pack_heterogeneous, place_hybrid,
};
use agentsched::{AgentId, Sensitivity, TaskId, Tier};
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

    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn instance(n: usize, m: usize, seed: u64) -> (Vec<HybridAgent>, Vec<HybridTask>) {
    let mut rng = SplitMix64(seed);
    let tasks: Vec<HybridTask> = (0..n)
        .map(|i| {
            let s = match rng.below(10) {
                0..=2 => Sensitivity::Confidential,
                3..=5 => Sensitivity::Internal,
                _ => Sensitivity::Public,
            };
            HybridTask {
                id: TaskId(i as u32),
                demand: vec![500 + rng.below(3_500), 1_024 + rng.below(15 * 1_024)],
                sensitivity: s,
            }
        })
        .collect();
    let total: u64 = tasks.iter().map(|t| t.demand[0]).sum();
    let per_agent = total * 3 / 2 / m as u64;
    let agents = (0..m)
        .map(|j| {
            let private = j % 3 == 0;
            let cpu = per_agent / 2 + rng.below(per_agent);
            HybridAgent {
                id: AgentId(j as u32),
                tier: if private { Tier::Private } else { Tier::Public },
                capacity: vec![cpu, cpu * 4],
                unit_cost: if private {
                    vec![0.0005 + 0.0005 * rng.unit(), 0.000_05]
                } else {
                    vec![0.001 + 0.002 * rng.unit(), 0.000_1]
                },
                fixed_cost: if private {
                    0.0
                } else {
                    5.0 + 15.0 * rng.unit()
                },
            }
        })
        .collect();
    (agents, tasks)
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("hybrid");
    g.sample_size(10);
    let (agents, tasks) = instance(1_000, 100, 1);
    let greedy = HybridOptions {
        max_iterations: 0,
        ..HybridOptions::default()
    };
    let full = HybridOptions {
        allow_internal_on_public: true,
        ..HybridOptions::default()
    };
    let greedy = HybridOptions {
        allow_internal_on_public: true,
        ..greedy
    };
    for (name, o) in [("greedy", &greedy), ("full", &full)] {
        let r = place_hybrid(&agents, &tasks, o).unwrap();
        eprintln!(
            "hybrid/{name}/1000x100: cost {:.2} (greedy {:.2}), bound {:.2} ({:?}), gap {:.1}%, {} unplaced, {} steps",
            r.total_cost,
            r.greedy_cost,
            r.lower_bound,
            r.bound,
            100.0 * r.gap,
            r.unplaced.len(),
            r.iterations
        );
        g.bench_function(format!("{name}/1000x100"), |b| {
            b.iter(|| place_hybrid(black_box(&agents), black_box(&tasks), o).unwrap())
        });
    }
    for (n, m) in [(100, 10), (200, 20)] {
        let (agents, tasks) = instance(n, m, 2);
        let lp = full.clone();
        let cheap = HybridOptions {
            lp_max_columns: 0,
            ..full.clone()
        };
        for (name, o) in [("lagrangian_bound", &cheap), ("lp_bound", &lp)] {
            let r = place_hybrid(&agents, &tasks, o).unwrap();
            eprintln!(
                "hybrid/{name}/{n}x{m}: cost {:.2}, bound {:.2} ({:?}, {} pivots), gap {:.1}%",
                r.total_cost,
                r.lower_bound,
                r.bound,
                r.lp_pivots,
                100.0 * r.gap
            );
            g.bench_function(format!("{name}/{n}x{m}"), |b| {
                b.iter(|| place_hybrid(black_box(&agents), black_box(&tasks), o).unwrap())
            });
        }
    }
    g.finish();
    let mut g = c.benchmark_group("heterogeneous");
    g.sample_size(10);
    let hosts: Vec<CostHost> = agents
        .iter()
        .map(|a| CostHost {
            id: a.id,
            capacity: a.capacity.clone(),
            cost: 1.0 + a.capacity[0] as f64 / 1_000.0,
        })
        .collect();
    let items: Vec<Vec<u64>> = tasks.iter().map(|t| t.demand.clone()).collect();
    let r = pack_heterogeneous(&hosts, &items, &HybridOptions::default()).unwrap();
    eprintln!(
        "heterogeneous/1000x100: cost {:.2} on {} hosts, bound {:.2} ({:?}), gap {:.1}%",
        r.total_cost,
        r.agents_used.len(),
        r.lower_bound,
        r.bound,
        100.0 * r.gap
    );
    g.bench_function("1000x100", |b| {
        b.iter(|| {
            pack_heterogeneous(
                black_box(&hosts),
                black_box(&items),
                &HybridOptions::default(),
            )
            .unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
