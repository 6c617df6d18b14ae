"""Arrow data made what the core's Arrow reader takes: a pyarrow ChunkedArray of structs
as its table, columns of Arrow's `null` type as text and flags of `arrow.bool8` as bools,
and a library's failure to export named as such."""

from __future__ import annotations

from typing import Any

from usage_analytics.errors import UsageAnalyticsError
from usage_analytics.extras import missing_extra
from usage_analytics.ingest.fields import _FLAG_COLUMNS
from usage_analytics.ingest.libraries import _extension_name, _library
from usage_analytics.ingest.polars_dtypes import _polars_null_columns_as_text

#: The core's refusal of a struct array with null rows (a record batch has none).
_STRUCT_NULL_ROWS = "an Arrow struct array with null rows is not a table: drop or fill them first"


def _struct_chunks_as_table(data: Any) -> Any:
    """A pyarrow ChunkedArray of structs as the table it describes. Exported as a stream,
    its chunks would be imported as record batches, which ignores a sliced chunk's offset
    ("Number of rows in column 0 did not match batch"); pyarrow's own conversion keeps it.
    A struct array too where it has a flag field of `arrow.bool8`, which its table has
    cast (`_without_null_columns`); other struct arrays the core reads as they are. A
    pandas or polars Series of structs with null rows is refused as such an array is
    (its export failed in the core's Arrow import: "ArrowArray struct has non-zero null
    count, cannot be imported as RecordBatch")."""
    if _library(data) in ("pandas", "polars") and type(data).__name__ == "Series":
        nulls = data.null_count() if _library(data) == "polars" else data.isna().sum()
        if nulls:
            raise UsageAnalyticsError(_STRUCT_NULL_ROWS)
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
        raise UsageAnalyticsError(_STRUCT_NULL_ROWS)
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
