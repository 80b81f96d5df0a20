//! Task graphs: dependent tasks as a DAG on petgraph, their earliest and latest times and
//! critical path.
//!
//! Build a [`TaskGraph`] (each insertion checked), freeze it into a [`Dag`] (acyclicity checked,
//! a cycle named by a task on it), then run the algorithms on the `Dag`. Every result is indexed
//! by *task index*, the insertion position of a task (see [`Dag::index_of`] and [`Dag::id`]).
//! Ties break by the lowest task index.

pub mod graph;
pub mod platform;
pub mod times;

pub use graph::{Dag, Task, TaskGraph};
pub use platform::{Exec, Platform, Schedule, Slot, validate};
pub use times::{Delays, Times, times, times_with};

// List scheduling on heterogeneous agents (HEFT, CPoP, improvements, lower bound).
pub mod bounds;
pub mod cpop;
pub mod heft;
mod list;
pub mod search;

pub use bounds::lower_bound;
pub use cpop::cpop;
pub use heft::{heft, heft_lookahead};
pub use list::{downward_ranks, upward_ranks};
pub use search::{
    ALGORITHMS, Algorithm, BestSchedule, ImproveOptions, best, by_name, heft_ls, improve,
};
