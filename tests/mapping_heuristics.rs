//! Integration tests for `agentsched::mapping::heuristics`.
//!
//! - Every heuristic against a naive reference written straight from its textbook definition
//!   (Braun et al., JPDC 2001; Maheswaran et al., HCW 1999; Graham 1969), on random matrices with
//!   many ties (small integers) and on random real matrices: same assignment, same makespan.
//! - A results checker that recomputes the makespan from an assignment from scratch, used on
//!   every heuristic's result.
//! - The published value: Min-Min on Braun's u_c_hihi.0 = 8,460,675.0; and every heuristic on
//!   the twelve Braun instances (run with `--nocapture` to see the table).

// The naive references index by task and machine on purpose: they read like the definitions.
#![allow(clippy::needless_range_loop)]

use agentsched::mapping::{EtcMatrix, Mapping, heuristics};
use proptest::prelude::*;
use std::path::PathBuf;

// ---------------------------------------------------------------------------------------------
// Naive references, straight from the definitions. Completion times accumulate in the order the
// heuristic maps tasks; ties: lowest task, then lowest machine.
// ---------------------------------------------------------------------------------------------

/// The machine with the earliest completion for task `t` (lowest index on ties), and that time.
fn naive_earliest(etc: &EtcMatrix, ready: &[f64], t: usize) -> (usize, f64) {
    let mut best = (0, ready[0] + etc.time(t, 0));
    for p in 1..etc.machines() {
        let c = ready[p] + etc.time(t, p);
        if c < best.1 {
            best = (p, c);
        }
    }
    best
}

fn naive_olb(etc: &EtcMatrix) -> Vec<usize> {
    let mut ready = etc.ready().to_vec();
    (0..etc.tasks())
        .map(|t| {
            let mut p = 0;
            for q in 1..etc.machines() {
                if ready[q] < ready[p] {
                    p = q;
                }
            }
            ready[p] += etc.time(t, p);
            p
        })
        .collect()
}

fn naive_met(etc: &EtcMatrix) -> Vec<usize> {
    (0..etc.tasks())
        .map(|t| {
            let mut p = 0;
            for q in 1..etc.machines() {
                if etc.time(t, q) < etc.time(t, p) {
                    p = q;
                }
            }
            p
        })
        .collect()
}

fn naive_mct(etc: &EtcMatrix) -> Vec<usize> {
    let mut ready = etc.ready().to_vec();
    (0..etc.tasks())
        .map(|t| {
            let (p, c) = naive_earliest(etc, &ready, t);
            ready[p] = c;
            p
        })
        .collect()
}

/// The O(n^2 m) Min-Min: scan every (unmapped task, machine) pair for the smallest completion.
fn naive_min_min(etc: &EtcMatrix) -> Vec<usize> {
    let n = etc.tasks();
    let mut ready = etc.ready().to_vec();
    let mut assignment = vec![usize::MAX; n];
    for _ in 0..n {
        let mut best: Option<(usize, usize, f64)> = None;
        for t in (0..n).filter(|&t| assignment[t] == usize::MAX) {
            for p in 0..etc.machines() {
                let c = ready[p] + etc.time(t, p);
                if best.is_none_or(|b| c < b.2) {
                    best = Some((t, p, c));
                }
            }
        }
        let (t, p, c) = best.unwrap();
        assignment[t] = p;
        ready[p] = c;
    }
    assignment
}

/// The O(n^2 m) Max-Min: each unmapped task's earliest completion; map the largest.
fn naive_max_min(etc: &EtcMatrix) -> Vec<usize> {
    let n = etc.tasks();
    let mut ready = etc.ready().to_vec();
    let mut assignment = vec![usize::MAX; n];
    for _ in 0..n {
        let mut best: Option<(usize, usize, f64)> = None;
        for t in (0..n).filter(|&t| assignment[t] == usize::MAX) {
            let (p, c) = naive_earliest(etc, &ready, t);
            if best.is_none_or(|b| c > b.2) {
                best = Some((t, p, c));
            }
        }
        let (t, p, c) = best.unwrap();
        assignment[t] = p;
        ready[p] = c;
    }
    assignment
}

fn makespan_of(etc: &EtcMatrix, assignment: &[usize]) -> f64 {
    check_result(etc, assignment).unwrap()
}

fn naive_duplex(etc: &EtcMatrix) -> Vec<usize> {
    let a = naive_min_min(etc);
    let b = naive_max_min(etc);
    if makespan_of(etc, &b) < makespan_of(etc, &a) {
        b
    } else {
        a
    }
}

/// Sufferage as in Maheswaran et al. 1999, Figure 3, with the completion times frozen within a
/// round and a holder displaced only by a strictly larger sufferage.
fn naive_sufferage(etc: &EtcMatrix) -> Vec<usize> {
    let n = etc.tasks();
    let m = etc.machines();
    let mut ready = etc.ready().to_vec();
    let mut meta: Vec<usize> = (0..n).collect();
    let mut assignment = vec![usize::MAX; n];
    while !meta.is_empty() {
        let mut tentative: Vec<Option<(usize, f64)>> = vec![None; m];
        let mut next_meta = Vec::new();
        for &t in &meta {
            let mut times: Vec<(f64, usize)> =
                (0..m).map(|p| (ready[p] + etc.time(t, p), p)).collect();
            times.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let p = times[0].1;
            let s = if m > 1 { times[1].0 - times[0].0 } else { 0.0 };
            match tentative[p] {
                None => tentative[p] = Some((t, s)),
                Some((old, os)) if os < s => {
                    next_meta.push(old);
                    tentative[p] = Some((t, s));
                }
                Some(_) => next_meta.push(t),
            }
        }
        for (p, slot) in tentative.iter().enumerate() {
            if let Some((t, _)) = *slot {
                assignment[t] = p;
                ready[p] += etc.time(t, p);
            }
        }
        next_meta.sort_unstable();
        meta = next_meta;
    }
    assignment
}

/// LPT: repeatedly the longest unmapped task (column 0; lowest index on ties) to the machine with
/// the smallest completion time (lowest index on ties).
fn naive_lpt(etc: &EtcMatrix) -> Vec<usize> {
    let n = etc.tasks();
    let mut ready = etc.ready().to_vec();
    let mut assignment = vec![usize::MAX; n];
    for _ in 0..n {
        let mut t = usize::MAX;
        for u in (0..n).filter(|&u| assignment[u] == usize::MAX) {
            if t == usize::MAX || etc.time(u, 0) > etc.time(t, 0) {
                t = u;
            }
        }
        let mut p = 0;
        for q in 1..etc.machines() {
            if ready[q] < ready[p] {
                p = q;
            }
        }
        ready[p] += etc.time(t, p);
        assignment[t] = p;
    }
    assignment
}

type Pair = (
    &'static str,
    fn(&EtcMatrix) -> Mapping,
    fn(&EtcMatrix) -> Vec<usize>,
);

const PAIRS: [Pair; 8] = [
    ("olb", heuristics::olb, naive_olb),
    ("met", heuristics::met, naive_met),
    ("mct", heuristics::mct, naive_mct),
    ("min-min", heuristics::min_min, naive_min_min),
    ("max-min", heuristics::max_min, naive_max_min),
    ("duplex", heuristics::duplex, naive_duplex),
    ("sufferage", heuristics::sufferage, naive_sufferage),
    ("lpt", heuristics::lpt, naive_lpt),
];

// ---------------------------------------------------------------------------------------------
// The results checker.
// ---------------------------------------------------------------------------------------------

/// Recomputes the makespan of `assignment` on `etc` from scratch: every task on exactly one
/// machine in range; makespan = max over machines of ready + the sum of its tasks' times.
fn check_result(etc: &EtcMatrix, assignment: &[usize]) -> Result<f64, String> {
    if assignment.len() != etc.tasks() {
        return Err(format!(
            "assignment has {} entries for {} tasks",
            assignment.len(),
            etc.tasks()
        ));
    }
    let mut completion = etc.ready().to_vec();
    for (t, &p) in assignment.iter().enumerate() {
        if p >= etc.machines() {
            return Err(format!("task {t} on machine {p} of {}", etc.machines()));
        }
        completion[p] += etc.time(t, p);
    }
    Ok(completion.iter().copied().fold(0.0, f64::max))
}

/// A mapping is valid and its completion times and makespan are what the assignment gives.
fn assert_consistent(etc: &EtcMatrix, m: &Mapping) {
    let makespan = check_result(etc, &m.assignment).unwrap();
    assert_eq!(m.makespan, makespan);
    assert_eq!(
        *m,
        Mapping::from_assignment(etc, m.assignment.clone()).unwrap()
    );
}

#[test]
fn checker_rejects_bad_assignments() {
    let etc = EtcMatrix::new(2, 2, vec![1.0, 2.0, 3.0, 4.0]).unwrap();
    assert!(check_result(&etc, &[0]).is_err());
    assert!(check_result(&etc, &[0, 2]).is_err());
    assert_eq!(check_result(&etc, &[0, 1]), Ok(4.0));
    assert_eq!(check_result(&etc, &[0, 0]), Ok(4.0));
    assert_eq!(check_result(&etc, &[1, 0]), Ok(3.0));
}

// ---------------------------------------------------------------------------------------------
// Property tests.
// ---------------------------------------------------------------------------------------------

/// Small integer times (1..=4) and ready times (0..=3): many ties.
fn tie_matrix() -> impl Strategy<Value = EtcMatrix> {
    (0usize..12, 1usize..5, any::<bool>()).prop_flat_map(|(n, m, with_ready)| {
        (
            prop::collection::vec(1u8..=4, n * m),
            prop::collection::vec(0u8..=3, m),
        )
            .prop_map(move |(etc, ready)| {
                let etc = etc.into_iter().map(f64::from).collect();
                let ready = if with_ready {
                    ready.into_iter().map(f64::from).collect()
                } else {
                    vec![0.0; m]
                };
                EtcMatrix::with_ready(n, m, etc, ready).unwrap()
            })
    })
}

/// Real times over several orders of magnitude.
fn real_matrix() -> impl Strategy<Value = EtcMatrix> {
    (0usize..40, 1usize..9).prop_flat_map(|(n, m)| {
        (
            prop::collection::vec(1e-3f64..1e4, n * m),
            prop::collection::vec(0.0f64..100.0, m),
        )
            .prop_map(move |(etc, ready)| EtcMatrix::with_ready(n, m, etc, ready).unwrap())
    })
}

/// Ready times near 2^53, where adding 1.0 .. 3.0 rounds: different times reach the same
/// completion time, which must still break ties by the lowest task, then machine.
fn rounding_matrix() -> impl Strategy<Value = EtcMatrix> {
    (0usize..12, 1usize..5).prop_flat_map(|(n, m)| {
        (
            prop::collection::vec(2u8..=6, n * m),
            prop::collection::vec(0u8..=2, m),
        )
            .prop_map(move |(etc, ready)| {
                let etc = etc.into_iter().map(|x| f64::from(x) / 2.0).collect();
                let ready = ready
                    .into_iter()
                    .map(|r| 9_007_199_254_740_992.0 + 2.0 * f64::from(r))
                    .collect();
                EtcMatrix::with_ready(n, m, etc, ready).unwrap()
            })
    })
}

/// Identical machines (constant rows), as LPT expects.
fn identical_matrix() -> impl Strategy<Value = EtcMatrix> {
    (0usize..30, 1usize..6).prop_flat_map(|(n, m)| {
        prop::collection::vec(1u8..=9, n).prop_map(move |len| {
            let etc = len
                .iter()
                .flat_map(|&l| std::iter::repeat_n(f64::from(l), m))
                .collect();
            EtcMatrix::new(n, m, etc).unwrap()
        })
    })
}

fn agree_with_reference(etc: &EtcMatrix) -> Result<(), TestCaseError> {
    for (name, fast, naive) in PAIRS {
        let got = fast(etc);
        let want = naive(etc);
        prop_assert_eq!(&got.assignment, &want, "{}", name);
        let makespan = check_result(etc, &got.assignment).unwrap();
        prop_assert_eq!(got.makespan, makespan, "{}", name);
        prop_assert_eq!(
            &got,
            &Mapping::from_assignment(etc, want).unwrap(),
            "{}",
            name
        );
        // Never below the trivial bounds.
        prop_assert!(got.makespan >= etc.ready().iter().copied().fold(0.0, f64::max));
        for t in 0..etc.tasks() {
            let best = (0..etc.machines())
                .map(|p| etc.ready()[p] + etc.time(t, p))
                .fold(f64::INFINITY, f64::min);
            prop_assert!(got.makespan >= best, "{}", name);
        }
    }
    Ok(())
}

/// Larger matrices with skewed times (powers of two from 1 to 2^20, mostly small, with repeats):
/// crowded buckets in Min-Min's distribution sort, and long runs of equal times.
fn skewed_matrix() -> impl Strategy<Value = EtcMatrix> {
    (20usize..160, 1usize..6).prop_flat_map(|(n, m)| {
        prop::collection::vec((0u32..21, 0u32..21), n * m).prop_map(move |v| {
            let etc = v
                .into_iter()
                .map(|(a, b)| f64::from(1u32 << a.min(b)))
                .collect();
            EtcMatrix::new(n, m, etc).unwrap()
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn min_min_matches_textbook_skewed(etc in skewed_matrix()) {
        prop_assert_eq!(heuristics::min_min(&etc).assignment, naive_min_min(&etc));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn heuristics_match_textbook_with_ties(etc in tie_matrix()) {
        agree_with_reference(&etc)?;
    }

    #[test]
    fn heuristics_match_textbook_real(etc in real_matrix()) {
        agree_with_reference(&etc)?;
    }

    #[test]
    fn heuristics_match_textbook_rounding(etc in rounding_matrix()) {
        agree_with_reference(&etc)?;
    }

    #[test]
    fn heuristics_match_textbook_identical(etc in identical_matrix()) {
        agree_with_reference(&etc)?;
    }

    #[test]
    fn lpt_within_list_scheduling_bound(etc in identical_matrix()) {
        // Any list schedule on identical machines (Graham 1966) ends by total / m + the longest
        // task * (1 - 1/m); no schedule beats max(longest, total / m).
        let m = etc.machines() as f64;
        let total: f64 = (0..etc.tasks()).map(|t| etc.time(t, 0)).sum();
        let longest = (0..etc.tasks()).map(|t| etc.time(t, 0)).fold(0.0, f64::max);
        let got = heuristics::lpt(&etc).makespan;
        prop_assert!(got <= total / m + longest * (1.0 - 1.0 / m) + 1e-9);
        prop_assert!(got >= longest.max(total / m));
    }
}

#[test]
fn empty_and_single_machine() {
    let empty = EtcMatrix::with_ready(0, 2, vec![], vec![1.0, 3.0]).unwrap();
    for (name, f) in heuristics::ALL {
        let m = f(&empty);
        assert!(m.assignment.is_empty(), "{name}");
        assert_eq!(m.makespan, 3.0, "{name}");
    }
    let one = EtcMatrix::new(3, 1, vec![1.0, 2.0, 3.0]).unwrap();
    for (name, f) in heuristics::ALL {
        let m = f(&one);
        assert_eq!(m.assignment, vec![0, 0, 0], "{name}");
        assert_eq!(m.makespan, 6.0, "{name}");
    }
}

#[test]
fn by_name_covers_all() {
    for (name, f) in heuristics::ALL {
        assert_eq!(
            heuristics::by_name(name).map(|g| g as usize),
            Some(f as usize)
        );
    }
    assert!(heuristics::by_name("best").is_none());
}

// ---------------------------------------------------------------------------------------------
// Braun et al. instances.
// ---------------------------------------------------------------------------------------------

fn braun_dir() -> PathBuf {
    // A copy of ../shared/bench/instances/etc (see its README for the source and licence), so
    // that the tests do not depend on what sits beside the checkout.
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/testdata/etc/")
}

/// Reads an `agentsched-bench/1` file of kind `etc` (these files are trusted test data).
fn read_etc(path: &std::path::Path) -> (String, EtcMatrix) {
    let text = std::fs::read_to_string(path).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["format"], "agentsched-bench/1");
    assert_eq!(v["kind"], "etc");
    let m = v["machines"].as_u64().unwrap() as usize;
    let rows = v["etc"].as_array().unwrap();
    let mut etc = Vec::with_capacity(rows.len() * m);
    for row in rows {
        let row = row.as_array().unwrap();
        assert_eq!(row.len(), m);
        etc.extend(row.iter().map(|x| x.as_f64().unwrap()));
    }
    let ready = match v.get("ready") {
        Some(r) => r
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect(),
        None => vec![0.0; m],
    };
    let name = v["name"].as_str().unwrap().to_string();
    (
        name,
        EtcMatrix::with_ready(rows.len(), m, etc, ready).unwrap(),
    )
}

const BRAUN: [&str; 12] = [
    "u_c_hihi", "u_c_hilo", "u_c_lohi", "u_c_lolo", "u_i_hihi", "u_i_hilo", "u_i_lohi", "u_i_lolo",
    "u_s_hihi", "u_s_hilo", "u_s_lohi", "u_s_lolo",
];

#[test]
fn min_min_published_value_u_c_hihi() {
    let (name, etc) = read_etc(&braun_dir().join("u_c_hihi-0.json"));
    assert_eq!(name, "u_c_hihi.0");
    assert_eq!((etc.tasks(), etc.machines()), (512, 16));
    let m = heuristics::min_min(&etc);
    assert_consistent(&etc, &m);
    // The data has six decimals; the literature reports the makespan to one decimal.
    assert!((m.makespan - 8_460_675.0).abs() < 0.05, "{}", m.makespan);
    assert_eq!(m.assignment, naive_min_min(&etc));
}

/// Every heuristic on the twelve instances: valid, recomputed makespan, not better than the
/// best-known by more than the 0.5% gap to the LP bound; prints the table and geometric means.
#[test]
fn braun_table() {
    let best: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(braun_dir().join("best_known.json")).unwrap(),
    )
    .unwrap();
    let mut log_ratio = vec![0.0f64; heuristics::ALL.len()];
    let mut header = format!("{:<12}", "instance");
    for (name, _) in heuristics::ALL {
        header += &format!(" {name:>12}");
    }
    println!("{header} {:>12}", "best-known");
    for inst in BRAUN {
        let (name, etc) = read_etc(&braun_dir().join(format!("{inst}-0.json")));
        let bk = best[&name].as_f64().unwrap();
        let mut line = format!("{name:<12}");
        for (i, (h, f)) in heuristics::ALL.iter().enumerate() {
            let m = f(&etc);
            assert_consistent(&etc, &m);
            assert!(m.makespan >= bk * 0.995, "{h} on {name}");
            log_ratio[i] += (m.makespan / bk).ln();
            line += &format!(" {:>12.1}", m.makespan);
        }
        println!("{line} {bk:>12.1}");
    }
    let mut line = format!("{:<12}", "geomean/bk");
    for lr in &log_ratio {
        line += &format!(" {:>12.4}", (lr / BRAUN.len() as f64).exp());
    }
    println!("{line}");
    // Braun et al. report Min-Min around 1.14 of the best-known on these instances.
    let min_min = (log_ratio[3] / BRAUN.len() as f64).exp();
    assert!((1.10..1.17).contains(&min_min), "{min_min}");
}
