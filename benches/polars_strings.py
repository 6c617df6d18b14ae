"""One pattern's records as a polars DataFrame (whose strings cross to the core as Arrow
string views) and as a pyarrow table of plain strings, reduced in turn in one process:

    .venv/bin/python benches/polars_strings.py [RECORDS] [ROUNDS]

Two builds are compared by running it under each one's `PYTHONPATH` (BENCHMARKS.md).
"""

from __future__ import annotations

import statistics
import sys
from functools import partial
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).parent))

from dict_of_lists import START, reduced_to
from timing import interleaved, walls


def table(n: int) -> pa.Table:
    """N records over the window: 3 contexts, 20 agents, 5 projects, 200 file paths (names
    of 6-19 bytes: inline views but for most paths)."""
    rng = np.random.default_rng(0)
    start_us = int(START.timestamp()) * 10**6

    def names(values: list[str]) -> pa.Array:
        return pa.array(values).take(pa.array(rng.integers(0, len(values), n)))

    return pa.table(
        {
            "timestamp": pa.array(
                start_us + rng.integers(0, 30 * 86_400 * 10**6, n), pa.timestamp("us", tz="UTC")
            ),
            "success": pa.array(rng.random(n) < 0.9),
            "execution_time_ms": pa.array(rng.gamma(2.0, 100.0, n)),
            "context_type": names(["debugging", "review", "deploy"]),
            "agent": names([f"agent-{i}" for i in range(20)]),
            "project": names([f"project-{i}" for i in range(5)]),
            "file_path": names([f"src/module_{i}.py" for i in range(200)]),
        }
    )


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    plain = table(n)
    forms = {"pyarrow, plain strings": plain, "polars (string views)": pl.from_arrow(plain)}
    calls = {form: partial(reduced_to, n, data) for form, data in forms.items()}
    times = {form: walls(taken) for form, taken in interleaved(calls, rounds).items()}
    print(f"{n:,} records: median (min) of {rounds}")
    for form, spent in times.items():
        print(f"  {form:24} {statistics.median(spent) * 1e3:8.1f} ms ({min(spent) * 1e3:.1f})")


if __name__ == "__main__":
    main()
