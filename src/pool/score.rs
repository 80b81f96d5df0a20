//! Placement scores, and the interval bounds the fit index prunes with.
//!
//! A score is "higher is better"; ties break by the lowest agent id. Every score is computed by
//! one function, [`eval`], over per-dimension *intervals* of an agent's free fraction and
//! capacity. For a single agent the intervals are points and `eval` is the exact score; for a
//! subtree of the index they cover every agent below, and because `eval` is monotone in each
//! interval end (and IEEE rounding is monotone) its value bounds every agent's score from above,
//! bit for bit. That is what makes the indexed search return exactly what a full scan returns.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// How a pool ranks the agents that can take a task.
///
/// Hard constraints (fit, labels, tier/sensitivity, state) come first; among the agents that
/// pass, the highest score wins and ties go to the lowest agent id.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Scoring {
    /// Spread: the least loaded agent first (lowest `L = sum_j used_j / capacity_j`).
    #[default]
    LeastAllocated,
    /// Bin-pack: the most loaded agent that still fits first (highest `L`).
    MostAllocated,
    /// Balanced allocation: after placement, the smallest spread (max - min) of utilisation over
    /// the dimensions the task asks for; score `1 - spread`.
    Balanced,
    /// Tetris alignment (Grandl et al., SIGCOMM 2014): `sum_j (d_j / c_j) * (free_j / c_j)` over
    /// the dimensions the task asks for.
    DotProduct,
    /// The cheapest agent (lowest cost per unit time) first.
    LowestCost,
    /// A weighted sum of the scores above.
    Weighted(Weights),
}

/// Weights of a [`Scoring::Weighted`] mix; each finite and `>= 0`, not all zero.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct Weights {
    /// Weight of `-L` (spread).
    pub least_allocated: f64,
    /// Weight of `L` (bin-pack).
    pub most_allocated: f64,
    /// Weight of the balanced-allocation score.
    pub balanced: f64,
    /// Weight of the Tetris alignment score.
    pub dot_product: f64,
    /// Weight of `-cost_per_time`.
    pub lowest_cost: f64,
}

impl Scoring {
    /// The equivalent weights, validated.
    ///
    /// # Errors
    /// [`Error::NotFinite`]/[`Error::Negative`] for a bad weight, [`Error::InvalidConfig`] when
    /// all weights are zero.
    pub fn weights(&self) -> Result<Weights> {
        let one = |f: fn(&mut Weights)| {
            let mut w = Weights::default();
            f(&mut w);
            w
        };
        let w = match self {
            Scoring::LeastAllocated => one(|w| w.least_allocated = 1.0),
            Scoring::MostAllocated => one(|w| w.most_allocated = 1.0),
            Scoring::Balanced => one(|w| w.balanced = 1.0),
            Scoring::DotProduct => one(|w| w.dot_product = 1.0),
            Scoring::LowestCost => one(|w| w.lowest_cost = 1.0),
            Scoring::Weighted(w) => *w,
        };
        let fields = [
            ("weights.least_allocated", w.least_allocated),
            ("weights.most_allocated", w.most_allocated),
            ("weights.balanced", w.balanced),
            ("weights.dot_product", w.dot_product),
            ("weights.lowest_cost", w.lowest_cost),
        ];
        for (field, v) in fields {
            crate::model::check_non_negative(field, v)?;
        }
        if fields.iter().all(|(_, v)| *v == 0.0) {
            return Err(Error::InvalidConfig {
                field: "scoring",
                reason: "all weights are zero",
            });
        }
        Ok(w)
    }
}

impl Weights {
    /// Whether the score depends on the task's demand (balanced or dot-product terms).
    pub(crate) fn demand_dependent(&self) -> bool {
        self.balanced > 0.0 || self.dot_product > 0.0
    }

    /// The demand-independent part of the score, from an agent's load and cost.
    #[inline]
    pub(crate) fn static_score(&self, load: f64, cost: f64) -> f64 {
        let mut s = 0.0;
        if self.most_allocated > 0.0 {
            s += self.most_allocated * load;
        }
        if self.least_allocated > 0.0 {
            s -= self.least_allocated * load;
        }
        if self.lowest_cost > 0.0 {
            s -= self.lowest_cost * cost;
        }
        s + 0.0
    }
}

/// One dimension's intervals: free fraction in `[fmin, fmax]`, positive capacity in
/// `[capmin, capmax]`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DimBounds {
    pub fmin: f64,
    pub fmax: f64,
    pub capmin: u64,
    pub capmax: u64,
}

/// The score (for a point) or an upper bound on it (for intervals).
///
/// `smax` bounds the static part; `dims(j)` gives dimension `j`'s intervals. Dimensions the task
/// does not ask for (`d_j = 0`) take no part in the demand-dependent terms.
#[inline]
pub(crate) fn eval(
    w: &Weights,
    smax: f64,
    demand: &[u64],
    dims: impl Fn(usize) -> DimBounds,
) -> f64 {
    let mut total = smax;
    if !w.demand_dependent() {
        return total;
    }
    let mut dot = 0.0;
    let mut u_lo_max = f64::NEG_INFINITY;
    let mut u_hi_min = f64::INFINITY;
    let mut asked = 0usize;
    for (j, &d) in demand.iter().enumerate() {
        if d == 0 {
            continue;
        }
        asked += 1;
        let b = dims(j);
        let d = d as f64;
        // Largest share of the agent this demand can be: smallest capacity.
        let share_hi = d / b.capmin as f64;
        let share_lo = d / b.capmax as f64;
        dot += share_hi * b.fmax;
        // Utilisation after placement, u = 1 - (f - share), lies in [u_lo, u_hi].
        let u_lo = 1.0 - (b.fmax - share_lo);
        let u_hi = 1.0 - (b.fmin - share_hi);
        u_lo_max = u_lo_max.max(u_lo);
        u_hi_min = u_hi_min.min(u_hi);
    }
    if w.dot_product > 0.0 {
        total += w.dot_product * dot;
    }
    if w.balanced > 0.0 {
        let spread = if asked <= 1 {
            0.0
        } else {
            (u_lo_max - u_hi_min).max(0.0)
        };
        total += w.balanced * (1.0 - spread);
    }
    total + 0.0
}
