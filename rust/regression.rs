//! Ordinary least squares of y on x, with the slope's t-statistic.

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinearFit {
    pub slope: f64,
    pub intercept: f64,
    /// |slope / standard error|; +inf for a perfect fit, NaN below three points.
    pub t_statistic: f64,
    pub points: usize,
}

impl LinearFit {
    /// DESIGN.md: a perfect fit or fewer than three points counts as significant.
    pub fn is_significant(&self, min_t: f64) -> bool {
        self.points < 3 || self.t_statistic.is_infinite() || self.t_statistic >= min_t
    }

    /// No slope to fit (fewer than two points, or all x equal): the mean of y.
    fn level(mean_y: f64, points: usize) -> LinearFit {
        LinearFit {
            slope: 0.0,
            intercept: mean_y,
            t_statistic: f64::NAN,
            points,
        }
    }

    /// All y equal, `y`: a flat line, a perfect fit (DESIGN.md: significant). In floats
    /// the residuals of equal rates such as 1/7 need not be zero: their mean is rounded.
    pub(crate) fn flat(y: f64, points: usize) -> LinearFit {
        LinearFit {
            slope: 0.0,
            intercept: y,
            t_statistic: if points < 3 { f64::NAN } else { f64::INFINITY },
            points,
        }
    }

    /// A fitted slope, its t-statistic from the residual sum of squares (`rss`, asked
    /// from three points on) and the x's sum of squared deviations.
    fn fitted(slope: f64, intercept: f64, sxx: f64, points: usize, rss: impl FnOnce() -> f64) -> LinearFit {
        let t_statistic = if points < 3 {
            f64::NAN
        } else {
            let rss = rss();
            if rss == 0.0 {
                f64::INFINITY
            } else {
                (slope / (rss / (points - 2) as f64 / sxx).sqrt()).abs()
            }
        };
        LinearFit {
            slope,
            intercept,
            t_statistic,
            points,
        }
    }
}

/// Fit y = intercept + slope * x. Below two points (or with all x equal) the slope is 0
/// and the intercept is the mean of y (0.0 without points). The fits of the product share
/// their axes (`ols_on`); this fit made alone is what the tests compare them with.
#[cfg(test)]
pub fn ols(x: &[f64], y: &[f64]) -> LinearFit {
    let k = x.len().min(y.len());
    ols_on(&Axis::new(x, 0, k), x, &y[..k])
}

/// `ols` of `y` (one value per point of `axis`) on the axis's x, whose mean and sum of
/// squared deviations were computed once for every fit sharing them (a batch's patterns
/// share their window's buckets): the arithmetic of a fit made alone, so the same bits.
pub fn ols_on(axis: &Axis, x: &[f64], y: &[f64]) -> LinearFit {
    let k = axis.len;
    debug_assert_eq!(y.len(), k, "one y per point of the axis");
    let (x, y) = (&x[axis.start..axis.start + k], &y[..k]);
    if k == 0 {
        return LinearFit::level(0.0, 0);
    }
    let (mean_x, sxx) = (axis.mean_x, axis.sxx);
    let mean_y = y.iter().sum::<f64>() / k as f64;
    if k < 2 || sxx == 0.0 {
        return LinearFit::level(mean_y, k);
    }
    if y.iter().all(|&yi| yi == y[0]) {
        return LinearFit::flat(y[0], k);
    }
    let sxy = x
        .iter()
        .zip(y)
        .fold(0.0, |sxy, (&xi, &yi)| sxy + (xi - mean_x) * (yi - mean_y));
    let slope = sxy / sxx;
    LinearFit::fitted(slope, mean_y - slope * mean_x, sxx, k, || {
        x.iter()
            .zip(y)
            .map(|(&xi, &yi)| {
                let residual = yi - (mean_y + slope * (xi - mean_x));
                residual * residual
            })
            .sum()
    })
}

/// The x values many fits share (a window's bucket midpoints, or a half of them): their
/// count and first index in the grid, mean, sum of deviations (zero but for rounding) and
/// sum of squared deviations, computed once for all of them.
#[derive(Clone, Copy, Debug)]
pub struct Axis {
    pub start: usize,
    pub len: usize,
    mean_x: f64,
    sum_dx: f64,
    sxx: f64,
}

impl Axis {
    /// The axis of `x[start..start + len]`.
    pub fn new(x: &[f64], start: usize, len: usize) -> Axis {
        let x = &x[start..start + len];
        let mean_x = if len == 0 {
            0.0
        } else {
            x.iter().sum::<f64>() / len as f64
        };
        let (mut sum_dx, mut sxx) = (0.0, 0.0);
        for &xi in x {
            sum_dx += xi - mean_x;
            sxx += (xi - mean_x) * (xi - mean_x);
        }
        Axis {
            start,
            len,
            mean_x,
            sum_dx,
            sxx,
        }
    }
}

/// `ols` of y on the axis's x where y is zero at every point but `points` (an index into
/// `x` inside the axis, and a y > 0), in ascending order of index: O(points) rather than
/// O(axis). The zero points enter through the axis's sums: their part of Σ dx·(y - ȳ) is
/// -ȳ times the axis's Σ dx less the points', and their squared residuals
/// (ȳ + slope·dx)² are summed in closed form. The same fit as `ols` of the dense y, equal
/// to rounding (not bit for bit).
pub fn ols_sparse(axis: &Axis, x: &[f64], points: &[(usize, f64)]) -> LinearFit {
    let k = axis.len;
    debug_assert!(points
        .iter()
        .all(|&(i, y)| (axis.start..axis.start + k).contains(&i) && y > 0.0));
    if k == 0 {
        return LinearFit::level(0.0, 0);
    }
    let mean_y = points.iter().map(|&(_, y)| y).sum::<f64>() / k as f64;
    if k < 2 || axis.sxx == 0.0 {
        return LinearFit::level(mean_y, k);
    }
    // All y equal: all zero, or every point present with one value.
    let m = points.len();
    let first_y = points.first().map_or(0.0, |&(_, y)| y);
    if m == 0 || (m == k && points.iter().all(|&(_, y)| y == first_y)) {
        return LinearFit::flat(first_y, k);
    }
    let (mut sxy, mut sum_dx, mut sxx) = (0.0, 0.0, 0.0);
    for &(i, y) in points {
        let dx = x[i] - axis.mean_x;
        sxy += dx * (y - mean_y);
        sum_dx += dx;
        sxx += dx * dx;
    }
    // The zero points' deviations (0 - ȳ)·dx. (With y centred, as in `ols`: Σ dx·y less
    // ȳ·Σ dx cancelled, losing digits in proportion to the rates' level over their trend.
    // With every point present the correction is exactly zero: the same sums in order.)
    let (zeros_dx, zeros_sxx) = (axis.sum_dx - sum_dx, axis.sxx - sxx);
    let slope = (sxy - mean_y * zeros_dx) / axis.sxx;
    LinearFit::fitted(slope, mean_y - slope * axis.mean_x, axis.sxx, k, || {
        let at_points: f64 = points
            .iter()
            .map(|&(i, y)| {
                let residual = y - (mean_y + slope * (x[i] - axis.mean_x));
                residual * residual
            })
            .sum();
        // Σ (ȳ + slope·dx)² over the zero points, a sum of squares (>= 0 but for rounding).
        let zeros = (k - m) as f64;
        let at_zeros = zeros * mean_y * mean_y + 2.0 * mean_y * slope * zeros_dx + slope * slope * zeros_sxx;
        at_points + at_zeros.max(0.0)
    })
}

/// `ols` as it was before fits took a shared axis (6a8cc37): every sum computed in the
/// fit. The reference the shared-axis fits are tested against, bit for bit.
#[cfg(test)]
pub fn ols_alone(x: &[f64], y: &[f64]) -> LinearFit {
    let k = x.len();
    if k == 0 {
        return LinearFit::level(0.0, 0);
    }
    let mean_x = x.iter().sum::<f64>() / k as f64;
    let mean_y = y.iter().sum::<f64>() / k as f64;
    let (mut sxx, mut sxy) = (0.0, 0.0);
    for (&xi, &yi) in x.iter().zip(y) {
        sxx += (xi - mean_x) * (xi - mean_x);
        sxy += (xi - mean_x) * (yi - mean_y);
    }
    if k < 2 || sxx == 0.0 {
        return LinearFit::level(mean_y, k);
    }
    if y.iter().all(|&yi| yi == y[0]) {
        return LinearFit::flat(y[0], k);
    }
    let slope = sxy / sxx;
    let rss = x
        .iter()
        .zip(y)
        .map(|(&xi, &yi)| (yi - (mean_y + slope * (xi - mean_x))).powi(2))
        .sum();
    LinearFit::fitted(slope, mean_y - slope * mean_x, sxx, k, || rss)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_line() {
        let fit = ols(&[0.0, 1.0, 2.0, 3.0], &[1.0, 3.0, 5.0, 7.0]);
        assert_eq!((fit.slope, fit.intercept), (2.0, 1.0));
        assert!(fit.is_significant(2.0));
    }

    #[test]
    fn t_statistic_matches_hand_computation() {
        // x = 0..4, y = [1, 3, 2, 5, 4]: slope 0.8, rss = 3.6, sxx = 10,
        // se = sqrt(3.6 / 3 / 10) = 0.34641, t = 2.3094.
        let fit = ols(&[0.0, 1.0, 2.0, 3.0, 4.0], &[1.0, 3.0, 2.0, 5.0, 4.0]);
        assert!((fit.slope - 0.8).abs() < 1e-12);
        assert!((fit.t_statistic - 0.8 / (0.12f64).sqrt()).abs() < 1e-9);
        assert!(fit.is_significant(2.0));
        assert!(!fit.is_significant(2.5));
    }

    #[test]
    fn degenerate_inputs() {
        assert_eq!(ols(&[], &[]).slope, 0.0);
        let one = ols(&[1.0], &[5.0]);
        assert_eq!((one.slope, one.intercept), (0.0, 5.0));
        assert!(one.is_significant(2.0));
        let flat = ols(&[0.0, 1.0, 2.0], &[4.0, 4.0, 4.0]);
        assert_eq!(flat.slope, 0.0);
    }

    #[test]
    fn equal_rates_whose_mean_rounds_are_a_perfect_flat_fit() {
        // Six weekly buckets of one record: rates 1/7, whose float mean is not 1/7, so
        // the residuals were about 3e-17 and the t-statistic 0 ("not significant").
        let x: Vec<f64> = (0..6).map(|i| 3.5 + 7.0 * f64::from(i)).collect();
        let y = [1.0 / 7.0; 6];
        assert_ne!(y.iter().sum::<f64>() / 6.0, y[0]);
        let fit = ols(&x, &y);
        assert_eq!((fit.slope, fit.intercept), (0.0, 1.0 / 7.0));
        assert!(fit.t_statistic.is_infinite() && fit.is_significant(2.0));
    }

    #[test]
    fn fits_on_a_shared_axis_are_the_bits_of_fits_made_alone() {
        let bits = |fit: LinearFit| {
            (
                fit.slope.to_bits(),
                fit.intercept.to_bits(),
                fit.t_statistic.to_bits(),
                fit.points,
            )
        };
        let mut state = 11u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state >> 11
        };
        for k in [0, 1, 2, 3, 7, 90, 361] {
            // Uneven midpoints (a partial last bucket) and rates of small counts over
            // bucket widths, zeros and equal runs among them.
            let x: Vec<f64> = (0..k)
                .map(|i| {
                    if i + 1 == k {
                        i as f64 * 0.25 + 0.1
                    } else {
                        i as f64 * 0.25 + 0.125
                    }
                })
                .collect();
            for round in 0..20 {
                let y: Vec<f64> = (0..k)
                    .map(|_| match round % 4 {
                        0 => 3.0 / 7.0,
                        _ => (next() % 9) as f64 / [0.25, 0.1, 1.0 / 3.0][round % 3],
                    })
                    .collect();
                for (start, len) in [(0, k), (0, k / 2), (k / 2, k - k / 2)] {
                    let axis = Axis::new(&x, start, len);
                    let (span, ys) = (&x[start..start + len], &y[start..start + len]);
                    assert_eq!(
                        bits(ols_on(&axis, &x, ys)),
                        bits(ols_alone(span, ys)),
                        "{k} {round} {start}+{len}"
                    );
                    assert_eq!(bits(ols(span, ys)), bits(ols_alone(span, ys)));
                }
            }
        }
    }

    #[test]
    fn sparse_fits_equal_dense_fits_to_rounding() {
        // 40 points, 0..=40 of them non-zero (y > 0), on an axis of uneven x (a partial last
        // bucket), whole and as two halves.
        let k = 40;
        let x: Vec<f64> = (0..k)
            .map(|i| if i + 1 == k { i as f64 + 0.3 } else { i as f64 + 0.5 })
            .collect();
        let mut state = 7u64;
        for present in 0..=k {
            let mut y = vec![0.0; k];
            for _ in 0..present {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                y[(state >> 33) as usize % k] = 1.0 + (state >> 40) as f64 % 50.0;
            }
            for (start, len) in [(0, k), (0, k / 2), (k / 2, k - k / 2), (3, 2), (5, 1), (5, 0)] {
                let axis = Axis::new(&x, start, len);
                let points: Vec<(usize, f64)> = (start..start + len)
                    .filter(|&i| y[i] > 0.0)
                    .map(|i| (i, y[i]))
                    .collect();
                let (sparse, dense) = (
                    ols_sparse(&axis, &x, &points),
                    ols(&x[start..start + len], &y[start..start + len]),
                );
                let near = |a: f64, b: f64| {
                    (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
                };
                assert!(
                    near(sparse.slope, dense.slope),
                    "{present} {start}+{len}: {sparse:?} {dense:?}"
                );
                assert!(
                    near(sparse.intercept, dense.intercept),
                    "{present} {start}+{len}: {sparse:?} {dense:?}"
                );
                assert!(
                    near(sparse.t_statistic, dense.t_statistic),
                    "{present} {start}+{len}: {sparse:?} {dense:?}"
                );
                assert_eq!(sparse.points, dense.points);
            }
        }
    }

    #[test]
    fn a_sparse_perfect_line_through_its_zeros_is_significant() {
        // y = 2x - 1 on x = 0.5, 1.5, 2.5, 3.5: the first point is zero (not stored).
        let x = [0.5, 1.5, 2.5, 3.5];
        let axis = Axis::new(&x, 0, 4);
        let fit = ols_sparse(&axis, &x, &[(1, 2.0), (2, 4.0), (3, 6.0)]);
        assert_eq!((fit.slope, fit.intercept), (2.0, -1.0));
        assert!(fit.is_significant(1e300), "{fit:?}");
        let all_zero = ols_sparse(&axis, &x, &[]);
        assert_eq!((all_zero.slope, all_zero.intercept), (0.0, 0.0));
        assert!(all_zero.t_statistic.is_infinite());
    }

    #[test]
    fn sparse_fits_of_high_rates_with_a_small_trend_keep_their_digits() {
        // 1,000 records in every one-minute bucket (1.44e6 a day), 100 more a minute in
        // the second half, one bucket empty: the review's case, where Σ dx·y less ȳ·Σ dx
        // lost digits in proportion to the level over the trend (2e-9 relative).
        let k = 1_025;
        let x: Vec<f64> = (0..k).map(|i| (i as f64 + 0.5) / 1_440.0).collect();
        let y: Vec<f64> = (0..k)
            .map(|i| match i {
                700 => 0.0,
                i if i >= k / 2 => 1_100.0 * 1_440.0,
                _ => 1_000.0 * 1_440.0,
            })
            .collect();
        for (start, len) in [(0, k), (0, k / 2), (k / 2, k - k / 2)] {
            let axis = Axis::new(&x, start, len);
            let points: Vec<(usize, f64)> = (start..start + len)
                .filter(|&i| y[i] > 0.0)
                .map(|i| (i, y[i]))
                .collect();
            let sparse = ols_sparse(&axis, &x, &points);
            let dense = ols(&x[start..start + len], &y[start..start + len]);
            for (a, b) in [(sparse.slope, dense.slope), (sparse.intercept, dense.intercept)] {
                assert!((a - b).abs() <= 1e-12 * b.abs(), "{start}+{len}: {sparse:?} {dense:?}");
            }
        }
    }
}
