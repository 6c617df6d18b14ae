"""Shared data and checks of the source, store and CLI tests.

`demo_rows()` is a month of the demo's records of every pattern plus a few older ones
(outside the default window), in time order, with timestamps as UTC datetimes.
`api_document()` is what the library itself gives for a pattern's records, the yardstick
every source is held to; `comparable()` drops the fields that differ between two runs
on the same data (timings, correlation id).
"""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from usage_analytics import (
    AnalyticsGranularity,
    ModelUsageAnalyticsInput,
    ModelUsageAnalyticsOutput,
    NodeUsageAnalyticsReducer,
    TimeWindowType,
)
from usage_analytics.cli import main
from usage_analytics.demo import DEMO_PATTERNS, generate_demo_records
from usage_analytics.sources import Fetched, save_records

NOW = datetime(2026, 3, 3, 14, 0, tzinfo=UTC)
NOW_ARG = "2026-03-03T14:00Z"
START = NOW - timedelta(days=30)
GROWING = str(DEMO_PATTERNS[0].pattern_id)  # code-review-assistant
DECLINING = str(DEMO_PATTERNS[3].pattern_id)  # legacy-lint-fixer
PATTERN_IDS = [str(pattern.pattern_id) for pattern in DEMO_PATTERNS]

#: Each compression's writer, by suffix (a record file's compressed copy).
COMPRESS: dict[str, Callable[[bytes], bytes]] = {
    ".gz": gzip.compress,
    ".bz2": bz2.compress,
    ".xz": lzma.compress,
    ".zst": lambda data: _zstd(data),
}

#: Fields of to_dict() that differ between two runs on the same data.
VOLATILE = {("summary", "computation_time_ms"), ("summary", "computed_at"), ("correlation_id",)}


@cache
def _rows() -> tuple[dict[str, Any], ...]:
    records = generate_demo_records(NOW, seed=11)
    rows = [row for pattern_rows in records.values() for row in pattern_rows]
    # Older runs of two patterns: outside the default window of every source.
    for days in (31, 33, 40):
        for pattern_id in (GROWING, DECLINING):
            rows.append(
                {
                    "pattern_id": pattern_id,
                    "timestamp": NOW - timedelta(days=days, hours=3),
                    "success": False,
                    "execution_time_ms": 120.0 * days,
                    "quality_score": 0.5,
                    "quality_gates_passed": True,
                    "timeout": False,
                    "context_type": "archaeology",
                    "agent": "old-timer",
                    "project": "legacy-monolith",
                    "file_path": "old/thing.py",
                }
            )
    return tuple(sorted(rows, key=lambda row: row["timestamp"]))


def _zstd(data: bytes) -> bytes:
    import pyarrow as pa

    compressed: bytes = pa.compress(data, "zstd", asbytes=True)
    return compressed


def demo_rows() -> list[dict[str, Any]]:
    """Fresh copies of the shared rows (see the module docstring)."""
    return [dict(row) for row in _rows()]


def demo_files(directory: Path, kinds: Sequence[str]) -> dict[str, Path]:
    """The demo rows as one file `runs.KIND` in `directory` of each of `kinds`."""
    paths = {kind: directory / f"runs.{kind}" for kind in kinds}
    for path in paths.values():
        save_records(path, demo_rows())
    return paths


def analyse(
    data: Any,
    pattern_id: str,
    start: datetime = START,
    end: datetime = NOW,
    **options: Any,
) -> ModelUsageAnalyticsOutput:
    options.setdefault("time_window_type", TimeWindowType.MONTHLY)
    options.setdefault("granularity", AnalyticsGranularity.DETAILED)
    contract = ModelUsageAnalyticsInput(
        pattern_id=pattern_id,
        time_window_start=start,
        time_window_end=end,
        execution_data=data,
        **options,
    )
    return NodeUsageAnalyticsReducer().execute_reduction_sync(contract)


def contract_for(
    on_invalid: str = "raise", timezone: str = "UTC"
) -> Callable[[Fetched], ModelUsageAnalyticsInput]:
    """A contract per fetched group, as the CLI's batch makes them: the shared window,
    weekly, COMPREHENSIVE."""

    def make(fetched: Fetched) -> ModelUsageAnalyticsInput:
        return ModelUsageAnalyticsInput(
            pattern_id=fetched.pattern_id,
            time_window_start=START,
            time_window_end=NOW,
            time_window_type=TimeWindowType.WEEKLY,
            granularity=AnalyticsGranularity.COMPREHENSIVE,
            execution_data=fetched.data,
            timezone=timezone,
            on_invalid=on_invalid,
        )

    return make


def cli_report(capsys: Any, *argv: str) -> dict[str, Any]:
    """The JSON report of the command `argv` (ended at `NOW_ARG`), comparable across runs:
    an analysis without its timings (`comparable`); a dashboard's has none."""
    assert main([*argv, "--end", NOW_ARG, "--format", "json"]) == 0
    document: dict[str, Any] = json.loads(capsys.readouterr().out)
    return document if "patterns" in document else comparable(document)


def assert_same_reports(capsys: Any, source: str, other: str, *options: str) -> None:
    """`source`'s dashboard and analysis of GROWING are `other`'s (`cli_report`)."""
    for command in (["dashboard"], ["analyze", "--pattern", GROWING]):
        assert cli_report(capsys, *command, source, *options) == cli_report(
            capsys, *command, other, *options
        )


def comparable(document: dict[str, Any]) -> dict[str, Any]:
    """A to_dict() document without the fields that differ from run to run."""
    cleaned: dict[str, Any] = json.loads(json.dumps(document))
    for path in VOLATILE:
        target = cleaned
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
    return cleaned


def metrics_only(document: dict[str, Any]) -> dict[str, Any]:
    """`comparable` without what depends on which records a source hands over beyond the
    window (files: all of a pattern's records; databases: the window's)."""
    cleaned = comparable(document)
    del cleaned["data_quality"]
    del cleaned["summary"]["total_data_points"]
    return cleaned


def records_of(rows: Sequence[dict[str, Any]], pattern_id: str) -> list[dict[str, Any]]:
    return [row for row in rows if row["pattern_id"] == pattern_id]


def in_window(
    rows: Sequence[dict[str, Any]], start: datetime = START, end: datetime = NOW
) -> list[dict[str, Any]]:
    return [row for row in rows if start <= row["timestamp"] <= end]


def api_document(
    rows: Sequence[dict[str, Any]],
    pattern_id: str,
    start: datetime = START,
    end: datetime = NOW,
    **options: Any,
) -> dict[str, Any]:
    """The library's to_dict() of the pattern's rows, `comparable`."""
    mine = records_of(rows, pattern_id)
    return comparable(analyse(mine, pattern_id, start, end, **options).to_dict())
