//! The `dag` instance reader: every malformed field is an error naming it, a cycle names a task
//! on it, FORMAT's example reads, and writing then reading gives the same instance back.

use agentsched::dag::instance::{parse_dag, write_dag};
use agentsched::dag::{Exec, Platform, TaskGraph};
use agentsched::{Error, TaskId};
use proptest::prelude::*;

/// FORMAT.md's example, copied (tests do not read ../shared).
const FORMAT_EXAMPLE: &str = r#"{ "format": "agentsched-bench/1", "kind": "dag", "name": "cycles-20-0",
  "machines": [{"speed": 1.0}, {"speed": 2.5}],
  "links": [[0.0, 1.0], [1.0, 0.0]],
  "tasks": [{"cost": 10.0}, {"cost": 4.0}, {"cost": 6.0}],
  "edges": [{"from": 0, "to": 1, "data": 3.0}, {"from": 0, "to": 2, "data": 1.0}] }"#;

fn field_of(text: &str) -> String {
    match parse_dag(text) {
        Err(Error::InvalidInstance { field, .. }) => field,
        other => panic!("expected InvalidInstance for {text}, got {other:?}"),
    }
}

/// An instance from its parts as JSON fragments.
fn inst(machines: &str, links: &str, tasks: &str, edges: &str) -> String {
    format!(
        r#"{{"format":"agentsched-bench/1","kind":"dag","name":"x","machines":{machines},
            "links":{links},"tasks":{tasks},"edges":{edges}}}"#
    )
}

#[test]
fn each_bad_field_is_named() {
    let m2 = r#"[{"speed":1},{"speed":2}]"#;
    let l2 = "[[0,1],[1,0]]";
    let t3 = r#"[{"cost":1},{"cost":2},{"cost":3}]"#;
    let e = |edges: &str| inst(m2, l2, t3, edges);
    let cases: Vec<(String, &str)> = vec![
        ("not json".into(), ""),
        ("[1, 2]".into(), ""),
        // A number JSON cannot hold as f64 is malformed JSON for serde_json.
        (inst(m2, l2, r#"[{"cost":1e999}]"#, "[]"), ""),
        (r#"{"kind":"dag","name":"x"}"#.into(), "format"),
        (
            r#"{"format":"agentsched-bench/2","kind":"dag"}"#.into(),
            "format",
        ),
        (
            r#"{"format":"agentsched-bench/1","kind":"etc","name":"x"}"#.into(),
            "kind",
        ),
        (
            r#"{"format":"agentsched-bench/1","kind":3,"name":"x"}"#.into(),
            "kind",
        ),
        (
            r#"{"format":"agentsched-bench/1","name":"x"}"#.into(),
            "kind",
        ),
        (
            r#"{"format":"agentsched-bench/1","kind":"dag"}"#.into(),
            "name",
        ),
        (
            r#"{"format":"agentsched-bench/1","kind":"dag","name":7}"#.into(),
            "name",
        ),
        (
            r#"{"format":"agentsched-bench/1","kind":"dag","name":"x"}"#.into(),
            "machines",
        ),
        (inst("2", l2, t3, "[]"), "machines"),
        (inst("[]", "[]", t3, "[]"), "machines"),
        (inst(r#"[{"speed":1},3]"#, l2, t3, "[]"), "machines[1]"),
        (
            inst(r#"[{"speed":1},{}]"#, l2, t3, "[]"),
            "machines[1].speed",
        ),
        (
            inst(r#"[{"speed":0},{"speed":1}]"#, l2, t3, "[]"),
            "machines[0].speed",
        ),
        (
            inst(r#"[{"speed":-1},{"speed":1}]"#, l2, t3, "[]"),
            "machines[0].speed",
        ),
        (
            inst(r#"[{"speed":"inf"},{"speed":1}]"#, l2, t3, "[]"),
            "machines[0].speed",
        ),
        (
            inst(r#"[{"speed":"1"},{"speed":1}]"#, l2, t3, "[]"),
            "machines[0].speed",
        ),
        (inst(m2, "{}", t3, "[]"), "links"),
        (inst(m2, "[[0,1]]", t3, "[]"), "links"),
        (inst(m2, "[[0,1],3]", t3, "[]"), "links[1]"),
        (inst(m2, "[[0,1],[1]]", t3, "[]"), "links[1]"),
        (inst(m2, "[[0,0],[1,0]]", t3, "[]"), "links[0][1]"),
        (
            inst(m2, r#"[[0,"inf"],["inf",0]]"#, t3, "[]"),
            "links[0][1]",
        ),
        (inst(m2, "[[-1,1],[1,0]]", t3, "[]"), "links[0][0]"),
        (inst(m2, "[[0,1],[2,0]]", t3, "[]"), "links[1][0]"),
        (inst(m2, l2, "{}", "[]"), "tasks"),
        (inst(m2, l2, r#"[{"cost":1},[]]"#, "[]"), "tasks[1]"),
        (
            inst(m2, l2, r#"[{"cost":1},{"time":1}]"#, "[]"),
            "tasks[1].cost",
        ),
        (inst(m2, l2, r#"[{"cost":-0.5}]"#, "[]"), "tasks[0].cost"),
        (inst(m2, l2, r#"[{"cost":null}]"#, "[]"), "tasks[0].cost"),
        (
            format!(
                r#"{{"format":"agentsched-bench/1","kind":"dag","name":"x","machines":{m2},
                "links":{l2},"tasks":{t3}}}"#
            ),
            "edges",
        ),
        (e("{}"), "edges"),
        (e("[1]"), "edges[0]"),
        (e(r#"[{"to":1,"data":0}]"#), "edges[0].from"),
        (e(r#"[{"from":-1,"to":1,"data":0}]"#), "edges[0].from"),
        (e(r#"[{"from":0.5,"to":1,"data":0}]"#), "edges[0].from"),
        (
            e(r#"[{"from":0,"to":1,"data":0},{"from":0,"to":3,"data":0}]"#),
            "edges[1].to",
        ),
        (e(r#"[{"from":0,"to":"1","data":0}]"#), "edges[0].to"),
        (e(r#"[{"from":0,"to":1}]"#), "edges[0].data"),
        (e(r#"[{"from":0,"to":1,"data":-2}]"#), "edges[0].data"),
        (e(r#"[{"from":0,"to":1,"data":"inf"}]"#), "edges[0].data"),
        (
            e(r#"[{"from":0,"to":1,"data":1},{"from":2,"to":2,"data":1}]"#),
            "edges[1]",
        ),
        (
            e(r#"[{"from":0,"to":1,"data":1},{"from":0,"to":1,"data":2}]"#),
            "edges[1]",
        ),
    ];
    for (text, field) in &cases {
        assert_eq!(field_of(text), *field, "{text}");
        // The message names the field too.
        let msg = parse_dag(text).unwrap_err().to_string();
        assert!(msg.contains(&format!("`{field}`")), "{msg}");
    }
}

#[test]
fn inf_is_rejected_with_a_hint() {
    let text = inst(
        r#"[{"speed":1},{"speed":1}]"#,
        r#"[[0,"inf"],["inf",0]]"#,
        "[]",
        "[]",
    );
    let msg = parse_dag(&text).unwrap_err().to_string();
    assert!(msg.contains("very large finite number"), "{msg}");
}

#[test]
fn a_cycle_names_a_task_on_it() {
    // 0 -> 1 -> 2 -> 3 -> 1, 3 -> 4: the cycle is {1, 2, 3}, named by its lowest task.
    let text = inst(
        r#"[{"speed":1}]"#,
        "[[0]]",
        r#"[{"cost":1},{"cost":1},{"cost":1},{"cost":1},{"cost":1}]"#,
        r#"[{"from":0,"to":1,"data":0},{"from":1,"to":2,"data":0},{"from":2,"to":3,"data":0},
            {"from":3,"to":1,"data":0},{"from":3,"to":4,"data":0}]"#,
    );
    assert_eq!(
        parse_dag(&text).unwrap_err(),
        Error::Cycle { task: TaskId(1) }
    );
    // A two-cycle far from task 0.
    let text = inst(
        r#"[{"speed":1}]"#,
        "[[0]]",
        r#"[{"cost":1},{"cost":1},{"cost":1},{"cost":1}]"#,
        r#"[{"from":0,"to":1,"data":0},{"from":3,"to":2,"data":0},{"from":2,"to":3,"data":0}]"#,
    );
    assert_eq!(
        parse_dag(&text).unwrap_err(),
        Error::Cycle { task: TaskId(2) }
    );
}

#[test]
fn the_format_example_reads() {
    let i = parse_dag(FORMAT_EXAMPLE).unwrap();
    assert_eq!(i.name, "cycles-20-0");
    assert_eq!(i.dag.task_count(), 3);
    assert_eq!(i.dag.ids(), &[TaskId(0), TaskId(1), TaskId(2)]);
    assert_eq!(
        i.dag.edges().collect::<Vec<_>>(),
        vec![(0, 1, 3.0), (0, 2, 1.0)]
    );
    assert_eq!(i.platform.agents(), 2);
    // FORMAT's rules: cost / speed, data / link, nothing on the same machine.
    assert_eq!(i.platform.exec_time(&i.dag, 0, 1), 10.0 / 2.5);
    assert_eq!(i.platform.exec_time(&i.dag, 2, 0), 6.0);
    assert_eq!(i.platform.comm_time(3.0, 0, 1), 3.0);
    assert_eq!(i.platform.comm_time(3.0, 1, 1), 0.0);
    assert_eq!(
        i.platform.exec(),
        &Exec::Related {
            speeds: vec![1.0, 2.5]
        }
    );
}

#[test]
fn the_vendored_instance_reads() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/testdata/dag/topcuoglu-related.json"
    ))
    .unwrap();
    let i = parse_dag(&text).unwrap();
    assert_eq!((i.dag.task_count(), i.dag.edge_count()), (10, 15));
    assert_eq!(i.dag.sources(), vec![0]);
    assert_eq!(i.dag.sinks(), vec![9]);
    assert_eq!(i.platform.agents(), 3);
}

#[test]
fn extra_fields_are_ignored_and_negative_zero_is_zero() {
    let text = r#"{"format":"agentsched-bench/1","kind":"dag","name":"x","comment":"hi",
        "machines":[{"speed":1,"label":"a"}],"links":[[-0.0]],
        "tasks":[{"cost":-0.0,"kind":"llm"}],"edges":[]}"#;
    let i = parse_dag(text).unwrap();
    assert_eq!(i.dag.durations()[0].to_bits(), 0.0f64.to_bits());
    assert_eq!(i.platform.links()[0].to_bits(), 0.0f64.to_bits());
}

/// `(costs, edges (from, to, data), speeds, row-major links)`.
type Parts = (Vec<f64>, Vec<(u32, u32, f64)>, Vec<f64>, Vec<f64>);

/// A random related instance: `n` tasks, edges from lower to higher or higher to lower index
/// (both, so that index order is not always topological), symmetric links.
fn instance() -> impl Strategy<Value = Parts> {
    (1usize..5, 0usize..12).prop_flat_map(|(m, n)| {
        let costs = prop::collection::vec(0.0f64..100.0, n);
        let perm = Just((0..n as u32).rev().collect::<Vec<_>>()).prop_shuffle();
        let pairs = prop::collection::btree_set((0..n.max(1) as u32, 0..n.max(1) as u32), 0..20);
        let data = prop::collection::vec(0.0f64..50.0, 20);
        let speeds = prop::collection::vec(0.1f64..10.0, m);
        let upper = prop::collection::vec(0.1f64..10.0, m * m);
        (costs, perm, pairs, data, speeds, upper).prop_map(
            move |(costs, perm, pairs, data, speeds, upper)| {
                // Orient each pair along a random permutation: acyclic by construction.
                let mut rank = vec![0u32; n];
                for (r, &t) in perm.iter().enumerate() {
                    rank[t as usize] = r as u32;
                }
                let mut edges = Vec::new();
                let mut seen = std::collections::BTreeSet::new();
                for (k, (a, b)) in pairs.into_iter().enumerate() {
                    if n == 0 || a == b {
                        continue;
                    }
                    let (u, v) = if rank[a as usize] < rank[b as usize] {
                        (a, b)
                    } else {
                        (b, a)
                    };
                    if seen.insert((u, v)) {
                        edges.push((u, v, data[k % data.len()]));
                    }
                }
                let mut links = vec![0.0; m * m];
                for p in 0..m {
                    for q in p + 1..m {
                        links[p * m + q] = upper[p * m + q];
                        links[q * m + p] = upper[p * m + q];
                    }
                }
                (costs, edges, speeds, links)
            },
        )
    })
}

proptest! {
    #[test]
    fn write_then_parse_gives_the_instance_back((costs, edges, speeds, links) in instance()) {
        let g = TaskGraph::from_parts(
            costs.iter().enumerate().map(|(i, &c)| (TaskId(i as u32), c)),
            edges.iter().map(|&(u, v, d)| (TaskId(u), TaskId(v), d)),
        ).unwrap();
        let dag = g.freeze().unwrap();
        let p = Platform::related(speeds.clone(), links.clone()).unwrap();
        let text = write_dag("rt \"quoted\" \u{1}", &dag, &p).unwrap();
        let back = parse_dag(&text).unwrap();
        prop_assert_eq!(&back.name, "rt \"quoted\" \u{1}");
        prop_assert_eq!(back.dag.durations(), &costs[..]);
        let want: Vec<(usize, usize, f64)> =
            edges.iter().map(|&(u, v, d)| (u as usize, v as usize, d)).collect();
        prop_assert_eq!(back.dag.edges().collect::<Vec<_>>(), want);
        prop_assert_eq!(&back.platform, &p);
        // Writing again gives the same bytes.
        prop_assert_eq!(write_dag("rt \"quoted\" \u{1}", &back.dag, &back.platform).unwrap(), text);
    }
}
