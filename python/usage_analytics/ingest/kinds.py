"""The kinds of the values of a column of Python objects (a list, or a numpy or pandas
array of objects), and their missing markers: whether pyarrow's inference would coerce
them to one type, changing values silently (`_column_kinds`), and where numpy datetime64s
among them must be kept from it. Shared by a dict of columns (`dict_columns`) and a pandas
frame's columns of objects (`pandas_objects`), whose records read alike."""

from __future__ import annotations

import numbers
from collections.abc import Set as AbstractSet
from decimal import Decimal
from typing import Any

from usage_analytics.errors import UsageAnalyticsError
from usage_analytics.ingest.fields import _NUMBER_COLUMNS
from usage_analytics.ingest.libraries import _holds_objects, _library
from usage_analytics.object_slices import distinct, inferred_kind


def _holds_numpy_datetimes(column: Any) -> bool:
    """Whether `column`, a list or a numpy or pandas array of Python objects, holds numpy
    `datetime64` scalars. pyarrow's inference of such objects crashes the process (a
    segmentation fault, pyarrow 26) where a numpy datetime64 is followed by a numpy
    integer, bool or float32 scalar: `pa.array(np.array([np.datetime64("NaT"),
    np.int64(1)], dtype=object))`. Such a column is never offered to it: its NaTs, missing
    markers, are None first (`_numpy_nat_as_none`), and the other datetime64s beside
    values of another kind are a column of several kinds (`_column_kinds`), read as its
    records or refused naming them, as any other such column."""
    types = _value_types(column)
    return types is not None and _has_numpy_datetime(types)


def _value_types(column: Any) -> set[type] | None:
    """The types of the values of a list (or tuple) or a numpy or pandas array of Python
    objects (`distinct(type)`, a pass over them); None for any other column (typed)."""
    if not (isinstance(column, (list, tuple)) or _holds_objects(column)):
        return None
    return distinct(type, column)


def _has_numpy_datetime(types: AbstractSet[type]) -> bool:
    """Whether the types of a column's values (`distinct(type)`) have numpy datetime64."""
    return any(kind.__name__ == "datetime64" for kind in types)


def _without_numpy_nat(column: Any) -> Any:
    """`_numpy_nat_as_none` of a numpy or pandas array of Python objects known to hold
    numpy datetime64s."""
    import numpy as np

    nat = np.fromiter(
        (type(value).__name__ == "datetime64" and value != value for value in column),
        dtype=bool,
        count=len(column),
    )
    if not nat.any():
        return column
    if _library(column) == "pandas":
        values = column.to_numpy(dtype=object, copy=True)
        values[nat] = None
        return type(column)(values, index=column.index, name=column.name, dtype=object)
    copied = column.copy()
    np.ma.getdata(copied)[nat] = None
    return copied


def _missing_marker(value: Any) -> bool:
    """Whether `value`, in a numpy or pandas array of Python objects, is a missing marker
    that Arrow's conversion (`from_pandas`) reads as null: None, a float NaN (numpy's
    float64 is a float; its float32 NaN stays a NaN, which is invalid), a decimal NaN
    (`Decimal('NaN')`, quiet or signalling: `pandas.isna` too calls it missing), pandas'
    NA and NaT, numpy's NaT. (In a list, a record's values, only None is.) So a column
    of Decimals with a NaN reads its NaN as missing whether the column is converted whole
    or, beside a value of another kind, read as its records: before, the same NaN was
    missing in the one and an invalid record in the other."""
    kind = type(value)
    if kind is float:  # (the usual one first: this runs for every value of a column)
        return bool(value != value)
    if value is None or kind.__name__ in _MISSING_TYPE_NAMES:
        return True
    if isinstance(value, float) or kind.__name__ in ("datetime64", "timedelta64"):
        return bool(value != value)  # NaN, NaT
    if isinstance(value, Decimal):
        return value.is_nan()
    return False


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


#: The types of pandas' missing markers (pandas is not imported to name them).
_MISSING_TYPE_NAMES = frozenset({"NAType", "NaTType"})
#: `pandas.api.types.infer_dtype` results (missing markers skipped) of objects of one
#: kind, which Arrow converts as they are. ("date" is not one: it includes datetimes.)
_ONE_KIND = frozenset({"string", "empty", "boolean", "integer", "floating", "decimal"})


def _column_kinds(
    name: str, column: Any, inferred: str | None = None, present: set[type] | None = None
) -> list[str]:
    """The kinds of value a column of Python objects mixes where pyarrow's inference
    would coerce them to one type, changing values silently (a bool among floats read as
    1.0, datetimes after a date cut to their dates, a float16 after ints truncated, a float
    among flags making the column a float column); [] for a column of one kind (ints and
    floats are one in a number column). In a list, a record's values, None is missing and
    any other value has a kind; in a numpy or pandas array the missing markers have none
    (`_missing_marker`). A column of one type costs one pass of `type` (about 10 ms a
    million values; a pandas column, pandas' own check, `inferred` where already made);
    the values are looked at only where NaN or NaT may be the other kind. `present`: the
    types of the column's values, where already found (`_object_types`, `_value_types`)."""
    if isinstance(column, (list, tuple)):
        types = (distinct(type, column) if present is None else present) - {type(None)}
    else:
        if _library(column) == "pandas":
            import pandas as pd

            if inferred is None:
                inferred = inferred_kind(pd, column)
            if inferred in _ONE_KIND:
                return []
        found = distinct(type, column) if present is None else present
        types = {kind for kind in found if not _missing_type(kind)}
        # (A number column of ints and floats is one kind whichever floats are NaN: the
        # values need no look, which took about 0.6 s a million of them.)
        numbers = name in _NUMBER_COLUMNS and {_kind(kind) for kind in types} <= {"int", "float"}
        if len(types) > 1 and not numbers and any(_may_be_missing(kind) for kind in types):
            types = {type(value) for value in column if not _missing_marker(value)}
    kinds = sorted({_kind(kind) for kind in types})
    if kinds == ["datetime"] and name == "timestamp" and _sub_second_offsets(column):
        return ["datetime", "datetime with a sub-second UTC offset"]
    if len(kinds) <= 1 or (name in _NUMBER_COLUMNS and set(kinds) <= {"int", "float"}):
        return []
    return kinds


def _sub_second_offsets(column: Any) -> bool:
    """Whether datetimes of `column` carry a fixed UTC offset with a fraction of a second
    (`timezone(timedelta(seconds=1, microseconds=1))`): pyarrow's inference converts such
    a value after a whole-minute one with the fraction dropped, moving its instant (a record
    at a window's edge left it). No time zone of the tz database has such an offset; a
    zone whose offset varies (`zoneinfo`) tells none without a datetime, and is passed."""
    from datetime import timedelta
    from operator import attrgetter

    try:
        zones: Any = distinct(attrgetter("tzinfo"), column)
    except (AttributeError, TypeError):  # (missing markers; a tzinfo that cannot be hashed)
        zones = {id(zone): zone for zone in (getattr(v, "tzinfo", None) for v in column)}
        zones = zones.values()
    for zone in zones:
        try:
            offset = None if zone is None else zone.utcoffset(None)
        except Exception:  # (a tzinfo of the caller's: its values are checked where read)
            continue
        if isinstance(offset, timedelta) and offset % timedelta(seconds=1):
            return True
    return False


def _missing_type(kind: type) -> bool:
    return kind is type(None) or kind.__name__ in _MISSING_TYPE_NAMES


def _may_be_missing(kind: type) -> bool:
    """Whether values of this type may be missing markers (`_missing_marker`)."""
    return issubclass(kind, float) or kind.__name__ in ("datetime64", "timedelta64")


def _kind(kind: type) -> str:
    """A Python type's kind for `_column_kinds`: numpy scalars are their Python kinds,
    but a float16, which pyarrow converts by the column's other values, is its own."""
    import numbers
    from datetime import date, datetime, timedelta

    if kind.__name__ in ("bool", "bool_"):
        return "bool"
    if issubclass(kind, timedelta) or kind.__name__ == "timedelta64":
        return "timedelta"  # (numpy's timedelta64 is an integer type: not "int")
    if issubclass(kind, datetime):
        return "datetime"
    if issubclass(kind, date):
        return "date"
    if kind.__name__ == "float16":
        return "float16"
    if issubclass(kind, numbers.Integral):
        return "int"
    if issubclass(kind, numbers.Real):
        return "float"
    return kind.__name__


def _several_kinds_error(name: str, kinds: list[str]) -> UsageAnalyticsError:
    return UsageAnalyticsError(
        f"cannot read column '{name}': it mixes values of the kinds {', '.join(kinds)}, which "
        "one Arrow column cannot hold as they are (pass the records as a list of dicts, "
        "whose values are judged one by one)"
    )
