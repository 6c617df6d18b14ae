"""pyarrow helpers shared by the sources: optional import, rows -> columns, pattern
selection, grouping, and the newest timestamp of a column.

pyarrow is optional (the `arrow` extra). Without it the sources hand the reducer lists of
record dicts instead; everything here is only called with pyarrow present.

Building columns: `table_from_columns` lets pyarrow *infer* each column's type and keeps
the table only when every column has the type its field needs (strings for timestamps
and text, integers for flags as databases store them, numbers for numbers). Otherwise it
returns None and the caller hands over the records as dicts, so that the core judges odd
values (a float flag, bytes for a name, text in a number column) exactly as it judges
them in records, instead of pyarrow coercing them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import accumulate
from typing import Any

from usage_analytics.arrow_regex import match_regex
from usage_analytics.sources.base import (
    FLAG_FIELDS,
    NUMBER_FIELDS,
    PATTERN_ID,
    TEXT_FIELDS,
    pattern_key,
)
from usage_analytics.sources.timestamps import (
    ANALYSABLE_US,
    ISO_PATTERN,
    analysable,
    shifted_date,
    timestamp_of,
    window_stamp,
)

__all__ = [
    "PatternTable",
    "field_type",
    "group_by_pattern",
    "newest_micros",
    "newest_of_records",
    "pattern_id_texts",
    "pattern_mask",
    "pattern_table",
    "table_from_columns",
    "unattributed_rows",
]


def _fits(pa: Any, name: str, array: Any) -> bool:
    kind = array.type
    if pa.types.is_null(kind):
        return True
    if name == "timestamp" or name in TEXT_FIELDS or name == PATTERN_ID:
        return bool(pa.types.is_string(kind))
    if name in FLAG_FIELDS:
        return bool(pa.types.is_integer(kind) or pa.types.is_boolean(kind))
    if name in NUMBER_FIELDS:
        return bool(pa.types.is_integer(kind) or pa.types.is_floating(kind))
    return True


def field_type(pa: Any, name: str) -> Any:
    """The Arrow type a record field's column has when all its values are missing (not
    Arrow's `null` type, which not every Arrow reader takes)."""
    if name in FLAG_FIELDS:
        return pa.bool_()
    if name in NUMBER_FIELDS:
        return pa.float64()
    return pa.string()


def table_from_columns(pa: Any, names: Sequence[str], columns: Sequence[Sequence[Any]]) -> Any:
    """A pyarrow Table of Python value columns, or None when a column's values do not
    have their field's type (see the module docstring)."""
    arrays = []
    for name, values in zip(names, columns, strict=True):
        try:
            array = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, TypeError):
            # (TypeError: pyarrow's own refusal of `Decimal("Infinity")`, a text's
            # "inf" as written, `exact_numbers`: not its field's type either.)
            return None
        if not _fits(pa, name, array):
            return None
        if pa.types.is_null(array.type):  # all missing: the field's own type, all null
            array = pa.nulls(len(array), type=field_type(pa, name))
        elif name in NUMBER_FIELDS and pa.types.is_integer(array.type):
            array = array.cast(pa.float64(), safe=False)
        arrays.append(array)
    return pa.Table.from_arrays(arrays, names=list(names))


def unattributed_rows(pa: Any, column: Any) -> Any:
    """The row indices whose pattern id is missing or blank."""
    pc = pa.compute
    ids = pattern_id_texts(pa, column)
    blank = pc.equal(pc.utf8_trim_whitespace(ids), "")
    return pc.indices_nonzero(pc.or_kleene(pc.is_null(ids), blank).fill_null(True))


def pattern_id_texts(pa: Any, column: Any) -> Any:
    """A column of pattern ids as strings, each the text `pattern_key` keys it by (a
    string column as it is: `pattern_key` of its values strips them later)."""
    kind = column.type
    if pa.types.is_dictionary(kind):
        column = column.cast(kind.value_type)
        kind = column.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return column
    if isinstance(kind, pa.BaseExtensionType):
        # Its stored values (a Parquet UUID column, `arrow.uuid`, holds 16 bytes each),
        # which a cast to text took as text: "\x00...\x05" for the UUID 0...05.
        if isinstance(column, pa.ChunkedArray):
            storage = [chunk.storage for chunk in column.chunks]
            column = pa.chunked_array(storage, type=kind.storage_type)
        else:
            column = column.storage
        kind = column.type
    if pa.types.is_integer(kind):
        return column.cast(pa.string())  # (the decimal digits `pattern_key` writes)
    if pa.types.is_float16(kind) or pa.types.is_float32(kind):
        # A float32 by its shortest text (868.521, not 868.5210571289062 widened); Arrow
        # writes a float16 by its exact value, not its shortest (0.1 is 0.0999755859375).
        column = column.cast(pa.string()).cast(pa.float64())
    # Other ids are keyed as `pattern_key` keys them, not as Arrow's cast writes them:
    # bytes are UUIDs where 16 long, whether or not they happen to be UTF-8 too (the cast
    # took `abcdefghijklmnop` as that text, by the others), and numbers and flags by
    # value (the cast wrote "1" and "true" where a JSONL file's ids were "1.0" and "True").
    # (Each distinct id keyed once: a column holds few, many times over.)
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    try:
        encoded = pa.compute.dictionary_encode(column)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        # (Types without a dictionary: value by value, rare.)
        return pa.array(
            [None if value is None else pattern_key(value) for value in column.to_pylist()],
            type=pa.string(),
        )
    keys = pa.array(
        [pattern_key(value) for value in encoded.dictionary.to_pylist()], type=pa.string()
    )
    return pa.compute.take(keys, encoded.indices)


def pattern_mask(pa: Any, column: Any, wanted: str) -> Any:
    """Boolean mask of the rows whose pattern id names `wanted`: the rows `group_by_pattern`
    puts under its `pattern_key` (stripped; a UUID in any spelling `uuid_spelled` reads),
    nulls False. Each distinct id is keyed once."""
    pc = pa.compute
    text = pattern_id_texts(pa, column)
    wanted_key = pattern_key(wanted)
    distinct = pc.unique(text).drop_null().to_pylist()
    named = [value for value in distinct if pattern_key(value) == wanted_key]
    mask = pc.is_in(text, value_set=pa.array(named, type=text.type))
    return pc.fill_null(mask, False)


@dataclass(frozen=True)
class PatternTable:
    """A table's rows ordered by pattern (`pattern_key` of the id, keys in order; rows
    keep their order within a pattern), the rows without a pattern id (missing or blank)
    after all of them. One copy of the rows, each pattern's a slice of it: a `take` per
    pattern cost about 65 µs each, seconds for thousands of patterns."""

    #: The rows, by pattern.
    rows: Any
    #: Each row's index in the table it came from.
    indices: Any
    #: Each row's pattern: its number in `keys`, null for a row without a pattern id.
    codes: Any
    keys: list[str]
    #: Where each pattern's rows start in `rows`, and where the last one's end.
    offsets: list[int]

    def spans(self) -> list[tuple[str, int, int]]:
        """`[(key, where the pattern's rows start in rows, how many)]`, ordered by key."""
        return [
            (key, start, end - start)
            for key, start, end in zip(self.keys, self.offsets, self.offsets[1:], strict=False)
        ]

    def parts(self) -> list[tuple[str, Any, Any]]:
        """`[(key, the pattern's rows, their indices in the table)]`, ordered by key."""
        return [
            (key, self.rows.slice(start, count), self.indices.slice(start, count))
            for key, start, count in self.spans()
        ]

    def together(self, pa: Any, column: str = PATTERN_ID) -> Any:
        """The rows that have a pattern, `column` holding each one's key (dictionary-
        encoded): a batch reduction's input, grouped as `parts` groups them."""
        count = self.offsets[-1]
        ids = pa.DictionaryArray.from_arrays(
            self.codes.slice(0, count), pa.array(self.keys, pa.string())
        )
        rows = self.rows.slice(0, count)
        return rows.drop_columns([column]).append_column(column, ids)


def with_group_ids(pa: Any, table: Any, names: Sequence[str], counts: Sequence[int]) -> Any:
    """`table`, whose rows are groups of `counts` rows one after another, with a
    `pattern_id` column (dictionary-encoded, in place of any it had) naming each row's
    group by `names`: a batch reduction's input. Each group's code repeated over its rows
    is run-end encoded, then decoded (by Arrow, about 20 times faster than a Python
    iterator over a million rows)."""
    sized = [(code, count) for code, count in enumerate(counts) if count]
    codes = pa.compute.run_end_decode(
        pa.RunEndEncodedArray.from_arrays(
            pa.array(accumulate(count for _, count in sized), pa.int64()),
            pa.array([code for code, _ in sized], pa.int32()),
        )
    )
    ids = pa.DictionaryArray.from_arrays(codes, pa.array(names, pa.string()))
    if PATTERN_ID in table.column_names:
        table = table.drop_columns([PATTERN_ID])
    return table.append_column(PATTERN_ID, ids)


def pattern_table(
    pa: Any, table: Any, column: str = PATTERN_ID, then_by: str | None = None
) -> PatternTable:
    """`table`'s rows by pattern (see `PatternTable`), its ids in `column`; with `then_by`,
    each pattern's rows ordered by that column (ascending, nulls last; rows of one value
    keep their order): the rows a stable sort by `then_by` and then this grouping gave,
    in one sort and one copy of the rows instead of two of each."""
    pc = pa.compute
    ids = pattern_id_texts(pa, table.column(column))
    if isinstance(ids, pa.ChunkedArray):
        ids = ids.combine_chunks()
    encoded = pc.dictionary_encode(ids)
    key_of_code = [pattern_key(value) for value in encoded.dictionary.to_pylist()]
    keys = sorted({key for key in key_of_code if key})  # a blank id names no pattern
    number = {key: index for index, key in enumerate(keys)}
    group_of_code = pa.array([number.get(key) for key in key_of_code], pa.int32())
    groups = pc.take(group_of_code, encoded.indices)  # null where the id is null or blank
    if then_by is None:
        order = pc.array_sort_indices(groups, null_placement="at_end")  # stable: keeps row order
    else:
        # (Arrow's sort of several keys is stable too, its nulls last by default: the
        # option is per key since pyarrow 25, for the whole sort before.)
        sort_by = pa.table({"group": groups, "then": table.column(then_by)})
        order = pc.sort_indices(sort_by, sort_keys=[("group", "ascending"), ("then", "ascending")])
    counts = [0] * len(keys)
    for entry in pc.value_counts(groups).to_pylist():
        if entry["values"] is not None:
            counts[entry["values"]] = entry["counts"]
    return PatternTable(
        rows=table.take(order),
        indices=order,
        codes=pc.take(groups, order),
        keys=keys,
        offsets=[0, *accumulate(counts)],
    )


def group_by_pattern(pa: Any, table: Any, column: str = PATTERN_ID) -> list[tuple[str, Any, Any]]:
    """Split `table` by pattern (`pattern_key` of its pattern id column), rows keeping
    their order within a pattern: `[(key, the pattern's rows, their row indices in
    table)]`, ordered by key. Rows without a pattern id (missing or blank) are left out."""
    return pattern_table(pa, table, column).parts()


def _newest_text(pa: Any, column: Any) -> int | None:
    """The newest timestamp of ISO-8601 text, exactly as the core reads it, parsing only
    the texts of the newest few dates in Python (an offset moves an instant by less than
    a day, so the newest instant's text starts with one of the two dates before the
    newest date that holds a valid timestamp, or that date itself)."""
    pc = pa.compute
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    trimmed = pc.utf8_trim_whitespace(column)
    shaped = pc.fill_null(match_regex(pc, trimmed, f"^{ISO_PATTERN}$"), False)
    # The texts as stored are parsed: Arrow's trim also removes U+001C-U+001F, which the
    # core keeps (and then reads no time), so a trimmed text could pass for a valid one.
    text, stored = pc.filter(trimmed, shaped), pc.filter(column, shaped)
    if len(text) == 0:
        return None
    days = pc.utf8_slice_codeunits(text, 0, 10)
    for day in sorted(pc.unique(days).to_pylist(), reverse=True):
        try:
            first = date.fromisoformat(day)
        except ValueError:
            continue
        same_day = pc.filter(stored, pc.equal(days, day)).to_pylist()
        if not any(window_stamp(value) is not None for value in same_day):
            continue
        low = shifted_date(first, -2, low=True)
        candidates = pc.filter(stored, pc.greater_equal(days, low)).to_pylist()
        stamps = [window_stamp(value) for value in candidates]
        return max(stamp for stamp in stamps if stamp is not None)
    return None


def newest_micros(pa: Any, column: Any) -> int | None:
    """The newest timestamp of a timestamp column as the core reads it (microseconds
    since the epoch); None without any valid one."""
    kind = column.type
    if pa.types.is_dictionary(kind) or pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return _newest_text(pa, column)
    if hasattr(pa.types, "is_string_view") and pa.types.is_string_view(kind):
        return _newest_text(pa, column.cast(pa.string()))
    if pa.types.is_timestamp(kind) and kind.unit == "ns":
        # (64-bit nanoseconds lie within 1677-2262, in any window's range.) Floored to the
        # microsecond, as the core reads them: Arrow's cast truncates towards 1970.
        nanos = pa.compute.max(column.cast(pa.int64())).as_py()
        return None if nanos is None else int(nanos) // 1_000
    scale = 1  # microseconds per unit of the column's integers
    if pa.types.is_timestamp(kind) or pa.types.is_date64(kind):
        scale = _MICROS_PER_UNIT["ms" if pa.types.is_date64(kind) else kind.unit]
        column = column.cast(pa.int64())
    elif pa.types.is_date32(kind):
        scale = _MICROS_PER_UNIT["d"]
        column = column.cast(pa.int32()).cast(pa.int64())
    elif not pa.types.is_int64(kind):
        return None
    pc = pa.compute
    # The window's range in the column's unit, compared before scaling: scaled, a time past
    # it wrapped around int64 into it (a newest of 2026 from a year of 586,000) or failed.
    first, last = ANALYSABLE_US
    low, high = -(-first // scale), last // scale
    within = pc.and_(pc.greater_equal(column, low), pc.less_equal(column, high))
    value = pc.max(pc.filter(column, within)).as_py()
    return None if value is None else int(value) * scale


#: Microseconds per unit of Arrow's times ("d": a date32's days).
_MICROS_PER_UNIT = {"s": 1_000_000, "ms": 1_000, "us": 1, "d": 86_400_000_000}


def newest_of_records(records: Sequence[Mapping[str, Any]]) -> int | None:
    """The newest valid timestamp of record mappings that a window can hold, in
    microseconds (no pyarrow)."""
    stamps = (timestamp_of(record.get("timestamp")) for record in records)
    return max((stamp for stamp in stamps if stamp is not None and analysable(stamp)), default=None)
