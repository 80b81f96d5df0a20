//! Placement: consolidation onto the fewest hosts, hybrid-cloud cost-aware placement, fair sharing.

pub mod vbp;
