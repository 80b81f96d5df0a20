//! Property tests of `placement::fair`: the DRF paper's properties (sharing incentive,
//! envy-freeness, Pareto efficiency, strategy-proofness) on the continuous allocation, recomputed
//! from the inputs; capacities never exceeded; water-filling levels; the LP's optimality by its
//! dual certificate.

#![allow(clippy::needless_range_loop)] // index loops over dimensions read as the formulas

use agentsched::placement::fair::{Stop, Tenant, drf, drf_discrete, max_min_fair, max_tasks};
use proptest::prelude::*;

const TOL: f64 = 1e-9;

fn close_le(a: f64, b: f64) -> bool {
    a <= b + TOL * (1.0 + b.abs())
}

/// A pool: 1-4 dimensions (sometimes one of zero capacity) and 0-7 tenants, some capped, some
/// with zero entries in their demands.
fn instance() -> impl Strategy<Value = (Vec<u64>, Vec<Tenant>)> {
    (1usize..=4).prop_flat_map(|d| {
        let cap = prop::collection::vec(prop_oneof![1 => Just(0u64), 12 => 1u64..=1_000], d);
        let tenant = (
            prop::collection::vec(prop_oneof![1 => Just(0u64), 3 => 1u64..=60], d),
            prop_oneof![Just(1.0), Just(2.0), 0.1f64..10.0],
            prop::option::weighted(0.3, 0u64..=40),
        )
            .prop_map(|(mut demand, weight, max)| {
                if demand.iter().all(|&q| q == 0) {
                    demand[0] = 1;
                }
                let t = Tenant::new(demand).weight(weight);
                match max {
                    Some(m) => t.max_tasks(m),
                    None => t,
                }
            });
        (cap, prop::collection::vec(tenant, 0..8))
    })
}

fn used(tenants: &[Tenant], tasks: &[f64], d: usize) -> Vec<f64> {
    let mut u = vec![0.0; d];
    for (t, &x) in tenants.iter().zip(tasks) {
        for r in 0..d {
            u[r] += t.demand[r] as f64 * x;
        }
    }
    u
}

/// Tasks a tenant of demand `d` can run on a bundle `b` (infinite if it demands nothing).
fn runnable(d: &[u64], b: &[f64]) -> f64 {
    d.iter()
        .zip(b)
        .filter(|&(&q, _)| q > 0)
        .map(|(&q, &x)| x / q as f64)
        .fold(f64::INFINITY, f64::min)
}

#[test]
fn paper_example() {
    // Ghodsi et al. 2011, Section 4: 9 CPUs, 18 GB; A <1 CPU, 4 GB>, B <3 CPUs, 1 GB>.
    let t = [Tenant::new(vec![1, 4]), Tenant::new(vec![3, 1])];
    let a = drf(&[9, 18], &t).unwrap();
    assert!((a.tasks[0] - 3.0).abs() < TOL && (a.tasks[1] - 2.0).abs() < TOL);
    for s in &a.dominant_shares {
        assert!((s - 2.0 / 3.0).abs() < TOL);
    }
    // A uses 3 CPU 12 GB, B 6 CPU 2 GB: CPU saturated.
    assert!((a.used[0] - 9.0).abs() < TOL && (a.used[1] - 14.0).abs() < TOL);
    assert_eq!(drf_discrete(&[9, 18], &t).unwrap().tasks, vec![3, 2]);
}

#[test]
fn weighted_example() {
    // Weight 2 for B: B's dominant share (CPU, b/3) is twice A's (memory, 4a/18 = 2a/9), so
    // b = 4a/3; CPU saturates first: a + 3b = 5a = 9 -> a = 9/5, b = 12/5 (memory 48/5 <= 18).
    let t = [Tenant::new(vec![1, 4]), Tenant::new(vec![3, 1]).weight(2.0)];
    let a = drf(&[9, 18], &t).unwrap();
    assert!((a.tasks[0] - 1.8).abs() < TOL, "{:?}", a.tasks);
    assert!((a.tasks[1] - 2.4).abs() < TOL, "{:?}", a.tasks);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn drf_properties((cap, tenants) in instance()) {
        let d = cap.len();
        let a = drf(&cap, &tenants).unwrap();
        let u = used(&tenants, &a.tasks, d);
        // Capacities never exceeded.
        for r in 0..d {
            prop_assert!(close_le(u[r], cap[r] as f64), "dim {r}: {} > {}", u[r], cap[r]);
            prop_assert!((u[r] - a.used[r]).abs() <= TOL * (1.0 + u[r]));
        }
        let total_w: f64 = tenants.iter().map(|t| t.weight).sum();
        for (i, t) in tenants.iter().enumerate() {
            let x = a.tasks[i];
            prop_assert!(x >= 0.0 && x.is_finite());
            if let Some(m) = t.max_tasks {
                prop_assert!(close_le(x, m as f64));
            }
            // Pareto efficiency: capped, or a resource it demands is saturated.
            match a.stops[i] {
                Stop::Cap => prop_assert_eq!(Some(x), t.max_tasks.map(|m| m as f64)),
                Stop::Resource(r) => {
                    prop_assert!(t.demand[r] > 0);
                    prop_assert!(u[r] >= cap[r] as f64 * (1.0 - 1e-9), "dim {r} not saturated");
                }
            }
            // Sharing incentive: at least what w_i / W of every resource runs.
            if t.max_tasks.is_none() {
                let bundle: Vec<f64> =
                    cap.iter().map(|&c| c as f64 * t.weight / total_w).collect();
                let alone = runnable(&t.demand, &bundle);
                prop_assert!(x >= alone * (1.0 - 1e-9) - TOL, "tenant {i}: {x} < {alone}");
            }
            // Envy-freeness (weighted): i cannot run more tasks on j's bundle scaled by w_i / w_j,
            // unless i is capped (it has all it wants).
            if a.stops[i] != Stop::Cap {
                for (j, tj) in tenants.iter().enumerate() {
                    let bundle: Vec<f64> = tj
                        .demand
                        .iter()
                        .map(|&q| q as f64 * a.tasks[j] * t.weight / tj.weight)
                        .collect();
                    let other = runnable(&t.demand, &bundle);
                    prop_assert!(close_le(other, x), "tenant {i} envies {j}: {other} > {x}");
                }
            }
        }
    }

    #[test]
    fn drf_strategy_proof_sanity(
        (cap, mut tenants) in instance(),
        lie in prop::collection::vec(0u64..=60, 4),
    ) {
        prop_assume!(!tenants.is_empty());
        tenants[0].max_tasks = None;
        let truth = drf(&cap, &tenants).unwrap().tasks[0];
        let honest = tenants[0].demand.clone();
        let mut lied = tenants.clone();
        lied[0].demand = honest.iter().zip(&lie).map(|(&q, &l)| q + l).collect();
        let b = drf(&cap, &lied).unwrap();
        let bundle: Vec<f64> = lied[0].demand.iter().map(|&q| q as f64 * b.tasks[0]).collect();
        let got = runnable(&honest, &bundle);
        prop_assert!(close_le(got, truth), "lying pays: {got} > {truth}");
    }

    #[test]
    fn discrete_fits_and_is_maximal((cap, tenants) in instance()) {
        let a = drf_discrete(&cap, &tenants).unwrap();
        let d = cap.len();
        let mut u = vec![0u64; d];
        for (t, &x) in tenants.iter().zip(&a.tasks) {
            for r in 0..d {
                u[r] += t.demand[r] * x;
            }
        }
        prop_assert_eq!(&u, &a.used);
        for r in 0..d {
            prop_assert!(u[r] <= cap[r]);
        }
        // Algorithm 1 stops a tenant only at its limit or when its next task does not fit.
        for (i, t) in tenants.iter().enumerate() {
            let capped = t.max_tasks == Some(a.tasks[i]);
            let fits = (0..d).all(|r| u[r] + t.demand[r] <= cap[r]);
            prop_assert!(capped || !fits, "tenant {i} could run another task");
        }
    }

    #[test]
    fn water_filling(
        cap in 0.0f64..1_000.0,
        tenants in prop::collection::vec(
            (prop_oneof![3 => 0.0f64..300.0, 1 => Just(f64::INFINITY)], 0.1f64..10.0),
            0..10,
        ),
    ) {
        let demands: Vec<f64> = tenants.iter().map(|t| t.0).collect();
        let weights: Vec<f64> = tenants.iter().map(|t| t.1).collect();
        let w = max_min_fair(cap, &demands, &weights).unwrap();
        let total: f64 = w.allocation.iter().sum();
        prop_assert!(close_le(total, cap));
        let mut below = false;
        for i in 0..demands.len() {
            let a = w.allocation[i];
            prop_assert!(a >= 0.0 && close_le(a, demands[i]));
            if a < demands[i] * (1.0 - 1e-9) {
                below = true;
                // Below its demand: exactly at the level, the highest level of anyone.
                prop_assert!((a / weights[i] - w.level).abs() <= 1e-9 * (1.0 + w.level));
            }
            prop_assert!(a >= demands[i] * (1.0 - 1e-9) || close_le(a / weights[i], w.level));
            prop_assert!(close_le(a / weights[i], w.level) || a >= demands[i] * (1.0 - 1e-9));
        }
        if below {
            prop_assert!((total - cap).abs() <= 1e-9 * (1.0 + cap), "{total} != {cap}");
        }
    }

    #[test]
    fn drf_on_one_resource_is_water_filling(
        cap in 0u64..1_000,
        tenants in prop::collection::vec((0u64..300, 0.1f64..10.0), 0..10),
    ) {
        let ts: Vec<Tenant> = tenants
            .iter()
            .map(|&(m, w)| Tenant::new(vec![1]).weight(w).max_tasks(m))
            .collect();
        let a = drf(&[cap], &ts).unwrap();
        let demands: Vec<f64> = tenants.iter().map(|t| t.0 as f64).collect();
        let weights: Vec<f64> = tenants.iter().map(|t| t.1).collect();
        let w = max_min_fair(cap as f64, &demands, &weights).unwrap();
        for i in 0..ts.len() {
            prop_assert!((a.tasks[i] - w.allocation[i]).abs() <= 1e-9 * (1.0 + cap as f64));
        }
    }

    #[test]
    fn lp_is_optimal_by_its_dual((cap, tenants) in instance()) {
        let d = cap.len();
        let m = max_tasks(&cap, &tenants).unwrap();
        let u = used(&tenants, &m.tasks, d);
        for r in 0..d {
            prop_assert!(close_le(u[r], cap[r] as f64));
        }
        let primal: f64 = tenants.iter().zip(&m.tasks).map(|(t, &x)| t.weight * x).sum();
        prop_assert!((primal - m.objective).abs() <= 1e-9 * (1.0 + primal));
        // Dual of max w.x, D x <= C, 0 <= x <= U (U_i: the limit, and what fits alone, which the
        // capacities imply): for prices y >= 0, C.y + sum U_i max(0, w_i - d_i.y) >= primal.
        let mut dual = 0.0;
        for r in 0..d {
            prop_assert!(m.prices[r] >= 0.0 && m.prices[r].is_finite());
            dual += cap[r] as f64 * m.prices[r];
        }
        for (i, t) in tenants.iter().enumerate() {
            let alone = runnable(&t.demand, &cap.iter().map(|&c| c as f64).collect::<Vec<_>>());
            let ub = t.max_tasks.map_or(alone, |mt| alone.min(mt as f64));
            prop_assert!(close_le(m.tasks[i], ub));
            let dy: f64 = t.demand.iter().zip(&m.prices).map(|(&q, &y)| q as f64 * y).sum();
            let gain = (t.weight - dy).max(0.0);
            if gain > 0.0 {
                dual += ub * gain;
            }
        }
        prop_assert!(close_le(primal, dual * (1.0 + 1e-7)));
        prop_assert!(close_le(dual, primal * (1.0 + 1e-7) + 1e-7), "gap: {primal} < {dual}");
        // At least as many weighted tasks as DRF (DRF's allocation is feasible).
        let fair = drf(&cap, &tenants).unwrap();
        let fair_obj: f64 = tenants.iter().zip(&fair.tasks).map(|(t, &x)| t.weight * x).sum();
        prop_assert!(close_le(fair_obj, primal * (1.0 + 1e-7)));
    }

    #[test]
    fn lp_on_one_resource_is_greedy(
        cap in 0u64..1_000,
        tenants in prop::collection::vec((1u64..50, 0.1f64..10.0, 0u64..40), 0..10),
    ) {
        let ts: Vec<Tenant> = tenants
            .iter()
            .map(|&(q, w, mt)| Tenant::new(vec![q]).weight(w).max_tasks(mt))
            .collect();
        let m = max_tasks(&[cap], &ts).unwrap();
        // Fractional knapsack: best value per unit first.
        let mut order: Vec<usize> = (0..ts.len()).collect();
        order.sort_by(|&a, &b| {
            (tenants[b].1 / tenants[b].0 as f64).total_cmp(&(tenants[a].1 / tenants[a].0 as f64))
        });
        let mut left = cap as f64;
        let mut best = 0.0;
        for i in order {
            let (q, w, mt) = tenants[i];
            let x = (mt as f64).min(left / q as f64);
            best += w * x;
            left -= x * q as f64;
        }
        prop_assert!((m.objective - best).abs() <= 1e-7 * (1.0 + best), "{} != {best}", m.objective);
    }
}

fn extreme_u64() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0u64),
        Just(1),
        Just(u64::MAX),
        Just(u64::MAX / 3),
        any::<u64>(),
        1u64..100
    ]
}

fn extreme_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(-1.0),
        Just(0.0),
        Just(f64::MIN_POSITIVE),
        Just(1e-300),
        Just(1e300),
        Just(f64::MAX),
        Just(1.0),
        0.001f64..1000.0,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Any input: an error, or finite allocations within capacity; never a panic.
    #[test]
    fn extreme_inputs_never_panic(
        cap in prop::collection::vec(extreme_u64(), 0..4),
        tenants in prop::collection::vec(
            (
                prop::collection::vec(extreme_u64(), 0..4),
                extreme_f64(),
                prop::option::of(extreme_u64()),
            ),
            0..5,
        ),
        water in (extreme_f64(), prop::collection::vec((extreme_f64(), extreme_f64()), 0..5)),
    ) {
        let ts: Vec<Tenant> = tenants
            .iter()
            .map(|(d, w, m)| Tenant { demand: d.clone(), weight: *w, max_tasks: *m })
            .collect();
        let d = cap.len();
        if let Ok(a) = drf(&cap, &ts) {
            prop_assert!(a.tasks.iter().all(|x| x.is_finite() && *x >= 0.0));
            let u = used(&ts, &a.tasks, d);
            for r in 0..d {
                prop_assert!(close_le(u[r], cap[r] as f64));
            }
        }
        if let Ok(m) = max_tasks(&cap, &ts) {
            prop_assert!(m.tasks.iter().all(|x| x.is_finite() && *x >= 0.0));
            prop_assert!(m.objective.is_finite());
            let u = used(&ts, &m.tasks, d);
            for r in 0..d {
                prop_assert!(close_le(u[r], cap[r] as f64 * (1.0 + 1e-7)));
            }
        }
        if let Ok(a) = drf_discrete(&cap, &ts) {
            for r in 0..d {
                prop_assert!(a.used[r] <= cap[r]);
            }
        }
        let (c, tw) = water;
        let dm: Vec<f64> = tw.iter().map(|t| t.0).collect();
        let wt: Vec<f64> = tw.iter().map(|t| t.1).collect();
        if let Ok(w) = max_min_fair(c, &dm, &wt) {
            let total: f64 = w.allocation.iter().sum();
            prop_assert!(w.allocation.iter().all(|a| a.is_finite() && *a >= 0.0));
            prop_assert!(close_le(total, c * (1.0 + 1e-9)));
        }
    }
}
