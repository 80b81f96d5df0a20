//! Benchmarks for `agentsched::dag` list scheduling (HEFT, CPoP, lookahead).
//!
//! - `heft/30x4`, `cpop/30x4`, `lookahead/30x4`, `heft-ls/30x4`: a random layered graph of 30
//!   tasks on 4 related agents (target: HEFT <= 20 us).
//! - `heft/20000x16`, `cpop/20000x16`: a random layered graph of 20,000 tasks (about 2 edges per
//!   task) on 16 related agents (target: well under a second), against `times/20000` (the CPM
//!   pass, `dag::times`, on the same graph) in the same run for the ratio.
//! - `heft/montage-20000x16`: a Montage-shaped graph of the same size.
//! - `fan-in/heft/20000x4`, `fan-in/lookahead/20000x4`: 20,000 sources into one sink on 4
//!   related agents (the lookahead's tentative placements of the sink must not rescan its
//!   20,000 predecessors: target a small multiple of HEFT, `m (1 + E/V)` = 8).
//!
//! Graphs come from the seeded generators of `tests/dag_families`.
//!
//! Run with `cargo bench --bench dag_list -- --warm-up-time 1 --measurement-time 3`.

#[path = "../tests/dag_families/mod.rs"]
mod dag_families;

use agentsched::TaskId;
use agentsched::dag::{Delays, TaskGraph, cpop, heft, heft_lookahead, heft_ls, times};
use criterion::{Criterion, criterion_group, criterion_main};
use dag_families::{family, related_platform};
use std::hint::black_box;

fn small(c: &mut Criterion) {
    let dag = family("layered", 30, 1.0, 1);
    let p = related_platform(4, 1);
    c.bench_function("heft/30x4", |b| {
        b.iter(|| heft(black_box(&dag), &p).unwrap())
    });
    c.bench_function("cpop/30x4", |b| {
        b.iter(|| cpop(black_box(&dag), &p).unwrap())
    });
    c.bench_function("lookahead/30x4", |b| {
        b.iter(|| heft_lookahead(black_box(&dag), &p).unwrap())
    });
    c.bench_function("heft-ls/30x4", |b| {
        b.iter(|| heft_ls(black_box(&dag), &p).unwrap())
    });
}

fn large(c: &mut Criterion) {
    let dag = family("layered", 20_000, 1.0, 2);
    let p = related_platform(16, 2);
    eprintln!(
        "layered: {} tasks, {} edges",
        dag.task_count(),
        dag.edge_count()
    );
    let mut g = c.benchmark_group("large");
    g.sample_size(10);
    g.bench_function("times/20000", |b| {
        b.iter(|| times(black_box(&dag), Delays::Data))
    });
    g.bench_function("heft/20000x16", |b| {
        b.iter(|| heft(black_box(&dag), &p).unwrap())
    });
    g.bench_function("cpop/20000x16", |b| {
        b.iter(|| cpop(black_box(&dag), &p).unwrap())
    });
    let montage = family("montage", 20_000, 1.0, 2);
    eprintln!(
        "montage: {} tasks, {} edges",
        montage.task_count(),
        montage.edge_count()
    );
    g.bench_function("heft/montage-20000x16", |b| {
        b.iter(|| heft(black_box(&montage), &p).unwrap())
    });
    g.finish();
}

fn fan_in(c: &mut Criterion) {
    let k = 20_000u32;
    let dag = TaskGraph::from_parts(
        (0..=k).map(|i| (TaskId(i), 1.0 + (i % 13) as f64)),
        (0..k).map(|i| (TaskId(i), TaskId(k), 1.0 + (i % 5) as f64)),
    )
    .unwrap()
    .freeze()
    .unwrap();
    let p = related_platform(4, 3);
    let mut g = c.benchmark_group("fan-in");
    g.sample_size(10);
    g.bench_function("heft/20000x4", |b| {
        b.iter(|| heft(black_box(&dag), &p).unwrap())
    });
    g.bench_function("lookahead/20000x4", |b| {
        b.iter(|| heft_lookahead(black_box(&dag), &p).unwrap())
    });
    g.finish();
}

criterion_group!(benches, small, large, fan_in);
criterion_main!(benches);
