//! Property tests of task graphs and CPM times against an independent longest-path checker.

use agentsched::dag::{Delays, TaskGraph, times, times_with};
use agentsched::{Error, TaskId};
use proptest::prelude::*;

/// A random DAG: `n` tasks inserted in a shuffled order (so that the index order is often not
/// topological) with edges that go forward along a hidden order.
type Tasks = Vec<(u32, f64)>;
type Edges = Vec<(u32, u32, f64)>;

fn dag_strategy() -> impl Strategy<Value = (Tasks, Edges)> {
    (1usize..40).prop_flat_map(|n| {
        let ids = Just((0..n as u32).collect::<Vec<_>>()).prop_shuffle();
        let durs = prop::collection::vec(0u32..20, n);
        let edges = prop::collection::vec((0..n, 0..n, 0u32..10), 0..n * 3);
        (ids, durs, edges).prop_map(move |(ids, durs, raw)| {
            // `ids[k]` is the k-th task of the hidden order; the insertion order is by id.
            let mut tasks: Vec<(u32, f64)> = ids
                .iter()
                .zip(&durs)
                .map(|(&id, &d)| (id, d as f64 * 0.5))
                .collect();
            tasks.sort_by_key(|t| t.0);
            let mut seen = std::collections::BTreeSet::new();
            let mut edges = Vec::new();
            for (a, b, w) in raw {
                let (a, b) = (a.min(b), a.max(b));
                if a != b && seen.insert((a, b)) {
                    edges.push((ids[a], ids[b], w as f64 * 0.25));
                }
            }
            (tasks, edges)
        })
    })
}

fn build(tasks: &[(u32, f64)], edges: &[(u32, u32, f64)]) -> TaskGraph {
    TaskGraph::from_parts(
        tasks.iter().map(|&(i, d)| (TaskId(i), d)),
        edges.iter().map(|&(u, v, w)| (TaskId(u), TaskId(v), w)),
    )
    .unwrap()
}

/// Longest paths by memoised recursion over the builder's own edge list: head(v) = the earliest
/// start, tail(v) = the longest path from v's start to the end.
struct Checker {
    head: Vec<f64>,
    tail: Vec<f64>,
    makespan: f64,
}

fn check(g: &TaskGraph, lag: bool) -> Checker {
    let n = g.task_count();
    let d: Vec<f64> = g.tasks().map(|t| t.duration).collect();
    let mut preds = vec![Vec::new(); n];
    let mut succs = vec![Vec::new(); n];
    for (u, v, w) in g.edges() {
        let w = if lag { w } else { 0.0 };
        preds[v].push((u, w));
        succs[u].push((v, w));
    }
    fn head(v: usize, p: &[Vec<(usize, f64)>], d: &[f64], memo: &mut [Option<f64>]) -> f64 {
        if let Some(x) = memo[v] {
            return x;
        }
        let x = p[v]
            .iter()
            .map(|&(u, w)| head(u, p, d, memo) + d[u] + w)
            .fold(0.0, f64::max);
        memo[v] = Some(x);
        x
    }
    fn tail(v: usize, s: &[Vec<(usize, f64)>], d: &[f64], memo: &mut [Option<f64>]) -> f64 {
        if let Some(x) = memo[v] {
            return x;
        }
        let x = d[v]
            + s[v]
                .iter()
                .map(|&(w, l)| l + tail(w, s, d, memo))
                .fold(0.0, f64::max);
        memo[v] = Some(x);
        x
    }
    let mut hm = vec![None; n];
    let mut tm = vec![None; n];
    let head: Vec<f64> = (0..n).map(|v| head(v, &preds, &d, &mut hm)).collect();
    let tail: Vec<f64> = (0..n).map(|v| tail(v, &succs, &d, &mut tm)).collect();
    let makespan = (0..n).map(|v| head[v] + d[v]).fold(0.0, f64::max);
    Checker {
        head,
        tail,
        makespan,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn times_match_an_independent_longest_path((tasks, edges) in dag_strategy(), lag in any::<bool>()) {
        let g = build(&tasks, &edges);
        let dag = g.freeze().unwrap();
        let delays = if lag { Delays::Data } else { Delays::None };
        let t = times(&dag, delays);
        let c = check(&g, lag);
        // Halves and quarters of small integers: every sum is exact in binary floating point.
        prop_assert_eq!(t.makespan, c.makespan);
        let d = dag.durations();
        #[allow(clippy::needless_range_loop)] // five arrays by the same index
        for v in 0..g.task_count() {
            prop_assert_eq!(t.est[v], c.head[v]);
            prop_assert_eq!(t.eft[v], c.head[v] + d[v]);
            prop_assert_eq!(t.lst[v], c.makespan - c.tail[v]);
            prop_assert_eq!(t.lft[v], c.makespan - c.tail[v] + d[v]);
            prop_assert!(t.slack(v) >= 0.0);
            prop_assert_eq!(t.is_critical(v), c.head[v] + c.tail[v] == c.makespan);
        }
        // The critical path: a chain of edges from an entry task to an exit task whose length is
        // the makespan, every task on it critical.
        let p = &t.critical_path;
        prop_assert!(!p.is_empty());
        prop_assert_eq!(dag.predecessors(p[0]).count(), 0);
        prop_assert_eq!(dag.successors(*p.last().unwrap()).count(), 0);
        let mut len = d[p[0]];
        for w in p.windows(2) {
            let data = g.edges().find(|&(u, v, _)| u == w[0] && v == w[1]).map(|e| e.2);
            prop_assert!(data.is_some(), "no edge {:?}", w);
            len += if lag { data.unwrap() } else { 0.0 } + d[w[1]];
        }
        prop_assert_eq!(len, t.makespan);
        prop_assert!(p.iter().all(|&v| t.is_critical(v)));
        // Same input, same output.
        prop_assert_eq!(&times(&build(&tasks, &edges).freeze().unwrap(), delays), &t);
        // Other durations through `times_with` agree with the checker on a rebuilt graph.
        let doubled: Vec<f64> = d.iter().map(|x| x * 2.0).collect();
        let t2 = times_with(&dag, &doubled, delays).unwrap();
        let g2 = build(&tasks.iter().map(|&(i, x)| (i, x * 2.0)).collect::<Vec<_>>(), &edges);
        prop_assert_eq!(t2.makespan, check(&g2, lag).makespan);
    }

    #[test]
    fn topological_order_respects_every_edge((tasks, edges) in dag_strategy()) {
        let g = build(&tasks, &edges);
        let dag = g.freeze().unwrap();
        let order: Vec<usize> = dag.topological_order().collect();
        let mut sorted = order.clone();
        sorted.sort_unstable();
        prop_assert_eq!(sorted, (0..g.task_count()).collect::<Vec<_>>());
        for (u, v, _) in g.edges() {
            prop_assert!(dag.position(u) < dag.position(v));
        }
        prop_assert_eq!(dag.edge_count(), g.edge_count());
    }

    #[test]
    fn a_back_edge_is_a_cycle_naming_a_task_on_it(
        (tasks, edges) in dag_strategy(),
        pick in any::<prop::sample::Index>(),
    ) {
        prop_assume!(!edges.is_empty());
        let mut g = build(&tasks, &edges);
        // Close a cycle: from the end of a path back to its start (a path of one edge at least).
        let (a, b, _) = edges[pick.index(edges.len())];
        let before = (g.task_count(), g.edge_count());
        match g.add_edge(TaskId(b), TaskId(a), 1.0) {
            Ok(()) => {}
            Err(e) => prop_assert!(false, "{e}"),
        }
        prop_assert_eq!(g.edge_count(), before.1 + 1);
        let err = g.freeze().unwrap_err();
        let Error::Cycle { task } = err else {
            return Err(TestCaseError::fail(format!("{err:?}")));
        };
        // `task` reaches itself.
        let n = g.task_count();
        let start = g.index_of(task).unwrap();
        let mut seen = vec![false; n];
        let mut stack: Vec<usize> = g.edges().filter(|e| e.0 == start).map(|e| e.1).collect();
        let mut back = false;
        while let Some(v) = stack.pop() {
            if v == start {
                back = true;
                break;
            }
            if !std::mem::replace(&mut seen[v], true) {
                stack.extend(g.edges().filter(|e| e.0 == v).map(|e| e.1));
            }
        }
        prop_assert!(back, "{} is not on a cycle", task);
    }
}
