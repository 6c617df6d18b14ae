"""Two (or more) builds of the core raced in one process, call by call: a shared machine's
load drifts within seconds, so alternating whole processes (`batch_calls.py`,
`core_once.py` with `REPEAT`) needs many rounds; here each round calls every build once,
in turn (the order flipped every round), on the same table.

    .venv/bin/maturin build --profile profiling -o /tmp/wheel-old   # at the old commit
    unzip -q /tmp/wheel-old/*.whl -d /tmp/old                      # likewise /tmp/new
    .venv/bin/python benches/core_ab.py CASE ROUNDS /tmp/old /tmp/new

CASE: `batch` (10M records over 10,000 patterns), `dict` or `plain` (10M records of one
pattern, dictionary-encoded or plain strings): `peers.data`'s tables. `partition` and
`merge` race a Dask task of `dask_bench.py` (run them with `RAYON_NUM_THREADS=1
MALLOC_TRIM_THRESHOLD_=65536`, as its workers run): one 2.5M-record partition read into
a fresh batch state and written (`to_bytes`), or eight such states (each build writes
its own) merged and written, as a merge node does (a build with
`CoreState.merge_serialized` merges each state as it reads it; older ones load them
all, then merge in place). Prints, per build,
the min and median wall and CPU (process) milliseconds of `reduce_arrow`, the core's whole
call (no pydantic output). `batch-outputs`: the batch's call and its 10,000 pydantic
outputs (`output.batch_output`, which reads the patterns' results from the core's call).
Since the core finalizes a batch's patterns while its `GroupResults` are read, `batch`
times the reading alone: builds from then on race each other, or older ones, in
`batch-outputs`, which builds the outputs with the installed `output.py` and each
build's own `OutputModels` (`output.output_models`): the builds raced must share its
protocol (since `7d2f553` the core builds the models, from `CoreResult`s; older builds
handed out dicts). Each build's `_core` is loaded from its own file as a module of
its own (`ab0._core`, ...): PyO3 keeps one module's state per file.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peers import data
from timing import repeated
from usage_analytics import ModelUsageAnalyticsBatchInput, ModelUsageAnalyticsInput
from usage_analytics.ingest import read_any
from usage_analytics.output import batch_output, output_models
from usage_analytics.reducer import core_options

RECORDS = 10_000_000


def load_core(directory: str, number: int) -> ModuleType:
    path = Path(directory) / "usage_analytics" / "_core.abi3.so"
    name = f"ab{number}._core"
    loader = importlib.machinery.ExtensionFileLoader(name, str(path))
    spec = importlib.util.spec_from_file_location(name, path, loader=loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def table_and_request(case: str) -> tuple[Any, Any]:
    window = {"time_window_start": data.WINDOW_START, "time_window_end": data.WINDOW_END}
    if case.startswith("batch"):
        table = data.many_patterns_table(RECORDS)
        return table, ModelUsageAnalyticsBatchInput(execution_data=table, **window)
    table = data.one_pattern_table(RECORDS, case)
    return table, ModelUsageAnalyticsInput(pattern_id="ab", execution_data=table, **window)


def dask_task(case: str, cores: list[ModuleType]) -> Callable[[ModuleType], None]:
    """One partition's state or one merge node of `dask_bench.py`, for any build."""
    import dask_bench
    from usage_analytics.dask import _as_records
    from usage_analytics.streaming import BatchUsageAccumulator

    settings = BatchUsageAccumulator(**dask_bench.SETTINGS)._settings
    options, meta = settings.core_options(batch=True), b"{}"
    frames = range(8 if case == "merge" else 1)
    tables = [
        _as_records(
            dask_bench.generate((i, dask_bench.ROWS_PER_PARTITION), patterns=10_000, seed=5),
            "pattern_id",
        )
        for i in frames
    ]

    def state_of(core: ModuleType, table: Any) -> Any:
        state = core.CoreState(options)
        state.update_arrow(table)
        return state

    if case == "partition":
        return lambda core: state_of(core, tables[0]).to_bytes(meta)
    blobs = {id(core): [state_of(core, table).to_bytes(meta) for table in tables] for core in cores}

    def merge(core: ModuleType) -> None:
        if hasattr(core.CoreState, "merge_serialized"):
            # Merged as they are read, as `usage_analytics.dask` does since session 31.
            merged, _ = core.CoreState.merge_serialized(blobs[id(core)])
            merged.configure(options)
            merged.to_bytes(meta)
            return
        states = []
        for blob in blobs[id(core)]:
            state, _ = core.CoreState.from_bytes(blob)
            state.configure(options)
            states.append(state)
        for state in states[1:]:
            states[0].merge_in(state)
        states[0].to_bytes(meta)

    return merge


def main() -> None:
    case, rounds, builds = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    cores = [load_core(build, i) for i, build in enumerate(builds)]
    if case in ("partition", "merge"):
        race(cores, builds, rounds, dask_task(case, cores))
        return
    models = {id(core): output_models(core) for core in cores}
    table, request = table_and_request(case)
    grouped = case.startswith("batch")
    options = core_options(request, by_pattern=grouped)

    def tables_only(records: Any) -> dict[str, Any]:
        raise TypeError(f"core_ab.py races Arrow tables, not {type(records).__name__}")

    def call(core: ModuleType) -> None:
        raw = read_any(
            table,
            records=tables_only,
            arrow=lambda t, whole: core.reduce_arrow(t, options, None, whole),
            grouped=grouped,
        )
        if case == "batch-outputs":
            batch_output(request, raw, time.perf_counter(), datetime.now(UTC), models[id(core)])

    race(cores, builds, rounds, call)


def race(
    cores: list[ModuleType], builds: list[str], rounds: int, call: Callable[[ModuleType], Any]
) -> None:
    walls: list[list[float]] = [[] for _ in builds]
    cpus: list[list[float]] = [[] for _ in builds]
    for core in cores:
        call(core)  # warm up: pages, thread pools
    for turn in range(rounds):
        order = list(enumerate(cores))
        for i, core in order if turn % 2 == 0 else order[::-1]:
            (took,) = repeated(partial(call, core), 1)
            walls[i].append(1000 * took.wall)
            cpus[i].append(1000 * took.cpu)
    for build, wall, cpu in zip(builds, walls, cpus, strict=True):
        print(
            f"{build}: wall min {min(wall):.0f} median {statistics.median(wall):.0f} ms,"
            f" cpu min {min(cpu):.0f} median {statistics.median(cpu):.0f} ms"
        )


if __name__ == "__main__":
    main()
