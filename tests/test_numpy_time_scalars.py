"""A record's numpy `datetime64` timestamp and `timedelta64` execution time, of every
unit (calendar years and months to attoseconds, with multipliers) and any 64-bit tick
count, read from the scalar's C struct (`rust/numpy_time.rs`) as numpy's own calls
(`datetime_data`, `astype`) read them before.

The models: a timestamp's microseconds computed with Python's unbounded ints (floored
below a microsecond, years and months as the proleptic Gregorian calendar's), refused
as out of range where the microseconds pass 64 bits (the ticks times the multiplier may:
2**62 of "4ns" is the year 2554), and checked against numpy's
`astype("datetime64[us]")` where numpy's conversion holds;
an execution time's milliseconds as the exact fraction rounded once. `_core.field_column`
reads a field's values as a list of dicts' records read them."""

from __future__ import annotations

import struct
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from typing import Any
from unittest.mock import patch

import numpy as np
import pytest
from equivalence import batch_outcome
from hypothesis import example, given, settings
from hypothesis import strategies as st
from usage_analytics import _core

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
NAT = INT64_MIN
UNITS = ["Y", "M", "W", "D", "h", "m", "s", "ms", "us", "ns", "ps", "fs", "as"]
MICROS_PER = {"W": 604_800_000_000, "D": 86_400_000_000, "h": 3_600_000_000}
MICROS_PER |= {"m": 60_000_000, "s": 1_000_000, "ms": 1_000, "us": 1}
PER_MICRO = {"ns": 10**3, "ps": 10**6, "fs": 10**9, "as": 10**12}
MILLIS_PER = {unit: Fraction(micros, 1_000) for unit, micros in MICROS_PER.items()}
MILLIS_PER |= {unit: Fraction(1, 1_000 * per) for unit, per in PER_MICRO.items()}
OUT_OF_RANGE = "is out of the supported date-time range"
NOT_FIXED = (
    "must be a duration of a fixed length (a numpy timedelta64 in weeks or finer units), "
    "got one in '{}'"
)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: Days in 400 Gregorian years, the calendar's whole cycle.
CYCLE_DAYS = 146_097


def days_since_1970(year: int, month: int) -> int:
    """Days from 1970-01-01 to the first of `month` of `year` (any int): whole 400-year
    cycles, then Python's own calendar within one."""
    cycles, year_in_cycle = divmod(year - 2000, 400)
    first = date(2000 + year_in_cycle, month, 1).toordinal()
    return first + cycles * CYCLE_DAYS - date(1970, 1, 1).toordinal()


def model_micros(ticks: int, unit: str, count: int) -> int | None:
    """A datetime64's UTC microseconds (None: out of range; NaT is not asked)."""
    n = ticks * count
    if unit == "Y":
        micros = days_since_1970(1970 + n, 1) * MICROS_PER["D"]
    elif unit == "M":
        micros = days_since_1970(1970 + n // 12, n % 12 + 1) * MICROS_PER["D"]
    elif unit in MICROS_PER:
        micros = n * MICROS_PER[unit]
    else:
        micros = n // PER_MICRO[unit]
    return micros if INT64_MIN <= micros <= INT64_MAX else None


def model_millis(ticks: int, unit: str, count: int) -> float | str:
    """A timedelta64's milliseconds rounded once, or why its record refuses it."""
    if unit in ("Y", "M", "generic"):
        return NOT_FIXED.format(unit)
    millis = float(ticks * count * MILLIS_PER[unit])
    return millis if millis >= 0 else "must be >= 0"


def read(field: str, value: Any) -> int | float | str | None:
    """`value` read as a record's `field`: its int64 microseconds or float64 milliseconds,
    None where missing, else the reason its record refuses it (the error names the
    value: checked)."""
    try:
        buffers, _, missing = _core.field_column(field, [value])
    except ValueError as error:
        text = str(error)
        assert text.startswith(f"row 0 holds {value!r}: "), text
        return text.removeprefix(f"row 0 holds {value!r}: ")
    if missing:
        return None
    number: int | float = struct.unpack("=q" if field == "timestamp" else "=d", buffers[-1])[0]
    return number


def datetime64(ticks: int, unit: Any, count: int = 1) -> np.datetime64:
    """A datetime64 of `ticks` of `count` `unit`s (as "25ms" is 25 of "ms")."""
    return np.datetime64(ticks, (unit, count))


def timedelta64(ticks: int, unit: Any, count: int = 1) -> np.timedelta64:
    return np.timedelta64(ticks) if unit == "generic" else np.timedelta64(ticks, (unit, count))


#: Tick counts: any, and the edges (0, ±1, either end of 64 bits; NaT is the smallest).
TICKS = st.one_of(
    st.integers(INT64_MIN + 1, INT64_MAX),
    st.integers(-(10**6), 10**6),
    st.sampled_from([0, 1, -1, INT64_MAX, INT64_MIN + 1, NAT, 2**62, -(2**62)]),
)
#: Multipliers: mostly 1, else any numpy takes (a C int's).
COUNTS = st.one_of(st.just(1), st.integers(1, 1_000), st.sampled_from([2**31 - 1, 12, 7]))


@st.composite
def unit_edges(draw: st.DrawFn) -> tuple[int, str, int]:
    """Ticks at the last ones in range of a unit (and one past), either side."""
    unit = draw(st.sampled_from(UNITS[2:]))
    per = MICROS_PER.get(unit, 1)
    last = INT64_MAX // per if unit in MICROS_PER else INT64_MAX
    ticks = draw(st.sampled_from([last, last + 1, -last, -last - 1]))
    ticks = max(INT64_MIN + 1, min(INT64_MAX, ticks))
    return ticks, unit, 1


@settings(max_examples=400, deadline=None)
@given(
    case=st.one_of(
        st.tuples(TICKS, st.sampled_from(UNITS), COUNTS),
        unit_edges(),
    )
)
@example(case=(50_505_469_855_534_806 - 1970, "Y", 1))  # (wrapped to a day of 1696)
@example(case=(-(2**62), "Y", 2))  # (the year 1970 + 2**63: past 64-bit days too)
@example(case=(INT64_MAX, "M", 1))
@example(case=(-1, "ns", 1))  # (floored: the microsecond before the epoch)
@example(case=(2**62, "ns", 4))  # (the ticks times the multiplier pass 64 bits: 2554)
@example(case=(-(2**62), "ns", 4))
@example(case=(INT64_MAX, "as", 2**31 - 1))
@example(case=(INT64_MIN + 1, "ps", 1_000))
@example(case=(2**62, "us", 2))  # (past 64 bits in microseconds too: out of range)
@example(case=(-7, "as", 2**31 - 1))
def test_datetime64_of_any_unit_and_ticks_reads_as_the_model(case: tuple[int, str, int]) -> None:
    ticks, unit, count = case
    value = datetime64(ticks, unit, count)
    got = read("timestamp", value)
    if ticks == NAT:
        assert got is None
        return
    micros = model_micros(ticks, unit, count)
    assert got == (OUT_OF_RANGE if micros is None else micros)
    if micros is not None and abs(micros) < 2**62 and abs(ticks * count) < 2**62:
        # (numpy's own conversion, where its arithmetic does not wrap.)
        assert micros == int(value.astype("datetime64[us]").astype(np.int64))


@settings(max_examples=300, deadline=None)
@given(ticks=TICKS, unit=st.sampled_from([*UNITS, "generic"]), count=COUNTS)
@example(ticks=7, unit="generic", count=1)
@example(ticks=INT64_MAX, unit="W", count=2**31 - 1)  # (past 2**64 milliseconds)
@example(ticks=1, unit="as", count=1)
def test_timedelta64_of_any_unit_and_ticks_reads_as_the_model(
    ticks: int, unit: str, count: int
) -> None:
    got = read("execution_time_ms", timedelta64(ticks, unit, count))
    if ticks == NAT:
        assert got is None
        return
    assert got == model_millis(ticks, unit, count)


def test_values_are_read_without_numpy_calls() -> None:
    # The struct's reading, checked once a process against numpy's calls (first value),
    # asks numpy nothing after: with `datetime_data` refusing, every unit still reads.
    assert read("timestamp", np.datetime64(1, "us")) == 1

    def refused(*_args: Any) -> Any:
        raise RuntimeError("asked numpy")

    with patch.object(np, "datetime_data", refused):
        for unit in UNITS:
            assert read("timestamp", datetime64(-5, unit, 3)) == model_micros(-5, unit, 3)
            assert read("execution_time_ms", timedelta64(5, unit, 3)) == model_millis(5, unit, 3)
        assert read("timestamp", np.datetime64("NaT")) is None
        assert read("execution_time_ms", np.timedelta64(5)) == NOT_FIXED.format("generic")


def test_a_type_only_named_numpy_datetime64_is_read_through_numpy() -> None:
    # Not numpy's type: its memory is no numpy scalar's, so its ticks and unit are asked.
    class datetime64:
        __module__ = "numpy"
        dtype = np.dtype("datetime64[25s]")

        def astype(self, _dtype: Any) -> Any:
            return np.int64(4)

        def __repr__(self) -> str:
            return "datetime64()"

    assert read("timestamp", datetime64()) == 100_000_000


@pytest.mark.parametrize("unit", ["D", "s", "ms", "us", "ns", "10m"])
def test_records_of_numpy_times_give_the_analytics_of_datetimes_and_floats(unit: str) -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    minutes = [0, 7, 90, 1_500, 20_000, 43_000]
    stamps = [start + timedelta(minutes=m) for m in minutes]
    as_numpy = [
        {
            "pattern_id": "p",
            "timestamp": np.datetime64(stamp.replace(tzinfo=None), "us").astype(f"M8[{unit}]"),
            "execution_time_ms": np.timedelta64(m * 125, "us"),
        }
        for stamp, m in zip(stamps, minutes, strict=True)
    ]
    plain = [
        {
            "pattern_id": "p",
            # (floored to the unit, as the datetime64 is)
            "timestamp": EPOCH
            + timedelta(microseconds=int(row["timestamp"].astype("M8[us]").astype(np.int64))),
            "execution_time_ms": m / 8,
        }
        for row, m in zip(as_numpy, minutes, strict=True)
    ]
    end = start + timedelta(days=31)
    assert batch_outcome(as_numpy, "raise", start, end) == batch_outcome(plain, "raise", start, end)
