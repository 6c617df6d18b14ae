"""The command line on every kind of source: `analyze` and `dashboard` give the same
numbers on a Parquet file, a SQLite file and a PostgreSQL database (a real server, see
conftest.py); `demo` writes its data to SQLite and analyses it from there; the progress
line shows on a terminal only; every error is one line with the right exit status.
"""

from __future__ import annotations

import gzip
import html
import io
import json
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import adbc_driver_postgresql.dbapi as dbapi
import pg_server
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from child import run_python
from cli_runs import run
from source_cases import (
    DECLINING,
    GROWING,
    NOW_ARG,
    PATTERN_IDS,
    START,
    api_document,
    comparable,
    demo_rows,
    in_window,
    metrics_only,
    records_of,
)
from usage_analytics import progress
from usage_analytics.cli import main
from usage_analytics.demo import DEMO_PATTERNS
from usage_analytics.sources import save_records
from usage_analytics.sources.postgres_table import write_executions_sync as write_postgres
from usage_analytics.sources.sqlite_table import write_executions_sync as write_sqlite

SOURCES = ["parquet", "sqlite", "postgresql"]


@pytest.fixture(autouse=True)
def _terminal(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def loaded_postgres(postgres_server: str) -> Iterator[str]:
    """One database holding the demo rows, for the whole module (read only)."""
    name, url = pg_server.create_database(postgres_server)
    write_postgres(url, demo_rows())
    try:
        yield url
    finally:
        pg_server.drop_database(postgres_server, name)


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory, loaded_postgres: str) -> dict[str, str]:
    """The demo rows as every kind of source: kind -> SOURCE argument."""
    directory = tmp_path_factory.mktemp("sources")
    rows = demo_rows()
    save_records(directory / "runs.parquet", rows)
    write_sqlite(directory / "runs.sqlite", rows)
    return {
        "parquet": str(directory / "runs.parquet"),
        "sqlite": str(directory / "runs.sqlite"),
        "postgresql": loaded_postgres,
    }


def json_of(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    code, out, err = run(capsys, *argv)
    assert (code, err) == (0, ""), err
    return json.loads(out)


# -------------------------------------------------------------------- the same numbers


def test_analyze_gives_the_same_numbers_on_every_source(
    capsys: pytest.CaptureFixture[str], sources: dict[str, str]
) -> None:
    rows = demo_rows()
    for pattern_id in (GROWING, DECLINING):
        documents = {
            kind: json_of(
                capsys, "analyze", sources[kind], "--pattern", pattern_id, "--format", "json"
            )
            for kind in SOURCES
        }
        end = max(row["timestamp"] for row in rows)  # (the source's newest record)
        start = end - timedelta(days=30)
        assert documents["postgresql"]["time_window"]["start"] == start.isoformat().replace(
            "+00:00", "Z"
        )
        # A file hands over every record of the pattern: the older ones are counted
        # as outside the window; a database hands over the window's.
        assert comparable(documents["parquet"]) == api_document(rows, pattern_id, start, end)
        for kind in ("sqlite", "postgresql"):
            assert comparable(documents[kind]) == api_document(
                in_window(rows, start, end), pattern_id, start, end
            )
            assert metrics_only(documents[kind]) == metrics_only(documents["parquet"])
        assert documents["parquet"]["data_quality"]["records_outside_window"] > 0


def test_analyze_options_give_the_same_numbers_on_every_source(
    capsys: pytest.CaptureFixture[str], sources: dict[str, str]
) -> None:
    options = [
        "--pattern", DECLINING.upper(), "--start", "2026-02-10", "--end",
        "2026-03-01T12:00:00+01:00", "--tz", "America/New_York", "--granularity",
        "comprehensive", "--window-type", "weekly", "--format", "json",
    ]  # fmt: skip
    documents = [json_of(capsys, "analyze", sources[kind], *options) for kind in SOURCES]
    assert metrics_only(documents[0]) == metrics_only(documents[1]) == metrics_only(documents[2])
    assert documents[1]["time_window"] == {
        "start": "2026-02-10T05:00:00Z",  # (the date on --tz's clocks: 00:00-05:00)
        "end": "2026-03-01T11:00:00Z",
        "type": "weekly",
        "granularity": "comprehensive",
        "timezone": "America/New_York",
    }
    assert documents[2]["trend_analysis"]["time_series"]


def test_dashboard_gives_the_same_numbers_on_every_source(
    capsys: pytest.CaptureFixture[str], sources: dict[str, str]
) -> None:
    documents = [
        json_of(capsys, "dashboard", sources[kind], "--format", "json") for kind in SOURCES
    ]
    assert documents[0] == documents[1] == documents[2]
    patterns = documents[0]["patterns"]
    assert sorted(p["pattern_id"] for p in patterns) == sorted(PATTERN_IDS)
    ci = str(DEMO_PATTERNS[2].pattern_id)  # ci-failure-triage: ~20 % errors
    assert patterns[0]["pattern_id"] == ci
    assert patterns[0]["worst_finding"]["severity"] == "critical"
    rows = demo_rows()
    end = max(row["timestamp"] for row in rows)
    assert documents[0]["window"]["end"] == end.isoformat().replace("+00:00", "Z")
    by_id = {p["pattern_id"]: p for p in patterns}
    for pattern_id in PATTERN_IDS:
        count = len(in_window(records_of(rows, pattern_id), end - timedelta(days=30), end))
        assert by_id[pattern_id]["total_executions"] == count


def test_dashboard_table_shows_every_pattern_worst_first(
    capsys: pytest.CaptureFixture[str], sources: dict[str, str]
) -> None:
    code, out, err = run(capsys, "dashboard", sources["sqlite"])
    assert (code, err) == (0, "")
    lines = out.splitlines()
    header = next(index for index, line in enumerate(lines) if line.startswith("PATTERN"))
    assert "WORST HEALTH FINDING" in lines[header]
    table = lines[header + 2 : header + 2 + len(PATTERN_IDS)]
    # (At 100 columns the UUIDs are shown by their first 8 characters, unique among
    # them, and the findings whole: `usage_analytics.short_ids`.)
    assert table[0].startswith(f"{str(DEMO_PATTERNS[2].pattern_id)[:8]}  ")
    assert "✗" in table[0]
    assert {line.split()[0] for line in table} == {id_[:8] for id_ in PATTERN_IDS}
    assert lines[header + 2 + len(PATTERN_IDS)].startswith("Pattern ids shortened to their")
    assert all(len(line) <= 100 for line in lines)


@pytest.mark.parametrize("kind", ["parquet", "sqlite", "postgresql"])
def test_analyze_of_an_ids_start_names_the_ids_that_start_so(
    capsys: pytest.CaptureFixture[str], sources: dict[str, str], kind: str
) -> None:
    # The dashboard shows UUIDs by their first 8 characters: given to `analyze`, they
    # named the first five ids in order, which need not hold the one meant (the last).
    last = sorted(PATTERN_IDS)[-1]
    code, out, err = run(capsys, "analyze", sources[kind], "--pattern", last[:8])
    assert (code, out) == (1, "")
    assert err.rstrip().endswith(f"; ids starting with it: {last} (pass the whole id)"), err


def test_dashboard_html_has_every_pattern(
    capsys: pytest.CaptureFixture[str], sources: dict[str, str], tmp_path: Path
) -> None:
    target = tmp_path / "dashboard.html"
    code, out, err = run(
        capsys, "dashboard", sources["parquet"], "--format", "html", "--output", str(target)
    )
    assert (code, out, err) == (0, "", "")
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert all(pattern_id in page for pattern_id in PATTERN_IDS)
    # The page says what it is of, as the terminal's heading does (it did not).
    (heading,) = re.findall(r'<p class="note page-heading">([^<]*)</p>', page)
    assert heading.startswith(f"{len(PATTERN_IDS)} patterns in {html.escape(sources['parquet'])}, ")
    assert heading.endswith(" UTC (monthly window). Most in need of attention first.")


# -------------------------------------------------------------------------------- demo


def test_demo_writes_its_data_to_sqlite_and_analyses_it_from_there(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(capsys, "demo", "--now", NOW_ARG, "--format", "json")
    assert (code, err) == (0, "")
    database = tmp_path / "usage-analytics-demo.sqlite"
    with sqlite3.connect(database) as connection:
        (executions,) = connection.execute("SELECT count(*) FROM pattern_executions").fetchone()
        stored = dict(connection.execute("SELECT pattern_id, trend_type FROM pattern_analytics"))
    demo = json.loads(out)
    assert executions == sum(
        document["data_quality"]["records_received"] for document in demo.values()
    )
    assert stored == {p.name: p.expected_trend.value for p in DEMO_PATTERNS}  # (names as ids)
    # The file works with the other commands, with the same numbers.
    growing = DEMO_PATTERNS[0].name
    analyzed = json_of(capsys, "analyze", str(database), "--pattern", growing, "--format", "json")
    assert analyzed["trend_analysis"]["trend_type"] == "growing"
    dashboard = json_of(capsys, "dashboard", str(database), "--format", "json")
    assert len(dashboard["patterns"]) == len(DEMO_PATTERNS)


def test_demo_table_shows_the_dashboard_then_one_report(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    database = tmp_path / "elsewhere.db"
    code, out, _ = run(capsys, "demo", "--now", NOW_ARG, "--db", str(database))
    assert code == 0
    assert database.exists()
    assert "WORST HEALTH FINDING" in out
    assert out.index("WORST HEALTH FINDING") < out.index("═")  # then the full report
    assert f"{database}" in " ".join(out.split())
    assert f"dashboard {database}" in " ".join(out.split())


def test_demo_runs_again_over_its_own_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for _ in range(2):
        assert run(capsys, "demo", "--now", NOW_ARG)[0] == 0
    with sqlite3.connect(tmp_path / "usage-analytics-demo.sqlite") as connection:
        (executions,) = connection.execute("SELECT count(*) FROM pattern_executions").fetchone()
        (results,) = connection.execute("SELECT count(*) FROM pattern_analytics").fetchone()
    assert executions == len(demo_rows_of_seed_7())
    assert results == 2 * len(DEMO_PATTERNS)  # one per pattern and run (correlation id)


def demo_rows_of_seed_7() -> list[Any]:
    from datetime import datetime

    from usage_analytics.demo import generate_demo_records

    records = generate_demo_records(datetime.fromisoformat("2026-03-03T14:00:00+00:00"))
    return [row for rows in records.values() for row in rows]


def test_demo_refuses_to_overwrite_other_data(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    database = tmp_path / "precious.db"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE invoices (id INTEGER)")
    code, out, err = run(capsys, "demo", "--db", str(database))
    assert (code, out) == (2, "")
    assert "holds other data (invoices)" in err
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT name FROM sqlite_master").fetchall() == [("invoices",)]


def test_demo_refuses_to_overwrite_a_file_that_is_not_sqlite(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # The reason was written in parentheses of its own: "holds other data ((not a ...))".
    path = tmp_path / "notdb.sqlite"
    path.write_text("precious notes\n", encoding="utf-8")
    code, out, err = run(capsys, "demo", "--db", str(path))
    assert (code, out) == (2, "")
    assert err == (
        f"usage-analytics: error: --db {path} holds other data (not a SQLite database); "
        "the demo rewrites its file, so pass a new path\n"
    )
    assert path.read_text(encoding="utf-8") == "precious notes\n"


def test_demo_names_a_database_locked_by_a_writer_as_locked(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A writer's lock made the check's read fail, which it took for "holds other data
    # (not a SQLite database)": a user's database, busy, named as no database at all.
    database = tmp_path / "busy.sqlite"
    writer = sqlite3.connect(database, isolation_level=None)
    writer.execute("CREATE TABLE invoices (id INTEGER)")
    writer.execute("BEGIN EXCLUSIVE")
    writer.execute("INSERT INTO invoices VALUES (1)")
    # (SQLite's wait for the lock, 5 s by default, cut short.)
    monkeypatch.setattr(sqlite3, "connect", partial(sqlite3.connect, timeout=0.05))
    try:
        code, out, err = run(capsys, "demo", "--db", str(database))
    finally:
        writer.rollback()
        writer.close()
    assert (code, out) == (2, "")
    assert err == (
        f"usage-analytics: error: --db {database}: the database is locked: another "
        "connection is writing to it (waited 5 s); try again when it is done, or pass a "
        "new path\n"
    )
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM invoices").fetchall() == [(0,)]


@pytest.mark.parametrize(
    ("schema", "named"),
    [
        # An empty table of its own under the demo's name: the demo added its indexes to
        # it, then failed on the table's columns ("no column named execution_time_ms").
        (
            ["CREATE TABLE pattern_executions (pattern_id TEXT, timestamp TEXT, ok INT)"],
            "pattern_executions without the demo's records",
        ),
        # (The same columns as the demo's, empty: the demo's records went into it.)
        (
            [
                "CREATE TABLE pattern_executions (pattern_id, timestamp, success, "
                "execution_time_ms, quality_score, quality_gates_passed, timeout, "
                "context_type, agent, project, file_path)"
            ],
            "pattern_executions without the demo's records",
        ),
        # Views and triggers were not looked at: a file of the demo's tables and a view.
        (
            [
                "CREATE TABLE pattern_executions (pattern_id TEXT, timestamp TEXT)",
                "INSERT INTO pattern_executions VALUES ('ci-failure-triage', '2026-03-01')",
                "CREATE VIEW recent AS SELECT * FROM pattern_executions",
            ],
            "view recent",
        ),
        # (A name starting "sqlite" but not SQLite's own "sqlite_": the demo wrote its
        # tables into the file beside it.)
        (["CREATE TABLE sqliteruns (id INTEGER)"], "sqliteruns"),
    ],
    ids=["own-columns", "demo-columns", "view", "sqlite-like-name"],
)
def test_demo_refuses_a_file_that_it_did_not_write_leaving_it_as_it_was(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, schema: list[str], named: str
) -> None:
    database = tmp_path / "mine.sqlite"
    with sqlite3.connect(database) as connection:
        for statement in schema:
            connection.execute(statement)
    connection.close()
    before = database.read_bytes()
    code, out, err = run(capsys, "demo", "--db", str(database), "--now", NOW_ARG)
    assert (code, out) == (2, "")
    assert f"holds other data ({named}); the demo rewrites its file, so pass a new path" in err
    assert database.read_bytes() == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["mine.sqlite"]


@pytest.mark.parametrize("kind", ["empty file", "empty database"])
def test_demo_writes_a_file_that_holds_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str
) -> None:
    database = tmp_path / "new.sqlite"
    if kind == "empty file":
        database.write_bytes(b"")
    else:
        sqlite3.connect(database).close()
    assert run(capsys, "demo", "--db", str(database), "--now", NOW_ARG)[0] == 0
    with sqlite3.connect(database) as connection:
        (executions,) = connection.execute("SELECT count(*) FROM pattern_executions").fetchone()
    connection.close()
    assert executions == len(demo_rows_of_seed_7())


def test_demo_says_which_directory_it_wrote_its_file_in(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # "written to usage-analytics-demo.sqlite": in the directory the command ran in, which
    # the heading did not name.
    out = " ".join(run(capsys, "demo", "--now", NOW_ARG)[1].split())
    assert f"written to usage-analytics-demo.sqlite in {tmp_path} (table pattern_executions)" in out
    absolute = tmp_path / "sub.sqlite"
    out = " ".join(run(capsys, "demo", "--db", str(absolute), "--now", NOW_ARG)[1].split())
    assert f"written to {absolute} (table pattern_executions)" in out


def _in_a_child(*argv: str) -> subprocess.CompletedProcess[str]:
    """The command run in a child process, so that a hang (reading a named pipe) fails
    the test by its timeout instead of holding the run."""
    return subprocess.run(
        [sys.executable, "-m", "usage_analytics", *argv],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize("kind", ["csv", "csv.gz", "parquet"])
def test_a_mapped_column_not_there_is_refused_listing_the_columns(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str
) -> None:
    # A misspelt --column named the missing column alone in a file, where a database's
    # message lists its table's columns: the analyst saw nothing of the names to pass.
    written = tmp_path / f"runs.{kind.removesuffix('.gz')}"
    save_records(written, [{"pattern_id": "p", "Started At": "2026-03-01T10:00:00Z", "ok": 1}])
    path = tmp_path / f"runs.{kind}"
    if kind.endswith(".gz"):
        path.write_bytes(gzip.compress(written.read_bytes()))
    code, _, err = run(
        capsys, "analyze", str(path), "--pattern", "p", "--column", "timestamp=started_at"
    )
    assert code == 1
    assert err.rstrip().endswith(
        f"runs.{kind}: no column 'started_at' (mapped to the record field 'timestamp'; "
        "columns: pattern_id, Started At, ok)"
    )


@pytest.mark.parametrize("kind", ["csv", "sqlite"])
def test_an_invalid_records_error_names_the_column_a_mapped_field_is_read_from(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str
) -> None:
    # "field 'execution_time_ms'" named no column of a table whose times are in "Exec MS".
    mapped = ["--column", "execution_time_ms=Exec MS", "--column", "pattern_id=team"]
    rows = [
        {"team": "p", "timestamp": "2026-03-01T10:00:00Z", "Exec MS": 12.0},
        {"team": "p", "timestamp": "2026-03-01T11:00:00Z", "Exec MS": -5.0},
    ]
    path = tmp_path / f"runs.{kind}"
    if kind == "csv":
        save_records(path, rows)
    else:
        with sqlite3.connect(path) as connection:
            connection.execute(
                'CREATE TABLE pattern_executions (team, timestamp, "Exec MS", pattern_id)'
            )
            connection.executemany(
                "INSERT INTO pattern_executions VALUES (?, ?, ?, NULL)",
                [(r["team"], r["timestamp"], r["Exec MS"]) for r in rows],
            )
        connection.close()
    field = "field 'execution_time_ms' (column 'Exec MS') = -5.0: must be >= 0"
    for command in (["analyze", "--pattern", "p"], ["dashboard"]):
        code, out, err = run(capsys, command[0], str(path), *command[1:], *mapped)
        assert (code, out) == (1, "")
        assert f": {field}; --on-invalid skip leaves invalid records out\n" in err, err
    # The first record's timestamp, when none is valid, and a missing pattern id.
    if kind == "csv":
        # (The record without a pattern id first: the dashboard names the first problem.)
        stamps = [{"team": "", "when": "x"}, {"team": "p", "when": "yesterday"}]
        save_records(path, [{**row, "Exec MS": 1.0} for row in stamps])
        mapped += ["--column", "timestamp=when"]
        code, _, err = run(capsys, "analyze", str(path), "--pattern", "p", *mapped)
        assert code == 1
        assert "field 'timestamp' (column 'when') = 'yesterday': " in err, err
        code, _, err = run(capsys, "dashboard", str(path), *mapped, "--end", "2026-03-02")
        assert code == 1
        assert "field 'pattern_id' (column 'team') = <missing>: required field" in err, err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_demo_refuses_a_named_pipe_as_its_database(tmp_path: Path) -> None:
    # It was "holds other data (not a SQLite database)", once the check opened it.
    pipe = tmp_path / "usage.sqlite"
    os.mkfifo(pipe)
    done = _in_a_child("demo", "--db", str(pipe))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        f"usage-analytics: error: --db {pipe}: is a named pipe, not a regular file: "
        "pass a new path\n"
    )


@pytest.mark.parametrize("name", ["usage.sqlite", "runs#2026.sqlite", "runs?v=2.sqlite"])
def test_demo_refuses_a_real_database_of_executions(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str
) -> None:
    # The layout the demo writes, holding another pattern's records: the demo's tables by
    # name, so only the records tell (it used to delete them). A '#' or '?' in the path,
    # unquoted in the check's SQLite URI, had the check open another file.
    database = tmp_path / name
    runs = [{"pattern_id": "checkout", "timestamp": START + timedelta(hours=h)} for h in range(9)]
    write_sqlite(database, runs)
    code, out, err = run(capsys, "demo", "--db", str(database))
    assert (code, out) == (2, "")
    assert "holds other data (pattern_executions with records of pattern 'checkout')" in err
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM pattern_executions").fetchone() == (9,)
    assert sorted(path.name for path in tmp_path.iterdir()) == [name]


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        (["--save", "missing/dir/runs.csv"], "--save: missing/dir/runs.csv: missing/dir: no such"),
        (["--save", "runs.txt"], "--save runs.txt: unsupported file type ('.txt')"),
        # (A date alone as --now includes that day: 0001-01-31 would end at 0001-02-01.)
        (["--now", "0001-01-30"], "the demo month must lie within the years 1-9999"),
        (["--now", "0001-01-31T23:00Z"], "(--now from 0001-02-01T00:00Z to 9999-12-31)"),
        # (In UTC before the year 1 or after 9999: "a date is outside the years 1-9999
        # that can be analysed", exit 1, the data's.)
        (["--now", "0001-01-01T00:00+01:00"], "--now 0001-01-01T00:00:00+01:00: the demo month"),
        (["--now", "9999-12-31T23:00-02:00"], "--now 9999-12-31T23:00:00-02:00: the demo month"),
    ],
)
def test_demo_options_out_of_reach_are_usage_errors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, options: list[str], fragment: str
) -> None:
    code, out, err = run(capsys, "demo", "--db", str(tmp_path / "demo.db"), *options)
    assert (code, out) == (2, "")
    assert fragment in err
    assert err.count("\n") == 1


def test_demo_at_the_edges_of_the_calendar(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # (A date alone as --now includes that day: the month ends at the next day's 00:00,
    # and 9999-12-31, which has none, at its last instant. 9999-12-30 and 9999-12-31
    # were refused: the generator's day after the last one was past the dates Python holds.)
    edges = (
        ("0001-01-31", "0001-02-01 00:00"),
        ("9999-12-29", "9999-12-30 00:00"),
        ("9999-12-30", "9999-12-31 00:00"),
        # (The last instant exactly, as the report's window shows it: it was cut to
        # "23:59:59".)
        ("9999-12-31", "9999-12-31 23:59:59.999999"),
        ("9999-12-31T23:59:59.999999Z", "9999-12-31 23:59:59.999999"),
    )
    for now, end in edges:
        code, out, err = run(capsys, "demo", "--db", str(tmp_path / "demo.db"), "--now", now)
        assert (code, err) == (0, ""), err
        # (`%Y` wrote the year 1 as "1" in the heading: "up to 1-02-01 00:00 UTC".)
        assert f"up to {end} UTC" in " ".join(out.split())


def test_demo_needs_no_optional_dependency(tmp_path: Path) -> None:
    """The README's first command: a fresh install (pydantic alone: no numpy, no
    pyarrow, no driver) runs the demo."""
    script = (
        "import sys\n"
        "for name in ('numpy', 'pyarrow', 'adbc_driver_postgresql', 'adbc_driver_manager'):\n"
        "    sys.modules[name] = None\n"
        "from usage_analytics.cli import main\n"
        f"sys.exit(main(['demo', '--now', '{NOW_ARG}']))\n"
    )
    done = run_python(script, cwd=tmp_path)
    assert (done.returncode, done.stderr) == (0, "")
    assert "ci-failure-triage" in done.stdout
    assert (tmp_path / "usage-analytics-demo.sqlite").exists()


def test_postgres_without_its_extra_names_the_extra(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "sys.modules['adbc_driver_postgresql'] = None\n"
        "from usage_analytics.cli import main\n"
        "sys.exit(main(['analyze', 'postgresql://localhost/db', '--pattern', 'p']))\n"
    )
    done = run_python(script)
    assert done.returncode == 2
    assert done.stderr == (
        "usage-analytics: error: PostgreSQL needs ADBC's PostgreSQL driver "
        "(adbc-driver-postgresql): pip install 'usage-analytics[postgres]'\n"
    )


# ---------------------------------------------------------------------------- progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_on_a_terminal_and_is_erased(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    sources: dict[str, str],
) -> None:
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setattr(progress, "DELAY", 0.0)
    code = main(["dashboard", sources["sqlite"], "--format", "json"])
    assert code == 0
    drawn = terminal.getvalue()
    assert "\r" in drawn
    assert f"analysing {len(PATTERN_IDS)} patterns [" in drawn
    assert f"{len(PATTERN_IDS)}/{len(PATTERN_IDS)}" in drawn
    assert drawn.endswith("\r\x1b[K")  # erased: the terminal is left clean
    json.loads(capsys.readouterr().out)  # stdout holds only the document


def test_an_error_erases_the_progress_line_first(
    monkeypatch: pytest.MonkeyPatch, sources: dict[str, str]
) -> None:
    # The spinner of the step that failed stayed drawn, and the error was appended to it:
    # "/ finding the newest record of nope in ... (1.3 s)usage-analytics: error: ...".
    # (The newest record is now the source's, of any pattern: the pattern is unknown to
    # the step after it, whose error is the one erased below.)
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setattr(progress, "DELAY", 0.0)
    assert main(["analyze", sources["sqlite"], "--pattern", "nope"]) == 1
    drawn = terminal.getvalue()
    assert "finding the newest record in " in drawn  # a step was drawn
    assert drawn.endswith("\n")
    erased, _, message = drawn.rpartition("\r\x1b[K")
    assert erased
    assert message.startswith("usage-analytics: error: no records with pattern_id 'nope'")


# ------------------------------------------------------------------------------ errors


def _sqlite_with_bad_record(directory: Path) -> str:
    path = directory / "bad.sqlite"
    write_sqlite(
        path,
        [
            {"pattern_id": "p", "timestamp": "2026-03-01T10:00:00Z", "quality_score": 0.5},
            {"pattern_id": "p", "timestamp": "2026-03-01T11:00:00Z", "quality_score": 7.0},
        ],
    )
    return str(path)


def _csv_with_records_without_pattern(directory: Path) -> str:
    path = directory / "nameless.csv"
    path.write_text(
        "pattern_id,timestamp,success\n"
        "p,2026-03-01T10:00:00Z,true\n"
        ",2026-03-01T11:00:00Z,true\n"
        "q,2026-03-01T12:00:00Z,false\n"
        ",2026-03-01T13:00:00Z,true\n"
    )
    return str(path)


def _sqlite_other_table(directory: Path) -> str:
    path = directory / "other.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE events (id INTEGER)")
    return str(path)


def _sqlite_dotted_table(directory: Path) -> str:
    path = directory / "dotted.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute('CREATE TABLE "my.runs" (pattern_id, timestamp)')
    connection.close()
    return str(path)


def _sqlite_empty_table(directory: Path) -> str:
    path = directory / "empty.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE pattern_executions (pattern_id TEXT, timestamp TEXT)")
    connection.close()
    return str(path)


def _no_pattern_ids(directory: Path) -> str:
    path = directory / "anonymous.jsonl"
    path.write_text('{"timestamp": "2026-03-01T10:00:00Z"}\n', encoding="utf-8")
    return str(path)


def _no_pattern_ids_nor_times(directory: Path) -> str:
    path = directory / "anonymous.jsonl"
    path.write_text('{"timestamp": "yesterday"}\n', encoding="utf-8")
    return str(path)


def _blank_pattern_ids(directory: Path) -> str:
    """A CSV file whose pattern_id column is there but empty in every row."""
    path = directory / "blank.csv"
    path.write_text(
        "pattern_id,timestamp\n,2026-03-01T10:00:00Z\n,2026-03-02T10:00:00Z\n", encoding="utf-8"
    )
    return str(path)


#: (case, argv from tmp_path and the sources, exit code, a fragment of the message)
ERROR_CASES: list[tuple[str, Callable[[Path, dict[str, str]], list[str]], int, str]] = [
    (
        "missing_sqlite_file",
        lambda t, s: ["analyze", str(t / "no.sqlite"), "--pattern", "p"],
        2,
        "no.sqlite: no such file",
    ),
    ("bad_sqlite_url", lambda t, s: ["dashboard", "sqlite://x.db"], 2, "bad SQLite URL"),
    ("unsupported_scheme", lambda t, s: ["dashboard", "mysql://h/db"], 2, "'mysql://'"),
    (
        "bad_postgres_url",
        lambda t, s: ["dashboard", "postgresql://h:port/db"],
        2,
        "bad PostgreSQL URL",
    ),
    (
        "unreachable_server",
        lambda t, s: ["dashboard", "postgresql://u:pw@127.0.0.1:9/db"],
        2,
        "cannot connect to postgresql://u:***@127.0.0.1:9/db",
    ),
    (
        # urlsplit refuses the URL: it was shown as given, password and all.
        "bad_postgres_url_with_a_password",
        lambda t, s: ["analyze", "postgresql://u:secret@[::1/db", "--pattern", "x"],
        2,
        "bad PostgreSQL URL 'postgresql://u:***@[::1/db'",
    ),
    (
        "unreachable_server_password_in_the_query",
        lambda t, s: [
            "dashboard",
            "postgresql://127.0.0.1:9/db?user=u&password=pw&sslmode=disable",
        ],
        2,
        "cannot connect to postgresql://127.0.0.1:9/db?user=u&password=***&sslmode=disable:",
    ),
    (
        # A blank id belongs to no pattern: the records were taken as any pattern asked
        # for, as if the file had no pattern_id column.
        "blank_pattern_ids_are_no_pattern",
        lambda t, s: ["analyze", _blank_pattern_ids(t), "--pattern", "other"],
        1,
        "no records with pattern_id 'other' in",
    ),
    (
        "blank_pattern_ids_in_the_dashboard",
        lambda t, s: ["dashboard", _blank_pattern_ids(t), "--on-invalid", "skip"],
        1,
        "blank.csv holds no records with a pattern_id",
    ),
    (
        "unknown_pattern_sqlite",
        lambda t, s: ["analyze", s["sqlite"], "--pattern", "nope"],
        1,
        "no records with pattern_id 'nope' in table 'pattern_executions' of",
    ),
    (
        "unknown_pattern_postgres",
        lambda t, s: ["analyze", s["postgresql"], "--pattern", "nope", "--start", "2026-01-01"],
        1,
        "no records with pattern_id 'nope'",
    ),
    (
        "bad_date",
        lambda t, s: ["dashboard", s["sqlite"], "--end", "2026-02-30"],
        2,
        "argument --end: not an ISO-8601 date",
    ),
    (
        # "no record has a valid timestamp ... is the timestamp in another column?", as
        # if the table held rows
        "empty_table",
        lambda t, s: ["dashboard", _sqlite_empty_table(t)],
        1,
        "empty.sqlite holds no records",
    ),
    (
        "missing_table",
        lambda t, s: ["dashboard", _sqlite_other_table(t)],
        1,
        "has no table 'pattern_executions' (tables: events)",
    ),
    (
        "custom_table_missing",
        lambda t, s: ["dashboard", s["postgresql"], "--table", "archive.runs"],
        1,
        "has no table 'archive.runs'",
    ),
    (
        "empty_table_option",  # (the default table was read instead)
        lambda t, s: ["dashboard", s["sqlite"], "--table", " "],
        2,
        "error: --table: the table name is empty",
    ),
    (
        "a_field_mapped_twice",  # (the last mapping won, silently)
        lambda t, s: ["dashboard", s["sqlite"], "--column", "agent=a", "--column", "agent=b"],
        2,
        "error: --column: the field 'agent' is mapped more than once",
    ),
    (
        "a_dotted_table_name_is_a_schema_and_a_table",
        lambda t, s: ["dashboard", _sqlite_dotted_table(t), "--table", "my.runs"],
        1,
        "has no attached database 'my' for the table 'my.runs'; a table of that name is "
        "main.my.runs",
    ),
    (
        "bad_column_option",
        lambda t, s: ["dashboard", s["sqlite"], "--column", "timestamp"],
        2,
        "expected FIELD=COLUMN",
    ),
    (
        "unknown_column_field",
        lambda t, s: ["dashboard", s["sqlite"], "--column", "when=started_at"],
        2,
        "unknown record field(s) in the column mapping: when",
    ),
    (
        "dashboard_without_pattern_ids",
        lambda t, s: ["dashboard", _no_pattern_ids(t)],
        1,
        "has no pattern_id column",
    ),
    (
        # Without a valid time either: the missing ids are what `dashboard` cannot pass
        # (said "pass --start and --end", which then failed on the ids).
        "dashboard_without_pattern_ids_nor_times",
        lambda t, s: ["dashboard", _no_pattern_ids_nor_times(t)],
        1,
        "has no pattern_id column",
    ),
    (
        "invalid_record_in_sqlite",
        lambda t, s: ["analyze", _sqlite_with_bad_record(t), "--pattern", "p"],
        1,
        "the row with rowid 2 (timestamp '2026-03-01T11:00:00Z'): field 'quality_score' = 7.0",
    ),
    (
        "records_without_pattern_id",
        lambda t, s: ["dashboard", _csv_with_records_without_pattern(t)],
        1,
        "nameless.csv, line 3: field 'pattern_id' = <missing>: required field is missing "
        "(and 1 record more without one)",
    ),
    (
        "invalid_record_in_dashboard",
        lambda t, s: ["dashboard", _sqlite_with_bad_record(t)],
        1,
        "bad.sqlite, the row with rowid 2 (timestamp '2026-03-01T11:00:00Z')",
    ),
]


@pytest.mark.parametrize(
    ("make_argv", "expected_code", "fragment"),
    [pytest.param(*case[1:], id=case[0]) for case in ERROR_CASES],
)
def test_error_is_one_line_without_traceback(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    sources: dict[str, str],
    make_argv: Callable[[Path, dict[str, str]], list[str]],
    expected_code: int,
    fragment: str,
) -> None:
    code, out, err = run(capsys, *make_argv(tmp_path, sources))
    assert code == expected_code
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("usage-analytics: error: ")
    assert fragment in err
    assert "Traceback" not in err


def test_dashboard_of_an_empty_postgres_table_says_so(
    capsys: pytest.CaptureFixture[str], postgres_url: str
) -> None:
    # It said no record had a valid timestamp, and asked whether the timestamp was in
    # another column.
    with dbapi.connect(postgres_url, autocommit=True) as connection, connection.cursor() as cursor:
        cursor.execute("CREATE TABLE runs (pattern_id text, timestamp timestamptz)")
    code, out, err = run(capsys, "dashboard", postgres_url, "--table", "runs")
    assert (code, out) == (1, "")
    assert err.count("\n") == 1
    assert "table 'runs' of postgresql://" in err
    assert err.rstrip().endswith("holds no records")


@pytest.mark.parametrize("kind", ["csv", "jsonl", "parquet"])
def test_a_table_of_a_record_file_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str
) -> None:
    # A file has no tables: --table was ignored and the whole file analysed (exit 0).
    path = tmp_path / f"runs.{kind}"
    save_records(path, [{"pattern_id": "p", "started_at": "2026-03-01T10:00:00Z", "success": True}])
    mapped = ["--column", "timestamp=started_at"]
    code, out, err = run(capsys, "dashboard", str(path), "--table", "no_such_table", *mapped)
    assert (code, out) == (2, "")
    assert err == (
        f"usage-analytics: error: --table 'no_such_table': {path} is a record file; "
        "--table applies to databases only (SQLite/PostgreSQL)\n"
    )
    # --column mappings do apply to files.
    code, out, err = run(capsys, "dashboard", str(path), *mapped, "--format", "json")
    assert (code, err) == (0, "")
    assert [row["pattern_id"] for row in json.loads(out)["patterns"]] == ["p"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
@pytest.mark.parametrize("name", ["runs.csv", "runs.jsonl", "runs.parquet", "runs.sqlite"])
def test_a_named_pipe_as_the_source_is_a_usage_error(tmp_path: Path, name: str) -> None:
    # A source opens its file more than once (header, records, line numbers; SQLite at
    # will): from a pipe the command hung. (A child process, so that a hang is a timeout.)
    pipe = tmp_path / name
    os.mkfifo(pipe)
    done = _in_a_child("dashboard", str(pipe))
    assert (done.returncode, done.stdout) == (2, "")
    # (A record file can come through standard input instead; a database cannot.)
    instead = "" if name.endswith(".sqlite") else ", or pass - and send them to standard input"
    assert done.stderr == (
        f"usage-analytics: error: {pipe}: is a named pipe, not a regular file; save the "
        f"records to a file first{instead} (a source is read more than once)\n"
    )


def _source_without_a_valid_timestamp(kind: str, directory: Path, postgres_url: str) -> str:
    """Two patterns whose records have no valid timestamp, q's first in the source."""
    if kind == "csv":
        path = directory / "runs.csv"
        path.write_text("pattern_id,timestamp\nq,11/30/2026 10:00\nr,yesterday\n")
        return str(path)
    if kind == "sqlite":  # a text placed by its date (fetched near it) and a NULL
        path = directory / "runs.sqlite"
        with sqlite3.connect(path) as connection:
            connection.execute("CREATE TABLE pattern_executions (pattern_id, timestamp)")
            connection.execute(
                "INSERT INTO pattern_executions VALUES ('q', '2026-13-01T10:00:00Z'), ('r', NULL)"
            )
        connection.close()
        return str(path)
    with dbapi.connect(postgres_url, autocommit=True) as database, database.cursor() as cursor:
        cursor.execute("CREATE TABLE pattern_executions (pattern_id text, timestamp date)")
        cursor.execute("INSERT INTO pattern_executions VALUES ('q', 'infinity'), ('r', NULL)")
    return postgres_url


#: kind -> where its first record is, and the message about its timestamp
WITHOUT_A_VALID_TIMESTAMP = {
    "csv": "line 2: field 'timestamp' = '11/30/2026 10:00': not an ISO-8601 date-time",
    "sqlite": "the row with rowid 1 (timestamp '2026-13-01T10:00:00Z'): field 'timestamp' = "
    "'2026-13-01T10:00:00Z': is not a valid date-time",
    "postgresql": "the row with ctid (0,1) (timestamp 'infinity'): field 'timestamp' = "
    "'infinity': "
    "not an ISO-8601 date-time",
}


@pytest.mark.parametrize("kind", sorted(WITHOUT_A_VALID_TIMESTAMP))
def test_without_a_valid_timestamp_the_error_shows_the_first_record(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, postgres_url: str, kind: str
) -> None:
    """Without --end the window ends at the newest record, which these have not: the
    error says so, and shows where the first record is and what its timestamp holds."""
    source = _source_without_a_valid_timestamp(kind, tmp_path, postgres_url)
    for argv, where in (
        (["dashboard", source], f"{source}, pattern q, "),
        (["analyze", source, "--pattern", "q"], f"{source}, "),
    ):
        code, out, err = run(capsys, *argv)
        assert (code, out, err.count("\n")) == (1, "", 1)
        assert err.startswith(
            "usage-analytics: error: no record has a valid timestamp, so the window cannot "
            "end at the newest one: is the timestamp in another column "
            "(--column timestamp=COLUMN)? Otherwise pass --start and --end. "
            f"The first record: {where}{WITHOUT_A_VALID_TIMESTAMP[kind]}"
        )


def test_without_a_valid_timestamp_a_column_of_no_time_type_is_named(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "runs.parquet"
    pq.write_table(pa.table({"pattern_id": ["p", "p"], "timestamp": [1.5, 2.5]}), path)
    code, _, err = run(capsys, "analyze", str(path), "--pattern", "p")
    assert code == 1
    assert err.endswith(
        f"Otherwise pass --start and --end. {path}: invalid input: column 'timestamp' has "
        "Arrow type Float64; expected a timestamp, int64 epoch microseconds, a date or "
        "ISO-8601 strings\n"
    )


@pytest.mark.parametrize("kind", ["csv", "jsonl", "parquet", "sqlite"])
def test_dashboard_names_the_first_invalid_record_and_counts_them_all(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str
) -> None:
    """Invalid records of several patterns: the error names the first in the file's
    order (in a database's, the first pattern's first), and counts every pattern's."""
    rows = [
        {"pattern_id": "b", "timestamp": "2026-03-01T10:00:00Z", "quality_score": 2.0},
        {"pattern_id": "a", "timestamp": "2026-03-01T11:00:00Z", "quality_score": 0.5},
        {"pattern_id": "a", "timestamp": "2026-03-01T12:00:00Z", "quality_score": -1.0},
        {"pattern_id": "b", "timestamp": "2026-03-01T13:00:00Z", "quality_score": 3.0},
        {"pattern_id": "c", "timestamp": "2026-03-01T14:00:00Z", "quality_score": 0.5},
    ]
    path = tmp_path / f"runs.{kind}"
    if kind == "sqlite":
        write_sqlite(path, rows)
        first = (
            "pattern a, the row with rowid 3 (timestamp '2026-03-01T12:00:00Z'): "
            "field 'quality_score' = -1.0"
        )
    else:
        save_records(path, rows)
        line = {"csv": "line 2", "jsonl": "line 1", "parquet": "row 1"}[kind]
        first = f"pattern b, {line}: field 'quality_score' = 2.0"
    code, out, err = run(capsys, "dashboard", str(path), "--end", "2026-03-02")
    assert (code, out) == (1, "")
    assert err == (
        f"usage-analytics: error: {path}, {first}: must be within [0, 1] "
        "(and 2 more invalid records); --on-invalid skip leaves invalid records out\n"
    )


def test_an_error_quoting_the_data_writes_its_control_characters_as_escapes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # A pattern id of the data in an error went to stderr raw: ESC sequences cleared the
    # screen, retitled the window and coloured the text, as the reports never let them.
    path = tmp_path / "runs.jsonl"
    evil: dict[str, Any] = {"pattern_id": "\x1b]0;PWNED\x07\x1b[2Jevil"}
    evil.update(timestamp="2026-03-01T10:00:00Z", execution_time_ms=-1)
    fine = {"pattern_id": "ok", "timestamp": "2026-03-01T11:00:00Z"}
    path.write_text(f"{json.dumps(evil)}\n{json.dumps(fine)}\n", encoding="utf-8")
    code, _, err = run(capsys, "dashboard", str(path))
    assert code == 1
    assert "\x1b" not in err
    assert "\x07" not in err
    assert f"{path}, pattern \\x1b]0;PWNED\\x07\\x1b[2Jevil, line 1:" in err


def test_an_error_quoting_line_breaks_of_the_data_escapes_them_on_its_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Only the message's first line was kept: a line break in the file name, or in a
    # pattern id it lists, ended it there ("usage-analytics: error: new").
    path = tmp_path / "new\nline.jsonl"
    ids = ["a\u2028b", "c\x85d", "e\rf"]
    lines = (json.dumps({"pattern_id": id_, "timestamp": "2026-03-01T10:00:00Z"}) for id_ in ids)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = run(capsys, "analyze", str(path), "--pattern", "x")
    assert (code, out) == (1, "")
    shown = str(path).replace("\n", "\\n")
    assert err == (
        f"usage-analytics: error: no records with pattern_id 'x' in {shown} "
        "(it has: a\\u2028b, c\\x85d, e\\rf)\n"
    )


def test_dashboard_skip_mode_reports_records_without_a_pattern_id(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    source = _csv_with_records_without_pattern(tmp_path)
    document = json_of(capsys, "dashboard", source, "--on-invalid", "skip", "--format", "json")
    assert document["records_without_pattern_id"] == 2
    assert sorted(p["pattern_id"] for p in document["patterns"]) == ["p", "q"]
    code, out, _ = run(capsys, "dashboard", source, "--on-invalid", "skip")
    assert code == 0
    assert "2 records without a pattern_id left out." in " ".join(out.split())
    code, out, _ = run(capsys, "dashboard", source, "--on-invalid", "skip", "--format", "html")
    assert code == 0
    assert "2 records without a pattern_id left out." in out
    one = tmp_path / "one.csv"
    one.write_text("pattern_id,timestamp\np,2026-03-01T10:00:00Z\n,2026-03-01T11:00:00Z\n")
    code, out, _ = run(capsys, "dashboard", str(one), "--on-invalid", "skip", "--format", "html")
    assert code == 0
    assert "1 record without a pattern_id left out." in out  # (the heading)
    # One pattern, but records left out: the page's table of patterns says so under it.
    assert '<p class="muted">1 record without a pattern_id left out.</p>' in out


def test_skip_mode_analyses_a_database_with_an_invalid_record(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    source = _sqlite_with_bad_record(tmp_path)
    code, out, _ = run(capsys, "analyze", source, "--pattern", "p", "--on-invalid", "skip")
    assert code == 0
    assert "the row with rowid 2 (timestamp '2026-03-01T11:00:00Z'): quality_score = 7.0" in out
