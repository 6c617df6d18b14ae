"""Dask: the cost of naming partitions (`usage_analytics.dask`'s numbered graph) against
the plain `reduction` graph, raced in one run on one cluster.

Run (starts its own `distributed.LocalCluster`, as `dask_bench.py`):

    .venv/bin/python benches/dask_partition_numbers.py [--records 8_000_000] [--rounds 5]
        [--frames generated,persisted,parquet,invalid]

A frame whose partitions each number their rows from 0 (`_numbers_may_repeat`) is
analyzed through `map_partitions` (which tells a task its partition's number) and the
same tree merge. Contenders, alternating round by round; each row gives least / median
seconds:

- plain: the graph without numbers: the same call with `_numbers_may_repeat` patched to
  say no, on the client (the tasks never call it), computed tuned (Parquet files fused).
- untuned: helper-284/285's way: every numbered graph computed without Dask's tuning
  (which fuses Parquet files into fewer partitions when few columns are read), one file
  a task (`untuned_compute`, the `_compute_state` of then).
- now: `_compute_state`: the tuned graph where it fused nothing or its tasks refused no
  record, else the untuned graph too (the invalid case computes twice).

Frames:

- generated: `dask_bench.py`'s frame (`dd.from_map`, records generated on the workers,
  a RangeIndex from 0 in every partition), nothing persisted.
- persisted: the same frame persisted on the workers.
- parquet: `--files` Parquet files of the same records plus 20 columns the analytics do
  not read, in a temporary directory: tuning fuses them into fewer partitions.
- invalid: the same files, one record of the first with a quality score of 1.5,
  analyzed with `on_invalid="skip"` (its sample must name its file's partition).
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

import dask
import dask.dataframe as dd
import pandas as pd
from dask_bench import SETTINGS, generate, local_cluster, records_frame, waited
from distributed import Client
from timing import Took, timed
from usage_analytics import dask as ua_dask

NUMBERED: Callable[[Any], bool] = ua_dask._numbers_may_repeat
NOW = ua_dask._compute_state
CONTENDERS = ("plain", "untuned", "now")


def untuned_compute(lazy: Any, numbered: bool) -> Any:
    """helper-285's `_compute_state`: a numbered graph optimized without tuning (under
    the lock, the setting off only meanwhile), its tasks computed as they are."""
    optimize = getattr(lazy, "optimize", None)
    if not numbered or optimize is None:
        return lazy.compute()
    with ua_dask._UNTUNED_OPTIMIZING, dask.config.set({"optimization.tune.active": False}):
        optimized = optimize()
    return ua_dask._computed(optimized)


def analyzed(ddf: Any, contender: str, **settings: Any) -> Any:
    """`analyze(ddf)` as `contender` computes it (`CONTENDERS`)."""
    if contender == "plain":
        ua_dask._numbers_may_repeat = lambda _ddf: False  # type: ignore[assignment]
    if contender == "untuned":
        ua_dask._compute_state = untuned_compute
    try:
        return ua_dask.analyze(ddf, **SETTINGS, **settings)
    finally:
        ua_dask._numbers_may_repeat = NUMBERED  # type: ignore[assignment]
        ua_dask._compute_state = NOW


def parquet_files(directory: Path, records: int, files: int, patterns: int) -> None:
    rows = records // files
    for number in range(files):
        frame = generate((number, rows), patterns=patterns, seed=7)
        frame = frame.assign(**{f"extra_{i}": float(i) for i in range(20)})
        frame.to_parquet(directory / f"part-{number:04}.parquet", index=False)


def with_one_invalid_record(directory: Path) -> None:
    """Its first file with a quality score of 1.5 at one row."""
    path = sorted(directory.glob("*.parquet"))[0]
    frame = pd.read_parquet(path)
    frame.loc[len(frame) // 2, "quality_score"] = 1.5
    frame.to_parquet(path, index=False)


def race(frame: Callable[[], Any], rounds: int, **settings: Any) -> dict[str, list[Took]]:
    """Each contender once a round, rotating which goes first."""
    took: dict[str, list[Took]] = {name: [] for name in CONTENDERS}
    for round_number in range(rounds):
        shift = round_number % len(CONTENDERS)
        for name in CONTENDERS[shift:] + CONTENDERS[:shift]:
            seconds, batch = timed(functools.partial(_analyzed_frame, frame, name, settings))
            assert batch.results
            took[name].append(seconds)
            del batch
    return took


def _analyzed_frame(frame: Callable[[], Any], contender: str, settings: dict[str, Any]) -> Any:
    return analyzed(frame(), contender, **settings)


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=8_000_000)
    parser.add_argument("--patterns", type=int, default=1_000)
    parser.add_argument("--partitions", type=int, default=16)
    parser.add_argument("--files", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--frames", default="generated,persisted,parquet,invalid")
    args = parser.parse_args()
    frames = args.frames.split(",")
    rows: list[tuple[str, dict[str, list[Took]]]] = []
    with (
        local_cluster(2, 1) as cluster,
        Client(cluster),
        tempfile.TemporaryDirectory() as directory,
    ):
        generated = functools.partial(
            records_frame, args.records, args.patterns, args.partitions, 5
        )
        for name in CONTENDERS:  # warm up, not timed
            analyzed(records_frame(20_000, 50, 4, 6), name)
        load = os.getloadavg()[0]
        if "generated" in frames:
            rows.append(("generated", race(generated, args.rounds)))
        if "persisted" in frames:
            persisted = waited(generated().persist())
            rows.append(("persisted", race(functools.partial(_same, persisted), args.rounds)))
            persisted = None
        parquet_files(Path(directory), args.records, args.files, args.patterns)
        assert dd.read_parquet(directory).npartitions == args.files
        read = functools.partial(dd.read_parquet, directory)
        if "parquet" in frames:
            rows.append(("parquet", race(read, args.rounds)))
        if "invalid" in frames:
            with_one_invalid_record(Path(directory))
            rows.append(("invalid", race(read, args.rounds, on_invalid="skip")))
    print(
        f"\n## Dask partition numbers: {args.records:,} records, {args.patterns:,} patterns, "
        f"{args.partitions} partitions ({args.files} Parquet files), 2 workers x 1 thread, "
        f"{args.rounds} rounds; load average at start {load:.2f}\n"
    )
    print("| frame | plain s | untuned s | now s | untuned / plain | now / plain | now / untuned |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, took in rows:
        walls = {key: [t.wall for t in took[key]] for key in CONTENDERS}
        medians = {key: _median(values) for key, values in walls.items()}
        cells = " | ".join(f"{min(walls[key]):.2f} / {medians[key]:.2f}" for key in CONTENDERS)
        print(
            f"| {name} | {cells} | {medians['untuned'] / medians['plain']:.3f} | "
            f"{medians['now'] / medians['plain']:.3f} | "
            f"{medians['now'] / medians['untuned']:.3f} |"
        )
    print("\n(seconds: least / median; ratios of medians)")


def _same(value: Any) -> Any:
    return value


if __name__ == "__main__":
    main()
