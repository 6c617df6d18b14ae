"""A window bound given as a number (`window_bounds`): an int is epoch microseconds, as
records' integer timestamps are, in every request (a reduction's, a batch's, an
accumulator's, Dask's settings); an int in 1970 is refused naming the unit it looks like;
a float, a Decimal or the text of a number is refused, where pydantic read them as epoch
seconds (the text "2026" as 1970-01-01T00:33:46)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pydantic
import pytest
from hypothesis import given
from hypothesis import strategies as st
from usage_analytics import (
    ModelUsageAnalyticsBatchInput,
    ModelUsageAnalyticsInput,
    NodeUsageAnalyticsReducer,
    UsageAccumulator,
)
from usage_analytics.contracts import micros
from usage_analytics.window_bounds import numeric_window_bound

START = datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
START_US = 1_700_000_000_000_000
END_US = START_US + 86_400_000_000


def request(start: Any, end: Any = END_US, **settings: Any) -> ModelUsageAnalyticsInput:
    return ModelUsageAnalyticsInput(
        pattern_id="p", time_window_start=start, time_window_end=end, **settings
    )


def refusal(start: Any) -> str:
    with pytest.raises(pydantic.ValidationError) as raised:
        request(start, "2030-01-01T00:00:00Z")
    (error,) = raised.value.errors()
    assert error["loc"] == ("time_window_start",)
    return str(error["msg"])


@pytest.mark.parametrize("start", [START_US, np.int64(START_US)])
def test_an_integer_bound_is_epoch_microseconds(start: Any) -> None:
    contract = request(start)
    assert contract.time_window_start == START
    assert contract.time_window_end == START + timedelta(days=1)


def test_integer_bounds_hold_the_columnar_records_of_the_same_integers() -> None:
    # The records' integer timestamps and the window's, one unit: the last record is on
    # the window's end (included), the one after it outside.
    times = [START_US, START_US + 3_600_000_000, END_US, END_US + 1]
    data = pa.table({"timestamp": pa.array(times, pa.int64()), "success": [True] * 4})
    result = NodeUsageAnalyticsReducer().execute_reduction_sync(
        request(START_US, execution_data=data)
    )
    assert result.usage_metrics.total_executions == 3
    assert result.data_quality.records_outside_window == 1


def test_every_request_reads_integer_bounds_alike() -> None:
    batch = ModelUsageAnalyticsBatchInput(time_window_start=START_US, time_window_end=END_US)
    accumulator = UsageAccumulator(START_US, END_US)  # type: ignore[arg-type]
    assert batch.time_window_start == accumulator.settings.time_window_start == START


@pytest.mark.parametrize(
    ("start", "unit", "factor"),
    [(1_700_000_000, "seconds", "1_000_000"), (1_700_000_000_000, "milliseconds", "1_000")],
)
def test_an_integer_bound_in_1970_is_refused_naming_the_unit_it_looks_like(
    start: int, unit: str, factor: str
) -> None:
    message = refusal(start)
    assert f"{start} read as epoch microseconds" in message
    assert f"it looks like epoch {unit}; multiply it by {factor}" in message


def test_a_bound_of_0_is_the_epoch_in_any_unit() -> None:
    # (It was refused as "looks like epoch seconds; multiply it by 1_000_000": still 0.)
    contract = request(0)
    assert contract.time_window_start == datetime(1970, 1, 1, tzinfo=UTC)


def test_an_integer_bound_beyond_the_datetime_range_is_refused_saying_so() -> None:
    assert "outside the years 1 to 9999" in refusal(10**20)


@pytest.mark.parametrize("start", [1.7e9, Decimal("1700000000")])
def test_a_float_bound_is_refused_naming_its_type(start: Any) -> None:
    message = refusal(start)
    assert f"got {type(start).__name__} {start!r}" in message
    assert "an int of epoch microseconds" in message


@pytest.mark.parametrize("start", ["2026", "1700000000", "1.7e9", b"1700000000"])
def test_the_text_of_a_number_is_refused_not_read_as_epoch_seconds(start: Any) -> None:
    # (pydantic read "2026", a year, as 2,026 seconds after the epoch.)
    assert f"got the text of a number, {start!r}" in refusal(start)


def test_iso_text_and_datetimes_are_read_as_before() -> None:
    end = START + timedelta(days=1)
    assert request("2023-11-14T22:13:20Z", end).time_window_start == START
    assert request(START.replace(tzinfo=None), end).time_window_start == START


@given(
    st.integers(micros(datetime(1, 1, 1, tzinfo=UTC)), micros(datetime(1969, 1, 1, tzinfo=UTC)))
    | st.integers(micros(datetime(1971, 1, 1, tzinfo=UTC)), micros(datetime.max) - 1)
)
def test_an_integer_bound_is_the_instant_of_its_microseconds(start_us: int) -> None:
    contract = request(start_us, start_us + 1)
    assert micros(contract.time_window_start) == start_us
    assert contract.time_window_end - contract.time_window_start == timedelta(microseconds=1)


@pytest.mark.parametrize(
    "start",
    [
        np.datetime64("2023-11-14T22:13:20"),
        np.datetime64("2023-11-14T22:13:20.000000999", "ns"),  # (floored, as records are)
        np.datetime64(1_700_000_000_000, "ms"),
    ],
)
def test_a_numpy_datetime64_bound_is_read_as_a_records_is(start: Any) -> None:
    # (A record's timestamp may be a numpy datetime64; a bound of one was refused, "Input
    # should be a valid datetime": the window of an array's min() and max() could not
    # be given as they are.)
    assert request(start, START + timedelta(days=1)).time_window_start == START


@pytest.mark.parametrize(
    ("start", "reason"),
    [
        (np.datetime64("NaT"), "not a time (NaT)"),
        (np.datetime64(300_000 - 1970, "Y"), "outside the years 1 to 9999"),
    ],
)
def test_a_numpy_datetime64_bound_of_no_instant_is_refused(start: Any, reason: str) -> None:
    assert reason in refusal(start)


_UNITS_MICROSECONDS = {"W": 604_800 * 10**6, "D": 86_400 * 10**6, "h": 3_600 * 10**6}
_UNITS_MICROSECONDS |= {"m": 60 * 10**6, "s": 10**6, "ms": 10**3, "us": 1}
_UNITS_FINER = {"ns": 10**3, "ps": 10**6, "fs": 10**9, "as": 10**12}
_INT64 = st.integers(-(2**63) + 1, 2**63 - 1)  # (-2**63 is NaT)


def _exact(ticks: int, unit: str, multiple: int) -> datetime | None:
    """The instant of numpy.datetime64(ticks, f"{multiple}{unit}"), in Python's integers;
    None outside the years 1 to 9999."""
    ticks *= multiple
    if unit in ("Y", "M"):  # (calendar units: the first day of the year or month)
        year, month = divmod(ticks * 12 if unit == "Y" else ticks, 12)
        if not 1 <= 1970 + year <= 9999:
            return None
        return datetime(1970 + year, month + 1, 1, tzinfo=UTC)
    try:
        if unit in _UNITS_MICROSECONDS:
            return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(
                microseconds=ticks * _UNITS_MICROSECONDS[unit]
            )
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(
            microseconds=ticks // _UNITS_FINER[unit]
        )
    except OverflowError:
        return None


@given(
    ticks=_INT64,
    unit=st.sampled_from(["Y", "M", *_UNITS_MICROSECONDS, *_UNITS_FINER]),
    multiple=st.integers(1, 1000),
)
def test_a_numpy_datetime64_bound_of_any_unit_and_multiple_is_its_exact_instant(
    ticks: int, unit: str, multiple: int
) -> None:
    # (numpy's astype multiplies by the unit's multiple in 64 bits and wraps without a
    # word: a bound of np.datetime64(2**62, ("ns", 7)), in 2992, was read as 1823; records of
    # the same value are read exactly, `rust/numpy_time.rs`.)
    spelled: Any = f"{multiple}{unit}"  # (numpy's stubs know only the literal units)
    value = np.datetime64(ticks, spelled)
    expected = _exact(ticks, unit, multiple)
    if expected is None:
        with pytest.raises(ValueError, match="is outside the years 1 to 9999"):
            numeric_window_bound(value)
    else:
        bound = numeric_window_bound(value)
        assert (bound, bound.tzinfo) == (expected, UTC)


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (np.datetime64(2**62, ("ns", 7)), datetime(2992, 12, 19, 23, 15, 28, 991715, tzinfo=UTC)),
        (
            np.datetime64(2**63 - 1, ("ns", 3)),
            datetime(2846, 10, 30, 23, 21, 50, 564327, tzinfo=UTC),
        ),
        (np.datetime64(5, ("M", 2)), datetime(1970, 11, 1, tzinfo=UTC)),
        (np.datetime64(-1969, "Y"), datetime(1, 1, 1, tzinfo=UTC)),
        (np.datetime64(-1, "as"), datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
    ],
)
def test_a_numpy_datetime64_bound_past_numpys_own_conversion(
    start: Any, expected: datetime
) -> None:
    assert request(start, expected + timedelta(days=1)).time_window_start == expected
