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
is the field, as a column is (`column_case`); each file by its own path, so
`Success=true/` and `success=false/` beside it are both the field. (Passed over, such a
key was an extra column: every run under `SUCCESS=true/` a failure, the records under
`Pattern_Id=a/` of no pattern.) A file's path giving one field (or one column) in two
directories, `Pattern_Id=a/pattern_id=b/` or `day=1/day=2/`, gives it once where both
hold one value, and is refused naming both directories where they differ: which is its
value? A record has one, and `--column` cannot choose between two directories (it maps
a field to a name, which the other files' paths may not hold); the directories are to
be renamed or moved. (The design is silent on this. Until session 59 the exact key won
without a word, `Pattern_Id=a/` lost; two spellings neither exact were refused with
advice to use `--column`; one key twice kept the deeper value.)
A flag field's directory (`success=yes/`) is read as a CSV cell of its text is:
true/false, t/f, yes/no, y/n or 1/0, any case, trimmed (an empty value is missing); other
text is refused naming the directory, the field, the value and the flag texts, as the core
names a CSV cell's ("field 'success' = 'maybe': must be a flag's text: ..."). Refused when
the directory is read rather than record by record, `--on-invalid skip` included: the
value is the layout's, not a record's, and skipping would leave out a whole directory as
invalid records. (Until session 59 every directory flag was text, which the core refused
whole: "column 'success' has Arrow type Utf8".) A number field's directory
(`execution_time_ms=12/`, `quality_score=0.5/`) is read as a CSV cell of its text is too,
a bad value refused so, with the core's reason ("must be >= 0"): `partition_numbers`. A
file whose own column gives a field its directories give too, whatever the case of either
(`Pattern_Id=p/` over a column `pattern_id`, or `pattern_id=p/` over `Pattern_ID`), is
refused as one of the same name is: which is its value? (The design is silent on this.
Taking the exact name, as for two columns of one header, would drop the other's values
without a word: the directory's, or the file's; `--column FIELD=NAME` chooses, NAME as the
directory or the file writes it.)
A row is named by its file and its place there: "pattern_id=search/part-0.parquet, row
12", "2026-11-02.jsonl.gz, line 12".
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Callable, Collection, Mapping, Sequence
from itertools import accumulate
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from usage_analytics.sources.base import (
    FIELDS,
    FLAG_FIELDS,
    NUMBER_FIELDS,
    PATTERN_ID,
    FlagText,
    SourceError,
    SourceUnavailableError,
    TableSpec,
    typed_text,
)
from usage_analytics.sources.column_case import ascii_folded
from usage_analytics.sources.partition_numbers import number_partition_value
from usage_analytics.sources.records import renamer

__all__ = [
    "DATASET_KINDS",
    "aligned",
    "case_matched_partition",
    "dataset_files",
    "first_line",
    "partition_directories",
    "partition_types",
    "partition_values",
    "refuse_partition_clash",
    "row_labels",
    "typed_partition_value",
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


def partition_directories(relative: Path) -> list[tuple[str, str, str | None]]:
    """The `key=value` directories of a file's path: each as written, its key and its
    value as text (URL escapes decoded; Hive's `__HIVE_DEFAULT_PARTITION__` is missing)."""
    found: list[tuple[str, str, str | None]] = []
    for part in relative.parent.parts:
        key, equals, value = part.partition("=")
        if equals and key:
            text = unquote(value)
            found.append((part, unquote(key), None if text == _HIVE_NULL else text))
    return found


def partition_values(relative: Path) -> dict[str, str | None]:
    """The `key=value` directories of a file's path, as text, by key
    (`partition_directories`)."""
    return {key: value for _, key, value in partition_directories(relative)}


def case_matched_partition(
    relative: Path, spec: TableSpec, where: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """The partition values of the file at `relative` (`partition_directories`), each
    key naming a record field but for case (and that `spec` leaves to its own name)
    under the field's name (`column_case`), a flag field's value its flag and a number
    field's its number (`typed_partition_value`), and the keys so renamed as written, by field. Two
    directories giving one name different values are an error naming them (`where`:
    the file); see the module."""
    unmapped = {ascii_folded(field): field for field in (PATTERN_ID, *FIELDS)}
    unmapped = {folded: field for folded, field in unmapped.items() if field not in spec.columns}
    given: dict[str, list[tuple[str, str, str | None]]] = {}
    for directory, key, value in partition_directories(relative):
        given.setdefault(unmapped.get(ascii_folded(key), key), []).append((directory, key, value))
    rename = renamer(spec.columns)
    values: dict[str, Any] = {}
    written: dict[str, str] = {}
    for name, directories in given.items():
        first, key, value = directories[0]
        other = next((found for found in directories if found[2] != value), None)
        if other is not None:
            what = f"the record field {name!r}" if name in unmapped.values() else f"{name!r}"
            raise SourceError(
                f"{where}: directories {first!r} and {other[0]!r} both give {what}, with "
                "different values: which is its value? Rename or move one of them, so that "
                "the file's path gives it once"
            )
        if all(found[1] != name for found in directories):
            written[name] = key
        values[name] = typed_partition_value(name, value, rename, first, where)
    return values, written


def typed_partition_value(
    name: str, value: str | None, rename: Callable[[str], list[str]], directory: str, where: str
) -> Any:
    """The value of the partition key `name` (its `directory` as written, in the file at
    `where`): for a key feeding flag fields alone (by `rename`, the mapping's), the flag
    its text is as a CSV cell (`typed_text`; empty: missing), for one feeding number
    fields alone the number (`partition_numbers`), else `value` as it is. A text that is
    no flag is an error naming the directory, field, value and flag texts; one that is no
    good number, naming the directory, field, value and the core's reason."""
    fields = [field for field in rename(name) if field in (PATTERN_ID, *FIELDS)]
    flags = all(field in FLAG_FIELDS for field in fields)
    numbers = all(field in NUMBER_FIELDS for field in fields)
    if value is None or not fields or not (flags or numbers):
        return value
    if not value:  # (an empty cell is a missing value)
        return None
    if numbers:
        # (Each field the key feeds judges it: a key mapped to the time and the score, 5,
        # is a time but no score.)
        numbers_read = [number_partition_value(field, value, directory, where) for field in fields]
        return numbers_read[0]
    flag = typed_text(fields[0], value)
    if isinstance(flag, bool):
        return flag
    raise SourceError(
        f"{where}: field {fields[0]!r} (directory {directory!r}) = {value!r}: "
        f"{FlagText.flag_reason}"
    )


def partition_types(pa: Any, partitions: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The type of each partition key over the files' `partitions`: a flag's (a value
    that `typed_partition_value` made a flag, or a flag field's key) bool, a number's (a
    value it made a number, or a number field's key) float64, as the text readers read
    a number field's column, else text."""
    types: dict[str, Any] = {}
    for values in partitions:
        for key, value in values.items():
            if isinstance(value, bool) or (value is None and key in FLAG_FIELDS):
                types[key] = pa.bool_()
            elif isinstance(value, (int, float)) or (value is None and key in NUMBER_FIELDS):
                types[key] = pa.float64()
            else:
                types.setdefault(key, pa.string())
    return types


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


def unified_schema(pa: Any, tables: list[Any], keys: Mapping[str, Any]) -> Any:
    """The schema holding every column of `tables` and the partition `keys` (of their
    types, `partition_types`), a
    column of two types as the type both fit where pyarrow's permissive promotion has
    one; raises pyarrow's error where there is none."""
    return pa.unify_schemas(
        [*(table.schema for table in tables), pa.schema(list(keys.items()))],
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
            column = pa.repeat(pa.scalar(value, field.type), rows)
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
