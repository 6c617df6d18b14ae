"""pandas frames whose four text columns (context, agent, project, file path) are numpy
objects, as pandas before version 3 holds all text, against the same frame with pandas'
`str` and `category` dtypes, reduced one after another in one process (the reducer's
synchronous call, one pattern):

    .venv/bin/python benches/pandas_object_text.py [ROWS] [ROUNDS]

Two frames of objects: "pooled", each distinct text one object (what `read_csv` gives),
and "fresh", a new str object per cell (a frame built from JSON or database rows); and the
pooled frame as a dict of numpy arrays. Two builds are compared by running the script
under each one's `PYTHONPATH` (BENCHMARKS.md).
"""

from __future__ import annotations

import statistics
import sys
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from timing import wall_seconds
from usage_analytics import ModelUsageAnalyticsInput, NodeUsageAnalyticsReducer

START = datetime(2026, 1, 1, tzinfo=UTC)
END = START + timedelta(days=30)
#: Each text column's distinct values.
POOLS = {"context_type": 12, "agent": 20, "project": 50, "file_path": 5_000}


def frames(n: int) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(7)
    offsets = pd.to_timedelta(rng.integers(0, 30 * 86_400_000_000, n), unit="us")
    numbers = {
        "timestamp": pd.Timestamp(START) + offsets,
        "success": rng.random(n) < 0.9,
        "execution_time_ms": rng.gamma(2.0, 50.0, n),
        "quality_score": rng.random(n),
    }
    picks = {name: rng.integers(0, size, n) for name, size in POOLS.items()}
    pooled = {
        name: np.array([f"{name}-{i}" for i in range(POOLS[name])], dtype=object)[pick]
        for name, pick in picks.items()
    }
    fresh = {  # (a str made per cell: equal texts, distinct objects)
        name: np.array(["".join((name, "-", str(i))) for i in pick.tolist()], dtype=object)
        for name, pick in picks.items()
    }
    return {
        "objects, pooled": pd.DataFrame(
            numbers | {k: pd.Series(v, dtype=object) for k, v in pooled.items()}
        ),
        "objects, fresh": pd.DataFrame(
            numbers | {k: pd.Series(v, dtype=object) for k, v in fresh.items()}
        ),
        "str dtype": pd.DataFrame(
            numbers | {k: pd.Series(v, dtype="str") for k, v in pooled.items()}
        ),
        "category dtype": pd.DataFrame(
            numbers | {k: pd.Series(v, dtype="category") for k, v in pooled.items()}
        ),
    }


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    reducer = NodeUsageAnalyticsReducer()
    seconds: dict[str, list[float]] = {}
    built: dict[str, Any] = dict(frames(n))
    pooled = built["objects, pooled"]
    arrays = {name: pooled[name].to_numpy() for name in pooled}
    arrays["timestamp"] = pooled["timestamp"].dt.tz_convert(None).to_numpy()  # (UTC, naive)
    built["dict of numpy objects"] = arrays
    for _ in range(rounds):
        for name, frame in built.items():
            contract = ModelUsageAnalyticsInput(
                pattern_id="bench",
                time_window_start=START,
                time_window_end=END,
                execution_data=frame,
            )
            call = partial(reducer.execute_reduction_sync, contract)
            seconds.setdefault(name, []).extend(wall_seconds(call, 1))
    print(f"{n:,} rows, four text columns: median (min) of {rounds}")
    for name, times in seconds.items():
        print(f"  {name:<16} {statistics.median(times) * 1e3:8.1f} ms ({min(times) * 1e3:.1f})")


if __name__ == "__main__":
    main()
