//! The one error type of the crate.

use crate::model::{AgentId, GangId, TaskId};
use crate::online::Explanation;
use thiserror::Error;

/// Everything that can go wrong in `agentsched`.
///
/// Each variant names the offending id or field. A call that returns an error leaves the state it
/// was called on exactly as it was before the call.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum Error {
    /// A schema needs at least one dimension.
    #[error("a resource schema needs at least one dimension")]
    EmptySchema,
    /// A schema has more dimensions than supported.
    #[error("a resource schema has {got} dimensions; at most {max} are supported")]
    TooManyDimensions {
        /// Dimensions given.
        got: usize,
        /// The supported maximum.
        max: usize,
    },
    /// Two dimensions of a schema share a name, or a name is empty.
    #[error("invalid dimension name `{name}` (empty or duplicate)")]
    InvalidDimension {
        /// The offending name.
        name: String,
    },
    /// A resource vector has the wrong number of dimensions.
    #[error("{field}: expected {expected} dimensions, got {got}")]
    DimensionMismatch {
        /// Which value had the wrong length.
        field: &'static str,
        /// The schema's dimension count.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// Adding quantities would exceed `u64::MAX`.
    #[error("{field}: overflow in dimension {dimension}")]
    Overflow {
        /// The value that overflowed.
        field: &'static str,
        /// The dimension index.
        dimension: usize,
    },
    /// Subtracting quantities would go below zero.
    #[error("{field}: underflow in dimension {dimension}")]
    Underflow {
        /// The value that underflowed.
        field: &'static str,
        /// The dimension index.
        dimension: usize,
    },
    /// A number that must be finite is NaN or infinite.
    #[error("{field} must be finite, got {value:?}")]
    NotFinite {
        /// The offending field.
        field: &'static str,
        /// The value given.
        value: f64,
    },
    /// A number that must be non-negative is negative.
    #[error("{field} must be non-negative, got {value:?}")]
    Negative {
        /// The offending field.
        field: &'static str,
        /// The value given.
        value: f64,
    },
    /// A number that must be strictly positive is zero.
    #[error("{field} must be positive, got {value:?}")]
    NotPositive {
        /// The offending field.
        field: &'static str,
        /// The value given.
        value: f64,
    },
    /// A finite number beyond the magnitude a model can take without its sums of squares
    /// overflowing later (for example a runtime above `estimate::runtime::MAX_TARGET`).
    #[error("{field} must be at most {max:?} in magnitude, got {value:?}")]
    TooLarge {
        /// The offending field.
        field: &'static str,
        /// The value given.
        value: f64,
        /// The largest magnitude accepted.
        max: f64,
    },
    /// A configuration value is out of its allowed range.
    #[error("invalid configuration `{field}`: {reason}")]
    InvalidConfig {
        /// The offending field.
        field: &'static str,
        /// Why it is rejected.
        reason: &'static str,
    },
    /// No task with this id is known.
    #[error("unknown task {0}")]
    UnknownTask(TaskId),
    /// A task with this id already exists.
    #[error("duplicate task {0}")]
    DuplicateTask(TaskId),
    /// No agent with this id is in the pool.
    #[error("unknown agent {0}")]
    UnknownAgent(AgentId),
    /// An agent with this id is already in the pool.
    #[error("duplicate agent {0}")]
    DuplicateAgent(AgentId),
    /// An id is not (or already) in an indexed queue.
    #[error("queue entry {id}: {reason}")]
    QueueEntry {
        /// The dense id.
        id: u32,
        /// `"unknown"` or `"duplicate"`.
        reason: &'static str,
    },
    /// The event does not apply to a task in its current state.
    #[error("task {task} is {state}; the operation needs it {expected}")]
    TaskState {
        /// The task.
        task: TaskId,
        /// Its current state.
        state: &'static str,
        /// The state the operation needs.
        expected: &'static str,
    },
    /// The event does not apply to an agent in its current state.
    #[error("agent {agent} is {state}; the operation needs it {expected}")]
    AgentState {
        /// The agent.
        agent: AgentId,
        /// Its current state.
        state: &'static str,
        /// The state the operation needs.
        expected: &'static str,
    },
    /// Members of a gang disagree about the gang's size.
    #[error("task {task}: gang {gang} was declared with size {expected}, got {got}")]
    GangSize {
        /// The task.
        task: TaskId,
        /// The gang.
        gang: GangId,
        /// The size the gang already has.
        expected: u32,
        /// The size this task declares.
        got: u32,
    },
    /// A gang already has as many members as its size.
    #[error("task {task}: gang {gang} already has {size} members")]
    GangFull {
        /// The task.
        task: TaskId,
        /// The gang.
        gang: GangId,
        /// The gang's size.
        size: u32,
    },
    /// The task can never be placed in this pool (larger than every agent, or no agent meets its
    /// hard constraints); the explanation says why.
    #[error("task {task} can never be placed in this pool: {explanation}")]
    NeverFits {
        /// The task.
        task: TaskId,
        /// Why, agent by agent.
        explanation: Box<Explanation>,
    },
    /// Time given to the dispatcher went backwards.
    #[error("time went backwards: now is {now:?}, got {got:?}")]
    TimeWentBackwards {
        /// The dispatcher's clock.
        now: f64,
        /// The time given.
        got: f64,
    },
    /// The task graph has a cycle; `task` is on it (the lowest id on the cycle found).
    #[error("the task graph has a cycle through task {task}")]
    Cycle {
        /// A task on the cycle.
        task: TaskId,
    },
    /// An edge from a task to itself.
    #[error("self-loop on task {task}")]
    SelfLoop {
        /// The task.
        task: TaskId,
    },
    /// A second edge with the same endpoints.
    #[error("duplicate edge {from} -> {to}")]
    DuplicateEdge {
        /// The edge's source.
        from: TaskId,
        /// The edge's target.
        to: TaskId,
    },
    /// A schedule breaks a rule of its problem (precedence, communication delay, overlap on an
    /// agent, a wrong duration or makespan).
    #[error("invalid schedule at task {task}: {reason}")]
    InvalidSchedule {
        /// The first task (lowest id) found breaking a rule.
        task: TaskId,
        /// Which rule, with the numbers.
        reason: String,
    },
    /// A task's fault-tolerance spec is invalid (a probability outside `[0, 1]`, a time that is
    /// negative or not finite), or the task can never complete under it (every attempt fails with
    /// probability 1).
    #[error("task {task}: fault spec `{field}`: {reason}")]
    InvalidFaultSpec {
        /// The task (by id).
        task: TaskId,
        /// The offending field: `failure`, `time`, `backups[k].failure`, `backups[k].time`.
        field: String,
        /// What is wrong, with the value.
        reason: String,
    },
    /// A benchmark instance file breaks its format.
    #[error("invalid instance: field `{field}`: {reason}")]
    InvalidInstance {
        /// The offending field (`etc[3][2]`, `machines`, ...); empty for malformed JSON.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// A tenant of a fair-sharing problem is invalid: a weight that is not finite and positive, a
    /// demand vector of the wrong length, or a demand that is zero in every dimension without a
    /// task limit (its allocation would be infinite).
    #[error("tenant {tenant}: `{field}`: {reason}")]
    InvalidTenant {
        /// The tenant's index in the input.
        tenant: usize,
        /// The offending field: `weight`, `demand`, `max_tasks`.
        field: &'static str,
        /// What is wrong, with the value.
        reason: String,
    },
    /// A cost of an agent (per unit of a resource, or fixed) is NaN, infinite or negative.
    #[error("agent {agent}: `{field}` must be finite and non-negative, got {value:?}")]
    InvalidCost {
        /// The agent.
        agent: AgentId,
        /// The offending field: `unit_cost[k]` or `fixed_cost`.
        field: String,
        /// The value given.
        value: f64,
    },
    /// Even all offers together cannot cover the demand (the first such dimension).
    #[error(
        "demand cannot be covered: dimension {dimension} needs {demand}, all offers together give {available} (short by {})",
        demand.saturating_sub(*available)
    )]
    Uncoverable {
        /// The dimension index.
        dimension: usize,
        /// The demand in that dimension.
        demand: u64,
        /// The capacity of all offers together in that dimension (`< demand`).
        available: u64,
    },
    /// A series or sample set has too few values for the model asked of it (an empty series, a
    /// series shorter than two seasons, fewer points than an AR order needs).
    #[error("{field}: needs at least {needed} values, got {got}")]
    TooFewValues {
        /// The offending input.
        field: &'static str,
        /// The least number of values the model needs.
        needed: usize,
        /// The number given.
        got: usize,
    },
    /// A least-squares system is singular: the features (or lagged values) are linearly
    /// dependent, so the coefficients are not determined. Regularise (ridge) or add data.
    #[error("{field}: singular system ({reason})")]
    Singular {
        /// The model or input whose system is singular.
        field: &'static str,
        /// Which direction is undetermined, in words.
        reason: &'static str,
    },
    /// A snapshot is inconsistent and cannot be restored.
    #[error("invalid snapshot: {reason}")]
    InvalidSnapshot {
        /// What is inconsistent.
        reason: String,
    },
}

/// `Result` with the crate's [`Error`](enum@Error).
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::Error;

    #[test]
    fn numbers_in_messages_stay_short() {
        // `Display` of 1e300 writes all 301 digits, which overflowed hosts' message buffers;
        // the messages use the shortest round-trip form instead.
        let e = Error::NotFinite {
            field: "runtime",
            value: 1e300,
        };
        assert_eq!(e.to_string(), "runtime must be finite, got 1e300");
        let e = Error::Negative {
            field: "cost",
            value: -2.5,
        };
        assert_eq!(e.to_string(), "cost must be non-negative, got -2.5");
        let e = Error::NotPositive {
            field: "dof",
            value: f64::NEG_INFINITY,
        };
        assert_eq!(e.to_string(), "dof must be positive, got -inf");
        let e = Error::TooLarge {
            field: "runtime",
            value: 1e300,
            max: 1e140,
        };
        assert_eq!(
            e.to_string(),
            "runtime must be at most 1e140 in magnitude, got 1e300"
        );
    }
}
