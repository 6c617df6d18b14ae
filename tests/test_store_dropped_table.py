"""A store whose table is dropped under it (by another process, or a DBA) while it is open
behaves as on first use, from its very next call: a read finds nothing and creates
nothing, a prune deletes nothing, and a save makes the table again, with its indexes.
PostgreSQL's store remembered that the table existed, so that the first call after the
drop failed ("relation ... does not exist") and only the next one, on a fresh connection,
saw the table gone. SQLite's store asks for the table on every call.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pg_calls import sql
from source_cases import GROWING, NOW, START, analyse, demo_rows, records_of
from usage_analytics.store import AnalyticsStore, open_store

LATER = datetime(2100, 1, 1, tzinfo=UTC)
#: The store's indexes, by the columns each covers (their names differ by database).
INDEXED = {
    "(pattern_id, computed_at)",
    "(pattern_id, window_type, computed_at)",
    "(computed_at)",
}


@pytest.fixture(params=["sqlite", "postgres"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store of each kind: a SQLite file, a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "results.sqlite")
    return str(request.getfixturevalue("postgres_url"))


def drop_table(target: str) -> None:
    """Drop the store's table from another connection, as another process would."""
    if target.startswith("postgresql"):
        sql(target, "DROP TABLE pattern_analytics")
        return
    with sqlite3.connect(target) as connection:
        connection.execute("DROP TABLE pattern_analytics")
    connection.close()


def indexed_columns(target: str) -> set[str]:
    """The column lists of the table's indexes, but its key's."""
    if target.startswith("postgresql"):
        definitions = [
            row[0]
            for row in sql(
                target,
                "SELECT indexdef FROM pg_indexes WHERE tablename = 'pattern_analytics' "
                "AND indexname <> 'pattern_analytics_pkey'",
            )
        ]
    else:
        with sqlite3.connect(target) as connection:
            definitions = [
                row[0]
                for row in connection.execute(
                    "SELECT sql FROM sqlite_master WHERE type = 'index' "
                    "AND tbl_name = 'pattern_analytics' AND sql IS NOT NULL"
                )
            ]
        connection.close()
    return {definition[definition.rindex("(") :].replace('"', "") for definition in definitions}


def table_exists(target: str) -> bool:
    if target.startswith("postgresql"):
        return bool(sql(target, "SELECT to_regclass('pattern_analytics') IS NOT NULL")[0][0])
    with sqlite3.connect(target) as connection:
        found = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'pattern_analytics'"
        ).fetchone()
    connection.close()
    return found is not None


@functools.cache  # (one result: each analysis has its own correlation id)
def result() -> Any:
    return analyse(records_of(demo_rows(), GROWING), GROWING)


async def saved_then_dropped(target: str) -> AnalyticsStore:
    """An open store that has saved (and read: it knows its table), its table dropped."""
    store = open_store(target)
    await store.save(result())
    assert await store.history(GROWING) == [result()]
    drop_table(target)
    return store


def test_a_save_after_the_drop_makes_the_table_again(target: str) -> None:
    async def go() -> tuple[Any, list[Any]]:
        store = await saved_then_dropped(target)
        async with store:
            await store.save(result())  # (the first call after the drop)
            return await store.get(GROWING, START, NOW), await store.history(GROWING)

    assert run(go()) == (result(), [result()])
    assert indexed_columns(target) == INDEXED


@pytest.mark.parametrize("call", ["get", "history", "prune"])
def test_a_read_or_prune_after_the_drop_finds_nothing_and_makes_nothing(
    target: str, call: str
) -> None:
    async def go() -> Any:
        store = await saved_then_dropped(target)
        async with store:
            if call == "get":
                return await store.get(GROWING, START, NOW)
            if call == "history":
                return await store.history(GROWING)
            return await store.prune(LATER, keep_latest=0)

    assert run(go()) == {"get": None, "history": [], "prune": 0}[call]
    assert not table_exists(target)


def test_every_call_after_the_drop_answers_as_on_first_use(target: str) -> None:
    # Calls in a row on one open store: the first read, the save that makes the table,
    # and the reads after it (a dropped table never costs one call an error).
    async def go() -> list[Any]:
        store = await saved_then_dropped(target)
        async with store:
            before = [await store.history(GROWING), await store.get(GROWING, START, NOW)]
            await store.save(result())
            drop_table(target)  # (again: the store made it, and knows it)
            return [*before, await store.prune(LATER), await store.history(GROWING)]

    assert run(go()) == [[], None, 0, []]


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)
