//! Fault tolerance on task graphs: the issue's one-backup formula and backup chains on
//! hand-computed numbers; probabilities and expected makespans against oracles written here
//! from the model's definition (a brute-force enumeration of every attempt outcome, including
//! "every attempt fails", and a seeded Monte Carlo simulation that draws each attempt's failure
//! and computes the makespan by its own memoised longest-path recursion); bounds and bad input.

use agentsched::dag::{
    Backup, Delays, FailureModel, FaultSpec, MakespanMethod, MakespanOptions, TaskGraph,
    completion_probability, expected_durations, expected_makespan, expected_times,
    no_backup_probability, times,
};
use agentsched::{Error, TaskId};
use proptest::prelude::*;

const MODELS: [FailureModel; 2] = [FailureModel::Replacement, FailureModel::SequentialRetry];

/// A graph as the oracles see it: durations and edges `(from, to, data)` by task index.
#[derive(Debug, Clone)]
struct Net {
    durations: Vec<f64>,
    edges: Vec<(usize, usize, f64)>,
}

impl Net {
    fn dag(&self) -> agentsched::dag::Dag {
        TaskGraph::from_parts(
            self.durations
                .iter()
                .enumerate()
                .map(|(i, &d)| (TaskId(i as u32), d)),
            self.edges
                .iter()
                .map(|&(u, v, w)| (TaskId(u as u32), TaskId(v as u32), w)),
        )
        .unwrap()
        .freeze()
        .unwrap()
    }

    /// The makespan with times `d` by a memoised recursion over predecessors, from the edge list.
    fn makespan(&self, d: &[f64], delays: Delays) -> f64 {
        let n = d.len();
        let mut preds: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
        for &(u, v, w) in &self.edges {
            preds[v].push((u, if delays == Delays::Data { w } else { 0.0 }));
        }
        fn finish(
            v: usize,
            d: &[f64],
            preds: &[Vec<(usize, f64)>],
            memo: &mut [Option<f64>],
        ) -> f64 {
            if let Some(f) = memo[v] {
                return f;
            }
            let mut start = 0.0f64;
            for &(u, w) in &preds[v] {
                start = start.max(finish(u, d, preds, memo) + w);
            }
            let f = start + d[v];
            memo[v] = Some(f);
            f
        }
        let mut memo = vec![None; n];
        (0..n)
            .map(|v| finish(v, d, &preds, &mut memo))
            .fold(0.0, f64::max)
    }
}

/// A task's attempts `(time, failure)`, primary first.
fn attempts(spec: &FaultSpec, duration: f64) -> Vec<(f64, f64)> {
    let mut a = vec![(spec.time.unwrap_or(duration), spec.failure)];
    a.extend(spec.backups.iter().map(|b| (b.time, b.failure)));
    a
}

/// The task's time when attempt `k` is the first to succeed.
fn time_of(a: &[(f64, f64)], k: usize, model: FailureModel) -> f64 {
    match model {
        FailureModel::Replacement => a[k].0,
        FailureModel::SequentialRetry => a[..=k].iter().map(|x| x.0).sum(),
    }
}

/// Per task, every outcome with a positive probability: `Some(time)` when attempt `k` is the first
/// to succeed, `None` when all fail, straight from the definition.
fn outcome_lists(
    net: &Net,
    specs: &[FaultSpec],
    model: FailureModel,
) -> Vec<Vec<(Option<f64>, f64)>> {
    specs
        .iter()
        .zip(&net.durations)
        .map(|(s, &dur)| {
            let a = attempts(s, dur);
            let mut out = Vec::new();
            for k in 0..=a.len() {
                let all_before: f64 = a[..k].iter().map(|x| x.1).product();
                if k == a.len() {
                    out.push((None, all_before));
                } else {
                    out.push((Some(time_of(&a, k, model)), all_before * (1.0 - a[k].1)));
                }
            }
            out.retain(|o| o.1 > 0.0);
            out
        })
        .collect()
}

/// Brute force over every combination of outcomes: (probability that every task completes,
/// probability that no backup is used, E[makespan | completion] or None).
fn brute_force(
    net: &Net,
    specs: &[FaultSpec],
    model: FailureModel,
    delays: Delays,
) -> (f64, f64, Option<f64>) {
    let lists = outcome_lists(net, specs, model);
    let no_backup: f64 = specs.iter().map(|s| 1.0 - s.failure).product();
    let n = lists.len();
    let mut idx = vec![0usize; n];
    let (mut complete, mut weighted) = (0.0f64, 0.0f64);
    let mut d = vec![0.0; n];
    loop {
        let mut p = 1.0;
        let mut ok = true;
        for i in 0..n {
            let (t, q) = lists[i][idx[i]];
            p *= q;
            match t {
                Some(t) => d[i] = t,
                None => ok = false,
            }
        }
        if ok {
            complete += p;
            weighted += p * net.makespan(&d, delays);
        }
        let mut i = 0;
        loop {
            if i == n {
                let mean = (complete > 0.0).then(|| weighted / complete);
                return (complete, no_backup, mean);
            }
            idx[i] += 1;
            if idx[i] < lists[i].len() {
                break;
            }
            idx[i] = 0;
            i += 1;
        }
    }
}

/// xorshift64*: the test's own generator, unrelated to the library's.
struct Rng(u64);

impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d);
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
}

struct Simulated {
    samples: usize,
    no_backup: f64,
    complete: f64,
    mean: f64,
    std_error: f64,
}

/// Simulates every attempt: each one fails when a uniform draw is below its failure
/// probability. Samples where some task fails every attempt count against completion and are
/// left out of the makespan (rejection, i.e. conditioning on completion).
fn simulate(
    net: &Net,
    specs: &[FaultSpec],
    model: FailureModel,
    delays: Delays,
    samples: usize,
    seed: u64,
) -> Simulated {
    let mut rng = Rng(seed | 1);
    let (mut no_backup, mut complete) = (0usize, 0usize);
    let (mut sum, mut sum_sq) = (0.0f64, 0.0f64);
    let mut d = vec![0.0; net.durations.len()];
    for _ in 0..samples {
        let mut all_primary = true;
        let mut ok = true;
        for (i, (s, &dur)) in specs.iter().zip(&net.durations).enumerate() {
            let mut spent = 0.0;
            let mut done = None;
            for (k, (t, f)) in attempts(s, dur).into_iter().enumerate() {
                spent += t;
                if rng.unit() < f {
                    if k == 0 {
                        all_primary = false;
                    }
                    continue;
                }
                done = Some(match model {
                    FailureModel::Replacement => t,
                    FailureModel::SequentialRetry => spent,
                });
                break;
            }
            match done {
                Some(t) => d[i] = t,
                None => ok = false,
            }
        }
        no_backup += usize::from(all_primary);
        if ok {
            complete += 1;
            let m = net.makespan(&d, delays);
            sum += m;
            sum_sq += m * m;
        }
    }
    let c = complete as f64;
    let mean = sum / c;
    let var = (sum_sq / c - mean * mean) * c / (c - 1.0);
    Simulated {
        samples,
        no_backup: no_backup as f64 / samples as f64,
        complete: c / samples as f64,
        mean,
        std_error: (var.max(0.0) / c).sqrt(),
    }
}

/// A deterministic random DAG with `n` tasks: each task gets up to `fan` predecessors among the
/// earlier labels; with `reverse`, labels are inserted last-first so the index order is not
/// topological.
fn random_net(n: usize, fan: usize, reverse: bool, seed: u64) -> Net {
    let mut rng = Rng(seed | 1);
    let index = |l: usize| if reverse { n - 1 - l } else { l };
    let mut durations = vec![0.0; n];
    for d in durations.iter_mut() {
        *d = (1.0 + 9.0 * rng.unit()).round();
    }
    let mut edges = Vec::new();
    for v in 1..n {
        let mut preds: Vec<usize> = (0..fan).map(|_| (rng.unit() * v as f64) as usize).collect();
        preds.sort_unstable();
        preds.dedup();
        for u in preds {
            edges.push((index(u), index(v), (3.0 * rng.unit()).round()));
        }
    }
    Net { durations, edges }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

// ---------------------------------------------------------------------------------------------
// Hand-computed values

#[test]
fn the_issue_one_backup_formula_exactly() {
    // Three independent tasks: the Dag's durations 10, 4, 7.
    let net = Net {
        durations: vec![10.0, 4.0, 7.0],
        edges: vec![],
    };
    let dag = net.dag();
    let specs = vec![
        FaultSpec::new(0.2).with_backup(15.0, 0.0),
        FaultSpec::new(0.05).with_time(6.0).with_backup(9.5, 0.0),
        FaultSpec::new(0.9).with_backup(1.0, 0.0),
    ];
    let d = expected_durations(&dag, &specs, FailureModel::Replacement).unwrap();
    // p_hat = (1 - f) * p + f * p_b, with p from the Dag or the spec.
    assert_eq!(
        d,
        vec![
            (1.0 - 0.2) * 10.0 + 0.2 * 15.0,
            (1.0 - 0.05) * 6.0 + 0.05 * 9.5,
            (1.0 - 0.9) * 7.0 + 0.9 * 1.0,
        ]
    );
    assert!((d[0] - 11.0).abs() < 1e-12 && (d[1] - 6.175).abs() < 1e-12);
    assert!((d[2] - 1.6).abs() < 1e-12);
    // `min over backups`: several certain backups, the fastest used.
    let unordered = FaultSpec::new(0.25)
        .with_backup(30.0, 0.0)
        .with_backup(12.0, 0.0)
        .with_backup(18.0, 0.0);
    let fastest = unordered.clone().fastest_first();
    assert_eq!(
        fastest.backups.iter().map(|b| b.time).collect::<Vec<_>>(),
        vec![12.0, 18.0, 30.0]
    );
    let one = Net {
        durations: vec![10.0],
        edges: vec![],
    }
    .dag();
    let d = expected_durations(&one, &[fastest], FailureModel::Replacement).unwrap();
    assert_eq!(d[0], (1.0 - 0.25) * 10.0 + 0.25 * 12.0);
    // In the given order the first backup (30) is the one used: the chain is ordered.
    let d = expected_durations(&one, &[unordered], FailureModel::Replacement).unwrap();
    assert_eq!(d[0], (1.0 - 0.25) * 10.0 + 0.25 * 30.0);
}

#[test]
fn backup_chains_by_hand() {
    let one = Net {
        durations: vec![10.0],
        edges: vec![],
    }
    .dag();
    let ed = |s: &FaultSpec, m| expected_durations(&one, std::slice::from_ref(s), m).unwrap()[0];
    // 10 (fails 1/2) -> 20 (fails 1/2) -> 40 (certain): used with probability 1/2, 1/4, 1/4.
    let s = FaultSpec::new(0.5)
        .with_backup(20.0, 0.5)
        .with_backup(40.0, 0.0);
    assert!((ed(&s, FailureModel::Replacement) - 20.0).abs() < 1e-12);
    // Sequential: 10, 10 + 20, 10 + 20 + 40.
    assert!((ed(&s, FailureModel::SequentialRetry) - 30.0).abs() < 1e-12);
    // 10 (fails 0.1) -> 20 (fails 0.3) -> 5 (fails 0.2): q = 0.006; P = 0.9, 0.07, 0.024.
    let s = FaultSpec::new(0.1)
        .with_backup(20.0, 0.3)
        .with_backup(5.0, 0.2);
    let cond = (0.9 * 10.0 + 0.07 * 20.0 + 0.024 * 5.0) / 0.994;
    assert!((ed(&s, FailureModel::Replacement) - cond).abs() < 1e-12);
    let cond = (0.9 * 10.0 + 0.07 * 30.0 + 0.024 * 35.0) / 0.994;
    assert!((ed(&s, FailureModel::SequentialRetry) - cond).abs() < 1e-12);
    assert!(
        (completion_probability(&one, std::slice::from_ref(&s)).unwrap() - 0.994).abs() < 1e-15
    );
    assert_eq!(no_backup_probability(&one, &[s]).unwrap(), 0.9);
    // A backup after a certain attempt is never used; a certain failure passes straight on.
    let s = FaultSpec::new(0.0).with_backup(99.0, 0.5);
    assert_eq!(ed(&s, FailureModel::SequentialRetry), 10.0);
    let s = FaultSpec::new(1.0)
        .with_backup(7.0, 1.0)
        .with_backup(3.0, 0.0);
    assert_eq!(ed(&s, FailureModel::Replacement), 3.0);
    assert_eq!(ed(&s, FailureModel::SequentialRetry), 20.0);
}

#[test]
fn expected_times_and_critical_path_by_hand() {
    // 0 -> 1 -> 3, 0 -> 2 -> 3; task 1 (5 s) reliable; task 2 (4 s) fails 1 in 2, backup 8 s
    // that fails 1 in 4, then 12 s certain. E[t2] = 0.5*4 + 0.375*8 + 0.125*12 = 6.5.
    let net = Net {
        durations: vec![1.0, 5.0, 4.0, 1.0],
        edges: vec![(0, 1, 2.0), (0, 2, 0.0), (1, 3, 0.0), (2, 3, 0.0)],
    };
    let dag = net.dag();
    let mut specs = vec![FaultSpec::reliable(); 4];
    specs[2] = FaultSpec::new(0.5)
        .with_backup(8.0, 0.25)
        .with_backup(12.0, 0.0);
    let t = expected_times(&dag, &specs, FailureModel::Replacement, Delays::None).unwrap();
    assert_eq!(t.est, vec![0.0, 1.0, 1.0, 7.5]);
    assert_eq!(t.makespan, 8.5);
    assert_eq!(t.critical_path, vec![0, 2, 3]);
    assert_eq!(t.slack(1), 1.5);
    // With the edge 0 -> 1 costing 2, branch 1 becomes critical (1 + 2 + 5 = 8 > 7.5).
    let t = expected_times(&dag, &specs, FailureModel::Replacement, Delays::Data).unwrap();
    assert_eq!((t.makespan, t.critical_path.clone()), (9.0, vec![0, 1, 3]));
    // Expected makespan: E[max(6, 1 + t2) + 1] over t2 in {4, 8, 12} w.p. 1/2, 3/8, 1/8:
    // 0.5 * 7 + 0.375 * 10 + 0.125 * 14 = 9 > 8.5.
    let m = expected_makespan(
        &dag,
        &specs,
        FailureModel::Replacement,
        Delays::None,
        &MakespanOptions::default(),
    )
    .unwrap();
    assert!((m.mean - 9.0).abs() < 1e-12);
    assert_eq!(m.method, MakespanMethod::Exact { scenarios: 3 });
    assert_eq!((m.lower_bound, m.upper_bound), (8.5, 14.0));
    assert_eq!((m.std_error, m.low, m.high), (0.0, m.mean, m.mean));
    // Var = 0.5 * 4 + 0.375 * 1 + 0.125 * 25 - 0 = 5.5 around the mean 9.
    assert!((m.std_dev - 5.5f64.sqrt()).abs() < 1e-12);
}

// ---------------------------------------------------------------------------------------------
// Against the test's own simulation

/// Specs with 1 or 2 backups, primary failures up to `fmax`, and on a few tasks a last backup
/// that may fail too (so that conditioning on completion matters).
fn random_specs(n: usize, fmax: f64, seed: u64) -> Vec<FaultSpec> {
    let mut rng = Rng(seed | 1);
    (0..n)
        .map(|i| {
            let mut s = FaultSpec::new((fmax * rng.unit() * 1000.0).round() / 1000.0);
            let k = 1 + usize::from(rng.unit() < 0.5);
            for b in 0..k {
                let last_may_fail = b + 1 == k && i % 7 == 3;
                let f = if b + 1 < k || last_may_fail {
                    0.4 * rng.unit()
                } else {
                    0.0
                };
                s = s.with_backup((1.0 + 14.0 * rng.unit()).round(), f);
            }
            s
        })
        .collect()
}

#[test]
fn probabilities_and_makespan_match_an_independent_simulation() {
    // 60 tasks: far too many scenarios to enumerate, so the library simulates too.
    for (seed, model, delays, reverse) in [
        (1, FailureModel::Replacement, Delays::None, false),
        (2, FailureModel::SequentialRetry, Delays::Data, true),
    ] {
        let net = random_net(60, 3, reverse, seed);
        let dag = net.dag();
        // Primary failures up to 4%, so that finishing without a backup is not rare.
        let specs = random_specs(60, 0.04, seed + 100);
        let samples = 40_000;
        let sim = simulate(&net, &specs, model, delays, samples, seed + 7);
        let n = samples as f64;

        let p0 = no_backup_probability(&dag, &specs).unwrap();
        let se0 = (p0 * (1.0 - p0) / n).sqrt();
        assert!(
            p0 > 0.1 && (sim.no_backup - p0).abs() < 5.0 * se0,
            "{} vs {p0}",
            sim.no_backup
        );
        let pc = completion_probability(&dag, &specs).unwrap();
        let sec = (pc * (1.0 - pc) / n).sqrt();
        assert!(pc < 1.0 && (sim.complete - pc).abs() < 5.0 * sec);

        let opts = MakespanOptions {
            samples: 20_000,
            seed: seed + 11,
            ..MakespanOptions::default()
        };
        let m = expected_makespan(&dag, &specs, model, delays, &opts).unwrap();
        assert_eq!(
            m.method,
            MakespanMethod::MonteCarlo {
                samples: 20_000,
                seed: seed + 11
            }
        );
        assert_eq!(m.completion_probability, pc);
        let se = (m.std_error.powi(2) + sim.std_error.powi(2)).sqrt();
        assert!(
            (m.mean - sim.mean).abs() < 5.0 * se,
            "library {} +- {}, test {} +- {} ({} samples)",
            m.mean,
            m.std_error,
            sim.mean,
            sim.std_error,
            sim.samples
        );
        // Jensen: the makespan of the expected durations is clearly below.
        let cpm = expected_times(&dag, &specs, model, delays)
            .unwrap()
            .makespan;
        assert_eq!(m.lower_bound, cpm);
        assert!(cpm < sim.mean - 5.0 * sim.std_error);
        assert!(m.low < m.mean && m.mean < m.high && m.high < m.upper_bound);
    }
}

#[test]
fn exact_enumeration_matches_the_test_simulation_and_the_library_simulation() {
    // 12 tasks, 2 or 3 outcomes each: up to 3^12 scenarios, enumerated exactly.
    for (seed, model) in [
        (3, FailureModel::Replacement),
        (4, FailureModel::SequentialRetry),
    ] {
        let net = random_net(12, 2, seed == 4, seed);
        let dag = net.dag();
        let specs = random_specs(12, 0.3, seed + 50);
        let exact = expected_makespan(
            &dag,
            &specs,
            model,
            Delays::Data,
            &MakespanOptions {
                max_scenarios: 1 << 20,
                ..MakespanOptions::default()
            },
        )
        .unwrap();
        let MakespanMethod::Exact { scenarios } = exact.method else {
            panic!("expected an exact result, got {:?}", exact.method);
        };
        assert!(scenarios > 1000);
        let sim = simulate(&net, &specs, model, Delays::Data, 40_000, seed + 9);
        assert!((exact.mean - sim.mean).abs() < 5.0 * sim.std_error);
        let p0 = no_backup_probability(&dag, &specs).unwrap();
        assert!((sim.no_backup - p0).abs() < 5.0 * (p0 * (1.0 - p0) / 40_000.0).sqrt());
        let pc = exact.completion_probability;
        assert!(pc < 1.0 && (sim.complete - pc).abs() < 5.0 * (pc * (1.0 - pc) / 40_000.0).sqrt());
        let mc = expected_makespan(
            &dag,
            &specs,
            model,
            Delays::Data,
            &MakespanOptions {
                max_scenarios: 0,
                samples: 20_000,
                seed,
            },
        )
        .unwrap();
        assert!((exact.mean - mc.mean).abs() < 5.0 * mc.std_error);
        assert!(mc.low <= exact.mean + 3.0 * mc.std_error);
        // Same seed, same estimate; another seed, another one.
        let again = expected_makespan(
            &dag,
            &specs,
            model,
            Delays::Data,
            &MakespanOptions {
                max_scenarios: 0,
                samples: 20_000,
                seed,
            },
        )
        .unwrap();
        assert_eq!(again, mc);
        let other = expected_makespan(
            &dag,
            &specs,
            model,
            Delays::Data,
            &MakespanOptions {
                max_scenarios: 0,
                samples: 20_000,
                seed: seed + 1,
            },
        )
        .unwrap();
        assert_ne!(other.mean, mc.mean);
    }
}

// ---------------------------------------------------------------------------------------------
// Bad input

#[test]
fn bad_input_is_an_error_naming_the_task_and_field() {
    let net = Net {
        durations: vec![1.0, 2.0, 3.0],
        edges: vec![(0, 1, 0.0)],
    };
    let dag = net.dag();
    let ok = vec![FaultSpec::new(0.1).with_backup(2.0, 0.0); 3];
    let model = FailureModel::Replacement;
    let field_of = |e: Error| match e {
        Error::InvalidFaultSpec { task, field, .. } => (task, field),
        e => panic!("unexpected {e:?}"),
    };
    assert_eq!(
        expected_durations(&dag, &ok[..2], model),
        Err(Error::DimensionMismatch {
            field: "specs",
            expected: 3,
            got: 2
        })
    );
    let cases: Vec<(usize, FaultSpec, &str)> = vec![
        (1, FaultSpec::new(f64::NAN), "failure"),
        (2, FaultSpec::new(-0.1), "failure"),
        (0, FaultSpec::new(1.5), "failure"),
        (1, FaultSpec::new(0.1).with_time(-1.0), "time"),
        (1, FaultSpec::new(0.1).with_time(f64::INFINITY), "time"),
        (
            2,
            FaultSpec::new(0.1).with_backup(f64::NAN, 0.0),
            "backups[0].time",
        ),
        (
            2,
            FaultSpec::new(0.1)
                .with_backup(1.0, 0.0)
                .with_backup(1.0, f64::INFINITY),
            "backups[1].failure",
        ),
    ];
    for (task, bad, field) in cases {
        let mut specs = ok.clone();
        specs[task] = bad;
        let want = (TaskId(task as u32), field.to_string());
        assert_eq!(
            field_of(expected_durations(&dag, &specs, model).unwrap_err()),
            want
        );
        assert_eq!(
            field_of(no_backup_probability(&dag, &specs).unwrap_err()),
            want
        );
        assert_eq!(
            field_of(completion_probability(&dag, &specs).unwrap_err()),
            want
        );
        let e = expected_makespan(&dag, &specs, model, Delays::None, &Default::default());
        assert_eq!(field_of(e.unwrap_err()), want);
        let e = expected_times(&dag, &specs, model, Delays::None);
        assert_eq!(field_of(e.unwrap_err()), want);
    }
    // The lowest task index is reported first.
    let mut specs = ok.clone();
    specs[2] = FaultSpec::new(2.0);
    specs[1] = FaultSpec::new(0.0).with_backup(-3.0, 0.0);
    assert_eq!(
        field_of(expected_durations(&dag, &specs, model).unwrap_err()),
        (TaskId(1), "backups[0].time".into())
    );
    // A task that can never complete.
    let mut specs = ok.clone();
    specs[1] = FaultSpec::new(1.0).with_backup(5.0, 1.0);
    assert_eq!(
        field_of(expected_durations(&dag, &specs, model).unwrap_err()).0,
        TaskId(1)
    );
    assert_eq!(completion_probability(&dag, &specs), Ok(0.0));
    // The simulation needs two samples.
    let e = expected_makespan(
        &dag,
        &ok,
        model,
        Delays::None,
        &MakespanOptions {
            max_scenarios: 0,
            samples: 1,
            seed: 0,
        },
    );
    assert!(matches!(
        e,
        Err(Error::InvalidConfig {
            field: "samples",
            ..
        })
    ));
}

// ---------------------------------------------------------------------------------------------
// Properties

fn probability() -> impl Strategy<Value = f64> {
    prop_oneof![Just(0.0), Just(1.0), Just(0.5), 0.0..=1.0f64]
}

fn spec() -> impl Strategy<Value = FaultSpec> {
    (
        proptest::option::weighted(0.3, 0.0..10.0f64),
        probability(),
        proptest::collection::vec((0.0..10.0f64, probability()), 0..=2),
    )
        .prop_map(|(time, failure, b)| FaultSpec {
            time,
            failure,
            backups: b
                .into_iter()
                .map(|(time, failure)| Backup { time, failure })
                .collect(),
        })
}

fn instance() -> impl Strategy<Value = (Net, Vec<FaultSpec>)> {
    (1usize..=6, any::<bool>()).prop_flat_map(|(n, reverse)| {
        (
            proptest::collection::vec(0.0..10.0f64, n),
            proptest::collection::vec((any::<bool>(), 0.0..3.0f64), n * (n - 1) / 2),
            proptest::collection::vec(spec(), n),
        )
            .prop_map(move |(durations, pairs, specs)| {
                let index = |l: usize| if reverse { n - 1 - l } else { l };
                let mut edges = Vec::new();
                let mut k = 0;
                for v in 0..n {
                    for u in 0..v {
                        if pairs[k].0 {
                            edges.push((index(u), index(v), pairs[k].1));
                        }
                        k += 1;
                    }
                }
                (Net { durations, edges }, specs)
            })
    })
}

proptest! {
    #[test]
    fn matches_brute_force_and_respects_bounds(
        (net, specs) in instance(),
        model in prop_oneof![Just(FailureModel::Replacement), Just(FailureModel::SequentialRetry)],
        data in any::<bool>(),
    ) {
        let delays = if data { Delays::Data } else { Delays::None };
        let dag = net.dag();
        let (complete, no_backup, mean) = brute_force(&net, &specs, model, delays);
        let pc = completion_probability(&dag, &specs).unwrap();
        let p0 = no_backup_probability(&dag, &specs).unwrap();
        prop_assert!((0.0..=1.0).contains(&pc) && (0.0..=1.0).contains(&p0));
        prop_assert!(p0 <= pc + 1e-12);
        prop_assert!(close(pc, complete), "{pc} vs {complete}");
        prop_assert!(close(p0, no_backup));

        let lists = outcome_lists(&net, &specs, model);
        let never = lists.iter().any(|l| l.iter().all(|o| o.0.is_none()));
        let d = expected_durations(&dag, &specs, model);
        let m = expected_makespan(&dag, &specs, model, delays, &MakespanOptions::default());
        if never {
            prop_assert!(matches!(d, Err(Error::InvalidFaultSpec { .. })), "{:?}", d);
            prop_assert!(matches!(m, Err(Error::InvalidFaultSpec { .. })), "{:?}", m);
            prop_assert_eq!(pc, 0.0);
            return Ok(());
        }
        let d = d.unwrap();
        let m = m.unwrap();
        let mean = mean.unwrap();
        let (mut lo, mut hi) = (Vec::new(), Vec::new());
        for (i, l) in lists.iter().enumerate() {
            let times: Vec<f64> = l.iter().filter_map(|o| o.0).collect();
            let (a, b) = (times.iter().cloned().fold(f64::INFINITY, f64::min),
                          times.iter().cloned().fold(0.0, f64::max));
            prop_assert!(d[i] >= a - 1e-9 * b.max(1.0) && d[i] <= b + 1e-9 * b.max(1.0),
                "task {}: {} outside [{}, {}]", i, d[i], a, b);
            lo.push(a);
            hi.push(b);
        }
        prop_assert!(matches!(m.method, MakespanMethod::Exact { .. }), "{:?}", m.method);
        prop_assert!(close(m.mean, mean), "library {} vs brute force {}", m.mean, mean);
        prop_assert!(close(m.completion_probability, complete));
        // Jensen below, the worst scenario above, and the best scenario below both.
        let cpm = net.makespan(&d, delays);
        prop_assert!(close(m.lower_bound, cpm));
        prop_assert!(close(m.upper_bound, net.makespan(&hi, delays)));
        prop_assert!(net.makespan(&lo, delays) <= cpm + 1e-9 * cpm.max(1.0));
        prop_assert!(cpm <= mean + 1e-9 * mean.max(1.0));
        prop_assert!(mean <= m.upper_bound + 1e-9 * mean.max(1.0));
        prop_assert!(m.std_dev >= 0.0 && m.std_error == 0.0);
        let t = expected_times(&dag, &specs, model, delays).unwrap();
        prop_assert!(close(t.makespan, cpm));
    }

    #[test]
    fn no_failure_gives_the_plain_times(
        (net, mut specs) in instance(),
        data in any::<bool>(),
    ) {
        let delays = if data { Delays::Data } else { Delays::None };
        let dag = net.dag();
        for s in &mut specs {
            s.failure = 0.0;
            s.time = None;
        }
        for model in MODELS {
            let t = expected_times(&dag, &specs, model, delays).unwrap();
            prop_assert_eq!(&t, &times(&dag, delays));
            prop_assert_eq!(no_backup_probability(&dag, &specs).unwrap(), 1.0);
            prop_assert_eq!(completion_probability(&dag, &specs).unwrap(), 1.0);
            let m = expected_makespan(&dag, &specs, model, delays, &Default::default()).unwrap();
            prop_assert_eq!(m.mean, t.makespan);
            prop_assert_eq!(m.method, MakespanMethod::Exact { scenarios: 1 });
        }
    }

    #[test]
    fn the_simulation_brackets_the_exact_value(
        (net, specs) in instance(),
        seed in any::<u64>(),
    ) {
        // Not a statistical test (that is above, with fixed seeds): every sample is a real
        // scenario, so the sample mean lies between the best and the worst scenario.
        let dag = net.dag();
        let opts = MakespanOptions { max_scenarios: 0, samples: 64, seed };
        let Ok(mc) = expected_makespan(&dag, &specs, FailureModel::SequentialRetry, Delays::None, &opts) else {
            return Ok(());
        };
        let lists = outcome_lists(&net, &specs, FailureModel::SequentialRetry);
        let lo: Vec<f64> = lists.iter()
            .map(|l| l.iter().filter_map(|o| o.0).fold(f64::INFINITY, f64::min))
            .collect();
        let best = net.makespan(&lo, Delays::None);
        let tol = 1e-9 * mc.upper_bound.max(1.0);
        prop_assert!(best - tol <= mc.mean && mc.mean <= mc.upper_bound + tol);
        prop_assert!(mc.std_error >= 0.0 && mc.low <= mc.mean && mc.mean <= mc.high);
    }
}

fn any_number() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(-0.0),
        Just(f64::MAX),
        Just(1.0 + f64::EPSILON),
        -2.0..2.0f64,
        any::<f64>(),
    ]
}

proptest! {
    #[test]
    fn any_numbers_give_a_result_or_an_error_never_a_panic(
        raw in proptest::collection::vec(
            (proptest::option::of(any_number()), any_number(),
             proptest::collection::vec((any_number(), any_number()), 0..=2)),
            3,
        ),
        model in prop_oneof![Just(FailureModel::Replacement), Just(FailureModel::SequentialRetry)],
    ) {
        let net = Net { durations: vec![1.0, 2.0, 3.0], edges: vec![(0, 2, 1.0), (1, 2, 0.5)] };
        let dag = net.dag();
        let specs: Vec<FaultSpec> = raw
            .into_iter()
            .map(|(time, failure, b)| FaultSpec {
                time,
                failure,
                backups: b.into_iter().map(|(time, failure)| Backup { time, failure }).collect(),
            })
            .collect();
        let time_ok = |t: f64| t.is_finite() && t >= 0.0;
        let prob_ok = |f: f64| (0.0..=1.0).contains(&f);
        let valid = specs.iter().all(|s| {
            s.time.is_none_or(time_ok)
                && prob_ok(s.failure)
                && s.backups.iter().all(|b| time_ok(b.time) && prob_ok(b.failure))
        });
        let p0 = no_backup_probability(&dag, &specs);
        let pc = completion_probability(&dag, &specs);
        prop_assert_eq!(p0.is_ok(), valid);
        prop_assert_eq!(pc.is_ok(), valid);
        if let (Ok(p0), Ok(pc)) = (p0, pc) {
            prop_assert!((0.0..=1.0).contains(&p0) && (0.0..=1.0).contains(&pc));
        }
        let d = expected_durations(&dag, &specs, model);
        prop_assert!(valid || d.is_err());
        let _ = expected_times(&dag, &specs, model, Delays::Data);
        let opts = MakespanOptions { max_scenarios: 4, samples: 8, seed: 1 };
        let m = expected_makespan(&dag, &specs, model, Delays::Data, &opts);
        prop_assert_eq!(m.is_ok(), d.is_ok());
    }
}
