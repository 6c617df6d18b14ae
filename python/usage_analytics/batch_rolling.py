"""A rolling monitor of many patterns: `BatchRollingUsageAnalytics`.

`RollingUsageAnalytics` watches one pattern; this one watches every pattern of its records,
which carry a `pattern_id` (UUID, str or int) as `execute_batch_reduction`'s do, and
snapshots them all at once into a `ModelUsageAnalyticsBatchOutput` (its `to_arrow()` for
a dashboard). The records are grouped once per add in the core, each pattern's filed into
its own buckets (the patterns in parallel); a snapshot finalizes the patterns in parallel.

Saved and restored (`to_bytes` / `from_bytes`, pickle) under its own magic, `b"UARB"`, and
format version (2 since the monitor's error samples keep their locations, stored after the
rest; a monitor none of whose samples has one is written as version 1, which is read
too): the settings and each pattern's window are stored as one-pattern monitors are, and
checked as they are on load.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationInfo, model_validator

from usage_analytics import _core
from usage_analytics.contracts import ModelUsageAnalyticsBatchOutput
from usage_analytics.output import batch_output
from usage_analytics.streaming import MonitorSettings, RollingMonitor

__all__ = ["BatchRollingSettings", "BatchRollingUsageAnalytics"]


class BatchRollingSettings(MonitorSettings):
    """The settings of a `BatchRollingUsageAnalytics`: `MonitorSettings` alone, no
    `pattern_id` (each record names its own; a one-pattern monitor's "rolling" default
    would name none of them).

    Monitors saved before this model (bytes or pickles) stored their settings as a
    `RollingSettings` of the default `"pattern_id": "rolling"` (their constructor refused
    any other): read back from bytes (the `STORED` context), that key is dropped, and any
    other value is refused as settings of no batch monitor. Constructed directly, a
    `pattern_id` is refused as any unknown field is. Bytes saved now omit the key, which
    those versions read as its default: a downgrade loads them too."""

    @model_validator(mode="before")
    @classmethod
    def _without_a_stored_pattern_id(cls, data: Any, info: ValidationInfo) -> Any:
        stored = isinstance(info.context, Mapping) and info.context.get("stored", False)
        if stored and isinstance(data, dict) and data.get("pattern_id") == _SAVED_PATTERN_ID:
            return {key: value for key, value in data.items() if key != "pattern_id"}
        return data


#: The pattern id every batch monitor's stored settings held before `BatchRollingSettings`
#: (`RollingSettings`' default).
_SAVED_PATTERN_ID = "rolling"


class BatchRollingUsageAnalytics(RollingMonitor[BatchRollingSettings]):
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
    its place in the `add` that brought it (and a pandas row by its index label too,
    `location`, kept when its pattern is forgotten); a pattern's count its own records,
    indexed among that pattern's records of the add, and name no location (as
    `execute_batch_reduction`'s).

    Settings: `BatchRollingSettings`, `RollingSettings` but `pattern_id` (the records
    carry theirs). `add`,
    `to_bytes`, `from_bytes`, `settings` and `retained_buckets` (over all patterns) are
    `RollingUsageAnalytics`'s, shared through `streaming.RollingMonitor`.
    """

    _CORE = _core.CoreBatchRolling
    _GROUPED = True
    _SETTINGS = BatchRollingSettings

    __slots__ = ()

    def __init__(self, window: timedelta, bucket: timedelta, **settings: Any) -> None:
        if "pattern_id" in settings:
            raise TypeError(
                "BatchRollingUsageAnalytics takes no pattern_id: each record names its own"
            )
        super().__init__(window, bucket, **settings)

    @property
    def pattern_count(self) -> int:
        """Patterns currently held: those with a bucket in the kept range."""
        with self._lock:
            return int(self._core.pattern_count)

    def snapshot(self, now: datetime) -> ModelUsageAnalyticsBatchOutput:
        """The analytics of every pattern with records in the window ending with the
        bucket holding `now` (naive = UTC)."""
        now_us, start, end = self._window_of(now)
        started = time.perf_counter()
        raw = self._core_snapshot(now_us, start, end)
        return batch_output(
            self._settings.request(start, end), raw, started, computed_at=datetime.now(UTC)
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore_batch_rolling, (self.to_bytes(),))


def _restore_batch_rolling(data: bytes) -> BatchRollingUsageAnalytics:
    return BatchRollingUsageAnalytics.from_bytes(data)
