"""Dask: the cost of naming partitions (`usage_analytics.dask`'s numbered graph) against
the plain `reduction` graph, raced in one run on one cluster.

Run (starts its own `distributed.LocalCluster`, as `dask_bench.py`):

    .venv/bin/python benches/dask_partition_numbers.py [--records 8_000_000] [--rounds 5]

A frame whose partitions each number their rows from 0 (`_numbers_may_repeat`) is
analyzed through `map_partitions` (which tells a task its partition's number) and the
same tree merge, computed without Dask's tuning of the graph (which fuses Parquet files
into fewer partitions when few columns are read). "plain" is the graph before: the same
call with `_numbers_may_repeat` patched to say no, on the client (the tasks never call
it). Contenders alternate, round by round; each row gives least / median seconds.

- generated: `dask_bench.py`'s frame (`dd.from_map`, records generated on the workers,
  a RangeIndex from 0 in every partition), nothing persisted.
- persisted: the same frame persisted on the workers.
- parquet: `--files` Parquet files of the same records plus 20 columns the analytics do
  not read, in a temporary directory: plain fuses them into fewer partitions (Dask's
  tuning), numbered reads one file a partition.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dask.dataframe as dd
from dask_bench import SETTINGS, generate, local_cluster, records_frame, waited
from distributed import Client
from timing import Took, timed
from usage_analytics import dask as ua_dask

NUMBERED: Callable[[Any], bool] = ua_dask._numbers_may_repeat


def analyzed(ddf: Any, *, numbered: bool) -> Any:
    """`analyze(ddf)` through the numbered graph, or the plain one."""
    ua_dask._numbers_may_repeat = NUMBERED if numbered else (lambda _ddf: False)  # type: ignore[assignment]
    try:
        return ua_dask.analyze(ddf, **SETTINGS)
    finally:
        ua_dask._numbers_may_repeat = NUMBERED  # type: ignore[assignment]


def parquet_files(directory: Path, records: int, files: int, patterns: int) -> None:
    rows = records // files
    for number in range(files):
        frame = generate((number, rows), patterns=patterns, seed=7)
        frame = frame.assign(**{f"extra_{i}": float(i) for i in range(20)})
        frame.to_parquet(directory / f"part-{number:04}.parquet", index=False)


def race(frame: Callable[[], Any], rounds: int) -> dict[str, list[Took]]:
    """Each contender once a round, alternating which goes first."""
    took: dict[str, list[Took]] = {"plain": [], "numbered": []}
    for round_number in range(rounds):
        order = ["plain", "numbered"] if round_number % 2 == 0 else ["numbered", "plain"]
        for name in order:
            numbered = name == "numbered"
            seconds, batch = timed(functools.partial(_analyzed_frame, frame, numbered))
            assert batch.results
            took[name].append(seconds)
            del batch
    return took


def _analyzed_frame(frame: Callable[[], Any], numbered: bool) -> Any:
    return analyzed(frame(), numbered=numbered)


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=8_000_000)
    parser.add_argument("--patterns", type=int, default=1_000)
    parser.add_argument("--partitions", type=int, default=16)
    parser.add_argument("--files", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    rows: list[tuple[str, dict[str, list[Took]]]] = []
    with (
        local_cluster(2, 1) as cluster,
        Client(cluster),
        tempfile.TemporaryDirectory() as directory,
    ):
        generated = functools.partial(
            records_frame, args.records, args.patterns, args.partitions, 5
        )
        analyzed(records_frame(20_000, 50, 4, 6), numbered=True)  # warm up, not timed
        analyzed(records_frame(20_000, 50, 4, 6), numbered=False)
        load = os.getloadavg()[0]
        rows.append(("generated", race(generated, args.rounds)))
        persisted = waited(generated().persist())
        rows.append(("persisted", race(functools.partial(_same, persisted), args.rounds)))
        persisted = None
        parquet_files(Path(directory), args.records, args.files, args.patterns)
        assert dd.read_parquet(directory).npartitions == args.files
        rows.append(("parquet", race(functools.partial(dd.read_parquet, directory), args.rounds)))
    print(
        f"\n## Dask partition numbers: {args.records:,} records, {args.patterns:,} patterns, "
        f"{args.partitions} partitions ({args.files} Parquet files), 2 workers x 1 thread, "
        f"{args.rounds} rounds; load average at start {load:.2f}\n"
    )
    print("| frame | plain s (least / median) | numbered s (least / median) | numbered / plain |")
    print("|---|---:|---:|---:|")
    for name, took in rows:
        plain, numbered = ([t.wall for t in took[key]] for key in ("plain", "numbered"))
        print(
            f"| {name} | {min(plain):.2f} / {_median(plain):.2f} | {min(numbered):.2f} / "
            f"{_median(numbered):.2f} | {_median(numbered) / _median(plain):.3f} (medians) |"
        )


def _same(value: Any) -> Any:
    return value


if __name__ == "__main__":
    main()
