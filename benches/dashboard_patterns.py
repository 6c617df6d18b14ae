"""`usage-analytics dashboard` over a database of many patterns: one batch reduction
against one reduction per pattern, alternated in one process.

    .venv/bin/python benches/dashboard_patterns.py [SOURCE] [--patterns N] [--records M]

SOURCE is a SQLite file (made when missing: M records over N patterns, evenly over the
year 2025, by `create_executions_table`'s layout) or a postgresql:// URL whose
`pattern_executions` table is filled the same way when it has none. Each round runs the
dashboard twice (JSON to /dev/null, default window: the 30 days up to the newest
record, and `--start` of the whole year), once as it runs and once with the batch
turned off (`reduce_patterns` then reduces one pattern at a time, as before).
"""

from __future__ import annotations

import argparse
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from usage_analytics.cli import batch, main

START = datetime(2025, 1, 1, tzinfo=UTC)


def make_sqlite(path: Path, patterns: int, records: int) -> None:
    from usage_analytics.sources.sqlite_table import create_executions_table

    connection = sqlite3.connect(path)
    create_executions_table(connection)
    span = 365 * 86_400

    def rows() -> Iterator[tuple[object, ...]]:
        for i in range(1, records + 1):
            when = START + timedelta(seconds=span * i / records)
            stamp = when.isoformat().replace("+00:00", "Z")
            yield (f"p{i % patterns}", stamp, int(i % 7 > 0), float(i % 1000), (i % 10) / 10)

    connection.executemany(
        "INSERT INTO pattern_executions (pattern_id, timestamp, success, execution_time_ms, "
        "quality_score) VALUES (?, ?, ?, ?, ?)",
        rows(),
    )
    connection.commit()
    connection.close()


def make_postgres(url: str, patterns: int, records: int) -> None:
    from postgres_tables import build_table

    build_table(
        url,
        "pattern_executions",
        "(pattern_id, timestamp, success, execution_time_ms, quality_score) "
        f"SELECT 'p' || (i % {patterns}), timestamp '2025-01-01' + "
        f"(i::float8 / {records}) * interval '365 days', i % 7 > 0, "
        f"(i % 1000)::float8, (i % 10) / 10.0 FROM generate_series(1, {records}) i",
    )


@contextmanager
def one_call_per_pattern() -> Iterator[None]:
    original = batch._one_table
    batch._one_table = lambda groups: (None, set())
    try:
        yield
    finally:
        batch._one_table = original


def seconds(argv: list[str]) -> float:
    began = time.perf_counter()
    code = main([*argv, "--format", "json", "--output", "/dev/null"])
    assert code == 0, code
    return time.perf_counter() - began


def run() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("source", nargs="?", default="/tmp/dashboard_patterns.sqlite")
    parser.add_argument("--patterns", type=int, default=10_000)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if args.source.startswith("postgresql://"):
        make_postgres(args.source, args.patterns, args.records)
    elif not Path(args.source).exists():
        make_sqlite(Path(args.source), args.patterns, args.records)
    windows = {"30 days": [], "the year": ["--start", "2025-01-01T00:00:00Z"]}
    for label, extra in windows.items():
        argv = ["dashboard", args.source, *extra]
        best = {"batch": float("inf"), "one call per pattern": float("inf")}
        for _ in range(args.rounds):
            best["batch"] = min(best["batch"], seconds(argv))
            with one_call_per_pattern():
                best["one call per pattern"] = min(best["one call per pattern"], seconds(argv))
        ratio = best["one call per pattern"] / best["batch"]
        print(
            f"{label:>9}: batch {best['batch']:6.2f} s, one call per pattern "
            f"{best['one call per pattern']:6.2f} s ({ratio:.2f}x), best of {args.rounds}",
            flush=True,
        )


if __name__ == "__main__":
    run()
