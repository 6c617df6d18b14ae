"""`history(pattern, 20, window_type="weekly")` of a SQLite store holding a year of a
pattern's hourly results (8,760) and 52 weekly ones, with and without the store's index
on (pattern_id, window_type, computed_at): without it (a file of an earlier version, not
yet saved to) SQLite reads the pattern's results newest first through (pattern_id,
computed_at) back to the 20th weekly one.

    .venv/bin/python benches/store_history_by_type.py [interleaved|older|save]

`interleaved`: a weekly result each week among the hourly ones (about 3,400 rows read
without the index); `older`: the weekly results all older than the hourly ones (every row
of the pattern read). Prints the least of 20 calls, in milliseconds, warm (the file in
the page cache): a cold read without the index reads each of those rows' pages. Then
the query alone, as `history` sends it (its parameters bound, from SQLite's trace), in
`sqlite3`, the least of 20 runs, and its plan, with the index and without it. `save`
times `save_many` of the `older` results into a fresh file and again (replacing them):
it calls no `window_type=`, so it runs on trees before the index too.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

from timing import wall_seconds
from usage_analytics import (
    ModelUsageAnalyticsInput,
    ModelUsageAnalyticsOutput,
    NodeUsageAnalyticsReducer,
    TimeWindowType,
)
from usage_analytics.store import SQLiteAnalyticsStore

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from sqlite_trace import tracing  # (the tests' own)

NOW = datetime(2026, 3, 1, tzinfo=UTC)
PATTERN = "checkout"


def results(layout: str) -> list[ModelUsageAnalyticsOutput]:
    records = [
        {"timestamp": NOW - timedelta(minutes=7 * i), "success": i % 9 > 0, "agent": f"a{i % 5}"}
        for i in range(500)
    ]
    base = NodeUsageAnalyticsReducer().execute_reduction_sync(
        ModelUsageAnalyticsInput(
            pattern_id=PATTERN,
            time_window_start=NOW - timedelta(days=3),
            time_window_end=NOW,
            execution_data=records,
        )
    )

    def at(
        end: datetime, length: timedelta, kind: TimeWindowType, n: int
    ) -> ModelUsageAnalyticsOutput:
        window = {"time_window_start": end - length, "time_window_end": end}
        update = {**window, "time_window_type": kind, "computed_at": end}
        return base.model_copy(update={**update, "correlation_id": UUID(int=n)})

    hourly = [
        at(NOW + timedelta(hours=h), timedelta(hours=1), TimeWindowType.HOURLY, h + 1)
        for h in range(8_760)
    ]
    weekly = [
        at(
            NOW + timedelta(weeks=w) if layout == "interleaved" else NOW - timedelta(weeks=52 - w),
            timedelta(weeks=1),
            TimeWindowType.WEEKLY,
            10**6 + w,
        )
        for w in range(52)
    ]
    return hourly + weekly


def least_ms(store: SQLiteAnalyticsStore) -> float:
    async def once() -> float:
        started = time.perf_counter()
        found = await store.history(PATTERN, 20, window_type="weekly")
        assert len(found) == 20
        return (time.perf_counter() - started) * 1000

    return min(asyncio.run(once()) for _ in range(20))


def sent_query(path: Path) -> str:
    """The SQL `history` runs, its parameters bound, as SQLite's trace shows it (a fresh
    store: it opens a connection per call)."""
    sent: list[str] = []
    connect = sqlite3.connect
    sqlite3.connect = tracing(connect, sent)  # type: ignore[assignment]
    try:
        asyncio.run(SQLiteAnalyticsStore(path).history(PATTERN, 20, window_type="weekly"))
    finally:
        sqlite3.connect = connect
    (query,) = (statement for statement in sent if statement.startswith("SELECT model"))
    return query


def query_alone(path: Path, query: str) -> str:
    """The least of 20 runs of `query` in `sqlite3`, and its plan."""
    with sqlite3.connect(path) as connection:
        plan = "; ".join(row[-1] for row in connection.execute(f"EXPLAIN QUERY PLAN {query}"))
        times = wall_seconds(lambda: connection.execute(query).fetchall(), 20)
    connection.close()
    return f"{min(times) * 1000:.2f} ms ({plan})"


def saves(layout: str) -> None:
    """Saving the results into a fresh file, then saving them again (replacing them)."""
    made = results(layout)
    with tempfile.TemporaryDirectory() as directory:
        store = SQLiteAnalyticsStore(Path(directory) / "results.sqlite")
        for label in ("into a fresh file", "replacing them"):
            started = time.perf_counter()
            asyncio.run(store.save_many(made))
            seconds = time.perf_counter() - started
            print(f"save_many of {len(made):,} results, {label}: {seconds:.2f} s")


def main() -> None:
    layout = sys.argv[1] if len(sys.argv) > 1 else "older"
    if layout == "save":
        saves("older")
        return
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "results.sqlite"
        store = SQLiteAnalyticsStore(path)
        asyncio.run(store.save_many(results(layout)))
        query = sent_query(path)
        with_index, alone_with = least_ms(store), query_alone(path, query)
        with sqlite3.connect(path) as connection:
            connection.execute("DROP INDEX pattern_analytics_type_computed")
        connection.close()
        without, alone_without = least_ms(store), query_alone(path, query)
    print(
        f"{layout}: history of 20 weekly results among 8,812: {without:.2f} ms without the "
        f"index, {with_index:.2f} ms with it"
    )
    print(f"the query alone without the index: {alone_without}")
    print(f"the query alone with it: {alone_with}")


if __name__ == "__main__":
    main()
