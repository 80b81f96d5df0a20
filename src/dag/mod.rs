//! Task graphs: dependent tasks as a DAG on petgraph, their earliest and latest times and
//! critical path.
//!
//! Build a [`TaskGraph`] (each insertion checked), freeze it into a [`Dag`] (acyclicity checked,
//! a cycle named by a task on it), then run the algorithms on the `Dag`. Every result is indexed
//! by *task index*, the insertion position of a task (see [`Dag::index_of`] and [`Dag::id`]).
//! Ties break by the lowest task index.

pub mod explain;
pub mod gantt;
pub mod graph;
pub mod instance;
pub mod platform;
pub mod times;

pub use explain::{Binding, CommWait, CriticalStep, communication_waits, schedule_critical_path};
pub use gantt::{GanttOptions, gantt_svg};
pub use graph::{Dag, Task, TaskGraph};
pub use instance::{DagInstance, parse_dag, write_dag};
pub use platform::{Exec, Platform, Schedule, Slot, validate};
pub use times::{Delays, Times, times, times_with};
