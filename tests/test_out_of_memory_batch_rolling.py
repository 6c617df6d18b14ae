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
from monitor_children import ADDS_RETRIED, LIMITS, TABLES, outcomes_of_retried_adds, run_child

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS as Linux applies it")

PRELUDE = (
    LIMITS
    + TABLES
    + """
from usage_analytics import BatchRollingUsageAnalytics, BatchUsageAccumulator

def summary(batch):
    rows = sorted(batch.results.items())
    return [
        [k, r.usage_metrics.total_executions, r.success_metrics.success_count,
         r.performance_metrics.p95_execution_time_ms, r.data_quality.records_received]
        for k, r in rows
    ] + [batch.data_quality.records_received]
"""
)

ADDS = (
    PRELUDE
    + """
patterns, bucket_s, buckets, records, span_s = SHAPE
# Three adds of `records` records of `patterns` patterns over `span_s` seconds.
parts = [table(records, span_s, patterns) for _ in range(3)]
now = start + timedelta(seconds=span_s - 1)
bucket = timedelta(seconds=bucket_s)
monitor = BatchRollingUsageAnalytics(bucket * buckets, bucket)
"""
    + ADDS_RETRIED
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


@pytest.mark.parametrize("shape", list(SHAPES))
def test_short_memory_raises_memory_error_and_the_retried_adds_give_the_unlimited_result(
    shape: str,
) -> None:
    source = ADDS.replace("SHAPE", repr(SHAPES[shape]))
    with ThreadPoolExecutor(2) as pool:
        expected, *limited = pool.map(lambda h: run_child(source, h), [0, *HEADROOMS])
    outcomes = outcomes_of_retried_adds(expected, limited)
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
