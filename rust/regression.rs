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
}

/// Fit y = intercept + slope * x. Below two points (or with all x equal) the slope is 0
/// and the intercept is the mean of y (0.0 without points).
pub fn ols(x: &[f64], y: &[f64]) -> LinearFit {
    let k = x.len().min(y.len());
    let (x, y) = (&x[..k], &y[..k]);
    if k == 0 {
        return LinearFit {
            slope: 0.0,
            intercept: 0.0,
            t_statistic: f64::NAN,
            points: 0,
        };
    }
    let mean_x = x.iter().sum::<f64>() / k as f64;
    let mean_y = y.iter().sum::<f64>() / k as f64;
    let (mut sxx, mut sxy) = (0.0, 0.0);
    for (&xi, &yi) in x.iter().zip(y) {
        sxx += (xi - mean_x) * (xi - mean_x);
        sxy += (xi - mean_x) * (yi - mean_y);
    }
    if k < 2 || sxx == 0.0 {
        return LinearFit {
            slope: 0.0,
            intercept: mean_y,
            t_statistic: f64::NAN,
            points: k,
        };
    }
    // All y equal is a flat line, a perfect fit (DESIGN.md: significant). In floats the
    // residuals of equal rates such as 1/7 need not be zero: their mean is rounded.
    if y.iter().all(|&yi| yi == y[0]) {
        return LinearFit {
            slope: 0.0,
            intercept: y[0],
            t_statistic: if k < 3 { f64::NAN } else { f64::INFINITY },
            points: k,
        };
    }
    let slope = sxy / sxx;
    let intercept = mean_y - slope * mean_x;
    let t_statistic = if k < 3 {
        f64::NAN
    } else {
        let rss: f64 = x
            .iter()
            .zip(y)
            .map(|(&xi, &yi)| {
                let residual = yi - (mean_y + slope * (xi - mean_x));
                residual * residual
            })
            .sum();
        if rss == 0.0 {
            f64::INFINITY
        } else {
            let standard_error = (rss / (k - 2) as f64 / sxx).sqrt();
            (slope / standard_error).abs()
        }
    };
    LinearFit {
        slope,
        intercept,
        t_statistic,
        points: k,
    }
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
}
