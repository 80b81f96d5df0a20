//! Vector bin packing through the C ABI: an immutable instance handle (capacity vector and
//! row-major demands), the heuristics by name, the portfolio under a time limit, the lower
//! bound, a validator for a host's own assignment, and immutable packing results read with the
//! usual buffer protocol. No logic lives here: only conversion and the checks that give each
//! hostile input its own status.

use super::super::{
    agentsched_status, cstr, ffi_boundary, free_boxed, non_null, slice, write_items,
};
use crate::placement::vbp::{self, Heuristic, Packing, VbpInstance};
use std::ffi::c_char;
use std::time::Duration;

/// A vector bin packing instance (opaque): a capacity vector (every entry > 0) and one demand
/// vector per item, each within the capacity. Owned by the host from
/// `agentsched_vbp_instance_new` until `agentsched_vbp_instance_free`. Immutable: it may be used
/// from several threads at once, and moved between threads; packings do not borrow it.
pub struct agentsched_vbp_instance {
    inst: VbpInstance,
}

/// A packing of every item of an instance into bins (opaque): the bin count, the item -> bin
/// assignment (bins numbered from 0) and the instance's lower bound. Owned by the host until
/// `agentsched_vbp_packing_free`. Immutable: it may be read from several threads at once, and
/// moved between threads.
pub struct agentsched_vbp_packing {
    p: Packing,
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<agentsched_vbp_instance>();
    assert_send_sync::<agentsched_vbp_packing>();
};

/// Hands a packing to the host.
///
/// # Safety
/// `out` must be non-null and writable.
unsafe fn give(p: Packing, out: *mut *mut agentsched_vbp_packing) -> agentsched_status {
    let b = Box::new(agentsched_vbp_packing { p });
    // SAFETY: checked non-null by the caller; writable (contract).
    unsafe { *out = Box::into_raw(b) };
    agentsched_status::Ok
}

/// Creates an instance: `capacity` holds `dims` capacities (each > 0), `demand` holds the items'
/// demands in row-major order (`demand[i * dims + k]` is item `i`'s demand in dimension `k`), so
/// `demand_len` is `items * dims` (0 for no items; `demand` may then be NULL). Both arrays are
/// copied during the call. On OK `*out` receives a handle the host must free with
/// `agentsched_vbp_instance_free`; on any other status `*out` is untouched.
///
/// INVALID_CONFIG: `dims` is 0 or a capacity is 0. DIMENSION_MISMATCH: `demand_len` is not a
/// multiple of `dims`. NEVER_FITS: an item's demand exceeds the capacity in some dimension (it
/// fits no host). OVERFLOW: a dimension's demands sum past 2^64 - 1. NULL_POINTER: `out` is
/// NULL, or an array is NULL with a non-zero length. INVALID_ARGUMENT: a length too large for
/// memory.
///
/// Statuses: OK, NULL_POINTER, INVALID_ARGUMENT, INVALID_CONFIG, DIMENSION_MISMATCH, NEVER_FITS,
/// OVERFLOW, PANIC. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_vbp_instance_new(
    capacity: *const u64,
    dims: usize,
    demand: *const u64,
    demand_len: usize,
    out: *mut *mut agentsched_vbp_instance,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(out);
        // SAFETY: valid for `dims` values when non-null (documented contract).
        let cap = match unsafe { slice(capacity, dims) } {
            Ok(c) => c,
            Err(s) => return s,
        };
        // SAFETY: valid for `demand_len` values when non-null (documented contract).
        let dem = match unsafe { slice(demand, demand_len) } {
            Ok(d) => d,
            Err(s) => return s,
        };
        if dims == 0 || cap.contains(&0) {
            return agentsched_status::InvalidConfig;
        }
        if demand_len % dims != 0 {
            return agentsched_status::DimensionMismatch;
        }
        if dem
            .chunks_exact(dims)
            .any(|row| row.iter().zip(cap).any(|(x, c)| x > c))
        {
            return agentsched_status::NeverFits;
        }
        let inst = match VbpInstance::from_flat(cap.to_vec(), dem.to_vec()) {
            Ok(i) => i,
            Err(e) => return agentsched_status::from(&e),
        };
        // SAFETY: checked non-null; writable (documented contract).
        unsafe { *out = Box::into_raw(Box::new(agentsched_vbp_instance { inst })) };
        agentsched_status::Ok
    })
}

/// Frees an instance. NULL does nothing. The handle must not be used afterwards; packings made
/// from it stay valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_vbp_instance_free(h: *mut agentsched_vbp_instance) {
    // SAFETY: made by Box::into_raw in agentsched_vbp_instance_new, freed once (contract).
    unsafe { free_boxed(h) }
}

/// Runs one heuristic by name (NUL-terminated): `ffd`, `ffd-max`, `ffd-l2` (first-fit
/// decreasing by the sum, max or L2 norm of the normalised demands), `bfd`, `bfd-max`, `bfd-l2`
/// (best-fit decreasing), `dot-product`, `l2` (L2-norm gap), `mbs` (minimum bin slack). On OK
/// `*out` receives a packing the host must free with `agentsched_vbp_packing_free`; otherwise
/// `*out` is untouched.
///
/// INVALID_ARGUMENT: an unknown name (or not UTF-8). NULL_POINTER: a NULL argument.
///
/// Statuses: OK, NULL_POINTER, INVALID_ARGUMENT, PANIC. Thread-safe (the instance is immutable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_vbp_heuristic(
    inst: *const agentsched_vbp_instance,
    name: *const c_char,
    out: *mut *mut agentsched_vbp_packing,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(inst, name, out);
        // SAFETY: NUL-terminated (documented contract).
        let Some(h) = unsafe { cstr(name) }.and_then(Heuristic::by_name) else {
            return agentsched_status::InvalidArgument;
        };
        // SAFETY: a live handle made by this library (documented contract).
        let inst = unsafe { &(*inst).inst };
        // SAFETY: checked non-null.
        unsafe { give(h.run(inst), out) }
    })
}

/// The portfolio: every heuristic in turn while `time_limit_ms` lasts (at least FFD; 0 means no
/// limit), the fewest bins, then the improvement phase if time is left. The limit is checked
/// between steps, so the call may overrun it by one step. On OK `*out` receives a packing the
/// host must free with `agentsched_vbp_packing_free`; otherwise `*out` is untouched.
///
/// Statuses: OK, NULL_POINTER, PANIC. Thread-safe (the instance is immutable).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_vbp_best(
    inst: *const agentsched_vbp_instance,
    time_limit_ms: u64,
    out: *mut *mut agentsched_vbp_packing,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(inst, out);
        // SAFETY: a live handle made by this library (documented contract).
        let inst = unsafe { &(*inst).inst };
        let limit = (time_limit_ms > 0).then(|| Duration::from_millis(time_limit_ms));
        // SAFETY: checked non-null.
        unsafe { give(vbp::best_within(inst, limit), out) }
    })
}

/// Writes the instance's lower bound on the number of bins to `*out`: the largest per-dimension
/// `ceil(sum of demands / capacity)` (1 with any item, 0 without), and in one dimension also the
/// Martello-Toth bound L2.
///
/// Statuses: OK, NULL_POINTER, PANIC. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_vbp_lower_bound(
    inst: *const agentsched_vbp_instance,
    out: *mut usize,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(inst, out);
        // SAFETY: a live handle (documented contract); `out` checked non-null and writable.
        unsafe { *out = vbp::lower_bound(&(*inst).inst) };
        agentsched_status::Ok
    })
}

/// Checks a host's assignment (`assignment[i]` is item `i`'s bin) against the instance: every
/// bin from 0 to the largest used must hold an item, and no bin may exceed the capacity in any
/// dimension. On OK `*out_bins` receives the number of bins; otherwise it is untouched.
///
/// DIMENSION_MISMATCH: `len` differs from the item count. INVALID_ARGUMENT: a bin over the
/// capacity, an empty bin below the largest, or a bin number of at least the item count (a
/// packing never needs more bins than items). NULL_POINTER: a NULL argument (`assignment` may
/// be NULL when `len` is 0).
///
/// Statuses: OK, NULL_POINTER, INVALID_ARGUMENT, DIMENSION_MISMATCH, PANIC. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_vbp_validate(
    inst: *const agentsched_vbp_instance,
    assignment: *const usize,
    len: usize,
    out_bins: *mut usize,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(inst, out_bins);
        // SAFETY: a live handle made by this library (documented contract).
        let inst = unsafe { &(*inst).inst };
        // SAFETY: valid for `len` values when non-null (documented contract).
        let a = match unsafe { slice(assignment, len) } {
            Ok(a) => a,
            Err(s) => return s,
        };
        if a.len() != inst.len() {
            return agentsched_status::DimensionMismatch;
        }
        if a.iter().any(|&b| b >= inst.len()) {
            return agentsched_status::InvalidArgument;
        }
        let used = a.iter().max().map_or(0, |&b| b + 1);
        let mut bins = vec![Vec::new(); used];
        for (i, &b) in a.iter().enumerate() {
            bins[b].push(i);
        }
        let p = Packing {
            bins,
            assignment: a.to_vec(),
            lower_bound: 0,
            gap: 0.0,
        };
        match vbp::validate(inst, &p) {
            Ok(n) => {
                // SAFETY: checked non-null; writable (documented contract).
                unsafe { *out_bins = n };
                agentsched_status::Ok
            }
            Err(e) => agentsched_status::from(&e),
        }
    })
}

/// Writes the packing's number of bins to `*out`.
///
/// Statuses: OK, NULL_POINTER, PANIC. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_vbp_packing_bins(
    p: *const agentsched_vbp_packing,
    out: *mut usize,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(p, out);
        // SAFETY: a live packing (documented contract); `out` checked non-null and writable.
        unsafe { *out = (*p).p.hosts() };
        agentsched_status::Ok
    })
}

/// Writes the packing's lower bound on the optimum to `*out`: the instance's bound (see
/// `agentsched_vbp_lower_bound`), or more when the search that produced the packing proved that
/// fewer bins are impossible (bin completion, `best`); equal to the bins when proven optimal.
///
/// Statuses: OK, NULL_POINTER, PANIC. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_vbp_packing_lower_bound(
    p: *const agentsched_vbp_packing,
    out: *mut usize,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(p, out);
        // SAFETY: a live packing (documented contract); `out` checked non-null and writable.
        unsafe { *out = (*p).p.lower_bound };
        agentsched_status::Ok
    })
}

/// Copies the assignment (item `i`'s bin, one entry per item, bins from 0) into `buf`.
/// `*out_len` receives the item count, also on BUFFER_TOO_SMALL (then `buf` is untouched;
/// `buf` may be NULL with `cap` 0 to ask for the size).
///
/// Statuses: OK, NULL_POINTER, BUFFER_TOO_SMALL, PANIC. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_vbp_packing_assignment(
    p: *const agentsched_vbp_packing,
    buf: *mut usize,
    cap: usize,
    out_len: *mut usize,
) -> agentsched_status {
    ffi_boundary!({
        non_null!(p, out_len);
        // SAFETY: a live packing; `buf` valid for `cap` values when non-null (contract).
        unsafe { write_items(&(*p).p.assignment, buf, cap, out_len) }
    })
}

/// Frees a packing. NULL does nothing. The handle must not be used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn agentsched_vbp_packing_free(p: *mut agentsched_vbp_packing) {
    // SAFETY: made by Box::into_raw in this file, freed once (contract).
    unsafe { free_boxed(p) }
}
