//! Random event sequences (valid and invalid ids, bad numbers) against the dispatcher: no panic,
//! a failed call changes nothing, capacity is never exceeded, confidential never runs public.
#![no_main]

use agentsched::online::{Dispatcher, DispatcherConfig, EstimationConfig, TaskSpec, TaskState};
use agentsched::pool::{AgentSpec, Scoring};
use agentsched::queue::{Discipline, MlfqConfig};
use agentsched::resources::Schema;
use agentsched::{AgentId, GangId, Label, Sensitivity, TaskId, Tier};
use libfuzzer_sys::fuzz_target;

fn f64_from(b: u8) -> f64 {
    match b {
        0 => f64::NAN,
        1 => -1.0,
        2 => f64::INFINITY,
        b => (b as f64) / 4.0,
    }
}

fuzz_target!(|data: &[u8]| {
    let mut it = data.iter().copied();
    let mut next = move || it.next();
    let (Some(cfg), Some(est)) = (next(), next()) else {
        return;
    };
    // Learned runtimes on half the runs, in every variant of their policy.
    let estimation = (est & 1 == 1).then(|| {
        let mut e = EstimationConfig::new(2);
        e.backfill_quantile = (est & 2 != 0).then_some(0.9);
        e.estimator.rls.forgetting = if est & 4 != 0 { 0.9 } else { 1.0 };
        e.estimator.log_target = est & 8 != 0;
        e.estimator.min_samples = u64::from(est >> 4);
        e.learn = est & 0x80 == 0 || est & 0x40 != 0;
        e
    });
    let config = DispatcherConfig {
        scoring: [
            Scoring::LeastAllocated,
            Scoring::MostAllocated,
            Scoring::Balanced,
            Scoring::DotProduct,
            Scoring::LowestCost,
        ][(cfg % 5) as usize],
        discipline: match cfg / 5 % 3 {
            0 => Discipline::PriorityFifo,
            1 => Discipline::ShortestJobFirst,
            _ => Discipline::Mlfq(MlfqConfig {
                quanta: vec![1.0, 4.0],
                boost_interval: 10.0,
            }),
        },
        backfill: cfg & 0x40 == 0,
        reservation: cfg & 0x80 == 0,
        estimation,
        ..DispatcherConfig::default()
    };
    let Ok(mut d) = Dispatcher::new(Schema::new(["cpu", "mem", "gpu"]).unwrap(), config) else {
        return;
    };
    let mut now = 0.0;
    while let (Some(op), Some(a), Some(b)) = (next(), next(), next()) {
        let before = d.snapshot();
        let failed = match op % 13 {
            0 | 1 => d
                .join_agent(
                    AgentSpec::new(
                        AgentId(a as u32 % 16),
                        vec![b as u64 * 8, 64, (b % 3) as u64],
                    )
                    .tier(if a & 1 == 0 {
                        Tier::Private
                    } else {
                        Tier::Public
                    })
                    .cost_per_time(f64_from(b))
                    .label(Label::new("z", (a % 3).to_string())),
                )
                .is_err(),
            2..=4 => {
                let mut spec = TaskSpec::new(
                    TaskId(a as u32 % 64),
                    vec![b as u64 % 40, 8, (b % 2) as u64],
                )
                .priority((b % 5) as i32)
                .duration(f64_from(b))
                .sensitivity(
                    [
                        Sensitivity::Public,
                        Sensitivity::Internal,
                        Sensitivity::Confidential,
                    ][(a % 3) as usize],
                );
                if b % 7 == 0 {
                    spec = spec.gang(GangId((a % 4) as u32), (b % 3) as u32);
                }
                if a % 11 == 0 {
                    spec.demand.push(1);
                }
                if b % 5 == 1 {
                    spec = spec.runtime_class(u32::from(a % 3), vec![1.0, f64_from(a)]);
                } else if b % 5 == 2 {
                    spec = spec.runtime_class(u32::from(a % 3), vec![f64_from(b)]);
                }
                d.submit(spec).is_err()
            }
            5 => {
                let _ = d.dispatch();
                false
            }
            6 if b % 2 == 0 => d
                .complete_with_runtime(TaskId(a as u32 % 64), f64_from(b))
                .is_err(),
            6 => d.complete(TaskId(a as u32 % 64)).is_err(),
            12 => {
                d.refresh_estimates();
                false
            }
            7 => d.cancel(TaskId(a as u32 % 64)).is_err(),
            8 => match a % 4 {
                0 => d.fail_agent(AgentId(b as u32 % 16)).is_err(),
                1 => d.drain_agent(AgentId(b as u32 % 16)).is_err(),
                2 => d.recover_agent(AgentId(b as u32 % 16)).is_err(),
                _ => d.leave_agent(AgentId(b as u32 % 16)).is_err(),
            },
            9 => d.yield_task(TaskId(a as u32 % 64), f64_from(b)).is_err(),
            10 => d
                .change_priority(TaskId(a as u32 % 64), b as i32 - 128)
                .is_err(),
            _ => {
                let t = now + f64_from(b) - 1.0;
                let r = d.advance_to(t);
                if r.is_ok() {
                    now = t;
                }
                r.is_err()
            }
        };
        if failed {
            assert_eq!(before, d.snapshot(), "a failed call changed the state");
        }
        for t in 0..64 {
            if let Some(e) = d.runtime_estimate(TaskId(t)) {
                assert!(e.duration.is_finite() && e.duration >= 0.0 && e.guard >= e.duration);
            }
        }
        let pool = d.pool();
        for id in pool.ids().collect::<Vec<_>>() {
            let info = pool.agent(id).unwrap();
            for (u, c) in info.used.as_slice().iter().zip(&info.spec.capacity) {
                assert!(u <= c, "over-commit on {id}");
            }
            for t in d.tasks_on(id) {
                let spec = d.task(t).unwrap();
                assert!(spec.sensitivity.allowed_on(info.spec.tier, false));
                assert!(
                    matches!(d.task_state(t), Some(TaskState::Running { agent, .. }) if agent == id)
                );
            }
        }
    }
});
