"""One merge node of `dask_bench.py`'s tree, alone: eight partition states of 2.5M records
over 10,000 patterns (as the Dask run makes them, one seeded partition each) loaded,
merged and written, for callgrind or for timing two builds by alternating processes.

    .venv/bin/python benches/merge_node.py write DIR      # the eight states, into DIR
    .venv/bin/python benches/merge_node.py merge DIR [ROUNDS]
    RAYON_NUM_THREADS=1 valgrind --tool=callgrind --callgrind-out-file=cg.out \\
        .venv/bin/python benches/merge_node.py merge DIR 1

`merge` prints, per round, the milliseconds of `BatchUsageAccumulator.merge_bytes` (each
state merged as it is read, as `usage_analytics.dask` does since session 31), of writing
the result and of dropping it; then, for comparison, of loading the states whole
(`from_bytes`), merging them in place (`merge_in`, as `usage_analytics.dask` did before)
and dropping them. States are written by the build that merges them (the format may
change).
"""

from __future__ import annotations

import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dask_bench
from usage_analytics.dask import _partition_state
from usage_analytics.streaming import BatchUsageAccumulator

PARTITIONS = 8


def write(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    settings = {**dask_bench.SETTINGS, "correlation_id": uuid.UUID(int=1)}
    for i in range(PARTITIONS):
        part = (i, dask_bench.ROWS_PER_PARTITION)
        frame = dask_bench.generate(part, patterns=10_000, seed=5)
        state = _partition_state(frame, settings, "pattern_id")
        (directory / f"state{i}.bin").write_bytes(state)
        print(f"state {i}: {len(state):,} bytes", flush=True)


def merge(directory: Path, rounds: int) -> None:
    blobs = [(directory / f"state{i}.bin").read_bytes() for i in range(PARTITIONS)]
    for _ in range(rounds):
        started = time.perf_counter()
        merged = BatchUsageAccumulator.merge_bytes(blobs)
        merged_at = time.perf_counter()
        written = merged.to_bytes()
        written_at = time.perf_counter()
        del merged
        dropped = time.perf_counter()
        print(
            f"merge_bytes {1000 * (merged_at - started):.0f} write"
            f" {1000 * (written_at - merged_at):.0f} drop {1000 * (dropped - written_at):.0f}"
            f" ms; {len(written):,} bytes",
            flush=True,
        )
        started = time.perf_counter()
        states = [BatchUsageAccumulator.from_bytes(blob) for blob in blobs]
        loaded = time.perf_counter()
        first = states[0]
        for state in states[1:]:
            first.merge_in(state)
        merged_at = time.perf_counter()
        del states, first
        dropped = time.perf_counter()
        print(
            f"  loaded, then merged: load {1000 * (loaded - started):.0f}"
            f" merge {1000 * (merged_at - loaded):.0f} drop {1000 * (dropped - merged_at):.0f} ms",
            flush=True,
        )


def main() -> None:
    action, directory = sys.argv[1], Path(sys.argv[2])
    if action == "write":
        write(directory)
    else:
        merge(directory, int(sys.argv[3]) if len(sys.argv) > 3 else 3)


if __name__ == "__main__":
    main()
