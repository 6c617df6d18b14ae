"""A database table that no index serves by pattern id (SQLite's `.import` makes none)
is read by scans, and the command says so after its report, once, with the `CREATE
INDEX` that makes the library's own index (`ExecutionSource.index_hint`,
`cli.index_hint`). Each statement given is run here: it must work, and once it has, the
table needs no hint."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from adbc_driver_postgresql import dbapi
from cli_runs import run
from usage_analytics.sources import ExecutionSource, FileSource, PostgresSource, SQLiteSource
from usage_analytics.sources.base import TableSpec
from usage_analytics.sources.sqlite_table import write_executions_sync

NOW = datetime(2026, 3, 3, 14, 0, tzinfo=UTC)
#: The rows of every table here: two patterns, three hours, all TEXT as `.import` has them.
ROWS = [
    (pattern, (NOW - timedelta(hours=hours)).isoformat(), "true")
    for hours in range(3)
    for pattern in ("a", "b")
]


def hint(source: ExecutionSource) -> str | None:
    async def ask() -> str | None:
        async with source:
            return await source.index_hint()

    return asyncio.run(ask())


def imported(path: Path, table: str = "pattern_executions", columns: str = "") -> Path:
    """A table as `sqlite3`'s `.import` makes it: every column TEXT, no index."""
    names = columns or "pattern_id, timestamp, success"
    with sqlite3.connect(path) as connection:
        typed = ", ".join(f'"{name}" TEXT' for name in names.split(", "))
        connection.execute(f'CREATE TABLE "{table}" ({typed})')
        connection.executemany(f'INSERT INTO "{table}" VALUES (?, ?, ?)', ROWS)
    connection.close()
    return path


def run_sql(path: Path, statement: str) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute(statement)
    connection.close()


# ------------------------------------------------------------------------------ SQLite


def test_an_imported_table_is_given_the_librarys_index(tmp_path: Path) -> None:
    path = imported(tmp_path / "runs.sqlite")
    statement = hint(SQLiteSource(path))
    assert statement == (
        'CREATE INDEX "pattern_executions_pattern_time" ON "pattern_executions" '
        '("pattern_id", "timestamp")'
    )
    run_sql(path, statement)
    assert hint(SQLiteSource(path)) is None


def test_the_librarys_own_table_needs_no_index(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    write_executions_sync(path, [{"pattern_id": "a", "timestamp": NOW, "success": True}])
    assert hint(SQLiteSource(path)) is None


def test_an_index_on_the_pattern_id_alone_serves_it(tmp_path: Path) -> None:
    path = imported(tmp_path / "runs.sqlite")
    run_sql(path, "CREATE INDEX by_id ON pattern_executions (pattern_id)")
    assert hint(SQLiteSource(path)) is None


@pytest.mark.parametrize(
    "other",
    [
        "CREATE INDEX by_time ON pattern_executions (timestamp)",
        "CREATE INDEX by_time_id ON pattern_executions (timestamp, pattern_id)",
        # (A partial index serves only the rows of its condition.)
        "CREATE INDEX some_ids ON pattern_executions (pattern_id) WHERE success = 'false'",
        # (NOCASE: no order of the ids as stored, which reads take.)
        "CREATE INDEX folded ON pattern_executions (pattern_id COLLATE NOCASE)",
    ],
    ids=["timestamp", "timestamp first", "partial", "other collation"],
)
def test_an_index_that_serves_no_pattern_read_is_no_index(tmp_path: Path, other: str) -> None:
    path = imported(tmp_path / "runs.sqlite")
    run_sql(path, other)
    assert hint(SQLiteSource(path)) is not None


def test_the_index_name_taken_by_another_index_gets_a_number(tmp_path: Path) -> None:
    path = imported(tmp_path / "runs.sqlite")
    run_sql(path, "CREATE INDEX Pattern_Executions_Pattern_Time ON pattern_executions (success)")
    statement = hint(SQLiteSource(path))
    assert statement is not None
    assert '"pattern_executions_pattern_time_2"' in statement
    run_sql(path, statement)
    assert hint(SQLiteSource(path)) is None


def test_mapped_columns_and_a_table_name_of_spaces_are_named_as_given(
    tmp_path: Path,
) -> None:
    path = imported(tmp_path / "runs.sqlite", "My Runs", "id, started, ok")
    spec = TableSpec("My Runs", columns={"pattern_id": "id", "timestamp": "started"})
    statement = hint(SQLiteSource(path, spec))
    assert statement == 'CREATE INDEX "My Runs_pattern_time" ON "My Runs" ("id", "started")'
    run_sql(path, statement)
    assert hint(SQLiteSource(path, spec)) is None


def test_a_view_takes_no_index(tmp_path: Path) -> None:
    path = imported(tmp_path / "runs.sqlite", "raw")
    run_sql(path, "CREATE VIEW pattern_executions AS SELECT * FROM raw")
    assert hint(SQLiteSource(path)) is None


def test_a_file_takes_no_index(tmp_path: Path) -> None:
    path = tmp_path / "runs.csv"
    path.write_text("pattern_id,timestamp,success\n" + "".join(",".join(r) + "\n" for r in ROWS))
    assert hint(FileSource(path)) is None


# ------------------------------------------------------------------------------ command

NOTE = "has no index on its pattern id"


@pytest.mark.parametrize("command", ["analyze", "dashboard"])
def test_the_command_notes_the_missing_index_once_after_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    path = imported(tmp_path / "runs.sqlite")
    pattern = ["--pattern", "a"] if command == "analyze" else []
    code, out, err = run(capsys, command, str(path), *pattern, "--format", "json")
    assert code == 0
    assert out.startswith("{")
    (line,) = err.splitlines()
    assert line == (
        f"usage-analytics: note: table 'pattern_executions' of {path} {NOTE} that its reads "
        "can use, so each read scans the whole table (the command took twice as long at a "
        "million rows); to make the index they need, run once: CREATE INDEX "
        '"pattern_executions_pattern_time" ON "pattern_executions" ("pattern_id", "timestamp")'
    )
    run_sql(path, line.partition("run once: ")[2])
    code, _, err = run(capsys, command, str(path), *pattern, "--format", "json")
    assert (code, err) == (0, "")


def test_the_note_follows_the_absent_success_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "runs.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE pattern_executions (pattern_id TEXT, timestamp TEXT)")
        connection.executemany(
            "INSERT INTO pattern_executions VALUES (?, ?)", [r[:2] for r in ROWS]
        )
    connection.close()
    code, _, err = run(capsys, "analyze", str(path), "--pattern", "a", "--format", "json")
    assert code == 0
    absent, indexless = err.splitlines()
    assert "no 'success' column" in absent
    assert NOTE in indexless


def test_a_view_is_not_noted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = imported(tmp_path / "runs.sqlite", "raw")
    run_sql(path, "CREATE VIEW pattern_executions AS SELECT * FROM raw")
    code, _, err = run(capsys, "analyze", str(path), "--pattern", "a", "--format", "json")
    assert (code, err) == (0, "")


# ------------------------------------------------------------------------------ PostgreSQL


@pytest.fixture
def pg_runs(postgres_url: str) -> str:
    """A PostgreSQL table `runs` of `ROWS` (text ids, timestamptz times), no index."""
    with dbapi.connect(postgres_url, autocommit=True) as connection, connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE runs (pattern_id text, timestamp timestamptz, success boolean)"
        )
        for row in ROWS:
            cursor.execute("INSERT INTO runs VALUES ($1, $2::timestamptz, $3::boolean)", row)
    return postgres_url


def pg_sql(url: str, statement: str) -> None:
    with dbapi.connect(url, autocommit=True) as connection, connection.cursor() as cursor:
        cursor.execute(statement)


def test_a_postgresql_table_without_the_index_is_given_it(pg_runs: str) -> None:
    statement = hint(PostgresSource(pg_runs, TableSpec("runs")))
    assert statement == 'CREATE INDEX "runs_pattern_time" ON "runs" ("pattern_id", "timestamp")'
    pg_sql(pg_runs, statement)
    assert hint(PostgresSource(pg_runs, TableSpec("runs"))) is None


def test_a_postgresql_index_name_taken_leaves_the_name_to_postgresql(pg_runs: str) -> None:
    pg_sql(pg_runs, "CREATE INDEX runs_pattern_time ON runs (success)")
    statement = hint(PostgresSource(pg_runs, TableSpec("runs")))
    assert statement == 'CREATE INDEX ON "runs" ("pattern_id", "timestamp")'
    pg_sql(pg_runs, statement)
    assert hint(PostgresSource(pg_runs, TableSpec("runs"))) is None


def test_a_postgresql_btree_index_on_the_id_serves_it(pg_runs: str) -> None:
    pg_sql(pg_runs, "CREATE INDEX by_id ON runs (pattern_id)")
    assert hint(PostgresSource(pg_runs, TableSpec("runs"))) is None


def test_a_postgresql_hash_index_is_no_index_of_ranges(pg_runs: str) -> None:
    pg_sql(pg_runs, "CREATE INDEX by_id ON runs USING hash (pattern_id)")
    assert hint(PostgresSource(pg_runs, TableSpec("runs"))) is not None


def test_a_postgresql_view_takes_no_index(pg_runs: str) -> None:
    pg_sql(pg_runs, "CREATE VIEW runs_view AS SELECT * FROM runs")
    assert hint(PostgresSource(pg_runs, TableSpec("runs_view"))) is None


# ------------------------------------------------------------ PostgreSQL id columns' types
#
# A read of one pattern lists the ids (by an index leading with the column, where one
# can step through them) and then asks for the pattern's rows by value where the
# column's type allows (text, varchar, uuid, numbers, flags, bytea, char(n):
# `postgres_id_values`), which the column's own index serves; else by an expression of
# it (a JSON value's `#>> '{}'`), which only an index of that expression serves. The
# hint asks for those indexes alone (it asked integer columns for an index of their text,
# which reads by text used, beside the column's own).

TEXT_INDEX = "_pattern_text_time"
PLAIN_INDEX = "_pattern_time"


def pg_typed(url: str, kind: str, value: str, rows: int = 6) -> str:
    """Table `typed` of `rows` rows, their pattern ids `value` of `i` (0 up) as `kind`."""
    pg_sql(
        url,
        f"CREATE TABLE typed AS SELECT ({value})::{kind} AS pattern_id, "
        "now() - i * interval '1 minute' AS timestamp, true AS success "
        f"FROM generate_series(0, {rows - 1}) AS i",
    )
    return url


def typed_hint(url: str) -> str | None:
    return hint(PostgresSource(url, TableSpec("typed")))


def made(statement: str | None) -> list[str]:
    """The indexes a hint makes, by their names' endings (`typed_pattern_time`...)."""
    return (
        []
        if statement is None
        else [s.split('"')[1][len("typed") :] for s in statement.split("; ")]
    )


@pytest.mark.parametrize(
    ("kind", "value", "first", "wanted"),
    [
        # (An integer column's own index lists its ids and serves its rows.)
        ("integer", "i % 2", "(pattern_id, timestamp)", []),
        ("bigint", "i % 2", None, [PLAIN_INDEX]),
        ("smallint", "i % 2", "(pattern_id)", []),
        ("positive", "i % 2", "(pattern_id, timestamp)", []),  # (a domain over integer)
        # (An index of the text, as the hint asked before, serves no read.)
        ("integer", "i % 2", "((pattern_id::text))", [PLAIN_INDEX]),
        ("boolean", "i % 2 = 0", "(pattern_id, timestamp)", []),
        ("bytea", "'p' || i % 2", "(pattern_id, timestamp)", []),
        ("char(3)", "'p' || i % 2", "(pattern_id, timestamp)", []),
        ("char(3)", "'p' || i % 2", None, [PLAIN_INDEX]),
        # (A numeric's ids are listed by a scan whatever its indexes: texts of one value.)
        ("numeric", "i % 2", "((pattern_id::text))", [PLAIN_INDEX]),
        ("numeric", "i % 2", "(pattern_id, timestamp)", []),
        # (A jsonb column's rows are asked for by value, which its own index serves.)
        ("jsonb", "to_jsonb('p' || i % 2)", None, [PLAIN_INDEX]),
        ("jsonb", "to_jsonb('p' || i % 2)", "(pattern_id, timestamp)", []),
        # (A json column's, which no btree indexes, by their text.)
        ("json", "to_json('p' || i % 2)", None, [TEXT_INDEX]),
        # (Asked for by the column itself: its own index serves every read.)
        ("varchar(10)", "'p' || i % 2", None, [PLAIN_INDEX]),
        ("varchar(10)", "'p' || i % 2", "(pattern_id)", []),
        ("uuid", "md5((i % 2)::text)::uuid", "(pattern_id, timestamp)", []),
        ("double precision", "i % 2", "(pattern_id, timestamp)", []),
        # (An index whose later key is the id's is walked whole, filtering.)
        ("integer", "i % 2", "(timestamp, pattern_id)", [PLAIN_INDEX]),
        # (No index of an interval's, an array's or a range's text can be made: their
        # output functions are not immutable. The statement given failed, "functions in
        # index expression must be marked IMMUTABLE". Their ids are listed by a scan, not
        # the column's index, and their rows asked for by text: no index serves them.)
        ("interval", "i * interval '1 day'", None, []),
        ("integer[]", "ARRAY[i % 2]", None, []),
        ("text[]", "ARRAY['p' || i % 2]", None, []),
        ("int4range", "int4range(i % 2, 3)", None, []),
        # (A date's ids are listed by the column's index's steps: that one, not its text's.)
        ("date", "date '2026-01-01' + i % 2", None, [PLAIN_INDEX]),
    ],
)
def test_a_postgresql_hint_asks_for_the_indexes_the_reads_use(
    postgres_url: str, kind: str, value: str, first: str | None, wanted: list[str]
) -> None:
    pg_sql(postgres_url, "CREATE DOMAIN positive AS integer CHECK (VALUE >= 0)")
    url = pg_typed(postgres_url, kind, value)
    if first is not None:
        pg_sql(url, f"CREATE INDEX ON typed {first}")
    statement = typed_hint(url)
    assert made(statement) == wanted
    for each in [] if statement is None else statement.split("; "):
        pg_sql(url, each)
    assert typed_hint(url) is None


@pytest.mark.parametrize(("kind", "wanted"), [("integer", "1"), ("numeric", "1"), ("bytea", "p1")])
def test_the_index_a_postgresql_hint_asks_for_serves_the_reads_of_a_pattern(
    postgres_url: str, kind: str, wanted: str
) -> None:
    # The plan of a read of one pattern, as `fetch` asks for its rows, once the hint's
    # statement is run: a range of the index, no scan of the table nor walk of the index.
    # (Rows enough that the planner weighs a range against a walk of a whole index.)
    value = "('p' || i % 100)::bytea" if kind == "bytea" else "i % 100"
    url = pg_typed(postgres_url, kind, value, rows=20_000)
    statement = typed_hint(url)
    assert made(statement) == [PLAIN_INDEX]
    assert statement is not None
    pg_sql(url, statement)
    pg_sql(url, "ANALYZE typed")

    async def condition() -> tuple[str, list[Any]]:
        async with PostgresSource(url, TableSpec("typed")) as source:
            forms = await source._run(
                lambda cursor, columns: source._pattern_forms(cursor, columns, wanted)
            )
            return PostgresSource._pattern_condition(source._columns or {}, forms, 1)

    where, params = asyncio.run(condition())
    with dbapi.connect(url, autocommit=True) as connection, connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN SELECT 1 FROM typed WHERE {where}", params)
        rows = " ".join(str(row[0]) for row in cursor.fetchall())
    assert "Seq Scan" not in rows, rows
    assert "Index Cond: (pattern_id = ANY" in rows, rows
