"""A read of one pattern from a PostgreSQL table of integer pattern ids, by value (as
`PostgresSource._pattern_condition` asks for it now: `pattern_id = ANY($1::integer[])`, a
range of the column's (pattern_id, timestamp) index) against by text (as it asked before
helper-255: `pattern_id::text = ANY($1::text[])`, which no index of the column serves).

The table: 1M records over PATTERNS integer ids (default 1,000), one every 7 s back from
2026-03-01, made by one INSERT ... SELECT generate_series on the server, with the
library's index and ANALYZEd (`int_executions_<PATTERNS>`, kept where the database has
it). Each
round times, alternated, one source of each: `fetch` of pattern 7 over the 30 days before
2026-03-01 and `newest` of pattern 7 (the whole calls, as `analyze` makes them: the ids'
listing by the index included). Least / median wall ms of ROUNDS (default 15) and the
ratio of medians.

    PYTHONPATH=python .venv/bin/python benches/postgres_integer_ids.py [ROUNDS] [PATTERNS] \
        [postgresql://user@host/db]

Without a URL it starts a throwaway server (`tests/pg_server.py`) and removes it after.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from usage_analytics.sources import PostgresSource, TableSpec
from usage_analytics.sources.base import PATTERN_ID

sys.path.insert(0, str(Path(__file__).resolve().parent))
from postgres_tables import build_table, server_url
from timing import Took, raced, repeated_awaited, walls

END = datetime(2026, 3, 1, tzinfo=UTC)
START = END - timedelta(days=30)
PATTERN = "7"


def table(patterns: int) -> str:
    return f"int_executions_{patterns}"


def build(url: str, patterns: int) -> None:
    name = table(patterns)
    build_table(
        url,
        name,
        "(pattern_id, timestamp, success) "
        f"SELECT i % {patterns}, timestamptz '2026-03-01 00:00Z' - i * interval '7 seconds', "
        "i % 7 <> 0 FROM generate_series(0, 999999) i",
        # (The library's layout, then the id column made integer: its index is rebuilt.)
        before=[f"ALTER TABLE {name} ALTER COLUMN pattern_id TYPE integer USING 0"],
    )


class ByText(PostgresSource):
    """The source as it asked for an integer column's rows before: by their text."""

    @staticmethod
    def _pattern_condition(
        columns: Mapping[str, Any], forms: list[str], first: int
    ) -> tuple[str, list[Any]]:
        quoted = ",".join('"' + form + '"' for form in forms)  # (digits: nothing to escape)
        return f"{columns[PATTERN_ID].sql}::text = ANY(${first}::text[])", ["{" + quoted + "}"]


async def race(url: str, rounds: int, patterns: int) -> None:
    spec = TableSpec(table(patterns))
    async with PostgresSource(url, spec) as ours, ByText(url, spec) as theirs:
        reads: dict[str, Callable[[PostgresSource], Awaitable[object]]] = {
            "fetch of one pattern, 30 days": lambda s: s.fetch(PATTERN, START, END),
            "newest of one pattern": lambda s: s.newest(PATTERN),
        }
        for label, read in reads.items():
            # (Same rows both ways, and a warm-up each.)
            mine, before = await read(ours), await read(theirs)
            count = getattr(mine, "count", mine)
            assert count == getattr(before, "count", before), (mine, before)
            taken: dict[str, list[Took]] = {"by value": [], "by text": []}
            for _ in range(rounds):
                taken["by value"] += await repeated_awaited(partial(read, ours), 1)
                taken["by text"] += await repeated_awaited(partial(read, theirs), 1)
            print(
                raced(
                    f"{label} ({count})",
                    ("by value", walls(taken["by value"])),
                    ("by text", walls(taken["by text"])),
                )
            )


def main(rounds: int, patterns: int, url: str) -> None:
    build(url, patterns)
    asyncio.run(race(url, rounds, patterns))


if __name__ == "__main__":
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    patterns = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    with server_url(sys.argv[3] if len(sys.argv) > 3 else None) as url:
        main(rounds, patterns, url)
