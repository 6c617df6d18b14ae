"""Columnar input: the same records give exactly the same analytics whatever their form.

`execution_data` may be a list of record dicts (the form every other test checks against
the reference), anything exporting the Arrow PyCapsule interface (pyarrow Table and
RecordBatch, polars and pandas DataFrames, DuckDB relations, a bare `__arrow_c_array__`
exporter) or a dict of column name -> list or numpy array. Property tests draw records as
typed columns (timestamps in every Arrow unit, with and without a zone, as int64 epoch
microseconds or ISO strings; flags as booleans or integers; numbers as float64, float32 or
int64; strings plain, large, view or dictionary-encoded; null-typed columns; nulls) and
check every form against the list of dicts holding the same values (None or an absent key
for a null): every family and `data_quality` equal, floats bit for bit. Named cases cover
nulls, bad values and their error samples, schema errors, empty and multi-batch input, the
window filter, dicts of columns, and the async front.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import math
import random
import re
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.dataset
import pytest
from child import run_python
from equivalence import assert_same, comparable
from hypothesis import given, settings
from hypothesis import strategies as st
from loop_ticks import ticks_while
from pydantic import ValidationError
from reference import US_PER_DAY, datetime_to_micros
from strategies import (
    PROFILES,
    TIMEZONES,
    Window,
    bucket_widths,
    categories,
    execution_times,
    file_paths,
    instants,
    iso_strings,
    micros_to_utc,
    quality_scores,
    thresholds,
    windows,
)
from usage_analytics import (
    AnalyticsGranularity,
    ColumnNameWarning,
    InvalidRecordError,
    ModelUsageAnalyticsBatchInput,
    ModelUsageAnalyticsInput,
    NodeUsageAnalyticsReducer,
    TimeWindowType,
    UsageAccumulator,
    UsageAnalyticsError,
    UsageTrendType,
    ingest,
)
from usage_analytics._core import ARROW_SLICE_ROWS
from usage_analytics.ingest import read_any, row_count

REDUCER = NodeUsageAnalyticsReducer()
START = datetime(2026, 1, 5, tzinfo=UTC)
END = START + timedelta(days=7)
WHEN = START + timedelta(days=6)  # inside, and recent
START_US = datetime_to_micros(START)
END_US = datetime_to_micros(END)

#: Output fields that differ between any two calls.

FLAG_FIELDS = ("success", "quality_gates_passed", "timeout")
NUMBER_FIELDS = ("execution_time_ms", "quality_score")
STRING_FIELDS = ("context_type", "agent", "project", "file_path")


# --------------------------------------------------------------------------- outcomes


def outcome(contract: ModelUsageAnalyticsInput) -> Any:
    """The output without its volatile fields, or the raised error's attributes."""
    try:
        output = REDUCER.execute_reduction_sync(contract)
    except InvalidRecordError as error:
        return {
            "raised": (error.index, error.field, error.value, error.reason, error.more),
            "message": str(error),
        }
    return comparable(output)


def request(data: Any, **options: Any) -> ModelUsageAnalyticsInput:
    return ModelUsageAnalyticsInput(
        pattern_id="columnar",
        time_window_start=START,
        time_window_end=END,
        execution_data=data,
        **options,
    )


# --------------------------------------------------------------------------- columns


@dataclass(frozen=True)
class Column:
    """One column three ways: Arrow, the values a record dict holds (None = missing),
    and numpy (for the dict-of-numpy-arrays form)."""

    arrow: pa.Array
    values: list[Any]
    numpy: np.ndarray[Any, Any]


class Case:
    """Records as typed columns and as the list of dicts holding the same values."""

    def __init__(
        self, options: dict[str, Any], columns: dict[str, Column], records: list[dict[str, Any]]
    ) -> None:
        self.options = options
        self.columns = columns
        self.records = records

    def __repr__(self) -> str:
        types = {name: str(column.arrow.type) for name, column in self.columns.items()}
        return (
            f"Case(options={self.options!r},\n  types={types!r},\n"
            f"  arrow={self.table.to_pydict()!r},\n  records={self.records!r})"
        )

    def contract(self, data: Any) -> ModelUsageAnalyticsInput:
        return ModelUsageAnalyticsInput(**self.options, execution_data=data)

    @property
    def table(self) -> pa.Table:
        return pa.table({name: column.arrow for name, column in self.columns.items()})


def objects(values: list[Any]) -> np.ndarray[Any, Any]:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def null_column(rows: int) -> Column:
    return Column(pa.nulls(rows), [None] * rows, objects([None] * rows))


def _zone(name: str) -> tzinfo:
    if name[0] in "+-":
        sign = 1 if name[0] == "+" else -1
        return timezone(sign * timedelta(hours=int(name[1:3]), minutes=int(name[4:6])))
    return ZoneInfo(name)


#: Arrow timestamp zones: none (= UTC), IANA names and fixed offsets.
ARROW_ZONES = [None, "UTC", "Asia/Kolkata", "America/New_York", "+05:30", "-08:00"]
UNIT_MICROS = {"s": 1_000_000, "ms": 1_000, "us": 1, "ns": 1}
STRING_KINDS = [
    "string",
    "large_string",
    "string_view",
    "dictionary",
    "dictionary_int8",
    "dictionary_null_entry",
]
BAD_ISO = ["not a date", "2026-02-30T10:00:00Z", "2026-01-05T25:00:00", "", "2026-1-5"]


def string_array(values: Sequence[str | None], kind: str) -> pa.Array:
    if kind == "string":
        return pa.array(values, pa.string())
    if kind == "large_string":
        return pa.array(values, pa.large_string())
    if kind == "string_view":
        return pa.array(values, pa.string_view())
    encoded = pa.array(values, pa.string()).dictionary_encode()
    if kind == "dictionary":
        return encoded
    if kind == "dictionary_int8":
        return pa.DictionaryArray.from_arrays(encoded.indices.cast(pa.int8()), encoded.dictionary)
    # Nulls as keys pointing at a null dictionary entry, not as null keys.
    null_entry = len(encoded.dictionary)
    keys = [null_entry if key is None else key for key in encoded.indices.to_pylist()]
    dictionary = pa.concat_arrays([encoded.dictionary, pa.nulls(1, pa.string())])
    return pa.DictionaryArray.from_arrays(pa.array(keys, pa.int32()), dictionary)


def _cells(rows: int, cell: st.SearchStrategy[Any]) -> st.SearchStrategy[list[Any]]:
    return st.lists(cell, min_size=rows, max_size=rows)


def _with_nulls(*values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """None a third of the time (or less with more value strategies)."""
    return st.one_of(st.none(), *values)


#: One row in six is bad (when bad values are wanted).
_ONE_IN_SIX = st.sampled_from([False] * 5 + [True])


@st.composite
def timestamp_columns(
    draw: st.DrawFn, window: Window, rows: int, profile: str, invalid: bool
) -> Column:
    micros = draw(_cells(rows, instants(window, profile)))
    nulls = draw(_cells(rows, _ONE_IN_SIX)) if invalid else [False] * rows
    kind = draw(st.sampled_from(["arrow", "arrow", "int64_us", "iso"]))
    if kind == "iso":
        bad = draw(_cells(rows, _ONE_IN_SIX)) if invalid else [False] * rows
        texts: list[str | None] = []
        for us, null, bad_text in zip(micros, nulls, bad, strict=True):
            if null:
                texts.append(None)
            elif bad_text:
                texts.append(draw(st.sampled_from(BAD_ISO)))
            else:
                texts.append(draw(iso_strings(us)))
        string_kind = draw(st.sampled_from(STRING_KINDS))
        return Column(string_array(texts, string_kind), texts, objects(texts))
    as_datetime64 = [
        np.datetime64("NaT") if null else np.datetime64(us, "us")
        for us, null in zip(micros, nulls, strict=True)
    ]
    if kind == "int64_us":
        raw = [None if null else us for us, null in zip(micros, nulls, strict=True)]
        utc_values = [None if us is None else micros_to_utc(us) for us in raw]
        numpy = (
            np.array(micros, dtype=np.int64)
            if not any(nulls)
            else np.array(as_datetime64, dtype="datetime64[us]")
        )
        return Column(pa.array(raw, pa.int64()), utc_values, numpy)
    unit = draw(st.sampled_from(list(UNIT_MICROS)))
    zone = draw(st.sampled_from(ARROW_ZONES))
    # ns values carry sub-microsecond digits, which the core truncates like the list
    # path truncates a 9-digit ISO fraction: such a column's records hold those strings.
    nanos = unit == "ns" and draw(st.booleans())
    subs = draw(_cells(rows, st.integers(0, 999))) if nanos else [0] * rows
    raw_values: list[int | None] = []
    values: list[datetime | str | None] = []
    floored = []
    for us, null, sub in zip(micros, nulls, subs, strict=True):
        us -= us % UNIT_MICROS[unit]
        floored.append(us)
        if null:
            raw_values.append(None)
            values.append(None)
            continue
        utc = micros_to_utc(us)
        if unit in ("s", "ms"):
            raw_values.append(us // UNIT_MICROS[unit])
        elif unit == "us":
            raw_values.append(us)
        else:
            raw_values.append(us * 1000 + sub)
        if nanos:
            values.append(f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond:06d}{sub:03d}Z")
        elif zone is None:
            values.append(utc.replace(tzinfo=None))
        else:
            values.append(utc.astimezone(_zone(zone)))
    numpy = np.array(
        [
            np.datetime64("NaT") if null else np.datetime64(us, "us")
            for us, null in zip(floored, nulls, strict=True)
        ],
        dtype="datetime64[us]",
    )
    return Column(pa.array(raw_values, pa.timestamp(unit, tz=zone)), values, numpy)


FLAG_TYPES = {
    "bool": pa.bool_(),
    "int8": pa.int8(),
    "int64": pa.int64(),
    "uint8": pa.uint8(),
}
_NOT_01 = st.integers(-(2**63), 2**63 - 1).filter(lambda v: v not in (0, 1))
#: (valid, bad) flag values per column type.
_FLAG_VALUES: dict[str, tuple[st.SearchStrategy[Any], st.SearchStrategy[Any] | None]] = {
    "bool": (st.booleans(), None),
    "int8": (st.sampled_from([0, 1]), st.integers(-128, 127).filter(lambda v: v not in (0, 1))),
    "int64": (st.sampled_from([0, 1]), _NOT_01),
    "uint8": (st.sampled_from([0, 1]), st.integers(2, 255)),
}


@st.composite
def flag_columns(draw: st.DrawFn, rows: int, invalid: bool) -> Column | None:
    kind = draw(st.sampled_from(["absent", *FLAG_TYPES, "null"]))
    if kind == "absent":
        return None
    if kind == "null":
        return null_column(rows)
    good, bad = _FLAG_VALUES[kind]
    cell = (
        _with_nulls(good, good, good, bad)
        if invalid and bad is not None
        else _with_nulls(good, good)
    )
    values = draw(_cells(rows, cell))
    if None not in values:
        numpy = np.array(values, dtype=np.bool_ if kind == "bool" else kind)
    else:
        numpy = objects(values)
    return Column(pa.array(values, FLAG_TYPES[kind]), values, numpy)


def _float32(value: float) -> float:
    return float(np.float32(value))


def _number_values(field: str, kind: str) -> tuple[st.SearchStrategy[Any], st.SearchStrategy[Any]]:
    """(valid, bad) values of a number column of the given type."""
    width: Literal[32, 64] = 32 if kind == "float32" else 64
    if field == "execution_time_ms":
        if kind == "int64":
            return st.integers(0, 10**6), st.integers(-(2**63), -1)
        bad = st.one_of(
            st.sampled_from([math.nan, math.inf, -math.inf]),
            st.floats(max_value=0, exclude_max=True, width=width),
        )
        good = execution_times.map(float)
        return (good.map(_float32) if kind == "float32" else good), bad
    if kind == "int64":
        return st.sampled_from([0, 1]), _NOT_01
    bad = st.floats(width=width).filter(lambda x: not 0 <= x <= 1)
    good = quality_scores.map(float)
    return (good.map(_float32) if kind == "float32" else good), bad


NUMBER_TYPES = {"float64": pa.float64(), "float32": pa.float32(), "int64": pa.int64()}
_NUMBER_VALUES = {
    (field, kind): _number_values(field, kind) for field in NUMBER_FIELDS for kind in NUMBER_TYPES
}


@st.composite
def number_columns(draw: st.DrawFn, field: str, rows: int, invalid: bool) -> Column | None:
    kind = draw(st.sampled_from(["absent", *NUMBER_TYPES, "null"]))
    if kind == "absent":
        return None
    if kind == "null":
        return null_column(rows)
    good, bad = _NUMBER_VALUES[field, kind]
    values = draw(
        _cells(rows, _with_nulls(good, good, good, bad) if invalid else _with_nulls(good, good))
    )
    if kind == "int64" and None not in values:
        numpy = np.array(values, dtype=np.int64)
    else:
        dtype = np.float32 if kind == "float32" else np.float64
        numpy = np.array([math.nan if v is None else v for v in values], dtype=dtype)
    return Column(pa.array(values, NUMBER_TYPES[kind]), values, numpy)


_STRING_VALUES = {
    "file_path": _with_nulls(file_paths, file_paths),
    "other": _with_nulls(categories, categories),
}


@st.composite
def string_columns(draw: st.DrawFn, field: str, rows: int) -> Column | None:
    kind = draw(st.sampled_from(["absent", *STRING_KINDS, "null"]))
    if kind == "absent":
        return None
    if kind == "null":
        return null_column(rows)
    values = draw(_cells(rows, _STRING_VALUES["file_path" if field == "file_path" else "other"]))
    return Column(string_array(values, kind), values, objects(values))


@st.composite
def extra_columns(draw: st.DrawFn, rows: int) -> dict[str, Column]:
    """Columns that are not record fields (ignored by every path)."""
    extra: dict[str, Column] = {}
    if draw(st.booleans()):
        ids = draw(_cells(rows, st.sampled_from(["run-1", "run-2", "run-3"])))
        extra["execution_id"] = Column(pa.array(ids), ids, objects(ids))
    if draw(st.booleans()):
        tags = draw(_cells(rows, _with_nulls(st.lists(st.integers(0, 9), max_size=2))))
        extra["tags"] = Column(pa.array(tags, pa.list_(pa.int64())), tags, objects(tags))
    if draw(st.booleans()):  # names are case-sensitive: not the timestamp
        bogus = draw(_cells(rows, st.floats(-1e3, 1e3)))
        extra["Timestamp"] = Column(pa.array(bogus, pa.float64()), bogus, np.array(bogus))
    return extra


@st.composite
def cases(draw: st.DrawFn, *, invalid: bool = False, max_rows: int = 12) -> Case:
    window = draw(windows())
    rows = draw(st.integers(0, max_rows))
    profile = draw(st.sampled_from(PROFILES))
    columns: dict[str, Column | None] = {
        "timestamp": draw(timestamp_columns(window, rows, profile, invalid))
    }
    for field in FLAG_FIELDS:
        columns[field] = draw(flag_columns(rows, invalid))
    for field in NUMBER_FIELDS:
        columns[field] = draw(number_columns(field, rows, invalid))
    for field in STRING_FIELDS:
        columns[field] = draw(string_columns(field, rows))
    present = {name: column for name, column in columns.items() if column is not None}
    present.update(draw(extra_columns(rows)))
    order = draw(st.permutations(list(present)))
    ordered = {name: present[name] for name in order}
    # A missing value is a None or an absent key.
    keep_none = draw(
        _cells(rows, st.lists(st.booleans(), min_size=len(ordered), max_size=len(ordered)))
    )
    records = [
        {
            name: column.values[row]
            for (name, column), keep in zip(ordered.items(), keep_none[row], strict=True)
            if column.values[row] is not None or keep
        }
        for row in range(rows)
    ]
    options = {
        "pattern_id": "columnar",
        "time_window_start": window.start,
        "time_window_end": window.end,
        "time_window_type": window.window_type,
        "granularity": draw(st.sampled_from(list(AnalyticsGranularity))),
        "include_trends": draw(st.sampled_from([True, True, True, False])),
        "include_performance": draw(st.booleans()),
        "include_distribution": draw(st.booleans()),
        "include_predictions": draw(st.booleans()),
        "timezone": draw(st.sampled_from(TIMEZONES)),
        "bucket_width": draw(bucket_widths(window)),
        "trend_thresholds": draw(thresholds()),
        "on_invalid": draw(st.sampled_from(["raise", "skip"])) if invalid else "skip",
    }
    return Case(options, ordered, records)


# --------------------------------------------------------------------------- forms


class ArrayExporter:
    """Exports only `__arrow_c_array__` (one struct array), as some producers do."""

    def __init__(self, batch: pa.RecordBatch) -> None:
        self._batch = batch

    def __arrow_c_array__(self, requested_schema: object = None) -> tuple[object, object]:
        return self._batch.__arrow_c_array__(requested_schema)  # type: ignore[no-any-return]


def _padded(array: pa.Array) -> pa.Array:
    """The same values at offset 3 inside longer buffers (padding: nulls)."""
    if pa.types.is_dictionary(array.type):  # pad the keys, keep the dictionary
        keys = _padded(array.indices)
        return pa.DictionaryArray.from_arrays(keys, array.dictionary)
    rows = len(array)
    padding = (pa.nulls(3, array.type), pa.nulls(2, array.type))
    return pa.concat_arrays([padding[0], array, padding[1]]).slice(3, rows)


def sliced_table(case: Case) -> pa.Table:
    """The same rows at a non-zero offset inside longer buffers."""
    return pa.table({name: _padded(column.arrow) for name, column in case.columns.items()})


def record_batch(case: Case) -> pa.RecordBatch:
    return pa.record_batch({name: column.arrow for name, column in case.columns.items()})


def _utc_instead_of_offsets(table: pa.Table) -> pa.Table:
    """Polars has no fixed-offset zones: the same instants, labelled UTC."""
    fields = [
        pa.field(f.name, pa.timestamp(f.type.unit, tz="UTC"))
        if pa.types.is_timestamp(f.type) and f.type.tz and f.type.tz[0] in "+-"
        else f
        for f in table.schema
    ]
    return table.cast(pa.schema(fields))


def polars_frame(case: Case) -> pl.DataFrame:
    frame = pl.from_arrow(_utc_instead_of_offsets(case.table))
    assert isinstance(frame, pl.DataFrame)
    return frame


_NULLABLE_INTS = {
    pa.int8(): pd.Int8Dtype(),
    pa.int64(): pd.Int64Dtype(),
    pa.uint8(): pd.UInt8Dtype(),
}


def pandas_frame(case: Case) -> pd.DataFrame:
    """numpy-backed pandas (nullable integer dtypes: plain ones cannot hold a null; a
    dictionary with a null entry re-encoded, as pandas categories cannot be null)."""
    table = case.table
    for i, f in enumerate(table.schema):
        if pa.types.is_dictionary(f.type):
            plain = table.column(i).cast(pa.string())
            table = table.set_column(i, f.name, plain.dictionary_encode())
    return table.to_pandas(types_mapper=_NULLABLE_INTS.get)


def pandas_arrow_frame(case: Case) -> pd.DataFrame:
    return case.table.to_pandas(types_mapper=pd.ArrowDtype)


def duckdb_relation(case: Case) -> duckdb.DuckDBPyRelation:
    table = case.table
    if "Timestamp" in table.column_names:  # DuckDB's names are case-insensitive
        table = table.drop_columns(["Timestamp"])
    arrow_table = table  # noqa: F841 (read by name by DuckDB's replacement scan)
    relation = duckdb.sql("SELECT * FROM arrow_table")
    assert relation is not None
    return relation


def dict_of_lists(case: Case) -> dict[str, list[Any]]:
    return {name: list(column.values) for name, column in case.columns.items()}


def dict_of_numpy(case: Case) -> dict[str, np.ndarray[Any, Any]]:
    return {name: column.numpy for name, column in case.columns.items()}


def dict_of_numpy_text_arrays(case: Case) -> dict[str, np.ndarray[Any, Any]]:
    """numpy arrays, each text column without a missing value a numpy text array (dtype
    `<U`, what `np.array(list_of_str)` gives; coded by `_core.fixed_text_codes`)."""
    arrays = dict_of_numpy(case)
    for name in STRING_FIELDS:
        values = case.columns[name].values if case.columns.get(name) else None
        if values is not None and None not in values:
            arrays[name] = np.array(values, dtype=str)
    return arrays


def dict_of_pandas_series(case: Case) -> dict[str, pd.Series]:
    """pandas' own column objects: categories, time zones and nullable dtypes as in a
    frame."""
    return dict(pandas_frame(case).items())


def dict_of_polars_series(case: Case) -> dict[str, pl.Series]:
    frame = polars_frame(case)
    return dict(zip(frame.columns, frame.get_columns(), strict=True))


FORMS: dict[str, Callable[[Case], Any]] = {
    "pyarrow_table": lambda case: case.table,
    "pyarrow_sliced_table": sliced_table,
    "pyarrow_record_batch": record_batch,
    "arrow_c_array_exporter": lambda case: ArrayExporter(record_batch(case)),
    "polars": polars_frame,
    "pandas": pandas_frame,
    "pandas_arrow_dtypes": pandas_arrow_frame,
    "duckdb": duckdb_relation,
    "dict_of_lists": dict_of_lists,
    "dict_of_numpy_arrays": dict_of_numpy,
    "dict_of_numpy_text_arrays": dict_of_numpy_text_arrays,
    "dict_of_pandas_series": dict_of_pandas_series,
    "dict_of_polars_series": dict_of_polars_series,
}

#: Forms that keep NaN apart from null. numpy-backed pandas and numpy arrays read NaN as
#: missing (`from_pandas` semantics), so a NaN there is not the list path's invalid NaN.
NAN_FORMS = [
    "pyarrow_table",
    "pyarrow_sliced_table",
    "pyarrow_record_batch",
    "arrow_c_array_exporter",
    "polars",
    "pandas_arrow_dtypes",
    "duckdb",
    "dict_of_lists",
    "dict_of_polars_series",
]


# --------------------------------------------------------------------------- properties


#: Each form gets a third of the profile's examples (at least 10): eighteen form tests
#: share the time of a few property tests. (Volume is the named tests' business: a case
#: has at most 12 rows, which keeps examples cheap and failures quick to shrink.)
PER_FORM = settings(max_examples=max(10, settings().max_examples // 3))


@pytest.mark.parametrize("form", list(FORMS))
@PER_FORM
@given(case=cases())
def test_every_form_equals_the_list_of_dicts(form: str, case: Case) -> None:
    expected = outcome(case.contract(case.records))
    assert "raised" not in expected
    assert_same(outcome(case.contract(FORMS[form](case))), expected)


# (A record without its timestamp beside the extra column "Timestamp" is told of, where it
# is a list's first record, as that key spelled otherwise: `test_column_name_warning`.)
@pytest.mark.filterwarnings("ignore::usage_analytics.ColumnNameWarning")
@pytest.mark.parametrize("form", NAN_FORMS)
@PER_FORM
@given(case=cases(invalid=True))
def test_invalid_values_give_the_list_paths_errors(form: str, case: Case) -> None:
    """Null timestamps, bad ISO strings, NaN/inf/negative times, scores outside [0, 1],
    flags other than 0/1 in integer columns: the same counts, samples (row index, field,
    repr, reason) and raised error as the list of dicts, in raise and skip modes."""
    expected = outcome(case.contract(case.records))
    assert_same(outcome(case.contract(FORMS[form](case))), expected)


# --------------------------------------------------------------------------- nulls

FULL_ROW: dict[str, Any] = {
    "success": True,
    "execution_time_ms": 12.5,
    "quality_score": 0.75,
    "quality_gates_passed": False,
    "timeout": True,
    "context_type": "debugging",
    "agent": "agent-1",
    "project": "checkout",
    "file_path": "src/app.py",
}
OPTIONAL_TYPES = {
    "success": pa.bool_(),
    "execution_time_ms": pa.float64(),
    "quality_score": pa.float64(),
    "quality_gates_passed": pa.bool_(),
    "timeout": pa.bool_(),
    "context_type": pa.string(),
    "agent": pa.dictionary(pa.int32(), pa.string()),
    "project": pa.large_string(),
    "file_path": pa.string_view(),
}
TIMES = [WHEN - timedelta(hours=h) for h in range(4)]


@pytest.mark.parametrize("first", ["whole-minute offset first", "odd offset first"])
def test_datetimes_with_a_sub_second_offset_equal_the_list_of_dicts(first: str) -> None:
    # pyarrow's inference converted a datetime with a fractional-second UTC offset after a
    # whole-minute one with the fraction dropped: the window's last instant moved out.
    odd = timezone(timedelta(seconds=1, microseconds=1))
    last = END - timedelta(microseconds=1)
    times = [
        START + timedelta(hours=1),
        (last + timedelta(seconds=1, microseconds=1)).replace(tzinfo=odd),
    ]
    assert times[1] == last
    if first == "odd offset first":
        times.reverse()
    records = [{"timestamp": t, "success": True} for t in times]
    expected = outcome(request(records))
    assert expected["data_quality"]["records_in_window"] == 2
    columns = {"timestamp": times, "success": [True, True]}
    assert_same(outcome(request(columns)), expected)
    frame = pd.DataFrame({"timestamp": pd.Series(times, dtype=object), "success": [True, True]})
    assert_same(outcome(request(frame)), expected)


def _table_with(field: str, values: list[Any]) -> pa.Table:
    columns: dict[str, pa.Array] = {"timestamp": pa.array(TIMES, pa.timestamp("us", tz="UTC"))}
    for name, value in FULL_ROW.items():
        column = values if name == field else [value] * len(TIMES)
        columns[name] = pa.array(column, OPTIONAL_TYPES[name])
    return pa.table(columns)


def case_of(table: pa.Table) -> Case:
    """A table as a `Case` (for the forms built from one)."""
    columns = {
        name: Column(column.combine_chunks(), column.to_pylist(), objects(column.to_pylist()))
        for name, column in zip(table.column_names, table.columns, strict=True)
    }
    return Case({}, columns, [])


@pytest.mark.parametrize("form", ["pyarrow_table", "polars", "pandas", "duckdb", "dict_of_lists"])
@pytest.mark.parametrize("field", list(FULL_ROW))
def test_null_in_an_optional_column_is_missing(field: str, form: str) -> None:
    values = [FULL_ROW[field], None, FULL_ROW[field], None]
    absent = [
        {"timestamp": t, **{k: v for k, v in FULL_ROW.items() if k != field or value is not None}}
        for t, value in zip(TIMES, values, strict=True)
    ]
    with_none = [{"timestamp": t, **FULL_ROW, field: v} for t, v in zip(TIMES, values, strict=True)]
    expected = outcome(request(absent))
    assert_same(outcome(request(with_none)), expected)
    actual = outcome(request(FORMS[form](case_of(_table_with(field, values)))))
    assert_same(actual, expected)
    assert actual["data_quality"]["invalid_records"] == 0
    assert actual["usage_metrics"]["total_executions"] == 4


@pytest.mark.parametrize("shape", ["typed_nulls", "null_type", "no_column"])
@pytest.mark.parametrize("field", list(FULL_ROW))
def test_all_null_or_absent_optional_column_is_missing(field: str, shape: str) -> None:
    """A typed column of nulls, a null-typed column and no column at all read alike."""
    table = _table_with(field, [None] * len(TIMES))
    if shape == "null_type":
        index = table.column_names.index(field)
        table = table.set_column(index, field, pa.nulls(len(TIMES)))
    elif shape == "no_column":
        table = table.drop_columns([field])
    expected = outcome(request([{"timestamp": t, **FULL_ROW, field: None} for t in TIMES]))
    assert_same(outcome(request(table)), expected)


TIMESTAMP_TYPES = {
    "timestamp_us_utc": (pa.timestamp("us", tz="UTC"), WHEN),
    "timestamp_ns_naive": (pa.timestamp("ns"), WHEN.replace(tzinfo=None)),
    "int64_epoch_us": (pa.int64(), datetime_to_micros(WHEN)),
    "string": (pa.string(), "2026-01-11T00:00:00Z"),
    "large_string": (pa.large_string(), "2026-01-11T00:00:00Z"),
    "string_view": (pa.string_view(), "2026-01-11T00:00:00Z"),
    "dictionary": (pa.dictionary(pa.int8(), pa.string()), "2026-01-11T00:00:00Z"),
    # null rows as keys of a null dictionary entry
    "dictionary_null_entry": (None, "2026-01-11T00:00:00Z"),
}


@pytest.mark.parametrize("on_invalid", ["raise", "skip"])
@pytest.mark.parametrize("kind", list(TIMESTAMP_TYPES))
def test_null_timestamp_is_an_invalid_row(kind: str, on_invalid: str) -> None:
    arrow_type, value = TIMESTAMP_TYPES[kind]
    values: list[Any] = [value, None, value, None]
    column = string_array(values, kind) if arrow_type is None else pa.array(values, arrow_type)
    table = pa.table({"timestamp": column, "success": [True, True, False, True]})
    records = [
        {"timestamp": WHEN, "success": True},
        {"timestamp": None, "success": True},
        {"timestamp": WHEN, "success": False},
        {"success": True},
    ]
    expected = outcome(request(records, on_invalid=on_invalid))
    actual = outcome(request(table, on_invalid=on_invalid))
    assert_same(actual, expected)
    if on_invalid == "raise":
        assert actual["raised"] == (1, "timestamp", "<missing>", "required field is missing", 1)
    else:
        assert actual["data_quality"]["invalid_records"] == 2
        assert [s["index"] for s in actual["data_quality"]["error_samples"]] == [1, 3]


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({"timestamp": [None, None], "success": [True, False]}, id="dict_of_lists"),
        pytest.param(
            pa.table({"timestamp": pa.nulls(2), "success": [True, False]}), id="null_typed_table"
        ),
    ],
)
def test_timestamp_column_of_only_nulls_is_invalid_rows(data: Any) -> None:
    """pyarrow types a column of Nones as `null`: still missing timestamps, two invalid
    rows (as in the list path), not a schema error."""
    records = [{"timestamp": None, "success": True}, {"timestamp": None, "success": False}]
    expected = outcome(request(records, on_invalid="skip"))
    assert_same(outcome(request(data, on_invalid="skip")), expected)


def test_polars_column_of_only_nulls_is_missing() -> None:
    """polars types a column of Nones as `Null` (and exports it with a buffer pyarrow
    accepts): the column is missing values, as in the list path."""
    frame = pl.DataFrame(
        {"timestamp": [WHEN, WHEN], "agent": [None, None], "success": [True, None]}
    )
    assert frame.schema["agent"] == pl.Null
    records = [{"timestamp": WHEN, "agent": None, "success": True}, {"timestamp": WHEN}]
    assert_same(outcome(request(frame)), outcome(request(records)))


# --------------------------------------------------------------------------- bad values


def _bad_value_case(field: str, arrow_type: pa.DataType, bad: Any, good: Any) -> tuple[Any, Any]:
    """Four rows, the third holding `bad`; as a table and as the list of dicts."""
    values = [good, good, bad, good]
    table = pa.table(
        {
            "timestamp": pa.array(TIMES, pa.timestamp("us", tz="UTC")),
            "agent": ["a", "b", "c", "d"],
            field: pa.array(values, arrow_type),
        }
    )
    records = [
        {"timestamp": t, "agent": a, field: v}
        for t, a, v in zip(TIMES, "abcd", table.column(field).to_pylist(), strict=True)
    ]
    return table, records


BAD_VALUES = [
    ("execution_time_ms", pa.float64(), math.nan, 1.0),
    ("execution_time_ms", pa.float64(), math.inf, 1.0),
    ("execution_time_ms", pa.float64(), -math.inf, 1.0),
    ("execution_time_ms", pa.float64(), -1.5, 1.0),
    ("execution_time_ms", pa.float32(), -0.1, 1.0),
    ("execution_time_ms", pa.int64(), -3, 1),
    ("execution_time_ms", pa.int32(), -3, 1),
    ("execution_time_ms", pa.float64(), -1e-05, 1.0),
    ("execution_time_ms", pa.float64(), -1e20, 1.0),
    ("execution_time_ms", pa.float64(), -5e-324, 1.0),
    ("quality_score", pa.float64(), 1.5, 0.5),
    ("quality_score", pa.float64(), -0.1, 0.5),
    ("quality_score", pa.float64(), math.nan, 0.5),
    ("quality_score", pa.float64(), 1.0000000000000002, 0.5),
    ("quality_score", pa.int64(), 2, 1),
    ("quality_score", pa.int8(), -1, 0),
    ("quality_score", pa.float64(), 1e20, 0.5),
    ("success", pa.int64(), 2, 1),
    ("success", pa.int8(), -1, 0),
    ("success", pa.uint8(), 2, 1),
    ("success", pa.int64(), 2**53 + 1, 1),
    ("success", pa.uint64(), 2**64 - 1, 1),
    ("quality_gates_passed", pa.int32(), 2, 1),
    ("timeout", pa.int16(), 3, 0),
]


@pytest.mark.parametrize("on_invalid", ["raise", "skip"])
@pytest.mark.parametrize(
    ("field", "arrow_type", "bad", "good"),
    BAD_VALUES,
    ids=[f"{f}-{t}-{b!r}" for f, t, b, _ in BAD_VALUES],
)
def test_bad_value_gives_the_list_paths_error(
    field: str, arrow_type: pa.DataType, bad: Any, good: Any, on_invalid: str
) -> None:
    table, records = _bad_value_case(field, arrow_type, bad, good)
    expected = outcome(request(records, on_invalid=on_invalid))
    actual = outcome(request(table, on_invalid=on_invalid))
    assert_same(actual, expected)
    if on_invalid == "raise":
        assert actual["raised"][:2] == (2, field)
    else:
        assert actual["data_quality"]["invalid_records"] == 1
        assert actual["usage_metrics"]["total_executions"] == 3


BAD_TEXTS = [
    "not a date",
    "2026-02-30T10:00:00Z",
    "it's",
    'say "now"',
    "a\nb",
    "\x00",
    "x" * 100,
    # Long ones, written from their start alone, quoted as the whole text is quoted:
    "x" * 100 + "'",  # a single quote past the start only: double quotes
    "it's " + "x" * 100 + '"',  # a single quote in the start, a double one after it
    "\n" * 79 + "'" + "y" * 10,
]


@pytest.mark.parametrize("kind", ["string", "large_string", "string_view", "dictionary"])
@pytest.mark.parametrize("text", BAD_TEXTS, ids=[repr(t)[:20] for t in BAD_TEXTS])
def test_unparseable_timestamp_text_gives_the_list_paths_sample(text: str, kind: str) -> None:
    """The sample's value is repr() of the string, cut to 80 characters, as in the list
    path (Python's quoting and escapes)."""
    texts = ["2026-01-11T00:00:00Z", text, "2026-01-11T01:00:00Z"]
    records = [{"timestamp": t} for t in texts]
    expected = outcome(request(records, on_invalid="skip"))
    actual = outcome(request(pa.table({"timestamp": string_array(texts, kind)}), on_invalid="skip"))
    assert_same(actual, expected)
    assert actual["data_quality"]["error_samples"][0]["value"] == repr(text)[:77] + (
        "..." if len(repr(text)) > 80 else repr(text)[77:]
    )


# --------------------------------------------------------------------------- schema


def test_columns_that_are_not_record_fields_are_ignored() -> None:
    base = _table_with("agent", ["a", "b", None, "a"])
    extra = (
        base.append_column("execution_id", pa.array(["x1", "x2", "x3", "x4"]))
        .append_column("Timestamp", pa.array([1.5, 2.5, 3.5, 4.5]))
        .append_column("SUCCESS", pa.array(["no", "no", "no", "no"]))
        .append_column("tags", pa.array([[1], [], None, [2, 3]], pa.list_(pa.int64())))
        .append_column("meta", pa.array([{"k": 1}] * 4))
        .append_column("blob", pa.array([b"\x00"] * 4, pa.binary()))
        .append_column("pattern_id", pa.array([7, 7, 7, 7]))
    )
    assert_same(outcome(request(extra)), outcome(request(base)))


MISSING_TIMESTAMP_FORMS: dict[str, Callable[[pa.Table], Any]] = {
    "pyarrow_table": lambda t: t,
    "polars": lambda t: pl.from_arrow(t),
    "pandas": lambda t: t.to_pandas(),
    "duckdb": lambda t: duckdb.from_arrow(t),
    "dict_of_lists": lambda t: {n: t.column(n).to_pylist() for n in t.column_names},
}


@pytest.mark.parametrize("rename", [False, True], ids=["absent", "named_Timestamp"])
@pytest.mark.parametrize("form", list(MISSING_TIMESTAMP_FORMS))
def test_missing_timestamp_column_is_a_clear_error(form: str, rename: bool) -> None:
    """No column named exactly 'timestamp' (names are case-sensitive, as record keys)."""
    table = pa.table({"timestamp": TIMES, "success": [True] * 4, "agent": ["a"] * 4})
    if rename:
        table = table.rename_columns(["Timestamp", "success", "agent"])
    else:
        table = table.drop_columns(["timestamp"])
    data = MISSING_TIMESTAMP_FORMS[form](table)
    # ("Timestamp" is told of first, as the timestamp spelled otherwise.)
    told = "column 'Timestamp' is not read as the record field 'timestamp'"
    warned = pytest.warns(ColumnNameWarning, match=told) if rename else contextlib.nullcontext()
    with warned, pytest.raises(UsageAnalyticsError) as raised:
        REDUCER.execute_reduction_sync(request(data))
    # (Every column listed, those of no record field too: "Timestamp" is the clue.)
    assert str(raised.value) == (
        "invalid input: the columnar input has no 'timestamp' column (columns: "
        f"{', '.join(table.column_names)})"
    )


UNSUPPORTED = [
    ("success", pa.array(["yes", "no"]), "success", "Utf8"),
    ("success", pa.array([1.0, 0.0]), "success", "Float64"),
    ("timeout", pa.array(["true", "false"], pa.large_string()), "timeout", "LargeUtf8"),
    ("execution_time_ms", pa.array(["10", "20"]), "execution_time_ms", "Utf8"),
    ("quality_score", pa.array([True, False]), "quality_score", "Boolean"),
    ("agent", pa.array([1, 2]), "agent", "Int64"),
    ("file_path", pa.array([["a.py"], ["b.py"]]), "file_path", "List"),
    ("timestamp", pa.array([1.5e15, 1.6e15]), "timestamp", "Float64"),
    ("timestamp", pa.array([1, 2], pa.int32()), "timestamp", "Int32"),
]


@pytest.mark.parametrize(
    ("name", "column", "field", "type_name"),
    UNSUPPORTED,
    ids=[f"{name}-{column.type}" for name, column, _, _ in UNSUPPORTED],
)
def test_unsupported_column_type_is_a_clear_error(
    name: str, column: pa.Array, field: str, type_name: str
) -> None:
    table = pa.table({"timestamp": pa.array(TIMES[:2], pa.timestamp("us", tz="UTC"))})
    table = table.drop_columns(["timestamp"]) if name == "timestamp" else table
    table = table.append_column(name, column)
    with pytest.raises(UsageAnalyticsError, match=rf"column '{field}' has Arrow type {type_name}"):
        REDUCER.execute_reduction_sync(request(table))
    # skip mode does not skip a schema error: it is no row's fault
    with pytest.raises(UsageAnalyticsError, match="expected"):
        REDUCER.execute_reduction_sync(request(table, on_invalid="skip"))


def test_a_duckdb_hugeint_flag_is_refused_naming_the_cast() -> None:
    # DuckDB hands HUGEINT (a SUM of integers) to Arrow as a 38-digit decimal: the error
    # said "expected booleans or integers 0/1" of a column the user wrote as an integer.
    relation = duckdb.sql(
        "SELECT TIMESTAMPTZ '2024-01-01 00:00:00+00' AS timestamp, 1::HUGEINT AS success"
    )
    with pytest.raises(UsageAnalyticsError) as raised:
        REDUCER.execute_reduction_sync(request(relation))
    assert str(raised.value) == (
        "invalid input: column 'success' has Arrow type Decimal128(38, 0); expected booleans "
        "or integers 0/1 (a decimal, as DuckDB's HUGEINT is, is neither: cast it to BOOLEAN "
        "or INTEGER)"
    )


@pytest.mark.parametrize(
    ("field", "bad"),
    [("success", "true"), ("timestamp", "garbage"), ("execution_time_ms", "12 ms")],
)
def test_a_pandas_column_of_mixed_objects_reads_as_its_records(field: str, bad: Any) -> None:
    # Arrow cannot hold a column of objects of several types, and the frame's export
    # failed the whole call, even in skip mode; as a list of its records (and as a dict of
    # lists), the bad value is its record's error and only that record is skipped.
    columns: dict[str, list[Any]] = {
        "timestamp": list(TIMES[:4]),
        "success": [True, False, True, True],
        "execution_time_ms": [1.0, 2.5, 3.0, None],
        "agent": ["a", None, "b", "a"],
    }
    columns[field][2] = bad
    frame = pd.DataFrame(columns)
    rows = [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]
    for mode in ("raise", "skip"):
        results = [outcome(request(data, on_invalid=mode)) for data in (frame, rows)]
        assert results[0] == results[1]
    assert results[0]["data_quality"]["invalid_records"] == 1
    assert results[0]["data_quality"]["error_samples"][0]["field"] == field


@pytest.mark.parametrize(
    ("field", "values"),
    [
        # pyarrow's inference made one type of them, changing values silently: the dates
        # of the datetimes after a date, a bool's 1.0 among numbers, a float16 truncated
        # after ints; a float among flags made the column refused whole (even in skip).
        ("timestamp", [WHEN.date(), TIMES[1], TIMES[2]]),
        ("execution_time_ms", [2.5, True, 4.0]),
        ("quality_score", [0.5, True, 0.25]),
        ("execution_time_ms", [1, np.float16(2.5), 3]),
        ("success", [1, 0.0, True]),
        ("execution_time_ms", [1, 2.5, np.float32(3.5)]),  # (numbers: one column)
        ("timestamp", [TIMES[0], 1.5, TIMES[2]]),  # (read as 1970)
    ],
)
def test_a_column_of_values_of_several_kinds_reads_as_its_records(
    field: str, values: list[Any]
) -> None:
    columns: dict[str, list[Any]] = {"timestamp": TIMES[:3], field: values}
    rows = [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]
    frame = pd.DataFrame(
        {name: pd.Series(column, dtype=object) for name, column in columns.items()}
    )
    for mode in ("raise", "skip"):
        results = [outcome(request(data, on_invalid=mode)) for data in (rows, columns, frame)]
        assert results[1] == results[0]
        assert results[2] == results[0]
    # A numpy array of those objects (NaN would be missing there): read as they are in a
    # list, where its values mix kinds; it was refused, naming the column and its kinds.
    array = {"timestamp": TIMES[:3], field: np.array(values, dtype=object)}
    for mode in ("raise", "skip"):
        assert outcome(request(array, on_invalid=mode)) == outcome(request(rows, on_invalid=mode))


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("success", [1.0, 0.0, 1.0]),
        ("timeout", ["true", "false", None]),
        ("execution_time_ms", ["1.5", "2", "3"]),
        ("timestamp", [1.5e15, 1.6e15, 1.7e15]),
        ("agent", [1, 5, 7]),
        ("context_type", [True, False, None]),
    ],
)
def test_a_column_of_values_its_field_refuses_reads_as_its_records(
    field: str, values: list[Any]
) -> None:
    # Values all of one kind no column of their field takes: as a dict of lists (or a
    # pandas column of objects) the call was refused whole, naming no record, even in
    # skip mode, where one value of another kind among them made each its record's error.
    columns: dict[str, list[Any]] = {"timestamp": TIMES[:3], field: values}
    rows = [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]
    objects = pd.DataFrame(
        {name: pd.Series(column, dtype=object) for name, column in columns.items()}
    )
    forms: list[Any] = [rows, columns, objects]
    if any(isinstance(value, str) for value in values):
        # Text as pandas types it: its `str` dtype from pandas 3 (objects before). (A
        # column pandas types as numbers is a typed column: refused whole, as Arrow's.)
        forms.append(pd.DataFrame(columns))
    for mode in ("raise", "skip"):
        results = [outcome(request(data, on_invalid=mode)) for data in forms]
        assert results[1:] == [results[0]] * (len(forms) - 1)
    assert results[0]["data_quality"]["invalid_records"] == sum(v is not None for v in values)


@pytest.mark.parametrize("field", ["timestamp", *FLAG_FIELDS, *NUMBER_FIELDS])
@pytest.mark.parametrize("form", ["pandas_category", "arrow_dictionary"])
def test_dictionary_encoded_times_flags_and_numbers_equal_their_plain_columns(
    field: str, form: str
) -> None:
    # A categorical of numbers, flags or times was refused as a column ("has Arrow type
    # Dictionary(Int8, Float64)"), where the same values plain were read.
    plain_values: dict[str, list[Any]] = {
        "timestamp": [TIMES[0], TIMES[1], TIMES[0], TIMES[2]],
        "success": [True, None, False, True],
        "quality_gates_passed": [False, True, None, True],
        "timeout": [None, True, False, False],
        "execution_time_ms": [2.5, None, 4.0, 2.5],
        "quality_score": [0.5, 1.5, None, 0.5],  # (1.5: its record's error)
    }
    frame = pd.DataFrame({"timestamp": TIMES[:4], field: plain_values[field]})
    plain = pa.Table.from_pandas(frame, preserve_index=False)
    if form == "pandas_category":
        encoded: Any = frame.assign(**{field: frame[field].astype("category")})
        assert isinstance(encoded[field].dtype, pd.CategoricalDtype)
    else:
        index = plain.column_names.index(field)
        encoded = plain.set_column(index, field, plain.column(field).dictionary_encode())
    for mode in ("raise", "skip"):
        results = [outcome(request(data, on_invalid=mode)) for data in (plain, encoded)]
        assert results[1] == results[0]
    assert "raised" not in results[0]


#: The mask of the second of three values.
_SECOND = [False, True, False]


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("execution_time_ms", pd.Series([1.0, pd.NA, 3.0], dtype=object)),
        ("execution_time_ms", np.array([1, pd.NA, 3], dtype=object)),
        ("execution_time_ms", np.array([1, np.nan, 3], dtype=object)),
        ("success", np.array([True, None, False], dtype=object)),
        ("success", np.array([True, np.nan, False], dtype=object)),
        ("timestamp", np.array([TIMES[0], np.nan, TIMES[2]], dtype=object)),
        ("timestamp", np.array([TIMES[0], None, TIMES[2]], dtype=object)),
        ("quality_score", np.array([1, np.nan, 0.5], dtype=object)),  # (ints and floats: numbers)
        ("timestamp", pd.Series([TIMES[0].date(), pd.NaT, TIMES[2].date()], dtype=object)),
        # (Masked: seen through the mask, the value was numpy's `masked` constant.)
        (
            "execution_time_ms",
            np.ma.masked_array(np.array([1.0, 2.0, 3.0], dtype=object), _SECOND),
        ),
        ("quality_score", np.ma.masked_array(np.array([1, 0.5, 0.25], dtype=object), _SECOND)),
        ("timestamp", np.ma.masked_array(np.array(TIMES[:3], dtype=object), _SECOND)),
    ],
)
def test_missing_markers_among_objects_of_an_array_are_missing(field: str, values: Any) -> None:
    # In a numpy or pandas array of objects NaN, pandas' NA and NaT are missing, as Arrow
    # converts them, and so is a masked value of a masked array: they were taken for
    # values of another kind, and the column refused.
    columns: dict[str, Any] = {"timestamp": TIMES[:3], field: values}
    plain = [None if index == 1 else value for index, value in enumerate(values)]
    stamps = plain if field == "timestamp" else TIMES[:3]
    rows = [{"timestamp": stamp, field: value} for stamp, value in zip(stamps, plain, strict=True)]
    outcomes: list[Any] = []
    for data in (columns, rows):
        try:
            outcomes.append(comparable(REDUCER.execute_reduction_sync(request(data))))
        except InvalidRecordError as error:
            outcomes.append(str(error))
    assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize("on_invalid", ["raise", "skip"])
def test_missing_markers_of_a_frame_read_as_its_records_are_missing(on_invalid: str) -> None:
    # Read as its records (a str and an int among the names), a frame's column of objects
    # keeps its values but for its missing markers, each None: numpy's NaN (a float
    # subclass) and NaT, pandas' NA, as Arrow reads them.
    markers = [None, np.float64("nan"), np.datetime64("NaT"), pd.NA]
    frame = pd.DataFrame(
        {
            "timestamp": TIMES,
            "agent": pd.Series(["a", 5, "b", "c"], dtype=object),
            "execution_time_ms": [1.0, math.nan, 2.0, math.nan],  # (float64: NaN missing)
            "quality_score": pd.Series(
                [np.float64(0.5), "x", 0.25, np.float64("nan")], dtype=object
            ),
        }
    ).assign(
        project=pd.Series(markers, dtype=object),
        context_type=pd.Series(markers[::-1], dtype=object),
    )
    records = [
        {"timestamp": stamp, "agent": agent, "execution_time_ms": time, "quality_score": score}
        for stamp, agent, time, score in zip(
            TIMES, ["a", 5, "b", "c"], [1.0, None, 2.0, None], [0.5, "x", 0.25, None], strict=True
        )
    ]
    expected = outcome(request(records, on_invalid=on_invalid))
    assert_same(outcome(request(frame, on_invalid=on_invalid)), expected)
    if on_invalid == "skip":
        assert expected["context_distribution"]["by_project"] == {"unknown": 3}


_NUMPY_TIMES_BESIDE_SCALARS = r"""
import sys
from datetime import UTC, datetime, timedelta
import numpy as np, pandas as pd
from usage_analytics import (ModelUsageAnalyticsBatchInput, ModelUsageAnalyticsInput,
                             NodeUsageAnalyticsReducer, UsageAnalyticsError)

S = datetime(2026, 1, 5, tzinfo=UTC)
T = S + timedelta(days=1)
NAT, WHEN = np.datetime64("NaT"), np.datetime64("2026-01-06T00:00:00")
REDUCER = NodeUsageAnalyticsReducer()

def outcome(data, batch):
    window = dict(time_window_start=S, time_window_end=S + timedelta(days=7), on_invalid="skip")
    try:
        if batch:
            out = REDUCER.execute_batch_reduction_sync(
                ModelUsageAnalyticsBatchInput(execution_data=data, **window))
            return sorted(map(str, out.results)), out.data_quality.invalid_records
        out = REDUCER.execute_reduction_sync(
            ModelUsageAnalyticsInput(pattern_id="p", execution_data=data, **window))
        return out.model_dump(exclude={"computation_time_ms", "computed_at", "correlation_id"})
    except UsageAnalyticsError as error:  # (InvalidRecordError too)
        return type(error).__name__

def form(kind, columns):
    if kind == "pandas":
        return pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in columns.items()})
    if kind == "numpy":
        return {k: np.array(v + [None], dtype=object)[:-1] for k, v in columns.items()}
    if kind == "series":
        return {k: pd.Series(v, dtype=object) for k, v in columns.items()}
    return columns

for field in ("timestamp", "agent", "success", "execution_time_ms", "pattern_id"):
    for values in ([NAT, np.int64(1)], [None, NAT, np.uint8(1)], [NAT, np.bool_(True)],
                   [1, NAT, np.int64(0)], [WHEN, np.int64(1)], [WHEN, np.float32(0.5)]):
        n = len(values)
        columns = {"timestamp": [T] * n, "pattern_id": ["p"] * n, field: values}
        for kind in ("pandas", "numpy", "series", "lists"):
            got = outcome(form(kind, columns), field == "pattern_id")
            if kind != "lists" and any(v is NAT for v in values):
                # NaT is a missing marker in an array of objects, as None is.
                plain = dict(columns, **{field: [None if v is NAT else v for v in values]})
                same = got == outcome(form(kind, plain), field == "pattern_id")
                print(field, kind, "same" if same else f"differs: {got}")
            else:
                print(field, kind, "read" if isinstance(got, (dict, tuple)) else got)
# (A frame without timestamps keeps every column, for its error to list them.)
print("when", "pandas", outcome(form("pandas", {"when": [WHEN, np.int64(1)]}), False))
"""


def test_numpy_datetimes_beside_numpy_scalars_among_objects_never_crash_the_process() -> None:
    # pyarrow's inference of Python objects crashes (a segmentation fault) where a numpy
    # datetime64, NaT or not, is followed by a numpy int, bool or float32 scalar: a pandas
    # column of objects with numpy's NaT for a missing int, say. Such a column is never
    # offered to it: the NaTs are None first (missing markers both), and datetime64s
    # beside values of another kind are a column of several kinds.
    done = run_python(_NUMPY_TIMES_BESIDE_SCALARS)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert len(lines) == 5 * 6 * 4 + 1
    for line in lines:
        got = line.split(" ", 2)[2]
        assert got in ("same", "read", "UsageAnalyticsError", "InvalidRecordError"), line


@pytest.mark.parametrize("nan", [Decimal("NaN"), Decimal("sNaN"), Decimal("-NaN")])
@pytest.mark.parametrize("other", [Decimal("2.5"), 2.5, "fast"])
def test_a_decimal_nan_among_objects_is_missing_beside_any_other_value(
    nan: Decimal, other: Any
) -> None:
    # Arrow's conversion of a pandas column of Decimals reads a NaN as null (missing, as
    # `pandas.isna` has it); beside a float (or a str) the same column was read as its
    # records, where that NaN was an invalid record ("must be a finite number"): one NaN,
    # missing or invalid by what else the column held.
    values = [Decimal("1.5"), nan, None, other]
    frame = pd.DataFrame({"timestamp": TIMES, "execution_time_ms": pd.Series(values, dtype=object)})
    records = [
        {"timestamp": stamp, "execution_time_ms": value}
        for stamp, value in zip(TIMES, [Decimal("1.5"), None, None, other], strict=True)
    ]
    for on_invalid in ("raise", "skip"):
        expected = outcome(request(records, on_invalid=on_invalid))
        assert_same(outcome(request(frame, on_invalid=on_invalid)), expected)


def test_concurrent_awaits_of_results_of_one_duckdb_connection_take_turns() -> None:
    # DuckDB refuses a second query on a busy connection: all but one of the concurrent
    # reads failed, with DuckDB's own "connection is busy" exception.
    connection = duckdb.connect()
    connection.execute(
        "CREATE TABLE runs AS SELECT TIMESTAMPTZ '2026-01-05 00:00:00+00' + to_seconds(i % 600000) "
        "AS timestamp, i % 3 <> 0 AS success, 'p' || (i % 4) AS pattern_id FROM range(200000) r(i)"
    )

    def contract(pattern: str) -> ModelUsageAnalyticsInput:
        relation = connection.sql(f"SELECT * FROM runs WHERE pattern_id = '{pattern}'")
        return request(relation)

    patterns = ["p0", "p1", "p2", "p3"]
    alone = [comparable(REDUCER.execute_reduction_sync(contract(p))) for p in patterns]

    async def together() -> list[Any]:
        outputs = await asyncio.gather(*(REDUCER.execute_reduction(contract(p)) for p in patterns))
        return [comparable(output) for output in outputs]

    assert asyncio.run(together()) == alone
    assert alone[0]["usage_metrics"]["total_executions"] == 50_000


def test_a_pandas_index_read_as_the_timestamps_is_checked_as_their_column() -> None:
    # Its datetimes after a date were cut to their dates; an int among them was 1970.
    values = [WHEN.date(), TIMES[1], TIMES[2]]
    index = pd.Index(values, dtype=object, name="timestamp")
    frame = pd.DataFrame({"success": [True, False, True]}, index=index)
    rows = [
        {"timestamp": stamp, "success": ok}
        for stamp, ok in zip(values, [True, False, True], strict=True)
    ]
    outcomes = [comparable(REDUCER.execute_reduction_sync(request(data))) for data in (frame, rows)]
    assert outcomes[0] == outcomes[1]
    frame.index = pd.Index([TIMES[0], 5, TIMES[2]], dtype=object, name="timestamp")
    with pytest.raises(UsageAnalyticsError, match=r"column 'timestamp': it mixes .* datetime, int"):
        REDUCER.execute_reduction_sync(request(frame))


def _without_index_labels(actual: Any, frame: pd.DataFrame) -> Any:
    """An `outcome` of `frame`, whose index is not 0 to n - 1, without the index labels
    its error or samples name (`df.loc`'s, beside the row `df.iloc` takes), each checked
    to be its record's."""

    def label(row: int) -> str:
        value = frame.index[row]
        if isinstance(value, tuple):
            value = tuple(part.item() if hasattr(part, "item") else part for part in value)
        return f"index label {value!r}"

    if "raised" in actual:
        row = actual["raised"][0]
        where = f"record {row} ({label(row)}): "
        assert actual["message"].startswith(where)
        return {**actual, "message": actual["message"].replace(where, f"record {row}: ", 1)}
    for sample in actual["data_quality"]["error_samples"]:
        assert sample.pop("location") == label(sample["index"])
    return actual


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("agent", pd.Series(["a", 1, "b"], dtype=object)),  # (objects of several kinds)
        ("success", pd.Series(["true", "false", None])),  # (text its field refuses)
    ],
)
@pytest.mark.parametrize("index", ["datetimes", "iso_text", "multi_index"])
def test_a_frame_indexed_by_its_timestamps_reads_as_its_records_as_with_the_column(
    field: str, values: pd.Series, index: str
) -> None:
    # Such a frame is read as its records, each bad value its record's error: indexed by
    # its timestamps (not of Python objects), it was refused whole, even in skip mode
    # ("cannot read column 'agent': it mixes values..."), as its records were read from
    # its columns alone.
    stamps = TIMES[:3] if index == "datetimes" else [t.isoformat() for t in TIMES[:3]]
    column = pd.DataFrame({"timestamp": stamps, "execution_time_ms": [1.0, 2.0, 3.0]})
    column[field] = values
    if index == "multi_index":
        indexed = column.assign(run=[7, 8, 9]).set_index(["run", "timestamp"])
    else:
        indexed = column.set_index("timestamp")
        assert not isinstance(indexed.index.dtype, np.dtypes.ObjectDType)
    for mode in ("raise", "skip"):
        expected = outcome(request(column, on_invalid=mode))
        actual = _without_index_labels(outcome(request(indexed, on_invalid=mode)), indexed)
        assert_same(actual, expected)
    assert expected["data_quality"]["invalid_records"] == (2 if field == "success" else 1)


@pytest.mark.parametrize("zone", [None, "America/New_York"])
def test_a_frame_read_as_its_records_with_times_past_the_year_9999_reads_them(
    zone: str | None,
) -> None:
    # Its records took Python datetimes of the timestamp column, which stop at the year
    # 9999: the call failed with pyarrow's OverflowError ("date value out of range").
    seconds = np.array([datetime_to_micros(WHEN) // 10**6, 10**12, 10**15], "datetime64[s]")
    frame = pd.DataFrame({"timestamp": seconds, "agent": pd.Series(["a", 1, "b"], dtype=object)})
    if zone is not None:
        frame["timestamp"] = frame["timestamp"].dt.tz_localize("UTC").dt.tz_convert(zone)
    records = [
        {"timestamp": stamp, "agent": agent}
        for stamp, agent in zip(seconds, ["a", 1, "b"], strict=True)
    ]
    for mode in ("raise", "skip"):
        assert_same(
            outcome(request(frame, on_invalid=mode)), outcome(request(records, on_invalid=mode))
        )
    quality = outcome(request(frame, on_invalid="skip"))["data_quality"]
    assert [(s["index"], s["field"]) for s in quality["error_samples"]] == [
        (1, "agent"),
        (2, "timestamp"),
    ]


@pytest.mark.parametrize("form", ["frame", "dict_of_series"])
@pytest.mark.parametrize(
    ("field", "dtype", "values"),
    [("agent", pl.Object, ["a", "b", "c"]), ("execution_time_ms", pl.Int128, [1, 2, 3])],
)
def test_a_polars_column_of_a_dtype_without_an_arrow_form_is_named(
    field: str, dtype: Any, values: list[Any], form: str
) -> None:
    # Objects crossed as their pointers (refused as "Arrow type FixedSizeBinary(8)"), and
    # 128-bit ints as "unsupported format string: '_pli128'", naming no column.
    column = pl.Series(field, values, dtype=dtype)
    data: Any = {"timestamp": TIMES[:3], field: column}
    if form == "frame":
        data = pl.DataFrame({"timestamp": TIMES[:3]}).with_columns(column)
    with pytest.raises(UsageAnalyticsError, match=f"column '{field}': polars' {dtype} dtype"):
        REDUCER.execute_reduction_sync(request(data, on_invalid="skip"))
    # (Not a record column: ignored, as any other.)
    other = pl.DataFrame({"timestamp": TIMES[:3]}).with_columns(column.alias("note"))
    assert outcome(request(other))["usage_metrics"]["total_executions"] == 3


def test_an_int_past_64_bits_among_objects_is_its_records_error() -> None:
    # A raw OverflowError from pandas' export; a dict of lists and records judge the value.
    frame = pd.DataFrame(
        {"timestamp": TIMES[:3], "success": pd.Series([2**64, 1, 0], dtype=object)}
    )
    result = REDUCER.execute_reduction_sync(request(frame, on_invalid="skip"))
    assert result.data_quality.invalid_records == 1
    assert result.data_quality.error_samples[0].reason == "must be a bool (or the int 0 or 1)"


def test_a_duckdb_function_may_reduce_another_result_while_its_query_is_read() -> None:
    # The reads' lock was taken twice by one thread: the call hung. Then, one lock for
    # every connection hung the call whenever DuckDB ran the function on one of its own
    # threads (one run in about ten; forty are run). (In a child, with a time limit, so
    # that a hang is a failure, not the end of the test run.)
    script = """
from datetime import UTC, datetime
import duckdb
from usage_analytics import ModelUsageAnalyticsInput, NodeUsageAnalyticsReducer
S, E = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 8, tzinfo=UTC)
reducer, other = NodeUsageAnalyticsReducer(), duckdb.connect()

def inner(x: int) -> int:
    relation = other.sql("SELECT TIMESTAMPTZ '2026-01-02 00:00:00+00' AS timestamp")
    contract = ModelUsageAnalyticsInput(
        pattern_id="in", time_window_start=S, time_window_end=E, execution_data=relation)
    return reducer.execute_reduction_sync(contract).usage_metrics.total_executions + x

totals = []
for _ in range(40):
    connection = duckdb.connect()
    connection.create_function("inner", inner, ["BIGINT"], "BIGINT")
    relation = connection.sql(
        "SELECT TIMESTAMPTZ '2026-01-03 00:00:00+00' + to_hours(inner(i)) AS timestamp "
        "FROM range(3) r(i)")
    contract = ModelUsageAnalyticsInput(
        pattern_id="out", time_window_start=S, time_window_end=E, execution_data=relation)
    totals.append(reducer.execute_reduction_sync(contract).usage_metrics.total_executions)
    connection.close()
print(set(totals))
"""
    done = run_python(script)
    assert (done.returncode, done.stdout) == (0, "{3}\n"), done.stderr


def test_a_pandas_frame_read_as_records_keeps_its_uuids_and_decimals() -> None:
    # A mixed column sends a frame to its records; a column of UUID pattern ids or of
    # decimals then failed the whole call, though both are read as columns.
    frame = pd.DataFrame(
        {
            "timestamp": TIMES[:3],
            "agent": ["bot", 5, "human"],
            "pattern_id": [uuid.UUID(int=1), uuid.UUID(int=2), uuid.UUID(int=1)],
            "execution_time_ms": [Decimal("1.5"), Decimal("2"), Decimal("3.25")],
        }
    )
    rows = frame.to_dict("records")
    window = {"time_window_start": START, "time_window_end": END, "on_invalid": "skip"}
    batch = [
        REDUCER.execute_batch_reduction_sync(
            ModelUsageAnalyticsBatchInput(execution_data=data, **window)
        )
        for data in (frame, rows)
    ]
    assert (
        batch[0].results.keys() == batch[1].results.keys() == {uuid.UUID(int=1), uuid.UUID(int=2)}
    )
    for key in batch[0].results:
        assert comparable(batch[0].results[key]) == comparable(batch[1].results[key])
    single = REDUCER.execute_reduction_sync(
        request(frame.drop(columns="pattern_id"), on_invalid="skip")
    )
    assert single.data_quality.invalid_records == 1
    assert single.performance_metrics is not None
    assert single.performance_metrics.total_execution_time_ms == 4.75


def test_a_frame_of_multi_level_columns_lists_them_in_its_error() -> None:
    # "timestamp" is in a MultiIndex whose first level has it, and no column was kept:
    # the error said "no 'timestamp' column (columns: )".
    frame = pd.DataFrame({"timestamp": TIMES[:1], "agent": ["bot"]})
    frame.columns = pd.MultiIndex.from_tuples([("timestamp", "utc"), ("agent", "name")])
    with pytest.raises(UsageAnalyticsError, match=r"\(columns: \('timestamp', 'utc'\), \("):
        REDUCER.execute_reduction_sync(request(frame))


@pytest.mark.parametrize("column", ["timestamp", "agent"])
def test_a_zero_dimensional_array_is_no_column(column: str) -> None:
    stamps = [stamp.replace(tzinfo=None) for stamp in TIMES[:2]]
    data: dict[str, Any] = {"timestamp": np.array(stamps, dtype="datetime64[us]")}
    data[column] = np.array(np.datetime64("2026-01-06T10:00") if column == "timestamp" else "bot")
    with pytest.raises(UsageAnalyticsError) as raised:
        REDUCER.execute_reduction_sync(request(data))
    assert str(raised.value) == (
        f"column '{column}' must be a numpy array or a list, got a 0-d array (one value)"
    )


@pytest.mark.parametrize(
    ("column", "shape"),
    [
        pytest.param(lambda: pd.DataFrame({"a": ["x", "y"]}), "(2, 1)", id="pandas_frame"),
        pytest.param(lambda: pl.DataFrame({"a": ["x", "y"]}), "(2, 1)", id="polars_frame"),
        pytest.param(lambda: np.array([["x"], ["y"]]), "(2, 1)", id="numpy_2d"),
        pytest.param(lambda: np.array([["x", "y"]]), "(1, 2)", id="numpy_one_row"),
    ],
)
def test_a_column_of_two_dimensions_is_refused(column: Callable[[], Any], shape: str) -> None:
    # A frame as a column failed with a bare KeyError (pandas) or AttributeError (polars),
    # a row of the rows' values as "columns have different lengths" ({'agent': 1}).
    values = column()
    data = {"timestamp": np.array(["2026-01-11", "2026-01-11"], dtype="datetime64[us]")}
    data["agent"] = values
    with pytest.raises(UsageAnalyticsError) as raised:
        REDUCER.execute_reduction_sync(request(data))
    assert str(raised.value) == (
        "column 'agent' must be a numpy array or a list of one dimension, got a "
        f"{type(values).__name__} of shape {shape}"
    )


@pytest.mark.parametrize("field", ["agent", "file_path"])
def test_a_numpy_text_array_with_a_lone_surrogate_is_read_as_a_list_of_it(field: str) -> None:
    # numpy's fixed-width text (UTF-32) holds a lone surrogate (`os.fsdecode` of bytes
    # that are not UTF-8), which pyarrow refused in its codec's words, naming no row:
    # as a list of that text, a file path's surrogate is U+FFFD (its extension kept),
    # another field's refused naming the row.
    stamps = np.array([WHEN.replace(tzinfo=None)] * 2, dtype="datetime64[us]")
    text = ["x.p\udcff", "y.py"]
    as_list = {"timestamp": stamps, field: text}
    as_array = {"timestamp": stamps, field: np.array(text)}
    if field == "file_path":
        records = [{"timestamp": WHEN, field: value} for value in text]
        expected = outcome(request(as_list))
        assert_same(outcome(request(as_array)), expected)
        assert_same(expected, outcome(request(records)))
        assert set(expected["context_distribution"]["by_file_type"]) == {"p" + "\ufffd" * 3, "py"}
        return
    with pytest.raises(UsageAnalyticsError) as raised:
        REDUCER.execute_reduction_sync(request(as_array))
    assert str(raised.value) == (
        "cannot read column 'agent': row 0: 'x.p\\udcff' holds a lone surrogate, which is not "
        "UTF-8 text"
    )


def test_an_extension_type_refused_is_told_how_to_convert_it_only_where_that_is_known() -> None:
    # A pandas interval column of execution times was told "(a pandas period column:
    # `.dt.to_timestamp()`)", which it is not (and has no such accessor).
    spans = pd.DataFrame(
        {
            "timestamp": pd.to_datetime(TIMES[:3], utc=True),
            "execution_time_ms": pd.arrays.IntervalArray.from_breaks([0.0, 1.5, 3.0, 4.5]),
        }
    )
    with pytest.raises(UsageAnalyticsError) as raised:
        REDUCER.execute_reduction_sync(request(spans))
    assert str(raised.value) == (
        "invalid input: column 'execution_time_ms' has the Arrow extension type "
        '\'pandas.interval\' (stored as Struct("left": Float64, "right": Float64)), whose '
        "values are not read as its storage: convert the column first"
    )
    periods = spans.assign(timestamp=pd.period_range("2026-01-06", periods=3, freq="h"))
    with pytest.raises(UsageAnalyticsError, match=r"first \(a pandas period column: `\.dt\."):
        REDUCER.execute_reduction_sync(request(periods))


def test_extension_types_of_times_and_numbers_are_refused_not_read_as_storage() -> None:
    # A pandas period column crosses as its int64 period counts, which were read as epoch
    # microseconds: three hours of 2024 became three instants of 1970, silently.
    hours = pd.DataFrame(
        {"timestamp": pd.period_range("2026-01-06", periods=3, freq="h"), "success": True}
    )
    for data in (hours, {"timestamp": hours["timestamp"]}):
        with pytest.raises(UsageAnalyticsError, match=r"extension type 'pandas\.period'"):
            REDUCER.execute_reduction_sync(request(data, on_invalid="skip"))
    durations = hours.assign(
        timestamp=pd.to_datetime(TIMES[:3], utc=True),
        execution_time_ms=pd.period_range("2026-01-06", periods=3, freq="D"),
    )
    with pytest.raises(UsageAnalyticsError, match="column 'execution_time_ms' has the Arrow ext"):
        REDUCER.execute_reduction_sync(request(durations))
    # Nor are they read as values when another column sends the frame to its records (a
    # column of mixed objects): the periods' day counts were read as milliseconds.
    mixed = durations.assign(agent=["a", 5, "b"])
    with pytest.raises(UsageAnalyticsError, match=r"column 'agent': it mixes .* int, str"):
        REDUCER.execute_reduction_sync(request(mixed, on_invalid="skip"))
    # Bools stored as int8 (arrow.bool8) are the flags they hold.
    flags = pa.table(
        {
            "timestamp": pa.array(TIMES[:3], pa.timestamp("us", tz="UTC")),
            "success": pa.ExtensionArray.from_storage(pa.bool8(), pa.array([1, 0, 1], pa.int8())),
        }
    )
    out = REDUCER.execute_reduction_sync(request(flags))
    assert out.success_metrics.success_count == 2


@pytest.mark.parametrize("form", ["table", "stream", "columns", "struct_array"])
def test_bool8_flags_other_than_0_and_1_are_true_as_in_their_records(form: str) -> None:
    # Arrow's bool8 is true for any value but 0 (pyarrow's values: True): the core read its
    # int8 storage, where 5 and -1 were invalid flags (in a dict of pyarrow columns and a
    # struct array still, once tables and streams were read as their records).
    def bool8(values: list[int | None]) -> pa.Array:
        return pa.ExtensionArray.from_storage(pa.bool8(), pa.array(values, pa.int8()))

    table = pa.table(
        {
            "timestamp": pa.array(TIMES[:4], pa.timestamp("us", tz="UTC")),
            "success": bool8([1, 0, 5, -1]),
            "timeout": bool8([None, 0, 2, -128]),
        }
    )
    records = table.to_pylist()
    assert records[2]["success"] is True
    data: Any = table
    if form == "stream":
        data = pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=3))
    elif form == "columns":
        data = {name: table.column(name).combine_chunks() for name in table.column_names}
    elif form == "struct_array":
        data = table.to_struct_array().combine_chunks()
        assert isinstance(data, pa.StructArray)
    actual = outcome(request(data))
    assert_same(actual, outcome(request(records)))
    assert (
        actual["success_metrics"]["success_count"],
        actual["success_metrics"]["timeout_count"],
    ) == (3, 2)


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("context_type", ["chat", "cli"]),  # counted by key (one pattern)
        ("agent", ["a", None]),  # coded row by row, values with a null
        ("timestamp", [TIMES[0].isoformat(), TIMES[1].isoformat()]),
    ],
)
@pytest.mark.parametrize("on_invalid", ["raise", "skip"])
def test_dictionary_key_out_of_range_is_a_clear_error(
    field: str, values: list[str | None], on_invalid: str
) -> None:
    # Arrow data is not checked when it crosses the C data interface: a key that indexes
    # no value is malformed data, refused (not read as a missing value, not a crash).
    keys = pa.array([0, 7, 1, 0], pa.int8())
    column = pa.DictionaryArray.from_arrays(keys, pa.array(values), safe=False)
    table = pa.table({"timestamp": pa.array(TIMES, pa.timestamp("us", tz="UTC"))})
    if field == "timestamp":
        table = table.drop_columns(["timestamp"])
    table = table.append_column(field, column)
    message = rf"column '{field}' is malformed Arrow data: dictionary key 7 is out of range"
    with pytest.raises(UsageAnalyticsError, match=message):
        REDUCER.execute_reduction_sync(request(table, on_invalid=on_invalid))
    batch = ModelUsageAnalyticsBatchInput(
        time_window_start=START,
        time_window_end=END,
        on_invalid=on_invalid,
        execution_data=table.append_column("pattern_id", pa.array(["p"] * 4)),
    )
    with pytest.raises(UsageAnalyticsError, match=message):
        REDUCER.execute_batch_reduction_sync(batch)


@pytest.mark.parametrize("bad_key", [2, 7, -1])
@pytest.mark.parametrize("null_key", [False, True])
@pytest.mark.parametrize("field", ["agent", "context_type", "pattern_id"])
def test_a_key_past_the_values_is_refused_with_or_without_null_keys(
    field: str, null_key: bool, bad_key: int
) -> None:
    # Keys past either end, in columns with and without null keys (which the readers take
    # by different loops), coded row by row: a batch codes every string column and its ids.
    keys = pa.array([0, bad_key, None if null_key else 1, 0], pa.int8())
    column = pa.DictionaryArray.from_arrays(keys, pa.array(["p", "q"]), safe=False)
    table = pa.table({"timestamp": pa.array(TIMES, pa.timestamp("us", tz="UTC"))})
    table = table.append_column(field, column)
    if field != "pattern_id":
        table = table.append_column("pattern_id", pa.array(["p"] * 4))
    message = (
        rf"column '{field}' is malformed Arrow data: dictionary key {bad_key} is out of range "
        r"\(the dictionary's length is 2\)"
    )
    for on_invalid in ("raise", "skip"):
        batch = ModelUsageAnalyticsBatchInput(
            time_window_start=START,
            time_window_end=END,
            on_invalid=on_invalid,
            execution_data=table,
        )
        with pytest.raises(UsageAnalyticsError, match=message):
            REDUCER.execute_batch_reduction_sync(batch)


def test_string_offsets_that_decrease_are_a_clear_error() -> None:
    # pyarrow's cheap checks pass offsets that decrease; reading them would go outside the
    # data buffer (a crash in the worst case): refused as malformed data.
    offsets = pa.py_buffer(np.array([0, 4, 2, 5, 5], dtype=np.int32).tobytes())
    agent = pa.Array.from_buffers(pa.string(), 4, [None, offsets, pa.py_buffer(b"hello")])
    table = pa.table({"timestamp": pa.array(TIMES, pa.timestamp("us", tz="UTC")), "agent": agent})
    message = r"column 'agent' is malformed Arrow data: its string offsets or views do not fit"
    for on_invalid in ("raise", "skip"):
        with pytest.raises(UsageAnalyticsError, match=message):
            REDUCER.execute_reduction_sync(request(table, on_invalid=on_invalid))


def test_string_offsets_claiming_a_negative_length_are_a_clear_error() -> None:
    # Through the C data interface a string column's data length is its last offset, cast:
    # one turned negative after pyarrow's checks (here by changing the buffer it shares
    # with numpy) claims a huge buffer. The first slice's offsets rise far past the real
    # bytes but below that claim, so only the claim tells the column is malformed before
    # that slice is read.
    rows = ARROW_SLICE_ROWS + 4_464  # more than one slice
    offsets = np.arange(rows + 1, dtype=np.int32)
    agent = pa.Array.from_buffers(
        pa.string(), rows, [None, pa.py_buffer(offsets), pa.py_buffer(b"a" * rows)]
    )
    stamps = [START + timedelta(seconds=i) for i in range(rows)]
    table = pa.table({"timestamp": pa.array(stamps, pa.timestamp("us", tz="UTC")), "agent": agent})
    offsets[1:] += 2_000_000_000  # 2 GB past the data: read, a crash
    offsets[-1] = -1
    message = r"column 'agent' is malformed Arrow data: its string offsets or views do not fit"
    with pytest.raises(UsageAnalyticsError, match=message):
        REDUCER.execute_reduction_sync(request(table))


_DICTIONARY_OF_BAD_STRINGS = """
import sys
import numpy as np, pyarrow as pa
from datetime import datetime, timedelta, timezone
from usage_analytics import ModelUsageAnalyticsInput, NodeUsageAnalyticsReducer, UsageAnalyticsError
field, kind = sys.argv[1:]
start = datetime(2026, 1, 10, tzinfo=timezone.utc)
offsets = pa.py_buffer(np.array([0, 4, 2, 5, 5], dtype=np.int32).tobytes())
values = pa.Array.from_buffers(getattr(pa, kind)(), 4, [None, offsets, pa.py_buffer(b"hello")])
column = pa.DictionaryArray.from_arrays(pa.array([0, 1, 2, 3], pa.int8()), values)
times = pa.array([start + timedelta(hours=i) for i in range(4)], pa.timestamp("us", tz="UTC"))
try:
    NodeUsageAnalyticsReducer().execute_reduction_sync(ModelUsageAnalyticsInput(
        pattern_id="p", time_window_start=start, time_window_end=start + timedelta(days=1),
        execution_data=pa.table({"timestamp": times, field: column}),
    ))
except UsageAnalyticsError as error:
    print(error)
"""


@pytest.mark.parametrize("kind", ["string", "binary"])
@pytest.mark.parametrize("field", [*FLAG_FIELDS, *NUMBER_FIELDS])
def test_a_dictionary_of_malformed_strings_on_a_flag_or_number_field_is_refused(
    field: str, kind: str
) -> None:
    # A dictionary-encoded flag or number column is decoded into the plain column it
    # encodes, before its type is judged: values of strings (or bytes) with offsets that
    # decrease were decoded by reading them, outside their buffer (the process crashed).
    # Its type is refused now, unread. In a child, whose exit code tells a crash.
    done = run_python(_DICTIONARY_OF_BAD_STRINGS.replace("sys.argv[1:]", f"{field!r}, {kind!r}"))
    assert done.returncode == 0, done.stderr
    expected = {
        # (strings: their offsets checked as any string column's are)
        "string": "is malformed Arrow data: its string offsets or views do not fit its buffers",
        "binary": "has Arrow type Dictionary(Int8, Binary); expected ",
    }
    assert done.stdout.startswith(f"invalid input: column '{field}' {expected[kind]}"), done.stdout


#: Four strings, the second and third not UTF-8 (a stray byte; a character cut short).
NOT_UTF8_DATA = b"ok" + b"ab\xffcd" + b"caf\xc3" + b"2026-01-11T00:00:00Z"
NOT_UTF8_OFFSETS = [0, 2, 7, 11, 31]


def _not_utf8_column(layout: str) -> pa.Array:
    offsets = pa.py_buffer(np.array(NOT_UTF8_OFFSETS, dtype=np.int32).tobytes())
    column = pa.Array.from_buffers(pa.string(), 4, [None, offsets, pa.py_buffer(NOT_UTF8_DATA)])
    if layout == "dictionary":
        return column.dictionary_encode()
    kind = {"utf8": pa.string(), "large_utf8": pa.large_string(), "utf8_view": pa.string_view()}
    return column.cast(kind[layout], safe=False)  # bytes as they are, unchecked


@pytest.mark.parametrize("layout", ["utf8", "large_utf8", "utf8_view", "dictionary"])
@pytest.mark.parametrize("field", [*STRING_FIELDS, "timestamp", "pattern_id"])
def test_strings_that_are_not_utf8_are_a_clear_error(field: str, layout: str) -> None:
    # pyarrow's cheap checks skip the bytes of strings; arrow-rs hands them out unchecked.
    # Read as text, they made Python's string conversion fail inside the core (a panic)
    # or, for timestamps, the process crash (SIGSEGV); now the column is refused.
    column = _not_utf8_column(layout)
    table = pa.table({"timestamp": pa.array(TIMES, pa.timestamp("us", tz="UTC"))})
    if field == "timestamp":
        table = pa.table({"timestamp": column})
    elif field != "pattern_id":
        table = table.append_column(field, column)
    message = (
        rf"column '{field}' is malformed Arrow data: "
        r'the string b"ab\\xffcd" is not valid UTF-8 \(from byte 2\)'
    )
    for on_invalid in ("raise", "skip"):
        if field != "pattern_id":
            with pytest.raises(UsageAnalyticsError, match=message):
                REDUCER.execute_reduction_sync(request(table, on_invalid=on_invalid))
        batch = ModelUsageAnalyticsBatchInput(
            time_window_start=START,
            time_window_end=END,
            on_invalid=on_invalid,
            execution_data=table.append_column(
                "pattern_id", column if field == "pattern_id" else pa.array(["p"] * 4)
            ),
        )
        with pytest.raises(UsageAnalyticsError, match=message):
            REDUCER.execute_batch_reduction_sync(batch)


def test_a_string_cut_short_is_not_utf8_either() -> None:
    # Only the third string is bad: a two-byte character missing its second byte.
    offsets = pa.py_buffer(np.array([0, 2, 2, 6, 6], dtype=np.int32).tobytes())
    agent = pa.Array.from_buffers(pa.string(), 4, [None, offsets, pa.py_buffer(b"okcaf\xc3")])
    table = pa.table({"timestamp": pa.array(TIMES, pa.timestamp("us", tz="UTC")), "agent": agent})
    with pytest.raises(
        UsageAnalyticsError, match=r'the string b"caf\\xc3" is not valid UTF-8 \(from byte 3\)'
    ):
        REDUCER.execute_reduction_sync(request(table))


def test_struct_array_with_null_rows_is_a_clear_error() -> None:
    # arrow-rs asserts that a struct array made a record batch has no null rows (a panic
    # that reached Python as a PanicException).
    stamps = pa.array([WHEN, WHEN], pa.timestamp("us", tz="UTC"))
    rows = pa.StructArray.from_arrays([stamps], names=["timestamp"], mask=pa.array([False, True]))
    with pytest.raises(UsageAnalyticsError, match="struct array with null rows is not a table"):
        REDUCER.execute_reduction_sync(request(rows))
    whole = pa.StructArray.from_arrays([stamps], names=["timestamp"])
    assert REDUCER.execute_reduction_sync(request(whole)).usage_metrics.total_executions == 2


def test_a_chunked_array_of_sliced_struct_chunks_reads_its_rows() -> None:
    # Exported as a stream, each chunk became a record batch ignoring the chunk's offset:
    # "Number of rows in column 0 did not match batch: 4 vs 2".
    stamps = pa.array(TIMES, pa.timestamp("us", tz="UTC"))
    rows = pa.StructArray.from_arrays(
        [stamps, pa.array([1.0, 2.0, 3.0, 4.0])], names=["timestamp", "execution_time_ms"]
    )
    chunked = pa.chunked_array([rows.slice(0, 2), rows.slice(2)])
    expected = outcome(request(pa.Table.from_struct_array(rows)))
    assert_same(outcome(request(chunked)), expected)
    assert_same(outcome(request(chunked.slice(1))), outcome(request(rows.slice(1))))
    holey = pa.chunked_array(
        [
            pa.StructArray.from_arrays(
                [stamps], names=["timestamp"], mask=pa.array([False, True] * 2)
            )
        ]
    )
    with pytest.raises(UsageAnalyticsError, match="struct array with null rows is not a table"):
        REDUCER.execute_reduction_sync(request(holey))


@pytest.mark.parametrize(
    "kind", [pa.timestamp("us", tz="UTC"), pa.date32(), pa.duration("ms"), pa.decimal128(9, 3)]
)
def test_a_chunked_array_of_no_struct_chunks_is_no_records_whatever_its_fields(
    kind: pa.DataType,
) -> None:
    # (`Table.to_struct_array()` of an empty table.) pyarrow's conversion of a chunked
    # array without chunks makes an empty array of its type first, which it cannot for a
    # field dictionary-encoding times, dates, durations or decimals: its
    # ArrowNotImplementedError ("DictionaryArray converter ... not implemented") reached
    # the caller where no records give the empty analytics.
    field = "timestamp" if pa.types.is_timestamp(kind) or pa.types.is_date(kind) else "extra"
    columns = {"timestamp": pa.array([], pa.timestamp("us", tz="UTC"))}
    columns[field] = pa.array([], kind).dictionary_encode()
    table = pa.table(columns)
    empty = table.to_struct_array()
    assert empty.num_chunks == 0
    assert_same(outcome(request(empty)), outcome(request([])))
    assert_same(outcome(request(table)), outcome(request([])))


def _unreadable_extras(rows: int) -> dict[str, Any]:
    """Columns Arrow cannot hold (or pyarrow cannot convert): never read, so never a reason
    to fail, as a list of records ignores such keys."""
    return {
        "mixed": ["a", 1] * (rows // 2),
        "objects": [object() for _ in range(rows)],
        "complex": np.arange(rows) * 1j,
        "sparse": pd.arrays.SparseArray([0, 1] * (rows // 2)),
    }


@pytest.mark.parametrize("form", ["pandas", "dict_of_lists", "dict_of_numpy_arrays"])
def test_columns_that_are_not_record_fields_are_never_converted(form: str) -> None:
    records = [dict(FULL_ROW, timestamp=t, execution_time_ms=float(i)) for i, t in enumerate(TIMES)]
    columns: dict[str, Any] = {name: [r[name] for r in records] for name in records[0]}
    if form == "dict_of_numpy_arrays":
        columns = {name: np.array(values) for name, values in columns.items()}
    data: Any = {**columns, **_unreadable_extras(len(records))}
    if form == "pandas":
        data = pd.DataFrame(data)
    assert_same(outcome(request(data)), outcome(request(records)))


@pytest.mark.parametrize("field", ["timestamp", "agent", "execution_time_ms"])
def test_two_columns_of_one_field_are_refused(field: str) -> None:
    # The first of the two was read and the other ignored, silently.
    values = {"timestamp": TIMES, "agent": ["a", "b", "c", "d"], "execution_time_ms": [1.0] * 4}
    names = ["timestamp", "agent", "execution_time_ms", field]
    table = pa.Table.from_arrays([pa.array(values[n]) for n in names], names=names)
    with pytest.raises(UsageAnalyticsError, match=f"2 columns named '{field}': keep one"):
        REDUCER.execute_reduction_sync(request(table))
    # A pandas frame so made is refused alike, naming the field: pyarrow's export refused
    # it first, listing every column ("Duplicate column names found: [...]"), not which.
    frame = pd.concat([pd.DataFrame(values), pd.DataFrame({field: values[field]})], axis=1)
    with pytest.raises(UsageAnalyticsError, match=f"2 columns named '{field}': keep one"):
        REDUCER.execute_reduction_sync(request(frame))
    # Two columns of a name that is not a record field are nobody's business.
    twice = pa.Table.from_arrays(
        [pa.array(TIMES), pa.array([1] * 4), pa.array(["x"] * 4)],
        names=["timestamp", "note", "note"],
    )
    assert REDUCER.execute_reduction_sync(request(twice)).usage_metrics.total_executions == 4


def test_a_frame_without_timestamps_whose_other_column_repeats_says_so_listing_it_once() -> None:
    # pyarrow's export of the frame refused the repeated name first ("Duplicate column
    # names found: ['when', 'note', 'note']"), hiding the missing timestamps.
    frame = pd.DataFrame({"when": TIMES, "note": [1] * 4})
    frame = pd.concat([frame, frame[["note"]]], axis=1)
    with pytest.raises(UsageAnalyticsError) as raised:
        REDUCER.execute_reduction_sync(request(frame))
    assert str(raised.value) == (
        "invalid input: the columnar input has no 'timestamp' column (columns: when, note)"
    )


def test_a_polars_frame_without_timestamps_lists_its_columns_whatever_their_dtypes() -> None:
    # (Its columns of no record field are not checked: the missing timestamps are the error.)
    frame = pl.DataFrame({"when": [WHEN], "x": pl.Series([object()], dtype=pl.Object)})
    with pytest.raises(UsageAnalyticsError) as raised:
        REDUCER.execute_reduction_sync(request(frame))
    assert str(raised.value) == (
        "invalid input: the columnar input has no 'timestamp' column (columns: when, x)"
    )


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("SELECT 1 AS x", id="no_timestamp"),
        pytest.param(
            "SELECT TIMESTAMPTZ '2026-01-11 00:00:00+00' AS timestamp, -5.0 AS execution_time_ms",
            id="invalid_record",
        ),
    ],
)
def test_a_failed_read_of_a_duckdb_result_leaves_its_connection_free(query: str) -> None:
    # The error's traceback held the reader of the DuckDB result: while the error was kept
    # (logged, collected, chained), the connection refused every query ("connection has
    # an open result; drain or destroy it before starting a new query").
    connection = duckdb.connect()
    try:
        with pytest.raises(UsageAnalyticsError) as raised:
            REDUCER.execute_reduction_sync(request(connection.sql(query)))
        assert connection.sql("SELECT 42").fetchall() == [(42,)]
        assert raised.value.__traceback__ is not None  # (the error, still held)
    finally:
        connection.close()


def test_a_lazy_result_is_never_counted_on_the_event_loop() -> None:
    # len() of a DuckDB relation runs its query: the reducer asked it on the loop's thread
    # to choose between inline and a worker thread (seconds for a large query).
    relation = duckdb.sql("SELECT TIMESTAMPTZ '2026-01-11 00:00:00+00' AS timestamp")
    assert row_count(relation) is None
    assert row_count(pa.table({"timestamp": [WHEN]})) == 1
    assert row_count(pd.DataFrame({"timestamp": [WHEN] * 2})) == 2
    assert row_count(pl.DataFrame({"timestamp": [WHEN] * 3})) == 3


def test_row_count_of_each_form() -> None:
    # (The reducer reads inputs of at most INLINE_MAX_RECORDS counted rows inline.)
    assert row_count([{"timestamp": WHEN}] * 2) == 2
    assert row_count(({"timestamp": WHEN},)) == 1
    assert row_count({"timestamp": np.array([WHEN] * 4), "agent": iter(())}) == 4  # the first's
    assert row_count({"timestamp": iter([WHEN])}) is None  # (refused when read)
    assert row_count({}) == 0
    table = pa.table({"timestamp": [WHEN]})
    assert row_count(pa.RecordBatchReader.from_batches(table.schema, table.to_batches())) is None


class _LazyPolarsStream:
    """Another object of a frame library exporting a stream: not held whole."""

    __module__ = "polars.lazyframe.stream"

    def __init__(self, table: pa.Table) -> None:
        self.table = table

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        return self.table.to_reader().__arrow_c_stream__(requested_schema)


def test_only_tables_and_frames_are_read_as_held_whole() -> None:
    # Held whole, a table's buffers may be kept by the core (a one-call reduction keeps
    # its execution times in place); a stream's batches are copied from as they pass, so
    # that a lazily produced stream is not all kept alive.
    table = pa.table({"timestamp": pa.array([WHEN] * 2, pa.timestamp("us", tz="UTC"))})

    def whole(data: Any) -> bool:
        return bool(
            read_any(
                data,
                records=lambda _: pytest.fail("read as records"),
                arrow=lambda _, whole: {"whole": whole},
                grouped=False,
            )["whole"]
        )

    held = {
        "table": table,
        "batch": table.to_batches()[0],
        "polars": pl.from_arrow(table),
        "pandas": table.to_pandas(),
        "polars struct series": pl.DataFrame(table).to_struct("record"),
        "columns": {"timestamp": np.array([WHEN.replace(tzinfo=None)] * 2, "datetime64[us]")},
    }
    streamed = {
        "reader": table.to_reader(),
        "duckdb": duckdb.sql("SELECT TIMESTAMPTZ '2026-01-11 00:00:00+00' AS timestamp"),
        "another polars object": _LazyPolarsStream(table),
    }
    assert {name: whole(data) for name, data in held.items()} == dict.fromkeys(held, True)
    assert {name: whole(data) for name, data in streamed.items()} == dict.fromkeys(streamed, False)


@pytest.mark.parametrize(
    ("protocol", "message"),
    [
        ("__arrow_c_array__", "the Arrow array was already consumed"),
        ("__arrow_c_stream__", "cannot read the Arrow data: Cannot import released"),
    ],
)
def test_capsules_handed_out_twice_are_a_clear_error(protocol: str, message: str) -> None:
    # An exporter that caches its capsules hands out released ones the second time: read,
    # arrow-rs asserted on the array's empty husk (a PanicException); pyarrow raised its
    # own error for the stream.
    batch = pa.record_batch({"timestamp": pa.array([WHEN], pa.timestamp("us", tz="UTC"))})
    capsules = getattr(batch, protocol)()
    cached = type("Cached", (), {protocol: lambda self, requested_schema=None: capsules})()
    assert REDUCER.execute_reduction_sync(request(cached)).usage_metrics.total_executions == 1
    with pytest.raises(UsageAnalyticsError, match=message):
        REDUCER.execute_reduction_sync(request(cached))


def test_date32_days_beyond_the_microsecond_range_are_invalid_records() -> None:
    # 213,524,441 days have no microsecond count in an i64: the product wrapped to an
    # instant inside the window, and the record was counted.
    days = datetime_to_micros(WHEN) // US_PER_DAY
    table = pa.table({"timestamp": pa.array([days, 213_524_441], pa.date32())})
    result = REDUCER.execute_reduction_sync(request(table, on_invalid="skip"))
    assert result.usage_metrics.total_executions == 1
    sample = result.data_quality.error_samples[0]
    assert (sample.index, sample.value) == (1, "213524441 (Date32)")
    assert sample.reason == "is out of the supported date-time range"


def test_arrow_array_that_is_not_a_table_is_a_clear_error() -> None:
    with pytest.raises(UsageAnalyticsError, match="not a table"):
        REDUCER.execute_reduction_sync(request(pa.array([1, 2])))


NOT_RECORDS: dict[str, tuple[Callable[[], Any], str]] = {
    "pandas_series": (
        lambda: pd.Series(TIMES, name="timestamp"),
        "one column (a pandas Series named 'timestamp'), not a table of records",
    ),
    "unnamed_series": (
        lambda: pd.Series([1.5, 2.5]),
        "one column (a pandas Series), not a table of records",
    ),
    "series_of_objects": (  # (objects, but not record dicts: one column still)
        lambda: pd.Series(["a", 1], dtype=object, name="agent"),
        "one column (a pandas Series named 'agent'), not a table of records",
    ),
    "polars_series": (
        lambda: pl.Series("timestamp", TIMES),
        "one column (a polars Series named 'timestamp'), not a table of records",
    ),
    "chunked_array": (
        lambda: pa.chunked_array([[1, 2]]),
        "one column (a pyarrow ChunkedArray of type int64), not a table of records",
    ),
    "single_record": (
        lambda: {"timestamp": WHEN, "success": True},
        "looks like a single record (its 'timestamp' is a datetime, not a column)",
    ),
    "number": (lambda: 42, "must be a list of record mappings, a dict of columns, or an"),
    "polars_lazy_frame": (
        lambda: pl.DataFrame({"timestamp": TIMES}).lazy(),
        "got LazyFrame (collect it first: .collect())",
    ),
    # An iterator (a generator, a DB cursor, `map`): "got generator" said not what to do.
    "generator": (
        lambda: ({"timestamp": WHEN} for _ in range(2)),
        "got generator (an iterator: make it a list first, list(...))",
    ),
    # A dataset or a numpy structured array said "got InMemoryDataset", "got recarray".
    "pyarrow_dataset": (
        lambda: pyarrow.dataset.dataset(pa.table({"timestamp": TIMES})),
        "got InMemoryDataset (a pyarrow dataset: read it first, .to_table(), or stream it, "
        ".scanner().to_reader())",
    ),
    "numpy_structured_array": (
        lambda: np.zeros(2, dtype=[("timestamp", "datetime64[us]"), ("success", "?")]),
        "got ndarray (a numpy structured array: pass a dict of its columns, "
        "{name: array[name] for name in array.dtype.names})",
    ),
    "numpy_record_array": (
        lambda: np.zeros(2, dtype=[("timestamp", "datetime64[us]")]).view(np.recarray),
        "got recarray (a numpy structured array:",
    ),
}


@pytest.mark.parametrize("form", list(NOT_RECORDS))
def test_data_of_no_input_form_is_refused_alike_by_reducer_and_accumulator(form: str) -> None:
    # A Series gave Arrow's own words ("ArrowSchema describes non-struct type"), and an
    # accumulator's update other messages than the reducer's (a TypeError for a number).
    make, message = NOT_RECORDS[form]
    with pytest.raises(ValidationError, match=re.escape(message)):
        request(make())
    accumulator = UsageAccumulator(START, END)
    with pytest.raises(UsageAnalyticsError, match=re.escape(message)):
        accumulator.update(make())
    with pytest.raises(ValidationError, match=re.escape(message)):
        ModelUsageAnalyticsBatchInput(
            time_window_start=START, time_window_end=END, execution_data=make()
        )


def test_the_forms_the_refusals_name_are_the_same_records() -> None:
    """What the refusals of a dataset and a structured array tell the caller to pass
    reads as the records do."""
    rows = [{"timestamp": when, "success": i % 2 == 0} for i, when in enumerate(TIMES)]
    expected = comparable(REDUCER.execute_reduction_sync(request(rows)))
    dataset = pyarrow.dataset.dataset(pa.Table.from_pylist(rows))
    array = np.array(
        [
            (np.datetime64(when.replace(tzinfo=None), "us"), i % 2 == 0)
            for i, when in enumerate(TIMES)
        ],
        dtype=[("timestamp", "datetime64[us]"), ("success", "?")],
    )
    for form in (
        dataset.to_table(),
        dataset.scanner().to_reader(),
        {name: array[name] for name in array.dtype.names or ()},
    ):
        assert comparable(REDUCER.execute_reduction_sync(request(form))) == expected


def test_a_pandas_series_of_record_dicts_is_its_records() -> None:
    rows = [{"timestamp": when, "success": True} for when in TIMES]
    expected = comparable(REDUCER.execute_reduction_sync(request(rows)))
    assert comparable(REDUCER.execute_reduction_sync(request(pd.Series(rows)))) == expected


def test_none_is_no_records_for_reducer_and_accumulator_alike() -> None:
    assert REDUCER.execute_reduction_sync(request(None)).total_data_points == 0
    accumulator = UsageAccumulator(START, END)
    accumulator.update(None)  # (was a TypeError)
    assert accumulator.finalize(pattern_id="p").total_data_points == 0


# --------------------------------------------------------------------------- empty input

EMPTY_SCHEMA = pa.schema(
    [
        ("timestamp", pa.timestamp("us", tz="UTC")),
        ("success", pa.bool_()),
        ("execution_time_ms", pa.float64()),
        ("quality_score", pa.float64()),
        ("quality_gates_passed", pa.bool_()),
        ("timeout", pa.bool_()),
        ("context_type", pa.string()),
        ("agent", pa.dictionary(pa.int32(), pa.string())),
        ("project", pa.large_string()),
        ("file_path", pa.string_view()),
    ]
)
EMPTY = EMPTY_SCHEMA.empty_table()
EMPTY_FORMS: dict[str, Callable[[], Any]] = {
    "pyarrow_table": lambda: EMPTY,
    "pyarrow_table_timestamp_only": lambda: pa.table({"timestamp": pa.array([], pa.int64())}),
    "pyarrow_record_batch": lambda: pa.RecordBatch.from_pylist([], schema=EMPTY_SCHEMA),
    "reader_without_batches": lambda: pa.RecordBatchReader.from_batches(EMPTY_SCHEMA, []),
    "polars": lambda: pl.from_arrow(EMPTY),
    "pandas": lambda: EMPTY.to_pandas(),
    "duckdb": lambda: duckdb.sql("SELECT * FROM EMPTY"),
    "dict_of_numpy_arrays": lambda: {
        "timestamp": np.array([], dtype="datetime64[us]"),
        "success": np.array([], dtype=bool),
        "execution_time_ms": np.array([], dtype=np.float64),
    },
    "dict_of_empty_lists": lambda: {"timestamp": [], "success": [], "agent": []},
}


@pytest.mark.parametrize("form", list(EMPTY_FORMS))
def test_empty_input_gives_the_empty_analytics(form: str) -> None:
    expected = outcome(request([]))
    actual = outcome(request(EMPTY_FORMS[form]()))
    assert_same(actual, expected)
    assert actual["data_quality"]["records_received"] == 0
    assert actual["usage_metrics"]["total_executions"] == 0
    assert actual["trend_analysis"]["trend_type"] is UsageTrendType.EMERGING


# --------------------------------------------------------------------------- batches


def _random_table(rows: int, seed: int, *, invalid: bool = True) -> pa.Table:
    """Rows spread a little beyond the window, random float times; some bad values."""
    rng = random.Random(seed)
    times = [START_US + rng.randrange(-US_PER_DAY, 8 * US_PER_DAY) for _ in range(rows)]
    durations: list[float | None] = [rng.expovariate(1 / 120) for _ in range(rows)]
    if invalid:
        picked = rng.sample(range(rows), rows // 5)
        for i in picked[: rows // 10]:
            durations[i] = rng.choice([-1.0, math.nan])
        for i in picked[rows // 10 :]:
            durations[i] = None  # missing, not invalid
    return pa.table(
        {
            "timestamp": pa.array(times, pa.timestamp("us", tz="UTC")),
            "success": pa.array([rng.random() < 0.8 for _ in range(rows)]),
            "execution_time_ms": pa.array(durations, pa.float64()),
            "quality_score": pa.array([rng.random() for _ in range(rows)]),
            "agent": pa.array([f"agent-{rng.randrange(9)}" for _ in range(rows)]),
            "file_path": pa.array([rng.choice(["a.py", "b.rs", None]) for _ in range(rows)]),
        }
    )


def _batches(table: pa.Table, sizes: list[int]) -> list[pa.RecordBatch]:
    batches, offset = [], 0
    for size in sizes:
        part = table.slice(offset, size).combine_chunks().to_batches()
        batches.append(part[0] if part else pa.RecordBatch.from_pylist([], schema=table.schema))
        offset += size
    assert offset == table.num_rows
    return batches


MULTI_BATCH_FORMS: dict[str, Callable[[pa.Table], Any]] = {
    "record_batch_reader": lambda t: pa.RecordBatchReader.from_batches(
        t.schema, _batches(t, [7, 0, 1, 20, 12])
    ),
    "chunked_table": lambda t: pa.Table.from_batches(_batches(t, [13, 13, 14])),
}


@pytest.mark.parametrize("form", list(MULTI_BATCH_FORMS))
def test_multi_batch_stream_equals_one_batch(form: str) -> None:
    """The same 40 rows as several batches or chunks: the same analytics, bit for bit."""
    table = _random_table(40, seed=11, invalid=False)
    expected = outcome(request(table.combine_chunks(), on_invalid="skip"))
    assert_same(outcome(request(MULTI_BATCH_FORMS[form](table), on_invalid="skip")), expected)


@pytest.mark.parametrize("on_invalid", ["raise", "skip"])
def test_error_indexes_are_row_numbers_across_batches(on_invalid: str) -> None:
    """Batches of 7, 0, 1, 20 and 12 rows; the bad rows are in the last two batches."""
    table = _random_table(40, seed=1)
    durations = table.column("execution_time_ms").to_pylist()
    bad_rows = [i for i, d in enumerate(durations) if d is not None and not d >= 0]
    assert bad_rows == [21, 29, 34, 39]
    expected = outcome(request(table.to_pylist(), on_invalid=on_invalid))
    reader = MULTI_BATCH_FORMS["record_batch_reader"](table)
    actual = outcome(request(reader, on_invalid=on_invalid))
    if on_invalid == "raise":
        assert actual == expected
        assert actual["raised"][0] == 21
    else:
        assert_same(actual["data_quality"], expected["data_quality"])
        samples = actual["data_quality"]["error_samples"]
        assert [sample["index"] for sample in samples] == bad_rows


def test_table_longer_than_one_slice_equals_the_list_of_dicts() -> None:
    """More rows than the core converts per pass (`ARROW_SLICE_ROWS`; it adds each pass on
    two cores, one half merged into the other; the list path reads 4,096 records per
    chunk), some outside the window and some invalid."""
    table = _random_table(ARROW_SLICE_ROWS + 4_464, seed=3)
    expected = outcome(request(table.to_pylist(), on_invalid="skip"))
    actual = outcome(request(table, on_invalid="skip"))
    assert_same(actual["data_quality"], expected["data_quality"])
    assert actual["data_quality"]["records_outside_window"] > 0
    assert_same(actual, expected)


def test_dictionaries_of_hundreds_of_values_equal_the_list_of_dicts() -> None:
    """5,000 valid rows whose string columns are dictionaries of 150-300 values, more than
    the 64 always counted by key but fewer than one per 16 rows: a one-pattern call counts
    them by key (the agents' spans too, rows in time order and not), a few values unused,
    one extension shared by many paths."""
    rng = random.Random(11)
    rows = 5_000
    pools = {
        "context_type": [f"ctx-{i}" for i in range(150)],
        "agent": [f"agent-{i}" for i in range(200)],
        "project": [f"proj-{i}" for i in range(250)],
        "file_path": [f"src/m{i}/f.{('py', 'rs', 'md', 'tar.gz')[i % 4]}" for i in range(300)],
    }
    times = sorted(START_US + rng.randrange(0, 7 * US_PER_DAY) for _ in range(rows))
    for ordered in (True, False):
        if not ordered:
            rng.shuffle(times)
        columns: dict[str, Any] = {
            "timestamp": pa.array(times, pa.timestamp("us", tz="UTC")),
            "success": pa.array([rng.random() < 0.8 for _ in range(rows)]),
            "execution_time_ms": pa.array([rng.expovariate(1 / 120) for _ in range(rows)]),
            "quality_score": pa.array([rng.random() for _ in range(rows)]),
        }
        for name, pool in pools.items():
            keys = pa.array([rng.randrange(len(pool) - 3) for _ in range(rows)], pa.int32())
            columns[name] = pa.DictionaryArray.from_arrays(keys, pa.array(pool))
        table = pa.table(columns)
        expected = outcome(request(table.to_pylist()))
        assert_same(outcome(request(table)), expected)
        distribution = expected["context_distribution"]
        assert len(distribution["by_agent"]) == len({r["agent"] for r in table.to_pylist()})
        assert set(distribution["by_file_type"]) == {"py", "rs", "md", "gz"}


def test_error_samples_after_the_first_slice_keep_their_row_index() -> None:
    first, second, last = ARROW_SLICE_ROWS - 1, ARROW_SLICE_ROWS, ARROW_SLICE_ROWS + 4_463
    rows = last + 1
    values: list[float | None] = [1.0] * rows
    for i in (first, second, last):
        values[i] = -1.0
    table = pa.table(
        {
            "timestamp": pa.array([START_US] * rows, pa.timestamp("us", tz="UTC")),
            "execution_time_ms": values,
        }
    )
    with pytest.raises(InvalidRecordError) as raised:
        REDUCER.execute_reduction_sync(request(table))
    assert (raised.value.index, raised.value.more) == (first, 2)
    output = REDUCER.execute_reduction_sync(request(table, on_invalid="skip"))
    indexes = [s.index for s in output.data_quality.error_samples]
    assert indexes == [first, second, last]


# --------------------------------------------------------------------------- window


def test_window_filter_on_arrow_input_truncates_nanoseconds_like_iso_fractions() -> None:
    """Nanosecond timestamps are floored to the microsecond, as a 9-digit ISO fraction
    is truncated: 1 ns before the start is outside, 999 ns after the end is inside."""
    start_ns, end_ns = START_US * 1000, END_US * 1000
    nanos = [
        (start_ns - 1000, False),  # 1 us before the start
        (start_ns - 1, False),  # 1 ns before: floors to 1 us before
        (start_ns, True),
        (start_ns + 1, True),
        ((start_ns + end_ns) // 2, True),
        (end_ns, True),
        (end_ns + 999, True),  # floors to the end (inclusive)
        (end_ns + 1000, False),
    ]
    table = pa.table({"timestamp": pa.array([n for n, _ in nanos], pa.timestamp("ns", tz="UTC"))})

    def iso(ns: int) -> str:
        seconds, fraction = divmod(ns, 10**9)
        return f"{datetime.fromtimestamp(seconds, UTC):%Y-%m-%dT%H:%M:%S}.{fraction:09d}Z"

    records = [{"timestamp": iso(n)} for n, _ in nanos]
    expected = outcome(request(records))
    actual = outcome(request(table))
    assert_same(actual, expected)
    inside = sum(flag for _, flag in nanos)
    assert actual["data_quality"]["records_in_window"] == inside
    assert actual["data_quality"]["records_outside_window"] == len(nanos) - inside
    assert actual["usage_metrics"]["time_since_last_use"] == 0.0


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_window_ends_are_inclusive_in_every_unit(unit: str) -> None:
    step = UNIT_MICROS[unit]  # one unit (ns: one microsecond), in microseconds
    micros = [START_US - step, START_US, END_US, END_US + step]
    raw = [us * 1000 if unit == "ns" else us // step for us in micros]
    table = pa.table({"timestamp": pa.array(raw, pa.timestamp(unit))})
    output = REDUCER.execute_reduction_sync(request(table))
    quality = output.data_quality
    assert (quality.records_in_window, quality.records_outside_window) == (2, 2)
    records = [{"timestamp": micros_to_utc(us)} for us in micros]
    assert_same(comparable(output), outcome(request(records)))


# --------------------------------------------------------------------------- dict of columns


def test_dict_of_columns_with_unequal_lengths_is_a_clear_error() -> None:
    data = {
        "timestamp": np.array(["2026-01-11", "2026-01-11"], dtype="datetime64[us]"),
        "success": [True, False, True],
    }
    with pytest.raises(
        UsageAnalyticsError, match=r"different lengths.*'timestamp': 2.*'success': 3"
    ):
        REDUCER.execute_reduction_sync(request(data))


@pytest.mark.parametrize(
    "column",
    [
        pytest.param({"b", "a"}, id="set"),
        pytest.param(frozenset({"b", "a"}), id="frozenset"),
        pytest.param({"b": 1, "a": 2}.keys(), id="dict_keys"),
    ],
)
@pytest.mark.parametrize("field", ["agent", "timestamp"])
def test_a_column_of_no_order_is_refused(field: str, column: Any) -> None:
    # A set's order is its hashes' (text: random per process): its values were paired with
    # the other columns' rows in that order, each run another pairing.
    other = "timestamp" if field == "agent" else "agent"
    data = {other: [WHEN, WHEN] if other == "timestamp" else ["x", "y"], field: column}
    with pytest.raises(UsageAnalyticsError) as raised:
        REDUCER.execute_reduction_sync(request(data))
    assert str(raised.value) == (
        f"column '{field}' must be a numpy array or a list, got {type(column).__name__} (a "
        "collection without an order, whose values cannot be paired with the rows)"
    )


@pytest.mark.parametrize(
    "record",
    [
        pytest.param({"timestamp": "2026-01-11T00:00:00Z", "success": True}, id="iso_string"),
        pytest.param({"timestamp": WHEN, "agent": "a"}, id="datetime"),
        pytest.param({"success": [True], "timestamp": WHEN}, id="one_column_one_scalar"),
    ],
)
def test_single_record_dict_is_a_clear_error(record: dict[str, Any]) -> None:
    scalar = next(name for name, value in record.items() if not isinstance(value, list))
    with pytest.raises(ValidationError, match="looks like a single record") as raised:
        request(record)
    assert raised.value.errors()[0]["msg"] == (
        f"Value error, execution_data looks like a single record (its '{scalar}' is a "
        f"{type(record[scalar]).__name__}, not a column): pass a list of records or a dict of "
        "columns (name -> list or numpy array)"
    )


def test_dict_of_arrays_without_pyarrow_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # `import pyarrow` now fails
    data = {"timestamp": np.array([WHEN.replace(tzinfo=None)], "M8[us]"), "success": [True]}
    with pytest.raises(UsageAnalyticsError, match=r"pyarrow.*usage-analytics\[arrow\]"):
        REDUCER.execute_reduction_sync(request(data))
    # (int timestamps, epoch microseconds, make a table of a dict of lists too)
    data = {"timestamp": [1], "success": [True]}
    with pytest.raises(UsageAnalyticsError, match=r"pyarrow.*usage-analytics\[arrow\]"):
        REDUCER.execute_reduction_sync(request(data))
    # a list of dicts, and a dict of lists read as its rows' records, need no pyarrow
    records = [{"timestamp": WHEN, "success": True}]
    assert REDUCER.execute_reduction_sync(request(records)).usage_metrics.total_executions == 1
    data = {"timestamp": [WHEN], "success": [True]}
    assert REDUCER.execute_reduction_sync(request(data)).usage_metrics.total_executions == 1


def test_polars_null_columns_without_pyarrow_are_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    # Without pyarrow, polars casts its own `Null` columns to text (arrow-rs refuses the
    # null type through the C data interface): all missing, as in the records.
    frame = pl.DataFrame({"timestamp": [WHEN, WHEN], "agent": [None, None], "success": [1, 0]})
    assert frame.schema["agent"] == pl.Null
    expected = outcome(
        request([{"timestamp": WHEN, "success": 1}, {"timestamp": WHEN, "success": 0}])
    )
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # `import pyarrow` now fails
    assert_same(outcome(request(frame)), expected)


def test_a_mapping_as_a_column_is_refused_naming_it() -> None:
    data = {"timestamp": [WHEN, WHEN], "agent": {"a": 1, "b": 2}}
    with pytest.raises(UsageAnalyticsError) as raised:
        REDUCER.execute_reduction_sync(request(data))
    assert str(raised.value) == "column 'agent' must be a numpy array or a list, got dict"


def test_int_timestamps_beside_a_nan_name_the_kinds() -> None:
    # In a list NaN is a value (a float), not missing: ints and a float, refused as such
    # (not as the float64 column pyarrow makes of them).
    data = {"timestamp": [START_US, math.nan]}
    with pytest.raises(UsageAnalyticsError) as raised:
        REDUCER.execute_reduction_sync(request(data))
    assert str(raised.value) == (
        "cannot read column 'timestamp': it mixes values of the kinds float, int, which one "
        "Arrow column cannot hold as they are (pass the records as a list of dicts, whose "
        "values are judged one by one)"
    )


class SchemaArrayExporter(ArrayExporter):
    """Exports its schema too (`__arrow_c_schema__`), as nanoarrow's arrays do."""

    def __arrow_c_schema__(self) -> object:
        return self._batch.schema.__arrow_c_schema__()


def test_an_exporter_of_a_schema_and_an_array_with_a_null_column_reads_it_as_missing() -> None:
    # The schema told by `__arrow_c_schema__` finds the null-typed column (which arrow-rs
    # refuses through the C data interface) to cast to text: all missing.
    batch = pa.record_batch({"timestamp": [WHEN, WHEN], "agent": pa.nulls(2), "success": [1, 0]})
    expected = outcome(
        request([{"timestamp": WHEN, "success": 1}, {"timestamp": WHEN, "success": 0}])
    )
    assert_same(outcome(request(SchemaArrayExporter(batch))), expected)


class PanicException(BaseException):
    """As pyo3 raises for a panic in a library's Rust code: a BaseException."""


class PanickingExporter:
    """A stream exporter whose export panics, as polars' does for some of its frames."""

    def __arrow_c_stream__(self, requested_schema: object = None) -> object:
        raise PanicException("assertion failed: *precision >= 1 && *precision <= 38")


def test_an_export_that_panics_is_a_clear_error_not_a_panic() -> None:
    # pyo3's PanicException is a BaseException: it went through every `except Exception`
    # to the caller, where the export's other failures are a UsageAnalyticsError.
    with pytest.raises(UsageAnalyticsError, match=r"failed to export it \(it panicked: asser"):
        REDUCER.execute_reduction_sync(request(PanickingExporter()))
    # polars 2.1 panics so for a frame of a Decimal wider than 38 digits, which it makes
    # from an Arrow decimal256 column without rows (with rows, its import panics): read,
    # or a clear error, never a panic.
    wide = pa.table(
        {
            "timestamp": pa.array([], pa.timestamp("us", tz="UTC")),
            "execution_time_ms": pa.array([], pa.decimal256(40, 3)),
        }
    )
    try:
        frame = pl.from_arrow(wide, rechunk=False)
    except BaseException:  # (a polars that makes no such frame: a panic of its own)
        return
    try:
        got: Any = outcome(request(frame))
    except UsageAnalyticsError as error:
        got = str(error)
    if isinstance(got, str):
        assert "polars failed to export it" in got
    else:
        assert_same(got, outcome(request([])))


def test_a_pandas_frame_without_pyarrow_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # `import pyarrow` now fails
    with pytest.raises(UsageAnalyticsError) as raised:
        REDUCER.execute_reduction_sync(request(pd.DataFrame({"timestamp": [WHEN]})))
    assert str(raised.value) == (
        "a pandas DataFrame needs pyarrow: pip install 'usage-analytics[arrow]'"
    )


def test_int_and_float_scores_among_objects_are_one_kind() -> None:
    stamps = np.array([WHEN.replace(tzinfo=None)] * 2, dtype="datetime64[us]")
    columns = {"timestamp": stamps, "quality_score": objects([1, 0.5])}
    records = [{"timestamp": WHEN, "quality_score": 1}, {"timestamp": WHEN, "quality_score": 0.5}]
    assert_same(outcome(request(columns)), outcome(request(records)))


def test_int_flags_of_a_pandas_series_in_a_dict_are_read_as_ints() -> None:
    # (Only floats of 0, 1 and NaN are made booleans: a 2 stays the record's invalid int.)
    columns = {"timestamp": [WHEN, WHEN], "success": pd.Series([1, 2])}
    records = [{"timestamp": WHEN, "success": 1}, {"timestamp": WHEN, "success": 2}]
    expected = outcome(request(records))
    assert expected["raised"][:2] == (1, "success")
    assert_same(outcome(request(columns)), expected)


def test_an_error_of_a_duckdb_query_is_named_as_such() -> None:
    relation = duckdb.sql(
        "SELECT TIMESTAMPTZ '2026-01-11 00:00:00+00' AS timestamp, error('boom') AS agent"
    )
    with pytest.raises(UsageAnalyticsError) as raised:
        REDUCER.execute_reduction_sync(request(relation))
    assert str(raised.value) == "cannot read the DuckDB result: Invalid Input Error: boom"


def test_dict_of_columns_pyarrow_cannot_convert_is_its_records_error() -> None:
    stamps = np.array([WHEN.replace(tzinfo=None)] * 2, dtype="datetime64[us]")
    data = {"timestamp": stamps, "success": [True, "yes"]}
    # Read as its rows, each array's values as its column reads (NaN missing there): the
    # records' own error, naming the record, as with lists only (it was refused naming the
    # column's kinds, "it mixes values of the kinds bool, str").
    with pytest.raises(InvalidRecordError, match="record 1: field 'success' = 'yes'"):
        REDUCER.execute_reduction_sync(request(data))
    lists = {"timestamp": [WHEN, WHEN], "success": [True, "yes"]}
    with pytest.raises(InvalidRecordError, match="record 1: field 'success' = 'yes'"):
        REDUCER.execute_reduction_sync(request(lists))


@pytest.mark.parametrize(
    ("column", "values"),
    [
        pytest.param("quality_score", np.array(["2026-01-11"], "datetime64[Y]"), id="datetime64"),
        pytest.param("execution_time_ms", np.ones(1, complex), id="complex"),
    ],
)
def test_dict_of_columns_of_a_dtype_arrow_lacks_is_a_clear_error(
    column: str, values: np.ndarray
) -> None:
    # (Datetimes in years are read as times: `test_numpy_datetimes_of_units_arrow_lacks...`.)
    data: dict[str, Any] = {"timestamp": [WHEN], column: values}
    with pytest.raises(UsageAnalyticsError, match=f"column '{column}'"):
        REDUCER.execute_reduction_sync(request(data))


def test_dict_of_byte_swapped_columns_reads_their_values() -> None:
    # Arrow has no byte-swapped layouts (pyarrow refuses them): converted first.
    micros = np.array([datetime_to_micros(t) for t in TIMES], dtype=np.int64)
    times = np.array([5.5, 1.0, 250.0, 3.25])
    native = {"timestamp": micros, "execution_time_ms": times}
    swapped = {
        name: values.astype(values.dtype.newbyteorder(">")) for name, values in native.items()
    }
    assert not swapped["timestamp"].dtype.isnative
    assert_same(outcome(request(swapped)), outcome(request(native)))


def test_arrow_data_pyarrow_cannot_read_is_a_clear_error() -> None:
    # A polars Int128 column: a format pyarrow lacks. (Exported by another object: a
    # polars frame's record column of that dtype is refused by name first.)
    int128 = pl.DataFrame(
        {"timestamp": [WHEN], "execution_time_ms": pl.Series([1], dtype=pl.Int128)}
    )

    class Exporter:
        def __arrow_c_stream__(self, requested_schema: object = None) -> object:
            return int128.__arrow_c_stream__(requested_schema)

    with pytest.raises(UsageAnalyticsError, match="cannot read the Arrow data"):
        REDUCER.execute_reduction_sync(request(Exporter()))


# --------------------------------------------------------------------------- async


def _large_table(rows: int, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    agents = pa.array([f"agent-{i}" for i in range(7)])
    return pa.table(
        {
            "timestamp": pa.array(
                START_US + rng.integers(0, 7 * US_PER_DAY, rows), pa.timestamp("us", tz="UTC")
            ),
            "success": rng.random(rows) < 0.9,
            "execution_time_ms": rng.exponential(120.0, rows),
            "quality_score": rng.random(rows),
            "agent": pa.DictionaryArray.from_arrays(
                pa.array(rng.integers(0, 7, rows, dtype=np.int32)), agents
            ),
            "file_path": pa.DictionaryArray.from_arrays(
                pa.array(rng.integers(0, 3, rows, dtype=np.int8)),
                pa.array(["a.py", "b.rs", "Makefile"]),
            ),
        }
    )


async def test_awaiting_a_large_arrow_table_lets_the_event_loop_run() -> None:
    table = _large_table(2_000_000, seed=1)
    contract = request(table, granularity=AnalyticsGranularity.COMPREHENSIVE)
    result, ticks = await ticks_while(lambda: REDUCER.execute_reduction(contract))
    assert result.usage_metrics.total_executions == 2_000_000
    # Run on the loop's thread, the reduction would return before the ticker ran again.
    assert ticks >= 3


async def test_concurrent_awaits_of_arrow_and_list_inputs_equal_sequential_results() -> None:
    tables = [_large_table(rows, seed=rows) for rows in (10, 5_000, 20_000, 60_000)]
    inputs: list[Any] = [
        tables[0],
        tables[1].to_pylist(),
        pl.from_arrow(tables[2]),
        tables[3],
        tables[2].to_pylist(),
        tables[3].to_batches()[0],
        {name: tables[1].column(name).to_numpy() for name in ("timestamp", "success")},
    ]
    contracts = [request(data, on_invalid="skip") for data in inputs]
    sequential = [outcome(contract) for contract in contracts]
    concurrent = await asyncio.gather(*(REDUCER.execute_reduction(c) for c in contracts * 2))
    for actual, expected in zip(concurrent, sequential * 2, strict=True):
        assert_same(comparable(actual), expected)


def test_decimal_and_unsigned_numbers_equal_the_same_numbers_in_a_list() -> None:
    # DuckDB's numeric literals and NUMERIC columns come as decimals; u64 values above
    # i64::MAX were read as i64::MAX.
    from decimal import Decimal

    times = ["12.5", "0.1", "1e-7", "123456789012345678.9", "-0.5", None]
    scores = ["0.25", "1", "0.3333333333333333333333333", "1.5", None, "0"]
    stamps = [WHEN + timedelta(minutes=m) for m in range(len(times))]
    kinds = [pa.decimal128(38, 25), pa.decimal256(40, 25)]
    kinds += [pa.decimal32(9, 7), pa.decimal64(18, 16)] if hasattr(pa, "decimal32") else []
    for kind in kinds:
        table = pa.table(
            {
                "timestamp": stamps,
                "execution_time_ms": [None if t is None else Decimal(t) for t in times],
                "quality_score": pa.array(
                    [q and Decimal(q[: kind.scale + 2]) for q in scores], kind
                ),
            }
        )
        # The same Decimals in a list (None as a missing field).
        records = [
            {name: value for name, value in row.items() if value is not None}
            for row in table.to_pylist()
        ]
        expected = outcome(request(records, on_invalid="skip"))
        assert expected["data_quality"]["invalid_records"] == 2  # 1.5 and -0.5
        assert_same(outcome(request(table, on_invalid="skip")), expected)
    relation = duckdb.sql(
        "SELECT TIMESTAMPTZ '2026-01-11 00:00:00+00' AS timestamp, 12.5 AS execution_time_ms"
    )
    single = outcome(request(relation))
    assert single["performance_metrics"]["avg_execution_time_ms"] == 12.5
    big = [2**64 - 1, 2**63, 7]
    table = pa.table({"timestamp": stamps[:3], "execution_time_ms": pa.array(big, pa.uint64())})
    listed = [{"timestamp": s, "execution_time_ms": b} for s, b in zip(stamps, big, strict=False)]
    assert_same(outcome(request(table)), outcome(request(listed)))
    assert outcome(request(table))["performance_metrics"]["max_execution_time_ms"] == 2.0**64


@pytest.mark.parametrize("unit", ["h", "m", "W", "M", "Y", "2h", "10s", "250ms", "10us", "2ns"])
def test_numpy_datetimes_of_units_arrow_lacks_equal_their_datetimes(unit: str) -> None:
    # They failed with "cannot read the columns: Unsupported datetime64 time unit".
    stamps = np.array(
        ["2026-01-06T05:00", "2026-01-10T23:59:59.75", "2026-01-11T23:59:59.999999", "NaT"],
        "datetime64[us]",
    )
    column = stamps.astype(f"datetime64[{unit}]")  # (to the unit: 23:59:59.75 in 250ms)

    def moment(value: Any) -> datetime:
        return value.astype("datetime64[us]").item().replace(tzinfo=UTC)  # type: ignore[no-any-return]

    listed = [{} if np.isnat(value) else {"timestamp": moment(value)} for value in column]
    options = {"on_invalid": "skip"}
    assert_same(
        outcome(request({"timestamp": column}, **options)), outcome(request(listed, **options))
    )
    # The same scalars as numpy objects, as in a record, were converted by pyarrow, which
    # refused the unit itself (a pandas column of them, or a list, was read).
    objects = np.array([*column, None], dtype=object)[:-1]
    for data in (objects, pd.Series(objects, dtype=object)):
        assert_same(
            outcome(request({"timestamp": data}, **options)), outcome(request(listed, **options))
        )


def _wrapping_to(when: datetime, unit: str) -> int:
    """A count of `unit`s (a day, hour, minute or week) past 64-bit microseconds whose
    conversion wrapped, in numpy (to seconds) or pyarrow (days to date32), to `when`."""
    if unit == "D":
        return (when - datetime(1970, 1, 1, tzinfo=UTC)).days + 2**32
    seconds = datetime_to_micros(when) // 1_000_000
    per = {"h": 3_600, "m": 60, "W": 7 * 86_400}[unit]
    counts = ((seconds + k * 2**64) // per for k in range(-per, per) if k)
    return next(n for n in counts if n * per % 2**64 == seconds and -(2**63) < n < 2**63)


@pytest.mark.parametrize("unit", ["D", "h", "m", "W"])
def test_numpy_datetimes_past_64_bit_microseconds_are_out_of_range_not_wrapped(
    unit: Literal["D", "h", "m", "W"],
) -> None:
    # numpy's conversion to seconds (and pyarrow's of days to date32) wrapped such a value
    # silently, here to an instant inside the window: counted as a valid record there,
    # where the same datetime64 in a record is out of the supported range.
    beyond = np.datetime64(_wrapping_to(WHEN, unit), unit)
    inside = np.datetime64(WHEN.replace(tzinfo=None)).astype(f"datetime64[{unit}]")
    column = np.array([inside, beyond, np.datetime64("NaT", unit)])
    listed = [{"timestamp": value, "success": True} for value in column]
    for mode in ("raise", "skip"):
        expected = outcome(request(listed, on_invalid=mode))
        assert_same(
            outcome(request({"timestamp": column, "success": [True] * 3}, on_invalid=mode)),
            expected,
        )
    assert expected["data_quality"]["error_samples"][0] == {
        "index": 1,
        "field": "timestamp",
        "value": repr(beyond),
        "reason": "is out of the supported date-time range",
    }
    # (Beside a column its field refuses whole, the call is refused as without them.)
    with pytest.raises(UsageAnalyticsError, match="column 'success' has Arrow type Float64"):
        REDUCER.execute_reduction_sync(request({"timestamp": column, "success": np.ones(3)}))


@pytest.mark.parametrize("unit", ["D", "s", "ms"])
@pytest.mark.parametrize("sign", [1, -1])
def test_numpy_times_past_64_bit_microseconds_are_described_as_in_a_record(
    unit: Literal["D", "s", "ms"], sign: int
) -> None:
    # Out of the supported range in either form, but the array's sample described the
    # value as the core's Arrow reader does ("9223372036855 (Timestamp(s))", days within
    # 32 bits as "1073741824 (Date32)"), the record's as the datetime64 it is: the error
    # and the skip mode's sample differed.
    per = {"D": 86_400_000_000, "s": 1_000_000, "ms": 1_000}[unit]
    last = (2**63 - 1) // per  # (the last count within 64-bit microseconds, each way)
    beyond = np.datetime64(sign * (last + 1), unit)
    edge = np.datetime64(sign * last, unit)
    inside = np.datetime64(WHEN.replace(tzinfo=None)).astype(f"datetime64[{unit}]")
    column = np.array([inside, edge, beyond, np.datetime64("NaT", unit)])
    listed = [{"timestamp": value} for value in column]
    for mode in ("raise", "skip"):
        expected = outcome(request(listed, on_invalid=mode))
        assert_same(outcome(request({"timestamp": column}, on_invalid=mode)), expected)
    assert expected["data_quality"]["invalid_records"] == 2  # (beyond, and the NaT)
    assert expected["data_quality"]["error_samples"][0] == {
        "index": 2,
        "field": "timestamp",
        "value": repr(beyond),
        "reason": "is out of the supported date-time range",
    }


@pytest.mark.parametrize("unit", ["Y", "6M", "M", "W", "h", "2h", "m", "250ms"])
@pytest.mark.parametrize("year", ["300000", "-300000"])
def test_numpy_times_of_other_units_past_64_bit_microseconds_are_described_as_in_a_record(
    unit: str, year: str
) -> None:
    # Converted exactly to seconds (or milliseconds), such a value (the year 300,000) fits
    # them but not 64-bit microseconds: the array's sample showed the count it was
    # converted to ("9404918380800 (Timestamp(s))"), which the caller never wrote, where
    # the record's shows the datetime64 it is.
    beyond = np.datetime64(f"{year}-01-01").astype(f"datetime64[{unit}]")
    inside = np.datetime64(WHEN.replace(tzinfo=None)).astype(f"datetime64[{unit}]")
    column = np.array([inside, beyond, np.datetime64("NaT").astype(f"datetime64[{unit}]")])
    listed = [{"timestamp": value} for value in column]
    for mode in ("raise", "skip"):
        expected = outcome(request(listed, on_invalid=mode))
        assert_same(outcome(request({"timestamp": column}, on_invalid=mode)), expected)
    assert expected["data_quality"]["error_samples"][0] == {
        "index": 1,
        "field": "timestamp",
        "value": repr(beyond),
        "reason": "is out of the supported date-time range",
    }


@pytest.mark.parametrize("unit", ["as", "fs", "ps", "250as"])
def test_numpy_datetimes_below_nanoseconds_that_numpy_wraps_are_their_records(
    unit: str,
) -> None:
    # Floored to nanoseconds, the ticks within a nanosecond of the unit's least (numpy's
    # floor division wraps them) and a multiple's ticks past 64 bits once multiplied
    # came out as other instants: 1969-12-31T23:59:50.78 (in attoseconds) as
    # 1970-01-01T00:00:09, counted in a window that holds that.
    ticks = [-(2**63) + 5, 2**62 if unit == "250as" else -(2**63) + 5]
    column = np.array([*ticks, 0], np.int64).view(f"datetime64[{unit}]")
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    window = {
        "time_window_start": epoch - timedelta(days=300),
        "time_window_end": epoch + timedelta(days=1),
        "time_window_type": TimeWindowType.CUSTOM,
        "on_invalid": "skip",
    }
    listed = [{"timestamp": value} for value in column]
    columns = {"timestamp": column}
    expected = outcome(ModelUsageAnalyticsInput(pattern_id="p", execution_data=listed, **window))
    actual = outcome(ModelUsageAnalyticsInput(pattern_id="p", execution_data=columns, **window))
    assert_same(actual, expected)
    quality = expected["data_quality"]
    assert quality["records_in_window"] + quality["records_outside_window"] >= 1


def test_a_column_arrow_cannot_take_is_named() -> None:
    with pytest.raises(UsageAnalyticsError, match="cannot read column 'quality_score'"):
        REDUCER.execute_reduction_sync(
            request({"timestamp": np.array([0]), "quality_score": np.array([1 + 2j])})
        )


DATETIME64_VALUES = [
    np.datetime64("2026-01-11"),
    np.datetime64("2026-01-11T10:30"),
    np.datetime64("2026-01-11T10:30:00.123456789", "ns"),
    np.datetime64("2026-01-11T10:30:00.5", "ms"),
    # floored to 23:59:59.999999, as in an array
    np.datetime64("2026-01-11", "ns") - np.timedelta64(1, "ns"),
    np.datetime64(2026 * 12 - 1970 * 12, "M"),  # calendar units: 2026-01-01, outside
    # past 64-bit microseconds: out of range (numpy's own conversion wrapped to 2026)
    np.datetime64(1_685_622_981_224 * 365, "D"),
]


@pytest.mark.parametrize("value", DATETIME64_VALUES, ids=str)
def test_a_datetime64_in_a_record_is_read_as_in_an_array(value: np.datetime64) -> None:
    # Records were refused ("must be a datetime ... got datetime64") while a datetime64
    # array of the same values was read.
    column = np.array([value, value])
    records = [{"timestamp": value}, {"timestamp": value}]
    from_column = REDUCER.execute_reduction_sync(request({"timestamp": column}, on_invalid="skip"))
    from_records = REDUCER.execute_reduction_sync(request(records, on_invalid="skip"))
    if from_column.data_quality.invalid_records == 0:
        assert_same(comparable(from_records), comparable(from_column))
    else:  # (a sample's value is written as its form holds it: compare the rest)
        quality = from_records.data_quality
        assert (quality.invalid_records, quality.records_in_window) == (2, 0)
        assert [s.reason for s in quality.error_samples] == [
            s.reason for s in from_column.data_quality.error_samples
        ]


def test_a_date_in_a_record_is_its_midnight_as_in_a_date_column() -> None:
    days = [WHEN.date(), (WHEN - timedelta(days=2)).date()]
    expected = outcome(request(pa.table({"timestamp": pa.array(days, pa.date32())})))
    assert_same(outcome(request([{"timestamp": day} for day in days])), expected)
    assert expected["usage_metrics"]["total_executions"] == 2


@pytest.mark.parametrize("kind", [np.int8, np.int64, np.uint8, np.uint64, np.intc])
def test_numpy_integer_flags_in_a_record_are_read_as_in_an_int_column(kind: type) -> None:
    # A numpy integer (a value of an int column) was refused where the int 1 was read.
    flags = [kind(1), kind(0), kind(1)]
    records = [
        {"timestamp": t, "success": f, "timeout": f} for t, f in zip(TIMES, flags, strict=False)
    ]
    table = pa.table(
        {"timestamp": TIMES[:3], "success": np.array(flags), "timeout": np.array(flags)}
    )
    assert_same(outcome(request(records)), outcome(request(table)))
    assert REDUCER.execute_reduction_sync(request(records)).success_metrics.success_count == 2
    two = [{"timestamp": WHEN, "success": kind(2)}]
    with pytest.raises(InvalidRecordError, match=r"must be a bool \(or the int 0 or 1\)"):
        REDUCER.execute_reduction_sync(request(two))


@pytest.mark.parametrize("on_invalid", ["raise", "skip"])
def test_a_list_column_of_mixed_types_reads_as_the_records_do(on_invalid: str) -> None:
    # A NaN among names (or a str among numbers) failed the whole call, naming no row,
    # where a list of records makes it that record's error (and skips it in skip mode).
    columns = {
        "timestamp": TIMES,
        "agent": ["a", math.nan, "b", None],
        "execution_time_ms": [1.0, 2.0, "3", 4.0],
    }
    records = [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]
    expected = outcome(request(records, on_invalid=on_invalid))
    assert_same(outcome(request(columns, on_invalid=on_invalid)), expected)
    if on_invalid == "raise":
        assert expected["raised"][:2] == (1, "agent")
    else:
        assert expected["data_quality"]["invalid_records"] == 2


@pytest.mark.parametrize("kind", [int, np.int64], ids=["int", "numpy_int64"])
def test_a_mixed_column_never_turns_epoch_timestamps_into_invalid_records(kind: type) -> None:
    # The fallback to records refused the int timestamps (a columnar form): every record
    # was skipped as invalid, or the error blamed record 0's timestamp. (numpy ints too:
    # a list of them is an int64 column as well.) Read as its rows, each timestamp the
    # instant its epoch microseconds are, the text flag its record's error (the whole call
    # was refused, "cannot read column 'success'").
    columns = {"timestamp": [kind(START_US + 3_600_000_000)] * 2, "success": [True, "x"]}
    output = REDUCER.execute_reduction_sync(request(columns, on_invalid="skip"))
    assert (output.data_quality.records_in_window, output.data_quality.invalid_records) == (1, 1)
    assert output.data_quality.error_samples[0].field == "success"
    with pytest.raises(InvalidRecordError, match="record 1: field 'success' = 'x'"):
        REDUCER.execute_reduction_sync(request(columns))


@pytest.mark.parametrize("form", [list, objects], ids=["list", "numpy_objects"])
def test_int_timestamps_among_other_kinds_beside_arrays_are_named_as_kinds(
    form: Callable[[list[Any]], Any],
) -> None:
    # Epoch microseconds are a columnar form, which records refuse: a list or numpy array
    # of objects mixing them with other kinds is refused naming the kinds, even in skip
    # mode. (pyarrow's own words were "object of type <class 'str'> cannot be converted to
    # int".)
    stamps = form([START_US + 3_600_000_000, "2026-01-06T00:00:00Z"])
    columns: dict[str, Any] = {"timestamp": stamps, "success": np.ones(2, bool)}
    with pytest.raises(UsageAnalyticsError) as raised:
        REDUCER.execute_reduction_sync(request(columns, on_invalid="skip"))
    assert str(raised.value) == (
        "cannot read column 'timestamp': it mixes values of the kinds int, str, which one "
        "Arrow column cannot hold as they are (pass the records as a list of dicts, whose "
        "values are judged one by one)"
    )


class _RaisingZone(tzinfo):
    """A time zone whose offset cannot be told: the caller's code raising."""

    def utcoffset(self, dt: datetime | None) -> timedelta:
        raise RuntimeError("no offset today")

    def dst(self, dt: datetime | None) -> timedelta:
        return timedelta(0)

    def tzname(self, dt: datetime | None) -> str | None:
        return None


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("success", [True, None, 0, False]),
        ("timestamp", [TIMES[0], TIMES[1].isoformat(), TIMES[2], TIMES[3]]),
        ("agent", ["a", 5, None, "b"]),
        ("timeout", ["yes", "no", None, "no"]),  # (text alone: the core refused the column)
    ],
)
@pytest.mark.parametrize("form", [list, objects], ids=["list", "numpy_objects"])
def test_a_list_of_several_kinds_beside_arrays_is_read_as_the_records(
    field: str, values: list[Any], form: Callable[[list[Any]], Any]
) -> None:
    # As a list beside numpy arrays it was refused naming its kinds, where the same
    # values as lists alone or records were read (True and 0 both flags, a datetime and
    # its ISO text both timestamps; the int agent its record's error); as a numpy array of
    # those objects too (a pandas object column's `to_numpy()`), where pyarrow's own words
    # were the error ("Could not convert 0 with type int: tried to convert to boolean").
    stamps = np.array([time.replace(tzinfo=None) for time in TIMES], dtype="datetime64[us]")
    columns: dict[str, Any] = {"timestamp": stamps, "execution_time_ms": np.ones(4)}
    columns[field] = form(values)
    records = [
        {"timestamp": time, "execution_time_ms": 1.0, field: value}
        for time, value in zip(TIMES, values, strict=True)
    ]
    for mode in ("raise", "skip"):
        assert_same(
            outcome(request(columns, on_invalid=mode)), outcome(request(records, on_invalid=mode))
        )
    if field == "agent":
        assert outcome(request(columns))["raised"][:3] == (1, "agent", "5")
    if field == "timeout":
        assert outcome(request(columns))["raised"][:3] == (0, "timeout", "'yes'")


def test_a_value_whose_own_code_raises_is_its_records_error_in_a_dict_of_lists() -> None:
    # As in the list of dicts (an exception raised while a value is read makes its record
    # invalid); pyarrow's conversion let the RuntimeError out of the call.
    stamps = [WHEN, datetime(2026, 1, 11, 12, tzinfo=_RaisingZone())]
    columns = {"timestamp": stamps, "success": [True, False]}
    records = [
        {"timestamp": stamp, "success": flag}
        for stamp, flag in zip(stamps, [True, False], strict=True)
    ]
    expected = outcome(request(records, on_invalid="skip"))
    assert expected["data_quality"]["invalid_records"] == 1
    assert_same(outcome(request(columns, on_invalid="skip")), expected)
    # As a numpy array of those objects beside another array too: it was refused, naming
    # the column ("cannot read column 'timestamp': no offset today").
    typed = {"timestamp": objects(stamps), "success": np.array([True, False])}
    assert_same(outcome(request(typed, on_invalid="skip")), expected)


@pytest.mark.parametrize(
    ("first", "kinds"),
    [
        (WHEN.date(), "date, datetime"),
        (WHEN, "datetime, datetime with a sub-second UTC offset"),
    ],
)
def test_datetimes_of_a_sub_second_offset_beside_typed_arrays_read_as_records(
    first: Any, kinds: str
) -> None:
    # (The sub-second offset is a kind of its own among datetimes alone, which pyarrow
    # would drop.) Such a numpy array of objects was refused naming its kinds: read as
    # the same values are in a list, each its record's instant.
    odd = timezone(timedelta(seconds=1, microseconds=1))
    stamps = [first, WHEN.astimezone(odd)]
    assert ingest._column_kinds("timestamp", objects(stamps)) == kinds.split(", ")
    columns = {"timestamp": objects(stamps), "success": np.ones(2, bool)}
    records = [{"timestamp": stamp, "success": True} for stamp in stamps]
    for mode in ("raise", "skip"):
        assert_same(
            outcome(request(columns, on_invalid=mode)), outcome(request(records, on_invalid=mode))
        )


def test_a_bool_among_listed_timestamps_is_its_records_error() -> None:
    # (A bool is no int timestamp, epoch microseconds, which would keep the column whole.)
    columns = {"timestamp": [WHEN, True], "success": [True, True]}
    records = [{"timestamp": WHEN, "success": True}, {"timestamp": True, "success": True}]
    expected = outcome(request(records))
    assert expected["raised"][:2] == (1, "timestamp")
    assert_same(outcome(request(columns)), expected)


def test_an_int_past_64_bits_in_a_dict_of_lists_is_its_records_error() -> None:
    # pyarrow's OverflowError escaped raw.
    columns = {"timestamp": [WHEN, WHEN], "execution_time_ms": [2**70, 5]}
    records = [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]
    expected = outcome(request(records, on_invalid="skip"))
    assert_same(outcome(request(columns, on_invalid="skip")), expected)
    assert expected["usage_metrics"]["total_executions"] == 2  # (a finite number >= 0)


@pytest.mark.parametrize("form", ["pandas", "dict_of_numpy_arrays"])
def test_a_single_call_never_converts_the_pattern_id_column(form: str) -> None:
    # A single call does not read pattern ids: a column of mixed ids failed the call.
    columns: dict[str, Any] = {"timestamp": TIMES[:2], "pattern_id": ["x", 3]}
    data: Any
    if form == "pandas":
        data = pd.DataFrame(columns)
    else:
        data = {
            "timestamp": np.array([t.replace(tzinfo=None) for t in TIMES[:2]], "datetime64[us]"),
            "pattern_id": np.array(["x", 3], dtype=object),
        }
    assert REDUCER.execute_reduction_sync(request(data)).usage_metrics.total_executions == 2


_BATCH_NOT_AS_DECLARED = """
import numpy as np, pyarrow as pa
from datetime import datetime, timezone
from usage_analytics import ModelUsageAnalyticsInput, NodeUsageAnalyticsReducer, UsageAnalyticsError
schema = pa.schema([("timestamp", pa.int64())])
batch = pa.record_batch({"timestamp": pa.array(np.zeros(1_000_000, np.int8))})
try:
    NodeUsageAnalyticsReducer().execute_reduction_sync(ModelUsageAnalyticsInput(
        pattern_id="p",
        time_window_start=datetime(2024, 1, 1, tzinfo=timezone.utc),
        time_window_end=datetime(2024, 1, 8, tzinfo=timezone.utc),
        execution_data=pa.RecordBatchReader.from_batches(schema, iter([batch])),
    ))
except UsageAnalyticsError as error:
    print(error)
"""


def test_a_stream_batch_unlike_its_declared_schema_is_refused() -> None:
    # pyarrow's RecordBatchReader.from_batches does not check its batches, and arrow-rs
    # reads a batch by the declared types: int8 values declared int64 were read past their
    # buffer (the process crashed). Run in a child, whose exit code tells a crash.
    done = run_python(_BATCH_NOT_AS_DECLARED)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "batch 0 of the Arrow stream has the columns timestamp: int8, "
        "not the declared timestamp: int64"
    )


def test_an_interrupt_while_a_stream_is_read_is_raised_as_itself() -> None:
    # The C stream interface carries a producer's exception as text: a KeyboardInterrupt
    # in a generator of batches became "invalid input", and Ctrl-C was lost.
    schema = pa.schema([("timestamp", pa.timestamp("us", "UTC"))])

    def batches() -> Iterator[pa.RecordBatch]:
        yield pa.record_batch({"timestamp": pa.array(TIMES[:2], schema.field(0).type)}, schema)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        REDUCER.execute_reduction_sync(
            request(pa.RecordBatchReader.from_batches(schema, batches()))
        )

    # A producer's own error stays the library's, naming it.
    def failing() -> Iterator[pa.RecordBatch]:
        raise OSError("disk gone")
        yield  # (a generator)

    with pytest.raises(UsageAnalyticsError, match=r"reading the Arrow stream failed.*disk gone"):
        REDUCER.execute_reduction_sync(
            request(pa.RecordBatchReader.from_batches(schema, failing()))
        )


def test_pandas_flags_of_zero_one_and_nan_are_the_records_flags() -> None:
    # pandas stores 0/1 with a blank cell as float64 (`read_csv`): such a frame was refused
    # whole ("column 'success' has Arrow type Float64") where the same file read by the
    # library's own readers, and the same records, give their flags (NaN = missing).
    text = "timestamp,success,timeout\n" + "".join(
        f"{when.isoformat()},{flag},{flag}\n"
        for when, flag in zip(TIMES[:3], ["1", "", "0"], strict=True)
    )
    frame = pd.read_csv(io.StringIO(text))
    assert (frame["success"].dtype.kind, frame["timeout"].dtype.kind) == ("f", "f")
    rows = [
        {"timestamp": when, **({} if flag is None else {"success": flag, "timeout": flag})}
        for when, flag in zip(TIMES[:3], [True, None, False], strict=True)
    ]
    expected = comparable(REDUCER.execute_reduction_sync(request(rows)))
    assert comparable(REDUCER.execute_reduction_sync(request(frame))) == expected
    columns = {"timestamp": TIMES[:3], "success": frame["success"], "timeout": frame["timeout"]}
    assert comparable(REDUCER.execute_reduction_sync(request(columns))) == expected
    # Floats other than 0 and 1 are no flags: refused whole, as before.
    halves = frame.assign(success=[0.5, 1.0, 0.0])
    with pytest.raises(UsageAnalyticsError, match="column 'success' has Arrow type Float64"):
        REDUCER.execute_reduction_sync(request(halves))


@pytest.mark.parametrize("steps", [[0, 1, 2], [0, 1, 5]], ids=["range", "ints"])
def test_a_frame_indexed_by_integer_timestamps_reads_them_as_the_column(
    steps: list[int],
) -> None:
    # Consecutive integers set as the index make a RangeIndex, which pandas' Arrow export
    # keeps as metadata, not as a column: the frame had no 'timestamp' column (helper-143).
    stamps = [datetime_to_micros(TIMES[0]) + step for step in steps]
    column = pd.DataFrame({"timestamp": stamps, "execution_time_ms": [1.0, 2.0, 3.0]})
    indexed = column.set_index("timestamp")
    assert (type(indexed.index) is pd.RangeIndex) == (steps == [0, 1, 2])
    expected = outcome(request(column))
    assert expected["usage_metrics"]["total_executions"] == 3
    assert_same(_without_index_labels(outcome(request(indexed)), indexed), expected)
