"""Dask: `usage_analytics.dask.analyze` against dask.dataframe's own groupby-aggregate.

Run (not a pytest benchmark; it starts its own `distributed.LocalCluster`):

    .venv/bin/python benches/dask_bench.py --records 100_000_000 --patterns 10_000 \
        --workers 2 [--partitions N]       # default N: 2.5M records (~100 MB) each
    .venv/bin/python benches/dask_bench.py --quick      # 1M records, 1k patterns, checked

The records are generated on the workers (`dd.from_map`, one seeded numpy generator per
partition; the client only builds the graph): pattern_id int64 (uniform), timestamp
datetime64[us] uniform in a 30-day window, success bool (95 %), execution_time_ms
lognormal, quality_score uniform, context_type / agent / project categoricals.

Contenders, each timed twice: generate + compute with nothing persisted, then on a
persisted frame (generation not measured).

- ours: `analyze` with every family (usage, success, performance, trend with predictions,
  context distribution; `--granularity comprehensive` adds the per-bucket time series:
  30 daily buckets per pattern, each a pydantic model built in finalize): per-partition
  accumulators, a tree merge on the workers (fan-in `--split-every`), finalize on the
  client. Each worker thread runs the core single-threaded (RAYON_NUM_THREADS), as
  pandas does.
- dask: `groupby("pattern_id").execution_time_ms.agg(...)` computing count, mean, std and
  p50/p95/p99. dask.dataframe has no per-group quantile (only `groupby().median()`, exact
  and shuffle-based; `Series.quantile` is approximate but not per group), so the
  quantiles are a custom `dd.Aggregation`, tree-reduced like the rest: each partition's
  per-group quantile (pandas), averaged over partitions weighted by the group's count.
  Cheap, but with no error bound; it computes far less than ours.

Then: the merge cost (the per-partition states persisted on the workers; the tree merge
alone, on the workers, then finalize on the client, each timed), the bytes of state per
pattern (one partition's state and the merged one), and a check that both contenders
agree on count, mean and std (and, with --check, each one's percentile error against
exact per-group quantiles, computed with a shuffle). Prints markdown tables.
"""

from __future__ import annotations

import argparse
import functools
import logging
import math
import os
import platform
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dask.dataframe as dd
import numpy as np
import pandas as pd
from dask.delayed import delayed
from distributed import Client, LocalCluster, wait
from timing import timed
from usage_analytics.dask import _merge_states, _partition_state, analyze
from usage_analytics.streaming import BatchUsageAccumulator

T = TypeVar("T")
START = datetime(2026, 1, 1, tzinfo=UTC)
END = START + timedelta(days=30)
SETTINGS: dict[str, Any] = {
    "time_window_start": START,
    "time_window_end": END,
    "time_window_type": "monthly",
    "granularity": "detailed",
    "include_trends": True,
    "include_performance": True,
    "include_distribution": True,
    "include_predictions": True,
}
CONTEXTS = ["chat", "batch", "cli", "api"]
AGENTS = [f"agent-{i}" for i in range(20)]
PROJECTS = [f"project-{i}" for i in range(8)]
QUANTILES = (0.5, 0.95, 0.99)
META = pd.DataFrame(
    {
        "pattern_id": np.array([], dtype=np.int64),
        "timestamp": np.array([], dtype="datetime64[us]"),
        "success": np.array([], dtype=bool),
        "execution_time_ms": np.array([], dtype=np.float64),
        "quality_score": np.array([], dtype=np.float64),
        "context_type": pd.Categorical([], categories=CONTEXTS),
        "agent": pd.Categorical([], categories=AGENTS),
        "project": pd.Categorical([], categories=PROJECTS),
    }
)


# --------------------------------------------------------------- generated on workers


def generate(part: tuple[int, int], *, patterns: int, seed: int) -> pd.DataFrame:
    """Partition `index` of the records: `rows` of them, from its own seeded generator."""
    index, rows = part
    rng = np.random.default_rng([seed, index])
    start_us = (START - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    span_us = (END - START) // timedelta(microseconds=1)
    return pd.DataFrame(
        {
            "pattern_id": rng.integers(0, patterns, rows, dtype=np.int64),
            "timestamp": (start_us + rng.integers(0, span_us, rows)).astype("datetime64[us]"),
            "success": rng.random(rows) < 0.95,
            "execution_time_ms": rng.lognormal(4.0, 0.8, rows),
            "quality_score": rng.random(rows),
            "context_type": pd.Categorical.from_codes(
                rng.integers(0, len(CONTEXTS), rows), categories=CONTEXTS
            ),
            "agent": pd.Categorical.from_codes(
                rng.integers(0, len(AGENTS), rows), categories=AGENTS
            ),
            "project": pd.Categorical.from_codes(
                rng.integers(0, len(PROJECTS), rows), categories=PROJECTS
            ),
        }
    )


def records_frame(records: int, patterns: int, partitions: int, seed: int) -> Any:
    sizes = np.full(partitions, records // partitions)
    sizes[: records % partitions] += 1
    parts = [(i, int(n)) for i, n in enumerate(sizes)]
    return dd.from_map(
        generate,
        parts,
        patterns=patterns,
        seed=seed,
        meta=META,
        enforce_metadata=False,
        label="generate",
    )


# -------------------------------------------------------- dask's own groupby-aggregate


def _quantile_chunk(grouped: Any, q: float) -> tuple[Any, Any]:
    count = grouped.count()
    return grouped.quantile(q) * count, count


def _quantile_agg(weighted: Any, counts: Any) -> tuple[Any, Any]:
    return weighted.sum(), counts.sum()


def _quantile_finalize(weighted: Any, counts: Any) -> Any:
    return weighted / counts


def approximate_quantile(q: float) -> Any:
    """Per group: the count-weighted mean of the partitions' exact quantiles."""
    return dd.Aggregation(
        name=f"p{round(q * 100)}",
        chunk=functools.partial(_quantile_chunk, q=q),
        agg=_quantile_agg,
        finalize=_quantile_finalize,
    )


def dask_groupby(ddf: Any, split_every: int) -> pd.DataFrame:
    spec = ["count", "mean", "std", *(approximate_quantile(q) for q in QUANTILES)]
    result: pd.DataFrame = (
        ddf.groupby("pattern_id")["execution_time_ms"].agg(spec, split_every=split_every).compute()
    )
    return result


def _exact_quantiles(frame: pd.DataFrame) -> pd.DataFrame:
    quantiles: pd.DataFrame = (
        frame.groupby("pattern_id")["execution_time_ms"].quantile(list(QUANTILES)).unstack()
    )
    return quantiles


def exact_quantiles(ddf: Any) -> pd.DataFrame:
    """Exact per-group p50/p95/p99 (pandas linear = numpy linear): shuffle, then group."""
    shuffled = ddf[["pattern_id", "execution_time_ms"]].shuffle("pattern_id")
    meta = pd.DataFrame({q: pd.Series([], dtype=np.float64) for q in QUANTILES})
    meta.index = pd.Index([], dtype=np.int64, name="pattern_id")
    result: pd.DataFrame = shuffled.map_partitions(_exact_quantiles, meta=meta).compute()
    return result


# ------------------------------------------------------------------------- measuring


def seconds_and_result(action: Callable[[], T]) -> tuple[float, T]:
    """`action()`'s wall seconds and result."""
    took, result = timed(action)
    return took.wall, result


def waited(persisting: T) -> T:
    """`persisting` (collections being persisted on the workers) once all are computed."""
    wait(persisting)
    return persisting


def ours(ddf: Any, split_every: int) -> Any:
    return analyze(ddf, split_every=split_every, **SETTINGS)


#: Rows per partition by default: about 100 MB of pandas (36 bytes a row), Dask's advice.
ROWS_PER_PARTITION = 2_500_000


def merge_tree(states: list[Any], split_every: int) -> Any:
    """The same tree as `analyze`'s reduction, over already computed states."""
    level = states
    while len(level) > 1:
        level = [
            delayed(_merge_states, pure=True)(level[i : i + split_every])
            for i in range(0, len(level), split_every)
        ]
    return level[0]


def merge_cost(client: Client, ddf: Any, split_every: int) -> dict[str, float]:
    """Partition states persisted on the workers, then the tree merge and finalize."""
    # analyze() gives every partition one correlation id; any fixed one does here.
    arguments = {**SETTINGS, "correlation_id": uuid.uuid4()}
    map_seconds, states = seconds_and_result(
        lambda: waited(
            client.persist(
                [
                    delayed(_partition_state, pure=True)(part, arguments, "pattern_id")
                    for part in ddf.to_delayed()
                ]
            )
        )
    )
    merge_seconds, merged = seconds_and_result(lambda: merge_tree(states, split_every).compute())
    finalize_seconds, batch = seconds_and_result(
        lambda: BatchUsageAccumulator.from_bytes(merged).finalize()
    )
    first = states[0].compute()
    first_patterns = len(BatchUsageAccumulator.from_bytes(first).finalize().results)
    return {
        "map_seconds": map_seconds,
        "merge_seconds": merge_seconds,
        "finalize_seconds": finalize_seconds,
        "partition_bytes_per_pattern": len(first) / max(first_patterns, 1),
        "merged_bytes_per_pattern": len(merged) / max(len(batch.results), 1),
        "merged_bytes": float(len(merged)),
    }


def agreement(batch: Any, peer: pd.DataFrame) -> dict[str, float]:
    """Max relative differences between ours and the peer, per statistic."""
    worst = dict.fromkeys(("count", "mean", "std", *(f"p{round(q * 100)}" for q in QUANTILES)), 0.0)
    assert set(batch.results) == set(peer.index), "the contenders saw different patterns"
    for pattern_id, row in peer.iterrows():
        perf = batch.results[pattern_id].performance_metrics
        pairs = {
            "count": (perf.sample_count, row["count"]),
            "mean": (perf.avg_execution_time_ms, row["mean"]),
            "std": (perf.std_dev_ms, row["std"]),
            "p50": (perf.p50_execution_time_ms, row["p50"]),
            "p95": (perf.p95_execution_time_ms, row["p95"]),
            "p99": (perf.p99_execution_time_ms, row["p99"]),
        }
        for name, (a, b) in pairs.items():
            worst[name] = max(worst[name], abs(a - b) / abs(b) if b else abs(a))
    return worst


def errors_against_exact(batch: Any, peer: pd.DataFrame, exact: pd.DataFrame) -> dict[str, float]:
    worst = {"ours": 0.0, "dask": 0.0}
    for pattern_id, row in exact.iterrows():
        perf = batch.results[pattern_id].performance_metrics
        for q, name in zip(QUANTILES, ("p50", "p95", "p99"), strict=True):
            truth = row[q]
            mine = getattr(perf, f"{name}_execution_time_ms")
            worst["ours"] = max(worst["ours"], abs(mine - truth) / truth)
            worst["dask"] = max(worst["dask"], abs(peer.loc[pattern_id, name] - truth) / truth)
    return worst


# ---------------------------------------------------------------------------- report


def rate(records: int, seconds: float, cores: int) -> str:
    return f"{records / seconds / cores / 1e6:.2f} M"


def local_cluster(workers: int, threads_per_worker: int) -> LocalCluster:
    """The benchmarks' cluster: worker processes, no dashboard, quiet logs. Each worker
    thread runs its reductions single-threaded: the Rust core's rayon pool would otherwise
    start one thread per CPU in every worker process."""
    return LocalCluster(
        n_workers=workers,
        threads_per_worker=threads_per_worker,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
        env={"RAYON_NUM_THREADS": str(threads_per_worker)},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000_000)
    parser.add_argument("--patterns", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads-per-worker", type=int, default=1)
    parser.add_argument("--partitions", type=int, default=None, help="default: 2.5M rows each")
    parser.add_argument("--split-every", type=int, default=8)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--granularity", choices=["detailed", "comprehensive"], default="detailed")
    parser.add_argument("--check", action="store_true", help="exact quantiles by a shuffle")
    parser.add_argument("--quick", action="store_true", help="1M records, 1k patterns, --check")
    args = parser.parse_args()
    if args.quick:
        args.records, args.patterns, args.check = 1_000_000, 1_000, True
        args.partitions = args.partitions or 8
    partitions = args.partitions or max(args.workers, math.ceil(args.records / ROWS_PER_PARTITION))
    cores = args.workers * args.threads_per_worker
    SETTINGS["granularity"] = args.granularity
    n = args.records

    with (
        local_cluster(args.workers, args.threads_per_worker) as cluster,
        Client(cluster) as client,
    ):
        ddf = records_frame(n, args.patterns, partitions, args.seed)
        # Warm up: imports and first calls on every worker, not timed.
        warm = records_frame(20_000, 50, 2 * args.workers, args.seed + 1)
        ours(warm, args.split_every)
        dask_groupby(warm, args.split_every)

        load = os.getloadavg()
        # (what, ours seconds, dask seconds)
        rows: list[tuple[str, float, float]] = []
        ours_cold, _ = seconds_and_result(lambda: ours(ddf, args.split_every))
        peer_cold, _ = seconds_and_result(lambda: dask_groupby(ddf, args.split_every))
        rows.append(("generate + compute", ours_cold, peer_cold))

        generate_seconds, persisted = seconds_and_result(lambda: waited(ddf.persist()))
        ours_seconds, batch = seconds_and_result(lambda: ours(persisted, args.split_every))
        peer_seconds, peer = seconds_and_result(lambda: dask_groupby(persisted, args.split_every))
        rows.append(("persisted", ours_seconds, peer_seconds))
        cost = merge_cost(client, persisted, args.split_every)
        agree = agreement(batch, peer)
        exact_errors = (
            errors_against_exact(batch, peer, exact_quantiles(persisted)) if args.check else None
        )

    print(
        f"\n## Dask: {n:,} records, {args.patterns:,} patterns, {partitions} partitions, "
        f"{args.workers} workers x {args.threads_per_worker} thread ({cores} cores of "
        f"{os.cpu_count()}, {platform.machine()}), split_every {args.split_every}, "
        f"{args.granularity}; load average at start {load[0]:.2f}\n"
    )
    print("| contender | data | seconds | records/s | records/s per core | dask s / ours s |")
    print("|---|---|---:|---:|---:|---:|")
    for data, ours_s, peer_s in rows:
        for name, seconds, ratio in (
            ("usage_analytics.dask.analyze", ours_s, f"{peer_s / ours_s:.2f}"),
            ("dask groupby-agg", peer_s, ""),
        ):
            print(
                f"| {name} | {data} | {seconds:.2f} | {n / seconds / 1e6:.2f} M | "
                f"{rate(n, seconds, cores)} | {ratio} |"
            )
    print(f"| (generation alone: persist) | | {generate_seconds:.2f} | | | |")

    merge_total = cost["merge_seconds"] + cost["finalize_seconds"]
    print("\n| merge cost | value |")
    print("|---|---:|")
    print(f"| partition states (map, persisted) | {cost['map_seconds']:.2f} s |")
    print(
        f"| tree merge on the workers (fan-in {args.split_every}) | {cost['merge_seconds']:.3f} s |"
    )
    print(f"| finalize on the client | {cost['finalize_seconds']:.3f} s |")
    print(f"| merge + finalize / analyze (persisted) | {merge_total / ours_seconds:.1%} |")
    print(
        f"| state bytes per pattern, one partition | {cost['partition_bytes_per_pattern']:,.0f} |"
    )
    print(f"| state bytes per pattern, merged | {cost['merged_bytes_per_pattern']:,.0f} |")
    print(f"| merged state | {cost['merged_bytes'] / 1e6:.1f} MB |")

    print("\n| ours vs dask, max relative difference | count | mean | std | p50 | p95 | p99 |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    print("| | " + " | ".join(f"{agree[k]:.1e}" for k in agree) + " |")
    if exact_errors is not None:
        print(
            f"\nPercentiles against exact (shuffle + pandas quantile), max relative error: "
            f"ours {exact_errors['ours']:.2e} (bound {0.01:.0%}), "
            f"dask's weighted-mean aggregation {exact_errors['dask']:.2e} (no bound)."
        )
    problems = [
        f"{name} differs by {agree[name]:.1e}"
        for name, bound in (("count", 0.0), ("mean", 1e-9), ("std", 1e-9))
        if agree[name] > bound
    ]
    if exact_errors is not None and exact_errors["ours"] > 0.01 + 1e-12:
        problems.append(f"our percentiles are {exact_errors['ours']:.2e} off exact")
    if problems:
        raise SystemExit("FAILED: " + "; ".join(problems))


if __name__ == "__main__":
    main()
