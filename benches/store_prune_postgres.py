"""`prune`'s DELETE on a PostgreSQL store of 1M rows (1,000 patterns x 1,000 rolling
snapshots 5 minutes apart, 1 KB of JSON text each, inline), with the store's index on
(computed_at) and without it: timed in a transaction rolled back after (the DROP INDEX
in it too), so one table serves every run.

    .venv/bin/python benches/store_prune_postgres.py URL build
    .venv/bin/python benches/store_prune_postgres.py URL run index|noindex FRACTION

FRACTION: the share of the ticks that are old (0.9: 900,000 rows; 0.001: one tick's).
"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import UTC, datetime, timedelta

import adbc_driver_postgresql.dbapi as dbapi
from usage_analytics.store import PostgresAnalyticsStore
from usage_analytics.store.pruning import pruning

START = datetime(2026, 1, 2, tzinfo=UTC)


def build(url: str) -> None:
    async def make() -> None:
        async with PostgresAnalyticsStore(url) as store:
            await store.save_many([])

    asyncio.run(make())
    with dbapi.connect(url, autocommit=True) as connection, connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO pattern_analytics SELECT "
            "lpad((n % 1000)::text, 8, '0') || '-0000-4000-8000-000000000000', "
            "'2026-01-01'::timestamptz + (n / 1000) * interval '5 minutes', "
            "'2026-01-02'::timestamptz + (n / 1000) * interval '5 minutes', 'custom', "
            "('00000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid, "
            "'2026-01-02'::timestamptz + (n / 1000) * interval '5 minutes', 1, 1.0, NULL, NULL, "
            "1.0, jsonb_build_object('r', repeat('r', 330)), repeat('m', 670) "
            "FROM generate_series(0, 999999) AS n"
        )
        cursor.execute("VACUUM ANALYZE pattern_analytics")
    print("built")


def run(url: str, mode: str, fraction: float) -> None:
    older_than = START + timedelta(minutes=5 * round(1000 * fraction))
    marks = iter(["$1", "$2"])
    statement, params = pruning(older_than, None, None, 1).statement(
        '"pattern_analytics"', marks.__next__, lambda instant: instant.isoformat()
    )
    statement = statement.replace("< $1", "< $1::timestamptz")
    with dbapi.connect(url, autocommit=False) as connection, connection.cursor() as cursor:
        cursor.execute("SET jit = off")  # (as the store's connection)
        if mode == "noindex":
            cursor.execute("DROP INDEX pattern_analytics_computed_at")
        cursor.execute("SELECT count(*) FROM pattern_analytics")  # (warm alike)
        cursor.fetchall()
        began = time.perf_counter()
        cursor.execute(statement, params)
        took = time.perf_counter() - began
        cursor.execute("SELECT count(*) FROM pattern_analytics")
        left = cursor.fetchone()[0]
        connection.rollback()
    print(f"{mode} fraction={fraction}: deleted {1_000_000 - left:,} in {took:.2f} s")


if __name__ == "__main__":
    if sys.argv[2] == "build":
        build(sys.argv[1])
    else:
        run(sys.argv[1], sys.argv[3], float(sys.argv[4]))
