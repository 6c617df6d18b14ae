"""A plain numpy array of numbers, flags, times or durations as an Arrow array built from
its buffers (`arrow_of_plain_numpy`), of the type and with the nulls that
`pa.array(column, from_pandas=True)` gives it: NaN in a float array and NaT in a
datetime64 or timedelta64 array are nulls, nothing else is. A masked array's nulls are
its masked rows alone, as pyarrow has them (its NaN and NaT are values there), unless its
mask is numpy's `nomask` (no mask at all), when it is read as the plain array it holds.

pyarrow's own conversion of any numpy array first asks its pandas shim whether the array
is a pandas Series, and the shim imports pandas to answer (0.3 s and 49 MB here, for a
caller who may never use pandas); under a memory cap that import failed inside pyarrow's
Cython, which then returned NULL with no exception set (a `SystemError`, "error return
without exception set", where a `MemoryError` or the result was due). Arrays of other
kinds (objects, longdouble, complex) are left to pyarrow (None here); text is
`text_buffers`'."""

from __future__ import annotations

from typing import Any

# The units `pa.from_numpy_dtype` takes: datetime64 days are Arrow's date32 (a cast of each
# count to 32 bits, as pyarrow's, which wraps), timedelta64 has no day unit in Arrow.
_DATETIME_UNITS = ("D", "s", "ms", "us", "ns")
_DURATION_UNITS = ("s", "ms", "us", "ns")


def arrow_of_plain_numpy(pa: Any, column: Any) -> Any | None:
    """`column` as `pa.array(column, from_pandas=True)` has it, without pyarrow's pandas
    checks, where it is a one-dimensional numpy array (masked or not) of native byte order of
    bools, ints, uints, floats of 16, 32 or 64 bits, or datetime64 or timedelta64 of a unit Arrow
    has (single, not a multiple); else None. Its values are not copied where they are
    contiguous and aligned, as pyarrow does not copy them (bools are bit-packed, days cast
    to 32 bits: copies, as in pyarrow)."""
    import numpy as np

    if not _plain(column):
        return None
    masked = isinstance(column, np.ma.MaskedArray) and column.mask is not np.ma.nomask
    hidden = np.ma.getmaskarray(column) if masked else None
    column = np.ma.getdata(column)  # (a plain array, a memmap: itself)
    validity, null_count = _validity(pa, column) if hidden is None else validity_of_mask(pa, hidden)
    dtype = column.dtype
    kind = dtype.kind
    arrow_type = pa.from_numpy_dtype(dtype)
    if kind == "b":  # (any non-zero byte is true, as in pyarrow's `values[i] > 0`)
        values = np.packbits(column, bitorder="little")
    elif kind == "M" and np.datetime_data(dtype)[0] == "D":
        values = column.view(np.int64).astype(np.int32)
    else:
        # (numpy exports no datetime64 through the buffer protocol: its bytes; a strided
        # or unaligned array is copied, as pyarrow copies a strided one)
        values = np.require(column, requirements=["C", "A"]).view(np.uint8)
    return pa.Array.from_buffers(
        arrow_type, len(column), [validity, pa.py_buffer(values)], null_count
    )


def validity_of_mask(pa: Any, hidden: Any) -> tuple[Any, int]:
    """The validity bitmap (None where every row is valid) and null count of the rows
    that `hidden` (a bool array, or None for none) marks missing."""
    import numpy as np

    if hidden is None:
        return None, 0
    null_count = int(np.count_nonzero(hidden))
    if not null_count:
        return None, 0
    return pa.py_buffer(np.packbits(~hidden, bitorder="little")), null_count


def _validity(pa: Any, column: Any) -> tuple[Any, int]:
    """The validity bitmap of a plain array (None where no value is missing) and its null
    count: NaN missing in floats, NaT in datetime64 and timedelta64, none in others."""
    import numpy as np

    kind = column.dtype.kind
    if kind not in "fmM":
        return None, 0
    missing = np.isnan(column) if kind == "f" else np.isnat(column)
    null_count = int(np.count_nonzero(missing))
    if not null_count:
        return None, 0
    np.logical_not(missing, out=missing)  # (valid where not missing: in place, n bytes)
    return pa.py_buffer(np.packbits(missing, bitorder="little")), null_count


def _plain(column: Any) -> bool:
    """Whether `arrow_of_plain_numpy` builds `column`'s array (see there): a memmap and a
    masked array too."""
    import numpy as np

    if not isinstance(column, np.ndarray):
        return False
    if column.ndim != 1 or not column.dtype.isnative:
        return False
    dtype = column.dtype
    if dtype.kind in "biu":
        return True
    if dtype.kind == "f":
        return dtype.itemsize in (2, 4, 8)  # (not longdouble, which Arrow lacks)
    if dtype.kind in "mM":
        unit, count = np.datetime_data(dtype)
        units = _DATETIME_UNITS if dtype.kind == "M" else _DURATION_UNITS
        return count == 1 and unit in units
    return False


def numbers_of(pa: Any, array: Any) -> tuple[Any, Any]:
    """The values of an Arrow array (or ChunkedArray) of ints or floats as a numpy array,
    read from its buffers (pyarrow's `to_numpy` imports pandas: its sentinels for nulls),
    and the rows that are null (bools); a null's value is whatever its slot holds."""
    import numpy as np

    chunks = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
    kind = array.type
    code = "f" if pa.types.is_floating(kind) else "u" if pa.types.is_unsigned_integer(kind) else "i"
    dtype = np.dtype(f"{code}{kind.bit_width // 8}")
    values, nulls = [np.zeros(0, dtype=dtype)], [np.zeros(0, dtype=bool)]
    for chunk in chunks:
        validity, data = chunk.buffers()[:2]
        start, end = chunk.offset, chunk.offset + len(chunk)
        if data is not None:  # (None in an array of no rows)
            values.append(np.frombuffer(data, dtype=dtype)[start:end])
        if validity is None:
            nulls.append(np.zeros(len(chunk), dtype=bool))
        else:
            bits = np.unpackbits(np.frombuffer(validity, dtype=np.uint8), bitorder="little")
            nulls.append(bits[start:end] == 0)
    return np.concatenate(values), np.concatenate(nulls)
