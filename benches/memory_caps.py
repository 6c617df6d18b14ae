"""The command over record files under address-space limits: how each run ends.

    .venv/bin/python benches/memory_caps.py [RECORDS] [HEADROOMS_MB] [TREE] [directories]

Writes RECORDS (default 200,000) records as CSV, JSON Lines and Parquet, then runs
`usage-analytics dashboard FILE --format json` in a child per file and headroom: the
child imports the command, caps its address space (`RLIMIT_AS`) at what it uses plus the
headroom (default 8,16,32,64,96,128,200,300 MB), and runs it. Prints each run's exit
status (negative: a signal, SIGABRT -6), wall time and last stderr line; a child still
running after 90 s is a hang ("TIMEOUT"). TREE is the `python/` directory whose package
the children import (default this checkout's), to race two builds in one run. With
`directories`, each kind's records are written instead as two directories: flat (four
files) and hive (`success=true/`, `success=false/`, two files each), each run as FILE.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

CHILD = """
import os, resource, sys
import pyarrow, pyarrow.csv, pyarrow.json, pyarrow.parquet
from usage_analytics.cli import main
with open("/proc/self/statm") as statm:
    used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
limit = used + int(sys.argv[1]) * 2**20
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
code = main(sys.argv[2:])
sys.stdout.flush()
os._exit(code)
"""


def records(n: int) -> pa.Table:
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
    return table


def write(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".csv":
        pacsv.write_csv(table, path)
    elif path.suffix == ".parquet":
        pq.write_table(table, path)
    else:
        path.write_text("".join(json.dumps(row) + "\n" for row in table.to_pylist()))


def write_files(folder: Path, n: int) -> list[Path]:
    table = records(n)
    paths = [folder / f"runs.{kind}" for kind in ("csv", "jsonl", "parquet")]
    for path in paths:
        write(table, path)
    return paths


def write_directories(folder: Path, n: int) -> list[Path]:
    """Per kind a flat directory of four files and a hive one by `success=` (see the
    module)."""
    table = records(n)
    paths = []
    for kind in ("csv", "jsonl", "parquet"):
        flat, hive = folder / f"flat-{kind}", folder / f"hive-{kind}"
        for part in range(4):
            write(table.slice(part * n // 4, n // 4), flat / f"day-{part}.{kind}")
        for flag in (True, False):
            rows = table.filter(pa.compute.equal(table["success"], flag))
            rows, half = rows.drop_columns(["success"]), rows.num_rows // 2
            for part, piece in enumerate([rows.slice(0, half), rows.slice(half)]):
                write(piece, hive / f"success={str(flag).lower()}" / f"part-{part}.{kind}")
        paths += [flat, hive]
    return paths


def run(tree: str, path: Path, headroom: int) -> str:
    start = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": tree}
    arguments = [str(headroom), "dashboard", str(path), "--format", "json"]
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, *arguments],
            capture_output=True,
            text=True,
            timeout=90,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return "TIMEOUT (a hang)"
    lines = done.stderr.strip().splitlines()
    last = lines[-1][:110] if lines else ""
    return f"{done.returncode:>3} {time.perf_counter() - start:5.1f} s  {last}"


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    headrooms = [
        int(h)
        for h in (sys.argv[2] if len(sys.argv) > 2 else "8,16,32,64,96,128,200,300").split(",")
    ]
    tree = sys.argv[3] if len(sys.argv) > 3 else str(Path(__file__).resolve().parents[1] / "python")
    directories = len(sys.argv) > 4 and sys.argv[4] == "directories"
    with tempfile.TemporaryDirectory() as folder:
        written = (write_directories if directories else write_files)(Path(folder), n)
        for path in written:
            for headroom in headrooms:
                print(f"{path.name:14} {headroom:4} MB  {run(tree, path, headroom)}", flush=True)


if __name__ == "__main__":
    main()
