"""`PostgresSource.fetch_all` of a 30-day window whose 1M rows are stored out of time order,
best of ROUNDS calls (default 3): the case where the server's sort spilled to disk.

    PYTHONPATH=<tree>/python .venv/bin/python benches/postgres_shuffled.py \
        postgresql://user@host/db [ROUNDS] [narrow|wide]

makes the table (by `create_executions_table`) when the database has none of its name:
1,000,000 records of four patterns, each at a random instant of November 2026, inserted in
random order by one INSERT ... SELECT on the server (`setseed(0.5)`). `narrow` (the
default, `pattern_executions`): only `pattern_id`, `timestamp`, `success` and `agent`
filled; `wide` (`pattern_executions_wide`): every record field filled, as a generator's
records have them (helper-174's table of session 54, written by a script that was not
kept, had every field). Each call's CPU time in this process (the driver's worker thread
too; not the server's) is printed after its wall time: less swayed by other processes
on a loaded machine.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from usage_analytics.sources import PostgresSource
from usage_analytics.sources.base import TableSpec

sys.path.insert(0, str(Path(__file__).resolve().parent))
from postgres_tables import build_table
from timing import timed_awaited

START, END = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
TABLES = {"narrow": "pattern_executions", "wide": "pattern_executions_wide"}
_INSTANT = "timestamptz '2026-11-01 00:00+00' + random() * interval '30 days'"
_ROWS = {
    "narrow": (
        "(pattern_id, timestamp, success, agent) "
        f"SELECT 'p' || (i % 4), {_INSTANT}, random() < 0.9, 'a' || (i % 7) "
    ),
    "wide": (
        "(pattern_id, timestamp, success, execution_time_ms, quality_score, "
        "quality_gates_passed, timeout, context_type, agent, project, file_path) "
        f"SELECT 'p' || (i % 4), {_INSTANT}, random() < 0.9, random() * 2000, random(), "
        "random() < 0.95, random() < 0.01, 'ctx' || (i % 5), 'agent-' || (i % 6), "
        "'project-' || (i % 4), 'src/module_' || (i % 204) || '/file.py' "
    ),
}


def build(url: str, kind: str = "narrow") -> None:
    build_table(
        url,
        TABLES[kind],
        f"{_ROWS[kind]}FROM generate_series(1, 1000000) i ORDER BY random()",
        before=["SELECT setseed(0.5)"],
    )


async def measure(url: str, rounds: int, kind: str = "narrow") -> None:
    async with PostgresSource(url, TableSpec(table=TABLES[kind])) as source:
        times, cpu = [], []
        for _ in range(rounds):
            took, groups = await timed_awaited(partial(source.fetch_all, START, END))
            times.append(took.wall)
            cpu.append(took.cpu)
        rows = sum(group.count for group in groups)
        shown = ", ".join(f"{t:.2f}" for t in times)
        print(f"fetch_all of November: best {min(times):.2f} s of {shown} ({rows:,} records)")
        shown = ", ".join(f"{t:.2f}" for t in cpu)
        print(f"  this process's CPU (every thread's): best {min(cpu):.2f} s of {shown}")


if __name__ == "__main__":
    kind = sys.argv[3] if len(sys.argv) > 3 else "narrow"
    build(sys.argv[1], kind)
    asyncio.run(measure(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3, kind))
