"""A PostgreSQL store's index dropped, and made again by another connection (a second
store on the table, a DBA) between a save's upsert and its look up of the table: the
upsert, which requires each index it found to exist, left the rows out, and the look up
found the table and every index there, which the save took for a trigger keeping its rows
out (no row counts): the save returned, and nothing was saved.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pg_calls import sql
from source_cases import GROWING
from test_store_recreated_table import result
from usage_analytics.store import PostgresAnalyticsStore


def index_of(url: str, columns: str) -> tuple[str, str]:
    """The name and definition of the store's index of `columns`."""
    [found] = [
        (str(row[0]), str(row[1]))
        for row in sql(
            url,
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid = 'pattern_analytics'::regclass AND NOT indisprimary",
        )
        if str(row[1]).endswith(" " + columns)
    ]
    return found


def test_a_save_whose_index_is_made_again_meanwhile_saves(postgres_url: str) -> None:
    name, definition = index_of_made(postgres_url)
    dropped: list[bool] = []
    back: list[bool] = []

    class MadeAgainMeanwhile(PostgresAnalyticsStore):
        def _looked_up(self, cursor: Any) -> bool:
            if dropped and not back:  # (the first look up after the drop: the index back)
                back.append(True)
                sql(postgres_url, definition)
            return super()._looked_up(cursor)

    async def go() -> Any:
        async with MadeAgainMeanwhile(postgres_url) as store:
            await store.save(result())  # (the store finds the table and its indexes)
            sql(postgres_url, "DELETE FROM pattern_analytics", f"DROP INDEX {name}")
            dropped.append(True)
            await store.save(result())
            assert back == [True]
            return await store.history(GROWING)

    assert asyncio.run(go()) == [result()]
    assert sql(postgres_url, "SELECT count(*) FROM pattern_analytics") == [(1,)]


def index_of_made(url: str) -> tuple[str, str]:
    """The (computed_at) index of a store's table, made by a store's first save."""

    async def first() -> None:
        async with PostgresAnalyticsStore(url) as store:
            await store.save(result())

    asyncio.run(first())
    sql(url, "DELETE FROM pattern_analytics")
    return index_of(url, "(computed_at)")
