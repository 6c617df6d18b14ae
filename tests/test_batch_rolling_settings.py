"""`BatchRollingUsageAnalytics.settings` is a `BatchRollingSettings`: the one-pattern
monitor's settings without its `pattern_id`, which named no pattern of a batch monitor
(it read "rolling"). Monitors saved before it (their settings stored with
`"pattern_id": "rolling"`) still load, as bytes and as pickles; saved now, the settings
omit the key, which those versions read as its default.
"""

from __future__ import annotations

import base64
import json
import pickle
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from test_batch_rolling import record
from test_batch_rolling_bytes import HEADER, varint, with_crc
from usage_analytics import RollingUsageAnalytics, UsageAnalyticsError
from usage_analytics.batch_rolling import (
    BatchRollingSettings,
    BatchRollingUsageAnalytics,
    _restore_batch_rolling,
)
from usage_analytics.streaming import STORED, MonitorSettings, RollingSettings

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)

# `to_bytes()` of a monitor saved by the version before `BatchRollingSettings` (commit
# f12d155): BatchRollingUsageAnalytics(2 h, 1 h, on_invalid="skip", exact_budget=3,
# max_future=5 min, correlation_id=SAVED_CORRELATION_ID), fed at now=T0 + 2 h the records
# of `saved_records()`. Its settings JSON holds "pattern_id": "rolling".
SAVED_BYTES = base64.b64decode(
    """
VUFSQgEA+8W/95wEeyJ3aW5kb3ciOiJQVDJIIiwiYnVja2V0IjoiUFQxSCIsInBhdHRlcm5faWQiOiJyb2xsaW5n
IiwiZ3JhbnVsYXJpdHkiOiJkZXRhaWxlZCIsImluY2x1ZGVfdHJlbmRzIjp0cnVlLCJpbmNsdWRlX3BlcmZvcm1h
bmNlIjp0cnVlLCJpbmNsdWRlX2Rpc3RyaWJ1dGlvbiI6dHJ1ZSwiaW5jbHVkZV9wcmVkaWN0aW9ucyI6ZmFsc2Us
Im9uX2ludmFsaWQiOiJza2lwIiwidGltZXpvbmUiOiJVVEMiLCJ0cmVuZF90aHJlc2hvbGRzIjp7Imdyb3dpbmdf
dmVsb2NpdHkiOjAuNSwiZGVjbGluaW5nX3ZlbG9jaXR5IjotMC41LCJhYmFuZG9uZWRfdmVsb2NpdHkiOi0yLjAs
ImFiYW5kb25lZF9tYXhfZXhlY3V0aW9ucyI6NSwiZW1lcmdpbmdfbWF4X2V4ZWN1dGlvbnMiOjEwLCJtaW5fdF9z
dGF0aXN0aWMiOjIuMCwicmVjZW50X2ZyYWN0aW9uIjowLjI1fSwiY29ycmVsYXRpb25faWQiOiIwMDAwMDAwMC0w
MDAwLTQwMDAtODAwMC0wMDAwMDAwMDAyNDEiLCJyZWxhdGl2ZV9hY2N1cmFjeSI6MC4wMSwiZXhhY3RfYnVkZ2V0
IjozLCJtYXhfZnV0dXJlIjoiUFQ1TSJ9BQABAQQKcGF0dGVybl9pZAInJxptdXN0IG5vdCBiZSBlbXB0eSBvciBi
bGFua2BVQVJXAQAUzthyAACAkJ3pGoCQnekaA1VUQwEBAQAAAAAAAAAA4D8AAAAAAADgvwAAAAAAAADABQoAAAAA
AAAAQAAAAAAAANA/A3sUrkfheoQ/gJCd6RoCAAAAAAAAAAACAAFh1wFVQVJXAQCj6Z4AAACAkJ3pGoCQnekaA1VU
QwEBAQAAAAAAAAAA4D8AAAAAAADgvwAAAAAAAADABQoAAAAAAAAAQAAAAAAAANA/A3sUrkfheoQ/gJCd6RoCAfiM
PAICAAAAAQd1bmtub3duAfiMPAIBAAAAAAAQAAAAAAAAWUAAAAAAAIBZQAAAAQIBxMACAgAAAAAAAAAAAAAAAAIA
AAAAAAAAAAAAAAIAAAAAAAABgKCcqbyCpgYBAAECAQABAgEAAQIAAAgAcIZTCUwGAAgAiJPiCUwGAAABYrMCVUFS
VwEA1M0MBwAAgJCd6RqAkJ3pGgNVVEMBAQEAAAAAAAAAAOA/AAAAAAAA4L8AAAAAAAAAwAUKAAAAAAAAAEAAAAAA
AADQPwN7FK5H4XqEP4CQnekaAgH6jDwCAgAAAAEHdW5rbm93bgL4jDwBAQAAAAAACAAAAAAAQFlAAAABAQHEwAIB
AAAAAAAAAAAAAAAAAQAAAAAAAAAAAAAAAQAAAAAAAAGA8Oews4KmBgEAAQEBAAEBAQABAQAACAD8DJsJTAYACAD8
DJsJTAYA+ow8AQAAAAAAAAgAAAAAAMBZQAAAAQEBxMACAQAAAAAAAAAAAAAAAAABAAAAAAAAAAAAAAEAAAAAAAAB
gNDQocWCpgYBAAEBAQABAQEAAQEAAAgAFBoqCkwGAAgAFBoqCkwGAA==
"""
)
SAVED_CORRELATION_ID = UUID("00000000-0000-4000-8000-000000000241")
SAVED_SETTINGS: dict[str, Any] = {
    "on_invalid": "skip",
    "exact_budget": 3,
    "max_future": timedelta(minutes=5),
    "correlation_id": SAVED_CORRELATION_ID,
}


def saved_records() -> list[dict[str, Any]]:
    """What the saved monitor was fed: four records of "a" and "b", one without an id."""
    return [
        {
            "pattern_id": p,
            "timestamp": T0 + timedelta(minutes=20 * i),
            "success": i % 3 > 0,
            "execution_time_ms": 100.0 + i,
        }
        for i, p in enumerate("abab")
    ] + [{"pattern_id": "", "timestamp": T0}]


def saved_anew() -> BatchRollingUsageAnalytics:
    """The saved monitor, built by this version."""
    monitor = BatchRollingUsageAnalytics(2 * HOUR, HOUR, **SAVED_SETTINGS)
    monitor.add(saved_records(), now=T0 + 2 * HOUR)
    return monitor


def meta_of(data: bytes) -> bytes:
    """The settings JSON of a batch monitor's bytes (first in the payload, after its
    length as postcard's varint)."""
    payload = data[HEADER:]
    size, shift, at = 0, 0, 0
    while True:
        byte = payload[at]
        size |= (byte & 0x7F) << shift
        shift, at = shift + 7, at + 1
        if byte < 0x80:
            return payload[at : at + size]


def with_meta(data: bytes, meta: bytes) -> bytes:
    """`data` with its settings JSON replaced by `meta` (and its CRC recomputed)."""
    old = meta_of(data)
    payload = data[HEADER:]
    rest = payload[len(varint(len(old))) + len(old) :]
    return with_crc(varint(len(meta)) + meta + rest)


def test_the_saved_bytes_are_as_described() -> None:
    # (Guards the fixture itself: what the version before wrote, pattern id and all.)
    stored = json.loads(meta_of(SAVED_BYTES))
    assert stored["pattern_id"] == "rolling"
    assert stored["correlation_id"] == str(SAVED_CORRELATION_ID)


def test_batch_settings_have_no_pattern_id() -> None:
    settings = BatchRollingUsageAnalytics(HOUR, HOUR).settings
    assert type(settings) is BatchRollingSettings
    assert "pattern_id" not in BatchRollingSettings.model_fields
    assert not hasattr(settings, "pattern_id")
    assert "pattern_id" not in settings.model_dump()
    assert b"pattern_id" not in meta_of(BatchRollingUsageAnalytics(HOUR, HOUR).to_bytes())


def test_the_one_pattern_monitor_keeps_its_pattern_id() -> None:
    settings = RollingUsageAnalytics(HOUR, HOUR, pattern_id="checkout").settings
    assert type(settings) is RollingSettings
    assert settings.pattern_id == "checkout"
    assert RollingUsageAnalytics(HOUR, HOUR).settings.pattern_id == "rolling"
    assert isinstance(settings, MonitorSettings)


def test_bytes_saved_by_the_version_before_load() -> None:
    loaded = BatchRollingUsageAnalytics.from_bytes(SAVED_BYTES)
    anew = saved_anew()
    assert type(loaded.settings) is BatchRollingSettings
    assert loaded.settings == anew.settings
    at = T0 + HOUR
    shown, expected = loaded.snapshot(at), anew.snapshot(at)
    assert shown.results.keys() == expected.results.keys() == {"a", "b"}
    for key, row in shown.results.items():
        assert row.usage_metrics == expected.results[key].usage_metrics
        assert row.success_metrics == expected.results[key].success_metrics
        assert row.performance_metrics == expected.results[key].performance_metrics
    assert shown.data_quality == expected.data_quality
    # Saved again, the settings lose the key and load as before.
    again = BatchRollingUsageAnalytics.from_bytes(loaded.to_bytes())
    assert b"pattern_id" not in meta_of(loaded.to_bytes())
    assert again.settings == loaded.settings


class PickledBefore:
    """Pickles as a batch monitor of the version before did: its `__reduce__` was this
    one, `_restore_batch_rolling` of its bytes."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore_batch_rolling, (SAVED_BYTES,))


def test_pickles_of_the_version_before_load() -> None:
    assert pickle.loads(pickle.dumps(saved_anew())).settings == saved_anew().settings
    restored = pickle.loads(pickle.dumps(PickledBefore()))
    assert type(restored) is BatchRollingUsageAnalytics
    assert type(restored.settings) is BatchRollingSettings
    assert restored.settings == saved_anew().settings


def test_a_stored_pattern_id_other_than_the_old_default_is_refused() -> None:
    # The version before refused a pattern_id at construction, so it stored "rolling"
    # alone: another id is settings of no batch monitor.
    stored = json.loads(meta_of(SAVED_BYTES))
    for other in ["checkout", "", None, 7]:
        meta = json.dumps({**stored, "pattern_id": other}, separators=(",", ":")).encode()
        with pytest.raises(UsageAnalyticsError, match="pattern_id"):
            BatchRollingUsageAnalytics.from_bytes(with_meta(SAVED_BYTES, meta))


def test_a_pattern_id_is_refused_at_construction() -> None:
    with pytest.raises(TypeError, match="takes no pattern_id"):
        BatchRollingUsageAnalytics(HOUR, HOUR, pattern_id="rolling")
    # The old default is dropped only from stored settings, never from a caller's.
    with pytest.raises(ValidationError, match="pattern_id"):
        BatchRollingSettings(window=HOUR, bucket=HOUR, pattern_id="rolling")  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="pattern_id"):
        BatchRollingSettings.model_validate(
            {"window": HOUR, "bucket": HOUR, "pattern_id": "rolling"}
        )


def test_settings_saved_now_load_in_the_version_before() -> None:
    # That version read them as `RollingSettings`, whose pattern_id defaults to "rolling".
    settings = saved_anew().settings
    read_before = RollingSettings.model_validate_json(settings.model_dump_json())
    assert read_before.pattern_id == "rolling"
    assert read_before.model_dump(exclude={"pattern_id"}) == settings.model_dump()


def test_settings_that_differ_still_refuse_a_merge_of_frames() -> None:
    # Equal settings compare equal; any field apart makes them differ (load checks).
    a = BatchRollingSettings(window=HOUR, bucket=HOUR, correlation_id=SAVED_CORRELATION_ID)
    assert a == BatchRollingSettings(window=HOUR, bucket=HOUR, correlation_id=SAVED_CORRELATION_ID)
    assert a != a.model_copy(update={"exact_budget": 7})
    assert pickle.loads(pickle.dumps(a)) == a


@given(
    window_buckets=st.integers(1, 48),
    bucket_minutes=st.integers(1, 90),
    on_invalid=st.sampled_from(["raise", "skip"]),
    exact_budget=st.integers(0, 5000),
    include_trends=st.booleans(),
    timezone=st.sampled_from(["UTC", "Europe/Berlin", "America/Sao_Paulo"]),
    max_future=st.none() | st.integers(0, 3600).map(lambda s: timedelta(seconds=s)),
)
def test_any_settings_stored_with_the_old_pattern_id_read_back_as_they_were(
    window_buckets: int,
    bucket_minutes: int,
    on_invalid: str,
    exact_budget: int,
    include_trends: bool,
    timezone: str,
    max_future: timedelta | None,
) -> None:
    # The model: what the version before stored is today's settings plus the old key.
    bucket = timedelta(minutes=bucket_minutes)
    settings = BatchRollingSettings(
        window=window_buckets * bucket,
        bucket=bucket,
        on_invalid=on_invalid,
        exact_budget=exact_budget,
        include_trends=include_trends,
        timezone=timezone,
        max_future=max_future,
    )
    old = {**json.loads(settings.model_dump_json()), "pattern_id": "rolling"}
    assert BatchRollingSettings.model_validate_json(json.dumps(old), context=STORED) == settings
    with pytest.raises(ValidationError):
        BatchRollingSettings.model_validate_json(json.dumps(old))
    monitor = BatchRollingUsageAnalytics(
        settings.window, bucket, **settings.model_dump(exclude={"window", "bucket"})
    )
    monitor.add([record("a", T0)], **({"now": T0} if max_future is not None else {}))
    data = monitor.to_bytes()
    old_bytes = with_meta(data, json.dumps(old, separators=(",", ":")).encode())
    assert BatchRollingUsageAnalytics.from_bytes(old_bytes).settings == settings
