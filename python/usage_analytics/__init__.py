"""usage-analytics: pattern usage analytics with a Rust core.

result = await NodeUsageAnalyticsReducer().execute_reduction(ModelUsageAnalyticsInput(...))
"""

from usage_analytics._core import __version__
from usage_analytics.contracts import (
    AnalyticsGranularity,
    ContextDistribution,
    DataQuality,
    InvalidRecordSample,
    ModelUsageAnalyticsBatchInput,
    ModelUsageAnalyticsBatchOutput,
    ModelUsageAnalyticsInput,
    ModelUsageAnalyticsOutput,
    PerformanceMetrics,
    SuccessMetrics,
    TimeWindowType,
    TrendAnalysis,
    TrendThresholds,
    UsageFrequencyMetrics,
    UsagePrediction,
    UsageTimeBucket,
    UsageTrendType,
)
from usage_analytics.errors import InvalidRecordError, TimestampUnitWarning, UsageAnalyticsError
from usage_analytics.health import HealthFinding, HealthThresholds, evaluate_health
from usage_analytics.reducer import NodeUsageAnalyticsReducer
from usage_analytics.streaming import (
    BatchUsageAccumulator,
    RollingUsageAnalytics,
    StreamingSettings,
    UsageAccumulator,
)

__all__ = [
    "AnalyticsGranularity",
    "BatchUsageAccumulator",
    "ContextDistribution",
    "DataQuality",
    "HealthFinding",
    "HealthThresholds",
    "InvalidRecordError",
    "InvalidRecordSample",
    "ModelUsageAnalyticsBatchInput",
    "ModelUsageAnalyticsBatchOutput",
    "ModelUsageAnalyticsInput",
    "ModelUsageAnalyticsOutput",
    "NodeUsageAnalyticsReducer",
    "PerformanceMetrics",
    "RollingUsageAnalytics",
    "StreamingSettings",
    "SuccessMetrics",
    "TimeWindowType",
    "TimestampUnitWarning",
    "TrendAnalysis",
    "TrendThresholds",
    "UsageAccumulator",
    "UsageAnalyticsError",
    "UsageFrequencyMetrics",
    "UsagePrediction",
    "UsageTimeBucket",
    "UsageTrendType",
    "__version__",
    "evaluate_health",
]
