//! Indexed priority queues and queue disciplines.
//!
//! Two layers:
//!
//! - [`IndexedHeap`]: a 4-ary min-heap keyed by dense `u32` ids, with O(log n) push, pop,
//!   change-key and remove by id, and no hashing (a position array indexed by id).
//! - [`TaskQueue`]: tasks ([`QueueItem`]) ordered by a [`Discipline`] — priority then FIFO,
//!   shortest job first, a multi-level feedback queue ([`MlfqConfig`]) or priority with aging
//!   ([`AgingConfig`]). It remembers popped tasks so they can be requeued with their original
//!   arrival and consumed time, and it saves and restores its whole state ([`QueueState`]).
//!
//! Orders are total and deterministic: every discipline ends with the task's unique submission
//! number `seq`, and the heap breaks equal keys by the lowest id.
//!
//! # Example: shortest job first
//!
//! ```
//! use agentsched::queue::{Discipline, QueueItem, TaskQueue};
//!
//! let mut q = TaskQueue::new(Discipline::ShortestJobFirst)?;
//! q.insert(0, QueueItem::new(0, 30.0, 0.0, 0))?;
//! q.insert(1, QueueItem::new(0, 5.0, 1.0, 1))?;
//! q.insert(2, QueueItem::new(9, 5.0, 2.0, 2))?;
//! assert_eq!(q.pop(), Some(2)); // as short as task 1, higher priority
//! assert_eq!(q.pop(), Some(1));
//! assert_eq!(q.pop(), Some(0));
//! # Ok::<(), agentsched::Error>(())
//! ```

mod discipline;
mod heap;

pub use discipline::{
    AgingConfig, Discipline, MAX_MLFQ_QUANTA, MlfqConfig, QueueEntryState, QueueItem, QueueState,
    TaskQueue,
};
pub use heap::IndexedHeap;
