"""`merge_bytes` of the states `merge_node.py write DIR` wrote, and `from_bytes` of each,
timed alone, for racing two builds by alternating processes:

    .venv/bin/python benches/merge_node.py write DIR
    PYTHONPATH=<tree>/python .venv/bin/python benches/merge_bytes_rounds.py DIR [ROUNDS]

Prints the least and the median of ROUNDS (default 5) rounds, in milliseconds.
"""

from __future__ import annotations

import statistics
import sys
from functools import partial
from pathlib import Path

from timing import timed, wall_seconds
from usage_analytics.streaming import BatchUsageAccumulator


def main() -> None:
    blobs = [path.read_bytes() for path in sorted(Path(sys.argv[1]).glob("state*.bin"))]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5

    def load_each() -> None:
        for blob in blobs:
            state = BatchUsageAccumulator.from_bytes(blob)
            del state  # (each freed inside the timing, before the next is loaded)

    merged, loaded = [], []
    for _ in range(rounds):
        took, merge = timed(partial(BatchUsageAccumulator.merge_bytes, blobs))
        merged.append(took.wall * 1e3)
        del merge  # (freed outside the timing)
        loaded.append(wall_seconds(load_each, 1)[0] * 1e3)
    results = {f"merge_bytes of {len(blobs)}": merged, f"from_bytes x{len(blobs)}": loaded}
    for what, times in results.items():
        print(f"{what}: {min(times):.0f} / {statistics.median(times):.0f} ms")


if __name__ == "__main__":
    main()
