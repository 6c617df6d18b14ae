"""Decoding a batch rolling monitor's bytes checks its room first, as a state's and a
rolling monitor's do: hostile bytes whose decoding cannot be had under an address-space
limit are a `MemoryError`, never an abort; a monitor whose decoding fits loads.

Until session 64 `BatchRollingUsageAnalytics.from_bytes` decoded the payload before any
check (`rust/wire/batch_rolling.rs`, `make_room_to_decode`): a list of millions of
patterns stored in three bytes each (an id of one byte, an empty frame: a 9 MB payload)
decodes to 48 bytes a pattern, grown by doubling, and a sample's text is copied out; under
a 64 MB headroom the child aborted ("memory allocation of 33553920 bytes failed"). Both
payloads are refused as invalid where memory is not short (their settings' frame is
empty), after decoding.

Each case runs in a child that caps its address space (`RLIMIT_AS`) at what it maps plus a
headroom (`monitor_children.LIMITS`). Linux only.
"""

from __future__ import annotations

import json
import sys

import pytest
from child import run_python
from monitor_children import LIMITS, TABLES

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS as Linux applies it")

#: `hostile(patterns, text)`: batch monitor bytes (version 1) of `patterns` patterns of
#: the fewest stored bytes and, where `text`, one error sample (of the timestamp) of
#: `text` bytes of value.
#: Payload: meta, the report (received, outside, invalid, samples), the settings' frame,
#: the patterns (each an Int id 0 and an empty frame), in postcard's encoding.
HOSTILE = """
import zlib
from usage_analytics import BatchRollingUsageAnalytics, UsageAnalyticsError

def varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    return bytes(out + bytes([n]))

def hostile(patterns, text):
    field = b"timestamp"
    samples = varint(1) + varint(0) + varint(len(field)) + field + varint(text) + b"v" * text
    samples += varint(0)
    report = varint(1) + varint(0) + varint(1) + samples if text else bytes(4)
    payload = b"\\x00" + report + b"\\x00" + varint(patterns) + b"\\x01\\x00\\x00" * patterns
    return b"UARB" + (1).to_bytes(2, "little") + zlib.crc32(payload).to_bytes(4, "little") + payload

data = hostile(PATTERNS, TEXT)
limit(HEADROOM)
try:
    BatchRollingUsageAnalytics.from_bytes(data)
    outcome = ["loaded", ""]
except (MemoryError, UsageAnalyticsError) as error:
    outcome = [type(error).__name__, str(error)]
print(json.dumps(outcome))
"""

#: (patterns, sample text bytes): a 9 MB list of patterns, a 100 MB sample.
HOSTILE_SHAPES = {"3 million patterns": (3_000_000, 0), "a sample of 100 MB": (0, 100 * 2**20)}


def _outcome(source: str) -> list[str]:
    done = run_python(LIMITS + source)
    # (A signal is a negative code: SIGABRT -6, "memory allocation of N bytes failed".)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    outcome: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return outcome


def _hostile(shape: str, headroom_mb: int) -> list[str]:
    patterns, text = HOSTILE_SHAPES[shape]
    source = HOSTILE.replace("PATTERNS", str(patterns)).replace("TEXT", str(text))
    return _outcome(source.replace("HEADROOM", str(headroom_mb)))


@pytest.mark.parametrize(
    ("shape", "headroom_mb"),
    # (100 MB of text and the margin fit in 128: decoded, then refused as invalid.)
    [("3 million patterns", 64), ("3 million patterns", 128), ("a sample of 100 MB", 64)],
)
def test_hostile_bytes_whose_decoding_cannot_be_had_are_a_memory_error(
    shape: str, headroom_mb: int
) -> None:
    kind, message = _hostile(shape, headroom_mb)
    assert kind == "MemoryError", message
    assert "for reading a batch rolling monitor of" in message, message


@pytest.mark.parametrize("shape", list(HOSTILE_SHAPES))
def test_hostile_bytes_are_refused_as_invalid_where_memory_is_not_short(shape: str) -> None:
    # (Decoded, then refused: the settings' frame is empty.)
    assert _hostile(shape, 0) == [
        "UsageAnalyticsError",
        "invalid input: not a valid usage-analytics state: too short",
    ]


#: A valid monitor of 8 MB (10 patterns of 10 hourly buckets holding a million exact times
#: between them), loaded under a 64 MB headroom: the most 8 MB could decode to (64 times
#: it) cannot be had, so its decoding is counted (its times borrowed: little), and fits.
VALID = (
    TABLES
    + """
from usage_analytics import BatchRollingUsageAnalytics
monitor = BatchRollingUsageAnalytics(timedelta(hours=24), timedelta(hours=1), exact_budget=100_000)
monitor.add(table(1_000_000, 36_000, 10))
data = monitor.to_bytes()
expected = monitor.retained_buckets
del monitor
limit(64)
try:
    loaded = BatchRollingUsageAnalytics.from_bytes(data)
    outcome = ["loaded", str(loaded.retained_buckets == expected), str(len(data))]
except MemoryError as error:
    outcome = ["MemoryError", str(error), str(len(data))]
print(json.dumps(outcome))
"""
)


def test_a_monitor_whose_decoding_fits_loads_where_the_most_it_could_take_cannot_be_had() -> None:
    kind, same, size = _outcome(VALID)
    assert (kind, same) == ("loaded", "True"), same
    assert int(size) * 64 > 64 * 2**20  # (the pass counting its decoding ran)
