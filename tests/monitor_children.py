"""What the rolling monitors' out-of-memory tests share (`test_out_of_memory_rolling.py`,
`test_out_of_memory_batch_rolling.py`): the child's limit on its address space, its adds
retried after a `MemoryError`, and running it.

A child's source is `LIMITS` and `TABLES`, then its own part (which defines `parts`,
`now`, `monitor` and `summary`), then `ADDS_RETRIED`; `HEADROOM` is replaced by the
headroom in MB (0: no limit).
"""

from __future__ import annotations

import json

from child import run_python

#: `limit(headroom_mb)`: the core's threads started (their stacks are not the step's:
#: `test_out_of_memory_states.py`), then the address space (`RLIMIT_AS`, the soft limit)
#: capped at what the child maps plus the headroom; `unlimit()` lifts it.
LIMITS = """
import json, os, resource
from usage_analytics import BatchUsageAccumulator

def limit(headroom_mb):
    try:
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

#: `table(n, seconds, patterns=None, distinct=False)`: a pyarrow table of `n` records over
#: `seconds` seconds from `start` (2024-01-01), with `patterns` pattern ids if given; with
#: `distinct`, each record in a second of its own (a bucket of its own at 1 s buckets).
TABLES = """
from datetime import UTC, datetime, timedelta
import numpy as np
import pyarrow as pa

rng = np.random.default_rng(7)
start = datetime(2024, 1, 1, tzinfo=UTC)

def table(n, seconds, patterns=None, distinct=False):
    if distinct:
        micros = np.sort(rng.choice(seconds, n, replace=False)) * 10**6 + rng.integers(0, 10**6, n)
    else:
        micros = np.sort(rng.integers(0, seconds * 10**6, n))
    columns = {"timestamp": np.datetime64("2024-01-01", "us") + micros.astype("timedelta64[us]")}
    if patterns:
        columns["pattern_id"] = rng.integers(0, patterns, n)
    columns["success"] = rng.random(n) < 0.9
    columns["execution_time_ms"] = rng.random(n) * 100
    columns["agent"] = rng.choice(["a", "b", "c"], n)
    return pa.table(columns)
"""

#: The adds of `parts` under the limit, then the snapshot at `now`; after a `MemoryError`
#: the limit lifted, the failed add made again and the rest. Prints [outcome, summary].
ADDS_RETRIED = """
limit(HEADROOM)
outcome, added = "result", 0
try:
    for part in parts:
        monitor.add(part)
        added += 1
    out = summary(monitor.snapshot(now))
except MemoryError as error:
    outcome = f"MemoryError after {added} adds: {error}"
    unlimit()
    for part in parts[added:]:
        monitor.add(part)
    out = summary(monitor.snapshot(now))
print(json.dumps([outcome, out]))
"""


def run_child(source: str, headroom_mb: int) -> list[object]:
    """The last line `source` printed, run with `headroom_mb`; it must not have died."""
    done = run_python(source.replace("HEADROOM", str(headroom_mb)))
    # A signal (SIGABRT from "memory allocation of N bytes failed") is a negative code.
    assert done.returncode == 0, (headroom_mb, done.returncode, done.stderr[-2000:])
    outcome: list[object] = json.loads(done.stdout.strip().splitlines()[-1])
    return outcome


def outcomes_of_retried_adds(expected: list[object], limited: list[list[object]]) -> list[str]:
    """Each limited run's outcome ("result" or "MemoryError after ..."), once checked that
    its snapshot is the unlimited run's (`expected`)."""
    assert expected[0] == "result", expected
    outcomes = []
    for outcome in limited:
        assert isinstance(outcome[0], str), outcome
        assert outcome[0] == "result" or outcome[0].startswith("MemoryError"), outcome
        assert outcome[1] == expected[1], outcome
        outcomes.append(outcome[0])
    return outcomes
