"""Folding N one-pattern batch states into one, three ways: `acc = acc.merge(x)` (a copy
of the growing state each time: quadratic), `acc.merge_in(x)` (in place) and
`BatchUsageAccumulator.merge_many` (one copy). Wall seconds of each fold.

    .venv/bin/python benches/merge_chain.py [N]
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from usage_analytics import BatchUsageAccumulator

START = datetime(2026, 1, 5, tzinfo=UTC)
END = START + timedelta(days=7)


def states(count: int) -> list[BatchUsageAccumulator]:
    out = []
    for index in range(count):
        accumulator = BatchUsageAccumulator(START, END)
        when = START + timedelta(minutes=index)
        accumulator.update(
            [
                {"pattern_id": f"p{index}", "timestamp": when, "execution_time_ms": 1.0 + i}
                for i in range(5)
            ]
        )
        out.append(accumulator)
    return out


def chained(parts: list[BatchUsageAccumulator]) -> BatchUsageAccumulator:
    merged = parts[0]
    for part in parts[1:]:
        merged = merged.merge(part)
    return merged


def in_place(parts: list[BatchUsageAccumulator]) -> BatchUsageAccumulator:
    merged = parts[0].merge(BatchUsageAccumulator(START, END))  # (a copy: parts unchanged)
    for part in parts[1:]:
        merged.merge_in(part)
    return merged


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    parts = states(count)
    folds: dict[str, Callable[[list[BatchUsageAccumulator]], BatchUsageAccumulator]] = {
        "acc = acc.merge(x)": chained,
        "acc.merge_in(x)": in_place,
        "merge_many": BatchUsageAccumulator.merge_many,
    }
    for name, fold in folds.items():
        began = time.perf_counter()
        merged = fold(parts)
        elapsed = time.perf_counter() - began
        patterns = len(merged.finalize().results)
        print(f"{name:>20}: {elapsed:7.3f} s ({patterns:,} patterns)")


if __name__ == "__main__":
    main()
