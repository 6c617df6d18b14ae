"""Hostile Arrow layouts of drawn records, and the records (`as_py`) they stand for.

A table's columns are each drawn in one of the Arrow types a field may be read from
(timestamps of every unit with and without a zone, int64 epoch microseconds, dates, ISO
text; flags as bools, every integer width and `arrow.bool8`; numbers as float16/32/64,
every integer width, decimals and durations; text as string, large_string, string_view
and dictionaries of them with keys of every integer width, sliced values, null entries
and values repeated), or in a type the core refuses (run-end encoded, a dictionary of a
dictionary, a struct, a list, binary). Then laid out as producers lay them out and tests
rarely do: each column at its own offset inside longer buffers (validity bitmaps not
byte-aligned), cut into chunks of its own (empty ones among them, none at all for no
rows), the table sliced, and read as a table, its combined chunks, record batches, a
stream of batches with empty ones, or through polars or DuckDB where they take it.

The reference is the list of dicts of the laid-out table's own values
(`Table.to_pylist`), with what columnar input documents as reading otherwise: int64
timestamps are epoch microseconds, nanoseconds past the microsecond are their ISO text
(the core truncates both alike), a column of float ids holds the int ids they stand for
(NaN: a missing one).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import strategies as st
from reference import datetime_to_micros
from strategies import CATEGORIES, FILE_PATHS, micros_to_utc

START = datetime(2026, 1, 5, tzinfo=UTC)
END = START + timedelta(days=7)
START_US = datetime_to_micros(START)
END_US = datetime_to_micros(END)

FLAG_FIELDS = ("success", "quality_gates_passed", "timeout")
NUMBER_FIELDS = ("execution_time_ms", "quality_score")
TEXT_FIELDS = ("context_type", "agent", "project", "file_path")

INT_TYPES = [pa.int8(), pa.int16(), pa.int32(), pa.int64()]
UINT_TYPES = [pa.uint8(), pa.uint16(), pa.uint32(), pa.uint64()]
KEY_TYPES = INT_TYPES + UINT_TYPES
ZONES = [None, "UTC", "America/New_York", "Asia/Kolkata", "+05:30", "-00:30"]
BAD_TEXT = ["not a date", "2026-02-30T10:00:00Z", "", "2026-1-5"]


@dataclass(frozen=True)
class Column:
    """A drawn column: its array, and whether the core refuses its type."""

    array: pa.Array
    refused: bool = False


# --------------------------------------------------------------------------- encodings


def _dictionary(draw: st.DrawFn, array: pa.Array) -> pa.Array:
    """`array` dictionary-encoded: keys of any integer width, the values at an offset
    inside a longer array, unused values, a null entry for nulls or values repeated
    (two keys of one value)."""
    encoded = array.dictionary_encode()
    values, keys = encoded.dictionary, encoded.indices.to_pylist()
    style = draw(st.sampled_from(["plain", "null entry", "repeated", "sliced values"]))
    if style == "null entry":  # nulls as keys of a null value, not as null keys
        keys = [len(values) if key is None else key for key in keys]
        values = pa.concat_arrays([values, pa.nulls(1, values.type)])
    elif style == "repeated" and len(values):
        doubled = [draw(st.booleans()) for _ in keys]
        keys = [
            None if k is None else k + len(values) * d for k, d in zip(keys, doubled, strict=True)
        ]
        values = pa.concat_arrays([values, values])
    elif style == "sliced values":
        junk = draw(st.integers(0, 9))
        padded = pa.concat_arrays([pa.nulls(junk, values.type), values, pa.nulls(2, values.type)])
        values = padded.slice(junk, len(values))
    key_type = draw(st.sampled_from(KEY_TYPES))
    return pa.DictionaryArray.from_arrays(pa.array(keys, key_type), values)


def _refused(draw: st.DrawFn, array: pa.Array) -> Column:
    """`array` in a layout no field is read from (refused where it holds a value: a column
    of nulls alone is a missing field, whatever its type)."""
    if not array.is_valid().to_pylist().count(True):
        return Column(array)
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    if pa.types.is_string_view(array.type):  # (pyarrow run-end encodes no view)
        array = array.cast(pa.string())
    kind = draw(st.sampled_from(["run-end", "dictionary of dictionary", "struct", "list"]))
    if kind == "run-end":
        encoded = pc.run_end_encode(array, run_end_type=draw(st.sampled_from(INT_TYPES[1:])))
    elif kind == "dictionary of dictionary":
        keys = pa.array(range(len(array)), pa.int32())
        encoded = pa.DictionaryArray.from_arrays(keys, array.dictionary_encode())
    elif kind == "struct":
        encoded = pa.StructArray.from_arrays([array], ["value"])
    else:
        encoded = pa.array([[value] for value in array.to_pylist()], pa.list_(array.type))
    return Column(encoded, refused=True)


def _maybe(draw: st.DrawFn, value: Any, nulls: bool = True) -> Any:
    return None if nulls and draw(st.integers(0, 4)) == 0 else value


@st.composite
def timestamp_columns(draw: st.DrawFn, rows: int, invalid: bool) -> Column:
    # (Some a little outside the window, both sides, and on its ends.)
    instant = st.one_of(
        st.integers(START_US - 3_600_000_000, END_US + 3_600_000_000),
        st.sampled_from([START_US, END_US, END_US + 1]),
    )
    micros = [_maybe(draw, draw(instant), invalid) for _ in range(rows)]
    kind = draw(st.sampled_from(["timestamp", "timestamp", "int64", "date32", "date64", "text"]))
    if kind == "timestamp":
        unit, zone = draw(st.sampled_from(["s", "ms", "us", "ns"])), draw(st.sampled_from(ZONES))
        per_unit = {"s": 1_000_000, "ms": 1_000, "us": 1, "ns": 1}[unit]
        sub = [draw(st.integers(0, 999)) if unit == "ns" else 0 for _ in micros]
        raw = [
            None
            if us is None
            else (us // per_unit * 1000 + extra if unit == "ns" else us // per_unit)
            for us, extra in zip(micros, sub, strict=True)
        ]
        array = pa.array(raw, pa.timestamp(unit, zone))
    elif kind == "int64":
        array = pa.array(micros, pa.int64())
    elif kind in ("date32", "date64"):
        days = [None if us is None else us // 86_400_000_000 for us in micros]
        array = pa.array(days, pa.int32()).cast(pa.date32())
        array = array.cast(pa.date64()) if kind == "date64" else array
    else:
        texts = [
            None if us is None else micros_to_utc(us).isoformat().replace("+00:00", "Z")
            for us in micros
        ]
        if invalid:
            texts = [
                draw(st.sampled_from(BAD_TEXT)) if draw(st.integers(0, 5)) == 0 else t
                for t in texts
            ]
        array = _text_array(draw, texts)
    if draw(st.integers(0, 9)) == 0 and rows:
        return _refused(draw, array)
    return Column(array)


def _text_array(draw: st.DrawFn, texts: list[str | None]) -> pa.Array:
    kind = draw(st.sampled_from([pa.string(), pa.large_string(), pa.string_view()]))
    array = pa.array(texts, kind)
    if draw(st.booleans()):
        return _dictionary(draw, array if kind != pa.string_view() else array.cast(pa.string()))
    return array


#: (valid, bad) flag values of an integer column.
_FLAG_INTS = (st.sampled_from([0, 1]), st.sampled_from([2, -1, 127]))


@st.composite
def flag_columns(draw: st.DrawFn, rows: int, invalid: bool) -> Column | None:
    kind = draw(st.sampled_from(["absent", "null", "bool", "int", "uint", "bool8", "float"]))
    if kind == "absent":
        return None
    if kind == "null":
        return Column(pa.nulls(rows))
    if kind == "bool":
        array = pa.array([_maybe(draw, draw(st.booleans())) for _ in range(rows)], pa.bool_())
        return Column(_dictionary(draw, array) if draw(st.integers(0, 3)) == 0 else array)
    good, bad = _FLAG_INTS
    ints = [
        _maybe(draw, draw(bad if invalid and draw(st.integers(0, 5)) == 0 else good))
        for _ in range(rows)
    ]
    if kind == "bool8":  # (any value but 0 true, as in its records: `as_py`'s reading)
        return Column(pa.ExtensionArray.from_storage(pa.bool8(), pa.array(ints, pa.int8())))
    if kind == "float":  # a float flag column is refused whole, not read row by row
        floats = pa.array(ints, pa.float32())
        return Column(floats, refused=floats.null_count < len(floats))
    types = INT_TYPES if kind == "int" else UINT_TYPES
    ints = [None if v is None else abs(v) if kind == "uint" else v for v in ints]
    return Column(pa.array(ints, draw(st.sampled_from(types))))


@st.composite
def number_columns(draw: st.DrawFn, field: str, rows: int, invalid: bool) -> Column | None:
    kinds = ["absent", "null", "float64", "float32", "float16", "int", "uint", "decimal"]
    kind = draw(st.sampled_from([*kinds, "duration"] if field == "execution_time_ms" else kinds))
    if kind == "absent":
        return None
    if kind == "null":
        return Column(pa.nulls(rows))
    top = 1.0 if field == "quality_score" else 1e5
    good: st.SearchStrategy[float] = st.floats(0, top)
    int_type = draw(st.sampled_from(INT_TYPES if kind == "int" else UINT_TYPES))
    if field == "quality_score" and kind in ("int", "uint"):
        good = st.sampled_from([0.0, 1.0])
    elif kind in ("int", "uint", "duration"):
        widest = (
            10**5
            if kind == "duration" or int_type.bit_width > 16
            else 2 ** (int_type.bit_width - 1) - 1
        )
        good = st.integers(0, widest).map(float)
    bad = st.sampled_from([-1.0, 2.0] if field == "quality_score" else [-1.0, -0.5])
    if kind.startswith("float"):
        bad = st.sampled_from(
            [-1.0, 2.0, math.nan, math.inf]
            if field == "quality_score"
            else [-1.0, math.nan, -math.inf]
        )
    values = [
        _maybe(draw, draw(bad if invalid and draw(st.integers(0, 5)) == 0 else good))
        for _ in range(rows)
    ]
    if kind.startswith("float"):
        array = pa.array(values, pa.float64())
        array = array.cast(kind, safe=False) if kind != "float64" else array
    elif kind == "int":
        array = pa.array([None if v is None else int(v) for v in values], int_type)
    elif kind == "uint":
        array = pa.array([None if v is None else abs(int(v)) for v in values], int_type)
    elif kind == "decimal":
        kind_of = draw(st.sampled_from([pa.decimal128(12, 3), pa.decimal256(40, 3)]))
        array = pa.array(
            [None if v is None else Decimal(repr(v)).quantize(Decimal("0.001")) for v in values],
            kind_of,
        )
    else:
        unit = draw(st.sampled_from(["s", "ms", "us", "ns"]))
        # (Whole microseconds: a bad one is shown as the `datetime.timedelta` it is.)
        per_ms = {"s": 0.001, "ms": 1, "us": 1000, "ns": 1000}[unit]
        counts = [None if v is None else int(v * per_ms) for v in values]
        if unit == "ns":
            counts = [None if c is None else c * 1000 for c in counts]
        array = pa.array(counts, pa.duration(unit))
    if draw(st.integers(0, 4)) == 0 and kind != "float16":
        array = _dictionary(draw, array)
    return Column(array)


_TEXTS = st.one_of(
    st.sampled_from(CATEGORIES + FILE_PATHS),
    st.text(max_size=20),  # (past 12 bytes: a string view's text outside its view)
)


@st.composite
def text_columns(draw: st.DrawFn, rows: int) -> Column | None:
    kind = draw(st.sampled_from(["absent", "null", "text", "text", "binary", "refused"]))
    if kind == "absent":
        return None
    if kind == "null":
        return Column(pa.nulls(rows))
    texts = [_maybe(draw, draw(_TEXTS)) for _ in range(rows)]
    if kind == "binary":
        binary = draw(st.sampled_from([pa.binary(), pa.large_binary()]))
        array = pa.array([None if t is None else t.encode() for t in texts], binary)
        return Column(array, refused=array.null_count < len(array))
    array = _text_array(draw, texts)
    return _refused(draw, array) if kind == "refused" and rows else Column(array)


@st.composite
def pattern_id_columns(draw: st.DrawFn, rows: int, invalid: bool) -> Column:
    """A batch's ids: text (blank ones invalid), ints of any width (an unsigned one past
    int64 invalid), float ids of whole numbers or NaN, and dictionaries of them."""
    kind = draw(st.sampled_from(["text", "int", "uint64", "float"]))
    if kind == "text":
        names = st.sampled_from(
            ["a", "b", "pattern-c", "日本", " "] if invalid else ["a", "b", "pattern-c", "日本"]
        )
        return Column(_text_array(draw, [_maybe(draw, draw(names), invalid) for _ in range(rows)]))
    if kind == "float":
        ids = st.sampled_from([1.0, 2.0, -3.0, math.nan])
        array = pa.array([_maybe(draw, draw(ids), invalid) for _ in range(rows)], pa.float64())
    elif kind == "uint64":
        big = [1, 2, 2**63] if invalid else [1, 2]
        array = pa.array(
            [_maybe(draw, draw(st.sampled_from(big)), invalid) for _ in range(rows)], pa.uint64()
        )
    else:
        array = pa.array(
            [_maybe(draw, draw(st.sampled_from([1, 2, -3, 0])), invalid) for _ in range(rows)],
            draw(st.sampled_from(INT_TYPES)),
        )
    return Column(_dictionary(draw, array) if draw(st.integers(0, 3)) == 0 else array)


# --------------------------------------------------------------------------- layouts


def _at_an_offset(draw: st.DrawFn, array: pa.Array) -> pa.Array:
    """The same values inside longer buffers: a slice at any offset (bitmaps not byte
    aligned), of a longer array made of the array's own values."""
    if not len(array):
        return array
    before, after = draw(st.integers(0, len(array))), draw(st.integers(0, 3))
    longer = concat([array.slice(len(array) - before), array, array.slice(0, after)])
    return longer.slice(before, len(array))


def concat(parts: list[pa.Array]) -> pa.Array:
    """Slices of one array laid end to end (of a dictionary array, its keys: pyarrow
    cannot unify dictionaries holding a null)."""
    if not pa.types.is_dictionary(parts[0].type):
        return pa.concat_arrays(parts)
    keys = pa.concat_arrays([part.indices for part in parts])
    return pa.DictionaryArray.from_arrays(keys, parts[0].dictionary)


def _chunked(draw: st.DrawFn, array: pa.Array) -> pa.ChunkedArray:
    """`array` in chunks of the drawn sizes, empty ones too; no chunk at all (or only
    empty ones) for no rows."""
    cuts = sorted(draw(st.lists(st.integers(0, len(array)), max_size=4)))
    bounds = [0, *cuts, len(array)]
    chunks = [array.slice(a, b - a) for a, b in itertools.pairwise(bounds)]
    if not len(array) and draw(st.booleans()):
        chunks = []
    return pa.chunked_array(chunks, array.type)


@st.composite
def laid_out(draw: st.DrawFn, columns: dict[str, Column]) -> pa.Table:
    """`columns` as a table, each at an offset and in chunks of its own, sliced."""
    rows = len(next(iter(columns.values())).array)
    pad = min(rows, draw(st.integers(0, 3)))  # rows before and after, then sliced away
    arrays = {}
    for name, column in columns.items():
        array = column.array
        if pad:
            array = concat([array.slice(0, pad), array, array.slice(rows - pad)])
        arrays[name] = _chunked(draw, _at_an_offset(draw, array))
    table = pa.table(arrays)
    return table.slice(pad, rows)


def the_records(table: pa.Table) -> list[dict[str, Any]]:
    """The records `table` stands for: its rows' `as_py` values, read as columnar input
    documents (see the module's docstring); a null is a missing value."""
    values = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        kind = column.type
        if pa.types.is_dictionary(kind):
            kind = kind.value_type
        convert: Callable[[Any], Any] = lambda value: value  # noqa: E731
        if name == "timestamp" and pa.types.is_int64(kind):
            convert = micros_to_utc
        elif name == "timestamp" and pa.types.is_timestamp(kind) and kind.unit == "ns":
            convert = _nanosecond_text
            values[name] = [
                None if v is None else convert(v) for v in column.cast(pa.int64()).to_pylist()
            ]
            continue
        elif pa.types.is_duration(kind):
            convert = _plain_timedelta
        elif name == "pattern_id" and pa.types.is_floating(kind):
            convert = _float_id
        values[name] = [None if v is None else convert(v) for v in column.to_pylist()]
    return [{name: values[name][row] for name in values} for row in range(table.num_rows)]


def _nanosecond_text(nanos: int) -> str:
    utc = micros_to_utc(nanos // 1000)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond:06d}{nanos % 1000:03d}Z"


def _float_id(value: float) -> int | None:
    return None if math.isnan(value) else int(value)


def _plain_timedelta(value: timedelta) -> timedelta:
    """A duration as `to_pylist` gives it without pandas: with pandas, one of nanoseconds
    is a `Timedelta`, whose repr (in an error) differs. (Drawn in whole microseconds.)"""
    if type(value) is timedelta:
        return value
    plain = value.to_pytimedelta()  # type: ignore[attr-defined]
    assert plain == value, value
    return plain  # type: ignore[no-any-return]
