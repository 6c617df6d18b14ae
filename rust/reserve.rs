//! Address space held back for the allocations made after the process runs out.
//!
//! `room`'s checks come before the steps whose allocations grow with the input; the small
//! allocations between them (a call's arguments, an error's message, a panic's payload)
//! are unchecked, and where the process is already at its address-space limit when it
//! calls the core, the first of them aborts it. Seen (helper-242, `strace` and gdb): the
//! command's batch over a 200,000-record CSV file at 200 MB of headroom, where Python and
//! pyarrow had taken all but a few pages before `_core.reduce_arrow` was called, aborted
//! with "memory allocation of 7 bytes failed": the options' `"monthly"`, extracted by PyO3
//! before the call's first check, on a thread whose jemalloc arena had no free page and
//! whose three tries to map a 2 MiB extent failed. In a fresh arena any allocation needs a
//! new extent, so no check placed earlier could help: its own error message needs one.
//!
//! So the core holds `RESERVE_BYTES` of address space mapped and unused, and the global
//! allocator (`allocator::WithReserve`) gives it back to the kernel when an allocation of
//! at most half its size fails, then tries once more (a larger one would not fit, and is
//! made fallibly where one can be that large: `room::try_grow`). The allocations up to the next check
//! then succeed, and that check, finding the process out of room, fails the call with a
//! `MemoryError` whose own allocations fit too. The reserve is taken again by the next
//! check that finds room (`room::ensure_room`): a check that cannot take it fails, so a
//! call never runs without it once it is gone. (Taken when the module is loaded: a process
//! usually sets its limit later, if at all.)
//!
//! Costs: `RESERVE_BYTES` of the limit (never touched: no resident memory), and one
//! never-taken branch per allocation (`benches/core_ab.py`, BENCHMARKS.md "helper-242").
//! Not covered: another thread of the process taking the given-back room before the retry;
//! and a call made while the reserve cannot be taken again, whose error's allocations come
//! from what jemalloc kept of the spent reserve (it keeps the address space it mapped).

use std::sync::atomic::{AtomicUsize, Ordering};

/// What is held back: jemalloc mapped 2 MiB extents for a small allocation (its first
/// growth of an arena, `HUGEPAGE`), three times over when aligning; and the error's own
/// allocations after it.
pub const RESERVE_BYTES: usize = 8 << 20;

/// Address space held back: a mapping made and kept, never touched.
pub struct Reserve {
    /// The mapping's address; 0 when not held.
    held: AtomicUsize,
    bytes: usize,
}

/// The process's reserve (see the module).
pub static RESERVE: Reserve = Reserve::new(RESERVE_BYTES);

impl Reserve {
    pub const fn new(bytes: usize) -> Reserve {
        Reserve {
            held: AtomicUsize::new(0),
            bytes,
        }
    }

    /// Hold the reserve (true), or say that it is not held and cannot be taken now.
    pub fn hold(&self) -> bool {
        if self.held.load(Ordering::Acquire) != 0 {
            return true;
        }
        let Some(addr) = map(self.bytes) else {
            return false;
        };
        if self
            .held
            .compare_exchange(0, addr, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            // (Another thread took it meanwhile: one is enough.)
            unmap(addr, self.bytes);
        }
        true
    }

    /// Give the reserve back to the kernel; false if it was not held. Allocates nothing
    /// (the allocator calls it).
    pub fn release(&self) -> bool {
        match self.held.swap(0, Ordering::AcqRel) {
            0 => false,
            addr => {
                unmap(addr, self.bytes);
                true
            }
        }
    }

    /// After an allocation of `bytes` failed: give the reserve back and make it `again`,
    /// once; null (the failure stands) when the allocation is too large for the reserve
    /// or the reserve is spent.
    #[cold]
    #[inline(never)]
    pub fn retry(&self, bytes: usize, again: impl FnOnce() -> *mut u8) -> *mut u8 {
        if bytes <= self.bytes / 2 && self.release() {
            again()
        } else {
            std::ptr::null_mut()
        }
    }
}

/// A new private mapping of `bytes`, at an address the kernel picks; None if refused.
#[cfg(target_os = "linux")]
fn map(bytes: usize) -> Option<usize> {
    use std::ffi::{c_int, c_void};
    extern "C" {
        fn mmap(addr: *mut c_void, len: usize, prot: c_int, flags: c_int, fd: c_int, offset: i64) -> *mut c_void;
    }
    const PROT_READ: c_int = 1;
    const PROT_WRITE: c_int = 2;
    const MAP_PRIVATE: c_int = 0x02;
    const MAP_ANONYMOUS: c_int = 0x20;
    const MAP_FAILED: *mut c_void = !0usize as *mut c_void;
    // SAFETY: a fresh anonymous mapping, which nothing else knows of. (Writable and
    // without MAP_NORESERVE: under strict overcommit the kernel charges it, so giving it
    // back frees a charge there as well as address space.)
    let flags = MAP_PRIVATE | MAP_ANONYMOUS;
    let addr = unsafe { mmap(std::ptr::null_mut(), bytes, PROT_READ | PROT_WRITE, flags, -1, 0) };
    (addr != MAP_FAILED).then_some(addr as usize)
}

#[cfg(target_os = "linux")]
fn unmap(addr: usize, bytes: usize) {
    use std::ffi::{c_int, c_void};
    extern "C" {
        fn munmap(addr: *mut c_void, len: usize) -> c_int;
    }
    // SAFETY: a reserve's own mapping (`map`), which nothing uses, given to this thread
    // alone by the swap or compare-exchange that took it.
    unsafe { munmap(addr as *mut c_void, bytes) };
}

// (Elsewhere the core runs on the system's allocator, and `RLIMIT_AS` is not Linux's:
// nothing is held, and a failure stands.)
#[cfg(not(target_os = "linux"))]
fn map(_bytes: usize) -> Option<usize> {
    None
}

#[cfg(not(target_os = "linux"))]
fn unmap(_addr: usize, _bytes: usize) {}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    fn made(count: &mut usize) -> impl FnMut() -> *mut u8 + '_ {
        || {
            *count += 1;
            std::ptr::NonNull::<u8>::dangling().as_ptr()
        }
    }

    #[test]
    fn a_small_failure_spends_the_reserve_once_and_tries_again() {
        let reserve = Reserve::new(1 << 20);
        let mut tries = 0;
        assert!(reserve.hold());
        // Larger than half the reserve: not spent on it.
        assert!(reserve.retry((1 << 19) + 1, made(&mut tries)).is_null());
        assert_eq!(tries, 0);
        assert!(!reserve.retry(1 << 19, made(&mut tries)).is_null());
        assert_eq!(tries, 1);
        // Spent: the next failure stands, until the reserve is taken again.
        assert!(reserve.retry(1, made(&mut tries)).is_null());
        assert_eq!(tries, 1);
        assert!(!reserve.release());
        assert!(reserve.hold());
        assert!(!reserve.retry(1, made(&mut tries)).is_null());
        assert_eq!(tries, 2);
    }

    #[test]
    fn holding_twice_keeps_one_mapping() {
        let reserve = Reserve::new(1 << 20);
        assert!(reserve.hold());
        let first = reserve.held.load(Ordering::Acquire);
        assert!(reserve.hold());
        assert_eq!(reserve.held.load(Ordering::Acquire), first);
        assert!(reserve.release());
        assert!(!reserve.release());
    }

    #[test]
    fn a_reserve_the_kernel_refuses_is_not_held() {
        let reserve = Reserve::new(usize::MAX / 2);
        assert!(!reserve.hold());
        assert!(!reserve.release());
    }
}
