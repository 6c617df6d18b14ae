"""One connection to a PostgreSQL server through ADBC's driver (the `postgres` extra).

`connect` opens a session in UTC with ISO dates and exact float text; `PostgresConnection`
opens one lazily and runs its calls one at a time on a worker thread (the driver is
synchronous), so the event loop never blocks, with the driver's errors turned into
`SourceError`s.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib
import inspect
import threading
import weakref
from collections.abc import Callable
from typing import Any

from usage_analytics.extras import load_pyarrow, missing_extra
from usage_analytics.sources.base import SourceError, SourceUnavailableError
from usage_analytics.sources.postgres_url import checked_url, first_line, redacted

__all__ = ["PostgresConnection", "connect", "driver", "postgres_pyarrow", "with_notes_of"]


def driver() -> Any:
    """ADBC's PostgreSQL DB-API module, or a clear error naming the extra."""
    try:
        return importlib.import_module("adbc_driver_postgresql.dbapi")
    except ImportError:
        raise missing_extra(
            "PostgreSQL", "postgres", "ADBC's PostgreSQL driver (adbc-driver-postgresql)"
        ) from None


def postgres_pyarrow() -> Any:
    """pyarrow, which the PostgreSQL extra installs beside the driver: when it is missing,
    that extra is the one to name (naming `arrow` sent users on to a second error)."""
    pa = load_pyarrow()
    if pa is None:
        raise missing_extra("PostgreSQL", "postgres", "pyarrow")
    return pa


def connect(url: str, *, autocommit: bool = True) -> Any:
    """An ADBC connection to `url` whose session runs in UTC, without JIT compilation
    (blocking). The queries here are index ranges taking milliseconds; a per-pattern one
    over a skip scan of the pattern ids is estimated as costly enough for PostgreSQL to
    compile it, which took 242 of its 282 ms on 3M rows."""
    dbapi = driver()
    # ADBC's DB-API connects only with pyarrow installed ("This API requires PyArrow to
    # be installed", as a connection error naming no extra): the first query of a
    # command (the newest record, with no --end) stopped there.
    postgres_pyarrow()
    target = checked_url(url)
    try:
        connection = _opened(dbapi, target, autocommit=autocommit)
    except dbapi.Error as error:
        said = first_line(error, url)
        raise SourceUnavailableError(
            f"cannot connect to {redacted(url)}: {said}{_password_hint(said)}"
        ) from None
    try:
        cursor = connection.cursor()
        try:
            cursor.execute("SET TIME ZONE 'UTC'")
            # Timestamps as ISO text (a database's DateStyle wrote "01/04/2026 ..." into
            # row labels), floats as their shortest exact text (`_as_double`).
            cursor.execute("SET DateStyle = 'ISO, YMD'")
            cursor.execute("SET extra_float_digits = 1")
            # (bytea as hex digits, which `postgres_ids` reads: a database may set "escape")
            cursor.execute("SET bytea_output = 'hex'")
            # (a server without JIT, PostgreSQL 10 and older, has no such setting)
            cursor.execute(
                "SELECT set_config('jit', 'off', false) FROM pg_settings WHERE name = 'jit'"
            )
            cursor.fetchall()
        finally:
            cursor.close()
    except dbapi.Error as error:
        connection.close()
        raise SourceUnavailableError(
            f"cannot use {redacted(url)}: {first_line(error, url)}"
        ) from None
    return connection


def _password_hint(said: str) -> str:
    """Where to give the password the server asked for and libpq had none of
    ("fe_sendauth: no password supplied", which names neither), else ""."""
    if "no password supplied" not in said:
        return ""
    return (
        "; the server asks for a password: give it in the URL "
        "(postgresql://USER:PASSWORD@HOST/DB), in PGPASSWORD or in ~/.pgpass"
    )


def _opened(dbapi: Any, uri: str, *, autocommit: bool) -> Any:
    """`dbapi.connect(uri, autocommit=autocommit)`, whose steps these are, except that a
    database handle that fails to open is released. ADBC's `AdbcDatabase` releases
    nothing when its opening fails (the driver's state of the attempt, 15 KB) and has no
    finalizer: every attempt on a server that is down or refuses kept that, without bound
    for a service that retries (adbc-driver-manager 1.13)."""
    import adbc_driver_manager
    import adbc_driver_postgresql

    # (The driver's own path finder is private: where a release has none, its `connect`.)
    driver_path = getattr(adbc_driver_postgresql, "_driver_path", None)
    if driver_path is None:
        return dbapi.connect(uri, autocommit=autocommit)
    database = adbc_driver_manager.AdbcDatabase.__new__(adbc_driver_manager.AdbcDatabase)
    handle = None
    try:
        adbc_driver_manager.AdbcDatabase.__init__(database, driver=driver_path(), uri=uri)
        handle = adbc_driver_manager.AdbcConnection(database)
        return dbapi.Connection(database, handle, autocommit=autocommit)
    except BaseException:
        with contextlib.suppress(Exception):
            if handle is not None:
                handle.close()
            database.close()
        raise


def _rolled_back(error: Exception) -> bool:
    """Whether the server rolled back the transaction (SQLSTATE class 40: a deadlock, a
    serialization failure), which the driver reports as an operational error: the query
    failed, the connection did not."""
    return str(getattr(error, "sqlstate", None) or "").startswith("40")


#: SQLSTATEs of a lost connection: a connection exception (class 08), and the errors with
#: which the server ends the session (administrator command, crash or shutdown, startup,
#: idle session or idle in transaction timeouts).
_SESSION_ENDED = ("08", "57P01", "57P02", "57P03", "57P05", "25P03")


def _connection_lost(error: Exception) -> bool:
    """Whether a driver's operational error lost the connection: libpq's own (no
    SQLSTATE: the socket closed) or one of `_SESSION_ENDED`. ADBC reports other errors
    of the server as operational too: a trigger's RAISE (P0001), a deferred constraint's
    refusal at COMMIT, a statement timeout (57014), a full disk (53100). Those are the
    query's, answered by a server that is there: they were "connection failed", a
    `SourceUnavailableError` (the command's usage exit) for a refused write."""
    state = str(getattr(error, "sqlstate", None) or "")
    return not state or state.startswith(_SESSION_ENDED)


def with_notes_of(error: BaseException, told: SourceError) -> SourceError:
    """`told`, the error that reports `error`, with `error`'s notes: what befell after it
    (a store's lock not released, `PostgresAnalyticsStore._turn`), which a report made
    `from None` lost."""
    for note in getattr(error, "__notes__", ()):
        told.add_note(note)
    return told


def _itself(value: Any) -> Any:
    return value


class PostgresConnection:
    """One lazily opened ADBC connection whose calls run one at a time on a worker
    thread, with driver errors turned into `SourceError`s (a lost connection is
    reopened by the next call)."""

    def __init__(self, url: str, *, on_connect: Callable[[Any], None] | None = None) -> None:
        checked_url(url)
        self.url = url
        self.description = redacted(url)
        # Held weakly: it is a method of the source or store that holds this connection,
        # and a strong reference back made a cycle, which kept a dropped source's or
        # store's connection (a socket, a server session) open until the cyclic collector
        # ran, rather than closed as its last reference went. (WeakMethod takes bound
        # Python methods alone: another callable, which is no such cycle, is held.)
        self._on_connect: Callable[[], Callable[[Any], None] | None] | None = None
        if inspect.ismethod(on_connect):
            self._on_connect = weakref.WeakMethod(on_connect)
        elif on_connect is not None:
            self._on_connect = functools.partial(_itself, on_connect)
        self._connection: Any = None
        # Held by the worker thread for the whole of each call. (An asyncio.Lock alone was
        # released when the awaiting task was cancelled, a timeout, while its worker still
        # used the connection: the next call ran on it at once, and the two corrupted
        # libpq's state, up to a crash. It also bound the connection to the first event
        # loop that waited on it: another loop's calls raised RuntimeError, or waited
        # forever when made from another thread.)
        self._busy = threading.Lock()
        # Calls of one event loop queue on its own lock rather than in worker threads.
        self._loop_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock]
        self._loop_locks = weakref.WeakKeyDictionary()

    def _loop_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._loop_locks.get(loop)
        if lock is None:
            lock = self._loop_locks[loop] = asyncio.Lock()
        return lock

    async def run(self, work: Callable[[Any], Any]) -> Any:
        """`work(cursor)` on the connection (a worker thread), one call at a time."""
        async with self._loop_lock():
            return await asyncio.to_thread(self._call, work)

    def _call(self, work: Callable[[Any], Any]) -> Any:
        with self._busy:
            return self._call_held(work)

    def _call_held(self, work: Callable[[Any], Any]) -> Any:
        dbapi = driver()
        if self._connection is None:
            self._connection = connect(self.url)
            on_connect = None if self._on_connect is None else self._on_connect()
            if on_connect is not None:
                on_connect(self._connection)
        cursor = self._connection.cursor()
        try:
            return work(cursor)
        except dbapi.OperationalError as error:
            self._discard()
            if _rolled_back(error):
                raise with_notes_of(
                    error,
                    SourceError(
                        f"{self.description}: query failed, its transaction rolled back: "
                        f"{first_line(error, self.url)}"
                    ),
                ) from None
            if not _connection_lost(error):
                raise with_notes_of(
                    error,
                    SourceError(f"{self.description}: query failed: {first_line(error, self.url)}"),
                ) from None
            raise with_notes_of(
                error,
                SourceUnavailableError(
                    f"{self.description}: connection failed: {first_line(error, self.url)}"
                ),
            ) from None
        except dbapi.Error as error:
            # The driver leaves the session in the failed transaction ("commands ignored
            # until end of transaction block"): every later call would fail too. The next
            # call opens a fresh connection.
            self._discard()
            raise with_notes_of(
                error,
                SourceError(f"{self.description}: query failed: {first_line(error, self.url)}"),
            ) from None
        finally:
            try:
                cursor.close()
            except dbapi.Error:
                self._discard()

    def _discard(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):  # a broken connection may fail to close
                connection.close()

    async def close(self) -> None:
        async with self._loop_lock():
            if self._connection is not None:
                await asyncio.to_thread(self._discard_held)

    def _discard_held(self) -> None:
        with self._busy:
            self._discard()
