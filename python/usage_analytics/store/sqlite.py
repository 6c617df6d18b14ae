"""Analytics results in a SQLite file (standard library only).

    async with SQLiteAnalyticsStore("usage.sqlite") as store:
        await store.save(result)
        again = await store.get(result.pattern_id, start, end)

Times are stored as fixed-width UTC text (`2026-01-05T10:00:00.000000Z`), so the key
compares exactly and text order is time order. The file and table are created on first
write (reads before any write find nothing and create nothing). Every call opens its own
connection on a worker thread.

`prune` deletes rows, but the file does not shrink: SQLite keeps the freed pages and
reuses them for later saves, so a store pruned regularly stops growing at its size
between prunes. To give the space of a one-off large prune back to the file system, run
`VACUUM` (`sqlite3 usage.sqlite VACUUM`): it rewrites the whole file, needs as much free
disk again and locks out every writer meanwhile, which is why `prune` does not run it.

A prune is one transaction, which holds the file's write lock while it deletes: a prune
of a large backlog (900,000 rows of 1 KB took 45 to 65 s on a loaded 2-core machine) makes
saves meanwhile wait, and fail after SQLite's 5 s ("database is locked"). Prune a backlog
in steps of `older_than` (a day at a time), or while nothing saves; a regular prune of the
rows one tick made old takes a fraction of a second.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from usage_analytics.contracts import ModelUsageAnalyticsOutput
from usage_analytics.sources.base import (
    SourceUnavailableError,
    UnsupportedSourceError,
    quote_identifier,
    special_file_kind,
)
from usage_analytics.sources.timestamps import format_utc
from usage_analytics.store.base import (
    ANALYTICS_TABLE,
    COLUMNS,
    KEY,
    NEWEST_FIRST,
    AnalyticsStore,
    StoreError,
    checked_results,
    key_hint,
    read_result,
    stored_row,
)
from usage_analytics.store.pruning import Pruning
from usage_analytics.store.selection import Selection, SelectionSql

__all__ = ["SQLiteAnalyticsStore"]

_TYPES = {
    "pattern_id": "TEXT NOT NULL",
    "window_start": "TEXT NOT NULL",
    "window_end": "TEXT NOT NULL",
    "window_type": "TEXT NOT NULL",
    "correlation_id": "TEXT NOT NULL",
    "computed_at": "TEXT NOT NULL",
    "total_executions": "INTEGER NOT NULL",
    "success_rate": "REAL NOT NULL",
    "p95_execution_time_ms": "REAL",
    "trend_type": "TEXT",
    "analytics_quality_score": "REAL NOT NULL",
    "result": "TEXT NOT NULL",
    "model": "TEXT NOT NULL",
}


#: A stored result's zone, granularity and families, from its `result` JSON, which is
#: strict JSON (`model` may hold a bare `Infinity`, as rows written before infinities were
#: strings do, which a JSON function refuses); see `usage_analytics.store.selection`.
_SELECTED = SelectionSql(
    zone="coalesce(json_extract(result, '$.time_window.timezone'), 'UTC')",
    granularity="coalesce(json_extract(result, '$.time_window.granularity'), 'detailed')",
    family="json_extract(result, '$.{family}')",  # (SQL NULL of JSON null)
)
#: `_with_connection`'s mode for writes (reads pass what they return without a table).
_WRITE = object()


def _value(value: Any) -> Any:
    return format_utc(value) if isinstance(value, datetime) else value


def _row(result: ModelUsageAnalyticsOutput) -> list[Any]:
    row = stored_row(result)
    return [_value(row[name]) for name in COLUMNS]


def _in_memory(target: str) -> bool:
    """Whether SQLite opens `target` as an in-memory database: `:memory:`, or a `file:`
    URI of that path or with `mode=memory` (SQLite reads `file:` names as URIs)."""
    if target == ":memory:":
        return True
    if not target.startswith("file:"):
        return False
    path, _, query = target.removeprefix("file:").partition("?")
    return path == ":memory:" or "memory" in parse_qs(query).get("mode", [])


class SQLiteAnalyticsStore(AnalyticsStore):
    """The `pattern_analytics` table of a SQLite file (see `usage_analytics.store.base`)."""

    def __init__(self, path: str | Path, table: str = ANALYTICS_TABLE) -> None:
        text = str(path)
        if _in_memory(text):
            # (Each call opens its own connection: an in-memory database would be gone
            # with it, every result saved silently lost.)
            raise UnsupportedSourceError(
                f"{text!r}: the store needs a SQLite file (each call opens its own "
                "connection, and an in-memory database ends with it)"
            )
        self.path = Path(path)
        self.table = quote_identifier(table)
        self._name = table
        self.description = f"table {table!r} of {self.path}"

    async def _run(self, work: Callable[[sqlite3.Connection], Any]) -> Any:
        """`work` on a connection, the file and table created first (a write)."""
        return await asyncio.to_thread(self._with_connection, work, _WRITE, True)

    async def _read(
        self, work: Callable[[sqlite3.Connection], Any], empty: Any, *, writes: bool = False
    ) -> Any:
        """`work` on a connection; `empty` when there is no file or table yet (a read
        creates neither: a service asking before any save left an empty file behind).
        `writes`: `work` writes to the table (a prune), which it then holds the write lock
        of (see `_with_connection`)."""
        return await asyncio.to_thread(self._with_connection, work, empty, writes)

    def _with_connection(
        self, work: Callable[[sqlite3.Connection], Any], empty: Any, writes: bool
    ) -> Any:
        if self.path.is_dir():
            raise SourceUnavailableError(f"{self.path}: is a directory, not a SQLite file")
        kind = special_file_kind(self.path)
        if kind is not None:  # (SQLite said "disk I/O error", of a pipe or a device)
            raise SourceUnavailableError(f"{self.path}: is {kind}, not a SQLite file")
        if empty is not _WRITE and not self.path.exists():
            return empty
        try:
            # (Transactions begun here, below: Python's own began one at the first
            # INSERT or DELETE alone, after the table was looked for or made.)
            connection = sqlite3.connect(self.path, isolation_level=None)
        except sqlite3.Error as error:
            raise SourceUnavailableError(f"{self.path}: cannot open: {error}") from None
        try:
            with connection:
                # The look for the table (or its making) and the call's statements in one
                # transaction: apart, a table dropped by another connection between them
                # failed the call ("no such table"), and a prune between them made the
                # table again. A write takes the file's write lock first (another's drop
                # waits for it, as for any write); a read, one snapshot of the file (in WAL
                # mode a drop meanwhile goes on beside it, in the default mode it waits).
                connection.execute("BEGIN IMMEDIATE" if writes else "BEGIN")
                if empty is _WRITE:
                    self._create(connection)
                elif not self._has_table(connection):
                    return empty
                return work(connection)
        except sqlite3.Error as error:
            raise StoreError(f"{self.description}: {error}{key_hint(str(error))}") from None
        finally:
            connection.close()

    def _has_table(self, connection: sqlite3.Connection) -> bool:
        found = connection.execute(
            # (Names are case-insensitive in SQLite, as `CREATE TABLE IF NOT EXISTS` has it.)
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE",
            (self._name,),
        ).fetchone()
        return found is not None

    def _create(self, connection: sqlite3.Connection) -> None:
        columns = ", ".join(f"{quote_identifier(name)} {_TYPES[name]}" for name in COLUMNS)
        key = ", ".join(KEY)
        connection.execute(
            f"CREATE TABLE IF NOT EXISTS {self.table} ({columns}, PRIMARY KEY ({key}))"
        )
        index = quote_identifier(f"{self._name}_pattern_computed")
        connection.execute(
            f"CREATE INDEX IF NOT EXISTS {index} ON {self.table} (pattern_id, computed_at)"
        )
        # `history` of one window type: the index above reads every result of the pattern
        # back to the type's newest (a year's hourly results before a weekly one: 6 ms
        # warm, 8,760 rows' pages cold). Added in session 54: the file of an earlier
        # version gets it here, at its next save (a read creates nothing).
        by_type = quote_identifier(f"{self._name}_type_computed")
        connection.execute(
            f"CREATE INDEX IF NOT EXISTS {by_type} ON {self.table} "
            "(pattern_id, window_type, computed_at)"
        )
        # `prune` of every pattern: without it, a scan of the whole table (of rows of
        # 4 KB) for each prune of a slice. Added in session 58, as the one above (and by
        # `prune` too).
        by_age = quote_identifier(f"{self._name}_computed")
        connection.execute(f"CREATE INDEX IF NOT EXISTS {by_age} ON {self.table} (computed_at)")

    async def save_many(self, results: Iterable[ModelUsageAnalyticsOutput]) -> None:
        results = checked_results(results)
        updates = ", ".join(f"{name} = excluded.{name}" for name in COLUMNS if name not in KEY)
        sql = (
            f"INSERT INTO {self.table} ({', '.join(COLUMNS)}) "
            f"VALUES ({', '.join('?' for _ in COLUMNS)}) "
            f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET {updates}"
        )

        # The rows are built on a worker thread, each once: a result's two JSON columns
        # take a fraction of a millisecond, and a dashboard saves thousands (they were
        # built on the event loop, once per column: 7.7 s of 5,000 results, during which
        # the loop ran nothing else). Before the save's transaction: built in it, they
        # held the file's write lock meanwhile, which other writers wait for.
        rows = await asyncio.to_thread(lambda: [_row(result) for result in results])

        def work(connection: sqlite3.Connection) -> None:
            connection.executemany(sql, rows)

        await self._run(work)

    async def _get(
        self,
        key: str,
        start: datetime,
        end: datetime,
        correlation_id: str | None,
        chosen: Selection,
    ) -> ModelUsageAnalyticsOutput | None:
        condition = "pattern_id = ? AND window_start = ? AND window_end = ?"
        params = [key, format_utc(start), format_utc(end)]
        if correlation_id is not None:
            condition += " AND correlation_id = ?"
            params.append(correlation_id)
        selected, selected_params = chosen.conditions(_SELECTED, lambda: "?")
        condition += selected
        params += selected_params

        def work(connection: sqlite3.Connection) -> str | None:
            row = connection.execute(
                f"SELECT model FROM {self.table} WHERE {condition} ORDER BY {NEWEST_FIRST} LIMIT 1",
                params,
            ).fetchone()
            return None if row is None else str(row[0])

        model: str | None = await self._read(work, None)
        return None if model is None else read_result(model)

    async def _history(
        self, key: str, limit: int, chosen: Selection
    ) -> list[ModelUsageAnalyticsOutput]:
        selected, selected_params = chosen.conditions(_SELECTED, lambda: "?")

        def work(connection: sqlite3.Connection) -> list[str]:
            return [
                str(row[0])
                for row in connection.execute(
                    f"SELECT model FROM {self.table} WHERE pattern_id = ?{selected} "
                    f"ORDER BY {NEWEST_FIRST} LIMIT ?",
                    (key, *selected_params, limit),
                )
            ]

        models: list[str] = await self._read(work, [])
        return [read_result(model) for model in models]

    async def _prune(self, chosen: Pruning) -> int:
        statement, params = chosen.statement(self.table, lambda: "?", format_utc)

        def work(connection: sqlite3.Connection) -> int:
            self._create(connection)  # (the index of computed_at, on a file made before it)
            return int(connection.execute(statement, params).rowcount)

        # (As a read: an absent file or table has nothing to delete, and is not made.)
        deleted: int = await self._read(work, 0, writes=True)
        return deleted
