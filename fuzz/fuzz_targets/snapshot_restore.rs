//! Arbitrary bytes as a snapshot: restoring must never panic, and a restored dispatcher must
//! snapshot back to the same state.
#![no_main]

use agentsched::online::{Dispatcher, Snapshot};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(snap) = serde_json::from_slice::<Snapshot>(data) else {
        return;
    };
    if let Ok(mut d) = Dispatcher::restore(snap) {
        let again = d.snapshot();
        let d2 = Dispatcher::restore(again.clone()).expect("a dispatcher's own snapshot restores");
        assert_eq!(d2.snapshot(), again);
        let _ = d.dispatch();
    }
});
