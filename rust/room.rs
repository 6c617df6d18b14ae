//! Running out of memory is an error, not an abort.
//!
//! Under an address-space limit (`ulimit -v`, a container's `RLIMIT_AS`) or strict
//! overcommit (`vm.overcommit_memory = 2`) an allocation can fail, and Rust's global
//! allocator then aborts the process ("memory allocation of N bytes failed"): stable Rust
//! cannot turn that into a panic, and an allocator must not unwind. A service must get a
//! `MemoryError` instead (DESIGN.md: no input crashes the process). So the core asks for
//! memory before it needs it, at the points where what it is about to allocate grows
//! with the input, and fails with `CoreError::OutOfMemory` (Python's `MemoryError`,
//! naming what and how much) when the allocator cannot give it:
//!
//! - the allocations that dominate are made fallibly (`try_grow`: a batch's per-pattern
//!   accumulators, 1,152 bytes each; a pattern id's entries in the `GroupIndex`);
//! - before each step that allocates in many places (converting a slice of a columnar
//!   input, grouping a chunk, adding a chunk's times, finalizing a chunk of patterns, one
//!   pattern's percentiles, merging states, making a batch's outputs, and on entering
//!   every call) `ensure_room` asks the kernel to map an estimate of the step's
//!   allocations plus `MARGIN`, and unmaps it at once. The pages are never touched, so
//!   this costs two system calls, not page faults; a few per slice of a million records.
//!
//! The design is silent on memory; the choices here: a check is a guess of the step's
//! peak, so the margin covers the small allocations the estimates leave out (a pattern's
//! tallies, a time series' points, a result's strings), and `reserve` holds memory back
//! for those that come when the memory is already gone (at most 4 MiB each, 8 MiB in all
//! between two checks). A step that allocates more than its estimate plus the margin in
//! one block can still abort; so can
//! another thread of the process (Python building the output models meanwhile) taking the
//! room between a check and the step. What a cgroup memory limit does (the kernel's OOM
//! killer, with every allocation succeeding) no process can catch.

use crate::error::CoreError;

/// Room asked for beyond each estimate: the small allocations between two checks.
pub const MARGIN: usize = 16 << 20;

/// Whether `bytes` (and `MARGIN` more) can be allocated now.
///
/// Also called on entering each call into the core (`bindings::compute`, and before a
/// call's settings and Arrow schema are read), with nothing to add: the margin alone.
pub fn ensure_room(bytes: usize, what: impl FnOnce() -> String) -> Result<(), CoreError> {
    let total = bytes.saturating_add(MARGIN);
    // (The reserve first, if not made yet (no room when the module was loaded): a call
    // never goes on without it. See `reserve`.)
    if crate::reserve::RESERVE.hold() && can_map(total) {
        Ok(())
    } else {
        // (The margin counted: "could not allocate 16 MB" rather than "0 bytes".)
        Err(out_of_memory(total, what))
    }
}

/// Whether the kernel would map `bytes` more of memory now: a private writable mapping
/// made and unmapped at once, never touched. Asked of the kernel, not of the allocator:
/// jemalloc keeps the address space of what it frees (its "retained" memory, counted by
/// `RLIMIT_AS`), so a probe through it would take that room from Python's malloc for good.
/// (What jemalloc retains, and would reuse, is not counted as room here: the checks err
/// towards failing.)
#[cfg(target_os = "linux")]
fn can_map(bytes: usize) -> bool {
    use std::ffi::{c_int, c_void};
    extern "C" {
        fn mmap(addr: *mut c_void, len: usize, prot: c_int, flags: c_int, fd: c_int, offset: i64) -> *mut c_void;
        fn munmap(addr: *mut c_void, len: usize) -> c_int;
    }
    const PROT_READ: c_int = 1;
    const PROT_WRITE: c_int = 2;
    const MAP_PRIVATE: c_int = 0x02;
    const MAP_ANONYMOUS: c_int = 0x20;
    const MAP_NORESERVE: c_int = 0x4000;
    const MAP_FAILED: *mut c_void = !0usize as *mut c_void;
    // SAFETY: a fresh anonymous mapping, at an address the kernel picks, unmapped before
    // anything could use it. (MAP_NORESERVE: no swap is reserved where overcommit is
    // allowed; under strict overcommit the kernel charges it anyway, which is the check.)
    unsafe {
        let flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
        let addr = mmap(std::ptr::null_mut(), bytes, PROT_READ | PROT_WRITE, flags, -1, 0);
        if addr == MAP_FAILED {
            return false;
        }
        munmap(addr, bytes);
    }
    true
}

#[cfg(not(target_os = "linux"))]
fn can_map(bytes: usize) -> bool {
    Vec::<u8>::new().try_reserve_exact(bytes).is_ok()
}

/// Room checked as a parallel step goes, not only before it: every `every` items made
/// (counted over all the step's threads) asks again for the room of the next `every`.
///
/// A step's estimate is a guess of what its allocator takes, and jemalloc takes more
/// address space than the bytes it hands out (its arenas' extents, one arena per worker
/// thread): an add of 100,000 one-record buckets grew the resident memory by 2.6 KB a
/// bucket but the address space (what `RLIMIT_AS` caps) by 4.4 KB, so a check of the whole
/// step before it passed and the step aborted part way. Checked as it goes, each check
/// sees what the step took so far, and only what `every` items take beyond their estimate
/// must fit in the margin.
pub struct RoomAsItGoes {
    made: std::sync::atomic::AtomicUsize,
    every: usize,
    bytes_each: usize,
}

impl RoomAsItGoes {
    /// The first `every` items are left to the check made before the step.
    pub fn new(every: usize, bytes_each: usize) -> RoomAsItGoes {
        RoomAsItGoes {
            made: std::sync::atomic::AtomicUsize::new(0),
            every: every.max(1),
            bytes_each,
        }
    }

    /// Count an item about to be made; every `every`-th, check room for the next `every`.
    pub fn one_more(&self, what: impl FnOnce() -> String) -> Result<(), CoreError> {
        let made = self.made.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        if made.is_multiple_of(self.every) {
            ensure_room(self.every.saturating_mul(self.bytes_each), what)
        } else {
            Ok(())
        }
    }
}

/// Grow `vec` to hold `len` items in one exact allocation (a batch's accumulators: the
/// amortized doubling of `reserve` would take twice their size), or fail as out of memory.
pub fn try_grow_exact<T>(vec: &mut Vec<T>, len: usize, what: impl FnOnce() -> String) -> Result<(), CoreError> {
    let additional = len.saturating_sub(vec.len());
    vec.try_reserve_exact(additional)
        .map_err(|_| out_of_memory(len.saturating_mul(std::mem::size_of::<T>()), what))
}

/// `try_grow_exact`, growing as `push` would (at least doubling): for a vector grown
/// again and again, a chunk's new patterns at a time.
pub fn try_grow<T>(vec: &mut Vec<T>, len: usize, what: impl FnOnce() -> String) -> Result<(), CoreError> {
    let additional = len.saturating_sub(vec.len());
    // (The message names what was asked for: the doubled capacity where it is larger.)
    let asked = len.max(vec.capacity().saturating_mul(2));
    vec.try_reserve(additional)
        .map_err(|_| out_of_memory(asked.saturating_mul(std::mem::size_of::<T>()), what))
}

fn out_of_memory(bytes: usize, what: impl FnOnce() -> String) -> CoreError {
    CoreError::OutOfMemory(format!("could not allocate {} for {}", size_text(bytes), what()))
}

/// `bytes` for people: "1.6 GB", "230 MB", "12 KB" (powers of 1,000).
pub fn size_text(bytes: usize) -> String {
    let b = bytes as f64;
    if b >= 1e9 {
        format!("{:.1} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.0} MB", b / 1e6)
    } else {
        format!("{:.0} KB", (b / 1e3).max(1.0))
    }
}

/// `n` with thousands separators ("200,000"), for the messages.
pub fn count_text(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_that_cannot_exist_is_an_out_of_memory_error_naming_what() {
        let err = ensure_room(usize::MAX / 2, || "the test".into()).unwrap_err();
        assert!(
            matches!(&err, CoreError::OutOfMemory(why) if why.contains("for the test")),
            "{err}"
        );
        assert_eq!(ensure_room(1 << 20, || unreachable!()), Ok(()));
    }

    #[test]
    fn an_impossible_exact_growth_leaves_the_vector_as_it_was() {
        let mut vec = vec![1u64, 2, 3];
        let err = try_grow_exact(&mut vec, usize::MAX / 16, || "numbers".into()).unwrap_err();
        assert!(matches!(err, CoreError::OutOfMemory(_)));
        assert_eq!(vec, [1, 2, 3]);
        try_grow_exact(&mut vec, 10, || unreachable!()).unwrap();
        assert_eq!(vec.capacity(), 10);
    }

    #[test]
    fn room_as_it_goes_checks_every_nth_item_for_the_next_n() {
        let fits = RoomAsItGoes::new(3, 1 << 10);
        assert!((0..10).all(|_| fits.one_more(|| unreachable!()).is_ok()));
        let never = RoomAsItGoes::new(3, usize::MAX / 8);
        assert_eq!(never.one_more(|| unreachable!()), Ok(()));
        assert_eq!(never.one_more(|| unreachable!()), Ok(()));
        let err = never.one_more(|| "buckets".into()).unwrap_err();
        assert!(
            matches!(&err, CoreError::OutOfMemory(why) if why.contains("for buckets")),
            "{err}"
        );
    }

    #[test]
    fn sizes_and_counts_read_as_people_write_them() {
        assert_eq!(size_text(1_600_000_000), "1.6 GB");
        assert_eq!(size_text(229_229_568), "229 MB");
        assert_eq!(size_text(10), "1 KB");
        assert_eq!(count_text(200_000), "200,000");
        assert_eq!(count_text(999), "999");
        assert_eq!(count_text(1_000_000), "1,000,000");
    }
}
