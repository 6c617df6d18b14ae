"""A numpy bytes array (dtype `S`) in a dict of columns: refused before conversion
(`ingest.bytes_columns`, session 60) against the way it was refused before (converted to
Arrow binary whole by `text_buffers`, then refused by the core), raced in one run, for
1,000,000 rows of an agent column of `S12` and a timestamp column beside it.

    PYTHONPATH=<tree>/python .venv/bin/python benches/bytes_columns.py [CALLS]

Prints least and median of CALLS (default 5) calls of each, in milliseconds, and the
ratio of the medians.
"""

from __future__ import annotations

import statistics
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from timing import wall_seconds
from usage_analytics import ModelUsageAnalyticsInput, NodeUsageAnalyticsReducer, UsageAnalyticsError
from usage_analytics.ingest import bytes_columns, dict_columns

ROWS = 1_000_000


def refused_in_ms(columns: dict[str, Any], calls: int) -> list[float]:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    request = ModelUsageAnalyticsInput(
        pattern_id="p",
        time_window_start=start,
        time_window_end=start + timedelta(days=30),
        time_window_type="monthly",
        execution_data=columns,
    )
    reducer = NodeUsageAnalyticsReducer()

    def refused() -> None:
        try:
            reducer.execute_reduction_sync(request)
        except UsageAnalyticsError:
            return
        raise AssertionError("not refused")

    return [seconds * 1e3 for seconds in wall_seconds(refused, calls)]


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    columns = {
        "timestamp": np.datetime64("2024-01-01", "us") + np.arange(ROWS).astype("timedelta64[s]"),
        "agent": np.char.add(b"agent-", np.arange(ROWS).astype("S6")),
    }
    medians = {}
    for label, patched in (("converted then refused (before)", True), ("refused first", False)):
        check = mock.Mock(return_value=None) if patched else bytes_columns.refuse_bytes_column
        with mock.patch.object(dict_columns, "refuse_bytes_column", check):
            times = refused_in_ms(columns, calls)
        medians[label] = statistics.median(times)
        print(f"{label}: {min(times):.2f} / {medians[label]:.2f} ms")
    before, after = medians.values()
    print(f"ratio (before / refused first, medians): {before / after:.0f}x")


if __name__ == "__main__":
    main()
