"""What `ModelFactory` (`rust/models.rs`) takes to make one output model from a dict of
its fields, against pydantic's `model_construct`: the figure of BENCHMARKS.md's session 26
(there from a script not committed).

    .venv/bin/python benches/model_factory.py [BLOCKS] [MODELS]

Makes MODELS (default 50,000) `SuccessMetrics` (7 fields) and as many
`UsageFrequencyMetrics` (8) a block, BLOCKS (default 12) blocks, the two ways taking turns
block by block; prints the median and least ns a model. The dicts are made before each
block is timed (the factory keeps a dict as its instance's `__dict__`: each model needs
its own), and the block's models are dropped after it.
"""

from __future__ import annotations

import functools
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from usage_analytics._core import ModelFactory
from usage_analytics.contracts import SuccessMetrics, UsageFrequencyMetrics

FIELDS: dict[type[Any], dict[str, Any]] = {
    SuccessMetrics: {
        "success_count": 90,
        "failure_count": 10,
        "success_rate": 0.9,
        "error_rate": 0.1,
        "timeout_count": 2,
        "quality_gate_failures": 3,
        "avg_quality_score": 0.75,
    },
    UsageFrequencyMetrics: {
        "total_executions": 100,
        "executions_per_day": 1.1,
        "executions_per_week": 7.7,
        "executions_per_month": 33.3,
        "unique_contexts": 4,
        "unique_users": 5,
        "peak_daily_usage": 9,
        "time_since_last_use": 2.5,
    },
}


def construct(model: type[Any], fields: dict[str, Any]) -> Any:
    """pydantic's way: `model_construct`, no validation either."""
    return model.model_construct(**fields)


def block_ns(make: Callable[[dict[str, Any]], Any], fields: dict[str, Any], models: int) -> float:
    """ns a model of one block of `models` made by `make`."""
    dicts = [dict(fields) for _ in range(models)]
    started = time.perf_counter_ns()
    made = [make(one) for one in dicts]
    elapsed = time.perf_counter_ns() - started
    del made
    return elapsed / models


def main() -> None:
    blocks = int(sys.argv[1]) if len(sys.argv) > 1 else 12
    models = int(sys.argv[2]) if len(sys.argv) > 2 else 50_000
    for model, fields in FIELDS.items():
        factory = ModelFactory(model)
        ways: dict[str, Callable[[dict[str, Any]], Any]] = {
            "ModelFactory": factory,
            "model_construct": functools.partial(construct, model),
        }
        times: dict[str, list[float]] = {name: [] for name in ways}
        for _ in range(blocks):
            for name, make in ways.items():
                times[name].append(block_ns(make, fields, models))
        for name, each in times.items():
            print(
                f"{model.__name__} ({len(fields)} fields), {name}: median "
                f"{statistics.median(each):,.0f} ns, least {min(each):,.0f} ns a model",
                flush=True,
            )


if __name__ == "__main__":
    main()
