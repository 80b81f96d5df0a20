//! Tasks as hosts submit them, and where each one is.

use crate::model::{AgentId, GangId, Label, Sensitivity, TaskId};
use serde::{Deserialize, Serialize};

/// A gang: tasks sharing `id` are placed all together or not at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Gang {
    /// The gang's id.
    pub id: GangId,
    /// How many tasks the gang has; every member declares the same size (`>= 1`).
    pub size: u32,
}

/// What a host submits.
///
/// # Example
/// ```
/// use agentsched::online::TaskSpec;
/// use agentsched::{Label, Sensitivity, TaskId};
/// let t = TaskSpec::new(TaskId(42), vec![2000, 4096, 1])
///     .priority(5)
///     .duration(30.0)
///     .sensitivity(Sensitivity::Confidential)
///     .label(Label::new("model", "llama-70b"));
/// assert_eq!(t.priority, 5);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskSpec {
    /// The task's id, unique among the tasks the dispatcher has seen.
    pub id: TaskId,
    /// Resources asked for, one quantity per schema dimension.
    pub demand: Vec<u64>,
    /// Higher runs first.
    pub priority: i32,
    /// Estimated duration on a speed-1 agent (finite, `>= 0`).
    pub duration: f64,
    /// Sensitivity of the data the task touches.
    pub sensitivity: Sensitivity,
    /// Labels the agent must carry.
    pub labels: Vec<Label>,
    /// Optional gang membership.
    pub gang: Option<Gang>,
    /// The task's runtime class (a tool, a model, a kind of job): with estimation enabled
    /// ([`super::EstimationConfig`]) a classed task is scheduled by its class's predicted
    /// runtime instead of `duration`, and teaches the model when it completes.
    #[serde(default)]
    pub class: Option<u32>,
    /// Numeric features of the task for the runtime model (input length, model size...): as
    /// many as the model has, finite. Ignored for tasks without a class.
    #[serde(default)]
    pub features: Vec<f64>,
}

impl TaskSpec {
    /// A public task of priority 0 and duration 0 with no labels and no gang.
    pub fn new(id: TaskId, demand: Vec<u64>) -> Self {
        TaskSpec {
            id,
            demand,
            priority: 0,
            duration: 0.0,
            sensitivity: Sensitivity::Public,
            labels: Vec::new(),
            gang: None,
            class: None,
            features: Vec::new(),
        }
    }

    /// Sets the priority.
    pub fn priority(mut self, p: i32) -> Self {
        self.priority = p;
        self
    }

    /// Sets the estimated duration.
    pub fn duration(mut self, d: f64) -> Self {
        self.duration = d;
        self
    }

    /// Sets the data sensitivity.
    pub fn sensitivity(mut self, s: Sensitivity) -> Self {
        self.sensitivity = s;
        self
    }

    /// Adds a required label.
    pub fn label(mut self, l: Label) -> Self {
        self.labels.push(l);
        self
    }

    /// Sets the runtime class and the features the runtime model reads.
    pub fn runtime_class(mut self, class: u32, features: Vec<f64>) -> Self {
        self.class = Some(class);
        self.features = features;
        self
    }

    /// Makes the task a member of a gang of `size` tasks.
    pub fn gang(mut self, id: GangId, size: u32) -> Self {
        self.gang = Some(Gang { id, size });
        self
    }
}

/// Where a task is. Every submitted task is in exactly one of these.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    /// Waiting in the queue.
    Queued,
    /// Running on an agent since a time.
    Running {
        /// The agent.
        agent: AgentId,
        /// When it was placed.
        since: f64,
    },
    /// Completed.
    Done,
    /// Cancelled by the host.
    Cancelled,
}

impl TaskState {
    /// The state's name, for messages.
    pub fn as_str(&self) -> &'static str {
        match self {
            TaskState::Queued => "queued",
            TaskState::Running { .. } => "running",
            TaskState::Done => "done",
            TaskState::Cancelled => "cancelled",
        }
    }
}

/// One placement decision.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Assignment {
    /// The task placed.
    pub task: TaskId,
    /// The agent it goes to.
    pub agent: AgentId,
    /// The agent's score for it.
    pub score: f64,
    /// The dispatcher's time at placement.
    pub start: f64,
    /// `start + duration / speed`.
    pub expected_end: f64,
    /// Whether it was placed past a blocked task ahead of it in the queue.
    pub backfilled: bool,
}

/// What happened when an agent failed or left.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Requeue {
    /// The agent.
    pub agent: AgentId,
    /// Tasks that went back to the queue, in their original arrival order (gang mates that ran
    /// elsewhere included: a gang restarts whole).
    pub requeued: Vec<TaskId>,
}
