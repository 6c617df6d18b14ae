"""Any input form -> the Rust core's readers.

- a list or tuple of record mappings: read by Rust straight from the Python objects;
- anything exporting the Arrow PyCapsule interface (`__arrow_c_stream__` or
  `__arrow_c_array__`: pyarrow tables and record batches, polars and pandas DataFrames,
  DuckDB results): read by Rust from the Arrow buffers, without copying numeric columns and
  with the GIL released;
- a dict of column name -> numpy array or list: turned into an Arrow table by pyarrow (the
  `arrow` extra), which converts numpy arrays without copying where the layout allows. As
  in pandas, NaN in a numpy float array means "missing" there (numpy has no other missing
  marker); in a list of dicts and in Arrow data a NaN is an invalid value.

The same records give the same analytics whatever their form.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from usage_analytics import _core
from usage_analytics.errors import UsageAnalyticsError
from usage_analytics.extras import require_pyarrow

__all__ = ["is_arrow", "read_any", "reduce_any", "row_count"]

#: A core entry point taking one input form and returning its result dict.
CoreReader = Callable[[Any], dict[str, Any]]


def is_arrow(data: object) -> bool:
    return hasattr(data, "__arrow_c_stream__") or hasattr(data, "__arrow_c_array__")


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
    try:
        return len(data)  # type: ignore[arg-type]
    except TypeError:
        return None


def reduce_any(data: Any, options: dict[str, Any]) -> dict[str, Any]:
    """Reduce `data` in whatever form it comes (see the module docs)."""
    return read_any(
        data,
        records=lambda records: _core.reduce_records(records, options),
        arrow=lambda table: _core.reduce_arrow(table, options),
    )


def read_any(data: Any, *, records: CoreReader, arrow: CoreReader) -> dict[str, Any]:
    """Hand `data` to the core's reader for its form: `records` for a list or tuple of
    mappings, `arrow` for Arrow data (a dict of columns is converted first)."""
    if isinstance(data, (list, tuple)):
        return records(data)
    if is_arrow(data):
        return arrow(_without_null_columns(data))
    if isinstance(data, Mapping):
        return arrow(columns_to_arrow(data))
    raise TypeError(f"cannot read records from {type(data).__name__}")


def _without_null_columns(data: Any) -> Any:
    """Columns of Arrow's `null` type (all values missing, as pyarrow infers for a column of
    Nones) exported through the C data interface are rejected by arrow-rs, the Rust Arrow
    library (a known interoperability gap). When such a column is present and pyarrow is
    available, it is cast to utf8 — all nulls, so the values are unchanged."""
    try:
        import pyarrow as pa
    except ImportError:
        return data
    try:
        if hasattr(data, "__arrow_c_schema__"):
            schema = pa.schema(data)
        elif hasattr(data, "__arrow_c_stream__"):
            # Wrapping the stream costs nothing (no copy) and tells its schema.
            data = pa.RecordBatchReader.from_stream(data)
            schema = data.schema
        else:
            return data
    except MemoryError:  # pyarrow's ArrowMemoryError is an ArrowException too: not bad data
        raise
    except pa.ArrowException as error:  # a type pyarrow lacks, a stream already consumed
        raise UsageAnalyticsError(f"cannot read the Arrow data: {error}") from error
    nulls = [i for i, field in enumerate(schema) if pa.types.is_null(field.type)]
    if not nulls:
        return data
    table = pa.table(data)
    for i in nulls:
        table = table.set_column(
            i, schema.field(i).with_type(pa.string()), table.column(i).cast(pa.string())
        )
    return table


def columns_to_arrow(columns: Mapping[str, Any]) -> Any:
    """A dict of column name -> numpy array or list, as a pyarrow Table."""
    pa = require_pyarrow(
        "a dict of columns (or pass a list of record dicts, or a pyarrow/polars/pandas table)"
    )
    lengths = {name: _length(name, column) for name, column in columns.items()}
    if len(set(lengths.values())) > 1:
        raise UsageAnalyticsError(f"columns have different lengths: {lengths}")
    arrays = {}
    for name, column in columns.items():
        try:
            arrays[name] = _arrow_column(pa, column)
        except MemoryError:  # pyarrow's ArrowMemoryError is an ArrowException too
            raise
        except pa.ArrowException as error:  # invalid, wrong type, or a dtype Arrow lacks
            raise UsageAnalyticsError(f"cannot read column '{name}': {error}") from error
        except UnicodeEncodeError:
            arrays[name] = _with_surrogates(pa, name, column)
    return pa.table(arrays)


def _with_surrogates(pa: Any, name: str, column: Any) -> Any:
    """A column of str values, some holding lone surrogates (`os.fsdecode` of bytes that
    are not UTF-8), which Arrow's UTF-8 strings cannot hold. As in a list of records: a
    file path gives its extension, so U+FFFD stands for a surrogate's bytes there; in any
    other field such text is refused, naming the row."""
    values = list(column)
    if name == "file_path":
        try:
            return pa.array([_lossy(value) for value in values])
        except UnicodeEncodeError:
            pass  # (deeper than a value: a nested list) named below
    row = next((index for index, value in enumerate(values) if _lossy(value) != value), None)
    where = "" if row is None else f"row {row}: {values[row]!r} "
    raise UsageAnalyticsError(
        f"cannot read column '{name}': {where}holds a lone surrogate, which is not UTF-8 text"
    )


def _lossy(value: Any) -> Any:
    """`value` with U+FFFD for each byte of its lone surrogates (a str), else as it is."""
    if not isinstance(value, str):
        return value
    return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _length(name: str, column: Any) -> int:
    if isinstance(column, (str, bytes, Mapping)) or not hasattr(column, "__len__"):
        raise UsageAnalyticsError(
            f"column '{name}' must be a numpy array or a list, got {type(column).__name__}"
        )
    return len(column)


def _arrow_column(pa: Any, column: Any) -> Any:
    # A list of Python objects is converted by pyarrow's inference (datetimes, str, None);
    # numpy arrays (incl. datetime64) map to Arrow types directly; Arrow has no
    # byte-swapped layouts, so a non-native byte order is converted first.
    if not hasattr(column, "dtype"):
        return pa.array(column)
    if not getattr(column.dtype, "isnative", True):
        column = column.astype(column.dtype.newbyteorder("="))
    if column.dtype.kind == "M":
        column = _arrow_datetimes(column)
    return pa.array(column, from_pandas=True)


def _arrow_datetimes(column: Any) -> Any:
    """A datetime64 array in a unit Arrow takes, exactly where the values fit (NaT stays
    NaT): multiples of milli-, micro- and nanoseconds in that unit, below nanoseconds in
    nanoseconds, multiples of seconds and coarser units (minutes to years) in seconds."""
    unit = column.dtype.str.partition("[")[2].rstrip("]")  # "<M8[250ms]": "250ms"
    base = unit.lstrip("0123456789")
    if unit in ("s", "ms", "us", "ns", "D"):
        return column
    if base in ("ms", "us", "ns"):
        return column.astype(f"datetime64[{base}]")
    return column.astype("datetime64[ns]" if base in ("ps", "fs", "as") else "datetime64[s]")
