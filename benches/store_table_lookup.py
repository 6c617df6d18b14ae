"""What it costs the PostgreSQL store to tell, at each save, that its table was dropped and
made again (helper-251): the store as it is, its upsert conditional on the table's OID
(`PostgresAnalyticsStore._upserted`), against a store that looks the table up before each
upsert (a round trip more: `_looked_up`), and one that trusts what it found once a
connection (the behaviour before, which kept a table made again without indexes till the
next connection); raced in one run, calls alternated, each on a table of its own.

    PYTHONPATH=<tree>/python .venv/bin/python benches/store_table_lookup.py \
        postgresql://user@host/db [CALLS]

Each call saves one result (a service saving each analysis), then 100 (a monitor's tick);
prints the median and best wall time of CALLS calls (default 300) of each, and the ratios
of the medians to the trusting store's. The tables are dropped at the end.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from uuid import UUID

from timing import repeated_awaited, walls
from usage_analytics import (
    ModelUsageAnalyticsInput,
    ModelUsageAnalyticsOutput,
    NodeUsageAnalyticsReducer,
)
from usage_analytics.sources.postgres_connection import connect
from usage_analytics.store import PostgresAnalyticsStore
from usage_analytics.store.base import COLUMNS, KEY
from usage_analytics.store.postgres import _CASTS, _in_one_transaction

NOW = datetime(2026, 3, 3, 14, 0, tzinfo=UTC)


def one_result() -> ModelUsageAnalyticsOutput:
    records = [
        {"timestamp": NOW - timedelta(minutes=7 * i), "success": i % 9 > 0, "agent": f"a{i % 5}"}
        for i in range(500)
    ]
    request = ModelUsageAnalyticsInput(
        pattern_id="checkout",
        time_window_start=NOW - timedelta(days=3),
        time_window_end=NOW,
        execution_data=records,
    )
    return NodeUsageAnalyticsReducer().execute_reduction_sync(request)


class LookingUpStore(PostgresAnalyticsStore):
    """The table looked up before each upsert."""

    def _upserted(self, cursor: Any, rows: list[tuple[Any, ...]]) -> bool:
        self._looked_up(cursor)
        return super()._upserted(cursor, rows)


class TrustingStore(PostgresAnalyticsStore):
    """The store as it was: its table looked up once a connection, then remembered, its
    upsert unconditional."""

    def _upserted(self, cursor: Any, rows: list[tuple[Any, ...]]) -> bool:
        marks = ", ".join(f"${i}{_CASTS.get(name, '')}" for i, name in enumerate(COLUMNS, 1))
        updates = ", ".join(f"{name} = excluded.{name}" for name in COLUMNS if name not in KEY)
        sql = (
            f"INSERT INTO {self.table} ({', '.join(COLUMNS)}) VALUES ({marks}) "
            f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET {updates}"
        )
        _in_one_transaction(cursor, lambda: cursor.executemany(sql, rows))
        return True


async def race(url: str, calls: int) -> None:
    base = one_result()
    stores = {
        "conditional upsert (now)": PostgresAnalyticsStore(url, "lookup_bench_now"),
        "look up, then upsert": LookingUpStore(url, "lookup_bench_lookup"),
        "trusts (before)": TrustingStore(url, "lookup_bench_before"),
    }
    try:
        for size in (1, 100):
            batches = [
                [
                    base.model_copy(update={"correlation_id": UUID(int=n * 1000 + i)})
                    for i in range(size)
                ]
                for n in range(calls)
            ]
            times: dict[str, list[float]] = {name: [] for name in stores}
            for store in stores.values():  # (each table made, and the connection warm)
                await store.save_many(batches[0])
            for batch in batches:
                for name, store in stores.items():
                    times[name] += walls(await repeated_awaited(partial(store.save_many, batch), 1))
            medians = {name: statistics.median(spent) * 1000 for name, spent in times.items()}
            for name, spent in times.items():
                print(
                    f"{size:>3} result(s) a save, {name}: median {medians[name]:.2f} ms, "
                    f"best {min(spent) * 1000:.2f} ms"
                )
            now, looking, before = medians.values()
            print(
                f"{size:>3} result(s), ratios of medians to before's: now x{now / before:.3f}, "
                f"look up x{looking / before:.3f}"
            )
    finally:
        for store in stores.values():
            await store.close()
        connection = connect(url)
        try:
            cursor = connection.cursor()
            for store in stores.values():
                cursor.execute(f"DROP TABLE IF EXISTS {store.table}")
        finally:
            connection.close()


if __name__ == "__main__":
    asyncio.run(race(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 300))
