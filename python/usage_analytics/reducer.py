"""`NodeUsageAnalyticsReducer`: the async front of the Rust core.

Threading: the Rust core reads list-of-dicts records holding the GIL in short chunks
(letting other threads run between them) and reads Arrow input and computes with the GIL
released. Inputs above `INLINE_MAX_RECORDS` run on a worker thread so the event loop keeps
ticking; tiny ones run inline, where the hop to a thread would cost more than the work. The
reducer holds no state, so one instance can be shared by any number of tasks and threads.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from usage_analytics.contracts import (
    AnalyticsGranularity,
    AnalyticsRequest,
    ModelUsageAnalyticsBatchInput,
    ModelUsageAnalyticsBatchOutput,
    ModelUsageAnalyticsInput,
    ModelUsageAnalyticsOutput,
)
from usage_analytics.errors import InvalidRecordError
from usage_analytics.ingest import reduce_any, row_count
from usage_analytics.output import analytics_output, data_quality

__all__ = ["NodeUsageAnalyticsReducer"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MICROSECOND = timedelta(microseconds=1)


def _micros(value: datetime) -> int:
    """Aware datetime -> integer microseconds since the Unix epoch (exact)."""
    return (value - _EPOCH) // _ONE_MICROSECOND


class NodeUsageAnalyticsReducer:
    """Pure reduction of execution records into usage analytics (no I/O, no state)."""

    #: Inputs up to this many records are reduced on the event loop's thread.
    INLINE_MAX_RECORDS = 8192

    async def execute_reduction(
        self, contract: ModelUsageAnalyticsInput
    ) -> ModelUsageAnalyticsOutput:
        """Compute the analytics of `contract`; raises `InvalidRecordError` on a bad
        record unless `contract.on_invalid == "skip"`."""
        if self._inline(contract):
            return self.execute_reduction_sync(contract)
        return await asyncio.to_thread(self.execute_reduction_sync, contract)

    def execute_reduction_sync(
        self, contract: ModelUsageAnalyticsInput
    ) -> ModelUsageAnalyticsOutput:
        """The same reduction, blocking: for scripts, threads and the CLI."""
        started = time.perf_counter()
        raw = reduce_any(contract.execution_data, _core_options(contract, by_pattern=False))
        _raise_if_invalid(contract, raw)
        elapsed_ms = (time.perf_counter() - started) * 1000.0
        return analytics_output(
            contract, contract.pattern_id, raw, elapsed_ms, computed_at=datetime.now(UTC)
        )

    async def execute_batch_reduction(
        self, batch: ModelUsageAnalyticsBatchInput
    ) -> ModelUsageAnalyticsBatchOutput:
        """The analytics of every pattern in `batch.execution_data` (grouped by its
        `pattern_id` column or key), each equal to a single call on that pattern's
        records."""
        if self._inline(batch):
            return self.execute_batch_reduction_sync(batch)
        return await asyncio.to_thread(self.execute_batch_reduction_sync, batch)

    def execute_batch_reduction_sync(
        self, batch: ModelUsageAnalyticsBatchInput
    ) -> ModelUsageAnalyticsBatchOutput:
        started = time.perf_counter()
        raw = reduce_any(batch.execution_data, _core_options(batch, by_pattern=True))
        _raise_if_invalid(batch, raw)
        elapsed_ms = (time.perf_counter() - started) * 1000.0
        computed_at = datetime.now(UTC)
        results = {
            pattern_id: analytics_output(
                batch, _output_id(pattern_id), group, elapsed_ms, computed_at
            )
            for pattern_id, group in raw["groups"]
        }
        return ModelUsageAnalyticsBatchOutput.model_construct(
            results=results,
            data_quality=data_quality(raw),
            computation_time_ms=elapsed_ms,
            correlation_id=batch.correlation_id,
            computed_at=computed_at,
        )

    def _inline(self, request: AnalyticsRequest) -> bool:
        rows = row_count(request.execution_data)
        return rows is not None and rows <= self.INLINE_MAX_RECORDS


def _output_id(pattern_id: object) -> Any:
    """A result's `pattern_id`: UUIDs and strings as given, integers as their text."""
    return pattern_id if isinstance(pattern_id, str) else str(pattern_id)


def _core_options(request: AnalyticsRequest, *, by_pattern: bool) -> dict[str, Any]:
    comprehensive = request.granularity is AnalyticsGranularity.COMPREHENSIVE
    width = request.bucket_width
    thresholds = request.trend_thresholds
    return {
        "start_us": _micros(request.time_window_start),
        "end_us": _micros(request.time_window_end),
        "window_type": request.time_window_type.value,
        "bucket_width_us": None if width is None else width // _ONE_MICROSECOND,
        "timezone": request.timezone,
        "performance": request.include_performance,
        "trends": request.include_trends,
        "distribution": request.include_distribution
        and request.granularity is not AnalyticsGranularity.SUMMARY,
        "time_series": request.include_trends and comprehensive,
        "predictions": request.include_trends and (comprehensive or request.include_predictions),
        "skip_invalid": request.on_invalid == "skip",
        "thresholds": (
            thresholds.growing_velocity,
            thresholds.declining_velocity,
            thresholds.abandoned_velocity,
            thresholds.abandoned_max_executions,
            thresholds.emerging_max_executions,
            thresholds.min_t_statistic,
            thresholds.recent_fraction,
        ),
        "by_pattern": by_pattern,
    }


def _raise_if_invalid(request: AnalyticsRequest, raw: dict[str, Any]) -> None:
    if request.on_invalid == "skip" or not raw["invalid"]:
        return
    index, field, value, reason = raw["errors"][0]
    raise InvalidRecordError(index, field, value, reason, more=raw["invalid"] - 1)
