"""Data exporting Arrow (pyarrow tables, batches and streams, polars and pandas frames,
DuckDB results) read by the core (`_read_arrow`): a frame cut to its record columns and
its float flags and ids, text objects and index made what the core reads; a pandas frame
whose columns of Python objects Arrow would not show as given read as its records
(`pandas_objects`); the rest exported (`arrow_export`) and, where it is a stream nothing
has checked, checked batch by batch (`checked_stream`)."""

from __future__ import annotations

from typing import Any

from usage_analytics.errors import UsageAnalyticsError
from usage_analytics.extras import MissingDependencyError
from usage_analytics.ingest.arrow_export import _struct_chunks_as_table, _without_null_columns
from usage_analytics.ingest.checked_stream import _CheckedStream
from usage_analytics.ingest.fields import (
    ArrowReader,
    CoreReader,
    refuse_a_batch_without_ids,
    refuse_repeated_record_columns,
)
from usage_analytics.ingest.kinds import _several_kinds_error
from usage_analytics.ingest.libraries import _library
from usage_analytics.ingest.pandas_floats import float_flags_as_bools, float_ids_as_ints
from usage_analytics.ingest.pandas_objects import (
    _columns_shown_otherwise,
    _frame_records,
    _frame_without_numpy_nat,
    _inferred_kinds,
    _object_columns_as_arrow,
    _object_types,
    _refused_text_column,
    mixed_object_column,
)
from usage_analytics.ingest.polars_dtypes import _check_polars_dtype
from usage_analytics.object_text import object_text_as_categories


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
    refuse_a_batch_without_ids(names, wanted)
    refuse_repeated_record_columns(names, wanted)  # (a pandas frame's: polars' are unique)
    keep = [name in wanted for name in names]
    # (A pandas MultiIndex has "timestamp" when a first level is so named, and no column
    # then is: the frame as it is, for the error to list its columns, each name once:
    # another column's name twice failed its export, hiding the missing timestamps.)
    if all(keep) or not any(keep) or "timestamp" not in names:
        return _each_name_once(data)
    if library == "pandas":
        return data.loc[:, keep]
    return data.select([name for name, kept in zip(names, keep, strict=True) if kept])


def _each_name_once(frame: Any) -> Any:
    """A pandas frame without the later columns of a name it repeats (none is a record
    field's: `refuse_repeated_record_columns`), else `frame` as it is."""
    columns = getattr(frame, "columns", None)
    if _library(frame) != "pandas" or columns is None or columns.is_unique:
        return frame
    return frame.loc[:, ~columns.duplicated()]


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
