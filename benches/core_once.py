"""One call of the core reducer (`usage_analytics.ingest.reduce_any`) on a generated table,
for instruction counts under callgrind, which a shared, noisy machine cannot disturb:

    RAYON_NUM_THREADS=1 valgrind --tool=callgrind --callgrind-out-file=cg.out \\
        .venv/bin/python benches/core_once.py patterns 2000000 2000
    .venv/bin/python benches/callgrind_core.py cg.out

prints the instructions executed in the `_core` extension (table generation, in numpy and
pyarrow, is not counted; nor are rayon's idle loops). Cases:

- `dict N`, `plain N`: N records of `peers.data.one_pattern_table`, one pattern;
- `patterns N P`: `peers.data.many_patterns_table(N, P)`, a batch;
- `agents N A P`: N records with A distinct agents (plain strings, uniform), one pattern
  when P is 1, else a batch over P integer pattern ids;
- `epoch N K`: N records with int64 timestamps (epoch microseconds), float times, one
  pattern, every K-th record outside the window (K = 0: none; K = 1: all, as epoch seconds
  would be).

With `REPEAT=K` in the environment, the call runs K times and each one's wall time is
printed (a batch's split into reading the records and finalizing the patterns; with
`OUTPUTS=1`, then the time to build its pydantic outputs from the finalized results):
two builds compared on a noisy machine by alternating processes, each importing its own
build first on `PYTHONPATH` (BENCHMARKS.md, session 15):

    for i in 1 2 3; do
        PYTHONPATH=/tmp/old-build REPEAT=4 .venv/bin/python benches/core_once.py dict 10000000
        PYTHONPATH=/tmp/new-build REPEAT=4 .venv/bin/python benches/core_once.py dict 10000000
    done
"""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).parent))

from peers import data
from usage_analytics import ModelUsageAnalyticsBatchInput, ModelUsageAnalyticsInput
from usage_analytics.ingest import reduce_any
from usage_analytics.output import batch_output
from usage_analytics.reducer import core_options


def _agents_table(n: int, agents: int, patterns: int) -> pa.Table:
    rng = np.random.default_rng(1)
    start_us = int(data.WINDOW_START.timestamp()) * 1_000_000
    names = pa.array([f"agent-{i}" for i in range(agents)])
    columns = {
        "timestamp": pa.array(
            start_us + rng.integers(0, 7 * 86_400 * 10**6, n), pa.timestamp("us", tz="UTC")
        ),
        "agent": names.take(pa.array(rng.integers(0, agents, n))),
    }
    if patterns > 1:
        columns["pattern_id"] = pa.array(rng.integers(0, patterns, n))
    return pa.table(columns)


def _epoch_table(n: int, every: int) -> pa.Table:
    rng = np.random.default_rng(1)
    stamps = int(data.WINDOW_START.timestamp()) * 1_000_000 + rng.integers(0, 86_400 * 10**6, n)
    if every:
        stamps[::every] -= 10 * 86_400 * 10**6  # (days before the window)
    return pa.table(
        {
            "timestamp": stamps,
            "success": rng.integers(0, 2, n).astype(bool),
            "execution_time_ms": rng.random(n) * 100,
        }
    )


def main(case: str, *sizes: int) -> None:
    window: dict[str, Any] = {
        "time_window_start": data.WINDOW_START,
        "time_window_end": data.WINDOW_END,
    }
    if case in ("dict", "plain"):
        table, batch = data.one_pattern_table(sizes[0], case), False
    elif case == "patterns":
        table, batch = data.many_patterns_table(sizes[0], sizes[1]), True
    elif case == "agents":
        table, batch = _agents_table(*sizes), sizes[2] > 1
        window["time_window_end"] = data.WINDOW_START + timedelta(days=7)
    elif case == "epoch":
        table, batch = _epoch_table(*sizes), False
        window["time_window_end"] = data.WINDOW_START + timedelta(days=1)
    else:
        raise SystemExit(f"unknown case {case!r}")
    contract: Any = (
        ModelUsageAnalyticsBatchInput(execution_data=table, **window)
        if batch
        else ModelUsageAnalyticsInput(pattern_id="p", execution_data=table, **window)
    )
    options = core_options(contract, by_pattern=batch)
    for _ in range(int(os.environ.get("REPEAT", "1"))):
        started = time.perf_counter()
        raw = reduce_any(table, options)
        read = time.perf_counter()
        # (A batch's patterns are finalized as its `groups` are read: all of them here.)
        groups = list(raw.pop("groups", ()))
        done = time.perf_counter()
        split = f" (read {(read - started) * 1000:.0f}, finalize {(done - read) * 1000:.0f})"
        total = f"{(done - started) * 1000:.0f} ms"
        print(f"{case} {sizes}: {total}{split if batch else ''}", flush=True)
        if batch and os.environ.get("OUTPUTS"):
            raw["groups"] = groups
            built = time.perf_counter()
            output = batch_output(contract, raw, built, datetime.now(UTC))
            print(f"  outputs: {(time.perf_counter() - built) * 1000:.0f} ms", flush=True)
            del output  # (freed after the timing)


if __name__ == "__main__":
    main(sys.argv[1], *(int(size) for size in sys.argv[2:]))
