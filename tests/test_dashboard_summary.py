"""The dashboard reduces its patterns at SUMMARY (no breakdowns: a third less memory at
100,000 patterns) and the one it shows in full again: its rows, table and document are
those of DETAILED results, and its page keeps the first pattern's breakdowns."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from usage_analytics import ModelUsageAnalyticsBatchInput, NodeUsageAnalyticsReducer
from usage_analytics.cli import main
from usage_analytics.contracts import ModelUsageAnalyticsOutput
from usage_analytics.dashboard import dashboard_document, dashboard_rows, render_dashboard

NOW = datetime(2026, 3, 1, tzinfo=UTC)
#: What differs between two calls, or between the granularities by design.
APART = {
    "computation_time_ms",
    "computed_at",
    "correlation_id",
    "granularity",
    "context_distribution",
}


def _records(rng: random.Random, patterns: int, n: int) -> list[dict[str, Any]]:
    return [
        {
            "pattern_id": f"p{rng.randrange(patterns)}",
            "timestamp": NOW - timedelta(seconds=rng.randrange(40 * 86_400)),
            "success": rng.random() < rng.choice([0.5, 0.9, 1.0]),
            "execution_time_ms": rng.choice([None, rng.random() * 3_000]),
            "quality_score": rng.choice([None, rng.random()]),
            "context_type": rng.choice(["ci", "ide", None]),
            "agent": rng.choice(["a", "b", "c", None]),
            "project": rng.choice(["x", "y", None]),
            "file_path": rng.choice(["x.py", "Makefile", None]),
            "quality_gate_passed": rng.choice([True, False, None]),
        }
        for _ in range(n)
    ]


def _batch(records: list[dict[str, Any]], granularity: str) -> list[ModelUsageAnalyticsOutput]:
    batch = ModelUsageAnalyticsBatchInput(
        execution_data=records,
        time_window_start=NOW - timedelta(days=30),
        time_window_end=NOW,
        granularity=granularity,
        on_invalid="skip",
    )
    return list(NodeUsageAnalyticsReducer().execute_batch_reduction_sync(batch).results.values())


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(0, 600), patterns=st.integers(1, 20))
def test_the_rows_of_summary_results_are_those_of_detailed_ones(
    seed: int, n: int, patterns: int
) -> None:
    records = _records(random.Random(seed), patterns, n)
    summary, detailed = _batch(records, "summary"), _batch(records, "detailed")
    assert [r.model_dump(exclude=APART) for r in summary] == [
        r.model_dump(exclude=APART) for r in detailed
    ]
    rows = [
        dashboard_rows([(str(r.pattern_id), r) for r in results]) for results in (summary, detailed)
    ]
    assert dashboard_document(rows[0]) == dashboard_document(rows[1])
    for width in (60, 120):
        assert render_dashboard(rows[0], width=width) == render_dashboard(rows[1], width=width)


def _jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8") as stream:
        for record in records:
            stream.write(
                json.dumps({**record, "timestamp": record["timestamp"].isoformat()}) + "\n"
            )
    return path


def test_the_page_shows_the_first_patterns_breakdowns(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _jsonl(tmp_path / "runs.jsonl", _records(random.Random(1), 3, 300))
    assert main(["dashboard", str(path), "--format", "html"]) == 0
    page = capsys.readouterr().out
    assert "SUMMARY granularity" not in page
    # Its breakdowns (DETAILED) and the bars of its executions over time (COMPREHENSIVE).
    assert "<h3>Context types</h3>" in page
    assert "<desc>00: " in page  # (runs by hour of day)
    assert "runs per day in each 1 day bucket" in page
