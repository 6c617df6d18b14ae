"""`PostgresSource.fetch_all` of a 30-day window whose 1M rows are stored out of time order,
best of ROUNDS calls (default 3): the case where the server's sort spilled to disk.

    PYTHONPATH=<tree>/python .venv/bin/python benches/postgres_shuffled.py \
        postgresql://user@host/db [ROUNDS]

makes the table (`pattern_executions`, by `create_executions_table`) when the database has
none: 1,000,000 records of four patterns, each at a random instant of November 2026,
inserted in random order by one INSERT ... SELECT on the server (`setseed(0.5)`).
"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import UTC, datetime

from usage_analytics.sources import PostgresSource
from usage_analytics.sources.postgres_connection import connect
from usage_analytics.sources.postgres_table import create_executions_table

START, END = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)


def build(url: str) -> None:
    connection = connect(url)
    try:
        cursor = connection.cursor()
        cursor.execute("SELECT to_regclass('pattern_executions') IS NOT NULL")
        if cursor.fetchone()[0]:
            return
        create_executions_table(cursor)
        cursor.execute("SELECT setseed(0.5)")
        cursor.execute(
            "INSERT INTO pattern_executions (pattern_id, timestamp, success, agent) "
            "SELECT 'p' || (i % 4), timestamptz '2026-11-01 00:00+00' "
            "+ random() * interval '30 days', random() < 0.9, 'a' || (i % 7) "
            "FROM generate_series(1, 1000000) i ORDER BY random()"
        )
        cursor.execute("ANALYZE pattern_executions")
        cursor.close()
    finally:
        connection.close()


async def measure(url: str, rounds: int) -> None:
    async with PostgresSource(url) as source:
        times = []
        for _ in range(rounds):
            began = time.perf_counter()
            groups = await source.fetch_all(START, END)
            times.append(time.perf_counter() - began)
        rows = sum(group.count for group in groups)
        shown = ", ".join(f"{t:.2f}" for t in times)
        print(f"fetch_all of November: best {min(times):.2f} s of {shown} ({rows:,} records)")


if __name__ == "__main__":
    build(sys.argv[1])
    asyncio.run(measure(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3))
