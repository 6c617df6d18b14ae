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
import sys
from typing import Any

from store_save_race import race_saves
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
    stores = {
        "OID and indexes (now)": PostgresAnalyticsStore(url, "index_count_bench_now"),
        "OID alone (before)": OidAloneStore(url, "index_count_bench_before"),
    }
    for size, medians in (await race_saves(url, stores, calls)).items():
        now, before = medians.values()
        print(f"{size:>3} result(s), ratio of medians: now x{now / before:.3f}")


if __name__ == "__main__":
    asyncio.run(race(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 300))
