"""The Rust core's results -> the pydantic output models.

The core's values already have the models' types (it is our own code, tested against the
reference), so the models are built without validation: validating them again would cost
more than reducing a thousand records. Each model class has a `ModelFactory` (Rust,
`rust/models.rs`) that takes a dict holding exactly the model's fields as the model's field
dict, and the core builds each output's dicts and models itself (`OutputModels`,
`rust/output_models.rs`) from its results (`CoreResult`): a batch builds seventy thousand
models, on the one thread its caller waits on. A batch's outputs are built with Python's
cyclic garbage collector paused (`gc_paused`): they hold no cycles, and the full
collections that tens of thousands of new objects set off walked the whole heap, costing
more than building the objects (10,000 outputs took 0.28-0.64 s with the collector running
and 0.12-0.23 s without it). So is a COMPREHENSIVE time series (a million buckets: 4.6 s
of models with the collector running, 1.8 s without). The models and the containers made
for them are also taken out of the collector's lists (`ModelFactory`, `untracked`,
`rust/gc_pause.rs`): paused, the collector still lists them, and the collection after the
pause walked them all, as did each full collection while the caller held them.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from usage_analytics import _core
from usage_analytics._core import CoreResult, ModelFactory, OutputBuilder, OutputModels, untracked
from usage_analytics.collector import gc_paused
from usage_analytics.contracts import (
    AnalyticsGranularity,
    AnalyticsRequest,
    ContextDistribution,
    DataQuality,
    InvalidRecordSample,
    ModelUsageAnalyticsBatchOutput,
    ModelUsageAnalyticsOutput,
    PerformanceMetrics,
    SuccessMetrics,
    TimeWindowType,
    TrendAnalysis,
    UsageFrequencyMetrics,
    UsagePrediction,
    UsageTimeBucket,
    UsageTrendType,
    micros,
    uuid_or_text,
)
from usage_analytics.errors import UsageAnalyticsError

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_time_bucket = ModelFactory(UsageTimeBucket)
_batch_output = ModelFactory(ModelUsageAnalyticsBatchOutput)


#: The cancel flag of the reduction whose output this thread builds (`cancellable`).
_CANCEL: contextvars.ContextVar[Any] = contextvars.ContextVar(
    "usage_analytics_cancel", default=None
)
#: Time-series buckets built between looks at the cancel flag (a few milliseconds' worth).
_BUCKETS_PER_CHECK = 4096


@contextlib.contextmanager
def cancellable(cancel: Any) -> Iterator[None]:
    """Outputs built in the block stop, raising `UsageAnalyticsError`, once `cancel` (a
    `CancelFlag`, or None) is set: a cancelled call's reading stopped at its next chunk,
    but its outputs (a million time-series buckets take seconds, a batch thousands of
    patterns) were built for nobody."""
    token = _CANCEL.set(cancel)
    try:
        yield
    finally:
        _CANCEL.reset(token)


def check_cancelled() -> None:
    """Raise if the reduction whose output this thread builds was cancelled."""
    cancel = _CANCEL.get()
    if cancel is not None and cancel.cancelled:
        raise UsageAnalyticsError("the reduction was cancelled")


def datetime_of(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def _bucket_datetimes(
    series: list[tuple[int, int, int, float]],
) -> Iterator[tuple[datetime, datetime, int, float]]:
    """The series' buckets with their bounds as datetimes. Each bucket starts where the
    one before it ends, and the widths repeat: adding a width to a datetime is ten times
    cheaper than making one from epoch microseconds (a million-bucket series took
    seconds), and exact (UTC datetimes add integer microseconds)."""
    widths: dict[int, timedelta] = {}
    end_micros: int | None = None
    end = _EPOCH
    for position, (start_micros, next_end_micros, count, rate) in enumerate(series):
        if position % _BUCKETS_PER_CHECK == 0:
            check_cancelled()
        start = end if start_micros == end_micros else datetime_of(start_micros)
        width = next_end_micros - start_micros
        step = widths.get(width)
        if step is None:
            step = widths[width] = timedelta(microseconds=width)
        end_micros, end = next_end_micros, start + step
        yield start, end, count, rate


def _time_series(series: list[tuple[int, int, int, float]]) -> list[UsageTimeBucket]:
    """A trend's `time_series` models (the core calls it with the buckets' bounds)."""
    with gc_paused():  # (up to a million buckets: as a batch's outputs, see above)
        return untracked(
            [
                _time_bucket(
                    {"start": start, "end": end, "executions": count, "rate_per_day": rate}
                )
                for start, end, count, rate in _bucket_datetimes(series)
            ]
        )


def output_models(core: Any = _core) -> OutputModels:
    """The output models of the library, made by `core`'s classes: the core module itself,
    or another build of it loaded as a module of its own (`benches/core_ab.py`), whose
    results only its own classes read."""
    factory = core.ModelFactory
    models: OutputModels = core.OutputModels(
        output=factory(ModelUsageAnalyticsOutput),
        data_quality=factory(DataQuality),
        error_sample=factory(InvalidRecordSample),
        usage=factory(UsageFrequencyMetrics),
        success=factory(SuccessMetrics),
        performance=factory(PerformanceMetrics),
        trend=factory(TrendAnalysis),
        prediction=factory(UsagePrediction),
        distribution=factory(ContextDistribution),
        # (The trend classes by value: a lookup, where calling the enum cost ten times more.)
        trend_types={member.value: member for member in UsageTrendType},
        time_series=_time_series,
    )
    return models


_MODELS = output_models()


def output_builder(
    request: AnalyticsRequest, computed_at: datetime, models: OutputModels = _MODELS
) -> OutputBuilder:
    """The builder of the outputs of one call of `request`, computed at `computed_at`."""
    return models.builder(
        {
            # (In UTC, and the enums by value: a request changed by `model_copy(update=...)`
            # is not validated, and may hold a naive bound or an enum's text.)
            "time_window_start": datetime_of(micros(request.time_window_start)),
            "time_window_end": datetime_of(micros(request.time_window_end)),
            "time_window_type": TimeWindowType(request.time_window_type),
            "granularity": AnalyticsGranularity(request.granularity),
            "timezone": request.timezone,
            "correlation_id": request.correlation_id,
            "computed_at": computed_at,
        }
    )


def analytics_output(
    request: AnalyticsRequest,
    pattern_id: UUID | str,
    raw: dict[str, Any],
    elapsed_ms: float,
    computed_at: datetime,
) -> ModelUsageAnalyticsOutput:
    """The output of a single call's result dict (`raw`: the core's)."""
    result: CoreResult = raw["result"]
    output: ModelUsageAnalyticsOutput = output_builder(request, computed_at).output(
        pattern_id, result, elapsed_ms
    )
    return output


def batch_output(
    request: AnalyticsRequest,
    raw: dict[str, Any],
    started: float,
    computed_at: datetime,
    models: OutputModels = _MODELS,
) -> ModelUsageAnalyticsBatchOutput:
    """The batch output of a grouped result dict, which gives up its `groups`: the core's
    `GroupResults` of (pattern id, `CoreResult`) pairs. A one-call batch's are finalized on
    the core's threads while the first ones' models are built here, so each pattern's
    `computation_time_ms` runs from `started` (the call's `time.perf_counter()`) until its
    result was read from the core, and the batch's until the last one was. (`models`:
    those of the core that made `raw`, see `output_models`.)"""
    groups = raw.pop("groups")
    builder = output_builder(request, computed_at, models)
    output = builder.output
    with gc_paused():
        results = {}
        for pattern_id, result in groups:
            check_cancelled()
            results[pattern_id] = output(_output_id(pattern_id), result, _elapsed_ms(started))
        # Freed now, the core's per-group results and tuples are not walked by the
        # collection that resumes with the collector.
        del groups
    return _batch_output(
        {
            "results": results,
            "data_quality": builder.data_quality(raw["result"]),
            "computation_time_ms": _elapsed_ms(started),
            "correlation_id": request.correlation_id,
            "computed_at": computed_at,
        },
    )


def _elapsed_ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0


def _output_id(pattern_id: object) -> UUID | str:
    """A result's `pattern_id`, as a single call's contract reads its id: a UUID, or text
    spelling one, as the UUID; other text as given; an integer as its text."""
    if isinstance(pattern_id, UUID):
        return pattern_id
    return uuid_or_text(pattern_id if isinstance(pattern_id, str) else str(pattern_id))
