"""Builds of the core raced on the batch rolling monitor's adds over many patterns, round
by round in one process (`batch_rolling_ab.py`'s race, with the records and patterns as
arguments).

    .venv/bin/python benches/batch_rolling_patterns.py ROUNDS RECORDS PATTERNS DIR [DIR ...]

Each DIR holds a build as `DIR/usage_analytics/_core.abi3.so`. A round gives every build
a fresh `CoreBatchRolling` (1 h of 1 min buckets) and times its adds of RECORDS records
over PATTERNS endpoints in one hour (`batch_rolling.tables`), in pyarrow tables of 10,000
rows (`add_arrow`, the core's whole call). Prints per build the least and median seconds
of the adds, and the medians' ratio to the first build's. Before the race, checks that
every build's monitor ends the same: the same bytes (`to_bytes`) and snapshot.
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
    rounds, records, patterns = (int(arg) for arg in sys.argv[1:4])
    directories = sys.argv[4:]
    cores = [load_core(directory, n) for n, directory in enumerate(directories)]
    arguments = _core_arguments(RollingSettings(window=WINDOW, bucket=BUCKET))
    parts = tables(records, patterns, 10_000)
    ends = []
    for core in cores:
        monitor = core.CoreBatchRolling(*arguments)
        adds(monitor, parts)
        newest = monitor.newest_start_us
        ends.append((monitor.to_bytes(b""), repr(monitor.snapshot(newest))))
    assert all(end == ends[0] for end in ends), "the builds' monitors differ"
    times = race(rounds, cores, lambda core: adds(core.CoreBatchRolling(*arguments), parts))
    report("", directories, times)


if __name__ == "__main__":
    main()
