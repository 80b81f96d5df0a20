//! Benchmarks for `agentsched::dag::times` (CPM: earliest/latest times, slack, critical path).
//!
//! The graph: 1,000,000 tasks and 4,000,000 edges, each task with 4 predecessors drawn mostly
//! from the recent past (a window of 4,096 tasks, like the layers of a workflow) and one in eight
//! from anywhere before it. Durations in [1, 100), data in [0, 10).
//!
//! - `times/none` and `times/data`: the library (both passes, slack, the critical path, the
//!   result vectors allocated inside the timed region), without and with edge delays.
//! - `stream/none` and `stream/data`: the baseline, one streaming pass over the same edge
//!   arrays (`from`, `to`, and `data` for the delayed case, in insertion order) doing one
//!   max-plus relaxation per edge into a freshly allocated vector; on these edges (inserted by
//!   target) that single pass is exactly the forward pass of CPM. Target: `times` <= 1.25x
//!   `stream` in the same run.
//! - `times_shuffled/none`: the same graph inserted in a shuffled task order, so that the frozen
//!   `Dag` carries a permutation (results are scattered back to task indices).
//!
//! Run with `cargo bench --bench dag_times -- --warm-up-time 1 --measurement-time 5`.

use agentsched::TaskId;
use agentsched::dag::{Delays, TaskGraph, times};
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

const TASKS: usize = 1_000_000;
const PREDS: usize = 4;
const WINDOW: u64 = 4_096;

/// `(durations, from, to, data)`: edges grouped by target, ascending.
#[allow(clippy::type_complexity)]
fn workload() -> (Vec<f64>, Vec<u32>, Vec<u32>, Vec<f64>) {
    let mut rng = SplitMix64(42);
    let durations: Vec<f64> = (0..TASKS).map(|_| 1.0 + 99.0 * rng.unit()).collect();
    let (mut from, mut to, mut data) = (Vec::new(), Vec::new(), Vec::new());
    for v in PREDS as u64..TASKS as u64 {
        let mut picked = [u64::MAX; PREDS];
        for k in 0..PREDS {
            loop {
                let u = if rng.below(8) == 0 {
                    rng.below(v)
                } else {
                    v - 1 - rng.below(WINDOW.min(v))
                };
                if !picked[..k].contains(&u) {
                    picked[k] = u;
                    break;
                }
            }
        }
        for u in picked {
            from.push(u as u32);
            to.push(v as u32);
            data.push(10.0 * rng.unit());
        }
    }
    (durations, from, to, data)
}

fn graph(
    d: &[f64],
    from: &[u32],
    to: &[u32],
    data: &[f64],
    label: impl Fn(usize) -> u32,
) -> TaskGraph {
    let mut g = TaskGraph::with_capacity(d.len(), from.len());
    let mut by_label: Vec<usize> = (0..d.len()).collect();
    by_label.sort_by_key(|&i| label(i));
    for i in by_label {
        g.add_task(TaskId(label(i)), d[i]).unwrap();
    }
    for e in 0..from.len() {
        g.add_edge(
            TaskId(label(from[e] as usize)),
            TaskId(label(to[e] as usize)),
            data[e],
        )
        .unwrap();
    }
    g
}

/// One max-plus relaxation per edge, streaming the edge arrays once.
fn stream(n: usize, d: &[f64], from: &[u32], to: &[u32], data: Option<&[f64]>) -> f64 {
    let mut start = vec![0.0f64; n];
    match data {
        None => {
            for (&u, &v) in from.iter().zip(to) {
                let f = start[u as usize] + d[u as usize];
                let s = &mut start[v as usize];
                if f > *s {
                    *s = f;
                }
            }
        }
        Some(w) => {
            for ((&u, &v), &w) in from.iter().zip(to).zip(w) {
                let f = start[u as usize] + d[u as usize] + w;
                let s = &mut start[v as usize];
                if f > *s {
                    *s = f;
                }
            }
        }
    }
    start.iter().zip(d).map(|(s, d)| s + d).fold(0.0, f64::max)
}

fn bench(c: &mut Criterion) {
    let (d, from, to, data) = workload();
    let g = graph(&d, &from, &to, &data, |i| i as u32);
    let dag = g.freeze().unwrap();
    // Same answers before timing anything.
    for (delays, w) in [(Delays::None, None), (Delays::Data, Some(&data[..]))] {
        let t = times(&dag, delays);
        let s = stream(TASKS, &d, &from, &to, w);
        assert_eq!(t.makespan, s);
    }
    let mut group = c.benchmark_group("dag_times");
    group.sample_size(20);
    group.bench_function("stream/none", |b| {
        b.iter(|| black_box(stream(TASKS, &d, &from, &to, None)))
    });
    group.bench_function("times/none", |b| {
        b.iter(|| black_box(times(&dag, Delays::None).makespan))
    });
    group.bench_function("stream/data", |b| {
        b.iter(|| black_box(stream(TASKS, &d, &from, &to, Some(&data))))
    });
    group.bench_function("times/data", |b| {
        b.iter(|| black_box(times(&dag, Delays::Data).makespan))
    });
    drop(dag);
    drop(g);
    // A fixed pseudo-random relabelling: insertion by label is no longer topological.
    let mut labels: Vec<u32> = (0..TASKS as u32).collect();
    let mut rng = SplitMix64(7);
    for i in (1..TASKS).rev() {
        labels.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let shuffled = graph(&d, &from, &to, &data, |i| labels[i])
        .freeze()
        .unwrap();
    group.bench_function("times_shuffled/none", |b| {
        b.iter(|| black_box(times(&shuffled, Delays::None).makespan))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
