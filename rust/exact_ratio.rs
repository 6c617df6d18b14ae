//! Ratios of microsecond counts (hours, days) rounded once, as Python's `int / int` and
//! DESIGN.md's exact arithmetic round them. `a as f64 / b as f64` rounds `a` first once it
//! passes 2^53 microseconds (285 years), and the second rounding can move the last bit: a
//! window of a few centuries gave a `time_since_last_use` one ulp from the reference.

/// 2^-64, exact as a double: scales back a quotient taken of `num << 64`.
const TWO_TO_MINUS_64: f64 = 1.0 / 18_446_744_073_709_551_616.0;

/// `num / den` rounded to the nearest double (ties to even), for `0 < den <= 2^53`.
pub fn ratio(num: i64, den: i64) -> f64 {
    debug_assert!(den > 0 && den <= 1 << 53, "den {den} outside (0, 2^53]");
    let magnitude = num.unsigned_abs();
    if magnitude <= 1 << 53 {
        return num as f64 / den as f64; // (both exact: IEEE division rounds once)
    }
    // The quotient of `magnitude * 2^64` has at least 117 - 53 = 64 bits, far more than a
    // double's 53 and its guard bit; a nonzero remainder sets the lowest, a sticky bit, so
    // that converting it rounds as the exact quotient would (u128 -> f64 rounds to nearest,
    // ties to even). Scaling by 2^-64 is exact.
    let scaled = u128::from(magnitude) << 64;
    let den = den as u128;
    let sticky = u128::from(scaled % den != 0);
    let value = ((scaled / den) | sticky) as f64 * TWO_TO_MINUS_64;
    if num < 0 {
        -value
    } else {
        value
    }
}

/// `num / den` rounded to the nearest double (ties to even), for `0 < den <= 2^53` and any
/// 128-bit `num` (a duration's count times its unit: `duration_ms`).
pub fn ratio_wide(num: i128, den: u64) -> f64 {
    debug_assert!(den > 0 && den <= 1 << 53, "den {den} outside (0, 2^53]");
    let magnitude = num.unsigned_abs();
    if magnitude <= 1 << 53 {
        return num as f64 / den as f64; // (both exact: IEEE division rounds once)
    }
    // Shifted until its top bit is set (no overflow), the quotient has at least
    // 128 - 53 = 75 bits, more than a double's 53 and its guard bit, so a nonzero
    // remainder set as the lowest bit (sticky) rounds as the exact quotient would; the
    // shift is at most 127 - 54, so scaling back by 2^-shift is exact.
    let shift = magnitude.leading_zeros();
    let scaled = magnitude << shift;
    let den = u128::from(den);
    let sticky = u128::from(!scaled.is_multiple_of(den));
    let value = ((scaled / den) | sticky) as f64 * 2f64.powi(-(shift as i32));
    if num < 0 {
        -value
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000_000;
    const DAY: i64 = 86_400_000_000;

    #[test]
    fn rounds_once_where_the_float_numerator_rounds_first() {
        // Python's `n / d` of these (each differs from `float(n) / d` in its last bit).
        let cases = [
            (3_315_913_621_273_690_265, HOUR, 921_087_117.020_469_5),
            (6_022_938_122_460_462_633, HOUR, 1_673_038_367.350_128_4),
            (949_555_024_520_014_184, HOUR, 263_765_284.588_892_82),
            (2_308_677_191_877_906_245, DAY, 26_720_800.831_920_21),
            (1_688_358_757_723_809_821, DAY, 19_541_189.325_507_06),
            (7_036_528_875_448_029_790, DAY, 81_441_306.428_796_63),
        ];
        for (num, den, expected) in cases {
            assert_eq!(ratio(num, den), expected, "{num} / {den}");
            assert_ne!(num as f64 / den as f64, expected, "{num} / {den} was no hard case");
            assert_eq!(ratio(-num, den), -expected, "-{num} / {den}");
        }
    }

    #[test]
    fn numerators_up_to_two_to_the_53_divide_as_floats() {
        for num in [0, 1, -1, HOUR, 7 * DAY + 3, 1 << 53, -(1 << 53)] {
            for den in [1, HOUR, DAY] {
                assert_eq!(ratio(num, den), num as f64 / den as f64, "{num} / {den}");
            }
        }
        assert_eq!(ratio(i64::MIN, 1), -9_223_372_036_854_775_808_f64); // (|i64::MIN| > i64::MAX)
        assert_eq!(ratio(i64::MAX, 1), 9_223_372_036_854_775_808_f64); // (2^63 - 1 rounds up)
    }

    #[test]
    fn wide_ratios_round_as_the_narrow_ones_and_as_python() {
        for (num, den) in [
            (3_315_913_621_273_690_265, HOUR),
            (-7_036_528_875_448_029_790, DAY),
            (i64::MAX, 1_000_000),
            (i64::MIN, 1_000),
            (1 << 53, 3),
            (12_345, 1_000),
        ] {
            assert_eq!(
                ratio_wide(i128::from(num), den as u64),
                ratio(num, den),
                "{num} / {den}"
            );
        }
        // Python's `n / d` of these (n past 64 bits).
        // (The last three: `n as f64 / d` rounds differently.)
        let cases: [(i128, u64, f64); 7] = [
            (86_399_999_999_999_999_999, 1_000, 8.64e16),
            (-86_399_999_999_999_999_999, 1_000, -8.64e16),
            (
                123_456_789_012_345_678_901_234_567,
                1_000_000,
                1.234_567_890_123_456_8e20,
            ),
            (i128::MAX, 1, 1.7014118346046923e38),
            (186_742_255_361_062_878_264_603_704, 1_000_000, 1.8674225536106286e20),
            (699_997_800_961_046_629_543_173_558, 1_000, 6.999978009610467e23),
            (-491_066_671_163_626_342_496_142_543, 1_000, -4.9106667116362636e23),
        ];
        for (num, den, expected) in cases {
            assert_eq!(ratio_wide(num, den), expected, "{num} / {den}");
        }
        for (num, den, _) in &cases[4..] {
            assert_ne!(
                *num as f64 / *den as f64,
                ratio_wide(*num, *den),
                "{num} / {den} was no hard case"
            );
        }
        assert_eq!(ratio_wide(i128::MIN, 1), -1.7014118346046923e38);
        assert_eq!(ratio_wide(0, 1_000_000).to_bits(), 0.0f64.to_bits());
    }
}
