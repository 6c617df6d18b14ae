"""A pandas frame's columns of Python objects (and of pandas' text): whether the frame is
exported to Arrow or read as its records, each value judged as in a list of records
(`_frame_records`), where Arrow would coerce its kinds to one type, refuse them as the
field's column, or show a bad value otherwise than its record does; and the Arrow
conversions of those columns made a slice at a time, for the export to reuse. The Dask
path asks the same of each partition (`object_conversions_unless_records`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from usage_analytics.ingest.as_records import (
    _bad_value_shown_otherwise,
    _column_taken,
    _datetime64_values,
    _read_as_given,
    _reads_as_records,
    _rows,
)
from usage_analytics.ingest.fields import _FLAG_COLUMNS, _NUMBER_COLUMNS
from usage_analytics.ingest.kinds import (
    _column_kinds,
    _has_numpy_datetime,
    _missing_marker,
    _several_kinds_error,
    _without_numpy_nat,
)
from usage_analytics.ingest.libraries import _holds_objects, _is_numpy_objects, _library
from usage_analytics.object_slices import OBJECT_SLICE, arrow_of_objects, distinct, inferred_kind


def _object_columns_as_arrow(
    data: Any, wanted: frozenset[str], converted: Mapping[str, Any] | None = None
) -> Any:
    """A pandas frame with its record columns of Python objects left after the checks
    (datetimes of several UTC offsets) converted to Arrow a slice at a time
    (`object_slices`): pandas' export converts each in one step holding the GIL, and an
    awaited reduction's worker thread stopped the event loop as long (1M: 340 ms). A
    column the conversion refuses is left to the export, for its error as before; so is
    every column without pyarrow, for the export to name it. `converted`: columns some
    check converted so already (`_columns_shown_otherwise`), not converted twice."""
    if _library(data) != "pandas" or not hasattr(data, "columns"):
        return data
    objects = [name for name in wanted.intersection(data.columns) if _objects_series(data[name])]
    try:
        import pandas as pd
        import pyarrow as pa
    except ImportError:
        return data
    known = converted or {}
    extensions = {}
    for name in objects:
        try:
            arrays = known[name] if name in known else arrow_of_objects(pa, data[name].to_numpy())
        except MemoryError:
            raise
        except Exception:
            continue
        extensions[name] = pd.arrays.ArrowExtensionArray(arrays)
    return data.assign(**extensions) if extensions else data


def _objects_series(column: Any) -> bool:
    """Whether `column` (a frame's, a frame itself where its name is given twice) is a
    pandas Series of Python objects, of more than one slice."""
    dtype = getattr(column, "dtype", None)  # (a frame has dtypes)
    return _is_numpy_objects(dtype) and len(column) > OBJECT_SLICE


def mixed_object_column(
    frame: Any,
    wanted: frozenset[str],
    inferred: Mapping[str, str] | None = None,
    types: Mapping[Any, set[type]] | None = None,
) -> tuple[str, list[str]] | None:
    """The first record column of a pandas frame holding Python objects of kinds Arrow
    would coerce to one (`_column_kinds`), and those kinds; None for other data.
    `inferred`: `_inferred_kinds` of the frame, where known; `types`: `_object_types`."""
    if _library(frame) != "pandas" or not hasattr(frame, "columns"):
        return None
    for name in frame.columns:
        if name not in wanted:
            continue
        series = frame[name]
        known = None if inferred is None else inferred.get(name)
        present = None if types is None else types.get(name)
        kinds = _column_kinds(name, series, known, present) if _holds_objects(series) else []
        if kinds:
            return name, kinds
    return None


def object_conversions_unless_records(
    frame: Any, wanted: frozenset[str], ids: str
) -> dict[str, Any] | None:
    """None where `read_any` reads pandas `frame` as its records, not exported to Arrow: a
    column of Python objects holds numpy datetime64s (`_holds_numpy_datetimes`: pyarrow's
    conversion of them beside numpy scalars crashes the process, `read_any`'s reading is
    safe), a record column of `wanted` or the id column `ids` holds Python objects of
    kinds Arrow would coerce to one (`mixed_object_column`), or a record column holds text
    or objects the core refuses as that field's column (strings for a number, ints for a
    name), each value then its record's error. Else the Arrow conversions of its number
    and flag columns of objects that the last check made (`_columns_shown_otherwise`), by
    name, for the frame's export to reuse, as `read_any`'s does, rather than convert them
    again (`pa.Table.from_pandas` converted each once more: about 0.1 s for 1M objects).
    pandas' kinds are inferred once for every check, and the types of each column's
    objects found once (`_object_types`: each took about 90 ms a million objects, twice
    over, `benches/dask_object_partition.py`)."""
    if _library(frame) != "pandas" or not hasattr(frame, "columns"):
        return {}  # (no pandas frame: nothing of the above)
    # (Every column's, not only those read: a numpy datetime64 in any crashes the export.)
    inferred = _inferred_kinds(frame, frozenset(frame.columns))
    types = _object_types(frame, inferred)
    if any(_has_numpy_datetime(kinds) for kinds in types.values()):
        return None
    if mixed_object_column(frame, wanted | {ids}, inferred, types) is not None:
        return None
    fields = {name: kind for name, kind in inferred.items() if name in wanted}
    if _refused_text_column(wanted, fields, frame):
        return None
    shown_otherwise, converted = _columns_shown_otherwise(frame, fields)
    return None if shown_otherwise else converted


def _object_types(frame: Any, inferred: Mapping[Any, str]) -> dict[Any, set[type]]:
    """The types of the values (`distinct(type)`, one pass each) of each column of Python
    objects of a pandas frame that may hold numpy datetime64s: all but those of text (by
    their kinds `inferred`: a numpy scalar among text makes it "mixed"), for the checks of
    `object_conversions_unless_records` and `_read_arrow` to share; {} for other data."""
    if _library(frame) != "pandas" or not hasattr(frame, "columns"):
        return {}
    return {
        name: distinct(type, series)
        for name, series in frame.items()
        if _holds_objects(series) and inferred.get(name) not in ("string", "empty")
    }


def _inferred_kinds(frame: Any, wanted: frozenset[str]) -> dict[str, str]:
    """pandas' kind (`infer_dtype`, one pass in C) of each record column of a pandas
    frame that holds Python objects or text (pandas' `str` dtype, its default for strings
    from version 3), for the checks of the frame's columns to share; {} for other data."""
    if _library(frame) != "pandas" or not hasattr(frame, "columns"):
        return {}
    import pandas as pd

    kinds = {}
    for name in frame.columns:
        if name in wanted and name not in kinds:
            series = frame[name]
            text = isinstance(getattr(series, "dtype", None), pd.StringDtype)
            if text or _holds_objects(series):
                kinds[name] = inferred_kind(pd, series)
    return kinds


def _columns_shown_otherwise(
    frame: Any, inferred: Mapping[str, str]
) -> tuple[frozenset[str], dict[str, Any]]:
    """The number and flag columns of Python objects of a pandas frame (its kinds
    `inferred`) holding a bad value that the frame's Arrow column would show otherwise
    than its record does (`_bad_value_shown_otherwise`, the check a dict of columns makes:
    an int -2 among floats shown "-2.0", a numpy scalar by its number, not its repr), and
    the Arrow conversions of those looked at (`arrow_of_objects`, a slice at a time: the
    export reuses them). Such a frame is read as its records, those columns' objects as
    given (`_frame_records`); a frame of good values is exported as before. A column
    pyarrow cannot convert is left to the other checks and the export, whose errors say
    so."""
    names = [name for name in inferred if name in _NUMBER_COLUMNS | _FLAG_COLUMNS]
    if not names:
        return frozenset(), {}
    try:
        import pyarrow as pa
    except ImportError:
        return frozenset(), {}  # (the frame's export names the extra it needs)
    shown = set()
    converted = {}
    for name in names:
        series = frame[name]
        if not _holds_objects(series):
            continue  # (pandas' text: refused whole, or read as records, above)
        try:
            array = converted[name] = arrow_of_objects(pa, series.to_numpy())
        except MemoryError:
            raise
        except Exception:
            continue
        if _bad_value_shown_otherwise(pa, name, series, array):
            shown.add(name)
    return frozenset(shown), converted


def _refused_text_column(wanted: frozenset[str], inferred: Mapping[str, str], frame: Any) -> bool:
    """Whether a pandas frame has a record column of Python objects or text (its kinds
    `inferred`) that the core would refuse as a column (`_column_taken`): strings for
    flags, say. Its records are read instead, each value judged, as they are when another
    kind of value is among them (and as a dict of lists is read)."""
    try:
        import pyarrow as pa
    except ImportError:
        return False  # (the frame's export names the extra it needs)
    for name, kind in inferred.items():
        if name == "pattern_id":
            if kind == "decimal":
                # (Decimal ids, a decimal column Arrow's export makes and the core refuses
                # whole: each its record's error, as in a list or a numpy object array.)
                return True
            continue
        if kind in _TAKEN_INFERRED.get(name, _TAKEN_INFERRED["agent"]):
            continue
        try:
            arrow_type = pa.array(frame[name], from_pandas=True).type
        except (pa.ArrowException, TypeError, ValueError, OverflowError):
            continue  # (the export's own error says so)
        if not _column_taken(pa, name, arrow_type):
            return True
    return False


def _frame_records(
    frame: Any,
    inferred: Mapping[str, str] | None = None,
    types: Mapping[Any, set[type]] | None = None,
    *,
    given: frozenset[str] = frozenset(),
) -> list[dict[str, Any]] | None:
    """The records of a pandas frame that Arrow cannot hold (a column of Python objects of
    several types: a str among bools, a datetime among text), as a dict of lists falls
    back to them: each bad value is then its record's error, skipped in skip mode, not the
    whole call's. Each column Arrow can hold gives its values as it reads them (NaN and NaT
    missing, times aware); the others their objects, with pandas' missing markers None.
    The columns named in `given` give their objects too (a bad value Arrow's column
    would show otherwise: `_columns_shown_otherwise`). `inferred` and `types`: pandas'
    kinds of its columns (`_inferred_kinds`) and their objects' types (`_object_types`),
    where already found.
    None when the frame is not such a frame (or holds int timestamps, a columnar form)."""
    if _library(frame) != "pandas" or not hasattr(frame, "columns"):
        return None
    names = list(frame.columns)
    if len(set(names)) != len(names):
        return None  # (the export's own error says so)
    import pyarrow as pa

    columns = {}
    for name in names:
        series = frame[name]
        known = None if inferred is None else inferred.get(name)
        present = None if types is None else types.get(name)
        if _holds_objects(series) and (
            name in given or _column_kinds(name, series, known, present)
        ):
            columns[name] = [None if _missing_marker(value) else value for value in series]
            continue
        try:
            array = pa.array(series, from_pandas=True)
        except (pa.ArrowException, TypeError, ValueError, OverflowError):
            columns[name] = [None if _missing_marker(value) else value for value in series]
            continue
        if not _plain_arrow_type(pa, array.type):
            return None  # (a period, binary: refused as a column, not read as values)
        if _given_objects_refused(pa, name, series, array):
            columns[name] = [None if _missing_marker(value) else value for value in series]
            continue
        try:
            columns[name] = array.to_pylist()
        except (OverflowError, ValueError):
            # Times past Python's datetimes (the year 10000 on) and durations past its
            # timedeltas: their numpy datetime64s and timedelta64s, each judged as in a
            # record (perhaps out of the supported range).
            kind = array.type
            if not (
                pa.types.is_timestamp(kind) or pa.types.is_date(kind) or pa.types.is_duration(kind)
            ):
                raise
            columns[name] = _datetime64_values(array.to_numpy(zero_copy_only=False))
    return _rows(columns) if _reads_as_records(columns) else None


def _given_objects_refused(pa: Any, name: str, series: Any, array: Any) -> bool:
    """Whether a pandas column of Python objects (`array` its Arrow conversion) is a
    record field's the core refuses as a column (floats for a flag): its records then
    take its objects as given, as a dict of columns does (`_read_as_given`), for a bad
    value's error to show it as its record does (a numpy float64 by its repr, not as a
    Python float)."""
    if not _holds_objects(series):
        return False
    if name == "pattern_id":  # (Decimal ids, shown as given: Decimal('1'), not '1.0')
        return bool(pa.types.is_decimal(array.type))
    return not _column_taken(pa, name, array.type) and _read_as_given(name, series)


def _plain_arrow_type(pa: Any, kind: Any) -> bool:
    """Whether a column of Arrow type `kind` reads as the Python values it converts to:
    times, dates, durations (timedeltas, pandas' Timedeltas for nanoseconds), intervals
    (pyarrow's `MonthDayNano`s), bools, numbers (decimals too) and text, and UUIDs. Others
    (binary, other extension types, ...) are refused as columns by the core, and a record
    of their values would be refused for each record instead."""
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    if isinstance(kind, pa.BaseExtensionType):  # (pyarrow's own, such as UUIDs, too)
        return bool(kind.extension_name == "arrow.uuid")  # (UUID objects: pattern ids)
    checks = (
        pa.types.is_timestamp,
        pa.types.is_date,
        pa.types.is_duration,
        pa.types.is_interval,
        pa.types.is_boolean,
        pa.types.is_integer,
        pa.types.is_floating,
        pa.types.is_decimal,
        pa.types.is_string,
        pa.types.is_large_string,
        pa.types.is_null,
    )
    return any(check(kind) for check in checks)


def _frame_without_numpy_nat(
    frame: Any, inferred: dict[str, str], types: dict[Any, set[type]]
) -> Any:
    """A pandas frame with each column of Python objects that holds numpy datetime64 NaTs
    as `_numpy_nat_as_none` has it (its pandas kind in `inferred` and its objects' types
    in `types`, `_object_types` of the frame, updated), for pyarrow to convert; other data
    as it is. Columns of text need no look: a numpy scalar among them makes them "mixed"
    (`_object_types` has none of them). A column of no record field (`inferred` has the
    record columns) holding datetime64s beside values of another kind is refused naming
    them."""
    if _library(frame) != "pandas" or not hasattr(frame, "columns"):
        return frame
    if not frame.columns.is_unique:
        return frame  # (duplicate names: the export refuses them, naming them)
    import pandas as pd

    fixed = {}
    for name, present in list(types.items()):
        if not _has_numpy_datetime(present):
            continue
        series = frame[name]
        replaced = _without_numpy_nat(series)
        if replaced is not series:
            fixed[name] = replaced
            # (Its NaTs None now: its types found again, a pass over a rare column.)
            types[name] = present = distinct(type, replaced)
        if name not in inferred and _has_numpy_datetime(present):
            # (A column no record field reads, kept for the error of a frame without
            # timestamps: exported, datetime64s beside other kinds crash pyarrow.
            # Record columns of several kinds are read as their records.)
            kinds = _column_kinds(str(name), replaced, None, present)
            if kinds:
                raise _several_kinds_error(str(name), kinds)
    if not fixed:
        return frame
    frame = frame.copy(deep=False)
    for name, series in fixed.items():
        frame[name] = series
        if name in inferred:
            inferred[name] = inferred_kind(pd, series)
    return frame


#: `pandas.api.types.infer_dtype` results of object columns the core takes, by field
#: (text fields: "agent"'s); other results are decided by their Arrow type.
_TAKEN_INFERRED = {
    "timestamp": frozenset({"empty", "string", "datetime", "datetime64", "date"}),
    **dict.fromkeys(_FLAG_COLUMNS, frozenset({"empty", "boolean", "integer"})),
    **dict.fromkeys(
        _NUMBER_COLUMNS,
        frozenset({"empty", "integer", "floating", "mixed-integer-float", "decimal"}),
    ),
    "agent": frozenset({"empty", "string"}),
}
