"""A batch rolling monitor survives a restart: `BatchRollingUsageAnalytics.to_bytes` /
`from_bytes` and pickle.

Layout: b"UARB" | format version u16 LE (2; 1, version 1's payload, where no error sample
has a location) | CRC-32 of the payload u32 LE | payload (the cumulative counts, the
settings as an empty one-pattern monitor's frame, and per pattern its id and its window
as a one-pattern monitor's frame, b"UARW", with its own counts; then the monitor's samples'
locations where any has one: `test_rolling_sample_locations`).
Hostile bytes raise `UsageAnalyticsError`, never crash, never load silently wrong. (Round
trips in the middle of adds and snapshots: `test_batch_rolling`'s property.)
"""

from __future__ import annotations

import struct
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
from test_batch_rolling import record, without_volatile
from test_state_bytes import (
    _describe,
    _internal,
    inconsistencies,
    loaded_outcome,
    mutation_tallies_by_version,
)
from usage_analytics import RollingUsageAnalytics, UsageAccumulator, UsageAnalyticsError
from usage_analytics.batch_rolling import BatchRollingUsageAnalytics

MAGIC = b"UARB"
VERSION = 2
#: What a monitor none of whose samples has a location is written as (version 1's bytes).
PLAIN_VERSION = 1
HEADER = 10
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def with_crc(payload: bytes, *, magic: bytes = MAGIC, version: int = PLAIN_VERSION) -> bytes:
    """`payload` framed anew, by default as a monitor of no located sample's."""
    return magic + struct.pack("<H", version) + struct.pack("<I", zlib.crc32(payload)) + payload


def varint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def small_monitors() -> list[BatchRollingUsageAnalytics]:
    few = BatchRollingUsageAnalytics(3 * HOUR, HOUR, exact_budget=2, on_invalid="skip")
    few.add(
        [
            record("ab"[i % 2], T0 + i * 25 * MINUTE, agent="xy"[i % 2], success=i % 3 > 0)
            for i in range(6)
        ]
        + [record(7, T0, execution_time_ms=-1.0)]
    )
    off = BatchRollingUsageAnalytics(2 * HOUR, HOUR, include_trends=False, max_future=HOUR)
    off.add([record(i, T0 + i * HOUR) for i in range(3)], now=T0 + 2 * HOUR)
    located = BatchRollingUsageAnalytics(HOUR, HOUR, on_invalid="skip")
    located.add(
        pd.DataFrame(
            {
                "pattern_id": ["p", None, "q"],
                "timestamp": [T0] * 3,
                "execution_time_ms": [1.0, 2.0, -1.0],
            },
            index=["a", "b", 7],
        )
    )
    assert located.to_bytes()[4:6] == struct.pack("<H", VERSION)
    return [BatchRollingUsageAnalytics(HOUR, HOUR), few, off, located]


def test_a_restored_monitor_snapshots_and_adds_as_the_saved_one() -> None:
    saved = small_monitors()[1]
    restored = BatchRollingUsageAnalytics.from_bytes(saved.to_bytes())
    assert restored.settings == saved.settings
    assert restored.pattern_count == saved.pattern_count
    for m in (saved, restored):
        m.add([record("c", T0 + 2 * HOUR), record("a", T0 + 2 * HOUR, success="no")])
    a, b = saved.snapshot(T0 + 2 * HOUR), restored.snapshot(T0 + 2 * HOUR)
    assert {k: without_volatile(v) for k, v in a.results.items()} == {
        k: without_volatile(v) for k, v in b.results.items()
    }
    assert a.data_quality == b.data_quality


def test_another_format_version_is_refused_naming_both() -> None:
    data = small_monitors()[1].to_bytes()
    for version in (0, 3):
        refusal = f"version {version}, this usage-analytics reads versions 1 to 2"
        with pytest.raises(UsageAnalyticsError, match=refusal):
            BatchRollingUsageAnalytics.from_bytes(with_crc(data[HEADER:], version=version))


def test_other_kinds_of_bytes_are_told_apart() -> None:
    one = RollingUsageAnalytics(HOUR, HOUR)
    with pytest.raises(UsageAnalyticsError, match="hold a RollingUsageAnalytics"):
        BatchRollingUsageAnalytics.from_bytes(one.to_bytes())
    with pytest.raises(UsageAnalyticsError, match="magic"):
        BatchRollingUsageAnalytics.from_bytes(UsageAccumulator(T0, T0 + HOUR).to_bytes())
    with pytest.raises(UsageAnalyticsError, match="magic"):
        RollingUsageAnalytics.from_bytes(small_monitors()[0].to_bytes())


def test_truncation_at_every_length_is_refused() -> None:
    data = small_monitors()[1].to_bytes()
    for cut in range(len(data)):
        with pytest.raises(UsageAnalyticsError):
            BatchRollingUsageAnalytics.from_bytes(data[:cut])


def test_settings_that_do_not_describe_the_monitor_are_refused() -> None:
    # The settings' JSON (meta) of another bucket, the frame recomputed around it.
    saved = small_monitors()[2]
    data = saved.to_bytes()
    meta = saved.settings.model_dump_json().encode()
    changed = meta.replace(b'"bucket":"PT1H"', b'"bucket":"PT30M"')
    assert len(changed) == len(meta) + 1
    payload = data[HEADER:]
    # (The meta bytes come first, after their length as postcard's varint.)
    assert payload[len(varint(len(meta))) :].startswith(meta)
    patched = varint(len(changed)) + changed + payload[len(varint(len(meta))) + len(meta) :]
    with pytest.raises(UsageAnalyticsError, match="do not match the stored ones"):
        BatchRollingUsageAnalytics.from_bytes(with_crc(patched))


def check_loaded(loaded: BatchRollingUsageAnalytics) -> list[str]:
    """A monitor that loaded must behave: snapshot, round-trip and take records."""
    try:
        newest = loaded._core.newest_start_us
        at = T0 if newest is None else EPOCH + timedelta(microseconds=newest)
        shown = loaded.snapshot(at)
        problems = [p for row in shown.results.values() for p in inconsistencies(row)]
        again = BatchRollingUsageAnalytics.from_bytes(loaded.to_bytes()).snapshot(at)
        if again.data_quality != shown.data_quality or {
            k: without_volatile(v) for k, v in again.results.items()
        } != {k: without_volatile(v) for k, v in shown.results.items()}:
            problems.append("its round trip snapshots differently")
        loaded.add([record("z", at)], **({"now": at} if loaded.settings.max_future else {}))
        loaded.snapshot(at)
    except UsageAnalyticsError as error:
        return _internal(error)
    except BaseException as error:
        if isinstance(error, KeyboardInterrupt):
            raise
        return [f"a loaded monitor raised {_describe(error)}"]
    return problems


def outcome(data: bytes, *, must_reject: bool) -> tuple[str, list[str]]:
    return loaded_outcome(
        BatchRollingUsageAnalytics.from_bytes,
        check_loaded,
        data,
        must_reject=must_reject,
        what="monitor",
    )


def test_thousands_of_mutations_never_crash_or_load_wrong() -> None:
    # Each payload reframed under its own version (a version 2 payload always holds its
    # samples' locations, a version 1 one never), so that mutations reach its content.
    originals = [(f"monitor {i}", m.to_bytes()) for i, m in enumerate(small_monitors())]
    tallies = mutation_tallies_by_version(
        originals,
        {PLAIN_VERSION: 3000 * 4 // 5, VERSION: 3000 // 5},
        20261207,
        with_crc,
        lambda _, data, must_reject: outcome(data, must_reject=must_reject),
    )
    for tally in tallies.values():
        assert tally.get("crc:rejected", 0) > 0, tally
        assert tally.get("raw:rejected", 0) > 0, tally
        assert tally.get("crc:loaded", 0) > 0, tally


def test_a_pattern_frame_of_other_settings_is_refused() -> None:
    # Two monitors alike but for exact_budget: the second's pattern frame in the first.
    def built(budget: int) -> bytes:
        m = BatchRollingUsageAnalytics(HOUR, HOUR, exact_budget=budget)
        m.add([record("a", T0)])
        return m.to_bytes()

    def last_frame(data: bytes) -> bytes:
        return data[data.rindex(b"UARW") :]

    mine, theirs = built(1024), built(1023)
    payload = mine[HEADER:].replace(last_frame(mine), last_frame(theirs))
    assert payload != mine[HEADER:]
    with pytest.raises(UsageAnalyticsError, match="settings differ"):
        BatchRollingUsageAnalytics.from_bytes(with_crc(payload))


@pytest.mark.parametrize("value", ["text", 3, None])
def test_from_bytes_of_a_wrong_type_is_a_type_error(value: Any) -> None:
    with pytest.raises(TypeError, match="needs bytes"):
        BatchRollingUsageAnalytics.from_bytes(value)
