//! Where parallel work runs: rayon's global pool, or a pool of the process's own after a
//! fork.
//!
//! A forked child inherits the memory of rayon's global pool but not its threads: work
//! handed to it waits forever (a `multiprocessing` or `ProcessPoolExecutor` worker, a
//! gunicorn or celery prefork child, hung in its first reduction once the parent had run
//! one). Every parallel section of the core goes through `install` (or `spawn`), which in
//! a forked process runs it in a pool started in that process. The parent's path is
//! unchanged: one `getpid` per section.
//!
//! The global pool is started by `start` (each call into the core), not lazily: when its
//! threads cannot be made (an address-space limit leaves no room for their stacks), rayon
//! panics in every parallel section from then on. Here that call raises `MemoryError`
//! and a later one starts a pool of the process's own, as a forked process does.

use std::ptr::null_mut;
use std::sync::atomic::{AtomicPtr, AtomicU32, AtomicU8, Ordering};

use rayon::{ThreadPool, ThreadPoolBuildError, ThreadPoolBuilder};

use crate::error::CoreError;

/// The process whose parallel work runs on rayon's global pool: the first to run any (0
/// until then).
static POOL_PROCESS: AtomicU32 = AtomicU32::new(0);

/// The pool of a forked process (or of one whose global pool could not start), with that
/// process's id (a pool is never shared by a fork). Leaked, as the global pool lives as
/// long as the process. Atomics, not a lock: a lock held by another thread when the
/// process forks stays held in the child.
static FORKED_POOL: AtomicPtr<(u32, ThreadPool)> = AtomicPtr::new(null_mut());

/// rayon's global pool, as `start` left it.
static GLOBAL_POOL: AtomicU8 = AtomicU8::new(NOT_STARTED);
const NOT_STARTED: u8 = 0;
const RUNNING: u8 = 1;
/// Its threads could not be made (no memory for their stacks): rayon never tries again,
/// and every parallel section would panic, so this process makes a pool of its own.
const FAILED: u8 = 2;

/// `None` in the process that owns rayon's global pool (while it runs); else this
/// process's own pool, started on first use (as many threads as rayon's default,
/// `RAYON_NUM_THREADS` too), or the error that kept it from starting.
fn own_pool() -> Result<Option<&'static ThreadPool>, ThreadPoolBuildError> {
    let pid = std::process::id();
    let owner = match POOL_PROCESS.compare_exchange(0, pid, Ordering::Relaxed, Ordering::Relaxed) {
        Ok(_) => pid,
        Err(owner) => owner,
    };
    if owner == pid && start_global() {
        return Ok(None);
    }
    let current = FORKED_POOL.load(Ordering::Acquire);
    // SAFETY: a non-null pointer is a leaked pool, never freed.
    if let Some((owner, pool)) = unsafe { current.as_ref() } {
        if *owner == pid {
            return Ok(Some(pool));
        }
    }
    let pool = ThreadPoolBuilder::new()
        .thread_name(|i| format!("usage-analytics-{i}"))
        .build()?;
    let fresh: &'static mut (u32, ThreadPool) = Box::leak(Box::new((pid, pool)));
    match FORKED_POOL.compare_exchange(current, fresh, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => Ok(Some(&fresh.1)),
        // Another thread of this process put its own first: that one serves (this one's
        // threads stay idle); a pool of another process's is replaced by the next call.
        // SAFETY: as above.
        Err(other) => match unsafe { other.as_ref() } {
            Some((owner, pool)) if *owner == pid => Ok(Some(pool)),
            _ => Ok(Some(&fresh.1)),
        },
    }
}

/// Whether rayon's global pool runs, started here the first time (rather than lazily by
/// the first parallel section, which panics when its threads cannot be made).
fn start_global() -> bool {
    match GLOBAL_POOL.load(Ordering::Acquire) {
        RUNNING => return true,
        FAILED => return false,
        _ => {}
    }
    let state = match ThreadPoolBuilder::new().build_global() {
        Ok(()) => RUNNING,
        // (Started already by rayon itself, on another thread or before this check existed:
        // rayon's error says so only in its text.)
        Err(error) if error.to_string().contains("already") => RUNNING,
        Err(_) => FAILED,
    };
    GLOBAL_POOL.store(state, Ordering::Release);
    state == RUNNING
}

/// Start the pool the parallel work will run on, if it is not running: an error when its
/// threads cannot be made (no memory for their stacks) rather than a panic in the first
/// parallel section. `bindings::compute` calls it before any work.
pub fn start() -> Result<(), CoreError> {
    own_pool()
        .map(|_| ())
        .map_err(|error| CoreError::OutOfMemory(format!("could not start the worker threads ({error})")))
}

/// The pool to run on (see `own_pool`); one that cannot start when `start` could is
/// rayon's failure to make threads, as before.
fn pool() -> Option<&'static ThreadPool> {
    own_pool().expect("threads for the process's pool")
}

/// Run `op`, its parallel work (`rayon::join`, `scope`, parallel iterators) on a pool with
/// live threads.
pub fn install<R: Send>(op: impl FnOnce() -> R + Send) -> R {
    match pool() {
        None => op(),
        Some(pool) => pool.install(op),
    }
}

/// `rayon::spawn` on a pool with live threads.
pub fn spawn(op: impl FnOnce() + Send + 'static) {
    match pool() {
        None => rayon::spawn(op),
        Some(pool) => pool.spawn(op),
    }
}
