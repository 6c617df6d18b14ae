"""Builds of the core raced on a batch rolling monitor's adds where patterns come and go,
round by round in one process (`batch_rolling_patterns.py`'s race).

    .venv/bin/python benches/batch_rolling_churn.py [--cpu] [--hour] ROUNDS RECORDS PATTERNS DIR...

Each DIR holds a build as `DIR/usage_analytics/_core.abi3.so`. RECORDS records over 12
hours in pyarrow tables of 10,000 rows into a monitor of 1 h of 1 min buckets (its kept
range two hours), PATTERNS endpoints active at any time, their ids sliding so that the
active ones are all new every two hours: nearly every add moves the kept range and
forgets the patterns left without a bucket in it (`BatchRolling::forget`), which
`batch_rolling_patterns.py`'s one hour never does. Prints per build the least and median
seconds of the adds, and the medians' ratio to the first build's, after checking that
every build's monitor ends the same (its bytes and snapshot).

`--cpu`: the process's CPU seconds, not wall seconds (steadier on a loaded machine; with
`RAYON_NUM_THREADS=1` the adds' whole work on one thread). `--hour`:
`batch_rolling_patterns.py`'s records instead (one hour, no pattern forgotten).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent))

from batch_rolling import BUCKET, START, WINDOW, tables
from core_ab import load_core
from rolling_ab import adds, race, report
from timing import timed
from usage_analytics.streaming import RollingSettings, _core_arguments

HOURS = 12


def churning_tables(records: int, patterns: int, per_add: int) -> list[pa.Table]:
    """The records in time order, cut into adds; a record at minute m is of one of the
    endpoints m * patterns / 120 to that plus `patterns`."""
    rng = np.random.default_rng(7)
    start_us = int(START.timestamp() * 1_000_000)
    offsets = np.sort(rng.integers(0, HOURS * 3_600_000_000, records))
    first = offsets // 60_000_000 * patterns // 120
    ids = first + rng.integers(0, patterns, records)
    stamps = pa.array(start_us + offsets, pa.int64()).cast(pa.timestamp("us", tz="UTC"))
    whole = pa.table(
        {
            "pattern_id": pa.array([f"endpoint-{i:06d}" for i in ids], pa.string()),
            "timestamp": stamps,
            "success": rng.random(records) < 0.97,
            "execution_time_ms": rng.lognormal(3.0, 1.0, records),
        }
    )
    return [whole.slice(i, per_add) for i in range(0, records, per_add)]


def cpu_of_adds(monitor: Any, parts: list[pa.Table]) -> float:
    """The process's CPU seconds while `monitor` (a fresh core monitor) adds `parts`."""

    def add_all() -> None:
        for part in parts:
            monitor.add_arrow(part, True, None)

    took, _ = timed(add_all)
    return took.cpu


def main() -> None:
    flags = {arg for arg in sys.argv[1:] if arg.startswith("--")}
    rounds, records, patterns, *directories = (arg for arg in sys.argv[1:] if arg not in flags)
    cores = [load_core(directory, n) for n, directory in enumerate(directories)]
    arguments = _core_arguments(RollingSettings(window=WINDOW, bucket=BUCKET))
    made = tables if "--hour" in flags else churning_tables
    parts = made(int(records), int(patterns), 10_000)
    seconds_of = cpu_of_adds if "--cpu" in flags else adds
    ends = []
    for core in cores:
        monitor = core.CoreBatchRolling(*arguments)
        adds(monitor, parts)
        newest = monitor.newest_start_us
        ends.append((monitor.to_bytes(b""), repr(monitor.snapshot(newest)), monitor.pattern_count))
    assert all(end == ends[0] for end in ends), "the builds' monitors differ"
    print(f"patterns held at the end: {ends[0][2]}")
    times = race(
        int(rounds), cores, lambda core: seconds_of(core.CoreBatchRolling(*arguments), parts)
    )
    report("", directories, times)


if __name__ == "__main__":
    main()
