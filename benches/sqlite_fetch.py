"""The SQLite source's calls on a table of 3M records over 3 patterns (1M each, one every 10
s): `fetch` of one pattern's last day, `newest`, and `fetch_all` of that day. Every call
also asks for the rows no window places (NULL, numbers, blobs, text without a leading
date): the partial index `create_executions_table` makes answers that at once; a table
made elsewhere, without it, has the pattern's index entries scanned.

    .venv/bin/python benches/sqlite_fetch.py [PATH]

builds the table at PATH (default: a temporary file; kept when PATH is given, so a second
run skips the build), then prints the best of three calls with the partial index and
without it (dropped, then made again).
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import tempfile
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from timing import wall_seconds
from usage_analytics.sources import SQLiteSource
from usage_analytics.sources.sqlite_table import create_executions_table, write_executions_sync

START = datetime(2025, 1, 1, tzinfo=UTC)
END = datetime(2025, 6, 1, tzinfo=UTC)
RECORDS = 3_000_000


def build(path: Path) -> None:
    rows = (
        {
            "pattern_id": f"p{i % 3}",
            "timestamp": START + timedelta(seconds=10 * i),
            "success": True,
            "execution_time_ms": 1.0,
        }
        for i in range(RECORDS)
    )
    write_executions_sync(path, rows)


def best_ms(call: Callable[[], Coroutine[Any, Any, Any]]) -> float:
    return min(wall_seconds(lambda: asyncio.run(call()), 3)) * 1000


def measure(path: Path, label: str) -> None:
    source = SQLiteSource(path)
    day = (END - timedelta(days=1), END)
    fetch = best_ms(lambda: source.fetch("p0", *day))
    newest = best_ms(lambda: source.newest("p0"))
    fetch_all = best_ms(lambda: source.fetch_all(*day))
    print(f"{label}: fetch {fetch:.1f} ms, newest {newest:.1f} ms, fetch_all {fetch_all:.1f} ms")


def main(path: Path) -> None:
    if not path.exists():
        build(path)
    measure(path, "with the partial index   ")
    with sqlite3.connect(path) as connection:
        connection.execute('DROP INDEX IF EXISTS "pattern_executions_unplaced"')
    measure(path, "without the partial index")
    with sqlite3.connect(path) as connection:
        create_executions_table(connection)


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as directory:
            main(Path(directory) / "executions.sqlite")
