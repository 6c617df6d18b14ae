//! A cache-line prefetch hint, for memory access the hardware prefetcher cannot foresee
//! (a batch's rows placed in thousands of groups, `Columns::scatter`). A hint never faults
//! and changes no result; on other architectures it does nothing.

/// Ask for the cache line holding `at` (any address: a hint does not fault).
#[inline(always)]
pub fn prefetch<T>(at: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch reads nothing the program sees and never faults.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(at.cast())
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = at;
}
