"""The same records written as a CSV, a JSON Lines and a Parquet file
(`write_record_files`), for runs of the command over each kind of file: the tests under
memory limits (`test_out_of_memory_files.py`) and their sweep (`benches/memory_caps.py`).
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["RECORD_FILE_KINDS", "write_record_files"]

RECORD_FILE_KINDS = ("csv", "jsonl", "parquet")


def write_record_files(folder: Path, n: int) -> dict[str, Path]:
    """`n` records of 200 patterns over 30 days (a fixed seed), written in `folder` as
    `runs.csv`, `runs.jsonl` and `runs.parquet`, by kind."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    rng = np.random.default_rng(1)
    offsets = np.sort(rng.integers(0, 30 * 86_400 * 10**6, n)).astype("timedelta64[us]")
    stamps = np.datetime_as_string(np.datetime64("2024-01-01", "us") + offsets, unit="us")
    table = pa.table(
        {
            "pattern_id": [f"p{i}" for i in rng.integers(0, 200, n)],
            "timestamp": [f"{stamp}Z" for stamp in stamps],
            "success": rng.random(n) < 0.9,
            "execution_time_ms": rng.random(n) * 100,
            "agent": [f"agent-{i}" for i in rng.integers(0, 50, n)],
        }
    )
    paths = {kind: folder / f"runs.{kind}" for kind in RECORD_FILE_KINDS}
    pacsv.write_csv(table, paths["csv"])
    paths["jsonl"].write_text("".join(json.dumps(row) + "\n" for row in table.to_pylist()))
    pq.write_table(table, paths["parquet"])
    return paths
