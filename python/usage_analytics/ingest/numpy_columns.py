"""One column of a dict of columns as an Arrow array (`_arrow_column`): numpy arrays above
all, whose layouts Arrow lacks are converted first, exactly or refused (datetime64 and
timedelta64 units and multiples, byte orders, text past Unicode or with lone surrogates,
masked arrays and NaTs of Python objects), a plain or masked array of numbers, flags,
times or durations then from its buffers (`numpy_buffers`), text and bytes too
(`text_buffers`), and lists and arrays of objects of plain numbers, flags, text or None
(`list_buffers`): pandas not imported; a dtype Arrow lacks (complex, long double, raw
bytes) refused first, naming it (`refuse_dtype_arrow_lacks`); pandas objects, and other
Python objects (pattern ids; a record field's datetimes, Decimals, numpy scalars are read
by `field_objects` before this is called) by pyarrow's own conversion (which imports
pandas). Only `dict_columns` calls it: a frame's columns are exported by their library."""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from typing import Any

from usage_analytics.errors import UsageAnalyticsError
from usage_analytics.ingest.kinds import _holds_numpy_datetimes, _missing_marker, _without_numpy_nat
from usage_analytics.ingest.libraries import _is_numpy_objects, _library
from usage_analytics.ingest.list_buffers import arrow_of_number_list, arrow_of_plain_values
from usage_analytics.ingest.numpy_buffers import arrow_of_plain_numpy
from usage_analytics.ingest.pandas_floats import _zero_one_or_nan
from usage_analytics.object_slices import arrow_of_objects
from usage_analytics.object_text import arrow_of_numpy_text


def _masked_objects_as_none(column: Any) -> Any:
    """A numpy masked array of Python objects as a plain one, None where masked (missing
    either way, as Arrow's conversion has them); any other column as it is. Its values
    were looked at through the mask, which shows a masked one as numpy's `masked`
    constant: a masked number or time was taken for a value of another kind, and the
    column refused ("mixes values of the kinds MaskedConstant, float")."""
    import numpy as np

    if not isinstance(column, np.ma.MaskedArray) or column.dtype.kind != "O":
        return column
    values = np.ma.getdata(column).copy()
    values[np.ma.getmaskarray(column)] = None
    return values


def _numpy_nat_as_none(column: Any) -> Any:
    """A numpy or pandas array of Python objects with its numpy `datetime64("NaT")`s None
    (a copy; `column` itself where it holds none, or is no such array): both are missing
    markers to Arrow's conversion, which crashes on the NaT before some numpy scalars
    (`_holds_numpy_datetimes`). A list keeps its values: a record's NaT is its own."""
    if isinstance(column, (list, tuple)) or not _holds_numpy_datetimes(column):
        return column
    return _without_numpy_nat(column)


def _numpy_datetimes_typed(column: Any) -> Any:
    """A numpy or pandas array of objects that are numpy datetime64s (of one unit or
    several) and missing markers as a datetime64 array of the finest of their units, NaT
    missing: read then as any datetime64 array (`_arrow_datetimes`), as their records read
    them. pyarrow converted such objects itself, refusing units it lacks ("Unsupported
    datetime64 time unit" for minutes, where a record, a list or a pandas column of the
    same objects was read)."""
    import numpy as np

    hidden = np.ma.getmaskarray(column)
    values = np.ma.getdata(column)
    nat = np.datetime64("NaT")
    return np.array(
        [nat if out or _missing_marker(v) else v for v, out in zip(values, hidden, strict=True)]
    )


def _with_surrogates(pa: Any, name: str, column: Any) -> Any:
    """A column of str values, some holding lone surrogates (`os.fsdecode` of bytes that
    are not UTF-8), which Arrow's UTF-8 strings cannot hold. As in a list of records: a
    file path gives its extension, so U+FFFD stands for a surrogate's bytes there; in any
    other field such text is refused, naming the row. So is a numpy text array's row
    holding a code point past U+10FFFF (its bytes made by hand: no str holds one), in any
    field: it was named a lone surrogate, or numpy's `tolist()` of it raised SystemError."""
    past = _past_unicode(column)
    if past is not None:
        raise UsageAnalyticsError(
            f"cannot read column '{name}': row {past[0]} holds the code point 0x{past[1]:X}, past "
            "U+10FFFF, which is not Unicode text"
        )
    values = column.tolist() if hasattr(column, "tolist") else list(column)  # (str, not np.str_)
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


def _past_unicode(column: Any) -> tuple[int, int] | None:
    """The first row of a numpy text array (dtype U) holding a code point past U+10FFFF,
    and that code point; None for any other column or where there is none."""
    import numpy as np

    dtype = getattr(column, "dtype", None)
    if not isinstance(dtype, np.dtype) or dtype.kind != "U" or not len(column):
        return None
    units = np.ascontiguousarray(np.ma.getdata(column), dtype.newbyteorder("="))
    units = units.view(np.uint32).reshape(len(column), -1)
    rows = np.flatnonzero((units > 0x10FFFF).any(axis=1))
    if not len(rows):
        return None
    row = int(rows[0])
    return row, int(units[row][units[row] > 0x10FFFF][0])


def _lossy(value: Any) -> Any:
    """`value` with U+FFFD for each byte of its lone surrogates (a str), else as it is."""
    if not isinstance(value, str):
        return value
    return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _arrow_column(
    pa: Any,
    column: Any,
    *,
    exact_times: bool = False,
    flag: bool = False,
    types: AbstractSet[type] | None = None,
) -> Any:
    # pandas objects (a Series, a Categorical, extension arrays) by pandas' own conversion:
    # time zones, categories and nullable dtypes as in a DataFrame. Lists by pyarrow's
    # inference (datetimes, str, None); Arrow exporters (pyarrow arrays, polars Series) as
    # they are; numpy arrays (incl. datetime64) map to Arrow types directly, and Arrow has
    # no byte-swapped layouts, so a non-native byte order is converted first.
    # `exact_times`: `_TimesOutOfRange` for datetime64 values Arrow's type cannot hold.
    # `types`: those of a list's values, where known (`_value_types`).
    if _library(column) == "pandas":
        if flag and _zero_one_or_nan(column):  # (see `float_flags_as_bools`)
            column = column.astype("boolean")
        if _is_numpy_objects(getattr(column, "dtype", None)):
            # (pyarrow converts an object Series as its values: a slice at a time here)
            return arrow_of_objects(pa, column.to_numpy())
        return pa.array(column, from_pandas=True)
    dtype = getattr(column, "dtype", None)
    if dtype is None or _library(dtype) != "numpy":
        if hasattr(column, "__arrow_c_stream__"):
            return pa.chunked_array(column)
        listed = arrow_of_number_list(pa, column, types)  # (numbers of a type: not pandas)
        return listed if listed is not None else pa.array(column)
    if not dtype.isnative:
        column = column.astype(dtype.newbyteorder("="))
    if column.dtype.kind == "M":
        column = _arrow_datetimes(column, exact_times)
    if column.dtype.kind == "m":
        column = _arrow_durations(column)
    if _is_numpy_objects(column.dtype):
        # (Plain numbers, flags, text or Nones from buffers, pandas not imported; others
        # by pyarrow's conversion, a slice at a time.)
        plain = arrow_of_plain_values(pa, column, types, from_pandas=True)
        return plain if plain is not None else arrow_of_objects(pa, column)
    refuse_dtype_arrow_lacks(column.dtype)
    if column.dtype.kind in "US":  # (masked rows null; NULs within rows kept, as numpy has)
        return arrow_of_numpy_text(pa, column)
    plain = arrow_of_plain_numpy(pa, column)  # (numbers, flags, times: pandas not imported)
    return plain if plain is not None else pa.array(column, from_pandas=True)


def refuse_dtype_arrow_lacks(dtype: Any) -> None:
    """Raise, naming `dtype`, where it is a numpy dtype of values Arrow has no type for:
    complex numbers, long doubles (wider than 64 bits), raw bytes (`V`) and structured
    records. pyarrow refused them in its own words ("Unsupported numpy type 15"), after
    importing pandas to ask whether the array was a pandas object (`numpy_buffers`)."""
    kind = dtype.kind
    if kind == "c":
        what = "complex numbers, which no record field holds"
    elif kind == "f" and dtype.itemsize > 8:
        what = "long doubles, wider than Arrow's float64 (convert the column to float64)"
    elif kind == "V":
        what = "raw bytes or structured records, which no record field holds"
    else:
        return
    raise ValueError(f"numpy {dtype} values are {what}")


def _arrow_durations(column: Any) -> Any:
    """A timedelta64 array in a unit Arrow has (s, ms, us, ns), exactly (NaT stays NaT):
    pyarrow refuses weeks, days, hours and minutes, and reads a multiple ("250ms") as its
    base unit, the multiplier dropped. Coarser units and multiples are converted to the
    coarsest Arrow unit that holds them (seconds for minutes), finer ones to nanoseconds;
    a value the conversion would change (past 64 bits once multiplied, a fraction of a
    nanosecond) is refused, as are months and years (no fixed length)."""
    import numpy as np

    unit, count = np.datetime_data(column.dtype)
    if count == 1 and unit in ("s", "ms", "us", "ns"):
        return column
    if unit in ("Y", "M", "generic"):
        raise ValueError(
            f"numpy {column.dtype} durations have no fixed length in milliseconds "
            "(months and years vary; convert the column to days or finer first)"
        )
    target = {"ms": "ms", "us": "us", "ns": "ns", "ps": "ns", "fs": "ns", "as": "ns"}.get(unit, "s")
    converted = column.astype(f"timedelta64[{target}]")
    if not np.all((converted.astype(column.dtype) == column) | np.isnat(column)):
        raise ValueError(
            f"numpy {column.dtype} durations that are not whole {target} within 64 bits "
            "cannot be read exactly (convert the column to an Arrow unit: s, ms, us or ns)"
        )
    return converted


class _TimesOutOfRange(Exception):
    """A datetime64 array holding instants that its Arrow type cannot (`_arrow_datetimes`)."""


def _arrow_datetimes(column: Any, exact: bool) -> Any:
    """A datetime64 array in a unit Arrow takes, exactly where the values fit (NaT stays
    NaT): multiples of milli-, micro- and nanoseconds in that unit, below nanoseconds in
    nanoseconds, multiples of seconds and coarser units (minutes to years) in seconds.
    With `exact`, `_TimesOutOfRange` where a value does not fit: numpy's conversion and
    pyarrow's to date32 (days in 32 bits) wrap it silently, to another instant, perhaps
    in the window; and for a value past 64-bit microseconds (days, seconds,
    milliseconds, or coarser units once in seconds), described as in a record. (Other
    fields refuse a column of times whole, whatever its values.)"""
    import numpy as np

    unit = column.dtype.str.partition("[")[2].rstrip("]")  # "<M8[250ms]": "250ms"
    base = unit.lstrip("0123456789")
    if exact and unit in ("D", "s", "ms") and _past_microseconds(column, unit):
        raise _TimesOutOfRange
    if unit in ("D", "s", "ms", "us", "ns"):
        return column
    if base in ("ps", "fs", "as"):  # (floored to nanoseconds)
        converted = column.astype("datetime64[ns]")
        if exact:
            # numpy's floor wraps the ticks within a nanosecond of the least (-9.2 s in
            # attoseconds came out as +9.2 s), and a multiple's ticks past 64 bits once
            # multiplied: checked against the nanoseconds in floats, off by 2**64 / 10**9
            # and more where wrapped (by a few in the last digits where not).
            per = int(unit[: -len(base)] or 1) * {"ps": 1e-3, "fs": 1e-6, "as": 1e-9}[base]
            nanos = column.view(np.int64) * per
            off = np.abs(converted.view(np.int64) - nanos) > 2 + 1e-9 * np.abs(nanos)
            if np.any(off & ~np.isnat(column)):
                raise _TimesOutOfRange
        return converted
    target = base if base in ("ms", "us", "ns") else "s"
    converted = column.astype(f"datetime64[{target}]")
    if exact and not np.all((converted.astype(column.dtype) == column) | np.isnat(column)):
        raise _TimesOutOfRange
    if exact and target in ("s", "ms") and _past_microseconds(converted, target):
        raise _TimesOutOfRange  # (the year 300,000 in years, hours or "250ms": as above)
    return converted


def _past_microseconds(column: Any, unit: str) -> bool:
    """Whether a datetime64 array of `unit` (D, s or ms) holds a value beyond 64-bit
    microseconds: out of range either way (days past 32 bits, which date32 wraps, among
    them), but the core's Arrow reader describes such a value by its count
    ("9223372036855 (Timestamp(s))", "1073741824 (Date32)"), a record by its datetime64:
    read as records, the error and samples are the records'."""
    import numpy as np

    last = (2**63 - 1) // {"D": 86_400 * 10**6, "s": 10**6, "ms": 10**3}[unit]
    counts = column.view(np.int64)
    return bool(np.any((counts > last) | ((counts < -last) & ~np.isnat(column))))
