//! Renting nodes (covering): every cover is checked by recomputing coverage and cost here; the
//! exact solver is compared with brute force over all subsets (or all copy counts) of small
//! instances; bounds never exceed the brute-force optimum; hand scenarios with optima worked out
//! by hand; hostile inputs give errors, never panics.

use agentsched::Error;
use agentsched::placement::cover::{
    Cover, CoverInstance, CoverOptions, Offer, branch_and_bound, heuristic, lower_bound,
};
use proptest::prelude::*;

/// Relative tolerance for comparing sums of `f64` costs added in different orders.
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// Coverage of `counts` recomputed from the raw offers, in u128.
fn recompute(offers: &[Offer], demand: &[u64], counts: &[u32]) -> (bool, f64) {
    assert_eq!(counts.len(), offers.len());
    let mut got = vec![0u128; demand.len()];
    let mut cost = 0.0;
    for (o, &x) in offers.iter().zip(counts) {
        assert!(
            x <= o.count,
            "offer {} rented {x} > {} copies",
            o.id,
            o.count
        );
        for (g, &a) in got.iter_mut().zip(&o.capacity) {
            *g += u128::from(a) * u128::from(x);
        }
        cost += o.cost * f64::from(x);
    }
    let ok = got.iter().zip(demand).all(|(&g, &b)| g >= u128::from(b));
    (ok, cost)
}

/// Checks a returned cover against the raw instance: it covers, its cost and `chosen` agree
/// with `counts`, and its bound is at most its cost.
fn check_cover(offers: &[Offer], demand: &[u64], c: &Cover) {
    let (ok, cost) = recompute(offers, demand, &c.counts);
    assert!(ok, "does not cover: {c:?}");
    assert!(close(cost, c.cost), "cost {} recomputed {cost}", c.cost);
    let mut chosen = Vec::new();
    for (i, &x) in c.counts.iter().enumerate() {
        chosen.extend(std::iter::repeat_n(i, x as usize));
    }
    assert_eq!(chosen, c.chosen);
    assert!(c.lower_bound <= c.cost + 1e-9 * c.cost.max(1.0));
    assert!(c.lower_bound >= 0.0);
    if c.proven_optimal {
        assert!(close(c.lower_bound, c.cost));
    }
}

/// The optimum by enumerating every vector of copy counts (product of `count + 1`).
fn brute_force(offers: &[Offer], demand: &[u64]) -> Option<f64> {
    let mut x = vec![0u32; offers.len()];
    let mut best: Option<f64> = None;
    loop {
        let (ok, cost) = recompute(offers, demand, &x);
        if ok && best.is_none_or(|b| cost < b) {
            best = Some(cost);
        }
        // Next vector, odometer style.
        let mut i = 0;
        loop {
            if i == x.len() {
                return best;
            }
            if x[i] < offers[i].count {
                x[i] += 1;
                break;
            }
            x[i] = 0;
            i += 1;
        }
    }
}

/// The first dimension all offers together cannot cover, with its shortfall.
fn first_short(offers: &[Offer], demand: &[u64]) -> Option<(usize, u64, u64)> {
    demand.iter().enumerate().find_map(|(k, &b)| {
        let t: u128 = offers
            .iter()
            .map(|o| u128::from(o.capacity[k]) * u128::from(o.count))
            .sum();
        (t < u128::from(b)).then_some((k, b, t as u64))
    })
}

fn offers_of(caps: &[Vec<u64>], costs: &[f64]) -> Vec<Offer> {
    caps.iter()
        .zip(costs)
        .enumerate()
        .map(|(i, (a, &c))| Offer::new(i as u32, a.clone(), c))
        .collect()
}

/// Small instances: `n` offers in `d` dimensions, costs either integers (many ties) or
/// fractions, demand a random fraction of the total (sometimes more: infeasible).
fn small_instance(max_n: usize, max_count: u32) -> impl Strategy<Value = (Vec<Offer>, Vec<u64>)> {
    (1usize..=3, 0usize..=max_n).prop_flat_map(move |(d, n)| {
        (
            proptest::collection::vec(proptest::collection::vec(0u64..=20, d), n),
            proptest::collection::vec(
                prop_oneof![(0u32..=12).prop_map(f64::from), 0.0f64..10.0],
                n,
            ),
            proptest::collection::vec(1u32..=max_count, n),
            proptest::collection::vec(0u32..=110, d),
        )
            .prop_map(move |(caps, costs, counts, pct)| {
                let mut offers = offers_of(&caps, &costs);
                for (o, c) in offers.iter_mut().zip(counts) {
                    o.count = c;
                }
                let demand = (0..d)
                    .map(|k| {
                        let t: u64 = offers
                            .iter()
                            .map(|o| o.capacity[k] * u64::from(o.count))
                            .sum();
                        t * u64::from(pct[k]) / 100
                    })
                    .collect();
                (offers, demand)
            })
    })
}

fn run_all(offers: &[Offer], demand: &[u64], opts: &CoverOptions) -> (Cover, Cover, f64) {
    let inst = CoverInstance::new(offers.to_vec(), demand.to_vec()).unwrap();
    let exact = branch_and_bound(&inst, opts).unwrap();
    let heur = heuristic(&inst, opts).unwrap();
    let lb = lower_bound(&inst).unwrap();
    (exact, heur, lb)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    /// 0/1 offers (one copy each), up to 11: the exact solver's proven optimum equals brute
    /// force over all subsets; the heuristic covers at no less than the optimum; every bound is
    /// at most the optimum.
    #[test]
    fn exact_equals_brute_force_on_subsets((offers, demand) in small_instance(11, 1)) {
        check_against_brute_force(&offers, &demand);
    }

    /// Up to 6 offers with up to 3 copies each: brute force over all copy counts.
    #[test]
    fn exact_equals_brute_force_with_copies((offers, demand) in small_instance(6, 3)) {
        check_against_brute_force(&offers, &demand);
    }

    /// A search stopped by a tiny node budget still returns a cover no better than the optimum
    /// and a bound no larger than it.
    #[test]
    fn stopped_search_keeps_a_valid_bound((offers, demand) in small_instance(11, 2), budget in 0u64..4) {
        if first_short(&offers, &demand).is_some() {
            return Ok(());
        }
        let opt = brute_force(&offers, &demand).unwrap();
        let inst = CoverInstance::new(offers.clone(), demand.clone()).unwrap();
        let c = branch_and_bound(&inst, &CoverOptions { node_budget: Some(budget), time_limit: None }).unwrap();
        check_cover(&offers, &demand, &c);
        prop_assert!(c.nodes <= budget);
        prop_assert!(c.cost >= opt - 1e-9 * opt.max(1.0));
        prop_assert!(c.lower_bound <= opt + 1e-9 * opt.max(1.0));
        if c.proven_optimal {
            prop_assert!(close(c.cost, opt));
        }
    }

    /// Same input, same output (no time limit).
    #[test]
    fn deterministic((offers, demand) in small_instance(11, 2)) {
        if first_short(&offers, &demand).is_some() {
            return Ok(());
        }
        let opts = CoverOptions::default();
        let a = run_all(&offers, &demand, &opts);
        let b = run_all(&offers, &demand, &opts);
        prop_assert_eq!(a.0, b.0);
        prop_assert_eq!(a.1, b.1);
        prop_assert_eq!(a.2.to_bits(), b.2.to_bits());
    }

    /// Arbitrary huge numbers: an error or a cover, never a panic; a cover really covers.
    #[test]
    fn extreme_inputs_never_panic(
        d in 0usize..=3,
        raw in proptest::collection::vec(
            (proptest::collection::vec(prop_oneof![Just(0u64), Just(1), Just(u64::MAX), Just(u64::MAX / 2 + 1), any::<u64>()], 3),
             prop_oneof![Just(0.0), Just(f64::MIN_POSITIVE), Just(1e300), Just(f64::MAX), Just(f64::NAN), Just(f64::INFINITY), Just(-0.0), Just(-1.0), 0.0f64..1e6],
             prop_oneof![Just(0u32), Just(1), Just(u32::MAX), 0u32..5],
             0u32..4),
            0..8),
        demand in proptest::collection::vec(prop_oneof![Just(0u64), Just(1), Just(u64::MAX), any::<u64>()], 3),
    ) {
        let offers: Vec<Offer> = raw
            .iter()
            .enumerate()
            .map(|(i, (cap, cost, count, id))| Offer {
                // Some duplicate ids on purpose.
                id: if *id == 0 { 0 } else { i as u32 + 1 },
                capacity: cap[..d].to_vec(),
                cost: *cost,
                count: *count,
            })
            .collect();
        let demand = demand[..d].to_vec();
        let opts = CoverOptions { node_budget: Some(2_000), time_limit: None };
        if let Ok(inst) = CoverInstance::new(offers.clone(), demand.clone()) {
            for r in [branch_and_bound(&inst, &opts), heuristic(&inst, &opts)] {
                match r {
                    Ok(c) => check_cover(&offers, &demand, &c),
                    Err(Error::Uncoverable { dimension, demand: b, available }) => {
                        prop_assert_eq!(first_short(&offers, &demand), Some((dimension, b, available)));
                    }
                    Err(e) => prop_assert!(false, "unexpected error {e}"),
                }
            }
            let _ = lower_bound(&inst);
        }
    }
}

fn check_against_brute_force(offers: &[Offer], demand: &[u64]) {
    let inst = CoverInstance::new(offers.to_vec(), demand.to_vec()).unwrap();
    let opts = CoverOptions::default();
    if let Some((k, b, t)) = first_short(offers, demand) {
        for r in [branch_and_bound(&inst, &opts), heuristic(&inst, &opts)] {
            assert_eq!(
                r.unwrap_err(),
                Error::Uncoverable {
                    dimension: k,
                    demand: b,
                    available: t
                }
            );
        }
        return;
    }
    let opt = brute_force(offers, demand).expect("coverable");
    let (exact, heur, lb) = run_all(offers, demand, &opts);
    check_cover(offers, demand, &exact);
    check_cover(offers, demand, &heur);
    assert!(exact.proven_optimal, "small search not finished: {exact:?}");
    assert!(
        close(exact.cost, opt),
        "exact {} brute force {opt}",
        exact.cost
    );
    assert!(heur.cost >= opt - 1e-9 * opt.max(1.0));
    let tol = 1e-9 * opt.max(1.0);
    assert!(lb <= opt + tol, "bound {lb} > optimum {opt}");
    assert!(heur.lower_bound <= opt + tol);
    if heur.proven_optimal {
        assert!(close(heur.cost, opt));
    }
}

// ---- hand scenarios --------------------------------------------------------------------------

fn solve_both(offers: Vec<Offer>, demand: Vec<u64>) -> (Cover, Cover) {
    let inst = CoverInstance::new(offers.clone(), demand.clone()).unwrap();
    let e = branch_and_bound(&inst, &CoverOptions::default()).unwrap();
    let h = heuristic(&inst, &CoverOptions::default()).unwrap();
    check_cover(&offers, &demand, &e);
    check_cover(&offers, &demand, &h);
    (e, h)
}

/// The set-cover instance where the greedy's first pick is redundant: A = {1,2,3,4},
/// B = {1,2,5}, C = {3,4,6}, all of cost 1, as 0/1 capacities over six dimensions of demand 1.
/// The greedy takes A (4 elements) then B and C; B and C alone cover: optimum 2.
#[test]
fn set_cover_greedy_trap() {
    let set = |id, elems: &[usize]| {
        let mut a = vec![0u64; 6];
        for &e in elems {
            a[e - 1] = 1;
        }
        Offer::new(id, a, 1.0)
    };
    let offers = vec![
        set(0, &[1, 2, 3, 4]),
        set(1, &[1, 2, 5]),
        set(2, &[3, 4, 6]),
    ];
    let (e, h) = solve_both(offers, vec![1; 6]);
    assert!(e.proven_optimal);
    assert_eq!(e.chosen, vec![1, 2]);
    assert_eq!(e.cost, 2.0);
    // Dropping the redundant A repairs the greedy.
    assert_eq!(h.chosen, vec![1, 2]);
}

/// One dimension (the minimisation knapsack): demand 10 from sizes/costs 9/9, 5/5.5, 5/5.5,
/// 10/10.5, 1/2. By hand: 10 alone 10.5; 9+1 = 11; 5+5 = 11; 9+5 = 14.5. Optimum 10.5, while
/// the fractional bound is 9 + 1 * 1.05 = 10.05.
#[test]
fn min_knapsack_by_hand() {
    let offers = offers_of(
        &[vec![9], vec![5], vec![5], vec![10], vec![1]],
        &[9.0, 5.5, 5.5, 10.5, 2.0],
    );
    let (e, h) = solve_both(offers.clone(), vec![10]);
    assert_eq!((e.chosen.clone(), e.cost), (vec![3], 10.5));
    assert!(h.cost >= 10.5);
    let inst = CoverInstance::new(offers, vec![10]).unwrap();
    assert!((lower_bound(&inst).unwrap() - 10.05).abs() < 1e-9);
}

/// Two dimensions, each best served by a different node type, and a balanced node that is
/// cheaper than one of each: cpu-heavy (16 cpu, 16 GiB) for 2, memory-heavy (4 cpu, 64 GiB) for
/// 2, balanced (8 cpu, 32 GiB) for 1.5 with 4 copies. Demand (16, 64): two balanced nodes cover
/// exactly for 3.0; one cpu + one memory node cost 4; anything with one node is short.
#[test]
fn balanced_nodes_by_hand() {
    let offers = vec![
        Offer::new(10, vec![16, 16], 2.0),
        Offer::new(20, vec![4, 64], 2.0),
        Offer::new(30, vec![8, 32], 1.5).with_count(4),
    ];
    let (e, h) = solve_both(offers, vec![16, 64]);
    assert_eq!((e.chosen.clone(), e.cost), (vec![2, 2], 3.0));
    assert!(e.proven_optimal);
    assert_eq!(h.cost, 3.0);
    // The normalised surrogate bound sees both dimensions: each balanced node covers half of
    // each, so the bound is 3.0 and the heuristic knows it is optimal.
    assert!(h.proven_optimal);
}

/// Identical copies as separate offers and as one offer with a count give the same cost.
#[test]
fn copies_equal_separate_offers() {
    let separate: Vec<Offer> = (0..5).map(|i| Offer::new(i, vec![3, 1], 2.0)).collect();
    let counted = vec![Offer::new(0, vec![3, 1], 2.0).with_count(5)];
    let (a, _) = solve_both(separate, vec![10, 2]);
    let (b, _) = solve_both(counted, vec![10, 2]);
    assert_eq!(a.cost, 8.0);
    assert_eq!(b.cost, 8.0);
    assert_eq!(a.chosen, vec![0, 1, 2, 3]);
    assert_eq!(b.chosen, vec![0, 0, 0, 0]);
}

/// Zero-cost nodes: rented only where they help.
#[test]
fn free_nodes() {
    let offers = offers_of(&[vec![5, 0], vec![0, 5], vec![5, 5]], &[0.0, 0.0, 3.0]);
    let (e, h) = solve_both(offers, vec![5, 0]);
    assert_eq!((e.chosen.clone(), e.cost), (vec![0], 0.0));
    assert_eq!((h.chosen.clone(), h.cost), (vec![0], 0.0));
}

#[test]
fn zero_demand_is_the_empty_choice() {
    for demand in [vec![0, 0], vec![]] {
        let d = demand.len();
        let offers = vec![Offer::new(1, vec![4; d], 2.0)];
        let (e, h) = solve_both(offers, demand);
        for c in [e, h] {
            assert!(c.chosen.is_empty());
            assert_eq!((c.cost, c.lower_bound, c.proven_optimal), (0.0, 0.0, true));
        }
    }
    let inst = CoverInstance::new(vec![], vec![0, 0]).unwrap();
    assert!(
        branch_and_bound(&inst, &CoverOptions::default())
            .unwrap()
            .chosen
            .is_empty()
    );
}

#[test]
fn uncoverable_names_the_dimension_and_shortfall() {
    let offers = vec![
        Offer::new(1, vec![4, 8], 1.0).with_count(2),
        Offer::new(2, vec![4, 8], 1.0),
    ];
    let inst = CoverInstance::new(offers, vec![12, 30]).unwrap();
    let want = Error::Uncoverable {
        dimension: 1,
        demand: 30,
        available: 24,
    };
    assert_eq!(
        branch_and_bound(&inst, &CoverOptions::default()).unwrap_err(),
        want
    );
    assert_eq!(
        heuristic(&inst, &CoverOptions::default()).unwrap_err(),
        want
    );
    assert_eq!(lower_bound(&inst).unwrap_err(), want);
    let msg = want.to_string();
    assert!(
        msg.contains("dimension 1") && msg.contains("short by 6"),
        "{msg}"
    );
    let none = CoverInstance::new(vec![], vec![1]).unwrap();
    assert!(matches!(
        heuristic(&none, &CoverOptions::default()),
        Err(Error::Uncoverable {
            dimension: 0,
            demand: 1,
            available: 0
        })
    ));
}

#[test]
fn validation_names_the_offer_and_field() {
    let field_of = |offers: Vec<Offer>, demand: Vec<u64>| match CoverInstance::new(offers, demand) {
        Err(Error::InvalidInstance { field, .. }) => field,
        other => panic!("expected InvalidInstance, got {other:?}"),
    };
    let ok = Offer::new(1, vec![1, 1], 1.0);
    for bad_cost in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -1.0] {
        let f = field_of(
            vec![ok.clone(), Offer::new(9, vec![1, 1], bad_cost)],
            vec![1, 1],
        );
        assert_eq!(f, "offers[1] (id 9).cost");
    }
    assert_eq!(
        field_of(vec![ok.clone(), Offer::new(4, vec![1], 1.0)], vec![1, 1]),
        "offers[1] (id 4).capacity"
    );
    assert_eq!(
        field_of(
            vec![ok.clone(), Offer::new(2, vec![1, 1], 1.0), ok.clone()],
            vec![1, 1]
        ),
        "offers[2] (id 1).id"
    );
    assert_eq!(
        field_of(
            vec![Offer::new(1, vec![1, 1], 1e308).with_count(10)],
            vec![1, 1]
        ),
        "offers"
    );
    let big = u64::MAX / 2 + 1;
    assert_eq!(
        CoverInstance::new(
            vec![
                Offer::new(1, vec![1, big], 1.0),
                Offer::new(2, vec![1, big], 1.0)
            ],
            vec![1, 1]
        )
        .unwrap_err(),
        Error::Overflow {
            field: "offers",
            dimension: 1
        }
    );
    assert_eq!(
        CoverInstance::new(
            vec![Offer::new(1, vec![1 << 40], 1.0).with_count(1 << 30)],
            vec![1]
        )
        .unwrap_err(),
        Error::Overflow {
            field: "offers",
            dimension: 0
        }
    );
}

#[test]
fn from_flat_checks_lengths() {
    let caps = [4, 8, 2, 2];
    let costs = [1.0, 0.5];
    let inst =
        CoverInstance::from_flat(2, Some(&[7, 3]), &caps, &costs, Some(&[1, 2]), &[8, 12]).unwrap();
    assert_eq!(
        inst.offers()[1],
        Offer::new(3, vec![2, 2], 0.5).with_count(2)
    );
    let mismatch = |r: Result<CoverInstance, Error>| match r {
        Err(Error::DimensionMismatch { field, .. }) => field,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        mismatch(CoverInstance::from_flat(2, None, &caps, &costs, None, &[8])),
        "demand"
    );
    assert_eq!(
        mismatch(CoverInstance::from_flat(
            2,
            None,
            &caps[..3],
            &costs,
            None,
            &[8, 1]
        )),
        "capacities"
    );
    assert_eq!(
        mismatch(CoverInstance::from_flat(
            2,
            Some(&[1]),
            &caps,
            &costs,
            None,
            &[8, 1]
        )),
        "ids"
    );
    assert_eq!(
        mismatch(CoverInstance::from_flat(
            2,
            None,
            &caps,
            &costs,
            Some(&[1]),
            &[8, 1]
        )),
        "counts"
    );
}

/// SplitMix64, for the test's own instances.
struct Rng(u64);
impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// A larger instance than brute force can check: the exact solver finishes and the heuristic is
/// no better than it.
#[test]
fn exact_not_beaten_by_heuristic_on_thirty_offers() {
    let mut rng = Rng(7);
    let offers: Vec<Offer> = (0..30)
        .map(|i| {
            let a: Vec<u64> = (0..3).map(|_| 1 + rng.next_u64() % 32).collect();
            let cost = a.iter().sum::<u64>() as f64 * (0.5 + (rng.next_u64() % 100) as f64 / 100.0);
            Offer::new(i, a, cost)
        })
        .collect();
    let total: Vec<u64> = (0..3)
        .map(|k| offers.iter().map(|o| o.capacity[k]).sum())
        .collect();
    let demand: Vec<u64> = total.iter().map(|t| t * 2 / 5).collect();
    let (e, h) = solve_both(offers, demand);
    assert!(e.proven_optimal);
    assert!(h.cost >= e.cost - 1e-9 * e.cost);
    assert!(h.lower_bound <= e.cost + 1e-9 * e.cost);
}

/// A cheap offer of capacity 1 with `u32::MAX` copies against a demand of `u32::MAX`: the
/// searches step once per copy, so both refuse it with an error naming the offers (they used to
/// run for hours), while the bound alone still answers.
#[test]
fn billions_of_useful_copies_are_refused_not_searched() {
    let inst = CoverInstance::new(
        vec![Offer::new(1, vec![1], 1e-300).with_count(u32::MAX)],
        vec![u64::from(u32::MAX)],
    )
    .unwrap();
    for r in [
        agentsched::placement::cover::heuristic(&inst, &CoverOptions::default()),
        agentsched::placement::cover::branch_and_bound(&inst, &CoverOptions::default()),
    ] {
        let e = r.unwrap_err().to_string();
        assert!(e.contains("offers") && e.contains("useful copies"), "{e}");
    }
    assert!(agentsched::placement::cover::lower_bound(&inst).unwrap() > 0.0);
    // Copies beyond what the demand could use do not count: a huge count is fine when the
    // demand needs few.
    let small = CoverInstance::new(
        vec![Offer::new(1, vec![1], 1.0).with_count(u32::MAX)],
        vec![3],
    )
    .unwrap();
    let c =
        agentsched::placement::cover::branch_and_bound(&small, &CoverOptions::default()).unwrap();
    assert_eq!((c.counts.clone(), c.cost), (vec![3], 3.0));
}
