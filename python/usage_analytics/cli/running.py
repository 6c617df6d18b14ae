"""The commands' event loop, and a Ctrl-C that ends the command at once.

Sources scan files and databases on worker threads (`asyncio.to_thread`), and a thread
cannot be stopped. `asyncio.run` waits for the default executor's threads when it
closes, and Python waits for them again at exit, so Ctrl-C during the read of a large
file ended the command only when the read did: seconds to minutes. `run_async` runs a
command's coroutine on a loop whose executor, after Ctrl-C, is shut down without
waiting; `abandoned_threads` then tells `main` to end the process without Python's exit
(nothing is lost: the command was interrupted, its output unwritten).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

__all__ = ["abandoned_threads", "run_async"]

T = TypeVar("T")

#: The names of the worker threads' (threading's names, for `abandoned_threads`).
_THREAD_NAMES = "usage-analytics-scan"
#: Whether a command of this process was interrupted, leaving its executor's threads.
_ABANDONED: list[bool] = []


class _Executor(ThreadPoolExecutor):
    """A thread pool whose `shutdown` does not wait once it has been abandoned."""

    def __init__(self) -> None:
        super().__init__(thread_name_prefix=_THREAD_NAMES)
        self._abandoned = False

    def abandon(self) -> None:
        self._abandoned = True
        _ABANDONED.append(True)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if self._abandoned:
            wait, cancel_futures = False, True
        super().shutdown(wait=wait, cancel_futures=cancel_futures)


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(coroutine)`, except that Ctrl-C (KeyboardInterrupt) does not wait for
    the scans running on worker threads."""
    executor = _Executor()
    with asyncio.Runner() as runner:
        runner.get_loop().set_default_executor(executor)
        try:
            return runner.run(coroutine)
        except KeyboardInterrupt:
            executor.abandon()
            raise


def abandoned_threads() -> bool:
    """Whether an interrupted command left a worker thread running, which Python's exit
    would wait for."""
    return bool(_ABANDONED) and any(
        thread.name.startswith(_THREAD_NAMES) and thread.is_alive()
        for thread in threading.enumerate()
    )
