//! Reading benchmark instances in the `agentsched-bench/1` format (kind `etc`): every field is
//! checked, and a bad one is an error naming it, never a panic.

use super::EtcMatrix;
use crate::{Error, Result};
use serde_json::Value;

/// The most machines an instance may declare (guards allocations driven by input).
pub const MAX_MACHINES: u64 = 1 << 24;

/// An `etc` instance: its name and matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct EtcInstance {
    /// The instance's `name`.
    pub name: String,
    /// Its matrix and ready times.
    pub etc: EtcMatrix,
}

fn bad(field: impl Into<String>, reason: impl Into<String>) -> Error {
    Error::InvalidInstance {
        field: field.into(),
        reason: reason.into(),
    }
}

/// Parses an `agentsched-bench/1` instance of kind `etc` (see `../shared/bench/FORMAT.md`).
///
/// # Errors
/// [`Error::InvalidInstance`] naming the field (`format`, `kind`, `name`, `machines`,
/// `etc[t][p]`, `ready[p]`, or an empty field for malformed JSON); the matrix's own errors.
///
/// # Example
/// ```
/// use agentsched::mapping::instance::parse_etc;
/// let i = parse_etc(r#"{"format":"agentsched-bench/1","kind":"etc","name":"x","machines":2,
///                      "etc":[[1.0,2.0],[3.0,0.5]]}"#).unwrap();
/// assert_eq!(i.etc.time(1, 1), 0.5);
/// let e = parse_etc(r#"{"format":"agentsched-bench/1","kind":"etc","name":"x","machines":2,
///                      "etc":[[1.0,-2.0]]}"#).unwrap_err();
/// assert!(e.to_string().contains("etc[0][1]"));
/// ```
pub fn parse_etc(text: &str) -> Result<EtcInstance> {
    let v: Value = serde_json::from_str(text).map_err(|e| bad("", format!("invalid JSON: {e}")))?;
    let obj = v
        .as_object()
        .ok_or_else(|| bad("", "the file must hold one JSON object"))?;
    match obj.get("format") {
        Some(Value::String(f)) if f == "agentsched-bench/1" => {}
        Some(_) => return Err(bad("format", "must be \"agentsched-bench/1\"")),
        None => return Err(bad("format", "missing")),
    }
    match obj.get("kind") {
        Some(Value::String(k)) if k == "etc" => {}
        Some(Value::String(k)) => {
            return Err(bad(
                "kind",
                format!("`{k}` is not supported (supported: \"etc\")"),
            ));
        }
        Some(_) => return Err(bad("kind", "must be a string")),
        None => return Err(bad("kind", "missing")),
    }
    let name = match obj.get("name") {
        Some(Value::String(n)) => n.clone(),
        Some(_) => return Err(bad("name", "must be a string")),
        None => return Err(bad("name", "missing")),
    };
    let machines = match obj.get("machines") {
        Some(m) => m
            .as_u64()
            .filter(|&m| (1..=MAX_MACHINES).contains(&m))
            .and_then(|m| usize::try_from(m).ok())
            .ok_or_else(|| bad("machines", "must be an integer in 1..=16777216"))?,
        None => return Err(bad("machines", "missing")),
    };
    let rows = match obj.get("etc") {
        Some(Value::Array(rows)) => rows,
        Some(_) => return Err(bad("etc", "must be an array of rows")),
        None => return Err(bad("etc", "missing")),
    };
    let cells = rows
        .len()
        .checked_mul(machines)
        .ok_or_else(|| bad("etc", "too large"))?;
    let mut etc = Vec::new();
    etc.try_reserve_exact(cells)
        .map_err(|_| bad("etc", "too large"))?;
    for (t, row) in rows.iter().enumerate() {
        let row = row
            .as_array()
            .ok_or_else(|| bad(format!("etc[{t}]"), "must be an array"))?;
        if row.len() != machines {
            return Err(bad(
                format!("etc[{t}]"),
                format!("has {} entries, `machines` is {machines}", row.len()),
            ));
        }
        for (p, x) in row.iter().enumerate() {
            let x = x
                .as_f64()
                .filter(|x| x.is_finite() && *x > 0.0)
                .ok_or_else(|| bad(format!("etc[{t}][{p}]"), "must be a finite number > 0"))?;
            etc.push(x);
        }
    }
    let ready = match obj.get("ready") {
        None => vec![0.0; machines],
        Some(Value::Array(r)) => {
            if r.len() != machines {
                return Err(bad(
                    "ready",
                    format!("has {} entries, `machines` is {machines}", r.len()),
                ));
            }
            r.iter()
                .enumerate()
                .map(|(p, x)| {
                    x.as_f64()
                        .filter(|x| x.is_finite() && *x >= 0.0)
                        .ok_or_else(|| bad(format!("ready[{p}]"), "must be a finite number >= 0"))
                })
                .collect::<Result<Vec<f64>>>()?
        }
        Some(_) => return Err(bad("ready", "must be an array")),
    };
    let etc = EtcMatrix::with_ready(rows.len(), machines, etc, ready)?;
    Ok(EtcInstance { name, etc })
}
