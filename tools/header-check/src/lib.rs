//! Holds the header-freshness test; see tests/header.rs.
