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

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from batch_rolling import BUCKET, WINDOW, tables
from core_ab import load_core
from rolling_ab import adds, race, report
from usage_analytics.streaming import RollingSettings, _core_arguments


def main() -> None:
    rounds, directories = int(sys.argv[1]), sys.argv[2:]
    cores = [load_core(directory, n) for n, directory in enumerate(directories)]
    arguments = _core_arguments(RollingSettings(window=WINDOW, bucket=BUCKET))
    parts = tables(1_000_000, 2_000, 10_000)
    times = race(rounds, cores, lambda core: adds(core.CoreBatchRolling(*arguments), parts))
    report("", directories, times)


if __name__ == "__main__":
    main()
