"""A read of one pattern from a PostgreSQL table: its stored ids found by the column's
index (`postgres_spellings`, now) against listing every distinct id to find them (as
before helper-282), raced in one run.

The tables: 1M records over PATTERNS ids each (default 1,000 and 100,000), of the
column types KINDS (default text, "pattern-000042"; integer, 42; numeric, 42; text in
ICU's root collation, whose ids are still listed: no range of its index holds a
pattern's padded ids; text of which a third of the ids start with a space, "padded"), one
every 7 s back from 2026-03-01, the library's layout (`postgres_tables.build_table`:
the (pattern_id, timestamp) index), ANALYZEd (`one_<kind>_<PATTERNS>`, kept where the
database has it). Each round times, alternated, `fetch` of one pattern over 30 days
(`analyze --pattern`) and `newest` of it, and `fetch` of an unknown pattern (its error
names the table's patterns: the ids listed, once since helper-290, twice before where
the read lists them to find the pattern's). Least / median wall ms of ROUNDS (default 5)
and the ratio of medians.

    PYTHONPATH=python .venv/bin/python benches/postgres_one_pattern.py [ROUNDS] \
        [postgresql://user@host/db] [PATTERNS...]

Without a URL (or with "-") it starts a throwaway server (`tests/pg_server.py`) and
removes it after.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from usage_analytics.sources import PostgresSource, TableSpec, UnknownPatternError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from postgres_tables import build_table, server_url
from timing import Took, raced, repeated_awaited, walls

END = datetime(2026, 3, 1, tzinfo=UTC)
#: Kind -> (the id of row i of PATTERNS as SQL, the pattern read).
KINDS = {
    "text": ("'pattern-' || lpad((i % {n})::text, 6, '0')", "pattern-000007"),
    "integer": ("(i % {n})::text", "7"),
    "numeric": ("(i % {n})::text", "7"),
    "icu": ("'pattern-' || lpad((i % {n})::text, 6, '0')", "pattern-000007"),
    "padded": (
        "CASE WHEN i % 3 = 0 THEN ' ' ELSE '' END || 'pattern-' || lpad((i % {n})::text, 6, '0')",
        "pattern-000007",
    ),
}
#: Kind -> the column's type, where not the kind.
TYPES = {"icu": 'text COLLATE "und-x-icu"', "padded": "text"}


def table(kind: str, patterns: int) -> str:
    return f"one_{kind}_{patterns}"


def build(url: str, kind: str, patterns: int) -> None:
    name = table(kind, patterns)
    typed = TYPES.get(kind, kind)
    retyped = (
        []
        if kind in ("text", "padded")
        else [f"ALTER TABLE {name} ALTER COLUMN pattern_id TYPE {typed} USING pattern_id::{typed}"]
    )
    build_table(
        url,
        name,
        "(pattern_id, timestamp, success) "
        f"SELECT {KINDS[kind][0].format(n=patterns)}"
        + ("" if kind in ("text", "icu", "padded") else f"::{kind}")
        + ", timestamptz '2026-03-01 00:00Z' - i * interval '7 seconds', i % 7 <> 0 "
        "FROM generate_series(0, 999999) i",
        before=retyped,
    )


class ByListing(PostgresSource):
    """The stored ids of the pattern as they were found: every distinct id listed."""

    def _pattern_forms(
        self, cursor: Any, columns: Mapping[str, Any], wanted: str
    ) -> list[str] | None:
        column = columns["pattern_id"]
        if column.base == "uuid":
            return super()._pattern_forms(cursor, columns, wanted)
        return self._listed_forms(cursor, column, wanted)

    def _pattern_ids(self, cursor: Any, pid: str, skip_scan: str | None) -> list[str]:
        # (Listed again by each caller in a call, as before helper-290: an unknown
        # pattern's read listed them to find its ids, then to name the patterns.)
        return self._listed_ids(cursor, pid, skip_scan)


async def _unknown(source: PostgresSource) -> str:
    """An unknown pattern's error message, of a fetch of 30 days."""
    try:
        await source.fetch("no-such-pattern", END - timedelta(days=30), END)
    except UnknownPatternError as error:
        return str(error)
    raise AssertionError("no-such-pattern was found")


async def race(url: str, rounds: int, kind: str, patterns: int) -> None:
    spec, wanted = TableSpec(table(kind, patterns)), KINDS[kind][1]
    async with PostgresSource(url, spec) as ours, ByListing(url, spec) as theirs:
        reads: dict[str, Callable[[PostgresSource], Awaitable[Any]]] = {
            "fetch, 30 days": lambda s: s.fetch(wanted, END - timedelta(days=30), END),
            "newest": lambda s: s.newest(wanted),
            "fetch, unknown": _unknown,
        }
        for label, read in reads.items():
            # (The same answers both ways, and a warm-up each.)
            mine, before = await read(ours), await read(theirs)
            if isinstance(mine, str):  # (an error's message: "error")
                assert mine == before, (mine, before)
            size = "error" if isinstance(mine, str) else getattr(mine, "count", mine)
            assert isinstance(mine, str) or size == getattr(before, "count", before)
            taken: dict[str, list[Took]] = {"now": [], "listing": []}
            for _ in range(rounds):
                taken["now"] += await repeated_awaited(partial(read, ours), 1)
                taken["listing"] += await repeated_awaited(partial(read, theirs), 1)
            print(
                raced(
                    f"{kind}, {patterns:,} ids, {label} ({size})",
                    ("now", walls(taken["now"])),
                    ("listing", walls(taken["listing"])),
                ),
                flush=True,
            )


def main(rounds: int, url: str, counts: list[int]) -> None:
    for patterns in counts:
        for kind in KINDS:
            build(url, kind, patterns)
            asyncio.run(race(url, rounds, kind, patterns))


if __name__ == "__main__":
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    given = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] != "-" else None
    counts = [int(arg) for arg in sys.argv[3:]] or [1_000, 100_000]
    with server_url(given) as url:
        main(rounds, url, counts)
