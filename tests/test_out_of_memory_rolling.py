"""Running out of memory in a one-pattern rolling monitor raises `MemoryError`: never an
abort, never a monitor silently wrong.

As `test_out_of_memory_batch_rolling.py` does for the batch monitor: a child builds its
input, caps its address space (`RLIMIT_AS`) at what it uses plus a headroom, adds; after
a `MemoryError` it lifts the limit and retries the failed add and the rest, whose
snapshot must be the unlimited one. The shapes: many fine buckets made by one add; few
coarse ones, their execution times kept exactly or, past `exact_budget`, sketched; and
`from_bytes` of a large monitor, which must fail at once, naming the whole monitor, or
load it whole. Linux only.
"""

from __future__ import annotations

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
from usage_analytics import RollingUsageAnalytics

def summary(snapshot):
    return [
        snapshot.usage_metrics.total_executions,
        snapshot.success_metrics.success_count,
        snapshot.performance_metrics.p95_execution_time_ms,
        snapshot.performance_metrics.avg_execution_time_ms,
        snapshot.data_quality.records_received,
    ]
"""
)

ADDS = (
    PRELUDE
    + """
bucket_s, buckets, records, span_s, budget, adds, distinct = SHAPE
# `adds` adds of `records` records each over `span_s` seconds.
parts = [table(records, span_s, distinct=distinct) for _ in range(adds)]
now = start + timedelta(seconds=span_s - 1)
bucket = timedelta(seconds=bucket_s)
monitor = RollingUsageAnalytics(bucket * buckets, bucket, exact_budget=budget)
"""
    + ADDS_RETRIED
)

#: (bucket seconds, buckets a window, records an add, span in seconds, exact_budget,
#: adds, each record in a second of its own). Fine: one add making 60,000 buckets of one
#: record each (of a kept range of 200,000), or three adds of 100,000 records over the
#: same 40,000 buckets; coarse: 20,000 buckets of 50 records an add, their times most of
#: its memory, kept exactly or (a budget of 16) sketched.
SHAPES = {
    "fine buckets, one add": (1, 100_000, 60_000, 200_000, 1024, 1, True),
    "fine buckets, three adds": (1, 20_000, 100_000, 40_000, 1024, 3, False),
    "coarse buckets, times kept": (10, 10_000, 1_000_000, 200_000, 1024, 2, False),
    "coarse buckets, past exact_budget": (10, 10_000, 1_000_000, 200_000, 16, 2, False),
}

HEADROOMS = [48, 160, 256]
#: One add of fine buckets, its whole check short of what it maps: every 4 MB over and
#: around the span where it passed its check and aborted part way before session 60 (the
#: 60,000 buckets' estimate was 2.2 KB a bucket, the add mapped 3.3; the child aborted at
#: 148 and 152 MB of headroom, and raised `MemoryError` at 144 and 156).
SWEEP = list(range(132, 173, 4))
HEADROOMS_OF = {"fine buckets, one add": sorted({*HEADROOMS, *SWEEP})}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_short_memory_raises_memory_error_and_the_retried_adds_give_the_unlimited_result(
    shape: str,
) -> None:
    source = ADDS.replace("SHAPE", repr(SHAPES[shape]))
    headrooms = HEADROOMS_OF.get(shape, HEADROOMS)
    with ThreadPoolExecutor(2) as pool:
        expected, *limited = pool.map(lambda h: run_child(source, h), [0, *headrooms])
    outcomes = outcomes_of_retried_adds(expected, limited)
    # (The smallest headroom is short for every shape: the test reaches the limit.)
    assert outcomes[0].startswith("MemoryError"), outcomes


SAVE = (
    PRELUDE
    + """
# 50,000 buckets of a record each, and their snapshot.
monitor = RollingUsageAnalytics(timedelta(seconds=100_000), timedelta(seconds=1))
monitor.add(table(50_000, 200_000, distinct=True))
now = start + timedelta(seconds=199_999)
with open(PATH + ".json", "w") as out:
    json.dump(summary(monitor.snapshot(now)), out)
with open(PATH, "wb") as out:
    out.write(monitor.to_bytes())
"""
)

#: A restarted service's load: the bytes read by a fresh interpreter (one that built the
#: monitor would reuse the address space jemalloc kept of it, and map less).
LOAD = (
    PRELUDE
    + """
with open(PATH, "rb") as stored:
    data = stored.read()
with open(PATH + ".json") as stored:
    expected = json.load(stored)
now = start + timedelta(seconds=199_999)
limit(HEADROOM)
try:
    loaded = RollingUsageAnalytics.from_bytes(data)
    outcome = "loaded"
except MemoryError as error:
    outcome = str(error)
    unlimit()
    loaded = RollingUsageAnalytics.from_bytes(data)
unlimit()
print(json.dumps([outcome, summary(loaded.snapshot(now)) == expected]))
"""
)

#: Headrooms for the load: every 16 MB from what refuses it to what loads it.
LOAD_HEADROOMS = [48, *range(160, 401, 16)]


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Where the saved monitor is (its snapshot beside it, as JSON)."""
    path = str(tmp_path_factory.mktemp("monitor") / "monitor")
    done = run_python(SAVE.replace("PATH", repr(path)))
    assert done.returncode == 0, done.stderr[-2000:]
    return path


def test_a_monitor_too_large_to_load_fails_at_once_naming_the_whole_monitor(saved: str) -> None:
    source = LOAD.replace("PATH", repr(saved))
    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(lambda h: run_child(source, h), LOAD_HEADROOMS))
    for headroom, (outcome, same) in zip(LOAD_HEADROOMS, outcomes, strict=True):
        assert isinstance(outcome, str), (headroom, outcome)
        assert outcome == "loaded" or "a rolling monitor of" in outcome, (headroom, outcome)
        assert same, headroom
    assert outcomes[0][0] != "loaded", outcomes[0]
    assert outcomes[-1][0] == "loaded", outcomes[-1]
