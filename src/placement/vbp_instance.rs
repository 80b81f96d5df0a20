//! Reading benchmark instances in the `agentsched-bench/1` format (kind `vbp`, see
//! `../shared/bench/FORMAT.md`): every field is checked, and a bad one is an error naming it,
//! never a panic.

use super::vbp::VbpInstance;
use crate::{Error, Result};
use serde_json::Value;

/// The most dimensions an instance may declare (guards allocations driven by input).
pub const MAX_DIMS: usize = 1 << 16;

/// A `vbp` instance: its name and the validated instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VbpFile {
    /// The instance's `name`.
    pub name: String,
    /// The capacity and the items.
    pub instance: VbpInstance,
}

fn bad(field: impl Into<String>, reason: impl Into<String>) -> Error {
    Error::InvalidInstance {
        field: field.into(),
        reason: reason.into(),
    }
}

fn integer(v: &Value, field: impl Fn() -> String) -> Result<u64> {
    v.as_u64()
        .ok_or_else(|| bad(field(), "must be an integer in 0..=18446744073709551615"))
}

/// Parses an `agentsched-bench/1` instance of kind `vbp`: `capacity` (integers > 0) and `items`
/// (integer demand vectors of the capacity's length, each within it).
///
/// # Errors
/// [`Error::InvalidInstance`] naming the field (`format`, `kind`, `name`, `capacity`,
/// `capacity[k]`, `items`, `items[i]`, `items[i][k]`, or an empty field for malformed JSON);
/// [`Error::Overflow`] when a dimension's demands sum past `u64::MAX` (see
/// [`VbpInstance::new`]).
///
/// # Example
/// ```
/// use agentsched::placement::vbp_instance::parse_vbp;
/// let f = parse_vbp(r#"{"format":"agentsched-bench/1","kind":"vbp","name":"x",
///                      "capacity":[10,10],"items":[[3,4],[10,0]]}"#)?;
/// assert_eq!((f.name.as_str(), f.instance.len()), ("x", 2));
/// let e = parse_vbp(r#"{"format":"agentsched-bench/1","kind":"vbp","name":"x",
///                      "capacity":[10,10],"items":[[3,4],[11,0]]}"#).unwrap_err();
/// assert!(e.to_string().contains("items[1][0]"));
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn parse_vbp(text: &str) -> Result<VbpFile> {
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
        Some(Value::String(k)) if k == "vbp" => {}
        Some(Value::String(k)) => {
            return Err(bad(
                "kind",
                format!("`{k}` is not supported (supported: \"vbp\")"),
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
    let capacity = match obj.get("capacity") {
        Some(Value::Array(c)) if c.is_empty() => {
            return Err(bad("capacity", "needs at least one dimension"));
        }
        Some(Value::Array(c)) if c.len() > MAX_DIMS => {
            return Err(bad("capacity", format!("more than {MAX_DIMS} dimensions")));
        }
        Some(Value::Array(c)) => c
            .iter()
            .enumerate()
            .map(|(k, x)| integer(x, || format!("capacity[{k}]")))
            .collect::<Result<Vec<u64>>>()?,
        Some(_) => return Err(bad("capacity", "must be an array of integers")),
        None => return Err(bad("capacity", "missing")),
    };
    let d = capacity.len();
    let rows = match obj.get("items") {
        Some(Value::Array(rows)) => rows,
        Some(_) => return Err(bad("items", "must be an array of demand vectors")),
        None => return Err(bad("items", "missing")),
    };
    let cells = rows
        .len()
        .checked_mul(d)
        .ok_or_else(|| bad("items", "too large"))?;
    let mut demand = Vec::new();
    demand
        .try_reserve_exact(cells)
        .map_err(|_| bad("items", "too large"))?;
    for (i, row) in rows.iter().enumerate() {
        let row = row
            .as_array()
            .ok_or_else(|| bad(format!("items[{i}]"), "must be an array of integers"))?;
        if row.len() != d {
            return Err(bad(
                format!("items[{i}]"),
                format!("has {} dimensions, `capacity` has {d}", row.len()),
            ));
        }
        for (k, x) in row.iter().enumerate() {
            demand.push(integer(x, || format!("items[{i}][{k}]"))?);
        }
    }
    // zero capacities, demands over the capacity and overflowing sums, named by field
    let instance = VbpInstance::from_flat(capacity, demand)?;
    Ok(VbpFile { name, instance })
}
