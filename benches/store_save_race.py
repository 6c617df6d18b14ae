"""Stores' saves raced in one run (`store_table_lookup.py`, `postgres_store_index_count.py`):
each store on a table of its own, calls alternated, one result a save then 100; the
tables dropped at the end."""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import partial
from uuid import UUID

from timing import repeated_awaited, walls
from usage_analytics import (
    ModelUsageAnalyticsInput,
    ModelUsageAnalyticsOutput,
    NodeUsageAnalyticsReducer,
)
from usage_analytics.sources.postgres_connection import connect
from usage_analytics.store import PostgresAnalyticsStore

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


async def race_saves(
    url: str, stores: Mapping[str, PostgresAnalyticsStore], calls: int
) -> dict[int, dict[str, float]]:
    """The median wall time (ms) of `calls` saves by each store, by results a save (1,
    100), each printed with its best."""
    base = one_result()
    found: dict[int, dict[str, float]] = {}
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
            found[size] = medians
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
    return found
