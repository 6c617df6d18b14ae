"""Which reader takes an input (`read_any`): a list or tuple of records goes to the
core's records reader as it is; Arrow data to `arrow_data`, a DuckDB result's read
taking its turn on its connection (`duckdb_reads`); a dict of columns to `dict_columns`.
What is none of these, or is one record or one column, is refused here, saying what it
is (`records_container`)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from usage_analytics import _core
from usage_analytics.errors import UsageAnalyticsError, internal_error
from usage_analytics.ingest.arrow_data import _read_arrow, _with_time_index_hint
from usage_analytics.ingest.dict_columns import _read_columns
from usage_analytics.ingest.duckdb_reads import _duckdb_reads
from usage_analytics.ingest.fields import (
    _FIELD_COLUMNS,
    RECORD_COLUMNS,
    ArrowReader,
    CoreReader,
    refuse_a_batch_without_ids,
)
from usage_analytics.ingest.kinds import _missing_marker
from usage_analytics.ingest.libraries import _holds_objects, _library
from usage_analytics.ingest.series_indexes import refuse_unaligned_series


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
    """Reduce `data` in whatever form it comes (see the package's docs); once `cancel` is
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
        raise UsageAnalyticsError(
            "execution_data must be a list of record mappings, a dict of columns, or an "
            f"Arrow-compatible table (pyarrow, polars, pandas, DuckDB); got {type(data).__name__}"
            f"{_how_to_pass(data)}"
        )
    column = _one_column(data)
    if column is not None:
        raise UsageAnalyticsError(
            f"execution_data is one column ({column}), not a table of records: pass a "
            "table or frame of the record columns ('timestamp', 'success', ...)"
        )
    return data


def _how_to_pass(data: Any) -> str:
    """How an input of no accepted form that has records becomes one, for its error
    ("" where none is known). Each is left for the caller to do, not done here: a lazy
    query or a dataset holds no records yet (reading it would run it behind the caller,
    maybe over files larger than memory), and an iterator, once read, would have lost
    the caller's records."""
    if _is_lazy_frame(data):
        return " (collect it first: .collect())"
    if isinstance(data, Iterator):
        return " (an iterator: make it a list first, list(...))"
    if _library(data) == "pyarrow" and type(data).__name__.endswith("Dataset"):
        return (
            " (a pyarrow dataset: read it first, .to_table(), or stream it, .scanner().to_reader())"
        )
    if _library(data) == "numpy" and getattr(getattr(data, "dtype", None), "names", None):
        return (
            " (a numpy structured array: pass a dict of its columns, "
            "{name: array[name] for name in array.dtype.names})"
        )
    return ""


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
        if _is_series_of_records(data):
            return None  # (record dicts: read as a list of them)
        name = getattr(data, "name", None)
        return f"a {library} Series" + ("" if name is None else f" named {name!r}")
    if library == "pyarrow" and kind == "ChunkedArray":
        import pyarrow as pa

        if not pa.types.is_struct(data.type):
            return f"a pyarrow ChunkedArray of type {data.type}"
    return None


def _is_series_of_records(data: Any) -> bool:
    """Whether `data` is a pandas Series of record mappings (`pd.Series(records)`, what
    `df.apply(f, axis=1)` gives where `f` returns dicts): one of Python objects whose
    first value that is no missing marker (None, NaN, pandas' NA) is a mapping. (A NaN
    first made it "one column", refused as such.)"""
    if _library(data) != "pandas" or type(data).__name__ != "Series" or not _holds_objects(data):
        return False
    first = next((value for value in data if not _missing_marker(value)), None)
    return isinstance(first, Mapping)


def read_any(
    data: Any, *, records: CoreReader, arrow: ArrowReader, grouped: bool
) -> dict[str, Any]:
    """Hand `data` to the core's reader for its form (`records_container`): `records` for
    a list or tuple of mappings, `arrow` for Arrow data (a dict of columns is converted
    first). `grouped`: a batch, which reads the `pattern_id` column too."""
    data = records_container(data)
    if isinstance(data, (list, tuple)):
        return records(data)
    if _is_series_of_records(data):
        # Its values are records, read as a list of them is, each judged as given: exported,
        # pyarrow's inference made them one struct column, coercing values to one type
        # silently (a date among datetimes cut every timestamp to its date, a bool among
        # execution times read as 1.0) or refusing the whole input in its own words
        # ("Expected integer, got bool" for a success of 1), and a None among them (a
        # missing record, an invalid one in a list) failed its import.
        return records(data.tolist())
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
        refuse_a_batch_without_ids(data, wanted)
        refuse_unaligned_series(data, wanted)
        return _read_columns(data, wanted, records, arrow)
    raise internal_error("records_container passed an input of no form")  # (unreachable)
