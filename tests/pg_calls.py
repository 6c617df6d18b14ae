"""What the PostgreSQL tests share: SQL run on the test server, and a source's call."""

from __future__ import annotations

import asyncio
from typing import Any

import adbc_driver_postgresql.dbapi as dbapi


def sql(url: str, *statements: str) -> list[Any]:
    """Run `statements` on the database at `url` (autocommit); the last rows returned."""
    with dbapi.connect(url, autocommit=True) as connection, connection.cursor() as cursor:
        rows: list[Any] = []
        for statement in statements:
            cursor.execute(statement)
            if cursor.description:
                rows = cursor.fetchall()
        return rows


def call(source: Any, method: str, *args: Any) -> Any:
    """`await source.method(*args)`, then close the source (and its connection)."""

    async def go() -> Any:
        async with source:
            return await getattr(source, method)(*args)

    return asyncio.run(go())
