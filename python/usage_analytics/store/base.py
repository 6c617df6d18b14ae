"""What every analytics store shares: the stored row and the `AnalyticsStore` interface.

A result is stored as one row of the `pattern_analytics` table, keyed by (pattern_id,
window_start, window_end, correlation_id): saving the same result again (or another
result with the same key) replaces the row, so retries are harmless. Columns:

| column                  | holds                                                          |
|-------------------------|----------------------------------------------------------------|
| pattern_id              | the pattern id as text (a UUID in its canonical form)          |
| window_start/window_end | the window (timestamptz; UTC ISO-8601 text in SQLite)          |
| window_type             | the `TimeWindowType` value                                     |
| correlation_id          | the request's correlation id (uuid; text in SQLite)           |
| computed_at             | when the result was computed                                   |
| total_executions        | usage_metrics.total_executions                                 |
| success_rate            | success_metrics.success_rate                                   |
| p95_execution_time_ms   | performance p95; NULL without performance metrics or timings   |
| trend_type              | trend_analysis.trend_type; NULL without trend analysis         |
| analytics_quality_score | analytics_quality_score                                        |
| result                  | `result.to_json()`: the replaced system's shape, to read (jsonb) |
| model                   | `result.model_dump_json()`, read back into the exact model      |

`to_dict()` nests and renames some fields (the replaced system's shape), so reading a
result back uses the `model` column, which round-trips exactly (`get(...) == result`).

The key names no zone, granularity or families: one window analysed in two zones, at two
granularities, or with and without performance metrics is several rows. `get` and
`history` select among them by `timezone=`, `granularity=` and `requires=` (families that
must be present), read from the `result` column, and by `window_type=` (the column;
`usage_analytics.store.selection`); without them the newest result of the window is
returned, whatever it holds, and `history` lists a pattern's windows of every type.

Indexes: the key, (pattern_id, computed_at) for `history`, (pattern_id, window_type,
computed_at) for `history` of one window type (added in session 54: a table made before
gets it at its next save, see each store's `_create`), and (computed_at) for `prune` of
every pattern (added in session 58: a table made before gets it at its next save or
prune). A table dropped and made again without them (by a DBA) gets them all at the next
save or prune too, and one of them dropped (the table kept) gets it again: in PostgreSQL,
whose store remembers its table, by its new OID, or by its index no longer found.

`prune(older_than, ...)` deletes the rows computed before `older_than` but the newest of
each pattern's series of one window type (`usage_analytics.store.pruning`).
"""

from __future__ import annotations

import numbers
from abc import ABC, abstractmethod
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from usage_analytics.closing import AsyncClosing
from usage_analytics.contracts import (
    AnalyticsGranularity,
    ModelUsageAnalyticsBatchOutput,
    ModelUsageAnalyticsOutput,
    TimeWindowType,
)
from usage_analytics.sources.base import SourceError, a_datetime, is_utf8_text, pattern_uuid
from usage_analytics.store.selection import Selection, selection

if TYPE_CHECKING:
    from usage_analytics.store.pruning import Pruning

__all__ = [
    "ANALYTICS_TABLE",
    "COLUMNS",
    "KEY",
    "NEWEST_FIRST",
    "NEWEST_FIRST_COLUMNS",
    "AnalyticsStore",
    "StoreError",
    "read_result",
    "stored_row",
]

ANALYTICS_TABLE = "pattern_analytics"
#: The columns of a stored row, in insert order.
COLUMNS = (
    "pattern_id",
    "window_start",
    "window_end",
    "window_type",
    "correlation_id",
    "computed_at",
    "total_executions",
    "success_rate",
    "p95_execution_time_ms",
    "trend_type",
    "analytics_quality_score",
    "result",
    "model",
)
#: The columns that identify a stored result.
KEY = ("pattern_id", "window_start", "window_end", "correlation_id")
#: The order of `get` and `history`: most recently computed first, then by the rest of
#: the key, so results computed at one instant come in one order in both databases (each
#: database, and `get` and `history` of one PostgreSQL store, chose among them apart).
#: Every column descending: `prune` compares rows by these columns as one tuple.
NEWEST_FIRST_COLUMNS = ("computed_at", "window_start", "window_end", "correlation_id")
NEWEST_FIRST = ", ".join(f"{column} DESC" for column in NEWEST_FIRST_COLUMNS)


class StoreError(SourceError):
    """Results that cannot be stored or read back."""


def stored_row(result: ModelUsageAnalyticsOutput) -> dict[str, Any]:
    """The row of `result`: `COLUMNS` -> Python values (datetimes aware, ids as str)."""
    perf, trend = result.performance_metrics, result.trend_analysis
    return {
        "pattern_id": key_text(result.pattern_id),  # (as `get` and `history` ask)
        "window_start": result.time_window_start,
        "window_end": result.time_window_end,
        "window_type": result.time_window_type.value,
        "correlation_id": str(result.correlation_id),
        "computed_at": result.computed_at,
        "total_executions": result.usage_metrics.total_executions,
        "success_rate": result.success_metrics.success_rate,
        "p95_execution_time_ms": (
            perf.p95_execution_time_ms if perf is not None and perf.sample_count else None
        ),
        "trend_type": None if trend is None else trend.trend_type.value,
        "analytics_quality_score": result.analytics_quality_score,
        "result": result.to_json(),
        "model": _model_json(result),
    }


def _model_json(result: ModelUsageAnalyticsOutput) -> str:
    """`result.model_dump_json()`, which `read_result` reads back exactly (an infinite
    mean, std or total as the string "Infinity"; rows written before that hold JSON's
    `Infinity` extension, which pydantic reads too)."""
    return result.model_dump_json()


def read_result(model_json: str) -> ModelUsageAnalyticsOutput:
    """A stored `model` column back as the output model."""
    try:
        return ModelUsageAnalyticsOutput.model_validate_json(model_json)
    except ValueError as error:
        raise StoreError(f"a stored result does not read back: {error}") from None


def checked_limit(limit: int) -> int:
    """`history`'s `limit`: a count both databases take (SQLite read -1 as "all", and
    PostgreSQL refused it; a limit past 64 bits was a raw OverflowError)."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 <= limit < 2**63:
        raise ValueError(f"limit must be an int from 0 to 2**63 - 1, got {limit!r}")
    return limit


def key_hint(message: str) -> str:
    """What to do about a database's refusal of the store's upsert on a table made without
    its key (by hand, or by another tool): its words ("no unique or exclusion constraint
    matching the ON CONFLICT specification") named neither the key nor the remedy."""
    if "ON CONFLICT" not in message:
        return ""
    return (
        f" (the table needs a primary key or unique index on ({', '.join(KEY)}), as the "
        "store creates it)"
    )


def key_text(pattern_id: UUID | str | int) -> str:
    """The stored form of a pattern id: a UUID canonical, in any spelling the sources read
    as one (`pattern_uuid`: either case, braces, `urn:uuid:` or `URN:UUID:`); an int as
    its text (as a batch keys an int id, whose result's `pattern_id` is that text); other
    text as given."""
    if isinstance(pattern_id, UUID):
        return str(pattern_id)
    if isinstance(pattern_id, numbers.Integral) and not isinstance(pattern_id, bool):
        return str(int(pattern_id))  # (numpy's ints too: a pandas column's values)
    if not isinstance(pattern_id, str):
        raise TypeError(f"pattern_id must be a UUID, str or int, got {pattern_id!r}")
    uuid = pattern_uuid(pattern_id)
    return pattern_id if uuid is None else str(uuid)


def _unstorable(key: str) -> bool:
    """Whether the stored form `key` of a pattern id asked for names no stored result by
    holding a lone surrogate (text that is not UTF-8: undecodable bytes of `--pattern`):
    a database's text is UTF-8, so no result of it was saved, and bound, it raised a bare
    UnicodeEncodeError from `get`, `history` and `prune` of both stores. Those find none,
    once every argument is checked, as a source's read finds an unknown pattern."""
    return not is_utf8_text(key)


def checked_bound(name: str, value: Any) -> datetime:
    """A window bound `get` asks by: a datetime (naive = UTC), as the instant in UTC that
    a request makes of it. Other values were an AttributeError in SQLite, and in
    PostgreSQL a failed query (text) or no result (a date, compared as its midnight)."""
    bound = a_datetime(name, value)  # (refused in the words a source's fetch uses)
    # A zone naming no offset is UTC, as a request reads it (`astimezone` read it in the
    # machine's zone: the result was looked for under another window).
    if bound.tzinfo is None or bound.utcoffset() is None:
        return bound.replace(tzinfo=UTC)
    try:
        return bound.astimezone(UTC)
    except OverflowError:  # (SQLite's store raised it bare; PostgreSQL's found nothing)
        raise ValueError(
            f"{name} {bound.isoformat()} is outside the years 1 to 9999 in UTC, where no "
            "window lies"
        ) from None


def checked_window(start: Any, end: Any) -> tuple[datetime, datetime]:
    """The bounds `get` asks by (`checked_bound`), end after start as a request's window
    must be: a reversed window (`get(pattern, end, start)`) was looked for and found
    nothing, None as for a window never computed. (DESIGN.md is silent on the store's
    arguments: a ValueError, as for a bound outside the years and as the request's.)"""
    start, end = checked_bound("start", start), checked_bound("end", end)
    if end <= start:
        raise ValueError(
            f"end ({end.isoformat()}) must be after start ({start.isoformat()}): no "
            "window ends before it starts (bounds given the wrong way round?)"
        )
    return start, end


_OUTPUT = ModelUsageAnalyticsOutput.__name__
#: How a batch's results are saved: a batch output is no result (it holds one a pattern's).
_BATCH_HINT = "save a batch's results: save_many(batch.results.values())"


def _hint(value: Any) -> str:
    return f": {_BATCH_HINT}" if isinstance(value, ModelUsageAnalyticsBatchOutput) else ""


def checked_results(results: Any) -> list[ModelUsageAnalyticsOutput]:
    """`save_many`'s results as a list, each a `ModelUsageAnalyticsOutput`, else a
    TypeError naming the first other value by its position, before anything is saved:
    a batch output (given alone, or among results) was an AttributeError on a field it
    lacks, deep inside the making of a row (the design is silent on the store's
    arguments: a TypeError, as for a window bound that is no datetime)."""
    if isinstance(results, ModelUsageAnalyticsBatchOutput):  # (iterated: its fields)
        raise TypeError(
            f"save_many() takes {_OUTPUT}s, got a {type(results).__name__}: {_BATCH_HINT}"
        )
    listed = list(results)
    for position, result in enumerate(listed):
        if not isinstance(result, ModelUsageAnalyticsOutput):
            raise TypeError(
                f"result {position} is a {type(result).__name__}, not a {_OUTPUT}{_hint(result)}"
            )
    return listed


def correlation_text(correlation_id: UUID | str) -> str:
    """The stored form of a correlation id asked for: a UUID's canonical text, from a UUID
    or any text `UUID()` reads (SQLite compared the text as given, so only the canonical
    spelling was found there, while PostgreSQL found every spelling and refused other text
    with a failed query)."""
    if isinstance(correlation_id, UUID):
        return str(correlation_id)
    if isinstance(correlation_id, str):
        try:
            return str(UUID(correlation_id.strip()))
        except ValueError:
            pass
    raise ValueError(f"correlation_id must be a UUID, got {correlation_id!r}")


class AnalyticsStore(AsyncClosing, ABC):
    """Analytics results, stored and read back (see the module docstring).

    Use as an async context manager, or call `close()`.
    """

    #: Where the results are stored, for messages.
    description: str

    async def save(self, result: ModelUsageAnalyticsOutput) -> None:
        """Store `result`, replacing a stored result with the same key."""
        if not isinstance(result, ModelUsageAnalyticsOutput):
            raise TypeError(
                f"save() takes a {_OUTPUT}, got a {type(result).__name__}{_hint(result)}"
            )
        await self.save_many([result])

    @abstractmethod
    async def save_many(self, results: Iterable[ModelUsageAnalyticsOutput]) -> None:
        """Store every result in one transaction (see `save`)."""

    async def get(
        self,
        pattern_id: UUID | str | int,
        start: datetime,
        end: datetime,
        correlation_id: UUID | str | None = None,
        *,
        timezone: str | None = None,
        granularity: AnalyticsGranularity | str | None = None,
        requires: Iterable[str] | str = (),
        window_type: TimeWindowType | str | None = None,
    ) -> ModelUsageAnalyticsOutput | None:
        """The stored result of the pattern over exactly `[start, end]` (with that
        correlation id, a UUID or its text, if given; else the most recently computed, of
        several computed at one instant the one of the greatest correlation id) among
        those selected; None if none.

        The key has no zone, granularity or families, so one window may have several
        results, and without a selection the newest is returned whatever it holds (see
        `usage_analytics.store.selection`):

        - `window_type` (a `TimeWindowType` or its value, "weekly") selects the results
          of windows of that type (the request's `time_window_type`): its default trend
          buckets, and in `history` one series of a service's daily and weekly results;
        - `timezone` (an IANA name, any case) selects the results computed in that zone:
          a window's days, hours and weekdays differ by zone;
        - `granularity` (an `AnalyticsGranularity` or its value, "summary") those of
          that granularity: a SUMMARY has no context distribution, only a COMPREHENSIVE
          the per-bucket time series;
        - `requires` (a name or names of `OPTIONAL_FAMILIES`: "performance_metrics",
          "trend_analysis", "context_distribution") those holding every family named: a
          result computed with `include_performance=False` has no p95, whatever its
          granularity.

        A value of none of these kinds is a TypeError, an unknown window type, zone,
        granularity or family a ValueError naming the parameter, the value and what is
        allowed; so is an `end` not after `start` (`checked_window`)."""
        start, end = checked_window(start, end)
        key = key_text(pattern_id)
        correlation = None if correlation_id is None else correlation_text(correlation_id)
        chosen = selection(timezone, granularity, requires, window_type)
        if _unstorable(key):
            return None
        return await self._get(key, start, end, correlation, chosen)

    @abstractmethod
    async def _get(
        self,
        key: str,
        start: datetime,
        end: datetime,
        correlation_id: str | None,
        chosen: Selection,
    ) -> ModelUsageAnalyticsOutput | None:
        """`get` of arguments checked by every store alike, in one order, before it opens
        its database (an argument's error depends neither on the database nor on whether
        its table is there yet): the pattern id's stored form (`key_text`), the bounds in
        UTC, the correlation id's canonical text, and the selection."""

    async def history(
        self,
        pattern_id: UUID | str | int,
        limit: int = 20,
        *,
        timezone: str | None = None,
        granularity: AnalyticsGranularity | str | None = None,
        requires: Iterable[str] | str = (),
        window_type: TimeWindowType | str | None = None,
    ) -> list[ModelUsageAnalyticsOutput]:
        """The pattern's stored results, most recently computed first (see
        `NEWEST_FIRST`), up to `limit`; only those selected by `window_type`,
        `timezone`, `granularity` and `requires`, if given (see `get`): without
        `window_type`, a pattern's windows of every type, in one list."""
        limit = checked_limit(limit)
        chosen = selection(timezone, granularity, requires, window_type)
        key = key_text(pattern_id)
        if _unstorable(key):
            return []
        return await self._history(key, limit, chosen)

    @abstractmethod
    async def _history(
        self, key: str, limit: int, chosen: Selection
    ) -> list[ModelUsageAnalyticsOutput]:
        """`history` of arguments checked (as `_get`'s)."""

    async def prune(
        self,
        older_than: datetime,
        *,
        pattern_id: UUID | str | int | None = None,
        window_type: TimeWindowType | str | None = None,
        keep_latest: int = 1,
    ) -> int:
        """Delete the results computed before `older_than` (naive = UTC), of `pattern_id`
        and of `window_type` if given (else of every one), but the `keep_latest` newest of
        each pattern's results of one window type (in `NEWEST_FIRST` order, whatever
        their age: `get` of a pattern's last window still answers); in one transaction.
        Returns how many rows were deleted; an absent table has none (and is not made).

        See `usage_analytics.store.pruning` for the rule and what it keeps. `older_than`
        not a datetime is a TypeError, as `get`'s bounds; `keep_latest` not an int from
        0 (keep none) up, or an unknown window type, a ValueError."""
        # (Imported here: `pruning` builds on this module's key and bound checks.)
        from usage_analytics.store.pruning import pruning

        chosen = pruning(older_than, pattern_id, window_type, keep_latest)
        if chosen.pattern_id is not None and _unstorable(chosen.pattern_id):
            return 0
        return await self._prune(chosen)

    @abstractmethod
    async def _prune(self, chosen: Pruning) -> int:
        """`prune` of arguments checked (as `_get`'s): the rows `chosen` deletes."""
