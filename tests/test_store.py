"""The SQLite analytics store: results read back equal to what was saved, saving is
idempotent per (pattern, window, correlation id), and the headline columns and the JSON
column people read hold the result's numbers. PostgreSQL: test_postgres.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from uuid import uuid4

import numpy as np
import pytest
import usage_analytics.store.postgres as postgres_store
import usage_analytics.store.sqlite as sqlite_store
from pg_calls import sql
from source_cases import DECLINING, GROWING, NOW, START, analyse, demo_rows, records_of
from usage_analytics import (
    AnalyticsGranularity,
    ModelUsageAnalyticsBatchInput,
    ModelUsageAnalyticsOutput,
    NodeUsageAnalyticsReducer,
)
from usage_analytics.sources import SourceUnavailableError, UnsupportedSourceError
from usage_analytics.store import (
    PostgresAnalyticsStore,
    SQLiteAnalyticsStore,
    StoreError,
    open_store,
)
from usage_analytics.store.base import stored_row
from zones import NoOffset


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def result_of(pattern_id: str, **options: Any) -> ModelUsageAnalyticsOutput:
    return analyse(records_of(demo_rows(), pattern_id), pattern_id, **options)


def rows_in(path: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(path) as connection:
        connection.row_factory = sqlite3.Row
        return [dict(row) for row in connection.execute("SELECT * FROM pattern_analytics")]


@pytest.mark.parametrize(
    "granularity",
    [AnalyticsGranularity.SUMMARY, AnalyticsGranularity.COMPREHENSIVE],
)
def test_saved_result_reads_back_equal(tmp_path: Path, granularity: AnalyticsGranularity) -> None:
    result = result_of(GROWING, granularity=granularity, timezone="Asia/Kolkata")
    store = SQLiteAnalyticsStore(tmp_path / "results.sqlite")
    run(store.save(result))
    again = run(store.get(GROWING, START, NOW))
    assert again == result
    assert again.pattern_id == result.pattern_id  # a UUID again, not its text
    assert again.to_dict() == result.to_dict()


def test_pattern_named_by_text_reads_back_as_text(tmp_path: Path) -> None:
    result = analyse([{"timestamp": NOW, "success": True}], "checkout-endpoint")
    store = SQLiteAnalyticsStore(tmp_path / "results.sqlite")
    run(store.save(result))
    assert run(store.get("checkout-endpoint", START, NOW)) == result


def test_saving_again_replaces_the_row(tmp_path: Path) -> None:
    path = tmp_path / "results.sqlite"
    store = SQLiteAnalyticsStore(path)
    result = result_of(GROWING)
    run(store.save(result))
    run(store.save(result))
    recomputed = result.model_copy(update={"analytics_quality_score": 0.25})
    run(store.save(recomputed))  # same key: a retry that computed again
    (row,) = rows_in(path)
    assert row["analytics_quality_score"] == 0.25
    assert run(store.get(GROWING, START, NOW)) == recomputed


def test_key_is_pattern_window_and_correlation_id(tmp_path: Path) -> None:
    path = tmp_path / "results.sqlite"
    store = SQLiteAnalyticsStore(path)
    first = result_of(GROWING)
    other_request = first.model_copy(
        update={"correlation_id": uuid4(), "computed_at": first.computed_at + timedelta(1)}
    )
    other_window = result_of(GROWING, start=START + timedelta(days=1))
    other_pattern = result_of(DECLINING)
    run(store.save_many([first, other_request, other_window, other_pattern]))
    assert len(rows_in(path)) == 4
    assert run(store.get(GROWING, START, NOW)) == other_request  # the latest computed
    assert run(store.get(GROWING, START, NOW, first.correlation_id)) == first
    assert run(store.get(GROWING, START, NOW, uuid4())) is None
    assert run(store.get(GROWING, START, NOW - timedelta(seconds=1))) is None
    history = run(store.history(GROWING))
    assert [r.correlation_id for r in history[:1]] == [other_request.correlation_id]
    assert len(history) == 3
    assert len(run(store.history(GROWING, limit=2))) == 2
    assert run(store.history(GROWING.upper())) == history  # UUIDs in any case


def test_headline_columns_and_json_hold_the_results_numbers(tmp_path: Path) -> None:
    path = tmp_path / "results.sqlite"
    result = result_of(GROWING)
    run(SQLiteAnalyticsStore(path).save(result))
    (row,) = rows_in(path)
    assert row["pattern_id"] == GROWING
    assert row["window_start"] == "2026-02-01T14:00:00.000000Z"
    assert row["window_end"] == "2026-03-03T14:00:00.000000Z"
    assert row["window_type"] == "monthly"
    assert row["correlation_id"] == str(result.correlation_id)
    assert row["total_executions"] == result.usage_metrics.total_executions
    assert row["success_rate"] == result.success_metrics.success_rate
    assert result.performance_metrics is not None
    assert row["p95_execution_time_ms"] == result.performance_metrics.p95_execution_time_ms
    assert result.trend_analysis is not None
    assert row["trend_type"] == result.trend_analysis.trend_type.value == "growing"
    assert row["analytics_quality_score"] == result.analytics_quality_score
    assert json.loads(row["result"]) == result.to_dict()


def test_result_without_timings_or_trend_stores_nulls(tmp_path: Path) -> None:
    path = tmp_path / "results.sqlite"
    result = analyse([{"timestamp": NOW}], "p", include_trends=False)
    run(SQLiteAnalyticsStore(path).save(result))
    (row,) = rows_in(path)
    assert (row["p95_execution_time_ms"], row["trend_type"]) == (None, None)


def test_store_table_name_is_configurable(tmp_path: Path) -> None:
    path = tmp_path / "results.sqlite"
    store = SQLiteAnalyticsStore(path, table='analytics "v2"')
    run(store.save(result_of(GROWING)))
    assert run(store.get(GROWING, START, NOW)) is not None
    with sqlite3.connect(path) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert 'analytics "v2"' in tables


def test_open_store_by_path_or_url(tmp_path: Path) -> None:
    assert isinstance(open_store(tmp_path / "a.db"), SQLiteAnalyticsStore)
    assert isinstance(open_store(f"sqlite:///{tmp_path}/a.db"), SQLiteAnalyticsStore)
    assert isinstance(open_store("postgresql://localhost/db"), PostgresAnalyticsStore)
    with pytest.raises(UnsupportedSourceError, match="unsupported store"):
        open_store("redis://localhost")


def test_an_unsupported_store_is_named_with_its_password_hidden() -> None:
    with pytest.raises(UnsupportedSourceError) as refused:
        open_store("mysql://me:s3cret@db/usage")
    assert "s3cret" not in str(refused.value)
    assert "mysql://me:***@db/usage" in str(refused.value)


def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("not a database " * 200, encoding="utf-8")
    with pytest.raises(StoreError, match=r"notes\.db"):
        run(SQLiteAnalyticsStore(path).save(result_of(GROWING)))


@pytest.mark.parametrize("call", ["save", "get"])
def test_a_named_pipe_is_no_store_file(tmp_path: Path, call: str) -> None:
    # SQLite said "disk I/O error" of it, which named neither the path's kind nor a remedy.
    pipe = tmp_path / "results.sqlite"
    os.mkfifo(pipe)
    store = SQLiteAnalyticsStore(pipe)
    work = store.save(result_of(GROWING)) if call == "save" else store.get(GROWING, START, NOW)
    with pytest.raises(SourceUnavailableError, match=r"results\.sqlite: is a named pipe, not a"):
        run(work)


def test_concurrent_saves_of_many_results(tmp_path: Path) -> None:
    store = SQLiteAnalyticsStore(tmp_path / "results.sqlite")
    results = [result_of(GROWING, start=START + timedelta(hours=h)) for h in range(8)]

    async def save_all() -> None:
        await asyncio.gather(*(store.save(result) for result in results))

    run(save_all())
    assert len(run(store.history(GROWING, limit=100))) == 8


@pytest.fixture(params=["sqlite", "postgres"])
def store_target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store of each kind: a SQLite file, a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "results.sqlite")
    return str(request.getfixturevalue("postgres_url"))


def test_a_result_holding_an_infinity_reads_back(store_target: str) -> None:
    # Execution times near the largest double: their total (and std) are inf. The model
    # column held null for them, and the result (and the pattern's history) never read
    # back.
    records = [
        {"timestamp": NOW - timedelta(hours=h), "execution_time_ms": 1.5e308} for h in (1, 2)
    ]
    result = analyse(records, "huge")
    assert result.performance_metrics is not None
    assert result.performance_metrics.total_execution_time_ms == float("inf")

    async def go() -> tuple[Any, list[Any]]:
        async with open_store(store_target) as store:
            await store.save(result)
            return await store.get("huge", START, NOW), await store.history("huge")

    again, history = run(go())
    assert again == result
    assert history == [result]


def test_saving_what_is_no_result_is_a_type_error_saving_nothing(store_target: str) -> None:
    # A batch output given to save (or save_many) was an AttributeError on
    # performance_metrics deep inside. Nothing of a call that holds one is saved.
    result = result_of(GROWING)
    batch = NodeUsageAnalyticsReducer().execute_batch_reduction_sync(
        ModelUsageAnalyticsBatchInput(time_window_start=START, time_window_end=NOW)
    )
    hint = "save a batch's results: save_many(batch.results.values())"

    async def go() -> list[Any]:
        async with open_store(store_target) as store:
            with pytest.raises(
                TypeError, match=re.escape(f"save() takes a {OUTPUT}, got a {BATCH}: {hint}")
            ):
                await store.save(batch)  # type: ignore[arg-type]
            with pytest.raises(
                TypeError, match=re.escape(f"save_many() takes {OUTPUT}s, got a {BATCH}: {hint}")
            ):
                await store.save_many(batch)  # type: ignore[arg-type]
            with pytest.raises(
                TypeError, match=re.escape(f"result 1 is a {BATCH}, not a {OUTPUT}: {hint}")
            ):
                await store.save_many([result, batch])  # type: ignore[list-item]
            with pytest.raises(TypeError, match=re.escape(f"save() takes a {OUTPUT}, got a dict")):
                await store.save(result.to_dict())  # type: ignore[arg-type]
            return await store.history(GROWING)

    assert run(go()) == []


OUTPUT, BATCH = "ModelUsageAnalyticsOutput", "ModelUsageAnalyticsBatchOutput"


def test_reads_before_any_save_find_nothing_and_create_nothing(store_target: str) -> None:
    # A read created the SQLite file (or the table): a service asking for a pattern
    # before any save left an empty file that later looked like a broken database.
    async def go() -> tuple[Any, list[Any]]:
        async with open_store(store_target) as store:
            return await store.get("p", START, NOW), await store.history("p")

    assert run(go()) == (None, [])
    if store_target.endswith(".sqlite"):
        assert not Path(store_target).exists()
    else:
        import adbc_driver_postgresql.dbapi as dbapi

        with dbapi.connect(store_target) as connection, connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass('pattern_analytics') IS NULL")
            assert cursor.fetchone() == (True,)


@pytest.mark.parametrize("limit", [-1, 2**63, 1.5, True])
def test_a_history_limit_neither_database_takes_is_refused(store_target: str, limit: Any) -> None:
    # SQLite read -1 as "all" where PostgreSQL refused it; 2**63 was a raw OverflowError.
    async def go() -> None:
        async with open_store(store_target) as store:
            await store.history("p", limit=limit)

    with pytest.raises(ValueError, match="limit must be an int from 0 to 2\\*\\*63 - 1"):
        run(go())


def test_a_history_of_no_results_asked_for_is_empty(store_target: str) -> None:
    # (0 is the least limit both databases take: a caller's computed limit may be it.)
    async def go() -> list[Any]:
        async with open_store(store_target) as store:
            await store.save(result_of(GROWING))
            return await store.history(GROWING, limit=0)

    assert run(go()) == []


def test_a_padded_uuid_pattern_id_reads_back(store_target: str) -> None:
    # Stored as given, but asked for by its canonical form: never found before. (An
    # upper-case URN, which the sources read as the UUID, was not one here either.)
    padded = f" {{{GROWING}}} "
    result = analyse([{"timestamp": NOW - timedelta(hours=1)}], padded)

    async def go() -> tuple[Any, Any, Any, list[Any]]:
        async with open_store(store_target) as store:
            await store.save(result)
            return (
                await store.get(padded, START, NOW),
                await store.get(GROWING, START, NOW),
                await store.get(f"URN:UUID:{GROWING.upper()}", START, NOW),
                await store.history(padded),
            )

    by_padded, by_canonical, by_urn, history = run(go())
    assert by_padded == by_canonical == by_urn == result
    assert history == [result]


def test_a_batch_keyed_by_an_int_id_reads_back_by_that_key(store_target: str) -> None:
    # A batch keys an int pattern id by the int, whose result's pattern_id is its text:
    # asking the store by the key raised AttributeError ('int' object has no 'strip').
    batch = NodeUsageAnalyticsReducer().execute_batch_reduction_sync(
        ModelUsageAnalyticsBatchInput(
            time_window_start=START,
            time_window_end=NOW,
            execution_data=[{"timestamp": NOW - timedelta(hours=1), "pattern_id": 42}],
        )
    )
    ((key, result),) = batch.results.items()
    assert key == 42

    async def go(asked: Any) -> tuple[Any, list[Any]]:
        async with open_store(store_target) as store:
            await store.save(result)
            return await store.get(asked, START, NOW), await store.history(asked)

    assert run(go(key)) == (result, [result])
    assert run(go(np.int64(42))) == (result, [result])  # (a pandas int column's values)

    async def of_a_float() -> list[Any]:
        async with open_store(store_target) as store:
            return await store.history(4.2)  # type: ignore[arg-type]

    with pytest.raises(TypeError, match=r"^pattern_id must be a UUID, str or int, got 4\.2"):
        run(of_a_float())


def test_a_pattern_id_of_no_type_the_store_keys_is_refused_before_any_save(
    store_target: str,
) -> None:
    # SQLite's history checked it only once the file was there: before, 4.2 found [].
    async def of_a_float() -> list[Any]:
        async with open_store(store_target) as store:
            return await store.history(4.2)  # type: ignore[arg-type]

    with pytest.raises(TypeError, match=r"^pattern_id must be a UUID, str or int, got 4\.2"):
        run(of_a_float())


def test_a_table_named_in_another_case_is_the_same_table(tmp_path: Path) -> None:
    # SQLite's names are case-insensitive: the store wrote into "Results" but looked for
    # "results" by its exact name, and read nothing back, not even what it had saved.
    path = tmp_path / "results.sqlite"
    result = result_of(GROWING)
    run(SQLiteAnalyticsStore(path, table="results").save(result))
    assert run(SQLiteAnalyticsStore(path, table="Results").get(GROWING, START, NOW)) == result


@pytest.mark.parametrize(
    "target",
    [":memory:", "sqlite:///:memory:", "file::memory:?cache=shared", "file:notes?mode=memory"],
)
def test_an_in_memory_database_is_refused(target: str) -> None:
    # Each call opens its own connection: every result saved there was lost, silently.
    with pytest.raises(UnsupportedSourceError, match="the store needs a SQLite file"):
        open_store(target)


def test_a_file_uri_naming_memory_is_a_file(tmp_path: Path) -> None:
    store = open_store(f"file:{tmp_path}/memory_notes.db")
    run(store.save(result_of(GROWING)))
    assert (tmp_path / "memory_notes.db").exists()


def test_a_correlation_id_is_found_by_any_spelling_of_its_uuid(store_target: str) -> None:
    # SQLite compared the text as given: only the canonical spelling found the result
    # (PostgreSQL found every one), and text that is no UUID found nothing there but was a
    # failed query in PostgreSQL.
    result = result_of(GROWING)
    key = result.correlation_id

    async def go() -> list[Any]:
        async with open_store(store_target) as store:
            await store.save(result)
            return [
                await store.get(GROWING, START, NOW, asked)
                for asked in (key, str(key), str(key).upper(), key.hex, f"{{{key}}}", f" {key}\n")
            ]

    assert run(go()) == [result] * 6  # (padded text too, as a request reads it)

    async def wrong() -> None:
        async with open_store(store_target) as store:
            await store.get(GROWING, START, NOW, "nope")

    with pytest.raises(ValueError, match=r"^correlation_id must be a UUID, got 'nope'"):
        run(wrong())


def test_a_zone_selects_the_results_computed_in_it(store_target: str) -> None:
    # The key has no zone: one window analysed in three zones is three rows, and `get`
    # gave the newest whatever its zone, so a Berlin dashboard read New York's hours.
    computed = datetime(2026, 3, 4, tzinfo=UTC)
    results = [
        result_of(GROWING, timezone=zone).model_copy(
            update={"computed_at": computed + timedelta(minutes=minutes)}
        )
        for minutes, zone in enumerate(["UTC", "Europe/Berlin", "America/New_York"])
    ]
    utc, berlin, new_york = results
    assert utc.context_distribution != berlin.context_distribution  # (the hours differ)

    async def go() -> list[Any]:
        async with open_store(store_target) as store:
            await store.save_many(results)
            return [
                await store.get(GROWING, START, NOW),
                await store.get(GROWING, START, NOW, timezone="europe/berlin"),
                await store.get(GROWING, START, NOW, timezone="UTC"),
                await store.get(GROWING, START, NOW, berlin.correlation_id, timezone="UTC"),
                await store.get(GROWING, START, NOW, timezone="Asia/Tokyo"),
                await store.history(GROWING),
                await store.history(GROWING, timezone="America/New_York"),
                await store.history(GROWING, 1, timezone="Europe/Berlin"),
            ]

    assert run(go()) == [
        new_york,
        berlin,
        utc,
        None,
        None,
        [new_york, berlin, utc],
        [new_york],
        [berlin],
    ]

    async def unknown() -> None:
        async with open_store(store_target) as store:
            await store.get(GROWING, START, NOW, timezone="Mars/Olympus")

    with pytest.raises(ValueError, match=r'unknown time zone "Mars/Olympus"'):
        run(unknown())


def test_an_old_row_is_selected_by_zone_as_utc(store_target: str) -> None:
    # Rows written before results carried a zone read back as UTC; rows written before
    # infinities were strings hold a bare `Infinity` in `model`, which PostgreSQL's cast
    # to jsonb refused, failing the query.
    records = [
        {"timestamp": NOW - timedelta(hours=h), "execution_time_ms": 1.5e308} for h in (1, 2)
    ]
    result = analyse(records, "huge")
    old_model = "replace(model, '\"Infinity\"', 'Infinity')"
    if store_target.startswith("postgresql"):
        old_result = "result #- '{time_window,timezone}'"
    else:
        old_result = "json_remove(result, '$.time_window.timezone')"
    update = f"UPDATE pattern_analytics SET result = {old_result}, model = {old_model}"

    async def go() -> list[Any]:
        async with open_store(store_target) as store:
            await store.save(result)
        if store_target.startswith("postgresql"):
            sql(store_target, update)
        else:
            with sqlite3.connect(store_target) as connection:
                connection.execute(update)
        async with open_store(store_target) as store:
            return [
                await store.get("huge", START, NOW, timezone="UTC"),
                await store.history("huge", timezone="utc"),
                await store.history("huge", timezone="Europe/Berlin"),
            ]

    assert run(go()) == [result, [result], []]


@pytest.mark.parametrize("bound", [START.date(), START.isoformat(), START.timestamp()])
def test_a_window_bound_that_is_no_datetime_is_a_type_error(store_target: str, bound: Any) -> None:
    # SQLite raised AttributeError ('str' object has no attribute 'tzinfo'); PostgreSQL
    # failed the query (text) or found nothing (a date).
    async def go() -> None:
        async with open_store(store_target) as store:
            await store.save(result_of(GROWING))
            await store.get(GROWING, bound, NOW)

    with pytest.raises(TypeError, match="start must be a datetime, got "):
        run(go())


@pytest.mark.parametrize(
    ("name", "bound"),
    [
        ("start", datetime.min.replace(tzinfo=timezone(timedelta(hours=5)))),
        ("end", datetime.max.replace(tzinfo=timezone(timedelta(hours=-5)))),
    ],
)
def test_a_window_bound_outside_the_years_in_utc_is_a_value_error(
    store_target: str, name: str, bound: datetime
) -> None:
    # An instant before the year 1 or after 9999 in UTC, where no window lies (a request
    # refuses it): SQLite raised a bare OverflowError ("date value out of range").
    async def go() -> None:
        async with open_store(store_target) as store:
            await store.save(result_of(GROWING))
            start, end = (bound, NOW) if name == "start" else (START, bound)
            await store.get(GROWING, start, end)

    expected = f"{name} {bound.isoformat()} is outside the years 1 to 9999 in UTC"
    with pytest.raises(ValueError, match="^" + re.escape(expected)):
        run(go())


@pytest.mark.parametrize("same", [False, True])
def test_a_reversed_window_is_a_value_error_naming_both_bounds(
    store_target: str, same: bool
) -> None:
    # `get(pattern, end, start)` found nothing and returned None, as for a window never
    # computed; a window of no length is no request's window either.
    start = NOW if same else START

    async def go() -> None:
        async with open_store(store_target) as store:
            await store.save(result_of(GROWING))
            await store.get(GROWING, NOW, start)

    expected = f"end ({start.isoformat()}) must be after start ({NOW.isoformat()})"
    with pytest.raises(ValueError, match="^" + re.escape(expected)):
        run(go())


def test_a_window_bound_of_a_zone_without_offset_is_utc(
    store_target: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As a request reads it (naive = UTC): `astimezone` read it in the machine's zone, and
    # the result of its window was not found where that zone is not UTC.
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    result = result_of(GROWING)
    start, end = (bound.replace(tzinfo=NoOffset()) for bound in (START, NOW))

    async def go() -> Any:
        async with open_store(store_target) as store:
            await store.save(result)
            return await store.get(GROWING, start, end)

    try:
        assert run(go()) == result
    finally:
        monkeypatch.undo()
        time.tzset()


def test_results_computed_at_one_instant_come_in_one_order(store_target: str) -> None:
    # Ordered by computed_at alone: of results of one window computed at one instant, get
    # and history of one PostgreSQL store named different ones as the newest, and SQLite
    # another order again.
    first = result_of(GROWING)
    others = [first.model_copy(update={"correlation_id": uuid4()}) for _ in range(4)]
    expected = sorted([first, *others], key=lambda result: result.correlation_id, reverse=True)

    async def go() -> tuple[Any, list[Any]]:
        async with open_store(store_target) as store:
            for result in [first, *others]:
                await store.save(result)
            return await store.get(GROWING, START, NOW), await store.history(GROWING)

    newest, history = run(go())
    assert history == expected
    assert newest == expected[0]


def test_save_many_builds_each_row_once_off_the_event_loop(
    store_target: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite built each result's row once per column (13 times its two JSON columns),
    # and both stores built them on the event loop: a dashboard's 5,000 results held it
    # for 7.7 s in SQLite.
    built: list[int] = []

    def counted(result: ModelUsageAnalyticsOutput) -> dict[str, Any]:
        built.append(threading.get_ident())
        return stored_row(result)

    monkeypatch.setattr(sqlite_store, "stored_row", counted)
    monkeypatch.setattr(postgres_store, "stored_row", counted)
    results = [result_of(GROWING, start=START + timedelta(hours=h)) for h in range(3)]

    async def go() -> int:
        async with open_store(store_target) as store:
            await store.save_many(results)
            return threading.get_ident()

    loop_thread = run(go())
    assert len(built) == len(results)
    assert loop_thread not in built


def _execute(target: str, statement: str) -> None:
    """`statement` on the store's database (`store_target`)."""
    if target.startswith("postgresql://"):
        import adbc_driver_postgresql.dbapi as dbapi

        with dbapi.connect(target, autocommit=True) as connection, connection.cursor() as cur:
            cur.execute(statement)
        return
    with sqlite3.connect(target) as connection:
        connection.execute(statement)


def test_a_table_made_without_the_stores_key_is_refused_naming_table_and_key(
    store_target: str,
) -> None:
    # A table made by hand (or by another tool) with the store's columns and no key: the
    # upsert failed in the database's words ("no unique or exclusion constraint matching
    # the ON CONFLICT specification"), which named neither the key nor, in PostgreSQL,
    # the table (only the server).
    columns = ", ".join(f"{name} text" for name in stored_row(result_of(GROWING)))
    _execute(store_target, f"CREATE TABLE by_hand ({columns})")
    key = "pattern_id, window_start, window_end, correlation_id"
    with pytest.raises(StoreError) as raised:
        run(open_store(store_target, table="by_hand").save(result_of(GROWING)))
    message = str(raised.value)
    assert message.startswith("table 'by_hand' of ")
    assert f"needs a primary key or unique index on ({key})" in message
    assert "\n" not in message


def test_a_pattern_id_holding_a_lone_surrogate_is_no_stored_pattern(store_target: str) -> None:
    # No stored text holds one (a database's text is UTF-8); bound, it raised a bare
    # UnicodeEncodeError from get, history and prune, as the sources' reads did. Its
    # other arguments are still checked.
    wanted = "a\udc80b"

    async def go() -> tuple[Any, ...]:
        async with open_store(store_target) as store:
            await store.save(result_of(GROWING))
            with pytest.raises(ValueError, match="limit must be an int"):
                await store.history(wanted, limit=-1)
            found = (
                await store.get(wanted, START, NOW),
                await store.history(wanted),
                await store.prune(NOW + timedelta(days=1), pattern_id=wanted, keep_latest=0),
            )
            return (*found, await store.history(GROWING))

    got, history, pruned, kept = run(go())
    assert (got, history, pruned) == (None, [], 0)
    assert len(kept) == 1
