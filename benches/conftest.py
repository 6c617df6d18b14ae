"""Shared pieces of the benchmarks: records, contracts, the floor, the reference, ratios.

Run the benchmarks with `pytest benches/` (see BENCHMARKS.md). The normal `pytest` run
collects only `tests/` (`testpaths` in pyproject.toml), so nothing here runs there.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import random
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCHES = Path(__file__).resolve().parent
TESTS = BENCHES.parent / "tests"
# The columnar benchmarks' pieces (`benches/peers/`) are imported as the package `peers`.
if str(BENCHES) not in sys.path:
    sys.path.insert(0, str(BENCHES))

#: Mean spacing of consecutive records: "one execution every few seconds".
SPACING_SECONDS = 3.0
WINDOW_START = datetime(2026, 1, 5, tzinfo=UTC)

#: Targets of the foundation issue.
TARGET_FLOOR_RATIO = 1.5  # ours / floor at 100k and 1M records
TARGET_AWAIT_1K_SECONDS = 0.5e-3  # median of one awaited call on 1,000 records

_AGENTS = [f"agent-{name}" for name in ("alpha", "beta", "gamma", "delta", "epsilon", "zeta")]
_CONTEXTS = ["api", "batch", "cli", "scheduled", "webhook"]
_PROJECTS = ["checkout", "search", "billing", "onboarding"]
_EXTENSIONS = ["py", "py", "py", "rs", "ts", "md", "json", "toml"]


def window_end(n: int) -> datetime:
    return WINDOW_START + timedelta(seconds=SPACING_SECONDS * max(n, 1))


# -- records ----------------------------------------------------------------------------


def _record(i: int, rng: random.Random, paths: list[str]) -> dict[str, Any]:
    return {
        "timestamp": WINDOW_START + timedelta(seconds=(i + rng.random()) * SPACING_SECONDS),
        "success": rng.random() < 0.93,
        "execution_time_ms": rng.lognormvariate(4.5, 0.8),
        "quality_score": rng.random() ** 0.3,
        "quality_gates_passed": rng.random() < 0.97,
        "timeout": rng.random() < 0.01,
        "context_type": rng.choice(_CONTEXTS),
        "agent": rng.choice(_AGENTS),
        "project": rng.choice(_PROJECTS),
        "file_path": rng.choice(paths),
    }


@functools.cache
def records(n: int, layout: str) -> list[dict[str, Any]]:
    """`n` valid records in time order, one every few seconds across the window.

    Every record has all ten fields; each record's dict, datetime and floats are its own
    objects, as a database driver or a JSON decoder produces them; strings come from small
    pools (as interned or dictionary-decoded values would). Deterministic (seeded).

    layout "fresh": the objects are allocated in list order, as right after `json.loads`
    or a database fetch, so consecutive records are neighbours in memory.
    layout "scattered": the same kind of records allocated in a random order (list still
    in time order), as records accumulated over time in a long-running process; every
    record is then a cache miss and the read is bound by memory latency.
    """
    rng = random.Random(20260105 + n)
    paths = [f"src/pkg{i % 7}/module_{i}.{rng.choice(_EXTENSIONS)}" for i in range(200)]
    paths += ["Makefile", ".env", "docs\\guide.md", "build/app.tar.gz"]
    if layout == "fresh":
        return [_record(i, rng, paths) for i in range(n)]
    if layout == "scattered":
        order = list(range(n))
        rng.shuffle(order)
        slots: list[dict[str, Any] | None] = [None] * n
        for i in order:
            slots[i] = _record(i, rng, paths)
        return [record for record in slots if record is not None]
    raise ValueError(f"unknown layout {layout!r}")


@pytest.fixture(scope="session")
def records_for() -> Callable[[int, str], list[dict[str, Any]]]:
    """`records` (cached per size and layout) for the benchmarks."""
    return records


# -- contenders -------------------------------------------------------------------------


def load_floor() -> ModuleType:
    """The C floor (`floor/floor.c`), built into `floor/build/` if missing or stale."""
    spec = importlib.util.spec_from_file_location("_bench_floor_build", BENCHES / "floor/build.py")
    if spec is None or spec.loader is None:
        raise ImportError("cannot load benches/floor/build.py")
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    module: ModuleType = builder.load()
    return module


@pytest.fixture(scope="session")
def floor() -> ModuleType:
    return load_floor()


@pytest.fixture(scope="session")
def reference() -> Callable[[Any], dict[str, Any]]:
    """`reference_analytics` from `tests/reference.py`: the pure-Python peer we race."""
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    from reference import reference_analytics

    return reference_analytics


@pytest.fixture(scope="session")
def contract_for() -> Callable[[list[dict[str, Any]]], Any]:
    """Build the request for a record list the way a service would, per call."""
    from usage_analytics import ModelUsageAnalyticsInput, TimeWindowType

    def build(data: list[dict[str, Any]]) -> Any:
        return ModelUsageAnalyticsInput(
            pattern_id="bench-pattern",
            time_window_start=WINDOW_START,
            time_window_end=window_end(len(data)),
            time_window_type=TimeWindowType.CUSTOM,
            execution_data=data,
        )

    return build


@pytest.fixture
def event_loop_once() -> Iterator[Any]:
    """One event loop for a whole benchmark, driven with `run_until_complete`."""
    import asyncio

    loop = asyncio.new_event_loop()
    try:
        yield loop
    finally:
        loop.close()


def pytest_report_header() -> list[str]:
    """What was measured and how busy the machine was (2 cores, shared)."""
    from usage_analytics import _core

    digest = hashlib.sha256(Path(_core.__file__ or "").read_bytes()).hexdigest()[:16]
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return [
        f"usage_analytics._core: {_core.__file__} (sha256 {digest}, version {_core.__version__})",
        f"load average at start: {load}; cpus: {os.cpu_count()}",
    ]


# -- ratios -----------------------------------------------------------------------------

#: (group, contender) -> (records, median seconds per call), filled in by the benchmarks.
MEDIANS: dict[tuple[str, str], tuple[int, float]] = {}


@pytest.fixture
def keep_median() -> Callable[[str, str, int, Any], None]:
    def keep(group: str, contender: str, n: int, benchmark: Any) -> None:
        stats = getattr(benchmark, "stats", None)
        if stats is not None:  # None under --benchmark-disable
            MEDIANS[group, contender] = (n, stats.stats.median)

    return keep


def _per_record(group: str, contender: str) -> float | None:
    kept = MEDIANS.get((group, contender))
    return None if kept is None else kept[1] / kept[0] * 1e6


def ratio_lines() -> list[str]:
    """A Markdown table of the medians kept this run, with ratios and target verdicts."""
    lines = [
        "| records | layout | usage_analytics median | us/record | floor us/record "
        "| floor+prefetch us/record | floor+types us/record | pure Python us/record "
        "| ours / floor | ours / floor+prefetch | pure Python / ours | target |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    groups = dict.fromkeys(group for group, _ in MEDIANS)
    for group in groups:
        ours = MEDIANS.get((group, "usage_analytics"))
        if ours is None:
            continue
        n, median = ours
        label, layout = group.split("-", 1)
        floor = MEDIANS.get((group, "floor"))
        pure = MEDIANS.get((group, "pure_python"))
        ratio = None if floor is None else median / floor[1]
        prefetching = MEDIANS.get((group, "floor_prefetch"))
        ratio_prefetch = None if prefetching is None else median / prefetching[1]
        target = "-"
        if ratio is not None and n >= 100_000:
            verdict = "met" if ratio <= TARGET_FLOOR_RATIO else "missed"
            target = f"<= {TARGET_FLOOR_RATIO}x floor: {verdict}"
        awaited = MEDIANS.get((group, "usage_analytics_await"))
        if awaited is not None:
            verdict = "met" if awaited[1] <= TARGET_AWAIT_1K_SECONDS else "missed"
            target = (
                f"awaited call {awaited[1] * 1e3:.3f} ms "
                f"(<= {TARGET_AWAIT_1K_SECONDS * 1e3} ms): {verdict}"
            )

        def cell(value: float | None, spec: str, unit: str = "") -> str:
            return "-" if value is None else format(value, spec) + unit

        lines.append(
            f"| {label} | {layout} | {_duration(median)} | {median / n * 1e6:.3f} "
            f"| {cell(_per_record(group, 'floor'), '.3f')} "
            f"| {cell(_per_record(group, 'floor_prefetch'), '.3f')} "
            f"| {cell(_per_record(group, 'floor_typed'), '.3f')} "
            f"| {cell(_per_record(group, 'pure_python'), '.2f')} "
            f"| {cell(ratio, '.2f', 'x')} | {cell(ratio_prefetch, '.2f', 'x')} "
            f"| {cell(None if pure is None else pure[1] / median, '.1f', 'x')} | {target} |"
        )
    return lines if len(lines) > 2 else []


def _duration(seconds: float) -> str:
    if seconds >= 1.0:
        return f"{seconds:.3f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.0f} us"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    from peers import report

    report.summary(terminalreporter)
    lines = ratio_lines()
    if lines:
        terminalreporter.write_sep(
            "=",
            "usage_analytics vs the floor and pure Python (medians; "
            f"targets: ours/floor <= {TARGET_FLOOR_RATIO}x at >= 100k records, "
            f"awaited call on 1k <= {TARGET_AWAIT_1K_SECONDS * 1e3} ms)",
        )
        for line in lines:
            terminalreporter.write_line(line)
