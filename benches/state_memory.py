"""Resident memory held by live streaming states: N `BatchUsageAccumulator`s, each updated
once with the same table, kept alive together, as a monitor keeps one state per service.

    .venv/bin/python benches/state_memory.py [STATES] [RECORDS] [PATTERNS]

Defaults: 16 states, 1,000,000 records (`peers.data.many_patterns_table`) over 50
patterns. Prints the RSS the live states hold above the process's RSS before the first
(after a warm-up update and freed heap returned; the table excluded), their serialized
size, and the time of one `merge` of two of them (a merge copies the first state). What
a state holds should follow its serialized size, not the records it was updated with.
MB = 10^6 bytes.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peers import data
from peers.memory import _release_free_memory, _status_kb
from usage_analytics import BatchUsageAccumulator


def main() -> None:
    states, records, patterns = (
        int(arg) for arg in (sys.argv[1:] + ["16", "1000000", "50"][len(sys.argv) - 1 :])
    )
    window = (data.WINDOW_START, data.WINDOW_END)
    table = data.many_patterns_table(records, patterns)
    data.clear_cache()
    BatchUsageAccumulator(*window).update(data.many_patterns_table(1_000, 5))  # warm-up
    _release_free_memory()
    before = _status_kb("VmRSS")
    live = []
    for _ in range(states):
        state = BatchUsageAccumulator(*window)
        state.update(table)
        live.append(state)
    held_mb = (_status_kb("VmRSS") - before) * 1024 / 1e6
    started = time.perf_counter()
    live[0].merge(live[1 % states])
    merge_ms = (time.perf_counter() - started) * 1000
    print(
        f"{states} states of {patterns:,} patterns, each updated with {records:,} records: "
        f"{held_mb:,.0f} MB held, {len(live[0].to_bytes()):,} bytes serialized each, "
        f"one merge {merge_ms:.1f} ms"
    )


if __name__ == "__main__":
    main()
