//! The event-driven online dispatcher.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a task cannot be placed (placeholder while the dispatcher is written).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "explanation")
    }
}
