"""The trend's exact velocity, acceleration and growth (rust/exact_shape.rs) raced against
an older build where finalizing dominates: 10,000 patterns of 100 records each (1M
records), a batch call and its pydantic outputs (`core_ab.py`'s `batch-outputs`, whose
10M records hide a per-pattern cost behind the reading), in two windows:

- `dense`: 90 days of one-day buckets (each pattern's counts an array);
- `sparse`: 30 days of one-minute buckets (43,200: each pattern's occupied buckets a map).

    .venv/bin/python benches/trend_figures.py CASE ROUNDS /tmp/old /tmp/new

(each directory holding `usage_analytics/_core.abi3.so`, as for `core_ab.py`). Prints,
per build, the min and median wall and CPU milliseconds of the call and its outputs.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from core_ab import load_core, race
from peers import data
from usage_analytics import ModelUsageAnalyticsBatchInput
from usage_analytics.ingest import read_any
from usage_analytics.output import batch_output, output_models
from usage_analytics.reducer import core_options

PATTERNS = 10_000
RECORDS = 100 * PATTERNS


def request(case: str) -> ModelUsageAnalyticsBatchInput:
    table = data.many_patterns_table(RECORDS, PATTERNS)
    if case == "dense":
        window: dict[str, Any] = {
            "time_window_start": data.WINDOW_START,
            "time_window_end": data.WINDOW_END,
        }
    else:
        # The table's first 30 days; the rest are records outside the window.
        window = {
            "time_window_start": data.WINDOW_START,
            "time_window_end": data.WINDOW_START + timedelta(days=30),
            "time_window_type": "custom",
            "bucket_width": timedelta(minutes=1),
        }
    return ModelUsageAnalyticsBatchInput(execution_data=table, **window)


def main() -> None:
    case, rounds, builds = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    if case not in ("dense", "sparse"):
        raise SystemExit(f"CASE is dense or sparse, not {case!r}")
    cores = [load_core(build, i) for i, build in enumerate(builds)]
    models = {id(core): output_models(core) for core in cores}
    batch = request(case)
    options = core_options(batch, by_pattern=True)

    def tables_only(records: Any) -> dict[str, Any]:
        raise TypeError(f"trend_figures.py races Arrow tables, not {type(records).__name__}")

    def call(core: ModuleType) -> None:
        raw = read_any(
            batch.execution_data,
            records=tables_only,
            arrow=lambda t, whole: core.reduce_arrow(t, options, None, whole),
            grouped=True,
        )
        batch_output(batch, raw, time.perf_counter(), datetime.now(UTC), models[id(core)])

    race(cores, builds, rounds, call)


if __name__ == "__main__":
    main()
