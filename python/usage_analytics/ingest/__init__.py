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

import itertools
import threading
import weakref
from collections.abc import Iterator, Mapping
from typing import Any

from usage_analytics import _core
from usage_analytics.errors import UsageAnalyticsError
from usage_analytics.extras import MissingDependencyError, missing_extra
from usage_analytics.ingest.as_records import (
    _bad_value_shown_otherwise,
    _column_taken,
    _datetime64_values,
    _read_as_given,
    _reads_as_records,
    _rows,
)
from usage_analytics.ingest.dict_columns import _read_columns
from usage_analytics.ingest.dict_columns import columns_to_arrow as columns_to_arrow
from usage_analytics.ingest.fields import (
    _FIELD_COLUMNS,
    _FLAG_COLUMNS,
    _NUMBER_COLUMNS,
    RECORD_COLUMNS,
    ArrowReader,
    CoreReader,
)
from usage_analytics.ingest.kinds import _column_kinds as _column_kinds
from usage_analytics.ingest.kinds import (
    _has_numpy_datetime,
    _missing_marker,
    _several_kinds_error,
    _without_numpy_nat,
)
from usage_analytics.ingest.libraries import (
    _extension_name,
    _holds_objects,
    _is_numpy_objects,
    _library,
)
from usage_analytics.ingest.pandas_floats import (
    float_flags_as_bools,
    float_ids_as_ints,
)
from usage_analytics.ingest.polars_dtypes import _check_polars_dtype, _polars_null_columns_as_text
from usage_analytics.object_slices import (
    OBJECT_SLICE,
    arrow_of_objects,
    distinct,
    inferred_kind,
)
from usage_analytics.object_text import (
    object_text_as_categories,
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


def _with_time_index_hint(error: UsageAnalyticsError, frame: Any) -> UsageAnalyticsError:
    """`error`, where it is the core's "no 'timestamp' column" of a pandas frame whose
    index (or a level of it) holds datetimes under another name, with how to read them:
    a frame indexed by time (`df.set_index("timestamp")` then renamed, `resample`'s
    output, `pd.DataFrame(..., index=pd.date_range(...))`) listed an unnamed index as
    the column `__index_level_0__` and said no more. An index named `timestamp` is read
    as the column (`_index_as_column`); one of another name is not guessed to be it."""
    if "has no 'timestamp' column" not in str(error) or _library(frame) != "pandas":
        return error
    index = getattr(frame, "index", None)
    if index is None:
        return error
    import pandas as pd

    timed = [
        (position, index.names[position])
        for position in range(index.nlevels)
        if pd.api.types.is_datetime64_any_dtype(index.get_level_values(position).dtype)
    ]
    if not timed:
        return error
    position, name = timed[0]
    called = "" if name is None else f" {name!r}"
    holder = f"the frame's index{called}"
    if index.nlevels > 1:
        holder = f"level {position}{called} of the frame's index"
    return UsageAnalyticsError(
        f"{error}; {holder} holds datetimes: name it 'timestamp' (DataFrame.rename_axis) "
        "to read them as the timestamps"
    )


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


def _read_arrow(
    data: Any, wanted: frozenset[str], records: CoreReader, arrow: ArrowReader
) -> dict[str, Any]:
    """`read_any` of data exporting Arrow."""
    data = float_flags_as_bools(_record_columns_only(_index_as_column(data, wanted), wanted))
    if "pattern_id" in wanted:
        data = float_ids_as_ints(data)
    if _library(data) == "pandas" and hasattr(data, "columns"):
        data = object_text_as_categories(data, wanted)
    if _library(data) == "polars" and hasattr(data, "schema"):
        for name, dtype in data.schema.items():
            if name in wanted:
                _check_polars_dtype(name, dtype)
    # (pandas' kinds of the record columns inferred, and the types of each column's
    # objects found, once for every check below: the types' pass took about 90 ms a
    # million objects, made by the NaT check, then the kinds' check, then again by the
    # reading of the frame's records, `tests/test_object_frame_looks.py`.)
    inferred = _inferred_kinds(data, wanted)
    types = _object_types(data, inferred)
    data = _frame_without_numpy_nat(data, inferred, types)
    mixed = mixed_object_column(data, wanted, inferred, types)
    if mixed is not None:  # (exported, its values would be coerced to one type)
        rows = _frame_records(data, inferred, types)
        if rows is None:
            raise _several_kinds_error(*mixed)
        return records(rows)
    if _refused_text_column(wanted, inferred, data):
        rows = _frame_records(data, inferred, types)
        if rows is not None:
            return records(rows)
    shown_otherwise, converted = _columns_shown_otherwise(data, inferred)
    if shown_otherwise:
        rows = _frame_records(data, inferred, types, given=shown_otherwise)
        if rows is not None:
            return records(rows)
    try:
        table = _without_null_columns(
            _struct_chunks_as_table(_object_columns_as_arrow(data, wanted, converted))
        )
    except MissingDependencyError:
        raise
    except UsageAnalyticsError:
        rows = _frame_records(data, inferred, types)  # (the objects, not their conversion)
        if rows is None:
            raise
        return records(rows)
    stream = _CheckedStream.of(table, producer=data)
    del table  # (held by the stream alone: a DuckDB result is released with it)
    try:
        return arrow(stream.data, stream.whole)
    except UsageAnalyticsError:
        stream.raise_kept()
        raise
    finally:
        # (Released now, not with this frame: an error kept by the caller holds the frame
        # in its traceback, and a DuckDB connection refuses every query while its result
        # is open, read or not.)
        stream.close(producer=data)


def _object_columns_as_arrow(
    data: Any, wanted: frozenset[str], converted: Mapping[str, Any] | None = None
) -> Any:
    """A pandas frame with its record columns of Python objects left after the checks
    (datetimes of several UTC offsets) converted to Arrow a slice at a time
    (`object_slices`): pandas' export converts each in one step holding the GIL, and an
    awaited reduction's worker thread stopped the event loop as long (1M: 340 ms). A
    column the conversion refuses is left to the export, for its error as before; so is
    every column without pyarrow, for the export to name it. `converted`: columns some
    check converted so already (`_columns_shown_otherwise`), not converted twice."""
    if _library(data) != "pandas" or not hasattr(data, "columns"):
        return data
    objects = [name for name in wanted.intersection(data.columns) if _objects_series(data[name])]
    try:
        import pandas as pd
        import pyarrow as pa
    except ImportError:
        return data
    known = converted or {}
    extensions = {}
    for name in objects:
        try:
            arrays = known[name] if name in known else arrow_of_objects(pa, data[name].to_numpy())
        except MemoryError:
            raise
        except Exception:
            continue
        extensions[name] = pd.arrays.ArrowExtensionArray(arrays)
    return data.assign(**extensions) if extensions else data


def _objects_series(column: Any) -> bool:
    """Whether `column` (a frame's, a frame itself where its name is given twice) is a
    pandas Series of Python objects, of more than one slice."""
    dtype = getattr(column, "dtype", None)  # (a frame has dtypes)
    return _is_numpy_objects(dtype) and len(column) > OBJECT_SLICE


def _record_columns_only(data: Any, wanted: frozenset[str]) -> Any:
    """A pandas or polars frame converts every column to Arrow when exported, so a column
    the analytics never read (Python objects of mixed types, a sparse array) could fail the
    call, where a list of records would ignore it. Such frames are cut to the record
    columns first (keeping every column when there is no 'timestamp', so that the error
    lists them all). Other forms are read as they are: the core picks their columns."""
    library = _library(data)
    names = getattr(data, "columns", None)
    if library not in ("pandas", "polars") or names is None:
        return data
    keep = [name in wanted for name in names]
    # (A pandas MultiIndex has "timestamp" when a first level is so named, and no column
    # then is: the frame as it is, for the error to list its columns.)
    if all(keep) or not any(keep) or "timestamp" not in names:
        return data
    if library == "pandas":
        return data.loc[:, keep]
    return data.select([name for name, kept in zip(names, keep, strict=True) if kept])


def _index_as_column(frame: Any, wanted: frozenset[str]) -> Any:
    """A pandas frame whose index (or a level of it) is named after a record column no
    column has (a frame indexed by its timestamps), with its index as columns, as pandas'
    export makes them: as a column, its values are checked as a column's are
    (`mixed_object_column`), and read as its records' values where the frame's records
    are read (`_frame_records` reads columns alone). A RangeIndex too, which the export
    keeps as metadata: integer timestamps 1, 2, 3 set as the index make one, and the
    frame had no timestamps, where 1, 2, 5 made an index of them."""
    if _library(frame) != "pandas" or not hasattr(frame, "index"):
        return frame
    names = [name for name in frame.index.names if name in wanted and name not in frame.columns]
    if not names:
        return frame
    try:
        return frame.reset_index()  # (each level of a MultiIndex a column)
    except ValueError:  # (another level named as a column: the export's error says so)
        return frame


def mixed_object_column(
    frame: Any,
    wanted: frozenset[str],
    inferred: Mapping[str, str] | None = None,
    types: Mapping[Any, set[type]] | None = None,
) -> tuple[str, list[str]] | None:
    """The first record column of a pandas frame holding Python objects of kinds Arrow
    would coerce to one (`_column_kinds`), and those kinds; None for other data.
    `inferred`: `_inferred_kinds` of the frame, where known; `types`: `_object_types`."""
    if _library(frame) != "pandas" or not hasattr(frame, "columns"):
        return None
    for name in frame.columns:
        if name not in wanted:
            continue
        series = frame[name]
        known = None if inferred is None else inferred.get(name)
        present = None if types is None else types.get(name)
        kinds = _column_kinds(name, series, known, present) if _holds_objects(series) else []
        if kinds:
            return name, kinds
    return None


def object_conversions_unless_records(
    frame: Any, wanted: frozenset[str], ids: str
) -> dict[str, Any] | None:
    """None where `read_any` reads pandas `frame` as its records, not exported to Arrow: a
    column of Python objects holds numpy datetime64s (`_holds_numpy_datetimes`: pyarrow's
    conversion of them beside numpy scalars crashes the process, `read_any`'s reading is
    safe), a record column of `wanted` or the id column `ids` holds Python objects of
    kinds Arrow would coerce to one (`mixed_object_column`), or a record column holds text
    or objects the core refuses as that field's column (strings for a number, ints for a
    name), each value then its record's error. Else the Arrow conversions of its number
    and flag columns of objects that the last check made (`_columns_shown_otherwise`), by
    name, for the frame's export to reuse, as `read_any`'s does, rather than convert them
    again (`pa.Table.from_pandas` converted each once more: about 0.1 s for 1M objects).
    pandas' kinds are inferred once for every check, and the types of each column's
    objects found once (`_object_types`: each took about 90 ms a million objects, twice
    over, `benches/dask_object_partition.py`)."""
    if _library(frame) != "pandas" or not hasattr(frame, "columns"):
        return {}  # (no pandas frame: nothing of the above)
    # (Every column's, not only those read: a numpy datetime64 in any crashes the export.)
    inferred = _inferred_kinds(frame, frozenset(frame.columns))
    types = _object_types(frame, inferred)
    if any(_has_numpy_datetime(kinds) for kinds in types.values()):
        return None
    if mixed_object_column(frame, wanted | {ids}, inferred, types) is not None:
        return None
    fields = {name: kind for name, kind in inferred.items() if name in wanted}
    if _refused_text_column(wanted, fields, frame):
        return None
    shown_otherwise, converted = _columns_shown_otherwise(frame, fields)
    return None if shown_otherwise else converted


def _object_types(frame: Any, inferred: Mapping[Any, str]) -> dict[Any, set[type]]:
    """The types of the values (`distinct(type)`, one pass each) of each column of Python
    objects of a pandas frame that may hold numpy datetime64s: all but those of text (by
    their kinds `inferred`: a numpy scalar among text makes it "mixed"), for the checks of
    `object_conversions_unless_records` and `_read_arrow` to share; {} for other data."""
    if _library(frame) != "pandas" or not hasattr(frame, "columns"):
        return {}
    return {
        name: distinct(type, series)
        for name, series in frame.items()
        if _holds_objects(series) and inferred.get(name) not in ("string", "empty")
    }


def _inferred_kinds(frame: Any, wanted: frozenset[str]) -> dict[str, str]:
    """pandas' kind (`infer_dtype`, one pass in C) of each record column of a pandas
    frame that holds Python objects or text (pandas' `str` dtype, its default for strings
    from version 3), for the checks of the frame's columns to share; {} for other data."""
    if _library(frame) != "pandas" or not hasattr(frame, "columns"):
        return {}
    import pandas as pd

    kinds = {}
    for name in frame.columns:
        if name in wanted and name not in kinds:
            series = frame[name]
            text = isinstance(getattr(series, "dtype", None), pd.StringDtype)
            if text or _holds_objects(series):
                kinds[name] = inferred_kind(pd, series)
    return kinds


def _columns_shown_otherwise(
    frame: Any, inferred: Mapping[str, str]
) -> tuple[frozenset[str], dict[str, Any]]:
    """The number and flag columns of Python objects of a pandas frame (its kinds
    `inferred`) holding a bad value that the frame's Arrow column would show otherwise
    than its record does (`_bad_value_shown_otherwise`, the check a dict of columns makes:
    an int -2 among floats shown "-2.0", a numpy scalar by its number, not its repr), and
    the Arrow conversions of those looked at (`arrow_of_objects`, a slice at a time: the
    export reuses them). Such a frame is read as its records, those columns' objects as
    given (`_frame_records`); a frame of good values is exported as before. A column
    pyarrow cannot convert is left to the other checks and the export, whose errors say
    so."""
    names = [name for name in inferred if name in _NUMBER_COLUMNS | _FLAG_COLUMNS]
    if not names:
        return frozenset(), {}
    try:
        import pyarrow as pa
    except ImportError:
        return frozenset(), {}  # (the frame's export names the extra it needs)
    shown = set()
    converted = {}
    for name in names:
        series = frame[name]
        if not _holds_objects(series):
            continue  # (pandas' text: refused whole, or read as records, above)
        try:
            array = converted[name] = arrow_of_objects(pa, series.to_numpy())
        except MemoryError:
            raise
        except Exception:
            continue
        if _bad_value_shown_otherwise(pa, name, series, array):
            shown.add(name)
    return frozenset(shown), converted


def _refused_text_column(wanted: frozenset[str], inferred: Mapping[str, str], frame: Any) -> bool:
    """Whether a pandas frame has a record column of Python objects or text (its kinds
    `inferred`) that the core would refuse as a column (`_column_taken`): strings for
    flags, say. Its records are read instead, each value judged, as they are when another
    kind of value is among them (and as a dict of lists is read)."""
    try:
        import pyarrow as pa
    except ImportError:
        return False  # (the frame's export names the extra it needs)
    for name, kind in inferred.items():
        if name == "pattern_id":
            if kind == "decimal":
                # (Decimal ids, a decimal column Arrow's export makes and the core refuses
                # whole: each its record's error, as in a list or a numpy object array.)
                return True
            continue
        if kind in _TAKEN_INFERRED.get(name, _TAKEN_INFERRED["agent"]):
            continue
        try:
            arrow_type = pa.array(frame[name], from_pandas=True).type
        except (pa.ArrowException, TypeError, ValueError, OverflowError):
            continue  # (the export's own error says so)
        if not _column_taken(pa, name, arrow_type):
            return True
    return False


def _frame_records(
    frame: Any,
    inferred: Mapping[str, str] | None = None,
    types: Mapping[Any, set[type]] | None = None,
    *,
    given: frozenset[str] = frozenset(),
) -> list[dict[str, Any]] | None:
    """The records of a pandas frame that Arrow cannot hold (a column of Python objects of
    several types: a str among bools, a datetime among text), as a dict of lists falls
    back to them: each bad value is then its record's error, skipped in skip mode, not the
    whole call's. Each column Arrow can hold gives its values as it reads them (NaN and NaT
    missing, times aware); the others their objects, with pandas' missing markers None.
    The columns named in `given` give their objects too (a bad value Arrow's column
    would show otherwise: `_columns_shown_otherwise`). `inferred` and `types`: pandas'
    kinds of its columns (`_inferred_kinds`) and their objects' types (`_object_types`),
    where already found.
    None when the frame is not such a frame (or holds int timestamps, a columnar form)."""
    if _library(frame) != "pandas" or not hasattr(frame, "columns"):
        return None
    names = list(frame.columns)
    if len(set(names)) != len(names):
        return None  # (the export's own error says so)
    import pyarrow as pa

    columns = {}
    for name in names:
        series = frame[name]
        known = None if inferred is None else inferred.get(name)
        present = None if types is None else types.get(name)
        if _holds_objects(series) and (
            name in given or _column_kinds(name, series, known, present)
        ):
            columns[name] = [None if _missing_marker(value) else value for value in series]
            continue
        try:
            array = pa.array(series, from_pandas=True)
        except (pa.ArrowException, TypeError, ValueError, OverflowError):
            columns[name] = [None if _missing_marker(value) else value for value in series]
            continue
        if not _plain_arrow_type(pa, array.type):
            return None  # (a period, binary: refused as a column, not read as values)
        if _given_objects_refused(pa, name, series, array):
            columns[name] = [None if _missing_marker(value) else value for value in series]
            continue
        try:
            columns[name] = array.to_pylist()
        except (OverflowError, ValueError):
            # Times past Python's datetimes (the year 10000 on) and durations past its
            # timedeltas: their numpy datetime64s and timedelta64s, each judged as in a
            # record (perhaps out of the supported range).
            kind = array.type
            if not (
                pa.types.is_timestamp(kind) or pa.types.is_date(kind) or pa.types.is_duration(kind)
            ):
                raise
            columns[name] = _datetime64_values(array.to_numpy(zero_copy_only=False))
    return _rows(columns) if _reads_as_records(columns) else None


def _given_objects_refused(pa: Any, name: str, series: Any, array: Any) -> bool:
    """Whether a pandas column of Python objects (`array` its Arrow conversion) is a
    record field's the core refuses as a column (floats for a flag): its records then
    take its objects as given, as a dict of columns does (`_read_as_given`), for a bad
    value's error to show it as its record does (a numpy float64 by its repr, not as a
    Python float)."""
    if not _holds_objects(series):
        return False
    if name == "pattern_id":  # (Decimal ids, shown as given: Decimal('1'), not '1.0')
        return bool(pa.types.is_decimal(array.type))
    return not _column_taken(pa, name, array.type) and _read_as_given(name, series)


def _plain_arrow_type(pa: Any, kind: Any) -> bool:
    """Whether a column of Arrow type `kind` reads as the Python values it converts to:
    times, dates, durations (timedeltas, pandas' Timedeltas for nanoseconds), intervals
    (pyarrow's `MonthDayNano`s), bools, numbers (decimals too) and text, and UUIDs. Others
    (binary, other extension types, ...) are refused as columns by the core, and a record
    of their values would be refused for each record instead."""
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    if isinstance(kind, pa.BaseExtensionType):  # (pyarrow's own, such as UUIDs, too)
        return bool(kind.extension_name == "arrow.uuid")  # (UUID objects: pattern ids)
    checks = (
        pa.types.is_timestamp,
        pa.types.is_date,
        pa.types.is_duration,
        pa.types.is_interval,
        pa.types.is_boolean,
        pa.types.is_integer,
        pa.types.is_floating,
        pa.types.is_decimal,
        pa.types.is_string,
        pa.types.is_large_string,
        pa.types.is_null,
    )
    return any(check(kind) for check in checks)


def _frame_without_numpy_nat(
    frame: Any, inferred: dict[str, str], types: dict[Any, set[type]]
) -> Any:
    """A pandas frame with each column of Python objects that holds numpy datetime64 NaTs
    as `_numpy_nat_as_none` has it (its pandas kind in `inferred` and its objects' types
    in `types`, `_object_types` of the frame, updated), for pyarrow to convert; other data
    as it is. Columns of text need no look: a numpy scalar among them makes them "mixed"
    (`_object_types` has none of them). A column of no record field (`inferred` has the
    record columns) holding datetime64s beside values of another kind is refused naming
    them."""
    if _library(frame) != "pandas" or not hasattr(frame, "columns"):
        return frame
    if not frame.columns.is_unique:
        return frame  # (duplicate names: the export refuses them, naming them)
    import pandas as pd

    fixed = {}
    for name, present in list(types.items()):
        if not _has_numpy_datetime(present):
            continue
        series = frame[name]
        replaced = _without_numpy_nat(series)
        if replaced is not series:
            fixed[name] = replaced
            # (Its NaTs None now: its types found again, a pass over a rare column.)
            types[name] = present = distinct(type, replaced)
        if name not in inferred and _has_numpy_datetime(present):
            # (A column no record field reads, kept for the error of a frame without
            # timestamps: exported, datetime64s beside other kinds crash pyarrow.
            # Record columns of several kinds are read as their records.)
            kinds = _column_kinds(str(name), replaced, None, present)
            if kinds:
                raise _several_kinds_error(str(name), kinds)
    if not fixed:
        return frame
    frame = frame.copy(deep=False)
    for name, series in fixed.items():
        frame[name] = series
        if name in inferred:
            inferred[name] = inferred_kind(pd, series)
    return frame


def _struct_chunks_as_table(data: Any) -> Any:
    """A pyarrow ChunkedArray of structs as the table it describes. Exported as a stream,
    its chunks would be imported as record batches, which ignores a sliced chunk's offset
    ("Number of rows in column 0 did not match batch"); pyarrow's own conversion keeps it.
    A struct array too where it has a flag field of `arrow.bool8`, which its table has
    cast (`_without_null_columns`); other struct arrays the core reads as they are."""
    if _library(data) != "pyarrow":
        return data
    import pyarrow as pa

    if not isinstance(data, (pa.ChunkedArray, pa.StructArray)) or not pa.types.is_struct(data.type):
        return data
    if isinstance(data, pa.StructArray) and not any(
        field.name in _FLAG_COLUMNS and _extension_name(field.type) == "arrow.bool8"
        for field in data.type
    ):
        return data
    if data.null_count:  # as the core refuses a struct array with null rows
        raise UsageAnalyticsError(
            "an Arrow struct array with null rows is not a table: drop or fill them first"
        )
    if isinstance(data, pa.ChunkedArray) and data.num_chunks == 0:
        # (No rows: the empty table of its fields. pyarrow's conversion makes an empty
        # array of the struct type first, which it cannot for a field dictionary-encoding
        # times, dates, durations or decimals, and raised its NotImplementedError.)
        return pa.schema(list(data.type)).empty_table()
    return pa.Table.from_struct_array(data)


def _without_null_columns(data: Any) -> Any:
    """Columns of Arrow's `null` type (all values missing, as pyarrow infers for a column of
    Nones) exported through the C data interface are rejected by arrow-rs, the Rust Arrow
    library (a known interoperability gap). Such a column is cast to utf8 — all nulls, so
    the values are unchanged: by pyarrow, or by polars for its frames without pyarrow.
    A pandas frame needs pyarrow to be exported at all. (A flag column of `arrow.bool8` is
    cast to bools too, see below.)"""
    try:
        import pyarrow as pa
    except ImportError:
        library = _library(data)
        if library == "pandas":
            # (pandas' export imports pyarrow: its own ImportError named no extra.)
            raise missing_extra("a pandas DataFrame", "arrow", "pyarrow") from None
        if library == "polars" and hasattr(data, "schema"):
            return _polars_null_columns_as_text(data)
        return data
    try:
        if hasattr(data, "__arrow_c_schema__"):
            schema = pa.schema(data)
        elif hasattr(data, "__arrow_c_stream__"):
            # Wrapping the stream costs nothing (no copy) and tells its schema.
            if not isinstance(data, pa.RecordBatchReader):
                data = pa.RecordBatchReader.from_stream(data)
            schema = data.schema
        else:
            return data
    except MemoryError:  # pyarrow's ArrowMemoryError is an ArrowException too: not bad data
        raise
    except (pa.ArrowException, TypeError, ValueError, OverflowError) as error:
        # A type pyarrow lacks, a stream already consumed, or a pandas frame whose export
        # fails (duplicate column names, values pandas cannot convert, an int past 64
        # bits among objects).
        raise UsageAnalyticsError(f"cannot read the Arrow data: {error}") from error
    except BaseException as error:
        # A library's export may panic in its own Rust code, raising pyo3's
        # PanicException, a BaseException that no `except Exception` stops: polars 2.1
        # with a frame of a Decimal wider than 38 digits (`pl.from_arrow` of a decimal256
        # column) asserts "precision <= 38". Named as that library's failure instead.
        if type(error).__name__ != "PanicException":
            raise  # (an interrupt, an exit)
        raise UsageAnalyticsError(
            f"cannot read the Arrow data: {_library(data)} failed to export it (it panicked: "
            f"{error})"
        ) from None
    # (And a flag column of Arrow's `bool8` type, which the core reads as its int8 storage,
    # cast to bools: any value but 0 is true there, as in its records, not only 1.)
    cast = {
        i: pa.string() if pa.types.is_null(field.type) else pa.bool_()
        for i, field in enumerate(schema)
        if pa.types.is_null(field.type)
        or (field.name in _FLAG_COLUMNS and _extension_name(field.type) == "arrow.bool8")
    }
    if not cast:
        return data
    table = pa.table(data)
    for i, kind in cast.items():
        table = table.set_column(i, schema.field(i).with_type(kind), table.column(i).cast(kind))
    return table


class _CheckedStream:
    """Arrow data for the core, a stream of batches nothing has checked (a pyarrow
    RecordBatchReader, another library's stream) passed on through a check of each batch
    against the schema the stream declared: arrow-rs sizes a batch's buffers by the
    declared types, and a batch of int8 values declared int64 was read past its buffer
    (a crash). An exception raised while a batch is produced reaches the core as an
    error text: the check's own, a KeyboardInterrupt or a SystemExit is kept to be
    raised as itself."""

    def __init__(self, data: Any, kept: list[BaseException], *, whole: bool) -> None:
        self.data = data
        #: Whether the user's object holds all of the data while it is read.
        self.whole = whole
        # (Shared with the batches' generator, which must not hold the stream: the reader
        # holding the generator would make a cycle through C++ that no collection frees,
        # keeping a DuckDB result open.)
        self._kept = kept

    @classmethod
    def of(cls, data: Any, producer: Any) -> _CheckedStream:
        """`data` (a pyarrow reader, table or array) as read from `producer`, the user's
        input: checked unless that is a library's own whole data (a pyarrow table, batch
        or array, a polars or pandas frame, a DuckDB result), consistent by construction
        and read without a Python call per batch (which would wait for the GIL)."""
        frame = _is_frame(producer)
        if _library(data) != "pyarrow":
            return cls(data, [], whole=frame)
        import pyarrow as pa

        # (A table or frame stays alive while it is read: the core may keep references to
        # its buffers, where a stream's batches must be copied from as they pass.)
        whole = frame or (
            _library(producer) == "pyarrow" and not isinstance(producer, pa.RecordBatchReader)
        )
        trusted = whole or _library(producer) == "duckdb"
        if trusted or not isinstance(data, pa.RecordBatchReader):
            return cls(data, [], whole=whole)
        kept: list[BaseException] = []
        checked = pa.RecordBatchReader.from_batches(data.schema, _checked(data, kept))
        return cls(checked, kept, whole=False)

    def close(self, producer: Any) -> None:
        """Release the reader made here from `producer` (the caller's own object stays
        theirs to close)."""
        if self.data is not producer and _library(self.data) == "pyarrow":
            import pyarrow as pa

            if isinstance(self.data, pa.RecordBatchReader):
                self.data.close()

    def raise_kept(self) -> None:
        if self._kept:
            # (Taken out: the list held by the exception's frames would keep it alive.)
            raise self._kept.pop()


def _is_frame(value: object) -> bool:
    """Whether `value` is a polars or pandas DataFrame or Series: data held in memory
    whole. Decided by type, not by library, so that another object of theirs exporting
    a stream (a lazily collected result, say) is read as a stream, its batches copied
    from as they pass rather than all kept alive."""
    return _library(value) in ("polars", "pandas") and type(value).__name__ in (
        "DataFrame",
        "Series",
    )


def _checked(reader: Any, kept: list[BaseException]) -> Iterator[Any]:
    """`reader`'s batches, each checked against its schema; an exception also put in
    `kept` (see `_CheckedStream`)."""
    names, types = reader.schema.names, reader.schema.types
    batches = iter(reader)
    for index in itertools.count():
        try:
            batch = next(batches)
            if batch.schema.names != names or batch.schema.types != types:
                raise UsageAnalyticsError(
                    f"batch {index} of the Arrow stream has the columns "
                    f"{_columns(batch.schema)}, not the declared {_columns(reader.schema)}"
                )
        except StopIteration:
            return
        except BaseException as error:
            # The check's own error, and an interrupt or exit: the producer's errors stay
            # the core's ("reading the Arrow stream failed: ..."), a UsageAnalyticsError.
            if isinstance(error, UsageAnalyticsError) or not isinstance(error, Exception):
                kept.append(error)
            raise
        yield batch


def _columns(schema: Any) -> str:
    return ", ".join(f"{field.name}: {field.type}" for field in schema)


#: `pandas.api.types.infer_dtype` results of object columns the core takes, by field
#: (text fields: "agent"'s); other results are decided by their Arrow type.
_TAKEN_INFERRED = {
    "timestamp": frozenset({"empty", "string", "datetime", "datetime64", "date"}),
    **dict.fromkeys(_FLAG_COLUMNS, frozenset({"empty", "boolean", "integer"})),
    **dict.fromkeys(
        _NUMBER_COLUMNS,
        frozenset({"empty", "integer", "floating", "mixed-integer-float", "decimal"}),
    ),
    "agent": frozenset({"empty", "string"}),
}
