"""The CLI's `dashboard --format json` on RECORDS records over 1,000 patterns held as one
Parquet file and as directories of Parquet files (a dataset): partitioned by pattern by
DuckDB (`COPY ... PARTITION_BY`, a row group a file) and by pyarrow's `write_dataset`
(of a table read from JSON Lines: many small row groups a file), and split in ten files
(`part-N.parquet`). Wall time and peak RSS of each
command, one process each, the layouts alternated.

    .venv/bin/python benches/parquet_dataset.py [RECORDS] [ROUNDS]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from jsonl_values import write
from text_odd_cells import race


def prepare(base: Path, records: int) -> None:
    """The layouts of the same records under `base` (run in a process of its own: a
    child's peak RSS counts its parent's at the fork)."""
    import duckdb
    import pyarrow as pa
    import pyarrow.dataset as ds
    import pyarrow.json as pajson
    import pyarrow.parquet as pq

    write(base / "runs.jsonl", records, 1_000, "text_ids")
    table = pajson.read_json(base / "runs.jsonl")
    stamps = table.column("timestamp").cast(pa.timestamp("us", "UTC"))
    table = table.set_column(table.column_names.index("timestamp"), "timestamp", stamps)
    pq.write_table(table, base / "one.parquet")
    ds.write_dataset(
        table,
        base / "pyarrow_by_pattern",
        format="parquet",
        partitioning=["pattern_id"],
        partitioning_flavor="hive",
    )
    one = str(base / "one.parquet")
    duckdb.sql(
        f"COPY (SELECT * FROM '{one}') TO '{base / 'duckdb_by_pattern'}' "
        "(FORMAT parquet, PARTITION_BY (pattern_id))"
    )
    (base / "ten").mkdir()
    size = -(-table.num_rows // 10)
    for part in range(10):
        pq.write_table(table.slice(part * size, size), base / "ten" / f"part-{part}.parquet")


def main() -> None:
    if sys.argv[1:2] == ["--prepare"]:
        prepare(Path(sys.argv[2]), int(sys.argv[3]))
        return
    records = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        subprocess.run([sys.executable, __file__, "--prepare", folder, str(records)], check=True)
        layouts = ["one.parquet", "duckdb_by_pattern", "pyarrow_by_pattern", "ten"]
        print(f"{records:,} records")
        race(base, layouts, rounds, "--start", "2025-01-01")


if __name__ == "__main__":
    main()
