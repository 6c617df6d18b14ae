"""Pickling a batch's outputs: the pickle's size, its CPU time, and the memory it adds.

    .venv/bin/python benches/output_pickle.py [PATTERNS] [ROUNDS]

Defaults: 10,000 patterns of 20 records each (a list of dicts), DETAILED, 5 rounds. Each
round makes a fresh batch and times `pickle.dumps(results)` and `pickle.loads` of it (CPU
time of the calling thread; the best round is printed, steadier on a shared machine).
Then, under tracemalloc, one more batch: what pickling it added to the outputs pickled
(the sets of given fields made for the pickle) and what the restored outputs hold, per
output. Race two trees with `PYTHONPATH=TREE/python` first.
"""

from __future__ import annotations

import gc
import pickle
import random
import sys
import tracemalloc
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import usage_analytics
from timing import timed
from usage_analytics import ModelUsageAnalyticsBatchInput, NodeUsageAnalyticsReducer

END = datetime(2026, 3, 1, tzinfo=UTC)


def batch(records: list[dict[str, Any]]) -> dict[Any, Any]:
    return (
        NodeUsageAnalyticsReducer()
        .execute_batch_reduction_sync(
            ModelUsageAnalyticsBatchInput(
                time_window_start=END - timedelta(days=30),
                time_window_end=END,
                granularity="detailed",
                execution_data=records,
            )
        )
        .results
    )


def records_of(patterns: int) -> list[dict[str, Any]]:
    """20 records of each of `patterns` patterns, the same on every call."""
    rng = random.Random(1)
    return [
        {
            "pattern_id": i % patterns,
            "timestamp": END - timedelta(seconds=rng.randrange(30 * 86_400)),
            "success": rng.random() < 0.9,
            "execution_time_ms": rng.random() * 300,
            "agent": rng.choice("abc"),
        }
        for i in range(20 * patterns)
    ]


def main() -> None:
    patterns = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    records = records_of(patterns)
    dumps, loads = [], []
    for _ in range(rounds):
        results = batch(records)
        gc.collect()
        took, blob = timed(partial(pickle.dumps, results))
        dumps.append(took.cpu)
        took, restored = timed(partial(pickle.loads, blob))
        loads.append(took.cpu)
        del restored, results
        gc.collect()
    results = batch(records)
    gc.collect()
    tracemalloc.start()
    blob = pickle.dumps(results)
    grown = tracemalloc.get_traced_memory()[0] - len(blob)
    before = tracemalloc.get_traced_memory()[0]
    restored = pickle.loads(blob)
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert restored == results
    print(
        f"{usage_analytics.__file__}\n"
        f"{patterns:,} outputs: pickle {len(blob) / patterns:,.0f} B an output; "
        f"dumps {min(dumps) / patterns * 1e6:.1f} us, loads {min(loads) / patterns * 1e6:.1f} us "
        f"an output (CPU, best of {rounds}); the pickled outputs grew {grown / patterns:,.0f} B, "
        f"the restored hold {held / patterns:,.0f} B an output"
    )


if __name__ == "__main__":
    main()
