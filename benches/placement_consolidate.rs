//! Benchmarks for `agentsched::placement::consolidate`.
//!
//! - `plan/2000x20000`: a consolidation plan for 2,000 hosts (three sizes) and 20,000 items in
//!   three dimensions, placed at random so that hosts are 20-80% full, one item in 20 pinned;
//!   default options (up to 2 make-room moves per host).
//! - `plan_no_room/2000x20000`: the same without make-room moves, the baseline: the ratio is the
//!   price of the make-room search.
//! - `validate/2000x20000`: replaying the plan from first principles (`validate_plan`).
//!
//! The hosts emptied and migrations of both plans are printed once. Instances are deterministic
//! (SplitMix64).
//!
//! Run with `cargo bench --bench placement_consolidate -- --warm-up-time 1 --measurement-time 3`.

use agentsched::placement::consolidate::{
    Budget, ConsolidateOptions, Host, PlacedItem, plan_consolidation, validate_plan,
};
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

fn instance(m: usize, n: usize, seed: u64) -> (Vec<Host>, Vec<PlacedItem>) {
    let mut rng = SplitMix64(seed);
    // Millicores, MiB, GPUs: small, medium and large hosts.
    let shapes = [
        [16_000u64, 65_536, 1],
        [32_000, 131_072, 2],
        [64_000, 262_144, 8],
    ];
    let hosts: Vec<Host> = (0..m)
        .map(|h| Host {
            id: AgentId(h as u32),
            capacity: shapes[rng.below(3) as usize].to_vec(),
        })
        .collect();
    let mut used = vec![[0u64; 3]; m];
    let mut items = Vec::with_capacity(n);
    let mut i = 0u32;
    while items.len() < n {
        let demand = vec![
            250 + rng.below(4_000),
            512 + rng.below(16_384),
            u64::from(rng.below(10) == 0),
        ];
        let h = rng.below(m as u64) as usize;
        let cap = &hosts[h].capacity;
        // Leave at least 20% free so that the placement is a realistic, fragmented one.
        if (0..3).all(|r| (used[h][r] + demand[r]) * 5 <= cap[r] * 4) {
            for r in 0..3 {
                used[h][r] += demand[r];
            }
            items.push(PlacedItem {
                id: TaskId(i),
                cost: demand[1],
                demand,
                host: hosts[h].id,
                pinned: rng.below(20) == 0,
            });
        }
        i += 1;
    }
    (hosts, items)
}

fn bench(c: &mut Criterion) {
    let (hosts, items) = instance(2_000, 20_000, 42);
    let budget = Budget::default();
    let with_room = ConsolidateOptions::default();
    let no_room = ConsolidateOptions {
        max_room_moves_per_host: 0,
        ..with_room
    };
    let p = plan_consolidation(&hosts, &items, &budget, &with_room).unwrap();
    let q = plan_consolidation(&hosts, &items, &budget, &no_room).unwrap();
    validate_plan(&hosts, &items, &budget, &p).unwrap();
    validate_plan(&hosts, &items, &budget, &q).unwrap();
    let room_moves = p.migrations.iter().filter(|m| m.make_room).count();
    println!(
        "2000x20000: in use {} -> {} with make-room ({} migrations, {} make-room, cost {}); \
         {} -> {} without ({} migrations)",
        p.hosts_in_use_before,
        p.hosts_in_use_after,
        p.migrations.len(),
        room_moves,
        p.cost,
        q.hosts_in_use_before,
        q.hosts_in_use_after,
        q.migrations.len()
    );
    let mut fates = std::collections::BTreeMap::new();
    for r in &p.hosts {
        let name = format!("{:?}", r.fate);
        let kind = name.split([' ', '{']).next().unwrap_or("").to_string();
        *fates.entry(kind).or_insert(0usize) += 1;
    }
    println!("host fates: {fates:?}");
    let mut g = c.benchmark_group("consolidate");
    g.sample_size(10);
    g.bench_function("plan/2000x20000", |b| {
        b.iter(|| plan_consolidation(black_box(&hosts), black_box(&items), &budget, &with_room))
    });
    g.bench_function("plan_no_room/2000x20000", |b| {
        b.iter(|| plan_consolidation(black_box(&hosts), black_box(&items), &budget, &no_room))
    });
    g.bench_function("validate/2000x20000", |b| {
        b.iter(|| validate_plan(black_box(&hosts), black_box(&items), &budget, black_box(&p)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
