//! DESIGN.md's trend class, decided on exact values: the velocity against its thresholds
//! and the significance (`ExactFit`), and recent use in integers.

use std::cmp::Ordering;

use num_bigint::BigInt;

use crate::buckets::Window;
use crate::exact_fit::ExactFit;
use crate::exact_int::{compare_scaled, dyadic, Int};
use crate::metrics::{Thresholds, TrendType};

/// The class of a window's trend: its exact fit (`significant` its significance at the
/// thresholds' `min_t_statistic`), its `n` records, the latest of them at `latest`.
pub fn classify(
    fit: &ExactFit,
    significant: bool,
    n: u64,
    latest: Option<i64>,
    window: &Window,
    t: &Thresholds,
) -> TrendType {
    let velocity = |threshold: f64| fit.compare_velocity(threshold);
    let recent = latest.is_some_and(|latest| recent(window.end - latest, t.recent_fraction, window.span));
    let at_most_abandoned = matches!(velocity(t.abandoned_velocity), Some(Ordering::Less | Ordering::Equal));
    if (at_most_abandoned && n < t.abandoned_max_executions) || (n > 0 && !recent) {
        TrendType::Abandoned
    } else if n < t.emerging_max_executions {
        TrendType::Emerging
    } else if velocity(t.growing_velocity) == Some(Ordering::Greater) && significant {
        TrendType::Growing
    } else if velocity(t.declining_velocity) == Some(Ordering::Less) && significant {
        TrendType::Declining
    } else {
        TrendType::Stable
    }
}

/// Whether a record `distance` microseconds before the window's end is in its last
/// `fraction` (of `span`): distance <= fraction * span, exactly. (In doubles a span past
/// 2^53 us, some 285 years, is rounded, and so is the product: 0.3 * 10 is 3.0, where
/// 0.3 is a hair below 3/10 and a record 3 us before the end is not recent.) A NaN
/// fraction: never.
pub fn recent(distance: i64, fraction: f64, span: i64) -> bool {
    if !fraction.is_finite() {
        return fraction == f64::INFINITY;
    }
    let (mantissa, exponent) = dyadic(fraction);
    if mantissa > 0 && exponent < 0 && distance >= 0 && span >= 0 {
        // fraction * span = mantissa * span / 2^-exponent, and an integer distance is at
        // most a number iff it is at most its floor. (mantissa < 2^53, span < 2^63.)
        let product = mantissa as u128 * span as u128;
        let limit = product.checked_shr(exponent.unsigned_abs() as u32).unwrap_or(0);
        return distance as u128 <= limit;
    }
    let (distance, span) = (Int::from(i128::from(distance)), Int::from(i128::from(span)));
    compare_scaled(&distance, &span, &BigInt::from(mantissa), exponent) != Ordering::Greater
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_use_is_decided_exactly() {
        // 0.3 is below 3/10: 3 us before the end of 10 is not in the last 0.3 (the
        // doubles' 0.3 * 10.0 is 3.0).
        assert_eq!(0.3 * 10.0, 3.0);
        assert!(!recent(3, 0.3, 10));
        assert!(recent(2, 0.3, 10));
        // 0.1 is above 1/10: 1 us of 10 is.
        assert!(recent(1, 0.1, 10));
        assert!(recent(0, 0.1, 1));
        assert!(!recent(1, 0.1, 9));
        // A span past 2^53: 2^58 + 1 us, of which a quarter is 2^56 + 1/4: 2^56 + 1 us
        // before the end is not in it (in doubles both round to 2^56).
        let span = (1i64 << 58) + 1;
        assert_eq!(((1i64 << 56) + 1) as f64, 0.25 * span as f64);
        assert!(!recent((1 << 56) + 1, 0.25, span));
        assert!(recent(1 << 56, 0.25, span));
        // Whole fractions, and the end instant.
        assert!(recent(span, 1.0, span));
        assert!(!recent(span, 0.5, span));
        assert!(recent(0, 0.25, span));
        // Past the fast path: a fraction of 2 (>= 1: a positive exponent), 0, negative, NaN.
        assert!(recent(7, 2.0, 4));
        assert!(!recent(9, 2.0, 4));
        assert!(recent(0, 0.0, 4) && !recent(1, 0.0, 4));
        assert!(!recent(0, -0.5, 4));
        assert!(!recent(0, f64::NAN, 4));
    }

    #[test]
    fn recent_use_agrees_with_big_integer_products() {
        let mut next = crate::test_random::xorshift(0x0DD_BA11);
        for _ in 0..100_000 {
            let span = (next() >> (1 + next() % 63)).max(1) as i64;
            let fraction = f64::from_bits(next() % 0x3FF0_0000_0000_0001); // (0, 1]
            let exact = BigInt::from(span) * BigInt::from(dyadic(fraction).0);
            let scale = dyadic(fraction).1;
            // floor(fraction * span) and its neighbours.
            let floor: BigInt = if scale >= 0 {
                exact << scale as u64
            } else {
                exact >> scale.unsigned_abs()
            };
            for step in [-1i64, 0, 1] {
                let distance = BigInt::from(step) + &floor;
                let Ok(distance) = i64::try_from(distance) else {
                    continue;
                };
                if distance < 0 {
                    continue;
                }
                assert_eq!(
                    recent(distance, fraction, span),
                    step <= 0,
                    "{distance} {fraction:e} {span}"
                );
            }
        }
    }
}
