//! Reading and writing task-graph instances in the `agentsched-bench/1` format (kind `dag`): every
//! field is checked, and a bad one is an error naming it, never a panic.
//!
//! The kind `dag` is the related-machines model of the HEFT family: task `t` runs
//! `tasks[t].cost / machines[p].speed` on machine `p`, and edge `e` moves its `data` from `p` to
//! `q != p` in `edges[e].data / links[p][q]` (nothing moves on the same machine). Task `t` of the
//! file becomes `TaskId(t)`, at task index `t` of the [`Dag`]; machine `p` is agent `p` of the
//! [`Platform`].
//!
//! # Example: read, schedule, check
//! ```
//! use agentsched::dag::instance::parse_dag;
//! use agentsched::dag::{Schedule, Slot, validate};
//!
//! let i = parse_dag(r#"{"format":"agentsched-bench/1","kind":"dag","name":"pair",
//!     "machines":[{"speed":1.0},{"speed":2.0}],"links":[[0,4],[4,0]],
//!     "tasks":[{"cost":4},{"cost":2}],"edges":[{"from":0,"to":1,"data":8}]}"#)?;
//! assert_eq!((i.name.as_str(), i.dag.task_count(), i.platform.agents()), ("pair", 2, 2));
//! // Task 0 on the fast machine (2 units), 8 / 4 = 2 units of transfer, task 1 on machine 0.
//! let s = Schedule {
//!     slots: vec![Slot { agent: 1, start: 0.0, finish: 2.0 }, Slot { agent: 0, start: 4.0, finish: 6.0 }],
//!     makespan: 6.0,
//! };
//! assert_eq!(validate(&i.dag, &i.platform, &s)?, 6.0);
//! # Ok::<(), agentsched::Error>(())
//! ```

use super::graph::{Dag, TaskGraph};
use super::platform::{Exec, Platform};
use crate::{Error, Result, TaskId};
use serde_json::{Map, Value, json};

/// The most machines an instance may declare (the `links` matrix has the square of it).
pub const MAX_MACHINES: usize = 1 << 12;

/// A `dag` instance: its name, graph and machines.
#[derive(Debug, Clone)]
pub struct DagInstance {
    /// The instance's `name`.
    pub name: String,
    /// The task graph; task `t` of the file is `TaskId(t)` at index `t`.
    pub dag: Dag,
    /// The machines: [`Exec::Related`] with the file's speeds, and its links.
    pub platform: Platform,
}

fn bad(field: impl Into<String>, reason: impl Into<String>) -> Error {
    Error::InvalidInstance {
        field: field.into(),
        reason: reason.into(),
    }
}

/// A finite number `>= 0` (or `> 0` when `positive`), with a reason naming `"inf"` strings, the
/// one non-number FORMAT mentions.
fn number(v: Option<&Value>, field: impl Fn() -> String, positive: bool) -> Result<f64> {
    let want = if positive {
        "must be a finite number > 0"
    } else {
        "must be a finite number >= 0"
    };
    match v {
        None => Err(bad(field(), "missing")),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("inf") => Err(bad(
            field(),
            format!("\"{s}\" is not allowed: {want} (use a very large finite number)"),
        )),
        Some(v) => v
            .as_f64()
            .filter(|x| x.is_finite() && (*x > 0.0 || (!positive && *x >= 0.0)))
            // `+ 0.0` turns -0.0 into 0.0, as everywhere numbers enter the crate.
            .map(|x| x + 0.0)
            .ok_or_else(|| bad(field(), want)),
    }
}

/// A task index of an edge end.
fn endpoint(e: &Map<String, Value>, k: usize, end: &str, tasks: usize) -> Result<usize> {
    let field = || format!("edges[{k}].{end}");
    let v = e.get(end).ok_or_else(|| bad(field(), "missing"))?;
    let i = v
        .as_u64()
        .ok_or_else(|| bad(field(), "must be a task index (an integer >= 0)"))?;
    usize::try_from(i)
        .ok()
        .filter(|&i| i < tasks)
        .ok_or_else(|| bad(field(), format!("task {i} does not exist ({tasks} tasks)")))
}

fn array<'a>(obj: &'a Map<String, Value>, field: &str, what: &str) -> Result<&'a Vec<Value>> {
    match obj.get(field) {
        Some(Value::Array(a)) => Ok(a),
        Some(_) => Err(bad(field, format!("must be an array of {what}"))),
        None => Err(bad(field, "missing")),
    }
}

fn object<'a>(
    v: &'a Value,
    field: impl Fn() -> String,
    what: &str,
) -> Result<&'a Map<String, Value>> {
    v.as_object()
        .ok_or_else(|| bad(field(), format!("must be an object {what}")))
}

/// Parses an `agentsched-bench/1` instance of kind `dag` (see `../shared/bench/FORMAT.md`).
///
/// # Arguments
/// - `text`: the file's contents.
///
/// # Returns
/// The [`DagInstance`]: task `t` of the file is `TaskId(t)` at task index `t`; machine `p` is
/// agent `p` of an [`Exec::Related`] platform. Fields other than those of FORMAT are ignored.
///
/// # Complexity
/// O(size of the text) time and space (the graph is frozen in O(V log V + E)).
///
/// # Errors
/// - [`Error::InvalidInstance`] naming the field: an empty field for malformed JSON or a value
///   that is not an object; `format`, `kind`, `name`; `machines` (missing, not an array, empty,
///   over [`MAX_MACHINES`]), `machines[p]`, `machines[p].speed` (finite, > 0); `links`, `links[p]`
///   (a row of the wrong length), `links[p][q]` (finite, >= 0 on the diagonal and > 0 off it,
///   not `"inf"`; an asymmetric pair is reported at the entry below the diagonal, `p > q`);
///   `tasks`, `tasks[t]`, `tasks[t].cost` (finite, >= 0); `edges`, `edges[e]`, `edges[e].from`,
///   `edges[e].to` (an existing task index), `edges[e].data` (finite, >= 0), and `edges[e]` for
///   a self-loop or a repeated pair.
/// - [`Error::Cycle`] when the graph has a cycle, naming the lowest task on it (`TaskId(t)` for
///   task `t` of the file). A cycle is a property of the whole edge list, not of one field, so it
///   keeps the variant every graph of the crate reports it with (the C ABI and `solve` tell it
///   apart by that variant).
/// - [`Error::NotFinite`] (`sum of durations and data`) when the costs and data add up past
///   `f64::MAX` (see [`TaskGraph::freeze`](super::TaskGraph::freeze)).
///
/// # Example: a named field
/// ```
/// use agentsched::dag::instance::parse_dag;
/// use agentsched::Error;
/// let e = parse_dag(r#"{"format":"agentsched-bench/1","kind":"dag","name":"x",
///     "machines":[{"speed":1}],"links":[[0]],"tasks":[{"cost":1}],
///     "edges":[{"from":0,"to":3,"data":1}]}"#).unwrap_err();
/// assert!(matches!(e, Error::InvalidInstance { ref field, .. } if field == "edges[0].to"));
/// ```
pub fn parse_dag(text: &str) -> Result<DagInstance> {
    let v: Value = serde_json::from_str(text).map_err(|e| bad("", format!("invalid JSON: {e}")))?;
    let obj = v
        .as_object()
        .ok_or_else(|| bad("", "the file must hold one JSON object"))?;
    match obj.get("format") {
        Some(Value::String(f)) if f == "agentsched-bench/1" => {}
        Some(_) => return Err(bad("format", "must be \"agentsched-bench/1\"")),
        None => return Err(bad("format", "missing")),
    }
    match obj.get("kind") {
        Some(Value::String(k)) if k == "dag" => {}
        Some(Value::String(k)) => {
            return Err(bad(
                "kind",
                format!("`{k}` is not supported here (expected \"dag\")"),
            ));
        }
        Some(_) => return Err(bad("kind", "must be a string")),
        None => return Err(bad("kind", "missing")),
    }
    let name = match obj.get("name") {
        Some(Value::String(n)) => n.clone(),
        Some(_) => return Err(bad("name", "must be a string")),
        None => return Err(bad("name", "missing")),
    };

    let machines = array(obj, "machines", "objects {\"speed\": number}")?;
    if machines.is_empty() {
        return Err(bad("machines", "at least one machine is needed"));
    }
    if machines.len() > MAX_MACHINES {
        return Err(bad(
            "machines",
            format!(
                "{} machines; at most {MAX_MACHINES} are supported",
                machines.len()
            ),
        ));
    }
    let m = machines.len();
    let mut speeds = Vec::with_capacity(m);
    for (p, mach) in machines.iter().enumerate() {
        let mach = object(mach, || format!("machines[{p}]"), "{\"speed\": number}")?;
        speeds.push(number(
            mach.get("speed"),
            || format!("machines[{p}].speed"),
            true,
        )?);
    }

    let rows = array(obj, "links", "rows (one per machine)")?;
    if rows.len() != m {
        return Err(bad(
            "links",
            format!("has {} rows, there are {m} machines", rows.len()),
        ));
    }
    let mut links = Vec::with_capacity(m * m);
    for (p, row) in rows.iter().enumerate() {
        let row = row
            .as_array()
            .ok_or_else(|| bad(format!("links[{p}]"), "must be an array"))?;
        if row.len() != m {
            return Err(bad(
                format!("links[{p}]"),
                format!("has {} entries, there are {m} machines", row.len()),
            ));
        }
        for (q, x) in row.iter().enumerate() {
            let x = number(Some(x), || format!("links[{p}][{q}]"), p != q)?;
            // Row p > q is read after row q, so the upper triangle is already in `links`.
            if q < p && links[q * m + p] != x {
                return Err(bad(
                    format!("links[{p}][{q}]"),
                    format!(
                        "is {x} but links[{q}][{p}] is {}: links must be symmetric",
                        links[q * m + p]
                    ),
                ));
            }
            links.push(x);
        }
    }

    let tasks = array(obj, "tasks", "objects {\"cost\": number}")?;
    let n = tasks.len();
    if n >= u32::MAX as usize {
        return Err(bad("tasks", "too many tasks"));
    }
    let edges = array(obj, "edges", "objects {\"from\", \"to\", \"data\"}")?;
    let mut g = TaskGraph::with_capacity(n, edges.len());
    for (t, task) in tasks.iter().enumerate() {
        let task = object(task, || format!("tasks[{t}]"), "{\"cost\": number}")?;
        let cost = number(task.get("cost"), || format!("tasks[{t}].cost"), false)?;
        g.add_task(TaskId(t as u32), cost)
            .map_err(|e| bad(format!("tasks[{t}]"), e.to_string()))?;
    }
    for (k, e) in edges.iter().enumerate() {
        let e = object(
            e,
            || format!("edges[{k}]"),
            "{\"from\": task, \"to\": task, \"data\": number}",
        )?;
        let from = endpoint(e, k, "from", n)?;
        let to = endpoint(e, k, "to", n)?;
        let data = number(e.get("data"), || format!("edges[{k}].data"), false)?;
        g.add_edge(TaskId(from as u32), TaskId(to as u32), data)
            .map_err(|err| match err {
                Error::SelfLoop { .. } => {
                    bad(format!("edges[{k}]"), format!("a self-loop on task {from}"))
                }
                Error::DuplicateEdge { .. } => bad(
                    format!("edges[{k}]"),
                    format!("a second edge from task {from} to task {to}"),
                ),
                other => bad(format!("edges[{k}]"), other.to_string()),
            })?;
    }
    let dag = g.freeze()?;
    let platform = Platform::related(speeds, links)?;
    Ok(DagInstance {
        name,
        dag,
        platform,
    })
}

/// Writes `dag` on `platform` as an `agentsched-bench/1` instance of kind `dag` named `name`:
/// task index `t` becomes task `t` of the file, agent `p` machine `p`, edges in insertion order.
///
/// `parse_dag(&write_dag(name, dag, platform)?)` gives back the same tasks (by index), edges,
/// speeds and links, with task ids renumbered `TaskId(0..n)`.
///
/// # Complexity
/// O(V + E + agents^2).
///
/// # Errors
/// [`Error::InvalidConfig`] (`exec`) for an [`Exec::Matrix`] platform (the format describes
/// related machines only); [`Error::InvalidConfig`] (`links`) for asymmetric links, which the
/// format cannot hold.
///
/// # Example: a round trip
/// ```
/// use agentsched::dag::instance::{parse_dag, write_dag};
/// use agentsched::dag::{Platform, TaskGraph};
/// use agentsched::TaskId;
/// let g = TaskGraph::from_parts([(TaskId(7), 3.0), (TaskId(9), 1.5)], [(TaskId(7), TaskId(9), 2.0)])?;
/// let p = Platform::related(vec![1.0, 2.0], Platform::unit_links(2))?;
/// let back = parse_dag(&write_dag("two", &g.freeze()?, &p)?)?;
/// assert_eq!(back.dag.durations(), &[3.0, 1.5]);
/// assert_eq!(back.dag.edges().collect::<Vec<_>>(), vec![(0, 1, 2.0)]);
/// assert_eq!(back.platform, p);
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn write_dag(name: &str, dag: &Dag, platform: &Platform) -> Result<String> {
    let Exec::Related { speeds } = platform.exec() else {
        return Err(Error::InvalidConfig {
            field: "exec",
            reason: "the dag format holds related machines (speeds) only",
        });
    };
    let m = platform.agents();
    let links = platform.links();
    for p in 0..m {
        for q in 0..p {
            if links[p * m + q] != links[q * m + p] {
                return Err(Error::InvalidConfig {
                    field: "links",
                    reason: "the dag format holds symmetric links only",
                });
            }
        }
    }
    let v = json!({
        "format": "agentsched-bench/1",
        "kind": "dag",
        "name": name,
        "machines": speeds.iter().map(|s| json!({ "speed": s })).collect::<Vec<_>>(),
        "links": links.chunks(m).collect::<Vec<_>>(),
        "tasks": dag.durations().iter().map(|c| json!({ "cost": c })).collect::<Vec<_>>(),
        "edges": dag
            .edges()
            .map(|(u, v, d)| json!({ "from": u, "to": v, "data": d }))
            .collect::<Vec<_>>(),
    });
    Ok(v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = r#""format":"agentsched-bench/1","kind":"dag","name":"t""#;

    #[test]
    fn diagonal_links_may_be_anything_finite_and_non_negative() {
        let i = parse_dag(&format!(
            r#"{{{HEAD},"machines":[{{"speed":1}},{{"speed":1}}],"links":[[7,2],[2,0]],
                "tasks":[],"edges":[]}}"#
        ))
        .unwrap();
        assert_eq!(i.platform.links(), &[7.0, 2.0, 2.0, 0.0]);
        assert_eq!(i.dag.task_count(), 0);
    }

    #[test]
    fn matrix_platforms_are_not_written() {
        let dag = TaskGraph::new().freeze().unwrap();
        let p = Platform::matrix(0, 1, vec![], vec![0.0]).unwrap();
        assert!(matches!(
            write_dag("x", &dag, &p),
            Err(Error::InvalidConfig { field: "exec", .. })
        ));
        let p = Platform::related(vec![1.0, 1.0], vec![0.0, 1.0, 2.0, 0.0]).unwrap();
        assert!(matches!(
            write_dag("x", &dag, &p),
            Err(Error::InvalidConfig { field: "links", .. })
        ));
    }
}
