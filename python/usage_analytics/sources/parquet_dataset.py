"""A directory of Parquet files read as one table: a dataset as Spark, DuckDB's `COPY ...
(FORMAT parquet, PARTITION_BY ...)` or polars' partitioned writes leave it.

    exports/pattern_id=checkout/part-0.parquet
    exports/pattern_id=search/part-0.parquet       usage-analytics dashboard exports/

Its .parquet and .pq files are read at any depth, in the order of their paths; names
starting with "." or "_" are left out (Spark's `_SUCCESS`, checksums), as are files of no
record kind (a README). A `key=value` directory (hive partitioning) gives its files' rows
the column `key`, its value as text, as written ("007" stays "007"; URL escapes such as
%2F decoded; Hive's `__HIVE_DEFAULT_PARTITION__` missing), and a file holding a column of
that name too is refused. Files whose columns differ are read with all of them: a column
a file lacks is missing (null) in its rows; a column of two types is read as the type
both fit, where pyarrow's permissive promotion has one (int32 and int64 as int64;
timestamps in the finer unit), text whether dictionary-encoded or not, times of two
zones (or naive, which is UTC) in UTC; else the read is refused naming the column. A
directory also holding record files of another kind (.csv, .jsonl, compressed or not) or
compressed Parquet files is refused: their records would be left out unseen.

A row is named by its file and its row there: "pattern_id=search/part-0.parquet, row 12".
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Callable
from itertools import accumulate
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from usage_analytics.sources.base import SourceError, SourceUnavailableError

__all__ = ["INT96_UNIT", "read_dataset"]

#: The unit Parquet's legacy INT96 timestamps (Spark's default, Hive's, Impala's) are read
#: in: microseconds, the core's own. pyarrow's default, nanoseconds, wrapped an instant
#: outside 1677-09-21 to 2262-04-11 into another year without a word (1500 read as 2084).
INT96_UNIT = "us"

#: A dataset's files, by lower-case suffix.
PARQUET_SUFFIXES = (".parquet", ".pq")

#: Hive's directory name for a missing partition value.
_HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"


def read_dataset(
    pa: Any, directory: Path, other_kinds: tuple[str, ...]
) -> tuple[Any, Callable[[int], str]]:
    """The Parquet files under `directory` as one table (see the module), and the label
    of each of its rows; `other_kinds` are the suffixes of record files of another kind,
    whose presence is refused."""
    files = _parquet_files(directory, other_kinds)
    names = [str(file.relative_to(directory)) for file in files]
    partitions = [_partition_values(file.relative_to(directory)) for file in files]
    # (Each file by `ParquetFile.read`: half the time of the dataset API's scan, 4.6
    # against 10.0 ms for a file of 31 row groups, BENCHMARKS.md.)
    tables = _agreeing(pa, [_read(pa, directory, file) for file in files])
    for table, values, name in zip(tables, partitions, names, strict=True):
        clash = sorted(set(values) & set(table.column_names))
        if clash:
            raise SourceError(
                f"{directory}: {name} has a column {clash[0]!r} and lies in a directory "
                f"{clash[0]}=...: which is its value?"
            )
    keys = dict.fromkeys(key for values in partitions for key in values)
    try:
        schema = pa.unify_schemas(
            [*(table.schema for table in tables), pa.schema([(key, pa.string()) for key in keys])],
            promote_options="permissive",
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
        raise SourceError(
            f"{directory}: its Parquet files disagree on a column's type ({_first_line(error)})"
        ) from None
    aligned = [
        _aligned(pa, table, values, schema)
        for table, values in zip(tables, partitions, strict=True)
    ]
    return pa.concat_tables(aligned), _row_labels(names, [table.num_rows for table in tables])


def _read(pa: Any, directory: Path, file: Path) -> Any:
    """A file's table, its row groups as one chunk per column (a file of many small row
    groups, as pyarrow's `write_dataset` leaves them, was thousands of chunks); a file
    that is no Parquet is an error naming it."""
    import pyarrow.parquet as pq

    try:
        with pq.ParquetFile(file, coerce_int96_timestamp_unit=INT96_UNIT) as parquet:
            return parquet.read().combine_chunks()
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as error:
        raise SourceError(
            f"{directory}: {file.relative_to(directory)} is not a readable Parquet file "
            f"({_first_line(error)})"
        ) from None


def _partition_values(relative: Path) -> dict[str, str | None]:
    """The `key=value` directories of a file's path, as text (URL escapes decoded; Hive's
    `__HIVE_DEFAULT_PARTITION__` is missing)."""
    values: dict[str, str | None] = {}
    for part in relative.parent.parts:
        key, equals, value = part.partition("=")
        if equals and key:
            text = unquote(value)
            values[unquote(key)] = None if text == _HIVE_NULL else text
    return values


def _agreeing(pa: Any, tables: list[Any]) -> list[Any]:
    """`tables` with a column that some files hold in another encoding than others made
    alike: dictionary-encoded text as its values; times in another zone, or naive (UTC,
    as the library reads them), or of another unit, in UTC microseconds (pyarrow's
    promotion merges neither encodings nor zones, and takes the finer unit: nanoseconds,
    which hold only 1677-2262, refused a whole dataset for a millisecond file's 1500)."""
    types: dict[str, set[Any]] = {}
    for table in tables:
        for field in table.schema:
            types.setdefault(field.name, set()).add(field.type)
    mixed = {name for name, kinds in types.items() if len(kinds) > 1}
    if not mixed:
        return tables
    alike = []
    for table in tables:
        for index, field in enumerate(table.schema):
            kind = field.type
            if field.name not in mixed:
                continue
            if pa.types.is_dictionary(kind):
                kind = kind.value_type
            column = table.column(index)
            if pa.types.is_timestamp(kind):
                column, kind = _in_microseconds(pa, column), pa.timestamp("us", "UTC")
            if kind != field.type:
                table = table.set_column(index, field.name, column.cast(kind))
        alike.append(table)
    return alike


def _in_microseconds(pa: Any, column: Any) -> Any:
    """A column of times with nanoseconds floored to the microsecond, as the core reads
    them (a cast truncates towards 1970); other units as they are (their cast to
    microseconds is exact, or refused past 64 bits of them, beyond the year 290,000)."""
    if column.type.unit != "ns":
        return column
    utc = column.cast(pa.timestamp("ns", "UTC"))
    return pa.compute.floor_temporal(utc, unit="microsecond")


def _aligned(pa: Any, table: Any, values: dict[str, str | None], schema: Any) -> Any:
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


def _parquet_files(directory: Path, other_kinds: tuple[str, ...]) -> list[Path]:
    """The dataset's files, in the order of their paths (see the module)."""
    found: list[Path] = []
    for root, folders, names in os.walk(directory):
        folders[:] = sorted(name for name in folders if not name.startswith((".", "_")))
        for name in sorted(names):
            if name.startswith((".", "_")):
                continue
            path = Path(root, name)
            if path.suffix.lower() in PARQUET_SUFFIXES:
                found.append(path)
            elif name.lower().endswith(other_kinds):
                raise SourceError(
                    f"{directory}: holds {path.relative_to(directory)}, a record file a "
                    "Parquet dataset does not read (a directory is read as a Parquet "
                    "dataset, its .parquet and .pq files); pass that file on its own"
                )
    # (In the order of their paths: a walk gives a directory's files before its folders'.)
    found.sort(key=lambda path: path.relative_to(directory).parts)
    if not found:  # (as "is a directory" was: the command line's mistake)
        raise SourceUnavailableError(
            f"{directory}: is a directory without Parquet files (a directory is read as a "
            "Parquet dataset, its .parquet and .pq files; else pass a record file or a "
            "database)"
        )
    return found


def _row_labels(names: list[str], counts: list[int]) -> Callable[[int], str]:
    """Labels of the rows of files `names` of `counts` rows, concatenated."""
    ends = list(accumulate(counts))

    def label(index: int) -> str:
        at = bisect.bisect_right(ends, index)
        return f"{names[at]}, row {index - (ends[at - 1] if at else 0) + 1}"

    return label


def _first_line(error: BaseException) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__
