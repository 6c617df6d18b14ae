"""The PostgreSQL benches' one way to make an executions table, and to have a server for
them (imported by the scripts here).

Each bench's table is made once per database and kept (a 1M-row table takes seconds to
fill): `build_table` does nothing where the database has a table of the name already.
The table is the library's layout (`create_executions_table`: the (pattern_id, timestamp)
index), filled on the server by one `INSERT ... SELECT` (no rows cross the connection)
and ANALYZEd, so the planner's estimates are those a real table's would be.

`server_url` gives the URL the command line names, or a throwaway server's
(`tests/pg_server.py`, as the tests start it), removed after.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from usage_analytics.sources import TableSpec
from usage_analytics.sources.postgres_connection import connect
from usage_analytics.sources.postgres_table import create_executions_table


def build_table(
    url: str, name: str, rows: str, *, before: Sequence[str] = (), after: Sequence[str] = ()
) -> None:
    """Make table `name` at `url` unless it exists: `INSERT INTO name <rows>`, where `rows`
    is the columns and the SELECT (`(pattern_id, ...) SELECT ... FROM generate_series...`).
    `before` runs between the CREATE and the INSERT (a column's type changed, a seed set),
    `after` between the INSERT and the ANALYZE (an index built on the filled table)."""
    connection = connect(url)
    try:
        cursor = connection.cursor()
        cursor.execute(f"SELECT to_regclass('{name}') IS NOT NULL")
        if cursor.fetchone()[0]:
            return
        create_executions_table(cursor, TableSpec(name))
        for statement in (*before, f"INSERT INTO {name} {rows}", *after, f"ANALYZE {name}"):
            cursor.execute(statement)
        cursor.close()
    finally:
        connection.close()


@contextmanager
def server_url(url: str | None) -> Iterator[str]:
    """`url`, or where it is None the URL of a throwaway server, stopped and removed after."""
    if url is not None:
        yield url
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from pg_server import ThrowawayServer

    server = ThrowawayServer.start()
    try:
        yield server.url
    finally:
        server.stop()
