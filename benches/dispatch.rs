//! Dispatch decisions per second: submit + dispatch + complete cycles on a 4-dimension pool at
//! 1 k, 10 k and 100 k agents, through the fit index and through a full scan in the same run.
//!
//! The pool is kept half full: every cycle submits one task, dispatches it, and completes the
//! oldest running task, so each decision searches a pool with mixed free capacity.
//!
//! `dispatch_cycle_estimation` runs the same cycle with learned runtimes (20 task classes, 16
//! features, every completion learned, SJF by prediction, backfill guarded by the 90% quantile)
//! against the same cycle without them, at 10 k agents: the cost of estimation per decision.

use agentsched::online::{Dispatcher, DispatcherConfig, EstimationConfig, Search, TaskSpec};
use agentsched::pool::{AgentSpec, Scoring};
use agentsched::queue::Discipline;
use agentsched::resources::Schema;
use agentsched::{AgentId, Label, Sensitivity, TaskId, Tier};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::collections::VecDeque;
use std::hint::black_box;
use std::time::Duration;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

struct Bench {
    d: Dispatcher,
    rng: Rng,
    next_id: u32,
    running: VecDeque<TaskId>,
    classed: bool,
}

const FEATURES: usize = 16;

impl Bench {
    fn new(agents: u32, search: Search, scoring: Scoring) -> Self {
        Self::with(agents, search, scoring, Discipline::PriorityFifo, None)
    }

    fn with(
        agents: u32,
        search: Search,
        scoring: Scoring,
        discipline: Discipline,
        estimation: Option<EstimationConfig>,
    ) -> Self {
        let schema = Schema::new(["cpu", "memory", "gpu", "net"]).unwrap();
        let classed = estimation.is_some();
        let config = DispatcherConfig {
            search,
            scoring,
            discipline,
            estimation,
            ..DispatcherConfig::default()
        };
        let mut d = Dispatcher::new(schema, config).unwrap();
        let mut rng = Rng(42);
        for a in 0..agents {
            let big = rng.below(4) == 0;
            let spec = AgentSpec::new(
                AgentId(a),
                vec![
                    if big { 64_000 } else { 16_000 },
                    if big { 262_144 } else { 65_536 },
                    if rng.below(3) == 0 { 8 } else { 0 },
                    10_000,
                ],
            )
            .tier(if a % 3 == 0 {
                Tier::Public
            } else {
                Tier::Private
            })
            .cost_per_time(1.0 + rng.below(10) as f64)
            .label(Label::new("zone", (a % 4).to_string()));
            d.join_agent(spec).unwrap();
        }
        let mut b = Bench {
            d,
            rng,
            next_id: 0,
            running: VecDeque::new(),
            classed,
        };
        // Fill to roughly half of the pool's cpu.
        let target = agents as usize * 3;
        while b.running.len() < target {
            b.submit();
            for a in b.d.dispatch() {
                b.running.push_back(a.task);
            }
        }
        b
    }

    fn submit(&mut self) {
        let id = TaskId(self.next_id);
        self.next_id += 1;
        let r = &mut self.rng;
        let gpu = if r.below(8) == 0 { 1 } else { 0 };
        let spec = TaskSpec::new(
            id,
            vec![
                500 + r.below(4000),
                1024 + r.below(16_384),
                gpu,
                r.below(500),
            ],
        )
        .priority(r.below(4) as i32)
        .duration(1.0 + r.below(100) as f64)
        .sensitivity(match r.below(3) {
            0 => Sensitivity::Confidential,
            _ => Sensitivity::Public,
        });
        let spec = if self.classed {
            let class = r.below(20) as u32;
            let mut f = vec![1.0];
            f.extend((1..FEATURES).map(|_| r.below(1000) as f64 / 100.0));
            spec.runtime_class(class, f)
        } else {
            spec
        };
        self.d.submit(spec).unwrap();
    }

    /// One decision: submit, dispatch, complete the oldest running task.
    fn cycle(&mut self) {
        self.submit();
        for a in self.d.dispatch() {
            self.running.push_back(a.task);
        }
        if let Some(t) = self.running.pop_front() {
            // Time passes, so that completions have runtimes to learn.
            let now = self.d.now() + 0.01;
            self.d.advance_to(now).unwrap();
            self.d.complete(t).unwrap();
        }
    }
}

fn dispatch(c: &mut Criterion) {
    for scoring in [Scoring::LeastAllocated, Scoring::Balanced] {
        let mut g = c.benchmark_group(format!("dispatch_cycle/{scoring:?}"));
        g.throughput(Throughput::Elements(1));
        g.warm_up_time(Duration::from_millis(500));
        for &n in &[1_000u32, 10_000, 100_000] {
            for search in [Search::Indexed, Search::FullScan] {
                if matches!(scoring, Scoring::Balanced) && n == 100_000 {
                    // Balanced bounds prune little (see DESIGN.md): at 100 k agents both
                    // searches cost a scan, and filling the pool alone would take minutes.
                    continue;
                }
                let mut b = Bench::new(n, search, scoring);
                g.sample_size(if search == Search::FullScan { 10 } else { 30 });
                g.measurement_time(Duration::from_secs(if search == Search::FullScan {
                    4
                } else {
                    3
                }));
                g.bench_function(BenchmarkId::new(format!("{search:?}"), n), |bch| {
                    bch.iter(|| {
                        b.cycle();
                        black_box(&b.d);
                    })
                });
            }
        }
        g.finish();
    }
}

fn estimation(c: &mut Criterion) {
    let mut g = c.benchmark_group("dispatch_cycle_estimation");
    g.throughput(Throughput::Elements(1));
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(3));
    let mut e = EstimationConfig::new(FEATURES);
    e.backfill_quantile = Some(0.9);
    for (name, est) in [("declared", None), ("learned", Some(e))] {
        // Both by shortest job first: the declared durations, or the predictions.
        let sjf = Discipline::ShortestJobFirst;
        let mut b = Bench::with(10_000, Search::Indexed, Scoring::LeastAllocated, sjf, est);
        g.bench_function(BenchmarkId::new(name, 10_000), |bch| {
            bch.iter(|| {
                b.cycle();
                black_box(&b.d);
            })
        });
    }
    g.finish();
}

criterion_group!(benches, dispatch, estimation);
criterion_main!(benches);
