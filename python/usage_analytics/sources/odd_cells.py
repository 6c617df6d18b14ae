"""Values a source read that its table's columns cannot hold (a CSV number "fast", a flag
"maybe", a JSON string where a number belongs, text in a SQLite REAL column), put back
into the records of the groups that hold them.

The table holds a missing value in their place, and the records of a group holding one
are handed to the core as a dict of lists, the table's columns as Python values with
those values in place: the core reads them row by row as the standard-library readers'
records, so each such value is its record's error (or left out and counted with
on_invalid="skip"), as when one such value made a whole file, or every pattern of a
SQLite table, a list of dicts (the dashboard of a million-row CSV: 17.8 s and 924 MB,
against 2.4 s and 398 MB without the value). Now only that value's group is read as
Python values; the others stay slices of the table, batched together.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from usage_analytics.sources.base import FLAG_FIELDS, NUMBER_FIELDS
from usage_analytics.sources.exact_numbers import WrittenNumber, bad_as_written

__all__ = [
    "OddCells",
    "OddTexts",
    "as_written",
    "bad_numbers",
    "held_types",
    "json_text_value",
    "shown_apart",
]


def as_written(name: str, text: str) -> str:
    """A cell's text for any field, as it is."""
    return text


def json_text_value(name: str, text: str) -> Any:
    """A value's JSON text for any field, as the JSON Lines reader reads it: a number
    field's number that is no integer, kept aside as a bad value (`jsonl_numbers`), as
    a `WrittenNumber` of its text (`jsonl_written`)."""
    value = json.loads(text)
    if type(value) is float and name in NUMBER_FIELDS:
        return bad_as_written(text) or value
    return value


@dataclass(frozen=True)
class OddCells:
    """By record field, its values that the table does not hold, by row of the table
    (as the standard-library reader reads them): a SQLite table's, values of any type,
    few where the core's reader keeps them (see `OddTexts` for a CSV file's)."""

    values: Mapping[str, Mapping[int, Any]]

    @cached_property
    def rows(self) -> list[int]:
        """The rows holding such a value, in order."""
        return sorted({row for held in self.values.values() for row in held})

    def records(self, table: Any, rows: Sequence[int]) -> dict[str, list[Any]] | list[Any]:
        """The records of `table`, the table's `rows`, as a dict of column -> list of
        values, each value the table does not hold in its place; as a list of record
        dicts where a timestamp is an integer (a SQLite number), which a dict of lists
        holds as epoch microseconds and a record refuses."""
        columns = {name: table.column(name).to_pylist() for name in table.column_names}
        for name, held in self.values.items():
            values = columns[name]
            for place, row in enumerate(rows):
                if row in held:
                    values[place] = held[row]
        stamps = self.values.get("timestamp", {})
        if stamps and any(type(stamps.get(row)) is int for row in rows):
            return _as_records(columns)
        return columns


def _as_records(columns: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """A dict of column -> list of values as a list of record dicts."""
    names, rows = list(columns), zip(*columns.values(), strict=True)
    return [dict(zip(names, values, strict=True)) for values in rows]


def held_types(name: str) -> set[type]:
    """The types of the values a table's column of the field `name` holds as
    `table_from_columns` makes it (flags bools or integers, numbers integers or floats,
    other fields text), missing ones (None) included."""
    if name in FLAG_FIELDS:
        return {bool, int, type(None)}
    if name in NUMBER_FIELDS:
        return {int, float, type(None)}
    return {str, type(None)}


def shown_apart(name: str, value: Any) -> bool:
    """Whether `value`, read for field `name`, is an int that is a bad number of that
    field (negative; a score outside [0, 1]): kept out of the field's column of doubles,
    which an error would show it from as -1.0, and handed over as it is stored, -1 (as
    a PostgreSQL integer column's value is shown). A `WrittenNumber` too, a text's bad
    value: the column would show its float (inf for "1e400"), or hold it as good where
    the float is on a bound ("-1e-400")."""
    if name not in NUMBER_FIELDS:
        return False
    if type(value) is WrittenNumber:
        return True
    if type(value) is not int:
        return False
    return value < 0 or (name == "quality_score" and value > 1)


def bad_numbers(pa: Any, name: str, numbers: Any) -> Any:
    """The rows of number field `name`'s column of doubles `numbers` whose value is bad
    (negative; a score outside [0, 1]), as Arrow indices: the few a source then looks up
    as stored (`shown_apart`), after one vectorized pass over all of them."""
    pc = pa.compute
    bad = pc.less(numbers, 0.0)
    if name == "quality_score":
        bad = pc.or_(bad, pc.greater(numbers, 1.0))
    return pc.indices_nonzero(pc.fill_null(bad, False))


@dataclass(frozen=True)
class OddTexts:
    """A text file's values that are none of their field's, held by Arrow: by field, a
    string column as long as the table holding the text of each such value (a CSV cell as
    written, a JSON value as JSON), missing elsewhere (`TextTable.odd`), and `held`,
    whether a row holds one. (As a dict of row -> text, as `OddCells` holds a table's, a
    million such cells, a file of "12 ms" throughout, held about 130 MB of Python objects
    for as long as the file.)"""

    texts: Mapping[str, Any]
    held: Any
    #: The value of such a cell's text for its field, as the standard reader reads it
    #: (`TextTable.parse`).
    parse: Callable[[str, str], Any] = as_written

    @classmethod
    def of_texts(
        cls, pa: Any, texts: Mapping[str, Any], parse: Callable[[str, str], Any] = as_written
    ) -> OddTexts | None:
        """The cells of `texts` (`TextTable.odd`, read by `parse`); None if there are
        none."""
        # (Each in one chunk: a `take` from a column of many, once per group, cost a
        # millisecond each.)
        columns = {
            name: column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
            for name, column in texts.items()
        }
        held = None
        for column in columns.values():
            valid = pa.compute.is_valid(column)
            held = valid if held is None else pa.compute.or_(held, valid)
        if held is None or not pa.compute.any(held).as_py():
            return None
        return cls(columns, held, parse)

    @classmethod
    def concatenated(cls, pa: Any, parts: Sequence[tuple[OddTexts | None, int]]) -> OddTexts | None:
        """The cells of tables of `(cells, rows)` concatenated (the files of a directory,
        each read by the same reader, so by one `parse`); None if there are none."""
        held = [odd for odd, _ in parts if odd is not None]
        if not held:
            return None
        kinds = {name: column.type for odd in held for name, column in odd.texts.items()}
        texts = {
            name: pa.concat_arrays(
                [
                    odd.texts[name]
                    if odd is not None and name in odd.texts
                    else pa.nulls(rows, kind)
                    for odd, rows in parts
                ]
            )
            for name, kind in kinds.items()
        }
        rows_held = pa.concat_arrays(
            [odd.held if odd is not None else pa.repeat(False, rows) for odd, rows in parts]
        )
        return cls(texts, rows_held, held[0].parse)

    def held_by(self, pa: Any, indices: Any | None) -> bool:
        """Whether a row of `indices` (row numbers of the table, an Arrow array; None for
        every row) holds such a cell."""
        held = self.held if indices is None else self.held.take(indices)
        return bool(pa.compute.any(held).as_py())

    def groups_holding(self, pa: Any, order: Any, codes: Any) -> set[int]:
        """The groups holding such a cell: `codes` numbers each row's group (null for
        none) where `order` lists the table's rows group by group (`PatternTable`)."""
        held = pa.compute.filter(codes, self.held.take(order))
        return {code for code in pa.compute.unique(held).to_pylist() if code is not None}

    def records(self, table: Any, indices: Any | None) -> dict[str, list[Any]] | list[Any]:
        """The records of `table`, the table's rows `indices` (an Arrow array; None for
        every row), as a dict of column -> list of values, each such cell's value in its
        place; as a list of record dicts where a timestamp is not text (a JSON number),
        which a dict of lists reads as epoch microseconds and a record refuses."""
        columns = {name: table.column(name).to_pylist() for name in table.column_names}
        for name, column in self.texts.items():
            texts = (column if indices is None else column.take(indices)).to_pylist()
            # (Each distinct text read once: a file of "fast" throughout parsed a million
            # JSON texts.)
            values = {text: self.parse(name, text) for text in set(texts) if text is not None}
            columns[name] = [
                value if text is None else values[text]
                for value, text in zip(columns[name], texts, strict=True)
            ]
        stamps = columns.get("timestamp", ())
        if "timestamp" in self.texts and any(type(stamp) not in _TEXT for stamp in stamps):
            return _as_records(columns)
        return columns


#: The types of a timestamp column's values as a table holds them.
_TEXT = (str, type(None))
