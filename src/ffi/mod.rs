//! The C ABI: `libagentsched` for C, Go and any host with a C FFI.
//!
//! The only module with `unsafe`. Conventions (rustls-ffi's): opaque handles made by
//! `agentsched_X_new(..., agentsched_X **out)` and released by `agentsched_X_free` (free(NULL) does
//! nothing); every fallible function returns an [`agentsched_status`]; enum values coming from C
//! are taken as `uint32_t`; detailed messages live on the handle
//! (`agentsched_dispatcher_last_error`, `agentsched_etc_last_error`,
//! `agentsched_task_graph_last_error`, `agentsched_dag_last_error`); buffers are `(ptr, capacity, *out_len)` and on
//! `AGENTSCHED_STATUS_BUFFER_TOO_SMALL` `*out_len` reports the size needed. Every body runs inside
//! `ffi_boundary!`, which turns a panic into `AGENTSCHED_STATUS_PANIC` and poisons the handle.
//! A function that fails writes no output (except `*out_len`) and leaves the handle unchanged.
//! Rust never keeps a caller's pointer after a call returns.
#![allow(unsafe_code)]
#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)]

mod dispatcher;
mod explain;
mod mapping;
// After mapping, so that the header lists the graph functions last.
mod dag;
mod estimate;
mod placement;

pub use dag::*;
pub use dispatcher::*;
pub use estimate::*;
pub use explain::*;
pub use mapping::*;
pub use placement::*;

use crate::Error;
use std::ffi::{CStr, c_char};

/// Frees a handle made by `Box::into_raw` (NULL does nothing), catching a panic in its drop: the
/// body of every `agentsched_X_free`.
///
/// # Safety
/// `p` is NULL or came from `Box::into_raw` in this library and is freed once (the caller's
/// contract, stated on each `_free`).
pub(crate) unsafe fn free_boxed<T>(p: *mut T) {
    if p.is_null() {
        return;
    }
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // SAFETY: non-null, from Box::into_raw, freed once (see above).
        drop(unsafe { Box::from_raw(p) });
    }));
}

/// Status of a C ABI call. `AGENTSCHED_STATUS_OK` is 0; every other value is an error kind.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum agentsched_status {
    /// Success.
    Ok = 0,
    /// A required pointer argument was NULL.
    NullPointer = 1,
    /// An argument is out of range: an unknown enum value, a string that is not UTF-8, a count
    /// too large for memory.
    InvalidArgument = 2,
    /// The output buffer is too small; `*out_len` holds the size needed.
    BufferTooSmall = 3,
    /// The handle was poisoned by an earlier panic and can only be freed.
    Poisoned = 4,
    /// No task with this id.
    UnknownTask = 10,
    /// A task with this id exists (or existed).
    DuplicateTask = 11,
    /// No agent with this id.
    UnknownAgent = 12,
    /// An agent with this id exists.
    DuplicateAgent = 13,
    /// A vector has the wrong number of dimensions.
    DimensionMismatch = 20,
    /// A number is NaN, infinite, negative, or zero where it must be positive.
    InvalidNumber = 21,
    /// A resource quantity would overflow or underflow.
    Overflow = 22,
    /// A policy value is invalid (weights, queue discipline, gang size).
    InvalidConfig = 23,
    /// The schema is empty, too large, or has an empty or repeated name.
    InvalidSchema = 24,
    /// The task is not in a state the call applies to.
    TaskState = 30,
    /// The agent is not in a state the call applies to.
    AgentState = 31,
    /// Gang members disagree on size, or the gang is full.
    Gang = 32,
    /// No agent in the pool could ever hold the task.
    NeverFits = 33,
    /// Time went backwards.
    TimeWentBackwards = 34,
    /// A snapshot is malformed or inconsistent.
    InvalidSnapshot = 40,
    /// An internal queue error (should not happen through the dispatcher).
    Queue = 41,
    /// The task graph has a cycle.
    Cycle = 50,
    /// A self-loop or a duplicate edge in a task graph.
    InvalidGraph = 51,
    /// A schedule breaks a rule of its problem.
    InvalidSchedule = 52,
    /// Even all offers together cannot cover the demand (renting nodes).
    Uncoverable = 60,
    /// Too few values for the model (an empty or too-short series, too few samples).
    TooFewValues = 70,
    /// A least-squares system is singular (linearly dependent features or lags).
    Singular = 71,
    /// A panic was caught at the boundary (a bug: please report it).
    Panic = 99,
}

impl agentsched_status {
    fn from_u32(v: u32) -> Option<Self> {
        use agentsched_status::*;
        [
            Ok,
            NullPointer,
            InvalidArgument,
            BufferTooSmall,
            Poisoned,
            UnknownTask,
            DuplicateTask,
            UnknownAgent,
            DuplicateAgent,
            DimensionMismatch,
            InvalidNumber,
            Overflow,
            InvalidConfig,
            InvalidSchema,
            TaskState,
            AgentState,
            Gang,
            NeverFits,
            TimeWentBackwards,
            InvalidSnapshot,
            Queue,
            Cycle,
            InvalidGraph,
            InvalidSchedule,
            Uncoverable,
            TooFewValues,
            Singular,
            Panic,
        ]
        .into_iter()
        .find(|s| *s as u32 == v)
    }

    fn text(self) -> &'static CStr {
        use agentsched_status::*;
        match self {
            Ok => c"ok",
            NullPointer => c"null pointer",
            InvalidArgument => c"invalid argument",
            BufferTooSmall => c"buffer too small",
            Poisoned => c"handle poisoned by an earlier panic",
            UnknownTask => c"unknown task",
            DuplicateTask => c"duplicate task",
            UnknownAgent => c"unknown agent",
            DuplicateAgent => c"duplicate agent",
            DimensionMismatch => c"dimension mismatch",
            InvalidNumber => c"invalid number",
            Overflow => c"overflow",
            InvalidConfig => c"invalid configuration",
            InvalidSchema => c"invalid schema",
            TaskState => c"task state",
            AgentState => c"agent state",
            Gang => c"gang",
            NeverFits => c"never fits",
            TimeWentBackwards => c"time went backwards",
            InvalidSnapshot => c"invalid snapshot",
            Queue => c"queue",
            Cycle => c"cycle in the task graph",
            InvalidGraph => c"invalid task graph",
            InvalidSchedule => c"invalid schedule",
            Uncoverable => c"demand cannot be covered",
            TooFewValues => c"too few values",
            Singular => c"singular system",
            Panic => c"panic",
        }
    }
}

impl From<&Error> for agentsched_status {
    fn from(e: &Error) -> Self {
        use agentsched_status as S;
        match e {
            Error::EmptySchema
            | Error::TooManyDimensions { .. }
            | Error::InvalidDimension { .. } => S::InvalidSchema,
            Error::DimensionMismatch { .. } => S::DimensionMismatch,
            Error::Overflow { .. } | Error::Underflow { .. } => S::Overflow,
            Error::NotFinite { .. }
            | Error::Negative { .. }
            | Error::NotPositive { .. }
            | Error::TooLarge { .. } => S::InvalidNumber,
            Error::InvalidConfig { .. } => S::InvalidConfig,
            Error::UnknownTask(_) => S::UnknownTask,
            Error::DuplicateTask(_) => S::DuplicateTask,
            Error::UnknownAgent(_) => S::UnknownAgent,
            Error::DuplicateAgent(_) => S::DuplicateAgent,
            Error::QueueEntry { .. } => S::Queue,
            Error::TaskState { .. } => S::TaskState,
            Error::AgentState { .. } => S::AgentState,
            Error::GangSize { .. } | Error::GangFull { .. } => S::Gang,
            Error::NeverFits { .. } => S::NeverFits,
            Error::TimeWentBackwards { .. } => S::TimeWentBackwards,
            Error::InvalidSnapshot { .. } => S::InvalidSnapshot,
            Error::InvalidInstance { .. } | Error::InvalidTenant { .. } => S::InvalidArgument,
            Error::Cycle { .. } => S::Cycle,
            Error::SelfLoop { .. } | Error::DuplicateEdge { .. } => S::InvalidGraph,
            Error::InvalidSchedule { .. } => S::InvalidSchedule,
            Error::InvalidFaultSpec { .. } => S::InvalidNumber,
            Error::InvalidCost { .. } => S::InvalidNumber,
            Error::Uncoverable { .. } => S::Uncoverable,
            Error::TooFewValues { .. } => S::TooFewValues,
            Error::Singular { .. } => S::Singular,
        }
    }
}

/// Runs a C ABI body: panics become `AGENTSCHED_STATUS_PANIC` (and poison the handle given, if
/// any); the body's own `return`s give the status.
macro_rules! ffi_boundary {
    ($body:block) => {{
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || $body)) {
            Ok(s) => s,
            Err(_) => $crate::ffi::agentsched_status::Panic,
        }
    }};
    (poison $h:expr, $body:block) => {{
        let h = $h;
        // SAFETY (all three blocks): checked non-null; the caller passes a handle made by this
        // library and uses it from one thread at a time (documented contract).
        let before = if h.is_null() {
            0
        } else {
            unsafe { (*h).error_gen }
        };
        let s = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || $body)) {
            Ok(s) => s,
            Err(_) => {
                if !h.is_null() {
                    unsafe { (*h).poisoned = true };
                }
                $crate::ffi::agentsched_status::Panic
            }
        };
        // Every failure replaces the message, even one without its own text, so that
        // `last_error` always describes the latest failed call. A size probe
        // (BUFFER_TOO_SMALL) is not a failure worth a message and keeps the previous one.
        if s != $crate::ffi::agentsched_status::Ok
            && s != $crate::ffi::agentsched_status::BufferTooSmall
            && !h.is_null()
            && unsafe { (*h).error_gen } == before
        {
            unsafe { (*h).set_error(s.text().to_str().unwrap_or("error")) };
        }
        s
    }};
}
pub(crate) use ffi_boundary;

/// Returns `AGENTSCHED_STATUS_NULL_POINTER` from the enclosing body when a pointer is NULL.
macro_rules! non_null {
    ($($p:expr),+) => {
        $(if $p.is_null() {
            return $crate::ffi::agentsched_status::NullPointer;
        })+
    };
}
pub(crate) use non_null;

/// Copies `bytes` into a caller buffer `(buf, cap, out_len)`.
///
/// # Safety
/// `buf` must be valid for `cap` bytes when non-null; `out_len` must be valid.
pub(crate) unsafe fn write_bytes(
    bytes: &[u8],
    buf: *mut u8,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    // SAFETY: the caller checked `out_len` for NULL.
    unsafe { *out_len = bytes.len() };
    if bytes.len() > cap || (buf.is_null() && !bytes.is_empty()) {
        return agentsched_status::BufferTooSmall;
    }
    if !bytes.is_empty() {
        // SAFETY: `buf` is valid for `cap >= bytes.len()` bytes (caller contract).
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), buf, bytes.len()) };
    }
    agentsched_status::Ok
}

/// Copies a string with a terminating NUL; `*out_len` counts the bytes without the NUL.
///
/// # Safety
/// As [`write_bytes`].
pub(crate) unsafe fn write_str(
    s: &str,
    buf: *mut c_char,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    // SAFETY: the caller checked `out_len`.
    unsafe { *out_len = s.len() };
    if s.len() >= cap || buf.is_null() {
        return agentsched_status::BufferTooSmall;
    }
    // SAFETY: `buf` is valid for `cap > s.len()` bytes (caller contract).
    unsafe {
        std::ptr::copy_nonoverlapping(s.as_ptr(), buf.cast::<u8>(), s.len());
        *buf.add(s.len()) = 0;
    }
    agentsched_status::Ok
}

/// Copies `items` into a caller array `(buf, cap, out_len)`.
///
/// # Safety
/// `buf` must be valid for `cap` elements when non-null; `out_len` must be valid.
pub(crate) unsafe fn write_items<T: Copy>(
    items: &[T],
    buf: *mut T,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    // SAFETY: the caller checked `out_len`.
    unsafe { *out_len = items.len() };
    if items.len() > cap || (buf.is_null() && !items.is_empty()) {
        return agentsched_status::BufferTooSmall;
    }
    if !items.is_empty() {
        // SAFETY: `buf` is valid for `cap >= items.len()` elements (caller contract).
        unsafe { std::ptr::copy_nonoverlapping(items.as_ptr(), buf, items.len()) };
    }
    agentsched_status::Ok
}

/// A slice from a C `(ptr, len)`; NULL is allowed only with `len == 0`.
///
/// Lengths must be truthful: a length larger than the array behind `ptr` cannot be detected in
/// general and is undefined behaviour. Only a length no array can have (more than
/// `isize::MAX` bytes) is caught, as `AGENTSCHED_STATUS_INVALID_ARGUMENT`; NULL with a non-zero
/// length is `AGENTSCHED_STATUS_NULL_POINTER`.
///
/// # Safety
/// `ptr` must be valid for `len` elements when non-null.
pub(crate) unsafe fn slice<'a, T>(ptr: *const T, len: usize) -> Result<&'a [T], agentsched_status> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(agentsched_status::NullPointer);
    }
    if len > isize::MAX as usize / std::mem::size_of::<T>().max(1) {
        return Err(agentsched_status::InvalidArgument);
    }
    // SAFETY: non-null, valid for `len` elements (caller contract), size checked above.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// A `&str` from a NUL-terminated C string.
///
/// # Safety
/// `p` must be NULL or point to a NUL-terminated string.
pub(crate) unsafe fn cstr<'a>(p: *const c_char) -> Option<&'a str> {
    if p.is_null() {
        return None;
    }
    // SAFETY: non-null and NUL-terminated (caller contract).
    unsafe { CStr::from_ptr(p) }.to_str().ok()
}

/// The library version, e.g. `"0.1.0"`: a static NUL-terminated string (never free it).
/// Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn agentsched_version() -> *const c_char {
    static V: &CStr =
        match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
            Ok(v) => v,
            Err(_) => c"unknown",
        };
    V.as_ptr()
}

/// A static, NUL-terminated description of a status value (never free it). Unknown values give
/// `"unknown status"`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn agentsched_status_str(status: u32) -> *const c_char {
    match agentsched_status::from_u32(status) {
        Some(s) => s.text().as_ptr(),
        None => c"unknown status".as_ptr(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_macros_match_the_manifest() {
        let parse = |s: &str| s.parse::<u32>().unwrap();
        assert_eq!(
            dispatcher::AGENTSCHED_VERSION_MAJOR,
            parse(env!("CARGO_PKG_VERSION_MAJOR"))
        );
        assert_eq!(
            dispatcher::AGENTSCHED_VERSION_MINOR,
            parse(env!("CARGO_PKG_VERSION_MINOR"))
        );
        assert_eq!(
            dispatcher::AGENTSCHED_VERSION_PATCH,
            parse(env!("CARGO_PKG_VERSION_PATCH"))
        );
        // SAFETY: a static NUL-terminated string.
        let v = unsafe { CStr::from_ptr(agentsched_version()) };
        assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    }

    #[test]
    fn every_status_has_a_distinct_text_and_round_trips() {
        let mut seen = std::collections::BTreeSet::new();
        for v in 0..200u32 {
            if let Some(s) = agentsched_status::from_u32(v) {
                assert_eq!(s as u32, v);
                assert!(
                    seen.insert(s.text().to_bytes().to_vec()),
                    "duplicate text for {v}"
                );
            }
        }
        assert_eq!(seen.len(), 28);
        // SAFETY: static NUL-terminated strings.
        let unknown = unsafe { CStr::from_ptr(agentsched_status_str(12345)) };
        assert_eq!(unknown.to_str().unwrap(), "unknown status");
    }

    /// `last_error` describes the latest failed call, even one that failed before reaching the
    /// library's own validation; a buffer-size probe keeps the previous message.
    #[test]
    fn last_error_follows_the_latest_failure() {
        let dims = [c"cpu".as_ptr()];
        let mut h = std::ptr::null_mut();
        // SAFETY: valid arguments; every pointer below is valid or deliberately NULL.
        unsafe {
            assert_eq!(
                agentsched_dispatcher_new(dims.as_ptr(), 1, std::ptr::null(), &mut h),
                agentsched_status::Ok
            );
            let msg = |h| {
                let mut buf = [0 as c_char; 128];
                let mut len = 0;
                assert_eq!(
                    agentsched_dispatcher_last_error(h, buf.as_mut_ptr(), buf.len(), &mut len),
                    agentsched_status::Ok
                );
                CStr::from_ptr(buf.as_ptr()).to_str().unwrap().to_string()
            };
            assert_eq!(
                agentsched_task_complete(h, 9),
                agentsched_status::UnknownTask
            );
            assert_eq!(msg(h), "unknown task task#9");
            assert_eq!(
                agentsched_task_submit(h, std::ptr::null()),
                agentsched_status::NullPointer
            );
            assert_eq!(msg(h), "null pointer");
            let mut len = 0;
            let s = agentsched_dispatcher_snapshot(h, std::ptr::null_mut(), 0, &mut len);
            assert_eq!(s, agentsched_status::BufferTooSmall);
            assert!(len > 0);
            assert_eq!(msg(h), "null pointer");
            agentsched_dispatcher_free(h);
        }
    }

    /// Every export runs its body inside the panic boundary (or, for the free functions
    /// and the two static-string functions, cannot panic or catch it themselves).
    #[test]
    fn every_export_goes_through_the_boundary() {
        let files = [
            include_str!("mod.rs"),
            include_str!("dag.rs"),
            include_str!("dag/schedule.rs"),
            include_str!("dag/fault.rs"),
            include_str!("dispatcher.rs"),
            include_str!("explain.rs"),
            include_str!("mapping.rs"),
            include_str!("placement/consolidate.rs"),
            include_str!("placement/fair.rs"),
            include_str!("placement/hybrid.rs"),
            include_str!("placement/cover.rs"),
            include_str!("placement/vbp.rs"),
            include_str!("estimate/forecast.rs"),
            include_str!("estimate/runtime.rs"),
        ];
        let mut exports = 0;
        for src in files {
            for chunk in src.split("#[unsafe(no_mangle)]").skip(1) {
                exports += 1;
                let name = chunk
                    .split("fn ")
                    .nth(1)
                    .and_then(|s| s.split('(').next())
                    .unwrap();
                let body_start = chunk.find('{').unwrap();
                let body = &chunk[body_start..chunk.find("\n}\n").unwrap_or(chunk.len())];
                let ok = body.contains("ffi_boundary!")
                    || (name.ends_with("_free") && body.contains("free_boxed("))
                    || name == "agentsched_version"
                    || name == "agentsched_status_str";
                assert!(ok, "{name} does not run inside ffi_boundary!");
            }
        }
        assert!(exports >= 99, "found only {exports} exports");
    }
}
