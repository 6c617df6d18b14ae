"""An integer timestamp in a record (a SQLite INTEGER column of epoch seconds, a JSON
number, a list of dicts' int) is refused, as a CSV cell's integer text is: only columnar
input's integers are timestamps, as epoch microseconds. The error said "got int" and no
more; it now says so, and shows the instant the integer is in the unit its size suggests,
so that a user can tell seconds from milliseconds."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from source_cases import NOW, START, analyse
from usage_analytics import InvalidRecordError
from usage_analytics.sources import open_source

REFUSED = "must be a datetime, a date, a numpy datetime64 or an ISO-8601 string, got int"
NOT_IN_A_RECORD = (
    "a record's integer is no timestamp: only columnar input's are, as epoch microseconds"
)
SECONDS = 1_771_581_600  # 2026-02-20T10:00:00Z


def reason_of(data: Any) -> str:
    with pytest.raises(InvalidRecordError) as raised:
        analyse(data, "p", START, NOW)
    assert raised.value.field == "timestamp"
    return raised.value.reason


def fetched_data(path: Path) -> Any:
    async def fetch() -> Any:
        async with open_source(path) as source:
            first = await source.first_record("p")
            assert first is not None
            return first.data

    return asyncio.run(fetch())


def test_a_sqlite_integer_column_of_epoch_seconds_is_refused_showing_its_instant(
    tmp_path: Path,
) -> None:
    path = tmp_path / "usage.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("create table pattern_executions (pattern_id text, timestamp integer)")
        connection.execute("insert into pattern_executions values ('p', ?)", (SECONDS,))
    connection.close()
    assert reason_of(fetched_data(path)) == (
        f"{REFUSED} ({NOT_IN_A_RECORD}; as epoch seconds, this one is 2026-02-20T10:00:00+00:00)"
    )


def test_a_json_number_of_epoch_milliseconds_is_refused_showing_its_instant(
    tmp_path: Path,
) -> None:
    path = tmp_path / "runs.jsonl"
    path.write_text(f'{{"pattern_id": "p", "timestamp": {SECONDS * 1000 + 5}}}\n')
    assert reason_of(fetched_data(path)) == (
        f"{REFUSED} ({NOT_IN_A_RECORD}; as epoch milliseconds, this one is "
        "2026-02-20T10:00:00.005000+00:00)"
    )


@pytest.mark.parametrize(
    ("stamp", "unit"),
    [
        (SECONDS * 10**6, "microseconds"),
        (SECONDS * 10**9, "nanoseconds"),
    ],
)
def test_a_records_integer_of_a_finer_unit_names_it(stamp: int, unit: str) -> None:
    reason = reason_of([{"timestamp": stamp}])
    assert (
        reason
        == f"{REFUSED} ({NOT_IN_A_RECORD}; as epoch {unit}, this one is 2026-02-20T10:00:00+00:00)"
    )


@pytest.mark.parametrize("stamp", [-1, 10**30])
def test_an_integer_of_no_unit_shows_no_instant(stamp: int) -> None:
    assert reason_of([{"timestamp": stamp}]) == f"{REFUSED} ({NOT_IN_A_RECORD})"


def test_a_bool_is_no_integer_here() -> None:
    assert reason_of([{"timestamp": True}]).endswith("ISO-8601 string, got bool")


@given(st.integers(min_value=0, max_value=10**11 - 1))
def test_the_instant_shown_is_the_integers_as_epoch_seconds(stamp: int) -> None:
    shown = datetime.fromtimestamp(stamp, UTC).isoformat()
    assert reason_of([{"timestamp": stamp}]).endswith(f"as epoch seconds, this one is {shown})")
