"""Both stores' `get` and `history` select by granularity and by the families a result
holds (`granularity=`, `requires=`), as by zone: one window's results at several
granularities, or with and without performance metrics, are several rows of one key but
their correlation id, and `get` returned the newest whatever it held. And by window type
(`window_type=`): a service storing a pattern's daily and weekly results read them in one
history. Zones alone: test_store.py; the index of window types: test_store_indexes.py.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pg_calls import sql
from source_cases import GROWING, NOW, START, analyse, demo_rows, records_of
from usage_analytics import AnalyticsGranularity, ModelUsageAnalyticsOutput, TimeWindowType
from usage_analytics.store import open_store

SUMMARY, DETAILED, COMPREHENSIVE = AnalyticsGranularity
FAMILIES = ("performance_metrics", "trend_analysis", "context_distribution")
COMPUTED = datetime(2026, 3, 4, tzinfo=UTC)


@functools.cache
def computed(
    granularity: AnalyticsGranularity, timezone: str = "UTC", **flags: bool
) -> ModelUsageAnalyticsOutput:
    """The result of GROWING's window at `granularity` in `timezone` (computed once)."""
    records = records_of(demo_rows(), GROWING)
    options: dict[str, Any] = {"granularity": granularity, "timezone": timezone, **flags}
    return analyse(records, GROWING, START, NOW, **options)


def at(result: ModelUsageAnalyticsOutput, minutes: int, **update: Any) -> ModelUsageAnalyticsOutput:
    """`result` computed `minutes` after COMPUTED, by a request of its own (a correlation
    id of its own, unless `update` names one)."""
    update.setdefault("correlation_id", UUID(int=next(_ids)))
    return result.model_copy(
        update={"computed_at": COMPUTED + timedelta(minutes=minutes), **update}
    )


_ids = itertools.count(1)


@pytest.fixture(params=["sqlite", "postgres"])
def store_target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store of each kind: a SQLite file, a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "results.sqlite")
    return str(request.getfixturevalue("postgres_url"))


def test_a_granularity_selects_the_results_of_it(store_target: str) -> None:
    # A service storing a DETAILED and a SUMMARY result of one window read back the newer
    # whatever its granularity: a SUMMARY has no context distribution.
    detailed, summary, comprehensive = (
        at(computed(DETAILED), 0), at(computed(SUMMARY), 1), at(computed(COMPREHENSIVE), 2)
    )  # fmt: skip
    assert summary.context_distribution is None

    async def go() -> list[Any]:
        async with open_store(store_target) as store:
            await store.save_many([detailed, summary, comprehensive])
            return [
                await store.get(GROWING, START, NOW),
                await store.get(GROWING, START, NOW, granularity="summary"),
                await store.get(GROWING, START, NOW, granularity=DETAILED),
                await store.get(
                    GROWING, START, NOW, summary.correlation_id, granularity="detailed"
                ),
                await store.get(GROWING, START, NOW, granularity=SUMMARY, timezone="Asia/Tokyo"),
                await store.history(GROWING),
                await store.history(GROWING, granularity="comprehensive"),
                await store.history(GROWING, 1, granularity=SUMMARY, timezone="utc"),
            ]

    assert run(go()) == [
        comprehensive,
        summary,
        detailed,
        None,
        None,
        [comprehensive, summary, detailed],
        [comprehensive],
        [summary],
    ]


def test_requires_selects_the_results_holding_those_families(store_target: str) -> None:
    # The granularity says nothing of the include_* flags: a dashboard asking for p95 read
    # the newer result, computed without performance metrics, and found none.
    full = at(computed(DETAILED), 0)
    no_performance = at(computed(DETAILED, include_performance=False), 1)
    no_trends = at(computed(DETAILED, include_trends=False), 2)
    summary = at(computed(SUMMARY), 3)  # (no context distribution)
    assert no_performance.performance_metrics is None
    assert no_trends.trend_analysis is None

    async def go() -> list[Any]:
        async with open_store(store_target) as store:
            await store.save_many([full, no_performance, no_trends, summary])
            return [
                await store.get(GROWING, START, NOW),
                await store.get(GROWING, START, NOW, requires="context_distribution"),
                await store.get(
                    GROWING, START, NOW, requires={"trend_analysis", "context_distribution"}
                ),
                await store.get(GROWING, START, NOW, requires=["performance_metrics"] * 2),
                await store.get(GROWING, START, NOW, requires=FAMILIES),
                await store.get(GROWING, START, NOW, requires=FAMILIES, granularity=SUMMARY),
                await store.history(GROWING, requires=()),
                await store.history(GROWING, requires=("performance_metrics", "trend_analysis")),
            ]

    assert run(go()) == [
        summary,
        no_trends,
        no_performance,
        summary,
        full,
        None,
        [summary, no_trends, no_performance, full],
        [summary, full],
    ]


def test_a_window_type_selects_the_results_of_windows_of_it(store_target: str) -> None:
    # A service storing a pattern's daily and weekly analytics read whichever was newest:
    # history mixed the two series, and get of a window the CLI also stored as "custom"
    # returned the CLI's result.
    def of(kind: TimeWindowType, days: int, minutes: int) -> ModelUsageAnalyticsOutput:
        window = {"time_window_start": NOW - timedelta(days=days), "time_window_type": kind}
        return at(computed(DETAILED), minutes, **window)

    weekly, daily, custom_week, later_daily = (
        of(TimeWindowType.WEEKLY, 7, 0),
        of(TimeWindowType.DAILY, 1, 1),
        of(TimeWindowType.CUSTOM, 7, 2),
        of(TimeWindowType.DAILY, 2, 3),
    )

    async def go() -> list[Any]:
        async with open_store(store_target) as store:
            await store.save_many([weekly, daily, custom_week, later_daily])
            week = NOW - timedelta(days=7)
            return [
                await store.get(GROWING, week, NOW),
                await store.get(GROWING, week, NOW, window_type="weekly"),
                await store.get(GROWING, week, NOW, window_type=TimeWindowType.CUSTOM),
                await store.get(GROWING, week, NOW, window_type="daily"),
                await store.get(
                    GROWING, week, NOW, weekly.correlation_id, window_type=TimeWindowType.WEEKLY
                ),
                await store.get(GROWING, week, NOW, window_type="weekly", timezone="Asia/Tokyo"),
                await store.history(GROWING),
                await store.history(GROWING, window_type="daily"),
                await store.history(GROWING, 1, window_type=TimeWindowType.DAILY),
                await store.history(GROWING, window_type="weekly", granularity=DETAILED),
                await store.history(GROWING, window_type="monthly"),
            ]

    assert run(go()) == [
        custom_week,
        weekly,
        custom_week,
        None,
        weekly,
        None,
        [later_daily, custom_week, daily, weekly],
        [later_daily, daily],
        [later_daily],
        [weekly],
        [],
    ]


@pytest.mark.parametrize(
    ("asked", "error", "message"),
    [
        (
            {"window_type": "Weekly"},
            ValueError,
            "window_type must be one of 'hourly', 'daily', 'weekly', 'monthly', 'quarterly', "
            "'yearly', 'all_time', 'custom', got 'Weekly'",
        ),
        (
            {"window_type": "week"},
            ValueError,
            "window_type must be one of 'hourly', 'daily', 'weekly', 'monthly', 'quarterly', "
            "'yearly', 'all_time', 'custom', got 'week'",
        ),
        (
            {"window_type": 7},
            TypeError,
            "window_type must be a TimeWindowType, its value or None, got 7",
        ),
        (
            {"window_type": SUMMARY},  # (an enum of another kind: a str, of no window type)
            ValueError,
            "window_type must be one of 'hourly', 'daily', 'weekly', 'monthly', 'quarterly', "
            "'yearly', 'all_time', 'custom', got <AnalyticsGranularity.SUMMARY: 'summary'>",
        ),
        (
            {"granularity": "Summary"},
            ValueError,
            "granularity must be one of 'summary', 'detailed', 'comprehensive', got 'Summary'",
        ),
        (
            {"granularity": "daily"},
            ValueError,
            "granularity must be one of 'summary', 'detailed', 'comprehensive', got 'daily'",
        ),
        (
            {"granularity": 2},
            TypeError,
            "granularity must be an AnalyticsGranularity, its value or None, got 2",
        ),
        (
            {"requires": {"p95"}},
            ValueError,
            "requires names the families a result may lack ('performance_metrics', "
            "'trend_analysis', 'context_distribution'; usage and success metrics are always "
            "present), got 'p95'",
        ),
        (
            {"requires": 5},
            TypeError,
            "requires must be a collection of family names, got 5",
        ),
    ],
)
@pytest.mark.parametrize("call", ["get", "history"])
def test_a_selection_of_no_window_type_granularity_or_family_is_refused_naming_it(
    store_target: str, asked: dict[str, Any], error: type[Exception], message: str, call: str
) -> None:
    async def go() -> None:
        async with open_store(store_target) as store:
            await store.save(computed(DETAILED))
            if call == "get":
                await store.get(GROWING, START, NOW, **asked)
            else:
                await store.history(GROWING, **asked)

    with pytest.raises(error) as raised:
        run(go())
    assert str(raised.value) == message


def test_a_row_without_a_granularity_is_detailed(store_target: str) -> None:
    # Every version of the store wrote it; a row written by another tool may lack it, and
    # reads as a request's default, as a row without a zone reads as UTC.
    result = at(computed(SUMMARY), 0)
    if store_target.startswith("postgresql"):
        old_result = "result #- '{time_window,granularity}'"
    else:
        old_result = "json_remove(result, '$.time_window.granularity')"
    update = f"UPDATE pattern_analytics SET result = {old_result}"

    async def save() -> None:
        async with open_store(store_target) as store:
            await store.save(result)

    run(save())
    if store_target.startswith("postgresql"):
        sql(store_target, update)
    else:
        with sqlite3.connect(store_target) as connection:
            connection.execute(update)

    async def go() -> list[Any]:
        async with open_store(store_target) as store:
            return [
                await store.get(GROWING, START, NOW, granularity="detailed"),
                await store.get(GROWING, START, NOW, granularity="summary"),
                await store.history(GROWING),
            ]

    assert run(go()) == [result, None, [result]]


# ----------------------------------------------- any saved results, any selection


def expected(
    saved: list[ModelUsageAnalyticsOutput],
    zone: str | None,
    granularity: AnalyticsGranularity | None,
    requires: set[str],
    window_type: TimeWindowType | None,
    window: tuple[datetime, datetime] | None,
) -> list[ModelUsageAnalyticsOutput]:
    """The results selected, in `NEWEST_FIRST`'s order (a UUID's text orders as its
    bytes, as PostgreSQL's uuid does)."""
    chosen = [
        result
        for result in saved
        if (window_type is None or result.time_window_type is window_type)
        and (zone is None or result.timezone == zone)
        and (granularity is None or result.granularity is granularity)
        and all(getattr(result, family) is not None for family in requires)
        and (window is None or (result.time_window_start, result.time_window_end) == window)
    ]
    return sorted(
        chosen,
        key=lambda r: (
            r.computed_at,
            r.time_window_start,
            r.time_window_end,
            str(r.correlation_id),
        ),
        reverse=True,
    )


ZONES = ("UTC", "Asia/Tokyo")
KINDS = (TimeWindowType.DAILY, TimeWindowType.WEEKLY, TimeWindowType.CUSTOM)
saved_results = st.lists(
    st.tuples(
        st.sampled_from(list(AnalyticsGranularity)),
        st.sampled_from(ZONES),
        st.integers(0, 3),  # minutes after COMPUTED: ties are likely
        st.sets(st.sampled_from(FAMILIES)),  # the families left out
        st.booleans(),  # the next day's window
        st.uuids(),
        st.sampled_from(KINDS),
    ),
    max_size=8,
    unique_by=lambda drawn: (drawn[4], drawn[5]),  # (one row a key)
)
selections = st.tuples(
    st.sampled_from([None, *ZONES, "Europe/Berlin"]),
    st.sampled_from([None, *AnalyticsGranularity]),
    st.sets(st.sampled_from(FAMILIES)),
    # (By the enum or its value; "monthly" selects nothing saved.)
    st.sampled_from([None, *KINDS, "daily", "monthly"]),
)
_tables = itertools.count()


@settings(max_examples=50, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(drawn=saved_results, chosen=selections)
def test_get_and_history_select_as_a_selection_over_the_saved_list(
    store_target: str, drawn: list[Any], chosen: tuple[Any, ...]
) -> None:
    # (A table of its own per example: the fixture's database is shared by them.)
    saved = [
        at(
            computed(granularity, zone),
            minutes,
            correlation_id=correlation_id,
            **dict.fromkeys(left_out),
            time_window_type=kind,
            **({"time_window_start": START + timedelta(days=1)} if next_day else {}),
        )
        for granularity, zone, minutes, left_out, next_day, correlation_id, kind in drawn
    ]
    zone, granularity, requires, window_type = chosen
    options = {
        "timezone": zone,
        "granularity": granularity,
        "requires": requires,
        "window_type": window_type,
    }
    kind = None if window_type is None else TimeWindowType(window_type)

    async def go() -> tuple[Any, Any, list[Any]]:
        async with open_store(store_target, table=f"selection_{next(_tables)}") as store:
            await store.save_many(saved)
            return (
                await store.get(GROWING, START, NOW, **options),
                await store.get(GROWING, START + timedelta(days=1), NOW, **options),
                await store.history(GROWING, 100, **options),
            )

    first, next_day, history = run(go())
    for got, window in ((first, (START, NOW)), (next_day, (START + timedelta(days=1), NOW))):
        selected = expected(saved, zone, granularity, requires, kind, window)
        assert got == (selected[0] if selected else None)
    assert history == expected(saved, zone, granularity, requires, kind, None)


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)
