//! Placement: consolidation onto the fewest hosts, hybrid-cloud cost-aware placement, fair sharing.
//!
//! - [`vbp`]: vector bin packing (consolidation onto identical hosts): first-fit decreasing on an
//!   index over host free space, best-fit, the bin-centric heuristics of Panigrahy et al. (2011),
//!   an improvement phase and lower bounds with every result's gap;
//!   [`vbp_instance`] reads benchmark files of kind `vbp`.
//! - [`consolidate`]: consolidation plans for a running placement: which hosts to empty and an
//!   ordered list of migrations that keeps every capacity at every step, pinned items and a budget.
//! - [`completion`]: bin completion, a bounded exact search (Korf 2003) with a large
//!   neighbourhood search, which proves optimality when it can; used by [`vbp::best`].
//! - [`fair`]: dividing a pool's capacity among tenants: weighted Dominant Resource Fairness
//!   (continuous and per-task), weighted max-min fairness on one resource, and the allocation
//!   that maximises the weighted number of tasks within capacity (an exact small LP).
//! - [`hybrid`]: hybrid-cloud cost-aware placement (private and public agents, per-unit and fixed
//!   costs, the data-sensitivity rule) and consolidation onto heterogeneous hosts with costs, with
//!   an LP lower bound and the reason for every task left out.
//! - [`cover`]: renting nodes: the cheapest set of offered nodes whose total capacity covers a
//!   demand vector (branch and bound for small instances, greedy and local search beyond, with
//!   lower bounds).
//! - [`lp`]: a small dense two-phase simplex solver, for the LP bounds.

pub mod completion;
pub mod consolidate;
pub mod cover;
pub mod fair;
pub mod hybrid;
pub mod lp;
mod repartition;
pub mod vbp;
pub mod vbp_instance;
