"""Whether a dashboard's rows (`fetch_all`) are read in table order, and reading them so
(see `sources.sqlite`).

`fetch_all` asks SQLite for its rows `ORDER BY pattern_id, timestamp`, which walks the
(pattern_id, timestamp) index and fetches each row's table page at random, a page once
for each pattern with rows on it: two million rows read that way took 1.5 times as long
as a scan of the table. Where the window holds 10% or more of the table (`_SCAN_SHARE`,
estimated from a few hundred rows at evenly spaced rowids), the core reads the rows by a
scan (`NOT INDEXED`, no `ORDER BY`) and sorts them itself (`sqlite_native.native_rows`'s
`order`) by id, timestamp and rowid, the order the index gave. It does so only where that
is the statement's order: a rowid table, no `COLLATE` in its definition, UTF-8 text, and
a plan that reads the rows from indexes of (pattern_id, timestamp) or (pattern_id) alone,
sorting nothing itself (SQLite's own sort, or an index of more columns, orders rows of
one id and time otherwise). Elsewhere, and where the core cannot read the rows, the
ordered statement runs as before.

The scan needs no test of each timestamp's leading date (`placed_sql`'s GLOB, half a
second of two million rows): where the partial index of unplaced rows answers
(`unplaced_indexed`), they are asked for first as before; without it, asking read the
whole (pattern_id, timestamp) index (a second of two million rows), so the scan selects
them too and the read finds any (`scanned_rows`), leaving the rows to `sqlite3`.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from usage_analytics.arrow_regex import match_regex
from usage_analytics.extras import load_pyarrow
from usage_analytics.sources.base import PATTERN_ID, TableSpec, quote_identifier
from usage_analytics.sources.sqlite_native import FetchedRows, native_rows
from usage_analytics.sources.timestamps import shifted_date

__all__ = ["Scan", "scanned_rows", "table_scan", "unplaced_indexed"]

#: The names by which a table's own rowid is read (`SQLiteSource._rowid`): others name a
#: primary key.
_ROWID_NAMES = frozenset({"rowid", "_rowid_", "oid"})

#: The share of a table's rows in a window from which `fetch_all` reads them by a scan.
_SCAN_SHARE = 0.1

#: The rows `_window_share` samples.
_SAMPLES = 256

#: A placed timestamp (`placed_sql`'s GLOB) as a regular expression.
_PLACED = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"


class Scan(NamedTuple):
    """`fetch_all`'s rows in table order (`table_scan`): the statement up to its window
    condition (`head`, ending in a WHERE clause's first term), the condition, which holds
    for the window's rows where no row is unplaced, and its parameters."""

    head: str
    window: str
    params: list[Any]

    def sql(self, unplaced: str = "") -> str:
        """The statement; with `unplaced` (their condition), selecting those rows too."""
        either = f"{self.window} OR {unplaced}" if unplaced else self.window
        return f"{self.head} AND ({either})"


def table_scan(
    connection: sqlite3.Connection,
    table: TableSpec,
    beside_cte: str,
    exprs: str,
    rowid: tuple[str, str] | None,
    columns: Mapping[str, str],
    statement: tuple[str, list[Any]],
    dates: tuple[date, date],
    window: tuple[str, list[Any]],
) -> Scan | None:
    """`fetch_all`'s rows in table order (a scan), for the core to read and sort, where
    that pays and the sort gives `statement`'s order; else None. The rows of `table`
    (written `beside_cte` in statements with a CTE) selected by `exprs`, whose last is
    the row key `rowid` (its SQL and name, as `SQLiteSource._rowid` gives them); the
    window's own UTC `dates`, and its condition `window` taking unplaced text too
    (`SQLiteSource._window` with `placed=False`).

    `statement` walks the (pattern_id, timestamp) index and fetches each row's page
    at random (a page once per pattern with rows on it): two million rows read that
    way took 1.5 times as long as a scan of the table. Its order is the index's:
    ids, then timestamps, under the BINARY collation, then rowids, which the core
    reproduces (`_core.sqlite_columns`) where SQLite compares text as bytes the core
    reads (no COLLATE in the table, text stored as UTF-8) and the plan has SQLite
    sort nothing itself (whose order of rows of one id and time is its own). A scan
    reads every row of the table: it pays where a good part of them is in the window
    (`_SCAN_SHARE`, estimated by `_window_share`).

    The scan is read where no row is unplaced, or selects them too (`scanned_rows`), and
    so needs no test of each timestamp's leading date (`placed_sql`, whose GLOB was
    half a second of two million rows): text the window's date range holds that
    starts with no date is unplaced."""
    if rowid is None:
        return None
    key, name = rowid
    if name not in _ROWID_NAMES or not _binary(connection, table):
        return None
    pid, ts = columns[PATTERN_ID], columns["timestamp"]
    if not _index_ordered(connection, table, statement, [pid, ts]):
        return None
    # (The window's own dates: the margins `_window` adds were a share of 10% of a
    # table of 30 days for a window of one, which the index served faster.)
    first, last = dates
    low, high = shifted_date(first, 0, low=True), shifted_date(last, 1, low=False)
    if _window_share(connection, beside_cte, key, ts, low, high) < _SCAN_SHARE:
        return None
    condition, params = window
    head = f"SELECT {exprs} FROM {table.qualified} NOT INDEXED"
    return Scan(f"{head} WHERE {pid} IS NOT NULL", condition, params)


def unplaced_indexed(
    connection: sqlite3.Connection, table: TableSpec, sql: str, params: list[Any]
) -> bool:
    """Whether SQLite finds the unplaced rows (`sql`) through partial indexes alone
    (of just them, as `create_executions_table` makes), reading nothing else."""
    used = _plan_indexes(_plan(connection, sql, params))
    listed = connection.execute(
        "SELECT name FROM pragma_index_list(?, ?) WHERE partial",
        (table.table, table.schema or "main"),
    )
    return bool(used) and used <= {str(row[0]) for row in listed}


def scanned_rows(
    path: Path, scan: Scan, names: Sequence[str], keyed: bool, unplaced: str = ""
) -> FetchedRows | None:
    """The rows of `scan` (see `table_scan`) in the database at `path`, read by the core
    and sorted by id, timestamp and rowid, as the index gave them; None where the core
    cannot read them. With `unplaced` (their condition), the scan selects the unplaced
    rows too, and None where there are any: finding none then costs no read of its own."""
    by = [0, names.index("timestamp"), len(names)]
    native = native_rows(path, scan.sql(unplaced), scan.params, names, keyed=keyed, order=by)
    if native is None or native.table is None or not unplaced:  # (no table: no rows)
        return native
    stamps = native.table.column("timestamp")
    pa: Any = load_pyarrow()  # (present: it made the table)
    pc = pa.compute
    placed = pc.all(match_regex(pc, stamps, _PLACED)).as_py()
    # (A missing timestamp, NULL or empty text, is unplaced: the core's sort refused
    # those already.)
    placed = placed and stamps.null_count == 0
    return native if placed else None


def _index_ordered(
    connection: sqlite3.Connection,
    table: TableSpec,
    statement: tuple[str, list[Any]],
    keys: list[str],
) -> bool:
    """Whether SQLite reads the rows of `statement` in its order from indexes of the
    columns `keys` (the pattern id and timestamp, or the id alone), sorting nothing
    itself (no temporary B-tree or automatic index in its plan): rows of one id and
    time then come in the order of their rowids, an index's last key. (An index of
    more columns would order them by those first; one of descending columns, read
    backwards for the statement's ascending order, gives rows of one id and time in
    descending rowids.)"""
    plan = _plan(connection, *statement)
    names = _plan_indexes(plan)
    if not names or "TEMP B-TREE" in plan or "AUTOMATIC" in plan:
        return False
    schema = table.schema or "main"
    for name in names:
        listed = connection.execute(
            "SELECT name, desc, coll FROM pragma_index_xinfo(?, ?) WHERE key ORDER BY seqno",
            (name, schema),
        ).fetchall()
        # (An expression's name is NULL: no column of the table's.)
        columns = [None if row[0] is None else quote_identifier(str(row[0])) for row in listed]
        ascending = all(not row[1] and str(row[2]).upper() == "BINARY" for row in listed)
        if columns not in (keys[:1], keys) or not ascending:
            return False
    return True


def _binary(connection: sqlite3.Connection, table: TableSpec) -> bool:
    """Whether the table's text compares as the core compares it: as UTF-8 bytes (no
    COLLATE anywhere in its definition, and the database's text in UTF-8, whose bytes
    order as its code points)."""
    (encoding,) = connection.execute("PRAGMA encoding").fetchone()
    schema = quote_identifier(table.schema or "main")
    found = connection.execute(
        f"SELECT sql FROM {schema}.sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE",
        (table.table,),
    ).fetchone()
    return (
        encoding == "UTF-8"
        and found is not None
        and isinstance(found[0], str)
        and "COLLATE" not in found[0].upper()
    )


def _window_share(
    connection: sqlite3.Connection, table: str, rowid: str, ts: str, low: str, high: str
) -> float:
    """The share of the rows of `table` (written for statements with a CTE:
    `SQLiteSource._qualified_beside_cte`) whose timestamps' text lies in [low, high),
    estimated from `_SAMPLES` rows at evenly spaced rowids (a seek each: a count
    would read the whole index)."""
    sample = (
        f"SELECT ua_r.{ts} FROM {table} AS ua_r WHERE ua_r.{rowid} >= "
        f"ua_b.ua_lo + (ua_b.ua_hi - ua_b.ua_lo) * ua_k.ua_i / ? ORDER BY ua_r.{rowid} LIMIT 1"
    )
    # (The least and greatest rowid asked for apart: SQLite seeks a lone min or max,
    # and reads every row for both in one query.)
    bounds = f"SELECT (SELECT min({rowid}) FROM {table}), (SELECT max({rowid}) FROM {table})"
    sql = (
        "WITH RECURSIVE ua_k(ua_i) AS (SELECT 0 UNION ALL SELECT ua_i + 1 FROM ua_k "
        f"WHERE ua_i < ? - 1), ua_b(ua_lo, ua_hi) AS ({bounds}) "
        "SELECT total(ua_ts >= ? AND ua_ts < ?) / count(*) "
        f"FROM (SELECT ({sample}) AS ua_ts FROM ua_k, ua_b)"
    )
    (share,) = connection.execute(sql, (_SAMPLES, low, high, _SAMPLES)).fetchone()
    return float(share)


def _plan(connection: sqlite3.Connection, sql: str, params: Sequence[Any]) -> str:
    """SQLite's plan of `sql`, its steps' details in one line."""
    return " ".join(str(row[-1]) for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}", params))


def _plan_indexes(plan: str) -> set[str]:
    """The indexes a plan (`_plan`) reads. (A name with a space in it is cut there, and
    found in no list of the table's indexes.)"""
    return set(re.findall(r"USING (?:COVERING )?INDEX (\S+)", plan))
