"""SQLite rows read by the core into Arrow columns, without a Python object per cell.

`sqlite3` makes a Python object of every cell: a dashboard of two million rows spent most
of its time there and in turning those objects into columns. `native_rows` runs the same
statement on the core's bundled SQLite (`_core.sqlite_columns`, read-only, the GIL
released) and builds each column from the buffers it returns: the same Arrow columns
and `OddCells` the Python path (`sqlite_columns.python_rows`) makes of the rows.

Text in a flag or number column is typed as `typed_text` types it, by the core where it
cannot doubt the result (ASCII flag words, decimal numbers: a table `.import` made from
a CSV holds nothing but text), else here. Each other value of a field that its column
cannot hold comes back from the core on its own, missing in the column (an odd value:
text the core left to `typed_text`, a real flag, a blob, a number in a text field):
typed here, it is put in its place where its column holds it now (`_patched`), else
kept in the rows' `OddCells`, as the Python path's `set_aside` keeps it. Flags typed from
text are bools, stored integers int64 (as pyarrow makes Python's): where a column would
hold both, pyarrow refuses Python's values, and so does this (None). For text that is
not UTF-8, too many odd values or any SQLite error the core returns None too, and the
caller reads the rows through `sqlite3`, which types, judges and reports them as it
always has.

A dashboard's rows can be read in table order (a scan, where the ordered statement would
fetch the table's pages at random through an index) and sorted by the core into the
order of that statement (`order`: `sources.sqlite_scan`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, NamedTuple
from urllib.parse import quote

from usage_analytics import _core
from usage_analytics.extras import load_pyarrow
from usage_analytics.sources.arrow import field_type
from usage_analytics.sources.base import FLAG_FIELDS, NUMBER_FIELDS, PATTERN_ID, typed_text
from usage_analytics.sources.odd_cells import OddCells, held_types, shown_apart
from usage_analytics.sources.timestamps import ANALYSABLE_US

__all__ = ["FetchedRows", "native_rows", "newest_instant", "read_only_uri"]


class FetchedRows(NamedTuple):
    """Fetched rows, in fetch order: runs of one stored pattern id (value, row count;
    empty where no id was selected), the fields' pyarrow Table (None where the fields'
    values make none, or pyarrow is missing), the fields' values as `sqlite3` read them
    (where there is no table), each row's timestamp and key for messages, and the values
    the table does not hold (missing there: `OddCells`)."""

    id_runs: Sequence[tuple[Any, int]]
    table: Any
    columns: list[list[Any]]
    stamps: Sequence[Any]
    keys: Sequence[Any] | None
    odd: OddCells | None = None


class ArrowValues(Sequence[Any]):
    """An Arrow array's values as Python values, read one at a time (a message's row),
    with `odd` values (by row) in place of the array's missing ones."""

    def __init__(self, array: Any, odd: Mapping[int, Any] | None = None) -> None:
        self._array = array
        self._odd = odd or {}

    def __len__(self) -> int:
        return len(self._array)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            if not self._odd:
                return self._array[index].to_pylist()
            return [self[row] for row in range(*index.indices(len(self)))]
        row = index + len(self) if index < 0 else index
        if row in self._odd:
            return self._odd[row]
        return self._array[index].as_py()


def read_only_uri(path: Path) -> str:
    """The URI of a read-only connection to `path` (never creating it): its absolute path
    after an empty authority (`file://` + `/...`). After a bare `file:`, a path that
    starts with `//` (which pathlib keeps) was read as an authority, "invalid uri
    authority: tmp" of a file that is there."""
    return f"file://{quote(str(path.absolute()))}?mode=ro"


def _kind(name: str) -> str:
    if name == PATTERN_ID:
        return "id"
    if name in FLAG_FIELDS:
        return "flag"
    if name == "quality_score":
        return "score"  # (a number whose bad integers differ: see `shown_apart`)
    if name in NUMBER_FIELDS:
        return "number"
    return "text"  # (the timestamp and the text fields)


def _array(pa: Any, name: str, count: int, column: tuple[Any, ...]) -> Any:
    """A column the core read, as `table_from_columns` makes it of the same values: all
    missing, the field's own type (flags bool); else strings, int64 flags (stored
    integers), bool flags (typed from text) or float64."""
    kind, *buffers, validity = column
    valid = None if validity is None else pa.py_buffer(validity)
    if (
        valid is not None
        and pa.Array.from_buffers(pa.bool_(), count, [None, valid]).true_count == 0
    ):
        return pa.nulls(count, type=field_type(pa, name))
    if kind == "text":
        offsets, data = (pa.py_buffer(buffer) for buffer in buffers)
        return pa.StringArray.from_buffers(count, offsets, data, valid)
    arrow_type = pa.float64() if kind == "float" else pa.int64()
    array = pa.Array.from_buffers(arrow_type, count, [valid, pa.py_buffer(buffers[0])])
    return array.cast(pa.bool_()) if kind == "bool" else array


def _typed_odd(
    pa: Any, fields: Sequence[str], arrays: list[Any], cells: Sequence[tuple[int, int, Any]]
) -> OddCells | Literal[False] | None:
    """The odd values the core read (`cells`: row, place among `fields`, value), typed
    as `sqlite_columns.typed_columns` types them: each one its column holds now patched
    into `arrays` in its place, the others as `OddCells` (None if none are left); False
    where a column would hold what pyarrow makes no column of (flags typed from text
    beside stored integers)."""
    by_place: dict[int, dict[int, Any]] = {}
    for row, place, value in cells:
        by_place.setdefault(place, {})[row] = value
    values: dict[str, dict[int, Any]] = {}
    for place, odd in by_place.items():
        name = fields[place]
        held = held_types(name)
        typed = {
            row: typed_text(name, value) if isinstance(value, str) else value
            for row, value in odd.items()
        }
        # (A bad number stored as an integer, which the core hands back for that, stays
        # apart: patched in, an error would show it as the column's double.)
        fitting = {
            row: value
            for row, value in typed.items()
            if type(value) in held and not shown_apart(name, value)
        }
        kept = {row: value for row, value in typed.items() if row not in fitting}
        if fitting:
            patched = _patched(pa, arrays[place], fitting)
            if patched is None:
                return False
            arrays[place] = patched
        if kept:
            values[name] = kept
    return OddCells(values) if values else None


def _patched(pa: Any, array: Any, values: Mapping[int, Any]) -> Any:
    """`array` with `values` (by row: flags typed from text, or numbers) in place of its
    missing values there; None for flags in a column of stored integers (pyarrow refuses
    Python's bools and integers in one column)."""
    if pa.types.is_integer(array.type):
        return None
    mask = bytearray(len(array))
    for row in values:
        mask[row] = 1
    where = pa.Array.from_buffers(pa.uint8(), len(array), [None, pa.py_buffer(mask)])
    patch = pa.array([values[row] for row in sorted(values)], type=array.type)
    return pa.compute.replace_with_mask(array, where.cast(pa.bool_()), patch)


def native_rows(
    path: Path,
    sql: str,
    params: Sequence[Any],
    names: Sequence[str],
    keyed: bool,
    order: Sequence[int] = (),
) -> FetchedRows | None:
    """The rows of `sql` (selecting the fields `names`, the pattern id first where it is
    one, then the row's key where `keyed`), read by the core, and sorted by the selected
    columns at `order` (the pattern id's place first) where it names any, as SQLite orders
    them under the BINARY collation (`_core.sqlite_columns`), with the values their
    columns do not hold as `FetchedRows.odd`; None where pyarrow is missing, a value is
    one `sqlite3` must read, or SQLite fails (see the module)."""
    pa = load_pyarrow()
    if pa is None:
        return None
    kinds = [_kind(name) for name in names] + (["key"] if keyed else [])
    read = _core.sqlite_columns(read_only_uri(path), sql, list(params), kinds, list(order))
    if read is None:
        return None
    count, columns, cells = read
    with_id = bool(names) and names[0] == PATTERN_ID
    fields = names[1:] if with_id else names
    arrays = [
        _array(pa, name, count, column)
        for name, column in zip(fields, columns[with_id : len(names)], strict=True)
    ]
    # (Ids and keys are never odd: `place - with_id` is a field's place.)
    odd = _typed_odd(pa, fields, arrays, [(row, at - with_id, v) for row, at, v in cells])
    if odd is False:
        return None
    table = pa.Table.from_arrays(arrays, names=list(fields)) if count else None
    stamps = ArrowValues(
        arrays[fields.index("timestamp")], None if odd is None else odd.values.get("timestamp")
    )
    keys = None
    if keyed:
        keys = ArrowValues(_array(pa, "key", count, columns[len(names)]))
    return FetchedRows(columns[0] if with_id else [], table, [], stamps, keys, odd)


def newest_instant(path: Path, ts: str, clause: str, params: Sequence[Any]) -> list[int] | None:
    """The newest instant a window can hold (`window_stamp`) of the timestamps `ts` in the
    rows of `clause` (`FROM ... WHERE ...`), worked out by the core's SQLite without a
    Python object per row: [it], [] where none is, None where the core cannot (the caller
    then reads the texts itself)."""
    sql = (
        f"SELECT max(ua_s) FROM (SELECT ua_instant({ts}) AS ua_s {clause}) "
        "WHERE ua_s BETWEEN ? AND ?"
    )
    read = _core.sqlite_columns(read_only_uri(path), sql, [*params, *ANALYSABLE_US], ["flag"])
    if read is None:
        return None
    _, [(_, values, validity)], _ = read
    if validity is not None:  # (the max of no rows is NULL)
        return []
    return [int.from_bytes(values, "little", signed=True)]
