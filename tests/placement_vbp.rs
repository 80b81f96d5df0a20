//! Vector bin packing: invariants (proptest), bounds against brute force, and quality reports
//! on generated Falkenauer triplet and uniform instances and on 2-D/3-D random instances.
//!
//! The reports (ignored by default, slow in debug) print with
//! `cargo test --release --test placement_vbp -- --ignored --nocapture report`.

use agentsched::placement::completion::{self, Budget};
use agentsched::placement::vbp::{self, Heuristic, Packing, SizeMeasure, VbpInstance};
use proptest::prelude::*;
use std::time::Instant;

/// SplitMix64: a tiny deterministic generator (no `rand` dependency).
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[lo, hi]`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }
}

/// Falkenauer's triplet construction (Falkenauer, "A hybrid grouping genetic algorithm for bin
/// packing", J. Heuristics 2, 1996): bins of 1000, each filled exactly by three items; the
/// first uniform in [380, 490], the second uniform in [250, 1000 - first - 250], the third the
/// rest (so at least 250): every item is in [250, 490] and the optimum is n / 3. Items are
/// shuffled.
fn triplets(n: usize, seed: u64) -> VbpInstance {
    let mut rng = Rng(seed);
    let mut items = Vec::with_capacity(n);
    for _ in 0..n / 3 {
        let a = rng.range(380, 490);
        let s = 1000 - a;
        let b = rng.range(250, s - 250);
        items.push(vec![a]);
        items.push(vec![b]);
        items.push(vec![s - b]);
    }
    for i in (1..items.len()).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
    VbpInstance::new(vec![1000], &items).unwrap()
}

/// Falkenauer's uniform class: sizes uniform in [20, 100], bins of 150.
fn uniform(n: usize, seed: u64) -> VbpInstance {
    let mut rng = Rng(seed);
    let items: Vec<Vec<u64>> = (0..n).map(|_| vec![rng.range(20, 100)]).collect();
    VbpInstance::new(vec![150], &items).unwrap()
}

/// `d`-dimensional items, each dimension uniform in [lo, hi] of a capacity of 100, with a
/// positive correlation (a shared base) so that no dimension alone decides.
fn random_vec(n: usize, d: usize, lo: u64, hi: u64, seed: u64) -> VbpInstance {
    let mut rng = Rng(seed);
    let items: Vec<Vec<u64>> = (0..n)
        .map(|_| {
            let base = rng.range(lo, hi);
            (0..d)
                .map(|_| (base + rng.range(lo, hi)) / 2)
                .collect::<Vec<u64>>()
        })
        .collect();
    VbpInstance::new(vec![100; d], &items).unwrap()
}

/// Independent checker: recomputes every bin's load and the placement of every item.
fn check(inst: &VbpInstance, p: &Packing) -> usize {
    let mut count = vec![0usize; inst.len()];
    for (b, bin) in p.bins.iter().enumerate() {
        assert!(!bin.is_empty(), "empty bin {b}");
        for k in 0..inst.dims() {
            let load: u64 = bin.iter().map(|&i| inst.demand(i)[k]).sum();
            assert!(load <= inst.capacity()[k], "bin {b} dim {k}: {load}");
        }
        for &i in bin {
            count[i] += 1;
            assert_eq!(p.assignment[i], b);
        }
    }
    assert!(count.iter().all(|&c| c == 1), "every item exactly once");
    assert!(p.lower_bound <= p.bins.len());
    let lb = p.lower_bound as f64;
    let gap = if lb == 0.0 {
        0.0
    } else {
        (p.bins.len() as f64 - lb) / lb
    };
    assert!((gap - p.gap).abs() < 1e-12);
    p.bins.len()
}

/// The optimum by exhaustive search over canonical assignments (item i goes to a used bin or
/// the first empty one), for tiny instances.
fn brute_force(inst: &VbpInstance) -> usize {
    fn go(inst: &VbpInstance, i: usize, loads: &mut Vec<Vec<u64>>, best: &mut usize) {
        if loads.len() >= *best {
            return;
        }
        if i == inst.len() {
            *best = loads.len();
            return;
        }
        let x = inst.demand(i);
        for b in 0..loads.len() {
            if loads[b]
                .iter()
                .zip(x)
                .zip(inst.capacity())
                .all(|((l, x), c)| l + x <= *c)
            {
                for (l, x) in loads[b].iter_mut().zip(x) {
                    *l += x;
                }
                go(inst, i + 1, loads, best);
                for (l, x) in loads[b].iter_mut().zip(x) {
                    *l -= x;
                }
            }
        }
        loads.push(x.to_vec());
        go(inst, i + 1, loads, best);
        loads.pop();
    }
    let mut best = inst.len();
    go(inst, 0, &mut Vec::new(), &mut best);
    best
}

fn instance() -> impl Strategy<Value = VbpInstance> {
    (1usize..4, 1u64..60).prop_flat_map(|(d, cap)| {
        let cap_vec = prop::collection::vec(cap..cap + 40, d);
        (cap_vec, 0usize..40, any::<u64>()).prop_map(move |(c, n, seed)| {
            let mut rng = Rng(seed);
            let items: Vec<Vec<u64>> = (0..n)
                .map(|_| c.iter().map(|&ck| rng.range(0, ck)).collect())
                .collect();
            VbpInstance::new(c, &items).unwrap()
        })
    })
}

fn tiny_instance() -> impl Strategy<Value = VbpInstance> {
    (1usize..3, 5u64..30, 1usize..9, any::<u64>()).prop_map(|(d, cap, n, seed)| {
        let mut rng = Rng(seed);
        let items: Vec<Vec<u64>> = (0..n)
            .map(|_| (0..d).map(|_| rng.range(1, cap)).collect())
            .collect();
        VbpInstance::new(vec![cap; d], &items).unwrap()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    #[test]
    fn every_heuristic_packs_validly(inst in instance()) {
        for h in Heuristic::CONSTRUCTIVE {
            let p = h.run(&inst);
            let n = check(&inst, &p);
            prop_assert_eq!(vbp::validate(&inst, &p).unwrap(), n);
            let better = vbp::improve(&inst, &p).unwrap();
            prop_assert!(check(&inst, &better) <= n, "{:?}: improve made it worse", h);
        }
        check(&inst, &vbp::best_with(&inst, &Budget::nodes(2_000)));
    }

    #[test]
    fn bin_completion_is_valid_and_no_worse_than_ffd(inst in instance()) {
        let p = completion::bin_completion(&inst, &Budget::nodes(3_000));
        let n = check(&inst, &p);
        let ffd = vbp::first_fit_decreasing(&inst, SizeMeasure::Sum);
        prop_assert!(n <= check(&inst, &ffd));
        prop_assert!(vbp::lower_bound(&inst) <= p.lower_bound);
        // from another start, and deterministic
        let q = completion::bin_completion_from(&inst, &ffd, &Budget::nodes(3_000)).unwrap();
        prop_assert!(check(&inst, &q) <= ffd.hosts());
        prop_assert_eq!(&q, &completion::bin_completion_from(&inst, &ffd, &Budget::nodes(3_000)).unwrap());
    }

    #[test]
    fn bin_completion_finds_and_proves_the_optimum(inst in tiny_instance()) {
        let opt = brute_force(&inst);
        let p = completion::bin_completion(&inst, &Budget::nodes(100_000));
        check(&inst, &p);
        prop_assert!(p.lower_bound <= opt, "claimed bound {} > OPT {}", p.lower_bound, opt);
        prop_assert_eq!(p.hosts(), opt);
        // the search is complete on tiny instances: it proves what it found
        prop_assert_eq!(p.lower_bound, opt);
    }

    #[test]
    fn tree_ffd_equals_scan_ffd(inst in instance()) {
        for m in [SizeMeasure::Sum, SizeMeasure::Max, SizeMeasure::L2] {
            prop_assert_eq!(
                vbp::first_fit_decreasing(&inst, m),
                vbp::first_fit_decreasing_scan(&inst, m)
            );
        }
    }

    #[test]
    fn bounds_below_brute_force_optimum(inst in tiny_instance()) {
        let opt = brute_force(&inst);
        let l1 = vbp::lower_bound_l1(&inst);
        prop_assert!(l1 <= opt);
        prop_assert!(vbp::lower_bound(&inst) <= opt);
        prop_assert!(vbp::best_with(&inst, &Budget::nodes(2_000)).hosts() >= opt);
        if inst.dims() == 1 {
            let sizes: Vec<u64> = (0..inst.len()).map(|i| inst.demand(i)[0]).collect();
            let l2 = vbp::lower_bound_l2(&sizes, inst.capacity()[0]).unwrap();
            prop_assert!(l2 <= opt, "L2 {} > OPT {}", l2, opt);
            prop_assert!(l2 >= l1, "L2 {} < L1 {}", l2, l1);
        }
    }

    #[test]
    fn validate_rejects_a_broken_packing(inst in instance()) {
        prop_assume!(inst.len() >= 2);
        let mut p = vbp::first_fit_decreasing(&inst, SizeMeasure::Sum);
        // move every item into bin 0: over capacity unless everything fits one host
        let all: Vec<usize> = (0..inst.len()).collect();
        let fits_one = (0..inst.dims())
            .all(|k| all.iter().map(|&i| inst.demand(i)[k]).sum::<u64>() <= inst.capacity()[k]);
        p.bins = vec![all];
        p.assignment = vec![0; inst.len()];
        prop_assert_eq!(vbp::validate(&inst, &p).is_ok(), fits_one);
    }
}

#[test]
fn bad_input_is_an_error_never_a_panic() {
    let e = VbpInstance::new(vec![10, 10], &[vec![3, 4], vec![5, 11]]).unwrap_err();
    assert!(e.to_string().contains("items[1][1]"), "{e}");
    assert!(VbpInstance::new(vec![10, 10], &[vec![3]]).is_err());
    assert!(VbpInstance::new(vec![0], &[]).is_err());
    assert!(VbpInstance::from_flat(vec![10, 10], vec![1, 2, 3]).is_err());
    assert!(VbpInstance::new(vec![u64::MAX, 1], &[vec![u64::MAX, 0], vec![1, 0]]).is_err());
    let inst = VbpInstance::new(vec![10], &[]).unwrap();
    assert_eq!(vbp::best(&inst).hosts(), 0);
    assert_eq!(vbp::lower_bound(&inst), 0);
}

#[test]
fn zero_demand_items_share_the_first_bin() {
    let inst = VbpInstance::new(vec![5, 5], &[vec![0, 0], vec![5, 5], vec![0, 0]]).unwrap();
    for h in Heuristic::ALL {
        let p = h.run(&inst);
        assert_eq!(check(&inst, &p), 1, "{h:?}");
    }
}

#[test]
fn triplets_are_built_as_published() {
    let inst = triplets(249, 7);
    assert_eq!(inst.len(), 249);
    let total: u64 = (0..inst.len()).map(|i| inst.demand(i)[0]).sum();
    assert_eq!(total, 1000 * 83);
    assert!((0..inst.len()).all(|i| (250..=490).contains(&inst.demand(i)[0])));
    assert_eq!(vbp::lower_bound(&inst), 83);
}

fn name(h: Heuristic) -> String {
    match h {
        Heuristic::FirstFitDecreasing(m) => format!("ffd-{m:?}").to_lowercase(),
        Heuristic::BestFitDecreasing(m) => format!("bfd-{m:?}").to_lowercase(),
        Heuristic::DotProduct => "dot-product".into(),
        Heuristic::L2NormGap => "l2".into(),
        Heuristic::MinBinSlack => "mbs".into(),
        Heuristic::BinCompletion => "bin-completion".into(),
    }
}

/// Issue 6's target on triplets: the optimum n / 3 on at least 9 of 10 instances (here of 60
/// items; larger sizes are in the ignored report). Plain FFD is never optimal on them.
#[test]
fn triplets_t60_reach_the_optimum() {
    let mut optimal = 0;
    for s in 0..10 {
        let inst = triplets(60, 1000 + s);
        let ffd = vbp::first_fit_decreasing(&inst, SizeMeasure::Sum);
        let p = vbp::best_with(&inst, &Budget::nodes(1_000_000));
        let n = check(&inst, &p);
        assert!(n <= ffd.hosts() && n >= 20);
        optimal += usize::from(n == 20);
    }
    assert!(optimal >= 9, "{optimal}/10 optimal");
}

/// Mean bins over the L2 bound of `best` on 10 uniform instances of `n` items.
fn uniform_ratio(n: usize) -> f64 {
    let mut ratio = 0.0;
    for s in 0..10 {
        let inst = uniform(n, 2000 + s);
        let sizes: Vec<u64> = (0..inst.len()).map(|i| inst.demand(i)[0]).collect();
        let l2 = vbp::lower_bound_l2(&sizes, 150).unwrap();
        let n = check(&inst, &vbp::best(&inst));
        ratio += n as f64 / l2 as f64;
    }
    ratio / 10.0
}

/// Issue 6's target on Falkenauer's uniform class: within 0.5% of the L2 bound on average, on
/// u250 and u120 (about 49 bins, so one bin is 2%: at most two instances of ten above the bound);
/// u500 and u1000 are in the ignored report.
#[test]
fn uniform_within_half_a_percent_of_the_bound() {
    let r = uniform_ratio(250);
    assert!(r <= 1.005, "u250: mean bins / L2 = {r}");
    let r = uniform_ratio(120);
    assert!(r <= 1.005, "u120: mean bins / L2 = {r}");
}

/// Issue 6's target in 2-D and 3-D: the portfolio beats the best of FFD (three measures),
/// dot-product and L2-norm-gap measured on the same instances.
#[test]
fn vector_best_beats_the_classic_heuristics() {
    for d in [2, 3] {
        let (mut ours, mut theirs) = (0, 0);
        for s in 0..4 {
            let inst = random_vec(120, d, 10, 40, 3000 + s);
            let classic = [
                vbp::first_fit_decreasing(&inst, SizeMeasure::Sum),
                vbp::first_fit_decreasing(&inst, SizeMeasure::Max),
                vbp::first_fit_decreasing(&inst, SizeMeasure::L2),
                vbp::dot_product(&inst),
                vbp::l2_norm_gap(&inst),
            ]
            .iter()
            .map(|p| check(&inst, p))
            .min()
            .unwrap();
            let n = check(&inst, &vbp::best_with(&inst, &Budget::nodes(20_000)));
            assert!(n <= classic, "{d}-D seed {s}: {n} > {classic}");
            ours += n;
            theirs += classic;
        }
        assert!(ours < theirs, "{d}-D: {ours} bins against {theirs}");
    }
}

/// Prints, per class: mean bins over the lower bound for each heuristic and for `best`, how
/// often each reaches the bound, and the time per instance.
type Method = (String, Box<dyn Fn(&VbpInstance) -> Packing>);

fn report_class(label: &str, insts: &[VbpInstance], extra: Vec<Method>) {
    let mut methods: Vec<Method> = Heuristic::CONSTRUCTIVE
        .iter()
        .map(|&h| {
            (
                name(h),
                Box::new(move |i: &VbpInstance| h.run(i)) as Box<dyn Fn(&VbpInstance) -> Packing>,
            )
        })
        .collect();
    methods.push(("best".into(), Box::new(vbp::best)));
    methods.extend(extra);
    println!("{label}:");
    for (m, f) in &methods {
        let mut at_lb = 0;
        let mut ratio = 0.0;
        let t = Instant::now();
        for inst in insts {
            let p = f(inst);
            let n = check(inst, &p);
            let lb = vbp::lower_bound(inst);
            at_lb += usize::from(n == lb);
            ratio += n as f64 / lb as f64;
        }
        println!(
            "  {m:<14} at bound {at_lb:>2}/{}  mean bins/LB {:.4}  {:>8.1} ms/instance",
            insts.len(),
            ratio / insts.len() as f64,
            t.elapsed().as_secs_f64() * 1e3 / insts.len() as f64
        );
    }
}

fn bigger_budget() -> Vec<Method> {
    vec![(
        "best 2M nodes".into(),
        Box::new(|i: &VbpInstance| vbp::best_with(i, &Budget::nodes(2_000_000))),
    )]
}

#[test]
#[ignore = "quality report (minutes in debug): run with --release -- --ignored --nocapture report"]
fn report_triplets_and_uniform() {
    for n in [60, 120, 249, 501] {
        let insts: Vec<VbpInstance> = (0..10).map(|s| triplets(n, 1000 + s)).collect();
        report_class(
            &format!("triplets t{n} (optimum n/3 = bound)"),
            &insts,
            bigger_budget(),
        );
    }
    for n in [120, 250, 500, 1000] {
        let insts: Vec<VbpInstance> = (0..10).map(|s| uniform(n, 2000 + s)).collect();
        report_class(
            &format!("uniform u{n} [20,100] / 150"),
            &insts,
            bigger_budget(),
        );
    }
}

#[test]
#[ignore = "quality report (minutes in debug): run with --release -- --ignored --nocapture report"]
fn report_vector_instances() {
    for d in [2, 3] {
        for (lo, hi) in [(10, 40), (5, 60)] {
            let insts: Vec<VbpInstance> = (0..10)
                .map(|s| random_vec(200, d, lo, hi, 3000 + s))
                .collect();
            report_class(
                &format!("{d}-D n=200 [{lo},{hi}] / 100"),
                &insts,
                Vec::new(),
            );
        }
    }
}

#[test]
fn bin_completion_with_many_items_per_bin_stays_valid() {
    // 600 unit items in bins of 1000: one bin; the enumeration's depth cap must not break it
    let items: Vec<Vec<u64>> = (0..600).map(|i| vec![i % 2]).collect();
    let inst = VbpInstance::new(vec![1000], &items).unwrap();
    let p = completion::bin_completion(&inst, &Budget::nodes(10_000));
    assert_eq!(check(&inst, &p), 1);
}

/// Regression: the subset search of minimum bin slack counted only the candidates that fit as
/// nodes, so skipping the many that do not cost O(n) per node; 10,000 random 3-D items took
/// 167 s in release. The scan is now bounded too; this size took 11 s in debug before (0.5 s after).
#[test]
fn min_bin_slack_bounds_its_scan_of_items_that_do_not_fit() {
    let inst = random_vec(1_500, 3, 1, 40, 7);
    let p = vbp::min_bin_slack(&inst, vbp::MBS_NODES_PER_BIN);
    check(&inst, &p);
}
