"""`PostgresSource.fetch_all` over windows of 1, 30 and 400 days of a table of 3M records
over 3 patterns (1M each, one every 10 s from 2025-01-01), best of two calls each.

    .venv/bin/python benches/postgres_fetch_all.py postgresql://user@host/db

makes the table (`pattern_executions`, by `create_executions_table`) when the database has
none, filled by one INSERT ... SELECT generate_series on the server.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from usage_analytics.sources import PostgresSource

sys.path.insert(0, str(Path(__file__).resolve().parent))
from postgres_tables import build_table
from timing import timed_awaited

END = datetime(2025, 6, 1, tzinfo=UTC)


def build(url: str) -> None:
    build_table(
        url,
        "pattern_executions",
        "(pattern_id, timestamp, success) "
        "SELECT 'p' || (i % 3), timestamp '2025-01-01' + i * interval '10 seconds', true "
        "FROM generate_series(1, 3000000) i",
    )


async def measure(url: str) -> None:
    source = PostgresSource(url)
    async with source:
        await source.fetch_all(END - timedelta(days=1), END)  # connect, warm the cache
        for days in (1, 30, 400):
            best, rows = float("inf"), 0
            for _ in range(2):
                took, groups = await timed_awaited(
                    partial(source.fetch_all, END - timedelta(days=days), END)
                )
                best = min(best, took.wall)
                rows = sum(group.count for group in groups)
            print(f"{days:>3} days: {best * 1000:7.1f} ms ({rows:,} records)")


if __name__ == "__main__":
    build(sys.argv[1])
    asyncio.run(measure(sys.argv[1]))
