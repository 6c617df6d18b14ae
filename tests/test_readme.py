"""README.md's Python blocks (and examples/README.md's, which has none yet) run as a
reader would run them: in order, in one namespace a file (later blocks use what earlier
ones bound: `reducer`, `now`, `result`), top-level `await`
allowed, warnings as errors, in a temporary working directory (the store's
`usage.sqlite` is made there). A block whose API moved fails here, named by its line.

The README uses names for the reader's own data that it never builds (`start`, `end`,
`table_with_pattern_id`, `todays_records`, ...): `reader_data` holds them, small and
realistic, and a test checks that each is still used. The block of sources and stores
opens the PostgreSQL URL it shows, `postgresql://user@host/db`, which here is a database
on the test server holding a pattern's records (`SERVED`). Where the README says what a
block gives (a pattern's id as the batch's key, a silent endpoint missing from a
snapshot, a stored result read back), `AFTER` checks it. No block prints.

Blocks marked `<!-- illustrative: WHY -->` are not run (see `markdown_blocks`); the test
names the only one.
"""

from __future__ import annotations

import asyncio
import os
import re
import traceback
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dask.dataframe as dd
import pandas as pd
import pg_server
import pyarrow as pa
import pytest
from markdown_blocks import ROOT, Block, blocks, run_block
from pg_calls import sql
from usage_analytics import (
    ModelUsageAnalyticsBatchOutput,
    ModelUsageAnalyticsOutput,
    UsageAccumulator,
)

#: The Markdown files whose Python blocks run, each in a namespace of its own.
DOCUMENTS = [ROOT / "README.md", ROOT / "examples" / "README.md"]
PYTHON = [block for path in DOCUMENTS for block in blocks(path) if block.language == "python"]
RUNNABLE = [block for block in PYTHON if block.illustrative is None]

#: The README's only illustrative block: the forms of one argument, with elisions
#: (`[{...}, ...]`), which no namespace makes into a call.
ILLUSTRATIVE = ["execution_data=[{...}, ...]"]

#: The URL the sources block opens, served by a database of the test server.
SERVED = "postgresql://user@host/db"

#: Endpoints the reader expects (`expected_ids`); "billing" sends nothing.
EXPECTED_IDS = {"checkout", "search", "billing"}


def records(end: datetime, count: int, **fields: Any) -> list[dict[str, Any]]:
    """`count` executions in the 50 minutes before `end` (inside every window the
    README's blocks snapshot: the last hour), one in five failing."""
    return [
        {
            "timestamp": end - timedelta(minutes=1 + 49 * i / max(count - 1, 1)),
            "success": i % 5 != 0,
            "execution_time_ms": 120.0 + 37.0 * (i % 7),
            "quality_score": 0.7 + 0.05 * (i % 5),
            "context_type": ["debugging", "review"][i % 2],
            "agent": f"agent-{i % 3}",
            **fields,
        }
        for i in range(count)
    ]


def reader_data(end: datetime) -> dict[str, Any]:
    """The data the README's blocks name and leave the reader to hold."""
    start = end - timedelta(days=7)
    by_pattern = [
        row
        for pattern_id in ("checkout", "search")
        for row in records(end, 12, pattern_id=pattern_id)
    ]
    other = UsageAccumulator(start, end, "weekly")
    stored = UsageAccumulator(start, end, "weekly")
    stored.update(records(end, 5))
    return {
        "start": start,
        "end": end,
        "table_with_pattern_id": pa.Table.from_pylist(by_pattern),
        "todays_records": records(end, 20),
        "table": pa.Table.from_pylist(records(end, 8)),
        "other": other,
        "stored_blob": stored.to_bytes(),
        "new_executions": records(end, 6),
        "expected_ids": set(EXPECTED_IDS),
        "ddf": dd.from_pandas(pd.DataFrame(by_pattern), npartitions=2),
    }


def served_rows(end: datetime) -> str:
    """The `pattern_executions` rows of the database the sources block opens."""
    return ", ".join(
        f"('checkout', '{row['timestamp'].isoformat()}', {row['success']}, "
        f"{row['execution_time_ms']}, {row['quality_score']})"
        for row in records(end, 9)
    )


# ------------------------------------------------------------------ what blocks give


def first_reduction(ns: dict[str, Any]) -> None:
    result = ns["result"]
    assert isinstance(result, ModelUsageAnalyticsOutput)
    assert result.usage_metrics.total_executions == 50  # hourly, all in the week
    assert result.success_metrics.success_rate == 1.0
    assert result.to_dict()["pattern_id"] == "checkout-endpoint"


def batch_reduction(ns: dict[str, Any]) -> None:
    assert set(ns["batch"].results) == {"checkout", "search"}
    assert ns["batch"].to_arrow().num_rows == 2


def accumulators(ns: dict[str, Any]) -> None:
    restored = UsageAccumulator.from_bytes(ns["blob"]).finalize(pattern_id="checkout")
    assert restored.usage_metrics.total_executions == 20 + 8  # todays_records, table
    assert ns["monitor"].snapshot(datetime.now(UTC)).usage_metrics.total_executions == 6


def batch_monitor(ns: dict[str, Any]) -> None:
    assert isinstance(ns["batch"], ModelUsageAnalyticsBatchOutput)
    assert ns["missing"] == {"billing"}  # "silent endpoints have no row"


def dask_analysis(ns: dict[str, Any]) -> None:
    assert {k: v.usage_metrics.total_executions for k, v in ns["batch"].results.items()} == {
        "checkout": 12,
        "search": 12,
    }


def sources_and_stores(ns: dict[str, Any]) -> None:
    assert ns["result"].usage_metrics.total_executions == 9
    assert Path("usage.sqlite").exists()


#: Checks run right after the block holding the snippet (each snippet in one block).
AFTER: dict[str, Callable[[dict[str, Any]], None]] = {
    "now = datetime.now(UTC)\n": first_reduction,
    "batch = await reducer.execute_batch_reduction(": batch_reduction,
    "merged = acc.merge(other)": accumulators,
    "missing = expected_ids - batch.results.keys()": batch_monitor,
    "from usage_analytics.dask import analyze": dask_analysis,
    "async with open_store(": sources_and_stores,
}


def block_with(snippet: str) -> Block:
    holding = [block for block in RUNNABLE if snippet in block.source]
    assert len(holding) == 1, f"{snippet!r} is in {len(holding)} runnable README blocks"
    return holding[0]


async def run_all(end: datetime, database: str) -> dict[str, str | None]:
    """Each runnable block's failure (its traceback), None where it ran; a block's
    checks in `AFTER` run after it."""
    checks = {block_with(snippet).name: check for snippet, check in AFTER.items()}
    outcomes: dict[str, str | None] = {}
    namespaces = {path: reader_data(end) for path in DOCUMENTS}
    for block in RUNNABLE:
        namespace = namespaces[block.path]
        assert block.source.count(SERVED) <= 1
        served = Block(
            block.path,
            block.line,
            block.language,
            block.source.replace(SERVED, database),
            block.illustrative,
        )
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                await run_block(served, namespace)
                if block.name in checks:
                    checks[block.name](namespace)
        except Exception:
            outcomes[block.name] = traceback.format_exc()
        else:
            outcomes[block.name] = None
    return outcomes


@pytest.fixture(scope="module")
def outcomes(
    postgres_server: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str | None]:
    """Every runnable block, run once in order in a temporary working directory."""
    name, url = pg_server.create_database(postgres_server)
    try:
        end = datetime.now(UTC)
        sql(
            url,
            "CREATE TABLE pattern_executions (pattern_id text, timestamp timestamptz, "
            "success boolean, execution_time_ms double precision, "
            "quality_score double precision)",
            f"INSERT INTO pattern_executions VALUES {served_rows(end)}",
        )
        here = Path.cwd()
        os.chdir(tmp_path_factory.mktemp("readme"))
        try:  # (back in the directory before any other test runs)
            outcomes = asyncio.run(run_all(end, url))
        finally:
            os.chdir(here)
    finally:
        pg_server.drop_database(postgres_server, name)
    return outcomes


@pytest.mark.parametrize("block", RUNNABLE, ids=lambda block: block.name)
def test_readme_block_runs(block: Block, outcomes: dict[str, str | None]) -> None:
    failure = outcomes[block.name]
    if failure is not None:
        pytest.fail(f"{block.name} fails as a reader runs it:\n{failure}", pytrace=False)


def test_the_illustrative_blocks_are_the_named_ones() -> None:
    shown = [block for block in PYTHON if block.illustrative is not None]
    assert [block.source.splitlines()[0].split("#")[0].strip() for block in shown] == (ILLUSTRATIVE)
    assert all(block.illustrative for block in shown), "an illustrative block says why"


def test_every_name_given_for_the_reader_is_used() -> None:
    # (A name no block uses any more is a stale stand-in, to be removed here.)
    given = reader_data(datetime.now(UTC))
    text = "".join(block.source for block in RUNNABLE)
    assert [name for name in given if not re.search(rf"\b{name}\b", text)] == []
    assert any(SERVED in block.source for block in RUNNABLE)


def test_the_readme_has_python_blocks() -> None:
    # (A parser that stopped finding fences would leave nothing to run.)
    assert len(RUNNABLE) >= 6
