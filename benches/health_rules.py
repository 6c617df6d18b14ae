"""The health rules per pattern, this tree's against another `health.py`, in one process.

    PYTHONPATH=TREE/python .venv/bin/python benches/health_rules.py SOURCE START END \
        --against OLD/python/usage_analytics/health.py [--rounds N]

SOURCE is a record file, a SQLite file or a postgresql:// URL (`dashboard_sizes.py make`
writes one of any number of patterns), START and END the window (ISO-8601). The DETAILED
outputs are made once, as `usage-analytics dashboard` makes them; then, in each of
`--rounds` rounds (default 5), the two modules take turns, each judging every pattern
twice: `JudgedHealth` (the dashboard's rows: the rules, no finding made) and
`evaluate_health` (every finding made). Prints each one's least CPU time per pattern
(the machine is shared: CPU time is less changed by the others' load than wall time) and
the ratio of the other module's to this tree's. Before timing, checks that both give the
same findings of every pattern (their JSON documents), and the same severities.

The other module is loaded from its file under a name of its own: it imports the rest
of the package (`usage_analytics.report`, the contracts, the core) from this tree.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from dashboard_health import outputs
from usage_analytics import health
from usage_analytics.collector import gc_paused
from usage_analytics.contracts import ModelUsageAnalyticsOutput


def load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("usage_analytics._health_against", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def same_findings(results: list[ModelUsageAnalyticsOutput], other: ModuleType) -> None:
    for result in results:
        mine = [finding.model_dump(mode="json") for finding in health.evaluate_health(result)]
        theirs = [finding.model_dump(mode="json") for finding in other.evaluate_health(result)]
        assert mine == theirs, (result.pattern_id, mine, theirs)
        assert health.JudgedHealth(result).severities() == (other.JudgedHealth(result).severities())


def cpu_seconds(step: Callable[[], Any]) -> float:
    with gc_paused():
        started = time.process_time()
        kept = step()
        spent = time.process_time() - started
    del kept  # (freed outside the timing)
    return spent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("source")
    parser.add_argument("start", type=datetime.fromisoformat)
    parser.add_argument("end", type=datetime.fromisoformat)
    parser.add_argument("--against", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    other = load(args.against)
    results = asyncio.run(outputs(args.source, args.start, args.end))
    fired = sum(len(health.JudgedHealth(result)) for result in results)
    print(f"{len(results):,} patterns, {fired / len(results):.2f} findings a pattern")
    same_findings(results, other)
    print("the same findings of every pattern")
    modules = {"this tree": health, str(args.against): other}
    least: dict[tuple[str, str], float] = {}
    for _ in range(args.rounds):
        for name, module in modules.items():
            steps = {
                "JudgedHealth": lambda m=module: [m.JudgedHealth(r) for r in results],
                "evaluate_health": lambda m=module: [m.evaluate_health(r) for r in results],
            }
            for step, run in steps.items():
                spent = cpu_seconds(run)
                key = (step, name)
                least[key] = min(least.get(key, spent), spent)
    for step in ("JudgedHealth", "evaluate_health"):
        mine = least[step, "this tree"]
        theirs = least[step, str(args.against)]
        print(
            f"{step:16} this tree {mine / len(results) * 1e6:5.2f} us a pattern, "
            f"the other {theirs / len(results) * 1e6:5.2f} us (x{theirs / mine:.2f})"
        )


if __name__ == "__main__":
    main()
