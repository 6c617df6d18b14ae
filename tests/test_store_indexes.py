"""The stores' index of `history` by window type, (pattern_id, window_type, computed_at):
made with the table, and added to a table made before it (session 54) at its next save,
in SQLite and in PostgreSQL (where only the table's owner may add it: a role that may
only read and write goes without, its reads as right). Selection itself:
test_store_selection.py.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID, uuid4

import pytest
from pg_calls import sql
from source_cases import GROWING, analyse, demo_rows, records_of
from usage_analytics import ModelUsageAnalyticsOutput, TimeWindowType
from usage_analytics.store import PostgresAnalyticsStore, open_store

BY_TYPE = "(pattern_id, window_type, computed_at)"


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def results() -> list[ModelUsageAnalyticsOutput]:
    """One result of GROWING's window as daily and as weekly (two correlation ids)."""
    result = analyse(records_of(demo_rows(), GROWING), GROWING)
    return [
        result.model_copy(update={"time_window_type": kind, "correlation_id": UUID(int=n)})
        for n, kind in enumerate((TimeWindowType.DAILY, TimeWindowType.WEEKLY), 1)
    ]


async def saved_then_weekly(target: str | Path, saved: list[Any], **store: Any) -> list[Any]:
    """Save `saved`, then the weekly history."""
    async with open_store(target, **store) as opened:
        await opened.save_many(saved)
        return await opened.history(GROWING, window_type="weekly")


async def weekly(target: str | Path) -> list[Any]:
    async with open_store(target) as opened:
        return await opened.history(GROWING, window_type="weekly")


# ------------------------------------------------------------------------------ SQLite


def sqlite_indexes(path: Path) -> dict[str, str]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        )
        return dict(rows)


def test_sqlite_history_of_a_window_type_searches_its_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The statement history runs, as SQLite plans it (its parameters bound): the index of
    # (pattern_id, computed_at) read every result of the pattern back to the type's newest.
    path = tmp_path / "results.sqlite"
    daily, week = results()
    ran: list[str] = []
    connect = sqlite3.connect

    def traced(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        connection: sqlite3.Connection = connect(*args, **kwargs)
        connection.set_trace_callback(ran.append)
        return connection

    monkeypatch.setattr(sqlite3, "connect", traced)  # (the store's connections)
    assert run(saved_then_weekly(path, [daily, week])) == [week]
    (statement,) = [text for text in ran if text.startswith("SELECT model")]
    with connect(path) as connection:
        plan = " ".join(row[3] for row in connection.execute("EXPLAIN QUERY PLAN " + statement))
    assert "USING INDEX pattern_analytics_type_computed (pattern_id=? AND window_type=?)" in plan


def test_a_sqlite_file_of_an_earlier_version_gets_the_index_at_its_next_save(
    tmp_path: Path,
) -> None:
    path = tmp_path / "results.sqlite"
    daily, week = results()
    run(saved_then_weekly(path, [daily]))
    with sqlite3.connect(path) as connection:  # (the file as the last version left it)
        connection.execute("DROP INDEX pattern_analytics_type_computed")
    assert "pattern_analytics_type_computed" not in sqlite_indexes(path)
    assert run(weekly(path)) == []  # a read: selects as well, and creates nothing
    assert "pattern_analytics_type_computed" not in sqlite_indexes(path)
    assert run(saved_then_weekly(path, [week])) == [week]
    indexes = sqlite_indexes(path)
    assert BY_TYPE in indexes["pattern_analytics_type_computed"]
    assert "(pattern_id, computed_at)" in indexes["pattern_analytics_pattern_computed"]


# -------------------------------------------------------------------------- PostgreSQL


def postgres_indexes(url: str, table: str = "pattern_analytics") -> dict[str, str]:
    rows = sql(url, f"SELECT indexname, indexdef FROM pg_indexes WHERE tablename = '{table}'")
    return dict(rows)


def test_a_postgres_table_of_an_earlier_version_gets_the_index_at_its_next_save(
    postgres_url: str,
) -> None:
    daily, week = results()
    run(saved_then_weekly(postgres_url, [daily]))
    sql(postgres_url, "DROP INDEX pattern_analytics_type_computed")
    assert run(weekly(postgres_url)) == []  # a read creates nothing
    assert "pattern_analytics_type_computed" not in postgres_indexes(postgres_url)
    assert run(saved_then_weekly(postgres_url, [week])) == [week]
    indexes = postgres_indexes(postgres_url)
    assert BY_TYPE in indexes["pattern_analytics_type_computed"]
    assert len(indexes) == 3  # (and the key's, and (pattern_id, computed_at))


def test_a_postgres_table_in_a_schema_gets_the_index_in_it(postgres_url: str) -> None:
    # (Another schema's table of the name, and its index, are not this table's.)
    daily, week = results()
    sql(postgres_url, "CREATE SCHEMA analytics")
    run(saved_then_weekly(postgres_url, [daily]))  # public.pattern_analytics, both indexes

    async def go() -> list[Any]:
        async with PostgresAnalyticsStore(postgres_url, schema="analytics") as opened:
            await opened.save(daily)
            sql(postgres_url, "DROP INDEX analytics.pattern_analytics_type_computed")
        async with PostgresAnalyticsStore(postgres_url, schema="analytics") as opened:
            await opened.save(week)
            return await opened.history(GROWING, window_type=TimeWindowType.WEEKLY)

    assert run(go()) == [week]
    found = sql(
        postgres_url,
        "SELECT schemaname FROM pg_indexes WHERE indexname = 'pattern_analytics_type_computed'",
    )
    assert sorted(found) == [("analytics",), ("public",)]


def test_a_role_that_may_not_add_the_index_saves_and_selects_without_it(
    postgres_url: str,
) -> None:
    # An index is its table owner's to make: the store's CREATE INDEX failed every save of
    # a role that may only read and write a table of the earlier version.
    daily, week = results()
    run(saved_then_weekly(postgres_url, [daily]))
    sql(postgres_url, "DROP INDEX pattern_analytics_type_computed")
    role = f"ua_rw_{uuid4().hex[:8]}"
    sql(postgres_url, f"CREATE ROLE {role} LOGIN")
    try:
        sql(postgres_url, f"GRANT SELECT, INSERT, UPDATE ON pattern_analytics TO {role}")
        parts = urlsplit(postgres_url)
        as_role = urlunsplit(parts._replace(netloc=f"{role}@{parts.hostname}:{parts.port}"))
        assert run(saved_then_weekly(as_role, [week])) == [week]
        assert "pattern_analytics_type_computed" not in postgres_indexes(postgres_url)
    finally:
        sql(postgres_url, "REVOKE ALL ON pattern_analytics FROM " + role)
        sql(postgres_url, f"DROP ROLE {role}")
    # The owner's next store adds it.
    assert run(saved_then_weekly(postgres_url, [])) == [week]
    assert "pattern_analytics_type_computed" in postgres_indexes(postgres_url)


@pytest.mark.parametrize("length", [50, 55, 61, 62, 63])
def test_a_postgres_table_of_a_long_name_has_both_indexes(postgres_url: str, length: int) -> None:
    # PostgreSQL cuts names to 63 bytes: cut alike, the two indexes would be one, and
    # CREATE INDEX IF NOT EXISTS would make only the first.
    table = "t" * length
    daily, week = results()
    assert run(saved_then_weekly(postgres_url, [daily, week], table=table)) == [week]
    definitions = postgres_indexes(postgres_url, table).values()
    assert len(definitions) == 3
    assert sum(BY_TYPE in text for text in definitions) == 1
    assert sum("(pattern_id, computed_at)" in text for text in definitions) == 1
