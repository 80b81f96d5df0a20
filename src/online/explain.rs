//! Structured explanations: why a task is not placed, agent by agent.

use crate::model::{AgentId, GangId, TaskId};
use crate::pool::{Candidate, Mismatch};
use serde::{Deserialize, Serialize};
use std::fmt;

/// How many agents fail a task for one reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReasonCount {
    /// The reason (each agent is counted under the first reason it fails, checked in the order
    /// state, tier, labels, capacity, free quantity, reservation).
    pub reason: Mismatch,
    /// How many agents.
    pub agents: usize,
}

/// An agent that passes every constraint but the free quantities, with what it lacks now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shortfall {
    /// The agent.
    pub agent: AgentId,
    /// Per dimension, how much more would have to be free (0 where enough is free).
    pub missing: Vec<u64>,
}

/// A gang's progress, for a gang member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GangProgress {
    /// The gang.
    pub gang: GangId,
    /// Members submitted (live, or finished after the gang started).
    pub members: u32,
    /// The gang's size.
    pub size: u32,
}

/// Why a task is, or would be, placed where it is — or why not.
///
/// # Example: reading an explanation
/// ```
/// use agentsched::online::{Dispatcher, DispatcherConfig, TaskSpec};
/// use agentsched::pool::AgentSpec;
/// use agentsched::resources::Schema;
/// use agentsched::{AgentId, Sensitivity, TaskId, Tier};
///
/// let mut d = Dispatcher::new(Schema::new(["cpu", "gpu"]).unwrap(), DispatcherConfig::default()).unwrap();
/// d.join_agent(AgentSpec::new(AgentId(1), vec![8, 0])).unwrap();
/// d.join_agent(AgentSpec::new(AgentId(2), vec![8, 4]).tier(Tier::Public)).unwrap();
/// // Confidential and needs a GPU: agent 1 has none, agent 2 is public.
/// let t = TaskSpec::new(TaskId(1), vec![1, 1]).sensitivity(Sensitivity::Confidential);
/// let e = d.dry_run(&t).unwrap();
/// assert!(e.best.is_none());
/// assert!(!e.could_ever_fit);
/// assert_eq!(e.to_string(), "0/2 agents: 1 public tier not allowed for confidential data, 1 capacity too small in gpu; can never fit in this pool");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// The task.
    pub task: TaskId,
    /// Agents in the pool.
    pub agents: usize,
    /// Agents that could take the task now.
    pub feasible: usize,
    /// The best candidates now, best first (at most 3).
    pub best: Option<Candidate>,
    /// Runners-up after `best`.
    pub runners_up: Vec<Candidate>,
    /// Agents that cannot take it, counted per first reason; most frequent first, then in the
    /// order the checks run.
    pub reasons: Vec<ReasonCount>,
    /// Per dimension, how many agents lack free quantity there (an agent may count in several).
    pub short_by_dimension: Vec<usize>,
    /// The closest agents (smallest total relative shortfall), at most 3.
    pub closest: Vec<Shortfall>,
    /// Whether some agent in the pool (in any state: a down agent may recover) could hold the
    /// task once idle (capacity, tier, labels).
    pub could_ever_fit: bool,
    /// For a gang member: how far the gang is.
    pub gang: Option<GangProgress>,
    /// The task holding the backfill reservation, if any, and on which agent.
    pub reservation: Option<(TaskId, AgentId)>,
    /// The schema's dimension names, for rendering.
    pub dimensions: Vec<String>,
    /// The data sensitivity, for rendering.
    pub sensitivity: crate::Sensitivity,
}

impl Explanation {
    fn dim(&self, j: usize) -> &str {
        self.dimensions.get(j).map(String::as_str).unwrap_or("?")
    }

    fn reason_text(&self, r: &Mismatch) -> String {
        match r {
            Mismatch::Down => "down".into(),
            Mismatch::Draining => "draining".into(),
            Mismatch::TierNotAllowed => format!(
                "public tier not allowed for {} data",
                match self.sensitivity {
                    crate::Sensitivity::Public => "public",
                    crate::Sensitivity::Internal => "internal",
                    crate::Sensitivity::Confidential => "confidential",
                }
            ),
            Mismatch::MissingLabel(l) => format!("missing label {l}"),
            Mismatch::CapacityTooSmall { dimension } => {
                format!("capacity too small in {}", self.dim(*dimension))
            }
            Mismatch::Short { dimension } => format!("short of {}", self.dim(*dimension)),
            Mismatch::Reserved => "reserved for a task ahead".into(),
        }
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{} agents", self.feasible, self.agents)?;
        let parts: Vec<String> = self
            .reasons
            .iter()
            .map(|r| format!("{} {}", r.agents, self.reason_text(&r.reason)))
            .collect();
        if !parts.is_empty() {
            write!(f, ": {}", parts.join(", "))?;
        }
        if let Some(g) = self.gang {
            write!(f, "; gang {} has {}/{} members", g.gang, g.members, g.size)?;
        }
        if !self.could_ever_fit {
            write!(f, "; can never fit in this pool")?;
        }
        Ok(())
    }
}
