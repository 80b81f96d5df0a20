//! Integration tests for `agentsched::queue`: model-based property tests for the indexed heap and
//! the task queue, the documented orders written out independently, MLFQ and aging scenarios,
//! every error path, and snapshots.

use agentsched::Error;
use agentsched::queue::{
    AgingConfig, Discipline, IndexedHeap, MlfqConfig, QueueEntryState, QueueItem, QueueState,
    TaskQueue,
};
use proptest::prelude::*;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

// ---------------------------------------------------------------------------------------------
// IndexedHeap against a BTreeSet model.

#[derive(Debug, Clone)]
enum HeapOp {
    Push(u32, u16),
    Pop,
    ChangeKey(u32, u16),
    Remove(u32),
    Clear,
}

fn heap_op() -> impl Strategy<Value = HeapOp> {
    prop_oneof![
        6 => (0..40u32, 0..50u16).prop_map(|(id, k)| HeapOp::Push(id, k)),
        3 => Just(HeapOp::Pop),
        4 => (0..40u32, 0..50u16).prop_map(|(id, k)| HeapOp::ChangeKey(id, k)),
        2 => (0..40u32).prop_map(HeapOp::Remove),
        1 => Just(HeapOp::Clear),
    ]
}

#[derive(Default)]
struct HeapModel {
    set: BTreeSet<(u16, u32)>,
    keys: BTreeMap<u32, u16>,
}

fn unknown(id: u32) -> Error {
    Error::QueueEntry {
        id,
        reason: "unknown",
    }
}

fn duplicate(id: u32) -> Error {
    Error::QueueEntry {
        id,
        reason: "duplicate",
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn heap_agrees_with_model(ops in prop::collection::vec(heap_op(), 1..200)) {
        let mut heap = IndexedHeap::new();
        let mut model = HeapModel::default();
        for op in ops {
            match op {
                HeapOp::Push(id, k) => {
                    let got = heap.push(id, k);
                    if let std::collections::btree_map::Entry::Vacant(slot) = model.keys.entry(id) {
                        prop_assert_eq!(got, Ok(()));
                        slot.insert(k);
                        model.set.insert((k, id));
                    } else {
                        prop_assert_eq!(got, Err(duplicate(id)));
                    }
                }
                HeapOp::Pop => {
                    let want = model.set.pop_first().map(|(k, id)| {
                        model.keys.remove(&id);
                        (id, k)
                    });
                    prop_assert_eq!(heap.pop(), want);
                }
                HeapOp::ChangeKey(id, k) => {
                    let got = heap.change_key(id, k);
                    match model.keys.get(&id).copied() {
                        None => prop_assert_eq!(got, Err(unknown(id))),
                        Some(old) => {
                            prop_assert_eq!(got, Ok(old));
                            model.set.remove(&(old, id));
                            model.set.insert((k, id));
                            model.keys.insert(id, k);
                        }
                    }
                }
                HeapOp::Remove(id) => {
                    let got = heap.remove(id);
                    match model.keys.remove(&id) {
                        None => prop_assert_eq!(got, Err(unknown(id))),
                        Some(old) => {
                            prop_assert_eq!(got, Ok(old));
                            model.set.remove(&(old, id));
                        }
                    }
                }
                HeapOp::Clear => {
                    heap.clear();
                    model.set.clear();
                    model.keys.clear();
                }
            }
            prop_assert!(heap.is_consistent());
            prop_assert_eq!(heap.len(), model.set.len());
            prop_assert_eq!(heap.is_empty(), model.set.is_empty());
            prop_assert_eq!(heap.peek(), model.set.first().map(|&(k, id)| (id, k)));
            for id in 0..42u32 {
                prop_assert_eq!(heap.contains(id), model.keys.contains_key(&id));
                prop_assert_eq!(heap.key(id), model.keys.get(&id).copied());
            }
            let mut entries: Vec<(u16, u32)> = heap.iter().map(|(id, k)| (k, id)).collect();
            entries.sort_unstable();
            prop_assert_eq!(entries, model.set.iter().copied().collect::<Vec<_>>());
        }
        // Draining gives the model's order.
        let drained: Vec<(u32, u16)> = std::iter::from_fn(|| heap.pop()).collect();
        prop_assert_eq!(drained, model.set.iter().map(|&(k, id)| (id, k)).collect::<Vec<_>>());
    }

    #[test]
    fn heap_rekey_all_is_a_heap(keys in prop::collection::vec(any::<u64>(), 0..300), salt in any::<u64>()) {
        let mut heap = IndexedHeap::new();
        for (id, &k) in keys.iter().enumerate() {
            heap.push(id as u32, k).unwrap();
        }
        heap.rekey_all(|id, k| k ^ salt.rotate_left(id));
        prop_assert!(heap.is_consistent());
        let mut want: Vec<(u64, u32)> = keys
            .iter()
            .enumerate()
            .map(|(id, &k)| (k ^ salt.rotate_left(id as u32), id as u32))
            .collect();
        want.sort_unstable();
        let drained: Vec<(u64, u32)> = std::iter::from_fn(|| heap.pop()).map(|(id, k)| (k, id)).collect();
        prop_assert_eq!(drained, want);
    }
}

// ---------------------------------------------------------------------------------------------
// The documented orders, written out from the docs (not from the library's keys).

/// MLFQ level: the number of prefix sums `quanta[0] + ... + quanta[i]` that are `<= used`.
fn doc_level(quanta: &[f64], used: f64) -> usize {
    let mut sum = 0.0;
    let mut level = 0;
    for q in quanta {
        sum += q;
        if sum <= used {
            level += 1;
        }
    }
    level
}

fn cmp_f64(a: f64, b: f64) -> Ordering {
    a.partial_cmp(&b).expect("no NaN in tests")
}

/// The documented order of `discipline`: `Less` means `a` pops first.
fn doc_cmp(discipline: &Discipline, a: (&QueueItem, f64), b: (&QueueItem, f64)) -> Ordering {
    let ((a, a_used), (b, b_used)) = (a, b);
    let by_priority = b.priority.cmp(&a.priority); // higher first
    let by_duration = cmp_f64(a.duration, b.duration); // shorter first
    let by_seq = a.seq.cmp(&b.seq); // earlier first
    match discipline {
        Discipline::PriorityFifo => by_priority.then(by_duration).then(by_seq),
        Discipline::ShortestJobFirst => by_duration.then(by_priority).then(by_seq),
        Discipline::Mlfq(c) => doc_level(&c.quanta, a_used)
            .cmp(&doc_level(&c.quanta, b_used))
            .then(by_priority)
            .then(by_seq),
        Discipline::Aging(c) => {
            let ka = c.rate * a.arrival - f64::from(a.priority);
            let kb = c.rate * b.arrival - f64::from(b.priority);
            cmp_f64(ka, kb).then(by_duration).then(by_seq)
        }
    }
}

fn disciplines() -> Vec<Discipline> {
    vec![
        Discipline::PriorityFifo,
        Discipline::ShortestJobFirst,
        Discipline::Mlfq(MlfqConfig {
            quanta: vec![1.0, 2.0],
            boost_interval: 10.0,
        }),
        Discipline::Mlfq(MlfqConfig {
            quanta: vec![0.5, 1.0, 3.0],
            boost_interval: 7.0,
        }),
        Discipline::Aging(AgingConfig { rate: 0.5 }),
        Discipline::Aging(AgingConfig { rate: 0.0 }),
        Discipline::Aging(AgingConfig { rate: 3.0 }),
    ]
}

fn discipline() -> impl Strategy<Value = Discipline> {
    prop::sample::select(disciplines())
}

/// Times in multiples of 0.5: exact in f64 and through JSON.
fn item() -> impl Strategy<Value = (i32, f64, f64)> {
    (-3..4i32, 0..12u8, 0..40u8).prop_map(|(p, d, a)| (p, f64::from(d) * 0.5, f64::from(a) * 0.5))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn pop_order_is_the_documented_order(
        d in discipline(),
        items in prop::collection::vec((item(), 0..3u64, 0..8u8), 0..150),
        ids in Just((0..150u32).collect::<Vec<_>>()).prop_shuffle(),
    ) {
        let mut q = TaskQueue::new(d.clone()).unwrap();
        let mut seq = 0;
        let mut all = Vec::new();
        for (((p, dur, arr), gap, used), &id) in items.iter().zip(&ids) {
            seq += gap + 1;
            let it = QueueItem::new(*p, *dur, *arr, seq);
            let used = f64::from(*used) * 0.5;
            q.insert(id, it).unwrap();
            q.charge(id, used).unwrap();
            all.push((id, it, used));
        }
        all.sort_by(|x, y| doc_cmp(&d, (&x.1, x.2), (&y.1, y.2)));
        let want: Vec<u32> = all.iter().map(|x| x.0).collect();
        prop_assert_eq!(q.ordered_ids(), want.clone());
        let popped: Vec<u32> = std::iter::from_fn(|| q.pop()).collect();
        prop_assert_eq!(popped, want);
    }
}

// ---------------------------------------------------------------------------------------------
// TaskQueue against a naive model, with snapshots.

#[derive(Debug, Clone)]
enum QOp {
    Insert {
        id: u32,
        item: (i32, f64, f64),
        gap: u64,
        stale_seq: bool,
        bad: u8,
    },
    Pop,
    Requeue(u32),
    Remove(u32),
    ChangePriority(u32, i32),
    Charge(u32, f64),
    Advance(f64),
    SetDiscipline(Discipline),
    BadDiscipline(u8),
}

fn q_op() -> impl Strategy<Value = QOp> {
    prop_oneof![
        8 => (0..16u32, item(), 0..3u64, prop::bool::weighted(0.1), prop::sample::select(vec![0u8, 0, 0, 0, 0, 1, 2, 3]))
            .prop_map(|(id, item, gap, stale_seq, bad)| QOp::Insert { id, item, gap, stale_seq, bad }),
        5 => Just(QOp::Pop),
        4 => (0..16u32).prop_map(QOp::Requeue),
        2 => (0..16u32).prop_map(QOp::Remove),
        2 => (0..16u32, -3..4i32).prop_map(|(id, p)| QOp::ChangePriority(id, p)),
        4 => (0..16u32, prop::sample::select(vec![0.0, 0.5, 1.0, 2.5, -1.0, f64::NAN, f64::INFINITY]))
            .prop_map(|(id, u)| QOp::Charge(id, u)),
        2 => prop::sample::select(vec![0.0, 1.0, 3.0, 8.0, 15.0, -2.0, f64::NAN]).prop_map(QOp::Advance),
        1 => discipline().prop_map(QOp::SetDiscipline),
        1 => (0..4u8).prop_map(QOp::BadDiscipline),
    ]
}

#[derive(Debug, Clone)]
struct ModelTask {
    item: QueueItem,
    used: f64,
    queued: bool,
}

#[derive(Debug, Clone)]
struct QueueModel {
    discipline: Discipline,
    tasks: BTreeMap<u32, ModelTask>,
    now: f64,
    last_boost: f64,
    last_seq: Option<u64>,
}

impl QueueModel {
    fn order(&self) -> Vec<u32> {
        let mut queued: Vec<(&u32, &ModelTask)> =
            self.tasks.iter().filter(|(_, t)| t.queued).collect();
        queued.sort_by(|a, b| {
            doc_cmp(
                &self.discipline,
                (&a.1.item, a.1.used),
                (&b.1.item, b.1.used),
            )
        });
        queued.into_iter().map(|(&id, _)| id).collect()
    }

    fn level(&self, used: f64) -> usize {
        match &self.discipline {
            Discipline::Mlfq(c) => doc_level(&c.quanta, used),
            _ => 0,
        }
    }
}

fn bad_discipline(n: u8) -> Discipline {
    match n {
        0 => Discipline::Mlfq(MlfqConfig {
            quanta: vec![],
            boost_interval: 1.0,
        }),
        1 => Discipline::Mlfq(MlfqConfig {
            quanta: vec![1.0; 17],
            boost_interval: 1.0,
        }),
        2 => Discipline::Mlfq(MlfqConfig {
            quanta: vec![1.0, 0.0],
            boost_interval: f64::NAN,
        }),
        _ => Discipline::Aging(AgingConfig { rate: -0.5 }),
    }
}

/// Applies `op` to the queue and the model. Returns whether the model expects success; the model
/// is only changed on success.
fn apply(q: &mut TaskQueue, m: &mut QueueModel, op: &QOp) -> (bool, bool) {
    match *op {
        QOp::Insert {
            id,
            item: (p, d, a),
            gap,
            stale_seq,
            bad,
        } => {
            let seq = match (stale_seq, m.last_seq) {
                (true, Some(last)) => last,
                (_, last) => last.map_or(gap, |l| l + 1 + gap),
            };
            let (d, a) = match bad {
                1 => (f64::NAN, a),
                2 => (d, -1.0),
                3 => (f64::INFINITY, a),
                _ => (d, a),
            };
            let item = QueueItem::new(p, d, a, seq);
            let ok =
                !m.tasks.contains_key(&id) && bad == 0 && m.last_seq.is_none_or(|last| seq > last);
            let got = q.insert(id, item).is_ok();
            if ok {
                m.tasks.insert(
                    id,
                    ModelTask {
                        item,
                        used: 0.0,
                        queued: true,
                    },
                );
                m.last_seq = Some(seq);
            }
            (ok, got)
        }
        QOp::Pop => {
            let want = m.order().first().copied();
            let got = q.pop();
            if let Some(id) = want {
                m.tasks.get_mut(&id).unwrap().queued = false;
            }
            (true, got == want)
        }
        QOp::Requeue(id) => {
            let ok = m.tasks.get(&id).is_some_and(|t| !t.queued);
            let got = q.requeue(id);
            if ok {
                m.tasks.get_mut(&id).unwrap().queued = true;
            } else if m.tasks.contains_key(&id) {
                assert_eq!(got, Err(duplicate(id)));
            } else {
                assert_eq!(got, Err(unknown(id)));
            }
            (ok, got.is_ok())
        }
        QOp::Remove(id) => {
            let want = m.tasks.remove(&id).map(|t| t.item);
            let got = q.remove(id);
            assert_eq!(got.as_ref().ok(), want.as_ref());
            (want.is_some(), got.is_ok())
        }
        QOp::ChangePriority(id, p) => {
            let ok = m.tasks.contains_key(&id);
            if let Some(t) = m.tasks.get_mut(&id) {
                t.item.priority = p;
            }
            (ok, q.change_priority(id, p).is_ok())
        }
        QOp::Charge(id, u) => {
            let ok = m.tasks.contains_key(&id) && u.is_finite() && u >= 0.0;
            if ok {
                m.tasks.get_mut(&id).unwrap().used += u;
            }
            (ok, q.charge(id, u).is_ok())
        }
        QOp::Advance(delta) => {
            let now = m.now + delta;
            let ok = now.is_finite() && now >= m.now;
            let got = q.advance(now);
            if ok {
                m.now = now;
                let mut boosted = false;
                if let Discipline::Mlfq(c) = &m.discipline {
                    if now >= m.last_boost + c.boost_interval {
                        m.last_boost +=
                            ((now - m.last_boost) / c.boost_interval).floor() * c.boost_interval;
                        for t in m.tasks.values_mut() {
                            t.used = 0.0;
                        }
                        boosted = true;
                    }
                }
                assert_eq!(got, Ok(boosted));
            } else if now.is_finite() && now >= 0.0 {
                assert_eq!(
                    got,
                    Err(Error::TimeWentBackwards {
                        now: m.now,
                        got: now
                    })
                );
            }
            (ok, got.is_ok())
        }
        QOp::SetDiscipline(ref d) => {
            if matches!(d, Discipline::Mlfq(_)) && !matches!(m.discipline, Discipline::Mlfq(_)) {
                m.last_boost = m.now;
            }
            m.discipline = d.clone();
            (true, q.set_discipline(d.clone()).is_ok())
        }
        QOp::BadDiscipline(n) => (false, q.set_discipline(bad_discipline(n)).is_ok()),
    }
}

fn json_round_trip(state: &QueueState) -> QueueState {
    let text = serde_json::to_string(state).unwrap();
    serde_json::from_str(&text).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn task_queue_agrees_with_model(d in discipline(), ops in prop::collection::vec(q_op(), 1..150)) {
        let mut q = TaskQueue::new(d.clone()).unwrap();
        let mut m = QueueModel { discipline: d, tasks: BTreeMap::new(), now: 0.0, last_boost: 0.0, last_seq: None };
        for op in &ops {
            let before = q.state();
            let (want, got) = apply(&mut q, &mut m, op);
            prop_assert_eq!(want, got, "{:?}", op);
            if !want {
                // A failed call leaves the queue exactly as it was.
                prop_assert_eq!(&q.state(), &before, "{:?}", op);
            }
            prop_assert_eq!(q.ordered_ids(), m.order());
            prop_assert_eq!(q.len(), m.tasks.values().filter(|t| t.queued).count());
            prop_assert_eq!(q.peek(), m.order().first().copied());
            for id in 0..17u32 {
                let t = m.tasks.get(&id);
                prop_assert_eq!(q.is_known(id), t.is_some());
                prop_assert_eq!(q.contains(id), t.is_some_and(|t| t.queued));
                prop_assert_eq!(q.item(id), t.map(|t| &t.item));
                prop_assert_eq!(q.used(id), t.map(|t| t.used));
                prop_assert_eq!(q.level(id), t.map(|t| m.level(t.used)));
            }
            let s = q.state();
            prop_assert_eq!(s.now, m.now);
            prop_assert_eq!(s.last_boost, m.last_boost);
        }
        // The snapshot survives JSON and restores the same queue.
        let state = q.state();
        prop_assert!(state.entries.windows(2).all(|w| w[0].id < w[1].id));
        let restored = TaskQueue::from_state(json_round_trip(&state)).unwrap();
        prop_assert_eq!(&restored.state(), &state);
        prop_assert_eq!(restored.ordered_ids(), q.ordered_ids());
        let mut a = q.clone();
        let mut b = restored;
        loop {
            let (x, y) = (a.pop(), b.pop());
            prop_assert_eq!(x, y);
            if x.is_none() {
                break;
            }
        }
    }

    /// Arbitrary snapshots never panic; a restored one is internally consistent.
    #[test]
    fn from_state_never_panics(
        d in prop_oneof![discipline(), (0..4u8).prop_map(bad_discipline)],
        now in prop::sample::select(vec![0.0, 5.0, -1.0, f64::NAN, f64::INFINITY]),
        last_boost in prop::sample::select(vec![0.0, 3.0, 10.0, -0.0, f64::NAN]),
        last_seq in prop::option::of(0..40u64),
        entries in prop::collection::vec(
            (0..30u32, -2..3i32, prop::sample::select(vec![0.0, 1.5, -1.0, f64::NAN]),
             prop::sample::select(vec![0.0, 2.0, f64::INFINITY]), 0..40u64,
             prop::sample::select(vec![0.0, 1.0, 4.0, -3.0]), any::<bool>()),
            0..20),
    ) {
        let state = QueueState {
            discipline: d,
            last_boost,
            now,
            last_seq,
            entries: entries
                .into_iter()
                .map(|(id, p, dur, arr, seq, used, queued)| QueueEntryState {
                    id,
                    item: QueueItem::new(p, dur, arr, seq),
                    used,
                    queued,
                })
                .collect(),
        };
        match TaskQueue::from_state(state.clone()) {
            Ok(q) => {
                let again = q.state();
                prop_assert_eq!(again.entries.len(), state.entries.len());
                prop_assert_eq!(q.len(), state.entries.iter().filter(|e| e.queued).count());
                prop_assert_eq!(TaskQueue::from_state(again.clone()).unwrap().state(), again);
            }
            Err(e) => prop_assert!(matches!(e, Error::InvalidSnapshot { .. }), "{e:?}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Scenarios.

fn mlfq() -> Discipline {
    Discipline::Mlfq(MlfqConfig {
        quanta: vec![2.0, 4.0],
        boost_interval: 100.0,
    })
}

#[test]
fn mlfq_demotes_past_the_first_quantum_and_boost_restores() {
    let mut q = TaskQueue::new(mlfq()).unwrap();
    // Task 0 has the highest priority and arrived first: it would pop first at level 0.
    q.insert(0, QueueItem::new(10, 1.0, 0.0, 0)).unwrap();
    for id in 1..4 {
        q.insert(id, QueueItem::new(0, 1.0, 1.0, u64::from(id)))
            .unwrap();
    }
    assert_eq!(q.pop(), Some(0));
    q.charge(0, 1.5).unwrap();
    q.requeue(0).unwrap();
    assert_eq!(q.level(0), Some(0));
    assert_eq!(q.peek(), Some(0));

    // Past quanta[0] = 2: level 1, behind every level-0 task despite its priority.
    q.charge(0, 1.0).unwrap();
    assert_eq!(q.level(0), Some(1));
    assert_eq!(q.ordered_ids(), vec![1, 2, 3, 0]);
    // Past quanta[0] + quanta[1] = 6: the last level, which never demotes further.
    q.charge(0, 100.0).unwrap();
    assert_eq!(q.level(0), Some(2));
    q.charge(2, 3.0).unwrap();
    assert_eq!(q.ordered_ids(), vec![1, 3, 2, 0]);

    // No boost before the interval has passed.
    assert!(!q.advance(99.0).unwrap());
    assert_eq!(q.ordered_ids(), vec![1, 3, 2, 0]);
    // The boost puts everyone back at level 0 with no consumed time.
    assert!(q.advance(100.0).unwrap());
    for id in 0..4 {
        assert_eq!(q.level(id), Some(0));
        assert_eq!(q.used(id), Some(0.0));
    }
    assert_eq!(q.ordered_ids(), vec![0, 1, 2, 3]);
}

#[test]
fn mlfq_boost_reaches_popped_tasks_too() {
    let mut q = TaskQueue::new(mlfq()).unwrap();
    q.insert(0, QueueItem::new(0, 1.0, 0.0, 0)).unwrap();
    q.insert(1, QueueItem::new(0, 1.0, 0.0, 1)).unwrap();
    assert_eq!(q.pop(), Some(0));
    q.charge(0, 10.0).unwrap();
    assert!(q.advance(250.0).unwrap());
    assert_eq!(q.state().last_boost, 200.0);
    q.requeue(0).unwrap();
    assert_eq!(q.level(0), Some(0));
    assert_eq!(q.ordered_ids(), vec![0, 1]);
}

#[test]
fn aging_low_priority_task_overtakes_after_the_crossing_time() {
    // Rate 0.5: task A (priority 0, arrival 0) against task B (priority 10, arrival t).
    // Effective priorities at any time `now`: A = 0 + 0.5 * now, B = 10 + 0.5 * (now - t).
    // A is ahead iff 0.5 * t > 10, i.e. t > 20: the crossing time is (10 - 0) / 0.5 = 20.
    let aging = Discipline::Aging(AgingConfig { rate: 0.5 });
    let run = |b_arrival: f64, b_duration: f64| {
        let mut q = TaskQueue::new(aging.clone()).unwrap();
        q.insert(7, QueueItem::new(0, 5.0, 0.0, 0)).unwrap(); // A
        q.insert(3, QueueItem::new(10, b_duration, b_arrival, 1))
            .unwrap(); // B
        q.ordered_ids()
    };
    assert_eq!(run(19.0, 5.0), vec![3, 7]); // B submitted before the crossing: B first
    assert_eq!(run(21.0, 5.0), vec![7, 3]); // after it: A has waited long enough
    // At exactly t = 20 they tie; the shorter duration wins, then the earlier seq.
    assert_eq!(run(20.0, 1.0), vec![3, 7]);
    assert_eq!(run(20.0, 5.0), vec![7, 3]);

    // No starvation: however many higher-priority tasks keep arriving, each one submitted after
    // time 20 queues behind A.
    let mut q = TaskQueue::new(aging).unwrap();
    q.insert(0, QueueItem::new(0, 5.0, 0.0, 0)).unwrap();
    for k in 1..=40u32 {
        q.insert(k, QueueItem::new(10, 1.0, f64::from(k), u64::from(k)))
            .unwrap();
    }
    let order = q.ordered_ids();
    let a = order.iter().position(|&id| id == 0).unwrap();
    assert_eq!(&order[..a], (1..=20).collect::<Vec<u32>>().as_slice());
}

#[test]
fn aging_rate_zero_is_priority_then_shorter() {
    let mut q = TaskQueue::new(Discipline::Aging(AgingConfig { rate: 0.0 })).unwrap();
    q.insert(0, QueueItem::new(1, 3.0, 0.0, 0)).unwrap();
    q.insert(1, QueueItem::new(2, 9.0, 50.0, 1)).unwrap();
    q.insert(2, QueueItem::new(1, 2.0, 99.0, 2)).unwrap();
    assert_eq!(q.ordered_ids(), vec![1, 2, 0]);
}

#[test]
fn set_discipline_reorders() {
    let mut q = TaskQueue::default();
    q.insert(0, QueueItem::new(5, 9.0, 0.0, 0)).unwrap();
    q.insert(1, QueueItem::new(1, 1.0, 0.0, 1)).unwrap();
    assert_eq!(q.ordered_ids(), vec![0, 1]);
    q.set_discipline(Discipline::ShortestJobFirst).unwrap();
    assert_eq!(q.ordered_ids(), vec![1, 0]);
    assert_eq!(q.discipline(), &Discipline::ShortestJobFirst);
}

#[test]
fn popped_task_keeps_its_place_in_line_when_requeued() {
    let mut q = TaskQueue::default();
    q.insert(0, QueueItem::new(0, 1.0, 0.0, 0)).unwrap();
    assert_eq!(q.pop(), Some(0));
    q.insert(1, QueueItem::new(0, 1.0, 1.0, 1)).unwrap();
    q.requeue(0).unwrap();
    assert_eq!(q.ordered_ids(), vec![0, 1]);
    assert_eq!(q.item(0).map(|i| i.seq), Some(0));
}

// ---------------------------------------------------------------------------------------------
// Error paths: each leaves the queue exactly as it was.

fn sample_queue(d: Discipline) -> TaskQueue {
    let mut q = TaskQueue::new(d).unwrap();
    q.insert(0, QueueItem::new(1, 2.0, 0.0, 0)).unwrap();
    q.insert(1, QueueItem::new(2, 1.0, 0.0, 1)).unwrap();
    q.insert(4, QueueItem::new(0, 3.0, 1.0, 5)).unwrap();
    // Task 1 is first under every discipline: highest priority, shortest, earliest.
    assert_eq!(q.pop(), Some(1));
    q.charge(1, 2.5).unwrap();
    q.advance(3.0).unwrap();
    q
}

#[track_caller]
fn assert_unchanged<T: std::fmt::Debug>(
    q: &mut TaskQueue,
    op: impl FnOnce(&mut TaskQueue) -> Result<T, Error>,
    want: impl FnOnce(&Error) -> bool,
) {
    let before = q.state();
    let order = q.ordered_ids();
    let err = op(q).expect_err("the call must fail");
    assert!(want(&err), "unexpected error {err:?}");
    assert_eq!(q.state(), before);
    assert_eq!(q.ordered_ids(), order);
}

#[test]
fn every_error_leaves_the_queue_unchanged() {
    for d in disciplines() {
        let q = &mut sample_queue(d);
        let item = |seq| QueueItem::new(0, 1.0, 1.0, seq);
        let entry = |id, reason| move |e: &Error| *e == Error::QueueEntry { id, reason };
        // insert: duplicate (queued and popped), bad times, seq not increasing
        assert_unchanged(q, |q| q.insert(0, item(9)), entry(0, "duplicate"));
        assert_unchanged(q, |q| q.insert(1, item(9)), entry(1, "duplicate"));
        assert_unchanged(
            q,
            |q| q.insert(2, QueueItem::new(0, f64::NAN, 0.0, 9)),
            |e| {
                matches!(
                    e,
                    Error::NotFinite {
                        field: "duration",
                        ..
                    }
                )
            },
        );
        assert_unchanged(
            q,
            |q| q.insert(2, QueueItem::new(0, 1.0, -1.0, 9)),
            |e| {
                matches!(
                    e,
                    Error::Negative {
                        field: "arrival",
                        ..
                    }
                )
            },
        );
        assert_unchanged(
            q,
            |q| q.insert(2, QueueItem::new(0, f64::INFINITY, 0.0, 9)),
            |e| matches!(e, Error::NotFinite { .. }),
        );
        assert_unchanged(q, |q| q.insert(2, item(5)), entry(2, "seq not increasing"));
        assert_unchanged(q, |q| q.insert(9, item(3)), entry(9, "seq not increasing"));
        // requeue: unknown, already queued
        assert_unchanged(q, |q| q.requeue(2), entry(2, "unknown"));
        assert_unchanged(q, |q| q.requeue(0), entry(0, "duplicate"));
        assert_unchanged(q, |q| q.requeue(u32::MAX), entry(u32::MAX, "unknown"));
        // remove, change_priority, charge: unknown
        assert_unchanged(q, |q| q.remove(3), entry(3, "unknown"));
        assert_unchanged(q, |q| q.change_priority(3, 1), entry(3, "unknown"));
        assert_unchanged(q, |q| q.charge(3, 1.0), entry(3, "unknown"));
        // charge: NaN, negative, infinite, overflowing total
        assert_unchanged(
            q,
            |q| q.charge(0, f64::NAN),
            |e| matches!(e, Error::NotFinite { field: "used", .. }),
        );
        assert_unchanged(
            q,
            |q| q.charge(0, -1.0),
            |e| matches!(e, Error::Negative { field: "used", .. }),
        );
        assert_unchanged(
            q,
            |q| q.charge(1, f64::INFINITY),
            |e| matches!(e, Error::NotFinite { .. }),
        );
        q.charge(4, f64::MAX).unwrap();
        assert_unchanged(
            q,
            |q| q.charge(4, f64::MAX),
            |e| matches!(e, Error::NotFinite { field: "used", .. }),
        );
        // advance: backwards, NaN, negative
        assert_unchanged(
            q,
            |q| q.advance(2.0),
            |e| *e == Error::TimeWentBackwards { now: 3.0, got: 2.0 },
        );
        assert_unchanged(
            q,
            |q| q.advance(f64::NAN),
            |e| matches!(e, Error::NotFinite { .. }),
        );
        assert_unchanged(
            q,
            |q| q.advance(-1.0),
            |e| matches!(e, Error::Negative { .. }),
        );
        // set_discipline: bad configurations
        for n in 0..4 {
            assert_unchanged(
                q,
                |q| q.set_discipline(bad_discipline(n)),
                |e| {
                    matches!(
                        e,
                        Error::InvalidConfig { .. }
                            | Error::NotFinite { .. }
                            | Error::Negative { .. }
                            | Error::NotPositive { .. }
                    )
                },
            );
        }
    }
}

#[test]
fn bad_configurations_are_rejected() {
    assert!(matches!(
        TaskQueue::new(bad_discipline(0)),
        Err(Error::InvalidConfig {
            field: "mlfq.quanta",
            ..
        })
    ));
    assert!(matches!(
        TaskQueue::new(bad_discipline(1)),
        Err(Error::InvalidConfig { .. })
    ));
    assert!(matches!(
        TaskQueue::new(bad_discipline(2)),
        Err(Error::NotPositive { .. })
    ));
    assert!(matches!(
        TaskQueue::new(Discipline::Mlfq(MlfqConfig {
            quanta: vec![1.0],
            boost_interval: 0.0,
        })),
        Err(Error::NotPositive {
            field: "mlfq.boost_interval",
            ..
        })
    ));
    assert!(matches!(
        TaskQueue::new(bad_discipline(3)),
        Err(Error::Negative {
            field: "aging.rate",
            ..
        })
    ));
}

#[test]
fn bad_snapshots_are_rejected() {
    let good = sample_queue(mlfq()).state();
    assert!(TaskQueue::from_state(good.clone()).is_ok());
    type Corruption = Box<dyn Fn(&mut QueueState)>;
    let cases: Vec<(&str, Corruption)> = vec![
        ("bad config", Box::new(|s| s.discipline = bad_discipline(0))),
        ("NaN now", Box::new(|s| s.now = f64::NAN)),
        ("negative now", Box::new(|s| s.now = -1.0)),
        ("boost after now", Box::new(|s| s.last_boost = s.now + 1.0)),
        ("NaN boost", Box::new(|s| s.last_boost = f64::NAN)),
        ("NaN used", Box::new(|s| s.entries[0].used = f64::NAN)),
        ("negative used", Box::new(|s| s.entries[0].used = -1.0)),
        (
            "NaN duration",
            Box::new(|s| s.entries[1].item.duration = f64::NAN),
        ),
        (
            "infinite arrival",
            Box::new(|s| s.entries[1].item.arrival = f64::INFINITY),
        ),
        (
            "duplicate id",
            Box::new(|s| s.entries[1].id = s.entries[0].id),
        ),
        (
            "duplicate seq",
            Box::new(|s| s.entries[1].item.seq = s.entries[0].item.seq),
        ),
        ("last_seq too small", Box::new(|s| s.last_seq = Some(1))),
        ("last_seq missing", Box::new(|s| s.last_seq = None)),
    ];
    for (name, corrupt) in cases {
        let mut s = good.clone();
        corrupt(&mut s);
        assert!(
            matches!(TaskQueue::from_state(s), Err(Error::InvalidSnapshot { .. })),
            "{name}"
        );
    }
    // Malformed JSON is a serde error, never a panic.
    assert!(serde_json::from_str::<QueueState>("{\"discipline\":\"nope\"}").is_err());
}

#[test]
fn snapshot_round_trip_through_json_keeps_pop_order() {
    for d in disciplines() {
        let mut q = sample_queue(d);
        q.requeue(1).unwrap();
        let text = serde_json::to_string(&q.state()).unwrap();
        let mut restored = TaskQueue::from_state(serde_json::from_str(&text).unwrap()).unwrap();
        assert_eq!(restored.state(), q.state());
        let a: Vec<u32> = std::iter::from_fn(|| q.pop()).collect();
        let b: Vec<u32> = std::iter::from_fn(|| restored.pop()).collect();
        assert_eq!(a, b);
        assert_eq!(a.len(), 3);
    }
}

#[test]
fn snapshot_json_shape() {
    let q = TaskQueue::new(Discipline::Aging(AgingConfig { rate: 0.25 })).unwrap();
    let v = serde_json::to_value(q.state()).unwrap();
    assert_eq!(v["discipline"]["aging"]["rate"], 0.25);
    let q = TaskQueue::default();
    let v = serde_json::to_value(q.state()).unwrap();
    assert_eq!(v["discipline"], "priority_fifo");
}
