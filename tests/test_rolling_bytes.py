"""A rolling monitor survives a restart: `RollingUsageAnalytics.to_bytes` / `from_bytes`
and pickle.

Layout: b"UARW" | rolling format version u16 LE (2; 1, version 1's payload, where no
error sample has a location) | CRC-32 of the payload u32 LE | payload (the buckets as
accumulators are stored, the kept range, the cumulative counts and the settings as JSON,
then the samples' locations where any has one: `test_rolling_sample_locations`). A
restored monitor gives exactly the snapshots the saved one would, keeps its settings and
kept range, and goes on taking records as it would. Hostile bytes
(thousands of mutations of real monitors, as `test_state_bytes` does for accumulators)
raise `UsageAnalyticsError`, never crash, never load silently wrong: without a recomputed
checksum every change is refused; with one, a monitor that loads behaves.
"""

from __future__ import annotations

import pickle
import struct
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pandas as pd
import pytest
import saved_bytes
from hypothesis import given, settings
from hypothesis import strategies as st
from test_rolling import case_monitor, rolling_cases
from test_rolling_clock_jumps import without_times
from test_state_bytes import (
    _describe,
    _internal,
    inconsistencies,
    loaded_outcome,
    mutation_tallies_by_version,
)
from usage_analytics import (
    RollingUsageAnalytics,
    UsageAccumulator,
    UsageAnalyticsError,
)

MAGIC = b"UARW"
VERSION = 2
#: What a monitor none of whose samples has a location is written as (version 1's bytes).
PLAIN_VERSION = 1
HEADER = 10
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def record(at: datetime, **fields: Any) -> dict[str, Any]:
    return {"timestamp": at, "success": True, "execution_time_ms": 100.0, **fields}


def restored(monitor: RollingUsageAnalytics, through: str) -> RollingUsageAnalytics:
    if through == "pickle":
        copy = pickle.loads(pickle.dumps(monitor))
        assert isinstance(copy, RollingUsageAnalytics)
        return copy
    return RollingUsageAnalytics.from_bytes(monitor.to_bytes())


#: `saved_bytes.with_crc` under this kind's magic and version 1 (a payload of no located
#: sample, as most are) unless others are given.
with_crc = partial(saved_bytes.with_crc, magic=MAGIC, version=PLAIN_VERSION)


# --------------------------------------------------------------------------- round trips


@settings(max_examples=100, deadline=None)
@given(
    case=rolling_cases(),
    saved_after=st.integers(0, 8),
    through=st.sampled_from(["bytes", "pickle"]),
)
def test_a_restored_monitor_gives_the_snapshots_the_saved_one_would(
    case: dict[str, Any], saved_after: int, through: str
) -> None:
    """Any adds, saved at any point; both go on with the same adds and snapshots."""
    original = case_monitor(case)
    steps = case["steps"]
    saved_after %= len(steps) + 1
    copy: RollingUsageAnalytics | None = None
    for i, (batch, _, now) in enumerate(steps):
        if i == saved_after:
            copy = restored(original, through)
        monitors = [original] if copy is None else [original, copy]
        for monitor in monitors:
            monitor.add(batch)
        if now is not None:
            shown = [without_times(monitor.snapshot(now)) for monitor in monitors]
            assert shown[1:] == shown[:-1]
    copy = copy or restored(original, through)
    assert copy.settings == original.settings
    assert copy.retained_buckets == original.retained_buckets
    assert copy.to_bytes() == original.to_bytes()
    last = steps[-1][2]
    assert without_times(copy.snapshot(last)) == without_times(original.snapshot(last))


def skip_monitor() -> RollingUsageAnalytics:
    """Skip mode, `max_future`, a time zone and UUID pattern: records filed, left out as
    too old or too far ahead, and invalid ones (described by samples)."""
    monitor = RollingUsageAnalytics(
        window=HOUR,
        bucket=5 * MINUTE,
        on_invalid="skip",
        max_future=timedelta(minutes=5),
        timezone="America/New_York",
        pattern_id="00000000-0000-0000-0000-000000000007",
        include_predictions=True,
        exact_budget=3,
    )
    now = T0 + 2 * HOUR
    monitor.add([record(T0 + i * 7 * MINUTE, agent=f"a{i % 3}") for i in range(20)], now=now)
    monitor.add([record(T0 - 3 * HOUR), record(now + HOUR), {"timestamp": "x"}, 5], now=now)
    return monitor


@pytest.mark.parametrize("through", ["bytes", "pickle"])
def test_settings_counts_samples_and_the_kept_range_survive(through: str) -> None:
    original = skip_monitor()
    copy = restored(original, through)
    assert copy.settings == original.settings  # the correlation id too
    now = T0 + 2 * HOUR
    for at in (now, now - HOUR, now + HOUR):
        assert without_times(copy.snapshot(at)) == without_times(original.snapshot(at))
    snapshot = copy.snapshot(now)
    quality = snapshot.data_quality
    assert (quality.records_received, quality.invalid_records) == (24, 2)
    assert len(quality.error_samples) == 2
    # The kept range: a window three hours back is refused by both.
    for monitor in (original, copy):
        with pytest.raises(UsageAnalyticsError, match="before the oldest bucket kept"):
            monitor.snapshot(T0 - HOUR)
    # Later adds: skip mode and max_future are the restored one's too.
    for monitor in (original, copy):
        monitor.add([record(now + MINUTE), record(now + 2 * HOUR), None], now=now)
    assert without_times(copy.snapshot(now)) == without_times(original.snapshot(now))


def test_an_empty_monitor_round_trips() -> None:
    original = RollingUsageAnalytics(window=HOUR, bucket=HOUR, include_trends=False)
    copy = restored(original, "bytes")
    assert copy.retained_buckets == 0
    assert without_times(copy.snapshot(T0)) == without_times(original.snapshot(T0))
    assert copy.to_bytes()[:4] == MAGIC
    assert copy.to_bytes()[4:6] == struct.pack("<H", PLAIN_VERSION)


def test_a_restored_monitor_keeps_raising_mode() -> None:
    copy = restored(skip_monitor(), "bytes")
    strict = restored(RollingUsageAnalytics(window=HOUR, bucket=HOUR), "bytes")
    copy.add([None])  # skipped
    with pytest.raises(UsageAnalyticsError):
        strict.add([None])


# --------------------------------------------------------------------------- refusals


def test_another_format_version_is_refused_naming_both() -> None:
    data = skip_monitor().to_bytes()
    for version in (0, 3):
        other = data[:4] + struct.pack("<H", version) + data[6:]
        refused = f"rolling format version {version}, this usage-analytics reads versions 1 to 2"
        with pytest.raises(UsageAnalyticsError, match=refused):
            RollingUsageAnalytics.from_bytes(other)


def test_an_accumulators_bytes_and_a_monitors_are_told_apart() -> None:
    accumulator = UsageAccumulator(time_window_start=T0, time_window_end=T0 + HOUR)
    with pytest.raises(UsageAnalyticsError, match="hold a UsageAccumulator or BatchUsage"):
        RollingUsageAnalytics.from_bytes(accumulator.to_bytes())
    with pytest.raises(UsageAnalyticsError, match="hold a RollingUsageAnalytics"):
        UsageAccumulator.from_bytes(skip_monitor().to_bytes())


def test_truncation_at_every_length_is_refused() -> None:
    data = skip_monitor().to_bytes()
    for length in range(len(data)):
        with pytest.raises(UsageAnalyticsError):
            RollingUsageAnalytics.from_bytes(data[:length])


def test_settings_that_do_not_describe_the_monitor_are_refused() -> None:
    """Meta whose checksum is right but whose settings differ from the core's."""
    original = RollingUsageAnalytics(window=HOUR, bucket=5 * MINUTE)
    other = RollingUsageAnalytics(window=HOUR, bucket=6 * MINUTE)
    meta, other_meta = (m.settings.model_dump_json().encode() for m in (original, other))
    assert len(meta) == len(other_meta)
    assert meta != other_meta
    swapped = original.to_bytes()[HEADER:].replace(meta, other_meta, 1)
    with pytest.raises(UsageAnalyticsError, match="do not match the stored ones"):
        RollingUsageAnalytics.from_bytes(with_crc(swapped))


@pytest.mark.parametrize("value", [None, "text", 7, [1, 2]])
def test_from_bytes_of_a_wrong_type_is_a_type_error(value: Any) -> None:
    with pytest.raises(TypeError, match="from_bytes needs bytes"):
        RollingUsageAnalytics.from_bytes(value)


def test_unpickling_a_corrupt_monitor_raises_the_library_error() -> None:
    pickled = bytearray(pickle.dumps(skip_monitor()))
    at = pickled.index(MAGIC) + HEADER + 40
    pickled[at] ^= 0x10
    with pytest.raises(UsageAnalyticsError):
        pickle.loads(bytes(pickled))


# --------------------------------------------------------------------------- hostile bytes


def hostile_monitors() -> list[RollingUsageAnalytics]:
    """Small monitors, so thousands of mutations run in seconds."""
    few = RollingUsageAnalytics(window=3 * HOUR, bucket=HOUR, exact_budget=2)
    few.add([record(T0 + i * 25 * MINUTE, agent="ab"[i % 2]) for i in range(6)])
    off = RollingUsageAnalytics(
        window=2 * HOUR, bucket=HOUR, include_trends=False, include_distribution=False
    )
    off.add([record(T0 + i * HOUR) for i in range(3)])
    return [RollingUsageAnalytics(window=HOUR, bucket=HOUR), few, off, skip_monitor(), located()]


def located() -> RollingUsageAnalytics:
    """Samples of a labelled pandas frame's rows, which keep their labels (`location`,
    stored after the rest), beside a list's, which have none."""
    monitor = RollingUsageAnalytics(window=HOUR, bucket=HOUR, on_invalid="skip")
    monitor.add([{"timestamp": "nope"}])
    frame = pd.DataFrame(
        {"timestamp": [T0] * 3, "execution_time_ms": [1.0, -1.0, 2.0]}, index=["a", "b", 7]
    )
    monitor.add(frame)
    assert monitor.to_bytes()[4:6] == struct.pack("<H", VERSION)
    return monitor


def check_loaded(loaded: RollingUsageAnalytics) -> list[str]:
    """A monitor that loaded must behave: snapshot, round-trip and take records."""
    try:
        newest = loaded._core.newest_start_us
        at = T0 if newest is None else EPOCH + timedelta(microseconds=newest)
        shown = loaded.snapshot(at)
        problems = inconsistencies(shown)
        again = RollingUsageAnalytics.from_bytes(loaded.to_bytes())
        if without_times(again.snapshot(at)) != without_times(shown):
            problems.append("its round trip snapshots differently")
        loaded.add([record(at)], **({"now": at} if loaded.settings.max_future else {}))
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
        RollingUsageAnalytics.from_bytes,
        check_loaded,
        data,
        must_reject=must_reject,
        what="monitor",
    )


def test_thousands_of_mutations_never_crash_or_load_wrong() -> None:
    # Each payload reframed under its own version (a version 2 payload always holds its
    # samples' locations, a version 1 one never), so that mutations reach its content.
    originals = [(f"monitor {i}", m.to_bytes()) for i, m in enumerate(hostile_monitors())]
    tallies = mutation_tallies_by_version(
        originals,
        {PLAIN_VERSION: 5000 * 4 // 5, VERSION: 5000 // 5},
        20261207,
        with_crc,
        lambda _, data, must_reject: outcome(data, must_reject=must_reject),
    )
    for tally in tallies.values():
        assert tally.get("crc:rejected", 0) > 0, tally
        assert tally.get("raw:rejected", 0) > 0, tally
        assert tally.get("crc:loaded", 0) > 0, tally


def test_every_single_byte_change_of_a_small_payload_with_recomputed_crc() -> None:
    payload = hostile_monitors()[1].to_bytes()[HEADER:]
    problems = []
    for position in range(len(payload)):
        for value in {0x00, 0x01, 0x7F, 0x80, 0xFF, payload[position] ^ 0x01}:
            mutated = bytearray(payload)
            mutated[position] = value
            _, found = outcome(with_crc(bytes(mutated)), must_reject=False)
            problems += [f"payload[{position}] = {value:#04x}: {p}" for p in found]
    assert not problems, "\n".join(problems[:20])


@settings(max_examples=200, deadline=None)
@given(
    data=st.binary(max_size=300),
    valid_header=st.booleans(),
    version=st.sampled_from([PLAIN_VERSION, VERSION]),
)
def test_random_bytes_are_rejected_or_consistent(
    data: bytes, valid_header: bool, version: int
) -> None:
    candidate = with_crc(data, version=version) if valid_header else data
    _, problems = outcome(candidate, must_reject=not valid_header)
    assert not problems, "\n".join(problems)
