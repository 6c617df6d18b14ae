"""Where the dashboard's memory goes: the resident set after each of its steps (after a
collection), as `usage-analytics dashboard SOURCE` takes them.

    .venv/bin/python benches/dashboard_stages.py SOURCE START END

SOURCE is a record file, a SQLite file or a postgresql:// URL; START and END the window
(ISO-8601). Prints MB (10^6 bytes) and seconds since the start (collections included)
after each step: the source's newest record found (a file: read), its groups by pattern,
the batch's DETAILED outputs, the dashboard rows with their health findings.
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import time
from collections.abc import Callable
from datetime import datetime

from usage_analytics import AnalyticsGranularity, ModelUsageAnalyticsInput
from usage_analytics.cli.batch import reduce_patterns
from usage_analytics.dashboard import dashboard_rows
from usage_analytics.progress import Progress
from usage_analytics.sources import Fetched, open_source

STARTED = time.perf_counter()


def stage(name: str, note: str = "") -> None:
    """The resident set and the seconds since the start, after step `name`."""
    print(f"{name:8} {resident_mb():8.0f} MB {time.perf_counter() - STARTED:7.2f} s  {note}")


def resident_mb() -> float:
    gc.collect()
    with open("/proc/self/statm") as statm:  # (Linux: pages, the resident set second)
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def detailed_contract(
    start: datetime, end: datetime
) -> Callable[[Fetched], ModelUsageAnalyticsInput]:
    """A DETAILED contract over [start, end] per fetched pattern, the dashboard's
    granularity (dashboard_health's too). The benches' own, not the command's
    `cli.common.contract_of`, whose window type, timezone and `--on-invalid` come from
    its arguments."""

    def contract(fetched: Fetched) -> ModelUsageAnalyticsInput:
        return ModelUsageAnalyticsInput(
            pattern_id=fetched.pattern_id,
            time_window_start=start,
            time_window_end=end,
            granularity=AnalyticsGranularity.DETAILED,
            execution_data=fetched.data,
        )

    return contract


async def main(path: str, start: datetime, end: datetime) -> None:
    stage("start")
    async with open_source(path) as source:
        await source.newest()  # (a file: reads it)
        stage("newest")
        groups = await source.fetch_all(start, end)
    stage("groups", f"({len(groups):,} patterns)")
    results = await reduce_patterns(groups, detailed_contract(start, end), path, Progress())
    stage("outputs")
    rows = dashboard_rows([(f.pattern_id, r) for f, r in zip(groups, results, strict=True)])
    stage("rows", f"({len(rows):,})")


if __name__ == "__main__":
    asyncio.run(
        main(sys.argv[1], datetime.fromisoformat(sys.argv[2]), datetime.fromisoformat(sys.argv[3]))
    )
