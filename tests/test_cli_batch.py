"""`reduce_patterns`: a source's patterns analysed by one batch reduction give what one
call per pattern (`reduce_all`) gives, and where they would not, it is `reduce_all`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import source_cases
from source_cases import NOW, START, demo_rows
from usage_analytics import (
    ModelUsageAnalyticsInput,
    ModelUsageAnalyticsOutput,
    NodeUsageAnalyticsReducer,
)
from usage_analytics.cli import batch
from usage_analytics.cli.batch import reduce_patterns
from usage_analytics.cli.common import CliError, reduce_all
from usage_analytics.progress import Progress
from usage_analytics.sources import Fetched, FileSource, SQLiteSource
from usage_analytics.sources.arrow import group_by_pattern
from usage_analytics.sources.base import PATTERN_ID
from usage_analytics.sources.sqlite_table import write_executions_sync

VOLATILE = {"computation_time_ms", "computed_at", "correlation_id"}


def contract_for(on_invalid: str = "raise") -> Callable[[Fetched], ModelUsageAnalyticsInput]:
    """The shared contracts, in a zone of summer time (days and hours move with it)."""
    return source_cases.contract_for(on_invalid, "America/New_York")


def one_by_one(
    groups: Sequence[Fetched], make: Callable[[Fetched], ModelUsageAnalyticsInput]
) -> list[ModelUsageAnalyticsOutput]:
    contracts = [make(group) for group in groups]
    return asyncio.run(reduce_all(contracts, groups, "the source", Progress(enabled=False)))


def batched(
    groups: Sequence[Fetched], make: Callable[[Fetched], ModelUsageAnalyticsInput]
) -> list[ModelUsageAnalyticsOutput]:
    return asyncio.run(reduce_patterns(groups, make, "the source", Progress(enabled=False)))


def refuse_one_by_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail if `reduce_patterns` falls back to one call per pattern."""

    async def refuse(*_: Any) -> Any:
        raise AssertionError("reduced one pattern at a time")

    monkeypatch.setattr(batch, "reduce_all", refuse)


@pytest.fixture
def batch_only(monkeypatch: pytest.MonkeyPatch) -> None:
    refuse_one_by_one(monkeypatch)


def fetched_groups(rows: list[dict[str, Any]]) -> list[Fetched]:
    """`fetch_all`'s groups of `rows` (a file source's way), plus a pattern without records."""
    table = pa.Table.from_pylist(rows)
    groups = [
        Fetched(key, part, part.num_rows, lambda index: f"row {index}")
        for key, part, _ in group_by_pattern(pa, table)
    ]
    return [*groups, Fetched("idle-pattern", [], 0, lambda index: f"row {index}")]


def same(got: ModelUsageAnalyticsOutput, expected: ModelUsageAnalyticsOutput) -> None:
    assert got.model_dump(exclude=VOLATILE) == expected.model_dump(exclude=VOLATILE)
    assert type(got.pattern_id) is type(expected.pattern_id)


def test_a_batch_gives_what_one_call_per_pattern_gives(batch_only: None) -> None:
    # The demo's patterns (UUIDs; some records outside the window), a named pattern,
    # and a pattern whose records are all outside the window.
    rows = demo_rows()
    rows += [{**row, "pattern_id": "checkout"} for row in rows[:300]]
    rows += [{"pattern_id": "gone", "timestamp": START - timedelta(days=2), "success": True}]
    groups = fetched_groups(rows)
    expected = one_by_one(groups, contract_for())
    got = batched(groups, contract_for())
    assert len(got) == len(groups) == 9
    for mine, theirs in zip(got, expected, strict=True):
        same(mine, theirs)
    by_id = {str(result.pattern_id): result for result in got}
    assert isinstance(by_id[rows[0]["pattern_id"]].pattern_id, UUID)
    assert by_id["gone"].data_quality.records_outside_window == 1
    assert by_id["idle-pattern"].total_data_points == 0
    assert by_id["checkout"].usage_metrics.total_executions > 0


def test_columns_missing_in_some_patterns_take_the_others_type(batch_only: None) -> None:
    # A database's rows are typed pattern by pattern: a column with no value in one
    # pattern is Arrow's null type there.
    stamp = [START + timedelta(hours=1), START + timedelta(hours=2)]
    typed = pa.table({"timestamp": stamp, "quality_score": [0.5, 0.25]})
    untyped = pa.table({"timestamp": stamp, "quality_score": pa.nulls(2)})
    groups = [Fetched("a", typed, 2), Fetched("b", untyped, 2)]
    expected = one_by_one(groups, contract_for())
    for mine, theirs in zip(batched(groups, contract_for()), expected, strict=True):
        same(mine, theirs)


@pytest.mark.parametrize(
    "second",
    [
        # Timestamps as text in one pattern (PostgreSQL, when it holds infinities).
        pa.table({"timestamp": ["2026-02-20T10:00:00Z"], "quality_score": [0.5]}),
        # Another column.
        pa.table({"timestamp": [START + timedelta(hours=3)], "agent": ["x"]}),
        # Record dicts.
        [{"timestamp": START + timedelta(hours=3), "quality_score": 0.5}],
    ],
)
def test_groups_that_make_no_one_table_are_reduced_one_by_one(second: Any) -> None:
    first = pa.table({"timestamp": [START + timedelta(hours=1)], "quality_score": [0.75]})
    groups = [Fetched("a", first, 1), Fetched("b", second, len(second))]
    assert batch._one_table(groups)[0] is None
    expected = one_by_one(groups, contract_for())
    for mine, theirs in zip(batched(groups, contract_for()), expected, strict=True):
        same(mine, theirs)


def invalid_groups() -> list[Fetched]:
    rows = demo_rows()
    rows[5] = {**rows[5], "quality_score": 1.5}
    return fetched_groups(rows)


def test_skipped_records_are_counted_by_their_pattern(monkeypatch: pytest.MonkeyPatch) -> None:
    groups = invalid_groups()
    expected = one_by_one(groups, contract_for("skip"))
    refuse_one_by_one(monkeypatch)
    got = batched(groups, contract_for("skip"))
    for mine, theirs in zip(got, expected, strict=True):
        same(mine, theirs)
    assert sum(result.data_quality.invalid_records for result in got) == 1


def test_an_invalid_record_is_named_with_its_pattern() -> None:
    groups = invalid_groups()
    with pytest.raises(CliError) as raised:
        batched(groups, contract_for())
    message = str(raised.value)
    assert message.startswith("the source, pattern ")
    assert "field 'quality_score' = 1.5" in message
    with pytest.raises(CliError) as one_call:
        one_by_one(groups, contract_for())
    assert str(one_call.value) == message


def source_rows() -> list[dict[str, Any]]:
    """The demo's patterns, one spelt with spaces around it (the same pattern), and
    records without a pattern id (blank or null)."""
    rows = demo_rows()
    rows += [{**row, "pattern_id": " checkout "} for row in rows[:50]]
    rows += [{**row, "pattern_id": "checkout"} for row in rows[50:80]]
    # (Blank ids sort first, " ", and last, an ideographic space, in a database's order.)
    blank = [{**rows[0], "pattern_id": " "}, {**rows[2], "pattern_id": "\u3000"}]
    return [*rows, *blank, {**rows[1], "pattern_id": None}]


def file_groups(folder: Path) -> list[Fetched]:
    """A Parquet file's `fetch_all` groups of `source_rows`."""
    path = folder / "runs.parquet"
    pq.write_table(pa.Table.from_pylist(source_rows()), path)
    return asyncio.run(FileSource(path).fetch_all(START, NOW))


def sqlite_groups(folder: Path) -> list[Fetched]:
    """A SQLite file's `fetch_all` groups of `source_rows` (but the null id, which its
    table refuses), and of a pattern whose one record is in no window (its group has
    none)."""
    path = folder / "runs.sqlite"
    rows = [row for row in source_rows() if row["pattern_id"] is not None]
    idle = {**demo_rows()[0], "pattern_id": "idle", "timestamp": START - timedelta(days=9)}
    write_executions_sync(path, [*rows, idle])
    return asyncio.run(SQLiteSource(path).fetch_all(START, NOW))


SOURCE_GROUPS = [pytest.param(file_groups, id="file"), pytest.param(sqlite_groups, id="sqlite")]


@pytest.mark.parametrize("groups_of", SOURCE_GROUPS)
def test_a_sources_groups_are_batched_from_its_one_table_as_it_is(
    tmp_path: Path, batch_only: None, groups_of: Callable[[Path], list[Fetched]]
) -> None:
    # The source's rows are ordered by pattern once, each group a slice of them: the
    # batch reads that table (`Fetched.together`), not a concatenation of the groups'
    # tables, which copied every record once more.
    groups = groups_of(tmp_path)
    filled = [group for group in groups if group.count]
    together = filled[0].together
    assert all(group.together is together for group in filled)
    table, _ = batch._one_table(groups)
    assert table is not None
    # (every record with an id; a database's in the window only)
    assert table.num_rows == sum(group.count for group in groups) > len(demo_rows()) // 2
    for name in table.column_names:
        assert table.column(name).chunk(0).buffers()[-1].address == (
            together.column(name).chunk(0).buffers()[-1].address
        )
    ids = table.column(PATTERN_ID).to_pylist()
    assert ids == [group.pattern_id for group in groups for _ in range(group.count)]
    assert "checkout" in ids
    expected = one_by_one(groups, contract_for())
    for mine, theirs in zip(batched(groups, contract_for()), expected, strict=True):
        same(mine, theirs)


def test_a_databases_rows_of_blank_ids_after_the_others_stay_out_of_its_one_table(
    tmp_path: Path, batch_only: None
) -> None:
    # Rows come ordered by id: the groups' rows are rows 0 to n - 1 of the fetched ones,
    # used in place, and those of a blank id that sorts last (an ideographic space) after
    # them, which are no group's.
    path = tmp_path / "runs.sqlite"
    rows = [
        {**row, "pattern_id": "ab"[i % 2], "timestamp": START + timedelta(hours=i)}
        for i, row in enumerate(demo_rows()[:40])
    ]
    write_executions_sync(path, [*rows, {**rows[0], "pattern_id": "\u3000"}])
    groups = asyncio.run(SQLiteSource(path).fetch_all(START, NOW))
    assert [(group.pattern_id, group.count) for group in groups] == [("a", 20), ("b", 20)]
    table, _ = batch._one_table(groups)
    assert table is not None
    assert table.num_rows == 40
    assert table.column(PATTERN_ID).to_pylist() == ["a"] * 20 + ["b"] * 20
    for mine, theirs in zip(
        batched(groups, contract_for()), one_by_one(groups, contract_for()), strict=True
    ):
        same(mine, theirs)


@pytest.mark.parametrize("groups_of", SOURCE_GROUPS)
def test_some_of_a_sources_groups_are_batched_without_the_others(
    tmp_path: Path, batch_only: None, groups_of: Callable[[Path], list[Fetched]]
) -> None:
    # The one table holds every group's records: for some of the groups, only theirs.
    groups = groups_of(tmp_path)[1::2]
    table, _ = batch._one_table(groups)
    assert table is not None
    assert table.num_rows == sum(group.count for group in groups)
    expected = one_by_one(groups, contract_for())
    for mine, theirs in zip(batched(groups, contract_for()), expected, strict=True):
        same(mine, theirs)


def test_groups_whose_columns_do_not_combine_stay_in_chunks() -> None:
    # Strings past 2 GiB cannot be one chunk (offset overflow): the chunks as they are,
    # which the core reads one after another.
    class Overflowing:
        def combine_chunks(self) -> Any:
            raise pa.ArrowInvalid("offset overflow while concatenating arrays")

    table = Overflowing()
    assert batch._combined(pa, table) is table
    groups = fetched_groups(demo_rows())
    chunked = pa.concat_tables([group.data for group in groups if group.count])
    assert chunked.column(0).num_chunks > 1
    contract = contract_for()(Fetched("x", chunked, chunked.num_rows))
    one = NodeUsageAnalyticsReducer().execute_reduction_sync(contract)
    combined = contract.model_copy(update={"execution_data": chunked.combine_chunks()})
    same(one, NodeUsageAnalyticsReducer().execute_reduction_sync(combined))


class _CountedProgress(Progress):
    """A progress display that records the bar's counts instead of drawing them."""

    def __init__(self) -> None:
        super().__init__(enabled=False)
        self.counts: list[tuple[str, int, int]] = []

    def bar(self, label: str, done: int, total: int) -> None:
        self.counts.append((label, done, total))


def test_one_by_one_the_bar_counts_each_pattern_once_up_to_all() -> None:
    # (On a terminal: "analysing 3 patterns", 1/3 to 3/3.)
    stamp = [START + timedelta(hours=1)]
    groups = [Fetched(name, pa.table({"timestamp": stamp}), 1) for name in ("a", "b", "c")]
    progress = _CountedProgress()
    contracts = [contract_for()(group) for group in groups]
    asyncio.run(reduce_all(contracts, groups, "the source", progress))
    assert progress.counts == [("analysing 3 patterns", done, 3) for done in (1, 2, 3)]
