"""A batch's `pattern_id` column given as a list (or tuple) or a numpy array of Python
objects that are numpy integers (Python's ints among them) or `uuid.UUID`s, as the Arrow
array pyarrow's conversion gave (int64, Arrow's `arrow.uuid`), built from a numpy buffer
(`arrow_of_id_objects`): pyarrow's conversion imported pandas to ask whether the column
was a pandas object (0.3 s and about 50 MB once a process, for a caller who may never
use pandas; see `numpy_buffers`). Each id is what its record reads: an int as its int,
a UUID by its 16 bytes; None (in an array of objects, any missing marker) missing.

Ids that one such column cannot hold as its records read them are refused with a
ValueError, which `dict_columns` answers as it answered pyarrow's refusal: the records
read, each id as given (its record's error where records refuse it). So are ids of
several kinds records take (ints beside text or UUIDs; numpy ints of several dtypes,
which pyarrow refused, are ints alike here) and an int past 64 bits, whose record's error
shows it as given (np.uint64(18446744073709551615), where pyarrow's uint64 column showed
its number). Any other column (text, Python ints alone, floats, bools, bytes, int
subclasses) is left to the other readers (None), as before."""

from __future__ import annotations

import uuid
from collections.abc import Set as AbstractSet
from typing import Any

from usage_analytics.ingest.as_records import _given_values
from usage_analytics.ingest.kinds import _may_be_missing, _missing_type
from usage_analytics.object_slices import distinct

__all__ = ["arrow_of_id_objects", "is_numpy_integer_type"]

_NONE = type(None)
#: numpy's integer scalar types by their names in numpy 1 and 2, as the core's record
#: reader tells them (`rust/type_kinds.rs`): not `timedelta64`, an integer type to numpy.
_NUMPY_INTEGERS = (
    frozenset(f"{sign}{width}" for sign in ("int", "uint") for width in (8, 16, 32, 64))
    | {"byte", "ubyte", "short", "ushort", "intc", "uintc", "int_", "uint"}
    | {
        "long",
        "ulong",
        "longlong",
        "ulonglong",
    }
)


def arrow_of_id_objects(pa: Any, column: Any, types: AbstractSet[type] | None) -> Any | None:
    """Pattern ids `column` (a list or tuple, or a one-dimensional numpy array of Python
    objects, whose values' types are `types`) as an int64 or `arrow.uuid` Arrow array,
    null where missing; a ValueError where its records read it otherwise (see the
    module's note); None for any other column."""
    if types is None:
        return None
    read = _objects_as_list(column, types)
    if read is None:
        return None
    values, present = read
    kinds = present - {_NONE}
    if not kinds or kinds in ({int}, {str}):  # (plain values: `list_buffers`'s, as before)
        return None
    ints = all(kind is int or is_numpy_integer_type(kind) for kind in kinds)
    uuids = all(issubclass(kind, uuid.UUID) for kind in kinds)
    if ints:
        return _int_ids(pa, values, _NONE in present)
    if uuids and hasattr(pa, "uuid"):  # (pyarrow 18 on; before, pyarrow's own, as before)
        return _uuid_ids(pa, values, _NONE in present, exact=kinds == {uuid.UUID})
    if all(_id_kind(kind) for kind in kinds):
        names = ", ".join(sorted({_id_kind(kind) for kind in kinds}))
        raise ValueError(f"its ids are of several kinds ({names}), each read in its record")
    return None


def _objects_as_list(column: Any, types: AbstractSet[type]) -> tuple[Any, AbstractSet[type]] | None:
    """A list or tuple as it is, a one-dimensional numpy array of objects as the list of
    its objects, its missing markers None (as in any numpy or pandas column), with the
    types of those values; None for any other column."""
    import numpy as np

    if isinstance(column, (list, tuple)):
        return column, types
    if not isinstance(column, np.ndarray) or column.dtype.kind != "O" or column.ndim != 1:
        return None
    if any(_may_be_missing(kind) or _missing_type(kind) for kind in types):
        values = list(_given_values(column))  # (a look at each value: only where one may be)
        return values, distinct(type, values)
    return column.tolist(), types


def is_numpy_integer_type(kind: type) -> bool:
    """Whether `kind` is one of numpy's integer scalar types (not its bool, nor
    `timedelta64`), told by module and name as the core tells them."""
    return kind.__module__ == "numpy" and kind.__name__ in _NUMPY_INTEGERS


def _id_kind(kind: type) -> str:
    """The kind of id a record takes of this type ("text", "int", "UUID"), "" for none."""
    if issubclass(kind, str):
        return "text"
    if (issubclass(kind, int) and not issubclass(kind, bool)) or is_numpy_integer_type(kind):
        return "int"
    return "UUID" if issubclass(kind, uuid.UUID) else ""


def _int_ids(pa: Any, values: Any, missing: bool) -> Any:
    """Python's and numpy's ints (and None, where `missing`) as an int64 array, null where
    None; a ValueError naming the first past 64 bits (its record's error, as given)."""
    from usage_analytics.ingest.list_buffers import _nones, first_past_int64, int64_array

    ids = int64_array(pa, values, _nones(values) if missing else None)
    if ids is None:
        _, past = first_past_int64(values)
        raise ValueError(f"id {past!r} is past 64 bits, read in its record")
    return ids


def _uuid_ids(pa: Any, values: Any, missing: bool, *, exact: bool) -> Any:
    """UUIDs (and None, where `missing`) as Arrow's `arrow.uuid` array of their 16 bytes
    (`UUID.bytes`, which the record reader reads), null where None; a ValueError where a
    UUID subclass's bytes are not 16 (its record's error; `exact`: no subclass, whose
    bytes are always 16)."""
    from usage_analytics.ingest.list_buffers import _nones
    from usage_analytics.ingest.numpy_buffers import validity_of_mask

    empty = bytes(16)
    parts = (
        [empty if v is None else v.bytes for v in values] if missing else [v.bytes for v in values]
    )
    if not exact and any(type(part) is not bytes or len(part) != 16 for part in parts):
        raise ValueError("a UUID's bytes are not 16 bytes, read in its record")
    validity, null_count = validity_of_mask(pa, _nones(values) if missing else None)
    storage = pa.Array.from_buffers(
        pa.binary(16), len(parts), [validity, pa.py_buffer(b"".join(parts))], null_count
    )
    return pa.ExtensionArray.from_storage(pa.uuid(), storage)
