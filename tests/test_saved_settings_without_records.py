"""An accumulator's bytes hold its settings without their `execution_data`: the empty
record container a request's settings may carry (any empty mapping, list or tuple) is
no setting, and not every container is one JSON can write (a mutation pass of
streaming.py: saving it went unchecked)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import pytest
from usage_analytics import BatchUsageAccumulator, UsageAccumulator

START = datetime(2026, 1, 5, tzinfo=UTC)
BASE: dict[str, Any] = {
    "time_window_start": START,
    "time_window_end": datetime(2026, 1, 6, tzinfo=UTC),
}

EMPTY_CONTAINERS: list[Callable[[], Any]] = [list, tuple, dict, lambda: MappingProxyType({})]


@pytest.mark.parametrize("kind", [UsageAccumulator, BatchUsageAccumulator])
@pytest.mark.parametrize("empty", EMPTY_CONTAINERS, ids=["list", "tuple", "dict", "mappingproxy"])
def test_saved_settings_leave_out_the_empty_record_container(
    kind: type[Any], empty: Callable[[], Any]
) -> None:
    accumulator = kind(**BASE, execution_data=empty())
    data = accumulator.to_bytes()
    assert b"execution_data" not in data
    restored = kind.from_bytes(data)
    # Read back as settings given none: the default, an empty list.
    assert restored.settings.execution_data == []
    assert (
        restored.settings
        == kind(**BASE, correlation_id=accumulator.settings.correlation_id).settings
    )
