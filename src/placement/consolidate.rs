//! Consolidation plans: which hosts of a running placement to empty, and an ordered list of
//! migrations that gets there without ever exceeding a capacity on the way.
//!
//! The input is a running placement: hosts with capacity vectors (heterogeneous allowed), items
//! with demand vectors on their current host, some pinned, each with a migration cost (for
//! example the MiB of memory to copy), and a [`Budget`] (most migrations, most total cost).
//! [`plan_consolidation`] returns a [`ConsolidationPlan`]: the hosts emptied, the migrations in
//! the order to apply them, the target placement and, for every host, why it was or was not
//! emptied ([`HostFate`]). [`validate_plan`] replays any plan from first principles and names
//! the first step (or summary field) that breaks a rule.
//!
//! Rules every plan keeps:
//! - replaying the migrations one at a time from the current placement never exceeds any
//!   capacity in any dimension;
//! - pinned items never move; each item migrates at most once;
//! - the number of migrations and their total cost stay within the budget;
//! - a host is emptied all or nothing: it is listed as emptied only if every item it held has
//!   moved off it, and a host that is not emptied keeps its own items except for "make room"
//!   moves (below);
//! - only hosts in use at the start receive items: an empty host stays empty (consolidation
//!   frees hosts, it never powers one up).
//!
//! The objective is lexicographic: the most hosts emptied, then the least total migration cost.
//! The planner is a greedy heuristic (the exact problem contains vector bin packing, NP-hard):
//! 1. Candidates are the hosts in use without pinned items, by increasing fill (the sum over
//!    dimensions of used / capacity), then fewest items, then least migration cost, then lowest
//!    id: the cheapest hosts to empty first.
//! 2. For each candidate in turn, its items are taken by decreasing size (the sum over dimensions
//!    of demand / the largest capacity in that dimension; ties by lowest item id) and each goes
//!    to the best-fitting host in use, not emptied and not the candidate itself: the host left
//!    with the least normalised free space (the sum over dimensions of free / the largest
//!    capacity; ties by lowest host id), as in best-fit decreasing, found through an ordered
//!    index of the hosts' free space.
//! 3. An item that fits nowhere may get a *make-room* move: an unmoved, unpinned item `y` on a
//!    kept host `k` goes to another kept host where it fits (best fit), after which the item
//!    fits on `k`. At most [`ConsolidateOptions::max_room_moves_per_host`] such moves per
//!    candidate; at most [`ConsolidateOptions::room_search_limit`] hosts are searched for `y`'s
//!    destination per item, which bounds the time.
//! 4. If every item of the candidate found a place within the budget, its moves are committed
//!    (host emptied); otherwise all of them are undone and the host keeps its items, its fate
//!    naming the item without room or the budget.
//!
//! Ordering: every move is decided against the live state with every earlier decision applied,
//! and a make-room move is decided (and listed) before the move that needs its space. So the
//! decision order is itself a feasible replay order: moves into a host come after the moves out
//! of it that they rely on, and no plan ever needs a temporary buffer. A cyclic exchange (two
//! items swapping hosts when neither fits first) is never proposed: the move that would start
//! it does not fit in the live state, so it is rejected.
//!
//! Determinism: no randomness, no hash iteration; every tie breaks by the lowest id.

use crate::model::{AgentId, TaskId};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A host: its id (unique) and capacity, one quantity per dimension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Host {
    /// The host's id, unique among the hosts.
    pub id: AgentId,
    /// Capacity per dimension (millicores, MiB, devices...).
    pub capacity: Vec<u64>,
}

/// An item running on a host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlacedItem {
    /// The item's id, unique among the items.
    pub id: TaskId,
    /// Demand per dimension, in the capacities' units.
    pub demand: Vec<u64>,
    /// The host it runs on now.
    pub host: AgentId,
    /// A pinned item never moves (and its host cannot be emptied).
    pub pinned: bool,
    /// What migrating it costs, in the caller's unit (for example MiB of memory to copy).
    pub cost: u64,
}

/// Limits on a plan; `None` means unlimited. Both apply when both are given.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Budget {
    /// Most migrations in the plan (make-room moves included).
    pub max_migrations: Option<usize>,
    /// Most total migration cost (the sum of the migrated items' costs).
    pub max_cost: Option<u64>,
}

/// Tuning of the planner's search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsolidateOptions {
    /// Most make-room moves spent on one candidate host (default 2; 0 disables them).
    pub max_room_moves_per_host: usize,
    /// Most destination searches (each a scan of the hosts) for the item to move out of the way,
    /// per item that fits nowhere (default 32).
    pub room_search_limit: usize,
}

impl Default for ConsolidateOptions {
    fn default() -> Self {
        ConsolidateOptions {
            max_room_moves_per_host: 2,
            room_search_limit: 32,
        }
    }
}

/// One migration of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Migration {
    /// The item that moves.
    pub item: TaskId,
    /// The host it leaves.
    pub from: AgentId,
    /// The host it goes to.
    pub to: AgentId,
    /// Its migration cost.
    pub cost: u64,
    /// Whether it is a make-room move (between two kept hosts) rather than a move off a host
    /// being emptied.
    pub make_room: bool,
}

/// What became of a host, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum HostFate {
    /// Every item moved off it.
    Emptied,
    /// It held nothing at the start (it receives nothing either).
    AlreadyEmpty,
    /// It holds a pinned item (the lowest id among its pinned items).
    Pinned {
        /// The pinned item.
        item: TaskId,
    },
    /// Moving all its items would exceed the migration budget (what was left of it at its turn).
    BudgetExhausted,
    /// This item (the first, by decreasing size, that failed) fits on no kept host, even after
    /// the allowed make-room moves.
    NoRoom {
        /// The item without room.
        item: TaskId,
    },
    /// It received items moved off an emptied host before its own turn came, so it is kept.
    Destination,
}

/// A host's entry in a plan's report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostReport {
    /// The host.
    pub host: AgentId,
    /// What became of it.
    pub fate: HostFate,
}

/// The result of [`plan_consolidation`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsolidationPlan {
    /// The hosts emptied, by increasing id.
    pub emptied: Vec<AgentId>,
    /// The migrations, in the order to apply them.
    pub migrations: Vec<Migration>,
    /// The target placement: the host of each item after every migration, in the items' input
    /// order.
    pub placement: Vec<AgentId>,
    /// Total migration cost.
    pub cost: u64,
    /// One entry per host, in the hosts' input order.
    pub hosts: Vec<HostReport>,
    /// Hosts holding at least one item before the plan.
    pub hosts_in_use_before: usize,
    /// Hosts holding at least one item after it.
    pub hosts_in_use_after: usize,
}

fn bad(field: impl Into<String>, reason: impl Into<String>) -> Error {
    Error::InvalidInstance {
        field: field.into(),
        reason: reason.into(),
    }
}

/// The validated input in dense form.
struct Prepared {
    d: usize,
    /// Host index by id.
    host_index: BTreeMap<AgentId, usize>,
    /// Current host index of each item.
    at: Vec<usize>,
    /// Use per host, row-major `used[h * d + r]`.
    used: Vec<u64>,
}

/// Checks the input and computes every host's use. Names the offending field.
fn prepare(hosts: &[Host], items: &[PlacedItem]) -> Result<Prepared> {
    let d = match (hosts.first(), items.first()) {
        (Some(h), _) => h.capacity.len(),
        (None, Some(i)) => i.demand.len(),
        (None, None) => 0,
    };
    if d == 0 && !(hosts.is_empty() && items.is_empty()) {
        return Err(Error::InvalidConfig {
            field: "capacity",
            reason: "needs at least one dimension",
        });
    }
    let mut host_index = BTreeMap::new();
    for (h, host) in hosts.iter().enumerate() {
        if host.capacity.len() != d {
            return Err(Error::DimensionMismatch {
                field: "capacity",
                expected: d,
                got: host.capacity.len(),
            });
        }
        if host_index.insert(host.id, h).is_some() {
            return Err(Error::DuplicateAgent(host.id));
        }
    }
    let mut seen = BTreeMap::new();
    let mut at = Vec::with_capacity(items.len());
    let mut used = vec![0u64; hosts.len() * d];
    for (i, item) in items.iter().enumerate() {
        if item.demand.len() != d {
            return Err(Error::DimensionMismatch {
                field: "demand",
                expected: d,
                got: item.demand.len(),
            });
        }
        if seen.insert(item.id, i).is_some() {
            return Err(Error::DuplicateTask(item.id));
        }
        let Some(&h) = host_index.get(&item.host) else {
            return Err(Error::UnknownAgent(item.host));
        };
        for (r, &q) in item.demand.iter().enumerate() {
            let cap = hosts[h].capacity[r];
            if q > cap {
                return Err(bad(
                    format!("items[{i}].demand[{r}]"),
                    format!(
                        "item {} needs {q}, more than the capacity {cap} of its host {}",
                        item.id, item.host
                    ),
                ));
            }
            let u = &mut used[h * d + r];
            *u = u.checked_add(q).ok_or(Error::Overflow {
                field: "demand",
                dimension: r,
            })?;
        }
        at.push(h);
    }
    for (h, host) in hosts.iter().enumerate() {
        if used[h * d..(h + 1) * d]
            .iter()
            .zip(&host.capacity)
            .any(|(u, c)| u > c)
        {
            return Err(Error::AgentState {
                agent: host.id,
                state: "over capacity",
                expected: "within capacity",
            });
        }
    }
    // The total cost must be representable for the plan's sum to be exact.
    items.iter().try_fold(0u64, |s, it| {
        s.checked_add(it.cost).ok_or(Error::Overflow {
            field: "cost",
            dimension: 0,
        })
    })?;
    Ok(Prepared {
        d,
        host_index,
        at,
        used,
    })
}

/// The planner's working state.
struct State<'a> {
    hosts: &'a [Host],
    items: &'a [PlacedItem],
    d: usize,
    /// Free space per host, row-major `free[h * d + r]` (flat: the scans stay in cache).
    free: Vec<u64>,
    at: Vec<usize>,
    moved: Vec<bool>,
    /// Hosts that may receive items: in use at the start and not emptied.
    open: Vec<bool>,
    /// The open hosts by increasing normalised free space `F_h = sum_r free[h][r] / cmax[r]`
    /// (as `f64` bits, which order like the values for values >= 0), then id: see `best_fit`.
    index: BTreeSet<(u64, AgentId, usize)>,
    /// Each host's key in `index` (meaningful while it is open).
    key: Vec<u64>,
    /// Host indices by increasing id: the scan order, so that the first best wins ties.
    by_id: Vec<usize>,
    /// `1 / (largest capacity)` per dimension (0 where every capacity is 0).
    inv_cmax: Vec<f64>,
    /// Original items of each host, by increasing item id.
    on: Vec<Vec<usize>>,
    migrations: Vec<Migration>,
    cost: u64,
}

impl State<'_> {
    /// Whether item `i` fits on host `h`, the item `without` (on `h`) having left.
    fn fits(&self, i: usize, h: usize, without: Option<usize>) -> bool {
        let dem = &self.items[i].demand;
        let free = &self.free[h * self.d..(h + 1) * self.d];
        match without {
            // Free space plus the leaving demand is at most the capacity: no overflow.
            Some(y) => free
                .iter()
                .zip(&self.items[y].demand)
                .zip(dem)
                .all(|((&f, &o), &q)| f + o >= q),
            None => free.iter().zip(dem).all(|(&f, &q)| f >= q),
        }
    }

    /// The best-fitting open host for item `i` outside `skip`: least normalised free space left,
    /// ties by lowest id.
    ///
    /// The space left on `h` is `F_h - Q` with `Q = sum_r demand[r] / cmax[r]` the same for
    /// every host, so the best fit is the first host that fits in the order of `index`. A host
    /// with `F_h < Q` cannot fit (it lacks room in some dimension), so the walk starts just below
    /// `Q` (rounding is monotonic, so a host that fits has a computed `F_h >= Q`; the relative
    /// margin of 1e-9 is only a guard).
    fn best_fit(&self, i: usize, skip: [usize; 2]) -> Option<usize> {
        let q: f64 = self.items[i]
            .demand
            .iter()
            .zip(&self.inv_cmax)
            .map(|(&q, &w)| q as f64 * w)
            .sum();
        let start = (q * (1.0 - 1e-9)).max(0.0).to_bits();
        let best = self
            .index
            .range((start, AgentId(0), 0)..)
            .map(|&(_, _, h)| h)
            .find(|&h| !skip.contains(&h) && self.fits(i, h, None));
        // The index against a plain scan of every host (debug builds: every test run).
        debug_assert_eq!(best, {
            let mut scan: Option<(u64, AgentId, usize)> = None;
            for &h in &self.by_id {
                if self.open[h] && !skip.contains(&h) && self.fits(i, h, None) {
                    let f: f64 = (0..self.d)
                        .map(|r| self.free[h * self.d + r] as f64 * self.inv_cmax[r])
                        .sum();
                    let k = (f.max(0.0).to_bits(), self.hosts[h].id, h);
                    if scan.is_none_or(|b| k < b) {
                        scan = Some(k);
                    }
                }
            }
            scan.map(|(_, _, h)| h)
        });
        best
    }

    /// Recomputes host `h`'s key and its place in `index` (present iff open).
    fn reindex(&mut self, h: usize) {
        let id = self.hosts[h].id;
        self.index.remove(&(self.key[h], id, h));
        let f: f64 = self.free[h * self.d..(h + 1) * self.d]
            .iter()
            .zip(&self.inv_cmax)
            .map(|(&f, &w)| f as f64 * w)
            .sum();
        self.key[h] = f.max(0.0).to_bits();
        if self.open[h] {
            self.index.insert((self.key[h], id, h));
        }
    }

    fn set_open(&mut self, h: usize, open: bool) {
        self.open[h] = open;
        self.reindex(h);
    }

    fn apply(&mut self, i: usize, to: usize, make_room: bool) {
        let from = self.at[i];
        let d = self.d;
        for r in 0..d {
            let q = self.items[i].demand[r];
            self.free[from * d + r] += q;
            self.free[to * d + r] -= q;
        }
        self.reindex(from);
        self.reindex(to);
        self.at[i] = to;
        self.moved[i] = true;
        self.cost += self.items[i].cost;
        self.migrations.push(Migration {
            item: self.items[i].id,
            from: self.hosts[from].id,
            to: self.hosts[to].id,
            cost: self.items[i].cost,
            make_room,
        });
    }

    /// Undoes the migrations after the first `keep`, last first.
    fn undo_to(
        &mut self,
        keep: usize,
        index: &BTreeMap<TaskId, usize>,
        hidx: &BTreeMap<AgentId, usize>,
    ) {
        while self.migrations.len() > keep {
            let Some(m) = self.migrations.pop() else {
                break;
            };
            let (Some(&i), Some(&from), Some(&to)) =
                (index.get(&m.item), hidx.get(&m.from), hidx.get(&m.to))
            else {
                break;
            };
            for r in 0..self.d {
                let q = self.items[i].demand[r];
                self.free[to * self.d + r] += q;
                self.free[from * self.d + r] -= q;
            }
            self.reindex(from);
            self.reindex(to);
            self.at[i] = from;
            self.moved[i] = false;
            self.cost -= m.cost;
        }
    }

    fn within(&self, budget: &Budget, extra_moves: usize, extra_cost: u64) -> bool {
        let moves_ok = budget
            .max_migrations
            .is_none_or(|m| self.migrations.len().saturating_add(extra_moves) <= m);
        let cost_ok = budget
            .max_cost
            .is_none_or(|c| self.cost.checked_add(extra_cost).is_some_and(|t| t <= c));
        moves_ok && cost_ok
    }

    /// A make-room pair for item `x` leaving `h`: `(y, k, k2)`, `y` on kept host `k` moving to
    /// kept host `k2`, after which `x` fits on `k`. Hosts by increasing id, their items by
    /// increasing id; the first pair found wins.
    fn make_room(&self, x: usize, h: usize, limit: usize) -> Option<(usize, usize, usize)> {
        let mut searches = 0;
        for &k in &self.by_id {
            if !self.open[k] || k == h {
                continue;
            }
            for &y in &self.on[k] {
                if self.moved[y] || self.items[y].pinned || !self.fits(x, k, Some(y)) {
                    continue;
                }
                if searches >= limit {
                    return None;
                }
                searches += 1;
                if let Some(k2) = self.best_fit(y, [h, k]) {
                    return Some((y, k, k2));
                }
            }
        }
        None
    }
}

/// Plans the consolidation of a running placement: the most hosts emptied within the budget,
/// then the least migration cost, with an ordered list of migrations that keeps every capacity
/// at every step.
///
/// See the [module documentation](self) for the rules and the heuristic (candidates by
/// increasing fill, best-fit decreasing onto the kept hosts, bounded make-room moves, all or
/// nothing per host). Best-fit decreasing for bin packing: Johnson, Demers, Ullman, Garey and
/// Graham, "Worst-case performance bounds for simple one-dimensional packing algorithms", SIAM J.
/// Computing 3(4), 1974; the live-migration setting follows Wood et al., "Black-box and Gray-box
/// Strategies for Virtual Machine Migration", NSDI 2007.
///
/// # Arguments
/// - `hosts`: ids unique, capacities of one common length `d >= 1`.
/// - `items`: ids unique, demands of length `d`, each on a known host; every host within its
///   capacity; the costs' sum fits in `u64`.
/// - `budget`: most migrations and/or most total cost.
/// - `options`: the make-room search bounds ([`ConsolidateOptions::default`] is a good start).
///
/// # Returns
/// A [`ConsolidationPlan`]: hosts emptied, migrations in order, target placement, total cost,
/// and every host's [`HostFate`].
///
/// # Complexity
/// With `m` hosts, `n` items and `d` dimensions: a best-fit search walks an ordered index of the
/// hosts' free space from the item's size up, `O(log m + w d)` for `w` hosts passed over (`w <=
/// m`; small unless many hosts have room in total but not in one dimension); each move updates
/// the index in `O(d + log m)`. An item without room adds at most `room_search_limit` searches
/// plus `O(n d)` checks. Worst case `O(n m d (1 + room_search_limit))`; validation
/// `O((n + m) (log(n + m) + d))`. Extra space `O((n + m) d)`.
///
/// # Errors
/// Nothing is planned unless the whole input is valid:
/// - [`Error::InvalidConfig`] (`capacity`) for zero dimensions;
/// - [`Error::DimensionMismatch`] (`capacity` or `demand`);
/// - [`Error::DuplicateAgent`] / [`Error::DuplicateTask`];
/// - [`Error::UnknownAgent`] for an item on a host not given;
/// - [`Error::InvalidInstance`] (`items[i].demand[r]`) for an item larger than its own host;
/// - [`Error::AgentState`] (state `"over capacity"`) when a host's items exceed its capacity
///   together;
/// - [`Error::Overflow`] (`demand` or `cost`) when a sum does not fit in `u64`.
///
/// # Example: a move that needs room made first
/// ```
/// use agentsched::placement::consolidate::*;
/// use agentsched::{AgentId, TaskId};
///
/// let host = |id, cap| Host { id: AgentId(id), capacity: vec![cap] };
/// let item = |id, dem, on, pinned| PlacedItem {
///     id: TaskId(id), demand: vec![dem], host: AgentId(on), pinned, cost: dem,
/// };
/// // Host 0 holds a 6. Host 1 (pinned 4 + a 3) and host 2 (pinned 6) cannot take it as they
/// // are, but once the 3 moves from host 1 to host 2 (6 + 3 <= 10), host 1 has room (4 + 6).
/// let hosts = [host(0, 10), host(1, 10), host(2, 10)];
/// let items = [item(0, 6, 0, false), item(1, 4, 1, true), item(2, 3, 1, false), item(3, 6, 2, true)];
/// let plan = plan_consolidation(&hosts, &items, &Budget::default(), &ConsolidateOptions::default())?;
/// assert_eq!(plan.emptied, vec![AgentId(0)]);
/// let steps: Vec<_> = plan.migrations.iter().map(|m| (m.item.0, m.from.0, m.to.0)).collect();
/// assert_eq!(steps, vec![(2, 1, 2), (0, 0, 1)]); // the room is made first
/// assert_eq!(plan.hosts[1].fate, HostFate::Pinned { item: TaskId(1) });
/// validate_plan(&hosts, &items, &Budget::default(), &plan)?;
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn plan_consolidation(
    hosts: &[Host],
    items: &[PlacedItem],
    budget: &Budget,
    options: &ConsolidateOptions,
) -> Result<ConsolidationPlan> {
    let p = prepare(hosts, items)?;
    let d = p.d;
    let m = hosts.len();
    let item_index: BTreeMap<TaskId, usize> =
        items.iter().enumerate().map(|(i, it)| (it.id, i)).collect();
    let mut on: Vec<Vec<usize>> = vec![Vec::new(); m];
    // By increasing item id, so that every scan of a host's items breaks ties by lowest id.
    for &i in item_index.values() {
        on[p.at[i]].push(i);
    }
    let mut inv_cmax = vec![0.0; d];
    for (r, v) in inv_cmax.iter_mut().enumerate() {
        let c = hosts.iter().map(|h| h.capacity[r]).max().unwrap_or(0);
        if c > 0 {
            *v = 1.0 / c as f64;
        }
    }
    let mut fate: Vec<Option<HostFate>> = vec![None; m];
    let mut open = vec![false; m];
    let mut candidates = Vec::new();
    for h in 0..m {
        if on[h].is_empty() {
            fate[h] = Some(HostFate::AlreadyEmpty);
            continue;
        }
        open[h] = true;
        if let Some(&pin) = on[h].iter().find(|&&i| items[i].pinned) {
            fate[h] = Some(HostFate::Pinned {
                item: items[pin].id,
            });
        } else {
            let fill: f64 = (0..d)
                .filter(|&r| hosts[h].capacity[r] > 0)
                .map(|r| p.used[h * d + r] as f64 / hosts[h].capacity[r] as f64)
                .sum();
            let cost: u64 = on[h].iter().map(|&i| items[i].cost).sum();
            candidates.push((fill, on[h].len(), cost, hosts[h].id, h));
        }
    }
    candidates.sort_by(|a, b| {
        a.0.total_cmp(&b.0)
            .then(a.1.cmp(&b.1))
            .then(a.2.cmp(&b.2))
            .then(a.3.cmp(&b.3))
    });
    let hosts_in_use_before = open.iter().filter(|&&o| o).count();
    let mut by_id: Vec<usize> = p.host_index.values().copied().collect();
    by_id.retain(|&h| open[h]);
    let size: Vec<f64> = items
        .iter()
        .map(|it| {
            it.demand
                .iter()
                .zip(&inv_cmax)
                .map(|(&q, &w)| q as f64 * w)
                .sum()
        })
        .collect();
    let mut s = State {
        hosts,
        items,
        d,
        free: (0..m * d)
            .map(|k| hosts[k / d].capacity[k % d] - p.used[k])
            .collect(),
        at: p.at,
        moved: vec![false; items.len()],
        open,
        index: BTreeSet::new(),
        key: vec![0; m],
        by_id,
        inv_cmax,
        on,
        migrations: Vec::new(),
        cost: 0,
    };
    for h in 0..m {
        s.reindex(h);
    }
    for &(_, count, cost, _, h) in &candidates {
        if fate[h].is_some() {
            continue;
        }
        if !s.within(budget, count, cost) {
            fate[h] = Some(HostFate::BudgetExhausted);
            continue;
        }
        let mut order = s.on[h].clone();
        order.sort_by(|&a, &b| {
            size[b]
                .total_cmp(&size[a])
                .then(items[a].id.cmp(&items[b].id))
        });
        let keep = s.migrations.len();
        // The candidate receives nothing while it is being emptied.
        s.set_open(h, false);
        let mut room_moves = 0;
        let mut failure = None;
        for &x in &order {
            if let Some(k) = s.best_fit(x, [h, h]) {
                if !s.within(budget, 1, items[x].cost) {
                    failure = Some(HostFate::BudgetExhausted);
                    break;
                }
                s.apply(x, k, false);
                continue;
            }
            let pair = (room_moves < options.max_room_moves_per_host)
                .then(|| s.make_room(x, h, options.room_search_limit))
                .flatten();
            let Some((y, k, k2)) = pair else {
                failure = Some(HostFate::NoRoom { item: items[x].id });
                break;
            };
            let extra = items[y].cost.saturating_add(items[x].cost);
            if !s.within(budget, 2, extra) {
                failure = Some(HostFate::BudgetExhausted);
                break;
            }
            room_moves += 1;
            s.apply(y, k2, true);
            s.apply(x, k, false);
        }
        match failure {
            Some(f) => {
                s.undo_to(keep, &item_index, &p.host_index);
                s.set_open(h, true);
                fate[h] = Some(f);
            }
            None => {
                fate[h] = Some(HostFate::Emptied);
                for mv in &s.migrations[keep..] {
                    if let Some(&t) = p.host_index.get(&mv.to) {
                        fate[t].get_or_insert(HostFate::Destination);
                    }
                }
            }
        }
    }
    let mut emptied: Vec<AgentId> = (0..m)
        .filter(|&h| fate[h] == Some(HostFate::Emptied))
        .map(|h| hosts[h].id)
        .collect();
    emptied.sort_unstable();
    let hosts_in_use_after = hosts_in_use_before - emptied.len();
    Ok(ConsolidationPlan {
        emptied,
        placement: s.at.iter().map(|&h| hosts[h].id).collect(),
        cost: s.cost,
        migrations: s.migrations,
        hosts: hosts
            .iter()
            .zip(fate)
            .map(|(h, f)| HostReport {
                host: h.id,
                // Every host in use without a pin is a candidate, so each has a fate by now.
                fate: f.unwrap_or(HostFate::Destination),
            })
            .collect(),
        hosts_in_use_before,
        hosts_in_use_after,
    })
}

/// Replays a plan from the current placement and checks every rule, naming the first broken one.
///
/// Checks, step by step: the item and both hosts exist, the item is not pinned, it is on `from`,
/// `to` differs from `from` and was in use at the start, the item has not migrated before, the
/// cost matches the item's, and after the step no host exceeds its capacity in any dimension.
/// Then: the budget (count and total cost), `cost` equals the sum, `placement` equals the
/// replayed placement, every host in `emptied` held items at the start and holds none at the
/// end, `emptied` is sorted and unique, `hosts` reports `Emptied` for exactly those hosts, and
/// the in-use counts are right.
///
/// # Arguments
/// - `hosts`, `items`, `budget`: the planner's input.
/// - `plan`: any plan (from [`plan_consolidation`] or elsewhere).
///
/// # Returns
/// `Ok(())` when every rule holds.
///
/// # Complexity
/// `O((n + m) log(n + m) + (n + m + s) d)` time for `s` migrations; `O((n + m) d)` space.
///
/// # Errors
/// The input errors of [`plan_consolidation`]; then [`Error::InvalidInstance`] whose `field`
/// names the offending step (`migrations[k]`) or summary field (`emptied[j]`, `placement[i]`,
/// `cost`, `hosts[h]`, `budget`, `hosts_in_use_after`...) and whose `reason` says what is wrong.
///
/// # Example: a step over capacity is named
/// ```
/// use agentsched::placement::consolidate::*;
/// use agentsched::{AgentId, TaskId};
///
/// let hosts = [Host { id: AgentId(0), capacity: vec![4] }, Host { id: AgentId(1), capacity: vec![4] }];
/// let item = |id, on| PlacedItem { id: TaskId(id), demand: vec![3], host: AgentId(on), pinned: false, cost: 1 };
/// let items = [item(0, 0), item(1, 1)];
/// let mut plan = plan_consolidation(&hosts, &items, &Budget::default(), &ConsolidateOptions::default())?;
/// assert!(plan.emptied.is_empty()); // 3 + 3 > 4
/// plan.migrations.push(Migration { item: TaskId(0), from: AgentId(0), to: AgentId(1), cost: 1, make_room: false });
/// let err = validate_plan(&hosts, &items, &Budget::default(), &plan).unwrap_err();
/// assert!(err.to_string().contains("migrations[0]"));
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn validate_plan(
    hosts: &[Host],
    items: &[PlacedItem],
    budget: &Budget,
    plan: &ConsolidationPlan,
) -> Result<()> {
    let p = prepare(hosts, items)?;
    let d = p.d;
    let mut used = p.used;
    let mut at = p.at;
    let mut count = vec![0usize; hosts.len()];
    for &h in &at {
        count[h] += 1;
    }
    let in_use: Vec<bool> = count.iter().map(|&c| c > 0).collect();
    let item_index: BTreeMap<TaskId, usize> =
        items.iter().enumerate().map(|(i, it)| (it.id, i)).collect();
    let mut moved = vec![false; items.len()];
    let mut cost = 0u64;
    for (k, mv) in plan.migrations.iter().enumerate() {
        let f = || format!("migrations[{k}]");
        let Some(&i) = item_index.get(&mv.item) else {
            return Err(bad(f(), format!("unknown item {}", mv.item)));
        };
        let (Some(&from), Some(&to)) = (p.host_index.get(&mv.from), p.host_index.get(&mv.to))
        else {
            return Err(bad(f(), format!("unknown host {} or {}", mv.from, mv.to)));
        };
        let it = &items[i];
        if it.pinned {
            return Err(bad(f(), format!("item {} is pinned", it.id)));
        }
        if moved[i] {
            return Err(bad(f(), format!("item {} migrates a second time", it.id)));
        }
        if at[i] != from {
            return Err(bad(
                f(),
                format!("item {} is on {}, not {}", it.id, hosts[at[i]].id, mv.from),
            ));
        }
        if to == from {
            return Err(bad(f(), "moves an item to its own host"));
        }
        if !in_use[to] {
            return Err(bad(f(), format!("{} was empty at the start", mv.to)));
        }
        if mv.cost != it.cost {
            return Err(bad(
                f(),
                format!("cost {:?} but item {} costs {:?}", mv.cost, it.id, it.cost),
            ));
        }
        for r in 0..d {
            used[from * d + r] -= it.demand[r];
            let u = used[to * d + r].saturating_add(it.demand[r]);
            if u > hosts[to].capacity[r] {
                return Err(bad(
                    f(),
                    format!(
                        "{} would use {u} of {} in dimension {r}",
                        mv.to, hosts[to].capacity[r]
                    ),
                ));
            }
            used[to * d + r] = u;
        }
        count[from] -= 1;
        count[to] += 1;
        at[i] = to;
        moved[i] = true;
        cost = cost
            .checked_add(it.cost)
            .ok_or_else(|| bad(f(), "the total cost overflows"))?;
    }
    if let Some(mx) = budget.max_migrations
        && plan.migrations.len() > mx
    {
        return Err(bad(
            "budget",
            format!("{} migrations, at most {mx} allowed", plan.migrations.len()),
        ));
    }
    if let Some(mx) = budget.max_cost
        && cost > mx
    {
        return Err(bad(
            "budget",
            format!("cost {cost:?}, at most {mx:?} allowed"),
        ));
    }
    if plan.cost != cost {
        return Err(bad(
            "cost",
            format!("{:?} but the migrations sum to {cost:?}", plan.cost),
        ));
    }
    if plan.placement.len() != items.len() {
        return Err(bad(
            "placement",
            format!("{} entries for {} items", plan.placement.len(), items.len()),
        ));
    }
    for (i, (&h, &a)) in at.iter().zip(&plan.placement).enumerate() {
        if hosts[h].id != a {
            return Err(bad(
                format!("placement[{i}]"),
                format!("says {a}, the migrations leave it on {}", hosts[h].id),
            ));
        }
    }
    for (j, id) in plan.emptied.iter().enumerate() {
        let Some(&h) = p.host_index.get(id) else {
            return Err(bad(format!("emptied[{j}]"), format!("unknown host {id}")));
        };
        if j > 0 && plan.emptied[j - 1] >= *id {
            return Err(bad(format!("emptied[{j}]"), "not sorted and unique"));
        }
        if !in_use[h] {
            return Err(bad(
                format!("emptied[{j}]"),
                format!("{id} was already empty"),
            ));
        }
        if count[h] > 0 {
            return Err(bad(
                format!("emptied[{j}]"),
                format!("{id} still holds {} item(s)", count[h]),
            ));
        }
    }
    if plan.hosts.len() != hosts.len() {
        return Err(bad("hosts", "one report per host expected"));
    }
    for (h, rep) in plan.hosts.iter().enumerate() {
        let listed = plan.emptied.binary_search(&hosts[h].id).is_ok();
        if rep.host != hosts[h].id || (rep.fate == HostFate::Emptied) != listed {
            return Err(bad(
                format!("hosts[{h}]"),
                "does not match the host or the emptied list",
            ));
        }
    }
    let before = in_use.iter().filter(|&&u| u).count();
    let after = count.iter().filter(|&&c| c > 0).count();
    if plan.hosts_in_use_before != before || plan.hosts_in_use_after != after {
        return Err(bad(
            "hosts_in_use_after",
            format!(
                "says {} -> {}, the replay gives {before} -> {after}",
                plan.hosts_in_use_before, plan.hosts_in_use_after
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(id: u32, cap: &[u64]) -> Host {
        Host {
            id: AgentId(id),
            capacity: cap.to_vec(),
        }
    }

    fn item(id: u32, dem: &[u64], on: u32) -> PlacedItem {
        PlacedItem {
            id: TaskId(id),
            demand: dem.to_vec(),
            host: AgentId(on),
            pinned: false,
            cost: 1,
        }
    }

    #[test]
    fn empty_input_gives_an_empty_plan() {
        let p = plan_consolidation(&[], &[], &Budget::default(), &ConsolidateOptions::default())
            .unwrap();
        assert!(p.migrations.is_empty() && p.hosts.is_empty());
    }

    #[test]
    fn failed_host_is_rolled_back() {
        // Host 0 holds 5 and 5; host 1 has room for one 5 only: nothing moves.
        let hosts = [host(0, &[10]), host(1, &[10])];
        let items = [item(0, &[5], 0), item(1, &[5], 0), item(2, &[5], 1)];
        let p = plan_consolidation(
            &hosts,
            &items,
            &Budget::default(),
            &ConsolidateOptions::default(),
        )
        .unwrap();
        assert!(p.migrations.is_empty());
        assert_eq!(p.cost, 0);
        validate_plan(&hosts, &items, &Budget::default(), &p).unwrap();
    }
}
