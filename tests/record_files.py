"""The same records written as a CSV, a JSON Lines and a Parquet file
(`write_record_files`) or as directories of them (`write_record_directories`), for runs
of the command over each kind of file: the tests under memory limits
(`test_out_of_memory_files.py`, `test_out_of_memory_directories.py`) and their sweep
(`benches/memory_caps.py`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = [
    "RECORD_FILE_KINDS",
    "record_table",
    "write_record_directories",
    "write_record_file",
    "write_record_files",
]

RECORD_FILE_KINDS = ("csv", "jsonl", "parquet")


def record_table(n: int, seed: int = 1) -> Any:
    """`n` records of 200 patterns over 30 days (a fixed seed), as a pyarrow table."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    offsets = np.sort(rng.integers(0, 30 * 86_400 * 10**6, n)).astype("timedelta64[us]")
    stamps = np.datetime_as_string(np.datetime64("2024-01-01", "us") + offsets, unit="us")
    return pa.table(
        {
            "pattern_id": [f"p{i}" for i in rng.integers(0, 200, n)],
            "timestamp": [f"{stamp}Z" for stamp in stamps],
            "success": rng.random(n) < 0.9,
            "execution_time_ms": rng.random(n) * 100,
            "agent": [f"agent-{i}" for i in rng.integers(0, 50, n)],
        }
    )


def write_record_file(table: Any, path: Path) -> None:
    """`table` written at `path` as its suffix (.csv, .jsonl, .parquet) says."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".csv":
        pacsv.write_csv(table, path)
    elif path.suffix == ".parquet":
        pq.write_table(table, path)
    else:
        path.write_text("".join(json.dumps(row) + "\n" for row in table.to_pylist()))


def write_record_files(folder: Path, n: int) -> dict[str, Path]:
    """`record_table(n)` written in `folder` as `runs.csv`, `runs.jsonl` and
    `runs.parquet`, by kind."""
    table = record_table(n)
    paths = {kind: folder / f"runs.{kind}" for kind in RECORD_FILE_KINDS}
    for path in paths.values():
        write_record_file(table, path)
    return paths


def write_record_directories(folder: Path, n: int, seed: int = 2) -> dict[tuple[str, str], Path]:
    """`record_table(n, seed)` written in `folder` per kind in two layouts, by (kind,
    layout): "flat" (four files side by side) and "hive" (`success=true/` and
    `success=false/`, two files each, the flag given by the directory)."""
    import pyarrow.compute as pc

    table = record_table(n, seed)
    found = {}
    for kind in RECORD_FILE_KINDS:
        flat = folder / f"flat-{kind}"
        for part in range(4):
            write_record_file(table.slice(part * n // 4, n // 4), flat / f"day-{part}.{kind}")
        hive = folder / f"hive-{kind}"
        for flag in (True, False):
            rows = table.filter(pc.equal(table["success"], flag)).drop_columns(["success"])
            half = rows.num_rows // 2
            for part, piece in enumerate([rows.slice(0, half), rows.slice(half)]):
                write_record_file(
                    piece, hive / f"success={str(flag).lower()}" / f"part-{part}.{kind}"
                )
        found[kind, "flat"], found[kind, "hive"] = flat, hive
    return found
