"""A dict of columns whose record fields hold Python objects other than plain values
(datetimes of any zone, dates, numpy scalars, Decimals, timedeltas) converted to Arrow by
the core's own parsers of a record's values (`ingest.field_objects`, `_core.field_column`):
the same analytics, samples and errors as the list of dicts of its rows, whether its
columns are lists read as a table, arrays of objects, or lists beside a numpy array (a
column with a value its record refuses is then read in its records). The model is the
list of dicts itself, read by the record reader. (That pandas is not imported:
test_numpy_columns_without_pandas.py.)"""

from __future__ import annotations

import array
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, cast
from unittest.mock import patch
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import contracts
from test_dict_of_lists import _as_records, columns_of, outcome
from usage_analytics import (
    ModelUsageAnalyticsInput,
    NodeUsageAnalyticsReducer,
    UsageAnalyticsError,
    _core,
)
from usage_analytics.ingest import dict_columns, field_objects
from usage_analytics.ingest.field_objects import arrow_of_field_objects, plain_sequence
from usage_analytics.ingest.integer_times import arrow_of_integer_times
from usage_analytics.ingest.kinds import _value_types

REDUCER = NodeUsageAnalyticsReducer()
START = datetime(2026, 3, 1, tzinfo=UTC)
END = datetime(2026, 4, 30, tzinfo=UTC)

#: Zones with DST (a fold in autumn, a gap in spring; Lord Howe's half hour), fixed
#: offsets (a sub-second one, which pyarrow's inference dropped after a whole minute).
ZONES = st.sampled_from(
    [
        None,
        UTC,
        ZoneInfo("UTC"),
        ZoneInfo("America/New_York"),
        ZoneInfo("Europe/London"),
        ZoneInfo("Australia/Lord_Howe"),
        timezone(timedelta(hours=-5)),
        timezone(timedelta(hours=5, minutes=30)),
        timezone(timedelta(seconds=1, microseconds=1)),
    ]
)
#: Around the window and its DST changes (US 8 March, EU 29 March, Lord Howe 5 April).
LOCAL = st.datetimes(datetime(2026, 2, 27), datetime(2026, 5, 2))  # (imaginary ones too)


@st.composite
def times(draw: st.DrawFn) -> Any:
    """A timestamp a record takes (or refuses: out of range, a bad text, NaT)."""
    kind = draw(st.sampled_from(["datetime", "datetime", "date", "datetime64", "iso", "bad"]))
    if kind == "datetime":
        local = draw(LOCAL).replace(fold=draw(st.integers(0, 1)))
        return local.replace(tzinfo=draw(ZONES))
    if kind == "date":
        return draw(st.dates(date(2026, 2, 27), date(2026, 5, 2)))
    if kind == "datetime64":
        unit: Any = draw(st.sampled_from(["D", "h", "m", "s", "ms", "us", "ns", "10m"]))
        base = np.datetime64("2026-03-01T00:00", "m").astype(f"datetime64[{unit}]")
        return base + np.timedelta64(draw(st.integers(-2000, 90_000)), unit)
    if kind == "iso":
        return draw(LOCAL).isoformat() + "Z"
    return draw(
        st.sampled_from(
            [
                np.datetime64("NaT"),
                np.datetime64(300_000 * 365, "D"),  # (the year 302,000: past 64-bit µs)
                np.datetime64(-(2**62), "s"),
                np.datetime64("20000-01-01T00:00", "s"),  # (past Python's, within Arrow's)
                "not a time",
                b"2026-03-02",
                3.5,
            ]
        )
    )


EXECUTION_TIMES = st.one_of(
    st.floats(0, 1e6),
    st.decimals(0, 10**6, places=3, allow_nan=False),
    st.integers(0, 10**6).map(lambda ms: timedelta(microseconds=ms * 7)),
    st.integers(0, 10**6).map(lambda n: np.timedelta64(n, "us")),
    st.integers(0, 10**6).map(np.int64),
    st.floats(0, 1e6).map(np.float64),
    st.sampled_from([-1, Decimal("-0.5"), timedelta(days=-1), np.float64("nan"), "3"]),
    st.just(np.timedelta64(10**14, "s")),  # (past Python's timedeltas)
)
SCORES = st.one_of(
    st.floats(0, 1),
    st.decimals(0, 1, places=4, allow_nan=False),
    st.floats(0, 1, width=32).map(np.float32),
    st.sampled_from([1.5, Decimal("1.00000000000000000001"), True]),
)
FLAGS = st.sampled_from([True, False, np.bool_(True), np.bool_(False), 0, 1, np.int64(1), 2])
TEXTS = st.sampled_from(["a", "b", "ü", 7, b"x", "a.py"])


@st.composite
def records(draw: st.DrawFn) -> list[dict[str, Any]]:
    fields = {
        "timestamp": times(),
        "execution_time_ms": EXECUTION_TIMES,
        "quality_score": SCORES,
        "success": FLAGS,
        "agent": TEXTS,
        "file_path": TEXTS,
    }
    present = draw(st.lists(st.sampled_from(sorted(fields)), unique=True, max_size=6))
    present = ["timestamp", *[name for name in present if name != "timestamp"]]
    row = st.fixed_dictionaries({name: st.one_of(st.none(), fields[name]) for name in present})
    return draw(st.lists(row, max_size=12))


def _call(data: Any, mode: str) -> Any:
    request = ModelUsageAnalyticsInput(
        pattern_id="p",
        execution_data=data,
        time_window_start=START,
        time_window_end=END,
        time_window_type="monthly",
        on_invalid=mode,
    )
    return lambda: REDUCER.execute_reduction_sync(request)


def _as_table(columns: Mapping[str, Any], mode: str) -> Any:
    """The outcome of `columns` read as a table (not row by row by the core: see
    `dict_columns._record_lists`)."""
    with patch.object(dict_columns, "_record_lists", lambda *_: None):
        return outcome(_call(columns, mode))


@settings(max_examples=150, deadline=None)
@given(rows=records(), form=st.sampled_from(["lists", "objects", "beside an array"]))
def test_objects_of_each_field_read_as_their_records(rows: list[dict[str, Any]], form: str) -> None:
    columns: dict[str, Any] = columns_of(rows) if rows else {"timestamp": []}
    expected_rows = [dict(row) for row in rows]
    if form == "objects":  # (NaN and NaT are missing there, as None is: so in the rows)
        columns = {name: _objects(values) for name, values in columns.items()}
        expected_rows = [{k: _none_if_missing(v) for k, v in row.items()} for row in rows]
    if form == "beside an array":
        columns["timeout"] = np.zeros(len(rows), dtype=bool)
        expected_rows = [{**row, "timeout": False} for row in rows]
    for mode in ("skip", "raise"):
        assert _as_table(columns, mode) == outcome(_call(expected_rows, mode))


@st.composite
def typed_stamps(draw: st.DrawFn, unit: str, size: int) -> Any:
    """A numpy datetime64 array of `unit` and `size`: instants around the window, NaT, and
    instants past Python's datetimes (the year 20000, and -20000) or past Arrow's (the
    year 301,770, where the unit holds it)."""
    texts = ["NaT", "20000-01-01", "-20000-01-01", *([] if unit == "us" else [str(BEYOND)])]
    special = [np.datetime64(text, "m") for text in texts]
    around = st.integers(-3 * 24 * 60, 65 * 24 * 60).map(
        lambda minutes: np.datetime64("2026-03-01T00:00") + np.timedelta64(minutes, "m")
    )
    stamps = [draw(st.one_of(around, st.sampled_from(special))) for _ in range(size)]
    return np.array(stamps, dtype="datetime64[m]").astype(f"datetime64[{unit}]")


@settings(max_examples=100, deadline=None)
@given(rows=records(), unit=st.sampled_from(["D", "s", "ms", "us"]), data=st.data())
def test_typed_times_beside_lists_read_as_their_records(
    rows: list[dict[str, Any]], unit: str, data: st.DataObject
) -> None:
    # (Each list judged as given, by the core's parsers or value by value, beside the
    # timestamps' array: the rows' timestamps are its values, NaT missing.)
    stamps = data.draw(typed_stamps(unit, len(rows)))
    columns: dict[str, Any] = {**columns_of(rows), "timestamp": stamps}
    expected_rows = [
        {**row, "timestamp": _none_if_missing(stamp)}
        for row, stamp in zip(rows, list(stamps), strict=True)
    ]
    for mode in ("skip", "raise"):
        assert _as_table(columns, mode) == outcome(_call(expected_rows, mode))


def _objects(values: list[Any]) -> Any:
    objects = np.empty(len(values), dtype=object)
    objects[:] = values
    return objects


def _none_if_missing(value: Any) -> Any:
    from usage_analytics.ingest.kinds import _missing_marker

    return None if _missing_marker(value) else value


#: Past 64-bit microseconds (the year 301,770): beyond Arrow's timestamps, out of range
#: in its record.
BEYOND = np.datetime64(300_000 * 365, "D")


def _beside_times_beyond_arrow(times: Any, name: str, values: list[Any]) -> dict[str, Any]:
    """`times`, a list of a field's `values` and a numpy array of flags: columns not all
    lists, which are not read as the list of dicts of their rows."""
    return {"timestamp": times, name: values, "timeout": np.zeros(len(values), dtype=bool)}


@pytest.mark.parametrize(
    "columns",
    [
        pytest.param(  # (the hypothesis example: objects beside objects)
            {
                "timestamp": _objects([None, BEYOND, np.datetime64("2026-03-02")]),
                "file_path": _objects([7, None, "a.py"]),
            },
            id="objects, a file path's int",
        ),
        pytest.param(
            {
                "timestamp": _objects([np.datetime64("2026-03-02"), BEYOND, np.datetime64("NaT")]),
                "quality_score": _objects([0.5, float("nan"), True]),
            },
            id="objects, a score's bool beside a missing one's NaN",
        ),
        pytest.param(
            _beside_times_beyond_arrow(
                np.array(["2026-03-02", BEYOND, "NaT"], dtype="datetime64[D]"),
                "success",
                [True, "yes", None],
            ),
            id="a datetime64 array, a list of flags with a text",
        ),
        pytest.param(
            _beside_times_beyond_arrow(
                np.array([BEYOND, "2026-03-02", "2026-03-03"], dtype="datetime64[D]"),
                "agent",
                ["a", 7, "b"],
            ),
            id="a datetime64 array, a list of names of several kinds",
        ),
    ],
)
def test_times_beyond_arrow_beside_a_column_read_as_given_are_their_records_errors(
    columns: dict[str, Any],
) -> None:
    # A column read value by value (`dict_columns._given`) beside timestamps Arrow cannot
    # hold was refused whole ("the timestamps beside it lie beyond the datetimes its
    # records would be read with"): each such timestamp is its record's error (out of
    # range), as in the list of dicts of its rows and as beside columns Arrow holds.
    names = list(columns)
    rows = [
        {name: _none_if_missing(value) for name, value in zip(names, row, strict=True)}
        for row in zip(*columns.values(), strict=True)
    ]
    for mode in ("skip", "raise"):
        assert _as_table(columns, mode) == outcome(_call(rows, mode))
    quality = outcome(_call(columns, "skip"))["data_quality"]
    assert quality["records_in_window"] == 1  # (the one valid record of each case)
    assert {"field": "timestamp", "value": repr(BEYOND)} in [
        {key: sample[key] for key in ("field", "value")} for sample in quality["error_samples"]
    ]


#: In the window, as epoch microseconds.
INSIDE_US = int((START + timedelta(days=1)).timestamp()) * 10**6


@pytest.mark.parametrize(
    ("name", "column", "as_records"),
    [
        pytest.param(
            "timestamp",
            np.array([2**62, INSIDE_US], dtype=np.int64),
            [np.datetime64(2**62, "us"), np.datetime64(INSIDE_US, "us")],
            id="integer timestamps past the year 9999",
        ),
        pytest.param(
            "timestamp",
            np.array(["20000-01-01T00:00:00", "2026-03-02T00:00:00"], dtype="datetime64[s]"),
            [np.datetime64("20000-01-01T00:00:00"), np.datetime64("2026-03-02T00:00:00")],
            id="datetime64 seconds of the year 20000",
        ),
        pytest.param(
            "timestamp",
            np.array(["20000-01-01", "2026-03-02"], dtype="datetime64[D]"),
            [np.datetime64("20000-01-01"), np.datetime64("2026-03-02")],
            id="datetime64 days of the year 20000 (Arrow's date32)",
        ),
        pytest.param(
            "timestamp",
            pa.array([2_534_023_008_000_000, INSIDE_US // 1000], pa.date64()),
            [np.datetime64(2_534_023_008_000_000, "ms"), np.datetime64(INSIDE_US // 1000, "ms")],
            id="an Arrow date64 past the year 9999",
        ),
        pytest.param(
            "timestamp",
            pa.array([2_534_023_008_000_000, INSIDE_US // 1000], pa.date64()).dictionary_encode(),
            [np.datetime64(2_534_023_008_000_000, "ms"), np.datetime64(INSIDE_US // 1000, "ms")],
            id="a dictionary of Arrow date64s past the year 9999 (refused, said to hold NaT)",
        ),
        pytest.param(
            "execution_time_ms",
            np.array([10**14, 5], dtype="timedelta64[s]"),
            [np.timedelta64(10**14, "s"), np.timedelta64(5, "s")],
            id="10**14 seconds of execution time",
        ),
    ],
)
def test_values_past_pythons_beside_a_column_read_as_given_are_read_as_by_the_table(
    name: str, column: Any, as_records: list[Any]
) -> None:
    # Beside a list read value by value (`dict_columns._given`), an array holding a time
    # or duration that Python's datetimes and timedeltas cannot hold refused the whole
    # call; its records read it as the table does (numpy's values, `_numpy_times`): out
    # of the window, or an execution time.
    columns: dict[str, Any] = {"timestamp": np.array([INSIDE_US] * 2, dtype=np.int64)}
    columns[name] = column
    given = ["a", 7]  # (names of several kinds: 7 its record's error)
    rows = [
        {"timestamp": np.datetime64(INSIDE_US, "us"), name: value, "agent": agent}
        for value, agent in zip(as_records, given, strict=True)
    ]
    for mode in ("skip", "raise"):
        assert outcome(_call({**columns, "agent": given}, mode)) == outcome(_call(rows, mode))
    # (As the table of a typed array of names reads it, but for the one bad name.)
    typed = outcome(_call({**columns, "agent": np.array(["a", "b"])}, "skip"))["data_quality"]
    read = outcome(_call({**columns, "agent": given}, "skip"))["data_quality"]
    assert read["invalid_records"] == 1
    assert read["records_outside_window"] == typed["records_outside_window"]


def test_numpys_nat_sentinel_beside_a_column_read_as_given_is_named() -> None:
    # (The least 64-bit int: an instant to the table, NaT, missing, to a record.)
    columns = {"timestamp": np.array([-(2**63), INSIDE_US], dtype=np.int64), "agent": ["a", 7]}
    with pytest.raises(UsageAnalyticsError, match=r"column 'agent'.*column 'timestamp'.*NaT"):
        _call(columns, "skip")()


@settings(max_examples=60, deadline=None)
@given(contract=contracts(invalid=True), raise_mode=st.booleans())
def test_a_dict_of_lists_read_as_a_table_equals_the_list_of_its_rows(
    contract: ModelUsageAnalyticsInput, raise_mode: bool
) -> None:
    # (The suite's records of every representation, disguised ones and bad values among
    # them: as test_dict_of_lists's, through `columns_to_arrow` instead.)
    rows = _as_records(contract)
    columns = columns_of(rows)
    if "timestamp" not in columns:
        return
    mode = "raise" if raise_mode else "skip"
    settings_ = contract.model_dump(exclude={"execution_data", "on_invalid"})

    def call(data: Any) -> Any:
        request = ModelUsageAnalyticsInput(**settings_, execution_data=data, on_invalid=mode)
        return lambda: REDUCER.execute_reduction_sync(request)

    with patch.object(dict_columns, "_record_lists", lambda *_: None):
        as_table = outcome(call(columns))
    assert as_table == outcome(call(rows))


def test_the_core_names_the_row_value_and_reason_of_a_refused_value() -> None:
    with pytest.raises(ValueError, match=r"row 1 holds 'soon': .*ISO"):
        _core.field_column("timestamp", [datetime(2026, 1, 1), "soon"])
    with pytest.raises(ValueError, match=r"row 0 holds 2: must be a bool \(or the int 0 or 1\)"):
        _core.field_column("success", (2,))
    with pytest.raises(ValueError, match=r"row 2 holds Decimal\('-1'\): must be >= 0"):
        _core.field_column("execution_time_ms", [Decimal(1), None, Decimal(-1)])
    with pytest.raises(ValueError, match=r"row 0 holds b'x': must be a str, got bytes"):
        _core.field_column("agent", [b"x"])
    with pytest.raises(TypeError, match="no record field"):
        _core.field_column("pattern_id", ["a"])
    with pytest.raises(TypeError, match="a list or a tuple"):
        _core.field_column("agent", cast(Any, iter(["a"])))


#: Each named form: its column, its Arrow array as the core's parsers read it.
EDGES: dict[str, tuple[str, list[Any], pa.Array]] = {
    "naive is UTC": (
        "timestamp",
        [datetime(2026, 3, 1, 12), None],
        pa.array([datetime(2026, 3, 1, 12, tzinfo=UTC), None], pa.timestamp("us", "UTC")),
    ),
    "the fold's second 1:30 in New York": (
        "timestamp",
        [datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=ZoneInfo("America/New_York"))],
        pa.array([datetime(2026, 11, 1, 6, 30, tzinfo=UTC)], pa.timestamp("us", "UTC")),
    ),
    "a date is its midnight UTC (numpy's days)": (
        "timestamp",
        [date(1969, 12, 31), None, date(1, 1, 1)],
        pa.array(
            [datetime(1969, 12, 31, tzinfo=UTC), None, datetime(1, 1, 1, tzinfo=UTC)],
            pa.timestamp("us", "UTC"),
        ),
    ),
    "numpy float32 scores, -0.0 as 0.0 (numpy's floats)": (
        "quality_score",
        [np.float32(0.5), np.float32(-0.0), np.float32(1.0)],
        pa.array([0.5, 0.0, 1.0], pa.float64()),
    ),
    "numpy ints as execution times (numpy's floats)": (
        "execution_time_ms",
        [np.uint64(2**64 - 1), np.int64(3)],
        pa.array([float(2**64 - 1), 3.0], pa.float64()),
    ),
    "numpy bools alone (numpy's flags)": (
        "timeout",
        [np.bool_(True), np.bool_(False)] * 5,
        pa.array([True, False] * 5),
    ),
    "a datetime64 in minutes, NaT missing": (
        "timestamp",
        [np.datetime64(1, "m"), np.datetime64("NaT")],
        pa.array([datetime(1970, 1, 1, 0, 1, tzinfo=UTC), None], pa.timestamp("us", "UTC")),
    ),
    "a timedelta's milliseconds, a Decimal's float": (
        "execution_time_ms",
        [timedelta(seconds=1, microseconds=500), Decimal("2.5"), np.timedelta64("NaT")],
        pa.array([1000.5, 2.5, None], pa.float64()),
    ),
    "numpy flags and ints 0 and 1": (
        "success",
        [np.bool_(True), 0, np.uint8(1), None] * 3,
        pa.array([True, False, True, None] * 3),
    ),
    "a str subclass's text, a file path's lone surrogate": (
        "file_path",
        [type("Path", (str,), {})("a.py"), "b\udcff.py", None],
        pa.array(["a.py", "b\ufffd\ufffd\ufffd.py", None], pa.large_string()),  # (a byte each)
    ),
}


@pytest.fixture
def _as_without_pandas(monkeypatch: pytest.MonkeyPatch) -> None:
    """Read as where pandas is not imported (this process has imported it: dates are
    then left to pyarrow, faster)."""
    monkeypatch.setattr(field_objects, "_pandas_imported", lambda: False)


def test_dates_are_left_to_pyarrow_once_pandas_is_imported() -> None:
    dates = [date(2026, 3, 1), None]
    assert arrow_of_field_objects(pa, "timestamp", dates, _value_types(dates)) is None


def test_integer_timestamps_are_left_to_integer_times() -> None:
    """Epoch microseconds are a column's form (records refuse ints): `integer_times` reads
    them, before this module is asked (`dict_columns`)."""
    stamps = [np.int64(5), 6, None]
    assert arrow_of_field_objects(pa, "timestamp", stamps, _value_types(stamps)) is None
    read = arrow_of_integer_times(pa, "timestamp", stamps, _value_types(stamps))
    assert read is not None
    assert read.equals(pa.array([5, 6, None], pa.int64()))


@pytest.mark.usefixtures("_as_without_pandas")
@pytest.mark.parametrize("case", list(EDGES))
def test_a_named_form_becomes_its_arrow_array(case: str) -> None:
    field, values, expected = EDGES[case]
    read = arrow_of_field_objects(pa, field, values, _value_types(values))
    assert read is not None
    read.validate(full=True)
    assert read.equals(expected)


@pytest.mark.parametrize(
    ("field", "values", "words"),
    [
        ("quality_score", [np.float64(0.5), np.float64(1.5)], r"row 1 holds np.float64\(1.5\)"),
        ("execution_time_ms", [np.float32("nan")], r"row 0 holds np.float32\(nan\): .*finite"),
        ("execution_time_ms", [np.int64(-1)], r"row 0 holds np.int64\(-1\): must be >= 0"),
    ],
)
def test_a_numpy_number_its_record_refuses_is_named_by_the_core(
    field: str, values: list[Any], words: str
) -> None:
    # (numpy's loop declines the column; the core's parsers name the value.)
    with pytest.raises(ValueError, match=words):
        arrow_of_field_objects(pa, field, values, _value_types(values))


def test_plain_values_are_left_to_list_buffers() -> None:
    for values in ([1.5, None], ["a"], [True], [1, 2.5], []):
        assert arrow_of_field_objects(pa, "quality_score", values, _value_types(values)) is None
    ids = [np.int64(1)]
    assert arrow_of_field_objects(pa, "pattern_id", ids, _value_types(ids)) is None


def test_a_range_array_and_memoryview_are_their_values() -> None:
    assert plain_sequence(range(2, 9, 3)).tolist() == [2, 5, 8]
    assert plain_sequence(range(2**63, 2**63 + 2)) == [2**63, 2**63 + 1]
    floats = array.array("d", [0.5, 1.5])
    assert plain_sequence(floats) == [0.5, 1.5]
    assert plain_sequence(memoryview(floats)) == [0.5, 1.5]
    rows = [
        {"timestamp": START + timedelta(hours=i), "execution_time_ms": float(i)} for i in range(3)
    ]
    columns = {
        "timestamp": [r["timestamp"] for r in rows],
        "execution_time_ms": array.array("d", [0, 1, 2]),
    }
    assert outcome(_call(columns, "raise")) == outcome(_call(rows, "raise"))
    columns["execution_time_ms"] = range(3)
    assert outcome(_call(columns, "raise")) == outcome(_call(rows, "raise"))
