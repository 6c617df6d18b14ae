//! What the core computes: plain structs, made into the output models by `output_models`.

use std::sync::Arc;

#[derive(Clone, Debug, PartialEq)]
pub struct Usage {
    pub total_executions: u64,
    pub executions_per_day: f64,
    pub executions_per_week: f64,
    pub executions_per_month: f64,
    pub unique_contexts: u64,
    pub unique_users: u64,
    pub peak_daily_usage: u64,
    /// Hours from the latest execution to the window end.
    pub time_since_last_use: Option<f64>,
    /// The latest execution's instant (epoch microseconds), exactly: no output field (the
    /// contract has the hours alone), read by the command line (`CoreResult.latest_us`).
    pub latest_us: Option<i64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Success {
    pub success_count: u64,
    pub failure_count: u64,
    pub success_rate: f64,
    pub error_rate: f64,
    pub timeout_count: u64,
    pub quality_gate_failures: u64,
    pub avg_quality_score: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Performance {
    pub avg_execution_time_ms: f64,
    pub p50_execution_time_ms: f64,
    pub p95_execution_time_ms: f64,
    pub p99_execution_time_ms: f64,
    pub min_execution_time_ms: f64,
    pub max_execution_time_ms: f64,
    pub std_dev_ms: f64,
    pub total_execution_time_ms: f64,
    pub sample_count: u64,
    /// False when p50/p95/p99 come from the sketch (merged or past the exact budget).
    pub percentiles_exact: bool,
    /// Bound on the percentiles' relative error: 0.0 when exact.
    pub percentile_relative_error: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrendType {
    Growing,
    Stable,
    Declining,
    Emerging,
    Abandoned,
}

impl TrendType {
    /// Every class, each at its `position`.
    pub const ALL: [TrendType; 5] = [
        TrendType::Growing,
        TrendType::Stable,
        TrendType::Declining,
        TrendType::Emerging,
        TrendType::Abandoned,
    ];

    /// The class's place in `ALL` (a match, so that a new class must be given one).
    pub fn position(self) -> usize {
        match self {
            TrendType::Growing => 0,
            TrendType::Stable => 1,
            TrendType::Declining => 2,
            TrendType::Emerging => 3,
            TrendType::Abandoned => 4,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TrendType::Growing => "growing",
            TrendType::Stable => "stable",
            TrendType::Declining => "declining",
            TrendType::Emerging => "emerging",
            TrendType::Abandoned => "abandoned",
        }
    }
}

/// Trend classification thresholds (DESIGN.md defaults).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Thresholds {
    pub growing_velocity: f64,
    pub declining_velocity: f64,
    pub abandoned_velocity: f64,
    pub abandoned_max_executions: u64,
    pub emerging_max_executions: u64,
    pub min_t_statistic: f64,
    pub recent_fraction: f64,
}

/// `Thresholds` in the order of the Python layer's tuple (and the stored form).
pub type ThresholdTuple = (f64, f64, f64, u64, u64, f64, f64);

impl From<ThresholdTuple> for Thresholds {
    fn from(t: ThresholdTuple) -> Thresholds {
        Thresholds {
            growing_velocity: t.0,
            declining_velocity: t.1,
            abandoned_velocity: t.2,
            abandoned_max_executions: t.3,
            emerging_max_executions: t.4,
            min_t_statistic: t.5,
            recent_fraction: t.6,
        }
    }
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            growing_velocity: 0.5,
            declining_velocity: -0.5,
            abandoned_velocity: -2.0,
            abandoned_max_executions: 5,
            emerging_max_executions: 10,
            min_t_statistic: 2.0,
            recent_fraction: 0.25,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct TimeBucket {
    pub start: i64,
    pub end: i64,
    pub executions: u64,
    pub rate_per_day: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Prediction {
    pub horizon_days: f64,
    pub predicted_daily_rate: f64,
    pub predicted_executions: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Trend {
    pub trend_type: TrendType,
    pub velocity: f64,
    pub acceleration: f64,
    pub adoption_rate: f64,
    pub retention_rate: f64,
    pub churn_rate: f64,
    pub growth_percentage: f64,
    pub confidence_score: f64,
    pub bucket_count: u64,
    pub bucket_width_seconds: f64,
    pub velocity_significant: bool,
    pub time_series: Option<Vec<TimeBucket>>,
    pub predictions: Option<Prediction>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Distribution {
    /// Ordered by count descending, then name ascending. The names are the tallies' own
    /// (shared, not copied: a batch's groups share them, see `output_models::PyNames`).
    pub by_context_type: Vec<(Arc<str>, u64)>,
    pub by_agent: Vec<(Arc<str>, u64)>,
    pub by_project: Vec<(Arc<str>, u64)>,
    pub by_file_type: Vec<(Arc<str>, u64)>,
    /// Ordered by hour; only hours that occur.
    pub by_time_of_day: Vec<(u8, u64)>,
    /// Ordered by weekday (0 = Monday); only days that occur.
    pub by_day_of_week: Vec<(u8, u64)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Analytics {
    pub usage: Usage,
    pub success: Success,
    pub performance: Option<Performance>,
    pub trend: Option<Trend>,
    pub distribution: Option<Distribution>,
    pub analytics_quality_score: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_trend_class_is_at_its_position() {
        for (i, class) in TrendType::ALL.into_iter().enumerate() {
            assert_eq!(class.position(), i, "{class:?}");
        }
    }
}
