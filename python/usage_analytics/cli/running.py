"""The commands' event loop, and a Ctrl-C that ends the command at once.

Sources scan files and databases on worker threads (`asyncio.to_thread`), and a thread
cannot be stopped. `asyncio.run` waits for the default executor's threads when it
closes, and Python waits for them again at exit, so Ctrl-C during the read of a large
file ended the command only when the read did: seconds to minutes. `run_async` runs a
command's coroutine on a loop whose executor, after Ctrl-C, is shut down without
waiting; `abandoned_threads` then tells the command's entry point (`cli.entry`, not
`main`, which callers in a process of their own get the exit status from) to end the
process without Python's exit (nothing is lost: the command was interrupted, its output
unwritten).
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

__all__ = ["abandoned_threads", "run_async"]

T = TypeVar("T")

#: The start of the worker threads' names; each executor adds a number of its own.
_THREAD_NAMES = "usage-analytics-scan"
#: The thread-name prefixes of the executors interrupted commands left running.
_ABANDONED: set[str] = set()
_EXECUTORS = itertools.count()


class _Executor(ThreadPoolExecutor):
    """A thread pool whose `shutdown` does not wait once it has been abandoned."""

    def __init__(self) -> None:
        self._prefix = f"{_THREAD_NAMES}-{next(_EXECUTORS)}"
        super().__init__(thread_name_prefix=self._prefix)
        self._abandoned = False

    def abandon(self) -> None:
        self._abandoned = True
        _ABANDONED.add(self._prefix + "_")  # (threads are named PREFIX_N)

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
    prefixes = tuple(_ABANDONED)
    return bool(prefixes) and any(
        thread.name.startswith(prefixes) and thread.is_alive() for thread in threading.enumerate()
    )
