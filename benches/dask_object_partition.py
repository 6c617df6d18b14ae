"""One Dask partition's state (`usage_analytics.dask._partition_state`, the task each
partition runs on a worker) of a 1M-row pandas frame, typed, and with its
`execution_time_ms` a column of Python objects (every third an int, all good; the frame
of `benches/object_frames.py`, as `dataframe.convert-string` off leaves it): the median
and least of 5 calls after a warm-up each, wall time and the process's CPU time (less
moved by other processes on a loaded machine; the task is single-threaded but for the
core's own threads). Run in one process, no cluster: the task alone, as a worker runs it.

    PYTHONPATH=<tree>/python .venv/bin/python benches/dask_object_partition.py
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import usage_analytics
from usage_analytics import dask as ua_dask

START = datetime(2026, 1, 5, tzinfo=UTC)
ROWS = 1_000_000


def main() -> None:
    print(usage_analytics.__file__)
    rng = np.random.default_rng(0)
    times = rng.uniform(0, 1000, ROWS)
    typed = pd.DataFrame(
        {
            "pattern_id": rng.integers(0, 50, ROWS),
            "timestamp": pd.Timestamp(START)
            + pd.to_timedelta(rng.integers(0, 7 * 86_400, ROWS), unit="s"),
            "success": rng.random(ROWS) < 0.9,
            "execution_time_ms": times,
        }
    )
    mixed = [int(t) if i % 3 == 0 else float(t) for i, t in enumerate(times)]
    objects = typed.assign(execution_time_ms=pd.Series(mixed, dtype=object))
    settings = {"time_window_start": START, "time_window_end": START + timedelta(days=7)}
    for name, frame in (("typed", typed), ("object column", objects)):
        ua_dask._partition_state(frame, settings, "pattern_id")
        runs, cpu = [], []
        for _ in range(5):
            began, began_cpu = time.perf_counter(), time.process_time()
            ua_dask._partition_state(frame, settings, "pattern_id")
            runs.append(time.perf_counter() - began)
            cpu.append(time.process_time() - began_cpu)
        print(
            f"{name}: median {statistics.median(runs) * 1e3:.0f} ms, least "
            f"{min(runs) * 1e3:.0f} ms; CPU median {statistics.median(cpu) * 1e3:.0f} ms, "
            f"least {min(cpu) * 1e3:.0f} ms"
        )


if __name__ == "__main__":
    main()
