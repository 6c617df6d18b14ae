"""Builds of the core raced on the batch rolling monitor's adds, round by round in one
process (as `core_ab.py` races its cases: the order flipped every round).

    .venv/bin/python benches/batch_rolling_ab.py ROUNDS DIR [DIR ...]

Each DIR holds a build as `DIR/usage_analytics/_core.abi3.so`. A round gives every build
a fresh `CoreBatchRolling` (the Python layer's settings, 1 h of 1 min buckets) and times
its adds of `batch_rolling.py`'s default records: 1,000,000 over 2,000 endpoints in one
hour, in 100 pyarrow tables of 10,000 rows (`add_arrow`, the core's whole call). Prints
per build the least and median seconds of the 100 adds, and the medians' ratio to the
first build's.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from batch_rolling import BUCKET, WINDOW, tables
from core_ab import load_core
from usage_analytics.streaming import RollingSettings, _core_arguments


def adds(core: Any, arguments: tuple[Any, ...], parts: list[Any]) -> float:
    monitor = core.CoreBatchRolling(*arguments)
    started = time.perf_counter()
    for part in parts:
        monitor.add_arrow(part, True, None)
    return time.perf_counter() - started


def main() -> None:
    rounds = int(sys.argv[1])
    cores = [load_core(directory, n) for n, directory in enumerate(sys.argv[2:])]
    arguments = _core_arguments(RollingSettings(window=WINDOW, bucket=BUCKET))
    parts = tables(1_000_000, 2_000, 10_000)
    times: list[list[float]] = [[] for _ in cores]
    for round_ in range(rounds):
        order = list(range(len(cores)))
        for n in order if round_ % 2 == 0 else order[::-1]:
            times[n].append(adds(cores[n], arguments, parts))
    first = statistics.median(times[0])
    for directory, seconds in zip(sys.argv[2:], times, strict=True):
        median = statistics.median(seconds)
        print(
            f"{directory}: least {min(seconds):.3f} s, median {median:.3f} s"
            f" (x{median / first:.2f} of the first's median)"
        )


if __name__ == "__main__":
    main()
