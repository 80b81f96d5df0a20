//! The dispatcher with learned runtimes: ordering by predictions, learning from completions,
//! guarded backfill, refresh, snapshots, and the invariants under random event sequences.

use agentsched::estimate::Source;
use agentsched::online::{
    Dispatcher, DispatcherConfig, EstimationConfig, Snapshot, TaskSpec, TaskState, UNBOUNDED_GUARD,
};
use agentsched::pool::AgentSpec;
use agentsched::queue::Discipline;
use agentsched::resources::Schema;
use agentsched::{AgentId, Error, TaskId};
use proptest::prelude::*;
use std::collections::BTreeMap;

/// Two features: a constant (the intercept) and the task's size.
fn estimation() -> EstimationConfig {
    let mut e = EstimationConfig::new(2);
    e.estimator.min_samples = 4;
    e
}

fn sjf_with(e: Option<EstimationConfig>) -> Dispatcher {
    let cfg = DispatcherConfig {
        discipline: Discipline::ShortestJobFirst,
        estimation: e,
        ..DispatcherConfig::default()
    };
    Dispatcher::new(Schema::new(["cpu"]).unwrap(), cfg).unwrap()
}

/// A dispatcher with the default discipline (priority order) and estimation `e`.
fn default_with(e: EstimationConfig) -> Dispatcher {
    let cfg = DispatcherConfig {
        estimation: Some(e),
        ..DispatcherConfig::default()
    };
    Dispatcher::new(Schema::new(["cpu"]).unwrap(), cfg).unwrap()
}

/// On a dispatcher whose only agent has 10 cpu: task 100 runs on 6 of them with declared
/// duration `hold` (it ends, and the shadow time falls, at `now + hold / speed`) and task 101,
/// needing all 10 at priority 5, blocks and reserves the agent.
fn reserve_the_agent(d: &mut Dispatcher, hold: f64) {
    d.submit(TaskSpec::new(TaskId(100), vec![6]).duration(hold))
        .unwrap();
    assert_eq!(d.dispatch().len(), 1);
    d.submit(TaskSpec::new(TaskId(101), vec![10]).priority(5))
        .unwrap();
}

fn classed(id: u32, demand: u64, class: u32, size: f64) -> TaskSpec {
    TaskSpec::new(TaskId(id), vec![demand]).runtime_class(class, vec![1.0, size])
}

/// Runs `n` tasks of `class` one at a time on the dispatcher's single agent, each taking
/// `runtime(size)` on a speed-1 agent, sizes 1..=n.
fn teach(d: &mut Dispatcher, first_id: u32, class: u32, n: u32, runtime: impl Fn(f64) -> f64) {
    for k in 0..n {
        let id = first_id + k;
        let size = f64::from(k + 1);
        d.submit(classed(id, 1, class, size)).unwrap();
        let placed = d.dispatch();
        assert_eq!(placed.len(), 1);
        let speed = d.pool().speed(placed[0].agent).unwrap();
        d.advance_to(d.now() + runtime(size) / speed).unwrap();
        d.complete(TaskId(id)).unwrap();
    }
}

#[test]
fn learns_a_linear_runtime_scaled_by_agent_speed() {
    let mut d = sjf_with(Some(estimation()));
    // Speed 2: each task runs half its speed-1 runtime, and the model must learn the speed-1 one.
    d.join_agent(AgentSpec::new(AgentId(1), vec![1]).speed(2.0))
        .unwrap();
    teach(&mut d, 1, 7, 30, |x| 2.0 + 3.0 * x);
    assert_eq!(d.stats().learned, 30);
    assert_eq!(d.stats().learn_rejected, 0);
    let est = d.estimator().unwrap();
    assert_eq!(est.samples(7), 30);
    let p = est.predict(7, &[1.0, 50.0]).unwrap().unwrap();
    assert_eq!(p.source, Source::Regression);
    assert!((p.mean - 152.0).abs() < 1e-3, "{p:?}");
    // A new task of the class is scheduled by the prediction, not its declared duration.
    d.submit(classed(100, 1, 7, 10.0).duration(1000.0)).unwrap();
    let e = d.runtime_estimate(TaskId(100)).unwrap();
    assert!((e.duration - 32.0).abs() < 1e-3, "{e:?}");
    assert_eq!(e.source, Some(Source::Regression));
    let placed = d.dispatch();
    // Expected end uses the prediction and the agent's speed.
    assert!((placed[0].expected_end - (d.now() + 16.0)).abs() < 1e-3);
}

#[test]
fn host_measured_runtime_is_what_the_model_learns() {
    let mut d = sjf_with(Some(estimation()));
    d.join_agent(AgentSpec::new(AgentId(1), vec![1])).unwrap();
    for k in 0..10u32 {
        d.submit(classed(k, 1, 0, 1.0)).unwrap();
        d.dispatch();
        // The dispatcher's clock does not move: only the host's measurement says 5.
        d.complete_with_runtime(TaskId(k), 5.0).unwrap();
    }
    let p = d
        .estimator()
        .unwrap()
        .predict(0, &[1.0, 1.0])
        .unwrap()
        .unwrap();
    assert!((p.mean - 5.0).abs() < 1e-6, "{p:?}");
    d.submit(classed(99, 1, 0, 1.0)).unwrap();
    d.dispatch();
    let before = d.snapshot();
    for bad in [-1.0, f64::NAN, f64::INFINITY] {
        assert!(d.complete_with_runtime(TaskId(99), bad).is_err());
        assert_eq!(d.snapshot(), before);
    }
}

#[test]
fn shortest_job_first_follows_the_predictions() {
    let mut d = sjf_with(Some(estimation()));
    d.join_agent(AgentSpec::new(AgentId(1), vec![1])).unwrap();
    teach(&mut d, 1, 0, 8, |_| 50.0); // class 0: long
    teach(&mut d, 101, 1, 8, |_| 2.0); // class 1: short
    // Declared durations say the opposite; the learned model wins for classed tasks.
    d.submit(TaskSpec::new(TaskId(500), vec![1]).duration(10.0))
        .unwrap();
    d.submit(classed(501, 1, 0, 1.0).duration(0.0)).unwrap();
    d.submit(classed(502, 1, 1, 1.0).duration(99.0)).unwrap();
    assert_eq!(d.queue_order(), vec![TaskId(502), TaskId(500), TaskId(501)]);
    // Without estimation the declared durations decide.
    let mut plain = sjf_with(None);
    plain
        .join_agent(AgentSpec::new(AgentId(1), vec![1]))
        .unwrap();
    for t in [
        TaskSpec::new(TaskId(500), vec![1]).duration(10.0),
        classed(501, 1, 0, 1.0).duration(0.0),
        classed(502, 1, 1, 1.0).duration(99.0),
    ] {
        plain.submit(t).unwrap();
    }
    assert_eq!(
        plain.queue_order(),
        vec![TaskId(501), TaskId(500), TaskId(502)]
    );
}

#[test]
fn declared_duration_until_anything_is_learned() {
    let mut d = sjf_with(Some(estimation()));
    d.join_agent(AgentSpec::new(AgentId(1), vec![1])).unwrap();
    d.submit(classed(1, 1, 3, 1.0).duration(4.5)).unwrap();
    let e = d.runtime_estimate(TaskId(1)).unwrap();
    assert_eq!((e.duration, e.guard, e.source), (4.5, 4.5, None));
}

#[test]
fn classed_tasks_must_match_the_model() {
    let mut d = sjf_with(Some(estimation()));
    d.join_agent(AgentSpec::new(AgentId(1), vec![1])).unwrap();
    let before = d.snapshot();
    let short = TaskSpec::new(TaskId(1), vec![1]).runtime_class(0, vec![1.0]);
    assert!(matches!(
        d.submit(short.clone()),
        Err(Error::DimensionMismatch {
            field: "task.features",
            expected: 2,
            got: 1
        })
    ));
    assert!(matches!(
        d.dry_run(&short),
        Err(Error::DimensionMismatch { .. })
    ));
    let nan = TaskSpec::new(TaskId(1), vec![1]).runtime_class(0, vec![1.0, f64::NAN]);
    assert!(matches!(
        d.submit(nan),
        Err(Error::NotFinite {
            field: "task.features",
            ..
        })
    ));
    assert_eq!(d.snapshot(), before);
    // Unclassed tasks may carry features of any length (the model never reads them), but
    // finite ones: a snapshot could not carry a NaN.
    d.submit(TaskSpec {
        features: vec![1.0, 2.0, 3.0],
        ..TaskSpec::new(TaskId(2), vec![1])
    })
    .unwrap();
    assert!(matches!(
        d.submit(TaskSpec {
            features: vec![f64::NAN],
            ..TaskSpec::new(TaskId(3), vec![1])
        }),
        Err(Error::NotFinite {
            field: "task.features",
            ..
        })
    ));
}

#[test]
fn bad_estimation_configs_are_refused() {
    let mut bad_q = estimation();
    bad_q.backfill_quantile = Some(0.3);
    let mut nan_q = estimation();
    nan_q.backfill_quantile = Some(f64::NAN);
    let mut bad_forget = estimation();
    bad_forget.estimator.rls.forgetting = 0.0;
    for e in [bad_q, nan_q, bad_forget] {
        let cfg = DispatcherConfig {
            estimation: Some(e.clone()),
            ..DispatcherConfig::default()
        };
        assert!(Dispatcher::new(Schema::new(["cpu"]).unwrap(), cfg).is_err());
        let mut d = sjf_with(None);
        assert!(d.set_estimation(Some(e)).is_err());
        assert_eq!(d.config().estimation, None);
        assert!(d.estimator().is_none());
    }
}

/// Backfill onto a reserved agent checks the configured quantile of the prediction, not its
/// mean, against the reservation's shadow time.
#[test]
fn backfill_guard_uses_the_prediction_quantile() {
    for quantile in [None, Some(0.95)] {
        let mut e = estimation();
        e.estimator.min_samples = 1_000; // stay on the class mean: its spread is the noise
        e.backfill_quantile = quantile;
        let mut d = default_with(e);
        d.join_agent(AgentSpec::new(AgentId(1), vec![10])).unwrap();
        // Class 2 runs 5 or 11 alternately: mean about 8, a wide spread.
        for k in 0..40u32 {
            d.submit(classed(k, 1, 2, 1.0)).unwrap();
            d.dispatch();
            d.complete_with_runtime(TaskId(k), if k % 2 == 0 { 5.0 } else { 11.0 })
                .unwrap();
        }
        let p = d
            .estimator()
            .unwrap()
            .predict(2, &[1.0, 1.0])
            .unwrap()
            .unwrap();
        assert_eq!(p.source, Source::ClassMean);
        let q95 = p.quantile(0.95).unwrap();
        assert!(q95 > p.mean + 1.0, "{p:?}");
        // The reservation's shadow is the midpoint between the mean and the quantile; a
        // classed task needing 4 fits now but may only backfill if it ends before it.
        reserve_the_agent(&mut d, (p.mean + q95) / 2.0);
        d.submit(classed(102, 4, 2, 1.0)).unwrap();
        let placed = d.dispatch();
        let r = d.reservation().expect("the big task holds a reservation");
        assert_eq!((r.task, r.agent), (TaskId(101), AgentId(1)));
        let e102 = d.runtime_estimate(TaskId(102)).unwrap();
        match quantile {
            None => {
                assert_eq!(e102.guard, e102.duration);
                assert_eq!(placed.len(), 1, "the mean ends before the shadow");
                assert!(placed[0].backfilled);
            }
            Some(_) => {
                assert!((e102.guard - q95).abs() < 1e-9);
                assert!(
                    placed.is_empty(),
                    "the 95% quantile would delay the reservation"
                );
                assert_eq!(d.task_state(TaskId(102)), Some(TaskState::Queued));
            }
        }
    }
}

#[test]
fn refresh_reorders_the_queue_by_the_current_model() {
    let mut d = sjf_with(Some(estimation()));
    d.join_agent(AgentSpec::new(AgentId(1), vec![1])).unwrap();
    d.join_agent(AgentSpec::new(AgentId(2), vec![1])).unwrap();
    // Fill both agents, then queue a class-0 and a class-1 task before anything is learned.
    d.submit(TaskSpec::new(TaskId(1), vec![1])).unwrap();
    d.submit(TaskSpec::new(TaskId(2), vec![1])).unwrap();
    d.dispatch();
    d.submit(classed(10, 1, 0, 1.0).duration(1.0)).unwrap();
    d.submit(classed(11, 1, 1, 1.0).duration(2.0)).unwrap();
    assert_eq!(d.queue_order(), vec![TaskId(10), TaskId(11)]);
    // Teach the model (on a third agent) that class 0 is slow and class 1 fast.
    let mut teacher = sjf_with(Some(estimation()));
    teacher
        .join_agent(AgentSpec::new(AgentId(1), vec![1]))
        .unwrap();
    teach(&mut teacher, 100, 0, 6, |_| 40.0);
    teach(&mut teacher, 200, 1, 6, |_| 3.0);
    let mut snap = d.snapshot();
    snap.estimator = teacher.snapshot().estimator;
    let mut d =
        Dispatcher::restore(serde_json::from_str(&serde_json::to_string(&snap).unwrap()).unwrap())
            .unwrap();
    assert_eq!(
        d.queue_order(),
        vec![TaskId(10), TaskId(11)],
        "fixed until refreshed"
    );
    assert_eq!(d.refresh_estimates(), 2);
    assert_eq!(d.queue_order(), vec![TaskId(11), TaskId(10)]);
    assert_eq!(d.refresh_estimates(), 0);
}

#[test]
fn snapshots_carry_the_model_and_the_estimates() {
    let mut a = sjf_with(Some(estimation()));
    a.join_agent(AgentSpec::new(AgentId(1), vec![2])).unwrap();
    teach(&mut a, 1, 0, 12, |x| 1.0 + x);
    a.submit(classed(50, 2, 0, 3.0)).unwrap();
    a.submit(classed(51, 1, 0, 9.0)).unwrap();
    let json = serde_json::to_string(&a.snapshot()).unwrap();
    let mut b = Dispatcher::restore(serde_json::from_str(&json).unwrap()).unwrap();
    assert_eq!(a.snapshot(), b.snapshot());
    for d in [&mut a, &mut b] {
        d.submit(classed(52, 1, 0, 0.5)).unwrap();
    }
    assert_eq!(a.dispatch(), b.dispatch());
    assert_eq!(a.snapshot(), b.snapshot());

    // An estimator without estimation in the policy, or with another model, is refused.
    let mut s: Snapshot = serde_json::from_str(&json).unwrap();
    s.config.estimation = None;
    assert!(matches!(
        Dispatcher::restore(s),
        Err(Error::InvalidSnapshot { .. })
    ));
    let mut s: Snapshot = serde_json::from_str(&json).unwrap();
    if let Some(e) = s.config.estimation.as_mut() {
        e.estimator.rls.ridge *= 2.0;
    }
    assert!(matches!(
        Dispatcher::restore(s),
        Err(Error::InvalidSnapshot { .. })
    ));
    // An estimate that is not a duration is refused.
    let mut s: Snapshot = serde_json::from_str(&json).unwrap();
    if let Some(e) = s.tasks[0].estimate.as_mut() {
        e.guard = e.duration - 1.0;
    }
    assert!(Dispatcher::restore(s).is_err());
    // Snapshots from before estimation (no estimates, no estimator) still restore.
    let mut s: Snapshot = serde_json::from_str(&json).unwrap();
    for t in &mut s.tasks {
        t.estimate = None;
    }
    s.estimator = None;
    let c = Dispatcher::restore(s).unwrap();
    assert_eq!(c.estimator().unwrap().classes(), 0);
}

#[test]
fn yielded_runs_count_toward_the_learned_runtime() {
    let mut d = sjf_with(Some(estimation()));
    d.join_agent(AgentSpec::new(AgentId(1), vec![1]).speed(2.0))
        .unwrap();
    for k in 0..6u32 {
        d.submit(classed(k, 1, 0, 1.0)).unwrap();
        d.dispatch();
        // 5 on the clock at speed 2 is 10 of speed-1 work; the host reports 5 used.
        d.advance_to(d.now() + 5.0).unwrap();
        d.yield_task(TaskId(k), 5.0).unwrap();
        d.dispatch();
        d.advance_to(d.now() + 2.0).unwrap(); // 4 more of speed-1 work
        d.complete(TaskId(k)).unwrap();
    }
    let p = d
        .estimator()
        .unwrap()
        .predict(0, &[1.0, 1.0])
        .unwrap()
        .unwrap();
    assert!((p.mean - 14.0).abs() < 1e-4, "{p:?}"); // ridge bias on collinear [1, 1]
    // A failure restarts the run: work before it does not count.
    d.submit(classed(50, 1, 1, 1.0)).unwrap();
    d.dispatch();
    d.advance_to(d.now() + 1.0).unwrap();
    d.yield_task(TaskId(50), 1.0).unwrap();
    d.dispatch();
    d.fail_agent(AgentId(1)).unwrap();
    d.recover_agent(AgentId(1)).unwrap();
    d.dispatch();
    d.complete_with_runtime(TaskId(50), 3.0).unwrap();
    let p = d
        .estimator()
        .unwrap()
        .predict(1, &[1.0, 1.0])
        .unwrap()
        .unwrap();
    assert_eq!(p.source, Source::ClassMean);
    assert!((p.mean - 6.0).abs() < 1e-9, "{p:?}");
}

#[test]
fn a_class_never_seen_keeps_its_declared_duration() {
    let mut d = sjf_with(Some(estimation()));
    d.join_agent(AgentSpec::new(AgentId(1), vec![1])).unwrap();
    teach(&mut d, 1, 0, 5, |_| 1.0);
    d.submit(classed(99, 1, 42, 1.0).duration(1000.0)).unwrap();
    let e = d.runtime_estimate(TaskId(99)).unwrap();
    assert_eq!((e.duration, e.source), (1000.0, None));
    // The estimator itself would answer with the global mean.
    let p = d
        .estimator()
        .unwrap()
        .predict(42, &[1.0, 1.0])
        .unwrap()
        .unwrap();
    assert_eq!(p.source, Source::GlobalMean);
}

#[test]
fn huge_features_fall_back_to_the_declared_duration() {
    let mut d = sjf_with(Some(estimation()));
    d.join_agent(AgentSpec::new(AgentId(1), vec![1])).unwrap();
    teach(&mut d, 1, 0, 10, |x| 1.0 + x);
    d.submit(classed(99, 1, 0, 1e200).duration(7.0)).unwrap();
    let e = d.runtime_estimate(TaskId(99)).unwrap();
    // 1 + 1e200 overflows the prediction's leverage: the declared duration orders the task,
    // and the guard fails closed (the model has data; it may say the task is long).
    assert_eq!(
        (e.duration, e.guard, e.source),
        (7.0, UNBOUNDED_GUARD, None),
        "{e:?}"
    );
    assert!(d.dry_run(&classed(100, 1, 0, 1e300)).is_ok());
}

/// With a log-scale model the guard is the exact quantile of the runtime, exp(mu + t s), not the
/// delta-method approximation around the median.
#[test]
fn log_target_guard_is_the_exact_quantile() {
    let mut e = estimation();
    e.estimator.log_target = true;
    e.estimator.min_samples = 1_000;
    e.backfill_quantile = Some(0.9);
    let mut d = default_with(e);
    d.join_agent(AgentSpec::new(AgentId(1), vec![1])).unwrap();
    let runtimes = [1.0, 10.0, 100.0];
    for k in 0..30u32 {
        d.submit(classed(k, 1, 0, 1.0)).unwrap();
        d.dispatch();
        d.complete_with_runtime(TaskId(k), runtimes[k as usize % 3])
            .unwrap();
    }
    d.submit(classed(99, 1, 0, 1.0)).unwrap();
    let g = d.runtime_estimate(TaskId(99)).unwrap();
    let est = d.estimator().unwrap();
    let exact = est.quantile(0, &[1.0, 1.0], 0.9).unwrap().unwrap();
    assert!((g.guard - exact).abs() <= 1e-9 * exact, "{g:?} vs {exact}");
    // Recomputed from the class's log-scale prediction: median exp(mu), t quantile on log scale.
    let p = est.predict(0, &[1.0, 1.0]).unwrap().unwrap();
    let s = p.std_error / (p.mean + agentsched::estimate::runtime::LOG_OFFSET);
    let t = agentsched::estimate::stats::t_quantile(0.9, p.dof).unwrap();
    let mu = (p.mean + agentsched::estimate::runtime::LOG_OFFSET).ln();
    assert!(((mu + t * s).exp() - exact).abs() < 1e-6 * exact);
    assert!(
        g.guard > p.quantile(0.9).unwrap(),
        "exact beats the delta method here"
    );
}

#[test]
fn replacing_the_model_resets_tasks_that_no_longer_fit() {
    let mut d = sjf_with(Some(estimation()));
    d.join_agent(AgentSpec::new(AgentId(1), vec![1])).unwrap();
    teach(&mut d, 1, 0, 6, |_| 7.0);
    d.submit(classed(50, 1, 0, 1.0).duration(3.0)).unwrap();
    d.submit(classed(51, 1, 0, 1.0).duration(4.0)).unwrap();
    assert_eq!(
        d.runtime_estimate(TaskId(50)).unwrap().source,
        Some(Source::Regression)
    );
    d.dispatch(); // 50 runs
    d.set_estimation(Some(EstimationConfig::new(3))).unwrap();
    assert_eq!(d.refresh_estimates(), 2);
    let e = d.runtime_estimate(TaskId(51)).unwrap();
    assert_eq!((e.duration, e.source), (4.0, None));
    d.complete(TaskId(50)).unwrap();
    assert_eq!(d.stats().learn_rejected, 1);
}

// ---- random event sequences -----------------------------------------------------------------

#[derive(Debug, Clone)]
enum Ev {
    Submit {
        demand: u64,
        class: Option<u8>,
        size: u8,
    },
    Dispatch,
    Complete(u8),
    CompleteMeasured(u8, u8),
    Fail(u8),
    Recover(u8),
    Advance(u8),
    Refresh,
    Yield(u8, u8),
}

fn ev() -> impl Strategy<Value = Ev> {
    prop_oneof![
        4 => (1..6u64, prop::option::of(0..3u8), 0..10u8)
            .prop_map(|(demand, class, size)| Ev::Submit { demand, class, size }),
        3 => Just(Ev::Dispatch),
        3 => any::<u8>().prop_map(Ev::Complete),
        1 => (any::<u8>(), any::<u8>()).prop_map(|(t, r)| Ev::CompleteMeasured(t, r)),
        1 => (0..3u8).prop_map(Ev::Fail),
        1 => (0..3u8).prop_map(Ev::Recover),
        2 => (0..20u8).prop_map(Ev::Advance),
        1 => Just(Ev::Refresh),
        1 => (any::<u8>(), any::<u8>()).prop_map(|(t, u)| Ev::Yield(t, u)),
    ]
}

fn run(events: &[Ev], quantile: Option<f64>) -> (Dispatcher, BTreeMap<TaskId, u32>) {
    let mut e = estimation();
    e.backfill_quantile = quantile;
    let mut d = sjf_with(Some(e));
    for a in 0..3 {
        d.join_agent(AgentSpec::new(AgentId(a), vec![6]).speed(1.0 + f64::from(a)))
            .unwrap();
    }
    let mut next = 0u32;
    let mut classed_done: BTreeMap<TaskId, u32> = BTreeMap::new();
    let running = |d: &Dispatcher, k: u8| -> Option<TaskId> {
        let ids: Vec<TaskId> = (0..3).flat_map(|a| d.tasks_on(AgentId(a))).collect();
        (!ids.is_empty()).then(|| ids[k as usize % ids.len()])
    };
    for e in events {
        match e {
            Ev::Submit {
                demand,
                class,
                size,
            } => {
                let mut t = TaskSpec::new(TaskId(next), vec![*demand]).duration(f64::from(*size));
                if let Some(c) = class {
                    t = t.runtime_class(u32::from(*c), vec![1.0, f64::from(*size)]);
                }
                d.submit(t).unwrap();
                next += 1;
            }
            Ev::Dispatch => {
                d.dispatch();
            }
            Ev::Complete(k) | Ev::CompleteMeasured(k, _) => {
                if let Some(id) = running(&d, *k) {
                    if d.task(id).unwrap().class.is_some() {
                        *classed_done.entry(id).or_default() += 1;
                    }
                    match e {
                        Ev::CompleteMeasured(_, r) => d.complete_with_runtime(id, f64::from(*r)),
                        _ => d.complete(id),
                    }
                    .unwrap();
                }
            }
            Ev::Fail(a) => {
                let _ = d.fail_agent(AgentId(u32::from(*a)));
            }
            Ev::Recover(a) => {
                let _ = d.recover_agent(AgentId(u32::from(*a)));
            }
            Ev::Advance(dt) => d.advance_to(d.now() + f64::from(*dt)).unwrap(),
            Ev::Refresh => {
                d.refresh_estimates();
            }
            Ev::Yield(k, used) => {
                if let Some(id) = running(&d, *k) {
                    d.yield_task(id, f64::from(*used)).unwrap();
                }
            }
        }
        // Invariants after every event: no over-commit, every estimate a duration.
        for a in 0..3 {
            let id = AgentId(a);
            let used: u64 = d
                .tasks_on(id)
                .iter()
                .map(|t| d.task(*t).unwrap().demand[0])
                .sum();
            assert!(used <= 6, "{id} over-committed: {used}");
        }
        for t in 0..next {
            if let Some(est) = d.runtime_estimate(TaskId(t)) {
                assert!(est.duration.is_finite() && est.duration >= 0.0);
                assert!(est.guard >= est.duration && est.guard.is_finite());
            }
        }
    }
    (d, classed_done)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_events_keep_the_invariants(
        events in prop::collection::vec(ev(), 1..80),
        guarded in any::<bool>(),
    ) {
        let quantile = guarded.then_some(0.9);
        let (d, done) = run(&events, quantile);
        // Every classed completion was learned (nothing here can overflow the model).
        let total: u32 = done.values().sum();
        prop_assert_eq!(d.stats().learned, u64::from(total));
        prop_assert_eq!(d.stats().learn_rejected, 0);
        let per_class: u64 = (0..3).map(|c| d.estimator().unwrap().samples(c)).sum();
        prop_assert_eq!(per_class, u64::from(total));
        // Deterministic, and a snapshot continues identically.
        let (again, _) = run(&events, quantile);
        prop_assert_eq!(d.snapshot(), again.snapshot());
        let json = serde_json::to_string(&d.snapshot()).unwrap();
        let mut restored = Dispatcher::restore(serde_json::from_str(&json).unwrap()).unwrap();
        let mut original = d.clone();
        prop_assert_eq!(original.dispatch(), restored.dispatch());
    }
}

/// One huge (but finite) measured runtime is refused by the model without failing the
/// completion, and every class keeps learning afterwards. (Regression: a first runtime of 1e156
/// was accepted, the global variance's update then overflowed at every later completion, and
/// learning stopped for every class.)
#[test]
fn one_huge_runtime_does_not_stop_learning() {
    let mut d = default_with(estimation());
    d.join_agent(AgentSpec::new(AgentId(1), vec![1])).unwrap();
    d.submit(classed(1, 1, 1, 1.0)).unwrap();
    d.dispatch();
    d.complete_with_runtime(TaskId(1), 1e156).unwrap();
    assert_eq!(d.task_state(TaskId(1)), Some(TaskState::Done));
    assert_eq!((d.stats().learned, d.stats().learn_rejected), (0, 1));
    for k in 2..40u32 {
        d.submit(classed(k, 1, 1 + (k % 3), 1.0)).unwrap();
        d.dispatch();
        d.complete_with_runtime(TaskId(k), 5.0).unwrap();
    }
    let s = d.stats();
    assert_eq!((s.learned, s.learn_rejected), (38, 1), "{s:?}");
    // Class 1 learned only its 5 s runs.
    let p = d
        .estimator()
        .unwrap()
        .predict(1, &[1.0, 1.0])
        .unwrap()
        .unwrap();
    assert!((p.mean - 5.0).abs() < 1e-3, "{p:?}");
}

/// A runtime-estimated task whose backfill quantile overflows keeps its point estimate for
/// ordering and expected ends, and is never backfilled onto the reserved agent. (Regression:
/// it fell back to its declared duration, 1 s, and jumped the reservation although its
/// predicted median is 1e4 s.)
#[test]
fn an_overflowing_backfill_quantile_fails_closed() {
    for speed in [1.0, 0.5, 4.0] {
        let mut e = estimation();
        e.estimator.log_target = true;
        e.estimator.min_samples = 1_000;
        e.backfill_quantile = Some(0.999);
        let mut d = default_with(e);
        d.join_agent(AgentSpec::new(AgentId(1), vec![10]).speed(speed))
            .unwrap();
        // Class 2 ran 100 s and 1e6 s (on a speed-1 agent).
        for (k, rt) in [(0u32, 100.0), (1, 1e6)] {
            d.submit(classed(k, 1, 2, 1.0)).unwrap();
            d.dispatch();
            d.complete_with_runtime(TaskId(k), rt / speed).unwrap();
        }
        // The agent is held until t = 50 and reserved.
        reserve_the_agent(&mut d, 50.0 * speed);
        // Declared 1 s; the class mean on the log scale gives a median of
        // exp((ln 100 + ln 1e6) / 2) = 1e4 s, and its 0.999 quantile (1 degree of freedom)
        // is beyond f64::MAX.
        d.submit(classed(102, 4, 2, 1.0).duration(1.0)).unwrap();
        let e102 = d.runtime_estimate(TaskId(102)).unwrap();
        assert!((e102.duration - 1e4).abs() < 1e-6, "{e102:?}");
        assert_eq!(e102.guard, UNBOUNDED_GUARD);
        assert_eq!(e102.source, Some(Source::ClassMean));
        let placed = d.dispatch();
        assert!(placed.is_empty(), "speed {speed}: backfilled: {placed:?}");
        assert_eq!(d.reservation().map(|r| r.task), Some(TaskId(101)));
        let x = d.explain(TaskId(102)).unwrap();
        assert_eq!(x.feasible, 0, "{x:?}");
        assert_eq!(d.task_state(TaskId(102)), Some(TaskState::Queued));
        // The snapshot keeps the fail-closed guard and restores.
        let json = serde_json::to_string(&d.snapshot()).unwrap();
        let mut b = Dispatcher::restore(serde_json::from_str(&json).unwrap()).unwrap();
        assert_eq!(b.snapshot(), d.snapshot());
        assert_eq!(b.runtime_estimate(TaskId(102)), Some(e102));
        assert!(b.dispatch().is_empty());
        // The reserved task is placed once the agent frees; the guarded task after it.
        b.advance_to(50.0).unwrap();
        b.complete(TaskId(100)).unwrap();
        let placed = b.dispatch();
        assert_eq!(placed.len(), 1);
        assert_eq!(placed[0].task, TaskId(101));
    }
}

/// One runtime says nothing about the spread: with a backfill quantile configured, the guard
/// fails closed until a second runtime arrives (it used to be the single runtime seen, so the
/// "quantile" protected nothing). Without a quantile the guard is the point estimate as before.
#[test]
fn a_single_runtime_gives_no_backfill_guard() {
    for quantile in [None, Some(0.9)] {
        let mut e = estimation();
        e.estimator.min_samples = 1_000;
        e.backfill_quantile = quantile;
        let mut d = default_with(e);
        d.join_agent(AgentSpec::new(AgentId(1), vec![10])).unwrap();
        d.submit(classed(0, 1, 2, 1.0)).unwrap();
        d.dispatch();
        d.complete_with_runtime(TaskId(0), 3.0).unwrap();
        // The agent is held until t = 10 and reserved.
        reserve_the_agent(&mut d, 10.0);
        d.submit(classed(102, 4, 2, 1.0).duration(1.0)).unwrap();
        let e = d.runtime_estimate(TaskId(102)).unwrap();
        assert_eq!((e.duration, e.source), (3.0, Some(Source::ClassMean)));
        let placed = d.dispatch();
        match quantile {
            None => {
                assert_eq!(e.guard, 3.0);
                assert_eq!(placed.len(), 1, "3 s ends before the shadow at 10");
                assert!(placed[0].backfilled);
            }
            Some(_) => {
                assert_eq!(e.guard, UNBOUNDED_GUARD);
                assert!(placed.is_empty(), "{placed:?}");
                // A second runtime (of any class) gives a spread, and a quantile again.
                let mut est = d.estimator().unwrap().clone();
                est.observe(5, &[1.0, 1.0], 7.0).unwrap();
                let p = est.predict(2, &[1.0, 1.0]).unwrap().unwrap();
                assert!(p.std_error > 0.0 && p.dof.is_finite(), "{p:?}");
            }
        }
    }
}

/// Non-finite features are refused whether estimation is on or off: with it off they used to be
/// accepted, and the snapshot (JSON has no NaN) then failed to restore.
#[test]
fn non_finite_features_are_refused_with_estimation_off() {
    let mut d =
        Dispatcher::new(Schema::new(["cpu"]).unwrap(), DispatcherConfig::default()).unwrap();
    d.join_agent(AgentSpec::new(AgentId(1), vec![1])).unwrap();
    let before = d.snapshot();
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let spec = TaskSpec::new(TaskId(1), vec![1]).runtime_class(3, vec![1.0, bad]);
        for r in [d.dry_run(&spec).map(|_| ()), d.submit(spec.clone())] {
            assert!(
                matches!(
                    r,
                    Err(Error::NotFinite {
                        field: "task.features",
                        ..
                    })
                ),
                "{bad}: {r:?}"
            );
        }
    }
    assert_eq!(d.snapshot(), before);
    // Length is not checked while estimation is off; finite features round-trip.
    d.submit(TaskSpec::new(TaskId(2), vec![1]).runtime_class(3, vec![1.0, 2.0, 3.0]))
        .unwrap();
    let json = serde_json::to_string(&d.snapshot()).unwrap();
    let b = Dispatcher::restore(serde_json::from_str(&json).unwrap()).unwrap();
    assert_eq!(b.snapshot(), d.snapshot());
}

/// `set_estimation_policy` changes `learn` and the backfill quantile and keeps the model;
/// refused changes (estimation off, a bad quantile) change nothing.
#[test]
fn set_estimation_policy_keeps_the_model() {
    let mut d = sjf_with(None);
    d.join_agent(AgentSpec::new(AgentId(1), vec![1])).unwrap();
    assert!(matches!(
        d.set_estimation_policy(true, None),
        Err(Error::InvalidConfig {
            field: "estimation",
            ..
        })
    ));
    d.set_estimation(Some(estimation())).unwrap();
    teach(&mut d, 1, 0, 10, |x| 1.0 + x);
    let model = d.estimator().unwrap().clone();
    d.set_estimation_policy(false, Some(0.9)).unwrap();
    assert_eq!(d.estimator(), Some(&model));
    let cfg = d.config().estimation.clone().unwrap();
    assert_eq!((cfg.learn, cfg.backfill_quantile), (false, Some(0.9)));
    assert_eq!(cfg.estimator, estimation().estimator);
    // The model still answers: 1 + x at x = 4 (a least-squares fit of exact data).
    d.submit(classed(50, 1, 0, 4.0)).unwrap();
    let e = d.runtime_estimate(TaskId(50)).unwrap();
    assert_eq!(e.source, Some(Source::Regression));
    assert!((e.duration - 5.0).abs() < 1e-3, "{e:?}");
    assert!(e.guard > e.duration, "{e:?}");
    // With learn off, completions teach nothing.
    let learned = d.stats().learned;
    d.dispatch();
    d.complete_with_runtime(TaskId(50), 100.0).unwrap();
    assert_eq!(d.stats().learned, learned);
    assert_eq!(d.estimator(), Some(&model));
    // Bad quantiles: typed errors, nothing changes.
    let before = d.snapshot();
    assert!(matches!(
        d.set_estimation_policy(true, Some(0.2)),
        Err(Error::InvalidConfig { .. })
    ));
    assert!(matches!(
        d.set_estimation_policy(true, Some(f64::NAN)),
        Err(Error::NotFinite { .. })
    ));
    assert_eq!(d.snapshot(), before);
}
