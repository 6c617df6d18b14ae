"""A source's groups by pattern are made with the collector paused and left in its
oldest generation (`collector.made_paused`): 100,000 patterns' groups are 600,000 acyclic
objects, kept for a whole dashboard, whose collections took about half of their making's
CPU, and which every young collection after it would have walked again."""

from __future__ import annotations

import asyncio
import gc
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from pg_calls import sql
from usage_analytics.sources import Fetched, open_source

START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2026, 1, 10, tzinfo=UTC)
PATTERNS = 300


def _rows() -> list[tuple[str, datetime, bool]]:
    return [
        (f"p{i % PATTERNS}", START + timedelta(minutes=i), i % 7 != 0) for i in range(3 * PATTERNS)
    ]


def _groups_and_worker_collections(location: str) -> tuple[list[Fetched], list[int]]:
    """The source's `fetch_all`, and the collections run meanwhile by a thread other than
    this one (its worker), with a threshold low enough that making the groups with the
    collector on sets off dozens."""
    here = threading.get_ident()
    collections: list[int] = []

    def record(phase: str, info: dict[str, Any]) -> None:
        if phase == "start" and threading.get_ident() != here:
            collections.append(info["generation"])

    async def fetch() -> list[Fetched]:
        async with open_source(location) as source:
            await source.newest()  # (a file: read before the groups are made)
            threshold = gc.get_threshold()
            gc.callbacks.append(record)
            gc.set_threshold(10)
            try:
                return await source.fetch_all(START, END)
            finally:
                gc.set_threshold(*threshold)
                gc.callbacks.remove(record)

    return asyncio.run(fetch()), collections


def _check(groups: list[Fetched]) -> None:
    assert len(groups) == PATTERNS
    assert gc.isenabled()
    oldest = {id(obj) for obj in gc.get_objects(generation=2)}
    assert all(id(group) in oldest for group in groups)


def test_a_files_groups(tmp_path: Path) -> None:
    path = tmp_path / "runs.parquet"
    names, stamps, flags = zip(*_rows(), strict=True)
    pq.write_table(pa.table({"pattern_id": names, "timestamp": stamps, "success": flags}), path)
    groups, collections = _groups_and_worker_collections(str(path))
    assert collections == []
    _check(groups)


def test_a_sqlite_tables_groups(tmp_path: Path) -> None:
    # (Its rows were read paused already; the groups were left young.)
    path = tmp_path / "runs.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE pattern_executions (pattern_id, timestamp, success)")
        connection.executemany(
            "INSERT INTO pattern_executions VALUES (?, ?, ?)",
            [(name, stamp.isoformat(), int(flag)) for name, stamp, flag in _rows()],
        )
    groups, _ = _groups_and_worker_collections(str(path))
    _check(groups)


def test_a_postgresql_tables_groups(postgres_url: str) -> None:
    values = ", ".join(
        f"('{name}', '{stamp.isoformat()}', {str(flag).lower()})" for name, stamp, flag in _rows()
    )
    sql(
        postgres_url,
        "CREATE TABLE pattern_executions (pattern_id text, timestamp timestamptz, success boolean)",
        f"INSERT INTO pattern_executions VALUES {values}",
    )
    groups, _ = _groups_and_worker_collections(postgres_url)
    _check(groups)
