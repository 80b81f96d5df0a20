//! Memory per queued task, measured with a counting allocator (a budget check, and the figure
//! the issue notes report: run with `--nocapture`).

use agentsched::online::{Dispatcher, DispatcherConfig, TaskSpec};
use agentsched::pool::AgentSpec;
use agentsched::resources::Schema;
use agentsched::{AgentId, TaskId};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

struct Counting;
static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator and only counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        LIVE.fetch_add(new as isize - l.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn memory_per_queued_task_is_within_budget() {
    let schema = Schema::new(["cpu", "memory", "gpu", "net"]).unwrap();
    let mut d = Dispatcher::new(schema, DispatcherConfig::default()).unwrap();
    d.join_agent(AgentSpec::new(
        AgentId(1),
        vec![1_000_000, 1_000_000, 8, 1_000_000],
    ))
    .unwrap();
    let n = 200_000u32;
    let before = LIVE.load(Ordering::Relaxed);
    for i in 0..n {
        let spec = TaskSpec::new(TaskId(i), vec![1, 1, 0, 1])
            .priority((i % 7) as i32)
            .duration(1.0);
        d.submit(spec).unwrap();
    }
    let after = LIVE.load(Ordering::Relaxed);
    assert_eq!(d.queued(), n as usize);
    let per_task = (after - before) as f64 / n as f64;
    println!("memory per queued task (4 dimensions, no labels): {per_task:.1} bytes");
    // Budget: queue entry + task record + id map, with growth slack.
    assert!(per_task < 512.0, "{per_task} bytes per queued task");
}
