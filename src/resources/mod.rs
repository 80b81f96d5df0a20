//! Resource schemas and integer resource vectors.
//!
//! Quantities are `u64` in the host's own units (millicores, MiB, devices), so allocation and
//! release never drift. Arithmetic is checked: overflow and underflow are errors, never wrapped
//! or saturated.

mod vector;

pub use vector::ResourceVec;
pub(crate) use vector::ratio;

use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// The most dimensions a schema may have.
pub const MAX_DIMENSIONS: usize = 32;

/// Names a pool's resource dimensions, e.g. `cpu` (millicores), `memory` (MiB), `gpu`.
///
/// # Example
/// ```
/// use agentsched::resources::Schema;
/// let schema = Schema::new(["cpu", "memory", "gpu"]).unwrap();
/// assert_eq!(schema.len(), 3);
/// assert_eq!(schema.index_of("gpu"), Some(2));
/// assert!(Schema::new(Vec::<String>::new()).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    names: Vec<String>,
}

impl Schema {
    /// A schema with the given dimension names, in order.
    ///
    /// # Errors
    /// [`Error::EmptySchema`] for no names, [`Error::TooManyDimensions`] beyond
    /// [`MAX_DIMENSIONS`], [`Error::InvalidDimension`] for an empty or repeated name.
    pub fn new<I, S>(names: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let names: Vec<String> = names.into_iter().map(Into::into).collect();
        Self::validate(&names)?;
        Ok(Schema { names })
    }

    fn validate(names: &[String]) -> Result<()> {
        if names.is_empty() {
            return Err(Error::EmptySchema);
        }
        if names.len() > MAX_DIMENSIONS {
            return Err(Error::TooManyDimensions {
                got: names.len(),
                max: MAX_DIMENSIONS,
            });
        }
        for (i, n) in names.iter().enumerate() {
            if n.is_empty() || names[..i].contains(n) {
                return Err(Error::InvalidDimension { name: n.clone() });
            }
        }
        Ok(())
    }

    /// Checks a deserialized schema (serde bypasses [`Schema::new`]).
    pub(crate) fn check(&self) -> Result<()> {
        Self::validate(&self.names)
    }

    /// Number of dimensions.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Always false: a schema has at least one dimension.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The dimension names, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The name of dimension `i`, if it exists.
    pub fn name(&self, i: usize) -> Option<&str> {
        self.names.get(i).map(String::as_str)
    }

    /// The index of the dimension called `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// A resource vector for this schema, checked for its length.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] naming `field` when `values` has the wrong length.
    pub fn vector(&self, field: &'static str, values: &[u64]) -> Result<ResourceVec> {
        self.check_len(field, values.len())?;
        Ok(ResourceVec::from_slice(values))
    }

    pub(crate) fn check_len(&self, field: &'static str, got: usize) -> Result<()> {
        if got != self.names.len() {
            return Err(Error::DimensionMismatch {
                field,
                expected: self.names.len(),
                got,
            });
        }
        Ok(())
    }
}
