"""Whole batch calls, for A/B runs of two builds: on the 10M-record, 10,000-pattern table,
or (`list`) on the first 1M of its records as a list of dicts over 1,000 patterns.

Run: `.venv/bin/python benches/batch_calls.py [ROUNDS] [list]` prints the min and median of
ROUNDS (default 5) `execute_batch_reduction_sync` calls and the `_core` it loaded. To race
another build, unzip its wheel into DIR and run the same with `PYTHONPATH=DIR` (the
unzipped package shadows the installed one), alternating the two back to back: the
machine drifts.
"""

from __future__ import annotations

import hashlib
import statistics
import sys
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peers.data import WINDOW_END, WINDOW_START, many_patterns_table
from timing import wall_seconds
from usage_analytics import ModelUsageAnalyticsBatchInput, NodeUsageAnalyticsReducer, _core


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    as_list = sys.argv[2:] == ["list"]
    label = "list 1M/1k" if as_list else "batch 10M/10k"
    data = (
        many_patterns_table(1_000_000, 1_000).to_pylist()
        if as_list
        else (many_patterns_table(10_000_000))
    )
    contract = ModelUsageAnalyticsBatchInput(
        time_window_start=WINDOW_START,
        time_window_end=WINDOW_END,
        time_window_type="custom",
        execution_data=data,
    )
    reducer = NodeUsageAnalyticsReducer()
    seconds = wall_seconds(partial(reducer.execute_batch_reduction_sync, contract), rounds)
    core = Path(_core.__file__)
    digest = hashlib.sha256(core.read_bytes()).hexdigest()[:16]
    print(
        f"{label}: min {min(seconds) * 1e3:.0f} ms, median "
        f"{statistics.median(seconds) * 1e3:.0f} ms over {rounds} calls ({core}, sha256 {digest})"
    )


if __name__ == "__main__":
    main()
