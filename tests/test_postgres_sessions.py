"""Every public PostgreSQL operation ends its transaction: after the store's or the
source's call returns, and after it raises (a bad argument, a dropped table, a refused
write), the session that ran it is `idle` (never `idle in transaction`, which holds a
snapshot that keeps VACUUM from removing dead rows, and its locks on what it read),
holds no lock, and what it wrote is seen by another session.

ADBC's PostgreSQL driver wraps a statement with a timestamptz parameter in a transaction
of its own (BEGIN, SET TIME ZONE, ..., COMMIT) on an autocommit connection, and commits
it only once the statement's results are read to their end (the server's log shows it,
adbc-driver-postgresql 1.6.0 and 1.13.0 alike): `get`, which read one row, left its
session idle in transaction, and a first `prune` was never committed (session 58).

Such a transaction lasts until the session's next statement of that kind, whose COMMIT
ends it too: so the command's test looks after each of its calls, not at its end alone.

The sessions are found by an application name of the test's own, from another session:
a query on the store's own connection would itself run in any transaction left open.
(The stores and sources take URLs, never a caller's connection: every connection is
their own, in autocommit, and a write's transaction their own too.)
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from pg_calls import sql
from source_cases import GROWING, NOW, NOW_ARG, START, analyse, demo_rows, records_of
from usage_analytics import ModelUsageAnalyticsOutput
from usage_analytics.cli import main
from usage_analytics.closing import AsyncClosing
from usage_analytics.sources import SourceError, UnknownPatternError, open_source
from usage_analytics.sources.postgres_connection import PostgresConnection
from usage_analytics.sources.postgres_table import write_executions_sync
from usage_analytics.store import StoreError, open_store

APPLICATION = "ua_session_test"
COMPUTED = datetime(2026, 3, 4, tzinfo=UTC)
#: How long a session that is going away (its connection closed after a failed query)
#: may still be listed: the server ends it shortly after the client closes.
SETTLING_SECONDS = 5.0


@functools.cache
def analysed() -> ModelUsageAnalyticsOutput:
    return analyse(records_of(demo_rows(), GROWING), GROWING)


def result(number: int) -> ModelUsageAnalyticsOutput:
    """GROWING's result computed `number` minutes after COMPUTED, correlation id `number`."""
    return analysed().model_copy(
        update={
            "computed_at": COMPUTED + timedelta(minutes=number),
            "correlation_id": UUID(int=number),
        }
    )


Call = Callable[[Any], Awaitable[Any]]


@dataclass(frozen=True)
class Operation:
    """A public operation on a store or a source (`opens`), after `before` (on the same
    object, with the database's URL: what the operation meets); `raises` what it must
    raise, if anything; `seen` a query another session runs after it, and its rows."""

    opens: Callable[[str], AsyncClosing]
    call: Call
    before: Callable[[Any, str], Awaitable[None]] | None = None
    raises: tuple[type[Exception], str] | None = None
    seen: tuple[str, list[tuple[Any, ...]]] | None = None
    #: Whether it returns on a new session (its first statement failed on the old).
    reconnects: bool = False


def store(url: str) -> AsyncClosing:
    return open_store(url)


def source(url: str) -> AsyncClosing:
    executions = url.partition("?")[0]
    if not sql(executions, "SELECT to_regclass('pattern_executions') IS NOT NULL")[0][0]:
        write_executions_sync(executions, demo_rows())
    return open_source(url)


def then(*steps: Call | str) -> Callable[[Any, str], Awaitable[None]]:
    """`before`: calls on the object and SQL statements (another session's), in order."""

    async def run(opened: Any, url: str) -> None:
        for step in steps:
            if isinstance(step, str):
                sql(url, step)
            else:
                await step(opened)

    return run


def saved(*numbers: int) -> Call:
    return lambda opened: opened.save_many([result(number) for number in numbers])


def rows(count: int) -> tuple[str, list[tuple[Any, ...]]]:
    return "SELECT count(*) FROM pattern_analytics", [(count,)]


NO_TABLE = ("SELECT to_regclass('pattern_analytics') IS NULL", [(True,)])
DROP_STORE = "DROP TABLE pattern_analytics"
DROP_SOURCE = "DROP TABLE pattern_executions"
WINDOW = (result(1).time_window_start, result(1).time_window_end)
DAY_AFTER = COMPUTED + timedelta(days=1)
REFUSE = (
    "CREATE FUNCTION ua_refuse() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'refused'; END $$"
)
#: A deferred constraint trigger: the insert is refused at COMMIT, not at the statement.
REFUSE_AT_COMMIT = (
    "CREATE CONSTRAINT TRIGGER ua_refuse AFTER INSERT ON pattern_analytics "
    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
    f"WHEN (new.correlation_id = '{UUID(int=3)}') EXECUTE FUNCTION ua_refuse()"
)
REFUSE_DELETE = (
    "CREATE TRIGGER ua_refuse BEFORE DELETE ON pattern_analytics FOR EACH ROW "
    f"WHEN (old.correlation_id = '{UUID(int=2)}') EXECUTE FUNCTION ua_refuse()"
)
LATER_INDEXES = "DROP INDEX pattern_analytics_type_computed, pattern_analytics_computed_at"
INDEXES = ("SELECT count(*) FROM pg_indexes WHERE tablename = 'pattern_analytics'", [(4,)])

OPERATIONS = {
    # ---------------------------------------------------------------- the store: returns
    "save creating the table": Operation(
        store, lambda s: s.save(result(1)), then(lambda s: s.history(GROWING)), seen=rows(1)
    ),
    "save adding the later indexes": Operation(
        store,
        lambda s: s.save(result(2)),
        then(saved(1), LATER_INDEXES, lambda s: s.close()),
        seen=INDEXES,
    ),
    "save_many": Operation(store, saved(1, 2, 3), then(lambda s: s.history(GROWING)), seen=rows(3)),
    "save_many of none": Operation(
        store, saved(), then(lambda s: s.history(GROWING)), seen=rows(0)
    ),
    "get": Operation(store, lambda s: s.get(GROWING, *WINDOW), then(saved(1)), seen=rows(1)),
    "get of a correlation id and selection": Operation(
        store,
        lambda s: s.get(GROWING, *WINDOW, UUID(int=1), timezone="UTC", window_type="monthly"),
        then(saved(1)),
        seen=rows(1),
    ),
    "get before any save": Operation(store, lambda s: s.get(GROWING, *WINDOW), seen=NO_TABLE),
    "history": Operation(store, lambda s: s.history(GROWING, 2), then(saved(1, 2)), seen=rows(2)),
    "history before any save": Operation(store, lambda s: s.history(GROWING), seen=NO_TABLE),
    "prune": Operation(store, lambda s: s.prune(DAY_AFTER), then(saved(1, 2, 3)), seen=rows(1)),
    "prune of a pattern keeping none": Operation(
        store,
        lambda s: s.prune(DAY_AFTER, pattern_id=GROWING, keep_latest=0),
        then(saved(1, 2)),
        seen=rows(0),
    ),
    "prune before any save": Operation(store, lambda s: s.prune(DAY_AFTER), seen=NO_TABLE),
    "prune adding the later indexes": Operation(
        store,
        lambda s: s.prune(DAY_AFTER),
        then(saved(1), LATER_INDEXES, lambda s: s.close()),
        seen=INDEXES,
    ),
    # A dropped table (the store remembered it): a save's upsert that finds it gone fails
    # and is rolled back, and the save makes the table on the same session and saves
    # (helper-274); a read's statement fails, its connection is discarded, and the call
    # runs again on a new one, as on first use.
    "save into a dropped table": Operation(
        store,
        lambda s: s.save(result(2)),
        then(saved(1), DROP_STORE),
        seen=rows(1),
    ),
    "get from a dropped table": Operation(
        store,
        lambda s: s.get(GROWING, *WINDOW),
        then(saved(1), DROP_STORE),
        seen=NO_TABLE,
        reconnects=True,
    ),
    "history of a dropped table": Operation(
        store,
        lambda s: s.history(GROWING),
        then(saved(1), DROP_STORE),
        seen=NO_TABLE,
        reconnects=True,
    ),
    # A prune looks its table up before its delete (helper-251): it finds it gone without
    # a failed statement, deletes nothing, and keeps its session.
    "prune of a dropped table": Operation(
        store,
        lambda s: s.prune(DAY_AFTER),
        then(saved(1), DROP_STORE),
        seen=NO_TABLE,
    ),
    # ----------------------------------------------------------------- the store: raises
    "get of a reversed window": Operation(
        store,
        lambda s: s.get(GROWING, WINDOW[1], WINDOW[0]),
        then(saved(1)),
        raises=(ValueError, "must be after start"),
        seen=rows(1),
    ),
    "save of what is no result": Operation(
        store,
        lambda s: s.save({"pattern_id": GROWING}),
        then(saved(1)),
        raises=(TypeError, "save"),
        seen=rows(1),
    ),
    "save of a pattern id holding NUL": Operation(
        store,
        lambda s: s.save(result(2).model_copy(update={"pattern_id": "a\x00b"})),
        then(saved(1)),
        raises=(StoreError, "NUL"),
        seen=rows(1),
    ),
    "history of a bad limit": Operation(
        store,
        lambda s: s.history(GROWING, -1),
        then(saved(1)),
        raises=(ValueError, "limit"),
        seen=rows(1),
    ),
    "prune of a bad keep_latest": Operation(
        store,
        lambda s: s.prune(DAY_AFTER, keep_latest=-1),
        then(saved(1)),
        raises=(ValueError, "keep_latest"),
        seen=rows(1),
    ),
    "save_many refused by a constraint": Operation(
        store,
        saved(2, 3),
        then(
            saved(1),
            f"ALTER TABLE pattern_analytics ADD CHECK (correlation_id <> '{UUID(int=3)}')",
        ),
        raises=(StoreError, "check constraint"),
        seen=rows(1),
    ),
    "save_many refused at its commit": Operation(
        store,
        saved(2, 3),
        then(saved(1), REFUSE, REFUSE_AT_COMMIT),
        raises=(StoreError, "refused"),
        seen=rows(1),
    ),
    "prune refused by a trigger": Operation(
        store,
        lambda s: s.prune(DAY_AFTER, keep_latest=0),
        then(saved(1, 2, 3), REFUSE, REFUSE_DELETE),
        raises=(StoreError, "refused"),
        seen=rows(3),
    ),
    # --------------------------------------------------------------- the source: returns
    "fields_with_columns": Operation(source, lambda s: s.fields_with_columns()),
    "newest": Operation(source, lambda s: s.newest()),
    "newest of a pattern": Operation(source, lambda s: s.newest(GROWING)),
    "fetch": Operation(source, lambda s: s.fetch(GROWING, START, NOW)),
    "fetch of a window of naive bounds": Operation(
        source,
        lambda s: s.fetch(GROWING, START.replace(tzinfo=None), NOW.replace(tzinfo=None)),
    ),
    "fetch of an empty window": Operation(
        source, lambda s: s.fetch(GROWING, NOW + timedelta(days=1), NOW + timedelta(days=2))
    ),
    "fetch_all": Operation(source, lambda s: s.fetch_all(START, NOW)),
    "fetch_all of an empty window": Operation(
        source, lambda s: s.fetch_all(NOW + timedelta(days=1), NOW + timedelta(days=2))
    ),
    "fetch_all without an index of the pattern ids": Operation(
        source,
        lambda s: s.fetch_all(START, NOW),
        then("DROP INDEX pattern_executions_pattern_time"),
    ),
    "first_record": Operation(source, lambda s: s.first_record()),
    "first_record of a pattern": Operation(source, lambda s: s.first_record(GROWING)),
    "unattributed": Operation(source, lambda s: s.unattributed()),
    # ---------------------------------------------------------------- the source: raises
    "newest of an unknown pattern": Operation(
        source, lambda s: s.newest("nope"), raises=(UnknownPatternError, "nope")
    ),
    "fetch of an unknown pattern": Operation(
        source, lambda s: s.fetch("nope", START, NOW), raises=(UnknownPatternError, "nope")
    ),
    "fetch of a bound that is no datetime": Operation(
        source,
        lambda s: s.fetch(GROWING, "2026-02-01", NOW),
        then(lambda s: s.newest()),
        raises=(TypeError, "start must be a datetime"),
    ),
    "fetch from a table without the timestamp column": Operation(
        source,
        lambda s: s.fetch(GROWING, START, NOW),
        then('ALTER TABLE pattern_executions RENAME COLUMN "timestamp" TO stamp'),
        raises=(SourceError, "no column 'timestamp'"),
    ),
    "fetch from a dropped table": Operation(
        source,
        lambda s: s.fetch(GROWING, START, NOW),
        then(lambda s: s.newest(), DROP_SOURCE),
        raises=(SourceError, "does not exist"),
    ),
    "fetch_all from a dropped table": Operation(
        source,
        lambda s: s.fetch_all(START, NOW),
        then(lambda s: s.newest(), DROP_SOURCE),
        raises=(SourceError, "does not exist"),
    ),
    "newest from a dropped table": Operation(
        source,
        lambda s: s.newest(GROWING),
        then(lambda s: s.newest(), DROP_SOURCE),
        raises=(SourceError, "does not exist"),
    ),
    "first_record from a dropped table": Operation(
        source,
        lambda s: s.first_record(),
        then(lambda s: s.newest(), DROP_SOURCE),
        raises=(SourceError, "does not exist"),
    ),
    "unattributed from a dropped table": Operation(
        source,
        lambda s: s.unattributed(),
        then(lambda s: s.newest(), DROP_SOURCE),
        raises=(SourceError, "does not exist"),
    ),
}


def sessions(url: str) -> list[tuple[int, str, list[str]]]:
    """(pid, state, locks held) of every session of the test's application, as another
    session sees them."""
    found = sql(
        url,
        "SELECT a.pid, a.state, coalesce((SELECT array_agg(l.locktype || ' ' || l.mode "
        "ORDER BY l.locktype, l.mode) FROM pg_locks l WHERE l.pid = a.pid), '{}') "
        f"FROM pg_stat_activity a WHERE a.application_name = '{APPLICATION}' ORDER BY a.pid",
    )
    return [(int(pid), str(state), list(locks)) for pid, state, locks in found]


def settled(url: str) -> list[tuple[int, str, list[str]]]:
    """`sessions`, once none is other than idle without locks, or after SETTLING_SECONDS
    (a session whose connection was just closed is listed until the server ends it)."""
    deadline = time.monotonic() + SETTLING_SECONDS
    while True:
        found = sessions(url)
        if all(state == "idle" and not locks for _, state, locks in found):
            return found
        if time.monotonic() > deadline:
            return found
        time.sleep(0.05)


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_no_operation_leaves_its_session_in_a_transaction(postgres_url: str, name: str) -> None:
    operation = OPERATIONS[name]
    named = f"{postgres_url}?application_name={APPLICATION}"

    async def go() -> tuple[list[Any], list[Any]]:
        async with operation.opens(named) as opened:
            if operation.before is not None:
                await operation.before(opened, postgres_url)
            before = sessions(postgres_url)
            if operation.raises is None:
                await operation.call(opened)
            else:
                kind, message = operation.raises
                with pytest.raises(kind, match=message):
                    await operation.call(opened)
            return before, settled(postgres_url)

    before, after = asyncio.run(go())
    # Each session idle and holding nothing, before the operation (what it met) and after.
    assert [(state, locks) for _, state, locks in before] in ([], [("idle", [])])
    assert [(state, locks) for _, state, locks in after] in ([], [("idle", [])])
    if operation.raises is None:
        # The object's connection stays open for its next call, on the session it had.
        assert len(after) == 1
        if operation.reconnects:  # (and the one it had ended)
            assert [pid for pid, _, _ in before] != [pid for pid, _, _ in after]
        else:
            assert before in ([], after)
    if operation.seen is not None:
        query, expected = operation.seen
        assert sql(postgres_url, query) == expected


@pytest.mark.parametrize(
    "command",
    [
        ["analyze", "--pattern", GROWING],  # (the window ends at the newest record)
        ["analyze", "--pattern", GROWING, "--end", NOW_ARG, "--format", "json"],
        ["analyze", "--pattern", "nope", "--end", NOW_ARG],
        ["dashboard"],
        ["dashboard", "--end", NOW_ARG, "--format", "json"],
    ],
)
def test_every_call_of_a_command_leaves_its_session_idle(
    postgres_url: str,
    command: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The command's calls on one connection: a transaction left open by one would hold
    # its snapshot through the analysis that follows. Each is seen from another session.
    write_executions_sync(postgres_url, demo_rows())
    seen: list[list[Any]] = []
    run = PostgresConnection.run

    async def observed(self: PostgresConnection, work: Callable[[Any], Any]) -> Any:
        try:
            return await run(self, work)
        finally:
            seen.append([(state, locks) for _, state, locks in settled(postgres_url)])

    monkeypatch.setattr(PostgresConnection, "run", observed)
    name, *options = command
    main([name, f"{postgres_url}?application_name={APPLICATION}", *options])
    capsys.readouterr()
    assert seen  # (the command ran its queries through the connection observed)
    assert all(states == [("idle", [])] for states in seen), seen
    assert gone(postgres_url)  # (the command closed its connection)


def gone(url: str) -> bool:
    """Whether no session of the test's application is left, once the server has ended
    those whose connections were closed (within SETTLING_SECONDS)."""
    deadline = time.monotonic() + SETTLING_SECONDS
    while sessions(url) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not sessions(url)
