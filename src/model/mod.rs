//! Shared model types: ids, tiers, data sensitivity and labels.
//!
//! Every capability speaks these types; none reaches into another capability's internals.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub u32);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{}"), self.0)
            }
        }
    };
}

id_type!(
    /// A task's id, chosen by the host. Unique among the tasks a dispatcher knows.
    TaskId,
    "task#"
);
id_type!(
    /// An agent's id, chosen by the host. Unique among the agents of a pool.
    AgentId,
    "agent#"
);
id_type!(
    /// A gang's id: tasks sharing it are placed all together or not at all.
    GangId,
    "gang#"
);

/// Where an agent runs: in the platform's own (private) cloud or in a public one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// Infrastructure the platform operator controls.
    Private,
    /// Rented public-cloud capacity.
    Public,
}

/// How sensitive the data a task touches is.
///
/// A typed constraint, not a label: `Confidential` never runs on a [`Tier::Public`] agent, and
/// `Internal` runs there only when the pool's policy allows it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Sensitivity {
    /// Public data: may run anywhere.
    #[default]
    Public,
    /// Internal data: public agents only if `allow_internal_on_public` is set.
    Internal,
    /// Confidential data: private agents only.
    Confidential,
}

impl Sensitivity {
    /// Whether data of this sensitivity may be processed on an agent of `tier`.
    ///
    /// # Example
    /// ```
    /// use agentsched::{Sensitivity, Tier};
    /// assert!(!Sensitivity::Confidential.allowed_on(Tier::Public, true));
    /// assert!(Sensitivity::Internal.allowed_on(Tier::Public, true));
    /// assert!(!Sensitivity::Internal.allowed_on(Tier::Public, false));
    /// ```
    pub fn allowed_on(self, tier: Tier, allow_internal_on_public: bool) -> bool {
        match (self, tier) {
            (_, Tier::Private) | (Sensitivity::Public, Tier::Public) => true,
            (Sensitivity::Internal, Tier::Public) => allow_internal_on_public,
            (Sensitivity::Confidential, Tier::Public) => false,
        }
    }
}

/// A `key=value` label on an agent, or one a task requires.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Label {
    /// The label's key, e.g. `region`.
    pub key: String,
    /// The label's value, e.g. `eu-west`.
    pub value: String,
}

impl Label {
    /// A label `key=value`.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Label {
            key: key.into(),
            value: value.into(),
        }
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.key, self.value)
    }
}

/// Checks that an `f64` entering the library is finite and non-negative.
pub(crate) fn check_non_negative(field: &'static str, value: f64) -> crate::Result<f64> {
    if !value.is_finite() {
        return Err(crate::Error::NotFinite { field, value });
    }
    if value < 0.0 {
        return Err(crate::Error::Negative { field, value });
    }
    // Normalise -0.0 so that bit-level comparisons and serialisation agree.
    Ok(value + 0.0)
}

/// Checks that an `f64` entering the library is finite and strictly positive.
pub(crate) fn check_positive(field: &'static str, value: f64) -> crate::Result<f64> {
    let v = check_non_negative(field, value)?;
    if v == 0.0 {
        return Err(crate::Error::NotPositive { field, value });
    }
    Ok(v)
}

/// A small, fast, deterministic hasher (the FxHash mix used by rustc, with rustc-hash 2's final
/// rotation) for maps keyed by ids.
/// Map iteration order never reaches a result; it only makes id lookups cheap.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct IdHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl std::hash::Hasher for IdHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ b as u64).wrapping_mul(SEED);
        }
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.0 = (self.0.rotate_left(5) ^ i as u64).wrapping_mul(SEED);
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(SEED);
    }
    #[inline]
    fn finish(&self) -> u64 {
        // The multiply carries low input bits up but never high bits down, and the table picks
        // buckets by the low bits: keys that differ only in their high bits (an edge key
        // `(from << 32) | to` with one `to`, ids `i << 16`) would share a probe chain. Rotating
        // brings the well-mixed high bits down (rustc-hash 2 does the same).
        self.0.rotate_left(26)
    }
}

/// A `HashMap` keyed by ids with [`IdHasher`].
pub(crate) type IdMap<K, V> =
    std::collections::HashMap<K, V, std::hash::BuildHasherDefault<IdHasher>>;

/// splitmix64 (Steele, Lea and Flood, 2014): the crate's only source of randomness, always seeded
/// by the caller, so that every randomised result is reproducible.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64(pub u64);

impl SplitMix64 {
    /// The next 64 random bits.
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`0` when `n == 0`); the modulo bias is below `n / 2^64`.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// A uniform `f64` in `[0, 1)` with 53 random bits.
    #[allow(dead_code)]
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::IdHasher;
    use std::collections::HashSet;
    use std::hash::Hasher;

    fn hash_u64(x: u64) -> u64 {
        let mut h = IdHasher::default();
        h.write_u64(x);
        h.finish()
    }

    /// Hash tables index buckets by the low bits: keys that differ only in their high bits
    /// (a fan-in's edge keys `(from << 32) | to`, ids `i << 16`) must still spread there.
    #[test]
    fn keys_differing_in_high_bits_spread_over_low_bits() {
        for keys in [
            (0..1024u64).map(|u| (u << 32) | 7).collect::<Vec<_>>(),
            (0..1024u64).map(|i| i << 16).collect(),
        ] {
            let buckets: HashSet<u64> = keys.iter().map(|&k| hash_u64(k) & 1023).collect();
            assert!(buckets.len() > 512, "{} buckets of 1024", buckets.len());
        }
    }
}
