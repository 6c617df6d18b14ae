"""`benches/sqlite_one_of_many.py`'s table in PostgreSQL: 1M records over 10,000 patterns
(`pattern-00000` ...), one every 7 s back from 2026-03-01, the newest pattern-00000's.

    .venv/bin/python benches/postgres_one_of_many.py postgresql://user@host/db [--time-index]

makes `pattern_executions` (by `create_executions_table`: the (pattern_id, timestamp)
index) where the database has none, filled by one INSERT ... SELECT generate_series on
the server and ANALYZEd; `--time-index` makes `timed_executions` instead, the same rows
with an index on the timestamp too.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from postgres_tables import build_table


def build(url: str, time_index: bool) -> None:
    name = "timed_executions" if time_index else "pattern_executions"
    build_table(
        url,
        name,
        "(pattern_id, timestamp, success) "
        "SELECT 'pattern-' || lpad((i % 10000)::text, 5, '0'), "
        "timestamptz '2026-03-01 00:00Z' - i * interval '7 seconds', true "
        "FROM generate_series(0, 999999) i",
        after=[f"CREATE INDEX {name}_time ON {name} (timestamp)"] if time_index else [],
    )


if __name__ == "__main__":
    build(sys.argv[1], "--time-index" in sys.argv[2:])
