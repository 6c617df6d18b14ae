"""The core's calls that let go of the GIL at times during a long call (so that an event
loop's thread keeps ticking): whether other threads run meanwhile, and that a column
another thread changes meanwhile is no crash."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from child import run_python

T = TypeVar("T")

#: A thread switch due may come just as the call begins or returns, and the other thread
#: then runs for up to Python's 5 ms switch interval: only its runs more than this far
#: from either end of the call count.
_MARGIN = 0.008


def run_while_other_threads_tick(call: Callable[[], T]) -> T:
    """`call()`'s result, asserting that a thread spinning meanwhile got the GIL during
    the call (not only at its ends)."""
    ticks: list[float] = []
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            ticks.append(time.perf_counter())

    spinner = threading.Thread(target=spin)
    spinner.start()
    try:
        while not ticks:
            time.sleep(0.001)
        began = time.perf_counter()
        result = call()
        ended = time.perf_counter()
    finally:
        stop.set()
        spinner.join()
    assert ended - began > 3 * _MARGIN, "too quick to tell"
    assert any(began + _MARGIN < tick < ended - _MARGIN for tick in ticks), (
        f"no tick in the {ended - began:.3f} s of the call"
    )
    return result


def assert_changed_column_is_no_crash(column: str, change: str, coder: str) -> None:
    """In a child process, `_core.<coder>(column, 100)` while another thread runs the
    statement `change` on `column` (made by the expression `column`) 12 ms in, then
    fills memory: the coder, which lets go of the GIL every 10 ms and takes the array's
    buffer again after, gives codes or None, and never reads freed memory (a crash)."""
    script = f"""
import threading, time
import numpy as np
from usage_analytics._core import {coder}

column = {column}

def change():
    time.sleep(0.012)
    {change}
    junk = [np.full(1_000_000, 1e300) for _ in range(30)]  # (the freed memory reused)
    time.sleep(0.3)

thread = threading.Thread(target=change)
thread.start()
found = {coder}(column, 100)
thread.join()
print("codes" if found is not None else "none")
"""
    done = run_python(script)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() in ("codes", "none")
