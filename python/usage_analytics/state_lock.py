"""The lock that serializes the calls on one streaming state, refusing re-entry.

A state's core is borrowed for the whole of each call, and an `update` runs Python code
while it holds the lock: a value's `__float__`, a `tzinfo`'s `utcoffset`, a finalizer the
collector runs mid-read. Should that code call the same state again (a logging handler
that records into the accumulator it is logging for), a plain lock would wait forever for
its own thread. This one raises instead, naming the state; other threads wait as before.
"""

from __future__ import annotations

import threading
from types import TracebackType

from usage_analytics.errors import UsageAnalyticsError


class StateLock:
    """A non-reentrant lock that raises `UsageAnalyticsError` when its own holder takes
    it again, instead of deadlocking."""

    __slots__ = ("_holder", "_lock", "_owner")

    def __init__(self, owner: str) -> None:
        self._lock = threading.Lock()
        self._holder: int | None = None  # (the thread holding it, set only by that thread)
        self._owner = owner

    def __enter__(self) -> None:
        me = threading.get_ident()
        # Another thread's ident can be read here mid-change, but never this thread's own
        # unless this thread holds the lock: only the holder sets and clears it.
        if self._holder == me:
            raise UsageAnalyticsError(
                f"this {self._owner} was called again by code it ran during one of its "
                "own calls (a value's __float__, a tzinfo, a finalizer, a logging "
                "handler), in the same thread; call it after that call returns"
            )
        self._lock.acquire()
        self._holder = me

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._holder = None
        self._lock.release()
