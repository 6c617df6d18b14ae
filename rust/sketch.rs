//! A relative-error quantile sketch for non-negative values (DDSketch: Masson, Rim and Lee,
//! "DDSketch: a fast and fully-mergeable quantile sketch with relative-error guarantees",
//! VLDB 2019).
//!
//! A positive value x falls in bin k = ceil(log_gamma(x)), gamma = (1 + a) / (1 - a), which
//! covers (gamma^(k-1), gamma^k]; the bin's representative 2 gamma^k / (gamma + 1) is within
//! relative error a of every value in it. Zeros have their own exact count. Two sketches
//! with the same accuracy merge by adding bin counts, so merging loses nothing beyond the
//! binning itself. Bins are never folded, so every quantile keeps the guarantee.
//!
//! Bins are dense from the lowest to the highest occupied one while that span is at most
//! `DENSE_SPAN` bins or an eighth of it is occupied: execution times span a few decades
//! (hundreds of bins at 1%). Otherwise only the occupied bins are kept, in an ordered map:
//! two times of 1e-300 and 1e300 ms span 69,000 bins at 1% and 6.9 million at 1e-4, which
//! densely took 0.5 MB and 53 MB (a state's pattern held that for two records). The form
//! changes neither a bin nor an answer, and a state stores the bins in the form kept.

#[cfg(test)]
use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::error::CoreError;

/// The finest accuracy accepted (it allows up to ~7 million bins).
pub const FINEST_ACCURACY: f64 = 1e-4;

/// How a state stores a sketch's bins (`Sketch::stored`).
pub enum StoredBins<'a> {
    /// The first bin's key, then every bin's count up to the highest occupied one.
    Every(i32, &'a [u64]),
    /// (key, count > 0) in ascending order of key.
    Occupied(Vec<(i32, u64)>),
}

/// Spans of at most this many bins (32 KB) are always dense.
pub(crate) const DENSE_SPAN: usize = 4096;
/// Past `DENSE_SPAN`, bins are dense while at least one in this many is occupied.
pub(crate) const DENSE_SHARE: usize = 8;

#[derive(Clone, Debug)]
pub struct Sketch {
    relative_accuracy: f64,
    ln_gamma: f64,
    /// 1 / ln_gamma, for `sure_key`.
    inverse_ln_gamma: f64,
    zeros: u64,
    /// Key of `bins[0]`.
    offset: i32,
    /// The dense bins (empty while `sparse` holds the counts).
    bins: Vec<u64>,
    /// The occupied bins by key, when they are too few for their span (see the module).
    sparse: Option<BTreeMap<i32, u64>>,
    /// The dense span last found occupied enough: checked again once it doubles, so the
    /// occupied bins are counted in amortized constant time per bin.
    checked_span: usize,
    /// How many times the bins turned sparse (tests).
    #[cfg(test)]
    turned_sparse: usize,
}

impl PartialEq for Sketch {
    /// Equal accuracy and counts, whatever the form.
    fn eq(&self, other: &Sketch) -> bool {
        self.relative_accuracy == other.relative_accuracy
            && self.zeros == other.zeros
            && self.occupied().eq(other.occupied())
    }
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
            sparse: None,
            checked_span: 0,
            #[cfg(test)]
            turned_sparse: 0,
        })
    }

    pub fn relative_accuracy(&self) -> f64 {
        self.relative_accuracy
    }

    pub fn count(&self) -> u64 {
        self.zeros + self.occupied().map(|(_, count)| count).sum::<u64>()
    }

    /// The occupied bins, (key, count) by ascending key.
    fn occupied(&self) -> impl Iterator<Item = (i32, u64)> + '_ {
        let dense = self.sparse.is_none().then(|| {
            let offset = self.offset;
            self.bins
                .iter()
                .enumerate()
                .filter(|(_, &count)| count > 0)
                .map(move |(i, &count)| (offset + i as i32, count))
        });
        let sparse = self
            .sparse
            .as_ref()
            .map(|map| map.iter().map(|(&key, &count)| (key, count)));
        dense.into_iter().flatten().chain(sparse.into_iter().flatten())
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
            self.make_room(low, high, positive);
            match self.sparse.as_mut() {
                None => {
                    let (offset, bins) = (self.offset, &mut self.bins);
                    for &key in &keys[..positive] {
                        bins[(key - offset) as usize] += 1;
                    }
                }
                Some(map) => {
                    for &key in &keys[..positive] {
                        *map.entry(key).or_insert(0) += 1;
                    }
                }
            }
            self.settle();
        }
    }

    /// Ready the bins for `new_keys` keys (at most; some may be occupied already) within
    /// [low, high]: dense bins grown to cover them, or, where the span they would then
    /// have is mostly empty (see the module), the occupied bins moved to the map.
    fn make_room(&mut self, low: i32, high: i32, new_keys: usize) {
        if self.sparse.is_some() {
            return;
        }
        let (from, to) = if self.bins.is_empty() {
            (low, high)
        } else {
            (low.min(self.offset), high.max(self.offset + self.bins.len() as i32 - 1))
        };
        let span = (i64::from(to) - i64::from(from) + 1) as usize;
        if span > DENSE_SPAN && span >= 2 * self.checked_span {
            let occupied = self.bins.iter().filter(|&&count| count > 0).count() + new_keys;
            // Judged over the occupied keys' span, as `settle` judges: the empty bins that
            // growing downwards left below them counted, and a sketch turned sparse here
            // only to turn dense again there, block after block (quadratic).
            let (first, last) = match self.occupied_keys() {
                Some((first, last)) => (first.min(low), last.max(high)),
                None => (low, high),
            };
            let occupied_span = (i64::from(last) - i64::from(first) + 1) as usize;
            if occupied_span > DENSE_SPAN && occupied * DENSE_SHARE < occupied_span {
                #[cfg(test)]
                {
                    self.turned_sparse += 1;
                }
                let map: BTreeMap<i32, u64> = self.occupied().collect();
                self.sparse = Some(map);
                self.bins = Vec::new();
                self.offset = 0;
                self.checked_span = 0;
                return;
            }
            self.checked_span = span;
        }
        // Grow to cover [low, high] (the zero counts added leave every bin as it was).
        self.add_to_dense(low, 0);
        self.add_to_dense(high, 0);
    }

    /// Back to dense bins once the map's bins are close enough (see the module).
    fn settle(&mut self) {
        let Some(map) = self.sparse.as_ref() else {
            return;
        };
        let (Some((&low, _)), Some((&high, _))) = (map.first_key_value(), map.last_key_value()) else {
            return;
        };
        let span = (i64::from(high) - i64::from(low) + 1) as usize;
        if span <= DENSE_SPAN || map.len() * DENSE_SHARE >= span {
            let mut bins = vec![0; span];
            for (&key, &count) in map {
                bins[(key - low) as usize] = count;
            }
            self.sparse = None;
            self.bins = bins;
            self.offset = low;
            self.checked_span = span;
        }
    }

    /// The keys of the positive finite f64 values: every bin lies in this range.
    fn key_range(&self) -> (i32, i32) {
        (self.key(f64::from_bits(1)), self.key(f64::MAX))
    }

    #[cfg(test)]
    fn add_to_bin(&mut self, key: i32, count: u64) {
        self.make_room(key, key, 1);
        match self.sparse.as_mut() {
            None => self.add_to_dense(key, count),
            Some(map) => *map.entry(key).or_insert(0) += count,
        }
        self.settle();
    }

    /// Add `count` to dense bin `key`, growing the dense bins to hold it.
    fn add_to_dense(&mut self, key: i32, count: u64) {
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
        let Some((low, high)) = other.occupied_keys() else {
            return;
        };
        // (Its occupied bins, not its dense span: a dense sketch of two times 4,095 bins
        // apart counted 4,096, and merges kept dense spans eight times wider each.)
        let new_keys = match other.sparse.as_ref() {
            Some(map) => map.len(),
            None => other.bins.iter().filter(|&&count| count > 0).count(),
        };
        // The range grows once, to cover both.
        self.make_room(low, high, new_keys);
        match self.sparse.as_mut() {
            None => {
                let (offset, bins) = (self.offset, &mut self.bins);
                for (key, count) in other.occupied() {
                    bins[(key - offset) as usize] += count;
                }
            }
            Some(map) => {
                for (key, count) in other.occupied() {
                    *map.entry(key).or_insert(0) += count;
                }
            }
        }
        self.settle();
    }

    /// Estimates of the values of the given ascending 0-based ranks (each < count).
    pub fn values_at_ranks(&self, ranks: &[usize]) -> Vec<f64> {
        let mut out = Vec::with_capacity(ranks.len());
        let mut ranks = ranks.iter().map(|&r| r as u64).peekable();
        while ranks.next_if(|&r| r < self.zeros).is_some() {
            out.push(0.0);
        }
        let mut seen = self.zeros;
        for (key, count) in self.occupied() {
            seen += count;
            while ranks.next_if(|&r| r < seen).is_some() {
                out.push(self.representative(key));
            }
        }
        out
    }

    /// The bins as a state stores them: dense from the lowest to the highest occupied
    /// one, or the occupied ones alone while the sketch keeps them so.
    pub fn stored(&self) -> StoredBins<'_> {
        match (&self.sparse, self.occupied_keys()) {
            (Some(map), _) => StoredBins::Occupied(map.iter().map(|(&key, &count)| (key, count)).collect()),
            (None, None) => StoredBins::Every(0, &[]),
            (None, Some((low, high))) => {
                let (from, to) = ((low - self.offset) as usize, (high - self.offset) as usize);
                StoredBins::Every(low, &self.bins[from..=to])
            }
        }
    }

    /// (zeros, offset, bins): the bins from the lowest to the highest occupied one, dense
    /// whatever the form kept (made for the occasion from sparse bins).
    #[cfg(test)]
    pub fn parts(&self) -> (u64, i32, Cow<'_, [u64]>) {
        let Some((low, high)) = self.occupied_keys() else {
            return (self.zeros, 0, Cow::Borrowed(&[]));
        };
        match self.sparse.as_ref() {
            None => {
                let from = (low - self.offset) as usize;
                let to = (high - self.offset) as usize;
                (self.zeros, low, Cow::Borrowed(&self.bins[from..=to]))
            }
            Some(map) => {
                let mut bins = vec![0; (i64::from(high) - i64::from(low) + 1) as usize];
                for (&key, &count) in map {
                    bins[(key - low) as usize] = count;
                }
                (self.zeros, low, Cow::Owned(bins))
            }
        }
    }

    /// The keys of the lowest and highest occupied bins.
    pub fn occupied_keys(&self) -> Option<(i32, i32)> {
        match self.sparse.as_ref() {
            Some(map) => Some((*map.first_key_value()?.0, *map.last_key_value()?.0)),
            None => {
                let first = self.bins.iter().position(|&count| count > 0)?;
                let last = self.bins.iter().rposition(|&count| count > 0)?;
                Some((self.offset + first as i32, self.offset + last as i32))
            }
        }
    }

    /// The bin key a positive value falls in.
    pub fn key_of(&self, value: f64) -> i32 {
        self.key(value)
    }

    pub fn zeros(&self) -> u64 {
        self.zeros
    }

    /// Rebuild from stored occupied bins, (key, count > 0) by ascending key, checking they
    /// describe a sketch this code could have made.
    pub fn from_occupied(relative_accuracy: f64, zeros: u64, pairs: Vec<(i32, u64)>) -> Result<Sketch, CoreError> {
        let mut sketch = Sketch::new(relative_accuracy)?;
        let bad = |why: &str| Err(CoreError::InvalidInput(format!("corrupt sketch: {why}")));
        let (lowest, highest) = sketch.key_range();
        let mut total = zeros;
        let mut previous = None;
        for &(key, count) in &pairs {
            if !(lowest..=highest).contains(&key) {
                return bad("bins outside the range of positive numbers");
            }
            if previous.is_some_and(|p| p >= key) {
                return bad("bins out of order");
            }
            if count == 0 {
                return bad("an empty bin listed");
            }
            total = match total.checked_add(count) {
                Some(t) => t,
                None => return bad("counts overflow"),
            };
            previous = Some(key);
        }
        sketch.zeros = zeros;
        if !pairs.is_empty() {
            sketch.sparse = Some(pairs.into_iter().collect());
            sketch.settle();
        }
        Ok(sketch)
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
        let occupied = bins.iter().filter(|&&count| count > 0).count();
        if bins.len() > DENSE_SPAN && occupied * DENSE_SHARE < bins.len() {
            // Mostly empty: kept as the map (see the module).
            let map = bins
                .iter()
                .enumerate()
                .filter(|(_, &count)| count > 0)
                .map(|(i, &count)| (offset + i as i32, count))
                .collect();
            sketch.sparse = Some(map);
        } else if !bins.is_empty() {
            sketch.offset = offset;
            sketch.checked_span = bins.len();
            sketch.bins = bins;
        }
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
        assert_eq!(only_zeros.parts(), (300, 0, Cow::Borrowed(&[][..])));
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

    /// Bins counted the obvious way: key by key.
    fn counted(sketch: &Sketch, values: &[f64]) -> BTreeMap<i32, u64> {
        let mut counts = BTreeMap::new();
        for &v in values.iter().filter(|&&v| v > 0.0) {
            *counts.entry(sketch.key_of(v)).or_insert(0) += 1;
        }
        counts
    }

    #[test]
    fn mostly_empty_spans_are_kept_sparse_with_the_same_counts() {
        // Blocks of values over every decade (a mostly empty span) between blocks of
        // clustered ones: dense sketches (one value) and sparse ones, turned sparse by an
        // add or by a merge. (The way back: `two_extreme_times_take_two_bins_not_their_span`.)
        let mut next = xorshift(0x51_7C_C1_B7_27_22_0A_95);
        let mut values = Vec::new();
        for _ in 0..4 {
            values.extend((0..300).map(|_| 10f64.powf((next() % 60_000) as f64 / 100.0 - 300.0)));
            values.extend((0..3000).map(|_| 1.0 + (next() % 20_000) as f64 / 100.0));
            values.push(0.0);
        }
        for accuracy in [0.01, 1e-3, FINEST_ACCURACY] {
            let reference = counted(&Sketch::new(accuracy).unwrap(), &values);
            let ranks: Vec<usize> = (0..values.len()).step_by(7).collect();
            let mut whole = Sketch::new(accuracy).unwrap();
            whole.add_all(&values);
            for split in [1, 300, 3300, values.len() / 2, values.len() - 1] {
                let (mut a, mut b) = (Sketch::new(accuracy).unwrap(), Sketch::new(accuracy).unwrap());
                a.add_all(&values[..split]);
                b.add_all(&values[split..]);
                a.merge(&b);
                assert_eq!(
                    a.occupied().collect::<BTreeMap<_, _>>(),
                    reference,
                    "{accuracy} {split}"
                );
                assert_eq!(a.count(), values.len() as u64);
                assert_eq!(a.zeros(), 4);
                assert_eq!(a.values_at_ranks(&ranks), whole.values_at_ranks(&ranks));
                assert_eq!(a.parts(), whole.parts());
                let (zeros, offset, bins) = a.parts();
                let back = Sketch::from_parts(accuracy, zeros, offset, bins.into_owned()).unwrap();
                assert!(back == a && back.occupied().eq(reference.iter().map(|(&k, &c)| (k, c))));
            }
            // The dense span the parts hold is the occupied keys' span.
            let (_, offset, bins) = whole.parts();
            let (&low, _) = reference.first_key_value().unwrap();
            let (&high, _) = reference.last_key_value().unwrap();
            assert_eq!((offset, bins.len()), (low, (high - low + 1) as usize));
        }
    }

    #[test]
    fn two_extreme_times_take_two_bins_not_their_span() {
        for accuracy in [0.01, FINEST_ACCURACY] {
            let mut sketch = Sketch::new(accuracy).unwrap();
            sketch.add_all(&[1e-300, 1e300]);
            let mut merged = Sketch::new(accuracy).unwrap();
            merged.merge(&sketch);
            merged.merge(&sketch);
            for s in [&sketch, &merged] {
                assert!(s.bins.capacity() == 0 && s.sparse.as_ref().map(BTreeMap::len) == Some(2));
            }
            let (zeros, offset, bins) = merged.parts();
            let back = Sketch::from_parts(accuracy, zeros, offset, bins.into_owned()).unwrap();
            assert!(back.bins.capacity() == 0 && back == merged);
            assert_eq!(back.values_at_ranks(&[0, 3]), sketch.values_at_ranks(&[0, 1]));
        }
        // Filled in, the span is dense again.
        let mut sketch = Sketch::new(0.01).unwrap();
        sketch.add_all(&[1e-300, 1e300]);
        let filling: Vec<f64> = (0..10_000).map(|k| 1.0201f64.powi(k)).collect();
        sketch.add_all(&filling);
        assert!(sketch.sparse.is_none());
        let mut expected = filling.clone();
        expected.extend([1e-300, 1e300]);
        assert!(sketch.occupied().eq(counted(&sketch, &expected).into_iter()));
    }

    /// A value in bin `key`.
    fn in_bin(sketch: &Sketch, key: i32) -> f64 {
        let value = ((f64::from(key) - 0.5) * sketch.ln_gamma).exp();
        assert_eq!(sketch.key_of(value), key);
        value
    }

    #[test]
    fn new_lowest_keys_of_a_fifth_occupied_span_leave_it_dense() {
        // A span a fifth occupied is dense; each new lowest key grew the bins downwards
        // by their length, and those empty bins made the next block's check see a span
        // under an eighth occupied: sparse, then dense again in `settle`, every other
        // add (helper-95: 200 such adds took 555 ms at 1e-4, against 20 us upwards).
        for (accuracy, span) in [(0.01, 20_000), (FINEST_ACCURACY, 200_000)] {
            let mut sketch = Sketch::new(accuracy).unwrap();
            let values: Vec<f64> = (0..span).step_by(5).map(|k| in_bin(&sketch, k)).collect();
            sketch.add_all(&values);
            for below in 1..=100 {
                sketch.add_all(&[in_bin(&sketch, -below)]);
                sketch.add_all(&[in_bin(&sketch, below)]);
            }
            assert_eq!(sketch.turned_sparse, 0, "{accuracy}");
            assert!(sketch.sparse.is_none());
        }
    }

    #[test]
    fn a_merge_counts_the_occupied_bins_of_a_dense_sketch() {
        // Two times 4,095 bins apart are dense (a span of 4,096); merged with a time far
        // below, they were counted as 4,096 keys and kept a dense span eight times wider,
        // each merge again (2.1 million bins after three).
        let accuracy = FINEST_ACCURACY;
        let mut current = Sketch::new(accuracy).unwrap();
        current.add_all(&[in_bin(&current, 0), in_bin(&current, 4095)]);
        assert!(current.sparse.is_none());
        for _ in 0..3 {
            // A span seven times the last: under an eighth occupied by a handful of bins.
            let (low, high) = current.occupied_keys().unwrap();
            let far = low - 7 * (high - low + 1);
            let mut merged = Sketch::new(accuracy).unwrap();
            merged.add_all(&[in_bin(&merged, far)]);
            merged.merge(&current);
            assert!(merged.sparse.is_some() && merged.bins.capacity() == 0);
            current = merged;
        }
        assert!(matches!(current.stored(), StoredBins::Occupied(pairs) if pairs.len() == 5));
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
