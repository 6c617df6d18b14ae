"""Passes over columns of Python objects cut into slices, so that other threads run.

A C function that walks a million Python objects holds the GIL from its first to its last:
pyarrow's conversion of a numpy array of pandas Timestamps (a tz-aware column's
`to_numpy()`, about 0.5 µs a value), or `set(map(getter, column))`. Run by an awaited
reduction's worker thread, such a pass stopped the event loop for its whole length (a
dict of numpy arrays of a million records: 550 ms, where a task must not wait more than
50). Between two slices the interpreter hands the GIL to a thread that asked for it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["OBJECT_SLICE", "arrow_of_objects", "distinct", "inferred_kind"]

#: Values passed in one step: a few milliseconds of the slowest conversion (Timestamps).
OBJECT_SLICE = 16_384
#: pandas kinds (`infer_dtype`, missing markers skipped) that a column has where each of
#: its slices has it or holds only missing markers ("empty"): kinds of one type of value
#: each, checked value by value. Kinds of several ("mixed", "mixed-integer") are not: a
#: slice's mixture need not be the whole column's. Nor "period" and "interval": pandas
#: also asks one frequency or closed side of them all, which slices can differ in.
_KINDS_OF_SLICES = frozenset(
    {"string", "bytes", "boolean", "integer", "floating", "decimal", "complex"}
    | {"datetime", "datetime64", "date", "time", "timedelta"}
)


def arrow_of_objects(pa: Any, column: Any) -> Any:
    """`pa.array(column, from_pandas=True)` for a numpy array of Python objects, a slice
    at a time: the same values and type, as a ChunkedArray where it took several slices.
    Where the slices do not convert to one type (inference sees one slice at a time:
    leading Nones, ints then floats, naive and aware datetimes) or one fails, the whole
    column is converted in one step, as before, for the whole column's type or its error."""
    if len(column) <= OBJECT_SLICE:
        return pa.array(column, from_pandas=True)
    try:
        parts = [
            pa.array(column[start : start + OBJECT_SLICE], from_pandas=True)
            for start in range(0, len(column), OBJECT_SLICE)
        ]
    except MemoryError:
        raise
    except Exception:
        parts = []
    kind = _whole_columns_type(pa, parts) if parts else None
    if kind is not None:
        return pa.chunked_array([part.cast(kind) for part in parts], kind)
    return pa.array(column, from_pandas=True)


def _whole_columns_type(pa: Any, parts: list[Any]) -> Any:
    """The type pyarrow infers for the whole column from its slices' (`parts`), None where
    they do not tell it. Aware datetimes of several UTC offsets are one column of the first
    value's offset (their instants as they are), whose slices each took their own first
    value's: a cast of the type alone, exact."""
    first = parts[0].type
    if all(part.type == first for part in parts):
        return first
    if all(_aware_times(pa, part.type, first) for part in parts):
        return first
    return None


def _aware_times(pa: Any, kind: Any, first: Any) -> bool:
    """Whether `kind` and `first` are both aware timestamps of one unit."""
    aware = pa.types.is_timestamp(kind) and pa.types.is_timestamp(first)
    return bool(aware and kind.unit == first.unit and None not in (kind.tz, first.tz))


def inferred_kind(pd: Any, column: Any, step: int = OBJECT_SLICE) -> str:
    """`pd.api.types.infer_dtype(column, skipna=True)` of a pandas column or numpy array,
    a slice of `step` values at a time where it holds Python objects (pandas' own dtypes
    tell their kind at once). pandas walks the objects in C holding the GIL: a million
    datetimes took 130 ms in one call, during which an awaiting service's event loop
    stood still. Where every slice with a value has one kind of `_KINDS_OF_SLICES`, that
    is the column's; otherwise (a mixture, or slices of two kinds) the whole column is
    inferred in one step, as before."""
    import numpy as np  # (pandas' own dependency: the demo runs without numpy)

    infer = pd.api.types.infer_dtype
    values = getattr(column, "values", column)  # (a Series' own array: no copy)
    if not isinstance(values, np.ndarray) or values.dtype.kind != "O" or len(values) <= step:
        return str(infer(column, skipna=True))
    kinds = {
        infer(values[start : start + step], skipna=True) for start in range(0, len(values), step)
    }
    kinds.discard("empty")
    if not kinds:
        return "empty"
    if len(kinds) == 1 and (kind := kinds.pop()) in _KINDS_OF_SLICES:
        return str(kind)
    return str(infer(column, skipna=True))


def distinct(get: Callable[[Any], Any], values: Iterable[Any]) -> set[Any]:
    """`set(map(get, values))`, a slice at a time (`get` a C function: `type`, an
    `attrgetter`; raises what it raises)."""
    found: set[Any] = set()
    rest = iter(values)
    while chunk := list(itertools.islice(rest, OBJECT_SLICE)):
        found.update(map(get, chunk))
    return found
