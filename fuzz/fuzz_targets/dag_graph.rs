//! Arbitrary bytes as a sequence of graph-building operations: add a task (any id, any duration
//! including NaN, negative and infinite), add an edge (any ends, any data, self-loops, repeats,
//! cycles), freeze and analyse. Checked against a shadow model kept here:
//! - an insertion succeeds exactly when the model says it should, and a failed one changes no
//!   count;
//! - freezing succeeds exactly when the model's own DFS finds no cycle, and a cycle error names
//!   a task that reaches itself;
//! - `times` in both delay modes equals a recomputation here (est, eft, lst, lft), est >= 0,
//!   slack >= -tol, the makespan is the largest eft and the critical path is a chain of edges
//!   from a source to a task finishing at the makespan;
//! - a list schedule built from the bytes validates; a perturbed copy validates exactly when a
//!   naive O(n^2) checker here accepts it; the critical path and the Gantt chart of any valid
//!   schedule are consistent with it.
#![no_main]

use agentsched::dag::{
    Binding, Delays, Platform, Schedule, Slot, TaskGraph, gantt_svg, schedule_critical_path, times,
    validate,
};
use agentsched::{Error, TaskId};
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeSet;

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn u8(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }

    /// A number that exercises the checks: special values by table, or any bit pattern.
    fn f64(&mut self) -> f64 {
        const TABLE: [f64; 15] = [
            0.0,
            -0.0,
            1.0,
            2.5,
            0.5,
            7.0,
            1e-300,
            1e300,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -1.0,
            f64::MIN_POSITIVE,
            3.0,
            1e9,
        ];
        match self.u8() {
            Some(b) if (b as usize) < TABLE.len() => TABLE[b as usize],
            Some(255) => {
                let mut x = [0u8; 8];
                for v in &mut x {
                    *v = self.u8().unwrap_or(0);
                }
                f64::from_le_bytes(x)
            }
            Some(b) => f64::from(b) / 8.0,
            None => 1.0,
        }
    }
}

const IDS: u8 = 24;

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes(data);
    let mut g = TaskGraph::new();
    // The shadow model: ids by index, durations, edges by index.
    let mut ids: Vec<u32> = Vec::new();
    let mut dur: Vec<f64> = Vec::new();
    let mut edges: Vec<(usize, usize, f64)> = Vec::new();
    let mut pairs: BTreeSet<(usize, usize)> = BTreeSet::new();
    let mut analyses = 0;
    while let Some(op) = b.u8() {
        match op % 4 {
            0 => {
                let id = b.u8().unwrap_or(0) % IDS;
                let d = b.f64();
                let want = d.is_finite() && d >= 0.0 && !ids.contains(&u32::from(id));
                let r = g.add_task(TaskId(u32::from(id)), d);
                assert_eq!(r.is_ok(), want, "add_task({id}, {d}) = {r:?}");
                if let Ok(i) = r {
                    assert_eq!(i, ids.len());
                    ids.push(u32::from(id));
                    dur.push(d);
                }
            }
            1 | 2 => {
                // Ids past IDS are unknown on purpose.
                let from = b.u8().unwrap_or(0) % (IDS + 2);
                let to = b.u8().unwrap_or(0) % (IDS + 2);
                let d = b.f64();
                let u = ids.iter().position(|&i| i == u32::from(from));
                let v = ids.iter().position(|&i| i == u32::from(to));
                let want = match (u, v) {
                    (Some(u), Some(v)) => {
                        u != v && d.is_finite() && d >= 0.0 && !pairs.contains(&(u, v))
                    }
                    _ => false,
                };
                let r = g.add_edge(TaskId(u32::from(from)), TaskId(u32::from(to)), d);
                assert_eq!(r.is_ok(), want, "add_edge({from}, {to}, {d}) = {r:?}");
                if let (Ok(()), Some(u), Some(v)) = (&r, u, v) {
                    edges.push((u, v, d));
                    pairs.insert((u, v));
                }
                if let Err(Error::SelfLoop { task }) = r {
                    assert_eq!(task, TaskId(u32::from(from)));
                }
            }
            // A few analyses per input keep the target fast; the final one always runs.
            _ if analyses < 3 => {
                analyses += 1;
                analyse(&g, &ids, &dur, &edges, &mut b, false);
            }
            _ => {}
        }
        assert_eq!((g.task_count(), g.edge_count()), (ids.len(), edges.len()));
    }
    analyse(&g, &ids, &dur, &edges, &mut b, true);
});

/// Whether `t` reaches itself along `edges`.
fn on_cycle(n: usize, edges: &[(usize, usize, f64)], t: usize) -> bool {
    let mut seen = vec![false; n];
    let mut stack: Vec<usize> = edges.iter().filter(|e| e.0 == t).map(|e| e.1).collect();
    while let Some(v) = stack.pop() {
        if v == t {
            return true;
        }
        if !std::mem::replace(&mut seen[v], true) {
            stack.extend(edges.iter().filter(|e| e.0 == v).map(|e| e.1));
        }
    }
    false
}

/// A topological order by DFS (reverse postorder), or `None` on a cycle.
fn dfs_order(n: usize, edges: &[(usize, usize, f64)]) -> Option<Vec<usize>> {
    let mut succ = vec![Vec::new(); n];
    for &(u, v, _) in edges {
        succ[u].push(v);
    }
    // 0 new, 1 on the stack, 2 done.
    let mut state = vec![0u8; n];
    let mut post = Vec::with_capacity(n);
    for root in 0..n {
        if state[root] != 0 {
            continue;
        }
        let mut stack = vec![(root, 0usize)];
        state[root] = 1;
        while let Some(&mut (v, ref mut k)) = stack.last_mut() {
            if let Some(&w) = succ[v].get(*k) {
                *k += 1;
                match state[w] {
                    0 => {
                        state[w] = 1;
                        stack.push((w, 0));
                    }
                    1 => return None,
                    _ => {}
                }
            } else {
                state[v] = 2;
                post.push(v);
                stack.pop();
            }
        }
    }
    post.reverse();
    Some(post)
}

fn analyse(
    g: &TaskGraph,
    ids: &[u32],
    dur: &[f64],
    edges: &[(usize, usize, f64)],
    b: &mut Bytes<'_>,
    draw: bool,
) {
    let n = ids.len();
    let order = dfs_order(n, edges);
    // Same summation order as the library: durations by index, then data by edge.
    let total: f64 = dur.iter().sum::<f64>() + edges.iter().map(|e| e.2).sum::<f64>();
    let dag = match (g.freeze(), &order) {
        (Ok(dag), Some(_)) if total.is_finite() => dag,
        (Err(Error::NotFinite { .. }), Some(_)) if !total.is_finite() => return,
        (Err(Error::Cycle { task }), None) => {
            let t = ids
                .iter()
                .position(|&i| TaskId(i) == task)
                .expect("a known task");
            assert!(on_cycle(n, edges, t), "{task} is not on a cycle");
            return;
        }
        (r, o) => panic!(
            "freeze = {:?}, DFS order = {o:?}",
            r.map(|d| d.task_count())
        ),
    };
    let order = order.unwrap_or_default();
    assert_eq!(
        dag.ids(),
        &ids.iter().map(|&i| TaskId(i)).collect::<Vec<_>>()[..]
    );
    assert_eq!(dag.edge_count(), edges.len());
    let pos: Vec<usize> = {
        let mut p = vec![0; n];
        for (k, t) in dag.topological_order().enumerate() {
            p[t] = k;
        }
        p
    };
    for &(u, v, _) in edges {
        assert!(pos[u] < pos[v]);
    }

    // Freeze refused every graph whose total work overflows.
    {
        for delays in [Delays::None, Delays::Data] {
            let w = |d: f64| if delays == Delays::Data { d } else { 0.0 };
            let t = times(&dag, delays);
            let mut est = vec![0.0f64; n];
            let mut eft = vec![0.0f64; n];
            for &v in &order {
                for &(a, c, d) in edges {
                    if c == v {
                        est[v] = est[v].max(eft[a] + w(d));
                    }
                }
                eft[v] = est[v] + dur[v];
            }
            let makespan = eft.iter().copied().fold(0.0, f64::max);
            let mut lft = vec![makespan; n];
            for &v in order.iter().rev() {
                for &(a, c, d) in edges {
                    if a == v {
                        lft[v] = lft[v].min(lft[c] - dur[c] - w(d));
                    }
                }
            }
            assert_eq!(t.est, est);
            assert_eq!(t.eft, eft);
            assert_eq!(t.makespan, makespan);
            assert_eq!(t.lft, lft);
            let tol = t.tolerance();
            for i in 0..n {
                assert!(t.est[i] >= 0.0 && t.eft[i] <= t.makespan);
                assert!(t.slack(i) >= -tol, "slack {} of task {i}", t.slack(i));
            }
            let path = &t.critical_path;
            assert_eq!(path.is_empty(), n == 0);
            if let (Some(&first), Some(&last)) = (path.first(), path.last()) {
                assert_eq!(t.est[first], 0.0);
                assert_eq!(t.eft[last], t.makespan);
                for k in 1..path.len() {
                    let (u, v) = (path[k - 1], path[k]);
                    let d = edges
                        .iter()
                        .find(|e| e.0 == u && e.1 == v)
                        .expect("an edge")
                        .2;
                    assert_eq!(t.eft[u] + w(d), t.est[v]);
                }
            }
        }
    }

    // A platform and a list schedule from the bytes.
    let m = 1 + usize::from(b.u8().unwrap_or(0) % 3);
    const SPEEDS: [f64; 4] = [1.0, 0.5, 2.0, 3.0];
    const LINKS: [f64; 4] = [1.0, 0.25, 4.0, 1e-3];
    let speeds: Vec<f64> = (0..m)
        .map(|_| SPEEDS[usize::from(b.u8().unwrap_or(0)) % 4])
        .collect();
    let mut links = vec![0.0; m * m];
    for p in 0..m {
        for q in p + 1..m {
            let l = LINKS[usize::from(b.u8().unwrap_or(0)) % 4];
            links[p * m + q] = l;
            links[q * m + p] = l;
        }
    }
    let platform = Platform::related(speeds.clone(), links.clone()).expect("a valid platform");
    let mut slots = vec![
        Slot {
            agent: 0,
            start: 0.0,
            finish: 0.0
        };
        n
    ];
    let mut free = vec![0.0f64; m];
    for &v in &order {
        let p = usize::from(b.u8().unwrap_or(0)) % m;
        let mut ready = free[p];
        for &(a, c, d) in edges {
            if c == v {
                let comm = if slots[a].agent == p {
                    0.0
                } else {
                    d / links[slots[a].agent * m + p]
                };
                ready = ready.max(slots[a].finish + comm);
            }
        }
        let finish = ready + dur[v] / speeds[p];
        slots[v] = Slot {
            agent: p,
            start: ready,
            finish,
        };
        free[p] = finish;
    }
    let makespan = slots.iter().map(|s| s.finish).fold(0.0, f64::max);
    let schedule = Schedule { slots, makespan };
    if !makespan.is_finite() {
        assert!(validate(&dag, &platform, &schedule).is_err());
        return;
    }
    assert_eq!(validate(&dag, &platform, &schedule), Ok(makespan));
    check_explained(&dag, &platform, &schedule, n, draw);

    // One slot perturbed by the bytes: the validator agrees with the naive checker.
    if n > 0 {
        let mut bad = schedule.clone();
        let t = usize::from(b.u8().unwrap_or(0)) % n;
        match b.u8().unwrap_or(0) % 4 {
            0 => bad.slots[t].agent = usize::from(b.u8().unwrap_or(0)) % (m + 1),
            1 => bad.slots[t].start += b.f64(),
            2 => bad.slots[t].finish = b.f64(),
            _ => {
                let shift = b.f64();
                bad.slots[t].start += shift;
                bad.slots[t].finish += shift;
            }
        }
        bad.makespan = if b.u8().unwrap_or(0) % 4 == 0 {
            b.f64()
        } else {
            bad.slots.iter().map(|s| s.finish).fold(0.0, f64::max)
        };
        let naive = naive_valid(&bad, dur, edges, &speeds, &links, m);
        let r = validate(&dag, &platform, &bad);
        assert_eq!(r.is_ok(), naive, "validate = {r:?}, naive = {naive}");
        if naive {
            check_explained(&dag, &platform, &bad, n, false);
        }
    }
}

/// The validator's rules, pair by pair.
fn naive_valid(
    s: &Schedule,
    dur: &[f64],
    edges: &[(usize, usize, f64)],
    speeds: &[f64],
    links: &[f64],
    m: usize,
) -> bool {
    let sl = &s.slots;
    if sl.iter().any(|x| {
        x.agent >= m
            || !x.start.is_finite()
            || x.start < 0.0
            || !x.finish.is_finite()
            || x.finish < x.start
    }) {
        return false;
    }
    let makespan = sl.iter().map(|x| x.finish).fold(0.0, f64::max);
    let tol = 1e-9 * makespan.max(1.0);
    for (t, x) in sl.iter().enumerate() {
        if (x.finish - (x.start + dur[t] / speeds[x.agent])).abs() > tol {
            return false;
        }
    }
    for &(u, v, d) in edges {
        let (a, c) = (sl[u], sl[v]);
        let comm = if a.agent == c.agent {
            0.0
        } else {
            d / links[a.agent * m + c.agent]
        };
        if c.start < a.finish + comm - tol {
            return false;
        }
    }
    let key = |i: usize| (sl[i].start, sl[i].finish, i);
    let before = |i: usize, j: usize| {
        let (a, b) = (key(i), key(j));
        a.0.total_cmp(&b.0)
            .then(a.1.total_cmp(&b.1))
            .then(a.2.cmp(&b.2))
            .is_lt()
    };
    for i in 0..sl.len() {
        for j in 0..sl.len() {
            let (a, c) = (sl[i], sl[j]);
            if i != j
                && a.agent == c.agent
                && a.finish - a.start > tol
                && c.finish - c.start > tol
                && before(i, j)
                && c.start < a.finish - tol
            {
                return false;
            }
        }
    }
    sl.is_empty() || (s.makespan - makespan).abs() <= tol
}

/// The critical path of a valid schedule is a chain of binding constraints ending at the
/// makespan; the chart (when `draw`) has one bar per task.
fn check_explained(dag: &agentsched::dag::Dag, p: &Platform, s: &Schedule, n: usize, draw: bool) {
    let path = schedule_critical_path(dag, p, s).expect("a valid schedule");
    let makespan = s.slots.iter().map(|x| x.finish).fold(0.0, f64::max);
    let tol = 1e-9 * makespan.max(1.0);
    assert_eq!(path.is_empty(), n == 0);
    let mut seen = BTreeSet::new();
    for (k, step) in path.iter().enumerate() {
        assert!(seen.insert(step.task));
        match step.binding {
            Binding::Start => assert!(k == 0 && step.start <= tol),
            // Near-equal only when the binding task is already on the chain (zero-length tasks).
            Binding::Unbound { ready } => assert!(k == 0 && step.start >= ready - tol),
            Binding::Data { from, arrival, .. } => {
                assert_eq!(path[k - 1].task, from);
                assert!((arrival - step.start).abs() <= tol);
            }
            Binding::Agent { previous } => {
                assert_eq!(path[k - 1].task, previous);
                assert!((s.slots[previous].finish - step.start).abs() <= tol);
            }
        }
    }
    if let Some(last) = path.last() {
        assert_eq!(last.finish, makespan);
    }
    if draw {
        let svg = gantt_svg(dag, p, s, &Default::default()).expect("a valid schedule");
        assert_eq!(
            svg.matches("<g class=\"task\" id=").count()
                + svg.matches("<g class=\"task critical\" id=").count(),
            n
        );
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
    }
}
