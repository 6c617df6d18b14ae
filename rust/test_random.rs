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
