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

    __slots__ = ("_lock", "_owner")

    def __init__(self, owner: str) -> None:
        # An RLock for its owner, which it records in the same step as it is taken (never
        # taken twice: the holder's second entry raises first).
        self._lock = threading.RLock()
        self._owner = owner

    def _held_here(self) -> bool:
        return bool(self._lock._is_owned())  # type: ignore[attr-defined]

    def __enter__(self) -> None:
        if self._held_here():
            raise UsageAnalyticsError(
                f"this {self._owner} was called again by code it ran during one of its "
                "own calls (a value's __float__, a tzinfo, a finalizer, a logging "
                "handler), in the same thread; call it after that call returns"
            )
        try:
            self._lock.acquire()
        except BaseException:
            # (A KeyboardInterrupt may be raised as acquire() returns, before the `with`
            # that would release it begins: it stayed taken, and every later call waited.)
            if self._held_here():
                self._lock.release()
            raise

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._lock.release()
