"""The newest timestamp of a pattern's SQLite rows (or of every row, asked for per pattern
id: `ByPattern`), exactly as the core reads it, parsing only the texts of the newest few
dates (see `sources.sqlite`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from usage_analytics.sources.sqlite_native import newest_instant
from usage_analytics.sources.sqlite_table import DATE_GLOB
from usage_analytics.sources.timestamps import shifted_date, window_stamp

__all__ = ["ByPattern", "newest_stamp", "read_stamps", "stamps_of"]

#: Sorts after every text that starts with a digit.
_ABOVE_DIGITS = ":"
#: Sorts before every text that starts with a digit (and after every number).
_LOWEST = "0"


def read_stamps(texts: Iterable[tuple[Any]]) -> list[int]:
    """The instants (epoch microseconds) of the texts the core reads as times that a
    window can hold (not the end of 9999 with a negative offset, say)."""
    stamps = (window_stamp(text) for (text,) in texts)
    return [stamp for stamp in stamps if stamp is not None]


def stamps_of(
    connection: sqlite3.Connection, ts: str, clause: str, params: list[Any], path: Path | None
) -> list[int]:
    """The instants a window can hold of the timestamps `ts` of the rows of `clause`
    (`FROM ... WHERE ...`): just the newest of them where the core's SQLite works it out
    from the database at `path` (`newest_instant`); else each one read here."""
    newest = None if path is None else newest_instant(path, ts, clause, params)
    if newest is not None:
        return newest
    return read_stamps(connection.execute(f"SELECT {ts} {clause}", params))


def newest_stamp(
    connection: sqlite3.Connection,
    table: str,
    ts: str,
    condition: str,
    params: list[Any],
    path: Path | None = None,
    by_id: ByPattern | None = None,
) -> int | None:
    """The newest timestamp as the core reads it: the newest date prefix that has a valid
    time, then the exact newest of the texts from two days before it (see the module).
    Only texts that start with a date are asked for: each step below a text that does not
    (epoch seconds stored as text, '1767225600') excluded that one value alone, a query
    per row (20,000 rows took 23 s). After `_DAY_STEPS` dates without a valid time the
    rest are read newest first in one query (`_newest_read`): a step per date scanned a
    table without an index on its timestamps once per date (a year of Go's
    '2024-12-30 13:58:57 +0000 UTC', 500,000 rows: 37 s). The texts of the last dates are
    read by the core's SQLite where `path` names the database (`stamps_of`): parsed
    here, two days of a 2M-row table over a month took about a second. `by_id`: the rows
    of `condition` are those of the ids it lists, whose newest date is asked for per id
    (see `ByPattern`)."""
    upper = _ABOVE_DIGITS
    # (Built whole, not with `str.format`, which read the braces of the table's and
    # columns' names as its fields: a KeyError of a table named "runs{x}".) The texts
    # from `?` to below `?`: one lower bound, so that an index on the timestamps (after
    # the pattern id) serves the range of a few days from its start (a second bound,
    # `>= '0'` beside `>= day`, had SQLite range from '0', over every row of the pattern).
    dated = f"FROM {table} WHERE {condition} AND {ts} >= ? AND {ts} < ? AND {ts} GLOB '{DATE_GLOB}'"
    newest_text = f"SELECT max({ts}) {dated}" if by_id is None else by_id.newest_text(table, ts)
    for _ in range(_DAY_STEPS):
        (top,) = connection.execute(newest_text, [*params, _LOWEST, upper]).fetchone()
        if not isinstance(top, str):
            return None
        day = top[:10]  # (a date's digits: the GLOB asks for them)
        try:
            following = shifted_date(date.fromisoformat(day), 1, low=False)
        except ValueError:  # e.g. 2026-13-01
            upper = day
            continue
        same_day = connection.execute(f"SELECT {ts} {dated}", [*params, day, following])
        if not any(window_stamp(text) is not None for (text,) in same_day):
            upper = day
            continue
        low = shifted_date(date.fromisoformat(day), -2, low=True)
        recent = stamps_of(connection, ts, dated, [*params, low, upper], path)
        return max(recent)
    texts = connection.execute(f"SELECT {ts} {dated} ORDER BY {ts} DESC", [*params, _LOWEST, upper])
    return _newest_read(texts)


class ByPattern(NamedTuple):
    """The rows of every pattern id, where an index leads with the pattern id and the
    table has none on its timestamps: `ids_cte`, a `WITH` clause naming them `ua_ids`
    (`ua_id`, one index seek each), and `pid`, their column. The newest date's text of
    all of them is the newest of each one's, one index seek each (a max over the table
    scanned it whole: 2.7 s of 2M rows, 1.4 s of 1M at a load of 11, against 0.6 ms and
    152 ms), and the rows of a few days are asked for by id (`member`), an index range
    each."""

    ids_cte: str
    pid: str

    def newest_text(self, table: str, ts: str) -> str:
        """The newest text that starts with a date, from `?` to below `?`, of any id."""
        row = f"ua_t.{ts}"
        return (
            f"{self.ids_cte}SELECT max((SELECT max({row}) FROM {table} AS ua_t "
            f"WHERE ua_t.{self.pid} = ua_ids.ua_id AND {row} >= ? AND {row} < ? "
            f"AND {row} GLOB '{DATE_GLOB}')) FROM ua_ids WHERE ua_ids.ua_id IS NOT NULL"
        )

    def member(self) -> str:
        """The condition of a row having one of the ids."""
        ids = f"{self.ids_cte}SELECT ua_id FROM ua_ids WHERE ua_id IS NOT NULL"
        return f"{self.pid} IN ({ids})"


#: Dates without a valid time `newest_stamp` steps below one query each before it reads the rest.
_DAY_STEPS = 8


def _newest_read(texts: Iterable[tuple[Any]]) -> int | None:
    """`newest_stamp` of texts that start with a date, newest text first: the newest instant of
    the texts from two days before the first valid one's date (see the module)."""
    newest: int | None = None
    low: str | None = None
    for (text,) in texts:
        if low is not None and text < low:
            break
        stamp = window_stamp(text)
        if stamp is None:
            continue
        if low is None:  # (a valid time has a valid date)
            low = shifted_date(date.fromisoformat(text.strip()[:10]), -2, low=True)
        newest = stamp if newest is None else max(newest, stamp)
    return newest
