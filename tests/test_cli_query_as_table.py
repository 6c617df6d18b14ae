"""`--table` given a query (`--table "select * from runs where ..."`): the error of the
table that is not there says that a query is not taken and to pass a view's name
(`sources.query_as_table`); it named the query as a missing table. A view of the query
is read, on SQLite and on PostgreSQL."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from cli_runs import run
from pg_calls import sql
from usage_analytics.sources.query_as_table import looks_like_a_query

HINT = (
    "; a query is not taken as a table: create a view of it (CREATE VIEW runs_selected AS "
    "SELECT ...) and pass the view's name"
)
QUERIES = [
    "select * from pattern_executions where success",
    "SELECT p.* FROM pattern_executions p",  # (a dot: read as SCHEMA.NAME)
    "with ok as (select * from pattern_executions) select * from ok",
    "pattern_id, timestamp from pattern_executions",
]
WINDOW = ("--start", "2026-01-01", "--end", "2026-01-31")
VIEW = "CREATE VIEW ok_runs AS SELECT * FROM pattern_executions WHERE success"


@pytest.fixture
def database(tmp_path: Path) -> str:
    path = tmp_path / "runs.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE pattern_executions (pattern_id, timestamp, success)")
        connection.execute(
            "INSERT INTO pattern_executions VALUES ('p', '2026-01-05T10:00:00Z', 1), "
            "('p', '2026-01-05T11:00:00Z', 0)"
        )
        connection.execute(VIEW)
    connection.close()
    return str(path)


@pytest.fixture
def postgres(postgres_url: str) -> str:
    sql(
        postgres_url,
        "CREATE TABLE pattern_executions (pattern_id text, timestamp timestamptz, success boolean)",
        "INSERT INTO pattern_executions VALUES ('p', '2026-01-05 10:00Z', true), "
        "('p', '2026-01-05 11:00Z', false)",
        VIEW,
    )
    return postgres_url


@pytest.mark.parametrize("query", QUERIES)
def test_a_query_as_sqlites_table_is_told_to_be_a_view(
    capsys: pytest.CaptureFixture[str], database: str, query: str
) -> None:
    code, out, err = run(capsys, "analyze", database, "--pattern", "p", "--table", query, *WINDOW)
    assert (code, out) == (1, "")
    assert err.startswith("usage-analytics: error: ")
    assert err.endswith(f"{HINT}\n")


@pytest.mark.parametrize("query", QUERIES)
def test_a_query_as_postgress_table_is_told_to_be_a_view(
    capsys: pytest.CaptureFixture[str], postgres: str, query: str
) -> None:
    code, out, err = run(capsys, "analyze", postgres, "--pattern", "p", "--table", query, *WINDOW)
    assert (code, out) == (1, "")
    assert f"has no table {query!r}" in err
    assert err.endswith(f"{HINT}\n")


def test_the_sqlite_error_is_otherwise_as_it_was(
    capsys: pytest.CaptureFixture[str], database: str
) -> None:
    code, _, err = run(capsys, "analyze", database, "--pattern", "p", "--table", QUERIES[0])
    assert code == 1
    assert err == (
        f"usage-analytics: error: {database} has no table {QUERIES[0]!r} (tables: ok_runs, "
        f"pattern_executions){HINT}\n"
    )
    _, _, err = run(capsys, "analyze", database, "--pattern", "p", "--table", "runs")
    assert err.endswith("has no table 'runs' (tables: ok_runs, pattern_executions)\n")


@pytest.mark.parametrize("source", ["database", "postgres"])
def test_the_view_the_hint_asks_for_is_read(
    capsys: pytest.CaptureFixture[str], source: str, request: pytest.FixtureRequest
) -> None:
    where: str = request.getfixturevalue(source)
    argv = ("analyze", where, "--pattern", "p", "--table", "ok_runs", *WINDOW, "--format", "json")
    code, out, err = run(capsys, *argv)
    assert (code, err) == (0, "")
    assert '"total_executions": 1' in out  # (the view's one successful run of two)


@pytest.mark.parametrize(
    "name",
    ["pattern_executions", "analytics.runs", "runs from 2026", "Runs From Staging", "selected"],
)
def test_names_without_a_query_s_shape_are_not_queries_unless_spaced_with_from(
    name: str,
) -> None:
    # (A name with white space and the word FROM is taken for one: its error says so.)
    assert looks_like_a_query(name) == (" from " in name.lower())
