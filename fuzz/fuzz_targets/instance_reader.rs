//! Arbitrary bytes as an `agentsched-bench/1` instance: the reader never panics, and what it
//! accepts is a valid matrix that every heuristic maps consistently.
#![no_main]

use agentsched::mapping::{Mapping, heuristics, instance::parse_etc};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(i) = parse_etc(text) else { return };
    if i.etc.tasks().saturating_mul(i.etc.machines()) > 1 << 16 {
        return;
    }
    for (_, h) in heuristics::ALL {
        let m = h(&i.etc);
        let again = Mapping::from_assignment(&i.etc, m.assignment.clone()).unwrap();
        assert_eq!(again.makespan, m.makespan);
    }
});
