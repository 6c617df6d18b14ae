//! Exact sums of non-negative doubles: the correctly rounded result whatever the order of
//! the additions and however the values were split between accumulators and merged.
//!
//! A fixed-point superaccumulator (Kulisch; the "small superaccumulator" of R. M. Neal,
//! arXiv:1505.05571, restricted to non-negative values): the sum is kept as an integer in
//! units of 2^-1074 (the smallest double), in 32-bit digits held by 64-bit limbs. Each value
//! adds its 53-bit significand, shifted to its exponent, into three limbs, with no carries;
//! carries are propagated every 2^31 additions and when the sum is read. The result equals
//! Python's `math.fsum` of the same values, which is what the reference semantics use.
//!
//! Values in [2^-64, 1] (nearly every quality score) take a faster path: their bits all lie
//! between 2^-127 and 2^0, so they add exactly into a 192-bit fixed-point integer in units
//! of 2^-127 (a u128 with a u64 of carries: no chain through memory), which is folded
//! into a copy of the limbs when the sum is read or stored. A slice of values
//! (`add_present_slice`, a chunk's quality scores) has its zeros and values in [2^-31, 1]
//! summed in vectorized blocks instead, each split into two integers read from a double's
//! bits. Those block sums, `add_present`'s buckets, the digits of a loaded sum and another
//! fast sum merged in go to the fast sum too whenever their bits fit it, so the limbs (552
//! bytes) are made only for a sum that needs them: an accumulator holds one sum, and a
//! batch holds an accumulator per pattern.

use crate::error::CoreError;
use crate::wide::wide;

/// Limbs of 32-bit digits: bit 0 is 2^-1074; the largest double's top bit is bit 2097, and
/// up to 2^53 of them add 53 bits: 68 * 32 = 2176 bits hold any such sum.
const LIMBS: usize = 68;
const DIGIT: u64 = 0xFFFF_FFFF;
/// A normalized limb is below 2^32 and each addition adds less than 2^32 to a limb, so a
/// limb cannot overflow within 2^31 additions of a normalization.
const CARRY_EVERY: u32 = 1 << 31;

/// The fast path's unit, 2^-127, is bit 947 of the limbs' units (2^-1074).
const FAST_POSITION: usize = 1074 - 127;
/// Bit patterns of 2^-64 and 1.0: the fast path's range.
const FAST_MIN_BITS: u64 = (1023 - 64) << 52;
const FAST_MAX_BITS: u64 = 1023 << 52;
/// The most carries `add_to_fast` and `merge` leave in `fast_high`: past it, the limbs
/// take the addition. Each value the fast path adds (`add_into`, `add_all`) adds at most
/// one carry, unchecked, so 2^62 of them still fit.
const FAST_HIGH_MAX: u64 = 1 << 62;

/// `add_present`'s buckets: exponent fields 959 (2^-64) to 1023 ([1, 2)).
const BUCKET_MIN_EXPONENT: usize = 959;
const BUCKET_EXPONENTS: usize = 1023 - BUCKET_MIN_EXPONENT + 1;
/// Values between two emptyings of the buckets: 2^11 per lane.
const BLOCK: usize = 4 << 11;
/// Values from which `add_present` takes four lanes of buckets.
const BUCKETED_MIN: usize = 256;
/// Values from which `add_present` takes one lane of buckets (a batch's patterns add
/// about a hundred values per chunk: 520 bytes to zero and 65 slots to read cost less than
/// the register sums' 128-bit shift per value).
const ONE_LANE_MIN: usize = 32;

/// `add_present_slice`'s fixed-point pass: its smallest value (2^-31), its unit (2^-83)
/// as a bit of the limbs' units, and its block (see `fixed_point_sum`).
const FIXED_MIN: f64 = 1.0 / (1u64 << 31) as f64;
const FIXED_POSITION: usize = 1074 - 83;
const FIXED_BLOCK: usize = 4096;

#[derive(Clone, Debug, Default)]
pub struct ExactSum {
    /// The fast path's sum, in units of 2^-127: `fast_high` * 2^128 + `fast_low`.
    fast_low: u128,
    fast_high: u64,
    /// Whatever does not fit the fast sum, made when first needed (None: zero).
    limbs: Option<Box<Limbs>>,
}

#[derive(Clone, Debug)]
struct Limbs {
    digits: [u64; LIMBS],
    /// Additions since the digits were last normalized (every limb below 2^32).
    pending: u32,
}

impl Default for Limbs {
    fn default() -> Self {
        Limbs {
            digits: [0; LIMBS],
            pending: 0,
        }
    }
}

impl Limbs {
    /// Add `value` * 2^(position - 1074).
    #[inline]
    fn add_bits(&mut self, value: u64, position: usize) {
        let wide = u128::from(value) << (position % 32);
        let k = position / 32;
        self.digits[k] += wide as u64 & DIGIT;
        self.digits[k + 1] += (wide >> 32) as u64 & DIGIT;
        self.digits[k + 2] += (wide >> 64) as u64;
        self.pending += 1;
        if self.pending == CARRY_EVERY {
            self.normalize();
        }
    }

    /// Add a fast-path sum (`low` + `high` * 2^128 units of 2^-127).
    fn add_fast(&mut self, low: u128, high: u64) {
        for (part, position) in [
            (low as u64, FAST_POSITION),
            ((low >> 64) as u64, FAST_POSITION + 64),
            (high, FAST_POSITION + 128),
        ] {
            if part != 0 {
                self.add_bits(part, position);
            }
        }
    }

    fn normalize(&mut self) {
        let mut carry = 0u64;
        for limb in &mut self.digits {
            let v = *limb + carry;
            *limb = v & DIGIT;
            carry = v >> 32;
        }
        debug_assert_eq!(carry, 0, "the limbs hold any sum of 2^53 doubles");
        self.pending = 0;
    }
}

impl ExactSum {
    /// Add `x`, a finite number >= 0 (the callers validate; -0.0 adds nothing).
    #[inline]
    pub fn add(&mut self, x: f64) {
        let mut fast = (self.fast_low, self.fast_high);
        self.add_into(&mut fast, x);
        (self.fast_low, self.fast_high) = fast;
    }

    /// Add every value that is not NaN (a missing value; the others finite and >= 0, as
    /// for `add`); returns how many were added.
    ///
    /// Many values (`BUCKETED_MIN` or more, by the iterator's size hint) go by exponent:
    /// a value in [2^-64, 2) adds its significand to a u64 of its exponent (four lanes, in
    /// turn, so that runs of one exponent do not wait on each other's sum), and the buckets
    /// are added to the sum every `BLOCK` values; each bucket then holds at most 2^11
    /// significands below 2^53, so it never overflows. A load, an add and a store per
    /// value instead of a 128-bit shift and add. From `ONE_LANE_MIN` values, one lane;
    /// fewer take the fast path's register sums: zeroing and reading the buckets would cost
    /// more. Same sum either way.
    pub fn add_present(&mut self, values: impl IntoIterator<Item = f64>) -> u64 {
        let mut values = values.into_iter();
        let hint = values.size_hint();
        if hint.0 < ONE_LANE_MIN {
            return self.add_all(values.filter(|x| !x.is_nan()));
        }
        let mut count = 0u64;
        if hint.1.is_some_and(|most| most < BUCKETED_MIN) {
            let mut lane = [[0u64; BUCKET_EXPONENTS]];
            for (i, x) in values.enumerate() {
                // (Never with a true size hint: the lane's block is 2^11 values.)
                if i > 0 && i % (BLOCK / 4) == 0 {
                    self.add_buckets(&mut lane);
                }
                count += Self::add_to_lane(self, &mut lane[0], x);
            }
            self.add_buckets(&mut lane);
            return count;
        }
        let mut buckets = [[0u64; BUCKET_EXPONENTS]; 4];
        let mut add = |sum: &mut ExactSum, lane: &mut [u64; BUCKET_EXPONENTS], x: f64| {
            count += Self::add_to_lane(sum, lane, x);
        };
        'values: loop {
            let [a, b, c, d] = &mut buckets;
            for _ in 0..BLOCK / 4 {
                let Some(x) = values.next() else { break 'values };
                add(self, a, x);
                let Some(x) = values.next() else { break 'values };
                add(self, b, x);
                let Some(x) = values.next() else { break 'values };
                add(self, c, x);
                let Some(x) = values.next() else { break 'values };
                add(self, d, x);
            }
            self.add_buckets(&mut buckets);
        }
        self.add_buckets(&mut buckets);
        count
    }

    /// `add_present` of a slice. Zeros and values in [2^-31, 1] (nearly every quality
    /// score) take a fixed-point pass (`fixed_point_sum`) in blocks of `FIXED_BLOCK`;
    /// any other value of a block is added by `add_present` after it. Same sum.
    pub fn add_present_slice(&mut self, values: &[f64]) -> u64 {
        let mut count = 0;
        for block in values.chunks(FIXED_BLOCK) {
            let (units, fixed) = wide(|| fixed_point_sum(block));
            self.add_wide(units, FIXED_POSITION);
            count += fixed as u64;
            if fixed < block.len() {
                count += self.add_present(block.iter().copied().filter(|&x| !in_fixed_range(x)));
            }
        }
        count
    }

    /// Value `x` into `add_present`'s `lane`; returns whether it counts. A zero (either
    /// sign: quality scores of 0 are common) adds nothing, NaN is not counted, and any
    /// other value outside the buckets' exponents takes `add`.
    #[inline]
    fn add_to_lane(sum: &mut ExactSum, lane: &mut [u64; BUCKET_EXPONENTS], x: f64) -> u64 {
        let bits = x.to_bits();
        let slot = ((bits >> 52) as usize).wrapping_sub(BUCKET_MIN_EXPONENT);
        if let Some(bucket) = lane.get_mut(slot) {
            *bucket += (bits & ((1 << 52) - 1)) | (1 << 52);
            1
        } else if bits << 1 == 0 {
            1
        } else if !x.is_nan() {
            sum.add(x);
            1
        } else {
            0
        }
    }

    /// Add (and empty) `add_present`'s buckets.
    fn add_buckets(&mut self, buckets: &mut [[u64; BUCKET_EXPONENTS]]) {
        for lane in buckets {
            for (slot, sum) in lane.iter_mut().enumerate() {
                if *sum != 0 {
                    // A normal value's significand is in units of 2^(exponent - 1075): bit
                    // exponent - 1 of the limbs' units.
                    self.add_wide(u128::from(std::mem::take(sum)), BUCKET_MIN_EXPONENT + slot - 1);
                }
            }
        }
    }

    /// Add every value (each finite and >= 0, as for `add`); returns how many there were.
    /// The fast path alternates between two partial sums, added together exactly at the
    /// end, so that consecutive values do not wait on each other's carry chain: the bits
    /// are those of adding them one by one.
    fn add_all(&mut self, values: impl IntoIterator<Item = f64>) -> u64 {
        let (mut even, mut odd) = ((self.fast_low, self.fast_high), (0u128, 0u64));
        let mut values = values.into_iter();
        let mut count = 0;
        while let Some(x) = values.next() {
            self.add_into(&mut even, x);
            count += 1;
            let Some(y) = values.next() else { break };
            self.add_into(&mut odd, y);
            count += 1;
        }
        let (low, carry) = even.0.overflowing_add(odd.0);
        (self.fast_low, self.fast_high) = (low, even.1 + odd.1 + u64::from(carry));
        count
    }

    /// Add `x` to `fast` (a fast-path sum: low 128 bits, carries) or, outside the fast
    /// path's range, to the limbs.
    #[inline]
    fn add_into(&mut self, fast: &mut (u128, u64), x: f64) {
        debug_assert!(x.is_finite() && x >= 0.0, "{x}");
        let bits = x.to_bits() & (u64::MAX >> 1);
        let exponent = bits >> 52;
        let normal = u64::from(exponent != 0);
        // x = significand * 2^(position - 1074); subnormals have exponent field 0 and no
        // implicit bit, but the same scale as exponent field 1.
        let significand = (bits & ((1 << 52) - 1)) | (normal << 52);
        let position = (exponent - normal) as usize;
        if (FAST_MIN_BITS..=FAST_MAX_BITS).contains(&bits) {
            // position - FAST_POSITION is in [11, 75]: the shifted significand fits 128 bits.
            let (sum, carry) = fast
                .0
                .overflowing_add(u128::from(significand) << (position - FAST_POSITION));
            *fast = (sum, fast.1 + u64::from(carry));
        } else {
            self.add_bits(significand, position);
        }
    }

    fn limbs_mut(&mut self) -> &mut Limbs {
        self.limbs.get_or_insert_with(Box::default)
    }

    /// Add `value` * 2^(position - 1074) to the limbs.
    #[inline]
    fn add_bits(&mut self, value: u64, position: usize) {
        self.limbs_mut().add_bits(value, position);
    }

    /// Add `value` * 2^(position - 1074) to the fast sum if it fits there: its bits from
    /// 2^-127 up, and the fast sum's carries within `FAST_HIGH_MAX`. Returns whether it was
    /// added.
    #[inline]
    fn add_to_fast(&mut self, value: u128, position: usize) -> bool {
        let Some(shift) = position.checked_sub(FAST_POSITION).filter(|&shift| shift < 128) else {
            return false;
        };
        let high = if shift == 0 { 0 } else { value >> (128 - shift) };
        let (low, carry) = self.fast_low.overflowing_add(value << shift);
        let high = u64::try_from(high)
            .ok()
            .and_then(|high| high.checked_add(u64::from(carry)))
            .and_then(|high| self.fast_high.checked_add(high))
            .filter(|&high| high <= FAST_HIGH_MAX);
        match high {
            Some(high) => {
                (self.fast_low, self.fast_high) = (low, high);
                true
            }
            None => false,
        }
    }

    /// Add `value` * 2^(position - 1074): to the fast sum where it fits, else the limbs.
    fn add_wide(&mut self, value: u128, position: usize) {
        if value == 0 || self.add_to_fast(value, position) {
            return;
        }
        for (part, position) in [(value as u64, position), ((value >> 64) as u64, position + 64)] {
            if part != 0 {
                self.add_bits(part, position);
            }
        }
    }

    /// Add everything `other` holds: its fast sum to this one's (into the limbs if the
    /// carries would pass `FAST_HIGH_MAX`), its limbs, if any, to the limbs.
    pub fn merge(&mut self, other: &ExactSum) {
        let (low, carry) = self.fast_low.overflowing_add(other.fast_low);
        let high = other
            .fast_high
            .checked_add(u64::from(carry))
            .and_then(|high| self.fast_high.checked_add(high))
            .filter(|&high| high <= FAST_HIGH_MAX);
        match high {
            Some(high) => (self.fast_low, self.fast_high) = (low, high),
            None => self.limbs_mut().add_fast(other.fast_low, other.fast_high),
        }
        if let Some(theirs) = &other.limbs {
            let mine = self.limbs_mut();
            mine.normalize();
            for (mine, theirs) in mine.digits.iter_mut().zip(&theirs.digits) {
                *mine += theirs;
            }
            // Each limb is now below 2^32 * (theirs.pending + 2).
            mine.pending = theirs.pending + 1;
            if mine.pending >= CARRY_EVERY {
                mine.normalize();
            }
        }
    }

    fn digits(&self) -> [u32; LIMBS] {
        let mut limbs = self.limbs.as_deref().cloned().unwrap_or_default();
        limbs.add_fast(self.fast_low, self.fast_high);
        limbs.normalize();
        limbs.digits.map(|limb| limb as u32)
    }

    /// The sum, correctly rounded to the nearest double (ties to even); +inf past the
    /// largest double.
    pub fn value(&self) -> f64 {
        let digits = self.digits();
        let Some(top) = digits.iter().rposition(|&d| d != 0) else {
            return 0.0;
        };
        let high_bit = 32 * top + 31 - digits[top].leading_zeros() as usize;
        let smallest = f64::from_bits(1); // 2^-1074
        if high_bit < 64 {
            // One rounding (u64 -> f64 rounds to nearest even); scaling by 2^-1074 is exact:
            // below 2^53 units every multiple of 2^-1074 is a double, above it the result
            // is normal.
            let units = u64::from(digits[0]) | (u64::from(digits[1]) << 32);
            return units as f64 * smallest;
        }
        // The 64 bits from `low` up, and whether anything below `low` is set.
        let low = high_bit - 63;
        let (k, shift) = (low / 32, low % 32);
        let window = u128::from(digits[k])
            | (u128::from(digits[k + 1]) << 32)
            | (u128::from(*digits.get(k + 2).unwrap_or(&0)) << 64);
        let bits = (window >> shift) as u64;
        let sticky = digits[..k].iter().any(|&d| d != 0) || digits[k] & ((1u32 << shift) - 1) != 0;
        let mut significand = bits >> 11;
        let rest = bits & 0x7FF;
        let round_up = rest > 0x400 || (rest == 0x400 && (sticky || significand & 1 == 1));
        significand += u64::from(round_up);
        // value = significand * 2^(low + 11 - 1074); significand <= 2^53 and the result is
        // normal (low >= 1), so only the final scaling can round (to +inf).
        let scale = low as i32 + 11 - 1074;
        let (a, b) = (scale / 2, scale - scale / 2);
        significand as f64 * pow2(a) * pow2(b)
    }

    /// The sum divided by `count` (> 0), correctly rounded to the nearest double (ties to
    /// even): the exact mean rounded once, not the rounded sum divided (which rounds twice
    /// and can land a double off: `math.fsum(x) / n` is that, `statistics.fmean` too).
    ///
    /// Long division of the digits by `count`, from the top, until the quotient holds
    /// more bits than a double keeps (four digits below the sum's top one: at least 64
    /// bits below the quotient's top); what is left below (the remainder, and any digit
    /// not divided) only decides whether the quotient's cut part is exactly zero.
    pub fn mean(&self, count: u64) -> f64 {
        debug_assert!(count > 0);
        // Two zero digits below the sum's: the quotient keeps 64 bits below 2^-1074, so a
        // subnormal mean rounds from its own bits too.
        let mut digits = [0u32; LIMBS + 2];
        digits[2..].copy_from_slice(&self.digits());
        let Some(top) = digits.iter().rposition(|&d| d != 0) else {
            return 0.0;
        };
        let stop = top.saturating_sub(4);
        let mut quotient = [0u32; LIMBS + 2];
        let mut remainder = 0u64;
        for k in (stop..=top).rev() {
            // (Each quotient digit is below 2^32: the remainder is below `count`. Counts
            // below 2^32 divide in u64, several times faster than u128.)
            let (digit, rest) = if count <= u64::from(u32::MAX) {
                let current = remainder << 32 | u64::from(digits[k]);
                (current / count, current % count)
            } else {
                let current = u128::from(remainder) << 32 | u128::from(digits[k]);
                let count = u128::from(count);
                ((current / count) as u64, (current % count) as u64)
            };
            (quotient[k], remainder) = (digit as u32, rest);
        }
        let sticky = remainder != 0 || digits[..stop].iter().any(|&d| d != 0);
        // The quotient is in units of 2^-1138 (2^-1074 over the two added digits).
        round_digits(&quotient, 32 * stop, sticky, -1138)
    }

    /// The stored form: the index of the lowest non-zero digit and the digits from it up
    /// to the highest non-zero one (empty for zero).
    pub fn parts(&self) -> (u32, Vec<u32>) {
        let digits = self.digits();
        match digits.iter().position(|&d| d != 0) {
            None => (0, Vec::new()),
            Some(low) => {
                let high = digits.iter().rposition(|&d| d != 0).unwrap_or(low);
                (low as u32, digits[low..=high].to_vec())
            }
        }
    }

    /// Rebuild from `parts`.
    pub fn from_parts(low: u32, digits: &[u32]) -> Result<ExactSum, CoreError> {
        let low = low as usize;
        if low.saturating_add(digits.len()) > LIMBS {
            return Err(CoreError::InvalidInput("corrupt state: exact sum out of range".into()));
        }
        let mut sum = ExactSum::default();
        for (k, &digit) in (low..).zip(digits) {
            // (Each digit below 2^32 at its own limb: the limbs stay normalized.)
            if digit != 0 && !sum.add_to_fast(u128::from(digit), 32 * k) {
                sum.limbs_mut().digits[k] = u64::from(digit);
            }
        }
        Ok(sum)
    }
}

/// `fixed_point_sum`'s values: 0 (either sign) and [2^-31, 1], whose bits all lie between
/// 2^-83 and 2^0.
#[inline(always)]
fn in_fixed_range(x: f64) -> bool {
    (FIXED_MIN..=1.0).contains(&x) | (x == 0.0)
}

/// The sum of `block`'s values `in_fixed_range`, in units of 2^-83, and how many there
/// were (the others add 0). Each value x is h * 2^51 + v in those units: h, x * 2^32
/// rounded to an integer (at most 2^32), and v, the rest times 2^51 (an integer, |v| <=
/// 2^50). Both are read exactly from a double's bits after adding a constant: h + 2^52 and
/// v + 1.5 * 2^52 are doubles whose significand bits are the integer (no float-to-integer
/// conversion, which neither baseline x86-64 nor AVX2 has in vectors for 64-bit
/// integers). Branch-free: it vectorizes (inlined into `wide`'s AVX2 function). The sums
/// fit: h adds at most 2^44 a block and v's sum stays within 2^62.
#[inline(always)]
fn fixed_point_sum(block: &[f64]) -> (u128, usize) {
    debug_assert!(block.len() <= FIXED_BLOCK);
    const SCALE_HIGH: f64 = (1u64 << 32) as f64;
    const SCALE_REST: f64 = (1u64 << 51) as f64;
    const ROUND: f64 = (1u64 << 52) as f64;
    const SIGNED: f64 = (3u64 << 51) as f64;
    let (mut high, mut rest, mut fixed) = (0u64, 0i64, 0usize);
    for &x in block {
        let inside = in_fixed_range(x);
        let scaled = if inside { x * SCALE_HIGH } else { 0.0 };
        let rounded = scaled + ROUND; // h + 2^52, exactly: h <= 2^32
        high += rounded.to_bits() - ROUND.to_bits();
        // scaled - h is exact (a multiple of scaled's ulp, at least 2^-51, and at most 1/2).
        let v = (scaled - (rounded - ROUND)) * SCALE_REST;
        rest += (v + SIGNED).to_bits() as i64 - SIGNED.to_bits() as i64;
        fixed += usize::from(inside);
    }
    // (Non-negative: the exact sum of non-negative values.)
    (((i128::from(high) << 51) + i128::from(rest)) as u128, fixed)
}

/// The double nearest (ties to even) to `digits` (base 2^32, lowest first) times
/// 2^`unit`, plus a positive amount below bit `known` when `sticky` (the bits below
/// `known` are zero in `digits`). Normal results keep 53 bits; subnormal ones the bits
/// from 2^-1074 up. `known` is at most the result's last kept bit minus one.
fn round_digits(digits: &[u32], known: usize, sticky: bool, unit: i32) -> f64 {
    let digit = |k: usize| u128::from(*digits.get(k).unwrap_or(&0));
    // Whether any bit below `position` is set.
    let any_below = |position: usize| {
        let (k, shift) = (position / 32, position % 32);
        digits[..k].iter().any(|&d| d != 0) || digits[k] & ((1u32 << shift) - 1) != 0
    };
    let Some(top_digit) = digits.iter().rposition(|&d| d != 0) else {
        return 0.0;
    };
    let top = 32 * top_digit + 31 - digits[top_digit].leading_zeros() as usize;
    // The lowest bit kept: 52 below the top, but not below 2^-1074.
    let smallest = (-1074 - unit) as usize;
    let low = top.saturating_sub(52).max(smallest);
    debug_assert!(low > known, "the division kept the rounding bit");
    // Bits low..=top (at most 53) from the three digits from low's up.
    let (k, shift) = (low / 32, low % 32);
    let window = (digit(k) | digit(k + 1) << 32 | digit(k + 2) << 64) >> shift;
    // (None where the top bit lies below the lowest kept, half the smallest subnormal or
    // less: only the rounding bit and those below it decide.)
    let width = (top + 1).saturating_sub(low);
    let mut kept = (window & ((1u128 << width) - 1)) as u64;
    let round = digits[(low - 1) / 32] >> ((low - 1) % 32) & 1 == 1;
    let below = sticky || any_below(low - 1);
    kept += u64::from(round && (below || kept & 1 == 1));
    // kept * 2^(low + unit): kept <= 2^53, exact but for an overflow past the largest.
    let scale = low as i32 + unit;
    let (a, b) = (scale / 2, scale - scale / 2);
    kept as f64 * pow2(a) * pow2(b)
}

/// 2^e for -1022 <= e <= 1023.
fn pow2(e: i32) -> f64 {
    debug_assert!((-1022..=1023).contains(&e));
    f64::from_bits(((e + 1023) as u64) << 52)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(values: &[f64]) -> f64 {
        let mut s = ExactSum::default();
        values.iter().for_each(|&v| s.add(v));
        s.value()
    }

    #[test]
    fn exact_where_naive_summation_is_not() {
        assert_eq!(sum(&[0.1; 10]), 1.0);
        assert_eq!(sum(&[1e16, 1.0, 1.0]), 1.0000000000000002e16);
        assert_eq!(sum(&[]), 0.0);
        assert_eq!(sum(&[-0.0, 0.0]), 0.0);
    }

    #[test]
    fn rounds_to_nearest_with_ties_to_even() {
        let half_ulp = f64::EPSILON / 2.0; // 2^-53: exactly half an ulp of 1.0
        assert_eq!(sum(&[1.0, half_ulp]), 1.0);
        assert_eq!(sum(&[1.0, half_ulp, 1e-300]), 1.0 + f64::EPSILON);
        let odd = 1.0 + f64::EPSILON;
        assert_eq!(sum(&[odd, half_ulp]), 1.0 + 2.0 * f64::EPSILON);
    }

    #[test]
    fn subnormals_and_the_largest_doubles() {
        let tiny = f64::from_bits(1);
        assert_eq!(sum(&[tiny; 3]), f64::from_bits(3));
        assert_eq!(
            sum(&[f64::MIN_POSITIVE, tiny]),
            f64::from_bits(f64::MIN_POSITIVE.to_bits() + 1)
        );
        assert_eq!(sum(&[f64::MAX, tiny]), f64::MAX);
        assert_eq!(sum(&[f64::MAX, f64::MAX]), f64::INFINITY);
        assert_eq!(sum(&[f64::MAX / 2.0, f64::MAX / 2.0]), f64::MAX);
    }

    #[test]
    fn any_split_and_merge_gives_the_same_digits() {
        let values: Vec<f64> = (0..2000).map(|i| ((i * 7919) % 1000) as f64 / 997.0).collect();
        let whole = {
            let mut s = ExactSum::default();
            values.iter().for_each(|&v| s.add(v));
            s
        };
        for cut in [0, 1, 999, 2000] {
            let (mut a, mut b) = (ExactSum::default(), ExactSum::default());
            values[..cut].iter().rev().for_each(|&v| a.add(v));
            values[cut..].iter().for_each(|&v| b.add(v));
            b.merge(&a);
            assert_eq!(b.parts(), whole.parts());
            assert_eq!(b.value(), whole.value());
        }
        let (low, digits) = whole.parts();
        assert_eq!(ExactSum::from_parts(low, &digits).unwrap().value(), whole.value());
        assert!(ExactSum::from_parts(LIMBS as u32, &[1]).is_err());
    }

    #[test]
    fn both_paths_and_their_boundaries_agree() {
        let fast = [1.0, 0.75, f64::from_bits(FAST_MIN_BITS), 0.1, 1.0 - f64::EPSILON / 2.0];
        let slow = [f64::from_bits(FAST_MIN_BITS - 1), 1.0 + f64::EPSILON, 3.5, 1e-300, 2.0];
        let mut both = ExactSum::default();
        let mut only_slow = ExactSum::default();
        for &v in fast.iter().chain(&slow) {
            both.add(v);
            only_slow.add_bits(
                (v.to_bits() & ((1 << 52) - 1)) | (1 << 52),
                (v.to_bits() >> 52) as usize - 1,
            );
        }
        assert_eq!(both.parts(), only_slow.parts());
        assert_eq!(sum(&[1.0; 1000]), 1000.0);
        // The u128 wraps into the high word: 2^20 values of 1.0 - 2^-53 at 2^127 units each.
        let mut many = ExactSum::default();
        (0..(1 << 20)).for_each(|_| many.add(1.0 - f64::EPSILON / 2.0));
        assert_eq!(
            many.value(),
            (1u64 << 20) as f64 - (1u64 << 20) as f64 * f64::EPSILON / 2.0
        );
    }

    #[test]
    fn adding_all_at_once_equals_adding_one_by_one() {
        let mixed: Vec<f64> = (0..1001)
            .map(|i| match i % 5 {
                0 => 2.5 + i as f64,                // limbs
                1 => f64::from_bits(FAST_MIN_BITS), // fast path's smallest
                _ => 1.0 - f64::EPSILON / 2.0,      // fast path's largest below 1.0
            })
            .collect();
        for len in [0, 1, 2, 999, 1000, 1001] {
            let mut one_by_one = ExactSum::default();
            mixed[..len].iter().for_each(|&v| one_by_one.add(v));
            let mut at_once = ExactSum::default();
            at_once.add(0.5); // a fast-path sum already there
            assert_eq!(at_once.add_all(mixed[..len].iter().copied()), len as u64);
            one_by_one.add(0.5);
            assert_eq!(at_once.parts(), one_by_one.parts(), "{len} values");
        }
        // Both partial sums wrap their u128 into the carries, and so does their sum.
        let mut many = ExactSum::default();
        many.add_all(std::iter::repeat_n(1.0 - f64::EPSILON / 2.0, 1 << 22));
        assert_eq!(
            many.value(),
            (1u64 << 22) as f64 - (1u64 << 22) as f64 * f64::EPSILON / 2.0
        );
    }

    #[test]
    fn adding_present_values_by_exponent_equals_adding_them_one_by_one() {
        // Every bucket's edge and the values beside it, NaN (skipped, not counted), zeros
        // and values for the limbs, in runs long enough to fill a lane's bucket with the
        // largest significands many times over (the buckets are emptied every BLOCK).
        let below = f64::from_bits(((BUCKET_MIN_EXPONENT as u64) << 52) - 1);
        let edges = [
            f64::from_bits((BUCKET_MIN_EXPONENT as u64) << 52), // 2^-64
            below,
            1.0,
            2.0 - f64::EPSILON, // exponent 1023, the largest significand
            2.0,
            0.0,
            -0.0,
            f64::NAN,
            1e-300,
            f64::from_bits(1),
            1e300,
            0.7,
        ];
        let values: Vec<f64> = (0..3 * BLOCK + 77)
            .map(|i| {
                if i % 1000 < 900 {
                    2.0 - f64::EPSILON
                } else {
                    edges[i % edges.len()]
                }
            })
            .collect();
        for len in [
            0,
            1,
            31,
            32,
            33,
            100,
            255,
            256,
            257,
            BLOCK - 1,
            BLOCK,
            BLOCK + 1,
            values.len(),
        ] {
            let mut one_by_one = ExactSum::default();
            one_by_one.add(0.5); // a sum already there
            let present: Vec<f64> = values[..len].iter().copied().filter(|x| !x.is_nan()).collect();
            present.iter().for_each(|&v| one_by_one.add(v));
            let mut at_once = ExactSum::default();
            at_once.add(0.5);
            assert_eq!(at_once.add_present(values[..len].iter().copied()), present.len() as u64);
            assert_eq!(at_once.parts(), one_by_one.parts(), "{len} values");
            assert_eq!(at_once.value(), one_by_one.value(), "{len} values");
        }
        // A run of one exponent in every lane: 8 blocks of the largest significand at 1.0.
        let mut many = ExactSum::default();
        let n = 8 * BLOCK;
        many.add_present(std::iter::repeat_n(2.0 - f64::EPSILON, n));
        assert_eq!(many.value(), 2.0 * n as f64 - n as f64 * f64::EPSILON);
        // An iterator whose size hint understates it takes one lane and still empties it
        // every 2^11 values (5,000 of the largest significand would overflow a bucket).
        struct Understated(usize);
        impl Iterator for Understated {
            type Item = f64;
            fn next(&mut self) -> Option<f64> {
                self.0 = self.0.checked_sub(1)?;
                Some(2.0 - f64::EPSILON)
            }
            fn size_hint(&self) -> (usize, Option<usize>) {
                (ONE_LANE_MIN, Some(ONE_LANE_MIN))
            }
        }
        let mut understated = ExactSum::default();
        assert_eq!(understated.add_present(Understated(5_000)), 5_000);
        assert_eq!(understated.value(), 2.0 * 5_000.0 - 5_000.0 * f64::EPSILON);
    }

    #[test]
    fn slices_in_fixed_point_equal_adding_one_by_one() {
        // The fixed-point range's ends and the values beside them, values with bits down
        // to 2^-83, ties when rounding to 2^-32 (the rest at +-2^50, its most), values for
        // the other paths and NaN, in blocks full of the largest rests and of 1.0 (each
        // sum at its most), lengths around the block; both compilations.
        let ulp_above = |x: f64| f64::from_bits(x.to_bits() + 1);
        let tie = 0.5 + 1.0 / (1u64 << 33) as f64;
        let edges = [
            FIXED_MIN,
            ulp_above(FIXED_MIN),
            f64::from_bits(FIXED_MIN.to_bits() - 1),
            1.0,
            ulp_above(1.0),
            0.0,
            -0.0,
            tie,
            ulp_above(ulp_above(tie)),       // just past a tie: rounds up
            0.5 + 3.0 / (1u64 << 33) as f64, // a tie rounding up
            f64::NAN,
            f64::from_bits(1),
            1e-300,
            3.5,
            1e300,
        ];
        let mut next = crate::test_random::xorshift(0x94d0_49bb_1331_11eb);
        let mut values: Vec<f64> = (0..3 * FIXED_BLOCK + 77)
            .map(|i| match i % 13 {
                0 => edges[(i / 13) % edges.len()],
                _ => (next() >> 11) as f64 / (1u64 << 53) as f64,
            })
            .collect();
        values.extend(std::iter::repeat_n(tie, FIXED_BLOCK));
        values.extend(std::iter::repeat_n(1.0, FIXED_BLOCK));
        let lengths = [0, 1, 3, 13, FIXED_BLOCK - 1, FIXED_BLOCK, FIXED_BLOCK + 1, values.len()];
        for slice in lengths
            .map(|n| &values[..n])
            .into_iter()
            .chain([&values[3 * FIXED_BLOCK + 77..]])
        {
            let mut one_by_one = ExactSum::default();
            one_by_one.add(0.25); // a sum already there
            let present: Vec<f64> = slice.iter().copied().filter(|x| !x.is_nan()).collect();
            present.iter().for_each(|&v| one_by_one.add(v));
            for baseline in [false, true] {
                let mut at_once = ExactSum::default();
                at_once.add(0.25);
                let count = match baseline {
                    false => at_once.add_present_slice(slice),
                    true => crate::wide::on_baseline(|| at_once.add_present_slice(slice)),
                };
                let name = format!("{} values, baseline {baseline}", slice.len());
                assert_eq!(count, present.len() as u64, "{name}");
                assert_eq!(at_once.parts(), one_by_one.parts(), "{name}");
            }
        }
    }

    /// Values of every range the paths split on: zeros, subnormals, below and inside the
    /// fast and fixed-point ranges, [1, 2) (the top bucket), and far above.
    fn mixed_values(seed: u64, n: usize) -> Vec<f64> {
        let mut next = crate::test_random::xorshift(seed);
        (0..n)
            .map(|_| {
                let bits = next();
                let fraction = f64::from_bits(bits >> 12 | 0x3FF0_0000_0000_0000) - 1.0;
                match bits % 8 {
                    0 => 0.0,
                    1 => f64::from_bits(bits >> 13), // subnormal or tiny normal
                    2 => fraction * 1e-12,           // [2^-64, 2^-31)
                    3 => 1.0 + fraction,             // the top bucket: [1, 2)
                    4 => fraction * 1e200,
                    _ => fraction, // [0, 1): quality scores
                }
            })
            .collect()
    }

    /// The sum of `values` added one by one, as digits.
    fn one_by_one(values: &[f64]) -> (u32, Vec<u32>) {
        let mut s = ExactSum::default();
        values.iter().for_each(|&v| s.add(v));
        s.parts()
    }

    #[test]
    fn parts_stored_loaded_and_merged_in_any_order_keep_every_digit() {
        for seed in 1..40u64 {
            let values = mixed_values(seed, 3000);
            let cuts = [0, (seed as usize * 37) % 3000, (seed as usize * 911) % 3000, 3000];
            let (low, high) = (cuts[1].min(cuts[2]), cuts[1].max(cuts[2]));
            let parts = [&values[..low], &values[low..high], &values[high..]];
            // Each part added by another path, stored and loaded, then merged.
            let mut sums = parts.map(|_| ExactSum::default());
            sums[0].add_present_slice(parts[0]);
            sums[1].add_present(parts[1].iter().copied());
            parts[2].iter().for_each(|&v| sums[2].add(v));
            let loaded = sums.map(|s| {
                let (low, digits) = s.parts();
                ExactSum::from_parts(low, &digits).unwrap()
            });
            let mut merged = ExactSum::default();
            for i in [2, 0, 1].iter().cycle().skip(seed as usize % 3).take(3) {
                merged.merge(&loaded[*i]);
            }
            assert_eq!(merged.parts(), one_by_one(&values), "seed {seed}");
        }
    }

    #[test]
    fn quality_score_sums_never_make_the_limbs() {
        let scores: Vec<f64> = mixed_values(7, 5000)
            .into_iter()
            .filter(|v| (1e-12..=1.0).contains(v))
            .collect();
        let mut slice = ExactSum::default();
        slice.add_present_slice(&scores);
        let mut present = ExactSum::default();
        present.add_present(scores.iter().copied());
        let (low, digits) = slice.parts();
        let mut loaded = ExactSum::from_parts(low, &digits).unwrap();
        loaded.merge(&present);
        for sum in [&slice, &present, &loaded] {
            assert!(sum.limbs.is_none(), "a sum of quality scores made the limbs");
        }
        let doubled: Vec<f64> = scores.iter().chain(&scores).copied().collect();
        assert_eq!(loaded.parts(), one_by_one(&doubled));
    }

    #[test]
    fn fast_sums_whose_carries_would_overflow_merge_through_the_limbs() {
        let near_full = ExactSum {
            fast_low: u128::MAX - 5,
            fast_high: u64::MAX - 1,
            limbs: None,
        };
        let other = ExactSum {
            fast_low: 9,
            fast_high: 3,
            limbs: None,
        };
        let mut expected = Limbs::default();
        expected.add_fast(near_full.fast_low, near_full.fast_high);
        expected.add_fast(other.fast_low, other.fast_high);
        expected.normalize();
        let mut merged = near_full.clone();
        merged.merge(&other);
        assert!(merged.limbs.is_some());
        assert_eq!(merged.digits(), expected.digits.map(|limb| limb as u32));
        // A wide value past the fast sum's carries goes to the limbs as well.
        let mut wide = near_full.clone();
        wide.add_wide(u128::MAX, FAST_POSITION + 100);
        let mut expected = Limbs::default();
        expected.add_fast(near_full.fast_low, near_full.fast_high);
        expected.add_bits(u64::MAX, FAST_POSITION + 100);
        expected.add_bits(u64::MAX, FAST_POSITION + 164);
        expected.normalize();
        assert_eq!(wide.digits(), expected.digits.map(|limb| limb as u32));
    }

    #[test]
    fn sums_doubled_by_merges_stay_exact_past_the_fast_sums_carries() {
        // Merging a sum with itself 70 times takes the fast sum's carries past 2^64: they
        // must move to the limbs before any unchecked carry could overflow.
        for extra in [0, 1, 3] {
            let (mut sum, mut expected) = (ExactSum::default(), Limbs::default());
            sum.add(1.0);
            expected.add_bits(1, 1074);
            for step in 0..70 {
                sum.merge(&sum.clone());
                for _ in 0..extra {
                    sum.add(1.0);
                }
                // The same in the limbs alone: doubled, plus `extra` ones.
                expected.normalize();
                let doubled = expected.digits;
                for (mine, theirs) in expected.digits.iter_mut().zip(doubled) {
                    *mine += theirs;
                }
                (0..extra).for_each(|_| expected.add_bits(1, 1074));
                let mut digits = expected.clone();
                digits.normalize();
                assert_eq!(sum.digits(), digits.digits.map(|limb| limb as u32), "step {step}");
            }
        }
    }

    #[test]
    fn carries_survive_many_additions() {
        // Values above 1.0: the limb path.
        let value = f64::from_bits(((40 * 32 + 1) as u64) << 52 | ((1 << 52) - 1));
        let mut s = ExactSum::default();
        let limbs = s.limbs_mut();
        limbs.pending = CARRY_EVERY - 3;
        limbs.digits[40] = DIGIT;
        (0..10).for_each(|_| s.add(value));
        let mut expected = ExactSum::default();
        expected.limbs_mut().digits[40] = DIGIT;
        (0..10).for_each(|_| expected.add(value));
        assert_eq!(s.value(), expected.value());
        assert!(s.limbs.as_ref().is_some_and(|limbs| limbs.pending < 10));
    }
}
