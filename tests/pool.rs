//! The fit index against the full scan, and the pool's allocation invariants.

use agentsched::pool::{AgentSpec, AgentState, Constraints, Pool, Scoring, Weights};
use agentsched::resources::{ResourceVec, Schema};
use agentsched::{AgentId, Error, Label, Sensitivity, Tier};
use proptest::prelude::*;

fn scoring_strategy() -> impl Strategy<Value = Scoring> {
    prop_oneof![
        Just(Scoring::LeastAllocated),
        Just(Scoring::MostAllocated),
        Just(Scoring::Balanced),
        Just(Scoring::DotProduct),
        Just(Scoring::LowestCost),
        (0u8..3, 0u8..3, 0u8..3, 0u8..3, 1u8..3).prop_map(|(a, b, c, d, e)| {
            Scoring::Weighted(Weights {
                least_allocated: a as f64 * 0.5,
                most_allocated: b as f64 * 0.25,
                balanced: c as f64,
                dot_product: d as f64 * 0.75,
                lowest_cost: e as f64 * 0.1,
            })
        }),
    ]
}

#[derive(Debug, Clone)]
enum Op {
    Join {
        cap: Vec<u64>,
        public: bool,
        cost: u8,
        label: Option<u8>,
    },
    Alloc {
        agent: usize,
        demand: Vec<u64>,
    },
    Release {
        agent: usize,
        frac: u8,
    },
    State {
        agent: usize,
        state: u8,
    },
    Leave {
        agent: usize,
    },
    Query {
        demand: Vec<u64>,
        sens: u8,
        label: Option<u8>,
        k: usize,
    },
}

const D: usize = 3;

fn vec_of(max: u64) -> impl Strategy<Value = Vec<u64>> {
    prop::collection::vec(prop_oneof![Just(0u64), 0..=max], D)
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (vec_of(16), any::<bool>(), 0u8..4, prop::option::of(0u8..3)).prop_map(|(cap, public, cost, label)| Op::Join { cap, public, cost, label }),
        4 => (0usize..40, vec_of(6)).prop_map(|(agent, demand)| Op::Alloc { agent, demand }),
        2 => (0usize..40, 0u8..3).prop_map(|(agent, frac)| Op::Release { agent, frac }),
        1 => (0usize..40, 0u8..3).prop_map(|(agent, state)| Op::State { agent, state }),
        1 => (0usize..40).prop_map(|agent| Op::Leave { agent }),
        6 => (vec_of(8), 0u8..3, prop::option::of(0u8..4), 1usize..5).prop_map(|(demand, sens, label, k)| Op::Query { demand, sens, label, k }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The index returns exactly the scan's top-k (same agents, same order, same scores), and
    /// allocations never exceed capacity.
    #[test]
    fn index_agrees_with_scan(scoring in scoring_strategy(), ops in prop::collection::vec(op(), 1..120)) {
        let schema = Schema::new(["a", "b", "c"]).unwrap();
        let mut pool = Pool::new(schema, scoring, false).unwrap();
        let mut next = 0u32;
        let mut ids: Vec<AgentId> = Vec::new();
        for op in ops {
            match op {
                Op::Join { cap, public, cost, label } => {
                    let mut spec = AgentSpec::new(AgentId(next * 7 % 101), cap)
                        .tier(if public { Tier::Public } else { Tier::Private })
                        .cost_per_time(cost as f64);
                    if let Some(l) = label { spec = spec.label(Label::new("zone", l.to_string())); }
                    if pool.join(spec).is_ok() { ids.push(AgentId(next * 7 % 101)); }
                    next += 1;
                }
                Op::Alloc { agent, demand } => {
                    if let Some(&id) = ids.get(agent % ids.len().max(1)) {
                        let before = pool.agent(id);
                        let d = ResourceVec::from_slice(&demand);
                        if pool.allocate(id, &d).is_err() {
                            prop_assert_eq!(before, pool.agent(id));
                        }
                    }
                }
                Op::Release { agent, frac } => {
                    if let Some(&id) = ids.get(agent % ids.len().max(1)) {
                        let used = pool.used(id).unwrap().clone();
                        let d: Vec<u64> = used.as_slice().iter().map(|u| u * frac as u64 / 2).collect();
                        pool.release(id, &ResourceVec::from_slice(&d)).unwrap();
                    }
                }
                Op::State { agent, state } => {
                    if let Some(&id) = ids.get(agent % ids.len().max(1)) {
                        let st = [AgentState::Ready, AgentState::Draining, AgentState::Down][state as usize];
                        pool.set_state(id, st).unwrap();
                    }
                }
                Op::Leave { agent } => {
                    if !ids.is_empty() {
                        let i = agent % ids.len();
                        let id = ids[i];
                        let busy = !pool.used(id).unwrap().is_zero();
                        match pool.leave(id) {
                            Ok(_) => { prop_assert!(!busy); ids.remove(i); }
                            Err(e) => { prop_assert!(busy); let is_state = matches!(e, Error::AgentState { .. }); prop_assert!(is_state); }
                        }
                    }
                }
                Op::Query { demand, sens, label, k } => {
                    let d = ResourceVec::from_slice(&demand);
                    let labels: Vec<Label> = label.map(|l| Label::new("zone", l.to_string())).into_iter().collect();
                    let c = Constraints {
                        demand: &d,
                        sensitivity: [Sensitivity::Public, Sensitivity::Internal, Sensitivity::Confidential][sens as usize],
                        required_labels: &labels,
                    };
                    let a = pool.candidates(&c, k).unwrap();
                    let b = pool.candidates_scan(&c, k).unwrap();
                    prop_assert_eq!(&a, &b);
                    // Every candidate really passes the hard constraints.
                    for cand in &a {
                        let info = pool.agent(cand.agent).unwrap();
                        prop_assert_eq!(info.state, AgentState::Ready);
                        let free = ResourceVec::from_slice(&info.spec.capacity).checked_sub(&info.used, "free").unwrap();
                        prop_assert!(d.fits(&free));
                        prop_assert!(c.sensitivity.allowed_on(info.spec.tier, false));
                        for l in &labels { prop_assert!(info.spec.labels.contains(l)); }
                    }
                }
            }
            for &id in &ids {
                let info = pool.agent(id).unwrap();
                for (u, c) in info.used.as_slice().iter().zip(&info.spec.capacity) {
                    prop_assert!(u <= c);
                }
            }
        }
    }
}

#[test]
fn bad_agent_specs_are_rejected_and_leave_the_pool_unchanged() {
    let mut pool = Pool::new(
        Schema::new(["cpu"]).unwrap(),
        Scoring::LeastAllocated,
        false,
    )
    .unwrap();
    pool.join(AgentSpec::new(AgentId(1), vec![10])).unwrap();
    let cases = [
        (AgentSpec::new(AgentId(1), vec![10]), "duplicate"),
        (AgentSpec::new(AgentId(2), vec![10, 1]), "dimension"),
        (AgentSpec::new(AgentId(2), vec![10]).speed(0.0), "speed"),
        (
            AgentSpec::new(AgentId(2), vec![10]).speed(f64::NAN),
            "speed nan",
        ),
        (
            AgentSpec::new(AgentId(2), vec![10]).cost_per_time(-1.0),
            "cost",
        ),
        (
            AgentSpec::new(AgentId(2), vec![10]).cost_per_time(f64::INFINITY),
            "cost inf",
        ),
    ];
    for (spec, what) in cases {
        assert!(pool.join(spec).is_err(), "{what}");
        assert_eq!(pool.len(), 1, "{what}");
        assert!(!pool.contains(AgentId(2)), "{what}");
    }
    assert_eq!(
        pool.allocate(AgentId(9), &ResourceVec::from_slice(&[1])),
        Err(Error::UnknownAgent(AgentId(9)))
    );
    assert!(matches!(
        pool.allocate(AgentId(1), &ResourceVec::from_slice(&[11])),
        Err(Error::Underflow { dimension: 0, .. })
    ));
    assert!(matches!(
        pool.release(AgentId(1), &ResourceVec::from_slice(&[1])),
        Err(Error::Underflow { .. })
    ));
    assert_eq!(pool.used(AgentId(1)).unwrap().as_slice(), &[0]);
    assert!(
        Pool::new(
            Schema::new(["cpu"]).unwrap(),
            Scoring::Weighted(Weights::default()),
            false
        )
        .is_err()
    );
    let nan = Weights {
        balanced: f64::NAN,
        ..Weights::default()
    };
    assert!(matches!(
        Pool::new(Schema::new(["cpu"]).unwrap(), Scoring::Weighted(nan), false),
        Err(Error::NotFinite { .. })
    ));
}
