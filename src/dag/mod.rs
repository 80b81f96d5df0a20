//! Task graphs: dependent tasks as a DAG on petgraph, their earliest and latest times and
//! critical path.
//!
//! Build a [`TaskGraph`] (each insertion checked), freeze it into a [`Dag`] (acyclicity checked,
//! a cycle named by a task on it), then run the algorithms on the `Dag`. Every result is indexed
//! by *task index*, the insertion position of a task (see [`Dag::index_of`] and [`Dag::id`]).
//! Ties break by the lowest task index.
//!
//! Around the algorithms: [`instance`] reads and writes the benchmark format's kind `dag` (the
//! related-machines model: a [`Dag`] and a [`Platform`]); [`validate`] checks any [`Schedule`];
//! [`explain`] says why a schedule is as long as it is (its critical path of binding data,
//! agent and start constraints, and its communication waits); [`gantt`] draws it as a
//! self-contained SVG Gantt chart with the waits and the critical path marked.
//!
//! List scheduling on heterogeneous agents ([`Platform`]): [`heft()`] and [`cpop()`] exactly as
//! Topcuoglu, Hariri and Wu (IEEE TPDS 2002), the improvements [`heft_lookahead`] and
//! [`improve`] (iterated local search, [`heft_ls`]), all by name in [`ALGORITHMS`] /
//! [`by_name`], the best of them within a time limit ([`best`]), and a [`lower_bound`] to judge
//! them by. Every schedule passes [`validate`].

pub mod explain;
pub mod fault;
pub mod gantt;
pub mod graph;
pub mod instance;
pub mod platform;
pub mod times;

pub use explain::{Binding, CommWait, CriticalStep, communication_waits, schedule_critical_path};
pub use fault::{
    Backup, FailureModel, FaultSpec, MakespanEstimate, MakespanMethod, MakespanOptions,
    completion_probability, expected_durations, expected_makespan, expected_times,
    no_backup_probability,
};
pub use gantt::{GanttOptions, gantt_svg};
pub use graph::{Dag, Task, TaskGraph};
pub use instance::{DagInstance, parse_dag, write_dag};
pub use platform::{Exec, Platform, Schedule, Slot, validate};
pub use times::{Delays, Times, times, times_with};

// List scheduling on heterogeneous agents (HEFT, CPoP, improvements, lower bound).
mod bounds;
mod cpop;
mod heft;
mod list;
mod search;

pub use bounds::lower_bound;
pub use cpop::cpop;
pub use heft::{heft, heft_lookahead};
pub use list::{downward_ranks, upward_ranks};
pub use search::{
    ALGORITHMS, Algorithm, BestSchedule, ImproveOptions, best, by_name, heft_ls, improve,
};
