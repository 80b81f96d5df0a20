//! Placement: consolidation onto the fewest hosts, hybrid-cloud cost-aware placement, fair sharing.
//!
//! - [`vbp`]: vector bin packing (consolidation onto identical hosts): first-fit decreasing on an
//!   index over host free space, best-fit, the bin-centric heuristics of Panigrahy et al. (2011),
//!   an improvement phase and lower bounds with every result's gap;
//!   [`vbp_instance`] reads benchmark files of kind `vbp`.
//! - [`fair`]: dividing a pool's capacity among tenants: weighted Dominant Resource Fairness
//!   (continuous and per-task), weighted max-min fairness on one resource, and the allocation
//!   that maximises the weighted number of tasks within capacity (an exact small LP).

pub mod fair;
pub mod vbp;
pub mod vbp_instance;
