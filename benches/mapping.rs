//! Benchmarks for `agentsched::mapping::heuristics`.
//!
//! - `mct/32768x128` against `stream/32768x128` (sum every entry of the same matrix once), same
//!   run: the target is MCT <= 1.3x the stream.
//! - `min_min/{512x16,4096x64}/fast` (the library) against `.../naive` (the textbook O(n^2 m) loop,
//!   written here), same matrices, same results (checked before timing). Targets: 20 us and
//!   1.5 ms for the fast version.
//!
//! Matrices are deterministic: uniform in [1, 1000) from a seeded SplitMix64, task- and
//! machine-heterogeneous and inconsistent, like Braun's `u_i_hihi`.
//!
//! Run with `cargo bench --bench mapping -- --warm-up-time 1 --measurement-time 3`.

use agentsched::mapping::{EtcMatrix, heuristics};
use criterion::{Criterion, criterion_group, criterion_main};
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

/// A `tasks x machines` matrix: task weight times machine factor, both in [1, 1000) and
/// [1, 10), times a per-cell noise in [1, 2): heterogeneous and inconsistent.
fn matrix(tasks: usize, machines: usize, seed: u64) -> EtcMatrix {
    let mut rng = SplitMix64(seed);
    let factor: Vec<f64> = (0..machines).map(|_| 1.0 + 9.0 * rng.unit()).collect();
    let mut etc = Vec::with_capacity(tasks * machines);
    for _ in 0..tasks {
        let w = 1.0 + 999.0 * rng.unit();
        etc.extend(factor.iter().map(|f| w * f * (1.0 + rng.unit())));
    }
    EtcMatrix::new(tasks, machines, etc).unwrap()
}

/// The textbook Min-Min: scan every (unmapped task, machine) pair each step.
fn naive_min_min(etc: &EtcMatrix) -> Vec<usize> {
    let n = etc.tasks();
    let mut ready = etc.ready().to_vec();
    let mut assignment = vec![usize::MAX; n];
    for _ in 0..n {
        let mut best = (usize::MAX, 0, f64::INFINITY);
        for (t, _) in assignment
            .iter()
            .enumerate()
            .filter(|(_, a)| **a == usize::MAX)
        {
            for (p, (&r, &e)) in ready.iter().zip(etc.row(t)).enumerate() {
                let c = r + e;
                if c < best.2 {
                    best = (t, p, c);
                }
            }
        }
        assignment[best.0] = best.1;
        ready[best.1] = best.2;
    }
    assignment
}

/// One pass over the matrix: the floor for any O(n m) heuristic.
fn stream(etc: &EtcMatrix) -> f64 {
    (0..etc.tasks())
        .map(|t| etc.row(t).iter().sum::<f64>())
        .sum()
}

fn bench_mct(c: &mut Criterion) {
    let etc = matrix(32768, 128, 1);
    let mut g = c.benchmark_group("mct");
    g.bench_function("stream/32768x128", |b| b.iter(|| stream(black_box(&etc))));
    g.bench_function("mct/32768x128", |b| {
        b.iter(|| heuristics::mct(black_box(&etc)))
    });
    g.finish();
}

fn bench_min_min(c: &mut Criterion) {
    let mut g = c.benchmark_group("min_min");
    for (n, m) in [(512, 16), (4096, 64)] {
        let etc = matrix(n, m, 2);
        assert_eq!(heuristics::min_min(&etc).assignment, naive_min_min(&etc));
        g.bench_function(format!("{n}x{m}/fast"), |b| {
            b.iter(|| heuristics::min_min(black_box(&etc)))
        });
        if n <= 512 || std::env::var_os("MAPPING_BENCH_NAIVE").is_some() {
            g.bench_function(format!("{n}x{m}/naive"), |b| {
                b.iter(|| naive_min_min(black_box(&etc)))
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench_mct, bench_min_min);
criterion_main!(benches);
