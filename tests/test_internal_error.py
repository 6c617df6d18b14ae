"""The library's own faults raise `InternalError`, a `UsageAnalyticsError`: a caller can
tell them from a refusal of its input by type (a service answering 500, not 422, for
them: examples/service.py). The core's `CoreError::Internal` (a broken invariant, a
caught panic) was a plain `UsageAnalyticsError`, as every refusal is, told apart only by
its words ("internal error in usage-analytics (please report)")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import usage_analytics
from usage_analytics import (
    InternalError,
    InvalidRecordError,
    ModelUsageAnalyticsInput,
    NodeUsageAnalyticsReducer,
    UsageAnalyticsError,
    _core,
)
from usage_analytics.errors import InternalError as InternalErrorOfErrors
from usage_analytics.ingest.dispatch import reduce_any
from usage_analytics.output import output_builder
from usage_analytics.reducer import core_options

START = datetime(2026, 3, 1, tzinfo=UTC)


def _contract(records: object, **options: object) -> ModelUsageAnalyticsInput:
    return ModelUsageAnalyticsInput(
        pattern_id="p",
        time_window_start=START,
        time_window_end=START + timedelta(days=1),
        execution_data=records,
        **options,
    )


def test_internal_error_is_one_class_under_usage_analytics_error() -> None:
    assert InternalError is InternalErrorOfErrors is _core.InternalError
    assert issubclass(InternalError, UsageAnalyticsError)
    assert not issubclass(InternalError, ValueError)  # (not a refusal of a value)
    assert "InternalError" in usage_analytics.__all__


def test_a_broken_invariant_of_the_core_raises_internal_error() -> None:
    # An output asked of a result the core made without analytics (a call whose invalid
    # records raise): a step the library never takes, so the core's own check.
    contract = _contract([{"timestamp": "yesterday", "success": True}])
    raw = reduce_any(contract.execution_data, core_options(contract, by_pattern=False))
    assert raw["invalid"] == 1
    words = r"^internal error in usage-analytics \(please report\)"
    with pytest.raises(InternalError, match=words):
        output_builder(contract, START).output("p", raw["result"], 0.0)


def test_an_internal_error_is_still_caught_as_usage_analytics_error() -> None:
    contract = _contract([{"timestamp": "yesterday", "success": True}])
    raw = reduce_any(contract.execution_data, core_options(contract, by_pattern=False))
    with pytest.raises(UsageAnalyticsError):
        output_builder(contract, START).output("p", raw["result"], 0.0)


@pytest.mark.parametrize(
    ("records", "update", "refusal"),
    [
        ([{"timestamp": "yesterday", "success": True}], {}, InvalidRecordError),
        ({"timestamp": ["2026-03-01T00:00:00Z"], "success": [True, False]}, {}, None),
        # (Past the contract's own check, unvalidated: the core's refusal.)
        ([], {"timezone": "Mars/Olympus_Mons"}, None),
    ],
    ids=["bad record", "columns of different lengths", "unknown zone in the core"],
)
def test_a_refusal_of_the_input_is_no_internal_error(
    records: object, update: dict[str, object], refusal: type[Exception] | None
) -> None:
    contract = _contract(records).model_copy(update=update)
    with pytest.raises(UsageAnalyticsError) as raised:
        NodeUsageAnalyticsReducer().execute_reduction_sync(contract)
    assert not isinstance(raised.value, InternalError)
    if refusal is not None:
        assert isinstance(raised.value, refusal)
