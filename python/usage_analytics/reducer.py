"""`NodeUsageAnalyticsReducer`: the async front of the Rust core.

Threading: the Rust core reads list-of-dicts records holding the GIL in short chunks
(letting other threads run between them) and reads Arrow input and computes with the GIL
released. Inputs above `INLINE_MAX_RECORDS` run on a worker thread so the event loop keeps
ticking; tiny ones run inline, where the hop to a thread would cost more than the work. A
worker thread's reduction stops at its next chunk when the awaiting task is cancelled. The
reducer holds no state, so one instance can be shared by any number of tasks and threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import warnings
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from usage_analytics import _core
from usage_analytics.contracts import (
    ONE_MICROSECOND,
    AnalyticsGranularity,
    AnalyticsRequest,
    ModelUsageAnalyticsBatchInput,
    ModelUsageAnalyticsBatchOutput,
    ModelUsageAnalyticsInput,
    ModelUsageAnalyticsOutput,
    TimeWindowType,
    micros,
)
from usage_analytics.errors import InvalidRecordError, TimestampUnitWarning
from usage_analytics.ingest.dispatch import reduce_any, row_count
from usage_analytics.ingest.spellings import warn_of_spellings
from usage_analytics.input_notes import epoch_unit_hint, index_label
from usage_analytics.output import analytics_output, batch_output, cancellable
from usage_analytics.worker_threads import to_thread

__all__ = ["NodeUsageAnalyticsReducer"]

_Request = TypeVar("_Request", bound=AnalyticsRequest)
_Result = TypeVar("_Result")
_Output = TypeVar("_Output", ModelUsageAnalyticsOutput, ModelUsageAnalyticsBatchOutput)
#: A reduction's output and the hint to warn of where its integer timestamps look like
#: another unit (`input_notes.epoch_unit_hint`), given in the caller's thread and frame.
_Hinted = tuple[_Output, str | None]


class NodeUsageAnalyticsReducer:
    """Pure reduction of execution records into usage analytics (no I/O, no state)."""

    #: Inputs up to this many records are reduced on the event loop's thread, when their
    #: output is small too: at most `INLINE_MAX_OUTPUT_POINTS` patterns, or pattern-buckets
    #: with the COMPREHENSIVE time series (measured here: about 20 µs a pattern's output,
    #: 2-5 µs a time-series bucket's model).
    INLINE_MAX_RECORDS = 8192
    INLINE_MAX_OUTPUT_POINTS = 256

    async def execute_reduction(
        self, contract: ModelUsageAnalyticsInput
    ) -> ModelUsageAnalyticsOutput:
        """Compute the analytics of `contract`; raises `InvalidRecordError` on a bad
        record unless `contract.on_invalid == "skip"` (naming, for a pandas frame of
        another index than 0 to n - 1, the record's index label too). Warns
        (`TimestampUnitWarning`) where records lie outside the window and the input's
        integer timestamps, epoch microseconds, look like epoch seconds or milliseconds,
        and (`ColumnNameWarning`, before the records are read) where a column looks like
        a record field that no column names exactly, spelled otherwise (`Success`,
        `executionTimeMs`): fields are read by exact name (`ingest.spellings`)."""
        _check_request(contract, ModelUsageAnalyticsInput, "execute_reduction")
        warn_of_spellings(contract.execution_data, grouped=False)
        if self._inline(contract):
            output, hint = self._reduce(contract, None)
        else:
            output, hint = await _in_worker_thread(self._reduce, contract)
        if hint is not None:
            warnings.warn(hint, TimestampUnitWarning, stacklevel=2)
        return output

    def execute_reduction_sync(
        self, contract: ModelUsageAnalyticsInput
    ) -> ModelUsageAnalyticsOutput:
        """The same reduction, blocking: for scripts, threads and the CLI."""
        _check_request(contract, ModelUsageAnalyticsInput, "execute_reduction_sync")
        warn_of_spellings(contract.execution_data, grouped=False)
        output, hint = self._reduce(contract, None)
        if hint is not None:
            warnings.warn(hint, TimestampUnitWarning, stacklevel=2)
        return output

    def _reduce(
        self, contract: ModelUsageAnalyticsInput, cancel: _core.CancelFlag | None
    ) -> _Hinted[ModelUsageAnalyticsOutput]:
        started = time.perf_counter()
        data = contract.execution_data
        raw = reduce_any(data, core_options(contract, by_pattern=False), cancel)
        raise_if_invalid(contract, raw, data)
        elapsed_ms = (time.perf_counter() - started) * 1000.0
        with cancellable(cancel):
            output = analytics_output(
                contract, contract.pattern_id, raw, elapsed_ms, computed_at=datetime.now(UTC)
            )
        return with_index_labels(output, data), _hint(contract, raw)

    async def execute_batch_reduction(
        self, batch: ModelUsageAnalyticsBatchInput
    ) -> ModelUsageAnalyticsBatchOutput:
        """The analytics of every pattern in `batch.execution_data` (grouped by its
        `pattern_id` column or key), each equal to a single call on that pattern's
        records. Errors and warnings as `execute_reduction`'s, a record numbered by its
        row in the whole input (as are the samples of the batch's own `data_quality`;
        a pattern's samples count among that pattern's records, and name no label)."""
        _check_request(batch, ModelUsageAnalyticsBatchInput, "execute_batch_reduction")
        warn_of_spellings(batch.execution_data, grouped=True)
        if self._inline(batch):
            output, hint = self._reduce_batch(batch, None)
        else:
            output, hint = await _in_worker_thread(self._reduce_batch, batch)
        if hint is not None:
            warnings.warn(hint, TimestampUnitWarning, stacklevel=2)
        return output

    def execute_batch_reduction_sync(
        self, batch: ModelUsageAnalyticsBatchInput
    ) -> ModelUsageAnalyticsBatchOutput:
        _check_request(batch, ModelUsageAnalyticsBatchInput, "execute_batch_reduction_sync")
        warn_of_spellings(batch.execution_data, grouped=True)
        output, hint = self._reduce_batch(batch, None)
        if hint is not None:
            warnings.warn(hint, TimestampUnitWarning, stacklevel=2)
        return output

    def _reduce_batch(
        self, batch: ModelUsageAnalyticsBatchInput, cancel: _core.CancelFlag | None
    ) -> _Hinted[ModelUsageAnalyticsBatchOutput]:
        started = time.perf_counter()
        data = batch.execution_data
        raw = reduce_any(data, core_options(batch, by_pattern=True), cancel)
        raise_if_invalid(batch, raw, data)
        with cancellable(cancel):
            output = batch_output(batch, raw, started, computed_at=datetime.now(UTC))
        return with_index_labels(output, data), _hint(batch, raw)

    def _inline(self, request: AnalyticsRequest) -> bool:
        rows = row_count(request.execution_data)
        if rows is None or rows > self.INLINE_MAX_RECORDS:
            return False
        # The output's size counts too: one record can ask for a million time-series
        # points (seconds of model building), and a batch has up to one pattern per record.
        patterns = rows if isinstance(request, ModelUsageAnalyticsBatchInput) else 1
        try:
            points = _points_per_pattern(request)
        except ValueError:  # (a window the core refuses, as it will say: not here)
            return False
        return patterns * points <= self.INLINE_MAX_OUTPUT_POINTS


#: The method that takes each kind of request, for the error of a request given to another.
_METHOD_OF: dict[type[AnalyticsRequest], str] = {
    ModelUsageAnalyticsInput: "execute_reduction",
    ModelUsageAnalyticsBatchInput: "execute_batch_reduction",
}


def _check_request(request: Any, kind: type[AnalyticsRequest], method: str) -> None:
    """A TypeError unless `request` is a `kind`: a batch request given to
    `execute_reduction` failed on a missing attribute deep inside, and a single request
    given to `execute_batch_reduction` was reduced as a batch, its `pattern_id` silently
    ignored (the design is silent on this; mypy tells a typed caller the same). The
    message names the method that takes the request given, or, for a mapping (a request
    body not yet validated), how to make the request of it."""
    if isinstance(request, kind):
        return
    given = type(request).__name__
    message = f"{method}() takes a {kind.__name__}, got {given}"
    other = next((name for cls, name in _METHOD_OF.items() if isinstance(request, cls)), None)
    if other is not None:
        message += f": a {given} goes to {other}()"
    elif isinstance(request, Mapping):
        message += f": make the request of it first, {kind.__name__}.model_validate(...)"
    raise TypeError(message)


async def newest_valid_us(contract: ModelUsageAnalyticsInput) -> int | None:
    """The newest valid record's instant in `contract`'s window (epoch microseconds),
    exactly, where the output has only the hours from it to the window's end, rounded
    (`time_since_last_use`); None without one. One pass of the core over the records on a
    worker thread, invalid records skipped whatever `contract.on_invalid` says; no output
    is made. (For the command line's default window: `cli.valid_end`.)"""

    def newest(request: ModelUsageAnalyticsInput, cancel: _core.CancelFlag) -> int | None:
        options = {**core_options(request, by_pattern=False), "skip_invalid": True}
        latest: int | None = reduce_any(request.execution_data, options, cancel)["result"].latest_us
        return latest

    return await _in_worker_thread(newest, contract)


def _points_per_pattern(request: AnalyticsRequest) -> int:
    """The models of one pattern's output that grow with the window: its trend buckets
    when the time series is asked for (COMPREHENSIVE), else 1."""
    options = family_options(request)
    if not options["time_series"]:
        return 1
    width = request.bucket_width
    return _core.check_window(
        micros(request.time_window_start),
        micros(request.time_window_end),
        TimeWindowType(request.time_window_type).value,
        None if width is None else width // ONE_MICROSECOND,
    )


async def _in_worker_thread(
    reduce: Callable[[_Request, _core.CancelFlag], _Result], request: _Request
) -> _Result:
    """`reduce(request, cancel)` on a worker thread. A thread cannot be interrupted, so when
    the awaiting task is cancelled (a timeout, a client gone) the flag tells the core to
    stop at its next chunk, and the output building at its next pattern or few thousand
    buckets, rather than finish work nobody awaits.

    The cancellation ends once the worker has stopped (a few milliseconds): its thread, its
    memory and its input (a DuckDB connection) are free again when the caller goes on, and
    retries of cancelled calls do not pile up behind them. A step that cannot stop (DuckDB
    running the query being read, pandas converting a frame) is waited for at most
    `_STOP_WAIT_SECONDS`, so that a timeout still ends the call promptly; a second
    cancellation stops the waiting."""
    cancel = _core.CancelFlag()
    worker = asyncio.ensure_future(to_thread("reducing", reduce, request, cancel))
    try:
        return await asyncio.shield(worker)
    except asyncio.CancelledError:
        cancel.cancel()
        worker.add_done_callback(_retrieved)
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait({worker}, timeout=_STOP_WAIT_SECONDS)
        raise


#: How long a cancelled call waits for its worker to stop (see `_in_worker_thread`).
_STOP_WAIT_SECONDS = 0.5


def _retrieved(worker: asyncio.Future[Any]) -> None:
    """Marks a cancelled call's worker's outcome as seen (its "cancelled" error, or its
    result), which nobody awaits: asyncio would log it as never retrieved."""
    if not worker.cancelled():
        worker.exception()


def core_options(
    request: AnalyticsRequest,
    *,
    by_pattern: bool,
    exact_budget: int | None = None,
    relative_accuracy: float = 0.01,
) -> dict[str, Any]:
    """The core's options for `request`. A reduction keeps every execution time
    (`exact_budget=None`); streaming accumulators pass their budget and sketch accuracy."""
    width = request.bucket_width
    return {
        "start_us": micros(request.time_window_start),
        "end_us": micros(request.time_window_end),
        "window_type": TimeWindowType(request.time_window_type).value,
        "bucket_width_us": None if width is None else width // ONE_MICROSECOND,
        **family_options(request),
        "by_pattern": by_pattern,
        "exact_budget": exact_budget,
        "relative_accuracy": relative_accuracy,
    }


def family_options(request: AnalyticsRequest) -> dict[str, Any]:
    """The options that do not depend on the window: zone, families, invalid-record mode
    and trend thresholds. (Enums by value: `model_copy(update=...)` skips validation, and
    a plain "comprehensive" must not silently leave the time series out.)"""
    granularity = AnalyticsGranularity(request.granularity)
    comprehensive = granularity is AnalyticsGranularity.COMPREHENSIVE
    thresholds = request.trend_thresholds
    return {
        "timezone": request.timezone,
        "performance": request.include_performance,
        "trends": request.include_trends,
        "distribution": request.include_distribution
        and granularity is not AnalyticsGranularity.SUMMARY,
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
    }


def raise_if_invalid(request: AnalyticsRequest, raw: dict[str, Any], data: Any = None) -> None:
    """Raise the `InvalidRecordError` of `raw`'s first invalid record unless invalid
    records are skipped; `data`, the input read, for the record's index label where it
    is a pandas frame or Series of another index than 0 to n - 1 (`input_notes.index_label`)."""
    if request.on_invalid == "skip" or not raw["invalid"]:
        return
    index, field, value, reason = raw["errors"][0]
    more, location = raw["invalid"] - 1, index_label(data, index)
    raise InvalidRecordError(index, field, value, reason, more=more, location=location)


def with_index_labels(output: _Output, data: Any) -> _Output:
    """`output` with the error samples of its own `data_quality` (a batch's: of the whole
    input) naming their records' index labels (`location`), where `data` is a pandas
    frame or Series of another index than 0 to n - 1; `output` itself otherwise."""
    quality = output.data_quality
    labels = [index_label(data, sample.index) for sample in quality.error_samples]
    if all(label is None for label in labels):
        return output
    samples = [
        sample.model_copy(update={"location": label})
        for sample, label in zip(quality.error_samples, labels, strict=True)
    ]
    update = {"data_quality": quality.model_copy(update={"error_samples": samples})}
    return output.model_copy(update=update)


def _hint(request: AnalyticsRequest, raw: dict[str, Any]) -> str | None:
    return epoch_unit_hint(raw, request.time_window_start, request.time_window_end)
