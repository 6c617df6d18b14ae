"""The client's share of `PostgresSource.fetch_all` after its query: the 1M fetched rows
put in groups by pattern, each in time order, as the tree does it (before session 55's
helper-188, `_in_time_order` sorted them by time and `_groups` then grouped them: two
sorts, two copies of every row; after, `_groups` alone: one sort by pattern and time,
one copy). No server: the rows are an Arrow table shaped as `postgres_shuffled.py`'s
`wide` table fetches (four patterns, random instants of November 2026, every field,
`numpy` seed 5). ROUNDS rounds (default 7), each timed in CPU and wall time; prints the
median and the least.

    PYTHONPATH=<tree>/python .venv/bin/python benches/postgres_groups.py [ROUNDS]
"""

from __future__ import annotations

import statistics
import sys
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute  # (the source calls `pa.compute`)
from timing import timed
from usage_analytics.sources import postgres

ROWS = 1_000_000
NOVEMBER_US = 1_793_491_200_000_000  # 2026-11-01T00:00Z
DAYS_30_US = 30 * 86_400_000_000


def fetched_rows() -> Any:
    draw = np.random.default_rng(5)
    index = np.arange(ROWS)

    def texts(prefix: str, count: int) -> Any:
        return pa.array([f"{prefix}{k}" for k in range(count)]).take(pa.array(index % count))

    return pa.table(
        {
            "pattern_id": texts("p", 4),
            "timestamp": pa.array(
                NOVEMBER_US + draw.integers(0, DAYS_30_US, ROWS), pa.timestamp("us", "UTC")
            ),
            "success": pa.array(draw.random(ROWS) < 0.9),
            "execution_time_ms": pa.array(draw.random(ROWS) * 2000),
            "quality_score": pa.array(draw.random(ROWS)),
            "quality_gates_passed": pa.array(draw.random(ROWS) < 0.95),
            "timeout": pa.array(draw.random(ROWS) < 0.01),
            "context_type": texts("ctx", 5),
            "agent": texts("agent-", 6),
            "project": texts("project-", 4),
            "file_path": pa.array([f"src/module_{k}/file.py" for k in range(204)]).take(
                pa.array(index % 204)
            ),
        }
    )


def grouped(source: Any, table: Any) -> list[Any]:
    """What `fetch_all` does with its fetched `table` (no row in no window), as the tree
    under test does it."""
    in_time_order = getattr(postgres, "_in_time_order", None)  # (before helper-188)
    rows = table if in_time_order is None else in_time_order(pa, table)
    return list(source._groups(pa, rows, rows.slice(0, 0), [], "text"))


def main(rounds: int) -> None:
    table = fetched_rows()
    source = postgres.PostgresSource("postgresql://bench@localhost/none")  # (never connects)
    cpu, wall = [], []

    def counted() -> tuple[list[Any], int]:
        groups = grouped(source, table)
        return groups, sum(group.data.num_rows for group in groups)  # (each group's rows made)

    for _ in range(rounds):
        took, (groups, rows) = timed(counted)
        cpu.append(1000 * took.cpu)
        wall.append(1000 * took.wall)
        assert rows == ROWS, rows
        del groups
    for label, spent in (("CPU", cpu), ("wall", wall)):
        print(
            f"groups of {ROWS:,} rows, {label}: median {statistics.median(spent):.0f} ms, "
            f"least {min(spent):.0f} ms ({', '.join(f'{t:.0f}' for t in spent)})"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
