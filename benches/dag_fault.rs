//! Benchmarks for `agentsched::dag::fault`.
//!
//! - `fault/times/100k` (plain CPM, `times`) against `fault/expected_times/100k` (validating the
//!   specs, expected durations, then the same CPM), same 100,000-task, 400,000-edge graph, same
//!   run: the price of the fault model as a ratio. `fault/expected_durations/100k` isolates it,
//!   against `fault/read_specs/100k`, a sum over every attempt of every spec (the floor of any
//!   pass over the specs, whose backups are separate heap allocations).
//! - `fault/monte_carlo/{1k,100k}`: simulated makespan samples per second (`Throughput` in
//!   samples), each an O(V + E) longest-path pass.
//! - `fault/exact/1k_x_4096`: exact enumeration, scenarios per second (12 uncertain tasks with 2
//!   outcomes in a 1,000-task graph).
//!
//! Graphs are deterministic (SplitMix64): every task but the first few has 4 distinct
//! predecessors drawn uniformly among the earlier tasks; durations in [1, 10); primary failures
//! in [0, 0.1), one or two backups.
//!
//! Run with `cargo bench --bench dag_fault -- --warm-up-time 1 --measurement-time 3`.

use agentsched::TaskId;
use agentsched::dag::{
    Dag, Delays, FailureModel, FaultSpec, MakespanOptions, TaskGraph, expected_durations,
    expected_makespan, expected_times, times,
};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

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

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `n` tasks, each with up to `fan` distinct earlier predecessors.
fn graph(n: usize, fan: usize, seed: u64) -> Dag {
    let mut rng = SplitMix64(seed);
    let mut g = TaskGraph::with_capacity(n, n * fan);
    for i in 0..n {
        g.add_task(TaskId(i as u32), 1.0 + 9.0 * rng.unit())
            .unwrap();
    }
    let mut preds = Vec::with_capacity(fan);
    for v in 1..n {
        preds.clear();
        while preds.len() < fan.min(v) {
            let u = (rng.unit() * v as f64) as usize;
            if !preds.contains(&u) {
                preds.push(u);
            }
        }
        for &u in &preds {
            g.add_edge(TaskId(u as u32), TaskId(v as u32), rng.unit())
                .unwrap();
        }
    }
    g.freeze().unwrap()
}

fn specs(n: usize, seed: u64) -> Vec<FaultSpec> {
    let mut rng = SplitMix64(seed);
    (0..n)
        .map(|_| {
            let mut s = FaultSpec::new(0.1 * rng.unit()).with_backup(2.0 + 10.0 * rng.unit(), 0.05);
            if rng.unit() < 0.5 {
                s = s.with_backup(5.0 + 10.0 * rng.unit(), 0.0);
            }
            s
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let n = 100_000;
    let dag = graph(n, 4, 1);
    assert_eq!(dag.edge_count(), 4 * n - 10);
    let sp = specs(n, 2);
    let model = FailureModel::Replacement;
    let mut g = c.benchmark_group("fault");
    g.sample_size(20);
    g.bench_function("times/100k", |b| {
        b.iter(|| times(black_box(&dag), Delays::None))
    });
    g.bench_function("expected_times/100k", |b| {
        b.iter(|| expected_times(black_box(&dag), &sp, model, Delays::None).unwrap())
    });
    g.bench_function("expected_durations/100k", |b| {
        b.iter(|| expected_durations(black_box(&dag), &sp, model).unwrap())
    });
    // The floor of anything that reads every attempt once: a sum over the specs.
    g.bench_function("read_specs/100k", |b| {
        b.iter(|| {
            black_box(&sp)
                .iter()
                .map(|s| s.failure + s.backups.iter().map(|b| b.time + b.failure).sum::<f64>())
                .sum::<f64>()
        })
    });
    for (name, dag, sp, samples) in [
        ("1k", graph(1_000, 4, 3), specs(1_000, 4), 1_000u64),
        ("100k", dag.clone(), sp.clone(), 40),
    ] {
        g.throughput(Throughput::Elements(samples));
        let opts = MakespanOptions {
            max_scenarios: 0,
            samples,
            seed: 5,
        };
        g.bench_function(format!("monte_carlo/{name}"), |b| {
            b.iter(|| expected_makespan(black_box(&dag), &sp, model, Delays::None, &opts).unwrap())
        });
    }
    // 12 tasks with a primary (fails 1 in 2) and a certain backup; every other task reliable.
    let small = graph(1_000, 4, 6);
    let mut sp = vec![FaultSpec::reliable(); 1_000];
    for i in 0..12 {
        sp[i * 80] = FaultSpec::new(0.5).with_backup(20.0, 0.0);
    }
    g.throughput(Throughput::Elements(4096));
    g.bench_function("exact/1k_x_4096", |b| {
        b.iter(|| {
            expected_makespan(
                black_box(&small),
                &sp,
                model,
                Delays::None,
                &MakespanOptions::default(),
            )
            .unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
