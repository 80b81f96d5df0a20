//! Benchmarks for `agentsched::placement::vbp`.
//!
//! - `ffd/10k/tree` (the library: first fit on a segment tree over the bins' free space) against
//!   `ffd/10k/scan` (every open bin scanned per item), same run, same packing (checked before
//!   timing): 10,000 2-D items, each dimension in [1, 60] of 100, into about 3,000 hosts. Target:
//!   the tree version <= 1 ms.
//! - `quality/*`: `best` (heuristics, improvement, bin completion with the default budget)
//!   against FFD in the same run, on one Falkenauer triplet instance (t120), one uniform (u250)
//!   and one 2-D instance of 200 items; the bins of each are printed first.
//! - `ffd/10k-1d/{tree,scan}`: the same in one dimension (sizes in [1, 60] of 100);
//!   `ffd/10k-1d/bound`: the Martello-Toth bound alone, which every packing carries.
//! - `ffd/10k-3d/{tree,scan}`: 10,000 3-D items, each dimension in [1, 60] of 100.
//! - `improve/2k`: the improvement phase on FFD's packing of 2,000 such items (bounded by
//!   `IMPROVE_WORK`).
//!
//! - Before each `ffd` group, the minimum over repeated runs of tree and scan (in the same
//!   process, interleaved), less sensitive than the median to other load on the machine.
//!
//! Run with `cargo bench --bench placement_vbp -- --warm-up-time 1 --measurement-time 3`.

use agentsched::placement::completion::{self, Budget};
use agentsched::placement::vbp::{self, SizeMeasure, VbpInstance};
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
}

fn instance(n: usize, seed: u64) -> VbpInstance {
    instance_d(n, 2, seed)
}

fn instance_d(n: usize, d: usize, seed: u64) -> VbpInstance {
    let mut rng = SplitMix64(seed);
    let demand: Vec<u64> = (0..d * n).map(|_| 1 + rng.next_u64() % 60).collect();
    VbpInstance::from_flat(vec![100; d], demand).unwrap()
}

/// Prints the minimum wall time of `runs` runs each of the index FFD and the scan, interleaved.
fn min_of_runs(name: &str, inst: &VbpInstance, runs: usize) {
    let mut best = [std::time::Duration::MAX; 2];
    for _ in 0..runs {
        let t = std::time::Instant::now();
        black_box(vbp::first_fit_decreasing(black_box(inst), SizeMeasure::Sum));
        best[0] = best[0].min(t.elapsed());
        let t = std::time::Instant::now();
        black_box(vbp::first_fit_decreasing_scan(
            black_box(inst),
            SizeMeasure::Sum,
        ));
        best[1] = best[1].min(t.elapsed());
    }
    println!(
        "{name}: min of {runs} runs: tree {:.3} ms, scan {:.3} ms ({:.1}x)",
        best[0].as_secs_f64() * 1e3,
        best[1].as_secs_f64() * 1e3,
        best[1].as_secs_f64() / best[0].as_secs_f64()
    );
}

fn bench(c: &mut Criterion) {
    let inst = instance(10_000, 42);
    let tree = vbp::first_fit_decreasing(&inst, SizeMeasure::Sum);
    let scan = vbp::first_fit_decreasing_scan(&inst, SizeMeasure::Sum);
    assert_eq!(tree, scan);
    println!(
        "ffd/10k: {} hosts, lower bound {}",
        tree.hosts(),
        tree.lower_bound
    );
    min_of_runs("ffd/10k", &inst, 20);
    let mut g = c.benchmark_group("ffd/10k");
    g.bench_function("tree", |b| {
        b.iter(|| vbp::first_fit_decreasing(black_box(&inst), SizeMeasure::Sum))
    });
    g.bench_function("scan", |b| {
        b.iter(|| vbp::first_fit_decreasing_scan(black_box(&inst), SizeMeasure::Sum))
    });
    g.finish();

    // one dimension: the descent never backtracks
    let demand: Vec<u64> = (0..10_000u64).map(|i| 1 + (i * 7_919 + 13) % 60).collect();
    let one = VbpInstance::from_flat(vec![100], demand).unwrap();
    assert_eq!(
        vbp::first_fit_decreasing(&one, SizeMeasure::Sum),
        vbp::first_fit_decreasing_scan(&one, SizeMeasure::Sum)
    );
    min_of_runs("ffd/10k-1d", &one, 20);
    let mut g = c.benchmark_group("ffd/10k-1d");
    g.bench_function("tree", |b| {
        b.iter(|| vbp::first_fit_decreasing(black_box(&one), SizeMeasure::Sum))
    });
    g.bench_function("scan", |b| {
        b.iter(|| vbp::first_fit_decreasing_scan(black_box(&one), SizeMeasure::Sum))
    });
    // the part of either that is not first fit: the Martello-Toth bound every packing carries
    g.bench_function("bound", |b| b.iter(|| vbp::lower_bound(black_box(&one))));
    g.finish();

    let three = instance_d(10_000, 3, 42);
    let tree = vbp::first_fit_decreasing(&three, SizeMeasure::Sum);
    assert_eq!(
        tree,
        vbp::first_fit_decreasing_scan(&three, SizeMeasure::Sum)
    );
    println!(
        "ffd/10k-3d: {} hosts, lower bound {}",
        tree.hosts(),
        tree.lower_bound
    );
    min_of_runs("ffd/10k-3d", &three, 20);
    let mut g = c.benchmark_group("ffd/10k-3d");
    g.bench_function("tree", |b| {
        b.iter(|| vbp::first_fit_decreasing(black_box(&three), SizeMeasure::Sum))
    });
    g.bench_function("scan", |b| {
        b.iter(|| vbp::first_fit_decreasing_scan(black_box(&three), SizeMeasure::Sum))
    });
    g.finish();

    let small = instance(2_000, 7);
    let ffd = vbp::first_fit_decreasing(&small, SizeMeasure::Sum);
    let better = vbp::improve(&small, &ffd).unwrap();
    println!(
        "improve/2k: {} -> {} hosts, lower bound {}",
        ffd.hosts(),
        better.hosts(),
        ffd.lower_bound
    );
    let mut g = c.benchmark_group("improve");
    g.sample_size(10);
    g.bench_function("2k", |b| b.iter(|| vbp::improve(black_box(&small), &ffd)));
    g.finish();
}

/// Falkenauer's triplets (bins of 1000, optimum n / 3), as in tests/placement_vbp.rs.
fn triplets(n: usize, seed: u64) -> VbpInstance {
    let mut rng = SplitMix64(seed);
    let mut range = |lo: u64, hi: u64| lo + rng.next_u64() % (hi - lo + 1);
    let mut items = Vec::with_capacity(n);
    for _ in 0..n / 3 {
        let a = range(380, 490);
        let b = range(250, 1000 - a - 250);
        items.extend([a, b, 1000 - a - b]);
    }
    for i in (1..items.len()).rev() {
        let j = (range(0, i as u64)) as usize;
        items.swap(i, j);
    }
    VbpInstance::from_flat(vec![1000], items).unwrap()
}

fn quality(c: &mut Criterion) {
    let mut rng = SplitMix64(11);
    let uniform: Vec<u64> = (0..250).map(|_| 20 + rng.next_u64() % 81).collect();
    let cases = [
        ("t120", triplets(120, 1000)),
        ("u250", VbpInstance::from_flat(vec![150], uniform).unwrap()),
        ("2d-200", instance(200, 5)),
    ];
    let mut g = c.benchmark_group("quality");
    g.sample_size(10);
    for (name, inst) in &cases {
        let ffd = vbp::first_fit_decreasing(inst, SizeMeasure::Sum);
        let best = vbp::best(inst);
        let bc = completion::bin_completion(inst, &Budget::default());
        println!(
            "quality/{name}: lower bound {}, ffd {}, bin_completion {}, best {} (proven bound {})",
            vbp::lower_bound(inst),
            ffd.hosts(),
            bc.hosts(),
            best.hosts(),
            best.lower_bound
        );
        g.bench_function(format!("{name}/ffd"), |b| {
            b.iter(|| vbp::first_fit_decreasing(black_box(inst), SizeMeasure::Sum))
        });
        g.bench_function(format!("{name}/best"), |b| {
            b.iter(|| vbp::best(black_box(inst)))
        });
    }
    g.finish();
}

criterion_group!(benches, bench, quality);
criterion_main!(benches);
