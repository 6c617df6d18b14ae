"""SQLite rows read by the core into Arrow columns, without a Python object per cell.

`sqlite3` makes a Python object of every cell: a dashboard of two million rows spent most
of its time there and in turning those objects into columns. `native_rows` runs the same
statement on the core's bundled SQLite (`_core.sqlite_columns`, read-only, the GIL
released) and builds each column from the buffers it returns. It reads only columns the
Python path would make the same Arrow column of (text or NULL in text fields and the
timestamp, integers or NULL in flags, numbers or NULL in numbers); for anything else
(text to convert in a flag or number column, a real flag, a blob, text that is not
UTF-8) or any SQLite error it returns None, and the caller reads the rows through
`sqlite3`, which types, judges and reports them as it always has.

A dashboard's rows can be read in table order (a scan, where the ordered statement would
fetch the table's pages at random through an index) and sorted by the core into the
order of that statement (`order`: `sources.sqlite_scan`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote

from usage_analytics import _core
from usage_analytics.extras import load_pyarrow
from usage_analytics.sources.arrow import field_type
from usage_analytics.sources.base import FLAG_FIELDS, NUMBER_FIELDS, PATTERN_ID
from usage_analytics.sources.odd_cells import OddCells
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
    """An Arrow array's values as Python values, read one at a time (a message's row)."""

    def __init__(self, array: Any) -> None:
        self._array = array

    def __len__(self) -> int:
        return len(self._array)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return self._array[index].to_pylist()
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
    if name in NUMBER_FIELDS:
        return "number"
    return "text"  # (the timestamp and the text fields)


def _array(pa: Any, name: str, count: int, column: tuple[Any, ...]) -> Any:
    """A column the core read, as `table_from_columns` makes it of the same values: all
    missing, the field's own type (flags bool); else strings, int64 flags or float64."""
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
    arrow_type = pa.int64() if kind == "int" else pa.float64()
    return pa.Array.from_buffers(arrow_type, count, [valid, pa.py_buffer(buffers[0])])


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
    them under the BINARY collation (`_core.sqlite_columns`); None where pyarrow is
    missing, a value is one `sqlite3` must read, or SQLite fails (see the module)."""
    pa = load_pyarrow()
    if pa is None:
        return None
    kinds = [_kind(name) for name in names] + (["key"] if keyed else [])
    read = _core.sqlite_columns(read_only_uri(path), sql, list(params), kinds, list(order))
    if read is None:
        return None
    count, columns = read
    with_id = bool(names) and names[0] == PATTERN_ID
    fields = names[1:] if with_id else names
    arrays = [
        _array(pa, name, count, column)
        for name, column in zip(fields, columns[with_id : len(names)], strict=True)
    ]
    table = pa.Table.from_arrays(arrays, names=list(fields)) if count else None
    stamps = ArrowValues(arrays[fields.index("timestamp")])
    keys = None
    if keyed:
        keys = ArrowValues(_array(pa, "key", count, columns[len(names)]))
    return FetchedRows(columns[0] if with_id else [], table, [], stamps, keys)


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
    _, [(_, values, validity)] = read
    if validity is not None:  # (the max of no rows is NULL)
        return []
    return [int.from_bytes(values, "little", signed=True)]
