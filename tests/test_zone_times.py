"""Datetimes in a `zoneinfo.ZoneInfo` zone take their UTC offset from their local hour
(`rust/zone_hours.rs`): the same microsecond Python's own `utcoffset()` gives each one,
around transitions, at times the clocks show twice (either fold) or never, in zones of
odd offsets. Each record is a pattern of one batch (`instants.py`)."""

from __future__ import annotations

import importlib.util
import io
import itertools
import struct
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import TZPATH, ZoneInfo, available_timezones

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from instants import hours_before_end, hours_before_end_of
from usage_analytics import ModelUsageAnalyticsBatchInput, NodeUsageAnalyticsReducer
from zones import offset_changes

ZONES = [
    "America/New_York",
    "Europe/Berlin",
    "Europe/Dublin",  # (its summer time is the standard one: a negative "DST")
    "Europe/Amsterdam",  # +00:19:32 until 1937
    "Australia/Lord_Howe",  # half an hour of summer time
    "Asia/Kathmandu",  # +05:45
    "Pacific/Chatham",  # +12:45 and +13:45
    "Pacific/Apia",  # skipped 2011-12-30
    "America/St_Johns",  # -03:30
    "Africa/Casablanca",  # an hour back each Ramadan
]
YEARS = [1937, 1971, 2011, 2016, 2025, 2140]  # (2140: the zones' rules, past tzdata's table)
NAIVE_EPOCH = datetime(1970, 1, 1)


def python_micros(stamp: datetime) -> int:
    """The instant Python names: its local time less its `utcoffset()`."""
    offset = stamp.utcoffset()
    assert offset is not None
    return (stamp.replace(tzinfo=None) - NAIVE_EPOCH - offset) // timedelta(microseconds=1)


@cache
def transitions(zone: str, year: int) -> list[datetime]:
    """The UTC hours of `year` at which `zone`'s offset changes (hour by hour)."""
    tz = ZoneInfo(zone)
    hours = [datetime(year, 1, 1, tzinfo=UTC) + timedelta(hours=h) for h in range(8_760)]
    offsets = [hour.astimezone(tz).utcoffset() for hour in hours]
    return [hours[i] for i in range(1, len(hours)) if offsets[i] != offsets[i - 1]]


@st.composite
def zone_times(draw: st.DrawFn) -> datetime:
    """A local time in one of `ZONES`, within three hours of a transition where its year
    has one, of either fold."""
    zone, year = draw(st.sampled_from(ZONES)), draw(st.sampled_from(YEARS))
    tz, anchors = ZoneInfo(zone), transitions(zone, year)
    if anchors:
        anchor = draw(st.sampled_from(anchors)).astimezone(tz).replace(tzinfo=None)
        wall = anchor + timedelta(
            microseconds=draw(st.integers(-3 * 3600 * 10**6, 3 * 3600 * 10**6))
        )
    else:
        wall = datetime(year, 1, 1) + timedelta(
            microseconds=draw(st.integers(0, 364 * 86_400 * 10**6))
        )
    return wall.replace(tzinfo=tz, fold=draw(st.integers(0, 1)))


@settings(max_examples=80, deadline=None)
@given(st.lists(zone_times(), min_size=1, max_size=60))
def test_a_zone_datetime_is_the_instant_python_names(stamps: list[datetime]) -> None:
    expected = [hours_before_end_of(python_micros(stamp)) for stamp in stamps]
    assert hours_before_end(stamps) == expected


def test_an_hour_a_transition_cuts_is_read_time_by_time() -> None:
    # Lord Howe's clocks go back from 02:00 to 01:30: with fold=1, 01:10 is still summer
    # time (+11) and 01:40 the second 01:40 (+10:30); the hour's ends differ.
    tz = ZoneInfo("Australia/Lord_Howe")
    stamps = [
        datetime(2025, 4, 6, 1, minute, tzinfo=tz, fold=fold)
        for minute in (10, 40)
        for fold in (0, 1)
    ]
    utc = [stamp.astimezone(UTC) for stamp in stamps]
    assert [u.strftime("%H:%M") for u in utc] == ["14:10", "14:10", "14:40", "15:10"]
    assert hours_before_end(stamps) == [hours_before_end_of(python_micros(s)) for s in stamps]


def test_a_zone_subclass_is_asked_for_every_datetime() -> None:
    # (its offsets may change within an hour: here by a minute per minute)
    class Drifting(ZoneInfo):
        def utcoffset(self, dt: datetime | None) -> timedelta | None:
            offset = super().utcoffset(dt)
            return None if offset is None or dt is None else offset + timedelta(minutes=dt.minute)

    tz = Drifting("Europe/Berlin")
    stamps = [datetime(2026, 3, 1, 12, minute, tzinfo=tz) for minute in (0, 1, 30, 59)]
    assert hours_before_end(stamps) == [hours_before_end_of(python_micros(s)) for s in stamps]


def test_the_same_hours_in_several_zones_and_folds_in_one_call() -> None:
    # (the cache is keyed by zone, hour and fold: none answers for another)
    stamps = [
        datetime(2025, 11, 2, 1, 30, tzinfo=ZoneInfo(zone), fold=fold)
        for zone in ("America/New_York", "America/Chicago", "Europe/Berlin")
        for fold in (0, 1, 0)
    ]
    micros = [python_micros(s) for s in stamps]
    # New York's two folds at 05:30 and 06:30 UTC, Chicago's at 06:30 and 07:30, Berlin's
    assert len(set(micros)) == 4
    assert hours_before_end(stamps) == [hours_before_end_of(m) for m in micros]


def _zone_file(key: str) -> Path | None:
    for directory in TZPATH:
        if (Path(directory) / key).is_file():
            return Path(directory) / key
    tzdata = importlib.util.find_spec("tzdata")  # (zoneinfo's fallback, a test dependency)
    if tzdata is None or tzdata.origin is None:
        return None
    path = Path(tzdata.origin).parent / "zoneinfo" / key
    return path if path.is_file() else None


def test_every_zone_changes_its_offset_hours_apart_at_least() -> None:
    # What `rust/zone_hours.rs` relies on: an hour whose ends have one offset has it
    # throughout. A change shows on the clock at its instant plus the offset before it
    # (fold 0) or after it (fold 1): two changes are hours apart on the clock, whichever
    # offsets. (The rules for years past a zone's table change it twice a year.)
    gaps = []
    for key in sorted(available_timezones()):
        path = _zone_file(key)
        if path is not None:
            for (t1, *first), (t2, *second) in itertools.pairwise(offset_changes(path)):
                wall = min(t2 + b - (t1 + a) for a in first for b in second)
                gaps.append((wall, key, t1))
    assert len(gaps) > 1_000
    assert min(gaps)[0] >= 2 * 3600, min(gaps)


def _tzif(changes: list[tuple[datetime, int]], footer: bytes) -> bytes:
    """A version 2 TZif file (RFC 8536) of a zone at +00 that takes each offset (seconds)
    at its UTC instant, then follows the POSIX TZ string `footer`. (Its version 1 table
    is an empty one, as readers of version 2 skip it.)"""
    offsets = [0, *(offset for _, offset in changes)]
    kinds = list(dict.fromkeys(offsets))
    names = b"".join(b"Z%d\0" % i for i in range(len(kinds)))  # (4 bytes each)
    header = b"TZif2" + bytes(15)
    v1 = header + struct.pack(">6l", 0, 0, 0, 0, 1, 4) + struct.pack(">lBB", 0, 0, 0)
    v2 = header + struct.pack(">6l", 0, 0, 0, len(changes), len(kinds), len(names))
    v2 += b"".join(struct.pack(">q", int(at.timestamp())) for at, _ in changes)
    v2 += bytes(kinds.index(offset) for _, offset in changes)
    v2 += b"".join(struct.pack(">lBB", offset, 0, 4 * i) for i, offset in enumerate(kinds))
    return v1 + b"UTC\0" + v2 + names + b"\n" + footer + b"\n"


def _twice_in_an_hour(offset: int) -> bytes:
    """A zone at +00 that takes `offset` from 12:10 to 12:40 UTC on 2026-03-01: two
    transitions within one hour, whose ends (12:00 and 12:59 local) are both at +00."""
    return _tzif(
        [
            (datetime(2026, 3, 1, 12, 10, tzinfo=UTC), offset),
            (datetime(2026, 3, 1, 12, 40, tzinfo=UTC), 0),
        ],
        b"Z0",
    )


def _hour_of_twice(tz: ZoneInfo) -> list[datetime]:
    return [
        datetime(2026, 3, 1, 12, minute, tzinfo=tz, fold=fold)
        for minute in (0, 5, 15, 30, 45, 59)
        for fold in (0, 1)
    ]


@pytest.mark.parametrize("offset", [3600, -3600])
def test_a_zone_from_a_file_without_a_key_is_asked_for_every_datetime(offset: int) -> None:
    # A file need not keep its transitions days apart as tzdata does: this one has two
    # within an hour whose ends have one offset. Without a key, it is no database zone,
    # and each datetime is read by its own utcoffset(), not its hour's.
    tz = ZoneInfo.from_file(io.BytesIO(_twice_in_an_hour(offset)))
    assert tz.key is None
    stamps = _hour_of_twice(tz)
    utc = [stamp.astimezone(UTC) for stamp in stamps]
    # (+1h: the second 12:15 and 12:30 are an hour early; -1h: the first, an hour late)
    moved = [u for s, u in zip(stamps, utc, strict=True) if u.minute == s.minute and u.hour != 12]
    assert len(moved) == 2
    assert hours_before_end(stamps) == [hours_before_end_of(python_micros(s)) for s in stamps]
    # (and mixed with a database zone's datetimes, of the same local hour, in one call)
    berlin = _hour_of_twice(ZoneInfo("Europe/Berlin"))
    both = [s for pair in zip(stamps, berlin, strict=True) for s in pair]
    assert hours_before_end(both) == [hours_before_end_of(python_micros(s)) for s in both]


def test_a_zone_from_a_file_with_a_key_is_taken_as_a_database_zone() -> None:
    # A key is the caller's word that the file is the database's zone of that name (as
    # `ZoneInfo(key)` reads one): its hours are kept as a database zone's. So the same
    # file with a key reads its hour by the offset at the hour's ends, +00 (what
    # utcoffset() gives is the file's, not a database's, and is not asked).
    tz = ZoneInfo.from_file(io.BytesIO(_twice_in_an_hour(3600)), key="Test/Twice")
    stamps = _hour_of_twice(tz)
    naive_utc = [s.replace(tzinfo=None) - NAIVE_EPOCH for s in stamps]
    assert hours_before_end(stamps) == [
        hours_before_end_of(local // timedelta(microseconds=1)) for local in naive_utc
    ]


def test_a_zone_freed_during_a_call_does_not_lend_its_hours_to_the_next() -> None:
    # Records made as they are read (a mapping's lookups) free each zone with their
    # record; the next record's zone, of another key, may take the freed one's address.
    # The zones kept are held, so that no new one can share a kept one's address.
    files = {key: _zone_file(key) for key in ("Europe/Berlin", "America/New_York", "Asia/Tokyo")}
    data = {key: path.read_bytes() for key, path in files.items() if path is not None}
    keys = list(data) * 20

    class Made(Mapping[str, Any]):
        def __init__(self, i: int) -> None:
            self.i = i

        def __getitem__(self, name: str) -> Any:
            if name == "pattern_id":
                return f"p{self.i}"
            if name == "timestamp":
                key = keys[self.i]  # (with its key: a database zone, whose hours are kept)
                zone = ZoneInfo.from_file(io.BytesIO(data[key]), key=key)
                return datetime(2026, 3, 1, 12, 30, tzinfo=zone)
            raise KeyError(name)

        def __iter__(self) -> Iterator[str]:
            return iter(("pattern_id", "timestamp"))

        def __len__(self) -> int:
            return 2

    batch = ModelUsageAnalyticsBatchInput(
        time_window_start=datetime(2026, 2, 1, tzinfo=UTC),
        time_window_end=datetime(2026, 4, 1, tzinfo=UTC),
        time_window_type="custom",
        execution_data=[Made(i) for i in range(len(keys))],
    )
    results = NodeUsageAnalyticsReducer().execute_batch_reduction_sync(batch).results
    offsets = {"Europe/Berlin": 1, "America/New_York": -5, "Asia/Tokyo": 9}
    end = datetime(2026, 4, 1, tzinfo=UTC)
    expected = [
        (end - datetime(2026, 3, 1, 12, 30, tzinfo=UTC) + timedelta(hours=offsets[k]))
        / timedelta(hours=1)
        for k in keys
    ]
    got = [results[f"p{i}"].usage_metrics.time_since_last_use for i in range(len(keys))]
    assert got == expected
