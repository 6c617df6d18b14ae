"""A pattern's rows in time order when a source fetched them unordered: `pattern_table`'s
`then_by` (one stable sort by pattern and time) against a stable sort by time and then
by pattern in Python, and PostgreSQL's `fetch_all` (its query unordered) against `fetch`
(ordered by the server), down to the invalid records each reduction names and samples.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pyarrow as pa
import pyarrow.compute  # (`pattern_table` calls `pa.compute`)
from hypothesis import given
from hypothesis import strategies as st
from pg_calls import call
from source_cases import NOW, START, analyse
from usage_analytics.sources import PostgresSource
from usage_analytics.sources.arrow import pattern_table
from usage_analytics.sources.base import pattern_key
from usage_analytics.sources.postgres_table import write_executions_sync

#: Ids of few patterns ("a" stored three ways), blank and missing ones among them.
_IDS = st.sampled_from(["a", " a", "a ", "b", "c", "", " ", None])
#: Few times, so that many rows share one; missing ones too.
_TIMES = st.one_of(st.none(), st.integers(0, 5))


@given(st.lists(st.tuples(_IDS, _TIMES), max_size=60))
def test_rows_by_pattern_then_time_are_a_stable_sort_by_time_then_by_pattern(
    rows: list[tuple[str | None, int | None]],
) -> None:
    table = pa.table(
        {
            "pattern_id": pa.array([pid for pid, _ in rows], pa.string()),
            "timestamp": pa.array([time for _, time in rows], pa.int64()),
            "row": pa.array(range(len(rows)), pa.int64()),
        }
    )
    grouped = pattern_table(pa, table, then_by="timestamp")

    def time_order(index: int) -> tuple[bool, int]:  # (missing times last)
        time = rows[index][1]
        return (time is None, time or 0)

    by_time = sorted(range(len(rows)), key=time_order)  # (Python's sort is stable)
    keyed = [(pattern_key(rows[index][0]) if rows[index][0] else "", index) for index in by_time]
    expected = [index for key, index in sorted(keyed, key=lambda pair: pair[0]) if key]
    count = grouped.offsets[-1]
    assert grouped.rows.column("row").to_pylist()[:count] == expected
    assert grouped.indices.to_pylist()[:count] == expected
    keys = sorted({key for key, _ in keyed} - {""})
    assert grouped.keys == keys
    assert grouped.codes.to_pylist()[:count] == [
        keys.index(key) for key, _ in sorted(keyed, key=lambda pair: pair[0]) if key
    ]
    # (The rows of no pattern after them all, in any order.)
    assert sorted(grouped.indices.to_pylist()[count:]) == [
        index for key, index in sorted(keyed, key=lambda pair: pair[1]) if not key
    ]


def _shuffled_rows() -> list[dict[str, Any]]:
    """Rows of three patterns ("a" stored as "a" and " a" too) at distinct minutes, some
    invalid (a score above 1, a negative duration), in random order."""
    rows = []
    for minute in range(60):
        row: dict[str, Any] = {
            "pattern_id": ["a", " a", "b", "c"][minute % 4],
            "timestamp": START + timedelta(minutes=minute),
            "agent": f"m{minute:02d}",
            "quality_score": 1.5 if minute % 5 == 0 else 0.5,
            "execution_time_ms": -1.0 if minute % 7 == 0 else 10.0,
        }
        rows.append(row)
    random.Random(7).shuffle(rows)
    return rows


def test_fetch_all_gives_each_pattern_the_rows_and_invalid_records_fetch_gives(
    postgres_url: str,
) -> None:
    # `fetch_all`'s query is unordered and the client sorts; `fetch`'s is ordered by the
    # server. Stored out of time order, the two spellings of "a" interleaved in time: a
    # group by pattern alone, or by time within each spelling, named other invalid
    # records first and sampled others.
    rows = _shuffled_rows()
    write_executions_sync(postgres_url, rows)
    groups = call(PostgresSource(postgres_url), "fetch_all", START, NOW)
    assert [group.pattern_id for group in groups] == ["a", "b", "c"]
    for group in groups:
        agents = [
            row["agent"]
            for row in sorted(rows, key=lambda row: row["timestamp"])
            if pattern_key(row["pattern_id"]) == group.pattern_id
        ]
        assert group.data.column("agent").to_pylist() == agents
        alone = call(PostgresSource(postgres_url), "fetch", group.pattern_id, START, NOW)
        assert group.data.drop_columns(["pattern_id"]).equals(alone.data)
        skipped = analyse(group.data, group.pattern_id, on_invalid="skip").data_quality
        expected = analyse(alone.data, group.pattern_id, on_invalid="skip").data_quality
        assert skipped.invalid_records > 0
        assert skipped.error_samples == expected.error_samples
        places = [sample.index for sample in skipped.error_samples]
        assert [group.locate(i) for i in places] == [alone.locate(i) for i in places]
    together = groups[0].together
    assert together is not None  # (a batch's input: the groups one after another)
    assert together.column("agent").to_pylist() == [
        agent for group in groups for agent in group.data.column("agent").to_pylist()
    ]
