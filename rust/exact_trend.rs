//! The trend fit's two yes-or-no answers decided in integers where floats cannot: whether
//! every bucket's rate is the same, and whether |t| >= `min_t_statistic` at a tie.
//!
//! DESIGN.md defines the rates (count / width in days) and the t-statistic exactly, as the
//! reference computes them in rationals. In floats two equal rates of buckets of different
//! widths (the last bucket takes the window's remainder: up to twice as wide) can differ in their last
//! bit, and the fit of such a flat series then has a noise slope (3e-15), "not
//! significant" or GROWING for a threshold of 0, where a flat series is a perfect fit of
//! slope 0. And a t that is exactly 2 comes out 1.9999999999999998.
//!
//! A window's buckets have one width `w` but the last, `l`. With `g = gcd(w, l)`, `e = w/g`
//! and `f = l/g`, the rates scaled by `lcm(w, l)` are the integers `count * f` (the last,
//! `count * e`), and twice the midpoints less twice the start, over `g`, are `(2i + 1) e`
//! (the last `2(k - 1) e + f`): the t-statistic does not change when x or y is scaled or
//! shifted. Sums are i128, checked: past them the float answer stands. That is so for
//! most windows whose last bucket's width shares only a small factor with the others'
//! (a window ending at an odd microsecond: e and f near 1e9), and for a `min_t` that is
//! no short binary fraction (1.96: its square's numerator near 2^102); an exact tie is
//! then as good as impossible.

use crate::buckets::Window;

/// A window's buckets as integers (see the module).
pub struct ExactGrid {
    buckets: usize,
    /// The width of every bucket but the last, and the last's, over their gcd.
    e: i128,
    f: i128,
}

impl ExactGrid {
    pub fn new(window: &Window) -> ExactGrid {
        let k = window.buckets;
        let (lo, hi) = window.bucket_bounds(k.saturating_sub(1));
        let (w, l) = (i128::from(window.width), i128::from(hi - lo));
        let g = gcd(w, l).max(1);
        ExactGrid {
            buckets: k,
            e: w / g,
            f: l / g,
        }
    }

    /// Bucket `i`'s x (twice its midpoint from the start, over the gcd) and the factor
    /// that scales its count to its rate.
    fn point(&self, i: usize) -> (i128, i128) {
        let last = i + 1 == self.buckets;
        let x = if last {
            2 * (i as i128) * self.e + self.f
        } else {
            (2 * i as i128 + 1) * self.e
        };
        (x, if last { self.e } else { self.f })
    }

    /// Whether every bucket has the same rate (`counts`, one per bucket), exactly.
    pub fn flat(&self, counts: &[u64]) -> bool {
        let rate = |i: usize| i128::from(counts[i]) * self.point(i).1;
        counts.len() == self.buckets && (1..counts.len()).all(|i| rate(i) == rate(0))
    }

    /// Whether the slope of the rates (`counts`, one per bucket) on the midpoints has
    /// |t| >= `min_t` (a perfect fit: yes), exactly; None where the sums pass i128, `min_t`
    /// is not finite, or no slope is fitted (fewer than three buckets).
    pub fn significant(&self, counts: &[u64], min_t: f64) -> Option<bool> {
        let k = self.buckets;
        if counts.len() != k || k < 3 {
            return None;
        }
        let (p, q) = square_as_fraction(min_t)?;
        let (mut sx, mut sy, mut sxx, mut sxy, mut syy) = (0i128, 0i128, 0i128, 0i128, 0i128);
        for (i, &count) in counts.iter().enumerate() {
            let (x, scale) = self.point(i);
            let y = i128::from(count).checked_mul(scale)?;
            sx = sx.checked_add(x)?;
            sy = sy.checked_add(y)?;
            sxx = sxx.checked_add(x.checked_mul(x)?)?;
            sxy = sxy.checked_add(x.checked_mul(y)?)?;
            syy = syy.checked_add(y.checked_mul(y)?)?;
        }
        let n = k as i128;
        // k² times sxx, sxy and syy of the centred values: t² = b² (k - 2) / (a c - b²).
        let a = n.checked_mul(sxx)?.checked_sub(sx.checked_mul(sx)?)?;
        let b = n.checked_mul(sxy)?.checked_sub(sx.checked_mul(sy)?)?;
        let c = n.checked_mul(syy)?.checked_sub(sy.checked_mul(sy)?)?;
        let residual = a.checked_mul(c)?.checked_sub(b.checked_mul(b)?)?;
        if residual <= 0 {
            return Some(true); // a perfect fit (the residuals' sum, k² a times it, is 0)
        }
        let explained = b.checked_mul(b)?.checked_mul(n - 2)?.checked_mul(q)?;
        Some(explained >= residual.checked_mul(p)?)
    }
}

/// `x²` as the fraction p / q (x a finite f64 >= 0, exactly: its mantissa squared over a
/// power of two); None past i128.
fn square_as_fraction(x: f64) -> Option<(i128, i128)> {
    if !x.is_finite() || x < 0.0 {
        return None;
    }
    if x == 0.0 {
        return Some((0, 1));
    }
    let bits = x.to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i32;
    let (mut mantissa, mut power) = if exponent == 0 {
        (bits & ((1 << 52) - 1), -1074) // subnormal
    } else {
        ((bits & ((1 << 52) - 1)) | (1 << 52), exponent - 1075)
    };
    let zeros = mantissa.trailing_zeros();
    mantissa >>= zeros;
    power += zeros as i32;
    let square = i128::from(mantissa).checked_mul(i128::from(mantissa))?;
    if power >= 0 {
        let scale = 1i128.checked_shl(2 * power as u32).filter(|&s| s > 0)?;
        Some((square.checked_mul(scale)?, 1))
    } else {
        let scale = 1i128.checked_shl((-2 * power) as u32).filter(|&s| s > 0)?;
        Some((square, scale))
    }
}

fn gcd(mut a: i128, mut b: i128) -> i128 {
    (a, b) = (a.abs(), b.abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::civil::MICROS_PER_DAY;

    fn window(buckets: i64, last_fraction: (i64, i64)) -> Window {
        // `buckets - 1` whole buckets of 3.5 hours, then one `last_fraction` of that.
        let width = 3 * 3_600_000_000 + 1_800_000_000;
        let span = (buckets - 1) * width + width * last_fraction.0 / last_fraction.1;
        Window::new(0, span, "custom", Some(width)).unwrap()
    }

    #[test]
    fn equal_rates_of_buckets_of_two_widths_are_flat() {
        // 9 records per 3.5 h, and 15 in the last, 5/3 as wide: all 432/7 a day.
        let grid = ExactGrid::new(&window(9, (5, 3)));
        let mut counts = vec![9; 8];
        counts.push(15);
        assert!(grid.flat(&counts));
        counts[8] = 14;
        assert!(!grid.flat(&counts));
        assert!(!grid.flat(&counts[..8]), "one count per bucket");
    }

    #[test]
    fn a_t_statistic_of_exactly_two_is_significant_at_two() {
        // Daily counts 0, 0, 2, 8, 4: slope 8/5, residuals 96/5, sxx 10, so t² = 4.
        let day = Window::new(0, 5 * MICROS_PER_DAY, "custom", Some(MICROS_PER_DAY)).unwrap();
        let grid = ExactGrid::new(&day);
        let counts = [0, 0, 2, 8, 4];
        assert_eq!(grid.significant(&counts, 2.0), Some(true));
        assert_eq!(grid.significant(&counts, 2.0000000000000004), Some(false));
        assert_eq!(grid.significant(&counts, 1.5), Some(true));
        // The floats' t for comparison: just under 2.
        let x: Vec<f64> = (0..5).map(|i| i as f64 + 0.5).collect();
        let y: Vec<f64> = counts.iter().map(|&c| c as f64).collect();
        let fit = crate::regression::ols(&x, &y);
        assert!(
            fit.t_statistic < 2.0 && (fit.t_statistic - 2.0).abs() < 1e-12,
            "{}",
            fit.t_statistic
        );
        // A perfect line, and too few buckets.
        assert_eq!(grid.significant(&[1, 2, 3, 4, 5], 1e6), Some(true));
        let two = Window::new(0, 2 * MICROS_PER_DAY, "custom", Some(MICROS_PER_DAY)).unwrap();
        assert_eq!(ExactGrid::new(&two).significant(&[1, 3], 2.0), None);
    }

    #[test]
    fn sums_past_i128_leave_the_float_answer() {
        let day = Window::new(0, 5 * MICROS_PER_DAY, "custom", Some(MICROS_PER_DAY)).unwrap();
        let huge = [u64::MAX, 0, u64::MAX, 1, 7];
        assert_eq!(ExactGrid::new(&day).significant(&huge, 2.0), None);
        assert_eq!(ExactGrid::new(&day).significant(&[0, 0, 2, 8, 4], f64::INFINITY), None);
    }

    #[test]
    fn squares_are_exact_fractions() {
        assert_eq!(square_as_fraction(2.0), Some((4, 1)));
        assert_eq!(square_as_fraction(0.5), Some((1, 4)));
        assert_eq!(square_as_fraction(1.5), Some((9, 4)));
        assert_eq!(square_as_fraction(0.0), Some((0, 1)));
        let (p, q) = square_as_fraction(1.96).unwrap();
        assert_eq!(p as f64 / q as f64, 1.96 * 1.96);
        assert_eq!(square_as_fraction(1e300), None);
        assert_eq!(square_as_fraction(-1.0), None);
    }
}
