"""A 1M-row pandas frame's batch reduction: typed columns, and the same frame with its
`execution_time_ms` a column of Python objects (every third an int, all good: the only
kind of column `ingest._columns_shown_otherwise` looks at), the least and median of 5
calls after a warm-up each: wall time, and the process's CPU time (the steadier figure
on a shared machine).

    PYTHONPATH=<tree>/python .venv/bin/python benches/object_frames.py
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import pandas as pd
import timing
import usage_analytics
from usage_analytics import ModelUsageAnalyticsBatchInput, NodeUsageAnalyticsReducer

START = datetime(2026, 1, 5, tzinfo=UTC)
ROWS = 1_000_000


def frames() -> list[tuple[str, pd.DataFrame]]:
    """The typed frame and the frame whose `execution_time_ms` are Python objects."""
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
    return [("typed", typed), ("object column", objects)]


def print_times(name: str, call: Callable[[], object]) -> None:
    """Prints the least and median wall and CPU times of 5 calls after a warm-up."""
    print(f"{name}: {timing.wall_and_cpu(timing.repeated(call, 5, warm_ups=1))}")


def main() -> None:
    print(usage_analytics.__file__)
    reducer = NodeUsageAnalyticsReducer()
    for name, frame in frames():
        request = ModelUsageAnalyticsBatchInput(
            time_window_start=START, time_window_end=START + timedelta(days=7), execution_data=frame
        )
        print_times(name, partial(reducer.execute_batch_reduction_sync, request))


if __name__ == "__main__":
    main()
