"""Running out of memory in a batch rolling monitor raises `MemoryError`, checked before
anything changes: never an abort, never a monitor silently wrong.

As `test_out_of_memory_states.py`'s rolling case: a child builds its input, caps its
address space (`RLIMIT_AS`) at what it uses plus a headroom, adds; after a `MemoryError`
it lifts the limit and retries the failed add and the rest, whose snapshot must be the
unlimited one. Before an add checked its room as its buckets were made, one add of
100,000 records over 40 patterns in buckets of a second aborted the child at 256 MB
("memory allocation of 1152 bytes failed"): the whole add's estimate passed, and
jemalloc took more address space than it. Linux only.
"""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from child import run_python

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS as Linux applies it")

PRELUDE = """
import json, os, resource, sys
from datetime import UTC, datetime, timedelta
import numpy as np
import pyarrow as pa
from usage_analytics import BatchRollingUsageAnalytics, BatchUsageAccumulator

rng = np.random.default_rng(7)
start = datetime(2024, 1, 1, tzinfo=UTC)

def table(n, seconds, patterns):
    offsets = np.sort(rng.integers(0, seconds * 10**6, n)).astype("timedelta64[us]")
    return pa.table({
        "pattern_id": rng.integers(0, patterns, n),
        "timestamp": np.datetime64("2024-01-01", "us") + offsets,
        "success": rng.random(n) < 0.9,
        "execution_time_ms": rng.random(n) * 100,
        "agent": rng.choice(["a", "b", "c"], n),
    })

def summary(batch):
    rows = sorted(batch.results.items())
    return [
        [k, r.usage_metrics.total_executions, r.success_metrics.success_count,
         r.performance_metrics.p95_execution_time_ms, r.data_quality.records_received]
        for k, r in rows
    ] + [batch.data_quality.records_received]

def limit(headroom_mb):
    try:  # (the core's threads started before the limit: test_out_of_memory_states.py)
        BatchUsageAccumulator.from_bytes(b"UAST")
    except Exception:
        pass
    if headroom_mb:
        with open("/proc/self/statm") as statm:
            used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        resource.setrlimit(resource.RLIMIT_AS, (used + headroom_mb * 2**20, resource.RLIM_INFINITY))

def unlimit():
    resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
"""

ADDS = (
    PRELUDE
    + """
patterns, bucket_s, buckets, records, span_s = SHAPE
# Three adds of `records` records of `patterns` patterns over `span_s` seconds.
parts = [table(records, span_s, patterns) for _ in range(3)]
now = start + timedelta(seconds=span_s - 1)
bucket = timedelta(seconds=bucket_s)
monitor = BatchRollingUsageAnalytics(bucket * buckets, bucket)
limit(HEADROOM)
outcome, added = "result", 0
try:
    for part in parts:
        monitor.add(part)
        added += 1
    out = summary(monitor.snapshot(now))
except MemoryError:
    outcome = f"MemoryError after {added} adds"
    unlimit()
    for part in parts[added:]:
        monitor.add(part)
    out = summary(monitor.snapshot(now))
print(json.dumps([outcome, out]))
"""
)

#: (patterns, bucket seconds, buckets a window, records an add, span in seconds). Fine
#: buckets: nearly a bucket a record, 100,000 buckets an add; coarse: 27,000 buckets of
#: 37 records each, their execution times most of an add's memory.
SHAPES = {
    "few patterns, fine buckets": (40, 1, 20_000, 100_000, 40_000),
    "many patterns, fine buckets": (2_000, 1, 20_000, 100_000, 40_000),
    "few patterns, coarse buckets": (40, 60, 20_000, 1_000_000, 40_000),
}

HEADROOMS = [48, 160, 256]


def run_adds(shape: tuple[int, ...], headroom_mb: int) -> list[object]:
    done = run_python(ADDS.replace("SHAPE", repr(shape)).replace("HEADROOM", str(headroom_mb)))
    # A signal (SIGABRT from "memory allocation of N bytes failed") is a negative code.
    assert done.returncode == 0, (shape, headroom_mb, done.returncode, done.stderr[-2000:])
    outcome: list[object] = json.loads(done.stdout.strip().splitlines()[-1])
    return outcome


@pytest.mark.parametrize("shape", list(SHAPES))
def test_short_memory_raises_memory_error_and_the_retried_adds_give_the_unlimited_result(
    shape: str,
) -> None:
    with ThreadPoolExecutor(2) as pool:
        expected, *limited = pool.map(lambda h: run_adds(SHAPES[shape], h), [0, *HEADROOMS])
    assert expected[0] == "result", expected
    outcomes = []
    for headroom, outcome in zip(HEADROOMS, limited, strict=True):
        assert isinstance(outcome[0], str), (headroom, outcome)
        assert outcome[0] == "result" or outcome[0].startswith("MemoryError"), (headroom, outcome)
        assert outcome[1] == expected[1], (headroom, outcome)
        outcomes.append(outcome[0])
    assert any(o.startswith("MemoryError") for o in outcomes), outcomes


LOAD = (
    PRELUDE
    + """
# 40 patterns of about 2,400 buckets each: each pattern's load fits in 64 MB, not all.
monitor = BatchRollingUsageAnalytics(timedelta(seconds=20_000), timedelta(seconds=1))
monitor.add(table(100_000, 40_000, 40))
now = start + timedelta(seconds=39_999)
expected = summary(monitor.snapshot(now))
data = monitor.to_bytes()
del monitor
limit(64)
try:
    BatchRollingUsageAnalytics.from_bytes(data)
    outcome = "loaded"
except MemoryError as error:
    outcome = str(error)
unlimit()
loaded = BatchRollingUsageAnalytics.from_bytes(data)
print(json.dumps([outcome, summary(loaded.snapshot(now)) == expected]))
"""
)


def test_a_monitor_too_large_to_load_fails_at_once_naming_the_whole_monitor() -> None:
    done = run_python(LOAD)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    outcome, same = json.loads(done.stdout.strip().splitlines()[-1])
    assert "loading a batch rolling monitor of 40 patterns" in outcome, outcome
    assert same
