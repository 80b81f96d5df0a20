//! Placement: consolidation, hybrid-cloud cost, fair sharing.
//!
//! - [`fair`]: dividing a pool's capacity among tenants: weighted Dominant Resource Fairness
//!   (continuous and per-task), weighted max-min fairness on one resource, and the allocation
//!   that maximises the weighted number of tasks within capacity (an exact small LP).

pub mod fair;
