"""`SQLiteSource.fetch_all` of a table whose number column holds integers and reals: the
core's reader compares each stored integer with its field's range (since `12a3a60`; a
bad one is kept apart to be shown as stored).

    PYTHONPATH=<tree>/python .venv/bin/python benches/sqlite_integer_numbers.py [RUNS]

The table: 300,000 rows of four patterns, one a second from 2026-01-05, `timestamp` as
fixed-width UTC text (as `write_executions_sync` writes it), `execution_time_ms` an
INTEGER column holding 123 (an integer) in every other row and 12.375 (a real, which
INTEGER affinity keeps) in the rest, all good, with the (pattern_id, timestamp) index.
RUNS (default 5) runs of a fresh source each, three `fetch_all` calls of those four days
a run, in seconds.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import usage_analytics
from csv_integer_cells import ROWS, START, fetches
from usage_analytics.sources import SQLiteSource
from usage_analytics.sources.timestamps import format_utc


def build(path: Path) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE pattern_executions (pattern_id TEXT, timestamp TEXT, "
            "success INTEGER, execution_time_ms INTEGER)"
        )
        connection.execute(
            "CREATE INDEX pattern_executions_pattern_time "
            "ON pattern_executions (pattern_id, timestamp)"
        )
        connection.executemany(
            "INSERT INTO pattern_executions VALUES (?, ?, ?, ?)",
            (_row(i) for i in range(ROWS)),
        )
    connection.close()


def _row(i: int) -> tuple[str, str, bool, int | float]:
    return (
        f"p{i % 4}",
        format_utc(START + timedelta(seconds=i)),
        i % 9 > 0,
        123 if i % 2 else 12.375,
    )


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    print(usage_analytics.__file__)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "records.sqlite"
        build(path)
        for _ in range(runs):
            shown = ", ".join(f"{t:.3f}" for t in asyncio.run(fetches(SQLiteSource(path))))
            print(f"fetch_all of {ROWS:,} SQLite rows: {shown} s")


if __name__ == "__main__":
    main()
