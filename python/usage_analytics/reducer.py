"""`NodeUsageAnalyticsReducer`: the async front of the Rust core.

Threading: the Rust core reads the records (holding the GIL in short chunks, letting
other threads run between them) and then computes with the GIL released. Inputs above
`INLINE_MAX_RECORDS` run on a worker thread so the event loop keeps ticking; tiny ones
run inline, where the hop to a thread would cost more than the work. The reducer holds no
state, so one instance can be shared by any number of tasks and threads.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from usage_analytics.contracts import (
    AnalyticsGranularity,
    ContextDistribution,
    DataQuality,
    InvalidRecordSample,
    ModelUsageAnalyticsInput,
    ModelUsageAnalyticsOutput,
    PerformanceMetrics,
    SuccessMetrics,
    TrendAnalysis,
    UsageFrequencyMetrics,
    UsagePrediction,
    UsageTimeBucket,
)
from usage_analytics.errors import InvalidRecordError
from usage_analytics.ingest import reduce_any, row_count

__all__ = ["NodeUsageAnalyticsReducer"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MICROSECOND = timedelta(microseconds=1)


def _micros(value: datetime) -> int:
    """Aware datetime -> integer microseconds since the Unix epoch (exact)."""
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _datetime(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


class NodeUsageAnalyticsReducer:
    """Pure reduction of execution records into usage analytics (no I/O, no state)."""

    #: Inputs up to this many records are reduced on the event loop's thread.
    INLINE_MAX_RECORDS = 8192

    async def execute_reduction(
        self, contract: ModelUsageAnalyticsInput
    ) -> ModelUsageAnalyticsOutput:
        """Compute the analytics of `contract`; raises `InvalidRecordError` on a bad
        record unless `contract.on_invalid == "skip"`."""
        rows = row_count(contract.execution_data)
        if rows is not None and rows <= self.INLINE_MAX_RECORDS:
            return self.execute_reduction_sync(contract)
        return await asyncio.to_thread(self.execute_reduction_sync, contract)

    def execute_reduction_sync(
        self, contract: ModelUsageAnalyticsInput
    ) -> ModelUsageAnalyticsOutput:
        """The same reduction, blocking: for scripts, threads and the CLI."""
        started = time.perf_counter()
        raw = reduce_any(contract.execution_data, _core_options(contract))
        _raise_if_invalid(contract, raw)
        elapsed_ms = (time.perf_counter() - started) * 1000.0
        return _assemble(contract, raw, elapsed_ms)


def _core_options(contract: ModelUsageAnalyticsInput) -> dict[str, Any]:
    comprehensive = contract.granularity is AnalyticsGranularity.COMPREHENSIVE
    width = contract.bucket_width
    thresholds = contract.trend_thresholds
    return {
        "start_us": _micros(contract.time_window_start),
        "end_us": _micros(contract.time_window_end),
        "window_type": contract.time_window_type.value,
        "bucket_width_us": None if width is None else width // _ONE_MICROSECOND,
        "timezone": contract.timezone,
        "performance": contract.include_performance,
        "trends": contract.include_trends,
        "distribution": contract.include_distribution
        and contract.granularity is not AnalyticsGranularity.SUMMARY,
        "time_series": contract.include_trends and comprehensive,
        "predictions": contract.include_trends and (comprehensive or contract.include_predictions),
        "skip_invalid": contract.on_invalid == "skip",
        "thresholds": (
            thresholds.growing_velocity,
            thresholds.declining_velocity,
            thresholds.abandoned_velocity,
            thresholds.abandoned_max_executions,
            thresholds.emerging_max_executions,
            thresholds.min_t_statistic,
            thresholds.recent_fraction,
        ),
    }


def _raise_if_invalid(contract: ModelUsageAnalyticsInput, raw: dict[str, Any]) -> None:
    if contract.on_invalid == "skip" or not raw["invalid"]:
        return
    index, field, value, reason = raw["errors"][0]
    raise InvalidRecordError(index, field, value, reason, more=raw["invalid"] - 1)


def _assemble(
    contract: ModelUsageAnalyticsInput, raw: dict[str, Any], elapsed_ms: float
) -> ModelUsageAnalyticsOutput:
    trend = raw["trend"]
    if trend is not None:
        series = trend.pop("time_series")
        prediction = trend.pop("predictions")
        trend = TrendAnalysis(
            **trend,
            time_series=None
            if series is None
            else [
                UsageTimeBucket(
                    start=_datetime(start),
                    end=_datetime(end),
                    executions=count,
                    rate_per_day=rate,
                )
                for start, end, count, rate in series
            ],
            predictions=None if prediction is None else UsagePrediction(**prediction),
        )
    performance = raw["performance"]
    distribution = raw["distribution"]
    return ModelUsageAnalyticsOutput(
        pattern_id=contract.pattern_id,
        time_window_start=contract.time_window_start,
        time_window_end=contract.time_window_end,
        time_window_type=contract.time_window_type,
        granularity=contract.granularity,
        timezone=contract.timezone,
        usage_metrics=UsageFrequencyMetrics(**raw["usage"]),
        success_metrics=SuccessMetrics(**raw["success"]),
        performance_metrics=None if performance is None else PerformanceMetrics(**performance),
        trend_analysis=trend,
        context_distribution=None if distribution is None else ContextDistribution(**distribution),
        total_data_points=raw["received"],
        analytics_quality_score=raw["analytics_quality_score"],
        computation_time_ms=elapsed_ms,
        correlation_id=contract.correlation_id,
        computed_at=datetime.now(UTC),
        data_quality=DataQuality(
            records_received=raw["received"],
            records_in_window=raw["in_window"],
            records_outside_window=raw["outside_window"],
            invalid_records=raw["invalid"],
            error_samples=[
                InvalidRecordSample(index=i, field=f, value=v, reason=r)
                for i, f, v, r in raw["errors"]
            ],
        ),
    )
