"""Where `PostgresSource.fetch_all` of November spends its time, step by step, on
`benches/postgres_shuffled.py`'s tables: the query it sends (recorded from its cursor, as
`postgres_explain.py` records it) run alone, its `execute` and `fetch_arrow_table` timed
apart; then ROUNDS calls of `fetch_all` (default 3) with timers around the client's steps
after the query: `_in_time_order` (a tree before session 55's helper-188 had it) and
`pattern_table` (`_groups`' sort and copy), and the whole call. Each step's wall time /
this process's CPU time (every thread's), in seconds.

    PYTHONPATH=<tree>/python .venv/bin/python benches/postgres_fetch_steps.py \
        [wide|narrow] [ROUNDS] [postgresql://user@host/db]

Without a URL it starts a throwaway server (`tests/pg_server.py`) and removes it after.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from usage_analytics.sources import PostgresSource, postgres
from usage_analytics.sources.base import TableSpec
from usage_analytics.sources.postgres_connection import connect

sys.path.insert(0, str(Path(__file__).resolve().parent))
from postgres_explain import run_on_server, sent_query
from postgres_shuffled import END, START, TABLES, build
from timing import Took, repeated_awaited, timed

spent: dict[str, list[Took]] = {}


def timed_as(name: str, step: Callable[..., Any]) -> Callable[..., Any]:
    """`step`, its every call timed into `spent[name]`."""

    def run(*args: Any, **kwargs: Any) -> Any:
        took, result = timed(partial(step, *args, **kwargs))
        spent.setdefault(name, []).append(took)
        return result

    return run


def query_alone(url: str, query: str) -> None:
    connection = connect(url)
    try:
        cursor = connection.cursor()
        timed_as("execute", cursor.execute)(query, [START, END])
        rows = timed_as("fetch_arrow_table", cursor.fetch_arrow_table)().num_rows
        assert rows == 1_000_000, rows
        cursor.close()
    finally:
        connection.close()


async def calls(url: str, kind: str, rounds: int) -> None:
    if hasattr(postgres, "_in_time_order"):
        postgres._in_time_order = timed_as("_in_time_order", postgres._in_time_order)
    # (`_groups`' own call: the rows in no window are grouped by `arrow`'s name of it.)
    postgres.pattern_table = timed_as("pattern_table", postgres.pattern_table)  # type: ignore[attr-defined]
    async with PostgresSource(url, TableSpec(table=TABLES[kind])) as source:
        fetches = await repeated_awaited(partial(source.fetch_all, START, END), rounds)
        spent.setdefault("fetch_all (the whole call)", []).extend(fetches)


def main(kind: str, rounds: int, url: str) -> None:
    build(url, kind)
    query = asyncio.run(sent_query(url, kind))
    for _ in range(rounds):
        query_alone(url, query)
    asyncio.run(calls(url, kind, rounds))
    for name, times in spent.items():
        shown = ", ".join(f"{took.wall:.2f}/{took.cpu:.2f}" for took in times)
        print(f"{kind} {name}: {shown}")


if __name__ == "__main__":
    kind = sys.argv[1] if len(sys.argv) > 1 else "wide"
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    run_on_server(main, kind, rounds)
