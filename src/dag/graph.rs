//! The task graph: a petgraph builder ([`TaskGraph`]) and its validated, frozen form ([`Dag`]).

use crate::model::{IdMap, check_non_negative};
use crate::{Error, Result, TaskId};
use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};
use std::hash::BuildHasherDefault;

/// A task of a graph: its id and its duration on the fixed-duration model (the `cost` of the
/// related-machines model, where it runs `duration / speed` on an agent of that speed).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// The host's id for the task.
    pub id: TaskId,
    /// Finite and non-negative.
    pub duration: f64,
}

/// A task graph under construction, backed by a petgraph [`DiGraph`]: tasks with durations, edges
/// with data sizes.
///
/// Every insertion is checked on its own (unknown or duplicate ids, self-loops, duplicate edges,
/// bad numbers) and a failed insertion changes nothing. Acyclicity is a property of the whole
/// graph, checked when it is frozen into a [`Dag`] by [`TaskGraph::freeze`].
///
/// A task's *index* is its insertion position (`0..task_count()`); every result of this module is
/// indexed by it.
///
/// # Example: a diamond
/// ```
/// use agentsched::dag::TaskGraph;
/// use agentsched::TaskId;
///
/// let mut g = TaskGraph::new();
/// for (id, d) in [(1, 2.0), (2, 3.0), (3, 1.0), (4, 2.0)] {
///     g.add_task(TaskId(id), d)?;
/// }
/// g.add_edge(TaskId(1), TaskId(2), 0.0)?;
/// g.add_edge(TaskId(1), TaskId(3), 0.0)?;
/// g.add_edge(TaskId(2), TaskId(4), 0.0)?;
/// g.add_edge(TaskId(3), TaskId(4), 0.0)?;
/// assert!(g.add_edge(TaskId(4), TaskId(4), 0.0).is_err()); // a self-loop
/// let dag = g.freeze()?;
/// assert_eq!(dag.task_count(), 4);
/// # Ok::<(), agentsched::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct TaskGraph {
    graph: DiGraph<Task, f64, u32>,
    index: IdMap<TaskId, u32>,
    pairs: HashSet<u64, BuildHasherDefault<crate::model::IdHasher>>,
}

/// Most tasks or edges a graph may hold: petgraph's `u32` indices reserve `u32::MAX`.
const MAX_ITEMS: usize = u32::MAX as usize - 1;

impl TaskGraph {
    /// An empty graph.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty graph with room for `tasks` tasks and `edges` edges.
    pub fn with_capacity(tasks: usize, edges: usize) -> Self {
        let mut index = IdMap::default();
        index.reserve(tasks);
        let mut pairs = HashSet::default();
        pairs.reserve(edges);
        TaskGraph {
            graph: DiGraph::with_capacity(tasks, edges),
            index,
            pairs,
        }
    }

    /// Builds a graph from tasks `(id, duration)` and edges `(from, to, data)`, checking each as
    /// [`TaskGraph::add_task`] and [`TaskGraph::add_edge`] do.
    ///
    /// # Errors
    /// The first error of [`TaskGraph::add_task`] or [`TaskGraph::add_edge`].
    pub fn from_parts(
        tasks: impl IntoIterator<Item = (TaskId, f64)>,
        edges: impl IntoIterator<Item = (TaskId, TaskId, f64)>,
    ) -> Result<Self> {
        let mut g = TaskGraph::new();
        for (id, d) in tasks {
            g.add_task(id, d)?;
        }
        for (from, to, data) in edges {
            g.add_edge(from, to, data)?;
        }
        Ok(g)
    }

    /// Adds a task and returns its index.
    ///
    /// # Errors
    /// [`Error::DuplicateTask`]; [`Error::NotFinite`]/[`Error::Negative`] (`duration`);
    /// [`Error::Overflow`] (`tasks`) past `u32::MAX - 1` tasks.
    pub fn add_task(&mut self, id: TaskId, duration: f64) -> Result<usize> {
        let duration = check_non_negative("duration", duration)?;
        if self.index.contains_key(&id) {
            return Err(Error::DuplicateTask(id));
        }
        if self.graph.node_count() >= MAX_ITEMS {
            return Err(Error::Overflow {
                field: "tasks",
                dimension: 0,
            });
        }
        let n = self.graph.add_node(Task { id, duration });
        self.index.insert(id, n.index() as u32);
        Ok(n.index())
    }

    /// Adds a precedence edge: `to` may start only after `from` has finished and `data` units
    /// have travelled from `from`'s agent to `to`'s (nothing travels when both share an agent).
    ///
    /// # Errors
    /// [`Error::UnknownTask`] for either end; [`Error::SelfLoop`]; [`Error::DuplicateEdge`];
    /// [`Error::NotFinite`]/[`Error::Negative`] (`data`); [`Error::Overflow`] (`edges`).
    pub fn add_edge(&mut self, from: TaskId, to: TaskId, data: f64) -> Result<()> {
        let u = *self.index.get(&from).ok_or(Error::UnknownTask(from))?;
        let v = *self.index.get(&to).ok_or(Error::UnknownTask(to))?;
        if u == v {
            return Err(Error::SelfLoop { task: from });
        }
        let data = check_non_negative("data", data)?;
        let key = (u64::from(u) << 32) | u64::from(v);
        if self.pairs.contains(&key) {
            return Err(Error::DuplicateEdge { from, to });
        }
        if self.graph.edge_count() >= MAX_ITEMS {
            return Err(Error::Overflow {
                field: "edges",
                dimension: 0,
            });
        }
        self.pairs.insert(key);
        self.graph
            .add_edge(NodeIndex::new(u as usize), NodeIndex::new(v as usize), data);
        Ok(())
    }

    /// Number of tasks.
    pub fn task_count(&self) -> usize {
        self.graph.node_count()
    }

    /// Number of edges.
    pub fn edge_count(&self) -> usize {
        self.graph.edge_count()
    }

    /// The index of task `id`, if it is in the graph.
    pub fn index_of(&self, id: TaskId) -> Option<usize> {
        self.index.get(&id).map(|&i| i as usize)
    }

    /// The task at `index`, if any.
    pub fn task(&self, index: usize) -> Option<&Task> {
        self.graph.node_weight(NodeIndex::new(index))
    }

    /// The tasks in index order.
    pub fn tasks(&self) -> impl Iterator<Item = &Task> + '_ {
        self.graph.node_weights()
    }

    /// The edges in insertion order as `(from index, to index, data)`.
    pub fn edges(&self) -> impl Iterator<Item = (usize, usize, f64)> + '_ {
        self.graph
            .raw_edges()
            .iter()
            .map(|e| (e.source().index(), e.target().index(), e.weight))
    }

    /// The petgraph graph itself, for petgraph's algorithms and visitors (node weights are
    /// [`Task`]s, edge weights data sizes; node indices are task indices).
    pub fn graph(&self) -> &DiGraph<Task, f64, u32> {
        &self.graph
    }

    /// Checks acyclicity and freezes the graph into a [`Dag`]: a topological order and compact
    /// adjacency arrays (CSR) for the hot paths.
    ///
    /// # Complexity
    /// O(V + E) when the index order is already topological (every edge goes from a lower index
    /// to a higher one), O(V log V + E) otherwise, plus sorting the successor lists of tasks
    /// whose edges were not inserted by ascending target (O(d log d) for such a list of d);
    /// O(V + E) extra space.
    ///
    /// # Errors
    /// [`Error::Cycle`] naming the lowest task id on a cycle; [`Error::NotFinite`] (`sum of
    /// durations and data`) when that sum overflows `f64` (a path could then overflow).
    pub fn freeze(&self) -> Result<Dag> {
        Dag::new(self)
    }
}

/// A validated, acyclic task graph, frozen into compact arrays: the input of every algorithm of
/// this module.
///
/// Internally tasks are renumbered into *positions* along a topological order (the smallest
/// index first among the ready tasks, so that an index order that is already topological is kept
/// as it is) and edges are stored by target (predecessor lists, CSR). Everything public is by task
/// index.
#[derive(Debug, Clone)]
pub struct Dag {
    ids: Vec<TaskId>,
    index: IdMap<TaskId, u32>,
    /// By task index.
    duration: Vec<f64>,
    /// Position -> task index.
    order: Vec<u32>,
    /// Task index -> position.
    position: Vec<u32>,
    /// `true` when positions and indices coincide.
    identity: bool,
    /// Durations by position.
    pos_duration: Vec<f64>,
    /// Predecessors by position: `pred[pred_off[v]..pred_off[v + 1]]` (positions, ascending),
    /// with the edge's data in `pred_data` and its insertion index in `pred_edge`.
    pred_off: Vec<u32>,
    pred: Vec<u32>,
    pred_data: Vec<f64>,
    pred_edge: Vec<u32>,
    /// Successors by position, the same way.
    succ_off: Vec<u32>,
    succ: Vec<u32>,
    succ_data: Vec<f64>,
    /// Edges by insertion index: `(from index, to index, data)`.
    edges: Vec<(u32, u32, f64)>,
    /// The sum of every edge's data, in insertion order.
    data_sum: f64,
}

impl Dag {
    /// Freezes `graph`; see [`TaskGraph::freeze`].
    ///
    /// # Errors
    /// As [`TaskGraph::freeze`].
    pub fn new(graph: &TaskGraph) -> Result<Dag> {
        let g = &graph.graph;
        let n = g.node_count();
        let m = g.edge_count();
        let edges: Vec<(u32, u32, f64)> = g
            .raw_edges()
            .iter()
            .map(|e| {
                (
                    e.source().index() as u32,
                    e.target().index() as u32,
                    e.weight,
                )
            })
            .collect();
        let identity = edges.iter().all(|&(u, v, _)| u < v);
        let order: Vec<u32> = if identity {
            (0..n as u32).collect()
        } else {
            topological_order(n, &edges).map_err(|v| Error::Cycle {
                task: cycle_task(g, v),
            })?
        };
        // Every path is at most the sum of all durations and data, so a finite sum rules out
        // overflow in every later pass (times, slacks) at the cost of one O(V + E) sum here.
        let data_sum: f64 = edges.iter().map(|e| e.2).sum();
        let total = g.node_weights().map(|t| t.duration).sum::<f64>() + data_sum;
        if !total.is_finite() {
            return Err(Error::NotFinite {
                field: "sum of durations and data",
                value: total,
            });
        }
        let mut position = vec![0u32; n];
        for (p, &i) in order.iter().enumerate() {
            position[i as usize] = p as u32;
        }
        let duration: Vec<f64> = g.node_weights().map(|t| t.duration).collect();
        let pos_duration = order.iter().map(|&i| duration[i as usize]).collect();
        let ids: Vec<TaskId> = g.node_weights().map(|t| t.id).collect();

        // Counting sort of the edges by target position, then by source position: predecessor
        // lists come out ascending, which keeps every later pass deterministic.
        let by_source = csr(n, &edges, |&(u, v, _)| {
            (position[u as usize], position[v as usize])
        });
        let by_target = {
            let mut off = vec![0u32; n + 1];
            for &(u, v, _) in &edges {
                let _ = u;
                off[position[v as usize] as usize + 1] += 1;
            }
            for p in 0..n {
                off[p + 1] += off[p];
            }
            let mut next = off.clone();
            let mut pred = vec![0u32; m];
            let mut pred_data = vec![0f64; m];
            let mut pred_edge = vec![0u32; m];
            // Walking the edges grouped by ascending source makes each predecessor list ascending.
            for pu in 0..n {
                for k in by_source.0[pu] as usize..by_source.0[pu + 1] as usize {
                    let e = by_source.2[k] as usize;
                    let (_, v, d) = edges[e];
                    let pv = position[v as usize] as usize;
                    let slot = next[pv] as usize;
                    next[pv] += 1;
                    pred[slot] = pu as u32;
                    pred_data[slot] = d;
                    pred_edge[slot] = e as u32;
                }
            }
            (off, pred, pred_data, pred_edge)
        };
        let (succ_off, succ, succ_edge) = by_source;
        let succ_data = succ_edge.iter().map(|&e| edges[e as usize].2).collect();
        Ok(Dag {
            ids,
            index: graph.index.clone(),
            duration,
            order,
            position,
            identity,
            pos_duration,
            pred_off: by_target.0,
            pred: by_target.1,
            pred_data: by_target.2,
            pred_edge: by_target.3,
            succ_off,
            succ,
            succ_data,
            data_sum,
            edges,
        })
    }

    /// Number of tasks.
    pub fn task_count(&self) -> usize {
        self.ids.len()
    }

    /// Number of edges.
    pub fn edge_count(&self) -> usize {
        self.edges.len()
    }

    /// The id of the task at `index` (panics when `index >= task_count()`, like slice indexing;
    /// use [`Dag::ids`] to iterate).
    pub fn id(&self, index: usize) -> TaskId {
        self.ids[index]
    }

    /// Task ids by index.
    pub fn ids(&self) -> &[TaskId] {
        &self.ids
    }

    /// The index of task `id`, if it is in the graph.
    pub fn index_of(&self, id: TaskId) -> Option<usize> {
        self.index.get(&id).map(|&i| i as usize)
    }

    /// Durations by task index.
    pub fn durations(&self) -> &[f64] {
        &self.duration
    }

    /// The edges by insertion index as `(from index, to index, data)`.
    pub fn edges(&self) -> impl ExactSizeIterator<Item = (usize, usize, f64)> + '_ {
        self.edges
            .iter()
            .map(|&(u, v, d)| (u as usize, v as usize, d))
    }

    /// Task indices in topological order: among the tasks whose predecessors are all listed, the
    /// lowest index comes first.
    pub fn topological_order(&self) -> impl ExactSizeIterator<Item = usize> + '_ {
        self.order.iter().map(|&i| i as usize)
    }

    /// The position of task `index` in [`Dag::topological_order`].
    ///
    /// # Panics
    /// When `index >= task_count()`, like slice indexing.
    pub fn position(&self, index: usize) -> usize {
        self.position[index] as usize
    }

    /// Predecessors of task `index` as `(task index, data)`, by ascending position.
    ///
    /// # Panics
    /// When `index >= task_count()`, like slice indexing.
    pub fn predecessors(&self, index: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let p = self.position[index] as usize;
        let r = self.pred_off[p] as usize..self.pred_off[p + 1] as usize;
        self.pred[r.clone()]
            .iter()
            .zip(&self.pred_data[r])
            .map(|(&u, &d)| (self.order[u as usize] as usize, d))
    }

    /// Successors of task `index` as `(task index, data)`, by ascending position.
    ///
    /// # Panics
    /// When `index >= task_count()`, like slice indexing.
    pub fn successors(&self, index: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let p = self.position[index] as usize;
        let r = self.succ_off[p] as usize..self.succ_off[p + 1] as usize;
        self.succ[r.clone()]
            .iter()
            .zip(&self.succ_data[r])
            .map(|(&v, &d)| (self.order[v as usize] as usize, d))
    }

    /// Tasks without predecessors (entry tasks), by index.
    pub fn sources(&self) -> Vec<usize> {
        (0..self.task_count())
            .filter(|&i| {
                let p = self.position[i] as usize;
                self.pred_off[p] == self.pred_off[p + 1]
            })
            .collect()
    }

    /// Tasks without successors (exit tasks), by index.
    pub fn sinks(&self) -> Vec<usize> {
        (0..self.task_count())
            .filter(|&i| {
                let p = self.position[i] as usize;
                self.succ_off[p] == self.succ_off[p + 1]
            })
            .collect()
    }

    /// The sum of every edge's data (finite: checked at freeze).
    pub(crate) fn data_sum(&self) -> f64 {
        self.data_sum
    }

    /// The arrays of the hot paths, by position.
    pub(crate) fn csr(&self) -> Csr<'_> {
        Csr {
            order: &self.order,
            position: &self.position,
            identity: self.identity,
            duration: &self.pos_duration,
            pred_off: &self.pred_off,
            pred: &self.pred,
            pred_data: &self.pred_data,
            pred_edge: &self.pred_edge,
            succ_off: &self.succ_off,
            succ: &self.succ,
            succ_data: &self.succ_data,
        }
    }
}

/// Borrowed CSR arrays of a [`Dag`], all by topological position.
#[derive(Clone, Copy)]
#[allow(dead_code)]
pub(crate) struct Csr<'a> {
    pub order: &'a [u32],
    pub position: &'a [u32],
    pub identity: bool,
    pub duration: &'a [f64],
    pub pred_off: &'a [u32],
    pub pred: &'a [u32],
    pub pred_data: &'a [f64],
    pub pred_edge: &'a [u32],
    pub succ_off: &'a [u32],
    pub succ: &'a [u32],
    pub succ_data: &'a [f64],
}

/// Edges grouped by a key's first component (a counting sort): `(offsets, second components,
/// edge indices)`, stable in edge order within a group.
fn csr(
    n: usize,
    edges: &[(u32, u32, f64)],
    key: impl Fn(&(u32, u32, f64)) -> (u32, u32),
) -> (Vec<u32>, Vec<u32>, Vec<u32>) {
    let mut off = vec![0u32; n + 1];
    let keys: Vec<(u32, u32)> = edges.iter().map(&key).collect();
    for &(a, _) in &keys {
        off[a as usize + 1] += 1;
    }
    for p in 0..n {
        off[p + 1] += off[p];
    }
    let mut next = off.clone();
    let mut other = vec![0u32; edges.len()];
    let mut idx = vec![0u32; edges.len()];
    for (e, &(a, b)) in keys.iter().enumerate() {
        let slot = next[a as usize] as usize;
        next[a as usize] += 1;
        other[slot] = b;
        idx[slot] = e as u32;
    }
    // Within a source, order successors by ascending position (deterministic traversal).
    for a in 0..n {
        let r = off[a] as usize..off[a + 1] as usize;
        if r.len() > 1 && other[r.clone()].windows(2).any(|w| w[0] > w[1]) {
            let mut pairs: Vec<(u32, u32)> = other[r.clone()]
                .iter()
                .copied()
                .zip(idx[r.clone()].iter().copied())
                .collect();
            pairs.sort_unstable();
            for (k, (b, e)) in pairs.into_iter().enumerate() {
                other[r.start + k] = b;
                idx[r.start + k] = e;
            }
        }
    }
    (off, other, idx)
}

/// Kahn's algorithm, the lowest ready index first. `Err(v)` gives a task left over by a cycle.
fn topological_order(n: usize, edges: &[(u32, u32, f64)]) -> std::result::Result<Vec<u32>, u32> {
    let (off, succ, _) = csr(n, edges, |&(u, v, _)| (u, v));
    let mut indeg = vec![0u32; n];
    for &(_, v, _) in edges {
        indeg[v as usize] += 1;
    }
    let mut ready: BinaryHeap<Reverse<u32>> = (0..n as u32)
        .filter(|&v| indeg[v as usize] == 0)
        .map(Reverse)
        .collect();
    let mut order = Vec::with_capacity(n);
    while let Some(Reverse(u)) = ready.pop() {
        order.push(u);
        for &v in &succ[off[u as usize] as usize..off[u as usize + 1] as usize] {
            indeg[v as usize] -= 1;
            if indeg[v as usize] == 0 {
                ready.push(Reverse(v));
            }
        }
    }
    if order.len() == n {
        Ok(order)
    } else {
        // Every task left has a predecessor that is also left.
        Err((0..n as u32).find(|&v| indeg[v as usize] > 0).unwrap_or(0))
    }
}

/// The lowest task id on a cycle reached by walking predecessors back from `start` (a task left
/// over by Kahn's algorithm, so every step finds a predecessor that is also left over).
fn cycle_task(g: &DiGraph<Task, f64, u32>, start: u32) -> TaskId {
    // The tasks that can reach `start` and are reachable from it... walking back is enough: the
    // leftover subgraph has no sources, so the walk must repeat a task, and from the first
    // repeat on it goes round a cycle.
    let leftover = leftover_set(g);
    let mut seen = vec![u32::MAX; g.node_count()];
    let mut v = start;
    let mut step = 0u32;
    while seen[v as usize] == u32::MAX {
        seen[v as usize] = step;
        step += 1;
        let next = g
            .neighbors_directed(NodeIndex::new(v as usize), Direction::Incoming)
            .map(|u| u.index() as u32)
            .filter(|&u| leftover[u as usize])
            .min();
        match next {
            Some(u) => v = u,
            None => return g[NodeIndex::new(v as usize)].id,
        }
    }
    // `v` is the first task seen twice: walk the cycle once more and take the lowest id on it.
    let first = v;
    let mut lowest = g[NodeIndex::new(v as usize)].id;
    loop {
        let u = g
            .neighbors_directed(NodeIndex::new(v as usize), Direction::Incoming)
            .map(|u| u.index() as u32)
            .filter(|&u| leftover[u as usize])
            .min()
            .unwrap_or(first);
        v = u;
        if v == first {
            return lowest;
        }
        lowest = lowest.min(g[NodeIndex::new(v as usize)].id);
    }
}

/// Tasks that Kahn's algorithm cannot order (on a cycle or downstream of one).
fn leftover_set(g: &DiGraph<Task, f64, u32>) -> Vec<bool> {
    let n = g.node_count();
    let mut indeg: Vec<u32> = (0..n)
        .map(|v| {
            g.neighbors_directed(NodeIndex::new(v), Direction::Incoming)
                .count() as u32
        })
        .collect();
    let mut stack: Vec<u32> = (0..n as u32).filter(|&v| indeg[v as usize] == 0).collect();
    let mut left = vec![true; n];
    while let Some(u) = stack.pop() {
        left[u as usize] = false;
        for w in g.neighbors_directed(NodeIndex::new(u as usize), Direction::Outgoing) {
            indeg[w.index()] -= 1;
            if indeg[w.index()] == 0 {
                stack.push(w.index() as u32);
            }
        }
    }
    left
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(n: u32, edges: &[(u32, u32)]) -> TaskGraph {
        TaskGraph::from_parts(
            (0..n).map(|i| (TaskId(i), 1.0)),
            edges.iter().map(|&(u, v)| (TaskId(u), TaskId(v), 0.0)),
        )
        .unwrap()
    }

    #[test]
    fn insertion_errors_change_nothing() {
        let mut g = graph(3, &[(0, 1)]);
        assert_eq!(
            g.add_task(TaskId(1), 1.0),
            Err(Error::DuplicateTask(TaskId(1)))
        );
        assert!(matches!(
            g.add_task(TaskId(9), f64::NAN),
            Err(Error::NotFinite { .. })
        ));
        assert!(matches!(
            g.add_task(TaskId(9), -1.0),
            Err(Error::Negative { .. })
        ));
        assert_eq!(
            g.add_edge(TaskId(0), TaskId(7), 0.0),
            Err(Error::UnknownTask(TaskId(7)))
        );
        assert_eq!(
            g.add_edge(TaskId(2), TaskId(2), 0.0),
            Err(Error::SelfLoop { task: TaskId(2) })
        );
        assert_eq!(
            g.add_edge(TaskId(0), TaskId(1), 5.0),
            Err(Error::DuplicateEdge {
                from: TaskId(0),
                to: TaskId(1)
            })
        );
        assert!(matches!(
            g.add_edge(TaskId(1), TaskId(2), f64::INFINITY),
            Err(Error::NotFinite { .. })
        ));
        assert_eq!((g.task_count(), g.edge_count()), (3, 1));
        // The reverse edge is not a duplicate; it makes a cycle, found at freeze.
        g.add_edge(TaskId(1), TaskId(0), 0.0).unwrap();
        assert!(matches!(g.freeze(), Err(Error::Cycle { .. })));
    }

    #[test]
    fn total_work_past_f64_max_is_an_error_at_freeze() {
        let g = TaskGraph::from_parts(
            [(TaskId(0), f64::MAX), (TaskId(1), f64::MAX)],
            [(TaskId(0), TaskId(1), 0.0)],
        )
        .unwrap();
        assert!(matches!(g.freeze(), Err(Error::NotFinite { .. })));
        let g = TaskGraph::from_parts(
            [(TaskId(0), 1.0), (TaskId(1), 1.0)],
            [(TaskId(0), TaskId(1), 0.0)],
        )
        .unwrap();
        let dag = g.freeze().unwrap();
        let huge = [f64::MAX, f64::MAX];
        assert!(matches!(
            crate::dag::times_with(&dag, &huge, crate::dag::Delays::None),
            Err(Error::NotFinite { .. })
        ));
    }

    #[test]
    fn cycle_names_the_lowest_id_on_it() {
        // 0 -> 1 -> 5 -> 3 -> 1 is a cycle {1, 5, 3}; 4 hangs below it; 2 is free.
        let g = TaskGraph::from_parts(
            [10, 11, 12, 13, 14, 15].map(|i| (TaskId(i), 1.0)),
            [(10, 11), (11, 15), (15, 13), (13, 11), (13, 14)]
                .map(|(u, v)| (TaskId(u), TaskId(v), 0.0)),
        )
        .unwrap();
        assert_eq!(g.freeze().unwrap_err(), Error::Cycle { task: TaskId(11) });
        // A cycle that does not contain the first leftover task found by index order.
        let g = TaskGraph::from_parts(
            [1, 2, 3, 4].map(|i| (TaskId(i), 1.0)),
            [(1, 2), (3, 4), (4, 3), (3, 1)].map(|(u, v)| (TaskId(u), TaskId(v), 0.0)),
        )
        .unwrap();
        assert_eq!(g.freeze().unwrap_err(), Error::Cycle { task: TaskId(3) });
    }

    #[test]
    fn order_keeps_a_topological_index_order_and_otherwise_takes_the_lowest_ready() {
        let d = graph(4, &[(0, 2), (1, 2), (2, 3)]).freeze().unwrap();
        assert_eq!(d.topological_order().collect::<Vec<_>>(), vec![0, 1, 2, 3]);
        let d = graph(4, &[(3, 0), (2, 1), (0, 1)]).freeze().unwrap();
        assert_eq!(d.topological_order().collect::<Vec<_>>(), vec![2, 3, 0, 1]);
        assert_eq!(
            d.predecessors(1).collect::<Vec<_>>(),
            vec![(2, 0.0), (0, 0.0)]
        );
        assert_eq!(d.successors(3).collect::<Vec<_>>(), vec![(0, 0.0)]);
        assert_eq!((d.sources(), d.sinks()), (vec![2, 3], vec![1]));
    }
}
