//! Batch mapping of independent tasks onto heterogeneous machines (R||Cmax): ETC heuristics,
//! local search, lower bounds, load balancing with resource vectors, and migration plans.
//!
//! The input of the makespan heuristics is an [`EtcMatrix`]: `etc[t][p]`, the expected time to
//! compute task `t` on machine `p` (finite, `> 0`), with optional machine ready times. Every
//! algorithm returns a [`Mapping`]; ties break by the lowest task, then the lowest machine.

pub mod balance;
pub mod bounds;
pub mod heuristics;
pub mod instance;
pub mod migrate;
pub mod search;

pub use balance::{
    AgentLoad, Balance, BalanceAgent, BalanceOptions, BalanceTask, Unplaced, balance,
};
pub use migrate::{
    Migration, MigrationBudget, MigrationStop, MigrationTask, Move, Target, plan_migration,
};

use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// An expected-time-to-compute matrix, validated: `tasks x machines` finite positive times, and
/// one finite non-negative ready time per machine.
///
/// # Example
/// ```
/// use agentsched::mapping::EtcMatrix;
/// let etc = EtcMatrix::new(2, 3, vec![12.0, 30.5, 8.0, 4.0, 4.5, 9.0]).unwrap();
/// assert_eq!(etc.time(1, 2), 9.0);
/// assert!(EtcMatrix::new(1, 2, vec![1.0, f64::NAN]).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EtcMatrix {
    tasks: usize,
    machines: usize,
    /// Row-major: `etc[t * machines + p]`.
    etc: Vec<f64>,
    ready: Vec<f64>,
}

impl EtcMatrix {
    /// A matrix of `tasks x machines` times in row-major order, all machines ready at 0.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for zero machines, [`Error::DimensionMismatch`] (`etc`) when
    /// `etc.len() != tasks * machines`, [`Error::NotFinite`]/[`Error::Negative`]/
    /// [`Error::NotPositive`] (`etc`) for a bad time.
    pub fn new(tasks: usize, machines: usize, etc: Vec<f64>) -> Result<Self> {
        Self::with_ready(tasks, machines, etc, vec![0.0; machines])
    }

    /// As [`EtcMatrix::new`], with machine ready times.
    ///
    /// # Errors
    /// As [`EtcMatrix::new`]; [`Error::DimensionMismatch`] (`ready`) and
    /// [`Error::NotFinite`]/[`Error::Negative`] (`ready`) for the ready times.
    pub fn with_ready(
        tasks: usize,
        machines: usize,
        etc: Vec<f64>,
        ready: Vec<f64>,
    ) -> Result<Self> {
        if machines == 0 {
            return Err(Error::InvalidConfig {
                field: "machines",
                reason: "at least one machine is needed",
            });
        }
        let cells = tasks.checked_mul(machines).ok_or(Error::Overflow {
            field: "etc",
            dimension: 0,
        })?;
        if etc.len() != cells {
            return Err(Error::DimensionMismatch {
                field: "etc",
                expected: cells,
                got: etc.len(),
            });
        }
        if ready.len() != machines {
            return Err(Error::DimensionMismatch {
                field: "ready",
                expected: machines,
                got: ready.len(),
            });
        }
        for &v in &etc {
            crate::model::check_positive("etc", v)?;
        }
        let ready = ready
            .into_iter()
            .map(|r| crate::model::check_non_negative("ready", r))
            .collect::<Result<Vec<f64>>>()?;
        Ok(EtcMatrix {
            tasks,
            machines,
            etc,
            ready,
        })
    }

    /// Number of tasks.
    pub fn tasks(&self) -> usize {
        self.tasks
    }

    /// Number of machines.
    pub fn machines(&self) -> usize {
        self.machines
    }

    /// `etc[t][p]`. Panics if out of range (indices are the caller's loop bounds, never input).
    #[inline]
    pub fn time(&self, t: usize, p: usize) -> f64 {
        self.etc[t * self.machines + p]
    }

    /// Task `t`'s row.
    #[inline]
    pub fn row(&self, t: usize) -> &[f64] {
        &self.etc[t * self.machines..(t + 1) * self.machines]
    }

    /// All times, row-major (`etc[t * machines + p]`).
    #[inline]
    pub(crate) fn as_slice(&self) -> &[f64] {
        &self.etc
    }

    /// Machine ready times.
    pub fn ready(&self) -> &[f64] {
        &self.ready
    }
}

/// An assignment of every task to a machine, with per-machine completion times.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mapping {
    /// `assignment[t]` = the machine of task `t`.
    pub assignment: Vec<usize>,
    /// Completion time per machine: ready time plus the times of its tasks.
    pub completion: Vec<f64>,
    /// The largest completion time.
    pub makespan: f64,
}

impl Mapping {
    /// Builds a mapping from an assignment, recomputing completion times and the makespan.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] (`assignment`) for the wrong length,
    /// [`Error::InvalidConfig`] (`assignment`) for a machine out of range.
    pub fn from_assignment(etc: &EtcMatrix, assignment: Vec<usize>) -> Result<Self> {
        if assignment.len() != etc.tasks() {
            return Err(Error::DimensionMismatch {
                field: "assignment",
                expected: etc.tasks(),
                got: assignment.len(),
            });
        }
        let mut completion = etc.ready().to_vec();
        for (t, &p) in assignment.iter().enumerate() {
            let c = completion.get_mut(p).ok_or(Error::InvalidConfig {
                field: "assignment",
                reason: "machine out of range",
            })?;
            *c += etc.time(t, p);
        }
        let makespan = completion.iter().copied().fold(0.0, f64::max);
        Ok(Mapping {
            assignment,
            completion,
            makespan,
        })
    }
}
