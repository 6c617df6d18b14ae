"""Whether other threads run while a call holds the main thread: the core lets go of the
GIL at times during a long call, so that an event loop's thread keeps ticking."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

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
