//! Local search and lower bounds: never worse, valid, deterministic, near the best-known makespans
//! on the Braun instances; bounds below every mapping and below the exhaustive optimum on small
//! instances.

use agentsched::mapping::bounds::lower_bound;
use agentsched::mapping::search::{SearchOptions, improve};
use agentsched::mapping::{EtcMatrix, Mapping};
use proptest::prelude::*;

fn instance() -> impl Strategy<Value = (EtcMatrix, Vec<usize>)> {
    (1usize..9, 1usize..4).prop_flat_map(|(n, m)| {
        (
            prop::collection::vec(1u32..50, n * m),
            prop::collection::vec(0u32..5, m),
            prop::collection::vec(0usize..m, n),
        )
            .prop_map(move |(e, r, a)| {
                let etc = EtcMatrix::with_ready(
                    n,
                    m,
                    e.into_iter().map(f64::from).collect(),
                    r.into_iter().map(f64::from).collect(),
                )
                .unwrap();
                (etc, a)
            })
    })
}

/// Makespan recomputed from first principles.
fn makespan(etc: &EtcMatrix, a: &[usize]) -> f64 {
    let mut c = etc.ready().to_vec();
    for (t, &p) in a.iter().enumerate() {
        c[p] += etc.time(t, p);
    }
    c.into_iter().fold(0.0, f64::max)
}

fn optimum(etc: &EtcMatrix) -> f64 {
    let (n, m) = (etc.tasks(), etc.machines());
    let mut best = f64::INFINITY;
    let mut a = vec![0usize; n];
    loop {
        best = best.min(makespan(etc, &a));
        let mut i = 0;
        while i < n {
            a[i] += 1;
            if a[i] < m {
                break;
            }
            a[i] = 0;
            i += 1;
        }
        if i == n {
            return best;
        }
    }
}

/// Larger instances, with ties: identical machines (times equal across a row) or identical
/// tasks, so that prices and ties are exercised.
fn larger_instance() -> impl Strategy<Value = (EtcMatrix, Vec<usize>)> {
    (1usize..60, 1usize..8, 0u8..3).prop_flat_map(|(n, m, kind)| {
        (
            prop::collection::vec(1u32..1000, n * m),
            prop::collection::vec(0u32..300, m),
            prop::collection::vec(0usize..m, n),
        )
            .prop_map(move |(e, r, a)| {
                let times: Vec<f64> = (0..n * m)
                    .map(|i| match kind {
                        0 => e[i],
                        1 => e[i / m * m],
                        _ => e[i % m],
                    })
                    .map(f64::from)
                    .collect();
                let ready = r.into_iter().map(f64::from).collect();
                (EtcMatrix::with_ready(n, m, times, ready).unwrap(), a)
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Any iteration budget, including ones that stop the search mid-descent: a valid mapping,
    /// its makespan recomputed, never worse than the start, the same for the same seed.
    #[test]
    fn improve_on_larger_instances((etc, a) in larger_instance(), iters in 0u64..400, seed in any::<u64>()) {
        let start = Mapping::from_assignment(&etc, a).unwrap();
        let opts = SearchOptions { max_iterations: iters, time_limit: None, seed };
        let r = improve(&etc, &start, &opts).unwrap();
        prop_assert_eq!(r.assignment.len(), etc.tasks());
        prop_assert!(r.assignment.iter().all(|&p| p < etc.machines()));
        prop_assert_eq!(&r, &Mapping::from_assignment(&etc, r.assignment.clone()).unwrap());
        prop_assert_eq!(r.makespan, makespan(&etc, &r.assignment));
        prop_assert!(r.makespan <= start.makespan);
        prop_assert_eq!(&r, &improve(&etc, &start, &opts).unwrap());
    }

    /// `best` is never worse than any heuristic, and deterministic without a time limit.
    #[test]
    fn best_beats_every_heuristic((etc, _) in larger_instance(), iters in 0u64..200, seed in any::<u64>()) {
        use agentsched::mapping::{heuristics, search::best};
        let opts = SearchOptions { max_iterations: iters, time_limit: None, seed };
        let m = best(&etc, &opts);
        prop_assert_eq!(m.makespan, makespan(&etc, &m.assignment));
        for (name, h) in heuristics::ALL {
            prop_assert!(m.makespan <= h(&etc).makespan, "worse than {}", name);
        }
        prop_assert_eq!(&m, &best(&etc, &opts));
    }

    /// A time limit (here one that may fall anywhere, even before the prices are ready) only
    /// stops the search: the result is still valid and never worse.
    #[test]
    fn a_time_limit_only_stops((etc, a) in larger_instance(), micros in 0u64..2000) {
        let start = Mapping::from_assignment(&etc, a).unwrap();
        let opts = SearchOptions {
            max_iterations: u64::MAX,
            time_limit: Some(std::time::Duration::from_micros(micros)),
            seed: 5,
        };
        let r = improve(&etc, &start, &opts).unwrap();
        prop_assert_eq!(r.makespan, makespan(&etc, &r.assignment));
        prop_assert!(r.makespan <= start.makespan);
    }

    #[test]
    fn improve_never_worsens_and_is_deterministic((etc, a) in instance(), seed in any::<u64>()) {
        let start = Mapping::from_assignment(&etc, a).unwrap();
        let opts = SearchOptions { max_iterations: 200, time_limit: None, seed };
        let r = improve(&etc, &start, &opts).unwrap();
        prop_assert_eq!(r.assignment.len(), etc.tasks());
        prop_assert!(r.assignment.iter().all(|&p| p < etc.machines()));
        prop_assert_eq!(r.makespan, makespan(&etc, &r.assignment));
        prop_assert!(r.makespan <= start.makespan);
        prop_assert_eq!(&r, &improve(&etc, &start, &opts).unwrap());
    }

    #[test]
    fn bounds_are_below_the_optimum((etc, a) in instance(), iters in 0usize..200) {
        let b = lower_bound(&etc, iters);
        let opt = optimum(&etc);
        prop_assert!(b.best <= opt * (1.0 + 1e-12), "{:?} > {}", b, opt);
        prop_assert!(b.best <= makespan(&etc, &a) * (1.0 + 1e-12));
        prop_assert!(b.best >= b.longest_task && b.best >= b.lagrangian);
    }
}

#[test]
fn identical_machines_reach_the_averaging_bound() {
    // Four tasks of 3 and four of 1 on two identical machines: 8 is optimal and the bound.
    let times: Vec<f64> = [3.0, 3.0, 3.0, 3.0, 1.0, 1.0, 1.0, 1.0]
        .iter()
        .flat_map(|&x| [x, x])
        .collect();
    let etc = EtcMatrix::new(8, 2, times).unwrap();
    let b = lower_bound(&etc, 500);
    assert!((b.best - 8.0).abs() < 1e-6, "{b:?}");
    let start = Mapping::from_assignment(&etc, vec![0; 8]).unwrap();
    let opts = SearchOptions {
        max_iterations: 10_000,
        time_limit: None,
        seed: 3,
    };
    assert_eq!(improve(&etc, &start, &opts).unwrap().makespan, 8.0);
}

#[test]
fn a_start_that_does_not_fit_is_an_error() {
    let etc = EtcMatrix::new(2, 2, vec![1.0; 4]).unwrap();
    let bad = Mapping {
        assignment: vec![0, 5],
        completion: vec![0.0, 0.0],
        makespan: 0.0,
    };
    assert!(improve(&etc, &bad, &SearchOptions::default()).is_err());
    let short = Mapping {
        assignment: vec![0],
        completion: vec![0.0, 0.0],
        makespan: 0.0,
    };
    assert!(improve(&etc, &short, &SearchOptions::default()).is_err());
}

/// A results checker on the twelve Braun instances: `best` gives a valid assignment whose
/// makespan, recomputed from scratch, is the reported one, no worse than Min-Min; the lower bound
/// never exceeds the best-known makespan (it must not exceed the optimum).
#[test]
fn best_and_bounds_on_the_braun_instances() {
    use agentsched::mapping::{heuristics, instance::parse_etc, search::best};
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/testdata/etc");
    let known: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("best_known.json")).unwrap())
            .unwrap();
    for c in ["c", "i", "s"] {
        for h in ["hihi", "hilo", "lohi", "lolo"] {
            let text = std::fs::read_to_string(dir.join(format!("u_{c}_{h}-0.json"))).unwrap();
            let inst = parse_etc(&text).unwrap();
            let bk = known[&inst.name].as_f64().unwrap();
            let opts = SearchOptions {
                max_iterations: 300,
                time_limit: None,
                seed: 1,
            };
            let m = best(&inst.etc, &opts);
            assert_eq!(
                m.makespan,
                makespan(&inst.etc, &m.assignment),
                "{}",
                inst.name
            );
            assert!(m.makespan <= heuristics::min_min(&inst.etc).makespan);
            let b = lower_bound(&inst.etc, 1000);
            assert!(
                b.best <= bk,
                "{}: bound {} above best-known {bk}",
                inst.name,
                b.best
            );
            assert!(b.best <= m.makespan);
        }
    }
}

/// Quality on the twelve Braun instances with a deterministic budget: `best` within 1% of the
/// best-known makespans (geometric mean), none above 3%, none below the lower bound.
#[test]
fn best_is_near_the_best_known_on_the_braun_instances() {
    use agentsched::mapping::{instance::parse_etc, search::best};
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/testdata/etc");
    let known: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("best_known.json")).unwrap())
            .unwrap();
    let mut log_sum = 0.0;
    let mut ratios = Vec::new();
    for c in ["c", "i", "s"] {
        for h in ["hihi", "hilo", "lohi", "lolo"] {
            let text = std::fs::read_to_string(dir.join(format!("u_{c}_{h}-0.json"))).unwrap();
            let inst = parse_etc(&text).unwrap();
            let bk = known[&inst.name].as_f64().unwrap();
            // About 4 s for all twelve in a debug build.
            let opts = SearchOptions {
                max_iterations: 1000,
                time_limit: None,
                seed: 1,
            };
            let m = best(&inst.etc, &opts);
            assert_eq!(m.makespan, makespan(&inst.etc, &m.assignment));
            assert!(m.makespan >= lower_bound(&inst.etc, 300).best);
            let r = m.makespan / bk;
            ratios.push((inst.name.clone(), r));
            log_sum += r.ln();
        }
    }
    let geomean = (log_sum / 12.0).exp();
    eprintln!("geomean {geomean:.4} {ratios:?}");
    assert!(geomean <= 1.01, "geomean {geomean} {ratios:?}");
    assert!(ratios.iter().all(|(_, r)| *r <= 1.03), "{ratios:?}");
}
