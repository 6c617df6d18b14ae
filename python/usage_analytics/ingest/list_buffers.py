"""A list (or tuple) of Python floats alone, ints alone or bools alone as the Arrow array
that `pa.array(column)` gives it (`arrow_of_number_list`), built by numpy from the values,
without pyarrow's conversion, which imports pandas to ask whether the list is a pandas
object (see `numpy_buffers`). As in pyarrow's reading of a list, NaN is a float value
there, not a missing one (pandas' markers are a pandas or numpy column's). Any other list
(None among the values, several types, subclasses such as numpy's scalars, ints past 64
bits) is left to pyarrow (None here)."""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from typing import Any

#: The numpy dtype of each Python type that a list's values may all be of.
_DTYPES = {float: "float64", int: "int64", bool: "bool"}


def arrow_of_number_list(pa: Any, column: Any, types: AbstractSet[type] | None) -> Any | None:
    """`column` (a list or tuple whose values' types are `types`, `kinds._value_types`) as
    `pa.array(column)` has it where its values are all floats, all ints within 64 bits or
    all bools; else None."""
    import numpy as np

    if not isinstance(column, (list, tuple)) or types is None or len(types) != 1:
        return None
    dtype = _DTYPES.get(next(iter(types)))
    if dtype is None:
        return None
    try:
        values = np.array(column, dtype=dtype)
    except OverflowError:  # (an int past 64 bits: pyarrow's, for its type or error)
        return None
    kind = pa.from_numpy_dtype(values.dtype)
    if dtype == "bool":
        values = np.packbits(values, bitorder="little")
    return pa.Array.from_buffers(kind, len(column), [None, pa.py_buffer(values)], 0)
