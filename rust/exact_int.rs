//! Integers that stay i128 while they fit and become big integers (num-bigint) past it,
//! and the double nearest a ratio of two (ties to even): the arithmetic of the exact trend
//! figures (`exact_shape`). Their sums fit i128 for most windows (buckets of minutes,
//! hours or days: a few dozen bits), but microsecond buckets and huge counts take them to
//! about 2^270. A big integer allocates: with every sum one, finalizing a pattern took 2-3 us
//! longer (`benches/trend_figures.py`, session 55), so they are taken only past i128.

use std::cmp::Ordering;
use std::ops::{Add, Mul, Sub};

use num_bigint::{BigInt, BigUint, Sign};

/// An exact integer: i128 while it fits, else a big integer (never turned back).
#[derive(Clone, Debug)]
pub enum Int {
    Small(i128),
    Big(BigInt),
}

impl Int {
    fn into_big(self) -> BigInt {
        match self {
            Int::Small(small) => BigInt::from(small),
            Int::Big(big) => big,
        }
    }

    fn to_big(&self) -> BigInt {
        self.clone().into_big()
    }

    pub fn is_zero(&self) -> bool {
        match self {
            Int::Small(small) => *small == 0,
            Int::Big(big) => big.sign() == Sign::NoSign,
        }
    }

    pub fn is_positive(&self) -> bool {
        match self {
            Int::Small(small) => *small > 0,
            Int::Big(big) => big.sign() == Sign::Plus,
        }
    }

    /// The double nearest the integer (ties to even).
    pub fn to_f64(&self) -> f64 {
        match self {
            Int::Small(small) => *small as f64, // (i128 -> f64 rounds to nearest, ties to even)
            Int::Big(big) => nearest_big(big, &BigInt::from(1)),
        }
    }
}

/// A finite double as `mantissa * 2^exponent`, exactly (the mantissa odd, or 0).
pub fn dyadic(value: f64) -> (i64, i64) {
    debug_assert!(value.is_finite(), "{value}");
    let bits = value.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i64;
    let fraction = (bits & ((1 << 52) - 1)) as i64;
    let (mut mantissa, mut exponent) = if biased == 0 {
        (fraction, -1074) // subnormal (or zero)
    } else {
        (fraction | (1 << 52), biased - 1075)
    };
    if mantissa == 0 {
        return (0, 0);
    }
    let zeros = mantissa.trailing_zeros();
    mantissa >>= zeros;
    exponent += i64::from(zeros);
    (if value < 0.0 { -mantissa } else { mantissa }, exponent)
}

/// How `lhs` compares with `rhs * mantissa * 2^exponent`, exactly (big integers: for the
/// rare comparisons floats leave undecided).
pub fn compare_scaled(lhs: &Int, rhs: &Int, mantissa: &BigInt, exponent: i64) -> Ordering {
    let (mut lhs, mut rhs) = (lhs.to_big(), rhs.to_big() * mantissa);
    if exponent >= 0 {
        rhs <<= exponent as u64;
    } else {
        lhs <<= exponent.unsigned_abs();
    }
    lhs.cmp(&rhs)
}

impl From<i128> for Int {
    fn from(small: i128) -> Int {
        Int::Small(small)
    }
}

impl From<u128> for Int {
    fn from(value: u128) -> Int {
        i128::try_from(value).map_or_else(|_| Int::Big(BigInt::from(value)), Int::Small)
    }
}

/// `impl $op for Int`: the i128 operation while it does not overflow, else the big one.
macro_rules! promoting {
    ($op:ident, $method:ident, $checked:ident) => {
        impl $op for Int {
            type Output = Int;
            fn $method(self, other: Int) -> Int {
                match (self, other) {
                    (Int::Small(a), Int::Small(b)) => a
                        .$checked(b)
                        .map_or_else(|| Int::Big(BigInt::from(a).$method(BigInt::from(b))), Int::Small),
                    (a, b) => Int::Big(a.into_big().$method(b.into_big())),
                }
            }
        }
    };
}
promoting!(Add, add, checked_add);
promoting!(Sub, sub, checked_sub);
promoting!(Mul, mul, checked_mul);

/// `numerator / denominator` (> 0) rounded to the nearest double, ties to even.
pub fn nearest(numerator: &Int, denominator: &Int) -> f64 {
    match (numerator, denominator) {
        (Int::Small(num), Int::Small(den)) if *den > 0 => nearest_small(*num, den.unsigned_abs()),
        _ => nearest_big(&numerator.to_big(), &denominator.to_big()),
    }
}

/// `nearest` of an i128 over a positive i128 (`den` < 2^127).
fn nearest_small(num: i128, den: u128) -> f64 {
    let magnitude = num.unsigned_abs();
    if magnitude == 0 {
        return 0.0;
    }
    let value = if magnitude <= 1 << 53 && den <= 1 << 53 {
        magnitude as f64 / den as f64 // (both exact: IEEE division rounds once)
    } else {
        // The numerator shifted until its top bit is set, then the quotient long-divided a
        // bit at a time (the remainder < den < 2^127 doubles without overflow; at most two
        // steps for a denominator below 2^64) to 66 bits: 13 below a double's 53, so a
        // nonzero remainder set as its lowest bit (sticky) rounds it as the exact quotient
        // would round, and u128 -> f64 rounds to nearest, ties to even. The scale is at
        // most 2^-193: undone exactly.
        let shift = magnitude.leading_zeros();
        let scaled = magnitude << shift;
        let (mut quotient, mut remainder) = (scaled / den, scaled % den);
        let mut steps = 0;
        while quotient < 1 << 65 {
            remainder <<= 1;
            quotient <<= 1;
            if remainder >= den {
                remainder -= den;
                quotient |= 1;
            }
            steps += 1;
        }
        let sticky = u128::from(remainder != 0);
        (quotient | sticky) as f64 * power_of_two(-i64::from(shift + steps))
    };
    if num < 0 {
        -value
    } else {
        value
    }
}

/// `numerator / denominator` (> 0) rounded to the nearest double, ties to even.
pub fn nearest_big(numerator: &BigInt, denominator: &BigInt) -> f64 {
    debug_assert_eq!(denominator.sign(), Sign::Plus, "a positive denominator");
    let (num, den) = (numerator.magnitude(), denominator.magnitude());
    if num.bits() == 0 {
        return 0.0;
    }
    // A quotient of 66 or 67 bits: 13 or more below a double's 53, so a nonzero remainder
    // set as its lowest bit (sticky) rounds it as the exact quotient would round, and
    // u128 -> f64 rounds to nearest, ties to even. Scaling back by a power of two is exact
    // (the quotients here stay far inside the normal doubles: |shift| < 600).
    let shift = 66 + den.bits() as i64 - num.bits() as i64;
    let (quotient, exact) = if shift >= 0 {
        let scaled = num << shift as u64;
        let quotient = &scaled / den;
        let exact = &quotient * den == scaled;
        (quotient, exact)
    } else {
        let scaled = den << shift.unsigned_abs();
        let quotient = num / &scaled;
        let exact = &quotient * &scaled == *num;
        (quotient, exact)
    };
    let value = (low_u128(&quotient) | u128::from(!exact)) as f64 * power_of_two(-shift);
    if numerator.sign() == Sign::Minus {
        -value
    } else {
        value
    }
}

/// The value of `n` (< 2^128).
fn low_u128(n: &BigUint) -> u128 {
    debug_assert!(n.bits() <= 128);
    n.iter_u64_digits()
        .take(2)
        .enumerate()
        .fold(0, |sum, (i, digit)| sum | u128::from(digit) << (64 * i))
}

/// 2^`exponent`, exactly, for -1022 <= exponent <= 1023.
fn power_of_two(exponent: i64) -> f64 {
    debug_assert!((-1022..=1023).contains(&exponent), "2^{exponent}");
    f64::from_bits(((exponent + 1023) as u64) << 52)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_random::xorshift;

    #[test]
    fn big_ratios_round_as_ieee_division_of_exact_operands() {
        // Operands up to 2^53 are exact doubles, and IEEE division rounds their quotient once.
        let mut next = xorshift(0x5EED_1234_ABCD_0001);
        for round in 0..200_000u64 {
            let bits = [53, 20, 3, 40][(round % 4) as usize];
            let num = (next() % (1 << bits)) as i64 * if next().is_multiple_of(2) { 1 } else { -1 };
            let den = 1 + (next() % ((1 << [53, 53, 2, 12][(round % 4) as usize]) - 1)) as i64;
            let expected = num as f64 / den as f64;
            let got = nearest_big(&BigInt::from(num), &BigInt::from(den));
            assert_eq!(got.to_bits(), expected.to_bits(), "{num} / {den}");
        }
    }

    #[test]
    fn big_ratios_break_ties_to_even_past_53_bits() {
        let two53 = BigInt::from(1u64 << 53);
        let one = BigInt::from(1);
        // 2^53 + 1 lies halfway between 2^53 and 2^53 + 2: to the even one, 2^53.
        assert_eq!(nearest_big(&(&two53 + 1u32), &one), 9_007_199_254_740_992.0);
        // 2^53 + 3 lies halfway between 2^53 + 2 and 2^53 + 4: to the even one, 2^53 + 4.
        assert_eq!(nearest_big(&(&two53 + 3u32), &one), 9_007_199_254_740_996.0);
        // A hair above the tie rounds up: (2^54 + 2 + 1/3) / 2 ... = (3 * 2^54 + 7) / 6.
        let above = BigInt::from(3u128 << 54) + 7u32;
        assert_eq!(nearest_big(&above, &BigInt::from(6)), 9_007_199_254_740_994.0);
        // Huge operands: (2^200 + 1) / 2^100 is 2^100 (the + 1 far below its last bit).
        let big: BigInt = BigInt::from(1) << 200u32;
        assert_eq!(
            nearest_big(&(&big + 1u32), &(BigInt::from(1) << 100u32)),
            2f64.powi(100)
        );
        let negative: BigInt = -(&big + 1u32);
        assert_eq!(nearest_big(&negative, &(BigInt::from(1) << 300u32)), -(2f64.powi(-100)));
        assert_eq!(nearest_big(&BigInt::ZERO, &BigInt::from(7)).to_bits(), 0.0f64.to_bits());
    }

    #[test]
    fn small_ratios_round_as_big_ones() {
        // Numerators and denominators of every size up to i128.
        let mut next = xorshift(0xABCD_EF01_2345_6789);
        for round in 0..200_000u32 {
            let high = (u128::from(next()) << 64 | u128::from(next())) >> (round % 128);
            let num = if next().is_multiple_of(2) {
                high as i128
            } else {
                -((high >> 1) as i128)
            };
            let wide = u128::from(next()) << 63 | u128::from(next());
            let den = (wide >> (next() % 127)).max(1);
            let (small, big) = (Int::from(num), (BigInt::from(num), BigInt::from(den)));
            let got = nearest(&small, &Int::from(den));
            assert_eq!(got.to_bits(), nearest_big(&big.0, &big.1).to_bits(), "{num} / {den}");
        }
        assert_eq!(nearest(&Int::from(0i128), &Int::from(u128::MAX >> 1)).to_bits(), 0);
        assert_eq!(nearest(&Int::from(i128::MIN + 1), &Int::from(u128::MAX >> 1)), -1.0);
        assert_eq!(nearest(&Int::from(1i128), &Int::from(u128::MAX >> 1)), 2f64.powi(-127));
    }

    #[test]
    fn doubles_are_exact_dyadic_rationals() {
        assert_eq!(dyadic(0.5), (1, -1));
        assert_eq!(dyadic(-2.0), (-1, 1));
        assert_eq!(dyadic(0.0), (0, 0));
        assert_eq!(dyadic(3.0), (3, 0));
        assert_eq!(dyadic(f64::from_bits(1)), (1, -1074));
        // 0.1 is 3602879701896397 / 2^55.
        assert_eq!(dyadic(0.1), (3_602_879_701_896_397, -55));
        let mut next = xorshift(0xD1AD_1C00);
        for _ in 0..10_000 {
            let value = f64::from_bits(next() >> 2) * if next().is_multiple_of(2) { 1.0 } else { -1.0 };
            let (mantissa, exponent) = dyadic(value);
            // (In two steps: 2^-1074 alone is no double.)
            let half = exponent as i32 / 2;
            let rebuilt = mantissa as f64 * 2f64.powi(half) * 2f64.powi(exponent as i32 - half);
            assert_eq!(rebuilt, value, "{value:e}");
        }
    }

    #[test]
    fn scaled_comparisons_are_exact() {
        let big = |v: i64| BigInt::from(v);
        // 5/10 against 0.5, and against its neighbours.
        let (five, ten) = (Int::from(5i128), Int::from(10i128));
        let (m, e) = dyadic(0.5);
        assert_eq!(compare_scaled(&five, &ten, &big(m), e), Ordering::Equal);
        let (m, e) = dyadic(0.5f64.next_up());
        assert_eq!(compare_scaled(&five, &ten, &big(m), e), Ordering::Less);
        let (m, e) = dyadic(0.5f64.next_down());
        assert_eq!(compare_scaled(&five, &ten, &big(m), e), Ordering::Greater);
        // 3 against 10 * 0.3: 0.3 is a hair below 3/10.
        let (m, e) = dyadic(0.3);
        assert_eq!(compare_scaled(&Int::from(3i128), &ten, &big(m), e), Ordering::Greater);
        // Past i128, and a large exponent.
        let huge = Int::from(i128::MAX) * Int::from(4i128);
        assert_eq!(
            compare_scaled(&huge, &Int::from(i128::MAX), &big(1), 2),
            Ordering::Equal
        );
        assert_eq!(
            compare_scaled(&Int::from(-1i128), &five, &big(-1), 3),
            Ordering::Greater
        );
    }

    #[test]
    fn overflowing_operations_become_big_integers() {
        let max = Int::from(i128::MAX);
        let big = |int: Int| match int {
            Int::Big(big) => big,
            Int::Small(small) => panic!("{small} stayed small"),
        };
        let expected = BigInt::from(i128::MAX);
        assert_eq!(big(max.clone() + Int::from(1i128)), &expected + 1u32);
        assert_eq!(
            big(Int::from(i128::MIN) - Int::from(1i128)),
            BigInt::from(i128::MIN) - 1u32
        );
        assert_eq!(big(max.clone() * max.clone()), &expected * &expected);
        assert_eq!(big(Int::from(u128::MAX)), BigInt::from(u128::MAX));
        // Once big, big: and exact, whatever follows.
        let product = max.clone() * Int::from(4i128) - max.clone() * Int::from(3i128);
        assert_eq!(big(product), expected);
        assert!(matches!(Int::from(6i128) * Int::from(7i128), Int::Small(42)));
    }
}
