"""The Rust core's result dicts -> the pydantic output models.

The core's values already have the models' types (it is our own code, tested against the
reference), so the models are built without validation: validating them again would cost
more than reducing a thousand records. `_build` goes one step further than pydantic's
`model_construct` for dicts that hold exactly a model's fields (the core's do): it sets
them as they are, without model_construct's per-field default handling - five times
cheaper, which matters when a batch builds ten thousand outputs. A batch's outputs are
built with Python's cyclic garbage collector paused (`gc_paused`): they hold no cycles, and
the full collections that tens of thousands of new objects set off walked the whole heap,
costing more than building the objects (10,000 outputs took 0.28-0.64 s with the collector
running and 0.12-0.23 s without it).
"""

from __future__ import annotations

import contextlib
import functools
import gc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

from pydantic import BaseModel

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

M = TypeVar("M", bound=BaseModel)
_set = object.__setattr__


@functools.cache
def _field_names(cls: type[BaseModel]) -> frozenset[str]:
    return frozenset(cls.model_fields)


def _build(cls: type[M], fields: dict[str, Any]) -> M:
    """`cls.model_construct(**fields)`, taking `fields` (which this module owns) as the
    model's field dict when it holds exactly the model's fields; model_construct otherwise
    (it fills in defaults)."""
    if fields.keys() != _field_names(cls):
        return cls.model_construct(**fields)
    model = cls.__new__(cls)
    _set(model, "__dict__", fields)
    _set(model, "__pydantic_fields_set__", set(fields))
    _set(model, "__pydantic_extra__", None)
    _set(model, "__pydantic_private__", None)
    return model


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cyclic collector disabled for the block, then enabled again if it was.
    (Process-wide: a collection other threads would have set off meanwhile is deferred to
    the end of the block, not lost.)"""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def datetime_of(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def data_quality(raw: dict[str, Any]) -> DataQuality:
    return _build(
        DataQuality,
        {
            "records_received": raw["received"],
            "records_in_window": raw["in_window"],
            "records_outside_window": raw["outside_window"],
            "invalid_records": raw["invalid"],
            "error_samples": [
                _build(InvalidRecordSample, {"index": i, "field": f, "value": v, "reason": r})
                for i, f, v, r in raw["errors"]
            ],
        },
    )


def analytics_output(
    request: AnalyticsRequest,
    pattern_id: UUID | str,
    raw: dict[str, Any],
    elapsed_ms: float,
    computed_at: datetime,
) -> ModelUsageAnalyticsOutput:
    performance, distribution = raw["performance"], raw["distribution"]
    return _build(
        ModelUsageAnalyticsOutput,
        {
            "pattern_id": pattern_id,
            "time_window_start": request.time_window_start,
            "time_window_end": request.time_window_end,
            "time_window_type": request.time_window_type,
            "granularity": request.granularity,
            "timezone": request.timezone,
            "usage_metrics": _build(UsageFrequencyMetrics, raw["usage"]),
            "success_metrics": _build(SuccessMetrics, raw["success"]),
            "performance_metrics": None
            if performance is None
            else _build(PerformanceMetrics, performance),
            "trend_analysis": _trend(raw["trend"]),
            "context_distribution": None
            if distribution is None
            else _build(ContextDistribution, distribution),
            "total_data_points": raw["received"],
            "analytics_quality_score": raw["analytics_quality_score"],
            "computation_time_ms": elapsed_ms,
            "correlation_id": request.correlation_id,
            "computed_at": computed_at,
            "data_quality": data_quality(raw),
        },
    )


def batch_output(
    request: AnalyticsRequest, raw: dict[str, Any], elapsed_ms: float, computed_at: datetime
) -> ModelUsageAnalyticsBatchOutput:
    """The batch output of a grouped result dict (its `groups`: (pattern id, result))."""
    with gc_paused():
        results = {
            pattern_id: analytics_output(
                request, _output_id(pattern_id), group, elapsed_ms, computed_at
            )
            for pattern_id, group in raw["groups"]
        }
    return _build(
        ModelUsageAnalyticsBatchOutput,
        {
            "results": results,
            "data_quality": data_quality(raw),
            "computation_time_ms": elapsed_ms,
            "correlation_id": request.correlation_id,
            "computed_at": computed_at,
        },
    )


def _output_id(pattern_id: object) -> Any:
    """A result's `pattern_id`: UUIDs and strings as given, integers as their text."""
    return pattern_id if isinstance(pattern_id, str) else str(pattern_id)


def _trend(trend: dict[str, Any] | None) -> TrendAnalysis | None:
    if trend is None:
        return None
    series, prediction = trend["time_series"], trend["predictions"]
    trend["trend_type"] = UsageTrendType(trend["trend_type"])
    if series is not None:
        trend["time_series"] = [
            _build(
                UsageTimeBucket,
                {
                    "start": datetime_of(start),
                    "end": datetime_of(end),
                    "executions": count,
                    "rate_per_day": rate,
                },
            )
            for start, end, count, rate in series
        ]
    if prediction is not None:
        trend["predictions"] = _build(UsagePrediction, prediction)
    return _build(TrendAnalysis, trend)
