"""A list (or tuple) or a numpy array of Python objects whose values are plain numbers,
flags, text or missing as the Arrow array pyarrow's conversion gives it
(`arrow_of_plain_values`), built by numpy from the values, without that conversion,
which imports pandas to ask whether its argument is a pandas object (see
`numpy_buffers`): floats alone, ints alone (within 64 bits), bools alone, ints and floats
(floats, as pyarrow reads them; an int past 2**53 is left to pyarrow, which refuses it),
str alone, each with None among them (missing), or None alone (Arrow's null type). As in
pyarrow's reading of a list, NaN is a float value there; in an array of objects (read
`from_pandas`, as a frame's column) it is missing. Any other column (several kinds,
subclasses such as numpy's scalars, Decimals, datetimes, ints past 64 bits) is left to
pyarrow (None here; a record field's to `field_objects` first), as is a list holding
None, or ints and floats, where pandas is imported already (`_pandas_imported`)."""

from __future__ import annotations

import operator
import sys
from collections.abc import Set as AbstractSet
from itertools import repeat
from typing import Any

__all__ = ["arrow_of_number_list", "arrow_of_plain_values", "first_past_int64", "int64_array"]

#: The numpy dtype of each Python type that a column's values may all be of.
_DTYPES = {float: "float64", int: "int64", bool: "bool"}
_NONE = type(None)
#: The ints a float column holds exactly (pyarrow refuses others beside floats).
_EXACT = 2**53


def arrow_of_number_list(pa: Any, column: Any, types: AbstractSet[type] | None) -> Any | None:
    """`arrow_of_plain_values` of a list or tuple; None for any other column."""
    if not isinstance(column, (list, tuple)):
        return None
    return arrow_of_plain_values(pa, column, types, from_pandas=False)


def arrow_of_plain_values(
    pa: Any, column: Any, types: AbstractSet[type] | None, *, from_pandas: bool
) -> Any | None:
    """`column` (a list, tuple or one-dimensional numpy array of objects whose values'
    types are `types`, `kinds._value_types`) as `pa.array(column, from_pandas=...)` has
    it, where its values are of the kinds the module reads; else None."""
    import numpy as np

    if types is None:
        return None
    kinds = set(types) - {_NONE}
    if not kinds:  # (None alone, or no value: Arrow's null type, as pyarrow infers)
        return pa.nulls(len(column))
    missing = _NONE in types
    if (missing or len(kinds) > 1) and isinstance(column, (list, tuple)) and _pandas_imported():
        return None  # (pyarrow's conversion is faster then, and costs no import: see below)
    if kinds == {str}:
        from usage_analytics.ingest.text_buffers import arrow_of_str

        hidden = _nones(column) if missing else None
        return arrow_of_str(pa, [value or "" for value in column] if missing else column, hidden)
    if kinds not in ({float}, {int}, {bool}, {int, float}):
        return None
    if not missing and len(kinds) == 1:
        try:  # (exact: ints as they are, within 64 bits)
            values = np.array(column, dtype=_DTYPES[next(iter(kinds))])
        except OverflowError:  # (an int past 64 bits: pyarrow's, for its type or error)
            return None
        hidden = np.isnan(values) if from_pandas and kinds == {float} else None
        return _array(pa, values, hidden)
    # (Through floats, None a NaN: one C pass. Where a NaN may be a value, or an int may
    # not be its float, each such value is looked at.)
    floats = np.array(column, dtype=np.float64)
    if floats.ndim != 1:
        return None
    nan = np.isnan(floats)
    if kinds == {bool}:  # (a NaN is a None)
        return _array(pa, floats == 1.0, nan)
    hidden = nan if from_pandas or kinds == {int} else _nones_among(column, nan)
    if kinds == {int}:
        if np.any(np.abs(floats[~nan]) >= _EXACT):  # (an int that its float may not hold)
            return _exact_ints(pa, column, hidden)
        return _array(pa, np.where(nan, 0, floats).astype(np.int64), hidden)
    far = np.flatnonzero(np.abs(floats) >= _EXACT)
    if any(type(column[i]) is int and not -_EXACT <= column[i] <= _EXACT for i in far.tolist()):
        return None  # (pyarrow's refusal: "outside of the range exactly representable")
    return _array(pa, floats, hidden)


def _pandas_imported() -> bool:
    """Whether pandas is imported already: pyarrow's conversion then costs no import, and
    of a list holding None, or ints and floats, it is 2-4 times faster than this
    module's (BENCHMARKS.md, helper-239), which such a list is left to. (An array of
    objects is read here either way: twice as fast as pyarrow's.)"""
    return "pandas" in sys.modules


def _nones(column: Any) -> Any:
    """Which values of `column` are None (bools; a pass in C)."""
    import numpy as np

    return np.fromiter(map(operator.is_, column, repeat(None)), dtype=bool, count=len(column))


def _nones_among(column: Any, nan: Any) -> Any:
    """Which values of `column` are None, of those whose float is NaN (`nan`): a float NaN
    is a value in a list (as pyarrow reads it), a None missing."""
    import numpy as np

    hidden = nan.copy()
    rows = np.flatnonzero(nan)
    hidden[rows] = [column[i] is None for i in rows.tolist()]
    return hidden


def _exact_ints(pa: Any, column: Any, hidden: Any) -> Any | None:
    """A column of ints and Nones, some past 2**53, exactly (None past 64 bits)."""
    return int64_array(pa, column, hidden)


def int64_array(pa: Any, values: Any, hidden: Any) -> Any | None:
    """`values` (Python's and numpy's ints, and None where `hidden`, an array of bools or
    None for none) as an int64 Arrow array, null where `hidden`; None where an int is past
    64 bits (`first_past_int64` finds it)."""
    import numpy as np

    try:
        ints = np.array(
            values if hidden is None else [0 if value is None else value for value in values],
            dtype=np.int64,
        )
    except OverflowError:
        return None
    return _array(pa, ints, hidden)


def first_past_int64(values: Any) -> tuple[int, Any]:
    """The row and value of the first int of `values` (ints and None) past 64 bits, of
    which `int64_array` found one."""
    return next(
        (row, value)
        for row, value in enumerate(values)
        if value is not None and not -(2**63) <= int(value) < 2**63
    )


def _array(pa: Any, values: Any, hidden: Any) -> Any:
    """An Arrow array of a numpy array of floats, ints or bools, null where `hidden`."""
    import numpy as np

    from usage_analytics.ingest.numpy_buffers import validity_of_mask

    validity, null_count = validity_of_mask(pa, hidden)
    kind, rows = pa.from_numpy_dtype(values.dtype), len(values)
    if values.dtype == np.bool_:
        values = np.packbits(values, bitorder="little")
    return pa.Array.from_buffers(kind, rows, [validity, pa.py_buffer(values)], null_count)
