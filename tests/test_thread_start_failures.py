"""A thread that cannot start (no room for its stack under an address-space limit) is a
`MemoryError`: the awaited reduction's and the file sources' worker thread
(`worker_threads`), pyarrow's pool thread (`sources.files`); and the command's event loop
no longer replaces the error that ended it by its own thread's `RuntimeError`
(`cli.running`). Before, each was `RuntimeError("can't start new thread")` or pyarrow's
`ArrowException` ("Failed to launch worker thread"), and the command ended in a
traceback."""

from __future__ import annotations

import asyncio
import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from child import run_python
from usage_analytics.cli.running import run_async
from usage_analytics.sources import SourceError, files, open_source
from usage_analytics.worker_threads import THREAD_NOT_STARTED, to_thread


def _not_started(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError(THREAD_NOT_STARTED)


def test_a_worker_thread_not_started_is_a_memory_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(asyncio, "to_thread", _not_started)
    with pytest.raises(MemoryError, match="out of memory reading x: a worker thread") as raised:
        asyncio.run(to_thread("reading x", print))
    assert str(raised.value.__cause__) == THREAD_NOT_STARTED


def test_another_runtime_error_is_what_it_was() -> None:
    def fails() -> None:
        raise RuntimeError("the work's own")

    with pytest.raises(RuntimeError, match="the work's own"):
        asyncio.run(to_thread("reading x", fails))


def test_the_command_loop_keeps_the_error_that_ended_it(monkeypatch: pytest.MonkeyPatch) -> None:
    async def read() -> None:
        raise MemoryError("out of memory reading runs.csv")

    # (asyncio's thread that waits for the executor's at the loop's close.)
    monkeypatch.setattr(threading.Thread, "start", _not_started)
    with pytest.raises(MemoryError, match=r"reading runs\.csv"):
        run_async(read())


def test_the_command_loop_keeps_its_result(monkeypatch: pytest.MonkeyPatch) -> None:
    async def read() -> int:
        return 5

    monkeypatch.setattr(threading.Thread, "start", _not_started)
    assert run_async(read()) == 5


def test_under_a_limit_the_command_loop_closes_starting_no_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # (asyncio's thread waiting for the executor, whose start-up ran out of memory, left
    # `Thread.start` waiting for ever: under a limit it is not started.)
    from usage_analytics.cli import running

    monkeypatch.setattr(running, "room", lambda: 2**30)
    started: list[threading.Thread] = []

    def start(thread: threading.Thread) -> None:
        started.append(thread)
        raise RuntimeError(THREAD_NOT_STARTED)

    async def read() -> int:
        value = await asyncio.to_thread(int, "5")  # (the executor's thread, started)
        monkeypatch.setattr(threading.Thread, "start", start)
        return value

    assert run_async(read()) == 5
    assert started == []


def test_pyarrows_pool_thread_not_started_is_a_memory_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "runs.csv"
    path.write_text("pattern_id,timestamp,success\np,2024-01-01T00:00:00Z,true\n")
    launch = "Unknown error: Failed to launch worker thread: Resource temporarily unavailable"

    def read_csv_arrow(*args: Any, **kwargs: Any) -> Any:
        raise pa.lib.ArrowException(launch)

    monkeypatch.setattr(files, "read_csv_arrow", read_csv_arrow)

    async def fetch() -> Any:
        source = open_source(path)
        try:
            return await source.fetch("p", datetime.min, datetime.max)
        finally:
            await source.close()

    with pytest.raises(MemoryError, match=r"out of memory reading .*runs\.csv: pyarrow's"):
        asyncio.run(fetch())


@pytest.mark.parametrize("field", ["success", "execution_time_ms"])
def test_a_refusal_quoting_pyarrows_words_stays_a_refusal(tmp_path: Path, field: str) -> None:
    # Only pyarrow's own error for its thread is a MemoryError: a refusal of the caller's
    # layout that quotes its words (a directory's value) was said as out of memory.
    folder = tmp_path / f"{field}=Failed to launch worker thread"
    folder.mkdir()
    table = pa.table({"pattern_id": ["p"], "timestamp": ["2024-01-01T00:00:00Z"]})
    pq.write_table(table, folder / "part.parquet")

    async def fetch() -> Any:
        source = open_source(tmp_path)
        try:
            return await source.fetch("p", datetime.min, datetime.max)
        finally:
            await source.close()

    with pytest.raises(SourceError, match=f"field '{field}' .*= 'Failed to launch worker"):
        asyncio.run(fetch())


def test_pyarrows_pool_thread_not_started_in_a_directory_is_said_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (The directory's read wrapped its file's `MemoryError` again: "out of memory reading
    # logs: pyarrow's worker thread could not start (out of memory reading logs/a.jsonl:
    # pyarrow's worker thread could not start (...))".)
    folder = tmp_path / "logs"
    (folder / "day=1").mkdir(parents=True)
    line = '{"pattern_id": "p", "timestamp": "2024-01-01T00:00:00Z", "success": true}\n'
    (folder / "day=1" / "a.jsonl").write_text(line)
    launch = "Unknown error: Failed to launch worker thread: Resource temporarily unavailable"

    def read_jsonl_arrow(*args: Any, **kwargs: Any) -> Any:
        raise pa.lib.ArrowException(launch)

    monkeypatch.setattr(files, "read_jsonl_arrow", read_jsonl_arrow)

    async def fetch() -> Any:
        source = open_source(folder)
        try:
            return await source.fetch("p", datetime.min, datetime.max)
        finally:
            await source.close()

    with pytest.raises(MemoryError) as raised:
        asyncio.run(fetch())
    message = str(raised.value)
    assert message.startswith(f"out of memory reading {folder / 'day=1' / 'a.jsonl'}: pyarrow's")
    assert message.count("could not start") == 1, message


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS as Linux applies it")
def test_the_awaited_reduction_without_room_for_its_thread_raises_memory_error() -> None:
    """A child capped 2 MB above what it uses: no worker thread's 8 MB stack fits. (Before:
    `RuntimeError: can't start new thread`.)"""
    done = run_python(
        """
import asyncio, os, resource
from datetime import UTC, datetime
from usage_analytics import ModelUsageAnalyticsInput, NodeUsageAnalyticsReducer

start, end = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 31, tzinfo=UTC)
records = [{"timestamp": start, "success": True, "execution_time_ms": 1.0}]
request = ModelUsageAnalyticsInput(
    pattern_id="p", execution_data=records, time_window_start=start, time_window_end=end,
    time_window_type="monthly",
)
reducer = NodeUsageAnalyticsReducer()
reducer.INLINE_MAX_RECORDS = 0  # (on a worker thread, as a larger input is)
with open("/proc/self/statm") as statm:
    used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
limit = used + 2 * 2**20
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

async def reduce():
    try:
        await reducer.execute_reduction(request)
        print("result", flush=True)
    except MemoryError as error:
        print("MemoryError", error, flush=True)
    os._exit(0)  # (asyncio.run's own closing thread could not start either)

asyncio.run(reduce())
"""
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("MemoryError out of memory reducing: a worker thread"), (
        done.stdout,
        done.stderr[-2000:],
    )


@pytest.mark.parametrize(("left", "workers"), [(None, None), (2**30, 1)])
def test_the_command_loop_starts_one_worker_thread_under_a_limit(
    left: int | None, workers: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from usage_analytics.cli import running

    monkeypatch.setattr(running, "room", lambda: left)
    expected = ThreadPoolExecutor()._max_workers if workers is None else workers
    assert running._Executor()._max_workers == expected
