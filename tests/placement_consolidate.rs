//! Tests of `placement::consolidate`: every plan replayed from first principles by a checker
//! written here (capacities at every step, pinned items, budget, emptied hosts empty, every item
//! exactly once), and by `validate_plan`; hand scenarios (room made before the move that needs
//! it, a budget that stops early, a pinned item that blocks a host, a cyclic swap rejected); the
//! number of hosts emptied against a brute force on tiny instances (never above it; the gap is
//! reported); input validation.

#![allow(clippy::needless_range_loop)] // index loops over dimensions read as the formulas

use agentsched::placement::consolidate::{
    Budget, ConsolidateOptions, ConsolidationPlan, Host, HostFate, Migration, PlacedItem,
    plan_consolidation, validate_plan,
};
use agentsched::{AgentId, Error, TaskId};
use proptest::prelude::*;
use std::collections::BTreeMap;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
}

/// A running placement: `m` hosts of `d` dimensions (heterogeneous capacities, sometimes
/// non-contiguous ids), items placed where they fit from a random start host, some pinned.
fn instance(seed: u64, m: usize, d: usize, n: usize) -> (Vec<Host>, Vec<PlacedItem>) {
    let mut rng = Rng(seed);
    let hosts: Vec<Host> = (0..m)
        .map(|h| Host {
            id: AgentId((h as u32) * 3 + 1),
            capacity: (0..d).map(|_| 5 + rng.below(16)).collect(),
        })
        .collect();
    let mut used = vec![vec![0u64; d]; m];
    let mut items = Vec::new();
    for i in 0..n {
        let demand: Vec<u64> = (0..d).map(|_| rng.below(8)).collect();
        let start = rng.below(m as u64) as usize;
        for k in 0..m {
            let h = (start + k) % m;
            if (0..d).all(|r| used[h][r] + demand[r] <= hosts[h].capacity[r]) {
                for r in 0..d {
                    used[h][r] += demand[r];
                }
                items.push(PlacedItem {
                    id: TaskId(1000 - i as u32),
                    demand,
                    host: hosts[h].id,
                    pinned: rng.below(8) == 0,
                    cost: rng.below(50),
                });
                break;
            }
        }
    }
    (hosts, items)
}

/// The checker: replays the plan from the current placement; panics with the step on any broken
/// rule; returns the final host of every item.
fn replay(hosts: &[Host], items: &[PlacedItem], budget: &Budget, plan: &ConsolidationPlan) {
    let d = hosts.first().map_or(0, |h| h.capacity.len());
    let cap: BTreeMap<AgentId, &Vec<u64>> = hosts.iter().map(|h| (h.id, &h.capacity)).collect();
    let mut on: BTreeMap<TaskId, AgentId> = items.iter().map(|i| (i.id, i.host)).collect();
    let by_id: BTreeMap<TaskId, &PlacedItem> = items.iter().map(|i| (i.id, i)).collect();
    let load = |on: &BTreeMap<TaskId, AgentId>, h: AgentId| -> Vec<u64> {
        let mut u = vec![0u64; d];
        for (t, &a) in on {
            if a == h {
                for r in 0..d {
                    u[r] += by_id[t].demand[r];
                }
            }
        }
        u
    };
    let in_use_before: Vec<AgentId> = hosts
        .iter()
        .map(|h| h.id)
        .filter(|&h| items.iter().any(|i| i.host == h))
        .collect();
    let mut cost = 0u64;
    let mut seen = std::collections::BTreeSet::new();
    for (k, mv) in plan.migrations.iter().enumerate() {
        let it = by_id[&mv.item];
        assert!(!it.pinned, "step {k}: pinned item {} moves", it.id);
        assert!(seen.insert(mv.item), "step {k}: item migrates twice");
        assert_eq!(on[&mv.item], mv.from, "step {k}: item not on `from`");
        assert!(
            in_use_before.contains(&mv.to),
            "step {k}: onto a host empty at the start"
        );
        on.insert(mv.item, mv.to);
        let u = load(&on, mv.to);
        for r in 0..d {
            assert!(
                u[r] <= cap[&mv.to][r],
                "step {k}: {} over capacity in dim {r}",
                mv.to
            );
        }
        cost += it.cost;
    }
    if let Some(mx) = budget.max_migrations {
        assert!(plan.migrations.len() <= mx, "budget: migrations");
    }
    if let Some(mx) = budget.max_cost {
        assert!(cost <= mx, "budget: cost");
    }
    assert_eq!(plan.cost, cost);
    assert_eq!(plan.placement.len(), items.len(), "every item exactly once");
    for (i, it) in items.iter().enumerate() {
        assert_eq!(plan.placement[i], on[&it.id], "placement of {}", it.id);
    }
    for h in &plan.emptied {
        assert!(in_use_before.contains(h));
        assert!(
            on.values().all(|a| a != h),
            "{h} listed as emptied but not empty"
        );
    }
    // Hosts not emptied are still in use (all or nothing per host).
    for &h in &in_use_before {
        if !plan.emptied.contains(&h) {
            assert!(on.values().any(|&a| a == h), "{h} emptied but not listed");
        }
    }
    for (rep, h) in plan.hosts.iter().zip(hosts) {
        assert_eq!(rep.host, h.id);
        let pinned = items
            .iter()
            .filter(|i| i.host == h.id && i.pinned)
            .map(|i| i.id)
            .min();
        match rep.fate {
            HostFate::Pinned { item } => assert_eq!(Some(item), pinned),
            HostFate::AlreadyEmpty => assert!(!in_use_before.contains(&h.id)),
            HostFate::Emptied => assert!(plan.emptied.contains(&h.id)),
            HostFate::NoRoom { item } => {
                assert_eq!(by_id[&item].host, h.id);
                assert!(pinned.is_none());
            }
            HostFate::BudgetExhausted | HostFate::Destination => assert!(pinned.is_none()),
        }
    }
}

fn plan(hosts: &[Host], items: &[PlacedItem], budget: &Budget) -> ConsolidationPlan {
    let p = plan_consolidation(hosts, items, budget, &ConsolidateOptions::default()).unwrap();
    replay(hosts, items, budget, &p);
    validate_plan(hosts, items, budget, &p).unwrap();
    p
}

fn budget_strategy() -> impl Strategy<Value = Budget> {
    (
        prop::option::weighted(0.4, 0usize..8),
        prop::option::weighted(0.4, 0u64..200),
    )
        .prop_map(|(max_migrations, max_cost)| Budget {
            max_migrations,
            max_cost,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Every rule holds on replay, and the plan is deterministic.
    #[test]
    fn plans_replay_within_every_rule(
        seed in any::<u64>(),
        m in 1usize..12,
        d in 1usize..4,
        n in 0usize..40,
        budget in budget_strategy(),
        room in 0usize..4,
    ) {
        let (hosts, items) = instance(seed, m, d, n);
        let opts = ConsolidateOptions { max_room_moves_per_host: room, room_search_limit: 8 };
        let p = plan_consolidation(&hosts, &items, &budget, &opts).unwrap();
        replay(&hosts, &items, &budget, &p);
        validate_plan(&hosts, &items, &budget, &p).unwrap();
        let again = plan_consolidation(&hosts, &items, &budget, &opts).unwrap();
        prop_assert_eq!(&p, &again);
        prop_assert_eq!(p.hosts_in_use_after, p.hosts_in_use_before - p.emptied.len());
    }

    /// `validate_plan` notices a plan altered by one step.
    #[test]
    fn validate_plan_rejects_a_tampered_plan(seed in any::<u64>(), which in 0usize..4) {
        let (hosts, items) = instance(seed, 6, 2, 24);
        let mut p = plan(&hosts, &items, &Budget::default());
        match which {
            0 => p.cost += 1,
            1 => { p.migrations.reverse(); p.migrations.push(p.migrations.first().copied().unwrap_or(Migration {
                item: items[0].id, from: AgentId(999), to: items[0].host, cost: 0, make_room: false })); }
            2 => p.placement.push(AgentId(1)),
            _ => p.hosts_in_use_after += 1,
        }
        prop_assert!(validate_plan(&hosts, &items, &Budget::default(), &p).is_err());
    }
}

/// The most hosts that can be emptied: the best final assignment of the items to the hosts in
/// use at the start (pinned ones unchanged) within capacities and the budget (each moved item
/// one migration). An upper bound for any plan, whatever its order.
fn brute_force(hosts: &[Host], items: &[PlacedItem], budget: &Budget) -> usize {
    let d = hosts[0].capacity.len();
    let in_use: Vec<usize> = (0..hosts.len())
        .filter(|&h| items.iter().any(|i| i.host == hosts[h].id))
        .collect();
    let home: Vec<usize> = items
        .iter()
        .map(|i| in_use.iter().position(|&h| hosts[h].id == i.host).unwrap())
        .collect();
    let k = in_use.len();
    let mut best = 0;
    let mut choice = vec![0usize; items.len()];
    let total = k.pow(items.len() as u32);
    for code in 0..total {
        let mut c = code;
        for x in choice.iter_mut() {
            *x = c % k;
            c /= k;
        }
        if items
            .iter()
            .zip(&choice)
            .zip(&home)
            .any(|((it, &c), &h)| it.pinned && c != h)
        {
            continue;
        }
        let moved: Vec<usize> = (0..items.len()).filter(|&i| choice[i] != home[i]).collect();
        if budget.max_migrations.is_some_and(|mx| moved.len() > mx)
            || budget
                .max_cost
                .is_some_and(|mx| moved.iter().map(|&i| items[i].cost).sum::<u64>() > mx)
        {
            continue;
        }
        let mut used = vec![vec![0u64; d]; k];
        for (i, &c) in choice.iter().enumerate() {
            for r in 0..d {
                used[c][r] += items[i].demand[r];
            }
        }
        if (0..k).any(|j| (0..d).any(|r| used[j][r] > hosts[in_use[j]].capacity[r])) {
            continue;
        }
        let empty = (0..k).filter(|&j| !choice.contains(&j)).count();
        best = best.max(empty);
    }
    best
}

/// Never more hosts emptied than the brute force finds possible; the gap is reported (the
/// heuristic is greedy, one host at a time, so it is not exact).
#[test]
fn hosts_emptied_against_brute_force() {
    let mut gaps = BTreeMap::new();
    let mut runs = 0;
    for seed in 0..400u64 {
        let mut rng = Rng(seed ^ 0xC0FFEE);
        let m = 2 + rng.below(3) as usize;
        let d = 1 + rng.below(2) as usize;
        let n = 2 + rng.below(5) as usize;
        let (hosts, items) = instance(seed, m, d, n);
        let budget = match seed % 3 {
            0 => Budget::default(),
            1 => Budget {
                max_migrations: Some(1 + rng.below(3) as usize),
                max_cost: None,
            },
            _ => Budget {
                max_migrations: None,
                max_cost: Some(rng.below(80)),
            },
        };
        let p = plan(&hosts, &items, &budget);
        let best = brute_force(&hosts, &items, &budget);
        assert!(
            p.emptied.len() <= best,
            "seed {seed}: {} > brute force {best}",
            p.emptied.len()
        );
        *gaps.entry(best - p.emptied.len()).or_insert(0usize) += 1;
        runs += 1;
    }
    eprintln!("consolidate vs brute force ({runs} tiny instances): gap -> count {gaps:?}");
    let optimal = gaps.get(&0).copied().unwrap_or(0);
    // A regression guard, far below what the heuristic reaches (see DESIGN.md for the figure).
    assert!(
        optimal * 10 >= runs * 8,
        "optimal on only {optimal} of {runs}"
    );
}

fn h(id: u32, cap: &[u64]) -> Host {
    Host {
        id: AgentId(id),
        capacity: cap.to_vec(),
    }
}

fn it(id: u32, dem: &[u64], on: u32, pinned: bool, cost: u64) -> PlacedItem {
    PlacedItem {
        id: TaskId(id),
        demand: dem.to_vec(),
        host: AgentId(on),
        pinned,
        cost,
    }
}

fn steps(p: &ConsolidationPlan) -> Vec<(u32, u32, u32)> {
    p.migrations
        .iter()
        .map(|m| (m.item.0, m.from.0, m.to.0))
        .collect()
}

/// Two dimensions: the 2x6 item on host 0 fits host 1 only once host 1's 5x1 item has moved to
/// host 2; the plan lists that move first, and applying them in the other order would overflow.
#[test]
fn room_is_made_before_the_move_that_needs_it() {
    let hosts = [h(0, &[10, 10]), h(1, &[10, 10]), h(2, &[10, 10])];
    let items = [
        it(0, &[2, 6], 0, false, 6),
        it(1, &[3, 4], 1, true, 1),
        it(2, &[5, 1], 1, false, 1),
        it(3, &[4, 8], 2, true, 1),
    ];
    let p = plan(&hosts, &items, &Budget::default());
    assert_eq!(p.emptied, vec![AgentId(0)]);
    assert_eq!(steps(&p), vec![(2, 1, 2), (0, 0, 1)]);
    assert!(p.migrations[0].make_room && !p.migrations[1].make_room);
    let mut wrong = p.clone();
    wrong.migrations.swap(0, 1);
    let err = validate_plan(&hosts, &items, &Budget::default(), &wrong).unwrap_err();
    assert!(err.to_string().contains("migrations[0]"), "{err}");
    // Without make-room moves the host cannot be emptied, and the report says which item.
    let none = ConsolidateOptions {
        max_room_moves_per_host: 0,
        ..Default::default()
    };
    let q = plan_consolidation(&hosts, &items, &Budget::default(), &none).unwrap();
    assert!(q.migrations.is_empty());
    assert_eq!(q.hosts[0].fate, HostFate::NoRoom { item: TaskId(0) });
}

/// A swap (host 0's 6 to host 1, host 1's 6 to host 0) would need a buffer; the planner never
/// proposes it, and `validate_plan` rejects it in either order.
#[test]
fn a_cyclic_swap_is_rejected() {
    let hosts = [h(0, &[8]), h(1, &[8])];
    let items = [it(0, &[6], 0, false, 1), it(1, &[6], 1, false, 1)];
    let p = plan(&hosts, &items, &Budget::default());
    assert!(p.migrations.is_empty());
    let mut swap = p.clone();
    swap.migrations = vec![
        Migration {
            item: TaskId(0),
            from: AgentId(0),
            to: AgentId(1),
            cost: 1,
            make_room: false,
        },
        Migration {
            item: TaskId(1),
            from: AgentId(1),
            to: AgentId(0),
            cost: 1,
            make_room: false,
        },
    ];
    swap.placement = vec![AgentId(1), AgentId(0)];
    swap.cost = 2;
    let err = validate_plan(&hosts, &items, &Budget::default(), &swap).unwrap_err();
    assert!(err.to_string().contains("migrations[0]"), "{err}");
}

/// Four hosts of one item each; a budget of 2 migrations empties two of them (the cheapest
/// first) and reports the third candidate as stopped by the budget.
#[test]
fn the_budget_stops_early() {
    let hosts = [h(0, &[10]), h(1, &[10]), h(2, &[10]), h(3, &[10])];
    let items = [
        it(0, &[1], 0, false, 5),
        it(1, &[2], 1, false, 1),
        it(2, &[3], 2, false, 1),
        it(3, &[4], 3, false, 1),
    ];
    let b = Budget {
        max_migrations: Some(2),
        max_cost: None,
    };
    let p = plan(&hosts, &items, &b);
    assert_eq!(p.emptied, vec![AgentId(0), AgentId(1)]);
    assert_eq!(p.migrations.len(), 2);
    assert_eq!(p.hosts[2].fate, HostFate::BudgetExhausted);
    // Unlimited: three hosts emptied onto the fullest.
    let all = plan(&hosts, &items, &Budget::default());
    assert_eq!(all.emptied.len(), 3);
    assert_eq!(all.hosts_in_use_after, 1);
    // A cost budget of 4 skips host 0 (its item costs 5) and empties two others.
    let c = plan(
        &hosts,
        &items,
        &Budget {
            max_migrations: None,
            max_cost: Some(4),
        },
    );
    assert_eq!(c.hosts[0].fate, HostFate::BudgetExhausted);
    assert_eq!(c.emptied.len(), 2);
    assert!(c.cost <= 4);
    // No budget at all: nothing moves.
    let z = plan(
        &hosts,
        &items,
        &Budget {
            max_migrations: Some(0),
            max_cost: None,
        },
    );
    assert!(z.migrations.is_empty());
}

/// A pinned item keeps its host in use, though it is the emptiest, and names the item.
#[test]
fn a_pinned_item_blocks_its_host() {
    let hosts = [h(0, &[10]), h(1, &[10]), h(2, &[10])];
    let items = [
        it(0, &[1], 0, false, 1),
        it(1, &[1], 0, true, 1),
        it(2, &[6], 1, false, 1),
        it(3, &[7], 2, false, 1),
    ];
    let p = plan(&hosts, &items, &Budget::default());
    assert_eq!(p.hosts[0].fate, HostFate::Pinned { item: TaskId(1) });
    assert_eq!(p.placement[1], AgentId(0));
    // Host 1's 6 goes to host 0 (2 + 6); host 2's 7 then fits nowhere (8 + 7, 7 + 7 > 10).
    assert_eq!(p.emptied, vec![AgentId(1)]);
    assert_eq!(p.placement[2], AgentId(0));
}

/// An empty host neither counts as emptied nor receives anything.
#[test]
fn empty_hosts_stay_empty() {
    let hosts = [h(0, &[10]), h(1, &[10]), h(2, &[10])];
    let items = [it(0, &[6], 0, false, 1), it(1, &[6], 1, false, 1)];
    let p = plan(&hosts, &items, &Budget::default());
    assert!(p.migrations.is_empty());
    assert_eq!(p.hosts[2].fate, HostFate::AlreadyEmpty);
    assert_eq!((p.hosts_in_use_before, p.hosts_in_use_after), (2, 2));
}

#[test]
fn invalid_inputs_are_named() {
    let b = Budget::default();
    let o = ConsolidateOptions::default();
    let hosts = [h(0, &[10, 10]), h(1, &[10, 10])];
    let e = plan_consolidation(&hosts, &[it(0, &[1, 1], 7, false, 0)], &b, &o).unwrap_err();
    assert_eq!(e, Error::UnknownAgent(AgentId(7)));
    let e = plan_consolidation(&[h(0, &[1]), h(0, &[1])], &[], &b, &o).unwrap_err();
    assert_eq!(e, Error::DuplicateAgent(AgentId(0)));
    let two = [it(3, &[1, 1], 0, false, 0), it(3, &[1, 1], 1, false, 0)];
    assert_eq!(
        plan_consolidation(&hosts, &two, &b, &o).unwrap_err(),
        Error::DuplicateTask(TaskId(3))
    );
    let e = plan_consolidation(&hosts, &[it(0, &[1], 0, false, 0)], &b, &o).unwrap_err();
    assert!(matches!(
        e,
        Error::DimensionMismatch {
            field: "demand",
            expected: 2,
            got: 1
        }
    ));
    let e = plan_consolidation(&[h(0, &[1]), h(1, &[1, 2])], &[], &b, &o).unwrap_err();
    assert!(matches!(
        e,
        Error::DimensionMismatch {
            field: "capacity",
            ..
        }
    ));
    let e = plan_consolidation(&hosts, &[it(0, &[1, 11], 1, false, 0)], &b, &o).unwrap_err();
    assert!(e.to_string().contains("items[0].demand[1]"), "{e}");
    let over = [it(0, &[6, 1], 1, false, 0), it(1, &[6, 1], 1, false, 0)];
    let e = plan_consolidation(&hosts, &over, &b, &o).unwrap_err();
    assert!(
        matches!(
            e,
            Error::AgentState {
                agent: AgentId(1),
                ..
            }
        ),
        "{e}"
    );
    let costly = [
        it(0, &[1, 1], 0, false, u64::MAX),
        it(1, &[1, 1], 1, false, 1),
    ];
    let e = plan_consolidation(&hosts, &costly, &b, &o).unwrap_err();
    assert!(matches!(e, Error::Overflow { field: "cost", .. }));
    let e = plan_consolidation(&[h(0, &[])], &[], &b, &o).unwrap_err();
    assert!(matches!(e, Error::InvalidConfig { .. }));
}

/// Heterogeneous capacities: best fit measures the free space left in units of the largest
/// capacity, so the small host that the item fills tightly wins over the large one.
#[test]
fn heterogeneous_hosts() {
    let hosts = [h(0, &[100, 100]), h(1, &[10, 10]), h(2, &[20, 20])];
    let items = [
        it(0, &[90, 90], 0, false, 1),
        it(1, &[5, 5], 1, false, 1),
        it(2, &[12, 15], 2, false, 1),
    ];
    let p = plan(&hosts, &items, &Budget::default());
    // Host 1 (half full) is tried first: its item fits host 0 (10 + 10 left) and host 2 (3 + 0).
    assert_eq!(steps(&p), vec![(1, 1, 2)]);
    assert_eq!(p.emptied, vec![AgentId(1)]);
    assert_eq!(p.hosts[0].fate, HostFate::NoRoom { item: TaskId(0) });
    assert_eq!(p.hosts[2].fate, HostFate::Destination);
}
