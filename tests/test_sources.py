"""Sources of execution records (files and SQLite): every source hands the reducer
records that give exactly the library's numbers on the same records.

File sources return all of a pattern's records (the reducer counts those outside the
window); SQLite returns the window's. Text files are read by pyarrow, or by the
standard-library readers when a value does not fit pyarrow's types (and always with
`arrow=False`): both give the same numbers. PostgreSQL: test_postgres.py.
"""

from __future__ import annotations

import asyncio
import csv
import itertools
import json
import math
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Coroutine
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from source_cases import (
    DECLINING,
    GROWING,
    NOW,
    PATTERN_IDS,
    START,
    analyse,
    api_document,
    comparable,
    demo_rows,
    in_window,
    records_of,
)
from strategies import iso_strings
from usage_analytics import (
    InvalidRecordError,
    ModelUsageAnalyticsInput,
    NodeUsageAnalyticsReducer,
)
from usage_analytics.sources import (
    ExecutionSource,
    Fetched,
    FileSource,
    SourceError,
    SourceUnavailableError,
    SQLiteSource,
    TableSpec,
    Unattributed,
    UnknownPatternError,
    UnsupportedSourceError,
    open_source,
    read_records,
    save_records,
    sqlite_columns,
    sqlite_native,
)
from usage_analytics.sources import base as sources_base
from usage_analytics.sources import sqlite as sqlite_source
from usage_analytics.sources.base import WHITESPACE, no_pattern, quote_identifier
from usage_analytics.sources.number_text import number_of_text
from usage_analytics.sources.sqlite_table import write_executions, write_executions_sync
from usage_analytics.sources.timestamps import (
    ANALYSABLE_US,
    analysable,
    datetime_of,
    format_utc,
    micros,
    parse_timestamp,
    shifted_date,
    timestamp_of,
    window_stamp,
)
from zones import NoOffset

#: (kind, whether pyarrow reads it): the file sources under test.
FILE_KINDS = [
    ("parquet", True),
    ("csv", True),
    ("jsonl", True),
    ("csv", False),
    ("jsonl", False),
]


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def write_source(directory: Path, kind: str, rows: list[dict[str, Any]]) -> Path:
    path = directory / f"runs.{kind}"
    if kind == "sqlite":
        write_executions_sync(path, rows)
    else:
        save_records(path, rows)
    return path


def make_source(directory: Path, kind: str, arrow: bool, rows: list[dict[str, Any]]) -> Any:
    path = write_source(directory, kind, rows)
    if kind == "sqlite":
        return SQLiteSource(path)
    return FileSource(path, arrow=arrow)


async def fetch_result(
    source: ExecutionSource, pattern_id: str, start: datetime = START, end: datetime = NOW
) -> dict[str, Any]:
    async with source:
        fetched = await source.fetch(pattern_id, start, end)
    return comparable(analyse(fetched.data, pattern_id, start, end).to_dict())


# --------------------------------------------------------------- the library's numbers


@pytest.mark.parametrize(("kind", "arrow"), FILE_KINDS)
def test_file_source_gives_the_api_numbers_on_the_patterns_records(
    tmp_path: Path, kind: str, arrow: bool
) -> None:
    rows = demo_rows()
    source = make_source(tmp_path, kind, arrow, rows)
    for pattern_id in (GROWING, DECLINING):
        document = run(fetch_result(source, pattern_id))
        assert document == api_document(rows, pattern_id)
        assert document["data_quality"]["records_outside_window"] == 3  # the old runs


@pytest.mark.parametrize(("kind", "arrow"), FILE_KINDS)
def test_file_source_hands_pyarrow_tables_when_it_can(
    tmp_path: Path, kind: str, arrow: bool
) -> None:
    source = make_source(tmp_path, kind, arrow, demo_rows())
    fetched = run(source.fetch(GROWING, START, NOW))
    assert isinstance(fetched.data, pa.Table) is arrow


def test_sqlite_source_gives_the_api_numbers_on_the_windows_records(tmp_path: Path) -> None:
    rows = demo_rows()
    source = make_source(tmp_path, "sqlite", True, rows)
    for pattern_id in PATTERN_IDS:
        document = run(fetch_result(source, pattern_id))
        assert document == api_document(in_window(rows), pattern_id)
        assert document["data_quality"]["records_outside_window"] == 0
    fetched = run(source.fetch(GROWING, START, NOW))
    assert isinstance(fetched.data, pa.Table)
    assert fetched.count == len(in_window(records_of(rows, GROWING)))


@pytest.mark.parametrize(("kind", "arrow"), [*FILE_KINDS, ("sqlite", True)])
def test_fetch_all_gives_each_pattern_what_fetch_gives(
    tmp_path: Path, kind: str, arrow: bool
) -> None:
    source = make_source(tmp_path, kind, arrow, demo_rows())

    async def both() -> tuple[list[Any], list[Any]]:
        groups = await source.fetch_all(START, NOW)
        single = [await source.fetch(group.pattern_id, START, NOW) for group in groups]
        return groups, single

    groups, single = run(both())
    assert [group.pattern_id for group in groups] == sorted(PATTERN_IDS)
    for group, alone in zip(groups, single, strict=True):
        assert group.count == alone.count
        mine = comparable(analyse(group.data, group.pattern_id).to_dict())
        assert mine == comparable(analyse(alone.data, alone.pattern_id).to_dict())
        places = range(group.count)
        assert [group.locate(i) for i in places] == [alone.locate(i) for i in places]
        with pytest.raises(IndexError):  # (not the next group's first row)
            group.locate(group.count)


@pytest.mark.parametrize(("kind", "arrow"), [("csv", False), ("parquet", True), ("sqlite", True)])
@pytest.mark.parametrize(
    "bound", ["2026-02-01T00:00:00Z", date(2026, 2, 1), 1_769_904_000_000_000], ids=repr
)
def test_a_fetch_bound_that_is_no_datetime_is_a_type_error_naming_it(
    tmp_path: Path, kind: str, arrow: bool, bound: Any
) -> None:
    # Text was an AttributeError on tzinfo in SQLite, a failed query in PostgreSQL
    # ("timestamp with time zone >= text"), and read nothing from a record file, which
    # fetched the pattern's records whatever the window: three answers to one mistake.
    source = make_source(tmp_path, kind, arrow, demo_rows())
    expected = f"start must be a datetime, got {type(bound).__name__} {bound!r}"

    async def go() -> None:
        async with source:
            with pytest.raises(TypeError, match=f"^{re.escape(expected)}$"):
                await source.fetch(GROWING, bound, NOW)
            with pytest.raises(TypeError, match=f"^{re.escape(expected)}$"):
                await source.fetch_all(bound, NOW)
            with pytest.raises(TypeError, match=r"^end must be a datetime, got str"):
                await source.fetch(GROWING, START, NOW.isoformat())

    run(go())


@pytest.mark.parametrize(("kind", "arrow"), [*FILE_KINDS, ("sqlite", True)])
def test_fetch_of_a_uuid_finds_every_spelling_fetch_all_groups(
    tmp_path: Path, kind: str, arrow: bool
) -> None:
    # With pyarrow, fetch matched four lower-case spellings: 1 row of the 4 that fetch_all
    # grouped under the UUID.
    uid = uuid.UUID("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0")
    spellings = [str(uid), "{" + uid.hex + "}", "urn:uuid:" + uid.hex.upper(), str(uid).upper()]
    rows = [
        {"pattern_id": spelling, "timestamp": NOW - timedelta(hours=i + 1)}
        for i, spelling in enumerate(spellings)
    ]
    source = make_source(tmp_path, kind, arrow, rows)
    [group] = run(source.fetch_all(START, NOW))
    assert (group.pattern_id, group.count) == (str(uid), 4)
    for asked in (str(uid), uid.hex.upper()):
        assert run(source.fetch(asked, START, NOW)).count == 4


@pytest.mark.parametrize(("kind", "arrow"), [*FILE_KINDS, ("sqlite", True)])
def test_newest_is_the_newest_valid_timestamp(tmp_path: Path, kind: str, arrow: bool) -> None:
    rows = demo_rows()
    source = make_source(tmp_path, kind, arrow, rows)
    newest = run(source.newest(DECLINING))
    assert newest == max(row["timestamp"] for row in records_of(rows, DECLINING))
    assert run(source.newest()) == max(row["timestamp"] for row in rows)


@pytest.mark.parametrize(("kind", "arrow"), FILE_KINDS)
def test_file_queries_run_off_the_event_loop(tmp_path: Path, kind: str, arrow: bool) -> None:
    # Once the file is read, each query scans it (over millions of rows, a `newest` of
    # text timestamps held the loop for 4.5 s): a worker thread's, as the read is. A query
    # run on the loop never suspends: it is done at its first step, which this drives by
    # hand (waiting on what it yields, as its task would).
    source = make_source(tmp_path, kind, arrow, demo_rows())
    queries: list[Callable[[], Coroutine[Any, Any, object]]] = [
        source.newest,
        lambda: source.newest(GROWING),
        lambda: source.fetch(GROWING, START, NOW),
        lambda: source.fetch_all(START, NOW),
        source.unattributed,
    ]

    async def inline(query: Callable[[], Coroutine[Any, Any, object]]) -> bool:
        coroutine = query()
        try:
            waited = coroutine.send(None)
        except StopIteration:
            return True
        while True:
            await asyncio.wait({waited})  # (an `await` of it would be a second waiter)
            try:
                waited = coroutine.send(None)
            except StopIteration:
                return False

    async def check() -> list[bool]:
        async with source:
            await source.fetch_all(START, NOW)  # (the read itself, once)
            return [await inline(query) for query in queries]

    assert run(check()) == [False] * len(queries)


# ------------------------------------------------------------------ timestamps as text


#: Texts around 2026-03-03T12:00Z in many shapes; the instants they name, in order.
MIXED_TEXTS = [
    ("2026-03-02T23:59:59.999999Z", "2026-03-02T23:59:59.999999+00:00"),
    ("2026-03-03 01:00:00+02:00", "2026-03-02T23:00:00+00:00"),
    ("2026-03-03T12:00:00.0000009Z", "2026-03-03T12:00:00+00:00"),  # floored
    ("2026-03-03t12:00:00,000001z", "2026-03-03T12:00:00.000001+00:00"),
    ("2026-03-03T17:30+0530", "2026-03-03T12:00:00+00:00"),
    ("2026-03-04T11:00:00+23", "2026-03-03T12:00:00+00:00"),
    ("2026-03-02T13:00:00-23:00", "2026-03-03T12:00:00+00:00"),
    ("2026-03-03", "2026-03-03T00:00:00+00:00"),
    ("2026-03-03T23:59", "2026-03-03T23:59:00+00:00"),
    ("  2026-03-04T00:00:00Z", "2026-03-04T00:00:00+00:00"),  # core trims; SQLite: no date
]


def text_rows() -> list[dict[str, Any]]:
    return [
        {"pattern_id": "p", "timestamp": text, "success": True, "agent": f"a{index}"}
        for index, (text, _) in enumerate(MIXED_TEXTS)
    ] + [
        {"pattern_id": "p", "timestamp": "2026-13-01T00:00:00Z", "success": True},
        {"pattern_id": "p", "timestamp": "yesterday", "success": True},
    ]


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-03-03T12:00:00+00:00", "2026-03-03T12:00:00.000001+00:00"),
        ("2026-03-02T23:00:00+00:00", "2026-03-03T12:00:00+00:00"),
        ("2026-03-03T12:00:00.000001+00:00", "2026-03-04T00:00:00+00:00"),
        ("2026-03-01T00:00:00+00:00", "2026-03-02T23:59:59.999999+00:00"),
        # Windows given in zones far from UTC (their own dates are a day off UTC's).
        ("2026-03-04T01:00:00+14:00", "2026-03-04T03:00:00+14:00"),
        ("2026-03-02T13:00:00-12:00", "2026-03-03T01:00:00-12:00"),
        ("2026-03-02T01:00:00+14:00", "2026-03-05T01:00:00+14:00"),
        # Days long, the texts of the day after the start's date or of the end's date
        # are still checked: "2026-03-04T11:00:00+23" is before this start, ...
        ("2026-03-03T12:00:00.000001+00:00", "2026-03-08T00:00:00+00:00"),
        # ... and "2026-03-02T13:00:00-23:00", a day before the end's date, after this end.
        ("2026-02-25T00:00:00+00:00", "2026-03-03T11:59:59.999999+00:00"),
    ],
)
def test_sqlite_window_is_exact_for_any_iso_text(tmp_path: Path, start: str, end: str) -> None:
    """Offsets up to ±23 h, separators, 1-9 fraction digits: the rows SQLite returns
    are exactly the valid ones the core puts in the window, and the rows no date places
    ("yesterday", text with a leading space), which every window fetches so that the
    core judges them; "2026-13-01" is placed by its date, far from this window."""
    begin, finish = datetime.fromisoformat(start), datetime.fromisoformat(end)
    rows = text_rows()
    path = write_source(tmp_path, "sqlite", rows)
    fetched = run(SQLiteSource(path).fetch("p", begin, finish))
    in_window = {
        f"a{index}"
        for index, (_, instant) in enumerate(MIXED_TEXTS)
        if begin <= datetime.fromisoformat(instant) <= finish
    }
    unplaced = {"a9", None}  # "  2026-03-04T00:00:00Z"; "yesterday" (no agent)
    assert set(fetched.data.column("agent").to_pylist()) == in_window | unplaced
    assert fetched.count == len(in_window | unplaced)
    result = analyse(fetched.data, "p", begin, finish, on_invalid="skip")
    assert result.data_quality.records_in_window == len(in_window)
    assert result.data_quality.records_outside_window == (0 if "a9" in in_window else 1)
    assert result.data_quality.invalid_records == 1


def test_newest_of_mixed_text_is_the_latest_instant(tmp_path: Path) -> None:
    rows = text_rows()[:-3] + text_rows()[-2:]  # without the leading-space row
    for source in (
        SQLiteSource(write_source(tmp_path, "sqlite", rows)),
        FileSource(write_source(tmp_path, "csv", rows)),
        FileSource(tmp_path / "runs.csv", arrow=False),
    ):
        assert run(source.newest("p")) == datetime(2026, 3, 3, 23, 59, tzinfo=UTC)


def test_newest_skips_dates_without_a_valid_time(tmp_path: Path) -> None:
    rows = [
        {"pattern_id": "p", "timestamp": "2026-03-09T25:00:00Z"},  # no hour 25
        {"pattern_id": "p", "timestamp": "2026-03-08garbage"},
        {"pattern_id": "p", "timestamp": "2026-03-01T10:00:00+05:00"},
        {"pattern_id": "p", "timestamp": "2026-02-28T23:00:00-10:00"},  # latest instant
    ]
    expected = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    assert run(SQLiteSource(write_source(tmp_path, "sqlite", rows)).newest("p")) == expected
    assert run(FileSource(write_source(tmp_path, "jsonl", rows)).newest("p")) == expected


@pytest.mark.parametrize(("kind", "arrow"), [*FILE_KINDS, ("sqlite", True)])
def test_newest_reads_no_time_from_text_padded_with_what_the_core_keeps(
    tmp_path: Path, kind: str, arrow: bool
) -> None:
    # The core trims Unicode White_Space only: a text led by U+001C (which Python's and
    # Arrow's trims remove) is an invalid record. Arrow's `newest` took its time as the
    # newest, so a window defaulted to it held none of the valid records.
    rows = [
        {"pattern_id": "p", "timestamp": "2026-01-01T10:00:00Z"},
        {"pattern_id": "p", "timestamp": "\x1c2026-06-01T10:00:00Z"},
        {"pattern_id": "p", "timestamp": "2026-05-31T10:00:00Z\x1f"},
    ]
    year = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    judged = analyse(rows, "p", *year, on_invalid="skip").data_quality
    assert judged.invalid_records == 2
    source = make_source(tmp_path, kind, arrow, rows)
    assert run(source.newest("p")) == datetime(2026, 1, 1, 10, tzinfo=UTC)
    assert run(source.newest()) == datetime(2026, 1, 1, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kind", "far"),
    [
        # Milliseconds that, as microseconds, pass int64's end and wrap around to 2026-06-01.
        (pa.timestamp("ms", "UTC"), 18_448_524_345_709_552),
        (pa.timestamp("ms"), -(2**62)),
        (pa.date32(), 2**31 - 1),  # the last day a date32 holds
        (pa.date32(), -(2**31)),
    ],
)
def test_newest_of_arrow_times_past_the_range_is_the_newest_within(
    tmp_path: Path, kind: Any, far: int
) -> None:
    # Scaled to microseconds, such a time wrapped around (a newest of 2026-06-01: the
    # window defaulted to it held none of the records) or failed with ArrowInvalid.
    near = 20_454 if pa.types.is_date32(kind) else 1_767_225_600_000  # 2026-01-01
    path = tmp_path / "runs.parquet"
    pq.write_table(
        pa.table({"pattern_id": ["p", "p"], "timestamp": pa.array([near, far], kind)}), path
    )
    judged = analyse(run(FileSource(path).fetch("p", START, NOW)).data, "p", on_invalid="skip")
    assert judged.data_quality.invalid_records == 1  # (the core: out of its range)
    assert run(FileSource(path).newest("p")) == datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("tz", [None, "UTC", "America/New_York"])
def test_newest_of_nanoseconds_before_1970_is_floored_as_the_core_reads_them(
    tmp_path: Path, tz: str | None
) -> None:
    # 1969-12-31T23:59:59.999998999 is the core's 23:59:59.999998 (floored): Arrow's cast
    # truncates towards 1970 (.999999), and a window defaulted to the newest record ended
    # a microsecond after it.
    path = tmp_path / "runs.parquet"
    stamps = pa.array([-5_000_000_000, -1_001], pa.timestamp("ns", tz))
    pq.write_table(pa.table({"pattern_id": ["p", "p"], "timestamp": stamps}), path)
    newest = run(FileSource(path).newest("p"))
    assert newest == datetime(1969, 12, 31, 23, 59, 59, 999_998, tzinfo=UTC)
    start = newest - timedelta(days=1)
    analysed = analyse(run(FileSource(path).fetch("p", start, newest)).data, "p", start, newest)
    assert analysed.usage_metrics.time_since_last_use == 0.0


def test_newest_without_any_valid_timestamp_is_none(tmp_path: Path) -> None:
    rows = [{"pattern_id": "p", "timestamp": "soon"}, {"pattern_id": "p", "timestamp": "x"}]
    assert run(SQLiteSource(write_source(tmp_path, "sqlite", rows)).newest("p")) is None
    assert run(FileSource(write_source(tmp_path, "jsonl", rows)).newest("p")) is None


@given(st.data())
def test_parse_timestamp_reads_text_as_the_core_does(data: st.DataObject) -> None:
    """Valid shapes give the core's instant to the microsecond (the record is in a
    one-microsecond window at that instant and not one microsecond later)."""
    instant = data.draw(st.integers(-5_364_662_400_000_000, 10_413_792_000_000_000))
    text = data.draw(iso_strings(instant))
    parsed = parse_timestamp(text)
    assert parsed is not None
    record = [{"timestamp": text}]
    at = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=parsed)
    one = timedelta(microseconds=1)
    inside = analyse(record, "p", at - one, at)
    assert inside.data_quality.records_in_window == 1
    if at + 2 * one <= datetime.max.replace(tzinfo=UTC):
        later = analyse(record, "p", at + one, at + 2 * one)
        assert later.data_quality.records_outside_window == 1


@given(
    st.text(alphabet="0123456789-:T tZz+.,", min_size=8, max_size=32).map(
        lambda text: "2026-" + text
    )
    | st.tuples(
        st.text(st.sampled_from(" \t\x1c\x1f\x85\xa0\u2003\u3000\u200b"), max_size=2),
        st.text(st.sampled_from(" \t\n\x1d\x1e\u2028\u205f\ufeff"), max_size=2),
    ).map(lambda ends: ends[0] + "2026-03-01T10:00:00Z" + ends[1])
)
def test_parse_timestamp_rejects_what_the_core_rejects(text: str) -> None:
    result = analyse([{"timestamp": text}], "p", START, NOW, on_invalid="skip")
    core_valid = result.data_quality.invalid_records == 0
    assert (parse_timestamp(text) is not None) == core_valid


def _utc_micros(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> int:
    """Microseconds since the epoch of a UTC date-time."""
    at = datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)
    return (at - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


HOUR_US = 3_600_000_000

#: ISO-8601 texts a user may have, and the instant each is (None: not a time).
TIMESTAMP_TEXTS = [
    ("2026-01-05T10:00:00Z", _utc_micros(2026, 1, 5, 10)),
    ("2026-01-05t10:00:00z", _utc_micros(2026, 1, 5, 10)),
    ("2026-01-05 10:00", _utc_micros(2026, 1, 5, 10)),
    ("2026-01-05", _utc_micros(2026, 1, 5)),
    ("2026-01-05T10:00:00", _utc_micros(2026, 1, 5, 10)),
    ("2026-01-05T10:00:00-00:00", _utc_micros(2026, 1, 5, 10)),
    ("2026-01-05T10:00:00.1Z", _utc_micros(2026, 1, 5, 10, 0, 0, 100_000)),
    ("2026-01-05T10:00:00.12Z", _utc_micros(2026, 1, 5, 10, 0, 0, 120_000)),
    ("2026-01-05T10:00:00.987654321Z", _utc_micros(2026, 1, 5, 10, 0, 0, 987_654)),
    ("2026-01-05T10:00:00,5+05:30", _utc_micros(2026, 1, 5, 4, 30, 0, 500_000)),
    ("2026-01-05T10:00:00+05", _utc_micros(2026, 1, 5, 5)),
    ("2026-01-05T10:00:00+0530", _utc_micros(2026, 1, 5, 4, 30)),
    ("2026-01-05T10:00:00-05:53:28.5", _utc_micros(2026, 1, 5, 15, 53, 28, 500_000)),
    ("2026-01-05T10:00:00+055328,25", _utc_micros(2026, 1, 5, 4, 6, 31, 750_000)),
    ("2026-01-05T10:00:00+23:59:59.999999", _utc_micros(2026, 1, 4, 10, 0, 0, 1)),
    ("2026-01-05T10:00:00+05:30:00.1234567", _utc_micros(2026, 1, 5, 4, 29, 59, 876_544)),
    (" \u3000\x852026-01-05T10:00Z\u2028\t", _utc_micros(2026, 1, 5, 10)),
    ("0001-01-01T00:00:00Z", _utc_micros(1, 1, 1)),
    ("9999-12-31T23:59:59.999999Z", _utc_micros(9999, 12, 31, 23, 59, 59, 999_999)),
    ("9999-12-31T23:00:00-01:00", _utc_micros(9999, 12, 31, 23) + HOUR_US),  # past year 9999
    ("2016-12-31T23:59:60Z", None),  # a leap second
    ("0000-01-01T00:00:00Z", None),
    ("2026-02-29T00:00:00Z", None),
    ("2026-01-05T24:00:00Z", None),
    ("2026-01-05T10:00:00+24:00", None),
    ("2026-01-05T10:00:00+2400", None),
    ("2026-01-05T10:00:00+23:60", None),
    ("2026-01-05T10:00:00+23:59:60", None),
    ("2026-01-05T10:00:00.1234567890Z", None),
    ("2026-01-05T10:00:00.Z", None),
    ("2026-01-05-05:00", None),  # an offset needs a time
    ("2026-01-05T10", None),
    ("20260105T100000Z", None),
    ("1767607200", None),  # epoch seconds
    ("2026-01-05T10:00:00+05:30[Asia/Kolkata]", None),
    ("\x1c2026-01-05T10:00:00Z", None),  # (Python's strip() removes U+001C; the core not)
    ("2026-01-05T10:00:00Z\x1f", None),
    ("X2026-01-05T10:00:00Z", None),
    ("2026-01-05T10:00:00ZX", None),
]


@pytest.mark.parametrize(("text", "instant"), TIMESTAMP_TEXTS)
def test_parse_timestamp_reads_each_form_of_text_as_the_core_does(
    text: str, instant: int | None
) -> None:
    assert parse_timestamp(text) == instant
    result = analyse([{"timestamp": text}], "p", START, NOW, on_invalid="skip")
    assert result.data_quality.invalid_records == (instant is None)
    if instant is not None and _utc_micros(1, 1, 1) + 2 <= instant <= _utc_micros(
        9999, 12, 31, 23, 59, 59, 999_999
    ):  # (the window's instants are Python's datetimes)
        at = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=instant)
        one = timedelta(microseconds=1)
        inside = analyse([{"timestamp": text}], "p", at - one, at).data_quality
        before = analyse([{"timestamp": text}], "p", at - 2 * one, at - one).data_quality
        assert (inside.records_in_window, before.records_outside_window) == (1, 1)


def test_timestamp_helpers_give_the_instants_windows_are_made_of() -> None:
    first, last = ANALYSABLE_US
    assert datetime_of(first) == datetime.min.replace(tzinfo=UTC)
    assert datetime_of(last) == datetime.max.replace(tzinfo=UTC)
    assert [analysable(us) for us in (first - 1, first, last, last + 1)] == [
        False,
        True,
        True,
        False,
    ]
    assert window_stamp("9999-12-31T23:59:59.999999Z") == last
    assert window_stamp("9999-12-31T23:59:59.999999-00:01") is None  # past year 9999
    assert window_stamp(b"2026-01-05") is None
    assert datetime_of(-1) == datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)
    # A record's value: a datetime (naive is UTC), text as the core reads it, else none.
    india = timezone(timedelta(hours=5, minutes=30))
    at = _utc_micros(2026, 1, 5, 4, 30)
    assert timestamp_of(datetime(2026, 1, 5, 10, tzinfo=india)) == at
    assert timestamp_of(datetime(2026, 1, 5, 4, 30)) == at
    assert timestamp_of("2026-01-05T10:00+05:30") == at
    assert [timestamp_of(value) for value in (at, float(at), None, b"2026-01-05")] == [None] * 4
    # SQLite's stored text: UTC, fixed width, so that text order is time order.
    assert format_utc(datetime(2026, 1, 5, 10, tzinfo=india)) == "2026-01-05T04:30:00.000000Z"
    assert format_utc(datetime(2026, 1, 5, 4, 30, 0, 7)) == "2026-01-05T04:30:00.000007Z"
    assert format_utc(datetime(1, 2, 3, 4, 5, 6, 7, tzinfo=UTC)) == "0001-02-03T04:05:06.000007Z"
    # Range bounds on date text, past the calendar's ends below or above every date.
    assert shifted_date(date(2026, 3, 1), -2, low=True) == "2026-02-27"
    assert shifted_date(date(2026, 2, 27), 2, low=False) == "2026-03-01"
    assert shifted_date(date(1, 1, 2), -2, low=True) == ""
    assert shifted_date(date(9999, 12, 30), 2, low=False) == ":"


# --------------------------------------------------------- text files: arrow and records


ODD_CSV = (
    "pattern_id,timestamp,success,execution_time_ms,quality_score,timeout,agent\n"
    "p,2026-03-01T10:00:00Z, TRUE ,1e3,+0.5,0,alice\n"
    "p,2026-03-01T11:00:00Z,no,nan,,F,1\n"
    "p,2026-03-01T12:00:00Z,1,inf,1,yes,bob\n"
    '"p","2026-03-01T13:00:00Z","False","12.5","","","multi\nline"\n'
)


def test_arrow_csv_types_cells_as_the_standard_reader_does(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text(ODD_CSV, encoding="utf-8")
    fast = run(FileSource(path).fetch("p", START, NOW))
    slow = run(FileSource(path, arrow=False).fetch("p", START, NOW))
    # (Its bad numbers, nan and inf, are kept aside as written: a dict of lists.)
    assert isinstance(fast.data, dict)
    assert isinstance(slow.data, list)
    options: dict[str, Any] = {"on_invalid": "skip"}
    assert comparable(analyse(fast.data, "p", **options).to_dict()) == comparable(
        analyse(slow.data, "p", **options).to_dict()
    )
    # A record is located by the line it starts on (a line break in its last cell).
    assert [fast.locate(i) for i in range(4)] == ["line 2", "line 3", "line 4", "line 5"]


@pytest.mark.parametrize(
    ("suffix", "text"),
    [
        pytest.param(
            ".csv", "pattern_id,timestamp,agent\np,2026-03-01\np,2026-03-02,b\n", id="csv_short"
        ),
        pytest.param(
            ".jsonl",
            '{"pattern_id": "p", "timestamp": "2026-03-01", "success": 1}\n'
            '{"pattern_id": "p", "timestamp": "2026-03-01", "success": true}\n',
            id="jsonl_int_and_bool_flag",
        ),
        pytest.param(
            ".jsonl",
            '{"pattern_id": "p", "timestamp": "2026-03-01", "agent": 7}\n',
            id="jsonl_int_agent",
        ),
        pytest.param(
            ".jsonl",
            '{"pattern_id": "p", "timestamp": 1767225600}\n',
            id="jsonl_number_timestamp",
        ),
    ],
)
def test_text_files_pyarrow_cannot_type_give_the_standard_readers_records(
    tmp_path: Path, suffix: str, text: str
) -> None:
    # A short CSV row sends the file to the standard reader; a JSON value of another type
    # is kept aside and put back in its group's records (`sources.arrow_jsonl`).
    path = tmp_path / f"odd{suffix}"
    path.write_text(text, encoding="utf-8")
    fast = run(FileSource(path).fetch("p", START, NOW))
    slow = run(FileSource(path, arrow=False).fetch("p", START, NOW))
    data = fast.data
    assert isinstance(data, list) == (suffix == ".csv" or "1767225600" in text)
    if isinstance(data, dict):
        data = [dict(zip(data, values, strict=True)) for values in zip(*data.values(), strict=True)]
    assert [{k: v for k, v in row.items() if v is not None} for row in data] == slow.data


#: Number cells as spreadsheets and scripts write them, all of which `float()` reads:
#: plain, padded with blanks (not every one str.isspace calls blank: "\x1c" is none),
#: `_` between digits, inf and nan spelt any way, other scripts' digits. (Of these
#: `number_text`'s grammar reads the plain ones, ASCII blanks and the words alone: the
#: others are no number, as "fast" is.)
NUMBER_CELLS = st.one_of(
    st.floats(allow_nan=False, min_value=0, max_value=1e6).map(repr),
    st.tuples(
        st.sampled_from(["", " ", "\t", "\u00a0", "\u3000"]),
        st.sampled_from(["12.5", "+.5e1", "1_000", "\u0661\u0662", "INFINITY", "-nan", "7."]),
        st.sampled_from(["", " ", "\u2028", "\x85"]),
    ).map("".join),
)


def _finite_number(cell: str) -> bool:
    """Whether a cell is a finite number of `number_text`'s grammar."""
    number = number_of_text(cell)
    return number is not None and math.isfinite(number)


@given(
    st.lists(st.tuples(NUMBER_CELLS, st.booleans()), min_size=1, max_size=6),
    st.sampled_from(["", ",,", " , ,\u3000"]),
    st.none()
    | st.tuples(
        st.integers(0, 5),
        st.sampled_from(["fast", "1,5", "0x10", "1__0", "\x1c12.5", "-nan(ind)", "nan()"]),
    ),
)
@example([("1_000", False), ("\u00a012.5", True), ("3", False)], ",,", None)
def test_csv_blank_rows_and_numbers_float_reads_stay_on_arrow(
    rows: list[tuple[str, bool]], blank: str, no_number: tuple[int, str] | None
) -> None:
    # One blank row, or one number pyarrow's parser refuses but float() reads, sent the
    # whole file to the standard reader (several times the memory). Now a cell that is
    # no number makes its group a dict of lists (test_odd_cells.py), and either way the
    # records and their lines are the same.
    if no_number is not None:
        rows.insert(no_number[0], (no_number[1], False))
    lines = ["pattern_id,timestamp,execution_time_ms"]
    for index, (cell, blank_after) in enumerate(rows):
        lines.append(f'p,2026-03-01T10:{index:02d}:00Z,"{cell}"')
        if blank_after:
            lines.append(blank)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "runs.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        fast = run(FileSource(path).fetch("p", START, NOW))
        slow = run(FileSource(path, arrow=False).fetch("p", START, NOW))
        # (A number that is not finite, a bad one, is kept aside as written too.)
        stays_a_table = no_number is None and all(_finite_number(c) for c, _ in rows)
        assert isinstance(fast.data, pa.Table) == stays_a_table
        assert [fast.locate(i) for i in range(fast.count)] == [
            slow.locate(i) for i in range(slow.count)
        ]
    tabled = isinstance(fast.data, pa.Table)
    fast_records = fast.data.to_pylist() if tabled else _rows(fast.data)
    assert _same_values(fast_records, slow.data)
    options: dict[str, Any] = {"on_invalid": "skip"}
    assert comparable(analyse(fast.data, "p", **options).to_dict()) == comparable(
        analyse(slow.data, "p", **options).to_dict()
    )


@given(
    st.lists(
        st.fixed_dictionaries(
            {},
            optional={
                "success": st.sampled_from([0, 1, 2, -1]) | st.booleans(),
                "timeout": st.sampled_from([0, 1]) | st.booleans(),
            },
        ),
        min_size=1,
        max_size=5,
    )
)
@example([{"success": 1, "timeout": 0}, {"success": 0}, {"success": 2, "timeout": 1}])
def test_jsonl_flags_written_as_integers_stay_on_arrow(flags: list[dict[str, Any]]) -> None:
    # SQLite's booleans come out of its exports as 0/1: such a file was read as dicts.
    # A field first written as an integer is read as integers (the core judges 0/1 and
    # refuses the rest, as in a record); in one mixing spellings, the values of the other
    # are put back in the records (a dict of lists, `sources.arrow_jsonl`).
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "runs.jsonl"
        lines = [
            json.dumps({"pattern_id": "p", "timestamp": f"2026-03-01T10:{i:02d}:00Z", **record})
            for i, record in enumerate(flags)
        ]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        fast = run(FileSource(path).fetch("p", START, NOW))
        slow = run(FileSource(path, arrow=False).fetch("p", START, NOW))
    spellings = {
        name: {type(record[name]) for record in flags if name in record}
        for name in ("success", "timeout")
    }
    arrow = all(len(kinds) < 2 for kinds in spellings.values())
    data = fast.data
    assert isinstance(data, pa.Table if arrow else dict)
    records = _rows(data) if isinstance(data, dict) else data.to_pylist()
    assert _same_values(records, slow.data)
    options: dict[str, Any] = {"on_invalid": "skip"}
    assert comparable(analyse(fast.data, "p", **options).to_dict()) == comparable(
        analyse(slow.data, "p", **options).to_dict()
    )


def _rows(columns: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """A dict of lists as the records of its rows."""
    names = list(columns)
    rows = zip(*columns.values(), strict=True)
    return [dict(zip(names, values, strict=True)) for values in rows]


def _same_values(fast: list[dict[str, Any]], slow: list[dict[str, Any]]) -> bool:
    """Records equal field by field (a missing key is a null; nan equals nan)."""
    if len(fast) != len(slow):
        return False
    for one, other in zip(fast, slow, strict=True):
        for key in one.keys() | other.keys():
            a, b = one.get(key), other.get(key)
            if a != b and not (a != a and b != b):
                return False
    return True


@pytest.mark.parametrize("odd", ["blank", "padded", "no number", "none"])
def test_csv_of_many_blocks_is_typed_block_by_block_as_one_read(tmp_path: Path, odd: str) -> None:
    # pyarrow reads a CSV in blocks of about 1 MB, each typed as it comes: an odd cell
    # in a later block (a blank row, a number float() alone reads, a cell no number)
    # must count as it does in the first one, and the records keep their lines.
    lines = ["pattern_id,timestamp,execution_time_ms,agent"]
    for index in range(60_000):  # about 2.6 MB: three blocks
        lines.append(f"p{index % 3},2026-03-01T10:{index % 60:02d}:00Z,{index}.5,agent-{index}")
    late = 50_000  # in the third block
    if odd == "blank":
        lines.insert(late, " , ,,")
    elif odd == "padded":
        lines[late] = lines[late].replace(",agent", " ,agent")
    elif odd == "no number":
        lines[late] = lines[late].replace(".5,agent", ".5x,agent")
    path = tmp_path / "runs.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert path.stat().st_size > 2 << 20
    fast = run(FileSource(path).fetch("p1", START, NOW))
    slow = run(FileSource(path, arrow=False).fetch("p1", START, NOW))
    assert isinstance(fast.data, pa.Table) == (odd != "no number")
    assert fast.count == slow.count == 20_000
    assert [fast.locate(i) for i in range(0, fast.count, 997)] == [
        slow.locate(i) for i in range(0, slow.count, 997)
    ]
    fast_records = _rows(fast.data) if odd == "no number" else fast.data.to_pylist()
    assert _same_values(fast_records, slow.data)
    if odd == "no number":
        with pytest.raises(InvalidRecordError) as caught:
            analyse(fast.data, "p1")
        assert fast.locate(caught.value.index) == f"line {late + 1}"


def test_csv_of_a_header_alone_holds_typed_columns_and_no_records(tmp_path: Path) -> None:
    path = tmp_path / "runs.csv"
    path.write_text("pattern_id,timestamp,success,execution_time_ms,agent\n", encoding="utf-8")
    loaded = FileSource(path).read()
    assert loaded.arrow
    assert loaded.data.schema == pa.schema(
        [
            ("pattern_id", pa.string()),
            ("timestamp", pa.string()),
            ("success", pa.bool_()),
            ("execution_time_ms", pa.float64()),
            ("agent", pa.string()),
        ]
    )
    assert loaded.count == 0


def test_arrow_whitespace_is_what_python_strips() -> None:
    # Rows of blank cells are found by Arrow's utf8_is_space (and flags trimmed by its
    # trim), and skipped as the standard reader skips the rows str.strip() empties: the
    # two must agree on every character.
    characters = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c < 0xE000]
    space = [c for c in characters if c.isspace()]
    texts = pa.array(characters)
    spaces = pa.compute.utf8_is_space(texts).to_pylist()
    assert [c for c, blank in zip(characters, spaces, strict=True) if blank] == space
    trimmed = pa.compute.utf8_trim_whitespace(pa.array([c + "x" + c for c in characters]))
    assert [c for c, t in zip(characters, trimmed.to_pylist(), strict=True) if t == "x"] == space


def test_invalid_records_of_an_arrow_file_are_located_by_line(tmp_path: Path) -> None:
    path = tmp_path / "runs.jsonl"
    path.write_text(
        '{"pattern_id": "p", "timestamp": "2026-03-01T10:00:00Z"}\n'
        "\n"
        '{"pattern_id": "q", "timestamp": "2026-03-01T10:00:00Z"}\n'
        '{"pattern_id": "p", "timestamp": "2026-03-01T11:00:00Z", "quality_score": 1.5}\n',
        encoding="utf-8",
    )
    fetched = run(FileSource(path).fetch("p", START, NOW))
    # (Read by pyarrow: its columns, the bad score kept aside as written since session 56,
    # `test_jsonl_numbers_as_written`; the standard reader's would be a list of dicts.)
    assert isinstance(fetched.data, dict)
    result = analyse(fetched.data, "p", on_invalid="skip")
    (sample,) = result.data_quality.error_samples
    assert (sample.field, sample.value) == ("quality_score", "1.5")
    assert fetched.locate(sample.index) == "line 4"


@given(st.text(alphabet="{} \t\r\n\x0b\x0cab", max_size=60), st.integers(1, 8))
def test_record_lines_of_a_jsonl_file_are_its_non_blank_lines(text: str, chunk: int) -> None:
    """The counts the pyarrow JSONL reader's row count is checked against, read in
    chunks of any size (a line may span chunks)."""
    from usage_analytics.sources.arrow_jsonl import _record_lines

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "lines.jsonl"
        path.write_bytes(text.encode())
        stripped = [line.strip(" \t\x0b\x0c") for line in text.replace("\r", "\n").split("\n")]
        lines = sum(1 for line in stripped if line)
        objects = sum(1 for line in stripped if line.startswith("{"))
        assert _record_lines(path, chunk) == (lines, objects)


@pytest.mark.parametrize("line", [1, 2])
def test_jsonl_nested_too_deeply_is_a_clear_error(tmp_path: Path, line: int) -> None:
    # json.loads raises RecursionError past Python's recursion limit: a traceback before.
    # pyarrow's reader, which skips keys that are no record field, read the file: the
    # line is refused on both paths now.
    good = '{"pattern_id": "p", "timestamp": "2026-03-01T10:00:00Z"}'
    deep = good[:-1] + ', "a": ' + "[" * 100_000 + "]" * 100_000 + "}"
    path = tmp_path / "runs.jsonl"
    path.write_text("\n".join([deep, good] if line == 1 else [good, deep]) + "\n")
    for arrow in (False, True):
        with pytest.raises(SourceError, match=f"line {line}: not valid JSON: nested too deeply"):
            run(FileSource(path, arrow=arrow).fetch("p", START, NOW))


@pytest.mark.parametrize("arrow", [True, False])
def test_jsonl_record_giving_a_field_twice_is_refused(tmp_path: Path, arrow: bool) -> None:
    # JSON readers keep one of the values silently (Python's the last): the record was
    # read as a failure of 7 ms. A key that is no record field may repeat, as a CSV
    # column that is none may.
    path = tmp_path / "runs.jsonl"
    first = '{"pattern_id": "p", "timestamp": "2026-03-01T10:00:00Z", "note": 1, "note": 2}'
    second = (
        '{"pattern_id": "p", "timestamp": "2026-03-01T11:00:00Z", "success": true, '
        '"ok": 1, "success": false, "ok": 2}'
    )
    path.write_text(f"{first}\n{second}\n", encoding="utf-8")
    with pytest.raises(
        SourceError,
        match=r"runs.jsonl, line 2: the record gives the key\(s\) "
        r"'success' more than once: keep one",
    ):
        run(FileSource(path, arrow=arrow).fetch("p", START, NOW))
    # Mapped: the key read as the field is checked, the field's own name no longer read.
    mapped = FileSource(path, TableSpec(columns={"success": "ok"}), arrow=arrow)
    with pytest.raises(SourceError, match=r"line 2: the record gives the key\(s\) 'ok' more"):
        run(mapped.fetch("p", START, NOW))
    once = second.replace('"ok": 2', '"okay": 2')
    path.write_text(f"{first}\n{once}\n", encoding="utf-8")
    fetched = run(mapped.fetch("p", START, NOW))
    assert fetched.count == 2


def test_jsonl_with_blank_lines_is_still_read_by_pyarrow(tmp_path: Path) -> None:
    path = tmp_path / "runs.jsonl"
    path.write_text(
        '\n  \n{"pattern_id": "p", "timestamp": "2026-03-01T10:00:00Z"}\r\n\t\n'
        '{"pattern_id": "p", "timestamp": "2026-03-01T11:00:00Z"}',
        encoding="utf-8",
    )
    fetched = run(FileSource(path).fetch("p", START, NOW))
    assert isinstance(fetched.data, pa.Table)
    assert fetched.count == 2


@pytest.mark.parametrize("arrow", [True, False])
def test_csv_with_a_byte_order_mark_is_read(tmp_path: Path, arrow: bool) -> None:
    # (Excel's "CSV UTF-8" starts with one: it is no part of the first column's name.)
    path = tmp_path / "runs.csv"
    path.write_text(
        "\ufeffpattern_id,timestamp\np,2026-03-01T10:00:00Z\nq,2026-03-01T11:00:00Z\n",
        encoding="utf-8",
    )
    source = FileSource(path, TableSpec(columns={"project": "pattern_id"}), arrow=arrow)
    assert [group.pattern_id for group in run(source.fetch_all(START, NOW))] == ["p", "q"]
    fetched = run(source.fetch("p", START, NOW))
    assert fetched.count == 1
    distribution = analyse(fetched.data, "p").context_distribution
    assert distribution is not None
    assert distribution.by_project == {"p": 1}


@pytest.mark.parametrize("arrow", [True, False])
def test_jsonl_with_a_byte_order_mark_is_read(tmp_path: Path, arrow: bool) -> None:
    path = tmp_path / "runs.jsonl"
    path.write_text(
        '\ufeff{"pattern_id": "p", "timestamp": "2026-03-01T10:00:00Z"}\n'
        '{"pattern_id": "p", "timestamp": "2026-03-01T11:00:00Z"}\n',
        encoding="utf-8",
    )
    assert run(FileSource(path, arrow=arrow).fetch("p", START, NOW)).count == 2


@pytest.mark.parametrize("arrow", [True, False])
def test_csv_cells_past_128_kib_are_read_and_bad_records_located(
    tmp_path: Path, arrow: bool, request: pytest.FixtureRequest
) -> None:
    # The csv module refuses cells past 128 KiB by default ("field larger than field
    # limit"): the records reader, which locates invalid records, failed on them.
    # (The limit is process-wide: a read before this one may have raised it already.)
    default = csv.field_size_limit(128 * 1024)
    request.addfinalizer(lambda: csv.field_size_limit(default))
    path = tmp_path / "runs.csv"
    long_agent = "x" * 200_000
    path.write_text(
        f"pattern_id,timestamp,agent\np,2026-03-01T10:00:00Z,{long_agent}\np,notatime,b\n",
        encoding="utf-8",
    )
    fetched = run(FileSource(path, arrow=arrow).fetch("p", START, NOW))
    result = analyse(fetched.data, "p", START, NOW, on_invalid="skip")
    assert result.data_quality.invalid_records == 1
    assert fetched.locate(result.data_quality.error_samples[0].index) == "line 3"
    assert result.context_distribution is not None
    assert list(result.context_distribution.by_agent) == [long_agent]


@pytest.mark.parametrize("column", ["pattern_id", "timestamp", "agent"])
def test_text_that_is_not_utf8_is_a_clear_error(tmp_path: Path, column: str) -> None:
    # pyarrow's JSON and Parquet readers hand such bytes over unchecked: the commands
    # failed later with a traceback (or "malformed Arrow data" without a line).
    values = {"pattern_id": b"p", "timestamp": b"2026-03-01T10:00:00Z", "agent": b"a"}
    values[column] = values[column][:-1] + b"\xff"
    line = b"{" + b", ".join(b'"%s": "%s"' % (k.encode(), v) for k, v in values.items()) + b"}"
    jsonl = tmp_path / "runs.jsonl"
    jsonl.write_bytes(b'{"pattern_id": "p", "timestamp": "2026-03-02T10:00:00Z"}\n' + line + b"\n")
    parquet = tmp_path / "runs.parquet"
    pq.write_table(
        pa.table(
            {
                name: pa.array([value], pa.binary()).view(pa.string())
                for name, value in values.items()
            }
        ),
        parquet,
    )
    # A SQLite table's text so failed every query, naming no row ("Could not decode to
    # UTF-8 column 'max("timestamp")' with text '2026-03-01T10:00:00\ufffd'").
    database = tmp_path / "runs.sqlite"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE pattern_executions (pattern_id, timestamp, agent)")
        connection.execute("INSERT INTO pattern_executions VALUES ('p', '2026-03-02T10:00Z', 'a')")
        connection.execute(
            "INSERT INTO pattern_executions VALUES (CAST(? AS TEXT), CAST(? AS TEXT), "
            "CAST(? AS TEXT))",
            list(values.values()),
        )
    connection.close()
    stamp = values["timestamp"] if column == "timestamp" else values["timestamp"].decode()
    row = f"the row with rowid 2 (timestamp {stamp!r})"
    for path, message in (
        (database, f"{database}, {row}: column '{column}' = {values[column]!r}: is not UTF-8 text"),
        (jsonl, f"{jsonl}, line 2: not UTF-8 text"),
        (parquet, f"{parquet}, row 1: column '{column}' = {values[column]!r}: is not UTF-8 text"),
    ):
        calls: list[Callable[[FileSource | SQLiteSource], Coroutine[Any, Any, Any]]] = [
            lambda source: source.fetch("p", START, NOW),
            lambda source: source.fetch_all(START, NOW),
            lambda source: source.newest(),
        ]
        if path == database and column != "timestamp":
            calls.pop()  # (a table's newest timestamp is read from that column alone)
        for call in calls:
            with pytest.raises(SourceError) as raised:
                run(call(SQLiteSource(path) if path == database else FileSource(path)))
            assert str(raised.value) == message


@pytest.mark.parametrize("arrow", [True, False])
def test_csv_header_with_a_quoted_line_break_is_one_header(tmp_path: Path, arrow: bool) -> None:
    path = tmp_path / "runs.csv"
    path.write_text(
        '"my\nnotes",pattern_id,timestamp\nx,p,2026-03-01T10:00:00Z\ny,p,soon\n',
        encoding="utf-8",
    )
    source = FileSource(path, arrow=arrow)
    assert [group.pattern_id for group in run(source.fetch_all(START, NOW))] == ["p"]
    fetched = run(source.fetch("p", START, NOW))
    result = analyse(fetched.data, "p", START, NOW, on_invalid="skip")
    assert (fetched.count, result.data_quality.invalid_records) == (2, 1)
    assert fetched.locate(result.data_quality.error_samples[0].index) == "line 4"


@pytest.mark.parametrize("arrow", [True, False])
def test_csv_ending_in_a_quoted_line_break_then_empty_rows_is_read(
    tmp_path: Path, arrow: bool
) -> None:
    # A spreadsheet's export: empty rows after a record whose last cell spans lines.
    path = tmp_path / "runs.csv"
    path.write_text(
        'pattern_id,timestamp,agent\np,2026-03-01T10:00:00Z,"a\nb"\n,,\n,,\n', encoding="utf-8"
    )
    fetched = run(FileSource(path, arrow=arrow).fetch("p", START, NOW))
    assert fetched.count == 1
    result = analyse(fetched.data, "p", START, NOW)
    assert result.context_distribution is not None
    assert list(result.context_distribution.by_agent) == ["a\nb"]


@pytest.mark.parametrize("arrow", [True, False])
@pytest.mark.parametrize("blanks", [" " * 63, " " * 64, "\t" * 5000])
def test_csv_ending_in_a_closed_quote_then_blanks_is_read(
    tmp_path: Path, arrow: bool, blanks: str
) -> None:
    # The check for a quote left open looked at the last 64 bytes only: from 64 blanks
    # after the closing quote on, it found no quote there and refused the file.
    path = tmp_path / "runs.csv"
    path.write_text(
        'pattern_id,timestamp,agent\np,2026-03-01T10:00:00Z,"a\nb"' + blanks, encoding="utf-8"
    )
    fetched = run(FileSource(path, arrow=arrow).fetch("p", START, NOW))
    result = analyse(fetched.data, "p", START, NOW)
    assert result.context_distribution is not None
    assert list(result.context_distribution.by_agent) == ["a\nb" + blanks]  # (as csv reads)
    path.write_text('pattern_id,timestamp,agent\np,2026-03-01T10:00:00Z,"a\nb' + blanks)
    with pytest.raises(SourceError, match=r"runs.csv, line 2: malformed CSV: a quote is left open"):
        run(FileSource(path, arrow=arrow).fetch("p", START, NOW))


def test_text_that_is_not_utf8_is_located_by_the_lines_the_reader_counts(
    tmp_path: Path,
) -> None:
    # Lines ended by a lone \r (old Mac files): the text reader counts them.
    path = tmp_path / "runs.jsonl"
    path.write_bytes(
        b'{"pattern_id": "p", "timestamp": "2026-03-01T10:00:00Z"}\r'
        b'{"pattern_id": "p", "timestamp": "2026-03-01T11:00:00Z"}\r'
        b'{"pattern_id": "p\xff", "timestamp": "2026-03-01T12:00:00Z"}\r'
    )
    with pytest.raises(SourceError, match="line 3: not UTF-8 text"):
        run(FileSource(path).fetch("p", START, NOW))


def test_parquet_text_that_is_not_utf8_in_a_column_not_read_is_no_error(
    tmp_path: Path,
) -> None:
    path = tmp_path / "runs.parquet"
    notes = pa.array([b"caf\xe9", b"ok"], pa.binary()).view(pa.string())
    stamps = [NOW - timedelta(hours=1), NOW - timedelta(hours=2)]
    pq.write_table(pa.table({"pattern_id": ["p", "p"], "timestamp": stamps, "notes": notes}), path)
    assert run(FileSource(path).fetch("p", START, NOW)).count == 2


def test_parquet_rows_are_located_by_row_number(tmp_path: Path) -> None:
    rows = [
        {"pattern_id": "q", "timestamp": NOW, "execution_time_ms": 1.0},
        {"pattern_id": "p", "timestamp": NOW, "execution_time_ms": -1.0},
    ]
    fetched = run(FileSource(write_source(tmp_path, "parquet", rows)).fetch("p", START, NOW))
    result = analyse(fetched.data, "p", on_invalid="skip")
    assert fetched.locate(result.data_quality.error_samples[0].index) == "row 2"


# ------------------------------------------------------------------------------ SQLite


def test_sqlite_values_of_other_types_are_judged_as_records(tmp_path: Path) -> None:
    """SQLite keeps text it cannot convert to a column's type: a number "fast", a flag
    "maybe". The source then hands over the pattern's rows as a dict of lists holding
    them (`OddCells`), and the core reports them as records."""
    path = tmp_path / "runs.sqlite"
    rows = [
        {"pattern_id": "p", "timestamp": NOW - timedelta(hours=2), "execution_time_ms": 5.0},
        {"pattern_id": "p", "timestamp": NOW - timedelta(hours=1), "execution_time_ms": "fast"},
        {"pattern_id": "p", "timestamp": NOW, "success": "maybe"},
    ]
    write_executions_sync(path, rows)
    fetched = run(SQLiteSource(path).fetch("p", START, NOW))
    assert isinstance(fetched.data, dict)
    assert fetched.data["execution_time_ms"] == [5.0, "fast", None]
    assert fetched.data["success"] == [None, None, "maybe"]
    result = analyse(fetched.data, "p", on_invalid="skip")
    first, second = result.data_quality.error_samples
    assert (first.field, second.field) == ("execution_time_ms", "success")
    assert fetched.locate(first.index) == (
        "the row with rowid 2 (timestamp '2026-03-03T13:00:00.000000Z')"
    )


def import_csv_as_text(csv_path: Path, database: Path) -> None:
    """What `sqlite3 db ".import --csv runs.csv pattern_executions"` does: a table of TEXT
    columns named by the header, every cell stored as its text (an empty cell as '')."""
    with csv_path.open(newline="") as stream:
        header, *cells = list(csv.reader(stream))
    columns = ", ".join(f"{quote_identifier(name)} TEXT" for name in header)
    marks = ", ".join("?" for _ in header)
    with sqlite3.connect(database) as connection:
        connection.execute(f"CREATE TABLE pattern_executions ({columns})")
        connection.executemany(f"INSERT INTO pattern_executions VALUES ({marks})", cells)
    connection.close()


@pytest.mark.parametrize("arrow", [True, False])
def test_sqlite_table_imported_from_csv_gives_the_csvs_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, arrow: bool
) -> None:
    """A table `.import` made from the tool's own CSV holds every value as text ('true',
    '656.0', '' for a missing one): its flags and numbers are read as the CSV reader
    reads the cells (an empty one, in any field, missing), so the analytics are the
    CSV's."""
    rows = demo_rows()
    for row in rows[::7]:  # missing values, which the CSV writes as empty cells
        row.update(success=None, execution_time_ms=None, quality_score=None, timeout=None)
        row.update(agent=None, context_type=None, file_path=None)
    rows[1]["quality_gates_passed"] = None
    save_records(tmp_path / "runs.csv", rows)
    import_csv_as_text(tmp_path / "runs.csv", tmp_path / "runs.sqlite")
    if not arrow:
        monkeypatch.setattr("usage_analytics.sources.sqlite_columns.load_pyarrow", lambda: None)
        monkeypatch.setattr("usage_analytics.sources.sqlite_native.load_pyarrow", lambda: None)
    source = SQLiteSource(tmp_path / "runs.sqlite")
    for pattern_id in (GROWING, DECLINING):
        fetched = run(source.fetch(pattern_id, START, NOW))
        assert isinstance(fetched.data, pa.Table) is arrow
        document = comparable(analyse(fetched.data, pattern_id).to_dict())
        assert document == api_document(in_window(rows), pattern_id)


def test_sqlite_text_no_flag_or_number_is_reported_as_written(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE pattern_executions (pattern_id, timestamp, success)")
        connection.executemany(
            "INSERT INTO pattern_executions VALUES ('p', ?, ?)",
            [("2026-03-03T10:00:00Z", " Yes "), ("2026-03-03T11:00:00Z", "ok")],
        )
    connection.close()
    with pytest.raises(InvalidRecordError) as raised:
        analyse(run(SQLiteSource(path).fetch("p", START, NOW)).data, "p")
    assert (raised.value.index, raised.value.field, raised.value.value) == (1, "success", "'ok'")


def test_sqlite_without_pyarrow_hands_over_records_with_the_same_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = demo_rows()
    source = make_source(tmp_path, "sqlite", True, rows)
    with_arrow = run(fetch_result(source, GROWING))
    monkeypatch.setattr("usage_analytics.sources.sqlite_columns.load_pyarrow", lambda: None)
    monkeypatch.setattr("usage_analytics.sources.sqlite_native.load_pyarrow", lambda: None)
    fetched = run(source.fetch(GROWING, START, NOW))
    assert isinstance(fetched.data, list)
    assert isinstance(fetched.data[0], dict)
    assert comparable(analyse(fetched.data, GROWING).to_dict()) == with_arrow


def test_sqlite_booleans_come_back_as_flags(tmp_path: Path) -> None:
    rows = [
        {"pattern_id": "p", "timestamp": NOW, "success": True, "timeout": True},
        {"pattern_id": "p", "timestamp": NOW, "success": False, "quality_gates_passed": False},
    ]
    result = analyse(
        run(SQLiteSource(write_source(tmp_path, "sqlite", rows)).fetch("p", START, NOW)).data, "p"
    )
    assert result.success_metrics.success_count == 1
    assert result.success_metrics.timeout_count == 1
    assert result.success_metrics.quality_gate_failures == 1


def test_sqlite_pattern_without_rows_in_the_window_is_empty_not_unknown(tmp_path: Path) -> None:
    rows = [{"pattern_id": "p", "timestamp": NOW - timedelta(days=90)}]
    fetched = run(SQLiteSource(write_source(tmp_path, "sqlite", rows)).fetch("p", START, NOW))
    assert (fetched.count, fetched.data) == (0, [])
    groups = run(SQLiteSource(tmp_path / "runs.sqlite").fetch_all(START, NOW))
    assert [(group.pattern_id, group.count) for group in groups] == [("p", 0)]


# ----------------------------------------- records no window or no pattern holds: seen


@pytest.mark.parametrize(
    "table", ["plain", "rowid column", "view", "without rowid", "without rowid, one key"]
)
def test_sqlite_rows_of_one_time_are_told_apart_by_rowid(tmp_path: Path, table: str) -> None:
    # Two bad rows of one timestamp were both "the row with timestamp '...'". A table's
    # own column named rowid hides the rowid under that name, not under `_rowid_`; a
    # WITHOUT ROWID table has none: its rows are named by their primary key (they were
    # named by time alone, as a view's still are).
    path = tmp_path / "runs.sqlite"
    stamp = "2026-03-03T12:00:00Z"
    with sqlite3.connect(path) as connection:
        rowid = ", rowid TEXT" if table == "rowid column" else ""
        options = " WITHOUT ROWID" if table.startswith("without rowid") else ""
        key = ", PRIMARY KEY (pattern_id, timestamp, quality_score)" if options else ""
        if table == "without rowid, one key":
            key = ", PRIMARY KEY (quality_score)"
        name = "runs" if table == "view" else "pattern_executions"
        connection.execute(
            f"CREATE TABLE {name} (pattern_id TEXT, timestamp TEXT, quality_score REAL"
            f"{rowid}{key}){options}"
        )
        values = [("p", stamp, 0.5), ("p", stamp, 7.0), ("p", stamp, 9.0)]
        extra = ", 'r'" if rowid else ""
        connection.executemany(f"INSERT INTO {name} VALUES (?, ?, ?{extra})", values)
        if table == "view":
            connection.execute("CREATE VIEW pattern_executions AS SELECT * FROM runs")
    connection.close()
    fetched = run(SQLiteSource(path).fetch("p", START, NOW))
    result = analyse(fetched.data, "p", on_invalid="skip")
    located = [fetched.locate(sample.index) for sample in result.data_quality.error_samples]
    if table in ("plain", "rowid column"):
        # (Named as it is selected by: `_rowid_` where a column is called rowid.)
        name = "rowid" if table == "plain" else "_rowid_"
        assert located == [
            f"the row with {name} 2 (timestamp '{stamp}')",
            f"the row with {name} 3 (timestamp '{stamp}')",
        ]
    elif table == "without rowid":
        assert located == [
            f"the row with (pattern_id, timestamp, quality_score) = ('p', '{stamp}', {value}) "
            f"(timestamp '{stamp}')"
            for value in (7.0, 9.0)
        ]
    elif table == "without rowid, one key":
        assert located == [
            f"the row with quality_score {value} (timestamp '{stamp}')" for value in (7.0, 9.0)
        ]
    else:
        assert located == [f"the row with timestamp '{stamp}'"] * 2


def sqlite_with_unplaceable_rows(path: Path) -> Path:
    """A table whose timestamp column has no type, so that numbers and blobs stay as
    they are, and whose pattern ids may be NULL."""
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE pattern_executions (pattern_id TEXT, timestamp, agent TEXT)"
        )
        connection.executemany(
            "INSERT INTO pattern_executions VALUES (?, ?, ?)",
            [
                ("p", "2026-03-03T12:00:00Z", "placed"),
                ("p", None, "null"),
                ("p", 1772539200, "number"),
                ("p", b"2026-03-03T12:00:00Z", "blob"),
                ("p", "soon", "word"),
                ("p", "2026-02-1x", "no date, amid the window's dates"),  # fetched once
                ("p", " 2026-03-03T13:00:00Z", "spaced"),  # the core reads it
                ("p", " 2025-01-01T00:00:00Z", "spaced, long ago"),
                ("p", "2026-13-01T00:00:00Z", "no month 13"),  # placed by its date
                ("q", None, "other pattern"),
                (None, "2026-03-03T12:00:00Z", "no pattern"),
                (None, None, "no pattern, no time"),
                (" \t", "2026-03-03T12:00:00Z", "blank pattern"),
            ],
        )
    connection.close()
    return path


def agents_of(data: Any) -> list[Any]:
    records = (
        data.to_pylist()
        if isinstance(data, pa.Table)
        else _rows(data)
        if isinstance(data, dict)
        else data
    )
    return [record["agent"] for record in records]


#: The rows of pattern p that every window fetches (see the SQLite source's docstring).
UNPLACED = {
    "null",
    "number",
    "blob",
    "word",
    "no date, amid the window's dates",
    "spaced",
    "spaced, long ago",
}


@pytest.mark.parametrize(
    ("start", "end", "placed"),
    [
        (START, NOW, {"placed"}),
        (datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC), set[str]()),
        (datetime(2026, 12, 31, tzinfo=UTC), datetime(2027, 1, 2, tzinfo=UTC), {"no month 13"}),
    ],
)
def test_sqlite_rows_no_date_places_are_fetched_for_every_window(
    tmp_path: Path, start: datetime, end: datetime, placed: set[str]
) -> None:
    """A NULL, a number, a blob, a word: the core reports each as an invalid record in
    any window; text with a leading space is a time the core reads, counted in or out
    of the window by its instant. None of them is left out unseen."""
    source = SQLiteSource(sqlite_with_unplaceable_rows(tmp_path / "runs.sqlite"))
    fetched = run(source.fetch("p", start, end))
    agents = agents_of(fetched.data)
    assert sorted(agents) == sorted(UNPLACED | placed)
    result = analyse(fetched.data, "p", start, end, on_invalid="skip")
    quality = result.data_quality
    spaced_inside = int(start <= datetime(2026, 3, 3, 13, tzinfo=UTC) <= end)
    assert quality.invalid_records == 5 + ("no month 13" in placed)
    assert quality.records_in_window == ("placed" in placed) + spaced_inside
    assert quality.records_outside_window == 2 - spaced_inside
    located = {fetched.locate(sample.index) for sample in quality.error_samples}
    assert len(located) == min(quality.invalid_records, 5)  # at most five samples
    # (By rowid, which tells rows of one time apart, then the stored time as it is.)
    assert located <= {
        "the row with rowid 5 (timestamp 'soon')",
        "the row with rowid 6 (timestamp '2026-02-1x')",
        "the row with rowid 3 (timestamp 1772539200)",
        "the row with rowid 2 (timestamp NULL)",
        "the row with rowid 4 (timestamp b'2026-03-03T12:00:00Z')",
    } | (
        {"the row with rowid 9 (timestamp '2026-13-01T00:00:00Z')"}
        if "no month 13" in placed
        else set()
    )
    with pytest.raises(InvalidRecordError, match="field 'timestamp'"):
        analyse(fetched.data, "p", start, end)
    groups = {group.pattern_id: group for group in run(source.fetch_all(start, end))}
    assert sorted(agents_of(groups["p"].data)) == sorted(agents)
    assert agents_of(groups["q"].data) == ["other pattern"]


def test_sqlite_pattern_ids_by_index_skips_equal_a_scan(tmp_path: Path) -> None:
    """With an index leading with the pattern id, `fetch_all` and `unattributed` list the
    ids by skipping through it (a seek per id) and ask for each one's window; without,
    they scan. Same groups either way, whatever the ids' SQLite types."""
    path = tmp_path / "mixed.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE pattern_executions (pattern_id, timestamp, agent)")
        connection.executemany(
            "INSERT INTO pattern_executions VALUES (?, ?, ?)",
            [
                (pattern_id, f"2026-03-0{day}T10:00:00Z", f"{agent}{day}")
                for day in (1, 2)
                for pattern_id, agent in [
                    (7, "int"),
                    (7.0, "real"),
                    ("7", "text"),
                    (-1, "negative"),
                    ("a", "a"),
                    (b"blob", "blob"),
                    (None, "none"),
                    (" ", "blank"),
                    (b" ", "blank blob"),  # (was left out of both: its text is blank)
                ]
            ],
        )
    connection.close()

    def listed() -> tuple[list[tuple[str, list[Any]]], Unattributed]:
        source = SQLiteSource(path)
        groups = run(source.fetch_all(START, NOW))
        return [(g.pattern_id, sorted(agents_of(g.data))) for g in groups], run(
            source.unattributed()
        )

    def indexed() -> bool:
        source = SQLiteSource(path)
        return bool(source._with_connection(lambda c: source._indexed_by_pattern(c, "pattern_id")))

    scanned = listed()
    assert not indexed()
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE INDEX by_pattern ON pattern_executions (pattern_id, timestamp)")
    connection.close()
    assert indexed()
    assert listed() == scanned
    groups, unattributed = scanned
    assert [key for key, _ in groups] == ["-1", "7", "a", "blob"]
    assert groups[1][1] == ["int1", "int2", "real1", "real2", "text1", "text2"]
    assert unattributed.count == 6


@pytest.mark.parametrize(
    ("ddl", "index"),
    [
        # A column named `id` once captured the skip scan's own name: it never ended.
        (
            "CREATE TABLE pattern_executions (id INTEGER PRIMARY KEY, pattern_id TEXT, "
            "timestamp TEXT)",
            "CREATE INDEX by_pattern ON pattern_executions (pattern_id, timestamp)",
        ),
        # An index SQLite cannot seek by for this column: no skip scan (a scan per id).
        (
            "CREATE TABLE pattern_executions (pattern_id TEXT COLLATE NOCASE, timestamp TEXT)",
            "CREATE INDEX by_pattern ON pattern_executions (pattern_id COLLATE BINARY)",
        ),
        # A table named like the skip scan's names used to be.
        (
            "CREATE TABLE ids (pattern_id TEXT, timestamp TEXT)",
            "CREATE INDEX i ON ids (pattern_id)",
        ),
        # A table named like the skip scan's CTE (in another case) was the CTE itself:
        # "query failed: circular reference: ua_ids".
        (
            "CREATE TABLE UA_IDS (pattern_id TEXT, timestamp TEXT)",
            "CREATE INDEX i ON UA_IDS (pattern_id)",
        ),
    ],
)
def test_sqlite_tables_with_names_and_indexes_of_their_own(
    tmp_path: Path, ddl: str, index: str
) -> None:
    path = tmp_path / "own.sqlite"
    table = ddl.split()[2] if "pattern_executions" not in ddl else "pattern_executions"
    with sqlite3.connect(path) as connection:
        connection.execute(ddl)
        connection.execute(index)
        connection.executemany(
            f"INSERT INTO {table} (pattern_id, timestamp) VALUES (?, ?)",
            [(name, "2026-03-01T10:00:00Z") for name in ("a", "b", "c", "b")],
        )
    connection.close()
    source = SQLiteSource(path, TableSpec(table=table))
    groups = run(source.fetch_all(START, NOW))
    assert [(group.pattern_id, group.count) for group in groups] == [("a", 1), ("b", 2), ("c", 1)]
    assert run(source.fetch("b", START, NOW)).count == 2
    assert run(source.unattributed()) == Unattributed(0)


def test_sqlite_a_wal_database_beyond_this_users_reach_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A WAL-mode database in a directory the user cannot write (SQLite must create its
    # -shm file there) failed with "query failed: attempt to write a readonly database",
    # exit 1, of a command that only reads; an unreadable file with "unable to open
    # database file". (Root may write anywhere: the user's lack of access is simulated.)
    path = tmp_path / "wal.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=wal")
        connection.execute("CREATE TABLE pattern_executions (pattern_id TEXT, timestamp TEXT)")
    connection.close()
    monkeypatch.setattr(os, "access", lambda path, mode: False)

    def work(connection: sqlite3.Connection) -> None:
        raise sqlite3.OperationalError("attempt to write a readonly database")

    expected = (
        f"{path}: cannot read: the database is in WAL mode, which SQLite reads through its "
        f"-shm file, and wal.sqlite-shm cannot be created in {tmp_path} (not writable by"
    )
    with pytest.raises(SourceUnavailableError, match="^" + re.escape(expected)):
        SQLiteSource(path)._with_connection(work)
    plain = tmp_path / "plain.sqlite"
    sqlite3.connect(plain).close()  # (not WAL: the error as SQLite gives it)
    with pytest.raises(SourceError, match="query failed: attempt to write a readonly database"):
        SQLiteSource(plain)._with_connection(work)
    # With its -shm file there: read-only, that is why; writable, SQLite's error stands.
    shm = tmp_path / "wal.sqlite-shm"
    shm.touch()
    with pytest.raises(SourceUnavailableError, match=r"and wal\.sqlite-shm is read-only \(not"):
        SQLiteSource(path)._with_connection(work)
    monkeypatch.setattr(os, "access", lambda path, mode: True)
    with pytest.raises(SourceError, match="query failed: attempt to write a readonly database"):
        SQLiteSource(path)._with_connection(work)

    original = Path.open

    def refused(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self == path:
            raise PermissionError(13, "Permission denied")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refused)
    with pytest.raises(SourceUnavailableError, match=r"wal\.sqlite: cannot open: Permission"):
        run(SQLiteSource(path).newest())


@pytest.mark.parametrize("spelling", ["//", "relative", "%41"])
def test_sqlite_a_path_is_opened_however_it_is_spelled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spelling: str
) -> None:
    # A path that starts with "//" (pathlib keeps the two slashes; the system reads them
    # as one) was the authority of SQLite's `file:` URI: "cannot open: invalid uri
    # authority: tmp" of a file that is there.
    name = "runs%41.sqlite" if spelling == "%41" else "runs.sqlite"
    write_executions_sync(tmp_path / name, [{"pattern_id": "p", "timestamp": NOW}])
    monkeypatch.chdir(tmp_path)
    path = {"//": Path("/" + str(tmp_path / name)), "relative": Path(name)}.get(
        spelling, tmp_path / name
    )
    assert str(path).startswith("//") is (spelling == "//")
    assert run(SQLiteSource(path).fetch("p", START, NOW)).count == 1


def test_sqlite_writes_a_time_of_a_zone_without_offset_as_utc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The core reads such a time as UTC (as a naive one): `astimezone` read it in the
    # machine's zone, and the stored record was another instant (out of this window).
    at = datetime(2026, 3, 2, 22, tzinfo=NoOffset())
    path = tmp_path / "runs.sqlite"
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert format_utc(at) == "2026-03-02T22:00:00.000000Z"
        write_executions_sync(path, [{"pattern_id": "p", "timestamp": at}])
    finally:
        monkeypatch.undo()
        time.tzset()
    start, end = datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 2, 23, tzinfo=UTC)
    fetched = run(SQLiteSource(path).fetch("p", start, end))
    assert fetched.count == 1
    document = comparable(analyse(fetched.data, "p", start, end).to_dict())
    assert document == comparable(analyse([{"timestamp": at}], "p", start, end).to_dict())


def test_sqlite_writes_a_time_outside_the_years_in_utc_as_written(tmp_path: Path) -> None:
    # No window holds it, but it is a record, counted outside the window as the library
    # counts it: the write raised a bare OverflowError ("date value out of range").
    early = datetime.min.replace(tzinfo=timezone(timedelta(hours=5)))
    late = datetime.max.replace(tzinfo=timezone(timedelta(hours=-5)))
    rows = [{"pattern_id": "p", "timestamp": at} for at in (early, late, NOW)]
    path = tmp_path / "runs.sqlite"
    assert write_executions_sync(path, rows) == 3
    with sqlite3.connect(path) as connection:
        stored = [
            row[0]
            for row in connection.execute("SELECT timestamp FROM pattern_executions ORDER BY rowid")
        ]
    connection.close()
    assert stored == [early.isoformat(), late.isoformat(), format_utc(NOW)]
    assert [parse_timestamp(text) for text in stored[:2]] == [
        micros(early),
        micros(late),
    ]
    source = SQLiteSource(path)
    assert run(source.newest("p")) == NOW
    # In no window (a window from the year 1's first day neither), as in the library's.
    for start, end in ((datetime(1, 1, 1, tzinfo=UTC), START), (START, NOW)):
        fetched = run(source.fetch("p", start, end)).data
        totals = [
            analyse(data, "p", start, end).usage_metrics.total_executions
            for data in (fetched, rows)
        ]
        assert totals == [end == NOW] * 2


@pytest.mark.parametrize("nan", [math.nan, np.float64("nan"), Decimal("NaN")])
def test_sqlite_writes_a_nan_number_as_a_record_with_a_nan(tmp_path: Path, nan: Any) -> None:
    # `sqlite3` stored NaN as NULL: a record with a NaN time or score (invalid, as the
    # library and every other format have it) read back as one without them, valid.
    def rows(nan: Any) -> list[dict[str, Any]]:
        return [
            {"pattern_id": "p", "timestamp": NOW, "execution_time_ms": nan, "quality_score": 0.5},
            {"pattern_id": "p", "timestamp": NOW, "execution_time_ms": 5.0, "quality_score": nan},
            {"pattern_id": "p", "timestamp": NOW, "execution_time_ms": 7.0, "quality_score": 1.0},
        ]

    # (Each NaN shown as the float it is read as, in the samples.)
    expected = api_document(rows(math.nan), "p", on_invalid="skip")
    assert expected["data_quality"]["invalid_records"] == 2
    path = tmp_path / "runs.sqlite"
    write_executions_sync(path, rows(nan))
    fetched = run(SQLiteSource(path).fetch("p", START, NOW))
    assert comparable(analyse(fetched.data, "p", on_invalid="skip").to_dict()) == expected


def test_sqlite_writes_a_flag_of_another_field_as_the_csv_writers_cell(tmp_path: Path) -> None:
    # `sqlite3` stored True as 1: a flag in a number field (invalid, in the library and in
    # the CSV writer's file) read back as the time 1.0, and an agent True as the text "1".
    # (And NaN as the CSV writer's "nan", read back as the text of a text field.)
    rows = [
        {"pattern_id": "p", "timestamp": NOW, "project": math.nan, "file_path": np.nan},
        {"pattern_id": "p", "timestamp": NOW, "execution_time_ms": True, "quality_score": 0.5},
        {"pattern_id": "p", "timestamp": NOW, "quality_score": np.False_, "agent": True},
        {"pattern_id": "p", "timestamp": NOW, "execution_time_ms": 3.0, "context_type": False},
        {"pattern_id": "p", "timestamp": NOW, "success": True, "timeout": False},
    ]
    csv_file = write_source(tmp_path, "csv", rows)
    write_executions_sync(tmp_path / "runs.sqlite", rows)
    documents = [
        comparable(
            analyse(run(source.fetch("p", START, NOW)).data, "p", on_invalid="skip").to_dict()
        )
        for source in (FileSource(csv_file), SQLiteSource(tmp_path / "runs.sqlite"))
    ]
    assert documents[0]["data_quality"]["invalid_records"] == 2
    assert documents[1] == documents[0]


def test_sqlite_window_bounds_are_the_requests_utc_instants(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A bound of a zone naming no offset is UTC, as a request reads it: its date (the
    # margins of the rows asked for) was read in the machine's zone, a day later here,
    # and a row of the window dated the day before was left out.
    path = tmp_path / "runs.sqlite"
    write_executions_sync(path, [])
    with sqlite3.connect(path) as connection:
        connection.execute(
            "INSERT INTO pattern_executions (pattern_id, timestamp) VALUES ('p', ?)",
            ("2026-02-28T23:30:00-23:00",),  # 2026-03-01T22:30Z
        )
    connection.close()
    source = SQLiteSource(path)
    start = datetime(2026, 3, 1, 22, tzinfo=NoOffset())
    end = datetime(2026, 3, 2, 12, tzinfo=NoOffset())
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert run(source.fetch("p", start, end)).count == 1
        assert [group.count for group in run(source.fetch_all(start, end))] == [1]
    finally:
        monkeypatch.undo()
        time.tzset()
    # An instant before the year 1 or after 9999 in UTC, where no window lies (a request
    # refuses it), was a bare OverflowError ("date value out of range").
    early = datetime.min.replace(tzinfo=timezone(timedelta(hours=5)))
    late = datetime.max.replace(tzinfo=timezone(timedelta(hours=-5)))
    for name, window in (("start", (early, NOW)), ("end", (START, late))):
        bound = window[0] if name == "start" else window[1]
        expected = "^" + re.escape(f"{name} {bound.isoformat()} is outside the years 1 to 9999")
        with pytest.raises(ValueError, match=expected):
            run(source.fetch("p", *window))
        with pytest.raises(ValueError, match=expected):
            run(source.fetch_all(*window))


def test_sqlite_generated_columns_are_columns(tmp_path: Path) -> None:
    # `pragma_table_info` leaves generated columns out: a `success` generated from a
    # status column was missing (every run a failure, silently), its timings too, and a
    # `timestamp` generated from epoch seconds was "no column 'timestamp'".
    path = tmp_path / "generated.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE pattern_executions (pattern_id TEXT, epoch INTEGER, "
            "timestamp TEXT GENERATED ALWAYS AS "
            "(strftime('%Y-%m-%dT%H:%M:%SZ', epoch, 'unixepoch')) VIRTUAL, status TEXT, "
            "success INTEGER GENERATED ALWAYS AS (status = 'ok') VIRTUAL, seconds REAL, "
            "execution_time_ms REAL GENERATED ALWAYS AS (seconds * 1000) STORED)"
        )
        connection.executemany(
            "INSERT INTO pattern_executions (pattern_id, epoch, status, seconds) "
            "VALUES (?, ?, ?, ?)",
            [("p", 1772359200, "ok", 0.5), ("p", 1772362800, "failed", 1.5)],
        )
    connection.close()
    source = SQLiteSource(path)
    assert run(source.newest("p")) == datetime(2026, 3, 1, 11, tzinfo=UTC)
    result = analyse(run(source.fetch("p", START, NOW)).data, "p")
    assert result.usage_metrics.total_executions == 2
    assert result.success_metrics.success_count == 1
    assert result.performance_metrics is not None
    assert result.performance_metrics.avg_execution_time_ms == 1000.0


def test_sqlite_numbers_in_text_fields_are_read_as_their_text(tmp_path: Path) -> None:
    # An INTEGER column of agent ids (SQLite's affinity stores them as numbers, inserted
    # as text or not) made every record invalid ("must be a str, got int"), where a CSV
    # cell and PostgreSQL's cast read the text.
    path = tmp_path / "typed.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE pattern_executions (pattern_id TEXT, timestamp TEXT, "
            "agent INTEGER, project REAL, context_type, file_path INTEGER)"
        )
        connection.executemany(
            "INSERT INTO pattern_executions VALUES (?, ?, ?, ?, ?, ?)",
            [
                ("p", "2026-03-01T10:00:00Z", "42", 1.5, 7, None),
                ("p", "2026-03-01T11:00:00Z", 43, "x", "ctx", "12"),
            ],
        )
    connection.close()
    fetched = run(SQLiteSource(path).fetch("p", START, NOW))
    records = fetched.data.to_pylist() if isinstance(fetched.data, pa.Table) else fetched.data
    assert [
        (record["agent"], record["project"], record["context_type"], record["file_path"])
        for record in records
    ] == [("42", "1.5", "7", None), ("43", "x", "ctx", "12")]
    result = analyse(fetched.data, "p")
    assert result.usage_metrics.total_executions == 2
    assert result.context_distribution is not None
    assert result.context_distribution.by_agent == {"42": 1, "43": 1}


@pytest.mark.parametrize(
    "index",
    [
        None,
        "CREATE INDEX by_pattern ON pattern_executions (pattern_id, timestamp)",
        "CREATE INDEX by_pattern ON pattern_executions (pattern_id COLLATE BINARY, timestamp)",
    ],
)
def test_sqlite_a_nocase_pattern_column_keeps_ids_of_other_case_apart(
    tmp_path: Path, index: str | None
) -> None:
    """A pattern id column declared COLLATE NOCASE: `fetch_all` groups "a" and "A" apart
    (as files and PostgreSQL do), and `fetch`, `newest` and `first_record` of one of them
    read its rows alone (`IN ('a')` under the column's collation took those of "A" too:
    `analyze --pattern a` counted 3 runs where the dashboard showed 2), and the skip scan
    over a NOCASE index skipped "a" after "A"."""
    path = tmp_path / "nocase.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE pattern_executions (pattern_id TEXT COLLATE NOCASE, timestamp TEXT, "
            "agent TEXT)"
        )
        if index is not None:
            connection.execute(index)
        connection.executemany(
            "INSERT INTO pattern_executions VALUES (?, ?, ?)",
            [
                ("A", "2026-03-01T10:00:00Z", "upper"),
                ("a", "2026-03-01T11:00:00Z", "lower1"),
                ("a", "2026-03-01T12:00:00Z", "lower2"),
                ("b", "2026-03-01T12:00:00Z", "b"),
                ("B", "2020-01-01T00:00:00Z", "old"),  # (no run in the window)
            ],
        )
    connection.close()
    source = SQLiteSource(path)
    groups = run(source.fetch_all(START, NOW))
    assert [(group.pattern_id, group.count) for group in groups] == [
        ("A", 1),
        ("B", 0),
        ("a", 2),
        ("b", 1),
    ]
    lower = run(source.fetch("a", START, NOW))
    assert sorted(agents_of(lower.data)) == ["lower1", "lower2"]
    upper = run(source.fetch("A", START, NOW))
    assert agents_of(upper.data) == ["upper"]
    assert run(source.newest("A")) == datetime(2026, 3, 1, 10, tzinfo=UTC)
    assert run(source.newest("B")) == datetime(2020, 1, 1, tzinfo=UTC)
    first = run(source.first_record("a"))
    assert first is not None
    assert agents_of(first.data) == ["lower1"]


def stamped_table(path: Path, rows: list[tuple[str, str]]) -> None:
    """A SQLite file whose `pattern_executions` table holds only (pattern_id, timestamp)."""
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE pattern_executions (pattern_id TEXT, timestamp TEXT)")
        connection.executemany("INSERT INTO pattern_executions VALUES (?, ?)", rows)
    connection.close()


def traced_statements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The SQL statements the SQLite source's connections run from now on."""
    statements: list[str] = []
    opened = sqlite_source.connect_read_only

    def traced(path: Path, given: str | None = None) -> sqlite3.Connection:
        connection = opened(path, given)
        connection.set_trace_callback(statements.append)
        return connection

    monkeypatch.setattr(sqlite_source, "connect_read_only", traced)
    return statements


def test_sqlite_newest_of_texts_without_dates_asks_a_few_queries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Epoch seconds stored as text ('1767225600'): each step of the newest timestamp's
    # search excluded one such text alone, a query per row (20,000 rows: 23 s; a million
    # never ended), where the answer is that none is a time.
    path = tmp_path / "epoch.sqlite"
    stamped_table(
        path,
        [("p", str(1767225600 + index)) for index in range(500)]
        + [("q", "2026-03-01T10:00:00Z"), ("q", "2026-13-01T10:00:00Z")],
    )
    statements = traced_statements(monkeypatch)
    assert run(SQLiteSource(path).newest("p")) is None
    assert run(SQLiteSource(path).newest()) == datetime(2026, 3, 1, 10, tzinfo=UTC)
    assert len(statements) < 40


def test_sqlite_newest_below_many_dates_without_a_time_reads_them_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Go's time.String() ('2026-02-03 10:00:00 +0000 UTC'), no time the core reads: the
    # search stepped below one such date per query, each a scan of a table without an
    # index on its timestamps (a year of them, 500,000 rows: 37 s).
    path = tmp_path / "go.sqlite"
    rows = [("p", f"2026-02-{day:02d} 10:00:00 +0000 UTC") for day in range(1, 29)]
    rows += [
        ("p", "2026-01-30T23:00:00Z"),
        ("p", "2026-01-31T00:30:00+02:00"),  # (the text of a later date, an earlier time)
        ("p", "2026-01-29T23:59:00-23:59"),  # (an earlier date's text, the newest time)
        ("p", "2026-01-20T10:00:00Z"),
    ]
    stamped_table(path, rows)
    statements = traced_statements(monkeypatch)
    newest = datetime(2026, 1, 30, 23, 58, tzinfo=UTC)
    assert run(SQLiteSource(path).newest("p")) == newest
    assert run(SQLiteSource(path).newest()) == newest
    assert len(statements) < 60


def test_sqlite_newest_reads_text_no_date_places(tmp_path: Path) -> None:
    source = SQLiteSource(sqlite_with_unplaceable_rows(tmp_path / "runs.sqlite"))
    assert run(source.newest("p")) == datetime(2026, 3, 3, 13, tzinfo=UTC)  # " 2026-..."
    assert run(source.newest("q")) is None
    assert run(source.newest()) == datetime(2026, 3, 3, 13, tzinfo=UTC)


@pytest.mark.parametrize(
    ("table", "column"), [("runs{x}", "timestamp"), ("runs", "at{0}"), ("t{what}", "at{}")]
)
def test_sqlite_newest_of_names_with_braces(tmp_path: Path, table: str, column: str) -> None:
    # Its SQL went through `str.format`, which read the braces of the table's and
    # columns' names as its own: a KeyError (a traceback out of the CLI's default window)
    # or another query ('near ""')"": syntax error').
    path = tmp_path / "runs.sqlite"
    spec = TableSpec(table=table, columns={"timestamp": column, "agent": "by{1}"})
    write_executions_sync(path, [{"pattern_id": "p", "timestamp": NOW, "agent": "a"}], spec)
    source = SQLiteSource(path, spec)
    assert run(source.newest("p")) == run(source.newest()) == NOW
    fetched = run(source.fetch("p", START, NOW))
    assert fetched.data.column("agent").to_pylist() == ["a"]


@pytest.mark.parametrize("stamp", ["0001-01-01T10:00:00Z", "0001-01-02T10:00:00+01:00"])
def test_sqlite_newest_in_the_first_days_of_the_calendar(tmp_path: Path, stamp: str) -> None:
    # Two days before them is before the calendar: the texts from there are all texts.
    path = tmp_path / "runs.sqlite"
    write_executions_sync(path, [{"pattern_id": "p", "timestamp": stamp}])
    assert run(SQLiteSource(path).newest("p")) == datetime_of(parse_timestamp(stamp) or 0)


@pytest.mark.parametrize(("kind", "arrow"), [*FILE_KINDS, ("sqlite", True)])
def test_records_without_a_pattern_id_are_counted_and_located(
    tmp_path: Path, kind: str, arrow: bool
) -> None:
    """`fetch_all` leaves them out (missing or blank, they belong to no pattern);
    `unattributed` says how many there are and where the first is, so that a caller can
    report them."""
    if kind == "sqlite":
        source: ExecutionSource = SQLiteSource(
            sqlite_with_unplaceable_rows(tmp_path / "runs.sqlite")
        )
        first = "the row with rowid 12 (timestamp NULL)"  # the earliest, NULL first
    else:
        rows: list[dict[str, Any]] = [
            {"pattern_id": "p", "timestamp": NOW},
            {"pattern_id": "p", "timestamp": NOW},
            {"pattern_id": None, "timestamp": NOW, "agent": "a"},
            {"pattern_id": "q", "timestamp": NOW},
            {"timestamp": NOW},
            {"pattern_id": " ", "timestamp": NOW},
        ]
        source = make_source(tmp_path, kind, arrow, rows)
        first = {"parquet": "row 3", "csv": "line 4", "jsonl": "line 3"}[kind]
    # (And the first one's place in a file's order of records, the third; a database
    # has none.)
    row = None if kind == "sqlite" else 2
    assert run(source.unattributed()) == Unattributed(3, first, row)
    assert [group.pattern_id for group in run(source.fetch_all(START, NOW))] == ["p", "q"]
    if kind != "sqlite":  # (every record with a pattern: none to report)
        named = make_source(tmp_path, kind, arrow, [rows[0], rows[3]])
        assert run(named.unattributed()) == Unattributed(0)


@pytest.mark.parametrize(("kind", "arrow"), [*FILE_KINDS, ("sqlite", True)])
def test_first_record_is_the_sources_first_of_the_pattern_or_of_any(
    tmp_path: Path, kind: str, arrow: bool
) -> None:
    rows: list[dict[str, Any]] = [
        # (No pattern: skipped. SQLite's trim() took the tab and no-break space for an id.)
        {"pattern_id": "\t\xa0", "timestamp": NOW, "agent": "nobody"},
        {"pattern_id": "b", "timestamp": NOW - timedelta(hours=1), "agent": "first"},
        {"pattern_id": "a", "timestamp": NOW - timedelta(hours=2), "agent": "second"},
        {"pattern_id": "b", "timestamp": NOW - timedelta(hours=3), "agent": "third"},
    ]
    source = make_source(tmp_path, kind, arrow, rows)

    def agent(fetched: Any) -> str:
        data = fetched.data
        return str(data.column("agent")[0].as_py() if hasattr(data, "column") else data[0]["agent"])

    first = run(source.first_record())
    assert (first.pattern_id, first.count, agent(first)) == ("b", 1, "first")
    assert len(first.data) == 1  # (one record, not the pattern's two)
    of_a = run(source.first_record("a"))
    assert (of_a.pattern_id, agent(of_a)) == ("a", "second")
    if kind != "sqlite":
        assert of_a.locate(0) == ("row 3" if kind == "parquet" else f"line {3 + (kind == 'csv')}")
    with pytest.raises(UnknownPatternError):
        run(source.first_record("nope"))


def test_whitespace_is_what_python_strips() -> None:
    # The databases' trim() is given these characters to find the ids no_pattern finds.
    assert "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()) == WHITESPACE
    assert no_pattern(WHITESPACE)


def test_file_without_pattern_ids_has_no_unattributed_records(tmp_path: Path) -> None:
    source = make_source(tmp_path, "csv", True, [{"timestamp": NOW}, {"timestamp": NOW}])
    assert run(source.unattributed()) == Unattributed(0)


def test_sqlite_table_and_columns_are_configurable_and_quoted(tmp_path: Path) -> None:
    spec = TableSpec(
        table='runs "of" patterns',
        columns={"pattern_id": "pattern", "timestamp": "started at", "agent": "user"},
    )
    rows = demo_rows()
    path = tmp_path / "custom.db"
    write_executions_sync(path, rows, spec)
    source = SQLiteSource(path, spec)
    assert run(fetch_result(source, GROWING)) == api_document(in_window(rows), GROWING)
    with sqlite3.connect(path) as connection:
        names = [
            row[1]
            for row in connection.execute(f"PRAGMA table_info({quote_identifier(spec.table)})")
        ]
    assert {"pattern", "started at", "user"} <= set(names)


def test_pattern_ids_are_values_never_sql(tmp_path: Path) -> None:
    rows = [{"pattern_id": "x' OR '1'='1", "timestamp": NOW}, {"pattern_id": "y", "timestamp": NOW}]
    source = SQLiteSource(write_source(tmp_path, "sqlite", rows))
    assert run(source.fetch("x' OR '1'='1", START, NOW)).count == 1
    with pytest.raises(UnknownPatternError):
        run(source.fetch("' OR 1=1 --", START, NOW))


# ----------------------------------------------------------------------- pattern ids


@pytest.mark.parametrize(("kind", "arrow"), [*FILE_KINDS, ("sqlite", True)])
def test_uuid_pattern_ids_match_whatever_their_spelling(
    tmp_path: Path, kind: str, arrow: bool
) -> None:
    """Stored in the spellings systems write, a UUID is one pattern: `fetch` with any of
    them gives what `fetch_all` groups under the canonical form."""
    uuid = UUID(GROWING)
    spellings = [
        GROWING,
        GROWING.upper(),
        "{" + GROWING + "}",
        uuid.hex.upper(),
        uuid.urn,
        uuid.urn.upper(),  # (grouped apart before: UUID() reads "urn:uuid:" in lower case)
        "URN:UUID:" + GROWING,
        "urn:uuid:" + GROWING.upper(),
    ]
    rows = [row for row in demo_rows() if row["pattern_id"] == GROWING]
    for index, row in enumerate(rows):
        row["pattern_id"] = spellings[index % len(spellings)]
    source = make_source(tmp_path, kind, arrow, rows)
    expected = len(in_window(rows)) if kind == "sqlite" else len(rows)
    for wanted in spellings:
        assert run(source.fetch(wanted, START, NOW)).count == expected, wanted
    (group,) = run(source.fetch_all(START, NOW))
    assert (group.pattern_id, group.count) == (GROWING, expected)


@pytest.mark.parametrize(("kind", "arrow"), [*FILE_KINDS, ("sqlite", True)])
def test_fetch_finds_every_stored_id_fetch_all_groups_under_it(
    tmp_path: Path, kind: str, arrow: bool
) -> None:
    """Padded ids and UUIDs in mixed case are grouped under their stripped, canonical
    form; `fetch` (analyze) must find them all, as `fetch_all` (the dashboard) counts
    them: an indexed `IN` of the usual spellings missed them."""
    mixed = "".join(c.upper() if i % 2 else c for i, c in enumerate(GROWING))
    spellings = ["checkout", " checkout", "checkout  ", GROWING, mixed, f" {GROWING.upper()} "]
    when = [NOW - timedelta(hours=hour + 1) for hour in range(len(spellings))]
    rows = [
        {"pattern_id": spelling, "timestamp": stamp, "success": True}
        for spelling, stamp in zip(spellings, when, strict=True)
    ]
    source = make_source(tmp_path, kind, arrow, rows)
    groups = {group.pattern_id: group.count for group in run(source.fetch_all(START, NOW))}
    assert groups == {"checkout": 3, GROWING: 3}
    for wanted in ("checkout", " checkout ", GROWING, mixed):
        expected = groups[wanted.strip().lower()]
        assert run(source.fetch(wanted, START, NOW)).count == expected, wanted
        assert run(source.newest(wanted)) is not None


def test_sqlite_fetch_of_more_spellings_than_bound_variables(tmp_path: Path) -> None:
    # 1,200 paddings of one id: past the 999 asked for as bound variables (SQLite allows
    # 32,766 by default), they go as one JSON array, an int and a quote kept as they are.
    spellings = [" " * lead + 'p"\\' + " " * trail for lead in range(40) for trail in range(30)]
    when = NOW - timedelta(hours=1)
    rows = [{"pattern_id": spelling, "timestamp": when} for spelling in spellings]
    source = make_source(tmp_path, "sqlite", True, rows)
    assert run(source.fetch('p"\\', START, NOW)).count == 1_200
    assert run(source.newest(' p"\\ ')) == when
    # A blob among them has no JSON form: refused by what it is, not as malformed JSON.
    with sqlite3.connect(tmp_path / "runs.sqlite") as connection:
        connection.execute(
            "INSERT INTO pattern_executions (pattern_id, timestamp) VALUES (?, ?)",
            (b'p"\\', format_utc(when)),
        )
    connection.close()
    with pytest.raises(SourceError, match=r"^too many stored spellings of one pattern id, some"):
        run(source.fetch('p"\\', START, NOW))


def test_sqlite_int_ids_and_their_text_are_one_pattern_for_fetch(tmp_path: Path) -> None:
    # An untyped column keeps 7 and '7' apart; `fetch_all` groups both as "7".
    path = tmp_path / "runs.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE pattern_executions (pattern_id, timestamp, success)")
        connection.executemany(
            "INSERT INTO pattern_executions VALUES (?, ?, 1)",
            [(7, "2026-03-01T10:00:00Z"), ("7", "2026-03-01T11:00:00Z"), (8, "2026-03-01T12:00Z")],
        )
    source = SQLiteSource(path)
    groups = {group.pattern_id: group.count for group in run(source.fetch_all(START, NOW))}
    assert groups == {"7": 2, "8": 1}
    assert run(source.fetch("7", START, NOW)).count == 2


@pytest.mark.parametrize(("kind", "arrow"), [*FILE_KINDS, ("sqlite", True)])
def test_unknown_pattern_names_the_known_ones(tmp_path: Path, kind: str, arrow: bool) -> None:
    source = make_source(tmp_path, kind, arrow, demo_rows())
    with pytest.raises(UnknownPatternError, match=r"no records with pattern_id 'nope'.*and 1 more"):
        run(source.fetch("nope", START, NOW))
    with pytest.raises(UnknownPatternError, match="'nope'"):
        run(source.newest("nope"))


#: Stored ids of two patterns, each spelt twice, beside blank ids that belong to none.
SPELT_IDS = ["", "  ", " p ", "p", str(UUID(int=7)).upper(), str(UUID(int=7))]


@pytest.mark.parametrize(("kind", "arrow"), [*FILE_KINDS, ("sqlite", True)])
def test_unknown_pattern_lists_the_patterns_not_the_stored_ids(
    tmp_path: Path, kind: str, arrow: bool
) -> None:
    # The list named blank ids (", ,"), padded ones and each spelling of a UUID, where
    # the dashboard of the same records shows two patterns.
    rows = [{"pattern_id": id_, "timestamp": NOW} for id_ in SPELT_IDS]
    source = make_source(tmp_path, kind, arrow, rows)
    assert sorted(group.pattern_id for group in run(source.fetch_all(START, NOW))) == [
        "00000000-0000-0000-0000-000000000007",
        "p",
    ]
    with pytest.raises(UnknownPatternError) as raised:
        run(source.fetch("nope", START, NOW))
    assert str(raised.value).endswith("(it has: 00000000-0000-0000-0000-000000000007, p)"), (
        raised.value
    )


def test_unknown_pattern_lists_sqlite_ids_as_their_patterns(tmp_path: Path) -> None:
    # 7 and '7' are one pattern, and a blob one by its text: listed as "7, 7" and "b'q'".
    path = tmp_path / "runs.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE pattern_executions (pattern_id, timestamp, success)")
        connection.executemany(
            "INSERT INTO pattern_executions VALUES (?, '2026-03-01T10:00:00Z', 1)",
            [(7,), ("7",), (b"q",), (b"",)],
        )
    with pytest.raises(UnknownPatternError, match=r"\(it has: 7, q\)$"):
        run(SQLiteSource(path).fetch("nope", START, NOW))


def test_known_patterns_keys_each_stored_id_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # An unknown pattern's error lists the patterns of every distinct stored id: keyed
    # twice each (`no_pattern` keys too), a table of a million distinct UUIDs spent 5.5 s
    # in the list, twice what the keys take.
    keyed: list[Any] = []
    pattern_key = sources_base.pattern_key

    def counted(value: Any) -> str:
        keyed.append(value)
        return pattern_key(value)

    monkeypatch.setattr(sources_base, "pattern_key", counted)
    stored = [None, "", "  ", " p ", str(UUID(int=7)).upper(), b"q", 7]
    assert sources_base.known_patterns(stored) == [
        "00000000-0000-0000-0000-000000000007",
        "7",
        "p",
        "q",
    ]
    assert keyed == stored[1:]


@pytest.mark.parametrize(("kind", "arrow"), [("csv", True), ("jsonl", False), ("parquet", True)])
def test_file_without_pattern_ids_belongs_to_any_pattern(
    tmp_path: Path, kind: str, arrow: bool
) -> None:
    rows = [{k: v for k, v in row.items() if k != "pattern_id"} for row in demo_rows()[:50]]
    source = make_source(tmp_path, kind, arrow, rows)
    assert run(source.fetch("anything", START, NOW)).count == 50
    with pytest.raises(SourceError, match="no pattern_id column"):
        run(source.fetch_all(START, NOW))


@pytest.mark.parametrize("kind", ["csv", "jsonl", "parquet"])
def test_file_columns_can_be_mapped_to_record_fields(tmp_path: Path, kind: str) -> None:
    rows = demo_rows()
    renamed = [
        {
            {"timestamp": "when", "success": "ok", "agent": "user"}.get(key, key): value
            for key, value in row.items()
        }
        | {"agent": "ignored"}
        for row in rows
    ]
    path = write_source(tmp_path, kind, renamed)
    spec = TableSpec(columns={"timestamp": "when", "success": "ok", "agent": "user"})
    for arrow in (True, False) if kind != "parquet" else (True,):
        source = FileSource(path, spec, arrow=arrow)
        assert run(fetch_result(source, GROWING)) == api_document(rows, GROWING)


@pytest.mark.parametrize("kind", ["csv", "jsonl", "parquet"])
def test_one_file_column_can_feed_two_record_fields(tmp_path: Path, kind: str) -> None:
    # The last mapping of a column used to win: "no column 'kind'" for the first field.
    rows = demo_rows()
    renamed = [
        {"kind" if key == "context_type" else key: value for key, value in row.items()}
        for row in rows
    ]
    path = write_source(tmp_path, kind, renamed)
    spec = TableSpec(columns={"context_type": "kind", "project": "kind"})
    expected = [{**row, "project": row["context_type"]} for row in rows]
    for arrow in (True, False) if kind != "parquet" else (True,):
        source = FileSource(path, spec, arrow=arrow)
        assert run(fetch_result(source, GROWING)) == api_document(expected, GROWING)


@pytest.mark.parametrize("kind", ["csv", "jsonl", "parquet", "sqlite"])
@pytest.mark.parametrize("column", ["agent", "pattern_id"])
def test_a_fields_own_column_mapped_to_another_field_feeds_both(
    tmp_path: Path, kind: str, column: str
) -> None:
    # `project=agent` dropped the agents of files (JSON Lines: silently), and
    # `project=pattern_id` their pattern ids: every record was any pattern's, or a
    # KeyError; a database's column fed both fields.
    rows = demo_rows()
    path = write_source(tmp_path, kind, rows)
    spec = TableSpec(columns={"project": column})
    expected = [{**row, "project": row[column]} for row in rows]
    if kind == "sqlite":  # (the window's records)
        database = SQLiteSource(path, spec)
        assert run(fetch_result(database, GROWING)) == api_document(in_window(expected), GROWING)
        return
    for arrow in (True,) if kind == "parquet" else (True, False):
        source = FileSource(path, spec, arrow=arrow)
        assert run(fetch_result(source, GROWING)) == api_document(expected, GROWING)


def test_a_csv_header_repeating_a_column_names_that_column(tmp_path: Path) -> None:
    path = tmp_path / "runs.csv"
    path.write_text("pattern_id,timestamp,started_at,started_at\np,x,2026-03-01,2026-03-01\n")
    source = FileSource(path, TableSpec(columns={"timestamp": "started_at"}), arrow=False)
    with pytest.raises(SourceError, match="header names column\\(s\\) 'started_at' more than"):
        run(source.fetch("p", START, NOW))


@pytest.mark.parametrize("separator", [";", "\t", "|"])
def test_a_csv_of_another_separator_says_so(tmp_path: Path, separator: str) -> None:
    # One column named after the whole header: "no record has a valid timestamp".
    path = tmp_path / "runs.csv"
    path.write_text(separator.join(["pattern_id", "timestamp"]) + "\np" + separator + "x\n")
    for arrow in (True, False):
        with pytest.raises(SourceError, match=re.escape(f"separated by {separator!r}?")):
            run(FileSource(path, arrow=arrow).fetch("p", START, NOW))


def test_uuid_bytes_are_uuids_whatever_their_bytes(tmp_path: Path) -> None:
    # 16 bytes that happen to be UTF-8 text were that text in Parquet (by the other ids),
    # and a SQLite blob was "b'...'".
    ascii_id = UUID(bytes=b"abcdefghijklmnop")
    table = pa.table(
        {
            "pattern_id": pa.array([ascii_id.bytes], pa.binary(16)),
            "timestamp": pa.array([NOW], pa.timestamp("us", tz="UTC")),
        }
    )
    # Parquet's UUID type is read back as the `arrow.uuid` extension, whose stored bytes
    # a cast to text took as text.
    stored = pa.ExtensionArray.from_storage(pa.uuid(), table.column("pattern_id").chunk(0))
    for ids, name in ((table, "bytes"), (table.set_column(0, "pattern_id", stored), "uuid")):
        path = tmp_path / f"{name}.parquet"
        pq.write_table(ids, path)
        groups = run(FileSource(path).fetch_all(START, NOW))
        assert [group.pattern_id for group in groups] == [str(ascii_id)]
        assert run(FileSource(path).fetch(str(ascii_id), START, NOW)).count == 1
    path = tmp_path / "runs.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE pattern_executions (pattern_id, timestamp)")
        connection.execute(
            "INSERT INTO pattern_executions VALUES (?, '2026-03-03T10:00:00Z')", (ascii_id.bytes,)
        )
    connection.close()
    groups = run(SQLiteSource(path).fetch_all(START, NOW))
    assert [group.pattern_id for group in groups] == [str(ascii_id)]
    assert run(SQLiteSource(path).fetch(str(ascii_id), START, NOW)).count == 1


def test_sqlite_columns_differ_by_case_only_in_ascii(tmp_path: Path) -> None:
    # SQLite folds ASCII case alone: "Ä" and "ä" are two columns, which were one here.
    path = tmp_path / "runs.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute('CREATE TABLE pattern_executions (pattern_id, timestamp, "Ä", "ä")')
        connection.execute(
            "INSERT INTO pattern_executions VALUES ('p', '2026-03-03T10:00:00Z', 'UPPER', 'lower')"
        )
    connection.close()
    fetched = run(SQLiteSource(path, TableSpec(columns={"agent": "Ä"})).fetch("p", START, NOW))
    distribution = analyse(fetched.data, "p").context_distribution
    assert distribution is not None
    assert distribution.by_agent == {"UPPER": 1}


@pytest.mark.parametrize("kind", ["csv", "jsonl", "parquet"])
def test_a_mapped_column_without_values_is_a_column(tmp_path: Path, kind: str) -> None:
    # An empty column of a file with a header is there ("no column 'score'" before), and
    # so is a JSON key that every line holds as null.
    rows = [{**row, "score": None} for row in demo_rows()]
    path = write_source(tmp_path, kind, rows)
    if kind == "jsonl":
        assert '"score": null' in path.read_text().splitlines()[0]
    spec = TableSpec(columns={"quality_score": "score"})
    without = [{k: v for k, v in row.items() if k != "quality_score"} for row in rows]
    for arrow in (True, False) if kind != "parquet" else (True,):
        source = FileSource(path, spec, arrow=arrow)
        assert run(fetch_result(source, GROWING)) == api_document(without, GROWING)
    with pytest.raises(SourceError, match="no column 'nope' \\(mapped to the record field 'agent'"):
        run(FileSource(path, TableSpec(columns={"agent": "nope"})).fetch(GROWING, START, NOW))


def test_a_parquet_column_is_mapped_by_its_exact_name(tmp_path: Path) -> None:
    # (CSV header names are stripped by its readers; Parquet's are not.)
    path = tmp_path / "spaced.parquet"
    pq.write_table(pa.table({"timestamp": ["2026-03-01T10:00:00Z"], "kind ": ["alpha"]}), path)
    with pytest.raises(SourceError, match="no column 'kind'"):
        FileSource(path, TableSpec(columns={"context_type": "kind"})).read()
    table = FileSource(path, TableSpec(columns={"context_type": "kind "})).read().data
    assert table.column("context_type").to_pylist() == ["alpha"]


# ------------------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("description", "error", "fragment"),
    [
        ("missing.parquet", SourceUnavailableError, "no such file"),
        ("missing.csv", SourceUnavailableError, "no such file"),
        ("missing.sqlite", SourceUnavailableError, "no such file"),
        ("sqlite:///missing.db", SourceUnavailableError, "no such file"),
        (".", SourceUnavailableError, "is a directory without record files"),
        (
            "runs.xlsx",
            UnsupportedSourceError,
            "unsupported file type ('.xlsx': a spreadsheet: save it as CSV, comma-separated)",
        ),
        ("mysql://host/db", UnsupportedSourceError, "unsupported URL scheme 'mysql://'"),
        ("sqlite://relative.db", UnsupportedSourceError, "bad SQLite URL"),
        ("postgresql://host:port/db", UnsupportedSourceError, "bad PostgreSQL URL"),
    ],
)
def test_unusable_sources_give_clear_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, description: str, error: type, fragment: str
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(error, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        run(open_source(description).newest())


def test_file_source_errors_name_the_file_and_the_reason(tmp_path: Path) -> None:
    def error_of(call: Callable[[], Any]) -> str:
        with pytest.raises(SourceError) as raised:
            call()
        return str(raised.value)

    other = tmp_path / "runs.xlsx"
    assert error_of(lambda: FileSource(other)) == (
        f"{other}: unsupported file type ('.xlsx': a spreadsheet: save it as CSV, "
        "comma-separated); use .csv, .jsonl, .ndjson, .parquet, .pq "
        "(also compressed: .bz2, .gz, .xz, .zst), a SQLite file (.db, .db3, .sqlite, .sqlite3), "
        "- for standard input or a postgresql:// URL"
    )
    bare = tmp_path / "runs"
    assert error_of(lambda: FileSource(bare)).startswith(f"{bare}: unsupported file type (no ext")
    missing, folder = tmp_path / "missing.csv", tmp_path / "folder.jsonl"
    folder.mkdir()
    assert FileSource(missing).description == str(missing)
    assert error_of(lambda: run(FileSource(missing).newest())) == f"{missing}: no such file"
    # (A directory is read as a dataset of record files, whatever its name.)
    assert error_of(lambda: run(FileSource(folder).newest())).startswith(
        f"{folder}: is a directory without record files"
    )
    nested = tmp_path / "nested.parquet"
    pq.write_table(pa.table({"pattern_id": [[1]], "timestamp": ["2026-03-01"]}), nested)
    assert error_of(lambda: run(FileSource(nested).newest())) == (
        f"{nested}: column 'pattern_id' holds list<element: int64> values; "
        "pattern ids are strings or integers"
    )
    text = tmp_path / "text.parquet"
    text.write_text("hello", encoding="utf-8")
    assert error_of(lambda: run(FileSource(text).newest())).startswith(
        f"{text}: not a readable Parquet file (Could not open Parquet input source"
    )
    for kind, arrow in FILE_KINDS:
        path = write_source(tmp_path, kind, [{"timestamp": "2026-03-01T10:00:00Z"}])
        mapped = FileSource(path, TableSpec(columns={"agent": "who"}), arrow=arrow)
        # (Files with a header or a schema list their columns, as a database its table's.)
        columns = "" if kind == "jsonl" else "; columns: timestamp"
        assert error_of(lambda: run(mapped.newest())) == (  # noqa: B023 (called at once)
            f"{path}: no column 'who' (mapped to the record field 'agent'{columns})"
        )
        assert error_of(lambda: run(FileSource(path, arrow=arrow).fetch_all(START, NOW))) == (  # noqa: B023
            f"{path} has no pattern_id column, so its records cannot be told apart by pattern "
            "(analyze them with --pattern NAME)"
        )
    empty = tmp_path / "empty.csv"
    for content, arrow in itertools.product(("pattern_id,timestamp\n", ""), (True, False)):
        empty.write_text(content, encoding="utf-8")  # (a header alone, or no byte at all)
        source = FileSource(empty, arrow=arrow)
        assert error_of(lambda: run(source.newest())) == f"{empty} holds no records"  # noqa: B023
        assert error_of(lambda: run(source.fetch_all(START, NOW))) == f"{empty} holds no records"  # noqa: B023
        assert error_of(lambda: run(source.fetch("p", START, NOW))) == (  # noqa: B023
            f"no records with pattern_id 'p' in {empty} (it holds no records)"
        )


@pytest.mark.parametrize("arrow", [True, False])
@pytest.mark.parametrize(
    ("line", "shown"),
    [
        ("null", "null"),
        ("true", "a boolean true"),
        ("7", "a number 7"),
        ("-1.5e3", "a number -1500.0"),
        ('"2026-03-01"', 'a string "2026-03-01"'),
        ("[1, [2]]", "an array [1, [2]]"),
        ('"' + "é" * 50 + '"', 'a string "' + "é" * 38 + "…"),
    ],
)
def test_a_json_line_that_is_no_object_is_named_by_its_type_and_text(
    tmp_path: Path, arrow: bool, line: str, shown: str
) -> None:
    path = tmp_path / "runs.jsonl"
    path.write_text('{"pattern_id": "p", "timestamp": "2026-03-01"}\n\n' + line + "\n", "utf-8")
    with pytest.raises(SourceError) as raised:
        run(FileSource(path, arrow=arrow).fetch("p", START, NOW))
    assert str(raised.value) == f"{path}, line 3: expected a JSON object, got {shown}"


@pytest.mark.parametrize("arrow", [True, False])
def test_a_csv_header_repeating_columns_no_field_reads_is_read(tmp_path: Path, arrow: bool) -> None:
    # (A spreadsheet's export names its empty columns "", each one.)
    path = tmp_path / "runs.csv"
    path.write_text(
        "pattern_id,notes,timestamp,,notes,\np,a,2026-03-01T10:00:00Z,,b,\n", encoding="utf-8"
    )
    fetched = run(FileSource(path, arrow=arrow).fetch("p", START, NOW))
    assert analyse(fetched.data, "p").usage_metrics.total_executions == 1


def test_the_record_readers_errors_name_the_file_line_and_reason(tmp_path: Path) -> None:
    def error_of(path: Path, arrow: bool | None = None) -> str:
        """The error of reading `path` by `read_records` (arrow None) or a FileSource."""

        def read() -> Any:
            if arrow is None:
                return read_records(path)
            return run(FileSource(path, arrow=arrow).fetch("p", START, NOW))

        with pytest.raises(SourceError) as raised:
            read()
        return str(raised.value)

    missing, folder = tmp_path / "missing.jsonl", tmp_path / "folder.csv"
    folder.mkdir()
    assert error_of(missing) == f"{missing}: no such file"
    assert error_of(folder) == f"{folder}: is a directory, not a record file"
    other, bare = tmp_path / "runs.txt", tmp_path / "runs"
    assert error_of(other) == f"{other}: unsupported file type ('.txt'); use .csv, .jsonl, .ndjson"
    assert (
        error_of(bare) == f"{bare}: unsupported file type (no extension); use .csv, .jsonl, .ndjson"
    )
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"pattern_id": "p", "timestamp": "2026-03-01"}\n{"p\n', encoding="utf-8")
    for arrow in (None, True, False):
        assert error_of(broken, arrow) == (
            f"{broken}, line 2: not valid JSON: Unterminated string starting at (column 2)"
        )
    with pytest.raises(UnsupportedSourceError) as raised:
        save_records(other, [])
    assert str(raised.value) == (
        f"{other}: unsupported file type ('.txt'); use .csv, .jsonl, .ndjson, .parquet"
    )
    runs = tmp_path / "runs.csv"
    runs.write_bytes(b"pattern_id,timestamp\np,2026-03-01T10:00:00Z\np\xff,2026-03-01\n")
    for arrow in (None, True, False):
        assert error_of(runs, arrow) == f"{runs}, line 3: not UTF-8 text"
    runs.write_bytes(b"pattern_id,timestamp,caf\xe9\np,2026-03-01T10:00:00Z,x\n")  # (Latin-1)
    for arrow in (None, True, False):
        assert error_of(runs, arrow) == f"{runs}, line 1: not UTF-8 text"
    # A quote left open in a row whose earlier cell spans lines: located where it opens.
    runs.write_text(
        'pattern_id,agent,timestamp,project\np,"two\nlines",2026-03-01T10:00:00Z,"open\n'
        "p,b,2026-03-01T11:00:00Z,x\n",
        encoding="utf-8",
    )
    for arrow in (None, True, False):
        assert error_of(runs, arrow) == (
            f"{runs}, line 3: malformed CSV: a quote is left open (its cell runs to the end "
            "of the file, line 4)"
        )
    lines = tmp_path / "runs.jsonl"
    for pattern_id, reason in (
        ('{"a": 1}', "pattern_id must be a string or a number, got an object"),
        ('["p"]', "pattern_id must be a string or a number, got a list"),
        ('"p\\ud800"', "pattern_id 'p\\ud800' is not valid UTF-8 text"),
    ):
        lines.write_text(
            '{"pattern_id": "p", "timestamp": "2026-03-01"}\n'
            f'{{"pattern_id": {pattern_id}, "timestamp": "2026-03-01"}}\n',
            encoding="utf-8",
        )
        for arrow in (None, True, False):
            assert error_of(lines, arrow) == f"{lines}, line 2: {reason}"


@pytest.mark.parametrize("arrow", [True, False])
def test_csv_line_breaks_inside_quotes_are_kept_as_written(tmp_path: Path, arrow: bool) -> None:
    # (Read with universal newlines, a quoted \r\n became \n in the standard reader alone.)
    path = tmp_path / "runs.csv"
    path.write_bytes(
        b'pattern_id,timestamp,agent\r\np,2026-03-01T10:00:00Z,"a\r\nb\rc"\r\np,bad,x\r\n'
    )
    fetched = run(FileSource(path, arrow=arrow).fetch("p", START, NOW))
    result = analyse(fetched.data, "p", on_invalid="skip")
    assert result.context_distribution is not None
    assert dict(result.context_distribution.by_agent) == {"a\r\nb\rc": 1}
    assert fetched.locate(1) == "line 5"  # (a lone \r ends a line too)


def test_a_column_mapped_to_its_own_name_needs_no_key_in_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "runs.jsonl"
    path.write_text('{"pattern_id": "p", "timestamp": "2026-03-01T10:00:00Z"}\n', "utf-8")
    for arrow in (True, False):
        source = FileSource(path, TableSpec(columns={"agent": "agent"}), arrow=arrow)
        assert run(source.fetch("p", START, NOW)).count == 1


@pytest.mark.parametrize("arrow", [True, False])
def test_a_csv_of_one_column_is_read(tmp_path: Path, arrow: bool) -> None:
    # (A header of one column is refused only where it holds another separator.)
    path = tmp_path / "runs.csv"
    path.write_text("timestamp\n2026-03-01T10:00:00Z\n2026-03-01T11:00:00Z\n", encoding="utf-8")
    fetched = run(FileSource(path, arrow=arrow).fetch("p", START, NOW))
    assert analyse(fetched.data, "p").usage_metrics.total_executions == 2


def test_a_groups_positions_are_its_rows_only(tmp_path: Path) -> None:
    # (An Arrow array reads negative indices too: -1 gave a row of another group.)
    rows = [{"pattern_id": name, "timestamp": NOW} for name in ("p", "q", "p")]
    groups = run(make_source(tmp_path, "parquet", True, rows).fetch_all(START, NOW))
    assert [(group.pattern_id, group.count) for group in groups] == [("p", 2), ("q", 1)]
    position = groups[0].position
    assert position is not None
    assert [position(0), position(1)] == [0, 2]
    for outside in (-1, 2):
        with pytest.raises(IndexError, match=f"row {outside} of 2"):
            position(outside)


def test_sqlite_executions_table_has_its_named_indexes_once(tmp_path: Path) -> None:
    # Named after the table (another table's in one file keep theirs), and made once:
    # `IF NOT EXISTS` finds them by those names.
    path = tmp_path / "runs.sqlite"
    spec = TableSpec(table="runs")
    for _ in range(2):
        write_executions_sync(path, [{"pattern_id": "p", "timestamp": NOW}], spec)
    with sqlite3.connect(path) as connection:
        indexes = connection.execute(
            "SELECT name, sql LIKE '%WHERE NOT%' FROM sqlite_master WHERE type = 'index' "
            "ORDER BY name"
        ).fetchall()
    connection.close()
    assert indexes == [("runs_pattern_time", 0), ("runs_unplaced", 1)]


def test_sqlite_write_executions_awaited_writes_and_replaces(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    spec = TableSpec(table="runs", columns={"timestamp": "at"})
    times = [NOW - timedelta(hours=hour) for hour in (3, 2, 1)]
    rows = [{"pattern_id": "p", "timestamp": time} for time in times]
    source = SQLiteSource(path, spec)
    assert run(write_executions(path, rows[:2], spec)) == 2
    assert run(write_executions(path, rows[2:], spec)) == 1  # (added)
    assert run(source.fetch("p", START, NOW)).count == 3
    assert run(write_executions(path, rows[2:], spec, replace=True)) == 1
    fetched = run(source.fetch("p", START, NOW))
    assert fetched.data.column("timestamp").to_pylist() == [format_utc(times[2])]


def test_sqlite_groups_beside_rows_of_blank_ids_are_their_own_rows(tmp_path: Path) -> None:
    # Rows of blank ids, which no group takes, sort before the others: the groups' rows
    # are then no run from the first row, and must not be read as one ...
    rows = [
        {"pattern_id": name, "timestamp": NOW - timedelta(hours=hour), "agent": agent}
        for name, hour, agent in ((" ", 3, "nobody"), ("a", 2, "ann"), ("b", 1, "bo"))
    ]
    groups = run(make_source(tmp_path, "sqlite", True, rows).fetch_all(START, NOW))
    assert [(group.pattern_id, group.data.column("agent").to_pylist()) for group in groups] == [
        ("a", ["ann"]),
        ("b", ["bo"]),
    ]
    stamp = format_utc(NOW - timedelta(hours=1))
    assert groups[1].locate(0) == f"the row with rowid 3 (timestamp {stamp!r})"
    # ... and after them (U+3000, an ideographic space, sorts after the letters): the
    # table of all the groups' rows leaves them out.
    rows[0]["pattern_id"] = "\u3000"
    (tmp_path / "after").mkdir()
    groups = run(make_source(tmp_path / "after", "sqlite", True, rows).fetch_all(START, NOW))
    assert [(group.pattern_id, group.data.column("agent").to_pylist()) for group in groups] == [
        ("a", ["ann"]),
        ("b", ["bo"]),
    ]
    assert groups[0].together is not None
    assert groups[0].together.column("agent").to_pylist() == ["ann", "bo"]


@pytest.mark.parametrize("name", ["runs.csv", "runs.jsonl"])  # (Parquet: "not readable")
@pytest.mark.parametrize("reader", ["pyarrow", "standard"])
def test_a_file_that_fails_to_read_is_one_clear_error(
    tmp_path: Path, name: str, reader: str
) -> None:
    # Reading /proc/self/mem from its start fails with EIO (even for root, unlike a file
    # without read permission): the reader's OSError escaped as a traceback.
    path = tmp_path / name
    path.symlink_to("/proc/self/mem")
    source = FileSource(path, arrow=reader == "pyarrow")
    with pytest.raises(SourceUnavailableError) as raised:
        run(source.newest())
    assert str(raised.value) == f"{path}: cannot read: Input/output error"


def test_not_a_sqlite_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("just text, no database" * 100, encoding="utf-8")
    with pytest.raises(SourceError, match="not a SQLite database"):
        run(SQLiteSource(path).newest())
    # A database whose pages are damaged past its header: SQLite's word, "malformed".
    path = tmp_path / "damaged.db"
    write_executions_sync(path, [{"pattern_id": "p", "timestamp": NOW}] * 200)
    damaged = bytearray(path.read_bytes())
    damaged[4096:8192] = b"\xff" * 4096  # (its second page: the table's rows)
    path.write_bytes(bytes(damaged))
    expected = f"{path}: not a SQLite database (database disk image is malformed)"
    with pytest.raises(SourceError, match="^" + re.escape(expected)):
        run(SQLiteSource(path).fetch("p", START, NOW))


def test_sqlite_missing_table_lists_the_tables(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE events (id INTEGER)")
    with pytest.raises(SourceError, match=r"no table 'pattern_executions' \(tables: events\)"):
        run(SQLiteSource(path).fetch("p", START, NOW))


def test_sqlite_missing_required_column_lists_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE pattern_executions (pattern_id TEXT, ts TEXT)")
    with pytest.raises(SourceError, match=r"no column 'timestamp'.*columns: pattern_id, ts"):
        run(SQLiteSource(path).fetch("p", START, NOW))
    mapped = SQLiteSource(path, TableSpec(columns={"timestamp": "ts", "agent": "who"}))
    with pytest.raises(SourceError, match="no column 'who' for the record field 'agent'"):
        run(mapped.fetch("p", START, NOW))


def test_sqlite_a_pattern_id_holding_a_lone_surrogate_is_an_unknown_pattern(
    tmp_path: Path,
) -> None:
    # No stored text holds one; bound, it raised UnicodeEncodeError (a file's said "no
    # records").
    path = tmp_path / "ids.db"
    stamped_table(path, [("p", "2026-03-01T10:00:00Z")])
    source = SQLiteSource(path)
    named = re.escape("pattern_id 'a\\udc80b'")
    with pytest.raises(UnknownPatternError, match=named):
        run(source.fetch("a\udc80b", START, NOW))
    with pytest.raises(UnknownPatternError, match=named):
        run(source.newest("a\udc80b"))
    with pytest.raises(UnknownPatternError, match=named):
        run(source.first_record("a\udc80b"))


def test_sqlite_missing_column_spelled_otherwise_is_offered_as_a_mapping(tmp_path: Path) -> None:
    # A `pattern id` column was listed among the columns, the user left to find --column.
    path = tmp_path / "spelled.db"
    with sqlite3.connect(path) as connection:
        connection.execute('CREATE TABLE pattern_executions ("pattern id" TEXT, timestamp TEXT)')
        connection.execute("INSERT INTO pattern_executions VALUES ('p', '2026-03-01T10:00:00Z')")
    with pytest.raises(SourceError) as raised:
        run(SQLiteSource(path).fetch("p", START, NOW))
    assert str(raised.value) == (
        f"table 'pattern_executions' in {path} has no column 'pattern_id' for the record "
        "field 'pattern_id' (columns: pattern id, timestamp); to read the column 'pattern id' "
        "as 'pattern_id', map it: --column 'pattern_id=pattern id' (TableSpec's columns "
        "{'pattern_id': 'pattern id'})"
    )
    # The mapping offered reads the table.
    mapped = SQLiteSource(path, TableSpec(columns={"pattern_id": "pattern id"}))
    assert len(run(mapped.fetch("p", START, NOW)).data) == 1


def test_sqlite_a_mapping_missing_the_fields_own_column_says_to_drop_it(tmp_path: Path) -> None:
    # It offered "map it: --column 'pattern_id=pattern_id'".
    path = tmp_path / "own.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE pattern_executions (pattern_id TEXT, timestamp TEXT)")
    mapped = SQLiteSource(path, TableSpec(columns={"pattern_id": "pid"}))
    with pytest.raises(SourceError) as raised:
        run(mapped.fetch("p", START, NOW))
    assert str(raised.value).endswith(
        "(columns: pattern_id, timestamp); the table has the column 'pattern_id': drop the "
        "mapping to 'pid'"
    )


def test_sqlite_two_columns_spelling_a_missing_field_are_listed_not_chosen(
    tmp_path: Path,
) -> None:
    path = tmp_path / "twice.db"
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE pattern_executions "
            '(pattern_id TEXT, "Time Stamp" TEXT, "time-stamp" TEXT)'
        )
    with pytest.raises(SourceError) as raised:
        run(SQLiteSource(path).fetch("p", START, NOW))
    assert str(raised.value).endswith("(columns: pattern_id, Time Stamp, time-stamp)")


def test_sqlite_table_without_optional_columns_reads_them_as_missing(tmp_path: Path) -> None:
    path = tmp_path / "lean.db"
    stamped_table(path, [("p", "2026-03-01T10:00:00Z")])
    result = analyse(run(SQLiteSource(path).fetch("p", START, NOW)).data, "p")
    assert result.usage_metrics.total_executions == 1
    assert result.success_metrics.failure_count == 1  # no success column: missing = failure


def test_not_a_parquet_file(tmp_path: Path) -> None:
    path = tmp_path / "fake.parquet"
    path.write_text("pattern_id,timestamp\n", encoding="utf-8")
    with pytest.raises(SourceError, match="not a readable Parquet file"):
        run(FileSource(path).newest())


def test_empty_file_holds_no_records(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("", encoding="utf-8")
    with pytest.raises(UnknownPatternError, match="holds no records"):
        run(FileSource(path).fetch("p", START, NOW))
    with pytest.raises(SourceError, match="holds no records"):
        run(FileSource(path).fetch_all(START, NOW))


def test_table_spec_rejects_unknown_fields_and_parses_options() -> None:
    with pytest.raises(ValueError, match="unknown record field"):
        TableSpec(columns={"when": "started_at"})
    spec = TableSpec.from_options("analytics.runs", ["timestamp=started_at", " agent = user "])
    assert (spec.schema, spec.table) == ("analytics", "runs")
    assert spec.columns == {"timestamp": "started_at", "agent": "user"}
    assert spec.qualified == '"analytics"."runs"'
    with pytest.raises(ValueError, match="FIELD=COLUMN"):
        TableSpec.from_options(None, ["timestamp"])


def test_without_pyarrow_text_and_sqlite_work_and_parquet_names_the_extra(
    tmp_path: Path,
) -> None:
    """A fresh install has no pyarrow: CSV, JSON Lines and SQLite still give the numbers;
    Parquet says which extra to install."""
    rows = demo_rows()
    for kind in ("csv", "sqlite"):
        write_source(tmp_path, kind, rows)
    pq.write_table(pa.table({"timestamp": [NOW]}), tmp_path / "runs.parquet")
    script = f"""
import asyncio, json, sys
sys.modules["pyarrow"] = None  # as if not installed
from datetime import datetime, timedelta
from usage_analytics.sources import open_source, MissingDependencyError
from usage_analytics import (
    InvalidRecordError,
    ModelUsageAnalyticsInput,
    NodeUsageAnalyticsReducer,
)
end = datetime.fromisoformat("{NOW.isoformat()}")
out = {{}}
for name in ("runs.csv", "runs.sqlite"):
    source = open_source(r"{tmp_path}/" + name)
    fetched = asyncio.run(source.fetch("{GROWING}", end - timedelta(days=30), end))
    assert isinstance(fetched.data, list), type(fetched.data)
    result = NodeUsageAnalyticsReducer().execute_reduction_sync(ModelUsageAnalyticsInput(
        pattern_id="{GROWING}", time_window_start=end - timedelta(days=30), time_window_end=end,
        time_window_type="monthly", execution_data=fetched.data))
    out[name] = result.usage_metrics.total_executions
try:
    asyncio.run(open_source(r"{tmp_path}/runs.parquet").newest())
except MissingDependencyError as error:
    out["parquet"] = str(error)
print(json.dumps(out))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    expected = len(in_window(records_of(rows, GROWING)))
    assert out["runs.csv"] == out["runs.sqlite"] == expected
    assert out["parquet"] == (
        "reading Parquet files needs pyarrow: pip install 'usage-analytics[arrow]'"
    )


def test_one_source_serves_concurrent_tasks(tmp_path: Path) -> None:
    rows = demo_rows()
    sources = [
        make_source(tmp_path, "sqlite", True, rows),
        make_source(tmp_path, "csv", True, rows),
    ]
    reducer = NodeUsageAnalyticsReducer()

    async def all_of(source: ExecutionSource) -> list[int]:
        async def one(pattern_id: str) -> int:
            fetched = await source.fetch(pattern_id, START, NOW)
            contract = ModelUsageAnalyticsInput(
                pattern_id=pattern_id,
                time_window_start=START,
                time_window_end=NOW,
                execution_data=fetched.data,
            )
            return (await reducer.execute_reduction(contract)).usage_metrics.total_executions

        return list(await asyncio.gather(*(one(p) for p in PATTERN_IDS * 3)))

    expected = [len(in_window(records_of(rows, p))) for p in PATTERN_IDS * 3]
    for source in sources:
        assert run(all_of(source)) == expected


def _fetched_all(path: Path) -> list[tuple[str, bool, Any, list[str]]]:
    """Each group's key, whether its data is a table, its records, and their places."""
    groups = run(SQLiteSource(path).fetch_all(START, NOW))
    return [
        (
            g.pattern_id,
            isinstance(g.data, pa.Table),
            g.data.to_pylist() if isinstance(g.data, pa.Table) else _rows(g.data),
            [g.locate(i) for i in range(g.count)],
        )
        for g in groups
    ]


@pytest.mark.parametrize("clean", [True, False], ids=["table", "records"])
def test_sqlite_fetch_all_read_in_batches_equals_one_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean: bool
) -> None:
    # The rows are read a batch at a time into columns (`FETCH_ROWS`); ids that sort
    # apart in SQL but are one pattern (" b" and "b"), blank ids between them and an
    # unplaced timestamp make the groups' rows no single run of the fetched ones.
    path = tmp_path / "batches.sqlite"
    ids = ["b", " b", "a", " ", "c", "a"]
    rows = [
        (
            ids[i % len(ids)],
            "not a time" if i == 7 else f"2026-03-0{1 + i % 2}T{i % 24:02d}:00:00Z",
            i % 3 != 0 if clean else ("maybe", 0, 1)[i % 3],
            f"agent-{i % 4}",
            float(i),
        )
        for i in range(40)
    ]
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE pattern_executions "
            "(pattern_id TEXT, timestamp TEXT, success, agent TEXT, execution_time_ms REAL)"
        )
        connection.executemany("INSERT INTO pattern_executions VALUES (?, ?, ?, ?, ?)", rows)
    connection.close()
    whole = _fetched_all(path)
    monkeypatch.setattr(sqlite_columns, "FETCH_ROWS", 3)
    assert _fetched_all(path) == whole
    # (One table of all but "b", whose "maybe"s make it a dict of lists: `OddCells`.)
    assert [(key, table) for key, table, _, _ in whole] == [("a", True), ("b", clean), ("c", True)]
    assert len(whole[1][2]) == 14  # " b" and "b": 7 rows each
    assert "the row with rowid 8 (timestamp 'not a time')" in whole[1][3]


def test_sqlite_pattern_keys_key_an_id_not_listed_too() -> None:
    # (An id a writer added between the listing of the ids and the reading of the rows.)
    keys = sqlite_columns.PatternKeys([" a ", 7])
    assert list(keys.items()) == [(" a ", "a"), (7, "7")]
    assert keys[" b "] == "b"
    assert keys[7.0] == "7"  # (equal in Python, as in SQLite: one id)
    assert list(keys) == [" a ", 7, " b "]


def test_sqlite_text_columns_share_one_object_per_value_in_a_batch() -> None:
    cursor = sqlite3.connect(":memory:").execute(
        "SELECT 'agent-' || (value % 2), 'x' || value FROM json_each('[1, 2, 3, 4]')"
    )
    agents, unique = sqlite_columns.column_values([cursor], 2, {0})
    assert agents == ["agent-1", "agent-0", "agent-1", "agent-0"]
    assert agents[0] is agents[2]
    assert unique == ["x1", "x2", "x3", "x4"]


def test_sqlite_a_locked_database_of_a_named_schema_is_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only a schema SQLite does not know makes "no attached database": other failures of
    # reading the table's columns are themselves (here, a writer's lock).
    path = write_source(tmp_path, "sqlite", [{"pattern_id": "p", "timestamp": NOW}])

    def locked(connection: sqlite3.Connection, spec: TableSpec) -> Any:
        raise sqlite3.OperationalError("database is locked")

    source = SQLiteSource(path, TableSpec(table="pattern_executions", schema="main"))
    assert [group.count for group in run(source.fetch_all(START, NOW))] == [1]
    monkeypatch.setattr(sqlite_source, "_table_columns", locked)
    with pytest.raises(SourceUnavailableError, match="the database is locked: another"):
        run(source.fetch("p", START, NOW))


def test_sqlite_a_locked_database_is_unavailable_not_a_failed_query(tmp_path: Path) -> None:
    # A writer holding its lock past the connection's 5 s wait made "query failed:
    # database is locked" (exit 1, as bad data); it is a source unavailable for now.
    path = tmp_path / "locked.sqlite"
    sqlite3.connect(path).close()

    def work(connection: sqlite3.Connection) -> None:
        raise sqlite3.OperationalError("database is locked")

    with pytest.raises(SourceUnavailableError, match="the database is locked: another"):
        SQLiteSource(path)._with_connection(work)


def test_sqlite_fetch_all_of_ids_alternating_in_sql_order_is_linear(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "a" and "A" of a NOCASE column sort together, so ORDER BY pid, timestamp alternates
    # them: each group is one range per row. Its rows were read by index through every
    # range before them (without pyarrow, or where the rows make no one table): 8,000
    # rows took 2 s, 40,000 took 25 s.
    path = tmp_path / "alternating.sqlite"
    count = 40_000
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE pattern_executions (pattern_id TEXT COLLATE NOCASE, timestamp TEXT)"
        )
        connection.executemany(
            "INSERT INTO pattern_executions VALUES (?, ?)",
            (
                ("aA"[i % 2], f"2026-03-01T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z")
                for i in range(count)
            ),
        )
    connection.close()
    for module in (sqlite_source, sqlite_columns, sqlite_native):  # (they build tables)
        monkeypatch.setattr(module, "load_pyarrow", lambda: None)
    started = time.perf_counter()
    groups = run(SQLiteSource(path).fetch_all(START, NOW))
    assert time.perf_counter() - started < 10  # (about 0.3 s)
    assert [(g.pattern_id, g.count) for g in groups] == [("A", count // 2), ("a", count // 2)]
    assert groups[0].data[-1]["timestamp"] == "2026-03-01T11:06:39Z"  # the last row
    assert groups[0].locate(count // 2 - 1) == (
        f"the row with rowid {count} (timestamp '2026-03-01T11:06:39Z')"
    )


@pytest.mark.parametrize("kind", ["parquet", "csv", "jsonl"])
def test_a_closed_file_source_keeps_none_of_the_file(tmp_path: Path, kind: str) -> None:
    # close() released nothing: a source kept after its `async with` held the whole
    # file's table (13 MB of a 1M-row Parquet file, 25 MB of its CSV) for as long as it
    # lived, and answered later calls from that copy.
    import gc
    import weakref

    path = write_source(tmp_path, kind, records_of(demo_rows(), GROWING))
    source = FileSource(path)

    async def fetched_then_closed() -> weakref.ref[Any]:
        async with source:
            await source.fetch(GROWING, START, NOW)
            loaded = source._loaded
            assert loaded is not None
            return weakref.ref(loaded.data)

    table = run(fetched_then_closed())
    gc.collect()
    assert table() is None
    path.unlink()  # (read again: the file's records are gone)
    with pytest.raises(SourceUnavailableError, match="no such file"):
        run(source.fetch(GROWING, START, NOW))


def test_closing_a_file_source_does_not_wait_for_its_read_nor_keep_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # close() waited for a read under way: a command interrupted while it read its file
    # (its clean-up closes the source) hung until the read ended.
    import threading

    path = write_source(tmp_path, "jsonl", records_of(demo_rows(), GROWING))
    source = FileSource(path)
    reading, release = threading.Event(), threading.Event()
    read = FileSource.read

    def slow_read(self: FileSource) -> Any:
        reading.set()
        release.wait(30)
        return read(self)

    monkeypatch.setattr(FileSource, "read", slow_read)

    async def close_during_a_read() -> Fetched:
        fetch = asyncio.ensure_future(source.fetch(GROWING, START, NOW))
        await asyncio.to_thread(reading.wait, 30)
        await asyncio.wait_for(source.close(), timeout=5)  # (hung before)
        release.set()
        return await fetch

    fetched = run(close_during_a_read())
    assert fetched.count > 0  # (the read still answers its caller)
    assert source._loaded is None  # (but a closed source keeps none of it)


def test_a_close_from_another_thread_between_a_calls_check_and_its_use(tmp_path: Path) -> None:
    # A call found the file kept, then read `_loaded` again to return it: a close() from
    # another thread (another event loop's) in between made it None, and the call failed
    # with an AttributeError of None. Here that close lands right after the check.
    path = write_source(tmp_path, "jsonl", records_of(demo_rows(), GROWING))

    class ClosedBetween(FileSource):
        closing = False

        @property
        def _loaded(self) -> Any:
            loaded = self.__dict__.get("kept")
            if loaded is not None and self.closing:
                self.closing = False
                self.__dict__["kept"] = None  # (another thread's close(), once)
            return loaded

        @_loaded.setter
        def _loaded(self, loaded: Any) -> None:
            self.__dict__["kept"] = loaded

    source = ClosedBetween(path)
    expected = run(source.fetch(GROWING, START, NOW)).count
    source.closing = True
    assert run(source.fetch(GROWING, START, NOW)).count == expected


def test_a_file_is_read_once_whatever_cancels_or_loops_its_callers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Its load was under an asyncio.Lock: a cancelled caller (a timeout) released it while
    # the read went on, so the next call read the file again beside it; and the lock
    # bound the source to the first event loop that waited on it.
    path = tmp_path / "runs.csv"
    path.write_text("pattern_id,timestamp\np,2026-03-01T10:00:00Z\n")
    source = FileSource(path)
    reads: list[int] = []
    read = source.read

    def slow_read() -> Any:
        reads.append(1)
        time.sleep(0.3)
        return read()

    monkeypatch.setattr(source, "read", slow_read)

    async def many() -> list[int]:
        done = await asyncio.gather(*(source.fetch("p", START, NOW) for _ in range(3)))
        return [fetched.count for fetched in done]

    async def cancelled_then_many() -> list[int]:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(source.fetch("p", START, NOW), 0.05)
        return await many()

    assert asyncio.run(cancelled_then_many()) == [1, 1, 1]
    assert asyncio.run(many()) == [1, 1, 1]  # (another event loop, the same source)
    assert reads == [1]


# ------------------------------------------------------------------------- writing files


def numeric_scalar_rows() -> list[dict[str, Any]]:
    """Records holding numpy's and Decimal's scalars, as records built from a numpy
    array or a pandas frame do: the library reads each as the number or flag it holds."""
    return [
        {
            "pattern_id": "p",
            "timestamp": datetime(2026, 2, 3, 10, tzinfo=UTC),
            "success": np.bool_(True),
            "execution_time_ms": np.int64(1500),
            "quality_score": np.float64(0.25),
            "quality_gates_passed": np.bool_(False),
            "timeout": np.False_,
        },
        {
            "pattern_id": "p",
            "timestamp": datetime(2026, 2, 4, 10, tzinfo=UTC),
            "success": False,
            "execution_time_ms": np.float32(0.5),
            "quality_score": Decimal("0.75"),
        },
    ]


@pytest.mark.parametrize("kind", ["csv", "jsonl", "parquet", "sqlite"])
def test_saved_numpy_and_decimal_scalars_read_back_as_the_library_reads_them(
    tmp_path: Path, kind: str
) -> None:
    # JSON Lines wrote them as strings ("1500", "True"), CSV wrote numpy 2's float repr
    # ("np.float64(0.25)"), and Parquet refused them: invalid records, or no file. SQLite
    # (`write_executions`) stored numpy's as blobs of their bytes, b'\x01' for True, and
    # refused a Decimal.
    rows = numeric_scalar_rows()
    expected = api_document(rows, "p")
    assert expected["data_quality"]["invalid_records"] == 0
    assert expected["performance_metrics"]["total_execution_time_ms"] == 1500.5
    assert expected["success_metrics"]["avg_quality_score"] == 0.5
    for arrow in (True, False) if kind in ("csv", "jsonl") else (True,):
        source = make_source(tmp_path, kind, arrow, rows)
        assert run(fetch_result(source, "p")) == expected
    if kind == "parquet":  # (datetimes: a column of UTC timestamps, not their text)
        schema = pq.read_schema(tmp_path / "runs.parquet")
        assert schema.field("timestamp").type == pa.timestamp("us", tz="UTC")


@pytest.mark.parametrize(
    ("field", "value", "why"),
    [
        ("pattern_id", None, "field 'pattern_id' is missing, and the table requires it"),
        ("timestamp", None, "field 'timestamp' is missing, and the table requires it"),
        ("agent", ["a"], "field 'agent' = ['a']: type 'list' is not supported"),
        (
            "execution_time_ms",
            2**64,
            "= 18446744073709551616: Python int too large to convert to SQLite INTEGER",
        ),
        (
            "agent",
            "\ud800",
            "field 'agent' = '\\ud800': 'utf-8' codec can't encode character '\\ud800' in "
            "position 0: surrogates not allowed",
        ),
        # A flag the table's INTEGER column would make of another value (invalid in the
        # library and as the CSV writer's cell), read back as valid: `sqlite3` wrote it.
        *(
            (
                field,
                value,
                f"= {shown}: the INTEGER column would store it as the flag {flag}, "
                "which the record does not hold",
            )
            for field, value, shown, flag in [
                ("success", 1.0, "1.0", 1),
                ("timeout", np.float64(0.0), "0.0", 0),  # (as the float it is)
                ("quality_gates_passed", "1.0", "'1.0'", 1),
                ("success", " +0e0 ", "' +0e0 '", 0),
            ]
        ),
    ],
)
def test_sqlite_writes_refuse_a_value_naming_record_field_and_value(
    tmp_path: Path, field: str, value: Any, why: str
) -> None:
    # SQLite's words named neither ("NOT NULL constraint failed: ...", "Error binding
    # parameter 9: ..."); an int past 64 bits or a lone surrogate was a bare OverflowError
    # or UnicodeEncodeError.
    rows = [{"pattern_id": "p", "timestamp": NOW} for _ in range(3)]
    rows[1][field] = value
    path = tmp_path / "runs.sqlite"
    with pytest.raises(SourceError) as refused:
        write_executions_sync(path, rows)
    assert str(refused.value) == f"{path}: cannot write the executions: record 1: " + (
        why if why.startswith("field") else f"field {field!r} {why}"
    )
    with sqlite3.connect(path) as connection:  # (nothing written: one transaction)
        assert connection.execute("SELECT count(*) FROM pattern_executions").fetchone() == (0,)
    connection.close()


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_a_saved_numpy_array_is_written_as_its_text(tmp_path: Path, kind: str) -> None:
    # An array has a dtype as numpy's scalars do: taken for one, `int()` of it raised
    # TypeError out of save_records, where the field was written as its text before.
    rows = [
        {"pattern_id": "p", "timestamp": "2026-02-03T10:00:00Z", "tags": np.array([1, 2])},
        {"pattern_id": "p", "timestamp": "2026-02-04T10:00:00Z", "tags": np.array([7])},
    ]
    path = write_source(tmp_path, kind, rows)
    if kind == "csv":
        assert path.read_text(encoding="utf-8") == (
            "pattern_id,timestamp,tags\np,2026-02-03T10:00:00Z,[1 2]\np,2026-02-04T10:00:00Z,[7]\n"
        )
    else:
        assert [json.loads(line)["tags"] for line in path.read_text().splitlines()] == [
            "[1 2]",
            "[7]",
        ]


def test_saved_parquet_flags_written_as_integers_stay_integers(tmp_path: Path) -> None:
    # (As SQLite stores them: the library reads 0 and 1 as flags, and 2 as invalid.)
    rows = [
        {"pattern_id": "p", "timestamp": "2026-02-03T10:00:00Z", "success": 1, "timeout": 0},
        {"pattern_id": "p", "timestamp": "2026-02-04T10:00:00Z", "success": 2, "timeout": None},
    ]
    expected = api_document(rows, "p", on_invalid="skip")
    assert expected["data_quality"]["invalid_records"] == 1
    path = write_source(tmp_path, "parquet", rows)
    assert pq.read_schema(path).field("success").type == pa.int64()
    fetched = run(FileSource(path).fetch("p", START, NOW))
    document = analyse(fetched.data, "p", on_invalid="skip").to_dict()
    assert comparable(document) == expected


@pytest.mark.parametrize(
    ("field", "value", "holds"),
    [
        ("execution_time_ms", True, "numbers"),
        ("quality_score", "0.5", "numbers"),
        ("success", 1.0, "flags (booleans or integers)"),
        ("success", "yes", "flags (booleans or integers)"),
        ("agent", 5, "text"),
    ],
)
def test_a_value_a_parquet_column_cannot_hold_is_refused_by_record_and_field(
    tmp_path: Path, field: str, value: Any, holds: str
) -> None:
    # A number column took True as 1.0, silently valid where the library calls the record
    # invalid; the other values failed in pyarrow, naming neither record nor field.
    rows = [
        {"pattern_id": "p", "timestamp": "2026-02-01T10:00:00Z", field: None},
        {"pattern_id": "p", "timestamp": "2026-02-02T10:00:00Z", field: value},
    ]
    path = tmp_path / "runs.parquet"
    with pytest.raises(SourceError) as raised:
        save_records(path, rows)
    assert str(raised.value) == (
        f"{path}: record 1 has {field} {value!r}, which a Parquet column of {holds} "
        "cannot hold (JSON Lines keeps it as it is)"
    )
    assert not path.exists()


def test_saved_text_files_hold_each_value_as_written_here(tmp_path: Path) -> None:
    india = timezone(timedelta(hours=5, minutes=30))
    rows = [
        {
            "agent": 'a, "b"',
            "timestamp": datetime(2026, 2, 3, 10, 0, 0, 5, tzinfo=india),
            "success": True,
            "execution_time_ms": 0.1,
            "pattern_id": "p",
            "notes": 7,
        },
        {"pattern_id": "p", "timestamp": datetime(2026, 2, 4), "success": False, "timeout": None},
    ]
    save_records(tmp_path / "runs.csv", rows)
    # Record fields first, in their order, then the others by name.
    assert (tmp_path / "runs.csv").read_bytes().decode() == (
        "pattern_id,timestamp,success,execution_time_ms,timeout,agent,notes\r\n"
        'p,2026-02-03T10:00:00.000005+05:30,true,0.1,,"a, ""b""",7\r\n'
        "p,2026-02-04T00:00:00,false,,,,\r\n"
    )
    save_records(tmp_path / "runs.ndjson", rows)
    save_records(tmp_path / "runs.jsonl", rows)
    lines = (tmp_path / "runs.jsonl").read_text(encoding="utf-8").splitlines()
    assert (tmp_path / "runs.ndjson").read_bytes() == (tmp_path / "runs.jsonl").read_bytes()
    ndjson = read_records(tmp_path / "runs.ndjson")  # (the standard reader's, by extension)
    assert (ndjson.records, ndjson.locations) == ([json.loads(line) for line in lines], [1, 2])
    assert (tmp_path / "runs.jsonl").read_text(encoding="utf-8").splitlines() == [
        '{"agent": "a, \\"b\\"", "timestamp": "2026-02-03T10:00:00.000005+05:30", "success": '
        'true, "execution_time_ms": 0.1, "pattern_id": "p", "notes": 7}',
        '{"pattern_id": "p", "timestamp": "2026-02-04T00:00:00", "success": false, '
        '"timeout": null}',
    ]
