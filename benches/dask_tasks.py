"""Where a Dask run of `usage_analytics.dask.analyze` spends its time, task by task:

    .venv/bin/python benches/dask_tasks.py [RECORDS] [ROUNDS]

On `dask_bench.py`'s cluster (2 worker processes x 1 thread, `RAYON_NUM_THREADS=1`) and
records (RECORDS, default 100M, over 10,000 patterns, 2.5M a partition, persisted first),
each round runs `analyze` under `distributed.get_task_stream` and prints, per kind of
task (the partition states, `chunk`; the merge nodes, `customreduction-tree`), how many
ran, their summed compute and transfer seconds, the median and range of one task's
compute (as a worker timed it, both workers busy) and when the last one ended; then each
merge node's inputs' transfers and its compute, in the order they started. The partition
states' summed compute over the cores, against the run's wall time, shows the idle time.
"""

from __future__ import annotations

import math
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dask_bench
from distributed import Client, get_task_stream, wait


def kind(key: Any) -> str:
    """A task key's kind: its name without the token (`chunk`, `customreduction-tree`)."""
    name = key[0] if isinstance(key, tuple) else key
    return str(name).rsplit("-", 1)[0]


def report(tasks: list[dict[str, Any]], wall: float) -> None:
    print(f"analyze: {wall:.2f} s")
    if not tasks:
        print("  no task recorded (was the frame computed before the stream started?)")
        return
    first = min(part["start"] for task in tasks for part in task["startstops"])
    seconds: dict[str, Counter[str]] = defaultdict(Counter)
    count: Counter[str] = Counter()
    last: dict[str, float] = defaultdict(float)
    computes: dict[str, list[float]] = defaultdict(list)
    for task in tasks:
        name = kind(task["key"])
        count[name] += 1
        compute = 0.0
        for part in task["startstops"]:
            seconds[name][part["action"]] += part["stop"] - part["start"]
            last[name] = max(last[name], part["stop"] - first)
            if part["action"] == "compute":
                compute += part["stop"] - part["start"]
        computes[name].append(compute)
    for name, actions in seconds.items():
        spent = ", ".join(f"{action} {total:.2f} s" for action, total in actions.items())
        each = computes[name]
        print(
            f"  {name}: {count[name]} tasks, {spent}; a task's compute median "
            f"{statistics.median(each):.3f} s ({min(each):.3f}-{max(each):.3f}); "
            f"the last ended at {last[name]:.2f} s"
        )
    merges = [task for task in tasks if kind(task["key"]) == "customreduction-tree"]
    for task in sorted(merges, key=lambda task: task["startstops"][0]["start"]):
        steps = " ".join(
            f"{part['action']} {part['start'] - first:.2f}+{part['stop'] - part['start']:.3f}"
            for part in task["startstops"]
        )
        print(f"    merge node {task['key'][1:]}: {steps}")


def main() -> None:
    records = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    partitions = max(2, math.ceil(records / dask_bench.ROWS_PER_PARTITION))  # as dask_bench
    with dask_bench.local_cluster(2, 1) as cluster, Client(cluster) as client:
        dask_bench.ours(dask_bench.records_frame(20_000, 50, 4, 6), 8)  # warm up
        ddf = dask_bench.records_frame(records, 10_000, partitions, 5).persist()
        wait(ddf)
        for _ in range(rounds):
            with get_task_stream(client) as stream:
                started = time.perf_counter()
                dask_bench.ours(ddf, 8)
                wall = time.perf_counter() - started
            report(stream.data, wall)


if __name__ == "__main__":
    main()
