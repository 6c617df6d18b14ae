"""The Rust core's result dicts -> the pydantic output models.

The core's values already have the models' types (it is our own code, tested against the
reference), so the models are built with `model_construct`: validating them again would
cost more than reducing a thousand records.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from usage_analytics.contracts import (
    AnalyticsRequest,
    ContextDistribution,
    DataQuality,
    InvalidRecordSample,
    ModelUsageAnalyticsBatchOutput,
    ModelUsageAnalyticsOutput,
    PerformanceMetrics,
    SuccessMetrics,
    TrendAnalysis,
    UsageFrequencyMetrics,
    UsagePrediction,
    UsageTimeBucket,
    UsageTrendType,
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def datetime_of(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def data_quality(raw: dict[str, Any]) -> DataQuality:
    return DataQuality.model_construct(
        records_received=raw["received"],
        records_in_window=raw["in_window"],
        records_outside_window=raw["outside_window"],
        invalid_records=raw["invalid"],
        error_samples=[
            InvalidRecordSample.model_construct(index=i, field=f, value=v, reason=r)
            for i, f, v, r in raw["errors"]
        ],
    )


def analytics_output(
    request: AnalyticsRequest,
    pattern_id: UUID | str,
    raw: dict[str, Any],
    elapsed_ms: float,
    computed_at: datetime,
) -> ModelUsageAnalyticsOutput:
    performance, distribution = raw["performance"], raw["distribution"]
    return ModelUsageAnalyticsOutput.model_construct(
        pattern_id=pattern_id,
        time_window_start=request.time_window_start,
        time_window_end=request.time_window_end,
        time_window_type=request.time_window_type,
        granularity=request.granularity,
        timezone=request.timezone,
        usage_metrics=UsageFrequencyMetrics.model_construct(**raw["usage"]),
        success_metrics=SuccessMetrics.model_construct(**raw["success"]),
        performance_metrics=None
        if performance is None
        else PerformanceMetrics.model_construct(**performance),
        trend_analysis=_trend(raw["trend"]),
        context_distribution=None
        if distribution is None
        else ContextDistribution.model_construct(**distribution),
        total_data_points=raw["received"],
        analytics_quality_score=raw["analytics_quality_score"],
        computation_time_ms=elapsed_ms,
        correlation_id=request.correlation_id,
        computed_at=computed_at,
        data_quality=data_quality(raw),
    )


def batch_output(
    request: AnalyticsRequest, raw: dict[str, Any], elapsed_ms: float, computed_at: datetime
) -> ModelUsageAnalyticsBatchOutput:
    """The batch output of a grouped result dict (its `groups`: (pattern id, result))."""
    results = {
        pattern_id: analytics_output(
            request, _output_id(pattern_id), group, elapsed_ms, computed_at
        )
        for pattern_id, group in raw["groups"]
    }
    return ModelUsageAnalyticsBatchOutput.model_construct(
        results=results,
        data_quality=data_quality(raw),
        computation_time_ms=elapsed_ms,
        correlation_id=request.correlation_id,
        computed_at=computed_at,
    )


def _output_id(pattern_id: object) -> Any:
    """A result's `pattern_id`: UUIDs and strings as given, integers as their text."""
    return pattern_id if isinstance(pattern_id, str) else str(pattern_id)


def _trend(trend: dict[str, Any] | None) -> TrendAnalysis | None:
    if trend is None:
        return None
    fields = dict(trend)
    series, prediction = fields.pop("time_series"), fields.pop("predictions")
    fields["trend_type"] = UsageTrendType(fields["trend_type"])
    return TrendAnalysis.model_construct(
        **fields,
        time_series=None
        if series is None
        else [
            UsageTimeBucket.model_construct(
                start=datetime_of(start), end=datetime_of(end), executions=count, rate_per_day=rate
            )
            for start, end, count, rate in series
        ],
        predictions=None if prediction is None else UsagePrediction.model_construct(**prediction),
    )
