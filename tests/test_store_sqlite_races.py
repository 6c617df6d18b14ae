"""The SQLite store's look for its table (or its making) and a call's statements are one
transaction: another connection's `DROP TABLE` between them failed the call ("no such
table"), once, where the call should have answered as before the drop or after it.

Each test drops the table from a second connection just before the call's own statement
(the SELECT, INSERT or DELETE) runs on the store's connection, without waiting (timeout
0, where a real writer would wait): a read's snapshot still holds the table (in WAL mode
the drop goes on beside it; in the default mode it must wait for the read), a write or
prune holds the file's write lock, and the drop waits for it.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from source_cases import GROWING, NOW, START, analyse, demo_rows, records_of
from test_store_dropped_table import table_exists
from usage_analytics.store import SQLiteAnalyticsStore

LATER = datetime(2100, 1, 1, tzinfo=UTC)
#: The statement of each call before which the table is dropped.
STATEMENTS = {"get": "SELECT model", "history": "SELECT model", "save": "INSERT", "prune": "DELETE"}


@functools.cache
def result() -> Any:
    return analyse(records_of(demo_rows(), GROWING), GROWING)


class Dropper:
    """Drops the table from its own connection, once, at the first statement of the store's
    that starts with `before`; `outcome` says whether it could ("dropped", "locked")."""

    def __init__(self, path: Path, before: str) -> None:
        self.path, self.before, self.outcome = path, before, ""

    def __call__(self, statement: str) -> None:
        if self.outcome or not statement.lstrip().startswith(self.before):
            return
        other = sqlite3.connect(self.path, timeout=0, isolation_level=None)
        try:
            other.execute("DROP TABLE pattern_analytics")
            self.outcome = "dropped"
        except sqlite3.OperationalError as error:
            self.outcome = "locked" if "locked" in str(error) else str(error)
        finally:
            other.close()


@pytest.fixture
def racing(monkeypatch: pytest.MonkeyPatch) -> list[Dropper]:
    """The store's connections, running the droppers added before each statement."""
    droppers: list[Dropper] = []
    connect = sqlite3.connect

    class Racing(sqlite3.Connection):
        def execute(self, statement: str, *args: Any) -> sqlite3.Cursor:
            for dropper in droppers:
                dropper(statement)
            return super().execute(statement, *args)

        def executemany(self, statement: str, *args: Any) -> sqlite3.Cursor:
            for dropper in droppers:
                dropper(statement)
            return super().executemany(statement, *args)

    def racing_connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        return connect(*args, factory=Racing, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", racing_connect)
    return droppers


def saved(path: Path, journal: str) -> None:
    """The store's file, one result saved, in journal mode `journal`."""
    asyncio.run(call(SQLiteAnalyticsStore(path), "save"))
    with sqlite3.connect(path) as connection:
        connection.execute(f"PRAGMA journal_mode = {journal}")
    connection.close()


async def call(store: SQLiteAnalyticsStore, name: str) -> Any:
    async with store:
        if name == "get":
            return await store.get(GROWING, START, NOW)
        if name == "history":
            return await store.history(GROWING)
        if name == "save":
            return await store.save(result())
        return await store.prune(LATER, keep_latest=0)


@pytest.mark.parametrize("journal", ["delete", "wal"])
@pytest.mark.parametrize("name", ["get", "history", "save", "prune"])
def test_a_drop_from_another_connection_meanwhile_fails_no_call(
    tmp_path: Path, racing: list[Dropper], journal: str, name: str
) -> None:
    path = tmp_path / "results.sqlite"
    saved(path, journal)
    dropper = Dropper(path, STATEMENTS[name])
    racing.append(dropper)
    answer = asyncio.run(call(SQLiteAnalyticsStore(path), name))
    # The call answers as it would have before the drop: the result, or one row deleted.
    assert answer == {"get": result(), "history": [result()], "save": None, "prune": 1}[name]
    reads_beside = journal == "wal" and name in ("get", "history")
    assert dropper.outcome == ("dropped" if reads_beside else "locked")
    assert table_exists(str(path)) is not reads_beside


def test_a_save_builds_its_rows_before_it_takes_the_write_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The rows (a result's two JSON columns, a fraction of a millisecond each, and a
    # dashboard saves thousands) were built inside the save's BEGIN IMMEDIATE, the file's
    # write lock held meanwhile, which every other writer waited for (and gave up after
    # SQLite's 5 s). Built before, the lock is held for the statements alone.
    from usage_analytics.store import sqlite as sqlite_store

    path = tmp_path / "results.sqlite"
    saved(path, "delete")
    outcomes: list[str] = []
    build = sqlite_store._row

    def building(result: Any) -> list[Any]:
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            outcomes.append("free")
        except sqlite3.OperationalError as error:
            outcomes.append(str(error))
        finally:
            other.close()
        return build(result)

    monkeypatch.setattr(sqlite_store, "_row", building)
    assert asyncio.run(call(SQLiteAnalyticsStore(path), "save")) is None
    assert outcomes == ["free"]
    assert asyncio.run(call(SQLiteAnalyticsStore(path), "get")) == result()
