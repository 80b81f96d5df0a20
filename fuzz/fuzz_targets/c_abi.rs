//! Random sequences of C ABI calls: valid and invalid ids, bad numbers, unknown enum values,
//! NULL where the API allows probing, undersized buffers; and task graphs built, frozen, timed
//! and validated through the ABI. Checks after every call: a status is
//! returned (never a crash or PANIC), a failed call leaves the snapshot bytes unchanged, and the
//! counters stay consistent.
#![no_main]
#![allow(unsafe_code)]

use agentsched::ffi::*;
use libfuzzer_sys::fuzz_target;
use std::ffi::{CString, c_char};
use std::ptr::{null, null_mut};

fn num(b: u8) -> f64 {
    match b {
        0 => f64::NAN,
        1 => -1.0,
        2 => f64::INFINITY,
        b => b as f64 / 8.0,
    }
}

unsafe fn snapshot(h: *mut agentsched_dispatcher) -> Vec<u8> {
    let mut len = 0usize;
    let s = unsafe { agentsched_dispatcher_snapshot(h, null_mut(), 0, &mut len) };
    assert!(s == agentsched_status::BufferTooSmall || (s == agentsched_status::Ok && len == 0));
    let mut buf = vec![0u8; len];
    let s = unsafe { agentsched_dispatcher_snapshot(h, buf.as_mut_ptr(), buf.len(), &mut len) };
    assert_eq!(s, agentsched_status::Ok);
    buf
}

/// Task graphs through the ABI: a graph built from the bytes (ids, durations, edges in any
/// direction, bad numbers, self-loops, duplicates), frozen (a cycle must come back as CYCLE with a
/// message naming a task of the graph), times read back, and a schedule built from the bytes
/// validated. A failed insertion must leave the counts unchanged; nothing may PANIC.
unsafe fn dag_calls(data: &[u8]) {
    let mut it = data.iter().copied();
    let mut next = move || it.next().unwrap_or(0);
    let mut g = null_mut();
    // SAFETY (whole body): every handle is live until freed at the end; buffers are sized as passed.
    unsafe {
        assert_eq!(agentsched_task_graph_new(&mut g), agentsched_status::Ok);
        let counts = |g| {
            let (mut n, mut m) = (0usize, 0usize);
            assert_eq!(
                agentsched_task_graph_counts(g, &mut n, &mut m),
                agentsched_status::Ok
            );
            (n, m)
        };
        let mut ids = Vec::new();
        for _ in 0..(next() % 48) {
            let (op, a, b) = (next(), next(), next());
            let before = counts(g);
            let s = if op % 3 == 0 {
                agentsched_task_graph_add_task(g, u32::from(a % 32), num(b))
            } else {
                agentsched_task_graph_add_edge(g, u32::from(a % 34), u32::from(b % 34), num(op))
            };
            assert_ne!(s, agentsched_status::Panic);
            let after = counts(g);
            if s == agentsched_status::Ok {
                assert!(after.0 + after.1 == before.0 + before.1 + 1);
                if op % 3 == 0 {
                    ids.push(u32::from(a % 32));
                }
            } else {
                assert_eq!(before, after, "a failed insertion changed the graph");
            }
        }
        let mut d = null_mut();
        let s = agentsched_dag_new(g, &mut d);
        if s == agentsched_status::Cycle {
            assert!(d.is_null());
            let mut msg = [0 as c_char; 128];
            let mut len = 0usize;
            assert_eq!(
                agentsched_task_graph_last_error(g, msg.as_mut_ptr(), msg.len(), &mut len),
                agentsched_status::Ok
            );
            let msg = std::ffi::CStr::from_ptr(msg.as_ptr())
                .to_string_lossy()
                .into_owned();
            let named: u32 = msg
                .rsplit("task#")
                .next()
                .and_then(|t| t.parse().ok())
                .expect("the cycle message names a task");
            assert!(ids.contains(&named), "{msg}");
            agentsched_task_graph_free(g);
            return;
        }
        assert_eq!(s, agentsched_status::Ok);
        agentsched_task_graph_free(g);
        let (mut n, mut m) = (0usize, 0usize);
        assert_eq!(
            agentsched_dag_counts(d, &mut n, &mut m),
            agentsched_status::Ok
        );
        let delays = u32::from(next() % 3); // 2 is invalid
        let mut t = null_mut();
        let s = agentsched_dag_times(d, delays, &mut t);
        if delays > 1 {
            assert_eq!(s, agentsched_status::InvalidArgument);
            assert!(t.is_null());
        } else {
            assert_eq!(s, agentsched_status::Ok);
            let mut ms = f64::NAN;
            assert_eq!(agentsched_times_makespan(t, &mut ms), agentsched_status::Ok);
            assert!(ms.is_finite() && ms >= 0.0);
            let mut slack = vec![f64::NAN; n];
            let mut len = 0usize;
            let cap = (next() as usize).min(n);
            let s = agentsched_times_values(
                t,
                AGENTSCHED_TIMES_SLACK,
                slack.as_mut_ptr(),
                cap,
                &mut len,
            );
            assert!(
                s == agentsched_status::Ok || (s == agentsched_status::BufferTooSmall && cap < n)
            );
            assert_eq!(len, n);
            if s == agentsched_status::Ok {
                assert!(slack.iter().all(|&x| x >= -1e-9 * ms.max(1.0)));
            }
            let mut path = vec![usize::MAX; n];
            assert_eq!(
                agentsched_times_critical_path(t, path.as_mut_ptr(), n, &mut len),
                agentsched_status::Ok
            );
            assert!(len <= n && path[..len].iter().all(|&i| i < n));
            agentsched_times_free(t);
        }
        // A schedule from the bytes on two related agents: accepted or INVALID_SCHEDULE.
        let mut p = null_mut();
        let speeds = [1.0, 0.5 + f64::from(next() % 8) / 4.0];
        let links = [0.0, 2.0, 0.5, 0.0];
        assert_eq!(
            agentsched_platform_related(speeds.as_ptr(), 2, links.as_ptr(), 4, &mut p),
            agentsched_status::Ok
        );
        let slots: Vec<agentsched_slot> = (0..n)
            .map(|_| {
                let start = f64::from(next()) / 4.0;
                agentsched_slot {
                    agent: u32::from(next() % 3),
                    start,
                    finish: start + f64::from(next()) / 8.0,
                }
            })
            .collect();
        let mut got = -1.0;
        let s = agentsched_dag_validate(d, p, slots.as_ptr(), slots.len(), num(next()), &mut got);
        assert!(
            matches!(
                s,
                agentsched_status::Ok | agentsched_status::InvalidSchedule
            ),
            "validate: {s:?}"
        );
        if s != agentsched_status::Ok {
            assert_eq!(got, -1.0);
        }
        agentsched_platform_free(p);
        agentsched_dag_free(d);
    }
}

fuzz_target!(|data: &[u8]| {
    // SAFETY: see dag_calls.
    unsafe { dag_calls(data) };
    let mut it = data.iter().copied();
    let mut next = move || it.next().unwrap_or(0);
    let names: Vec<CString> = ["cpu", "mem", "gpu"]
        .iter()
        .map(|n| CString::new(*n).unwrap())
        .collect();
    let ptrs: Vec<*const c_char> = names.iter().map(|n| n.as_ptr()).collect();
    let mut cfg = std::mem::MaybeUninit::<agentsched_config>::uninit();
    // SAFETY: valid out pointer.
    assert_eq!(
        unsafe { agentsched_config_default(cfg.as_mut_ptr()) },
        agentsched_status::Ok
    );
    // SAFETY: initialised by agentsched_config_default.
    let mut cfg = unsafe { cfg.assume_init() };
    let quanta = [1.0, 4.0];
    let c0 = next();
    cfg.scoring = (c0 % 7) as u32; // 6 is invalid
    cfg.discipline = (c0 / 7 % 5) as u32; // 4 is invalid
    cfg.mlfq_quanta = quanta.as_ptr();
    cfg.mlfq_quanta_len = 2;
    cfg.mlfq_boost_interval = 10.0;
    cfg.aging_rate = 0.5;
    cfg.weight_least_allocated = 1.0;
    cfg.backfill = c0 & 0x40 == 0;
    let mut h: *mut agentsched_dispatcher = null_mut();
    // SAFETY: valid names and config.
    let s = unsafe { agentsched_dispatcher_new(ptrs.as_ptr(), ptrs.len(), &cfg, &mut h) };
    if s != agentsched_status::Ok {
        assert!(h.is_null());
        return;
    }
    let key = CString::new("zone").unwrap();
    let vals: Vec<CString> = (0..3)
        .map(|i| CString::new(i.to_string()).unwrap())
        .collect();
    let bad = [0xffu8, 0xfe, 0];
    for _ in 0..64 {
        let (op, a, b) = (next(), next(), next());
        if op == 0 && a == 0 && b == 0 {
            break;
        }
        // SAFETY: every call below gets a live handle and valid or NULL pointers as documented.
        unsafe {
            let before = snapshot(h);
            let label = agentsched_label {
                key: key.as_ptr(),
                value: if b == 255 {
                    bad.as_ptr().cast()
                } else {
                    vals[(a % 3) as usize].as_ptr()
                },
            };
            let cap = [b as u64 * 4, 64, (b % 3) as u64];
            let demand = [b as u64 % 40, 8, (b % 2) as u64];
            let s = match op % 16 {
                0 | 1 => agentsched_agent_join(
                    h,
                    &agentsched_agent_spec {
                        id: (a % 12) as u32,
                        capacity: cap.as_ptr(),
                        capacity_len: if a % 13 == 0 { 2 } else { 3 },
                        tier: (a % 3) as u32, // 2 is invalid
                        cost_per_time: num(b),
                        speed: num(b.wrapping_add(3)),
                        labels: &label,
                        labels_len: 1,
                    },
                ),
                2..=4 => agentsched_task_submit(
                    h,
                    &agentsched_task_spec {
                        id: (a % 48) as u32,
                        demand: demand.as_ptr(),
                        demand_len: if a % 11 == 0 { 2 } else { 3 },
                        priority: (b % 5) as i32 - 2,
                        duration: num(b),
                        sensitivity: (a % 4) as u32, // 3 is invalid
                        labels: &label,
                        labels_len: (b % 2) as usize,
                        has_gang: b % 9 == 0,
                        gang_id: (a % 3) as u32,
                        gang_size: (b % 3) as u32,
                    },
                ),
                5 => {
                    let mut n = usize::MAX;
                    let s = agentsched_dispatch(h, if a % 2 == 0 { &mut n } else { null_mut() });
                    let mut len = 0usize;
                    let mut buf = [agentsched_assignment {
                        task: 0,
                        agent: 0,
                        score: 0.0,
                        start: 0.0,
                        expected_end: 0.0,
                        backfilled: false,
                    }; 2];
                    let r = agentsched_dispatcher_assignments(
                        h,
                        buf.as_mut_ptr(),
                        (b % 3) as usize,
                        &mut len,
                    );
                    assert!(
                        r == agentsched_status::Ok
                            || (r == agentsched_status::BufferTooSmall && len > (b % 3) as usize)
                    );
                    s
                }
                6 => agentsched_task_complete(h, (a % 48) as u32),
                7 => agentsched_task_cancel(h, (a % 48) as u32),
                8 => agentsched_agent_fail(h, (a % 12) as u32, null_mut()),
                9 => agentsched_agent_drain(h, (a % 12) as u32),
                10 => agentsched_agent_recover(h, (a % 12) as u32),
                11 => agentsched_agent_leave(h, (a % 12) as u32, null_mut()),
                12 => agentsched_task_yield(h, (a % 48) as u32, num(b)),
                13 => agentsched_dispatcher_advance(h, num(b)),
                14 => {
                    let mut e = null_mut();
                    let s = agentsched_explain(h, (a % 48) as u32, &mut e);
                    if s == agentsched_status::Ok {
                        let mut sum = agentsched_explanation_summary::default();
                        assert_eq!(
                            agentsched_explanation_get_summary(e, &mut sum),
                            agentsched_status::Ok
                        );
                        let mut len = 0usize;
                        let r = agentsched_explanation_reasons(e, null_mut(), 0, &mut len);
                        assert!(
                            r == agentsched_status::Ok || r == agentsched_status::BufferTooSmall
                        );
                        let mut text = [0 as c_char; 16];
                        let r =
                            agentsched_explanation_text(e, text.as_mut_ptr(), text.len(), &mut len);
                        assert!(
                            r == agentsched_status::Ok
                                || (r == agentsched_status::BufferTooSmall && len >= 16)
                        );
                        agentsched_explanation_free(e);
                    } else {
                        assert!(e.is_null());
                    }
                    s
                }
                _ => {
                    // Restore from its own snapshot, or from mangled bytes.
                    let mut snap = before.clone();
                    if b % 2 == 0 && !snap.is_empty() {
                        let i = a as usize % snap.len();
                        snap[i] = snap[i].wrapping_add(b);
                    }
                    agentsched_dispatcher_restore(h, snap.as_ptr(), snap.len())
                }
            };
            assert_ne!(s, agentsched_status::Panic, "op {op} panicked");
            assert_ne!(
                s,
                agentsched_status::NullPointer,
                "op {op}: no NULL was passed where one is required"
            );
            if s != agentsched_status::Ok {
                assert_eq!(
                    before,
                    snapshot(h),
                    "op {op} failed with {s:?} but changed the state"
                );
                let mut len = 0usize;
                let mut msg = [0 as c_char; 4];
                let r = agentsched_dispatcher_last_error(h, msg.as_mut_ptr(), msg.len(), &mut len);
                assert!(r == agentsched_status::Ok || r == agentsched_status::BufferTooSmall);
            }
            let mut c = agentsched_counts::default();
            assert_eq!(
                agentsched_dispatcher_counts(h, &mut c),
                agentsched_status::Ok
            );
            assert!(c.placed >= c.completed);
        }
    }
    // NULL probing: every call reports NULL_POINTER, none crashes.
    // SAFETY: NULL handles and outputs are documented as checked.
    unsafe {
        assert_eq!(
            agentsched_dispatch(null_mut(), null_mut()),
            agentsched_status::NullPointer
        );
        assert_eq!(
            agentsched_task_submit(h, null()),
            agentsched_status::NullPointer
        );
        assert_eq!(
            agentsched_dispatcher_counts(h, null_mut()),
            agentsched_status::NullPointer
        );
        agentsched_dispatcher_free(h);
        agentsched_dispatcher_free(null_mut());
        agentsched_explanation_free(null_mut());
    }
});
