"""Dask: the cost of computing the numbered graph as helper-285 does (tuning off only
while the graph is optimized, under a lock, then its tasks computed as they are, through
a `Delayed`) against helper-284's way (tuning off around the whole `compute`), raced in
one run on one cluster.

Run (starts its own `distributed.LocalCluster`, as `dask_bench.py`):

    .venv/bin/python benches/dask_untuned_compute.py [--records 2_000_000] [--rounds 5]

The frame is `dask_partition_numbers.py`'s Parquet case (`--files` files of the records
plus 20 columns the analytics do not read), where the untuned graph matters: both
contenders read one file a task. (Since helper-291 `_compute_state` keeps the files
fused where no record is invalid: "now" is helper-285's, `dask_partition_numbers.
untuned_compute`.) Contenders alternate, round by round; the first round
is not timed (warm-up); each row gives least / median seconds.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dask
import dask.dataframe as dd
from dask_bench import SETTINGS, local_cluster
from dask_partition_numbers import parquet_files, untuned_compute
from distributed import Client
from timing import Took, timed
from usage_analytics import dask as ua_dask

COMPUTE_STATE = ua_dask._compute_state
NOW = untuned_compute


def around_compute(lazy: Any, numbered: bool) -> Any:
    """helper-284's `_compute_state`: the setting off for the whole compute (which left it
    off for the process when two calls in two threads interleaved)."""
    if not numbered:
        return lazy.compute()
    with dask.config.set({"optimization.tune.active": False}):
        return lazy.compute()


def analyzed(directory: str, contender: str) -> Any:
    ua_dask._compute_state = NOW if contender == "now" else around_compute
    try:
        return ua_dask.analyze(dd.read_parquet(directory), **SETTINGS)
    finally:
        ua_dask._compute_state = COMPUTE_STATE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=2_000_000)
    parser.add_argument("--patterns", type=int, default=1_000)
    parser.add_argument("--files", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    took: dict[str, list[Took]] = {"around compute": [], "now": []}
    with (
        local_cluster(2, 1) as cluster,
        Client(cluster),
        tempfile.TemporaryDirectory() as directory,
    ):
        parquet_files(Path(directory), args.records, args.files, args.patterns)
        for round_number in range(args.rounds + 1):
            order = list(took) if round_number % 2 == 0 else list(reversed(took))
            for name in order:
                seconds, batch = timed(functools.partial(analyzed, directory, name))
                assert batch.results
                if round_number:
                    took[name].append(seconds)
    print(
        f"\n## Untuned compute: {args.records:,} records, {args.patterns:,} patterns, "
        f"{args.files} Parquet files, 2 workers x 1 thread, {args.rounds} rounds\n"
    )
    print("| contender | s (least / median) |")
    print("|---|---:|")
    for name, times in took.items():
        walls = [t.wall for t in times]
        print(f"| {name} | {min(walls):.2f} / {statistics.median(walls):.2f} |")
    now, before = (statistics.median(t.wall for t in took[k]) for k in ("now", "around compute"))
    print(f"\nnow / around compute: {now / before:.3f} (medians)")


if __name__ == "__main__":
    main()
