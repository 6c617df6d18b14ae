//! A cache-line prefetch hint, for memory access the hardware prefetcher cannot foresee
//! (a batch's rows placed in thousands of groups, `Columns::scatter`). A hint never faults
//! and changes no result; on other architectures it does nothing.

/// Ask for every cache line holding `values` (a hint, as `prefetch`).
pub fn prefetch_all<T>(values: &[T]) {
    let start = values.as_ptr().cast::<u8>();
    for offset in (0..std::mem::size_of_val(values)).step_by(64) {
        prefetch(start.wrapping_add(offset));
    }
}

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
