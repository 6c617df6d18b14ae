"""A dict of columns (name -> list, tuple, numpy array, pandas Series, ...) read by the
core (`_read_columns`): as the list of dicts of its rows where it holds lists alone
(`_record_lists`), else as a pyarrow table (`columns_to_arrow`, with `numpy_columns`),
or, where one Arrow column cannot hold a column's values as they are, as its records
(`_MixedValues`, each value judged as in a list of records)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from typing import Any

from usage_analytics import _core
from usage_analytics.errors import UsageAnalyticsError
from usage_analytics.extras import require_pyarrow
from usage_analytics.ingest.as_records import (
    _bad_value_shown_otherwise,
    _column_taken,
    _datetime64_values,
    _given_values,
    _read_as_given,
    _reads_as_records,
    _rows,
)
from usage_analytics.ingest.bytes_columns import refuse_bytes_column
from usage_analytics.ingest.field_objects import arrow_of_field_objects, plain_sequence
from usage_analytics.ingest.fields import _FIELD_COLUMNS, _FLAG_COLUMNS, ArrowReader, CoreReader
from usage_analytics.ingest.id_objects import arrow_of_id_objects
from usage_analytics.ingest.integer_times import arrow_of_integer_times
from usage_analytics.ingest.kinds import (
    _column_kinds,
    _has_numpy_datetime,
    _holds_numpy_datetimes,
    _several_kinds_error,
    _value_types,
)
from usage_analytics.ingest.libraries import _extension_name, _holds_objects, _library
from usage_analytics.ingest.numpy_buffers import numbers_of
from usage_analytics.ingest.numpy_columns import (
    _arrow_column,
    _masked_objects_as_none,
    _numpy_datetimes_typed,
    _numpy_nat_as_none,
    _TimesOutOfRange,
    _with_surrogates,
)
from usage_analytics.ingest.polars_dtypes import _check_polars_dtype
from usage_analytics.input_notes import with_column_integer_times
from usage_analytics.object_text import object_text_as_dictionary


def _read_columns(
    data: Mapping[str, Any], wanted: frozenset[str], records: CoreReader, arrow: ArrowReader
) -> dict[str, Any]:
    """`read_any` of a dict of columns: its `wanted` columns (`RECORD_COLUMNS`, or those
    but the pattern id) by `records` as its rows or by `arrow` as a table."""
    lists = _record_lists(data, wanted)
    if lists is not None:
        try:
            return records(lists)
        except _core.ColumnarTimestamps:
            pass  # (int timestamps, epoch microseconds: a table's, read as one below)
    try:
        table = columns_to_arrow(data, wanted)
    except _MixedValues as mixed:
        # (Integer timestamps are datetimes in its rows: their range noted for the
        # unit's warning, as the core notes a table's.)
        return with_column_integer_times(records(mixed.rows), data)
    try:
        return arrow(table, True)
    except UsageAnalyticsError as error:
        raise _with_numpy_dtype(error, data) from None


#: The core's refusal of a column by its type (`arrow_ingest.rs`), the column's name.
_REFUSED_COLUMN = re.compile(r"column '([^']*)' has Arrow type ")


def _with_numpy_dtype(error: UsageAnalyticsError, columns: Mapping[str, Any]) -> Exception:
    """`error`, where it is the core's refusal of a dict of columns' column by its type and
    that column is a typed numpy array, naming the array's dtype too: the caller gave no
    Arrow type ("has Arrow type Utf8" for a `<U3` array of number texts). Such a column is
    refused whole, as any typed column of the wrong type is (a bool or datetime64 array, a
    pyarrow string column): its type is the mistake, not each value; a list or an object
    array of the same values is read value by value, each its record's error."""
    found = _REFUSED_COLUMN.search(str(error))
    given_as = "" if found is None else _numpy_dtype_given(columns.get(found.group(1)))
    return UsageAnalyticsError(f"{error}{given_as}") if given_as else error


def _numpy_dtype_given(column: Any) -> str:
    """ " (given as a numpy array of dtype '<U3')" for a typed numpy array, else ""."""
    dtype = getattr(column, "dtype", None)
    if _library(column) != "numpy" or getattr(dtype, "kind", "O") == "O":
        return ""
    return f" (given as a numpy array of dtype {str(dtype)!r})"


def _record_lists(columns: Mapping[str, Any], wanted: frozenset[str]) -> dict[str, Any] | None:
    """The `wanted` columns of a dict of lists (or tuples) as long as each other, with a
    timestamp column (and, for a batch, a pattern id column), which the core reads row by
    row as the list of dicts of its rows: the same records, in 0.7x the time of that list
    (converting the lists to Arrow first took 2.9x, `benches/dict_of_lists.py`). None for other
    dicts, read as a table (`columns_to_arrow`, which also says what is wrong with one).
    A timestamp column of ints (epoch microseconds, which records refuse) is found by the
    core, which then raises `ColumnarTimestamps`."""
    if "timestamp" not in columns or not wanted <= {*columns, *_FIELD_COLUMNS}:
        return None
    selected = {name: values for name, values in columns.items() if name in wanted}
    if not all(type(values) in (list, tuple) for values in selected.values()):
        return None
    if len({len(values) for values in selected.values()}) > 1:
        return None
    return selected


class _MixedValues(Exception):
    """A dict of lists with a column of values of several types (a NaN among names, a
    str among numbers), which Arrow cannot hold: the same records as a list of dicts,
    whose reader checks each value, so that a bad one is that record's error (and
    skipped with on_invalid="skip"), as in a list of records."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        super().__init__("mixed values")
        self.rows = rows


def columns_to_arrow(columns: Mapping[str, Any], wanted: frozenset[str]) -> Any:
    """A dict of column name -> numpy array or list, as a pyarrow Table of the `wanted`
    columns."""
    # (Lists alone are read as their rows, without pyarrow: `_record_lists`. The message
    # said "a dict of columns" needs it, which a reader holding lists could not square.)
    pa = require_pyarrow(
        "a dict of columns other than lists (numpy arrays, pandas Series, ranges) or of "
        "integer timestamps",
        "or pass lists of datetimes or ISO-8601 text, a list of record dicts, or a polars "
        "or DuckDB table, which need none",
    )
    if "timestamp" in columns:  # else all of them, for the error to list
        # Other keys are ignored, as in a list of records: never converted, never checked.
        columns = {name: column for name, column in columns.items() if name in wanted}
    lengths = {name: _length(name, column) for name, column in columns.items()}
    if len(set(lengths.values())) > 1:
        raise UsageAnalyticsError(f"columns have different lengths: {lengths}")
    arrays = {}
    beyond = False  # (a datetime64 timestamp column with instants Arrow's cannot hold)
    # Lists of values of several kinds beside arrays (ids of ints and str): see `_given`.
    given: dict[str, Any] = {}
    # Columns read by `field_objects`: where the call is read as its records (`_given`),
    # their values as given, which those records read alike (pyarrow's `to_pylist` of a
    # UTC timestamp column imported pandas for its zone).
    objects_read: dict[str, Any] = {}
    typed_times = columns.get("timestamp")
    for name, column in columns.items():
        column = plain_sequence(column)  # (a range, array.array, memoryview: see there)
        if "timestamp" in columns:  # (else the core's refusal is of the missing timestamps)
            refuse_bytes_column(name, column)  # (a bytes array: not converted to be refused)
        if _library(column) == "polars":
            _check_polars_dtype(name, column.dtype)
        column = _masked_objects_as_none(column)
        # (A text field's column of str objects alone, coded at once, holds no datetime64:
        # looking for them first, a pass over its objects, took 50-60 ms a million rows.)
        coded = object_text_as_dictionary(pa, name, column)
        # The types of a list's or an object array's values, found once: for the datetime64
        # check here and the kinds below (a pass over a million objects took 110-150 ms).
        types = _value_types(column) if coded is None else None
        held = types is not None and _has_numpy_datetime(types)
        if held:  # (NaTs missing; datetime64s may be left)
            column = _numpy_nat_as_none(column)
            held = _holds_numpy_datetimes(column)
            types = None  # (the NaTs None now: looked at again where needed)
        if held:
            # (Never offered to pyarrow beside values of another kind: see
            # `_holds_numpy_datetimes`. Of one kind, they convert as they are.)
            kinds = _column_kinds(name, column)
            if kinds:
                if _reads_as_records(columns):
                    raise _MixedValues(_rows(columns))
                if _read_as_given(name, column):
                    given[name] = _given_values(column)
                    continue
                raise _several_kinds_error(name, kinds)
            if not isinstance(column, (list, tuple)):
                column = _numpy_datetimes_typed(column)
                if name == "timestamp":
                    typed_times = column  # (for `beyond` below)
        try:
            # (A record field's objects that are not plain values, read by the core's
            # parsers of a record's: `field_objects`. Not checked below: each value is
            # what its record reads, or a ValueError naming the first one it refuses.)
            if types is None and coded is None:
                types = _value_types(column)  # (a list of datetime64s, its NaTs None)
            # (Ints as timestamps, numpy ints and UUIDs as ids: pandas not imported.)
            read = None if coded is not None else arrow_of_integer_times(pa, name, column, types)
            if read is None and coded is None:
                read = arrow_of_field_objects(pa, name, column, types)
            if read is None and coded is None and name == "pattern_id":
                read = arrow_of_id_objects(pa, column, types)
            if read is not None:
                arrays[name] = read
                if not pa.types.is_integer(read.type):  # (epoch µs: datetimes in `_given`)
                    objects_read[name] = column
                continue
            arrays[name] = (
                coded
                if coded is not None
                else _arrow_column(
                    pa,
                    column,
                    exact_times=name == "timestamp",
                    flag=name in _FLAG_COLUMNS,
                    types=types,
                )
            )
        except _TimesOutOfRange:
            beyond = True
            continue
        except MemoryError:  # pyarrow's ArrowMemoryError is an ArrowException too
            raise
        except UnicodeError as error:  # (a ValueError: first. numpy's text decodes from UTF-32)
            if name != "file_path" and _reads_as_records(columns):
                raise _MixedValues(_rows(columns)) from error  # that record's error
            arrays[name] = _with_surrogates(pa, name, column)
        except Exception as error:
            # invalid, wrong type, an int past 64 bits, a dtype Arrow lacks, or the values'
            # own code raising (a tzinfo's utcoffset: in a record, that record's error)
            if _reads_as_records(columns):
                raise _MixedValues(_rows(columns)) from error
            if _read_as_given(name, column):
                given[name] = _given_values(column)
                continue
            # (Objects of several kinds beside typed arrays: named as such, not in pyarrow's
            # words, "Could not convert 0 with type int: tried to convert to boolean".)
            objects = isinstance(column, (list, tuple)) or _holds_objects(column)
            kinds = _column_kinds(name, column, present=types) if objects else []
            if kinds:
                raise _several_kinds_error(name, kinds) from error
            # (A numpy array's dtype named: pyarrow's words for a complex one are
            # "Unsupported numpy type 15".)
            given_as = _numpy_dtype_given(column)
            raise UsageAnalyticsError(f"cannot read column '{name}': {error}{given_as}") from error
        if (
            name == "pattern_id"
            and _read_as_given(name, column)
            and not _ids_type(pa, arrays[name].type)
            and (isinstance(column, (list, tuple)) or not pa.types.is_floating(arrays[name].type))
        ):
            # (Floats, bools: a float the core would read as the int it stands for,
            # numpy's and pandas' ints with a missing one; in a list, as in a record, the
            # caller's float is that record's error. Python objects of floats are such a
            # column, as in a pandas frame; of other types, the core's refusal of the whole
            # column, each record's.)
            given[name] = _given_values(column)
            del arrays[name]
            continue
        if name in _FLAG_COLUMNS and _extension_name(arrays[name].type) == "arrow.bool8":
            arrays[name] = arrays[name].cast(pa.bool_())  # (see `_without_null_columns`)
        refused = name != "pattern_id" and not _column_taken(pa, name, arrays[name].type)
        if refused and isinstance(column, (list, tuple)) and _reads_as_records(columns):
            # (Values all of a kind the field's column cannot be, a text flag, say: each
            # record's error, as with one value of another kind among them.)
            raise _MixedValues(_rows(columns))
        if refused and _read_as_given(name, column):
            # (Beside arrays, as lists alone: each value judged in its record. The core
            # refused the whole column.)
            given[name] = _given_values(column)
            del arrays[name]
            continue
        objects = isinstance(column, (list, tuple)) or _holds_objects(column)
        if objects and _bad_value_shown_otherwise(pa, name, column, arrays[name]):
            # (Each value judged in its record, for its sample to show it as given.)
            if _reads_as_records(columns):
                raise _MixedValues(_rows(columns))
            if _read_as_given(name, column):
                given[name] = _given_values(column)
                del arrays[name]
                continue
        if objects and _may_coerce(pa, arrays[name].type):
            kinds = _column_kinds(name, column, present=types)
            if kinds and _reads_as_records(columns):
                raise _MixedValues(_rows(columns))  # each value judged as in its record
            if kinds and _read_as_given(name, column):
                given[name] = _given_values(column)
                del arrays[name]
            elif kinds:
                raise _several_kinds_error(name, kinds)
    if given:
        for name, column in objects_read.items():
            given[name] = _given_values(column)
            del arrays[name]
        raise _given(pa, arrays, given, columns)
    taken = (_column_taken(pa, n, a.type) for n, a in arrays.items() if n != "pattern_id")
    if beyond and all(taken):
        # Each record's datetime64 judged as in a list of records (out of range there),
        # the other columns' values as Arrow reads them (NaN missing).
        values = {name: array.to_pylist() for name, array in arrays.items()}
        values["timestamp"] = _datetime64_values(columns["timestamp"])
        raise _MixedValues(_rows(values))
    if beyond:  # (another column the core refuses whole, whatever the times)
        arrays["timestamp"] = _arrow_column(pa, typed_times)
    # A list of Nones is Arrow's `null` type, which the core refuses (ids of a list of
    # Nones beside arrays: the whole call was refused, "has Arrow type Null"): text of
    # nulls, as `_without_null_columns` makes a table's.
    for name, array in arrays.items():
        if pa.types.is_null(array.type):
            arrays[name] = array.cast(pa.string())
    return pa.table(arrays)


def _given(
    pa: Any, arrays: Mapping[str, Any], given: Mapping[str, Any], columns: Mapping[str, Any]
) -> Exception:
    """The records of a dict of columns whose lists or arrays of Python objects (`given`,
    their values: see `_read_as_given`) one Arrow column cannot hold as they are (ids of
    ints and str, or floats; flags of True and 1) beside arrays (`arrays`, converted): a
    `_MixedValues` whose rows hold the lists' values as given, judged one by one as in a
    list of records (a bad one that record's error), and each array's values as Arrow reads
    its column (NaN missing, an integer timestamp epoch microseconds: its datetime, which
    records take). The dict of lists alone was read so; with a numpy array beside them the
    whole call was refused ("it mixes values of the kinds int, str"). (Integer timestamps,
    datetimes in the rows, are told of by their column: `with_column_integer_times`.)
    Datetime64 timestamps beyond Arrow's range (`beyond`, not in `arrays`) are the rows'
    as given, each out of range in its record, as beside columns Arrow holds.

    Times and durations beyond Python's (an integer timestamp or a datetime64 past the
    year 9999, 10**14 seconds of execution time) are numpy's in the rows, which records
    read as the table does (`_numpy_times`). The error naming the first such list where
    an array holds a value no record holds as the table reads it (the least 64-bit int,
    numpy's NaT: missing in a record)."""
    values: dict[str, Any] = {}
    for name, array in arrays.items():
        if name == "timestamp" and pa.types.is_integer(array.type):
            array = array.cast(pa.timestamp("us", tz="UTC"))
        try:
            values[name] = array.to_pylist()
        except (ValueError, OverflowError):
            numpy_values = _numpy_times(pa, array)
            if numpy_values is None:
                return _unpaired(next(iter(given)), name)
            values[name] = numpy_values
        kind = array.type.value_type if pa.types.is_dictionary(array.type) else array.type
        if name == "pattern_id" and pa.types.is_floating(kind):
            values[name] = [_float_id(value) for value in values[name]]
    if "timestamp" in columns and "timestamp" not in values and "timestamp" not in given:
        # (datetime64s beyond Arrow's range: `beyond`. This was `_unpaired`'s error, where
        # the list of dicts of the rows gave each such record's.)
        values["timestamp"] = _datetime64_values(columns["timestamp"])
    values.update(given)
    return _MixedValues(_rows({name: values[name] for name in columns if name in values}))


def _numpy_times(pa: Any, array: Any) -> list[Any] | None:
    """A timestamp, date or duration column's values as numpy datetime64s or timedelta64s
    of its unit (None where null), where Python's datetimes and timedeltas cannot hold them
    (past the year 9999, past 999,999,999 days): records read those as the table does (out
    of the window, or an execution time), where the column refused the whole call. Read
    from the buffers: `to_numpy` imports pandas. A dictionary-encoded column is its
    values'. None for a column of another type, or holding the least 64-bit int, numpy's
    NaT (a record's missing value)."""
    import numpy as np

    if pa.types.is_dictionary(array.type):  # (its values' times: else refused as NaT)
        array = array.dictionary_decode()
    kind = array.type
    if pa.types.is_timestamp(kind) or pa.types.is_duration(kind):
        unit = kind.unit
    elif pa.types.is_date32(kind) or pa.types.is_date64(kind):
        unit = "D" if pa.types.is_date32(kind) else "ms"
    else:
        return None
    make = np.timedelta64 if pa.types.is_duration(kind) else np.datetime64
    counts, nulls = numbers_of(pa, array.cast(pa.int32() if unit == "D" else pa.int64()))
    if np.any((counts == np.iinfo(np.int64).min) & ~nulls):
        return None
    pairs = zip(counts.tolist(), nulls.tolist(), strict=True)
    return [None if null else make(count, unit) for count, null in pairs]


def _float_id(value: float | None) -> Any:
    """A value of a column of float ids as a record's id, as the core reads the column
    (numpy's and pandas' ints with a missing one): a whole number within 64 bits that
    int, NaN missing (None); any other float stays one, its record's error (whose sample
    gives a record's reason, "got float", not the column's "must be a whole number")."""
    if value is None or math.isnan(value):
        return None
    if value.is_integer() and -(2.0**63) <= value < 2.0**63:
        return int(value)
    return value


def _ids_type(pa: Any, kind: Any) -> bool:
    """Whether pyarrow's type for a list of ids is one a list of records reads alike:
    text, ints, UUIDs (pyarrow's `arrow.uuid` for `uuid.UUID`s), or nulls alone. A
    dictionary is judged by its values' type: a numpy array of str objects (a pandas
    column's `to_numpy()`) is coded as one (`object_text_as_dictionary`), the same text
    a list of those str gives. (Taken for some other type, it sent the whole dict down
    the records' path: 40 times slower, `benches/object_ids_beside_arrays.py`.)"""
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return bool(
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_integer(kind)
        or pa.types.is_null(kind)
        or _extension_name(kind) == "arrow.uuid"
    )


def _unpaired(name: str, beside: str) -> UsageAnalyticsError:
    return UsageAnalyticsError(
        f"cannot read column '{name}': one Arrow column cannot hold its values as they are, "
        f"and column '{beside}' beside it holds a value no record holds as that column "
        "reads it (the least 64-bit int, numpy's NaT: missing in a record; pass the records "
        "as a list of dicts, whose values are judged one by one)"
    )


def _may_coerce(pa: Any, kind: Any) -> bool:
    """Whether pyarrow may have inferred an Arrow type of this kind from a list of values
    of several kinds, converting some (`_column_kinds`): numbers, dates and times (a
    number after a datetime is read as epoch microseconds), durations (a number after a
    timedelta is read as microseconds: an execution time of 1.5 ms was 0.001 ms). (Its
    strings and bools come from values of their own kind alone: it refuses other mixes.)"""
    checks = (
        pa.types.is_integer,
        pa.types.is_floating,
        pa.types.is_date,
        pa.types.is_timestamp,
        pa.types.is_duration,
    )
    return any(check(kind) for check in checks)


def _length(name: str, column: Any) -> int:
    if getattr(column, "ndim", None) == 0:  # (a 0-d numpy array has a len() that raises)
        raise UsageAnalyticsError(
            f"column '{name}' must be a numpy array or a list, got a 0-d array (one value)"
        )
    if isinstance(column, (str, bytes, Mapping)) or not hasattr(column, "__len__"):
        raise UsageAnalyticsError(
            f"column '{name}' must be a numpy array or a list, got {type(column).__name__}"
        )
    shape = getattr(column, "shape", None)  # (a frame, a 2-D array: no column of values)
    if isinstance(shape, tuple) and len(shape) > 1:
        raise UsageAnalyticsError(
            f"column '{name}' must be a numpy array or a list of one dimension, got a "
            f"{type(column).__name__} of shape {shape}"
        )
    if isinstance(column, AbstractSet):
        # (Its order is its hashes', random per process for text: its values would be
        # paired with the other columns' rows in an order that changes from run to run.)
        raise UsageAnalyticsError(
            f"column '{name}' must be a numpy array or a list, got {type(column).__name__} (a "
            "collection without an order, whose values cannot be paired with the rows)"
        )
    return len(column)
