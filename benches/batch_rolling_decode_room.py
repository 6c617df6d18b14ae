"""What the check before decoding a batch rolling monitor costs its `from_bytes`.

    .venv/bin/python benches/batch_rolling_decode_room.py [ROUNDS]

Saves a batch monitor of 8 MB (10 patterns of 10 hourly buckets holding a million exact
times between them, as `tests/test_batch_rolling_decode_room.py`'s valid one) and loads
it ROUNDS times (default 15) in each of two modes, interleaved round by round in one
process (each first in every other round): unlimited, where the check is one probe of
the most 8 MB could decode to (512 MB) and passes, and under an address-space limit of
64 MB beyond what the process maps, where that probe fails and the pass counting the
payload's decoding runs before it is decoded (`rust/wire/batch_rolling.rs`,
`make_room_to_decode`). Prints each mode's median and least time and the ratio of the
medians. Linux only (`RLIMIT_AS`).
"""

from __future__ import annotations

import resource
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
from usage_analytics import BatchRollingUsageAnalytics

HEADROOM = 64 * 2**20


def saved_monitor() -> bytes:
    rng = np.random.default_rng(7)
    n, seconds = 1_000_000, 36_000
    start = datetime(2024, 1, 1, tzinfo=UTC)
    micros = np.int64(start.timestamp() * 1e6) + rng.integers(0, seconds * 10**6, n)
    table = pa.table(
        {
            "pattern_id": [f"p{i}" for i in rng.integers(0, 10, n)],
            "timestamp": pa.array(micros, pa.timestamp("us", tz="UTC")),
            "success": rng.random(n) < 0.9,
            "execution_time_ms": rng.lognormal(4, 1, n),
        }
    )
    monitor = BatchRollingUsageAnalytics(
        timedelta(hours=24), timedelta(hours=1), exact_budget=100_000
    )
    monitor.add(table)
    return monitor.to_bytes()


def limit() -> None:
    with open("/proc/self/statm") as statm:
        used = int(statm.read().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (used + HEADROOM, resource.RLIM_INFINITY))


def unlimit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    data = saved_monitor()
    BatchRollingUsageAnalytics.from_bytes(data)  # (warm: the core's threads, its reserve)
    times: dict[str, list[float]] = {"unlimited": [], "limited": []}
    for round_ in range(rounds):
        # (Each mode first in every other round: the load after another differs.)
        for mode in sorted(times, reverse=round_ % 2 == 1):
            if mode == "limited":
                limit()
            try:
                started = time.perf_counter()
                BatchRollingUsageAnalytics.from_bytes(data)
                times[mode].append(time.perf_counter() - started)
            finally:
                unlimit()
    print(f"payload {len(data) / 2**20:.1f} MiB, {rounds} rounds")
    for mode, seconds in times.items():
        median, least = statistics.median(seconds), min(seconds)
        print(f"{mode:>9}: median {median * 1e3:.2f} ms, least {least * 1e3:.2f} ms")
    ratio = statistics.median(times["limited"]) / statistics.median(times["unlimited"])
    print(f"limited / unlimited (medians): x{ratio:.2f}")


if __name__ == "__main__":
    main()
