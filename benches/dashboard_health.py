"""The dashboard's Python steps after the batch, timed alone: the health findings of
every pattern, the ranked rows, and each output format's text.

    .venv/bin/python benches/dashboard_health.py SOURCE START END [--rounds N]

SOURCE is a record file, a SQLite file or a postgresql:// URL; START and END the window
(ISO-8601). The DETAILED outputs are made once, as `usage-analytics dashboard` makes
them; then each step runs `--rounds` times (default 3) with the collector paused, as the
command runs them, and the best and worst wall seconds are printed (with the best's CPU
seconds). Run it with `PYTHONPATH`
at two builds' `python/` to compare them.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dashboard_stages import detailed_contract
from timing import timed
from usage_analytics import evaluate_health
from usage_analytics.cli.batch import reduce_patterns
from usage_analytics.cli.output import DASHBOARD_RENDERERS, Analysis, View
from usage_analytics.collector import gc_paused
from usage_analytics.contracts import ModelUsageAnalyticsOutput
from usage_analytics.dashboard import dashboard_rows
from usage_analytics.progress import Progress
from usage_analytics.sources import open_source

T = TypeVar("T")


async def outputs(path: str, start: datetime, end: datetime) -> list[ModelUsageAnalyticsOutput]:
    async with open_source(path) as source:
        groups = await source.fetch_all(start, end)
    return await reduce_patterns(groups, detailed_contract(start, end), path, Progress())


def paused(step: Callable[[], T]) -> T:
    """`step()` with the collector paused, as the command runs it."""
    with gc_paused():
        return step()


def print_rounds(name: str, rounds: int, step: Callable[[], Any]) -> None:
    """The best and worst wall seconds of `rounds` runs of `step`, and the process's CPU
    seconds of the best (on a shared machine, less changed by the others' load)."""
    runs = []
    for _ in range(rounds):
        took, kept = timed(partial(paused, step))
        runs.append(took)
        del kept  # (freed outside the timing, as the command frees it at exit)
    best, worst = min(runs), max(runs)
    print(f"{name:18} {best.wall:6.2f} s best ({best.cpu:.2f} s CPU), {worst.wall:6.2f} s worst")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("source")
    parser.add_argument("start", type=datetime.fromisoformat)
    parser.add_argument("end", type=datetime.fromisoformat)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results = asyncio.run(outputs(args.source, args.start, args.end))
    print(f"{len(results):,} patterns")
    print_rounds("evaluate_health", args.rounds, lambda: [evaluate_health(r) for r in results])
    items = [(str(r.pattern_id), r) for r in results]
    print_rounds("dashboard_rows", args.rounds, lambda: dashboard_rows(items))
    rows = dashboard_rows(items)
    analyses = [Analysis(row.name, row.result) for row in rows]
    view = View(analyses, None, "UTC", 100, True, "heading", rows=rows)
    for form, renderer in DASHBOARD_RENDERERS.items():
        print_rounds(f"render {form}", args.rounds, partial(renderer, view))


if __name__ == "__main__":
    main()
