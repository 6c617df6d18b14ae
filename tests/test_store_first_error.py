"""PostgreSQL's store makes its table and indexes holding a lock (`_turn`), which it
releases after them: when making them fails and releasing fails too (the connection lost
meanwhile), the first error is the one raised, the second noted on it. The second
replaced it: the user read of the unlock, not of the CREATE the server refused.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from source_cases import GROWING, analyse, demo_rows, records_of
from usage_analytics.sources.postgres_connection import PostgresConnection
from usage_analytics.store import PostgresAnalyticsStore, StoreError


class _UnlockFails:
    """A cursor whose release of an advisory lock fails."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    def execute(self, statement: str, *args: Any) -> Any:
        if "pg_advisory_unlock" in statement:
            raise RuntimeError("the connection was lost")
        return self._cursor.execute(statement, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


@pytest.fixture
def unlock_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    run = PostgresConnection.run

    async def failing(self: PostgresConnection, work: Any) -> Any:
        return await run(self, lambda cursor: work(_UnlockFails(cursor)))

    monkeypatch.setattr(PostgresConnection, "run", failing)


def save_in_schema(url: str, schema: str) -> None:
    async def go() -> None:
        async with PostgresAnalyticsStore(url, schema=schema) as store:
            await store.save(analyse(records_of(demo_rows(), GROWING), GROWING))

    asyncio.run(go())


def test_a_refused_create_is_the_error_its_failed_unlock_noted(
    postgres_url: str, unlock_fails: None
) -> None:
    # (A schema that does not exist: the server refuses CREATE TABLE in it.)
    with pytest.raises(StoreError, match='schema "nowhere" does not exist') as raised:
        save_in_schema(postgres_url, "nowhere")
    assert raised.value.__notes__ == [
        "(and releasing the store's lock failed too: the connection was lost)"
    ]


def test_an_unlock_failing_alone_is_the_error(postgres_url: str, unlock_fails: None) -> None:
    # (Nothing went wrong before it: it is the call's one error, as before.)
    with pytest.raises(RuntimeError, match=r"^the connection was lost$"):
        save_in_schema(postgres_url, "public")
