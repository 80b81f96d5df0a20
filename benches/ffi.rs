//! A dispatch decision through the C ABI against the same through Rust, in the same run:
//! submit + dispatch + read the assignment + complete, on a 1,000-agent, 4-dimension pool.
//! Target: C ABI <= 1.2x Rust.

use agentsched::ffi::*;
use agentsched::online::{Dispatcher, TaskSpec};
use agentsched::pool::AgentSpec;
use agentsched::resources::Schema;
use agentsched::{AgentId, TaskId};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::collections::VecDeque;
use std::ffi::CString;
use std::hint::black_box;

const AGENTS: u32 = 1_000;
const DIMS: [&str; 4] = ["cpu", "memory", "gpu", "net"];

fn capacity(a: u32) -> [u64; 4] {
    [
        16_000 + (a % 4) as u64 * 16_000,
        65_536,
        (a % 3 == 0) as u64 * 8,
        10_000,
    ]
}

fn demand(i: u32) -> [u64; 4] {
    [
        500 + (i * 7919) as u64 % 4000,
        1024 + (i * 104_729) as u64 % 16_384,
        0,
        (i % 500) as u64,
    ]
}

fn rust_side() -> (Dispatcher, VecDeque<TaskId>) {
    let schema = Schema::new(DIMS).unwrap();
    let mut d = Dispatcher::new(schema, Default::default()).unwrap();
    for a in 0..AGENTS {
        d.join_agent(AgentSpec::new(AgentId(a), capacity(a).to_vec()))
            .unwrap();
    }
    (d, VecDeque::new())
}

fn c_side() -> *mut agentsched_dispatcher {
    let names: Vec<CString> = DIMS.iter().map(|n| CString::new(*n).unwrap()).collect();
    let ptrs: Vec<*const std::ffi::c_char> = names.iter().map(|n| n.as_ptr()).collect();
    let mut h = std::ptr::null_mut();
    // SAFETY: valid names, NULL config = defaults, valid out pointer.
    let s =
        unsafe { agentsched_dispatcher_new(ptrs.as_ptr(), ptrs.len(), std::ptr::null(), &mut h) };
    assert_eq!(s, agentsched_status::Ok);
    for a in 0..AGENTS {
        let cap = capacity(a);
        let spec = agentsched_agent_spec {
            id: a,
            capacity: cap.as_ptr(),
            capacity_len: cap.len(),
            tier: AGENTSCHED_TIER_PRIVATE,
            cost_per_time: 0.0,
            speed: 1.0,
            labels: std::ptr::null(),
            labels_len: 0,
        };
        // SAFETY: valid handle and spec.
        assert_eq!(
            unsafe { agentsched_agent_join(h, &spec) },
            agentsched_status::Ok
        );
    }
    h
}

fn ffi(c: &mut Criterion) {
    let mut g = c.benchmark_group("dispatch_decision");
    g.throughput(Throughput::Elements(1));

    let (mut d, mut running) = rust_side();
    let mut next = 0u32;
    g.bench_function("rust", |b| {
        b.iter(|| {
            let dm = demand(next);
            d.submit(TaskSpec::new(TaskId(next), dm.to_vec()).duration(10.0))
                .unwrap();
            next += 1;
            for a in d.dispatch() {
                running.push_back(a.task);
            }
            if running.len() > 2_000
                && let Some(t) = running.pop_front()
            {
                d.complete(t).unwrap();
            }
            black_box(&d);
        })
    });

    let h = c_side();
    let mut running: VecDeque<u32> = VecDeque::new();
    let mut next = 0u32;
    let mut buf = [agentsched_assignment {
        task: 0,
        agent: 0,
        score: 0.0,
        start: 0.0,
        expected_end: 0.0,
        backfilled: false,
    }; 8];
    g.bench_function("c_abi", |b| {
        b.iter(|| {
            let dm = demand(next);
            let spec = agentsched_task_spec {
                id: next,
                demand: dm.as_ptr(),
                demand_len: dm.len(),
                priority: 0,
                duration: 10.0,
                sensitivity: AGENTSCHED_SENSITIVITY_PUBLIC,
                labels: std::ptr::null(),
                labels_len: 0,
                has_gang: false,
                gang_id: 0,
                gang_size: 0,
            };
            next += 1;
            let mut n = 0usize;
            let mut len = 0usize;
            // SAFETY: valid handle, spec, buffers and out pointers.
            unsafe {
                assert_eq!(agentsched_task_submit(h, &spec), agentsched_status::Ok);
                assert_eq!(agentsched_dispatch(h, &mut n), agentsched_status::Ok);
                let s = agentsched_dispatcher_assignments(h, buf.as_mut_ptr(), buf.len(), &mut len);
                assert_eq!(s, agentsched_status::Ok);
            }
            running.extend(buf[..len].iter().map(|a| a.task));
            if running.len() > 2_000
                && let Some(t) = running.pop_front()
            {
                // SAFETY: valid handle.
                assert_eq!(
                    unsafe { agentsched_task_complete(h, t) },
                    agentsched_status::Ok
                );
            }
        })
    });
    g.finish();
    // SAFETY: made above, freed once.
    unsafe { agentsched_dispatcher_free(h) };
}

criterion_group!(benches, ffi);
criterion_main!(benches);
