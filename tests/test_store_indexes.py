"""The stores' index of `history` by window type, (pattern_id, window_type, computed_at):
made with the table, and added to a table made before it (session 54) at its next save,
in SQLite and in PostgreSQL (where only the table's owner may add it: a role that may
only read and write goes without, its reads as right). Selection itself:
test_store_selection.py.
"""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID, uuid4

import pytest
from pg_calls import sql
from source_cases import GROWING, analyse, demo_rows, records_of
from sqlite_trace import tracing
from usage_analytics import ModelUsageAnalyticsOutput, TimeWindowType
from usage_analytics.store import PostgresAnalyticsStore, open_store
from usage_analytics.store.pruning import pruning

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
    monkeypatch.setattr(sqlite3, "connect", tracing(connect, ran))  # (the store's connections)
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
    assert len(indexes) == 4  # (and the key's, (pattern_id, computed_at) and (computed_at))


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
    assert len(definitions) == 4
    assert sum(BY_TYPE in text for text in definitions) == 1
    assert sum("(pattern_id, computed_at)" in text for text in definitions) == 1


# ------------------------------------------------------------------ prune's index by age

#: 20,000 rows of 100 patterns computed a minute apart (their JSON columns a stub): a
#: rolling monitor's table, whose prune of its oldest minutes the tests plan.
FILLED = (
    "INSERT INTO pattern_analytics SELECT 'p' || (n % 100), {start}, {end}, 'custom', "
    "{uuid}, {computed}, 1, 1.0, NULL, NULL, 1.0, '{{}}', '{{}}' FROM {numbers}"
)


def test_a_sqlite_prune_of_every_pattern_searches_the_index_by_age(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without it the DELETE scanned the whole table (of rows of 4 KB) for each prune.
    path = tmp_path / "results.sqlite"
    ran: list[str] = []
    connect = sqlite3.connect

    def traced(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        connection: sqlite3.Connection = connect(*args, **kwargs)
        connection.set_trace_callback(ran.append)
        return connection

    run(saved_then_weekly(path, results()))  # (the table and its indexes)
    with connect(path) as connection:
        connection.execute(
            "WITH RECURSIVE numbers(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM numbers "
            "WHERE n < 20000) "
            + FILLED.format(
                start="'2026-01-01T00:00:00.000000Z'",
                end="strftime('%Y-%m-%dT%H:%M:%f000Z', '2026-01-01', '+' || n || ' minutes')",
                uuid="printf('00000000-0000-0000-0000-%012d', n)",
                computed="strftime('%Y-%m-%dT%H:%M:%f000Z', '2026-01-01', '+' || n || ' minutes')",
                numbers="numbers",
            )
        )
    connection.close()
    monkeypatch.setattr(sqlite3, "connect", traced)  # (the store's connections)

    async def prune() -> int:
        async with open_store(path) as store:
            return int(await store.prune(datetime(2026, 1, 1, 1, tzinfo=UTC)))

    assert run(prune()) == 59  # (minutes 1 to 59: each pattern has newer rows)
    (statement,) = [text for text in ran if text.startswith("DELETE")]
    with connect(path) as connection:
        plan = [row[3] for row in connection.execute("EXPLAIN QUERY PLAN " + statement)]
    connection.close()
    assert "SEARCH old USING INDEX pattern_analytics_computed (computed_at<?)" in plan
    assert (
        "SEARCH newer USING INDEX pattern_analytics_type_computed "
        "(pattern_id=? AND window_type=? AND computed_at>?)"
    ) in plan


def test_a_sqlite_file_of_an_earlier_version_gets_the_index_by_age_at_its_prune(
    tmp_path: Path,
) -> None:
    path = tmp_path / "results.sqlite"
    run(saved_then_weekly(path, results()))
    with sqlite3.connect(path) as connection:
        connection.execute("DROP INDEX pattern_analytics_computed")
    connection.close()

    async def prune() -> int:
        async with open_store(path) as store:
            return int(await store.prune(datetime(2000, 1, 1)))

    assert run(prune()) == 0
    assert "(computed_at)" in sqlite_indexes(path)["pattern_analytics_computed"]


def test_a_postgres_prune_of_a_slice_searches_the_index_by_age(postgres_url: str) -> None:
    run(saved_then_weekly(postgres_url, results()))
    sql(
        postgres_url,
        FILLED.format(
            start="'2026-01-01'::timestamptz",
            end="'2026-01-01'::timestamptz + n * interval '1 minute'",
            uuid="('00000000-0000-0000-0000-' || lpad(n::text, 12, '0'))::uuid",
            computed="'2026-01-01'::timestamptz + n * interval '1 minute'",
            numbers="generate_series(1, 20000) AS n",
        ),
        "DROP INDEX pattern_analytics_computed_at",  # (the table of an earlier version)
        "ANALYZE pattern_analytics",
    )
    # The statement prune runs, as PostgreSQL plans it (with its values: a custom plan),
    # once the store has given the table the index.
    instant = "'2026-01-01 01:00+00'::timestamptz"
    statement, _ = pruning(datetime(2026, 1, 1, 1, tzinfo=UTC), None, None, 1).statement(
        "pattern_analytics", iter([instant, "0"]).__next__, lambda given: given
    )

    async def prune() -> int:
        async with open_store(postgres_url) as store:
            return int(await store.prune(datetime(2026, 1, 1, 1, tzinfo=UTC)))

    assert run(prune()) == 59  # (minutes 1 to 59: each pattern has newer rows)
    plan = sql(
        postgres_url,
        # (EXPLAIN as rows: the driver reads a query's rows through COPY, which takes none.)
        "CREATE FUNCTION plan_of(query text) RETURNS SETOF text LANGUAGE plpgsql AS $$ "
        "DECLARE line record; BEGIN FOR line IN EXECUTE 'EXPLAIN ' || query LOOP "
        'RETURN NEXT line."QUERY PLAN"; END LOOP; END $$',
        f"SELECT plan_of($${statement}$$)",
    )
    text = "\n".join(row[0] for row in plan)
    assert "Index Scan using pattern_analytics_computed_at" in text, text
    assert "Index Scan using pattern_analytics_type_computed" in text, text
