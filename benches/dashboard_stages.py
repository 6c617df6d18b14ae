"""Where the dashboard's memory goes over a record file: the resident set after each of
its steps (after a collection), as `usage-analytics dashboard FILE` takes them.

    .venv/bin/python benches/dashboard_stages.py FILE START END

START and END are the window (ISO-8601). Prints MB (10^6 bytes): the file read, its
groups by pattern, the batch's DETAILED outputs, the dashboard rows with their findings.
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
from datetime import datetime

from usage_analytics import AnalyticsGranularity, ModelUsageAnalyticsInput
from usage_analytics.cli.batch import reduce_patterns
from usage_analytics.dashboard import dashboard_rows
from usage_analytics.progress import Progress
from usage_analytics.sources import Fetched, FileSource


def resident_mb() -> float:
    gc.collect()
    with open("/proc/self/statm") as statm:  # (Linux: pages, the resident set second)
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


async def main(path: str, start: datetime, end: datetime) -> None:
    print(f"start    {resident_mb():8.0f} MB")
    source = FileSource(path)
    await source.newest()  # (reads the file)
    print(f"read     {resident_mb():8.0f} MB")
    groups = await source.fetch_all(start, end)
    print(f"groups   {resident_mb():8.0f} MB  ({len(groups):,} patterns)")

    def contract(fetched: Fetched) -> ModelUsageAnalyticsInput:
        return ModelUsageAnalyticsInput(
            pattern_id=fetched.pattern_id,
            time_window_start=start,
            time_window_end=end,
            granularity=AnalyticsGranularity.DETAILED,
            execution_data=fetched.data,
        )

    results = await reduce_patterns(groups, contract, path, Progress())
    print(f"outputs  {resident_mb():8.0f} MB")
    rows = dashboard_rows([(f.pattern_id, r) for f, r in zip(groups, results, strict=True)])
    print(f"rows     {resident_mb():8.0f} MB  ({len(rows):,})")


if __name__ == "__main__":
    asyncio.run(
        main(sys.argv[1], datetime.fromisoformat(sys.argv[2]), datetime.fromisoformat(sys.argv[3]))
    )
