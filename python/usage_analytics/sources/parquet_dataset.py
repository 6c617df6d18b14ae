"""A directory of Parquet files read as one table: a dataset as Spark, DuckDB's `COPY ...
(FORMAT parquet, PARTITION_BY ...)` or polars' partitioned writes leave it.

    exports/pattern_id=checkout/part-0.parquet
    exports/pattern_id=search/part-0.parquet       usage-analytics dashboard exports/

Its .parquet and .pq files are read as `dataset` finds them (at any depth, in the order
of their paths, names starting with "." or "_" left out), each `key=value` directory
giving its files' rows the column `key` as text (a key naming a record field but for case
is the field, `dataset`); a file holding a column of that field too, whatever its case, is
refused. Files whose columns differ are read with all of them: a column a file
lacks is missing (null) in its rows; a column of two types is read as the type both fit,
where pyarrow's permissive promotion has one (int32 and int64 as int64; timestamps in
the finer unit), text whether dictionary-encoded or not, times of two zones (or naive,
which is UTC) in UTC; else the read is refused naming the column, two files and their
types. A directory also holding record files of another kind, or compressed Parquet
files, is refused (`dataset`): their records would be left out unseen.

A row is named by its file and its row there: "pattern_id=search/part-0.parquet, row 12".

Pattern ids of other types in other files (integers in one day's export, text in the
next, as pandas writes a column holding one id "x"; doubles where an id was missing) are
read as text, each id the text `pattern_key` keys it by in a single file: the int 1 of
one file and the text "1" of another are one pattern, "1", as they are within one
SQLite column, one JSON Lines file or a directory of CSV files (whose ids are the text
the files show). (The design is silent on this. Such a directory was refused, "its
Parquet files disagree on a column's type", naming neither file; and ints beside doubles
were promoted to doubles, which refused an id past 2**53, a 64-bit hash. Refusing would
leave an analyst to rewrite files whose ids any single file's reading already takes as
one pattern; two patterns "1" in one dashboard would say nothing of which is which.)
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations
from pathlib import Path
from typing import Any

from usage_analytics.extras import load_pyarrow_module
from usage_analytics.sources.arrow import pattern_id_texts
from usage_analytics.sources.base import PATTERN_ID, SourceError, TableSpec
from usage_analytics.sources.column_case import case_renames
from usage_analytics.sources.dataset import (
    aligned,
    case_matched_partition,
    first_line,
    partition_types,
    refuse_partition_clash,
    row_labels,
    unified_schema,
)
from usage_analytics.sources.short_room import arrow_threads_allowed, read_parquet_threadless

__all__ = ["INT96_UNIT", "read_dataset"]

#: The unit Parquet's legacy INT96 timestamps (Spark's default, Hive's, Impala's) are read
#: in: microseconds, the core's own. pyarrow's default, nanoseconds, wrapped an instant
#: outside 1677-09-21 to 2262-04-11 into another year without a word (1500 read as 2084).
INT96_UNIT = "us"


def read_dataset(
    pa: Any, directory: Path, files: list[Path], spec: TableSpec | None = None
) -> tuple[Any, Callable[[int], str]]:
    """The Parquet `files` under `directory` (`dataset.dataset_files`) as one table (see
    the module), and the label of each of its rows; `spec` maps the columns (its pattern
    id column holds the pattern ids). A file's column that names a record field but for
    ASCII case (`column_case`) is read under the field's name: each file is matched by
    its own schema, as a directory's CSV files by their headers (one day's export
    `Success`, another's `success`: both the field; matched once the files were joined,
    the exact name won and the other files' rows were silently failures)."""
    spec = spec or TableSpec()
    names = [str(file.relative_to(directory)) for file in files]
    wheres = [f"{directory}, {name}" for name in names]
    partitions, written_keys = [], []
    for file, where in zip(files, wheres, strict=True):
        values, written = case_matched_partition(file.relative_to(directory), spec, where)
        partitions.append(values)
        written_keys.append(written)
    # (Each file by `ParquetFile.read`: half the time of the dataset API's scan, 4.6
    # against 10.0 ms for a file of 31 row groups, BENCHMARKS.md.)
    read = [
        _case_renamed(_read(pa, directory, file), spec, where)
        for file, where in zip(files, wheres, strict=True)
    ]
    tables = _agreeing(pa, [table for table, _ in read], spec.column(PATTERN_ID))
    for table, values, name, keys_written, (_, columns_written) in zip(
        tables, partitions, names, written_keys, read, strict=True
    ):
        refuse_partition_clash(
            directory, name, values, table.column_names, keys_written, columns_written
        )
    keys = partition_types(pa, partitions)
    try:
        schema = unified_schema(pa, tables, keys)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
        disagreement = _disagreement(pa, tables, names)
        if disagreement is None:
            disagreement = f"a column's type ({first_line(error)})"
        raise SourceError(f"{directory}: its Parquet files disagree on {disagreement}") from None
    alike = [
        aligned(pa, table, values, schema) for table, values in zip(tables, partitions, strict=True)
    ]
    counts = [table.num_rows for table in tables]
    return pa.concat_tables(alike), row_labels(names, counts, _row)


def _case_renamed(table: Any, spec: TableSpec, where: str) -> tuple[Any, dict[str, str]]:
    """`table`, a file's, with each column that names a record field but for case (and
    that neither the file nor `spec` names) renamed to the field (two such columns: an
    error naming them, `where`), and the columns so renamed as written, by field. (Its
    directories' keys are matched on their own: a field given by both is refused.)"""
    renamed = case_renames(spec, table.column_names, where)
    written = {field: column for column, field in renamed.items()}
    if not renamed:
        return table, written
    names = [renamed.get(name, name) for name in table.column_names]
    return table.rename_columns(names), written


def _read(pa: Any, directory: Path, file: Path) -> Any:
    """A file's table, its row groups as one chunk per column (a file of many small row
    groups, as pyarrow's `write_dataset` leaves them, was thousands of chunks); a file
    that is no Parquet is an error naming it. Under an address-space limit, read without
    pyarrow's threads, which may fail to start and then be waited for for ever
    (`short_room`)."""
    pq = load_pyarrow_module("pyarrow.parquet")

    try:
        if not arrow_threads_allowed():  # (under an address-space limit: `short_room`)
            return read_parquet_threadless(
                pq, file, coerce_int96_timestamp_unit=INT96_UNIT
            ).combine_chunks()
        with pq.ParquetFile(file, coerce_int96_timestamp_unit=INT96_UNIT) as parquet:
            return parquet.read().combine_chunks()
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as error:
        raise SourceError(
            f"{directory}: {file.relative_to(directory)} is not a readable Parquet file "
            f"({first_line(error)})"
        ) from None


def _agreeing(pa: Any, tables: list[Any], id_column: str) -> list[Any]:
    """`tables` with a column that some files hold in another encoding than others made
    alike: dictionary-encoded text as its values; times in another zone, or naive (UTC,
    as the library reads them), or of another unit, in UTC microseconds (pyarrow's
    promotion merges neither encodings nor zones, and takes the finer unit: nanoseconds,
    which hold only 1677-2262, refused a whole dataset for a millisecond file's 1500);
    pattern ids (`id_column`) of other types as their text (see the module)."""
    types: dict[str, set[Any]] = {}
    for table in tables:
        for field in table.schema:
            types.setdefault(field.name, set()).add(field.type)
    mixed = {name for name, kinds in types.items() if len(kinds) > 1}
    if not mixed:
        return tables
    # (A list or struct of ids is refused, by the promotion or the source's check of the
    # column's type, not keyed by Python's text of it.)
    ids_as_text = id_column in mixed and not any(map(pa.types.is_nested, types[id_column]))
    alike = []
    for table in tables:
        for index, field in enumerate(table.schema):
            kind = field.type
            if field.name not in mixed:
                continue
            if ids_as_text and field.name == id_column:
                column = pattern_id_texts(pa, table.column(index))
                table = table.set_column(index, pa.field(field.name, column.type), column)
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


def _disagreement(pa: Any, tables: list[Any], names: list[str]) -> str | None:
    """The first column two files (of `names`, whose tables are `tables`) hold in types
    with no type that fits both, as a message names it: "column 'x': a.parquet holds it as
    double, b.parquet as string"; None where no two do (pyarrow refused the set)."""
    first_of: dict[str, dict[Any, str]] = {}  # by column, the first file of each type
    for table, name in zip(tables, names, strict=True):
        for field in table.schema:
            first_of.setdefault(field.name, {}).setdefault(field.type, name)
    for column, files in first_of.items():
        for (one, one_file), (other, other_file) in combinations(files.items(), 2):
            try:
                pa.unify_schemas(
                    [pa.schema([(column, one)]), pa.schema([(column, other)])],
                    promote_options="permissive",
                )
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                return f"column {column!r}: {one_file} holds it as {one}, {other_file} as {other}"
    return None


def _in_microseconds(pa: Any, column: Any) -> Any:
    """A column of times with nanoseconds floored to the microsecond, as the core reads
    them (a cast truncates towards 1970); other units as they are (their cast to
    microseconds is exact, or refused past 64 bits of them, beyond the year 290,000)."""
    if column.type.unit != "ns":
        return column
    utc = column.cast(pa.timestamp("ns", "UTC"))
    return pa.compute.floor_temporal(utc, unit="microsecond")


def _row(file: int, row: int) -> str:
    return f"row {row + 1}"
