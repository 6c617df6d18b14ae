"""Python's cyclic garbage collector paused while many acyclic objects are made.

Each collection walks every tracked object of its generations, and the full ones that
millions of new objects set off walk the whole heap: making them cost more than the work
itself (a batch's 10,000 outputs: 0.28-0.64 s collecting, 0.12-0.23 s paused; a SQLite
table's 2M rows, fetched and grouped: `sources/sqlite.py`). The objects made under the
pause hold no cycles, so nothing is left for the collector to find.

Fork: a process forked while another thread's pause is on (a worker thread building a
batch's outputs or reading records, as a service's reductions do, while the main thread
starts a `multiprocessing` or `ProcessPoolExecutor` worker) has no such thread, so nothing
would ever end that pause: the child ran its whole life with the collector disabled,
leaking every cycle. The child ends them instead (`_after_fork_in_child`).
"""

from __future__ import annotations

import contextlib
import gc
import os
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

from usage_analytics import _core

_Made = TypeVar("_Made")

#: The threads whose `gc_paused` disabled the collector and will enable it when it ends.
_pausing: set[int] = set()


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cyclic collector disabled for the block, then enabled again if it was.
    (Process-wide: a collection other threads would have set off meanwhile is deferred to
    the end of the block, not lost.)"""
    if not gc.isenabled():
        yield
        return
    thread = threading.get_ident()
    _pausing.add(thread)  # (before disabling: a fork in between enables it, as it was)
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        _pausing.discard(thread)


def move_to_oldest_generation() -> None:
    """Every object the collector tracks moved to its oldest generation without being
    walked (`gc.freeze`, then `gc.unfreeze`): for the many objects made under `gc_paused`
    that live on, called before the pause ends. Left young, the first collection after
    the pause walked them all (the dashboard's rows and health findings of 100,000
    patterns: 0.20-0.29 s); in the oldest generation they wait for a full collection,
    which moving them there does not set off."""
    gc.freeze()
    gc.unfreeze()


def made_paused(make: Callable[..., _Made], *args: object) -> _Made:
    """`make(*args)` under `gc_paused`, what it made then moved to the oldest generation
    (`move_to_oldest_generation`): for a source's groups by pattern, kept for the whole
    dashboard (100,000 patterns: 600,000 acyclic objects, whose collections took about
    half of their making's CPU, 1.7-2.2 s against 0.9-1.0 paused)."""
    with gc_paused():
        made = make(*args)
        move_to_oldest_generation()
    return made


def _after_fork_in_child() -> None:
    """End the pauses that other threads of the parent had on when it forked (theirs, and
    the core's readers', `rust/pyfast.rs`): the collector enabled, as their ends would
    have left it. (The forking thread's own pause, if any, still ends by itself.)"""
    inherited = _pausing - {threading.get_ident()}
    _pausing.difference_update(inherited)
    if _core.end_inherited_collector_pauses() or inherited:
        gc.enable()


os.register_at_fork(after_in_child=_after_fork_in_child)
