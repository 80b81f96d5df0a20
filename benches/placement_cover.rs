//! Benchmarks for `agentsched::placement::cover` (renting nodes to cover a demand vector).
//!
//! Instances: offers with three capacities in [1, 64] and a cost that is the capacities priced
//! at 1.0 / 0.5 / 2.0 per unit, times a factor in [0.8, 1.2], plus a fixed 4.0 per node
//! (correlated costs: the hard case of knapsack-like problems); the demand is 30% of all the
//! offers' capacity in each dimension.
//!
//! - A report first (printed, not timed by criterion): for 20, 30 and 40 offers, 20 instances
//!   each, the branch and bound with 1,000,000 nodes and 2 s: the proven-optimal rate, the mean
//!   and largest time and nodes; on the proven ones, the heuristic's gap to the optimum and the
//!   root bound's gap.
//! - `bnb/30`, `bnb/40`: the branch and bound on one instance each, against `heuristic/30`,
//!   `heuristic/40` on the same instances (the baseline: what the exact answer costs more).
//! - `heuristic/10k`: the heuristic on 10,000 offers, against `bound/10k` (the lower bound
//!   alone, on the same instance).
//!
//! Run with `cargo bench --bench placement_cover -- --warm-up-time 1 --measurement-time 3`.

use agentsched::placement::cover::{
    CoverInstance, CoverOptions, Offer, branch_and_bound, heuristic, lower_bound,
};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// SplitMix64: a tiny deterministic generator (no `rand` dependency).
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

fn instance(n: usize, seed: u64) -> CoverInstance {
    let mut rng = SplitMix64(seed);
    let price = [1.0, 0.5, 2.0];
    let offers: Vec<Offer> = (0..n)
        .map(|i| {
            let a: Vec<u64> = (0..3).map(|_| 1 + rng.next_u64() % 64).collect();
            let base: f64 = a.iter().zip(price).map(|(&a, p)| a as f64 * p).sum();
            let noise = 0.8 + (rng.next_u64() % 401) as f64 / 1000.0;
            Offer::new(i as u32, a, 4.0 + base * noise)
        })
        .collect();
    let demand = (0..3)
        .map(|k| offers.iter().map(|o| o.capacity[k]).sum::<u64>() * 3 / 10)
        .collect();
    CoverInstance::new(offers, demand).unwrap()
}

fn report() {
    let opts = CoverOptions {
        node_budget: Some(1_000_000),
        time_limit: Some(Duration::from_secs(2)),
    };
    for n in [20usize, 30, 40] {
        let (mut proven, mut t_sum, mut t_max, mut nodes_sum, mut nodes_max) =
            (0, 0.0, 0.0f64, 0u64, 0u64);
        let (mut h_gap_sum, mut h_gap_max, mut h_opt, mut lb_gap_sum) = (0.0, 0.0f64, 0, 0.0);
        let runs = 20;
        for seed in 0..runs {
            let inst = instance(n, 1_000 + seed);
            let t0 = Instant::now();
            let e = branch_and_bound(&inst, &opts).unwrap();
            let t = t0.elapsed().as_secs_f64();
            t_sum += t;
            t_max = t_max.max(t);
            nodes_sum += e.nodes;
            nodes_max = nodes_max.max(e.nodes);
            if e.proven_optimal {
                proven += 1;
                let h = heuristic(&inst, &CoverOptions::default()).unwrap();
                let g = (h.cost - e.cost) / e.cost;
                h_gap_sum += g;
                h_gap_max = h_gap_max.max(g);
                if g <= 1e-9 {
                    h_opt += 1;
                }
                lb_gap_sum += (e.cost - lower_bound(&inst).unwrap()) / e.cost;
            }
        }
        let r = runs as f64;
        let p = f64::from(proven).max(1.0);
        println!(
            "cover n={n} d=3: proven {proven}/{runs}; bnb time mean {:.2} ms max {:.2} ms; nodes mean {:.0} max {nodes_max}; \
             heuristic gap to optimum mean {:.2}% max {:.2}% (optimal {h_opt}/{proven}); root bound gap mean {:.2}%",
            1e3 * t_sum / r,
            1e3 * t_max,
            nodes_sum as f64 / r,
            100.0 * h_gap_sum / p,
            100.0 * h_gap_max,
            100.0 * lb_gap_sum / p,
        );
    }
    let big = instance(10_000, 7);
    let t0 = Instant::now();
    let h = heuristic(&big, &CoverOptions::default()).unwrap();
    println!(
        "cover n=10000 d=3: heuristic {:.1} ms, {} nodes rented, cost {:.1}, bound {:.1}, gap {:.3}%",
        1e3 * t0.elapsed().as_secs_f64(),
        h.chosen.len(),
        h.cost,
        h.lower_bound,
        100.0 * h.gap()
    );
}

fn bench(c: &mut Criterion) {
    report();
    let unlimited = CoverOptions::default();
    let mut g = c.benchmark_group("cover");
    g.sample_size(10);
    for n in [30usize, 40] {
        let inst = instance(n, 1_000);
        g.bench_function(format!("bnb/{n}"), |b| {
            b.iter(|| branch_and_bound(black_box(&inst), &unlimited).unwrap())
        });
        g.bench_function(format!("heuristic/{n}"), |b| {
            b.iter(|| heuristic(black_box(&inst), &unlimited).unwrap())
        });
    }
    let big = instance(10_000, 7);
    g.bench_function("heuristic/10k", |b| {
        b.iter(|| heuristic(black_box(&big), &unlimited).unwrap())
    });
    g.bench_function("bound/10k", |b| {
        b.iter(|| lower_bound(black_box(&big)).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
