"""A list of dicts whose numbers, flags and times are Decimals or numpy scalars against the
same records of plain floats, ints, bools and datetimes, raced in one run: ROWS records
reduced by the reducer's synchronous call (one pattern), the forms taken in turn each round
(the order flipped every round), so that a drift of the machine's load falls on all of them.

    PYTHONPATH=<tree>/python .venv/bin/python benches/scalar_record_values.py [CALLS] [ROWS]
    PYTHONPATH=<tree>/python .venv/bin/python benches/scalar_record_values.py CALLS ROWS DIR...

Each record: an aware datetime, a flag, an execution time and a quality score. The
forms differ in the types of one to three of them: Python's floats (and bools), Python's
ints as execution times, `decimal.Decimal`s, numpy `float64`s, numpy `int64` execution
times, numpy `bool_` flags, numpy `datetime64` timestamps (naive, microseconds: the same
instants), numpy `timedelta64` execution times (microseconds: the same milliseconds).
Prints least and median of CALLS (default 5) calls of each, in milliseconds, and each
form's median over the plain floats' (1 is as fast).

With DIRs (each holding a build as `DIR/usage_analytics/_core.abi3.so`, `core_ab.py`),
the builds race each other in this one process on the forms whose reading differs by
build (`RACED`), each call the core's whole `reduce_records` (no contract, no output
models): per form and build the least and median ms, and the median over the first
build's.
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from usage_analytics import ModelUsageAnalyticsInput, NodeUsageAnalyticsReducer
from usage_analytics.reducer import core_options

sys.path.insert(0, str(Path(__file__).resolve().parent))

from core_ab import load_core
from rolling_ab import race
from timing import wall_seconds

START = datetime(2024, 1, 1, tzinfo=UTC)
#: Fields that differ from call to call.
VOLATILE = {"computation_time_ms", "computed_at", "correlation_id"}
END = START + timedelta(days=30)
#: The forms raced build against build (with the plain floats, their yardstick).
RACED = ("plain floats", "numpy datetime64 stamps", "numpy timedelta64 times")


def forms(rows: int) -> dict[str, list[dict[str, Any]]]:
    """The same records in each form (numbers of three decimals, exact as floats too
    where they are eighths: a Decimal's float is the float's)."""
    rng = np.random.default_rng(3)
    stamps = [START + timedelta(seconds=int(s)) for s in rng.integers(0, 30 * 86_400, rows)]
    flags = (rng.random(rows) < 0.9).tolist()
    eighths = rng.integers(0, 8_000, rows).tolist()
    scores = rng.integers(0, 9, rows).tolist()
    naive = [np.datetime64(stamp.replace(tzinfo=None), "us") for stamp in stamps]
    made: dict[str, Callable[[int, int, bool], tuple[Any, Any, Any]]] = {
        "plain floats": lambda ms, q, ok: (ms / 8, q / 8, ok),
        "plain ints": lambda ms, q, ok: (ms, q / 8, ok),
        "Decimals": lambda ms, q, ok: (Decimal(ms) / 8, Decimal(q) / 8, ok),
        "numpy float64": lambda ms, q, ok: (np.float64(ms / 8), np.float64(q / 8), ok),
        "numpy int64 times": lambda ms, q, ok: (np.int64(ms), q / 8, ok),
        "numpy bool_ flags": lambda ms, q, ok: (ms / 8, q / 8, np.bool_(ok)),
        "numpy datetime64 stamps": lambda ms, q, ok: (ms / 8, q / 8, ok),
        "numpy timedelta64 times": lambda ms, q, ok: (np.timedelta64(ms * 125, "us"), q / 8, ok),
    }
    out = {}
    for label, make in made.items():
        records = []
        given = naive if label == "numpy datetime64 stamps" else stamps
        for stamp, ms, q, ok in zip(given, eighths, scores, flags, strict=True):
            time_ms, score, success = make(ms, q, ok)
            records.append(
                {
                    "timestamp": stamp,
                    "success": success,
                    "execution_time_ms": time_ms,
                    "quality_score": score,
                }
            )
        out[label] = records
    return out


def contract(records: list[dict[str, Any]]) -> ModelUsageAnalyticsInput:
    return ModelUsageAnalyticsInput(
        pattern_id="p",
        time_window_start=START,
        time_window_end=END,
        time_window_type="monthly",
        execution_data=records,
    )


def reduce(records: list[dict[str, Any]]) -> Any:
    return NodeUsageAnalyticsReducer().execute_reduction_sync(contract(records))


def race_builds(dirs: list[str], calls: int, made: dict[str, list[dict[str, Any]]]) -> None:
    """The builds in `dirs` on the `RACED` forms, call by call (see the module's note)."""
    cores = [load_core(directory, number) for number, directory in enumerate(dirs)]
    options = core_options(contract(made["plain floats"]), by_pattern=False)
    for label in RACED:
        records = made[label]
        # (The same counts from every build: else the race would compare unlike work.)
        counts = {
            repr({k: v for k, v in core.reduce_records(records, options).items() if k != "result"})
            for core in cores
        }
        assert len(counts) == 1, (label, counts)

        def ms(core: ModuleType, records: Any = records) -> float:
            return wall_seconds(partial(core.reduce_records, records, options), 1)[0] * 1e3

        times = race(calls, cores, ms)  # (the builds' order flipped every round)
        first = statistics.median(times[0])
        for directory, taken in zip(dirs, times, strict=True):
            median = statistics.median(taken)
            print(
                f"{label}, {directory}: {min(taken):.0f} / {median:.0f} ms,"
                f" x{median / first:.3f} of the first build's"
            )


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    made = forms(rows)
    if len(sys.argv) > 3:
        race_builds(sys.argv[3:], calls, made)
        return
    # (The same analytics from each form: else the race would compare unlike work.)
    first = reduce(made["plain floats"]).model_dump(exclude=VOLATILE)
    for label, records in made.items():
        if label not in ("plain ints", "numpy int64 times"):  # (their times are 8x)
            assert reduce(records).model_dump(exclude=VOLATILE) == first, label
    times: dict[str, list[float]] = {label: [] for label in made}
    order = list(made)
    for round_ in range(calls):
        for label in order if round_ % 2 == 0 else order[::-1]:
            times[label].append(wall_seconds(partial(reduce, made[label]), 1)[0] * 1e3)
    plain = statistics.median(times["plain floats"])
    for label, taken in times.items():
        median = statistics.median(taken)
        print(f"{label}: {min(taken):.0f} / {median:.0f} ms, x{median / plain:.2f} of plain floats")


if __name__ == "__main__":
    main()
