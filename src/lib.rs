//! # agentsched
//!
//! The scheduling core for AI-agent platforms: which task runs on which agent, when.
#![deny(missing_docs)]
#![deny(unsafe_code)]

pub mod error;
pub mod model;
pub mod online;
pub mod pool;
pub mod queue;
pub mod resources;

pub use error::{Error, Result};
pub use model::{AgentId, GangId, Label, Sensitivity, TaskId, Tier};
