"""The request models and the streaming settings refuse their own fields as they are
built with pydantic's `ValidationError`, a `ValueError` (as `InvalidRecordError` is) and
not a `UsageAnalyticsError`; what the core refuses later is a `UsageAnalyticsError`.

The README said every error but `MemoryError` is a `UsageAnalyticsError`, and the errors
module listed "a window that ends before it starts" and "an unknown time zone" among
them: a service catching `UsageAnalyticsError` for its 422s answered these with a 500.
The README now says which is which; these cases keep it true.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pydantic
import pytest
from markdown_blocks import ROOT
from usage_analytics import (
    BatchRollingUsageAnalytics,
    ModelUsageAnalyticsBatchInput,
    ModelUsageAnalyticsInput,
    RollingUsageAnalytics,
    UsageAccumulator,
    UsageAnalyticsError,
)

END = datetime(2026, 3, 1, tzinfo=UTC)
START = END - timedelta(days=7)

SETTINGS_REFUSED: dict[str, Callable[[], object]] = {
    "a_window_ending_before_its_start": lambda: ModelUsageAnalyticsInput(
        pattern_id="p", time_window_start=END, time_window_end=START, execution_data=[]
    ),
    "an_unknown_time_zone": lambda: ModelUsageAnalyticsInput(
        pattern_id="p",
        time_window_start=START,
        time_window_end=END,
        timezone="Mars/Base",
        execution_data=[],
    ),
    "an_unknown_window_type_of_a_batch": lambda: ModelUsageAnalyticsBatchInput(
        time_window_start=START,
        time_window_end=END,
        time_window_type="week",
        execution_data=[],
    ),
    "an_accumulators_reversed_window": lambda: UsageAccumulator(END, START, "weekly"),
    "a_monitors_window_not_whole_buckets": lambda: RollingUsageAnalytics(
        window=timedelta(minutes=7), bucket=timedelta(minutes=5)
    ),
    "a_batch_monitors_window_not_whole_buckets": lambda: BatchRollingUsageAnalytics(
        window=timedelta(minutes=7), bucket=timedelta(minutes=5)
    ),
}


@pytest.mark.parametrize("build", SETTINGS_REFUSED.values(), ids=SETTINGS_REFUSED.keys())
def test_settings_refused_as_built_are_pydantic_value_errors(build: Callable[[], object]) -> None:
    with pytest.raises(pydantic.ValidationError) as raised:
        build()
    assert isinstance(raised.value, ValueError)
    assert not isinstance(raised.value, UsageAnalyticsError)


def test_state_bytes_that_are_no_state_are_a_usage_analytics_error() -> None:
    # (The core's refusal, after the settings: the README's "of no subclass".)
    with pytest.raises(UsageAnalyticsError) as raised:
        UsageAccumulator.from_bytes(b"no state")
    assert type(raised.value) is UsageAnalyticsError


def test_the_readme_says_so() -> None:
    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert "as does pydantic's `ValidationError` (a `ValueError`" in text
