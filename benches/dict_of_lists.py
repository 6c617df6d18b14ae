"""The same records as a list of dicts, a dict of lists and a pyarrow table, reduced one
after another in one process (the reducer's synchronous call, one pattern), so that
their ratios hold on a noisy machine:

    .venv/bin/python benches/dict_of_lists.py [RECORDS] [ROUNDS]

Timestamps are `datetime`s in `datetime.UTC` (what `datetime.now(UTC)` gives a service),
then in `zoneinfo.ZoneInfo("UTC")` (what pyarrow's and pandas' `to_pylist`/`to_dict` give),
then in `ZoneInfo("Europe/Berlin")` (a zone with summer time: offsets asked of the zone).
Two builds are compared by running the script under each one's `PYTHONPATH`
(BENCHMARKS.md).
"""

from __future__ import annotations

import statistics
import sys
from datetime import UTC, datetime, timedelta, tzinfo
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import pyarrow as pa
from timing import interleaved, walls
from usage_analytics import ModelUsageAnalyticsInput, NodeUsageAnalyticsReducer

START = datetime(2026, 1, 1, tzinfo=UTC)
END = START + timedelta(days=30)


def columns(n: int, zone: Any) -> dict[str, list[Any]]:
    """N records' columns: times over the window (in `zone`; None: naive), shared name
    objects (as a service's records share their constants), a tenth of them failed, some
    without a score."""
    rng = np.random.default_rng(0)
    # (zone None: naive times, as UTC; `astimezone(None)` would give the machine's zone)
    base = START.replace(tzinfo=None) if zone is None else START.astimezone(zone)
    seconds = rng.integers(0, 30 * 86_400, n).tolist()
    names = {
        "context_type": ["debugging", "review", "deploy"],
        "agent": [f"agent-{i}" for i in range(20)],
        "project": [f"project-{i}" for i in range(5)],
        "file_path": [f"src/module_{i}.py" for i in range(200)],
    }
    data: dict[str, list[Any]] = {
        "timestamp": [base + timedelta(seconds=s) for s in seconds],
        "success": (rng.random(n) < 0.9).tolist(),
        "execution_time_ms": rng.gamma(2.0, 100.0, n).tolist(),
        "quality_score": [None if q < 0.05 else q for q in rng.random(n).tolist()],
    }
    for field, values in names.items():
        data[field] = [values[i] for i in rng.integers(0, len(values), n).tolist()]
    return data


def reduce(data: Any) -> int:
    contract = ModelUsageAnalyticsInput(
        pattern_id="p", time_window_start=START, time_window_end=END, execution_data=data
    )
    result = NodeUsageAnalyticsReducer().execute_reduction_sync(contract)
    return result.usage_metrics.total_executions


def reduced_to(n: int, data: Any) -> None:
    """`reduce(data)`, checked to have counted `n` records (the check timed with it)."""
    assert reduce(data) == n


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    zones: tuple[tuple[str, tzinfo], ...] = (
        ("datetime.UTC", UTC),
        ("ZoneInfo('UTC')", ZoneInfo("UTC")),
    )
    zones += (("ZoneInfo('Europe/Berlin')", ZoneInfo("Europe/Berlin")),)
    for label, zone in zones:
        lists = columns(n, zone)
        forms = {
            "list of dicts": [
                dict(zip(lists, row, strict=True)) for row in zip(*lists.values(), strict=True)
            ],
            "dict of lists": lists,
            "pyarrow table": pa.table(lists),
        }
        calls = {form: partial(reduced_to, n, data) for form, data in forms.items()}
        times = {form: walls(taken) for form, taken in interleaved(calls, rounds).items()}
        records = statistics.median(times["list of dicts"])
        print(f"{n:,} records, timestamps in {label}: median (min) of {rounds}")
        for form, spent in times.items():
            median = statistics.median(spent)
            print(
                f"  {form:14} {median * 1e3:8.1f} ms ({min(spent) * 1e3:.1f})"
                f"  {median / records:5.2f}x the list of dicts"
            )


if __name__ == "__main__":
    main()
