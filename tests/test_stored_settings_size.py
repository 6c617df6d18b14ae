"""The bound on the settings a saved state or monitor carries: at most 64 KiB are read.

`to_bytes` stores the settings' JSON (under a kilobyte); a hostile state's could be as
large as the state, and pydantic's JSON parser aborts the process where it cannot
allocate, so `from_bytes` refuses settings longer than 64 KiB before parsing them
(`streaming._MAX_SETTINGS_BYTES`). Here the settings of real states are padded with
JSON whitespace, which changes nothing they say, to exactly the bound and one byte past
it: the first loads as the original, the second is refused naming its size.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from saved_bytes import HEADER, read_varint, varint, with_crc
from usage_analytics import (
    BatchRollingUsageAnalytics,
    BatchUsageAccumulator,
    RollingUsageAnalytics,
    UsageAccumulator,
    UsageAnalyticsError,
)

BOUND = 64 * 1024
START = datetime(2024, 1, 1, tzinfo=UTC)


def settings_padded_to(data: bytes, size: int) -> bytes:
    """`data` (a `to_bytes()` output) with its settings' JSON padded with spaces to `size`
    bytes and the checksum recomputed. (The payload starts with the settings: their
    length as a varint, then the text.)"""
    payload = data[HEADER:]
    length, taken = read_varint(payload)
    meta = payload[taken : taken + length]
    assert meta.startswith(b"{")
    assert len(meta) < size
    payload = varint(size) + meta + b" " * (size - length) + payload[taken + length :]
    version = int.from_bytes(data[4:6], "little")
    return with_crc(payload, magic=data[:4], version=version)


def _accumulator(kind: type[Any]) -> Any:
    accumulator = kind(START, START + timedelta(days=1), time_window_type="daily")
    record = {"timestamp": START + timedelta(hours=3), "success": True, "execution_time_ms": 12.5}
    accumulator.update(
        [{**record, "pattern_id": "p"}] if kind is BatchUsageAccumulator else [record]
    )
    return accumulator


def _monitor(kind: type[Any]) -> Any:
    monitor = kind(timedelta(hours=1), timedelta(minutes=5), timezone="Europe/Paris")
    record = {"timestamp": START + timedelta(minutes=7), "success": False, "execution_time_ms": 3.0}
    monitor.add([{**record, "pattern_id": "p"}] if kind is BatchRollingUsageAnalytics else [record])
    return monitor


SAVED: list[tuple[type[Any], Callable[[type[Any]], Any]]] = [
    (UsageAccumulator, _accumulator),
    (BatchUsageAccumulator, _accumulator),
    (RollingUsageAnalytics, _monitor),
    (BatchRollingUsageAnalytics, _monitor),
]
IDS = [kind.__name__ for kind, _ in SAVED]


@pytest.mark.parametrize(("kind", "make"), SAVED, ids=IDS)
def test_settings_of_exactly_64_kib_load_as_the_original(
    kind: type[Any], make: Callable[[type[Any]], Any]
) -> None:
    original = make(kind)
    loaded = kind.from_bytes(settings_padded_to(original.to_bytes(), BOUND))
    assert loaded.settings == original.settings
    assert loaded.to_bytes() == original.to_bytes()


@pytest.mark.parametrize(("kind", "make"), SAVED, ids=IDS)
def test_settings_one_byte_past_64_kib_are_refused_naming_their_size(
    kind: type[Any], make: Callable[[type[Any]], Any]
) -> None:
    data = settings_padded_to(make(kind).to_bytes(), BOUND + 1)
    with pytest.raises(UsageAnalyticsError) as refused:
        kind.from_bytes(data)
    assert str(refused.value) == (
        "not a valid usage-analytics state: its settings do not read back: "
        "65,537 bytes of them, more than settings take"
    )


@pytest.mark.parametrize("kind", [UsageAccumulator, BatchUsageAccumulator])
def test_merge_bytes_refuses_a_state_of_oversized_settings_and_takes_the_bound(
    kind: type[Any],
) -> None:
    state = _accumulator(kind).to_bytes()
    merged = kind.merge_bytes([state, settings_padded_to(state, BOUND)])
    assert merged.to_bytes() == kind.merge_bytes([state, state]).to_bytes()
    with pytest.raises(UsageAnalyticsError, match="65,537 bytes of them"):
        kind.merge_bytes([settings_padded_to(state, BOUND + 1), state])
