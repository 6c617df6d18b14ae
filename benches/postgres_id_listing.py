"""Listing a PostgreSQL table's pattern ids, and `fetch_all`'s window: as
`PostgresSource` reads them now (the ids by one scan with DISTINCT where the table's
statistics say its ids have few rows each, `postgres_shape.LIST_BY_SCAN_BELOW_ROWS_PER_ID`,
else by the index's steps; `fetch_all`'s window by one scan in the ranges' order where
they say fewer than `SCAN_BELOW_ROWS_PER_ID`, as `fetch_present` read it) against always
by the index's steps, one seek an id, and each id's range (as before helper-272).

The tables: 1M records over PATTERNS text ids each (default 1,000, 10,000 and 100,000:
1,000, 100 and 10 rows an id), "pattern-000042", one every 7 s back from 2026-03-01, the
library's layout (`postgres_tables.build_table`: the (pattern_id, timestamp) index),
ANALYZEd (`listing_<PATTERNS>`, kept where the database has it). Each round times,
alternated, one source of each: the listing alone, `fetch_all` of the last day (the
dashboard's call: the ids listed, then each id's range) and `fetch` of one pattern over
30 days (`analyze --pattern`: the ids listed to find its spellings). Least / median wall
ms of ROUNDS (default 5) and the ratio of medians.

    PYTHONPATH=python .venv/bin/python benches/postgres_id_listing.py [ROUNDS] \
        [postgresql://user@host/db] [PATTERNS...]

Without a URL (or with "-") it starts a throwaway server (`tests/pg_server.py`) and
removes it after.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from usage_analytics.sources import PostgresSource, TableSpec
from usage_analytics.sources import postgres as postgres_source

sys.path.insert(0, str(Path(__file__).resolve().parent))
from postgres_tables import build_table, server_url
from timing import Took, raced, repeated_awaited, walls

END = datetime(2026, 3, 1, tzinfo=UTC)


def table(patterns: int) -> str:
    return f"listing_{patterns}"


def build(url: str, patterns: int) -> None:
    build_table(
        url,
        table(patterns),
        "(pattern_id, timestamp, success) "
        f"SELECT 'pattern-' || lpad((i % {patterns})::text, 6, '0'), "
        "timestamptz '2026-03-01 00:00Z' - i * interval '7 seconds', i % 7 <> 0 "
        "FROM generate_series(0, 999999) i",
    )


class BySteps(PostgresSource):
    """The listing as it was: by the index's steps wherever they can list the ids."""

    def _pattern_ids(self, cursor: Any, pid: str, skip_scan: str | None) -> list[str]:
        if skip_scan is None:
            return super()._pattern_ids(cursor, pid, skip_scan)
        cursor.execute(f"{skip_scan}SELECT ua_id::text FROM ua_ids WHERE ua_id IS NOT NULL")
        return [str(value) for value in cursor.fetch_arrow_table().column(0).to_pylist()]

    def _window_groups(self, start: datetime, end: datetime, present: bool, *rest: Any) -> Any:
        if present:
            return super()._window_groups(start, end, present, *rest)
        # (`fetch_all` read each id's range whatever the table's statistics said: the
        # source's module asked while this call runs, alone, as the race awaits each.)
        with contextlib.ExitStack() as undo:
            names = vars(postgres_source)
            undo.callback(names.__setitem__, "few_rows_per_id", names["few_rows_per_id"])
            names["few_rows_per_id"] = lambda *_: False
            return super()._window_groups(start, end, present, *rest)


async def listing(source: PostgresSource) -> int:
    def work(cursor: Any, columns: dict[str, Any]) -> int:
        pid = columns["pattern_id"].sql
        return len(source._pattern_ids(cursor, pid, source._skip_scan(cursor, pid)))

    count: int = await source._run(work)
    return count


async def race(url: str, rounds: int, patterns: int) -> None:
    spec = TableSpec(table(patterns))
    async with PostgresSource(url, spec) as ours, BySteps(url, spec) as theirs:
        reads: dict[str, Callable[[PostgresSource], Awaitable[Any]]] = {
            "the ids listed": listing,
            "fetch_all, 1 day": lambda s: s.fetch_all(END - timedelta(days=1), END),
            "fetch of one pattern, 30 days": lambda s: s.fetch(
                "pattern-000007", END - timedelta(days=30), END
            ),
        }
        for label, read in reads.items():
            # (The same answers both ways, and a warm-up each.)
            mine, before = await read(ours), await read(theirs)
            size = len(mine) if isinstance(mine, list) else getattr(mine, "count", mine)
            same = len(before) if isinstance(before, list) else getattr(before, "count", before)
            assert size == same, (size, same)
            taken: dict[str, list[Took]] = {"now": [], "by steps": []}
            for _ in range(rounds):
                taken["now"] += await repeated_awaited(partial(read, ours), 1)
                taken["by steps"] += await repeated_awaited(partial(read, theirs), 1)
            print(
                raced(
                    f"{patterns:,} ids, {label} ({size:,})",
                    ("now", walls(taken["now"])),
                    ("by steps", walls(taken["by steps"])),
                ),
                flush=True,
            )


def main(rounds: int, url: str, counts: list[int]) -> None:
    for patterns in counts:
        build(url, patterns)
        asyncio.run(race(url, rounds, patterns))


if __name__ == "__main__":
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    given = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] != "-" else None
    counts = [int(arg) for arg in sys.argv[3:]] or [1_000, 10_000, 100_000]
    with server_url(given) as url:
        main(rounds, url, counts)
