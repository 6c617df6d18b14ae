"""Any input form -> the Rust core's readers.

- a list or tuple of record mappings: read by Rust straight from the Python objects;
- anything exporting the Arrow PyCapsule interface (`__arrow_c_stream__` or
  `__arrow_c_array__`: pyarrow tables and record batches, polars and pandas DataFrames,
  DuckDB results): read by Rust from the Arrow buffers, without copying numeric columns and
  with the GIL released (a pandas text column of Python objects is coded by the core into
  a categorical first, which exports as a dictionary: `object_text`);
- a dict of column name -> list (or tuple): read by Rust row by row, as the list of dicts
  of its rows (the same records), unless its timestamps are ints (epoch microseconds, a
  columnar form that records refuse: read as a table then);
- a dict of column name -> numpy array (or lists beside arrays): turned into an Arrow
  table by pyarrow (the `arrow` extra), which converts numpy arrays without copying
  where the layout allows. As
  in pandas, NaN in a numpy float array means "missing" there (numpy has no other missing
  marker); in a list of dicts and in Arrow data a NaN is an invalid value. A pandas flag
  column of floats that are all 0, 1 or NaN (how pandas stores 0/1 with a missing value)
  is read as booleans, NaN missing; other float flags are refused.

The same records give the same analytics whatever their form, so a record's values read
as a column's do: a timestamp is a datetime (naive = UTC), a date (its midnight UTC, as in
an Arrow date32 column), a numpy datetime64 (naive = UTC, floored to the microsecond, as
in a datetime64 array) or ISO-8601 text; a flag is a bool, a numpy bool or the int 0 or 1
(a numpy integer too, as in an int column). Integers as epoch microseconds are a columnar
form only: in a record an int timestamp is more likely seconds, so it is refused. (A
column of seconds or milliseconds, read as microseconds of 1970, is told by the core's
result, which holds the least and greatest of them, a stream's too, for the reducer's
warning: `input_notes`.)

An execution time may be a duration (`end - start`), read as its milliseconds, exactly: N
units are N * (milliseconds per unit) as a float64, rounded once (N ns -> N / 1e6, N s ->
N * 1e3). So is an Arrow `duration` column of any unit (pyarrow; polars' `Duration`), a
pandas `timedelta64` column, a numpy `timedelta64` array (of weeks or finer units,
converted exactly to a unit Arrow has, else refused) and, in a record, a
`datetime.timedelta` (its exact microseconds / 1e3, not `total_seconds() * 1000`, which
rounds twice), a pandas `Timedelta` (with its nanoseconds) or a numpy `timedelta64`. A
null or NaT is a missing time; a negative duration is an invalid record, as a negative
number is. An Arrow `month_day_nano_interval` (DuckDB's INTERVAL, its `end - start`) is
its days of 86,400 s (as DuckDB's `epoch()` counts them) and nanoseconds, and so is
pyarrow's `MonthDayNano` in a record (its `to_pylist` value); one with months, which have
no fixed length, is an invalid record.

A list in a dict of columns (or a numpy array of Python objects there, as a pandas column
of them: NaN, NaT and pandas' NA missing), or a pandas column of Python objects, whose
values are of several kinds (a bool among numbers, datetimes after a date, a float among
flags) is not left to Arrow's inference, which would coerce them to one type silently: the
data is read as its records, each value judged as in a list of dicts (or, where it cannot
be, such as beside int timestamps, refused naming the column and its kinds). So is a
number field's list beside arrays holding a bad value that its column would show otherwise
than its record does (an int -2 among floats, "-2.0" in a float column), so that errors
and samples show the values as given.

A stream (a pyarrow RecordBatchReader, DuckDB's `fetch_record_batch`) is read once, as a
Python iterator is: reduced again, it holds no more records. DuckDB results are read one
at a time (a DuckDB connection refuses a second query while one runs), so concurrent
awaits of one connection's results wait for each other instead of failing.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator, Mapping
from typing import Any

from usage_analytics import _core
from usage_analytics.errors import UsageAnalyticsError
from usage_analytics.ingest.arrow_data import _read_arrow, _with_time_index_hint
from usage_analytics.ingest.dict_columns import _read_columns
from usage_analytics.ingest.dict_columns import columns_to_arrow as columns_to_arrow
from usage_analytics.ingest.fields import _FIELD_COLUMNS, RECORD_COLUMNS, ArrowReader, CoreReader
from usage_analytics.ingest.kinds import _column_kinds as _column_kinds
from usage_analytics.ingest.libraries import _holds_objects, _library
from usage_analytics.ingest.pandas_floats import float_flags_as_bools
from usage_analytics.ingest.pandas_objects import (
    mixed_object_column,
    object_conversions_unless_records,
)

__all__ = [
    "RECORD_COLUMNS",
    "float_flags_as_bools",
    "is_arrow",
    "mixed_object_column",
    "object_conversions_unless_records",
    "read_any",
    "records_container",
    "reduce_any",
    "row_count",
]


def is_arrow(data: object) -> bool:
    return hasattr(data, "__arrow_c_stream__") or hasattr(data, "__arrow_c_array__")


#: Libraries whose tables hold their rows in memory, so that `len` is cheap. (A DuckDB
#: relation's `len` runs its query: it is read on a worker thread instead.)
_IN_MEMORY = frozenset({"pyarrow", "pandas", "polars"})


def row_count(data: object) -> int | None:
    """Number of records when cheaply known (None for lazy results such as DuckDB's)."""
    if isinstance(data, (list, tuple)):
        return len(data)
    if isinstance(data, Mapping):
        for column in data.values():
            try:
                return len(column)
            except TypeError:
                return None
        return 0
    if _library(data) not in _IN_MEMORY:
        return None
    try:
        return len(data)  # type: ignore[arg-type]
    except TypeError:  # a pyarrow RecordBatchReader
        return None


def reduce_any(
    data: Any, options: dict[str, Any], cancel: _core.CancelFlag | None = None
) -> dict[str, Any]:
    """Reduce `data` in whatever form it comes (see the module docs); once `cancel` is
    set, the core stops at its next chunk, raising `UsageAnalyticsError`."""
    return read_any(
        data,
        records=lambda records: _core.reduce_records(records, options, cancel),
        arrow=lambda table, whole: _core.reduce_arrow(table, options, cancel, whole),
        grouped=options["by_pattern"],
    )


def _is_lazy_frame(data: Any) -> bool:
    """Whether `data` is a polars LazyFrame."""
    return _library(data) == "polars" and type(data).__name__ == "LazyFrame"


def records_container(data: Any) -> Any:
    """`data` as `read_any` takes it (None: no records), or a `UsageAnalyticsError` saying
    what it is instead: a single record (a dict of values, not of columns), one column (a
    pandas or polars Series, a pyarrow ChunkedArray), or another type."""
    if data is None:
        return []
    if isinstance(data, Mapping):
        for name, column in data.items():
            if isinstance(column, (str, bytes)) or not hasattr(column, "__len__"):
                raise UsageAnalyticsError(
                    f"execution_data looks like a single record (its '{name}' is a "
                    f"{type(column).__name__}, not a column): pass a list of records or "
                    "a dict of columns (name -> list or numpy array)"
                )
        return data
    if isinstance(data, (list, tuple)):
        return data
    if not is_arrow(data):
        # (A lazy query holds no records yet: reading it would run it behind the caller.)
        lazy = " (collect it first: .collect())" if _is_lazy_frame(data) else ""
        # (An iterator is not read either: once read, the caller's records would be gone.)
        if isinstance(data, Iterator):
            lazy = " (an iterator: make it a list first, list(...))"
        raise UsageAnalyticsError(
            "execution_data must be a list of record mappings, a dict of columns, or an "
            f"Arrow-compatible table (pyarrow, polars, pandas, DuckDB); got {type(data).__name__}"
            f"{lazy}"
        )
    column = _one_column(data)
    if column is not None:
        raise UsageAnalyticsError(
            f"execution_data is one column ({column}), not a table of records: pass a "
            "table or frame of the record columns ('timestamp', 'success', ...)"
        )
    return data


def _one_column(data: Any) -> str | None:
    """What `data` is where it is a single column: a pandas or polars Series or a pyarrow
    ChunkedArray, other than of structs (each a record); else None. (A pyarrow Array of
    other than structs the core refuses, naming its type.)"""
    library, kind = _library(data), type(data).__name__
    if library in ("pandas", "polars") and kind == "Series":
        dtype = data.dtype
        arrow_type = getattr(dtype, "pyarrow_dtype", None)  # (a pandas ArrowDtype)
        if type(dtype).__name__ == "Struct" or str(arrow_type).startswith("struct<"):
            return None
        if _holds_objects(data) and isinstance(_first_value(data), Mapping):
            return None  # (record dicts: exported as structs)
        name = getattr(data, "name", None)
        return f"a {library} Series" + ("" if name is None else f" named {name!r}")
    if library == "pyarrow" and kind == "ChunkedArray":
        import pyarrow as pa

        if not pa.types.is_struct(data.type):
            return f"a pyarrow ChunkedArray of type {data.type}"
    return None


def _first_value(series: Any) -> Any:
    """The first value of a pandas Series of objects that is not None."""
    return next((value for value in series if value is not None), None)


def read_any(
    data: Any, *, records: CoreReader, arrow: ArrowReader, grouped: bool
) -> dict[str, Any]:
    """Hand `data` to the core's reader for its form (`records_container`): `records` for
    a list or tuple of mappings, `arrow` for Arrow data (a dict of columns is converted
    first). `grouped`: a batch, which reads the `pattern_id` column too."""
    data = records_container(data)
    if isinstance(data, (list, tuple)):
        return records(data)
    wanted = RECORD_COLUMNS if grouped else _FIELD_COLUMNS
    if is_arrow(data) and _library(data) == "duckdb":
        # One DuckDB connection runs one query at a time, refusing a second caller
        # ("connection is busy"): reads of its results, run on worker threads by
        # concurrent awaits, take turns.
        with _duckdb_reads(data):
            try:
                return _read_arrow(data, wanted, records, arrow)
            except Exception as error:
                if _library(error) not in ("duckdb", "_duckdb"):
                    raise
                raise UsageAnalyticsError(f"cannot read the DuckDB result: {error}") from error
    if is_arrow(data):
        try:
            return _read_arrow(data, wanted, records, arrow)
        except UsageAnalyticsError as error:
            hinted = _with_time_index_hint(error, data)
            if hinted is error:
                raise
            raise hinted from None
    if isinstance(data, Mapping):
        return _read_columns(data, wanted, records, arrow)
    raise AssertionError("records_container passed an input of no form")  # (unreachable)


def _duckdb_reads(data: Any) -> threading.RLock:
    """The lock taken while a result of `data`'s DuckDB connection is read (see
    `read_any`): one per connection. A lock for every connection hung: a DuckDB function
    that the query being read calls, reading another connection's result, runs on one of
    DuckDB's threads whenever DuckDB schedules it there, and waited for the lock that the
    reading thread held while it waited for that function. Re-entrant: DuckDB may run the
    function on the reading thread too.

    DuckDB tells a relation's connection since its version 2 (`_con`); with an older one,
    every connection shares one lock, and such a function must not read DuckDB results."""
    connection = getattr(data, "_con", None)
    if connection is None:
        return _DUCKDB_READS
    with _DUCKDB_LOCKS_GUARD:
        try:
            lock = _DUCKDB_LOCKS.get(connection)
        except TypeError:  # (an object without weak references: not a connection)
            return _DUCKDB_READS
        if lock is None:
            lock = _DUCKDB_LOCKS[connection] = threading.RLock()
        return lock


#: The reads' lock of results whose connection is not known (see `_duckdb_reads`).
_DUCKDB_READS = threading.RLock()
#: Each DuckDB connection's reads' lock, for as long as the connection lives.
_DUCKDB_LOCKS: weakref.WeakKeyDictionary[Any, threading.RLock] = weakref.WeakKeyDictionary()
_DUCKDB_LOCKS_GUARD = threading.Lock()
