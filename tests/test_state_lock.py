"""A streaming state called again by code it runs during one of its own calls (a value's
`__float__`, a tzinfo) raises instead of waiting forever for its own thread; other threads
still wait their turn."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo
from types import FrameType
from typing import Any

import pytest
from usage_analytics import (
    BatchUsageAccumulator,
    InvalidRecordError,
    RollingUsageAnalytics,
    UsageAccumulator,
    UsageAnalyticsError,
)
from usage_analytics.state_lock import StateLock

END = datetime(2026, 5, 1, tzinfo=UTC)
START = END - timedelta(days=7)
WHEN = END - timedelta(days=1)


def _within(seconds: float, call: Callable[[], object]) -> object:
    """`call()`'s result or exception, failing the test (not hanging it) on a deadlock."""
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(call())
        except BaseException as error:  # (handed back to the test)
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "the call deadlocked"
    return outcome[0]


class _CallsBack:
    """A duration whose conversion calls `callback` first (as a logging handler might)."""

    def __init__(self, callback: Callable[[], object]) -> None:
        self.callback = callback

    def __float__(self) -> float:
        self.callback()
        return 5.0


def _reentered_reason(error: object, owner: str) -> str:
    assert isinstance(error, InvalidRecordError), error
    assert error.field == "execution_time_ms"
    assert error.reason.startswith(
        f"must be a number: converting it to float raised UsageAnalyticsError: this {owner} "
        "was called again by code it ran during one of its own calls"
    ), error.reason
    return error.reason


@pytest.mark.parametrize("again", ["update", "to_bytes", "finalize", "merge_in", "pickle"])
def test_an_accumulator_reentered_from_a_value_raises_and_stays_usable(again: str) -> None:
    acc = UsageAccumulator(START, END)
    calls: dict[str, Callable[[], object]] = {
        "update": lambda: acc.update([{"timestamp": WHEN}]),
        "to_bytes": acc.to_bytes,
        "finalize": lambda: acc.finalize("p"),
        "merge_in": lambda: acc.merge_in(UsageAccumulator(START, END)),
        "pickle": lambda: __import__("pickle").dumps(acc),
    }
    record = {"timestamp": WHEN, "execution_time_ms": _CallsBack(calls[again])}
    _reentered_reason(_within(10, lambda: acc.update([record])), "UsageAccumulator")
    # Nothing of the failed update was added, and the lock was released.
    acc.update([{"timestamp": WHEN, "execution_time_ms": 7.0}])
    out = acc.finalize("p")
    assert out.usage_metrics.total_executions == 1
    assert out.performance_metrics is not None
    assert out.performance_metrics.max_execution_time_ms == 7.0


def test_a_batch_accumulator_reentered_in_skip_mode_counts_the_record_invalid() -> None:
    acc = BatchUsageAccumulator(START, END, on_invalid="skip")
    record = {"pattern_id": "a", "timestamp": WHEN, "execution_time_ms": 0.0}
    record["execution_time_ms"] = _CallsBack(acc.finalize)
    _within(10, lambda: acc.update([record, {"pattern_id": "a", "timestamp": WHEN}]))
    quality = acc.finalize().data_quality
    assert (quality.records_received, quality.invalid_records) == (2, 1)
    assert "this BatchUsageAccumulator was called again" in quality.error_samples[0].reason


class _SnapshottingZone(tzinfo):
    """A time zone whose offset lookup snapshots the monitor being added to."""

    def __init__(self, monitor: RollingUsageAnalytics) -> None:
        self.monitor = monitor

    def utcoffset(self, dt: datetime | None) -> timedelta:
        self.monitor.snapshot(END)
        return timedelta(0)

    def dst(self, dt: datetime | None) -> timedelta:
        return timedelta(0)

    def tzname(self, dt: datetime | None) -> str:
        return "snapshotting"


def test_a_monitor_reentered_from_a_tzinfo_raises() -> None:
    monitor = RollingUsageAnalytics(window=timedelta(hours=1), bucket=timedelta(minutes=5))
    when = (END - timedelta(minutes=1)).replace(tzinfo=_SnapshottingZone(monitor))
    error = _within(10, lambda: monitor.add([{"timestamp": when}]))
    assert isinstance(error, InvalidRecordError), error
    assert error.field == "timestamp"
    assert "this RollingUsageAnalytics was called again" in error.reason
    monitor.add([{"timestamp": END - timedelta(minutes=1)}])
    assert monitor.snapshot(END).usage_metrics.total_executions == 1


def test_another_thread_waits_for_the_holder() -> None:
    lock = StateLock("test state")
    taken, order = threading.Event(), []

    def second() -> None:
        taken.wait()
        with lock:
            order.append("second")

    other = threading.Thread(target=second)
    with lock:
        other.start()
        taken.set()
        other.join(0.2)  # it waits: no error, no entry
        assert other.is_alive()
        order.append("first")
    other.join(10)
    assert order == ["first", "second"]


def test_the_holder_taking_it_again_raises_and_keeps_it() -> None:
    lock = StateLock("test state")
    with lock:
        with pytest.raises(UsageAnalyticsError, match="this test state was called again"), lock:
            pass
        # Still held by this thread after the refused entry:
        with pytest.raises(UsageAnalyticsError):
            lock.__enter__()
    with lock:  # released once
        pass


def _taken(lock: StateLock) -> bool:
    """Whether `lock` is held (by any thread; its inner lock's kind may vary)."""
    inner: Any = lock._lock
    return bool(inner._is_owned()) if hasattr(inner, "_is_owned") else bool(inner.locked())


def test_an_interrupt_as_the_lock_is_taken_leaves_it_free() -> None:
    # A KeyboardInterrupt (Ctrl-C) is raised at the first instruction after acquire()
    # returns, inside `__enter__`, before the `with` that releases it begins: the lock
    # stayed taken with no holder, and every later call, in any thread, waited forever.
    lock = StateLock("test state")
    fired: list[bool] = []

    def trace(frame: FrameType, event: str, arg: object) -> Any:
        if frame.f_code is not StateLock.__enter__.__code__:
            return None
        frame.f_trace_opcodes = True

        def opcode(frame: FrameType, event: str, arg: object) -> Any:
            if event == "opcode" and not fired and _taken(lock):
                fired.append(True)
                raise KeyboardInterrupt
            return opcode

        return opcode

    before = sys.gettrace()  # (a coverage tool's or a debugger's: put back after)
    sys.settrace(trace)
    try:
        with pytest.raises(KeyboardInterrupt), lock:
            pass
    finally:
        sys.settrace(before)
    assert fired

    def take() -> None:
        with lock:
            pass

    _within(10, take)  # another thread
    take()  # this one
