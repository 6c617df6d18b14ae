"""Random records of one week, about a sixth of them outside it, shared by the state tests
(`test_state_bytes.py`, `test_merge_bytes.py`): every field, some missing, a few
distinct strings each, and a `pattern_id` drawn from the ids given."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

START = datetime(2026, 1, 5, tzinfo=UTC)
END = START + timedelta(days=7)
BASE: dict[str, Any] = {"time_window_start": START, "time_window_end": END}


def records(seed: int, n: int, pattern_ids: list[Any] | None = None) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    span = int((END - START).total_seconds())
    out = []
    for _ in range(n):
        record: dict[str, Any] = {
            "timestamp": START + timedelta(seconds=rng.randrange(-span // 10, span + span // 10)),
            "success": rng.random() < 0.8,
            "execution_time_ms": None if rng.random() < 0.1 else rng.lognormvariate(4, 2),
            "quality_score": None if rng.random() < 0.3 else rng.random(),
            "quality_gates_passed": rng.random() < 0.9,
            "timeout": rng.random() < 0.1,
            "context_type": rng.choice(["debugging", "refactoring", "日本"]),
            "agent": rng.choice(["a", "b", "c"]),
            "project": rng.choice(["x", None]),
            "file_path": rng.choice(["x.py", "a.tar.gz", "Makefile", None]),
        }
        if pattern_ids is not None:
            record["pattern_id"] = rng.choice(pattern_ids)
        out.append(record)
    return out
