//! A small dense linear-programming solver: the two-phase primal simplex method on a full tableau.
//!
//! Meant for the lower bounds of the placement heuristics (the LP relaxation of
//! [`hybrid`](super::hybrid) placement), where the programs have at most a few thousand columns
//! and a few hundred rows; it is not a general-purpose LP code (no sparse LU, no presolve, no
//! bound handling beyond `x >= 0`).
//!
//! Method (Dantzig 1951; the textbook form of Chvátal, *Linear Programming*, 1983, ch. 2–3 and
//! 8): every row is scaled so that its largest coefficient is 1 in absolute value and its
//! right-hand side is `>= 0`; `<=` rows get a slack, `>=` rows a surplus and an artificial
//! variable, `=` rows an artificial. Phase 1 minimises the sum of the artificials (a positive
//! optimum means infeasible), artificials still basic at zero are pivoted out where the row has
//! another non-zero (otherwise the row is redundant and stays inert), and phase 2 minimises the
//! objective over the original columns.
//!
//! Pivot rules: entering column by the most negative reduced cost (Dantzig's rule, ties by the
//! lowest column); leaving row by the minimum ratio, ties by the lowest basic column index. After
//! `rows + columns` consecutive degenerate pivots the solver switches for good to Bland's rule
//! (lowest-index entering column with a negative reduced cost), which cannot cycle (Bland 1977);
//! a pivot budget bounds the work regardless ([`LpOutcome::IterationLimit`]).
//!
//! Tolerances (fixed, documented so that callers can widen their margins): a pivot element must
//! exceed [`PIVOT_TOL`] in absolute value; a reduced cost is negative below `-`[`OPT_TOL`]; phase 1
//! declares infeasibility when the artificials sum to more than [`FEAS_TOL`] (rows are scaled to
//! unit largest coefficient, so this is relative to the row sizes). The objective returned is
//! recomputed as `c . x` from the primal solution; callers that need a *valid* bound from it
//! should subtract a small relative margin (the placement bound subtracts `1e-7 * max(1, |z|)`).

use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// Smallest absolute value accepted as a pivot element.
pub const PIVOT_TOL: f64 = 1e-9;
/// A reduced cost below `-OPT_TOL` makes its column an improving candidate.
pub const OPT_TOL: f64 = 1e-9;
/// Phase 1 declares the program infeasible when the artificials sum to more than this.
pub const FEAS_TOL: f64 = 1e-7;

/// The sense of a constraint row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Relation {
    /// `a . x <= b`.
    Le,
    /// `a . x >= b`.
    Ge,
    /// `a . x = b`.
    Eq,
}

/// One constraint `sum coeffs[k].1 * x[coeffs[k].0]  (relation)  rhs`; repeated columns add up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Constraint {
    /// `(column, coefficient)` pairs; columns not listed have coefficient 0.
    pub coeffs: Vec<(usize, f64)>,
    /// The row's sense.
    pub relation: Relation,
    /// The right-hand side.
    pub rhs: f64,
}

/// `minimise objective . x` subject to `constraints` and `x >= 0`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearProgram {
    /// One cost per variable: its length is the number of variables.
    pub objective: Vec<f64>,
    /// The rows.
    pub constraints: Vec<Constraint>,
}

/// What the simplex method found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum LpOutcome {
    /// An optimal basic solution.
    Optimal {
        /// One value per variable.
        x: Vec<f64>,
        /// `objective . x`.
        objective: f64,
        /// Pivots performed (both phases).
        pivots: u64,
    },
    /// No `x >= 0` satisfies the constraints.
    Infeasible,
    /// The objective decreases without bound over the feasible set.
    Unbounded,
    /// The pivot budget ran out first.
    IterationLimit,
}

fn bad(field: String, reason: String) -> Error {
    Error::InvalidInstance { field, reason }
}

/// Solves a linear program in `x >= 0` by the two-phase dense simplex method.
///
/// # Arguments
/// - `lp`: the program (minimisation); every number finite, every column index `<` the number of
///   variables.
/// - `max_pivots`: the pivot budget over both phases.
///
/// # Returns
/// [`LpOutcome::Optimal`] with a basic optimal solution, or `Infeasible`, `Unbounded`,
/// `IterationLimit`. Deterministic (see the module docs for the pivot rules).
///
/// # Complexity
/// `O((m + 1) * (n + m + 1))` time per pivot and the same extra space for the tableau, `m` rows
/// and `n` variables; the number of pivots is exponential in the worst case (Klee–Minty) and
/// usually a small multiple of `m` in practice, bounded by `max_pivots`.
///
/// # Errors
/// [`Error::InvalidInstance`] naming the field: `objective[j]` or `constraints[i].rhs` or
/// `constraints[i].coeffs[k]` when not finite, `constraints[i].coeffs[k]` when the column is out
/// of range; [`Error::Overflow`] (`lp tableau`) when the tableau's size overflows `usize`.
///
/// # Example: Chvátal's first example (optimum 13 at `(2, 0, 1)`)
/// ```
/// use agentsched::placement::lp::{solve, Constraint, LinearProgram, LpOutcome, Relation};
/// let row = |c: &[f64], b: f64| Constraint {
///     coeffs: c.iter().copied().enumerate().collect(),
///     relation: Relation::Le,
///     rhs: b,
/// };
/// let lp = LinearProgram {
///     objective: vec![-5.0, -4.0, -3.0], // maximise 5x1 + 4x2 + 3x3
///     constraints: vec![
///         row(&[2.0, 3.0, 1.0], 5.0),
///         row(&[4.0, 1.0, 2.0], 11.0),
///         row(&[3.0, 4.0, 2.0], 8.0),
///     ],
/// };
/// let LpOutcome::Optimal { x, objective, .. } = solve(&lp, 1_000)? else { panic!() };
/// assert!((objective + 13.0).abs() < 1e-9);
/// assert!((x[0] - 2.0).abs() < 1e-9 && x[1].abs() < 1e-9 && (x[2] - 1.0).abs() < 1e-9);
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn solve(lp: &LinearProgram, max_pivots: u64) -> Result<LpOutcome> {
    let n = lp.objective.len();
    for (j, c) in lp.objective.iter().enumerate() {
        if !c.is_finite() {
            return Err(bad(format!("objective[{j}]"), format!("not finite: {c}")));
        }
    }
    for (i, row) in lp.constraints.iter().enumerate() {
        if !row.rhs.is_finite() {
            return Err(bad(
                format!("constraints[{i}].rhs"),
                format!("not finite: {}", row.rhs),
            ));
        }
        for (k, &(col, a)) in row.coeffs.iter().enumerate() {
            if col >= n {
                return Err(bad(
                    format!("constraints[{i}].coeffs[{k}]"),
                    format!("column {col} out of range (there are {n} variables)"),
                ));
            }
            if !a.is_finite() {
                return Err(bad(
                    format!("constraints[{i}].coeffs[{k}]"),
                    format!("not finite: {a}"),
                ));
            }
        }
    }
    Tableau::build(lp)?.run(lp, max_pivots)
}

struct Tableau {
    rows: usize,
    /// Columns without the right-hand side: `n` structural, then slacks/surpluses, then
    /// artificials.
    cols: usize,
    /// First artificial column.
    art: usize,
    /// `rows x (cols + 1)`, row-major; the last entry of a row is its right-hand side.
    t: Vec<f64>,
    /// Reduced costs (`cols` entries) and minus the objective value (last entry).
    z: Vec<f64>,
    basis: Vec<usize>,
    pivots: u64,
    bland: bool,
    degenerate_run: usize,
}

enum Step {
    Optimal,
    Unbounded,
    Limit,
}

impl Tableau {
    fn build(lp: &LinearProgram) -> Result<Self> {
        let n = lp.objective.len();
        let m = lp.constraints.len();
        // Dense rows, scaled, with rhs >= 0.
        let mut dense: Vec<(Vec<f64>, Relation, f64)> = Vec::with_capacity(m);
        for row in &lp.constraints {
            let mut a = vec![0.0; n];
            for &(col, v) in &row.coeffs {
                if let Some(slot) = a.get_mut(col) {
                    *slot += v;
                }
            }
            let scale = a.iter().fold(0.0f64, |s, v| s.max(v.abs()));
            let mut b = row.rhs;
            let mut rel = row.relation;
            if scale > 0.0 {
                a.iter_mut().for_each(|v| *v /= scale);
                b /= scale;
            }
            if b < 0.0 {
                a.iter_mut().for_each(|v| *v = -*v);
                b = -b;
                rel = match rel {
                    Relation::Le => Relation::Ge,
                    Relation::Ge => Relation::Le,
                    Relation::Eq => Relation::Eq,
                };
            }
            dense.push((a, rel, b));
        }
        let slacks = dense.iter().filter(|(_, r, _)| *r != Relation::Eq).count();
        let arts = dense.iter().filter(|(_, r, _)| *r != Relation::Le).count();
        let overflow = || Error::Overflow {
            field: "lp tableau",
            dimension: 0,
        };
        let cols = n
            .checked_add(slacks)
            .and_then(|c| c.checked_add(arts))
            .ok_or_else(overflow)?;
        let width = cols.checked_add(1).ok_or_else(overflow)?;
        let cells = m.checked_mul(width).ok_or_else(overflow)?;
        let mut t = vec![0.0; cells];
        let mut basis = vec![0; m];
        let art = n + slacks;
        let (mut s, mut a_col) = (n, art);
        for (i, (a, rel, b)) in dense.into_iter().enumerate() {
            let r = &mut t[i * width..(i + 1) * width];
            r[..n].copy_from_slice(&a);
            r[cols] = b;
            match rel {
                Relation::Le => {
                    r[s] = 1.0;
                    basis[i] = s;
                    s += 1;
                }
                Relation::Ge => {
                    r[s] = -1.0;
                    s += 1;
                    r[a_col] = 1.0;
                    basis[i] = a_col;
                    a_col += 1;
                }
                Relation::Eq => {
                    r[a_col] = 1.0;
                    basis[i] = a_col;
                    a_col += 1;
                }
            }
        }
        Ok(Tableau {
            rows: m,
            cols,
            art,
            t,
            z: vec![0.0; width],
            basis,
            pivots: 0,
            bland: false,
            degenerate_run: 0,
        })
    }

    fn width(&self) -> usize {
        self.cols + 1
    }

    /// Sets the reduced-cost row for column costs `c` (columns beyond `c` cost 0).
    fn price(&mut self, c: &dyn Fn(usize) -> f64) {
        let w = self.width();
        for j in 0..w {
            self.z[j] = if j < self.cols { c(j) } else { 0.0 };
        }
        for i in 0..self.rows {
            let cb = c(self.basis[i]);
            if cb != 0.0 {
                let row = &self.t[i * w..(i + 1) * w];
                for (zj, &a) in self.z.iter_mut().zip(row) {
                    *zj -= cb * a;
                }
            }
        }
    }

    fn pivot(&mut self, r: usize, e: usize) {
        let w = self.width();
        let p = self.t[r * w + e];
        {
            let row = &mut self.t[r * w..(r + 1) * w];
            row.iter_mut().for_each(|v| *v /= p);
            row[e] = 1.0;
        }
        let (before, rest) = self.t.split_at_mut(r * w);
        let (prow, after) = rest.split_at_mut(w);
        for other in before.chunks_exact_mut(w).chain(after.chunks_exact_mut(w)) {
            let f = other[e];
            if f != 0.0 {
                for (o, &pv) in other.iter_mut().zip(prow.iter()) {
                    *o -= f * pv;
                }
                other[e] = 0.0;
            }
        }
        let f = self.z[e];
        if f != 0.0 {
            for (o, &pv) in self.z.iter_mut().zip(prow.iter()) {
                *o -= f * pv;
            }
            self.z[e] = 0.0;
        }
        self.basis[r] = e;
        self.pivots += 1;
    }

    /// Simplex iterations over the columns `< allowed` until optimal, unbounded or out of budget.
    fn iterate(&mut self, allowed: usize, max_pivots: u64) -> Step {
        let w = self.width();
        loop {
            let mut enter = None;
            let mut best = -OPT_TOL;
            for j in 0..allowed {
                let d = self.z[j];
                if d < best {
                    enter = Some(j);
                    best = d;
                    if self.bland {
                        break;
                    }
                }
            }
            let Some(e) = enter else {
                return Step::Optimal;
            };
            let mut leave: Option<(usize, f64)> = None;
            for i in 0..self.rows {
                let a = self.t[i * w + e];
                if a > PIVOT_TOL {
                    let ratio = self.t[i * w + self.cols].max(0.0) / a;
                    let better = match leave {
                        None => true,
                        Some((l, lr)) => {
                            ratio < lr || (ratio == lr && self.basis[i] < self.basis[l])
                        }
                    };
                    if better {
                        leave = Some((i, ratio));
                    }
                }
            }
            let Some((r, ratio)) = leave else {
                return Step::Unbounded;
            };
            if self.pivots >= max_pivots {
                return Step::Limit;
            }
            if ratio <= PIVOT_TOL {
                self.degenerate_run += 1;
                if self.degenerate_run > self.rows + self.cols {
                    self.bland = true;
                }
            } else {
                self.degenerate_run = 0;
            }
            self.pivot(r, e);
        }
    }

    fn run(mut self, lp: &LinearProgram, max_pivots: u64) -> Result<LpOutcome> {
        let w = self.width();
        let n = lp.objective.len();
        if self.art < self.cols {
            let art = self.art;
            self.price(&|j| if j >= art { 1.0 } else { 0.0 });
            match self.iterate(self.cols, max_pivots) {
                Step::Optimal => {}
                // Phase 1 is bounded below by 0: "unbounded" can only be numerical trouble.
                Step::Unbounded | Step::Limit => return Ok(LpOutcome::IterationLimit),
            }
            if -self.z[self.cols] > FEAS_TOL {
                return Ok(LpOutcome::Infeasible);
            }
            for i in 0..self.rows {
                if self.basis[i] >= self.art {
                    let row = &self.t[i * w..i * w + self.art];
                    let col = row
                        .iter()
                        .enumerate()
                        .filter(|(_, a)| a.abs() > PIVOT_TOL)
                        .max_by(|x, y| x.1.abs().total_cmp(&y.1.abs()).then(y.0.cmp(&x.0)))
                        .map(|(j, _)| j);
                    // Without such a column the row is redundant: its artificial stays basic
                    // at zero and, barred from re-entering, keeps the row inert.
                    if let Some(j) = col {
                        self.pivot(i, j);
                    }
                }
            }
        }
        self.bland = false;
        self.degenerate_run = 0;
        let cost = |j: usize| lp.objective.get(j).copied().unwrap_or(0.0);
        self.price(&cost);
        match self.iterate(self.art, max_pivots) {
            Step::Optimal => {}
            Step::Unbounded => return Ok(LpOutcome::Unbounded),
            Step::Limit => return Ok(LpOutcome::IterationLimit),
        }
        let mut x = vec![0.0; n];
        for i in 0..self.rows {
            if let Some(v) = x.get_mut(self.basis[i]) {
                *v = self.t[i * w + self.cols].max(0.0);
            }
        }
        let objective = x.iter().zip(&lp.objective).map(|(a, b)| a * b).sum();
        Ok(LpOutcome::Optimal {
            x,
            objective,
            pivots: self.pivots,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn le(c: &[f64], b: f64) -> Constraint {
        Constraint {
            coeffs: c.iter().copied().enumerate().collect(),
            relation: Relation::Le,
            rhs: b,
        }
    }

    /// Beale's example ("Cycling in the dual simplex algorithm", 1955, as in Chvátal 1983 and
    /// Bertsimas–Tsitsiklis 1997), which cycles under Dantzig's rule with naive tie-breaking;
    /// optimum -1/20 at x4 = 1/25, x6 = 1.
    #[test]
    fn beale_cycling_example_terminates_at_the_optimum() {
        let lp = LinearProgram {
            objective: vec![-0.75, 150.0, -0.02, 6.0],
            constraints: vec![
                le(&[0.25, -60.0, -0.04, 9.0], 0.0),
                le(&[0.5, -90.0, -0.02, 3.0], 0.0),
                le(&[0.0, 0.0, 1.0, 0.0], 1.0),
            ],
        };
        match solve(&lp, 1_000).unwrap() {
            LpOutcome::Optimal { objective, x, .. } => {
                assert!((objective + 0.05).abs() < 1e-9, "{objective}");
                assert!((x[0] - 0.04).abs() < 1e-9 && (x[2] - 1.0).abs() < 1e-9);
            }
            o => panic!("{o:?}"),
        }
        // The variant with costs (-3/4, 20, -1/2, 6): by hand, x5 = x7 = 0 is optimal (each
        // unit of x5 buys at most 24 units of x4, worth 18 < 20), then x4 <= x6 <= 1: -5/4.
        let lp = LinearProgram {
            objective: vec![-0.75, 20.0, -0.5, 6.0],
            constraints: vec![
                le(&[0.25, -8.0, -1.0, 9.0], 0.0),
                le(&[0.5, -12.0, -0.5, 3.0], 0.0),
                le(&[0.0, 0.0, 1.0, 0.0], 1.0),
            ],
        };
        match solve(&lp, 1_000).unwrap() {
            LpOutcome::Optimal { objective, .. } => assert!((objective + 1.25).abs() < 1e-9),
            o => panic!("{o:?}"),
        }
    }

    #[test]
    fn bad_input_is_named() {
        let lp = LinearProgram {
            objective: vec![1.0],
            constraints: vec![le(&[1.0, 2.0], 1.0)],
        };
        let e = solve(&lp, 10).unwrap_err().to_string();
        assert!(e.contains("constraints[0].coeffs[1]"), "{e}");
        let lp = LinearProgram {
            objective: vec![f64::NAN],
            constraints: vec![],
        };
        assert!(
            solve(&lp, 10)
                .unwrap_err()
                .to_string()
                .contains("objective[0]")
        );
    }
}
