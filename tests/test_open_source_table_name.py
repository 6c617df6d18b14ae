"""`open_source(path, "runs")`: a table given by its name alone, as the command's
--table takes it (NAME or SCHEMA.NAME). It was taken for a `TableSpec`, and the first
fetch failed with "'str' object has no attribute 'table'"."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from usage_analytics.sources import SourceError, TableSpec, UnsupportedSourceError, open_source

START, END = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)


def database(tmp_path: Path) -> Path:
    path = tmp_path / "usage.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("create table runs (pattern_id text, timestamp text, success int)")
        connection.executemany(
            "insert into runs values (?, ?, ?)",
            [("checkout", f"2026-11-0{day}T10:00:00Z", day % 2) for day in range(1, 4)],
        )
    connection.close()
    return path


def fetched_count(path: Path, table: Any) -> int:
    async def fetch() -> int:
        async with open_source(path, table) as source:
            return (await source.fetch("checkout", START, END)).count

    return asyncio.run(fetch())


@pytest.mark.parametrize("name", ["runs", "main.runs"])
def test_a_table_given_by_its_name_is_read_as_its_table_spec(tmp_path: Path, name: str) -> None:
    path = database(tmp_path)
    assert fetched_count(path, name) == 3
    assert fetched_count(path, name) == fetched_count(path, TableSpec.from_options(name))


def test_a_table_name_of_no_table_is_the_sources_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"has no table 'nope' \(tables: runs\)"):
        fetched_count(database(tmp_path), "nope")


def test_a_table_of_another_type_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"^table must be a TableSpec or a table's name, got dict$"):
        open_source(database(tmp_path), {"timestamp": "started_at"})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("table", "named"),
    [
        ("x", "x"),
        ("pattern_executions", "pattern_executions"),
        (TableSpec(table="x"), "x"),
        (TableSpec(schema="main"), "main.pattern_executions"),
    ],
)
def test_a_table_named_for_a_record_file_is_refused_as_the_command_refuses_it(
    tmp_path: Path, table: Any, named: str
) -> None:
    # It was ignored and the whole file read; the command refused --table for a file.
    path = tmp_path / "runs.csv"
    path.write_text("pattern_id,timestamp\ncheckout,2026-11-02T10:00:00Z\n")
    expected = (
        f"table {named!r}: {path} is a record file; table applies to databases only "
        "(SQLite/PostgreSQL)"
    )
    with pytest.raises(UnsupportedSourceError, match="^" + re.escape(expected) + "$"):
        open_source(path, table)


def test_a_column_mapping_of_a_record_file_names_no_table(tmp_path: Path) -> None:
    path = tmp_path / "runs.csv"
    path.write_text("pattern_id,started_at\ncheckout,2026-11-02T10:00:00Z\n")
    assert fetched_count(path, TableSpec(columns={"timestamp": "started_at"})) == 1
