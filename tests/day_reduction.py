"""Real reductions for the HTML report's exact-markup tests: one pattern over a custom
window of a day from `START` unless told otherwise, COMPREHENSIVE (every chart drawn)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from usage_analytics import (
    AnalyticsGranularity,
    ModelUsageAnalyticsInput,
    ModelUsageAnalyticsOutput,
    NodeUsageAnalyticsReducer,
    TimeWindowType,
)

START = datetime(2026, 3, 1, tzinfo=UTC)  # a Sunday


def reduce(records: list[dict[str, Any]], **options: Any) -> ModelUsageAnalyticsOutput:
    options.setdefault("time_window_start", START)
    options.setdefault("time_window_end", START + timedelta(days=1))
    options.setdefault("time_window_type", TimeWindowType.CUSTOM)
    options.setdefault("granularity", AnalyticsGranularity.COMPREHENSIVE)
    contract = ModelUsageAnalyticsInput(pattern_id="p", execution_data=records, **options)
    return NodeUsageAnalyticsReducer().execute_reduction_sync(contract)
