"""`EXPLAIN (ANALYZE, TIMING OFF)` of the query `PostgresSource.fetch_all` sends for
November 2026 as the tree sends it, and in its other form: main's query is unordered
(since `1f67f34` the client sorts the rows), and is explained with the `ORDER BY` pattern
id, timestamp it ended with before; an older tree's without it. ROUNDS rounds (default
2), the two alternated. Prints each plan's execution time and its sort, if any (an
`external merge` sort spilled to disk: PostgreSQL sorts in `work_mem`, 4 MB by default).

    PYTHONPATH=<tree>/python .venv/bin/python benches/postgres_explain.py \
        [wide|narrow] [ROUNDS] [postgresql://user@host/db]

Without a URL it starts a throwaway server (`tests/pg_server.py`, as the tests do) and
removes it after. The tables are `benches/postgres_shuffled.py`'s (made when the database
has none of that name): 1M records of four patterns at random instants of November,
inserted in random order, `narrow` with four fields filled, `wide` with every field. The
query is the one `fetch_all` sends, recorded from its cursor, so it follows the tree's
code.
"""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from usage_analytics.sources import PostgresSource
from usage_analytics.sources.base import TableSpec
from usage_analytics.sources.postgres_connection import connect

sys.path.insert(0, str(Path(__file__).resolve().parent))
from postgres_shuffled import END, START, TABLES, build
from postgres_tables import server_url


class _Recorder:
    """A cursor that keeps each query it runs with the window's two parameters."""

    def __init__(self, cursor: Any, sent: list[str]) -> None:
        self._cursor, self._sent = cursor, sent

    def execute(self, query: str, parameters: Any = None) -> Any:
        if parameters == [START, END]:
            self._sent.append(query)
        return self._cursor.execute(query, parameters)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


class _RecordingSource(PostgresSource):
    sent: list[str]

    async def _run(self, work: Callable[[Any, Any], Any]) -> Any:
        return await super()._run(
            lambda cursor, columns: work(_Recorder(cursor, self.sent), columns)
        )


async def sent_query(url: str, kind: str) -> str:
    async with _RecordingSource(url, TableSpec(table=TABLES[kind])) as source:
        source.sent = []
        await source.fetch_all(START, END)
    (query,) = source.sent
    return query


#: The ORDER BY `fetch_all`'s query ended with before `1f67f34` (its two forms).
_ORDER_BY = re.compile(r' ORDER BY (ua_rows\."pattern_id", ua_rows\."timestamp"|1, "timestamp")$')


def other_form(query: str) -> tuple[str, str]:
    """The query without its ORDER BY, if it has one (a tree before `1f67f34`), else
    with it: (its label, the query)."""
    if _ORDER_BY.search(query):
        return "without the ORDER BY", _ORDER_BY.sub("", query)
    if "LATERAL" in query:
        return "with the ORDER BY", f'{query} ORDER BY ua_rows."pattern_id", ua_rows."timestamp"'
    return "with the ORDER BY", f'{query} ORDER BY 1, "timestamp"'


def explain(url: str, query: str) -> str:
    connection = connect(url)
    try:
        cursor = connection.cursor()
        cursor.execute(f"EXPLAIN (ANALYZE, TIMING OFF) {query}", [START, END])
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.close()
    finally:
        connection.close()
    took = re.search(r"Execution Time: ([\d.]+) ms", plan)
    sort = re.search(r"Sort Method: (.*)", plan)
    assert took is not None, plan
    return f"{float(took.group(1)):,.0f} ms ({sort.group(1).strip() if sort else 'no sort'})"


def run_on_server(main: Callable[[str, int, str], None], kind: str, rounds: int) -> None:
    """`main(kind, rounds, url)` on the server at the URL the command line gives after
    them, or, without one, on a throwaway server (`tests/pg_server.py`) removed after."""
    with server_url(sys.argv[3] if len(sys.argv) > 3 else None) as url:
        main(kind, rounds, url)


def main(kind: str, rounds: int, url: str) -> None:
    build(url, kind)
    query = asyncio.run(sent_query(url, kind))
    print(f"{kind} table, the query sent: {query}")
    label, other = other_form(query)
    for round_ in range(1, rounds + 1):
        print(f"round {round_}: {label}: {explain(url, other)}")
        print(f"round {round_}: as sent: {explain(url, query)}")


if __name__ == "__main__":
    kind = sys.argv[1] if len(sys.argv) > 1 else "wide"
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    run_on_server(main, kind, rounds)
