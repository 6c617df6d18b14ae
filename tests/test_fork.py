"""A forked process (a `multiprocessing` or `ProcessPoolExecutor` worker, a prefork server's
child) runs reductions after its parent has: the child inherits the memory of the core's
thread pool but not its threads, and its first parallel section waited forever."""

from __future__ import annotations

import json

from child import run_python

# Every kind of call that reaches the core's parallel sections, in the parent, in a forked
# child and in a fork of that child: a batch (results handed over by a pool task), Arrow
# ingest (columns converted on the pool), 100,000 execution times (radix selection on the
# pool), a streaming state and a rolling window. Each process prints its results; a child
# still running after 60 s is killed and reported.
_FORKS = """
import json, os, signal, sys, time
from datetime import UTC, datetime, timedelta
import pyarrow as pa
from usage_analytics import (ModelUsageAnalyticsBatchInput, ModelUsageAnalyticsInput,
    NodeUsageAnalyticsReducer, RollingUsageAnalytics, UsageAccumulator)

end = datetime(2026, 3, 1, tzinfo=UTC)
start = end - timedelta(days=7)
rows = [{"pattern_id": f"p{i % 3}", "timestamp": start + timedelta(seconds=i * 6),
         "success": i % 10 != 0, "execution_time_ms": float(i * 7919 % 5000)}
        for i in range(100_000)]
table = pa.Table.from_pylist(rows)

def results():
    reducer = NodeUsageAnalyticsReducer()
    window = {"time_window_start": start, "time_window_end": end}
    batch = reducer.execute_batch_reduction_sync(
        ModelUsageAnalyticsBatchInput(execution_data=rows[:30], **window))
    single = reducer.execute_reduction_sync(
        ModelUsageAnalyticsInput(pattern_id="x", execution_data=table, **window))
    state = UsageAccumulator(start, end)
    state.update(rows)
    state = UsageAccumulator.from_bytes(state.to_bytes())
    rolling = RollingUsageAnalytics(window=timedelta(days=1), bucket=timedelta(hours=1))
    rolling.add(table)
    return [
        sorted(batch.results),
        single.performance_metrics.p95_execution_time_ms,
        state.finalize(pattern_id="x").usage_metrics.total_executions,
        rolling.snapshot(end).usage_metrics.total_executions,
    ]

def forked(depth):
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        outcome = {"results": results()}
        if depth > 1:
            outcome["child"] = forked(depth - 1)
        os.write(write, json.dumps(outcome).encode())
        os._exit(0)
    os.close(write)
    deadline = time.monotonic() + 60
    while os.waitpid(pid, os.WNOHANG) == (0, 0):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return "hung"
        time.sleep(0.05)
    with os.fdopen(read, "rb") as pipe:
        return json.loads(pipe.read() or b'"died"')

print(json.dumps({"results": results(), "child": forked(2)}))
"""


def test_forked_children_and_grandchildren_reduce_as_their_parent() -> None:
    child = run_python(_FORKS)
    assert child.returncode == 0, child.stderr
    parent = json.loads(child.stdout)
    expected = parent["results"]
    assert expected == [["p0", "p1", "p2"], expected[1], 100_000, 13_000]
    assert parent["child"] != "hung", "the forked child hung"
    assert parent["child"]["results"] == expected
    assert parent["child"]["child"] != "hung", "the fork of the forked child hung"
    assert parent["child"]["child"]["results"] == expected


# A worker thread's pause of the collector is on (its `gc_paused` building outputs; the
# core reading a record whose value runs Python code) while the main thread forks. The
# child has no such thread, so nothing ended the pause: it ran its whole life with the
# collector disabled, and the core's count of pauses in progress kept it so after the
# child's own reads, even once enabled again.
_PAUSED_AT_FORK = """
import gc, json, os, threading
from datetime import UTC, datetime, timedelta
from usage_analytics import ModelUsageAnalyticsInput, NodeUsageAnalyticsReducer
from usage_analytics.collector import gc_paused

end = datetime(2026, 3, 1, tzinfo=UTC)
reducer = NodeUsageAnalyticsReducer()

def reduce(records):
    return reducer.execute_reduction_sync(ModelUsageAnalyticsInput(
        pattern_id="p", time_window_start=end - timedelta(days=1), time_window_end=end,
        execution_data=records))

def forked():
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        at_start = gc.isenabled()
        reduce([{"timestamp": end, "execution_time_ms": 1.0}])
        os.write(write, json.dumps([at_start, gc.isenabled()]).encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    with os.fdopen(read, "rb") as pipe:
        return json.loads(pipe.read())

inside, release = threading.Event(), threading.Event()

def paused():
    with gc_paused():
        inside.set()
        release.wait()

class Milliseconds:
    def __float__(self):
        inside.set()
        release.wait()  # (the GIL released, the read's pause on)
        return 1.0

outcomes = {}
for name, work in [
    ("gc_paused", paused),
    ("reading", lambda: reduce([{"timestamp": end, "execution_time_ms": Milliseconds()}])),
]:
    inside.clear()
    release.clear()
    thread = threading.Thread(target=work)
    thread.start()
    inside.wait()
    outcomes[name] = {"paused": not gc.isenabled(), "child": forked()}
    release.set()
    thread.join()
outcomes["parent"] = gc.isenabled()
print(json.dumps(outcomes))
"""


def test_a_child_forked_during_another_threads_pause_collects_cycles() -> None:
    child = run_python(_PAUSED_AT_FORK)
    assert child.returncode == 0, child.stderr
    outcomes = json.loads(child.stdout)
    for name in ("gc_paused", "reading"):
        assert outcomes[name]["paused"], name  # (the fork did happen during the pause)
        # The collector enabled in the child from its start, and after a read of its own.
        assert outcomes[name]["child"] == [True, True], name
    assert outcomes["parent"]
