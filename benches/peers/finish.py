"""What every peer hands back (`Aggregates`: the passes over the records) and the shared
finishing step that turns those small aggregates into our output's numbers (`finish`).

The finishing step works on at most a few thousand numbers (hourly counts, category
counts), so it is cheap and the same for every peer; the race is in the aggregates. It
follows DESIGN.md (and the lead's semantics in the brief) for the data of `peers.data`:
UTC calendar, no missing fields, every record valid and inside the window.

`ours_flat` flattens a `ModelUsageAnalyticsOutput` into the same shape, and `disagreements`
lists where a peer's numbers differ from ours (integers exactly, floats within `rel`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from peers.data import BUCKET_US, END_US, START_US

HOUR_US = 3_600 * 1_000_000
DAY_US = 24 * HOUR_US
WEEK_US = 7 * DAY_US
WINDOW_US = END_US - START_US
#: Hours in the window: hour index h covers [START_US + h h, START_US + (h + 1) h).
WINDOW_HOURS = WINDOW_US // HOUR_US
#: 1970-01-01 was a Thursday (weekday 3 with 0 = Monday).
EPOCH_WEEKDAY = 3
MIN_T = 2.0
RECENT_FRACTION = 0.25

if START_US % DAY_US or BUCKET_US % HOUR_US or WINDOW_US % (2 * HOUR_US):
    raise AssertionError("the window must start at midnight UTC and halve on a whole hour")


@dataclass
class Aggregates:
    """The passes over the records that a peer makes (everything else is `finish`)."""

    count: int
    successes: int
    timeouts: int
    gate_failures: int
    quality_mean: float
    time_count: int
    time_mean: float
    time_p50: float
    time_p95: float
    time_p99: float
    time_min: float
    time_max: float
    time_std: float
    time_total: float
    max_timestamp_us: int
    #: Records per hour of the window (WINDOW_HOURS long): days, hours of day, weekdays and
    #: the daily trend buckets are all sums of these.
    hourly: Any
    #: column -> value -> count, for context_type, agent, project and file_path.
    categories: dict[str, dict[str, int]]
    agents_first_half: set[str]
    agents_second_half: set[str]


def _slope(x: Any, y: Any) -> tuple[float, float]:
    """OLS slope and |t| (inf for a perfect fit, nan below three points)."""
    k = len(x)
    if k < 2:
        return 0.0, math.nan
    dx = x - x.mean()
    sxx = float((dx * dx).sum())
    if sxx == 0.0:
        return 0.0, math.nan
    slope = float((dx * (y - y.mean())).sum()) / sxx
    if k < 3:
        return slope, math.nan
    rss = float(((y - (y.mean() + slope * dx)) ** 2).sum())
    return slope, math.inf if rss == 0.0 else abs(slope / math.sqrt(rss / (k - 2) / sxx))


def _file_types(paths: dict[str, int]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for path, count in paths.items():
        name = path.replace("\\", "/").rsplit("/", 1)[-1]
        dot = name.rfind(".")
        extension = name[dot + 1 :] if dot > 0 else "unknown"
        counts[extension] = counts.get(extension, 0) + count
    return counts


def _ordered(counts: dict[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def finish(a: Aggregates) -> dict[str, Any]:
    """Our output's numbers from a peer's aggregates (flat, named as in `ours_flat`)."""
    hourly = np.asarray(a.hourly, dtype=np.int64)
    n = a.count
    days = WINDOW_US / DAY_US
    # Trend buckets: whole hours, the last one absorbing the remainder.
    width = BUCKET_US // HOUR_US
    n_buckets = max(1, WINDOW_US // BUCKET_US)
    edges = [i * width for i in range(n_buckets)] + [WINDOW_HOURS]
    bucket_counts = np.add.reduceat(hourly, edges[:-1])
    durations = np.diff(np.asarray(edges, dtype=np.float64)) * HOUR_US
    rates = bucket_counts / (durations / DAY_US)
    mids = (np.asarray(edges[:-1], dtype=np.float64) * HOUR_US + durations / 2) / DAY_US
    velocity, t = _slope(mids, rates) if n_buckets >= 2 else (0.0, math.nan)
    significant = n_buckets < 3 or math.isinf(t) or t >= MIN_T
    half = n_buckets // 2
    acceleration = (
        _slope(mids[half:], rates[half:])[0] - _slope(mids[:half], rates[:half])[0]
        if n_buckets >= 3
        else 0.0
    )
    q = max(1, n_buckets // 4)
    first, last = float(rates[:q].mean()), float(rates[-q:].mean())
    if n_buckets < 2 or (first == 0.0 and last == 0.0):
        growth = 0.0
    elif first == 0.0:
        growth = 100.0
    else:
        growth = (last - first) / first * 100.0
    a1, a2 = a.agents_first_half, a.agents_second_half
    retention = len(a1 & a2) / len(a1) if a1 else 0.0
    recent = n > 0 and (END_US - a.max_timestamp_us) <= RECENT_FRACTION * WINDOW_US
    if (velocity <= -2.0 and n < 5) or (n > 0 and not recent):
        trend_type = "abandoned"
    elif n < 10:
        trend_type = "emerging"
    elif velocity > 0.5 and significant:
        trend_type = "growing"
    elif velocity < -0.5 and significant:
        trend_type = "declining"
    else:
        trend_type = "stable"
    # Calendar fields (UTC): hour index h is START_US + h hours.
    hours = np.arange(WINDOW_HOURS, dtype=np.int64) + START_US // HOUR_US
    by_hour = np.bincount(hours % 24, weights=hourly, minlength=24).astype(np.int64)
    day_of = hours // 24
    per_day = np.bincount(day_of - day_of[0], weights=hourly).astype(np.int64)
    by_weekday = np.bincount((day_of + EPOCH_WEEKDAY) % 7, weights=hourly, minlength=7)
    categories = a.categories
    return {
        "total_executions": n,
        "executions_per_day": n / max(days, 1.0),
        "unique_contexts": len(categories["context_type"]),
        "unique_users": len(categories["agent"]),
        "peak_daily_usage": int(per_day.max()) if n else 0,
        "time_since_last_use": (END_US - a.max_timestamp_us) / HOUR_US if n else None,
        "success_count": a.successes,
        "failure_count": n - a.successes,
        "success_rate": a.successes / n if n else 0.0,
        "error_rate": (n - a.successes) / n if n else 0.0,
        "timeout_count": a.timeouts,
        "quality_gate_failures": a.gate_failures,
        "avg_quality_score": a.quality_mean,
        "avg_execution_time_ms": a.time_mean,
        "p50_execution_time_ms": a.time_p50,
        "p95_execution_time_ms": a.time_p95,
        "p99_execution_time_ms": a.time_p99,
        "min_execution_time_ms": a.time_min,
        "max_execution_time_ms": a.time_max,
        "std_dev_ms": a.time_std,
        "total_execution_time_ms": a.time_total,
        "sample_count": a.time_count,
        "trend_type": trend_type,
        "velocity": velocity,
        "velocity_significant": significant,
        "acceleration": acceleration,
        "growth_percentage": growth,
        "retention_rate": retention,
        "churn_rate": 1.0 - retention if a1 else 0.0,
        "adoption_rate": len(a2 - a1) / (WINDOW_US / 2 / WEEK_US),
        "bucket_count": n_buckets,
        "by_context_type": _ordered(categories["context_type"]),
        "by_agent": _ordered(categories["agent"]),
        "by_project": _ordered(categories["project"]),
        "by_file_type": _ordered(_file_types(categories["file_path"])),
        "by_time_of_day": {h: int(c) for h, c in enumerate(by_hour) if c},
        "by_day_of_week": {d: int(c) for d, c in enumerate(by_weekday) if c},
    }


def ours_flat(output: Any) -> dict[str, Any]:
    """A `ModelUsageAnalyticsOutput` in `finish`'s shape."""
    usage, success = output.usage_metrics, output.success_metrics
    perf, trend, dist = (
        output.performance_metrics,
        output.trend_analysis,
        output.context_distribution,
    )
    flat: dict[str, Any] = {}
    for model in (usage, success, perf, dist):
        flat.update(dict(model))
    flat.pop("executions_per_week")
    flat.pop("executions_per_month")
    # A reduction's percentiles are always exact: say so rather than compare the label.
    assert flat.pop("percentile_method") == "exact"
    assert flat.pop("percentile_relative_error") == 0.0
    flat.update(
        trend_type=trend.trend_type.value,
        velocity=trend.velocity,
        velocity_significant=trend.velocity_significant,
        acceleration=trend.acceleration,
        growth_percentage=trend.growth_percentage,
        retention_rate=trend.retention_rate,
        churn_rate=trend.churn_rate,
        adoption_rate=trend.adoption_rate,
        bucket_count=trend.bucket_count,
    )
    return flat


def disagreements(ours: dict[str, Any], peer: dict[str, Any], rel: float = 1e-9) -> list[str]:
    """Fields where `peer` differs from `ours`: floats beyond `rel` relative, others at all
    (dicts must also have the same key order)."""
    problems = []
    for name in ours.keys() | peer.keys():
        mine, theirs = ours.get(name), peer.get(name)
        if isinstance(mine, float) and isinstance(theirs, (int, float)):
            same = math.isclose(mine, theirs, rel_tol=rel, abs_tol=1e-12)
        elif isinstance(mine, dict) and isinstance(theirs, dict):
            same = list(mine.items()) == list(theirs.items())
        else:
            same = mine == theirs
        if not same:
            problems.append(f"{name}: ours {mine!r}, peer {theirs!r}")
    return sorted(problems)
