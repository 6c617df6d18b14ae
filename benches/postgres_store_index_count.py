"""What it costs the PostgreSQL store's save to tell that one of its indexes was dropped
(helper-272): its upsert conditional on the table's OID and on each index the store found
still being there (`to_regclass` of its name: `PostgresAnalyticsStore._upserted`, now)
against the upsert conditional on the OID alone (helper-251's, before); raced in one run,
calls alternated, each store on a table of its own. (Counting the indexes by a join of
`pg_index` instead took x1.29 for a save of one result: not kept.)

    PYTHONPATH=<tree>/python .venv/bin/python benches/postgres_store_index_count.py \
        postgresql://user@host/db [CALLS]

Each call saves one result (a service saving each analysis), then 100 (a monitor's tick);
prints the median and best wall time of CALLS calls (default 300) of each, and the ratio
of the medians. The tables are dropped at the end.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
from functools import partial
from typing import Any
from uuid import UUID

from store_table_lookup import one_result
from timing import repeated_awaited, walls
from usage_analytics.sources.postgres_connection import connect
from usage_analytics.store import PostgresAnalyticsStore
from usage_analytics.store.base import COLUMNS, KEY
from usage_analytics.store.postgres import _CASTS, _in_one_transaction


class OidAloneStore(PostgresAnalyticsStore):
    """The upsert before helper-272: conditional on the table's OID alone."""

    def _upserted(self, cursor: Any, rows: list[tuple[Any, ...]]) -> bool:
        marks = ", ".join(f"${i}{_CASTS.get(name, '')}" for i, name in enumerate(COLUMNS, 1))
        updates = ", ".join(f"{name} = excluded.{name}" for name in COLUMNS if name not in KEY)
        named = "'" + self.table.replace("'", "''") + "'"
        sql = (
            f"INSERT INTO {self.table} ({', '.join(COLUMNS)}) SELECT {marks} "
            f"WHERE to_regclass({named}) = {self._table_oid}::oid "
            f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET {updates}"
        )

        def upsert() -> int:
            cursor.executemany(sql, rows)
            return int(cursor.rowcount)

        return int(_in_one_transaction(cursor, upsert)) != 0


async def race(url: str, calls: int) -> None:
    base = one_result()
    stores = {
        "OID and indexes (now)": PostgresAnalyticsStore(url, "index_count_bench_now"),
        "OID alone (before)": OidAloneStore(url, "index_count_bench_before"),
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
            now, before = medians.values()
            print(f"{size:>3} result(s), ratio of medians: now x{now / before:.3f}")
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
