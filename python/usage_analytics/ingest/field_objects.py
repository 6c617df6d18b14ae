"""A record field's column of Python objects that are not plain values (`list_buffers`
reads those) as an Arrow array, read by the core's own parsers of a record's values
(`_core.field_column`, rust/field_column.rs): datetimes of any zone (naive = UTC, fold
and DST as a record reads them), dates, ISO text among them, numpy datetime64, int,
float and bool scalars, Decimals, timedeltas. Each value is what its record reads (its
instant, flag, number or text), so the column's analytics are those of the list of
dicts of its rows; a value its record refuses refuses the column, naming the row, the
value and the reason (a ValueError, which `dict_columns` answers as any conversion's
failure: the values read in their records, each bad one its record's error). pyarrow's
conversion of such objects imported pandas (0.3 s and about 50 MB, once a process) and
read some otherwise than their records (a datetime64 in minutes refused). Also
`plain_sequence`: a `range`, `array.array` or `memoryview` column (no list, no numpy
array: pyarrow converted it as a sequence, importing pandas) as numpy's or a list."""

from __future__ import annotations

import array
import numbers
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from datetime import date
from decimal import Decimal
from typing import Any

from usage_analytics import _core
from usage_analytics.ingest.as_records import _given_values
from usage_analytics.ingest.fields import _FIELD_COLUMNS, _FLAG_COLUMNS, _NUMBER_COLUMNS
from usage_analytics.ingest.kinds import _may_be_missing, _missing_type
from usage_analytics.ingest.list_buffers import _pandas_imported
from usage_analytics.object_slices import OBJECT_SLICE

__all__ = ["arrow_of_field_objects", "plain_sequence"]

_NONE = type(None)
#: The kinds of values `list_buffers.arrow_of_plain_values` reads (None aside): left to it.
_PLAIN: tuple[set[type], ...] = ({float}, {int}, {bool}, {int, float}, {str}, set())


def arrow_of_field_objects(
    pa: Any, field: str, column: Any, types: AbstractSet[type] | None
) -> Any | None:
    """Record field `field`'s `column` (a list or tuple, or a one-dimensional numpy array
    of objects, whose values' types are `types`) as an Arrow array of what the values'
    records read: `timestamp("us", "UTC")`, `bool`, `float64` or `large_string`, null
    where missing (None; in an array of objects, its missing markers too, as Arrow's
    conversion of one has them). ValueError at the first value its record refuses. None
    for another column (plain values, a pandas array, a pattern id, typed arrays) and
    for integer timestamps (epoch microseconds: a column's form, which records refuse),
    which `integer_times` reads."""
    if field not in _FIELD_COLUMNS or types is None or set(types) - {_NONE} in _PLAIN:
        return None
    values = _objects_as_list(column, types)
    if values is None:
        return None
    if field == "timestamp" and all(_is_integer(kind) for kind in set(types) - {_NONE}):
        return None  # (`integer_times` reads them, before this: `dict_columns`)
    if field == "timestamp" and set(types) - {_NONE} == {date} and _pandas_imported():
        return None  # (pyarrow's date32, 3-4x faster, costs no import then: helper-244)
    vectorized = _numpy_of_one_type(pa, field, values, types)
    if vectorized is not None:
        return vectorized
    kind = _arrow_type(pa, field)
    slices = [_field_column_slice(pa, kind, field, values, start) for start in _starts(values)]
    return slices[0] if len(slices) == 1 else pa.concat_arrays(slices)


def _starts(values: Any) -> range:
    """The first rows of `values`' slices of `OBJECT_SLICE` (one slice for no rows)."""
    return range(0, max(len(values), 1), OBJECT_SLICE)


def _field_column_slice(pa: Any, kind: Any, field: str, values: Any, start: int) -> Any:
    """Rows `start` to `start + OBJECT_SLICE` of `values` read by `_core.field_column`.

    A slice at a time, as `object_slices` converts: the core holds the GIL over each
    value it reads (a Python object), and a million datetimes in one call stopped an
    awaited reduction's event loop for their whole length. A refused value's row is
    counted from the column's start."""
    piece = values[start : start + OBJECT_SLICE]
    try:
        buffers, validity, missing = _core.field_column(field, piece)
    except ValueError as error:
        if start == 0:
            raise
        raise ValueError(f"{error} (in the slice from row {start})") from error
    validity_buffer = None if validity is None else pa.py_buffer(validity)
    data = [pa.py_buffer(buffer) for buffer in buffers]
    return pa.Array.from_buffers(kind, len(piece), [validity_buffer, *data], missing)


def plain_sequence(column: Any) -> Any:
    """A `range` as a numpy int64 array (within 64 bits; else a list of its ints), an
    `array.array` or a one-dimensional `memoryview` as the list of its values (what
    iterating it gives, as the list of dicts of its rows would hold); any other column
    as it is."""
    import numpy as np

    if isinstance(column, range):
        ends = (column.start, column.stop, column.step)
        if all(-(2**63) <= end < 2**63 for end in ends):
            return np.arange(*ends, dtype=np.int64)
        return list(column)
    if isinstance(column, (array.array, memoryview)):
        return column.tolist()
    return column


def _objects_as_list(column: Any, types: AbstractSet[type]) -> list[Any] | tuple[Any, ...] | None:
    """A list or tuple as it is; a one-dimensional numpy array of objects as a list of its
    objects, its missing markers None (NaN, NaT, pandas' NA, a Decimal NaN: missing in
    an array, as in a frame's column); None for any other column."""
    import numpy as np

    if isinstance(column, (list, tuple)):
        return column
    if not isinstance(column, np.ndarray) or column.dtype.kind != "O" or column.ndim != 1:
        return None
    if any(
        _may_be_missing(kind) or _missing_type(kind) or issubclass(kind, Decimal) for kind in types
    ):
        return list(_given_values(column))  # (a look at each value: only where one may be)
    return list(column.tolist())


def _is_integer(kind: type) -> bool:
    return kind is not bool and kind.__name__ != "bool_" and issubclass(kind, numbers.Integral)


#: numpy's scalar types whose float64 is what a record's reader reads of them (its
#: `__float__`): exactly, or rounded once alike (not longdouble, whose value a hair above
#: a score's 1 the reader refuses by comparing it, nor complex).
_NUMPY_NUMBERS = frozenset(
    f"{sign}{width}" for sign in ("int", "uint") for width in (8, 16, 32, 64)
) | {"float16", "float32", "float64"}


def _numpy_of_one_type(pa: Any, field: str, values: Any, types: AbstractSet[type]) -> Any | None:
    """The column read by numpy at once where its values are of one type that numpy
    converts as their records read them: dates (and None) as their midnights UTC, numpy
    numbers (no None) as floats where each is one its record takes (finite, >= 0, a
    score <= 1), numpy bools (no None) as flags; None otherwise (the core's parsers then:
    they name a bad value). The core read each of these through Python calls, 20-30
    times slower than numpy's loops (BENCHMARKS.md, helper-244)."""
    import numpy as np

    from usage_analytics.ingest.list_buffers import _nones
    from usage_analytics.ingest.numpy_buffers import validity_of_mask

    kinds = set(types) - {_NONE}
    if len(kinds) != 1:
        return None
    (kind,) = kinds
    if field == "timestamp" and kind is date:
        # (Their ordinals, a C call each: numpy's own conversion of date objects took 3 s
        # a million.)
        ordinals: Iterable[int]
        if _NONE in types:
            hidden = _nones(values)
            ordinals = (_EPOCH_ORDINAL if v is None else v.toordinal() for v in values)
        else:
            hidden, ordinals = None, map(date.toordinal, values)
        days = np.fromiter(ordinals, dtype=np.int64, count=len(values)) - _EPOCH_ORDINAL
        micros = days * _MICROS_PER_DAY
        validity, missing = validity_of_mask(pa, hidden)
        kind_of = pa.timestamp("us", tz="UTC")
        return pa.Array.from_buffers(
            kind_of, len(micros), [validity, pa.py_buffer(micros)], missing
        )
    if _NONE in types or kind.__module__ != "numpy":
        return None
    if field in _NUMBER_COLUMNS and kind.__name__ in _NUMPY_NUMBERS:
        floats = np.array(values, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            taken = np.isfinite(floats) & (floats >= 0)
            if field == "quality_score":
                taken &= floats <= 1
        if not taken.all():
            return None
        floats += 0.0  # (-0.0 is 0.0, as a record reads it)
        return pa.Array.from_buffers(pa.float64(), len(floats), [None, pa.py_buffer(floats)], 0)
    if field in _FLAG_COLUMNS and kind.__name__ == "bool":
        flags = np.packbits(np.array(values, dtype=bool), bitorder="little")
        return pa.Array.from_buffers(pa.bool_(), len(values), [None, pa.py_buffer(flags)], 0)
    return None


_MICROS_PER_DAY = 86_400_000_000
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def _arrow_type(pa: Any, field: str) -> Any:
    """The Arrow type of `_core.field_column`'s buffers of `field`."""
    if field == "timestamp":
        return pa.timestamp("us", tz="UTC")
    if field in _FLAG_COLUMNS:
        return pa.bool_()
    if field in _NUMBER_COLUMNS:
        return pa.float64()
    return pa.large_string()
