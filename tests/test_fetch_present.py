"""`fetch_present(start, end)`: `fetch_all`'s groups that hold records, which a database
finds without listing every pattern id or making a group for each (by one range of an
index leading with the timestamp where there is one). Held against `fetch_all` over
random tables and files: every layout of indexes, ids that `pattern_key` folds together
("a", " a", 7 and "7"), blank ones, timestamps no window places, rows sharing an instant.
And `analyze`'s default-window checks (`cli.valid_end`, `cli.invalid_end`), which read
the records at the window's end, now ask for those alone: `fetch_all` is never called.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import adbc_driver_postgresql.dbapi as dbapi
import pytest
import usage_analytics.sources.sqlite as sqlite_source
from cli_runs import run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlite_trace import tracing
from test_cli_default_end import record, sqlite_of
from usage_analytics.sources import ExecutionSource, FileSource, PostgresSource, SQLiteSource
from usage_analytics.sources.base import Fetched, TableSpec
from usage_analytics.sources.postgres_connection import PostgresConnection
from usage_analytics.sources.postgres_table import create_executions_table as create_postgres
from usage_analytics.sources.postgres_table import write_executions_sync as write_postgres
from usage_analytics.sources.sqlite_native import native_rows
from usage_analytics.sources.sqlite_table import create_executions_table as create_sqlite
from usage_analytics.sources.timestamps import format_utc

T0 = datetime(2026, 3, 1, 10, tzinfo=UTC)
TICK = timedelta(microseconds=1)
#: Instants a microsecond, a second and a day apart, so that windows of one instant and
#: of several hold some of them.
INSTANTS = [T0 - TICK, T0, T0 + timedelta(seconds=1), T0 + timedelta(days=1)]

#: The index layouts a table may have: the library's ((pattern_id, timestamp) and the
#: partial index of unplaced rows), the library's with one on the timestamp too, that
#: one alone, none.
LAYOUTS = ["library", "library+time", "time", "none"]
#: (A fresh file or table for each example, named by `_names`.)
FIXTURES = [HealthCheck.function_scoped_fixture]
_names = itertools.count()


def shown(groups: list[Fetched]) -> list[tuple[Any, ...]]:
    """Each group as it is compared: id, count, records (as dicts), each record's place."""

    def records(data: Any) -> list[Any]:
        if hasattr(data, "to_pylist"):
            listed: list[Any] = data.to_pylist()
            return listed
        if isinstance(data, dict):
            return [
                dict(zip(data, values, strict=True)) for values in zip(*data.values(), strict=True)
            ]
        return list(data)

    return [
        (g.pattern_id, g.count, records(g.data), [g.locate(i) for i in range(g.count)])
        for g in groups
    ]


def both(source: ExecutionSource, start: datetime, end: datetime) -> tuple[Any, Any]:
    """`fetch_present`'s groups, and `fetch_all`'s that hold records, shown; or the error
    each raised (a file of no records)."""

    async def read(present: bool) -> Any:
        try:
            if present:
                return shown(await source.fetch_present(start, end))
            return shown([group for group in await source.fetch_all(start, end) if group.count])
        except Exception as error:  # (compared: the same for both)
            return type(error), str(error)

    async def read_both() -> tuple[Any, Any]:
        async with source:
            return await read(True), await read(False)

    return asyncio.run(read_both())


windows = st.tuples(st.sampled_from(INSTANTS), st.sampled_from([TICK, timedelta(seconds=2), 0]))


def window_of(drawn: tuple[datetime, timedelta | int]) -> tuple[datetime, datetime]:
    end, span = drawn
    return (end - span, end) if isinstance(span, timedelta) else (end, end)


# ------------------------------------------------------------------------------- SQLite

SQLITE_IDS = ["a", "b", "A", " a", "", 7, "7"]
SQLITE_STAMPS: list[Any] = [
    *(format_utc(moment) for moment in INSTANTS),
    "2026-03-01T11:00:00+01:00",  # (T0 in another offset: placed by its date)
    "2026-03-01 noon",  # (a date, no time the core reads: placed by its date)
    None,
    "soon",
    12345,
]
sqlite_rows = st.lists(
    st.tuples(
        st.sampled_from(SQLITE_IDS), st.sampled_from(SQLITE_STAMPS), st.sampled_from([1, 0, "x"])
    ),
    max_size=25,
)


def sqlite_table(path: Path, layout: str, rows: list[tuple[Any, Any, Any]]) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE pattern_executions (pattern_id, timestamp, success)")
        connection.executemany("INSERT INTO pattern_executions VALUES (?, ?, ?)", rows)
        if layout.startswith("library"):
            create_sqlite(connection)
        if "time" in layout:
            connection.execute("CREATE INDEX by_time ON pattern_executions (timestamp)")
    connection.close()


@pytest.mark.parametrize("layout", LAYOUTS)
@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURES)
@given(rows=sqlite_rows, drawn=windows)
def test_sqlite_present_groups_are_fetch_alls_with_records(
    tmp_path: Path, layout: str, rows: list[tuple[Any, Any, Any]], drawn: Any
) -> None:
    path = tmp_path / f"runs-{next(_names)}.sqlite"
    sqlite_table(path, layout, rows)
    present, every = both(SQLiteSource(path), *window_of(drawn))
    assert present == every


def test_a_time_index_serves_sqlite_without_listing_the_ids(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [(f"p{n:03d}", format_utc(T0 - timedelta(minutes=n)), 1) for n in range(300)]
    rows.append(("p150", format_utc(T0), 0))
    sqlite_table(tmp_path / "timed.sqlite", "library+time", rows)
    sqlite_table(tmp_path / "library.sqlite", "library", rows)

    def refused(*args: Any) -> Any:
        raise AssertionError("the pattern ids were listed")

    monkeypatch.setattr(SQLiteSource, "_pattern_ids", refused)

    async def read(path: Path) -> list[tuple[str, int]]:
        async with SQLiteSource(path) as source:
            return [(g.pattern_id, g.count) for g in await source.fetch_present(T0 - TICK, T0)]

    assert asyncio.run(read(tmp_path / "timed.sqlite")) == [("p000", 1), ("p150", 1)]
    with pytest.raises(AssertionError, match="listed"):  # (the library's: each id's range)
        asyncio.run(read(tmp_path / "library.sqlite"))


def _statements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The statements the SQLite source runs, through `sqlite3` and through the core's own
    SQLite (`native_rows`, which reads a fetch's rows)."""
    ran: list[str] = []
    native = native_rows

    def noted(path: Path, statement: str, *args: Any, **kwargs: Any) -> Any:
        ran.append(statement)
        return native(path, statement, *args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", tracing(sqlite3.connect, ran))
    monkeypatch.setattr(sqlite_source, "native_rows", noted)
    return ran


def _joins_the_walk(statement: str) -> bool:
    return "FROM ua_ids CROSS JOIN" in statement


def test_the_librarys_layout_reaches_each_ids_range_from_the_walk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (Each id's range joined to the walk of the ids, not looked up from a list of them
    # built first: a third less time, BENCHMARKS.md helper-236.) `fetch_all` lists them.
    rows = [(f"p{n:03d}", format_utc(T0 - timedelta(minutes=n)), 1) for n in range(300)]
    rows.append(("p150", format_utc(T0), 0))
    sqlite_table(tmp_path / "library.sqlite", "library", rows)
    ran = _statements(monkeypatch)
    present, every = both(SQLiteSource(tmp_path / "library.sqlite"), T0 - TICK, T0)
    assert [(group[0], group[1]) for group in present] == [("p000", 1), ("p150", 1)]
    assert present == every
    assert any(_joins_the_walk(statement) for statement in ran)


@pytest.mark.parametrize("column", ["ua_id", "UA_ID"])
def test_a_table_with_a_column_named_as_the_walks_is_read_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, column: str
) -> None:
    # The walk's column beside the table's own of that name is ambiguous in SQLite: such
    # a table's ranges are looked up from the ids' list, as before.
    path = tmp_path / "runs.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute(f"CREATE TABLE pattern_executions ({column}, timestamp, success)")
        connection.executemany(
            "INSERT INTO pattern_executions VALUES (?, ?, ?)",
            [("a", format_utc(T0), 1), ("b", format_utc(T0 - TICK), 0), ("a", "soon", 1)],
        )
        connection.execute(f"CREATE INDEX by_id ON pattern_executions ({column}, timestamp)")
    connection.close()
    ran = _statements(monkeypatch)
    source = SQLiteSource(path, TableSpec(columns={"pattern_id": column}))
    present, every = both(source, T0 - TICK, T0)
    assert [(group[0], group[1]) for group in present] == [("a", 2), ("b", 1)]
    assert present == every
    assert not any(_joins_the_walk(statement) for statement in ran)


# --------------------------------------------------------------------------- PostgreSQL

PG_IDS = ["a", "b", "A", " a", "", None]
PG_STAMPS = [*(moment.isoformat() for moment in INSTANTS), None, "infinity", "-infinity"]
pg_rows = st.lists(
    st.tuples(
        st.sampled_from(PG_IDS), st.sampled_from(PG_STAMPS), st.sampled_from([True, False, None])
    ),
    max_size=25,
)


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    return "'" + str(value).replace("'", "''") + "'"


def pg_table(url: str, name: str, layout: str, rows: list[tuple[Any, Any, Any]]) -> TableSpec:
    spec = TableSpec(name)
    with dbapi.connect(url, autocommit=True) as connection, connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {spec.qualified} (pattern_id text, timestamp timestamptz, "
            "success boolean)"
        )
        if rows:
            values = ", ".join(f"({', '.join(map(_literal, row))})" for row in rows)
            cursor.execute(f"INSERT INTO {spec.qualified} VALUES {values}")
        if layout.startswith("library"):
            create_postgres(cursor, spec)
        if "time" in layout:
            cursor.execute(f"CREATE INDEX {name}_by_time ON {spec.qualified} (timestamp)")
        if "analyzed" in layout:  # (statistics: few rows per id, read by one scan)
            cursor.execute(f"ANALYZE {spec.qualified}")
    return spec


@pytest.fixture(scope="module")
def pg_url(postgres_server: str) -> Iterator[str]:
    """One database for the module's tables (a fresh table for each example)."""
    import pg_server

    name, url = pg_server.create_database(postgres_server)
    try:
        yield url
    finally:
        pg_server.drop_database(postgres_server, name)


@pytest.mark.parametrize("layout", [*LAYOUTS, "library+analyzed"])
@settings(max_examples=40, deadline=None, suppress_health_check=FIXTURES)
@given(rows=pg_rows, drawn=windows)
def test_postgresql_present_groups_are_fetch_alls_with_records(
    pg_url: str, layout: str, rows: list[tuple[Any, Any, Any]], drawn: Any
) -> None:
    spec = pg_table(pg_url, f"runs_{next(_names)}", layout, rows)
    present, every = both(PostgresSource(pg_url, spec), *window_of(drawn))
    assert present == every


class _Spy:
    """A cursor that notes the statements it runs."""

    def __init__(self, cursor: Any, noted: list[str]) -> None:
        self._cursor, self._noted = cursor, noted

    def execute(self, statement: str, *args: Any) -> Any:
        self._noted.append(statement)
        return self._cursor.execute(statement, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


def test_a_time_index_serves_postgresql_without_listing_the_ids(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [(f"p{n:03d}", (T0 - timedelta(minutes=n)).isoformat(), True) for n in range(300)]
    rows.append(("p150", T0.isoformat(), False))
    noted: list[str] = []
    run = PostgresConnection.run

    async def spied(self: PostgresConnection, work: Any) -> Any:
        return await run(self, lambda cursor: work(_Spy(cursor, noted)))

    monkeypatch.setattr(PostgresConnection, "run", spied)

    def read(spec: TableSpec) -> list[tuple[str, int]]:
        async def present() -> list[tuple[str, int]]:
            async with PostgresSource(pg_url, spec) as source:
                groups = await source.fetch_present(T0 - TICK, T0)
                return [(g.pattern_id, g.count) for g in groups]

        noted.clear()
        return asyncio.run(present())

    def per_id_ranges() -> bool:
        return any("FROM ua_ids, LATERAL" in statement for statement in noted)

    def listed() -> bool:
        return any("SELECT DISTINCT" in s or "SELECT ua_id::text" in s for s in noted)

    assert read(pg_table(pg_url, "timed", "library+time", rows)) == [("p000", 1), ("p150", 1)]
    assert not per_id_ranges()
    assert not listed()
    # (The library's layout: each id's range, as `fetch_all` reads them; still not listed.)
    assert read(pg_table(pg_url, "library", "library", rows)) == [("p000", 1), ("p150", 1)]
    assert per_id_ranges()
    assert not listed()
    # Its statistics saying few rows per id (one here): one scan, no ranges.
    assert read(pg_table(pg_url, "analyzed", "library+analyzed", rows)) == [
        ("p000", 1),
        ("p150", 1),
    ]
    assert not per_id_ranges()
    assert not listed()
    # Many rows per id (300 over 3 ids): each id's range, as without statistics.
    many = [(f"p{n % 3}", (T0 - timedelta(minutes=n)).isoformat(), True) for n in range(900)]
    many.append(("p1", T0.isoformat(), False))
    assert read(pg_table(pg_url, "dense", "library+analyzed", many)) == [("p0", 1), ("p1", 1)]
    assert per_id_ranges()


# -------------------------------------------------------------------------------- files

file_records = st.lists(
    st.fixed_dictionaries(
        {
            "pattern_id": st.sampled_from(["a", "b", " a", "", None]),
            "timestamp": st.sampled_from([*(m.isoformat() for m in INSTANTS), None, "soon"]),
            "success": st.sampled_from([True, False, "x"]),
        }
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURES)
@given(records=file_records, drawn=windows)
def test_a_files_present_groups_are_fetch_alls_with_records(
    tmp_path: Path, records: list[dict[str, Any]], drawn: Any
) -> None:
    path = tmp_path / f"runs-{next(_names)}.jsonl"
    path.write_text("".join(json.dumps(one) + "\n" for one in records), encoding="utf-8")
    present, every = both(FileSource(path), *window_of(drawn))
    assert present == every


# ---------------------------------------------------------------------------- the command

END = datetime(2026, 11, 30, 12, tzinfo=UTC)
#: p's records end a day before the source's newest, q's, at END: the default window's
#: end is checked by reading the records at END.
ENDING_ELSEWHERE = [
    record("p", END - timedelta(days=2)),
    record("p", END - timedelta(days=1)),
    record("q", END - timedelta(hours=1)),
    record("q", END),
]


def _refuse_fetch_all(monkeypatch: pytest.MonkeyPatch, kind: type[ExecutionSource]) -> None:
    async def refused(self: Any, start: datetime, end: datetime) -> list[Fetched]:
        raise AssertionError(f"fetch_all({start.isoformat()}, {end.isoformat()})")

    monkeypatch.setattr(kind, "fetch_all", refused)


@pytest.mark.parametrize("mode", ["raise", "skip"])
def test_analyzes_end_check_reads_the_records_at_the_end_alone(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    pg_url: str,
    mode: str,
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    sqlite = sqlite_of(tmp_path / "runs.sqlite", ENDING_ELSEWHERE)
    spec = TableSpec("ending_elsewhere")
    write_postgres(pg_url, ENDING_ELSEWHERE, spec)
    _refuse_fetch_all(monkeypatch, SQLiteSource)
    _refuse_fetch_all(monkeypatch, PostgresSource)
    for source, table in ((sqlite, []), (pg_url, ["--table", spec.table])):
        code, out, err = run(
            capsys, "analyze", source, *table, "--pattern", "p", "--format", "json",
            "--on-invalid", mode,
        )  # fmt: skip
        assert (code, err) == (0, ""), err
        assert json.loads(out)["time_window"]["end"].startswith("2026-11-30T12:00:00")


@pytest.mark.parametrize("kind", ["sqlite", "postgresql", "file"])
def test_a_bound_that_is_no_datetime_is_refused_by_name(
    tmp_path: Path, pg_url: str, kind: str
) -> None:
    rows = [("a", format_utc(T0), 1)]
    if kind == "sqlite":
        sqlite_table(tmp_path / "runs.sqlite", "library", rows)
        source: ExecutionSource = SQLiteSource(tmp_path / "runs.sqlite")
    elif kind == "postgresql":
        source = PostgresSource(pg_url, pg_table(pg_url, "bounds", "library", rows))
    else:
        path = tmp_path / "runs.jsonl"
        path.write_text(json.dumps({"pattern_id": "a", "timestamp": T0.isoformat()}) + "\n")
        source = FileSource(path)

    async def present(start: Any, end: Any) -> Any:
        async with source:
            return await source.fetch_present(start, end)

    with pytest.raises(TypeError, match=r"^start must be a datetime, got str '2026-03-01'$"):
        asyncio.run(present("2026-03-01", T0))
    with pytest.raises(TypeError, match=r"^end must be a datetime, got int 7$"):
        asyncio.run(present(T0, 7))
