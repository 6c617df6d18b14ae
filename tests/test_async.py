"""The async front: never blocks the loop on large input, concurrent calls are exact, a
cancelled await stops its work."""

from __future__ import annotations

import asyncio
import gc
import random
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import usage_analytics.output as output_module
import usage_analytics.reducer as reducer_module
from child import run_python
from loop_ticks import ticks_while
from usage_analytics import (
    AnalyticsGranularity,
    ModelUsageAnalyticsBatchInput,
    ModelUsageAnalyticsInput,
    NodeUsageAnalyticsReducer,
    _core,
)
from usage_analytics.collector import gc_paused
from usage_analytics.errors import UsageAnalyticsError
from usage_analytics.ingest import reduce_any
from usage_analytics.output import batch_output, cancellable
from usage_analytics.reducer import core_options

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def _records(n: int, seed: int) -> list[dict[str, object]]:
    rng = random.Random(seed)
    return [
        {
            "timestamp": NOW - timedelta(seconds=rng.randrange(30 * 86_400)),
            "success": rng.random() < 0.9,
            "execution_time_ms": rng.expovariate(1 / 120),
            "quality_score": rng.random(),
            "agent": f"agent-{rng.randrange(7)}",
            "context_type": rng.choice(["debugging", "testing"]),
            "file_path": rng.choice(["a.py", "b.rs", "Makefile"]),
        }
        for _ in range(n)
    ]


def _contract(records: list[dict[str, object]], pattern: str) -> ModelUsageAnalyticsInput:
    return ModelUsageAnalyticsInput(
        pattern_id=pattern,
        time_window_start=NOW - timedelta(days=30),
        time_window_end=NOW,
        execution_data=records,
    )


def _metrics(result: object) -> dict[str, object]:
    dumped = result.model_dump()  # type: ignore[attr-defined]
    return {k: v for k, v in dumped.items() if k not in {"computation_time_ms", "computed_at"}}


async def test_large_input_lets_the_event_loop_run() -> None:
    reducer = NodeUsageAnalyticsReducer()
    records = _records(300_000, seed=1)
    assert len(records) > reducer.INLINE_MAX_RECORDS
    result, ticks = await ticks_while(lambda: reducer.execute_reduction(_contract(records, "big")))
    assert result.usage_metrics.total_executions == 300_000
    # A blocked loop would not tick at all while the records are read and reduced.
    assert ticks >= 3


async def _ran_on_the_loop(call: Callable[[], Awaitable[object]]) -> bool:
    """Whether awaiting `call()` ran it on the loop's thread: then it is done before a task
    started after it gets its first step."""
    work = asyncio.ensure_future(call())
    await asyncio.ensure_future(asyncio.sleep(0))
    inline: bool = work.done()
    await work
    return inline


async def test_small_input_with_a_large_output_leaves_the_loop() -> None:
    # One record, a million one-second buckets of time series: seconds of model building,
    # which ran on the event loop (the choice counted records only). Batches of small
    # inputs may hold a pattern per record.
    reducer = NodeUsageAnalyticsReducer()
    one = [{"timestamp": NOW - timedelta(days=1)}]

    def single(bucket: timedelta, granularity: str = "comprehensive") -> ModelUsageAnalyticsInput:
        return ModelUsageAnalyticsInput(
            pattern_id="p",
            time_window_start=NOW - timedelta(days=2),
            time_window_end=NOW,
            bucket_width=bucket,
            granularity=granularity,
            execution_data=one,
        )

    def batch(n: int) -> ModelUsageAnalyticsBatchInput:
        records = [{"pattern_id": i, "timestamp": NOW - timedelta(hours=1)} for i in range(n)]
        return ModelUsageAnalyticsBatchInput(
            time_window_start=NOW - timedelta(days=2), time_window_end=NOW, execution_data=records
        )

    big = single(timedelta(seconds=1))
    assert not await _ran_on_the_loop(lambda: reducer.execute_reduction(big))
    many = batch(5_000)
    assert not await _ran_on_the_loop(lambda: reducer.execute_batch_reduction(many))
    # Small outputs stay inline: the hop to a thread would cost more than the work.
    hourly = single(timedelta(hours=1))
    assert await _ran_on_the_loop(lambda: reducer.execute_reduction(hourly))
    no_series = single(timedelta(seconds=1), "detailed")
    assert await _ran_on_the_loop(lambda: reducer.execute_reduction(no_series))
    few = batch(100)
    assert await _ran_on_the_loop(lambda: reducer.execute_batch_reduction(few))


async def test_concurrent_awaits_equal_sequential_results() -> None:
    reducer = NodeUsageAnalyticsReducer()
    inputs = [_contract(_records(n, seed=n), f"p{n}") for n in (10, 5_000, 20_000, 40_000)]
    sequential = [_metrics(reducer.execute_reduction_sync(c)) for c in inputs]
    concurrent = await asyncio.gather(*(reducer.execute_reduction(c) for c in inputs * 2))
    assert [_metrics(r) for r in concurrent] == sequential * 2


def test_one_reducer_shared_by_threads() -> None:
    reducer = NodeUsageAnalyticsReducer()
    contract = _contract(_records(20_000, seed=3), "shared")
    expected = _metrics(reducer.execute_reduction_sync(contract))
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: reducer.execute_reduction_sync(contract), range(8)))
    assert all(_metrics(r) == expected for r in results)


class _ReadCountingRecord(Mapping[str, object]):
    """A record that reports each read of its timestamp (the reader reads it once)."""

    def __init__(self, fields: dict[str, object], on_read: Callable[[], None]) -> None:
        self._fields = fields
        self._on_read = on_read

    def __getitem__(self, key: str) -> object:
        if key == "timestamp":
            self._on_read()
        return self._fields[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)


async def test_a_cancelled_await_stops_the_worker_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    # The 20,000th record read cancels the awaiting task and waits until the call's flag
    # is set; the reader must then stop at its next chunk (4,096 records) instead of
    # reading all 200,000 on a thread nobody awaits any more. The cancellation itself ends
    # once the worker has stopped.
    loop = asyncio.get_running_loop()
    worker = ThreadPoolExecutor(max_workers=1)
    loop.set_default_executor(worker)
    flags: list[_core.CancelFlag] = []
    monkeypatch.setattr(reducer_module, "_core", _FlagKeepingCore(flags))
    reads = 0
    stopped = threading.Event()

    def on_read() -> None:
        nonlocal reads
        reads += 1
        if reads == 20_000:
            loop.call_soon_threadsafe(task.cancel)
            while not flags[0].cancelled:
                time.sleep(0.001)

    def end_of_worker() -> None:
        stopped.set()

    records = [_ReadCountingRecord(r, on_read) for r in _records(200_000, seed=4)]
    task = asyncio.create_task(
        NodeUsageAnalyticsReducer().execute_reduction(_contract(records, "cancelled"))  # type: ignore[arg-type]
    )
    with pytest.raises(asyncio.CancelledError):
        await task
    read_when_cancelled = reads  # (the worker had stopped: it reads no more)
    await asyncio.wait_for(asyncio.to_thread(end_of_worker), timeout=1)
    assert stopped.is_set()
    assert reads == read_when_cancelled
    assert 20_000 <= reads <= 20_000 + 2 * 4_096
    worker.shutdown(wait=True)


def test_a_cancelled_batch_builds_no_more_outputs() -> None:
    records = [
        {**record, "pattern_id": f"p{index % 50}"}
        for index, record in enumerate(_records(500, seed=6))
    ]
    batch = ModelUsageAnalyticsBatchInput(
        time_window_start=NOW - timedelta(days=30), time_window_end=NOW, execution_data=records
    )
    flag = _core.CancelFlag()
    raw = reduce_any(records, core_options(batch, by_pattern=True), flag)
    flag.cancel()  # (after the reading: the 50 outputs were built for nobody)
    with cancellable(flag), pytest.raises(UsageAnalyticsError, match="cancelled"):
        batch_output(batch, raw, time.perf_counter(), computed_at=NOW)
    raw = reduce_any(records, core_options(batch, by_pattern=True), None)
    with cancellable(_core.CancelFlag()):
        assert len(batch_output(batch, raw, time.perf_counter(), computed_at=NOW).results) == 50


async def test_a_cancellation_waits_for_a_worker_that_cannot_stop_only_briefly() -> None:
    # A step that never looks at the flag (here an export taking 3 s; DuckDB running the
    # query being read) would hold a timeout's cancellation for as long as it runs.
    pa = pytest.importorskip("pyarrow")
    table = pa.Table.from_pylist(_records(10, seed=7))
    release = threading.Event()

    class SlowExport:
        def __arrow_c_stream__(self, requested_schema: object = None) -> object:
            release.wait(timeout=3)
            return table.__arrow_c_stream__(requested_schema)

    contract = _contract([], "slow").model_copy(update={"execution_data": SlowExport()})
    started = time.perf_counter()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(NodeUsageAnalyticsReducer().execute_reduction(contract), 0.05)
    waited = time.perf_counter() - started
    release.set()
    assert waited < 2


class _FlagKeepingCore:
    """The core module, keeping the cancel flags the reducer makes."""

    def __init__(self, flags: list[_core.CancelFlag]) -> None:
        self._flags = flags

    def CancelFlag(self) -> _core.CancelFlag:
        flag = _core.CancelFlag()
        self._flags.append(flag)
        return flag

    def __getattr__(self, name: str) -> Any:
        return getattr(_core, name)


async def test_a_cancelled_call_stops_building_its_time_series(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A year of one-minute buckets (525,600 models, over a second to build): cancelled,
    # the worker built them all for nobody, and the caller went on while it did.
    start = datetime(2025, 1, 1, tzinfo=UTC)
    contract = ModelUsageAnalyticsInput(
        pattern_id="p",
        time_window_start=start,
        time_window_end=start + timedelta(days=365),
        granularity=AnalyticsGranularity.COMPREHENSIVE,
        bucket_width=timedelta(minutes=1),
        execution_data=[{"timestamp": start + timedelta(days=3)}],
    )
    built, building, ended = [0], threading.Event(), threading.Event()
    original = output_module._bucket_datetimes

    def counted(series: Any) -> Iterator[Any]:
        try:
            for bucket in original(series):
                building.set()
                built[0] += 1
                yield bucket
        finally:
            ended.set()

    monkeypatch.setattr(output_module, "_bucket_datetimes", counted)
    task = asyncio.create_task(NodeUsageAnalyticsReducer().execute_reduction(contract))
    while not building.is_set():
        await asyncio.sleep(0.001)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert ended.is_set()  # (the worker stopped before the cancellation ended)
    assert built[0] < 100_000


@pytest.mark.parametrize("form", ["records", "arrow"])
def test_a_cancelled_flag_stops_the_core(form: str) -> None:
    contract = _contract(_records(100, seed=5), "p")
    data: object = contract.execution_data
    if form == "arrow":
        data = pytest.importorskip("pyarrow").Table.from_pylist(contract.execution_data)
    flag = _core.CancelFlag()
    options = core_options(contract, by_pattern=False)
    assert reduce_any(data, options, flag)["received"] == 100
    flag.cancel()
    assert flag.cancelled
    with pytest.raises(UsageAnalyticsError, match="the reduction was cancelled"):
        reduce_any(data, options, flag)


class _Milliseconds:
    """A number read through Python code (`__float__`): while one call runs it, another
    thread may take the GIL and start reading too."""

    def __init__(self, value: float) -> None:
        self.value = value

    def __float__(self) -> float:
        return self.value


async def test_concurrent_reads_leave_the_collector_enabled() -> None:
    # Each chunk of records is read with Python's collector paused (see rust/pyfast.rs).
    # Overlapping pauses of several threads each restored what they found: the second
    # found it paused by the first, and left it disabled for good (a leak of every cycle).
    records = [
        {
            "timestamp": NOW - timedelta(hours=1 + i % 100),
            "execution_time_ms": _Milliseconds(float(i % 50)),
        }
        for i in range(20_000)
    ]
    reducer = NodeUsageAnalyticsReducer()
    contract = _contract(records, "slow values")
    assert gc.isenabled()
    try:
        for _ in range(5):
            results = await asyncio.gather(*(reducer.execute_reduction(contract) for _ in range(4)))
            assert gc.isenabled()
        assert {r.usage_metrics.total_executions for r in results} == {20_000}
    finally:
        gc.enable()


def _build_outputs_until(stop: threading.Event) -> None:
    while not stop.is_set():
        with gc_paused():
            [object() for _ in range(100)]


def test_a_pause_ending_on_another_thread_leaves_the_collector_enabled() -> None:
    # Another thread's `gc_paused` (a batch building its outputs) may end while a reader's
    # pause is on: its enabling was undone by the reader's renewed pause, whose end then
    # restored the disabled state it had found (3 rounds in 30 left it disabled for good).
    records = [
        {
            "timestamp": NOW - timedelta(hours=1 + i % 100),
            "execution_time_ms": _Milliseconds(float(i % 50)),
        }
        for i in range(20_000)
    ]
    contract = _contract(records, "slow values")
    reducer = NodeUsageAnalyticsReducer()
    left_disabled = 0
    for _ in range(30):
        stop = threading.Event()

        builder = threading.Thread(target=_build_outputs_until, args=(stop,))
        builder.start()
        try:
            reducer.execute_reduction_sync(contract)
        finally:
            stop.set()
            builder.join()
        if not gc.isenabled():
            left_disabled += 1
            gc.enable()
    assert left_disabled == 0


def test_ctrl_c_stops_a_blocking_reduction_of_a_list_between_chunks() -> None:
    # The core read the whole list before Python could run a signal handler (Ctrl-C's
    # KeyboardInterrupt): about a second for 4M records. In a child, as the signal is the
    # process's; an interval timer's, which needs no thread to send it (a thread would
    # wait for the GIL the reading holds), its handler raising as Ctrl-C's does.
    script = """
import signal, time
from datetime import datetime, timedelta, UTC
from usage_analytics import ModelUsageAnalyticsInput, NodeUsageAnalyticsReducer
start = datetime(2026, 1, 1, tzinfo=UTC)
records = [{"timestamp": start + timedelta(hours=1), "success": True}] * 8_000_000
contract = ModelUsageAnalyticsInput(
    pattern_id="p", time_window_start=start, time_window_end=start + timedelta(days=1),
    execution_data=records,
)
began = time.perf_counter()
NodeUsageAnalyticsReducer().execute_reduction_sync(contract)
whole = time.perf_counter() - began

def interrupt(signum, frame):
    raise KeyboardInterrupt

signal.signal(signal.SIGALRM, interrupt)
began = time.perf_counter()
signal.setitimer(signal.ITIMER_REAL, 0.02)
try:
    NodeUsageAnalyticsReducer().execute_reduction_sync(contract)
except KeyboardInterrupt:
    print(f"interrupted after {time.perf_counter() - began:.3f} of {whole:.3f} s")
"""
    done = run_python(script)
    assert done.returncode == 0, done.stderr
    interrupted, whole = (float(word) for word in done.stdout.split()[2:5:2])
    assert interrupted < whole / 2, done.stdout
