"""SQLite as a source (the embedded default: the standard library's `sqlite3`, and the
core's own SQLite to read rows fast).

    async with SQLiteSource("usage.sqlite") as source:
        fetched = await source.fetch("checkout", start, end)

The table (default `pattern_executions`, see `sqlite_table.create_executions_table`) stores
timestamps as ISO-8601 text; `sqlite_table.write_executions` writes them in UTC with a fixed width
(`2026-01-05T10:00:00.000000Z`), so that text order is time order. Text with other
offsets or precisions is read correctly too: a query selects the rows whose text starts
with a date near the window (an index range, as the offset of a time moves it by less
than a day), and checks the few rows within two days of either end by parsing their
text as the core does. A row whose timestamp cannot be placed that way (NULL, a number,
a blob, text that does not start with a `YYYY-MM-DD` date) is fetched for every window,
so that nothing is left out unseen: the core reports it as an invalid record, or, for
text it reads (a leading space), counts it in or outside the window by its instant. Text
that starts with a date but is no time the core reads (`2026-13-01`, `2026-03-01 noon`)
is placed by that date: fetched, and reported, with windows within a day of it. Finding
the unplaced rows is free with the partial index `create_executions_table` makes (on
tables made elsewhere, the same index keeps it so: `CREATE INDEX ... ON t (pattern_id,
timestamp) WHERE NOT (typeof(timestamp) = 'text' AND timestamp GLOB
'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*')`); without it each fetch scans the
pattern's entries of the (pattern_id, timestamp) index, about 0.3 s per million rows.

Values are read as the CSV reader reads cells (once the rows are fetched): empty text
is a missing value in every field, and text in a flag or number column is converted
(`typed_text`: a flag from true/false, t/f, yes/no, y/n or 1/0 in any case, a number in
`number_text`'s grammar: a decimal number, not "1_000"). Tables that `sqlite3`'s
`.import` makes from a CSV file hold every value as text, an empty cell as '', so the
tool's own CSV, imported, gives the CSV's analytics.
Text that is no flag or number ('maybe', 'fast') stays as written, and the core reports
it. A number in a text field (an INTEGER column of agent ids) is read as its text, as a CSV cell.

Rows become a pyarrow Table when pyarrow is installed: read by the core straight into
Arrow columns (`sqlite_native`, no Python object per cell; flag and number text typed
there, or by `typed_text` for the few values it leaves, so an `.import`ed table is read
so too), else (text that is not UTF-8, flags from text beside stored integers, ...)
built column by column from `sqlite3`'s rows (one `pa.array` per column). Values no
column of their field holds ('fast' in a number column, a blob) are set aside, and
the patterns holding them are handed over as Python values (`odd_cells`), for which the
core judges every value as it judges records; the others stay slices of the table.
Every call opens its own read-only connection on a worker thread, so one source serves
any number of tasks.

Beside this module: `sqlite_table` (the table's layout, indexes and bulk writes),
`sqlite_columns` (fetched rows into typed columns and groups), `sqlite_native` (the
core's reader), `sqlite_newest` (the newest timestamp of a pattern, or of every row) and
`sqlite_scan` (whether a dashboard's rows are read in table order, and reading them so).

`fetch_present` (the records at one instant, of any pattern: `analyze`'s default window
checks them) reads a window's rows alone: by one range of an index leading with the
timestamp where the table has one (the library makes none: it would cost every write,
for a check that is one index seek per pattern id without it), else as `fetch_all`
reads them, each id's range of the (pattern_id, timestamp) index, without listing the
ids or making a group for each, each range joined to the ids' walk. (One instant of 1M
rows over 10,000 patterns, at a load of 13-15 on 2 cores: `fetch_all` 0.56 s,
`fetch_present` 0.20 s, 0.04-0.05 s with an index on the timestamp: BENCHMARKS.md.)
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import json
import os
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

from usage_analytics.collector import gc_paused, move_to_oldest_generation
from usage_analytics.extras import load_pyarrow
from usage_analytics.sources.arrow import with_group_ids
from usage_analytics.sources.arrow_text import bytes_shown
from usage_analytics.sources.base import (
    FIELDS,
    PATTERN_ID,
    TEXT_FIELDS,
    WHITESPACE,
    ExecutionSource,
    Fetched,
    SourceError,
    SourceUnavailableError,
    TableSpec,
    Unattributed,
    UnknownPatternError,
    checked_bounds,
    is_utf8_text,
    known_patterns,
    no_pattern,
    pattern_candidates,
    pattern_key,
    quote_identifier,
    refuse_special_file,
    row_place,
    unknown_pattern,
)
from usage_analytics.sources.column_case import ascii_folded as _ascii_lower
from usage_analytics.sources.credentials import named_source
from usage_analytics.sources.missing_column import missing_column_error
from usage_analytics.sources.odd_cells import OddCells
from usage_analytics.sources.query_as_table import query_hint
from usage_analytics.sources.sqlite_columns import (
    PatternKeys,
    Positions,
    column_values,
    columns_data,
    positions,
    python_rows,
    shared_places,
)
from usage_analytics.sources.sqlite_native import FetchedRows, native_rows, read_only_uri
from usage_analytics.sources.sqlite_newest import ByPattern, newest_stamp, stamps_of
from usage_analytics.sources.sqlite_scan import Scan, scanned_rows, table_scan, unplaced_indexed
from usage_analytics.sources.sqlite_table import (
    pattern_time_index_sql,
    placed_sql,
    unplaced_sql,
)
from usage_analytics.sources.sqlite_text import first_not_utf8
from usage_analytics.sources.timestamps import (
    datetime_of,
    micros,
    parse_timestamp,
    shifted_date,
)

__all__ = ["SQLITE_SUFFIXES", "SQLiteSource", "connect_read_only"]

#: Extensions taken for SQLite files.
SQLITE_SUFFIXES = frozenset({".sqlite", ".sqlite3", ".db", ".db3"})


#: The distinct pattern ids by skipping through an index that leads with them: each step
#: seeks the least id above the last (SQLite's skip-scan idiom, a recursive CTE). Its names
#: are qualified and unusual, so that a table's own columns (`id`) cannot capture them.
#: Ids are compared as stored (BINARY), whatever the column's collation: under NOCASE the
#: step above "A" skipped "a", which grouping (`pattern_key`) keeps apart.
_IDS_CTE = (
    "WITH RECURSIVE ua_ids(ua_id) AS (SELECT min({pid} COLLATE BINARY) FROM {table} "
    "UNION ALL SELECT (SELECT min(ua_t.{pid} COLLATE BINARY) FROM {table} AS ua_t "
    "WHERE ua_t.{pid} COLLATE BINARY > ua_ids.ua_id) "
    "FROM ua_ids WHERE ua_ids.ua_id IS NOT NULL) "
)
_IDS = "SELECT ua_id FROM ua_ids WHERE ua_id IS NOT NULL"


class _RowKey(NamedTuple):
    """What names a table's rows in messages: the SQL selecting it (a rowid, or a WITHOUT
    ROWID table's primary key as SQL literals), and its name there ("rowid", "id")."""

    sql: str
    label: str


class _Selection(NamedTuple):
    """What a fetch selects: the record fields `names`, the select list `exprs` (those
    columns, then the row's key where the table has one, for `_locator`) and that key."""

    names: list[str]
    exprs: str
    rowid: _RowKey | None


class _PatternIds(NamedTuple):
    """How to ask for the distinct pattern ids: a `WITH` clause the other two need (or
    nothing), the query of the ids (NULL left out), and the condition of rows having one
    of them."""

    with_clause: str
    query: str
    member: str


def _as_field(name: str, column: str) -> str:
    """A column as record field `name` reads it: a number in a text field (an INTEGER
    column of agent ids, which SQLite's affinity stores as numbers even when inserted as
    text) as its text, as `sqlite3` writes it to CSV and PostgreSQL casts it; such
    records were all invalid ("must be a str, got int")."""
    if name not in TEXT_FIELDS:
        return column
    return (
        f"CASE WHEN typeof({column}) IN ('integer', 'real') "
        f"THEN CAST({column} AS TEXT) ELSE {column} END"
    )


def _table_columns(connection: sqlite3.Connection, spec: TableSpec) -> list[tuple[str, int]]:
    """A table's columns (name, place in its primary key or 0), generated columns too:
    `table_info` leaves them out, so that a `success` generated from a status column was
    missing (every run a failure) and a generated `timestamp` was no column. (Not the
    hidden columns of a virtual table; `table_xinfo` is SQLite 3.26's.)"""
    where = (spec.table, spec.schema or "main")
    try:
        rows = connection.execute(
            "SELECT name, pk FROM pragma_table_xinfo(?, ?) WHERE hidden != 1", where
        ).fetchall()
    except sqlite3.OperationalError as error:
        if "table_xinfo" not in str(error):
            raise
        rows = connection.execute("SELECT name, pk FROM pragma_table_info(?, ?)", where).fetchall()
    return [(str(name), int(pk)) for name, pk in rows]


def connect_read_only(path: Path, given: str | None = None) -> sqlite3.Connection:
    """A read-only connection to an existing SQLite file (never creates one); `given` is
    the SOURCE's text (a sqlite:/// URL), naming a missing file with its credentials
    hidden (`credentials.named_source`)."""
    if not path.exists():
        raise SourceUnavailableError(f"{named_source(path, given)}: no such file")
    if path.is_dir():
        raise SourceUnavailableError(f"{path}: is a directory, not a SQLite file")
    refuse_special_file(path)
    try:
        path.open("rb").close()  # (SQLite says "unable to open database file" alone)
    except OSError as error:
        raise SourceUnavailableError(f"{path}: cannot open: {error.strerror}") from None
    try:
        return sqlite3.connect(read_only_uri(path), uri=True)
    except sqlite3.Error as error:
        raise SourceUnavailableError(f"{path}: cannot open: {error}") from None


def _wal_beyond_reach(path: Path) -> str | None:
    """Why a read-only connection cannot read a WAL-mode database, where that is so: SQLite
    reads one through its `-shm` file, which it must create (or write) beside the database
    in a directory this user may not write to. (It said "attempt to write a readonly
    database" of a command that only reads.)"""
    try:
        with path.open("rb") as file:
            header = file.read(20)
    except OSError:
        return None
    if len(header) < 20 or header[18:20] != b"\x02\x02":  # (the file format: WAL)
        return None
    shm = path.with_name(path.name + "-shm")
    if shm.exists() and not os.access(shm, os.W_OK):
        return f"{shm.name} is read-only"
    if not shm.exists() and not os.access(path.parent, os.W_OK):
        return f"{shm.name} cannot be created in {path.parent}"
    return None


def _utc_date(name: str, moment: datetime) -> date:
    """The UTC date of window bound `name` as a request reads it: naive, or of a zone
    naming no offset, it is UTC (`astimezone` read such a bound in the machine's zone: a
    day off, and rows of the window left out). An instant outside the years 1-9999 in UTC
    is in no window, and refused as a request refuses it (it was a bare OverflowError)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment.date()
    try:
        return moment.astimezone(UTC).date()
    except OverflowError:
        raise ValueError(
            f"{name} {moment.isoformat()} is outside the years 1 to 9999 in UTC, where no "
            "window lies"
        ) from None


def _in_window(text: Any, start_us: int, end_us: int) -> int:
    """SQL function: 1 if the text's instant is in the window, or if the text is not a
    time the core reads (the core then reports the record); 0 outside."""
    if not isinstance(text, str):
        return 0
    stamp = parse_timestamp(text)
    return 1 if stamp is None or start_us <= stamp <= end_us else 0


class SQLiteSource(ExecutionSource):
    """Execution records in a SQLite file (see the module docstring)."""

    def __init__(
        self, path: str | Path, table: TableSpec | None = None, *, given: str | None = None
    ) -> None:
        self.path = Path(path)
        #: The SOURCE's text as given (`open_source`): a sqlite:/// URL names a missing
        #: file with its credentials hidden (`credentials.named_source`).
        self._given = given
        self.table = table or TableSpec()
        self.description = str(self.path)

    # -------------------------------------------------------------------------- plumbing

    async def _run(self, work: Callable[[sqlite3.Connection], Any]) -> Any:
        return await asyncio.to_thread(self._with_connection, work)

    def _with_connection(self, work: Callable[[sqlite3.Connection], Any]) -> Any:
        connection = connect_read_only(self.path, self._given)
        try:
            connection.create_function("ua_in_window", 3, _in_window, deterministic=True)
            return work(connection)
        except sqlite3.DatabaseError as error:
            message = str(error)
            if message.startswith("Could not decode to UTF-8"):
                raise SourceError(self._not_utf8(connection) or f"{self.path}: {message}") from None
            if "file is not a database" in message or "malformed" in message:
                raise SourceError(f"{self.path}: not a SQLite database ({message})") from None
            if "database is locked" in message:  # (a writer's lock: transient, as a server down)
                raise SourceUnavailableError(
                    f"{self.path}: the database is locked: another connection is writing "
                    "to it (waited 5 s); try again when it is done"
                ) from None
            why = _wal_beyond_reach(self.path) if "readonly" in message else None
            if why is not None:
                raise SourceUnavailableError(
                    f"{self.path}: cannot read: the database is in WAL mode, which SQLite "
                    f"reads through its -shm file, and {why} (not writable by this user); "
                    "make it writable, or copy the database"
                ) from None
            raise SourceError(f"{self.path}: query failed: {message}") from None
        finally:
            connection.close()

    def _not_utf8(self, connection: sqlite3.Connection) -> str | None:
        """The error of the table's first text that is not UTF-8 (`sqlite_text`): its
        row, column and bytes; None where none is found (the query read another table)."""
        rowid = self._rowid(connection)
        found = first_not_utf8(
            connection, self.table.qualified, self._columns(connection), rowid and rowid.sql
        )
        if found is None:
            return None
        where = row_place(found.timestamp, found.key, rowid and rowid.label)
        column = self.table.column(found.field)
        return (
            f"{self.path}, {where}: column {column!r} = {bytes_shown(found.raw)}: is not UTF-8 text"
        )

    def _columns(self, connection: sqlite3.Connection) -> dict[str, str]:
        """Record field -> quoted column, for the fields the table has; checks that the
        table and its required (and mapped) columns exist."""
        spec = self.table
        try:
            found = _table_columns(connection, spec)
        except sqlite3.OperationalError as error:
            if spec.schema is None or "unknown database" not in str(error):
                raise
            raise SourceError(self._no_schema(connection)) from None
        if not found:
            tables = [
                row[0]
                for row in connection.execute(
                    "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                    "AND name NOT LIKE 'sqlite_%' ORDER BY name"
                )
            ]
            has = f"tables: {', '.join(tables)}" if tables else "it has no tables"
            hint = query_hint(spec.label)
            raise SourceError(f"{self.path} has no table {spec.label!r} ({has}){hint}")
        by_lower = {_ascii_lower(str(row[0])): str(row[0]) for row in found}
        columns: dict[str, str] = {}
        for name in (PATTERN_ID, *FIELDS):
            wanted = spec.column(name)
            actual = by_lower.get(_ascii_lower(wanted))
            if actual is None:
                if name in (PATTERN_ID, "timestamp") or name in spec.columns:
                    where = f"table {spec.label!r} in {self.path}"
                    raise SourceError(missing_column_error(where, wanted, name, by_lower.values()))
                continue
            columns[name] = quote_identifier(actual)
        return columns

    def _no_schema(self, connection: sqlite3.Connection) -> str:
        """The error of a table named SCHEMA.NAME where no database SCHEMA is attached:
        a table whose own name holds the dot is in `main`, which it then names."""
        spec = self.table
        dotted = f"{spec.schema}.{spec.table}"
        found = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') "
            "AND name = ? COLLATE NOCASE",
            (dotted,),
        ).fetchone()
        hint = f"; a table of that name is main.{dotted}" if found else ""
        hint += query_hint(dotted)  # (a query's dot: "select * from main.runs")
        return (
            f"{self.path} has no attached database {spec.schema!r} for the table {dotted!r}{hint}"
        )

    def _select(
        self, connection: sqlite3.Connection, columns: Mapping[str, str], with_id: bool
    ) -> _Selection:
        """The record fields the table has (the pattern id first where `with_id`), as a
        select list (see `_Selection`)."""
        names = [name for name in ((PATTERN_ID,) if with_id else ()) + FIELDS if name in columns]
        exprs = [f"{_as_field(name, columns[name])} AS {quote_identifier(name)}" for name in names]
        rowid = self._rowid(connection)
        return _Selection(names, ", ".join(exprs if rowid is None else [*exprs, rowid.sql]), rowid)

    def _rowid(self, connection: sqlite3.Connection) -> _RowKey | None:
        """What tells the table's rows apart in messages: its rowid, read by the name
        `rowid` (or `_rowid_` or `oid` where a column takes the name); a WITHOUT ROWID
        table's primary key (it has no rowid: its rows were named by their timestamps
        alone, which rows share); None for a view. (A view's rowid is NULL.)"""
        spec = self.table
        if self._is_view(connection):
            # (Not asked for: SQLite builds since 3.36 have no rowid in views, among them
            # the core's own, which then could not read the view.)
            return None
        info = _table_columns(connection, spec)
        taken = {_ascii_lower(str(name)) for name, _ in info}
        for alias in ("rowid", "_rowid_", "oid"):
            if alias not in taken:
                try:
                    connection.execute(f"SELECT {alias} FROM {spec.qualified} LIMIT 0")
                except sqlite3.OperationalError:
                    break
                return _RowKey(alias, alias)
        key = [str(name) for name, pk in sorted(info, key=lambda column: column[1]) if pk]
        if not key:
            return None
        quoted = [f"quote({quote_identifier(name)})" for name in key]
        if len(key) == 1:
            return _RowKey(quoted[0], key[0])
        values = " || ', ' || ".join(quoted)
        return _RowKey(f"'(' || {values} || ')'", f"({', '.join(key)}) =")

    def _rows(
        self,
        connection: sqlite3.Connection,
        selection: _Selection,
        ts: str,
        statement: tuple[str, list[Any]],
        condition: tuple[str, list[Any]],
        order: str = "",
        scan: Scan | None = None,
    ) -> FetchedRows:
        """The rows of `statement` (its SQL and parameters, selecting `selection`),
        then the rows matching `condition` whose timestamps no window condition selects
        (unplaced: see the module docstring), in `order`. Read by the core
        (`sqlite_native`) where there are no unplaced rows and the core can (by `scan`
        where one is given: see `scanned_rows`); else by `sqlite3`.

        The unplaced rows are asked for first through an index alone, as they are rare:
        the partial index of `create_executions_table` holds just them; without it, the
        (pattern_id, timestamp) index is scanned (about 0.3 s for a million rows, where
        reading each row to test it takes twice as long). A scan then selects them too
        instead, for the core's read to find (a second of two million rows saved)."""
        names, keyed = selection.names, selection.rowid is not None
        where = f"FROM {self.table.qualified} WHERE {condition[0]} AND {unplaced_sql(ts)}"
        check = (f"SELECT 1 {where} LIMIT 1", condition[1])
        scanned = scan is not None and not unplaced_indexed(connection, self.table, *check)
        if scan is not None and scanned:
            native = scanned_rows(self.path, scan, names, keyed, unplaced_sql(ts))
            if native is not None:
                return native
        unplaced = connection.execute(*check).fetchone()
        # (Where the core could not read the scan's rows, it cannot read these either.)
        if unplaced is None and not scanned:
            if scan is None:
                native = native_rows(self.path, *statement, names, keyed=keyed)
            else:
                native = scanned_rows(self.path, scan, names, keyed)
            if native is not None:
                return native
        cursors: list[Any] = [connection.execute(*statement)]
        if unplaced is not None:
            cursors.append(
                connection.execute(f"SELECT {selection.exprs} {where}{order}", condition[1])
            )
        with gc_paused():  # (see `column_values`)
            values = column_values(cursors, len(names) + keyed, shared_places(names))
        return python_rows(names, values, keyed=keyed)

    def _is_view(self, connection: sqlite3.Connection) -> bool:
        """Whether the table is a view."""
        schema = quote_identifier(self.table.schema or "main")
        kind = connection.execute(
            f"SELECT type FROM {schema}.sqlite_master WHERE name = ? COLLATE NOCASE",
            (self.table.table,),
        ).fetchone()
        return kind is not None and kind[0] == "view"

    def _pattern_ids(self, connection: sqlite3.Connection, pid: str) -> _PatternIds:
        """The distinct pattern ids (NULL left out). Where an index leads with the pattern
        id column, one seek per id (`_IDS_CTE`), and rows are asked for by id, so that a
        window is an index range per pattern; else a scan."""
        table = self._qualified_beside_cte()
        if not self._indexed_by_pattern(connection, pid):
            # (BINARY: a NOCASE column's DISTINCT kept one of "a" and "A".)
            query = f"SELECT DISTINCT {pid} COLLATE BINARY FROM {table} WHERE {pid} IS NOT NULL"
            return _PatternIds("", query, f"{pid} IS NOT NULL")
        cte = _IDS_CTE.format(table=table, pid=pid)
        return _PatternIds(cte, cte + _IDS, f"{pid} IN ({_IDS})")

    def _has_column(self, connection: sqlite3.Connection, name: str) -> bool:
        """Whether the table has a column `name` (in any ASCII case, as SQLite matches
        names)."""
        folded = _ascii_lower(name)
        return any(
            _ascii_lower(column) == folded for column, _ in _table_columns(connection, self.table)
        )

    def _qualified_beside_cte(self) -> str:
        """The table for statements with `_IDS_CTE`: always schema-qualified (`main`
        where none is given: a fresh connection has no temp tables), as a CTE's name
        hides a table of that name written without one (a table named `ua_ids` was the
        CTE itself: "circular reference")."""
        if self.table.schema is not None:
            return self.table.qualified
        return f"main.{quote_identifier(self.table.table)}"

    def _indexed_by_pattern(self, connection: sqlite3.Connection, pid: str) -> bool:
        """Whether SQLite serves a skip step ("the least id above x") from an index: asked
        of its planner, which alone knows whether an index's collation, order and
        expressions fit the column (a scan per step would be a scan per pattern). Its plan
        names the step's constraint, "SEARCH t USING COVERING INDEX i (pattern_id>?)";
        without one ("SEARCH t USING COVERING INDEX i") it walks a whole index that only
        holds the column (timestamp, pattern_id; a NOCASE index) for `min`, each step."""
        plan = connection.execute(
            f"EXPLAIN QUERY PLAN SELECT min({pid} COLLATE BINARY) FROM {self.table.qualified} "
            f"WHERE {pid} COLLATE BINARY > ?",
            ("",),
        ).fetchall()
        details = [str(row[-1]) for row in plan]
        return bool(details) and all(
            detail.startswith("SEARCH") and "INDEX" in detail and detail.endswith(">?)")
            for detail in details
        )

    @staticmethod
    def _window(
        ts: str, start: datetime, end: datetime, placed: bool = True
    ) -> tuple[str, list[Any]]:
        """SQL condition (and its parameters) for texts in [start, end]; see the module
        docstring. (Without `placed`, text of the dates' range that starts with no date
        is taken too: see `sqlite_scan.table_scan`.)"""
        # The dates of the UTC instants: the margins below are a day either side of those.
        # (A window's own dates, in a zone far from UTC, are a day off.)
        first, last = _utc_date("start", start), _utc_date("end", end)
        condition = (
            f"{ts} >= ? AND {ts} < ? AND {placed_sql(ts) if placed else '1'} "
            f"AND ({ts} >= ? AND {ts} < ? OR ua_in_window({ts}, ?, ?))"
        )
        return condition, [
            shifted_date(first, -1, low=True),
            shifted_date(last, 2, low=False),
            shifted_date(first, 2, low=False),
            shifted_date(last, -1, low=True),
            micros(start),
            micros(end),
        ]

    def _fetched(
        self, key: str, fields: Sequence[str], rows: FetchedRows, rowid: _RowKey | None
    ) -> Fetched:
        """One pattern's rows (of the fields `fields`)."""
        count = len(rows.stamps)
        data = rows.table if rows.table is not None else columns_data(fields, rows.columns)
        if rows.odd is not None:
            data = rows.odd.records(rows.table, range(count))
        return Fetched(key, data, count, _locator(range(count), rows.stamps, rows.keys, rowid))

    def _fetched_groups(
        self, fields: Sequence[str], rows: FetchedRows, keys_of: PatternKeys, rowid: _RowKey | None
    ) -> list[Fetched]:
        """`fetch_all`'s groups: the rows (of the fields `fields`) grouped by `pattern_key`
        of their ids (`keys_of`), every pattern the table lists (`keys_of` starts with
        them) given, with no rows where it has none in the window, ordered by key. Their
        tables are slices of one table of all the rows, made when read, and that table
        with the rows' ids is their `together`: building a table costs about 30 µs per
        column, which one table per pattern paid for each of thousands of patterns. A
        pattern with values the table does not hold (`rows.odd`) is a dict of lists, left
        out of `together`. (If the rows of all patterns do not make one table even so,
        each pattern's are tried alone, as `_fetched` does.)"""
        groups: dict[str, list[range]] = {key: [] for key in keys_of.values()}
        start = 0
        # Runs of one id: the rows come ordered by id (the unplaced after the placed).
        for value, length in rows.id_runs:
            groups.setdefault(keys_of[value], []).append(range(start, start + length))
            start += length
        groups.pop("", None)  # a blank id names no pattern (see `unattributed`)
        ordered = sorted(groups)
        parts = [part for key in ordered for part in groups[key]]
        table = rows.table
        together = None
        odd = _holding(rows.odd, groups)
        if table is not None:
            pa: Any = load_pyarrow()  # (present: it made the table)
            order = positions(parts)
            if not isinstance(order, range):
                table = table.take(pa.array(order, pa.int64()))
            # All the groups' rows with their ids, for a batch to read as it is (the groups
            # without rows are not in it).
            counts = {key: sum(map(len, groups[key])) for key in ordered}
            table = table.slice(0, len(order))  # (not the rows of blank ids after them)
            together = _together(pa, table, ordered, counts, odd)
        fetched, offset = [], 0
        for key in ordered:
            at = Positions(groups[key])
            locate = _locator(at, rows.stamps, rows.keys, rowid)
            if table is None:
                picked = [[column[row] for row in at] for column in rows.columns]
                fetched.append(Fetched(key, columns_data(fields, picked), len(at), locate))
            elif key in odd:
                assert rows.odd is not None
                make = partial(_odd_records, rows.odd, table, offset, at)
                fetched.append(Fetched.deferred(key, make, len(at), locate))
            elif at:  # (its rows sliced when read: see `Fetched.deferred`)
                make = partial(table.slice, offset, len(at))
                fetched.append(Fetched.deferred(key, make, len(at), locate, together=together))
            else:
                fetched.append(Fetched(key, [], 0, locate))
            offset += len(at)
        return fetched

    def _pattern_condition(
        self, connection: sqlite3.Connection, columns: Mapping[str, str], wanted: str
    ) -> tuple[str, list[Any]]:
        """SQL matching the stored ids `fetch_all` groups under `wanted` (`pattern_key`:
        padded text, other UUID spellings, an int and its text in an untyped column), as
        an indexed `IN` of those values, listed from the distinct ids."""
        pid = columns[PATTERN_ID]
        if not is_utf8_text(wanted):
            # (No stored text holds a lone surrogate, and bound it raised UnicodeEncodeError:
            # no rows, an unknown pattern, as a file's.)
            return "0", []
        key = pattern_key(wanted)
        stored = connection.execute(self._pattern_ids(connection, pid).query)
        forms = [value for (value,) in stored if pattern_key(value) == key]
        forms = forms or pattern_candidates(wanted.strip())  # (none: unknown, said later)
        # Matched as stored (BINARY) too: under a column's NOCASE collation `IN ('a')` took
        # the rows of "A", which `fetch_all` groups apart. (The column's own `IN` first,
        # which an index of the column's collation serves.)
        if len(forms) > _MAX_MARKS:
            # Past SQLite's limit of bound variables (32,766 by default): one JSON array,
            # whose values keep their types (an int id stays an int).
            listed = "(SELECT value FROM json_each(?))"
            array = _json_array(forms)
            return f"({pid} IN {listed} AND {pid} COLLATE BINARY IN {listed})", [array, array]
        marks = ", ".join("?" for _ in forms)
        return f"({pid} IN ({marks}) AND {pid} COLLATE BINARY IN ({marks}))", [*forms, *forms]

    def _unknown(
        self, connection: sqlite3.Connection, column: str, wanted: str
    ) -> UnknownPatternError:
        # Every distinct stored id, as `fetch_all` lists them, named by the pattern each
        # is: the stored ids were listed as they are (blank ones, 7 and '7', a blob as
        # "b'...'"), and counted so.
        stored = connection.execute(self._pattern_ids(connection, column).query)
        known = known_patterns(row[0] for row in stored)
        return unknown_pattern(wanted, f"table {self.table.label!r} of {self.path}", known)

    # ------------------------------------------------------------------- the interface

    async def newest(self, pattern_id: str | None = None) -> datetime | None:
        def work(connection: sqlite3.Connection) -> datetime | None:
            columns = self._columns(connection)
            condition, params = "1", list[Any]()
            if pattern_id is not None:
                condition, params = self._pattern_condition(connection, columns, pattern_id)
                exists = connection.execute(
                    f"SELECT 1 FROM {self.table.qualified} WHERE {condition} LIMIT 1", params
                ).fetchone()
                if exists is None:
                    raise self._unknown(connection, columns[PATTERN_ID], pattern_id)
            elif (
                connection.execute(f"SELECT 1 FROM {self.table.qualified} LIMIT 1").fetchone()
                is None
            ):
                # (as a file without records: the caller's "no valid timestamp" misled)
                raise SourceError(f"table {self.table.label!r} of {self.path} holds no records")
            ts = columns["timestamp"]
            stamps = [
                stamp
                for part, part_params, by_id in self._newest_parts(
                    connection, columns, condition, params, pattern_id is None
                )
                for stamp in self._newest_of(connection, ts, part, part_params, by_id)
            ]
            read = [stamp for stamp in stamps if stamp is not None]
            return datetime_of(max(read)) if read else None

        result: datetime | None = await self._run(work)
        return result

    def _newest_parts(
        self,
        connection: sqlite3.Connection,
        columns: Mapping[str, str],
        condition: str,
        params: list[Any],
        every_row: bool,
    ) -> list[tuple[str, list[Any], ByPattern | None]]:
        """The rows whose newest timestamp `newest` reads, in parts: those of `condition`;
        or, for every row (`every_row`) of a table an index leads with the pattern id, the
        rows of each id (one index seek each: `ByPattern`) and those without one, which
        scanned the whole table where `analyze`'s pattern took one seek."""
        pid = columns[PATTERN_ID]
        if not every_row or not self._indexed_by_pattern(connection, pid):
            return [(condition, params, None)]
        ids = ByPattern(_IDS_CTE.format(table=self._qualified_beside_cte(), pid=pid), pid)
        return [(ids.member(), [], ids), (f"{pid} IS NULL", [], None)]

    def _newest_of(
        self,
        connection: sqlite3.Connection,
        ts: str,
        condition: str,
        params: list[Any],
        by_id: ByPattern | None,
    ) -> list[int | None]:
        """The newest timestamp of the rows of `condition` that start with a date, and
        those of its rows no window places (`sqlite_newest`)."""
        table = self._qualified_beside_cte()  # (`by_id`'s statements have a CTE)
        unplaced = f"FROM {table} WHERE {condition} AND {unplaced_sql(ts)}"
        return [
            newest_stamp(connection, table, ts, condition, params, self.path, by_id),
            *stamps_of(connection, ts, unplaced, params, self.path),
        ]

    async def fetch(self, pattern_id: str, start: datetime, end: datetime) -> Fetched:
        checked_bounds(start, end)

        def work(connection: sqlite3.Connection) -> Fetched:
            columns = self._columns(connection)
            selection = self._select(connection, columns, with_id=False)
            ts = columns["timestamp"]
            condition, params = self._pattern_condition(connection, columns, pattern_id)
            window, window_params = self._window(ts, start, end)
            statement = (
                f"SELECT {selection.exprs} FROM {self.table.qualified} "
                f"WHERE {condition} AND {window} ORDER BY {ts}"
            )
            statement_params = [*params, *window_params]
            rows = self._rows(
                connection, selection, ts, (statement, statement_params), (condition, params)
            )
            if not rows.stamps:
                exists = connection.execute(
                    f"SELECT 1 FROM {self.table.qualified} WHERE {condition} LIMIT 1", params
                ).fetchone()
                if exists is None:
                    raise self._unknown(connection, columns[PATTERN_ID], pattern_id)
            return self._fetched(pattern_id, selection.names, rows, selection.rowid)

        result: Fetched = await self._run(work)
        return result

    async def fetch_all(self, start: datetime, end: datetime) -> list[Fetched]:
        checked_bounds(start, end)
        result: list[Fetched] = await self._run(partial(self._groups, start, end, present=False))
        return result

    async def fetch_present(self, start: datetime, end: datetime) -> list[Fetched]:
        checked_bounds(start, end)
        result: list[Fetched] = await self._run(partial(self._groups, start, end, present=True))
        return result

    def _groups(
        self, start: datetime, end: datetime, connection: sqlite3.Connection, *, present: bool
    ) -> list[Fetched]:
        """`fetch_all`'s groups of [start, end]; `present`: only those with records
        (`fetch_present`), the ids not listed, and the rows found by one range of an
        index leading with the timestamp where SQLite has one (`_by_time`), else as
        `fetch_all` finds them (each id's range of the (pattern_id, timestamp) index)."""
        columns = self._columns(connection)
        selection = self._select(connection, columns, with_id=True)
        pid, ts = columns[PATTERN_ID], columns["timestamp"]
        window, params = self._window(ts, start, end)
        table = self._qualified_beside_cte()
        if present and self._by_time(connection, table, (pid, ts), window, params):
            # (Rows of one id and time in rowid order, as the pattern index gives them: the
            # time index's order, which SQLite's sort by id keeps.)
            statement = (
                f"SELECT {selection.exprs} FROM {table} WHERE +{pid} IS NOT NULL AND {window} "
                f"ORDER BY {pid}, {ts}"
            )
            listed: list[Any] = []
        else:
            ids = self._pattern_ids(connection, pid)
            listed = [] if present else [row[0] for row in connection.execute(ids.query)]
            statement = (
                f"{ids.with_clause}SELECT {selection.exprs} FROM {table} "
                f"WHERE {ids.member} AND {window} ORDER BY {pid}, {ts}"
            )
            if present and ids.with_clause and not self._has_column(connection, "ua_id"):
                # Each id's range reached from the ids as they are walked (a join), not
                # from a list of them built first (`IN`): a third less time at one instant
                # of 1M rows over 10,000 patterns (BENCHMARKS.md, helper-236). (Their
                # rows are few: sorted, in the order of the pattern index, as above. A
                # table's own column `ua_id` would be ambiguous beside the walk's.)
                statement = (
                    f"{ids.with_clause}SELECT {selection.exprs} FROM ua_ids CROSS JOIN {table} "
                    f"ON {pid} = ua_ids.ua_id WHERE {window} ORDER BY {pid}, {ts}"
                )
        unplaced = (f"{pid} IS NOT NULL", list[Any]())
        scan = table_scan(
            connection,
            self.table,
            table,
            selection.exprs,
            selection.rowid,
            columns,
            (statement, params),
            (_utc_date("start", start), _utc_date("end", end)),
            self._window(ts, start, end, placed=False),
        )
        with gc_paused():  # (see `column_values`)
            rows = self._rows(
                connection, selection, ts, (statement, params), unplaced, f" ORDER BY {pid}", scan
            )
            fields = selection.names[1:]
            groups = self._fetched_groups(fields, rows, PatternKeys(listed), selection.rowid)
            move_to_oldest_generation()  # (kept for the whole dashboard: `made_paused`)
            return groups

    def _by_time(
        self,
        connection: sqlite3.Connection,
        table: str,
        id_and_time: tuple[str, str],
        window: str,
        params: list[Any],
    ) -> bool:
        """Whether SQLite finds the rows of `window` with a pattern id by a range of the
        timestamp in an index (one leading with it, or one it skips through by its
        statistics), reading no table or index whole. Asked of its planner, which alone
        knows whether an index fits; the id's condition written `+pid` so that it is
        served by none (`pid IS NOT NULL` was a "range" of the whole pattern index)."""
        pid, ts = id_and_time
        plan = connection.execute(
            f"EXPLAIN QUERY PLAN SELECT 1 FROM {table} WHERE +{pid} IS NOT NULL AND {window}",
            params,
        ).fetchall()
        details = [str(row[-1]) for row in plan]
        name = ts[1:-1].replace('""', '"')  # (the plan names columns unquoted)
        return bool(details) and all(
            detail.startswith("SEARCH") and "INDEX" in detail and f"{name}>?" in detail
            for detail in details
        )

    async def first_record(self, pattern_id: str | None = None) -> Fetched | None:
        def work(connection: sqlite3.Connection) -> Fetched | None:
            columns = self._columns(connection)
            selection = self._select(connection, columns, with_id=True)
            pid = columns[PATTERN_ID]
            condition, params = f"{pid} IS NOT NULL AND trim({pid}, ?) != ''", [WHITESPACE]
            if pattern_id is not None:
                condition, params = self._pattern_condition(connection, columns, pattern_id)
            row = connection.execute(
                f"SELECT {selection.exprs} FROM {self.table.qualified} WHERE {condition} LIMIT 1",
                params,
            ).fetchone()
            if row is None and pattern_id is not None:
                raise self._unknown(connection, pid, pattern_id)
            if row is None:
                return None
            fields, keyed = selection.names[1:], selection.rowid is not None
            rows = python_rows(fields, [[value] for value in row[1:]], keyed=keyed)
            return self._fetched(pattern_key(row[0]), fields, rows, selection.rowid)

        result: Fetched | None = await self._run(work)
        return result

    async def fields_with_columns(self) -> frozenset[str] | None:
        # (The table's columns: one pragma, as every query's `_columns` reads them.)
        return frozenset(await self._run(self._columns))

    async def index_hint(self) -> str | None:
        # (Whether an index serves the pattern id is the planner's answer, as for the
        # skip steps: `_indexed_by_pattern`; the index made is the library's own.)
        def work(connection: sqlite3.Connection) -> str | None:
            columns = self._columns(connection)
            pid = columns[PATTERN_ID]
            if self._is_view(connection) or self._indexed_by_pattern(connection, pid):
                return None
            return pattern_time_index_sql(connection, self.table, pid, columns["timestamp"])

        hint: str | None = await self._run(work)
        return hint

    async def unattributed(self) -> Unattributed:
        def work(connection: sqlite3.Connection) -> Unattributed:
            columns = self._columns(connection)
            pid, ts = columns[PATTERN_ID], columns["timestamp"]
            table = self.table.qualified
            ids = self._pattern_ids(connection, pid).query
            blanks = [value for (value,) in connection.execute(ids) if no_pattern(value)]
            marks = ", ".join("?" for _ in blanks)
            where = f"FROM {table} WHERE {pid} IS NULL OR {pid} IN ({marks})"
            (count,) = connection.execute(f"SELECT count(*) {where}", blanks).fetchone()
            rowid = self._rowid(connection)
            selected = ts if rowid is None else f"{ts}, {rowid.sql}"
            first = connection.execute(
                f"SELECT {selected} {where} ORDER BY {ts} LIMIT 1", blanks
            ).fetchone()
            place = None if first is None else row_place(first[0], first[-1], rowid and rowid.label)
            return Unattributed(count, place)

        result: Unattributed = await self._run(work)
        return result


#: Stored spellings of one pattern asked for as bound variables; more go as one JSON array.
_MAX_MARKS = 999


def _json_array(values: Sequence[Any]) -> str:
    """`values` (SQLite's text, integers and reals) as a JSON array for `json_each`."""
    if not all(isinstance(value, str | int | float) for value in values):
        raise SourceError("too many stored spellings of one pattern id, some of them blobs")
    return json.dumps(list(values), ensure_ascii=False)


def _odd_records(odd: OddCells, table: Any, offset: int, rows: Sequence[int]) -> Any:
    """The records of a pattern holding values the table does not hold: its `rows` (from
    `offset` in `table`) as `OddCells.records` gives them, the table's slice made when
    read (made at once, one per pattern held C++ objects for each of thousands)."""
    return odd.records(table.slice(offset, len(rows)), rows)


def _holding(odd: OddCells | None, groups: Mapping[str, Sequence[range]]) -> set[str]:
    """The patterns (of `groups`: each one's rows) with values the table does not hold."""
    if odd is None:
        return set()
    rows = odd.rows
    return {
        key
        for key, parts in groups.items()
        for part in parts
        if (at := bisect.bisect_left(rows, part.start)) < len(rows) and rows[at] < part.stop
    }


def _together(
    pa: Any, table: Any, ordered: Sequence[str], counts: Mapping[str, int], left_out: set[str]
) -> Any:
    """`table`'s rows (of the patterns `ordered`, `counts` of each, one after another) with
    their pattern ids, but those of the patterns `left_out`: a batch's table."""
    filled = [key for key in ordered if counts[key]]
    if left_out:
        ends = pa.array(list(itertools.accumulate(counts[key] for key in filled)), pa.int64())
        kept = pa.array([key not in left_out for key in filled], pa.bool_())
        table = table.filter(
            pa.compute.run_end_decode(pa.RunEndEncodedArray.from_arrays(ends, kept))
        )
        filled = [key for key in filled if key not in left_out]
    if not filled:
        return None
    return with_group_ids(pa, table, filled, [counts[key] for key in filled])


def _locator(
    rows: Sequence[int],
    stamps: Sequence[Any],
    keys: Sequence[Any] | None,
    rowid: _RowKey | None,
) -> Callable[[int], str]:
    """Where record `index` is: row `rows[index]` of the fetched timestamps `stamps` and
    row keys `keys` (None where the table has none), by its key, which tells rows of one
    time apart, and its timestamp."""

    def locate(index: int) -> str:
        row = rows[index]
        key = None if keys is None else keys[row]
        return row_place(stamps[row], key, None if rowid is None else rowid.label)

    return locate
