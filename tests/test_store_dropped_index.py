"""One of a PostgreSQL store's indexes dropped under an open store (by a DBA), its table
kept: the store's next save or prune makes it again, as it makes an index missing from a
table it finds on connecting, or from a table made again (test_store_recreated_table.py).
It remembered having made them, so an index came back only on a new connection, and each
`history` (or `prune`) scanned the table till then. A save tells by its upsert, which
names the store's indexes as it checks the table's OID (no round trip of its own), and
fails where one is gone; a prune looks them up with the table.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pg_calls import sql
from source_cases import GROWING
from test_store_recreated_table import INDEXED, LATER, indexed_columns, result
from usage_analytics.store import PostgresAnalyticsStore


def drop_index_of(url: str, columns: str) -> None:
    """The store's index of `columns` dropped from another connection."""
    [(name,)] = [
        (row[0],)
        for row in sql(
            url,
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid = 'pattern_analytics'::regclass AND NOT indisprimary",
        )
        if row[1].endswith(" " + columns)
    ]
    sql(url, f"DROP INDEX {name}")


@pytest.mark.parametrize("columns", sorted(INDEXED))
@pytest.mark.parametrize("call", ["save", "prune"])
def test_the_next_save_or_prune_makes_a_dropped_index_again(
    postgres_url: str, call: str, columns: str
) -> None:
    async def go() -> Any:
        async with PostgresAnalyticsStore(postgres_url) as store:
            await store.save(result())
            drop_index_of(postgres_url, columns)
            assert indexed_columns(postgres_url) == INDEXED - {columns}
            if call == "save":
                await store.save(result())
            else:
                assert await store.prune(LATER, keep_latest=1) == 0
            return await store.history(GROWING)

    assert asyncio.run(go()) == [result()]
    assert indexed_columns(postgres_url) == INDEXED


def test_a_save_after_the_index_is_back_is_one_statement(postgres_url: str) -> None:
    # (Made again once: the save after it finds every index and upserts once, not twice.
    # The upsert that finds an index gone fails, None, as where the table is gone.)
    upserts: list[bool | None] = []

    class Counting(PostgresAnalyticsStore):
        def _upserted(self, cursor: Any, rows: list[tuple[Any, ...]]) -> bool:
            upserts.append(None)  # (None where it fails)
            upserted = upserts[-1] = super()._upserted(cursor, rows)
            return upserted

    async def go() -> None:
        async with Counting(postgres_url) as store:
            await store.save(result())
            drop_index_of(postgres_url, "(computed_at)")
            await store.save(result())
            await store.save(result())

    asyncio.run(go())
    assert upserts == [True, None, True, True]
    assert sql(postgres_url, "SELECT count(*) FROM pattern_analytics") == [(1,)]


def test_a_role_that_may_not_make_the_index_saves_without_it(postgres_url: str) -> None:
    # A role that may only read and write goes without the index (an index is its table
    # owner's to make): each save still saves, once, not "made again twice".
    sql(
        postgres_url,
        "CREATE ROLE ua_writer LOGIN",
        "GRANT USAGE, CREATE ON SCHEMA public TO ua_writer",
    )
    asyncio.run(_save_once(postgres_url))
    sql(postgres_url, "GRANT SELECT, INSERT, UPDATE, DELETE ON pattern_analytics TO ua_writer")
    drop_index_of(postgres_url, "(computed_at)")
    writer = postgres_url.replace("postgres@", "ua_writer@", 1)

    async def go() -> Any:
        async with PostgresAnalyticsStore(writer) as store:
            for _ in range(3):
                await store.save(result())
            assert await store.prune(LATER, keep_latest=1) == 0
            return await store.history(GROWING)

    try:
        assert asyncio.run(go()) == [result()]
        assert indexed_columns(postgres_url) == INDEXED - {"(computed_at)"}
    finally:
        sql(postgres_url, "DROP OWNED BY ua_writer", "DROP ROLE ua_writer")


async def _save_once(url: str) -> None:
    async with PostgresAnalyticsStore(url) as store:
        await store.save(result())
