"""A rolling monitor of many patterns: `BatchRollingUsageAnalytics`.

`RollingUsageAnalytics` watches one pattern; this one watches every pattern of its records,
which carry a `pattern_id` (UUID, str or int) as `execute_batch_reduction`'s do, and
snapshots them all at once into a `ModelUsageAnalyticsBatchOutput` (its `to_arrow()` for
a dashboard). The records are grouped once per add in the core, each pattern's filed into
its own buckets (the patterns in parallel); a snapshot finalizes the patterns in parallel.

Saved and restored (`to_bytes` / `from_bytes`, pickle) under its own magic, `b"UARB"`, and
format version (1): the settings and each pattern's window are stored as one-pattern
monitors are, and checked as they are on load.
"""

from __future__ import annotations

import time
import warnings
from datetime import UTC, datetime, timedelta
from typing import Any, Self

from pydantic import ValidationError

from usage_analytics import _core
from usage_analytics.contracts import ModelUsageAnalyticsBatchOutput, micros
from usage_analytics.errors import TimestampUnitWarning, UsageAnalyticsError
from usage_analytics.ingest.dispatch import read_any
from usage_analytics.ingest.spellings import warn_of_spellings
from usage_analytics.input_notes import filed_unit_hint, noted_stream
from usage_analytics.output import batch_output, datetime_of
from usage_analytics.reducer import raise_if_invalid
from usage_analytics.state_lock import StateLock
from usage_analytics.streaming import (
    _EPOCH,
    _KEPT_WINDOWS,
    _LAST_US,
    _MAX_SETTINGS_BYTES,
    _ONE_MICROSECOND,
    RollingSettings,
    _aware,
    _checked_bytes,
    _core_arguments,
    _unreadable,
)

__all__ = ["BatchRollingUsageAnalytics"]


class BatchRollingUsageAnalytics:
    """The analytics of the last `window` of executions of every pattern, as they arrive.

    The settings, buckets and guarantees are `RollingUsageAnalytics`'s (read its notes on
    the window, time zones, `max_future`, memory errors, thread safety and restarts), but
    for the pattern: each record names its own in a `pattern_id` field or column, as for
    `execute_batch_reduction` (a text that spells an int or a UUID names the same pattern as
    that int or UUID; a missing or blank id makes the record invalid). `snapshot(now)`
    returns a `ModelUsageAnalyticsBatchOutput`: one result per pattern with records in the
    window, each equal to the snapshot of a `RollingUsageAnalytics` fed that pattern's
    records alone, and to `execute_batch_reduction` over the window's records (with
    `time_window_type="custom"` and `bucket_width=bucket`) but for `data_quality`, whose
    counts are cumulative as a one-pattern monitor's are.

    One kept range for all patterns: the window and one window of lookahead behind the
    newest bucket a record of any pattern fell in. A snapshot whose window reaches below it
    raises `UsageAnalyticsError` (as a one-pattern monitor of all the records would).

    A pattern that goes silent has no result once its last records leave the window (the
    one-pattern monitor reports a row of zeros instead; here, thousands of silent patterns
    would be thousands of rows): alert on an id missing from `results`. Its buckets are
    kept while they are in the kept range (at most 2 x window / bucket of them); after the
    add that moves the kept range past them, the pattern is forgotten with its
    `data_quality` counts, so memory follows the patterns active in the last two windows,
    not every id ever seen. A forgotten pattern that comes back starts anew. The
    monitor's own `data_quality` counts every record since creation, of every pattern and
    of none (an invalid pattern id), and its `error_samples` name each invalid record by
    its place in the `add` that brought it; a pattern's count its own records, indexed
    among that pattern's records of the add.

    Settings: `RollingSettings` but `pattern_id` (the records carry theirs).
    """

    __slots__ = ("_core", "_kept_span_us", "_lock", "_settings")

    def __init__(self, window: timedelta, bucket: timedelta, **settings: Any) -> None:
        if "pattern_id" in settings:
            raise TypeError(
                "BatchRollingUsageAnalytics takes no pattern_id: each record names its own"
            )
        checked = RollingSettings(window=window, bucket=bucket, **settings)
        self._take(checked, _core.CoreBatchRolling(*_core_arguments(checked)))

    def _take(self, settings: RollingSettings, core: Any) -> None:
        self._settings, self._core = settings, core
        self._lock = StateLock(type(self).__name__)
        self._kept_span_us = (_KEPT_WINDOWS * settings.window - settings.bucket) // _ONE_MICROSECOND

    @property
    def settings(self) -> RollingSettings:
        return self._settings

    @property
    def retained_buckets(self) -> int:
        """Buckets currently held, over all patterns (at most 2 x window / bucket each)."""
        with self._lock:
            return int(self._core.retained_buckets)

    @property
    def pattern_count(self) -> int:
        """Patterns currently held: those with a bucket in the kept range."""
        with self._lock:
            return int(self._core.pattern_count)

    def add(self, data: Any, *, now: datetime | None = None) -> None:
        """File records (any form `execute_batch_reduction` takes, with their
        `pattern_id`) into their patterns' buckets. Atomic, reading a table in place, and
        `now`, `max_future` and the warnings as for `RollingUsageAnalytics.add`."""
        warn_of_spellings(data, grouped=True)
        until = self._until(now)
        given = data
        data, streamed = noted_stream(data)
        try:
            with self._lock:
                core = self._core
                raw = read_any(
                    data,
                    records=lambda records: core.add_records(records, until),
                    arrow=lambda table, whole: core.add_arrow(table, whole, until),
                    grouped=True,
                )
                newest = core.newest_start_us
        finally:
            if data is not given:
                data.close()
            if streamed is not None:
                streamed.close()
        raise_if_invalid(self._settings.request(_EPOCH, _EPOCH + self._settings.bucket), raw, data)
        kept = None if newest is None else (newest - self._kept_span_us, newest)
        hint = filed_unit_hint(raw, data, kept, None if now is None else _aware(now), streamed)
        if hint is not None:
            warnings.warn(hint, TimestampUnitWarning, stacklevel=2)

    def _until(self, now: datetime | None) -> int | None:
        """The latest instant an add files, in microseconds (None: no limit)."""
        limit = self._settings.max_future
        if limit is None:
            if now is not None:
                raise ValueError(
                    "now= is the clock that max_future is measured from; set max_future"
                )
            return None
        clock = datetime.now(UTC) if now is None else _aware(now)
        return min(micros(clock) + limit // _ONE_MICROSECOND, _LAST_US)

    def snapshot(self, now: datetime) -> ModelUsageAnalyticsBatchOutput:
        """The analytics of every pattern with records in the window ending with the
        bucket holding `now` (naive = UTC)."""
        now = _aware(now)
        now_us = micros(now)
        bucket_us = self._settings.bucket // _ONE_MICROSECOND
        end_us = (now_us // bucket_us + 1) * bucket_us
        start_us = end_us - self._settings.window // _ONE_MICROSECOND
        try:  # checked before the core reads anything
            start, end = datetime_of(start_us), datetime_of(end_us)
        except OverflowError:
            raise UsageAnalyticsError(
                f"the window ending with the bucket of {now.isoformat()} is out of range"
            ) from None
        started = time.perf_counter()
        with self._lock:
            try:
                raw = self._core.snapshot(now_us)
            except UsageAnalyticsError as error:
                window = f"{start.isoformat()} to {end.isoformat()}"
                raise UsageAnalyticsError(f"snapshot of {window}: {error}") from None
        return batch_output(
            self._settings.request(start, end), raw, started, computed_at=datetime.now(UTC)
        )

    def to_bytes(self) -> bytes:
        """The monitor as bytes, for `from_bytes` in another process or after a restart:
        each pattern's buckets and counts, the kept range, the cumulative counts and the
        settings."""
        meta = self._settings.model_dump_json().encode()
        with self._lock:
            data: bytes = self._core.to_bytes(meta)
        return data

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> Self:
        """A monitor from `to_bytes()` output, whose snapshots and adds are those the saved
        one's would have been. `UsageAnalyticsError` if the bytes are not a valid batch
        monitor (malformed, truncated, altered, a one-pattern monitor's or an
        accumulator's, or of another format version); `MemoryError` if the memory to load
        it cannot be had."""
        core, meta = _core.CoreBatchRolling.from_bytes(_checked_bytes(data, "from_bytes"))
        if len(meta) > _MAX_SETTINGS_BYTES:
            raise _unreadable(ValueError(f"{len(meta):,} bytes of them, more than settings take"))
        try:
            settings = RollingSettings.model_validate_json(meta)
            core.configure(*_core_arguments(settings))
        except (ValidationError, TypeError, OverflowError) as error:
            raise _unreadable(error) from None
        monitor = cls.__new__(cls)
        monitor._take(settings, core)
        return monitor

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore_batch_rolling, (self.to_bytes(),))


def _restore_batch_rolling(data: bytes) -> BatchRollingUsageAnalytics:
    return BatchRollingUsageAnalytics.from_bytes(data)
