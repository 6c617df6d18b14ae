"""A timestamp written as the text of a number (epoch seconds exported to CSV, a SQLite
TEXT cell, a str in a record) is refused, as text timestamps are ISO-8601 only. The error
said "not an ISO-8601 date-time" and no more, where an integer in a record says the unit
its size suggests and its instant (test_integer_timestamps_in_records); it now says so
for the text too."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from cli_runs import run
from hypothesis import given
from hypothesis import strategies as st
from source_cases import NOW, START, analyse
from usage_analytics import InvalidRecordError

NOT_ISO = "not an ISO-8601 date-time (e.g. 2026-01-05T10:00:00Z)"
NO_TIMESTAMP = "text of a number is no timestamp"
SECONDS = 1_771_581_600  # 2026-02-20T10:00:00Z


def reason_of(data: object) -> str:
    with pytest.raises(InvalidRecordError) as raised:
        analyse(data, "p", START, NOW)
    assert raised.value.field == "timestamp"
    return raised.value.reason


def test_a_csv_cell_of_epoch_seconds_names_its_unit_and_instant(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "runs.csv"
    path.write_text(f"timestamp,success\n{SECONDS},true\n", encoding="utf-8")
    code, _, err = run(capsys, "analyze", str(path), "--pattern", "p")
    assert code == 1
    assert err.rstrip().endswith(
        f"runs.csv, line 2: field 'timestamp' = '{SECONDS}': {NOT_ISO} ({NO_TIMESTAMP}: "
        "as epoch seconds, this one is 2026-02-20T10:00:00+00:00)"
    )


def test_a_sqlite_text_cell_of_epoch_milliseconds_names_its_unit_and_instant(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "usage.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("create table pattern_executions (pattern_id text, timestamp text)")
        connection.execute("insert into pattern_executions values ('p', ?)", (f"{SECONDS}005",))
    connection.close()
    code, _, err = run(capsys, "analyze", str(path), "--pattern", "p")
    assert code == 1
    assert err.rstrip().endswith(
        f"({NO_TIMESTAMP}: as epoch milliseconds, this one is 2026-02-20T10:00:00.005000+00:00)"
    )


@pytest.mark.parametrize(
    ("text", "unit", "shown"),
    [
        (f"{SECONDS}.25", "seconds", "2026-02-20T10:00:00.250000+00:00"),  # (time.time())
        (f" {SECONDS}000000 ", "microseconds", "2026-02-20T10:00:00+00:00"),
        (f"{SECONDS}000000999", "nanoseconds", "2026-02-20T10:00:00+00:00"),
    ],
)
def test_a_records_text_and_an_arrow_text_column_say_the_same(
    text: str, unit: str, shown: str
) -> None:
    expected = f"{NOT_ISO} ({NO_TIMESTAMP}: as epoch {unit}, this one is {shown})"
    assert reason_of([{"timestamp": text}]) == expected
    assert reason_of(pa.table({"timestamp": [text]})) == expected


@pytest.mark.parametrize("text", ["-5", "1e9", "x1764547200", "99999999999999999999", "noon"])
def test_other_text_gets_no_hint(text: str) -> None:
    assert reason_of([{"timestamp": text}]) == NOT_ISO
    assert reason_of(pa.table({"timestamp": [text]})) == NOT_ISO


@given(st.integers(min_value=31_536_000, max_value=10**11 - 1))
def test_the_instant_shown_is_the_number_as_epoch_seconds(stamp: int) -> None:
    reason = reason_of([{"timestamp": str(stamp)}])
    if _a_date_of_digits(str(stamp)) is not None:  # (its own hint, below)
        return
    shown = datetime.fromtimestamp(stamp, UTC).isoformat()
    assert reason.endswith(f"as epoch seconds, this one is {shown})")


@pytest.mark.parametrize("text", ["0", "2026", "31535999", "20260230"])
def test_a_number_of_1970_gets_no_hint(text: str) -> None:
    # A year ("2026", 33 minutes after the epoch) or a date's digits are no epoch value:
    # the hint named 1970, which no epoch value of today is. ("20260230": no such date.)
    assert reason_of([{"timestamp": text}]) == NOT_ISO


@given(
    st.datetimes(min_value=datetime(1000, 1, 1)),
    st.sampled_from(["%Y%m%d", "%Y%m%d%H%M", "%Y%m%d%H%M%S"]),
)
def test_the_digits_of_a_date_are_shown_as_its_date(when: datetime, form: str) -> None:
    # A spreadsheet's or a log's 20260101 was "as epoch seconds, 1970-08-23".
    text = when.strftime(form)
    expected = when.replace(microsecond=0).isoformat() if len(text) > 8 else when.date().isoformat()
    if len(text) == 12:
        expected = when.replace(second=0, microsecond=0).isoformat()
    assert reason_of([{"timestamp": text}]) == (
        f"{NOT_ISO} (a date written without separators is not read: as ISO-8601, {expected})"
    )


def _a_date_of_digits(text: str) -> datetime | None:
    """The date 8 digits spell (YYYYMMDD), else None."""
    try:
        return datetime.strptime(text, "%Y%m%d") if len(text) == 8 else None
    except ValueError:
        return None
