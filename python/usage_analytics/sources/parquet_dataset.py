"""A directory of Parquet files read as one table: a dataset as Spark, DuckDB's `COPY ...
(FORMAT parquet, PARTITION_BY ...)` or polars' partitioned writes leave it.

    exports/pattern_id=checkout/part-0.parquet
    exports/pattern_id=search/part-0.parquet       usage-analytics dashboard exports/

Its .parquet and .pq files are read at any depth, in the order of their paths; names
starting with "." or "_" are left out (Spark's `_SUCCESS`, checksums), as are files of no
record kind (a README). A `key=value` directory (hive partitioning) gives its files' rows
the column `key`, its value as text, as written ("007" stays "007"; URL escapes such as
%2F decoded). Files whose columns differ are read with all of them: a column a file lacks
is missing (null) in its rows, and a column of two types is read as the type both fit
where pyarrow's permissive promotion has one (int32 and int64 as int64), else the read
is refused naming it. A directory also holding record files of another kind (.csv,
.jsonl, compressed or not) or compressed Parquet files is refused: their records would
be left out unseen.

A row is named by its file and its row there: "pattern_id=search/part-0.parquet, row 12".
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Callable
from itertools import accumulate
from pathlib import Path
from typing import Any

from usage_analytics.sources.base import SourceError, SourceUnavailableError

__all__ = ["read_dataset"]

#: A dataset's files, by lower-case suffix.
PARQUET_SUFFIXES = (".parquet", ".pq")


def read_dataset(
    pa: Any, directory: Path, other_kinds: tuple[str, ...]
) -> tuple[Any, Callable[[int], str]]:
    """The Parquet files under `directory` as one table (see the module), and the label
    of each of its rows; `other_kinds` are the suffixes of record files of another kind,
    whose presence is refused."""
    import pyarrow.dataset as ds

    files = _parquet_files(directory, other_kinds)
    # Every partition key as text: inferred, "007" and "7" were the integer 7.
    keys = dict.fromkeys(
        part.split("=", 1)[0]
        for file in files
        for part in file.relative_to(directory).parent.parts
        if "=" in part
    )
    dataset = ds.dataset(
        [str(file) for file in files],
        format="parquet",
        partitioning=ds.HivePartitioning.discover(
            schema=pa.schema([(key, pa.string()) for key in keys])
        ),
        partition_base_dir=str(directory),
    )
    fragments = list(dataset.get_fragments())
    schemas = [fragment.physical_schema for fragment in fragments]  # (a file unread raises)
    try:
        schema = pa.unify_schemas([dataset.schema, *schemas], promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
        raise SourceError(
            f"{directory}: its Parquet files disagree on a column's type ({_first_line(error)})"
        ) from None
    tables = [fragment.to_table(schema=schema) for fragment in fragments]
    names = [str(Path(fragment.path).relative_to(directory)) for fragment in fragments]
    return pa.concat_tables(tables) if tables else schema.empty_table(), _row_labels(
        names, [table.num_rows for table in tables]
    )


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
