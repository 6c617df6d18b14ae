"""An integer timestamp read by the command (a SQLite INTEGER column, a JSON Lines
number) is refused with the command's words (`cli.integer_timestamps`): what the column
must hold and the instant the integer is as epoch seconds. It was the library's reason,
"must be a datetime, a date, a numpy datetime64 or an ISO-8601 string, got int (a
record's integer is no timestamp: only columnar input's are, as epoch microseconds; ...)",
of values the command's user never passes. The library keeps its words
(test_integer_timestamps_in_records)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from cli_runs import run
from hypothesis import given
from hypothesis import strategies as st
from source_cases import NOW, START, analyse
from usage_analytics import InvalidRecordError
from usage_analytics.cli.integer_timestamps import command_reason

SECONDS = 1_771_581_600  # 2026-02-20T10:00:00Z
WANTED = (
    "an integer is no timestamp here: timestamps must be ISO-8601 text "
    "(e.g. 2026-01-05T10:00:00Z) or of a timestamp type"
)
AS_SECONDS = "; as epoch seconds, this one is 2026-02-20T10:00:00+00:00"
WINDOW = ("--start", "2026-02-01", "--end", "2026-02-28")


def sqlite_of(tmp_path: Path, stamp: int) -> str:
    path = tmp_path / "usage.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("create table pattern_executions (pattern_id text, timestamp integer)")
        connection.execute("insert into pattern_executions values ('p', ?)", (stamp,))
    connection.close()
    return str(path)


def test_a_sqlite_integer_column_says_what_it_must_hold(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    database = sqlite_of(tmp_path, SECONDS)
    # In a window (the reduction's error), and for the default window (the first record's).
    code, _, err = run(capsys, "analyze", database, "--pattern", "p", *WINDOW)
    assert code == 1
    assert f"field 'timestamp' = {SECONDS}: {WANTED}{AS_SECONDS}; --on-invalid skip" in err
    code, _, err = run(capsys, "dashboard", database)
    assert code == 1
    assert err.rstrip().endswith(f"field 'timestamp' = {SECONDS}: {WANTED}{AS_SECONDS}")
    assert "columnar" not in err


def test_a_json_lines_number_says_what_it_must_hold(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "runs.jsonl"
    path.write_text(f'{{"pattern_id": "p", "timestamp": {SECONDS}000}}\n', encoding="utf-8")
    code, _, err = run(capsys, "analyze", str(path), "--pattern", "p", *WINDOW)
    assert code == 1
    assert err == (
        f"usage-analytics: error: {path}, line 1: field 'timestamp' = {SECONDS}000: {WANTED}; "
        "as epoch milliseconds, this one is 2026-02-20T10:00:00+00:00; --on-invalid skip "
        "leaves invalid records out\n"
    )


def test_an_integer_the_core_shows_no_instant_of_is_worded_alike(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "analyze", sqlite_of(tmp_path, -5), "--pattern", "p", *WINDOW)
    assert code == 1
    assert f"field 'timestamp' = -5: {WANTED}; --on-invalid skip" in err


def library_reason(value: object) -> str:
    with pytest.raises(InvalidRecordError) as raised:
        analyse([{"timestamp": value}], "p", START, NOW)
    return raised.value.reason


@given(st.integers(min_value=-(2**70), max_value=2**70))
def test_the_command_keeps_the_instant_the_library_shows(stamp: int) -> None:
    reason = library_reason(stamp)
    shown = reason.partition("epoch microseconds")[2].removesuffix(")")
    assert command_reason("timestamp", reason) == WANTED + shown


@pytest.mark.parametrize(
    ("value", "what"),
    [(1.5, "a float"), (True, "true or false"), ([1], "a list"), ({"a": 1}, "an object")],
)
def test_a_value_of_another_type_says_what_it_must_hold(value: object, what: str) -> None:
    # A JSON Lines float (time.time()'s epoch seconds) or a SQLite REAL cell was the
    # library's "must be a datetime, a date, a numpy datetime64 ...", as an int's was.
    must = WANTED.removeprefix("an integer is no timestamp here: ")
    assert command_reason("timestamp", library_reason(value)) == (
        f"{what} is no timestamp here: {must}"
    )


def test_a_json_lines_float_says_what_it_must_hold(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "runs.jsonl"
    path.write_text(f'{{"pattern_id": "p", "timestamp": {SECONDS}.5}}\n', encoding="utf-8")
    code, _, err = run(capsys, "analyze", str(path), "--pattern", "p", *WINDOW)
    assert code == 1
    assert f"= {SECONDS}.5: a float is no timestamp here: timestamps must be ISO-8601" in err
    assert "numpy" not in err


@pytest.mark.parametrize("value", ["11/30/2026", str(SECONDS)])
def test_other_reasons_are_the_librarys(value: object) -> None:
    reason = library_reason(value)
    assert command_reason("timestamp", reason) == reason
    assert command_reason("agent", library_reason(SECONDS)) == library_reason(SECONDS)
