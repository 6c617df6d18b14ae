//! A relative-error quantile sketch for non-negative values (DDSketch: Masson, Rim and Lee,
//! "DDSketch: a fast and fully-mergeable quantile sketch with relative-error guarantees",
//! VLDB 2019).
//!
//! A positive value x falls in bin k = ceil(log_gamma(x)), gamma = (1 + a) / (1 - a), which
//! covers (gamma^(k-1), gamma^k]; the bin's representative 2 gamma^k / (gamma + 1) is within
//! relative error a of every value in it. Zeros have their own exact count. Two sketches
//! with the same accuracy merge by adding bin counts, so merging loses nothing beyond the
//! binning itself. Bins are dense from the lowest to the highest occupied one and never
//! folded, so every quantile keeps the guarantee: execution times span a few decades
//! (hundreds of bins at 1%), and the worst case, values from the smallest to the largest
//! f64, is bounded by the number of keys (`key_range`: 74,000 bins at 1%).

use crate::error::CoreError;

/// The finest accuracy accepted (it allows up to ~7 million bins).
pub const FINEST_ACCURACY: f64 = 1e-4;

#[derive(Clone, Debug, PartialEq)]
pub struct Sketch {
    relative_accuracy: f64,
    ln_gamma: f64,
    /// 1 / ln_gamma, for `sure_key`.
    inverse_ln_gamma: f64,
    zeros: u64,
    /// Key of `bins[0]`.
    offset: i32,
    bins: Vec<u64>,
}

impl Sketch {
    pub fn new(relative_accuracy: f64) -> Result<Sketch, CoreError> {
        if !(FINEST_ACCURACY..1.0).contains(&relative_accuracy) {
            return Err(CoreError::InvalidOption(format!(
                "relative_accuracy must be at least {FINEST_ACCURACY} and below 1, got {relative_accuracy}"
            )));
        }
        let ln_gamma = ((1.0 + relative_accuracy) / (1.0 - relative_accuracy)).ln();
        Ok(Sketch {
            relative_accuracy,
            ln_gamma,
            inverse_ln_gamma: 1.0 / ln_gamma,
            zeros: 0,
            offset: 0,
            bins: Vec::new(),
        })
    }

    pub fn relative_accuracy(&self) -> f64 {
        self.relative_accuracy
    }

    pub fn count(&self) -> u64 {
        self.zeros + self.bins.iter().sum::<u64>()
    }

    #[inline]
    fn key(&self, value: f64) -> i32 {
        // ln of a positive finite f64 is within [-745, 710]: the key fits an i32 for any
        // accuracy above FINEST_ACCURACY (|x| < 4e6).
        ceil_to_i32(value.ln() / self.ln_gamma)
    }

    /// `key(value)` where `ln_approximation` makes it sure, else `UNSURE`: the
    /// approximation (within 1e-10) puts the quotient ln / ln_gamma within about 1e-6 of
    /// `key`'s own (at the finest accuracy, ln_gamma = 2e-4; the widest quotients, ±3.7e6,
    /// round by ~1e-9), so unless it is within `KEY_SLACK` of an integer its ceiling is
    /// `key`'s. Zero, subnormal, negative and non-finite values are unsure. Without
    /// branches or libm calls, so that a block's keys are computed in a vectorized loop
    /// (summarizing a merge's execution times spent half its time in libm's log).
    #[inline]
    fn sure_key(&self, value: f64) -> i32 {
        // (Any bits give a quotient below 1.1e7 in magnitude: far inside i32 and 2^51.)
        let quotient = ln_approximation(value) * self.inverse_ln_gamma;
        // The integer nearest the quotient, in the low bits of the sum's significand.
        let shifted = quotient + ROUNDING;
        let nearest = shifted.to_bits() as i32;
        let distance = quotient - (shifted - ROUNDING);
        let key = nearest + i32::from(distance > 0.0);
        let field = value.to_bits() >> 52;
        let sure = distance.abs() > KEY_SLACK && field != 0 && field < 0x7FF;
        if sure {
            key
        } else {
            UNSURE
        }
    }

    fn representative(&self, key: i32) -> f64 {
        // In log space (gamma^key alone can overflow at the top key); capped at f64::MAX,
        // which is then between the bin's values and its representative: no less accurate.
        let ln_scale = (2.0 / (self.ln_gamma.exp() + 1.0)).ln();
        (f64::from(key) * self.ln_gamma + ln_scale).exp().min(f64::MAX)
    }

    /// Add a finite value >= 0. Only the tests add one value at a time: it is the plain
    /// form `add_all` must agree with bin for bin.
    #[cfg(test)]
    pub fn add(&mut self, value: f64) {
        if value > 0.0 {
            let key = self.key(value);
            self.add_to_bin(key, 1);
        } else {
            self.zeros += 1;
        }
    }

    /// Add finite values >= 0 (the caller validated them): the same bins as `add` one by
    /// one, with the keys of a block computed first and the bins grown once per block (a
    /// merge of partition states keys every time it summarizes).
    pub fn add_all(&mut self, values: &[f64]) {
        const BLOCK: usize = 256;
        let (mut keys, mut sure) = ([0i32; BLOCK], [0i32; BLOCK]);
        for block in values.chunks(BLOCK) {
            // The sure keys first, in a loop without branches (it vectorizes).
            for (key, &v) in sure.iter_mut().zip(block) {
                *key = self.sure_key(v);
            }
            let mut positive = 0;
            let (mut low, mut high) = (i32::MAX, i32::MIN);
            for (&v, &sure) in block.iter().zip(&sure) {
                if v > 0.0 {
                    let key = if sure == UNSURE { self.key(v) } else { sure };
                    keys[positive] = key;
                    positive += 1;
                    low = low.min(key);
                    high = high.max(key);
                }
            }
            self.zeros += (block.len() - positive) as u64;
            if positive == 0 {
                continue;
            }
            // Grow to cover [low, high] (the zero counts added leave every bin as it was).
            self.add_to_bin(low, 0);
            self.add_to_bin(high, 0);
            let (offset, bins) = (self.offset, &mut self.bins);
            for &key in &keys[..positive] {
                bins[(key - offset) as usize] += 1;
            }
        }
    }

    /// The keys of the positive finite f64 values: every bin lies in this range.
    fn key_range(&self) -> (i32, i32) {
        (self.key(f64::from_bits(1)), self.key(f64::MAX))
    }

    fn add_to_bin(&mut self, key: i32, count: u64) {
        if self.bins.is_empty() {
            self.offset = key;
            self.bins.push(0);
        }
        if key < self.offset {
            // Grow downwards by at least the current length (amortized: values arriving in
            // descending order would otherwise shift the bins once per new key), not past
            // the lowest key; the empty bins below stay out of `parts`.
            let lowest = self.key_range().0;
            let needed = i64::from(self.offset - key);
            let grow = needed
                .max(self.bins.len() as i64)
                .min(i64::from(self.offset - lowest).max(needed));
            self.bins.splice(0..0, std::iter::repeat_n(0, grow as usize));
            self.offset -= grow as i32;
        } else if key >= self.offset + self.bins.len() as i32 {
            self.bins.resize((key - self.offset) as usize + 1, 0);
        }
        self.bins[(key - self.offset) as usize] += count;
    }

    /// Add `other`'s counts (same accuracy, checked by the caller).
    pub fn merge(&mut self, other: &Sketch) {
        self.zeros += other.zeros;
        if other.bins.is_empty() {
            return;
        }
        // Lowest key first: the range grows downwards at most once.
        for (i, &count) in other.bins.iter().enumerate() {
            if count > 0 {
                self.add_to_bin(other.offset + i as i32, count);
            }
        }
    }

    /// Estimates of the values of the given ascending 0-based ranks (each < count).
    pub fn values_at_ranks(&self, ranks: &[usize]) -> Vec<f64> {
        let mut out = Vec::with_capacity(ranks.len());
        let mut ranks = ranks.iter().map(|&r| r as u64).peekable();
        while ranks.next_if(|&r| r < self.zeros).is_some() {
            out.push(0.0);
        }
        let mut seen = self.zeros;
        for (i, &count) in self.bins.iter().enumerate() {
            seen += count;
            while ranks.next_if(|&r| r < seen).is_some() {
                out.push(self.representative(self.offset + i as i32));
            }
        }
        out
    }

    /// The parts the serialized state stores: (zeros, offset, bins), the bins from the
    /// lowest to the highest occupied one.
    pub fn parts(&self) -> (u64, i32, &[u64]) {
        let empty = self.bins.iter().take_while(|&&c| c == 0).count();
        (self.zeros, self.offset + empty as i32, &self.bins[empty..])
    }

    /// The keys of the lowest and highest occupied bins.
    pub fn occupied_keys(&self) -> Option<(i32, i32)> {
        let (_, offset, bins) = self.parts();
        (!bins.is_empty()).then(|| (offset, offset + bins.len() as i32 - 1))
    }

    /// The bin key a positive value falls in.
    pub fn key_of(&self, value: f64) -> i32 {
        self.key(value)
    }

    pub fn zeros(&self) -> u64 {
        self.zeros
    }

    /// Rebuild from stored parts, checking they describe a sketch this code could have made.
    pub fn from_parts(relative_accuracy: f64, zeros: u64, offset: i32, bins: Vec<u64>) -> Result<Sketch, CoreError> {
        let mut sketch = Sketch::new(relative_accuracy)?;
        let bad = |why: &str| Err(CoreError::InvalidInput(format!("corrupt sketch: {why}")));
        let (lowest, highest) = sketch.key_range();
        let last = i64::from(offset) + bins.len() as i64 - 1;
        if !bins.is_empty() && (offset < lowest || last > i64::from(highest)) {
            return bad("bins outside the range of positive numbers");
        }
        if bins.first() == Some(&0) || bins.last() == Some(&0) {
            // Kept bins always span the lowest to the highest occupied one.
            return bad("empty edge bin");
        }
        let mut total = zeros;
        for &count in &bins {
            total = match total.checked_add(count) {
                Some(t) => t,
                None => return bad("counts overflow"),
            };
        }
        sketch.zeros = zeros;
        sketch.offset = if bins.is_empty() { 0 } else { offset };
        sketch.bins = bins;
        Ok(sketch)
    }
}

/// How close to an integer `sure_key`'s quotient may come before `key` decides: a hundred
/// times its worst error.
const KEY_SLACK: f64 = 1e-4;
/// `sure_key`'s answer when `key` decides (no key is this low: they stay within ±3.7e6).
const UNSURE: i32 = i32::MIN;
/// 1.5 * 2^52: added to a double of magnitude below 2^51, it leaves the nearest integer
/// (ties to even) in the low bits of the significand, and taken away again, that integer.
const ROUNDING: f64 = 6_755_399_441_055_744.0;

/// ln(value) within 1e-10 for a positive normal value (anything for others): value =
/// 2^e * m with m in [sqrt(1/2), sqrt(2)), ln m = 2 atanh(s) with s = (m - 1) / (m + 1),
/// |s| < 0.1716, whose series to s^11 leaves out less than 2 |s|^13 / 13 < 2e-11; the
/// rounding of these few operations is ~1e-13 at most (|ln| <= 710).
#[inline]
fn ln_approximation(value: f64) -> f64 {
    const C: [f64; 5] = [1.0 / 11.0, 1.0 / 9.0, 1.0 / 7.0, 1.0 / 5.0, 1.0 / 3.0];
    let bits = value.to_bits();
    let significand = f64::from_bits((bits & ((1 << 52) - 1)) | (1023 << 52));
    let high = significand > std::f64::consts::SQRT_2;
    let m = if high { significand * 0.5 } else { significand };
    let e = ((bits >> 52) as i64 - 1023 + i64::from(high)) as f64;
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let series = ((((C[0] * s2 + C[1]) * s2 + C[2]) * s2 + C[3]) * s2 + C[4]) * s2 + 1.0;
    e * std::f64::consts::LN_2 + 2.0 * s * series
}

/// `x.ceil() as i32` for `i32::MIN as f64 <= x <= i32::MAX as f64` (keys stay within
/// about ±3.7e6), without a libm call (baseline x86-64 has no rounding instruction):
/// truncation, plus one where it went down.
#[inline]
fn ceil_to_i32(x: f64) -> i32 {
    let truncated = x as i32;
    truncated + i32::from(f64::from(truncated) < x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_random::xorshift;

    fn exact_rank(sorted: &[f64], rank: usize) -> f64 {
        sorted[rank]
    }

    #[test]
    fn every_rank_is_within_the_relative_accuracy() {
        for accuracy in [0.01, 0.05, 0.001] {
            let mut sketch = Sketch::new(accuracy).unwrap();
            let mut values: Vec<f64> = (0..5000).map(|i| 1e-3 * 1.0057f64.powi(i)).collect();
            values.extend([0.0, 0.0, 1.0, 1.0, 1e7]);
            for &v in &values {
                sketch.add(v);
            }
            values.sort_by(f64::total_cmp);
            let ranks: Vec<usize> = (0..values.len()).collect();
            let estimates = sketch.values_at_ranks(&ranks);
            for (rank, estimate) in estimates.iter().enumerate() {
                let exact = exact_rank(&values, rank);
                if exact == 0.0 {
                    assert_eq!(*estimate, 0.0);
                } else {
                    let err = (estimate - exact).abs() / exact;
                    assert!(
                        err <= accuracy * (1.0 + 1e-9),
                        "{accuracy}: rank {rank}: {estimate} vs {exact}"
                    );
                }
            }
        }
    }

    #[test]
    fn sure_keys_are_the_keys() {
        // Random positive doubles over every exponent (subnormals and all), and values
        // a few ulps either side of bin bounds, at accuracies from the finest to the
        // coarsest.
        let mut next = xorshift(0x9E37_79B9_7F4A_7C15);
        let random: Vec<f64> = (0..200_000)
            .map(|_| f64::from_bits(next() >> 1))
            .filter(|v| v.is_finite() && *v > 0.0)
            .collect();
        for accuracy in [FINEST_ACCURACY, 1e-3, 0.01, 0.05, 0.5, 0.9] {
            let sketch = Sketch::new(accuracy).unwrap();
            let (lowest, highest) = sketch.key_range();
            let step = ((highest - lowest) / 20_000).max(1);
            let bounds = (lowest..=highest).step_by(step as usize).flat_map(|k| {
                let bound = (f64::from(k) * sketch.ln_gamma).exp();
                (-4i64..=4).map(move |d| f64::from_bits((bound.to_bits() as i64 + d) as u64))
            });
            let mut near = 0;
            for v in random
                .iter()
                .copied()
                .chain(bounds)
                .filter(|v| v.is_finite() && *v > 0.0)
            {
                let sure = sketch.sure_key(v);
                assert!(sure == UNSURE || sure == sketch.key(v), "{v:e} at {accuracy}: {sure}");
                let q = v.ln() / sketch.ln_gamma;
                near += usize::from((q - q.round()).abs() < KEY_SLACK);
            }
            assert!(near > 0, "no value near a bound at {accuracy}");
            // Away from bounds nearly every key is sure (subnormals are 1/2048 of these).
            let unsure = random.iter().filter(|&&v| sketch.sure_key(v) == UNSURE).count();
            assert!(unsure * 100 < random.len(), "{unsure} unsure at {accuracy}");
        }
        // The approximation itself, against libm over a sweep of significands.
        for i in 0..100_000 {
            let v = 1.0 + f64::from(i) / 100_000.0;
            for scale in [1e-300, 1e-5, 1.0, 3e7, 1e300] {
                let x = v * scale;
                let error = (ln_approximation(x) - x.ln()).abs();
                assert!(error < 1e-10, "{x:e}: {error:e}");
            }
        }
    }

    #[test]
    fn the_integer_ceil_is_ceil() {
        let small = [
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.0,
            -1.0,
            1.5,
            -1.5,
            2.0 - 1e-15,
            -2.0 + 1e-15,
            1e-300,
            -1e-300,
        ];
        let near_the_limits = [
            3.7e6,
            -3.7e6,
            3.7e6 + 0.5,
            -3.7e6 - 0.5,
            3_700_000.000_001,
            -3_700_000.000_001,
        ];
        for x in small.into_iter().chain(near_the_limits) {
            assert_eq!(ceil_to_i32(x), x.ceil() as i32, "{x}");
        }
    }

    #[test]
    fn adding_all_at_once_gives_the_bins_of_one_by_one() {
        // Zeros, ties, descending and ascending runs, extremes, and more than one block.
        let mut values: Vec<f64> = (0..3000).map(|i| ((i * 7919) % 2003) as f64 * 0.37).collect();
        values.extend((0..600).map(|i| 1e300 * 0.9f64.powi(i)));
        values.extend([5e-324, f64::MAX, 0.0, 1.0, 1.0]);
        for accuracy in [0.01, 0.001, 0.3, FINEST_ACCURACY] {
            let mut one_by_one = Sketch::new(accuracy).unwrap();
            values.iter().for_each(|&v| one_by_one.add(v));
            for split in [0, 1, 255, 256, 257, 2999, values.len()] {
                let mut all = Sketch::new(accuracy).unwrap();
                all.add_all(&values[..split]);
                all.add_all(&values[split..]);
                assert_eq!(all.parts(), one_by_one.parts(), "accuracy {accuracy}, split {split}");
                assert_eq!(all.count(), values.len() as u64);
            }
        }
        let mut only_zeros = Sketch::new(0.01).unwrap();
        only_zeros.add_all(&[0.0; 300]);
        assert_eq!(only_zeros.parts(), (300, 0, &[][..]));
    }

    #[test]
    fn merge_equals_one_sketch_of_all_values() {
        let values: Vec<f64> = (0..3000).map(|i| ((i * 7919) % 1000) as f64 * 0.37).collect();
        let mut whole = Sketch::new(0.01).unwrap();
        let (mut a, mut b) = (Sketch::new(0.01).unwrap(), Sketch::new(0.01).unwrap());
        for (i, &v) in values.iter().enumerate() {
            whole.add(v);
            if i % 3 == 0 {
                a.add(v)
            } else {
                b.add(v)
            }
        }
        a.merge(&b);
        assert_eq!(a.parts(), whole.parts());
        assert_eq!(a.count(), 3000);
    }

    #[test]
    fn the_widest_ranges_keep_every_quantile_within_the_accuracy() {
        let mut sketch = Sketch::new(0.01).unwrap();
        let values = [5e-324, 1e-300, 1e-9, 1e-9, 1.0, 1e9, 1e300, f64::MAX];
        for v in values {
            sketch.add(v);
        }
        assert_eq!(sketch.count(), values.len() as u64);
        let ranks: Vec<usize> = (0..values.len()).collect();
        for (estimate, exact) in sketch.values_at_ranks(&ranks).iter().zip(values).skip(1) {
            assert!(
                (estimate - exact).abs() / exact <= 0.01 + 1e-12,
                "{estimate} vs {exact}"
            );
        }
        let (lowest, highest) = sketch.key_range();
        assert_eq!(sketch.parts().2.len() as i32, highest - lowest + 1);
    }

    #[test]
    fn descending_values_grow_the_bins_in_amortized_steps() {
        let mut sketch = Sketch::new(0.001).unwrap();
        let values: Vec<f64> = (0..200_000).map(|i| 1e300 * 0.998f64.powi(i)).collect();
        for &v in &values {
            sketch.add(v);
        }
        assert_eq!(sketch.count(), 200_000);
        let (_, _, bins) = sketch.parts();
        assert!(bins.first() != Some(&0) && bins.last() != Some(&0));
    }

    #[test]
    fn parts_round_trip_and_corrupt_parts_are_errors() {
        let mut sketch = Sketch::new(0.02).unwrap();
        for v in [0.0, 3.0, 3.5, 900.0] {
            sketch.add(v);
        }
        let (zeros, offset, bins) = sketch.parts();
        let back = Sketch::from_parts(0.02, zeros, offset, bins.to_vec()).unwrap();
        assert_eq!(back.parts(), sketch.parts());
        assert!(Sketch::from_parts(0.02, 0, 5, vec![0, 1]).is_err());
        assert!(Sketch::from_parts(0.02, 0, i32::MAX, vec![1, 1]).is_err());
        assert!(Sketch::from_parts(0.02, 0, -100_000, vec![1]).is_err());
        assert!(Sketch::from_parts(f64::NAN, 0, 0, vec![]).is_err());
        assert!(Sketch::from_parts(0.02, u64::MAX, 0, vec![1]).is_err());
    }
}
