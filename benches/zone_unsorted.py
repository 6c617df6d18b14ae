"""One-pattern calls on 1M unsorted Arrow timestamps in a time zone: the best of 7 calls
(after one) over six years and over 30 days holding a change to summer time.

    PYTHONPATH=<tree>/python .venv/bin/python benches/zone_unsorted.py Europe/Berlin
    PYTHONPATH=<tree>/python .venv/bin/python benches/zone_unsorted.py UTC

Unsorted instants go back and forth between the zone's spans of one offset
(`rust/zone.rs`, `OffsetCache`): what finding a span again costs, against UTC's none.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from functools import partial

import numpy as np
import pyarrow as pa
from timing import wall_seconds
from usage_analytics import ModelUsageAnalyticsInput, NodeUsageAnalyticsReducer

WINDOWS = [
    (datetime(2020, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)),
    (datetime(2026, 3, 15, tzinfo=UTC), datetime(2026, 4, 14, tzinfo=UTC)),
]


def best_of_seven(zone: str, start: datetime, end: datetime) -> float:
    """Seconds of the fastest of 7 calls on 1M instants drawn uniformly (seed 1)."""
    low, high = int(start.timestamp() * 1e6), int(end.timestamp() * 1e6)
    instants = np.random.default_rng(1).integers(low, high, 1_000_000)
    request = ModelUsageAnalyticsInput(
        pattern_id="p",
        time_window_start=start,
        time_window_end=end,
        time_window_type="custom",
        timezone=zone,
        execution_data=pa.table({"timestamp": pa.array(instants, pa.timestamp("us", "UTC"))}),
    )
    reducer = NodeUsageAnalyticsReducer()
    return min(wall_seconds(partial(reducer.execute_reduction_sync, request), 7, warm_ups=1))


def main() -> None:
    zone = sys.argv[1] if len(sys.argv) > 1 else "Europe/Berlin"
    for start, end in WINDOWS:
        print(
            f"{zone} {start.date()}..{end.date()}: {best_of_seven(zone, start, end) * 1e3:.1f} ms"
        )


if __name__ == "__main__":
    main()
