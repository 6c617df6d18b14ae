"""`prune` of a SQLite store of 1M rows (1,000 patterns x 1,000 rolling snapshots 5
minutes apart, a monitor's 3.5 days), with the store's index on (computed_at) and without
it (a file of an earlier version); each run on a fresh copy of the file, written out
first (else the first commit timed writes the copy).

    .venv/bin/python benches/store_prune.py DIR build PAYLOAD_BYTES
    .venv/bin/python benches/store_prune.py DIR run MODE FRACTION

PAYLOAD_BYTES: the two JSON columns' text (a real row holds about 4,300 bytes).
MODE: index (the store's prune) | noindex (its DELETE, sent as the store sends it, the
index dropped) | rawindex (that DELETE, the index present) | cacheN (that DELETE with a
page cache of N MiB) | keepnone (the DELETE of keep_latest=0: no EXISTS).
FRACTION: the share of the ticks that are old (0.9: 900,000 rows; 0.001: one tick's 1,000,
what a prune every 5 minutes deletes).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from usage_analytics.sources.timestamps import format_utc
from usage_analytics.store import SQLiteAnalyticsStore
from usage_analytics.store.pruning import pruning

HERE = Path(sys.argv[1]) if __name__ == "__main__" else Path(".")
BASE = HERE / "base.sqlite"
WORK = HERE / "work.sqlite"
START = datetime(2026, 1, 2, tzinfo=UTC)  # (the first snapshot)
PATTERNS, TICKS = 1000, 1000


def build(payload: int) -> None:
    BASE.unlink(missing_ok=True)
    store = SQLiteAnalyticsStore(BASE)
    asyncio.run(store.save_many([]))  # (the table and its indexes, as the store makes them)
    stamp = "strftime('%Y-%m-%dT%H:%M:%S', '2026-01-01', '+' || ({m}) || ' minutes') || '.000000Z'"
    with sqlite3.connect(BASE) as connection:
        connection.execute(
            "WITH RECURSIVE numbers(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM numbers "
            f"WHERE n < {PATTERNS * TICKS - 1}) "
            "INSERT INTO pattern_analytics SELECT "
            "printf('%08d-0000-4000-8000-000000000000', n % 1000), "
            f"{stamp.format(m='(n / 1000) * 5')}, {stamp.format(m='(n / 1000) * 5 + 1440')}, "
            "'custom', printf('00000000-0000-4000-8000-%012d', n), "
            f"{stamp.format(m='(n / 1000) * 5 + 1440')}, 1, 1.0, NULL, NULL, 1.0, "
            f"printf('%.*c', {payload // 3}, 'r'), printf('%.*c', {payload - payload // 3}, 'm') "
            "FROM numbers"
        )
    connection.close()
    print(f"built {BASE}: {BASE.stat().st_size / 1e9:.2f} GB")


def run(mode: str, fraction: float) -> None:
    shutil.copyfile(BASE, WORK)
    with WORK.open("rb+") as copied:  # (else the first commit timed writes the copy out)
        os.fsync(copied.fileno())
    older_than = START + timedelta(minutes=5 * round(TICKS * fraction))
    if mode == "noindex":
        with sqlite3.connect(WORK) as connection:
            connection.execute("DROP INDEX pattern_analytics_computed")
        connection.close()
    with sqlite3.connect(WORK) as connection:  # (warm the page cache alike)
        connection.execute("SELECT count(*) FROM pattern_analytics").fetchone()
    connection.close()
    began = time.perf_counter()
    if mode == "index":
        deleted = asyncio.run(SQLiteAnalyticsStore(WORK).prune(older_than))
    else:  # (the store's own statement: the store would add the index first)
        keep = 0 if mode == "keepnone" else 1
        statement, params = pruning(older_than, None, None, keep).statement(
            '"pattern_analytics"', lambda: "?", format_utc
        )
        with sqlite3.connect(WORK) as connection:
            if mode.startswith("cache"):  # (cache64: a page cache of 64 MiB)
                connection.execute(f"PRAGMA cache_size = -{int(mode[5:]) * 1024}")
            deleted = connection.execute(statement, params).rowcount
        connection.close()
    took = time.perf_counter() - began
    print(f"{mode} fraction={fraction}: deleted {deleted:,} in {took:.2f} s")
    WORK.unlink()


if __name__ == "__main__":
    if sys.argv[2] == "build":
        build(int(sys.argv[3]))
    else:
        run(sys.argv[3], float(sys.argv[4]))
