"""pandas Timestamps in records (`df.to_dict("records")`) are read by the instant they hold
(`rust/pandas_time.rs`), in any unit and zone: the same microseconds (nanoseconds floored)
as the same instant given as a plain UTC datetime. Each record below is its own pattern of
a batch, so each one's `time_since_last_use` shows the microsecond it was read as
(`instants.py`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from instants import END, EPOCH, START, hours_before_end, hours_before_end_of
from usage_analytics import (
    InvalidRecordError,
    ModelUsageAnalyticsBatchInput,
    NodeUsageAnalyticsReducer,
)

REDUCER = NodeUsageAnalyticsReducer()
TICKS_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}
ZONES = [None, "UTC", "America/New_York", "Europe/Berlin", "Asia/Kolkata", "+05:30"]


def timestamp(ticks: int, unit: str, zone: str | None) -> pd.Timestamp:
    """The instant `ticks` `unit`s after the epoch (UTC), as a Timestamp of that unit in
    `zone` (None: naive, which DESIGN.md reads as UTC)."""
    stamp = pd.Timestamp(np.int64(ticks).astype(f"datetime64[{unit}]"))
    return stamp if zone is None else stamp.tz_localize("UTC").tz_convert(zone)


def expected_micros(ticks: int, unit: str) -> int:
    return ticks * 1_000_000 // TICKS_PER_SECOND[unit]  # (floored, as its microsecond field)


def span_of(unit: str) -> tuple[int, int]:
    """The ticks of the window's years (1900-2149) in `unit`."""
    first = (START - EPOCH) // timedelta(seconds=1) * TICKS_PER_SECOND[unit]
    last = (END - EPOCH) // timedelta(seconds=1) * TICKS_PER_SECOND[unit] - 1
    return first, last


@st.composite
def instants(draw: st.DrawFn) -> tuple[int, str, str | None]:
    unit = draw(st.sampled_from(list(TICKS_PER_SECOND)))
    return draw(st.integers(*span_of(unit))), unit, draw(st.sampled_from(ZONES))


@settings(max_examples=60, deadline=None)
@given(st.lists(instants(), min_size=1, max_size=40))
@example([(span_of("ns")[0], "ns", "Asia/Kolkata"), (span_of("s")[1], "s", None)])  # the ends
def test_a_timestamp_is_read_as_the_instant_it_holds(drawn: list[tuple[int, str, Any]]) -> None:
    stamps = [timestamp(ticks, unit, zone) for ticks, unit, zone in drawn]
    expected = [hours_before_end_of(expected_micros(ticks, unit)) for ticks, unit, _ in drawn]
    assert hours_before_end(stamps) == expected


def test_nanoseconds_before_1970_are_floored_to_the_microsecond() -> None:
    # 1959-12-31 23:59:59.9999995: its microsecond field is 999999 (not the next second's 0)
    before = timestamp(-315_619_200_000_000_500, "ns", None)
    after = timestamp(315_619_200_000_000_500, "ns", "UTC")  # 1980-01-01 00:00:00.0000005
    assert (before.microsecond, after.microsecond) == (999_999, 0)
    # (the first one read is checked against its fields: the second is read by its value)
    assert hours_before_end([after, before]) == [
        hours_before_end_of(315_619_200_000_000),
        hours_before_end_of(-315_619_200_000_001),
    ]


def test_the_two_times_a_clock_shows_twice_are_two_instants() -> None:
    # 01:30 on 2025-11-02 in New York, before (EDT) and after (EST) the clocks went back
    first = pd.Timestamp("2025-11-02 01:30").tz_localize("America/New_York", ambiguous=True)
    second = pd.Timestamp("2025-11-02 01:30").tz_localize("America/New_York", ambiguous=False)
    utc = [datetime(2025, 11, 2, 5, 30, tzinfo=UTC), datetime(2025, 11, 2, 6, 30, tzinfo=UTC)]
    assert hours_before_end([first, second]) == hours_before_end(utc)


def test_timestamps_mixed_with_other_times_and_nat() -> None:
    stamps: list[Any] = [
        datetime(2026, 3, 1, 12, tzinfo=UTC),
        pd.Timestamp("2026-03-01 12:00:00.000001", tz="Europe/Berlin"),
        "2026-03-01T12:00:00Z",
        pd.Timestamp("2026-03-01 12:00").as_unit("s"),
    ]
    noon = datetime(2026, 3, 1, 12, tzinfo=UTC)
    plain = [noon, noon - timedelta(hours=1, microseconds=-1), noon, noon]
    assert hours_before_end(stamps) == hours_before_end(plain)
    records = [{"timestamp": pd.Timestamp("2026-03-01", tz="UTC")}, {"timestamp": pd.NaT}]
    with pytest.raises(InvalidRecordError) as raised:
        REDUCER.execute_batch_reduction_sync(
            ModelUsageAnalyticsBatchInput(
                time_window_start=START,
                time_window_end=END,
                time_window_type="custom",
                execution_data=[{"pattern_id": "p", **r} for r in records],
            )
        )
    assert (raised.value.index, raised.value.field, raised.value.reason) == (
        1,
        "timestamp",
        "required field is missing",
    )


def test_an_instant_past_64_bit_microseconds_has_the_attributes_reason() -> None:
    # (a Timestamp of seconds reaches years no datetime has: read through its fields, as
    # before, it is not a valid date-time)
    far = pd.Timestamp(np.datetime64(2**62, "s"))
    assert far.year > 10**11
    with pytest.raises(InvalidRecordError) as raised:
        hours_before_end([pd.Timestamp("2026-03-01"), far])
    assert (raised.value.index, raised.value.reason) == (1, "is not a valid date-time")


def test_timestamps_whose_value_disagrees_with_their_fields_are_read_by_their_fields(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # `_value` is pandas' internal: were its meaning to change, the first Timestamp's check
    # against its fields makes the call read every Timestamp by its fields.
    monkeypatch.setattr(pd.Timestamp, "_value", property(lambda self: 0))
    stamps = [pd.Timestamp("2026-03-01 12:00", tz="UTC"), pd.Timestamp("1999-01-01 00:00")]
    plain = [datetime(2026, 3, 1, 12, tzinfo=UTC), datetime(1999, 1, 1, tzinfo=UTC)]
    assert hours_before_end(stamps) == hours_before_end(plain)


def test_timestamps_without_a_value_are_read_by_their_fields(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # (pandas before 2.0 has no `_value`)
    def missing(self: pd.Timestamp) -> int:
        raise AttributeError("_value")

    monkeypatch.setattr(pd.Timestamp, "_value", property(missing))
    stamps = [pd.Timestamp("2026-03-01 12:00", tz="Asia/Kolkata"), pd.Timestamp("1999-01-01")]
    plain = [datetime(2026, 3, 1, 6, 30, tzinfo=UTC), datetime(1999, 1, 1, tzinfo=UTC)]
    assert hours_before_end(stamps) == hours_before_end(plain)


class _Seasons(tzinfo):
    """+1 h in winter, +2 h from April to September: a tzinfo of none of the zone libraries,
    for which pandas takes one offset (`utcoffset(None)`) for a Timestamp's fields."""

    def utcoffset(self, dt: datetime | None) -> timedelta:
        return timedelta(hours=2 if dt is not None and 4 <= dt.month <= 9 else 1)

    def dst(self, dt: datetime | None) -> timedelta:
        return timedelta(0)

    def tzname(self, dt: datetime | None) -> str:
        return "SEASONS"


@pytest.mark.parametrize("first", ["utc", "seasons"])
def test_a_timestamp_in_a_zone_of_its_own_is_read_by_its_fields(first: str) -> None:
    # Its `_value` and its fields less their `utcoffset()` name instants an hour apart in
    # summer: read by its fields (as before `_value` was read), whichever comes first.
    summer = pd.Timestamp("2026-07-01 12:00", tz="UTC").tz_convert(_Seasons())
    utc = pd.Timestamp("2026-03-01 12:00", tz="UTC")
    by_fields = summer.replace(tzinfo=None) - summer.utcoffset()
    assert by_fields != summer.tz_convert("UTC").replace(tzinfo=None)  # (pandas' own reading)
    stamps = [utc, summer] if first == "utc" else [summer, utc]
    hours = dict(
        zip(
            ["utc", "seasons"] if first == "utc" else ["seasons", "utc"],
            hours_before_end(stamps),
            strict=True,
        )
    )
    assert hours == {
        "utc": hours_before_end([datetime(2026, 3, 1, 12, tzinfo=UTC)])[0],
        "seasons": hours_before_end([by_fields.replace(tzinfo=UTC)])[0],
    }


@pytest.mark.parametrize("first", [True, False], ids=["first", "after-a-naive-one"])
def test_a_timestamp_in_a_dateutil_rule_zone_is_read_by_its_fields_wherever_it_comes(
    first: bool,
) -> None:
    # dateutil's zones of a rule (tzrange, tzstr; tzical's alike) are no zones pandas
    # converts: it takes them as fixed and asks their `utcoffset(None)`, None where they
    # have summer time, so that a Timestamp's `utcoffset()` (which calls pandas' replace)
    # fails. Read by its fields wherever it comes, not by its `_value` once a Timestamp
    # before it was trusted: the same error as the first. (Without summer time, its one
    # offset is exact: read either way.)
    dateutil_tz = pytest.importorskip("dateutil.tz")
    summer = pd.Timestamp(datetime(2026, 7, 1, 12, tzinfo=dateutil_tz.tzstr("EST5EDT")))
    plain = pd.Timestamp("2026-07-01 12:00", tz="UTC").tz_convert(
        dateutil_tz.tzrange("EST", -18_000)
    )
    lead = [] if first else [pd.Timestamp("2026-03-01 12:00")]
    assert hours_before_end([*lead, plain])[-1] == hours_before_end_of(
        (datetime(2026, 7, 1, 12, tzinfo=UTC) - EPOCH) // timedelta(microseconds=1)
    )
    with pytest.raises(InvalidRecordError) as raised:
        hours_before_end([*lead, summer])
    assert (raised.value.index, raised.value.field) == (len(lead), "timestamp")
    assert "utcoffset() failed" in raised.value.reason
