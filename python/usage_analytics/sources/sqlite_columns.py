"""Fetched SQLite rows as the reducer's columns: read in batches into columns (one object
per distinct text of a batch), grouped by pattern, and typed as the CSV reader types
cells (see `sources.sqlite`)."""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from usage_analytics.extras import load_pyarrow
from usage_analytics.sources.arrow import table_from_columns
from usage_analytics.sources.base import (
    FLAG_FIELDS,
    NUMBER_FIELDS,
    PATTERN_ID,
    TEXT_FIELDS,
    pattern_key,
    typed_text,
)
from usage_analytics.sources.odd_cells import OddCells, bad_numbers, held_types, shown_apart
from usage_analytics.sources.sqlite_native import FetchedRows

__all__ = [
    "FETCH_ROWS",
    "PatternKeys",
    "Positions",
    "column_values",
    "columns_data",
    "positions",
    "python_rows",
    "set_aside",
    "shared_places",
    "typed_columns",
]


def typed_columns(names: Sequence[str], columns: list[Sequence[Any]]) -> list[Sequence[Any]]:
    """The columns with their empty text missing, and the text of flag and number columns
    read as the CSV reader reads a cell (see the module docstring). A column without
    such text is kept as it is: finding that out costs about 10 ms per million values."""
    for position, name in enumerate(names):
        column = columns[position]
        if name in FLAG_FIELDS or name in NUMBER_FIELDS:
            if str in set(map(type, column)):
                columns[position] = [
                    (None if value == "" else typed_text(name, value))
                    if isinstance(value, str)
                    else value
                    for value in column
                ]
        elif "" in column:
            columns[position] = [None if value == "" else value for value in column]
    return columns


def columns_data(names: Sequence[str], columns: list[list[Any]]) -> Any:
    """Columns of the fields `names` as a pyarrow Table built column-wise, or record dicts
    (see the module)."""
    if not columns or not columns[0]:
        return []
    typed = typed_columns(names, list[Sequence[Any]](columns))
    pa = load_pyarrow()
    if pa is not None:
        table = table_from_columns(pa, names, typed)
        if table is not None:
            table, odd = integers_aside(pa, table, typed, None)
            return table if odd is None else odd.records(table, range(table.num_rows))
    return [dict(zip(names, values, strict=True)) for values in zip(*typed, strict=True)]


#: Rows fetched at a time and turned into columns at once, so that the rows' tuples never
#: all live together (two million rows of twelve values: 270 MB of tuples).
FETCH_ROWS = 65_536


def shared_places(names: Sequence[str]) -> set[int]:
    """The places of the text fields among `names`, whose equal values can be one object."""
    return {place for place, name in enumerate(names) if name in TEXT_FIELDS}


def column_values(cursors: Iterable[Any], width: int, shared: set[int]) -> list[list[Any]]:
    """The rows of `cursors` (or lists of rows), one after another, as `width` columns. In the
    `shared` columns (text only: equal values are then the same value) each batch holds
    one object per distinct value: `sqlite3` makes a new str per cell, so a million rows
    of a few agents held a million copies of their names. Called with the cyclic
    collector paused (`gc_paused`): the rows are new tuples, and collections walked them
    again and again (2-4 s of a 2M-row dashboard when they were all held; 10-15% of a
    fetch in batches, helper-106's review); they hold no cycles."""
    columns: list[list[Any]] = [[] for _ in range(width)]
    for cursor in cursors:
        while batch := (cursor.fetchmany(FETCH_ROWS) if hasattr(cursor, "fetchmany") else cursor):
            for place, column in enumerate(zip(*batch, strict=True)):
                if place in shared:
                    seen: dict[Any, Any] = {}
                    columns[place].extend(map(seen.setdefault, column, column))
                else:
                    columns[place].extend(column)
            if not hasattr(cursor, "fetchmany"):
                break
    return columns


def python_rows(names: Sequence[str], values: list[list[Any]], keyed: bool) -> FetchedRows:
    """Rows `sqlite3` read (`column_values`: the fields `names`, the pattern id first where
    it is one, then the row's key where `keyed`) as `FetchedRows`: runs of one stored id,
    and the fields' table where pyarrow makes one of their typed values."""
    with_id = bool(names) and names[0] == PATTERN_ID
    fields = names[1:] if with_id else names
    columns = values[with_id : len(names)]
    runs = []
    if with_id:
        runs = [(value, sum(1 for _ in run)) for value, run in itertools.groupby(values[0])]
    pa = load_pyarrow()
    table = odd = None
    if pa is not None and columns and columns[0]:
        typed = typed_columns(fields, list[Sequence[Any]](columns))
        table = table_from_columns(pa, fields, typed)
        if table is None:
            # Values of another type (text that is no number, a blob) set aside, their
            # patterns' records as Python values, the others' a table (`OddCells`).
            odd = set_aside(fields, typed)
            table = None if odd is None else table_from_columns(pa, fields, typed)
            odd = odd if table is not None else None
        if table is not None:
            table, odd = integers_aside(pa, table, typed, odd)
    keys = values[len(names)] if keyed else None
    return FetchedRows(runs, table, columns, values[names.index("timestamp")], keys, odd)


def integers_aside(
    pa: Any, table: Any, columns: Sequence[Sequence[Any]], odd: OddCells | None
) -> tuple[Any, OddCells | None]:
    """`table`, made of the typed values `columns` (a column each), with its bad numbers
    stored as integers (`shown_apart`: -1 in an INTEGER column, or the text "-1") missing,
    and kept in `odd` as stored, so that an error shows -1, not the -1.0 of the column's
    doubles (as the core's reader keeps them, `sqlite_native`). A vectorized pass over
    each number column; the stored values of its bad numbers alone looked at."""
    values = {} if odd is None else dict(odd.values)
    for place, name in enumerate(table.column_names):
        if name not in NUMBER_FIELDS:
            continue
        column = columns[place]
        rows = bad_numbers(pa, name, table.column(place)).to_pylist()
        apart = {row: column[row] for row in rows if shown_apart(name, column[row])}
        if not apart:
            continue
        mask = bytearray(table.num_rows)
        for row in apart:
            mask[row] = 1
        where = pa.Array.from_buffers(pa.uint8(), table.num_rows, [None, pa.py_buffer(mask)])
        missing = pa.scalar(None, table.schema.field(place).type)
        numbers = pa.compute.if_else(where.cast(pa.bool_()), missing, table.column(place))
        table = table.set_column(place, table.schema.field(place), numbers)
        values[name] = {**values.get(name, {}), **apart}
    return table, (OddCells(values) if values else odd)


def set_aside(names: Sequence[str], columns: list[Sequence[Any]]) -> OddCells | None:
    """The values of `columns` (of the fields `names`) that their field's column does not
    hold, by field and row, each replaced by None in `columns`; None if there are none.
    (A column's types are listed first, by C code: only a column holding others is
    read value by value.)"""
    values: dict[str, dict[int, Any]] = {}
    for position, name in enumerate(names):
        column, held = columns[position], held_types(name)
        if set(map(type, column)) <= held:
            continue
        odd = {row: value for row, value in enumerate(column) if type(value) not in held}
        values[name] = odd
        kept = columns[position] = list(column)
        for row in odd:
            kept[row] = None
    return OddCells(values) if values else None


class PatternKeys(dict[Any, str]):
    """`pattern_key` of each distinct stored id, worked out once. Ids equal in Python are
    one id, as they are in SQLite (7 and 7.0: its DISTINCT lists one of them), keyed as
    SQLite lists it: the dict starts with the listed ids."""

    def __init__(self, listed: Iterable[Any]) -> None:
        super().__init__()
        for value in listed:
            self.setdefault(value, pattern_key(value))

    def __missing__(self, value: Any) -> str:
        key = self[value] = pattern_key(value)
        return key


class Positions(Sequence[int]):
    """The rows of ranges, one after another, as one sequence (a group's rows: usually
    few ranges, but one per row where ids of two patterns alternate in SQL's order, as
    "a" and "A" of a NOCASE column do: iterated in one pass, indexed by bisection)."""

    def __init__(self, parts: Sequence[range]) -> None:
        self._parts = parts
        self._ends = list(itertools.accumulate(map(len, parts)))

    def __len__(self) -> int:
        return self._ends[-1] if self._ends else 0

    def __iter__(self) -> Iterator[int]:
        return itertools.chain.from_iterable(self._parts)

    def __getitem__(self, index: int) -> int:  # type: ignore[override]
        if not 0 <= index < len(self):
            raise IndexError(index)
        at = bisect.bisect_right(self._ends, index)
        return self._parts[at][index - (self._ends[at - 1] if at else 0)]


def positions(parts: Sequence[range]) -> Sequence[int]:
    """The rows of `parts`, one after another: `range(n)` where they are rows 0 to n - 1
    in order (as they nearly always are: fetched ordered by id), else a list."""
    if all(part.start == before.stop for before, part in itertools.pairwise(parts)) and (
        not parts or parts[0].start == 0
    ):
        return range(parts[-1].stop if parts else 0)
    return list(itertools.chain.from_iterable(parts))
