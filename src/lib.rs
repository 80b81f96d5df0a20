//! # agentsched
//!
//! The scheduling core for AI-agent platforms: which task runs on which agent, when.
//!
//! ## A tour
//! - [`resources`]: a [`resources::Schema`] names a pool's dimensions; a
//!   [`resources::ResourceVec`] holds `u64` quantities with checked arithmetic, fit,
//!   utilisation, dominant share and load.
//! - [`model`]: ids, [`Tier`], [`Sensitivity`] (a typed constraint: confidential data never runs
//!   on a public agent) and [`Label`]s.
//! - [`queue`]: an indexed 4-ary heap keyed by dense ids, and the queue disciplines (priority then
//!   FIFO, shortest job first, multi-level feedback, aging).
//! - [`pool`]: agents, all-or-nothing allocation, scoring policies and the fit index that finds
//!   the best agents for a demand without scanning, with exactly the scan's answer.
//! - [`online`]: the event-driven [`online::Dispatcher`]: submit, cancel, complete, yield, agent
//!   join/drain/recover/fail/leave (requeue, nothing lost), backfill with a reservation, gangs,
//!   dry runs, structured [`online::Explanation`]s and serde [`online::Snapshot`]s.
//! - [`mapping`]: batch mapping of independent tasks on heterogeneous machines (ETC heuristics,
//!   local search, lower bounds, load balancing, migration plans).
//! - [`dag`]: task graphs on petgraph: earliest/latest times and critical paths, fault-tolerant
//!   expected times with backup agents, HEFT/CPoP list scheduling with a validator, and Gantt
//!   charts.
//! - [`placement`]: placement problems; [`placement::fair`] divides a pool among tenants
//!   (weighted Dominant Resource Fairness, max-min water-filling, the task-maximising LP).
//! - [`estimate`]: runtime regression per task class (recursive least squares with intervals,
//!   robust fallbacks), which the dispatcher uses for learned runtimes, and demand forecasting
//!   (Holt–Winters, AR(p), backtests, the burst capacity a forecast calls for).
//! - [`ffi`]: the C ABI (`include/agentsched.h`).
//!
//! Every fallible call returns the one [`Error`] type and leaves its receiver unchanged on error.
//! Results are deterministic: ties break by the lowest id.
//!
//! ## Example
//! ```
//! use agentsched::online::{Dispatcher, DispatcherConfig, TaskSpec};
//! use agentsched::pool::AgentSpec;
//! use agentsched::resources::Schema;
//! use agentsched::{AgentId, TaskId};
//!
//! let mut d = Dispatcher::new(Schema::new(["cpu", "memory"])?, DispatcherConfig::default())?;
//! d.join_agent(AgentSpec::new(AgentId(1), vec![4_000, 8_192]))?;
//! d.submit(TaskSpec::new(TaskId(1), vec![1_000, 2_048]).duration(5.0))?;
//! let placed = d.dispatch();
//! assert_eq!((placed[0].task, placed[0].agent), (TaskId(1), AgentId(1)));
//! d.complete(TaskId(1))?;
//! # Ok::<(), agentsched::Error>(())
//! ```
#![deny(missing_docs)]
#![deny(unsafe_code)]

pub mod dag;
pub mod error;
pub mod estimate;
pub mod ffi;
pub mod mapping;
pub mod model;
pub mod online;
pub mod placement;
pub mod pool;
pub mod queue;
pub mod resources;

pub use error::{Error, Result};
pub use model::{AgentId, GangId, Label, Sensitivity, TaskId, Tier};

/// The README's examples, run as doctests so that they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
