//! Schedule critical paths and Gantt charts.
//!
//! - The critical path of a schedule, on random graphs and schedules built here (a list
//!   scheduler with random agents and optional idle delays): every step is checked from first
//!   principles (an edge of the graph whose data arrives at the start, recomputed from the link
//!   strengths, or the previous task of the agent ending at the start), and when the chain starts
//!   at 0 its execution and transfer times add up to the makespan.
//! - The chart is well-formed XML (checked by Python's parser and by a tag-balance check here),
//!   with one bar per task, the critical tasks (and only they) highlighted, one hatched wait per
//!   communication wait, text escaped, narrow bars without a label, and the same bytes every time.

use agentsched::dag::explain::{Binding, communication_waits, schedule_critical_path};
use agentsched::dag::gantt::{GanttOptions, gantt_svg};
use agentsched::dag::{Dag, Platform, Schedule, Slot, TaskGraph, parse_dag, validate};
use agentsched::{Error, TaskId};
use proptest::prelude::*;
use std::process::Command;

/// Tasks in topological order, each on `agent_of(t)`, started `delay(t)` after it could start
/// (its data and its agent ready), appended after the agent's last task.
fn list_schedule(
    dag: &Dag,
    platform: &Platform,
    agent_of: impl Fn(usize) -> usize,
    delay: impl Fn(usize) -> f64,
) -> Schedule {
    let n = dag.task_count();
    let mut slots = vec![
        Slot {
            agent: 0,
            start: 0.0,
            finish: 0.0
        };
        n
    ];
    let mut free = vec![0.0f64; platform.agents()];
    for t in dag.topological_order() {
        let p = agent_of(t);
        let mut ready = free[p];
        for (u, d) in dag.predecessors(t) {
            ready = ready.max(slots[u].finish + platform.comm_time(d, slots[u].agent, p));
        }
        let start = ready + delay(t);
        let finish = start + platform.exec_time(dag, t, p);
        slots[t] = Slot {
            agent: p,
            start,
            finish,
        };
        free[p] = finish;
    }
    let makespan = slots.iter().map(|s| s.finish).fold(0.0, f64::max);
    Schedule { slots, makespan }
}

/// Earliest finish over all agents, lowest agent on ties.
fn eft_schedule(dag: &Dag, platform: &Platform) -> Schedule {
    let n = dag.task_count();
    let mut slots = vec![
        Slot {
            agent: 0,
            start: 0.0,
            finish: 0.0
        };
        n
    ];
    let mut free = vec![0.0f64; platform.agents()];
    for t in dag.topological_order() {
        let mut best: Option<Slot> = None;
        for (p, &f) in free.iter().enumerate() {
            let mut ready = f;
            for (u, d) in dag.predecessors(t) {
                ready = ready.max(slots[u].finish + platform.comm_time(d, slots[u].agent, p));
            }
            let finish = ready + platform.exec_time(dag, t, p);
            if best.is_none_or(|b| finish < b.finish) {
                best = Some(Slot {
                    agent: p,
                    start: ready,
                    finish,
                });
            }
        }
        let s = best.unwrap();
        free[s.agent] = s.finish;
        slots[t] = s;
    }
    let makespan = slots.iter().map(|s| s.finish).fold(0.0, f64::max);
    Schedule { slots, makespan }
}

fn vendored() -> (Dag, Platform, Schedule) {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/testdata/dag/topcuoglu-related.json"
    ))
    .unwrap();
    let i = parse_dag(&text).unwrap();
    let s = eft_schedule(&i.dag, &i.platform);
    (i.dag, i.platform, s)
}

// ---------------------------------------------------------------------------------------------
// The critical path of a schedule
// ---------------------------------------------------------------------------------------------

/// Checks every step of the schedule's critical path against the schedule itself; returns the
/// sum of execution and transfer times along the chain.
fn check_chain(dag: &Dag, p: &Platform, links: &[f64], s: &Schedule) -> f64 {
    let path = schedule_critical_path(dag, p, s).unwrap();
    let tol = 1e-9 * s.makespan.max(1.0);
    if dag.task_count() == 0 {
        assert!(path.is_empty());
        return 0.0;
    }
    let m = p.agents();
    let last = path.last().unwrap();
    assert!((last.finish - s.makespan).abs() <= tol);
    // The last task is the lowest index among those finishing last.
    let first_last = (0..dag.task_count())
        .find(|&t| s.slots[t].finish == s.makespan)
        .unwrap();
    assert_eq!(last.task, first_last);
    let mut total = 0.0;
    let mut seen = std::collections::BTreeSet::new();
    for (k, step) in path.iter().enumerate() {
        assert!(seen.insert(step.task), "task {} twice", step.task);
        let slot = s.slots[step.task];
        assert_eq!(
            (step.agent, step.start, step.finish),
            (slot.agent, slot.start, slot.finish)
        );
        total += slot.finish - slot.start;
        match step.binding {
            Binding::Start => {
                assert_eq!(k, 0);
                assert!(slot.start <= tol);
            }
            Binding::Unbound { ready } => {
                assert_eq!(k, 0);
                // Strictly later, unless the binding task is already on the chain (which takes
                // zero-length tasks at one instant).
                assert!(slot.start >= ready - tol);
            }
            Binding::Data {
                from,
                arrival,
                comm,
            } => {
                assert!(k > 0);
                assert_eq!(path[k - 1].task, from);
                let data = dag
                    .edges()
                    .find(|&(u, v, _)| u == from && v == step.task)
                    .expect("a data binding follows an edge")
                    .2;
                let (a, b) = (s.slots[from].agent, slot.agent);
                let want = if a == b { 0.0 } else { data / links[a * m + b] };
                assert_eq!(comm, want);
                assert_eq!(arrival, s.slots[from].finish + want);
                assert!((arrival - slot.start).abs() <= tol);
                total += comm;
            }
            Binding::Agent { previous } => {
                assert!(k > 0);
                assert_eq!(path[k - 1].task, previous);
                assert_eq!(s.slots[previous].agent, slot.agent);
                assert!((s.slots[previous].finish - slot.start).abs() <= tol);
            }
        }
    }
    total
}

fn graph() -> impl Strategy<Value = (Vec<f64>, Vec<(u32, u32, f64)>)> {
    (0usize..14).prop_flat_map(|n| {
        let costs = prop::collection::vec(prop_oneof![Just(0.0), Just(2.0), 0.5f64..20.0], n);
        let pairs = prop::collection::btree_set((0..n.max(1) as u32, 0..n.max(1) as u32), 0..30);
        let data = prop::collection::vec(prop_oneof![Just(0.0), 0.0f64..30.0], 30);
        (costs, pairs, data).prop_map(|(costs, pairs, data)| {
            let edges = pairs
                .into_iter()
                .enumerate()
                .filter(|(_, (a, b))| a < b)
                .map(|(k, (a, b))| (a, b, data[k]))
                .collect();
            (costs, edges)
        })
    })
}

fn platform(m: usize, strengths: &[f64], speeds: &[f64]) -> (Platform, Vec<f64>) {
    let mut links = vec![0.0; m * m];
    for p in 0..m {
        for q in 0..m {
            if p != q {
                links[p * m + q] = strengths[(p.min(q) * m + p.max(q)) % strengths.len()];
            }
        }
    }
    (
        Platform::related(speeds[..m].to_vec(), links.clone()).unwrap(),
        links,
    )
}

proptest! {
    #[test]
    fn the_critical_path_of_a_list_schedule_adds_up_to_its_makespan(
        (costs, edges) in graph(),
        m in 1usize..4,
        strengths in prop::collection::vec(prop_oneof![Just(1.0), 0.5f64..4.0], 9),
        speeds in prop::collection::vec(prop_oneof![Just(1.0), 0.5f64..3.0], 3),
        agents in prop::collection::vec(0usize..3, 14),
    ) {
        let dag = TaskGraph::from_parts(
            costs.iter().enumerate().map(|(i, &c)| (TaskId(i as u32), c)),
            edges.iter().map(|&(u, v, d)| (TaskId(u), TaskId(v), d)),
        ).unwrap().freeze().unwrap();
        let (p, links) = platform(m, &strengths, &speeds);
        let s = list_schedule(&dag, &p, |t| agents[t] % m, |_| 0.0);
        prop_assert_eq!(validate(&dag, &p, &s), Ok(s.makespan));
        let total = check_chain(&dag, &p, &links, &s);
        // No idle time: the chain starts at 0 and accounts for the whole makespan.
        let path = schedule_critical_path(&dag, &p, &s).unwrap();
        if let Some(first) = path.first() {
            prop_assert_eq!(first.binding, Binding::Start);
        }
        prop_assert!((total - s.makespan).abs() <= 1e-9 * s.makespan.max(1.0) * (1 + path.len()) as f64);
    }

    #[test]
    fn idle_gaps_are_reported_where_the_chain_starts(
        (costs, edges) in graph(),
        m in 1usize..4,
        agents in prop::collection::vec(0usize..3, 14),
        delays in prop::collection::vec(prop_oneof![3 => Just(0.0), 1 => 0.5f64..5.0], 14),
    ) {
        let dag = TaskGraph::from_parts(
            costs.iter().enumerate().map(|(i, &c)| (TaskId(i as u32), c)),
            edges.iter().map(|&(u, v, d)| (TaskId(u), TaskId(v), d)),
        ).unwrap().freeze().unwrap();
        let (p, links) = platform(m, &[1.5, 2.0, 0.5], &[1.0, 2.0, 0.5]);
        let s = list_schedule(&dag, &p, |t| agents[t] % m, |t| delays[t]);
        let total = check_chain(&dag, &p, &links, &s);
        let path = schedule_critical_path(&dag, &p, &s).unwrap();
        if let Some(first) = path.first() {
            // The chain covers the makespan from its first start on.
            prop_assert!((first.start + total - s.makespan).abs() <= 1e-9 * s.makespan.max(1.0) * (1 + path.len()) as f64);
        }
        // Every wait is a stretch where the agent was free and every predecessor done, but
        // some data had not arrived.
        for w in communication_waits(&dag, &p, &s).unwrap() {
            let slot = s.slots[w.task];
            prop_assert!(w.start < w.end && w.end <= slot.start);
            for (u, _) in dag.predecessors(w.task) {
                prop_assert!(s.slots[u].finish <= w.start);
            }
            for (t, o) in s.slots.iter().enumerate() {
                if t != w.task && o.agent == slot.agent && o.finish > o.start {
                    prop_assert!(o.finish <= w.start || o.start >= slot.finish);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The chart
// ---------------------------------------------------------------------------------------------

/// Every tag closed in order, attributes quoted, `&` only in entities, `<` never in text.
fn well_formed(svg: &str) {
    let body = svg
        .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        .expect("XML declaration");
    let mut stack: Vec<&str> = Vec::new();
    let mut rest = body;
    while let Some(open) = rest.find('<') {
        let text = &rest[..open];
        check_text(text);
        let close = rest[open..].find('>').expect("unclosed tag") + open;
        let tag = &rest[open + 1..close];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop(), Some(name), "mismatched </{name}>");
        } else {
            let self_closing = tag.ends_with('/');
            let tag = tag.trim_end_matches('/');
            let name = tag.split_whitespace().next().expect("tag name");
            let mut attrs = &tag[name.len()..];
            while !attrs.trim().is_empty() {
                let eq = attrs.find("=\"").expect("attribute with a quoted value");
                let end = attrs[eq + 2..].find('"').expect("closing quote") + eq + 2;
                check_text(&attrs[eq + 2..end]);
                attrs = &attrs[end + 1..];
            }
            if !self_closing {
                stack.push(name);
            }
        }
        rest = &rest[close + 1..];
    }
    assert!(stack.is_empty(), "unclosed {stack:?}");
    assert!(rest.trim().is_empty());
}

fn check_text(text: &str) {
    assert!(!text.contains('<') && !text.contains('>'), "{text}");
    for (i, _) in text.match_indices('&') {
        let ent = &text[i..];
        assert!(
            ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                .iter()
                .any(|e| ent.starts_with(e)),
            "bare & in {text}"
        );
    }
    assert!(
        !text
            .chars()
            .any(|c| (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r'))
    );
}

/// Python's XML parser on the chart: `(bars, critical task indices, waits, texts of titles)`.
/// `None` when python3 is missing.
fn python_summary(svg: &str) -> Option<(usize, Vec<usize>, usize, Vec<String>)> {
    let dir = std::env::temp_dir().join(format!("agentsched-gantt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{:016x}.svg", fxhash(svg)));
    std::fs::write(&file, svg).unwrap();
    let script = r#"
import json, sys, xml.etree.ElementTree as ET
ns = "{http://www.w3.org/2000/svg}"
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == ns + "svg" and root.get("version") == "1.1"
bars = [g for g in root.iter(ns + "g") if g.get("class", "").split()[:1] == ["task"]]
for g in bars:
    assert g.find(ns + "rect") is not None and g.find(ns + "title") is not None
crit = sorted(int(g.get("id")[5:]) for g in bars if "critical" in g.get("class").split())
waits = [r for r in root.iter(ns + "rect") if r.get("class") == "wait"]
titles = [g.find(ns + "title").text for g in bars]
print(json.dumps([len(bars), crit, len(waits), titles]))
"#;
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&file)
        .output()
        .ok()?;
    let _ = std::fs::remove_file(&file);
    assert!(
        out.status.success(),
        "python3: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    Some((
        v[0].as_u64().unwrap() as usize,
        v[1].as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as usize)
            .collect(),
        v[2].as_u64().unwrap() as usize,
        v[3].as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap().to_string())
            .collect(),
    ))
}

fn fxhash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    })
}

#[test]
fn the_chart_of_the_vendored_instance() {
    let (dag, p, s) = vendored();
    let svg = gantt_svg(&dag, &p, &s, &GanttOptions::default()).unwrap();
    well_formed(&svg);
    let path = schedule_critical_path(&dag, &p, &s).unwrap();
    let mut crit: Vec<usize> = path.iter().map(|s| s.task).collect();
    crit.sort_unstable();
    let waits = communication_waits(&dag, &p, &s).unwrap();
    assert!(!waits.is_empty() && path.len() >= 3);
    // Counted on the text as well, for machines without python3.
    assert_eq!(
        svg.matches("<g class=\"task\" id=").count()
            + svg.matches("<g class=\"task critical\" id=").count(),
        10
    );
    assert_eq!(
        svg.matches("<g class=\"task critical\"").count(),
        path.len()
    );
    for &t in &crit {
        assert!(svg.contains(&format!("<g class=\"task critical\" id=\"task-{t}\">")));
    }
    assert_eq!(svg.matches("<rect class=\"wait\"").count(), waits.len());
    for needle in [
        ">critical path<",
        ">communication wait<",
        ">data transfer<",
        ">time<",
    ] {
        assert!(svg.contains(needle), "legend/axis: {needle}");
    }
    // No external resources: no script, stylesheet, image or link other than local fragments.
    for banned in [
        "<script",
        "<style",
        "<image",
        "href",
        "@import",
        "<foreignObject",
    ] {
        assert!(!svg.contains(banned), "{banned}");
    }
    assert!(!svg.replace("url(#", "").contains("url("));
    if let Some((bars, py_crit, py_waits, titles)) = python_summary(&svg) {
        assert_eq!((bars, py_crit, py_waits), (10, crit, waits.len()));
        for (t, title) in titles.iter().enumerate() {
            let sl = s.slots[t];
            assert!(
                title.starts_with(&format!(
                    "task {} on agent {}: {} to {}",
                    dag.id(t).0,
                    sl.agent,
                    sl.start,
                    sl.finish
                )),
                "{title}"
            );
        }
    } else {
        eprintln!("python3 not found: XML checked by the built-in tag-balance check only");
    }
    // Same input, same bytes.
    let again = gantt_svg(
        &dag.clone(),
        &p.clone(),
        &s.clone(),
        &GanttOptions::default(),
    )
    .unwrap();
    assert_eq!(svg, again);
}

#[test]
fn text_is_escaped_and_narrow_bars_have_no_label() {
    let dag = TaskGraph::from_parts(
        [
            (TaskId(100), 1000.0),
            (TaskId(12345), 0.001),
            (TaskId(7), 0.0),
        ],
        [(TaskId(100), TaskId(12345), 0.0)],
    )
    .unwrap()
    .freeze()
    .unwrap();
    let p = Platform::related(vec![1.0, 1.0], Platform::unit_links(2)).unwrap();
    let slot = |agent, start, finish| Slot {
        agent,
        start,
        finish,
    };
    let s = Schedule {
        slots: vec![
            slot(0, 0.0, 1000.0),
            slot(0, 1000.0, 1000.001),
            slot(1, 3.0, 3.0),
        ],
        makespan: 1000.001,
    };
    let opts = GanttOptions {
        title: Some("<b>&\"quotes\" 'and' \u{7}bell</b>".into()),
        agent_labels: vec!["gpu <0>".into(), "cpu & co".into()],
        ..GanttOptions::default()
    };
    let svg = gantt_svg(&dag, &p, &s, &opts).unwrap();
    well_formed(&svg);
    assert!(svg.contains("&lt;b&gt;&amp;&quot;quotes&quot; &apos;and&apos; \u{FFFD}bell"));
    assert!(svg.contains(">gpu &lt;0&gt;<") && svg.contains(">cpu &amp; co<"));
    // The long bar is labelled, the 0.001-wide and the zero-length ones only have tooltips.
    assert!(svg.contains(">100</text>"));
    assert!(!svg.contains(">12345</text>") && !svg.contains(">7</text>"));
    assert!(
        svg.contains("<title>task 12345 on cpu &amp; co")
            || svg.contains("<title>task 12345 on gpu &lt;0&gt;")
    );
    if let Some((bars, crit, _, titles)) = python_summary(&svg) {
        assert_eq!((bars, crit), (3, vec![0, 1]));
        assert!(
            titles[2].starts_with("task 7 on cpu & co: 3 to 3"),
            "{}",
            titles[2]
        );
    }
}

#[test]
fn bad_options_and_schedules_are_errors() {
    let (dag, p, s) = vendored();
    let with = |o: GanttOptions| gantt_svg(&dag, &p, &s, &o).unwrap_err();
    assert!(matches!(
        with(GanttOptions {
            width: 100.0,
            ..GanttOptions::default()
        }),
        Error::InvalidConfig { field: "width", .. }
    ));
    assert!(matches!(
        with(GanttOptions {
            row_height: f64::NAN,
            ..GanttOptions::default()
        }),
        Error::InvalidConfig {
            field: "row_height",
            ..
        }
    ));
    assert!(matches!(
        with(GanttOptions {
            agent_labels: vec!["one".into()],
            ..GanttOptions::default()
        }),
        Error::DimensionMismatch {
            field: "agent_labels",
            ..
        }
    ));
    let mut late = s.clone();
    late.slots[9].start -= 1.0;
    assert!(matches!(
        gantt_svg(&dag, &p, &late, &GanttOptions::default()),
        Err(Error::InvalidSchedule { .. })
    ));
}

#[test]
fn charts_of_odd_schedules_are_well_formed() {
    // No task; one zero-length task (makespan 0); a huge makespan.
    let p = Platform::related(vec![1.0], vec![0.0]).unwrap();
    let empty = TaskGraph::new().freeze().unwrap();
    let s = Schedule {
        slots: vec![],
        makespan: 0.0,
    };
    well_formed(&gantt_svg(&empty, &p, &s, &GanttOptions::default()).unwrap());
    let one = TaskGraph::from_parts([(TaskId(1), 0.0)], [])
        .unwrap()
        .freeze()
        .unwrap();
    let s = Schedule {
        slots: vec![Slot {
            agent: 0,
            start: 0.0,
            finish: 0.0,
        }],
        makespan: 0.0,
    };
    let svg = gantt_svg(&one, &p, &s, &GanttOptions::default()).unwrap();
    well_formed(&svg);
    assert_eq!(svg.matches("<g class=\"task critical\"").count(), 1);
    let big = TaskGraph::from_parts([(TaskId(1), 3e300)], [])
        .unwrap()
        .freeze()
        .unwrap();
    let s = Schedule {
        slots: vec![Slot {
            agent: 0,
            start: 1e300,
            finish: 4e300,
        }],
        makespan: 4e300,
    };
    let svg = gantt_svg(&big, &p, &s, &GanttOptions::default()).unwrap();
    well_formed(&svg);
    assert!(!svg.contains("NaN") && !svg.contains("inf"));
}

#[test]
fn long_agent_labels_on_a_narrow_chart_keep_every_width_positive() {
    let dag = TaskGraph::from_parts([(TaskId(0), 5.0)], [])
        .unwrap()
        .freeze()
        .unwrap();
    let p = Platform::related(vec![1.0], Platform::unit_links(1)).unwrap();
    let s = Schedule {
        slots: vec![Slot {
            agent: 0,
            start: 0.0,
            finish: 5.0,
        }],
        makespan: 5.0,
    };
    let options = GanttOptions {
        width: 320.0,
        agent_labels: vec!["x".repeat(40)],
        ..GanttOptions::default()
    };
    let svg = gantt_svg(&dag, &p, &s, &options).unwrap();
    let widths: Vec<f64> = svg
        .split(" width=\"")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].parse().unwrap())
        .collect();
    assert!(!widths.is_empty());
    assert!(widths.iter().all(|&w| w >= 0.0), "{widths:?}");
}
