//! Consolidation plans through the C ABI: plain arrays of `#[repr(C)]` hosts and items in, an
//! immutable `agentsched_consolidation_plan` result handle out, read by getters with the usual
//! buffer protocol. No logic lives here: only conversion.

use crate::ffi::{agentsched_status, ffi_boundary, free_boxed, non_null, slice, write_items};
use crate::placement::consolidate::{
    Budget, ConsolidateOptions, ConsolidationPlan, Host, HostFate, PlacedItem, plan_consolidation,
};
use crate::{AgentId, TaskId};

/// Host fate: every item moved off it.
pub const AGENTSCHED_HOST_FATE_EMPTIED: u32 = 0;
/// Host fate: it held nothing at the start (and receives nothing).
pub const AGENTSCHED_HOST_FATE_ALREADY_EMPTY: u32 = 1;
/// Host fate: it holds a pinned item (`item` names the lowest-id one).
pub const AGENTSCHED_HOST_FATE_PINNED: u32 = 2;
/// Host fate: moving all its items would exceed what was left of the migration budget.
pub const AGENTSCHED_HOST_FATE_BUDGET_EXHAUSTED: u32 = 3;
/// Host fate: an item (`item`) fits on no kept host, even after the allowed make-room moves.
pub const AGENTSCHED_HOST_FATE_NO_ROOM: u32 = 4;
/// Host fate: it received items from an emptied host before its own turn, so it is kept.
pub const AGENTSCHED_HOST_FATE_DESTINATION: u32 = 5;

/// A host of a consolidation problem. `capacity` is read during the call only.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct agentsched_consolidation_host {
    /// The host's id, unique among the hosts.
    pub id: u32,
    /// Capacity per dimension (0 accepts only demand 0 there).
    pub capacity: *const u64,
    /// Number of values at `capacity`: the same for every host and item.
    pub capacity_len: usize,
}

/// An item running on a host. `demand` is read during the call only.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct agentsched_consolidation_item {
    /// The item's id, unique among the items.
    pub id: u32,
    /// Demand per dimension, in the capacities' units.
    pub demand: *const u64,
    /// Number of values at `demand`.
    pub demand_len: usize,
    /// The host it runs on now (one of the hosts).
    pub host: u32,
    /// A pinned item never moves, and its host is never emptied.
    pub pinned: bool,
    /// What migrating it costs (for example MiB of memory to copy).
    pub cost: u64,
}

/// Budget and search bounds of `agentsched_plan_consolidation`. NULL options mean: no budget,
/// up to 2 make-room moves per host, 32 destination searches per item without room (the values
/// `agentsched_consolidation_options_default` writes).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct agentsched_consolidation_options {
    /// Whether `max_migrations` limits the plan.
    pub has_max_migrations: bool,
    /// Most migrations (make-room moves included), with `has_max_migrations`.
    pub max_migrations: usize,
    /// Whether `max_cost` limits the plan.
    pub has_max_cost: bool,
    /// Most total migration cost, with `has_max_cost`.
    pub max_cost: u64,
    /// Most make-room moves spent on one host being emptied (0 disables them).
    pub max_room_moves_per_host: usize,
    /// Most destination searches for an item to move out of the way, per item without room.
    pub room_search_limit: usize,
}

/// The headline figures of a consolidation plan.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct agentsched_consolidation_summary {
    /// Migrations in the plan: entries of `agentsched_consolidation_plan_migrations`.
    pub migrations: usize,
    /// Hosts emptied: entries of `agentsched_consolidation_plan_emptied`.
    pub emptied: usize,
    /// Total migration cost.
    pub cost: u64,
    /// Hosts holding at least one item before the plan.
    pub hosts_in_use_before: usize,
    /// Hosts holding at least one item after it.
    pub hosts_in_use_after: usize,
    /// Hosts: entries of `agentsched_consolidation_plan_hosts`.
    pub hosts: usize,
    /// Items: entries of `agentsched_consolidation_plan_placement`.
    pub items: usize,
}

/// One migration: `item` goes from host `from` to host `to`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct agentsched_consolidation_migration {
    /// The item that moves.
    pub item: u32,
    /// The host it leaves.
    pub from: u32,
    /// The host it goes to.
    pub to: u32,
    /// Its migration cost.
    pub cost: u64,
    /// A make-room move (between two kept hosts) rather than a move off a host being emptied.
    pub make_room: bool,
}

/// What became of a host, and why.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct agentsched_host_report {
    /// The host.
    pub host: u32,
    /// One of `AGENTSCHED_HOST_FATE_*`.
    pub fate: u32,
    /// With `AGENTSCHED_HOST_FATE_PINNED` or `AGENTSCHED_HOST_FATE_NO_ROOM`: the item named; 0
    /// otherwise.
    pub item: u32,
}

/// The result of `agentsched_plan_consolidation` (opaque), owned by the host until
/// `agentsched_consolidation_plan_free`. Immutable: it may be read from several threads at
/// once, and moved between threads.
pub struct agentsched_consolidation_plan {
    p: ConsolidationPlan,
    migrations: Vec<agentsched_consolidation_migration>,
    emptied: Vec<u32>,
    placement: Vec<u32>,
    hosts: Vec<agentsched_host_report>,
}

// The thread-safety claim of the result rests on this.
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<agentsched_consolidation_plan>();
};

fn options_from_c(o: &agentsched_consolidation_options) -> (Budget, ConsolidateOptions) {
    (
        Budget {
            max_migrations: o.has_max_migrations.then_some(o.max_migrations),
            max_cost: o.has_max_cost.then_some(o.max_cost),
        },
        ConsolidateOptions {
            max_room_moves_per_host: o.max_room_moves_per_host,
            room_search_limit: o.room_search_limit,
        },
    )
}

/// Writes the default options (no budget, 2 make-room moves per host, 32 searches per item)
/// into `*out`.
///
/// Statuses: OK, NULL_POINTER, PANIC. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_consolidation_options_default(
    out: *mut agentsched_consolidation_options,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(out);
        let d = ConsolidateOptions::default();
        // SAFETY: checked non-null, writable (contract).
        unsafe {
            *out = agentsched_consolidation_options {
                has_max_migrations: false,
                max_migrations: 0,
                has_max_cost: false,
                max_cost: 0,
                max_room_moves_per_host: d.max_room_moves_per_host,
                room_search_limit: d.room_search_limit,
            }
        };
        agentsched_status::Ok
    })
}

/// Plans the consolidation of a running placement: the most hosts emptied within the budget,
/// then the least migration cost, with migrations ordered so that replaying them one at a time
/// never exceeds a capacity; pinned items never move; each item moves at most once; a host is
/// emptied all or nothing; hosts empty at the start receive nothing (greedy: candidates by
/// increasing fill, best-fit decreasing onto the kept hosts, bounded make-room moves; see
/// `agentsched::placement::consolidate`). Every array and vector is read during the call only.
/// `options` may be NULL (the defaults). On OK `*out` receives a plan to free with
/// `agentsched_consolidation_plan_free`. Deterministic; ties break by the lowest id.
///
/// The dimension count is the first host's `capacity_len` (the first item's without hosts).
/// Validation is complete before anything is planned; there is no handle to hold a message, so
/// the status is the whole answer.
///
/// Statuses: OK, NULL_POINTER (`out`, or an array NULL with a non-zero length),
/// INVALID_ARGUMENT (a length too large for memory, an item larger than its own host),
/// INVALID_CONFIG (zero dimensions), DIMENSION_MISMATCH (a capacity or demand of the wrong
/// length), DUPLICATE_AGENT (host id), DUPLICATE_TASK (item id), UNKNOWN_AGENT (an item on a host
/// not given), AGENT_STATE (a host's items exceed its capacity together), OVERFLOW (a sum of
/// demands or of costs beyond `UINT64_MAX`), PANIC. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_plan_consolidation(
    hosts: *const agentsched_consolidation_host,
    hosts_len: usize,
    items: *const agentsched_consolidation_item,
    items_len: usize,
    options: *const agentsched_consolidation_options,
    out: *mut *mut agentsched_consolidation_plan,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(out);
        // SAFETY: valid for `hosts_len` hosts when non-null (contract).
        let chosts = match unsafe { slice(hosts, hosts_len) } {
            Ok(h) => h,
            Err(s) => return s,
        };
        let mut hs = Vec::with_capacity(chosts.len());
        for h in chosts {
            // SAFETY: valid for `capacity_len` values when non-null (contract).
            match unsafe { slice(h.capacity, h.capacity_len) } {
                Ok(c) => hs.push(Host {
                    id: AgentId(h.id),
                    capacity: c.to_vec(),
                }),
                Err(s) => return s,
            }
        }
        // SAFETY: valid for `items_len` items when non-null (contract).
        let citems = match unsafe { slice(items, items_len) } {
            Ok(i) => i,
            Err(s) => return s,
        };
        let mut its = Vec::with_capacity(citems.len());
        for i in citems {
            // SAFETY: valid for `demand_len` values when non-null (contract).
            match unsafe { slice(i.demand, i.demand_len) } {
                Ok(d) => its.push(PlacedItem {
                    id: TaskId(i.id),
                    demand: d.to_vec(),
                    host: AgentId(i.host),
                    pinned: i.pinned,
                    cost: i.cost,
                }),
                Err(s) => return s,
            }
        }
        let (budget, opts) = if options.is_null() {
            (Budget::default(), ConsolidateOptions::default())
        } else {
            // SAFETY: non-null, points to options (contract).
            options_from_c(unsafe { &*options })
        };
        let p = match plan_consolidation(&hs, &its, &budget, &opts) {
            Ok(p) => p,
            Err(e) => return agentsched_status::from(&e),
        };
        let migrations = p
            .migrations
            .iter()
            .map(|m| agentsched_consolidation_migration {
                item: m.item.0,
                from: m.from.0,
                to: m.to.0,
                cost: m.cost,
                make_room: m.make_room,
            })
            .collect();
        let hosts = p
            .hosts
            .iter()
            .map(|r| {
                let (fate, item) = match r.fate {
                    HostFate::Emptied => (AGENTSCHED_HOST_FATE_EMPTIED, 0),
                    HostFate::AlreadyEmpty => (AGENTSCHED_HOST_FATE_ALREADY_EMPTY, 0),
                    HostFate::Pinned { item } => (AGENTSCHED_HOST_FATE_PINNED, item.0),
                    HostFate::BudgetExhausted => (AGENTSCHED_HOST_FATE_BUDGET_EXHAUSTED, 0),
                    HostFate::NoRoom { item } => (AGENTSCHED_HOST_FATE_NO_ROOM, item.0),
                    HostFate::Destination => (AGENTSCHED_HOST_FATE_DESTINATION, 0),
                };
                agentsched_host_report {
                    host: r.host.0,
                    fate,
                    item,
                }
            })
            .collect();
        let r = Box::new(agentsched_consolidation_plan {
            migrations,
            emptied: p.emptied.iter().map(|h| h.0).collect(),
            placement: p.placement.iter().map(|h| h.0).collect(),
            hosts,
            p,
        });
        // SAFETY: checked non-null; writable (contract).
        unsafe { *out = Box::into_raw(r) };
        agentsched_status::Ok
    })
}

/// Frees a consolidation plan. NULL does nothing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_consolidation_plan_free(p: *mut agentsched_consolidation_plan) {
    // SAFETY: made by Box::into_raw in agentsched_plan_consolidation, freed once (contract).
    unsafe { free_boxed(p) }
}

/// Fills `*out` with the plan's headline figures.
///
/// Statuses: OK, NULL_POINTER, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_consolidation_plan_get_summary(
    p: *const agentsched_consolidation_plan,
    out: *mut agentsched_consolidation_summary,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(p, out);
        // SAFETY: non-null plan made by this library (contract).
        let p = unsafe { &*p };
        let s = agentsched_consolidation_summary {
            migrations: p.migrations.len(),
            emptied: p.emptied.len(),
            cost: p.p.cost,
            hosts_in_use_before: p.p.hosts_in_use_before,
            hosts_in_use_after: p.p.hosts_in_use_after,
            hosts: p.hosts.len(),
            items: p.placement.len(),
        };
        // SAFETY: checked non-null, writable (contract).
        unsafe { *out = s };
        agentsched_status::Ok
    })
}

/// Copies the migrations, in the order to apply them, into `buf`.
///
/// Statuses: OK, NULL_POINTER, BUFFER_TOO_SMALL (`*out_len` = count needed), PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_consolidation_plan_migrations(
    p: *const agentsched_consolidation_plan,
    buf: *mut agentsched_consolidation_migration,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(p, out_len);
        // SAFETY: non-null plan (contract); `buf` valid for `cap` values.
        unsafe { write_items(&(*p).migrations, buf, cap, out_len) }
    })
}

/// Copies the ids of the hosts emptied, by increasing id, into `buf`.
///
/// Statuses: OK, NULL_POINTER, BUFFER_TOO_SMALL (`*out_len` = count needed), PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_consolidation_plan_emptied(
    p: *const agentsched_consolidation_plan,
    buf: *mut u32,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(p, out_len);
        // SAFETY: non-null plan (contract); `buf` valid for `cap` values.
        unsafe { write_items(&(*p).emptied, buf, cap, out_len) }
    })
}

/// Copies the target placement (the host id of each item after every migration, in the items'
/// input order) into `buf`.
///
/// Statuses: OK, NULL_POINTER, BUFFER_TOO_SMALL (`*out_len` = count needed), PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_consolidation_plan_placement(
    p: *const agentsched_consolidation_plan,
    buf: *mut u32,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(p, out_len);
        // SAFETY: non-null plan (contract); `buf` valid for `cap` values.
        unsafe { write_items(&(*p).placement, buf, cap, out_len) }
    })
}

/// Copies one report per host, in the hosts' input order (what became of it and why), into
/// `buf`.
///
/// Statuses: OK, NULL_POINTER, BUFFER_TOO_SMALL (`*out_len` = count needed), PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_consolidation_plan_hosts(
    p: *const agentsched_consolidation_plan,
    buf: *mut agentsched_host_report,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(p, out_len);
        // SAFETY: non-null plan (contract); `buf` valid for `cap` values.
        unsafe { write_items(&(*p).hosts, buf, cap, out_len) }
    })
}
