"""Execution times given as durations (`end - start`): every form reads them as their
milliseconds, exactly (N units -> N * ms-per-unit as a float64, rounded once), so the same
records give the same analytics as the list of dicts holding those float milliseconds.

Forms: a list of dicts of `datetime.timedelta` (pandas' `Timedelta` for nanoseconds), of
numpy `timedelta64` scalars, a dict of lists of timedeltas, a pandas `timedelta64` frame,
a dict of numpy `timedelta64` arrays, a pyarrow `duration` table of each unit and a polars
`Duration` frame. Named cases: NaT and null are missing times, a negative duration is an
invalid record, a nanosecond and the largest durations, numpy units Arrow lacks, a batch,
the streaming accumulator.

Intervals (Arrow's `month_day_nano_interval`, DuckDB's INTERVAL: its `end - start`): days
of 86,400 s and nanoseconds, in a pyarrow table or stream, pandas' Arrow-backed column,
records of pyarrow's `MonthDayNano` and DuckDB's results (the relation, `.arrow()`,
`.df()`); one with months, or negative, an invalid record.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from equivalence import assert_same, comparable
from hypothesis import given, settings
from hypothesis import strategies as st
from usage_analytics import (
    InvalidRecordError,
    ModelUsageAnalyticsBatchInput,
    ModelUsageAnalyticsInput,
    NodeUsageAnalyticsReducer,
    UsageAccumulator,
    UsageAnalyticsError,
)

REDUCER = NodeUsageAnalyticsReducer()
START = datetime(2026, 1, 5, tzinfo=UTC)
END = START + timedelta(days=7)
UNITS = ("s", "ms", "us", "ns")
#: Milliseconds per unit as (numerator, denominator): `count * num / den` in Python's ints
#: is the exact value rounded once.
MS_PER = {"s": (1_000, 1), "ms": (1, 1), "us": (1, 1_000), "ns": (1, 1_000_000)}
#: The largest count of each unit a `datetime.timedelta` (or pandas' `Timedelta`) holds.
TIMEDELTA_MAX_US = timedelta.max // timedelta(microseconds=1)
MAX_COUNT = {
    "s": TIMEDELTA_MAX_US // 10**6,
    "ms": TIMEDELTA_MAX_US // 10**3,
    "us": 2**63 - 1,
    "ns": 2**63 - 1,
}


def request(data: Any, **options: Any) -> ModelUsageAnalyticsInput:
    return ModelUsageAnalyticsInput(
        pattern_id="durations",
        time_window_start=START,
        time_window_end=END,
        execution_data=data,
        **options,
    )


def outcome(data: Any, **options: Any) -> Any:
    """The output without its volatile fields, or the raised error's attributes."""
    try:
        output = REDUCER.execute_reduction_sync(request(data, **options))
    except InvalidRecordError as error:
        return {"raised": (error.index, error.field, error.value, error.reason, error.more)}
    return comparable(output)


def td64(count: int, unit: str) -> Any:
    """numpy's timedelta64 of `count` `unit`s (its stubs take only literal unit names)."""
    return np.timedelta64(count, unit)  # type: ignore[call-overload]


def millis(count: int, unit: str) -> float:
    num, den = MS_PER[unit]
    return count * num / den


class Durations:
    """Records whose execution times are counts of one unit (None: missing)."""

    def __init__(self, stamps: list[datetime], ok: list[bool], counts: list[int | None], unit: str):
        self.stamps, self.ok, self.counts, self.unit = stamps, ok, counts, unit

    def __repr__(self) -> str:
        return f"Durations(unit={self.unit!r}, counts={self.counts!r}, stamps={self.stamps!r})"

    def records(self, times: list[Any]) -> list[dict[str, Any]]:
        return [
            {"timestamp": stamp, "success": ok, "execution_time_ms": time}
            for stamp, ok, time in zip(self.stamps, self.ok, times, strict=True)
        ]

    def float_millis(self) -> list[float | None]:
        return [None if n is None else millis(n, self.unit) for n in self.counts]

    def timedeltas(self) -> list[Any]:
        """`datetime.timedelta`s; pandas' `Timedelta` for nanoseconds (a subclass)."""
        if self.unit == "ns":
            return [None if n is None else pd.Timedelta(n, unit="ns") for n in self.counts]
        per_us = {"s": 10**6, "ms": 10**3, "us": 1}[self.unit]
        return [None if n is None else timedelta(microseconds=n * per_us) for n in self.counts]

    def numpy(self) -> np.ndarray[Any, Any]:
        nat = np.iinfo(np.int64).min
        ticks = np.array([nat if n is None else n for n in self.counts], dtype=np.int64)
        return ticks.view(f"m8[{self.unit}]")

    def arrow(self) -> pa.Array:
        return pa.array(self.counts, pa.duration(self.unit))

    def table(self) -> pa.Table:
        return pa.table(
            {
                "timestamp": pa.array(self.stamps, pa.timestamp("us", tz="UTC")),
                "success": pa.array(self.ok),
                "execution_time_ms": self.arrow(),
            }
        )

    def numpy_columns(self) -> dict[str, Any]:
        stamps = np.array([s.replace(tzinfo=None) for s in self.stamps], dtype="M8[us]")
        return {
            "timestamp": stamps,
            "success": np.array(self.ok, dtype=bool),
            "execution_time_ms": self.numpy(),
        }


@st.composite
def durations(draw: st.DrawFn, max_rows: int = 12) -> Durations:
    unit = draw(st.sampled_from(UNITS))
    rows = draw(st.integers(0, max_rows))
    # Small counts, large ones (past 2^53, where rounding twice would show) and the
    # largest a timedelta holds.
    count = st.one_of(
        st.integers(0, 10**7),
        st.integers(0, MAX_COUNT[unit]),
        st.just(MAX_COUNT[unit]),
    )
    counts = draw(st.lists(st.one_of(st.none(), count, count), min_size=rows, max_size=rows))
    offsets = draw(st.lists(st.integers(0, 7 * 86_400 * 10**6), min_size=rows, max_size=rows))
    stamps = [START + timedelta(microseconds=us) for us in offsets]
    ok = draw(st.lists(st.booleans(), min_size=rows, max_size=rows))
    return Durations(stamps, ok, counts, unit)


def pandas_frame(case: Durations) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "timestamp": pd.Series(case.stamps, dtype="datetime64[us, UTC]"),
            "success": case.ok,
            "execution_time_ms": pd.Series(case.numpy()),
        }
    )


def polars_frame(case: Durations) -> pl.DataFrame:
    frame = pl.from_arrow(case.table())
    assert isinstance(frame, pl.DataFrame)
    return frame


FORMS: dict[str, Callable[[Durations], Any]] = {
    "list_of_timedeltas": lambda case: case.records(case.timedeltas()),
    "list_of_numpy_timedelta64s": lambda case: case.records(
        [None if n is None else td64(n, case.unit) for n in case.counts]
    ),
    "dict_of_lists_of_timedeltas": lambda case: {
        "timestamp": case.stamps,
        "success": case.ok,
        "execution_time_ms": case.timedeltas(),
    },
    "pandas_timedelta64": pandas_frame,
    "dict_of_numpy_timedelta64": Durations.numpy_columns,
    "pyarrow_duration": Durations.table,
    "polars_duration": polars_frame,
}


@pytest.mark.parametrize("form", list(FORMS))
@settings(max_examples=max(10, settings().max_examples // 3))
@given(case=durations())
def test_every_duration_form_equals_the_list_of_dicts_of_float_milliseconds(
    form: str, case: Durations
) -> None:
    expected = outcome(case.records(case.float_millis()))
    assert "raised" not in expected
    assert_same(outcome(FORMS[form](case)), expected)


@pytest.mark.parametrize("unit", UNITS)
def test_each_arrow_unit_reads_as_its_milliseconds(unit: str) -> None:
    counts = [1, 2_500, 9_007_199_254_740_993, None]  # (the third past 2^53)
    case = Durations([START + timedelta(hours=h) for h in range(4)], [True] * 4, counts, unit)
    output = REDUCER.execute_reduction_sync(request(case.table()))
    performance = output.performance_metrics
    assert performance is not None
    assert performance.sample_count == 3
    assert performance.min_execution_time_ms == millis(1, unit)
    assert performance.max_execution_time_ms == millis(9_007_199_254_740_993, unit)


# --------------------------------------------------------------------------- missing


@pytest.mark.parametrize(
    "missing",
    [
        pytest.param(lambda: pd.NaT, id="pandas_NaT"),
        pytest.param(lambda: np.timedelta64("NaT", "ns"), id="numpy_NaT"),
        pytest.param(lambda: None, id="None"),
    ],
)
def test_nat_in_a_record_is_a_missing_time(missing: Callable[[], Any]) -> None:
    records = [
        {"timestamp": START + timedelta(hours=1), "execution_time_ms": timedelta(seconds=2)},
        {"timestamp": START + timedelta(hours=2), "execution_time_ms": missing()},
    ]
    output = REDUCER.execute_reduction_sync(request(records))
    assert output.data_quality.invalid_records == 0
    assert output.usage_metrics.total_executions == 2
    assert output.performance_metrics is not None
    assert output.performance_metrics.sample_count == 1
    assert output.performance_metrics.total_execution_time_ms == 2_000.0


@pytest.mark.parametrize("form", ["pandas", "numpy", "pyarrow", "polars"])
def test_nat_and_null_in_a_column_are_missing_times(form: str) -> None:
    case = Durations(
        [START + timedelta(hours=h) for h in range(3)], [True] * 3, [None, 5, None], "ms"
    )
    data = {
        "pandas": pandas_frame,
        "numpy": Durations.numpy_columns,
        "pyarrow": Durations.table,
        "polars": polars_frame,
    }[form](case)
    output = REDUCER.execute_reduction_sync(request(data))
    assert output.usage_metrics.total_executions == 3
    assert output.performance_metrics is not None
    assert output.performance_metrics.sample_count == 1
    assert output.performance_metrics.avg_execution_time_ms == 5.0


# --------------------------------------------------------------------------- negative

#: -5 ms as Python shows the timedelta (what pyarrow's `to_pylist` gives for it too).
MINUS_5_MS = "datetime.timedelta(days=-1, seconds=86399, microseconds=995000)"


def _with_a_negative(form: str) -> Any:
    """Three records, the second's time -5 ms."""
    case = Durations([START + timedelta(hours=h) for h in range(3)], [True] * 3, [1, -5, 2], "ms")
    forms: dict[str, Callable[[], Any]] = {
        "list_of_timedeltas": lambda: case.records(case.timedeltas()),
        "pandas": lambda: pandas_frame(case),
        "numpy": case.numpy_columns,
        "pyarrow": case.table,
        "polars": lambda: polars_frame(case),
    }
    return forms[form]()


@pytest.mark.parametrize("form", ["list_of_timedeltas", "pandas", "numpy", "pyarrow", "polars"])
def test_a_negative_duration_is_an_invalid_record_naming_it(form: str) -> None:
    with pytest.raises(InvalidRecordError) as raised:
        REDUCER.execute_reduction_sync(request(_with_a_negative(form)))
    error = raised.value
    assert (error.index, error.field, error.value, error.reason) == (
        1,
        "execution_time_ms",
        MINUS_5_MS,
        "must be >= 0",
    )
    assert isinstance(error, ValueError)


@pytest.mark.parametrize("form", ["list_of_timedeltas", "pandas", "numpy", "pyarrow", "polars"])
def test_a_negative_duration_is_skipped_and_counted(form: str) -> None:
    output = REDUCER.execute_reduction_sync(request(_with_a_negative(form), on_invalid="skip"))
    quality = output.data_quality
    assert quality.invalid_records == 1
    assert output.usage_metrics.total_executions == 2
    assert output.performance_metrics is not None
    assert output.performance_metrics.total_execution_time_ms == 3.0
    sample = quality.error_samples[0]
    assert (sample.index, sample.field, sample.value, sample.reason) == (
        1,
        "execution_time_ms",
        MINUS_5_MS,
        "must be >= 0",
    )


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (pd.Timedelta(-1, unit="ns"), "Timedelta('-1 days +23:59:59.999999999')"),
        (np.timedelta64(-3, "s"), "np.timedelta64(-3,'s')"),
    ],
)
def test_a_negative_pandas_or_numpy_duration_in_a_record_is_invalid(value: Any, shown: str) -> None:
    records = [{"timestamp": START + timedelta(hours=1), "execution_time_ms": value}]
    assert outcome(records) == {"raised": (0, "execution_time_ms", shown, "must be >= 0", 0)}


def test_a_negative_nanosecond_column_shows_its_count() -> None:
    """-5 ns is no timedelta: shown as its count and unit."""
    table = Durations([START], [True], [-5], "ns").table()
    assert outcome(table) == {"raised": (0, "execution_time_ms", "-5 ns", "must be >= 0", 0)}


# --------------------------------------------------------------------------- extremes


ARROW_STAMP = pa.array([START], pa.timestamp("us", tz="UTC"))
NUMPY_STAMP = np.array([START.replace(tzinfo=None)], "M8[us]")
ONE_NANOSECOND: dict[str, Callable[[], Any]] = {
    "pyarrow": lambda: pa.table(
        {"timestamp": ARROW_STAMP, "execution_time_ms": pa.array([1], pa.duration("ns"))}
    ),
    "numpy": lambda: {"timestamp": NUMPY_STAMP, "execution_time_ms": np.array([1], "m8[ns]")},
    "pandas_Timedelta": lambda: [
        {"timestamp": START, "execution_time_ms": pd.Timedelta(1, unit="ns")}
    ],
    "numpy_scalar": lambda: [{"timestamp": START, "execution_time_ms": np.timedelta64(1, "ns")}],
}


@pytest.mark.parametrize("form", list(ONE_NANOSECOND))
def test_a_nanosecond_is_a_millionth_of_a_millisecond(form: str) -> None:
    output = REDUCER.execute_reduction_sync(request(ONE_NANOSECOND[form]()))
    assert output.performance_metrics is not None
    assert output.performance_metrics.avg_execution_time_ms == 1e-6


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (np.timedelta64(np.iinfo(np.int64).max, "ns"), (2**63 - 1) / 10**6),
        (np.timedelta64(np.iinfo(np.int64).max, "s"), (2**63 - 1) * 1000 / 1),
        (np.timedelta64(np.iinfo(np.int64).max, "W"), (2**63 - 1) * 604_800_000 / 1),
        (timedelta.max, TIMEDELTA_MAX_US / 1000),
        (pd.Timedelta.max, pd.Timedelta.max.value / 10**6),
    ],
)
def test_the_largest_durations_in_a_record_are_finite_exact_milliseconds(
    value: Any, expected: float
) -> None:
    records = [{"timestamp": START, "execution_time_ms": value}]
    output = REDUCER.execute_reduction_sync(request(records))
    assert output.performance_metrics is not None
    assert output.performance_metrics.max_execution_time_ms == expected


@pytest.mark.parametrize("unit", UNITS)
def test_the_largest_duration_of_each_arrow_unit_is_finite(unit: str) -> None:
    largest = np.iinfo(np.int64).max
    for data in (
        pa.table(
            {"timestamp": ARROW_STAMP, "execution_time_ms": pa.array([largest], pa.duration(unit))}
        ),
        {"timestamp": NUMPY_STAMP, "execution_time_ms": np.array([largest], f"m8[{unit}]")},
    ):
        output = REDUCER.execute_reduction_sync(request(data))
        assert output.performance_metrics is not None
        assert output.performance_metrics.max_execution_time_ms == millis(largest, unit)


# --------------------------------------------------------------------------- numpy units


@pytest.mark.parametrize(
    ("unit", "count", "expected"),
    [
        ("m", 3, 180_000.0),
        ("h", 2, 7_200_000.0),
        ("D", 1, 86_400_000.0),
        ("W", 1, 604_800_000.0),
        ("250ms", 3, 750.0),
        ("7ns", 3, 21e-6),
        ("ps", 2_000, 2e-6),
    ],
)
def test_numpy_units_arrow_lacks_read_exactly_as_their_records(
    unit: str, count: int, expected: float
) -> None:
    column = {"timestamp": NUMPY_STAMP, "execution_time_ms": np.array([count], f"m8[{unit}]")}
    record = [{"timestamp": START, "execution_time_ms": td64(count, unit)}]
    for data in (column, record):
        output = REDUCER.execute_reduction_sync(request(data))
        assert output.performance_metrics is not None
        assert output.performance_metrics.avg_execution_time_ms == expected


@pytest.mark.parametrize(
    ("unit", "count", "why"),
    [
        ("M", 1, "no fixed length"),
        ("Y", 1, "no fixed length"),
        ("W", np.iinfo(np.int64).max, "within 64 bits"),
        ("ps", 1, "not whole ns"),
    ],
)
def test_numpy_durations_arrow_cannot_hold_exactly_are_a_clear_error(
    unit: str, count: int, why: str
) -> None:
    column = {"timestamp": NUMPY_STAMP, "execution_time_ms": np.array([count], f"m8[{unit}]")}
    with pytest.raises(UsageAnalyticsError, match=rf"column 'execution_time_ms'.*{why}"):
        REDUCER.execute_reduction_sync(request(column))


def test_a_numpy_month_in_a_record_is_an_invalid_record() -> None:
    records = [{"timestamp": START, "execution_time_ms": np.timedelta64(1, "M")}]
    raised = outcome(records)["raised"]
    assert raised[:3] == (0, "execution_time_ms", "np.timedelta64(1,'M')")
    assert "fixed length" in raised[3]


def test_a_duration_is_no_quality_score() -> None:
    records = [{"timestamp": START, "quality_score": timedelta(0)}]
    assert outcome(records)["raised"][1:] == (
        "quality_score",
        "datetime.timedelta(0)",
        "must be a number, got timedelta",
        0,
    )
    table = pa.table({"timestamp": ARROW_STAMP, "quality_score": pa.array([0], pa.duration("s"))})
    with pytest.raises(UsageAnalyticsError, match=r"quality_score.*expected a float or integer"):
        REDUCER.execute_reduction_sync(request(table))


# --------------------------------------------------------------------------- batch, stream


def _batch(data: Any) -> Any:
    return REDUCER.execute_batch_reduction_sync(
        ModelUsageAnalyticsBatchInput(
            time_window_start=START, time_window_end=END, execution_data=data
        )
    )


@pytest.mark.parametrize("unit", UNITS)
def test_a_batch_with_durations_equals_the_batch_of_float_milliseconds(unit: str) -> None:
    rng = np.random.default_rng(11)
    n = 300
    counts = [None if i % 17 == 0 else int(c) for i, c in enumerate(rng.integers(0, 10**12, n))]
    case = Durations(
        [START + timedelta(seconds=int(s)) for s in rng.integers(0, 7 * 86_400, n)],
        [bool(b) for b in rng.integers(0, 2, n)],
        counts,
        unit,
    )
    ids = [f"p{i % 4}" for i in range(n)]
    table = case.table().append_column("pattern_id", pa.array(ids))
    records = [
        {**record, "pattern_id": pid}
        for record, pid in zip(case.records(case.float_millis()), ids, strict=True)
    ]
    timedeltas = [
        {**record, "pattern_id": pid}
        for record, pid in zip(case.records(case.timedeltas()), ids, strict=True)
    ]
    expected = _batch(records)
    for got in (_batch(table), _batch(timedeltas)):
        assert list(got.results) == list(expected.results) == ["p0", "p1", "p2", "p3"]
        for pid, result in expected.results.items():
            assert_same(comparable(got.results[pid]), comparable(result))


def test_a_batch_names_the_negative_duration_of_its_pattern() -> None:
    table = pa.table(
        {
            "timestamp": pa.array([START, START], pa.timestamp("us", tz="UTC")),
            "execution_time_ms": pa.array([3, -2], pa.duration("s")),
            "pattern_id": ["a", "b"],
        }
    )
    with pytest.raises(InvalidRecordError) as raised:
        _batch(table)
    assert (raised.value.index, raised.value.field, raised.value.value) == (
        1,
        "execution_time_ms",
        "datetime.timedelta(days=-1, seconds=86398)",
    )


def test_the_accumulator_reads_durations_as_the_reducer_does() -> None:
    case = Durations(
        [START + timedelta(hours=h) for h in range(6)],
        [True, False] * 3,
        [10**15, 3, None, 7, 2**60, 1],
        "ns",
    )
    expected = UsageAccumulator(START, END, "weekly")
    expected.update(case.records(case.float_millis()))
    for data in (case.table(), pandas_frame(case), case.records(case.timedeltas())):
        accumulator = UsageAccumulator(START, END, "weekly")
        accumulator.update(data)
        assert_same(
            comparable(accumulator.finalize(pattern_id="d")),
            comparable(expected.finalize(pattern_id="d")),
        )


def test_dask_reads_a_timedelta64_column_as_the_batch_of_float_milliseconds() -> None:
    # (Imported here, as test_dask.py does at its top: a test of the `dask` extra, which
    # the test install has, failing rather than skipped where it is missing.)
    import dask
    import dask.dataframe as dd
    from equivalence import assert_batch_equivalent
    from usage_analytics.dask import analyze

    n = 200
    case = Durations(
        [START + timedelta(minutes=50 * i) for i in range(n)],
        [i % 3 != 0 for i in range(n)],
        [None if i % 11 == 0 else i * 1_234_567_891 for i in range(n)],
        "ns",
    )
    frame = pandas_frame(case).assign(pattern_id=[f"p{i % 3}" for i in range(n)])
    assert str(frame["execution_time_ms"].dtype) == "timedelta64[ns]"
    records = [
        {**record, "pattern_id": pid}
        for record, pid in zip(case.records(case.float_millis()), frame["pattern_id"], strict=True)
    ]
    with dask.config.set(scheduler="synchronous"):
        got = analyze(
            dd.from_pandas(frame, npartitions=3),
            by="pattern_id",
            time_window_start=START,
            time_window_end=END,
        )
    assert_batch_equivalent(got, _batch(records))


# --------------------------------------------------------------------------- intervals

#: Nanoseconds per day of an interval, as DuckDB's `epoch(interval)` counts them.
NANOS_PER_DAY = 86_400 * 10**9
INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)


def interval_millis(days: int, nanoseconds: int) -> float:
    """An interval's milliseconds, exactly, rounded once (Python's division of ints)."""
    return (days * NANOS_PER_DAY + nanoseconds) / 10**6


class Intervals:
    """Records whose execution times are intervals without months, as (days, nanoseconds)
    (None: missing)."""

    def __init__(
        self, stamps: list[datetime], ok: list[bool], parts: list[tuple[int, int] | None]
    ) -> None:
        self.stamps, self.ok, self.parts = stamps, ok, parts

    def __repr__(self) -> str:
        return f"Intervals(parts={self.parts!r}, stamps={self.stamps!r})"

    def records(self, times: list[Any]) -> list[dict[str, Any]]:
        return [
            {"timestamp": stamp, "success": ok, "execution_time_ms": time}
            for stamp, ok, time in zip(self.stamps, self.ok, times, strict=True)
        ]

    def float_millis(self) -> list[float | None]:
        return [None if p is None else interval_millis(*p) for p in self.parts]

    def values(self) -> list[Any]:
        """pyarrow's `MonthDayNano`s, as `to_pylist` gives them."""
        return [None if p is None else pa.MonthDayNano([0, *p]) for p in self.parts]

    def table(self) -> pa.Table:
        return pa.table(
            {
                "timestamp": pa.array(self.stamps, pa.timestamp("us", tz="UTC")),
                "success": pa.array(self.ok),
                "execution_time_ms": pa.array(self.values(), pa.month_day_nano_interval()),
            }
        )


@st.composite
def intervals(draw: st.DrawFn, max_rows: int = 12) -> Intervals:
    rows = draw(st.integers(0, max_rows))
    # Days and nanoseconds of either sign (DuckDB's '1 day -1 microsecond'), over their
    # whole ranges too, whose total is not negative.
    part = st.one_of(
        st.tuples(st.integers(0, 400), st.integers(0, 10**15)),
        st.tuples(st.integers(*INT32), st.integers(*INT64)),
    ).filter(lambda p: p[0] * NANOS_PER_DAY + p[1] >= 0)
    parts = draw(st.lists(st.one_of(st.none(), part, part), min_size=rows, max_size=rows))
    offsets = draw(st.lists(st.integers(0, 7 * 86_400 * 10**6), min_size=rows, max_size=rows))
    stamps = [START + timedelta(microseconds=us) for us in offsets]
    ok = draw(st.lists(st.booleans(), min_size=rows, max_size=rows))
    return Intervals(stamps, ok, parts)


def _reader(table: pa.Table) -> pa.RecordBatchReader:
    """`table` as a stream of batches of up to 5 rows."""
    return pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=5))


INTERVAL_FORMS: dict[str, Callable[[Intervals], Any]] = {
    "pyarrow_interval": Intervals.table,
    "pyarrow_stream": lambda case: _reader(case.table()),
    "pandas_arrow_dtype": lambda case: case.table().to_pandas(types_mapper=pd.ArrowDtype),
    "list_of_month_day_nanos": lambda case: case.records(case.values()),
    "dict_of_lists_of_month_day_nanos": lambda case: {
        "timestamp": case.stamps,
        "success": case.ok,
        "execution_time_ms": case.values(),
    },
}


@pytest.mark.parametrize("form", list(INTERVAL_FORMS))
@settings(max_examples=max(10, settings().max_examples // 3))
@given(case=intervals())
def test_every_interval_form_equals_the_list_of_dicts_of_float_milliseconds(
    form: str, case: Intervals
) -> None:
    expected = outcome(case.records(case.float_millis()))
    assert "raised" not in expected
    assert_same(outcome(INTERVAL_FORMS[form](case)), expected)


def _spans_table(case: Durations) -> pa.Table:
    """`case`'s records (microsecond durations) with naive start and end times."""
    starts = [stamp.replace(tzinfo=None) for stamp in case.stamps]
    ends = [
        None if n is None else start + timedelta(microseconds=n)
        for start, n in zip(starts, case.counts, strict=True)
    ]
    return pa.table(
        {
            "timestamp": pa.array(case.stamps, pa.timestamp("us", tz="UTC")),
            "success": pa.array(case.ok),
            "start_ts": pa.array(starts, pa.timestamp("us")),
            "end_ts": pa.array(ends, pa.timestamp("us")),
        }
    )


def _duckdb_spans(table: pa.Table) -> duckdb.DuckDBPyRelation:
    """DuckDB's `end_ts - start_ts` (an INTERVAL) as the execution times of `table`."""
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    connection.register("spans", table)
    ids = ", pattern_id" if "pattern_id" in table.column_names else ""
    return connection.sql(
        f"SELECT timestamp, success, end_ts - start_ts AS execution_time_ms{ids} FROM spans"
    )


@st.composite
def spans(draw: st.DrawFn, max_rows: int = 12) -> Durations:
    """Microsecond durations (None: missing) from up to about three years."""
    rows = draw(st.integers(0, max_rows))
    count = st.one_of(st.integers(0, 10**7), st.integers(0, 10**14))
    counts = draw(st.lists(st.one_of(st.none(), count, count), min_size=rows, max_size=rows))
    offsets = draw(st.lists(st.integers(0, 7 * 86_400 * 10**6), min_size=rows, max_size=rows))
    stamps = [START + timedelta(microseconds=us) for us in offsets]
    ok = draw(st.lists(st.booleans(), min_size=rows, max_size=rows))
    return Durations(stamps, ok, counts, "us")


DUCKDB_FORMS: dict[str, Callable[[duckdb.DuckDBPyRelation], Any]] = {
    "relation": lambda relation: relation,
    "arrow": lambda relation: relation.arrow(),
    "df": lambda relation: relation.df(),
}


@pytest.mark.parametrize("form", list(DUCKDB_FORMS))
@settings(max_examples=max(10, settings().max_examples // 3))
@given(case=spans())
def test_duckdb_end_minus_start_equals_the_list_of_dicts_of_float_milliseconds(
    form: str, case: Durations
) -> None:
    relation = _duckdb_spans(_spans_table(case))
    assert relation.types[2] == duckdb.sqltype("INTERVAL")
    expected = outcome(case.records(case.float_millis()))
    assert_same(outcome(DUCKDB_FORMS[form](relation)), expected)


#: A timestamp inside the window, as DuckDB SQL.
DUCKDB_START = f"TIMESTAMPTZ '{START.isoformat()}'"


def test_duckdb_days_are_86400_seconds_as_its_epoch_counts_them() -> None:
    connection = duckdb.connect()
    spans = ["INTERVAL '1 day -1 microsecond'", "INTERVAL 2 DAY + INTERVAL 123 MICROSECOND"]
    epochs = connection.sql(f"SELECT epoch(UNNEST([{', '.join(spans)}]))").fetchall()
    assert epochs == [(86_399.999999,), (172_800.000123,)]
    relation = connection.sql(
        f"SELECT {DUCKDB_START} AS timestamp, UNNEST([{', '.join(spans)}]) AS execution_time_ms"
    )
    output = REDUCER.execute_reduction_sync(request(relation))
    assert output.performance_metrics is not None
    assert output.performance_metrics.min_execution_time_ms == 86_399_999.999
    assert output.performance_metrics.max_execution_time_ms == 172_800_000.123


def test_polars_cannot_import_a_duckdb_interval() -> None:
    """`.pl()` of an INTERVAL fails in polars itself, which has no such type (as the
    README says; a polars that imports one belongs in `DUCKDB_FORMS`)."""
    relation = _duckdb_spans(_spans_table(Durations([START], [True], [1_500_000], "us")))
    with pytest.raises(pl.exceptions.ComputeError, match="month_day_nano_interval"):
        relation.pl()


def test_duckdb_converts_a_month_to_30_days_for_pandas() -> None:
    """What `.df()` hands over is DuckDB's own conversion: a month as 30 days, which the
    reducer cannot see (the relation itself, read as Arrow, keeps the months)."""
    relation = duckdb.connect().sql(
        f"SELECT {DUCKDB_START} AS timestamp, INTERVAL 1 MONTH AS execution_time_ms"
    )
    frame = relation.df()
    assert str(frame["execution_time_ms"].dtype) == "timedelta64[us]"
    output = REDUCER.execute_reduction_sync(request(frame))
    assert output.performance_metrics is not None
    assert output.performance_metrics.avg_execution_time_ms == 30 * 86_400_000.0
    assert outcome(relation)["raised"][2] == "MonthDayNano(months=1, days=0, nanoseconds=0)"


MONTHS_REASON = "must be a duration of a fixed length (an interval without months), got months="


def _with_a_bad_interval(form: str, bad: tuple[int, int, int]) -> Any:
    """Three records, the second's time the interval `bad` (months, days, nanoseconds),
    the others 1 ms and 2 ms."""
    stamps = [START + timedelta(hours=h) for h in range(3)]
    values = [
        pa.MonthDayNano([0, 0, 10**6]),
        pa.MonthDayNano(list(bad)),
        pa.MonthDayNano([0, 0, 2 * 10**6]),
    ]
    table = pa.table(
        {
            "timestamp": pa.array(stamps, pa.timestamp("us", tz="UTC")),
            "execution_time_ms": pa.array(values, pa.month_day_nano_interval()),
        }
    )
    if form == "records":
        return table.to_pylist()
    if form == "pyarrow_stream":
        return _reader(table)
    if form == "pandas_arrow_dtype":
        return table.to_pandas(types_mapper=pd.ArrowDtype)
    relation = duckdb.connect().from_arrow(table)
    return relation.arrow() if form == "duckdb_arrow" else relation if form == "duckdb" else table


BAD_INTERVALS = {
    "months": ((1, 0, 0), MONTHS_REASON + "1"),
    "months_and_negative_days": ((1, -31, 0), MONTHS_REASON + "1"),
    "negative": ((0, -1, 86_399_999_999_000), "must be >= 0"),  # (-1 µs)
}
INTERVAL_SOURCES = [
    "pyarrow",
    "pyarrow_stream",
    "pandas_arrow_dtype",
    "records",
    "duckdb",
    "duckdb_arrow",
]


@pytest.mark.parametrize("bad", list(BAD_INTERVALS))
@pytest.mark.parametrize("form", INTERVAL_SOURCES)
def test_an_interval_with_months_or_negative_is_an_invalid_record_naming_it(
    form: str, bad: str
) -> None:
    value, reason = BAD_INTERVALS[bad]
    shown = "MonthDayNano(months={}, days={}, nanoseconds={})".format(*value)
    with pytest.raises(InvalidRecordError) as raised:
        REDUCER.execute_reduction_sync(request(_with_a_bad_interval(form, value)))
    error = raised.value
    assert (error.index, error.field, error.value, error.reason) == (
        1,
        "execution_time_ms",
        shown,
        reason,
    )
    assert isinstance(error, ValueError)
    output = REDUCER.execute_reduction_sync(
        request(_with_a_bad_interval(form, value), on_invalid="skip")
    )
    quality = output.data_quality
    assert (quality.invalid_records, output.usage_metrics.total_executions) == (1, 2)
    assert output.performance_metrics is not None
    assert output.performance_metrics.total_execution_time_ms == 3.0
    sample = quality.error_samples[0]
    assert (sample.index, sample.field, sample.value, sample.reason) == (
        1,
        "execution_time_ms",
        shown,
        reason,
    )


def test_only_pyarrows_month_day_nano_reads_as_an_interval() -> None:
    """A named tuple of the same name and fields is no interval (told by identity)."""
    from collections import namedtuple

    MonthDayNano = namedtuple("MonthDayNano", ["months", "days", "nanoseconds"])
    records = [{"timestamp": START, "execution_time_ms": MonthDayNano(0, 0, 5)}]
    assert outcome(records)["raised"][3] == "must be a number, got MonthDayNano"


def test_an_interval_is_no_quality_score() -> None:
    records = [{"timestamp": START, "quality_score": pa.MonthDayNano([0, 0, 0])}]
    assert outcome(records)["raised"][3] == "must be a number, got MonthDayNano"
    table = pa.table(
        {
            "timestamp": ARROW_STAMP,
            "quality_score": pa.array([pa.MonthDayNano([0, 0, 0])], pa.month_day_nano_interval()),
        }
    )
    with pytest.raises(UsageAnalyticsError, match=r"quality_score.*expected a float or integer"):
        REDUCER.execute_reduction_sync(request(table))


def test_a_batch_of_duckdb_intervals_equals_the_batch_of_float_milliseconds() -> None:
    rng = np.random.default_rng(5)
    n = 300
    counts = [None if i % 13 == 0 else int(c) for i, c in enumerate(rng.integers(0, 10**11, n))]
    case = Durations(
        [START + timedelta(seconds=int(s)) for s in rng.integers(0, 7 * 86_400, n)],
        [bool(b) for b in rng.integers(0, 2, n)],
        counts,
        "us",
    )
    ids = [f"p{i % 3}" for i in range(n)]
    relation = _duckdb_spans(_spans_table(case).append_column("pattern_id", pa.array(ids)))
    records = [
        {**record, "pattern_id": pid}
        for record, pid in zip(case.records(case.float_millis()), ids, strict=True)
    ]
    expected, got = _batch(records), _batch(relation)
    assert list(got.results) == list(expected.results) == ["p0", "p1", "p2"]
    for pid, result in expected.results.items():
        assert_same(comparable(got.results[pid]), comparable(result))
