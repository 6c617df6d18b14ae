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
import sys
from typing import Any

from store_save_race import race_saves
from usage_analytics.store import PostgresAnalyticsStore
from usage_analytics.store.base import COLUMNS, KEY
from usage_analytics.store.postgres import _CASTS, _in_one_transaction


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
    stores = {
        "conditional upsert (now)": PostgresAnalyticsStore(url, "lookup_bench_now"),
        "look up, then upsert": LookingUpStore(url, "lookup_bench_lookup"),
        "trusts (before)": TrustingStore(url, "lookup_bench_before"),
    }
    for size, medians in (await race_saves(url, stores, calls)).items():
        now, looking, before = medians.values()
        print(
            f"{size:>3} result(s), ratios of medians to before's: now x{now / before:.3f}, "
            f"look up x{looking / before:.3f}"
        )


if __name__ == "__main__":
    asyncio.run(race(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 300))
