"""A window bound that is no datetime is refused in one wording by the sources' `fetch`
and the analytics stores' `get`: the store's check (`checked_bound`) calls the sources'
(`a_datetime`, which `checked_bounds` calls too), so the two cannot drift apart."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from usage_analytics.sources import SQLiteSource
from usage_analytics.sources import base as sources_base
from usage_analytics.store import SQLiteAnalyticsStore
from usage_analytics.store import base as store_base

START = datetime(2026, 2, 1, tzinfo=UTC)
END = datetime(2026, 3, 1, tzinfo=UTC)
NOT_DATETIMES = ["2026-02-01T00:00:00Z", date(2026, 2, 1), 1_769_904_000_000_000, 1.5, None]


def refusal(check: Any, *args: Any) -> str:
    with pytest.raises(TypeError) as refused:
        check(*args)
    return str(refused.value)


@pytest.mark.parametrize("bound", NOT_DATETIMES, ids=repr)
def test_a_fetch_and_a_get_refuse_a_bound_in_the_same_words(bound: Any) -> None:
    expected = f"start must be a datetime, got {type(bound).__name__} {bound!r}"
    assert refusal(sources_base.checked_bounds, bound, END) == expected
    assert refusal(store_base.checked_bound, "start", bound) == expected
    assert refusal(store_base.checked_window, START, bound) == expected.replace("start", "end")


def test_the_store_refuses_through_the_sources_check(monkeypatch: pytest.MonkeyPatch) -> None:
    # (One check, not two alike: a rewording of the sources' refusal is the store's too.)
    def reworded(name: str, value: Any) -> datetime:
        raise TypeError(f"reworded {name}")

    monkeypatch.setattr(store_base, "a_datetime", reworded)
    assert refusal(store_base.checked_bound, "end", "x") == "reworded end"


def test_the_sqlite_source_and_store_refuse_a_text_bound_alike(tmp_path: Path) -> None:
    database = tmp_path / "usage.sqlite"

    async def refusals() -> list[str]:
        messages = []
        async with SQLiteAnalyticsStore(database) as store:
            with pytest.raises(TypeError) as refused:
                await store.get("checkout", START.isoformat(), END)  # type: ignore[arg-type]
            messages.append(str(refused.value))
        async with SQLiteSource(database) as source:
            with pytest.raises(TypeError) as refused:
                await source.fetch("checkout", START.isoformat(), END)  # type: ignore[arg-type]
            messages.append(str(refused.value))
        return messages

    store_says, source_says = asyncio.run(refusals())
    assert store_says == source_says
    assert store_says == f"start must be a datetime, got str {START.isoformat()!r}"
