//! The inner loops of a block's moments (`stats::Moments::of_block`): per lane (value i in
//! lane i % 4), the sums (with their rounding errors, `two_sum`), minima and maxima of a
//! block's whole quads, then the sums of deviations from the block's mean and of their
//! squares. Four independent lanes let the CPU overlap
//! the additions (one running sum would wait on each) and round no worse than one.
//!
//! Written twice: portable code, and AVX2 intrinsics taken where the CPU has it
//! (`wide::avx2`). The compiler vectorized the portable loop into a mix of two-lane and
//! scalar instructions, with AVX2 too (6.8 instructions a value for both passes, callgrind,
//! session 26); the intrinsics do a quad in one instruction per operation. Both do the same
//! operations on the same lanes in the same order, so give the same bits: `_mm256_min_pd(v,
//! m)` is `if v < m { v } else { m }`, as `lesser(m, v)` (a NaN `v` passed over, 0.0 and
//! -0.0 keeping the running value), likewise for the maximum; AVX2 does not enable fused
//! multiply-add, and the compiler contracts none.

/// Values per quad: the lanes.
pub const LANES: usize = 4;

/// One f64 per lane.
pub type Quad = [f64; LANES];

/// A lane's running sum and what its roundings left out, so far.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Sums {
    /// The sum as a float adds it, one value after another (the bits of a plain sum).
    pub sum: Quad,
    /// The sum of each addition's rounding error (`two_sum`): `sum + errors` is the exact
    /// sum but for the roundings of this sum of tiny terms (about n^2 u^2 of the values'
    /// size, u = 2^-53). Not finite once a sum or value is.
    pub errors: Quad,
}

impl Sums {
    /// Add `v` to `lane` (the same operations, in the same order, as the AVX2 loop).
    #[inline(always)]
    pub fn add(&mut self, lane: usize, v: f64) {
        let (sum, error) = two_sum(self.sum[lane], v);
        self.sum[lane] = sum;
        self.errors[lane] += error;
    }
}

/// `a + b` and its rounding error (Knuth's TwoSum): `a + b` exactly is their sum, for any
/// order of magnitudes (six additions, no branch: it vectorizes).
#[inline(always)]
pub fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let sum = a + b;
    let b_part = sum - a;
    (sum, (a - (sum - b_part)) + (b - b_part))
}

/// Per lane: the sum (`Sums`), minimum and maximum of `quads` (whose length is a multiple
/// of `LANES`), from 0, +infinity and -infinity. (The rounding errors cost five additions
/// a quad more, which the loop, waiting on memory for the column, hides: see
/// BENCHMARKS.md, helper 221.)
pub fn sums_and_extremes(quads: &[f64]) -> (Sums, Quad, Quad) {
    debug_assert_eq!(quads.len() % LANES, 0);
    #[cfg(target_arch = "x86_64")]
    if crate::wide::avx2() {
        // SAFETY: the CPU has AVX2.
        return unsafe { avx2::sums_and_extremes(quads) };
    }
    let (mut sums, mut min, mut max) = (Sums::default(), [f64::INFINITY; LANES], [f64::NEG_INFINITY; LANES]);
    for quad in quads.chunks_exact(LANES) {
        for lane in 0..LANES {
            sums.add(lane, quad[lane]);
            min[lane] = lesser(min[lane], quad[lane]);
            max[lane] = greater(max[lane], quad[lane]);
        }
    }
    (sums, min, max)
}

/// Per lane: the sums of `(v - mean)^2` and of `v - mean` over `quads` (a multiple of
/// `LANES` long).
pub fn squared_deviations(quads: &[f64], mean: f64) -> (Quad, Quad) {
    debug_assert_eq!(quads.len() % LANES, 0);
    #[cfg(target_arch = "x86_64")]
    if crate::wide::avx2() {
        // SAFETY: the CPU has AVX2.
        return unsafe { avx2::squared_deviations(quads, mean) };
    }
    let (mut m2, mut deviations) = ([0.0; LANES], [0.0; LANES]);
    for quad in quads.chunks_exact(LANES) {
        for lane in 0..LANES {
            let d = quad[lane] - mean;
            m2[lane] += d * d;
            deviations[lane] += d;
        }
    }
    (m2, deviations)
}

/// `f64::min(a, b)` for a running minimum `a`, which is never NaN, in one comparison:
/// a NaN `b` is not less than `a`, so it is passed over as `f64::min` passes it over
/// (whose handling of a NaN `a` took four instructions a value in the block loop, not
/// one). For 0.0 against -0.0 the running value stays.
#[inline(always)]
pub fn lesser(a: f64, b: f64) -> f64 {
    if b < a {
        b
    } else {
        a
    }
}

/// `f64::max(a, b)` for a running maximum `a`, which is never NaN (see `lesser`).
#[inline(always)]
pub fn greater(a: f64, b: f64) -> f64 {
    if b > a {
        b
    } else {
        a
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{Quad, Sums, LANES};
    use std::arch::x86_64::*;

    #[target_feature(enable = "avx2")]
    pub fn sums_and_extremes(quads: &[f64]) -> (Sums, Quad, Quad) {
        let (mut sum, mut errors, mut min, mut max) = (
            _mm256_setzero_pd(),
            _mm256_setzero_pd(),
            _mm256_set1_pd(f64::INFINITY),
            _mm256_set1_pd(f64::NEG_INFINITY),
        );
        for quad in quads.chunks_exact(LANES) {
            let v = load(quad);
            // `two_sum(sum, v)`, as the portable loop.
            let next = _mm256_add_pd(sum, v);
            let v_part = _mm256_sub_pd(next, sum);
            let error = _mm256_add_pd(
                _mm256_sub_pd(sum, _mm256_sub_pd(next, v_part)),
                _mm256_sub_pd(v, v_part),
            );
            errors = _mm256_add_pd(errors, error);
            sum = next;
            min = _mm256_min_pd(v, min);
            max = _mm256_max_pd(v, max);
        }
        let sums = Sums {
            sum: store(sum),
            errors: store(errors),
        };
        (sums, store(min), store(max))
    }

    #[target_feature(enable = "avx2")]
    pub fn squared_deviations(quads: &[f64], mean: f64) -> (Quad, Quad) {
        let (mean, mut m2, mut deviations) = (_mm256_set1_pd(mean), _mm256_setzero_pd(), _mm256_setzero_pd());
        for quad in quads.chunks_exact(LANES) {
            let d = _mm256_sub_pd(load(quad), mean);
            m2 = _mm256_add_pd(m2, _mm256_mul_pd(d, d));
            deviations = _mm256_add_pd(deviations, d);
        }
        (store(m2), store(deviations))
    }

    #[inline(always)]
    fn load(quad: &[f64]) -> __m256d {
        let quad: &Quad = quad.try_into().expect("a quad");
        // SAFETY: `quad` is four readable f64s; an unaligned load needs no alignment.
        unsafe { _mm256_loadu_pd(quad.as_ptr()) }
    }

    #[inline(always)]
    fn store(lanes: __m256d) -> Quad {
        let mut out = [0.0; LANES];
        // SAFETY: `out` is four writable f64s; an unaligned store needs no alignment.
        unsafe { _mm256_storeu_pd(out.as_mut_ptr(), lanes) };
        out
    }
}
