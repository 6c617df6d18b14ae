//! Where parallel work runs: rayon's global pool, or a pool of the process's own after a
//! fork.
//!
//! A forked child inherits the memory of rayon's global pool but not its threads: work
//! handed to it waits forever (a `multiprocessing` or `ProcessPoolExecutor` worker, a
//! gunicorn or celery prefork child, hung in its first reduction once the parent had run
//! one). Every parallel section of the core goes through `install` (or `spawn`), which in
//! a forked process runs it in a pool started in that process. The parent's path is
//! unchanged: one `getpid` per section.

use std::sync::{Mutex, OnceLock, PoisonError};

use rayon::{ThreadPool, ThreadPoolBuilder};

/// The process whose parallel work runs on rayon's global pool: the first to run any.
static POOL_PROCESS: OnceLock<u32> = OnceLock::new();

/// The pool of a forked process, and that process (a pool is never shared by a fork).
static FORKED_POOL: Mutex<Option<(u32, &'static ThreadPool)>> = Mutex::new(None);

/// `None` in the process that owns rayon's global pool; else this process's own pool,
/// started on first use (as many threads as rayon's default, `RAYON_NUM_THREADS` too).
fn forked_pool() -> Option<&'static ThreadPool> {
    let pid = std::process::id();
    if *POOL_PROCESS.get_or_init(|| pid) == pid {
        return None;
    }
    let mut slot = FORKED_POOL.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((owner, pool)) = *slot {
        if owner == pid {
            return Some(pool);
        }
    }
    let pool = ThreadPoolBuilder::new()
        .thread_name(|i| format!("usage-analytics-{i}"))
        .build()
        .expect("threads for the forked process's pool");
    // (Kept for the life of the process, as the global pool is.)
    let pool: &'static ThreadPool = Box::leak(Box::new(pool));
    *slot = Some((pid, pool));
    Some(pool)
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
