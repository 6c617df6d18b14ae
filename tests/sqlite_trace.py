"""The statements `sqlite3`'s connections run, as SQLite's trace gives them (parameters
bound): for the tests and benches that check what a store or source sends."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any


def tracing(
    connect: Callable[..., sqlite3.Connection], into: list[str]
) -> Callable[..., sqlite3.Connection]:
    """`connect`, each connection it opens appending the statements it runs to `into`:
    put in the place of `sqlite3.connect` (and put that back after)."""

    def traced(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        connection = connect(*args, **kwargs)
        connection.set_trace_callback(into.append)
        return connection

    return traced
