"""One partition task of `dask_bench.py`, alone and split in its steps: a 2.5M-record,
10,000-pattern partition (seeded as the Dask run makes it) turned into Arrow, fed to a
`BatchUsageAccumulator`, serialized and dropped, with the wall time, the process's kernel
time and the pages it faulted in for each step.

    MALLOC_TRIM_THRESHOLD_=65536 RAYON_NUM_THREADS=1 \\
        .venv/bin/python benches/partition_state.py [ROUNDS]

Set the environment as Dask's nanny sets it for its workers (`MALLOC_TRIM_THRESHOLD_`,
`distributed.nanny.pre-spawn-environ`; one core per worker thread): it stops glibc from
keeping large freed blocks, which is what the Rust core's own allocator (jemalloc,
`rust/allocator.rs`) is for. Two builds are compared by alternating processes, each with
its build first on `PYTHONPATH` (BENCHMARKS.md, session 23); the first round of a process
pays for first touches and is best left out.
"""

from __future__ import annotations

import resource
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dask_bench
from usage_analytics.dask import _as_records
from usage_analytics.streaming import BatchUsageAccumulator


def mark() -> tuple[float, float, int]:
    """(wall seconds, kernel seconds, minor page faults) of the process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return time.perf_counter(), usage.ru_stime, usage.ru_minflt


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 4
    settings = {**dask_bench.SETTINGS, "correlation_id": uuid.UUID(int=1)}
    part = (0, dask_bench.ROWS_PER_PARTITION)
    frame = dask_bench.generate(part, patterns=10_000, seed=5)
    for _ in range(rounds):
        marks = [mark()]
        table = _as_records(frame, "pattern_id")
        marks.append(mark())
        accumulator = BatchUsageAccumulator(**settings)
        accumulator.update(table)
        marks.append(mark())
        state = accumulator.to_bytes()
        marks.append(mark())
        del accumulator, table, state
        marks.append(mark())
        steps = zip(("arrow", "update", "to_bytes", "drop"), marks, marks[1:], strict=False)
        print(
            " | ".join(
                f"{name} {1000 * (b[0] - a[0]):.0f} ms sys {1000 * (b[1] - a[1]):.0f} "
                f"faults {b[2] - a[2]}"
                for name, a, b in steps
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
