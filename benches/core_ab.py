"""Two (or more) builds of the core raced in one process, call by call: a shared machine's
load drifts within seconds, so alternating whole processes (`batch_calls.py`,
`core_once.py` with `REPEAT`) needs many rounds; here each round calls every build once,
in turn (the order flipped every round), on the same table.

    .venv/bin/maturin build --profile profiling -o /tmp/wheel-old   # at the old commit
    unzip -q /tmp/wheel-old/*.whl -d /tmp/old                      # likewise /tmp/new
    .venv/bin/python benches/core_ab.py CASE ROUNDS /tmp/old /tmp/new

CASE: `batch` (10M records over 10,000 patterns), `dict` or `plain` (10M records of one
pattern, dictionary-encoded or plain strings): `peers.data`'s tables. Prints, per build,
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
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peers import data
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


def main() -> None:
    case, rounds, builds = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    cores = [load_core(build, i) for i, build in enumerate(builds)]
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

    walls: list[list[float]] = [[] for _ in builds]
    cpus: list[list[float]] = [[] for _ in builds]
    for core in cores:
        call(core)  # warm up: pages, thread pools
    for turn in range(rounds):
        order = list(enumerate(cores))
        for i, core in order if turn % 2 == 0 else order[::-1]:
            cpu, wall = time.process_time(), time.perf_counter()
            call(core)
            walls[i].append(1000 * (time.perf_counter() - wall))
            cpus[i].append(1000 * (time.process_time() - cpu))
    for build, wall, cpu in zip(builds, walls, cpus, strict=True):
        print(
            f"{build}: wall min {min(wall):.0f} median {statistics.median(wall):.0f} ms,"
            f" cpu min {min(cpu):.0f} median {statistics.median(cpu):.0f} ms"
        )


if __name__ == "__main__":
    main()
