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
}
