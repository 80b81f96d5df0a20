//! Migration plans: an ordered list of task moves that rebalances a running pool in the `L_i`
//! model of [`balance`](fn@super::balance), with every intermediate state within capacities.

use super::balance::{
    AgentLoad, BalanceAgent, add_into, agent_tables, check_agents, fits, improves, load_of,
    load_with, max_except, objective, sorted_unique, sub_from, top3,
};
use crate::model::{AgentId, TaskId};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// A running task: its id, demand vector, current agent, and whether it may move.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationTask {
    /// The task's id, unique among the tasks.
    pub id: TaskId,
    /// Demand per dimension, in the same units as the capacities.
    pub demand: Vec<u64>,
    /// The agent it runs on now.
    pub agent: AgentId,
    /// A pinned task never moves.
    pub pinned: bool,
}

/// What the plan aims for.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Target {
    /// Stop as soon as the maximum load is at most this value (finite, `>= 0`).
    MaxLoad(f64),
    /// As balanced as single moves can make it: continue until no move strictly reduces
    /// `(max load, sum of squared loads)`.
    Balanced,
}

/// Limits on a plan. Both limits apply when both are given; `None` means unlimited.
///
/// The demand limit is a vector (one entry per dimension, same units as the demands): the sum of
/// the demand vectors of the moves, counted once per move, must stay within it dimension by
/// dimension. A vector rather than a scalar sum because the dimensions have different units
/// (millicores and MiB do not add up), and migration cost usually lives in one of them (memory to
/// copy); give `u64::MAX` for the dimensions that do not matter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationBudget {
    /// Most moves in the plan.
    pub max_moves: Option<usize>,
    /// Most total migrated demand per dimension.
    pub max_demand: Option<Vec<u64>>,
}

/// One migration: `task` goes from `from` to `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Move {
    /// The task that moves.
    pub task: TaskId,
    /// The agent it leaves.
    pub from: AgentId,
    /// The agent it goes to.
    pub to: AgentId,
}

/// Why the planner stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MigrationStop {
    /// `Target::MaxLoad` is met.
    TargetMet,
    /// The plan has `max_moves` moves.
    MoveBudget,
    /// Every improving move would exceed the demand budget.
    DemandBudget,
    /// No single move (within capacities, of a non-pinned task) improves the state: for
    /// `Target::Balanced` this is the target. Under `Target::MaxLoad`, no move off an agent at the
    /// maximum load does (only those can lower the maximum).
    NoImprovingMove,
}

/// The result of [`plan_migration`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Migration {
    /// The moves, to apply in this order.
    pub moves: Vec<Move>,
    /// Per-agent loads before the moves, by increasing agent id.
    pub before: Vec<AgentLoad>,
    /// Per-agent loads after all the moves, by increasing agent id.
    pub after: Vec<AgentLoad>,
    /// Largest load before.
    pub max_load_before: f64,
    /// Largest load after.
    pub max_load_after: f64,
    /// Total migrated demand per dimension (each move counted).
    pub migrated_demand: Vec<u64>,
    /// `MaxLoad(x)`: the final maximum load is `<= x`. `Balanced`: the planner reached a state no
    /// single move improves.
    pub target_met: bool,
    /// Why the planner stopped.
    pub stop: MigrationStop,
}

/// Plans an ordered list of moves that brings the maximum load down to the target, or as close as
/// the budget allows, keeping capacities after every single move and never moving pinned tasks.
///
/// Greedy (the "move off the hottest host" scheme of Sandpiper, Wood et al., NSDI 2007): while
/// the target is not met and the budget allows, take the most loaded agent (lowest id among
/// ties), and among its non-pinned tasks and the other agents where the task fits now, apply the
/// move with the smallest resulting `(max load, sum of squared loads)` (ties: lowest task id, then
/// lowest agent id), provided it is strictly smaller than the current one. Under
/// [`Target::Balanced`], when no move off that agent qualifies (its tasks are pinned, or fit
/// nowhere), the next agents by decreasing load are tried the same way, so that the planner stops
/// only where no single move improves the objective; under [`Target::MaxLoad`] only the agents
/// tied at the maximum are tried (moves elsewhere cannot lower it). Each move goes from a
/// feasible state to a feasible state, so every prefix of the plan is feasible. The objective
/// strictly decreases, so no state repeats and the planner terminates even without a budget.
///
/// # Arguments
/// - `agents`: ids unique, capacities of one common length `d`.
/// - `tasks`: ids unique, demands of length `d`, each on a known agent, within capacities.
/// - `target`: [`Target::MaxLoad`] or [`Target::Balanced`].
/// - `budget`: [`MigrationBudget`] (moves and/or a per-dimension demand vector).
///
/// # Returns
/// A [`Migration`]: the moves, before/after loads, and whether the target was met.
///
/// # Complexity
/// Each move costs `O(n_a m d)` for `n_a` tasks on the most loaded agent, `m` agents and `d`
/// dimensions (under `Balanced`, plus `O(m log m)`, and the same again for each stuck agent
/// passed over); validation `O((n + m) log(n + m) + (n + m) d)`. Extra space `O((n + m) d)`.
///
/// # Errors
/// Nothing is planned unless the whole input is valid:
/// - [`Error::DimensionMismatch`] (`capacity`, `demand` or `max_demand`);
/// - [`Error::DuplicateAgent`] / [`Error::DuplicateTask`];
/// - [`Error::UnknownAgent`] for a task on an agent that is not given;
/// - [`Error::AgentState`] (state `"over capacity"`) when the current placement exceeds an
///   agent's capacity;
/// - [`Error::NotFinite`] / [`Error::Negative`] (`target`) for a bad `MaxLoad`.
///
/// # Example: drain a hot agent within two moves
/// ```
/// use agentsched::mapping::balance::BalanceAgent;
/// use agentsched::mapping::migrate::{plan_migration, MigrationBudget, MigrationTask, Target};
/// use agentsched::{AgentId, TaskId};
///
/// let agents = vec![
///     BalanceAgent { id: AgentId(0), capacity: vec![10] },
///     BalanceAgent { id: AgentId(1), capacity: vec![10] },
/// ];
/// let on0 = |id, d| MigrationTask { id: TaskId(id), demand: vec![d], agent: AgentId(0), pinned: false };
/// let tasks = vec![on0(0, 4), on0(1, 2), on0(2, 2)];
/// let budget = MigrationBudget { max_moves: Some(2), max_demand: None };
/// let plan = plan_migration(&agents, &tasks, Target::MaxLoad(0.6), &budget).unwrap();
/// assert_eq!(plan.max_load_before, 0.8);
/// assert_eq!(plan.moves.len(), 1); // task 0 (4) moves: loads 0.4 / 0.4
/// assert_eq!(plan.max_load_after, 0.4);
/// assert!(plan.target_met);
/// ```
pub fn plan_migration(
    agents: &[BalanceAgent],
    tasks: &[MigrationTask],
    target: Target,
    budget: &MigrationBudget,
) -> Result<Migration> {
    // ---- validation ----
    if let Target::MaxLoad(x) = target {
        crate::model::check_non_negative("target", x)?;
    }
    let dims = agents
        .first()
        .map(|a| a.capacity.len())
        .or_else(|| tasks.first().map(|t| t.demand.len()))
        .unwrap_or(0);
    let sorted_agents = check_agents(agents, dims)?;
    let sorted_tasks = sorted_unique(tasks, |t| t.id)?;
    if let Some(md) = &budget.max_demand
        && md.len() != dims
    {
        return Err(Error::DimensionMismatch {
            field: "max_demand",
            expected: dims,
            got: md.len(),
        });
    }
    let m = sorted_agents.len();
    let (index, caps) = agent_tables(&sorted_agents);
    let mut used: Vec<Vec<u64>> = vec![vec![0; dims]; m];
    let mut place: Vec<usize> = Vec::with_capacity(sorted_tasks.len());
    for t in &sorted_tasks {
        if t.demand.len() != dims {
            return Err(Error::DimensionMismatch {
                field: "demand",
                expected: dims,
                got: t.demand.len(),
            });
        }
        let ai = *index.get(&t.agent).ok_or(Error::UnknownAgent(t.agent))?;
        let (Some(u), Some(c)) = (used.get_mut(ai), caps.get(ai)) else {
            return Err(Error::UnknownAgent(t.agent));
        };
        if !fits(&t.demand, u, c) {
            return Err(Error::AgentState {
                agent: t.agent,
                state: "over capacity",
                expected: "within capacity",
            });
        }
        add_into(u, &t.demand);
        place.push(ai);
    }

    // ---- planning ----
    let report = |used: &[Vec<u64>]| -> Vec<AgentLoad> {
        sorted_agents
            .iter()
            .zip(used)
            .zip(&caps)
            .map(|((a, u), c)| AgentLoad {
                agent: a.id,
                used: u.clone(),
                load: load_of(u, c),
            })
            .collect()
    };
    let before = report(&used);
    let mut loads: Vec<f64> = before.iter().map(|l| l.load).collect();
    let max_load_before = objective(&loads).0;
    let mut on_agent: Vec<Vec<usize>> = vec![Vec::new(); m];
    for (ti, (&ai, t)) in place.iter().zip(&sorted_tasks).enumerate() {
        if !t.pinned
            && let Some(v) = on_agent.get_mut(ai)
        {
            v.push(ti);
        }
    }
    let mut moves = Vec::new();
    let mut migrated = vec![0u64; dims];
    let stop = loop {
        let (cur_max, cur_sq) = objective(&loads);
        if let Target::MaxLoad(x) = target
            && cur_max <= x
        {
            break MigrationStop::TargetMet;
        }
        if budget.max_moves.is_some_and(|mm| moves.len() >= mm) {
            break MigrationStop::MoveBudget;
        }
        let top = top3(&loads);
        // Only moves off the most loaded agents (several when tied) can lower the maximum, which
        // is all `MaxLoad` asks for. `Balanced` also takes moves that keep the maximum and lower the sum of
        // squares, so when the hottest agent is stuck (all pinned, nothing fits elsewhere) the
        // next ones are tried, hottest first (ties: lowest id).
        let order: Vec<usize> = match target {
            Target::MaxLoad(_) => (0..m).filter(|&i| loads.get(i) == Some(&cur_max)).collect(),
            Target::Balanced => {
                let mut o: Vec<usize> = (0..m).collect();
                o.sort_by(|&x, &y| {
                    let (lx, ly) = (loads.get(x), loads.get(y));
                    ly.partial_cmp(&lx)
                        .unwrap_or(std::cmp::Ordering::Equal)
                        .then(x.cmp(&y))
                });
                o
            }
        };
        let mut best: Option<(f64, f64, usize, usize, usize)> = None;
        let mut blocked = false;
        for &a in &order {
            let (Some(ua), Some(ca), Some(&la)) = (used.get(a), caps.get(a), loads.get(a)) else {
                continue;
            };
            for &t in on_agent.get(a).map(Vec::as_slice).unwrap_or(&[]) {
                let Some(task) = sorted_tasks.get(t) else {
                    continue;
                };
                let dt = task.demand.as_slice();
                let new_a = load_with(ua, &[], dt, ca);
                let within_budget = budget.max_demand.as_ref().is_none_or(|md| {
                    dt.iter()
                        .zip(md)
                        .zip(&migrated)
                        .all(|((&d, &mx), &done)| d <= mx.saturating_sub(done))
                });
                for (b, (ub, cb)) in used.iter().zip(&caps).enumerate() {
                    if b == a || !fits(dt, ub, cb) {
                        continue;
                    }
                    let lb = loads.get(b).copied().unwrap_or(0.0);
                    let new_b = load_with(ub, dt, &[], cb);
                    let mx = max_except(&loads, &top, a, b).max(new_a).max(new_b);
                    let dsq = new_a * new_a + new_b * new_b - la * la - lb * lb;
                    if !improves(mx, dsq, cur_max, cur_sq) {
                        continue;
                    }
                    if !within_budget {
                        blocked = true;
                        continue;
                    }
                    if best.is_none_or(|(bm, bs, _, _, _)| mx < bm || (mx == bm && dsq < bs)) {
                        best = Some((mx, dsq, a, t, b));
                    }
                }
            }
            if best.is_some() {
                break;
            }
        }
        let Some((_, _, a, t, b)) = best else {
            break if blocked {
                MigrationStop::DemandBudget
            } else {
                MigrationStop::NoImprovingMove
            };
        };
        let Some(task) = sorted_tasks.get(t) else {
            break MigrationStop::NoImprovingMove;
        };
        if let Some(ua) = used.get_mut(a) {
            sub_from(ua, &task.demand);
        }
        if let Some(ub) = used.get_mut(b) {
            add_into(ub, &task.demand);
        }
        add_into(&mut migrated, &task.demand);
        if let Some(v) = on_agent.get_mut(a) {
            v.retain(|&x| x != t);
        }
        if let Some(v) = on_agent.get_mut(b) {
            v.push(t);
            v.sort_unstable();
        }
        for i in [a, b] {
            if let (Some(l), Some(u), Some(c)) = (loads.get_mut(i), used.get(i), caps.get(i)) {
                *l = load_of(u, c);
            }
        }
        if let (Some(from), Some(to)) = (sorted_agents.get(a), sorted_agents.get(b)) {
            moves.push(Move {
                task: task.id,
                from: from.id,
                to: to.id,
            });
        }
    };
    let after = report(&used);
    let max_load_after = objective(&loads).0;
    let target_met = match target {
        Target::MaxLoad(x) => max_load_after <= x,
        Target::Balanced => stop == MigrationStop::NoImprovingMove,
    };
    Ok(Migration {
        moves,
        before,
        after,
        max_load_before,
        max_load_after,
        migrated_demand: migrated,
        target_met,
        stop,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balanced_spreads_and_respects_pins() {
        let agents = [
            BalanceAgent {
                id: AgentId(0),
                capacity: vec![10],
            },
            BalanceAgent {
                id: AgentId(1),
                capacity: vec![10],
            },
        ];
        let t = |id, d, pinned| MigrationTask {
            id: TaskId(id),
            demand: vec![d],
            agent: AgentId(0),
            pinned,
        };
        let tasks = [t(0, 5, true), t(1, 3, false), t(2, 2, false)];
        let plan = plan_migration(
            &agents,
            &tasks,
            Target::Balanced,
            &MigrationBudget::default(),
        )
        .unwrap();
        assert_eq!(plan.max_load_after, 0.5);
        assert!(plan.moves.iter().all(|m| m.task != TaskId(0)));
        assert!(plan.target_met);
        assert_eq!(plan.stop, MigrationStop::NoImprovingMove);
    }
}
