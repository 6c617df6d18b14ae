"""A directory of record files read as one source: what the Parquet dataset
(`parquet_dataset`) and the CSV or JSON Lines dataset (`text_dataset`) share.

Its files are found at any depth, in the order of their paths; names starting with "."
or "_" are left out (Spark's `_SUCCESS`, checksums), as are files of no record kind (a
README). Its record files must all be of one kind: a directory mixing kinds (Parquet and
CSV, CSV and JSON Lines, a SQLite database beside them) is refused naming two files of
different kinds, as one of a kind no dataset reads (compressed Parquet, a database),
rather than leaving some records out unseen. A `key=value` directory (hive partitioning)
gives its files' rows the column `key`, its value as text, as written ("007" stays
"007"; URL escapes such as %2F decoded; Hive's `__HIVE_DEFAULT_PARTITION__` missing).
A row is named by its file and its place there: "pattern_id=search/part-0.parquet, row
12", "2026-11-02.jsonl.gz, line 12".
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Callable, Collection, Mapping
from itertools import accumulate
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from usage_analytics.sources.base import SourceError, SourceUnavailableError

__all__ = [
    "DATASET_KINDS",
    "aligned",
    "dataset_files",
    "first_line",
    "partition_values",
    "refuse_partition_clash",
    "row_labels",
    "unified_schema",
]

#: The kinds of record files a directory is read as a dataset of, as messages name them.
DATASET_KINDS = {"parquet": "Parquet", "csv": "CSV", "jsonl": "JSON Lines"}

#: Hive's directory name for a missing partition value.
_HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"

_WHAT_IS_READ = (
    "a directory is read as a dataset of files of one kind: Parquet (.parquet, .pq), CSV "
    "or JSON Lines (also compressed)"
)


def dataset_files(directory: Path, kind_of: Callable[[str], str | None]) -> tuple[str, list[Path]]:
    """The kind of the record files under `directory` (a key of `DATASET_KINDS`) and the
    files, in the order of their paths (see the module). `kind_of` tells a file's kind
    by its name: a key of `DATASET_KINDS`, another kind's name ("compressed Parquet",
    "SQLite"), or None for a file holding no records."""
    found: list[tuple[Path, str]] = []
    for root, folders, names in os.walk(directory):
        folders[:] = sorted(name for name in folders if not name.startswith((".", "_")))
        for name in sorted(names):
            kind = None if name.startswith((".", "_")) else kind_of(name)
            if kind is not None:
                found.append((Path(root, name), kind))
    # (In the order of their paths: a walk gives a directory's files before its folders'.)
    found.sort(key=lambda item: item[0].relative_to(directory).parts)
    if not found:  # (as "is a directory" was: the command line's mistake)
        raise SourceUnavailableError(
            f"{directory}: is a directory without record files ({_WHAT_IS_READ}; else "
            "pass a record file or a database)"
        )
    first, kind = found[0]
    other = next(((path, other) for path, other in found if other != kind), None)
    if other is not None:
        raise SourceError(
            f"{directory}: holds {_shown(directory, first, kind)} and "
            f"{_shown(directory, *other)}: {_WHAT_IS_READ}; pass the files of one kind"
        )
    if kind not in DATASET_KINDS:
        raise SourceError(
            f"{directory}: holds {_shown(directory, first, kind)}, which a dataset does not "
            f"read ({_WHAT_IS_READ}); pass that file on its own"
        )
    return kind, [path for path, _ in found]


def _shown(directory: Path, path: Path, kind: str) -> str:
    """A file as a message names it: "day/runs.csv (CSV)"."""
    return f"{path.relative_to(directory)} ({DATASET_KINDS.get(kind, kind)})"


def partition_values(relative: Path) -> dict[str, str | None]:
    """The `key=value` directories of a file's path, as text (URL escapes decoded; Hive's
    `__HIVE_DEFAULT_PARTITION__` is missing)."""
    values: dict[str, str | None] = {}
    for part in relative.parent.parts:
        key, equals, value = part.partition("=")
        if equals and key:
            text = unquote(value)
            values[unquote(key)] = None if text == _HIVE_NULL else text
    return values


def refuse_partition_clash(
    directory: Path, name: str, values: Mapping[str, Any], columns: Collection[str]
) -> None:
    """Refuse the file `name` whose `columns` (those it holds) include a key its
    partition directories give a value (`values`)."""
    clash = sorted(set(values) & set(columns))
    if clash:
        raise SourceError(
            f"{directory}: {name} has a column {clash[0]!r} and lies in a directory "
            f"{clash[0]}=...: which is its value?"
        )


def unified_schema(pa: Any, tables: list[Any], keys: Collection[str]) -> Any:
    """The schema holding every column of `tables` and the partition `keys` (text), a
    column of two types as the type both fit where pyarrow's permissive promotion has
    one; raises pyarrow's error where there is none."""
    return pa.unify_schemas(
        [*(table.schema for table in tables), pa.schema([(key, pa.string()) for key in keys])],
        promote_options="permissive",
    )


def aligned(pa: Any, table: Any, values: Mapping[str, str | None], schema: Any) -> Any:
    """`table` with `schema`'s columns: its own (cast where the schema promotes them),
    its partition values, and missing (null) ones it lacks."""
    rows = table.num_rows
    columns = []
    for field in schema:
        if field.name in values:
            value = values[field.name]
            column = pa.nulls(rows, pa.string()) if value is None else pa.repeat(value, rows)
        elif field.name in table.column_names:
            column = table.column(field.name)
            if column.type != field.type:
                column = column.cast(field.type)
        else:
            column = pa.nulls(rows, field.type)
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=schema)


def row_labels(
    names: list[str], counts: list[int], place: Callable[[int, int], str]
) -> Callable[[int], str]:
    """Labels of the rows of files `names` of `counts` rows, concatenated: the file's
    name and `place(file number, row number in the file)` ("row 12", "line 12")."""
    ends = list(accumulate(counts))

    def label(index: int) -> str:
        at = bisect.bisect_right(ends, index)
        return f"{names[at]}, {place(at, index - (ends[at - 1] if at else 0))}"

    return label


def first_line(error: BaseException) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__
