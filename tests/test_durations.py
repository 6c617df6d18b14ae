"""Execution times given as durations (`end - start`): every form reads them as their
milliseconds, exactly (N units -> N * ms-per-unit as a float64, rounded once), so the same
records give the same analytics as the list of dicts holding those float milliseconds.

Forms: a list of dicts of `datetime.timedelta` (pandas' `Timedelta` for nanoseconds), of
numpy `timedelta64` scalars, a dict of lists of timedeltas, a pandas `timedelta64` frame,
a dict of numpy `timedelta64` arrays, a pyarrow `duration` table of each unit and a polars
`Duration` frame. Named cases: NaT and null are missing times, a negative duration is an
invalid record, a nanosecond and the largest durations, numpy units Arrow lacks, a batch,
the streaming accumulator.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from equivalence import comparable, differences
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


def assert_same(actual: Any, expected: Any) -> None:
    problems = differences(actual, expected)
    assert not problems, "\n".join(problems)


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
