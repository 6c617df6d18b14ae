//! Loops compiled twice: for the baseline x86-64 the wheel targets (SSE2) and for AVX2,
//! taken where the CPU has it (nearly every x86-64 CPU since 2013).
//!
//! Baseline x86-64 has no 64-bit integer comparison in vector registers and works on two
//! 64-bit or four 32-bit values at a time; AVX2 compares four 64-bit or eight 32-bit
//! values in one instruction. Wrapped only where that measurably cuts instructions
//! (callgrind): the window check of every instant (`Window::contains_all`), the order
//! check of a range's instants (`calendar::non_decreasing`), the counting of tiny
//! dictionaries' keys (`count_tiny`) and of records' flags (`accumulator::count_flags`),
//! the quality scores' fixed-point sums (`exact_sum::fixed_point_sum`), the range check
//! of numbers read in place (`arrow_ingest::numbers::usable_as_they_are`). Both
//! compilations compute the same thing (the tests run both, in an optimized build in CI):
//! only the instructions chosen differ. A wrapped loop must inline into its closure (a
//! function it calls is `#[inline(always)]`), and the closure into the AVX2 function, or
//! it is compiled for the baseline only: a large body is not (`Moments::of_block`'s was
//! not, in sessions 25 and 26, even with the body `#[inline(always)]`: callgrind showed the
//! closure as a function of its own). A block's moments are written in AVX2 intrinsics
//! instead, taken where `avx2()` (rust/moment_lanes.rs): vectorized for AVX2, the
//! portable loop became two-lane and scalar instructions.

/// `f()`, compiled with AVX2 enabled when the CPU has it. `f` must be a closure that
/// inlines (a loop over slices): its body is compiled into the AVX2 function.
#[inline(always)]
pub fn wide<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    if avx2() {
        // SAFETY: the CPU has AVX2.
        return unsafe { with_avx2(f) };
    }
    f()
}

/// Whether the CPU has AVX2 and AVX2 code is to be taken (not while a test runs
/// `on_baseline`): `wide`'s choice, and `moment_lanes`' between its two versions.
#[inline(always)]
pub fn avx2() -> bool {
    #[cfg(test)]
    if BASELINE.load(std::sync::atomic::Ordering::SeqCst) > 0 {
        return false;
    }
    #[cfg(target_arch = "x86_64")]
    return std::is_x86_feature_detected!("avx2");
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// `f()` in a function compiled for AVX2, into which `f` is inlined.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn with_avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// Tests: how many `on_baseline` calls are running, on any thread (a wrapped loop may run
/// on one of rayon's). While one is, every `wide` takes the baseline compilation, in other
/// tests too, which is harmless: both compute the same.
#[cfg(test)]
static BASELINE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Tests: `f()` with `wide` taking the baseline compilation.
#[cfg(test)]
pub fn on_baseline<R>(f: impl FnOnce() -> R) -> R {
    use std::sync::atomic::Ordering::SeqCst;
    /// Ends the baseline scope even when `f` panics (a failing assertion inside it).
    struct Scope;
    impl Drop for Scope {
        fn drop(&mut self) {
            BASELINE.fetch_sub(1, SeqCst);
        }
    }
    BASELINE.fetch_add(1, SeqCst);
    let _scope = Scope;
    f()
}
