"""Python's cyclic garbage collector paused while many acyclic objects are made.

Each collection walks every tracked object of its generations, and the full ones that
millions of new objects set off walk the whole heap: making them cost more than the work
itself (a batch's 10,000 outputs: 0.28-0.64 s collecting, 0.12-0.23 s paused; a SQLite
table's 2M rows, fetched and grouped: `sources/sqlite.py`). The objects made under the
pause hold no cycles, so nothing is left for the collector to find.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cyclic collector disabled for the block, then enabled again if it was.
    (Process-wide: a collection other threads would have set off meanwhile is deferred to
    the end of the block, not lost.)"""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
