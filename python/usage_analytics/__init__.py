"""usage-analytics: pattern usage analytics with a Rust core.

result = await NodeUsageAnalyticsReducer().execute_reduction(ModelUsageAnalyticsInput(...))

The names below are imported when first used (PEP 562), not with the package: its
modules (pydantic, numpy, the core) take a quarter of a second to import, and the
`usage-analytics` command (`console`) must be running its own code before then, so that
Ctrl-C at its start ends it as Ctrl-C anywhere else does, without a traceback.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from usage_analytics._core import __version__
    from usage_analytics.batch_rolling import BatchRollingUsageAnalytics
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
    from usage_analytics.errors import (
        ColumnNameWarning,
        InternalError,
        InvalidRecordError,
        TimestampUnitWarning,
        UsageAnalyticsError,
    )
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
    "BatchRollingUsageAnalytics",
    "BatchUsageAccumulator",
    "ColumnNameWarning",
    "ContextDistribution",
    "DataQuality",
    "HealthFinding",
    "HealthThresholds",
    "InternalError",
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


#: The module defining each of `__all__` (the imports above, for type checkers).
_HOMES = {
    name: module
    for module, names in {
        "usage_analytics._core": ("__version__",),
        "usage_analytics.contracts": (
            "AnalyticsGranularity",
            "ContextDistribution",
            "DataQuality",
            "InvalidRecordSample",
            "ModelUsageAnalyticsBatchInput",
            "ModelUsageAnalyticsBatchOutput",
            "ModelUsageAnalyticsInput",
            "ModelUsageAnalyticsOutput",
            "PerformanceMetrics",
            "SuccessMetrics",
            "TimeWindowType",
            "TrendAnalysis",
            "TrendThresholds",
            "UsageFrequencyMetrics",
            "UsagePrediction",
            "UsageTimeBucket",
            "UsageTrendType",
        ),
        "usage_analytics.batch_rolling": ("BatchRollingUsageAnalytics",),
        "usage_analytics.errors": (
            "ColumnNameWarning",
            "InternalError",
            "InvalidRecordError",
            "TimestampUnitWarning",
            "UsageAnalyticsError",
        ),
        "usage_analytics.health": ("HealthFinding", "HealthThresholds", "evaluate_health"),
        "usage_analytics.reducer": ("NodeUsageAnalyticsReducer",),
        "usage_analytics.streaming": (
            "BatchUsageAccumulator",
            "RollingUsageAnalytics",
            "StreamingSettings",
            "UsageAccumulator",
        ),
    }.items()
    for name in names
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value  # (found directly from now on)
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
