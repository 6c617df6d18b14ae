"""Columns read as their records' values instead of as Arrow columns: which Arrow column
types the core takes as a field's (`_column_taken`), which columns are read value by
value as given (a list, or a numpy or pandas array of objects, whose bad values would be
shown otherwise by their Arrow column), and the rows of a dict of such columns. A dict of
columns (`dict_columns`) and a pandas frame (`pandas_objects`) fall back to their records
alike, so that each bad value is its record's error, shown as given."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from usage_analytics.ingest.fields import _FLAG_COLUMNS, _NUMBER_COLUMNS, RECORD_COLUMNS
from usage_analytics.ingest.kinds import _is_int, _missing_marker
from usage_analytics.ingest.libraries import _holds_objects, _library


def _column_taken(pa: Any, name: str, kind: Any) -> bool:
    """Whether the core reads a column of Arrow type `kind` as record field `name`'s:
    the types it refuses as a column hold values each of which a record's reader refuses
    too (a text flag, a float timestamp, a number as a name)."""
    types = pa.types
    if types.is_null(kind) or types.is_dictionary(kind):
        return True  # (all missing; a categorical is the frame's own typed column)
    if name == "timestamp":
        return bool(
            types.is_timestamp(kind)
            or types.is_date(kind)
            or types.is_string(kind)
            or types.is_large_string(kind)
            or types.is_int64(kind)
        )
    if name in _FLAG_COLUMNS:
        return bool(types.is_boolean(kind) or types.is_integer(kind))
    if name == "execution_time_ms" and (types.is_duration(kind) or types.is_interval(kind)):
        return True  # (its milliseconds; an interval's months its records' errors)
    if name in _NUMBER_COLUMNS:
        return bool(types.is_integer(kind) or types.is_floating(kind) or types.is_decimal(kind))
    return bool(types.is_string(kind) or types.is_large_string(kind))


def _reads_as_records(columns: Mapping[str, Any]) -> bool:
    """Whether a dict of columns holds the same records as the list of dicts of its rows:
    lists only (in a numpy array NaN means missing), with a timestamp column and no int
    timestamps in it (epoch microseconds, numpy's ints too: a columnar form only; records
    refuse ints)."""
    if "timestamp" not in columns:
        return False
    if not all(isinstance(values, (list, tuple)) for values in columns.values()):
        return False
    return not any(_is_int(stamp) for stamp in columns["timestamp"])


def _judged_as_given(name: str, column: Any) -> bool:
    """Whether a column one Arrow column cannot hold as it is is read value by value, as
    in a list of records (`_given`): a list (or tuple), of pattern ids, whose kinds may
    well differ in good data (ints and str), or of a field's values. A field's list of
    several kinds beside arrays was refused naming its kinds, taken for one holding a bad
    value, where the same values as lists alone or records were read: its kinds may well
    differ in good data too (flags True and 1, timestamps as datetimes and ISO text), and
    a bad value is its record's error. Not a timestamp list holding ints (epoch
    microseconds, a columnar form only: records refuse them), which stays refused naming
    its kinds; nor a column of no record field (`columns` without timestamps holds all
    the given ones, for the error that lists them: "Timestamp" is the clue there)."""
    if not isinstance(column, (list, tuple)) or name not in RECORD_COLUMNS:
        return False
    return name != "timestamp" or not any(_is_int(stamp) for stamp in column)


def _bad_value_shown_otherwise(pa: Any, name: str, column: Any, array: Any) -> bool:
    """Whether `array`, a number or flag field's column converted from `column` (a list or
    Python objects), holds a bad value (negative, NaN, a score outside [0, 1], a flag other
    than 0 or 1) that its record shows otherwise: ints among floats make a float column,
    whose sample showed an int -2 as "-2.0", where its record's shows "-2"; a numpy scalar
    is shown by its repr there ("np.int64(-2)"), by its number here. Such a column is read
    as its records (slower, as a list of dicts: `benches/dict_of_lists.py`), so that its
    bad values are shown as given; a column of good values, or of bad Python floats (or
    ints, in an int column), is read as it is, its analytics the same. A few vectorized
    passes over the numbers; the values themselves are looked at only where bad."""
    if pa.types.is_floating(array.type) and name in _NUMBER_COLUMNS:
        shown_alike: type = float
    elif pa.types.is_integer(array.type) and name in _NUMBER_COLUMNS | _FLAG_COLUMNS:
        shown_alike = int
    else:
        return False
    import numpy as np

    from usage_analytics.ingest.numpy_buffers import numbers_of

    values, nulls = numbers_of(pa, array)  # (not `to_numpy`, which imports pandas)
    with np.errstate(invalid="ignore"):
        if name in _FLAG_COLUMNS:
            bad = (values != 0) & (values != 1)
        else:
            bad = ~np.isfinite(values) | (values < 0)
        if name == "quality_score":
            bad |= values > 1
    bad &= ~nulls
    given = _values_of(column)
    return any(type(given[row]) is not shown_alike for row in np.flatnonzero(bad).tolist())


def _read_as_given(name: str, column: Any) -> bool:
    """Whether a column one Arrow column cannot hold as it is (values of several kinds,
    values of a kind the field's column cannot be, bad values it would show otherwise)
    is read value by value, as in a list of records (`_given`): a list, as
    `_judged_as_given` has it, or a numpy array (or pandas Series) of Python objects of
    a record field, as a pandas frame's column of them is read (`_frame_records`): such
    an array of several kinds beside other arrays was refused naming its kinds, where
    the same values in a list, or in a frame's column, were read. Its missing markers
    (NaN, NaT, pandas' NA) are missing there, as in any numpy or pandas column
    (`_given_values`); not a timestamp array holding ints (epoch microseconds, refused
    naming its kinds as such a list is)."""
    if not _holds_objects(column):
        return _judged_as_given(name, column)
    if name not in RECORD_COLUMNS:
        return False
    return name != "timestamp" or not any(_is_int(stamp) for stamp in _values_of(column))


def _given_values(column: Any) -> Any:
    """A column read as given (`_read_as_given`) as its records' values: a list as it
    is; an array of Python objects as a list of its objects, its missing markers None."""
    if isinstance(column, (list, tuple)):
        return column
    return [None if _missing_marker(value) else value for value in _values_of(column)]


def _values_of(column: Any) -> Any:
    """A numpy array or pandas Series of Python objects as a numpy array (a Series indexes
    by its labels)."""
    return column.to_numpy() if _library(column) == "pandas" else column


def _rows(columns: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The records of a dict of equally long lists."""
    names = list(columns)
    return [dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)]


def _datetime64_values(column: Any) -> list[Any]:
    """A datetime64 or timedelta64 array's values as a record holds them (a masked value
    missing)."""
    import numpy as np

    values, masked = np.ma.getdata(column), np.ma.getmaskarray(column)
    return [None if hidden else value for value, hidden in zip(values, masked, strict=True)]
