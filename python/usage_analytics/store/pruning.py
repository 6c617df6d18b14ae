"""What `prune` deletes, one rule and one statement for SQLite and PostgreSQL.

A store only grew: a monitor of 1,000 patterns saving a rolling snapshot every 5 minutes
writes 288,000 rows a day (over 1 GB in SQLite). `prune(older_than, ...)` deletes the
rows computed before `older_than` (their `computed_at`, the time `history` orders by),
except the `keep_latest` newest of each series, in one statement (one transaction), and
returns how many it deleted.

A series is a pattern's results of one window type, (pattern_id, window_type): what
`history(pattern, window_type=...)` lists. Its newest rows are counted in `NEWEST_FIRST`'s
order, whatever their age: with the default `keep_latest=1` a monitor that stopped
saving a pattern still has its last result (`history(pattern, 1)` and `get` of that
window answer), and a service's last weekly result survives its daily ones.

(The design is silent on pruning; decided here:)

- Age is `computed_at`, not the window's end: `history` is ordered by it, and its index
  serves the delete. A window recomputed today (a backfill) is today's row.
- A series is not narrowed by zone, granularity or families, which `get` and `history`
  select by in the `result` JSON: of one window computed as SUMMARY and as
  COMPREHENSIVE, `keep_latest=1` keeps the newer only; keep more to keep both.
- `older_than` in the future is allowed: every series down to its `keep_latest` newest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from usage_analytics.contracts import TimeWindowType
from usage_analytics.store.base import NEWEST_FIRST_COLUMNS, checked_bound, key_text
from usage_analytics.store.selection import checked_window_type

__all__ = ["SERIES", "Pruning", "checked_keep_latest", "pruning"]

#: The columns of a series, whose `keep_latest` newest rows `prune` keeps.
SERIES = ("pattern_id", "window_type")


def checked_keep_latest(keep_latest: int) -> int:
    """`prune`'s `keep_latest`: a count both databases take as an OFFSET."""
    if (
        isinstance(keep_latest, bool)
        or not isinstance(keep_latest, int)
        or not 0 <= keep_latest < 2**63
    ):
        raise ValueError(f"keep_latest must be an int from 0 to 2**63 - 1, got {keep_latest!r}")
    return keep_latest


@dataclass(frozen=True)
class Pruning:
    """`prune`'s checked arguments: `older_than` in UTC, the pattern's stored key and the
    window type's value (None: every one)."""

    older_than: datetime
    pattern_id: str | None
    window_type: str | None
    keep_latest: int

    def statement(
        self, table: str, mark: Callable[[], str], instant: Callable[[datetime], Any]
    ) -> tuple[str, list[Any]]:
        """The DELETE of `table` (quoted) and its parameters: `mark` gives the next
        placeholder, `instant` a datetime as the database compares it.

        A row is deleted if old and at least `keep_latest` rows of its series come before
        it in `NEWEST_FIRST` order: a correlated EXISTS ... OFFSET keep_latest - 1 over
        the index of (pattern_id, window_type, computed_at) that stops at the
        `keep_latest`-th such row. (Per old row, so a regular prune of a small slice reads
        that slice, not the table, as a window function over every row would.)"""
        text = f"DELETE FROM {table} AS old WHERE old.computed_at < {mark()}"
        params: list[Any] = [instant(self.older_than)]
        for column, value in (("pattern_id", self.pattern_id), ("window_type", self.window_type)):
            if value is not None:
                text += f" AND old.{column} = {mark()}"
                params.append(value)
        if self.keep_latest:
            same = " AND ".join(f"newer.{column} = old.{column}" for column in SERIES)
            newer = ", ".join(f"newer.{column}" for column in NEWEST_FIRST_COLUMNS)
            older = ", ".join(f"old.{column}" for column in NEWEST_FIRST_COLUMNS)
            # (Every order column descending: a row comes first by the greater tuple. The
            # `>=` on computed_at alone gives the index its range.)
            text += (
                f" AND EXISTS (SELECT 1 FROM {table} AS newer WHERE {same}"
                " AND newer.computed_at >= old.computed_at"
                f" AND ({newer}) > ({older}) LIMIT 1 OFFSET {mark()})"
            )
            params.append(self.keep_latest - 1)
        return text, params


def pruning(
    older_than: datetime,
    pattern_id: UUID | str | int | None,
    window_type: TimeWindowType | str | None,
    keep_latest: int,
) -> Pruning:
    """`prune`'s arguments checked as `get`'s are: `older_than` a datetime (naive = UTC;
    `checked_bound`), the pattern keyed as stored, the window type by the enum or its
    value; a TypeError or ValueError naming the argument and its value."""
    return Pruning(
        checked_bound("older_than", older_than),
        None if pattern_id is None else key_text(pattern_id),
        checked_window_type(window_type),
        checked_keep_latest(keep_latest),
    )
