"""A PostgreSQL store's table dropped and made again under an open store (by a DBA, a
migration) without the store's indexes: the store's next save or prune makes them again.
It remembered that it had made them, so they came back only on a new connection, and
each `history` and `prune` scanned the table till then. A table made again is told by its
OID (`PostgresAnalyticsStore._looked_up`). A table dropped alone: test_store_dropped_table.py.
"""

from __future__ import annotations

import asyncio
import functools
from datetime import UTC, datetime
from typing import Any

import pytest
from pg_calls import sql
from source_cases import GROWING, analyse, demo_rows, records_of
from usage_analytics.store import PostgresAnalyticsStore, StoreError

LATER = datetime(2100, 1, 1, tzinfo=UTC)
#: The store's indexes, by the columns each covers (the key's aside).
INDEXED = {
    "(pattern_id, computed_at)",
    "(pattern_id, window_type, computed_at)",
    "(computed_at)",
}
KEY = "(pattern_id, window_start, window_end, correlation_id)"


@functools.cache
def result() -> Any:
    return analyse(records_of(demo_rows(), GROWING), GROWING)


def indexed_columns(url: str) -> set[str]:
    """The column lists of the table's indexes, but its primary key's."""
    definitions = sql(
        url,
        "SELECT pg_get_indexdef(indexrelid) FROM pg_index "
        "WHERE indrelid = 'pattern_analytics'::regclass AND NOT indisprimary",
    )
    return {row[0][row[0].rindex("(") :] for row in definitions}


def made_again_without_indexes(url: str) -> None:
    """The table dropped and made again by hand, from another connection: its columns and
    key alone (the store's upsert needs the key), its rows copied over."""
    sql(
        url,
        "CREATE TABLE pattern_analytics_new (LIKE pattern_analytics INCLUDING DEFAULTS)",
        "INSERT INTO pattern_analytics_new SELECT * FROM pattern_analytics",
        "DROP TABLE pattern_analytics",
        "ALTER TABLE pattern_analytics_new RENAME TO pattern_analytics",
        f"ALTER TABLE pattern_analytics ADD PRIMARY KEY {KEY}",
    )


@pytest.mark.parametrize("call", ["save", "prune"])
def test_the_next_save_or_prune_makes_the_indexes_again(postgres_url: str, call: str) -> None:
    async def go() -> Any:
        async with PostgresAnalyticsStore(postgres_url) as store:
            await store.save(result())
            assert indexed_columns(postgres_url) == INDEXED
            made_again_without_indexes(postgres_url)
            assert indexed_columns(postgres_url) == set()
            if call == "save":
                await store.save(result())
            else:
                assert await store.prune(LATER, keep_latest=1) == 0
            return await store.history(GROWING)

    assert asyncio.run(go()) == [result()]
    assert indexed_columns(postgres_url) == INDEXED


def test_a_read_makes_nothing_and_the_save_after_it_makes_the_indexes(
    postgres_url: str,
) -> None:
    async def go() -> Any:
        async with PostgresAnalyticsStore(postgres_url) as store:
            await store.save(result())
            made_again_without_indexes(postgres_url)
            assert await store.history(GROWING) == [result()]
            assert indexed_columns(postgres_url) == set()  # (a read makes nothing)
            await store.save(result())

    asyncio.run(go())
    assert indexed_columns(postgres_url) == INDEXED


def test_a_store_that_finds_the_table_made_again_makes_every_index(postgres_url: str) -> None:
    # A store opened after the table was made again: the first of its indexes too (only
    # those added in later versions were looked for on a table it found).
    async def save() -> None:
        async with PostgresAnalyticsStore(postgres_url) as store:
            await store.save(result())

    asyncio.run(save())
    made_again_without_indexes(postgres_url)
    asyncio.run(save())
    assert indexed_columns(postgres_url) == INDEXED


def test_a_prune_after_the_table_is_dropped_makes_nothing(postgres_url: str) -> None:
    # (A prune looks the table up too: a table gone is nothing to delete, and not made.)
    async def go() -> int:
        async with PostgresAnalyticsStore(postgres_url) as store:
            await store.save(result())
            sql(postgres_url, "DROP TABLE pattern_analytics")
            return await store.prune(LATER, keep_latest=0)

    assert asyncio.run(go()) == 0
    assert sql(postgres_url, "SELECT to_regclass('pattern_analytics')") == [(None,)]


def test_a_table_made_again_twice_within_one_save_is_its_error(postgres_url: str) -> None:
    # (The upsert finds another table twice: made again between the look up and the
    # second try too. Nothing is saved, and the error says so.)
    class Unlucky(PostgresAnalyticsStore):
        def _upserted(self, cursor: Any, rows: list[tuple[Any, ...]]) -> bool:
            made_again_without_indexes(postgres_url)
            return super()._upserted(cursor, rows)

    async def go() -> None:
        async with Unlucky(postgres_url) as store:
            await store.save(result())

    with pytest.raises(StoreError, match="made again twice during one save"):
        asyncio.run(go())
    assert sql(postgres_url, "SELECT count(*) FROM pattern_analytics") == [(0,)]


def test_rows_a_trigger_keeps_out_of_the_table_are_saved_once(postgres_url: str) -> None:
    # A BEFORE trigger returning NULL (a DBA's diverting the rows, or keeping a key's
    # first result) leaves the upsert's count at 0, as another table of the name did:
    # the save ran its statement twice, the trigger twice, and failed ("made again twice
    # during one save"). The same table's OID found again: saved, the trigger run once.
    async def save() -> None:
        async with PostgresAnalyticsStore(postgres_url) as store:
            await store.save(result())

    asyncio.run(save())
    sql(
        postgres_url,
        "CREATE TABLE diverted (pattern_id text)",
        "CREATE FUNCTION divert() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN INSERT INTO diverted VALUES (NEW.pattern_id); RETURN NULL; END $$",
        "CREATE TRIGGER divert BEFORE INSERT OR UPDATE ON pattern_analytics "
        "FOR EACH ROW EXECUTE FUNCTION divert()",
    )
    asyncio.run(save())
    assert sql(postgres_url, "SELECT pattern_id FROM diverted") == [(GROWING,)]
    assert sql(postgres_url, "SELECT count(*) FROM pattern_analytics") == [(1,)]
