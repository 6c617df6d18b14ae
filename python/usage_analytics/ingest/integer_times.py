"""A dict of columns' `timestamp` column given as a list (or tuple) or a numpy array of
Python objects that are ints, Python's or numpy's (epoch microseconds, a columnar form:
records refuse ints), as an int64 Arrow array built from a numpy buffer, None missing
(`arrow_of_integer_times`). One past 64 bits refuses the column, naming its row and its
value as given: left to pyarrow's conversion, it imported pandas (0.3 s and about 50 MB,
see `numpy_buffers`) to refuse the column in its own words ("Python int too large to
convert to C long", "Cannot mix NumPy dtypes int64 and uint64"). (A typed numpy array of
ints is read from its buffer by `numpy_buffers`; a uint64 one is refused by its type.)"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from typing import Any

from usage_analytics.ingest.id_objects import is_numpy_integer_type

__all__ = ["arrow_of_integer_times"]

_NONE = type(None)


def arrow_of_integer_times(
    pa: Any, name: str, column: Any, types: AbstractSet[type] | None
) -> Any | None:
    """Column `name` (its values' types `types`), where it is the timestamps and its
    values are ints (exact ints or numpy's integer scalars) and None, as an int64 Arrow
    array, null where None; a ValueError naming the first int past 64 bits; None for any
    other column."""
    import numpy as np

    from usage_analytics.ingest.list_buffers import _nones, first_past_int64, int64_array

    if name != "timestamp" or types is None:
        return None
    kinds = set(types) - {_NONE}
    if not kinds or not all(kind is int or is_numpy_integer_type(kind) for kind in kinds):
        return None
    if isinstance(column, (list, tuple)):
        values: Any = column
    elif isinstance(column, np.ndarray) and column.dtype.kind == "O" and column.ndim == 1:
        values = column.tolist()  # (no missing marker among ints and None but None)
    else:
        return None
    micros = int64_array(pa, values, _nones(values) if _NONE in types else None)
    if micros is None:
        row, value = first_past_int64(values)
        raise ValueError(
            f"row {row} holds {value!r}: integer timestamps are epoch microseconds in 64 "
            "bits, and it is past them"
        )
    return micros
