"""`merge_bytes` of the states `merge_node.py write DIR` wrote, and `from_bytes` of each,
timed alone, for racing two builds by alternating processes:

    .venv/bin/python benches/merge_node.py write DIR
    PYTHONPATH=<tree>/python .venv/bin/python benches/merge_bytes_rounds.py DIR [ROUNDS]

Prints the least and the median of ROUNDS (default 5) rounds, in milliseconds.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from usage_analytics.streaming import BatchUsageAccumulator


def main() -> None:
    blobs = [path.read_bytes() for path in sorted(Path(sys.argv[1]).glob("state*.bin"))]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    merged, loaded = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        merge = BatchUsageAccumulator.merge_bytes(blobs)
        merged.append((time.perf_counter() - started) * 1e3)
        del merge
        started = time.perf_counter()
        for blob in blobs:
            state = BatchUsageAccumulator.from_bytes(blob)
            del state
        loaded.append((time.perf_counter() - started) * 1e3)
    results = {f"merge_bytes of {len(blobs)}": merged, f"from_bytes x{len(blobs)}": loaded}
    for what, times in results.items():
        print(f"{what}: {min(times):.0f} / {statistics.median(times):.0f} ms")


if __name__ == "__main__":
    main()
