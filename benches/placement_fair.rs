//! Benchmarks for `agentsched::placement::fair`.
//!
//! - `drf/event/{n}x4`: continuous weighted DRF, event-driven (`drf`), against
//!   `drf/naive/{n}x4`, the same progressive filling recomputing every tenant's consumption rate
//!   at each event (`O((n + d) n d)`), the textbook loop; the two results are checked to agree.
//! - `drf_discrete/{n}x4`: the per-task Algorithm 1 (about 50 tasks per tenant).
//! - `max_tasks/{n}x4`: the task-maximising LP (bounded simplex).
//! - `max_min_fair/{n}`: water-filling on one resource.
//!
//! Instances are deterministic (SplitMix64): 4 dimensions of capacity 1e6-scale, demands
//! 1..1,000 per dimension, weights 1..4, a third of the tenants capped.
//!
//! Run with `cargo bench --bench placement_fair -- --warm-up-time 1 --measurement-time 3`.

use agentsched::placement::fair::{Stop, Tenant, drf, drf_discrete, max_min_fair, max_tasks};
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

fn instance(n: usize, seed: u64) -> (Vec<u64>, Vec<Tenant>) {
    let mut rng = SplitMix64(seed);
    // About 50 tasks per tenant on average at the fair share.
    let cap: Vec<u64> = (0..DIMS)
        .map(|_| (n as u64) * 500 * 50 / 2 + rng.below(1_000))
        .collect();
    let tenants = (0..n)
        .map(|_| {
            let demand = (0..DIMS).map(|_| 1 + rng.below(1_000)).collect();
            let t = Tenant::new(demand).weight((1 + rng.below(4)) as f64);
            if rng.below(3) == 0 {
                t.max_tasks(rng.below(60))
            } else {
                t
            }
        })
        .collect();
    (cap, tenants)
}

/// Progressive filling, recomputing every rate from scratch at each event.
fn drf_naive(cap: &[u64], tenants: &[Tenant]) -> Vec<f64> {
    let n = tenants.len();
    let d = cap.len();
    let share: Vec<f64> = tenants
        .iter()
        .map(|t| {
            t.demand
                .iter()
                .zip(cap)
                .map(|(&q, &c)| q as f64 / c as f64)
                .fold(0.0, f64::max)
        })
        .collect();
    let mut x = vec![0.0; n];
    let mut running: Vec<bool> = tenants.iter().map(|t| t.max_tasks != Some(0)).collect();
    let mut saturated = vec![false; d];
    while running.iter().any(|&r| r) {
        let mut rate = vec![0.0; d];
        let mut used = vec![0.0; d];
        let mut step = f64::INFINITY;
        for i in 0..n {
            let speed = tenants[i].weight / share[i];
            for r in 0..d {
                used[r] += tenants[i].demand[r] as f64 * x[i];
                if running[i] {
                    rate[r] += tenants[i].demand[r] as f64 * speed;
                }
            }
            if running[i] {
                if let Some(m) = tenants[i].max_tasks {
                    step = step.min((m as f64 - x[i]) / speed);
                }
            }
        }
        for r in 0..d {
            if !saturated[r] && rate[r] > 0.0 {
                step = step.min(((cap[r] as f64 - used[r]) / rate[r]).max(0.0));
            }
        }
        for r in 0..d {
            used[r] += rate[r] * step;
            if rate[r] > 0.0 && used[r] >= cap[r] as f64 * (1.0 - 1e-12) {
                saturated[r] = true;
            }
        }
        for i in 0..n {
            if !running[i] {
                continue;
            }
            x[i] += step * tenants[i].weight / share[i];
            let capped = tenants[i]
                .max_tasks
                .is_some_and(|m| x[i] >= m as f64 * (1.0 - 1e-12));
            let blocked = (0..d).any(|r| saturated[r] && tenants[i].demand[r] > 0);
            if capped || blocked {
                running[i] = false;
            }
        }
    }
    x
}

fn bench(c: &mut Criterion) {
    for n in [100usize, 1_000] {
        let (cap, tenants) = instance(n, 7 + n as u64);
        let fast = drf(&cap, &tenants).unwrap();
        let slow = drf_naive(&cap, &tenants);
        let diff = fast
            .tasks
            .iter()
            .zip(&slow)
            .map(|(a, b)| (a - b).abs() / (1.0 + b))
            .fold(0.0, f64::max);
        let capped = fast.stops.iter().filter(|&&s| s == Stop::Cap).count();
        let lp = max_tasks(&cap, &tenants).unwrap();
        let fair_obj: f64 = tenants
            .iter()
            .zip(&fast.tasks)
            .map(|(t, &x)| t.weight * x)
            .sum();
        eprintln!(
            "{n}x{DIMS}: event vs naive max rel diff {diff:.2e}; {capped} capped; \
             weighted tasks DRF {fair_obj:.1}, LP max {:.1} ({:.1}% more)",
            lp.objective,
            100.0 * (lp.objective / fair_obj - 1.0)
        );
        c.bench_function(&format!("drf/event/{n}x{DIMS}"), |b| {
            b.iter(|| drf(black_box(&cap), black_box(&tenants)).unwrap())
        });
        c.bench_function(&format!("drf/naive/{n}x{DIMS}"), |b| {
            b.iter(|| drf_naive(black_box(&cap), black_box(&tenants)))
        });
        c.bench_function(&format!("drf_discrete/{n}x{DIMS}"), |b| {
            b.iter(|| drf_discrete(black_box(&cap), black_box(&tenants)).unwrap())
        });
        c.bench_function(&format!("max_tasks/{n}x{DIMS}"), |b| {
            b.iter(|| max_tasks(black_box(&cap), black_box(&tenants)).unwrap())
        });
        let demands: Vec<f64> = tenants.iter().map(|t| t.demand[0] as f64).collect();
        let weights: Vec<f64> = tenants.iter().map(|t| t.weight).collect();
        let total = demands.iter().sum::<f64>() / 2.0;
        c.bench_function(&format!("max_min_fair/{n}"), |b| {
            b.iter(|| max_min_fair(black_box(total), black_box(&demands), black_box(&weights)))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
