//! Benchmarks for `agentsched::queue` at one million entries.
//!
//! - `indexed_heap/change_key_1m`: re-key a random id to a random key.
//! - `push_pop_1m/*`: the "hold" model (pop the minimum, push it back with its key plus a random
//!   increment) on [`IndexedHeap`] and on `std::collections::BinaryHeap<Reverse<(u64, u32)>>`,
//!   same keys, same run.
//! - `task_queue/priority_fifo_1m`: pop a task, forget it, insert a new one under the same id.
//!
//! Run with `cargo bench --bench queue -- --warm-up-time 1 --measurement-time 3`.

use agentsched::queue::{Discipline, IndexedHeap, QueueItem, TaskQueue};
use criterion::{Criterion, criterion_group, criterion_main};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;

const N: u32 = 1_000_000;

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

    /// Uniform in `0..n` (multiply-shift, no division).
    fn below(&mut self, n: u32) -> u32 {
        (((self.next_u64() >> 32) * u64::from(n)) >> 32) as u32
    }

    /// A key increment for the hold model, uniform in `0..2^40`.
    fn increment(&mut self) -> u64 {
        self.next_u64() >> 24
    }
}

fn print_memory() {
    let entry = size_of::<(u64, u32)>();
    eprintln!(
        "IndexedHeap<u64>: {entry} bytes per heap entry + {} per position slot = {} bytes per id \
         (TaskQueue: see the unit test queue::discipline::tests::memory_per_queued_task)",
        size_of::<u32>(),
        entry + size_of::<u32>()
    );
}

fn change_key(c: &mut Criterion) {
    print_memory();
    // For scale: the same operation on a heap that fits in the L2 cache.
    let mut rng = SplitMix64(1);
    let small = 10_000;
    let mut heap = IndexedHeap::with_capacity(small as usize);
    for id in 0..small {
        heap.push(id, rng.next_u64()).expect("fresh id");
    }
    c.bench_function("indexed_heap/change_key_10k", |b| {
        b.iter(|| {
            let id = rng.below(small);
            let key = rng.next_u64();
            black_box(heap.change_key(id, key).expect("known id"));
        })
    });

    let mut heap = IndexedHeap::with_capacity(N as usize);
    for id in 0..N {
        heap.push(id, rng.next_u64()).expect("fresh id");
    }
    // Baseline: the memory latency of finding a random id's key (two dependent random reads).
    c.bench_function("indexed_heap/key_lookup_1m", |b| {
        b.iter(|| black_box(heap.key(rng.below(N))))
    });
    c.bench_function("indexed_heap/change_key_1m", |b| {
        b.iter(|| {
            let id = rng.below(N);
            let key = rng.next_u64();
            black_box(heap.change_key(id, key).expect("known id"));
        })
    });
}

fn push_pop(c: &mut Criterion) {
    let mut g = c.benchmark_group("push_pop_1m");

    let mut rng = SplitMix64(2);
    let mut heap = IndexedHeap::with_capacity(N as usize);
    for id in 0..N {
        heap.push(id, rng.increment()).expect("fresh id");
    }
    g.bench_function("indexed_heap", |b| {
        b.iter(|| {
            let (id, key) = heap.pop().expect("non-empty");
            heap.push(id, key + rng.increment()).expect("popped id");
        })
    });
    drop(heap);

    let mut rng = SplitMix64(2);
    let mut std_heap = BinaryHeap::with_capacity(N as usize);
    for id in 0..N {
        std_heap.push(Reverse((rng.increment(), id)));
    }
    g.bench_function("std_binary_heap", |b| {
        b.iter(|| {
            let Reverse((key, id)) = std_heap.pop().expect("non-empty");
            std_heap.push(Reverse((key + rng.increment(), id)));
        })
    });
    g.finish();
}

fn task_queue(c: &mut Criterion) {
    let mut rng = SplitMix64(3);
    let mut seq = 0u64;
    let mut next_item = |rng: &mut SplitMix64| {
        seq += 1;
        let priority = rng.below(8) as i32;
        let duration = f64::from(rng.below(3600));
        QueueItem::new(priority, duration, seq as f64, seq)
    };
    let mut q = TaskQueue::new(Discipline::PriorityFifo).expect("valid discipline");
    for id in 0..N {
        q.insert(id, next_item(&mut rng)).expect("fresh id");
    }
    c.bench_function("task_queue/priority_fifo_1m", |b| {
        b.iter(|| {
            let id = q.pop().expect("non-empty");
            q.remove(id).expect("known id");
            q.insert(id, next_item(&mut rng)).expect("fresh id");
        })
    });
}

criterion_group!(benches, change_key, push_pop, task_queue);
criterion_main!(benches);
