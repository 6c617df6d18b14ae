//! Finalizing an accumulator: the analytics of its summaries (frequency, success,
//! performance, the trend and its class, the distribution).

use super::Accumulator;
use crate::bucket_counts::{rate_per_day, TrendGrid};
use crate::civil::{MICROS_PER_DAY, MICROS_PER_HOUR, MICROS_PER_SECOND};
use crate::exact_ratio;
use crate::exact_shape::{exact_trend, exact_trend_dense, ExactShape};
use crate::metrics::*;
use crate::regression::{ols_on, ols_sparse, LinearFit};
use crate::trend_class::classify;

impl Accumulator {
    pub fn finalize(self) -> Analytics {
        let grid = self.trend_grid();
        self.finalize_with(grid.as_ref())
    }

    /// What the trend of accumulators of these settings needs computed once for all of
    /// them (their window's `TrendGrid`), if they have a trend.
    pub fn trend_grid(&self) -> Option<TrendGrid> {
        self.families.trends.then(|| TrendGrid::new(&self.window))
    }

    /// `finalize`, with the `trend_grid` of these settings (computed here if not given, or
    /// given for another window).
    pub fn finalize_with(mut self, grid: Option<&TrendGrid>) -> Analytics {
        let days = self.window.days();
        let n = self.count;
        let usage = Usage {
            total_executions: n,
            executions_per_day: n as f64 / days.max(1.0),
            executions_per_week: n as f64 / (days / 7.0).max(1.0),
            executions_per_month: n as f64 / (days / 30.0).max(1.0),
            unique_contexts: self.contexts.distinct(),
            unique_users: self.agents.distinct(),
            peak_daily_usage: self.day_counts.iter().map(|(_, c)| c).max().unwrap_or(0),
            time_since_last_use: self
                .latest
                .map(|latest| exact_ratio::ratio(self.window.end - latest, MICROS_PER_HOUR)),
            latest_us: self.latest,
        };
        let failures = n - self.success;
        let success = Success {
            success_count: self.success,
            failure_count: failures,
            success_rate: ratio(self.success, n),
            error_rate: ratio(failures, n),
            timeout_count: self.timeouts,
            quality_gate_failures: self.gate_failures,
            avg_quality_score: if self.quality_count == 0 {
                0.0
            } else {
                // (Rounded once: not the rounded sum divided, see `ExactSum::mean`.)
                self.quality_sum.mean(self.quality_count)
            },
        };
        let analytics_quality_score = if n == 0 {
            0.0
        } else {
            0.7 * (n as f64 / 100.0).min(1.0) + 0.3 * (days / 30.0).min(1.0)
        };
        let performance = self.families.performance.then(|| self.performance());
        let trend = self.families.trends.then(|| self.trend(grid));
        let distribution = self.families.distribution.then(|| self.distribution());
        Analytics {
            usage,
            success,
            performance,
            trend,
            distribution,
            analytics_quality_score,
        }
    }

    fn performance(&mut self) -> Performance {
        self.durations.performance()
    }

    fn trend(&self, grid: Option<&TrendGrid>) -> Trend {
        let window = self.window;
        let t = self.thresholds;
        let k = window.buckets;
        let day = MICROS_PER_DAY as f64;
        let own_grid;
        let grid = match grid {
            Some(grid) if grid.window == window => grid,
            _ => {
                // Another window's grid would misplace every bucket: recomputed, not trusted.
                own_grid = TrendGrid::new(&window);
                &own_grid
            }
        };
        // The velocity, acceleration and growth are exact (`exact_shape`: the floats'
        // slope of a near-cancelling series was off in its 7th digit, and 0 came out
        // -310), and so are the class's decisions (`exact_fit`); the fit in floats gives
        // the predictions' intercept.
        let (shape, exact_fit) = match self.bucket_counts.as_dense() {
            Some(counts) => exact_trend_dense(&window, counts),
            None => exact_trend(&window, self.bucket_counts.occupied_in_any_order()),
        };
        let ExactShape {
            velocity,
            acceleration,
            growth_percentage,
        } = shape;
        let fit = if exact_fit.flat() {
            // Equal rates are a flat, perfect fit; in floats a last bucket of another width
            // may have a rate that differs in its last bit: a noise slope.
            let first = self.bucket_counts.occupied_in_any_order().find(|&(i, _)| i == 0);
            LinearFit::flat(rate_per_day(&window, 0, first.map_or(0, |(_, c)| c)), k)
        } else {
            match self.bucket_counts.as_dense() {
                Some(counts) => ols_on(&grid.whole, &grid.x, &grid.dense_rates(counts)),
                None => ols_sparse(&grid.whole, &grid.x, &grid.rates(&self.bucket_counts)),
            }
        };
        let velocity_significant = exact_fit.significant(t.min_t_statistic);
        let (mut first_half, mut both, mut new_in_second) = (0u64, 0u64, 0u64);
        for (&first, &last) in self.agent_first_seen.iter().zip(&self.agent_last_seen) {
            if first > last {
                continue; // no record of this agent
            }
            // Active in the first half iff its earliest instant is; in the second iff its
            // latest is.
            let (a, b) = (window.in_first_half(first), !window.in_first_half(last));
            first_half += u64::from(a);
            both += u64::from(a && b);
            new_in_second += u64::from(!a && b);
        }
        let retention_rate = ratio(both, first_half);
        let churn_rate = if first_half == 0 { 0.0 } else { 1.0 - retention_rate };
        let second_half_weeks = window.span as f64 / 2.0 / (7.0 * day);
        let adoption_rate = new_in_second as f64 / second_half_weeks;
        let n = self.count;
        let confidence_score = 0.7 * (n as f64 / 100.0).min(1.0) + 0.3 * (k as f64 / 10.0).min(1.0);
        let trend_type = classify(&exact_fit, velocity_significant, n, self.latest, &window, &t);
        let time_series = self.families.time_series.then(|| {
            let counts = self.bucket_counts.to_dense();
            (0..k)
                .map(|i| {
                    let (start, end) = window.bucket_bounds(i);
                    TimeBucket {
                        start,
                        end,
                        executions: counts[i],
                        rate_per_day: rate_per_day(&window, i, counts[i]),
                    }
                })
                .collect()
        });
        let predictions = self.families.predictions.then(|| {
            let horizon_days = window.days();
            // (Below two buckets the fit's intercept is the mean rate and its slope 0.)
            let (a, b) = (fit.intercept, velocity);
            let predicted_daily_rate = (a + b * 1.5 * horizon_days).max(0.0);
            Prediction {
                horizon_days,
                predicted_daily_rate,
                predicted_executions: predicted_daily_rate * horizon_days,
            }
        });
        Trend {
            trend_type,
            velocity,
            acceleration,
            adoption_rate,
            retention_rate,
            churn_rate,
            growth_percentage,
            confidence_score,
            bucket_count: k as u64,
            bucket_width_seconds: exact_ratio::ratio(window.width, MICROS_PER_SECOND),
            velocity_significant,
            time_series,
            predictions,
        }
    }

    /// What `finalize` will make of this accumulator, as `group_results::output_bytes`
    /// counts it: the breakdowns' entries and the time series' points (the estimate of
    /// its output, checked before a batch's outputs are made).
    pub fn output_bytes(&self) -> usize {
        let entries = if self.families.distribution {
            let named = [&self.contexts, &self.agents, &self.projects, &self.file_types]
                .iter()
                .map(|tally| tally.distinct() as usize)
                .sum::<usize>();
            let occurring = |counts: &[u64]| counts.iter().filter(|&&c| c > 0).count();
            named + occurring(&self.hours) + occurring(&self.weekdays)
        } else {
            0
        };
        let points = if self.families.trends && self.families.time_series {
            self.window.buckets
        } else {
            0
        };
        crate::group_results::output_bytes(entries, points)
    }

    fn distribution(&self) -> Distribution {
        let present = |counts: &[u64]| -> Vec<(u8, u64)> {
            counts
                .iter()
                .enumerate()
                .filter(|(_, &c)| c > 0)
                .map(|(i, &c)| (i as u8, c))
                .collect()
        };
        Distribution {
            by_context_type: self.contexts.ranked(),
            by_agent: self.agents.ranked(),
            by_project: self.projects.ranked(),
            by_file_type: self.file_types.ranked(),
            by_time_of_day: present(&self.hours),
            by_day_of_week: present(&self.weekdays),
        }
    }
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accumulator::Families;
    use crate::zone::Zone;

    fn fit_bits(fit: LinearFit) -> [u64; 4] {
        let bits = |v: f64| v.to_bits();
        [
            bits(fit.slope),
            bits(fit.intercept),
            bits(fit.t_statistic),
            fit.points as u64,
        ]
    }

    /// The fit of dense counts on the grid against the former per-pattern code (x from
    /// `bucket_midpoint`, rates from `rate_per_day`, `ols` made alone), bit for bit, over
    /// random windows of 1..=1024 buckets, some whose last bucket also holds the span's
    /// remainder. (The velocity, acceleration and growth are `exact_shape`'s.)
    #[test]
    fn the_fit_on_the_grid_is_the_former_per_pattern_fit() {
        use crate::bucket_counts::{bucket_midpoint, DENSE_BUCKETS};
        use crate::regression::ols_alone;
        let mut next = crate::test_random::xorshift(0x9E37_79B9_7F4A_7C15);
        for round in 0..20_000u64 {
            let buckets = match round % 5 {
                0 => 1 + (next() % 4) as i64,
                1 => 1 + (next() % 12) as i64,
                _ => 1 + (next() % DENSE_BUCKETS as u64) as i64,
            };
            let width =
                [1i64, 7, 1000, 60_000_000, 3_600_000_000, MICROS_PER_DAY, 86_400_000_001][(next() % 7) as usize];
            let window = crate::test_random::custom_window(&mut next, buckets, width);
            let k = window.buckets;
            let kind = next() % 5;
            let counts: Vec<u64> = (0..k)
                .map(|i| match kind {
                    0 => 3,
                    1 => next() % 3,
                    2 => (i as u64 * 7) % 5,
                    3 => {
                        if next().is_multiple_of(10) {
                            next() % 1000
                        } else {
                            0
                        }
                    }
                    _ => next() % 1_000_000,
                })
                .collect();
            let acc = Accumulator::new(window, Zone::get("UTC").unwrap(), Families::ALL, Thresholds::default());
            let grid = acc.trend_grid().unwrap();
            let new = ols_on(&grid.whole, &grid.x, &grid.dense_rates(&counts));
            // The former per-pattern fit.
            let x: Vec<f64> = (0..k).map(|i| bucket_midpoint(&window, i)).collect();
            let rate: Vec<f64> = (0..k).map(|i| rate_per_day(&window, i, counts[i])).collect();
            assert_eq!(fit_bits(new), fit_bits(ols_alone(&x, &rate)), "{window:?} {counts:?}");
        }
    }
}
