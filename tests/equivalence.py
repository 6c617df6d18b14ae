"""How a finalized state (an accumulator, a rolling snapshot, a Dask merge) is compared
with one reduction over the same records, shared by the test modules.

Counts, rates, distributions, data quality, the average quality score (an exact sum,
whatever the split) and every trend field exactly, floats bit for bit (trend floats come
from exact integer bucket counts); the execution times' mean, std and total within 1e-9
relative (merging moments in another order rounds differently); percentiles exactly while
at most `exact_budget` times were kept (`percentile_method == "exact"`), else within
`relative_accuracy` of the exact value (`percentile_method == "sketch"`).

Also a batch call's whole outcome (`batch_outcome`), which two forms of the same records
(a list of dicts, a dict of columns, a frame) must give alike, errors' texts included.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from usage_analytics import (
    InvalidRecordError,
    ModelUsageAnalyticsBatchInput,
    ModelUsageAnalyticsBatchOutput,
    ModelUsageAnalyticsOutput,
    NodeUsageAnalyticsReducer,
    UsageAnalyticsError,
)

#: Output fields that differ between any two calls.
VOLATILE = ("computation_time_ms", "computed_at", "correlation_id")
PERCENTILES = ("p50_execution_time_ms", "p95_execution_time_ms", "p99_execution_time_ms")
REL_TOL = 1e-9


def differences(actual: Any, expected: Any, path: str = "output") -> list[str]:
    """Every difference, exactly: same types, same values (floats bit for bit: NaN equals
    NaN, 0.0 differs from -0.0), dicts with the same key order."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        if list(actual) != list(expected):
            return [f"{path}: keys {list(actual)!r} != {list(expected)!r}"]
        return [d for k in expected for d in differences(actual[k], expected[k], f"{path}.{k}")]
    if isinstance(expected, list | tuple) and isinstance(actual, list | tuple):
        if len(actual) != len(expected):
            return [f"{path}: {actual!r} != {expected!r}"]
        pairs = zip(actual, expected, strict=True)
        return [d for i, (a, e) in enumerate(pairs) for d in differences(a, e, f"{path}[{i}]")]
    if type(actual) is not type(expected):
        return [f"{path}: {actual!r} ({type(actual).__name__}) != {expected!r}"]
    if isinstance(expected, float):
        same = (math.isnan(actual) and math.isnan(expected)) or (
            actual == expected and math.copysign(1, actual) == math.copysign(1, expected)
        )
        return [] if same else [f"{path}: {actual!r} != {expected!r}"]
    return [] if actual == expected else [f"{path}: {actual!r} != {expected!r}"]


def assert_same(actual: Any, expected: Any) -> None:
    """`actual` is `expected` exactly (`differences`), each difference listed."""
    problems = differences(actual, expected)
    assert not problems, "\n".join(problems)


#: The execution times' moments: merging them in another order rounds differently.
MOMENTS = ("avg_execution_time_ms", "std_dev_ms", "total_execution_time_ms")


def differences_up_to_moments(actual: Any, expected: Any, path: str = "output") -> list[str]:
    """`differences`, but the execution times' moments within 1e-9 relative (`close`)."""
    if isinstance(expected, dict) and isinstance(actual, dict) and list(actual) == list(expected):
        found = []
        for key in expected:
            if key in MOMENTS and isinstance(expected[key], float):
                found += close(actual[key], expected[key], f"{path}.{key}")
            else:
                found += differences_up_to_moments(actual[key], expected[key], f"{path}.{key}")
        return found
    same_length = isinstance(expected, list | tuple) and isinstance(actual, list | tuple)
    if same_length and len(actual) == len(expected):
        pairs = enumerate(zip(actual, expected, strict=True))
        return [d for i, (a, e) in pairs for d in differences_up_to_moments(a, e, f"{path}[{i}]")]
    return differences(actual, expected, path)


def close(actual: float, expected: float, path: str, abs_tol: float = 1e-12) -> list[str]:
    if isinstance(actual, float) and math.isclose(
        actual, expected, rel_tol=REL_TOL, abs_tol=abs_tol
    ):
        return []
    return [f"{path}: {actual!r} != {expected!r} (1e-9 relative, {abs_tol:g} absolute)"]


def assert_close(a: Any, b: Any, path: str = "") -> None:
    """Equal, floats within 1e-9 relative (chunking changes the order of float sums)."""
    if isinstance(a, float) and isinstance(b, float):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9), f"{path}: {a} != {b}"
    elif isinstance(a, dict) and isinstance(b, dict):
        assert list(a) == list(b), f"{path}: keys {list(a)} != {list(b)}"
        for key in a:
            assert_close(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_close(x, y, f"{path}[{i}]")
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


def comparable(output: ModelUsageAnalyticsOutput) -> dict[str, Any]:
    dumped = output.model_dump()
    for key in VOLATILE:
        del dumped[key]
    return dumped


def performance_problems(
    actual: dict[str, Any] | None,
    expected: dict[str, Any] | None,
    exact_budget: int,
    relative_accuracy: float,
) -> list[str]:
    if expected is None or actual is None:
        return [] if actual is None and expected is None else [f"performance: {actual!r}"]
    problems: list[str] = []
    if (expected["percentile_method"], expected["percentile_relative_error"]) != ("exact", 0.0):
        problems.append(f"a plain reduction is not exact: {expected!r}")
    for key in ("sample_count", "min_execution_time_ms", "max_execution_time_ms"):
        problems += differences(actual[key], expected[key], f"performance.{key}")
    # std of nearly equal large values is ill-conditioned: allow rounding of that scale.
    scale = abs(expected["max_execution_time_ms"])
    for key in ("avg_execution_time_ms", "total_execution_time_ms"):
        problems += close(actual[key], expected[key], f"performance.{key}")
    problems += close(
        actual["std_dev_ms"],
        expected["std_dev_ms"],
        "performance.std_dev_ms",
        1e-12 + 4e-15 * scale,
    )
    if expected["sample_count"] <= exact_budget:
        method = ("exact", 0.0)
        for key in PERCENTILES:
            problems += differences(actual[key], expected[key], f"performance.{key}")
    else:
        method = ("sketch", relative_accuracy)
        for key in PERCENTILES:
            bound = relative_accuracy * abs(expected[key]) + 1e-12
            if not abs(actual[key] - expected[key]) <= bound:
                problems.append(
                    f"performance.{key}: sketch {actual[key]!r} vs exact {expected[key]!r}: "
                    f"off by more than {relative_accuracy} relative"
                )
    got = (actual["percentile_method"], actual["percentile_relative_error"])
    if got != method:
        problems.append(
            f"performance: method {got!r} != {method!r} "
            f"({expected['sample_count']} times, exact_budget {exact_budget})"
        )
    return problems


def assert_equivalent(
    actual: ModelUsageAnalyticsOutput,
    expected: ModelUsageAnalyticsOutput,
    *,
    exact_budget: int = 1024,
    relative_accuracy: float = 0.01,
    compare_samples: bool = True,
    sample_indexes: bool = True,
) -> None:
    """`actual` (a finalized accumulator) equals `expected` (one reduction) by the rules
    of the module docstring. Without `compare_samples` the error samples are left out;
    without `sample_indexes` they are compared without their record index and location
    (a Dask partition numbers its own rows, and names each by its label in the whole
    frame, which one call over a default index names by its position alone)."""
    a, e = comparable(actual), comparable(expected)
    problems = performance_problems(
        a.pop("performance_metrics"), e.pop("performance_metrics"), exact_budget, relative_accuracy
    )
    for dumped in (a, e):
        samples = dumped["data_quality"]["error_samples"]
        if not compare_samples:
            samples.clear()
        elif not sample_indexes:
            for sample in samples:
                sample.pop("index")
                sample.pop("location", None)
    problems += differences(a, e, "output")
    assert not problems, "\n".join(problems)


def assert_batch_equivalent(
    actual: ModelUsageAnalyticsBatchOutput,
    expected: ModelUsageAnalyticsBatchOutput,
    *,
    exact_budget: int = 1024,
    relative_accuracy: float = 0.01,
    sample_indexes: bool = True,
) -> None:
    """Every pattern (same ids, of the same types) by `assert_equivalent`, and the data
    quality exactly (its error samples only with `sample_indexes`)."""
    assert set(actual.results) == set(expected.results)
    for key, result in expected.results.items():
        assert type(next(k for k in actual.results if k == key)) is type(key)
        assert_equivalent(
            actual.results[key],
            result,
            exact_budget=exact_budget,
            relative_accuracy=relative_accuracy,
            sample_indexes=sample_indexes,
        )
    exclude = None if sample_indexes else {"error_samples"}
    assert actual.data_quality.model_dump(exclude=exclude) == expected.data_quality.model_dump(
        exclude=exclude
    )


def batch_outcome(data: Any, mode: str, start: datetime, end: datetime) -> Any:
    """A batch call's whole outcome, for comparing two forms of the same records: its
    output (each result under its id's type and value), or its error's parts and text."""
    request = ModelUsageAnalyticsBatchInput(
        time_window_start=start, time_window_end=end, execution_data=data, on_invalid=mode
    )
    try:
        output = NodeUsageAnalyticsReducer().execute_batch_reduction_sync(request)
    except InvalidRecordError as error:
        parts = (error.index, error.field, error.value, error.reason, error.more)
        return ("raised", str(error), *parts)
    except UsageAnalyticsError as error:
        return ("refused", str(error))
    results = {(type(k), k): r.model_dump(exclude=set(VOLATILE)) for k, r in output.results.items()}
    return output.model_dump(exclude={"results", *VOLATILE}), results
