"""Each reducer method takes its own request: a batch request given to
`execute_reduction` (or a plain dict, a request body not yet validated) was an
AttributeError deep inside ('... has no attribute pattern_id'), and a single request
given to `execute_batch_reduction` was reduced as a batch, its `pattern_id` silently
ignored. Now a TypeError names the method, the request it takes and the one given."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from usage_analytics import (
    ModelUsageAnalyticsBatchInput,
    ModelUsageAnalyticsInput,
    NodeUsageAnalyticsReducer,
)

END = datetime(2026, 11, 20, tzinfo=UTC)
WINDOW: dict[str, Any] = {"time_window_start": END - timedelta(days=7), "time_window_end": END}
RECORDS = [{"timestamp": END - timedelta(hours=1), "success": True, "pattern_id": "a"}]
SINGLE = ModelUsageAnalyticsInput(pattern_id="checkout", execution_data=RECORDS, **WINDOW)
BATCH = ModelUsageAnalyticsBatchInput(execution_data=RECORDS, **WINDOW)
BODY = {"pattern_id": "checkout", "execution_data": RECORDS, **WINDOW}
REDUCER = NodeUsageAnalyticsReducer()


def run(method: Callable[[Any], Any], request: Any) -> None:
    outcome = method(request)
    if isinstance(outcome, Awaitable):
        asyncio.run(outcome)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "method", [REDUCER.execute_reduction, REDUCER.execute_reduction_sync], ids=lambda m: m.__name__
)
@pytest.mark.parametrize(
    ("request_", "given"), [(BATCH, "ModelUsageAnalyticsBatchInput"), (BODY, "dict")]
)
def test_a_single_reduction_refuses_another_request(
    method: Callable[[Any], Any], request_: Any, given: str
) -> None:
    name = method.__name__
    expected = f"{name}() takes a ModelUsageAnalyticsInput, got {given}"
    with pytest.raises(TypeError, match=f"^{re.escape(expected)}"):
        run(method, request_)


@pytest.mark.parametrize(
    "method",
    [REDUCER.execute_batch_reduction, REDUCER.execute_batch_reduction_sync],
    ids=lambda m: m.__name__,
)
@pytest.mark.parametrize(
    ("request_", "given"), [(SINGLE, "ModelUsageAnalyticsInput"), (BODY, "dict")]
)
def test_a_batch_reduction_refuses_another_request(
    method: Callable[[Any], Any], request_: Any, given: str
) -> None:
    name = method.__name__
    expected = f"{name}() takes a ModelUsageAnalyticsBatchInput, got {given}"
    with pytest.raises(TypeError, match=f"^{re.escape(expected)}"):
        run(method, request_)


def test_the_message_says_which_method_takes_the_request_given() -> None:
    with pytest.raises(TypeError, match="execute_batch_reduction"):
        REDUCER.execute_reduction_sync(BATCH)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"ModelUsageAnalyticsInput\.model_validate"):
        REDUCER.execute_reduction_sync(BODY)  # type: ignore[arg-type]


def test_each_method_still_takes_its_own_request() -> None:
    assert REDUCER.execute_reduction_sync(SINGLE).usage_metrics.total_executions == 1
    assert list(REDUCER.execute_batch_reduction_sync(BATCH).results) == ["a"]
