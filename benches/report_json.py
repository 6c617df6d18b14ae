"""The CLI's JSON encoding of a dashboard: Python's indenting encoder (before session 43)
against the C encoder's compact text laid out by the core (`cli.output._json`).

    .venv/bin/python benches/report_json.py [PATTERNS] [ROUNDS]

Writes a Parquet file of PATTERNS one-record patterns (default 20,000), runs
`usage-analytics dashboard --format json` on it once, reads the document back and encodes
it ROUNDS times (default 5) each way, alternated; prints min and median milliseconds and
checks that both texts are the same bytes.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from timing import timed
from usage_analytics.cli.output import View, _json
from usage_analytics.contracts import json_safe


def records(patterns: int) -> pa.Table:
    rng = np.random.default_rng(43)
    start = np.datetime64("2026-11-01T00:00:00", "us")
    offsets = rng.integers(0, 20 * 86_400 * 10**6, patterns).astype("timedelta64[us]")
    return pa.table(
        {
            "pattern_id": [f"pattern-{index:06d}" for index in range(patterns)],
            "timestamp": pa.array(start + offsets).cast(pa.timestamp("us", tz="UTC")),
            "success": rng.random(patterns) < 0.9,
            "execution_time_ms": rng.gamma(2.0, 50.0, patterns),
            "quality_score": rng.random(patterns),
            "context_type": rng.choice(["api", "batch", "cli"], patterns),
        }
    )


def dashboard_document(patterns: int, folder: Path) -> Any:
    source, report = folder / "runs.parquet", folder / "dashboard.json"
    pq.write_table(records(patterns), source)
    command = [sys.executable, "-m", "usage_analytics", "dashboard", str(source)]
    subprocess.run([*command, "--format", "json", "--output", str(report)], check=True)
    return json.loads(report.read_text(encoding="utf-8"))


def main() -> None:
    patterns = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    with tempfile.TemporaryDirectory() as folder:
        document = dashboard_document(patterns, Path(folder))
    view = View([], None, "UTC", 80, True)

    def python_encoder() -> str:
        safe = json_safe(document)
        return json.dumps(safe, indent=2, ensure_ascii=False, allow_nan=False)

    timings: dict[str, list[float]] = {"python indent": [], "C compact + core layout": []}
    for _ in range(rounds):
        texts = []
        for name, encode in [
            ("python indent", python_encoder),
            ("C compact + core layout", lambda: _json(document, view)),
        ]:
            took, text = timed(encode)
            texts.append(text)
            timings[name].append(took.wall * 1000)
        assert texts[0] == texts[1], "the two encodings differ"
    size = len(texts[0].encode()) / 1e6
    print(f"{patterns:,} patterns, {size:.1f} MB of JSON, {rounds} rounds")
    for name, values in timings.items():
        print(f"{name:24} min {min(values):7.1f} ms  median {statistics.median(values):7.1f} ms")


if __name__ == "__main__":
    main()
