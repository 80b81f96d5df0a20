//! Integer resource vectors: fit, checked arithmetic, utilisation, shares and load.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;
use std::ops::Index;

/// A vector of resource quantities, one `u64` per schema dimension.
///
/// Vectors of up to 4 dimensions are stored inline (no heap allocation).
///
/// # Example: does a task fit an agent?
/// ```
/// use agentsched::resources::ResourceVec;
/// let capacity = ResourceVec::from_slice(&[8000, 32768, 1]); // millicores, MiB, GPUs
/// let used = ResourceVec::from_slice(&[6000, 4096, 0]);
/// let free = capacity.checked_sub(&used, "free").unwrap();
/// assert!(ResourceVec::from_slice(&[2000, 8192, 1]).fits(&free));
/// assert!(!ResourceVec::from_slice(&[2500, 1024, 0]).fits(&free));
/// // Load L = sum_j used_j / capacity_j = 0.75 + 0.125 + 0.
/// assert_eq!(used.load(&capacity), 0.875);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ResourceVec(SmallVec<[u64; 4]>);

impl ResourceVec {
    /// A vector holding `values`.
    pub fn from_slice(values: &[u64]) -> Self {
        ResourceVec(SmallVec::from_slice(values))
    }

    /// The zero vector of `dims` dimensions.
    pub fn zeros(dims: usize) -> Self {
        ResourceVec(SmallVec::from_elem(0, dims))
    }

    /// Number of dimensions.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the vector has no dimensions.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The quantities.
    pub fn as_slice(&self) -> &[u64] {
        &self.0
    }

    /// The quantity in dimension `i`, if it exists.
    pub fn get(&self, i: usize) -> Option<u64> {
        self.0.get(i).copied()
    }

    /// Whether every quantity is zero.
    pub fn is_zero(&self) -> bool {
        self.0.iter().all(|&q| q == 0)
    }

    /// `self <= free` in every dimension (vectors of different lengths never fit).
    ///
    /// A dimension whose free quantity is 0 (for example one with capacity 0) accepts only a
    /// demand of 0.
    pub fn fits(&self, free: &ResourceVec) -> bool {
        self.0.len() == free.0.len() && self.0.iter().zip(free.0.iter()).all(|(d, f)| d <= f)
    }

    /// The first dimension where `self` exceeds `free`, with the shortfall.
    pub fn first_shortfall(&self, free: &ResourceVec) -> Option<(usize, u64)> {
        self.0
            .iter()
            .zip(free.0.iter())
            .enumerate()
            .find(|(_, (d, f))| d > f)
            .map(|(j, (d, f))| (j, d - f))
    }

    /// `self + other`, checked.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] for different lengths, [`Error::Overflow`] naming `field`
    /// and the first dimension that would exceed `u64::MAX`.
    pub fn checked_add(&self, other: &ResourceVec, field: &'static str) -> Result<ResourceVec> {
        self.same_len(other, field)?;
        let mut out = self.clone();
        for (j, (a, b)) in out.0.iter_mut().zip(other.0.iter()).enumerate() {
            *a = a.checked_add(*b).ok_or(Error::Overflow {
                field,
                dimension: j,
            })?;
        }
        Ok(out)
    }

    /// `self - other`, checked.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] for different lengths, [`Error::Underflow`] naming `field`
    /// and the first dimension that would go below zero.
    pub fn checked_sub(&self, other: &ResourceVec, field: &'static str) -> Result<ResourceVec> {
        self.same_len(other, field)?;
        let mut out = self.clone();
        for (j, (a, b)) in out.0.iter_mut().zip(other.0.iter()).enumerate() {
            *a = a.checked_sub(*b).ok_or(Error::Underflow {
                field,
                dimension: j,
            })?;
        }
        Ok(out)
    }

    fn same_len(&self, other: &ResourceVec, field: &'static str) -> Result<()> {
        if self.0.len() != other.0.len() {
            return Err(Error::DimensionMismatch {
                field,
                expected: self.0.len(),
                got: other.0.len(),
            });
        }
        Ok(())
    }

    /// Per-dimension utilisation `used_j / capacity_j` of `self` as the used vector; a
    /// dimension with capacity 0 reports 0.
    pub fn utilisation(&self, capacity: &ResourceVec) -> Vec<f64> {
        self.0
            .iter()
            .zip(capacity.0.iter())
            .map(|(&u, &c)| ratio(u, c))
            .collect()
    }

    /// The dominant share `max_j self_j / total_j` (Ghodsi et al., DRF, NSDI 2011); dimensions
    /// with total 0 are left out.
    pub fn dominant_share(&self, total: &ResourceVec) -> f64 {
        self.0
            .iter()
            .zip(total.0.iter())
            .filter(|(_, c)| **c > 0)
            .map(|(&u, &c)| ratio(u, c))
            .fold(0.0, f64::max)
    }

    /// The load metric `L = sum_j used_j / capacity_j` of `self` as the used vector; dimensions
    /// with capacity 0 are left out.
    pub fn load(&self, capacity: &ResourceVec) -> f64 {
        self.0
            .iter()
            .zip(capacity.0.iter())
            .filter(|(_, c)| **c > 0)
            .map(|(&u, &c)| ratio(u, c))
            .sum()
    }

    pub(crate) fn as_mut_slice(&mut self) -> &mut [u64] {
        &mut self.0
    }
}

/// `a / b` as `f64`, 0 when `b` is 0.
#[inline]
pub(crate) fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

impl Index<usize> for ResourceVec {
    type Output = u64;
    fn index(&self, i: usize) -> &u64 {
        &self.0[i]
    }
}

impl From<Vec<u64>> for ResourceVec {
    fn from(v: Vec<u64>) -> Self {
        ResourceVec(SmallVec::from_vec(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_capacity_dimension_accepts_only_zero_and_is_left_out_of_load() {
        let cap = ResourceVec::from_slice(&[100, 0]);
        assert!(ResourceVec::from_slice(&[10, 0]).fits(&cap));
        assert!(!ResourceVec::from_slice(&[10, 1]).fits(&cap));
        assert_eq!(ResourceVec::from_slice(&[50, 0]).load(&cap), 0.5);
    }

    #[test]
    fn overflow_and_underflow_are_errors() {
        let a = ResourceVec::from_slice(&[u64::MAX, 1]);
        let b = ResourceVec::from_slice(&[1, 0]);
        assert_eq!(
            a.checked_add(&b, "x"),
            Err(Error::Overflow {
                field: "x",
                dimension: 0
            })
        );
        assert_eq!(
            b.checked_sub(&a, "y"),
            Err(Error::Underflow {
                field: "y",
                dimension: 0
            })
        );
        assert!(matches!(
            a.checked_add(&ResourceVec::from_slice(&[1]), "z"),
            Err(Error::DimensionMismatch { .. })
        ));
    }

    #[test]
    fn dominant_share_is_the_largest_share() {
        let total = ResourceVec::from_slice(&[9, 18, 0]);
        let used = ResourceVec::from_slice(&[3, 12, 0]);
        assert!((used.dominant_share(&total) - 12.0 / 18.0).abs() < 1e-12);
        assert_eq!(used.utilisation(&total), vec![3.0 / 9.0, 12.0 / 18.0, 0.0]);
    }
}
