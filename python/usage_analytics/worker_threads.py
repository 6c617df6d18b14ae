"""`asyncio.to_thread` whose thread that cannot start is a `MemoryError`.

A thread's stack is address space (8 MB by default): under an address-space limit
(`RLIMIT_AS`) a worker thread that does not fit fails to start, and Python says so as
`RuntimeError("can't start new thread")`, which the awaited reduction and the file
sources let through: a caller handling `MemoryError` never saw one, and the command
ended in a traceback. (The system's limit on threads, `RLIMIT_NPROC`, fails the same
way, with the same words: the message names both.) A thread already started (the
executor's, reused) costs nothing new.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from usage_analytics.address_space import share_one_arena

__all__ = ["THREAD_NOT_STARTED", "is_thread_not_started", "to_thread"]

P = ParamSpec("P")
T = TypeVar("T")

#: CPython's words for a thread the system would not start (`threading.Thread.start`).
THREAD_NOT_STARTED = "can't start new thread"


def is_thread_not_started(error: BaseException) -> bool:
    return isinstance(error, RuntimeError) and str(error) == THREAD_NOT_STARTED


async def to_thread(doing: str, func: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """`await asyncio.to_thread(func, *args, **kwargs)`; a worker thread that cannot
    start raises `MemoryError` saying so while `doing` ("reading runs.csv")."""
    share_one_arena()
    try:
        return await asyncio.to_thread(func, *args, **kwargs)
    except RuntimeError as error:
        if not is_thread_not_started(error):
            raise
        raise MemoryError(
            f"out of memory {doing}: a worker thread could not start (no room for its "
            "stack, or the process's limit on threads)"
        ) from error
