"""Running out of memory in a rolling window, or loading or merging serialized states,
raises `MemoryError`; it never aborts the process nor leaves a state silently wrong.

As `test_out_of_memory.py`: each case runs in a child that builds its input, then caps
its address space (`RLIMIT_AS`) at what it uses plus a headroom. Before the rolling
window's buckets, `merge_bytes` and `from_bytes` checked their memory, most headrooms
here ended the child with SIGABRT ("memory allocation of N bytes failed"). The limit is
the soft one: after a `MemoryError` the child lifts it and goes on with the same
objects, so a rolling window whose add failed must still give the right snapshot once
the add is retried (or refuse with `MemoryError`), never a wrong one. Linux only.
"""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from child import run_python

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS as Linux applies it")

CHILD = """
import json, os, resource, sys
from datetime import UTC, datetime, timedelta
import numpy as np
import pyarrow as pa
from usage_analytics import BatchUsageAccumulator, RollingUsageAnalytics

case, headroom_mb, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rng = np.random.default_rng(7)
start = datetime(2024, 1, 1, tzinfo=UTC)

def table(n, seconds, patterns=None):
    offsets = np.sort(rng.integers(0, seconds * 10**6, n)).astype("timedelta64[us]")
    columns = {
        "timestamp": np.datetime64("2024-01-01", "us") + offsets,
        "success": rng.random(n) < 0.9,
        "execution_time_ms": rng.random(n) * 100,
        "agent": rng.choice(["a", "b", "c"], n),
    }
    if patterns:
        columns["pattern_id"] = rng.integers(0, patterns, n)
    return pa.table(columns)

def summary(results):
    return [
        sum(r.usage_metrics.total_executions for r in results),
        sum(r.success_metrics.success_count for r in results),
        sum(r.performance_metrics.p95_execution_time_ms for r in results),
        len(results),
        # (A rolling window's records since creation: a failed add counts none of its own.)
        sum(r.data_quality.records_received for r in results),
    ]

if case == "rolling":
    # 20,000 buckets of a second; three adds of 100,000 records over 40,000 of them.
    parts = [table(100_000, 40_000) for _ in range(3)]
    now = start + timedelta(seconds=39_999)
    rolling = RollingUsageAnalytics(timedelta(seconds=20_000), timedelta(seconds=1))
elif case == "write":  # (the states, written once by a child of their own: the others
    # read them, their address space not grown by building them)
    window = dict(time_window_start=start, time_window_end=start + timedelta(days=1))
    blobs = []
    for _ in range(3):
        state = BatchUsageAccumulator(**window)
        state.update(table(200_000, 86_400, patterns=30_000))
        blobs.append(state.to_bytes())
    for number, blob in enumerate(blobs):
        with open(f"{path}.{number}", "wb") as out:
            out.write(blob)
    sys.exit()
else:
    blobs = []
    for number in range(3):
        with open(f"{path}.{number}", "rb") as stored:
            blobs.append(stored.read())

# The core's threads started before the limit (by a call that fails at once), so that
# the headrooms measure the steps tested, not the start (test_out_of_memory.py's).
try:
    BatchUsageAccumulator.from_bytes(b"UAST")
except Exception:
    pass

def lift():
    resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))

if headroom_mb:
    with open("/proc/self/statm") as statm:
        used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    limit = used + headroom_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, resource.RLIM_INFINITY))

outcome = "result"
try:
    if case == "rolling":
        added = 0
        try:
            for part in parts:
                rolling.add(part)
                added += 1
            out = summary([rolling.snapshot(now)])
        except MemoryError as error:
            outcome = f"MemoryError after {added} adds"
            # The same window, given the memory: the failed add again and the rest.
            lift()
            for part in parts[added:]:
                rolling.add(part)
            out = summary([rolling.snapshot(now)])
    else:
        if case == "merge_bytes":
            loaded = BatchUsageAccumulator.merge_bytes(blobs)
        else:
            loaded = BatchUsageAccumulator.from_bytes(blobs[0])
        # (Finalizing has checks of its own: test_out_of_memory.py.)
        lift()
        out = summary(list(loaded.finalize().results.values()))
    print(json.dumps([outcome, out]))
except MemoryError as error:
    print(json.dumps(["MemoryError", str(error)]))
"""

# Headrooms (MB): before the checks, the child aborted at the first two of each and got
# the result at the last (which the checks, erring towards failing, may refuse: the
# rolling window's third add asks for more than that leaves it).
HEADROOMS = {
    "rolling": [48, 160, 256],
    "merge_bytes": [24, 96, 256],
    "from_bytes": [24, 96, 256],
}


@pytest.fixture(scope="module")
def states(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where three serialized 30,000-pattern batch states are (`state.0` to `.2`)."""
    path = tmp_path_factory.mktemp("states") / "state"
    arguments = f"'write', 0, {str(path)!r}"
    done = run_python(CHILD.replace("sys.argv[1], int(sys.argv[2]), sys.argv[3]", arguments))
    assert done.returncode == 0, done.stderr[-2000:]
    return path


def run_case(case: str, headroom_mb: int, path: Path) -> list[object]:
    arguments = f"{case!r}, {headroom_mb}, {str(path)!r}"
    done = run_python(CHILD.replace("sys.argv[1], int(sys.argv[2]), sys.argv[3]", arguments))
    # A signal (SIGABRT from "memory allocation of N bytes failed") is a negative code.
    assert done.returncode == 0, (case, headroom_mb, done.returncode, done.stderr[-2000:])
    outcome: list[object] = json.loads(done.stdout.strip().splitlines()[-1])
    return outcome


@pytest.mark.parametrize("case", list(HEADROOMS))
def test_short_memory_raises_memory_error_or_gives_the_unlimited_result(
    case: str, states: Path
) -> None:
    with ThreadPoolExecutor(2) as pool:
        runs = pool.map(lambda h: run_case(case, h, states), [0, *HEADROOMS[case]])
        expected, *limited = runs
    assert expected[0] == "result", expected
    for headroom, outcome in zip(HEADROOMS[case], limited, strict=True):
        assert isinstance(outcome[0], str), (headroom, outcome)
        assert outcome[0] == "result" or outcome[0].startswith("MemoryError"), (headroom, outcome)
        # (A rolling window's MemoryError is followed by the retried adds' snapshot.)
        if outcome[0] == "result" or case == "rolling":
            assert outcome[1] == expected[1], (headroom, outcome)


#: The hostile states' children's shared part: `varint` (the wire's unsigned LEB128), and
#: `limit_memory`, which starts the core's threads (their stacks mapped first), then limits
#: the address space to what the child holds plus `headroom_mb`.
HOSTILE_PROLOGUE = """
import os, resource


def varint(n):
    out = bytearray()
    while True:
        out.append(n & 0x7F | (0x80 if n >> 7 else 0))
        n >>= 7
        if not n:
            return bytes(out)


def limit_memory(accumulator, headroom_mb):
    try:
        accumulator.from_bytes(b"UAST")
    except Exception:
        pass
    with open("/proc/self/statm") as statm:
        used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    limit = used + headroom_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, resource.RLIM_INFINITY))
"""


HOSTILE = """
import struct, zlib
from datetime import UTC, datetime
from usage_analytics import BatchUsageAccumulator

state = BatchUsageAccumulator(datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 2, tzinfo=UTC))
framed = state.to_bytes()
payload = framed[10:]
# (Its report of no samples, no names, a batch body of no patterns.)
assert payload[-4:] == bytes([0, 0, 1, 0])
many = 20_000_000 if KIND == "names" else 5_000_000
count = varint(many)
if KIND == "names":  # (empty ones: a byte each, stored; a 16-byte &str each, decoded)
    payload = payload[:-3] + count + bytes(many) + payload[-2:]
else:  # (error samples (0, "", "", ""): four bytes each, stored; 80, decoded)
    payload = payload[:-4] + count + bytes(4 * many) + payload[-3:]
framed = framed[:6] + struct.pack("<I", zlib.crc32(payload)) + payload
limit_memory(BatchUsageAccumulator, 128)
try:
    BatchUsageAccumulator.from_bytes(framed)
    print("loaded")
except MemoryError:
    print("MemoryError")
except Exception as error:
    print(type(error).__name__, error)
"""


def test_a_state_of_many_empty_names_raises_memory_error() -> None:
    # Stored in 20 MB, they decode to 320 MB (and a regrown vector's copy), where the check
    # asked twice the bytes: with 128 MB to spare the child aborted collecting them.
    done = run_python(HOSTILE_PROLOGUE + HOSTILE.replace("KIND", "'names'"))
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert done.stdout.split() == ["MemoryError"]


def test_a_state_of_millions_of_error_samples_is_refused_as_it_is_read() -> None:
    # Stored in 20 MB, they decoded to 400 MB before the check of their number: with 128
    # MB to spare the child aborted. Past one too many, none is kept.
    done = run_python(HOSTILE_PROLOGUE + HOSTILE.replace("KIND", "'samples'"))
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert done.stdout.strip() == (
        "UsageAnalyticsError invalid input: not a valid usage-analytics state: too many error "
        "samples"
    )


HOSTILE_MONITOR = """
import struct, zlib
from datetime import timedelta
from usage_analytics import RollingUsageAnalytics

framed = RollingUsageAnalytics(timedelta(hours=1), timedelta(minutes=5)).to_bytes()
payload = framed[10:]
# (An empty monitor ends with its table of names and its buckets: none of either.)
assert payload[-2:] == bytes(2)
many = 20_000_000  # (empty names: a byte each, stored; a 16-byte &str each, decoded)
payload = payload[:-2] + varint(many) + bytes(many) + bytes(1)
framed = framed[:6] + struct.pack("<I", zlib.crc32(payload)) + payload
limit_memory(RollingUsageAnalytics, 128)
try:
    RollingUsageAnalytics.from_bytes(framed)
    print("loaded")
except MemoryError:
    print("MemoryError")
except Exception as error:
    print(type(error).__name__, error)
"""


def test_a_monitor_of_many_empty_names_raises_memory_error() -> None:
    # As a state's (above): the check before decoding counts what this one decodes to.
    done = run_python(HOSTILE_PROLOGUE + HOSTILE_MONITOR)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert done.stdout.split() == ["MemoryError"]


HOSTILE_LISTS = """
import json, struct, zlib
from datetime import UTC, datetime
from usage_analytics import UsageAccumulator

state = UsageAccumulator(datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 2, tzinfo=UTC))
framed = state.to_bytes()
payload = framed[10:]
# (An empty accumulator ends with its trend buckets' variant (occupied), then no buckets,
# no days, 24 hours, 7 weekdays, no latest instant, four empty tallies, two empty arrays.)
assert payload[-45:] == bytes([1]) + bytes(44)
# (It starts with its settings' JSON: a two-byte length, then the text.)
meta_end = 2 + (payload[0] & 0x7F | payload[1] << 7)
settings = json.loads(payload[2:meta_end])

def listed(at, n, each):  # n items of `each` zero bytes in the list whose length is at `at`
    return payload[:at] + varint(n) + bytes(each * n) + payload[at + 1:]

if KIND == "days":  # (0, 0): two bytes each stored, 16 decoded
    payload = listed(-43, 5_000_000, 2)
elif KIND == "quality digits":  # one byte each stored, four decoded
    payload = listed(-49, 20_000_000, 1)
elif KIND == "tally names":  # the contexts' indices: one byte each stored, four decoded
    payload = listed(-10, 20_000_000, 1)
elif KIND == "meta":  # (copied before any check, then once more)
    payload = varint(70_000_000) + bytes(70_000_000) + payload[meta_end:]
else:  # settings that parse as JSON, of a 40 MB id (pydantic's parser aborted)
    meta = json.dumps({**settings, "correlation_id": "x" * 40_000_000}).encode()
    payload = varint(len(meta)) + meta + payload[meta_end:]
framed = framed[:6] + struct.pack("<I", zlib.crc32(payload)) + payload
limit_memory(UsageAccumulator, 64)
for read in (UsageAccumulator.from_bytes, lambda b: UsageAccumulator.merge_bytes([b, b])):
    try:
        read(framed)
        print("loaded")
    except MemoryError:
        print("MemoryError")
    except Exception as error:
        print(type(error).__name__, str(error).rsplit(", ", 1)[-1])
"""


@pytest.mark.parametrize(
    ("kind", "outcome"),
    [
        ("days", "MemoryError"),
        ("quality digits", "MemoryError"),
        ("tally names", "MemoryError"),
        ("meta", "MemoryError"),
        ("settings", "UsageAnalyticsError more than settings take"),
    ],
)
def test_lists_and_meta_decoding_to_many_times_their_bytes_do_not_abort(
    kind: str, outcome: str
) -> None:
    # Stored in 10 to 70 MB, each decoded to over 64 MB (the lists to 4 to 8 times their
    # bytes, where the check asked twice them; the meta copied before the check; the
    # settings' text parsed by pydantic): with 64 MB to spare, `from_bytes` and
    # `merge_bytes` aborted the child (SIGABRT).
    done = run_python(HOSTILE_PROLOGUE + HOSTILE_LISTS.replace("KIND", repr(kind)))
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    loaded, merged = done.stdout.splitlines()
    assert loaded == outcome
    # (Two states' settings are copied for `merge_bytes`: 80 MB of them.)
    assert merged in (outcome, "MemoryError")


SPARSE_SKETCHES = """
import struct, sys, zlib
import numpy as np
import pyarrow as pa
from datetime import UTC, datetime, timedelta
from usage_analytics import BatchUsageAccumulator

patterns, path = 20_000, PATH

def zigzag(n):
    return varint(n << 1 ^ n >> 31)

if HEADROOM == 0:  # (written by a child of its own: the reader's address space not grown)
    # Per pattern, two times 4,000 bins apart in its sketch (exact budget 0): stored as
    # every bin of the span, then rewritten as its two occupied bins (keys from 0).
    start = datetime(2024, 1, 1, tzinfo=UTC)
    state = BatchUsageAccumulator(start, start + timedelta(days=1), exact_budget=0)
    state.update(pa.table({
        "timestamp": np.full(2 * patterns, np.datetime64("2024-01-01T01", "us")),
        "success": np.ones(2 * patterns, bool),
        "execution_time_ms": np.tile([1.0, (1.01 / 0.99) ** 3999.5], patterns),
        "pattern_id": np.repeat(np.arange(patterns), 2),
    }))
    framed = state.to_bytes()
    every = bytes([0]) + zigzag(0) + varint(4001) + bytes([1]) + bytes(3999) + bytes([1])
    assert framed.count(every) == patterns
    occupied = bytes([1, 2]) + zigzag(0) + bytes([1]) + zigzag(4000) + bytes([1])
    payload = framed[10:].replace(every, occupied)
    with open(path, "wb") as out:
        out.write(framed[:6] + struct.pack("<I", zlib.crc32(payload)) + payload)
    sys.exit()

with open(path, "rb") as stored:
    framed = stored.read()
limit_memory(BatchUsageAccumulator, HEADROOM)
for read in (BatchUsageAccumulator.from_bytes, lambda b: BatchUsageAccumulator.merge_bytes([b, b])):
    try:
        read(framed)
        print("loaded")
    except MemoryError:
        print("MemoryError")
"""


def test_sketches_of_two_bins_far_apart_are_counted_at_their_loaded_size(
    tmp_path: Path,
) -> None:
    # Two occupied bins 4,000 apart, stored in a few bytes, load as a dense sketch of 32
    # KB: 20,000 such patterns (3 MB) load to 640 MB, where the check counted 46 MB; with
    # 200 MB to spare the child aborted (SIGABRT).
    source = HOSTILE_PROLOGUE + SPARSE_SKETCHES.replace("PATH", repr(str(tmp_path / "state")))
    written = run_python(source.replace("HEADROOM", "0"))
    assert written.returncode == 0, written.stderr[-2000:]
    done = run_python(source.replace("HEADROOM", "200"))
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert done.stdout.split() == ["MemoryError", "MemoryError"]
