"""Deterministic Arrow tables for the columnar benchmarks (numpy `default_rng(seed)`).

One pattern: `n` records in time order over a 90-day window (rate growing by half from
start to end), 93% successes, lognormal execution times, 6 agents, 5 contexts, 4 projects
and 204 file paths, drawn with unequal weights. Columns: timestamp (timestamp[us, UTC]),
success, quality_gates_passed, timeout (bool), execution_time_ms, quality_score (float64),
context_type, agent, project, file_path (strings, dictionary-encoded with int32 indices or
plain utf8). No nulls; every record is valid and inside the window. One chunk per column.

Many patterns: the same records plus a `pattern_id` column (dictionary-encoded strings
"pattern-00000" ...), each record's pattern drawn uniformly, so patterns interleave.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

WINDOW_START = datetime(2026, 1, 5, tzinfo=UTC)
WINDOW_DAYS = 90
WINDOW_END = WINDOW_START + timedelta(days=WINDOW_DAYS)
START_US = int(WINDOW_START.timestamp()) * 1_000_000
END_US = int(WINDOW_END.timestamp()) * 1_000_000
#: The trend bucket width our core picks for a 90-day CUSTOM window (<= 120 buckets): 1 day.
BUCKET_US = 86_400 * 1_000_000
BUCKETS = (END_US - START_US) // BUCKET_US

SEED = 20260105
#: The record rate at the window end relative to its start (a visible, significant trend).
GROWTH = 1.5

AGENTS = ["agent-alpha", "agent-beta", "agent-gamma", "agent-delta", "agent-epsilon", "agent-zeta"]
CONTEXTS = ["api", "batch", "cli", "scheduled", "webhook"]
PROJECTS = ["checkout", "search", "billing", "onboarding"]
_EXTENSIONS = ["py", "py", "py", "rs", "ts", "md", "json", "toml"]
FILE_PATHS = [f"src/pkg{i % 7}/module_{i}.{_EXTENSIONS[i * 5 % 8]}" for i in range(200)] + [
    "Makefile",
    ".env",
    "docs\\guide.md",
    "build/app.tar.gz",
]
STRING_POOLS = {
    "context_type": CONTEXTS,
    "agent": AGENTS,
    "project": PROJECTS,
    "file_path": FILE_PATHS,
}
STRING_COLUMNS = tuple(STRING_POOLS)
PATTERNS = 10_000

ENCODINGS = ("dict", "plain")


def _weights(k: int, rng: np.random.Generator) -> Any:
    weights = rng.uniform(1.0, 3.0, k)
    return weights / weights.sum()


def _timestamps(n: int, rng: np.random.Generator) -> Any:
    """Sorted epoch microseconds in [start, end), density growing linearly by GROWTH."""
    a = GROWTH - 1.0
    u = np.sort(rng.random(n))
    # Inverse CDF of the density (1 + a x) / (1 + a / 2) on [0, 1).
    x = (np.sqrt(1.0 + 2.0 * a * u * (1.0 + a / 2.0)) - 1.0) / a
    return START_US + (x * (END_US - START_US)).astype(np.int64)


def _strings(pa: Any, pool: list[str], codes: Any, encoding: str) -> Any:
    dictionary = pa.array(pool, pa.string())
    indices = pa.array(codes.astype(np.int32))
    if encoding == "dict":
        return pa.DictionaryArray.from_arrays(indices, dictionary)
    if encoding == "plain":
        return dictionary.take(indices)
    raise ValueError(f"unknown string encoding {encoding!r}")


@functools.cache
def _columns(n: int, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    columns: dict[str, Any] = {
        "timestamp": _timestamps(n, rng),
        "success": rng.random(n) < 0.93,
        "execution_time_ms": rng.lognormal(4.5, 0.8, n),
        "quality_score": rng.random(n) ** 0.3,
        "quality_gates_passed": rng.random(n) < 0.97,
        "timeout": rng.random(n) < 0.01,
    }
    for name, pool in STRING_POOLS.items():
        columns[name] = rng.choice(len(pool), n, p=_weights(len(pool), rng)).astype(np.int32)
    return columns


def one_pattern_table(n: int, encoding: str) -> Any:
    """The one-pattern table of `n` records (see the module docs); deterministic."""
    import pyarrow as pa

    columns = _columns(n, SEED)
    arrays = {
        "timestamp": pa.array(columns["timestamp"], pa.timestamp("us", tz="UTC")),
        **{
            name: pa.array(columns[name])
            for name in (
                "success",
                "execution_time_ms",
                "quality_score",
                "quality_gates_passed",
                "timeout",
            )
        },
        **{
            name: _strings(pa, pool, columns[name], encoding) for name, pool in STRING_POOLS.items()
        },
    }
    return pa.table(arrays)


def many_patterns_table(n: int, patterns: int = PATTERNS) -> Any:
    """`n` dictionary-encoded records over `patterns` patterns (a `pattern_id` column)."""
    import pyarrow as pa

    table = one_pattern_table(n, "dict")
    rng = np.random.default_rng(SEED + 1)
    ids = [f"pattern-{i:05d}" for i in range(patterns)]
    codes = rng.integers(0, patterns, n)
    return table.append_column("pattern_id", _strings(pa, ids, codes, "dict"))


def clear_cache() -> None:
    """Drop the cached numpy columns (hundreds of MB at 10M records)."""
    _columns.cache_clear()
