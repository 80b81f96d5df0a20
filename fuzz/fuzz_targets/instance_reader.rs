//! Arbitrary bytes as an `agentsched-bench/1` instance, read as kind `etc`, `vbp` and `dag`:
//! the readers never panic, and what they accept is valid. An `etc` matrix maps consistently
//! under every heuristic; a `vbp` instance packs validly with first-fit decreasing (every
//! measure, the index agreeing with the scan); a `dag` instance writes back to the same
//! instance, and its serial schedule (every task on agent 0 in topological order) validates,
//! explains itself and draws.
#![no_main]

use agentsched::dag::instance::{parse_dag, write_dag};
use agentsched::dag::{Schedule, Slot, gantt_svg, schedule_critical_path, validate};
use agentsched::mapping::{Mapping, heuristics, instance::parse_etc};
use agentsched::placement::vbp::{self, SizeMeasure};
use agentsched::placement::vbp_instance::parse_vbp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(i) = parse_etc(text) {
        if i.etc.tasks().saturating_mul(i.etc.machines()) <= 1 << 16 {
            for (_, h) in heuristics::ALL {
                let m = h(&i.etc);
                let again = Mapping::from_assignment(&i.etc, m.assignment.clone()).unwrap();
                assert_eq!(again.makespan, m.makespan);
            }
        }
    }
    if let Ok(f) = parse_vbp(text) {
        let inst = &f.instance;
        if inst.len().saturating_mul(inst.dims()) <= 1 << 14 {
            for m in [SizeMeasure::Sum, SizeMeasure::Max, SizeMeasure::L2] {
                let p = vbp::first_fit_decreasing(inst, m);
                assert_eq!(vbp::validate(inst, &p), Ok(p.hosts()));
                assert!(p.lower_bound <= p.hosts());
                assert_eq!(p, vbp::first_fit_decreasing_scan(inst, m));
            }
        }
    }
    let Ok(i) = parse_dag(text) else { return };
    let again = parse_dag(&write_dag(&i.name, &i.dag, &i.platform).unwrap()).unwrap();
    assert_eq!(again.name, i.name);
    assert_eq!(again.platform, i.platform);
    assert_eq!(again.dag.durations(), i.dag.durations());
    assert!(again.dag.edges().eq(i.dag.edges()));
    if i.dag.task_count() > 256 {
        return;
    }
    let mut slots = vec![
        Slot {
            agent: 0,
            start: 0.0,
            finish: 0.0
        };
        i.dag.task_count()
    ];
    let mut now = 0.0;
    for t in i.dag.topological_order() {
        let finish = now + i.platform.exec_time(&i.dag, t, 0);
        slots[t] = Slot {
            agent: 0,
            start: now,
            finish,
        };
        now = finish;
    }
    let s = Schedule {
        slots,
        makespan: now,
    };
    if !now.is_finite() {
        return;
    }
    assert_eq!(validate(&i.dag, &i.platform, &s), Ok(now));
    let path = schedule_critical_path(&i.dag, &i.platform, &s).unwrap();
    // Back to back on one agent: the chain starts at 0 and ends at the makespan (zero-length
    // tasks may be left out of it).
    assert!(path.len() <= i.dag.task_count());
    if let (Some(first), Some(last)) = (path.first(), path.last()) {
        assert_eq!((first.start, last.finish), (0.0, now));
    }
    gantt_svg(&i.dag, &i.platform, &s, &Default::default()).unwrap();
});
