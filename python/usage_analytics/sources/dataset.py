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
A key naming a record field but for ASCII case (`Pattern_Id=checkout/`, `SUCCESS=true/`)
is the field, as a column is (`column_case`): the keys of a file's path are matched among
themselves, the exact name winning and two keys of one field but for case
(`Pattern_Id=a/PATTERN_ID=b/`) refused naming both; each file by its own path, so
`Success=true/` and `success=false/` beside it are both the field. (Passed over, such a
key was an extra column: every run under `SUCCESS=true/` a failure, the records under
`Pattern_Id=a/` of no pattern.) A file whose own column gives a field its directories
give too, whatever the case of either (`Pattern_Id=p/` over a column `pattern_id`, or
`pattern_id=p/` over `Pattern_ID`), is refused as one of the same name is: which is its
value? (The design is silent on this. Taking the exact name, as for two columns of one
header, would drop the other's values without a word: the directory's, or the file's;
`--column FIELD=NAME` chooses, NAME as the directory or the file writes it.)
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

from usage_analytics.sources.base import SourceError, SourceUnavailableError, TableSpec
from usage_analytics.sources.column_case import ascii_folded, case_renames

__all__ = [
    "DATASET_KINDS",
    "aligned",
    "case_matched_partition",
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


def case_matched_partition(
    values: Mapping[str, str | None], spec: TableSpec, where: str
) -> tuple[dict[str, str | None], dict[str, str]]:
    """A file's partition `values` with each key naming a record field but for case (and
    that `spec` leaves to its own name) under the field's name (`column_case`; two keys
    of one field: an error naming them, `where` the file), and the keys so renamed as
    written, by field."""
    renames = case_renames(spec, values, where)
    matched = {renames.get(key, key): value for key, value in values.items()}
    return matched, {field: key for key, field in renames.items()}


def refuse_partition_clash(
    directory: Path,
    name: str,
    values: Mapping[str, Any],
    columns: Collection[str],
    written_keys: Mapping[str, str] | None = None,
    written_columns: Mapping[str, str] | None = None,
) -> None:
    """Refuse the file `name` whose `columns` (those it holds) include a key its
    partition directories give a value (`values`), both named as written: a key taken
    for a field but for case by `written_keys` (by field), a column by `written_columns`
    or, where that is None, by the name of `columns` writing the field but for case (a
    text file's records keep their keys beside the fields taken from them)."""
    clash = sorted(set(values) & set(columns))
    if not clash:
        return
    field = clash[0]
    key = (written_keys or {}).get(field, field)
    if written_columns is None:
        folded = ascii_folded(field)
        others = [
            column for column in columns if column != field and ascii_folded(column) == folded
        ]
        column = others[0] if others else field
    else:
        column = written_columns.get(field, field)
    if key == column == field:
        choose = ""
    else:  # (the names differ: the mapping can take the field from either)
        choose = (
            f" (both the record field {field!r} but for case; --column {field}=NAME "
            "chooses, NAME as the directory or the file writes it)"
        )
    raise SourceError(
        f"{directory}: {name} has a column {column!r} and lies in a directory "
        f"{key}=...: which is its value?{choose}"
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
