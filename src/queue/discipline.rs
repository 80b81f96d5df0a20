//! Queue disciplines (priority, shortest job first, MLFQ, aging) and the [`TaskQueue`] that
//! applies them.

use super::heap::IndexedHeap;
use crate::model::{check_non_negative, check_positive};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// The most quanta (levels minus one) an [`MlfqConfig`] may have.
pub const MAX_MLFQ_QUANTA: usize = 16;

/// The order in which a [`TaskQueue`] releases its tasks.
///
/// Every discipline ends with `seq` as the final tie-break. `seq` is unique among the tasks a
/// queue knows, so the order is total and does not depend on ids or insertion history.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Discipline {
    /// Higher `priority` first; among equal priorities the shorter `duration`; then arrival order
    /// (lower `seq`).
    #[default]
    PriorityFifo,
    /// Shorter `duration` first; then higher `priority`; then lower `seq`.
    ShortestJobFirst,
    /// Multi-level feedback queue: lower level first; within a level higher `priority`, then lower
    /// `seq` (FIFO). A task's level is the number of quanta its consumed time has exhausted; see
    /// [`MlfqConfig`].
    Mlfq(MlfqConfig),
    /// Priority with aging: higher effective priority `priority + rate * (now - arrival)` first;
    /// then shorter `duration`; then lower `seq`.
    ///
    /// The term `rate * now` is common to every task, so this is the same order as the static key
    /// `rate * arrival - priority`, smallest first. The queue sorts by that key, computed in `f64`
    /// exactly as written (`-0.0` counted as `0.0`), so keys never change as time passes: no
    /// periodic re-keying is needed and every operation stays O(log n). A task that has waited
    /// `(p_high - p_low) / rate` longer than a task of higher priority overtakes it, so no task
    /// starves while `rate > 0`.
    Aging(AgingConfig),
}

/// Configuration of [`Discipline::Mlfq`].
///
/// A task starts at level 0. `quanta[i]` is the time it may consume at level `i` before it is
/// demoted to level `i + 1`: with consumed time `used`, its level is the number of prefix sums
/// `quanta[0] + ... + quanta[i]` (added left to right in `f64`) that are `<= used`. There are
/// `quanta.len() + 1` levels; the last never demotes. Every `boost_interval` units of time (see
/// [`TaskQueue::advance`]) all tasks go back to level 0: their consumed time resets to zero.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MlfqConfig {
    /// Time allowed at each level before demotion: 1 to [`MAX_MLFQ_QUANTA`] values, each finite
    /// and positive.
    pub quanta: Vec<f64>,
    /// Time between boosts: finite and positive.
    pub boost_interval: f64,
}

impl MlfqConfig {
    /// The number of levels, `quanta.len() + 1`.
    pub fn levels(&self) -> usize {
        self.quanta.len() + 1
    }
}

/// Configuration of [`Discipline::Aging`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgingConfig {
    /// Priority levels gained per unit of waiting time: finite and non-negative. Zero gives plain
    /// priority order.
    pub rate: f64,
}

impl Discipline {
    /// Checks the configuration.
    ///
    /// # Errors
    /// - [`Error::InvalidConfig`] (`mlfq.quanta`) if there are no quanta or more than
    ///   [`MAX_MLFQ_QUANTA`];
    /// - [`Error::NotFinite`], [`Error::Negative`] or [`Error::NotPositive`] for a quantum
    ///   (`mlfq.quanta`), the boost interval (`mlfq.boost_interval`) or the aging rate
    ///   (`aging.rate`, which may be zero).
    ///
    /// # Example
    /// ```
    /// use agentsched::queue::{Discipline, MlfqConfig};
    ///
    /// let bad = Discipline::Mlfq(MlfqConfig { quanta: vec![], boost_interval: 10.0 });
    /// assert!(bad.validate().is_err());
    /// assert!(Discipline::ShortestJobFirst.validate().is_ok());
    /// ```
    pub fn validate(&self) -> Result<()> {
        self.normalized().map(|_| ())
    }

    /// The validated discipline with `-0.0` replaced by `0.0`.
    fn normalized(&self) -> Result<Discipline> {
        Ok(match self {
            Discipline::PriorityFifo => Discipline::PriorityFifo,
            Discipline::ShortestJobFirst => Discipline::ShortestJobFirst,
            Discipline::Mlfq(c) => {
                if c.quanta.is_empty() || c.quanta.len() > MAX_MLFQ_QUANTA {
                    return Err(Error::InvalidConfig {
                        field: "mlfq.quanta",
                        reason: "needs 1 to 16 quanta",
                    });
                }
                let quanta = c
                    .quanta
                    .iter()
                    .map(|&q| check_positive("mlfq.quanta", q))
                    .collect::<Result<Vec<f64>>>()?;
                let boost_interval = check_positive("mlfq.boost_interval", c.boost_interval)?;
                Discipline::Mlfq(MlfqConfig {
                    quanta,
                    boost_interval,
                })
            }
            Discipline::Aging(c) => Discipline::Aging(AgingConfig {
                rate: check_non_negative("aging.rate", c.rate)?,
            }),
        })
    }

    /// Cumulative demotion thresholds (MLFQ), empty for other disciplines.
    fn thresholds(&self) -> Vec<f64> {
        match self {
            Discipline::Mlfq(c) => c
                .quanta
                .iter()
                .scan(0.0, |sum, &q| {
                    *sum += q;
                    Some(*sum)
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// A task as a queue sees it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct QueueItem {
    /// Larger is more urgent.
    pub priority: i32,
    /// Estimated run time: finite and non-negative.
    pub duration: f64,
    /// Submission time: finite and non-negative.
    pub arrival: f64,
    /// Submission number: each insert into a queue must use a `seq` greater than every `seq`
    /// inserted before, so it is unique and orders tasks by arrival. The final tie-break of every
    /// discipline.
    pub seq: u64,
}

impl QueueItem {
    /// A queue item.
    pub const fn new(priority: i32, duration: f64, arrival: f64, seq: u64) -> Self {
        QueueItem {
            priority,
            duration,
            arrival,
            seq,
        }
    }

    /// The item with its times checked and `-0.0` replaced by `0.0`.
    fn validated(self) -> Result<Self> {
        Ok(QueueItem {
            duration: check_non_negative("duration", self.duration)?,
            arrival: check_non_negative("arrival", self.arrival)?,
            ..self
        })
    }
}

/// The heap key: compared field by field, smallest first. Every field is an order-preserving
/// integer image of the value it stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    primary: u64,
    secondary: u64,
    seq: u64,
}

/// Higher priority maps to a smaller rank.
fn priority_rank(p: i32) -> u64 {
    (i64::from(i32::MAX) - i64::from(p)) as u64
}

/// An order-preserving map from `f64` (not NaN) to `u64`.
fn f64_rank(x: f64) -> u64 {
    let bits = x.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

/// The MLFQ level reached after consuming `used`.
fn level_of(thresholds: &[f64], used: f64) -> usize {
    thresholds.partition_point(|&t| t <= used)
}

fn key_of(discipline: &Discipline, thresholds: &[f64], item: &QueueItem, used: f64) -> Key {
    // Non-negative finite f64s (validated) order like their bit patterns.
    let duration = item.duration.to_bits();
    let priority = priority_rank(item.priority);
    let (primary, secondary) = match discipline {
        Discipline::PriorityFifo => (priority, duration),
        Discipline::ShortestJobFirst => (duration, priority),
        Discipline::Mlfq(_) => (level_of(thresholds, used) as u64, priority),
        Discipline::Aging(c) => {
            // Never NaN: rate and arrival are finite and >= 0, so the product is in [0, inf].
            let aged = c.rate * item.arrival - f64::from(item.priority) + 0.0;
            (f64_rank(aged), duration)
        }
    };
    Key {
        primary,
        secondary,
        seq: item.seq,
    }
}

/// What a queue remembers about a task it knows, queued or not.
#[derive(Debug, Clone, Copy)]
struct Slot {
    item: QueueItem,
    used: f64,
}

/// A queue of tasks under a [`Discipline`], indexed by dense `u32` ids.
///
/// A task the queue knows is either queued or popped (for example running); it keeps its item and
/// consumed time until [`remove`](Self::remove)d, so a popped task can be
/// [`requeue`](Self::requeue)d with its original arrival and `seq` and, under MLFQ, its level.
///
/// Every mutating method checks its arguments before changing anything: a call that returns an
/// error leaves the queue exactly as it was.
///
/// # Memory
///
/// Per id up to the largest known id (ids are dense by contract): a 48-byte slot and a 4-byte
/// heap position; per queued task a 32-byte heap entry.
///
/// # Example: a low-priority task is preempted and demoted under MLFQ
///
/// ```
/// use agentsched::queue::{Discipline, MlfqConfig, QueueItem, TaskQueue};
///
/// let mlfq = MlfqConfig { quanta: vec![2.0, 4.0], boost_interval: 50.0 };
/// let mut q = TaskQueue::new(Discipline::Mlfq(mlfq))?;
/// q.insert(0, QueueItem::new(1, 10.0, 0.0, 0))?; // long job
/// q.insert(1, QueueItem::new(0, 1.0, 0.5, 1))?;  // short job, lower priority
///
/// // The long job runs first, uses up its level-0 quantum and is requeued.
/// assert_eq!(q.pop(), Some(0));
/// q.charge(0, 2.0)?;
/// q.requeue(0)?;
/// assert_eq!(q.level(0), Some(1));
/// assert_eq!(q.ordered_ids(), vec![1, 0]);
///
/// // At time 50 every task is boosted back to level 0.
/// assert!(q.advance(50.0)?);
/// assert_eq!(q.level(0), Some(0));
/// assert_eq!(q.ordered_ids(), vec![0, 1]);
/// # Ok::<(), agentsched::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct TaskQueue {
    discipline: Discipline,
    /// MLFQ demotion thresholds (prefix sums of the quanta); empty otherwise.
    thresholds: Vec<f64>,
    heap: IndexedHeap<Key>,
    /// Per-id state of known tasks, indexed by id.
    slots: Vec<Option<Slot>>,
    /// The largest `seq` ever inserted.
    last_seq: Option<u64>,
    last_boost: f64,
    now: f64,
}

impl Default for TaskQueue {
    fn default() -> Self {
        TaskQueue {
            discipline: Discipline::PriorityFifo,
            thresholds: Vec::new(),
            heap: IndexedHeap::new(),
            slots: Vec::new(),
            last_seq: None,
            last_boost: 0.0,
            now: 0.0,
        }
    }
}

impl TaskQueue {
    /// An empty queue at time 0.
    ///
    /// # Complexity
    /// O(1).
    ///
    /// # Errors
    /// As [`Discipline::validate`].
    pub fn new(discipline: Discipline) -> Result<Self> {
        let discipline = discipline.normalized()?;
        Ok(TaskQueue {
            thresholds: discipline.thresholds(),
            discipline,
            ..TaskQueue::default()
        })
    }

    /// The current discipline.
    pub fn discipline(&self) -> &Discipline {
        &self.discipline
    }

    /// Switches to another discipline and reorders the queued tasks.
    ///
    /// Items and consumed times are kept. When switching to MLFQ from another discipline the boost
    /// clock starts now (the next boost is due at `now + boost_interval`); between two MLFQ
    /// configurations it keeps running.
    ///
    /// # Complexity
    /// O(n) for n queued tasks (the heap is rebuilt bottom-up).
    ///
    /// # Errors
    /// As [`Discipline::validate`]; the queue is then unchanged.
    pub fn set_discipline(&mut self, discipline: Discipline) -> Result<()> {
        let discipline = discipline.normalized()?;
        if matches!(discipline, Discipline::Mlfq(_))
            && !matches!(self.discipline, Discipline::Mlfq(_))
        {
            self.last_boost = self.now;
        }
        self.thresholds = discipline.thresholds();
        self.discipline = discipline;
        self.rekey_all();
        Ok(())
    }

    fn slot(&self, id: u32) -> Option<&Slot> {
        self.slots.get(id as usize).and_then(Option::as_ref)
    }

    fn known_slot(&self, id: u32) -> Result<Slot> {
        self.slot(id).copied().ok_or(Error::QueueEntry {
            id,
            reason: "unknown",
        })
    }

    fn slot_mut(&mut self, id: u32) -> Option<&mut Slot> {
        self.slots.get_mut(id as usize).and_then(Option::as_mut)
    }

    fn key(&self, slot: &Slot) -> Key {
        key_of(&self.discipline, &self.thresholds, &slot.item, slot.used)
    }

    /// Recomputes the key of a queued `id` from its slot.
    fn rekey(&mut self, id: u32) {
        if let Some(slot) = self.slot(id).copied() {
            let key = self.key(&slot);
            // Errors only if `id` is not queued, in which case there is nothing to rekey.
            let _ = self.heap.change_key(id, key);
        }
    }

    fn rekey_all(&mut self) {
        let (discipline, thresholds, slots) = (&self.discipline, &self.thresholds, &self.slots);
        self.heap.rekey_all(
            |id, old| match slots.get(id as usize).and_then(Option::as_ref) {
                Some(s) => key_of(discipline, thresholds, &s.item, s.used),
                None => old,
            },
        );
    }

    /// Adds a new task, queued, with no consumed time.
    ///
    /// # Complexity
    /// O(log n); the per-id arrays grow to `id + 1` slots if shorter.
    ///
    /// # Errors
    /// - [`Error::QueueEntry`] `"duplicate"` if `id` is already known (queued or popped);
    /// - [`Error::NotFinite`] or [`Error::Negative`] for `duration` or `arrival`;
    /// - [`Error::QueueEntry`] `"seq not increasing"` if `item.seq` is not greater than every
    ///   `seq` inserted before;
    /// - [`Error::QueueEntry`] `"capacity"` if memory for the id cannot be allocated.
    ///
    /// # Example: priority first, then shorter job, then arrival
    /// ```
    /// use agentsched::queue::{Discipline, QueueItem, TaskQueue};
    ///
    /// let mut q = TaskQueue::new(Discipline::PriorityFifo)?;
    /// q.insert(10, QueueItem::new(1, 5.0, 0.0, 0))?;
    /// q.insert(11, QueueItem::new(2, 9.0, 1.0, 1))?;
    /// q.insert(12, QueueItem::new(1, 3.0, 2.0, 2))?;
    /// q.insert(13, QueueItem::new(1, 3.0, 3.0, 3))?;
    /// assert_eq!(q.ordered_ids(), vec![11, 12, 13, 10]);
    /// assert!(q.insert(12, QueueItem::new(0, 1.0, 4.0, 4)).is_err());
    /// # Ok::<(), agentsched::Error>(())
    /// ```
    pub fn insert(&mut self, id: u32, item: QueueItem) -> Result<()> {
        if self.is_known(id) {
            return Err(Error::QueueEntry {
                id,
                reason: "duplicate",
            });
        }
        let item = item.validated()?;
        if self.last_seq.is_some_and(|last| item.seq <= last) {
            return Err(Error::QueueEntry {
                id,
                reason: "seq not increasing",
            });
        }
        let capacity = Error::QueueEntry {
            id,
            reason: "capacity",
        };
        let index = id as usize;
        let needed = index.checked_add(1).ok_or(capacity.clone())?;
        if needed > self.slots.len() {
            // Growing `slots` is invisible to callers, so it may happen before `push` can fail.
            self.slots
                .try_reserve(needed - self.slots.len())
                .map_err(|_| capacity)?;
            self.slots.resize(needed, None);
        }
        let slot = Slot { item, used: 0.0 };
        self.heap.push(id, self.key(&slot))?;
        if let Some(s) = self.slots.get_mut(index) {
            *s = Some(slot);
        }
        self.last_seq = Some(item.seq);
        Ok(())
    }

    /// Removes the first task in the discipline's order and returns its id. The task stays known
    /// (see [`requeue`](Self::requeue), [`remove`](Self::remove)).
    ///
    /// # Complexity
    /// O(log n).
    pub fn pop(&mut self) -> Option<u32> {
        self.heap.pop().map(|(id, _)| id)
    }

    /// The id [`pop`](Self::pop) would return.
    ///
    /// # Complexity
    /// O(1).
    pub fn peek(&self) -> Option<u32> {
        self.heap.peek().map(|(id, _)| id)
    }

    /// Puts a popped task back in the queue with its original item (same arrival and `seq`) and
    /// its consumed time (so, under MLFQ, its current level).
    ///
    /// # Complexity
    /// O(log n).
    ///
    /// # Errors
    /// [`Error::QueueEntry`] `"unknown"` if `id` is not known, `"duplicate"` if it is already
    /// queued, `"capacity"` if memory cannot be allocated.
    pub fn requeue(&mut self, id: u32) -> Result<()> {
        let slot = self.known_slot(id)?;
        if self.heap.contains(id) {
            return Err(Error::QueueEntry {
                id,
                reason: "duplicate",
            });
        }
        self.heap.push(id, self.key(&slot))
    }

    /// Takes a queued task out of the order without forgetting it, as [`pop`](Self::pop) does
    /// for the first one (a gang member placed with the member that was popped).
    ///
    /// # Complexity
    /// O(log n).
    ///
    /// # Errors
    /// [`Error::QueueEntry`] `"unknown"` if `id` is not queued.
    pub fn take(&mut self, id: u32) -> Result<()> {
        self.heap.remove(id).map(|_| ())
    }

    /// Forgets a task, queued or not, and returns its item.
    ///
    /// # Complexity
    /// O(log n).
    ///
    /// # Errors
    /// [`Error::QueueEntry`] `"unknown"` if `id` is not known.
    pub fn remove(&mut self, id: u32) -> Result<QueueItem> {
        let slot = self.known_slot(id)?;
        // Fails only if `id` is not queued, which is fine.
        let _ = self.heap.remove(id);
        if let Some(s) = self.slots.get_mut(id as usize) {
            *s = None;
        }
        Ok(slot.item)
    }

    /// Changes a task's priority (queued or not) and reorders it if queued.
    ///
    /// # Complexity
    /// O(log n).
    ///
    /// # Errors
    /// [`Error::QueueEntry`] `"unknown"` if `id` is not known.
    pub fn change_priority(&mut self, id: u32, priority: i32) -> Result<()> {
        let slot = self.slot_mut(id).ok_or(Error::QueueEntry {
            id,
            reason: "unknown",
        })?;
        slot.item.priority = priority;
        self.rekey(id);
        Ok(())
    }

    /// Changes a task's estimated duration (queued or not) and reorders it if queued: a runtime
    /// estimate that was refreshed.
    ///
    /// # Complexity
    /// O(log n).
    ///
    /// # Errors
    /// [`Error::NotFinite`] or [`Error::Negative`] (`duration`); [`Error::QueueEntry`]
    /// `"unknown"` if `id` is not known. Nothing changes on error.
    pub fn change_duration(&mut self, id: u32, duration: f64) -> Result<()> {
        let duration = check_non_negative("duration", duration)?;
        let slot = self.slot_mut(id).ok_or(Error::QueueEntry {
            id,
            reason: "unknown",
        })?;
        slot.item.duration = duration;
        self.rekey(id);
        Ok(())
    }

    /// Adds `used` to a task's consumed time. Under MLFQ this may demote it (and reorders it if
    /// queued); under other disciplines the time is recorded but does not affect the order.
    ///
    /// # Complexity
    /// O(log n).
    ///
    /// # Errors
    /// - [`Error::QueueEntry`] `"unknown"` if `id` is not known;
    /// - [`Error::NotFinite`] or [`Error::Negative`] (`used`) if `used` is NaN, infinite or
    ///   negative, or [`Error::NotFinite`] if the total would overflow to infinity.
    pub fn charge(&mut self, id: u32, used: f64) -> Result<()> {
        let slot = self.known_slot(id)?;
        let used = check_non_negative("used", used)?;
        let total = slot.used + used;
        if !total.is_finite() {
            return Err(Error::NotFinite {
                field: "used",
                value: total,
            });
        }
        let before = level_of(&self.thresholds, slot.used);
        if let Some(s) = self.slot_mut(id) {
            s.used = total;
        }
        if level_of(&self.thresholds, total) != before {
            self.rekey(id);
        }
        Ok(())
    }

    /// Moves the queue's clock to `now`. Under MLFQ, if a boost is due (`now >= last_boost +
    /// boost_interval`), resets the consumed time of every known task to zero, reorders the queue,
    /// moves the boost clock to the latest boundary `last_boost + k * boost_interval <= now` and
    /// returns `true`. Several missed boundaries make one boost.
    ///
    /// # Complexity
    /// O(1) without a boost; O(n + m) with one (n queued tasks, m id slots).
    ///
    /// # Errors
    /// [`Error::NotFinite`] or [`Error::Negative`] (`now`), or [`Error::TimeWentBackwards`] if
    /// `now` is earlier than the last time given.
    pub fn advance(&mut self, now: f64) -> Result<bool> {
        let now = check_non_negative("now", now)?;
        if now < self.now {
            return Err(Error::TimeWentBackwards {
                now: self.now,
                got: now,
            });
        }
        self.now = now;
        let interval = match &self.discipline {
            Discipline::Mlfq(c) => c.boost_interval,
            _ => return Ok(false),
        };
        if now < self.last_boost + interval {
            return Ok(false);
        }
        let periods = ((now - self.last_boost) / interval).floor();
        let mut boundary = self.last_boost + periods * interval;
        // Guard against rounding: the boundary must not pass `now` nor stay behind by a period.
        if boundary > now {
            boundary -= interval;
        }
        if boundary + interval <= now {
            boundary += interval;
        }
        self.last_boost = boundary.clamp(self.last_boost, now);
        for slot in self.slots.iter_mut().flatten() {
            slot.used = 0.0;
        }
        self.rekey_all();
        Ok(true)
    }

    /// The number of queued tasks.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether no task is queued.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Whether `id` is queued.
    pub fn contains(&self, id: u32) -> bool {
        self.heap.contains(id)
    }

    /// Whether `id` is known (queued or popped and not removed).
    pub fn is_known(&self, id: u32) -> bool {
        self.slot(id).is_some()
    }

    /// The item of a known task.
    pub fn item(&self, id: u32) -> Option<&QueueItem> {
        self.slot(id).map(|s| &s.item)
    }

    /// The MLFQ level of a known task (0 under other disciplines).
    pub fn level(&self, id: u32) -> Option<usize> {
        self.slot(id).map(|s| level_of(&self.thresholds, s.used))
    }

    /// The consumed time of a known task since its last boost.
    pub fn used(&self, id: u32) -> Option<f64> {
        self.slot(id).map(|s| s.used)
    }

    /// The queue's clock: the last time given to [`advance`](Self::advance).
    pub fn now(&self) -> f64 {
        self.now
    }

    /// The queued ids in the order [`pop`](Self::pop) would return them, without changing the
    /// queue.
    ///
    /// # Complexity
    /// O(n log n + m) time and O(n + m) extra space (n queued tasks, m id slots).
    pub fn ordered_ids(&self) -> Vec<u32> {
        let mut heap = self.heap.clone();
        let mut out = Vec::with_capacity(heap.len());
        while let Some((id, _)) = heap.pop() {
            out.push(id);
        }
        out
    }

    /// A serialisable snapshot of the queue, entries sorted by id.
    ///
    /// # Complexity
    /// O(m) for m id slots.
    ///
    /// # Example: save and restore
    /// ```
    /// use agentsched::queue::{Discipline, QueueItem, TaskQueue};
    ///
    /// let mut q = TaskQueue::new(Discipline::ShortestJobFirst)?;
    /// q.insert(0, QueueItem::new(0, 8.0, 0.0, 0))?;
    /// q.insert(1, QueueItem::new(0, 2.0, 0.0, 1))?;
    /// let restored = TaskQueue::from_state(q.state())?;
    /// assert_eq!(restored.ordered_ids(), q.ordered_ids());
    /// assert_eq!(restored.state(), q.state());
    /// # Ok::<(), agentsched::Error>(())
    /// ```
    pub fn state(&self) -> QueueState {
        QueueState {
            discipline: self.discipline.clone(),
            last_boost: self.last_boost,
            now: self.now,
            last_seq: self.last_seq,
            entries: self
                .slots
                .iter()
                .enumerate()
                .filter_map(|(i, s)| {
                    let s = s.as_ref()?;
                    let id = i as u32;
                    Some(QueueEntryState {
                        id,
                        item: s.item,
                        used: s.used,
                        queued: self.heap.contains(id),
                    })
                })
                .collect(),
        }
    }

    /// Rebuilds a queue from a snapshot, checking everything.
    ///
    /// # Complexity
    /// O(k log k + m) for k entries and m id slots (the largest id plus one).
    ///
    /// # Errors
    /// [`Error::InvalidSnapshot`] if the discipline is invalid; `now` or `last_boost` is not
    /// finite and non-negative, or `last_boost > now`; an item's times or a consumed time is not
    /// finite and non-negative; two entries share an id or a `seq`; `last_seq` is smaller than an
    /// entry's `seq`; or memory for the ids cannot be allocated.
    pub fn from_state(state: QueueState) -> Result<Self> {
        fn invalid(reason: String) -> Error {
            Error::InvalidSnapshot { reason }
        }
        let discipline = state
            .discipline
            .normalized()
            .map_err(|e| invalid(format!("discipline: {e}")))?;
        let now = check_non_negative("now", state.now).map_err(|e| invalid(e.to_string()))?;
        let last_boost = check_non_negative("last_boost", state.last_boost)
            .map_err(|e| invalid(e.to_string()))?;
        if last_boost > now {
            return Err(invalid(format!(
                "last_boost {last_boost} is later than now {now}"
            )));
        }
        let mut entries = Vec::with_capacity(state.entries.len());
        for e in &state.entries {
            let item = e
                .item
                .validated()
                .map_err(|err| invalid(format!("entry {}: {err}", e.id)))?;
            let used = check_non_negative("used", e.used)
                .map_err(|err| invalid(format!("entry {}: {err}", e.id)))?;
            entries.push(QueueEntryState { item, used, ..*e });
        }
        let mut seqs: Vec<u64> = entries.iter().map(|e| e.item.seq).collect();
        seqs.sort_unstable();
        if let Some(w) = seqs.windows(2).find(|w| w[0] == w[1]) {
            return Err(invalid(format!("two entries have seq {}", w[0])));
        }
        if let Some(&max_seq) = seqs.last() {
            if state.last_seq.is_none_or(|last| last < max_seq) {
                return Err(invalid(format!(
                    "last_seq {:?} is smaller than the entry seq {max_seq}",
                    state.last_seq
                )));
            }
        }
        entries.sort_unstable_by_key(|e| e.id);
        if let Some(w) = entries.windows(2).find(|w| w[0].id == w[1].id) {
            return Err(invalid(format!("two entries have id {}", w[0].id)));
        }
        let mut queue = TaskQueue {
            thresholds: discipline.thresholds(),
            discipline,
            heap: IndexedHeap::new(),
            slots: Vec::new(),
            last_seq: state.last_seq,
            last_boost,
            now,
        };
        let slots_len = entries
            .last()
            .map_or(Some(0), |e| (e.id as usize).checked_add(1))
            .ok_or_else(|| invalid("ids exceed the address space".to_string()))?;
        queue
            .slots
            .try_reserve_exact(slots_len)
            .map_err(|_| invalid(format!("cannot allocate {slots_len} id slots")))?;
        queue.slots.resize(slots_len, None);
        for e in &entries {
            let slot = Slot {
                item: e.item,
                used: e.used,
            };
            if e.queued {
                let key = queue.key(&slot);
                queue
                    .heap
                    .push(e.id, key)
                    .map_err(|err| invalid(err.to_string()))?;
            }
            if let Some(s) = queue.slots.get_mut(e.id as usize) {
                *s = Some(slot);
            }
        }
        Ok(queue)
    }
}

/// A serialisable snapshot of a [`TaskQueue`]; see [`TaskQueue::state`] and
/// [`TaskQueue::from_state`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueState {
    /// The discipline.
    pub discipline: Discipline,
    /// The time of the last MLFQ boost boundary.
    pub last_boost: f64,
    /// The queue's clock.
    pub now: f64,
    /// The largest `seq` ever inserted (new inserts must exceed it). At least every entry's `seq`.
    #[serde(default)]
    pub last_seq: Option<u64>,
    /// Every known task, sorted by id.
    pub entries: Vec<QueueEntryState>,
}

/// One known task in a [`QueueState`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct QueueEntryState {
    /// The task's dense id.
    pub id: u32,
    /// Its item.
    pub item: QueueItem,
    /// Its consumed time since the last boost.
    pub used: f64,
    /// Whether it is queued (otherwise popped and not yet requeued or removed).
    pub queued: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(priority: i32, duration: f64, arrival: f64, seq: u64) -> QueueItem {
        QueueItem::new(priority, duration, arrival, seq)
    }

    #[test]
    fn memory_per_queued_task() {
        let entry = size_of::<(Key, u32)>();
        let position = size_of::<u32>();
        let slot = size_of::<Option<Slot>>();
        eprintln!(
            "memory per queued task: heap entry {entry} + position {position} + slot {slot} = {} bytes",
            entry + position + slot
        );
        assert_eq!(entry + position + slot, 84);
    }

    #[test]
    fn ranks_preserve_order() {
        let xs = [
            f64::NEG_INFINITY,
            -1e300,
            -1.0,
            -f64::MIN_POSITIVE,
            0.0,
            f64::MIN_POSITIVE,
            1.0,
            1e300,
            f64::INFINITY,
        ];
        for w in xs.windows(2) {
            assert!(f64_rank(w[0]) < f64_rank(w[1]), "{w:?}");
        }
        assert!(priority_rank(i32::MAX) < priority_rank(0));
        assert!(priority_rank(0) < priority_rank(i32::MIN));
        assert_eq!(priority_rank(i32::MIN), u64::from(u32::MAX));
    }

    #[test]
    fn levels_from_thresholds() {
        let d = Discipline::Mlfq(MlfqConfig {
            quanta: vec![1.0, 2.0],
            boost_interval: 10.0,
        });
        let t = d.thresholds();
        assert_eq!(t, vec![1.0, 3.0]);
        assert_eq!(level_of(&t, 0.0), 0);
        assert_eq!(level_of(&t, 0.99), 0);
        assert_eq!(level_of(&t, 1.0), 1);
        assert_eq!(level_of(&t, 2.99), 1);
        assert_eq!(level_of(&t, 3.0), 2);
        assert_eq!(level_of(&t, 1e9), 2);
    }

    #[test]
    fn config_validation() {
        let mlfq = |quanta: Vec<f64>, boost_interval| {
            Discipline::Mlfq(MlfqConfig {
                quanta,
                boost_interval,
            })
            .validate()
        };
        assert!(mlfq(vec![1.0], 1.0).is_ok());
        assert!(mlfq(vec![1.0; 16], 1.0).is_ok());
        assert!(matches!(
            mlfq(vec![1.0; 17], 1.0),
            Err(Error::InvalidConfig { .. })
        ));
        assert!(matches!(
            mlfq(vec![], 1.0),
            Err(Error::InvalidConfig { .. })
        ));
        assert!(matches!(
            mlfq(vec![0.0], 1.0),
            Err(Error::NotPositive { .. })
        ));
        assert!(matches!(
            mlfq(vec![f64::NAN], 1.0),
            Err(Error::NotFinite { .. })
        ));
        assert!(matches!(mlfq(vec![1.0], -1.0), Err(Error::Negative { .. })));
        assert!(
            Discipline::Aging(AgingConfig { rate: 0.0 })
                .validate()
                .is_ok()
        );
        assert!(matches!(
            Discipline::Aging(AgingConfig {
                rate: f64::INFINITY
            })
            .validate(),
            Err(Error::NotFinite { .. })
        ));
    }

    #[test]
    fn lifecycle() {
        let mut q = TaskQueue::default();
        q.insert(3, item(0, 1.0, 0.0, 1)).unwrap();
        q.insert(1, item(5, 1.0, 0.0, 2)).unwrap();
        assert_eq!(q.len(), 2);
        assert_eq!(q.peek(), Some(1));
        assert_eq!(q.pop(), Some(1));
        assert!(q.is_known(1) && !q.contains(1));
        q.charge(1, 4.0).unwrap();
        q.requeue(1).unwrap();
        assert_eq!(q.used(1), Some(4.0));
        assert_eq!(q.level(1), Some(0));
        q.change_priority(1, -1).unwrap();
        assert_eq!(q.ordered_ids(), vec![3, 1]);
        assert_eq!(q.remove(3).unwrap().seq, 1);
        assert!(!q.is_known(3));
        assert_eq!(q.item(1).map(|i| i.priority), Some(-1));
        assert!(q.insert(3, item(0, 1.0, 0.0, 2)).is_err());
        q.insert(3, item(0, 1.0, 0.0, 3)).unwrap();
    }

    #[test]
    fn advance_boosts_at_boundaries() {
        let mut q = TaskQueue::new(Discipline::Mlfq(MlfqConfig {
            quanta: vec![1.0],
            boost_interval: 10.0,
        }))
        .unwrap();
        q.insert(0, item(0, 1.0, 0.0, 0)).unwrap();
        q.charge(0, 1.0).unwrap();
        assert_eq!(q.level(0), Some(1));
        assert!(!q.advance(9.5).unwrap());
        assert!(q.advance(25.0).unwrap());
        assert_eq!(q.state().last_boost, 20.0);
        assert_eq!(q.level(0), Some(0));
        assert!(!q.advance(29.0).unwrap());
        assert!(q.advance(30.0).unwrap());
        assert_eq!(q.state().last_boost, 30.0);
        assert_eq!(
            q.advance(29.0),
            Err(Error::TimeWentBackwards {
                now: 30.0,
                got: 29.0
            })
        );
    }
}
