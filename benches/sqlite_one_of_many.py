"""The SQLite source's single-pattern calls (what `analyze --pattern` makes) on a table of
1M records over 10,000 patterns: `newest` of one pattern and `fetch` of its last 30 days.
Each call first lists the stored ids (one index seek each) to find every spelling grouped
under the wanted id (padded text, UUIDs in any case), so its cost grows with the number of
patterns, not of records.

    .venv/bin/python benches/sqlite_one_of_many.py [PATH]

builds the table at PATH (default: a temporary file; kept when PATH is given, so a second
run skips the build), then prints the best of three calls of each.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from timing import repeated_awaited, timed_awaited
from usage_analytics.sources import SQLiteSource
from usage_analytics.sources.sqlite_table import write_executions_sync

NOW = datetime(2026, 3, 1, tzinfo=UTC)
PATTERNS = 10_000
RECORDS = 1_000_000


def build(path: Path) -> None:
    rows = [
        {
            "pattern_id": f"pattern-{index % PATTERNS:05d}",
            "timestamp": NOW - timedelta(seconds=index * 7),
            "success": True,
        }
        for index in range(RECORDS)
    ]
    write_executions_sync(path, rows)


async def best_of_three(source: SQLiteSource, wanted: str) -> tuple[float, float]:
    newest_s, fetch_s = [], []
    for _ in range(3):
        took, newest = await timed_awaited(partial(source.newest, wanted))
        assert newest is not None
        (fetched,) = await repeated_awaited(
            partial(source.fetch, wanted, newest - timedelta(days=30), newest), 1
        )
        newest_s.append(took.wall)
        fetch_s.append(fetched.wall)
    return min(newest_s), min(fetch_s)


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(scratch) / "runs.sqlite"
        if not path.exists():
            build(path)
        source = SQLiteSource(path)
        for wanted in ("pattern-00042", "pattern-09999"):
            newest, fetch = asyncio.run(best_of_three(source, wanted))
            print(f"{wanted}: newest {newest * 1e3:.1f} ms, fetch {fetch * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
