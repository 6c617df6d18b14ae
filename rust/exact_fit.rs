//! The decisions of the trend class that rest on the whole window's fit, made on exact
//! values: how the velocity compares with a threshold, whether the slope is significant,
//! and whether the rates are all equal.
//!
//! DESIGN.md's rule compares the velocity with its thresholds and the t-statistic with
//! `min_t_statistic`; the reference (tests/reference.py `classify_trend`, `least_squares`)
//! does so on Fractions. The velocity is the double nearest its exact value, so a
//! velocity exactly above 0.5 could round to 0.5 and not be GROWING; and the float fit's
//! t-statistic was off by 1e-5 relative (or more) where the rates are high and their
//! spread small (counts near 2^40 that differ by a few): "significant" decided either
//! way. Here both come from `exact_shape`'s integer sums, in integers where the doubles
//! cannot tell.

use std::cmp::Ordering;

use num_bigint::BigInt;

use crate::exact_int::{compare_scaled, dyadic, Int};

/// The whole window's fit in integers: `exact_shape`'s scaled points (X, Y) (see there),
/// with `b = k Σ XY - Σ X Σ Y`, `a = k Σ X² - (Σ X)²` and `c = k Σ Y² - (Σ Y)²` over its
/// `k` buckets (k² times the centred sums), and the velocity as a fraction.
#[derive(Clone, Debug)]
pub struct ExactFit {
    pub(crate) points: usize,
    pub(crate) b: Int,
    pub(crate) a: Int,
    pub(crate) c: Int,
    /// The velocity: `numerator / denominator` (> 0) exactly, and the double nearest it.
    pub(crate) numerator: Int,
    pub(crate) denominator: Int,
    pub(crate) velocity: f64,
}

impl ExactFit {
    /// The fit of fewer than two buckets: no slope (velocity 0, significant, not flat).
    pub fn none(points: usize) -> ExactFit {
        let zero = || Int::from(0i128);
        ExactFit {
            points,
            b: zero(),
            a: zero(),
            c: zero(),
            numerator: zero(),
            denominator: Int::from(1i128),
            velocity: 0.0,
        }
    }

    /// How the exact velocity compares with `threshold` (None if it is NaN).
    pub fn compare_velocity(&self, threshold: f64) -> Option<Ordering> {
        // Rounding to nearest is monotone and leaves a double as it is: where the rounded
        // velocity differs from the threshold, the exact one lies on the same side.
        if self.velocity != threshold || !threshold.is_finite() {
            return self.velocity.partial_cmp(&threshold);
        }
        let (mantissa, exponent) = dyadic(threshold);
        Some(compare_scaled(
            &self.numerator,
            &self.denominator,
            &BigInt::from(mantissa),
            exponent,
        ))
    }

    /// Whether every bucket's rate is the same (two or more buckets): Σ (y - ȳ)² = 0.
    pub fn flat(&self) -> bool {
        self.points >= 2 && self.c.is_zero()
    }

    /// DESIGN.md's significance, exactly: |t| >= `min_t`, where t² = b² (k - 2) / (a c - b²);
    /// fewer than three buckets or a perfect fit (a c = b²: no residual) are significant.
    /// (A `min_t` that is NaN or +inf: only those.)
    pub fn significant(&self, min_t: f64) -> bool {
        if self.points < 3 {
            return true;
        }
        let (b, a, c) = (self.b.clone(), self.a.clone(), self.c.clone());
        let residual = a * c - b.clone() * b.clone();
        if !residual.is_positive() {
            return true; // (a c - b² is k⁴ Sxx RSS >= 0: 0 is a perfect fit)
        }
        if min_t.is_nan() || min_t == f64::INFINITY {
            return false;
        }
        if min_t <= 0.0 {
            return true;
        }
        let explained = b.clone() * b * Int::from((self.points - 2) as i128);
        // In doubles first: t² from the exact integers is within 6 roundings (< 2e-15
        // relative) of its value, and min_t² within one, so outside 1e-13 of each other
        // they are decided. (min_t² is kept normal, where rounding is relative.)
        let (t_squared, min_squared) = (explained.to_f64() / residual.to_f64(), min_t * min_t);
        if (1e-250..=1e250).contains(&min_squared) {
            if t_squared > min_squared * (1.0 + 1e-13) {
                return true;
            }
            if t_squared < min_squared * (1.0 - 1e-13) {
                return false;
            }
        }
        let (mantissa, exponent) = dyadic(min_t);
        let square = BigInt::from(mantissa) * BigInt::from(mantissa);
        compare_scaled(&explained, &residual, &square, 2 * exponent) != Ordering::Less
    }
}

#[cfg(test)]
mod tests {
    use crate::buckets::Window;
    use crate::civil::MICROS_PER_DAY;
    use crate::exact_shape::exact_trend_dense;
    use crate::test_random::xorshift;
    use num_bigint::BigInt;
    use std::cmp::Ordering;

    const DAY: i64 = MICROS_PER_DAY;

    fn days(k: i64) -> Window {
        Window::new(0, k * DAY, "custom", Some(DAY)).unwrap()
    }

    #[test]
    fn equal_rates_of_buckets_of_two_widths_are_flat() {
        // 9 records per 3.5 h, and 15 in the last, 5/3 as wide: all 432/7 a day.
        let width = 3 * 3_600_000_000 + 1_800_000_000;
        let window = Window::new(0, 8 * width + width * 5 / 3, "custom", Some(width)).unwrap();
        let mut counts = vec![9; 8];
        counts.push(15);
        let (shape, fit) = exact_trend_dense(&window, &counts);
        assert!(fit.flat() && fit.significant(1e300));
        assert_eq!(shape.velocity.to_bits(), 0);
        counts[8] = 14;
        assert!(!exact_trend_dense(&window, &counts).1.flat());
    }

    #[test]
    fn a_t_statistic_of_exactly_two_is_significant_at_two() {
        // Daily counts 0, 0, 2, 8, 4: slope 8/5, residuals 96/5, sxx 10, so t² = 4 (in
        // floats, 1.9999999999999998).
        let fit = exact_trend_dense(&days(5), &[0, 0, 2, 8, 4]).1;
        assert!(fit.significant(2.0));
        assert!(!fit.significant(2f64.next_up()));
        assert!(fit.significant(1.5) && fit.significant(0.0));
        assert!(!fit.significant(f64::INFINITY) && !fit.significant(f64::NAN));
        // A perfect line, and too few buckets.
        assert!(exact_trend_dense(&days(5), &[1, 2, 3, 4, 5]).1.significant(1e300));
        assert!(exact_trend_dense(&days(2), &[1, 3]).1.significant(1e300));
    }

    /// t² = b² (k - 2) / (a c - b²) against the fit's answer, for counts near 2^40 that
    /// differ by a few (where the float fit's t was 1e-5 off) and a `min_t` at, or a
    /// double beside, the exact t (rounded), and at 2 (small integers: the i128 path).
    #[test]
    fn significance_is_exact_at_the_threshold() {
        let mut next = xorshift(0x5161_F1CA);
        for round in 0..300 {
            let k = 3 + (next() % 30) as i64;
            let counts: Vec<u64> = (0..k)
                .map(|_| if round % 2 == 0 { 1 << 40 } else { 0 } + next() % 4)
                .collect();
            let fit = exact_trend_dense(&days(k), &counts).1;
            let (b, a, c) = (big(&fit.b), big(&fit.a), big(&fit.c));
            let residual = &a * &c - &b * &b;
            if residual == BigInt::ZERO {
                continue;
            }
            let explained = &b * &b * BigInt::from(k - 2);
            let t = (crate::exact_int::nearest_big(&explained, &residual)).sqrt();
            for min_t in [t, t.next_up(), t.next_down().max(0.0), 2.0, 1.96] {
                let (m, e) = crate::exact_int::dyadic(min_t);
                // explained / residual >= m² 2^(2e)
                let (mut lhs, mut rhs) = (explained.clone(), &residual * BigInt::from(m) * BigInt::from(m));
                if e >= 0 {
                    rhs <<= (2 * e) as u64;
                } else {
                    lhs <<= (-2 * e) as u64;
                }
                assert_eq!(fit.significant(min_t), lhs >= rhs, "{counts:?} {min_t:e}");
            }
        }
    }

    #[test]
    fn velocity_at_a_threshold_is_compared_exactly() {
        // Daily counts 0, 1, 1: slope 1/2 exactly.
        let fit = exact_trend_dense(&days(3), &[0, 1, 1]).1;
        assert_eq!(fit.velocity, 0.5);
        assert_eq!(fit.compare_velocity(0.5), Some(Ordering::Equal));
        assert_eq!(fit.compare_velocity(0.5f64.next_up()), Some(Ordering::Less));
        assert_eq!(fit.compare_velocity(f64::NAN), None);
        // Seven-microsecond buckets of 1 and 2 records: a slope of DAY² / 49 (DAY in us),
        // no double: the rounded one compares equal to itself, the exact one not.
        let window = Window::new(0, 14, "custom", Some(7)).unwrap();
        let fit = exact_trend_dense(&window, &[1, 2]).1;
        let v = fit.velocity;
        let exact = nearest_side(&fit.numerator, &fit.denominator, v);
        assert_ne!(exact, Ordering::Equal);
        assert_eq!(fit.compare_velocity(v), Some(exact));
        assert_eq!(fit.compare_velocity(v.next_up()), Some(Ordering::Less));
        assert_eq!(fit.compare_velocity(v.next_down()), Some(Ordering::Greater));
    }

    /// How numerator / denominator compares with `value`, in big integers.
    fn nearest_side(numerator: &crate::exact_int::Int, denominator: &crate::exact_int::Int, value: f64) -> Ordering {
        let (m, e) = crate::exact_int::dyadic(value);
        let (mut lhs, mut rhs) = (big(numerator), big(denominator) * BigInt::from(m));
        if e >= 0 {
            rhs <<= e as u64;
        } else {
            lhs <<= (-e) as u64;
        }
        lhs.cmp(&rhs)
    }

    fn big(int: &crate::exact_int::Int) -> BigInt {
        match int {
            crate::exact_int::Int::Small(small) => BigInt::from(*small),
            crate::exact_int::Int::Big(big) => big.clone(),
        }
    }
}
