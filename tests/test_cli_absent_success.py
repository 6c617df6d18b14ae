"""The note on stderr where a source has no `success` column (`cli.absent_fields`): a
record without `success` is a failure (DESIGN.md), so such a source showed every pattern
at a 0% success rate and a 100% error rate, and nothing said why.

The same records with a `success` column of false values are the reference: their
reports are the same, byte for byte (a missing success is a false one), and they are
real data, not noted. Each source kind: CSV, JSON Lines, Parquet, a SQLite table and a
PostgreSQL table (a real server, see conftest.py).
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import adbc_driver_postgresql.dbapi as dbapi
import pytest
from cli_runs import other_than_an_empty_window, run
from source_cases import comparable
from usage_analytics.sources import FileSource, TableSpec, save_records
from usage_analytics.sources.postgres_url import redacted

NOTE = "usage-analytics: note: "
COLUMN_NOTE = (
    "no 'success' column, so every execution counts as a failure (a record without "
    "success is one): add a 'success' column of true or false, or name the column that "
    "holds it with --column success=COLUMN\n"
)
FIELD_NOTE = (
    "'success' field (none, or null), so every execution counts as a failure (a record "
    'without success is one): add "success": true or false to the records, or name the '
    "field that holds it with --column success=FIELD\n"
)

#: Two patterns over a week of March 2026, without `success`.
RECORDS = [
    {
        "pattern_id": pattern,
        "timestamp": f"2026-03-0{day}T10:00:00Z",
        "execution_time_ms": 100.0 + day,
        "agent": f"agent-{day % 2}",
    }
    for pattern in ("checkout", "search")
    for day in range(1, 8)
]
FILE_KINDS = ["csv", "jsonl", "parquet"]
KINDS = [*FILE_KINDS, "sqlite", "postgresql"]
ANALYZE = ["analyze", "--pattern", "checkout"]
DASHBOARD = ["dashboard"]
#: A window holding no record of `RECORDS`.
EMPTY_WINDOW = ["--start", "2026-04-01", "--end", "2026-04-30"]

Run = Callable[..., tuple[int, str, str]]


def with_success(records: Sequence[dict[str, Any]], value: bool | None) -> list[dict[str, Any]]:
    return [{**record, "success": value} for record in records]


@pytest.fixture
def source(
    tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Callable[[str, Sequence[dict[str, Any]], str], list[str]]:
    """Writes records as a source of `kind` in the directory `name` (under tmp_path),
    with the columns its records' keys name, and makes that directory the current one;
    returns the SOURCE argument (relative: the reports of two directories' sources name
    them alike) and the options naming its table."""

    def write(kind: str, records: Sequence[dict[str, Any]], name: str = "a") -> list[str]:
        folder = tmp_path / name
        folder.mkdir()
        monkeypatch.chdir(folder)
        if kind in FILE_KINDS:
            save_records(folder / f"runs.{kind}", records)
            return [f"runs.{kind}"]
        columns = list(dict.fromkeys(key for record in records for key in record))
        if kind == "sqlite":
            connection = sqlite3.connect(folder / "runs.sqlite")
            with connection:
                write_table(connection, "pattern_executions", columns, records, "?")
            connection.close()
            return ["runs.sqlite"]
        url: str = request.getfixturevalue("postgres_url")
        with dbapi.connect(url, autocommit=True) as connection:
            # (A table of each directory's name, in the one database.)
            write_table(connection, f"runs_{name}", columns, records, "$")
        return [url, "--table", f"runs_{name}"]

    return write


#: PostgreSQL's column types (SQLite's are left to its affinity, as `.import` makes them).
_POSTGRES_TYPES = {"timestamp": "timestamptz", "success": "boolean", "execution_time_ms": "float8"}


def write_table(
    connection: Any,
    table: str,
    columns: list[str],
    records: Sequence[dict[str, Any]],
    mark: str,
) -> None:
    postgres = mark == "$"
    # (Quoted: PostgreSQL folds an unquoted `Success` to `success`.)
    typed = ", ".join(
        f'"{name}" {_POSTGRES_TYPES.get(name.lower(), "text") if postgres else ""}'
        for name in columns
    )
    marks = ", ".join(f"${place + 1}" if postgres else "?" for place in range(len(columns)))
    cursor = connection.cursor()
    cursor.execute(f"CREATE TABLE {table} ({typed})")
    for record in records:
        values = [record.get(name) for name in columns]
        if postgres:  # (the driver binds text as text, which a timestamptz refuses)
            values = [
                datetime.fromisoformat(str(value)) if name == "timestamp" else value
                for name, value in zip(columns, values, strict=True)
            ]
        cursor.execute(f"INSERT INTO {table} VALUES ({marks})", values)
    if {"pattern_id", "timestamp"} <= set(columns):
        # (The library's index: without it the command notes its absence, `cli.index_hint`,
        # a line these tests of the one note would count.)
        cursor.execute(f"CREATE INDEX {table}_by_pattern ON {table} (pattern_id, timestamp)")
    cursor.close()


def noted(kind: str, args: list[str]) -> str:
    """The note on the source `args`, of kind `kind`."""
    if kind == "jsonl":
        return f"{NOTE}no record of the window in {args[0]} has a {FIELD_NOTE}"
    if kind == "sqlite":
        return f"{NOTE}table 'pattern_executions' of {args[0]} has {COLUMN_NOTE}"
    if kind == "postgresql":
        return f"{NOTE}table {args[2]!r} of {redacted(args[0])} has {COLUMN_NOTE}"
    return f"{NOTE}{args[0]} has {COLUMN_NOTE}"


def report(out: str, words: list[str], fmt: str) -> Any:
    """A report without what differs from run to run (analyze's: its correlation id,
    time of computing and how long that took)."""
    if words != ANALYZE:
        return out
    if fmt == "json":
        return comparable(json.loads(out))
    return re.sub(r"computed in [0-9.]+ ms", "computed in ... ms", out)


@pytest.mark.parametrize("words", [ANALYZE, DASHBOARD], ids=["analyze", "dashboard"])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fmt", ["json", "table"])
def test_a_source_without_success_is_noted_once_its_report_unchanged(
    capsys: pytest.CaptureFixture[str],
    source: Callable[..., list[str]],
    kind: str,
    words: list[str],
    fmt: str,
) -> None:
    false = source(kind, with_success(RECORDS, False), "b")
    code, false_out, false_err = run(capsys, words[0], *false, *words[1:], "--format", fmt)
    # A column of false values is the data's: no note.
    assert (code, false_err) == (0, "")
    absent = source(kind, RECORDS, "a")
    code, out, err = run(capsys, words[0], *absent, *words[1:], "--format", fmt)
    assert code == 0
    assert err == noted(kind, absent)
    # The report is the false values' (a missing success is a failure), but for the
    # table's name in PostgreSQL, which the heading of `analyze`'s table shows.
    if kind == "postgresql":
        false_out = false_out.replace("runs_b", "runs_a")
    assert report(out, words, fmt) == report(false_out, words, fmt)


@pytest.mark.parametrize("words", [ANALYZE, DASHBOARD], ids=["analyze", "dashboard"])
@pytest.mark.parametrize("kind", KINDS)
def test_no_note_for_a_window_without_records(
    capsys: pytest.CaptureFixture[str],
    source: Callable[..., list[str]],
    kind: str,
    words: list[str],
) -> None:
    # No execution, no success rate to explain. (A dashboard of no records in the window
    # still lists the patterns, with none.)
    args = source(kind, RECORDS)
    code, _, err = run(capsys, words[0], *args, *words[1:], *EMPTY_WINDOW)
    # (The one note is that the window holds no record: `test_cli_empty_window`.)
    assert (code, len(err.splitlines()), other_than_an_empty_window(err)) == (0, 1, [])


@pytest.mark.parametrize("kind", ["csv", "parquet", "sqlite"])
def test_a_success_column_of_other_name_mapped_is_not_noted(
    capsys: pytest.CaptureFixture[str], source: Callable[..., list[str]], kind: str
) -> None:
    records = [{**record, "ok": False} for record in RECORDS]
    args = source(kind, records)
    code, _, err = run(capsys, "dashboard", *args)
    assert (code, err.count(NOTE)) == (0, 1)  # (the column `ok` is not read as success)
    code, _, err = run(capsys, "dashboard", *args, "--column", "success=ok")
    assert (code, err) == (0, "")


@pytest.mark.parametrize("kind", KINDS)
def test_a_success_column_named_but_for_case_is_not_noted(
    capsys: pytest.CaptureFixture[str], source: Callable[..., list[str]], kind: str
) -> None:
    # `Success` is read as success by every source (`sources.column_case`): a column of
    # false values there is the data's, as `success`'s is, and the note would be untrue.
    records = [{**record, "Success": False} for record in RECORDS]
    code, out, err = run(capsys, "dashboard", *source(kind, records), "--format", "json")
    assert (code, err) == (0, "")
    assert {row["success_rate"] for row in json.loads(out)["patterns"]} == {0.0}


def test_some_records_that_succeeded_are_not_noted(
    capsys: pytest.CaptureFixture[str], source: Callable[..., list[str]]
) -> None:
    # JSON Lines name a key line by line: one record's success is enough.
    records = [dict(record) for record in RECORDS]
    records[3]["success"] = True
    args = source("jsonl", records)
    code, _, err = run(capsys, "analyze", *args, "--pattern", "checkout")
    assert (code, err) == (0, "")


@pytest.mark.parametrize(
    ("window", "note"),
    [
        # The record with a success value (false) is in the window: its data.
        (["--start", "2026-03-01", "--end", "2026-03-07"], False),
        (["--start", "2026-03-04", "--end", "2026-03-04"], False),
        # It is not: the window's records have none.
        (["--start", "2026-03-05", "--end", "2026-03-07"], True),
        (["--start", "2026-03-01", "--end", "2026-03-03"], True),
    ],
)
def test_json_lines_are_noted_by_the_records_of_the_window(
    capsys: pytest.CaptureFixture[str],
    source: Callable[..., list[str]],
    window: list[str],
    note: bool,
) -> None:
    records: list[dict[str, Any]] = [dict(record) for record in RECORDS]
    records[3]["success"] = False  # (checkout, 2026-03-04)
    records[4]["success"] = None  # (null is missing: no value)
    args = source("jsonl", records)
    for words in (ANALYZE, DASHBOARD):
        code, _, err = run(capsys, words[0], *args, *words[1:], *window)
        assert (code, err) == (0, noted("jsonl", args) if note else "")


def test_json_lines_of_nulls_alone_are_noted(
    capsys: pytest.CaptureFixture[str], source: Callable[..., list[str]]
) -> None:
    args = source("jsonl", with_success(RECORDS, None))
    code, _, err = run(capsys, "dashboard", *args)
    assert (code, err) == (0, noted("jsonl", args))


def test_json_lines_read_by_the_standard_reader_are_noted_alike(
    capsys: pytest.CaptureFixture[str], source: Callable[..., list[str]]
) -> None:
    # A key that feeds two fields (`--column project=agent`) has the file read by the
    # standard-library reader (`arrow_jsonl`), into record dicts.
    records = [dict(record) for record in RECORDS]
    records[3]["success"] = False
    args = source("jsonl", records)
    for window, note in ((["--end", "2026-03-07"], False), (["--end", "2026-03-03"], True)):
        for words in (ANALYZE, DASHBOARD):
            code, _, err = run(
                capsys, words[0], *args, *words[1:], "--column", "project=agent", *window
            )
            assert code == 0
            assert err == (noted("jsonl", args) if note else "")


def test_a_directory_of_csv_files_is_noted_where_no_file_has_the_column(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    monkeypatch.chdir(tmp_path)
    save_records(logs / "2026-03-01.csv", RECORDS[:3])
    save_records(logs / "2026-03-02.csv", RECORDS[3:])
    code, _, err = run(capsys, "dashboard", "logs")
    assert code == 0
    assert err == f"{NOTE}no file of logs has {COLUMN_NOTE}"
    # One file with the column (of false values): the data's.
    save_records(logs / "2026-03-02.csv", with_success(RECORDS[3:], False))
    code, _, err = run(capsys, "dashboard", "logs")
    assert (code, err) == (0, "")


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_once_where_the_window_is_found_again(
    capsys: pytest.CaptureFixture[str], source: Callable[..., list[str]], kind: str
) -> None:
    # In skip mode the newest record is invalid (a negative time), so the window is found
    # again and the pattern analysed twice (`cli.valid_end`); the HTML page analyses the
    # first pattern of a dashboard twice too. One note each.
    records = [
        *RECORDS,
        {**RECORDS[0], "timestamp": "2026-03-20T10:00:00Z", "execution_time_ms": -1},
    ]
    args = source(kind, records)
    for words in (ANALYZE, DASHBOARD):
        for fmt in ("table", "html"):
            code, _, err = run(
                capsys, words[0], *args, *words[1:], "--on-invalid", "skip", "--format", fmt
            )
            assert (code, err) == (0, noted(kind, args))


def test_json_lines_with_a_value_of_another_type_are_noted_alike(
    capsys: pytest.CaptureFixture[str], source: Callable[..., list[str]]
) -> None:
    # A text where a number belongs has its pattern's records handed over as a dict of
    # lists (`odd_cells`), the text in place; skipped, that record is left out.
    records = [dict(record) for record in RECORDS]
    records[0]["execution_time_ms"] = "fast"
    records[3]["success"] = False
    args = source("jsonl", records)
    for window, note in ((["--end", "2026-03-07"], False), (["--end", "2026-03-03"], True)):
        for words in (ANALYZE, DASHBOARD):
            code, _, err = run(capsys, words[0], *args, *words[1:], "--on-invalid", "skip", *window)
            assert code == 0
            assert err == (noted("jsonl", args) if note else "")


@pytest.mark.parametrize("arrow", [True, False], ids=["pyarrow", "standard_library"])
def test_a_csv_files_columns_are_its_headers_by_either_reader(tmp_path: Path, arrow: bool) -> None:
    # The standard reader leaves an empty cell out of its record: a column of empty
    # cells is there all the same (not noted), as pyarrow's column of nulls is.
    empty = tmp_path / "empty.csv"
    empty.write_text("pattern_id,timestamp,success,ok\np,2026-03-01T10:00:00Z,,x\n")
    absent = tmp_path / "absent.csv"
    absent.write_text("pattern_id,timestamp\np,2026-03-01T10:00:00Z\n")
    jsonl = tmp_path / "runs.jsonl"
    jsonl.write_text('{"pattern_id": "p", "timestamp": "2026-03-01T10:00:00Z"}\n')

    def fields(path: Path, mapping: dict[str, str] | None = None) -> frozenset[str] | None:
        table = TableSpec(columns=mapping or {})
        return asyncio.run(FileSource(path, table, arrow=arrow).fields_with_columns())

    assert fields(empty) == frozenset({"pattern_id", "timestamp", "success"})  # (not `ok`)
    assert fields(absent) == frozenset({"pattern_id", "timestamp"})
    mapped = fields(absent, {"success": "timestamp"})
    assert mapped == frozenset({"pattern_id", "timestamp", "success"})
    assert fields(jsonl) is None  # (its lines tell)


def test_records_without_a_timestamp_column_are_in_no_window() -> None:
    # A source of the library's kinds always hands over the timestamps; another's table
    # without them (whose records are invalid, in no window) was a KeyError.
    import pyarrow as pa
    from usage_analytics.cli.absent_fields import _valued_in_window

    assert not _valued_in_window(pa.table({"success": [False]}), 0, 2**62)
    stamped = pa.table({"success": [False], "timestamp": ["1970-01-01T00:00:01Z"]})
    assert _valued_in_window(stamped, 0, 2**62)


def test_json_lines_whose_mapped_success_key_is_absent_are_noted_by_that_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # `--column success=ok` given: the note named 'success' and told to pass the option
    # the user had passed; the records lack 'ok'.
    path = tmp_path / "runs.jsonl"
    lines = [{"pattern_id": "p", "timestamp": "2025-01-01T00:00:00Z", "ok": True}]
    lines.append({"pattern_id": "p", "timestamp": "2026-01-02T00:00:00Z"})
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    code, _, err = run(capsys, "analyze", str(path), "--pattern", "p", "--column", "success=ok")
    assert code == 0
    assert err == (
        f"{NOTE}no record of the window in {path} has an 'ok' field (none, or null), which "
        "--column success=ok names for success, so every execution counts as a failure (a "
        'record without success is one): add "ok": true or false to the records, or name '
        "the field that holds success with --column success=FIELD\n"
    )
