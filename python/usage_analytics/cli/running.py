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

`asyncio.Runner` turns Ctrl-C into the main task's cancellation from a Python signal
handler, which runs in the main thread once it runs Python code again. Waiting in the
event loop's `select`, it did so only when the kernel gave the signal to the main thread
itself, and not when the signal came just before it began to wait: the command then waited
for its read (`_signal_wakes_the_loop`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import signal
import socket
import threading
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from usage_analytics.address_space import room
from usage_analytics.worker_threads import is_thread_not_started

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
        # Under an address-space limit, one thread, started once: CPython (3.11) waits for
        # ever in `Thread.start` for a thread whose start-up ran out of memory ("Exception
        # ignored in thread started by: MemoryError"), and the pool started a second one
        # for a read that came before its first had marked itself idle (seen: the command
        # over a JSON Lines file at 200 MB of headroom, stuck there). The command's work
        # runs one step at a time; none waits on the pool from inside it.
        workers = 1 if room() is not None else None
        super().__init__(max_workers=workers, thread_name_prefix=self._prefix)
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
    runner = asyncio.Runner()
    with _closed(runner, executor), _signal_wakes_the_loop(runner.get_loop()):
        runner.get_loop().set_default_executor(executor)
        try:
            return runner.run(coroutine)
        except KeyboardInterrupt:
            executor.abandon()
            raise


@contextlib.contextmanager
def _closed(runner: asyncio.Runner, executor: _Executor) -> Iterator[None]:
    """`runner` closed at the end, as `with runner:` closes it, except where the thread
    that asyncio starts to wait for the executor's threads cannot start (short of address
    space for its stack): `executor` is then shut down in this thread instead. That
    thread's `RuntimeError` ("can't start new thread") replaced the error that ended the
    command (a `MemoryError` reading, said in one line), or a result already made.
    Under an address-space limit it is not started at all: a thread that started but whose
    start-up ran out of memory ("Exception ignored in thread started by ... MemoryError")
    left CPython 3.11's `Thread.start` waiting for ever (a directory of JSON Lines files
    at 32 MB of headroom, helper-245's sweep). `executor` is shut down in this thread first,
    and the loop told it has none left to wait for."""
    try:
        yield
    finally:
        if room() is not None and not executor._abandoned:
            executor.shutdown()
            # (asyncio's own attribute, 3.11-3.13: with no executor, its
            # `shutdown_default_executor` returns before starting its thread.)
            runner.get_loop()._default_executor = None  # type: ignore[attr-defined]
        try:
            runner.close()  # (which closes its loop whatever happens)
        except RuntimeError as error:
            if not is_thread_not_started(error):
                raise
            executor.shutdown()


@contextlib.contextmanager
def _signal_wakes_the_loop(loop: asyncio.AbstractEventLoop) -> Iterator[None]:
    """Have every signal wake `loop` from its `select`, so that the Runner's Ctrl-C handler
    runs at once: Python's C-level handler writes the signal's number to a wakeup socket,
    which the loop watches (and drains). Without it, a signal taken by another thread (a
    worker's wait) or arriving just before the main thread began to wait interrupted
    nothing, and the loop slept on (until its read ended: here, for ever). Only the main
    thread can set the wakeup socket; a loop in another thread gets no Ctrl-C anyway."""
    with contextlib.ExitStack() as stack:
        if threading.current_thread() is threading.main_thread():
            _wake_on_signals(loop, stack)
        yield


def _wake_on_signals(loop: asyncio.AbstractEventLoop, stack: contextlib.ExitStack) -> None:
    reader, writer = socket.socketpair()
    for end in (stack.enter_context(reader), stack.enter_context(writer)):
        end.setblocking(False)
    # The loop watches the socket before it becomes the wakeup fd: Windows' proactor loop
    # cannot watch one (NotImplementedError), and wakes on Ctrl-C through the wakeup fd it
    # set to its own socket when made, which must then stay.
    try:
        loop.add_reader(reader.fileno(), _drain, reader)
    except NotImplementedError:
        return
    stack.callback(loop.remove_reader, reader.fileno())
    try:
        previous = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    except ValueError:  # (an interpreter without signals: nothing to wake it for)
        return
    stack.callback(signal.set_wakeup_fd, previous)


def _drain(reader: socket.socket) -> None:
    with contextlib.suppress(OSError):  # (BlockingIOError once it is empty)
        while reader.recv(4096):
            pass


def abandoned_threads() -> bool:
    """Whether an interrupted command left a worker thread running, which Python's exit
    would wait for."""
    prefixes = tuple(_ABANDONED)
    return bool(prefixes) and any(
        thread.name.startswith(prefixes) and thread.is_alive() for thread in threading.enumerate()
    )
