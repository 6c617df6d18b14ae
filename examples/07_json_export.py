"""Example 7: export to JSON -- hand analytics to external systems.

`to_dict()` gives a JSON-ready dict (full
precision; round for display only) and `to_json()` serializes it. The shape:

    pattern_id, correlation_id,
    time_window {start, end, type, granularity, timezone},
    usage_metrics, success_metrics,
    performance_metrics, trend_analysis, context_distribution   (null when skipped),
    summary {total_data_points, analytics_quality_score, computation_time_ms, computed_at},
    data_quality {records_received, records_in_window, records_outside_window,
                  invalid_records, error_samples}

This example also feeds two broken records with `on_invalid="skip"`: they are
left out of the metrics and reported, with samples, under `data_quality`
(the default, `on_invalid="raise"`, raises `InvalidRecordError` instead).

Run:  python examples/07_json_export.py [output.json]
      (without an argument the file goes to the system's temp directory)
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from usage_analytics import (
    ModelUsageAnalyticsInput,
    NodeUsageAnalyticsReducer,
    TimeWindowType,
)

NOW = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
START = NOW - timedelta(days=7)


def generate_executions(seed: int = 7, count: int = 150) -> list[dict[str, Any]]:
    """A week of executions, as they come from a database: ISO-8601 strings for
    timestamps work as well as datetimes."""
    rng = random.Random(seed)
    records: list[dict[str, Any]] = [
        {
            "timestamp": (START + timedelta(seconds=rng.uniform(0, 7 * 86_400))).isoformat(),
            "success": rng.random() < 0.9,
            "execution_time_ms": round(rng.uniform(20, 600), 1),
            "quality_score": round(rng.uniform(0.6, 1.0), 3),
            "context_type": rng.choice(["cli", "ci", "ide"]),
            "agent": f"user-{rng.randrange(8)}",
            "project": rng.choice(["alpha", "beta"]),
            "file_path": rng.choice(["main.go", "lib/util.rs", "setup.cfg"]),
        }
        for _ in range(count)
    ]
    # Two records an upstream bug produced: no timestamp, and a negative duration.
    records.append({"success": True, "execution_time_ms": 12.0})
    records.append({"timestamp": NOW.isoformat(), "success": True, "execution_time_ms": -5.0})
    return records


async def main() -> None:
    target = (
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else Path(tempfile.gettempdir()) / "usage-analytics-example.json"
    )
    records = generate_executions()
    contract = ModelUsageAnalyticsInput(
        pattern_id="lint-autofix",
        time_window_start=START,
        time_window_end=NOW,
        time_window_type=TimeWindowType.WEEKLY,
        on_invalid="skip",
        execution_data=records,
    )
    result = await NodeUsageAnalyticsReducer().execute_reduction(contract)

    exported = result.to_dict()
    target.write_text(result.to_json(indent=2), encoding="utf-8")

    print(f"Wrote {target} ({target.stat().st_size} bytes)")
    print(f"Top-level keys: {', '.join(exported)}")
    print(f"time_window: {exported['time_window']}")
    print(f"usage_metrics.total_executions: {exported['usage_metrics']['total_executions']}")
    print(f"success_metrics.success_rate: {exported['success_metrics']['success_rate']}")
    print(f"trend_analysis.trend_type: {exported['trend_analysis']['trend_type']}")
    print(f"summary.total_data_points: {exported['summary']['total_data_points']}")
    quality = exported["data_quality"]
    print(f"data_quality.invalid_records: {quality['invalid_records']}")
    for sample in quality["error_samples"]:
        index, field, reason = sample["index"], sample["field"], sample["reason"]
        print(f"  record {index}: {field} = {sample['value']} ({reason})")

    # Round trip: what an external system reads back.
    loaded = json.loads(target.read_text(encoding="utf-8"))
    print(f"Round trip equal: {loaded == exported}")


if __name__ == "__main__":
    asyncio.run(main())
