"""The whole `usage-analytics` command on a small file, and how much of it is the
process's end: `analyze --format json` of a JSON Lines file of RECORDS records (one
pattern) and `dashboard --format json` of a Parquet file of them (10 patterns), each in a
process of its own. Each CODE is a directory put first on PYTHONPATH (the package's
`python/` of a checkout; by default the installed package), the CODEs alternated within
each round, so that code before and after a change is raced on the same files. Printed:
the least and the median wall time of each command, and of the time from `main`'s return
to the process's end as the parent sees it (both read CLOCK_MONOTONIC).

    .venv/bin/python benches/command_exit.py [RECORDS] [ROUNDS] [CODE ...]
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: The child: the command's entry point, timing `main`'s return on the shared clock.
_CHILD = """
import sys, time
import usage_analytics.cli as cli
command = cli.main
def main():
    status = command()
    sys.stderr.write(f"RETURNED {time.perf_counter():.6f}\\n")
    return status
cli.main = main
sys.argv[1:] = sys.argv[2:]
cli.entry()
"""


def write_files(folder: Path, records: int) -> dict[str, list[str]]:
    """The two commands' arguments, over files of `records` records under `folder`."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [
        {
            "pattern_id": f"p{i % 10}",
            "timestamp": f"2026-03-{1 + i % 28:02d}T{i % 24:02d}:00:00Z",
            "success": i % 7 != 0,
            "execution_time_ms": 10.0 + i % 90,
        }
        for i in range(records)
    ]
    jsonl = folder / "runs.jsonl"
    jsonl.write_text("".join(json.dumps(row) + "\n" for row in rows))
    table = pa.Table.from_pylist(rows)
    table = table.set_column(1, "timestamp", table["timestamp"].cast(pa.timestamp("us", "UTC")))
    parquet = folder / "runs.parquet"
    pq.write_table(table, parquet)
    return {
        "analyze jsonl": ["analyze", str(jsonl), "--pattern", "p1", "--format", "json"],
        "dashboard parquet": ["dashboard", str(parquet), "--format", "json"],
    }


def run(code: str | None, arguments: list[str]) -> tuple[float, float]:
    """The command's wall time and the time from `main`'s return to its end, seconds."""
    env = dict(os.environ)
    if code is not None:
        env["PYTHONPATH"] = code
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, "-", *arguments],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=True,
    )
    ended = time.perf_counter()
    returned = float(done.stderr.rsplit("RETURNED ", 1)[1].split()[0])
    return ended - began, ended - returned


def main() -> None:
    records = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    codes: list[str | None] = list(sys.argv[3:]) or [None]
    with tempfile.TemporaryDirectory() as folder:
        commands = write_files(Path(folder), records)
        times: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for turn in range(rounds):
            for code in codes if turn % 2 == 0 else codes[::-1]:
                for name, arguments in commands.items():
                    times.setdefault((name, str(code)), []).append(run(code, arguments))
    print(f"load average {os.getloadavg()[0]:.1f}; least / median of {rounds}, seconds")
    for (name, code), pairs in times.items():
        walls, ends = [wall for wall, _ in pairs], [end for _, end in pairs]
        print(
            f"{name:<18} {code}: whole {min(walls):.3f} / {statistics.median(walls):.3f}, "
            f"end {min(ends):.3f} / {statistics.median(ends):.3f}"
        )


if __name__ == "__main__":
    main()
