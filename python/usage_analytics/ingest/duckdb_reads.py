"""The reads of one DuckDB connection's results take turns: a connection runs one query
at a time, refusing a second caller ("connection is busy"), and concurrent awaits read
results on worker threads."""

from __future__ import annotations

import threading
import weakref
from typing import Any


def _duckdb_reads(data: Any) -> threading.RLock:
    """The lock taken while a result of `data`'s DuckDB connection is read (see
    `read_any`): one per connection. A lock for every connection hung: a DuckDB function
    that the query being read calls, reading another connection's result, runs on one of
    DuckDB's threads whenever DuckDB schedules it there, and waited for the lock that the
    reading thread held while it waited for that function. Re-entrant: DuckDB may run the
    function on the reading thread too.

    DuckDB tells a relation's connection since its version 2 (`_con`); with an older one,
    every connection shares one lock, and such a function must not read DuckDB results."""
    connection = getattr(data, "_con", None)
    if connection is None:
        return _DUCKDB_READS
    with _DUCKDB_LOCKS_GUARD:
        try:
            lock = _DUCKDB_LOCKS.get(connection)
        except TypeError:  # (an object without weak references: not a connection)
            return _DUCKDB_READS
        if lock is None:
            lock = _DUCKDB_LOCKS[connection] = threading.RLock()
        return lock


#: The reads' lock of results whose connection is not known (see `_duckdb_reads`).
_DUCKDB_READS = threading.RLock()
#: Each DuckDB connection's reads' lock, for as long as the connection lives.
_DUCKDB_LOCKS: weakref.WeakKeyDictionary[Any, threading.RLock] = weakref.WeakKeyDictionary()
_DUCKDB_LOCKS_GUARD = threading.Lock()
