//! Arbitrary bytes as small placement problems, each solved by every placement algorithm and
//! checked here from first principles (no library checker is trusted alone):
//! - vector bin packing: every heuristic, `improve` and a budgeted bin completion give packings
//!   where every item is in exactly one bin, no bin exceeds the capacity and the bound is at most
//!   the bins; they agree with `vbp::validate`;
//! - consolidation: a plan replayed here step by step never exceeds a capacity, never moves a
//!   pinned item, stays within the budget and leaves every emptied host empty; `validate_plan`
//!   accepts it;
//! - hybrid placement: every task is placed once or reported, the sensitivity rule holds, no
//!   agent is over-committed, the cost is recomputed here and the bound is at most the cost;
//! - covering: the chosen nodes cover the demand, the cost is recomputed here, the bound is at
//!   most the cost, and branch and bound is no worse than the heuristic when it proves optimality;
//! - fair sharing: no dimension is used beyond the capacity.
//!
//! Bad input (zero or mismatched dimensions, NaN/negative costs, duplicate ids, items larger
//! than a host) must come back as an error, never as a panic.
#![no_main]

use agentsched::placement::completion::{self, Budget as SearchBudget};
use agentsched::placement::consolidate::{self, Budget, ConsolidateOptions, Host, PlacedItem};
use agentsched::placement::cover::{self, CoverInstance, CoverOptions, Offer};
use agentsched::placement::fair::{self, Tenant};
use agentsched::placement::hybrid::{self, HybridAgent, HybridOptions, HybridTask};
use agentsched::placement::vbp::{self, Heuristic, Packing, VbpInstance};
use agentsched::{AgentId, Sensitivity, TaskId, Tier};
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    /// A quantity: mostly small, sometimes zero or huge.
    fn q(&mut self) -> u64 {
        match self.u8() {
            250 => 0,
            251 => u64::MAX,
            252 => u64::MAX / 2,
            253 => 1 << 40,
            b => u64::from(b % 50),
        }
    }

    /// A cost: mostly small, sometimes special.
    fn cost(&mut self) -> f64 {
        match self.u8() {
            250 => f64::NAN,
            251 => -1.0,
            252 => f64::INFINITY,
            253 => 1e300,
            254 => f64::MIN_POSITIVE,
            b => f64::from(b % 20) / 2.0,
        }
    }

    fn len(&mut self, max: usize) -> usize {
        usize::from(self.u8()) % (max + 1)
    }
}

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes(data);
    // Mostly a consistent dimension count; sometimes a wrong one for one vector.
    let dims = 1 + b.len(2);
    let mut vector = |b: &mut Bytes| {
        let d = if b.u8() == 255 { dims + 1 } else { dims };
        (0..d).map(|_| b.q()).collect::<Vec<u64>>()
    };
    match b.u8() % 5 {
        0 => fuzz_vbp(&mut b, &mut vector),
        1 => fuzz_consolidate(&mut b, &mut vector),
        2 => fuzz_hybrid(&mut b, &mut vector),
        3 => fuzz_cover(&mut b, &mut vector),
        _ => fuzz_fair(&mut b, &mut vector),
    }
});

fn check_packing(inst: &VbpInstance, p: &Packing) {
    let d = inst.dims();
    let mut seen = vec![0usize; inst.len()];
    for bin in &p.bins {
        assert!(!bin.is_empty(), "empty bin");
        let mut load = vec![0u128; d];
        for &i in bin {
            seen[i] += 1;
            for (l, &q) in load.iter_mut().zip(inst.demand(i)) {
                *l += u128::from(q);
            }
        }
        for (l, &c) in load.iter().zip(inst.capacity()) {
            assert!(*l <= u128::from(c), "bin over capacity");
        }
    }
    assert!(
        seen.iter().all(|&s| s == 1),
        "an item not placed exactly once"
    );
    for (bin, items) in p.bins.iter().enumerate() {
        for &i in items {
            assert_eq!(p.assignment[i], bin);
        }
    }
    assert!(p.lower_bound <= p.hosts());
    assert_eq!(vbp::validate(inst, p).expect("valid packing"), p.hosts());
}

fn fuzz_vbp(b: &mut Bytes, vector: &mut dyn FnMut(&mut Bytes) -> Vec<u64>) {
    let capacity = vector(b);
    let n = b.len(24);
    let items: Vec<Vec<u64>> = (0..n).map(|_| vector(b)).collect();
    let Ok(inst) = VbpInstance::new(capacity, &items) else {
        return;
    };
    let mut fewest = usize::MAX;
    for h in Heuristic::CONSTRUCTIVE {
        let p = h.run(&inst);
        check_packing(&inst, &p);
        fewest = fewest.min(p.hosts());
        let q = vbp::improve(&inst, &p).expect("improve of a valid packing");
        check_packing(&inst, &q);
        assert!(q.hosts() <= p.hosts());
    }
    let c = completion::bin_completion(&inst, &SearchBudget::nodes(2_000));
    check_packing(&inst, &c);
    assert!(c.hosts() <= fewest.max(c.lower_bound));
}

fn fuzz_consolidate(b: &mut Bytes, vector: &mut dyn FnMut(&mut Bytes) -> Vec<u64>) {
    let m = b.len(8);
    let hosts: Vec<Host> = (0..m)
        .map(|_| Host {
            id: AgentId(u32::from(b.u8() % 12)),
            capacity: vector(b),
        })
        .collect();
    let n = b.len(20);
    let items: Vec<PlacedItem> = (0..n)
        .map(|_| PlacedItem {
            id: TaskId(u32::from(b.u8() % 32)),
            demand: vector(b),
            host: AgentId(u32::from(b.u8() % 12)),
            pinned: b.u8() % 5 == 0,
            cost: b.q(),
        })
        .collect();
    let budget = Budget {
        max_migrations: (b.u8() % 2 == 0).then(|| b.len(10)),
        max_cost: (b.u8() % 2 == 0).then(|| b.q()),
    };
    let options = ConsolidateOptions {
        max_room_moves_per_host: b.len(3),
        room_search_limit: b.len(8),
    };
    let Ok(plan) = consolidate::plan_consolidation(&hosts, &items, &budget, &options) else {
        return;
    };
    consolidate::validate_plan(&hosts, &items, &budget, &plan).expect("the plan validates");
    // Replay here.
    let cap: BTreeMap<AgentId, &Vec<u64>> = hosts.iter().map(|h| (h.id, &h.capacity)).collect();
    let mut at: Vec<AgentId> = items.iter().map(|i| i.host).collect();
    let index: BTreeMap<TaskId, usize> = items.iter().enumerate().map(|(k, i)| (i.id, k)).collect();
    let load = |at: &[AgentId], host: AgentId| {
        let mut l = vec![0u128; dims_of(&hosts)];
        for (k, i) in items.iter().enumerate() {
            if at[k] == host {
                for (x, &q) in l.iter_mut().zip(&i.demand) {
                    *x += u128::from(q);
                }
            }
        }
        l
    };
    let mut cost = 0u128;
    for mv in &plan.migrations {
        let k = index[&mv.item];
        assert!(!items[k].pinned, "a pinned item moved");
        assert_eq!(at[k], mv.from);
        at[k] = mv.to;
        cost += u128::from(items[k].cost);
        for (l, &c) in load(&at, mv.to).iter().zip(cap[&mv.to].iter()) {
            assert!(*l <= u128::from(c), "a step over-commits {:?}", mv.to);
        }
    }
    assert_eq!(at, plan.placement);
    if let Some(mx) = budget.max_migrations {
        assert!(plan.migrations.len() <= mx);
    }
    if let Some(mx) = budget.max_cost {
        assert!(cost <= u128::from(mx));
    }
    for h in &plan.emptied {
        assert!(
            at.iter().all(|a| a != h),
            "an emptied host still holds an item"
        );
    }
}

fn dims_of(hosts: &[Host]) -> usize {
    hosts.first().map_or(0, |h| h.capacity.len())
}

fn fuzz_hybrid(b: &mut Bytes, vector: &mut dyn FnMut(&mut Bytes) -> Vec<u64>) {
    let m = b.len(5);
    let agents: Vec<HybridAgent> = (0..m)
        .map(|_| {
            let capacity = vector(b);
            let unit_cost = (0..capacity.len()).map(|_| b.cost()).collect();
            HybridAgent {
                id: AgentId(u32::from(b.u8() % 8)),
                tier: if b.u8() % 2 == 0 {
                    Tier::Private
                } else {
                    Tier::Public
                },
                capacity,
                unit_cost,
                fixed_cost: b.cost(),
            }
        })
        .collect();
    let n = b.len(8);
    let tasks: Vec<HybridTask> = (0..n)
        .map(|_| HybridTask {
            id: TaskId(u32::from(b.u8() % 16)),
            demand: vector(b),
            sensitivity: match b.u8() % 3 {
                0 => Sensitivity::Public,
                1 => Sensitivity::Internal,
                _ => Sensitivity::Confidential,
            },
        })
        .collect();
    let opts = HybridOptions {
        allow_internal_on_public: b.u8() % 2 == 0,
        max_iterations: 200,
        lp_max_pivots: 2_000,
        ..HybridOptions::default()
    };
    let Ok(r) = hybrid::place_hybrid(&agents, &tasks, &opts) else {
        return;
    };
    let agent: BTreeMap<AgentId, &HybridAgent> = agents.iter().map(|a| (a.id, a)).collect();
    let task: BTreeMap<TaskId, &HybridTask> = tasks.iter().map(|t| (t.id, t)).collect();
    let mut count: BTreeMap<TaskId, usize> = BTreeMap::new();
    let mut used: BTreeMap<AgentId, Vec<u128>> = BTreeMap::new();
    let mut variable = 0.0;
    for (t, a) in &r.assignment {
        *count.entry(*t).or_default() += 1;
        let (t, a) = (task[t], agent[a]);
        assert!(
            t.sensitivity
                .allowed_on(a.tier, opts.allow_internal_on_public)
        );
        let u = used
            .entry(a.id)
            .or_insert_with(|| vec![0; a.capacity.len()]);
        for ((x, &q), &c) in u.iter_mut().zip(&t.demand).zip(&a.unit_cost) {
            *x += u128::from(q);
            variable += q as f64 * c;
        }
    }
    for (t, _) in &r.unplaced {
        *count.entry(*t).or_default() += 1;
    }
    assert!(
        tasks.iter().all(|t| count.get(&t.id) == Some(&1)),
        "a task placed or reported twice or never"
    );
    let mut fixed = 0.0;
    for (a, u) in &used {
        fixed += agent[a].fixed_cost;
        for (x, &c) in u.iter().zip(&agent[a].capacity) {
            assert!(*x <= u128::from(c), "agent over-committed");
        }
    }
    let total = variable + fixed;
    assert!(
        (r.total_cost - total).abs() <= 1e-9 * total.abs().max(1.0),
        "cost {} vs {total}",
        r.total_cost
    );
    assert!(
        r.lower_bound <= r.total_cost * (1.0 + 1e-9) + 1e-9,
        "bound above cost"
    );
}

fn fuzz_cover(b: &mut Bytes, vector: &mut dyn FnMut(&mut Bytes) -> Vec<u64>) {
    let n = b.len(10);
    let offers: Vec<Offer> = (0..n)
        .map(|_| Offer {
            id: u32::from(b.u8() % 16),
            capacity: vector(b),
            cost: b.cost(),
            count: u32::from(b.u8() % 3),
        })
        .collect();
    let demand = vector(b);
    let Ok(inst) = CoverInstance::new(offers.clone(), demand.clone()) else {
        return;
    };
    let opts = CoverOptions {
        node_budget: Some(u64::from(b.u8()) * 20),
        time_limit: None,
    };
    let check = |c: &cover::Cover| {
        let mut have = vec![0u128; demand.len()];
        let mut cost = 0.0;
        for (o, &k) in offers.iter().zip(&c.counts) {
            assert!(k <= o.count);
            cost += o.cost * f64::from(k);
            for (h, &q) in have.iter_mut().zip(&o.capacity) {
                *h += u128::from(q) * u128::from(k);
            }
        }
        for (h, &q) in have.iter().zip(&demand) {
            assert!(*h >= u128::from(q), "not covered");
        }
        assert!((c.cost - cost).abs() <= 1e-9 * cost.max(1.0));
        assert!(
            c.lower_bound <= c.cost * (1.0 + 1e-9) + 1e-12,
            "bound above cost"
        );
    };
    let (Ok(h), Ok(x)) = (
        cover::heuristic(&inst, &opts),
        cover::branch_and_bound(&inst, &opts),
    ) else {
        return;
    };
    check(&h);
    check(&x);
    if x.proven_optimal {
        assert!(x.cost <= h.cost * (1.0 + 1e-9) + 1e-12);
    }
}

fn fuzz_fair(b: &mut Bytes, vector: &mut dyn FnMut(&mut Bytes) -> Vec<u64>) {
    let capacity = vector(b);
    let n = b.len(6);
    let tenants: Vec<Tenant> = (0..n)
        .map(|_| {
            let mut t = Tenant::new(vector(b)).weight(b.cost());
            if b.u8() % 2 == 0 {
                t = t.max_tasks(b.q());
            }
            t
        })
        .collect();
    if let Ok(a) = fair::drf_discrete(&capacity, &tenants) {
        for (u, &c) in a.used.iter().zip(&capacity) {
            assert!(*u <= c, "drf_discrete over capacity");
        }
    }
    for a in [
        fair::drf(&capacity, &tenants).ok().map(|a| a.used),
        fair::max_tasks(&capacity, &tenants).ok().map(|a| a.used),
    ]
    .into_iter()
    .flatten()
    {
        for (u, &c) in a.iter().zip(&capacity) {
            assert!(
                *u <= c as f64 * (1.0 + 1e-9) + 1e-9,
                "over capacity: {u} > {c}"
            );
        }
    }
}
