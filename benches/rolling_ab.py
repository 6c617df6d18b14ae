"""Builds of the core raced on the one-pattern rolling monitor's adds, round by round in
one process (as `batch_rolling_ab.py` races the batch monitor's: the order flipped every
round).

    .venv/bin/python benches/rolling_ab.py ROUNDS DIR [DIR ...]

Each DIR holds a build as `DIR/usage_analytics/_core.abi3.so`. A round gives every build
a fresh `CoreRolling` (the Python layer's settings) per case and times its adds
(`add_arrow`, the core's whole call):

- `small`: `rolling_adds.py`'s monitor load, 2,000 tables of 1,000 records a second
  apart into 1 h of 1 min buckets (a bucket or two an add: no check as it goes);
- `fine`: one table of 100,000 records a second apart into a window of 100,000 buckets
  of 1 s (a bucket a record: a check every 1,024 new buckets).

The cases race one after the other (all rounds of `small`, then of `fine`). Prints per
build and case the least and median seconds of the round's adds, and the medians' ratio
to the first build's.
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import pyarrow as pa
from core_ab import load_core
from timing import timed
from usage_analytics.streaming import RollingSettings, _core_arguments

START_US = 1_772_323_200_000_000  # (2026-03-01, as rolling_adds.py's)


def tables(adds: int, size: int) -> list[pa.Table]:
    """`adds` tables of `size` records, a second apart throughout."""
    out = []
    for i in range(adds):
        micros = START_US + (i * size + np.arange(size, dtype=np.int64)) * 1_000_000
        stamps = pa.array(micros, pa.int64()).cast(pa.timestamp("us", tz="UTC"))
        out.append(pa.table({"timestamp": stamps, "success": np.ones(size, bool)}))
    return out


HOUR_OF_MINUTES = RollingSettings(window=timedelta(hours=1), bucket=timedelta(minutes=1))
SECOND_BUCKETS = RollingSettings(window=timedelta(seconds=100_000), bucket=timedelta(seconds=1))


def adds(monitor: Any, parts: list[Any]) -> float:
    """Seconds `monitor` (a fresh core monitor) takes to add `parts` (whole tables)."""

    def add_all() -> None:
        for part in parts:
            monitor.add_arrow(part, True, None)

    took, _ = timed(add_all)
    return took.wall


def race(
    rounds: int, cores: list[ModuleType], seconds_of: Callable[[ModuleType], float]
) -> list[list[float]]:
    """`seconds_of(core)` of every build, round by round, the order flipped every round: per
    build its seconds (also `batch_rolling_ab.py`'s)."""
    times: list[list[float]] = [[] for _ in cores]
    for round_ in range(rounds):
        order = list(range(len(cores)))
        for n in order if round_ % 2 == 0 else order[::-1]:
            times[n].append(seconds_of(cores[n]))
    return times


def report(label: str, directories: list[str], times: list[list[float]]) -> None:
    """Per build the least and median seconds, and the medians' ratio to the first's."""
    first = statistics.median(times[0])
    for directory, seconds in zip(directories, times, strict=True):
        median = statistics.median(seconds)
        print(
            f"{label}{directory}: least {min(seconds):.4f} s, median {median:.4f} s"
            f" (x{median / first:.2f} of the first's median)"
        )


def main() -> None:
    rounds, directories = int(sys.argv[1]), sys.argv[2:]
    cores = [load_core(directory, n) for n, directory in enumerate(directories)]
    cases = {
        "small": (HOUR_OF_MINUTES, tables(2_000, 1_000)),
        "fine": (SECOND_BUCKETS, tables(1, 100_000)),
    }
    for case, (settings, parts) in cases.items():
        arguments = _core_arguments(settings)

        def adds_of(core: ModuleType, arguments: Any = arguments, parts: Any = parts) -> float:
            return adds(core.CoreRolling(*arguments), parts)

        report(f"{case} ", directories, race(rounds, cores, adds_of))


if __name__ == "__main__":
    main()
