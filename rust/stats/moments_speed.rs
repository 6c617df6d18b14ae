//! `Moments::of` over 10M execution times, timed (not asserted): run one build's and
//! another's in turn on a quiet machine, as BENCHMARKS.md (helper 221) did:
//!
//!     cargo test --release --lib moments_speed -- --ignored --nocapture

use super::Moments;
use crate::test_random::xorshift;

#[test]
#[ignore]
fn moments_speed() {
    let mut next = xorshift(0x2545_f491_4f6c_dd1d);
    // Times of about 1 ms to 50 s, log-spread, and a column far larger than the caches.
    let values: Vec<f64> = (0..10_000_000)
        .map(|_| ((next() % 1_000_000) as f64 / 92_000.0).exp() * 0.9)
        .collect();
    let mut laps: Vec<f64> = (0..15)
        .map(|_| {
            let start = std::time::Instant::now();
            std::hint::black_box(Moments::of(std::hint::black_box(&values)));
            start.elapsed().as_secs_f64() * 1e9 / values.len() as f64
        })
        .collect();
    laps.sort_by(f64::total_cmp);
    println!(
        "Moments::of, 10M values: min {:.3} median {:.3} ns/value",
        laps[0], laps[7]
    );
}
