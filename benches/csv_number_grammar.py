"""The csv module's reader (`FileSource(path, arrow=False)`, every number cell read by
`typed_text`) of one CSV file of RECORDS records (two number cells each), by the Python
code of each TREE given (its `python/` directory), one process per read, the trees
alternated, ROUNDS rounds: the best and median seconds of the read alone (`fetch_all`),
and each tree's ratio of medians to the first's. For `number_text`'s grammar (helper-243):
its checks before `float()` against the lead's tree of `float()` alone.

    .venv/bin/python benches/csv_number_grammar.py RECORDS ROUNDS TREE [TREE ...]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

#: One read, timed in the child: the file's records of every pattern, as `dashboard` reads.
_CHILD = """
import asyncio, sys, time
from datetime import datetime, UTC
from usage_analytics.sources import FileSource
source = FileSource(sys.argv[1], arrow=False)
began = time.perf_counter()
start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)
groups = asyncio.run(source.fetch_all(start, end))
print(time.perf_counter() - began, sum(group.count for group in groups))
"""


def build(path: Path, records: int) -> None:
    lines = ["pattern_id,timestamp,success,execution_time_ms,quality_score"]
    lines += [
        f"p{i % 20},2026-01-{1 + i % 28:02}T{i % 24:02}:00:00Z,true,{(i % 1000) * 1.5},"
        f"{(i % 100) / 100}"
        for i in range(records)
    ]
    path.write_text("\n".join(lines) + "\n")


def main() -> None:
    records, rounds, trees = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "runs.csv"
        build(path, records)
        times: dict[str, list[float]] = {tree: [] for tree in trees}
        for round_ in range(rounds):
            for tree in trees if round_ % 2 == 0 else trees[::-1]:
                out = subprocess.run(
                    [sys.executable, "-c", _CHILD, str(path)],
                    env={"PYTHONPATH": tree},
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout.split()
                assert int(out[1]) == records
                times[tree].append(float(out[0]))
        first = statistics.median(times[trees[0]])
        for tree, values in times.items():
            median = statistics.median(values)
            print(
                f"{tree}: best {min(values):.3f} s, median {median:.3f} s, "
                f"x{median / first:.2f} of the first"
            )


if __name__ == "__main__":
    main()
