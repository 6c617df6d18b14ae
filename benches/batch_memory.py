"""Where a batch reduction's peak memory goes: the peak added by each stage of the call.

    .venv/bin/python benches/batch_memory.py [RECORDS] [PATTERNS]

Defaults: the columnar benchmark's batch, 10,000,000 records over 10,000 patterns
(`peers.data.many_patterns_table`). Each stage runs once in a fresh interpreter, measured
as `peers.memory` measures (after a warm-up call, freed heap returned, the RSS high-water
mark reset before the call):

- `read`: the records read into the patterns' accumulators (the core's grouped read; the
  core starts finalizing the patterns on its threads as the read ends, so the figures may
  include part of that);
- `finalize`: then every pattern finalized, the core's results kept;
- `outputs`: then the `ModelUsageAnalyticsOutput`s built (the whole call).

Each line gives the peak added, what the process held with the stage's result alive, and
what it still held once that was dropped (memory the allocators keep for the next call).
Growing RECORDS at fixed PATTERNS gives the cost per record; growing PATTERNS, per pattern.
MB = 10^6 bytes, as in BENCHMARKS.md.
"""

from __future__ import annotations

import gc
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peers import data
from peers.memory import _release_free_memory, _reset_high_water_mark, _status_kb

STAGES = ("read", "finalize", "outputs")


def run_stage(stage: str, table: Any) -> Any:
    """The batch call on `table`, stopped after `stage`; what it made."""
    from usage_analytics import ModelUsageAnalyticsBatchInput
    from usage_analytics.ingest import reduce_any
    from usage_analytics.output import batch_output
    from usage_analytics.reducer import core_options

    started = time.perf_counter()
    window = {"time_window_start": data.WINDOW_START, "time_window_end": data.WINDOW_END}
    contract = ModelUsageAnalyticsBatchInput(execution_data=table, **window)
    raw = reduce_any(table, core_options(contract, by_pattern=True))
    if stage == "read":
        return raw
    raw["groups"] = list(raw.pop("groups", ()))
    if stage == "finalize":
        return raw
    return batch_output(contract, raw, started, datetime.now(UTC))


def probe(stage: str, records: int, patterns: int) -> str:
    """Run in the child: one stage measured."""
    run_stage(stage, data.many_patterns_table(1_000, 10))  # imports, one-time setup
    table = data.many_patterns_table(records, patterns)
    data.clear_cache()
    _release_free_memory()
    if not _reset_high_water_mark():
        raise SystemExit("this kernel refuses to reset VmHWM (/proc/self/clear_refs)")
    before = _status_kb("VmHWM")
    result = run_stage(stage, table)
    peak, held = _status_kb("VmHWM"), _status_kb("VmRSS")
    del result
    gc.collect()
    after = _status_kb("VmRSS")
    mb = [(kb - before) * 1024 / 1e6 for kb in (peak, held, after)]
    return (
        f"{stage:>8}: peak added {mb[0]:4.0f} MB, held with its result {mb[1]:4.0f} MB, "
        f"after dropping it {mb[2]:4.0f} MB"
    )


def main() -> None:
    if sys.argv[1:2] == ["--stage"]:
        stage, records, patterns = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        print(probe(stage, records, patterns))
        return
    records = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    patterns = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    print(f"{records:,} records over {patterns:,} patterns")
    for stage in STAGES:
        child = [sys.executable, __file__, "--stage", stage, str(records), str(patterns)]
        done = subprocess.run(child, capture_output=True, text=True, check=False)
        print(done.stdout.rstrip() if done.returncode == 0 else done.stderr.strip(), flush=True)


if __name__ == "__main__":
    main()
