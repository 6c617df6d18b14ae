"""Analytics results in PostgreSQL (the `postgres` extra: ADBC's PostgreSQL driver).

    async with PostgresAnalyticsStore("postgresql://user@host/db") as store:
        await store.save(result)

Windows and `computed_at` are timestamptz, `correlation_id` uuid, `result` jsonb (query
it: `result->'usage_metrics'->>'total_executions'`), `model` text. The table is created
on first use, and again at the first save after it was dropped (see `_run`); a table
dropped and made again without the store's indexes (by a DBA), or one of whose indexes was
dropped (the table kept), gets them at the next save or prune (`_upserted`, `_looked_up`),
as a store opened on it would. One connection per store; calls run one at a time on a
worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from usage_analytics.contracts import ModelUsageAnalyticsOutput
from usage_analytics.sources.base import SourceError, SourceUnavailableError, quote_identifier
from usage_analytics.sources.postgres_connection import PostgresConnection, with_notes_of
from usage_analytics.sources.postgres_table import MAX_NAME_BYTES
from usage_analytics.sources.postgres_url import first_line
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

__all__ = ["PostgresAnalyticsStore"]

_TYPES = {
    "pattern_id": "text NOT NULL",
    "window_start": "timestamptz NOT NULL",
    "window_end": "timestamptz NOT NULL",
    "window_type": "text NOT NULL",
    "correlation_id": "uuid NOT NULL",
    "computed_at": "timestamptz NOT NULL",
    "total_executions": "bigint NOT NULL",
    "success_rate": "double precision NOT NULL",
    "p95_execution_time_ms": "double precision",
    "trend_type": "text",
    "analytics_quality_score": "double precision NOT NULL",
    "result": "jsonb NOT NULL",
    "model": "text NOT NULL",
}
_CASTS = {"correlation_id": "::uuid", "result": "::jsonb"}
#: PostgreSQL's SQLSTATE of a statement naming a table that does not exist.
_UNDEFINED_TABLE = "42P01"
#: A stored result's zone, granularity and families, from its `result` jsonb (`model` is
#: text, which may hold a bare `Infinity`, as rows written before infinities were strings
#: do: a cast to jsonb failed the query); see `usage_analytics.store.selection`.
_SELECTED = SelectionSql(
    zone="coalesce(result -> 'time_window' ->> 'timezone', 'UTC')",
    granularity="coalesce(result -> 'time_window' ->> 'granularity', 'detailed')",
    family="(result ->> '{family}')",  # (->> reads a JSON null as SQL NULL)
)


def _conditions(chosen: Selection, params: list[Any]) -> str:
    """`chosen`'s SQL conditions, their parameters appended to `params` (numbered on)."""
    numbers = itertools.count(len(params) + 1)
    text, values = chosen.conditions(_SELECTED, lambda: f"${next(numbers)}")
    params += values
    return text


def _check_name_length(name: str | None) -> None:
    """Refuses a name PostgreSQL would cut: two stores whose names share their first 63
    bytes would share one table."""
    if name is not None and len(name.encode()) > MAX_NAME_BYTES:
        cut = name.encode()[:MAX_NAME_BYTES].decode(errors="ignore")
        raise ValueError(
            f"PostgreSQL names are at most {MAX_NAME_BYTES} bytes; {name!r} has "
            f"{len(name.encode())} and would be cut to {cut!r}"
        )


def _index_name(table: str) -> str:
    """The store's index: the table's name and a suffix, cut to 63 bytes as PostgreSQL
    cuts it (the name existing tables' indexes have) unless that leaves the table's own
    name (a table of 63 bytes): CREATE INDEX IF NOT EXISTS then found the name taken and
    made no index. Such a table's index ends in a digest of its name instead."""
    cut = f"{table}_pattern_computed".encode()[:MAX_NAME_BYTES].decode(errors="ignore")
    if cut != table:
        return cut
    digest = hashlib.sha256(table.encode()).hexdigest()[:8]
    kept = table.encode()[: MAX_NAME_BYTES - len(digest) - 4].decode(errors="ignore")
    return f"{kept}_{digest}_pc"


def _type_index_name(table: str) -> str:
    """The index of `history` by window type: `{table}_type_computed` cut to 63 bytes
    while that keeps its "_t" (unlike `_index_name`'s "_p"), else the table's name cut, a
    digest of it and "_tc": the two indexes never share a name, nor the table's."""
    return _later_index_name(table, "type_computed", "tc")


def _age_index_name(table: str) -> str:
    """The index of `prune` by age, (computed_at): `{table}_computed_at` while that keeps
    its "_c", else ending in a digest and "_ca"; no other index's name (see above)."""
    return _later_index_name(table, "computed_at", "ca")


def _later_index_name(table: str, suffix: str, tag: str) -> str:
    """`{table}_{suffix}` cut to 63 bytes while that keeps the suffix's first letter,
    else the table's name cut, a digest of it and `_{tag}`."""
    if len(table.encode()) + 2 <= MAX_NAME_BYTES:
        return f"{table}_{suffix}".encode()[:MAX_NAME_BYTES].decode(errors="ignore")
    digest = hashlib.sha256(table.encode()).hexdigest()[:8]
    kept = table.encode()[: MAX_NAME_BYTES - len(digest) - 4].decode(errors="ignore")
    return f"{kept}_{digest}_{tag}"


def _without_nul(value: Any) -> Any:
    """`value` (a `to_dict()` document) with every NUL in its texts and keys U+FFFD."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    return value


def _sorted_rows(results: list[ModelUsageAnalyticsOutput]) -> list[tuple[Any, ...]]:
    """The rows of `results` in one order whoever writes them, so that two writers of
    overlapping results lock their keys in one order: in their given orders, concurrent
    saves deadlocked. (A stable sort: of two rows of one key, the later is still saved
    last.)"""
    rows = [_postgres_row(result) for result in results]
    key = [COLUMNS.index(name) for name in KEY]
    rows.sort(key=lambda row: [_in_order(row[index]) for index in key])
    return rows


def _postgres_row(result: ModelUsageAnalyticsOutput) -> tuple[Any, ...]:
    r"""The row of `result` as PostgreSQL holds it. Its text cannot hold NUL: a pattern id
    with one is refused by name, and in the `result` column (jsonb, which refuses
    `\u0000`) a NUL of a context name is U+FFFD (the `model` column, JSON text, keeps it
    exactly). Either was a failed query: "unsupported Unicode escape sequence"."""
    row = stored_row(result)
    if "\x00" in row["pattern_id"]:
        raise StoreError(
            f"PostgreSQL text cannot hold NUL: pattern id {row['pattern_id']!r} cannot be stored"
        )
    if "\\u0000" in row["result"]:
        row["result"] = json.dumps(_without_nul(result.to_dict()), allow_nan=False)
    return tuple(row[name] for name in COLUMNS)


def _in_order(value: Any) -> str:
    """A key column's value as text that sorts alike for the same value: a datetime as its
    UTC instant (one instant at +01:00 and at UTC was two places in the order)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return "" if value is None else str(value)


class PostgresAnalyticsStore(AnalyticsStore):
    """The `pattern_analytics` table of a PostgreSQL database (see
    `usage_analytics.store.base`)."""

    def __init__(
        self, url: str, table: str = ANALYTICS_TABLE, *, schema: str | None = None
    ) -> None:
        for name in (table, schema):
            _check_name_length(name)
        self.table = quote_identifier(table)
        if schema is not None:
            self.table = f"{quote_identifier(schema)}.{self.table}"
        # The store's indexes: (name, columns), made with the table, and on a table made
        # without them (by an earlier version, or again by a DBA) at its next save or
        # prune, where the role may (`_add_missing_indexes`).
        self._indexes = (
            (_index_name(table), "(pattern_id, computed_at)"),
            (_type_index_name(table), "(pattern_id, window_type, computed_at)"),  # session 54
            (_age_index_name(table), "(computed_at)"),  # session 58, for `prune`
        )
        self._connection = PostgresConnection(url, on_connect=self._forget_table)
        label = table if schema is None else f"{schema}.{table}"
        # (The schema too: two stores of one table name in two schemas read alike.)
        self._named = f"table {label!r} of "
        self.description = self._named + self._connection.description
        self._created = False  # (the table exists)
        self._indexed = False  # (and has its indexes, or may not be given them)
        self._table_oid: int | None = None  # (the OID of the table so found)
        # (The SQL of the store's indexes as `to_regclass` finds them: in the table's
        # schema, or as the search path finds the table.)
        prefix = "" if schema is None else quote_identifier(schema) + "."
        self._index_names = [
            "'" + (prefix + quote_identifier(name)).replace("'", "''") + "'"
            for name, _ in self._indexes
        ]
        self._present = "TRUE"  # (SQL: the table has the indexes it had when last looked)
        self._required = "TRUE"  # (SQL: the same, failing the statement where one is gone)

    def _forget_table(self, connection: Any) -> None:
        self._created = self._indexed = False
        self._table_oid, self._present, self._required = None, "TRUE", "TRUE"

    def _count_present(self, cursor: Any) -> None:
        """`_present` anew: the store's indexes the table now has, each still there (a
        name's look up in the catalog's cache, no plan of a join: counting them by a
        join of pg_index made each save x1.29 as long; BENCHMARKS.md, helper-272)."""
        found = ", ".join(f"to_regclass({name}) IS NOT NULL" for name in self._index_names)
        cursor.execute(f"SELECT {found}")
        found_each = zip(self._index_names, cursor.fetchone(), strict=True)
        kept = [name for name, there in found_each if there]
        self._present = " AND ".join(f"to_regclass({name}) IS NOT NULL" for name in kept) or "TRUE"
        # (A cast of the name, read as the statement is parsed: an index gone fails it as
        # a table gone does, "relation ... does not exist", which `save_many` answers.)
        self._required = " AND ".join(f"{name}::regclass IS NOT NULL" for name in kept) or "TRUE"

    def _current_oid(self, cursor: Any) -> int | None:
        """The OID of the table the store's name now names; None where there is none."""
        cursor.execute("SELECT to_regclass($1)::oid::bigint", (self.table,))
        found = cursor.fetchone()[0]
        return None if found is None else int(found)

    def _exists(self, cursor: Any) -> bool:
        """Whether the table exists (remembered once it does, with its OID: reads ask
        once a connection; a table dropped since is found by its error, see `_run`)."""
        if not self._created:
            self._table_oid = self._current_oid(cursor)
            self._created = self._table_oid is not None
        return self._created

    def _looked_up(self, cursor: Any) -> bool:
        """Whether the table exists, looked up anew, with its indexes: at each prune, and
        at a save whose upsert found the name naming another table, or the table short of
        an index (`_upserted`). A table dropped and made again since the store indexed it
        (by a DBA, a migration) is another table, of another OID, without the store's
        indexes; a table one of whose indexes was dropped has fewer of them than the store
        last found (`_present`): `_create` then makes them. (The store remembered that it
        had made them: they were made again only on a new connection, and each `history`
        and `prune` scanned the table till then.) Reads look up nothing, as a read makes
        nothing."""
        cursor.execute(f"SELECT to_regclass($1)::oid::bigint, {self._present}", (self.table,))
        found, present = cursor.fetchone()
        oid = None if found is None else int(found)
        if oid != self._table_oid or not present:
            self._indexed = False
        self._created, self._table_oid = oid is not None, oid
        return self._created

    def _create(self, cursor: Any) -> None:
        """The table and its indexes, unless they exist (as `_looked_up` last found)."""
        if self._indexed:
            return
        # An existing table needs no CREATE rights (a role that may only read and write).
        if self._exists(cursor):
            self._add_missing_indexes(cursor)
            return
        columns = ", ".join(f"{quote_identifier(name)} {_TYPES[name]}" for name in COLUMNS)
        with self._turn(cursor):
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self.table} "
                f"({columns}, PRIMARY KEY ({', '.join(KEY)}))"
            )
            for name, columns in self._indexes:
                self._create_index(cursor, name, columns)
        self._table_oid = self._current_oid(cursor)
        self._created = self._indexed = True
        self._count_present(cursor)

    @contextlib.contextmanager
    def _turn(self, cursor: Any) -> Iterator[None]:
        """Stores creating the table or an index at once would race: PostgreSQL's IF NOT
        EXISTS is not atomic (the loser fails on a unique index of its catalog). A session
        lock on the table's name makes them take turns."""
        lock = ("usage_analytics store " + self.table,)
        cursor.execute("SELECT pg_advisory_lock(hashtext($1))", lock)
        try:
            yield
        except BaseException as first:
            # The first error is the user's (a CREATE refused): an unlock failing after it
            # (the connection lost meanwhile) replaced it. Noted on it instead; the lock
            # ends with the session, which the connection discards after a failed call.
            try:
                cursor.execute("SELECT pg_advisory_unlock(hashtext($1))", lock)
            except Exception as second:
                first.add_note(f"(and releasing the store's lock failed too: {second})")
            raise
        cursor.execute("SELECT pg_advisory_unlock(hashtext($1))", lock)

    def _create_index(self, cursor: Any, name: str, columns: str) -> None:
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS {quote_identifier(name)} ON {self.table} {columns}"
        )

    def _add_missing_indexes(self, cursor: Any) -> None:
        """The store's indexes that an existing table lacks: those of `history` by window
        type (session 54) and of `prune` by age (session 58) on a table made before them,
        or all of them on a table made again without them (by a DBA: see `_create`), if
        the store's role may make them (an index is its table owner's to make: a role
        that may only read and write goes without, its reads and prunes as right, and
        slower).

        (Made as the table's other indexes were, not CONCURRENTLY: the table's writes wait
        for it once, as a first save waited for CREATE TABLE.)"""
        for name, columns in self._indexes:
            cursor.execute(
                "SELECT pg_has_role(t.relowner, 'USAGE') AND NOT EXISTS ("
                " SELECT FROM pg_class i WHERE i.relname = $2 AND i.relnamespace = t.relnamespace"
                ") FROM pg_class t WHERE t.oid = to_regclass($1)",
                (self.table, name),
            )
            row = cursor.fetchone()
            if row is not None and row[0]:
                with self._turn(cursor):
                    self._create_index(cursor, name, columns)
        self._indexed = True
        # (Those it may not make are not counted: a save does not look for them again.)
        self._count_present(cursor)

    async def close(self) -> None:
        await self._connection.close()

    async def _run(self, work: Callable[[Any], Any]) -> Any:
        """`work` on the connection (`_run_once`), once more if it found the table gone.

        The store remembers that its table exists (a query less for each call). When the
        table has been dropped since (by another process, or a DBA), the call's statement
        finds no table ("relation ... does not exist"): the store forgets it and runs the
        call again, as on first use, where a read finds nothing, a prune deletes nothing
        and a save makes the table (and its indexes) again. The first call after a drop
        failed, and only the next saw the table gone. (Once: a table dropped again within
        the call is its error. A failed statement changed nothing: a save's transaction
        rolled back.)"""
        gone: list[bool] = []

        def noting_a_dropped_table(cursor: Any) -> Any:
            try:
                return work(cursor)
            except Exception as error:
                if getattr(error, "sqlstate", None) == _UNDEFINED_TABLE:
                    gone.append(True)
                raise

        try:
            return await self._run_once(noting_a_dropped_table)
        except StoreError:
            if not gone:
                raise
        self._forget_table(None)  # (the connection was discarded too: reopened, it forgets)
        return await self._run_once(work)

    async def _run_once(self, work: Callable[[Any], Any]) -> Any:
        """`work` on the connection; a failed query is a `StoreError` naming the table, as
        in SQLite (a lost connection stays `SourceUnavailableError`). The connection's
        message names the server alone: "query failed: null value in column ..." said
        nothing of which table, nor that the store's own was meant."""
        try:
            return await self._connection.run(work)
        except SourceUnavailableError:
            raise
        except StoreError:
            raise
        except SourceError as error:
            # (The connection's message starts with the server: "table 'x' of URL: ...".)
            told = StoreError(f"{self._named}{error}{key_hint(str(error))}")
            raise with_notes_of(error, told) from None

    async def save_many(self, results: Iterable[ModelUsageAnalyticsOutput]) -> None:
        # Built on a worker thread: a result's two JSON columns take a fraction of a
        # millisecond, and a dashboard saves thousands, during which the event loop ran
        # nothing else. (Not on the connection's: it would wait meanwhile.)
        rows = await asyncio.to_thread(_sorted_rows, checked_results(results))

        def work(cursor: Any) -> None:
            if not self._indexed:
                self._looked_up(cursor)
                self._create(cursor)
            if not rows:
                return
            upserted_into = self._table_oid
            try:
                upserted: bool | None = self._upserted(cursor, rows)
            except Exception as error:
                if getattr(error, "sqlstate", None) != _UNDEFINED_TABLE:
                    raise
                upserted = None  # (rolled back: the connection serves the next statement)
            if upserted:
                return
            if (
                upserted is not None
                and self._looked_up(cursor)
                and self._table_oid == upserted_into
            ):
                # The table the statement wrote to, with the indexes it named: a trigger
                # kept every row out of it (a BEFORE trigger returning NULL), which counts
                # none. Saved, as before OIDs were asked; again, it ran the trigger twice,
                # then failed.
                return
            # The table was dropped and made again since the store indexed it (by a DBA,
            # a migration), without the store's indexes; or (None: the statement failed)
            # the table, or one of the indexes it named, is gone: the store makes them
            # now, then saves. (An index gone once left the rows out, and a look up could
            # not tell that from a trigger where another connection had made it again
            # meanwhile: the save returned, nothing saved.)
            if upserted is None:
                self._looked_up(cursor)
            self._create(cursor)
            try:
                saved = self._upserted(cursor, rows)
                gone = ""
            except Exception as error:
                if getattr(error, "sqlstate", None) != _UNDEFINED_TABLE:
                    raise
                saved, gone = False, f" ({first_line(error, self._connection.url)})"
            if not saved:
                raise StoreError(
                    f"{self.description}: the table was made again twice during one save "
                    f"(by another connection), or it or an index dropped{gone}; nothing "
                    "was saved: try again"
                )

        await self._run(work)

    def _upserted(self, cursor: Any, rows: list[tuple[Any, ...]]) -> bool:
        """`rows` upserted, in one transaction, into the table the store indexed; False
        where its name now names another table (of another OID: dropped and made again,
        see `_looked_up`), which the statement then leaves as it is, and where a trigger
        kept every row out of the table (no row counts: `save_many` tells them apart).
        Where the table is gone, or one of the store's indexes it had (dropped by a DBA),
        the statement fails (relation ... does not exist: it names each, `_required`),
        changing nothing.

        (The statement tells that itself, each row's insert conditional on the table's
        OID, at x1.05 the time of a save of one result: a look up of the table before
        each save, a round trip of its own, took x1.26; BENCHMARKS.md, helper-251. A
        table dropped alone fails the statement instead: `save_many`.)"""
        marks = ", ".join(f"${i}{_CASTS.get(name, '')}" for i, name in enumerate(COLUMNS, 1))
        updates = ", ".join(f"{name} = excluded.{name}" for name in COLUMNS if name not in KEY)
        named = "'" + self.table.replace("'", "''") + "'"
        sql = (
            f"INSERT INTO {self.table} ({', '.join(COLUMNS)}) SELECT {marks} "
            f"WHERE to_regclass({named}) = {self._table_oid}::oid "
            f"AND {self._required} "
            f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET {updates}"
        )

        def upsert() -> int:
            # (One bound batch, in the rows' order: a call per row took 1.7 to 2.9 s
            # for 1,000 results, a monitor's tick of 1,000 patterns; this 0.7 to 0.8.)
            cursor.executemany(sql, rows)
            return int(cursor.rowcount)  # (each row counts, inserted or updated)

        return int(_in_one_transaction(cursor, upsert)) != 0

    async def _get(
        self,
        key: str,
        start: datetime,
        end: datetime,
        correlation_id: str | None,
        chosen: Selection,
    ) -> ModelUsageAnalyticsOutput | None:
        # The bounds as text, cast: a bound datetime made ADBC wrap the query in a
        # transaction of its own (BEGIN, SET TIME ZONE) that it left open, the session
        # "idle in transaction" until the next save (holding a snapshot, so that VACUUM
        # kept every row deleted meanwhile).
        condition = (
            "pattern_id = $1 AND window_start = $2::timestamptz AND window_end = $3::timestamptz"
        )
        params: list[Any] = [key, start.isoformat(), end.isoformat()]
        if correlation_id is not None:
            condition += " AND correlation_id = $4::uuid"
            params.append(correlation_id)
        condition += _conditions(chosen, params)
        if "\x00" in key:
            return None  # (no stored id holds NUL; the query failed on it)

        def work(cursor: Any) -> str | None:
            if not self._exists(cursor):  # (a read creates nothing)
                return None
            cursor.execute(
                f"SELECT model FROM {self.table} WHERE {condition} ORDER BY {NEWEST_FIRST} LIMIT 1",
                params,
            )
            row = cursor.fetchone()
            return None if row is None else str(row[0])

        model: str | None = await self._run(work)
        return None if model is None else read_result(model)

    async def _history(
        self, key: str, limit: int, chosen: Selection
    ) -> list[ModelUsageAnalyticsOutput]:
        if "\x00" in key:
            return []  # (no stored id holds NUL; the query failed on it)
        params: list[Any] = [key]
        condition = _conditions(chosen, params)
        params.append(limit)

        def work(cursor: Any) -> list[str]:
            if not self._exists(cursor):  # (a read creates nothing)
                return []
            cursor.execute(
                f"SELECT model FROM {self.table} WHERE pattern_id = $1{condition} "
                f"ORDER BY {NEWEST_FIRST} LIMIT ${len(params)}",
                params,
            )
            return [str(row[0]) for row in cursor.fetchall()]

        models: list[str] = await self._run(work)
        return [read_result(model) for model in models]

    async def _prune(self, chosen: Pruning) -> int:
        if chosen.pattern_id is not None and "\x00" in chosen.pattern_id:
            return 0  # (no stored id holds NUL; the query failed on it)
        marks = itertools.count(1)
        statement, params = chosen.statement(self.table, lambda: f"${next(marks)}", _as_given)

        def work(cursor: Any) -> int:
            if not self._looked_up(cursor):  # (an absent table has nothing to delete)
                return 0
            self._create(cursor)  # (the index of computed_at, on a table made before it)

            def delete() -> int:
                # (Counted by the server: the driver's rowcount of a DELETE is -1.)
                cursor.execute(
                    f"WITH deleted AS ({statement} RETURNING 1) SELECT count(*) FROM deleted",
                    params,
                )
                return int(cursor.fetchone()[0])

            # (Committed through the driver's API, as a save: on the autocommit connection
            # ADBC wrapped the statement, of a timestamptz parameter and returning rows, in
            # a transaction of its own that it never committed; the delete was seen by the
            # store's connection alone, and rolled back when it closed.)
            return int(_in_one_transaction(cursor, delete))

        deleted: int = await self._run(work)
        return deleted


def _as_given(instant: datetime) -> datetime:
    """`prune`'s bound as given, a timestamptz parameter: its statement runs in a
    transaction of the store's own (`_in_one_transaction`), whose commit ends ADBC's
    wrapping of it too (`get`'s bounds are text instead: it runs in none)."""
    return instant


def _in_one_transaction(cursor: Any, work: Callable[[], Any]) -> Any:
    """`work()` in one transaction, committed, through the driver's own API: ADBC leaves
    SQL BEGIN and ROLLBACK on an autocommit connection undefined, and some inserts (rows
    with timestamptz parameters) were committed although the batch rolled back."""
    connection = cursor.connection.adbc_connection
    connection.set_autocommit(False)
    try:
        done = work()
    except BaseException:
        # The error to report is the first (a lost connection fails these too, and is
        # then reopened by the next call).
        with contextlib.suppress(Exception):
            connection.rollback()
        with contextlib.suppress(Exception):
            connection.set_autocommit(True)
        raise
    try:
        connection.commit()
    finally:
        connection.set_autocommit(True)
    return done
