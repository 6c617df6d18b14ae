"""Both stores' `prune`: the rows computed before `older_than` are deleted but the
`keep_latest` newest of each pattern's series of one window type, in one transaction,
and the count returned; what `history` lists after is the saved list filtered by that rule
(a property test against a model of it); arguments are checked as `get`'s; the delete
searches an index. The rule: `usage_analytics.store.pruning`.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import sqlite3
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pg_calls import sql
from source_cases import DECLINING, GROWING, NOW, START, analyse, demo_rows, records_of
from usage_analytics import ModelUsageAnalyticsOutput, TimeWindowType
from usage_analytics.store import open_store

DAILY, WEEKLY = TimeWindowType.DAILY, TimeWindowType.WEEKLY
COMPUTED = datetime(2026, 3, 4, tzinfo=UTC)


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


@functools.cache
def computed(pattern_id: str) -> ModelUsageAnalyticsOutput:
    return analyse(records_of(demo_rows(), pattern_id), pattern_id)


def at(
    pattern_id: str, minutes: int, number: int, kind: TimeWindowType = DAILY, **update: Any
) -> ModelUsageAnalyticsOutput:
    """The pattern's result computed `minutes` after COMPUTED, correlation id `number`."""
    return computed(pattern_id).model_copy(
        update={
            "computed_at": COMPUTED + timedelta(minutes=minutes),
            "correlation_id": UUID(int=number),
            "time_window_type": kind,
            **update,
        }
    )


@pytest.fixture(params=["sqlite", "postgres"])
def store_target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store of each kind: a SQLite file, a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "results.sqlite")
    return str(request.getfixturevalue("postgres_url"))


async def pruned(
    target: str, saved: list[Any], older_than: Any, table: str = "pattern_analytics", **options: Any
) -> tuple[int, dict[str, list[Any]]]:
    """Save `saved`, prune; the count deleted and each pattern's history after."""
    async with open_store(target, table=table) as store:
        await store.save_many(saved)
        deleted = await store.prune(older_than, **options)
        return deleted, {key: await store.history(key, 1000) for key in (GROWING, DECLINING)}


def ids(results: list[ModelUsageAnalyticsOutput]) -> list[int]:
    return [result.correlation_id.int for result in results]


# ---------------------------------------------------------------------------- the rule


def newest_first(result: ModelUsageAnalyticsOutput) -> tuple[Any, ...]:
    """`NEWEST_FIRST` as a sort key, reversed (a UUID's text orders as its bytes)."""
    return (
        result.computed_at,
        result.time_window_start,
        result.time_window_end,
        str(result.correlation_id),
    )


def kept(
    saved: list[ModelUsageAnalyticsOutput],
    older_than: datetime,
    pattern_id: str | None,
    window_type: TimeWindowType | None,
    keep_latest: int,
) -> list[ModelUsageAnalyticsOutput]:
    """The rule, plainly: a row goes if computed before `older_than`, of the pattern and
    type asked for, and not among the `keep_latest` newest of its (pattern, type)."""
    series: dict[tuple[str, TimeWindowType], list[ModelUsageAnalyticsOutput]] = defaultdict(list)
    for result in saved:
        series[(str(result.pattern_id), result.time_window_type)].append(result)
    left = []
    for (pattern, kind), rows in series.items():
        for position, result in enumerate(sorted(rows, key=newest_first, reverse=True)):
            goes = (
                result.computed_at < older_than
                and pattern_id in (None, pattern)
                and window_type in (None, kind)
                and position >= keep_latest
            )
            if not goes:
                left.append(result)
    return left


saved_results = st.lists(
    st.tuples(
        st.sampled_from([GROWING, DECLINING]),
        st.integers(0, 4),  # minutes after COMPUTED: ties are likely
        st.sampled_from([DAILY, WEEKLY]),
        st.booleans(),  # the next day's window
        st.uuids(),
    ),
    max_size=10,
    unique_by=lambda drawn: (drawn[0], drawn[3], drawn[4]),  # (one row a key)
)
prunes = st.tuples(
    st.integers(-1, 6),  # older_than, minutes after COMPUTED
    st.sampled_from([None, GROWING, DECLINING]),
    st.sampled_from([None, DAILY, WEEKLY]),
    st.integers(0, 3),  # keep_latest
)
_tables = itertools.count()


@settings(max_examples=50, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(drawn=saved_results, chosen=prunes)
def test_history_after_prune_is_the_saved_history_filtered_by_the_rule(
    store_target: str, drawn: list[Any], chosen: tuple[Any, ...]
) -> None:
    saved = [
        computed(pattern).model_copy(
            update={
                "computed_at": COMPUTED + timedelta(minutes=minutes),
                "correlation_id": correlation_id,
                "time_window_type": kind,
                **({"time_window_start": START + timedelta(days=1)} if next_day else {}),
            }
        )
        for pattern, minutes, kind, next_day, correlation_id in drawn
    ]
    minutes, pattern_id, window_type, keep_latest = chosen
    older_than = COMPUTED + timedelta(minutes=minutes)
    # (A table of its own per example: the fixture's database is shared by them.)
    deleted, history = run(
        pruned(
            store_target,
            saved,
            older_than,
            table=f"pruned_{next(_tables)}",
            pattern_id=pattern_id,
            window_type=window_type,
            keep_latest=keep_latest,
        )
    )
    left = kept(saved, older_than, pattern_id, window_type, keep_latest)
    assert deleted == len(saved) - len(left)
    for key in (GROWING, DECLINING):
        expected = [result for result in left if str(result.pattern_id) == key]
        assert history[key] == sorted(expected, key=newest_first, reverse=True)


# ------------------------------------------------------------------------------ cases


def test_a_monitors_old_snapshots_go_and_each_series_keeps_its_newest(store_target: str) -> None:
    # A rolling monitor's snapshots (a window of their own each), and a weekly result
    # older than every daily one: its series keeps it.
    snapshots = [
        at(GROWING, minutes, minutes + 1, time_window_end=NOW + timedelta(minutes=minutes))
        for minutes in range(6)
    ]
    weekly = at(GROWING, -60, 100, WEEKLY)
    stopped = at(DECLINING, -30, 200)  # a pattern no longer saved
    deleted, history = run(
        pruned(store_target, [*snapshots, weekly, stopped], COMPUTED + timedelta(minutes=4))
    )
    assert deleted == 4
    assert ids(history[GROWING]) == [6, 5, 100]
    assert ids(history[DECLINING]) == [200]


def test_keep_latest_zero_deletes_every_old_row_and_the_bound_is_exclusive(
    store_target: str,
) -> None:
    saved = [at(GROWING, 0, 1), at(GROWING, 1, 2), at(DECLINING, 0, 3)]
    deleted, history = run(pruned(store_target, saved, COMPUTED, keep_latest=0))
    assert deleted == 0  # (computed at older_than: not older)
    deleted, history = run(pruned(store_target, [], COMPUTED + timedelta(minutes=1), keep_latest=0))
    assert (deleted, ids(history[GROWING]), history[DECLINING]) == (2, [2], [])


def test_a_pattern_and_a_window_type_narrow_what_is_pruned(store_target: str) -> None:
    saved = [at(GROWING, 0, 1), at(GROWING, 1, 2, WEEKLY), at(DECLINING, 0, 3)]
    later = COMPUTED + timedelta(hours=1)
    deleted, history = run(
        pruned(store_target, saved, later, pattern_id=GROWING.upper(), keep_latest=0)
    )
    assert (deleted, history[GROWING], ids(history[DECLINING])) == (2, [], [3])
    deleted, history = run(pruned(store_target, [], later, window_type="weekly", keep_latest=0))
    assert (deleted, ids(history[DECLINING])) == (0, [3])
    deleted, history = run(pruned(store_target, [], later, window_type=DAILY, keep_latest=0))
    assert (deleted, history[DECLINING]) == (1, [])


def test_older_than_naive_is_utc_and_aware_is_its_instant(store_target: str) -> None:
    saved = [at(GROWING, 0, 1), at(GROWING, 60, 2), at(GROWING, 120, 3)]
    naive = (COMPUTED + timedelta(minutes=61)).replace(tzinfo=None)
    deleted, history = run(pruned(store_target, saved, naive, keep_latest=0))
    assert (deleted, ids(history[GROWING])) == (2, [3])
    # 03:00 at +01:00 is 02:00 UTC, after the last.
    in_paris = datetime(2026, 3, 4, 3, 0, 1, tzinfo=timezone(timedelta(hours=1)))
    deleted, history = run(pruned(store_target, [], in_paris, keep_latest=0))
    assert (deleted, history[GROWING]) == (1, [])


def test_prune_of_an_absent_store_deletes_nothing_and_makes_nothing(store_target: str) -> None:
    async def go() -> int:
        async with open_store(store_target) as store:
            return int(await store.prune(COMPUTED))

    assert run(go()) == 0
    if store_target.startswith("postgresql"):
        assert sql(store_target, "SELECT to_regclass('pattern_analytics')") == [(None,)]
    else:
        assert not Path(store_target).exists()


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"older_than": "2026-03-04"}, TypeError, "older_than must be a datetime, got str"),
        ({"older_than": date(2026, 3, 4)}, TypeError, "older_than must be a datetime, got date"),
        (
            {"older_than": datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1)))},
            ValueError,
            "older_than 0001-01-01T00:00:00[+]01:00 is outside the years 1 to 9999",
        ),
        ({"keep_latest": -1}, ValueError, "keep_latest must be an int from 0 .* got -1"),
        ({"keep_latest": True}, ValueError, "keep_latest must be an int .* got True"),
        ({"keep_latest": 1.0}, ValueError, "keep_latest must be an int .* got 1.0"),
        ({"keep_latest": 2**63}, ValueError, "keep_latest must be an int .* got 92233720368"),
        ({"window_type": "Weekly"}, ValueError, "window_type must be one of .* got 'Weekly'"),
        ({"pattern_id": 1.5}, TypeError, "pattern_id must be a UUID, str or int, got 1.5"),
    ],
)
def test_bad_arguments_are_refused_by_name_before_anything_is_deleted(
    store_target: str, options: dict[str, Any], error: type[Exception], message: str
) -> None:
    arguments = {"older_than": COMPUTED + timedelta(hours=1), "keep_latest": 0, **options}

    async def go() -> list[Any]:
        async with open_store(store_target) as store:
            await store.save(at(GROWING, 0, 1))
            with pytest.raises(error, match=message):
                await store.prune(**arguments)
            return await store.history(GROWING)

    assert ids(run(go())) == [1]


def test_a_failed_prune_deletes_nothing(store_target: str) -> None:
    # One transaction: a trigger refuses the deletion of one row of three.
    saved = [at(GROWING, 0, 1), at(GROWING, 1, 2), at(GROWING, 2, 3)]
    refused = str(UUID(int=2))

    async def go() -> list[Any]:
        async with open_store(store_target) as store:
            await store.save_many(saved)
            if store_target.startswith("postgresql"):
                sql(
                    store_target,
                    "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN RAISE EXCEPTION 'kept'; END $$",
                    "CREATE TRIGGER refuse BEFORE DELETE ON pattern_analytics FOR EACH ROW "
                    f"WHEN (old.correlation_id = '{refused}') EXECUTE FUNCTION refuse()",
                )
            else:
                with sqlite3.connect(store_target) as connection:
                    connection.execute(
                        "CREATE TRIGGER refuse BEFORE DELETE ON pattern_analytics "
                        f"WHEN old.correlation_id = '{refused}' "
                        "BEGIN SELECT RAISE(ABORT, 'kept'); END"
                    )
                connection.close()
            with pytest.raises(Exception, match="kept"):
                await store.prune(COMPUTED + timedelta(hours=1), keep_latest=0)
            return await store.history(GROWING)

    assert ids(run(go())) == [3, 2, 1]


def test_a_prune_is_committed_whatever_was_read_before(store_target: str) -> None:
    # PostgreSQL: ADBC wrapped the DELETE (of a timestamptz parameter, returning its
    # count) in a transaction of its own that it never committed: the store's own
    # connection saw the rows gone, every other session saw them all, and they came back
    # when the store closed.
    saved = [at(GROWING, 0, 1), at(GROWING, 1, 2), at(GROWING, 2, 3)]

    def count() -> int:
        if store_target.startswith("postgresql"):
            return int(sql(store_target, "SELECT count(*) FROM pattern_analytics")[0][0])
        connection = sqlite3.connect(store_target)
        try:
            return int(connection.execute("SELECT count(*) FROM pattern_analytics").fetchone()[0])
        finally:
            connection.close()

    async def go() -> list[int]:
        async with open_store(store_target) as store:
            await store.save_many(saved)
            assert await store.get(GROWING, START, NOW) is not None
            first = await store.prune(COMPUTED + timedelta(minutes=1), keep_latest=0)
            seen = [first, count()]
            second = await store.prune(COMPUTED + timedelta(minutes=2), keep_latest=0)
            return [*seen, second, count()]

    assert run(go()) == [1, 2, 1, 1]
    assert count() == 1
