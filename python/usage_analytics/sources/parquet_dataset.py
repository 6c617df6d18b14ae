"""A directory of Parquet files read as one table: a dataset as Spark, DuckDB's `COPY ...
(FORMAT parquet, PARTITION_BY ...)` or polars' partitioned writes leave it.

    exports/pattern_id=checkout/part-0.parquet
    exports/pattern_id=search/part-0.parquet       usage-analytics dashboard exports/

Its .parquet and .pq files are read as `dataset` finds them (at any depth, in the order
of their paths, names starting with "." or "_" left out), each `key=value` directory
giving its files' rows the column `key` as text; a file holding a column of that name
too is refused. Files whose columns differ are read with all of them: a column a file
lacks is missing (null) in its rows; a column of two types is read as the type both fit,
where pyarrow's permissive promotion has one (int32 and int64 as int64; timestamps in
the finer unit), text whether dictionary-encoded or not, times of two zones (or naive,
which is UTC) in UTC; else the read is refused naming the column. A directory also
holding record files of another kind, or compressed Parquet files, is refused
(`dataset`): their records would be left out unseen.

A row is named by its file and its row there: "pattern_id=search/part-0.parquet, row 12".
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from usage_analytics.sources.base import SourceError
from usage_analytics.sources.dataset import (
    aligned,
    first_line,
    partition_values,
    refuse_partition_clash,
    row_labels,
    unified_schema,
)

__all__ = ["read_dataset"]


def read_dataset(pa: Any, directory: Path, files: list[Path]) -> tuple[Any, Callable[[int], str]]:
    """The Parquet `files` under `directory` (`dataset.dataset_files`) as one table (see
    the module), and the label of each of its rows."""
    names = [str(file.relative_to(directory)) for file in files]
    partitions = [partition_values(file.relative_to(directory)) for file in files]
    # (Each file by `ParquetFile.read`: half the time of the dataset API's scan, 4.6
    # against 10.0 ms for a file of 31 row groups, BENCHMARKS.md.)
    tables = _agreeing(pa, [_read(pa, directory, file) for file in files])
    for table, values, name in zip(tables, partitions, names, strict=True):
        refuse_partition_clash(directory, name, values, table.column_names)
    keys = dict.fromkeys(key for values in partitions for key in values)
    try:
        schema = unified_schema(pa, tables, keys)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
        raise SourceError(
            f"{directory}: its Parquet files disagree on a column's type ({first_line(error)})"
        ) from None
    alike = [
        aligned(pa, table, values, schema) for table, values in zip(tables, partitions, strict=True)
    ]
    counts = [table.num_rows for table in tables]
    return pa.concat_tables(alike), row_labels(names, counts, _row)


def _read(pa: Any, directory: Path, file: Path) -> Any:
    """A file's table, its row groups as one chunk per column (a file of many small row
    groups, as pyarrow's `write_dataset` leaves them, was thousands of chunks); a file
    that is no Parquet is an error naming it."""
    import pyarrow.parquet as pq

    try:
        with pq.ParquetFile(file) as parquet:
            return parquet.read().combine_chunks()
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as error:
        raise SourceError(
            f"{directory}: {file.relative_to(directory)} is not a readable Parquet file "
            f"({first_line(error)})"
        ) from None


def _agreeing(pa: Any, tables: list[Any]) -> list[Any]:
    """`tables` with a column that some files hold in another encoding than others made
    alike: dictionary-encoded text as its values; times in another zone, or naive (UTC,
    as the library reads them), in UTC. (pyarrow's promotion merges neither.)"""
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
            if pa.types.is_timestamp(kind) and kind.tz != "UTC":
                kind = pa.timestamp(kind.unit, "UTC")
            if kind != field.type:
                table = table.set_column(index, field.name, table.column(index).cast(kind))
        alike.append(table)
    return alike


def _row(file: int, row: int) -> str:
    return f"row {row + 1}"
