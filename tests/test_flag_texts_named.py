"""A flag that is none: where a source reads flags from text (a CSV cell, a SQLite text
cell), the error names the texts it reads; where no text is read as a flag (a list of
dicts, a JSON string), it names what is: a bool, or the int 0 or 1. Both said "must be
a bool, got str", though a CSV's "yes" is read as True."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from source_cases import NOW, START, analyse
from usage_analytics import InvalidRecordError
from usage_analytics.sources import FileSource, SQLiteSource
from usage_analytics.sources.base import typed_text

TEXTS_READ = "must be a flag's text: true/false, t/f, yes/no, y/n or 1/0 (any case)"
NO_TEXT_READ = "must be a bool (or the int 0 or 1), got str"
STAMP = "2026-02-20T10:00:00Z"


def fetched_data(source: Any) -> Any:
    async def fetch() -> Any:
        async with source:
            return (await source.fetch("p", START, NOW)).data

    return asyncio.run(fetch())


def reason_of(data: Any) -> str:
    with pytest.raises(InvalidRecordError) as raised:
        analyse(data, "p")
    assert (raised.value.field, raised.value.value) == ("success", "'maybe'")
    return raised.value.reason


def csv_file(tmp_path: Path) -> Path:
    path = tmp_path / "runs.csv"
    path.write_text(f"pattern_id,timestamp,success\np,{STAMP},yes\np,{STAMP},maybe\n")
    return path


@pytest.mark.parametrize("arrow", [True, False])
def test_a_csv_cell_that_is_no_flag_names_the_texts_read(tmp_path: Path, arrow: bool) -> None:
    data = fetched_data(FileSource(csv_file(tmp_path), arrow=arrow))
    assert reason_of(data) == TEXTS_READ


def test_a_sqlite_text_that_is_no_flag_names_the_texts_read(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("create table pattern_executions (pattern_id, timestamp, success)")
        connection.executemany(
            "insert into pattern_executions values ('p', ?, ?)", [(STAMP, "y"), (STAMP, "maybe")]
        )
    connection.close()
    assert reason_of(fetched_data(SQLiteSource(path))) == TEXTS_READ


def test_a_skipped_cell_is_sampled_with_the_texts_read(tmp_path: Path) -> None:
    data = fetched_data(FileSource(csv_file(tmp_path)))
    output = analyse(data, "p", on_invalid="skip")
    assert [sample.reason for sample in output.data_quality.error_samples] == [TEXTS_READ]
    assert output.success_metrics is not None
    assert output.success_metrics.success_count == 1


def test_a_text_in_a_list_of_dicts_names_what_a_flag_is_there() -> None:
    records = [{"timestamp": STAMP, "success": True}, {"timestamp": STAMP, "success": "maybe"}]
    assert reason_of(records) == NO_TEXT_READ


def test_a_json_string_names_what_a_flag_is_there(tmp_path: Path) -> None:
    path = tmp_path / "runs.jsonl"
    path.write_text(f'{{"pattern_id": "p", "timestamp": "{STAMP}", "success": "maybe"}}\n')
    assert reason_of(fetched_data(FileSource(path))) == NO_TEXT_READ


@pytest.mark.parametrize("text", re.findall(r"(\w+)/(\w+)", TEXTS_READ))
def test_every_text_the_error_names_is_read_as_its_flag(text: tuple[str, str]) -> None:
    true, false = text
    assert [typed_text("success", value) for value in (true, false.upper())] == [True, False]
