//! The Rust core's heap on Linux: jemalloc, not glibc's malloc.
//!
//! A reduction allocates large buffers (converted columns, scatter scratch, held times, a
//! state's bytes) and frees them when it returns. glibc serves blocks over its mmap
//! threshold with `mmap` and gives them back with `munmap`, so the next call has the kernel
//! fault in and zero every page again. glibc raises that threshold as it sees large blocks
//! freed, up to 32 MiB (larger blocks are mapped afresh on every call), and not at all
//! when `MALLOC_TRIM_THRESHOLD_` or `MALLOC_MMAP_THRESHOLD_` is set, which Dask's nanny
//! does for every worker (`distributed.nanny.pre-spawn-environ`).
//!
//! Measured (BENCHMARKS.md, session 23; glibc's figures first): a 10M-record,
//! 10,000-pattern batch's peak memory 253-304 -> 242-243 MB; what a process keeps resident
//! right after dropping such a batch's output, 186-295 -> 126-150 MB; a 2.5M-record Dask
//! partition's `update` under Dask's setting faulted in 49,000-57,000 -> 44,000-47,000
//! pages, 106-152 -> 84-129 ms of kernel time, and took 408 -> 346 ms (medians) in one race
//! of twelve calls each, within noise in another. The one-pattern reductions' peak rose
//! 1-3 MB (8 -> 10-11 MB dictionary strings, 16 -> 17 plain). One option is changed
//! (`MALLOC_CONF` below): `oversize_threshold`, 8 -> 16 MiB. With `oversize_threshold:0`
//! (no block given back at once) the partition faulted in 16,200 pages and took 315 ms,
//! but the batch's peak rose to 368 MB. (Session 10 tried mimalloc, for the merge of Dask
//! states only: no clear gain.)
//!
//! Freed pages go back to the system by jemalloc's decay clock (`dirty_decay_ms`, 10 s),
//! which without a background thread advances only while the arena that freed them
//! allocates, and `malloc_trim` does not reach it. Each call into the core therefore
//! advances every arena's clock when it ends (`age_freed_pages`): a busy process gives back
//! what a large call's worker threads freed once the decay time has passed, even when its
//! later calls allocate only in other arenas (before: about 100 MB kept after a 2M-record,
//! 20,000-pattern batch through 30 s of small calls, session 36; 7 MB after 20 s with the
//! clocks advanced, session 37). An idle process still keeps what its last call freed.
//! `_RJEM_MALLOC_CONF` tunes the decay at run time (`background_thread:true,
//! dirty_decay_ms:1000` kept 27-49 MB after the drop above, but the batch's peak rose to
//! 328 MB; the variable reaches every extension in the process built on tikv-jemallocator,
//! whose copies all carry the `_rjem_` prefix). This copy lives beside the process's own
//! malloc, which Python and numpy keep using (pyarrow allocates Arrow buffers from a
//! jemalloc of its own). polars, too, puts jemalloc under its Rust code on Linux.
//!
//! No block crosses between the allocators: what the core hands Python is a new Python
//! object (bytes written in place, str, dict, models), and Arrow input is only imported,
//! its buffers freed by the producer's release callback. `disable_initial_exec_tls`: a
//! library loaded with `dlopen` (a Python extension) must not use the initial-exec TLS
//! model, or loading it can fail with "cannot allocate memory in static TLS block".

#[cfg(target_os = "linux")]
#[global_allocator]
static GLOBAL: WithReserve = WithReserve;

/// jemalloc, and where a small allocation fails, the same made in the reserve's arena
/// (`reserve`): the alternative is Rust's abort. (Stable Rust has no hook on allocation
/// failure; the allocator is where it can be caught.) jemalloc finds the arena of any block
/// it made, but a block of the reserve's pool is freed (or moved) past the thread's cache:
/// a freed small block waits in the freeing thread's cache, and keeps its slab's pages
/// from the pool until the cache is flushed (helper-267: a block of half the pool was
/// refused after 3,000 small ones were freed). One load and one compare per free
/// (`Reserve::in_pool`; measured, BENCHMARKS.md "helper-269").
#[cfg(target_os = "linux")]
struct WithReserve;

#[cfg(target_os = "linux")]
// SAFETY: jemalloc's own functions, with the caller's layouts and pointers; the reserve is
// asked only after a failure, which leaves jemalloc's state (and a realloc's block) as it was.
unsafe impl std::alloc::GlobalAlloc for WithReserve {
    #[inline]
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        let ptr = tikv_jemallocator::Jemalloc.alloc(layout);
        if ptr.is_null() {
            return RESERVE.alloc(layout, false);
        }
        ptr
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        let ptr = tikv_jemallocator::Jemalloc.alloc_zeroed(layout);
        if ptr.is_null() {
            return RESERVE.alloc(layout, true);
        }
        ptr
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        let moved = if RESERVE.in_pool(ptr) {
            RESERVE.move_out(ptr, layout, new_size)
        } else {
            tikv_jemallocator::Jemalloc.realloc(ptr, layout, new_size)
        };
        if moved.is_null() {
            return RESERVE.realloc(ptr, layout, new_size);
        }
        moved
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        if RESERVE.in_pool(ptr) {
            return RESERVE.dealloc(ptr, layout);
        }
        tikv_jemallocator::Jemalloc.dealloc(ptr, layout)
    }
}

#[cfg(target_os = "linux")]
use crate::reserve::RESERVE;

/// jemalloc's options, compiled in: jemalloc reads this global (its `malloc_conf`, declared
/// weak so that a program may define it; `_rjem_` is tikv-jemalloc-sys's prefix) before
/// `_RJEM_MALLOC_CONF`, which still overrides it.
///
/// `oversize_threshold` 8 -> 16 MiB: blocks from the threshold up go to an arena of their
/// own whose freed pages are given back at once, and a grouped pass's 8-byte columns (2^20
/// rows) are exactly 8 MiB, a 10,000-pattern batch's accumulators 11.5 MB (1,152 bytes
/// each; about 14,500 patterns pass 16 MiB): each call (each Dask partition, each pass of a
/// batch) faulted them in afresh. Measured (BENCHMARKS.md,
/// session 30): a 2.5M-record partition's `update` faulted in 20,000-33,000 pages instead
/// of 36,000-41,000; the batch's peak stayed within the runs' spread (282-311 MB).
///
/// The threshold also purges freed memory elsewhere: a freed large extent that coalesces
/// with free neighbours into one of the threshold or more is purged at once, whatever the
/// decay time (jemalloc's `extent_record`, unless a decay is -1). A pass's columns, freed
/// together, coalesce past 16 MiB: the partition still faults in 11,600-20,100 pages, 1,700-
/// 3,600 at 32 MiB, but the batch's peak then rises to 325-341 MB (BENCHMARKS.md, session 31).
#[cfg(target_os = "linux")]
#[used]
#[export_name = "_rjem_malloc_conf"]
static MALLOC_CONF: Option<&u8> = Some(&b"oversize_threshold:16777216\0"[0]);

#[cfg(target_os = "linux")]
extern "C" {
    #[link_name = "_rjem_mallctl"]
    fn mallctl(
        name: *const std::ffi::c_char,
        old: *mut std::ffi::c_void,
        old_len: *mut usize,
        new: *mut std::ffi::c_void,
        new_len: usize,
    ) -> std::ffi::c_int;
}

/// Advance every arena's decay clock: pages freed longer ago than the decay time go back
/// to the system, whichever thread's arena holds them. Without it, pages freed by the
/// rayon workers' arenas after a large batch stayed resident while later calls (one pattern
/// each, coded on the caller's thread) allocated elsewhere: `benches/freed_after_batch.py`
/// (session 37). Called after each call into the core, at most once a second (it takes
/// every arena's decay lock); the pages of the call just made are younger than the decay
/// time and stay for reuse, as before.
pub fn age_freed_pages() {
    #[cfg(target_os = "linux")]
    {
        use std::sync::atomic::{AtomicU64, Ordering};
        use std::sync::OnceLock;
        use std::time::Instant;

        static STARTED: OnceLock<Instant> = OnceLock::new();
        static LAST_MS: AtomicU64 = AtomicU64::new(0);
        let now_ms = STARTED.get_or_init(Instant::now).elapsed().as_millis() as u64 + 1_000;
        let last_ms = LAST_MS.load(Ordering::Relaxed);
        if now_ms < last_ms + 1_000
            || LAST_MS
                .compare_exchange(last_ms, now_ms, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        // "arena.<MALLCTL_ARENAS_ALL>.decay": 4096 names all arenas (jemalloc.h).
        // SAFETY: a valid command that reads and writes nothing. A failure (none is
        // expected) only leaves the pages where they are.
        unsafe {
            mallctl(
                c"arena.4096.decay".as_ptr(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                0,
            );
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::mallctl;

    #[test]
    fn jemalloc_reads_the_compiled_in_options() {
        let mut threshold = 0usize;
        let mut len = std::mem::size_of::<usize>();
        let out = (&mut threshold as *mut usize).cast();
        // SAFETY: a valid option name, and room for its value (a size_t).
        let status = unsafe {
            mallctl(
                c"opt.oversize_threshold".as_ptr(),
                out,
                &mut len,
                std::ptr::null_mut(),
                0,
            )
        };
        assert_eq!(status, 0);
        assert_eq!(threshold, 16 << 20);
    }
}
