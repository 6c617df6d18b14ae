//! Tests: a deterministic stream of pseudo-random u64s (Marsaglia's xorshift64), for
//! columns and probes that need spread without a random-number crate.

/// The stream after `seed` (not 0: xorshift's one fixed point).
pub fn xorshift(seed: u64) -> impl FnMut() -> u64 {
    debug_assert_ne!(seed, 0);
    let mut state = seed;
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}

/// A custom window of `buckets` buckets of `width` microseconds, its last bucket holding
/// half the time a remainder of up to one more `width` too, starting anywhere within
/// 10^18 microseconds of the epoch (either side).
pub fn custom_window(next: &mut impl FnMut() -> u64, buckets: i64, width: i64) -> crate::buckets::Window {
    let extra = if next().is_multiple_of(2) {
        0
    } else {
        (next() % width as u64) as i64
    };
    let start = (next() % 2_000_000_000_000_000) as i64 - 1_000_000_000_000_000;
    crate::buckets::Window::new(start, start + buckets * width + extra, "custom", Some(width)).unwrap()
}
