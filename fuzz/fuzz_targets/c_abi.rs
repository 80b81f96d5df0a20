//! Random sequences of C ABI calls: valid and invalid ids, bad numbers, unknown enum values,
//! NULL where the API allows probing, undersized buffers. Checks after every call: a status is
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

fuzz_target!(|data: &[u8]| {
    let mut it = data.iter().copied();
    let mut next = move || it.next().unwrap_or(0);
    let names: Vec<CString> = ["cpu", "mem", "gpu"].iter().map(|n| CString::new(*n).unwrap()).collect();
    let ptrs: Vec<*const c_char> = names.iter().map(|n| n.as_ptr()).collect();
    let mut cfg = std::mem::MaybeUninit::<agentsched_config>::uninit();
    // SAFETY: valid out pointer.
    assert_eq!(unsafe { agentsched_config_default(cfg.as_mut_ptr()) }, agentsched_status::Ok);
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
    let vals: Vec<CString> = (0..3).map(|i| CString::new(i.to_string()).unwrap()).collect();
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
                value: if b == 255 { bad.as_ptr().cast() } else { vals[(a % 3) as usize].as_ptr() },
            };
            let cap = [b as u64 * 4, 64, (b % 3) as u64];
            let demand = [b as u64 % 40, 8, (b % 2) as u64];
            let s = match op % 16 {
                0 | 1 => agentsched_agent_join(h, &agentsched_agent_spec {
                    id: (a % 12) as u32,
                    capacity: cap.as_ptr(),
                    capacity_len: if a % 13 == 0 { 2 } else { 3 },
                    tier: (a % 3) as u32, // 2 is invalid
                    cost_per_time: num(b),
                    speed: num(b.wrapping_add(3)),
                    labels: &label,
                    labels_len: 1,
                }),
                2..=4 => agentsched_task_submit(h, &agentsched_task_spec {
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
                }),
                5 => {
                    let mut n = usize::MAX;
                    let s = agentsched_dispatch(h, if a % 2 == 0 { &mut n } else { null_mut() });
                    let mut len = 0usize;
                    let mut buf = [agentsched_assignment { task: 0, agent: 0, score: 0.0, start: 0.0, expected_end: 0.0, backfilled: false }; 2];
                    let r = agentsched_dispatcher_assignments(h, buf.as_mut_ptr(), (b % 3) as usize, &mut len);
                    assert!(r == agentsched_status::Ok || (r == agentsched_status::BufferTooSmall && len > (b % 3) as usize));
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
                        assert_eq!(agentsched_explanation_get_summary(e, &mut sum), agentsched_status::Ok);
                        let mut len = 0usize;
                        let r = agentsched_explanation_reasons(e, null_mut(), 0, &mut len);
                        assert!(r == agentsched_status::Ok || r == agentsched_status::BufferTooSmall);
                        let mut text = [0 as c_char; 16];
                        let r = agentsched_explanation_text(e, text.as_mut_ptr(), text.len(), &mut len);
                        assert!(r == agentsched_status::Ok || (r == agentsched_status::BufferTooSmall && len >= 16));
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
            assert_ne!(s, agentsched_status::NullPointer, "op {op}: no NULL was passed where one is required");
            if s != agentsched_status::Ok {
                assert_eq!(before, snapshot(h), "op {op} failed with {s:?} but changed the state");
                let mut len = 0usize;
                let mut msg = [0 as c_char; 4];
                let r = agentsched_dispatcher_last_error(h, msg.as_mut_ptr(), msg.len(), &mut len);
                assert!(r == agentsched_status::Ok || r == agentsched_status::BufferTooSmall);
            }
            let mut c = agentsched_counts::default();
            assert_eq!(agentsched_dispatcher_counts(h, &mut c), agentsched_status::Ok);
            assert!(c.placed >= c.completed);
        }
    }
    // NULL probing: every call reports NULL_POINTER, none crashes.
    // SAFETY: NULL handles and outputs are documented as checked.
    unsafe {
        assert_eq!(agentsched_dispatch(null_mut(), null_mut()), agentsched_status::NullPointer);
        assert_eq!(agentsched_task_submit(h, null()), agentsched_status::NullPointer);
        assert_eq!(agentsched_dispatcher_counts(h, null_mut()), agentsched_status::NullPointer);
        agentsched_dispatcher_free(h);
        agentsched_dispatcher_free(null_mut());
        agentsched_explanation_free(null_mut());
    }
});
