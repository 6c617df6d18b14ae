//! Where parallel work runs: rayon's global pool, or a pool of the process's own after a
//! fork.
//!
//! A forked child inherits the memory of rayon's global pool but not its threads: work
//! handed to it waits forever (a `multiprocessing` or `ProcessPoolExecutor` worker, a
//! gunicorn or celery prefork child, hung in its first reduction once the parent had run
//! one). Every parallel section of the core goes through `install` (or `spawn`), which in
//! a forked process runs it in a pool started in that process. The parent's path is
//! unchanged: one `getpid` per section.

use std::ptr::null_mut;
use std::sync::atomic::{AtomicPtr, AtomicU32, Ordering};

use rayon::{ThreadPool, ThreadPoolBuilder};

/// The process whose parallel work runs on rayon's global pool: the first to run any (0
/// until then).
static POOL_PROCESS: AtomicU32 = AtomicU32::new(0);

/// The pool of a forked process, with that process's id (a pool is never shared by a
/// fork). Leaked, as the global pool lives as long as the process. Atomics, not a lock:
/// a lock held by another thread when the process forks stays held in the child.
static FORKED_POOL: AtomicPtr<(u32, ThreadPool)> = AtomicPtr::new(null_mut());

/// `None` in the process that owns rayon's global pool; else this process's own pool,
/// started on first use (as many threads as rayon's default, `RAYON_NUM_THREADS` too).
fn forked_pool() -> Option<&'static ThreadPool> {
    let pid = std::process::id();
    let owner = match POOL_PROCESS.compare_exchange(0, pid, Ordering::Relaxed, Ordering::Relaxed) {
        Ok(_) => pid,
        Err(owner) => owner,
    };
    if owner == pid {
        return None;
    }
    let current = FORKED_POOL.load(Ordering::Acquire);
    // SAFETY: a non-null pointer is a leaked pool, never freed.
    if let Some((owner, pool)) = unsafe { current.as_ref() } {
        if *owner == pid {
            return Some(pool);
        }
    }
    let pool = ThreadPoolBuilder::new()
        .thread_name(|i| format!("usage-analytics-{i}"))
        .build()
        .expect("threads for the forked process's pool");
    let fresh: &'static mut (u32, ThreadPool) = Box::leak(Box::new((pid, pool)));
    match FORKED_POOL.compare_exchange(current, fresh, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => Some(&fresh.1),
        // Another thread of this process put its own first: that one serves (this one's
        // threads stay idle); a pool of another process's is replaced by the next call.
        // SAFETY: as above.
        Err(other) => match unsafe { other.as_ref() } {
            Some((owner, pool)) if *owner == pid => Some(pool),
            _ => Some(&fresh.1),
        },
    }
}

/// Run `op`, its parallel work (`rayon::join`, `scope`, parallel iterators) on a pool with
/// live threads.
pub fn install<R: Send>(op: impl FnOnce() -> R + Send) -> R {
    match forked_pool() {
        None => op(),
        Some(pool) => pool.install(op),
    }
}

/// `rayon::spawn` on a pool with live threads.
pub fn spawn(op: impl FnOnce() + Send + 'static) {
    match forked_pool() {
        None => rayon::spawn(op),
        Some(pool) => pool.spawn(op),
    }
}
