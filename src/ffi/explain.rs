//! Explanations read back as structured data.

use super::dispatcher::{agentsched_dispatcher, agentsched_task_spec, handle};
use super::{agentsched_status, ffi_boundary, free_boxed, non_null, write_items, write_str};
use crate::TaskId;
use crate::online::Explanation;
use crate::pool::Mismatch;
use std::ffi::c_char;

/// Reason: the agent is down.
pub const AGENTSCHED_REASON_DOWN: u32 = 0;
/// Reason: the agent is draining.
pub const AGENTSCHED_REASON_DRAINING: u32 = 1;
/// Reason: the agent's tier may not hold the task's data.
pub const AGENTSCHED_REASON_TIER_NOT_ALLOWED: u32 = 2;
/// Reason: the agent lacks a required label (`agentsched_explanation_reason_label` names it).
pub const AGENTSCHED_REASON_MISSING_LABEL: u32 = 3;
/// Reason: the agent's capacity is below the demand in `dimension`.
pub const AGENTSCHED_REASON_CAPACITY_TOO_SMALL: u32 = 4;
/// Reason: the agent's free quantity is below the demand in `dimension` now.
pub const AGENTSCHED_REASON_SHORT: u32 = 5;
/// Reason: the agent is reserved for a task ahead.
pub const AGENTSCHED_REASON_RESERVED: u32 = 6;

/// An explanation (opaque), owned by the host until `agentsched_explanation_free`. Immutable:
/// it may be read from several threads at once, and moved between threads.
pub struct agentsched_explanation {
    e: Explanation,
    text: String,
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<agentsched_explanation>();
};

/// The headline figures of an explanation.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct agentsched_explanation_summary {
    /// The task.
    pub task: u32,
    /// Agents in the pool.
    pub agents: u64,
    /// Agents that could take the task now.
    pub feasible: u64,
    /// Whether `best_agent`/`best_score` are set.
    pub has_best: bool,
    /// The best agent now.
    pub best_agent: u32,
    /// Its score.
    pub best_score: f64,
    /// Whether some agent in the pool could hold the task once idle.
    pub could_ever_fit: bool,
    /// Whether the task is a gang member (`gang_*` set).
    pub has_gang: bool,
    /// The gang.
    pub gang_id: u32,
    /// Gang members submitted.
    pub gang_members: u32,
    /// The gang's size.
    pub gang_size: u32,
    /// Whether a backfill reservation exists (`reserved_*` set).
    pub has_reservation: bool,
    /// The task holding it.
    pub reserved_task: u32,
    /// The agent held.
    pub reserved_agent: u32,
}

/// How many agents fail the task for one reason.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct agentsched_reason {
    /// One of `AGENTSCHED_REASON_*`.
    pub kind: u32,
    /// The dimension for CAPACITY_TOO_SMALL and SHORT (0 otherwise).
    pub dimension: u32,
    /// How many agents.
    pub agents: u64,
}

/// An agent and its score.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct agentsched_candidate {
    /// The agent.
    pub agent: u32,
    /// Its score (higher is better).
    pub score: f64,
}

fn wrap(e: Explanation, out: *mut *mut agentsched_explanation) {
    let text = e.to_string();
    let b = Box::new(agentsched_explanation { e, text });
    // SAFETY: the caller checked `out` for NULL; writable (contract).
    unsafe { *out = Box::into_raw(b) };
}

/// Explains why a live task is, or is not, placeable now. On OK `*out` receives an explanation
/// to free with `agentsched_explanation_free`.
///
/// Statuses: OK, NULL_POINTER, UNKNOWN_TASK, TASK_STATE, POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_explain(
    h: *mut agentsched_dispatcher,
    task: u32,
    out: *mut *mut agentsched_explanation,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        non_null!(out);
        match h.d.explain(TaskId(task)) {
            Ok(e) => {
                wrap(e, out);
                agentsched_status::Ok
            }
            Err(e) => h.fail(e),
        }
    })
}

/// Where a task would go now and why, without changing anything. On OK `*out` receives an
/// explanation to free with `agentsched_explanation_free`. For a task to be submitted with a
/// runtime class, use `agentsched_dry_run_classed`: this one answers for an unclassed task.
///
/// Statuses: OK, NULL_POINTER, INVALID_ARGUMENT, DIMENSION_MISMATCH, INVALID_NUMBER,
/// POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_dry_run(
    h: *mut agentsched_dispatcher,
    spec: *const agentsched_task_spec,
    out: *mut *mut agentsched_explanation,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        non_null!(spec, out);
        // SAFETY: non-null (contract); arrays read under the same contract.
        unsafe { dry_run(h, &*spec, None, out) }
    })
}

/// The dry runs' shared body, inside their boundary.
///
/// # Safety
/// As `agentsched_dry_run_classed`, with `out` checked non-null.
unsafe fn dry_run(
    h: &mut agentsched_dispatcher,
    spec: &agentsched_task_spec,
    classed: Option<(u32, *const f64, usize)>,
    out: *mut *mut agentsched_explanation,
) -> agentsched_status {
    // SAFETY: the caller's contract.
    let spec = match unsafe { h.spec_from_c(spec, classed) } {
        Ok(s) => s,
        Err(st) => return st,
    };
    match h.d.dry_run(&spec) {
        Ok(e) => {
            wrap(e, out);
            agentsched_status::Ok
        }
        Err(e) => h.fail(e),
    }
}

/// Where a task of runtime class `class` with `features_len` features would go now and why,
/// without changing anything: the dry run of what `agentsched_task_submit_classed` with the
/// same arguments then `agentsched_dispatch` would do (with estimation on, the backfill check
/// uses the class's predicted runtime, as the real dispatch will). `spec` and `features` are
/// read during the call only; `features` may be NULL when `features_len` is 0. On OK `*out`
/// receives an explanation to free with `agentsched_explanation_free`; nothing is written on
/// error. Thread-safety: as every call on the handle.
///
/// Statuses: OK, NULL_POINTER (handle, spec, out, or features with a non-zero length),
/// INVALID_ARGUMENT, DIMENSION_MISMATCH (features not of the model's length, estimation on),
/// INVALID_NUMBER (a NaN or infinite feature, whether estimation is on or off), POISONED, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_dry_run_classed(
    h: *mut agentsched_dispatcher,
    spec: *const agentsched_task_spec,
    class: u32,
    features: *const f64,
    features_len: usize,
    out: *mut *mut agentsched_explanation,
) -> agentsched_status {
    ffi_boundary!(poison h, {
        let h = handle!(h);
        non_null!(spec, out);
        // SAFETY: non-null (contract); arrays read under the same contract.
        unsafe { dry_run(h, &*spec, Some((class, features, features_len)), out) }
    })
}

/// Frees an explanation. NULL does nothing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_explanation_free(e: *mut agentsched_explanation) {
    // SAFETY: made by Box::into_raw in this module, freed once (contract).
    unsafe { free_boxed(e) }
}

/// Fills `*out` with the explanation's headline figures.
///
/// Statuses: OK, NULL_POINTER, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_explanation_get_summary(
    e: *const agentsched_explanation,
    out: *mut agentsched_explanation_summary,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(e, out);
        // SAFETY: non-null explanation made by this library (contract).
        let x = unsafe { &(*e).e };
        let mut s = agentsched_explanation_summary {
            task: x.task.0,
            agents: x.agents as u64,
            feasible: x.feasible as u64,
            could_ever_fit: x.could_ever_fit,
            ..Default::default()
        };
        if let Some(b) = x.best {
            s.has_best = true;
            s.best_agent = b.agent.0;
            s.best_score = b.score;
        }
        if let Some(g) = x.gang {
            s.has_gang = true;
            s.gang_id = g.gang.0;
            s.gang_members = g.members;
            s.gang_size = g.size;
        }
        if let Some((t, a)) = x.reservation {
            s.has_reservation = true;
            s.reserved_task = t.0;
            s.reserved_agent = a.0;
        }
        // SAFETY: checked non-null, writable (contract).
        unsafe { *out = s };
        agentsched_status::Ok
    })
}

/// Copies the per-reason agent counts (most frequent first) into `buf`.
///
/// Statuses: OK, NULL_POINTER, BUFFER_TOO_SMALL (`*out_len` = count needed), PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_explanation_reasons(
    e: *const agentsched_explanation,
    buf: *mut agentsched_reason,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(e, out_len);
        // SAFETY: non-null explanation (contract).
        let x = unsafe { &(*e).e };
        let items: Vec<agentsched_reason> = x
            .reasons
            .iter()
            .map(|r| {
                let (kind, dimension) = match &r.reason {
                    Mismatch::Down => (AGENTSCHED_REASON_DOWN, 0),
                    Mismatch::Draining => (AGENTSCHED_REASON_DRAINING, 0),
                    Mismatch::TierNotAllowed => (AGENTSCHED_REASON_TIER_NOT_ALLOWED, 0),
                    Mismatch::MissingLabel(_) => (AGENTSCHED_REASON_MISSING_LABEL, 0),
                    Mismatch::CapacityTooSmall { dimension } => {
                        (AGENTSCHED_REASON_CAPACITY_TOO_SMALL, *dimension as u32)
                    }
                    Mismatch::Short { dimension } => (AGENTSCHED_REASON_SHORT, *dimension as u32),
                    Mismatch::Reserved => (AGENTSCHED_REASON_RESERVED, 0),
                };
                agentsched_reason {
                    kind,
                    dimension,
                    agents: r.agents as u64,
                }
            })
            .collect();
        // SAFETY: `buf` valid for `cap` values; `out_len` checked.
        unsafe { write_items(&items, buf, cap, out_len) }
    })
}

/// Copies the missing label of reason `index` as `key=value` (NUL-terminated) into `buf`.
///
/// Statuses: OK, NULL_POINTER, INVALID_ARGUMENT (index out of range or not MISSING_LABEL),
/// BUFFER_TOO_SMALL, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_explanation_reason_label(
    e: *const agentsched_explanation,
    index: usize,
    buf: *mut c_char,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(e, out_len);
        // SAFETY: non-null explanation (contract).
        let x = unsafe { &(*e).e };
        match x.reasons.get(index).map(|r| &r.reason) {
            // SAFETY: `buf` valid for `cap` bytes; `out_len` checked.
            Some(Mismatch::MissingLabel(l)) => unsafe {
                write_str(&l.to_string(), buf, cap, out_len)
            },
            _ => agentsched_status::InvalidArgument,
        }
    })
}

/// Copies the best candidates now (best first, at most 3) into `buf`.
///
/// Statuses: OK, NULL_POINTER, BUFFER_TOO_SMALL (`*out_len` = count needed), PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_explanation_candidates(
    e: *const agentsched_explanation,
    buf: *mut agentsched_candidate,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(e, out_len);
        // SAFETY: non-null explanation (contract).
        let x = unsafe { &(*e).e };
        let items: Vec<agentsched_candidate> = x
            .best
            .iter()
            .chain(x.runners_up.iter())
            .map(|c| agentsched_candidate {
                agent: c.agent.0,
                score: c.score,
            })
            .collect();
        // SAFETY: `buf` valid for `cap` values; `out_len` checked.
        unsafe { write_items(&items, buf, cap, out_len) }
    })
}

/// Copies, per dimension, how many agents lack free quantity there, into `buf`.
///
/// Statuses: OK, NULL_POINTER, BUFFER_TOO_SMALL (`*out_len` = count needed), PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_explanation_short_by_dimension(
    e: *const agentsched_explanation,
    buf: *mut u64,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(e, out_len);
        // SAFETY: non-null explanation (contract).
        let x = unsafe { &(*e).e };
        let items: Vec<u64> = x.short_by_dimension.iter().map(|&n| n as u64).collect();
        // SAFETY: `buf` valid for `cap` values; `out_len` checked.
        unsafe { write_items(&items, buf, cap, out_len) }
    })
}

/// The number of closest agents (at most 3) in `*out_count`.
///
/// Statuses: OK, NULL_POINTER, PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_explanation_closest_count(
    e: *const agentsched_explanation,
    out_count: *mut usize,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(e, out_count);
        // SAFETY: non-null explanation and output (contract).
        unsafe { *out_count = (*e).e.closest.len() };
        agentsched_status::Ok
    })
}

/// Closest agent `index`: `*out_agent` receives its id and `buf` the per-dimension quantity it
/// lacks (0 where enough is free).
///
/// Statuses: OK, NULL_POINTER, INVALID_ARGUMENT (index out of range), BUFFER_TOO_SMALL
/// (`*out_len` = dimensions), PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_explanation_closest(
    e: *const agentsched_explanation,
    index: usize,
    out_agent: *mut u32,
    buf: *mut u64,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(e, out_agent, out_len);
        // SAFETY: non-null explanation (contract).
        let x = unsafe { &(*e).e };
        let Some(c) = x.closest.get(index) else {
            return agentsched_status::InvalidArgument;
        };
        // SAFETY: `buf` valid for `cap` values; `out_len` checked.
        let s = unsafe { write_items(&c.missing, buf, cap, out_len) };
        if s == agentsched_status::Ok {
            // SAFETY: checked non-null, writable (contract).
            unsafe { *out_agent = c.agent.0 };
        }
        s
    })
}

/// Copies the explanation as one line of text (NUL-terminated), e.g. `"0/5 agents: 3 short of
/// gpu, 1 public tier not allowed for confidential data, 1 down"`.
///
/// Statuses: OK, NULL_POINTER, BUFFER_TOO_SMALL (`*out_len` = length without the NUL), PANIC.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_explanation_text(
    e: *const agentsched_explanation,
    buf: *mut c_char,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(e, out_len);
        // SAFETY: non-null explanation (contract); `buf` valid for `cap` bytes.
        unsafe { write_str(&(*e).text, buf, cap, out_len) }
    })
}
